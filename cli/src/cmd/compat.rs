//! `herald compat`: checks a new schema file against earlier versions, and `herald compat rules` lists the rules.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Args, Subcommand, ValueEnum};
use herald_compat::CompatibilityLevel;
use herald_schema::avro::{AvroSchema, ParseOptions, Parser};

use crate::output::{self, OutputFormat};

pub const EXAMPLES: &str = "Examples:
  herald compat --type avro --level BACKWARD --old v1.avsc --new v2.avsc
  herald compat --level FULL_TRANSITIVE --old v1.avsc --old v2.avsc --new v3.avsc --output json
  herald compat rules";

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct CompatArgs {
    #[command(subcommand)]
    command: Option<CompatCommand>,

    /// Schema format (default: from the file extension, .avsc is Avro).
    #[arg(long = "type", value_enum)]
    schema_type: Option<SchemaType>,

    /// Compatibility level: BACKWARD, BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, FULL, FULL_TRANSITIVE or NONE.
    #[arg(long, default_value = "BACKWARD")]
    level: CompatibilityLevel,

    /// An earlier version; repeat for a history, oldest first. Non-transitive levels check the last one.
    #[arg(long = "old", required = true, value_name = "FILE")]
    old: Vec<PathBuf>,

    /// The new version to check.
    #[arg(long = "new", required = true, value_name = "FILE")]
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
}

pub fn run(args: CompatArgs) -> anyhow::Result<ExitCode> {
    if let Some(CompatCommand::Rules { schema_type }) = args.command {
        print!(
            "{}",
            output::rules_table(schema_type.map(|t| match t {
                SchemaType::Avro => herald_compat::rules::Format::Avro,
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
        SchemaType::Avro => {
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
    match path.extension().and_then(|e| e.to_str()) {
        Some("avsc" | "json") => Ok(SchemaType::Avro),
        _ => bail!(
            "cannot tell the schema type of {}: pass --type avro",
            path.display()
        ),
    }
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
