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
