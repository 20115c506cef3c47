//! Integration tests over the embedded SQLite database: the real server on 127.0.0.1:0, driven with reqwest.

mod common;

use common::{Server, scenarios, sqlite_url};

macro_rules! scenario {
    ($($name:ident),* $(,)?) => {$(
        #[tokio::test]
        async fn $name() {
            let dir = tempfile::tempdir().expect("tempdir");
            let server = Server::start(&sqlite_url(&dir)).await;
            scenarios::$name(&server).await;
            server.stop().await;
        }
    )*};
}

scenario!(
    register_and_read,
    bad_input,
    no_server_errors,
    client_quirks,
    deletes,
    compatibility,
    config_and_mode,
    contexts,
    references,
    normalize_metadata_and_other_types,
    operations,
    protobuf_canonical,
    aliases_formats_and_fields,
);

#[tokio::test]
async fn concurrent_registrations() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(&sqlite_url(&dir)).await;
    server
        .put("/config", serde_json::json!({"compatibility": "NONE"}))
        .await;
    scenarios::concurrent_registrations(&[&server]).await;
    server.stop().await;
}

#[tokio::test]
async fn data_survives_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(&sqlite_url(&dir)).await;
    let id = server.register("keep", r#"{"type":"string"}"#).await["id"].clone();
    server.stop().await;
    let server = Server::start(&sqlite_url(&dir)).await;
    assert_eq!(server.get("/subjects").await.1, serde_json::json!(["keep"]));
    assert_eq!(server.get(&format!("/schemas/ids/{id}")).await.0, 200);
    server.stop().await;
}

#[tokio::test]
async fn unsupported_database_urls_fail_to_start() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let config = herald_registry_server::Config {
        database_url: "mysql://localhost/x".to_owned(),
        ..Default::default()
    };
    let result = herald_registry_server::run(listener, config, async {}).await;
    assert!(
        matches!(result, Err(herald_registry_server::Error::Config(_))),
        "{result:?}"
    );
}

/// The second and later reads of an id are answered from the cache before routing: the answer must be the one the
/// routed handler gives (body, negotiated media type, headers) and the metrics must count both under the route.
#[tokio::test]
async fn cached_ids_answer_like_the_routed_handler() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(&sqlite_url(&dir)).await;
    let id = server
        .register(
            "cached-value",
            r#"{"type": "record", "name": "Cached", "fields": []}"#,
        )
        .await["id"]
        .as_i64()
        .expect("id");
    let url = format!("{}/schemas/ids/{id}", server.base);
    let read = |accept: Option<&'static str>| {
        let mut req = server.client.get(&url);
        if let Some(a) = accept {
            req = req.header("Accept", a);
        }
        async move {
            let resp = req.send().await.expect("request");
            let headers = resp.headers().clone();
            let pick = |n: &str| {
                headers
                    .get(n)
                    .map(|v| v.to_str().expect("ascii").to_owned())
            };
            let got = (
                resp.status().as_u16(),
                pick("content-type"),
                pick("cache-control"),
                pick("x-xss-protection"),
            );
            (got, resp.text().await.expect("body"))
        }
    };
    // The first read fills the cache through the routed handler; the next ones are served from it.
    let first = read(None).await;
    let cached = read(None).await;
    assert_eq!(first, cached);
    assert_eq!(first.0.0, 200);
    assert_eq!(
        first.0.1.as_deref(),
        Some("application/vnd.schemaregistry.v1+json")
    );
    let json = read(Some("application/json")).await;
    assert_eq!(json.0.1.as_deref(), Some("application/json"));
    assert_eq!(json.1, first.1);

    let (_, metrics) = server.get("/metrics").await;
    let metrics = metrics.as_str().expect("text").to_owned();
    let line = metrics
        .lines()
        .find(|l| {
            l.contains("/schemas/ids/{id}") && l.contains("status=\"200\"") && !l.starts_with('#')
        })
        .unwrap_or_else(|| panic!("no request count for the route:\n{metrics}"));
    assert!(
        line.trim_end().ends_with(" 3"),
        "three reads counted: {line}"
    );
    server.stop().await;
}
