//! The order flow over `Confluent<memory::Bus>` against a real Herald registry started in this process: events are
//! registered (with their imports as references), framed in the Confluent wire format, unframed, routed and
//! handled; records that cannot be unframed, or whose schema belongs to another subject, are dead-lettered with
//! their original bytes.

use std::time::Duration;

use herald::confluent::{Confluent, RegistryClient, RegistryConfig};
use herald::memory::Bus;
use herald::prost::Message as _;
use herald::{Bytes, DeadLetter, Event, Headers, OutRecord, Runner, headers as h, wire};
use herald_e2e::Registry;
use herald_example_orders::payments::cards;
use herald_example_orders::workers::notifications_worker::NotificationsWorkerRouter;
use herald_example_orders::workers::orders_worker::OrdersWorkerRouter;
use herald_example_orders::workers::payments_worker::{PaymentsWorkerClient, PaymentsWorkerRouter};
use herald_example_orders::workers::shipping_worker::ShippingWorkerRouter;
use herald_example_orders::{Notifications, Orders, Payments, Shipping};
use shop_events::shop::orders::v1::{OrderCompleted, OrderPlaced};
use shop_events::shop::payments::v1::PaymentCaptured;

fn order(order_id: &str, card: &str) -> OrderPlaced {
    OrderPlaced {
        order_id: order_id.into(),
        sku: "book".into(),
        amount_cents: 2_500,
        card: card.into(),
    }
}

fn raw(topic: &str, key: &str, payload: Vec<u8>) -> OutRecord {
    OutRecord {
        topic: topic.into(),
        key: Some(Bytes::copy_from_slice(key.as_bytes())),
        headers: Headers::new(),
        payload: payload.into(),
        schema: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_order_flow_runs_framed_through_a_registry() {
    let registry = Registry::start().await;
    let client = RegistryClient::new(RegistryConfig::new(&registry.url)).unwrap();
    let bus = Bus::new();
    let transport = Confluent::new(bus.clone(), client.clone()).auto_register(true);
    let running = Runner::new(transport.clone())
        .without_backoff()
        .worker(PaymentsWorkerRouter::new(Payments))
        .worker(ShippingWorkerRouter::new(Shipping::with_stock(&[])))
        .worker(OrdersWorkerRouter::new(Orders))
        .worker(NotificationsWorkerRouter::new(Notifications))
        .start()
        .unwrap();

    // Through the generated client: framed and registered on the way out.
    let checkout = PaymentsWorkerClient::new(transport.sink());
    checkout
        .order_placed(&order("o-1", cards::OK))
        .await
        .unwrap();
    checkout
        .order_placed(&order("o-5", cards::STOLEN))
        .await
        .unwrap();

    // As another language's producer would write it: framed, without CloudEvents headers.
    let placed_id = client
        .lookup("orders.placed-value", OrderPlaced::SCHEMA.file)
        .await
        .unwrap();
    let bare = wire::encode(
        placed_id,
        OrderPlaced::SCHEMA.message_index,
        &order("o-7", cards::OK).encode_to_vec(),
    );
    bus.append(raw("orders.placed", "o-7", bare));

    // Not a frame at all.
    bus.append(raw("orders.placed", "garbage", b"\x01not a frame".to_vec()));

    // A valid frame whose schema id belongs to another subject.
    let captured_id = client
        .register("payments.captured-value", PaymentCaptured::SCHEMA.file)
        .await
        .unwrap();
    assert_ne!(captured_id, placed_id);
    let captured = PaymentCaptured {
        order_id: "o-9".into(),
        ..Default::default()
    };
    let foreign = wire::encode(
        captured_id,
        PaymentCaptured::SCHEMA.message_index,
        &captured.encode_to_vec(),
    );
    bus.append(raw("orders.placed", "foreign", foreign.clone()));

    tokio::time::timeout(
        Duration::from_secs(60),
        bus.wait_caught_up(&["payments", "shipping", "orders", "notifications"]),
    )
    .await
    .expect("the flow goes quiet");
    let report = running.shutdown().await.unwrap();
    assert_eq!(
        report
            .worker("shop.workers.v1.PaymentsWorker")
            .unwrap()
            .dead_lettered,
        3
    );

    // Outputs are framed with their schema's id and message index.
    let mut completed = Vec::new();
    for r in bus.records("orders.completed") {
        let frame = wire::decode(r.payload()).unwrap();
        assert_eq!(frame.indexes, OrderCompleted::SCHEMA.message_index);
        assert_eq!(frame.indexes, [2]);
        assert_eq!(r.event_type(), "shop.orders.v1.OrderCompleted");
        let schema = client.schema(frame.schema_id).await.unwrap();
        let descriptor = schema.descriptor.as_ref().expect("format=serialized");
        assert_eq!(descriptor.package(), "shop.orders.v1");
        // Registered with its import as a reference, under the import path.
        assert!(
            schema
                .references
                .iter()
                .any(|r| r.name == "herald/options.proto" && r.subject == "herald/options.proto"),
            "{:?}",
            schema.references
        );
        assert!(
            client
                .is_registered_under(frame.schema_id, "orders.completed-value")
                .await
                .unwrap()
        );
        completed.push(OrderCompleted::decode(frame.payload).unwrap().order_id);
    }
    completed.sort();
    assert_eq!(completed, ["o-1", "o-7"]);

    // Dead letters keep the original (framed) bytes and say why.
    let dead: Vec<DeadLetter> = bus
        .records("payments.dlq")
        .iter()
        .map(|r| DeadLetter::from_record(r).unwrap())
        .collect();
    let by_key = |k: &str| {
        dead.iter()
            .find(|d| d.key.as_deref() == Some(k.as_bytes()))
            .unwrap_or_else(|| panic!("no dead letter for {k}: {dead:?}"))
    };
    let stolen = by_key("o-5");
    assert_eq!(stolen.error_kind, "permanent");
    let frame = wire::decode(&stolen.payload).unwrap();
    assert_eq!(frame.schema_id, placed_id);
    assert_eq!(OrderPlaced::decode(frame.payload).unwrap().order_id, "o-5");

    let garbage = by_key("garbage");
    assert_eq!(garbage.error_kind, "decode");
    assert_eq!(garbage.attempts, 1);
    assert_eq!(&garbage.payload[..], b"\x01not a frame");
    assert!(
        garbage.error.contains("wrong magic byte"),
        "{}",
        garbage.error
    );
    assert_eq!(
        garbage.headers.get(h::FRAME_ERROR),
        Some(garbage.error.as_str())
    );

    let foreign_dead = by_key("foreign");
    assert_eq!(foreign_dead.error_kind, "decode");
    assert_eq!(&foreign_dead.payload[..], &foreign[..]);
    assert_eq!(
        foreign_dead.error,
        format!("schema id {captured_id} is not registered under subject `orders.placed-value`")
    );
    registry.stop().await;
}

#[tokio::test]
async fn lookups_without_registration_fail_until_the_schema_is_registered() {
    let registry = Registry::start().await;
    let client = RegistryClient::new(RegistryConfig::new(&registry.url)).unwrap();
    let bus = Bus::new();
    let transport = Confluent::new(bus.clone(), client.clone());
    let checkout = PaymentsWorkerClient::new(transport.sink());
    let err = checkout
        .order_placed(&order("o-1", cards::OK))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("404"), "{err}");
    assert!(bus.records("orders.placed").is_empty());
    let id = client
        .register("orders.placed-value", OrderPlaced::SCHEMA.file)
        .await
        .unwrap();
    checkout
        .order_placed(&order("o-1", cards::OK))
        .await
        .unwrap();
    let records = bus.records("orders.placed");
    assert_eq!(wire::decode(records[0].payload()).unwrap().schema_id, id);
    registry.stop().await;
}
