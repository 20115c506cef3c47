//! Real clients against the real server (feature `clients`): Python `confluent-kafka` 2.16.0 and npm
//! `@confluentinc/schemaregistry`, installed by `tests/clients/setup.sh`. Missing clients fail these tests.
#![cfg(feature = "clients")]

use herald_e2e::{Registry, node_project, python, run_json, scripts_dir};
use serde_json::{Value, json};

const USER_V1: &str = r#"{"type":"record","name":"User","namespace":"e2e","fields":[{"name":"name","type":"string"}]}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_schema_registry_client_and_serdes() {
    let registry = Registry::start().await;
    let script = scripts_dir().join("python_client.py");
    let out = run_json(
        python(),
        vec![script.display().to_string(), registry.url.clone()],
        scripts_dir(),
    )
    .await;
    let expect: &[(&str, Value)] = &[
        ("register", json!(1)),
        ("register_again", json!(1)),
        ("full", json!([1, 1, "users-value", true])),
        ("get_schema", json!([USER_V1, "AVRO"])),
        ("get_schema_subject", json!(USER_V1)),
        ("by_guid", json!(USER_V1)),
        ("types", json!(["AVRO", "JSON", "PROTOBUF"])),
        ("subjects_by_id", json!(["users-value"])),
        ("versions_by_id", json!([["users-value", 1]])),
        ("lookup", json!([1, 1, "users-value"])),
        ("lookup_missing", json!([404, 40403])),
        ("subjects", json!(["users-value"])),
        ("latest", json!(1)),
        ("version", json!(1)),
        ("versions", json!([1])),
        ("missing_subject", json!([404, 40401])),
        ("set_compat", json!({"compatibility": "FULL"})),
        ("get_compat", json!("FULL")),
        ("test_compat", json!(true)),
        ("test_compat_all", json!(true)),
        ("test_compat_bad", json!(false)),
        ("register_bad", json!([409, 40901])),
        ("register_v2", json!(2)),
        ("global_config", json!("BACKWARD")),
        ("delete_config", json!("FULL")),
        ("missing_config", json!([404, 40408])),
        ("update_mode", json!("READONLY")),
        ("get_mode", json!("READONLY")),
        ("readonly_register", json!([422, 42205])),
        ("delete_mode", json!("READONLY")),
        ("global_mode", json!("READWRITE")),
        ("update_global_mode", json!("READWRITE")),
        ("contexts", json!(["."])),
        ("delete_subject", json!([1])),
        ("subjects_deleted", json!(["tmp", "users-value"])),
        ("delete_subject_permanent", json!([1])),
        ("delete_version", json!(2)),
        ("versions_after_delete", json!([1])),
        ("referenced_by", json!([])),
        ("latest_with_metadata", json!([1, {"owner": "team-a"}])),
        ("referenced_by_address", json!(true)),
        ("person_references", json!([["e2e.Address", "address", 1]])),
        ("wire", json!([0, 2])),
        ("round_trip", json!({"name": "Ada", "age": 36})),
        ("people_subjects", json!(["people-value"])),
        ("protobuf_wire", json!([0, 8])),
        ("protobuf_round_trip", json!("hello")),
        ("protobuf_latest", json!([1, "PROTOBUF"])),
        ("protobuf_serialized", json!(["t", ["Ping"]])),
    ];
    for (key, want) in expect {
        assert_eq!(&out[*key], want, "python: {key} in {out}");
    }
    registry.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn javascript_schema_registry_client_and_serdes() {
    let registry = Registry::start().await;
    let project = node_project();
    let script = scripts_dir().join("node_client.js");
    let out = run_json(
        "node".into(),
        vec![script.display().to_string(), registry.url.clone()],
        project,
    )
    .await;
    let pet = r#"{"type":"record","name":"Pet","namespace":"e2e","fields":[{"name":"name","type":"string"}]}"#;
    let expect: &[(&str, Value)] = &[
        ("register", json!(1)),
        ("full", json!([1, 1, "string"])),
        ("byId", json!(pet)),
        ("bySubjectAndId", json!(pet)),
        ("byGuid", json!(pet)),
        ("getId", json!(1)),
        ("getVersion", json!(1)),
        ("latest", json!(1)),
        ("metadata", json!(1)),
        ("allVersions", json!([1])),
        ("allSubjects", json!(["pets-value"])),
        ("updateCompat", json!("FULL")),
        ("compat", json!("FULL")),
        ("defaultCompat", json!("BACKWARD")),
        ("testLatest", json!(true)),
        ("testVersion", json!(false)),
        ("registerBad", json!([409, 40901])),
        ("missing", json!([404, 40401])),
        ("config", json!("FULL")),
        ("updateDefaultConfig", json!("BACKWARD")),
        ("deleteSubject", json!([1])),
        ("deleteSubjectPermanent", json!([1])),
        ("deleteVersion", json!(2)),
        ("roundTrip", json!({"name": "Rex", "legs": 3})),
    ];
    for (key, want) in expect {
        assert_eq!(&out[*key], want, "node: {key} in {out}");
    }
    assert_eq!(out["wire"][0], 0, "magic byte");
    assert!(
        out["wire"][1].as_i64().is_some_and(|id| id > 1),
        "schema id in the wire format: {out}"
    );
    registry.stop().await;
}
