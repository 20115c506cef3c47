//! Integration tests over PostgreSQL (feature `postgres-tests`). They REQUIRE a server at
//! `HERALD_TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`) and fail if it is
//! unreachable; each test creates and drops its own database.
#![cfg(feature = "postgres-tests")]

mod common;

use std::sync::atomic::{AtomicU32, Ordering};

use common::{Server, scenarios};
use sqlx::Connection;
use sqlx::postgres::PgConnection;

static COUNTER: AtomicU32 = AtomicU32::new(0);

fn admin_url() -> String {
    std::env::var("HERALD_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// A database of its own for one test.
struct TestDb {
    name: String,
    url: String,
}

impl TestDb {
    async fn create() -> TestDb {
        let admin = admin_url();
        let mut conn = PgConnection::connect(&admin).await.unwrap_or_else(|e| {
            panic!("PostgreSQL tests need a server at {admin} (HERALD_TEST_POSTGRES_URL): {e}")
        });
        let name = format!(
            "herald_test_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or(0)
        );
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .expect("create database");
        conn.close().await.ok();
        let (base, query) = match admin.split_once('?') {
            Some((b, q)) => (b.to_owned(), format!("?{q}")),
            None => (admin.clone(), String::new()),
        };
        let prefix = base
            .rsplit_once('/')
            .map_or(base.as_str(), |(p, _)| p)
            .to_owned();
        TestDb {
            url: format!("{prefix}/{name}{query}"),
            name,
        }
    }

    async fn drop(self) {
        let mut conn = PgConnection::connect(&admin_url())
            .await
            .expect("connect to drop");
        sqlx::query(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        ))
        .execute(&mut conn)
        .await
        .expect("drop database");
    }
}

macro_rules! scenario {
    ($($name:ident),* $(,)?) => {$(
        #[tokio::test]
        async fn $name() {
            let db = TestDb::create().await;
            let server = Server::start(&db.url).await;
            scenarios::$name(&server).await;
            server.stop().await;
            db.drop().await;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_registrations() {
    let db = TestDb::create().await;
    let server = Server::start(&db.url).await;
    server
        .put("/config", serde_json::json!({"compatibility": "NONE"}))
        .await;
    scenarios::concurrent_registrations(&[&server]).await;
    server.stop().await;
    db.drop().await;
}

/// Two server instances on one database: unique ids, contiguous versions, reads through either at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_registrations_on_two_instances() {
    let db = TestDb::create().await;
    let a = Server::start(&db.url).await;
    let b = Server::start(&db.url).await;
    a.put("/config", serde_json::json!({"compatibility": "NONE"}))
        .await;
    scenarios::concurrent_registrations(&[&a, &b]).await;
    // A schema registered through one instance is readable by id through the other at once.
    let id = a
        .register("cross", r#"{"type":"fixed","name":"F","size":4}"#)
        .await["id"]
        .clone();
    assert_eq!(b.get(&format!("/schemas/ids/{id}")).await.0, 200);
    a.stop().await;
    b.stop().await;
    db.drop().await;
}

/// A hard delete through one instance reaches the id cache of the other (LISTEN/NOTIFY), for both the cached
/// `GET /schemas/ids/{id}` body and the cached row behind `/schema`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hard_deletes_reach_every_replica() {
    let db = TestDb::create().await;
    let a = Server::start(&db.url).await;
    let b = Server::start(&db.url).await;
    let id = a
        .register("gone", r#"{"type":"fixed","name":"G","size":8}"#)
        .await["id"]
        .clone();
    // Both instances cache the schema.
    for server in [&a, &b] {
        assert_eq!(server.get(&format!("/schemas/ids/{id}")).await.0, 200);
        assert_eq!(
            server.get(&format!("/schemas/ids/{id}/schema")).await.0,
            200
        );
    }
    assert_eq!(a.delete("/subjects/gone").await.0, 200);
    // A soft delete keeps the id readable everywhere.
    assert_eq!(b.get(&format!("/schemas/ids/{id}")).await.0, 200);
    assert_eq!(a.delete("/subjects/gone?permanent=true").await.0, 200);
    assert_eq!(a.get(&format!("/schemas/ids/{id}")).await.0, 404);
    // The notification is delivered at commit; give it a moment to arrive.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let body = b.get(&format!("/schemas/ids/{id}")).await.0;
        let text = b.get(&format!("/schemas/ids/{id}/schema")).await.0;
        if (body, text) == (404, 404) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the other instance still serves hard-deleted id {id}: {body}, {text}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    a.stop().await;
    b.stop().await;
    db.drop().await;
}
