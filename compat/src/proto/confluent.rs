//! The `CONFLUENT` rule set: what Confluent Schema Registry's protobuf BACKWARD check (`SchemaDiff.compare`)
//! rejects, as a diff of a root file's types between an old and a new module.
//!
//! The walk follows Confluent: the root file's package, every message declared in the root file (top-level and
//! nested, map entries excluded) by its package-relative name, and the messages reachable through fields,
//! recursively and across imports. Fields are matched by number across the whole message, independent of oneofs.
//! Enums, services, options, reserved ranges, syntax, defaults, extensions and JSON names are not compared. Only the
//! incompatible `Difference` types are rules; the compatible ones (a field added or removed, a renamed field, an
//! enum constant added or removed, ...) produce nothing.
//!
//! Labels follow Square Wire's parser, which Confluent uses: an unlabelled proto3 or editions field has no label,
//! so labels are compared only when both sides wrote one; editions `LEGACY_REQUIRED` is a feature, not a label, so it
//! is not a required field here (Confluent's label for those cases is of low confidence; this is the reasoned
//! reading of its code, and the buf categories are where Herald is stricter).

use std::collections::HashSet;

use herald_schema::proto::{Field, FieldType, File, Label, Message, MessageId, Module, Syntax};

use super::Finding;
use super::util::{nested_name, qualify, site};

struct Diff<'a> {
    old: &'a Module,
    new: &'a Module,
    seen: HashSet<(MessageId, MessageId)>,
    /// Message pairs still to compare: the walk is a loop over this list, not a recursion, so a chain of 100,000
    /// referenced messages cannot overflow the stack.
    pending: Vec<(MessageId, MessageId)>,
    out: Vec<Finding>,
}

/// Confluent's BACKWARD differences between `old_root` (in `old`) and `new_root` (in `new`); `new_root` is `None`
/// when the new module has no such file.
pub(crate) fn check(
    old: &Module,
    old_root: &File,
    new: &Module,
    new_root: Option<&File>,
) -> Vec<Finding> {
    let mut d = Diff {
        old,
        new,
        seen: HashSet::new(),
        pending: Vec::new(),
        out: Vec::new(),
    };
    let Some(new_root) = new_root else {
        for m in old
            .messages()
            .iter()
            .filter(|m| m.file == old_root.id && !m.map_entry)
        {
            d.removed_message(m, None);
        }
        return d.out;
    };
    if old_root.package != new_root.package {
        let (path, loc) = site(
            new,
            new_root.id,
            new_root
                .package_statement_span
                .or(new_root.syntax_span)
                .unwrap_or_default(),
        );
        d.out.push(Finding {
            rule: "PACKAGE_CHANGED",
            path: new_root.path.clone(),
            file: Some(path.clone()),
            location: Some(loc),
            message: format!(
                "The package changed from \"{}\" to \"{}\": Confluent rejects a package change of a registered \
                 schema.",
                old_root.package.as_deref().unwrap_or(""),
                new_root.package.as_deref().unwrap_or("")
            ),
            files: [Some(path), Some(old_root.path.clone())],
            on_old: false,
        });
    }
    for om in old
        .messages()
        .iter()
        .filter(|m| m.file == old_root.id && !m.map_entry)
    {
        let local = nested_name(&om.full_name, old_root.package.as_deref());
        match new
            .message_by_name(&qualify(new_root.package.as_deref(), local))
            .filter(|m| m.file == new_root.id)
        {
            Some(nm) => d.pending.push((om.id, nm.id)),
            None => d.removed_message(om, Some(&new_root.path)),
        }
    }
    while let Some((o, n)) = d.pending.pop() {
        let (om, nm) = (old.message(o), new.message(n));
        d.message(om, nm);
    }
    d.out
}

impl Diff<'_> {
    fn removed_message(&mut self, om: &Message, new_file: Option<&str>) {
        let (path, loc) = site(self.old, om.file, om.name_span);
        let local = local_name(self.old, om);
        self.out.push(Finding {
            rule: "MESSAGE_REMOVED",
            path: om.full_name.clone(),
            file: Some(path.clone()),
            location: Some(loc),
            message: format!(
                "Message \"{local}\" was removed or renamed: Confluent rejects removing any message of the root \
                 file, used or not. Keep it (it may be deprecated)."
            ),
            files: [new_file.map(str::to_owned), Some(path)],
            on_old: true,
        });
    }

    fn emit(&mut self, rule: &'static str, f: &Field, message: String) {
        let (path, loc) = site(self.new, f.file, f.span);
        self.out.push(Finding {
            rule,
            path: f.full_name.clone(),
            file: Some(path.clone()),
            location: Some(loc),
            message,
            files: [Some(path), None],
            on_old: false,
        });
    }

    fn message(&mut self, om: &Message, nm: &Message) {
        if !self.seen.insert((om.id, nm.id)) {
            return;
        }
        let old_syntax = self.old.file(om.file).syntax;
        let new_syntax = self.new.file(nm.file).syntax;
        // Removed and added fields.
        for of in &om.fields {
            if nm.field_by_number(of.number).is_some() {
                continue;
            }
            if explicit_label(old_syntax, om, of) == Some(Label::Required) {
                let (path, loc) = site(self.old, of.file, of.span);
                self.out.push(Finding {
                    rule: "REQUIRED_FIELD_REMOVED",
                    path: of.full_name.clone(),
                    file: Some(path.clone()),
                    location: Some(loc),
                    message: format!(
                        "Required field \"{}\" ({}) was removed: Confluent rejects removing a required field.",
                        of.name, of.number
                    ),
                    files: [Some(self.new.file(nm.file).path.clone()), Some(path)],
                    on_old: true,
                });
            } else if let Some(oneof) = real_oneof(om, of) {
                let survives = nm.oneofs.iter().any(|o| !o.synthetic && o.name == oneof)
                    || om.fields.iter().any(|s| {
                        s.number != of.number
                            && real_oneof(om, s) == Some(oneof)
                            && nm.field_by_number(s.number).is_some()
                    });
                if survives {
                    let (path, loc) = site(self.old, of.file, of.span);
                    self.out.push(Finding {
                        rule: "ONEOF_FIELD_REMOVED",
                        path: of.full_name.clone(),
                        file: Some(path.clone()),
                        location: Some(loc),
                        message: format!(
                            "Field \"{}\" ({}) was removed from oneof \"{oneof}\", which remains: Confluent rejects \
                             this.",
                            of.name, of.number
                        ),
                        files: [Some(self.new.file(nm.file).path.clone()), Some(path)],
                    on_old: true,
                    });
                }
            }
        }
        for nf in &nm.fields {
            if om.field_by_number(nf.number).is_none()
                && explicit_label(new_syntax, nm, nf) == Some(Label::Required)
            {
                self.emit(
                    "REQUIRED_FIELD_ADDED",
                    nf,
                    format!(
                        "Required field \"{}\" ({}) was added: records written without it fail. Make it \
                         optional.",
                        nf.name, nf.number
                    ),
                );
            }
        }
        // Fields present on both sides.
        for of in &om.fields {
            if let Some(nf) = nm.field_by_number(of.number) {
                self.field(om, of, nm, nf);
            }
        }
        // Oneofs gathering earlier fields.
        for (i, oneof) in nm.oneofs.iter().enumerate() {
            if oneof.synthetic {
                continue;
            }
            let mut top_level = 0;
            let mut groups: HashSet<Option<&str>> = HashSet::new();
            for nf in nm.fields.iter().filter(|f| f.oneof_index == Some(i)) {
                if let Some(of) = om.field_by_number(nf.number) {
                    let g = real_oneof(om, of);
                    if g.is_none() {
                        top_level += 1;
                    }
                    groups.insert(g);
                }
            }
            let at = nm.fields.iter().find(|f| f.oneof_index == Some(i));
            if let Some(at) = at {
                if top_level >= 2 {
                    self.emit(
                        "MULTIPLE_FIELDS_MOVED_TO_ONEOF",
                        at,
                        format!(
                            "{top_level} existing fields moved into oneof \"{}\": data that set several of them \
                             loses all but one.",
                            oneof.name
                        ),
                    );
                }
                if groups.len() >= 2 {
                    self.emit(
                        "FIELD_MOVED_TO_EXISTING_ONEOF",
                        at,
                        format!(
                            "Oneof \"{}\" now gathers fields that were in different oneofs or at the top level: \
                             data that set several of them loses all but one.",
                            oneof.name
                        ),
                    );
                }
            }
        }
    }

    fn field(&mut self, om: &Message, of: &Field, nm: &Message, nf: &Field) {
        let (ok, nk) = (field_kind(of), field_kind(nf));
        if ok != nk {
            self.emit(
                "FIELD_KIND_CHANGED",
                nf,
                format!(
                    "Field \"{}\" ({}) changed kind from {} to {}.",
                    nf.name,
                    nf.number,
                    ok.text(),
                    nk.text()
                ),
            );
            return;
        }
        match nk {
            FieldKind::Scalar => {
                self.scalar(nf, of.ty, nf.ty);
                let ol = explicit_label(self.old.file(om.file).syntax, om, of);
                let nl = explicit_label(self.new.file(nm.file).syntax, nm, nf);
                if let (Some(a), Some(b)) = (ol, nl)
                    && a != b
                    && !matches!(nf.ty, FieldType::String | FieldType::Bytes)
                {
                    self.emit(
                        "FIELD_NUMERIC_LABEL_CHANGED",
                        nf,
                        format!(
                            "Numeric field \"{}\" ({}) changed label from {} to {}.",
                            nf.name,
                            nf.number,
                            label_text(a),
                            label_text(b)
                        ),
                    );
                }
            }
            FieldKind::Message => self.named(nf, of.ty, nf.ty),
            FieldKind::Map => {
                if let (FieldType::Message(oe), FieldType::Message(ne)) = (of.ty, nf.ty) {
                    let (oe, ne) = (self.old.message(oe), self.new.message(ne));
                    if let (Some(ok), Some(nk)) = (oe.field_by_number(1), ne.field_by_number(1)) {
                        self.scalar(nf, ok.ty, nk.ty);
                    }
                    if let (Some(ov), Some(nv)) = (oe.field_by_number(2), ne.field_by_number(2)) {
                        let (a, b) = (field_kind(ov), field_kind(nv));
                        if a != b {
                            self.emit(
                                "FIELD_KIND_CHANGED",
                                nf,
                                format!(
                                    "Map field \"{}\" ({}) changed its value kind from {} to {}.",
                                    nf.name,
                                    nf.number,
                                    a.text(),
                                    b.text()
                                ),
                            );
                        } else if a == FieldKind::Message {
                            self.named(nf, ov.ty, nv.ty);
                        } else {
                            self.scalar(nf, ov.ty, nv.ty);
                        }
                    }
                }
            }
        }
    }

    fn scalar(&mut self, at: &Field, old: FieldType, new: FieldType) {
        let (a, b) = (scalar_group(old), scalar_group(new));
        if a != b {
            let name = |m: &Module, t: FieldType| {
                t.scalar_name().map_or_else(
                    || {
                        m.type_name(t)
                            .unwrap_or_default()
                            .trim_start_matches('.')
                            .to_owned()
                    },
                    str::to_owned,
                )
            };
            self.emit(
                "FIELD_SCALAR_KIND_CHANGED",
                at,
                format!(
                    "Field \"{}\" ({}) changed type from {} to {}, which is read differently on the wire.",
                    at.name,
                    at.number,
                    name(self.old, old),
                    name(self.new, new)
                ),
            );
        }
    }

    fn named(&mut self, at: &Field, old: FieldType, new: FieldType) {
        let (
            FieldType::Message(a) | FieldType::Group(a),
            FieldType::Message(b) | FieldType::Group(b),
        ) = (old, new)
        else {
            return;
        };
        let (om, nm) = (self.old.message(a), self.new.message(b));
        let (ol, nl) = (local_name(self.old, om), local_name(self.new, nm));
        if ol != nl {
            self.emit(
                "FIELD_NAMED_TYPE_CHANGED",
                at,
                format!(
                    "Field \"{}\" ({}) changed its message type from {ol} to {nl}: Confluent compares message \
                     types by their name without the package.",
                    at.name, at.number
                ),
            );
            return;
        }
        self.pending.push((om.id, nm.id));
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FieldKind {
    Scalar,
    Message,
    Map,
}

impl FieldKind {
    fn text(self) -> &'static str {
        match self {
            FieldKind::Scalar => "scalar",
            FieldKind::Message => "message",
            FieldKind::Map => "map",
        }
    }
}

fn field_kind(f: &Field) -> FieldKind {
    if f.map {
        FieldKind::Map
    } else if matches!(f.ty, FieldType::Message(_) | FieldType::Group(_)) {
        FieldKind::Message
    } else {
        FieldKind::Scalar
    }
}

fn scalar_group(t: FieldType) -> u8 {
    match t {
        FieldType::Int32
        | FieldType::Int64
        | FieldType::Uint32
        | FieldType::Uint64
        | FieldType::Bool
        | FieldType::Enum(_) => 1,
        FieldType::Sint32 | FieldType::Sint64 => 2,
        FieldType::String | FieldType::Bytes => 3,
        FieldType::Fixed32 | FieldType::Sfixed32 => 4,
        FieldType::Fixed64 | FieldType::Sfixed64 => 5,
        FieldType::Float => 6,
        FieldType::Double => 7,
        FieldType::Message(_) | FieldType::Group(_) => 8,
    }
}

/// The label as Square Wire's parser reads it: only what the text wrote.
fn explicit_label(syntax: Syntax, m: &Message, f: &Field) -> Option<Label> {
    if f.map || real_oneof(m, f).is_some() {
        return None;
    }
    match syntax {
        Syntax::Proto2 => Some(f.label),
        Syntax::Proto3 if f.is_repeated() => Some(Label::Repeated),
        Syntax::Proto3 if f.proto3_optional => Some(Label::Optional),
        Syntax::Editions(_) if f.is_repeated() => Some(Label::Repeated),
        _ => None,
    }
}

fn label_text(l: Label) -> &'static str {
    match l {
        Label::Optional => "optional",
        Label::Required => "required",
        Label::Repeated => "repeated",
    }
}

fn real_oneof<'m>(m: &'m Message, f: &Field) -> Option<&'m str> {
    let o = &m.oneofs[f.oneof_index?];
    (!o.synthetic).then_some(o.name.as_str())
}

/// A message's name without its package (`Order.Line`).
fn local_name(module: &Module, m: &Message) -> String {
    nested_name(&m.full_name, module.file(m.file).package.as_deref()).to_owned()
}
