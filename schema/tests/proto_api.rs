//! The public API of the .proto front end: file sources and include roots, built-in files, lookups and locations,
//! and the shape of diagnostics.

use std::collections::HashMap;

use herald_schema::proto::{
    DiagnosticKind, FieldType, FileSource, IncludeRoots, Label, Symbol, compile, parse_file,
};

#[test]
fn include_roots_are_searched_in_order_and_the_first_match_wins() {
    let mut files: HashMap<String, String> = HashMap::new();
    files.insert(
        "vendor/common/a.proto".into(),
        "syntax = \"proto3\"; package vendor; message A {}".into(),
    );
    files.insert(
        "src/common/a.proto".into(),
        "syntax = \"proto3\"; package mine; message A {}".into(),
    );
    files.insert(
        "src/app.proto".into(),
        "syntax = \"proto3\"; import \"common/a.proto\"; message App { mine.A a = 1; }".into(),
    );
    let roots = IncludeRoots {
        source: &files,
        roots: vec!["src".into(), "vendor/".into()],
    };
    assert!(
        roots
            .load("common/a.proto")
            .is_some_and(|t| t.contains("package mine"))
    );
    let module = compile(&roots, &["app.proto"]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(module.files().len(), 2);
    assert_eq!(
        module.files()[0].path,
        "common/a.proto",
        "dependencies come first"
    );
    assert_eq!(
        module
            .entry_files()
            .map(|f| f.path.as_str())
            .collect::<Vec<_>>(),
        ["app.proto"]
    );
}

#[test]
fn well_known_types_are_built_in_and_a_callers_copy_wins() {
    let app = "syntax = \"proto3\"; import \"google/protobuf/timestamp.proto\"; \
               message E { google.protobuf.Timestamp at = 1; }";
    let module = compile(&[("e.proto", app)], &["e.proto"]).unwrap_or_else(|e| panic!("{e}"));
    let ts = module
        .file_by_path("google/protobuf/timestamp.proto")
        .expect("loaded");
    assert!(ts.builtin);
    assert!(
        module
            .message_by_name("google.protobuf.Timestamp")
            .is_some()
    );

    let own =
        "syntax = \"proto3\"; package google.protobuf; message Timestamp { int64 ticks = 1; }";
    let files = [("e.proto", app), ("google/protobuf/timestamp.proto", own)];
    let module = compile(&files, &["e.proto"]).unwrap_or_else(|e| panic!("{e}"));
    let ts = module
        .message_by_name("google.protobuf.Timestamp")
        .expect("message");
    assert_eq!(ts.fields[0].name, "ticks");
    assert!(!module.file(ts.file).builtin);
    assert!(herald_schema::proto::builtin_files().count() >= 12);
}

#[test]
fn lookups_by_name_and_locations() {
    let text = "syntax = \"proto3\";\npackage shop.v1;\n\nmessage Order {\n  map<string, Line> lines = 1;\n  \
                message Line { int32 qty = 1; }\n  reserved 5 to 9;\n}\nenum E { E_ZERO = 0; E_ONE = 1; }\n\
                service S { rpc Get(Order) returns (Order); }\n";
    let module =
        compile(&[("shop.proto", text)], &["shop.proto"]).unwrap_or_else(|e| panic!("{e}"));
    let order = module
        .message_by_name(".shop.v1.Order")
        .expect("leading dot accepted");
    let lines = order.field_by_name("lines").expect("field");
    assert!(lines.map && lines.label == Label::Repeated);
    let FieldType::Message(entry) = lines.ty else {
        panic!("map entry type")
    };
    assert!(module.message(entry).map_entry);
    assert_eq!(module.message(entry).full_name, "shop.v1.Order.LinesEntry");
    assert!(order.is_reserved_number(7) && !order.is_reserved_number(10));
    assert!(
        matches!(
            module.lookup("shop.v1.E_ONE"),
            Some(Symbol::EnumValue(_, 1))
        ),
        "enum values are siblings"
    );
    assert!(matches!(
        module.lookup("shop.v1.S.Get"),
        Some(Symbol::Method(_, 0))
    ));
    assert!(matches!(module.lookup("shop"), Some(Symbol::Package)));
    let (path, at) = module.location(lines.file, lines.span);
    assert_eq!((path, at.line, at.column), ("shop.proto", 5, 3));
    let get = &module
        .service_by_name("shop.v1.S")
        .expect("service")
        .methods[0];
    assert_eq!(module.message(get.input).full_name, "shop.v1.Order");
}

#[test]
fn diagnostics_list_every_error_with_file_line_and_column() {
    let text = "syntax = \"proto3\";\nmessage A {\n  Missing a = 1;\n  Gone b = 2;\n}\n";
    let err = compile(&[("a.proto", text)], &["a.proto"]).expect_err("undefined types");
    assert_eq!(err.len(), 2);
    assert!(err.iter().all(|d| d.kind == DiagnosticKind::Resolve));
    assert_eq!(
        err.to_string(),
        "a.proto:3:3: undefined type `Missing`\na.proto:4:3: undefined type `Gone`"
    );

    let err = compile(&[("a.proto", text)], &["nope.proto"]).expect_err("missing entry");
    assert_eq!(err.errors[0].kind, DiagnosticKind::Import);
    assert!(err.to_string().contains("file not found: nope.proto"));

    let err = parse_file("p.proto", "message {").expect_err("syntax");
    assert_eq!(err.errors[0].kind, DiagnosticKind::Syntax);
    assert!(parse_file("p.proto", "syntax = \"proto3\"; message M {}").is_ok());
}

#[test]
fn option_values_are_readable() {
    let text = "syntax = \"proto3\";\noption java_package = \"com.x\";\noption java_multiple_files = true;\n\
                service S { rpc A(M) returns (M) { option idempotency_level = NO_SIDE_EFFECTS; } }\nmessage M {}\n";
    let module = compile(&[("o.proto", text)], &["o.proto"]).unwrap_or_else(|e| panic!("{e}"));
    let f = &module.files()[0];
    assert_eq!(
        f.option("java_package").and_then(|o| o.as_str()).as_deref(),
        Some("com.x")
    );
    assert_eq!(
        f.option("java_multiple_files").and_then(|o| o.as_bool()),
        Some(true)
    );
    let m = &module.service_by_name("S").expect("service").methods[0];
    assert_eq!(
        m.option("idempotency_level").and_then(|o| o.as_ident()),
        Some("NO_SIDE_EFFECTS")
    );
}

#[test]
fn leading_and_trailing_comments_are_kept() {
    let text = "syntax = \"proto3\";\n// An order.\nmessage Order { // trails the brace\n  \
                // The id.\n  string id = 1; // trails the field\n  int32 n = 2; /* block */\n}\n\
                enum E { E_ZERO = 0; // zero\n}\n";
    let module = compile(&[("c.proto", text)], &["c.proto"]).unwrap_or_else(|e| panic!("{e}"));
    let order = module.message_by_name("Order").expect("message");
    assert_eq!(order.comment.as_deref(), Some("An order.\n"));
    assert_eq!(
        order.trailing_comment.as_deref(),
        Some("trails the brace\n")
    );
    assert_eq!(order.fields[0].comment.as_deref(), Some("The id.\n"));
    assert_eq!(
        order.fields[0].trailing_comment.as_deref(),
        Some("trails the field\n")
    );
    assert_eq!(
        order.fields[1].comment, None,
        "a trailing comment does not lead the next field"
    );
    assert_eq!(order.fields[1].trailing_comment.as_deref(), Some("block"));
    let e = module.enum_by_name("E").expect("enum");
    assert_eq!(e.values[0].trailing_comment.as_deref(), Some("zero\n"));
    let fd = module.file_descriptor_proto(module.files()[0].id);
    let loc = fd
        .source_code_info
        .expect("info")
        .location
        .into_iter()
        .find(|l| l.path == [4, 0, 2, 0])
        .expect("id");
    assert_eq!(loc.leading_comments.as_deref(), Some("The id.\n"));
    assert_eq!(loc.trailing_comments.as_deref(), Some("trails the field\n"));
}

#[test]
fn spans_locate_names_numbers_and_types() {
    let text = "syntax = \"proto3\";\npackage a.b;\nmessage M {\n  repeated Inner items = 7;\n  message Inner {}\n  \
                map<string, int32> counts = 8;\n}\n\
                enum E { E_ZERO = 0; }\nservice S { rpc Call(M) returns (stream M); }\n";
    let module = compile(&[("s.proto", text)], &["s.proto"]).unwrap_or_else(|e| panic!("{e}"));
    let file = &module.files()[0];
    let slice = |span: herald_schema::span::Span| &text[span.start as usize..span.end as usize];
    assert_eq!(slice(file.package_span.expect("package")), "a.b");
    assert_eq!(
        slice(file.package_statement_span.expect("package")),
        "package a.b;"
    );
    let f = &module.message_by_name("a.b.M").expect("M").fields[0];
    assert_eq!(slice(f.name_span), "items");
    assert_eq!(slice(f.number_span), "7");
    assert_eq!(slice(f.type_span), "Inner");
    assert_eq!(slice(f.span), "repeated Inner items = 7;");
    let map = &module.message_by_name("a.b.M").expect("M").fields[1];
    assert_eq!(slice(map.type_span), "map<string, int32>");
    let v = &module.enum_by_name("a.b.E").expect("E").values[0];
    assert_eq!((slice(v.name_span), slice(v.number_span)), ("E_ZERO", "0"));
    let m = &module.service_by_name("a.b.S").expect("S").methods[0];
    assert_eq!(
        (
            slice(m.name_span),
            slice(m.input_span),
            slice(m.output_span)
        ),
        ("Call", "M", "M")
    );
}

#[test]
fn diagnostics_carry_the_end_of_their_range() {
    let err = compile(
        &[(
            "r.proto",
            "syntax = \"proto3\";\nmessage A { Missing.Type x = 1; }\n",
        )],
        &["r.proto"],
    )
    .expect_err("undefined");
    let d = &err.errors[0];
    assert_eq!(
        (d.start.line, d.start.column, d.end.line, d.end.column),
        (2, 13, 2, 25)
    );
}
