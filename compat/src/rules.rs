//! The one list of compatibility rules: id, one-line purpose, categories. `herald compat rules` prints it.

/// The schema format a rule applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Avro,
    Protobuf,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Avro => "avro",
            Format::Protobuf => "protobuf",
        }
    }
}

/// A named, documented compatibility rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleInfo {
    pub id: &'static str,
    pub format: Format,
    pub purpose: &'static str,
    pub categories: &'static [&'static str],
}

/// The Avro rules, in the order of [`crate::avro::AvroRule::ALL`]. Their ids are Apache Avro Java's
/// `SchemaIncompatibilityType` names, so messages match what Confluent users already know.
pub const AVRO_RULES: [RuleInfo; 7] = [
    RuleInfo {
        id: "NAME_MISMATCH",
        format: Format::Avro,
        purpose: "A record, enum or fixed read under another name must list the writer's full name in its aliases.",
        categories: &["NAMES"],
    },
    RuleInfo {
        id: "FIXED_SIZE_MISMATCH",
        format: Format::Avro,
        purpose: "A fixed type keeps its size.",
        categories: &["TYPES"],
    },
    RuleInfo {
        id: "MISSING_ENUM_SYMBOLS",
        format: Format::Avro,
        purpose: "Every symbol the writer can write exists in the reader's enum, unless that enum has a default.",
        categories: &["ENUMS"],
    },
    RuleInfo {
        id: "READER_FIELD_MISSING_DEFAULT_VALUE",
        format: Format::Avro,
        purpose: "A reader field that the writer's record lacks has a default.",
        categories: &["RECORDS"],
    },
    RuleInfo {
        id: "TYPE_MISMATCH",
        format: Format::Avro,
        purpose: "The reader's type is the writer's or a promotion of it (int→long→float→double, string↔bytes).",
        categories: &["TYPES"],
    },
    RuleInfo {
        id: "MISSING_UNION_BRANCH",
        format: Format::Avro,
        purpose: "Every type the writer can write is readable by some branch of the reader's union.",
        categories: &["UNIONS"],
    },
    RuleInfo {
        id: "AMBIGUOUS_FIELD_MATCH",
        format: Format::Avro,
        purpose: "A reader field matches at most one writer field by its name and aliases (Java throws otherwise).",
        categories: &["RECORDS", "NAMES"],
    },
];

/// Every rule Herald knows, for listings.
pub fn all() -> impl Iterator<Item = &'static RuleInfo> {
    AVRO_RULES.iter()
}

/// The rule with this id, if any.
pub fn find(id: &str) -> Option<&'static RuleInfo> {
    all().find(|r| r.id == id)
}
