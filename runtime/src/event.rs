//! The [`Event`] trait generated code implements for every message bound to a topic, and its partition [`Key`].

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

    #[test]
    fn keys_become_bytes() {
        assert_eq!(Key::None.to_bytes(), None);
        assert_eq!(Key::Str("o1").to_bytes().unwrap(), "o1");
        assert_eq!(Key::Bytes(&[1, 2]).to_bytes().unwrap(), &[1u8, 2][..]);
        assert_eq!(Key::Int(-5).to_bytes().unwrap(), "-5");
        assert_eq!(Key::Uint(7).to_bytes().unwrap(), "7");
    }
}
