//! Herald's compatibility rules: pure functions from (previous, current) schemas to violations.
//!
//! * [`level`]: Confluent's compatibility levels and which versions each one checks.
//! * [`avro`]: Apache Avro Java's reader/writer algorithm, and [`avro::check`] over a history.
//! * [`proto`]: buf's breaking-change rules (`FILE`, `PACKAGE`, `WIRE_JSON`, `WIRE`) and Confluent's BACKWARD
//!   check (`CONFLUENT`) over compiled .proto modules, with levels, rule selection and ignores.
//! * [`rules`]: the one list of rules with their ids, purposes and categories.
//! * [`violation`]: violations and reports, which are values, never errors.
//!
//! No IO, no async, no database: the CLI, the registry and build scripts call the same functions, so a verdict
//! never depends on where it was computed.

pub mod avro;
pub mod level;
pub mod proto;
pub mod rules;
pub mod violation;

pub use level::CompatibilityLevel;
pub use violation::{Direction, Location, Report, Violation};
