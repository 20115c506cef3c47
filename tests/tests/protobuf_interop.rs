//! Protobuf interop between a Herald worker behind `herald::confluent::Confluent` and confluent-kafka's Python
//! `ProtobufSerializer` / `ProtobufDeserializer` (feature `clients`), against the real registry in this process.
//! Bytes go through files: Python frames `OrderPlaced` records, the example's payments worker consumes them over
//! `Confluent<memory::Bus>` and emits `PaymentCaptured` records, which Python deserializes.
#![cfg(feature = "clients")]

use std::time::Duration;

use herald::confluent::{Confluent, RegistryClient, RegistryConfig};
use herald::memory::Bus;
use herald::prost::Message as _;
use herald::{Bytes, Event, Headers, OutRecord, Runner, wire};
use herald_e2e::{Registry, python, run_json, scripts_dir};
use herald_example_orders::Payments;
use herald_example_orders::workers::payments_worker::PaymentsWorkerRouter;
use serde_json::json;
use shop_events::shop::orders::v1::OrderPlaced;
use shop_events::shop::payments::v1::PaymentCaptured;

/// The registry's `format=serialized` descriptor of schema `id`, named `name` (a registry names a schema fetched by
/// id as it likes; Herald uses `<guid>.proto`, and imports refer to files by import path), as bytes.
async fn descriptor(client: &RegistryClient, id: u32, name: &str) -> Vec<u8> {
    let mut d = client
        .schema(id)
        .await
        .unwrap()
        .descriptor
        .clone()
        .expect("a protobuf descriptor");
    d.name = Some(name.to_string());
    d.encode_to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_protobuf_serdes_and_a_herald_worker_read_each_other() {
    let registry = Registry::start().await;
    let client = RegistryClient::new(RegistryConfig::new(&registry.url)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path();

    // The descriptors Python builds its message classes from, as the registry serves them.
    let placed = client
        .register("orders.placed-value", OrderPlaced::SCHEMA.file)
        .await
        .unwrap();
    let captured = client
        .register("payments.captured-value", PaymentCaptured::SCHEMA.file)
        .await
        .unwrap();
    let options_file = OrderPlaced::SCHEMA.file.imports[0];
    assert_eq!(options_file.name, "herald/options.proto");
    let options = client
        .lookup("herald/options.proto", options_file)
        .await
        .unwrap();
    for (name, id, file) in [
        ("options.fdp", options, options_file.name),
        ("orders.fdp", placed, OrderPlaced::SCHEMA.file.name),
        ("payments.fdp", captured, PaymentCaptured::SCHEMA.file.name),
    ] {
        std::fs::write(work.join(name), descriptor(&client, id, file).await).unwrap();
    }

    let script = scripts_dir().join("python_protobuf.py");
    let args = |mode: &str| {
        vec![
            script.display().to_string(),
            mode.to_string(),
            registry.url.clone(),
            work.display().to_string(),
        ]
    };
    let produced = run_json(python(), args("produce"), scripts_dir()).await;
    let subjects = produced["subjects"].as_array().unwrap();
    assert!(
        subjects.contains(&json!("orders.placed-value")),
        "{produced}"
    );
    assert!(
        subjects.contains(&json!("herald/options.proto")),
        "{produced}"
    );

    // Python's records, as a Kafka consumer would get them: framed, without CloudEvents headers.
    let bus = Bus::new();
    for i in 0..2 {
        let data = std::fs::read(work.join(format!("from_python.{i}.bin"))).unwrap();
        let frame = wire::decode(&Bytes::from(data.clone())).unwrap();
        assert_eq!(
            frame.indexes,
            [0],
            "OrderPlaced is the file's first message"
        );
        bus.append(OutRecord {
            topic: "orders.placed".into(),
            key: Some(Bytes::from(format!("py-{i}"))),
            headers: Headers::new(),
            payload: data.into(),
            schema: None,
        });
    }
    let transport = Confluent::new(bus.clone(), client.clone());
    let running = Runner::new(transport)
        .without_backoff()
        .worker(PaymentsWorkerRouter::new(Payments))
        .start()
        .unwrap();
    tokio::time::timeout(Duration::from_secs(60), bus.wait_caught_up(&["payments"]))
        .await
        .expect("the worker catches up");
    let report = running.shutdown().await.unwrap();
    let payments = report.worker("shop.workers.v1.PaymentsWorker").unwrap();
    assert_eq!(
        (payments.processed, payments.dead_lettered),
        (2, 0),
        "{report:?}"
    );

    let out = bus.records("payments.captured");
    assert_eq!(out.len(), 2);
    for (i, r) in out.iter().enumerate() {
        let frame = wire::decode(r.payload()).unwrap();
        assert_eq!(frame.schema_id, captured);
        std::fs::write(work.join(format!("from_herald.{i}.bin")), r.payload()).unwrap();
    }
    let consumed = run_json(python(), args("consume"), scripts_dir()).await;
    let mut read: Vec<String> = consumed["read"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            assert_eq!(m["type"], "shop.payments.v1.PaymentCaptured", "{consumed}");
            m["order_id"].as_str().unwrap().to_string()
        })
        .collect();
    read.sort();
    assert_eq!(read, ["py-0", "py-1"]);
    registry.stop().await;
}
