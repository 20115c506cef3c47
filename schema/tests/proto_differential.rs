//! Differential test of the .proto front end against `protobuf-parse` 3.7 (pure Rust parser, used as an oracle):
//! every proto2/proto3 module in the test data and in the shared conformance cases is compiled by both, and the
//! `FileDescriptorProto`s of the entry files must be equal after the normalisations documented in `normalise`.

mod proto_support;

use std::path::Path;

use prost::Message as _;
use prost_types::FileDescriptorProto;

/// Makes the two sides comparable. Each step removes something one side records and the other cannot:
/// * `source_code_info`: protobuf-parse records none.
/// * `uninterpreted_option`: Herald keeps custom options (and options newer than prost-types) as written, as
///   uninterpreted options; protobuf-parse interprets them into extension fields, which prost-types drops on decode.
/// * synthetic oneofs: protoc appends the oneofs of proto3 `optional` fields after all real oneofs (and its
///   descriptor validation requires it); protobuf-parse interleaves them in declaration order. Their side is reordered.
/// * options messages left empty by the previous step are removed on both sides (protobuf-parse writes an empty
///   options message when only custom options were set).
fn normalise(fd: &mut FileDescriptorProto) {
    fn synthetic_last(m: &mut prost_types::DescriptorProto) {
        let synthetic: Vec<bool> = (0..m.oneof_decl.len() as i32)
            .map(|i| {
                let members: Vec<_> = m
                    .field
                    .iter()
                    .filter(|f| f.oneof_index == Some(i))
                    .collect();
                members.len() == 1 && members[0].proto3_optional == Some(true)
            })
            .collect();
        let order: Vec<usize> = (0..synthetic.len())
            .filter(|&i| !synthetic[i])
            .chain((0..synthetic.len()).filter(|&i| synthetic[i]))
            .collect();
        let new_index = |old: i32| {
            order
                .iter()
                .position(|&o| o as i32 == old)
                .map(|p| p as i32)
        };
        for f in &mut m.field {
            if let Some(i) = f.oneof_index {
                f.oneof_index = new_index(i);
            }
        }
        m.oneof_decl = order.iter().map(|&i| m.oneof_decl[i].clone()).collect();
        m.nested_type.iter_mut().for_each(synthetic_last);
    }
    fd.message_type.iter_mut().for_each(synthetic_last);
    fd.source_code_info = None;
    fn opts<T: Default + PartialEq>(o: &mut Option<T>, clear: impl FnOnce(&mut T)) {
        if let Some(v) = o {
            clear(v);
            if *v == T::default() {
                *o = None;
            }
        }
    }
    fn field(f: &mut prost_types::FieldDescriptorProto) {
        opts(&mut f.options, |o| o.uninterpreted_option.clear());
    }
    fn message(m: &mut prost_types::DescriptorProto) {
        opts(&mut m.options, |o| o.uninterpreted_option.clear());
        m.field.iter_mut().for_each(field);
        m.extension.iter_mut().for_each(field);
        m.nested_type.iter_mut().for_each(message);
        m.enum_type.iter_mut().for_each(enum_);
        for o in &mut m.oneof_decl {
            opts(&mut o.options, |o| o.uninterpreted_option.clear());
        }
        for r in &mut m.extension_range {
            opts(&mut r.options, |o| o.uninterpreted_option.clear());
        }
    }
    fn enum_(e: &mut prost_types::EnumDescriptorProto) {
        opts(&mut e.options, |o| o.uninterpreted_option.clear());
        for v in &mut e.value {
            opts(&mut v.options, |o| o.uninterpreted_option.clear());
        }
    }
    opts(&mut fd.options, |o| o.uninterpreted_option.clear());
    fd.message_type.iter_mut().for_each(message);
    fd.enum_type.iter_mut().for_each(enum_);
    fd.extension.iter_mut().for_each(field);
    for s in &mut fd.service {
        opts(&mut s.options, |o| o.uninterpreted_option.clear());
        for m in &mut s.method {
            opts(&mut m.options, |o| o.uninterpreted_option.clear());
        }
    }
}

/// True for a file with an `edition = "..."` statement.
fn is_editions(text: &str) -> bool {
    text.lines().any(|l| {
        let l = l.trim_start();
        l.strip_prefix("edition")
            .is_some_and(|rest| rest.trim_start().starts_with('=') && rest.contains('"'))
    })
}

/// Compiles the module rooted at `dir` with both front ends and compares every file (except built-in ones).
/// Returns `None` when Herald compiled the module but it has no oracle (editions, or an ORACLE_SKIP file).
fn compare(dir: &Path) -> Option<Result<(), String>> {
    let files = proto_support::read_tree(dir);
    // Editions modules (protobuf-parse cannot read them) and modules whose ORACLE_SKIP file says why protobuf-parse
    // is wrong on them are covered by the snapshot tests only.
    let names: Vec<&str> = files.keys().map(String::as_str).collect();
    let ours = match herald_schema::proto::compile(&files, &names) {
        Ok(m) => m,
        Err(e) => return Some(Err(format!("herald failed:\n{e}"))),
    };
    if files.values().any(|t| is_editions(t)) || dir.join("ORACLE_SKIP").exists() {
        return None; // Herald compiled it; there is no oracle to compare with
    }
    let theirs = protobuf_parse::Parser::new()
        .pure()
        .include(dir)
        .inputs(names.iter().map(|n| dir.join(n)))
        .parse_and_typecheck();
    let theirs = match theirs {
        Ok(t) => t,
        Err(e) => return Some(Err(format!("protobuf-parse failed: {e:#}"))),
    };
    for fd in theirs.file_descriptors {
        let bytes =
            protobuf::Message::write_to_bytes(&fd).expect("protobuf-parse descriptor encodes");
        let mut theirs = FileDescriptorProto::decode(&bytes[..]).expect("prost decodes it");
        let name = theirs.name().to_string();
        let Some(file) = ours.file_by_path(&name) else {
            return Some(Err(format!("herald has no file {name}")));
        };
        if file.builtin {
            continue;
        }
        let mut mine = ours.file_descriptor_proto(file.id);
        normalise(&mut mine);
        normalise(&mut theirs);
        if mine != theirs {
            let (a, b) = (format!("{theirs:#?}"), format!("{mine:#?}"));
            let diff = similar::TextDiff::from_lines(&a, &b)
                .unified_diff()
                .context_radius(4)
                .to_string();
            return Some(Err(format!(
                "{name} differs (- protobuf-parse, + herald)\n{diff}"
            )));
        }
    }
    Some(Ok(()))
}

/// The built-in well-known types (descriptor.proto with Herald's editions additions included) are real-world proto2
/// and proto3 files: both front ends must agree on them too.
#[test]
fn herald_matches_protobuf_parse_on_the_well_known_types() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("herald-proto-wkt");
    for path in herald_schema::proto::builtin_files() {
        let target = dir.join(path);
        std::fs::create_dir_all(target.parent().expect("has a parent")).expect("create dir");
        std::fs::write(
            &target,
            herald_schema::proto::builtin_file(path).expect("built in"),
        )
        .expect("write");
    }
    // The module compares every file as a non-built-in one: the caller's copies win over the built-in ones.
    let files = proto_support::read_tree(&dir);
    assert!(files.len() >= 12);
    let names: Vec<&str> = files.keys().map(String::as_str).collect();
    let ours = herald_schema::proto::compile(&files, &names).unwrap_or_else(|e| panic!("{e}"));
    assert!(ours.files().iter().all(|f| !f.builtin));
    match compare(&dir) {
        Some(Ok(())) => {}
        Some(Err(e)) => panic!("{e}"),
        None => panic!("not compared"),
    }
}

#[test]
fn herald_matches_protobuf_parse_on_proto2_and_proto3_modules() {
    let mut dirs = Vec::new();
    for case in proto_support::children(&proto_support::conformance()) {
        for side in ["old", "new"] {
            if case.join(side).is_dir() {
                dirs.push(case.join(side));
            }
        }
    }
    for case in proto_support::children(&proto_support::testdata().join("good")) {
        if case.is_dir() {
            dirs.push(case);
        }
    }
    assert!(!dirs.is_empty(), "no test modules found");
    let mut failures = Vec::new();
    let mut compared = 0;
    for d in &dirs {
        match compare(d) {
            None => {}
            Some(Ok(())) => compared += 1,
            Some(Err(e)) => failures.push(format!("{}: {e}", d.display())),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} modules differ:\n{}",
        failures.len(),
        dirs.len(),
        failures.join("\n\n")
    );
    assert!(compared >= 150, "only {compared} modules compared");
}
