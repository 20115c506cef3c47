//! The example's workers on Kafka (the mock cluster) through the Confluent wire format, against a Herald registry
//! server started in this process: the transport comes from environment-style variables, as `from_env` reads them.

mod common;

use std::time::Duration;

use common::shop_cluster;
use herald::confluent::{RegistryClient, RegistryConfig};
use herald::prost::Message as _;
use herald::{Bytes, DeadLetter, Event, Headers, OutRecord, Runner, Sink, Transport, wire};
use herald_e2e::Registry;
use herald_example_orders::payments::cards;
use herald_example_orders::workers::notifications_worker::NotificationsWorkerRouter;
use herald_example_orders::workers::orders_worker::OrdersWorkerRouter;
use herald_example_orders::workers::payments_worker::{PaymentsWorkerClient, PaymentsWorkerRouter};
use herald_example_orders::workers::shipping_worker::ShippingWorkerRouter;
use herald_example_orders::{Notifications, Orders, Payments, Shipping};
use herald_kafka::{KafkaTransport, from_vars};
use shop_events::shop::orders::v1::{OrderCompleted, OrderPlaced};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_example_runs_on_kafka_framed_through_a_registry() {
    let c = shop_cluster();
    let registry = Registry::start().await;
    let vars = [
        ("HERALD_KAFKA_BOOTSTRAP_SERVERS", c.bootstrap.as_str()),
        ("HERALD_KAFKA_SESSION_TIMEOUT_MS", "6000"),
        ("HERALD_KAFKA_HEARTBEAT_INTERVAL_MS", "100"),
        ("HERALD_REGISTRY_URL", registry.url.as_str()),
        ("HERALD_REGISTRY_AUTO_REGISTER", "true"),
    ];
    let transport = from_vars(vars.iter().map(|(k, v)| (k.to_string(), v.to_string()))).unwrap();
    assert!(matches!(transport, KafkaTransport::Registry(_)));
    // The one line that differs from the in-memory run: the transport.
    let running = Runner::new(transport.clone())
        .worker(PaymentsWorkerRouter::new(Payments))
        .worker(ShippingWorkerRouter::new(Shipping::with_stock(&[])))
        .worker(OrdersWorkerRouter::new(Orders))
        .worker(NotificationsWorkerRouter::new(Notifications))
        .start()
        .unwrap();
    let checkout = PaymentsWorkerClient::new(transport.sink());
    for (id, card) in [("o-1", cards::OK), ("o-2", cards::STOLEN)] {
        checkout
            .order_placed(&OrderPlaced {
                order_id: id.into(),
                sku: "book".into(),
                amount_cents: 2_500,
                card: card.into(),
            })
            .await
            .unwrap();
    }
    // Not a frame: dead-lettered at once, with its original bytes.
    let plain = transport.kafka().producer();
    plain
        .produce(OutRecord {
            topic: "orders.placed".into(),
            key: Some(Bytes::from_static(b"garbage")),
            headers: Headers::new(),
            payload: Bytes::from_static(b"\x01not a frame"),
            schema: None,
        })
        .await
        .unwrap();

    // On the wire, outputs are Confluent frames whose schema id the registry knows.
    let completed = c.read("orders.completed", 1, Duration::from_millis(300), false);
    assert_eq!(completed.len(), 1);
    let frame = wire::decode(completed[0].payload()).unwrap();
    assert_eq!(frame.indexes, OrderCompleted::SCHEMA.message_index);
    let done = OrderCompleted::decode(&frame.payload[..]).unwrap();
    assert_eq!(done.order_id, "o-1");
    let client = RegistryClient::new(RegistryConfig::new(&registry.url)).unwrap();
    let schema = client.schema(frame.schema_id).await.unwrap();
    let descriptor = schema.descriptor.as_ref().expect("format=serialized");
    assert_eq!(descriptor.package(), "shop.orders.v1");

    let dead = c.read("payments.dlq", 2, Duration::from_millis(300), false);
    let mut kinds: Vec<(String, String)> = dead
        .iter()
        .map(|r| {
            let d = DeadLetter::from_record(r).unwrap();
            (
                String::from_utf8_lossy(d.key.as_deref().unwrap_or_default()).into_owned(),
                d.error_kind,
            )
        })
        .collect();
    kinds.sort();
    assert_eq!(
        kinds,
        [
            ("garbage".to_string(), "decode".to_string()),
            ("o-2".to_string(), "permanent".to_string())
        ]
    );
    let garbage = dead
        .iter()
        .find(|r| r.key().map(|k| &k[..]) == Some(&b"garbage"[..]))
        .unwrap();
    assert_eq!(&garbage.payload()[..], b"\x01not a frame");
    running.shutdown().await.unwrap();
    registry.stop().await;
}
