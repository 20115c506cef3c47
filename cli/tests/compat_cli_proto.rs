//! Process-level tests of `herald compat --type protobuf`: module directories and single files, rule sets,
//! ignores, levels, exit statuses and every output format.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn herald(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_herald"))
        .args(args)
        .current_dir(repo_root())
        .output()
        .expect("run herald")
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).unwrap()
}

fn case(id: &str, side: &str) -> String {
    format!("compat/testdata/conformance/protobuf/{id}/{side}")
}

#[test]
fn module_directories_default_to_buf_file_rules() {
    // A renamed map field: FILE reports it, WIRE does not (Herald compares map fields by key and value).
    let (old, new) = (case("case238", "old"), case("case238", "new"));
    let out = herald(&["compat", "--old", &old, "--new", &new]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    insta::assert_snapshot!("proto_text_file_rules", stdout(&out));
    let wire = herald(&["compat", "--rules", "WIRE", "--old", &old, "--new", &new]);
    assert_eq!(wire.status.code(), Some(0), "{}", stdout(&wire));
    assert!(
        stdout(&wire).contains("compatible: BACKWARD (rules WIRE) against 1 earlier version(s)")
    );
}

#[test]
fn single_files_compare_as_versions_of_one_file() {
    let old = format!("{}/a.proto", case("case030", "old"));
    let new = format!("{}/a.proto", case("case030", "new"));
    let out = herald(&[
        "compat", "--type", "protobuf", "--rules", "WIRE", "--old", &old, "--new", &new,
        "--output", "github",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.starts_with("::error file=compat/testdata/conformance/protobuf/case030/old/a.proto,line=7,col=3,title=FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED::"),
        "{text}"
    );
}

#[test]
fn json_output_names_files_rules_and_directions() {
    let (old, new) = (case("case041", "old"), case("case041", "new"));
    let out = herald(&[
        "compat",
        "--rules",
        "CONFLUENT",
        "--level",
        "FULL",
        "--old",
        &old,
        "--new",
        &new,
        "--output",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(doc["compatible"], false);
    assert_eq!(doc["level"], "FULL");
    assert_eq!(doc["rules"], "CONFLUENT");
    let v = &doc["violations"][0];
    assert_eq!(v["rule"], "MESSAGE_REMOVED");
    assert_eq!(v["direction"], "BACKWARD");
    assert_eq!(v["location"]["file"], format!("{old}/a.proto"));
    assert_eq!(v["location"]["line"], 17);
}

#[test]
fn ignores_by_rule_path_and_unstable_package() {
    let (old, new) = (case("case030", "old"), case("case030", "new"));
    let base = [
        "compat",
        "--rules",
        "WIRE_JSON",
        "--old",
        &old,
        "--new",
        &new,
    ];
    assert_eq!(herald(&base).status.code(), Some(1));
    let by_rule = [
        &base[..],
        &[
            "--ignore",
            "FIELD_NO_DELETE_UNLESS_NAME_RESERVED",
            "--ignore",
            "FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED",
        ],
    ]
    .concat();
    assert_eq!(
        herald(&by_rule).status.code(),
        Some(0),
        "{}",
        stdout(&herald(&by_rule))
    );
    let by_path = [&base[..], &["--ignore", "a.proto"]].concat();
    assert_eq!(herald(&by_path).status.code(), Some(0));
    let by_element = [&base[..], &["--ignore", "shop.v1.Account"]].concat();
    assert_eq!(herald(&by_element).status.code(), Some(0));
    let other_element = [&base[..], &["--ignore", "shop.v1.Other"]].concat();
    assert_eq!(herald(&other_element).status.code(), Some(1));

    let (old, new) = (
        "compat/testdata/proto/compatible/unstable-package-ignored/previous",
        "compat/testdata/proto/compatible/unstable-package-ignored/current",
    );
    assert_eq!(
        herald(&["compat", "--old", old, "--new", new])
            .status
            .code(),
        Some(1)
    );
    let unstable = herald(&[
        "compat",
        "--ignore-unstable-packages",
        "--old",
        old,
        "--new",
        new,
    ]);
    assert_eq!(unstable.status.code(), Some(0), "{}", stdout(&unstable));
}

#[test]
fn histories_follow_the_level() {
    let dir = "compat/testdata/proto/levels/transitive-only";
    let (p1, p2, cur) = (
        format!("{dir}/previous-1"),
        format!("{dir}/previous-2"),
        format!("{dir}/current"),
    );
    let args = |level: &'static str| {
        vec![
            "compat".to_owned(),
            "--rules".to_owned(),
            "WIRE".to_owned(),
            "--level".to_owned(),
            level.to_owned(),
            "--old".to_owned(),
            p1.clone(),
            "--old".to_owned(),
            p2.clone(),
            "--new".to_owned(),
            cur.clone(),
        ]
    };
    let run = |level| {
        let a = args(level);
        herald(&a.iter().map(String::as_str).collect::<Vec<_>>())
    };
    assert_eq!(run("BACKWARD").status.code(), Some(0));
    let transitive = run("BACKWARD_TRANSITIVE");
    assert_eq!(transitive.status.code(), Some(1));
    assert!(
        stdout(&transitive)
            .contains("previous-1/a.proto:6:3: FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED"),
        "{}",
        stdout(&transitive)
    );
    assert_eq!(run("NONE").status.code(), Some(0));
}

#[test]
fn bad_input_exits_two_with_a_location() {
    let dir = std::env::temp_dir().join(format!("herald-proto-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.proto");
    std::fs::write(&bad, "syntax = \"proto3\";\nmessage {\n").unwrap();
    let bad = bad.to_string_lossy().into_owned();
    let out = herald(&["compat", "--old", &bad, "--new", &bad]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("bad.proto:2:9:"), "{}", stderr(&out));
    let missing = herald(&[
        "compat",
        "--type",
        "protobuf",
        "--old",
        "no/such/dir",
        "--new",
        &bad,
    ]);
    assert_eq!(missing.status.code(), Some(2));
    let (old, new) = (case("case041", "old"), case("case041", "new"));
    let unknown = herald(&["compat", "--rules", "NOPE", "--old", &old, "--new", &new]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(stderr(&unknown).contains("unknown protobuf rule or category \"NOPE\""));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn rules_lists_every_protobuf_rule_with_categories() {
    let out = herald(&["compat", "rules", "--type", "protobuf"]);
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    assert_eq!(
        text.lines().count(),
        herald_compat::rules::PROTOBUF_RULES.len()
    );
    assert!(
        text.lines()
            .any(|l| l.contains("FIELD_WIRE_COMPATIBLE_TYPE") && l.contains(" WIRE "))
    );
    assert!(
        text.lines()
            .any(|l| l.contains("MESSAGE_REMOVED") && l.contains("CONFLUENT"))
    );
    assert!(!text.contains("TYPE_MISMATCH"));
}
