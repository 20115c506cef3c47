//! Herald's .proto front end: lexer, parser, multi-file loader, resolver and descriptor model.
//!
//! [`compile`] takes a [`FileSource`] (any map from import path to text; [`IncludeRoots`] adds protoc-style `-I`
//! roots) and the entry paths, and returns a resolved [`Module`] or every [`Diagnostic`] it found. The well-known
//! types (`google/protobuf/*.proto`) are built in. [`Module::to_file_descriptor_set`] converts the result to
//! `prost_types` for code generation.
//!
//! ```
//! use herald_schema::proto::{compile, Symbol};
//! let files = [("shop.proto", "syntax = \"proto3\"; package shop; message Order { string id = 1; }")];
//! let module = compile(&files, &["shop.proto"]).unwrap();
//! let order = module.message_by_name("shop.Order").unwrap();
//! assert_eq!(order.fields[0].name, "id");
//! assert!(matches!(module.lookup(".shop.Order.id"), Some(Symbol::Field(..))));
//! ```

pub mod ast;
mod descriptor;
mod diag;
pub mod features;
mod lexer;
mod load;
mod model;
mod parser;
mod resolve;
mod values;
mod wkt;

pub use descriptor::DescriptorFlavor;
pub use diag::{Diagnostic, DiagnosticKind, Diagnostics};
pub use features::{
    EnumType, Features, FieldPresence, JsonFormat, MessageEncoding, RepeatedFieldEncoding,
    Utf8Validation,
};
pub use load::{FileSource, IncludeRoots};
pub use model::*;
pub use parser::MAX_NESTING_DEPTH;

/// Parses, loads and resolves `entry` and every file it imports.
pub fn compile(source: &dyn FileSource, entry: &[&str]) -> Result<Module, Diagnostics> {
    let mut errors = Vec::new();
    let (loaded, entries) = load::load_all(source, entry, &mut errors);
    if !errors.is_empty() {
        return Err(Diagnostics { errors });
    }
    resolve::Builder::new(&loaded)
        .build(entries)
        .map_err(|errors| Diagnostics { errors })
}

/// Parses one file's text into its syntax tree, without resolving anything (for tools and tests).
pub fn parse_file(path: &str, text: &str) -> Result<ast::FileAst, Diagnostics> {
    let (ast, mut errs, soft) = parser::parse(text);
    errs.extend(soft);
    if errs.is_empty() {
        return Ok(ast);
    }
    let index = crate::span::LineIndex::new(text);
    let errors = errs
        .into_iter()
        .map(|(span, msg)| diag::make(DiagnosticKind::Syntax, path, text, &index, span, msg))
        .collect();
    Err(Diagnostics { errors })
}

/// The import paths of the built-in well-known type files.
pub fn builtin_files() -> impl Iterator<Item = &'static str> {
    wkt::FILES.iter().map(|(p, _)| *p)
}
