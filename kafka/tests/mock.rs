//! The Kafka transport against librdkafka's in-process mock cluster (the real Kafka protocol on localhost): keys and
//! headers, the example's workers end to end, redelivery after a crash, a rebalance in the middle of a run, a poison
//! record, an output the broker refuses (dead-lettered), backpressure, and exactly-once across an aborted transaction (rewound in place) and a fenced producer.

mod common;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use common::{Cluster, cluster, count_by_key, publish_orders, shop_cluster};
use herald::prost::Message;
use herald::{
    Bytes, DeadLetter, Headers, OutRecord, Publisher, Runner, Sink, Source, TopicPartition,
    Transport,
};
use herald_example_orders::payments::cards;
use herald_example_orders::workers::notifications_worker::NotificationsWorkerRouter;
use herald_example_orders::workers::orders_worker::OrdersWorkerRouter;
use herald_example_orders::workers::payments_worker::{PaymentsWorkerClient, PaymentsWorkerRouter};
use herald_example_orders::workers::shipping_worker::ShippingWorkerRouter;
use herald_example_orders::{Notifications, Orders, Payments, Shipping};
use herald_kafka::rdkafka::types::RDKafkaApiKey;
use herald_kafka::rdkafka::types::RDKafkaRespErr;
use herald_kafka::{Kafka, KafkaConfig};
use shop_events::shop::orders::v1::{OrderCancelled, OrderCompleted, OrderPlaced};
use shop_events::shop::payments::v1::PaymentCaptured;

const SETTLE: Duration = Duration::from_millis(500);

fn order(order_id: &str, amount_cents: u64, card: &str) -> OrderPlaced {
    OrderPlaced {
        order_id: order_id.into(),
        sku: "book".into(),
        amount_cents,
        card: card.into(),
    }
}

fn raw(topic: &str, key: &str, payload: &[u8]) -> OutRecord {
    OutRecord {
        topic: topic.into(),
        key: Some(Bytes::copy_from_slice(key.as_bytes())),
        headers: Headers::new(),
        payload: Bytes::copy_from_slice(payload),
        schema: None,
    }
}

/// Produces `n` records to `topic`: keys `k0`, `k1`, ... and payloads `[0]`, `[1]`, ...
async fn produce_numbered(kafka: &Kafka, topic: &str, n: u8) {
    for i in 0..n {
        kafka
            .sink()
            .produce(raw(topic, &format!("k{i}"), &[i]))
            .await
            .unwrap();
    }
}

/// Java's `Utils.murmur2`, written from the algorithm, for checking where keyed records land.
fn java_murmur2(data: &[u8]) -> i32 {
    const M: u32 = 0x5bd1_e995;
    let mut h: u32 = 0x9747_b28c ^ data.len() as u32;
    let mut chunks = data.chunks_exact(4);
    for c in &mut chunks {
        let mut k = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
        k = k.wrapping_mul(M);
        k ^= k >> 24;
        k = k.wrapping_mul(M);
        h = h.wrapping_mul(M) ^ k;
    }
    let rest = chunks.remainder();
    if rest.len() >= 3 {
        h ^= u32::from(rest[2]) << 16;
    }
    if rest.len() >= 2 {
        h ^= u32::from(rest[1]) << 8;
    }
    if !rest.is_empty() {
        h ^= u32::from(rest[0]);
        h = h.wrapping_mul(M);
    }
    h ^= h >> 13;
    h = h.wrapping_mul(M);
    h ^= h >> 15;
    h as i32
}

#[test]
fn the_java_murmur2_of_the_test_matches_kafkas_own_vectors() {
    for (key, expected) in [
        (&b"21"[..], -973_932_308),
        (b"foobar", -790_332_482),
        (b"a-little-bit-long-string", -985_981_536),
        (b"a-little-bit-longer-string", -1_486_304_829),
        (
            b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8",
            -58_897_971,
        ),
        (b"abc", 479_470_107),
    ] {
        assert_eq!(java_murmur2(key), expected);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keyed_records_land_where_java_clients_put_them_with_their_headers() {
    let c = cluster(&[("keys", 6)]);
    let kafka = Kafka::new(c.config()).unwrap();
    let sink = kafka.sink();
    for i in 0..60 {
        let key = format!("customer-{i}");
        let mut record = raw("keys", &key, format!("payload {i}").as_bytes());
        record.headers.insert("ce_type", "test.Thing");
        record.headers.insert("x-index", i.to_string());
        let delivery = sink.produce(record).await.unwrap();
        let java = (java_murmur2(key.as_bytes()) & 0x7fff_ffff) % 6;
        assert_eq!(delivery.partition, java as u32, "{key}");
        assert_eq!(delivery.topic, "keys");
    }
    sink.flush().await.unwrap();
    let records = c.read("keys", 60, Duration::ZERO, false);
    assert_eq!(records.len(), 60);
    for r in &records {
        let key = std::str::from_utf8(r.key().unwrap()).unwrap();
        let i: usize = key.strip_prefix("customer-").unwrap().parse().unwrap();
        assert_eq!(r.headers().get("x-index"), Some(i.to_string().as_str()));
        assert_eq!(r.event_type(), "test.Thing");
        assert_eq!(&r.payload()[..], format!("payload {i}").as_bytes());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_example_workers_run_end_to_end_on_kafka() {
    let c = shop_cluster();
    let kafka = Kafka::new(c.config()).unwrap();
    let running = Runner::new(kafka.clone())
        .worker(PaymentsWorkerRouter::new(Payments))
        .worker(ShippingWorkerRouter::new(Shipping::with_stock(&[(
            "lamp", 0,
        )])))
        .worker(OrdersWorkerRouter::new(Orders))
        .worker(NotificationsWorkerRouter::new(Notifications))
        .start()
        .unwrap();
    let checkout = PaymentsWorkerClient::new(kafka.sink());
    for (id, sku, amount, card) in [
        ("o-1", "book", 2_500, cards::OK),
        ("o-2", "lamp", 4_000, cards::OK),
        ("o-3", "sofa", 250_000, cards::OK),
        ("o-4", "book", 2_500, cards::FLAKY),
        ("o-5", "book", 2_500, cards::STOLEN),
    ] {
        checkout
            .order_placed(&OrderPlaced {
                order_id: id.into(),
                sku: sku.into(),
                amount_cents: amount,
                card: card.into(),
            })
            .await
            .unwrap();
    }

    let completed = c.read("orders.completed", 2, SETTLE, false);
    let mut ids: Vec<String> = completed
        .iter()
        .map(|r| OrderCompleted::decode(&r.payload()[..]).unwrap().order_id)
        .collect();
    ids.sort();
    assert_eq!(ids, ["o-1", "o-4"]);
    let cancelled = c.read("orders.cancelled", 1, SETTLE, false);
    assert_eq!(
        OrderCancelled::decode(&cancelled[0].payload()[..])
            .unwrap()
            .order_id,
        "o-3"
    );
    assert_eq!(c.read("shipping.delayed", 1, SETTLE, false).len(), 1);
    assert_eq!(c.read("notifications.sent", 3, SETTLE, false).len(), 3);
    let dead = c.read("payments.dlq", 1, SETTLE, false);
    let dead = DeadLetter::from_record(&dead[0]).unwrap();
    assert_eq!(dead.key.as_deref(), Some(&b"o-5"[..]));
    assert_eq!(dead.error_kind, "permanent");
    assert_eq!(dead.original_topic, "orders.placed");

    // Correlation ids travel through Kafka headers: o-1's completion carries its order's.
    let placed = c.read("orders.placed", 5, Duration::ZERO, false);
    let correlation_of = |records: &[herald::Record], key: &[u8]| {
        records
            .iter()
            .find(|r| r.key().map(|k| &k[..]) == Some(key))
            .and_then(|r| r.headers().get(herald::headers::CORRELATION_ID))
            .map(str::to_string)
    };
    assert!(correlation_of(&placed, b"o-1").is_some());
    assert_eq!(
        correlation_of(&placed, b"o-1"),
        correlation_of(&completed, b"o-1")
    );

    let report = running.shutdown().await.unwrap();
    let payments = report.worker("shop.workers.v1.PaymentsWorker").unwrap();
    assert_eq!(payments.processed, 4);
    assert_eq!(payments.dead_lettered, 1);
    assert_eq!(payments.retries, 1);
    // Everything the payments group read is committed.
    let committed = c.committed_total("payments", "orders.placed", 4);
    assert_eq!(committed, 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_that_crashes_before_committing_gets_its_records_redelivered() {
    let c = cluster(&[("in", 1)]);
    let kafka = Kafka::new(c.config()).unwrap();
    produce_numbered(&kafka, "in", 10).await;
    let tp = TopicPartition {
        topic: Arc::from("in"),
        partition: 0,
    };
    let mut first = kafka.subscribe("g", &["in"]).unwrap();
    let mut got = Vec::new();
    while got.len() < 10 {
        got.extend(first.poll(100).await.unwrap());
    }
    assert_eq!(
        got.iter().map(|r| r.offset()).collect::<Vec<_>>(),
        (0..10).collect::<Vec<_>>()
    );
    assert_eq!(first.assignment(), std::slice::from_ref(&tp));
    // Records 0..4 finished; 4..10 were running when the member died.
    first.commit(&[(tp.clone(), 4)]).await.unwrap();
    drop(first);

    let mut second = kafka.subscribe("g", &["in"]).unwrap();
    let again = second.poll(100).await.unwrap();
    assert_eq!(again[0].offset(), 4, "redelivery starts at the commit");
    assert_eq!(c.committed("g", "in", 1), [Some(4)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_reports_the_partitions_a_rebalance_takes_away() {
    let c = cluster(&[("in", 2)]);
    let kafka = Kafka::new(c.config()).unwrap();
    produce_numbered(&kafka, "in", 10).await;
    let mut first = kafka.subscribe("g", &["in"]).unwrap();
    let mut got = Vec::new();
    while got.len() < 10 {
        got.extend(first.poll(100).await.unwrap());
    }
    assert!(first.take_revoked().is_empty(), "nothing lost yet");
    let offsets: Vec<(TopicPartition, u64)> = [0, 1]
        .into_iter()
        .filter_map(|p| {
            let last = got
                .iter()
                .filter(|r| r.partition() == p)
                .map(|r| r.offset())
                .max()?;
            Some((
                TopicPartition {
                    topic: Arc::from("in"),
                    partition: p,
                },
                last + 1,
            ))
        })
        .collect();
    first.commit(&offsets).await.unwrap();

    // A second member joins: the group rebalances and the first member gives partitions up.
    let second = kafka.subscribe("g", &["in"]).unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let revoked = loop {
        let polled = tokio::time::timeout(Duration::from_millis(200), first.poll(100)).await;
        if let Ok(records) = polled {
            assert!(records.unwrap().is_empty(), "everything was read already");
        }
        let revoked = first.take_revoked();
        if !revoked.is_empty() {
            break revoked;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no revocation reported"
        );
    };
    assert!(
        revoked
            .iter()
            .all(|tp| &*tp.topic == "in" && tp.partition < 2)
    );
    assert!(
        first.take_revoked().is_empty(),
        "each loss is reported once"
    );
    drop((first, second));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_runner_that_crashes_mid_batch_loses_nothing() {
    let c = shop_cluster();
    let kafka = Kafka::new(c.config()).unwrap();
    publish_orders(&kafka, 200).await;
    let running = Runner::new(kafka.clone())
        .worker(PaymentsWorkerRouter::new(Payments))
        .start()
        .unwrap();
    // Crash once some outputs are out, whatever is in flight.
    c.read("payments.captured", 20, Duration::ZERO, false);
    running.abort().await;

    let running = Runner::new(kafka.clone())
        .worker(PaymentsWorkerRouter::new(Payments))
        .start()
        .unwrap();
    let captured = c.read("payments.captured", 200, SETTLE, false);
    let counts = count_by_key(&captured);
    assert_eq!(counts.len(), 200, "every order is captured");
    running.shutdown().await.unwrap();
    let committed = c.committed_total("payments", "orders.placed", 4);
    assert_eq!(committed, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_whose_output_the_broker_refuses_is_dead_lettered_and_the_worker_goes_on() {
    let c = shop_cluster();
    let kafka = Kafka::new(c.config()).unwrap();
    publish_orders(&kafka, 50).await;
    // The next produce request, the worker's first outputs, is refused for good (librdkafka does not retry it).
    c.mock.request_errors(
        RDKafkaApiKey::Produce,
        &[RDKafkaRespErr::RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE],
    );
    let running = Runner::new(kafka.clone())
        .worker(PaymentsWorkerRouter::new(Payments))
        .start()
        .unwrap();
    common::eventually("every order is committed", || {
        c.committed_total("payments", "orders.placed", 4) == 50
    })
    .await;
    let report = running.shutdown().await.expect("the worker went on");
    let w = report.worker("shop.workers.v1.PaymentsWorker").unwrap();
    let refused = usize::try_from(w.dead_lettered).unwrap();
    assert!(
        refused >= 1,
        "the refused request's orders are dead-lettered"
    );
    assert_eq!(w.processed + w.dead_lettered, 50, "{w:?}");

    let dead = c.read("payments.dlq", refused, SETTLE, false);
    assert_eq!(dead.len(), refused);
    let captured = c.read("payments.captured", 50 - refused, SETTLE, false);
    let mut keys = count_by_key(&captured);
    for d in &dead {
        let d = DeadLetter::from_record(d).unwrap();
        assert_eq!(d.error_kind, "delivery");
        assert!(d.error.to_lowercase().contains("too large"), "{}", d.error);
        let key = String::from_utf8(d.key.unwrap().to_vec()).unwrap();
        assert!(keys.insert(key, 1).is_none(), "dead-lettered and captured");
    }
    assert_eq!(keys.len(), 50, "every order is captured or dead-lettered");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rebalance_in_the_middle_loses_nothing() {
    let c = shop_cluster();
    let kafka = Kafka::new(c.config()).unwrap();
    publish_orders(&kafka, 150).await;
    let first = Runner::new(kafka.clone())
        .worker(PaymentsWorkerRouter::new(Payments))
        .start()
        .unwrap();
    c.read("payments.captured", 50, Duration::ZERO, false);
    // A second member joins: the partitions are spread over both.
    let second = Runner::new(kafka.clone())
        .worker(PaymentsWorkerRouter::new(Payments))
        .start()
        .unwrap();
    // The mock broker completes the rebalance within its session timeout minus a second.
    tokio::time::sleep(Duration::from_millis(4_500)).await;
    let publisher = Publisher::new(kafka.sink());
    for i in 150..300 {
        publisher
            .publish(&order(&format!("o-{i}"), 100, cards::OK))
            .await
            .unwrap();
    }
    let captured = c.read("payments.captured", 300, SETTLE, false);
    let counts = count_by_key(&captured);
    assert_eq!(counts.len(), 300, "every order is captured");
    let duplicates: usize = counts.values().map(|n| n - 1).sum();
    let a = first.shutdown().await.unwrap();
    let b = second.shutdown().await.unwrap();
    let (a, b) = (
        a.worker("shop.workers.v1.PaymentsWorker")
            .unwrap()
            .processed,
        b.worker("shop.workers.v1.PaymentsWorker")
            .unwrap()
            .processed,
    );
    assert!(a > 0 && b > 0, "both members worked: {a} + {b}");
    assert_eq!(a + b, 300 + duplicates as u64);
    // Records are redelivered only if their commit did not land before the partition moved (the mock broker
    // refuses commits while the group rebalances); never more than the records read before the rebalance.
    assert!(duplicates <= 150, "{duplicates} duplicates: {counts:?}");
    let committed = c.committed_total("payments", "orders.placed", 4);
    assert_eq!(committed, 300);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poison_record_lands_in_the_dead_letter_topic_with_its_headers() {
    let c = shop_cluster();
    let kafka = Kafka::new(c.config()).unwrap();
    let mut poison = raw("orders.placed", "bad", &[0x0a, 0xff]);
    poison
        .headers
        .insert("ce_type", "shop.orders.v1.OrderPlaced");
    poison.headers.insert("ce_id", "id-1");
    poison.headers.insert("x-tenant", "acme");
    kafka.sink().produce(poison).await.unwrap();
    let running = Runner::new(kafka.clone())
        .worker(PaymentsWorkerRouter::new(Payments))
        .start()
        .unwrap();
    let dead = c.read("payments.dlq", 1, SETTLE, false);
    assert_eq!(dead.len(), 1);
    let d = DeadLetter::from_record(&dead[0]).unwrap();
    assert_eq!(d.error_kind, "decode");
    assert_eq!(d.original_topic, "orders.placed");
    assert_eq!(d.original_offset, 0);
    assert_eq!(d.event_type, "shop.orders.v1.OrderPlaced");
    assert_eq!(d.key.as_deref(), Some(&b"bad"[..]));
    assert_eq!(&d.payload[..], &[0x0a, 0xff]);
    assert_eq!(d.headers.get("x-tenant"), Some("acme"));
    assert_eq!(d.headers.get("ce_id"), Some("id-1"));
    assert_eq!(d.worker, "shop.workers.v1.PaymentsWorker");
    let report = running.shutdown().await.unwrap();
    assert_eq!(
        report
            .worker("shop.workers.v1.PaymentsWorker")
            .unwrap()
            .dead_lettered,
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_worker_leaves_records_in_kafka_instead_of_buffering_everything() {
    let c = cluster(&[("in", 1)]);
    let kafka = Kafka::new(c.config().with_buffer(20)).unwrap();
    let sink = kafka.sink();
    for i in 0..2_000u32 {
        let record = raw("in", "k", &i.to_be_bytes());
        // Produce without waiting for each delivery.
        drop(tokio::spawn({
            let sink = sink.clone();
            async move { sink.produce(record).await }
        }));
    }
    sink.flush().await.unwrap();
    let mut source = kafka.subscribe("g", &["in"]).unwrap();
    let first = source.poll(1).await.unwrap();
    assert_eq!(first[0].offset(), 0);
    // The worker does not poll for a while: the source fills its buffer up to its capacity, and no further.
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let buffered = source.buffered();
    assert_eq!(buffered, 20, "buffered {buffered} records");
    // Resuming delivers everything, in order, without gaps.
    let mut next = 1;
    while next < 2_000 {
        for r in source.poll(500).await.unwrap() {
            assert_eq!(r.offset(), next);
            next += 1;
        }
    }
}

fn exactly_once(c: &Cluster) -> KafkaConfig {
    c.config()
        .set("transactional.id", "herald-test")
        .with_transaction_interval(Duration::ZERO)
}

// librdkafka's mock cluster speaks the transactional protocol but does not implement its effects (in 2.12.1's
// rdkafka_mock_handlers.c, EndTxn writes no commit/abort markers, Fetch reports no aborted transactions and
// TxnOffsetCommit stores nothing). So these tests check what the transport decides: which transactions commit or
// abort, that a transaction never commits with records in flight (the source refuses to, failing the member), that
// an abort rewinds the member in place to the last committed transaction (the offsets its committed transactions
// hold are read from the source, `KafkaSource::transaction_offsets`), and that a fenced member stops. What
// read_committed consumers see is Kafka's part.

/// Produces `n` records to `topic` (keys `k0`, `k1`, ...); returns how many landed in each of its `partitions`.
async fn produce_counted(kafka: &Kafka, topic: &str, n: u8, partitions: usize) -> Vec<u64> {
    let mut per_partition = vec![0; partitions];
    for i in 0..n {
        let delivery = kafka
            .sink()
            .produce(raw(topic, &format!("k{i}"), &[i]))
            .await
            .unwrap();
        per_partition[delivery.partition as usize] += 1;
    }
    per_partition
}

/// What a hand-driven exactly-once member did: every (partition, offset) it handled, in order, and the partitions
/// it was told were void.
#[derive(Debug, Default)]
struct Handled {
    records: Vec<(u32, u64)>,
    revoked: Vec<TopicPartition>,
}

/// Drives `source` like a worker, one output per record, `batch` records per poll, until its committed transactions
/// hold `ends` (one offset per partition of `in`). `between(n)` runs after the `n`th poll that handed out records.
async fn work_until_committed(
    source: &mut herald_kafka::KafkaSource,
    sink: &herald_kafka::KafkaSink,
    batch: usize,
    ends: &[u64],
    mut between: impl FnMut(usize),
) -> Result<Handled, herald::TransportError> {
    let expected: Vec<(TopicPartition, u64)> = ends
        .iter()
        .enumerate()
        .filter(|(_, end)| **end > 0)
        .map(|(p, end)| {
            (
                TopicPartition {
                    topic: Arc::from("in"),
                    partition: p as u32,
                },
                *end,
            )
        })
        .collect();
    let mut handled = Handled::default();
    let mut polls = 0;
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while source.transaction_offsets() != expected {
        assert!(
            std::time::Instant::now() < deadline,
            "not committed in 30 s: {:?} of {expected:?}",
            source.transaction_offsets()
        );
        let Ok(polled) = tokio::time::timeout(Duration::from_millis(200), source.poll(batch)).await
        else {
            continue;
        };
        let records = polled?;
        // The records of a poll are void if their partition was reported lost after it.
        let revoked = source.take_revoked();
        handled.revoked.extend(revoked.iter().cloned());
        let mut offsets: Vec<(TopicPartition, u64)> = Vec::new();
        for r in records {
            let tp = TopicPartition {
                topic: Arc::from(r.topic()),
                partition: r.partition(),
            };
            if revoked.contains(&tp) {
                continue;
            }
            handled.records.push((r.partition(), r.offset()));
            let key = std::str::from_utf8(r.key().unwrap()).unwrap();
            sink.produce(raw("out", key, r.payload())).await?;
            offsets.retain(|(t, _)| *t != tp);
            offsets.push((tp, r.offset() + 1));
        }
        if offsets.is_empty() {
            continue;
        }
        polls += 1;
        between(polls);
        source.commit(&offsets).await?;
    }
    Ok(handled)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_aborted_transaction_rewinds_the_member_in_place() {
    let c = cluster(&[("in", 2), ("out", 2)]);
    let plain = Kafka::new(c.config()).unwrap();
    let ends = produce_counted(&plain, "in", 20, 2).await;

    let kafka = Kafka::new(exactly_once(&c)).unwrap();
    let mut source = kafka.subscribe("g", &["in"]).unwrap();
    let sink = kafka.sink_for(&source);
    // A transaction per poll of 3 records; the third one fails to add its offsets (an abortable error).
    let handled = work_until_committed(&mut source, &sink, 3, &ends, |polls| {
        if polls == 3 {
            c.mock.request_errors(
                RDKafkaApiKey::AddOffsetsToTxn,
                &[RDKafkaRespErr::RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED],
            );
        }
    })
    .await
    .expect("the member rewinds instead of stopping");

    // The same member went on: one transaction aborted, the later ones committed, and they hold every input.
    let (committed, aborted) = kafka.transactions();
    assert_eq!(aborted, 1);
    assert!(committed >= 3, "{committed} transactions committed");
    let revoked: HashSet<u32> = handled.revoked.iter().map(|tp| tp.partition).collect();
    assert!(
        !revoked.is_empty(),
        "the aborted transaction's partitions were reported void"
    );
    let mut again = 0;
    for (p, end) in ends.iter().enumerate() {
        let seq: Vec<u64> = handled
            .records
            .iter()
            .filter(|(q, _)| *q as usize == p)
            .map(|(_, o)| *o)
            .collect();
        let Some(drop) = seq.windows(2).position(|w| w[1] <= w[0]) else {
            // Untouched by the abort: every record once, in order.
            assert!(!revoked.contains(&(p as u32)), "partition {p}: {seq:?}");
            assert_eq!(seq, (0..*end).collect::<Vec<_>>(), "partition {p}");
            continue;
        };
        // Rewound once, to the first record of it the aborted transaction held: the records up to the abort,
        // then again from there to the end.
        assert!(revoked.contains(&(p as u32)), "partition {p}: {seq:?}");
        let (before, after) = seq.split_at(drop + 1);
        assert_eq!(
            before,
            (0..before.len() as u64).collect::<Vec<_>>(),
            "partition {p}"
        );
        assert_eq!(after, (after[0]..*end).collect::<Vec<_>>(), "partition {p}");
        again += before.len() - after[0] as usize;
    }
    // The aborted transaction held the third poll: at most 3 records, each handed out twice.
    assert!(
        (1..=3).contains(&again),
        "{again} redelivered: {:?}",
        handled.records
    );
    assert_eq!(handled.records.len(), 20 + again);
    sink.flush().await.unwrap();
    drop(source);
    // Both tries wrote their outputs; Kafka hides the aborted ones from read_committed readers.
    let everything = c.read("out", 20 + again, Duration::ZERO, true);
    assert_eq!(everything.len(), 20 + again);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fenced_member_stops_and_a_new_one_resumes() {
    let c = cluster(&[("in", 2), ("out", 2)]);
    let plain = Kafka::new(c.config()).unwrap();
    let ends = produce_counted(&plain, "in", 20, 2).await;

    let kafka = Kafka::new(exactly_once(&c)).unwrap();
    let mut source = kafka.subscribe("g", &["in"]).unwrap();
    let sink = kafka.sink_for(&source);
    // Another producer with the member's transactional id started (a restarted process would), and the broker
    // answers the member's next transactional request as a fencing broker does. (The mock broker does not fence by
    // itself: it gives every InitProducerId a new producer id.) librdkafka treats it as fatal.
    c.mock.request_errors(
        RDKafkaApiKey::AddOffsetsToTxn,
        &[RDKafkaRespErr::RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH],
    );
    let mut records = Vec::new();
    while records.is_empty() {
        records = source.poll(100).await.unwrap();
    }
    let mut offsets: Vec<(TopicPartition, u64)> = Vec::new();
    let mut produced = Vec::new();
    for r in &records {
        let key = std::str::from_utf8(r.key().unwrap()).unwrap();
        produced.push(sink.produce(raw("out", key, r.payload())).await);
        let tp = TopicPartition {
            topic: Arc::from(r.topic()),
            partition: r.partition(),
        };
        offsets.retain(|(t, _)| *t != tp);
        offsets.push((tp, r.offset() + 1));
    }
    // Whatever the producer said of its outputs, the transaction cannot commit, and the member stops for good.
    let err = source
        .commit(&offsets)
        .await
        .expect_err("a fenced member cannot commit");
    assert!(err.to_string().contains("the member stops"), "{err}");
    let again = source.poll(100).await.expect_err("the member stopped");
    assert!(again.to_string().contains("the member stops"), "{again}");
    assert_eq!(kafka.transactions(), (0, 0), "nothing committed or aborted");
    assert!(produced.iter().all(Result::is_ok), "{produced:?}");
    drop(source);

    // A new member resumes from the group's committed offsets and commits everything.
    let retry = Kafka::new(exactly_once(&c)).unwrap();
    let mut source = retry.subscribe("g", &["in"]).unwrap();
    let sink = retry.sink_for(&source);
    let handled = work_until_committed(&mut source, &sink, 5, &ends, |_| {})
        .await
        .unwrap();
    assert_eq!(handled.records.len(), 20);
    assert_eq!(retry.transactions().1, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_payments_worker_rewinds_after_an_aborted_transaction_and_finishes() {
    let c = shop_cluster();
    let plain = Kafka::new(c.config()).unwrap();
    publish_orders(&plain, 300).await;
    // The third transaction fails to add its offsets (an abortable error); the ones around it succeed.
    c.mock.request_errors(
        RDKafkaApiKey::AddOffsetsToTxn,
        &[
            RDKafkaRespErr::RD_KAFKA_RESP_ERR_NO_ERROR,
            RDKafkaRespErr::RD_KAFKA_RESP_ERR_NO_ERROR,
            RDKafkaRespErr::RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED,
        ],
    );
    let kafka = Kafka::new(exactly_once(&c)).unwrap();
    let running = Runner::new(kafka.clone())
        .worker(PaymentsWorkerRouter::new(Payments))
        .start()
        .unwrap();
    // Every order is captured (the mock broker shows aborted outputs too: read them all, the second tries included).
    let mut expected = 300;
    loop {
        let captured = c.read("payments.captured", expected, Duration::ZERO, true);
        if count_by_key(&captured).len() == 300 {
            break;
        }
        expected = captured.len() + 1;
    }
    common::eventually("the worker commits after the abort", || {
        let (committed, aborted) = kafka.transactions();
        aborted == 1 && committed >= 3
    })
    .await;
    // The member did not stop: it handled the aborted transaction's records a second time.
    let report = running
        .shutdown()
        .await
        .expect("the member rewound in place");
    let w = report.worker("shop.workers.v1.PaymentsWorker").unwrap();
    assert!(w.processed > 300, "{} processed", w.processed);
    // One output per handling: the first tries (aborted, which the mock broker does not hide) and the second ones.
    let processed = usize::try_from(w.processed).unwrap();
    assert_eq!(
        c.read("payments.captured", processed, SETTLE, true).len(),
        processed
    );
    assert_eq!(
        w.revoked, 0,
        "no record was waiting when the transaction aborted"
    );
    assert_eq!(w.dead_lettered, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_member_gets_its_own_transactional_producer_whatever_the_order() {
    let c = cluster(&[("in", 2)]);
    let kafka = Kafka::new(exactly_once(&c)).unwrap();
    let a = kafka.subscribe("ga", &["in"]).unwrap();
    let b = kafka.subscribe("gb", &["in"]).unwrap();
    let a2 = kafka.subscribe("ga", &["in"]).unwrap();
    // Asked for in another order than the members were created in.
    let sinks = [
        kafka.sink_for(&a2),
        kafka.sink_for(&b),
        kafka.sink_for(&a),
        kafka.sink_for(&a2),
    ];
    let ids: Vec<Option<&str>> = sinks.iter().map(|s| s.transactional_id()).collect();
    assert_eq!(
        ids,
        [
            Some("herald-test-ga-2"),
            Some("herald-test-gb-1"),
            Some("herald-test-ga-1"),
            Some("herald-test-ga-2"),
        ]
    );
    // `sink()` never hands out a member's producer.
    assert_eq!(kafka.sink().transactional_id(), None);
    assert_eq!(
        kafka.sink_for(&a).transactional_id(),
        Some("herald-test-ga-1")
    );
    // Without exactly-once every member shares the plain producer.
    let plain = Kafka::new(c.config()).unwrap();
    let p = plain.subscribe("gp", &["in"]).unwrap();
    assert_eq!(plain.sink_for(&p).transactional_id(), None);
    drop((a, b, a2, p));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_payments_worker_commits_transactions_only_between_records() {
    let c = shop_cluster();
    let plain = Kafka::new(c.config()).unwrap();
    publish_orders(&plain, 300).await;
    // A transaction per batch of records: the source stops handing out records at once.
    let kafka = Kafka::new(exactly_once(&c)).unwrap();
    assert!(kafka.exactly_once());
    let running = Runner::new(kafka.clone())
        .worker(PaymentsWorkerRouter::new(Payments))
        .start()
        .unwrap();
    let captured = c.read("payments.captured", 300, SETTLE, true);
    let counts = count_by_key(&captured);
    assert_eq!(counts.len(), 300);
    assert!(counts.values().all(|n| *n == 1));
    let names: HashSet<String> = captured
        .iter()
        .map(|r| PaymentCaptured::decode(&r.payload()[..]).unwrap().order_id)
        .collect();
    assert_eq!(names.len(), 300);
    // A transaction that would have committed with records in flight fails the member, and shutdown reports it.
    running.shutdown().await.unwrap();
    let (committed, aborted) = kafka.transactions();
    assert!(committed >= 300 / 32, "{committed} transactions");
    assert_eq!(aborted, 0);
}
