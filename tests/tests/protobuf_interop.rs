//! Protobuf interop between a Herald worker behind `herald::confluent::Confluent` and confluent-kafka's Python
//! `ProtobufSerializer` / `ProtobufDeserializer` (feature `clients`), against the real registry in this process.
//! Bytes go through files: Python frames `OrderPlaced` records, the example's payments worker consumes them over
//! `Confluent<memory::Bus>` and emits `PaymentCaptured` records, which Python deserializes.
#![cfg(feature = "clients")]

use std::time::Duration;

use herald::confluent::{Confluent, RegistryClient, RegistryConfig};
use herald::memory::Bus;
use herald::{Bytes, Headers, OutRecord, Runner, wire};
use herald_e2e::{Registry, ShopSchemaIds, python, run_json, scripts_dir, write_shop_descriptors};
use herald_example_orders::Payments;
use herald_example_orders::workers::payments_worker::PaymentsWorkerRouter;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_protobuf_serdes_and_a_herald_worker_read_each_other() {
    let registry = Registry::start().await;
    let client = RegistryClient::new(RegistryConfig::new(&registry.url)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path();

    // The descriptors Python builds its message classes from, as the registry serves them.
    let ShopSchemaIds { placed, captured } = write_shop_descriptors(&client, work).await;

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
            frame.schema_id, placed,
            "Python's descriptor registration resolves to the id of Herald's text registration"
        );
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
