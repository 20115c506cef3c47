//! The whole flow: the four generated routers over the in-memory bus, run until quiet.

use herald::testing::Scenario;
use herald_example_orders::payments::cards;
use herald_example_orders::shop::notifications::v1::CustomerNotified;
use herald_example_orders::workers::notifications_worker::NotificationsWorkerRouter;
use herald_example_orders::workers::orders_worker::OrdersWorkerRouter;
use herald_example_orders::workers::payments_worker::PaymentsWorkerRouter;
use herald_example_orders::workers::shipping_worker::ShippingWorkerRouter;
use herald_example_orders::{Notifications, Orders, Payments, Shipping};
use shop_events::shop::orders::v1::{OrderCancelled, OrderCompleted, OrderPlaced};
use shop_events::shop::payments::v1::PaymentCaptured;
use shop_events::shop::shipping::v1::ShipmentDelayed;

fn order(order_id: &str, sku: &str, amount_cents: u64, card: &str) -> OrderPlaced {
    OrderPlaced {
        order_id: order_id.into(),
        sku: sku.into(),
        amount_cents,
        card: card.into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_flow_through_payments_shipping_orders_and_notifications() {
    let mut scenario = Scenario::new()
        .worker(PaymentsWorkerRouter::new(Payments))
        .worker(ShippingWorkerRouter::new(Shipping::with_stock(&[(
            "lamp", 0,
        )])))
        .worker(OrdersWorkerRouter::new(Orders))
        .worker(NotificationsWorkerRouter::new(Notifications));
    scenario
        .publish(&order("o-1", "book", 2_500, cards::OK))
        .await;
    scenario
        .publish(&order("o-2", "lamp", 4_000, cards::OK))
        .await;
    scenario
        .publish(&order("o-3", "sofa", 250_000, cards::OK))
        .await;
    scenario
        .publish(&order("o-4", "book", 2_500, cards::FLAKY))
        .await;
    scenario
        .publish(&order("o-5", "book", 2_500, cards::STOLEN))
        .await;
    scenario.run_until_quiet().await.unwrap();

    let mut completed: Vec<String> = scenario
        .events::<OrderCompleted>()
        .into_iter()
        .map(|e| e.order_id)
        .collect();
    completed.sort();
    assert_eq!(completed, ["o-1", "o-4"]);
    let cancelled = scenario.events::<OrderCancelled>();
    assert_eq!(cancelled.len(), 1);
    assert_eq!(cancelled[0].order_id, "o-3");
    assert_eq!(
        scenario.events::<ShipmentDelayed>(),
        [ShipmentDelayed {
            order_id: "o-2".into(),
            expected_days: 3
        }]
    );
    assert_eq!(scenario.events::<PaymentCaptured>().len(), 3);
    let dead = scenario.dead_letters("payments.dlq");
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].key.as_deref(), Some(&b"o-5"[..]));
    assert_eq!(dead[0].error_kind, "permanent");

    // Every event of o-1's flow carries the correlation id of the order that started it.
    let placed = scenario.bus().records("orders.placed");
    let o1 = placed
        .iter()
        .find(|r| r.key().map(|k| &k[..]) == Some(&b"o-1"[..]))
        .unwrap();
    let correlation = o1
        .headers()
        .get(herald::headers::CORRELATION_ID)
        .unwrap()
        .to_string();
    let done = scenario.bus().records("orders.completed");
    let o1_done = done
        .iter()
        .find(|r| r.key().map(|k| &k[..]) == Some(&b"o-1"[..]))
        .unwrap();
    assert_eq!(
        o1_done.headers().get(herald::headers::CORRELATION_ID),
        Some(correlation.as_str())
    );

    let mut notified: Vec<String> = scenario
        .events::<CustomerNotified>()
        .into_iter()
        .map(|e| e.order_id)
        .collect();
    notified.sort();
    assert_eq!(notified, ["o-1", "o-3", "o-4"]);

    let report = scenario.shutdown().await.unwrap();
    let payments = report.worker("shop.workers.v1.PaymentsWorker").unwrap();
    assert_eq!(
        (payments.processed, payments.retries, payments.dead_lettered),
        (4, 1, 1)
    );
    assert_eq!(
        report
            .worker("shop.workers.v1.ShippingWorker")
            .unwrap()
            .processed,
        3
    );
    assert_eq!(
        report
            .worker("shop.workers.v1.OrdersWorker")
            .unwrap()
            .processed,
        3
    );
}
