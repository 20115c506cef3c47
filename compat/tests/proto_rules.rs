//! One previous/current test folder per case under `testdata/proto/<GROUP>/<case>/`, where GROUP is a rule id (the
//! case must break that rule, or must not if the case name ends in `-passes`), `compatible` (no violation) or
//! `levels` (level semantics over a history).
//!
//! A case holds `previous/` (or `previous-1/`, `previous-2/`, ... oldest first) and `current/`, each a module root
//! of .proto files, and optionally: `rules` (rule ids or categories to run; default the group's rule alone),
//! `level` (default BACKWARD), `ignore` (one rule id, category or path per line) and `ignore_unstable_packages`.
//! Every report is an insta snapshot, so messages and locations are reviewed as text.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use herald_compat::CompatibilityLevel;
use herald_compat::proto::{Ignore, Options, check, compile_module};
use herald_compat::rules::PROTOBUF_RULES;
use herald_schema::proto::Module;

fn dirs(path: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

fn module(root: &Path) -> Module {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) {
        for p in {
            let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
                .unwrap()
                .map(|e| e.unwrap().path())
                .collect();
            v.sort();
            v
        } {
            if p.is_dir() {
                walk(root, &p, out);
            } else if p.extension().is_some_and(|e| e == "proto") {
                let rel = p
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.push((rel, std::fs::read_to_string(&p).unwrap()));
            }
        }
    }
    let mut files = Vec::new();
    walk(root, root, &mut files);
    compile_module(&files).unwrap_or_else(|e| panic!("{}: {e:?}", root.display()))
}

struct Case {
    group: String,
    name: String,
    level: CompatibilityLevel,
    report: String,
    compatible: bool,
    rules: Vec<&'static str>,
}

fn run_case(dir: &Path) -> Case {
    let group = dir
        .parent()
        .unwrap()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let name = dir.file_name().unwrap().to_string_lossy().into_owned();
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).ok();
    let previous: Vec<PathBuf> = dirs(dir)
        .into_iter()
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("previous")
        })
        .collect();
    assert!(
        !previous.is_empty(),
        "{}: no previous module",
        dir.display()
    );
    let history: Vec<Module> = previous.iter().map(|p| module(p)).collect();
    let current = module(&dir.join("current"));
    let level = read("level").map_or(CompatibilityLevel::Backward, |l| l.trim().parse().unwrap());
    let rules: Vec<String> = match read("rules") {
        Some(r) => r.split_whitespace().map(str::to_owned).collect(),
        None if group == "compatible" || group == "levels" => vec!["FILE".to_owned()],
        None => vec![group.clone()],
    };
    let mut except = Vec::new();
    let mut ignore = Ignore {
        unstable_packages: read("ignore_unstable_packages").is_some(),
        ..Ignore::default()
    };
    for line in read("ignore")
        .unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
    {
        if Options::from_names(&[line], &[]).is_ok() {
            except.push(line.to_owned());
        } else {
            ignore.paths.push(line.to_owned());
        }
    }
    let options = Options::from_names(&rules, &except)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .with_ignore(ignore);
    let refs: Vec<&Module> = history.iter().collect();
    let report = check(level, &current, &refs, &options);
    let mut text = format!(
        "rules: {}\nlevel: {level}\ncompatible: {}\n",
        rules.join(" "),
        report.compatible
    );
    for v in &report.violations {
        let side = if v.in_previous { "previous " } else { "" };
        let at = match (&v.file, v.location) {
            (Some(f), Some(l)) => format!("{f}:{}:{}", l.line, l.column),
            (Some(f), None) => f.clone(),
            _ => "-".to_owned(),
        };
        let against = previous[v.against.unwrap()]
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let _ = write!(
            text,
            "\n{} {} against {against}\n  path:    {}\n  at:      {side}{at}\n  message: {}\n",
            v.rule,
            v.direction.as_str(),
            v.path,
            v.message,
        );
    }
    Case {
        group,
        name,
        level,
        compatible: report.compatible,
        rules: report.violations.iter().map(|v| v.rule).collect(),
        report: text,
    }
}

fn all_cases() -> Vec<Case> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/proto");
    dirs(&root)
        .iter()
        .flat_map(|g| dirs(g))
        .map(|d| run_case(&d))
        .collect()
}

#[test]
fn every_case_reports_its_rule_and_matches_its_snapshot() {
    let cases = all_cases();
    assert!(cases.len() > PROTOBUF_RULES.len());
    for case in cases {
        match case.group.as_str() {
            "compatible" => assert!(case.compatible, "{}: {}", case.name, case.report),
            "levels" => {}
            rule if case.name.ends_with("-passes") => assert!(
                !case.rules.contains(&rule),
                "{rule}/{}: expected no {rule} violation, got {}",
                case.name,
                case.report
            ),
            rule => assert!(
                case.rules.contains(&rule),
                "{rule}/{}: expected a {rule} violation, got {}",
                case.name,
                case.report
            ),
        }
        insta::assert_snapshot!(format!("{}__{}", case.group, case.name), case.report);
    }
}

#[test]
fn every_rule_has_its_own_test_data() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/proto");
    for rule in &PROTOBUF_RULES {
        let dir = root.join(rule.id);
        let failing = dir.is_dir()
            && dirs(&dir).iter().any(|c| {
                !c.file_name()
                    .unwrap()
                    .to_string_lossy()
                    .ends_with("-passes")
            });
        assert!(
            failing,
            "rule {} has no breaking test case in {}",
            rule.id,
            dir.display()
        );
    }
}

#[test]
fn transitive_levels_check_every_version_and_plain_ones_only_the_latest() {
    let cases = all_cases();
    let find = |name: &str| {
        cases
            .iter()
            .find(|c| c.group == "levels" && c.name == name)
            .unwrap()
    };
    let transitive = find("transitive-only");
    assert_eq!(transitive.level, CompatibilityLevel::BackwardTransitive);
    assert!(!transitive.compatible);
    assert!(transitive.report.contains("against previous-1"));
    assert!(find("latest-only-passes").compatible);
    let full = find("full-both-directions");
    assert!(full.report.contains("BACKWARD against") && full.report.contains("FORWARD against"));
}

/// buf's blind spots, decided deliberately (see the `buf` module's documentation).
#[test]
fn herald_corrects_bufs_blind_spots() {
    let cases = all_cases();
    let find = |group: &str, name: &str| {
        cases
            .iter()
            .find(|c| c.group == group && c.name == name)
            .unwrap_or_else(|| panic!("{group}/{name}"))
    };
    // An editions LEGACY_REQUIRED field added is a required field added, even under WIRE.
    let added = find("MESSAGE_SAME_REQUIRED_FIELDS", "legacy-required-added");
    assert!(
        added.rules.contains(&"MESSAGE_SAME_REQUIRED_FIELDS"),
        "{}",
        added.report
    );
    // A faithful proto2 → editions migration keeps the required field required: nothing breaks on the wire.
    let migrated = find("MESSAGE_SAME_REQUIRED_FIELDS", "proto2-to-editions-passes");
    assert!(migrated.compatible, "{}", migrated.report);
    // A renamed map field is identical on the wire.
    let map = find("compatible", "map-field-renamed-wire");
    assert!(map.compatible, "{}", map.report);
    // A package renamed while its file moves still changes every full name, also under WIRE.
    let moved = find("FILE_SAME_PACKAGE", "package-renamed-and-file-moved");
    assert_eq!(moved.rules, ["FILE_SAME_PACKAGE"], "{}", moved.report);
    assert!(find("FILE_SAME_PACKAGE", "file-moved-same-package-passes").compatible);
}
