//! `herald export` and `herald import` between two real registries: ids, versions, configs and modes survive,
//! the verification pass agrees, and an interrupted import resumes.

mod common;

use std::path::Path;

use common::{Server, herald};

fn post(url: &str, path: &str, body: serde_json::Value) -> serde_json::Value {
    let client = reqwest::blocking::Client::new();
    let resp = client
        .post(format!("{url}{path}"))
        .header("Content-Type", "application/vnd.schemaregistry.v1+json")
        .body(body.to_string())
        .send()
        .unwrap();
    assert!(resp.status().is_success(), "{path}: {:?}", resp.text());
    resp.json().unwrap()
}

fn avro(fields: &str) -> serde_json::Value {
    serde_json::json!({
        "schema": format!(r#"{{"type":"record","name":"Order","namespace":"shop","fields":[{fields}]}}"#)
    })
}

/// A source registry with gaps in ids, shared ids, a soft-deleted version, references, configs and modes.
fn populate(url: &str, dir: &Path) {
    post(
        url,
        "/subjects/orders-value/versions",
        avro(r#"{"name":"id","type":"string"}"#),
    );
    post(
        url,
        "/subjects/orders-value/versions",
        avro(r#"{"name":"id","type":"string"},{"name":"a","type":"int","default":0}"#),
    );
    post(
        url,
        "/subjects/orders-value/versions",
        avro(
            r#"{"name":"id","type":"string"},{"name":"a","type":"int","default":0},{"name":"b","type":"int","default":0}"#,
        ),
    );
    // The same schema under another subject shares its id.
    post(
        url,
        "/subjects/copy-value/versions",
        avro(r#"{"name":"id","type":"string"}"#),
    );
    post(
        url,
        "/subjects/customer/versions",
        serde_json::json!({
            "schema": r#"{"type":"record","name":"Customer","namespace":"shop","fields":[{"name":"id","type":"string"}]}"#
        }),
    );
    post(
        url,
        "/subjects/with-ref/versions",
        serde_json::json!({
            "schema": r#"{"type":"record","name":"Envelope","namespace":"shop","fields":[{"name":"c","type":"shop.Customer"}]}"#,
            "references": [{"name": "shop.Customer", "subject": "customer", "version": 1}]
        }),
    );
    post(
        url,
        "/subjects/contract-value/versions",
        serde_json::json!({
            "schema": r#"{"type":"record","name":"Contract","namespace":"shop","fields":[{"name":"id","type":"string"}]}"#,
            "metadata": {"properties": {"owner": "team-a"}},
            "ruleSet": {"domainRules": [{"name": "idNotEmpty", "kind": "CONDITION", "type": "CEL", "mode": "WRITE", "expr": "message.id != ''"}]}
        }),
    );
    post(
        url,
        "/subjects/users-value/versions",
        serde_json::json!({
            "schemaType": "PROTOBUF",
            "schema": "syntax = \"proto3\";\npackage shop.v1;\n\nmessage User {\n  string name = 1;\n}\n"
        }),
    );
    let d = dir;
    assert_eq!(
        herald(d, &["delete", "orders-value", "2", "--registry", url]).code,
        0
    );
    assert_eq!(
        herald(
            d,
            &[
                "config",
                "set",
                "FULL",
                "--subject",
                "customer",
                "--registry",
                url
            ]
        )
        .code,
        0
    );
    assert_eq!(
        herald(d, &["config", "set", "FORWARD", "--registry", url]).code,
        0
    );
    assert_eq!(
        herald(
            d,
            &[
                "mode",
                "set",
                "READONLY",
                "--subject",
                "copy-value",
                "--registry",
                url
            ]
        )
        .code,
        0
    );
}

#[test]
fn export_then_import_reproduces_the_registry() {
    let source = Server::start();
    let target = Server::start();
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    populate(&source.url, w);

    let export = herald(w, &["export", "dump", "--registry", &source.url]);
    assert_eq!(export.code, 0, "{export:?}");
    assert!(
        export
            .stderr
            .contains("exported 6 subject(s), 8 version(s)"),
        "{}",
        export.stderr
    );
    insta::assert_snapshot!(
        "dump_orders",
        std::fs::read_to_string(w.join("dump/subjects/orders-value.json")).unwrap()
    );

    let contract = std::fs::read_to_string(w.join("dump/subjects/contract-value.json")).unwrap();
    assert!(
        contract.contains("team-a") && contract.contains("idNotEmpty"),
        "data contracts are exported: {contract}"
    );
    let import = herald(w, &["import", "dump", "--registry", &target.url]);
    assert_eq!(import.code, 0, "{import:?}");
    assert_eq!(
        import.stdout,
        "verified: 6 subject(s), 8 version(s) identical\n"
    );
    assert!(
        import.stderr.contains("import ["),
        "progress on stderr: {}",
        import.stderr
    );

    // Exports of both registries are byte-identical.
    assert_eq!(
        herald(w, &["export", "again", "--registry", &target.url]).code,
        0
    );
    for sub in [
        "registry.json",
        "subjects/orders-value.json",
        "subjects/with-ref.json",
        "subjects/copy-value.json",
        "subjects/customer.json",
        "subjects/users-value.json",
    ] {
        assert_eq!(
            std::fs::read_to_string(w.join("dump").join(sub)).unwrap(),
            std::fs::read_to_string(w.join("again").join(sub)).unwrap(),
            "{sub}"
        );
    }

    // The verification pass reports a difference made afterwards.
    assert_eq!(
        herald(
            w,
            &[
                "config",
                "set",
                "NONE",
                "--subject",
                "customer",
                "--registry",
                &target.url
            ]
        )
        .code,
        0
    );
    let verify = herald(
        w,
        &["import", "dump", "--verify-only", "--registry", &target.url],
    );
    assert_eq!(verify.code, 1, "{verify:?}");
    assert_eq!(
        verify.stdout,
        "difference: subject customer: compatibility expected Some(\"FULL\"), found Some(\"NONE\")\n\
         1 difference(s) between the dump and the registry\n"
    );
}

#[test]
fn interrupted_import_resumes() {
    let source = Server::start();
    let target = Server::start();
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    populate(&source.url, w);
    assert_eq!(
        herald(w, &["export", "dump", "--registry", &source.url]).code,
        0
    );

    // An import cut short: only some subjects made it, and the target stayed in IMPORT mode.
    std::fs::create_dir_all(w.join("partial/subjects")).unwrap();
    std::fs::copy(
        w.join("dump/registry.json"),
        w.join("partial/registry.json"),
    )
    .unwrap();
    for sub in ["orders-value.json", "customer.json"] {
        std::fs::copy(
            w.join("dump/subjects").join(sub),
            w.join("partial/subjects").join(sub),
        )
        .unwrap();
    }
    let partial = herald(w, &["import", "partial", "--registry", &target.url]);
    assert_eq!(partial.code, 0, "{partial:?}");
    assert_eq!(
        herald(w, &["mode", "set", "IMPORT", "--registry", &target.url]).code,
        2,
        "not without force"
    );

    let resumed = herald(w, &["import", "dump", "--registry", &target.url]);
    assert_eq!(resumed.code, 0, "{resumed:?}");
    assert!(
        resumed
            .stderr
            .contains("imported 4 version(s), 4 already present"),
        "{}",
        resumed.stderr
    );
    assert_eq!(
        resumed.stdout,
        "verified: 6 subject(s), 8 version(s) identical\n"
    );

    // A registry holding other subjects is refused.
    let other = Server::start();
    post(
        &other.url,
        "/subjects/unrelated/versions",
        avro(r#"{"name":"id","type":"string"}"#),
    );
    let refused = herald(w, &["import", "dump", "--registry", &other.url]);
    assert_eq!(refused.code, 2, "{refused:?}");
    assert!(refused.stderr.contains("unrelated"), "{}", refused.stderr);
}
