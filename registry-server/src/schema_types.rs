//! The one place where the registry meets schema languages: parsing, the stored (canonical) text, identity
//! hashes and compatibility verdicts. Avro and Protobuf use `herald-schema` and `herald-compat` (Protobuf with the
//! `CONFLUENT` rule set); JSON Schema is stored as given.
//!
//! Protobuf schemas are stored as Confluent stores them: re-printed by `herald_schema::proto::print` (a base64
//! `FileDescriptorProto`, as confluent-kafka-python's serializer sends, is converted to the same text), so the
//! same schema formatted differently has one id and every stored schema compiles for compatibility checks.
//! `normalize` stores the normalized print; lookups also match a version whose normalized print is equal
//! ([`Prepared::equivalence`]), so a schema registered as a descriptor is found by its `.proto` text.
//!
//! **Policy where no engine applies:** JSON Schema texts are stored compacted (key order kept); a compatibility
//! check that would need a model of one at any level other than `NONE` is refused with 422/42201 and a message
//! saying why, never answered with a guessed verdict.

use std::fmt;

use herald_compat::CompatibilityLevel;
use herald_schema::avro::{AvroSchema, ParseOptions, Parser};
use md5::{Digest, Md5};
use serde::{Deserialize, Serialize};

use crate::error::ApiError;

/// The schema languages of the Confluent API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SchemaType {
    Avro,
    Protobuf,
    Json,
}

impl SchemaType {
    /// Parses `schemaType` (missing means AVRO; case-insensitive like Confluent).
    pub fn parse(s: Option<&str>) -> Result<SchemaType, ApiError> {
        match s.map(str::to_ascii_uppercase).as_deref() {
            None | Some("AVRO") => Ok(SchemaType::Avro),
            Some("PROTOBUF") => Ok(SchemaType::Protobuf),
            Some("JSON") => Ok(SchemaType::Json),
            Some(_) => Err(ApiError::InvalidSchema(format!(
                "Invalid schema type {}",
                s.unwrap_or_default()
            ))),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SchemaType::Avro => "AVRO",
            SchemaType::Protobuf => "PROTOBUF",
            SchemaType::Json => "JSON",
        }
    }
}

impl fmt::Display for SchemaType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A schema reference as stored and returned: `name` (Avro full name / Protobuf import), `subject`, `version`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reference {
    pub name: String,
    pub subject: String,
    pub version: i64,
}

/// How to read a schema text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Prepare {
    /// Validate names and defaults (a schema being registered outside IMPORT mode).
    pub strict: bool,
    /// Store Confluent's normalized form.
    pub normalize: bool,
}

/// A schema read for the registry: its stored text and, for Avro, the parsed model.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub schema_type: SchemaType,
    /// The text stored and returned (Avro: Java's `Schema.toString()` form, or the normalized form).
    pub canonical: String,
    pub avro: Option<AvroSchema>,
    /// A Protobuf schema compiled with its references (root file [`PROTO_ENTRY`]).
    pub proto: Option<herald_schema::proto::Module>,
    /// Protobuf: the normalized print, equal for schemas that differ only in how they are written (names as
    /// written or fully qualified, order, a descriptor or `.proto` text); lookups fall back to it.
    pub equivalence: Option<String>,
}

/// Reads `text` with its (transitively) referenced schemas as `(reference name, text)`, dependencies first.
pub fn prepare(
    schema_type: SchemaType,
    text: &str,
    references: &[(String, String)],
    how: Prepare,
) -> Result<Prepared, ApiError> {
    let invalid = |details: String| {
        ApiError::InvalidSchema(format!("Invalid schema {text}, details: {details}"))
    };
    if text.contains('\0') {
        return Err(ApiError::InvalidSchema(
            "Invalid schema: the text contains a NUL character".to_owned(),
        ));
    }
    match schema_type {
        SchemaType::Avro => {
            let options = if how.strict {
                ParseOptions::strict()
            } else {
                ParseOptions::lenient()
            };
            let mut parser = Parser::new(options);
            for (_, r) in references {
                parser = parser.reference(r);
            }
            let avro = parser.parse(text).map_err(|e| invalid(e.to_string()))?;
            // Both renderings write the named types of references by name, as Confluent stores them.
            let canonical = if how.normalize {
                avro.normalized()
            } else {
                avro.to_java_json()
            };
            Ok(Prepared {
                schema_type,
                canonical,
                avro: Some(avro),
                proto: None,
                equivalence: None,
            })
        }
        SchemaType::Json => Ok(Prepared {
            schema_type,
            canonical: compact_json(text).map_err(invalid)?,
            avro: None,
            proto: None,
            equivalence: None,
        }),
        SchemaType::Protobuf => {
            let trimmed = text.trim();
            if trimmed.is_empty() {
                return Err(ApiError::InvalidSchema("Empty schema".to_owned()));
            }
            // References stored by earlier Herald versions may be base64 descriptors: read them as text.
            let references: Vec<(String, String)> = references
                .iter()
                .map(|(name, t)| (name.clone(), proto_source(t).unwrap_or_else(|| t.clone())))
                .collect();
            // `.proto` text is re-printed; a base64 FileDescriptorProto (what confluent-kafka's
            // ProtobufSerializer sends) is converted to the same canonical text.
            let (source, printed) = match herald_schema::proto::parse_file(PROTO_ENTRY, trimmed) {
                Ok(ast) => (
                    trimmed.to_owned(),
                    herald_schema::proto::print::print_file(&ast, trimmed),
                ),
                Err(diagnostics) => match descriptor_text(trimmed) {
                    Some(printed) => (printed.clone(), printed),
                    None => {
                        return Err(invalid(
                            diagnostics.to_string().replace(PROTO_ENTRY, "schema"),
                        ));
                    }
                },
            };
            let module = compile_proto(&source, &references).map_err(invalid)?;
            let file = module
                .file_by_path(PROTO_ENTRY)
                .ok_or_else(|| invalid("the schema file is missing".to_owned()))?;
            let normalized = herald_schema::proto::print::normalized(&module, file.id);
            Ok(Prepared {
                schema_type,
                canonical: if how.normalize {
                    normalized.clone()
                } else {
                    printed
                },
                avro: None,
                proto: Some(module),
                equivalence: Some(normalized),
            })
        }
    }
}

/// The `.proto` text of a stored Protobuf schema: the text itself, or a base64 descriptor printed as text.
fn proto_source(text: &str) -> Option<String> {
    let trimmed = text.trim();
    if herald_schema::proto::parse_file(PROTO_ENTRY, trimmed).is_ok() {
        return Some(trimmed.to_owned());
    }
    descriptor_text(trimmed)
}

/// A base64 `FileDescriptorProto` as canonical `.proto` text; `None` when `text` is not one (a descriptor
/// must name its file, as every serializer's does, so that stray base64 is not read as an empty schema).
fn descriptor_text(text: &str) -> Option<String> {
    use base64::Engine as _;
    decode_descriptor(text)?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text)
        .ok()?;
    herald_schema::proto::print::print_encoded_descriptor(&bytes).ok()
}

/// The path under which a Protobuf schema itself is compiled (its references keep their import paths).
const PROTO_ENTRY: &str = "__herald_schema__.proto";

/// Parses and resolves a `.proto` text with its references; errors are the front end's diagnostics.
fn compile_proto(
    text: &str,
    references: &[(String, String)],
) -> Result<herald_schema::proto::Module, String> {
    let mut files: std::collections::HashMap<String, String> = references
        .iter()
        .map(|(name, t)| (name.clone(), t.clone()))
        .collect();
    files.insert(PROTO_ENTRY.to_owned(), text.to_owned());
    herald_schema::proto::compile(&files, &[PROTO_ENTRY])
        .map_err(|d| d.to_string().replace(PROTO_ENTRY, "schema"))
}

fn decode_descriptor(text: &str) -> Option<prost_types::FileDescriptorProto> {
    use base64::Engine as _;
    use prost::Message as _;
    if text.is_empty() || text.contains(char::is_whitespace) {
        return None;
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text)
        .ok()?;
    prost_types::FileDescriptorProto::decode(bytes.as_slice())
        .ok()
        .filter(|fdp| fdp.name.as_deref().is_some_and(|n| !n.is_empty()))
}

/// `format=serialized` for a Protobuf schema: its base64 `FileDescriptorProto`. A schema stored as a descriptor
/// is returned as stored; `None` when the text cannot be compiled.
pub fn serialized_protobuf(
    text: &str,
    references: &[(String, String)],
    name: &str,
) -> Option<String> {
    use base64::Engine as _;
    use prost::Message as _;
    if decode_descriptor(text).is_some() {
        return Some(text.to_owned());
    }
    let references: Vec<(String, String)> = references
        .iter()
        .map(|(name, t)| (name.clone(), proto_source(t).unwrap_or_else(|| t.clone())))
        .collect();
    let module = compile_proto(text, &references).ok()?;
    let file = module.file_by_path(PROTO_ENTRY)?;
    let mut fdp = module.file_descriptor_proto(file.id);
    fdp.name = Some(name.to_owned());
    fdp.source_code_info = None;
    Some(base64::engine::general_purpose::STANDARD.encode(fdp.encode_to_vec()))
}

fn compact_json(text: &str) -> Result<String, String> {
    let json = herald_schema::json::parse(text).map_err(|e| e.to_string())?;
    let mut out = String::new();
    herald_schema::json::write_compact(&mut out, &json);
    Ok(out)
}

/// Confluent's content hash (MD5 of the canonical text, the references, metadata and rule set) shown as a
/// UUID: the 8.x `guid`. Schemas with equal guids in a context share one id.
pub fn guid(
    canonical: &str,
    references: &[Reference],
    metadata: Option<&serde_json::Value>,
    rule_set: Option<&serde_json::Value>,
) -> String {
    let mut md5 = Md5::new();
    md5.update(canonical.as_bytes());
    for r in references {
        md5.update(r.name.as_bytes());
        md5.update(r.subject.as_bytes());
        md5.update((r.version as i32).to_be_bytes());
    }
    for extra in [metadata, rule_set].into_iter().flatten() {
        md5.update([1u8]);
        md5.update(extra.to_string().as_bytes());
    }
    let b = md5.finalize();
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// The names listed in a metadata's `confluent:reserved` property (comma-separated).
fn reserved_names(metadata: Option<&serde_json::Value>) -> std::collections::BTreeSet<String> {
    metadata
        .and_then(|m| m.get("properties"))
        .and_then(|p| p.get("confluent:reserved"))
        .and_then(serde_json::Value::as_str)
        .map(|s| {
            s.split(',')
                .map(str::trim)
                .filter(|f| !f.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// Whether a schema has a top-level field of that name: a field of an Avro root record, or a field of a
/// top-level message of a Protobuf schema (Confluent's `hasTopLevelField`).
fn has_top_level_field(schema: &Prepared, field: &str) -> bool {
    if let Some(avro) = &schema.avro {
        return matches!(avro.kind(avro.root()), herald_schema::avro::Kind::Record(r) if r.field(field).is_some());
    }
    if let Some(module) = &schema.proto
        && let Some(file) = module.file_by_path(PROTO_ENTRY)
    {
        return file
            .messages
            .iter()
            .any(|&m| module.message(m).fields.iter().any(|f| f.name == field));
    }
    false
}

/// Confluent's reserved-field checks (`validateFields`): a reserved field (metadata property
/// `confluent:reserved`) of the previous version may not disappear from the new version's list, and no
/// reserved name may be a top-level field of the new schema.
pub fn reserved_fields(
    new: &Prepared,
    new_metadata: Option<&serde_json::Value>,
    previous_metadata: Option<Option<&serde_json::Value>>,
) -> Vec<String> {
    let reserved = reserved_names(new_metadata);
    let mut messages = Vec::new();
    if let Some(previous) = previous_metadata {
        for removed in reserved_names(previous).difference(&reserved) {
            messages.push(format!(
                "The new schema has reserved field {removed} removed from its metadata which is present in the old schema's metadata."
            ));
        }
    }
    for field in &reserved {
        if has_top_level_field(new, field) {
            messages.push(format!(
                "The new schema has field that conflicts with the reserved field {field}."
            ));
        }
    }
    messages
}

/// One earlier version to check against.
#[derive(Debug)]
pub struct HistoryEntry<'a> {
    pub version: i64,
    pub prepared: &'a Prepared,
}

/// A compatibility verdict with Confluent-style messages (shown with `verbose=true` and in 409 errors).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub compatible: bool,
    pub messages: Vec<String>,
}

/// Checks `new` against `history` (oldest first) at `level`, as Confluent's `CompatibilityChecker` does.
/// `history` must already be the versions the request selects (one version for the `{version}` endpoint).
/// `reserved` are the messages of the reserved-field checks (`validateFields`, see [`reserved_fields`]), which
/// come first and make the verdict incompatible at any level.
pub fn check(
    level: CompatibilityLevel,
    new: &Prepared,
    history: &[HistoryEntry<'_>],
    reserved: &[String],
    validate_fields: bool,
) -> Result<Verdict, ApiError> {
    let selected: Vec<&HistoryEntry<'_>> = level
        .versions_to_check(history.len())
        .into_iter()
        .map(|i| &history[i])
        .collect();
    if selected.is_empty() && reserved.is_empty() {
        return Ok(Verdict {
            compatible: true,
            messages: Vec::new(),
        });
    }
    let mut messages = Vec::new();
    for old in &selected {
        if old.prepared.schema_type != new.schema_type {
            messages.push(format!(
                "{{errorType:'SCHEMA_TYPE_MISMATCH', description:'Incompatible because of different schema type', additionalInfo:'{} vs {}'}}",
                old.prepared.schema_type, new.schema_type
            ));
            messages.push(format!("{{oldSchemaVersion: {}}}", old.version));
        }
    }
    if messages.is_empty() && !selected.is_empty() {
        match (&new.avro, new.schema_type) {
            (Some(new_avro), SchemaType::Avro) => {
                let olds: Vec<&AvroSchema> = history
                    .iter()
                    .map(|h| h.prepared.avro.as_ref())
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| {
                        ApiError::Store("stored Avro schema could not be read".to_owned())
                    })?;
                let report = herald_compat::avro::check(level, new_avro, &olds);
                let mut by_version: Vec<usize> =
                    report.violations.iter().filter_map(|v| v.against).collect();
                by_version.dedup();
                for index in by_version {
                    for v in report
                        .violations
                        .iter()
                        .filter(|v| v.against == Some(index))
                    {
                        let pointer = v.pointer.as_deref().unwrap_or("");
                        let info = v.detail.as_deref().unwrap_or(&v.path);
                        messages.push(format!(
                            "{{errorType:'{}', description:'{} (at {pointer}, {} direction)', additionalInfo:'{}'}}",
                            v.rule,
                            v.message,
                            v.direction.as_str(),
                            info
                        ));
                    }
                    messages.push(format!("{{oldSchemaVersion: {}}}", history[index].version));
                    messages.push(format!(
                        "{{oldSchema: '{}'}}",
                        history[index].prepared.canonical
                    ));
                }
            }
            (_, SchemaType::Protobuf)
                if new.proto.is_some() && history.iter().all(|h| h.prepared.proto.is_some()) =>
            {
                let olds: Vec<&herald_schema::proto::Module> = history
                    .iter()
                    .filter_map(|h| h.prepared.proto.as_ref())
                    .collect();
                let new_module = new.proto.as_ref().ok_or(ApiError::SchemaNotFound)?;
                let options =
                    herald_compat::proto::Options::new(herald_compat::proto::RuleSet::Confluent)
                        .with_root(PROTO_ENTRY);
                let report = herald_compat::proto::check(level, new_module, &olds, &options);
                let mut by_version: Vec<usize> =
                    report.violations.iter().filter_map(|v| v.against).collect();
                by_version.dedup();
                for index in by_version {
                    for v in report
                        .violations
                        .iter()
                        .filter(|v| v.against == Some(index))
                    {
                        messages.push(format!(
                            "{{errorType:'{}', description:'{} ({} direction)', additionalInfo:'{}'}}",
                            v.rule,
                            v.message.replace(PROTO_ENTRY, "schema"),
                            v.direction.as_str(),
                            v.path
                        ));
                    }
                    messages.push(format!("{{oldSchemaVersion: {}}}", history[index].version));
                    messages.push(format!(
                        "{{oldSchema: '{}'}}",
                        history[index].prepared.canonical
                    ));
                }
            }
            (_, other) => {
                return Err(ApiError::CompatibilityUnavailable(format!(
                    "Compatibility checks of {other} schemas are not available in this Herald build yet; \
                     the subject's compatibility level is {level}. Set it to NONE to register without a check."
                )));
            }
        }
    }
    let mut messages: Vec<String> = reserved.iter().cloned().chain(messages).collect();
    let compatible = messages.is_empty();
    if !compatible {
        messages.push(format!(
            "{{validateFields: '{validate_fields}', compatibility: '{level}'}}"
        ));
    }
    Ok(Verdict {
        compatible,
        messages,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn avro(text: &str) -> Prepared {
        prepare(
            SchemaType::Avro,
            text,
            &[],
            Prepare {
                strict: true,
                normalize: false,
            },
        )
        .expect("valid schema")
    }

    #[test]
    fn avro_is_stored_in_java_form_and_primitives_collapse() {
        assert_eq!(avro(r#"{"type": "string"}"#).canonical, r#""string""#);
        let p = avro(r#"{ "type":"record", "name":"A", "fields":[ {"name":"f","type":"int"} ] }"#);
        assert_eq!(
            p.canonical,
            r#"{"type":"record","name":"A","fields":[{"name":"f","type":"int"}]}"#
        );
    }

    #[test]
    fn guid_depends_on_content_and_references() {
        let a = guid("\"string\"", &[], None, None);
        assert_eq!(a.len(), 36);
        assert_eq!(a, guid("\"string\"", &[], None, None));
        let r = Reference {
            name: "x".into(),
            subject: "y".into(),
            version: 1,
        };
        assert_ne!(a, guid("\"string\"", &[r], None, None));
        assert_ne!(a, guid("\"int\"", &[], None, None));
    }

    #[test]
    fn avro_and_protobuf_levels_decide_and_descriptors_read_as_text() {
        let v1 = avro(r#"{"type":"record","name":"A","fields":[{"name":"f","type":"int"}]}"#);
        let v2 = avro(
            r#"{"type":"record","name":"A","fields":[{"name":"f","type":"int"},{"name":"g","type":"int"}]}"#,
        );
        let h = [HistoryEntry {
            version: 1,
            prepared: &v1,
        }];
        let bad = check(CompatibilityLevel::Backward, &v2, &h, &[], false).expect("avro check");
        assert!(!bad.compatible);
        assert!(
            bad.messages[0].contains("READER_FIELD_MISSING_DEFAULT_VALUE"),
            "{:?}",
            bad.messages
        );
        assert!(
            check(CompatibilityLevel::Forward, &v2, &h, &[], false)
                .expect("avro check")
                .compatible
        );
        assert!(
            check(CompatibilityLevel::None, &v2, &h, &[], false)
                .expect("none")
                .compatible
        );
        let how = Prepare {
            strict: true,
            normalize: false,
        };
        let p1 = prepare(
            SchemaType::Protobuf,
            "syntax = \"proto3\";\nmessage M {}\n",
            &[],
            how,
        )
        .expect("stored");
        assert!(prepare(SchemaType::Protobuf, "message {", &[], how).is_err());
        let encoded = serialized_protobuf(&p1.canonical, &[], "m.proto").expect("serialized");
        assert_eq!(
            serialized_protobuf(&encoded, &[], "m.proto").as_deref(),
            Some(encoded.as_str())
        );
        assert!(
            prepare(SchemaType::Protobuf, &encoded, &[], how).is_ok(),
            "descriptors are accepted"
        );
        let ph = [HistoryEntry {
            version: 1,
            prepared: &p1,
        }];
        assert!(
            check(CompatibilityLevel::Backward, &p1, &ph, &[], false)
                .expect("protobuf verdict")
                .compatible
        );
        let p2 = prepare(
            SchemaType::Protobuf,
            "syntax = \"proto3\";\nmessage M {\n  int64 f = 1;\n}\n",
            &[],
            how,
        )
        .expect("stored");
        let p3 = prepare(
            SchemaType::Protobuf,
            "syntax = \"proto3\";\nmessage M {\n  string f = 1;\n}\n",
            &[],
            how,
        )
        .expect("stored");
        let h2 = [HistoryEntry {
            version: 1,
            prepared: &p2,
        }];
        let changed =
            check(CompatibilityLevel::Backward, &p3, &h2, &[], false).expect("protobuf verdict");
        assert!(
            !changed.compatible,
            "a scalar kind change is incompatible: {:?}",
            changed.messages
        );
        // A schema sent as a descriptor is stored as the same canonical text and checked like any other.
        let d = prepare(SchemaType::Protobuf, &encoded, &[], how).expect("descriptor");
        assert_eq!(d.canonical, p1.canonical);
        assert_eq!(d.canonical, "syntax = \"proto3\";\n\nmessage M {}\n");
        let dh = [HistoryEntry {
            version: 1,
            prepared: &d,
        }];
        assert!(
            check(CompatibilityLevel::Backward, &p1, &dh, &[], false)
                .expect("protobuf verdict")
                .compatible
        );
        let mismatch = check(CompatibilityLevel::Backward, &p1, &h, &[], false)
            .expect("type mismatch is a verdict");
        assert!(!mismatch.compatible);
    }
}
