//! [`Publisher`]: publishes events to their topics with CloudEvents headers, for services that start flows.

use crate::event::Event;
use crate::record::{OutRecord, Value, event_headers};
use crate::transport::{Delivery, Sink, TransportError};

/// Publishes events through a [`Sink`], filling `ce_id`, `ce_type`, `ce_source`, `ce_specversion`,
/// `content-type`, a new correlation id and a new `traceparent`. Generated `<Worker>Client`s wrap one.
#[derive(Debug, Clone)]
pub struct Publisher<S> {
    sink: S,
    source: Value,
}

impl<S: Sink> Publisher<S> {
    /// A publisher whose `ce_source` is `herald`.
    pub fn new(sink: S) -> Publisher<S> {
        Publisher {
            sink,
            source: Value::Static("herald"),
        }
    }

    /// Sets the `ce_source` header of published events.
    pub fn with_source(mut self, source: impl Into<String>) -> Publisher<S> {
        self.source = Value::copy(&source.into());
        self
    }

    /// Publishes `event` to its own topic.
    pub async fn publish<E: Event>(&self, event: &E) -> Result<Delivery, TransportError> {
        self.publish_to(E::TOPIC, event).await
    }

    /// Publishes `event` to `topic`.
    pub async fn publish_to<E: Event>(
        &self,
        topic: &str,
        event: &E,
    ) -> Result<Delivery, TransportError> {
        let headers = event_headers(Some(Value::Static(E::TYPE)), &self.source, None, None, None);
        self.sink
            .produce(OutRecord {
                topic: topic.to_string(),
                key: event.key().to_bytes(),
                headers,
                payload: event.encode_to_vec().into(),
                schema: Some(E::SCHEMA),
            })
            .await
    }

    /// Waits until everything published is durable.
    pub async fn flush(&self) -> Result<(), TransportError> {
        self.sink.flush().await
    }

    /// The sink events go through.
    pub fn sink(&self) -> &S {
        &self.sink
    }
}
