//! The [`Runner`]: one consumer-group member per worker, records dispatched in ordering lanes with bounded
//! concurrency, outputs flushed before the input is committed, and graceful shutdown.

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::watch;
use tokio::task::{JoinError, JoinHandle, JoinSet};
use tracing::Instrument;

use crate::process::{Outcome, Processor};
use crate::record::Record;
use crate::spec::{Ordering, WorkerSpec};
use crate::transport::{Sink, Source, TopicPartition, Transport, TransportError};
use crate::worker::{ErasedWorker, Worker};

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
    workers: Vec<Arc<dyn ErasedWorker>>,
    drain_timeout: Duration,
    backoff: bool,
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
            .field("drain_timeout", &self.drain_timeout)
            .finish_non_exhaustive()
    }
}

impl<T: Transport> Runner<T> {
    /// A runner with no workers yet, a 30 s drain timeout and real backoff delays.
    pub fn new(transport: T) -> Runner<T> {
        Runner {
            transport,
            workers: Vec::new(),
            drain_timeout: Duration::from_secs(30),
            backoff: true,
        }
    }

    /// Adds a worker (a generated `<Service>Router`).
    pub fn worker<W: Worker>(mut self, worker: W) -> Runner<T> {
        self.workers.push(Arc::new(worker));
        self
    }

    /// How long shutdown waits for running handlers before abandoning them (they are redelivered later).
    pub fn drain_timeout(mut self, timeout: Duration) -> Runner<T> {
        self.drain_timeout = timeout;
        self
    }

    /// Retries at once instead of after the backoff delay (for tests and simulations).
    pub fn without_backoff(mut self) -> Runner<T> {
        self.backoff = false;
        self
    }

    /// Joins every worker's consumer group and starts consuming. Must be called inside a tokio runtime.
    pub fn start(self) -> Result<Running, RunError> {
        let (stop, stop_rx) = watch::channel(false);
        let mut tasks = Vec::new();
        for worker in self.workers {
            let spec = worker.spec();
            let topics = spec.topics();
            let source = self
                .transport
                .subscribe(spec.group, &topics)
                .map_err(|source| RunError::Transport {
                    worker: spec.name,
                    source,
                })?;
            let member = Member {
                source,
                processor: Arc::new(Processor::new(self.transport.sink(), spec, self.backoff)),
                worker,
                spec,
                tracks: HashMap::new(),
                lanes: HashMap::new(),
                busy: HashSet::new(),
                running: HashMap::new(),
                tasks: JoinSet::new(),
                dirty: HashSet::new(),
                outstanding: 0,
                report: WorkerReport {
                    worker: spec.name,
                    ..WorkerReport::default()
                },
            };
            let span = tracing::info_span!("herald.worker", worker = spec.name, group = spec.group);
            let task = tokio::spawn(
                member
                    .run(stop_rx.clone(), self.drain_timeout)
                    .instrument(span),
            );
            tasks.push((spec.name, task));
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
                Ok(Ok(r)) => report.workers.push(r),
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

/// The ordering lane of a record: records of one lane run one at a time, in offset order.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Lane {
    Partition(TopicPartition),
    Key(TopicPartition, Bytes),
    Record(TopicPartition, u64),
}

/// Offsets of one partition: received but unfinished, the next to receive, and the last committed.
#[derive(Debug, Default)]
struct Track {
    pending: BTreeSet<u64>,
    high: u64,
    committed: u64,
}

/// One worker's consumer-group member and its in-flight records.
struct Member<S, K> {
    source: S,
    processor: Arc<Processor<K>>,
    worker: Arc<dyn ErasedWorker>,
    spec: &'static WorkerSpec,
    tracks: HashMap<TopicPartition, Track>,
    /// Records waiting for their lane, per busy lane.
    lanes: HashMap<Lane, VecDeque<Arc<Record>>>,
    busy: HashSet<Lane>,
    running: HashMap<tokio::task::Id, (Arc<Record>, Lane)>,
    tasks: JoinSet<Outcome>,
    /// Partitions with records finished since the last commit.
    dirty: HashSet<TopicPartition>,
    /// Records received and not finished.
    outstanding: usize,
    report: WorkerReport,
}

fn tp_of(r: &Record) -> TopicPartition {
    TopicPartition {
        topic: Arc::clone(r.topic_arc()),
        partition: r.partition(),
    }
}

impl<S: Source, K: Sink> Member<S, K> {
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
                Some(done) = self.tasks.join_next_with_id(), if !self.tasks.is_empty() => {
                    self.complete(done).await?;
                    while let Some(done) = self.tasks.try_join_next_with_id() {
                        self.complete(done).await?;
                    }
                    self.commit().await?;
                }
                polled = self.source.poll(max - self.outstanding), if self.outstanding < max => {
                    let records = polled.map_err(|source| RunError::Transport { worker: self.spec.name, source })?;
                    for r in records {
                        self.enqueue(Arc::new(r));
                    }
                }
            }
        }
        tracing::info!(in_flight = self.outstanding, "draining");
        let drained = tokio::time::timeout(drain_timeout, async {
            while let Some(done) = self.tasks.join_next_with_id().await {
                self.complete(done).await?;
                self.commit().await?;
            }
            Ok::<(), RunError>(())
        })
        .await;
        match drained {
            Ok(result) => result?,
            Err(_) => {
                self.report.abandoned = self.outstanding as u64;
                tracing::warn!(
                    abandoned = self.outstanding,
                    "drain timeout: abandoning running handlers"
                );
                self.tasks.abort_all();
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

    fn lane(&self, r: &Record) -> Lane {
        let tp = tp_of(r);
        match (self.spec.ordering, r.key()) {
            (Ordering::PerPartition, _) | (Ordering::PerKey, None) => Lane::Partition(tp),
            (Ordering::PerKey, Some(k)) => Lane::Key(tp, k.clone()),
            (Ordering::Unordered, _) => Lane::Record(tp, r.offset()),
        }
    }

    fn enqueue(&mut self, r: Arc<Record>) {
        let track = self.tracks.entry(tp_of(&r)).or_default();
        track.pending.insert(r.offset());
        track.high = track.high.max(r.offset() + 1);
        self.outstanding += 1;
        let lane = self.lane(&r);
        if self.busy.contains(&lane) {
            self.lanes.entry(lane).or_default().push_back(r);
        } else {
            self.busy.insert(lane.clone());
            self.spawn(r, lane);
        }
    }

    fn spawn(&mut self, r: Arc<Record>, lane: Lane) {
        let (worker, processor, record) = (
            Arc::clone(&self.worker),
            Arc::clone(&self.processor),
            Arc::clone(&r),
        );
        let handle = self
            .tasks
            .spawn(async move { processor.process(&*worker, record).await });
        self.running.insert(handle.id(), (r, lane));
    }

    /// Starts the next record of `lane`, or frees the lane.
    fn next_in_lane(&mut self, lane: Lane) {
        let next = self.lanes.get_mut(&lane).and_then(VecDeque::pop_front);
        match next {
            Some(r) => self.spawn(r, lane),
            None => {
                self.lanes.remove(&lane);
                self.busy.remove(&lane);
            }
        }
    }

    async fn complete(
        &mut self,
        done: Result<(tokio::task::Id, Outcome), JoinError>,
    ) -> Result<(), RunError> {
        let (id, outcome) = match done {
            Ok((id, outcome)) => (id, Some(outcome)),
            Err(e) => (e.id(), if e.is_panic() { None } else { return Ok(()) }),
        };
        let Some((record, lane)) = self.running.remove(&id) else {
            return Ok(());
        };
        match outcome {
            Some(Outcome::Done { emitted, attempts }) => {
                self.report.processed += 1;
                self.report.emitted += emitted as u64;
                self.report.retries += u64::from(attempts - 1);
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
                self.processor
                    .dead_letter(&record, "panic", "the handler panicked", 1)
                    .await
                    .map_err(|source| RunError::Transport {
                        worker: self.spec.name,
                        source,
                    })?;
                self.report.dead_lettered += 1;
            }
        }
        self.outstanding -= 1;
        self.next_in_lane(lane);
        let tp = tp_of(&record);
        let track = self.tracks.entry(tp.clone()).or_default();
        track.pending.remove(&record.offset());
        self.dirty.insert(tp);
        Ok(())
    }

    /// Commits, for each partition with finished records, the lowest offset not finished yet: everything before it
    /// was handled and its outputs flushed.
    async fn commit(&mut self) -> Result<(), RunError> {
        let mut offsets = Vec::new();
        for tp in self.dirty.drain() {
            let track = self.tracks.entry(tp.clone()).or_default();
            let next = track.pending.first().copied().unwrap_or(track.high);
            if next > track.committed {
                track.committed = next;
                offsets.push((tp, next));
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
