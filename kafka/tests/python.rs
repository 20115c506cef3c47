//! Python interop over Kafka (feature `clients`; run `tests/clients/setup.sh` first): confluent-kafka's Python
//! `Producer` with `ProtobufSerializer` writes `OrderPlaced` records to the mock cluster, the example's payments
//! worker consumes them through `herald_kafka::from_vars` (Confluent framing, a registry in this process) and emits
//! `PaymentCaptured`, which a Python `Consumer` with `ProtobufDeserializer` reads back.
#![cfg(feature = "clients")]

mod common;

use common::shop_cluster;
use herald::Runner;
use herald::confluent::{RegistryClient, RegistryConfig};
use herald_e2e::{Registry, python, run_json, write_shop_descriptors};
use herald_example_orders::Payments;
use herald_example_orders::workers::payments_worker::PaymentsWorkerRouter;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_producers_and_consumers_talk_to_a_herald_worker_over_kafka() {
    let c = shop_cluster();
    let registry = Registry::start().await;
    let client = RegistryClient::new(RegistryConfig::new(&registry.url)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path();
    write_shop_descriptors(&client, work).await;
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/python_kafka.py");
    let args = |mode: &str| {
        vec![
            script.display().to_string(),
            mode.to_string(),
            registry.url.clone(),
            c.bootstrap.clone(),
            work.display().to_string(),
            "3".to_string(),
        ]
    };
    let produced = run_json(python(), args("produce"), work.to_path_buf()).await;
    assert_eq!(produced["produced"], 3);
    assert_eq!(produced["unflushed"], 0);

    let vars = [
        ("HERALD_KAFKA_BOOTSTRAP_SERVERS", c.bootstrap.as_str()),
        ("HERALD_KAFKA_SESSION_TIMEOUT_MS", "6000"),
        ("HERALD_REGISTRY_URL", registry.url.as_str()),
    ];
    let transport =
        herald_kafka::from_vars(vars.iter().map(|(k, v)| (k.to_string(), v.to_string()))).unwrap();
    let running = Runner::new(transport)
        .worker(PaymentsWorkerRouter::new(Payments))
        .start()
        .unwrap();
    let read = run_json(python(), args("consume"), work.to_path_buf()).await;
    running.shutdown().await.unwrap();
    let mut ids: Vec<String> = read["read"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            assert_eq!(r["type"], "shop.payments.v1.PaymentCaptured");
            assert_eq!(r["key"], r["order_id"]);
            r["order_id"].as_str().unwrap().to_string()
        })
        .collect();
    ids.sort();
    assert_eq!(ids, ["py-0", "py-1", "py-2"]);
    registry.stop().await;
}
