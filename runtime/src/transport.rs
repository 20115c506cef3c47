//! The transport abstraction: a [`Source`] of records for one consumer-group member (poll, commit, assignment) and
//! a [`Sink`] that produces records (send, returning a receipt of the delivery; produce; flush).

use std::future::Future;
use std::sync::Arc;

use crate::record::{OutRecord, Record};
use crate::worker::BoxError;

/// A partition of a topic.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TopicPartition {
    pub topic: Arc<str>,
    pub partition: u32,
}

/// Where a produced record landed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub topic: String,
    pub partition: u32,
    pub offset: u64,
}

/// A transport failure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// The transport was closed.
    #[error("the transport is closed")]
    Closed,
    /// Anything else the transport reports.
    #[error(transparent)]
    Other(BoxError),
}

/// A broker, or something that behaves like one.
pub trait Transport: Send + Sync + 'static {
    type Source: Source;
    type Sink: Sink;

    /// Joins consumer group `group` as a new member reading `topics`. Partitions are spread over the group's
    /// members; a member reads from its group's committed offsets (from the start when there are none).
    fn subscribe(&self, group: &str, topics: &[&str]) -> Result<Self::Source, TransportError>;

    /// A producer.
    fn sink(&self) -> Self::Sink;

    /// The producer for the outputs of `source`'s records. [`Runner`](crate::Runner) asks for it once per worker,
    /// right after [`subscribe`](Transport::subscribe). A transport whose members own a producer (exactly-once
    /// Kafka: one transaction holds a member's outputs and its offsets) returns that member's; the default is
    /// [`sink`](Transport::sink).
    fn sink_for(&self, _source: &Self::Source) -> Self::Sink {
        self.sink()
    }
}

/// One consumer-group member. Dropping it leaves the group: its partitions go to the other members, which resume
/// from the committed offsets, so uncommitted records are delivered again.
pub trait Source: Send + 'static {
    /// Waits for records of the assigned partitions and returns at most `max` of them, each partition's in offset
    /// order. Cancel-safe: records are handed out only when the future completes. Records are shared: a transport
    /// that keeps them (the in-memory log) hands out its own instead of copies.
    fn poll(
        &mut self,
        max: usize,
    ) -> impl Future<Output = Result<Vec<Arc<Record>>, TransportError>> + Send;

    /// Commits, for each partition, the offset of the next record to read.
    fn commit(
        &mut self,
        offsets: &[(TopicPartition, u64)],
    ) -> impl Future<Output = Result<(), TransportError>> + Send;

    /// The partitions currently assigned to this member.
    fn assignment(&self) -> Vec<TopicPartition>;

    /// The partitions this member lost since the last call, each once per loss (a partition lost and assigned
    /// again is reported, and its records come again from the committed offset). Every record of them handed out
    /// before this call is void: the caller must not start or commit those not started yet, and must forget what
    /// it knows of the partition (its last committed offset), since later records of it start a new ownership.
    /// Sources hand out no record of a new ownership while a loss is not taken yet. A source may also report a
    /// partition it keeps, as lost and regained at once, to void what it handed out and hand it out again: an
    /// exactly-once Kafka member does so after an aborted transaction (it rewinds to the last committed one, and
    /// only commits or aborts a transaction when nothing it handed out is still running). The default reports none.
    fn take_revoked(&mut self) -> Vec<TopicPartition> {
        Vec::new()
    }
}

/// A producer. Cheap to clone.
pub trait Sink: Clone + Send + Sync + 'static {
    /// What [`send`](Sink::send) returns: resolves with the record's delivery once it is durable, or with the
    /// error the producer gave up with.
    type Receipt: Future<Output = Result<Delivery, TransportError>> + Send + Unpin + 'static;

    /// Hands one record to the producer, partitioned by its key, and returns its receipt. Resolves as soon as the
    /// producer holds the record (it waits only while the producer's queue is full). Records sent one after
    /// another land on their partition in that order, so a caller may send the next before the last is durable.
    fn send(
        &self,
        record: OutRecord,
    ) -> impl Future<Output = Result<Self::Receipt, TransportError>> + Send;

    /// Produces one record and waits until it is durable.
    fn produce(
        &self,
        record: OutRecord,
    ) -> impl Future<Output = Result<Delivery, TransportError>> + Send {
        async move { self.send(record).await?.await }
    }

    /// Waits until every record produced so far is durable.
    fn flush(&self) -> impl Future<Output = Result<(), TransportError>> + Send;
}
