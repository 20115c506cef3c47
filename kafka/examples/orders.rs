//! The order flow of `examples/orders` on a real Kafka cluster: the same four workers, and the transport is the one
//! changed line. With `--place-orders`, it first publishes a few orders.
//!
//! ```sh
//! HERALD_KAFKA_BOOTSTRAP_SERVERS=localhost:9092 cargo run -p herald-kafka --example orders -- --place-orders
//! # framed in the Confluent wire format, schemas registered on the fly:
//! HERALD_REGISTRY_URL=http://localhost:8081 HERALD_REGISTRY_AUTO_REGISTER=true HERALD_KAFKA_BOOTSTRAP_SERVERS=... \
//!     cargo run -p herald-kafka --example orders
//! ```

use anyhow::Context as _;
use herald::{Runner, Transport};
use herald_example_orders::payments::cards;
use herald_example_orders::workers::notifications_worker::NotificationsWorkerRouter;
use herald_example_orders::workers::orders_worker::OrdersWorkerRouter;
use herald_example_orders::workers::payments_worker::{PaymentsWorkerClient, PaymentsWorkerRouter};
use herald_example_orders::workers::shipping_worker::ShippingWorkerRouter;
use herald_example_orders::{Notifications, Orders, Payments, Shipping};
use shop_events::shop::orders::v1::OrderPlaced;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .init();
    let transport = herald_kafka::from_env().context("configuring Kafka from HERALD_KAFKA_*")?;
    if std::env::args().any(|a| a == "--place-orders") {
        let checkout = PaymentsWorkerClient::new(transport.sink());
        for (order_id, sku, amount_cents, card) in [
            ("o-1", "book", 2_500, cards::OK),
            ("o-2", "lamp", 4_000, cards::OK),
            ("o-3", "sofa", 250_000, cards::OK),
            ("o-4", "book", 2_500, cards::FLAKY),
            ("o-5", "book", 2_500, cards::STOLEN),
        ] {
            checkout
                .order_placed(&OrderPlaced {
                    order_id: order_id.into(),
                    sku: sku.into(),
                    amount_cents,
                    card: card.into(),
                })
                .await
                .with_context(|| format!("publishing order {order_id}"))?;
        }
    }
    let report = Runner::new(transport)
        .worker(PaymentsWorkerRouter::new(Payments))
        .worker(ShippingWorkerRouter::new(Shipping::with_stock(&[(
            "lamp", 0,
        )])))
        .worker(OrdersWorkerRouter::new(Orders))
        .worker(NotificationsWorkerRouter::new(Notifications))
        .run_until_signal()
        .await
        .context("running the workers")?;
    for w in report.workers {
        println!(
            "{}: processed {}, emitted {}, retries {}, dead-lettered {}",
            w.worker, w.processed, w.emitted, w.retries, w.dead_lettered
        );
    }
    Ok(())
}
