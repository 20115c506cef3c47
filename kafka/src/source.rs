//! [`KafkaSource`]: one consumer-group member. A dedicated thread polls librdkafka, serves rebalances and fills a
//! bounded buffer (pausing the partitions when it is full); the worker takes records from the buffer and commits
//! exactly the offsets it finished.
//!
//! Rebalance policy: on revocation the source stops handing out records of the revoked partitions at once, then
//! waits (up to [`KafkaConfig::revoke_drain_timeout`]) until every record of them already handed out is committed,
//! commits synchronously and lets the partitions go. Records still running after the timeout are abandoned: their
//! later commits are dropped, because an offset is never committed for a partition this member no longer owns, and
//! the new owner redelivers them (at least once). Lost partitions are dropped without a commit. Either way the
//! partitions are then reported through [`Source::take_revoked`], and no record is handed out until they are taken.

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
    /// Bumped by every assignment, which resets librdkafka's pause state.
    assignments: u64,
    /// Exactly-once: offsets committed by the worker in the open transaction, and when it got its first record.
    txn_offsets: HashMap<TopicPartition, u64>,
    txn_since: Option<Instant>,
    /// At least once: partitions whose committed offset was not sent to the broker yet.
    unsent: Vec<TopicPartition>,
    /// Partitions let go and not taken by the worker yet ([`Source::take_revoked`]).
    revoked: Vec<TopicPartition>,
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
    /// Must be called with everything handed out committed (so the transaction holds exactly their outputs). Blocks.
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
            std::mem::take(&mut st.txn_offsets)
        };
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
        match result {
            Ok(()) => {
                txn.stats.committed.fetch_add(1, Ordering::Relaxed);
                txn.producer.begin_transaction()?;
                tracing::debug!(?offsets, "transaction committed");
                self.ready.notify_one();
                Ok(())
            }
            Err(e) => {
                tracing::error!("transaction failed, aborting: {e}");
                txn.stats.aborted.fetch_add(1, Ordering::Relaxed);
                if let Err(abort) = txn.producer.abort_transaction(timeout) {
                    tracing::error!("abort failed: {abort}");
                }
                let message = format!(
                    "the transaction was aborted ({e}); the member stops and a new one resumes from the committed offsets"
                );
                self.fail(message.clone());
                Err(KafkaError::Transaction(message))
            }
        }
    }
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
        let (assignments, parts): (u64, Vec<TopicPartition>) = {
            let st = shared.lock();
            (st.assignments, st.parts.keys().cloned().collect())
        };
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
    let mut headers = Headers::new();
    if let Some(hs) = m.headers() {
        for h in hs.iter() {
            let value = h.value.map(String::from_utf8_lossy).unwrap_or_default();
            headers.insert(h.key, value);
        }
    }
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
                if self.barrier(&st) {
                    // Hand out nothing until the worker has finished what it has; then commit.
                    commit_txn = st.drained();
                } else if !st.buffer.is_empty() {
                    let n = max.min(st.buffer.len());
                    let records: Vec<Arc<Record>> = st.buffer.drain(..n).map(Arc::new).collect();
                    self.shared.wake.wake();
                    for r in &records {
                        let part = st
                            .parts
                            .entry(TopicPartition {
                                topic: Arc::from(r.topic()),
                                partition: r.partition(),
                            })
                            .or_default();
                        part.handed = Some(r.offset() + 1);
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
