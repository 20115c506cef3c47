//! The orders worker: turns payment and shipping outcomes into the order's final status.

use herald::{Context, HandlerError};
use shop_events::shop::orders::v1::{OrderCancelled, OrderCompleted};
use shop_events::shop::payments::v1::PaymentDeclined;
use shop_events::shop::shipping::v1::OrderShipped;

use crate::workers::orders_worker::{OnOrderShippedOut, OnPaymentDeclinedOut, OrdersWorker};

/// Keeps order statuses.
#[derive(Debug, Default)]
pub struct Orders;

impl OrdersWorker for Orders {
    async fn on_payment_declined(
        &self,
        _ctx: &Context,
        event: PaymentDeclined,
        out: &mut OnPaymentDeclinedOut,
    ) -> Result<(), HandlerError> {
        out.order_cancelled(OrderCancelled {
            order_id: event.order_id,
            reason: event.reason,
        });
        Ok(())
    }

    async fn on_order_shipped(
        &self,
        _ctx: &Context,
        event: OrderShipped,
        out: &mut OnOrderShippedOut,
    ) -> Result<(), HandlerError> {
        out.order_completed(OrderCompleted {
            order_id: event.order_id,
            tracking_number: event.tracking_number,
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workers::orders_worker::testing::Harness;

    #[tokio::test]
    async fn a_declined_payment_cancels_the_order() {
        let mut h = Harness::new(Orders);
        let out = h
            .given_payment_declined(PaymentDeclined {
                order_id: "o-1".into(),
                reason: "limit".into(),
            })
            .await;
        assert_eq!(
            out.order_cancelled(),
            [OrderCancelled {
                order_id: "o-1".into(),
                reason: "limit".into()
            }]
        );
        assert!(out.order_completed().is_empty());
    }

    #[tokio::test]
    async fn a_shipped_order_is_completed() {
        let mut h = Harness::new(Orders);
        let out = h
            .given_order_shipped(OrderShipped {
                order_id: "o-1".into(),
                tracking_number: "T1".into(),
            })
            .await;
        assert_eq!(out.order_completed()[0].tracking_number, "T1");
        // Outputs carry the input's correlation id and name it as their cause.
        let input_id = out.records()[0].headers.get(herald::headers::CAUSATION_ID);
        assert!(input_id.is_some());
    }
}
