//! Records as transports carry them: consumed [`Record`]s with their position, produced [`OutRecord`]s, and
//! [`Headers`].

use std::sync::Arc;

use bytes::Bytes;

use crate::event::EventSchema;

/// The longest value stored inline in a header (a `traceparent` is 55 bytes, an id 36).
const INLINE: usize = 55;

/// A header name: most are constants of [`crate::headers`], shared instead of copied.
#[derive(Clone)]
enum Name {
    Static(&'static str),
    Owned(Box<str>),
}

impl Name {
    fn as_str(&self) -> &str {
        match self {
            Name::Static(s) => s,
            Name::Owned(s) => s,
        }
    }
}

/// A header value: a constant (types, sources, media types), a short value stored inline (ids, trace contexts), or
/// a longer one on the heap.
#[derive(Clone)]
pub(crate) enum Value {
    Static(&'static str),
    Inline { len: u8, bytes: [u8; INLINE] },
    Owned(Box<str>),
}

impl Value {
    /// A copy of `s`, inline when it is short.
    pub(crate) fn copy(s: &str) -> Value {
        match Value::inline(s.as_bytes()) {
            Some(v) => v,
            None => Value::Owned(s.into()),
        }
    }

    /// Generated ASCII text that fits inline (ids, trace contexts), stored without checking it again.
    pub(crate) fn generated<const N: usize>(s: [u8; N]) -> Value {
        const { assert!(N <= INLINE) };
        let mut bytes = [0; INLINE];
        bytes[..N].copy_from_slice(&s);
        Value::Inline {
            len: N as u8,
            bytes,
        }
    }

    /// `s` inline, if it is short enough. `s` is UTF-8: callers pass a `&str` or checked ASCII.
    fn inline(s: &[u8]) -> Option<Value> {
        if s.len() > INLINE {
            return None;
        }
        let mut bytes = [0; INLINE];
        bytes[..s.len()].copy_from_slice(s);
        Some(Value::Inline {
            len: u8::try_from(s.len()).ok()?,
            bytes,
        })
    }

    fn from_string(s: String) -> Value {
        if s.len() <= INLINE {
            Value::copy(&s)
        } else {
            Value::Owned(s.into_boxed_str())
        }
    }

    /// The value's bytes, without checking them again.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        match self {
            Value::Static(s) => s.as_bytes(),
            Value::Inline { len, bytes } => &bytes[..usize::from(*len)],
            Value::Owned(s) => s.as_bytes(),
        }
    }

    pub(crate) fn as_str(&self) -> &str {
        match self {
            Value::Static(s) => s,
            // `Value::inline` stores UTF-8 and `Value::generated` ASCII, so this yields "" only after a bug.
            Value::Inline { len, bytes } => {
                std::str::from_utf8(&bytes[..usize::from(*len)]).unwrap_or("")
            }
            Value::Owned(s) => s,
        }
    }
}

impl std::fmt::Debug for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.as_str(), f)
    }
}

/// Ordered string headers; names are case-sensitive and unique. Cloning is cheap (copy on write). Names given as
/// `&'static str` constants and short values (ids, `traceparent`) are stored without an allocation of their own.
#[derive(Clone, Default)]
pub struct Headers(Arc<Vec<(Name, Value)>>);

impl Headers {
    pub fn new() -> Headers {
        Headers::default()
    }

    /// Empty headers with room for `n` entries.
    pub fn with_capacity(n: usize) -> Headers {
        Headers(Arc::new(Vec::with_capacity(n)))
    }

    /// The value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.value(name).map(Value::as_str)
    }

    /// The stored value of `name`, to copy into other headers.
    pub(crate) fn value(&self, name: &str) -> Option<&Value> {
        self.0
            .iter()
            .find(|(n, _)| n.as_str() == name)
            .map(|(_, v)| v)
    }

    /// Sets `name`, replacing an earlier value.
    pub fn insert(&mut self, name: impl Into<String>, value: impl Into<String>) {
        let name = name.into();
        let value = Value::from_string(value.into());
        let entries = Arc::make_mut(&mut self.0);
        match entries.iter_mut().find(|(n, _)| n.as_str() == name) {
            Some(slot) => slot.1 = value,
            None => entries.push((Name::Owned(name.into_boxed_str()), value)),
        }
    }

    /// Headers as a transport receives them, `(name, bytes)` pairs: the runtime's own header names are shared
    /// instead of copied, short values are stored inline, bytes that are not UTF-8 are replaced (U+FFFD), and a
    /// repeated name keeps its last value.
    pub fn from_raw<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a [u8])>) -> Headers {
        let pairs = pairs.into_iter();
        let mut entries: Vec<(Name, Value)> = Vec::with_capacity(pairs.size_hint().0);
        for (name, bytes) in pairs {
            let value = match std::str::from_utf8(bytes) {
                Ok(s) => Value::copy(s),
                Err(_) => Value::from_string(String::from_utf8_lossy(bytes).into_owned()),
            };
            match entries.iter_mut().find(|(n, _)| n.as_str() == name) {
                Some(slot) => slot.1 = value,
                None => {
                    let name = match crate::headers::KNOWN.iter().find(|k| **k == name) {
                        Some(known) => Name::Static(known),
                        None => Name::Owned(name.into()),
                    };
                    entries.push((name, value));
                }
            }
        }
        Headers(Arc::new(entries))
    }

    /// Sets `name` to `value`, replacing an earlier value; neither is copied.
    pub fn insert_static(&mut self, name: &'static str, value: &'static str) {
        self.set(name, Value::Static(value));
    }

    /// Sets the constant `name`, replacing an earlier value.
    pub(crate) fn set(&mut self, name: &'static str, value: Value) {
        let entries = Arc::make_mut(&mut self.0);
        match entries.iter_mut().find(|(n, _)| n.as_str() == name) {
            Some(slot) => slot.1 = value,
            None => entries.push((Name::Static(name), value)),
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl PartialEq for Headers {
    fn eq(&self, other: &Headers) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.iter().eq(other.iter())
    }
}

impl Eq for Headers {}

impl std::fmt::Debug for Headers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Headers")
            .field(&self.iter().collect::<Vec<_>>())
            .finish()
    }
}

/// Headers the runtime builds itself: constant names, each once, so no copy on write and no duplicate check.
pub(crate) struct NewHeaders(Vec<(Name, Value)>);

impl NewHeaders {
    pub(crate) fn with_capacity(n: usize) -> NewHeaders {
        NewHeaders(Vec::with_capacity(n))
    }

    /// Appends `name`, which must not be there yet.
    pub(crate) fn push(&mut self, name: &'static str, value: Value) {
        debug_assert!(
            self.0.iter().all(|(n, _)| n.as_str() != name),
            "header {name} set twice"
        );
        self.0.push((Name::Static(name), value));
    }

    pub(crate) fn build(self) -> Headers {
        Headers(Arc::new(self.0))
    }
}

/// The CloudEvents headers of a new event of type `event_type` (none for raw records) published by `source`: a new `ce_id`, the
/// correlation id (the new `ce_id` when the event starts a flow), the causation id (the input's `ce_id`) and a
/// `traceparent` continuing `parent`'s trace. Names and constant values are shared and ids are stored inline: only
/// the list itself is allocated.
pub(crate) fn event_headers(
    event_type: Option<Value>,
    source: &Value,
    correlation: Option<&Value>,
    causation: Option<&Value>,
    parent: Option<&[u8]>,
) -> Headers {
    use crate::headers as h;
    let mut headers = NewHeaders::with_capacity(8);
    let id = Value::generated(h::id_bytes());
    headers.push(h::CE_SPECVERSION, Value::Static(h::SPECVERSION));
    if let Some(t) = event_type {
        headers.push(h::CE_TYPE, t);
    }
    headers.push(h::CE_SOURCE, source.clone());
    headers.push(h::CONTENT_TYPE, Value::Static(h::PROTOBUF));
    headers.push(h::CORRELATION_ID, correlation.unwrap_or(&id).clone());
    if let Some(c) = causation {
        headers.push(h::CAUSATION_ID, c.clone());
    }
    headers.push(
        h::TRACEPARENT,
        Value::generated(h::child_traceparent_bytes(parent)),
    );
    headers.push(h::CE_ID, id);
    headers.build()
}

/// A consumed record: where it was read from, its key, headers and payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    topic: Arc<str>,
    partition: u32,
    offset: u64,
    key: Option<Bytes>,
    headers: Headers,
    payload: Bytes,
    /// The payload as the transport delivered it, when an adapter replaced it (the framed bytes).
    original: Option<Bytes>,
}

impl Record {
    /// A record as a transport delivers it.
    pub fn new(
        topic: Arc<str>,
        partition: u32,
        offset: u64,
        key: Option<Bytes>,
        headers: Headers,
        payload: Bytes,
    ) -> Record {
        Record {
            topic,
            partition,
            offset,
            key,
            headers,
            payload,
            original: None,
        }
    }

    /// This record with other headers and payload; [`Record::original_payload`] keeps the delivered bytes.
    pub fn replaced(&self, headers: Headers, payload: Bytes) -> Record {
        Record {
            topic: Arc::clone(&self.topic),
            partition: self.partition,
            offset: self.offset,
            key: self.key.clone(),
            headers,
            payload,
            original: Some(self.original_payload().clone()),
        }
    }

    /// The payload as the transport delivered it (for a record an adapter unframed: the framed bytes, which dead
    /// letters keep).
    pub fn original_payload(&self) -> &Bytes {
        self.original.as_ref().unwrap_or(&self.payload)
    }

    pub fn topic(&self) -> &str {
        &self.topic
    }

    pub(crate) fn topic_arc(&self) -> &Arc<str> {
        &self.topic
    }

    pub fn partition(&self) -> u32 {
        self.partition
    }

    pub fn offset(&self) -> u64 {
        self.offset
    }

    pub fn key(&self) -> Option<&Bytes> {
        self.key.as_ref()
    }

    pub fn headers(&self) -> &Headers {
        &self.headers
    }

    pub fn payload(&self) -> &Bytes {
        &self.payload
    }

    /// The `ce_type` header (the protobuf message name), or `""` when absent.
    pub fn event_type(&self) -> &str {
        self.headers.get(crate::headers::CE_TYPE).unwrap_or("")
    }
}

/// A record to produce.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutRecord {
    pub topic: String,
    pub key: Option<Bytes>,
    pub headers: Headers,
    pub payload: Bytes,
    /// The schema of the event in `payload`, for sinks that frame payloads (the Confluent wire format); `None` for
    /// records produced as they are (dead letters keep the original bytes).
    pub schema: Option<&'static EventSchema>,
}

impl OutRecord {
    /// The `ce_type` header, or `""` when absent.
    pub fn event_type(&self) -> &str {
        self.headers.get(crate::headers::CE_TYPE).unwrap_or("")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::headers as h;

    #[test]
    fn values_of_every_size_round_trip_and_insert_replaces() {
        let long = "x".repeat(200);
        let mut headers = Headers::new();
        headers.insert("short", "abc");
        headers.insert("long", long.as_str());
        headers.insert_static(h::CE_TYPE, "shop.A");
        headers.insert("empty", "");
        assert_eq!(headers.get("short"), Some("abc"));
        assert_eq!(headers.get("long"), Some(long.as_str()));
        assert_eq!(headers.get(h::CE_TYPE), Some("shop.A"));
        assert_eq!(headers.get("empty"), Some(""));
        assert_eq!(headers.get("missing"), None);

        headers.insert(h::CE_TYPE, "shop.B");
        headers.insert_static("short", "static now");
        assert_eq!(headers.len(), 4, "replacing keeps one entry per name");
        assert_eq!(headers.get(h::CE_TYPE), Some("shop.B"));
        assert_eq!(headers.get("short"), Some("static now"));
        let names: Vec<&str> = headers.iter().map(|(n, _)| n).collect();
        assert_eq!(
            names,
            ["short", "long", h::CE_TYPE, "empty"],
            "insertion order"
        );
    }

    #[test]
    fn raw_headers_share_known_names_replace_bad_bytes_and_keep_the_last_of_a_name() {
        let long = vec![b'v'; 100];
        let headers = Headers::from_raw([
            (h::CE_ID, &b"0123"[..]),
            ("x-custom", b"a\xffb"),
            (h::CE_TYPE, b"shop.A"),
            ("x-long", &long),
            (h::CE_TYPE, b"shop.B"),
        ]);
        assert_eq!(headers.len(), 4);
        assert_eq!(headers.get(h::CE_ID), Some("0123"));
        assert_eq!(headers.get("x-custom"), Some("a\u{fffd}b"));
        assert_eq!(
            headers.get(h::CE_TYPE),
            Some("shop.B"),
            "the last value of a name wins"
        );
        assert_eq!(headers.get("x-long").map(str::len), Some(100));
        assert!(
            matches!(headers.0[0].0, Name::Static(_)),
            "a known name is shared"
        );
        assert!(matches!(headers.0[1].0, Name::Owned(_)));
        let mut inserted = Headers::new();
        inserted.insert(h::CE_ID, "0123");
        inserted.insert("x-custom", "a\u{fffd}b");
        inserted.insert(h::CE_TYPE, "shop.B");
        inserted.insert("x-long", "v".repeat(100));
        assert_eq!(headers, inserted);
    }

    #[test]
    fn clones_copy_on_write_and_equality_ignores_the_representation() {
        let mut a = Headers::new();
        a.insert(h::CE_ID, "0123");
        let mut b = a.clone();
        b.insert(h::CE_ID, "4567");
        assert_eq!(
            a.get(h::CE_ID),
            Some("0123"),
            "the clone's write left the original alone"
        );
        assert_ne!(a, b);

        let mut built = NewHeaders::with_capacity(2);
        built.push(h::CE_ID, Value::generated(*b"0123"));
        built.push(h::CE_TYPE, Value::Static("t"));
        let mut inserted = Headers::new();
        inserted.insert(h::CE_ID, String::from("0123"));
        inserted.insert(h::CE_TYPE, "t");
        assert_eq!(built.build(), inserted);
        assert_eq!(
            format!("{inserted:?}"),
            r#"Headers([("ce_id", "0123"), ("ce_type", "t")])"#
        );
    }

    #[test]
    fn generated_values_are_stored_as_given() {
        let id = crate::headers::id_bytes();
        let v = Value::generated(id);
        assert!(matches!(v, Value::Inline { .. }));
        assert_eq!(v.as_bytes(), id);
        assert_eq!(v.as_str().len(), 36);
        let long = Value::copy(&"a".repeat(80));
        assert!(matches!(long, Value::Owned(_)));
        assert_eq!(long.as_str(), "a".repeat(80));
        assert_eq!(
            Value::generated([0xff, b'a']).as_str(),
            "",
            "text that is not UTF-8 never reaches a reader"
        );
    }
}
