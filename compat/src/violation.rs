//! Violations as values: what a check reports, never an `Err`.

use std::fmt;

/// Which way data flows in a failed check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// The new schema cannot read data written with an old version.
    Backward,
    /// An old version cannot read data written with the new schema.
    Forward,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Backward => "BACKWARD",
            Direction::Forward => "FORWARD",
        }
    }
}

/// A 1-based line and column in the new schema's text (in the old one for elements the new one deleted).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Location {
    pub line: u32,
    pub column: u32,
}

/// One broken rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The rule's SCREAMING_SNAKE id.
    pub rule: &'static str,
    /// The element by names, e.g. `Order.customer.address.zip`.
    pub path: String,
    /// A JSON pointer into the schema where the format has one (Avro: Java's format, `/fields/1/type`).
    pub pointer: Option<String>,
    /// The file `location` is in, for formats whose schemas span several files (protobuf modules); `None` when the
    /// schema is a single text (Avro).
    pub file: Option<String>,
    pub location: Option<Location>,
    /// True when `file` and `location` point into the earlier version rather than the new one (protobuf: an element
    /// the new version deleted; for FORWARD checks, which compare with old and new swapped, the other way round).
    pub in_previous: bool,
    /// What is wrong and how to fix it.
    pub message: String,
    /// The reference implementation's own message, for parity (Avro: Java's).
    pub detail: Option<String>,
    pub direction: Direction,
    /// Index into the history (oldest first) of the version this violation is against.
    pub against: Option<usize>,
}

/// The verdict of a check and every violation behind it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Report {
    pub compatible: bool,
    pub violations: Vec<Violation>,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(file) = &self.file {
            write!(f, "{file}:")?;
        }
        if let Some(loc) = self.location {
            write!(f, "{}:{}: ", loc.line, loc.column)?;
        } else if self.file.is_some() {
            write!(f, " ")?;
        }
        write!(f, "{} at {}: {}", self.rule, self.path, self.message)
    }
}
