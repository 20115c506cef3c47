//! Records as transports carry them: consumed [`Record`]s with their position, produced [`OutRecord`]s, and
//! [`Headers`].

use std::sync::Arc;

use bytes::Bytes;

use crate::event::EventSchema;

/// Ordered string headers; names are case-sensitive and unique. Cloning is cheap (copy on write).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Headers(Arc<Vec<(Box<str>, Box<str>)>>);

impl Headers {
    pub fn new() -> Headers {
        Headers::default()
    }

    /// The value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(n, _)| &**n == name).map(|(_, v)| &**v)
    }

    /// Sets `name`, replacing an earlier value.
    pub fn insert(&mut self, name: impl Into<String>, value: impl Into<String>) {
        let (name, value) = (name.into(), value.into());
        let entries = Arc::make_mut(&mut self.0);
        match entries.iter_mut().find(|(n, _)| **n == *name) {
            Some(slot) => slot.1 = value.into_boxed_str(),
            None => entries.push((name.into_boxed_str(), value.into_boxed_str())),
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(n, v)| (&**n, &**v))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
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
