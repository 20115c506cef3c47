//! Generates the shop's event messages and their `impl herald::Event`.

fn main() {
    herald_codegen::configure()
        .include_file("shop_events.rs")
        .compile_protos(
            &[
                "proto/shop/orders/v1/events.proto",
                "proto/shop/payments/v1/events.proto",
                "proto/shop/shipping/v1/events.proto",
            ],
            &["proto"],
        )
        .unwrap_or_else(|e| panic!("{e}"));
}
