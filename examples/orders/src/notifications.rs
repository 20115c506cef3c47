//! The notifications worker: one message to the customer per finished order.

use herald::{Context, HandlerError};
use shop_events::shop::orders::v1::{OrderCancelled, OrderCompleted};

use crate::shop::notifications::v1::CustomerNotified;
use crate::workers::notifications_worker::{
    NotificationsWorker, OnOrderCancelledOut, OnOrderCompletedOut,
};

/// Writes to customers.
#[derive(Debug, Default)]
pub struct Notifications;

impl NotificationsWorker for Notifications {
    async fn on_order_completed(
        &self,
        _ctx: &Context,
        event: OrderCompleted,
        out: &mut OnOrderCompletedOut,
    ) -> Result<(), HandlerError> {
        let message = format!("Your order is on its way: {}", event.tracking_number);
        out.customer_notified(CustomerNotified {
            order_id: event.order_id,
            message,
        });
        Ok(())
    }

    async fn on_order_cancelled(
        &self,
        _ctx: &Context,
        event: OrderCancelled,
        out: &mut OnOrderCancelledOut,
    ) -> Result<(), HandlerError> {
        let message = format!("Your order was cancelled: {}", event.reason);
        out.customer_notified(CustomerNotified {
            order_id: event.order_id,
            message,
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workers::notifications_worker::testing::Harness;

    #[tokio::test]
    async fn completed_and_cancelled_orders_are_announced() {
        let mut h = Harness::new(Notifications);
        let done = h
            .given_order_completed(OrderCompleted {
                order_id: "o-1".into(),
                tracking_number: "T1".into(),
            })
            .await;
        assert_eq!(
            done.customer_notified(),
            [CustomerNotified {
                order_id: "o-1".into(),
                message: "Your order is on its way: T1".into()
            }]
        );
        let cancelled = h
            .given_order_cancelled(OrderCancelled {
                order_id: "o-2".into(),
                reason: "limit".into(),
            })
            .await;
        assert_eq!(
            cancelled.customer_notified()[0].message,
            "Your order was cancelled: limit"
        );
        assert_eq!(cancelled.records()[0].topic, "notifications.sent");
    }
}
