//! Feature resolution: the questions compatibility rules ask ("is this field's presence explicit", "is this enum
//! closed", "is it packed", ...) answered the same way for proto2, proto3 and editions files, and the two
//! descriptor flavors of an editions file.

mod proto_support;

use herald_schema::proto::{
    DescriptorFlavor, FieldPresence, JsonFormat, Module, Syntax, Utf8Validation, compile,
};

fn module(case: &str) -> Module {
    let files = proto_support::read_tree(&proto_support::testdata().join("good").join(case));
    let names: Vec<&str> = files.keys().map(String::as_str).collect();
    compile(&files, &names).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn editions_features_are_inherited_and_overridden() {
    let m = module("editions_2023");
    let file = m.file_by_path("catalog.proto").expect("file");
    assert!(matches!(file.syntax, Syntax::Editions(_)));
    assert_eq!(file.features.field_presence, FieldPresence::Implicit);
    let f = |name: &str| {
        m.field_by_name(&format!("catalog.v1.Product.{name}"))
            .expect(name)
    };
    assert!(!f("sku").has_presence(), "file-level IMPLICIT");
    assert!(f("stock").has_presence(), "field-level EXPLICIT");
    assert!(f("must").is_required());
    assert_eq!(
        f("must").features.field_presence,
        FieldPresence::LegacyRequired
    );
    assert!(f("sizes").is_packed(), "editions pack by default");
    assert!(!f("weights").is_packed());
    assert!(f("meta").is_delimited());
    assert!(!f("plain_meta").is_delimited());
    assert!(
        f("plain_meta").has_presence(),
        "message fields always track presence"
    );
    assert_eq!(f("data").features.utf8_validation, Utf8Validation::None);
    assert_eq!(f("color").default_value.as_deref(), Some("RED"));
    let product = m.message_by_name("catalog.v1.Product").expect("message");
    assert_eq!(product.features.json_format, JsonFormat::LegacyBestEffort);
    assert!(
        m.enum_by_name("catalog.v1.Color")
            .expect("enum")
            .is_closed(),
        "file-level CLOSED"
    );
    assert!(
        !m.enum_by_name("catalog.v1.OpenColor")
            .expect("enum")
            .is_closed()
    );
    // Nested messages inherit from their parent.
    let meta = m
        .message_by_name("catalog.v1.Product.Meta")
        .expect("nested");
    assert_eq!(meta.features.json_format, JsonFormat::LegacyBestEffort);
}

#[test]
fn legacy_syntaxes_get_the_features_their_keywords_imply() {
    let m = module("proto2_kitchen_sink");
    let f = |name: &str| {
        m.field_by_name(&format!("kitchen.sink.Everything.{name}"))
            .expect(name)
    };
    assert!(f("id").is_required());
    assert!(f("name").has_presence());
    assert!(f("packed_ints").is_packed());
    assert!(!f("tags").is_packed());
    assert!(f("result").is_delimited());
    assert!(
        m.enum_by_name("kitchen.sink.Everything.Color")
            .expect("enum")
            .is_closed()
    );

    let m = module("proto3_everyday");
    let f = |name: &str| {
        m.field_by_name(&format!("shop.v1.Order.{name}"))
            .expect(name)
    };
    assert!(!f("id").has_presence());
    assert!(f("quantity").has_presence() && f("quantity").proto3_optional);
    assert!(
        f("card_token").has_presence(),
        "oneof members track presence"
    );
    assert!(f("prices").is_packed(), "proto3 packs by default");
    assert!(!f("history").is_packed(), "[packed = false]");
    assert!(!m.enum_by_name("shop.v1.Status").expect("enum").is_closed());
}

#[test]
fn editions_descriptors_faithful_and_lowered() {
    let m = module("editions_2023");
    let id = m.file_by_path("catalog.proto").expect("file").id;
    let product = |fd: &prost_types::FileDescriptorProto| fd.message_type[0].clone();
    let field = |msg: &prost_types::DescriptorProto, name: &str| {
        msg.field
            .iter()
            .find(|f| f.name() == name)
            .cloned()
            .expect(name)
    };

    let faithful = m.file_descriptor_proto_as(id, DescriptorFlavor::Faithful);
    assert_eq!(faithful.syntax(), "editions");
    let p = product(&faithful);
    assert_eq!(
        field(&p, "must").label(),
        prost_types::field_descriptor_proto::Label::Optional
    );
    assert_eq!(
        field(&p, "meta").r#type(),
        prost_types::field_descriptor_proto::Type::Message
    );
    let stock_opts = field(&p, "stock").options.expect("features kept");
    assert_eq!(
        stock_opts.uninterpreted_option[0].name[0].name_part,
        "features"
    );

    let lowered = m.file_descriptor_proto_as(id, DescriptorFlavor::PreEditions);
    assert_eq!(lowered.syntax(), "proto2");
    let p = product(&lowered);
    assert_eq!(
        field(&p, "must").label(),
        prost_types::field_descriptor_proto::Label::Required
    );
    assert_eq!(
        field(&p, "meta").r#type(),
        prost_types::field_descriptor_proto::Type::Group
    );
    assert_eq!(
        field(&p, "sizes").options.and_then(|o| o.packed),
        Some(true)
    );
    assert!(field(&p, "stock").options.is_none(), "features removed");
    // Language features (`features.(pb.java).*`) go too.
    assert!(field(&p, "data").options.is_none());
}

#[test]
fn source_code_info_locates_elements() {
    let m = module("proto3_everyday");
    let fd = m.file_descriptor_proto(m.file_by_path("order.proto").expect("file").id);
    let info = fd.source_code_info.expect("source info");
    // message_type[0] (Order) starts on line 16 (0-based 15) and carries its leading comment.
    let order = info
        .location
        .iter()
        .find(|l| l.path == [4, 0])
        .expect("Order location");
    assert_eq!(order.span[0], 15);
    assert_eq!(order.leading_comments.as_deref(), Some("An order.\n"));
    // field 0 of Order.
    let id = info
        .location
        .iter()
        .find(|l| l.path == [4, 0, 2, 0])
        .expect("id location");
    assert_eq!(&id.span[..], &[16, 2, 16]);
}

#[test]
fn encoded_descriptor_sets_carry_the_edition() {
    use prost::Message as _;
    let m = module("editions_2024");
    let bytes = m.encode_file_descriptor_set(DescriptorFlavor::Faithful);
    // prost-types ignores the edition field but reads everything else.
    let decoded = prost_types::FileDescriptorSet::decode(&bytes[..]).expect("valid encoding");
    let mut expected = m.to_file_descriptor_set();
    // Decoding drops nothing else: compare after re-encoding both without the edition.
    assert_eq!(decoded.encode_to_vec(), expected.encode_to_vec());
    // Each editions file ends with field 14 = EDITION_2024 (1001 = 0xE9 0x07).
    let edition_2024 = [0x70, 0xE9, 0x07];
    let count = bytes.windows(3).filter(|w| *w == edition_2024).count();
    assert!(count >= 2, "both editions files carry their edition");
    // The lowered flavor has none.
    let lowered = m.encode_file_descriptor_set(DescriptorFlavor::PreEditions);
    expected = prost_types::FileDescriptorSet::decode(&lowered[..]).expect("valid");
    assert!(expected.file.iter().all(|f| f.syntax() != "editions"));
}

#[test]
fn language_features_are_found_up_the_scope_chain() {
    use herald_schema::proto::Element;
    let files = [(
        "f.proto",
        "edition = \"2024\";\nimport \"google/protobuf/cpp_features.proto\";\n\
         option features.(pb.cpp).string_type = STRING;\n\
         message M {\n  string a = 1;\n  string b = 2 [features.(pb.cpp).string_type = CORD];\n\
         oneof o { string c = 3; }\n}\n",
    )];
    let m = compile(&files, &["f.proto"]).unwrap_or_else(|e| panic!("{e}"));
    let msg = m.message_by_name("M").expect("message").id;
    let (at, o) = m
        .feature_setting(Element::Field(msg, 0), "(pb.cpp).string_type")
        .expect("inherited");
    assert!(matches!(at, Element::File(_)));
    assert_eq!(o.as_ident(), Some("STRING"));
    let (at, o) = m
        .feature_setting(Element::Field(msg, 1), "(pb.cpp).string_type")
        .expect("own");
    assert_eq!(at, Element::Field(msg, 1));
    assert_eq!(o.as_ident(), Some("CORD"));
    assert_eq!(
        m.feature_parent(Element::Field(msg, 2)),
        Some(Element::Oneof(msg, 0))
    );
    assert!(
        m.feature_setting(Element::Field(msg, 0), "field_presence")
            .is_none(),
        "edition default"
    );
}
