//! Registry commands: `herald register`, `subjects`, `schema get|diff`, `config get|set`, `mode get|set` and
//! `delete`, over the Confluent REST API of any compatible registry.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use herald_schema::avro::ParseOptions;
use serde_json::{Value, json};

use crate::cmd::check::{avro_name, compile_module, module_files, parse_avro};
use crate::project::{Kind, Project};
use crate::registry::{Client, RegistryArgs, schema_body, seg};
use crate::tree;

pub const EXAMPLES_REGISTER: &str = "Examples:
  herald register --registry http://localhost:8081 --dry-run
  HERALD_REGISTRY_URL=https://sr.example.com herald register --user ci --password \"$SR_PASSWORD\"";
pub const EXAMPLES_SUBJECTS: &str = "Examples:
  herald subjects --registry http://localhost:8081
  herald subjects --deleted";
pub const EXAMPLES_SCHEMA: &str = "Examples:
  herald schema get orders-value
  herald schema get orders-value 3
  herald schema diff orders-value 1 2";
pub const EXAMPLES_CONFIG: &str = "Examples:
  herald config get
  herald config get orders-value
  herald config set FULL_TRANSITIVE --subject orders-value";
pub const EXAMPLES_MODE: &str = "Examples:
  herald mode get
  herald mode set READONLY --subject orders-value";
pub const EXAMPLES_DELETE: &str = "Examples:
  herald delete orders-value 2
  herald delete orders-value --permanent";

#[derive(Debug, Args)]
pub struct RegisterArgs {
    #[command(flatten)]
    registry: RegistryArgs,
    /// The project file (default: ./herald.yaml if present).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Print what would be registered; change nothing.
    #[arg(long)]
    dry_run: bool,
}

#[derive(Debug, Args)]
pub struct SubjectsArgs {
    #[command(flatten)]
    registry: RegistryArgs,
    /// Include soft-deleted subjects.
    #[arg(long)]
    deleted: bool,
}

#[derive(Debug, Args)]
pub struct SchemaArgs {
    #[command(flatten)]
    registry: RegistryArgs,
    #[command(subcommand)]
    command: SchemaCommand,
}

#[derive(Debug, Subcommand)]
enum SchemaCommand {
    /// Print one version's schema text (default: the latest).
    Get {
        subject: String,
        version: Option<String>,
    },
    /// A unified diff of two versions' pretty-printed schemas.
    Diff {
        subject: String,
        v1: String,
        v2: String,
    },
}

#[derive(Debug, Args)]
pub struct ConfigArgs {
    #[command(flatten)]
    registry: RegistryArgs,
    #[command(subcommand)]
    command: ConfigCommand,
}

#[derive(Debug, Subcommand)]
enum ConfigCommand {
    /// Print the global level, or a subject's (falling back to the global one).
    Get { subject: Option<String> },
    /// Set the global level, or a subject's with --subject.
    Set {
        level: String,
        #[arg(long)]
        subject: Option<String>,
    },
}

#[derive(Debug, Args)]
pub struct ModeArgs {
    #[command(flatten)]
    registry: RegistryArgs,
    #[command(subcommand)]
    command: ModeCommand,
}

#[derive(Debug, Subcommand)]
enum ModeCommand {
    /// Print the global mode, or a subject's.
    Get { subject: Option<String> },
    /// Set the mode (READWRITE, READONLY, IMPORT), globally or with --subject.
    Set {
        mode: String,
        #[arg(long)]
        subject: Option<String>,
        /// Allow IMPORT on a registry that has schemas.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Debug, Args)]
pub struct DeleteArgs {
    #[command(flatten)]
    registry: RegistryArgs,
    subject: String,
    /// One version (default: the whole subject).
    version: Option<String>,
    /// Hard delete (the version or subject must be soft-deleted first; this does both).
    #[arg(long)]
    permanent: bool,
}

fn print_json(v: &Value) {
    println!("{}", serde_json::to_string_pretty(v).unwrap_or_default());
}

/// Registers every schema of the project, references first, skipping what is already registered.
pub fn register(args: RegisterArgs) -> anyhow::Result<ExitCode> {
    let client = Client::new(&args.registry)?;
    let cwd = PathBuf::from(".");
    let project = Project::load(&cwd, args.config.as_deref())?;
    let snap = tree::from_dir(&cwd, &project)?;
    // Subjects and references first (parsing each file once), then a depth-first order over references.
    let roots = &project.file.proto.roots;
    let mut subjects = std::collections::BTreeMap::new();
    let mut names = std::collections::BTreeMap::new();
    let mut deps: std::collections::BTreeMap<String, Vec<(String, String)>> = Default::default();
    let mut modules = std::collections::BTreeMap::new();
    for s in &snap.schemas {
        let name = match s.kind {
            Kind::Avro => avro_name(&parse_avro(
                &snap,
                s,
                &snap.texts[&s.path],
                ParseOptions::strict(),
                "",
            )?),
            Kind::Protobuf => {
                let (root, module_path) = s.module_path(roots);
                if !modules.contains_key(&root) {
                    let label = if root == "." {
                        String::new()
                    } else {
                        format!("{root}/")
                    };
                    let m = compile_module(&module_files(&snap, &root, roots), &label)?;
                    modules.insert(root.clone(), m);
                }
                let module = &modules[&root];
                let file = module
                    .file_by_path(&module_path)
                    .with_context(|| format!("{}: not compiled", s.path))?;
                // Imports of other project files become references named by their import path.
                let list = file
                    .dependencies
                    .iter()
                    .filter_map(|d| {
                        let path = if root == "." {
                            d.path.clone()
                        } else {
                            format!("{root}/{}", d.path)
                        };
                        snap.schema(&path).map(|_| (path, d.path.clone()))
                    })
                    .collect();
                deps.insert(s.path.clone(), list);
                None
            }
        };
        names.insert(
            s.path.clone(),
            name.clone().unwrap_or_else(|| s.path.clone()),
        );
        subjects.insert(s.path.clone(), s.subject(name.as_deref()));
    }
    crate::project::ensure_distinct_subjects(
        subjects
            .iter()
            .map(|(path, subject)| (path.as_str(), subject.as_str())),
    )?;
    for s in snap.schemas.iter().filter(|s| s.kind == Kind::Avro) {
        let mut list = Vec::new();
        for r in &s.references {
            let name = names.get(r).with_context(|| {
                format!("{}: reference {r} is not a schema of the project", s.path)
            })?;
            list.push((r.clone(), name.clone()));
        }
        deps.insert(s.path.clone(), list);
    }
    let mut order = Vec::new();
    let mut state = std::collections::BTreeMap::new();
    fn visit<'a>(
        path: &'a str,
        deps: &'a std::collections::BTreeMap<String, Vec<(String, String)>>,
        state: &mut std::collections::BTreeMap<&'a str, bool>,
        order: &mut Vec<&'a str>,
    ) -> anyhow::Result<()> {
        match state.get(path) {
            Some(true) => return Ok(()),
            Some(false) => bail!("reference cycle through {path}"),
            None => {}
        }
        state.insert(path, false);
        for (r, _) in deps.get(path).map(Vec::as_slice).unwrap_or_default() {
            visit(r, deps, state, order)?;
        }
        state.insert(path, true);
        order.push(path);
        Ok(())
    }
    for s in &snap.schemas {
        visit(&s.path, &deps, &mut state, &mut order)?;
    }
    let mut versions: std::collections::BTreeMap<&str, i64> = Default::default();
    for path in order {
        let schema = snap.schema(path).context("schema vanished")?;
        let subject = &subjects[path];
        let mut refs = Vec::new();
        for (r, name) in deps.get(path).map(Vec::as_slice).unwrap_or_default() {
            refs.push(json!({
                "name": name,
                "subject": subjects[r],
                "version": versions.get(r.as_str()).copied().unwrap_or(1),
            }));
        }
        let body = schema_body(&snap.texts[path], schema.kind.registry_type(), &refs);
        match client.lookup(subject, &body)? {
            Some((id, version)) => {
                versions.insert(path, version);
                println!("{path}: {subject} version {version} (id {id}), unchanged");
            }
            None if args.dry_run => {
                versions.insert(path, 1);
                println!("{path}: would register under {subject}");
            }
            None => {
                let id = client.register(subject, &body)?;
                let (_, version) = client
                    .lookup(subject, &body)?
                    .with_context(|| format!("{subject}: registered schema not found"))?;
                versions.insert(path, version);
                println!("{path}: registered {subject} version {version} (id {id})");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn subjects(args: SubjectsArgs) -> anyhow::Result<ExitCode> {
    let client = Client::new(&args.registry)?;
    for s in client.subjects(args.deleted)? {
        println!("{s}");
    }
    Ok(ExitCode::SUCCESS)
}

/// Pretty-prints a schema's text: JSON (Avro, JSON Schema) is re-indented keeping the key order as written, so
/// a diff shows fields where the author put them; .proto text is kept.
fn pretty(text: &str) -> String {
    if serde_json::from_str::<Value>(text).is_err() {
        return text.to_owned();
    }
    let mut out = String::new();
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let mut chars = text.chars().peekable();
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        out.push_str(&"  ".repeat(depth));
    };
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '{' | '[' => {
                out.push(c);
                while chars.peek().is_some_and(|c| c.is_whitespace()) {
                    chars.next();
                }
                if matches!(chars.peek(), Some('}' | ']')) {
                    continue;
                }
                depth += 1;
                newline(&mut out, depth);
            }
            '}' | ']' => {
                if !(out.ends_with('{') || out.ends_with('[')) {
                    depth = depth.saturating_sub(1);
                    newline(&mut out, depth);
                }
                out.push(c);
            }
            ',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            c if c.is_whitespace() => {}
            c => out.push(c),
        }
    }
    out.push('\n');
    out
}

pub fn schema(args: SchemaArgs) -> anyhow::Result<ExitCode> {
    let client = Client::new(&args.registry)?;
    match args.command {
        SchemaCommand::Get { subject, version } => {
            let v = client.version(&subject, version.as_deref().unwrap_or("latest"), false)?;
            print!("{}", pretty(v["schema"].as_str().unwrap_or_default()));
        }
        SchemaCommand::Diff { subject, v1, v2 } => {
            let a = client.version(&subject, &v1, true)?;
            let b = client.version(&subject, &v2, true)?;
            let (a, b) = (
                pretty(a["schema"].as_str().unwrap_or_default()),
                pretty(b["schema"].as_str().unwrap_or_default()),
            );
            let diff = similar::TextDiff::from_lines(&a, &b);
            print!(
                "{}",
                diff.unified_diff().context_radius(3).header(
                    &format!("{subject} version {v1}"),
                    &format!("{subject} version {v2}")
                )
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn config(args: ConfigArgs) -> anyhow::Result<ExitCode> {
    let client = Client::new(&args.registry)?;
    match args.command {
        ConfigCommand::Get { subject } => println!("{}", client.level(subject.as_deref())?),
        ConfigCommand::Set { level, subject } => {
            let path =
                subject.map_or_else(|| "/config".to_owned(), |s| format!("/config/{}", seg(&s)));
            let v = client
                .call("PUT", &path, Some(&json!({ "compatibility": level })))?
                .context("config: not found")?;
            print_json(&v);
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn mode(args: ModeArgs) -> anyhow::Result<ExitCode> {
    let client = Client::new(&args.registry)?;
    match args.command {
        ModeCommand::Get { subject } => {
            let path = subject.map_or_else(
                || "/mode".to_owned(),
                |s| format!("/mode/{}?defaultToGlobal=true", seg(&s)),
            );
            let v = client.get_found(&path, "mode")?;
            println!("{}", v["mode"].as_str().context("unexpected /mode answer")?);
        }
        ModeCommand::Set {
            mode,
            subject,
            force,
        } => {
            let mut path =
                subject.map_or_else(|| "/mode".to_owned(), |s| format!("/mode/{}", seg(&s)));
            if force {
                path.push_str("?force=true");
            }
            let v = client
                .call("PUT", &path, Some(&json!({ "mode": mode })))?
                .context("mode: not found")?;
            print_json(&v);
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn delete(args: DeleteArgs) -> anyhow::Result<ExitCode> {
    let client = Client::new(&args.registry)?;
    let base = match &args.version {
        Some(v) => format!("/subjects/{}/versions/{}", seg(&args.subject), seg(v)),
        None => format!("/subjects/{}", seg(&args.subject)),
    };
    let what = match &args.version {
        Some(v) => format!("subject {} version {v}", args.subject),
        None => format!("subject {}", args.subject),
    };
    // A permanent delete needs a soft delete first; one already done is not an error.
    let soft = client.call("DELETE", &base, None);
    if !args.permanent {
        let v = soft?.with_context(|| format!("{what}: not found"))?;
        println!("soft-deleted {what}: {v}");
        return Ok(ExitCode::SUCCESS);
    }
    let v = client
        .call("DELETE", &format!("{base}?permanent=true"), None)?
        .with_context(|| format!("{what}: not found"))?;
    println!("permanently deleted {what}: {v}");
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::pretty;

    #[test]
    fn pretty_keeps_key_order_and_strings() {
        let text = r#"{"type":"record","name":"A","fields":[{"name":"x, y","type":"string","doc":"a \"q\" {"}],"aliases":[]}"#;
        assert_eq!(
            pretty(text),
            "{\n  \"type\": \"record\",\n  \"name\": \"A\",\n  \"fields\": [\n    {\n      \"name\": \"x, y\",\n      \"type\": \"string\",\n      \"doc\": \"a \\\"q\\\" {\"\n    }\n  ],\n  \"aliases\": []\n}\n"
        );
        assert_eq!(pretty("syntax = \"proto3\";\n"), "syntax = \"proto3\";\n");
    }
}
