//! Worker throughput on Kafka (librdkafka's in-process mock cluster): the generated payments worker run by the
//! `Runner` on `herald_kafka::Kafka` (consume, decode, dispatch, emit with CloudEvents headers, await delivery,
//! commit) against a bare rdkafka loop over the same records (poll, decode, encode, produce, flush, commit), in the
//! same process and run, alternating. Prints records per second of both and their ratio per round, then the median.
//!
//! `cargo bench -p herald-kafka --bench workers` (`HERALD_KAFKA_BENCH_RECORDS`, default 20000;
//! `HERALD_KAFKA_BENCH_ROUNDS`, default 3; `HERALD_KAFKA_BENCH_LINGER_MS`, both producers' `linger.ms`, default 0).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use herald::prost::Message as _;
use herald::{Record, Runner, Source, TopicPartition, Transport, TransportError};
use herald_example_orders::Payments;
use herald_example_orders::payments::cards;
use herald_example_orders::workers::payments_worker::PaymentsWorkerRouter;
use herald_kafka::rdkafka::config::ClientConfig;
use herald_kafka::rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use herald_kafka::rdkafka::message::{Header, Headers as _, Message, OwnedHeaders};
use herald_kafka::rdkafka::mocking::MockCluster;
use herald_kafka::rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use herald_kafka::rdkafka::{Offset, TopicPartitionList};
use herald_kafka::{Kafka, KafkaConfig, KafkaSink, KafkaSource};
use shop_events::shop::orders::v1::OrderPlaced;
use shop_events::shop::payments::v1::PaymentCaptured;

const PARTITIONS: i32 = 4;

/// When the measured member got its first record and when it had committed everything.
#[derive(Default)]
struct Clock {
    first: Mutex<Option<Instant>>,
    last: Mutex<Option<Instant>>,
    committed: AtomicU64,
}

/// A transport that times its sources.
#[derive(Clone)]
struct Timed {
    kafka: Kafka,
    clock: Arc<Clock>,
    total: u64,
}

struct TimedSource {
    inner: KafkaSource,
    clock: Arc<Clock>,
    total: u64,
    committed: std::collections::HashMap<TopicPartition, u64>,
    /// The first offset handed out per partition this round.
    base: std::collections::HashMap<TopicPartition, u64>,
}

impl Transport for Timed {
    type Source = TimedSource;
    type Sink = KafkaSink;

    fn subscribe(&self, group: &str, topics: &[&str]) -> Result<TimedSource, TransportError> {
        Ok(TimedSource {
            inner: self.kafka.subscribe(group, topics)?,
            clock: Arc::clone(&self.clock),
            total: self.total,
            committed: Default::default(),
            base: Default::default(),
        })
    }

    fn sink(&self) -> KafkaSink {
        self.kafka.sink()
    }
}

impl Source for TimedSource {
    async fn poll(&mut self, max: usize) -> Result<Vec<Arc<Record>>, TransportError> {
        let records = self.inner.poll(max).await?;
        for r in &records {
            let tp = TopicPartition {
                topic: r.topic().into(),
                partition: r.partition(),
            };
            self.base.entry(tp).or_insert(r.offset());
        }
        if !records.is_empty() {
            self.clock
                .first
                .lock()
                .unwrap()
                .get_or_insert_with(Instant::now);
        }
        Ok(records)
    }

    async fn commit(&mut self, offsets: &[(TopicPartition, u64)]) -> Result<(), TransportError> {
        self.inner.commit(offsets).await?;
        for (tp, o) in offsets {
            let base = self.base.get(tp).copied().unwrap_or(*o);
            self.committed.insert(tp.clone(), o - base);
        }
        let sum: u64 = self.committed.values().sum();
        let before = self.clock.committed.swap(sum, Ordering::AcqRel);
        if std::env::var("HERALD_KAFKA_BENCH_TRACE").is_ok() && sum / 500 != before / 500 {
            let first = *self.clock.first.lock().unwrap();
            eprintln!("herald: {sum} after {:?}", first.map(|f| f.elapsed()));
        }
        if sum >= self.total {
            self.clock
                .last
                .lock()
                .unwrap()
                .get_or_insert_with(Instant::now);
        }
        Ok(())
    }

    fn assignment(&self) -> Vec<TopicPartition> {
        self.inner.assignment()
    }
}

/// Both producers' `linger.ms` (`HERALD_KAFKA_BENCH_LINGER_MS`, default 0: Herald's default).
fn linger_ms() -> String {
    std::env::var("HERALD_KAFKA_BENCH_LINGER_MS").unwrap_or_else(|_| "0".into())
}

fn order(i: u64) -> OrderPlaced {
    OrderPlaced {
        order_id: format!("o-{}", i % 1_000),
        sku: "book".into(),
        amount_cents: 2_500,
        card: cards::OK.into(),
    }
}

/// Writes `n` orders with the headers the runtime's publisher writes.
async fn fill(kafka: &Kafka, n: u64) {
    let publisher = herald::Publisher::new(kafka.producer());
    let mut pending = tokio::task::JoinSet::new();
    for i in 0..n {
        let publisher = publisher.clone();
        pending.spawn(async move { publisher.publish(&order(i)).await.unwrap() });
        if pending.len() >= 1_000 {
            pending.join_next().await;
        }
    }
    while pending.join_next().await.is_some() {}
}

/// The Herald worker: records per second from its first record to its last commit.
async fn herald_round(kafka: &Kafka, n: u64) -> f64 {
    let clock = Arc::new(Clock::default());
    let timed = Timed {
        kafka: kafka.clone(),
        clock: Arc::clone(&clock),
        total: n,
    };
    let running = Runner::new(timed)
        .worker(PaymentsWorkerRouter::new(Payments))
        .start()
        .unwrap();
    while clock.last.lock().unwrap().is_none() {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    running.shutdown().await.unwrap();
    let first = clock.first.lock().unwrap().unwrap();
    let last = clock.last.lock().unwrap().unwrap();
    n as f64 / (last - first).as_secs_f64()
}

/// A bare rdkafka loop on its own thread: poll, decode, encode, produce; every batch (500 records, or whatever was
/// there), wait for the delivery reports, then commit.
fn bare_round(bootstrap: &str, group: &str, n: u64) -> f64 {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", group)
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", "earliest")
        .create()
        .unwrap();
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("partitioner", "murmur2_random")
        .set("linger.ms", linger_ms())
        .set("enable.idempotence", "true")
        .create()
        .unwrap();
    consumer.subscribe(&["orders.placed"]).unwrap();
    let mut first = None;
    let mut done = 0u64;
    let mut offsets: std::collections::HashMap<i32, i64> = Default::default();
    let mut batch = 0;
    while done < n {
        let polled = consumer.poll(Duration::from_millis(if batch > 0 { 0 } else { 100 }));
        let idle = polled.is_none();
        match polled {
            Some(Ok(m)) => {
                first.get_or_insert_with(Instant::now);
                let ev = OrderPlaced::decode(m.payload().unwrap_or_default()).unwrap();
                let out = PaymentCaptured {
                    order_id: ev.order_id,
                    sku: ev.sku,
                    amount_cents: ev.amount_cents,
                }
                .encode_to_vec();
                let ce_type = m
                    .headers()
                    .and_then(|h| h.iter().find(|h| h.key == "ce_id").and_then(|h| h.value))
                    .unwrap_or_default()
                    .to_vec();
                let headers = OwnedHeaders::new()
                    .insert(Header {
                        key: "ce_type",
                        value: Some("shop.payments.v1.PaymentCaptured"),
                    })
                    .insert(Header {
                        key: "herald-causation-id",
                        value: Some(&ce_type[..]),
                    });
                let mut record = BaseRecord::to("payments.captured")
                    .key(m.key().unwrap_or_default())
                    .payload(&out[..])
                    .headers(headers);
                loop {
                    match producer.send(record) {
                        Ok(()) => break,
                        Err((_, back)) => {
                            record = back;
                            producer.poll(Duration::from_millis(1));
                        }
                    }
                }
                producer.poll(Duration::ZERO);
                offsets.insert(m.partition(), m.offset() + 1);
                batch += 1;
            }
            Some(Err(e)) => panic!("{e}"),
            None => {}
        }
        if batch >= 500 || (batch > 0 && idle) {
            // Wait for every delivery report (rdkafka's flush() polls in 100 ms steps).
            while producer.in_flight_count() > 0 {
                producer.poll(Duration::from_micros(100));
            }
            let mut tpl = TopicPartitionList::new();
            for (p, o) in &offsets {
                tpl.add_partition_offset("orders.placed", *p, Offset::Offset(*o))
                    .unwrap();
            }
            consumer.commit(&tpl, CommitMode::Async).unwrap();
            done += batch;
            if std::env::var("HERALD_KAFKA_BENCH_TRACE").is_ok() {
                eprintln!(
                    "bare: {done} after {:?} (batch {batch})",
                    first.unwrap().elapsed()
                );
            }
            batch = 0;
        }
    }
    n as f64 / first.unwrap().elapsed().as_secs_f64()
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        println!("workers_on_kafka: benchmark");
        return;
    }
    let n: u64 = std::env::var("HERALD_KAFKA_BENCH_RECORDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let rounds: usize = std::env::var("HERALD_KAFKA_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mock = MockCluster::new(1).unwrap();
    for t in [
        "orders.placed",
        "payments.captured",
        "payments.declined",
        "payments.dlq",
    ] {
        mock.create_topic(t, PARTITIONS, 1).unwrap();
    }
    let bootstrap = mock.bootstrap_servers();
    let kafka = Kafka::new(
        KafkaConfig::new(bootstrap.clone())
            .set("linger.ms", linger_ms())
            .set("session.timeout.ms", "6000")
            .set("heartbeat.interval.ms", "100"),
    )
    .unwrap();
    println!(
        "workers on kafka (mock cluster, 1 broker, {PARTITIONS} partitions), {n} records per round"
    );
    let mut ratios = Vec::new();
    for round in 0..rounds {
        // Every round appends n orders; both groups (`bare`, and `payments`, the worker's) read exactly those.
        rt.block_on(fill(&kafka, n));
        let bare = bare_round(&bootstrap, "bare", n);
        let herald = rt.block_on(herald_round(&kafka, n));
        let ratio = herald / bare;
        println!(
            "round {round}: herald {herald:>9.0} rec/s   bare rdkafka {bare:>9.0} rec/s   ratio {ratio:.2}"
        );
        ratios.push(ratio);
    }
    ratios.sort_by(f64::total_cmp);
    println!("median ratio herald/bare: {:.2}", ratios[ratios.len() / 2]);
}
