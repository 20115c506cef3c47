//! [`KafkaSource`]: one consumer-group member. A dedicated thread polls librdkafka, serves rebalances and fills a
//! bounded buffer (when it is full, records stay in librdkafka's per-partition queues, which stop fetching when
//! full: Kafka's own backpressure); the worker takes records from the buffer and commits exactly the offsets it
//! finished.
//!
//! Rebalance policy: on revocation the source stops handing out records of the revoked partitions at once, then
//! waits (up to [`KafkaConfig::revoke_drain_timeout`]) until every record of them already handed out is committed,
//! commits synchronously and lets the partitions go. Records still running after the timeout are abandoned: their
//! later commits are dropped, because an offset is never committed for a partition this member no longer owns, and
//! the new owner redelivers them (at least once). Lost partitions are dropped without a commit. Either way the
//! partitions are then reported through [`Source::take_revoked`], and no record is handed out until they are taken.
//!
//! Exactly-once transactions: a transaction is committed (or aborted) only when the member is drained: every record
//! handed out since the last transaction was committed by the worker (which commits a record only once its handler
//! finished and its outputs were acknowledged) and the transactional producer has nothing in flight. From that check
//! until the transaction is committed, or aborted and rewound, the source hands out nothing. So when a transaction
//! aborts no handler of this member is running, and no output of a record of the aborted transaction can land in
//! the next one (the source checks this again after the abort and stops the member if it does not hold).
//!
//! An aborted transaction rewinds the member in place: every record handed out since the last committed
//! transaction is void (its offset is not committed, and its outputs, in the aborted transaction, are invisible to
//! `read_committed` readers). The source begins a new transaction, reports the partitions of those records through
//! [`Source::take_revoked`] (lost and at once regained: the worker forgets what it knows of them), and the polling
//! thread seeks each of them back to the first record handed out in the aborted transaction, which is the offset the
//! last committed transaction holds (records are handed out in offset order, and a transaction commits only when
//! everything handed out before it is committed), drops their buffered records, and hands them out again. Partitions
//! with no record in the aborted transaction keep their position. Only when the producer is fenced or in a fatal
//! state (or the abort itself fails, or the seek does) does the member stop with an error; a new member then resumes
//! from the group's committed offsets.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use herald::{Bytes, Headers, Record, Source, TopicPartition, TransportError};
use rdkafka::consumer::base_consumer::PartitionQueue;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance};
use rdkafka::error::KafkaResult;
use rdkafka::message::{BorrowedMessage, Headers as _, Message};
use rdkafka::producer::Producer as _;
use rdkafka::{ClientContext, Offset, TopicPartitionList};
use tokio::sync::Notify;

use crate::KafkaSink;
use crate::sink::{Flight, Producer};
use crate::{KafkaConfig, KafkaError};

/// What a member owns of one partition.
#[derive(Debug, Default)]
struct Part {
    /// The offset after the last record handed to the worker.
    handed: Option<u64>,
    /// The last offset the worker committed.
    committed: Option<u64>,
    /// Exactly-once: the offset of the first record handed out in the open transaction, where an abort rewinds to.
    void_from: Option<u64>,
    /// Exactly-once: the offset the last committed transaction of this member holds.
    txn_committed: Option<u64>,
}

impl Part {
    fn drained(&self) -> bool {
        match (self.handed, self.committed) {
            (None, _) => true,
            (Some(h), Some(c)) => c >= h,
            (Some(_), None) => false,
        }
    }
}

#[derive(Debug, Default)]
struct State {
    parts: HashMap<TopicPartition, Part>,
    buffer: VecDeque<Record>,
    /// A fatal error, handed to the worker on its next poll or commit.
    failed: Option<String>,
    /// Bumped by every assignment, which deactivates the partition queues split before it.
    assignments: u64,
    /// Exactly-once: offsets committed by the worker in the open transaction, and when it got its first record.
    txn_offsets: HashMap<TopicPartition, u64>,
    txn_since: Option<Instant>,
    /// At least once: partitions whose committed offset was not sent to the broker yet.
    unsent: Vec<TopicPartition>,
    /// Partitions let go and not taken by the worker yet ([`Source::take_revoked`]).
    revoked: Vec<TopicPartition>,
    /// Exactly-once: a transaction is being committed or aborted; nothing is handed out meanwhile.
    committing: bool,
    /// Exactly-once: partitions of an aborted transaction that the polling thread must seek back to these offsets
    /// (and whose buffered records it must drop); nothing is handed out before.
    rewind: Vec<(TopicPartition, u64)>,
}

impl State {
    /// Notes partitions let go, for [`Source::take_revoked`].
    fn lost(&mut self, shared: &Shared, lost: impl IntoIterator<Item = TopicPartition>) {
        for tp in lost {
            if !self.revoked.contains(&tp) {
                self.revoked.push(tp);
            }
        }
        shared
            .has_revoked
            .store(!self.revoked.is_empty(), Ordering::Release);
    }
}

impl State {
    fn drained(&self) -> bool {
        self.parts.values().all(Part::drained)
    }
}

/// The transactional producer of an exactly-once member.
pub(crate) struct Txn {
    producer: Arc<Producer>,
    /// The transactional producer's records not acknowledged yet: none when a transaction commits.
    flight: Arc<Flight>,
    stats: Arc<TxnStats>,
    /// Serialises transaction commits (the worker's task and the polling thread's revocations).
    lock: Mutex<()>,
}

impl Txn {
    pub(crate) fn new(producer: Arc<Producer>, flight: Arc<Flight>, stats: Arc<TxnStats>) -> Txn {
        Txn {
            producer,
            flight,
            stats,
            lock: Mutex::new(()),
        }
    }
}

/// Counts of a transport's exactly-once transactions.
#[derive(Debug, Default)]
pub(crate) struct TxnStats {
    pub(crate) committed: AtomicU64,
    pub(crate) aborted: AtomicU64,
}

/// State shared by the source, its polling thread and the consumer's callbacks.
pub(crate) struct Shared {
    state: Mutex<State>,
    /// Signalled on every commit, for revocations waiting for in-flight records.
    committed: Condvar,
    /// Signalled when records, errors or transaction progress arrive, for the worker's poll.
    ready: Notify,
    closing: AtomicBool,
    /// Whether `State::revoked` has partitions (read without the lock on every worker batch).
    has_revoked: AtomicBool,
    wake: Arc<Wake>,
    config: KafkaConfig,
    txn: Option<Txn>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn fail(&self, message: String) {
        tracing::error!("{message}");
        self.lock().failed.get_or_insert(message);
        self.ready.notify_one();
    }

    /// Exactly-once: commits the open transaction with the offsets the worker committed in it, and begins the next.
    /// Must be called with everything handed out committed (so the transaction holds exactly their outputs); nothing
    /// is handed out until it returns. A transaction that fails is aborted and the member rewinds (see the module
    /// documentation); only a fatal error is returned (and stops the member). Blocks.
    fn commit_transaction(&self, consumer: &BaseConsumer<MemberContext>) -> Result<(), KafkaError> {
        let Some(txn) = &self.txn else {
            return Ok(());
        };
        let _serial = txn
            .lock
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let offsets = {
            let mut st = self.lock();
            if st.txn_since.is_none() && st.txn_offsets.is_empty() {
                return Ok(());
            }
            if let Some(f) = &st.failed {
                return Err(KafkaError::Transaction(f.clone()));
            }
            // The transaction must hold exactly the outputs of the offsets it commits.
            if !st.drained() || txn.flight.len() > 0 {
                return Err(KafkaError::Transaction(
                    "a transaction cannot commit while records are in flight".into(),
                ));
            }
            st.txn_since = None;
            st.committing = true;
            std::mem::take(&mut st.txn_offsets)
        };
        let result = self.end_transaction(txn, consumer, &offsets);
        if let Err(e) = &result {
            self.fail(e.to_string());
        }
        self.lock().committing = false;
        self.ready.notify_one();
        result
    }

    /// Commits the transaction, or aborts it and rewinds; an error is fatal to the member.
    fn end_transaction(
        &self,
        txn: &Txn,
        consumer: &BaseConsumer<MemberContext>,
        offsets: &HashMap<TopicPartition, u64>,
    ) -> Result<(), KafkaError> {
        let timeout = self.config.transaction_timeout;
        let result = (|| {
            if !offsets.is_empty() {
                let tpl = tpl_of(offsets.iter().map(|(tp, o)| (tp, *o)))?;
                let metadata = consumer.group_metadata().ok_or_else(|| {
                    KafkaError::Transaction("the consumer has no group metadata".into())
                })?;
                txn.producer
                    .send_offsets_to_transaction(&tpl, &metadata, timeout)?;
            }
            txn.producer.commit_transaction(timeout)?;
            Ok::<(), KafkaError>(())
        })();
        let e = match result {
            Ok(()) => {
                txn.stats.committed.fetch_add(1, Ordering::Relaxed);
                {
                    let mut st = self.lock();
                    for (tp, offset) in offsets {
                        if let Some(part) = st.parts.get_mut(tp) {
                            part.txn_committed = Some(*offset);
                        }
                    }
                    for part in st.parts.values_mut() {
                        part.void_from = None;
                    }
                }
                tracing::debug!(?offsets, "transaction committed");
                return txn.producer.begin_transaction().map_err(|e| {
                    KafkaError::Transaction(format!("cannot begin the next transaction: {e}"))
                });
            }
            Err(e) => e,
        };
        if let Some(fatal) = fatal_transaction_error(&e, &txn.producer) {
            tracing::error!("transaction failed fatally: {fatal}");
            return Err(KafkaError::Transaction(format!(
                "the transaction failed ({fatal}); the member stops and a new one resumes from the committed offsets"
            )));
        }
        tracing::warn!("transaction failed, aborting and rewinding: {e}");
        if let Err(abort) = txn
            .producer
            .abort_transaction(timeout)
            .and_then(|()| txn.producer.begin_transaction())
        {
            return Err(KafkaError::Transaction(format!(
                "the transaction failed ({e}) and could not be aborted ({abort}); the member stops and a new one \
                 resumes from the committed offsets"
            )));
        }
        txn.stats.aborted.fetch_add(1, Ordering::Relaxed);
        self.rewind(txn)
    }

    /// Exactly-once, after an abort: voids every record handed out in the aborted transaction and asks the polling
    /// thread to seek their partitions back.
    fn rewind(&self, txn: &Txn) -> Result<(), KafkaError> {
        let mut st = self.lock();
        // Nothing was handed out since the member was found drained, so nothing of the aborted transaction can still
        // be running: its outputs cannot land in the new transaction.
        let running = !st.drained() || txn.flight.len() > 0;
        debug_assert!(!running, "records in flight when a transaction aborted");
        if running {
            return Err(KafkaError::Transaction(
                "records were in flight when the transaction aborted; the member stops".into(),
            ));
        }
        st.txn_offsets.clear();
        st.txn_since = None;
        let mut void = Vec::new();
        for (tp, part) in &mut st.parts {
            if let Some(from) = part.void_from.take() {
                part.handed = None;
                part.committed = None;
                void.push((tp.clone(), from));
            }
        }
        if void.is_empty() {
            return Ok(());
        }
        st.buffer
            .retain(|r| !void.iter().any(|(tp, _)| is_of(r, tp)));
        st.lost(self, void.iter().map(|(tp, _)| tp.clone()));
        tracing::info!(rewind = ?void, "transaction aborted: rewinding");
        st.rewind.extend(void);
        drop(st);
        self.wake.wake();
        Ok(())
    }
}

/// Why a failed transaction cannot be aborted and retried in place, if it cannot: the producer is fenced or in a
/// fatal state.
fn fatal_transaction_error(e: &KafkaError, producer: &Producer) -> Option<String> {
    use rdkafka::error::{KafkaError as RdError, RDKafkaErrorCode as C};
    if let Some((code, reason)) = producer.client().fatal_error() {
        return Some(format!("{code:?}: {reason}"));
    }
    let KafkaError::Client(e) = e else {
        return None;
    };
    let fatal = match e {
        RdError::Transaction(rd) => rd.is_fatal(),
        _ => matches!(
            e.rdkafka_error_code(),
            Some(C::ProducerFenced | C::InvalidProducerEpoch | C::Fatal | C::Fenced)
        ),
    };
    fatal.then(|| e.to_string())
}

/// Whether `r` is a record of partition `tp`.
fn is_of(r: &Record, tp: &TopicPartition) -> bool {
    tp.partition == r.partition() && *tp.topic == *r.topic()
}

fn tp_of(topic: &str, partition: i32) -> TopicPartition {
    TopicPartition {
        topic: Arc::from(topic),
        partition: u32::try_from(partition).unwrap_or_default(),
    }
}

fn tpl_of<'a>(
    offsets: impl IntoIterator<Item = (&'a TopicPartition, u64)>,
) -> Result<TopicPartitionList, KafkaError> {
    let mut tpl = TopicPartitionList::new();
    for (tp, offset) in offsets {
        let partition = i32::try_from(tp.partition)
            .map_err(|_| KafkaError::Config(format!("partition {} out of range", tp.partition)))?;
        let offset = i64::try_from(offset)
            .map_err(|_| KafkaError::Config(format!("offset {offset} out of range")))?;
        tpl.add_partition_offset(&tp.topic, partition, Offset::Offset(offset))?;
    }
    Ok(tpl)
}

/// The consumer's callbacks: rebalances and commit results.
pub(crate) struct MemberContext {
    shared: Arc<Shared>,
}

impl ClientContext for MemberContext {
    fn log(&self, level: rdkafka::config::RDKafkaLogLevel, facility: &str, message: &str) {
        crate::log(level, facility, message);
    }

    fn error(&self, error: rdkafka::error::KafkaError, reason: &str) {
        tracing::warn!(target: "librdkafka", "{error}: {reason}");
    }
}

impl ConsumerContext for MemberContext {
    fn pre_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        match rebalance {
            Rebalance::Revoke(tpl) => {
                let revoked: Vec<TopicPartition> = tpl
                    .elements()
                    .iter()
                    .map(|e| tp_of(e.topic(), e.partition()))
                    .collect();
                self.revoke(consumer, &revoked);
            }
            Rebalance::Assign(_) => {}
            Rebalance::Error(e) => {
                tracing::warn!("rebalance error, dropping the assignment without committing: {e}");
                let mut st = self.shared.lock();
                let lost: Vec<TopicPartition> = st.parts.drain().map(|(tp, _)| tp).collect();
                st.buffer.clear();
                st.rewind.clear();
                st.lost(&self.shared, lost);
                drop(st);
                self.shared.ready.notify_one();
            }
        }
    }

    fn post_rebalance(&self, _consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Assign(tpl) = rebalance {
            let mut st = self.shared.lock();
            for e in tpl.elements() {
                st.parts.entry(tp_of(e.topic(), e.partition())).or_default();
            }
            st.assignments += 1;
            tracing::info!(partitions = st.parts.len(), "partitions assigned");
        }
    }

    fn commit_callback(&self, result: KafkaResult<()>, offsets: &TopicPartitionList) {
        if let Err(e) = result {
            tracing::warn!(partitions = offsets.count(), "commit failed: {e}");
        }
    }
}

impl MemberContext {
    fn revoke(&self, consumer: &BaseConsumer<Self>, revoked: &[TopicPartition]) {
        let shared = &self.shared;
        let closing = shared.closing.load(Ordering::Acquire);
        let mut st = shared.lock();
        st.buffer.retain(|r| {
            !revoked
                .iter()
                .any(|tp| *tp.topic == *r.topic() && tp.partition == r.partition())
        });
        // Exactly-once needs every partition drained: the open transaction holds the outputs of all of them.
        let transactional = shared.txn.is_some();
        let drained = |st: &State| {
            if transactional {
                st.drained()
            } else {
                revoked
                    .iter()
                    .all(|tp| st.parts.get(tp).is_none_or(Part::drained))
            }
        };
        if !closing && !drained(&st) {
            let deadline = Instant::now() + shared.config.revoke_drain_timeout;
            tracing::info!("revocation: waiting for in-flight records");
            while !drained(&st) {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    tracing::warn!("revocation: drain timeout, abandoning in-flight records");
                    break;
                }
                st = shared
                    .committed
                    .wait_timeout(st, left)
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .0;
            }
        }
        let all_drained = st.drained();
        let offsets: Vec<(TopicPartition, u64)> = revoked
            .iter()
            .filter_map(|tp| Some((tp.clone(), st.parts.get(tp)?.committed?)))
            .collect();
        drop(st);
        if transactional {
            if all_drained {
                if let Err(e) = shared.commit_transaction(consumer) {
                    tracing::error!("revocation: {e}");
                }
            } else {
                shared.fail(
                    "revocation: in-flight records did not finish in time; the open transaction cannot be committed"
                        .into(),
                );
            }
        } else if !offsets.is_empty() {
            match tpl_of(offsets.iter().map(|(tp, o)| (tp, *o))) {
                Ok(tpl) => {
                    if let Err(e) = consumer.commit(&tpl, CommitMode::Sync) {
                        tracing::warn!("revocation: commit failed: {e}");
                    }
                }
                Err(e) => tracing::warn!("revocation: {e}"),
            }
        }
        let mut st = shared.lock();
        for tp in revoked {
            st.parts.remove(tp);
        }
        // A new owner (maybe this member again) reads them from the group's committed offsets.
        st.rewind.retain(|(tp, _)| !revoked.contains(tp));
        st.lost(shared, revoked.iter().cloned());
        drop(st);
        shared.ready.notify_one();
        tracing::info!(revoked = revoked.len(), "partitions revoked");
    }
}

/// A consumer-group member on Kafka. Dropping it leaves the group (in the background): its partitions go to the
/// other members, which resume from the committed offsets.
pub struct KafkaSource {
    shared: Arc<Shared>,
    consumer: Option<Arc<BaseConsumer<MemberContext>>>,
    thread: Option<JoinHandle<()>>,
    /// Signalled by the polling thread once the consumer is closed.
    closed: Mutex<std::sync::mpsc::Receiver<()>>,
    group: String,
    /// Exactly-once: the member's transactional producer ([`Kafka::sink_for`](crate::Kafka)).
    pub(crate) txn_sink: Option<KafkaSink>,
}

impl std::fmt::Debug for KafkaSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KafkaSource")
            .field("group", &self.group)
            .field("assignment", &self.assignment())
            .finish_non_exhaustive()
    }
}

impl KafkaSource {
    /// Joins `group` reading `topics`. With `txn`, the member is exactly-once: outputs produced through the
    /// transaction's sink and the offsets the worker commits are committed together.
    pub(crate) fn new(
        config: &KafkaConfig,
        group: &str,
        topics: &[&str],
        txn: Option<Txn>,
    ) -> Result<KafkaSource, KafkaError> {
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            committed: Condvar::new(),
            ready: Notify::new(),
            closing: AtomicBool::new(false),
            has_revoked: AtomicBool::new(false),
            wake: Arc::default(),
            config: config.clone(),
            txn,
        });
        let mut client = config.consumer(group);
        if shared.txn.is_some() {
            client.set("isolation.level", "read_committed");
        }
        let mut consumer: BaseConsumer<MemberContext> =
            client.create_with_context(MemberContext {
                shared: Arc::clone(&shared),
            })?;
        let wake = Arc::clone(&shared.wake);
        consumer.set_nonempty_callback(move || wake.wake());
        if let Some(txn) = &shared.txn {
            txn.producer.init_transactions(config.transaction_timeout)?;
            txn.producer.begin_transaction()?;
        }
        consumer.subscribe(topics)?;
        let consumer = Arc::new(consumer);
        let (closed_tx, closed) = std::sync::mpsc::channel();
        let thread = {
            let (consumer, shared) = (Arc::clone(&consumer), Arc::clone(&shared));
            std::thread::Builder::new()
                .name(format!("herald-kafka-{group}"))
                .spawn(move || {
                    poll_loop(&consumer, &shared);
                    // The last reference: closing leaves the group and commits (revocation callback).
                    drop(consumer);
                    let _ = closed_tx.send(());
                })
                .map_err(|e| KafkaError::Config(format!("cannot start the polling thread: {e}")))?
        };
        Ok(KafkaSource {
            shared,
            consumer: Some(consumer),
            thread: Some(thread),
            closed: Mutex::new(closed),
            group: group.to_string(),
            txn_sink: None,
        })
    }

    fn consumer(&self) -> Result<&Arc<BaseConsumer<MemberContext>>, TransportError> {
        self.consumer.as_ref().ok_or(TransportError::Closed)
    }

    /// Exactly-once: the member's transactional producer, which every output of its records must go through.
    pub fn transactional_sink(&self) -> Option<&KafkaSink> {
        self.txn_sink.as_ref()
    }

    /// Records waiting in the buffer.
    pub fn buffered(&self) -> usize {
        self.shared.lock().buffer.len()
    }

    /// Exactly-once: per assigned partition, the offset this member's last committed transaction holds for it
    /// (where a new owner resumes), sorted; partitions it committed no transaction for are left out.
    pub fn transaction_offsets(&self) -> Vec<(TopicPartition, u64)> {
        let st = self.shared.lock();
        let mut offsets: Vec<(TopicPartition, u64)> = st
            .parts
            .iter()
            .filter_map(|(tp, part)| Some((tp.clone(), part.txn_committed?)))
            .collect();
        offsets.sort();
        offsets
    }

    /// Exactly-once: whether the open transaction must be committed before more records are handed out.
    fn barrier(&self, st: &State) -> bool {
        self.shared.txn.is_some()
            && st
                .txn_since
                .is_some_and(|t| t.elapsed() >= self.shared.config.transaction_interval)
    }

    /// Exactly-once: commits the transaction on a blocking thread (cancel-safe: it completes even if the caller
    /// is dropped).
    async fn commit_transaction(&self) -> Result<(), TransportError> {
        let consumer = Arc::clone(self.consumer()?);
        let shared = Arc::clone(&self.shared);
        tokio::task::spawn_blocking(move || shared.commit_transaction(&consumer))
            .await
            .map_err(|e| TransportError::Other(Box::new(e)))?
            .map_err(KafkaError::into_transport)
    }
}

/// Wakes the polling thread: records arrived in a librdkafka queue, or the worker took records from the buffer.
#[derive(Debug, Default)]
pub(crate) struct Wake {
    pending: Mutex<bool>,
    cv: Condvar,
}

impl Wake {
    pub(crate) fn wake(&self) {
        *self
            .pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = true;
        self.cv.notify_one();
    }

    fn wait(&self, timeout: Duration) {
        let mut pending = self
            .pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if !*pending {
            pending = self
                .cv
                .wait_timeout(pending, timeout)
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .0;
        }
        *pending = false;
    }
}

/// Records taken from one partition queue per pass, so that partitions share the buffer.
const PER_PASS: usize = 64;

/// The polling thread: serves the consumer's events (rebalances, commit results, logs) and moves records from
/// per-partition queues into the buffer while it has room. When the buffer is full the partition queues are left
/// alone: librdkafka stops fetching a partition once its queue holds `queued.min.messages` records or
/// `queued.max.messages.kbytes`, which is Kafka's own backpressure (no pause/resume, whose resume was measured to
/// stall about a second per cycle).
fn poll_loop(consumer: &Arc<BaseConsumer<MemberContext>>, shared: &Shared) {
    let capacity = shared.config.buffer;
    let mut queues: Vec<(TopicPartition, PartitionQueue<MemberContext>)> = Vec::new();
    let mut seen_assignments = 0;
    let mut last_commit = Instant::now();
    while !shared.closing.load(Ordering::Acquire) {
        if last_commit.elapsed() >= shared.config.commit_interval {
            send_commits(consumer, shared);
            last_commit = Instant::now();
        }
        let mut progressed = false;
        // Events, and records that reached the main queue before their partition was split off.
        while let Some(polled) = consumer.poll(Duration::ZERO) {
            progressed = true;
            take(shared, polled);
            if shared.closing.load(Ordering::Acquire) {
                break;
            }
        }
        let (assignments, parts, rewind): (u64, Vec<TopicPartition>, Vec<(TopicPartition, u64)>) = {
            let st = shared.lock();
            (
                st.assignments,
                st.parts.keys().cloned().collect(),
                st.rewind.clone(),
            )
        };
        if !rewind.is_empty() {
            seek_back(consumer, shared, &rewind);
            progressed = true;
        }
        if assignments != seen_assignments {
            // An assignment deactivates the queues split before it: split every partition again.
            queues.clear();
            for tp in parts {
                let Ok(partition) = i32::try_from(tp.partition) else {
                    continue;
                };
                if let Some(mut q) = consumer.split_partition_queue(&tp.topic, partition) {
                    let wake = Arc::clone(&shared.wake);
                    q.set_nonempty_callback(move || wake.wake());
                    queues.push((tp, q));
                }
            }
            seen_assignments = assignments;
        }
        let mut room = capacity.saturating_sub(shared.lock().buffer.len());
        for (_, q) in &queues {
            let mut n = 0;
            while room > 0 && n < PER_PASS {
                let Some(polled) = q.poll(Duration::ZERO) else {
                    break;
                };
                progressed = true;
                if take(shared, polled) {
                    room -= 1;
                    n += 1;
                }
            }
        }
        if !progressed {
            let next_commit = shared
                .config
                .commit_interval
                .saturating_sub(last_commit.elapsed());
            shared
                .wake
                .wait(next_commit.clamp(Duration::from_millis(1), Duration::from_millis(100)));
        }
    }
    // The queues hold the consumer too: release them so that the caller's reference is the last one.
    drop(queues);
}

/// Exactly-once, after an aborted transaction: seeks partitions back to the first record handed out in it, then
/// drops their buffered records (all fetched before the seek: librdkafka discards what it fetched before a seek, and
/// only this thread moves records into the buffer) and lets the worker have records again. A failed seek stops the
/// member: the records of the aborted transaction would not come again.
fn seek_back(
    consumer: &BaseConsumer<MemberContext>,
    shared: &Shared,
    rewind: &[(TopicPartition, u64)],
) {
    // Rebalances run on this thread too (inside `consumer.poll`): the assignment cannot change meanwhile.
    let owned: Vec<(TopicPartition, u64)> = {
        let st = shared.lock();
        rewind
            .iter()
            .filter(|(tp, _)| st.parts.contains_key(tp))
            .cloned()
            .collect()
    };
    let sought = if owned.is_empty() {
        Ok(())
    } else {
        tpl_of(owned.iter().map(|(tp, o)| (tp, *o))).and_then(|tpl| {
            let tpl = consumer.seek_partitions(tpl, shared.config.transaction_timeout)?;
            for e in tpl.elements() {
                e.error()?;
            }
            Ok(())
        })
    };
    if let Err(e) = sought {
        shared.fail(format!(
            "cannot rewind after an aborted transaction ({e}); the member stops and a new one resumes from the \
             committed offsets"
        ));
        return;
    }
    let mut st = shared.lock();
    st.buffer
        .retain(|r| !rewind.iter().any(|(tp, _)| is_of(r, tp)));
    st.rewind.retain(|e| !rewind.contains(e));
    drop(st);
    tracing::info!(rewound = ?owned, "rewound after an aborted transaction");
    shared.ready.notify_one();
}

/// Sends the offsets the worker committed since the last call (asynchronously: a lost commit means redelivery).
fn send_commits(consumer: &BaseConsumer<MemberContext>, shared: &Shared) {
    let offsets: Vec<(TopicPartition, u64)> = {
        let mut st = shared.lock();
        let unsent = std::mem::take(&mut st.unsent);
        unsent
            .into_iter()
            .filter_map(|tp| {
                let offset = st.parts.get(&tp)?.committed?;
                Some((tp, offset))
            })
            .collect()
    };
    if offsets.is_empty() {
        return;
    }
    match tpl_of(offsets.iter().map(|(tp, o)| (tp, *o))) {
        Ok(tpl) => {
            if let Err(e) = consumer.commit(&tpl, CommitMode::Async) {
                tracing::warn!("commit failed: {e}");
            }
        }
        Err(e) => tracing::warn!("commit: {e}"),
    }
}

/// Moves a polled record into the buffer (if its partition is still assigned); true if it was a record.
fn take(shared: &Shared, polled: KafkaResult<BorrowedMessage<'_>>) -> bool {
    match polled {
        Ok(m) => {
            let tp = tp_of(m.topic(), m.partition());
            let record = record_of(&m);
            let mut st = shared.lock();
            if st.parts.contains_key(&tp) {
                st.buffer.push_back(record);
                drop(st);
                shared.ready.notify_one();
            }
            true
        }
        Err(e) => {
            if is_fatal(&e) {
                shared.fail(format!("consumer failed: {e}"));
            } else {
                tracing::warn!("consumer: {e}");
            }
            false
        }
    }
}

fn is_fatal(e: &rdkafka::error::KafkaError) -> bool {
    use rdkafka::error::RDKafkaErrorCode as C;
    matches!(
        e.rdkafka_error_code(),
        Some(C::Fatal | C::Authentication | C::InvalidConfig | C::GroupAuthorizationFailed)
    )
}

/// Copies a consumed message; header values that are not UTF-8 are read lossily.
fn record_of(m: &BorrowedMessage<'_>) -> Record {
    let headers = match m.headers() {
        Some(hs) => Headers::from_raw(hs.iter().map(|h| (h.key, h.value.unwrap_or_default()))),
        None => Headers::new(),
    };
    Record::new(
        Arc::from(m.topic()),
        u32::try_from(m.partition()).unwrap_or_default(),
        u64::try_from(m.offset()).unwrap_or_default(),
        m.key().map(Bytes::copy_from_slice),
        headers,
        m.payload().map(Bytes::copy_from_slice).unwrap_or_default(),
    )
}

impl Source for KafkaSource {
    async fn poll(&mut self, max: usize) -> Result<Vec<Arc<Record>>, TransportError> {
        let max = max.max(1);
        loop {
            let notified = self.shared.ready.notified();
            let mut commit_txn = false;
            let mut wait = Duration::from_secs(3600);
            {
                let mut st = self.shared.lock();
                if let Some(f) = &st.failed {
                    return Err(KafkaError::Transaction(f.clone()).into_transport());
                }
                if !st.revoked.is_empty() {
                    // No record of a new ownership before the worker took the losses.
                    return Ok(Vec::new());
                }
                if st.committing || !st.rewind.is_empty() {
                    // A transaction is ending, or its partitions are not rewound yet: wait (woken when done).
                } else if self.barrier(&st) {
                    // Hand out nothing until the worker has finished what it has; then commit.
                    commit_txn = st.drained();
                } else if !st.buffer.is_empty() {
                    let n = max.min(st.buffer.len());
                    let records: Vec<Arc<Record>> = st.buffer.drain(..n).map(Arc::new).collect();
                    self.shared.wake.wake();
                    let transactional = self.shared.txn.is_some();
                    for r in &records {
                        let part = st
                            .parts
                            .entry(TopicPartition {
                                topic: Arc::from(r.topic()),
                                partition: r.partition(),
                            })
                            .or_default();
                        part.handed = Some(r.offset() + 1);
                        if transactional {
                            part.void_from.get_or_insert(r.offset());
                        }
                    }
                    if self.shared.txn.is_some() && st.txn_since.is_none() {
                        st.txn_since = Some(Instant::now());
                    }
                    tracing::trace!(records = records.len(), "handed out");
                    return Ok(records);
                } else if let Some(since) = st.txn_since {
                    wait = self
                        .shared
                        .config
                        .transaction_interval
                        .saturating_sub(since.elapsed())
                        .max(Duration::from_millis(1));
                }
            }
            if commit_txn {
                self.commit_transaction().await?;
                continue;
            }
            let _ = tokio::time::timeout(wait, notified).await;
        }
    }

    async fn commit(&mut self, offsets: &[(TopicPartition, u64)]) -> Result<(), TransportError> {
        self.consumer()?;
        let commit_txn = {
            let mut st = self.shared.lock();
            if let Some(f) = &st.failed {
                return Err(KafkaError::Transaction(f.clone()).into_transport());
            }
            let mut owned = Vec::with_capacity(offsets.len());
            for (tp, offset) in offsets {
                match st.parts.get_mut(tp) {
                    Some(part) => {
                        part.committed = Some(part.committed.unwrap_or(0).max(*offset));
                        owned.push((tp, *offset));
                    }
                    None => tracing::debug!(
                        topic = &*tp.topic,
                        partition = tp.partition,
                        offset,
                        "not committing: the partition is no longer assigned"
                    ),
                }
            }
            self.shared.committed.notify_all();
            if self.shared.txn.is_some() {
                for (tp, offset) in owned {
                    st.txn_offsets.insert(tp.clone(), offset);
                }
                self.barrier(&st) && st.drained()
            } else {
                // Sent by the polling thread within `commit_interval` (and at once on revocation or close).
                for (tp, _) in owned {
                    if !st.unsent.contains(tp) {
                        st.unsent.push(tp.clone());
                    }
                }
                false
            }
        };
        if commit_txn {
            self.commit_transaction().await?;
        }
        Ok(())
    }

    fn assignment(&self) -> Vec<TopicPartition> {
        let mut parts: Vec<TopicPartition> = self.shared.lock().parts.keys().cloned().collect();
        parts.sort();
        parts
    }

    fn take_revoked(&mut self) -> Vec<TopicPartition> {
        if !self.shared.has_revoked.load(Ordering::Acquire) {
            return Vec::new();
        }
        let mut st = self.shared.lock();
        self.shared.has_revoked.store(false, Ordering::Release);
        std::mem::take(&mut st.revoked)
    }
}

/// How long dropping a source waits for its consumer to close (leave the group, commit) before letting it finish
/// in the background.
const CLOSE_WAIT: Duration = Duration::from_secs(10);

impl Drop for KafkaSource {
    fn drop(&mut self) {
        // The polling thread holds the last reference to the consumer: it closes it, leaving the group and
        // committing what the worker committed. Waiting for that here means a process that exits right after its
        // runner stops does not lose its last commits.
        self.consumer = None;
        self.shared.closing.store(true, Ordering::Release);
        self.shared.committed.notify_all();
        self.shared.wake.wake();
        let closed = self
            .closed
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .recv_timeout(CLOSE_WAIT);
        if closed.is_ok()
            && let Some(thread) = self.thread.take()
        {
            let _ = thread.join();
        }
    }
}
