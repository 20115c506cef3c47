//! `herald check` on git fixture repositories and directories: compatible changes exit 0, breaking ones exit 1 with
//! file:line annotations in every output format.

mod common;

use common::{git, herald, write};

const ORDER_V1: &str = r#"{
  "type": "record",
  "name": "Order",
  "namespace": "shop",
  "fields": [
    {"name": "id", "type": "string"}
  ]
}
"#;

const ORDER_COMPATIBLE: &str = r#"{
  "type": "record",
  "name": "Order",
  "namespace": "shop",
  "fields": [
    {"name": "id", "type": "string"},
    {"name": "note", "type": "string", "default": ""}
  ]
}
"#;

const ORDER_BREAKING: &str = r#"{
  "type": "record",
  "name": "Order",
  "namespace": "shop",
  "fields": [
    {"name": "id", "type": "string"},
    {"name": "email", "type": "string"}
  ]
}
"#;

const USER_V1: &str = "syntax = \"proto3\";\npackage shop.v1;\n\nmessage User {\n  string name = 1;\n  int64 id = 2;\n}\n";
const USER_COMPATIBLE: &str = "syntax = \"proto3\";\npackage shop.v1;\n\nmessage User {\n  string name = 1;\n  int64 id = 2;\n  string email = 3;\n}\n";
const USER_BREAKING: &str = "syntax = \"proto3\";\npackage shop.v1;\n\nmessage User {\n  string name = 1;\n  string id = 2;\n}\n";

/// A repository with v1 committed on main and a branch `change` holding the given texts in the working tree.
fn fixture(order: &str, user: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    git(d, &["init", "-q", "-b", "main"]);
    write(d, "avro/order.avsc", ORDER_V1);
    write(d, "proto/shop/v1/user.proto", USER_V1);
    write(d, "README.md", "not a schema\n");
    write(
        d,
        "herald.yaml",
        "proto:\n  roots: [proto]\nschemas:\n  - files: 'avro/*.avsc'\n    naming: record\n  - files: 'proto/**/*.proto'\n",
    );
    git(d, &["add", "."]);
    git(d, &["commit", "-q", "-m", "v1"]);
    git(d, &["checkout", "-q", "-b", "change"]);
    write(d, "avro/order.avsc", order);
    write(d, "proto/shop/v1/user.proto", user);
    git(d, &["commit", "-q", "--allow-empty", "-am", "change"]);
    dir
}

#[test]
fn compatible_changes_pass_against_git() {
    let dir = fixture(ORDER_COMPATIBLE, USER_COMPATIBLE);
    let run = herald(dir.path(), &["check", "--against-git", "main"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.stdout, "compatible: 2 schema(s) checked\n");
}

#[test]
fn unchanged_repository_checks_nothing() {
    let dir = fixture(ORDER_V1, USER_V1);
    let run = herald(dir.path(), &["check", "--against-git", "main"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.stdout, "compatible: 0 schema(s) checked\n");
}

#[test]
fn breaking_changes_fail_with_github_annotations() {
    let dir = fixture(ORDER_BREAKING, USER_BREAKING);
    let run = herald(
        dir.path(),
        &["check", "--against-git", "main", "--output", "github"],
    );
    assert_eq!(run.code, 1, "{run:?}");
    // The Avro field `email` is on line 7, column 5; the protobuf field `id` on line 6 of user.proto.
    assert!(
        run.stdout.contains(
            "::error file=avro/order.avsc,line=7,col=5,title=READER_FIELD_MISSING_DEFAULT_VALUE::"
        ),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("::error file=proto/shop/v1/user.proto,line=6,col=3,title=FIELD_SAME_TYPE::"),
        "{}",
        run.stdout
    );
    insta::assert_snapshot!("breaking_github", run.stdout);
}

#[test]
fn breaking_changes_in_text_json_and_sarif() {
    let dir = fixture(ORDER_BREAKING, USER_BREAKING);
    let text = herald(dir.path(), &["check", "--against-git", "main"]);
    assert_eq!(text.code, 1, "{text:?}");
    insta::assert_snapshot!("breaking_text", text.stdout);

    let json = herald(
        dir.path(),
        &["check", "--against-git", "main", "--output", "json"],
    );
    assert_eq!(json.code, 1);
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(doc["compatible"], false);
    assert_eq!(doc["violations"][0]["subject"], "shop.Order");

    let sarif = herald(
        dir.path(),
        &["check", "--against-git", "main", "--output", "sarif"],
    );
    assert_eq!(sarif.code, 1);
    let doc: serde_json::Value = serde_json::from_str(&sarif.stdout).unwrap();
    assert_eq!(doc["version"], "2.1.0");
    let results = doc["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 2, "{}", sarif.stdout);
    let loc = &results[0]["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], "avro/order.avsc");
    assert_eq!(loc["region"]["startLine"], 7);
    insta::assert_snapshot!("breaking_sarif", sarif.stdout);
}

#[test]
fn against_dir_compares_the_same_paths() {
    let old = fixture(ORDER_V1, USER_V1);
    let new = fixture(ORDER_BREAKING, USER_V1);
    let run = herald(
        new.path(),
        &[
            "check",
            "--against-dir",
            old.path().to_str().unwrap(),
            "--output",
            "github",
        ],
    );
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(run.stdout.lines().count(), 1, "{}", run.stdout);
    assert!(run.stdout.contains("file=avro/order.avsc,line=7"));
}

#[test]
fn no_project_file_checks_every_schema_file() {
    let dir = fixture(ORDER_BREAKING, USER_V1);
    std::fs::remove_file(dir.path().join("herald.yaml")).unwrap();
    git(dir.path(), &["commit", "-q", "-am", "no project file"]);
    let run = herald(
        dir.path(),
        &["check", "--against-git", "main", "--output", "json"],
    );
    assert_eq!(run.code, 1, "{run:?}");
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    // Default naming: TopicNameStrategy with the file stem as the topic.
    assert_eq!(doc["violations"][0]["subject"], "order-value");
}

#[test]
fn invalid_input_and_usage_exit_2() {
    let dir = fixture(ORDER_V1, USER_V1);
    let run = herald(dir.path(), &["check"]);
    assert_eq!(run.code, 2, "{run:?}");
    let run = herald(dir.path(), &["check", "--against-git", "no-such-branch"]);
    assert_eq!(run.code, 2, "{run:?}");
    write(dir.path(), "avro/order.avsc", "{\"type\": \"record\"");
    let run = herald(dir.path(), &["check", "--against-git", "main"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("avro/order.avsc:"), "{}", run.stderr);
}

/// Per-file settings of herald.yaml apply offline too: one file checked with WIRE rules (a renamed field is fine on
/// the wire), one at level NONE (anything goes), the rest with the default FILE rules.
#[test]
fn per_file_rules_and_levels_apply_offline() {
    const A_V1: &str =
        "syntax = \"proto3\";\npackage shop.v1;\n\nmessage A {\n  string name = 1;\n}\n";
    const A_RENAMED: &str =
        "syntax = \"proto3\";\npackage shop.v1;\n\nmessage A {\n  string title = 1;\n}\n";
    const B_V1: &str =
        "syntax = \"proto3\";\npackage shop.v1;\n\nmessage B {\n  string name = 1;\n}\n";
    const B_RETYPED: &str =
        "syntax = \"proto3\";\npackage shop.v1;\n\nmessage B {\n  int64 name = 1;\n}\n";
    const C_V1: &str =
        "syntax = \"proto3\";\npackage shop.v1;\n\nmessage C {\n  string name = 1;\n}\n";
    const C_RENAMED: &str =
        "syntax = \"proto3\";\npackage shop.v1;\n\nmessage C {\n  string title = 1;\n}\n";

    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    git(d, &["init", "-q", "-b", "main"]);
    write(d, "shop/v1/a.proto", A_V1);
    write(d, "shop/v1/b.proto", B_V1);
    write(d, "shop/v1/c.proto", C_V1);
    write(
        d,
        "herald.yaml",
        "schemas:\n  - files: shop/v1/a.proto\n    rules: [WIRE]\n  - files: shop/v1/b.proto\n    level: NONE\n  - files: '**/*.proto'\n",
    );
    git(d, &["add", "."]);
    git(d, &["commit", "-q", "-m", "v1"]);
    write(d, "shop/v1/a.proto", A_RENAMED);
    write(d, "shop/v1/b.proto", B_RETYPED);
    write(d, "shop/v1/c.proto", C_RENAMED);

    let run = herald(d, &["check", "--against-git", "main", "--output", "json"]);
    assert_eq!(run.code, 1, "{run:?}");
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let findings = report["violations"].as_array().expect("violations");
    let located: Vec<(String, String)> = findings
        .iter()
        .map(|f| {
            (
                f["location"]["file"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                f["rule"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        located,
        vec![
            (
                "shop/v1/c.proto".to_owned(),
                "FIELD_SAME_JSON_NAME".to_owned()
            ),
            ("shop/v1/c.proto".to_owned(), "FIELD_SAME_NAME".to_owned()),
        ],
        "only c.proto, checked with the default FILE rules, breaks: {}",
        run.stdout
    );
}
