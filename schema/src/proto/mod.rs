//! Herald's .proto front end: lexer, parser, multi-file loader, resolver and descriptor model.
//!
//! # Use
//!
//! [`compile`] takes a [`FileSource`] (anything that maps an import path to text: a `HashMap`, a `BTreeMap`, an
//! array of `(path, text)` pairs, or [`IncludeRoots`] over another source for protoc-style `-I` roots where the
//! first root that has a file wins) and the entry paths. It returns a resolved [`Module`] or [`Diagnostics`] listing
//! every error found (file, byte span, line and column). The library does no IO.
//!
//! ```
//! use herald_schema::proto::{compile, Symbol};
//! let files = [("shop.proto", "syntax = \"proto3\"; package shop; message Order { string id = 1; }")];
//! let module = compile(&files, &["shop.proto"]).unwrap();
//! let order = module.message_by_name("shop.Order").unwrap();
//! assert_eq!(order.fields[0].name, "id");
//! assert!(!order.fields[0].has_presence());
//! assert!(matches!(module.lookup(".shop.Order.id"), Some(Symbol::Field(..))));
//! ```
//!
//! # The model
//!
//! A [`Module`] holds every file reachable from the entry files (dependencies first) and arenas of [`Message`]s,
//! [`Enum`]s, [`Service`]s and extension [`Field`]s addressed by ids ([`MessageId`], ...). Files list their
//! top-level elements, messages their nested ones; [`Module::lookup`] and the `*_by_name` methods find anything by
//! fully-qualified name. Every element carries its [`FileId`](File::id) (or `file`) and a [`Span`](crate::span::Span);
//! [`Module::location`] turns that into path, line and column. Field types are resolved ([`FieldType`]), custom
//! options know the extension they name ([`OptionSetting::extension`]), and every element has resolved editions
//! [`Features`], also for proto2 and proto3 files (derived from the syntax, labels and `packed`), so rules can ask
//! [`Field::has_presence`], [`Field::is_packed`], [`Field::is_delimited`], [`Enum::is_closed`] uniformly.
//!
//! [`Module::to_file_descriptor_set`] writes `prost_types` descriptors as protoc does (with `json_name`, synthetic
//! oneofs of proto3 `optional`, defaults in protoc's text form, element-level `source_code_info` with leading
//! comments, options the typed fields cannot hold kept as `uninterpreted_option`).
//! [`DescriptorFlavor::PreEditions`] lowers editions files for generators that predate editions (prost-build).
//! [`Module::encode_file_descriptor_set`] gives the binary form, which also carries each file's `edition`.
//!
//! # Behaviour worth knowing
//!
//! * Name resolution follows protoc: innermost scope first; a dotted name's first component picks the scope and the
//!   rest must resolve inside it; a leading dot means fully qualified; only the file, its imports and their
//!   `import public` closure are visible (`import option` files count as visible). Edition 2024's `export` and
//!   `local` and `features.default_symbol_visibility` decide which messages and enums other files may use.
//! * The well-known types (`google/protobuf/*.proto`, `compiler/plugin.proto`) and the editions feature files
//!   (`java_features.proto`, `cpp_features.proto`) are built in; a caller's file of the same path wins.
//! * Nesting of messages, groups and aggregate option values is limited to [`MAX_NESTING_DEPTH`]; deeper input is a
//!   diagnostic, never a stack overflow. Each file reports at most 100 parse errors.
//! * Statement-level mistakes (a label proto3 forbids, `features` outside editions, ...) do not stop parsing, so
//!   resolution errors are reported with them; malformed syntax stops before resolution.
//! * Not checked (protoc checks them): option `targets` and `retention`, enum value prefix conflicts,
//!   `edition_defaults`/feature support windows, and edition 2024's naming style. Custom option values are type-checked (aggregates field by field)
//!   but kept as written, not encoded.

pub mod ast;
mod descriptor;
mod diag;
mod fasthash;
pub mod features;
mod lexer;
mod load;
mod model;
mod parser;
pub mod print;
mod resolve;
mod values;
mod wkt;

pub use descriptor::DescriptorFlavor;
pub use diag::{Diagnostic, DiagnosticKind, Diagnostics};
pub use features::{
    DefaultSymbolVisibility, EnumType, Features, FieldPresence, JsonFormat, MessageEncoding,
    RepeatedFieldEncoding, Utf8Validation,
};
pub use load::{FileSource, IncludeRoots};
pub use model::*;
pub use parser::MAX_NESTING_DEPTH;

/// Parses, loads and resolves `entry` and every file it imports.
/// Diagnostics come sorted by file path and position.
pub fn compile(source: &dyn FileSource, entry: &[&str]) -> Result<Module, Diagnostics> {
    let mut errors = Vec::new();
    let (loaded, entries) = load::load_all(source, entry, &mut errors);
    if errors.is_empty() {
        match resolve::Builder::new(&loaded).build(entries) {
            Ok(module) => return Ok(module),
            Err(e) => errors = e,
        }
    }
    errors.sort_by(|a, b| (&a.file, a.span.start).cmp(&(&b.file, b.span.start)));
    Err(Diagnostics { errors })
}

/// Parses one file's text into its syntax tree, without resolving anything (for tools and tests).
pub fn parse_file(path: &str, text: &str) -> Result<ast::FileAst, Diagnostics> {
    let parsed = parser::parse(text);
    let index = crate::span::LineIndex::new(text);
    let (mut errors, soft) = load::diagnostics(path, text, &index, &parsed);
    errors.extend(soft);
    if errors.is_empty() {
        Ok(parsed.ast)
    } else {
        Err(Diagnostics { errors })
    }
}

/// The import paths of the built-in well-known type files.
pub fn builtin_files() -> impl Iterator<Item = &'static str> {
    wkt::FILES.iter().map(|(p, _)| *p)
}

/// The text of a built-in file (`google/protobuf/timestamp.proto`, ...).
pub fn builtin_file(path: &str) -> Option<&'static str> {
    wkt::get(path)
}
