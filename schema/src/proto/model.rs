//! The resolved descriptor model: files, messages, fields, enums, services and extensions of a compiled module,
//! with fully-qualified names, resolved types, resolved editions features and a span on every element.

pub use super::ast::Visibility;
use super::ast::{OptionNamePart, ValueAst, ValueKind};
use super::features::Features;
use crate::span::{LineCol, LineIndex, Span};

macro_rules! id_type {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub(crate) u32);

        impl $name {
            /// The position of the element in its arena in [`Module`].
            pub fn index(self) -> usize {
                self.0 as usize
            }
        }
    };
}

id_type!(
    /// A file of a [`Module`].
    FileId
);
id_type!(
    /// A message (including map entries and groups) of a [`Module`].
    MessageId
);
id_type!(
    /// An enum of a [`Module`].
    EnumId
);
id_type!(
    /// A service of a [`Module`].
    ServiceId
);
id_type!(
    /// An extension field (declared in an `extend` block) of a [`Module`].
    ExtensionId
);

/// A set of resolved .proto files: every file reachable from the entry files, in dependency order.
#[derive(Debug, Clone)]
pub struct Module {
    pub(crate) files: Vec<File>,
    pub(crate) messages: Vec<Message>,
    pub(crate) enums: Vec<Enum>,
    pub(crate) services: Vec<Service>,
    pub(crate) extensions: Vec<Field>,
    pub(crate) symbols: super::fasthash::FastMap<String, SymbolEntry>,
    pub(crate) entry: Vec<FileId>,
}

/// Anything with a fully-qualified name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Symbol {
    Package,
    Message(MessageId),
    Enum(EnumId),
    /// A value of an enum; its name lives in the enum's parent scope, as in C++.
    EnumValue(EnumId, usize),
    Service(ServiceId),
    /// A method (rpc) of a service, by index.
    Method(ServiceId, usize),
    /// A field of a message, by index into [`Message::fields`].
    Field(MessageId, usize),
    /// A oneof of a message, by index into [`Message::oneofs`].
    Oneof(MessageId, usize),
    Extension(ExtensionId),
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct SymbolEntry {
    pub symbol: Symbol,
    /// `None` for packages (which can span files).
    pub file: Option<FileId>,
}

/// The language of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Syntax {
    Proto2,
    Proto3,
    Editions(Edition),
}

impl Syntax {
    /// The value of `FileDescriptorProto.syntax`.
    pub fn descriptor_syntax(self) -> Option<&'static str> {
        match self {
            Syntax::Proto2 => Some("proto2"),
            Syntax::Proto3 => Some("proto3"),
            Syntax::Editions(_) => Some("editions"),
        }
    }
}

/// A protobuf edition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Edition {
    E2023,
    E2024,
}

impl Edition {
    /// The `google.protobuf.Edition` enum number.
    pub fn number(self) -> i32 {
        match self {
            Edition::E2023 => 1000,
            Edition::E2024 => 1001,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportKind {
    Default,
    Public,
    Weak,
    /// `import option` (edition 2024): only for custom options; not written to `dependency` in descriptors.
    Option,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Dependency {
    pub path: String,
    pub kind: ImportKind,
    pub file: FileId,
    pub span: Span,
}

/// One option setting as written, with the extension its first `(...)` part resolved to (custom options).
#[derive(Debug, Clone, PartialEq)]
pub struct OptionSetting {
    pub name: Vec<OptionNamePart>,
    pub value: ValueAst,
    pub span: Span,
    /// For custom options (`(foo.bar) = ...`), the extension named by the first part.
    pub extension: Option<ExtensionId>,
}

impl OptionSetting {
    /// The option name as written, e.g. `(my.opt).field` or `features.field_presence`.
    pub fn name_text(&self) -> String {
        let mut s = String::new();
        for (i, p) in self.name.iter().enumerate() {
            if i > 0 {
                s.push('.');
            }
            if p.is_extension {
                s.push('(');
                s.push_str(&p.name);
                s.push(')');
            } else {
                s.push_str(&p.name);
            }
        }
        s
    }

    /// True for a plain option `name = value` with the single part `name`.
    pub fn is_simple(&self, name: &str) -> bool {
        self.name.len() == 1 && !self.name[0].is_extension && self.name[0].name == name
    }

    /// The value when it is a string literal (invalid UTF-8 replaced).
    pub fn as_str(&self) -> Option<String> {
        match &self.value.kind {
            ValueKind::Str(s) => Some(String::from_utf8_lossy(s).into_owned()),
            _ => None,
        }
    }

    /// The value when it is `true` or `false`.
    pub fn as_bool(&self) -> Option<bool> {
        match self.as_ident()? {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        }
    }

    /// The value when it is an identifier (an enum value name such as `NO_SIDE_EFFECTS`, `true`, `inf`).
    pub fn as_ident(&self) -> Option<&str> {
        match &self.value.kind {
            ValueKind::Ident {
                negative: false,
                name,
            } => Some(name),
            _ => None,
        }
    }

    /// The value when it is an integer that fits in an `i64`.
    pub fn as_i64(&self) -> Option<i64> {
        match self.value.kind {
            ValueKind::Int {
                negative,
                magnitude: Some(m),
            } => {
                if negative {
                    0i64.checked_sub_unsigned(m)
                } else {
                    i64::try_from(m).ok()
                }
            }
            _ => None,
        }
    }
}

/// A .proto file.
#[derive(Debug, Clone)]
pub struct File {
    pub id: FileId,
    /// The path as imported (relative to an include root), e.g. `shop/v1/order.proto`.
    pub path: String,
    pub package: Option<String>,
    /// Where the package name is written.
    pub package_span: Option<Span>,
    /// Where the whole `package ...;` statement is written (buf reports package findings here).
    pub package_statement_span: Option<Span>,
    pub syntax: Syntax,
    /// Where `syntax = ...` or `edition = ...` was written (`None` when omitted: proto2).
    pub syntax_span: Option<Span>,
    pub dependencies: Vec<Dependency>,
    pub messages: Vec<MessageId>,
    pub enums: Vec<EnumId>,
    pub services: Vec<ServiceId>,
    pub extensions: Vec<ExtensionId>,
    pub options: Vec<OptionSetting>,
    pub features: Features,
    /// True for the well-known types built into Herald (when not supplied by the caller).
    pub builtin: bool,
    pub(crate) text: String,
    pub(crate) line_index: LineIndex,
}

impl File {
    /// The source text the file was parsed from.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Line and column (1-based) of a byte offset in this file.
    pub fn line_col(&self, offset: u32) -> LineCol {
        self.line_index.line_col(&self.text, offset)
    }

    /// The value of a plain option (`option java_package = "x";`), if set.
    pub fn option(&self, name: &str) -> Option<&OptionSetting> {
        self.options.iter().find(|o| o.is_simple(name))
    }
}

/// A message type (also the synthesized entry message of a map field and the message of a proto2 group).
#[derive(Debug, Clone)]
pub struct Message {
    pub id: MessageId,
    pub name: String,
    /// Fully-qualified name without a leading dot, e.g. `shop.v1.Order.Line`.
    pub full_name: String,
    pub file: FileId,
    pub parent: Option<MessageId>,
    /// Fields in declaration order, oneof members included.
    pub fields: Vec<Field>,
    /// Real oneofs first, then the synthetic oneofs of proto3 `optional` fields, as protoc orders them.
    pub oneofs: Vec<Oneof>,
    /// Nested messages in declaration order (map entries and groups included, where they were declared).
    pub messages: Vec<MessageId>,
    pub enums: Vec<EnumId>,
    /// Extensions declared in `extend` blocks inside this message.
    pub extensions: Vec<ExtensionId>,
    pub extension_ranges: Vec<ExtensionRange>,
    pub reserved_ranges: Vec<FieldRange>,
    pub reserved_names: Vec<Reserved>,
    pub options: Vec<OptionSetting>,
    pub features: Features,
    /// The synthesized entry message of a map field.
    pub map_entry: bool,
    /// The message of a proto2 group field.
    pub group: bool,
    /// `export` / `local` as written (edition 2024).
    pub visibility: Option<Visibility>,
    /// Whether other files may use this message (edition 2024 visibility; always true before 2024).
    pub exported: bool,
    pub span: Span,
    pub name_span: Span,
    pub comment: Option<String>,
    /// The comment after the declaration on the same line.
    pub trailing_comment: Option<String>,
}

impl Message {
    /// The field with this number.
    pub fn field_by_number(&self, number: i32) -> Option<&Field> {
        self.fields.iter().find(|f| f.number == number)
    }

    /// The field with this name.
    pub fn field_by_name(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    pub fn option(&self, name: &str) -> Option<&OptionSetting> {
        self.options.iter().find(|o| o.is_simple(name))
    }

    /// True when `number` is in a `reserved` range.
    pub fn is_reserved_number(&self, number: i32) -> bool {
        self.reserved_ranges.iter().any(|r| r.contains(number))
    }

    /// True when `name` is a `reserved` name.
    pub fn is_reserved_name(&self, name: &str) -> bool {
        self.reserved_names.iter().any(|r| r.name == name)
    }

    /// True when `number` is in an extension range.
    pub fn is_extension_number(&self, number: i32) -> bool {
        self.extension_ranges
            .iter()
            .any(|r| r.range.contains(number))
    }

    /// The real (not synthetic) oneofs, with their indexes.
    pub fn real_oneofs(&self) -> impl Iterator<Item = (usize, &Oneof)> {
        self.oneofs.iter().enumerate().filter(|(_, o)| !o.synthetic)
    }
}

impl FieldRange {
    /// True when `n` lies in the range (both ends included).
    pub fn contains(&self, n: i32) -> bool {
        self.start <= n && n <= self.end
    }
}

/// A range of field numbers, inclusive at both ends (descriptors store it end-exclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldRange {
    pub start: i32,
    pub end: i32,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ExtensionRange {
    pub range: FieldRange,
    pub options: Vec<OptionSetting>,
}

/// A reserved name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reserved {
    pub name: String,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Oneof {
    pub name: String,
    pub options: Vec<OptionSetting>,
    /// The oneof protoc synthesizes for a proto3 `optional` field.
    pub synthetic: bool,
    pub span: Span,
    /// The name as written (for a synthetic oneof, its field's name).
    pub name_span: Span,
}

/// A field's label as in the descriptor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Label {
    Optional,
    Required,
    Repeated,
}

/// A field's resolved type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldType {
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
    Message(MessageId),
    /// A proto2 group (the message is its body); editions express this as a `DELIMITED` message field.
    Group(MessageId),
    Enum(EnumId),
}

impl FieldType {
    pub(crate) fn scalar(name: &str) -> Option<FieldType> {
        Some(match name {
            "double" => FieldType::Double,
            "float" => FieldType::Float,
            "int64" => FieldType::Int64,
            "uint64" => FieldType::Uint64,
            "int32" => FieldType::Int32,
            "fixed64" => FieldType::Fixed64,
            "fixed32" => FieldType::Fixed32,
            "bool" => FieldType::Bool,
            "string" => FieldType::String,
            "bytes" => FieldType::Bytes,
            "uint32" => FieldType::Uint32,
            "sfixed32" => FieldType::Sfixed32,
            "sfixed64" => FieldType::Sfixed64,
            "sint32" => FieldType::Sint32,
            "sint64" => FieldType::Sint64,
            _ => return None,
        })
    }

    /// The keyword of a scalar type, `None` for messages, groups and enums.
    pub fn scalar_name(self) -> Option<&'static str> {
        Some(match self {
            FieldType::Double => "double",
            FieldType::Float => "float",
            FieldType::Int64 => "int64",
            FieldType::Uint64 => "uint64",
            FieldType::Int32 => "int32",
            FieldType::Fixed64 => "fixed64",
            FieldType::Fixed32 => "fixed32",
            FieldType::Bool => "bool",
            FieldType::String => "string",
            FieldType::Bytes => "bytes",
            FieldType::Uint32 => "uint32",
            FieldType::Sfixed32 => "sfixed32",
            FieldType::Sfixed64 => "sfixed64",
            FieldType::Sint32 => "sint32",
            FieldType::Sint64 => "sint64",
            _ => return None,
        })
    }

    /// Scalar numeric types, bools and enums: the types that can be packed.
    pub fn is_packable(self) -> bool {
        !matches!(
            self,
            FieldType::String | FieldType::Bytes | FieldType::Message(_) | FieldType::Group(_)
        )
    }

    /// The `FieldDescriptorProto.Type` number.
    pub fn descriptor_type(self) -> i32 {
        match self {
            FieldType::Double => 1,
            FieldType::Float => 2,
            FieldType::Int64 => 3,
            FieldType::Uint64 => 4,
            FieldType::Int32 => 5,
            FieldType::Fixed64 => 6,
            FieldType::Fixed32 => 7,
            FieldType::Bool => 8,
            FieldType::String => 9,
            FieldType::Group(_) => 10,
            FieldType::Message(_) => 11,
            FieldType::Bytes => 12,
            FieldType::Uint32 => 13,
            FieldType::Enum(_) => 14,
            FieldType::Sfixed32 => 15,
            FieldType::Sfixed64 => 16,
            FieldType::Sint32 => 17,
            FieldType::Sint64 => 18,
        }
    }
}

/// A field of a message, or an extension.
#[derive(Debug, Clone)]
pub struct Field {
    pub name: String,
    /// Fully-qualified name, e.g. `shop.v1.Order.id` (for extensions, the scope of the `extend` block plus the name).
    pub full_name: String,
    pub file: FileId,
    pub number: i32,
    pub label: Label,
    pub ty: FieldType,
    /// The type name as written (`Order`, `.shop.v1.Order`), for messages, enums and groups.
    pub type_name_written: Option<String>,
    /// For extensions: the extended message.
    pub extendee: Option<MessageId>,
    /// The default value as protoc writes it in `FieldDescriptorProto.default_value`.
    pub default_value: Option<String>,
    pub json_name: String,
    /// True when `json_name` was set with the `json_name` option.
    pub json_name_explicit: bool,
    /// Index into the message's [`Message::oneofs`].
    pub oneof_index: Option<usize>,
    /// A proto3 `optional` field (it sits in a synthetic oneof).
    pub proto3_optional: bool,
    /// A map field (its type is the synthesized entry message).
    pub map: bool,
    pub options: Vec<OptionSetting>,
    pub features: Features,
    pub span: Span,
    pub name_span: Span,
    /// Where the field number is written.
    pub number_span: Span,
    /// Where the type is written (`map<...>` for maps, the group name for groups).
    pub type_span: Span,
    pub comment: Option<String>,
    /// The comment after the declaration on the same line.
    pub trailing_comment: Option<String>,
}

impl Field {
    pub fn option(&self, name: &str) -> Option<&OptionSetting> {
        self.options.iter().find(|o| o.is_simple(name))
    }

    pub fn is_repeated(&self) -> bool {
        self.label == Label::Repeated
    }

    /// True when the field tracks presence (has-bit / `Option`): explicit presence, required, message fields and
    /// oneof members.
    pub fn has_presence(&self) -> bool {
        use super::features::FieldPresence;
        !self.is_repeated()
            && (self.oneof_index.is_some()
                || matches!(self.ty, FieldType::Message(_) | FieldType::Group(_))
                || self.features.field_presence != FieldPresence::Implicit)
    }

    /// True for proto2 `required` and editions `LEGACY_REQUIRED` fields.
    pub fn is_required(&self) -> bool {
        self.label == Label::Required
    }

    /// True when a repeated scalar field is written packed.
    pub fn is_packed(&self) -> bool {
        use super::features::RepeatedFieldEncoding;
        self.is_repeated()
            && self.ty.is_packable()
            && self.features.repeated_field_encoding == RepeatedFieldEncoding::Packed
    }

    /// True when a message field is encoded as a group (proto2 groups, editions `DELIMITED`).
    pub fn is_delimited(&self) -> bool {
        use super::features::MessageEncoding;
        matches!(self.ty, FieldType::Group(_))
            || (matches!(self.ty, FieldType::Message(_))
                && self.features.message_encoding == MessageEncoding::Delimited)
    }
}

#[derive(Debug, Clone)]
pub struct Enum {
    pub id: EnumId,
    pub name: String,
    pub full_name: String,
    pub file: FileId,
    pub parent: Option<MessageId>,
    pub values: Vec<EnumValue>,
    pub reserved_ranges: Vec<FieldRange>,
    pub reserved_names: Vec<Reserved>,
    pub options: Vec<OptionSetting>,
    pub features: Features,
    /// `export` / `local` as written (edition 2024).
    pub visibility: Option<Visibility>,
    /// Whether other files may use this enum (edition 2024 visibility; always true before 2024).
    pub exported: bool,
    pub span: Span,
    pub name_span: Span,
    pub comment: Option<String>,
    /// The comment after the declaration on the same line.
    pub trailing_comment: Option<String>,
}

impl Enum {
    /// Closed enums (proto2, `features.enum_type = CLOSED`) treat unknown numbers as unknown fields.
    pub fn is_closed(&self) -> bool {
        self.features.enum_type == super::features::EnumType::Closed
    }

    pub fn value_by_name(&self, name: &str) -> Option<&EnumValue> {
        self.values.iter().find(|v| v.name == name)
    }

    /// The first value with this number (several when aliases are allowed).
    pub fn value_by_number(&self, number: i32) -> Option<&EnumValue> {
        self.values.iter().find(|v| v.number == number)
    }

    /// True when `number` is in a `reserved` range.
    pub fn is_reserved_number(&self, number: i32) -> bool {
        self.reserved_ranges.iter().any(|r| r.contains(number))
    }

    /// True when `name` is a `reserved` name.
    pub fn is_reserved_name(&self, name: &str) -> bool {
        self.reserved_names.iter().any(|r| r.name == name)
    }

    pub fn option(&self, name: &str) -> Option<&OptionSetting> {
        self.options.iter().find(|o| o.is_simple(name))
    }
}

#[derive(Debug, Clone)]
pub struct EnumValue {
    pub name: String,
    pub full_name: String,
    pub number: i32,
    pub options: Vec<OptionSetting>,
    pub features: Features,
    pub span: Span,
    pub name_span: Span,
    pub number_span: Span,
    pub comment: Option<String>,
    /// The comment after the declaration on the same line.
    pub trailing_comment: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Service {
    pub id: ServiceId,
    pub name: String,
    pub full_name: String,
    pub file: FileId,
    pub methods: Vec<Method>,
    pub options: Vec<OptionSetting>,
    pub features: Features,
    pub span: Span,
    pub name_span: Span,
    pub comment: Option<String>,
    /// The comment after the declaration on the same line.
    pub trailing_comment: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Method {
    pub name: String,
    pub full_name: String,
    pub input: MessageId,
    pub output: MessageId,
    pub client_streaming: bool,
    pub server_streaming: bool,
    pub options: Vec<OptionSetting>,
    pub features: Features,
    pub span: Span,
    pub name_span: Span,
    /// Where the request and response types are written.
    pub input_span: Span,
    pub output_span: Span,
    pub comment: Option<String>,
    /// The comment after the declaration on the same line.
    pub trailing_comment: Option<String>,
}

impl Method {
    pub fn option(&self, name: &str) -> Option<&OptionSetting> {
        self.options.iter().find(|o| o.is_simple(name))
    }
}

/// Any element of a module that can carry options, for walks up the scope chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Element {
    File(FileId),
    Message(MessageId),
    /// A field of a message, by index into [`Message::fields`].
    Field(MessageId, usize),
    /// A oneof of a message, by index into [`Message::oneofs`].
    Oneof(MessageId, usize),
    Extension(ExtensionId),
    Enum(EnumId),
    /// A value of an enum, by index into [`Enum::values`].
    EnumValue(EnumId, usize),
    Service(ServiceId),
    /// A method of a service, by index into [`Service::methods`].
    Method(ServiceId, usize),
}

impl Module {
    /// The options written on an element.
    pub fn options_of(&self, element: Element) -> &[OptionSetting] {
        match element {
            Element::File(f) => &self.file(f).options,
            Element::Message(m) => &self.message(m).options,
            Element::Field(m, i) => &self.message(m).fields[i].options,
            Element::Oneof(m, i) => &self.message(m).oneofs[i].options,
            Element::Extension(x) => &self.extension(x).options,
            Element::Enum(e) => &self.enum_(e).options,
            Element::EnumValue(e, i) => &self.enum_(e).values[i].options,
            Element::Service(s) => &self.service(s).options,
            Element::Method(s, i) => &self.service(s).methods[i].options,
        }
    }

    /// The element whose features an element inherits: field → oneof (if any) → message → enclosing messages →
    /// file; enum value → enum; method → service; an extension → the message its `extend` block is in, or the
    /// file.
    pub fn feature_parent(&self, element: Element) -> Option<Element> {
        let scope_of_message = |m: MessageId| match self.message(m).parent {
            Some(p) => Element::Message(p),
            None => Element::File(self.message(m).file),
        };
        Some(match element {
            Element::File(_) => return None,
            Element::Message(m) => scope_of_message(m),
            Element::Field(m, i) => match self.message(m).fields[i].oneof_index {
                Some(o) if !self.message(m).oneofs[o].synthetic => Element::Oneof(m, o),
                _ => Element::Message(m),
            },
            Element::Oneof(m, _) => Element::Message(m),
            Element::Extension(x) => {
                let f = self.extension(x);
                let scope = f.full_name.rsplit_once('.').map(|(s, _)| s);
                match scope.and_then(|s| self.lookup(s)) {
                    Some(Symbol::Message(m)) => Element::Message(m),
                    _ => Element::File(f.file),
                }
            }
            Element::Enum(e) => match self.enum_(e).parent {
                Some(p) => Element::Message(p),
                None => Element::File(self.enum_(e).file),
            },
            Element::EnumValue(e, _) => Element::Enum(e),
            Element::Service(s) => Element::File(self.service(s).file),
            Element::Method(s, _) => Element::Service(s),
        })
    }

    /// The nearest explicit setting of a feature for an element: its own `features.<name>` option, else its
    /// parent's, and so on up to the file. `name` is written as after `features.`: `field_presence`,
    /// `(pb.cpp).string_type`. `None` means the edition's default applies. The six core features are also
    /// resolved on every element's `features`; this serves language features and rules that care where a feature
    /// was set.
    pub fn feature_setting(
        &self,
        element: Element,
        name: &str,
    ) -> Option<(Element, &OptionSetting)> {
        let mut current = Some(element);
        while let Some(e) = current {
            let found = self.options_of(e).iter().rev().find(|o| {
                o.name
                    .first()
                    .is_some_and(|p| !p.is_extension && p.name == "features")
                    && o.name_text().strip_prefix("features.") == Some(name)
            });
            if let Some(o) = found {
                return Some((e, o));
            }
            current = self.feature_parent(e);
        }
        None
    }

    /// All files, dependencies before the files that import them.
    pub fn files(&self) -> &[File] {
        &self.files
    }

    /// The files that were asked for (not those only reached through imports).
    pub fn entry_files(&self) -> impl Iterator<Item = &File> {
        self.entry.iter().map(|&id| self.file(id))
    }

    pub fn file(&self, id: FileId) -> &File {
        &self.files[id.index()]
    }

    pub fn file_by_path(&self, path: &str) -> Option<&File> {
        self.files.iter().find(|f| f.path == path)
    }

    pub fn message(&self, id: MessageId) -> &Message {
        &self.messages[id.index()]
    }

    pub fn enum_(&self, id: EnumId) -> &Enum {
        &self.enums[id.index()]
    }

    pub fn service(&self, id: ServiceId) -> &Service {
        &self.services[id.index()]
    }

    pub fn extension(&self, id: ExtensionId) -> &Field {
        &self.extensions[id.index()]
    }

    /// Every message of every file (nested ones included).
    pub fn messages(&self) -> &[Message] {
        &self.messages
    }

    pub fn enums(&self) -> &[Enum] {
        &self.enums
    }

    pub fn services(&self) -> &[Service] {
        &self.services
    }

    pub fn extensions(&self) -> &[Field] {
        &self.extensions
    }

    /// What a fully-qualified name (with or without a leading dot) denotes.
    pub fn lookup(&self, full_name: &str) -> Option<Symbol> {
        let name = full_name.strip_prefix('.').unwrap_or(full_name);
        self.symbols.get(name).map(|e| e.symbol)
    }

    pub fn message_by_name(&self, full_name: &str) -> Option<&Message> {
        match self.lookup(full_name)? {
            Symbol::Message(id) => Some(self.message(id)),
            _ => None,
        }
    }

    pub fn enum_by_name(&self, full_name: &str) -> Option<&Enum> {
        match self.lookup(full_name)? {
            Symbol::Enum(id) => Some(self.enum_(id)),
            _ => None,
        }
    }

    pub fn service_by_name(&self, full_name: &str) -> Option<&Service> {
        match self.lookup(full_name)? {
            Symbol::Service(id) => Some(self.service(id)),
            _ => None,
        }
    }

    /// A field (`pkg.Msg.field`) or an extension (`pkg.ext`).
    pub fn field_by_name(&self, full_name: &str) -> Option<&Field> {
        match self.lookup(full_name)? {
            Symbol::Field(m, i) => Some(&self.message(m).fields[i]),
            Symbol::Extension(id) => Some(self.extension(id)),
            _ => None,
        }
    }

    /// The file path and line/column where a span of a file starts.
    pub fn location(&self, file: FileId, span: Span) -> (&str, LineCol) {
        let f = self.file(file);
        (&f.path, f.line_col(span.start))
    }

    /// The fully-qualified name of a field's message, enum or group type (with a leading dot), as descriptors write it.
    pub fn type_name(&self, ty: FieldType) -> Option<String> {
        match ty {
            FieldType::Message(m) | FieldType::Group(m) => {
                Some(format!(".{}", self.message(m).full_name))
            }
            FieldType::Enum(e) => Some(format!(".{}", self.enum_(e).full_name)),
            _ => None,
        }
    }
}
