//! The `herald` binary: argument parsing and output only; the work is done by the library crates.

mod cmd;
mod output;
mod project;
mod registry;
mod tree;

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

/// Herald: a schema registry and compatibility checker for event-driven systems.
#[derive(Debug, Parser)]
#[command(name = "herald", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check a new schema against earlier versions, offline.
    ///
    /// Exit status: 0 compatible, 1 incompatible, 2 invalid input or usage.
    #[command(after_help = cmd::compat::EXAMPLES)]
    Compat(cmd::compat::CompatArgs),
    /// Run the schema registry (the Confluent Schema Registry REST API).
    ///
    /// Serves until SIGINT or SIGTERM, then finishes in-flight requests and exits.
    #[command(after_help = cmd::serve::EXAMPLES)]
    Serve(cmd::serve::ServeArgs),
    /// Check every changed schema of the project against a git revision, a directory or a registry.
    ///
    /// The project is ./herald.yaml, or every .avsc and .proto file when there is none.
    /// Exit status: 0 compatible, 1 incompatible, 2 invalid input or usage.
    #[command(after_help = cmd::check::EXAMPLES)]
    Check(cmd::check::CheckArgs),
    /// Register the project's schemas in dependency order (idempotent).
    #[command(after_help = cmd::registry::EXAMPLES_REGISTER)]
    Register(cmd::registry::RegisterArgs),
    /// List a registry's subjects.
    #[command(after_help = cmd::registry::EXAMPLES_SUBJECTS)]
    Subjects(cmd::registry::SubjectsArgs),
    /// Print or diff registered schemas.
    #[command(after_help = cmd::registry::EXAMPLES_SCHEMA)]
    Schema(cmd::registry::SchemaArgs),
    /// Read or set compatibility levels.
    #[command(after_help = cmd::registry::EXAMPLES_CONFIG)]
    Config(cmd::registry::ConfigArgs),
    /// Read or set registry modes.
    #[command(after_help = cmd::registry::EXAMPLES_MODE)]
    Mode(cmd::registry::ModeArgs),
    /// Delete a subject or one version (soft by default).
    #[command(after_help = cmd::registry::EXAMPLES_DELETE)]
    Delete(cmd::registry::DeleteArgs),
    /// Dump every subject, version, id, config and mode of a registry to a directory.
    #[command(after_help = cmd::transfer::EXAMPLES_EXPORT)]
    Export(cmd::transfer::ExportArgs),
    /// Load a dump into a registry with the same ids and versions (IMPORT mode), resumably, then verify.
    ///
    /// Exit status: 0 identical after the verification pass, 1 differences found, 2 error.
    #[command(after_help = cmd::transfer::EXAMPLES_IMPORT)]
    Import(cmd::transfer::ImportArgs),
    /// Print a shell completion script.
    #[command(
        after_help = "Examples:\n  herald completions bash > /etc/bash_completion.d/herald\n  herald completions zsh > \"${fpath[1]}/_herald\"\n  herald completions fish > ~/.config/fish/completions/herald.fish"
    )]
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Compat(args) => cmd::compat::run(args),
        Command::Serve(args) => cmd::serve::run(args),
        Command::Check(args) => cmd::check::run(args),
        Command::Register(args) => cmd::registry::register(args),
        Command::Subjects(args) => cmd::registry::subjects(args),
        Command::Schema(args) => cmd::registry::schema(args),
        Command::Config(args) => cmd::registry::config(args),
        Command::Mode(args) => cmd::registry::mode(args),
        Command::Delete(args) => cmd::registry::delete(args),
        Command::Export(args) => cmd::transfer::export(args),
        Command::Import(args) => cmd::transfer::import(args),
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "herald", &mut std::io::stdout());
            Ok(ExitCode::SUCCESS)
        }
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}
