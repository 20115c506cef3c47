//! Process-level test of `herald serve`: the real binary on 127.0.0.1:0 with a fresh SQLite file, a registration
//! and a lookup over plain HTTP, then SIGTERM and a clean exit.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::Duration;

fn http(addr: &str, method: &str, path: &str, body: &str) -> String {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/vnd.schemaregistry.v1+json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

#[test]
fn serve_registers_and_serves_schemas_then_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("registry.db").display());
    let mut child = Command::new(env!("CARGO_BIN_EXE_herald"))
        .args(["serve", "--listen", "127.0.0.1:0", "--database-url", &db])
        .env_remove("HERALD_LISTEN")
        .env_remove("HERALD_DATABASE_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start herald serve");
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut addr = None;
    for _ in 0..50 {
        let mut line = String::new();
        if stderr.read_line(&mut line).unwrap() == 0 {
            break;
        }
        if let Some(rest) = line.split("listening on http://").nth(1) {
            addr = rest.split_whitespace().next().map(str::to_owned);
            break;
        }
    }
    let addr = addr.expect("herald serve printed its address");

    let schema = r#"{"schema": "{\"type\":\"record\",\"name\":\"Order\",\"fields\":[{\"name\":\"id\",\"type\":\"string\"}]}"}"#;
    let registered = http(&addr, "POST", "/subjects/orders-value/versions", schema);
    assert!(registered.starts_with("HTTP/1.1 200"), "{registered}");
    assert!(registered.contains("\"id\":1"), "{registered}");
    let fetched = http(&addr, "GET", "/schemas/ids/1", "");
    assert!(fetched.contains("Order"), "{fetched}");
    let missing = http(&addr, "GET", "/subjects/nope/versions", "");
    assert!(
        missing.starts_with("HTTP/1.1 404") && missing.contains("40401"),
        "{missing}"
    );

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = child.wait().unwrap();
    assert_eq!(
        exit.code(),
        Some(0),
        "herald serve exits cleanly on SIGTERM"
    );
    // The database outlives the process.
    assert!(dir.path().join("registry.db").exists());
}
