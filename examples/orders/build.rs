//! Generates the workers' bindings. The events come from the `shop-events` crate (`extern_path`); their .proto
//! files are only read, for the topic bindings and type checks. `shop.notifications.v1` is generated here, and
//! `shop.rs` nests both generated packages in modules.

fn main() {
    herald_codegen::configure()
        .extern_path(".shop.orders.v1", "::shop_events::shop::orders::v1")
        .extern_path(".shop.payments.v1", "::shop_events::shop::payments::v1")
        .extern_path(".shop.shipping.v1", "::shop_events::shop::shipping::v1")
        .include_file("shop.rs")
        .compile_protos(
            &[
                "proto/shop/workers/v1/payments.proto",
                "proto/shop/workers/v1/shipping.proto",
                "proto/shop/workers/v1/orders.proto",
                "proto/shop/workers/v1/notifications.proto",
            ],
            &["proto", "events/proto"],
        )
        .unwrap_or_else(|e| panic!("{e}"));
}
