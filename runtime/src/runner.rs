//! The [`Runner`]: one consumer-group member per worker, records dispatched in ordering lanes with bounded
//! concurrency, an input committed only once its outputs are durable, and graceful shutdown.
//!
//! A record's handler hands its outputs to the producer in order and returns; its slot and its lane are then free
//! for the next records while the outputs are on their way ([`Runner::max_unacknowledged`] bounds how many wait),
//! and the record is committed when all its outputs are acknowledged. A record with an output the producer gives up
//! on is dead-lettered, not handled again (later records of its lane may have run already).
//!
//! Each member is one tokio task that polls its records' futures itself ([`Slots`], reused from record to record), with no task per
//! record: handing a record to another task and back cost more than handling it. Handlers of one worker therefore
//! interleave on one thread at a time (they still overlap while they await); different workers run in parallel.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use futures_util::FutureExt;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::Instrument;

use crate::process::{Outcome, Processor};
use crate::record::Record;
use crate::slots::Slots;
use crate::spec::{Ordering, WorkerSpec};
use crate::transport::{Delivery, Sink, Source, TopicPartition, Transport, TransportError};
use crate::worker::Worker;

/// Why a runner stopped with an error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    /// The transport failed; the worker stopped without committing its unfinished records.
    #[error("worker {worker}: {source}")]
    Transport {
        worker: &'static str,
        #[source]
        source: TransportError,
    },
    /// A worker's task panicked.
    #[error("worker {worker} panicked")]
    Panicked { worker: &'static str },
}

/// What one worker did during a run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkerReport {
    pub worker: &'static str,
    /// Records handled successfully.
    pub processed: u64,
    /// Events published by the handlers.
    pub emitted: u64,
    /// Attempts beyond the first.
    pub retries: u64,
    /// Records no handler consumes.
    pub skipped: u64,
    /// Records sent to the dead-letter topic (or dropped without one).
    pub dead_lettered: u64,
    /// Records still running when the drain timeout expired; they were not committed and will be redelivered.
    pub abandoned: u64,
    /// Records received and not started yet when their partition was revoked: dropped uncommitted, the
    /// partition's next owner reads them again.
    pub revoked: u64,
}

impl WorkerReport {
    /// Adds another member's counts of the same worker.
    fn add(&mut self, other: &WorkerReport) {
        // Destructured so that a new count cannot be forgotten here.
        let WorkerReport {
            worker: _,
            processed,
            emitted,
            retries,
            skipped,
            dead_lettered,
            abandoned,
            revoked,
        } = other;
        self.processed += processed;
        self.emitted += emitted;
        self.retries += retries;
        self.skipped += skipped;
        self.dead_lettered += dead_lettered;
        self.abandoned += abandoned;
        self.revoked += revoked;
    }
}

/// What every worker did during a run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunReport {
    pub workers: Vec<WorkerReport>,
}

impl RunReport {
    /// The report of the worker named `name` (its fully-qualified service name).
    pub fn worker(&self, name: &str) -> Option<&WorkerReport> {
        self.workers.iter().find(|w| w.worker == name)
    }
}

/// Runs workers on a transport.
///
/// ```no_run
/// # async fn f<W: herald::Worker>(worker: W) -> Result<(), herald::RunError> {
/// let bus = herald::memory::Bus::new();
/// herald::Runner::new(bus).worker(worker).run_until_signal().await?;
/// # Ok(()) }
/// ```
pub struct Runner<T: Transport> {
    transport: T,
    workers: Vec<Box<dyn Launch<T>>>,
    settings: Settings,
}

/// How the runner's members behave, the same for every worker.
#[derive(Debug, Clone, Copy)]
struct Settings {
    drain_timeout: Duration,
    backoff: bool,
    max_unacknowledged: usize,
}

impl<T: Transport> std::fmt::Debug for Runner<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runner")
            .field(
                "workers",
                &self
                    .workers
                    .iter()
                    .map(|w| w.spec().name)
                    .collect::<Vec<_>>(),
            )
            .field("drain_timeout", &self.settings.drain_timeout)
            .field("max_unacknowledged", &self.settings.max_unacknowledged)
            .finish_non_exhaustive()
    }
}

impl<T: Transport> Runner<T> {
    /// A runner with no workers yet, a 30 s drain timeout, real backoff delays and up to 1,024 handled records per
    /// member awaiting the delivery of their outputs.
    pub fn new(transport: T) -> Runner<T> {
        Runner {
            transport,
            workers: Vec::new(),
            settings: Settings {
                drain_timeout: Duration::from_secs(30),
                backoff: true,
                max_unacknowledged: 1_024,
            },
        }
    }

    /// Adds a worker (a generated `<Service>Router`), run as one member of its consumer group.
    pub fn worker<W: Worker>(self, worker: W) -> Runner<T> {
        self.worker_members(worker, 1)
    }

    /// Adds a worker run as `members` members of its consumer group (at least 1), sharing `worker`: the group's
    /// partitions are spread over them, and each member is a task of its own, so a worker uses several threads of
    /// a multi-threaded runtime. Ordering holds as with one member (a partition belongs to one member at a time);
    /// `max_in_flight` applies per member. The run report sums the members' counts.
    pub fn worker_members<W: Worker>(mut self, worker: W, members: usize) -> Runner<T> {
        self.workers.push(Box::new(Launcher {
            worker: Arc::new(worker),
            members: members.max(1),
        }));
        self
    }

    /// How long shutdown waits for running handlers before abandoning them (they are redelivered later).
    pub fn drain_timeout(mut self, timeout: Duration) -> Runner<T> {
        self.settings.drain_timeout = timeout;
        self
    }

    /// Retries at once instead of after the backoff delay (for tests and simulations).
    pub fn without_backoff(mut self) -> Runner<T> {
        self.settings.backoff = false;
        self
    }

    /// How many records per member may wait for the delivery of their outputs once their handler returned
    /// (at least 1; default 1,024). A handler's outputs are handed to the producer in order and the handler's
    /// slot (of the worker's `max_in_flight`) and ordering lane are free at once, so the next records run while
    /// the outputs are on their way; the record itself is committed only when all its outputs are durable. When
    /// this many wait, the member takes no new records until some are acknowledged (the handlers running then
    /// still finish, so up to `max_in_flight - 1` more may wait).
    pub fn max_unacknowledged(mut self, records: usize) -> Runner<T> {
        self.settings.max_unacknowledged = records.max(1);
        self
    }

    /// Joins every worker's consumer group and starts consuming. Must be called inside a tokio runtime.
    pub fn start(self) -> Result<Running, RunError> {
        let (stop, stop_rx) = watch::channel(false);
        let mut tasks = Vec::new();
        for worker in self.workers {
            let name = worker.spec().name;
            let members = worker.launch(&self.transport, stop_rx.clone(), self.settings)?;
            tasks.extend(members.into_iter().map(|task| (name, task)));
        }
        Ok(Running { stop, tasks })
    }

    /// Runs until `shutdown` completes, then shuts down gracefully.
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> Result<RunReport, RunError> {
        let running = self.start()?;
        shutdown.await;
        running.shutdown().await
    }

    /// Runs until SIGINT (Ctrl-C) or SIGTERM, then shuts down gracefully.
    pub async fn run_until_signal(self) -> Result<RunReport, RunError> {
        self.run(signal()).await
    }
}

async fn signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate()).ok();
        let terminated = async {
            match term.as_mut() {
                Some(t) => {
                    t.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            () = terminated => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// A worker added to a [`Runner`], its type erased until it starts.
trait Launch<T: Transport>: Send + Sync {
    fn spec(&self) -> &'static WorkerSpec;

    /// Joins the worker's consumer group and spawns its member tasks.
    fn launch(
        self: Box<Self>,
        transport: &T,
        stop: watch::Receiver<bool>,
        settings: Settings,
    ) -> Result<Vec<MemberTask>, RunError>;
}

type MemberTask = JoinHandle<Result<WorkerReport, RunError>>;

struct Launcher<W> {
    worker: Arc<W>,
    members: usize,
}

impl<T: Transport, W: Worker> Launch<T> for Launcher<W> {
    fn spec(&self) -> &'static WorkerSpec {
        self.worker.spec()
    }

    fn launch(
        self: Box<Self>,
        transport: &T,
        stop: watch::Receiver<bool>,
        settings: Settings,
    ) -> Result<Vec<MemberTask>, RunError> {
        let spec = self.worker.spec();
        let topics = spec.topics();
        // Every member joins before any starts reading, so the group does not rebalance under the first one.
        let mut sources = Vec::with_capacity(self.members);
        for _ in 0..self.members {
            sources.push(transport.subscribe(spec.group, &topics).map_err(|source| {
                RunError::Transport {
                    worker: spec.name,
                    source,
                }
            })?);
        }
        let mut tasks = Vec::with_capacity(self.members);
        for (index, source) in sources.into_iter().enumerate() {
            let sink = transport.sink_for(&source);
            let member = Member::new(
                source,
                Processor::new(sink, spec, settings.backoff),
                Arc::clone(&self.worker),
                spec,
                handle::<T::Sink, W>,
                settings.max_unacknowledged,
            );
            let span = tracing::info_span!(
                "herald.worker",
                worker = spec.name,
                group = spec.group,
                member = index
            );
            tasks.push(tokio::spawn(
                member
                    .run(stop.clone(), settings.drain_timeout)
                    .instrument(span),
            ));
        }
        Ok(tasks)
    }
}

/// Workers running in the background.
#[derive(Debug)]
pub struct Running {
    stop: watch::Sender<bool>,
    tasks: Vec<(&'static str, JoinHandle<Result<WorkerReport, RunError>>)>,
}

impl Running {
    /// Stops intake, lets running handlers finish (up to the drain timeout), flushes, commits and leaves the
    /// consumer groups.
    pub async fn shutdown(self) -> Result<RunReport, RunError> {
        let _ = self.stop.send(true);
        let mut report = RunReport::default();
        let mut first_error = None;
        for (worker, task) in self.tasks {
            match task.await {
                Ok(Ok(r)) => match report.workers.iter_mut().find(|w| w.worker == r.worker) {
                    Some(sum) => sum.add(&r),
                    None => report.workers.push(r),
                },
                Ok(Err(e)) => {
                    first_error.get_or_insert(e);
                }
                Err(_) => {
                    first_error.get_or_insert(RunError::Panicked { worker });
                }
            }
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(report),
        }
    }

    /// Stops everything at once, as a crash would: nothing more is committed, running handlers are cancelled, and
    /// the uncommitted records are redelivered to the next member of each group.
    pub async fn abort(self) {
        for (_, task) in &self.tasks {
            task.abort();
        }
        for (_, task) in self.tasks {
            let _ = task.await;
        }
    }
}

/// Fx hashing (as in rustc) for the member's maps, keyed by record keys and partitions: it is several times faster
/// than SipHash on short keys, and flooding is bounded since the maps hold at most `max_in_flight` lanes.
#[derive(Default, Clone, Copy)]
struct FxHasher(u64);

impl FxHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl std::hash::Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut word = [0; 8];
            word.copy_from_slice(c);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word));
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }

    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

type FxMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<FxHasher>>;

/// The lane hash of a record key: every byte and the length count.
fn key_lane(key: &[u8]) -> u64 {
    use std::hash::Hasher;
    let mut h = FxHasher::default();
    h.write(key);
    h.write_usize(key.len());
    h.finish()
}

/// The ordering lane of a record: records of one lane run one at a time, in offset order. Partitions are indexes
/// into the member's tracks; keys are their 64-bit hash ([`key_lane`]), so a lane costs no copy of the key. Two
/// keys with one hash share a lane: both keep their order, they only wait for each other.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Lane {
    Partition(usize),
    Key(usize, u64),
    /// Unordered: every record is its own lane, so it never waits.
    Free,
}

/// Offsets of one partition: received and not finished yet, in offset order, each with whether it finished, the
/// next to receive, and the last committed.
#[derive(Debug)]
struct Track {
    tp: TopicPartition,
    pending: VecDeque<(u64, bool)>,
    high: u64,
    committed: u64,
    /// Records finished since the last commit.
    dirty: bool,
    /// Bumped when the partition is revoked: records started before finish without touching the track.
    epoch: u64,
}

impl Track {
    fn new(tp: TopicPartition) -> Track {
        Track {
            tp,
            pending: VecDeque::new(),
            high: 0,
            committed: 0,
            dirty: false,
            epoch: 0,
        }
    }

    /// Forgets the partition's offsets: it was revoked, and what comes next of it is a new ownership.
    fn revoked(&mut self) {
        self.pending.clear();
        self.high = 0;
        self.committed = 0;
        self.dirty = false;
        self.epoch += 1;
    }

    fn received(&mut self, offset: u64) {
        match self.pending.back() {
            Some(&(last, _)) if last >= offset => {
                // A redelivery after a rebalance: keep the offsets sorted and unique.
                if let Err(i) = self.pending.binary_search_by_key(&offset, |e| e.0) {
                    self.pending.insert(i, (offset, false));
                }
            }
            _ => self.pending.push_back((offset, false)),
        }
        self.high = self.high.max(offset + 1);
    }

    fn finished(&mut self, offset: u64) {
        if let Ok(i) = self.pending.binary_search_by_key(&offset, |e| e.0) {
            self.pending[i].1 = true;
        }
        while self.pending.front().is_some_and(|e| e.1) {
            self.pending.pop_front();
        }
        self.dirty = true;
    }

    /// The lowest offset not finished yet: everything before it was handled and its outputs are durable.
    fn next_to_commit(&self) -> u64 {
        self.pending.front().map_or(self.high, |e| e.0)
    }
}

/// A record whose handling finished: its lane, the epoch of its track when it started, and its outcome, or `None`
/// when the handler panicked.
struct Finished<R> {
    record: Arc<Record>,
    lane: Lane,
    epoch: u64,
    outcome: Option<Outcome<R>>,
}

/// Handles one record; the member's task polls the future (it gets no task of its own). A panic in the handler
/// ends only this record.
async fn handle<K: Sink, W: Worker>(
    processor: Arc<Processor<K>>,
    worker: Arc<W>,
    record: Arc<Record>,
    lane: Lane,
    epoch: u64,
) -> Finished<K::Receipt> {
    let outcome = AssertUnwindSafe(processor.process(&*worker, Arc::clone(&record)))
        .catch_unwind()
        .await
        .ok();
    Finished {
        record,
        lane,
        epoch,
        outcome,
    }
}

/// How the member makes the future that handles a record: [`handle`], whose future type has no name.
type Handler<K, W, F> = fn(Arc<Processor<K>>, Arc<W>, Arc<Record>, Lane, u64) -> F;

/// A handled record waiting for the delivery of its outputs (their receipts).
struct Acks<R> {
    /// The record and the epoch of its track when it started; taken when the future completes.
    record: Option<(Arc<Record>, u64)>,
    emitted: usize,
    /// The attempts its handling took.
    attempts: u32,
    receipts: Vec<R>,
}

/// A handled record whose outputs are all durable (`Ok`), or one of which failed.
struct Acked {
    record: Arc<Record>,
    epoch: u64,
    emitted: usize,
    attempts: u32,
    result: Result<(), TransportError>,
}

impl<R: Future<Output = Result<Delivery, TransportError>> + Unpin> Future for Acks<R> {
    type Output = Acked;

    fn poll(self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> Poll<Acked> {
        let this = self.get_mut();
        let mut result = Ok(());
        while let Some(last) = this.receipts.last_mut() {
            match Pin::new(last).poll(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Ok(_)) => {
                    this.receipts.pop();
                }
                Poll::Ready(Err(e)) => {
                    result = Err(e);
                    this.receipts.clear();
                }
            }
        }
        let (record, epoch) = this
            .record
            .take()
            .expect("an acknowledged record is not polled again");
        Poll::Ready(Acked {
            record,
            epoch,
            emitted: this.emitted,
            attempts: this.attempts,
            result,
        })
    }
}

/// How many finished records one wake-up of a member handles at most before committing.
const FINISHED_BATCH: usize = 256;

/// Waits for at least one future to finish and returns every one finished by now (up to [`FINISHED_BATCH`]).
async fn finished<F: Future>(running: &mut Slots<F>) -> Vec<F::Output> {
    std::future::poll_fn(|cx| running.poll_finished(cx, FINISHED_BATCH)).await
}

/// One worker's consumer-group member and its in-flight records. Records run concurrently inside the member's
/// task: handing a record over to another task and back costs more than handling it.
struct Member<S, K: Sink, W, F> {
    source: S,
    processor: Arc<Processor<K>>,
    worker: Arc<W>,
    /// Makes the future that handles a record ([`handle`]).
    handle: Handler<K, W, F>,
    spec: &'static WorkerSpec,
    tracks: Vec<Track>,
    /// The index in `tracks` of each partition.
    track_index: FxMap<TopicPartition, usize>,
    /// The track found last.
    last_track: usize,
    /// Records waiting for their lane, per busy lane (a lane is busy while it is a key here).
    lanes: FxMap<Lane, VecDeque<Arc<Record>>>,
    /// Records being handled.
    running: Slots<F>,
    /// Handled records waiting for the delivery of their outputs.
    acking: Slots<Acks<K::Receipt>>,
    max_unacknowledged: usize,
    /// Records received and not handled yet (waiting for their lane, or running).
    unhandled: usize,
    report: WorkerReport,
}

impl<S: Source, K: Sink, W: Worker, F: Future<Output = Finished<K::Receipt>> + Send>
    Member<S, K, W, F>
{
    fn new(
        source: S,
        processor: Processor<K>,
        worker: Arc<W>,
        spec: &'static WorkerSpec,
        handle: Handler<K, W, F>,
        max_unacknowledged: usize,
    ) -> Self {
        Member {
            source,
            processor: Arc::new(processor),
            worker,
            handle,
            spec,
            tracks: Vec::new(),
            track_index: FxMap::default(),
            last_track: 0,
            lanes: FxMap::default(),
            running: Slots::new(),
            acking: Slots::new(),
            max_unacknowledged,
            unhandled: 0,
            report: WorkerReport {
                worker: spec.name,
                ..WorkerReport::default()
            },
        }
    }

    async fn run(
        mut self,
        mut stop: watch::Receiver<bool>,
        drain_timeout: Duration,
    ) -> Result<WorkerReport, RunError> {
        let max = self.spec.max_in_flight.max(1) as usize;
        loop {
            if *stop.borrow_and_update() {
                break;
            }
            tokio::select! {
                biased;
                changed = stop.changed() => {
                    if changed.is_err() {
                        break;
                    }
                }
                done = finished(&mut self.running), if !self.running.is_empty() => {
                    for f in done {
                        self.complete(f).await?;
                    }
                    self.revoke();
                    self.commit().await?;
                }
                acked = finished(&mut self.acking), if !self.acking.is_empty() => {
                    for a in acked {
                        self.acked(a).await?;
                    }
                    self.revoke();
                    self.commit().await?;
                }
                polled = self.source.poll(max - self.unhandled),
                    if self.unhandled < max && self.acking.len() < self.max_unacknowledged => {
                    let records = polled.map_err(|source| RunError::Transport { worker: self.spec.name, source })?;
                    // Losses taken after the poll cover its records too.
                    let revoked = self.revoke();
                    for r in records {
                        if revoked.iter().any(|tp| tp.partition == r.partition() && *tp.topic == *r.topic()) {
                            self.report.revoked += 1;
                            continue;
                        }
                        self.enqueue(r);
                    }
                }
            }
        }
        tracing::info!(
            in_flight = self.unhandled,
            unacknowledged = self.acking.len(),
            "draining"
        );
        let drained = tokio::time::timeout(drain_timeout, async {
            while !self.running.is_empty() || !self.acking.is_empty() {
                tokio::select! {
                    done = finished(&mut self.running), if !self.running.is_empty() => {
                        for f in done {
                            self.complete(f).await?;
                        }
                    }
                    acked = finished(&mut self.acking), if !self.acking.is_empty() => {
                        for a in acked {
                            self.acked(a).await?;
                        }
                    }
                }
                self.commit().await?;
            }
            Ok::<(), RunError>(())
        })
        .await;
        match drained {
            Ok(result) => result?,
            Err(_) => {
                let abandoned = self.unhandled + self.acking.len();
                self.report.abandoned = abandoned as u64;
                tracing::warn!(
                    abandoned,
                    "drain timeout: abandoning running handlers and unacknowledged outputs"
                );
                // Cancels the running handlers; their records, and those whose outputs are not acknowledged, stay
                // uncommitted.
                self.running = Slots::new();
                self.acking = Slots::new();
            }
        }
        self.processor
            .sink
            .flush()
            .await
            .map_err(|source| RunError::Transport {
                worker: self.spec.name,
                source,
            })?;
        tracing::info!(report = ?self.report, "stopped");
        Ok(self.report)
    }

    /// The index of the track of `r`'s partition, created on first use.
    fn track_of(&mut self, r: &Record) -> usize {
        // Records of one poll mostly come partition by partition, and transports share the topic name.
        if let Some(last) = self.tracks.get(self.last_track)
            && last.tp.partition == r.partition()
            && Arc::ptr_eq(&last.tp.topic, r.topic_arc())
        {
            return self.last_track;
        }
        let tp = TopicPartition {
            topic: Arc::clone(r.topic_arc()),
            partition: r.partition(),
        };
        if let Some(&i) = self.track_index.get(&tp) {
            self.last_track = i;
            return i;
        }
        self.tracks.push(Track::new(tp.clone()));
        self.last_track = self.tracks.len() - 1;
        self.track_index.insert(tp, self.last_track);
        self.last_track
    }

    fn lane(&self, track: usize, r: &Record) -> Lane {
        match (self.spec.ordering, r.key()) {
            (Ordering::PerPartition, _) | (Ordering::PerKey, None) => Lane::Partition(track),
            (Ordering::PerKey, Some(k)) => Lane::Key(track, key_lane(k)),
            (Ordering::Unordered, _) => Lane::Free,
        }
    }

    fn enqueue(&mut self, r: Arc<Record>) {
        let track = self.track_of(&r);
        self.tracks[track].received(r.offset());
        self.unhandled += 1;
        let lane = self.lane(track, &r);
        if matches!(lane, Lane::Free) {
            self.start(r, lane, track);
            return;
        }
        match self.lanes.entry(lane) {
            Entry::Occupied(mut waiting) => waiting.get_mut().push_back(r),
            Entry::Vacant(free) => {
                let lane = free.key().clone();
                free.insert(VecDeque::new());
                self.start(r, lane, track);
            }
        }
    }

    fn start(&mut self, r: Arc<Record>, lane: Lane, track: usize) {
        let epoch = self.tracks[track].epoch;
        let future = (self.handle)(
            Arc::clone(&self.processor),
            Arc::clone(&self.worker),
            r,
            lane,
            epoch,
        );
        self.running.push(future);
    }

    /// Takes the partitions the source lost: drops their records not started yet (uncommitted: the next owner
    /// reads them again) and forgets their offsets, so records of a later ownership are committed afresh.
    /// Returns the partitions.
    fn revoke(&mut self) -> Vec<TopicPartition> {
        let revoked = self.source.take_revoked();
        for tp in &revoked {
            let Some(&i) = self.track_index.get(tp) else {
                continue;
            };
            self.tracks[i].revoked();
            // A lane with a record running stays busy (its key stays); only the waiting records go.
            for (lane, waiting) in &mut self.lanes {
                if let Lane::Partition(t) | Lane::Key(t, _) = lane
                    && *t == i
                {
                    self.unhandled -= waiting.len();
                    self.report.revoked += waiting.len() as u64;
                    waiting.clear();
                }
            }
        }
        if !revoked.is_empty() {
            tracing::info!(partitions = revoked.len(), "partitions revoked");
        }
        revoked
    }

    /// Starts the next record of `lane`, or frees the lane.
    fn next_in_lane(&mut self, lane: Lane) {
        let (Lane::Partition(track) | Lane::Key(track, _)) = lane else {
            return;
        };
        // Most lanes have nothing waiting: one lookup frees them.
        let Some(mut waiting) = self.lanes.remove(&lane) else {
            return;
        };
        if let Some(r) = waiting.pop_front() {
            self.lanes.insert(lane.clone(), waiting);
            self.start(r, lane, track);
        }
    }

    /// Takes a record whose handling finished: frees its lane, and finishes it, or, when its outputs are still on
    /// their way, waits for their delivery ([`Member::acked`]).
    async fn complete(&mut self, done: Finished<K::Receipt>) -> Result<(), RunError> {
        let Finished {
            record,
            lane,
            epoch,
            outcome,
        } = done;
        // Outputs still on their way: how many the handler emitted, and the receipts of those not durable yet.
        let mut pending = None;
        match outcome {
            Some(Outcome::Handled {
                attempts,
                emitted,
                receipts,
            }) => {
                self.report.retries += u64::from(attempts - 1);
                if receipts.is_empty() {
                    self.report.processed += 1;
                    self.report.emitted += emitted as u64;
                } else {
                    pending = Some((emitted, attempts, receipts));
                }
            }
            Some(Outcome::Skipped) => self.report.skipped += 1,
            Some(Outcome::DeadLettered { attempts }) => {
                self.report.dead_lettered += 1;
                self.report.retries += u64::from(attempts - 1);
            }
            Some(Outcome::Fatal(source)) => {
                return Err(RunError::Transport {
                    worker: self.spec.name,
                    source,
                });
            }
            None => {
                tracing::error!(offset = record.offset(), "handler panicked; dead-lettering");
                self.dead_letter(&record, "panic", "the handler panicked", 1)
                    .await?;
            }
        }
        self.unhandled -= 1;
        // The outputs are with the producer, in order: the lane's next record may run (and emit after them).
        self.next_in_lane(lane);
        match pending {
            None => self.finish(&record, epoch),
            Some((emitted, attempts, receipts)) => self.acking.push(Acks {
                record: Some((record, epoch)),
                emitted,
                attempts,
                receipts,
            }),
        }
        Ok(())
    }

    /// Takes a handled record whose outputs were delivered, and finishes it. When the producer gave up on one of
    /// them (after its own retries), the record is dead-lettered (`delivery`) rather than handled again: later
    /// records of its lane may have run already, and a second try would come after them. Only when the dead
    /// letter fails too does the member stop, leaving the record and everything after it uncommitted.
    async fn acked(&mut self, acked: Acked) -> Result<(), RunError> {
        match &acked.result {
            Ok(()) => {
                self.report.processed += 1;
                self.report.emitted += acked.emitted as u64;
            }
            Err(e) => {
                tracing::error!(
                    offset = acked.record.offset(),
                    "an output was not delivered: {e}; dead-lettering"
                );
                let error = e.to_string();
                self.dead_letter(&acked.record, "delivery", &error, acked.attempts)
                    .await?;
            }
        }
        self.finish(&acked.record, acked.epoch);
        Ok(())
    }

    /// Dead-letters `record` from the member's task (its handler's future has ended) and counts it; a failure stops
    /// the member.
    async fn dead_letter(
        &mut self,
        record: &Record,
        kind: &str,
        error: &str,
        attempts: u32,
    ) -> Result<(), RunError> {
        self.processor
            .dead_letter(record, kind, error, attempts)
            .await
            .map_err(|source| RunError::Transport {
                worker: self.spec.name,
                source,
            })?;
        self.report.dead_lettered += 1;
        Ok(())
    }

    /// Marks `record` finished in its partition's track, so that it may be committed.
    fn finish(&mut self, record: &Record, epoch: u64) {
        let track = self.track_of(record);
        // A record started before its partition was revoked is not committed: the partition's offsets are gone.
        if self.tracks[track].epoch == epoch {
            self.tracks[track].finished(record.offset());
        }
    }

    /// Commits, for each partition with finished records, the lowest offset not finished yet: everything before it
    /// was handled and its outputs are durable.
    async fn commit(&mut self) -> Result<(), RunError> {
        let mut offsets = Vec::new();
        for track in &mut self.tracks {
            if !std::mem::take(&mut track.dirty) {
                continue;
            }
            let next = track.next_to_commit();
            if next > track.committed {
                track.committed = next;
                offsets.push((track.tp.clone(), next));
            }
        }
        if offsets.is_empty() {
            return Ok(());
        }
        self.source
            .commit(&offsets)
            .await
            .map_err(|source| RunError::Transport {
                worker: self.spec.name,
                source,
            })
    }
}

#[cfg(test)]
mod tests {
    use std::hash::{BuildHasher, BuildHasherDefault};

    use bytes::Bytes;

    use super::*;

    fn track() -> Track {
        Track::new(TopicPartition {
            topic: Arc::from("t"),
            partition: 0,
        })
    }

    #[test]
    fn commits_stop_at_the_lowest_unfinished_offset() {
        let mut t = track();
        for o in 10..15 {
            t.received(o);
        }
        assert_eq!(t.next_to_commit(), 10);
        t.finished(12);
        t.finished(11);
        assert_eq!(t.next_to_commit(), 10, "10 is still running");
        assert!(t.dirty);
        t.finished(10);
        assert_eq!(t.next_to_commit(), 13);
        t.finished(14);
        t.finished(13);
        assert_eq!(t.next_to_commit(), 15, "everything received is finished");
        assert!(t.pending.is_empty());
    }

    #[test]
    fn redelivered_offsets_stay_sorted_and_unique() {
        let mut t = track();
        for o in [5, 6, 9] {
            t.received(o);
        }
        // After a rebalance the partition comes back from its committed offset.
        for o in [3, 5, 6, 7] {
            t.received(o);
        }
        let offsets: Vec<u64> = t.pending.iter().map(|e| e.0).collect();
        assert_eq!(offsets, [3, 5, 6, 7, 9]);
        assert_eq!(t.high, 10);
        t.finished(3);
        t.finished(5);
        assert_eq!(t.next_to_commit(), 6);
        // A second completion of an offset already gone changes nothing.
        t.finished(3);
        assert_eq!(t.next_to_commit(), 6);
    }

    #[test]
    fn a_revoked_track_forgets_its_offsets() {
        let mut t = track();
        for o in 0..4 {
            t.received(o);
            t.finished(o);
        }
        t.committed = 4;
        t.received(4);
        t.revoked();
        assert_eq!(t.epoch, 1);
        // The partition comes back from an earlier committed offset: its records are committed again.
        t.received(2);
        t.finished(2);
        assert!(t.dirty);
        assert_eq!(t.next_to_commit(), 3);
        assert!(t.next_to_commit() > t.committed);
    }

    static REBALANCE_HANDLERS: &[crate::HandlerSpec] = &[crate::HandlerSpec {
        name: "OnRecord",
        topic: "in",
        event_type: "",
        emits: &[],
    }];

    static REBALANCE_SPEC: WorkerSpec = WorkerSpec {
        name: "test.Rebalanced",
        group: "g",
        ordering: Ordering::PerPartition,
        max_in_flight: 64,
        retry: crate::RetryPolicy {
            max_attempts: 1,
            initial_backoff_ms: 1,
            max_backoff_ms: 1,
        },
        dead_letter_topic: None,
        handlers: REBALANCE_HANDLERS,
    };

    /// Records every (partition, offset) it handles; offset 0 of each partition waits for a permit of `gate`.
    struct Gated {
        seen: Arc<std::sync::Mutex<Vec<(u32, u64)>>>,
        gate: Arc<tokio::sync::Semaphore>,
        blocked: Arc<tokio::sync::Semaphore>,
    }

    impl Worker for Gated {
        fn spec(&self) -> &'static WorkerSpec {
            &REBALANCE_SPEC
        }

        async fn dispatch(
            &self,
            _ctx: &crate::Context,
            record: &Record,
        ) -> Result<crate::OutBuffer, crate::DispatchError> {
            if record.offset() == 0 {
                self.blocked.add_permits(1);
                self.gate.acquire().await.expect("gate open").forget();
            }
            self.seen
                .lock()
                .expect("seen")
                .push((record.partition(), record.offset()));
            Ok(crate::OutBuffer::new())
        }
    }

    #[tokio::test]
    async fn a_partition_revoked_mid_run_drops_its_waiting_records_and_commits_them_again_when_back()
     {
        use crate::memory::Bus;
        let bus = Bus::new();
        bus.create_topic("in", 2);
        let mut per_partition = [0u32; 2];
        let mut key = 0u32;
        while per_partition.iter().any(|n| *n < 10) {
            key += 1;
            let p = crate::memory::partition_for_key(&Bytes::from(format!("k{key}")), 2) as usize;
            if per_partition[p] == 10 {
                continue;
            }
            bus.append(crate::OutRecord {
                topic: "in".into(),
                key: Some(Bytes::from(format!("k{key}"))),
                headers: crate::Headers::new(),
                payload: Bytes::from_static(b"x"),
                schema: None,
            });
            per_partition[p] += 1;
        }
        let worker = Gated {
            seen: Arc::default(),
            gate: Arc::new(tokio::sync::Semaphore::new(0)),
            blocked: Arc::new(tokio::sync::Semaphore::new(0)),
        };
        let (seen, gate, blocked) = (
            Arc::clone(&worker.seen),
            Arc::clone(&worker.gate),
            Arc::clone(&worker.blocked),
        );
        let bounded = Duration::from_secs(60);
        let running = Runner::new(bus.clone())
            .worker(worker)
            .without_backoff()
            .start()
            .unwrap();
        // Offset 0 of both partitions runs (and waits); offsets 1..9 of each wait in their partition's lane.
        tokio::time::timeout(bounded, blocked.acquire_many(2))
            .await
            .expect("both partitions started")
            .unwrap()
            .forget();

        // A second member takes partition 1; the runner's member (on this single-threaded runtime) sees the loss
        // on its next poll, while the test yields.
        let mut other = bus.subscribe("g", &["in"]).unwrap();
        for _ in 0..100 {
            tokio::task::yield_now().await;
        }
        let taken = tokio::time::timeout(bounded, other.poll(100))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(taken.len(), 10);
        assert!(taken.iter().all(|r| r.partition() == 1));
        // It handles half of them, commits, and leaves: partition 1 comes back from offset 5.
        let tp1 = TopicPartition {
            topic: Arc::from("in"),
            partition: 1,
        };
        other.commit(&[(tp1, 5)]).await.unwrap();
        drop(other);

        gate.add_permits(2);
        tokio::time::timeout(bounded, bus.wait_caught_up(&["g"]))
            .await
            .expect("the group catches up");
        let report = running.shutdown().await.unwrap();
        assert_eq!(bus.committed("g", "in", 0), 10);
        assert_eq!(bus.committed("g", "in", 1), 10);
        let seen = seen.lock().unwrap().clone();
        let offsets = |p: u32| {
            let mut o: Vec<u64> = seen.iter().filter(|s| s.0 == p).map(|s| s.1).collect();
            o.sort_unstable();
            o
        };
        assert_eq!(offsets(0), (0..10).collect::<Vec<_>>());
        // 0 was running when partition 1 went (it finished, uncommitted); 1..4 waited and were dropped, never run;
        // 5..9 came again when the partition came back and were committed.
        assert_eq!(offsets(1), [0, 5, 6, 7, 8, 9]);
        let w = report.worker("test.Rebalanced").unwrap();
        assert_eq!(w.revoked, 9);
        assert_eq!(w.processed, 16);
    }

    #[test]
    fn fx_hashes_whole_keys() {
        let build = BuildHasherDefault::<FxHasher>::default();
        assert_ne!(
            key_lane(b"order-00000001"),
            key_lane(b"order-00000002"),
            "the tail of the key counts"
        );
        assert_ne!(key_lane(b"a"), key_lane(b"a\0"), "the length counts");
        let a = Lane::Key(0, key_lane(b"order-00000001"));
        let b = Lane::Key(0, key_lane(b"order-00000002"));
        let c = Lane::Key(1, key_lane(b"order-00000001"));
        assert_eq!(build.hash_one(&a), build.hash_one(a.clone()));
        assert_ne!(
            build.hash_one(&a),
            build.hash_one(&b),
            "the tail of the key counts"
        );
        assert_ne!(
            build.hash_one(&a),
            build.hash_one(&c),
            "the partition counts"
        );
        assert_ne!(
            build.hash_one(Lane::Partition(0)),
            build.hash_one(Lane::Partition(1))
        );
    }
}
