//! An in-memory transport that behaves like a partitioned log: topics with partitions, records placed by key,
//! offsets, consumer groups whose members share partitions, committed offsets, and redelivery of uncommitted records
//! when a member leaves (or crashes).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use tokio::sync::{Notify, watch};

use crate::record::{OutRecord, Record};
use crate::transport::{Delivery, Sink, Source, TopicPartition, Transport, TransportError};

/// The default number of partitions of a topic created on first use.
pub const DEFAULT_PARTITIONS: u32 = 4;

/// An in-memory broker. Clones share the same log.
#[derive(Clone)]
pub struct Bus {
    inner: Arc<Inner>,
}

struct Inner {
    state: Mutex<State>,
    /// Bumped on membership changes and on commits that bring their group's lag to zero.
    changed: watch::Sender<u64>,
    default_partitions: u32,
}

#[derive(Default)]
struct State {
    topics: BTreeMap<Arc<str>, Topic>,
    groups: HashMap<String, Group>,
    next_member: u64,
}

struct Topic {
    name: Arc<str>,
    partitions: Vec<Vec<Arc<Record>>>,
    round_robin: u32,
    /// The members reading this topic, woken by appends.
    readers: Vec<(u64, Arc<Notify>)>,
}

impl Topic {
    fn new(name: Arc<str>, partitions: u32) -> Topic {
        Topic {
            name,
            partitions: vec![Vec::new(); partitions.max(1) as usize],
            round_robin: 0,
            readers: Vec::new(),
        }
    }
}

/// A member of a consumer group.
struct GroupMember {
    id: u64,
    /// The topics it reads.
    topics: Vec<Arc<str>>,
    /// Woken when records arrive on its topics or the group's membership changes.
    wake: Arc<Notify>,
}

#[derive(Default)]
struct Group {
    /// Members in join order.
    members: Vec<GroupMember>,
    /// Every topic a member has read.
    topics: Vec<Arc<str>>,
    committed: HashMap<(Arc<str>, u32), u64>,
    generation: u64,
}

impl std::fmt::Debug for Bus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.lock();
        f.debug_struct("Bus")
            .field("topics", &state.topics.keys().collect::<Vec<_>>())
            .field("groups", &state.groups.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Default for Bus {
    fn default() -> Bus {
        Bus::new()
    }
}

/// FNV-1a: a stable hash, so a key always lands in the same partition.
fn partition_of(key: &[u8], partitions: u32) -> u32 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in key {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    u32::try_from(h % u64::from(partitions)).expect("a partition index fits u32")
}

impl Bus {
    /// A bus whose topics get [`DEFAULT_PARTITIONS`] partitions.
    pub fn new() -> Bus {
        Bus::with_partitions(DEFAULT_PARTITIONS)
    }

    /// A bus whose topics get `partitions` partitions (at least 1) unless created with [`Bus::create_topic`].
    pub fn with_partitions(partitions: u32) -> Bus {
        let (changed, _) = watch::channel(0);
        Bus {
            inner: Arc::new(Inner {
                state: Mutex::new(State::default()),
                changed,
                default_partitions: partitions.max(1),
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves the log consistent (every update is a single push or insert).
        self.inner
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn notify(&self) {
        self.inner.changed.send_modify(|v| *v = v.wrapping_add(1));
    }

    /// Creates `topic` with `partitions` partitions (at least 1), unless it exists.
    pub fn create_topic(&self, topic: &str, partitions: u32) {
        let mut state = self.lock();
        if !state.topics.contains_key(topic) {
            let name: Arc<str> = Arc::from(topic);
            state
                .topics
                .insert(Arc::clone(&name), Topic::new(name, partitions));
        }
    }

    fn topic_mut<'s>(&self, state: &'s mut State, topic: &str) -> &'s mut Topic {
        if !state.topics.contains_key(topic) {
            let name: Arc<str> = Arc::from(topic);
            let topic = Topic::new(Arc::clone(&name), self.inner.default_partitions);
            state.topics.insert(name, topic);
        }
        state
            .topics
            .get_mut(topic)
            .expect("the topic exists: it was just created")
    }

    /// Appends a record to the partition its key selects (round robin without a key).
    pub fn append(&self, record: OutRecord) -> Delivery {
        let mut state = self.lock();
        let topic = self.topic_mut(&mut state, &record.topic);
        let n = u32::try_from(topic.partitions.len()).expect("partition count fits u32");
        let partition = match &record.key {
            Some(k) => partition_of(k, n),
            None => {
                topic.round_robin = topic.round_robin.wrapping_add(1);
                topic.round_robin % n
            }
        };
        let log = &mut topic.partitions[partition as usize];
        let offset = log.len() as u64;
        log.push(Arc::new(Record::new(
            Arc::clone(&topic.name),
            partition,
            offset,
            record.key,
            record.headers,
            record.payload,
        )));
        // Only the readers of this topic wake up; an append cannot catch a group up, so `changed` stays.
        for (_, wake) in &topic.readers {
            wake.notify_one();
        }
        Delivery {
            topic: record.topic,
            partition,
            offset,
        }
    }

    /// Every record of `topic`, partition by partition, in offset order.
    pub fn records(&self, topic: &str) -> Vec<Record> {
        let state = self.lock();
        state
            .topics
            .get(topic)
            .map(|t| {
                t.partitions
                    .iter()
                    .flatten()
                    .map(|r| (**r).clone())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The names of the topics that exist.
    pub fn topics(&self) -> Vec<String> {
        self.lock().topics.keys().map(|t| t.to_string()).collect()
    }

    /// The next offset to write of each partition of `topic`.
    pub fn end_offsets(&self, topic: &str) -> Vec<u64> {
        let state = self.lock();
        state
            .topics
            .get(topic)
            .map(|t| t.partitions.iter().map(|p| p.len() as u64).collect())
            .unwrap_or_default()
    }

    /// The committed offset of `group` for a partition (0 when none).
    pub fn committed(&self, group: &str, topic: &str, partition: u32) -> u64 {
        let state = self.lock();
        state
            .groups
            .get(group)
            .and_then(|g| g.committed.get(&(Arc::from(topic), partition)).copied())
            .unwrap_or(0)
    }

    /// Records of the topics `group` has read that it has not committed yet.
    pub fn lag(&self, group: &str) -> u64 {
        let state = self.lock();
        Self::lag_of(&state, group)
    }

    fn lag_of(state: &State, group: &str) -> u64 {
        let Some(g) = state.groups.get(group) else {
            return 0;
        };
        let mut lag = 0;
        for t in &g.topics {
            if let Some(topic) = state.topics.get(t) {
                for (p, log) in topic.partitions.iter().enumerate() {
                    let p = u32::try_from(p).expect("partition index fits u32");
                    let committed = g.committed.get(&(Arc::clone(t), p)).copied().unwrap_or(0);
                    lag += (log.len() as u64).saturating_sub(committed);
                }
            }
        }
        lag
    }

    /// Waits until every group in `groups` has committed everything its members read (the system is quiet when no
    /// handler emits any more). Returns at once if that is already so.
    pub async fn wait_caught_up(&self, groups: &[&str]) {
        let mut rx = self.inner.changed.subscribe();
        loop {
            {
                let state = self.lock();
                if groups.iter().all(|g| Self::lag_of(&state, g) == 0) {
                    return;
                }
            }
            if rx.changed().await.is_err() {
                return;
            }
        }
    }

    /// The consumer-group member count of `group`.
    pub fn members(&self, group: &str) -> usize {
        self.lock().groups.get(group).map_or(0, |g| g.members.len())
    }

    /// Wakes every member of `group` (its membership changed).
    fn wake_members(state: &State, group: &str) {
        if let Some(g) = state.groups.get(group) {
            for m in &g.members {
                m.wake.notify_one();
            }
        }
    }

    /// A producer on this bus.
    pub fn sink(&self) -> MemorySink {
        MemorySink { bus: self.clone() }
    }
}

impl Transport for Bus {
    type Source = MemorySource;
    type Sink = MemorySink;

    fn subscribe(&self, group: &str, topics: &[&str]) -> Result<MemorySource, TransportError> {
        let wake = Arc::new(Notify::new());
        let member = {
            let mut state = self.lock();
            state.next_member += 1;
            let member = state.next_member;
            let mut names = Vec::new();
            for t in topics {
                let topic = self.topic_mut(&mut state, t);
                if !topic.readers.iter().any(|(m, _)| *m == member) {
                    topic.readers.push((member, Arc::clone(&wake)));
                }
                names.push(Arc::clone(&topic.name));
            }
            let g = state.groups.entry(group.to_string()).or_default();
            for n in &names {
                if !g.topics.contains(n) {
                    g.topics.push(Arc::clone(n));
                }
            }
            g.members.push(GroupMember {
                id: member,
                topics: names,
                wake: Arc::clone(&wake),
            });
            g.generation += 1;
            Self::wake_members(&state, group);
            member
        };
        self.notify();
        Ok(MemorySource {
            bus: self.clone(),
            group: group.to_string(),
            member,
            wake,
            generation: 0,
            assignment: Vec::new(),
            positions: Vec::new(),
            revoked: Vec::new(),
        })
    }

    fn sink(&self) -> MemorySink {
        Bus::sink(self)
    }
}

/// A consumer-group member of a [`Bus`].
pub struct MemorySource {
    bus: Bus,
    group: String,
    member: u64,
    /// Notified when records arrive on this member's topics or its group's membership changes.
    wake: Arc<Notify>,
    /// The generation of the group `assignment` was computed for.
    generation: u64,
    assignment: Vec<TopicPartition>,
    /// The next offset to read of each partition of `assignment`.
    positions: Vec<u64>,
    /// Partitions lost by rebalances and not taken yet ([`Source::take_revoked`]).
    revoked: Vec<TopicPartition>,
}

impl std::fmt::Debug for MemorySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemorySource")
            .field("group", &self.group)
            .field("member", &self.member)
            .field("assignment", &self.assignment)
            .finish()
    }
}

/// The partitions of `group`'s topics, in order, dealt round robin over its members: `member`'s share, with the
/// group's generation.
fn assigned(state: &State, group: &str, member: u64) -> Option<(u64, Vec<TopicPartition>)> {
    let g = state.groups.get(group)?;
    let index = g.members.iter().position(|m| m.id == member)?;
    let my_topics = &g.members[index].topics;
    let topics: BTreeSet<&Arc<str>> = g.members.iter().flat_map(|m| &m.topics).collect();
    let mut all: Vec<TopicPartition> = Vec::new();
    for t in topics {
        let n = state.topics.get(t).map_or(0, |t| t.partitions.len());
        for p in 0..n {
            all.push(TopicPartition {
                topic: Arc::clone(t),
                partition: u32::try_from(p).expect("partition index fits u32"),
            });
        }
    }
    let members = g.members.len();
    let mine = all
        .into_iter()
        .enumerate()
        .filter(|(i, tp)| i % members == index && my_topics.contains(&tp.topic))
        .map(|(_, tp)| tp)
        .collect();
    Some((g.generation, mine))
}

impl MemorySource {
    /// Picks up a membership change: newly assigned partitions resume from the committed offset, and lost ones are
    /// noted for [`Source::take_revoked`].
    fn rebalance(&mut self, state: &State) {
        let Some(group) = state.groups.get(&self.group) else {
            return;
        };
        if group.generation == self.generation {
            return;
        }
        let Some((generation, assignment)) = assigned(state, &self.group, self.member) else {
            return;
        };
        self.generation = generation;
        let mut positions = Vec::with_capacity(assignment.len());
        for tp in &assignment {
            let pos = match self.assignment.iter().position(|a| a == tp) {
                Some(i) => self.positions[i],
                None => group
                    .committed
                    .get(&(Arc::clone(&tp.topic), tp.partition))
                    .copied()
                    .unwrap_or(0),
            };
            positions.push(pos);
        }
        for tp in &self.assignment {
            if !assignment.contains(tp) && !self.revoked.contains(tp) {
                self.revoked.push(tp.clone());
            }
        }
        self.assignment = assignment;
        self.positions = positions;
    }
}

impl Source for MemorySource {
    async fn poll(&mut self, max: usize) -> Result<Vec<Arc<Record>>, TransportError> {
        let max = max.max(1);
        // No record of a new ownership before the caller took the losses.
        if !self.revoked.is_empty() {
            return Ok(Vec::new());
        }
        loop {
            // Registered before reading the log, so an append right after the read is not missed.
            let wake = Arc::clone(&self.wake);
            let woken = wake.notified();
            {
                let bus = self.bus.clone();
                let state = bus.lock();
                self.rebalance(&state);
                let mut out = Vec::new();
                for (tp, pos) in self.assignment.iter().zip(&mut self.positions) {
                    let Some(topic) = state.topics.get(&tp.topic) else {
                        continue;
                    };
                    let log = &topic.partitions[tp.partition as usize];
                    let start = usize::try_from(*pos).unwrap_or(usize::MAX).min(log.len());
                    let take = (max - out.len()).min(log.len() - start);
                    out.extend_from_slice(&log[start..start + take]);
                    if take > 0 {
                        *pos = log[start + take - 1].offset() + 1;
                    }
                    if out.len() == max {
                        break;
                    }
                }
                // A loss is reported at once, even with no records: the caller drops its records of the partition.
                if !out.is_empty() || !self.revoked.is_empty() {
                    return Ok(out);
                }
            }
            woken.await;
        }
    }

    async fn commit(&mut self, offsets: &[(TopicPartition, u64)]) -> Result<(), TransportError> {
        {
            let mut state = self.bus.lock();
            let Some(g) = state.groups.get_mut(&self.group) else {
                return Err(TransportError::Closed);
            };
            for (tp, offset) in offsets {
                let slot = g
                    .committed
                    .entry((Arc::clone(&tp.topic), tp.partition))
                    .or_insert(0);
                *slot = (*slot).max(*offset);
            }
            // Only a commit that catches its group up can end a `wait_caught_up`: appends only add lag.
            if Bus::lag_of(&state, &self.group) > 0 {
                return Ok(());
            }
        }
        self.bus.notify();
        Ok(())
    }

    fn assignment(&self) -> Vec<TopicPartition> {
        let state = self.bus.lock();
        assigned(&state, &self.group, self.member).map_or_else(Vec::new, |(_, a)| a)
    }

    fn take_revoked(&mut self) -> Vec<TopicPartition> {
        std::mem::take(&mut self.revoked)
    }
}

impl Drop for MemorySource {
    fn drop(&mut self) {
        {
            let mut state = self.bus.lock();
            if let Some(g) = state.groups.get_mut(&self.group) {
                g.members.retain(|m| m.id != self.member);
                g.generation += 1;
            }
            for topic in state.topics.values_mut() {
                topic.readers.retain(|(m, _)| *m != self.member);
            }
            Bus::wake_members(&state, &self.group);
        }
        self.bus.notify();
    }
}

/// A producer on a [`Bus`].
#[derive(Clone, Debug)]
pub struct MemorySink {
    bus: Bus,
}

impl Sink for MemorySink {
    /// Appending to the log is durable at once.
    type Receipt = std::future::Ready<Result<Delivery, TransportError>>;

    async fn send(&self, record: OutRecord) -> Result<Self::Receipt, TransportError> {
        Ok(std::future::ready(Ok(self.bus.append(record))))
    }

    async fn flush(&self) -> Result<(), TransportError> {
        Ok(())
    }
}

/// A key's partition among `partitions`, as the bus places records.
pub fn partition_for_key(key: &Bytes, partitions: u32) -> u32 {
    partition_of(key, partitions.max(1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Headers;

    fn out(topic: &str, key: Option<&str>, payload: &str) -> OutRecord {
        OutRecord {
            topic: topic.into(),
            key: key.map(|k| Bytes::copy_from_slice(k.as_bytes())),
            headers: Headers::new(),
            payload: Bytes::copy_from_slice(payload.as_bytes()),
            schema: None,
        }
    }

    #[tokio::test]
    async fn keys_pick_stable_partitions_and_offsets_grow() {
        let bus = Bus::with_partitions(3);
        let a = bus.append(out("t", Some("k1"), "a"));
        let b = bus.append(out("t", Some("k1"), "b"));
        assert_eq!(a.partition, b.partition);
        assert_eq!((a.offset, b.offset), (0, 1));
        assert_eq!(a.partition, partition_for_key(&Bytes::from("k1"), 3));
        assert_eq!(bus.end_offsets("t").iter().sum::<u64>(), 2);
    }

    #[tokio::test]
    async fn a_member_reports_each_lost_partition_once_before_handing_out_more() {
        let bus = Bus::with_partitions(2);
        for i in 0..6 {
            bus.append(out("t", Some(&format!("k{i}")), &i.to_string()));
        }
        let mut a = bus.subscribe("g", &["t"]).unwrap();
        assert_eq!(a.poll(100).await.unwrap().len(), 6);
        assert!(a.take_revoked().is_empty());
        let b = bus.subscribe("g", &["t"]).unwrap();
        // The loss is noticed on the next poll, which returns at once with nothing.
        assert!(a.poll(100).await.unwrap().is_empty());
        let tp1 = TopicPartition {
            topic: Arc::from("t"),
            partition: 1,
        };
        // Nothing more is handed out until the loss is taken.
        assert!(a.poll(100).await.unwrap().is_empty());
        assert_eq!(a.take_revoked(), [tp1]);
        assert!(a.take_revoked().is_empty());
        // The partition comes back from its committed offset (nothing committed: from the start).
        drop(b);
        let again = a.poll(100).await.unwrap();
        assert!(!again.is_empty());
        assert!(again.iter().all(|r| r.partition() == 1 && r.offset() < 6));
        assert_eq!(again[0].offset(), 0);
        assert!(a.take_revoked().is_empty());
    }

    #[tokio::test]
    async fn a_group_member_reads_and_commits_and_a_new_member_resumes() {
        let bus = Bus::with_partitions(2);
        for i in 0..6 {
            bus.append(out("t", Some(&format!("k{i}")), &i.to_string()));
        }
        let mut s = bus.subscribe("g", &["t"]).unwrap();
        assert_eq!(s.assignment().len(), 2);
        let first = s.poll(100).await.unwrap();
        assert_eq!(first.len(), 6);
        // Commit only partition 0's records; partition 1's are redelivered to the next member.
        let p0: Vec<&Record> = first
            .iter()
            .filter(|r| r.partition() == 0)
            .map(|r| &**r)
            .collect();
        let tp0 = TopicPartition {
            topic: Arc::from("t"),
            partition: 0,
        };
        s.commit(&[(tp0, p0.len() as u64)]).await.unwrap();
        assert_eq!(bus.lag("g"), 6 - p0.len() as u64);
        drop(s);
        assert_eq!(bus.members("g"), 0);
        let mut s2 = bus.subscribe("g", &["t"]).unwrap();
        let again = s2.poll(100).await.unwrap();
        assert_eq!(again.len(), 6 - p0.len());
        assert!(again.iter().all(|r| r.partition() == 1));
    }

    #[tokio::test]
    async fn members_of_a_group_share_partitions_and_groups_are_independent() {
        let bus = Bus::with_partitions(4);
        let a = bus.subscribe("g", &["t"]).unwrap();
        let b = bus.subscribe("g", &["t"]).unwrap();
        let other = bus.subscribe("h", &["t"]).unwrap();
        let (pa, pb) = (a.assignment(), b.assignment());
        assert_eq!(pa.len() + pb.len(), 4);
        assert!(pa.iter().all(|p| !pb.contains(p)));
        assert_eq!(other.assignment().len(), 4);
        drop(b);
        assert_eq!(a.assignment().len(), 4);
    }

    #[tokio::test]
    async fn poll_waits_for_an_append() {
        let bus = Bus::with_partitions(1);
        let mut s = bus.subscribe("g", &["t"]).unwrap();
        let producer = bus.clone();
        let task = tokio::spawn(async move { s.poll(10).await.unwrap() });
        tokio::task::yield_now().await;
        producer.append(out("t", None, "x"));
        let got = task.await.unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].payload(), "x");
    }

    #[tokio::test]
    async fn caught_up_after_commits() {
        let bus = Bus::with_partitions(1);
        let mut s = bus.subscribe("g", &["t"]).unwrap();
        bus.append(out("t", None, "x"));
        assert_eq!(bus.lag("g"), 1);
        let recs = s.poll(10).await.unwrap();
        let tp = TopicPartition {
            topic: Arc::from("t"),
            partition: 0,
        };
        s.commit(&[(tp, recs[0].offset() + 1)]).await.unwrap();
        bus.wait_caught_up(&["g"]).await;
        assert_eq!(bus.committed("g", "t", 0), 1);
    }

    #[tokio::test]
    async fn wait_caught_up_wakes_on_the_commit_that_catches_up() {
        let bus = Bus::with_partitions(1);
        let mut s = bus.subscribe("g", &["t"]).unwrap();
        bus.append(out("t", None, "a"));
        bus.append(out("t", None, "b"));
        let waiter = tokio::spawn({
            let bus = bus.clone();
            async move { bus.wait_caught_up(&["g"]).await }
        });
        assert_eq!(s.poll(10).await.unwrap().len(), 2);
        let tp = TopicPartition {
            topic: Arc::from("t"),
            partition: 0,
        };
        s.commit(&[(tp.clone(), 1)]).await.unwrap();
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished(), "one record is still uncommitted");
        s.commit(&[(tp, 2)]).await.unwrap();
        tokio::time::timeout(std::time::Duration::from_secs(10), waiter)
            .await
            .expect("the last commit wakes the waiter")
            .unwrap();
    }
}
