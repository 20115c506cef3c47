//! [`KafkaConfig`]: librdkafka properties shared by consumers and producers, Herald's own knobs, and the
//! `HERALD_KAFKA_*` environment mapping.

use std::collections::BTreeMap;
use std::time::Duration;

use rdkafka::ClientConfig;

use crate::KafkaError;

/// The environment variables' prefix: `HERALD_KAFKA_<KEY>` sets the librdkafka property `<key>`.
pub const ENV_PREFIX: &str = "HERALD_KAFKA_";

/// How Herald talks to Kafka: standard librdkafka properties (<https://github.com/confluentinc/librdkafka/blob/master/CONFIGURATION.md>)
/// applied to every consumer and producer, plus the transport's own settings.
///
/// Herald sets, and a property given here overrides (except `enable.auto.commit`, always `false`):
/// * consumers: `enable.auto.commit=false`, `enable.auto.offset.store=false`, `auto.offset.reset=earliest`;
/// * producers: `partitioner=murmur2_random` (keyed records land where Java clients put them), `linger.ms=0` (a record's commit waits for its outputs' deliveries; librdkafka still batches what queues up meanwhile),
///   `enable.idempotence=true`.
///
/// Setting `transactional.id` turns on exactly-once (see [`Kafka`](crate::Kafka)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KafkaConfig {
    properties: BTreeMap<String, String>,
    /// Records buffered per consumer before its partitions are paused.
    pub buffer: usize,
    /// How long a revocation waits for the records already handed to the worker to be committed.
    pub revoke_drain_timeout: Duration,
    /// At least once: how often the offsets the worker committed are sent to the broker (on revocation and close
    /// they are sent at once, synchronously).
    pub commit_interval: Duration,
    /// Exactly-once: how long a transaction stays open before the source stops handing out records so that it can
    /// commit.
    pub transaction_interval: Duration,
    /// Exactly-once: the timeout of `init_transactions`, `send_offsets_to_transaction` and `commit_transaction`.
    pub transaction_timeout: Duration,
}

impl KafkaConfig {
    /// A configuration for the cluster at `bootstrap_servers` (`host:port[,host:port...]`).
    pub fn new(bootstrap_servers: impl Into<String>) -> KafkaConfig {
        let mut properties = BTreeMap::new();
        properties.insert("bootstrap.servers".to_string(), bootstrap_servers.into());
        KafkaConfig {
            properties,
            buffer: 1_000,
            revoke_drain_timeout: Duration::from_secs(10),
            commit_interval: Duration::from_millis(100),
            transaction_interval: Duration::from_millis(100),
            transaction_timeout: Duration::from_secs(30),
        }
    }

    /// Reads the configuration from the environment: `HERALD_KAFKA_BOOTSTRAP_SERVERS` (required) and every other
    /// `HERALD_KAFKA_<KEY>` as the librdkafka property `<key>`, lower-cased with `_` read as `.` (`__` for a
    /// literal `_`): `HERALD_KAFKA_SECURITY_PROTOCOL=sasl_ssl` sets `security.protocol`.
    pub fn from_env() -> Result<KafkaConfig, KafkaError> {
        KafkaConfig::from_vars(std::env::vars())
    }

    /// [`KafkaConfig::from_env`] over the given variables.
    pub fn from_vars(
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<KafkaConfig, KafkaError> {
        let mut bootstrap = None;
        let mut rest = Vec::new();
        for (name, value) in vars {
            let Some(key) = name.strip_prefix(ENV_PREFIX) else {
                continue;
            };
            let key = property_of_env(key);
            if key == "bootstrap.servers" {
                bootstrap = Some(value);
            } else if !key.is_empty() {
                rest.push((key, value));
            }
        }
        let bootstrap = bootstrap.ok_or_else(|| {
            KafkaError::Config(format!("{ENV_PREFIX}BOOTSTRAP_SERVERS is not set"))
        })?;
        let mut config = KafkaConfig::new(bootstrap);
        for (k, v) in rest {
            config = config.set(k, v);
        }
        Ok(config)
    }

    /// Sets a librdkafka property.
    pub fn set(mut self, key: impl Into<String>, value: impl Into<String>) -> KafkaConfig {
        self.properties.insert(key.into(), value.into());
        self
    }

    /// A property's value.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.properties.get(key).map(String::as_str)
    }

    /// The properties set, Herald's defaults not included.
    pub fn properties(&self) -> impl Iterator<Item = (&str, &str)> {
        self.properties
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The `transactional.id` prefix when exactly-once is on.
    pub fn transactional_id(&self) -> Option<&str> {
        self.get("transactional.id")
    }

    /// Sets how many records a consumer buffers before it pauses its partitions.
    pub fn with_buffer(mut self, records: usize) -> KafkaConfig {
        self.buffer = records.max(1);
        self
    }

    /// Sets how long a revocation waits for in-flight records to be committed.
    pub fn with_revoke_drain_timeout(mut self, timeout: Duration) -> KafkaConfig {
        self.revoke_drain_timeout = timeout;
        self
    }

    /// Sets how often committed offsets are sent to the broker.
    pub fn with_commit_interval(mut self, interval: Duration) -> KafkaConfig {
        self.commit_interval = interval;
        self
    }

    /// Sets how long a transaction stays open (exactly-once).
    pub fn with_transaction_interval(mut self, interval: Duration) -> KafkaConfig {
        self.transaction_interval = interval;
        self
    }

    /// The librdkafka configuration of a consumer of `group`.
    pub(crate) fn consumer(&self, group: &str) -> ClientConfig {
        let mut c = ClientConfig::new();
        c.set("auto.offset.reset", "earliest");
        c.set("enable.partition.eof", "false");
        for (k, v) in &self.properties {
            if !is_producer_only(k) {
                c.set(k, v);
            }
        }
        c.set("group.id", group);
        c.set("enable.auto.commit", "false");
        c.set("enable.auto.offset.store", "false");
        c
    }

    /// The librdkafka configuration of a producer; `transactional_id` makes it transactional.
    pub(crate) fn producer(&self, transactional_id: Option<&str>) -> ClientConfig {
        let mut c = ClientConfig::new();
        c.set("partitioner", "murmur2_random");
        c.set("linger.ms", "0");
        c.set("enable.idempotence", "true");
        for (k, v) in &self.properties {
            if !is_consumer_only(k) && k != "transactional.id" {
                c.set(k, v);
            }
        }
        if let Some(id) = transactional_id {
            c.set("transactional.id", id);
            c.set(
                "transaction.timeout.ms",
                self.get("transaction.timeout.ms").unwrap_or("60000"),
            );
        }
        c
    }
}

/// `SECURITY_PROTOCOL` → `security.protocol`, `A__B` → `a_b`.
fn property_of_env(name: &str) -> String {
    name.to_ascii_lowercase()
        .split("__")
        .map(|part| part.replace('_', "."))
        .collect::<Vec<_>>()
        .join("_")
}

/// Properties librdkafka accepts only on consumers (it would warn about them on producers).
fn is_consumer_only(key: &str) -> bool {
    key.starts_with("group.")
        || key.starts_with("auto.")
        || key.starts_with("fetch.")
        || key.starts_with("enable.auto.")
        || matches!(
            key,
            "session.timeout.ms"
                | "heartbeat.interval.ms"
                | "max.poll.interval.ms"
                | "partition.assignment.strategy"
                | "isolation.level"
                | "queued.min.messages"
                | "queued.max.messages.kbytes"
                | "enable.partition.eof"
                | "check.crcs"
                | "coordinator.query.interval.ms"
                | "group.protocol"
        )
}

/// Properties librdkafka accepts only on producers.
fn is_producer_only(key: &str) -> bool {
    key.starts_with("transaction")
        || key.starts_with("queue.buffering.")
        || key.starts_with("batch.")
        || key.starts_with("message.send.")
        || key.starts_with("sticky.")
        || matches!(
            key,
            "acks"
                | "request.required.acks"
                | "linger.ms"
                | "partitioner"
                | "enable.idempotence"
                | "compression.type"
                | "compression.codec"
                | "compression.level"
                | "retries"
                | "message.timeout.ms"
                | "delivery.timeout.ms"
                | "max.in.flight"
                | "max.in.flight.requests.per.connection"
                | "retry.backoff.ms"
                | "request.timeout.ms"
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn environment_names_map_to_librdkafka_keys() {
        let config = KafkaConfig::from_vars(vars(&[
            ("HERALD_KAFKA_BOOTSTRAP_SERVERS", "k1:9092,k2:9092"),
            ("HERALD_KAFKA_SECURITY_PROTOCOL", "sasl_ssl"),
            ("HERALD_KAFKA_SASL_MECHANISMS", "PLAIN"),
            ("HERALD_KAFKA_WEIRD__NAME", "x"),
            ("PATH", "/bin"),
            ("HERALD_REGISTRY_URL", "http://r"),
        ]))
        .unwrap();
        assert_eq!(config.get("bootstrap.servers"), Some("k1:9092,k2:9092"));
        assert_eq!(config.get("security.protocol"), Some("sasl_ssl"));
        assert_eq!(config.get("sasl.mechanisms"), Some("PLAIN"));
        assert_eq!(config.get("weird_name"), Some("x"));
        assert_eq!(config.properties().count(), 4);
        assert_eq!(config.transactional_id(), None);
    }

    #[test]
    fn bootstrap_servers_are_required() {
        let err = KafkaConfig::from_vars(vars(&[("HERALD_KAFKA_ACKS", "all")])).unwrap_err();
        assert!(
            err.to_string().contains("HERALD_KAFKA_BOOTSTRAP_SERVERS"),
            "{err}"
        );
    }

    #[test]
    fn consumers_never_auto_commit_and_producers_partition_like_java() {
        let config = KafkaConfig::new("b:1")
            .set("enable.auto.commit", "true")
            .set("linger.ms", "7")
            .set("session.timeout.ms", "6000")
            .set("transactional.id", "tx");
        let consumer = config.consumer("g");
        assert_eq!(consumer.get("enable.auto.commit"), Some("false"));
        assert_eq!(consumer.get("group.id"), Some("g"));
        assert_eq!(consumer.get("session.timeout.ms"), Some("6000"));
        assert_eq!(consumer.get("linger.ms"), None);
        assert_eq!(consumer.get("transactional.id"), None);
        let producer = config.producer(None);
        assert_eq!(producer.get("partitioner"), Some("murmur2_random"));
        assert_eq!(producer.get("linger.ms"), Some("7"));
        assert_eq!(producer.get("session.timeout.ms"), None);
        assert_eq!(producer.get("transactional.id"), None);
        assert_eq!(
            config.producer(Some("tx-g-1")).get("transactional.id"),
            Some("tx-g-1")
        );
    }
}
