// An emitter's buffer is private: there is no way around the declared outputs.
use herald_example_orders::workers::payments_worker::OnOrderPlacedOut;
use shop_events::shop::shipping::v1::OrderShipped;

fn sneak(out: &mut OnOrderPlacedOut) {
    out.buf.push(OrderShipped::default());
}

fn main() {}
