//! One previous/current test folder per case under `testdata/avro/<GROUP>/<case>/`, where GROUP is a rule id (the
//! case must break that rule), `compatible` (it must break none) or `levels` (level semantics over a history).
//!
//! A case holds `previous.avsc` (or `previous-1.avsc`, `previous-2.avsc`, ... oldest first), `current.avsc` and
//! optionally `level` (default BACKWARD). Every report is an insta snapshot, so messages are reviewed as text.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use herald_compat::CompatibilityLevel;
use herald_compat::avro::{AvroRule, check};
use herald_schema::avro::{AvroSchema, parse, parse_strict};

fn dirs(path: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

struct Case {
    group: String,
    name: String,
    level: CompatibilityLevel,
    report: String,
    compatible: bool,
    rules: Vec<&'static str>,
}

fn run_case(dir: &Path) -> Case {
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap();
    let mut previous: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("previous")
        })
        .collect();
    previous.sort();
    assert!(
        !previous.is_empty(),
        "{}: no previous schema",
        dir.display()
    );
    let history: Vec<AvroSchema> = previous
        .iter()
        .map(|p| parse(&std::fs::read_to_string(p).unwrap()).unwrap())
        .collect();
    let current =
        parse_strict(&read("current.avsc")).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let level = if dir.join("level").exists() {
        read("level").trim().parse().unwrap()
    } else {
        CompatibilityLevel::Backward
    };
    let refs: Vec<&AvroSchema> = history.iter().collect();
    let report = check(level, &current, &refs);
    let mut text = format!("level: {level}\ncompatible: {}\n", report.compatible);
    for v in &report.violations {
        let loc = v
            .location
            .map_or("-".to_owned(), |l| format!("{}:{}", l.line, l.column));
        let against = previous[v.against.unwrap()]
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let _ = write!(
            text,
            "\n{} {} against {against}\n  path:    {}\n  pointer: {}\n  at:      current.avsc:{loc}\n  message: {}\n  java:    {}\n",
            v.rule,
            v.direction.as_str(),
            v.path,
            v.pointer.as_deref().unwrap_or("-"),
            v.message,
            v.detail.as_deref().unwrap_or("-"),
        );
    }
    Case {
        group: dir
            .parent()
            .unwrap()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned(),
        name: dir.file_name().unwrap().to_string_lossy().into_owned(),
        level,
        compatible: report.compatible,
        rules: report.violations.iter().map(|v| v.rule).collect(),
        report: text,
    }
}

fn all_cases() -> Vec<Case> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/avro");
    dirs(&root)
        .iter()
        .flat_map(|g| dirs(g))
        .map(|d| run_case(&d))
        .collect()
}

#[test]
fn every_case_reports_its_rule_and_matches_its_snapshot() {
    for case in all_cases() {
        match case.group.as_str() {
            "compatible" => assert!(case.compatible, "{}: {}", case.name, case.report),
            "levels" => {}
            rule => assert!(
                case.rules.contains(&rule),
                "{rule}/{}: expected a {rule} violation, got {}",
                case.name,
                case.report
            ),
        }
        insta::assert_snapshot!(format!("{}__{}", case.group, case.name), case.report);
    }
}

#[test]
fn every_rule_has_its_own_test_data() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/avro");
    for rule in AvroRule::ALL {
        let dir = root.join(rule.id());
        assert!(
            dir.is_dir() && !dirs(&dir).is_empty(),
            "rule {} has no test data in {}",
            rule.id(),
            dir.display()
        );
    }
}

#[test]
fn transitive_levels_check_every_version_and_plain_ones_only_the_latest() {
    let cases = all_cases();
    let find = |name: &str| cases.iter().find(|c| c.name == name).unwrap();
    let transitive = find("transitive-only");
    assert_eq!(transitive.level, CompatibilityLevel::BackwardTransitive);
    assert!(!transitive.compatible);
    assert!(find("latest-only-passes").compatible);
    let full = find("full-both-directions");
    assert!(full.report.contains("BACKWARD against") && full.report.contains("FORWARD against"));
}
