//! Process-level tests of `herald compat`: the real binary, real files, exit statuses and every output format.

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

const V1: &str = "examples/avro/order-v1.avsc";
const V2: &str = "examples/avro/order-v2.avsc";

#[test]
fn a_compatible_change_exits_zero() {
    let dir = "compat/testdata/avro/compatible/field-added-with-default";
    let (old, new) = (
        format!("{dir}/previous.avsc"),
        format!("{dir}/current.avsc"),
    );
    let out = herald(&[
        "compat", "--type", "avro", "--level", "FULL", "--old", &old, "--new", &new,
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(stdout(&out).contains("compatible: FULL against 1 earlier version(s)"));
}

#[test]
fn a_breaking_change_exits_one_with_file_line_and_rule() {
    let out = herald(&["compat", "--old", V1, "--new", V2]);
    assert_eq!(out.status.code(), Some(1));
    insta::assert_snapshot!("text", stdout(&out));
}

#[test]
fn json_output_has_the_documented_shape() {
    let out = herald(&[
        "compat", "--level", "FULL", "--old", V1, "--new", V2, "--output", "json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(doc["compatible"], false);
    let v = &doc["violations"][0];
    assert_eq!(v["rule"], "READER_FIELD_MISSING_DEFAULT_VALUE");
    assert_eq!(v["location"]["file"], V2);
    assert_eq!(v["location"]["line"], 9);
    insta::assert_snapshot!("json", stdout(&out));
}

#[test]
fn github_output_is_workflow_annotations() {
    let out = herald(&["compat", "--old", V1, "--new", V2, "--output", "github"]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.starts_with("::error file=examples/avro/order-v2.avsc,line=9,col=5,title=READER_FIELD_MISSING_DEFAULT_VALUE::"),
        "{text}"
    );
}

#[test]
fn invalid_input_and_usage_exit_two() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.avsc");
    std::fs::write(
        &bad,
        r#"{"type":"record","name":"X","fields":[{"name":"a","type":"int","default":"x"}]}"#,
    )
    .unwrap();
    let bad = bad.to_str().unwrap();
    let out = herald(&["compat", "--old", V1, "--new", bad]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("bad.avsc:1:"), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("invalid default for field \"a\""),
        "{}",
        stderr(&out)
    );

    let missing = herald(&["compat", "--old", V1, "--new", "does/not/exist.avsc"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).contains("cannot read does/not/exist.avsc"));

    let usage = herald(&["compat", "--new", V2]);
    assert_eq!(usage.status.code(), Some(2));

    let level = herald(&["compat", "--level", "SIDEWAYS", "--old", V1, "--new", V2]);
    assert_eq!(level.status.code(), Some(2));
}

#[test]
fn the_history_is_checked_as_the_level_says() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .join("compat/testdata/avro/levels/transitive-only");
    let file = |n: &str| dir.join(n).to_string_lossy().into_owned();
    let (p1, p2, cur) = (
        file("previous-1.avsc"),
        file("previous-2.avsc"),
        file("current.avsc"),
    );
    let latest = herald(&[
        "compat", "--level", "BACKWARD", "--old", &p1, "--old", &p2, "--new", &cur,
    ]);
    assert_eq!(latest.status.code(), Some(0), "{}", stdout(&latest));
    let all = herald(&[
        "compat",
        "--level",
        "BACKWARD_TRANSITIVE",
        "--old",
        &p1,
        "--old",
        &p2,
        "--new",
        &cur,
    ]);
    assert_eq!(all.status.code(), Some(1), "{}", stdout(&all));
    assert!(stdout(&all).contains("previous-1.avsc"));
}

#[test]
fn rules_lists_every_rule() {
    let out = herald(&["compat", "rules"]);
    assert_eq!(out.status.code(), Some(0));
    for rule in herald_compat::rules::all() {
        assert!(stdout(&out).contains(rule.id), "{} missing", rule.id);
    }
}
