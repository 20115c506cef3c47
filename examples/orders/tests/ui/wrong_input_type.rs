// The payments handler consumes OrderPlaced; taking another event does not implement the trait.
use herald::{Context, HandlerError};
use herald_example_orders::workers::payments_worker::{OnOrderPlacedOut, PaymentsWorker};
use shop_events::shop::payments::v1::PaymentCaptured;

struct Confused;

impl PaymentsWorker for Confused {
    async fn on_order_placed(
        &self,
        _ctx: &Context,
        event: PaymentCaptured,
        _out: &mut OnOrderPlacedOut,
    ) -> Result<(), HandlerError> {
        let _ = event;
        Ok(())
    }
}

fn main() {}
