//! The [`Event`] trait generated code implements for every message bound to a topic, its partition [`Key`], and
//! the embedded schema ([`EventSchema`], [`ProtoFile`]) used to register it and frame it in the Confluent wire
//! format.

use bytes::Bytes;

/// A protobuf message published on a topic, with its partition key. Generated for every message declared with
/// `option (herald.event) = { topic: "..." key: "..." }`.
pub trait Event: prost::Message + Default + Send + Sync + 'static {
    /// The fully-qualified protobuf name, sent as the `ce_type` header and used for routing.
    const TYPE: &'static str;
    /// The topic the event is published on.
    const TOPIC: &'static str;
    /// The partition key, read from the key field.
    fn key(&self) -> Key<'_>;
    /// The schema of the event: its `.proto` file with its imports and the message's index path in the file.
    const SCHEMA: &'static EventSchema;
}

/// A `.proto` file embedded in generated code: its import path, its source text and its imports. Well-known
/// `google/protobuf/*` files are not embedded (registries know them); `herald/options.proto` is.
#[derive(Debug, PartialEq, Eq)]
pub struct ProtoFile {
    /// The import path, e.g. `shop/orders/v1/orders.proto`; also the subject its schema is registered under when
    /// another file imports it.
    pub name: &'static str,
    /// The source text.
    pub source: &'static str,
    /// The files it imports, in import order, well-known types excluded.
    pub imports: &'static [&'static ProtoFile],
}

impl ProtoFile {
    /// The file and its imports, transitively, each once, dependencies before the files that import them.
    pub fn closure(&'static self) -> Vec<&'static ProtoFile> {
        fn visit(f: &'static ProtoFile, out: &mut Vec<&'static ProtoFile>) {
            if out.iter().any(|o| o.name == f.name) {
                return;
            }
            for i in f.imports {
                visit(i, out);
            }
            out.push(f);
        }
        let mut out = Vec::new();
        visit(self, &mut out);
        out
    }
}

/// What a registry needs to know about an event's schema, and what the wire format needs to frame it.
#[derive(Debug, PartialEq, Eq)]
pub struct EventSchema {
    /// The fully-qualified protobuf name.
    pub full_name: &'static str,
    /// The file that declares the message.
    pub file: &'static ProtoFile,
    /// The message's path in the file: index among top-level messages, then among nested ones (map entries count,
    /// as in `DescriptorProto.nested_type`).
    pub message_index: &'static [u32],
}

/// An event's partition key. Records with equal keys land in the same partition and keep their order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Key<'a> {
    /// No key: the transport spreads records over partitions.
    None,
    Str(&'a str),
    Bytes(&'a [u8]),
    Int(i64),
    Uint(u64),
}

impl Key<'_> {
    /// The key as record bytes: UTF-8 for strings, raw bytes, decimal text for integers.
    pub fn to_bytes(&self) -> Option<Bytes> {
        match *self {
            Key::None => None,
            Key::Str(s) => Some(Bytes::copy_from_slice(s.as_bytes())),
            Key::Bytes(b) => Some(Bytes::copy_from_slice(b)),
            Key::Int(i) => Some(Bytes::from(i.to_string())),
            Key::Uint(u) => Some(Bytes::from(u.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static WKT_FREE: ProtoFile = ProtoFile {
        name: "a.proto",
        source: "syntax = \"proto3\";",
        imports: &[],
    };
    static B: ProtoFile = ProtoFile {
        name: "b.proto",
        source: "import \"a.proto\";",
        imports: &[&WKT_FREE],
    };
    static C: ProtoFile = ProtoFile {
        name: "c.proto",
        source: "import \"a.proto\"; import \"b.proto\";",
        imports: &[&WKT_FREE, &B],
    };

    #[test]
    fn closure_lists_dependencies_first_and_once() {
        let names: Vec<&str> = C.closure().iter().map(|f| f.name).collect();
        assert_eq!(names, ["a.proto", "b.proto", "c.proto"]);
    }

    #[test]
    fn keys_become_bytes() {
        assert_eq!(Key::None.to_bytes(), None);
        assert_eq!(Key::Str("o1").to_bytes().unwrap(), "o1");
        assert_eq!(Key::Bytes(&[1, 2]).to_bytes().unwrap(), &[1u8, 2][..]);
        assert_eq!(Key::Int(-5).to_bytes().unwrap(), "-5");
        assert_eq!(Key::Uint(7).to_bytes().unwrap(), "7");
    }
}
