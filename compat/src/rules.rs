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

/// The protobuf rules: every rule of `buf breaking` (v2 configuration) with buf's ids, purposes and categories
/// (`FILE`, `PACKAGE`, `WIRE_JSON`, `WIRE`; `MESSAGE_SAME_MESSAGE_SET_WIRE_FORMAT` is deprecated and in none), then
/// the `CONFLUENT` set: the `Difference` types Confluent Schema Registry rejects under BACKWARD, with its names.
/// [`crate::proto`] implements them.
pub const PROTOBUF_RULES: [RuleInfo; 76] = [
    RuleInfo {
        id: "ENUM_VALUE_NO_DELETE_UNLESS_NUMBER_RESERVED",
        format: Format::Protobuf,
        purpose: "Enum values are not deleted from a given enum unless the number is reserved.",
        categories: &["WIRE_JSON", "WIRE"],
    },
    RuleInfo {
        id: "FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED",
        format: Format::Protobuf,
        purpose: "Fields are not deleted from a given message unless the number is reserved.",
        categories: &["WIRE_JSON", "WIRE"],
    },
    RuleInfo {
        id: "FIELD_SAME_DEFAULT",
        format: Format::Protobuf,
        purpose: "Fields have the same default value, if a default is specified.",
        categories: &["FILE", "PACKAGE", "WIRE_JSON", "WIRE"],
    },
    RuleInfo {
        id: "FIELD_SAME_ONEOF",
        format: Format::Protobuf,
        purpose: "Fields have the same oneofs in a given message.",
        categories: &["FILE", "PACKAGE", "WIRE_JSON", "WIRE"],
    },
    RuleInfo {
        id: "FIELD_WIRE_COMPATIBLE_CARDINALITY",
        format: Format::Protobuf,
        purpose: "Fields have wire-compatible cardinalities in a given message.",
        categories: &["WIRE"],
    },
    RuleInfo {
        id: "FIELD_WIRE_COMPATIBLE_TYPE",
        format: Format::Protobuf,
        purpose: "Fields have wire-compatible types in a given message.",
        categories: &["WIRE"],
    },
    RuleInfo {
        id: "FILE_SAME_PACKAGE",
        format: Format::Protobuf,
        purpose: "Files have the same package.",
        categories: &["FILE", "PACKAGE", "WIRE_JSON", "WIRE"],
    },
    RuleInfo {
        id: "MESSAGE_SAME_REQUIRED_FIELDS",
        format: Format::Protobuf,
        purpose: "Messages have no added or deleted required fields.",
        categories: &["FILE", "PACKAGE", "WIRE_JSON", "WIRE"],
    },
    RuleInfo {
        id: "RESERVED_ENUM_NO_DELETE",
        format: Format::Protobuf,
        purpose: "Reserved ranges and names are not deleted from a given enum.",
        categories: &["FILE", "PACKAGE", "WIRE_JSON", "WIRE"],
    },
    RuleInfo {
        id: "RESERVED_MESSAGE_NO_DELETE",
        format: Format::Protobuf,
        purpose: "Reserved ranges and names are not deleted from a given message.",
        categories: &["FILE", "PACKAGE", "WIRE_JSON", "WIRE"],
    },
    RuleInfo {
        id: "RPC_SAME_CLIENT_STREAMING",
        format: Format::Protobuf,
        purpose: "Rpcs have the same client streaming value.",
        categories: &["FILE", "PACKAGE", "WIRE_JSON", "WIRE"],
    },
    RuleInfo {
        id: "RPC_SAME_IDEMPOTENCY_LEVEL",
        format: Format::Protobuf,
        purpose: "Rpcs have the same value for the idempotency_level option.",
        categories: &["FILE", "PACKAGE", "WIRE_JSON", "WIRE"],
    },
    RuleInfo {
        id: "RPC_SAME_REQUEST_TYPE",
        format: Format::Protobuf,
        purpose: "Rpcs are have the same request type.",
        categories: &["FILE", "PACKAGE", "WIRE_JSON", "WIRE"],
    },
    RuleInfo {
        id: "RPC_SAME_RESPONSE_TYPE",
        format: Format::Protobuf,
        purpose: "Rpcs are have the same response type.",
        categories: &["FILE", "PACKAGE", "WIRE_JSON", "WIRE"],
    },
    RuleInfo {
        id: "RPC_SAME_SERVER_STREAMING",
        format: Format::Protobuf,
        purpose: "Rpcs have the same server streaming value.",
        categories: &["FILE", "PACKAGE", "WIRE_JSON", "WIRE"],
    },
    RuleInfo {
        id: "ENUM_SAME_JSON_FORMAT",
        format: Format::Protobuf,
        purpose: "Enums have the same JSON format support.",
        categories: &["FILE", "PACKAGE", "WIRE_JSON"],
    },
    RuleInfo {
        id: "ENUM_VALUE_NO_DELETE_UNLESS_NAME_RESERVED",
        format: Format::Protobuf,
        purpose: "Enum values are not deleted from a given enum unless the name is reserved.",
        categories: &["WIRE_JSON"],
    },
    RuleInfo {
        id: "ENUM_VALUE_SAME_NAME",
        format: Format::Protobuf,
        purpose: "Enum values have the same name.",
        categories: &["FILE", "PACKAGE", "WIRE_JSON"],
    },
    RuleInfo {
        id: "FIELD_NO_DELETE_UNLESS_NAME_RESERVED",
        format: Format::Protobuf,
        purpose: "Fields are not deleted from a given message unless the name is reserved.",
        categories: &["WIRE_JSON"],
    },
    RuleInfo {
        id: "FIELD_SAME_JSON_NAME",
        format: Format::Protobuf,
        purpose: "Fields have the same value for the json_name option.",
        categories: &["FILE", "PACKAGE", "WIRE_JSON"],
    },
    RuleInfo {
        id: "FIELD_SAME_NAME",
        format: Format::Protobuf,
        purpose: "Fields have the same names in a given message.",
        categories: &["FILE", "PACKAGE", "WIRE_JSON"],
    },
    RuleInfo {
        id: "FIELD_WIRE_JSON_COMPATIBLE_CARDINALITY",
        format: Format::Protobuf,
        purpose: "Fields have wire and JSON compatible cardinalities in a given message.",
        categories: &["WIRE_JSON"],
    },
    RuleInfo {
        id: "FIELD_WIRE_JSON_COMPATIBLE_TYPE",
        format: Format::Protobuf,
        purpose: "Fields have wire and JSON compatible types in a given message.",
        categories: &["WIRE_JSON"],
    },
    RuleInfo {
        id: "MESSAGE_SAME_JSON_FORMAT",
        format: Format::Protobuf,
        purpose: "Messages have the same JSON format support.",
        categories: &["FILE", "PACKAGE", "WIRE_JSON"],
    },
    RuleInfo {
        id: "ENUM_SAME_TYPE",
        format: Format::Protobuf,
        purpose: "Enums have the same type (open vs closed).",
        categories: &["FILE", "PACKAGE"],
    },
    RuleInfo {
        id: "ENUM_VALUE_NO_DELETE",
        format: Format::Protobuf,
        purpose: "Enum values are not deleted from a given enum.",
        categories: &["FILE", "PACKAGE"],
    },
    RuleInfo {
        id: "EXTENSION_MESSAGE_NO_DELETE",
        format: Format::Protobuf,
        purpose: "Extension ranges are not deleted from a given message.",
        categories: &["FILE", "PACKAGE"],
    },
    RuleInfo {
        id: "FIELD_NO_DELETE",
        format: Format::Protobuf,
        purpose: "Fields are not deleted from a given message.",
        categories: &["FILE", "PACKAGE"],
    },
    RuleInfo {
        id: "FIELD_SAME_CARDINALITY",
        format: Format::Protobuf,
        purpose: "Fields have the same cardinalities in a given message.",
        categories: &["FILE", "PACKAGE"],
    },
    RuleInfo {
        id: "FIELD_SAME_CPP_STRING_TYPE",
        format: Format::Protobuf,
        purpose: "Fields have the same C++ string type, based on ctype field option or (pb.cpp).string_type feature.",
        categories: &["FILE", "PACKAGE"],
    },
    RuleInfo {
        id: "FIELD_SAME_JAVA_UTF8_VALIDATION",
        format: Format::Protobuf,
        purpose: "Fields have the same Java string UTF8 validation, based on java_string_check_utf8 file option or (pb.java).utf8_validation feature.",
        categories: &["FILE", "PACKAGE"],
    },
    RuleInfo {
        id: "FIELD_SAME_JSTYPE",
        format: Format::Protobuf,
        purpose: "Fields have the same value for the jstype option.",
        categories: &["FILE", "PACKAGE"],
    },
    RuleInfo {
        id: "FIELD_SAME_TYPE",
        format: Format::Protobuf,
        purpose: "Fields have the same types in a given message.",
        categories: &["FILE", "PACKAGE"],
    },
    RuleInfo {
        id: "FIELD_SAME_UTF8_VALIDATION",
        format: Format::Protobuf,
        purpose: "String fields have the same UTF8 validation mode.",
        categories: &["FILE", "PACKAGE"],
    },
    RuleInfo {
        id: "FILE_SAME_CC_ENABLE_ARENAS",
        format: Format::Protobuf,
        purpose: "Files have the same value for the cc_enable_arenas option.",
        categories: &["FILE", "PACKAGE"],
    },
    RuleInfo {
        id: "FILE_SAME_CC_GENERIC_SERVICES",
        format: Format::Protobuf,
        purpose: "Files have the same value for the cc_generic_services option.",
        categories: &["FILE", "PACKAGE"],
    },
    RuleInfo {
        id: "FILE_SAME_CSHARP_NAMESPACE",
        format: Format::Protobuf,
        purpose: "Files have the same value for the csharp_namespace option.",
        categories: &["FILE", "PACKAGE"],
    },
    RuleInfo {
        id: "FILE_SAME_GO_PACKAGE",
        format: Format::Protobuf,
        purpose: "Files have the same value for the go_package option.",
        categories: &["FILE", "PACKAGE"],
    },
    RuleInfo {
        id: "FILE_SAME_JAVA_GENERIC_SERVICES",
        format: Format::Protobuf,
        purpose: "Files have the same value for the java_generic_services option.",
        categories: &["FILE", "PACKAGE"],
    },
    RuleInfo {
        id: "FILE_SAME_JAVA_MULTIPLE_FILES",
        format: Format::Protobuf,
        purpose: "Files have the same value for the java_multiple_files option.",
        categories: &["FILE", "PACKAGE"],
    },
    RuleInfo {
        id: "FILE_SAME_JAVA_OUTER_CLASSNAME",
        format: Format::Protobuf,
        purpose: "Files have the same value for the java_outer_classname option.",
        categories: &["FILE", "PACKAGE"],
    },
    RuleInfo {
        id: "FILE_SAME_JAVA_PACKAGE",
        format: Format::Protobuf,
        purpose: "Files have the same value for the java_package option.",
        categories: &["FILE", "PACKAGE"],
    },
    RuleInfo {
        id: "FILE_SAME_OBJC_CLASS_PREFIX",
        format: Format::Protobuf,
        purpose: "Files have the same value for the objc_class_prefix option.",
        categories: &["FILE", "PACKAGE"],
    },
    RuleInfo {
        id: "FILE_SAME_OPTIMIZE_FOR",
        format: Format::Protobuf,
        purpose: "Files have the same value for the optimize_for option.",
        categories: &["FILE", "PACKAGE"],
    },
    RuleInfo {
        id: "FILE_SAME_PHP_CLASS_PREFIX",
        format: Format::Protobuf,
        purpose: "Files have the same value for the php_class_prefix option.",
        categories: &["FILE", "PACKAGE"],
    },
    RuleInfo {
        id: "FILE_SAME_PHP_METADATA_NAMESPACE",
        format: Format::Protobuf,
        purpose: "Files have the same value for the php_metadata_namespace option.",
        categories: &["FILE", "PACKAGE"],
    },
    RuleInfo {
        id: "FILE_SAME_PHP_NAMESPACE",
        format: Format::Protobuf,
        purpose: "Files have the same value for the php_namespace option.",
        categories: &["FILE", "PACKAGE"],
    },
    RuleInfo {
        id: "FILE_SAME_PY_GENERIC_SERVICES",
        format: Format::Protobuf,
        purpose: "Files have the same value for the py_generic_services option.",
        categories: &["FILE", "PACKAGE"],
    },
    RuleInfo {
        id: "FILE_SAME_RUBY_PACKAGE",
        format: Format::Protobuf,
        purpose: "Files have the same value for the ruby_package option.",
        categories: &["FILE", "PACKAGE"],
    },
    RuleInfo {
        id: "FILE_SAME_SWIFT_PREFIX",
        format: Format::Protobuf,
        purpose: "Files have the same value for the swift_prefix option.",
        categories: &["FILE", "PACKAGE"],
    },
    RuleInfo {
        id: "FILE_SAME_SYNTAX",
        format: Format::Protobuf,
        purpose: "Files have the same syntax.",
        categories: &["FILE", "PACKAGE"],
    },
    RuleInfo {
        id: "MESSAGE_NO_REMOVE_STANDARD_DESCRIPTOR_ACCESSOR",
        format: Format::Protobuf,
        purpose: "Messages do not change the no_standard_descriptor_accessor option from false or unset to true.",
        categories: &["FILE", "PACKAGE"],
    },
    RuleInfo {
        id: "ONEOF_NO_DELETE",
        format: Format::Protobuf,
        purpose: "Oneofs are not deleted from a given message.",
        categories: &["FILE", "PACKAGE"],
    },
    RuleInfo {
        id: "PACKAGE_ENUM_NO_DELETE",
        format: Format::Protobuf,
        purpose: "Enums are not deleted from a given package.",
        categories: &["PACKAGE"],
    },
    RuleInfo {
        id: "PACKAGE_EXTENSION_NO_DELETE",
        format: Format::Protobuf,
        purpose: "Extensions are not deleted from a given package.",
        categories: &["PACKAGE"],
    },
    RuleInfo {
        id: "PACKAGE_MESSAGE_NO_DELETE",
        format: Format::Protobuf,
        purpose: "Messages are not deleted from a given package.",
        categories: &["PACKAGE"],
    },
    RuleInfo {
        id: "PACKAGE_NO_DELETE",
        format: Format::Protobuf,
        purpose: "Packages are not deleted.",
        categories: &["PACKAGE"],
    },
    RuleInfo {
        id: "PACKAGE_SERVICE_NO_DELETE",
        format: Format::Protobuf,
        purpose: "Services are not deleted from a given package.",
        categories: &["PACKAGE"],
    },
    RuleInfo {
        id: "RPC_NO_DELETE",
        format: Format::Protobuf,
        purpose: "Rpcs are not deleted from a given service.",
        categories: &["FILE", "PACKAGE"],
    },
    RuleInfo {
        id: "ENUM_NO_DELETE",
        format: Format::Protobuf,
        purpose: "Enums are not deleted from a given file.",
        categories: &["FILE"],
    },
    RuleInfo {
        id: "EXTENSION_NO_DELETE",
        format: Format::Protobuf,
        purpose: "Extensions are not deleted from a given file.",
        categories: &["FILE"],
    },
    RuleInfo {
        id: "FILE_NO_DELETE",
        format: Format::Protobuf,
        purpose: "Files are not deleted.",
        categories: &["FILE"],
    },
    RuleInfo {
        id: "MESSAGE_NO_DELETE",
        format: Format::Protobuf,
        purpose: "Messages are not deleted from a given file.",
        categories: &["FILE"],
    },
    RuleInfo {
        id: "SERVICE_NO_DELETE",
        format: Format::Protobuf,
        purpose: "Services are not deleted from a given file.",
        categories: &["FILE"],
    },
    RuleInfo {
        id: "MESSAGE_SAME_MESSAGE_SET_WIRE_FORMAT",
        format: Format::Protobuf,
        purpose: "Messages have the same value for the message_set_wire_format option.",
        categories: &[],
    },
    RuleInfo {
        id: "PACKAGE_CHANGED",
        format: Format::Protobuf,
        purpose: "The root file keeps its package (Confluent: PACKAGE_CHANGED).",
        categories: &["CONFLUENT"],
    },
    RuleInfo {
        id: "MESSAGE_REMOVED",
        format: Format::Protobuf,
        purpose: "No message of the root file is removed or renamed, used or not (Confluent: MESSAGE_REMOVED).",
        categories: &["CONFLUENT"],
    },
    RuleInfo {
        id: "REQUIRED_FIELD_ADDED",
        format: Format::Protobuf,
        purpose: "No proto2 required field is added (Confluent: REQUIRED_FIELD_ADDED).",
        categories: &["CONFLUENT"],
    },
    RuleInfo {
        id: "REQUIRED_FIELD_REMOVED",
        format: Format::Protobuf,
        purpose: "No proto2 required field is removed (Confluent: REQUIRED_FIELD_REMOVED).",
        categories: &["CONFLUENT"],
    },
    RuleInfo {
        id: "FIELD_KIND_CHANGED",
        format: Format::Protobuf,
        purpose: "A field keeps its kind: scalar (enums included), message or map (Confluent: FIELD_KIND_CHANGED).",
        categories: &["CONFLUENT"],
    },
    RuleInfo {
        id: "FIELD_SCALAR_KIND_CHANGED",
        format: Format::Protobuf,
        purpose: "A scalar field stays in its group: varint numbers and enums, zigzag, string/bytes, fixed32, fixed64, float, double (Confluent: FIELD_SCALAR_KIND_CHANGED).",
        categories: &["CONFLUENT"],
    },
    RuleInfo {
        id: "FIELD_NAMED_TYPE_CHANGED",
        format: Format::Protobuf,
        purpose: "A message field keeps the local name of its type (package stripped) (Confluent: FIELD_NAMED_TYPE_CHANGED).",
        categories: &["CONFLUENT"],
    },
    RuleInfo {
        id: "FIELD_NUMERIC_LABEL_CHANGED",
        format: Format::Protobuf,
        purpose: "A numeric field keeps its explicit label (optional, required, repeated) (Confluent: FIELD_NUMERIC_LABEL_CHANGED).",
        categories: &["CONFLUENT"],
    },
    RuleInfo {
        id: "ONEOF_FIELD_REMOVED",
        format: Format::Protobuf,
        purpose: "No member is removed from a oneof that survives (Confluent: ONEOF_FIELD_REMOVED).",
        categories: &["CONFLUENT"],
    },
    RuleInfo {
        id: "MULTIPLE_FIELDS_MOVED_TO_ONEOF",
        format: Format::Protobuf,
        purpose: "At most one existing top-level field moves into a oneof (Confluent: MULTIPLE_FIELDS_MOVED_TO_ONEOF).",
        categories: &["CONFLUENT"],
    },
    RuleInfo {
        id: "FIELD_MOVED_TO_EXISTING_ONEOF",
        format: Format::Protobuf,
        purpose: "A oneof does not gather fields from two or more earlier oneofs or the top level (Confluent: FIELD_MOVED_TO_EXISTING_ONEOF).",
        categories: &["CONFLUENT"],
    },
];

/// The protobuf rule categories, strictest first, then Confluent's set.
pub const PROTOBUF_CATEGORIES: [&str; 5] = ["FILE", "PACKAGE", "WIRE_JSON", "WIRE", "CONFLUENT"];

/// Every rule Herald knows, for listings.
pub fn all() -> impl Iterator<Item = &'static RuleInfo> {
    AVRO_RULES.iter().chain(PROTOBUF_RULES.iter())
}

/// The rule with this id, if any.
pub fn find(id: &str) -> Option<&'static RuleInfo> {
    all().find(|r| r.id == id)
}
