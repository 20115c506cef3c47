//! Conversion of a [`Module`] to `prost_types` descriptors (`FileDescriptorSet`), as protoc would emit them for
//! code generators, including `source_code_info` locations.
//!
//! Standard options go into the typed option fields. Options `prost_types` 0.14 has no field for (custom options,
//! `features.*`, newer standard options such as `retention`) are kept as `uninterpreted_option` entries, exactly as
//! written, so nothing is dropped. `prost_types` 0.14 predates editions (no `edition` or `features` fields): see
//! [`DescriptorFlavor`] for the two ways an editions file is written.

use prost_types::{
    DescriptorProto, EnumDescriptorProto, EnumOptions, EnumValueDescriptorProto, EnumValueOptions,
    ExtensionRangeOptions, FieldDescriptorProto, FieldOptions, FileDescriptorProto,
    FileDescriptorSet, FileOptions, MessageOptions, MethodDescriptorProto, MethodOptions,
    OneofDescriptorProto, OneofOptions, ServiceDescriptorProto, ServiceOptions, SourceCodeInfo,
    UninterpretedOption, descriptor_proto, source_code_info::Location,
    uninterpreted_option::NamePart,
};

use super::ast::{ValueAst, ValueKind};
use super::features::RepeatedFieldEncoding;
use super::model::*;
use crate::span::Span;

impl Module {
    /// Every file of the module (dependencies first), as protoc's `--include_imports` descriptor set
    /// ([`DescriptorFlavor::Faithful`]).
    pub fn to_file_descriptor_set(&self) -> FileDescriptorSet {
        self.to_file_descriptor_set_as(DescriptorFlavor::Faithful)
    }

    /// Every file of the module (dependencies first) in the given flavor.
    pub fn to_file_descriptor_set_as(&self, flavor: DescriptorFlavor) -> FileDescriptorSet {
        FileDescriptorSet {
            file: self
                .files
                .iter()
                .map(|f| self.file_descriptor_proto_as(f.id, flavor))
                .collect(),
        }
    }

    /// The descriptor set in protobuf binary form (what `protoc --descriptor_set_out --include_imports` writes).
    /// Unlike the `prost_types` value, it carries `FileDescriptorProto.edition` (field 14) for editions files in the
    /// faithful flavor, which prost-types 0.14 has no field for.
    pub fn encode_file_descriptor_set(&self, flavor: DescriptorFlavor) -> Vec<u8> {
        use prost::Message as _;
        use prost::encoding::{WireType, encode_key, encode_varint};
        let mut out = Vec::new();
        for f in &self.files {
            let mut bytes = self.file_descriptor_proto_as(f.id, flavor).encode_to_vec();
            if let (DescriptorFlavor::Faithful, Syntax::Editions(e)) = (flavor, f.syntax) {
                encode_key(14, WireType::Varint, &mut bytes);
                encode_varint(e.number() as u64, &mut bytes);
            }
            encode_key(1, WireType::LengthDelimited, &mut out);
            encode_varint(bytes.len() as u64, &mut out);
            out.extend_from_slice(&bytes);
        }
        out
    }

    /// One file as a `FileDescriptorProto` (with `source_code_info`), as protoc writes it.
    pub fn file_descriptor_proto(&self, id: FileId) -> FileDescriptorProto {
        self.file_descriptor_proto_as(id, DescriptorFlavor::Faithful)
    }

    /// One file as a `FileDescriptorProto` (with `source_code_info`) in the given flavor.
    pub fn file_descriptor_proto_as(
        &self,
        id: FileId,
        flavor: DescriptorFlavor,
    ) -> FileDescriptorProto {
        let f = self.file(id);
        let lower =
            flavor == DescriptorFlavor::PreEditions && matches!(f.syntax, Syntax::Editions(_));
        let mut cx = Cx {
            module: self,
            file: f,
            locations: Vec::new(),
            path: Vec::new(),
            lower,
        };
        cx.loc(Span::new(0, f.text.len()));
        let mut out = FileDescriptorProto {
            name: Some(f.path.clone()),
            package: f.package.clone(),
            // `import option` files go to `option_dependency`, which prost-types 0.14 does not have.
            dependency: f
                .dependencies
                .iter()
                .filter(|d| d.kind != ImportKind::Option)
                .map(|d| d.path.clone())
                .collect(),
            public_dependency: index_of(&f.dependencies, ImportKind::Public),
            weak_dependency: index_of(&f.dependencies, ImportKind::Weak),
            // Recorded as written: a file without a `syntax` statement has none.
            syntax: f
                .syntax_span
                .and(f.syntax.descriptor_syntax())
                .map(str::to_string),
            ..Default::default()
        };
        for (i, &m) in f.messages.iter().enumerate() {
            out.message_type
                .push(cx.with(&[4, i as i32], |cx| cx.message(m)));
        }
        for (i, &e) in f.enums.iter().enumerate() {
            out.enum_type
                .push(cx.with(&[5, i as i32], |cx| cx.enum_(e)));
        }
        for (i, &s) in f.services.iter().enumerate() {
            out.service
                .push(cx.with(&[6, i as i32], |cx| cx.service(s)));
        }
        for (i, &x) in f.extensions.iter().enumerate() {
            out.extension
                .push(cx.with(&[7, i as i32], |cx| cx.field(self.extension(x))));
        }
        out.options = file_options(&f.options);
        out.source_code_info = Some(SourceCodeInfo {
            location: cx.locations,
        });
        if lower {
            out.syntax = Some("proto2".to_string());
            strip_features(&mut out);
        }
        out
    }
}

/// How editions files are written into descriptors that predate editions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DescriptorFlavor {
    /// As protoc writes them: `syntax = "editions"`, labels and types as declared (`LEGACY_REQUIRED` fields stay
    /// `LABEL_OPTIONAL`, `DELIMITED` ones `TYPE_MESSAGE`), and the `features.*` options as uninterpreted options.
    #[default]
    Faithful,
    /// For code generators that do not know editions (prost-build 0.14 panics on `syntax = "editions"`): an
    /// editions file becomes a proto2 file whose descriptors carry its resolved features: `LEGACY_REQUIRED` →
    /// `LABEL_REQUIRED`, `DELIMITED` → `TYPE_GROUP`, packed encoding → `packed = true`, `features.*` options removed.
    /// Implicit-presence fields become proto2 optional fields (same wire format; generated code tracks presence).
    /// proto2 and proto3 files are written as in `Faithful`.
    PreEditions,
}

/// Removes the `features.*` uninterpreted options (and options messages left empty) from a file.
fn strip_features(fd: &mut FileDescriptorProto) {
    fn keep(u: &UninterpretedOption) -> bool {
        !u.name
            .first()
            .is_some_and(|p| !p.is_extension && p.name_part == "features")
    }
    fn clean<T: Default + PartialEq>(
        o: &mut Option<T>,
        list: impl FnOnce(&mut T) -> &mut Vec<UninterpretedOption>,
    ) {
        if let Some(v) = o {
            list(v).retain(keep);
            if *v == T::default() {
                *o = None;
            }
        }
    }
    fn field(f: &mut FieldDescriptorProto) {
        clean(&mut f.options, |o| &mut o.uninterpreted_option);
    }
    fn enum_(e: &mut EnumDescriptorProto) {
        clean(&mut e.options, |o| &mut o.uninterpreted_option);
        for v in &mut e.value {
            clean(&mut v.options, |o| &mut o.uninterpreted_option);
        }
    }
    fn message(m: &mut DescriptorProto) {
        clean(&mut m.options, |o| &mut o.uninterpreted_option);
        m.field.iter_mut().for_each(field);
        m.extension.iter_mut().for_each(field);
        m.nested_type.iter_mut().for_each(message);
        m.enum_type.iter_mut().for_each(enum_);
        for o in &mut m.oneof_decl {
            clean(&mut o.options, |o| &mut o.uninterpreted_option);
        }
    }
    clean(&mut fd.options, |o| &mut o.uninterpreted_option);
    fd.message_type.iter_mut().for_each(message);
    fd.enum_type.iter_mut().for_each(enum_);
    fd.extension.iter_mut().for_each(field);
    for s in &mut fd.service {
        clean(&mut s.options, |o| &mut o.uninterpreted_option);
        for m in &mut s.method {
            clean(&mut m.options, |o| &mut o.uninterpreted_option);
        }
    }
}

fn index_of(deps: &[Dependency], kind: ImportKind) -> Vec<i32> {
    deps.iter()
        .filter(|d| d.kind != ImportKind::Option)
        .enumerate()
        .filter(|(_, d)| d.kind == kind)
        .map(|(i, _)| i as i32)
        .collect()
}

struct Cx<'m> {
    module: &'m Module,
    file: &'m File,
    locations: Vec<Location>,
    path: Vec<i32>,
    /// Lower an editions file for pre-editions generators (see [`DescriptorFlavor::PreEditions`]).
    lower: bool,
}

impl Cx<'_> {
    fn with<T>(&mut self, path: &[i32], f: impl FnOnce(&mut Self) -> T) -> T {
        let n = self.path.len();
        self.path.extend_from_slice(path);
        let r = f(self);
        self.path.truncate(n);
        r
    }

    /// Records a location for the current path (0-based line/column, three numbers when on one line).
    fn loc(&mut self, span: Span) {
        self.loc_commented(span, None, None);
    }

    fn loc_commented(&mut self, span: Span, comment: Option<&str>, trailing: Option<&str>) {
        let a = self.file.line_col(span.start);
        let b = self.file.line_col(span.end);
        let (l1, c1, l2, c2) = (
            a.line as i32 - 1,
            a.column as i32 - 1,
            b.line as i32 - 1,
            b.column as i32 - 1,
        );
        let span = if l1 == l2 {
            vec![l1, c1, c2]
        } else {
            vec![l1, c1, l2, c2]
        };
        self.locations.push(Location {
            path: self.path.clone(),
            span,
            leading_comments: comment.map(str::to_string),
            trailing_comments: trailing.map(str::to_string),
            ..Default::default()
        });
    }

    fn message(&mut self, id: MessageId) -> DescriptorProto {
        let m = self.module.message(id);
        self.loc_commented(m.span, m.comment.as_deref(), m.trailing_comment.as_deref());
        let mut out = DescriptorProto {
            name: Some(m.name.clone()),
            ..Default::default()
        };
        for (i, f) in m.fields.iter().enumerate() {
            out.field.push(self.with(&[2, i as i32], |cx| cx.field(f)));
        }
        for (i, &n) in m.messages.iter().enumerate() {
            out.nested_type
                .push(self.with(&[3, i as i32], |cx| cx.message(n)));
        }
        for (i, &e) in m.enums.iter().enumerate() {
            out.enum_type
                .push(self.with(&[4, i as i32], |cx| cx.enum_(e)));
        }
        for (i, r) in m.extension_ranges.iter().enumerate() {
            self.with(&[5, i as i32], |cx| cx.loc(r.range.span));
            out.extension_range.push(descriptor_proto::ExtensionRange {
                start: Some(r.range.start),
                end: Some(r.range.end.saturating_add(1)),
                options: ext_range_options(&r.options),
            });
        }
        for (i, &x) in m.extensions.iter().enumerate() {
            out.extension
                .push(self.with(&[6, i as i32], |cx| cx.field(self.module.extension(x))));
        }
        let mut options = MessageOptions::default();
        let mut any = false;
        for o in &m.options {
            any = true;
            match (simple(o), &o.value.kind) {
                (Some("message_set_wire_format"), _) => {
                    options.message_set_wire_format = boolean(&o.value)
                }
                (Some("no_standard_descriptor_accessor"), _) => {
                    options.no_standard_descriptor_accessor = boolean(&o.value)
                }
                (Some("deprecated"), _) => options.deprecated = boolean(&o.value),
                (Some("map_entry"), _) => options.map_entry = boolean(&o.value),
                _ => options.uninterpreted_option.push(uninterpreted(o)),
            }
        }
        if m.map_entry {
            options.map_entry = Some(true);
            any = true;
        }
        out.options = any.then_some(options);
        for (i, o) in m.oneofs.iter().enumerate() {
            self.with(&[8, i as i32], |cx| cx.loc(o.span));
            out.oneof_decl.push(OneofDescriptorProto {
                name: Some(o.name.clone()),
                options: (!o.options.is_empty()).then(|| OneofOptions {
                    uninterpreted_option: o.options.iter().map(uninterpreted).collect(),
                }),
            });
        }
        for (i, r) in m.reserved_ranges.iter().enumerate() {
            self.with(&[9, i as i32], |cx| cx.loc(r.span));
            out.reserved_range.push(descriptor_proto::ReservedRange {
                start: Some(r.start),
                end: Some(r.end.saturating_add(1)),
            });
        }
        for (i, r) in m.reserved_names.iter().enumerate() {
            self.with(&[10, i as i32], |cx| cx.loc(r.span));
            out.reserved_name.push(r.name.clone());
        }
        out
    }

    fn field(&mut self, f: &Field) -> FieldDescriptorProto {
        self.loc_commented(f.span, f.comment.as_deref(), f.trailing_comment.as_deref());
        let editions = matches!(self.file.syntax, Syntax::Editions(_));
        let ty = if self.lower && f.is_delimited() {
            10
        } else {
            f.ty.descriptor_type()
        };
        let label = match f.label {
            // protoc keeps editions' LEGACY_REQUIRED fields optional in descriptors (the feature says it).
            Label::Required if editions && !self.lower => 1,
            Label::Optional => 1,
            Label::Required => 2,
            Label::Repeated => 3,
        };
        let mut options = FieldOptions::default();
        let mut any = false;
        for o in &f.options {
            any = true;
            match simple(o) {
                Some("ctype") => {
                    options.ctype = enum_number(&o.value, &["STRING", "CORD", "STRING_PIECE"])
                }
                Some("packed") => options.packed = boolean(&o.value),
                Some("jstype") => {
                    options.jstype = enum_number(&o.value, &["JS_NORMAL", "JS_STRING", "JS_NUMBER"])
                }
                Some("lazy") => options.lazy = boolean(&o.value),
                Some("deprecated") => options.deprecated = boolean(&o.value),
                Some("weak") => options.weak = boolean(&o.value),
                _ => options.uninterpreted_option.push(uninterpreted(o)),
            }
        }
        if self.lower
            && f.is_repeated()
            && f.ty.is_packable()
            && f.features.repeated_field_encoding == RepeatedFieldEncoding::Packed
        {
            options.packed = Some(true);
            any = true;
        }
        FieldDescriptorProto {
            name: Some(f.name.clone()),
            number: Some(f.number),
            label: Some(label),
            r#type: Some(ty),
            type_name: self.module.type_name(f.ty),
            extendee: f
                .extendee
                .map(|m| format!(".{}", self.module.message(m).full_name)),
            default_value: f.default_value.clone(),
            oneof_index: f.oneof_index.map(|i| i as i32),
            json_name: Some(f.json_name.clone()),
            options: any.then_some(options),
            proto3_optional: f.proto3_optional.then_some(true),
        }
    }

    fn enum_(&mut self, id: EnumId) -> EnumDescriptorProto {
        let e = self.module.enum_(id);
        self.loc_commented(e.span, e.comment.as_deref(), e.trailing_comment.as_deref());
        let mut out = EnumDescriptorProto {
            name: Some(e.name.clone()),
            ..Default::default()
        };
        for (i, v) in e.values.iter().enumerate() {
            self.with(&[2, i as i32], |cx| {
                cx.loc_commented(v.span, v.comment.as_deref(), v.trailing_comment.as_deref())
            });
            let mut options = EnumValueOptions::default();
            for o in &v.options {
                match simple(o) {
                    Some("deprecated") => options.deprecated = boolean(&o.value),
                    _ => options.uninterpreted_option.push(uninterpreted(o)),
                }
            }
            out.value.push(EnumValueDescriptorProto {
                name: Some(v.name.clone()),
                number: Some(v.number),
                options: (!v.options.is_empty()).then_some(options),
            });
        }
        let mut options = EnumOptions::default();
        for o in &e.options {
            match simple(o) {
                Some("allow_alias") => options.allow_alias = boolean(&o.value),
                Some("deprecated") => options.deprecated = boolean(&o.value),
                _ => options.uninterpreted_option.push(uninterpreted(o)),
            }
        }
        out.options = (!e.options.is_empty()).then_some(options);
        for (i, r) in e.reserved_ranges.iter().enumerate() {
            self.with(&[4, i as i32], |cx| cx.loc(r.span));
            // Enum reserved ranges are inclusive in descriptors.
            out.reserved_range
                .push(prost_types::enum_descriptor_proto::EnumReservedRange {
                    start: Some(r.start),
                    end: Some(r.end),
                });
        }
        for (i, r) in e.reserved_names.iter().enumerate() {
            self.with(&[5, i as i32], |cx| cx.loc(r.span));
            out.reserved_name.push(r.name.clone());
        }
        out
    }

    fn service(&mut self, id: ServiceId) -> ServiceDescriptorProto {
        let s = self.module.service(id);
        self.loc_commented(s.span, s.comment.as_deref(), s.trailing_comment.as_deref());
        let mut out = ServiceDescriptorProto {
            name: Some(s.name.clone()),
            ..Default::default()
        };
        for (i, m) in s.methods.iter().enumerate() {
            self.with(&[2, i as i32], |cx| {
                cx.loc_commented(m.span, m.comment.as_deref(), m.trailing_comment.as_deref())
            });
            let mut options = MethodOptions::default();
            for o in &m.options {
                match simple(o) {
                    Some("deprecated") => options.deprecated = boolean(&o.value),
                    Some("idempotency_level") => {
                        options.idempotency_level = enum_number(
                            &o.value,
                            &["IDEMPOTENCY_UNKNOWN", "NO_SIDE_EFFECTS", "IDEMPOTENT"],
                        )
                    }
                    _ => options.uninterpreted_option.push(uninterpreted(o)),
                }
            }
            out.method.push(MethodDescriptorProto {
                name: Some(m.name.clone()),
                input_type: Some(format!(".{}", self.module.message(m.input).full_name)),
                output_type: Some(format!(".{}", self.module.message(m.output).full_name)),
                options: (!m.options.is_empty()).then_some(options),
                client_streaming: m.client_streaming.then_some(true),
                server_streaming: m.server_streaming.then_some(true),
            });
        }
        let mut options = ServiceOptions::default();
        for o in &s.options {
            match simple(o) {
                Some("deprecated") => options.deprecated = boolean(&o.value),
                _ => options.uninterpreted_option.push(uninterpreted(o)),
            }
        }
        out.options = (!s.options.is_empty()).then_some(options);
        out
    }
}

#[allow(deprecated)] // `java_generate_equals_and_hash` is deprecated but still a field: keep it.
fn file_options(opts: &[OptionSetting]) -> Option<FileOptions> {
    if opts.is_empty() {
        return None;
    }
    let mut o = FileOptions::default();
    for s in opts {
        let v = &s.value;
        match simple(s) {
            Some("java_package") => o.java_package = string(v),
            Some("java_outer_classname") => o.java_outer_classname = string(v),
            Some("java_multiple_files") => o.java_multiple_files = boolean(v),
            Some("java_generate_equals_and_hash") => o.java_generate_equals_and_hash = boolean(v),
            Some("java_string_check_utf8") => o.java_string_check_utf8 = boolean(v),
            Some("optimize_for") => {
                o.optimize_for = enum_number(v, &["", "SPEED", "CODE_SIZE", "LITE_RUNTIME"])
            }
            Some("go_package") => o.go_package = string(v),
            Some("cc_generic_services") => o.cc_generic_services = boolean(v),
            Some("java_generic_services") => o.java_generic_services = boolean(v),
            Some("py_generic_services") => o.py_generic_services = boolean(v),
            Some("php_generic_services") => o.php_generic_services = boolean(v),
            Some("deprecated") => o.deprecated = boolean(v),
            Some("cc_enable_arenas") => o.cc_enable_arenas = boolean(v),
            Some("objc_class_prefix") => o.objc_class_prefix = string(v),
            Some("csharp_namespace") => o.csharp_namespace = string(v),
            Some("swift_prefix") => o.swift_prefix = string(v),
            Some("php_class_prefix") => o.php_class_prefix = string(v),
            Some("php_namespace") => o.php_namespace = string(v),
            Some("php_metadata_namespace") => o.php_metadata_namespace = string(v),
            Some("ruby_package") => o.ruby_package = string(v),
            _ => o.uninterpreted_option.push(uninterpreted(s)),
        }
    }
    Some(o)
}

fn ext_range_options(opts: &[OptionSetting]) -> Option<ExtensionRangeOptions> {
    (!opts.is_empty()).then(|| ExtensionRangeOptions {
        uninterpreted_option: opts.iter().map(uninterpreted).collect(),
    })
}

fn simple(o: &OptionSetting) -> Option<&str> {
    (o.name.len() == 1 && !o.name[0].is_extension).then(|| o.name[0].name.as_str())
}

fn boolean(v: &ValueAst) -> Option<bool> {
    match &v.kind {
        ValueKind::Ident {
            negative: false,
            name,
        } if name == "true" => Some(true),
        ValueKind::Ident {
            negative: false,
            name,
        } if name == "false" => Some(false),
        _ => None,
    }
}

fn string(v: &ValueAst) -> Option<String> {
    match &v.kind {
        ValueKind::Str(s) => Some(String::from_utf8_lossy(s).into_owned()),
        _ => None,
    }
}

fn enum_number(v: &ValueAst, names: &[&str]) -> Option<i32> {
    match &v.kind {
        ValueKind::Ident {
            negative: false,
            name,
        } => names.iter().position(|n| n == name).map(|i| i as i32),
        _ => None,
    }
}

/// An option as protoc's parser records it before interpretation.
fn uninterpreted(o: &OptionSetting) -> UninterpretedOption {
    let mut u = UninterpretedOption {
        name: o
            .name
            .iter()
            .map(|p| NamePart {
                name_part: p.name.clone(),
                is_extension: p.is_extension,
            })
            .collect(),
        ..Default::default()
    };
    match &o.value.kind {
        ValueKind::Ident {
            negative: false,
            name,
        } => u.identifier_value = Some(name.clone()),
        ValueKind::Ident {
            negative: true,
            name,
        } => {
            u.double_value = Some(if name.eq_ignore_ascii_case("nan") {
                f64::NAN
            } else {
                f64::NEG_INFINITY
            })
        }
        ValueKind::Int {
            negative: false,
            magnitude: Some(m),
        } => u.positive_int_value = Some(*m),
        ValueKind::Int {
            negative: true,
            magnitude: Some(m),
        } => match i64::try_from(*m) {
            Ok(m) => u.negative_int_value = Some(-m),
            Err(_) if *m == 1u64 << 63 => u.negative_int_value = Some(i64::MIN),
            Err(_) => u.double_value = Some(-(*m as f64)),
        },
        ValueKind::Int {
            negative,
            magnitude: None,
        } => {
            u.double_value = Some(if *negative {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            })
        }
        ValueKind::Float(f) => u.double_value = Some(*f),
        ValueKind::Str(s) => u.string_value = Some(s.clone()),
        ValueKind::Aggregate(_) | ValueKind::List(_) => {
            u.aggregate_value = Some(aggregate_text(&o.value))
        }
    }
    u
}

/// The text of an aggregate value between its braces, tokens separated by single spaces (as protoc writes it).
fn aggregate_text(v: &ValueAst) -> String {
    fn value(v: &ValueAst, out: &mut Vec<String>) {
        match &v.kind {
            ValueKind::Ident { negative, name } => {
                out.push(format!("{}{name}", if *negative { "-" } else { "" }))
            }
            ValueKind::Int {
                negative,
                magnitude,
            } => out.push(format!(
                "{}{}",
                if *negative { "-" } else { "" },
                magnitude.map_or("18446744073709551616".to_string(), |m| m.to_string())
            )),
            ValueKind::Float(f) => out.push(super::values::format_double(*f)),
            ValueKind::Str(s) => out.push(format!("\"{}\"", super::values::c_escape(s))),
            ValueKind::Aggregate(fields) => {
                out.push("{".to_string());
                fields_text(fields, out);
                out.push("}".to_string());
            }
            ValueKind::List(items) => {
                out.push("[".to_string());
                for (i, it) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(",".to_string());
                    }
                    value(it, out);
                }
                out.push("]".to_string());
            }
        }
    }
    fn fields_text(fields: &[super::ast::AggregateField], out: &mut Vec<String>) {
        for f in fields {
            if f.is_extension {
                out.push(format!("[ {} ]", f.name));
            } else {
                out.push(f.name.clone());
            }
            if !matches!(f.value.kind, ValueKind::Aggregate(_)) {
                out.push(":".to_string());
            }
            value(&f.value, out);
        }
    }
    let mut out = Vec::new();
    match &v.kind {
        ValueKind::Aggregate(fields) => fields_text(fields, &mut out),
        _ => value(v, &mut out),
    }
    out.join(" ")
}
