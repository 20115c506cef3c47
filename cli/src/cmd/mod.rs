//! One module per `herald` subcommand.

pub mod check;
pub mod compat;
pub mod registry;
pub mod serve;
pub mod transfer;
