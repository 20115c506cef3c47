//! Reads Avro schema JSON into an [`AvroSchema`], following Apache Avro Java's `Schema.Parser` rules.
//!
//! Names are registered before a record's fields are read, so a record may refer to itself; references to names
//! not yet defined are resolved after the whole text (and its references) is read, so mutually recursive types
//! and forward references work. Problems are collected, not stopped at: one parse reports every one it finds.

use std::collections::{HashMap, HashSet};

use crate::avro::logical::{self, Base};
use crate::avro::{
    AvroError, AvroSchema, Diagnostic, Enum, Field, Fixed, Kind, MAX_NESTING, Name, Node, NodeId,
    Order, Record, Source,
};
use crate::json::{self, Json, Member, Value};
use crate::span::{LineIndex, Span};

/// How strictly to read a schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ParseOptions {
    /// Names, field names and enum symbols must be Avro identifiers (`[A-Za-z_][A-Za-z0-9_]*`).
    pub validate_names: bool,
    /// Field defaults must be valid values of the field's type.
    pub validate_defaults: bool,
}

impl ParseOptions {
    /// What Confluent applies to a schema being registered: strict names and type-checked defaults.
    pub fn strict() -> ParseOptions {
        ParseOptions {
            validate_names: true,
            validate_defaults: true,
        }
    }

    /// What Confluent applies to schemas already stored: no name or default validation.
    pub fn lenient() -> ParseOptions {
        ParseOptions::default()
    }
}

/// Parses a schema leniently (as a stored schema is read).
pub fn parse(text: &str) -> Result<AvroSchema, AvroError> {
    Parser::new(ParseOptions::lenient()).parse(text)
}

/// Parses a schema strictly (as a schema being registered is read).
pub fn parse_strict(text: &str) -> Result<AvroSchema, AvroError> {
    Parser::new(ParseOptions::strict()).parse(text)
}

const PRIMITIVES: [&str; 8] = [
    "null", "boolean", "int", "long", "float", "double", "bytes", "string",
];
/// Attributes of a type that are grammar, not properties (Java's `SCHEMA_RESERVED`).
const SCHEMA_RESERVED: [&str; 10] = [
    "doc",
    "fields",
    "items",
    "name",
    "namespace",
    "size",
    "symbols",
    "values",
    "type",
    "aliases",
];
/// Attributes of a field that are grammar (Java's `FIELD_RESERVED`).
const FIELD_RESERVED: [&str; 6] = ["default", "doc", "name", "order", "type", "aliases"];

/// Reads a schema together with the schemas it references (named types defined in other registry subjects).
#[derive(Debug)]
pub struct Parser {
    options: ParseOptions,
    nodes: Vec<Node>,
    names: HashMap<String, NodeId>,
    sources: Vec<Source>,
    source: u32,
    /// Placeholders for names used before their definition: (placeholder, candidate full names, span).
    pending: Vec<(NodeId, Vec<String>, u32, Span)>,
    /// Placeholders whose name was never defined (already reported; later checks skip them).
    unresolved: HashSet<NodeId>,
    /// Record fields whose defaults are checked once every name is resolved: (record, field index).
    defaults_to_check: Vec<(NodeId, usize)>,
    diagnostics: Vec<Diagnostic>,
}

impl Parser {
    pub fn new(options: ParseOptions) -> Parser {
        Parser {
            options,
            nodes: Vec::new(),
            names: HashMap::new(),
            sources: vec![Source {
                text: String::new(),
                lines: LineIndex::new(""),
            }],
            source: 0,
            pending: Vec::new(),
            unresolved: HashSet::new(),
            defaults_to_check: Vec::new(),
            diagnostics: Vec::new(),
        }
    }

    /// Reads a referenced schema first, so its named types can be used by name in the main schema. References
    /// are read as stored schemas are: without name or default validation.
    pub fn reference(mut self, text: &str) -> Parser {
        self.source = u32::try_from(self.sources.len()).unwrap_or(u32::MAX);
        self.sources.push(Source {
            text: text.to_owned(),
            lines: LineIndex::new(text),
        });
        let saved = self.options;
        self.options = ParseOptions::lenient();
        self.read_root(text);
        self.options = saved;
        self
    }

    /// Reads the schema itself and resolves every name.
    pub fn parse(mut self, text: &str) -> Result<AvroSchema, AvroError> {
        self.source = 0;
        self.sources[0] = Source {
            text: text.to_owned(),
            lines: LineIndex::new(text),
        };
        let root = self.read_root(text);
        self.resolve_pending();
        self.check_unions();
        if self.options.validate_defaults && self.unresolved.is_empty() {
            self.check_defaults();
        }
        match root {
            Some(root) if self.diagnostics.is_empty() => Ok(AvroSchema {
                nodes: self.nodes,
                root,
                names: self.names,
                sources: self.sources,
            }),
            _ => Err(self.into_error()),
        }
    }

    fn into_error(self) -> AvroError {
        let sources = self.sources;
        let mut diagnostics = self.diagnostics;
        for d in &mut diagnostics {
            if let Some(span) = d.span {
                let source = &sources[d.source as usize];
                d.line_col = Some(source.lines.line_col(&source.text, span.start));
            }
        }
        diagnostics.sort_by_key(|d| (d.source, d.span.map(|s| s.start)));
        AvroError { diagnostics }
    }

    fn read_root(&mut self, text: &str) -> Option<NodeId> {
        match json::parse(text) {
            Ok(json) => self.parse_type(&json, None, 0),
            Err(err) => {
                let span = Span::new(err.offset, err.offset);
                self.error(span, format!("invalid JSON: {}", err.message));
                None
            }
        }
    }

    fn error(&mut self, span: Span, message: impl Into<String>) {
        self.diagnostics.push(Diagnostic {
            message: message.into(),
            source: self.source,
            span: Some(span),
            line_col: None,
        });
    }

    fn push(&mut self, kind: Kind, props: Vec<(String, Json)>, span: Span) -> NodeId {
        let id = NodeId(u32::try_from(self.nodes.len()).unwrap_or(u32::MAX));
        self.nodes.push(Node {
            kind,
            logical: None,
            props,
            source: self.source,
            span,
        });
        id
    }

    fn parse_type(&mut self, json: &Json, ns: Option<&str>, depth: usize) -> Option<NodeId> {
        if depth > MAX_NESTING {
            self.error(
                json.span,
                format!("schema nesting is deeper than {MAX_NESTING} levels"),
            );
            return None;
        }
        match &json.value {
            Value::String(name) => self.type_by_name(name, ns, json.span),
            Value::Array(branches) => {
                let mut ids = Vec::with_capacity(branches.len());
                for branch in branches {
                    ids.push(self.parse_type(branch, ns, depth + 1));
                }
                let ids = ids.into_iter().collect::<Option<Vec<_>>>()?;
                Some(self.push(Kind::Union(ids), Vec::new(), json.span))
            }
            Value::Object(members) => self.parse_object(json, members, ns, depth),
            _ => {
                self.error(
                    json.span,
                    format!(
                        "a schema must be a type name, an object or an array (a union), not {}",
                        json.kind_name()
                    ),
                );
                None
            }
        }
    }

    fn primitive(&mut self, name: &str, props: Vec<(String, Json)>, span: Span) -> Option<NodeId> {
        let (kind, base) = match name {
            "null" => (Kind::Null, Base::Other),
            "boolean" => (Kind::Boolean, Base::Other),
            "int" => (Kind::Int, Base::Int),
            "long" => (Kind::Long, Base::Long),
            "float" => (Kind::Float, Base::Other),
            "double" => (Kind::Double, Base::Other),
            "bytes" => (Kind::Bytes, Base::Bytes),
            "string" => (Kind::String, Base::String),
            _ => return None,
        };
        let logical = logical::from_props(&props, base);
        let id = self.push(kind, props, span);
        self.nodes[id.0 as usize].logical = logical;
        Some(id)
    }

    /// A type written as a string: a primitive, or a named type defined before, after or in a reference.
    fn type_by_name(&mut self, name: &str, ns: Option<&str>, span: Span) -> Option<NodeId> {
        if let Some(id) = self.primitive(name, Vec::new(), span) {
            return Some(id);
        }
        // Java's `Names.get`: the name qualified with the enclosing namespace, then in the null namespace.
        let mut candidates = vec![Name::new(name, ns).full_name()];
        if !name.contains('.') && ns.is_some_and(|ns| !ns.is_empty()) {
            candidates.push(name.to_owned());
        }
        if let Some(id) = candidates.iter().find_map(|c| self.names.get(c)) {
            return Some(*id);
        }
        let placeholder = self.push(Kind::Null, Vec::new(), span);
        self.pending
            .push((placeholder, candidates, self.source, span));
        Some(placeholder)
    }

    fn parse_object(
        &mut self,
        json: &Json,
        members: &[Member],
        ns: Option<&str>,
        depth: usize,
    ) -> Option<NodeId> {
        let Some(type_json) = json.get("type") else {
            self.error(json.span, "a schema object needs a \"type\"");
            return None;
        };
        let Some(type_name) = type_json.as_str() else {
            self.error(
                type_json.span,
                format!(
                    "\"type\" must be a string here, not {} (to nest a schema, write it as the field's or the \
                     union's type directly)",
                    type_json.kind_name()
                ),
            );
            return None;
        };
        let props = |reserved: &[&str]| -> Vec<(String, Json)> {
            members
                .iter()
                .filter(|m| !reserved.contains(&m.key.as_str()))
                .map(|m| (m.key.clone(), m.value.clone()))
                .collect()
        };
        match type_name {
            "record" | "error" => self.parse_record(
                json,
                ns,
                depth,
                type_name == "error",
                props(&SCHEMA_RESERVED),
            ),
            "enum" => {
                let mut reserved = SCHEMA_RESERVED.to_vec();
                reserved.push("default");
                self.parse_enum(json, ns, props(&reserved))
            }
            "fixed" => self.parse_fixed(json, ns, props(&SCHEMA_RESERVED)),
            "array" => {
                let Some(items) = json.get("items") else {
                    self.error(json.span, "an array needs \"items\"");
                    return None;
                };
                let items = self.parse_type(items, ns, depth + 1)?;
                Some(self.push(Kind::Array(items), props(&SCHEMA_RESERVED), json.span))
            }
            "map" => {
                let Some(values) = json.get("values") else {
                    self.error(json.span, "a map needs \"values\"");
                    return None;
                };
                let values = self.parse_type(values, ns, depth + 1)?;
                Some(self.push(Kind::Map(values), props(&SCHEMA_RESERVED), json.span))
            }
            name if PRIMITIVES.contains(&name) => {
                self.primitive(name, props(&SCHEMA_RESERVED), json.span)
            }
            // `{"type": "com.acme.Thing"}`: a reference to a named type, as Java allows.
            name => self.type_by_name(name, ns, type_json.span),
        }
    }

    /// Reads `name`, `namespace`, `aliases` and `doc` of a named type and registers its full name.
    fn named_header(
        &mut self,
        json: &Json,
        ns: Option<&str>,
        what: &str,
    ) -> Option<(Name, Vec<String>, Option<String>)> {
        let Some(name_json) = json.get("name") else {
            self.error(json.span, format!("a {what} needs a \"name\""));
            return None;
        };
        let Some(raw_name) = name_json.as_str() else {
            self.error(
                name_json.span,
                format!("the name of a {what} must be a string"),
            );
            return None;
        };
        let namespace = match json.get("namespace") {
            None => ns.map(str::to_owned),
            Some(j) => match &j.value {
                Value::String(s) => Some(s.clone()),
                Value::Null => None,
                _ => {
                    self.error(j.span, "\"namespace\" must be a string");
                    return None;
                }
            },
        };
        let name = Name::new(raw_name, namespace.as_deref());
        if !self.check_name(&name.name, name_json.span, what) {
            return None;
        }
        if name.namespace.is_none() && PRIMITIVES.contains(&name.name.as_str()) {
            self.error(
                name_json.span,
                format!(
                    "a {what} may not be named after the primitive type {:?}",
                    name.name
                ),
            );
            return None;
        }
        let aliases = self.aliases(json)?;
        let aliases = aliases
            .iter()
            .map(|a| Name::new(a, name.namespace.as_deref()).full_name())
            .collect();
        let doc = self.doc(json);
        Some((name, aliases, doc))
    }

    fn register(&mut self, name: &Name, id: NodeId, span: Span) -> bool {
        let full = name.full_name();
        if self.names.contains_key(&full) {
            self.error(span, format!("the name {full:?} is defined twice"));
            return false;
        }
        self.names.insert(full, id);
        true
    }

    fn check_name(&mut self, name: &str, span: Span, what: &str) -> bool {
        if name.is_empty() {
            self.error(span, format!("the name of a {what} must not be empty"));
            return false;
        }
        if self.options.validate_names && !is_avro_identifier(name) {
            self.error(
                span,
                format!(
                    "{name:?} is not a valid {what} name: it must start with a letter or '_' and contain only \
                     letters, digits and '_'"
                ),
            );
            return false;
        }
        true
    }

    fn aliases(&mut self, json: &Json) -> Option<Vec<String>> {
        let Some(aliases) = json.get("aliases") else {
            return Some(Vec::new());
        };
        let Some(items) = aliases.as_array() else {
            self.error(aliases.span, "\"aliases\" must be an array of strings");
            return None;
        };
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            match item.as_str() {
                Some(s) => out.push(s.to_owned()),
                None => {
                    self.error(item.span, "an alias must be a string");
                    return None;
                }
            }
        }
        Some(out)
    }

    fn doc(&mut self, json: &Json) -> Option<String> {
        json.get("doc").and_then(|d| d.as_str()).map(str::to_owned)
    }

    fn parse_record(
        &mut self,
        json: &Json,
        ns: Option<&str>,
        depth: usize,
        is_error: bool,
        props: Vec<(String, Json)>,
    ) -> Option<NodeId> {
        let (name, aliases, doc) = self.named_header(json, ns, "record")?;
        // Register first, so fields may refer to the record itself.
        let id = self.push(Kind::Null, props, json.span);
        if !self.register(&name, id, json.get("name").map_or(json.span, |n| n.span)) {
            return None;
        }
        let Some(fields_json) = json.get("fields") else {
            self.error(json.span, format!("record {name} needs \"fields\""));
            return None;
        };
        let Some(field_items) = fields_json.as_array() else {
            self.error(
                fields_json.span,
                format!("\"fields\" of record {name} must be an array"),
            );
            return None;
        };
        let inner_ns = name.namespace.clone();
        let mut fields = Vec::with_capacity(field_items.len());
        let mut by_name = HashMap::with_capacity(field_items.len());
        let mut ok = true;
        for field_json in field_items {
            match self.parse_field(field_json, inner_ns.as_deref(), depth, &name) {
                Some(field) => {
                    if by_name.insert(field.name.clone(), fields.len()).is_some() {
                        self.error(
                            field_json.span,
                            format!("record {name} has two fields named {:?}", field.name),
                        );
                        ok = false;
                    }
                    fields.push(field);
                }
                None => ok = false,
            }
        }
        if !ok {
            return None;
        }
        for (index, field) in fields.iter().enumerate() {
            if field.default.is_some() {
                self.defaults_to_check.push((id, index));
            }
        }
        self.nodes[id.0 as usize].kind = Kind::Record(Box::new(Record {
            name,
            aliases,
            doc,
            fields,
            by_name,
            is_error,
        }));
        Some(id)
    }

    fn parse_field(
        &mut self,
        json: &Json,
        ns: Option<&str>,
        depth: usize,
        record: &Name,
    ) -> Option<Field> {
        if json.as_object().is_none() {
            self.error(
                json.span,
                format!(
                    "a field of record {record} must be an object, not {}",
                    json.kind_name()
                ),
            );
            return None;
        }
        let Some(name) = json.get("name").and_then(Json::as_str) else {
            self.error(
                json.span,
                format!("a field of record {record} needs a string \"name\""),
            );
            return None;
        };
        let name_span = json.get("name").map_or(json.span, |n| n.span);
        if !self.check_name(name, name_span, "field") {
            return None;
        }
        let Some(type_json) = json.get("type") else {
            self.error(json.span, format!("field {record}.{name} needs a \"type\""));
            return None;
        };
        let ty = self.parse_type(type_json, ns, depth + 1)?;
        let order = match json.get("order") {
            None => None,
            Some(o) => match o.as_str().map(str::to_ascii_lowercase).as_deref() {
                Some("ascending") => Some(Order::Ascending),
                Some("descending") => Some(Order::Descending),
                Some("ignore") => Some(Order::Ignore),
                _ => {
                    self.error(
                        o.span,
                        format!(
                            "field {record}.{name}: \"order\" must be \"ascending\", \"descending\" or \"ignore\""
                        ),
                    );
                    return None;
                }
            },
        };
        let aliases = self.aliases(json)?;
        let doc = self.doc(json);
        let props = json
            .as_object()
            .unwrap_or_default()
            .iter()
            .filter(|m| !FIELD_RESERVED.contains(&m.key.as_str()))
            .map(|m| (m.key.clone(), m.value.clone()))
            .collect();
        Some(Field {
            name: name.to_owned(),
            aliases,
            doc,
            default: json.get("default").cloned(),
            order,
            ty,
            props,
            span: json.span,
        })
    }

    fn parse_enum(
        &mut self,
        json: &Json,
        ns: Option<&str>,
        props: Vec<(String, Json)>,
    ) -> Option<NodeId> {
        let (name, aliases, doc) = self.named_header(json, ns, "enum")?;
        let Some(symbols_json) = json.get("symbols") else {
            self.error(json.span, format!("enum {name} needs \"symbols\""));
            return None;
        };
        let Some(items) = symbols_json.as_array() else {
            self.error(
                symbols_json.span,
                format!("\"symbols\" of enum {name} must be an array"),
            );
            return None;
        };
        let mut symbols = Vec::with_capacity(items.len());
        let mut seen = HashSet::with_capacity(items.len());
        for item in items {
            let Some(symbol) = item.as_str() else {
                self.error(
                    item.span,
                    format!("a symbol of enum {name} must be a string"),
                );
                return None;
            };
            if !self.check_name(symbol, item.span, "enum symbol") {
                return None;
            }
            if !seen.insert(symbol) {
                self.error(
                    item.span,
                    format!("enum {name} lists the symbol {symbol:?} twice"),
                );
                return None;
            }
            symbols.push(symbol.to_owned());
        }
        let default = match json.get("default") {
            None => None,
            Some(d) => {
                match d.as_str() {
                    Some(s) if seen.contains(s) => Some(s.to_owned()),
                    _ => {
                        self.error(
                        d.span,
                        format!("the default {d} of enum {name} is not one of its symbols {symbols:?}"),
                    );
                        return None;
                    }
                }
            }
        };
        let id = self.push(
            Kind::Enum(Box::new(Enum {
                name: name.clone(),
                aliases,
                doc,
                symbols,
                default,
            })),
            props,
            json.span,
        );
        self.register(&name, id, json.get("name").map_or(json.span, |n| n.span))
            .then_some(id)
    }

    fn parse_fixed(
        &mut self,
        json: &Json,
        ns: Option<&str>,
        props: Vec<(String, Json)>,
    ) -> Option<NodeId> {
        let (name, aliases, doc) = self.named_header(json, ns, "fixed")?;
        let size = match json.get("size").map(|s| (&s.value, s.span)) {
            Some((Value::Number(n), _)) if n.as_i32().is_some_and(|n| n >= 0) => {
                n.as_i32().unwrap_or(0).unsigned_abs()
            }
            Some((_, span)) => {
                self.error(
                    span,
                    format!("the size of fixed {name} must be a non-negative 32-bit integer"),
                );
                return None;
            }
            None => {
                self.error(json.span, format!("fixed {name} needs a \"size\""));
                return None;
            }
        };
        let logical = logical::from_props(&props, Base::Fixed(size));
        let id = self.push(
            Kind::Fixed(Box::new(Fixed {
                name: name.clone(),
                aliases,
                doc,
                size,
            })),
            props,
            json.span,
        );
        self.nodes[id.0 as usize].logical = logical;
        self.register(&name, id, json.get("name").map_or(json.span, |n| n.span))
            .then_some(id)
    }

    /// Replaces every use of a forward-reference placeholder by the named type it names.
    fn resolve_pending(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let mut resolved: HashMap<NodeId, NodeId> = HashMap::new();
        for (placeholder, candidates, source, span) in std::mem::take(&mut self.pending) {
            match candidates.iter().find_map(|c| self.names.get(c)) {
                Some(target) => {
                    resolved.insert(placeholder, *target);
                }
                None => {
                    self.unresolved.insert(placeholder);
                    self.diagnostics.push(Diagnostic {
                        message: format!(
                            "{:?} is not a defined type: no primitive, and no named type {}",
                            candidates.last().map_or("", String::as_str),
                            candidates
                                .iter()
                                .map(|c| format!("{c:?}"))
                                .collect::<Vec<_>>()
                                .join(" or ")
                        ),
                        source,
                        span: Some(span),
                        line_col: None,
                    })
                }
            }
        }
        let fix = |id: &mut NodeId| {
            if let Some(target) = resolved.get(id) {
                *id = *target;
            }
        };
        for node in &mut self.nodes {
            match &mut node.kind {
                Kind::Array(items) => fix(items),
                Kind::Map(values) => fix(values),
                Kind::Union(branches) => branches.iter_mut().for_each(fix),
                Kind::Record(record) => record.fields.iter_mut().for_each(|f| fix(&mut f.ty)),
                _ => {}
            }
        }
    }

    /// Java's union rules: no union directly inside a union, no two branches of the same type (named types by
    /// full name; logical types do not make a branch different).
    fn check_unions(&mut self) {
        let mut problems = Vec::new();
        for node in &self.nodes {
            let Kind::Union(branches) = &node.kind else {
                continue;
            };
            let mut seen = HashSet::with_capacity(branches.len());
            for b in branches {
                if self.unresolved.contains(b) {
                    continue;
                }
                let kind = &self.nodes[b.0 as usize].kind;
                if matches!(kind, Kind::Union(_)) {
                    problems.push((
                        node.source,
                        node.span,
                        "a union may not contain a union directly".to_owned(),
                    ));
                    continue;
                }
                let key = kind
                    .name()
                    .map_or_else(|| kind.avro_name().to_owned(), Name::full_name);
                if !seen.insert(key.clone()) {
                    problems.push((
                        node.source,
                        node.span,
                        format!("the union has two branches of type {key:?}"),
                    ));
                }
            }
        }
        for (source, span, message) in problems {
            self.diagnostics.push(Diagnostic {
                message,
                source,
                span: Some(span),
                line_col: None,
            });
        }
    }

    fn check_defaults(&mut self) {
        let mut problems = Vec::new();
        for &(record_id, index) in &self.defaults_to_check {
            let node = &self.nodes[record_id.0 as usize];
            // Only the schema being registered is validated; references are stored schemas.
            if node.source != 0 {
                continue;
            }
            let Kind::Record(record) = &node.kind else {
                continue;
            };
            let field = &record.fields[index];
            let Some(default) = &field.default else {
                continue;
            };
            if let Err(why) = crate::avro::defaults::check(&self.nodes, field.ty, default) {
                problems.push((
                    default.span,
                    format!(
                        "invalid default for field {:?} of record {}: {default} is not {why}",
                        field.name, record.name
                    ),
                ));
            }
        }
        for (span, message) in problems {
            self.error(span, message);
        }
    }
}

/// `[A-Za-z_][A-Za-z0-9_]*`, Avro's rule for names, field names and symbols.
pub(crate) fn is_avro_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    const ADDRESS: &str = r#"{"type":"record","name":"Address","namespace":"geo","fields":[{"name":"zip","type":"string"}]}"#;
    const CUSTOMER: &str = r#"{"type":"record","name":"Customer","namespace":"shop","fields":[{"name":"home","type":"geo.Address"},{"name":"work","type":["null","geo.Address"],"default":null}]}"#;

    #[test]
    fn references_supply_named_types_defined_elsewhere() {
        let schema = Parser::new(ParseOptions::strict())
            .reference(ADDRESS)
            .parse(CUSTOMER)
            .unwrap();
        assert_eq!(
            schema.canonical_form(),
            r#"{"name":"shop.Customer","type":"record","fields":[{"name":"home","type":{"name":"geo.Address","type":"record","fields":[{"name":"zip","type":"string"}]}},{"name":"work","type":["null","geo.Address"]}]}"#
        );
        // The stored renderings write referenced types by name, as Confluent does.
        assert_eq!(
            schema.to_java_json(),
            r#"{"type":"record","name":"Customer","namespace":"shop","fields":[{"name":"home","type":"geo.Address"},{"name":"work","type":["null","geo.Address"],"default":null}]}"#
        );
        assert_eq!(
            schema.normalized(),
            r#"{"name":"shop.Customer","type":"record","fields":[{"name":"home","type":"geo.Address"},{"name":"work","type":["null","geo.Address"],"default":null}]}"#
        );
        // Without the reference the name is undefined, and the error points at the use.
        let err = parse_strict(CUSTOMER).unwrap_err();
        assert_eq!(err.diagnostics.len(), 2, "{err}");
        assert!(
            err.to_string()
                .contains("\"geo.Address\" is not a defined type"),
            "{err}"
        );
    }

    #[test]
    fn problems_in_a_reference_name_the_reference() {
        let err = Parser::new(ParseOptions::strict())
            .reference("{\"type\":\"record\"}")
            .parse(CUSTOMER)
            .unwrap_err();
        let in_reference: Vec<String> = err
            .diagnostics
            .iter()
            .filter(|d| d.source == 1)
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            in_reference,
            ["1:1: in reference 1: a record needs a \"name\""],
            "{err}"
        );
    }

    #[test]
    fn identifiers_follow_the_avro_rule() {
        for good in ["a", "_", "A_1", "snake_case"] {
            assert!(is_avro_identifier(good), "{good}");
        }
        for bad in ["", "1a", "a-b", "a.b", "é"] {
            assert!(!is_avro_identifier(bad), "{bad}");
        }
    }
}
