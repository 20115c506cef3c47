//! Editions features: the six core `google.protobuf.FeatureSet` fields, their defaults per edition, and how
//! `features.*` options override them (file → message → field, enum → value, service → method).

use super::ast::{ValueAst, ValueKind};
use super::model::{Edition, Syntax};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldPresence {
    Explicit,
    Implicit,
    LegacyRequired,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EnumType {
    Open,
    Closed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RepeatedFieldEncoding {
    Packed,
    Expanded,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Utf8Validation {
    Verify,
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageEncoding {
    LengthPrefixed,
    Delimited,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JsonFormat {
    Allow,
    LegacyBestEffort,
}

/// The resolved core features of an element. proto2 and proto3 files get the features their syntax implies
/// (proto2 `required` → `LegacyRequired`, `[packed = true]` → `Packed`, groups → `Delimited`, ...), so rules can ask
/// the same questions of every file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Features {
    pub field_presence: FieldPresence,
    pub enum_type: EnumType,
    pub repeated_field_encoding: RepeatedFieldEncoding,
    pub utf8_validation: Utf8Validation,
    pub message_encoding: MessageEncoding,
    pub json_format: JsonFormat,
    /// Which messages and enums other files may use when they are not marked `export` or `local` (edition 2024).
    pub default_symbol_visibility: DefaultSymbolVisibility,
}

/// `features.default_symbol_visibility` (edition 2024): the visibility of messages and enums without `export` or
/// `local`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DefaultSymbolVisibility {
    /// Everything is visible to importing files (the rule before edition 2024).
    ExportAll,
    /// Top-level messages and enums are exported, nested ones are local (the edition 2024 default).
    ExportTopLevel,
    /// Everything is local unless marked `export`.
    LocalAll,
    /// Everything is local unless marked `export`, and nested types may not be exported.
    Strict,
}

impl Features {
    /// The defaults of a file's syntax or edition (2023 and 2024 agree on the first six).
    pub fn defaults(syntax: Syntax) -> Features {
        let mut f = Features::legacy_defaults(syntax);
        if syntax == Syntax::Editions(Edition::E2024) {
            f.default_symbol_visibility = DefaultSymbolVisibility::ExportTopLevel;
        }
        f
    }

    fn legacy_defaults(syntax: Syntax) -> Features {
        match syntax {
            Syntax::Proto2 => Features {
                field_presence: FieldPresence::Explicit,
                enum_type: EnumType::Closed,
                repeated_field_encoding: RepeatedFieldEncoding::Expanded,
                utf8_validation: Utf8Validation::None,
                message_encoding: MessageEncoding::LengthPrefixed,
                json_format: JsonFormat::LegacyBestEffort,
                default_symbol_visibility: DefaultSymbolVisibility::ExportAll,
            },
            Syntax::Proto3 => Features {
                field_presence: FieldPresence::Implicit,
                enum_type: EnumType::Open,
                repeated_field_encoding: RepeatedFieldEncoding::Packed,
                utf8_validation: Utf8Validation::Verify,
                message_encoding: MessageEncoding::LengthPrefixed,
                json_format: JsonFormat::Allow,
                default_symbol_visibility: DefaultSymbolVisibility::ExportAll,
            },
            Syntax::Editions(Edition::E2023 | Edition::E2024) => Features {
                field_presence: FieldPresence::Explicit,
                enum_type: EnumType::Open,
                repeated_field_encoding: RepeatedFieldEncoding::Packed,
                utf8_validation: Utf8Validation::Verify,
                message_encoding: MessageEncoding::LengthPrefixed,
                json_format: JsonFormat::Allow,
                default_symbol_visibility: DefaultSymbolVisibility::ExportAll,
            },
        }
    }

    /// Applies `features.<name> = <value>`. Returns an error message for unknown features or values; features of
    /// language extensions (`features.(pb.cpp).x`) are not core features and are left to the caller.
    pub(crate) fn set(&mut self, name: &str, value: &ValueAst) -> Result<(), String> {
        let ValueKind::Ident {
            negative: false,
            name: v,
        } = &value.kind
        else {
            return Err(format!("`features.{name}` needs an enum value name"));
        };
        let bad = || format!("invalid value `{v}` for `features.{name}`");
        match name {
            "field_presence" => {
                self.field_presence = match v.as_str() {
                    "EXPLICIT" => FieldPresence::Explicit,
                    "IMPLICIT" => FieldPresence::Implicit,
                    "LEGACY_REQUIRED" => FieldPresence::LegacyRequired,
                    _ => return Err(bad()),
                }
            }
            "enum_type" => {
                self.enum_type = match v.as_str() {
                    "OPEN" => EnumType::Open,
                    "CLOSED" => EnumType::Closed,
                    _ => return Err(bad()),
                }
            }
            "repeated_field_encoding" => {
                self.repeated_field_encoding = match v.as_str() {
                    "PACKED" => RepeatedFieldEncoding::Packed,
                    "EXPANDED" => RepeatedFieldEncoding::Expanded,
                    _ => return Err(bad()),
                }
            }
            "utf8_validation" => {
                self.utf8_validation = match v.as_str() {
                    "VERIFY" => Utf8Validation::Verify,
                    "NONE" => Utf8Validation::None,
                    _ => return Err(bad()),
                }
            }
            "message_encoding" => {
                self.message_encoding = match v.as_str() {
                    "LENGTH_PREFIXED" => MessageEncoding::LengthPrefixed,
                    "DELIMITED" => MessageEncoding::Delimited,
                    _ => return Err(bad()),
                }
            }
            "json_format" => {
                self.json_format = match v.as_str() {
                    "ALLOW" => JsonFormat::Allow,
                    "LEGACY_BEST_EFFORT" => JsonFormat::LegacyBestEffort,
                    _ => return Err(bad()),
                }
            }
            // Features that exist in descriptor.proto but are not modelled here are accepted as written.
            "default_symbol_visibility" => {
                self.default_symbol_visibility = match v.as_str() {
                    "EXPORT_ALL" => DefaultSymbolVisibility::ExportAll,
                    "EXPORT_TOP_LEVEL" => DefaultSymbolVisibility::ExportTopLevel,
                    "LOCAL_ALL" => DefaultSymbolVisibility::LocalAll,
                    "STRICT" => DefaultSymbolVisibility::Strict,
                    _ => return Err(bad()),
                }
            }
            // Naming style enforcement (edition 2024) is accepted but not checked.
            "enforce_naming_style" => {}
            _ => return Err(format!("unknown feature `features.{name}`")),
        }
        Ok(())
    }
}
