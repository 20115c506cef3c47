//! Read-only helpers over the front end's model: option values as text, language features (`(pb.cpp)`,
//! `(pb.java)`), package-relative names, kinds, cardinalities and locations.

use herald_schema::proto::ast::ValueKind;
use herald_schema::proto::{
    Edition, Field, FieldType, File, FileId, Label, MessageId, Module, OptionSetting, Syntax,
};
use herald_schema::span::Span;

use crate::violation::Location;

/// An option's value as text: strings unquoted, identifiers and numbers as written.
pub(crate) fn option_text(option: &OptionSetting) -> String {
    match &option.value.kind {
        ValueKind::Ident { negative, name } => {
            format!("{}{name}", if *negative { "-" } else { "" })
        }
        ValueKind::Int {
            negative,
            magnitude,
        } => format!(
            "{}{}",
            if *negative { "-" } else { "" },
            magnitude.map_or("overflow".to_owned(), |m| m.to_string())
        ),
        ValueKind::Float(f) => f.to_string(),
        ValueKind::Str(bytes) => String::from_utf8_lossy(bytes).into_owned(),
        ValueKind::Aggregate(_) | ValueKind::List(_) => "{...}".to_owned(),
    }
}

/// The value of option `name` among `options` as text, or `default`.
pub(crate) fn option_or(options: &[OptionSetting], name: &str, default: &str) -> String {
    options
        .iter()
        .rev()
        .find(|o| o.is_simple(name))
        .map_or_else(|| default.to_owned(), option_text)
}

/// The span of option `name`, if it is set.
pub(crate) fn option_span(options: &[OptionSetting], name: &str) -> Option<Span> {
    options
        .iter()
        .rev()
        .find(|o| o.is_simple(name))
        .map(|o| o.span)
}

/// The value of a language feature (`features.(pb.cpp).string_type`) set directly in `options`.
fn feature_in(options: &[OptionSetting], extension: &str, feature: &str) -> Option<String> {
    options.iter().rev().find_map(|o| {
        let parts = &o.name;
        let direct = parts.len() == 3
            && !parts[0].is_extension
            && parts[0].name == "features"
            && parts[1].is_extension
            && parts[1].name.trim_start_matches('.') == extension
            && !parts[2].is_extension
            && parts[2].name == feature;
        if direct {
            return Some(option_text(o));
        }
        // `features.(pb.cpp) = { string_type: VIEW }`
        let aggregate = parts.len() == 2
            && !parts[0].is_extension
            && parts[0].name == "features"
            && parts[1].is_extension
            && parts[1].name.trim_start_matches('.') == extension;
        if aggregate && let ValueKind::Aggregate(fields) = &o.value.kind {
            return fields
                .iter()
                .rev()
                .find(|f| f.name == feature)
                .map(|f| match &f.value.kind {
                    ValueKind::Ident { name, .. } => name.clone(),
                    _ => String::new(),
                });
        }
        None
    })
}

/// A language feature resolved for a field: the field, its enclosing messages, then its file.
pub(crate) fn field_language_feature(
    module: &Module,
    field: &Field,
    parent: Option<MessageId>,
    extension: &str,
    feature: &str,
) -> Option<String> {
    if let Some(v) = feature_in(&field.options, extension, feature) {
        return Some(v);
    }
    let mut scope = parent;
    while let Some(id) = scope {
        let m = module.message(id);
        if let Some(v) = feature_in(&m.options, extension, feature) {
            return Some(v);
        }
        scope = m.parent;
    }
    feature_in(&module.file(field.file).options, extension, feature)
}

/// `pkg.Outer.Inner` → `Outer.Inner`: a name relative to its file's package.
pub(crate) fn nested_name<'a>(full_name: &'a str, package: Option<&str>) -> &'a str {
    match package {
        Some(p) if !p.is_empty() => full_name
            .strip_prefix(p)
            .and_then(|r| r.strip_prefix('.'))
            .unwrap_or(full_name),
        _ => full_name,
    }
}

/// `Outer.Inner` in package `pkg` → `pkg.Outer.Inner`.
pub(crate) fn qualify(package: Option<&str>, nested: &str) -> String {
    match package {
        Some(p) if !p.is_empty() => format!("{p}.{nested}"),
        _ => nested.to_owned(),
    }
}

/// A field's kind as protoreflect sees it: delimited messages are groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Kind {
    Double,
    Float,
    Int64,
    Uint64,
    Int32,
    Fixed64,
    Fixed32,
    Bool,
    String,
    Bytes,
    Uint32,
    Sfixed32,
    Sfixed64,
    Sint32,
    Sint64,
    Group,
    Message,
    Enum,
}

pub(crate) fn kind(field: &Field) -> Kind {
    match field.ty {
        FieldType::Double => Kind::Double,
        FieldType::Float => Kind::Float,
        FieldType::Int64 => Kind::Int64,
        FieldType::Uint64 => Kind::Uint64,
        FieldType::Int32 => Kind::Int32,
        FieldType::Fixed64 => Kind::Fixed64,
        FieldType::Fixed32 => Kind::Fixed32,
        FieldType::Bool => Kind::Bool,
        FieldType::String => Kind::String,
        FieldType::Bytes => Kind::Bytes,
        FieldType::Uint32 => Kind::Uint32,
        FieldType::Sfixed32 => Kind::Sfixed32,
        FieldType::Sfixed64 => Kind::Sfixed64,
        FieldType::Sint32 => Kind::Sint32,
        FieldType::Sint64 => Kind::Sint64,
        FieldType::Group(_) => Kind::Group,
        FieldType::Message(_) if field.is_delimited() => Kind::Group,
        FieldType::Message(_) => Kind::Message,
        FieldType::Enum(_) => Kind::Enum,
    }
}

/// How buf prints a kind.
pub(crate) fn kind_text(module: &Module, field: &Field) -> &'static str {
    let k = kind(field);
    match k {
        Kind::Group if module.file(field.file).syntax != Syntax::Proto2 => {
            "message (delimited encoding)"
        }
        Kind::Group => "group",
        Kind::Message => "message",
        Kind::Enum => "enum",
        _ => field.ty.scalar_name().unwrap_or("?"),
    }
}

/// buf's cardinalities (`cardinality.go`): what a field holds and whether it tracks presence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Cardinality {
    OptionalExplicit,
    OptionalImplicit,
    Required,
    Repeated,
    Map,
}

impl Cardinality {
    pub(crate) fn of(field: &Field) -> Cardinality {
        if field.map {
            Cardinality::Map
        } else if field.is_repeated() {
            Cardinality::Repeated
        } else if field.label == Label::Required {
            Cardinality::Required
        } else if field.has_presence() {
            Cardinality::OptionalExplicit
        } else {
            Cardinality::OptionalImplicit
        }
    }

    pub(crate) fn text(self) -> &'static str {
        match self {
            Cardinality::OptionalExplicit => "optional with explicit presence",
            Cardinality::OptionalImplicit => "optional with implicit presence",
            Cardinality::Required => "required",
            Cardinality::Repeated => "repeated",
            Cardinality::Map => "map",
        }
    }

    /// Binary-compatible groups: optional either way, required, repeated or map.
    pub(crate) fn wire_group(self) -> u8 {
        match self {
            Cardinality::OptionalExplicit | Cardinality::OptionalImplicit => 1,
            Cardinality::Required => 2,
            Cardinality::Repeated | Cardinality::Map => 3,
        }
    }

    /// Binary- and JSON-compatible groups: maps and lists differ in JSON.
    pub(crate) fn wire_json_group(self) -> u8 {
        match self {
            Cardinality::Map => 4,
            other => other.wire_group(),
        }
    }
}

/// The edition of a file, for features whose defaults differ by edition.
pub(crate) fn edition(file: &File) -> Option<Edition> {
    match file.syntax {
        Syntax::Editions(e) => Some(e),
        _ => None,
    }
}

/// A 1-based line/column and the path of the file a span is in.
pub(crate) fn site(module: &Module, file: FileId, span: Span) -> (String, Location) {
    let (path, lc) = module.location(file, span);
    (
        path.to_owned(),
        Location {
            line: lc.line,
            column: lc.column,
        },
    )
}
