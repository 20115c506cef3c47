//! The payments worker: charges each placed order through a (pretend) payment provider.

use herald::{Context, HandlerError};
use shop_events::shop::orders::v1::OrderPlaced;
use shop_events::shop::payments::v1::{PaymentCaptured, PaymentDeclined};

use crate::workers::payments_worker::{OnOrderPlacedOut, PaymentsWorker};

/// The provider declines orders above this amount.
pub const LIMIT_CENTS: u64 = 100_000;

/// Card tokens the pretend provider reacts to.
pub mod cards {
    /// Always charged.
    pub const OK: &str = "tok_ok";
    /// The provider is unavailable on the first attempt (a retryable error).
    pub const FLAKY: &str = "tok_flaky";
    /// Refused for good: the order is dead-lettered.
    pub const STOLEN: &str = "tok_stolen";
}

/// A payment failure.
#[derive(Debug)]
pub struct ProviderError(pub &'static str);

impl std::fmt::Display for ProviderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for ProviderError {}

/// Charges orders.
#[derive(Debug, Default)]
pub struct Payments;

impl PaymentsWorker for Payments {
    async fn on_order_placed(
        &self,
        ctx: &Context,
        event: OrderPlaced,
        out: &mut OnOrderPlacedOut,
    ) -> Result<(), HandlerError> {
        match event.card.as_str() {
            cards::FLAKY if ctx.attempt() == 1 => {
                return Err(HandlerError::retryable(ProviderError(
                    "payment provider unavailable",
                )));
            }
            cards::STOLEN => {
                return Err(HandlerError::permanent(ProviderError(
                    "card reported stolen",
                )));
            }
            _ => {}
        }
        if event.amount_cents > LIMIT_CENTS {
            out.payment_declined(PaymentDeclined {
                order_id: event.order_id,
                reason: "amount over the card's limit".into(),
            });
        } else {
            out.payment_captured(PaymentCaptured {
                order_id: event.order_id,
                sku: event.sku,
                amount_cents: event.amount_cents,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workers::payments_worker::testing::Harness;

    fn order(card: &str, amount_cents: u64) -> OrderPlaced {
        OrderPlaced {
            order_id: "o-1".into(),
            sku: "book".into(),
            amount_cents,
            card: card.into(),
        }
    }

    #[tokio::test]
    async fn captures_an_order_within_the_limit() {
        let mut h = Harness::new(Payments);
        let out = h.given_order_placed(order(cards::OK, 1_500)).await;
        assert_eq!(
            out.payment_captured(),
            [PaymentCaptured {
                order_id: "o-1".into(),
                sku: "book".into(),
                amount_cents: 1_500
            }]
        );
        assert!(out.payment_declined().is_empty());
        assert_eq!(out.attempts(), 1);
    }

    #[tokio::test]
    async fn declines_an_order_over_the_limit() {
        let mut h = Harness::new(Payments);
        let out = h
            .given_order_placed(order(cards::OK, LIMIT_CENTS + 1))
            .await;
        assert!(out.payment_captured().is_empty());
        assert_eq!(
            out.payment_declined()[0].reason,
            "amount over the card's limit"
        );
    }

    #[tokio::test]
    async fn retries_when_the_provider_is_unavailable() {
        let mut h = Harness::new(Payments);
        let out = h.given_order_placed(order(cards::FLAKY, 900)).await;
        assert_eq!(out.attempts(), 2);
        assert_eq!(out.payment_captured().len(), 1);
        assert!(out.dead_lettered().is_empty());
    }

    #[tokio::test]
    async fn dead_letters_a_stolen_card_without_retrying() {
        let mut h = Harness::new(Payments);
        let out = h.given_order_placed(order(cards::STOLEN, 900)).await;
        assert_eq!(out.attempts(), 1);
        assert!(out.payment_captured().is_empty() && out.payment_declined().is_empty());
        let dead = out.dead_lettered();
        assert_eq!(dead.len(), 1);
        assert_eq!(dead[0].topic, "payments.dlq");
        assert_eq!(dead[0].original_topic, "orders.placed");
        assert_eq!(dead[0].error_kind, "permanent");
        assert_eq!(dead[0].error, "permanent: card reported stolen");
    }

    #[tokio::test]
    async fn gives_up_after_three_attempts() {
        let mut h = Harness::new(Payments);
        h.fail_next(3);
        let out = h.given_order_placed(order(cards::OK, 900)).await;
        assert_eq!(out.attempts(), 3);
        assert_eq!(out.dead_lettered()[0].attempts, 3);
        assert_eq!(out.dead_lettered()[0].error_kind, "retryable");
    }

    #[tokio::test]
    async fn an_undecodable_order_is_dead_lettered() {
        let mut h = Harness::new(Payments);
        let out = h
            .given_raw(
                "orders.placed",
                "shop.orders.v1.OrderPlaced",
                None,
                vec![0x0a, 0xff],
            )
            .await;
        assert_eq!(out.dead_letters()[0].error_kind, "decode");
    }
}
