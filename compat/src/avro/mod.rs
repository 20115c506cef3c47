//! Avro compatibility: Apache Avro Java's reader/writer check, and levels over a history of versions.
//!
//! Policies where the reference implementations disagree (the conformance set's `oracles_disagree` cases), each
//! checked by `tests/avro_conformance.rs`:
//! * a relative alias of a named type is qualified with that type's namespace (Java and the spec; Python compares
//!   the raw alias and says incompatible);
//! * a namespace-only change, inherited or explicit, is compatible: names compare unqualified (Java 1.12 and the
//!   spec; Java 1.8 compared full names);
//! * a writer union read by a non-union reader is compatible when every branch is readable (Java 1.12 and Python;
//!   Java 1.8 rejected it);
//! * a reader enum's default symbol stands in for writer symbols it lacks (Java 1.12 and Python);
//! * a reader field that matches two writer fields (its name and an alias) is `AMBIGUOUS_FIELD_MATCH`, incompatible
//!   (Java throws and Confluent reports the exception as incompatible; Python silently takes the name);
//! * an ill-typed field default is not a compatibility question: strict parsing (what a registry applies to the
//!   schema being registered, and `herald compat` to `--new`) rejects the schema with the field and the reason,
//!   while schemas already stored are read without default validation, as Confluent does.

mod checker;

use herald_schema::avro::AvroSchema;
use herald_schema::span::Span;

use crate::level::CompatibilityLevel;
use crate::rules::RuleInfo;
use crate::violation::{Direction, Location, Report, Violation};

/// The Avro rules: Apache Avro Java's incompatibility types, plus one for the case where Java throws.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AvroRule {
    NameMismatch,
    FixedSizeMismatch,
    MissingEnumSymbols,
    ReaderFieldMissingDefaultValue,
    TypeMismatch,
    MissingUnionBranch,
    AmbiguousFieldMatch,
}

impl AvroRule {
    pub const ALL: [AvroRule; 7] = [
        AvroRule::NameMismatch,
        AvroRule::FixedSizeMismatch,
        AvroRule::MissingEnumSymbols,
        AvroRule::ReaderFieldMissingDefaultValue,
        AvroRule::TypeMismatch,
        AvroRule::MissingUnionBranch,
        AvroRule::AmbiguousFieldMatch,
    ];

    /// The rule's id: Java's `SchemaIncompatibilityType` name.
    pub fn id(self) -> &'static str {
        self.info().id
    }

    pub fn info(self) -> &'static RuleInfo {
        let index = AvroRule::ALL.iter().position(|r| *r == self).unwrap_or(0);
        &crate::rules::AVRO_RULES[index]
    }
}

/// Where an incompatibility sits in one of the two schemas.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SchemaSide {
    /// 0 for the schema itself, 1.. for its references.
    pub source: u32,
    pub span: Span,
}

/// One reason why a reader cannot read what a writer wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incompatibility {
    pub rule: AvroRule,
    /// Java's JSON-pointer location in the reader schema, e.g. `/fields/1/type/fields/2`.
    pub pointer: String,
    /// The same place by names, e.g. `Order.customer.address.zip`.
    pub path: String,
    /// Java's message for this incompatibility (what Confluent shows as `additionalInfo`).
    pub java_message: String,
    /// A message a person can act on.
    pub message: String,
    /// The reader element at fault, and the writer element it was compared with.
    pub reader: SchemaSide,
    pub writer: SchemaSide,
}

/// Every reason `reader` cannot read data written with `writer` (empty: compatible).
pub fn check_reader_writer(reader: &AvroSchema, writer: &AvroSchema) -> Vec<Incompatibility> {
    let roles = checker::Roles {
        reader: "reader",
        writer: "writer",
        reader_is_old: false,
    };
    checker::Checker::new(reader, writer, roles).run()
}

/// Checks `new` against a history of earlier versions (oldest first) at `level`, as Confluent Schema Registry
/// does: BACKWARD reads the latest version's data with the new schema, FORWARD the new data with the latest
/// version, FULL both; transitive levels check every version, newest first. Unlike Confluent, which stops at the
/// first failing version, every failing version is reported, each violation saying which one.
pub fn check(level: CompatibilityLevel, new: &AvroSchema, history: &[&AvroSchema]) -> Report {
    let mut violations = Vec::new();
    for index in level.versions_to_check(history.len()) {
        let old = history[index];
        if level.checks_backward() {
            let roles = checker::Roles {
                reader: "new schema",
                writer: "old schema",
                reader_is_old: false,
            };
            for inc in checker::Checker::new(new, old, roles).run() {
                let location = location_in(new, inc.reader);
                violations.push(to_violation(inc, Direction::Backward, index, location));
            }
        }
        if level.checks_forward() {
            let roles = checker::Roles {
                reader: "old schema",
                writer: "new schema",
                reader_is_old: true,
            };
            for inc in checker::Checker::new(old, new, roles).run() {
                let location = location_in(new, inc.writer);
                violations.push(to_violation(inc, Direction::Forward, index, location));
            }
        }
    }
    Report {
        compatible: violations.is_empty(),
        violations,
    }
}

fn location_in(schema: &AvroSchema, side: SchemaSide) -> Option<Location> {
    (side.source == 0).then(|| {
        let lc = schema.line_col(0, side.span);
        Location {
            line: lc.line,
            column: lc.column,
        }
    })
}

fn to_violation(
    inc: Incompatibility,
    direction: Direction,
    against: usize,
    location: Option<Location>,
) -> Violation {
    Violation {
        rule: inc.rule.id(),
        path: inc.path,
        pointer: Some(inc.pointer),
        file: None,
        location,
        in_previous: false,
        message: inc.message,
        detail: Some(inc.java_message),
        direction,
        against: Some(against),
    }
}
