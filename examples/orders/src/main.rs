//! Runs the four workers on the in-memory bus, places a few orders, waits until the flow is quiet and prints
//! every event. `RUST_LOG`-style tracing output goes to stderr.

use herald::Runner;
use herald::memory::Bus;
use herald_example_orders::payments::cards;
use herald_example_orders::workers::notifications_worker::NotificationsWorkerRouter;
use herald_example_orders::workers::orders_worker::OrdersWorkerRouter;
use herald_example_orders::workers::payments_worker::{PaymentsWorkerClient, PaymentsWorkerRouter};
use herald_example_orders::workers::shipping_worker::ShippingWorkerRouter;
use herald_example_orders::{Notifications, Orders, Payments, Shipping};
use shop_events::shop::orders::v1::OrderPlaced;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .init();
    let bus = Bus::new();
    let running = Runner::new(bus.clone())
        .worker(PaymentsWorkerRouter::new(Payments))
        .worker(ShippingWorkerRouter::new(Shipping::with_stock(&[(
            "lamp", 0,
        )])))
        .worker(OrdersWorkerRouter::new(Orders))
        .worker(NotificationsWorkerRouter::new(Notifications))
        .start()?;

    let checkout = PaymentsWorkerClient::new(bus.sink());
    let orders = [
        ("o-1", "book", 2_500, cards::OK),
        ("o-2", "lamp", 4_000, cards::OK),
        ("o-3", "sofa", 250_000, cards::OK),
        ("o-4", "book", 2_500, cards::FLAKY),
        ("o-5", "book", 2_500, cards::STOLEN),
    ];
    for (order_id, sku, amount_cents, card) in orders {
        checkout
            .order_placed(&OrderPlaced {
                order_id: order_id.into(),
                sku: sku.into(),
                amount_cents,
                card: card.into(),
            })
            .await?;
    }
    bus.wait_caught_up(&["payments", "shipping", "orders"])
        .await;
    let report = running.shutdown().await?;

    for topic in bus.topics() {
        for record in bus.records(&topic) {
            let key = record
                .key()
                .map(|k| String::from_utf8_lossy(k).into_owned())
                .unwrap_or_default();
            println!("{topic:<18} {key:<4} {}", record.event_type());
        }
    }
    for w in report.workers {
        println!(
            "{}: processed {}, emitted {}, retries {}, dead-lettered {}",
            w.worker, w.processed, w.emitted, w.retries, w.dead_lettered
        );
    }
    Ok(())
}
