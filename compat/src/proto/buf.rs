//! The rules of `buf breaking` (v2 configuration), with buf's ids and semantics, over two compiled modules.
//!
//! Pairing follows buf: files by path, messages, enums and services by fully-qualified name, fields and enum values
//! by number, extensions by (extendee, number), oneofs and rpcs by name; per-file and per-package rules compare
//! names relative to the package. Findings sit on the new element, or on the old one for deletions.
//!
//! Where buf is wrong on the wire, Herald is right instead, deliberately:
//!
//! * **`MESSAGE_SAME_REQUIRED_FIELDS` uses resolved presence.** buf reads only the descriptor label
//!   `LABEL_REQUIRED`, so adding an editions field with `features.field_presence = LEGACY_REQUIRED` passes although
//!   every old record lacks it and fails the required check, and a faithful proto2 → editions migration that keeps a
//!   field required (`LEGACY_REQUIRED`) is reported as "required field deleted" although nothing changed on the wire.
//!   Herald counts a field as required when its resolved presence is required, whatever the syntax: the first is
//!   reported, the second is not.
//! * **A renamed map field is not a wire type change.** buf compares the synthesized entry message by name, so
//!   renaming `map<string, int32> stock` to `levels` (`StockEntry` → `LevelsEntry`) fails `WIRE` although the
//!   bytes are identical. `FIELD_WIRE_COMPATIBLE_TYPE` and `FIELD_WIRE_JSON_COMPATIBLE_TYPE` compare two map fields
//!   by their key and value types instead; the source-level rules (`FIELD_SAME_TYPE`, `MESSAGE_NO_DELETE`) still
//!   report the entry type's new name, which generated code does see.
//! * **A package renamed while its file moves is still a package change.** buf pairs files only by path, so a
//!   file that changes both path and package is a deleted file plus a new one, and `WIRE` (which has no deletion
//!   rules for files) passes although every fully-qualified name changed (Any type URLs, gRPC method paths,
//!   registry subjects). `FILE_SAME_PACKAGE` also pairs a deleted file with an added file that declares the same
//!   top-level messages, enums and services, and reports the package change there.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use herald_schema::proto::{
    Enum, Field, FieldRange, FieldType, File, FileId, JsonFormat, Message, MessageId, Module,
    Syntax, Utf8Validation,
};
use herald_schema::span::Span;

use super::Finding;
use super::util::{
    Cardinality, Kind, edition, field_language_feature, kind, kind_text, nested_name, option_or,
    option_span, qualify, site,
};

/// The largest message field number and enum value.
const MESSAGE_MAX: i32 = 536_870_911;
const ENUM_MAX: i32 = i32::MAX;

struct Ctx<'a> {
    old: &'a Module,
    new: &'a Module,
    enabled: &'a HashSet<&'static str>,
    /// The rules asked about for every field pair, looked up once.
    hot: Hot,
    out: Vec<Finding>,
}

#[derive(Debug, Clone, Copy)]
struct Hot {
    wire_type: bool,
    wire_json_type: bool,
    default: bool,
    cpp: bool,
    java: bool,
    jstype: bool,
}

/// Runs every enabled buf rule on (`old`, `new`).
pub(crate) fn check(old: &Module, new: &Module, enabled: &HashSet<&'static str>) -> Vec<Finding> {
    let on = |r: &str| enabled.contains(r);
    let hot = Hot {
        wire_type: on("FIELD_WIRE_COMPATIBLE_TYPE"),
        wire_json_type: on("FIELD_WIRE_JSON_COMPATIBLE_TYPE"),
        default: on("FIELD_SAME_DEFAULT"),
        cpp: on("FIELD_SAME_CPP_STRING_TYPE"),
        java: on("FIELD_SAME_JAVA_UTF8_VALIDATION"),
        jstype: on("FIELD_SAME_JSTYPE"),
    };
    let mut cx = Ctx {
        old,
        new,
        enabled,
        hot,
        out: Vec::new(),
    };
    cx.files();
    cx.packages();
    cx.messages();
    cx.extensions();
    cx.enums();
    cx.services();
    cx.out
}

impl<'a> Ctx<'a> {
    fn on(&self, rule: &str) -> bool {
        self.enabled.contains(rule)
    }

    /// A finding on an element of the new module.
    fn at_new(
        &mut self,
        rule: &'static str,
        path: impl Into<String>,
        file: FileId,
        span: Span,
        message: String,
    ) {
        if !self.on(rule) {
            return;
        }
        let (p, loc) = site(self.new, file, span);
        self.out.push(Finding {
            rule,
            path: path.into(),
            file: Some(p.clone()),
            location: Some(loc),
            message,
            files: [Some(p), None],
            on_old: false,
        });
    }

    /// A finding on an element the new module lost: located in the old file; `new_file` is the file it was
    /// deleted from, when that still exists.
    fn at_old(
        &mut self,
        rule: &'static str,
        path: impl Into<String>,
        file: FileId,
        span: Span,
        new_file: Option<&str>,
        message: String,
    ) {
        if !self.on(rule) {
            return;
        }
        let (p, loc) = site(self.old, file, span);
        self.out.push(Finding {
            rule,
            path: path.into(),
            file: Some(p.clone()),
            location: Some(loc),
            message,
            files: [new_file.map(str::to_owned), Some(p)],
            on_old: true,
        });
    }

    // ---- files ----------------------------------------------------------------------------------------------

    fn files(&mut self) {
        let new_files: HashMap<&str, &File> = self
            .new
            .files()
            .iter()
            .map(|f| (f.path.as_str(), f))
            .collect();
        let mut unpaired_old = Vec::new();
        for of in self.old.files() {
            match new_files.get(of.path.as_str()) {
                Some(nf) => self.file_pair(of, nf),
                None => {
                    unpaired_old.push(of);
                    if self.on("FILE_NO_DELETE") {
                        self.out.push(Finding {
                            rule: "FILE_NO_DELETE",
                            path: of.path.clone(),
                            file: Some(of.path.clone()),
                            location: None,
                            message: format!(
                                "Previously present file \"{}\" was deleted. Keep it, or move its declarations \
                                 back, so that code importing it still builds.",
                                of.path
                            ),
                            files: [None, Some(of.path.clone())],
                            on_old: true,
                        });
                    }
                }
            }
        }
        // Herald's correction: a file that moved (deleted here, added there, same top-level declarations) keeps
        // its package.
        if !unpaired_old.is_empty() && self.on("FILE_SAME_PACKAGE") {
            let old_paths: HashSet<&str> =
                self.old.files().iter().map(|f| f.path.as_str()).collect();
            let added: Vec<&File> = self
                .new
                .files()
                .iter()
                .filter(|f| !old_paths.contains(f.path.as_str()))
                .collect();
            for of in unpaired_old {
                let shape = top_level_names(self.old, of);
                if shape.is_empty() {
                    continue;
                }
                if let Some(nf) = added
                    .iter()
                    .find(|nf| top_level_names(self.new, nf) == shape)
                    && of.package != nf.package
                {
                    let span = package_span(nf);
                    self.at_new(
                        "FILE_SAME_PACKAGE",
                        nf.path.clone(),
                        nf.id,
                        span,
                        format!(
                            "File \"{}\" moved to \"{}\" and changed package from \"{}\" to \"{}\": every \
                             fully-qualified name in it changed (Any type URLs, gRPC paths). Keep the package.",
                            of.path,
                            nf.path,
                            of.package.as_deref().unwrap_or(""),
                            nf.package.as_deref().unwrap_or("")
                        ),
                    );
                }
            }
        }
    }

    fn file_pair(&mut self, of: &File, nf: &File) {
        let opkg = of.package.as_deref().unwrap_or("");
        let npkg = nf.package.as_deref().unwrap_or("");
        if opkg != npkg {
            self.at_new(
                "FILE_SAME_PACKAGE",
                nf.path.clone(),
                nf.id,
                package_span(nf),
                format!(
                    "File package changed from \"{opkg}\" to \"{npkg}\": every fully-qualified name in the file \
                     changed. Keep the package, or add the new one in a new file."
                ),
            );
        }
        let osyn = syntax_text(of.syntax);
        let nsyn = syntax_text(nf.syntax);
        if osyn != nsyn {
            self.at_new(
                "FILE_SAME_SYNTAX",
                nf.path.clone(),
                nf.id,
                nf.syntax_span.unwrap_or_default(),
                format!("File syntax changed from \"{osyn}\" to \"{nsyn}\"."),
            );
        }
        for (rule, option, default) in FILE_OPTIONS {
            if !self.on(rule) {
                continue;
            }
            let ov = option_or(&of.options, option, default);
            let nv = option_or(&nf.options, option, default);
            if ov != nv {
                let span = option_span(&nf.options, option)
                    .unwrap_or_else(|| nf.syntax_span.unwrap_or_default());
                self.at_new(
                    rule,
                    nf.path.clone(),
                    nf.id,
                    span,
                    format!("File option \"{option}\" changed from \"{ov}\" to \"{nv}\"."),
                );
            }
        }
        // Per-file deletions, by names relative to the package.
        let opkg_opt = of.package.as_deref();
        let npkg_opt = nf.package.as_deref();
        if self.on("MESSAGE_NO_DELETE") {
            for m in self.old.messages().iter().filter(|m| m.file == of.id) {
                let nested = nested_name(&m.full_name, opkg_opt);
                let there = self
                    .new
                    .message_by_name(&qualify(npkg_opt, nested))
                    .is_some_and(|n| n.file == nf.id);
                if !there {
                    self.at_old(
                        "MESSAGE_NO_DELETE",
                        m.full_name.clone(),
                        m.file,
                        m.name_span,
                        Some(&nf.path),
                        format!(
                            "Previously present message \"{nested}\" was deleted from file \"{}\". Keep it (it \
                             may be deprecated) so that code using it still builds.",
                            nf.path
                        ),
                    );
                }
            }
        }
        if self.on("ENUM_NO_DELETE") {
            for e in self.old.enums().iter().filter(|e| e.file == of.id) {
                let nested = nested_name(&e.full_name, opkg_opt);
                let there = self
                    .new
                    .enum_by_name(&qualify(npkg_opt, nested))
                    .is_some_and(|n| n.file == nf.id);
                if !there {
                    self.at_old(
                        "ENUM_NO_DELETE",
                        e.full_name.clone(),
                        e.file,
                        e.name_span,
                        Some(&nf.path),
                        format!(
                            "Previously present enum \"{nested}\" was deleted from file \"{}\". Keep it (it may \
                             be deprecated).",
                            nf.path
                        ),
                    );
                }
            }
        }
        if self.on("SERVICE_NO_DELETE") {
            for s in self.old.services().iter().filter(|s| s.file == of.id) {
                let there = self
                    .new
                    .service_by_name(&qualify(npkg_opt, &s.name))
                    .is_some_and(|n| n.file == nf.id);
                if !there {
                    self.at_old(
                        "SERVICE_NO_DELETE",
                        s.full_name.clone(),
                        s.file,
                        s.name_span,
                        Some(&nf.path),
                        format!(
                            "Previously present service \"{}\" was deleted from file \"{}\": its clients break.",
                            s.name, nf.path
                        ),
                    );
                }
            }
        }
        if self.on("EXTENSION_NO_DELETE") {
            let new_ext: HashSet<&str> = self
                .new
                .extensions()
                .iter()
                .filter(|x| x.file == nf.id)
                .map(|x| nested_name(&x.full_name, npkg_opt))
                .collect();
            for x in self.old.extensions().iter().filter(|x| x.file == of.id) {
                let nested = nested_name(&x.full_name, opkg_opt);
                if !new_ext.contains(nested) {
                    self.at_old(
                        "EXTENSION_NO_DELETE",
                        x.full_name.clone(),
                        x.file,
                        x.span,
                        Some(&nf.path),
                        format!(
                            "Previously present extension \"{nested}\" was deleted from file \"{}\".",
                            nf.path
                        ),
                    );
                }
            }
        }
    }

    // ---- packages -------------------------------------------------------------------------------------------

    fn packages(&mut self) {
        let pkg = |f: &File| f.package.clone().unwrap_or_default();
        let old_pkgs: BTreeMap<String, Vec<&File>> =
            self.old.files().iter().fold(BTreeMap::new(), |mut acc, f| {
                acc.entry(pkg(f)).or_insert_with(Vec::new).push(f);
                acc
            });
        let new_pkgs: BTreeSet<String> = self.new.files().iter().map(pkg).collect();
        let new_file_of = |path: &str| self.new.file_by_path(path).map(|f| f.path.clone());
        for (p, files) in &old_pkgs {
            if !new_pkgs.contains(p) {
                if self.on("PACKAGE_NO_DELETE") {
                    let first = files
                        .iter()
                        .map(|f| f.path.clone())
                        .min()
                        .unwrap_or_default();
                    self.out.push(Finding {
                        rule: "PACKAGE_NO_DELETE",
                        path: p.clone(),
                        file: None,
                        location: None,
                        message: format!(
                            "Previously present package \"{p}\" was deleted: code importing it no longer builds."
                        ),
                        files: [None, Some(first)],
                        on_old: true,
                    });
                }
                continue;
            }
            let in_pkg = |f: FileId| pkg(self.old.file(f)) == *p;
            let new_in_pkg = |f: FileId| pkg(self.new.file(f)) == *p;
            let mut pending = Vec::new();
            if self.on("PACKAGE_MESSAGE_NO_DELETE") {
                for m in self.old.messages().iter().filter(|m| in_pkg(m.file)) {
                    if !self
                        .new
                        .message_by_name(&m.full_name)
                        .is_some_and(|n| new_in_pkg(n.file))
                    {
                        pending.push((
                            "PACKAGE_MESSAGE_NO_DELETE",
                            m.full_name.clone(),
                            m.file,
                            m.name_span,
                            format!(
                                "Previously present message \"{}\" was deleted from package \"{p}\".",
                                nested_name(&m.full_name, Some(p))
                            ),
                        ));
                    }
                }
            }
            if self.on("PACKAGE_ENUM_NO_DELETE") {
                for e in self.old.enums().iter().filter(|e| in_pkg(e.file)) {
                    if !self
                        .new
                        .enum_by_name(&e.full_name)
                        .is_some_and(|n| new_in_pkg(n.file))
                    {
                        pending.push((
                            "PACKAGE_ENUM_NO_DELETE",
                            e.full_name.clone(),
                            e.file,
                            e.name_span,
                            format!(
                                "Previously present enum \"{}\" was deleted from package \"{p}\".",
                                nested_name(&e.full_name, Some(p))
                            ),
                        ));
                    }
                }
            }
            if self.on("PACKAGE_SERVICE_NO_DELETE") {
                for s in self.old.services().iter().filter(|s| in_pkg(s.file)) {
                    if !self
                        .new
                        .service_by_name(&s.full_name)
                        .is_some_and(|n| new_in_pkg(n.file))
                    {
                        pending.push((
                            "PACKAGE_SERVICE_NO_DELETE",
                            s.full_name.clone(),
                            s.file,
                            s.name_span,
                            format!(
                                "Previously present service \"{}\" was deleted from package \"{p}\": its clients \
                                 break.",
                                s.name
                            ),
                        ));
                    }
                }
            }
            if self.on("PACKAGE_EXTENSION_NO_DELETE") {
                let new_ext: HashSet<&str> = self
                    .new
                    .extensions()
                    .iter()
                    .filter(|x| new_in_pkg(x.file))
                    .map(|x| x.full_name.as_str())
                    .collect();
                for x in self.old.extensions().iter().filter(|x| in_pkg(x.file)) {
                    if !new_ext.contains(x.full_name.as_str()) {
                        pending.push((
                            "PACKAGE_EXTENSION_NO_DELETE",
                            x.full_name.clone(),
                            x.file,
                            x.span,
                            format!(
                                "Previously present extension \"{}\" was deleted from package \"{p}\".",
                                nested_name(&x.full_name, Some(p))
                            ),
                        ));
                    }
                }
            }
            for (rule, path, file, span, message) in pending {
                let nf = new_file_of(&self.old.file(file).path);
                self.at_old(rule, path, file, span, nf.as_deref(), message);
            }
        }
    }

    // ---- messages and fields --------------------------------------------------------------------------------

    fn messages(&mut self) {
        for om in self.old.messages() {
            let Some(nm) = self.new.message_by_name(&om.full_name) else {
                continue;
            };
            self.message_pair(om, nm);
            // Large messages get an index; a scan is faster for the usual few fields.
            let index: Option<HashMap<i32, &Field>> =
                (nm.fields.len() > 32).then(|| nm.fields.iter().map(|f| (f.number, f)).collect());
            for of in &om.fields {
                let found = match &index {
                    Some(index) => index.get(&of.number).copied(),
                    None => field_by_number(nm, of.number),
                };
                if let Some(nf) = found {
                    self.field_pair(of, Some(om), nf, Some(nm));
                }
            }
        }
    }

    fn message_pair(&mut self, om: &Message, nm: &Message) {
        let name = nm.full_name.clone();
        // Field deletions.
        let new_numbers: HashSet<i32> = nm.fields.iter().map(|f| f.number).collect();
        for of in om
            .fields
            .iter()
            .filter(|f| !new_numbers.contains(&f.number))
        {
            let desc = format!(
                "field \"{}\" with name \"{}\" on message \"{}\"",
                of.number, of.name, om.name
            );
            let number_reserved = in_ranges(of.number, &nm.reserved_ranges);
            let name_reserved = nm.reserved_names.iter().any(|r| r.name == of.name);
            let nf = self.new.file(nm.file).path.clone();
            self.at_old(
                "FIELD_NO_DELETE",
                of.full_name.clone(),
                of.file,
                of.span,
                Some(&nf),
                format!(
                    "Previously present {desc} was deleted. Keep it (deprecated) so that code using it still \
                     builds."
                ),
            );
            if !number_reserved {
                self.at_old(
                    "FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED",
                    of.full_name.clone(),
                    of.file,
                    of.span,
                    Some(&nf),
                    format!(
                        "Previously present {desc} was deleted without reserving the number \"{}\": a later \
                         field could reuse it with another type. Add `reserved {};`.",
                        of.number, of.number
                    ),
                );
            }
            if !name_reserved {
                self.at_old(
                    "FIELD_NO_DELETE_UNLESS_NAME_RESERVED",
                    of.full_name.clone(),
                    of.file,
                    of.span,
                    Some(&nf),
                    format!(
                        "Previously present {desc} was deleted without reserving the name \"{}\": JSON carrying \
                         it no longer parses. Add `reserved \"{}\";`.",
                        of.name, of.name
                    ),
                );
            }
        }
        // Required fields, by resolved presence (Herald's correction of buf's label-only check).
        if self.on("MESSAGE_SAME_REQUIRED_FIELDS") {
            let (oreq, nreq) = (required_fields(om), required_fields(nm));
            for (n, f) in &oreq {
                if !nreq.contains_key(n) {
                    let what = if new_numbers.contains(n) {
                        "is no longer required"
                    } else {
                        "was deleted"
                    };
                    self.at_new(
                        "MESSAGE_SAME_REQUIRED_FIELDS",
                        name.clone(),
                        nm.file,
                        nm.name_span,
                        format!(
                            "Message \"{}\" had required field \"{n}\" (\"{}\") which {what}: readers that still \
                             require it reject new records.",
                            nm.name, f.name
                        ),
                    );
                }
            }
            for (n, f) in &nreq {
                if !oreq.contains_key(n) {
                    self.at_new(
                        "MESSAGE_SAME_REQUIRED_FIELDS",
                        f.full_name.clone(),
                        f.file,
                        f.span,
                        format!(
                            "Message \"{}\" had required field \"{n}\" (\"{}\") added: records written without it \
                             fail the required check. Make it optional.",
                            nm.name, f.name
                        ),
                    );
                }
            }
        }
        // Oneofs (synthetic ones are ignored, as buf does).
        let new_oneofs: HashSet<&str> = nm.oneofs.iter().map(|o| o.name.as_str()).collect();
        for oo in om.oneofs.iter().filter(|o| !o.synthetic) {
            if !new_oneofs.contains(oo.name.as_str()) {
                let nf = self.new.file(nm.file).path.clone();
                self.at_old(
                    "ONEOF_NO_DELETE",
                    format!("{}.{}", om.full_name, oo.name),
                    om.file,
                    oo.span,
                    Some(&nf),
                    format!(
                        "Previously present oneof \"{}\" on message \"{}\" was deleted.",
                        oo.name, nm.name
                    ),
                );
            }
        }
        // Reserved ranges and names, extension ranges.
        let reserved_lost = missing_ranges(&om.reserved_ranges, &nm.reserved_ranges, MESSAGE_MAX);
        for (prev, lost) in reserved_lost {
            self.at_new(
                "RESERVED_MESSAGE_NO_DELETE",
                name.clone(),
                nm.file,
                nm.name_span,
                format!(
                    "Previously present reserved range \"{prev}\" on message \"{}\" is missing values: {lost} \
                     were removed. Keep numbers reserved once they are.",
                    nm.name
                ),
            );
        }
        for r in &om.reserved_names {
            if !nm.reserved_names.iter().any(|n| n.name == r.name) {
                self.at_new(
                    "RESERVED_MESSAGE_NO_DELETE",
                    name.clone(),
                    nm.file,
                    nm.name_span,
                    format!(
                        "Previously present reserved name \"{}\" on message \"{}\" was deleted.",
                        r.name, nm.name
                    ),
                );
            }
        }
        let old_ext: Vec<FieldRange> = om.extension_ranges.iter().map(|r| r.range).collect();
        let new_ext: Vec<FieldRange> = nm.extension_ranges.iter().map(|r| r.range).collect();
        for (prev, lost) in missing_ranges(&old_ext, &new_ext, MESSAGE_MAX) {
            self.at_new(
                "EXTENSION_MESSAGE_NO_DELETE",
                name.clone(),
                nm.file,
                nm.name_span,
                format!(
                    "Previously present extension range \"{prev}\" on message \"{}\" is missing values: {lost} \
                     were removed.",
                    nm.name
                ),
            );
        }
        // Options and features.
        let bool_opt = |m: &Message, o: &str| option_or(&m.options, o, "false");
        if bool_opt(om, "no_standard_descriptor_accessor") == "false"
            && bool_opt(nm, "no_standard_descriptor_accessor") == "true"
        {
            let span =
                option_span(&nm.options, "no_standard_descriptor_accessor").unwrap_or(nm.name_span);
            self.at_new(
                "MESSAGE_NO_REMOVE_STANDARD_DESCRIPTOR_ACCESSOR",
                name.clone(),
                nm.file,
                span,
                "Message option \"no_standard_descriptor_accessor\" changed from \"false\" to \"true\": \
                 generated code loses its descriptor accessor."
                    .to_owned(),
            );
        }
        let (ow, nw) = (
            bool_opt(om, "message_set_wire_format"),
            bool_opt(nm, "message_set_wire_format"),
        );
        if ow != nw {
            self.at_new(
                "MESSAGE_SAME_MESSAGE_SET_WIRE_FORMAT",
                name.clone(),
                nm.file,
                nm.name_span,
                format!(
                    "Message option \"message_set_wire_format\" changed from \"{ow}\" to \"{nw}\"."
                ),
            );
        }
        if om.features.json_format == JsonFormat::Allow
            && nm.features.json_format != JsonFormat::Allow
        {
            self.at_new(
                "MESSAGE_SAME_JSON_FORMAT",
                name,
                nm.file,
                nm.name_span,
                format!(
                    "Message \"{}\" JSON format support changed from ALLOW to LEGACY_BEST_EFFORT.",
                    nm.name
                ),
            );
        }
    }

    fn extensions(&mut self) {
        let key = |m: &Module, f: &Field| {
            (
                f.extendee
                    .map(|e| m.message(e).full_name.clone())
                    .unwrap_or_default(),
                f.number,
            )
        };
        let new_by_key: HashMap<(String, i32), &Field> = self
            .new
            .extensions()
            .iter()
            .map(|f| (key(self.new, f), f))
            .collect();
        for of in self.old.extensions() {
            if let Some(nf) = new_by_key.get(&key(self.old, of)) {
                self.field_pair(of, None, nf, None);
            }
        }
    }

    fn field_pair(&mut self, of: &Field, om: Option<&Message>, nf: &Field, nm: Option<&Message>) {
        let (old, new) = (self.old, self.new);
        let is_ext = nf.extendee.is_some();
        let owner = nm.map_or_else(
            || nf.extendee.map_or("", |e| new.message(e).name.as_str()),
            |m| m.name.as_str(),
        );
        let desc = FieldDesc { field: nf, owner };
        let path = nf.full_name.as_str();
        let map_entries = om.is_some_and(|m| m.map_entry) && nm.is_some_and(|m| m.map_entry);
        let (ok, nk) = (kind(of), kind(nf));

        // Cardinality.
        if !map_entries {
            let (oc, nc) = (Cardinality::of(of), Cardinality::of(nf));
            let msg = || {
                format!(
                    "{desc} changed cardinality from \"{}\" to \"{}\".",
                    oc.text(),
                    nc.text()
                )
            };
            if oc != nc {
                self.at_new("FIELD_SAME_CARDINALITY", path, nf.file, nf.span, msg());
            }
            if oc.wire_group() != nc.wire_group() {
                self.at_new(
                    "FIELD_WIRE_COMPATIBLE_CARDINALITY",
                    path,
                    nf.file,
                    nf.span,
                    msg() + " The binary encodings differ.",
                );
            }
            if oc.wire_json_group() != nc.wire_json_group() {
                self.at_new(
                    "FIELD_WIRE_JSON_COMPATIBLE_CARDINALITY",
                    path,
                    nf.file,
                    nf.span,
                    msg() + " The binary or JSON encodings differ.",
                );
            }
        }

        // Types, reported at the type as written (for the key and value of a map entry, at the map field).
        let type_span = match nm {
            Some(m) if map_entries => m.span,
            _ => nf.type_span,
        };
        let type_msg = || {
            format!(
                "{desc} changed type from \"{}\" to \"{}\".",
                kind_text(old, of),
                kind_text(new, nf)
            )
        };
        let name_msg = || {
            format!(
                "{desc} changed type from \"{}\" to \"{}\".",
                old.type_name(of.ty)
                    .unwrap_or_default()
                    .trim_start_matches('.'),
                new.type_name(nf.ty)
                    .unwrap_or_default()
                    .trim_start_matches('.')
            )
        };
        let names_differ = type_full_name(old, of.ty) != type_full_name(new, nf.ty);
        if ok != nk {
            self.at_new("FIELD_SAME_TYPE", path, nf.file, type_span, type_msg());
        } else if matches!(nk, Kind::Enum | Kind::Group | Kind::Message) && names_differ {
            self.at_new("FIELD_SAME_TYPE", path, nf.file, type_span, name_msg());
        }
        for (rule, json, on) in [
            ("FIELD_WIRE_COMPATIBLE_TYPE", false, self.hot.wire_type),
            (
                "FIELD_WIRE_JSON_COMPATIBLE_TYPE",
                true,
                self.hot.wire_json_type,
            ),
        ] {
            if !on {
                continue;
            }
            if let Some(problem) = self.type_problem(of, nf, json) {
                let text = match problem {
                    TypeProblem::Kind(extra) => type_msg() + extra,
                    TypeProblem::Name => name_msg(),
                };
                self.at_new(rule, path, nf.file, type_span, text);
            }
        }

        // Names and JSON names.
        let (oname, nname) = if is_ext {
            (of.full_name.as_str(), nf.full_name.as_str())
        } else {
            (of.name.as_str(), nf.name.as_str())
        };
        if oname != nname {
            self.at_new(
                "FIELD_SAME_NAME",
                path,
                nf.file,
                nf.name_span,
                format!(
                    "Field \"{}\" on message \"{owner}\" changed name from \"{oname}\" to \"{nname}\": generated \
                     code and the text format change.",
                    nf.number
                ),
            );
        }
        if !is_ext && of.json_name != nf.json_name {
            self.at_new(
                "FIELD_SAME_JSON_NAME",
                path,
                nf.file,
                nf.span,
                format!(
                    "{desc} changed option \"json_name\" from \"{}\" to \"{}\": JSON written with the old name \
                     no longer parses. Set `json_name = \"{}\"` to keep it.",
                    of.json_name, nf.json_name, of.json_name
                ),
            );
        }

        // Oneof membership (synthetic oneofs count as none).
        if !is_ext {
            let real = |m: Option<&Message>, f: &Field| -> Option<String> {
                let o = &m?.oneofs[f.oneof_index?];
                (!o.synthetic).then(|| o.name.clone())
            };
            let (oo, no) = (real(om, of), real(nm, nf));
            let text = match (&oo, &no) {
                (Some(a), Some(b)) if a != b => {
                    Some(format!("{desc} moved from oneof \"{a}\" to oneof \"{b}\"."))
                }
                (Some(_), None) => Some(format!("{desc} moved from inside to outside a oneof.")),
                (None, Some(_)) => Some(format!("{desc} moved from outside to inside a oneof.")),
                _ => None,
            };
            if let Some(text) = text {
                self.at_new("FIELD_SAME_ONEOF", path, nf.file, nf.span, text);
            }
        }

        // Defaults.
        // Without a written default, only an enum's implied default (its first value) can be non-zero.
        let implied_zero =
            |f: &Field| f.default_value.is_none() && !matches!(f.ty, FieldType::Enum(_));
        if self.hot.default
            && can_have_default(of)
            && can_have_default(nf)
            && !(implied_zero(of) && implied_zero(nf))
        {
            let od = default_of(old, of);
            let nd = default_of(new, nf);
            if !(od.equals(&nd) || (od.is_zero() && nd.is_zero())) {
                self.at_new(
                    "FIELD_SAME_DEFAULT",
                    path,
                    nf.file,
                    nf.span,
                    format!(
                        "{desc} changed default value from {} to {}: readers of records without the field see \
                         different values.",
                        od.text, nd.text
                    ),
                );
            }
        }

        // String-specific features.
        let strings = |k: Kind| matches!(k, Kind::String | Kind::Bytes);
        if !map_entries && strings(ok) && strings(nk) && self.hot.cpp {
            let (ot, op) = cpp_string_type(old, of, om.map(|m| m.id));
            let (nt, np) = cpp_string_type(new, nf, nm.map(|m| m.id));
            if (ot != nt || op != np) && !(op && nt == "STRING") {
                let show = |t: &str, piece: bool| {
                    if piece {
                        "STRING_PIECE".to_owned()
                    } else {
                        t.to_owned()
                    }
                };
                self.at_new(
                    "FIELD_SAME_CPP_STRING_TYPE",
                    path,
                    nf.file,
                    nf.span,
                    format!(
                        "{desc} changed C++ string type from \"{}\" to \"{}\".",
                        show(&ot, op),
                        show(&nt, np)
                    ),
                );
            }
        }
        if ok == Kind::String && nk == Kind::String && self.hot.java {
            let ov = java_utf8(old, of, om.map(|m| m.id));
            let nv = java_utf8(new, nf, nm.map(|m| m.id));
            if ov != nv {
                self.at_new(
                    "FIELD_SAME_JAVA_UTF8_VALIDATION",
                    path,
                    nf.file,
                    nf.span,
                    format!(
                        "{desc} changed Java string UTF8 validation from \"{}\" to \"{}\".",
                        utf8_text(ov),
                        utf8_text(nv)
                    ),
                );
            }
        }
        if ok == Kind::String && nk == Kind::String {
            let (ou, nu) = (of.features.utf8_validation, nf.features.utf8_validation);
            if ou != nu {
                self.at_new(
                    "FIELD_SAME_UTF8_VALIDATION",
                    path,
                    nf.file,
                    nf.span,
                    format!(
                        "{desc} changed UTF8 validation from {} to {}: strings one side accepts the other rejects.",
                        utf8_text(ou),
                        utf8_text(nu)
                    ),
                );
            }
        }
        if is_64bit(of.ty) && is_64bit(nf.ty) && self.hot.jstype {
            let oj = option_or(&of.options, "jstype", "JS_NORMAL");
            let nj = option_or(&nf.options, "jstype", "JS_NORMAL");
            if oj != nj {
                self.at_new(
                    "FIELD_SAME_JSTYPE",
                    path,
                    nf.file,
                    nf.span,
                    format!("{desc} changed option \"jstype\" from \"{oj}\" to \"{nj}\"."),
                );
            }
        }
    }

    /// Why two fields' types are not wire (or wire and JSON) compatible, if they are not.
    fn type_problem(&self, of: &Field, nf: &Field, json: bool) -> Option<TypeProblem> {
        let (old, new) = (self.old, self.new);
        // Herald's correction: two map fields are compared by key and value, not by the entry's name.
        if of.map
            && nf.map
            && let (FieldType::Message(oe), FieldType::Message(ne)) = (of.ty, nf.ty)
        {
            let (oe, ne) = (old.message(oe), new.message(ne));
            for number in [1, 2] {
                if let (Some(a), Some(b)) = (oe.field_by_number(number), ne.field_by_number(number))
                    && let Some(p) = self.type_problem(a, b, json)
                {
                    return Some(p);
                }
            }
            return None;
        }
        let (ok, nk) = (kind(of), kind(nf));
        let group = if json { wire_json_group } else { wire_group };
        if group(ok) != group(nk) {
            if !json {
                match (ok, nk) {
                    (Kind::String, Kind::Bytes) => return None,
                    (Kind::Bytes, Kind::String) => {
                        return Some(TypeProblem::Kind(
                            " A bytes field need not hold valid UTF-8, which a string field requires.",
                        ));
                    }
                    _ => {}
                }
            }
            return Some(TypeProblem::Kind(if json {
                " The binary or JSON encodings differ."
            } else {
                " The binary encodings differ."
            }));
        }
        match (of.ty, nf.ty) {
            (FieldType::Enum(oe), FieldType::Enum(ne)) => {
                let (oe, ne) = (old.enum_(oe), new.enum_(ne));
                if oe.full_name != ne.full_name && (oe.name != ne.name || !enum_is_subset(oe, ne)) {
                    return Some(TypeProblem::Name);
                }
                None
            }
            (
                FieldType::Message(a) | FieldType::Group(a),
                FieldType::Message(b) | FieldType::Group(b),
            ) if old.message(a).full_name != new.message(b).full_name => Some(TypeProblem::Name),
            _ => None,
        }
    }

    // ---- enums ----------------------------------------------------------------------------------------------

    fn enums(&mut self) {
        for oe in self.old.enums() {
            if let Some(ne) = self.new.enum_by_name(&oe.full_name) {
                self.enum_pair(oe, ne);
            }
        }
    }

    fn enum_pair(&mut self, oe: &Enum, ne: &Enum) {
        let path = ne.full_name.clone();
        if oe.is_closed() != ne.is_closed() {
            let state = |closed: bool| if closed { "closed" } else { "open" };
            self.at_new(
                "ENUM_SAME_TYPE",
                path.clone(),
                ne.file,
                ne.name_span,
                format!(
                    "Enum \"{}\" changed from {} to {}: unknown values are handled differently.",
                    ne.name,
                    state(oe.is_closed()),
                    state(ne.is_closed())
                ),
            );
        }
        if oe.features.json_format == JsonFormat::Allow
            && ne.features.json_format != JsonFormat::Allow
        {
            self.at_new(
                "ENUM_SAME_JSON_FORMAT",
                path.clone(),
                ne.file,
                ne.name_span,
                format!(
                    "Enum \"{}\" JSON format support changed from ALLOW to LEGACY_BEST_EFFORT.",
                    ne.name
                ),
            );
        }
        let by_number = |e: &Enum| -> BTreeMap<i32, Vec<usize>> {
            let mut m: BTreeMap<i32, Vec<usize>> = BTreeMap::new();
            for (i, v) in e.values.iter().enumerate() {
                m.entry(v.number).or_default().push(i);
            }
            m
        };
        let (on, nn) = (by_number(oe), by_number(ne));
        let nf = self.new.file(ne.file).path.clone();
        for (number, idxs) in &on {
            let names: BTreeSet<&str> = idxs.iter().map(|&i| oe.values[i].name.as_str()).collect();
            let quoted = names
                .iter()
                .map(|n| format!("\"{n}\""))
                .collect::<Vec<_>>()
                .join(", ");
            let first = &oe.values[idxs[0]];
            match nn.get(number) {
                None => {
                    let vpath = format!("{}.{}", oe.full_name, first.name);
                    self.at_old(
                        "ENUM_VALUE_NO_DELETE",
                        vpath.clone(),
                        oe.file,
                        first.span,
                        Some(&nf),
                        format!(
                            "Previously present enum value \"{number}\" on enum \"{}\" was deleted.",
                            ne.name
                        ),
                    );
                    if !in_ranges(*number, &ne.reserved_ranges) {
                        self.at_old(
                            "ENUM_VALUE_NO_DELETE_UNLESS_NUMBER_RESERVED",
                            vpath.clone(),
                            oe.file,
                            first.span,
                            Some(&nf),
                            format!(
                                "Previously present enum value \"{number}\" on enum \"{}\" was deleted without \
                                 reserving the number \"{number}\". Add `reserved {number};`.",
                                ne.name
                            ),
                        );
                    }
                    if !names
                        .iter()
                        .all(|n| ne.reserved_names.iter().any(|r| r.name == *n))
                    {
                        self.at_old(
                            "ENUM_VALUE_NO_DELETE_UNLESS_NAME_RESERVED",
                            vpath,
                            oe.file,
                            first.span,
                            Some(&nf),
                            format!(
                                "Previously present enum value \"{number}\" on enum \"{}\" was deleted without \
                                 reserving the name{} {quoted}: JSON carrying it no longer parses.",
                                ne.name,
                                if names.len() > 1 { "s" } else { "" }
                            ),
                        );
                    }
                }
                Some(nidx) => {
                    let new_names: BTreeSet<&str> =
                        nidx.iter().map(|&i| ne.values[i].name.as_str()).collect();
                    if !names.is_subset(&new_names) {
                        let nquoted = new_names
                            .iter()
                            .map(|n| format!("\"{n}\""))
                            .collect::<Vec<_>>()
                            .join(", ");
                        for &i in nidx {
                            let v = &ne.values[i];
                            self.at_new(
                                "ENUM_VALUE_SAME_NAME",
                                format!("{}.{}", ne.full_name, v.name),
                                ne.file,
                                v.span,
                                format!(
                                    "Enum value \"{number}\" on enum \"{}\" changed name from {quoted} to \
                                     {nquoted}: JSON and text carrying the old name no longer parse. Keep the old \
                                     name as an alias (`option allow_alias = true;`).",
                                    ne.name
                                ),
                            );
                        }
                    }
                }
            }
        }
        for (prev, lost) in missing_ranges(&oe.reserved_ranges, &ne.reserved_ranges, ENUM_MAX) {
            self.at_new(
                "RESERVED_ENUM_NO_DELETE",
                path.clone(),
                ne.file,
                ne.name_span,
                format!(
                    "Previously present reserved range \"{prev}\" on enum \"{}\" is missing values: {lost} were \
                     removed.",
                    ne.name
                ),
            );
        }
        for r in &oe.reserved_names {
            if !ne.reserved_names.iter().any(|n| n.name == r.name) {
                self.at_new(
                    "RESERVED_ENUM_NO_DELETE",
                    path.clone(),
                    ne.file,
                    ne.name_span,
                    format!(
                        "Previously present reserved name \"{}\" on enum \"{}\" was deleted.",
                        r.name, ne.name
                    ),
                );
            }
        }
    }

    // ---- services -------------------------------------------------------------------------------------------

    fn services(&mut self) {
        let (old, new) = (self.old, self.new);
        for os in old.services() {
            let Some(ns) = new.service_by_name(&os.full_name) else {
                continue;
            };
            let nfile = new.file(ns.file).path.clone();
            for om in &os.methods {
                let Some(nm) = ns.methods.iter().find(|m| m.name == om.name) else {
                    self.at_old(
                        "RPC_NO_DELETE",
                        om.full_name.clone(),
                        os.file,
                        om.span,
                        Some(&nfile),
                        format!(
                            "Previously present RPC \"{}\" on service \"{}\" was deleted: its clients break.",
                            om.name, ns.name
                        ),
                    );
                    continue;
                };
                let path = nm.full_name.clone();
                let rpc = format!("RPC \"{}\" on service \"{}\"", nm.name, ns.name);
                for (rule, side, o, n) in [
                    (
                        "RPC_SAME_CLIENT_STREAMING",
                        "client",
                        om.client_streaming,
                        nm.client_streaming,
                    ),
                    (
                        "RPC_SAME_SERVER_STREAMING",
                        "server",
                        om.server_streaming,
                        nm.server_streaming,
                    ),
                ] {
                    if o != n {
                        let s = |b: bool| if b { "streaming" } else { "unary" };
                        self.at_new(
                            rule,
                            path.clone(),
                            ns.file,
                            nm.span,
                            format!("{rpc} changed from {side} {} to {side} {}.", s(o), s(n)),
                        );
                    }
                }
                let (oi, ni) = (
                    &old.message(om.input).full_name,
                    &new.message(nm.input).full_name,
                );
                if oi != ni {
                    self.at_new(
                        "RPC_SAME_REQUEST_TYPE",
                        path.clone(),
                        ns.file,
                        nm.input_span,
                        format!("{rpc} changed request type from \".{oi}\" to \".{ni}\"."),
                    );
                }
                let (oo, no) = (
                    &old.message(om.output).full_name,
                    &new.message(nm.output).full_name,
                );
                if oo != no {
                    self.at_new(
                        "RPC_SAME_RESPONSE_TYPE",
                        path.clone(),
                        ns.file,
                        nm.output_span,
                        format!("{rpc} changed response type from \".{oo}\" to \".{no}\"."),
                    );
                }
                let oi = option_or(&om.options, "idempotency_level", "IDEMPOTENCY_UNKNOWN");
                let ni = option_or(&nm.options, "idempotency_level", "IDEMPOTENCY_UNKNOWN");
                if oi != ni {
                    let span = option_span(&nm.options, "idempotency_level").unwrap_or(nm.span);
                    self.at_new(
                        "RPC_SAME_IDEMPOTENCY_LEVEL",
                        path,
                        ns.file,
                        span,
                        format!(
                            "{rpc} changed option \"idempotency_level\" from \"{oi}\" to \"{ni}\"."
                        ),
                    );
                }
            }
        }
    }
}

/// The field with this number, by a scan.
fn field_by_number(m: &Message, number: i32) -> Option<&Field> {
    m.fields.iter().find(|f| f.number == number)
}

/// Required fields by number, by resolved presence (proto2 `required` and editions `LEGACY_REQUIRED` alike).
fn required_fields(m: &Message) -> BTreeMap<i32, &Field> {
    m.fields
        .iter()
        .filter(|f| f.is_required())
        .map(|f| (f.number, f))
        .collect()
}

/// How messages name a field: `Field "3" with name "total" on message "Order"`, formatted only when needed.
struct FieldDesc<'a> {
    field: &'a Field,
    owner: &'a str,
}

impl std::fmt::Display for FieldDesc<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (what, name) = if self.field.extendee.is_some() {
            ("Extension", &self.field.full_name)
        } else {
            ("Field", &self.field.name)
        };
        write!(
            f,
            "{what} \"{}\" with name \"{name}\" on message \"{}\"",
            self.field.number, self.owner
        )
    }
}

/// The full name of a field's message, group or enum type, without allocating.
fn type_full_name(module: &Module, ty: FieldType) -> Option<&str> {
    match ty {
        FieldType::Message(m) | FieldType::Group(m) => Some(&module.message(m).full_name),
        FieldType::Enum(e) => Some(&module.enum_(e).full_name),
        _ => None,
    }
}

enum TypeProblem {
    Kind(&'static str),
    Name,
}

/// buf's file-option rules: rule, option, value when unset.
const FILE_OPTIONS: [(&str, &str, &str); 16] = [
    ("FILE_SAME_CC_ENABLE_ARENAS", "cc_enable_arenas", "true"),
    (
        "FILE_SAME_CC_GENERIC_SERVICES",
        "cc_generic_services",
        "false",
    ),
    ("FILE_SAME_CSHARP_NAMESPACE", "csharp_namespace", ""),
    ("FILE_SAME_GO_PACKAGE", "go_package", ""),
    (
        "FILE_SAME_JAVA_GENERIC_SERVICES",
        "java_generic_services",
        "false",
    ),
    (
        "FILE_SAME_JAVA_MULTIPLE_FILES",
        "java_multiple_files",
        "false",
    ),
    ("FILE_SAME_JAVA_OUTER_CLASSNAME", "java_outer_classname", ""),
    ("FILE_SAME_JAVA_PACKAGE", "java_package", ""),
    ("FILE_SAME_OBJC_CLASS_PREFIX", "objc_class_prefix", ""),
    ("FILE_SAME_OPTIMIZE_FOR", "optimize_for", "SPEED"),
    ("FILE_SAME_PHP_CLASS_PREFIX", "php_class_prefix", ""),
    (
        "FILE_SAME_PHP_METADATA_NAMESPACE",
        "php_metadata_namespace",
        "",
    ),
    ("FILE_SAME_PHP_NAMESPACE", "php_namespace", ""),
    (
        "FILE_SAME_PY_GENERIC_SERVICES",
        "py_generic_services",
        "false",
    ),
    ("FILE_SAME_RUBY_PACKAGE", "ruby_package", ""),
    ("FILE_SAME_SWIFT_PREFIX", "swift_prefix", ""),
];

fn syntax_text(s: Syntax) -> &'static str {
    match s {
        Syntax::Proto2 => "proto2",
        Syntax::Proto3 => "proto3",
        Syntax::Editions(_) => "editions",
    }
}

/// Where a file's package is declared: the `package` statement (as buf reports it), else the syntax statement.
fn package_span(f: &File) -> Span {
    f.package_statement_span
        .or(f.syntax_span)
        .unwrap_or_default()
}

/// The simple names of a file's top-level messages, enums and services: what identifies a moved file.
fn top_level_names(module: &Module, file: &File) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    names.extend(
        file.messages
            .iter()
            .map(|&m| format!("m:{}", module.message(m).name)),
    );
    names.extend(
        file.enums
            .iter()
            .map(|&e| format!("e:{}", module.enum_(e).name)),
    );
    names.extend(
        file.services
            .iter()
            .map(|&s| format!("s:{}", module.service(s).name)),
    );
    names
}

fn in_ranges(n: i32, ranges: &[FieldRange]) -> bool {
    ranges.iter().any(|r| r.start <= n && n <= r.end)
}

/// For every range of `old` not wholly covered by `new`: the range's text and the missing parts.
fn missing_ranges(old: &[FieldRange], new: &[FieldRange], max: i32) -> Vec<(String, String)> {
    let mut collapsed: Vec<(i64, i64)> =
        new.iter().map(|r| (r.start.into(), r.end.into())).collect();
    collapsed.sort_unstable();
    let mut merged: Vec<(i64, i64)> = Vec::new();
    for (s, e) in collapsed {
        match merged.last_mut() {
            Some(last) if s <= last.1 + 1 => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }
    let show = |s: i64, e: i64| {
        if s == e {
            format!("{s}")
        } else if e == i64::from(max) {
            format!("{s} to max")
        } else {
            format!("{s} to {e}")
        }
    };
    let mut out = Vec::new();
    for r in old {
        let (mut start, end) = (i64::from(r.start), i64::from(r.end));
        let mut missing = Vec::new();
        for &(s, e) in &merged {
            if e < start {
                continue;
            }
            if s > end {
                break;
            }
            if s > start {
                missing.push((start, s - 1));
            }
            start = e + 1;
            if start > end {
                break;
            }
        }
        if start <= end {
            missing.push((start, end));
        }
        if !missing.is_empty() {
            let parts: Vec<String> = missing
                .iter()
                .map(|&(s, e)| {
                    if s == e {
                        format!("[{s}]")
                    } else if e == i64::from(max) {
                        format!("[{s},max]")
                    } else {
                        format!("[{s},{e}]")
                    }
                })
                .collect();
            out.push((show(r.start.into(), r.end.into()), parts.join(", ")));
        }
    }
    out
}

fn wire_group(k: Kind) -> u8 {
    match k {
        Kind::Int32 | Kind::Int64 | Kind::Uint32 | Kind::Uint64 | Kind::Bool => 1,
        Kind::Sint32 | Kind::Sint64 => 2,
        Kind::String => 3,
        Kind::Bytes => 4,
        Kind::Fixed32 | Kind::Sfixed32 => 5,
        Kind::Fixed64 | Kind::Sfixed64 => 6,
        Kind::Double => 7,
        Kind::Float => 8,
        Kind::Group => 9,
        Kind::Message => 10,
        Kind::Enum => 11,
    }
}

fn wire_json_group(k: Kind) -> u8 {
    match k {
        Kind::Int32 | Kind::Uint32 => 1,
        Kind::Int64 | Kind::Uint64 => 2,
        Kind::Fixed32 | Kind::Sfixed32 => 3,
        Kind::Fixed64 | Kind::Sfixed64 => 4,
        Kind::Bool => 5,
        Kind::Sint32 => 6,
        Kind::Sint64 => 7,
        Kind::String => 8,
        Kind::Bytes => 9,
        Kind::Double => 10,
        Kind::Float => 11,
        Kind::Group => 12,
        Kind::Message => 13,
        Kind::Enum => 14,
    }
}

/// Every (name, number) of `old` is in `new`: buf's test for a same-named enum swapped in.
fn enum_is_subset(old: &Enum, new: &Enum) -> bool {
    old.values.iter().all(|v| {
        new.values
            .iter()
            .any(|w| w.name == v.name && w.number == v.number)
    })
}

fn is_64bit(t: FieldType) -> bool {
    matches!(
        t,
        FieldType::Int64
            | FieldType::Sint64
            | FieldType::Uint64
            | FieldType::Fixed64
            | FieldType::Sfixed64
    )
}

fn can_have_default(f: &Field) -> bool {
    !f.is_repeated() && !matches!(f.ty, FieldType::Message(_) | FieldType::Group(_))
}

/// A field's default value, explicit or implied, in a comparable form.
struct Default {
    value: DefaultValue,
    text: String,
}

enum DefaultValue {
    Text(String),
    Int(i128),
    Float(f64, bool),
}

impl Default {
    fn is_zero(&self) -> bool {
        match &self.value {
            DefaultValue::Text(s) => s.is_empty(),
            DefaultValue::Int(i) => *i == 0,
            DefaultValue::Float(f, _) => f.to_bits() == 0,
        }
    }

    fn equals(&self, other: &Default) -> bool {
        use DefaultValue::*;
        match (&self.value, &other.value) {
            (Text(a), Text(b)) => a == b,
            (Text(_), _) | (_, Text(_)) => false,
            (Int(a), Int(b)) => a == b,
            (Float(a, a32), Float(b, b32)) => {
                (a.is_nan() && b.is_nan())
                    || if *a32 || *b32 {
                        (*a as f32) == (*b as f32)
                    } else {
                        a == b
                    }
            }
            (Int(i), Float(f, _)) | (Float(f, _), Int(i)) => !f.is_nan() && (*i as f64) == *f,
        }
    }
}

fn default_of(module: &Module, f: &Field) -> Default {
    let written = f.default_value.as_deref();
    match f.ty {
        FieldType::String | FieldType::Bytes => {
            let s = written.unwrap_or("").to_owned();
            Default {
                text: format!("\"{s}\""),
                value: DefaultValue::Text(s),
            }
        }
        FieldType::Enum(e) => {
            let e = module.enum_(e);
            let v = match written {
                Some(name) => e.value_by_name(name),
                None => e.values.first(),
            };
            let number = v.map_or(0, |v| v.number);
            Default {
                text: format!("{}.{}", e.name, v.map_or("?", |v| v.name.as_str())),
                value: DefaultValue::Int(number.into()),
            }
        }
        FieldType::Bool => {
            let b = written == Some("true");
            Default {
                text: b.to_string(),
                value: DefaultValue::Int(i128::from(b)),
            }
        }
        FieldType::Float | FieldType::Double => {
            let text = written.unwrap_or("0").to_owned();
            let v = match text.as_str() {
                "inf" => f64::INFINITY,
                "-inf" => f64::NEG_INFINITY,
                "nan" | "-nan" => f64::NAN,
                t => t.parse().unwrap_or(0.0),
            };
            Default {
                text,
                value: DefaultValue::Float(v, f.ty == FieldType::Float),
            }
        }
        _ => {
            let text = written.unwrap_or("0").to_owned();
            Default {
                value: DefaultValue::Int(text.parse().unwrap_or(0)),
                text,
            }
        }
    }
}

/// The C++ string type of a string or bytes field: (`STRING`/`CORD`/`VIEW`, whether it is `STRING_PIECE`).
fn cpp_string_type(module: &Module, f: &Field, parent: Option<MessageId>) -> (String, bool) {
    let file = module.file(f.file);
    let ed = edition(file);
    if ed.is_none_or(|e| e < herald_schema::proto::Edition::E2024)
        && let Some(ct) = f.options.iter().rev().find(|o| o.is_simple("ctype"))
    {
        match super::util::option_text(ct).as_str() {
            "CORD" => return ("CORD".to_owned(), false),
            "STRING_PIECE" => return ("STRING".to_owned(), true),
            _ if ed.is_none() => return ("STRING".to_owned(), false),
            _ => {}
        }
    }
    if ed.is_some()
        && let Some(v) = field_language_feature(module, f, parent, "pb.cpp", "string_type")
    {
        return (v, false);
    }
    let default = if ed == Some(herald_schema::proto::Edition::E2024) {
        "VIEW"
    } else {
        "STRING"
    };
    (default.to_owned(), false)
}

/// The Java UTF-8 validation of a string field.
fn java_utf8(module: &Module, f: &Field, parent: Option<MessageId>) -> Utf8Validation {
    let file = module.file(f.file);
    let default = f.features.utf8_validation;
    let check = option_span(&file.options, "java_string_check_utf8").is_some();
    if edition(file).is_none() || check {
        if option_or(&file.options, "java_string_check_utf8", "false") == "true" {
            return Utf8Validation::Verify;
        }
        return default;
    }
    match field_language_feature(module, f, parent, "pb.java", "utf8_validation").as_deref() {
        Some("VERIFY") => Utf8Validation::Verify,
        _ => default,
    }
}

fn utf8_text(v: Utf8Validation) -> &'static str {
    match v {
        Utf8Validation::Verify => "VERIFY",
        Utf8Validation::None => "NONE",
    }
}
