//! Herald's schema front ends: pure functions from schema text to models, with a source span on every element.
//!
//! * [`json`]: a JSON reader that keeps byte spans and bounds nesting depth, shared by the Avro front end.
//! * [`avro`]: the Avro schema model (names, namespaces, aliases, defaults, logical types, recursive named types),
//!   its parser and validator, and its canonical forms.
//! * [`proto`]: the .proto front end (proto2, proto3, editions 2023/2024): parser, imports, well-known types, name
//!   and feature resolution, and a descriptor model that converts to `prost-types`.
//!
//! Nothing here does IO: callers hand in text and get values or errors back.

pub mod avro;
pub mod json;
pub mod proto;
pub mod span;
