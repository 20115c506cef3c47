//! The Confluent schema-registry integration (feature `confluent`): a [`RegistryClient`] and [`Confluent`], a
//! [`Transport`] adapter that frames produced payloads in the Confluent wire format and unframes consumed ones.
//!
//! * Produced records carrying an event schema ([`OutRecord::schema`]) are framed with the id of that schema under
//!   the record's subject ([`SubjectNameStrategy`]), looked up once per (subject, schema) — or registered, with the
//!   `.proto` imports as references, when [`Confluent::auto_register`] is on — and with the message's index path.
//!   Records without a schema (dead letters) are produced as they are.
//! * Consumed records are unframed: the schema id is resolved to a `FileDescriptorProto` (cached), the message-index
//!   path to the protobuf full name, which must be registered under the record's subject and agree with the
//!   `ce_type` header, which is set when absent (records produced by other languages have no CloudEvents headers).
//!   The payload becomes the unframed slice; [`Record::original_payload`] keeps the framed bytes, which dead
//!   letters carry. A record that cannot be unframed is passed on marked with [`headers::FRAME_ERROR`], and the
//!   runtime dead-letters it at once (error kind `decode`) instead of stopping the worker.
//! * Registry outages (connection errors, 5xx) do not poison records: the source keeps the polled records and
//!   retries with backoff. Registry answers other than 404 in the 4xx range (bad credentials) fail the poll.

mod client;
mod descriptor;
mod strategy;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

pub use client::{
    Auth, Reference, RegistryClient, RegistryConfig, RegistryError, ResolvedSchema, SubjectVersion,
};
pub use descriptor::message_name;
pub use strategy::SubjectNameStrategy;

use crate::event::EventSchema;
use crate::headers;
use crate::record::{OutRecord, Record};
use crate::transport::{Sink, Source, TopicPartition, Transport, TransportError};
use crate::wire;

/// A transport whose payloads are in the Confluent wire format, resolved through a schema registry.
#[derive(Debug, Clone)]
pub struct Confluent<T> {
    inner: T,
    client: RegistryClient,
    strategy: SubjectNameStrategy,
    auto_register: bool,
}

impl<T: Transport> Confluent<T> {
    /// Wraps `inner`; subjects follow [`SubjectNameStrategy::TopicName`] and schemas are only looked up.
    pub fn new(inner: T, client: RegistryClient) -> Confluent<T> {
        Confluent {
            inner,
            client,
            strategy: SubjectNameStrategy::default(),
            auto_register: false,
        }
    }

    /// Sets how subjects are named.
    pub fn strategy(mut self, strategy: SubjectNameStrategy) -> Confluent<T> {
        self.strategy = strategy;
        self
    }

    /// Registers the schemas of produced events (and their imports, as references) when the registry does not
    /// have them yet. Off by default: schemas are expected to be registered by CI (`herald`'s registry workflow).
    pub fn auto_register(mut self, on: bool) -> Confluent<T> {
        self.auto_register = on;
        self
    }

    /// The registry client.
    pub fn client(&self) -> &RegistryClient {
        &self.client
    }

    /// The wrapped transport.
    pub fn inner(&self) -> &T {
        &self.inner
    }

    /// A producer that frames event payloads.
    pub fn sink(&self) -> ConfluentSink<T::Sink> {
        self.framing(self.inner.sink())
    }

    /// `inner` framing event payloads.
    fn framing(&self, inner: T::Sink) -> ConfluentSink<T::Sink> {
        ConfluentSink {
            inner,
            client: self.client.clone(),
            strategy: self.strategy,
            auto_register: self.auto_register,
            ids: Arc::default(),
        }
    }
}

impl<T: Transport> Transport for Confluent<T> {
    type Source = ConfluentSource<T::Source>;
    type Sink = ConfluentSink<T::Sink>;

    fn subscribe(&self, group: &str, topics: &[&str]) -> Result<Self::Source, TransportError> {
        Ok(ConfluentSource {
            inner: self.inner.subscribe(group, topics)?,
            client: self.client.clone(),
            strategy: self.strategy,
            pending: Vec::new(),
            ready: 0,
        })
    }

    fn sink(&self) -> Self::Sink {
        Confluent::sink(self)
    }

    /// The inner transport's producer for the member, framing event payloads.
    fn sink_for(&self, source: &Self::Source) -> Self::Sink {
        self.framing(self.inner.sink_for(&source.inner))
    }
}

/// A consumer-group member whose records are unframed.
#[derive(Debug)]
pub struct ConfluentSource<S> {
    inner: S,
    client: RegistryClient,
    strategy: SubjectNameStrategy,
    /// Records polled from the inner source; the first `ready` are unframed. Kept across a cancelled poll.
    pending: Vec<Arc<Record>>,
    ready: usize,
}

/// How unframing a record failed without poisoning it.
enum Unframe {
    /// A transient registry failure: try again.
    Transient(RegistryError),
    /// A failure that no retry fixes and that is not the record's fault (bad credentials).
    Fatal(RegistryError),
}

fn classify(e: RegistryError) -> Unframe {
    match &e {
        RegistryError::Api { status, .. } if *status < 500 => Unframe::Fatal(e),
        RegistryError::Url { .. } | RegistryError::Client(_) => Unframe::Fatal(e),
        _ => Unframe::Transient(e),
    }
}

/// `record` marked as poison with `reason`, its payload untouched.
fn poison(record: &Record, reason: String) -> Record {
    tracing::warn!(
        topic = record.topic(),
        partition = record.partition(),
        offset = record.offset(),
        "{reason}"
    );
    let mut h = record.headers().clone();
    h.insert(headers::FRAME_ERROR, reason);
    record.replaced(h, record.payload().clone())
}

/// Unframes `record`: the payload becomes the protobuf bytes and `ce_type` the type the frame names.
async fn unframe(
    client: &RegistryClient,
    strategy: SubjectNameStrategy,
    record: &Record,
) -> Result<Record, Unframe> {
    let frame = match wire::decode(record.payload()) {
        Ok(f) => f,
        Err(e) => return Ok(poison(record, e.to_string())),
    };
    let id = frame.schema_id;
    let schema = match client.schema(id).await {
        Ok(s) => s,
        Err(e) if e.is_not_found() => {
            return Ok(poison(
                record,
                format!("schema id {id} is not in the registry"),
            ));
        }
        Err(e @ RegistryError::NotProtobuf { .. }) => return Ok(poison(record, e.to_string())),
        Err(e) => return Err(classify(e)),
    };
    let header_type = record.headers().get(headers::CE_TYPE);
    let full_name = match (&schema.descriptor, header_type) {
        (Some(d), _) => match message_name(d, &frame.indexes) {
            Some(n) => n,
            None => {
                return Ok(poison(
                    record,
                    format!(
                        "message index path {:?} names no message of schema {id}",
                        frame.indexes
                    ),
                ));
            }
        },
        // The registry returned `.proto` text: trust the header, which the subject check below still covers.
        (None, Some(t)) => t.to_string(),
        (None, None) => {
            return Ok(poison(
                record,
                format!(
                    "schema {id} came back as text, not a descriptor, and the record has no `{}` header",
                    headers::CE_TYPE
                ),
            ));
        }
    };
    if let Some(t) = header_type
        && t != full_name
    {
        return Ok(poison(
            record,
            format!(
                "`{}` is `{t}` but the frame's schema {id} names `{full_name}`",
                headers::CE_TYPE
            ),
        ));
    }
    let subject = strategy.subject(record.topic(), &full_name);
    match client.is_registered_under(id, &subject).await {
        Ok(true) => {}
        Ok(false) => {
            return Ok(poison(
                record,
                format!("schema id {id} is not registered under subject `{subject}`"),
            ));
        }
        Err(e) => return Err(classify(e)),
    }
    let mut h = record.headers().clone();
    if header_type.is_none() {
        h.insert(headers::CE_TYPE, full_name);
    }
    Ok(record.replaced(h, frame.payload))
}

impl<S: Source> Source for ConfluentSource<S> {
    async fn poll(&mut self, max: usize) -> Result<Vec<Arc<Record>>, TransportError> {
        if self.pending.is_empty() {
            self.pending = self.inner.poll(max).await?;
            self.ready = 0;
        }
        let mut failures = 0u32;
        while self.ready < self.pending.len() {
            match unframe(&self.client, self.strategy, &self.pending[self.ready]).await {
                Ok(r) => {
                    self.pending[self.ready] = Arc::new(r);
                    self.ready += 1;
                    failures = 0;
                }
                Err(Unframe::Fatal(e)) => return Err(TransportError::Other(Box::new(e))),
                Err(Unframe::Transient(e)) => {
                    failures += 1;
                    let delay = Duration::from_millis(200)
                        .saturating_mul(1 << failures.min(6))
                        .min(Duration::from_secs(10));
                    tracing::warn!(?delay, "schema registry unavailable: {e}; retrying");
                    tokio::time::sleep(delay).await;
                }
            }
        }
        self.ready = 0;
        Ok(std::mem::take(&mut self.pending))
    }

    async fn commit(&mut self, offsets: &[(TopicPartition, u64)]) -> Result<(), TransportError> {
        self.inner.commit(offsets).await
    }

    fn assignment(&self) -> Vec<TopicPartition> {
        self.inner.assignment()
    }

    /// The inner source's losses; the kept records of those partitions (polled before the loss) are dropped.
    fn take_revoked(&mut self) -> Vec<TopicPartition> {
        let revoked = self.inner.take_revoked();
        if !revoked.is_empty() && !self.pending.is_empty() {
            let lost = |r: &Record| {
                revoked
                    .iter()
                    .any(|tp| tp.partition == r.partition() && *tp.topic == *r.topic())
            };
            let ready = self.pending[..self.ready]
                .iter()
                .filter(|r| !lost(r))
                .count();
            self.pending.retain(|r| !lost(r));
            self.ready = ready;
        }
        revoked
    }
}

/// Schema ids by event schema (its address) and topic.
type IdCache = HashMap<usize, HashMap<String, u32>>;

/// A producer that frames event payloads.
#[derive(Debug, Clone)]
pub struct ConfluentSink<S> {
    inner: S,
    client: RegistryClient,
    strategy: SubjectNameStrategy,
    auto_register: bool,
    ids: Arc<Mutex<IdCache>>,
}

impl<S: Sink> ConfluentSink<S> {
    /// The id `schema` has under the subject of `topic`, looked up (or registered) once.
    pub async fn schema_id(
        &self,
        topic: &str,
        schema: &'static EventSchema,
    ) -> Result<u32, RegistryError> {
        let addr = std::ptr::from_ref(schema) as usize;
        let cached = {
            let ids = self.ids.lock().unwrap_or_else(PoisonError::into_inner);
            ids.get(&addr).and_then(|m| m.get(topic)).copied()
        };
        if let Some(id) = cached {
            return Ok(id);
        }
        let subject = self.strategy.subject(topic, schema.full_name);
        let id = if self.auto_register {
            self.client.register(&subject, schema.file).await?
        } else {
            self.client.lookup(&subject, schema.file).await?
        };
        self.ids
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(addr)
            .or_default()
            .insert(topic.to_string(), id);
        Ok(id)
    }
}

impl<S: Sink> Sink for ConfluentSink<S> {
    type Receipt = S::Receipt;

    async fn send(&self, mut record: OutRecord) -> Result<S::Receipt, TransportError> {
        if let Some(schema) = record.schema.take() {
            let id = self
                .schema_id(&record.topic, schema)
                .await
                .map_err(|e| TransportError::Other(Box::new(e)))?;
            let mut framed = Vec::with_capacity(wire::HEADER_LEN + 4 + record.payload.len());
            wire::write_header(&mut framed, id, schema.message_index);
            framed.extend_from_slice(&record.payload);
            record.payload = framed.into();
        }
        self.inner.send(record).await
    }

    async fn flush(&self) -> Result<(), TransportError> {
        self.inner.flush().await
    }
}
