//! Helpers for Herald's end-to-end tests: start the real registry server on 127.0.0.1:0 over a fresh SQLite
//! database, and run the client scripts in `tests/clients/` (Python `confluent-kafka`, npm
//! `@confluentinc/schemaregistry`) against it, parsing the JSON they print; register the example's shop events and
//! write the descriptors the Python protobuf scripts build their message classes from.

use std::path::{Path, PathBuf};
use std::process::Command;

use herald::Event;
use herald::confluent::RegistryClient;
use herald::prost::Message as _;
use herald_registry_server::{Config, run};
use shop_events::shop::orders::v1::OrderPlaced;
use shop_events::shop::payments::v1::PaymentCaptured;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The repository root (the parent of this crate).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// Where `tests/clients/setup.sh` installed the clients: `$HERALD_CLIENTS_DIR` or `<repo>/.herald-ci`.
pub fn clients_dir() -> PathBuf {
    std::env::var_os("HERALD_CLIENTS_DIR")
        .map_or_else(|| repo_root().join(".herald-ci"), PathBuf::from)
}

/// The client scripts.
pub fn scripts_dir() -> PathBuf {
    repo_root().join("tests").join("clients")
}

/// A registry server running in this process.
#[derive(Debug)]
pub struct Registry {
    pub url: String,
    _dir: tempfile::TempDir,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Result<(), herald_registry_server::Error>>>,
}

impl Registry {
    /// Starts the server on 127.0.0.1:0 with a new SQLite database.
    pub async fn start() -> Registry {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = Config {
            database_url: format!("sqlite://{}/herald.db", dir.path().display()),
            ..Config::default()
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let (tx, rx) = oneshot::channel();
        let task = tokio::spawn(run(listener, config, async move {
            let _ = rx.await;
        }));
        // The server is ready once it accepts connections and has migrated; poll the readiness endpoint.
        for _ in 0..400 {
            if ready(&url).await {
                return Registry {
                    url,
                    _dir: dir,
                    stop: Some(tx),
                    task: Some(task),
                };
            }
            assert!(
                !task.is_finished(),
                "server stopped during start: {:?}",
                task.await
            );
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        panic!("server at {url} did not become ready");
    }

    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.expect("join").expect("server error");
        }
    }
}

async fn ready(url: &str) -> bool {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let Some(addr) = url.strip_prefix("http://") else {
        return false;
    };
    let Ok(mut stream) = tokio::net::TcpStream::connect(addr).await else {
        return false;
    };
    let req = format!("GET /readyz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    if stream.write_all(req.as_bytes()).await.is_err() {
        return false;
    }
    let mut buf = Vec::new();
    let _ = stream.read_to_end(&mut buf).await;
    buf.starts_with(b"HTTP/1.1 200")
}

/// Runs `program args...` off the async runtime; panics with its output unless it exits 0; parses the last
/// stdout line as JSON.
pub async fn run_json(program: PathBuf, args: Vec<String>, cwd: PathBuf) -> serde_json::Value {
    let shown = format!("{} {}", program.display(), args.join(" "));
    let output = tokio::task::spawn_blocking(move || {
        Command::new(&program).args(&args).current_dir(cwd).output()
    })
    .await
    .expect("join")
    .unwrap_or_else(|e| panic!("cannot run {shown}: {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{shown} failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
    let last = stdout
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    serde_json::from_str(last)
        .unwrap_or_else(|e| panic!("{shown} printed no JSON ({e}):\n{stdout}\n{stderr}"))
}

/// The venv's Python, which must exist (run `tests/clients/setup.sh`).
pub fn python() -> PathBuf {
    let p = clients_dir().join("venv").join("bin").join("python");
    assert!(
        p.exists(),
        "{} is missing: run tests/clients/setup.sh first",
        p.display()
    );
    p
}

/// The Node project with `@confluentinc/schemaregistry`, which must exist.
pub fn node_project() -> PathBuf {
    let p = clients_dir().join("node");
    assert!(
        p.join("node_modules")
            .join("@confluentinc")
            .join("schemaregistry")
            .exists(),
        "{} has no @confluentinc/schemaregistry: run tests/clients/setup.sh first",
        p.display()
    );
    p
}

/// The schema ids [`write_shop_descriptors`] registered.
#[derive(Debug, Clone, Copy)]
pub struct ShopSchemaIds {
    /// `OrderPlaced`'s file under `orders.placed-value`.
    pub placed: u32,
    /// `PaymentCaptured`'s file under `payments.captured-value`.
    pub captured: u32,
}

/// Registers `OrderPlaced` and `PaymentCaptured` (with `herald/options.proto` as a reference) and writes the
/// registry's `format=serialized` descriptors of the three files to `dir` as `options.fdp`, `orders.fdp` and
/// `payments.fdp`, each named by its import path (a registry names a schema fetched by id as it likes; Herald uses
/// `<guid>.proto`, and imports refer to files by import path): what the Python scripts load.
pub async fn write_shop_descriptors(client: &RegistryClient, dir: &Path) -> ShopSchemaIds {
    let placed = client
        .register("orders.placed-value", OrderPlaced::SCHEMA.file)
        .await
        .expect("register OrderPlaced");
    let captured = client
        .register("payments.captured-value", PaymentCaptured::SCHEMA.file)
        .await
        .expect("register PaymentCaptured");
    let options_file = OrderPlaced::SCHEMA.file.imports[0];
    assert_eq!(options_file.name, "herald/options.proto");
    let options = client
        .lookup("herald/options.proto", options_file)
        .await
        .expect("look up herald/options.proto");
    for (name, id, file) in [
        ("options.fdp", options, options_file.name),
        ("orders.fdp", placed, OrderPlaced::SCHEMA.file.name),
        ("payments.fdp", captured, PaymentCaptured::SCHEMA.file.name),
    ] {
        let mut descriptor = client
            .schema(id)
            .await
            .expect("schema by id")
            .descriptor
            .clone()
            .expect("a protobuf descriptor");
        descriptor.name = Some(file.to_string());
        std::fs::write(dir.join(name), descriptor.encode_to_vec()).expect("write descriptor");
    }
    ShopSchemaIds { placed, captured }
}
