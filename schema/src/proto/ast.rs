//! The syntax tree of one .proto file, as written (names unresolved), with a span on every node.

use crate::span::Span;

/// A name and where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Ident {
    pub text: String,
    pub span: Span,
}

/// `syntax = "proto2" | "proto3"` or `edition = "2023"`.
#[derive(Debug, Clone, PartialEq)]
pub enum SyntaxDecl {
    Syntax(Ident),
    Edition(Ident),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportKind {
    Default,
    Public,
    Weak,
    /// `import option "x.proto";` (edition 2024): the file is needed only for custom options.
    Option,
}

/// Edition 2024's symbol visibility keywords on messages and enums.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Visibility {
    Export,
    Local,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Import {
    pub path: Ident,
    pub kind: ImportKind,
    pub span: Span,
}

/// A parsed .proto file.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FileAst {
    pub syntax: Option<SyntaxDecl>,
    pub package: Option<Ident>,
    /// Where the whole `package a.b;` statement is written (the first one, if repeated).
    pub package_statement_span: Option<Span>,
    pub imports: Vec<Import>,
    pub options: Vec<OptionAst>,
    pub messages: Vec<MessageAst>,
    pub enums: Vec<EnumAst>,
    pub services: Vec<ServiceAst>,
    pub extends: Vec<ExtendAst>,
    pub span: Span,
}

/// One component of an option name: `foo`, or `(foo.bar)` when `is_extension`.
#[derive(Debug, Clone, PartialEq)]
pub struct OptionNamePart {
    pub name: String,
    pub is_extension: bool,
    pub span: Span,
}

/// `option a.(b).c = value;` or `[a = value]`.
#[derive(Debug, Clone, PartialEq)]
pub struct OptionAst {
    pub name: Vec<OptionNamePart>,
    pub value: ValueAst,
    pub span: Span,
}

/// An option value or a text-format aggregate value.
#[derive(Debug, Clone, PartialEq)]
pub struct ValueAst {
    pub kind: ValueKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ValueKind {
    /// An identifier (`true`, `FOO`, `inf`), possibly after a minus sign (`-inf`).
    Ident {
        negative: bool,
        name: String,
    },
    /// An integer literal and its sign; `None` magnitude when it overflowed 64 bits.
    Int {
        negative: bool,
        magnitude: Option<u64>,
    },
    Float(f64),
    /// Adjacent string literals, concatenated.
    Str(Vec<u8>),
    /// `{ field: value ... }` in text format.
    Aggregate(Vec<AggregateField>),
    /// `[v1, v2]` inside an aggregate.
    List(Vec<ValueAst>),
}

/// One `name: value` entry of an aggregate; `name` is `[ext.name]` for extensions or `[type.googleapis.com/T]` for Any.
#[derive(Debug, Clone, PartialEq)]
pub struct AggregateField {
    pub name: String,
    pub is_extension: bool,
    pub value: ValueAst,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabelAst {
    Optional,
    Required,
    Repeated,
}

/// A field's type as written.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldTypeAst {
    /// A scalar keyword or a (possibly dotted, possibly leading-dot) type name.
    Named(Ident),
    Map {
        key: Ident,
        value: Ident,
    },
    /// `group Name = 1 { ... }`: the body is a nested message.
    Group(Box<MessageAst>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct FieldAst {
    pub label: Option<(LabelAst, Span)>,
    pub ty: FieldTypeAst,
    pub name: Ident,
    /// The field number; `None` when it was out of range (already reported).
    pub number: Option<i64>,
    pub number_span: Span,
    pub options: Vec<OptionAst>,
    pub span: Span,
    pub comment: Option<String>,
    /// A comment on the same line after the declaration (after `;`, or after `{` for blocks).
    pub trailing_comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OneofAst {
    pub name: Ident,
    pub fields: Vec<FieldAst>,
    pub options: Vec<OptionAst>,
    pub span: Span,
}

/// `start to end` (inclusive); `end` is `None` for `max`.
#[derive(Debug, Clone, PartialEq)]
pub struct RangeAst {
    pub start: i64,
    pub end: Option<i64>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReservedAst {
    pub ranges: Vec<RangeAst>,
    pub names: Vec<Ident>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ExtensionsAst {
    pub ranges: Vec<RangeAst>,
    pub options: Vec<OptionAst>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ExtendAst {
    pub extendee: Ident,
    pub fields: Vec<FieldAst>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MessageAst {
    pub name: Ident,
    /// `export` / `local` (edition 2024).
    pub visibility: Option<Visibility>,
    pub fields: Vec<FieldAst>,
    pub oneofs: Vec<OneofAst>,
    pub messages: Vec<MessageAst>,
    pub enums: Vec<EnumAst>,
    pub extends: Vec<ExtendAst>,
    pub reserved: Vec<ReservedAst>,
    pub extensions: Vec<ExtensionsAst>,
    pub options: Vec<OptionAst>,
    /// Declaration order of fields, counting oneof members in place: (oneof index or None, index in its list).
    pub field_order: Vec<(Option<usize>, usize)>,
    pub span: Span,
    pub comment: Option<String>,
    /// A comment on the same line after the declaration (after `;`, or after `{` for blocks).
    pub trailing_comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EnumValueAst {
    pub name: Ident,
    pub number: Option<i64>,
    pub number_span: Span,
    pub options: Vec<OptionAst>,
    pub span: Span,
    pub comment: Option<String>,
    /// A comment on the same line after the declaration (after `;`, or after `{` for blocks).
    pub trailing_comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EnumAst {
    pub name: Ident,
    /// `export` / `local` (edition 2024).
    pub visibility: Option<Visibility>,
    pub values: Vec<EnumValueAst>,
    pub options: Vec<OptionAst>,
    pub reserved: Vec<ReservedAst>,
    pub span: Span,
    pub comment: Option<String>,
    /// A comment on the same line after the declaration (after `;`, or after `{` for blocks).
    pub trailing_comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RpcAst {
    pub name: Ident,
    pub input: Ident,
    pub input_stream: bool,
    pub output: Ident,
    pub output_stream: bool,
    pub options: Vec<OptionAst>,
    pub span: Span,
    pub comment: Option<String>,
    /// A comment on the same line after the declaration (after `;`, or after `{` for blocks).
    pub trailing_comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ServiceAst {
    pub name: Ident,
    pub rpcs: Vec<RpcAst>,
    pub options: Vec<OptionAst>,
    pub span: Span,
    pub comment: Option<String>,
    /// A comment on the same line after the declaration (after `;`, or after `{` for blocks).
    pub trailing_comment: Option<String>,
}
