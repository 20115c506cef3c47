//! Textual forms of a parsed schema: Avro's Parsing Canonical Form (and its fingerprint), the normalized form a
//! registry compares with `normalize=true`, and the Apache Avro Java rendering a registry stores.
//!
//! Every writer walks the node graph with a set of named types already written, so each named type is written
//! in full once and by name afterwards: recursion terminates and the output is linear in the schema's size.

use std::collections::HashSet;

use crate::avro::{AvroSchema, Kind, LogicalType, Name, NodeId, Order, rabin_fingerprint};
use crate::json::{Json, write_compact, write_string};

impl AvroSchema {
    /// The Parsing Canonical Form of the Avro specification: full names, no namespaces, only the attributes
    /// that affect the binary encoding, in the spec's key order, no whitespace. Types from references are written
    /// in full where first used, so the form (and the fingerprint) describes the complete wire format.
    pub fn canonical_form(&self) -> String {
        let mut out = String::new();
        let mut seen = HashSet::new();
        self.write_pcf(self.root, &mut out, &mut seen);
        out
    }

    /// The CRC-64-AVRO fingerprint of the Parsing Canonical Form.
    pub fn fingerprint(&self) -> u64 {
        rabin_fingerprint(self.canonical_form().as_bytes())
    }

    fn write_pcf(&self, id: NodeId, out: &mut String, seen: &mut HashSet<NodeId>) {
        let kind = self.kind(id);
        if let Some(name) = kind.name()
            && !seen.insert(id)
        {
            write_raw_string(out, &name.full_name());
            return;
        }
        match kind {
            Kind::Array(items) => {
                out.push_str("{\"type\":\"array\",\"items\":");
                self.write_pcf(*items, out, seen);
                out.push('}');
            }
            Kind::Map(values) => {
                out.push_str("{\"type\":\"map\",\"values\":");
                self.write_pcf(*values, out, seen);
                out.push('}');
            }
            Kind::Union(branches) => {
                out.push('[');
                for (i, b) in branches.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    self.write_pcf(*b, out, seen);
                }
                out.push(']');
            }
            Kind::Record(record) => {
                out.push_str("{\"name\":");
                write_raw_string(out, &record.name.full_name());
                out.push_str(",\"type\":\"record\",\"fields\":[");
                for (i, field) in record.fields.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str("{\"name\":");
                    write_raw_string(out, &field.name);
                    out.push_str(",\"type\":");
                    self.write_pcf(field.ty, out, seen);
                    out.push('}');
                }
                out.push_str("]}");
            }
            Kind::Enum(e) => {
                out.push_str("{\"name\":");
                write_raw_string(out, &e.name.full_name());
                out.push_str(",\"type\":\"enum\",\"symbols\":[");
                for (i, s) in e.symbols.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_raw_string(out, s);
                }
                out.push_str("]}");
            }
            Kind::Fixed(f) => {
                out.push_str("{\"name\":");
                write_raw_string(out, &f.name.full_name());
                out.push_str(&format!(",\"type\":\"fixed\",\"size\":{}}}", f.size));
            }
            primitive => write_raw_string(out, primitive.avro_name()),
        }
    }

    /// Confluent's normalized form (`normalize=true`): like the canonical form it uses full names, writes a
    /// named type in full once, and orders keys `name, type, fields|symbols|items|values|size`; unlike it, it
    /// keeps everything that changes how a schema evolves or is documented: `default`s, field `order`, `doc`,
    /// `aliases` (sorted, full names for types), valid logical types with their parameters and every custom
    /// property (sorted by key). Two schemas with equal normalized forms are the same registered schema.
    pub fn normalized(&self) -> String {
        let mut out = String::new();
        let mut seen = self.referenced_names();
        self.write_normalized(self.root, &mut out, &mut seen, None);
        out
    }

    /// `space` is the namespace a reader of the output would inherit here: a type in the null namespace inside
    /// a namespaced one says `"namespace":""`, so that the output parses back to the same full names.
    fn write_normalized(
        &self,
        id: NodeId,
        out: &mut String,
        seen: &mut HashSet<NodeId>,
        space: Option<&str>,
    ) {
        let node = self.node(id);
        if let Some(name) = node.kind.name()
            && !seen.insert(id)
        {
            write_string(out, &name.full_name());
            return;
        }
        let extras = |out: &mut String, doc: Option<&String>, aliases: &[String]| {
            if let Some(doc) = doc {
                out.push_str(",\"doc\":");
                write_string(out, doc);
            }
            if !aliases.is_empty() {
                let mut sorted: Vec<&String> = aliases.iter().collect();
                sorted.sort();
                out.push_str(",\"aliases\":");
                write_string_list(out, sorted);
            }
        };
        let simple = node.logical.is_none() && node.props.is_empty();
        match &node.kind {
            Kind::Union(branches) => {
                out.push('[');
                for (i, b) in branches.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    self.write_normalized(*b, out, seen, space);
                }
                out.push(']');
                return;
            }
            primitive
                if primitive.name().is_none()
                    && simple
                    && !matches!(primitive, Kind::Array(_) | Kind::Map(_)) =>
            {
                write_string(out, primitive.avro_name());
                return;
            }
            Kind::Array(items) => {
                out.push_str("{\"type\":\"array\",\"items\":");
                self.write_normalized(*items, out, seen, space);
            }
            Kind::Map(values) => {
                out.push_str("{\"type\":\"map\",\"values\":");
                self.write_normalized(*values, out, seen, space);
            }
            Kind::Record(record) => {
                out.push_str("{\"name\":");
                write_string(out, &record.name.full_name());
                null_namespace(out, &record.name, space);
                out.push_str(",\"type\":\"record\",\"fields\":[");
                for (i, field) in record.fields.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str("{\"name\":");
                    write_string(out, &field.name);
                    out.push_str(",\"type\":");
                    self.write_normalized(field.ty, out, seen, record.name.namespace.as_deref());
                    if let Some(default) = &field.default {
                        out.push_str(",\"default\":");
                        write_compact(out, default);
                    }
                    if let Some(order) = field.order.filter(|o| *o != Order::Ascending) {
                        out.push_str(",\"order\":");
                        write_string(out, order.as_str());
                    }
                    extras(out, field.doc.as_ref(), &field.aliases);
                    write_sorted_props(out, field.props.iter().collect());
                    out.push('}');
                }
                out.push(']');
                extras(out, record.doc.as_ref(), &record.aliases);
            }
            Kind::Enum(e) => {
                out.push_str("{\"name\":");
                write_string(out, &e.name.full_name());
                null_namespace(out, &e.name, space);
                out.push_str(",\"type\":\"enum\",\"symbols\":");
                write_string_list(out, &e.symbols);
                if let Some(default) = &e.default {
                    out.push_str(",\"default\":");
                    write_string(out, default);
                }
                extras(out, e.doc.as_ref(), &e.aliases);
            }
            Kind::Fixed(f) => {
                out.push_str("{\"name\":");
                write_string(out, &f.name.full_name());
                null_namespace(out, &f.name, space);
                out.push_str(&format!(",\"type\":\"fixed\",\"size\":{}", f.size));
                extras(out, f.doc.as_ref(), &f.aliases);
            }
            primitive => {
                out.push_str("{\"type\":");
                write_string(out, primitive.avro_name());
            }
        }
        // Valid logical types first, with their parameters; every other property sorted by key.
        let mut props: Vec<&(String, Json)> = node.props.iter().collect();
        if let Some(logical) = &node.logical {
            out.push_str(",\"logicalType\":");
            write_string(out, logical.name());
            if let LogicalType::Decimal { precision, scale } = logical {
                out.push_str(&format!(",\"precision\":{precision}"));
                if *scale != 0 {
                    out.push_str(&format!(",\"scale\":{scale}"));
                }
            }
            props.retain(|(k, _)| {
                k != "logicalType"
                    && !(matches!(logical, LogicalType::Decimal { .. })
                        && (k == "precision" || k == "scale"))
            });
        }
        write_sorted_props(out, props);
        out.push('}');
    }

    /// The schema as Apache Avro Java's `Schema.toString()` writes it: what Confluent stores and returns, and
    /// compares for identity without `normalize`. Namespaces are written only where they differ from the
    /// enclosing one, a named type is written in full once and by (relative) name afterwards, attributes keep
    /// Java's order, and custom properties keep theirs.
    pub fn to_java_json(&self) -> String {
        let mut out = String::new();
        let mut seen = self.referenced_names();
        self.write_java(self.root, &mut out, &mut seen, None);
        out
    }

    /// [`to_java_json`](Self::to_java_json) with the named types of references written in full where first
    /// used: Confluent's `format=resolved`.
    pub fn to_java_json_resolved(&self) -> String {
        let mut out = String::new();
        let mut seen = HashSet::new();
        self.write_java(self.root, &mut out, &mut seen, None);
        out
    }

    /// Named types defined in the schema's references: the renderings a registry stores write them by name (as
    /// Confluent pre-seeds referenced names), since the references carry their definitions.
    fn referenced_names(&self) -> HashSet<NodeId> {
        (0..self.len())
            .map(|i| NodeId(u32::try_from(i).unwrap_or(u32::MAX)))
            .filter(|&id| self.node(id).source != 0 && self.kind(id).name().is_some())
            .collect()
    }

    fn write_java(
        &self,
        id: NodeId,
        out: &mut String,
        seen: &mut HashSet<NodeId>,
        space: Option<&str>,
    ) {
        let node = self.node(id);
        if let Some(name) = node.kind.name()
            && !seen.insert(id)
        {
            write_string(out, &qualified(name, space));
            return;
        }
        let write_name = |out: &mut String, name: &Name| {
            out.push_str(",\"name\":");
            write_string(out, &name.name);
            match (&name.namespace, space) {
                (Some(ns), Some(enclosing)) if ns == enclosing => {}
                (Some(ns), _) => {
                    out.push_str(",\"namespace\":");
                    write_string(out, ns);
                }
                (None, Some(_)) => out.push_str(",\"namespace\":\"\""),
                (None, None) => {}
            }
        };
        let aliases_json = |out: &mut String, name: &Name, aliases: &[String]| {
            if aliases.is_empty() {
                return;
            }
            out.push_str(",\"aliases\":[");
            for (i, alias) in aliases.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                let alias = Name::new(alias, None);
                write_string(out, &qualified(&alias, name.namespace.as_deref()));
            }
            out.push(']');
        };
        match &node.kind {
            Kind::Union(branches) => {
                out.push('[');
                for (i, b) in branches.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    self.write_java(*b, out, seen, space);
                }
                out.push(']');
            }
            Kind::Record(record) => {
                out.push_str(if record.is_error {
                    "{\"type\":\"error\""
                } else {
                    "{\"type\":\"record\""
                });
                write_name(out, &record.name);
                if let Some(doc) = &record.doc {
                    out.push_str(",\"doc\":");
                    write_string(out, doc);
                }
                out.push_str(",\"fields\":[");
                let inner = record.name.namespace.as_deref();
                for (i, field) in record.fields.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str("{\"name\":");
                    write_string(out, &field.name);
                    out.push_str(",\"type\":");
                    self.write_java(field.ty, out, seen, inner);
                    if let Some(doc) = &field.doc {
                        out.push_str(",\"doc\":");
                        write_string(out, doc);
                    }
                    if let Some(default) = &field.default {
                        out.push_str(",\"default\":");
                        write_compact(out, default);
                    }
                    if let Some(order) = field.order.filter(|o| *o != Order::Ascending) {
                        out.push_str(",\"order\":");
                        write_string(out, order.as_str());
                    }
                    if !field.aliases.is_empty() {
                        out.push_str(",\"aliases\":");
                        write_string_list(out, &field.aliases);
                    }
                    write_props(out, &field.props);
                    out.push('}');
                }
                out.push(']');
                write_props(out, &node.props);
                aliases_json(out, &record.name, &record.aliases);
                out.push('}');
            }
            Kind::Enum(e) => {
                out.push_str("{\"type\":\"enum\"");
                write_name(out, &e.name);
                if let Some(doc) = &e.doc {
                    out.push_str(",\"doc\":");
                    write_string(out, doc);
                }
                out.push_str(",\"symbols\":");
                write_string_list(out, &e.symbols);
                if let Some(default) = &e.default {
                    out.push_str(",\"default\":");
                    write_string(out, default);
                }
                write_props(out, &node.props);
                aliases_json(out, &e.name, &e.aliases);
                out.push('}');
            }
            Kind::Fixed(f) => {
                out.push_str("{\"type\":\"fixed\"");
                write_name(out, &f.name);
                if let Some(doc) = &f.doc {
                    out.push_str(",\"doc\":");
                    write_string(out, doc);
                }
                out.push_str(&format!(",\"size\":{}", f.size));
                write_props(out, &node.props);
                aliases_json(out, &f.name, &f.aliases);
                out.push('}');
            }
            Kind::Array(items) => {
                out.push_str("{\"type\":\"array\",\"items\":");
                self.write_java(*items, out, seen, space);
                write_props(out, &node.props);
                out.push('}');
            }
            Kind::Map(values) => {
                out.push_str("{\"type\":\"map\",\"values\":");
                self.write_java(*values, out, seen, space);
                write_props(out, &node.props);
                out.push('}');
            }
            primitive if node.props.is_empty() => write_string(out, primitive.avro_name()),
            primitive => {
                out.push_str("{\"type\":");
                write_string(out, primitive.avro_name());
                write_props(out, &node.props);
                out.push('}');
            }
        }
    }
}

/// Writes `"namespace":""` for a type in the null namespace where a namespace would otherwise be inherited.
fn null_namespace(out: &mut String, name: &Name, space: Option<&str>) {
    if name.namespace.is_none() && space.is_some() {
        out.push_str(",\"namespace\":\"\"");
    }
}

/// A name as Java's `Name.getQualified(space)` writes it: short within its own namespace, full elsewhere.
fn qualified(name: &Name, space: Option<&str>) -> String {
    match (&name.namespace, space) {
        (Some(ns), Some(enclosing)) if ns == enclosing => name.name.clone(),
        _ => name.full_name(),
    }
}

/// Writes a string as the canonical form does: names and symbols as they are, without escaping (they are
/// identifiers in any schema that passed strict validation; this matches Java's `SchemaNormalization`).
fn write_raw_string(out: &mut String, s: &str) {
    out.push('"');
    out.push_str(s);
    out.push('"');
}

/// Writes `["a","b",...]` with each string escaped.
fn write_string_list<S: AsRef<str>>(out: &mut String, items: impl IntoIterator<Item = S>) {
    out.push('[');
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_string(out, item.as_ref());
    }
    out.push(']');
}

fn write_props(out: &mut String, props: &[(String, Json)]) {
    // Java keeps properties in a map: a repeated key is written once, with its last value.
    for (i, (key, value)) in props.iter().enumerate() {
        if props[i + 1..].iter().any(|(k, _)| k == key) {
            continue;
        }
        out.push(',');
        write_string(out, key);
        out.push(':');
        write_compact(out, value);
    }
}

fn write_sorted_props(out: &mut String, mut props: Vec<&(String, Json)>) {
    // Stable sort, then keep the last of each key (Java's map semantics).
    props.sort_by(|a, b| a.0.cmp(&b.0));
    for (i, (key, value)) in props.iter().enumerate() {
        if props.get(i + 1).is_some_and(|(k, _)| k == key) {
            continue;
        }
        out.push(',');
        write_string(out, key);
        out.push(':');
        write_compact(out, value);
    }
}
