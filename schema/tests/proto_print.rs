//! The canonical `.proto` printer (`proto::print`): snapshots of the canonical, descriptor and normalized prints
//! of every file under `testdata/proto_print`, dedupe of differently formatted sources, and round-trip properties
//! over those files and every good module of the front-end tests.

mod proto_support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use herald_schema::proto::{Module, compile, print};

fn print_testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/proto_print")
}

fn proto_files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("testdata")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "proto"))
        .collect();
    out.sort();
    out
}

fn compile_one(path: &str, text: &str) -> Module {
    let files = BTreeMap::from([(path.to_owned(), text.to_owned())]);
    compile(&files, &[path]).unwrap_or_else(|e| panic!("{path}:\n{e}\n{text}"))
}

fn normalized_of(module: &Module, path: &str) -> String {
    let file = module.file_by_path(path).expect("compiled file");
    print::normalized(module, file.id)
}

/// The canonical, descriptor and normalized prints of one file, for the snapshot.
fn three_prints(path: &str, text: &str) -> String {
    let canonical = print::canonical(text).unwrap_or_else(|e| panic!("{path}: {e}"));
    let module = compile_one(path, text);
    let file = module.file_by_path(path).expect("compiled");
    let descriptor = print::print_descriptor(&module.file_descriptor_proto(file.id));
    let normalized = print::normalized(&module, file.id);
    format!(
        "=== canonical\n{canonical}=== from the descriptor\n{descriptor}=== normalized\n{normalized}"
    )
}

#[test]
fn prints_are_snapshotted() {
    let files = proto_files(&print_testdata());
    assert!(files.len() >= 3);
    for f in files {
        let text = std::fs::read_to_string(&f).expect("readable");
        let name = f.file_stem().expect("stem").to_string_lossy().into_owned();
        insta::assert_snapshot!(format!("print_{name}"), three_prints("schema.proto", &text));
    }
}

#[test]
fn differently_formatted_sources_print_the_same() {
    let files = proto_files(&print_testdata().join("same"));
    assert!(files.len() >= 2);
    let prints: Vec<String> = files
        .iter()
        .map(|f| print::canonical(&std::fs::read_to_string(f).expect("readable")).expect("parses"))
        .collect();
    for p in &prints[1..] {
        assert_eq!(p, &prints[0]);
    }
    insta::assert_snapshot!("print_same", &prints[0]);
}

/// print(parse(print(x))) == print(x); the print compiles to the same normalized schema; the descriptor print
/// is stable under the text printer and also normalizes to the same schema; normalizing is idempotent.
fn check_round_trip(files: &BTreeMap<String, String>, entries: &[&str]) {
    let module = compile(files, entries).unwrap_or_else(|e| panic!("{entries:?}: {e}"));
    for path in entries {
        let text = &files[*path];
        let printed = print::canonical(text).unwrap_or_else(|e| panic!("{path}: {e}"));
        assert_eq!(
            print::canonical(&printed).expect("the print parses"),
            printed,
            "{path}: printing is not idempotent"
        );
        let mut reprinted = files.clone();
        reprinted.insert((*path).to_owned(), printed.clone());
        let again = compile(&reprinted, entries)
            .unwrap_or_else(|e| panic!("{path}: the print does not compile: {e}\n{printed}"));
        assert_eq!(
            normalized_of(&again, path),
            normalized_of(&module, path),
            "{path}: the print means something else"
        );

        let file = module.file_by_path(path).expect("compiled");
        // `prost-types` descriptors cannot carry edition 2024's `import option`, `export`/`local` or the edition
        // itself, so the descriptor print is checked for the other files (the normalized print restores them).
        if text.contains("edition = \"2024\"") {
            check_normalized(files, entries, path, &module);
            continue;
        }
        let from_descriptor = print::print_descriptor(&module.file_descriptor_proto(file.id));
        assert_eq!(
            print::canonical(&from_descriptor).expect("the descriptor print parses"),
            from_descriptor,
            "{path}: the descriptor print is not canonical"
        );
        let mut described = files.clone();
        described.insert((*path).to_owned(), from_descriptor.clone());
        let third = compile(&described, entries).unwrap_or_else(|e| {
            panic!("{path}: the descriptor print does not compile: {e}\n{from_descriptor}")
        });
        assert_eq!(
            normalized_of(&third, path),
            normalized_of(&module, path),
            "{path}: the descriptor print means something else"
        );
        check_normalized(files, entries, path, &module);
    }
}

/// The normalized print (stored under normalize=true) compiles and normalizes to itself. It need not be a fixed
/// point of the canonical print: `default` sorts among the options there, as in Confluent.
fn check_normalized(
    files: &BTreeMap<String, String>,
    entries: &[&str],
    path: &str,
    module: &Module,
) {
    let normalized = normalized_of(module, path);
    let mut renormalized = files.clone();
    renormalized.insert(path.to_owned(), normalized.clone());
    let again = compile(&renormalized, entries).unwrap_or_else(|e| {
        panic!("{path}: the normalized print does not compile: {e}\n{normalized}")
    });
    assert_eq!(
        normalized_of(&again, path),
        normalized,
        "{path}: normalizing is not idempotent"
    );
}

#[test]
fn round_trips_over_the_print_testdata() {
    for f in proto_files(&print_testdata()) {
        let text = std::fs::read_to_string(&f).expect("readable");
        check_round_trip(
            &BTreeMap::from([("schema.proto".to_owned(), text)]),
            &["schema.proto"],
        );
    }
}

#[test]
fn round_trips_over_every_good_module() {
    let cases = proto_support::children(&proto_support::testdata().join("good"));
    assert!(cases.len() >= 5);
    for case in cases {
        let files = proto_support::read_tree(&case);
        let entries: Vec<&str> = files.keys().map(String::as_str).collect();
        check_round_trip(&files, &entries);
    }
}

/// The round-trip properties over both sides of every protobuf compatibility conformance case (buf's and
/// Confluent's labelled schemas, 102 cases), where the module compiles.
#[test]
fn round_trips_over_the_conformance_schemas() {
    let cases = proto_support::children(&proto_support::conformance());
    let mut checked = 0;
    for case in cases {
        for side in ["old", "new"] {
            let dir = case.join(side);
            if !dir.is_dir() {
                continue;
            }
            let files = proto_support::read_tree(&dir);
            let entries: Vec<&str> = files.keys().map(String::as_str).collect();
            if entries.is_empty() || compile(&files, &entries).is_err() {
                continue;
            }
            check_round_trip(&files, &entries);
            checked += 1;
        }
    }
    assert!(checked >= 100, "only {checked} modules checked");
}

/// Any text the parser accepts prints without panicking, and the print parses again; deep descriptors print.
#[test]
fn printing_never_panics_on_odd_input() {
    let base =
        std::fs::read_to_string(print_testdata().join("proto2_kitchen.proto")).expect("readable");
    let bytes = base.as_bytes();
    for cut in (0..bytes.len()).step_by(7) {
        for insert in ["", "{", "}", ";", "\"", "[", "=", "option x = 1;", "\u{0}"] {
            let mut text = String::from_utf8_lossy(&bytes[..cut]).into_owned();
            text.push_str(insert);
            text.push_str(&String::from_utf8_lossy(&bytes[cut..]));
            if let Ok(printed) = print::canonical(&text) {
                assert!(print::canonical(&printed).is_ok(), "{text}\n=>\n{printed}");
            }
        }
    }
    // A descriptor nested 90 levels deep (prost refuses deeper) prints.
    let mut m = prost_types::DescriptorProto {
        name: Some("M0".into()),
        ..Default::default()
    };
    for i in 1..90 {
        m = prost_types::DescriptorProto {
            name: Some(format!("M{i}")),
            nested_type: vec![m],
            ..Default::default()
        };
    }
    let fdp = prost_types::FileDescriptorProto {
        name: Some("deep.proto".into()),
        message_type: vec![m],
        ..Default::default()
    };
    let printed = print::print_descriptor(&fdp);
    assert_eq!(printed.matches("message ").count(), 90);
}

#[test]
fn a_descriptor_prints_like_confluent() {
    use prost_types::field_descriptor_proto::{Label, Type};
    use prost_types::{DescriptorProto, FieldDescriptorProto, FileDescriptorProto};
    // What confluent-kafka-python's serializer sends for a one-field proto3 message.
    let fdp = FileDescriptorProto {
        name: Some("e2e/greeting.proto".into()),
        package: Some("e2e".into()),
        syntax: Some("proto3".into()),
        message_type: vec![DescriptorProto {
            name: Some("Greeting".into()),
            field: vec![FieldDescriptorProto {
                name: Some("text_body".into()),
                number: Some(1),
                label: Some(Label::Optional as i32),
                r#type: Some(Type::String as i32),
                json_name: Some("textBody".into()),
                ..Default::default()
            }],
            ..Default::default()
        }],
        ..Default::default()
    };
    let printed = print::print_descriptor(&fdp);
    assert_eq!(
        printed,
        "syntax = \"proto3\";\npackage e2e;\n\nmessage Greeting {\n  string text_body = 1;\n}\n"
    );
    assert_eq!(
        print::canonical(
            "syntax = \"proto3\"; package e2e; message Greeting { string text_body = 1; }"
        )
        .expect("parses"),
        printed
    );
}

/// A file without `syntax` (proto2): the canonical print keeps the text; the normalized one splits and sorts the
/// reserved ranges (`max` of an enum included), names after numbers, and qualifies the field type.
#[test]
fn enum_reserved_ranges_print_and_normalize_like_confluent() {
    let text = "\nimport \"google/protobuf/descriptor.proto\";\n\nmessage FooOptions {\n  optional string name = 1;\n  optional FooParameterType type = 2;\n}\nenum FooParameterType {\n  reserved 20, 100 to max;\n  reserved 10;\n  reserved 5 to 7;\n  reserved \"BAD\", \"OLD\";\n  NUMBER = 1;\n  STRING = 2;\n}\n";
    assert_eq!(print::canonical(text).expect("parses"), text);
    let module = compile_one("a.proto", text);
    assert_eq!(
        normalized_of(&module, "a.proto"),
        "\nimport \"google/protobuf/descriptor.proto\";\n\nmessage FooOptions {\n  optional string name = 1;\n  optional .FooParameterType type = 2;\n}\nenum FooParameterType {\n  reserved 5 to 7;\n  reserved 10;\n  reserved 20;\n  reserved 100 to max;\n  reserved \"BAD\";\n  reserved \"OLD\";\n  NUMBER = 1;\n  STRING = 2;\n}\n"
    );
}
