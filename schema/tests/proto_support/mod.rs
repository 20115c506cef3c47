//! Helpers shared by the .proto front-end tests: reading test data folders into file maps.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// `schema/testdata/proto`.
pub fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/proto")
}

/// `shared/conformance/protobuf` beside the checkout.
pub fn conformance() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance/protobuf")
}

/// Every `.proto` file under `dir`, keyed by its path relative to `dir` (with `/` separators), sorted.
pub fn read_tree(dir: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn walk(dir: &Path, base: &Path, out: &mut BTreeMap<String, String>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, base, out);
        } else if p.extension().is_some_and(|e| e == "proto") {
            let rel = p.strip_prefix(base).expect("inside base");
            let key = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            out.insert(key, std::fs::read_to_string(&p).expect("readable file"));
        }
    }
}

/// The sorted subdirectories (or files) of `dir`.
pub fn children(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(rd) => rd.map(|e| e.expect("directory entry").path()).collect(),
        Err(_) => Vec::new(),
    };
    v.sort();
    v
}

use herald_schema::proto::ast::{ValueAst, ValueKind};
use herald_schema::proto::{
    EnumType, Field, FieldPresence, FieldType, JsonFormat, Label, Message, MessageId, Module,
    OptionSetting, Syntax, Utf8Validation,
};
use std::fmt::Write as _;

/// A compact, line-oriented rendering of the entry files of a module (built-in files left out), for snapshots.
pub fn render(module: &Module) -> String {
    let mut out = String::new();
    for file in module.entry_files().filter(|f| !f.builtin) {
        let syntax = match file.syntax {
            Syntax::Proto2 => "proto2".to_string(),
            Syntax::Proto3 => "proto3".to_string(),
            Syntax::Editions(e) => format!("edition {}", e.number()),
        };
        let _ = writeln!(
            out,
            "file {} ({syntax}) package {}",
            file.path,
            file.package.as_deref().unwrap_or("-")
        );
        for d in &file.dependencies {
            let _ = writeln!(out, "  import {} {:?}", d.path, d.kind);
        }
        options(&mut out, module, "  ", &file.options);
        for &m in &file.messages {
            message(&mut out, module, m, "  ");
        }
        for &e in &file.enums {
            enum_(&mut out, module, e, "  ");
        }
        for &x in &file.extensions {
            field(&mut out, module, module.extension(x), "  ");
        }
        for &s in &file.services {
            let s = module.service(s);
            let _ = writeln!(
                out,
                "  service {} @{}",
                s.full_name,
                at(module, s.file, s.span.start)
            );
            options(&mut out, module, "    ", &s.options);
            for m in &s.methods {
                let _ = writeln!(
                    out,
                    "    rpc {}({}{}) returns ({}{}) @{}",
                    m.name,
                    if m.client_streaming { "stream " } else { "" },
                    module.message(m.input).full_name,
                    if m.server_streaming { "stream " } else { "" },
                    module.message(m.output).full_name,
                    at(module, s.file, m.span.start)
                );
                options(&mut out, module, "      ", &m.options);
            }
        }
    }
    out
}

fn at(module: &Module, file: herald_schema::proto::FileId, offset: u32) -> String {
    let lc = module.file(file).line_col(offset);
    format!("{}:{}", lc.line, lc.column)
}

fn value(v: &ValueAst) -> String {
    match &v.kind {
        ValueKind::Ident { negative, name } => {
            format!("{}{name}", if *negative { "-" } else { "" })
        }
        ValueKind::Int {
            negative,
            magnitude,
        } => {
            format!(
                "{}{}",
                if *negative { "-" } else { "" },
                magnitude.map_or("overflow".into(), |m| m.to_string())
            )
        }
        ValueKind::Float(f) => format!("{f:?}"),
        ValueKind::Str(s) => format!("{:?}", String::from_utf8_lossy(s)),
        ValueKind::Aggregate(fields) => {
            let inner: Vec<String> = fields
                .iter()
                .map(|f| {
                    let n = if f.is_extension {
                        format!("[{}]", f.name)
                    } else {
                        f.name.clone()
                    };
                    format!("{n}: {}", value(&f.value))
                })
                .collect();
            format!("{{ {} }}", inner.join(", "))
        }
        ValueKind::List(items) => format!(
            "[{}]",
            items.iter().map(value).collect::<Vec<_>>().join(", ")
        ),
    }
}

fn options(out: &mut String, module: &Module, indent: &str, opts: &[OptionSetting]) {
    for o in opts {
        let ext = o
            .extension
            .map(|x| format!("  (extension {})", module.extension(x).full_name))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "{indent}option {} = {}{ext}",
            o.name_text(),
            value(&o.value)
        );
    }
}

fn type_text(module: &Module, ty: FieldType) -> String {
    match ty.scalar_name() {
        Some(s) => s.to_string(),
        None => match ty {
            FieldType::Group(m) => format!("group {}", module.message(m).full_name),
            FieldType::Message(m) => module.message(m).full_name.clone(),
            FieldType::Enum(e) => {
                let e = module.enum_(e);
                format!(
                    "{} ({})",
                    e.full_name,
                    if e.features.enum_type == EnumType::Closed {
                        "closed"
                    } else {
                        "open"
                    }
                )
            }
            _ => unreachable!("scalars are handled above"),
        },
    }
}

fn field(out: &mut String, module: &Module, f: &Field, indent: &str) {
    let label = match f.label {
        Label::Optional => "optional",
        Label::Required => "required",
        Label::Repeated => "repeated",
    };
    let mut extra = Vec::new();
    if let Some(x) = f.extendee {
        extra.push(format!("extends {}", module.message(x).full_name));
    }
    extra.push(format!(
        "json={}{}",
        f.json_name,
        if f.json_name_explicit { "!" } else { "" }
    ));
    if f.has_presence() {
        extra.push("presence".to_string());
    }
    if f.features.field_presence == FieldPresence::Implicit && !f.has_presence() && !f.is_repeated()
    {
        extra.push("implicit".to_string());
    }
    if f.is_packed() {
        extra.push("packed".to_string());
    }
    if f.is_delimited() {
        extra.push("delimited".to_string());
    }
    if f.ty == FieldType::String && f.features.utf8_validation == Utf8Validation::Verify {
        extra.push("utf8".to_string());
    }
    if f.map {
        extra.push("map".to_string());
    }
    if f.proto3_optional {
        extra.push("proto3_optional".to_string());
    }
    if let Some(i) = f.oneof_index {
        extra.push(format!("oneof#{i}"));
    }
    if let Some(d) = &f.default_value {
        extra.push(format!("default={d:?}"));
    }
    let _ = writeln!(
        out,
        "{indent}{label} {} {} = {}  [{}] @{}",
        type_text(module, f.ty),
        f.name,
        f.number,
        extra.join(" "),
        at(module, f.file, f.span.start)
    );
    options(out, module, &format!("{indent}  "), &f.options);
}

fn message(out: &mut String, module: &Module, id: MessageId, indent: &str) {
    let m: &Message = module.message(id);
    let mut flags = Vec::new();
    if m.map_entry {
        flags.push("map_entry");
    }
    if m.group {
        flags.push("group");
    }
    if m.features.json_format == JsonFormat::LegacyBestEffort {
        flags.push("json=legacy");
    }
    let vis = m
        .visibility
        .map(|v| format!("{v:?} ").to_lowercase())
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "{indent}{vis}message {} [{}] @{}",
        m.full_name,
        flags.join(" "),
        at(module, m.file, m.span.start)
    );
    let inner = format!("{indent}  ");
    options(out, module, &inner, &m.options);
    for f in &m.fields {
        field(out, module, f, &inner);
    }
    for (i, o) in m.oneofs.iter().enumerate() {
        let _ = writeln!(
            out,
            "{inner}oneof#{i} {}{}",
            o.name,
            if o.synthetic { " (synthetic)" } else { "" }
        );
    }
    for r in &m.reserved_ranges {
        let _ = writeln!(out, "{inner}reserved {} to {}", r.start, r.end);
    }
    for r in &m.reserved_names {
        let _ = writeln!(out, "{inner}reserved {:?}", r.name);
    }
    for r in &m.extension_ranges {
        let _ = writeln!(
            out,
            "{inner}extensions {} to {}",
            r.range.start, r.range.end
        );
    }
    for &x in &m.extensions {
        field(out, module, module.extension(x), &inner);
    }
    for &n in &m.messages {
        message(out, module, n, &inner);
    }
    for &e in &m.enums {
        enum_(out, module, e, &inner);
    }
}

fn enum_(out: &mut String, module: &Module, id: herald_schema::proto::EnumId, indent: &str) {
    let e = module.enum_(id);
    let kind = if e.is_closed() { "closed" } else { "open" };
    let vis = e
        .visibility
        .map(|v| format!("{v:?} ").to_lowercase())
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "{indent}{vis}enum {} ({kind}) @{}",
        e.full_name,
        at(module, e.file, e.span.start)
    );
    options(out, module, &format!("{indent}  "), &e.options);
    for v in &e.values {
        let _ = writeln!(out, "{indent}  {} = {}", v.name, v.number);
        options(out, module, &format!("{indent}    "), &v.options);
    }
    for r in &e.reserved_ranges {
        let _ = writeln!(out, "{indent}  reserved {} to {}", r.start, r.end);
    }
    for r in &e.reserved_names {
        let _ = writeln!(out, "{indent}  reserved {:?}", r.name);
    }
}
