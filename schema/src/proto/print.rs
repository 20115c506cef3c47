//! Canonical `.proto` text, as Confluent Schema Registry stores Protobuf schemas.
//!
//! Confluent re-prints every Protobuf schema with Square Wire's element model and its own printer
//! (`ProtobufSchemaUtils.toString`); this module writes the same text so that the same schema formatted
//! differently gets one id, and ids and stored texts agree with schemas registered through Confluent tooling.
//!
//! * [`canonical`] / [`print_file`]: a parsed file, names as written. Two-space indentation, comments dropped,
//!   fixed order (file: syntax, package, imports, public, weak and option imports, options, messages then enums,
//!   extends, services; message: reserved, options, fields, oneofs, groups, extension ranges, extends, nested
//!   messages then nested enums), `default` and `json_name` moved behind the other field options, numbers as
//!   written, strings re-escaped. Sections inside a block are separated by blank lines (indented, as Confluent's
//!   `appendIndented` writes them).
//! * [`print_descriptor`]: a `FileDescriptorProto` (what confluent-kafka-python's serializer sends, base64) as
//!   the same text: types fully qualified with a leading dot (as the descriptor holds them), labels as Confluent
//!   derives them (proto3 singular fields have none), `json_name` only when it differs from the default.
//! * [`normalized`]: `normalize=true` — a compiled file written from its descriptor with fields, enum values,
//!   oneofs, reserved and extension ranges, options and imports sorted, types resolved with a leading dot, maps as
//!   `map<K, V>`, the `proto2` syntax line dropped, single-element lists in option values unwrapped.
//!
//! **Deliberate differences from Confluent**, where its text would not compile, would lose meaning or would not
//! read back to the same value: map fields of a descriptor are written as `map<K, V>` (Confluent writes the
//! synthetic entry message with `option map_entry = true`, which protoc rejects); groups of a descriptor are
//! written as groups (Confluent drops them); a `bytes` default is quoted; weak and option imports are kept;
//! editions files get an `edition = "..."` line (Wire cannot read editions); a reserved or extension range is
//! written `max` only when it was written so or reaches the message field limit; control characters in strings
//! are written as octal escapes (Confluent writes them raw); normalized numbers are written in full (Confluent's
//! `DecimalFormat` keeps three fraction digits).
//!
//! **Limits of descriptors as `prost-types` models them:** extension fields of option messages (custom options
//! of a *descriptor*) are dropped unless they are `uninterpreted_option`s, and edition 2024's `import option`
//! and `export`/`local` are not carried ([`normalized`] restores both from the compiled module). `normalize` keeps
//! custom option names as written instead of qualifying them.

use prost_types::{
    DescriptorProto, EnumDescriptorProto, FieldDescriptorProto, FileDescriptorProto,
    ServiceDescriptorProto, UninterpretedOption, field_descriptor_proto,
};

use super::ast::{
    EnumAst, ExtendAst, FieldAst, FieldTypeAst, FileAst, ImportKind, LabelAst, MessageAst,
    OneofAst, OptionAst, RangeAst, ReservedAst, ServiceAst, SyntaxDecl, ValueAst, ValueKind,
    Visibility,
};
use super::diag::Diagnostics;
use super::model::{FileId, Module, Syntax};

/// The highest message field number; a range ending here or beyond is written `max`.
const MAX_TAG: i64 = 536_870_911;

/// Parses `text` and returns its canonical print (names as written, comments dropped).
pub fn canonical(text: &str) -> Result<String, Diagnostics> {
    let ast = super::parse_file("schema.proto", text)?;
    Ok(print_file(&ast, text))
}

/// The canonical print of a parsed file; `source` is the text it was parsed from (numbers are copied as
/// written).
pub fn print_file(ast: &FileAst, source: &str) -> String {
    print(&file_from_ast(ast, source), false)
}

/// The canonical print of a `FileDescriptorProto`.
pub fn print_descriptor(fd: &FileDescriptorProto) -> String {
    print(&file_from_descriptor(fd, None), false)
}

/// The normalized print (`normalize=true`) of one compiled file of `module`.
pub fn normalized(module: &Module, file: FileId) -> String {
    let fd = module.file_descriptor_proto(file);
    let edition = match module.file(file).syntax {
        Syntax::Editions(e) => Some(edition_name(e.number()).to_owned()),
        _ => None,
    };
    let mut el = file_from_descriptor(&fd, edition);
    // What descriptors (as `prost-types` models them) cannot carry: edition 2024's `import option` and
    // `export`/`local`.
    let f = module.file(file);
    el.option_imports = f
        .dependencies
        .iter()
        .filter(|d| d.kind == super::model::ImportKind::Option)
        .map(|d| d.path.clone())
        .collect();
    let prefix = f.package.clone().unwrap_or_default();
    restore_visibility(module, &prefix, &mut el.messages, &mut el.enums);
    normalize_file(&mut el);
    print(&el, true)
}

fn restore_visibility(module: &Module, scope: &str, messages: &mut [MsgEl], enums: &mut [EnumEl]) {
    let full = |name: &str| {
        if scope.is_empty() {
            name.to_owned()
        } else {
            format!("{scope}.{name}")
        }
    };
    for m in messages {
        let name = full(&m.name);
        m.visibility = visibility(module.message_by_name(&name).and_then(|x| x.visibility));
        restore_visibility(module, &name, &mut m.messages, &mut m.enums);
    }
    for e in enums {
        e.visibility = visibility(
            module
                .enum_by_name(&full(&e.name))
                .and_then(|x| x.visibility),
        );
    }
}

// ----- the element model (Wire's, reduced to what the printer needs) -----

#[derive(Debug, Clone, Default)]
struct FileEl {
    syntax: Option<String>,
    edition: Option<String>,
    package: Option<String>,
    imports: Vec<String>,
    public_imports: Vec<String>,
    weak_imports: Vec<String>,
    option_imports: Vec<String>,
    options: Vec<Opt>,
    messages: Vec<MsgEl>,
    enums: Vec<EnumEl>,
    extends: Vec<ExtendEl>,
    services: Vec<ServiceEl>,
}

#[derive(Debug, Clone)]
struct Opt {
    /// The name as printed: `java_package`, `(a.b).c`.
    name: String,
    /// What Confluent sorts by: the first component without parentheses.
    key: String,
    value: Val,
}

#[derive(Debug, Clone, PartialEq)]
enum Val {
    /// A string (or bytes) value, unescaped.
    Str(Vec<u8>),
    /// Booleans, numbers and enum names, printed as they are.
    Raw(String),
    Map(Vec<(String, Val)>),
    List(Vec<Val>),
}

#[derive(Debug, Clone, Default)]
struct MsgEl {
    name: String,
    visibility: Option<&'static str>,
    reserved: Vec<Vec<Item>>,
    options: Vec<Opt>,
    fields: Vec<FieldEl>,
    oneofs: Vec<OneofEl>,
    groups: Vec<GroupEl>,
    extensions: Vec<(Vec<Item>, Vec<Opt>)>,
    extends: Vec<ExtendEl>,
    messages: Vec<MsgEl>,
    enums: Vec<EnumEl>,
}

/// One item of a `reserved` or `extensions` statement.
#[derive(Debug, Clone, PartialEq)]
enum Item {
    Num(i64),
    /// `start to end`; `None` is `max`.
    Range(i64, Option<i64>),
    Name(String),
}

#[derive(Debug, Clone)]
struct FieldEl {
    label: Option<&'static str>,
    ty: String,
    name: String,
    number: i64,
    options: Vec<Opt>,
}

#[derive(Debug, Clone)]
struct GroupEl {
    label: Option<&'static str>,
    name: String,
    number: i64,
    body: MsgEl,
}

#[derive(Debug, Clone)]
struct OneofEl {
    name: String,
    options: Vec<Opt>,
    fields: Vec<FieldEl>,
    groups: Vec<GroupEl>,
}

#[derive(Debug, Clone)]
struct ExtendEl {
    name: String,
    fields: Vec<FieldEl>,
    groups: Vec<GroupEl>,
}

#[derive(Debug, Clone)]
struct EnumEl {
    name: String,
    visibility: Option<&'static str>,
    reserved: Vec<Vec<Item>>,
    options: Vec<Opt>,
    values: Vec<(String, i64, Vec<Opt>)>,
}

#[derive(Debug, Clone)]
struct ServiceEl {
    name: String,
    options: Vec<Opt>,
    rpcs: Vec<RpcEl>,
}

#[derive(Debug, Clone)]
struct RpcEl {
    name: String,
    input: String,
    input_stream: bool,
    output: String,
    output_stream: bool,
    options: Vec<Opt>,
}

// ----- from the syntax tree -----

fn file_from_ast(ast: &FileAst, src: &str) -> FileEl {
    let mut el = FileEl::default();
    match &ast.syntax {
        Some(SyntaxDecl::Syntax(id)) => el.syntax = Some(id.text.clone()),
        Some(SyntaxDecl::Edition(id)) => el.edition = Some(id.text.clone()),
        None => {}
    }
    el.package = ast.package.as_ref().map(|p| p.text.clone());
    for i in &ast.imports {
        let list = match i.kind {
            ImportKind::Default => &mut el.imports,
            ImportKind::Public => &mut el.public_imports,
            ImportKind::Weak => &mut el.weak_imports,
            ImportKind::Option => &mut el.option_imports,
        };
        list.push(i.path.text.clone());
    }
    el.options = ast.options.iter().map(|o| opt_from_ast(o, src)).collect();
    el.messages = ast.messages.iter().map(|m| msg_from_ast(m, src)).collect();
    el.enums = ast.enums.iter().map(|e| enum_from_ast(e, src)).collect();
    el.extends = ast
        .extends
        .iter()
        .map(|e| extend_from_ast(e, src))
        .collect();
    el.services = ast
        .services
        .iter()
        .map(|s| service_from_ast(s, src))
        .collect();
    el
}

fn visibility(v: Option<Visibility>) -> Option<&'static str> {
    v.map(|v| match v {
        Visibility::Export => "export",
        Visibility::Local => "local",
    })
}

/// An option's written name from its parts: extension parts in parentheses, joined by dots.
fn option_name<'a>(parts: impl Iterator<Item = (&'a str, bool)>) -> String {
    parts
        .map(|(name, is_extension)| {
            if is_extension {
                format!("({name})")
            } else {
                name.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(".")
}

fn opt_from_ast(o: &OptionAst, src: &str) -> Opt {
    let name = option_name(o.name.iter().map(|p| (p.name.as_str(), p.is_extension)));
    Opt {
        name,
        key: o.name.first().map(|p| p.name.clone()).unwrap_or_default(),
        value: val_from_ast(&o.value, src),
    }
}

/// The text of a number as written (without whitespace or a leading `+`).
fn number_text(v: &ValueAst, src: &str) -> Option<String> {
    let raw = src.get(v.span.start as usize..v.span.end as usize)?;
    let t: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
    let t = t.strip_prefix('+').map(str::to_owned).unwrap_or(t);
    (!t.is_empty()).then_some(t)
}

fn val_from_ast(v: &ValueAst, src: &str) -> Val {
    match &v.kind {
        ValueKind::Ident { negative, name } => {
            Val::Raw(format!("{}{name}", if *negative { "-" } else { "" }))
        }
        ValueKind::Int {
            negative,
            magnitude,
        } => Val::Raw(number_text(v, src).unwrap_or_else(|| {
            format!(
                "{}{}",
                if *negative { "-" } else { "" },
                magnitude.map_or_else(|| "18446744073709551616".to_owned(), |m| m.to_string())
            )
        })),
        ValueKind::Float(f) => {
            Val::Raw(number_text(v, src).unwrap_or_else(|| super::values::format_double(*f)))
        }
        ValueKind::Str(s) => Val::Str(s.clone()),
        ValueKind::List(items) => Val::List(items.iter().map(|i| val_from_ast(i, src)).collect()),
        ValueKind::Aggregate(fields) => {
            let mut entries: Vec<(String, Val)> = Vec::new();
            for f in fields {
                let key = if f.is_extension {
                    format!("[{}]", f.name)
                } else {
                    f.name.clone()
                };
                let value = val_from_ast(&f.value, src);
                merge_entry(&mut entries, key, value);
            }
            Val::Map(entries)
        }
    }
}

/// Wire's rule for a key given twice in an aggregate: the values become a list.
fn merge_entry(entries: &mut Vec<(String, Val)>, key: String, value: Val) {
    if let Some((_, previous)) = entries.iter_mut().find(|(k, _)| *k == key) {
        let mut list = match std::mem::replace(previous, Val::List(Vec::new())) {
            Val::List(items) => items,
            other => vec![other],
        };
        match value {
            Val::List(items) => list.extend(items),
            other => list.push(other),
        }
        *previous = Val::List(list);
    } else {
        entries.push((key, value));
    }
}

fn items_from_ranges(ranges: &[RangeAst], src: &str) -> Vec<Item> {
    ranges
        .iter()
        .map(|r| {
            let written = src
                .get(r.span.start as usize..r.span.end as usize)
                .unwrap_or("");
            if r.end == Some(r.start) && !written.contains("to") {
                Item::Num(r.start)
            } else {
                Item::Range(r.start, r.end)
            }
        })
        .collect()
}

fn reserved_from_ast(r: &ReservedAst, src: &str) -> Vec<Item> {
    let mut items = items_from_ranges(&r.ranges, src);
    items.extend(r.names.iter().map(|n| Item::Name(n.text.clone())));
    items
}

fn label_text(label: Option<LabelAst>) -> Option<&'static str> {
    label.map(|l| match l {
        LabelAst::Optional => "optional",
        LabelAst::Required => "required",
        LabelAst::Repeated => "repeated",
    })
}

fn field_from_ast(f: &FieldAst, src: &str) -> FieldEl {
    let ty = match &f.ty {
        FieldTypeAst::Named(id) => id.text.clone(),
        FieldTypeAst::Map { key, value } => format!("map<{}, {}>", key.text, value.text),
        FieldTypeAst::Group(m) => m.name.text.clone(),
    };
    // Wire takes `default` and `json_name` out of the options and Confluent appends them at the end.
    let special = |o: &&OptionAst, name: &str| {
        o.name.len() == 1 && !o.name[0].is_extension && o.name[0].name == name
    };
    let mut options: Vec<Opt> = f
        .options
        .iter()
        .filter(|o| !special(o, "default") && !special(o, "json_name"))
        .map(|o| opt_from_ast(o, src))
        .collect();
    for name in ["default", "json_name"] {
        if let Some(o) = f.options.iter().rev().find(|o| special(o, name)) {
            options.push(opt_from_ast(o, src));
        }
    }
    FieldEl {
        label: label_text(f.label.map(|(l, _)| l)),
        ty,
        name: f.name.text.clone(),
        number: f.number.unwrap_or(0),
        options,
    }
}

fn group_from_ast(f: &FieldAst, body: &MessageAst, src: &str) -> GroupEl {
    GroupEl {
        label: label_text(f.label.map(|(l, _)| l)),
        name: body.name.text.clone(),
        number: f.number.unwrap_or(0),
        body: msg_from_ast(body, src),
    }
}

fn split_fields(fields: &[FieldAst], src: &str) -> (Vec<FieldEl>, Vec<GroupEl>) {
    let mut plain = Vec::new();
    let mut groups = Vec::new();
    for f in fields {
        match &f.ty {
            FieldTypeAst::Group(body) => groups.push(group_from_ast(f, body, src)),
            _ => plain.push(field_from_ast(f, src)),
        }
    }
    (plain, groups)
}

fn oneof_from_ast(o: &OneofAst, src: &str) -> OneofEl {
    let (fields, groups) = split_fields(&o.fields, src);
    OneofEl {
        name: o.name.text.clone(),
        options: o.options.iter().map(|x| opt_from_ast(x, src)).collect(),
        fields,
        groups,
    }
}

fn msg_from_ast(m: &MessageAst, src: &str) -> MsgEl {
    let (fields, groups) = split_fields(&m.fields, src);
    MsgEl {
        name: m.name.text.clone(),
        visibility: visibility(m.visibility),
        reserved: m
            .reserved
            .iter()
            .map(|r| reserved_from_ast(r, src))
            .collect(),
        options: m.options.iter().map(|o| opt_from_ast(o, src)).collect(),
        fields,
        oneofs: m.oneofs.iter().map(|o| oneof_from_ast(o, src)).collect(),
        groups,
        extensions: m
            .extensions
            .iter()
            .map(|e| {
                (
                    items_from_ranges(&e.ranges, src),
                    e.options.iter().map(|o| opt_from_ast(o, src)).collect(),
                )
            })
            .collect(),
        extends: m.extends.iter().map(|e| extend_from_ast(e, src)).collect(),
        messages: m.messages.iter().map(|x| msg_from_ast(x, src)).collect(),
        enums: m.enums.iter().map(|e| enum_from_ast(e, src)).collect(),
    }
}

fn extend_from_ast(e: &ExtendAst, src: &str) -> ExtendEl {
    let (fields, groups) = split_fields(&e.fields, src);
    ExtendEl {
        name: e.extendee.text.clone(),
        fields,
        groups,
    }
}

fn enum_from_ast(e: &EnumAst, src: &str) -> EnumEl {
    EnumEl {
        name: e.name.text.clone(),
        visibility: visibility(e.visibility),
        reserved: e
            .reserved
            .iter()
            .map(|r| reserved_from_ast(r, src))
            .collect(),
        options: e.options.iter().map(|o| opt_from_ast(o, src)).collect(),
        values: e
            .values
            .iter()
            .map(|v| {
                (
                    v.name.text.clone(),
                    v.number.unwrap_or(0),
                    v.options.iter().map(|o| opt_from_ast(o, src)).collect(),
                )
            })
            .collect(),
    }
}

fn service_from_ast(s: &ServiceAst, src: &str) -> ServiceEl {
    ServiceEl {
        name: s.name.text.clone(),
        options: s.options.iter().map(|o| opt_from_ast(o, src)).collect(),
        rpcs: s
            .rpcs
            .iter()
            .map(|r| RpcEl {
                name: r.name.text.clone(),
                input: r.input.text.clone(),
                input_stream: r.input_stream,
                output: r.output.text.clone(),
                output_stream: r.output_stream,
                options: r.options.iter().map(|o| opt_from_ast(o, src)).collect(),
            })
            .collect(),
    }
}

// ----- from a descriptor -----

/// The `edition` field (14) of a serialized `FileDescriptorProto`, which `prost-types` does not model.
#[derive(Clone, PartialEq, prost::Message)]
struct EditionOnly {
    #[prost(int32, optional, tag = "14")]
    edition: Option<i32>,
}

/// The canonical print of an encoded `FileDescriptorProto` (for an editions file, its `edition` field, which
/// `prost-types` does not model, names the edition).
pub fn print_encoded_descriptor(encoded: &[u8]) -> Result<String, prost::DecodeError> {
    use prost::Message as _;
    let fd = FileDescriptorProto::decode(encoded)?;
    let edition = EditionOnly::decode(encoded)?
        .edition
        .map(|e| edition_name(e).to_owned());
    Ok(print(&file_from_descriptor(&fd, edition), false))
}

fn edition_name(number: i32) -> &'static str {
    match number {
        1001 => "2024",
        _ => "2023",
    }
}

fn simple(name: &str, value: Val) -> Opt {
    Opt {
        name: name.to_owned(),
        key: name.to_owned(),
        value,
    }
}

fn boolean(name: &str, v: Option<bool>) -> Option<Opt> {
    v.map(|b| simple(name, Val::Raw(b.to_string())))
}

fn string(name: &str, v: &Option<String>) -> Option<Opt> {
    v.as_ref()
        .map(|s| simple(name, Val::Str(s.as_bytes().to_vec())))
}

fn enumeration(name: &str, present: bool, value: &str) -> Option<Opt> {
    present.then(|| simple(name, Val::Raw(value.to_owned())))
}

fn uninterpreted(u: &UninterpretedOption) -> Opt {
    let name = option_name(
        u.name
            .iter()
            .map(|p| (p.name_part.as_str(), p.is_extension)),
    );
    let key = u
        .name
        .first()
        .map(|p| p.name_part.clone())
        .unwrap_or_default();
    let value = if let Some(i) = &u.identifier_value {
        Val::Raw(i.clone())
    } else if let Some(p) = u.positive_int_value {
        Val::Raw(p.to_string())
    } else if let Some(n) = u.negative_int_value {
        Val::Raw(n.to_string())
    } else if let Some(d) = u.double_value {
        Val::Raw(super::values::format_double(d))
    } else if let Some(s) = &u.string_value {
        Val::Str(s.clone())
    } else if let Some(a) = &u.aggregate_value {
        aggregate_value(a)
    } else {
        Val::Raw(String::new())
    };
    Opt { name, key, value }
}

/// An `uninterpreted_option.aggregate_value` (text format without braces) read back into a value.
fn aggregate_value(text: &str) -> Val {
    let wrapped = format!("option (x) = {{ {text} }};");
    let parsed = super::parser::parse(&wrapped);
    match parsed.ast.options.first() {
        Some(o) if parsed.lex.is_empty() && parsed.syntax.is_empty() => {
            val_from_ast(&o.value, &wrapped)
        }
        _ => Val::Raw(format!("{{ {text} }}")),
    }
}

/// The bytes of a C-escaped string (a descriptor's `bytes` default), read by the .proto lexer.
fn unescape_c(escaped: &str) -> Vec<u8> {
    let wrapped = format!("option (x) = \"{escaped}\";");
    let parsed = super::parser::parse(&wrapped);
    match parsed.ast.options.first().map(|o| &o.value.kind) {
        Some(ValueKind::Str(bytes)) if parsed.lex.is_empty() && parsed.syntax.is_empty() => {
            bytes.clone()
        }
        _ => escaped.as_bytes().to_vec(),
    }
}

fn scalar_name(t: field_descriptor_proto::Type) -> String {
    t.as_str_name()
        .trim_start_matches("TYPE_")
        .to_ascii_lowercase()
}

fn type_of(fd: &FieldDescriptorProto) -> String {
    match &fd.type_name {
        Some(n) if !n.is_empty() => n.clone(),
        _ => scalar_name(fd.r#type()),
    }
}

/// protoc's default JSON name: underscores dropped, the letter after one upper-cased.
fn default_json_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = false;
    for c in name.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

struct DescCtx {
    proto3: bool,
    editions: bool,
}

fn file_from_descriptor(fd: &FileDescriptorProto, edition: Option<String>) -> FileEl {
    let syntax = fd.syntax.as_deref().unwrap_or("");
    let mut el = FileEl {
        package: fd.package.clone().filter(|p| !p.is_empty()),
        ..FileEl::default()
    };
    match syntax {
        "proto2" | "proto3" => el.syntax = Some(syntax.to_owned()),
        "editions" => el.edition = Some(edition.unwrap_or_else(|| "2023".to_owned())),
        _ => {}
    }
    let ctx = DescCtx {
        proto3: syntax == "proto3",
        editions: syntax == "editions",
    };
    for (i, d) in fd.dependency.iter().enumerate() {
        let i = i as i32;
        if fd.public_dependency.contains(&i) {
            el.public_imports.push(d.clone());
        } else if fd.weak_dependency.contains(&i) {
            el.weak_imports.push(d.clone());
        } else {
            el.imports.push(d.clone());
        }
    }
    if let Some(o) = &fd.options {
        // Deprecated in descriptor.proto, still written by old generators and kept by Confluent.
        #[allow(deprecated)]
        let equals_and_hash = o.java_generate_equals_and_hash;
        el.options = [
            string("java_package", &o.java_package),
            string("java_outer_classname", &o.java_outer_classname),
            boolean("java_multiple_files", o.java_multiple_files),
            boolean("java_generate_equals_and_hash", equals_and_hash),
            enumeration(
                "optimize_for",
                o.optimize_for.is_some(),
                o.optimize_for().as_str_name(),
            ),
            string("go_package", &o.go_package),
            boolean("cc_generic_services", o.cc_generic_services),
            boolean("java_generic_services", o.java_generic_services),
            boolean("py_generic_services", o.py_generic_services),
            boolean("deprecated", o.deprecated),
            boolean("cc_enable_arenas", o.cc_enable_arenas),
            string("objc_class_prefix", &o.objc_class_prefix),
            string("csharp_namespace", &o.csharp_namespace),
            string("swift_prefix", &o.swift_prefix),
            string("php_class_prefix", &o.php_class_prefix),
            string("php_namespace", &o.php_namespace),
            string("php_metadata_namespace", &o.php_metadata_namespace),
            string("ruby_package", &o.ruby_package),
            boolean("php_generic_services", o.php_generic_services),
        ]
        .into_iter()
        .flatten()
        .chain(o.uninterpreted_option.iter().map(uninterpreted))
        .collect();
    }
    // Bodies of groups declared in file-level `extend` blocks are top-level messages in a descriptor; they are
    // written inside their `extend`, as declared.
    let group_bodies: Vec<&str> = fd
        .extension
        .iter()
        .filter_map(|f| group_body(f, &fd.message_type))
        .map(|m| m.name())
        .collect();
    el.messages = fd
        .message_type
        .iter()
        .filter(|m| !group_bodies.contains(&m.name()))
        .map(|m| msg_from_descriptor(m, &ctx))
        .collect();
    el.enums = fd.enum_type.iter().map(enum_from_descriptor).collect();
    el.extends = extends_from_descriptor(&fd.extension, &fd.message_type, &ctx);
    el.services = fd.service.iter().map(service_from_descriptor).collect();
    el
}

fn extends_from_descriptor(
    fields: &[FieldDescriptorProto],
    nested: &[DescriptorProto],
    ctx: &DescCtx,
) -> Vec<ExtendEl> {
    let mut out: Vec<ExtendEl> = Vec::new();
    for f in fields {
        let extendee = f.extendee.clone().unwrap_or_default();
        let idx = match out.iter().position(|e| e.name == extendee) {
            Some(i) => i,
            None => {
                out.push(ExtendEl {
                    name: extendee,
                    fields: Vec::new(),
                    groups: Vec::new(),
                });
                out.len() - 1
            }
        };
        match group_body(f, nested) {
            Some(body) => out[idx]
                .groups
                .push(group_from_descriptor(f, body, ctx, false)),
            None => out[idx]
                .fields
                .push(field_from_descriptor(f, ctx, false, None)),
        }
    }
    out
}

/// The nested message holding a group field's body.
fn group_body<'a>(
    f: &FieldDescriptorProto,
    nested: &'a [DescriptorProto],
) -> Option<&'a DescriptorProto> {
    if f.r#type() != field_descriptor_proto::Type::Group {
        return None;
    }
    let last = f.type_name.as_deref()?.rsplit('.').next()?;
    nested.iter().find(|m| m.name() == last)
}

/// A map field's entry message, when `f` is one.
fn map_entry<'a>(
    f: &FieldDescriptorProto,
    nested: &'a [DescriptorProto],
) -> Option<&'a DescriptorProto> {
    if f.label() != field_descriptor_proto::Label::Repeated
        || f.r#type() != field_descriptor_proto::Type::Message
    {
        return None;
    }
    let last = f.type_name.as_deref()?.rsplit('.').next()?;
    nested.iter().find(|m| {
        m.name() == last
            && m.options
                .as_ref()
                .and_then(|o| o.map_entry)
                .unwrap_or(false)
    })
}

fn label_of(f: &FieldDescriptorProto, ctx: &DescCtx) -> Option<&'static str> {
    use field_descriptor_proto::Label;
    if f.proto3_optional() {
        return Some("optional");
    }
    match f.label() {
        Label::Repeated => Some("repeated"),
        _ if ctx.proto3 || ctx.editions => None,
        Label::Required => Some("required"),
        Label::Optional => Some("optional"),
    }
}

fn field_from_descriptor(
    f: &FieldDescriptorProto,
    ctx: &DescCtx,
    in_oneof: bool,
    entry: Option<&DescriptorProto>,
) -> FieldEl {
    let mut options: Vec<Opt> = Vec::new();
    if let Some(o) = &f.options {
        options.extend(
            [
                enumeration("ctype", o.ctype.is_some(), o.ctype().as_str_name()),
                boolean("packed", o.packed),
                enumeration("jstype", o.jstype.is_some(), o.jstype().as_str_name()),
                boolean("deprecated", o.deprecated),
                boolean("lazy", o.lazy),
                boolean("weak", o.weak),
            ]
            .into_iter()
            .flatten(),
        );
        options.extend(o.uninterpreted_option.iter().map(uninterpreted));
    }
    let (label, ty) = match entry {
        Some(e) => {
            let key = e.field.iter().find(|x| x.number() == 1);
            let value = e.field.iter().find(|x| x.number() == 2);
            let ty = format!(
                "map<{}, {}>",
                key.map(type_of).unwrap_or_default(),
                value.map(type_of).unwrap_or_default()
            );
            (None, ty)
        }
        None => (if in_oneof { None } else { label_of(f, ctx) }, type_of(f)),
    };
    if !ctx.proto3
        && let Some(d) = &f.default_value
    {
        let value = match f.r#type() {
            field_descriptor_proto::Type::String => Val::Str(d.as_bytes().to_vec()),
            // protoc keeps a bytes default C-escaped.
            field_descriptor_proto::Type::Bytes => Val::Str(unescape_c(d)),
            _ => Val::Raw(d.clone()),
        };
        options.push(simple("default", value));
    }
    if let Some(j) = &f.json_name
        && *j != default_json_name(f.name())
    {
        options.push(simple("json_name", Val::Str(j.as_bytes().to_vec())));
    }
    FieldEl {
        label,
        ty,
        name: f.name().to_owned(),
        number: i64::from(f.number()),
        options,
    }
}

fn group_from_descriptor(
    f: &FieldDescriptorProto,
    body: &DescriptorProto,
    ctx: &DescCtx,
    in_oneof: bool,
) -> GroupEl {
    GroupEl {
        label: if in_oneof { None } else { label_of(f, ctx) },
        name: body.name().to_owned(),
        number: i64::from(f.number()),
        body: msg_from_descriptor(body, ctx),
    }
}

fn msg_from_descriptor(m: &DescriptorProto, ctx: &DescCtx) -> MsgEl {
    let mut el = MsgEl {
        name: m.name().to_owned(),
        ..MsgEl::default()
    };
    let mut oneofs: Vec<OneofEl> = m
        .oneof_decl
        .iter()
        .map(|o| OneofEl {
            name: o.name().to_owned(),
            options: o
                .options
                .iter()
                .flat_map(|x| x.uninterpreted_option.iter().map(uninterpreted))
                .collect(),
            fields: Vec::new(),
            groups: Vec::new(),
        })
        .collect();
    // Nested messages written as something else: map entries and group bodies.
    let mut hidden: Vec<&str> = m
        .extension
        .iter()
        .filter_map(|f| group_body(f, &m.nested_type))
        .map(|b| b.name())
        .collect();
    for f in &m.field {
        let in_oneof = f.oneof_index.is_some() && !f.proto3_optional();
        if let Some(body) = group_body(f, &m.nested_type) {
            hidden.push(body.name());
            let g = group_from_descriptor(f, body, ctx, in_oneof);
            match f.oneof_index.and_then(|i| oneofs.get_mut(i as usize)) {
                Some(o) if in_oneof => o.groups.push(g),
                _ => el.groups.push(g),
            }
            continue;
        }
        let entry = map_entry(f, &m.nested_type);
        if let Some(e) = entry {
            hidden.push(e.name());
        }
        let field = field_from_descriptor(f, ctx, in_oneof, entry);
        match f.oneof_index.and_then(|i| oneofs.get_mut(i as usize)) {
            Some(o) if in_oneof => o.fields.push(field),
            _ => el.fields.push(field),
        }
    }
    el.oneofs = oneofs
        .into_iter()
        .filter(|o| !o.fields.is_empty() || !o.groups.is_empty())
        .collect();
    el.messages = m
        .nested_type
        .iter()
        .filter(|n| !hidden.contains(&n.name()))
        .map(|n| msg_from_descriptor(n, ctx))
        .collect();
    el.enums = m.enum_type.iter().map(enum_from_descriptor).collect();
    for r in &m.reserved_range {
        let (s, e) = (i64::from(r.start()), i64::from(r.end()) - 1);
        el.reserved.push(vec![range_item(s, e)]);
    }
    for n in &m.reserved_name {
        el.reserved.push(vec![Item::Name(n.clone())]);
    }
    for r in &m.extension_range {
        let (s, e) = (i64::from(r.start()), i64::from(r.end()) - 1);
        let options = r
            .options
            .iter()
            .flat_map(|x| x.uninterpreted_option.iter().map(uninterpreted))
            .collect();
        el.extensions.push((vec![range_item(s, e)], options));
    }
    if let Some(o) = &m.options {
        el.options = [
            boolean(
                "no_standard_descriptor_accessor",
                o.no_standard_descriptor_accessor,
            ),
            boolean("deprecated", o.deprecated),
            boolean("message_set_wire_format", o.message_set_wire_format),
        ]
        .into_iter()
        .flatten()
        .chain(o.uninterpreted_option.iter().map(uninterpreted))
        .collect();
    }
    el.extends = extends_from_descriptor(&m.extension, &m.nested_type, ctx);
    el
}

fn range_item(start: i64, end: i64) -> Item {
    if start == end {
        Item::Num(start)
    } else if end >= MAX_TAG {
        Item::Range(start, None)
    } else {
        Item::Range(start, Some(end))
    }
}

fn enum_from_descriptor(e: &EnumDescriptorProto) -> EnumEl {
    let mut el = EnumEl {
        name: e.name().to_owned(),
        visibility: None,
        reserved: Vec::new(),
        options: Vec::new(),
        values: Vec::new(),
    };
    for v in &e.value {
        let mut options: Vec<Opt> = Vec::new();
        if let Some(o) = &v.options {
            options.extend(boolean("deprecated", o.deprecated));
            options.extend(o.uninterpreted_option.iter().map(uninterpreted));
        }
        el.values
            .push((v.name().to_owned(), i64::from(v.number()), options));
    }
    for r in &e.reserved_range {
        // Enum reserved ranges are inclusive.
        let (s, end) = (i64::from(r.start()), i64::from(r.end()));
        el.reserved.push(vec![if s == end {
            Item::Num(s)
        } else if end == i64::from(i32::MAX) {
            Item::Range(s, None)
        } else {
            Item::Range(s, Some(end))
        }]);
    }
    for n in &e.reserved_name {
        el.reserved.push(vec![Item::Name(n.clone())]);
    }
    if let Some(o) = &e.options {
        el.options = [
            boolean("allow_alias", o.allow_alias),
            boolean("deprecated", o.deprecated),
        ]
        .into_iter()
        .flatten()
        .chain(o.uninterpreted_option.iter().map(uninterpreted))
        .collect();
    }
    el
}

fn service_from_descriptor(s: &ServiceDescriptorProto) -> ServiceEl {
    ServiceEl {
        name: s.name().to_owned(),
        options: s
            .options
            .iter()
            .flat_map(|o| {
                boolean("deprecated", o.deprecated)
                    .into_iter()
                    .chain(o.uninterpreted_option.iter().map(uninterpreted))
            })
            .collect(),
        rpcs: s
            .method
            .iter()
            .map(|m| RpcEl {
                name: m.name().to_owned(),
                input: m.input_type().to_owned(),
                input_stream: m.client_streaming(),
                output: m.output_type().to_owned(),
                output_stream: m.server_streaming(),
                options: m
                    .options
                    .iter()
                    .flat_map(|o| {
                        [
                            boolean("deprecated", o.deprecated),
                            enumeration(
                                "idempotency_level",
                                o.idempotency_level.is_some(),
                                o.idempotency_level().as_str_name(),
                            ),
                        ]
                        .into_iter()
                        .flatten()
                        .chain(o.uninterpreted_option.iter().map(uninterpreted))
                    })
                    .collect(),
            })
            .collect(),
    }
}

// ----- normalization -----

fn sort_options(options: &mut [Opt]) {
    options.sort_by(|a, b| a.key.cmp(&b.key));
}

fn item_start(items: &[Item]) -> i64 {
    match items.first() {
        Some(Item::Num(n)) | Some(Item::Range(n, _)) => *n,
        _ => i64::MAX,
    }
}

fn item_text(items: &[Item]) -> String {
    items
        .iter()
        .map(|i| print_item(i, true))
        .collect::<Vec<_>>()
        .join(", ")
}

fn split_sorted(groups: &mut Vec<Vec<Item>>) {
    let mut flat: Vec<Vec<Item>> = groups
        .drain(..)
        .flat_map(|g| g.into_iter().map(|i| vec![i]))
        .collect();
    flat.sort_by(|a, b| {
        item_start(a)
            .cmp(&item_start(b))
            .then_with(|| item_text(a).cmp(&item_text(b)))
    });
    *groups = flat;
}

fn normalize_file(f: &mut FileEl) {
    for list in [
        &mut f.imports,
        &mut f.public_imports,
        &mut f.weak_imports,
        &mut f.option_imports,
    ] {
        list.sort();
        list.dedup();
    }
    if f.syntax.as_deref() == Some("proto2") {
        f.syntax = None;
    }
    sort_options(&mut f.options);
    f.messages.iter_mut().for_each(normalize_message);
    f.enums.iter_mut().for_each(normalize_enum);
    for e in &mut f.extends {
        normalize_extend(e);
    }
    for s in &mut f.services {
        sort_options(&mut s.options);
        for r in &mut s.rpcs {
            sort_options(&mut r.options);
        }
    }
}

fn normalize_fields(fields: &mut [FieldEl]) {
    fields.sort_by_key(|f| f.number);
    for f in fields {
        sort_options(&mut f.options);
    }
}

fn normalize_groups(groups: &mut [GroupEl]) {
    groups.sort_by_key(|g| g.number);
    for g in groups {
        normalize_message(&mut g.body);
    }
}

fn normalize_extend(e: &mut ExtendEl) {
    normalize_fields(&mut e.fields);
    normalize_groups(&mut e.groups);
}

fn normalize_message(m: &mut MsgEl) {
    split_sorted(&mut m.reserved);
    sort_options(&mut m.options);
    normalize_fields(&mut m.fields);
    for o in &mut m.oneofs {
        sort_options(&mut o.options);
        normalize_fields(&mut o.fields);
        normalize_groups(&mut o.groups);
    }
    m.oneofs.retain(|o| !o.fields.is_empty());
    m.oneofs
        .sort_by_key(|o| o.fields.first().map_or(i64::MAX, |f| f.number));
    normalize_groups(&mut m.groups);
    let mut ext: Vec<(Vec<Item>, Vec<Opt>)> = m
        .extensions
        .drain(..)
        .flat_map(|(items, opts)| {
            items
                .into_iter()
                .map(move |i| (vec![i], opts.clone()))
                .collect::<Vec<_>>()
        })
        .collect();
    ext.sort_by_key(|(items, _)| item_start(items));
    for (_, opts) in &mut ext {
        sort_options(opts);
    }
    m.extensions = ext;
    for e in &mut m.extends {
        normalize_extend(e);
    }
    m.messages.iter_mut().for_each(normalize_message);
    m.enums.iter_mut().for_each(normalize_enum);
}

fn normalize_enum(e: &mut EnumEl) {
    split_sorted(&mut e.reserved);
    sort_options(&mut e.options);
    e.values
        .sort_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
    for v in &mut e.values {
        sort_options(&mut v.2);
    }
}

// ----- the printer -----

/// Confluent's `appendIndented`: every line of `value` (Java's `split`, so trailing empty lines vanish and
/// inner blank lines keep the indentation) prefixed with two spaces.
fn append_indented(out: &mut String, value: &str) {
    let mut lines: Vec<&str> = value.split('\n').collect();
    while lines.len() > 1 && lines.last() == Some(&"") {
        lines.pop();
    }
    for line in lines {
        out.push_str("  ");
        out.push_str(line);
        out.push('\n');
    }
}

/// Appends one section of a body: nothing when `items` is empty, else a line break and every item's rendering,
/// indented.
fn indented_section<T>(out: &mut String, items: &[T], render: impl Fn(&T) -> String) {
    if items.is_empty() {
        return;
    }
    out.push('\n');
    for item in items {
        append_indented(out, &render(item));
    }
}

/// Confluent's `escapeChars` for string values.
fn escape(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    let push = |c: char, out: &mut String| match c {
        '\u{7}' => out.push_str("\\a"),
        '\u{8}' => out.push_str("\\b"),
        '\u{c}' => out.push_str("\\f"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\u{b}' => out.push_str("\\v"),
        '\\' => out.push_str("\\\\"),
        '\'' => out.push_str("\\'"),
        '"' => out.push_str("\\\""),
        // Other control characters as octal escapes (Confluent writes them raw).
        c if (c as u32) < 0x20 || c == '\u{7f}' => out.push_str(&format!("\\{:03o}", c as u32)),
        c => out.push(c),
    };
    match std::str::from_utf8(bytes) {
        Ok(s) => s.chars().for_each(|c| push(c, &mut out)),
        // Bytes that are not UTF-8 are written as octal escapes so the text reads back to the same bytes.
        Err(_) => {
            for &b in bytes {
                if b.is_ascii() {
                    push(b as char, &mut out);
                } else {
                    out.push_str(&format!("\\{b:03o}"));
                }
            }
        }
    }
    out
}

struct Printer {
    normalize: bool,
    /// Editions write reserved names as identifiers, not strings.
    editions: bool,
}

impl Printer {
    fn value(&self, v: &Val) -> String {
        match v {
            Val::Str(s) => format!("\"{}\"", escape(s)),
            Val::Raw(r) => r.clone(),
            Val::Map(entries) => {
                let mut out = String::from("{\n");
                self.map_entries(&mut out, entries);
                out.push('}');
                out
            }
            Val::List(items) => {
                if self.normalize && items.len() == 1 {
                    return self.value(&items[0]);
                }
                let mut out = String::from("[\n");
                for (i, item) in items.iter().enumerate() {
                    let endl = if i + 1 < items.len() { "," } else { "" };
                    append_indented(&mut out, &format!("{}{endl}", self.value(item)));
                }
                out.push(']');
                out
            }
        }
    }

    fn map_entries(&self, out: &mut String, entries: &[(String, Val)]) {
        let mut entries: Vec<&(String, Val)> = entries.iter().collect();
        if self.normalize {
            entries.retain(|(_, v)| !matches!(v, Val::List(l) if l.is_empty()));
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            entries.dedup_by(|a, b| a.0 == b.0);
        }
        for (i, (k, v)) in entries.iter().enumerate() {
            let endl = if i + 1 < entries.len() { "," } else { "" };
            append_indented(out, &format!("{k}: {}{endl}", self.value(v)));
        }
    }

    fn option(&self, o: &Opt) -> String {
        match &o.value {
            Val::List(_) => format!("{} = {}", o.name, self.list_brackets(&o.value)),
            v => format!("{} = {}", o.name, self.value(v)),
        }
    }

    fn list_brackets(&self, v: &Val) -> String {
        match v {
            Val::List(items) if items.len() == 1 => format!("[{}]", self.value(&items[0])),
            Val::List(items) => {
                let mut out = String::from("[\n");
                for (i, item) in items.iter().enumerate() {
                    let endl = if i + 1 < items.len() { "," } else { "" };
                    append_indented(&mut out, &format!("{}{endl}", self.value(item)));
                }
                out.push(']');
                out
            }
            other => self.value(other),
        }
    }

    fn option_statement(&self, o: &Opt) -> String {
        format!("option {};\n", self.option(o))
    }

    /// `[a = 1]` or one option per line.
    fn bracketed(&self, options: &[Opt]) -> String {
        if options.len() == 1 {
            return format!("[{}]", self.option(&options[0]));
        }
        let mut out = String::from("[\n");
        for (i, o) in options.iter().enumerate() {
            let endl = if i + 1 < options.len() { "," } else { "" };
            append_indented(&mut out, &format!("{}{endl}", self.option(o)));
        }
        out.push(']');
        out
    }

    fn file(&self, f: &FileEl) -> String {
        let mut out = String::new();
        if let Some(s) = &f.syntax {
            out.push_str(&format!("syntax = \"{s}\";\n"));
        }
        if let Some(e) = &f.edition {
            out.push_str(&format!("edition = \"{e}\";\n"));
        }
        if let Some(p) = &f.package {
            out.push_str(&format!("package {p};\n"));
        }
        let imports = [
            ("", &f.imports),
            ("public ", &f.public_imports),
            ("weak ", &f.weak_imports),
            ("option ", &f.option_imports),
        ];
        if imports.iter().any(|(_, l)| !l.is_empty()) {
            out.push('\n');
            for (kind, list) in imports {
                for i in list {
                    out.push_str(&format!("import {kind}\"{i}\";\n"));
                }
            }
        }
        if !f.options.is_empty() {
            out.push('\n');
            for o in &f.options {
                out.push_str(&self.option_statement(o));
            }
        }
        if !f.messages.is_empty() || !f.enums.is_empty() {
            out.push('\n');
            for m in &f.messages {
                out.push_str(&self.message(m));
            }
            for e in &f.enums {
                out.push_str(&self.enumeration(e));
            }
        }
        if !f.extends.is_empty() {
            out.push('\n');
            for e in &f.extends {
                out.push_str(&self.extend(e));
            }
        }
        if !f.services.is_empty() {
            out.push('\n');
            for s in &f.services {
                out.push_str(&self.service(s));
            }
        }
        out
    }

    fn message(&self, m: &MsgEl) -> String {
        let mut out = String::new();
        if let Some(v) = m.visibility {
            out.push_str(v);
            out.push(' ');
        }
        out.push_str(&format!("message {} {{", m.name));
        self.message_body(&mut out, m);
        out.push_str("}\n");
        out
    }

    fn message_body(&self, out: &mut String, m: &MsgEl) {
        indented_section(out, &m.reserved, |r| self.reserved(r));
        indented_section(out, &m.options, |o| self.option_statement(o));
        indented_section(out, &m.fields, |f| self.field(f));
        indented_section(out, &m.oneofs, |o| self.oneof(o));
        indented_section(out, &m.groups, |g| self.group(g));
        indented_section(out, &m.extensions, |(items, options)| {
            self.extensions(items, options)
        });
        indented_section(out, &m.extends, |e| self.extend(e));
        if !m.messages.is_empty() || !m.enums.is_empty() {
            out.push('\n');
            for n in &m.messages {
                append_indented(out, &self.message(n));
            }
            for e in &m.enums {
                append_indented(out, &self.enumeration(e));
            }
        }
    }

    fn reserved(&self, items: &[Item]) -> String {
        let parts: Vec<String> = items
            .iter()
            .map(|i| match i {
                Item::Name(n) if self.editions => n.clone(),
                other => print_item(other, self.normalize),
            })
            .collect();
        format!("reserved {};\n", parts.join(", "))
    }

    fn extensions(&self, items: &[Item], options: &[Opt]) -> String {
        let parts: Vec<String> = items
            .iter()
            .map(|i| print_item(i, self.normalize))
            .collect();
        let mut out = format!("extensions {}", parts.join(", "));
        if !options.is_empty() {
            out.push(' ');
            out.push_str(&self.bracketed(options));
        }
        out.push_str(";\n");
        out
    }

    fn field(&self, f: &FieldEl) -> String {
        let mut out = String::new();
        if let Some(l) = f.label {
            out.push_str(l);
            out.push(' ');
        }
        out.push_str(&format!("{} {} = {}", f.ty, f.name, f.number));
        if !f.options.is_empty() {
            out.push(' ');
            out.push_str(&self.bracketed(&f.options));
        }
        out.push_str(";\n");
        out
    }

    fn group(&self, g: &GroupEl) -> String {
        let mut out = String::new();
        if let Some(l) = g.label {
            out.push_str(l);
            out.push(' ');
        }
        out.push_str(&format!("group {} = {} {{", g.name, g.number));
        self.message_body(&mut out, &g.body);
        out.push_str("}\n");
        out
    }

    fn oneof(&self, o: &OneofEl) -> String {
        let mut out = format!("oneof {} {{", o.name);
        indented_section(&mut out, &o.options, |x| self.option_statement(x));
        indented_section(&mut out, &o.fields, |f| self.field(f));
        indented_section(&mut out, &o.groups, |g| self.group(g));
        out.push_str("}\n");
        out
    }

    fn extend(&self, e: &ExtendEl) -> String {
        let mut out = format!("extend {} {{", e.name);
        if !e.fields.is_empty() || !e.groups.is_empty() {
            out.push('\n');
            for f in &e.fields {
                append_indented(&mut out, &self.field(f));
            }
            for g in &e.groups {
                append_indented(&mut out, &self.group(g));
            }
        }
        out.push_str("}\n");
        out
    }

    fn enumeration(&self, e: &EnumEl) -> String {
        let mut out = String::new();
        if let Some(v) = e.visibility {
            out.push_str(v);
            out.push(' ');
        }
        out.push_str(&format!("enum {} {{", e.name));
        if !e.reserved.is_empty() {
            out.push('\n');
            for r in &e.reserved {
                append_indented(&mut out, &self.reserved(r));
            }
        } else if !e.options.is_empty() || !e.values.is_empty() {
            out.push('\n');
        }
        for o in &e.options {
            append_indented(&mut out, &self.option_statement(o));
        }
        for (name, number, options) in &e.values {
            let mut line = format!("{name} = {number}");
            if !options.is_empty() {
                line.push(' ');
                line.push_str(&self.bracketed(options));
            }
            line.push_str(";\n");
            append_indented(&mut out, &line);
        }
        out.push_str("}\n");
        out
    }

    fn service(&self, s: &ServiceEl) -> String {
        let mut out = format!("service {} {{", s.name);
        indented_section(&mut out, &s.options, |o| self.option_statement(o));
        indented_section(&mut out, &s.rpcs, |r| self.rpc(r));
        out.push_str("}\n");
        out
    }

    fn rpc(&self, r: &RpcEl) -> String {
        let stream = |s: bool| if s { "stream " } else { "" };
        let mut out = format!(
            "rpc {} ({}{}) returns ({}{})",
            r.name,
            stream(r.input_stream),
            r.input,
            stream(r.output_stream),
            r.output
        );
        if !r.options.is_empty() {
            out.push_str(" {\n");
            for o in &r.options {
                append_indented(&mut out, &self.option_statement(o));
            }
            out.push('}');
        }
        out.push_str(";\n");
        out
    }
}

fn print_item(i: &Item, normalize: bool) -> String {
    match i {
        Item::Num(n) => n.to_string(),
        Item::Range(s, Some(e)) if normalize && s == e => s.to_string(),
        Item::Range(s, Some(e)) if *e < MAX_TAG => format!("{s} to {e}"),
        Item::Range(s, _) => format!("{s} to max"),
        Item::Name(n) => format!("\"{n}\""),
    }
}

fn print(f: &FileEl, normalize: bool) -> String {
    Printer {
        normalize,
        editions: f.edition.is_some(),
    }
    .file(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indentation_keeps_blank_lines_indented_like_java() {
        let mut out = String::new();
        append_indented(
            &mut out,
            "message A {\n  int32 a = 1;\n\n  message B {}\n}\n",
        );
        assert_eq!(
            out,
            "  message A {\n    int32 a = 1;\n  \n    message B {}\n  }\n"
        );
    }

    #[test]
    fn default_json_names_follow_protoc() {
        assert_eq!(default_json_name("foo_bar_baz"), "fooBarBaz");
        assert_eq!(default_json_name("x"), "x");
        assert_eq!(default_json_name("a__b"), "aB");
    }

    #[test]
    fn strings_are_escaped_as_confluent_does() {
        assert_eq!(escape(b"a\"b'c\\\n"), "a\\\"b\\'c\\\\\\n");
        assert_eq!(escape(&[0xff, b'a']), "\\377a");
        assert_eq!(escape("é".as_bytes()), "é");
    }
}
