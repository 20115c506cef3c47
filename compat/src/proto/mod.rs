//! Protobuf compatibility: buf's breaking-change rules and Confluent Schema Registry's BACKWARD check over two
//! compiled modules, with levels over a history, rule selection and ignores.
//!
//! * buf's rules (`FILE`, `PACKAGE`, `WIRE_JSON`, `WIRE`): every rule of `buf breaking` (v2 configuration)
//!   with buf's ids, so a team's buf configuration carries over; buf's blind spots are corrected and documented in
//!   the `buf` module (editions `LEGACY_REQUIRED`, proto2 → editions migrations, renamed map fields, a package
//!   renamed while its file moves).
//! * `CONFLUENT`: the `Difference` types Confluent rejects under BACKWARD, diffing a root file (see the
//!   `confluent` module). The registry uses it by default for protobuf subjects.
//!
//! Modules are compiled by `herald_schema::proto::compile` (or [`compile_module`]) and compared by fully-qualified
//! names. A check is pure: no IO; the CLI supplies a `FileSource` over each module root directory.
//!
//! ```
//! use herald_compat::proto::{Options, RuleSet, check_pair, compile_module};
//! let old = compile_module(&[("a.proto", "syntax = \"proto3\"; message M { int32 a = 1; string b = 2; }")]).unwrap();
//! let new = compile_module(&[("a.proto", "syntax = \"proto3\"; message M { int32 a = 1; }")]).unwrap();
//! let found = check_pair(&old, &new, &Options::new(RuleSet::Wire));
//! assert_eq!(found[0].rule, "FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED");
//! assert!(check_pair(&old, &new, &Options::new(RuleSet::Confluent)).is_empty());
//! ```

mod buf;
mod confluent;
mod util;

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::str::FromStr;

use herald_schema::proto::{Diagnostics, Module, compile};

use crate::level::CompatibilityLevel;
use crate::rules::{PROTOBUF_CATEGORIES, PROTOBUF_RULES};
use crate::violation::{Direction, Location, Report, Violation};

/// A named set of protobuf rules: one of buf's categories, or Confluent's BACKWARD check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum RuleSet {
    /// buf's default: no source-code breaking changes per file.
    #[default]
    File,
    /// No source-code breaking changes per package.
    Package,
    /// No breaking changes of the binary or JSON encodings.
    WireJson,
    /// No breaking changes of the binary encoding.
    Wire,
    /// What Confluent Schema Registry's protobuf BACKWARD check rejects.
    Confluent,
}

impl RuleSet {
    pub const ALL: [RuleSet; 5] = [
        RuleSet::File,
        RuleSet::Package,
        RuleSet::WireJson,
        RuleSet::Wire,
        RuleSet::Confluent,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RuleSet::File => "FILE",
            RuleSet::Package => "PACKAGE",
            RuleSet::WireJson => "WIRE_JSON",
            RuleSet::Wire => "WIRE",
            RuleSet::Confluent => "CONFLUENT",
        }
    }

    /// The ids of the rules in this set.
    pub fn rule_ids(self) -> impl Iterator<Item = &'static str> {
        PROTOBUF_RULES
            .iter()
            .filter(move |r| r.categories.contains(&self.as_str()))
            .map(|r| r.id)
    }
}

impl fmt::Display for RuleSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RuleSet {
    type Err = UnknownRule;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_uppercase().replace('-', "_");
        RuleSet::ALL
            .into_iter()
            .find(|r| r.as_str() == wanted)
            .ok_or_else(|| UnknownRule(s.to_owned()))
    }
}

/// A name that is neither a protobuf rule id nor a category.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown protobuf rule or category {0:?}: expected FILE, PACKAGE, WIRE_JSON, WIRE, CONFLUENT or a rule id \
     (`herald compat rules --type protobuf` lists them)"
)]
pub struct UnknownRule(pub String);

/// The rule ids a category name or a rule id stands for.
fn expand(name: &str) -> Result<Vec<&'static str>, UnknownRule> {
    let wanted = name.trim().to_ascii_uppercase();
    if PROTOBUF_CATEGORIES.contains(&wanted.as_str()) {
        return Ok(PROTOBUF_RULES
            .iter()
            .filter(|r| r.categories.contains(&wanted.as_str()))
            .map(|r| r.id)
            .collect());
    }
    PROTOBUF_RULES
        .iter()
        .find(|r| r.id == wanted)
        .map(|r| vec![r.id])
        .ok_or_else(|| UnknownRule(name.to_owned()))
}

/// Which findings to leave out, as buf's `ignore`, `ignore_only` and `ignore_unstable_packages` do.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ignore {
    /// Paths ignored for every rule: a file (`shop/v1/order.proto`), a directory (`shop/v1`), or an element path
    /// prefix (`shop.v1.Order`, which covers `shop.v1.Order.total`).
    pub paths: Vec<String>,
    /// Rule ids or categories ignored under some paths only (buf's `ignore_only`).
    pub only: Vec<(String, Vec<String>)>,
    /// Ignore findings in packages whose last component is an unstable version (`v1alpha1`, `v1beta2`, `v1test`).
    pub unstable_packages: bool,
}

/// What to check: the rules (buf's `use` and `except`), ignores, and the registry subject's root file for
/// `CONFLUENT`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    rules: HashSet<&'static str>,
    pub ignore: Ignore,
    /// The root file of a registry subject, for the `CONFLUENT` rules. `None`: every entry file of the old module
    /// is a root, paired by path with the new module's file.
    pub root: Option<String>,
}

impl Options {
    /// The rules of one set, nothing ignored.
    pub fn new(set: RuleSet) -> Options {
        Options {
            rules: set.rule_ids().collect(),
            ignore: Ignore::default(),
            root: None,
        }
    }

    /// The rules named by `use_` (categories or rule ids) minus those named by `except`, as buf's configuration.
    pub fn from_names<S: AsRef<str>>(use_: &[S], except: &[S]) -> Result<Options, UnknownRule> {
        let mut rules = HashSet::new();
        for name in use_ {
            rules.extend(expand(name.as_ref())?);
        }
        for name in except {
            for id in expand(name.as_ref())? {
                rules.remove(id);
            }
        }
        Ok(Options {
            rules,
            ignore: Ignore::default(),
            root: None,
        })
    }

    /// Stops checking these rules or categories (what `--ignore RULE_ID` does).
    pub fn except<S: AsRef<str>>(mut self, names: &[S]) -> Result<Options, UnknownRule> {
        for name in names {
            for id in expand(name.as_ref())? {
                self.rules.remove(id);
            }
        }
        Ok(self)
    }

    pub fn with_ignore(mut self, ignore: Ignore) -> Options {
        self.ignore = ignore;
        self
    }

    pub fn with_root(mut self, root: impl Into<String>) -> Options {
        self.root = Some(root.into());
        self
    }

    /// Whether the rule with this id runs.
    pub fn runs(&self, rule: &str) -> bool {
        self.rules.contains(rule)
    }

    /// The ids of the rules that run, in the order of [`PROTOBUF_RULES`].
    pub fn rule_ids(&self) -> Vec<&'static str> {
        PROTOBUF_RULES
            .iter()
            .map(|r| r.id)
            .filter(|id| self.rules.contains(id))
            .collect()
    }
}

/// Compiles a module from (path, text) pairs, every path an entry file (a module root's .proto files).
pub fn compile_module<P: AsRef<str>, T: AsRef<str>>(
    files: &[(P, T)],
) -> Result<Module, Diagnostics> {
    let map: BTreeMap<String, String> = files
        .iter()
        .map(|(p, t)| (p.as_ref().to_owned(), t.as_ref().to_owned()))
        .collect();
    let entries: Vec<&str> = map.keys().map(String::as_str).collect();
    compile(&map, &entries)
}

/// One finding before it becomes a [`Violation`].
#[derive(Debug, Clone)]
pub(crate) struct Finding {
    pub rule: &'static str,
    pub path: String,
    pub file: Option<String>,
    pub location: Option<Location>,
    pub message: String,
    /// The new and the old file the finding concerns, for ignores by path and by unstable package.
    pub files: [Option<String>; 2],
    /// True when `file` and `location` are in the old module (deleted elements).
    pub on_old: bool,
}

/// Every violation of the selected rules when `current` replaces `previous`, ignores applied, sorted by file and
/// position. Their direction is BACKWARD and `against` is `None`.
pub fn check_pair(previous: &Module, current: &Module, options: &Options) -> Vec<Violation> {
    findings(previous, current, options)
        .into_iter()
        .map(|f| to_violation(f, Direction::Backward, None))
        .collect()
}

/// Checks `new` against a history of earlier versions (oldest first) at `level` with the selected rules, as the
/// Avro engine does: BACKWARD compares (latest, new), FORWARD the same with old and new swapped (so locations are
/// in the earlier version), FULL both; transitive levels check every version, newest first.
pub fn check(
    level: CompatibilityLevel,
    new: &Module,
    history: &[&Module],
    options: &Options,
) -> Report {
    let mut violations = Vec::new();
    for index in level.versions_to_check(history.len()) {
        let old = history[index];
        if level.checks_backward() {
            violations.extend(
                findings(old, new, options)
                    .into_iter()
                    .map(|f| to_violation(f, Direction::Backward, Some(index))),
            );
        }
        if level.checks_forward() {
            violations.extend(
                findings(new, old, options)
                    .into_iter()
                    .map(|f| to_violation(f, Direction::Forward, Some(index))),
            );
        }
    }
    Report {
        compatible: violations.is_empty(),
        violations,
    }
}

fn findings(old: &Module, new: &Module, options: &Options) -> Vec<Finding> {
    let mut out = Vec::new();
    let buf_on = PROTOBUF_RULES
        .iter()
        .any(|r| !r.categories.contains(&"CONFLUENT") && options.runs(r.id));
    if buf_on {
        out.extend(buf::check(old, new, &options.rules));
    }
    let confluent_on = RuleSet::Confluent.rule_ids().any(|id| options.runs(id));
    if confluent_on {
        let roots: Vec<_> = match &options.root {
            Some(root) => old.file_by_path(root).into_iter().collect(),
            None => old.entry_files().filter(|f| !f.builtin).collect(),
        };
        for root in roots {
            let found = confluent::check(old, root, new, new.file_by_path(&root.path));
            out.extend(found.into_iter().filter(|f| options.runs(f.rule)));
        }
    }
    out.retain(|f| !ignored(f, old, new, &options.ignore));
    out.sort_by(|a, b| {
        (&a.file, a.location, a.rule, &a.path, &a.message)
            .cmp(&(&b.file, b.location, b.rule, &b.path, &b.message))
    });
    out.dedup_by(|a, b| {
        a.rule == b.rule && a.path == b.path && a.message == b.message && a.location == b.location
    });
    out
}

fn to_violation(f: Finding, direction: Direction, against: Option<usize>) -> Violation {
    Violation {
        rule: f.rule,
        path: f.path,
        pointer: None,
        file: f.file,
        location: f.location,
        in_previous: f.on_old != (direction == Direction::Forward),
        message: f.message,
        detail: None,
        direction,
        against,
    }
}

fn path_matches(prefix: &str, f: &Finding) -> bool {
    let prefix = prefix.trim_end_matches('/');
    let file_match = |p: &Option<String>| {
        p.as_deref().is_some_and(|p| {
            p == prefix || p.strip_prefix(prefix).is_some_and(|r| r.starts_with('/'))
        })
    };
    file_match(&f.file)
        || f.files.iter().any(file_match)
        || f.path == prefix
        || f.path
            .strip_prefix(prefix)
            .is_some_and(|r| r.starts_with('.'))
}

fn ignored(f: &Finding, old: &Module, new: &Module, ignore: &Ignore) -> bool {
    if ignore.paths.iter().any(|p| path_matches(p, f)) {
        return true;
    }
    for (rule, paths) in &ignore.only {
        let covers = expand(rule).is_ok_and(|ids| ids.contains(&f.rule));
        if covers && paths.iter().any(|p| path_matches(p, f)) {
            return true;
        }
    }
    if ignore.unstable_packages {
        let package = |m: &Module, p: &Option<String>| {
            p.as_deref()
                .and_then(|p| m.file_by_path(p))
                .and_then(|f| f.package.clone())
        };
        let packages = [package(new, &f.files[0]), package(old, &f.files[1])];
        if packages.iter().flatten().any(|p| is_unstable_package(p)) {
            return true;
        }
        // Package-level findings name the package itself.
        if f.rule == "PACKAGE_NO_DELETE" && is_unstable_package(&f.path) {
            return true;
        }
    }
    false
}

/// Whether a package's last component is an unstable version as buf reads it: `v1alpha1`, `v2beta`, `v1p1beta1`,
/// `v1test`, `v1testfoo`.
pub fn is_unstable_package(package: &str) -> bool {
    let last = package.rsplit('.').next().unwrap_or("");
    let Some(rest) = last.strip_prefix('v') else {
        return false;
    };
    let digits = rest.chars().take_while(char::is_ascii_digit).count();
    if digits == 0 {
        return false;
    }
    let mut rest = &rest[digits..];
    if let Some(r) = rest.strip_prefix('p') {
        let d = r.chars().take_while(char::is_ascii_digit).count();
        if d > 0 {
            rest = &r[d..];
        }
    }
    if rest.starts_with("test") {
        return true;
    }
    for tag in ["alpha", "beta"] {
        if let Some(r) = rest.strip_prefix(tag) {
            return r.chars().all(|c| c.is_ascii_digit());
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unstable_packages_follow_buf() {
        for p in [
            "a.v1alpha1",
            "a.v1beta",
            "a.v2beta3",
            "a.v1test",
            "a.v1testfoo",
            "v1p1alpha1",
        ] {
            assert!(is_unstable_package(p), "{p}");
        }
        for p in ["a.v1", "a", "a.alpha", "a.v1alpha1x", "a.valpha1", ""] {
            assert!(!is_unstable_package(p), "{p}");
        }
    }

    #[test]
    fn ignores_by_path_rule_and_unstable_package() {
        let old = compile_module(&[
            (
                "shop/v1/a.proto",
                "syntax = \"proto3\"; package shop.v1; message A { int32 x = 1; int32 y = 2; }",
            ),
            (
                "shop/v1beta1/b.proto",
                "syntax = \"proto3\"; package shop.v1beta1; message B { int32 x = 1; }",
            ),
        ])
        .unwrap();
        let new = compile_module(&[
            (
                "shop/v1/a.proto",
                "syntax = \"proto3\"; package shop.v1; message A { int64 x = 1; }",
            ),
            (
                "shop/v1beta1/b.proto",
                "syntax = \"proto3\"; package shop.v1beta1; message B { int64 x = 1; }",
            ),
        ])
        .unwrap();
        let rules = |o: &Options| {
            let mut r: Vec<_> = check_pair(&old, &new, o)
                .into_iter()
                .map(|v| format!("{} {}", v.rule, v.path))
                .collect();
            r.sort();
            r
        };
        let all = Options::new(RuleSet::File);
        assert_eq!(
            rules(&all),
            [
                "FIELD_NO_DELETE shop.v1.A.y",
                "FIELD_SAME_TYPE shop.v1.A.x",
                "FIELD_SAME_TYPE shop.v1beta1.B.x"
            ]
        );
        let unstable = all.clone().with_ignore(Ignore {
            unstable_packages: true,
            ..Ignore::default()
        });
        assert_eq!(rules(&unstable).len(), 2);
        let only = all.clone().with_ignore(Ignore {
            only: vec![("FIELD_SAME_TYPE".to_owned(), vec!["shop/v1".to_owned()])],
            ..Ignore::default()
        });
        assert_eq!(
            rules(&only),
            [
                "FIELD_NO_DELETE shop.v1.A.y",
                "FIELD_SAME_TYPE shop.v1beta1.B.x"
            ]
        );
        let element = all.clone().with_ignore(Ignore {
            paths: vec!["shop.v1.A.y".to_owned(), "shop/v1beta1/b.proto".to_owned()],
            ..Ignore::default()
        });
        assert_eq!(rules(&element), ["FIELD_SAME_TYPE shop.v1.A.x"]);
        let except = all.except(&["FIELD_SAME_TYPE"]).unwrap();
        assert_eq!(rules(&except), ["FIELD_NO_DELETE shop.v1.A.y"]);
    }

    #[test]
    fn selections_expand_categories_and_ids() {
        let o = Options::from_names(
            &["WIRE", "FIELD_SAME_NAME"],
            &["FIELD_WIRE_COMPATIBLE_TYPE"],
        )
        .unwrap();
        assert!(o.runs("FIELD_SAME_NAME"));
        assert!(o.runs("FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED"));
        assert!(!o.runs("FIELD_WIRE_COMPATIBLE_TYPE"));
        assert!(Options::from_names(&["NOPE"], &[]).is_err());
        assert_eq!(Options::new(RuleSet::File).rule_ids().len(), 51);
        assert_eq!(Options::new(RuleSet::Wire).rule_ids().len(), 15);
        assert_eq!(Options::new(RuleSet::Confluent).rule_ids().len(), 11);
        assert_eq!("wire-json".parse::<RuleSet>(), Ok(RuleSet::WireJson));
    }
}
