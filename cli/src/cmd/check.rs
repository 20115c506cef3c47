//! `herald check`: every changed schema of the project, in one run, against a git revision, a directory or the
//! live registry.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Args;
use herald_compat::proto::{Ignore, Options};
use herald_compat::{CompatibilityLevel, Violation};
use herald_schema::avro::{AvroSchema, ParseOptions, Parser};
use herald_schema::proto::{FileSource, Module, compile};

use crate::output::{self, CheckFormat, Finding};
use crate::project::{Kind, Project, Schema};
use crate::registry::{Client, RegistryArgs};
use crate::tree::{self, Snapshot};

pub const EXAMPLES: &str = "Examples:
  herald check --against-git main
  herald check --against-git origin/main --output github
  herald check --against-dir ../released-schemas --output sarif > herald.sarif
  herald check --registry http://localhost:8081 --output json";

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Compare with this git revision of the current repository (a branch, tag or commit).
    #[arg(long, value_name = "REF", group = "against")]
    against_git: Option<String>,
    /// Compare with the same paths under this directory.
    #[arg(long, value_name = "DIR", group = "against")]
    against_dir: Option<PathBuf>,
    /// Compare with each subject's full history and configured level in this registry (used when neither
    /// --against-git nor --against-dir is given).
    #[arg(long, value_name = "URL", env = "HERALD_REGISTRY_URL")]
    registry: Option<String>,
    #[arg(long, env = "HERALD_REGISTRY_USER", requires = "password")]
    user: Option<String>,
    #[arg(long, env = "HERALD_REGISTRY_PASSWORD", hide_env_values = true)]
    password: Option<String>,
    #[arg(long, env = "HERALD_REGISTRY_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// PEM file of certificate authorities to trust for an `https://` registry, besides the system's.
    #[arg(long, env = "HERALD_REGISTRY_CA_CERT", value_name = "FILE")]
    ca_cert: Option<PathBuf>,
    /// PEM file with a client certificate chain and its private key (mutual TLS).
    #[arg(long, env = "HERALD_REGISTRY_CLIENT_CERT", value_name = "FILE")]
    client_cert: Option<PathBuf>,
    /// The project file (default: ./herald.yaml if present).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    output: CheckFormat,
}

pub fn run(args: CheckArgs) -> anyhow::Result<ExitCode> {
    let cwd = PathBuf::from(".");
    let project = Project::load(&cwd, args.config.as_deref())?;
    let new = tree::from_dir(&cwd, &project)?;
    let (findings, checked) = if let Some(rev) = &args.against_git {
        let old = tree::from_git(&cwd, rev, &project)?;
        against_snapshot(&project, &new, &old, &format!("{rev}:"))?
    } else if let Some(dir) = &args.against_dir {
        let old = tree::from_dir(dir, &project)?;
        against_snapshot(&project, &new, &old, &format!("{}/", dir.display()))?
    } else if let Some(url) = &args.registry {
        let client = Client::new(&RegistryArgs {
            registry: Some(url.clone()),
            user: args.user.clone(),
            password: args.password.clone(),
            token: args.token.clone(),
            ca_cert: args.ca_cert.clone(),
            client_cert: args.client_cert.clone(),
        })?;
        against_registry(&project, &new, &client)?
    } else {
        bail!("say what to compare with: --against-git REF, --against-dir DIR or --registry URL");
    };
    print!(
        "{}",
        output::render_findings(&findings, args.output, checked)
    );
    Ok(if findings.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Parses an Avro schema with its references (read from the same snapshot).
pub fn parse_avro(
    snap: &Snapshot,
    schema: &Schema,
    text: &str,
    options: ParseOptions,
    origin: &str,
) -> anyhow::Result<AvroSchema> {
    let mut parser = Parser::new(options);
    for r in &schema.references {
        let t = snap
            .texts
            .get(r)
            .with_context(|| format!("{origin}{}: reference {r} not found", schema.path))?;
        parser = parser.reference(t);
    }
    parser.parse(text).map_err(|err| {
        let lines: Vec<String> = err
            .diagnostics
            .iter()
            .map(|d| match d.line_col {
                Some(lc) => format!(
                    "{origin}{}:{}:{}: {}",
                    schema.path, lc.line, lc.column, d.message
                ),
                None => format!("{origin}{}: {}", schema.path, d.message),
            })
            .collect();
        anyhow::anyhow!("invalid Avro schema\n{}", lines.join("\n"))
    })
}

fn finding(v: &Violation, file: String, subject: &str, context: String) -> Finding {
    let (line, column) = v.location.map_or((1, 1), |l| (l.line, l.column));
    Finding {
        file,
        line,
        column,
        subject: subject.to_owned(),
        rule: v.rule.to_owned(),
        path: v.path.clone(),
        message: v.message.clone(),
        context,
    }
}

pub struct MapSource<'a>(pub BTreeMap<String, &'a str>);

impl FileSource for MapSource<'_> {
    fn load(&self, path: &str) -> Option<String> {
        self.0.get(path).map(|s| (*s).to_owned())
    }
}

/// The .proto files of a snapshot under one root, keyed by module path.
pub fn module_files<'a>(snap: &'a Snapshot, root: &str, roots: &[String]) -> MapSource<'a> {
    MapSource(
        snap.schemas
            .iter()
            .filter(|s| s.kind == Kind::Protobuf)
            .filter_map(|s| {
                let (r, module_path) = s.module_path(roots);
                (r == root).then(|| (module_path, snap.texts[&s.path].as_str()))
            })
            .collect(),
    )
}

pub fn compile_module(source: &MapSource, label: &str) -> anyhow::Result<Module> {
    let entries: Vec<&str> = source.0.keys().map(String::as_str).collect();
    compile(source, &entries).map_err(|diags| {
        let lines: Vec<String> = diags
            .errors
            .iter()
            .map(|d| {
                format!(
                    "{label}{}:{}:{}: {}",
                    d.file, d.start.line, d.start.column, d.message
                )
            })
            .collect();
        anyhow::anyhow!("invalid protobuf module\n{}", lines.join("\n"))
    })
}

fn proto_options(project: &Project, rules: &[String]) -> anyhow::Result<Options> {
    let mut except = Vec::new();
    let mut paths = Vec::new();
    for name in &project.file.proto.ignore {
        if Options::from_names(&[name.as_str()], &[]).is_ok() {
            except.push(name.clone());
        } else {
            paths.push(name.trim_end_matches('/').to_owned());
        }
    }
    Ok(Options::from_names(rules, &except)?.with_ignore(Ignore {
        paths,
        only: Vec::new(),
        unstable_packages: project.file.proto.ignore_unstable_packages,
    }))
}

fn joined(root: &str, file: &str) -> String {
    if root == "." {
        file.to_owned()
    } else {
        format!("{root}/{file}")
    }
}

/// Offline: every schema present in both snapshots whose text changed (Avro), and every protobuf module root
/// (buf-style, so deleted files and moved types are seen).
fn against_snapshot(
    project: &Project,
    new: &Snapshot,
    old: &Snapshot,
    origin: &str,
) -> anyhow::Result<(Vec<Finding>, usize)> {
    let mut findings = Vec::new();
    let mut checked = 0;
    for schema in new.schemas.iter().filter(|s| s.kind == Kind::Avro) {
        let (Some(old_text), Some(_)) = (old.texts.get(&schema.path), old.schema(&schema.path))
        else {
            continue;
        };
        let text = &new.texts[&schema.path];
        if old_text == text {
            continue;
        }
        checked += 1;
        let level = schema.level.unwrap_or(project.level);
        let parsed = parse_avro(new, schema, text, ParseOptions::strict(), "")?;
        let previous = parse_avro(old, schema, old_text, ParseOptions::lenient(), origin)?;
        let subject = schema.subject(avro_name(&parsed).as_deref());
        let report = herald_compat::avro::check(level, &parsed, &[&previous]);
        for v in &report.violations {
            let ctx = format!("{} against {origin}{}", v.direction.as_str(), schema.path);
            findings.push(finding(v, schema.path.clone(), &subject, ctx));
        }
    }
    let roots = &project.file.proto.roots;
    let rules: Vec<String> = if project.file.proto.rules.is_empty() {
        vec!["FILE".to_owned()]
    } else {
        project.file.proto.rules.clone()
    };
    for root in roots {
        let new_files = module_files(new, root, roots);
        let old_files = module_files(old, root, roots);
        if old_files.0.is_empty() || new_files.0 == old_files.0 {
            continue;
        }
        checked += new_files
            .0
            .iter()
            .filter(|(p, t)| old_files.0.get(*p) != Some(*t))
            .count()
            + old_files
                .0
                .keys()
                .filter(|p| !new_files.0.contains_key(*p))
                .count();
        let label = if root == "." {
            String::new()
        } else {
            format!("{root}/")
        };
        let new_module = compile_module(&new_files, &label)?;
        let old_module = compile_module(&old_files, &format!("{origin}{label}"))?;
        let options = proto_options(project, &rules)?;
        let report = herald_compat::proto::check(
            CompatibilityLevel::Backward,
            &new_module,
            &[&old_module],
            &options,
        );
        for v in &report.violations {
            let file = v.file.clone().unwrap_or_default();
            let shown = if v.in_previous {
                format!("{origin}{}", joined(root, &file))
            } else {
                joined(root, &file)
            };
            let subject = new
                .schema(&joined(root, &file))
                .or_else(|| old.schema(&joined(root, &file)))
                .map(|s| s.subject(None))
                .unwrap_or_default();
            let ctx = format!(
                "{} rules against {origin}{}",
                rules.join(","),
                joined(root, "")
            );
            findings.push(finding(
                v,
                shown,
                &subject,
                ctx.trim_end_matches('/').to_owned(),
            ));
        }
    }
    Ok((findings, checked))
}

/// The full name of an Avro schema's root named type.
pub fn avro_name(schema: &AvroSchema) -> Option<String> {
    schema.kind(schema.root()).name().map(|n| n.full_name())
}

/// Against a registry: each subject's level (with the global fallback) and every live version, checked here with
/// the same engine the registry uses, so violations keep this repository's file:line.
fn against_registry(
    project: &Project,
    new: &Snapshot,
    client: &Client,
) -> anyhow::Result<(Vec<Finding>, usize)> {
    let mut findings = Vec::new();
    let mut checked = 0;
    let roots = &project.file.proto.roots;
    let mut modules: BTreeMap<String, Module> = BTreeMap::new();
    let mut subjects: BTreeMap<String, String> = BTreeMap::new();
    for schema in &new.schemas {
        let text = &new.texts[&schema.path];
        let (subject, parsed_avro) = match schema.kind {
            Kind::Avro => {
                let parsed = parse_avro(new, schema, text, ParseOptions::strict(), "")?;
                (schema.subject(avro_name(&parsed).as_deref()), Some(parsed))
            }
            Kind::Protobuf => (schema.subject(None), None),
        };
        if let Some(first) = subjects.insert(subject.clone(), schema.path.clone()) {
            crate::project::ensure_distinct_subjects([
                (first.as_str(), subject.as_str()),
                (schema.path.as_str(), subject.as_str()),
            ])?;
        }
        let versions = client.versions(&subject, false)?;
        if versions.is_empty() {
            continue;
        }
        let level: CompatibilityLevel = client
            .level(Some(&subject))?
            .parse()
            .map_err(|e| anyhow::anyhow!("subject {subject}: {e}"))?;
        let level = schema.level.unwrap_or(level);
        let mut history_texts = Vec::new();
        for v in &versions {
            let body = client.version(&subject, &v.to_string(), false)?;
            history_texts.push((*v, body["schema"].as_str().unwrap_or_default().to_owned()));
        }
        checked += 1;
        let origin = |v: i64| format!("{subject} version {v}");
        match parsed_avro {
            Some(parsed) => {
                let mut history = Vec::new();
                for (v, t) in &history_texts {
                    history.push(parse_avro(
                        new,
                        schema,
                        t,
                        ParseOptions::lenient(),
                        &format!("{}: ", origin(*v)),
                    )?);
                }
                let refs: Vec<&AvroSchema> = history.iter().collect();
                let report = herald_compat::avro::check(level, &parsed, &refs);
                for v in &report.violations {
                    let against = v
                        .against
                        .map(|i| origin(history_texts[i].0))
                        .unwrap_or_default();
                    let ctx = format!("{} under {level} against {against}", v.direction.as_str());
                    findings.push(finding(v, schema.path.clone(), &subject, ctx));
                }
            }
            None => {
                let (root, module_path) = schema.module_path(roots);
                if !modules.contains_key(&root) {
                    let label = if root == "." {
                        String::new()
                    } else {
                        format!("{root}/")
                    };
                    let m = compile_module(&module_files(new, &root, roots), &label)?;
                    modules.insert(root.clone(), m);
                }
                let new_module = &modules[&root];
                // Earlier versions: the registry's text as this file, imports from this repository.
                let mut history = Vec::new();
                for (v, t) in &history_texts {
                    let mut files = module_files(new, &root, roots);
                    files.0.insert(module_path.clone(), t.as_str());
                    history.push(compile_module(&files, &format!("{}: ", origin(*v)))?);
                }
                let rules = if schema.rules.is_empty() {
                    vec!["CONFLUENT".to_owned()]
                } else {
                    schema.rules.clone()
                };
                let options = proto_options(project, &rules)?.with_root(module_path.clone());
                let refs: Vec<&Module> = history.iter().collect();
                let report = herald_compat::proto::check(level, new_module, &refs, &options);
                for v in &report.violations {
                    let against = v
                        .against
                        .map(|i| origin(history_texts[i].0))
                        .unwrap_or_default();
                    let file = v
                        .file
                        .clone()
                        .map_or_else(|| schema.path.clone(), |f| joined(&root, &f));
                    let ctx = format!(
                        "{} under {level} ({}) against {against}",
                        v.direction.as_str(),
                        rules.join(",")
                    );
                    findings.push(finding(v, file, &subject, ctx));
                }
            }
        }
    }
    Ok((findings, checked))
}
