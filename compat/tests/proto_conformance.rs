//! The shared protobuf conformance cases (`testdata/conformance/protobuf/case*/`, an unchanged copy): for each of
//! WIRE, WIRE_JSON and FILE, the verdict and the set of rule ids must match what `buf breaking` reported, and the
//! CONFLUENT set must match `confluent_backward.compatible`, except for the deliberate differences listed below.
//! A listed case that no longer differs fails the test, so the list cannot go stale. Every mismatch is reported in
//! one failure message.
//!
//! Policy for Confluent labels of `low` confidence (they depend on unverified behaviour of Square Wire's parser:
//! editions, groups, extensions): they are references like the others, so a mismatch must be listed below with its
//! reason; Herald answers what Confluent's diff code does with the descriptors Herald's front end produces.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use herald_compat::proto::{Options, RuleSet, check_pair, compile_module};
use herald_schema::proto::Module;
use serde_json::Value;

/// A case where Herald deliberately answers differently from the reference label.
struct Deliberate {
    case: &'static str,
    set: &'static str,
    reference: &'static str,
    ours: &'static str,
    why: &'static str,
}

const DELIBERATE: &[Deliberate] = &[
    Deliberate {
        case: "case132",
        set: "WIRE",
        reference: "breaking: FIELD_WIRE_COMPATIBLE_CARDINALITY",
        ours: "breaking: FIELD_WIRE_COMPATIBLE_CARDINALITY, MESSAGE_SAME_REQUIRED_FIELDS",
        why: "truth_note: \"Backward-incompatible: old records missing count fail the required check.\" A field \
              that becomes LEGACY_REQUIRED is a required field added; buf only reads the descriptor label.",
    },
    Deliberate {
        case: "case132",
        set: "WIRE_JSON",
        reference: "breaking: FIELD_WIRE_JSON_COMPATIBLE_CARDINALITY",
        ours: "breaking: FIELD_WIRE_JSON_COMPATIBLE_CARDINALITY, MESSAGE_SAME_REQUIRED_FIELDS",
        why: "as for WIRE: resolved presence, not the descriptor label, decides what is required.",
    },
    Deliberate {
        case: "case132",
        set: "FILE",
        reference: "breaking: FIELD_SAME_CARDINALITY",
        ours: "breaking: FIELD_SAME_CARDINALITY, MESSAGE_SAME_REQUIRED_FIELDS",
        why: "as for WIRE: resolved presence, not the descriptor label, decides what is required.",
    },
    Deliberate {
        case: "case238",
        set: "WIRE",
        reference: "breaking: FIELD_WIRE_COMPATIBLE_TYPE",
        ours: "compatible",
        why: "truth_note: \"The synthesized entry message name changes (StockEntry -> LevelsEntry) but the wire \
              format does not.\" Map fields are compared by key and value types on the wire.",
    },
    Deliberate {
        case: "case238",
        set: "WIRE_JSON",
        reference: "breaking: FIELD_SAME_JSON_NAME, FIELD_SAME_NAME, FIELD_WIRE_JSON_COMPATIBLE_TYPE",
        ours: "breaking: FIELD_SAME_JSON_NAME, FIELD_SAME_NAME",
        why: "the rename still breaks JSON (name and json_name), but the map's type is unchanged: same reason as \
              for WIRE.",
    },
];

fn proto_files(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            proto_files(root, &p, out);
        } else if p.extension().is_some_and(|e| e == "proto") {
            let rel = p
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            out.push((rel, std::fs::read_to_string(&p).unwrap()));
        }
    }
}

fn module(dir: &Path) -> Module {
    let mut files = Vec::new();
    proto_files(dir, dir, &mut files);
    compile_module(&files).unwrap_or_else(|e| panic!("{}: {e:?}", dir.display()))
}

fn describe(breaking: bool, rules: &BTreeSet<String>) -> String {
    if breaking {
        format!(
            "breaking: {}",
            rules.iter().cloned().collect::<Vec<_>>().join(", ")
        )
    } else if rules.is_empty() {
        "compatible".to_owned()
    } else {
        format!(
            "compatible but rules {}",
            rules.iter().cloned().collect::<Vec<_>>().join(", ")
        )
    }
}

#[test]
fn buf_categories_and_confluent_match_the_reference_labels() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/conformance/protobuf");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir() && p.file_name().unwrap().to_string_lossy().starts_with("case"))
        .collect();
    cases.sort();
    assert!(
        cases.len() >= 100,
        "expected the 102 shared cases, found {}",
        cases.len()
    );

    // (case, set) -> (reference, ours)
    let mut mismatches: BTreeMap<(String, String), (String, String)> = BTreeMap::new();
    let mut matched = BTreeMap::<&str, usize>::new();
    for dir in &cases {
        let id = dir.file_name().unwrap().to_string_lossy().into_owned();
        let expected: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap())
                .unwrap();
        let meta: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("meta.json")).unwrap()).unwrap();
        let (old, new) = (module(&dir.join("old")), module(&dir.join("new")));
        for set in [RuleSet::Wire, RuleSet::WireJson, RuleSet::File] {
            let reference = &expected["buf"][set.as_str()];
            let ref_rules: BTreeSet<String> = reference["rules"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r.as_str().unwrap().to_owned())
                .collect();
            let ref_text = describe(reference["breaking"].as_bool().unwrap(), &ref_rules);
            let found = check_pair(&old, &new, &Options::new(set));
            let rules: BTreeSet<String> = found.iter().map(|v| v.rule.to_owned()).collect();
            let ours = describe(!found.is_empty(), &rules);
            if ours == ref_text {
                *matched.entry(set.as_str()).or_default() += 1;
            } else {
                mismatches.insert((id.clone(), set.as_str().to_owned()), (ref_text, ours));
            }
        }
        let root_file = meta["root"].as_str().unwrap_or("a.proto");
        let confluent = Options::new(RuleSet::Confluent).with_root(root_file);
        let found = check_pair(&old, &new, &confluent);
        let reference = &meta["confluent_backward"];
        let ref_ok = reference["compatible"].as_bool().unwrap();
        let verdict = |ok: bool| if ok { "compatible" } else { "incompatible" };
        if found.is_empty() == ref_ok {
            *matched.entry("CONFLUENT").or_default() += 1;
        } else {
            let rules: Vec<&str> = found.iter().map(|v| v.rule).collect();
            mismatches.insert(
                (id.clone(), "CONFLUENT".to_owned()),
                (
                    format!(
                        "{} ({} confidence: {})",
                        verdict(ref_ok),
                        reference["confidence"].as_str().unwrap_or("?"),
                        reference["reason"].as_str().unwrap_or("")
                    ),
                    format!("{} {rules:?}", verdict(found.is_empty())),
                ),
            );
        }
    }

    eprintln!(
        "matched per set over {} cases: {matched:?}; deliberate differences: {}",
        cases.len(),
        DELIBERATE.len()
    );
    let mut problems = Vec::new();
    for d in DELIBERATE {
        assert!(!d.why.is_empty());
        match mismatches.remove(&(d.case.to_owned(), d.set.to_owned())) {
            Some((reference, ours)) if reference.starts_with(d.reference) && ours == d.ours => {}
            Some((reference, ours)) => problems.push(format!(
                "{} {}: listed as a deliberate difference (reference {:?}, ours {:?}) but now reference {reference:?}, \
                 ours {ours:?}",
                d.case, d.set, d.reference, d.ours
            )),
            None => problems.push(format!(
                "{} {}: listed as a deliberate difference but no longer differs; remove it from the list",
                d.case, d.set
            )),
        }
    }
    for ((case, set), (reference, ours)) in &mismatches {
        problems.push(format!(
            "{case} {set}: reference {reference}\n    ours      {ours}"
        ));
    }
    assert!(
        problems.is_empty(),
        "{} problem(s) over {} cases (matched per set: {matched:?}):\n{}",
        problems.len(),
        cases.len(),
        problems.join("\n")
    );
}

/// Rules whose findings Herald places where buf does (the package statement, a field's type token, an rpc's
/// request or response type): for every such buf finding of WIRE, WIRE_JSON and FILE, Herald reports the same rule
/// at the same file, line and column.
const LOCATED_LIKE_BUF: &[&str] = &[
    "FILE_SAME_PACKAGE",
    "FIELD_SAME_TYPE",
    "FIELD_WIRE_COMPATIBLE_TYPE",
    "FIELD_WIRE_JSON_COMPATIBLE_TYPE",
    "RPC_SAME_REQUEST_TYPE",
    "RPC_SAME_RESPONSE_TYPE",
];

#[test]
fn package_type_and_rpc_type_findings_are_located_as_buf_locates_them() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/conformance/protobuf");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir() && p.file_name().unwrap().to_string_lossy().starts_with("case"))
        .collect();
    cases.sort();
    let mut compared = 0;
    let mut problems = Vec::new();
    for dir in &cases {
        let id = dir.file_name().unwrap().to_string_lossy().into_owned();
        let expected: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap())
                .unwrap();
        let mut modules = None;
        for set in [RuleSet::Wire, RuleSet::WireJson, RuleSet::File] {
            let Some(findings) = expected["buf"][set.as_str()]["findings"].as_array() else {
                continue;
            };
            let wanted: Vec<&Value> = findings
                .iter()
                .filter(|f| LOCATED_LIKE_BUF.contains(&f["rule"].as_str().unwrap_or("")))
                .collect();
            if wanted.is_empty() {
                continue;
            }
            let (old, new) =
                modules.get_or_insert_with(|| (module(&dir.join("old")), module(&dir.join("new"))));
            let found = check_pair(old, new, &Options::new(set));
            for w in wanted {
                let rule = w["rule"].as_str().unwrap();
                if DELIBERATE
                    .iter()
                    .any(|d| d.case == id && d.set == set.as_str() && !d.ours.contains(rule))
                {
                    continue;
                }
                compared += 1;
                let (path, line, column) = (
                    w["path"].as_str().unwrap_or(""),
                    w["line"].as_u64().unwrap() as u32,
                    w["column"].as_u64().unwrap() as u32,
                );
                let hit = found.iter().any(|v| {
                    v.rule == rule
                        && !v.in_previous
                        && v.file.as_deref() == Some(path)
                        && v.location
                            .as_ref()
                            .is_some_and(|l| (l.line, l.column) == (line, column))
                });
                if !hit {
                    let ours: Vec<String> = found
                        .iter()
                        .filter(|v| v.rule == rule)
                        .map(|v| format!("{:?}:{:?}", v.file, v.location))
                        .collect();
                    problems.push(format!(
                        "{id} {} {rule}: buf at {path}:{line}:{column}, ours {ours:?}",
                        set.as_str()
                    ));
                }
            }
        }
    }
    assert!(compared >= 20, "only {compared} located findings compared");
    assert!(
        problems.is_empty(),
        "{} location mismatch(es) of {compared}:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
