//! A worker run as several members of its consumer group in one process (`Runner::worker_members`) on librdkafka's
//! mock cluster: the members share the partitions, every record is handled and committed.

mod common;

use std::time::Duration;

use common::{count_by_key, publish_orders, shop_cluster};
use herald::Runner;
use herald_example_orders::Payments;
use herald_example_orders::workers::payments_worker::PaymentsWorkerRouter;
use herald_kafka::Kafka;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_run_as_two_members_handles_and_commits_every_record() {
    let c = shop_cluster();
    let kafka = Kafka::new(c.config()).unwrap();
    publish_orders(&kafka, 200).await;
    let running = Runner::new(kafka.clone())
        .worker_members(PaymentsWorkerRouter::new(Payments), 2)
        .start()
        .unwrap();
    let captured = c.read("payments.captured", 200, Duration::from_millis(500), false);
    let counts = count_by_key(&captured);
    assert_eq!(counts.len(), 200, "every order is captured");
    let report = running.shutdown().await.unwrap();
    assert_eq!(
        report.workers.len(),
        1,
        "one report for the worker: {report:?}"
    );
    let payments = &report.workers[0];
    assert!(payments.processed >= 200, "{payments:?}");
    let committed = c.committed_total("payments", "orders.placed", 4);
    assert_eq!(committed, 200, "every partition committed to its end");
}
