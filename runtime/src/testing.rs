//! Testing without a broker: a one-worker [`Harness`] (given an input, what was published?) with failure injection
//! and redelivery, and a multi-worker [`Scenario`] over the in-memory [`Bus`] that runs until quiet.
//!
//! Generated code wraps [`Harness`] in a typed `testing::Harness` per worker with `given_<event>` methods and
//! typed accessors per output.

use std::sync::atomic::{AtomicU32, Ordering as AtomicOrdering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;

use crate::event::Event;
use crate::memory::{Bus, MemorySink};
pub use crate::process::DeadLetter;
use crate::process::{Outcome, Processor};
use crate::publisher::Publisher;
use crate::record::{OutRecord, Record, Value, event_headers};
use crate::runner::{RunError, RunReport, Runner, Running};
use crate::spec::{RetryPolicy, WorkerSpec};
use crate::transport::{Delivery, Sink, TransportError};
use crate::worker::{Context, DispatchError, HandlerError, OutBuffer, Worker};

/// A sink that keeps what is produced.
#[derive(Debug, Clone, Default)]
struct CaptureSink {
    records: Arc<Mutex<Vec<OutRecord>>>,
}

impl CaptureSink {
    fn take(&self) -> Vec<OutRecord> {
        std::mem::take(
            &mut *self
                .records
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }
}

impl Sink for CaptureSink {
    type Receipt = std::future::Ready<Result<Delivery, TransportError>>;

    async fn send(&self, record: OutRecord) -> Result<Self::Receipt, TransportError> {
        let mut records = self
            .records
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let delivery = Delivery {
            topic: record.topic.clone(),
            partition: 0,
            offset: records.len() as u64,
        };
        records.push(record);
        Ok(std::future::ready(Ok(delivery)))
    }

    async fn flush(&self) -> Result<(), TransportError> {
        Ok(())
    }
}

/// A worker whose next attempts can be made to fail, counting attempts.
struct Injected<W> {
    worker: Arc<W>,
    fail_next: Arc<AtomicU32>,
    attempts: Arc<AtomicU32>,
}

/// The error injected by [`Harness::fail_next`].
#[derive(Debug, thiserror::Error)]
#[error("failure injected by the test harness")]
pub struct InjectedFailure;

impl<W: Worker> Worker for Injected<W> {
    fn spec(&self) -> &'static WorkerSpec {
        self.worker.spec()
    }

    async fn dispatch(&self, ctx: &Context, record: &Record) -> Result<OutBuffer, DispatchError> {
        self.attempts.fetch_add(1, AtomicOrdering::SeqCst);
        let injected = self
            .fail_next
            .fetch_update(AtomicOrdering::SeqCst, AtomicOrdering::SeqCst, |n| {
                n.checked_sub(1)
            })
            .is_ok();
        if injected {
            return Err(HandlerError::retryable(InjectedFailure).into());
        }
        self.worker.dispatch(ctx, record).await
    }
}

/// Runs one worker in memory, one input at a time, with its retry policy (without the delays) and dead-lettering.
pub struct Harness<W> {
    worker: Arc<W>,
    injected: Injected<W>,
    sink: CaptureSink,
    retry: Option<RetryPolicy>,
    next_offset: u64,
    last: Option<Arc<Record>>,
}

impl<W> std::fmt::Debug for Harness<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Harness")
            .field("next_offset", &self.next_offset)
            .finish_non_exhaustive()
    }
}

impl<W: Worker> Harness<W> {
    /// A harness around a worker (a generated router).
    pub fn new(worker: W) -> Harness<W> {
        let worker = Arc::new(worker);
        Harness {
            injected: Injected {
                worker: Arc::clone(&worker),
                fail_next: Arc::new(AtomicU32::new(0)),
                attempts: Arc::new(AtomicU32::new(0)),
            },
            worker,
            sink: CaptureSink::default(),
            retry: None,
            next_offset: 0,
            last: None,
        }
    }

    /// The worker.
    pub fn worker(&self) -> &W {
        &self.worker
    }

    /// Makes the next `n` attempts fail with a retryable error before reaching the handler.
    pub fn fail_next(&mut self, n: u32) -> &mut Self {
        self.injected.fail_next.store(n, AtomicOrdering::SeqCst);
        self
    }

    /// Overrides the worker's retry policy (only `max_attempts` matters: the harness does not wait).
    pub fn retry(&mut self, policy: RetryPolicy) -> &mut Self {
        self.retry = Some(policy);
        self
    }

    /// Handles `event` as if it arrived on its own topic.
    pub async fn given<E: Event>(&mut self, event: &E) -> Captured {
        self.given_on(E::TOPIC, event).await
    }

    /// Handles `event` as if it arrived on `topic`.
    pub async fn given_on<E: Event>(&mut self, topic: &str, event: &E) -> Captured {
        self.given_record(
            topic,
            Some(Value::Static(E::TYPE)),
            event.key().to_bytes(),
            event.encode_to_vec().into(),
        )
        .await
    }

    /// Handles a record with any payload (to test undecodable input) and `ce_type` (empty for none).
    pub async fn given_raw(
        &mut self,
        topic: &str,
        event_type: &str,
        key: Option<Bytes>,
        payload: impl Into<Bytes>,
    ) -> Captured {
        let event_type = (!event_type.is_empty()).then(|| Value::copy(event_type));
        self.given_record(topic, event_type, key, payload.into())
            .await
    }

    /// Handles a record with the harness's headers.
    async fn given_record(
        &mut self,
        topic: &str,
        event_type: Option<Value>,
        key: Option<Bytes>,
        payload: Bytes,
    ) -> Captured {
        let headers = event_headers(
            event_type,
            &Value::Static("herald-harness"),
            None,
            None,
            None,
        );
        let record = Arc::new(Record::new(
            Arc::from(topic),
            0,
            self.next_offset,
            key,
            headers,
            payload,
        ));
        self.next_offset += 1;
        self.last = Some(Arc::clone(&record));
        self.run(record).await
    }

    /// Delivers the last input again, as a broker does after a crash: the handler should be idempotent.
    ///
    /// # Panics
    /// If nothing was given yet.
    pub async fn redeliver(&mut self) -> Captured {
        let record = self
            .last
            .clone()
            .expect("redeliver() needs an earlier given()");
        self.run(record).await
    }

    async fn run(&mut self, record: Arc<Record>) -> Captured {
        let spec = self.worker.spec();
        let mut processor = Processor::new(self.sink.clone(), spec, false);
        if let Some(r) = self.retry {
            processor.retry = r;
        }
        self.injected.attempts.store(0, AtomicOrdering::SeqCst);
        let outcome = processor.process(&self.injected, record).await;
        let attempts = self.injected.attempts.load(AtomicOrdering::SeqCst);
        let mut captured = Captured {
            records: Vec::new(),
            dead_letters: Vec::new(),
            attempts,
            skipped: matches!(outcome, Outcome::Skipped),
        };
        for r in self.sink.take() {
            match DeadLetter::from_out_record(&r) {
                Some(d) => captured.dead_letters.push(d),
                None => captured.records.push(r),
            }
        }
        captured
    }
}

/// What handling one input published.
#[derive(Debug, Clone, Default)]
pub struct Captured {
    records: Vec<OutRecord>,
    dead_letters: Vec<DeadLetter>,
    attempts: u32,
    skipped: bool,
}

impl Captured {
    /// The events published, in order, with their headers.
    pub fn records(&self) -> &[OutRecord] {
        &self.records
    }

    /// The published events of type `E`, decoded, in order.
    ///
    /// # Panics
    /// If one of them does not decode (the runtime encoded it, so that is a bug).
    pub fn of_type<E: Event>(&self) -> Vec<E> {
        self.records
            .iter()
            .filter(|r| r.event_type() == E::TYPE)
            .map(|r| E::decode(r.payload.clone()).expect("an emitted event decodes"))
            .collect()
    }

    /// The records sent to the dead-letter topic.
    pub fn dead_letters(&self) -> &[DeadLetter] {
        &self.dead_letters
    }

    /// How many attempts the handler got (injected failures included).
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// True when no handler consumes the input.
    pub fn skipped(&self) -> bool {
        self.skipped
    }

    /// True when nothing was published or dead-lettered.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty() && self.dead_letters.is_empty()
    }
}

/// The scenario did not become quiet in time.
#[derive(Debug, thiserror::Error)]
#[error("the scenario is not quiet after {timeout:?}: lag per group {lag:?}")]
pub struct NotQuiet {
    pub timeout: Duration,
    pub lag: Vec<(&'static str, u64)>,
}

/// Several workers wired over an in-memory [`Bus`], run until every consumer group has caught up.
///
/// ```no_run
/// # async fn f<A: herald::Worker, B: herald::Worker, E: herald::Event>(a: A, b: B, first: E) {
/// let mut scenario = herald::testing::Scenario::new().worker(a).worker(b);
/// scenario.publish(&first).await;
/// scenario.run_until_quiet().await.unwrap();
/// let report = scenario.shutdown().await.unwrap();
/// # }
/// ```
pub struct Scenario {
    bus: Bus,
    runner: Option<Runner<Bus>>,
    running: Option<Running>,
    groups: Vec<&'static str>,
    publisher: Publisher<MemorySink>,
    timeout: Duration,
}

impl std::fmt::Debug for Scenario {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scenario")
            .field("groups", &self.groups)
            .field("started", &self.running.is_some())
            .finish_non_exhaustive()
    }
}

impl Default for Scenario {
    fn default() -> Scenario {
        Scenario::new()
    }
}

impl Scenario {
    /// A scenario on a new bus.
    pub fn new() -> Scenario {
        Scenario::on(Bus::new())
    }

    /// A scenario on an existing bus. Retries happen without delay.
    pub fn on(bus: Bus) -> Scenario {
        Scenario {
            publisher: Publisher::new(bus.sink()).with_source("herald-scenario"),
            runner: Some(Runner::new(bus.clone()).without_backoff()),
            bus,
            running: None,
            groups: Vec::new(),
            timeout: Duration::from_secs(60),
        }
    }

    /// Adds a worker; workers start with the first [`publish`](Self::publish) or
    /// [`run_until_quiet`](Self::run_until_quiet).
    ///
    /// # Panics
    /// If the scenario has already started.
    pub fn worker<W: Worker>(mut self, worker: W) -> Scenario {
        self.groups.push(worker.spec().group);
        let runner = self
            .runner
            .take()
            .expect("add workers before the scenario starts");
        self.runner = Some(runner.worker(worker));
        self
    }

    /// How long [`run_until_quiet`](Self::run_until_quiet) waits at most (default 60 s), so a stuck handler fails
    /// the test instead of hanging it.
    pub fn timeout(mut self, timeout: Duration) -> Scenario {
        self.timeout = timeout;
        self
    }

    fn start(&mut self) -> Result<(), RunError> {
        if let Some(runner) = self.runner.take() {
            self.running = Some(runner.start()?);
        }
        Ok(())
    }

    /// Publishes `event` to its topic (starting the workers first).
    ///
    /// # Panics
    /// If a worker cannot join its group.
    pub async fn publish<E: Event>(&mut self, event: &E) -> Delivery {
        self.start().expect("the scenario's workers start");
        self.publisher
            .publish(event)
            .await
            .expect("the in-memory bus accepts records")
    }

    /// Runs until every worker's group has committed everything on its topics: nothing is in flight and no handler
    /// has anything left to emit.
    pub async fn run_until_quiet(&mut self) -> Result<(), NotQuiet> {
        if let Err(e) = self.start() {
            panic!("the scenario's workers do not start: {e}");
        }
        let groups = self.groups.clone();
        match tokio::time::timeout(self.timeout, self.bus.wait_caught_up(&groups)).await {
            Ok(()) => Ok(()),
            Err(_) => Err(NotQuiet {
                timeout: self.timeout,
                lag: groups.iter().map(|g| (*g, self.bus.lag(g))).collect(),
            }),
        }
    }

    /// The events of type `E` on their topic, decoded, partition by partition.
    pub fn events<E: Event>(&self) -> Vec<E> {
        self.bus
            .records(E::TOPIC)
            .iter()
            .filter(|r| r.event_type() == E::TYPE)
            .filter_map(|r| E::decode(r.payload().clone()).ok())
            .collect()
    }

    /// The dead letters on `topic`.
    pub fn dead_letters(&self, topic: &str) -> Vec<DeadLetter> {
        self.bus
            .records(topic)
            .iter()
            .filter_map(DeadLetter::from_record)
            .collect()
    }

    /// The bus, for raw records and offsets.
    pub fn bus(&self) -> &Bus {
        &self.bus
    }

    /// Shuts the workers down gracefully and returns what each did.
    pub async fn shutdown(mut self) -> Result<RunReport, RunError> {
        match self.running.take() {
            Some(running) => running.shutdown().await,
            None => Ok(RunReport::default()),
        }
    }
}
