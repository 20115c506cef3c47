//! Herald's Kafka transport on librdkafka (the `rdkafka` crate, with the bundled librdkafka built from source).
//!
//! [`Kafka`] implements [`herald::Transport`]: [`Kafka::subscribe`] joins a consumer group as a [`KafkaSource`]
//! (manual commits of exactly the offsets the worker finished, rebalances drained or abandoned, partitions paused
//! while the worker is busy), [`Kafka::sink`] is a [`KafkaSink`] (delivery reports, murmur2 partitioning by key,
//! headers). Setting `transactional.id` makes every member exactly-once: its outputs (through
//! [`Transport::sink_for`], the member's own producer) and its consumed offsets are committed in one Kafka
//! transaction.
//!
//! ```no_run
//! # async fn f<W: herald::Worker>(worker: W) -> Result<(), Box<dyn std::error::Error>> {
//! let kafka = herald_kafka::Kafka::from_env()?; // HERALD_KAFKA_BOOTSTRAP_SERVERS=localhost:9092
//! herald::Runner::new(kafka).worker(worker).run_until_signal().await?;
//! # Ok(()) }
//! ```

mod config;
mod env;
mod sink;
mod source;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use herald::{Transport, TransportError};

pub use config::{ENV_PREFIX, KafkaConfig};
pub use env::{
    KafkaTransport, KafkaTransportSink, KafkaTransportSource, REGISTRY_AUTO_REGISTER,
    REGISTRY_PASSWORD, REGISTRY_SUBJECTS, REGISTRY_URL, REGISTRY_USERNAME, from_env, from_vars,
};
pub use rdkafka;
pub use sink::{KafkaReceipt, KafkaSink};
pub use source::KafkaSource;

/// A Kafka transport failure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KafkaError {
    /// A configuration value is missing or wrong.
    #[error("kafka configuration: {0}")]
    Config(String),
    /// librdkafka reported an error.
    #[error("kafka: {0}")]
    Client(#[from] rdkafka::error::KafkaError),
    /// An exactly-once transaction failed fatally (the producer was fenced or failed, or the member could not
    /// rewind after an abort): the member stops.
    #[error("kafka transaction: {0}")]
    Transaction(String),
    /// The producer was closed before it reported the delivery.
    #[error("the kafka producer was closed")]
    Closed,
}

/// librdkafka's log lines and global errors, as `tracing` events (target `librdkafka`).
pub(crate) fn log(level: rdkafka::config::RDKafkaLogLevel, facility: &str, message: &str) {
    use rdkafka::config::RDKafkaLogLevel as L;
    match level {
        L::Emerg | L::Alert | L::Critical | L::Error => {
            tracing::error!(target: "librdkafka", "{facility} {message}");
        }
        L::Warning => tracing::warn!(target: "librdkafka", "{facility} {message}"),
        L::Notice | L::Info => tracing::info!(target: "librdkafka", "{facility} {message}"),
        L::Debug => tracing::debug!(target: "librdkafka", "{facility} {message}"),
    }
}

impl KafkaError {
    pub(crate) fn into_transport(self) -> TransportError {
        TransportError::Other(Box::new(self))
    }
}

/// A Kafka cluster as a Herald transport. Clones share the producer.
///
/// Exactly-once (opt-in, `transactional.id=<prefix>`): every [`subscribe`](Kafka::subscribe) creates a
/// transactional producer `<prefix>-<group>-<n>` (`n` counts this transport's members of the group, so a restarted
/// process fences its predecessor), owned by the member: [`sink_for`](Transport::sink_for) returns it (and
/// [`herald::Runner`] asks for it per worker), whatever the order members are created in; [`sink`](Kafka::sink)
/// is always the shared plain producer. Each transaction holds exactly
/// the outputs of the offsets it commits: the source stops handing out records when a transaction is due
/// ([`KafkaConfig::transaction_interval`]), waits until the worker committed everything it was given, then sends
/// the offsets to the transaction and commits it. A failed transaction is aborted and the member rewinds in place:
/// the records of the aborted transaction are reported lost and regained ([`herald::Source::take_revoked`]) and
/// handed out again from the last committed transaction, in a new one (see [`KafkaSource`]). Only a producer that is
/// fenced or failed fatally stops the member with an error; a new member resumes from the last committed
/// transaction.
#[derive(Clone)]
pub struct Kafka {
    inner: Arc<Inner>,
}

struct Inner {
    config: KafkaConfig,
    sink: KafkaSink,
    members: Mutex<HashMap<String, u32>>,
    txn_stats: Arc<source::TxnStats>,
}

impl std::fmt::Debug for Kafka {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kafka")
            .field(
                "bootstrap.servers",
                &self.inner.config.get("bootstrap.servers"),
            )
            .field("exactly_once", &self.exactly_once())
            .finish_non_exhaustive()
    }
}

impl Kafka {
    /// A transport for the cluster `config` describes. Creates the shared producer.
    pub fn new(config: KafkaConfig) -> Result<Kafka, KafkaError> {
        let sink = KafkaSink::from_config(&config)?;
        Ok(Kafka {
            inner: Arc::new(Inner {
                config,
                sink,
                members: Mutex::new(HashMap::new()),
                txn_stats: Arc::default(),
            }),
        })
    }

    /// A transport configured from `HERALD_KAFKA_*` (see [`KafkaConfig::from_env`]).
    pub fn from_env() -> Result<Kafka, KafkaError> {
        Kafka::new(KafkaConfig::from_env()?)
    }

    /// The configuration.
    pub fn config(&self) -> &KafkaConfig {
        &self.inner.config
    }

    /// Whether members are exactly-once (`transactional.id` is set).
    pub fn exactly_once(&self) -> bool {
        self.inner.config.transactional_id().is_some()
    }

    /// Exactly-once: the transactions this transport's members committed and aborted so far.
    pub fn transactions(&self) -> (u64, u64) {
        let stats = &self.inner.txn_stats;
        (
            stats.committed.load(std::sync::atomic::Ordering::Relaxed),
            stats.aborted.load(std::sync::atomic::Ordering::Relaxed),
        )
    }

    /// The shared plain producer, whatever the mode (for publishers).
    pub fn producer(&self) -> KafkaSink {
        self.inner.sink.clone()
    }

    /// Joins `group` as a new member; see [`Transport::subscribe`].
    pub fn member(&self, group: &str, topics: &[&str]) -> Result<KafkaSource, KafkaError> {
        let config = &self.inner.config;
        let Some(prefix) = config.transactional_id() else {
            return KafkaSource::new(config, group, topics, None);
        };
        let n = {
            let mut members = self
                .inner
                .members
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let n = members.entry(group.to_string()).or_insert(0);
            *n += 1;
            *n
        };
        let id = format!("{prefix}-{group}-{n}");
        let (producer, flight) = sink::producer(&config.producer(Some(&id)))?;
        let txn_sink =
            KafkaSink::new(Arc::clone(&producer), Arc::clone(&flight)).transactional(&id);
        let txn = source::Txn::new(producer, flight, Arc::clone(&self.inner.txn_stats));
        let mut source = KafkaSource::new(config, group, topics, Some(txn))?;
        source.txn_sink = Some(txn_sink);
        Ok(source)
    }
}

impl Transport for Kafka {
    type Source = KafkaSource;
    type Sink = KafkaSink;

    fn subscribe(&self, group: &str, topics: &[&str]) -> Result<KafkaSource, TransportError> {
        self.member(group, topics)
            .map_err(KafkaError::into_transport)
    }

    /// The shared plain producer.
    fn sink(&self) -> KafkaSink {
        self.inner.sink.clone()
    }

    /// With exactly-once, the member's transactional producer; otherwise the shared one.
    fn sink_for(&self, source: &KafkaSource) -> KafkaSink {
        source
            .transactional_sink()
            .cloned()
            .unwrap_or_else(|| self.inner.sink.clone())
    }
}
