//! `herald compat`: checks a new schema (an Avro file, a .proto file or a .proto module root) against earlier
//! versions, and `herald compat rules` lists the rules.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Args, Subcommand, ValueEnum};
use herald_compat::CompatibilityLevel;
use herald_compat::proto::{Ignore, Options};
use herald_schema::avro::{AvroSchema, ParseOptions, Parser};
use herald_schema::proto::{FileSource, Module, compile};

use crate::output::{self, OutputFormat};

pub const EXAMPLES: &str = "Examples:
  herald compat --type avro --level BACKWARD --old v1.avsc --new v2.avsc
  herald compat --level FULL_TRANSITIVE --old v1.avsc --old v2.avsc --new v3.avsc --output json
  herald compat --type protobuf --rules WIRE --old old/proto --new proto
  herald compat --type protobuf --rules CONFLUENT --level FULL --old v1/order.proto --new order.proto
  herald compat --type protobuf --ignore FIELD_SAME_JSON_NAME --ignore shop/v1alpha1 --old a --new b --output github
  herald compat rules --type protobuf";

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct CompatArgs {
    #[command(subcommand)]
    command: Option<CompatCommand>,

    /// Schema format (default: from the path: .avsc is Avro; .proto files and directories are protobuf).
    #[arg(long = "type", value_enum)]
    schema_type: Option<SchemaType>,

    /// Protobuf rules: a category (FILE, PACKAGE, WIRE_JSON, WIRE, CONFLUENT) or rule ids, repeatable. Default:
    /// FILE, buf's default (the strictest: no source-code breaking change per file). Registry subjects use CONFLUENT.
    #[arg(long = "rules", value_name = "SET")]
    rules: Vec<String>,

    /// Protobuf: leave out a rule id or category, or every finding under a path (a file, a directory, or an element
    /// such as shop.v1.Order). Repeatable.
    #[arg(long = "ignore", value_name = "RULE_ID|PATH")]
    ignore: Vec<String>,

    /// Protobuf: ignore findings in packages with an unstable version (v1alpha1, v1beta1, v1test), as buf's
    /// ignore_unstable_packages.
    #[arg(long)]
    ignore_unstable_packages: bool,

    /// Protobuf, CONFLUENT: the subject's root file, relative to the module roots (default: every .proto file of
    /// the old version, or the file itself when PATH is a file).
    #[arg(long, value_name = "FILE")]
    root: Option<String>,

    /// Compatibility level: BACKWARD, BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, FULL, FULL_TRANSITIVE or NONE.
    #[arg(long, default_value = "BACKWARD")]
    level: CompatibilityLevel,

    /// An earlier version; repeat for a history, oldest first. Non-transitive levels check the last one. For
    /// protobuf, a .proto file or a module root directory (every .proto file under it).
    #[arg(long = "old", required = true, value_name = "PATH")]
    old: Vec<PathBuf>,

    /// The new version to check: a file, or for protobuf a module root directory.
    #[arg(long = "new", required = true, value_name = "PATH")]
    new: Option<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    output: OutputFormat,
}

#[derive(Debug, Subcommand)]
enum CompatCommand {
    /// List every compatibility rule with its id, categories and purpose.
    Rules {
        /// Only the rules of this format.
        #[arg(long = "type", value_enum)]
        schema_type: Option<SchemaType>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SchemaType {
    Avro,
    Protobuf,
}

pub fn run(args: CompatArgs) -> anyhow::Result<ExitCode> {
    if let Some(CompatCommand::Rules { schema_type }) = args.command {
        print!(
            "{}",
            output::rules_table(schema_type.map(|t| match t {
                SchemaType::Avro => herald_compat::rules::Format::Avro,
                SchemaType::Protobuf => herald_compat::rules::Format::Protobuf,
            }))
        );
        return Ok(ExitCode::SUCCESS);
    }
    let Some(new_path) = args.new else {
        bail!("--new is required");
    };
    let schema_type = match args.schema_type {
        Some(t) => t,
        None => infer_type(&new_path)?,
    };
    match schema_type {
        SchemaType::Protobuf => run_protobuf(
            &args.old,
            &new_path,
            args.level,
            &args.rules,
            &args.ignore,
            args.ignore_unstable_packages,
            args.root,
            args.output,
        ),
        SchemaType::Avro => {
            if !args.rules.is_empty() || !args.ignore.is_empty() || args.root.is_some() {
                bail!("--rules, --ignore and --root apply to --type protobuf only");
            }
            // The new schema is validated as a schema being registered is; earlier versions as stored ones.
            let new = read_avro(&new_path, ParseOptions::strict())?;
            let history = args
                .old
                .iter()
                .map(|p| read_avro(p, ParseOptions::lenient()))
                .collect::<anyhow::Result<Vec<_>>>()?;
            let refs: Vec<&AvroSchema> = history.iter().collect();
            let report = herald_compat::avro::check(args.level, &new, &refs);
            let old_names: Vec<String> = args.old.iter().map(|p| p.display().to_string()).collect();
            let rendered = output::render_report(
                &report,
                args.output,
                &new_path.display().to_string(),
                &old_names,
                args.level,
                None,
            );
            print!("{rendered}");
            Ok(if report.compatible {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
    }
}

fn infer_type(path: &Path) -> anyhow::Result<SchemaType> {
    if path.is_dir() {
        return Ok(SchemaType::Protobuf);
    }
    match path.extension().and_then(|e| e.to_str()) {
        Some("avsc" | "json") => Ok(SchemaType::Avro),
        Some("proto") => Ok(SchemaType::Protobuf),
        _ => bail!(
            "cannot tell the schema type of {}: pass --type avro or --type protobuf",
            path.display()
        ),
    }
}

#[allow(clippy::too_many_arguments)]
fn run_protobuf(
    old_paths: &[PathBuf],
    new_path: &Path,
    level: CompatibilityLevel,
    rules: &[String],
    ignore: &[String],
    ignore_unstable_packages: bool,
    root: Option<String>,
    output: OutputFormat,
) -> anyhow::Result<ExitCode> {
    let uses: Vec<String> = if rules.is_empty() {
        vec!["FILE".to_owned()]
    } else {
        rules.to_vec()
    };
    let mut except = Vec::new();
    let mut paths = Vec::new();
    for name in ignore {
        if Options::from_names(&[name.as_str()], &[]).is_ok() {
            except.push(name.clone());
        } else {
            paths.push(name.trim_end_matches('/').to_owned());
        }
    }
    let mut options = Options::from_names(&uses, &except)?.with_ignore(Ignore {
        paths,
        only: Vec::new(),
        unstable_packages: ignore_unstable_packages,
    });
    let (new_root, new_module, new_entry) = read_proto(new_path, None)?;
    let mut history = Vec::new();
    let mut old_roots = Vec::new();
    for p in old_paths {
        // A single old file is compiled under the new file's name, so `--old v1/order-v1.proto --new order.proto`
        // compares the two as versions of one file.
        let alias = new_entry.as_deref().filter(|_| p.is_file());
        let (root, module, _) = read_proto(p, alias)?;
        old_roots.push(root);
        history.push(module);
    }
    if let Some(root) = root.or(new_entry) {
        options = options.with_root(root);
    }
    let refs: Vec<&Module> = history.iter().collect();
    let report = herald_compat::proto::check(level, &new_module, &refs, &options);
    let old_names: Vec<String> = old_paths.iter().map(|p| p.display().to_string()).collect();
    let context = output::ModuleRoots {
        new: new_root,
        old: old_roots,
        rules: uses.join(","),
    };
    print!(
        "{}",
        output::render_report(
            &report,
            output,
            &new_path.display().to_string(),
            &old_names,
            level,
            Some(&context),
        )
    );
    Ok(if report.compatible {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Import paths resolved against a directory on disk (the module root); `alias` maps one module path to another
/// file name.
struct DiskSource {
    root: PathBuf,
    alias: Option<(String, String)>,
}

impl FileSource for DiskSource {
    fn load(&self, path: &str) -> Option<String> {
        if path.split('/').any(|part| part == "..") {
            return None;
        }
        let path = match &self.alias {
            Some((module_path, real)) if module_path == path => real.as_str(),
            _ => path,
        };
        std::fs::read_to_string(self.root.join(path)).ok()
    }
}

fn proto_files(root: &Path, dir: &Path, out: &mut Vec<String>) -> anyhow::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .with_context(|| format!("cannot read {}", dir.display()))?;
    entries.sort();
    for p in entries {
        if p.is_dir() {
            proto_files(root, &p, out)?;
        } else if p.extension().is_some_and(|e| e == "proto")
            && let Ok(rel) = p.strip_prefix(root)
        {
            out.push(rel.to_string_lossy().replace('\\', "/"));
        }
    }
    Ok(())
}

/// Compiles a .proto file (its directory is the import root; compiled as `alias` if given) or every .proto file
/// under a module root. Returns the root, the module, and the entry file's module path when `path` is a file.
fn read_proto(
    path: &Path,
    alias: Option<&str>,
) -> anyhow::Result<(output::Root, Module, Option<String>)> {
    let (root, entries, single) = if path.is_dir() {
        let mut entries = Vec::new();
        proto_files(path, path, &mut entries)?;
        if entries.is_empty() {
            bail!("{}: no .proto files under this directory", path.display());
        }
        (path.to_path_buf(), entries, None)
    } else {
        if !path.is_file() {
            bail!("cannot read {}: no such file or directory", path.display());
        }
        let root = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let entry = alias.map_or_else(|| name.clone(), str::to_owned);
        (root, vec![entry.clone()], Some((entry, name)))
    };
    let source = DiskSource {
        root: root.clone(),
        alias: single.clone().filter(|(entry, name)| entry != name),
    };
    let entry_refs: Vec<&str> = entries.iter().map(String::as_str).collect();
    let module = compile(&source, &entry_refs).map_err(|diags| {
        let lines: Vec<String> = diags
            .errors
            .iter()
            .map(|d| {
                let file = match &single {
                    Some((entry, name)) if *entry == d.file => name.clone(),
                    _ => d.file.clone(),
                };
                format!(
                    "{}:{}:{}: {}",
                    root.join(file).display(),
                    d.start.line,
                    d.start.column,
                    d.message
                )
            })
            .collect();
        anyhow::anyhow!(
            "invalid protobuf module {}\n{}",
            path.display(),
            lines.join("\n")
        )
    })?;
    let shown = output::Root {
        dir: root.display().to_string(),
        alias: single.clone().filter(|(entry, name)| entry != name),
    };
    Ok((shown, module, single.map(|(entry, _)| entry)))
}

fn read_avro(path: &Path, options: ParseOptions) -> anyhow::Result<AvroSchema> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    Parser::new(options).parse(&text).map_err(|err| {
        let lines: Vec<String> = err
            .diagnostics
            .iter()
            .map(|d| match d.line_col {
                Some(lc) => format!(
                    "{}:{}:{}: {}",
                    path.display(),
                    lc.line,
                    lc.column,
                    d.message
                ),
                None => format!("{}: {}", path.display(), d.message),
            })
            .collect();
        anyhow::anyhow!("invalid Avro schema\n{}", lines.join("\n"))
    })
}
