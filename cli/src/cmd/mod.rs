//! One module per `herald` subcommand.

pub mod compat;
pub mod serve;
