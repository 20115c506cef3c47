//! The `herald` binary: argument parsing and output only; the work is done by the library crates.

mod cmd;
mod output;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Compat(args) => cmd::compat::run(args),
        Command::Serve(args) => cmd::serve::run(args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}
