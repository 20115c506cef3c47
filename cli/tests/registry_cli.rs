//! Registry commands against a real `herald serve`: register (dry run, dependency order, idempotent), subjects,
//! schema get and diff, config, mode, delete, and `herald check --registry`.

mod common;

use common::{Server, herald, write};

const CUSTOMER: &str = r#"{"type": "record", "name": "Customer", "namespace": "shop", "fields": [{"name": "id", "type": "string"}]}
"#;
const ORDER: &str = r#"{"type": "record", "name": "Order", "namespace": "shop", "fields": [
  {"name": "id", "type": "string"},
  {"name": "customer", "type": "shop.Customer"}
]}
"#;
const ORDER_V2: &str = r#"{"type": "record", "name": "Order", "namespace": "shop", "fields": [
  {"name": "id", "type": "string"},
  {"name": "customer", "type": "shop.Customer"},
  {"name": "note", "type": "string", "default": ""}
]}
"#;
const ORDER_BREAKING: &str = r#"{"type": "record", "name": "Order", "namespace": "shop", "fields": [
  {"name": "id", "type": "string"},
  {"name": "customer", "type": "shop.Customer"},
  {"name": "email", "type": "string"}
]}
"#;
const USER: &str =
    "syntax = \"proto3\";\npackage shop.v1;\n\nmessage User {\n  string name = 1;\n}\n";

fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "avro/customer.avsc", CUSTOMER);
    write(d, "avro/order.avsc", ORDER);
    write(d, "proto/shop/v1/user.proto", USER);
    write(
        d,
        "herald.yaml",
        "proto:\n  roots: [proto]\nschemas:\n  - files: avro/order.avsc\n    subject: orders-value\n    references: [avro/customer.avsc]\n  - files: 'avro/*.avsc'\n    naming: record\n  - files: 'proto/**/*.proto'\n    subject: 'users-value'\n",
    );
    dir
}

#[test]
fn register_in_dependency_order_then_inspect_and_change_settings() {
    let server = Server::start();
    let dir = project();
    let d = dir.path();
    let url = server.url.as_str();

    let dry = herald(d, &["register", "--registry", url, "--dry-run"]);
    assert_eq!(dry.code, 0, "{dry:?}");
    assert_eq!(
        dry.stdout,
        "avro/customer.avsc: would register under shop.Customer\n\
         avro/order.avsc: would register under orders-value\n\
         proto/shop/v1/user.proto: would register under users-value\n"
    );
    let none = herald(d, &["subjects", "--registry", url]);
    assert_eq!(none.stdout, "", "a dry run registers nothing");

    let reg = herald(d, &["register", "--registry", url]);
    assert_eq!(reg.code, 0, "{reg:?}");
    insta::assert_snapshot!("register_first", reg.stdout);
    let again = herald(d, &["register", "--registry", url]);
    assert_eq!(again.code, 0, "{again:?}");
    assert!(
        again.stdout.lines().all(|l| l.ends_with("unchanged")),
        "{}",
        again.stdout
    );

    let subjects = herald(d, &["subjects", "--registry", url]);
    assert_eq!(
        subjects.stdout,
        "orders-value\nshop.Customer\nusers-value\n"
    );

    // A compatible change becomes version 2; `check --registry` sees the breaking one.
    write(d, "avro/order.avsc", ORDER_V2);
    assert_eq!(herald(d, &["check", "--registry", url]).code, 0);
    assert_eq!(herald(d, &["register", "--registry", url]).code, 0);
    write(d, "avro/order.avsc", ORDER_BREAKING);
    let check = herald(d, &["check", "--registry", url, "--output", "github"]);
    assert_eq!(check.code, 1, "{check:?}");
    assert!(
        check.stdout.starts_with(
            "::error file=avro/order.avsc,line=4,col=3,title=READER_FIELD_MISSING_DEFAULT_VALUE::"
        ),
        "{}",
        check.stdout
    );
    assert!(
        check.stdout.contains("against orders-value version 2"),
        "{}",
        check.stdout
    );
    let refused = herald(d, &["register", "--registry", url]);
    assert_eq!(
        refused.code, 2,
        "the registry refuses an incompatible schema"
    );

    let get = herald(
        d,
        &["schema", "get", "orders-value", "1", "--registry", url],
    );
    assert_eq!(get.code, 0, "{get:?}");
    assert!(get.stdout.contains("\"name\": \"Order\""), "{}", get.stdout);
    let diff = herald(
        d,
        &[
            "schema",
            "diff",
            "orders-value",
            "1",
            "2",
            "--registry",
            url,
        ],
    );
    assert_eq!(diff.code, 0, "{diff:?}");
    insta::assert_snapshot!("schema_diff", diff.stdout);

    let cfg = herald(d, &["config", "get", "--registry", url]);
    assert_eq!(cfg.stdout, "BACKWARD\n");
    let set = herald(
        d,
        &[
            "config",
            "set",
            "FULL",
            "--subject",
            "orders-value",
            "--registry",
            url,
        ],
    );
    assert_eq!(set.code, 0, "{set:?}");
    assert_eq!(
        herald(d, &["config", "get", "orders-value", "--registry", url]).stdout,
        "FULL\n"
    );
    assert_eq!(
        herald(d, &["config", "get", "users-value", "--registry", url]).stdout,
        "BACKWARD\n"
    );

    assert_eq!(
        herald(d, &["mode", "get", "--registry", url]).stdout,
        "READWRITE\n"
    );
    let ro = herald(
        d,
        &[
            "mode",
            "set",
            "READONLY",
            "--subject",
            "users-value",
            "--registry",
            url,
        ],
    );
    assert_eq!(ro.code, 0, "{ro:?}");
    assert_eq!(
        herald(d, &["mode", "get", "users-value", "--registry", url]).stdout,
        "READONLY\n"
    );
    assert_eq!(
        herald(
            d,
            &[
                "mode",
                "set",
                "READWRITE",
                "--subject",
                "users-value",
                "--registry",
                url
            ]
        )
        .code,
        0
    );

    let soft = herald(d, &["delete", "orders-value", "2", "--registry", url]);
    assert_eq!(soft.code, 0, "{soft:?}");
    let get = herald(d, &["schema", "get", "orders-value", "--registry", url]);
    assert!(
        !get.stdout.contains("note"),
        "latest is version 1 again: {}",
        get.stdout
    );
    let hard = herald(
        d,
        &["delete", "users-value", "--permanent", "--registry", url],
    );
    assert_eq!(hard.code, 0, "{hard:?}");
    let deleted = herald(d, &["subjects", "--deleted", "--registry", url]);
    assert_eq!(deleted.stdout, "orders-value\nshop.Customer\n");
    let missing = herald(d, &["schema", "get", "nope", "--registry", url]);
    assert_eq!(missing.code, 2);
    assert!(missing.stderr.contains("not found"), "{}", missing.stderr);
}

#[test]
fn registry_url_from_the_environment_and_auth_headers_accepted() {
    let server = Server::start();
    let dir = project();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_herald"))
        .args(["subjects", "--token", "abc"])
        .current_dir(dir.path())
        .env("HERALD_REGISTRY_URL", &server.url)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let unreachable = herald(
        dir.path(),
        &["subjects", "--registry", "http://127.0.0.1:1"],
    );
    assert_eq!(unreachable.code, 2);
}

#[test]
fn completions_and_help_have_examples() {
    let dir = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish"] {
        let run = herald(dir.path(), &["completions", shell]);
        assert_eq!(run.code, 0, "{run:?}");
        assert!(run.stdout.contains("register"), "{shell}");
    }
    for cmd in [
        "check",
        "register",
        "subjects",
        "schema",
        "config",
        "mode",
        "delete",
        "export",
        "import",
        "completions",
    ] {
        let run = herald(dir.path(), &[cmd, "--help"]);
        assert_eq!(run.code, 0, "{cmd}: {run:?}");
        assert!(run.stdout.contains("Examples:"), "{cmd}: {}", run.stdout);
    }
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn example_project_registers_protobuf_imports_as_references() {
    let server = Server::start();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    copy_dir(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/project"),
        d,
    );
    let url = server.url.as_str();
    let reg = herald(d, &["register", "--registry", url]);
    assert_eq!(reg.code, 0, "{reg:?}");
    insta::assert_snapshot!("register_example", reg.stdout);
    // user.proto imports address.proto: registered with a reference named by the import path.
    let out = reqwest::blocking::get(format!("{url}/subjects/user-value/versions/1"))
        .unwrap()
        .text()
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        v["references"],
        serde_json::json!([{"name": "shop/v1/address.proto", "subject": "address-value", "version": 1}])
    );
    let same = herald(d, &["check", "--registry", url]);
    assert_eq!(same.stdout, "compatible: 4 schema(s) checked\n", "{same:?}");

    let path = d.join("proto/shop/v1/address.proto");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replace("string city = 2;", "int32 city = 2;")).unwrap();
    let check = herald(d, &["check", "--registry", url]);
    assert_eq!(check.code, 1, "{check:?}");
    insta::assert_snapshot!("check_example_registry", check.stdout);
}

/// A one-request HTTP server that answers `[]` and hands back the request head it received.
fn capture_one_request() -> (String, std::thread::JoinHandle<String>) {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let handle = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut head = String::new();
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap() == 0 || line == "\r\n" {
                break;
            }
            head.push_str(&line);
        }
        let mut stream = stream;
        stream
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n[]")
            .unwrap();
        head
    });
    (url, handle)
}

#[test]
fn basic_auth_and_bearer_token_are_sent() {
    let dir = tempfile::tempdir().unwrap();
    let (url, handle) = capture_one_request();
    let run = herald(
        dir.path(),
        &[
            "subjects",
            "--registry",
            &url,
            "--user",
            "ci",
            "--password",
            "s3cret",
        ],
    );
    assert_eq!(run.code, 0, "{run:?}");
    let head = handle.join().unwrap().to_ascii_lowercase();
    // base64("ci:s3cret")
    assert!(head.contains("authorization: basic y2k6cznjcmv0"), "{head}");
    assert!(head.starts_with("get /subjects http/1.1"), "{head}");

    let (url, handle) = capture_one_request();
    let run = herald(
        dir.path(),
        &["subjects", "--registry", &url, "--token", "tok-123"],
    );
    assert_eq!(run.code, 0, "{run:?}");
    let head = handle.join().unwrap();
    assert!(head.contains("authorization: Bearer tok-123"), "{head}");
}
