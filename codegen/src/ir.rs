//! The worker model read from Herald's custom options (`herald/options.proto`), with every build-time check.
//!
//! [`extract`] walks a compiled [`Module`], reads `(herald.event)`, `(herald.worker)` and `(herald.handler)`, and
//! returns the events and workers to generate, or every error it found, each located at a file, line and column.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use herald_schema::proto::ast::{ValueAst, ValueKind};
use herald_schema::proto::{
    Field, FieldType, FileId, Label, Message, Module, OptionSetting, Service, Symbol,
};
use herald_schema::span::Span;

/// The import path of Herald's options file, provided to every compilation.
pub const OPTIONS_PATH: &str = "herald/options.proto";
/// The text of `herald/options.proto`.
pub const OPTIONS_PROTO: &str = include_str!("herald/options.proto");

const EVENT_EXT: &str = "herald.event";
const WORKER_EXT: &str = "herald.worker";
const HANDLER_EXT: &str = "herald.handler";
const EMITS_TYPE: &str = "herald.Emits";

/// One build-time error: what is wrong and where it was written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}:{column}: {message}")]
pub struct ValidationError {
    /// The file path as imported (relative to its include root).
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
    pub message: String,
}

/// Every error of one build, in file order.
#[derive(Debug, Clone, Default, PartialEq, Eq, thiserror::Error)]
pub struct ValidationErrors(pub Vec<ValidationError>);

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

/// How an event's key field is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    Str,
    Bytes,
    Signed,
    Unsigned,
}

/// The key field of an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyField {
    /// The field name as in the .proto.
    pub name: String,
    pub kind: KeyKind,
    /// The field tracks presence, so prost generates an `Option`.
    pub optional: bool,
}

/// A message bound to a topic by `(herald.event)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventDef {
    /// Fully-qualified name without a leading dot, e.g. `shop.orders.v1.OrderPlaced`.
    pub full_name: String,
    /// The package of the file that declares it (empty when none).
    pub package: String,
    pub topic: String,
    pub key: Option<KeyField>,
    /// The import path of the file that declares it (a key of [`Ir::files`]).
    pub file: String,
    /// Its path in the file for the Confluent wire format: index among the file's top-level messages, then among
    /// the nested messages of each enclosing message (map entries count, as in `DescriptorProto.nested_type`).
    pub message_index: Vec<u32>,
}

/// A `.proto` file embedded in generated code for the registry: an event's file or one of its imports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtoFileDef {
    /// The import path.
    pub path: String,
    /// The source text.
    pub source: String,
    /// Import paths of its imports, in order, without well-known types (`google/protobuf/*`), which registries
    /// know.
    pub imports: Vec<String>,
}

/// Record ordering of a worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ordering {
    PerPartition,
    PerKey,
    Unordered,
}

/// Retry policy of a worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retry {
    pub max_attempts: u32,
    pub initial_backoff_ms: u64,
    pub max_backoff_ms: u64,
}

/// A handler: an rpc of a worker service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandlerDef {
    /// The rpc name as in the .proto, e.g. `OnOrderPlaced`.
    pub rpc: String,
    pub comment: Option<String>,
    /// Fully-qualified name of the consumed event.
    pub input: String,
    /// The topic consumed (the event's, or the handler's override).
    pub topic: String,
    /// Fully-qualified names of the declared outputs, in declaration order.
    pub emits: Vec<String>,
}

/// A service declared as a worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerDef {
    /// The service name, e.g. `ShippingWorker`.
    pub name: String,
    pub full_name: String,
    pub package: String,
    /// The file that declares it.
    pub file: String,
    pub comment: Option<String>,
    pub group: String,
    pub ordering: Ordering,
    pub max_in_flight: u32,
    pub retry: Retry,
    pub dead_letter_topic: Option<String>,
    pub handlers: Vec<HandlerDef>,
}

/// Everything Herald generates for one compilation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ir {
    /// Events by fully-qualified name.
    pub events: BTreeMap<String, EventDef>,
    /// Workers in file order.
    pub workers: Vec<WorkerDef>,
    /// The files of the events and their imports, transitively, by import path.
    pub files: BTreeMap<String, ProtoFileDef>,
}

/// Default `max_in_flight`.
pub const DEFAULT_MAX_IN_FLIGHT: u32 = 16;
/// Default retry policy.
pub const DEFAULT_RETRY: Retry = Retry {
    max_attempts: 3,
    initial_backoff_ms: 100,
    max_backoff_ms: 10_000,
};

/// Reads and checks the Herald declarations of every file of `module` (Herald's own and built-in files excepted).
pub fn extract(module: &Module) -> Result<Ir, ValidationErrors> {
    let mut cx = Cx {
        module,
        errors: Vec::new(),
    };
    let mut ir = Ir::default();
    for m in module.messages() {
        if let Some(ev) = cx.event(m) {
            embed_file(module, m.file, &mut ir.files);
            ir.events.insert(ev.full_name.clone(), ev);
        }
    }
    let mut groups: HashMap<String, String> = HashMap::new();
    for s in module.services() {
        let file = module.file(s.file);
        if file.builtin || file.path == OPTIONS_PATH {
            continue;
        }
        if let Some(w) = cx.worker(s, &ir.events) {
            if let Some(other) = groups.get(&w.group) {
                let span =
                    herald_option(module, &s.options, WORKER_EXT).map_or(s.name_span, |o| o.span);
                let msg = format!(
                    "consumer group `{}` is already used by worker `{other}`; every worker needs its own group",
                    w.group
                );
                cx.error(s.file, span, msg);
            } else {
                groups.insert(w.group.clone(), w.full_name.clone());
            }
            ir.workers.push(w);
        }
    }
    if cx.errors.is_empty() {
        Ok(ir)
    } else {
        cx.errors.sort_by(|a, b| {
            (a.file.as_str(), a.line, a.column).cmp(&(b.file.as_str(), b.line, b.column))
        });
        Err(ValidationErrors(cx.errors))
    }
}

/// The first option setting that names the Herald extension `ext`.
fn herald_option<'a>(
    module: &Module,
    options: &'a [OptionSetting],
    ext: &str,
) -> Option<&'a OptionSetting> {
    options.iter().find(|o| is_ext(module, o, ext))
}

fn is_ext(module: &Module, o: &OptionSetting, ext: &str) -> bool {
    o.extension
        .is_some_and(|x| module.extension(x).full_name == ext)
}

/// One leaf of a Herald option: the field path below the extension (`retry.max_attempts`) and its value.
struct Leaf<'a> {
    path: String,
    value: &'a ValueAst,
    span: Span,
}

fn flatten<'a>(prefix: &str, value: &'a ValueAst, span: Span, out: &mut Vec<Leaf<'a>>) {
    match &value.kind {
        ValueKind::Aggregate(fields) => {
            for f in fields {
                let path = if prefix.is_empty() {
                    f.name.clone()
                } else {
                    format!("{prefix}.{}", f.name)
                };
                flatten(&path, &f.value, f.span, out);
            }
        }
        ValueKind::List(items) => {
            for item in items {
                flatten(prefix, item, item.span, out);
            }
        }
        _ => out.push(Leaf {
            path: prefix.to_string(),
            value,
            span,
        }),
    }
}

/// All leaves of every setting of `ext` (`option (ext) = {...}` and `option (ext).a.b = v` alike).
fn leaves<'a>(module: &Module, options: &'a [OptionSetting], ext: &str) -> Vec<Leaf<'a>> {
    let mut out = Vec::new();
    for o in options.iter().filter(|o| is_ext(module, o, ext)) {
        let prefix: Vec<&str> = o.name[1..].iter().map(|p| p.name.as_str()).collect();
        flatten(&prefix.join("."), &o.value, o.span, &mut out);
    }
    out
}

/// Whether registries know `path` without being sent it: the well-known types.
pub fn is_well_known(path: &str) -> bool {
    path.starts_with("google/protobuf/")
}

/// Adds `file` and its imports (well-known types excluded), transitively, to `files`.
fn embed_file(module: &Module, file: FileId, files: &mut BTreeMap<String, ProtoFileDef>) {
    let f = module.file(file);
    if files.contains_key(&f.path) || is_well_known(&f.path) {
        return;
    }
    let imports: Vec<&herald_schema::proto::Dependency> = f
        .dependencies
        .iter()
        .filter(|d| !is_well_known(&d.path))
        .collect();
    files.insert(
        f.path.clone(),
        ProtoFileDef {
            path: f.path.clone(),
            source: f.text().to_string(),
            imports: imports.iter().map(|d| d.path.clone()).collect(),
        },
    );
    for d in imports {
        embed_file(module, d.file, files);
    }
}

/// The message-index path of `m` in its file.
fn message_index(module: &Module, m: &Message) -> Vec<u32> {
    let mut path = Vec::new();
    let mut current = m;
    loop {
        let siblings = match current.parent {
            Some(p) => &module.message(p).messages,
            None => &module.file(current.file).messages,
        };
        let i = siblings
            .iter()
            .position(|&id| id == current.id)
            .expect("a message is among its parent's messages");
        path.push(u32::try_from(i).expect("message count fits u32"));
        match current.parent {
            Some(p) => current = module.message(p),
            None => break,
        }
    }
    path.reverse();
    path
}

struct Cx<'m> {
    module: &'m Module,
    errors: Vec<ValidationError>,
}

impl Cx<'_> {
    fn error(&mut self, file: FileId, span: Span, message: String) {
        let (path, at) = self.module.location(file, span);
        self.errors.push(ValidationError {
            file: path.to_string(),
            line: at.line,
            column: at.column,
            message,
        });
    }

    fn string(&mut self, file: FileId, leaf: &Leaf<'_>) -> Option<String> {
        if let ValueKind::Str(bytes) = &leaf.value.kind
            && let Ok(s) = String::from_utf8(bytes.clone())
        {
            return Some(s);
        }
        let msg = format!("`{}` must be a string", leaf.path);
        self.error(file, leaf.value.span, msg);
        None
    }

    fn unsigned(&mut self, file: FileId, leaf: &Leaf<'_>, max: u64) -> Option<u64> {
        if let ValueKind::Int {
            negative: false,
            magnitude: Some(n),
        } = leaf.value.kind
            && n <= max
        {
            return Some(n);
        }
        let msg = format!("`{}` must be an integer between 0 and {max}", leaf.path);
        self.error(file, leaf.value.span, msg);
        None
    }

    fn unknown(&mut self, file: FileId, leaf: &Leaf<'_>, ext: &str, known: &str) {
        let msg = format!(
            "`({ext})` has no field `{}` (expected one of: {known})",
            leaf.path
        );
        self.error(file, leaf.span, msg);
    }

    fn event(&mut self, m: &Message) -> Option<EventDef> {
        let opt = herald_option(self.module, &m.options, EVENT_EXT)?;
        let opt_span = opt.span;
        let mut topic = None;
        let mut key: Option<(String, Span)> = None;
        for leaf in leaves(self.module, &m.options, EVENT_EXT) {
            match leaf.path.as_str() {
                "topic" => topic = self.string(m.file, &leaf).map(|t| (t, leaf.value.span)),
                "key" => key = self.string(m.file, &leaf).map(|k| (k, leaf.value.span)),
                _ => self.unknown(m.file, &leaf, EVENT_EXT, "topic, key"),
            }
        }
        let topic = match topic {
            Some((t, span)) if t.trim().is_empty() => {
                let msg = format!("event `{}` has an empty topic", m.full_name);
                self.error(m.file, span, msg);
                return None;
            }
            Some((t, _)) => t,
            None => {
                let msg = format!(
                    "event `{}` has no topic: write `option (herald.event) = {{ topic: \"...\" }};`",
                    m.full_name
                );
                self.error(m.file, opt_span, msg);
                return None;
            }
        };
        let key = match key {
            Some((name, span)) if !name.is_empty() => Some(self.key_field(m, &name, span)?),
            _ => None,
        };
        let file = self.module.file(m.file);
        Some(EventDef {
            full_name: m.full_name.clone(),
            package: file.package.clone().unwrap_or_default(),
            topic,
            key,
            file: file.path.clone(),
            message_index: message_index(self.module, m),
        })
    }

    fn key_field(&mut self, m: &Message, name: &str, span: Span) -> Option<KeyField> {
        let Some(field) = m.field_by_name(name) else {
            let msg = format!("key field `{name}` does not exist in `{}`", m.full_name);
            self.error(m.file, span, msg);
            return None;
        };
        match key_kind(field) {
            Ok(kind) => Some(KeyField {
                name: name.to_string(),
                kind,
                optional: field.has_presence(),
            }),
            Err(why) => {
                let msg = format!(
                    "key field `{name}` of `{}` {why}; a key must be a singular string, bytes or integer field",
                    m.full_name
                );
                self.error(m.file, span, msg);
                None
            }
        }
    }

    fn worker(&mut self, s: &Service, events: &BTreeMap<String, EventDef>) -> Option<WorkerDef> {
        let declared = herald_option(self.module, &s.options, WORKER_EXT).is_some();
        let emits_id = self.module.message_by_name(EMITS_TYPE).map(|m| m.id);
        let handler_like = s.methods.iter().any(|m| {
            Some(m.output) == emits_id
                || herald_option(self.module, &m.options, HANDLER_EXT).is_some()
        });
        if !declared && !handler_like {
            return None; // an ordinary gRPC service
        }
        let file = s.file;
        let package = self.module.file(file).package.clone().unwrap_or_default();
        let mut w = WorkerDef {
            name: s.name.clone(),
            full_name: s.full_name.clone(),
            package: package.clone(),
            file: self.module.file(file).path.clone(),
            comment: s.comment.clone(),
            group: s.full_name.clone(),
            ordering: Ordering::PerPartition,
            max_in_flight: DEFAULT_MAX_IN_FLIGHT,
            retry: DEFAULT_RETRY,
            dead_letter_topic: None,
            handlers: Vec::new(),
        };
        let known = "group, ordering, max_in_flight, retry, dead_letter_topic";
        let mut dlq_span = None;
        let mut retry_span = None;
        for leaf in leaves(self.module, &s.options, WORKER_EXT) {
            match leaf.path.as_str() {
                "group" => {
                    if let Some(g) = self.string(file, &leaf) {
                        if g.trim().is_empty() {
                            self.error(file, leaf.value.span, "the consumer group is empty".into());
                        } else {
                            w.group = g;
                        }
                    }
                }
                "ordering" => match &leaf.value.kind {
                    ValueKind::Ident {
                        negative: false,
                        name,
                    } => match name.as_str() {
                        "PER_PARTITION" | "ORDERING_UNSPECIFIED" => {
                            w.ordering = Ordering::PerPartition
                        }
                        "PER_KEY" => w.ordering = Ordering::PerKey,
                        "UNORDERED" => w.ordering = Ordering::Unordered,
                        other => {
                            let msg = format!(
                                "unknown ordering `{other}` (expected PER_PARTITION, PER_KEY or UNORDERED)"
                            );
                            self.error(file, leaf.value.span, msg);
                        }
                    },
                    _ => self.error(
                        file,
                        leaf.value.span,
                        "`ordering` must be PER_PARTITION, PER_KEY or UNORDERED".into(),
                    ),
                },
                "max_in_flight" => {
                    if let Some(n) = self.unsigned(file, &leaf, u64::from(u32::MAX)) {
                        if n == 0 {
                            self.error(
                                file,
                                leaf.value.span,
                                "`max_in_flight` must be at least 1".into(),
                            );
                        } else {
                            w.max_in_flight = u32::try_from(n).unwrap_or(u32::MAX);
                        }
                    }
                }
                "retry.max_attempts" => {
                    retry_span.get_or_insert(leaf.span);
                    if let Some(n) = self.unsigned(file, &leaf, u64::from(u32::MAX)) {
                        if n == 0 {
                            self.error(file, leaf.value.span, "`retry.max_attempts` must be at least 1 (the first attempt counts)".into());
                        } else {
                            w.retry.max_attempts = u32::try_from(n).unwrap_or(u32::MAX);
                        }
                    }
                }
                "retry.initial_backoff_ms" => {
                    retry_span.get_or_insert(leaf.span);
                    if let Some(n) = self.unsigned(file, &leaf, u64::MAX) {
                        w.retry.initial_backoff_ms = n;
                    }
                }
                "retry.max_backoff_ms" => {
                    retry_span.get_or_insert(leaf.span);
                    if let Some(n) = self.unsigned(file, &leaf, u64::MAX) {
                        w.retry.max_backoff_ms = n;
                    }
                }
                "dead_letter_topic" => {
                    if let Some(t) = self.string(file, &leaf) {
                        dlq_span = Some(leaf.value.span);
                        w.dead_letter_topic = (!t.trim().is_empty()).then_some(t);
                    }
                }
                _ if leaf.path.starts_with("retry.") => self.unknown(
                    file,
                    &leaf,
                    WORKER_EXT,
                    "retry.max_attempts, retry.initial_backoff_ms, retry.max_backoff_ms",
                ),
                _ => self.unknown(file, &leaf, WORKER_EXT, known),
            }
        }
        if w.retry.max_backoff_ms < w.retry.initial_backoff_ms {
            let msg = format!(
                "`retry.max_backoff_ms` ({}) is less than `retry.initial_backoff_ms` ({})",
                w.retry.max_backoff_ms, w.retry.initial_backoff_ms
            );
            self.error(file, retry_span.unwrap_or(s.name_span), msg);
        }
        let mut consumed: HashMap<(String, String), String> = HashMap::new();
        for m in &s.methods {
            let Some(h) = self.handler(s, m, emits_id, events) else {
                continue;
            };
            let key = (h.topic.clone(), h.input.clone());
            if let Some(other) = consumed.get(&key) {
                let msg = format!(
                    "handlers `{other}` and `{}` both consume `{}` from topic `{}`; a worker has one handler per (topic, event type)",
                    h.rpc, h.input, h.topic
                );
                self.error(file, m.span, msg);
                continue;
            }
            consumed.insert(key, h.rpc.clone());
            w.handlers.push(h);
        }
        if let Some(dlq) = &w.dead_letter_topic
            && w.handlers.iter().any(|h| &h.topic == dlq)
        {
            let msg = format!(
                "dead-letter topic `{dlq}` is also consumed by worker `{}`, so failures would loop",
                w.name
            );
            self.error(file, dlq_span.unwrap_or(s.name_span), msg);
        }
        if s.methods.is_empty() {
            let msg = format!("worker `{}` has no handlers", s.full_name);
            self.error(file, s.name_span, msg);
        }
        Some(w)
    }

    fn handler(
        &mut self,
        s: &Service,
        m: &herald_schema::proto::Method,
        emits_id: Option<herald_schema::proto::MessageId>,
        events: &BTreeMap<String, EventDef>,
    ) -> Option<HandlerDef> {
        let file = s.file;
        if m.client_streaming || m.server_streaming {
            let msg = format!(
                "handler `{}` cannot stream; handlers take one event and return herald.Emits",
                m.name
            );
            self.error(file, m.span, msg);
            return None;
        }
        if Some(m.output) != emits_id {
            let msg = format!(
                "handler `{}` returns `{}`; handlers return `herald.Emits` and list their outputs in `(herald.handler).emits`",
                m.name,
                self.module.message(m.output).full_name
            );
            self.error(file, m.span, msg);
            return None;
        }
        let input = self.module.message(m.input);
        let mut topic_override = None;
        let mut emits: Vec<String> = Vec::new();
        let mut ok = true;
        for leaf in leaves(self.module, &m.options, HANDLER_EXT) {
            match leaf.path.as_str() {
                "emits" => {
                    let Some(name) = self.string(file, &leaf) else {
                        ok = false;
                        continue;
                    };
                    match self.resolve_event(&name, s, events) {
                        Ok(full) => {
                            if emits.contains(&full) {
                                let msg = format!("`{full}` is listed twice in `emits`");
                                self.error(file, leaf.value.span, msg);
                            } else {
                                emits.push(full);
                            }
                        }
                        Err(msg) => {
                            self.error(file, leaf.value.span, msg);
                            ok = false;
                        }
                    }
                }
                "topic" => {
                    if let Some(t) = self.string(file, &leaf) {
                        if t.trim().is_empty() {
                            self.error(
                                file,
                                leaf.value.span,
                                "the handler's topic is empty".into(),
                            );
                        } else {
                            topic_override = Some(t);
                        }
                    }
                }
                _ => self.unknown(file, &leaf, HANDLER_EXT, "emits, topic"),
            }
        }
        let topic = match (topic_override, events.get(&input.full_name)) {
            (Some(t), Some(_)) => t,
            (None, Some(ev)) => ev.topic.clone(),
            (_, None) => {
                let msg = format!(
                    "handler `{}` consumes `{}`, which has no topic binding: add `option (herald.event) = {{ topic: \"...\" }};` to it",
                    m.name, input.full_name
                );
                self.error(file, m.span, msg);
                return None;
            }
        };
        ok.then(|| HandlerDef {
            rpc: m.name.clone(),
            comment: m.comment.clone(),
            input: input.full_name.clone(),
            topic,
            emits,
        })
    }

    /// Resolves an `emits` entry: fully qualified (optionally with a leading dot), or relative to the worker's package.
    fn resolve_event(
        &self,
        name: &str,
        s: &Service,
        events: &BTreeMap<String, EventDef>,
    ) -> Result<String, String> {
        let name = name.trim();
        let bare = name.strip_prefix('.').unwrap_or(name);
        let mut candidates = vec![bare.to_string()];
        if !name.starts_with('.')
            && let Some(pkg) = &self.module.file(s.file).package
        {
            candidates.push(format!("{pkg}.{bare}"));
        }
        for c in &candidates {
            match self.module.lookup(c) {
                Some(Symbol::Message(id)) => {
                    let full = &self.module.message(id).full_name;
                    if !events.contains_key(full) {
                        return Err(format!(
                            "`{full}` is listed in `emits` but has no topic binding: add `option (herald.event) = {{ topic: \"...\" }};` to it"
                        ));
                    }
                    return Ok(full.clone());
                }
                Some(_) => return Err(format!("`{c}` in `emits` is not a message")),
                None => {}
            }
        }
        Err(format!(
            "`{name}` in `emits` does not name a message (is its file imported?)"
        ))
    }
}

fn key_kind(f: &Field) -> Result<KeyKind, &'static str> {
    if f.label == Label::Repeated {
        return Err(if f.map { "is a map" } else { "is repeated" });
    }
    if f.oneof_index.is_some() && !f.proto3_optional {
        return Err("is a member of a oneof");
    }
    Ok(match f.ty {
        FieldType::String => KeyKind::Str,
        FieldType::Bytes => KeyKind::Bytes,
        FieldType::Int32
        | FieldType::Int64
        | FieldType::Sint32
        | FieldType::Sint64
        | FieldType::Sfixed32
        | FieldType::Sfixed64 => KeyKind::Signed,
        FieldType::Uint32 | FieldType::Uint64 | FieldType::Fixed32 | FieldType::Fixed64 => {
            KeyKind::Unsigned
        }
        FieldType::Bool => return Err("is a bool"),
        FieldType::Float | FieldType::Double => return Err("is a floating-point number"),
        FieldType::Enum(_) => return Err("is an enum"),
        FieldType::Message(_) | FieldType::Group(_) => return Err("is a message"),
    })
}
