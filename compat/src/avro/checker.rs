//! Apache Avro Java's reader/writer compatibility algorithm (`SchemaCompatibility`), over Herald's Avro model.
//!
//! Same dispatch, same verdicts, same incompatibility kinds and JSON-pointer locations as Java 1.12. Two
//! deliberate differences, both about reporting: a memoized pair reused at a second place is reported at that
//! place too (Java repeats the first place), and a reader field that matches two writer fields is reported as
//! `AMBIGUOUS_FIELD_MATCH` (Java throws, which Confluent turns into "incompatible").
//!
//! Results are trees shared through `Rc`: a memoized pair's result is built once and attached wherever the pair
//! recurs; pointers and human paths are produced by one walk at the end, so the check stays linear.

use std::collections::HashMap;
use std::rc::Rc;

use herald_schema::avro::{AvroSchema, Kind, NodeId, Record};
use herald_schema::span::Span;

use crate::avro::{AvroRule, Incompatibility, SchemaSide};

/// A step from a pair to a nested pair, as in Java's location stack.
#[derive(Debug, Clone)]
enum Token {
    /// The `fields` literal before a field position.
    Fields,
    /// `<reader position>` of a field of the reader record (its name is looked up for the human path).
    Field(NodeId, usize),
    Type,
    Items,
    Values,
    /// Branch `<index>` of a writer union (its label is looked up for the human path).
    Branch(NodeId, usize),
    Name,
    Size,
    Symbols,
}

#[derive(Debug)]
struct Leaf {
    rule: AvroRule,
    /// Tokens below the pair the leaf belongs to (`name`, `size`, `symbols`, a field).
    tokens: Vec<Token>,
    java_message: String,
    message: String,
    reader: (u32, Span),
    writer: (u32, Span),
}

#[derive(Debug)]
enum Entry {
    Leaf(Leaf),
    Child(Token, Res),
}

/// The result of one reader/writer pair: empty means compatible.
type Res = Rc<Vec<Entry>>;

/// Which schema is which in messages: "reader"/"writer", or "new schema"/"old schema" once a level knows.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Roles {
    pub reader: &'static str,
    pub writer: &'static str,
    /// The reader is the old schema (a FORWARD check): fixes go into the new schema, the writer.
    pub reader_is_old: bool,
}

pub(crate) struct Checker<'a> {
    reader: &'a AvroSchema,
    writer: &'a AvroSchema,
    roles: Roles,
    /// Record pairs: `None` while in progress (a recursive visit counts as compatible, as in Java).
    memo: HashMap<(NodeId, NodeId), Option<Res>, BuildPairHasher>,
    empty: Res,
}

impl<'a> Checker<'a> {
    pub(crate) fn new(reader: &'a AvroSchema, writer: &'a AvroSchema, roles: Roles) -> Checker<'a> {
        Checker {
            reader,
            writer,
            roles,
            memo: HashMap::default(),
            empty: Rc::new(Vec::new()),
        }
    }

    /// Every incompatibility between the two root types, in Java's order.
    pub(crate) fn run(mut self) -> Vec<Incompatibility> {
        let res = self.pair(self.reader.root(), self.writer.root());
        let mut out = Vec::new();
        let mut tokens = Vec::new();
        self.flatten(&res, &mut tokens, &mut out);
        out
    }

    fn pair(&mut self, r: NodeId, w: NodeId) -> Res {
        let memoize = matches!(self.reader.kind(r), Kind::Record(_))
            && matches!(self.writer.kind(w), Kind::Record(_));
        if !memoize {
            return self.calculate(r, w);
        }
        match self.memo.get(&(r, w)) {
            Some(Some(res)) => return res.clone(),
            Some(None) => return self.empty.clone(),
            None => {}
        }
        self.memo.insert((r, w), None);
        let res = self.calculate(r, w);
        self.memo.insert((r, w), Some(res.clone()));
        res
    }

    fn calculate(&mut self, r: NodeId, w: NodeId) -> Res {
        let (reader, writer) = (self.reader, self.writer);
        let rk = reader.kind(r);
        let wk = writer.kind(w);
        let mut entries = Vec::new();
        if rk.same_type(wk) {
            match (rk, wk) {
                (Kind::Array(ri), Kind::Array(wi)) => {
                    let child = self.pair(*ri, *wi);
                    push_child(&mut entries, Token::Items, child);
                }
                (Kind::Map(rv), Kind::Map(wv)) => {
                    let child = self.pair(*rv, *wv);
                    push_child(&mut entries, Token::Values, child);
                }
                (Kind::Fixed(rf), Kind::Fixed(wf)) => {
                    self.check_names(r, w, &mut entries);
                    if rf.size != wf.size {
                        entries.push(Entry::Leaf(self.leaf(
                            AvroRule::FixedSizeMismatch,
                            r,
                            w,
                            vec![Token::Size],
                            format!("expected: {}, found: {}", wf.size, rf.size),
                            format!(
                                "fixed {} has size {} in the {} but {} in the {}; the size of a fixed type cannot \
                                 change",
                                rf.name, rf.size, self.roles.reader, wf.size, self.roles.writer
                            ),
                        )));
                    }
                }
                (Kind::Enum(re), Kind::Enum(we)) => {
                    self.check_names(r, w, &mut entries);
                    let mut missing: Vec<&String> = we
                        .symbols
                        .iter()
                        .filter(|s| !re.symbols.contains(s))
                        .collect();
                    if !missing.is_empty() && re.default.is_none() {
                        missing.sort();
                        let list = missing
                            .iter()
                            .map(|s| s.as_str())
                            .collect::<Vec<_>>()
                            .join(", ");
                        entries.push(Entry::Leaf(self.leaf(
                            AvroRule::MissingEnumSymbols,
                            r,
                            w,
                            vec![Token::Symbols],
                            format!("[{list}]"),
                            if self.roles.reader_is_old {
                                format!(
                                    "the {} adds symbol(s) [{list}] to enum {}, which the {} does not know and has \
                                     no default symbol for, so consumers still on the {} fail on them; give the \
                                     enum a \"default\" in a release before adding symbols",
                                    self.roles.writer, re.name, self.roles.reader, self.roles.reader
                                )
                            } else {
                                format!(
                                    "enum {} of the {} lacks the symbol(s) [{list}] that the {} can write, and has \
                                     no default symbol; keep the symbol(s) or give the enum a \"default\"",
                                    re.name, self.roles.reader, self.roles.writer
                                )
                            },
                        )));
                    }
                }
                (Kind::Record(rr), Kind::Record(wr)) => {
                    self.check_names(r, w, &mut entries);
                    self.check_fields(r, w, rr, wr, &mut entries);
                }
                (Kind::Union(_), Kind::Union(wb)) => {
                    for (i, &branch) in wb.iter().enumerate() {
                        if !self.pair(r, branch).is_empty() {
                            let leaf = self.missing_branch(r, branch);
                            entries.push(Entry::Child(
                                Token::Branch(w, i),
                                Rc::new(vec![Entry::Leaf(leaf)]),
                            ));
                        }
                    }
                }
                _ => {} // the same primitive type
            }
            return Rc::new(entries);
        }
        // A writer union: every branch must be readable by the (non-union) reader.
        if let Kind::Union(wb) = wk {
            for (i, &branch) in wb.iter().enumerate() {
                let child = self.pair(r, branch);
                push_child(&mut entries, Token::Branch(w, i), child);
            }
            return Rc::new(entries);
        }
        let promotable = matches!(
            (rk, wk),
            (Kind::Long, Kind::Int)
                | (Kind::Float, Kind::Int | Kind::Long)
                | (Kind::Double, Kind::Int | Kind::Long | Kind::Float)
                | (Kind::Bytes, Kind::String)
                | (Kind::String, Kind::Bytes)
        );
        if promotable {
            return self.empty.clone();
        }
        if let Kind::Union(rb) = rk {
            if rb.iter().any(|&branch| self.pair(branch, w).is_empty()) {
                return self.empty.clone();
            }
            let leaf = self.missing_branch(r, w);
            return Rc::new(vec![Entry::Leaf(leaf)]);
        }
        let mut hint = String::new();
        if let Some(readable) = promotions_from(wk) {
            hint = format!(" ({} can be read only as {readable})", wk.avro_name());
        }
        let leaf = self.leaf(
            AvroRule::TypeMismatch,
            r,
            w,
            Vec::new(),
            format!(
                "reader type: {} not compatible with writer type: {}",
                rk.type_name(),
                wk.type_name()
            ),
            format!(
                "the {} has type {} where the {} has {}{hint}",
                self.roles.reader,
                reader.describe(r),
                self.roles.writer,
                writer.describe(w)
            ),
        );
        Rc::new(vec![Entry::Leaf(leaf)])
    }

    fn check_names(&self, r: NodeId, w: NodeId, entries: &mut Vec<Entry>) {
        let rk = self.reader.kind(r);
        let wk = self.writer.kind(w);
        let (Some(rn), Some(wn)) = (rk.name(), wk.name()) else {
            return;
        };
        if rn.name == wn.name {
            return;
        }
        let writer_full = wn.full_name();
        if rk.aliases().contains(&writer_full) {
            return;
        }
        entries.push(Entry::Leaf(self.leaf(
            AvroRule::NameMismatch,
            r,
            w,
            vec![Token::Name],
            format!("expected: {writer_full}"),
            format!(
                "the {} names this {} {rn} but the {} names it {writer_full}; keep the name or add \
                 \"aliases\": [\"{writer_full}\"] to the {}",
                self.roles.reader,
                rk.avro_name(),
                self.roles.writer,
                self.roles.reader
            ),
        )));
    }

    fn check_fields(
        &mut self,
        r: NodeId,
        w: NodeId,
        rr: &Record,
        wr: &Record,
        entries: &mut Vec<Entry>,
    ) {
        let mut fields = Vec::new();
        for (pos, field) in rr.fields.iter().enumerate() {
            // The writer field at the same position is the usual match: try it before hashing the name.
            let direct = match wr.fields.get(pos) {
                Some(same) if same.name == field.name => Some(pos),
                _ => wr.by_name.get(&field.name).copied(),
            };
            let mut found = direct.into_iter().chain(
                field
                    .aliases
                    .iter()
                    .filter_map(|a| wr.by_name.get(a).copied()),
            );
            let (first, second) = (found.next(), found.next());
            let several: Vec<usize> = match (first, second) {
                (Some(a), Some(b)) => [a, b].into_iter().chain(found).collect(),
                _ => Vec::new(),
            };
            match (first, second) {
                (None, _) => {
                    if field.default.is_some() {
                        continue;
                    }
                    if let Kind::Enum(e) = self.reader.kind(field.ty)
                        && e.default.is_some()
                    {
                        // Java's quirk: an enum with a default is compared with the writer record itself.
                        let child = self.pair(field.ty, w);
                        if !child.is_empty() {
                            fields.push(Entry::Child(
                                Token::Field(r, pos),
                                Rc::new(vec![Entry::Child(Token::Type, child)]),
                            ));
                        }
                        continue;
                    }
                    let source = self.reader.node(r).source;
                    let leaf = Leaf {
                        rule: AvroRule::ReaderFieldMissingDefaultValue,
                        tokens: vec![Token::Field(r, pos)],
                        java_message: field.name.clone(),
                        message: if self.roles.reader_is_old {
                            format!(
                                "the {} has no field {} in record {}, which the {} reads and gives no default, \
                                 so consumers still on the {} cannot read new data; keep the field (a field can \
                                 be removed only once every reader has a default for it)",
                                self.roles.writer,
                                field.name,
                                wr.name,
                                self.roles.reader,
                                self.roles.reader
                            )
                        } else {
                            format!(
                                "field {} ({}) of the {} is not in the {}'s record {} and has no default, so \
                                 records written without it cannot be read; give it a \"default\"",
                                field.name,
                                self.reader.describe(field.ty),
                                self.roles.reader,
                                self.roles.writer,
                                wr.name
                            )
                        },
                        reader: (source, field.span),
                        writer: self.span_of(self.writer, w),
                    };
                    fields.push(Entry::Leaf(leaf));
                }
                (Some(one), None) => {
                    let child = self.pair(field.ty, wr.fields[one].ty);
                    if !child.is_empty() {
                        fields.push(Entry::Child(
                            Token::Field(r, pos),
                            Rc::new(vec![Entry::Child(Token::Type, child)]),
                        ));
                    }
                }
                (Some(_), Some(_)) => {
                    let names = several
                        .iter()
                        .map(|&i| wr.fields[i].name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ");
                    let source = self.reader.node(r).source;
                    let leaf = Leaf {
                        rule: AvroRule::AmbiguousFieldMatch,
                        tokens: vec![Token::Field(r, pos)],
                        java_message: format!(
                            "Reader record field {} matches multiple fields in writer record schema {}",
                            field.name, wr.name
                        ),
                        message: format!(
                            "field {} of the {} matches several fields of the {}'s record {} by its name and \
                             aliases ({names}); Apache Avro cannot decide which to read; remove the extra alias",
                            field.name, self.roles.reader, self.roles.writer, wr.name
                        ),
                        reader: (source, field.span),
                        writer: self.span_of(self.writer, w),
                    };
                    fields.push(Entry::Leaf(leaf));
                }
            }
        }
        if !fields.is_empty() {
            entries.push(Entry::Child(Token::Fields, Rc::new(fields)));
        }
    }

    /// MISSING_UNION_BRANCH for writer type `w` against reader union `r`, explaining the closest reader branch.
    fn missing_branch(&mut self, r: NodeId, w: NodeId) -> Leaf {
        let (reader, writer) = (self.reader, self.writer);
        let wk = writer.kind(w);
        let mut because = String::new();
        if let Kind::Union(branches) = reader.kind(r) {
            let closest = branches.iter().copied().find(|&b| {
                let bk = reader.kind(b);
                bk.same_type(wk)
                    && bk
                        .name()
                        .is_none_or(|n| wk.name().is_some_and(|wn| wn.name == n.name))
            });
            if let Some(b) = closest {
                let res = self.pair(b, w);
                let mut inner = Vec::new();
                self.flatten(&res, &mut Vec::new(), &mut inner);
                if let Some(first) = inner.first() {
                    because = format!(
                        "; its branch {} does not match: {}",
                        reader.describe(b),
                        first.message
                    );
                    if inner.len() > 1 {
                        because.push_str(&format!(" (and {} more)", inner.len() - 1));
                    }
                }
            }
        }
        self.leaf(
            AvroRule::MissingUnionBranch,
            r,
            w,
            Vec::new(),
            format!("reader union lacking writer type: {}", wk.type_name()),
            format!(
                "the {}'s {} has no branch that can read the {}'s {}{because}",
                self.roles.reader,
                reader.describe(r),
                self.roles.writer,
                writer.describe(w)
            ),
        )
    }

    fn span_of(&self, schema: &AvroSchema, id: NodeId) -> (u32, Span) {
        let node = schema.node(id);
        (node.source, node.span)
    }

    fn leaf(
        &self,
        rule: AvroRule,
        r: NodeId,
        w: NodeId,
        tokens: Vec<Token>,
        java_message: String,
        message: String,
    ) -> Leaf {
        Leaf {
            rule,
            tokens,
            java_message,
            message,
            reader: self.span_of(self.reader, r),
            writer: self.span_of(self.writer, w),
        }
    }

    fn flatten(&self, res: &Res, tokens: &mut Vec<Token>, out: &mut Vec<Incompatibility>) {
        for entry in res.iter() {
            match entry {
                Entry::Child(token, child) => {
                    tokens.push(token.clone());
                    self.flatten(child, tokens, out);
                    tokens.pop();
                }
                Entry::Leaf(leaf) => {
                    let all: Vec<&Token> = tokens.iter().chain(leaf.tokens.iter()).collect();
                    out.push(Incompatibility {
                        rule: leaf.rule,
                        pointer: pointer(&all),
                        path: self.human_path(&all),
                        java_message: leaf.java_message.clone(),
                        message: leaf.message.clone(),
                        reader: SchemaSide {
                            source: leaf.reader.0,
                            span: leaf.reader.1,
                        },
                        writer: SchemaSide {
                            source: leaf.writer.0,
                            span: leaf.writer.1,
                        },
                    });
                }
            }
        }
    }

    fn human_path(&self, tokens: &[&Token]) -> String {
        let root = self.reader.root();
        let mut path = match self.reader.kind(root).name() {
            Some(name) => name.name.clone(),
            None => self.reader.kind(root).avro_name().to_owned(),
        };
        for token in tokens {
            match token {
                Token::Fields | Token::Type | Token::Name | Token::Size | Token::Symbols => {}
                Token::Field(record, pos) => {
                    if let Kind::Record(record) = self.reader.kind(*record) {
                        path.push('.');
                        path.push_str(&record.fields[*pos].name);
                    }
                }
                Token::Items => path.push_str("[]"),
                Token::Values => path.push_str("{}"),
                Token::Branch(union, index) => {
                    if let Kind::Union(branches) = self.writer.kind(*union) {
                        path.push('<');
                        path.push_str(&self.writer.branch_label(branches[*index]));
                        path.push('>');
                    }
                }
            }
        }
        path
    }
}

/// A fast hasher for the memo's keys (pairs of small integers); no HashDoS concern, the keys are our own ids.
#[derive(Debug, Default, Clone, Copy)]
struct BuildPairHasher;

#[derive(Debug, Default)]
struct PairHasher(u64);

impl std::hash::BuildHasher for BuildPairHasher {
    type Hasher = PairHasher;
    fn build_hasher(&self) -> PairHasher {
        PairHasher(0)
    }
}

impl std::hash::Hasher for PairHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }
    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }
    fn write_u64(&mut self, n: u64) {
        // FxHash's step: rotate, mix in, multiply by an odd constant.
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

fn push_child(entries: &mut Vec<Entry>, token: Token, child: Res) {
    if !child.is_empty() {
        entries.push(Entry::Child(token, child));
    }
}

/// Java's location: `/fields/1/type/items`, or `/` at the root.
fn pointer(tokens: &[&Token]) -> String {
    let mut out = String::new();
    for token in tokens {
        match token {
            Token::Fields => out.push_str("/fields"),
            Token::Field(_, pos) => out.push_str(&format!("/{pos}")),
            Token::Type => out.push_str("/type"),
            Token::Items => out.push_str("/items"),
            Token::Values => out.push_str("/values"),
            Token::Branch(_, i) => out.push_str(&format!("/{i}")),
            Token::Name => out.push_str("/name"),
            Token::Size => out.push_str("/size"),
            Token::Symbols => out.push_str("/symbols"),
        }
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}

/// The types a writer's primitive can be read as, for a TYPE_MISMATCH hint.
fn promotions_from(kind: &Kind) -> Option<&'static str> {
    Some(match kind {
        Kind::Int => "int, long, float or double",
        Kind::Long => "long, float or double",
        Kind::Float => "float or double",
        Kind::String => "string or bytes",
        Kind::Bytes => "bytes or string",
        _ => return None,
    })
}
