//! Data-driven snapshot tests of the .proto front end: every module under `testdata/proto/good` compiles and its
//! model is snapshotted; every file or module under `testdata/proto/bad` fails and its diagnostics are snapshotted.

mod proto_support;

use std::collections::BTreeMap;
use std::path::Path;

use herald_schema::proto::compile;

fn case_files(case: &Path) -> BTreeMap<String, String> {
    if case.is_dir() {
        proto_support::read_tree(case)
    } else {
        let name = case
            .file_name()
            .expect("file name")
            .to_string_lossy()
            .into_owned();
        BTreeMap::from([(name, std::fs::read_to_string(case).expect("readable"))])
    }
}

fn case_name(case: &Path) -> String {
    case.file_stem()
        .expect("name")
        .to_string_lossy()
        .into_owned()
}

#[test]
fn good_modules_compile() {
    let cases = proto_support::children(&proto_support::testdata().join("good"));
    assert!(cases.len() >= 5);
    for case in cases {
        let files = case_files(&case);
        let names: Vec<&str> = files.keys().map(String::as_str).collect();
        let module = compile(&files, &names).unwrap_or_else(|e| panic!("{}:\n{e}", case.display()));
        insta::assert_snapshot!(
            format!("good_{}", case_name(&case)),
            proto_support::render(&module)
        );
    }
}

#[test]
fn bad_modules_fail_with_located_diagnostics() {
    let cases = proto_support::children(&proto_support::testdata().join("bad"));
    assert!(cases.len() >= 10);
    for case in cases {
        let files = case_files(&case);
        // In a bad module directory, `main.proto` is the entry file when there is one.
        let names: Vec<&str> = if files.contains_key("main.proto") {
            vec!["main.proto"]
        } else {
            files.keys().map(String::as_str).collect()
        };
        let err = match compile(&files, &names) {
            Ok(_) => panic!("{} compiled but should fail", case.display()),
            Err(e) => e,
        };
        let text: Vec<String> = err.iter().map(|d| format!("{:?} {d}", d.kind)).collect();
        insta::assert_snapshot!(format!("bad_{}", case_name(&case)), text.join("\n"));
    }
}
