//! The Avro schema model: an arena of type nodes in which named types are shared, so recursive and mutually
//! recursive types are plain cycles of [`NodeId`]s and a reference compares by content, never by name.
//!
//! * [`parse`] / [`Parser`]: JSON text → [`AvroSchema`], with Apache Avro Java's rules for names, namespaces and
//!   aliases, and the validation Confluent applies to a schema being registered ([`ParseOptions::strict`]).
//! * `canonical`: Parsing Canonical Form, its Rabin fingerprint, Confluent's normalized form and the Java-style
//!   rendering a registry stores.

mod canonical;
mod defaults;
mod logical;
mod parser;
mod rabin;

use std::collections::HashMap;
use std::fmt;

use crate::json::Json;
use crate::span::{LineCol, LineIndex, Span};

pub use logical::LogicalType;
pub use parser::{ParseOptions, Parser, parse, parse_strict};
pub use rabin::rabin_fingerprint;

/// The deepest nesting of Avro types accepted (arrays in maps in records ...). Real schemas stay far below it.
pub const MAX_NESTING: usize = 200;

/// Index of a node in an [`AvroSchema`]'s arena.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(pub u32);

/// A parsed Avro schema: the root type, every node it reaches, and the source texts it came from.
#[derive(Debug, Clone)]
pub struct AvroSchema {
    nodes: Vec<Node>,
    root: NodeId,
    /// Named types by full name: those defined in this schema and in its references.
    names: HashMap<String, NodeId>,
    /// Source texts: index 0 is the schema itself, then the references in the order given.
    sources: Vec<Source>,
}

#[derive(Debug, Clone)]
struct Source {
    text: String,
    lines: LineIndex,
}

/// One type in the arena.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub kind: Kind,
    /// The logical type, when the `logicalType` attribute names a known one that is valid for this base type.
    pub logical: Option<LogicalType>,
    /// Attributes that are not part of the Avro grammar for this type (custom properties, `logicalType`,
    /// `precision`, `scale`), in source order.
    pub props: Vec<(String, Json)>,
    /// Where the type was written: which source text (0 = the schema itself) and its span there.
    pub source: u32,
    pub span: Span,
}

/// The Avro type of a node.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    Null,
    Boolean,
    Int,
    Long,
    Float,
    Double,
    Bytes,
    String,
    Array(NodeId),
    Map(NodeId),
    Union(Vec<NodeId>),
    Record(Box<Record>),
    Enum(Box<Enum>),
    Fixed(Box<Fixed>),
}

/// The name of a named type; the namespace is `None` for the null namespace.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Name {
    pub name: String,
    pub namespace: Option<String>,
}

impl Name {
    /// Builds a name as Java's `Schema.Name` does: a dotted name carries its own namespace, an empty namespace is
    /// the null namespace.
    pub fn new(name: &str, enclosing: Option<&str>) -> Name {
        match name.rfind('.') {
            Some(dot) => Name {
                name: name[dot + 1..].to_owned(),
                namespace: Some(&name[..dot])
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned),
            },
            None => Name {
                name: name.to_owned(),
                namespace: enclosing.filter(|s| !s.is_empty()).map(str::to_owned),
            },
        }
    }

    pub fn full_name(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{ns}.{}", self.name),
            None => self.name.clone(),
        }
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{ns}.{}", self.name),
            None => f.write_str(&self.name),
        }
    }
}

/// A record (or an `error`, which Avro treats as a record).
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub name: Name,
    /// Aliases as full names (relative aliases are qualified with the record's namespace, as Java does).
    pub aliases: Vec<String>,
    pub doc: Option<String>,
    pub fields: Vec<Field>,
    /// Field position by name, for constant-time lookup.
    pub by_name: HashMap<String, usize>,
    pub is_error: bool,
}

impl Record {
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.by_name.get(name).map(|&i| &self.fields[i])
    }
}

/// A record field.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub name: String,
    pub aliases: Vec<String>,
    pub doc: Option<String>,
    /// The default as written; `Some` for an explicit `"default": null` too.
    pub default: Option<Json>,
    pub order: Option<Order>,
    pub ty: NodeId,
    pub props: Vec<(String, Json)>,
    pub span: Span,
}

/// A field's sort order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    Ascending,
    Descending,
    Ignore,
}

impl Order {
    pub fn as_str(self) -> &'static str {
        match self {
            Order::Ascending => "ascending",
            Order::Descending => "descending",
            Order::Ignore => "ignore",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Enum {
    pub name: Name,
    pub aliases: Vec<String>,
    pub doc: Option<String>,
    pub symbols: Vec<String>,
    /// The enum-level default symbol (the reader's fallback for unknown symbols).
    pub default: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Fixed {
    pub name: Name,
    pub aliases: Vec<String>,
    pub doc: Option<String>,
    pub size: u32,
}

impl Kind {
    /// Java's `Schema.Type` name (`RECORD`, `INT`, ...), as used in Apache Avro's messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Kind::Null => "NULL",
            Kind::Boolean => "BOOLEAN",
            Kind::Int => "INT",
            Kind::Long => "LONG",
            Kind::Float => "FLOAT",
            Kind::Double => "DOUBLE",
            Kind::Bytes => "BYTES",
            Kind::String => "STRING",
            Kind::Array(_) => "ARRAY",
            Kind::Map(_) => "MAP",
            Kind::Union(_) => "UNION",
            Kind::Record(_) => "RECORD",
            Kind::Enum(_) => "ENUM",
            Kind::Fixed(_) => "FIXED",
        }
    }

    /// The lowercase Avro spelling (`record`, `int`, ...).
    pub fn avro_name(&self) -> &'static str {
        match self {
            Kind::Null => "null",
            Kind::Boolean => "boolean",
            Kind::Int => "int",
            Kind::Long => "long",
            Kind::Float => "float",
            Kind::Double => "double",
            Kind::Bytes => "bytes",
            Kind::String => "string",
            Kind::Array(_) => "array",
            Kind::Map(_) => "map",
            Kind::Union(_) => "union",
            Kind::Record(_) => "record",
            Kind::Enum(_) => "enum",
            Kind::Fixed(_) => "fixed",
        }
    }

    /// Whether two kinds are the same Avro type (ignoring everything inside them).
    pub fn same_type(&self, other: &Kind) -> bool {
        std::mem::discriminant(self) == std::mem::discriminant(other)
    }

    /// The name of a record, enum or fixed.
    pub fn name(&self) -> Option<&Name> {
        match self {
            Kind::Record(r) => Some(&r.name),
            Kind::Enum(e) => Some(&e.name),
            Kind::Fixed(f) => Some(&f.name),
            _ => None,
        }
    }

    /// The aliases (full names) of a record, enum or fixed.
    pub fn aliases(&self) -> &[String] {
        match self {
            Kind::Record(r) => &r.aliases,
            Kind::Enum(e) => &e.aliases,
            Kind::Fixed(f) => &f.aliases,
            _ => &[],
        }
    }
}

impl AvroSchema {
    pub fn root(&self) -> NodeId {
        self.root
    }

    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id.0 as usize]
    }

    pub fn kind(&self, id: NodeId) -> &Kind {
        &self.nodes[id.0 as usize].kind
    }

    /// Number of nodes in the arena (every type written, references resolved to their definition).
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The named type with this full name, defined in the schema or one of its references.
    pub fn named(&self, full_name: &str) -> Option<NodeId> {
        self.names.get(full_name).copied()
    }

    /// The text the schema was parsed from.
    pub fn text(&self) -> &str {
        &self.sources[0].text
    }

    /// Line and column of a span's start in the node's own source text.
    pub fn line_col(&self, source: u32, span: Span) -> LineCol {
        let source = &self.sources[source as usize];
        source.lines.line_col(&source.text, span.start)
    }

    /// A short, human description of a type: `int`, `array<long>`, `record shop.Order`, `union[null, string]`.
    pub fn describe(&self, id: NodeId) -> String {
        let mut out = String::new();
        self.describe_into(id, &mut out, 0);
        out
    }

    fn describe_into(&self, id: NodeId, out: &mut String, depth: usize) {
        use std::fmt::Write as _;
        let kind = self.kind(id);
        if depth > 3 {
            out.push_str(kind.avro_name());
            return;
        }
        match kind {
            Kind::Array(items) => {
                out.push_str("array<");
                self.describe_into(*items, out, depth + 1);
                out.push('>');
            }
            Kind::Map(values) => {
                out.push_str("map<");
                self.describe_into(*values, out, depth + 1);
                out.push('>');
            }
            Kind::Union(branches) => {
                out.push_str("union[");
                for (i, b) in branches.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    self.describe_into(*b, out, depth + 1);
                }
                out.push(']');
            }
            Kind::Record(r) => {
                let _ = write!(out, "record {}", r.name);
            }
            Kind::Enum(e) => {
                let _ = write!(out, "enum {}", e.name);
            }
            Kind::Fixed(f) => {
                let _ = write!(out, "fixed {}({})", f.name, f.size);
            }
            other => out.push_str(other.avro_name()),
        }
        if let Some(logical) = &self.node(id).logical {
            let _ = write!(out, " ({})", logical.name());
        }
    }

    /// A short label for a union branch in a human path: the name of a named type, else its Avro type.
    pub fn branch_label(&self, id: NodeId) -> String {
        match self.kind(id).name() {
            Some(name) => name.name.clone(),
            None => self.kind(id).avro_name().to_owned(),
        }
    }
}

/// What went wrong while reading a schema, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub message: String,
    /// Which source text: 0 is the schema itself, 1.. its references.
    pub source: u32,
    pub span: Option<Span>,
    /// Line and column of the span's start, when known.
    pub line_col: Option<LineCol>,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(lc) = self.line_col {
            write!(f, "{}:{}: ", lc.line, lc.column)?;
        }
        if self.source > 0 {
            write!(f, "in reference {}: ", self.source)?;
        }
        f.write_str(&self.message)
    }
}

/// A schema that could not be read: every problem found, in source order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct AvroError {
    pub diagnostics: Vec<Diagnostic>,
}

impl fmt::Display for AvroError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.diagnostics.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}
