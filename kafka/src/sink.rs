//! [`KafkaSink`]: a producer whose `send` hands a record to librdkafka and returns a [`KafkaReceipt`] resolving with
//! the broker's delivery report, and whose `flush` waits for
//! exactly the records produced before it, without blocking the async runtime.

use std::collections::BTreeSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;

use herald::{Delivery, OutRecord, Sink, TransportError};
use rdkafka::ClientContext;
use rdkafka::error::{KafkaError as RdError, RDKafkaErrorCode};
use rdkafka::message::{DeliveryResult, Header, Message, OwnedHeaders};
use rdkafka::producer::{BaseRecord, ProducerContext, ThreadedProducer};
use tokio::sync::{Notify, oneshot};

use crate::KafkaError;

/// The producers' records not acknowledged yet, by sequence number.
#[derive(Debug, Default)]
pub(crate) struct Flight {
    state: Mutex<FlightState>,
    done: Notify,
}

#[derive(Debug, Default)]
struct FlightState {
    next: u64,
    outstanding: BTreeSet<u64>,
}

impl Flight {
    fn lock(&self) -> MutexGuard<'_, FlightState> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn start(&self) -> u64 {
        let mut s = self.lock();
        let seq = s.next;
        s.next += 1;
        s.outstanding.insert(seq);
        seq
    }

    fn finish(&self, seq: u64) {
        self.lock().outstanding.remove(&seq);
        self.done.notify_waiters();
    }

    /// Records in flight.
    pub(crate) fn len(&self) -> usize {
        self.lock().outstanding.len()
    }

    /// Waits until every record started before this call is acknowledged (or failed).
    async fn wait(&self) {
        let target = self.lock().next;
        loop {
            let notified = self.done.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.lock().outstanding.first().is_none_or(|s| *s >= target) {
                return;
            }
            notified.await;
        }
    }
}

/// What a produced record waits on.
#[derive(Debug)]
pub(crate) struct Pending {
    seq: u64,
    reply: oneshot::Sender<Result<Delivery, RdError>>,
}

/// Delivery reports, served by the producer's polling thread.
#[derive(Debug)]
pub(crate) struct SinkContext {
    flight: Arc<Flight>,
}

impl ClientContext for SinkContext {
    fn log(&self, level: rdkafka::config::RDKafkaLogLevel, facility: &str, message: &str) {
        crate::log(level, facility, message);
    }

    fn error(&self, error: rdkafka::error::KafkaError, reason: &str) {
        tracing::warn!(target: "librdkafka", "{error}: {reason}");
    }
}

impl ProducerContext for SinkContext {
    type DeliveryOpaque = Box<Pending>;

    fn delivery(&self, result: &DeliveryResult<'_>, pending: Box<Pending>) {
        let outcome = match result {
            Ok(m) => Ok(Delivery {
                topic: m.topic().to_string(),
                partition: u32::try_from(m.partition()).unwrap_or_default(),
                offset: u64::try_from(m.offset()).unwrap_or_default(),
            }),
            Err((e, _)) => Err(e.clone()),
        };
        // Out of flight before the producer hears of it, so that its next step (a commit) sees the record done.
        self.flight.finish(pending.seq);
        // The receiver is gone when the produce future was dropped; the record is delivered all the same.
        let _ = pending.reply.send(outcome);
    }
}

pub(crate) type Producer = ThreadedProducer<SinkContext>;

/// Creates a producer whose delivery reports feed `flight`.
pub(crate) fn producer(
    config: &rdkafka::ClientConfig,
) -> Result<(Arc<Producer>, Arc<Flight>), KafkaError> {
    let flight = Arc::new(Flight::default());
    let producer = config.create_with_context(SinkContext {
        flight: Arc::clone(&flight),
    })?;
    Ok((Arc::new(producer), flight))
}

/// A Kafka producer. Clones share it. Records are partitioned by key with murmur2 (Java's default partitioner);
/// headers are written as UTF-8 bytes.
#[derive(Clone)]
pub struct KafkaSink {
    producer: Arc<Producer>,
    flight: Arc<Flight>,
    /// Exactly-once: the producer's `transactional.id`.
    transactional_id: Option<Arc<str>>,
}

impl std::fmt::Debug for KafkaSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KafkaSink")
            .field("in_flight", &self.flight.len())
            .field("transactional_id", &self.transactional_id)
            .finish_non_exhaustive()
    }
}

impl KafkaSink {
    pub(crate) fn new(producer: Arc<Producer>, flight: Arc<Flight>) -> KafkaSink {
        KafkaSink {
            producer,
            flight,
            transactional_id: None,
        }
    }

    /// The same sink, marked as the transactional producer `id`.
    pub(crate) fn transactional(mut self, id: &str) -> KafkaSink {
        self.transactional_id = Some(Arc::from(id));
        self
    }

    /// The `transactional.id` of an exactly-once member's producer; `None` for the shared plain producer.
    pub fn transactional_id(&self) -> Option<&str> {
        self.transactional_id.as_deref()
    }

    /// Creates a plain (not transactional) producer.
    pub fn from_config(config: &crate::KafkaConfig) -> Result<KafkaSink, KafkaError> {
        let (producer, flight) = producer(&config.producer(None))?;
        Ok(KafkaSink::new(producer, flight))
    }

    /// Records produced and not acknowledged yet.
    pub fn in_flight(&self) -> usize {
        self.flight.len()
    }

    /// Hands `record` to librdkafka; waits only while its queue is full.
    async fn enqueue(&self, record: OutRecord) -> Result<KafkaReceipt, KafkaError> {
        let mut headers = OwnedHeaders::new_with_capacity(record.headers.len());
        for (name, value) in record.headers.iter() {
            headers = headers.insert(Header {
                key: name,
                value: Some(value.as_bytes()),
            });
        }
        let seq = self.flight.start();
        let (reply, delivered) = oneshot::channel();
        let mut base: BaseRecord<'_, [u8], [u8], Box<Pending>> =
            BaseRecord::with_opaque_to(&record.topic, Box::new(Pending { seq, reply }))
                .payload(&record.payload[..])
                .headers(headers);
        if let Some(key) = &record.key {
            base = base.key(&key[..]);
        }
        loop {
            match self.producer.send(base) {
                Ok(()) => return Ok(KafkaReceipt { delivered }),
                Err((RdError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                    base = back;
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                Err((e, back)) => {
                    drop(back);
                    self.flight.finish(seq);
                    return Err(e.into());
                }
            }
        }
    }
}

/// The delivery report of one record handed to a [`KafkaSink`]: resolves when the broker acknowledged the record
/// (or librdkafka gave up on it after its own retries, within `message.timeout.ms`).
#[derive(Debug)]
pub struct KafkaReceipt {
    delivered: oneshot::Receiver<Result<Delivery, RdError>>,
}

impl Future for KafkaReceipt {
    type Output = Result<Delivery, TransportError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.delivered)
            .poll(cx)
            .map(|reply| match reply {
                Ok(Ok(delivery)) => Ok(delivery),
                Ok(Err(e)) => Err(KafkaError::from(e).into_transport()),
                Err(_) => Err(KafkaError::Closed.into_transport()),
            })
    }
}

impl Sink for KafkaSink {
    type Receipt = KafkaReceipt;

    async fn send(&self, record: OutRecord) -> Result<KafkaReceipt, TransportError> {
        self.enqueue(record)
            .await
            .map_err(KafkaError::into_transport)
    }

    async fn flush(&self) -> Result<(), TransportError> {
        self.flight.wait().await;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn flush_waits_for_the_records_produced_before_it_only() {
        let flight = Arc::new(Flight::default());
        let first = flight.start();
        let second = flight.start();
        let waiting = tokio::spawn({
            let flight = Arc::clone(&flight);
            async move { flight.wait().await }
        });
        tokio::task::yield_now().await;
        // A record started after the flush does not hold it back.
        let later = flight.start();
        flight.finish(second);
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished());
        flight.finish(first);
        tokio::time::timeout(Duration::from_secs(5), waiting)
            .await
            .expect("flush returns once the earlier records are done")
            .unwrap();
        assert_eq!(flight.len(), 1);
        flight.finish(later);
        assert_eq!(flight.len(), 0);
    }
}
