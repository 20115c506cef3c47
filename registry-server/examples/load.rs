//! Load benchmark (bounded, loopback only): GET `/schemas/ids/{id}` on the registry against a bare axum route
//! returning a constant body, both served in this process and driven by the same client in the same run; then
//! registration throughput and compatibility-check latency for a subject with 100 versions under
//! `FULL_TRANSITIVE`.
//!
//! `cargo run --release -p herald-registry-server --example load [seconds-per-phase] [concurrency]`
//! (defaults 5 s, 32). Set `HERALD_DATABASE_URL` to benchmark PostgreSQL instead of a temporary SQLite file, and
//! `HERALD_LOAD_SERVE_ONLY=1` to only serve both routes (their URLs are printed) for an external load generator.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::get;
use serde_json::json;

#[tokio::main]
async fn main() {
    let secs: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let concurrency: usize = std::env::args()
        .nth(2)
        .and_then(|s| s.parse().ok())
        .unwrap_or(32);
    let dir = tempfile::tempdir().expect("tempdir");
    let database_url = std::env::var("HERALD_DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite://{}/bench.db", dir.path().display()));

    let registry = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let registry_url = format!("http://{}", registry.local_addr().expect("addr"));
    let config = herald_registry_server::Config {
        database_url,
        ..Default::default()
    };
    tokio::spawn(herald_registry_server::run(
        registry,
        config,
        std::future::pending(),
    ));

    let bare = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let bare_url = format!("http://{}", bare.local_addr().expect("addr"));
    let body = r#"{"schemaType":"AVRO","schema":"{\"type\":\"record\",\"name\":\"Bench\",\"fields\":[{\"name\":\"a\",\"type\":\"int\"}]}"}"#;
    let app = Router::new().route("/constant", get(move || async move { body }));
    tokio::spawn(async move { axum::serve(bare, app).await });

    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()
        .expect("client");
    for _ in 0..200 {
        if client
            .get(format!("{registry_url}/readyz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let schema = r#"{"type":"record","name":"Bench","fields":[{"name":"a","type":"int"}]}"#;
    let id = client
        .post(format!("{registry_url}/subjects/bench/versions"))
        .json(&json!({ "schema": schema }))
        .send()
        .await
        .expect("register")
        .json::<serde_json::Value>()
        .await
        .expect("json")["id"]
        .as_i64()
        .expect("id");

    if std::env::var_os("HERALD_LOAD_SERVE_ONLY").is_some() {
        // For an external load generator (wrk): print both URLs and serve until killed.
        println!("bare {bare_url}/constant");
        println!("registry {registry_url}/schemas/ids/{id}");
        std::future::pending::<()>().await;
    }

    let duration = Duration::from_secs(secs);
    // Warm both up, then measure alternately so that neither gets a quieter machine.
    drive(
        &client,
        &format!("{bare_url}/constant"),
        concurrency,
        Duration::from_millis(500),
    )
    .await;
    drive(
        &client,
        &format!("{registry_url}/schemas/ids/{id}"),
        concurrency,
        Duration::from_millis(500),
    )
    .await;
    let bare_rps = drive(
        &client,
        &format!("{bare_url}/constant"),
        concurrency,
        duration,
    )
    .await;
    let by_id_rps = drive(
        &client,
        &format!("{registry_url}/schemas/ids/{id}"),
        concurrency,
        duration,
    )
    .await;
    println!("bare axum constant route:   {bare_rps:>10.0} req/s");
    println!("GET /schemas/ids/{{id}}:      {by_id_rps:>10.0} req/s");
    println!("ratio registry / bare:      {:>10.2}", by_id_rps / bare_rps);

    // Registration throughput: distinct schemas into distinct subjects (NONE: no compatibility work).
    client
        .put(format!("{registry_url}/config"))
        .json(&json!({"compatibility": "NONE"}))
        .send()
        .await
        .expect("config");
    let n = 500usize;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..concurrency {
        let client = client.clone();
        let url = registry_url.clone();
        tasks.push(tokio::spawn(async move {
            for i in (w..n).step_by(concurrency) {
                let s = format!(
                    r#"{{"type":"record","name":"R{i}","fields":[{{"name":"a","type":"int"}}]}}"#
                );
                let r = client
                    .post(format!("{url}/subjects/reg-{}/versions", i % 50))
                    .json(&json!({ "schema": s }))
                    .send()
                    .await
                    .expect("register");
                assert!(r.status().is_success(), "{}", r.status());
            }
        }));
    }
    for t in tasks {
        t.await.expect("join");
    }
    println!(
        "registrations:              {:>10.0} /s ({n} schemas, {concurrency} clients)",
        n as f64 / started.elapsed().as_secs_f64()
    );

    // Compatibility latency: 100 versions, FULL_TRANSITIVE.
    client
        .put(format!("{registry_url}/config/hundred"))
        .json(&json!({"compatibility": "NONE"}))
        .send()
        .await
        .expect("config");
    let version = |k: usize| {
        let fields: Vec<String> = (0..k)
            .map(|i| format!(r#"{{"name":"f{i}","type":"int","default":{i}}}"#))
            .collect();
        format!(
            r#"{{"type":"record","name":"H","fields":[{}]}}"#,
            fields.join(",")
        )
    };
    for k in 1..=100 {
        let r = client
            .post(format!("{registry_url}/subjects/hundred/versions"))
            .json(&json!({ "schema": version(k) }))
            .send()
            .await
            .expect("register");
        assert!(r.status().is_success());
    }
    client
        .put(format!("{registry_url}/config/hundred"))
        .json(&json!({"compatibility": "FULL_TRANSITIVE"}))
        .send()
        .await
        .expect("config");
    let candidate = version(101);
    let mut latencies = Vec::new();
    for _ in 0..50 {
        let started = Instant::now();
        let r = client
            .post(format!(
                "{registry_url}/compatibility/subjects/hundred/versions"
            ))
            .json(&json!({ "schema": candidate }))
            .send()
            .await
            .expect("check")
            .json::<serde_json::Value>()
            .await
            .expect("json");
        latencies.push(started.elapsed());
        assert_eq!(r["is_compatible"], true, "{r}");
    }
    latencies.sort();
    println!(
        "compat check, 100 versions FULL_TRANSITIVE: p50 {:.2} ms, p90 {:.2} ms",
        latencies[latencies.len() / 2].as_secs_f64() * 1000.0,
        latencies[latencies.len() * 9 / 10].as_secs_f64() * 1000.0
    );
}

/// Requests `url` from `concurrency` workers for `duration`; answers requests per second (all must be 200).
async fn drive(client: &reqwest::Client, url: &str, concurrency: usize, duration: Duration) -> f64 {
    let count = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + duration;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let client = client.clone();
        let url = url.to_owned();
        let count = count.clone();
        tasks.push(tokio::spawn(async move {
            while Instant::now() < deadline {
                let r = client.get(&url).send().await.expect("request");
                assert!(r.status().is_success(), "{}", r.status());
                r.bytes().await.expect("body");
                count.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    for t in tasks {
        t.await.expect("join");
    }
    count.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}
