//! Handling one record, shared by the [`Runner`](crate::Runner) and the test harness: attempts with backoff,
//! publishing the outputs with CloudEvents headers, and dead-lettering.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use bytes::Bytes;
use tracing::Instrument;

use crate::headers as h;
use crate::record::{Headers, OutRecord, Record, Value, event_headers};
use crate::spec::{RetryPolicy, WorkerSpec};
use crate::transport::{Sink, TransportError};
use crate::worker::{Context, DispatchError, HandlerError, Worker};

/// How handling a record ended. The record may be committed once `Handled`'s receipts resolve, at once in the other
/// cases but `Fatal`.
#[derive(Debug)]
pub(crate) enum Outcome<R> {
    /// The handler succeeded and its `emitted` outputs were handed to the sink, in order; each receipt, of those
    /// not durable yet, resolves when its output is.
    Handled {
        attempts: u32,
        emitted: usize,
        receipts: Vec<R>,
    },
    /// No handler consumes the record.
    Skipped,
    /// The record went to the dead-letter topic (or was dropped when the worker has none).
    DeadLettered { attempts: u32 },
    /// Publishing outputs or the dead letter failed: the record must not be committed.
    Fatal(TransportError),
}

/// A record that was dead-lettered, as read back from the dead-letter topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetter {
    /// The dead-letter topic.
    pub topic: String,
    pub original_topic: String,
    pub original_partition: u32,
    pub original_offset: u64,
    /// The error of the last attempt.
    pub error: String,
    /// `retryable` (attempts exhausted), `permanent`, `decode`, `panic`, or `delivery` (the producer gave up on an
    /// output after the handler returned).
    pub error_kind: String,
    pub attempts: u32,
    /// The worker that gave up.
    pub worker: String,
    pub group: String,
    /// The original event type (`ce_type`).
    pub event_type: String,
    pub key: Option<Bytes>,
    pub payload: Bytes,
    /// All headers of the dead-letter record (the original ones included).
    pub headers: Headers,
}

impl DeadLetter {
    /// Reads a dead-letter record's headers; `None` if it is not one.
    pub fn from_parts(
        topic: &str,
        key: Option<&Bytes>,
        headers: &Headers,
        payload: &Bytes,
    ) -> Option<DeadLetter> {
        let get = |n: &str| headers.get(n).map(str::to_string);
        Some(DeadLetter {
            topic: topic.to_string(),
            original_topic: get(h::DLQ_TOPIC)?,
            original_partition: get(h::DLQ_PARTITION)?.parse().ok()?,
            original_offset: get(h::DLQ_OFFSET)?.parse().ok()?,
            error: get(h::DLQ_ERROR).unwrap_or_default(),
            error_kind: get(h::DLQ_ERROR_KIND).unwrap_or_default(),
            attempts: get(h::DLQ_ATTEMPTS)?.parse().ok()?,
            worker: get(h::DLQ_WORKER).unwrap_or_default(),
            group: get(h::DLQ_GROUP).unwrap_or_default(),
            event_type: get(h::CE_TYPE).unwrap_or_default(),
            key: key.cloned(),
            payload: payload.clone(),
            headers: headers.clone(),
        })
    }

    /// Reads a consumed record of a dead-letter topic.
    pub fn from_record(record: &Record) -> Option<DeadLetter> {
        DeadLetter::from_parts(
            record.topic(),
            record.key(),
            record.headers(),
            record.payload(),
        )
    }

    /// Reads a produced record of a dead-letter topic.
    pub fn from_out_record(record: &OutRecord) -> Option<DeadLetter> {
        DeadLetter::from_parts(
            &record.topic,
            record.key.as_ref(),
            &record.headers,
            &record.payload,
        )
    }
}

/// `receipt` if its output is not durable yet; `None` if it is, the error if it failed already.
fn pending<R>(mut receipt: R) -> Result<Option<R>, TransportError>
where
    R: Future<Output = Result<crate::transport::Delivery, TransportError>> + Unpin,
{
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match Pin::new(&mut receipt).poll(&mut cx) {
        Poll::Ready(Ok(_)) => Ok(None),
        Poll::Ready(Err(e)) => Err(e),
        Poll::Pending => Ok(Some(receipt)),
    }
}

/// A header of a record as a span field, looked up only when the span is recorded.
struct HeaderField<'a>(&'a Record, &'static str);

impl std::fmt::Display for HeaderField<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0.headers().get(self.1).unwrap_or(""))
    }
}

/// Handles records for one worker.
pub(crate) struct Processor<S> {
    pub sink: S,
    pub spec: &'static WorkerSpec,
    pub retry: RetryPolicy,
    /// Sleep between attempts (off in the harness).
    pub backoff: bool,
}

impl<S: Sink> Processor<S> {
    pub(crate) fn new(sink: S, spec: &'static WorkerSpec, backoff: bool) -> Processor<S> {
        Processor {
            sink,
            spec,
            retry: spec.retry,
            backoff,
        }
    }

    /// Handles `record` until it succeeds, is skipped or is dead-lettered, inside a `herald.process` span.
    pub(crate) async fn process<W: Worker>(
        &self,
        worker: &W,
        record: Arc<Record>,
    ) -> Outcome<S::Receipt> {
        let span = tracing::info_span!(
            "herald.process",
            messaging.system = "herald",
            messaging.destination.name = record.topic(),
            messaging.consumer.group.name = self.spec.group,
            messaging.destination.partition.id = record.partition(),
            messaging.message.offset = record.offset(),
            messaging.message.id = tracing::field::display(HeaderField(&record, h::CE_ID)),
            herald.event_type = tracing::field::display(HeaderField(&record, h::CE_TYPE)),
            herald.worker = self.spec.name,
        );
        // Without a subscriber that wants the span, entering and leaving it on every poll is wasted work.
        if span.is_disabled() {
            self.attempts(worker, record).await
        } else {
            self.attempts(worker, record).instrument(span).await
        }
    }

    async fn attempts<W: Worker>(&self, worker: &W, record: Arc<Record>) -> Outcome<S::Receipt> {
        if let Some(reason) = record.headers().get(h::FRAME_ERROR) {
            tracing::error!("{reason}; dead-lettering");
            return match self.dead_letter(&record, "decode", reason, 1).await {
                Ok(()) => Outcome::DeadLettered { attempts: 1 },
                Err(e) => Outcome::Fatal(e),
            };
        }
        let max = self.retry.max_attempts.max(1);
        let mut attempt = 1;
        loop {
            let ctx = Context::new(Arc::clone(&record), self.spec, attempt);
            let error = match worker.dispatch(&ctx, &record).await {
                Ok(out) => match self.publish(&record, out).await {
                    Ok((emitted, receipts)) => {
                        tracing::debug!(attempt, emitted, "handled");
                        return Outcome::Handled {
                            attempts: attempt,
                            emitted,
                            receipts,
                        };
                    }
                    // The outputs may be partly published: retrying can duplicate them (at least once).
                    Err(e) => DispatchError::Handler(HandlerError::retryable(e)),
                },
                Err(e) => e,
            };
            match &error {
                DispatchError::Unroutable { .. } => {
                    tracing::debug!("{error}; skipped");
                    return Outcome::Skipped;
                }
                DispatchError::Handler(HandlerError::Retryable(_)) if attempt < max => {
                    let delay = if self.backoff {
                        self.retry.backoff(attempt)
                    } else {
                        Duration::ZERO
                    };
                    tracing::warn!(attempt, ?delay, "{error}; retrying");
                    if !delay.is_zero() {
                        tokio::time::sleep(delay).await;
                    }
                    attempt += 1;
                }
                _ => {
                    tracing::error!(attempt, "{error}; dead-lettering");
                    return match self
                        .dead_letter(&record, error.kind(), &error.to_string(), attempt)
                        .await
                    {
                        Ok(()) => Outcome::DeadLettered { attempts: attempt },
                        Err(e) => Outcome::Fatal(e),
                    };
                }
            }
        }
    }

    /// Hands the outputs to the sink, in order, with headers derived from the input; returns how many, and the
    /// receipts of those not durable yet (none with a sink whose records are durable at once: no allocation).
    async fn publish(
        &self,
        input: &Record,
        out: crate::worker::OutBuffer,
    ) -> Result<(usize, Vec<S::Receipt>), TransportError> {
        let emitted = out.events.len();
        let mut receipts = Vec::new();
        if emitted == 0 {
            return Ok((0, receipts));
        }
        let ih = input.headers();
        let causation = ih.value(h::CE_ID);
        let correlation = ih.value(h::CORRELATION_ID).or(causation);
        let parent = ih.value(h::TRACEPARENT).map(Value::as_bytes);
        let source = Value::Static(self.spec.name);
        for e in out.events {
            let headers = event_headers(
                Some(Value::Static(e.event_type)),
                &source,
                correlation,
                causation,
                parent,
            );
            let sent = self
                .sink
                .send(OutRecord {
                    topic: e.topic.to_string(),
                    key: e.key,
                    headers,
                    payload: e.payload,
                    schema: Some(e.schema),
                })
                .await
                .and_then(pending);
            match sent {
                Ok(Some(receipt)) => receipts.push(receipt),
                Ok(None) => {}
                Err(e) => {
                    // The outputs handed over already are waited for, whatever becomes of them: a failed attempt
                    // leaves nothing in flight behind it (an exactly-once transaction cannot commit while it has).
                    for receipt in receipts {
                        let _ = receipt.await;
                    }
                    return Err(e);
                }
            }
        }
        Ok((emitted, receipts))
    }

    /// Sends `record` to the worker's dead-letter topic with the `herald-dlq-*` headers; without one, logs it.
    pub(crate) async fn dead_letter(
        &self,
        record: &Record,
        kind: &str,
        error: &str,
        attempts: u32,
    ) -> Result<(), TransportError> {
        let Some(topic) = self.spec.dead_letter_topic else {
            tracing::error!(
                topic = record.topic(),
                partition = record.partition(),
                offset = record.offset(),
                "dropping a failed record: worker {} has no dead-letter topic",
                self.spec.name
            );
            return Ok(());
        };
        let mut headers = record.headers().clone();
        headers.insert(h::DLQ_TOPIC, record.topic());
        headers.insert(h::DLQ_PARTITION, record.partition().to_string());
        headers.insert(h::DLQ_OFFSET, record.offset().to_string());
        headers.insert(h::DLQ_ERROR, error);
        headers.insert(h::DLQ_ERROR_KIND, kind);
        headers.insert(h::DLQ_ATTEMPTS, attempts.to_string());
        headers.insert(h::DLQ_WORKER, self.spec.name);
        headers.insert(h::DLQ_GROUP, self.spec.group);
        self.sink
            .produce(OutRecord {
                topic: topic.to_string(),
                key: record.key().cloned(),
                headers,
                payload: record.original_payload().clone(),
                schema: None,
            })
            .await
            .map(drop)
    }
}
