//! The runtime on the in-memory bus against its ceiling, bare prost: per event, decode an `OrderPlaced`, build and
//! encode a `PaymentCaptured`. The runtime adds routing, headers, the per-key lanes, the produce and the commit.
//!
//! `HERALD_RUNTIME_BENCH_ONCE=runner|runner2|publish|harness|prost [HERALD_RUNTIME_BENCH_EVENTS=n]` runs one pass of a bench
//! outside criterion and exits, for `valgrind --tool=callgrind` and `perf record` (instruction counts are
//! reproducible on a shared machine where wall-clock times are not).

use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion, Throughput, criterion_group};
use herald::memory::Bus;
use herald::prost::Message;
use herald::{Publisher, Runner};
use herald_example_orders::Payments;
use herald_example_orders::payments::cards;
use herald_example_orders::workers::payments_worker::PaymentsWorkerRouter;
use herald_example_orders::workers::payments_worker::testing::Harness;
use shop_events::shop::orders::v1::OrderPlaced;
use shop_events::shop::payments::v1::PaymentCaptured;

const EVENTS: u64 = 10_000;

fn order(i: u64) -> OrderPlaced {
    OrderPlaced {
        order_id: format!("o-{}", i % 1_000),
        sku: "book".into(),
        amount_cents: 2_500,
        card: cards::OK.into(),
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// One run of the Runner over `events` pre-published events, the worker run as `members` group members; returns
/// the time from start to everything committed.
async fn runner_pass(events: u64, members: usize) -> Duration {
    let bus = Bus::with_partitions(4);
    let publisher = Publisher::new(bus.sink());
    for i in 0..events {
        publisher.publish(&order(i)).await.unwrap();
    }
    let start = Instant::now();
    let running = Runner::new(bus.clone())
        .worker_members(PaymentsWorkerRouter::new(Payments), members)
        .start()
        .unwrap();
    bus.wait_caught_up(&["payments"]).await;
    let elapsed = start.elapsed();
    let report = running.shutdown().await.unwrap();
    assert_eq!(
        report
            .worker("shop.workers.v1.PaymentsWorker")
            .unwrap()
            .processed,
        events
    );
    elapsed
}

/// One pass of one bench, outside criterion.
fn once(which: &str, events: u64) {
    let rt = runtime();
    let start = Instant::now();
    match which {
        "runner" | "runner2" => {
            let members = if which == "runner2" { 2 } else { 1 };
            let passes = std::env::var("HERALD_RUNTIME_BENCH_PASSES")
                .ok()
                .and_then(|n| n.parse().ok())
                .unwrap_or(1);
            for _ in 0..passes {
                let t = rt.block_on(runner_pass(events, members));
                println!(
                    "{which}: {events} events in {t:?} ({:?} per event)",
                    t / events as u32
                );
            }
        }
        "publish" => {
            // The runner pass without the runner: subtract it from `runner` to get the runner's share.
            rt.block_on(async {
                let bus = Bus::with_partitions(4);
                let publisher = Publisher::new(bus.sink());
                for i in 0..events {
                    publisher.publish(&order(i)).await.unwrap();
                }
            });
        }
        "harness" => {
            let mut harness = Harness::new(Payments);
            rt.block_on(async {
                for _ in 0..events {
                    std::hint::black_box(harness.given_order_placed(order(7)).await);
                }
            });
        }
        "prost" => {
            let bytes = order(7).encode_to_vec();
            for _ in 0..events {
                let ev = OrderPlaced::decode(std::hint::black_box(&bytes[..])).unwrap();
                let out = PaymentCaptured {
                    order_id: ev.order_id,
                    sku: ev.sku,
                    amount_cents: ev.amount_cents,
                };
                std::hint::black_box(out.encode_to_vec());
            }
        }
        other => {
            panic!(
                "HERALD_RUNTIME_BENCH_ONCE: unknown bench {other:?} (runner, runner2, publish, harness or prost)"
            )
        }
    }
    println!("{which}: {events} events, {:?} in all", start.elapsed());
}

fn benches(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("order_to_payment");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(8))
        .warm_up_time(Duration::from_secs(2));

    group.throughput(Throughput::Elements(1));
    let bytes = order(7).encode_to_vec();
    group.bench_function("prost_decode_encode", |b| {
        b.iter(|| {
            let ev = OrderPlaced::decode(std::hint::black_box(&bytes[..])).unwrap();
            let out = PaymentCaptured {
                order_id: ev.order_id,
                sku: ev.sku,
                amount_cents: ev.amount_cents,
            };
            std::hint::black_box(out.encode_to_vec())
        });
    });

    group.bench_function("harness_given", |b| {
        let mut harness = Harness::new(Payments);
        b.iter_batched(
            || order(7),
            |ev| rt.block_on(harness.given_order_placed(ev)),
            BatchSize::SmallInput,
        );
    });

    group.throughput(Throughput::Elements(EVENTS));
    group.bench_function("runner_in_memory_10k", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                total += rt.block_on(runner_pass(EVENTS, 1));
            }
            total
        });
    });
    group.bench_function("runner_in_memory_10k_2_members", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                total += rt.block_on(runner_pass(EVENTS, 2));
            }
            total
        });
    });
    group.finish();
}

criterion_group!(all, benches);

fn main() {
    if let Ok(which) = std::env::var("HERALD_RUNTIME_BENCH_ONCE") {
        let events = std::env::var("HERALD_RUNTIME_BENCH_EVENTS")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(EVENTS);
        once(&which, events);
        return;
    }
    all();
    Criterion::default().configure_from_args().final_summary();
}
