//! Runs the labelled Avro conformance cases (Apache Avro Java 1.12.1's verdicts) through Herald's checker.
//!
//! The data is `testdata/conformance/avro/cases.jsonl`, copied unchanged from the shared conformance set. Every
//! case must get Java's verdict; where Java threw or rejected a schema (`java: null`), the answer must not be
//! "compatible". Incompatibility types, JSON pointers and Java messages are compared too.

use herald_compat::avro::{Incompatibility, check_reader_writer};
use herald_schema::avro::parse_strict;
use serde_json::Value;

fn cases() -> Vec<Value> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/testdata/conformance/avro/cases.jsonl"
    );
    let text = std::fs::read_to_string(path).expect("conformance data");
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("a JSON case"))
        .collect()
}

/// Herald's answer for a case: `Err` when a schema is rejected, else the incompatibilities.
fn run(case: &Value) -> Result<Vec<Incompatibility>, String> {
    let reader = parse_strict(&case["reader"].to_string()).map_err(|e| format!("reader: {e}"))?;
    let writer = parse_strict(&case["writer"].to_string()).map_err(|e| format!("writer: {e}"))?;
    Ok(check_reader_writer(&reader, &writer))
}

#[test]
fn every_case_gets_javas_verdict() {
    let cases = cases();
    assert_eq!(cases.len(), 207);
    let mut mismatches = Vec::new();
    for case in &cases {
        let id = case["id"].as_str().unwrap();
        let herald = run(case);
        let compatible = matches!(&herald, Ok(v) if v.is_empty());
        match case["java"].as_bool() {
            Some(java) if java != compatible => mismatches.push(format!(
                "{id}: java says compatible={java}, herald says {herald:?}"
            )),
            None if compatible => {
                mismatches.push(format!("{id}: java rejected it, herald says compatible"))
            }
            _ => {}
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

#[test]
fn incompatibility_types_locations_and_messages_match_java() {
    let mut mismatches = Vec::new();
    let mut compared = 0;
    for case in cases() {
        let id = case["id"].as_str().unwrap();
        let Some(details) = case["details"]["java-avro 1.12.1"].as_str() else {
            continue;
        };
        let Ok(found) = run(&case) else {
            continue;
        };
        if details.starts_with("org.apache.avro")
            || details.starts_with("reader:")
            || details.starts_with("writer:")
        {
            continue; // Java threw or rejected a schema; the verdict test covers these.
        }
        let mut expected: Vec<String> = details.split(" | ").map(str::to_owned).collect();
        let mut actual: Vec<String> = found
            .iter()
            .map(|i| format!("{} at {}: {}", i.rule.id(), i.pointer, i.java_message))
            .collect();
        expected.sort();
        actual.sort();
        compared += 1;
        if expected != actual {
            mismatches.push(format!(
                "{id}:\n  java:   {expected:?}\n  herald: {actual:?}"
            ));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
    assert_eq!(
        compared, 103,
        "every incompatible case with a Java message is compared"
    );
}

#[test]
fn the_ambiguous_alias_cases_are_reported_as_their_own_rule() {
    for case in cases() {
        let id = case["id"].as_str().unwrap();
        if id.starts_with("rec/alias-and-name-both-match") {
            let found = run(&case).unwrap();
            assert!(
                found.iter().any(|i| i.rule.id() == "AMBIGUOUS_FIELD_MATCH"),
                "{id}: {found:?}"
            );
        }
    }
}
