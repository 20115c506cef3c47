//! Runtime behaviour on the in-memory bus with a hand-written worker: ordering per key under concurrency, retries
//! then dead letters, redelivery after a crash, graceful shutdown, headers, and the harness. No test depends on
//! wall-clock timing; waits are on events, and every wait is bounded.

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering as AO};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use herald::headers as h;
use herald::memory::Bus;
use herald::testing::{Harness, Scenario};
use herald::{
    Context, DispatchError, Event, HandlerError, HandlerSpec, Key, Ordering, OutBuffer, Publisher,
    Record, RetryPolicy, Runner, Worker, WorkerSpec,
};
use prost::Message as _;
use tokio::sync::{Notify, Semaphore};

static TEST_PROTO: herald::ProtoFile = herald::ProtoFile {
    name: "test.proto",
    source: "syntax = \"proto3\";\npackage test;\nmessage Tick { string key = 1; uint64 n = 2; }\nmessage Tock { string key = 1; uint64 n = 2; }\n",
    imports: &[],
};

#[derive(Clone, PartialEq, prost::Message)]
struct Tick {
    #[prost(string, tag = "1")]
    key: String,
    #[prost(uint64, tag = "2")]
    n: u64,
}

impl Event for Tick {
    const TYPE: &'static str = "test.Tick";
    const SCHEMA: &'static herald::EventSchema = &herald::EventSchema {
        full_name: "test.Tick",
        file: &TEST_PROTO,
        message_index: &[0],
    };
    const TOPIC: &'static str = "ticks";
    fn key(&self) -> Key<'_> {
        Key::Str(&self.key)
    }
}

#[derive(Clone, PartialEq, prost::Message)]
struct Tock {
    #[prost(string, tag = "1")]
    key: String,
    #[prost(uint64, tag = "2")]
    n: u64,
}

impl Event for Tock {
    const TYPE: &'static str = "test.Tock";
    const SCHEMA: &'static herald::EventSchema = &herald::EventSchema {
        full_name: "test.Tock",
        file: &TEST_PROTO,
        message_index: &[1],
    };
    const TOPIC: &'static str = "tocks";
    fn key(&self) -> Key<'_> {
        Key::Str(&self.key)
    }
}

const HANDLERS: &[HandlerSpec] = &[HandlerSpec {
    name: "OnTick",
    topic: "ticks",
    event_type: "test.Tick",
    emits: &["test.Tock"],
}];

const fn spec(
    group: &'static str,
    ordering: Ordering,
    max_in_flight: u32,
    attempts: u32,
) -> WorkerSpec {
    WorkerSpec {
        name: "test.Ticker",
        group,
        ordering,
        max_in_flight,
        retry: RetryPolicy {
            max_attempts: attempts,
            initial_backoff_ms: 1,
            max_backoff_ms: 2,
        },
        dead_letter_topic: Some("ticks.dlq"),
        handlers: HANDLERS,
    }
}

/// What the handler does with a tick.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Ok,
    Retryable,
    Permanent,
    Panic,
    /// Two Tocks per Tick.
    Twice,
}

/// A worker that turns each Tick into a Tock, recording what it sees; hooks let tests block or fail it.
struct Ticker {
    spec: &'static WorkerSpec,
    mode: Mode,
    seen: Arc<Mutex<Vec<(String, u64)>>>,
    calls: Arc<AtomicU32>,
    /// Keys being handled right now, to catch two records of one key at once.
    active: Arc<Mutex<HashSet<String>>>,
    overlap: Arc<AtomicU32>,
    in_flight: Arc<AtomicUsize>,
    max_in_flight: Arc<AtomicUsize>,
    /// Ticks with this `n` wait for a permit of `gate`, after notifying `blocked`.
    block_on: Option<u64>,
    gate: Arc<Semaphore>,
    blocked: Arc<Notify>,
    /// Every tick waits for a permit of this semaphore (when set).
    all_gate: Option<Arc<Semaphore>>,
}

impl Ticker {
    fn new(spec: &'static WorkerSpec) -> Ticker {
        Ticker {
            spec,
            mode: Mode::Ok,
            seen: Arc::default(),
            calls: Arc::default(),
            active: Arc::default(),
            overlap: Arc::default(),
            in_flight: Arc::default(),
            max_in_flight: Arc::default(),
            block_on: None,
            gate: Arc::new(Semaphore::new(0)),
            blocked: Arc::new(Notify::new()),
            all_gate: None,
        }
    }
}

impl Worker for Ticker {
    fn spec(&self) -> &'static WorkerSpec {
        self.spec
    }

    async fn dispatch(&self, _ctx: &Context, record: &Record) -> Result<OutBuffer, DispatchError> {
        match (record.topic(), record.event_type()) {
            ("ticks", "test.Tick" | "") => {}
            (t, ty) => return Err(DispatchError::unroutable(t, ty)),
        }
        let tick: Tick = herald::decode(record)?;
        self.calls.fetch_add(1, AO::SeqCst);
        if !self.active.lock().unwrap().insert(tick.key.clone()) {
            self.overlap.fetch_add(1, AO::SeqCst);
        }
        let now = self.in_flight.fetch_add(1, AO::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, AO::SeqCst);
        if self.block_on == Some(tick.n) {
            self.blocked.notify_one();
            let _permit = self.gate.acquire().await;
        }
        if let Some(g) = &self.all_gate {
            self.blocked.notify_one();
            g.acquire().await.unwrap().forget();
        }
        // Let other records interleave.
        for _ in 0..(tick.n % 4) {
            tokio::task::yield_now().await;
        }
        self.seen.lock().unwrap().push((tick.key.clone(), tick.n));
        self.in_flight.fetch_sub(1, AO::SeqCst);
        self.active.lock().unwrap().remove(&tick.key);
        match self.mode {
            Mode::Ok => {}
            Mode::Retryable => return Err(HandlerError::retryable("flaky dependency").into()),
            Mode::Permanent => return Err(HandlerError::permanent("invalid order").into()),
            Mode::Panic if tick.n == 0 => panic!("handler bug"),
            Mode::Panic | Mode::Twice => {}
        }
        let mut out = OutBuffer::new();
        if self.mode == Mode::Twice {
            out.push(Tock {
                key: tick.key.clone(),
                n: tick.n,
            });
        }
        out.push(Tock {
            key: tick.key,
            n: tick.n,
        });
        Ok(out)
    }
}

fn tick(key: &str, n: u64) -> Tick {
    Tick {
        key: key.to_string(),
        n,
    }
}

const BOUND: Duration = Duration::from_secs(60);

async fn bounded<F: std::future::Future>(f: F) -> F::Output {
    tokio::time::timeout(BOUND, f)
        .await
        .expect("the test finishes in time")
}

/// Asserts that `seen` holds `count` records and each key's in increasing order.
fn assert_each_key_in_order(seen: &[(String, u64)], count: usize) {
    assert_eq!(seen.len(), count);
    let mut per_key: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
    for (k, n) in seen {
        per_key.entry(k).or_default().push(*n);
    }
    for (k, ns) in &per_key {
        assert!(
            ns.windows(2).all(|w| w[0] < w[1]),
            "key {k} out of order: {ns:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_key_ordering_holds_under_concurrency() {
    static SPEC: WorkerSpec = spec("ordered", Ordering::PerKey, 8, 1);
    let worker = Ticker::new(&SPEC);
    let seen = Arc::clone(&worker.seen);
    let (overlap, max_in_flight) = (
        Arc::clone(&worker.overlap),
        Arc::clone(&worker.max_in_flight),
    );
    let mut scenario = Scenario::on(Bus::with_partitions(2)).worker(worker);
    for n in 0..300 {
        scenario.publish(&tick(&format!("k{}", n % 12), n)).await;
    }
    bounded(scenario.run_until_quiet()).await.unwrap();
    let report = scenario.shutdown().await.unwrap();
    assert_eq!(report.worker("test.Ticker").unwrap().processed, 300);

    assert_each_key_in_order(&seen.lock().unwrap(), 300);
    assert_eq!(
        overlap.load(AO::SeqCst),
        0,
        "two records of one key ran at once"
    );
    let max = max_in_flight.load(AO::SeqCst);
    assert!(max > 1, "records of different keys never ran concurrently");
    assert!(max <= 8, "max_in_flight exceeded: {max}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_run_as_several_members_shares_the_partitions_and_keeps_key_order() {
    static SPEC: WorkerSpec = spec("members", Ordering::PerKey, 4, 1);
    let worker = Ticker::new(&SPEC);
    let (seen, overlap) = (Arc::clone(&worker.seen), Arc::clone(&worker.overlap));
    let bus = Bus::with_partitions(4);
    let publisher = Publisher::new(bus.sink());
    for n in 0..400 {
        publisher
            .publish(&tick(&format!("k{}", n % 16), n))
            .await
            .unwrap();
    }
    let running = Runner::new(bus.clone())
        .worker_members(worker, 2)
        .start()
        .unwrap();
    assert_eq!(bus.members(SPEC.group), 2, "two members joined the group");
    bounded(bus.wait_caught_up(&[SPEC.group])).await;
    let report = running.shutdown().await.unwrap();
    assert_eq!(report.workers.len(), 1, "one report per worker: {report:?}");
    assert_eq!(report.worker("test.Ticker").unwrap().processed, 400);
    assert_eq!(bus.members(SPEC.group), 0, "both members left the group");

    assert_each_key_in_order(&seen.lock().unwrap(), 400);
    assert_eq!(
        overlap.load(AO::SeqCst),
        0,
        "two records of one key ran at once"
    );
    for p in 0..4 {
        assert_eq!(
            bus.committed(SPEC.group, "ticks", p),
            bus.end_offsets("ticks")[p as usize],
            "partition {p} committed to its end"
        );
    }
}

#[tokio::test]
async fn per_partition_ordering_runs_one_record_at_a_time() {
    static SPEC: WorkerSpec = spec("serial", Ordering::PerPartition, 8, 1);
    let worker = Ticker::new(&SPEC);
    let (seen, max_in_flight) = (Arc::clone(&worker.seen), Arc::clone(&worker.max_in_flight));
    let mut scenario = Scenario::on(Bus::with_partitions(1)).worker(worker);
    for n in 0..50 {
        scenario.publish(&tick(&format!("k{n}"), n)).await;
    }
    bounded(scenario.run_until_quiet()).await.unwrap();
    scenario.shutdown().await.unwrap();
    let ns: Vec<u64> = seen.lock().unwrap().iter().map(|(_, n)| *n).collect();
    assert_eq!(ns, (0..50).collect::<Vec<_>>());
    assert_eq!(max_in_flight.load(AO::SeqCst), 1);
}

#[tokio::test]
async fn retryable_errors_are_retried_then_dead_lettered() {
    static SPEC: WorkerSpec = spec("retrying", Ordering::PerKey, 4, 3);
    let mut worker = Ticker::new(&SPEC);
    worker.mode = Mode::Retryable;
    let calls = Arc::clone(&worker.calls);
    let mut scenario = Scenario::new().worker(worker);
    let delivery = scenario.publish(&tick("k", 7)).await;
    bounded(scenario.run_until_quiet()).await.unwrap();

    assert_eq!(calls.load(AO::SeqCst), 3);
    let dead = scenario.dead_letters("ticks.dlq");
    assert_eq!(dead.len(), 1);
    let d = &dead[0];
    assert_eq!(d.original_topic, "ticks");
    assert_eq!(d.original_partition, delivery.partition);
    assert_eq!(d.original_offset, delivery.offset);
    assert_eq!(d.attempts, 3);
    assert_eq!(d.error_kind, "retryable");
    assert_eq!(d.error, "retryable: flaky dependency");
    assert_eq!(d.worker, "test.Ticker");
    assert_eq!(d.group, "retrying");
    assert_eq!(d.event_type, "test.Tick");
    assert_eq!(Tick::decode(d.payload.clone()).unwrap(), tick("k", 7));
    assert!(scenario.events::<Tock>().is_empty());
    let report = scenario.shutdown().await.unwrap();
    let w = report.worker("test.Ticker").unwrap();
    assert_eq!((w.dead_lettered, w.retries, w.processed), (1, 2, 0));
}

#[tokio::test]
async fn permanent_errors_and_poison_pills_are_dead_lettered_at_once() {
    static SPEC: WorkerSpec = spec("permanent", Ordering::PerKey, 4, 5);
    let mut worker = Ticker::new(&SPEC);
    worker.mode = Mode::Permanent;
    let calls = Arc::clone(&worker.calls);
    let bus = Bus::new();
    let mut scenario = Scenario::on(bus.clone()).worker(worker);
    scenario.publish(&tick("k", 1)).await;
    // A record that is not a Tick at all.
    let mut headers = herald::Headers::new();
    headers.insert(h::CE_TYPE, "test.Tick");
    bus.append(herald::OutRecord {
        topic: "ticks".into(),
        key: None,
        headers,
        payload: bytes::Bytes::from_static(&[0xff, 0xff, 0xff]),
        schema: None,
    });
    bounded(scenario.run_until_quiet()).await.unwrap();
    assert_eq!(calls.load(AO::SeqCst), 1);
    let mut kinds: Vec<(String, u32)> = scenario
        .dead_letters("ticks.dlq")
        .into_iter()
        .map(|d| (d.error_kind, d.attempts))
        .collect();
    kinds.sort();
    assert_eq!(
        kinds,
        [("decode".to_string(), 1), ("permanent".to_string(), 1)]
    );
    scenario.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_panicking_handler_dead_letters_its_record_and_the_worker_goes_on() {
    static SPEC: WorkerSpec = spec("panicking", Ordering::PerPartition, 4, 3);
    let mut worker = Ticker::new(&SPEC);
    worker.mode = Mode::Panic;
    let bus = Bus::with_partitions(1);
    let mut scenario = Scenario::on(bus.clone()).worker(worker);
    scenario.publish(&tick("k", 0)).await;
    scenario.publish(&tick("k", 1)).await;
    bounded(scenario.run_until_quiet()).await.unwrap();
    let dead = scenario.dead_letters("ticks.dlq");
    assert_eq!(dead.len(), 1);
    assert_eq!(
        (dead[0].error_kind.as_str(), dead[0].original_offset),
        ("panic", 0)
    );
    assert_eq!(
        scenario.events::<Tock>(),
        [Tock {
            key: "k".into(),
            n: 1
        }]
    );
    assert_eq!(bus.committed("panicking", "ticks", 0), 2);
    scenario.shutdown().await.unwrap();
}

#[tokio::test]
async fn records_without_a_handler_are_skipped_and_committed() {
    static SPEC: WorkerSpec = spec("skipping", Ordering::PerKey, 4, 1);
    let worker = Ticker::new(&SPEC);
    let bus = Bus::with_partitions(1);
    let mut scenario = Scenario::on(bus.clone()).worker(worker);
    let mut headers = herald::Headers::new();
    headers.insert(h::CE_TYPE, "test.Other");
    bus.append(herald::OutRecord {
        topic: "ticks".into(),
        key: None,
        headers,
        payload: bytes::Bytes::new(),
        schema: None,
    });
    bounded(scenario.run_until_quiet()).await.unwrap();
    assert_eq!(bus.committed("skipping", "ticks", 0), 1);
    let report = scenario.shutdown().await.unwrap();
    assert_eq!(report.worker("test.Ticker").unwrap().skipped, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_redelivers_every_uncommitted_record() {
    static SPEC: WorkerSpec = spec("crashing", Ordering::PerPartition, 4, 1);
    let bus = Bus::with_partitions(1);
    let publisher = Publisher::new(bus.sink());
    for n in 0..10 {
        publisher.publish(&tick("k", n)).await.unwrap();
    }
    let mut first = Ticker::new(&SPEC);
    first.block_on = Some(5);
    let blocked = Arc::clone(&first.blocked);
    let seen_first = Arc::clone(&first.seen);
    let running = Runner::new(bus.clone()).worker(first).start().unwrap();
    bounded(blocked.notified()).await;
    // Records 0..5 are done and committed; 5 is stuck and 6..9 wait behind it. Crash.
    running.abort().await;
    assert_eq!(bus.members("crashing"), 0);
    let committed = bus.committed("crashing", "ticks", 0);
    assert_eq!(committed, 5);
    assert_eq!(seen_first.lock().unwrap().len(), 5);

    let second = Ticker::new(&SPEC);
    let seen_second = Arc::clone(&second.seen);
    let running = Runner::new(bus.clone()).worker(second).start().unwrap();
    bounded(bus.wait_caught_up(&["crashing"])).await;
    running.shutdown().await.unwrap();

    let redelivered: Vec<u64> = seen_second
        .lock()
        .unwrap()
        .iter()
        .map(|(_, n)| *n)
        .collect();
    assert_eq!(redelivered, (5..10).collect::<Vec<_>>());
    let outputs: Vec<u64> = bus
        .records("tocks")
        .iter()
        .map(|r| Tock::decode(r.payload().clone()).unwrap().n)
        .collect();
    assert_eq!(
        outputs,
        (0..10).collect::<Vec<_>>(),
        "no input lost, none handled twice"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_finishes_running_handlers_and_loses_nothing() {
    static SPEC: WorkerSpec = spec("graceful", Ordering::PerKey, 4, 1);
    let bus = Bus::with_partitions(2);
    let publisher = Publisher::new(bus.sink());
    for n in 0..20 {
        publisher
            .publish(&tick(&format!("k{}", n % 5), n))
            .await
            .unwrap();
    }
    let gate = Arc::new(Semaphore::new(0));
    let mut first = Ticker::new(&SPEC);
    first.all_gate = Some(Arc::clone(&gate));
    let blocked = Arc::clone(&first.blocked);
    let seen = Arc::clone(&first.seen);
    let running = Runner::new(bus.clone()).worker(first).start().unwrap();
    // Wait until a handler is running, ask for shutdown, then let handlers finish.
    bounded(blocked.notified()).await;
    let shutdown = tokio::spawn(running.shutdown());
    gate.add_permits(1000);
    let report = bounded(shutdown).await.unwrap().unwrap();
    let done_first = report.worker("test.Ticker").unwrap().processed;
    assert!(done_first >= 1);
    assert_eq!(report.worker("test.Ticker").unwrap().abandoned, 0);
    assert_eq!(seen.lock().unwrap().len() as u64, done_first);
    assert_eq!(bus.records("tocks").len() as u64, done_first);

    // Whatever the first run committed is not redone; the rest is.
    let second = Ticker::new(&SPEC);
    let running = Runner::new(bus.clone()).worker(second).start().unwrap();
    bounded(bus.wait_caught_up(&["graceful"])).await;
    let report = running.shutdown().await.unwrap();
    let done_second = report.worker("test.Ticker").unwrap().processed;
    assert_eq!(done_first + done_second, 20);
    let mut outputs: Vec<u64> = bus
        .records("tocks")
        .iter()
        .map(|r| Tock::decode(r.payload().clone()).unwrap().n)
        .collect();
    outputs.sort_unstable();
    assert_eq!(outputs, (0..20).collect::<Vec<_>>());
}

#[tokio::test(start_paused = true)]
async fn shutdown_abandons_stuck_handlers_after_the_drain_timeout() {
    static SPEC: WorkerSpec = spec("stuck", Ordering::PerPartition, 1, 1);
    let bus = Bus::with_partitions(1);
    Publisher::new(bus.sink())
        .publish(&tick("k", 0))
        .await
        .unwrap();
    let mut worker = Ticker::new(&SPEC);
    worker.block_on = Some(0);
    let blocked = Arc::clone(&worker.blocked);
    let running = Runner::new(bus.clone())
        .worker(worker)
        .drain_timeout(Duration::from_secs(5))
        .start()
        .unwrap();
    blocked.notified().await;
    let report = running.shutdown().await.unwrap();
    assert_eq!(report.worker("test.Ticker").unwrap().abandoned, 1);
    assert_eq!(
        bus.committed("stuck", "ticks", 0),
        0,
        "the stuck record stays uncommitted"
    );
    assert_eq!(bus.members("stuck"), 0);
}

#[tokio::test]
async fn outputs_carry_cloudevents_headers_and_inherit_correlation() {
    static SPEC: WorkerSpec = spec("headers", Ordering::PerKey, 4, 1);
    let bus = Bus::new();
    let mut scenario = Scenario::on(bus.clone()).worker(Ticker::new(&SPEC));
    scenario.publish(&tick("k", 1)).await;
    bounded(scenario.run_until_quiet()).await.unwrap();
    scenario.shutdown().await.unwrap();
    let input = &bus.records("ticks")[0];
    let output = &bus.records("tocks")[0];
    let (ih, oh) = (input.headers(), output.headers());
    assert_eq!(oh.get(h::CE_TYPE), Some("test.Tock"));
    assert_eq!(oh.get(h::CE_SOURCE), Some("test.Ticker"));
    assert_eq!(oh.get(h::CE_SPECVERSION), Some("1.0"));
    assert_eq!(oh.get(h::CONTENT_TYPE), Some("application/protobuf"));
    assert_eq!(oh.get(h::CAUSATION_ID), ih.get(h::CE_ID));
    assert_eq!(oh.get(h::CORRELATION_ID), ih.get(h::CORRELATION_ID));
    assert_ne!(oh.get(h::CE_ID), ih.get(h::CE_ID));
    let (it, ot) = (
        ih.get(h::TRACEPARENT).unwrap(),
        oh.get(h::TRACEPARENT).unwrap(),
    );
    assert_eq!(it[3..35], ot[3..35], "same trace");
    assert_eq!(output.key().unwrap(), "k");
}

#[tokio::test]
async fn harness_retries_injected_failures_and_redelivers() {
    static SPEC: WorkerSpec = spec("harness", Ordering::PerKey, 4, 3);
    let mut harness = Harness::new(Ticker::new(&SPEC));
    harness.fail_next(2);
    let out = harness.given(&tick("k", 3)).await;
    assert_eq!(out.attempts(), 3);
    assert_eq!(
        out.of_type::<Tock>(),
        [Tock {
            key: "k".into(),
            n: 3
        }]
    );
    assert!(out.dead_letters().is_empty());

    harness.fail_next(3);
    let out = harness.given(&tick("k", 4)).await;
    assert_eq!(out.attempts(), 3);
    assert!(out.of_type::<Tock>().is_empty());
    assert_eq!(out.dead_letters().len(), 1);
    assert_eq!(
        out.dead_letters()[0].error,
        "retryable: failure injected by the test harness"
    );
    assert_eq!(out.dead_letters()[0].original_offset, 1);

    let again = harness.redeliver().await;
    assert_eq!(
        again.of_type::<Tock>(),
        [Tock {
            key: "k".into(),
            n: 4
        }]
    );
    assert_eq!(harness.worker().seen.lock().unwrap().len(), 2);

    let garbage = harness
        .given_raw("ticks", "test.Tick", None, vec![0xff])
        .await;
    assert_eq!(garbage.dead_letters()[0].error_kind, "decode");
    let other = harness.given_raw("ticks", "test.Other", None, vec![]).await;
    assert!(other.skipped() && other.is_empty());
}

/// Records the fields of `herald.process` spans.
#[derive(Clone, Default)]
struct ProcessSpans(Arc<Mutex<Vec<BTreeMap<String, String>>>>);

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for ProcessSpans {
    fn on_new_span(
        &self,
        attrs: &tracing::span::Attributes<'_>,
        _id: &tracing::span::Id,
        _ctx: tracing_subscriber::layer::Context<'_, S>,
    ) {
        struct Fields<'a>(&'a mut BTreeMap<String, String>);
        impl tracing::field::Visit for Fields<'_> {
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                self.0
                    .insert(field.name().to_string(), format!("{value:?}"));
            }
            fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
                self.0.insert(field.name().to_string(), value.to_string());
            }
        }
        if attrs.metadata().name() == "herald.process" {
            let mut fields = BTreeMap::new();
            attrs.record(&mut Fields(&mut fields));
            self.0.lock().unwrap().push(fields);
        }
    }
}

#[test]
fn each_record_is_handled_in_a_span_naming_its_event() {
    use tracing_subscriber::layer::SubscriberExt;
    static SPEC: WorkerSpec = spec("spans", Ordering::PerKey, 4, 1);
    let spans = ProcessSpans::default();
    let subscriber = tracing_subscriber::registry().with(spans.clone());
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let out = tracing::subscriber::with_default(subscriber, || {
        // Another test's thread may have cached the span's callsite as uninteresting before this subscriber existed.
        tracing::callsite::rebuild_interest_cache();
        rt.block_on(async {
            let mut harness = Harness::new(Ticker::new(&SPEC));
            harness.given(&tick("k", 1)).await
        })
    });
    // The output's causation id is the input's `ce_id`.
    let input_id = out.records()[0]
        .headers
        .get(h::CAUSATION_ID)
        .unwrap()
        .to_string();
    let spans = spans.0.lock().unwrap();
    assert_eq!(spans.len(), 1, "{spans:?}");
    let span = &spans[0];
    assert_eq!(span["messaging.message.id"], input_id);
    assert_eq!(span["herald.event_type"], "test.Tick");
    assert_eq!(span["messaging.destination.name"], "ticks");
    assert_eq!(span["herald.worker"], "test.Ticker");
    assert_eq!(span["messaging.message.offset"], "0");
}

/// A transport on a bus whose producer holds every record until the test delivers it (appends it to the bus and
/// resolves its receipt) or fails it, and whose members publish each commit.
#[derive(Clone)]
struct Held {
    bus: Bus,
    state: Arc<HeldState>,
}

type Reply = tokio::sync::oneshot::Sender<Result<herald::Delivery, herald::TransportError>>;

struct HeldState {
    /// Records sent, in order, each with its receipt's sender until delivered or failed.
    sent: Mutex<Vec<(herald::OutRecord, Option<Reply>)>>,
    /// How many records were sent.
    count: tokio::sync::watch::Sender<usize>,
    /// The last offset committed (one partition).
    committed: tokio::sync::watch::Sender<u64>,
    /// The index of a send to refuse (counting refused ones), once.
    refuse: Mutex<Option<usize>>,
    sends: AtomicUsize,
}

impl Held {
    fn new(bus: &Bus) -> Held {
        Held {
            bus: bus.clone(),
            state: Arc::new(HeldState {
                sent: Mutex::default(),
                count: tokio::sync::watch::channel(0).0,
                committed: tokio::sync::watch::channel(0).0,
                refuse: Mutex::default(),
                sends: AtomicUsize::new(0),
            }),
        }
    }

    async fn wait_sent(&self, n: usize) {
        let mut rx = self.state.count.subscribe();
        bounded(rx.wait_for(|c| *c >= n)).await.unwrap();
    }

    async fn wait_committed(&self, offset: u64) {
        let mut rx = self.state.committed.subscribe();
        bounded(rx.wait_for(|c| *c >= offset)).await.unwrap();
    }

    fn sent(&self) -> usize {
        self.state.sent.lock().unwrap().len()
    }

    /// Sent record `i`.
    fn record(&self, i: usize) -> herald::OutRecord {
        self.state.sent.lock().unwrap()[i].0.clone()
    }

    /// Delivers sent record `i`: it lands on the bus and its receipt resolves.
    fn deliver(&self, i: usize) {
        let (record, reply) = {
            let mut sent = self.state.sent.lock().unwrap();
            let (record, reply) = &mut sent[i];
            (record.clone(), reply.take().expect("not settled yet"))
        };
        let _ = reply.send(Ok(self.bus.append(record)));
    }

    /// Once ticks 0..3 sent their outputs, delivers tick 0's (and waits for its commit) and fails tick 1's, which
    /// tick 2 was handled after: handling 1 again now would put it after 2. Returns once the worker sent a fourth
    /// record (tick 1's dead letter).
    async fn fail_the_second(&self) {
        self.wait_sent(3).await;
        self.deliver(0);
        self.wait_committed(1).await;
        self.fail(1);
        self.wait_sent(4).await;
    }

    /// Fails sent record `i`, as a producer does when it gives up on a record.
    fn fail(&self, i: usize) {
        let reply = self.state.sent.lock().unwrap()[i]
            .1
            .take()
            .expect("not settled yet");
        let _ = reply.send(Err(herald::TransportError::Other(
            "broker unreachable".into(),
        )));
    }
}

struct HeldReceipt(
    tokio::sync::oneshot::Receiver<Result<herald::Delivery, herald::TransportError>>,
);

impl std::future::Future for HeldReceipt {
    type Output = Result<herald::Delivery, herald::TransportError>;

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        std::pin::Pin::new(&mut self.0)
            .poll(cx)
            .map(|r| r.unwrap_or(Err(herald::TransportError::Closed)))
    }
}

impl herald::Sink for Held {
    type Receipt = HeldReceipt;

    async fn send(&self, record: herald::OutRecord) -> Result<HeldReceipt, herald::TransportError> {
        let call = self.state.sends.fetch_add(1, AO::SeqCst);
        if *self.state.refuse.lock().unwrap() == Some(call) {
            return Err(herald::TransportError::Other("queue refused".into()));
        }
        let (reply, receipt) = tokio::sync::oneshot::channel();
        let n = {
            let mut sent = self.state.sent.lock().unwrap();
            sent.push((record, Some(reply)));
            sent.len()
        };
        self.state.count.send_replace(n);
        Ok(HeldReceipt(receipt))
    }

    async fn flush(&self) -> Result<(), herald::TransportError> {
        Ok(())
    }
}

struct HeldSource {
    inner: herald::memory::MemorySource,
    committed: tokio::sync::watch::Sender<u64>,
}

impl herald::Source for HeldSource {
    async fn poll(&mut self, max: usize) -> Result<Vec<Arc<Record>>, herald::TransportError> {
        self.inner.poll(max).await
    }

    async fn commit(
        &mut self,
        offsets: &[(herald::TopicPartition, u64)],
    ) -> Result<(), herald::TransportError> {
        self.inner.commit(offsets).await?;
        for (_, o) in offsets {
            self.committed.send_replace(*o);
        }
        Ok(())
    }

    fn assignment(&self) -> Vec<herald::TopicPartition> {
        self.inner.assignment()
    }

    fn take_revoked(&mut self) -> Vec<herald::TopicPartition> {
        self.inner.take_revoked()
    }
}

impl herald::Transport for Held {
    type Source = HeldSource;
    type Sink = Held;

    fn subscribe(
        &self,
        group: &str,
        topics: &[&str],
    ) -> Result<HeldSource, herald::TransportError> {
        Ok(HeldSource {
            inner: self.bus.subscribe(group, topics)?,
            committed: self.state.committed.clone(),
        })
    }

    fn sink(&self) -> Held {
        self.clone()
    }
}

/// Publishes ticks 0..3 of key `k` on a one-partition bus and runs `worker` on it (as configured by `runner`) with
/// its outputs held.
async fn run_held(
    worker: Ticker,
    runner: impl FnOnce(Runner<Held>) -> Runner<Held>,
) -> (Bus, Held, herald::Running) {
    let bus = Bus::with_partitions(1);
    let publisher = Publisher::new(bus.sink());
    for i in 0..3 {
        publisher.publish(&tick("k", i)).await.unwrap();
    }
    let held = Held::new(&bus);
    let running = runner(Runner::new(held.clone()).worker(worker))
        .start()
        .unwrap();
    (bus, held, running)
}

#[tokio::test]
async fn handlers_go_on_while_outputs_are_on_their_way_and_a_record_commits_once_they_land() {
    static SPEC: WorkerSpec = spec("acks", Ordering::PerKey, 1, 1);
    let worker = Ticker::new(&SPEC);
    let seen = Arc::clone(&worker.seen);
    let (bus, held, running) = run_held(worker, |r| r).await;
    // One handler at a time, one key: each record ran after the one before handed over its output, not after it
    // landed.
    held.wait_sent(3).await;
    let ns: Vec<u64> = seen.lock().unwrap().iter().map(|(_, n)| *n).collect();
    assert_eq!(ns, [0, 1, 2]);
    assert_eq!(bus.committed("acks", "ticks", 0), 0, "nothing landed yet");

    held.deliver(1);
    for _ in 0..100 {
        tokio::task::yield_now().await;
    }
    assert_eq!(
        bus.committed("acks", "ticks", 0),
        0,
        "record 1 is not committed before record 0"
    );
    held.deliver(0);
    held.wait_committed(2).await;
    held.deliver(2);
    held.wait_committed(3).await;
    let report = running.shutdown().await.unwrap();
    let w = report.worker("test.Ticker").unwrap();
    assert_eq!((w.processed, w.emitted), (3, 3));
    let mut outputs: Vec<u64> = bus
        .records("tocks")
        .iter()
        .map(|r| Tock::decode(r.payload().clone()).unwrap().n)
        .collect();
    outputs.sort_unstable();
    assert_eq!(outputs, [0, 1, 2]);
}

#[tokio::test]
async fn a_member_takes_no_records_while_max_unacknowledged_wait_for_delivery() {
    static SPEC: WorkerSpec = spec("unacked", Ordering::PerKey, 1, 1);
    let worker = Ticker::new(&SPEC);
    let calls = Arc::clone(&worker.calls);
    let (_bus, held, running) = run_held(worker, |r| r.max_unacknowledged(2)).await;
    held.wait_sent(2).await;
    // On this one-threaded runtime the member runs while the test yields: it would handle record 2 now if it could.
    for _ in 0..100 {
        tokio::task::yield_now().await;
    }
    assert_eq!(calls.load(AO::SeqCst), 2);
    assert_eq!(held.sent(), 2);
    held.deliver(0);
    held.wait_sent(3).await;
    assert_eq!(calls.load(AO::SeqCst), 3);
    held.deliver(1);
    held.deliver(2);
    held.wait_committed(3).await;
    running.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_record_whose_output_fails_delivery_is_dead_lettered_and_the_worker_goes_on() {
    static SPEC: WorkerSpec = spec("failed", Ordering::PerKey, 1, 3);
    let worker = Ticker::new(&SPEC);
    let calls = Arc::clone(&worker.calls);
    let (bus, held, running) = run_held(worker, |r| r).await;
    held.fail_the_second().await;
    let dead = herald::DeadLetter::from_out_record(&held.record(3)).expect("a dead letter");
    assert_eq!(dead.topic, "ticks.dlq");
    assert_eq!(dead.error_kind, "delivery");
    assert!(dead.error.contains("broker unreachable"), "{}", dead.error);
    assert_eq!((dead.original_offset, dead.attempts), (1, 1));
    held.deliver(3);
    held.deliver(2);
    held.wait_committed(3).await;
    let report = running.shutdown().await.unwrap();
    let w = report.worker("test.Ticker").unwrap();
    assert_eq!((w.processed, w.emitted, w.dead_lettered), (2, 2, 1));
    assert_eq!(calls.load(AO::SeqCst), 3, "record 1 was not handled again");
    assert_eq!(bus.records("ticks.dlq").len(), 1);
}

#[tokio::test]
async fn when_the_dead_letter_fails_too_the_member_stops_and_the_rest_is_redelivered_in_order() {
    static SPEC: WorkerSpec = spec("stopped", Ordering::PerKey, 1, 3);
    let worker = Ticker::new(&SPEC);
    let seen = Arc::clone(&worker.seen);
    let (bus, held, running) = run_held(worker, |r| r).await;
    held.fail_the_second().await;
    held.fail(3);
    held.deliver(2);
    // On this one-threaded runtime the member runs while the test yields: it stops and leaves the group on its own,
    // before any shutdown.
    for _ in 0..100 {
        if bus.members("stopped") == 0 {
            break;
        }
        tokio::task::yield_now().await;
    }
    assert_eq!(bus.members("stopped"), 0, "the member stopped");
    let err = bounded(running.shutdown()).await.unwrap_err();
    assert!(matches!(err, herald::RunError::Transport { .. }), "{err:?}");
    assert!(err.to_string().contains("broker unreachable"), "{err}");
    assert_eq!(
        bus.committed("stopped", "ticks", 0),
        1,
        "1 and 2 stay uncommitted"
    );

    // The group's next member reads them again, in order.
    let second = Ticker::new(&SPEC);
    let seen_second = Arc::clone(&second.seen);
    let running = Runner::new(bus.clone()).worker(second).start().unwrap();
    bounded(bus.wait_caught_up(&["stopped"])).await;
    running.shutdown().await.unwrap();
    let first: Vec<u64> = seen.lock().unwrap().iter().map(|(_, n)| *n).collect();
    let again: Vec<u64> = seen_second
        .lock()
        .unwrap()
        .iter()
        .map(|(_, n)| *n)
        .collect();
    assert_eq!(first, [0, 1, 2]);
    assert_eq!(again, [1, 2]);
}

#[tokio::test]
async fn a_failed_attempt_waits_for_the_outputs_it_handed_over_before_the_next_one() {
    static SPEC: WorkerSpec = spec("partial", Ordering::PerKey, 1, 2);
    let mut worker = Ticker::new(&SPEC);
    worker.mode = Mode::Twice;
    let calls = Arc::clone(&worker.calls);
    let (bus, held, running) = run_held(worker, |r| r.without_backoff()).await;
    *held.state.refuse.lock().unwrap() = Some(1);
    // Tick 0's first attempt handed over its first output; the producer refused the second.
    held.wait_sent(1).await;
    for _ in 0..100 {
        tokio::task::yield_now().await;
    }
    assert_eq!(
        calls.load(AO::SeqCst),
        1,
        "no second attempt while the first one's output is in flight"
    );
    assert_eq!(held.sent(), 1);
    held.deliver(0);
    // The second attempt hands over both outputs again (at least once).
    held.wait_sent(3).await;
    for i in 1..3 {
        let tock = Tock::decode(held.record(i).payload).unwrap();
        assert_eq!(tock.n, 0, "send {i} is tick 0's second attempt");
    }
    for i in 1..3 {
        held.deliver(i);
    }
    held.wait_committed(1).await;
    // Ticks 1 and 2, two outputs each.
    held.wait_sent(7).await;
    for i in 3..7 {
        held.deliver(i);
    }
    held.wait_committed(3).await;
    let report = running.shutdown().await.unwrap();
    let w = report.worker("test.Ticker").unwrap();
    assert_eq!((w.processed, w.retries, w.emitted), (3, 1, 6));
    assert_eq!(
        bus.records("tocks").len(),
        7,
        "the first attempt's output too"
    );
}
