//! The shipping worker: ships paid orders once, or reports a delay when the item is out of stock.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use herald::{Context, HandlerError};
use shop_events::shop::payments::v1::PaymentCaptured;
use shop_events::shop::shipping::v1::{OrderShipped, ShipmentDelayed};

use crate::workers::shipping_worker::{OnPaymentCapturedOut, ShippingWorker};

/// Ships orders from a warehouse's stock.
#[derive(Debug, Default)]
pub struct Shipping {
    /// Units in stock per SKU; SKUs not listed are unlimited.
    stock: Mutex<HashMap<String, u32>>,
    /// Orders already shipped: a redelivered payment must not ship twice.
    shipped: Mutex<HashSet<String>>,
}

impl Shipping {
    /// A warehouse with unlimited stock except for `stock`.
    pub fn with_stock(stock: &[(&str, u32)]) -> Shipping {
        Shipping {
            stock: Mutex::new(stock.iter().map(|(s, n)| (s.to_string(), *n)).collect()),
            shipped: Mutex::default(),
        }
    }
}

impl ShippingWorker for Shipping {
    async fn on_payment_captured(
        &self,
        _ctx: &Context,
        event: PaymentCaptured,
        out: &mut OnPaymentCapturedOut,
    ) -> Result<(), HandlerError> {
        let mut shipped = self
            .shipped
            .lock()
            .map_err(|_| HandlerError::permanent("state poisoned"))?;
        if shipped.contains(&event.order_id) {
            return Ok(());
        }
        let mut stock = self
            .stock
            .lock()
            .map_err(|_| HandlerError::permanent("state poisoned"))?;
        if let Some(units) = stock.get_mut(&event.sku) {
            if *units == 0 {
                out.shipment_delayed(ShipmentDelayed {
                    order_id: event.order_id,
                    expected_days: 3,
                });
                return Ok(());
            }
            *units -= 1;
        }
        let tracking_number = format!("TRK-{}", event.order_id);
        shipped.insert(event.order_id.clone());
        out.order_shipped(OrderShipped {
            order_id: event.order_id,
            tracking_number,
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workers::shipping_worker::testing::Harness;

    fn paid(order_id: &str, sku: &str) -> PaymentCaptured {
        PaymentCaptured {
            order_id: order_id.into(),
            sku: sku.into(),
            amount_cents: 100,
        }
    }

    #[tokio::test]
    async fn ships_a_paid_order() {
        let mut h = Harness::new(Shipping::default());
        let out = h.given_payment_captured(paid("o-1", "book")).await;
        assert_eq!(
            out.order_shipped(),
            [OrderShipped {
                order_id: "o-1".into(),
                tracking_number: "TRK-o-1".into()
            }]
        );
        assert!(out.shipment_delayed().is_empty());
    }

    #[tokio::test]
    async fn delays_an_order_out_of_stock() {
        let mut h = Harness::new(Shipping::with_stock(&[("lamp", 1)]));
        assert_eq!(
            h.given_payment_captured(paid("o-1", "lamp"))
                .await
                .order_shipped()
                .len(),
            1
        );
        let out = h.given_payment_captured(paid("o-2", "lamp")).await;
        assert!(out.order_shipped().is_empty());
        assert_eq!(
            out.shipment_delayed(),
            [ShipmentDelayed {
                order_id: "o-2".into(),
                expected_days: 3
            }]
        );
    }

    #[tokio::test]
    async fn a_redelivered_payment_does_not_ship_twice() {
        let mut h = Harness::new(Shipping::default());
        assert_eq!(
            h.given_payment_captured(paid("o-1", "book"))
                .await
                .order_shipped()
                .len(),
            1
        );
        let again = h.redeliver().await;
        assert!(again.is_empty());
    }
}
