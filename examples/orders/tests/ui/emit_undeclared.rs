// The payments handler may emit PaymentCaptured and PaymentDeclined, not OrderShipped.
use herald::{Context, HandlerError};
use herald_example_orders::workers::payments_worker::{OnOrderPlacedOut, PaymentsWorker};
use shop_events::shop::orders::v1::OrderPlaced;
use shop_events::shop::shipping::v1::OrderShipped;

struct Sneaky;

impl PaymentsWorker for Sneaky {
    async fn on_order_placed(
        &self,
        _ctx: &Context,
        event: OrderPlaced,
        out: &mut OnOrderPlacedOut,
    ) -> Result<(), HandlerError> {
        out.order_shipped(OrderShipped { order_id: event.order_id, tracking_number: String::new() });
        Ok(())
    }
}

fn main() {}
