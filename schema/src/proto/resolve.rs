//! Building the [`Module`] from parsed files: symbol declaration (with duplicate checks), name resolution with
//! protoc's scoping rules, editions feature resolution, field/enum validation and custom-option resolution.

use std::rc::Rc;

use super::ast::{
    self, FieldAst, FieldTypeAst, LabelAst, MessageAst, OptionAst, SyntaxDecl, ValueAst, ValueKind,
};
use super::diag::{Diagnostic, DiagnosticKind, make};
use super::fasthash::{FastMap, FastSet as HashSet};

type HashMap<K, V> = FastMap<K, V>;
use super::features::{Features, FieldPresence, MessageEncoding, RepeatedFieldEncoding};
use super::load::Loaded;
use super::model::*;
use super::values;
use crate::span::Span;

/// Highest field number.
const MAX_FIELD_NUMBER: i64 = 536_870_911;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Slot {
    Field(MessageId, usize),
    Extension(ExtensionId),
}

#[derive(Debug)]
struct PendingType<'a> {
    slot: Slot,
    name: &'a ast::Ident,
    /// Shared by the fields of one message (one allocation per scope, not per field).
    scope: Rc<str>,
    file: FileId,
}

/// Which options message an option list belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OptionsKind {
    File,
    Message,
    Field,
    Oneof,
    Enum,
    EnumValue,
    Service,
    Method,
    ExtensionRange,
}

impl OptionsKind {
    fn message_name(self) -> &'static str {
        match self {
            OptionsKind::File => "google.protobuf.FileOptions",
            OptionsKind::Message => "google.protobuf.MessageOptions",
            OptionsKind::Field => "google.protobuf.FieldOptions",
            OptionsKind::Oneof => "google.protobuf.OneofOptions",
            OptionsKind::Enum => "google.protobuf.EnumOptions",
            OptionsKind::EnumValue => "google.protobuf.EnumValueOptions",
            OptionsKind::Service => "google.protobuf.ServiceOptions",
            OptionsKind::Method => "google.protobuf.MethodOptions",
            OptionsKind::ExtensionRange => "google.protobuf.ExtensionRangeOptions",
        }
    }

    /// The standard (non-extension) options of this kind, as in descriptor.proto.
    fn standard(self) -> &'static [&'static str] {
        match self {
            OptionsKind::File => &[
                "java_package",
                "java_outer_classname",
                "java_multiple_files",
                "java_generate_equals_and_hash",
                "java_string_check_utf8",
                "optimize_for",
                "go_package",
                "cc_generic_services",
                "java_generic_services",
                "py_generic_services",
                "php_generic_services",
                "deprecated",
                "cc_enable_arenas",
                "objc_class_prefix",
                "csharp_namespace",
                "swift_prefix",
                "php_class_prefix",
                "php_namespace",
                "php_metadata_namespace",
                "ruby_package",
                "features",
            ],
            OptionsKind::Message => &[
                "message_set_wire_format",
                "no_standard_descriptor_accessor",
                "deprecated",
                "map_entry",
                "deprecated_legacy_json_field_conflicts",
                "features",
            ],
            OptionsKind::Field => &[
                "ctype",
                "packed",
                "jstype",
                "lazy",
                "unverified_lazy",
                "deprecated",
                "weak",
                "debug_redact",
                "retention",
                "targets",
                "edition_defaults",
                "feature_support",
                "features",
            ],
            OptionsKind::Oneof | OptionsKind::ExtensionRange => {
                &["features", "declaration", "verification"]
            }
            OptionsKind::Enum => &[
                "allow_alias",
                "deprecated",
                "deprecated_legacy_json_field_conflicts",
                "features",
            ],
            OptionsKind::EnumValue => {
                &["deprecated", "features", "debug_redact", "feature_support"]
            }
            OptionsKind::Service => &["deprecated", "features"],
            OptionsKind::Method => &["deprecated", "idempotency_level", "features"],
        }
    }
}

#[derive(Debug)]
struct PendingOptions {
    kind: OptionsKind,
    target: OptionTarget,
    scope: String,
    file: FileId,
}

#[derive(Debug, Clone, Copy)]
enum OptionTarget {
    File(FileId),
    Message(MessageId),
    Field(Slot),
    Oneof(MessageId, usize),
    Enum(EnumId),
    EnumValue(EnumId, usize),
    Service(ServiceId),
    Method(ServiceId, usize),
    ExtensionRange(MessageId, usize),
}

pub(crate) struct Builder<'a> {
    loaded: &'a [Loaded],
    files: Vec<File>,
    messages: Vec<Message>,
    enums: Vec<Enum>,
    services: Vec<Service>,
    extensions: Vec<Field>,
    symbols: FastMap<String, SymbolEntry>,
    visible: Vec<HashSet<FileId>>,
    pending_types: Vec<PendingType<'a>>,
    pending_extendees: Vec<(ExtensionId, &'a ast::Ident, String, FileId)>,
    pending_methods: Vec<(ServiceId, usize, &'a ast::RpcAst, String)>,
    pending_defaults: Vec<(Slot, &'a ValueAst, FileId)>,
    pending_options: Vec<PendingOptions>,
    /// Fields whose features need the resolved type (legacy inference and editions checks).
    all_slots: Vec<(Slot, &'a FieldAst)>,
    pub errors: Vec<Diagnostic>,
    /// Fields whose type could not be resolved (reported once; later checks skip them).
    unresolved: HashSet<Slot>,
    /// The scope of the last pending type, reused while the fields of one message are declared.
    last_scope: Option<Rc<str>>,
}

fn join(scope: &str, name: &str) -> String {
    if scope.is_empty() {
        name.to_string()
    } else {
        let mut s = String::with_capacity(scope.len() + 1 + name.len());
        s.push_str(scope);
        s.push('.');
        s.push_str(name);
        s
    }
}

/// protoc's `ToJsonName`: drop underscores and capitalise the letter after each.
pub(crate) fn json_name(name: &str) -> String {
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

/// protoc's map entry name: `my_map` → `MyMapEntry`.
fn map_entry_name(field: &str) -> String {
    let mut out = String::new();
    let mut upper = true;
    for c in field.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out.push_str("Entry");
    out
}

impl<'a> Builder<'a> {
    pub fn new(loaded: &'a [Loaded]) -> Self {
        Builder {
            loaded,
            files: vec![],
            messages: vec![],
            enums: vec![],
            services: vec![],
            extensions: vec![],
            symbols: FastMap::default(),
            visible: vec![],
            pending_types: vec![],
            pending_extendees: vec![],
            pending_methods: vec![],
            pending_defaults: vec![],
            pending_options: vec![],
            all_slots: vec![],
            errors: vec![],
            unresolved: HashSet::default(),
            last_scope: None,
        }
    }

    fn err(&mut self, kind: DiagnosticKind, file: FileId, span: Span, msg: impl Into<String>) {
        let l = &self.loaded[file.index()];
        self.errors
            .push(make(kind, &l.path, &l.text, &l.index, span, msg.into()));
    }

    fn syntax(&self, file: FileId) -> Syntax {
        self.files[file.index()].syntax
    }

    pub fn build(mut self, entry: Vec<usize>) -> Result<Module, Vec<Diagnostic>> {
        let (messages, fields) = self
            .loaded
            .iter()
            .map(|l| count(&l.ast))
            .fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
        // Top-level enums, services and their members are symbols too; sizing the table once avoids rehashing it.
        let others: usize = self
            .loaded
            .iter()
            .map(|l| {
                l.ast
                    .enums
                    .iter()
                    .map(|e| e.values.len() + 1)
                    .sum::<usize>()
                    + l.ast
                        .services
                        .iter()
                        .map(|s| s.rpcs.len() + 1)
                        .sum::<usize>()
                    + l.ast.extends.iter().map(|e| e.fields.len()).sum::<usize>()
                    + 4
            })
            .sum();
        self.messages.reserve(messages);
        self.symbols.reserve(messages + fields + others);
        self.all_slots.reserve(fields);
        for l in self.loaded {
            self.errors.extend(l.soft_errors.iter().cloned());
        }
        self.compute_visibility();
        for i in 0..self.loaded.len() {
            self.declare_file(i);
        }
        self.resolve_types();
        self.finish_fields();
        self.validate_messages();
        self.resolve_options();
        if !self.errors.is_empty() {
            return Err(self.errors);
        }
        Ok(Module {
            files: self.files,
            messages: self.messages,
            enums: self.enums,
            services: self.services,
            extensions: self.extensions,
            symbols: self.symbols,
            entry: entry.into_iter().map(|i| FileId(i as u32)).collect(),
        })
    }

    fn compute_visibility(&mut self) {
        // exports[f]: files whose symbols a file importing f sees through f's `import public` chains.
        let mut exports: Vec<HashSet<FileId>> = Vec::with_capacity(self.loaded.len());
        for l in self.loaded {
            let mut ex = HashSet::default();
            for (imp, &d) in l.ast.imports.iter().zip(&l.deps) {
                if d != usize::MAX && imp.kind == ast::ImportKind::Public {
                    ex.insert(FileId(d as u32));
                    ex.extend(exports[d].iter().copied());
                }
            }
            exports.push(ex);
        }
        for (i, l) in self.loaded.iter().enumerate() {
            let mut vis = HashSet::from_iter([FileId(i as u32)]);
            for &d in l.deps.iter().filter(|&&d| d != usize::MAX) {
                vis.insert(FileId(d as u32));
                vis.extend(exports[d].iter().copied());
            }
            self.visible.push(vis);
        }
    }

    fn define(&mut self, full: String, symbol: Symbol, file: FileId, span: Span) {
        // One hash and probe: insert when vacant, else report the clash.
        let (prev, full) = match self.symbols.entry(full) {
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(SymbolEntry {
                    symbol,
                    file: Some(file),
                });
                return;
            }
            std::collections::hash_map::Entry::Occupied(o) => (*o.get(), o.key().clone()),
        };
        let where_ = match prev.file {
            Some(f) if f == file => "in this file".to_string(),
            Some(f) => format!("in {}", self.loaded[f.index()].path),
            None => "as a package".to_string(),
        };
        let enum_value = |s: Symbol| matches!(s, Symbol::EnumValue(..));
        let hint = if enum_value(symbol) || enum_value(prev.symbol) {
            " (enum values are scoped like their enum, as in C++, so they must be unique beside it)"
        } else {
            ""
        };
        let msg = format!("`{full}` is already defined {where_}{hint}");
        self.err(DiagnosticKind::Resolve, file, span, msg);
    }

    fn define_package(&mut self, package: &str, file: FileId, span: Span) {
        let mut acc = String::new();
        for part in package.split('.') {
            if !acc.is_empty() {
                acc.push('.');
            }
            acc.push_str(part);
            match self.symbols.get(&acc) {
                None => {
                    self.symbols.insert(
                        acc.clone(),
                        SymbolEntry {
                            symbol: Symbol::Package,
                            file: None,
                        },
                    );
                }
                Some(e) if e.symbol == Symbol::Package => {}
                Some(_) => {
                    let msg = format!("package `{package}` clashes with the type `{acc}`");
                    self.err(DiagnosticKind::Resolve, file, span, msg);
                }
            }
        }
    }

    /// Applies the `features.*` options of `opts` to `base`.
    fn features(&mut self, file: FileId, base: Features, opts: &[OptionAst]) -> Features {
        let mut f = base;
        for o in opts {
            if o.name
                .first()
                .is_some_and(|p| !p.is_extension && p.name == "features")
            {
                if !matches!(self.syntax(file), Syntax::Editions(_)) {
                    self.err(
                        DiagnosticKind::Validate,
                        file,
                        o.span,
                        "features are only allowed in editions files (`edition = \"2023\";`)",
                    );
                    continue;
                }
                match o.name.get(1) {
                    Some(p) if !p.is_extension && o.name.len() == 2 => {
                        if let Err(m) = f.set(&p.name, &o.value) {
                            self.err(DiagnosticKind::Validate, file, o.span, m);
                        }
                    }
                    Some(p) if p.is_extension => {} // language features, resolved with custom options
                    _ => self.err(
                        DiagnosticKind::Validate,
                        file,
                        o.span,
                        "`features` needs a feature name",
                    ),
                }
            }
        }
        f
    }

    fn settings(opts: &[OptionAst]) -> Vec<OptionSetting> {
        opts.iter()
            .map(|o| OptionSetting {
                name: o.name.clone(),
                value: o.value.clone(),
                span: o.span,
                extension: None,
            })
            .collect()
    }

    fn queue_options(&mut self, kind: OptionsKind, target: OptionTarget, file: FileId) {
        // The scope is filled in when the options are resolved (most elements have none).
        self.pending_options.push(PendingOptions {
            kind,
            target,
            scope: String::new(),
            file,
        });
    }

    // ------------------------------------------------------------- declare

    fn declare_file(&mut self, i: usize) {
        let l: &'a Loaded = &self.loaded[i];
        let fid = FileId(i as u32);
        let syntax = match &l.ast.syntax {
            Some(SyntaxDecl::Syntax(s)) if s.text == "proto3" => Syntax::Proto3,
            Some(SyntaxDecl::Edition(e)) if e.text == "2024" => Syntax::Editions(Edition::E2024),
            Some(SyntaxDecl::Edition(_)) => Syntax::Editions(Edition::E2023),
            _ => Syntax::Proto2,
        };
        let package = l.ast.package.as_ref().map(|p| p.text.clone());
        let dependencies = l
            .ast
            .imports
            .iter()
            .zip(&l.deps)
            .filter(|(_, d)| **d != usize::MAX)
            .map(|(imp, &d)| Dependency {
                path: imp.path.text.clone(),
                kind: match imp.kind {
                    ast::ImportKind::Default => ImportKind::Default,
                    ast::ImportKind::Public => ImportKind::Public,
                    ast::ImportKind::Weak => ImportKind::Weak,
                    ast::ImportKind::Option => ImportKind::Option,
                },
                file: FileId(d as u32),
                span: imp.span,
            })
            .collect();
        self.files.push(File {
            id: fid,
            path: l.path.clone(),
            package: package.clone(),
            package_span: l.ast.package.as_ref().map(|p| p.span),
            package_statement_span: l.ast.package_statement_span,
            syntax,
            syntax_span: l.ast.syntax.as_ref().map(|s| match s {
                SyntaxDecl::Syntax(i) | SyntaxDecl::Edition(i) => i.span,
            }),
            dependencies,
            messages: vec![],
            enums: vec![],
            services: vec![],
            extensions: vec![],
            options: Self::settings(&l.ast.options),
            features: Features::defaults(syntax),
            builtin: l.builtin,
            text: l.text.clone(),
            line_index: l.index.clone(),
        });
        let features = self.features(fid, Features::defaults(syntax), &l.ast.options);
        self.files[i].features = features;
        let scope = package.clone().unwrap_or_default();
        self.queue_options(OptionsKind::File, OptionTarget::File(fid), fid);
        if let (Some(p), Some(pa)) = (&package, &l.ast.package) {
            self.define_package(p, fid, pa.span);
        }
        // Messages and the messages of groups in `extend` blocks, in declaration order.
        let mut tops: Vec<(u32, &'a MessageAst, bool)> = l
            .ast
            .messages
            .iter()
            .map(|m| (m.span.start, m, false))
            .collect();
        for ext in &l.ast.extends {
            for f in &ext.fields {
                if let FieldTypeAst::Group(body) = &f.ty {
                    tops.push((f.span.start, body, true));
                }
            }
        }
        tops.sort_by_key(|t| t.0);
        let mut groups: HashMap<u32, MessageId> = HashMap::default();
        for (start, m, group) in tops {
            let id = self.declare_message(fid, None, &scope, m, features, group);
            if group {
                groups.insert(start, id);
            }
            self.files[i].messages.push(id);
        }
        for e in &l.ast.enums {
            let id = self.declare_enum(fid, None, &scope, e, features);
            self.files[i].enums.push(id);
        }
        for s in &l.ast.services {
            let id = self.declare_service(fid, &scope, s, features);
            self.files[i].services.push(id);
        }
        for ext in &l.ast.extends {
            for f in &ext.fields {
                let group = groups.get(&f.span.start).copied();
                let id = self.declare_extension(fid, &scope, ext, f, features, group);
                self.files[i].extensions.push(id);
            }
        }
    }

    fn declare_message(
        &mut self,
        file: FileId,
        parent: Option<MessageId>,
        scope: &str,
        m: &'a MessageAst,
        inherited: Features,
        group: bool,
    ) -> MessageId {
        let id = MessageId(self.messages.len() as u32);
        let full = join(scope, &m.name.text);
        self.define(full.clone(), Symbol::Message(id), file, m.name.span);
        let features = self.features(file, inherited, &m.options);
        let exported = self.exported(file, m.visibility, parent.is_some(), m.name.span, true);
        self.messages.push(Message {
            exported,
            id,
            name: m.name.text.clone(),
            full_name: full.clone(),
            file,
            parent,
            fields: Vec::with_capacity(m.field_order.len()),
            oneofs: vec![],
            messages: vec![],
            enums: vec![],
            extensions: vec![],
            extension_ranges: vec![],
            reserved_ranges: vec![],
            reserved_names: vec![],
            options: Self::settings(&m.options),
            features,
            map_entry: false,
            group,
            visibility: m.visibility,
            span: m.span,
            name_span: m.name.span,
            comment: m.comment.clone(),
            trailing_comment: m.trailing_comment.clone(),
        });
        self.queue_options(OptionsKind::Message, OptionTarget::Message(id), file);
        let syntax = self.syntax(file);

        // Oneofs (real ones; synthetic ones are appended after the fields).
        let mut oneof_features = Vec::new();
        for (oi, o) in m.oneofs.iter().enumerate() {
            self.define(
                join(&full, &o.name.text),
                Symbol::Oneof(id, oi),
                file,
                o.name.span,
            );
            let of = self.features(file, features, &o.options);
            oneof_features.push(of);
            self.messages[id.index()].oneofs.push(Oneof {
                name: o.name.text.clone(),
                options: Self::settings(&o.options),
                synthetic: false,
                span: o.span,
                name_span: o.name.span,
            });
            self.queue_options(OptionsKind::Oneof, OptionTarget::Oneof(id, oi), file);
            if o.fields.is_empty() {
                self.err(
                    DiagnosticKind::Validate,
                    file,
                    o.name.span,
                    "a oneof must have at least one field",
                );
            }
        }

        // Nested types in declaration order: messages, groups and map entries.
        let mut nested: Vec<(u32, Nested<'a>)> = m
            .messages
            .iter()
            .map(|n| (n.span.start, Nested::Message(n)))
            .collect();
        for &(oneof, idx) in &m.field_order {
            let f = match oneof {
                Some(o) => &m.oneofs[o].fields[idx],
                None => &m.fields[idx],
            };
            match &f.ty {
                FieldTypeAst::Group(body) => nested.push((f.span.start, Nested::Group(body))),
                FieldTypeAst::Map { key, value } => {
                    nested.push((f.span.start, Nested::Map(f, key, value)))
                }
                FieldTypeAst::Named(_) => {}
            }
        }
        for ext in &m.extends {
            for f in &ext.fields {
                if let FieldTypeAst::Group(body) = &f.ty {
                    nested.push((f.span.start, Nested::Group(body)));
                }
            }
        }
        nested.sort_by_key(|(s, _)| *s);
        let mut synthesized: HashMap<u32, MessageId> = HashMap::default();
        for (start, n) in nested {
            let nid = match n {
                Nested::Message(n) => {
                    self.declare_message(file, Some(id), &full, n, features, false)
                }
                Nested::Group(body) => {
                    let nid = self.declare_message(file, Some(id), &full, body, features, true);
                    synthesized.insert(start, nid);
                    nid
                }
                Nested::Map(f, key, value) => {
                    let nid = self.declare_map_entry(file, id, &full, f, (key, value), features);
                    synthesized.insert(start, nid);
                    nid
                }
            };
            self.messages[id.index()].messages.push(nid);
        }

        // Fields in declaration order.
        for &(oneof, idx) in &m.field_order {
            let (f, base) = match oneof {
                Some(o) => (&m.oneofs[o].fields[idx], oneof_features[o]),
                None => (&m.fields[idx], features),
            };
            let index = self.messages[id.index()].fields.len();
            let slot = Slot::Field(id, index);
            let mut field = self.make_field(
                file,
                &full,
                f,
                base,
                syntax,
                slot,
                synthesized.get(&f.span.start).copied(),
            );
            field.oneof_index = oneof;
            self.define(
                field.full_name.clone(),
                Symbol::Field(id, index),
                file,
                f.name.span,
            );
            self.messages[id.index()].fields.push(field);
            self.queue_options(OptionsKind::Field, OptionTarget::Field(slot), file);
        }
        // Synthetic oneofs for proto3 `optional`, in field order, named as protoc names them.
        let mut taken: HashSet<String> = HashSet::default();
        for i in 0..self.messages[id.index()].fields.len() {
            if !self.messages[id.index()].fields[i].proto3_optional {
                continue;
            }
            let msg = &self.messages[id.index()];
            if taken.is_empty() {
                taken.extend(msg.fields.iter().map(|f| f.name.clone()));
                taken.extend(msg.oneofs.iter().map(|o| o.name.clone()));
            }
            let field_name = &msg.fields[i].name;
            let mut name = if field_name.starts_with('_') {
                field_name.clone()
            } else {
                format!("_{field_name}")
            };
            while taken.contains(&name) {
                name.insert(0, 'X');
            }
            taken.insert(name.clone());
            let (span, name_span) = (msg.fields[i].span, msg.fields[i].name_span);
            let msg = &mut self.messages[id.index()];
            msg.fields[i].oneof_index = Some(msg.oneofs.len());
            msg.oneofs.push(Oneof {
                name,
                options: vec![],
                synthetic: true,
                span,
                name_span,
            });
        }

        for e in &m.enums {
            let eid = self.declare_enum(file, Some(id), &full, e, features);
            self.messages[id.index()].enums.push(eid);
        }
        for ext in &m.extends {
            for f in &ext.fields {
                let group = synthesized.get(&f.span.start).copied();
                let xid = self.declare_extension(file, &full, ext, f, features, group);
                self.messages[id.index()].extensions.push(xid);
            }
        }
        for r in &m.reserved {
            for range in &r.ranges {
                let fr = self.field_range(file, range, true);
                self.messages[id.index()].reserved_ranges.push(fr);
            }
            for n in &r.names {
                self.messages[id.index()].reserved_names.push(Reserved {
                    name: n.text.clone(),
                    span: n.span,
                });
            }
        }
        for e in &m.extensions {
            for range in &e.ranges {
                let fr = self.field_range(file, range, true);
                let idx = self.messages[id.index()].extension_ranges.len();
                self.messages[id.index()]
                    .extension_ranges
                    .push(ExtensionRange {
                        range: fr,
                        options: Self::settings(&e.options),
                    });
                self.queue_options(
                    OptionsKind::ExtensionRange,
                    OptionTarget::ExtensionRange(id, idx),
                    file,
                );
            }
            if syntax == Syntax::Proto3 {
                self.err(
                    DiagnosticKind::Validate,
                    file,
                    e.span,
                    "extension ranges are not allowed in proto3",
                );
            }
        }
        id
    }

    fn field_range(&mut self, file: FileId, r: &ast::RangeAst, fields: bool) -> FieldRange {
        let max = if fields {
            MAX_FIELD_NUMBER
        } else {
            i64::from(i32::MAX)
        };
        let end = r.end.unwrap_or(max);
        if fields && (r.start < 1 || end > MAX_FIELD_NUMBER) {
            let msg = format!("field numbers must be between 1 and {MAX_FIELD_NUMBER}");
            self.err(DiagnosticKind::Validate, file, r.span, msg);
        }
        if end < r.start {
            self.err(
                DiagnosticKind::Validate,
                file,
                r.span,
                "a range must not end before it starts",
            );
        }
        let clamp = |v: i64| v.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32;
        FieldRange {
            start: clamp(r.start),
            end: clamp(end),
            span: r.span,
        }
    }

    fn declare_map_entry(
        &mut self,
        file: FileId,
        parent: MessageId,
        scope: &str,
        f: &'a FieldAst,
        (key, value): (&'a ast::Ident, &'a ast::Ident),
        features: Features,
    ) -> MessageId {
        let id = MessageId(self.messages.len() as u32);
        let name = map_entry_name(&f.name.text);
        let full = join(scope, &name);
        self.define(full.clone(), Symbol::Message(id), file, f.name.span);
        let mut fields = Vec::new();
        for (i, (fname, t)) in [("key", key), ("value", value)].into_iter().enumerate() {
            let ty = FieldType::scalar(&t.text);
            if i == 0 {
                let ok = matches!(
                    ty,
                    Some(
                        FieldType::Int32
                            | FieldType::Int64
                            | FieldType::Uint32
                            | FieldType::Uint64
                            | FieldType::Sint32
                            | FieldType::Sint64
                            | FieldType::Fixed32
                            | FieldType::Fixed64
                            | FieldType::Sfixed32
                            | FieldType::Sfixed64
                            | FieldType::Bool
                            | FieldType::String
                    )
                );
                if !ok {
                    let msg = format!(
                        "`{}` is not a valid map key type (use an integer type, bool or string)",
                        t.text
                    );
                    self.err(DiagnosticKind::Validate, file, t.span, msg);
                }
            }
            let field_full = join(&full, fname);
            self.symbols.insert(
                field_full.clone(),
                SymbolEntry {
                    symbol: Symbol::Field(id, i),
                    file: Some(file),
                },
            );
            if ty.is_none() {
                self.pending_types.push(PendingType {
                    slot: Slot::Field(id, i),
                    name: t,
                    scope: Rc::from(full.as_str()),
                    file,
                });
            }
            fields.push(Field {
                name: fname.to_string(),
                full_name: field_full,
                file,
                number: i as i32 + 1,
                label: Label::Optional,
                ty: ty.unwrap_or(FieldType::Int32),
                type_name_written: ty.is_none().then(|| t.text.clone()),
                extendee: None,
                default_value: None,
                json_name: fname.to_string(),
                json_name_explicit: false,
                oneof_index: None,
                proto3_optional: false,
                map: false,
                options: vec![],
                features,
                span: t.span,
                name_span: t.span,
                number_span: t.span,
                type_span: t.span,
                comment: None,
                trailing_comment: None,
            });
        }
        let exported = self.exported(file, None, true, f.name.span, true);
        self.messages.push(Message {
            exported,
            id,
            name,
            full_name: full,
            file,
            parent: Some(parent),
            fields,
            oneofs: vec![],
            messages: vec![],
            enums: vec![],
            extensions: vec![],
            extension_ranges: vec![],
            reserved_ranges: vec![],
            reserved_names: vec![],
            options: vec![],
            features,
            map_entry: true,
            group: false,
            visibility: None,
            span: f.span,
            name_span: f.name.span,
            comment: None,
            trailing_comment: None,
        });
        id
    }

    /// Builds a field (types named by the user are resolved later).
    #[allow(clippy::too_many_arguments)]
    fn make_field(
        &mut self,
        file: FileId,
        scope: &str,
        f: &'a FieldAst,
        base: Features,
        syntax: Syntax,
        slot: Slot,
        nested: Option<MessageId>,
    ) -> Field {
        let label = match (&f.ty, f.label) {
            (FieldTypeAst::Map { .. }, _) | (_, Some((LabelAst::Repeated, _))) => Label::Repeated,
            (_, Some((LabelAst::Required, _))) => Label::Required,
            _ => Label::Optional,
        };
        let proto3_optional =
            syntax == Syntax::Proto3 && matches!(f.label, Some((LabelAst::Optional, _)));
        let (ty, written) = match &f.ty {
            FieldTypeAst::Named(n) => match FieldType::scalar(&n.text) {
                Some(t) => (t, None),
                None => {
                    let scope = match &self.last_scope {
                        Some(s) if &**s == scope => Rc::clone(s),
                        _ => {
                            let s: Rc<str> = Rc::from(scope);
                            self.last_scope = Some(Rc::clone(&s));
                            s
                        }
                    };
                    self.pending_types.push(PendingType {
                        slot,
                        name: n,
                        scope,
                        file,
                    });
                    (FieldType::Int32, Some(n.text.clone()))
                }
            },
            FieldTypeAst::Group(body) => (
                FieldType::Group(nested.unwrap_or(MessageId(u32::MAX))),
                Some(body.name.text.clone()),
            ),
            FieldTypeAst::Map { .. } => (
                FieldType::Message(nested.unwrap_or(MessageId(u32::MAX))),
                None,
            ),
        };
        let mut features = self.features(file, base, &f.options);
        // Legacy syntaxes: derive the features their keywords and options imply.
        match syntax {
            Syntax::Proto2 | Syntax::Proto3 => {
                if label == Label::Required {
                    features.field_presence = FieldPresence::LegacyRequired;
                }
                if proto3_optional {
                    features.field_presence = FieldPresence::Explicit;
                }
                if matches!(ty, FieldType::Group(_)) {
                    features.message_encoding = MessageEncoding::Delimited;
                }
            }
            Syntax::Editions(_) => {}
        }
        let mut json = json_name(&f.name.text);
        let mut json_explicit = false;
        let mut options = Vec::new();
        for o in &f.options {
            if o.name.len() == 1 && !o.name[0].is_extension {
                match o.name[0].name.as_str() {
                    "json_name" => {
                        match &o.value.kind {
                            ValueKind::Str(s) => match String::from_utf8(s.clone()) {
                                Ok(s) => {
                                    json = s;
                                    json_explicit = true;
                                }
                                Err(_) => self.err(
                                    DiagnosticKind::Validate,
                                    file,
                                    o.value.span,
                                    "json_name must be UTF-8",
                                ),
                            },
                            _ => self.err(
                                DiagnosticKind::Validate,
                                file,
                                o.value.span,
                                "json_name must be a string",
                            ),
                        }
                        if matches!(slot, Slot::Extension(_)) {
                            self.err(
                                DiagnosticKind::Validate,
                                file,
                                o.span,
                                "extensions cannot set json_name",
                            );
                        }
                        continue;
                    }
                    "default" => {
                        self.pending_defaults.push((slot, &o.value, file));
                        continue;
                    }
                    "packed" => {
                        if matches!(syntax, Syntax::Editions(_)) {
                            self.err(
                                DiagnosticKind::Validate,
                                file,
                                o.span,
                                "the `packed` option is not allowed in editions; use `features.repeated_field_encoding`",
                            );
                        } else if let ValueKind::Ident {
                            negative: false,
                            name,
                        } = &o.value.kind
                        {
                            match name.as_str() {
                                "true" => {
                                    features.repeated_field_encoding = RepeatedFieldEncoding::Packed
                                }
                                "false" => {
                                    features.repeated_field_encoding =
                                        RepeatedFieldEncoding::Expanded
                                }
                                _ => {}
                            }
                        }
                    }
                    _ => {}
                }
            }
            options.push(OptionSetting {
                name: o.name.clone(),
                value: o.value.clone(),
                span: o.span,
                extension: None,
            });
        }
        // Editions' `LEGACY_REQUIRED` is a required field: the model says so in its label, as proto2 does.
        let label = match syntax {
            Syntax::Editions(_)
                if features.field_presence == FieldPresence::LegacyRequired
                    && label != Label::Repeated =>
            {
                Label::Required
            }
            _ => label,
        };
        self.finish_make(
            f,
            scope,
            file,
            label,
            ty,
            written,
            json,
            json_explicit,
            proto3_optional,
            options,
            features,
            slot,
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn finish_make(
        &mut self,
        f: &'a FieldAst,
        scope: &str,
        file: FileId,
        label: Label,
        ty: FieldType,
        written: Option<String>,
        json: String,
        json_explicit: bool,
        proto3_optional: bool,
        options: Vec<OptionSetting>,
        features: Features,
        slot: Slot,
    ) -> Field {
        let number = match f.number {
            Some(n) => n as i32,
            None => {
                self.err(
                    DiagnosticKind::Validate,
                    file,
                    f.number_span,
                    "field number out of range",
                );
                0
            }
        };
        self.all_slots.push((slot, f));
        Field {
            name: f.name.text.clone(),
            full_name: join(scope, &f.name.text),
            file,
            number,
            label,
            ty,
            type_name_written: written,
            extendee: None,
            default_value: None,
            json_name: json,
            json_name_explicit: json_explicit,
            oneof_index: None,
            proto3_optional,
            map: matches!(f.ty, FieldTypeAst::Map { .. }),
            options,
            features,
            span: f.span,
            name_span: f.name.span,
            number_span: f.number_span,
            type_span: match &f.ty {
                FieldTypeAst::Named(n) => n.span,
                // `map<K, V>`: from the keyword (a map field has no label) to the closing `>`.
                FieldTypeAst::Map { value, .. } => {
                    let end = value.span.end as usize;
                    let text = &self.loaded[file.index()].text;
                    let close = text
                        .get(end..)
                        .and_then(|rest| rest.find('>'))
                        .map_or(end, |p| end + p + 1);
                    Span {
                        start: f.span.start,
                        end: close as u32,
                    }
                }
                FieldTypeAst::Group(body) => body.name.span,
            },
            comment: f.comment.clone(),
            trailing_comment: f.trailing_comment.clone(),
        }
    }

    fn declare_extension(
        &mut self,
        file: FileId,
        scope: &str,
        ext: &'a ast::ExtendAst,
        f: &'a FieldAst,
        features: Features,
        nested: Option<MessageId>,
    ) -> ExtensionId {
        let id = ExtensionId(self.extensions.len() as u32);
        let slot = Slot::Extension(id);
        let syntax = self.syntax(file);
        // A group inside an extend block declares its message in the enclosing scope (done by the caller).
        let field = self.make_field(file, scope, f, features, syntax, slot, nested);
        self.define(
            field.full_name.clone(),
            Symbol::Extension(id),
            file,
            f.name.span,
        );
        self.extensions.push(field);
        self.pending_extendees
            .push((id, &ext.extendee, scope.to_string(), file));
        self.queue_options(OptionsKind::Field, OptionTarget::Field(slot), file);
        if f.label.is_some_and(|(l, _)| l == LabelAst::Required) {
            self.err(
                DiagnosticKind::Validate,
                file,
                f.span,
                "extensions cannot be required",
            );
        }
        id
    }

    fn declare_enum(
        &mut self,
        file: FileId,
        parent: Option<MessageId>,
        scope: &str,
        e: &'a ast::EnumAst,
        inherited: Features,
    ) -> EnumId {
        let id = EnumId(self.enums.len() as u32);
        let full = join(scope, &e.name.text);
        self.define(full.clone(), Symbol::Enum(id), file, e.name.span);
        let features = self.features(file, inherited, &e.options);
        let mut values = Vec::new();
        for (i, v) in e.values.iter().enumerate() {
            let vfull = join(scope, &v.name.text);
            self.define(vfull.clone(), Symbol::EnumValue(id, i), file, v.name.span);
            let vf = self.features(file, features, &v.options);
            values.push(EnumValue {
                name: v.name.text.clone(),
                full_name: vfull,
                number: v.number.unwrap_or(0) as i32,
                options: Self::settings(&v.options),
                features: vf,
                span: v.span,
                name_span: v.name.span,
                number_span: v.number_span,
                comment: v.comment.clone(),
                trailing_comment: v.trailing_comment.clone(),
            });
            self.queue_options(OptionsKind::EnumValue, OptionTarget::EnumValue(id, i), file);
        }
        let mut reserved_ranges = Vec::new();
        let mut reserved_names = Vec::new();
        for r in &e.reserved {
            for range in &r.ranges {
                reserved_ranges.push(self.field_range(file, range, false));
            }
            reserved_names.extend(r.names.iter().map(|n| Reserved {
                name: n.text.clone(),
                span: n.span,
            }));
        }
        let parent_has_fields = parent.is_none_or(|p| !self.messages[p.index()].fields.is_empty());
        let exported = self.exported(
            file,
            e.visibility,
            parent.is_some(),
            e.name.span,
            parent_has_fields,
        );
        self.enums.push(Enum {
            exported,
            id,
            name: e.name.text.clone(),
            full_name: full.clone(),
            file,
            parent,
            values,
            reserved_ranges,
            reserved_names,
            options: Self::settings(&e.options),
            features,
            visibility: e.visibility,
            span: e.span,
            name_span: e.name.span,
            comment: e.comment.clone(),
            trailing_comment: e.trailing_comment.clone(),
        });
        self.queue_options(OptionsKind::Enum, OptionTarget::Enum(id), file);
        self.validate_enum(id);
        id
    }

    /// Whether a message or enum is visible to other files (edition 2024's `export`/`local` and
    /// `features.default_symbol_visibility`). `parent_has_fields` is false for a message used only as a namespace,
    /// whose nested enums STRICT lets be exported.
    fn exported(
        &mut self,
        file: FileId,
        written: Option<ast::Visibility>,
        nested: bool,
        span: Span,
        parent_has_fields: bool,
    ) -> bool {
        use super::features::DefaultSymbolVisibility as D;
        let default = self.files[file.index()].features.default_symbol_visibility;
        match written {
            Some(ast::Visibility::Export) => {
                if default == D::Strict && nested && parent_has_fields {
                    let msg = "nested types cannot be exported under `features.default_symbol_visibility = STRICT`";
                    self.err(DiagnosticKind::Validate, file, span, msg);
                }
                true
            }
            Some(ast::Visibility::Local) => false,
            None => match default {
                D::ExportAll => true,
                D::ExportTopLevel => !nested,
                D::LocalAll | D::Strict => false,
            },
        }
    }

    fn validate_enum(&mut self, id: EnumId) {
        let e = &self.enums[id.index()];
        let file = e.file;
        let mut errs = Vec::new();
        let mut ranges: Vec<(i32, i32, Span, &str)> = e
            .reserved_ranges
            .iter()
            .map(|r| (r.start, r.end, r.span, "reserved range"))
            .collect();
        let mut overlapping = Vec::new();
        overlaps(&mut ranges, file, &mut overlapping);
        errs.extend(overlapping.into_iter().map(|(_, span, m)| (span, m)));
        if e.values.is_empty() {
            errs.push((
                e.name_span,
                "an enum must have at least one value".to_string(),
            ));
        } else if !e.is_closed() && e.values[0].number != 0 {
            errs.push((
                e.values[0].span,
                "the first value of an open enum must be zero".to_string(),
            ));
        }
        let allow_alias = e.option("allow_alias").is_some_and(
            |o| matches!(&o.value.kind, ValueKind::Ident { name, .. } if name == "true"),
        );
        let reserved = RangeSet::new(e.reserved_ranges.iter().map(|r| (r.start, r.end)));
        let reserved_names: HashSet<&str> =
            e.reserved_names.iter().map(|r| r.name.as_str()).collect();
        let mut seen: HashMap<i32, &str> = HashMap::default();
        let mut aliased = false;
        for v in &e.values {
            if let Some(prev) = seen.get(&v.number) {
                aliased = true;
                if !allow_alias {
                    errs.push((
                        v.span,
                        format!(
                            "`{}` uses the number {} already used by `{prev}` (set `option allow_alias = true;` to allow aliases)",
                            v.name, v.number
                        ),
                    ));
                }
            } else {
                seen.insert(v.number, &v.name);
            }
            if reserved.contains(v.number) {
                errs.push((
                    v.span,
                    format!("`{}` uses the reserved number {}", v.name, v.number),
                ));
            }
            if reserved_names.contains(v.name.as_str()) {
                errs.push((v.span, format!("`{}` is a reserved name", v.name)));
            }
        }
        if allow_alias && !aliased {
            errs.push((
                e.name_span,
                "`allow_alias` is set but no two values share a number".to_string(),
            ));
        }
        for (span, m) in errs {
            self.err(DiagnosticKind::Validate, file, span, m);
        }
    }

    fn declare_service(
        &mut self,
        file: FileId,
        scope: &str,
        s: &'a ast::ServiceAst,
        inherited: Features,
    ) -> ServiceId {
        let id = ServiceId(self.services.len() as u32);
        let full = join(scope, &s.name.text);
        self.define(full.clone(), Symbol::Service(id), file, s.name.span);
        let features = self.features(file, inherited, &s.options);
        let mut methods = Vec::new();
        for (i, r) in s.rpcs.iter().enumerate() {
            let mfull = join(&full, &r.name.text);
            self.define(mfull.clone(), Symbol::Method(id, i), file, r.name.span);
            let mf = self.features(file, features, &r.options);
            methods.push(Method {
                name: r.name.text.clone(),
                full_name: mfull,
                input: MessageId(u32::MAX),
                output: MessageId(u32::MAX),
                client_streaming: r.input_stream,
                server_streaming: r.output_stream,
                options: Self::settings(&r.options),
                features: mf,
                span: r.span,
                name_span: r.name.span,
                input_span: r.input.span,
                output_span: r.output.span,
                comment: r.comment.clone(),
                trailing_comment: r.trailing_comment.clone(),
            });
            self.pending_methods.push((id, i, r, full.clone()));
            self.queue_options(OptionsKind::Method, OptionTarget::Method(id, i), file);
        }
        self.services.push(Service {
            id,
            name: s.name.text.clone(),
            full_name: full.clone(),
            file,
            methods,
            options: Self::settings(&s.options),
            features,
            span: s.span,
            name_span: s.name.span,
            comment: s.comment.clone(),
            trailing_comment: s.trailing_comment.clone(),
        });
        self.queue_options(OptionsKind::Service, OptionTarget::Service(id), file);
        id
    }

    // ------------------------------------------------------------- resolve

    /// protoc's lookup: the first component of `name` is searched from the innermost scope outwards; once found,
    /// the rest must resolve inside that symbol. A leading dot means fully qualified.
    fn lookup(&self, scope: &str, name: &str, types_only: bool) -> Option<(String, SymbolEntry)> {
        if let Some(abs) = name.strip_prefix('.') {
            return self.symbols.get(abs).map(|e| (abs.to_string(), *e));
        }
        let (first, rest) = match name.split_once('.') {
            Some((f, r)) => (f, Some(r)),
            None => (name, None),
        };
        // One buffer for every candidate; the scope shrinks from the innermost outwards.
        let mut candidate = String::with_capacity(scope.len() + name.len() + 1);
        let mut scope_len = scope.len();
        loop {
            let outer = &scope[..scope_len];
            candidate.clear();
            if !outer.is_empty() {
                candidate.push_str(outer);
                candidate.push('.');
            }
            candidate.push_str(first);
            if let Some(e) = self.symbols.get(candidate.as_str()) {
                match rest {
                    Some(rest) => {
                        let aggregate = matches!(
                            e.symbol,
                            Symbol::Package
                                | Symbol::Message(_)
                                | Symbol::Enum(_)
                                | Symbol::Service(_)
                        );
                        if aggregate {
                            candidate.push('.');
                            candidate.push_str(rest);
                            let e = *self.symbols.get(candidate.as_str())?;
                            return Some((candidate, e));
                        }
                    }
                    None => {
                        let is_type = matches!(e.symbol, Symbol::Message(_) | Symbol::Enum(_));
                        if !types_only || is_type {
                            let e = *e;
                            return Some((candidate, e));
                        }
                    }
                }
            }
            if scope_len == 0 {
                return None;
            }
            scope_len = outer.rfind('.').unwrap_or(0);
        }
    }

    /// Looks a name up and checks that its file is visible from `file`.
    fn resolve(
        &mut self,
        file: FileId,
        scope: &str,
        name: &ast::Ident,
        types_only: bool,
    ) -> Option<(String, Symbol)> {
        match self.lookup(scope, &name.text, types_only) {
            None => {
                let what = if types_only { "type" } else { "extension" };
                let mut msg = format!("undefined {what} `{}`", name.text);
                // Explain protoc's first-component rule when an outer scope does define the full name.
                if !name.text.starts_with('.')
                    && let Some((first, rest)) = name.text.split_once('.')
                    && let Some((found, _)) = self.lookup(scope, first, false)
                    && let Some(outer) = outer_definition(&self.symbols, scope, &name.text)
                {
                    msg.push_str(&format!(
                        " (`{first}` resolves to `{found}`, which has no `{rest}`; the rest of a dotted name is only \
                         looked up in the innermost scope that defines its first part: write `.{outer}`)"
                    ));
                }
                self.err(DiagnosticKind::Resolve, file, name.span, msg);
                None
            }
            Some((full, e)) => {
                if let Some(f) = e.file
                    && !self.visible[file.index()].contains(&f)
                {
                    let msg = format!(
                        "`{full}` is defined in {}, which is not imported by {} (add `import \"{}\";`)",
                        self.loaded[f.index()].path,
                        self.loaded[file.index()].path,
                        self.loaded[f.index()].path
                    );
                    self.err(DiagnosticKind::Resolve, file, name.span, msg);
                    return None;
                }
                let exported = match e.symbol {
                    Symbol::Message(m) => self.messages[m.index()].exported,
                    Symbol::Enum(x) => self.enums[x.index()].exported,
                    _ => true,
                };
                if !exported && e.file != Some(file) {
                    let msg = format!(
                        "`{full}` is local to {} (edition 2024 visibility): mark it `export` to use it from other files",
                        e.file
                            .map_or("its file", |f| self.loaded[f.index()].path.as_str())
                    );
                    self.err(DiagnosticKind::Resolve, file, name.span, msg);
                    return None;
                }
                Some((full, e.symbol))
            }
        }
    }

    fn field_mut(&mut self, slot: Slot) -> &mut Field {
        match slot {
            Slot::Field(m, i) => &mut self.messages[m.index()].fields[i],
            Slot::Extension(x) => &mut self.extensions[x.index()],
        }
    }

    fn field(&self, slot: Slot) -> &Field {
        match slot {
            Slot::Field(m, i) => &self.messages[m.index()].fields[i],
            Slot::Extension(x) => &self.extensions[x.index()],
        }
    }

    fn resolve_types(&mut self) {
        let pending = std::mem::take(&mut self.pending_types);
        for p in pending {
            let Some((full, sym)) = self.resolve(p.file, &p.scope, p.name, true) else {
                self.unresolved.insert(p.slot);
                continue;
            };
            let ty = match sym {
                Symbol::Message(m) => FieldType::Message(m),
                Symbol::Enum(e) => FieldType::Enum(e),
                _ => {
                    let msg = format!("`{full}` is not a message or enum type");
                    self.err(DiagnosticKind::Resolve, p.file, p.name.span, msg);
                    self.unresolved.insert(p.slot);
                    continue;
                }
            };
            self.field_mut(p.slot).ty = ty;
        }
        let pending = std::mem::take(&mut self.pending_extendees);
        for (id, name, scope, file) in pending {
            let Some((full, sym)) = self.resolve(file, &scope, name, true) else {
                continue;
            };
            match sym {
                Symbol::Message(m) => self.extensions[id.index()].extendee = Some(m),
                _ => {
                    let msg = format!("`{full}` is not a message type, so it cannot be extended");
                    self.err(DiagnosticKind::Resolve, file, name.span, msg);
                }
            }
        }
        let pending = std::mem::take(&mut self.pending_methods);
        for (sid, i, rpc, scope) in pending {
            let file = self.services[sid.index()].file;
            for (is_input, name) in [(true, &rpc.input), (false, &rpc.output)] {
                let Some((full, sym)) = self.resolve(file, &scope, name, true) else {
                    continue;
                };
                match sym {
                    Symbol::Message(m) => {
                        let method = &mut self.services[sid.index()].methods[i];
                        if is_input {
                            method.input = m;
                        } else {
                            method.output = m;
                        }
                    }
                    _ => {
                        let msg =
                            format!("`{full}` is not a message type; rpc types must be messages");
                        self.err(DiagnosticKind::Resolve, file, name.span, msg);
                    }
                }
            }
        }
    }

    /// Checks that need resolved types: defaults, presence and encoding features, packed, enum openness.
    fn finish_fields(&mut self) {
        let defaults = std::mem::take(&mut self.pending_defaults);
        for (slot, value, file) in defaults {
            if self.unresolved.contains(&slot) {
                continue; // already reported; its type is unknown
            }
            let (ty, label, presence) = {
                let f = self.field(slot);
                (f.ty, f.label, f.features.field_presence)
            };
            let syntax = self.syntax(file);
            if syntax == Syntax::Proto3 {
                self.err(
                    DiagnosticKind::Validate,
                    file,
                    value.span,
                    "default values are not allowed in proto3",
                );
                continue;
            }
            if label == Label::Repeated {
                self.err(
                    DiagnosticKind::Validate,
                    file,
                    value.span,
                    "repeated fields cannot have default values",
                );
                continue;
            }
            if matches!(syntax, Syntax::Editions(_)) && presence == FieldPresence::Implicit {
                self.err(
                    DiagnosticKind::Validate,
                    file,
                    value.span,
                    "fields with implicit presence cannot have default values",
                );
                continue;
            }
            let enum_values: Option<Vec<String>> = match ty {
                FieldType::Enum(e) => Some(
                    self.enums[e.index()]
                        .values
                        .iter()
                        .map(|v| v.name.clone())
                        .collect(),
                ),
                _ => None,
            };
            match values::default_string(ty, value, enum_values.as_deref()) {
                Ok(s) => self.field_mut(slot).default_value = Some(s),
                Err(m) => self.err(DiagnosticKind::Validate, file, value.span, m),
            }
        }
        let slots = std::mem::take(&mut self.all_slots);
        for (slot, ast) in slots {
            if self.unresolved.contains(&slot) {
                continue;
            }
            let f = FieldFacts::of(self.field(slot));
            let syntax = self.syntax(f.file);
            let file = f.file;
            if let FieldType::Enum(e) = f.ty {
                let en = &self.enums[e.index()];
                if syntax == Syntax::Proto3 && en.is_closed() {
                    let msg = format!(
                        "`{}` is a closed (proto2) enum and cannot be used in a proto3 file",
                        en.full_name
                    );
                    self.err(DiagnosticKind::Validate, file, ast.span, msg);
                }
            }
            let is_message = matches!(f.ty, FieldType::Message(_) | FieldType::Group(_));
            if let Syntax::Editions(_) = syntax {
                let own_presence = ast.options.iter().any(|o| {
                    o.name.len() == 2
                        && o.name[0].name == "features"
                        && o.name[1].name == "field_presence"
                });
                if own_presence && f.label == Label::Repeated {
                    self.err(
                        DiagnosticKind::Validate,
                        file,
                        ast.span,
                        "repeated fields cannot set `features.field_presence`",
                    );
                }
                if own_presence && f.oneof_index.is_some() {
                    self.err(
                        DiagnosticKind::Validate,
                        file,
                        ast.span,
                        "oneof fields cannot set `features.field_presence`",
                    );
                }
                if is_message
                    && f.features.field_presence == FieldPresence::Implicit
                    && f.label != Label::Repeated
                {
                    if own_presence {
                        self.err(
                            DiagnosticKind::Validate,
                            file,
                            ast.span,
                            "message fields cannot have implicit presence",
                        );
                    } else {
                        // Inherited IMPLICIT does not apply to message fields, which always track presence.
                        self.field_mut(slot).features.field_presence = FieldPresence::Explicit;
                    }
                }
            }
            let has_packed = f.has_packed;
            if has_packed && (f.label != Label::Repeated || !f.ty.is_packable()) {
                self.err(
                    DiagnosticKind::Validate,
                    file,
                    ast.span,
                    "only repeated fields of scalar numeric types can be packed",
                );
            }
            if ast
                .number
                .is_some_and(|n| !(1..=MAX_FIELD_NUMBER).contains(&n))
            {
                let msg = format!("field numbers must be between 1 and {MAX_FIELD_NUMBER}");
                self.err(DiagnosticKind::Validate, file, ast.number_span, msg);
            } else if (19000..=19999).contains(&f.number) {
                self.err(
                    DiagnosticKind::Validate,
                    file,
                    ast.number_span,
                    "field numbers 19000 to 19999 are reserved for the protobuf implementation",
                );
            }
            if let Slot::Extension(x) = slot
                && let Some(m) = self.extensions[x.index()].extendee
            {
                let target = &self.messages[m.index()];
                if syntax == Syntax::Proto3 && !target.full_name.starts_with("google.protobuf.") {
                    let msg = format!(
                        "proto3 files may only extend the options messages of descriptor.proto, not `{}`",
                        target.full_name
                    );
                    self.err(DiagnosticKind::Validate, file, ast.span, msg);
                    continue;
                }
                let target = &self.messages[m.index()];
                let inside = target
                    .extension_ranges
                    .iter()
                    .any(|r| r.range.start <= f.number && f.number <= r.range.end);
                if !inside {
                    let msg = format!(
                        "`{}` does not declare {} as an extension number",
                        target.full_name, f.number
                    );
                    self.err(DiagnosticKind::Validate, file, ast.number_span, msg);
                }
            }
        }
    }

    fn validate_messages(&mut self) {
        let mut errs = Vec::new();
        // Two extensions of one message with the same number.
        let mut ext_numbers: HashMap<(MessageId, i32), &str> = HashMap::default();
        for x in &self.extensions {
            if let Some(target) = x.extendee
                && let Some(prev) = ext_numbers.insert((target, x.number), &x.full_name)
            {
                let msg = format!(
                    "extension number {} of `{}` is already used by `{prev}`",
                    x.number,
                    self.messages[target.index()].full_name
                );
                errs.push((x.file, x.span, msg));
            }
        }
        // Imports listed twice.
        for f in &self.files {
            let mut seen = HashSet::default();
            for d in &f.dependencies {
                if !seen.insert(&d.path) {
                    errs.push((f.id, d.span, format!("`{}` is imported twice", d.path)));
                }
            }
        }
        // Reused for every message (cleared), so small messages do not each grow fresh tables.
        let mut json: HashMap<&str, &str> = HashMap::default();
        let mut numbers: HashMap<i32, &str> = HashMap::default();
        for m in &self.messages {
            // Ranges must not overlap: reserved with reserved, extensions with extensions, or one with the other.
            let mut ranges: Vec<(i32, i32, Span, &str)> = m
                .reserved_ranges
                .iter()
                .map(|r| (r.start, r.end, r.span, "reserved range"))
                .chain(
                    m.extension_ranges
                        .iter()
                        .map(|r| (r.range.start, r.range.end, r.range.span, "extension range")),
                )
                .collect();
            overlaps(&mut ranges, m.file, &mut errs);
            let mut names = HashSet::default();
            for r in &m.reserved_names {
                if !names.insert(r.name.as_str()) {
                    errs.push((m.file, r.span, format!("`{}` is reserved twice", r.name)));
                }
            }
            let reserved = RangeSet::new(m.reserved_ranges.iter().map(|r| (r.start, r.end)));
            let extension_ranges = RangeSet::new(
                m.extension_ranges
                    .iter()
                    .map(|r| (r.range.start, r.range.end)),
            );
            let reserved_names: HashSet<&str> =
                m.reserved_names.iter().map(|r| r.name.as_str()).collect();
            // JSON names must be unique where the JSON format is fully supported (proto3, editions' ALLOW).
            if m.features.json_format == super::features::JsonFormat::Allow && !m.map_entry {
                json.clear();
                for f in &m.fields {
                    if let Some(prev) = json.insert(&f.json_name, &f.name) {
                        let msg = format!(
                            "the JSON name `{}` of field `{}` conflicts with that of field `{prev}`",
                            f.json_name, f.name
                        );
                        errs.push((m.file, f.span, msg));
                    }
                }
            }
            numbers.clear();
            for f in &m.fields {
                if let Some(prev) = numbers.insert(f.number, &f.name)
                    && f.number != 0
                {
                    errs.push((
                        m.file,
                        f.span,
                        format!(
                            "field `{}` uses the number {} already used by `{prev}`",
                            f.name, f.number
                        ),
                    ));
                }
                if reserved.contains(f.number) {
                    errs.push((
                        m.file,
                        f.span,
                        format!("field `{}` uses the reserved number {}", f.name, f.number),
                    ));
                }
                if extension_ranges.contains(f.number) {
                    errs.push((
                        m.file,
                        f.span,
                        format!(
                            "field `{}` uses the number {}, which is an extension range",
                            f.name, f.number
                        ),
                    ));
                }
                if reserved_names.contains(f.name.as_str()) {
                    errs.push((
                        m.file,
                        f.span,
                        format!("field `{}` uses a reserved name", f.name),
                    ));
                }
            }
        }
        for (file, span, m) in errs {
            self.err(DiagnosticKind::Validate, file, span, m);
        }
    }

    /// Resolves the extension named by each custom option and checks standard option names.
    fn resolve_options(&mut self) {
        let pending = std::mem::take(&mut self.pending_options);
        for mut p in pending {
            if self.options_of(p.target).is_empty() {
                continue;
            }
            p.scope = self.option_scope(p.target);
            let opts = match p.target {
                OptionTarget::File(f) => self.files[f.index()].options.clone(),
                OptionTarget::Message(m) => self.messages[m.index()].options.clone(),
                OptionTarget::Field(s) => self.field(s).options.clone(),
                OptionTarget::Oneof(m, i) => self.messages[m.index()].oneofs[i].options.clone(),
                OptionTarget::Enum(e) => self.enums[e.index()].options.clone(),
                OptionTarget::EnumValue(e, i) => self.enums[e.index()].values[i].options.clone(),
                OptionTarget::Service(s) => self.services[s.index()].options.clone(),
                OptionTarget::Method(s, i) => self.services[s.index()].methods[i].options.clone(),
                OptionTarget::ExtensionRange(m, i) => {
                    self.messages[m.index()].extension_ranges[i].options.clone()
                }
            };
            let mut resolved = Vec::with_capacity(opts.len());
            for o in &opts {
                resolved.push(self.resolve_option(&p, o));
            }
            let target: &mut Vec<OptionSetting> = match p.target {
                OptionTarget::File(f) => &mut self.files[f.index()].options,
                OptionTarget::Message(m) => &mut self.messages[m.index()].options,
                OptionTarget::Field(s) => &mut self.field_mut(s).options,
                OptionTarget::Oneof(m, i) => &mut self.messages[m.index()].oneofs[i].options,
                OptionTarget::Enum(e) => &mut self.enums[e.index()].options,
                OptionTarget::EnumValue(e, i) => &mut self.enums[e.index()].values[i].options,
                OptionTarget::Service(s) => &mut self.services[s.index()].options,
                OptionTarget::Method(s, i) => &mut self.services[s.index()].methods[i].options,
                OptionTarget::ExtensionRange(m, i) => {
                    &mut self.messages[m.index()].extension_ranges[i].options
                }
            };
            for (o, ext) in target.iter_mut().zip(resolved) {
                o.extension = ext;
            }
        }
    }

    fn options_of(&self, target: OptionTarget) -> &[OptionSetting] {
        match target {
            OptionTarget::File(f) => &self.files[f.index()].options,
            OptionTarget::Message(m) => &self.messages[m.index()].options,
            OptionTarget::Field(s) => &self.field(s).options,
            OptionTarget::Oneof(m, i) => &self.messages[m.index()].oneofs[i].options,
            OptionTarget::Enum(e) => &self.enums[e.index()].options,
            OptionTarget::EnumValue(e, i) => &self.enums[e.index()].values[i].options,
            OptionTarget::Service(s) => &self.services[s.index()].options,
            OptionTarget::Method(s, i) => &self.services[s.index()].methods[i].options,
            OptionTarget::ExtensionRange(m, i) => {
                &self.messages[m.index()].extension_ranges[i].options
            }
        }
    }

    /// The scope option names are resolved from: the element itself for messages, enums and services, the
    /// enclosing scope for fields and extensions, the package for files.
    fn option_scope(&self, target: OptionTarget) -> String {
        let parent = |full: &str| {
            full.rsplit_once('.')
                .map_or(String::new(), |(p, _)| p.to_string())
        };
        match target {
            OptionTarget::File(f) => self.files[f.index()].package.clone().unwrap_or_default(),
            OptionTarget::Message(m)
            | OptionTarget::Oneof(m, _)
            | OptionTarget::ExtensionRange(m, _) => self.messages[m.index()].full_name.clone(),
            OptionTarget::Field(s) => parent(&self.field(s).full_name),
            OptionTarget::Enum(e) | OptionTarget::EnumValue(e, _) => {
                self.enums[e.index()].full_name.clone()
            }
            OptionTarget::Service(s) | OptionTarget::Method(s, _) => {
                self.services[s.index()].full_name.clone()
            }
        }
    }

    fn resolve_option(&mut self, p: &PendingOptions, o: &OptionSetting) -> Option<ExtensionId> {
        let first = &o.name[0];
        if !first.is_extension {
            if !p.kind.standard().contains(&first.name.as_str()) {
                let msg = format!(
                    "unknown option `{}` for {}",
                    first.name,
                    p.kind.message_name()
                );
                self.err(DiagnosticKind::Validate, p.file, first.span, msg);
                return None;
            }
            // `features.(pb.java).x`: resolve the language feature extension.
            if first.name == "features"
                && let Some(second) = o.name.get(1)
                && second.is_extension
            {
                self.resolve_extension(p, second, "google.protobuf.FeatureSet");
            }
            if o.name.len() == 1
                && let Err(m) = check_standard_value(&first.name, &o.value)
            {
                self.err(DiagnosticKind::Validate, p.file, o.value.span, m);
            }
            return None;
        }
        let ext = self.resolve_extension(p, first, p.kind.message_name())?;
        // Check the sub-field path `(ext).a.b` against the extension's message type.
        let mut ty = self.extensions[ext.index()].ty;
        for part in &o.name[1..] {
            let (FieldType::Message(m) | FieldType::Group(m)) = ty else {
                let msg = format!(
                    "`{}` is not a message, so it has no field `{}`",
                    o.name_text(),
                    part.name
                );
                self.err(DiagnosticKind::Validate, p.file, part.span, msg);
                return Some(ext);
            };
            if part.is_extension {
                break;
            }
            match self.messages[m.index()].field_by_name(&part.name) {
                Some(f) => ty = f.ty,
                None => {
                    let msg = format!(
                        "`{}` has no field `{}`",
                        self.messages[m.index()].full_name,
                        part.name
                    );
                    self.err(DiagnosticKind::Validate, p.file, part.span, msg);
                    return Some(ext);
                }
            }
        }
        if !o.name[1..].iter().any(|p| p.is_extension) {
            self.check_option_value(p, o, ty);
        }
        Some(ext)
    }

    /// Checks a custom option's value against the type of the field it sets.
    fn check_option_value(&mut self, p: &PendingOptions, o: &OptionSetting, ty: FieldType) {
        self.check_value(p, &o.name_text(), ty, &o.value, false);
    }

    /// Checks a value (or, recursively, a text-format aggregate) against a field type. `what` names the option
    /// path for messages; `repeated` allows `[a, b]` lists.
    fn check_value(
        &mut self,
        p: &PendingOptions,
        what: &str,
        ty: FieldType,
        v: &ValueAst,
        repeated: bool,
    ) {
        let invalid = |b: &mut Self, span: Span, m: String| {
            b.err(
                DiagnosticKind::Validate,
                p.file,
                span,
                format!("invalid value for option `{what}`: {m}"),
            );
        };
        if let ValueKind::List(items) = &v.kind {
            if !repeated {
                invalid(self, v.span, "a list needs a repeated field".to_string());
                return;
            }
            for item in items {
                self.check_value(p, what, ty, item, false);
            }
            return;
        }
        match ty {
            FieldType::Message(m) | FieldType::Group(m) => {
                let ValueKind::Aggregate(fields) = &v.kind else {
                    invalid(
                        self,
                        v.span,
                        "expects a message value (`{ ... }`)".to_string(),
                    );
                    return;
                };
                for af in fields {
                    let path = format!("{what}.{}", af.name);
                    if af.is_extension {
                        if af.name.contains('/') {
                            continue; // an `Any` value: `[type.googleapis.com/pkg.Msg] { ... }`
                        }
                        match self.lookup(&p.scope, &af.name, false) {
                            Some((
                                _,
                                SymbolEntry {
                                    symbol: Symbol::Extension(x),
                                    ..
                                },
                            )) if self.extensions[x.index()].extendee == Some(m) => {
                                let (xty, rep) = (
                                    self.extensions[x.index()].ty,
                                    self.extensions[x.index()].is_repeated(),
                                );
                                self.check_value(p, &path, xty, &af.value, rep);
                            }
                            _ => {
                                let msg = format!(
                                    "`[{}]` is not an extension of `{}`",
                                    af.name,
                                    self.messages[m.index()].full_name
                                );
                                self.err(DiagnosticKind::Validate, p.file, af.span, msg);
                            }
                        }
                        continue;
                    }
                    let msg = &self.messages[m.index()];
                    // Text format names a group field by its type name.
                    let field = msg.fields.iter().find(|f| {
                        f.name == af.name
                            || matches!(f.ty, FieldType::Group(g) if self.messages[g.index()].name == af.name)
                    });
                    match field {
                        Some(f) => {
                            let (fty, rep) = (f.ty, f.is_repeated());
                            self.check_value(p, &path, fty, &af.value, rep);
                        }
                        None => {
                            let text = format!("`{}` has no field `{}`", msg.full_name, af.name);
                            self.err(DiagnosticKind::Validate, p.file, af.span, text);
                        }
                    }
                }
            }
            FieldType::Enum(e) => {
                let ok = match &v.kind {
                    ValueKind::Ident {
                        negative: false,
                        name,
                    } => self.enums[e.index()].value_by_name(name).is_some(),
                    ValueKind::Int { .. } => true,
                    _ => false,
                };
                if !ok {
                    let m = format!("not a value of `{}`", self.enums[e.index()].full_name);
                    invalid(self, v.span, m);
                }
            }
            FieldType::Bool => {
                let ok = match &v.kind {
                    ValueKind::Ident {
                        negative: false,
                        name,
                    } => {
                        matches!(
                            name.as_str(),
                            "true" | "false" | "True" | "False" | "t" | "f"
                        )
                    }
                    ValueKind::Int {
                        negative: false,
                        magnitude: Some(0 | 1),
                    } => true,
                    _ => false,
                };
                if !ok {
                    invalid(self, v.span, "expects `true` or `false`".to_string());
                }
            }
            _ => {
                if let Err(m) = values::default_string(ty, v, None) {
                    invalid(self, v.span, m);
                }
            }
        }
    }

    fn resolve_extension(
        &mut self,
        p: &PendingOptions,
        part: &ast::OptionNamePart,
        extendee: &str,
    ) -> Option<ExtensionId> {
        let id = ast::Ident {
            text: part.name.clone(),
            span: part.span,
        };
        let (full, sym) = self.resolve(p.file, &p.scope, &id, false)?;
        let Symbol::Extension(x) = sym else {
            let msg = format!("`{full}` is not an extension, so it cannot name a custom option");
            self.err(DiagnosticKind::Resolve, p.file, part.span, msg);
            return None;
        };
        let target = self.extensions[x.index()]
            .extendee
            .map(|m| self.messages[m.index()].full_name.clone());
        if let Some(t) = target
            && t != extendee
        {
            let msg = format!(
                "`{full}` extends `{t}`, so it is not an option here (expected an extension of `{extendee}`)"
            );
            self.err(DiagnosticKind::Resolve, p.file, part.span, msg);
            return None;
        }
        Some(x)
    }
}

/// Checks the value of a standard option with a single-part name (`option java_package = "x";`).
fn check_standard_value(name: &str, v: &ValueAst) -> Result<(), String> {
    const BOOLS: &[&str] = &[
        "java_multiple_files",
        "java_generate_equals_and_hash",
        "java_string_check_utf8",
        "cc_generic_services",
        "java_generic_services",
        "py_generic_services",
        "php_generic_services",
        "deprecated",
        "cc_enable_arenas",
        "message_set_wire_format",
        "no_standard_descriptor_accessor",
        "map_entry",
        "deprecated_legacy_json_field_conflicts",
        "packed",
        "lazy",
        "unverified_lazy",
        "weak",
        "debug_redact",
        "allow_alias",
    ];
    const STRINGS: &[&str] = &[
        "java_package",
        "java_outer_classname",
        "go_package",
        "objc_class_prefix",
        "csharp_namespace",
        "swift_prefix",
        "php_class_prefix",
        "php_namespace",
        "php_metadata_namespace",
        "ruby_package",
    ];
    let enums: &[(&str, &[&str])] = &[
        ("optimize_for", &["SPEED", "CODE_SIZE", "LITE_RUNTIME"]),
        ("ctype", &["STRING", "CORD", "STRING_PIECE"]),
        ("jstype", &["JS_NORMAL", "JS_STRING", "JS_NUMBER"]),
        (
            "idempotency_level",
            &["IDEMPOTENCY_UNKNOWN", "NO_SIDE_EFFECTS", "IDEMPOTENT"],
        ),
        (
            "retention",
            &["RETENTION_UNKNOWN", "RETENTION_RUNTIME", "RETENTION_SOURCE"],
        ),
    ];
    let ident = match &v.kind {
        ValueKind::Ident {
            negative: false,
            name,
        } => Some(name.as_str()),
        _ => None,
    };
    if BOOLS.contains(&name) && !matches!(ident, Some("true" | "false")) {
        return Err(format!("option `{name}` expects `true` or `false`"));
    }
    if STRINGS.contains(&name) && !matches!(v.kind, ValueKind::Str(_)) {
        return Err(format!("option `{name}` expects a string"));
    }
    if let Some((_, allowed)) = enums.iter().find(|(n, _)| *n == name)
        && !ident.is_some_and(|i| allowed.contains(&i))
    {
        return Err(format!(
            "option `{name}` expects one of {}",
            allowed.join(", ")
        ));
    }
    Ok(())
}

/// Reports each range that overlaps an earlier one (by start).
fn overlaps(
    ranges: &mut [(i32, i32, Span, &str)],
    file: FileId,
    errs: &mut Vec<(FileId, Span, String)>,
) {
    ranges.sort_by_key(|r| (r.0, r.1));
    let mut reach: Option<(i32, &str)> = None;
    for &(start, end, span, what) in ranges.iter() {
        if let Some((prev_end, prev_what)) = reach
            && start <= prev_end
        {
            let msg = format!("{what} {start} to {end} overlaps a {prev_what}");
            errs.push((file, span, msg));
        }
        if reach.is_none_or(|(e, _)| end > e) {
            reach = Some((end, what));
        }
    }
}

/// Inclusive number ranges, merged and sorted, for membership tests in logarithmic time.
struct RangeSet(Vec<(i32, i32)>);

impl RangeSet {
    fn new(ranges: impl Iterator<Item = (i32, i32)>) -> RangeSet {
        let mut v: Vec<(i32, i32)> = ranges.filter(|(s, e)| s <= e).collect();
        v.sort_unstable();
        let mut merged: Vec<(i32, i32)> = Vec::with_capacity(v.len());
        for (s, e) in v {
            match merged.last_mut() {
                Some(last) if s <= last.1.saturating_add(1) => last.1 = last.1.max(e),
                _ => merged.push((s, e)),
            }
        }
        RangeSet(merged)
    }

    fn contains(&self, n: i32) -> bool {
        let i = self.0.partition_point(|(s, _)| *s <= n);
        i > 0 && n <= self.0[i - 1].1
    }
}

/// The parts of a field `finish_fields` looks at (copied, so the builder can be mutated meanwhile).
struct FieldFacts {
    file: FileId,
    ty: FieldType,
    label: Label,
    number: i32,
    oneof_index: Option<usize>,
    features: Features,
    has_packed: bool,
}

impl FieldFacts {
    fn of(f: &Field) -> FieldFacts {
        FieldFacts {
            file: f.file,
            ty: f.ty,
            label: f.label,
            number: f.number,
            oneof_index: f.oneof_index,
            features: f.features,
            has_packed: f.option("packed").is_some(),
        }
    }
}

/// Rough numbers of messages (with map entries and groups) and of fields in a file, to size the arenas.
fn count(f: &ast::FileAst) -> (usize, usize) {
    fn message(m: &MessageAst) -> (usize, usize) {
        // Symbols besides messages: fields (also in oneofs and extends), oneofs, nested enums and their values.
        let mut n = (
            1,
            m.fields.len()
                + m.extends.iter().map(|e| e.fields.len()).sum::<usize>()
                + m.oneofs.iter().map(|o| o.fields.len() + 1).sum::<usize>()
                + m.enums.iter().map(|e| e.values.len() + 1).sum::<usize>(),
        );
        for f in m
            .fields
            .iter()
            .chain(m.oneofs.iter().flat_map(|o| o.fields.iter()))
        {
            match &f.ty {
                FieldTypeAst::Map { .. } => n = (n.0 + 1, n.1 + 3),
                FieldTypeAst::Group(g) => {
                    let g = message(g);
                    n = (n.0 + g.0, n.1 + g.1 + 1);
                }
                FieldTypeAst::Named(_) => {}
            }
        }
        for nested in &m.messages {
            let c = message(nested);
            n = (n.0 + c.0, n.1 + c.1);
        }
        n
    }
    f.messages
        .iter()
        .map(message)
        .fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1))
}

/// The first enclosing scope of `scope` (innermost first) in which `name` is defined in full.
fn outer_definition(
    symbols: &FastMap<String, SymbolEntry>,
    scope: &str,
    name: &str,
) -> Option<String> {
    let mut scope = scope.to_string();
    loop {
        let candidate = join(&scope, name);
        if symbols.contains_key(&candidate) {
            return Some(candidate);
        }
        if scope.is_empty() {
            return None;
        }
        match scope.rfind('.') {
            Some(p) => scope.truncate(p),
            None => scope.clear(),
        }
    }
}

enum Nested<'a> {
    Message(&'a MessageAst),
    Group(&'a MessageAst),
    Map(&'a FieldAst, &'a ast::Ident, &'a ast::Ident),
}
