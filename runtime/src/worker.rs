//! The [`Worker`] trait generated routers implement, the [`Context`] handlers receive, the [`OutBuffer`] typed
//! emitters write to, and handler and dispatch errors.

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use bytes::Bytes;

use crate::event::{Event, EventSchema};
use crate::headers;
use crate::record::Record;
use crate::spec::WorkerSpec;

/// A boxed error of a handler or transport.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A worker: decodes a record, calls the handler for its (topic, event type) and returns what the handler emitted.
/// Generated as `<Service>Router`; the [`Runner`](crate::Runner) and the [`testing`](crate::testing) harness drive it.
pub trait Worker: Send + Sync + 'static {
    /// The worker's declaration.
    fn spec(&self) -> &'static WorkerSpec;

    /// Handles one attempt at one record.
    fn dispatch(
        &self,
        ctx: &Context,
        record: &Record,
    ) -> impl Future<Output = Result<OutBuffer, DispatchError>> + Send;
}

/// What a handler knows about the record it handles.
#[derive(Debug, Clone)]
pub struct Context {
    record: Arc<Record>,
    spec: &'static WorkerSpec,
    attempt: u32,
}

impl Context {
    pub(crate) fn new(record: Arc<Record>, spec: &'static WorkerSpec, attempt: u32) -> Context {
        Context {
            record,
            spec,
            attempt,
        }
    }

    /// The record being handled (topic, partition, offset, key, headers, payload).
    pub fn record(&self) -> &Record {
        &self.record
    }

    /// This attempt's number: 1 for the first delivery, more on retries.
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// The worker handling the record.
    pub fn worker(&self) -> &'static WorkerSpec {
        self.spec
    }

    /// The input's `ce_id`, if it has one.
    pub fn event_id(&self) -> Option<&str> {
        self.record.headers().get(headers::CE_ID)
    }

    /// The input's correlation id (its own `ce_id` when it starts a flow); outputs inherit it.
    pub fn correlation_id(&self) -> Option<&str> {
        self.record
            .headers()
            .get(headers::CORRELATION_ID)
            .or_else(|| self.event_id())
    }
}

/// One event a handler emitted, encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Emitted {
    pub topic: &'static str,
    pub event_type: &'static str,
    pub schema: &'static EventSchema,
    pub key: Option<Bytes>,
    pub payload: Bytes,
}

/// Emitted events in order; the first is stored inline since most handlers emit one event.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Events {
    first: Option<Emitted>,
    rest: Vec<Emitted>,
}

impl Events {
    fn push(&mut self, e: Emitted) {
        if self.first.is_none() {
            self.first = Some(e);
        } else {
            self.rest.push(e);
        }
    }

    pub(crate) fn len(&self) -> usize {
        usize::from(self.first.is_some()) + self.rest.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.first.is_none()
    }

    fn iter(&self) -> impl Iterator<Item = &Emitted> {
        self.first.iter().chain(&self.rest)
    }
}

impl IntoIterator for Events {
    type Item = Emitted;
    type IntoIter = std::iter::Chain<std::option::IntoIter<Emitted>, std::vec::IntoIter<Emitted>>;

    fn into_iter(self) -> Self::IntoIter {
        self.first.into_iter().chain(self.rest)
    }
}

/// The events a handler emitted, in order. They are published after the handler returns `Ok`, before its input is
/// committed. Handlers reach it only through their generated typed emitter.
#[derive(Default, Clone, PartialEq, Eq)]
pub struct OutBuffer {
    pub(crate) events: Events,
}

impl OutBuffer {
    pub fn new() -> OutBuffer {
        OutBuffer::default()
    }

    /// Encodes and buffers `event` for its own topic.
    pub fn push<E: Event>(&mut self, event: E) {
        self.events.push(Emitted {
            topic: E::TOPIC,
            event_type: E::TYPE,
            schema: E::SCHEMA,
            key: event.key().to_bytes(),
            payload: Bytes::from(event.encode_to_vec()),
        });
    }

    pub fn len(&self) -> usize {
        self.events.len()
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }
}

impl fmt::Debug for OutBuffer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.events.iter().map(|e| e.event_type))
            .finish()
    }
}

/// Why a handler failed: the runtime retries [`HandlerError::Retryable`] errors as the worker's retry policy says
/// and dead-letters the record after the last attempt; [`HandlerError::Permanent`] errors are dead-lettered at once.
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    /// A transient failure (a timeout, an unavailable dependency): try again later.
    #[error("retryable: {0}")]
    Retryable(#[source] BoxError),
    /// The record can never succeed (invalid content, a business rule): dead-letter it.
    #[error("permanent: {0}")]
    Permanent(#[source] BoxError),
}

impl HandlerError {
    /// A transient failure.
    pub fn retryable(error: impl Into<BoxError>) -> HandlerError {
        HandlerError::Retryable(error.into())
    }

    /// A failure that retrying cannot fix.
    pub fn permanent(error: impl Into<BoxError>) -> HandlerError {
        HandlerError::Permanent(error.into())
    }

    pub fn is_retryable(&self) -> bool {
        matches!(self, HandlerError::Retryable(_))
    }
}

/// Why dispatching a record failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DispatchError {
    /// The payload is not a valid encoding of the event type (a poison pill: dead-lettered at once).
    #[error("cannot decode {event_type}: {source}")]
    Decode {
        event_type: &'static str,
        #[source]
        source: prost::DecodeError,
    },
    /// No handler of the worker consumes this (topic, event type); the record is skipped.
    #[error("no handler for event type `{event_type}` on topic `{topic}`")]
    Unroutable { topic: String, event_type: String },
    /// The handler failed.
    #[error(transparent)]
    Handler(#[from] HandlerError),
}

impl DispatchError {
    /// A record no handler consumes.
    pub fn unroutable(topic: &str, event_type: &str) -> DispatchError {
        DispatchError::Unroutable {
            topic: topic.to_string(),
            event_type: event_type.to_string(),
        }
    }

    /// The `herald-dlq-error-kind` of this error.
    pub fn kind(&self) -> &'static str {
        match self {
            DispatchError::Decode { .. } => "decode",
            DispatchError::Unroutable { .. } => "unroutable",
            DispatchError::Handler(HandlerError::Retryable(_)) => "retryable",
            DispatchError::Handler(HandlerError::Permanent(_)) => "permanent",
        }
    }
}

/// Decodes a record's payload as `E`.
pub fn decode<E: Event>(record: &Record) -> Result<E, DispatchError> {
    E::decode(record.payload().clone()).map_err(|source| DispatchError::Decode {
        event_type: E::TYPE,
        source,
    })
}
