//! Test harness: starts the real server on 127.0.0.1:0 over a fresh database and talks to it with reqwest.
#![allow(dead_code)]

pub mod scenarios;

use std::time::Duration;

use herald_registry_server::{Config, run};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A running server.
#[derive(Debug)]
pub struct Server {
    pub base: String,
    pub client: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Result<(), herald_registry_server::Error>>>,
}

impl Server {
    pub async fn start(database_url: &str) -> Server {
        Self::start_with(Config {
            database_url: database_url.to_owned(),
            max_body_bytes: 64 * 1024,
            ..Config::default()
        })
        .await
    }

    pub async fn start_with(config: Config) -> Server {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (tx, rx) = oneshot::channel();
        let task = tokio::spawn(run(listener, config, async move {
            let _ = rx.await;
        }));
        let server = Server {
            base: format!("http://{addr}"),
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .expect("client"),
            stop: Some(tx),
            task: Some(task),
        };
        for _ in 0..200 {
            if let Ok(r) = server
                .client
                .get(format!("{}/readyz", server.base))
                .send()
                .await
                && r.status() == StatusCode::OK
            {
                return server;
            }
            if server.task.as_ref().is_some_and(|t| t.is_finished()) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        let mut server = server;
        let result = server.task.take().expect("task").await.expect("join");
        panic!("server did not become ready: {result:?}");
    }

    /// Stops the server and waits until it has shut down.
    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.await
                .expect("join")
                .expect("server ended with an error");
        }
    }

    /// Sends a request with the Confluent content type; returns status and JSON (or `Value::String` if not JSON).
    pub async fn call(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut req = self.client.request(
            Method::from_bytes(method.as_bytes()).expect("method"),
            format!("{}{path}", self.base),
        );
        if let Some(b) = body {
            req = req
                .header("Content-Type", "application/vnd.schemaregistry.v1+json")
                .body(b.to_string());
        }
        let resp = req.send().await.expect("request");
        let status = resp.status().as_u16();
        let text = resp.text().await.expect("body");
        let json = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, json)
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.call("GET", path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.call("POST", path, Some(body)).await
    }

    pub async fn put(&self, path: &str, body: Value) -> (u16, Value) {
        self.call("PUT", path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> (u16, Value) {
        self.call("DELETE", path, None).await
    }

    /// Registers an Avro schema text and returns the response (asserting 200).
    pub async fn register(&self, subject: &str, schema: &str) -> Value {
        let (s, v) = self
            .post(
                &format!("/subjects/{subject}/versions"),
                serde_json::json!({ "schema": schema }),
            )
            .await;
        assert_eq!(s, 200, "register {subject}: {v}");
        v
    }
}

/// Asserts a Confluent error: HTTP status and error code.
#[track_caller]
pub fn assert_error(got: &(u16, Value), status: u16, code: u64) {
    assert_eq!(got.0, status, "status of {}", got.1);
    assert_eq!(
        got.1["error_code"].as_u64(),
        Some(code),
        "error_code of {}",
        got.1
    );
    assert!(got.1["message"].is_string(), "message of {}", got.1);
}

/// A record schema `name` with `n` int fields `f0..`, the later ones with defaults.
pub fn record(name: &str, n: usize) -> String {
    let fields: Vec<String> = (0..n)
        .map(|i| {
            if i == 0 {
                format!(r#"{{"name":"f{i}","type":"int"}}"#)
            } else {
                format!(r#"{{"name":"f{i}","type":"int","default":0}}"#)
            }
        })
        .collect();
    format!(
        r#"{{"type":"record","name":"{name}","fields":[{}]}}"#,
        fields.join(",")
    )
}

/// A fresh SQLite database file in a temporary directory.
pub fn sqlite_url(dir: &tempfile::TempDir) -> String {
    format!("sqlite://{}/herald.db", dir.path().display())
}
