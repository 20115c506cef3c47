//! `herald::confluent::RegistryClient` against a scripted HTTP server on 127.0.0.1:0: retries on 5xx and
//! connection errors, none on 4xx, authentication headers, request bodies with references, and caching.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use herald::ProtoFile;
use herald::confluent::{RegistryClient, RegistryConfig, RegistryError};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A server answering each request with the next (status, body) of its script (the last one repeats), recording
/// the requests it got.
struct Scripted {
    url: String,
    requests: Arc<Mutex<Vec<String>>>,
}

async fn serve(script: Vec<(u16, &'static str)>) -> Scripted {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let requests = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&requests);
    tokio::spawn(async move {
        let mut n = 0;
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            // Read the head, then the body its content-length announces.
            loop {
                let read = stream.read(&mut chunk).await.unwrap_or(0);
                if read == 0 {
                    break;
                }
                buf.extend_from_slice(&chunk[..read]);
                let text = String::from_utf8_lossy(&buf).to_string();
                if let Some(end) = text.find("\r\n\r\n") {
                    let len = text[..end]
                        .lines()
                        .find_map(|l| {
                            let l = l.to_ascii_lowercase();
                            l.strip_prefix("content-length:")
                                .map(|v| v.trim().parse::<usize>().unwrap())
                        })
                        .unwrap_or(0);
                    if buf.len() >= end + 4 + len {
                        break;
                    }
                }
            }
            seen.lock()
                .unwrap()
                .push(String::from_utf8_lossy(&buf).to_string());
            let (status, body) = script[n.min(script.len() - 1)];
            n += 1;
            let resp = format!(
                "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(resp.as_bytes()).await;
            let _ = stream.shutdown().await;
        }
    });
    Scripted { url, requests }
}

fn config(url: &str) -> RegistryConfig {
    RegistryConfig::new(url)
        .retries(2, Duration::from_millis(1))
        .timeout(Duration::from_secs(5))
}

static DEP: ProtoFile = ProtoFile {
    name: "dep/common.proto",
    source: "syntax = \"proto3\";\npackage dep;\nmessage Money { int64 cents = 1; }\n",
    imports: &[],
};
static FILE: ProtoFile = ProtoFile {
    name: "shop/order.proto",
    source: "syntax = \"proto3\";\npackage shop;\nimport \"dep/common.proto\";\nmessage Order { dep.Money total = 1; }\n",
    imports: &[&DEP],
};

#[tokio::test]
async fn server_errors_are_retried_then_answered() {
    let s = serve(vec![
        (503, "{}"),
        (500, r#"{"error_code":50001,"message":"boom"}"#),
        (
            200,
            r#"{"subject":"t-value","version":1,"id":7,"schema":"x"}"#,
        ),
    ])
    .await;
    let client = RegistryClient::new(config(&s.url)).unwrap();
    assert_eq!(client.lookup("t-value", &DEP).await.unwrap(), 7);
    assert_eq!(s.requests.lock().unwrap().len(), 3);
    // Cached: no further request.
    assert_eq!(client.lookup("t-value", &DEP).await.unwrap(), 7);
    assert_eq!(s.requests.lock().unwrap().len(), 3);
}

#[tokio::test]
async fn retries_are_bounded() {
    let s = serve(vec![(502, "bad gateway")]).await;
    let client = RegistryClient::new(config(&s.url)).unwrap();
    let err = client.lookup("t-value", &DEP).await.unwrap_err();
    assert!(
        matches!(
            err,
            RegistryError::Api {
                status: 502,
                code: -1,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(s.requests.lock().unwrap().len(), 3);
}

#[tokio::test]
async fn client_errors_are_not_retried() {
    let s = serve(vec![(
        404,
        r#"{"error_code":40403,"message":"Schema not found"}"#,
    )])
    .await;
    let client = RegistryClient::new(config(&s.url)).unwrap();
    let err = client.lookup("t-value", &DEP).await.unwrap_err();
    assert!(err.is_not_found());
    assert_eq!(err.code(), Some(40403));
    assert_eq!(s.requests.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn connection_errors_are_retried_then_reported() {
    // A port nothing listens on.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let client = RegistryClient::new(config(&url)).unwrap();
    let err = client.schema(1).await.unwrap_err();
    assert!(
        matches!(err, RegistryError::Unreachable { attempts: 3, .. }),
        "{err}"
    );
}

#[tokio::test]
async fn credentials_are_sent() {
    let ok = r#"{"subject":"s","version":1,"id":1}"#;
    let s = serve(vec![(200, ok)]).await;
    let client = RegistryClient::new(config(&s.url).basic_auth("key", "secret")).unwrap();
    client.lookup("s", &DEP).await.unwrap();
    let s2 = serve(vec![(200, ok)]).await;
    let client = RegistryClient::new(config(&s2.url).bearer_token("tok")).unwrap();
    client.lookup("s", &DEP).await.unwrap();
    let basic = s.requests.lock().unwrap()[0].to_ascii_lowercase();
    assert!(
        basic.contains("authorization: basic a2v5onnly3jlda=="),
        "{basic}"
    );
    let bearer = s2.requests.lock().unwrap()[0].to_ascii_lowercase();
    assert!(bearer.contains("authorization: bearer tok"), "{bearer}");
}

#[tokio::test]
async fn registration_registers_imports_first_and_references_them() {
    let s = serve(vec![
        // dep: lookup misses, register, lookup finds version 3.
        (404, r#"{"error_code":40403,"message":"Schema not found"}"#),
        (200, r#"{"id":1}"#),
        (200, r#"{"subject":"dep/common.proto","version":3,"id":1}"#),
        // The file itself: lookup misses, register, lookup.
        (404, r#"{"error_code":40401,"message":"Subject not found"}"#),
        (200, r#"{"id":2}"#),
        (200, r#"{"subject":"orders-value","version":1,"id":2}"#),
    ])
    .await;
    let client = RegistryClient::new(config(&s.url)).unwrap();
    assert_eq!(client.register("orders-value", &FILE).await.unwrap(), 2);
    let requests = s.requests.lock().unwrap().clone();
    let lines: Vec<&str> = requests.iter().map(|r| r.lines().next().unwrap()).collect();
    assert_eq!(
        lines,
        [
            "POST /subjects/dep%2Fcommon.proto HTTP/1.1",
            "POST /subjects/dep%2Fcommon.proto/versions HTTP/1.1",
            "POST /subjects/dep%2Fcommon.proto HTTP/1.1",
            "POST /subjects/orders-value HTTP/1.1",
            "POST /subjects/orders-value/versions HTTP/1.1",
            "POST /subjects/orders-value HTTP/1.1",
        ]
    );
    let body = requests[4].split("\r\n\r\n").nth(1).unwrap();
    let body: serde_json::Value = serde_json::from_str(body).unwrap();
    assert_eq!(body["schemaType"], "PROTOBUF");
    assert_eq!(body["schema"], FILE.source);
    assert_eq!(
        body["references"],
        serde_json::json!([{"name": "dep/common.proto", "subject": "dep/common.proto", "version": 3}])
    );
}
