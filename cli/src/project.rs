//! The project file `herald.yaml`: which schema files exist, which subject each one is, and how it is checked.
//!
//! With no file at all, every `*.avsc` and `*.proto` file under the repository (outside hidden directories and
//! `target/`) is a schema: Avro files are subjects named `{stem}-value` (TopicNameStrategy with the file stem as
//! the topic), `.proto` files form one module rooted at the repository root and are subjects named by the same
//! rule; the level is BACKWARD, protobuf modules are checked with buf's `FILE` rules offline and with the
//! `CONFLUENT` rules against a registry.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, bail};
use herald_compat::CompatibilityLevel;
use serde::Deserialize;

/// The file name looked up in the current directory.
pub const FILE_NAME: &str = "herald.yaml";

/// `herald.yaml` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProjectFile {
    /// Default compatibility level (BACKWARD).
    pub level: Option<String>,
    /// Default subject naming: `topic` (`{topic}-value`, topic = file stem; the default), `record` (the Avro
    /// record's full name, or the first protobuf message's), or a template with `{stem}`, `{topic}`, `{name}`,
    /// `{path}`.
    pub naming: Option<String>,
    /// Globs of files that are never schemas (matched against repository-relative paths).
    pub ignore: Vec<String>,
    pub proto: ProtoSettings,
    /// Schema entries; the first entry whose glob matches a file decides. Empty: every .avsc and .proto file.
    pub schemas: Vec<SchemaEntry>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProtoSettings {
    /// Module roots (import paths), relative to the repository; default `.`.
    pub roots: Vec<String>,
    /// Rules for offline checks (`herald check --against-git/--against-dir`): a buf category or rule ids.
    /// Default `FILE`.
    pub rules: Vec<String>,
    /// Rule ids, categories or paths to ignore.
    pub ignore: Vec<String>,
    pub ignore_unstable_packages: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SchemaEntry {
    /// A path or glob (`avro/**/*.avsc`).
    pub files: String,
    /// `avro` or `protobuf` (default: from the extension).
    #[serde(rename = "type")]
    pub schema_type: Option<String>,
    /// An explicit subject name or template (see `naming`).
    pub subject: Option<String>,
    /// The topic for `topic` naming (default: the file stem).
    pub topic: Option<String>,
    pub naming: Option<String>,
    pub level: Option<String>,
    /// Protobuf rules for this subject against a registry (default `CONFLUENT`).
    pub rules: Vec<String>,
    /// Avro: files of named types this schema uses, registered first and sent as references.
    pub references: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Avro,
    Protobuf,
}

impl Kind {
    /// The registry's `schemaType`.
    pub fn registry_type(self) -> &'static str {
        match self {
            Kind::Avro => "AVRO",
            Kind::Protobuf => "PROTOBUF",
        }
    }
}

/// One schema file of the project, resolved.
#[derive(Debug, Clone)]
pub struct Schema {
    /// Repository-relative path with `/`.
    pub path: String,
    pub kind: Kind,
    /// Subject template before the schema is parsed (`{name}` needs the parsed schema).
    pub subject_template: String,
    pub topic: String,
    pub level: Option<CompatibilityLevel>,
    pub rules: Vec<String>,
    pub references: Vec<String>,
}

impl Schema {
    /// The subject, given the schema's name (record full name or first message) when known.
    pub fn subject(&self, name: Option<&str>) -> String {
        let stem = Path::new(&self.path)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        self.subject_template
            .replace("{stem}", &stem)
            .replace("{topic}", &self.topic)
            .replace("{path}", &self.path)
            .replace("{name}", name.unwrap_or(&stem))
    }

    /// The proto module path of this file: relative to its root.
    pub fn module_path(&self, roots: &[String]) -> (String, String) {
        for root in roots {
            if root == "." {
                return (root.clone(), self.path.clone());
            }
            let prefix = format!("{}/", root.trim_end_matches('/'));
            if let Some(rest) = self.path.strip_prefix(&prefix) {
                return (root.clone(), rest.to_owned());
            }
        }
        (".".to_owned(), self.path.clone())
    }
}

/// Fails when two schema files resolve to the same subject: registering them would make one file a later version
/// of the other. The message names both files and how to tell them apart.
pub fn ensure_distinct_subjects<'a>(
    pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> anyhow::Result<()> {
    let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
    for (path, subject) in pairs {
        if let Some(first) = seen.insert(subject, path) {
            bail!(
                "{first} and {path} both map to subject {subject:?}; give them distinct subjects in {FILE_NAME} \
                 (e.g. `naming: \"{{path}}\"` or an explicit `subject:` per file)"
            );
        }
    }
    Ok(())
}

/// The loaded project: the file's settings and the rules to resolve paths.
#[derive(Debug)]
pub struct Project {
    pub file: ProjectFile,
    pub level: CompatibilityLevel,
    ignore: Vec<glob::Pattern>,
    entries: Vec<(glob::Pattern, usize)>,
}

fn parse_level(s: &str) -> anyhow::Result<CompatibilityLevel> {
    s.parse::<CompatibilityLevel>()
        .map_err(|e| anyhow::anyhow!("invalid level {s:?}: {e}"))
}

fn naming_template(naming: &str) -> String {
    match naming {
        "topic" => "{topic}-value".to_owned(),
        "topic-key" => "{topic}-key".to_owned(),
        "record" => "{name}".to_owned(),
        "topic-record" => "{topic}-{name}".to_owned(),
        other => other.to_owned(),
    }
}

impl Project {
    /// Loads `herald.yaml` from `dir` (or the given file); the defaults when there is none.
    pub fn load(dir: &Path, file: Option<&Path>) -> anyhow::Result<Project> {
        let path = file.map_or_else(|| dir.join(FILE_NAME), Path::to_path_buf);
        let parsed: ProjectFile = if path.is_file() {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            serde_norway::from_str(&text).with_context(|| format!("invalid {}", path.display()))?
        } else if file.is_some() {
            bail!("cannot read {}: no such file", path.display());
        } else {
            ProjectFile::default()
        };
        Project::new(parsed)
    }

    pub fn new(mut file: ProjectFile) -> anyhow::Result<Project> {
        let level = match &file.level {
            Some(l) => parse_level(l)?,
            None => CompatibilityLevel::Backward,
        };
        if file.proto.roots.is_empty() {
            file.proto.roots.push(".".to_owned());
        }
        for root in &mut file.proto.roots {
            *root = root.trim_end_matches('/').to_owned();
            if root.is_empty() {
                *root = ".".to_owned();
            }
        }
        let mut ignore = Vec::new();
        for g in file
            .ignore
            .iter()
            .map(String::as_str)
            .chain([".*/**", "**/.*/**", "target/**"])
        {
            ignore.push(glob::Pattern::new(g).with_context(|| format!("invalid glob {g:?}"))?);
        }
        let mut entries = Vec::new();
        for (i, e) in file.schemas.iter().enumerate() {
            entries.push((
                glob::Pattern::new(&e.files)
                    .with_context(|| format!("invalid glob {:?}", e.files))?,
                i,
            ));
            if let Some(l) = &e.level {
                parse_level(l)?;
            }
        }
        Ok(Project {
            file,
            level,
            ignore,
            entries,
        })
    }

    /// Resolves the schema files among `paths` (repository-relative), sorted by path.
    pub fn schemas<'a>(
        &self,
        paths: impl IntoIterator<Item = &'a str>,
    ) -> anyhow::Result<Vec<Schema>> {
        let options = glob::MatchOptions {
            require_literal_separator: true,
            ..Default::default()
        };
        let mut out = BTreeMap::new();
        for path in paths {
            if self.ignore.iter().any(|g| g.matches_with(path, options)) {
                continue;
            }
            let ext_kind = match Path::new(path).extension().and_then(|e| e.to_str()) {
                Some("avsc") => Some(Kind::Avro),
                Some("proto") => Some(Kind::Protobuf),
                _ => None,
            };
            let entry = if self.entries.is_empty() {
                None
            } else {
                match self
                    .entries
                    .iter()
                    .find(|(g, _)| g.matches_with(path, options))
                {
                    Some((_, i)) => Some(&self.file.schemas[*i]),
                    None => continue,
                }
            };
            let kind = match entry.and_then(|e| e.schema_type.as_deref()) {
                Some("avro" | "AVRO") => Kind::Avro,
                Some("protobuf" | "PROTOBUF" | "proto") => Kind::Protobuf,
                Some(other) => bail!("{path}: unknown schema type {other:?} (avro or protobuf)"),
                None => match ext_kind {
                    Some(k) => k,
                    None if entry.is_some() => {
                        bail!("{path}: cannot tell the schema type; set `type: avro|protobuf`")
                    }
                    None => continue,
                },
            };
            let naming = entry
                .and_then(|e| e.subject.clone().or_else(|| e.naming.clone()))
                .or_else(|| self.file.naming.clone())
                .unwrap_or_else(|| "topic".to_owned());
            let stem = Path::new(path)
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            out.insert(
                path.to_owned(),
                Schema {
                    path: path.to_owned(),
                    kind,
                    subject_template: naming_template(&naming),
                    topic: entry.and_then(|e| e.topic.clone()).unwrap_or(stem),
                    level: match entry.and_then(|e| e.level.as_deref()) {
                        Some(l) => Some(parse_level(l)?),
                        None => None,
                    },
                    rules: entry.map(|e| e.rules.clone()).unwrap_or_default(),
                    references: entry.map(|e| e.references.clone()).unwrap_or_default(),
                },
            );
        }
        Ok(out.into_values().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_files_on_one_subject_are_refused() {
        ensure_distinct_subjects([("a/x.proto", "x-value"), ("b/y.proto", "y-value")]).unwrap();
        let err = ensure_distinct_subjects([("a/x.proto", "x-value"), ("b/x.proto", "x-value")])
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("a/x.proto and b/x.proto both map to subject \"x-value\""),
            "{err}"
        );
    }

    #[test]
    fn defaults_cover_avsc_and_proto() {
        let p = Project::new(ProjectFile::default()).unwrap();
        let s = p
            .schemas([
                "a/order.avsc",
                "b/x.proto",
                "README.md",
                "target/x.avsc",
                ".git/y.proto",
            ])
            .unwrap();
        let names: Vec<_> = s
            .iter()
            .map(|s| (s.path.as_str(), s.subject(None)))
            .collect();
        assert_eq!(
            names,
            [
                ("a/order.avsc", "order-value".to_owned()),
                ("b/x.proto", "x-value".to_owned())
            ]
        );
    }

    #[test]
    fn entries_decide_subjects_and_levels() {
        let file: ProjectFile = serde_norway::from_str(
            "level: FULL\nschemas:\n  - files: 'avro/*.avsc'\n    naming: record\n    level: NONE\n  - files: 'x.json'\n    type: avro\n    subject: explicit\n",
        )
        .unwrap();
        let p = Project::new(file).unwrap();
        let s = p.schemas(["avro/a.avsc", "x.json", "other.avsc"]).unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].subject(Some("shop.Order")), "shop.Order");
        assert_eq!(s[0].level, Some(CompatibilityLevel::None));
        assert_eq!(s[1].subject(None), "explicit");
        assert_eq!(p.level, CompatibilityLevel::Full);
    }
}
