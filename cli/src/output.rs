//! Renders reports and rule listings as text, JSON or GitHub workflow annotations.

use std::fmt::Write as _;

use clap::ValueEnum;
use herald_compat::rules::{self, Format};
use herald_compat::{CompatibilityLevel, Direction, Report, Violation};
use serde_json::json;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
    Github,
}

/// For protobuf modules: the roots that violation files are relative to, and the rules that ran.
#[derive(Debug)]
pub struct ModuleRoots {
    pub new: Root,
    /// One per history entry, oldest first.
    pub old: Vec<Root>,
    pub rules: String,
}

/// A module root directory; when the module was given as one file compiled under another file's name (an old
/// version `v1/order-v1.proto` compared as `order.proto`), that (module path, real file name) pair.
#[derive(Debug, Clone)]
pub struct Root {
    pub dir: String,
    pub alias: Option<(String, String)>,
}

impl Root {
    fn display(&self, file: &str) -> String {
        let file = match &self.alias {
            Some((module_path, real)) if module_path == file => real.as_str(),
            _ => file,
        };
        if self.dir == "." {
            file.to_owned()
        } else {
            format!("{}/{file}", self.dir.trim_end_matches('/'))
        }
    }
}

/// Renders a report. `new` names the new schema's file, `old` the history's files (oldest first); `roots` is given
/// for protobuf modules, whose violations name files relative to a module root.
pub fn render_report(
    report: &Report,
    format: OutputFormat,
    new: &str,
    old: &[String],
    level: CompatibilityLevel,
    roots: Option<&ModuleRoots>,
) -> String {
    let against = |v: &Violation| {
        v.against
            .and_then(|i| old.get(i))
            .map_or("", String::as_str)
    };
    // Protobuf rules are not all about reading data (FILE and PACKAGE protect generated code), so they name the
    // check rather than a reader.
    let describe = |v: &Violation| match roots {
        Some(_) => format!("{} check against {}", v.direction.as_str(), against(v)),
        None => describe_direction(v.direction, against(v)),
    };
    // The file a violation points into: the schema itself (Avro), or a module file under the new or old root.
    let file_of = |v: &Violation| -> String {
        match (&v.file, roots) {
            (Some(f), Some(r)) => {
                let root = if v.in_previous {
                    v.against.and_then(|i| r.old.get(i))
                } else {
                    Some(&r.new)
                };
                root.map_or_else(|| f.clone(), |root| root.display(f))
            }
            (Some(f), None) => f.clone(),
            (None, _) => new.to_owned(),
        }
    };
    match format {
        OutputFormat::Json => {
            let violations: Vec<_> = report
                .violations
                .iter()
                .map(|v| {
                    json!({
                        "rule": v.rule,
                        "path": v.path,
                        "pointer": v.pointer,
                        "location": v.location.map(|l| json!({"file": file_of(v), "line": l.line, "column": l.column})),
                        "message": v.message,
                        "detail": v.detail,
                        "direction": v.direction.as_str(),
                        "against": against(v),
                    })
                })
                .collect();
            let mut doc = json!({
                "compatible": report.compatible,
                "level": level.as_str(),
                "violations": violations,
            });
            if let Some(r) = roots {
                doc["rules"] = json!(r.rules);
            }
            format!(
                "{}\n",
                serde_json::to_string_pretty(&doc).unwrap_or_default()
            )
        }
        OutputFormat::Github => {
            let mut out = String::new();
            for v in &report.violations {
                let (line, col) = v.location.map_or((1, 1), |l| (l.line, l.column));
                let _ = writeln!(
                    out,
                    "::error file={},line={line},col={col},title={}::{}",
                    escape_property(&file_of(v)),
                    escape_property(v.rule),
                    escape_data(&format!("{}: {} ({})", v.path, v.message, describe(v)))
                );
            }
            out
        }
        OutputFormat::Text => {
            let mut out = String::new();
            for v in &report.violations {
                let place = match v.location {
                    Some(l) => format!("{}:{}:{}", file_of(v), l.line, l.column),
                    None => file_of(v),
                };
                let _ = writeln!(out, "{place}: {} at {}", v.rule, v.path);
                let _ = writeln!(out, "  {}", v.message);
                let _ = writeln!(out, "  ({})", describe(v));
            }
            let checked = level.versions_to_check(old.len()).len();
            let level = match roots {
                Some(r) => format!("{level} (rules {})", r.rules),
                None => level.to_string(),
            };
            if report.compatible {
                let _ = writeln!(
                    out,
                    "compatible: {level} against {checked} earlier version(s)"
                );
            } else {
                let _ = writeln!(
                    out,
                    "incompatible: {} violation(s) under {level} against {checked} earlier version(s)",
                    report.violations.len()
                );
            }
            out
        }
    }
}

fn describe_direction(direction: Direction, against: &str) -> String {
    match direction {
        Direction::Backward => {
            format!("BACKWARD: the new schema cannot read data written with {against}")
        }
        Direction::Forward => {
            format!("FORWARD: {against} cannot read data written with the new schema")
        }
    }
}

/// Escapes a workflow-command message (`%`, CR, LF).
fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a workflow-command property (also `:` and `,`).
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// Every rule (of one format, if given) as an aligned table.
pub fn rules_table(format: Option<Format>) -> String {
    let rules: Vec<_> = rules::all()
        .filter(|r| format.is_none_or(|f| r.format == f))
        .collect();
    let width = rules.iter().map(|r| r.id.len()).max().unwrap_or(0);
    let cat_width = rules
        .iter()
        .map(|r| r.categories.join(",").len())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for r in rules {
        let _ = writeln!(
            out,
            "{:<8} {:<width$}  {:<cat_width$}  {}",
            r.format.as_str(),
            r.id,
            r.categories.join(","),
            r.purpose
        );
    }
    out
}

/// One violation of a multi-schema run (`herald check`), located in a repository file.
#[derive(Debug, Clone)]
pub struct Finding {
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub subject: String,
    pub rule: String,
    pub path: String,
    pub message: String,
    /// Which check and which earlier version: "BACKWARD against main:avro/order.avsc".
    pub context: String,
}

/// Renders the findings of `herald check`; `checked` is how many schemas were compared.
pub fn render_findings(findings: &[Finding], format: CheckFormat, checked: usize) -> String {
    let mut out = String::new();
    match format {
        CheckFormat::Text => {
            for f in findings {
                let _ = writeln!(
                    out,
                    "{}:{}:{}: {} at {} (subject {})",
                    f.file, f.line, f.column, f.rule, f.path, f.subject
                );
                let _ = writeln!(out, "  {}", f.message);
                let _ = writeln!(out, "  ({})", f.context);
            }
            if findings.is_empty() {
                let _ = writeln!(out, "compatible: {checked} schema(s) checked");
            } else {
                let _ = writeln!(
                    out,
                    "incompatible: {} violation(s) in {checked} schema(s) checked",
                    findings.len()
                );
            }
        }
        CheckFormat::Github => {
            for f in findings {
                let _ = writeln!(
                    out,
                    "::error file={},line={},col={},title={}::{}",
                    escape_property(&f.file),
                    f.line,
                    f.column,
                    escape_property(&f.rule),
                    escape_data(&format!("{}: {} ({})", f.path, f.message, f.context))
                );
            }
        }
        CheckFormat::Json => {
            let doc = json!({
                "compatible": findings.is_empty(),
                "checked": checked,
                "violations": findings.iter().map(|f| json!({
                    "subject": f.subject,
                    "rule": f.rule,
                    "path": f.path,
                    "location": {"file": f.file, "line": f.line, "column": f.column},
                    "message": f.message,
                    "context": f.context,
                })).collect::<Vec<_>>(),
            });
            let _ = writeln!(
                out,
                "{}",
                serde_json::to_string_pretty(&doc).unwrap_or_default()
            );
        }
        CheckFormat::Sarif => {
            let mut rule_ids: Vec<&str> = findings.iter().map(|f| f.rule.as_str()).collect();
            rule_ids.sort_unstable();
            rule_ids.dedup();
            let rules_json: Vec<_> = rule_ids
                .iter()
                .map(|id| {
                    let purpose = rules::all()
                        .find(|r| r.id == *id)
                        .map_or("", |r| r.purpose);
                    json!({"id": id, "shortDescription": {"text": if purpose.is_empty() { *id } else { purpose }}})
                })
                .collect();
            let results: Vec<_> = findings
                .iter()
                .map(|f| {
                    json!({
                        "ruleId": f.rule,
                        "level": "error",
                        "message": {"text": format!("{}: {} ({})", f.path, f.message, f.context)},
                        "locations": [{"physicalLocation": {
                            "artifactLocation": {"uri": f.file},
                            "region": {"startLine": f.line, "startColumn": f.column},
                        }}],
                        "properties": {"subject": f.subject},
                    })
                })
                .collect();
            let doc = json!({
                "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
                "version": "2.1.0",
                "runs": [{
                    "tool": {"driver": {
                        "name": "herald",
                        "version": env!("CARGO_PKG_VERSION"),
                        "rules": rules_json,
                    }},
                    "results": results,
                }],
            });
            let _ = writeln!(
                out,
                "{}",
                serde_json::to_string_pretty(&doc).unwrap_or_default()
            );
        }
    }
    out
}

/// Output formats of `herald check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    Text,
    Json,
    Github,
    Sarif,
}
