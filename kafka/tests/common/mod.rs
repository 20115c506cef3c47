//! Shared helpers of the mock-cluster tests: a cluster with topics, a fast-rebalancing configuration, and readers.

#![allow(dead_code)]

use std::collections::HashMap;
use std::time::{Duration, Instant};

use herald::{Bytes, Headers, Record};
use herald_kafka::KafkaConfig;
use herald_kafka::rdkafka::consumer::{BaseConsumer, Consumer};
use herald_kafka::rdkafka::message::{Headers as _, Message};
use herald_kafka::rdkafka::mocking::MockCluster;
use herald_kafka::rdkafka::producer::DefaultProducerContext;
use herald_kafka::rdkafka::{ClientConfig, Offset, TopicPartitionList};

/// An in-process Kafka cluster (librdkafka's mock brokers, the real protocol on localhost).
pub struct Cluster {
    pub mock: MockCluster<'static, DefaultProducerContext>,
    pub bootstrap: String,
}

/// Logs to the test output when `HERALD_TEST_LOG` is set (`debug`, `info`, ...).
pub fn logs() {
    if let Ok(level) = std::env::var("HERALD_TEST_LOG") {
        let level = level.parse().unwrap_or(tracing::Level::DEBUG);
        let _ = tracing_subscriber::fmt()
            .with_max_level(level)
            .with_test_writer()
            .try_init();
    }
}

/// A one-broker cluster with `topics` (name, partitions).
pub fn cluster(topics: &[(&str, i32)]) -> Cluster {
    logs();
    let mock = MockCluster::new(3).expect("mock cluster");
    for (topic, partitions) in topics {
        mock.create_topic(topic, *partitions, 1).expect("topic");
    }
    let bootstrap = mock.bootstrap_servers();
    Cluster { mock, bootstrap }
}

/// The shop's topics, 4 partitions each.
pub const SHOP_TOPICS: &[&str] = &[
    "orders.placed",
    "payments.captured",
    "payments.declined",
    "payments.dlq",
    "shipping.shipped",
    "shipping.delayed",
    "shipping.dlq",
    "orders.completed",
    "orders.cancelled",
    "notifications.sent",
];

pub fn shop_cluster() -> Cluster {
    let topics: Vec<(&str, i32)> = SHOP_TOPICS.iter().map(|t| (*t, 4)).collect();
    cluster(&topics)
}

impl Cluster {
    /// A transport configuration with short group timers, so rebalances take a fraction of a second.
    pub fn config(&self) -> KafkaConfig {
        let mut config = KafkaConfig::new(self.bootstrap.clone());
        if let Ok(debug) = std::env::var("HERALD_TEST_KAFKA_DEBUG") {
            config = config.set("debug", debug);
        }
        config
            .set("session.timeout.ms", "4000")
            .set("heartbeat.interval.ms", "100")
            .set("topic.metadata.refresh.interval.ms", "1000")
            .with_revoke_drain_timeout(Duration::from_secs(5))
    }

    /// Reads every record of `topic` (`read_committed` unless `uncommitted`) until `expected` arrived, then for
    /// `settle` more, so that extra records would be seen too. Panics if `expected` do not arrive in 30 s.
    pub fn read(
        &self,
        topic: &str,
        expected: usize,
        settle: Duration,
        uncommitted: bool,
    ) -> Vec<Record> {
        let consumer: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", &self.bootstrap)
            .set(
                "isolation.level",
                if uncommitted {
                    "read_uncommitted"
                } else {
                    "read_committed"
                },
            )
            .set("enable.partition.eof", "false")
            .set("enable.auto.commit", "false")
            .set("group.id", format!("reader-{}", herald::headers::new_id()))
            .create()
            .expect("reader");
        let metadata = consumer
            .fetch_metadata(Some(topic), Duration::from_secs(5))
            .expect("metadata");
        let mut tpl = TopicPartitionList::new();
        for p in metadata.topics()[0].partitions() {
            tpl.add_partition_offset(topic, p.id(), Offset::Beginning)
                .unwrap();
        }
        consumer.assign(&tpl).unwrap();
        let mut out = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut settled: Option<Instant> = None;
        loop {
            let now = Instant::now();
            if out.len() >= expected {
                let until = *settled.get_or_insert(now + settle);
                if now >= until {
                    break;
                }
            } else if now >= deadline {
                panic!("{topic}: {} of {expected} records after 30 s", out.len());
            }
            if let Some(m) = consumer.poll(Duration::from_millis(50)) {
                let m = m.expect("read");
                let mut headers = Headers::new();
                if let Some(hs) = m.headers() {
                    for h in hs.iter() {
                        headers.insert(h.key, String::from_utf8_lossy(h.value.unwrap_or_default()));
                    }
                }
                out.push(Record::new(
                    m.topic().into(),
                    m.partition() as u32,
                    m.offset() as u64,
                    m.key().map(Bytes::copy_from_slice),
                    headers,
                    m.payload().map(Bytes::copy_from_slice).unwrap_or_default(),
                ));
            }
        }
        out
    }

    /// The committed offsets of `group` on `topic`'s `partitions` partitions, summed (partitions without one count 0).
    pub fn committed_total(&self, group: &str, topic: &str, partitions: i32) -> i64 {
        self.committed(group, topic, partitions)
            .into_iter()
            .flatten()
            .sum()
    }

    /// The offsets `group` committed for `topic`'s partitions (`None` where it committed nothing).
    pub fn committed(&self, group: &str, topic: &str, partitions: i32) -> Vec<Option<i64>> {
        let consumer: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", &self.bootstrap)
            .set("group.id", group)
            .create()
            .expect("offsets reader");
        let mut tpl = TopicPartitionList::new();
        for p in 0..partitions {
            tpl.add_partition(topic, p);
        }
        let committed = consumer
            .committed_offsets(tpl, Duration::from_secs(5))
            .expect("committed offsets");
        (0..partitions)
            .map(|p| {
                committed
                    .find_partition(topic, p)
                    .and_then(|e| e.offset().to_raw())
                    .filter(|o| *o >= 0)
            })
            .collect()
    }
}

/// Records per key.
pub fn count_by_key(records: &[Record]) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for r in records {
        let key = r
            .key()
            .map(|k| String::from_utf8_lossy(k).into_owned())
            .unwrap_or_default();
        *counts.entry(key).or_insert(0) += 1;
    }
    counts
}

/// Waits (polling) until `f` holds, up to 30 s.
pub async fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Publishes `n` accepted orders `o-0`, `o-1`, ... (100 cents each) through `kafka`'s shared producer.
pub async fn publish_orders(kafka: &herald_kafka::Kafka, n: usize) {
    use herald::Transport;
    let publisher = herald::Publisher::new(kafka.sink());
    for i in 0..n {
        let order = shop_events::shop::orders::v1::OrderPlaced {
            order_id: format!("o-{i}"),
            sku: "book".into(),
            amount_cents: 100,
            card: herald_example_orders::payments::cards::OK.into(),
        };
        publisher.publish(&order).await.unwrap();
    }
}
