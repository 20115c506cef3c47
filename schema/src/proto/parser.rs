//! The .proto parser: recursive descent over lexer tokens into the syntax tree, with error recovery and a depth limit.

use super::ast::*;
use super::lexer::{Tok, Token, lex};
use crate::span::Span;

/// Deepest nesting of messages, groups and aggregate option values the parser accepts.
pub const MAX_NESTING_DEPTH: usize = 64;
/// The parser stops after this many errors in one file.
const MAX_ERRORS: usize = 100;

/// Which language a file is written in, as far as the parser cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lang {
    Proto2,
    Proto3,
    Editions,
}

/// An error message and where it applies.
pub(crate) type Located = (Span, String);

/// What parsing one file produced.
pub(crate) struct Parsed {
    /// The tree, as much as could be parsed.
    pub ast: FileAst,
    /// Malformed characters, numbers, strings and comments.
    pub lex: Vec<Located>,
    /// Text that does not follow the grammar.
    pub syntax: Vec<Located>,
    /// Errors in well-formed statements (see `Parser::soft_errors`): the tree is complete.
    pub soft: Vec<Located>,
}

/// Parses one file.
pub(crate) fn parse(text: &str) -> Parsed {
    let (mut toks, lex) = lex(text);
    let trailing = toks
        .iter_mut()
        .filter_map(|t| t.trailing_comment.take().map(|c| (t.span.end, c)))
        .collect();
    let mut p = Parser {
        trailing,
        text,
        toks,
        pos: 0,
        errors: Vec::new(),
        depth: 0,
        lang: Lang::Proto2,
        soft_errors: Vec::new(),
        edition_2024: false,
    };
    let ast = p.file();
    Parsed {
        ast,
        lex,
        syntax: p.errors,
        soft: p.soft_errors,
    }
}

struct Parser<'a> {
    text: &'a str,
    toks: Vec<Token>,
    pos: usize,
    errors: Vec<(Span, String)>,
    depth: usize,
    lang: Lang,
    /// Errors in well-formed statements (a label where none is allowed, ...): parsing goes on normally, and the
    /// resolver still runs so that its errors are reported too.
    soft_errors: Vec<(Span, String)>,
    /// Edition 2024 adds `export`/`local` and `import option`.
    edition_2024: bool,
    /// Trailing comments by the end offset of the token they follow.
    trailing: super::fasthash::FastMap<u32, String>,
}

/// The error has been recorded already.
type PResult<T> = Result<T, ()>;

impl Parser<'_> {
    fn peek(&self) -> &Token {
        &self.toks[self.pos.min(self.toks.len() - 1)]
    }

    /// A copy of the current token without its comments (cheap: no comment strings are cloned).
    fn peek_lite(&self) -> Token {
        let t = self.peek();
        Token {
            tok: t.tok.clone(),
            span: t.span,
            leading_comment: None,
            trailing_comment: None,
        }
    }

    fn peek_at(&self, n: usize) -> &Token {
        &self.toks[(self.pos + n).min(self.toks.len() - 1)]
    }

    /// Consumes the current token. The parser never looks behind its position, so the token is moved out (the
    /// final end-of-file token stays, and is cloned).
    fn bump(&mut self) -> Token {
        if self.pos < self.toks.len() - 1 {
            let span = self.toks[self.pos].span;
            let placeholder = Token {
                trailing_comment: None,
                tok: Tok::Eof,
                span,
                leading_comment: None,
            };
            let t = std::mem::replace(&mut self.toks[self.pos], placeholder);
            self.pos += 1;
            t
        } else {
            self.peek().clone()
        }
    }

    /// The comment trailing the token that ends at `end`.
    fn trailing_after(&mut self, end: Span) -> Option<String> {
        self.trailing.remove(&end.end)
    }

    fn text_of(&self, t: &Token) -> &str {
        self.text
            .get(t.span.start as usize..t.span.end as usize)
            .unwrap_or("")
    }

    fn at_ident(&self, word: &str) -> bool {
        let t = self.peek();
        t.tok == Tok::Ident && self.text_of(t) == word
    }

    fn at_punct(&self, c: u8) -> bool {
        self.peek().tok == Tok::Punct(c)
    }

    fn eat_punct(&mut self, c: u8) -> bool {
        if self.at_punct(c) {
            self.bump();
            true
        } else {
            false
        }
    }

    fn eat_ident(&mut self, word: &str) -> bool {
        if self.at_ident(word) {
            self.bump();
            true
        } else {
            false
        }
    }

    fn describe(&self, t: &Token) -> String {
        match &t.tok {
            Tok::Eof => "end of file".to_string(),
            Tok::Str(_) => "a string".to_string(),
            _ => format!("`{}`", self.text_of(t)),
        }
    }

    fn error<T>(&mut self, span: Span, msg: impl Into<String>) -> PResult<T> {
        if self.errors.len() < MAX_ERRORS {
            self.errors.push((span, msg.into()));
        }
        Err(())
    }

    fn soft(&mut self, span: Span, msg: impl Into<String>) {
        if self.soft_errors.len() < MAX_ERRORS {
            self.soft_errors.push((span, msg.into()));
        }
    }

    fn unexpected<T>(&mut self, expected: &str) -> PResult<T> {
        let t = self.peek_lite();
        let msg = format!("expected {expected}, found {}", self.describe(&t));
        self.error(t.span, msg)
    }

    fn expect_punct(&mut self, c: u8) -> PResult<Span> {
        if self.at_punct(c) {
            Ok(self.bump().span)
        } else {
            self.unexpected(&format!("`{}`", c as char))
        }
    }

    fn ident(&mut self, what: &str) -> PResult<Ident> {
        if self.peek().tok == Tok::Ident {
            let t = self.bump();
            Ok(Ident {
                text: self.text_of(&t).to_string(),
                span: t.span,
            })
        } else {
            self.unexpected(what)
        }
    }

    /// `a.b.c`
    fn full_ident(&mut self, what: &str) -> PResult<Ident> {
        let first = self.ident(what)?;
        let mut text = first.text;
        let mut span = first.span;
        while self.at_punct(b'.') {
            self.bump();
            let next = self.ident(what)?;
            text.push('.');
            text.push_str(&next.text);
            span.end = next.span.end;
        }
        Ok(Ident { text, span })
    }

    /// `.a.b.C` or `a.b.C`
    fn type_name(&mut self) -> PResult<Ident> {
        let start = self.peek().span;
        let lead = self.eat_punct(b'.');
        let mut id = self.full_ident("a type name")?;
        if lead {
            id.text.insert(0, '.');
            id.span.start = start.start;
        }
        Ok(id)
    }

    fn string(&mut self, what: &str) -> PResult<(Vec<u8>, Span)> {
        let mut out = Vec::new();
        let mut span: Option<Span> = None;
        while let Tok::Str(s) = &self.peek().tok {
            out.extend_from_slice(s);
            let t = self.bump();
            span = Some(match span {
                Some(sp) => Span {
                    start: sp.start,
                    end: t.span.end,
                },
                None => t.span,
            });
        }
        match span {
            Some(sp) => Ok((out, sp)),
            None => self.unexpected(what),
        }
    }

    fn string_ident(&mut self, what: &str) -> PResult<Ident> {
        let (bytes, span) = self.string(what)?;
        match String::from_utf8(bytes) {
            Ok(text) => Ok(Ident { text, span }),
            Err(_) => self.error(span, format!("{what} must be valid UTF-8")),
        }
    }

    /// Skips to the end of the current statement: past the next `;` or balanced `{...}` block, or up to an
    /// unmatched `}` (left for the enclosing block).
    fn recover(&mut self) {
        let mut depth = 0usize;
        loop {
            match self.peek().tok {
                Tok::Eof => return,
                Tok::Punct(b';') if depth == 0 => {
                    self.bump();
                    return;
                }
                Tok::Punct(b'{') => depth += 1,
                Tok::Punct(b'}') => {
                    if depth == 0 {
                        return;
                    }
                    depth -= 1;
                    if depth == 0 {
                        self.bump();
                        self.eat_punct(b';');
                        return;
                    }
                }
                _ => {}
            }
            self.bump();
        }
    }

    fn stmt<T>(&mut self, r: PResult<T>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(()) => {
                self.recover();
                None
            }
        }
    }

    fn too_many_errors(&self) -> bool {
        self.errors.len() >= MAX_ERRORS
    }

    // ---------------------------------------------------------------- file

    fn file(&mut self) -> FileAst {
        let mut f = FileAst {
            span: Span::new(0, self.text.len()),
            ..FileAst::default()
        };
        if self.at_ident("syntax") || self.at_ident("edition") {
            let r = self.syntax_decl();
            if let Some(s) = self.stmt(r) {
                f.syntax = Some(s);
            }
        }
        while self.peek().tok != Tok::Eof && !self.too_many_errors() {
            let before = self.pos;
            let r = self.top_item(&mut f);
            self.stmt(r);
            if self.pos == before {
                // A stray `}` at top level: report and skip it so the loop always advances.
                let t = self.bump();
                let msg = format!("unexpected {}", self.describe(&t));
                let _ = self.error::<()>(t.span, msg);
            }
        }
        f
    }

    fn syntax_decl(&mut self) -> PResult<SyntaxDecl> {
        let kw = self.ident("`syntax` or `edition`")?;
        self.expect_punct(b'=')?;
        let v = self.string_ident("a string")?;
        self.expect_punct(b';')?;
        if kw.text == "syntax" {
            match v.text.as_str() {
                "proto2" => self.lang = Lang::Proto2,
                "proto3" => self.lang = Lang::Proto3,
                other => {
                    let msg =
                        format!("unknown syntax {other:?}: expected \"proto2\" or \"proto3\"");
                    self.soft(v.span, msg);
                }
            }
            Ok(SyntaxDecl::Syntax(v))
        } else {
            match v.text.as_str() {
                "2023" | "2024" => {
                    self.lang = Lang::Editions;
                    self.edition_2024 = v.text == "2024";
                }
                other => {
                    let msg =
                        format!("unsupported edition {other:?}: expected \"2023\" or \"2024\"");
                    self.soft(v.span, msg);
                }
            }
            Ok(SyntaxDecl::Edition(v))
        }
    }

    fn top_item(&mut self, f: &mut FileAst) -> PResult<()> {
        let t = self.peek_lite();
        if t.tok == Tok::Punct(b';') {
            self.bump();
            return Ok(());
        }
        if t.tok != Tok::Ident {
            if t.tok == Tok::Punct(b'}') {
                return Ok(()); // handled by the caller
            }
            return self.unexpected("a top-level statement");
        }
        match self.text_of(&t) {
            "syntax" | "edition" => self.error(
                t.span,
                "`syntax` or `edition` must be the first statement of the file",
            ),
            "import" => {
                self.bump();
                let kind = if self.eat_ident("public") {
                    ImportKind::Public
                } else if self.eat_ident("weak") {
                    ImportKind::Weak
                } else if self.at_ident("option") {
                    let kw = self.bump();
                    if !self.edition_2024 {
                        self.soft(kw.span, "`import option` needs edition 2024");
                    }
                    ImportKind::Option
                } else {
                    ImportKind::Default
                };
                let path = self.string_ident("an import path")?;
                let end = self.expect_punct(b';')?;
                f.imports.push(Import {
                    path,
                    kind,
                    span: Span {
                        start: t.span.start,
                        end: end.end,
                    },
                });
                Ok(())
            }
            "package" => {
                self.bump();
                let name = self.full_ident("a package name")?;
                let end = self.expect_punct(b';')?;
                if let Some(prev) = &f.package {
                    let msg = format!("multiple package declarations (first was `{}`)", prev.text);
                    self.soft(name.span, msg);
                    return Ok(());
                }
                f.package = Some(name);
                f.package_statement_span = Some(Span {
                    start: t.span.start,
                    end: end.end,
                });
                Ok(())
            }
            "option" => {
                let o = self.option_stmt()?;
                f.options.push(o);
                Ok(())
            }
            "export" | "local" if self.visibility_follows() => {
                let (v, start) = self.visibility();
                if self.at_ident("message") {
                    let mut m = self.message()?;
                    m.visibility = Some(v);
                    m.span.start = start;
                    f.messages.push(m);
                } else {
                    let mut e = self.enum_()?;
                    e.visibility = Some(v);
                    e.span.start = start;
                    f.enums.push(e);
                }
                Ok(())
            }
            "message" => {
                let m = self.message()?;
                f.messages.push(m);
                Ok(())
            }
            "enum" => {
                let e = self.enum_()?;
                f.enums.push(e);
                Ok(())
            }
            "service" => {
                let s = self.service()?;
                f.services.push(s);
                Ok(())
            }
            "extend" => {
                let e = self.extend()?;
                f.extends.push(e);
                Ok(())
            }
            _ => self.unexpected(
                "`message`, `enum`, `service`, `extend`, `import`, `package` or `option`",
            ),
        }
    }

    // ------------------------------------------------------------- options

    /// `option name = value;`
    fn option_stmt(&mut self) -> PResult<OptionAst> {
        let kw = self.bump();
        let mut o = self.option_body()?;
        let end = self.expect_punct(b';')?;
        o.span = Span {
            start: kw.span.start,
            end: end.end,
        };
        Ok(o)
    }

    /// `name = value` (used by `option` statements and `[...]` lists).
    fn option_body(&mut self) -> PResult<OptionAst> {
        let start = self.peek().span.start;
        let mut name = Vec::new();
        loop {
            if self.at_punct(b'(') {
                let open = self.bump().span;
                let id = self.type_name()?;
                let close = self.expect_punct(b')')?;
                name.push(OptionNamePart {
                    name: id.text,
                    is_extension: true,
                    span: Span {
                        start: open.start,
                        end: close.end,
                    },
                });
            } else {
                let id = self.ident("an option name")?;
                name.push(OptionNamePart {
                    name: id.text,
                    is_extension: false,
                    span: id.span,
                });
            }
            if !self.eat_punct(b'.') {
                break;
            }
        }
        self.expect_punct(b'=')?;
        let value = self.value(false)?;
        let span = Span {
            start,
            end: value.span.end,
        };
        Ok(OptionAst { name, value, span })
    }

    /// `[a = 1, (b).c = "x"]`
    fn option_list(&mut self) -> PResult<Vec<OptionAst>> {
        let mut out = Vec::new();
        if !self.eat_punct(b'[') {
            return Ok(out);
        }
        loop {
            out.push(self.option_body()?);
            if self.eat_punct(b']') {
                return Ok(out);
            }
            if !self.eat_punct(b',') {
                return self.unexpected("`,` or `]`");
            }
        }
    }

    fn enter(&mut self, span: Span) -> PResult<()> {
        self.depth += 1;
        if self.depth > MAX_NESTING_DEPTH {
            self.depth -= 1;
            let msg = format!("nesting is too deep (the limit is {MAX_NESTING_DEPTH} levels)");
            let _ = self.error::<()>(span, msg);
            // Give up on the file: nothing sensible follows and recovery would only repeat the error.
            self.pos = self.toks.len() - 1;
            return Err(());
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    /// A constant (`in_text` allows text-format lists too).
    fn value(&mut self, in_text: bool) -> PResult<ValueAst> {
        let t = self.peek_lite();
        match &t.tok {
            Tok::Punct(b'{') | Tok::Punct(b'<') => {
                self.enter(t.span)?;
                let r = self.aggregate();
                self.leave();
                r
            }
            Tok::Punct(b'[') if in_text => {
                self.enter(t.span)?;
                let r = self.list();
                self.leave();
                r
            }
            Tok::Str(_) => {
                let (s, span) = self.string("a string")?;
                Ok(ValueAst {
                    kind: ValueKind::Str(s),
                    span,
                })
            }
            Tok::Punct(b'-') | Tok::Punct(b'+') => {
                let negative = t.tok == Tok::Punct(b'-');
                self.bump();
                let n = self.peek_lite();
                let span = Span {
                    start: t.span.start,
                    end: n.span.end,
                };
                match n.tok {
                    Tok::Int(m) => {
                        self.bump();
                        Ok(ValueAst {
                            kind: ValueKind::Int {
                                negative,
                                magnitude: m,
                            },
                            span,
                        })
                    }
                    Tok::Float(f) => {
                        self.bump();
                        Ok(ValueAst {
                            kind: ValueKind::Float(if negative { -f } else { f }),
                            span,
                        })
                    }
                    Tok::Ident => {
                        let name = self.text_of(&n).to_string();
                        if !matches!(
                            name.to_ascii_lowercase().as_str(),
                            "inf" | "infinity" | "nan"
                        ) {
                            return self.unexpected("a number after the sign");
                        }
                        self.bump();
                        Ok(ValueAst {
                            kind: ValueKind::Ident { negative, name },
                            span,
                        })
                    }
                    _ => self.unexpected("a number after the sign"),
                }
            }
            Tok::Int(m) => {
                let m = *m;
                self.bump();
                Ok(ValueAst {
                    kind: ValueKind::Int {
                        negative: false,
                        magnitude: m,
                    },
                    span: t.span,
                })
            }
            Tok::Float(f) => {
                let f = *f;
                self.bump();
                Ok(ValueAst {
                    kind: ValueKind::Float(f),
                    span: t.span,
                })
            }
            Tok::Ident => {
                let id = self.full_ident("a value")?;
                Ok(ValueAst {
                    kind: ValueKind::Ident {
                        negative: false,
                        name: id.text,
                    },
                    span: id.span,
                })
            }
            _ => self.unexpected("a value"),
        }
    }

    fn list(&mut self) -> PResult<ValueAst> {
        let open = self.bump().span;
        let mut items = Vec::new();
        if !self.at_punct(b']') {
            loop {
                items.push(self.value(true)?);
                if !self.eat_punct(b',') {
                    break;
                }
            }
        }
        let close = self.expect_punct(b']')?;
        Ok(ValueAst {
            kind: ValueKind::List(items),
            span: Span {
                start: open.start,
                end: close.end,
            },
        })
    }

    /// `{ a: 1 b { c: 2 } [ext.x]: 3 }` (also with `<` `>`).
    fn aggregate(&mut self) -> PResult<ValueAst> {
        let open = self.bump();
        let close_c = if open.tok == Tok::Punct(b'{') {
            b'}'
        } else {
            b'>'
        };
        let mut fields = Vec::new();
        loop {
            if self.at_punct(close_c) {
                let close = self.bump().span;
                return Ok(ValueAst {
                    kind: ValueKind::Aggregate(fields),
                    span: Span {
                        start: open.span.start,
                        end: close.end,
                    },
                });
            }
            let start = self.peek().span.start;
            let (name, is_extension) = if self.eat_punct(b'[') {
                let mut n = self.type_name()?.text;
                // `[type.googleapis.com/pkg.Msg]` for Any values
                while self.eat_punct(b'/') {
                    n.push('/');
                    n.push_str(&self.full_ident("a type name")?.text);
                }
                self.expect_punct(b']')?;
                (n, true)
            } else {
                (self.ident("a field name")?.text, false)
            };
            let colon = self.eat_punct(b':');
            if !colon && !self.at_punct(b'{') && !self.at_punct(b'<') {
                return self.unexpected("`:`");
            }
            let value = self.value(true)?;
            let span = Span {
                start,
                end: value.span.end,
            };
            fields.push(AggregateField {
                name,
                is_extension,
                value,
                span,
            });
            if !self.eat_punct(b',') {
                self.eat_punct(b';');
            }
        }
    }

    /// `export message X` / `local enum Y`: the keyword is followed by `message` or `enum` and a name.
    fn visibility_follows(&self) -> bool {
        let t = self.peek_at(1);
        t.tok == Tok::Ident
            && matches!(self.text_of(t), "message" | "enum")
            && self.peek_at(2).tok == Tok::Ident
    }

    /// Consumes `export` or `local`; returns it and where it starts.
    fn visibility(&mut self) -> (Visibility, u32) {
        let kw = self.bump();
        if !self.edition_2024 {
            self.soft(kw.span, "`export` and `local` need edition 2024");
        }
        let v = if self.text_of(&kw) == "export" {
            Visibility::Export
        } else {
            Visibility::Local
        };
        (v, kw.span.start)
    }

    // ------------------------------------------------------------ messages

    fn message(&mut self) -> PResult<MessageAst> {
        let kw = self.bump();
        let name = self.ident("a message name")?;
        self.message_body(name, kw.span.start, kw.leading_comment)
    }

    /// `{ ... }` of a message or group; `start` is where the declaration began.
    fn message_body(
        &mut self,
        name: Ident,
        start: u32,
        comment: Option<String>,
    ) -> PResult<MessageAst> {
        let open = self.expect_punct(b'{')?;
        self.enter(open)?;
        let trailing_comment = self.trailing_after(open);
        let mut m = MessageAst {
            trailing_comment,
            name,
            visibility: None,
            fields: vec![],
            oneofs: vec![],
            messages: vec![],
            enums: vec![],
            extends: vec![],
            reserved: vec![],
            extensions: vec![],
            options: vec![],
            field_order: vec![],
            span: Span::default(),
            comment,
        };
        let r = self.block_items(|p| p.message_item(&mut m));
        self.leave();
        let close = r?;
        m.span = Span {
            start,
            end: close.end,
        };
        Ok(m)
    }

    /// Parses statements until the closing `}` (consumed; its span returned).
    fn block_items(&mut self, mut item: impl FnMut(&mut Self) -> PResult<()>) -> PResult<Span> {
        loop {
            if self.at_punct(b'}') {
                return Ok(self.bump().span);
            }
            if self.peek().tok == Tok::Eof {
                return self.unexpected("`}`");
            }
            if self.too_many_errors() {
                return Err(());
            }
            let before = self.pos;
            let r = item(self);
            if r.is_err() {
                if self.peek().tok == Tok::Eof {
                    return Err(());
                }
                self.recover();
            }
            if self.pos == before {
                self.bump();
            }
        }
    }

    fn message_item(&mut self, m: &mut MessageAst) -> PResult<()> {
        let t = self.peek_lite();
        if t.tok == Tok::Punct(b';') {
            self.bump();
            return Ok(());
        }
        if t.tok != Tok::Ident && t.tok != Tok::Punct(b'.') {
            return self
                .unexpected("a field, or a `message`, `enum`, `oneof`, `option` ... statement");
        }
        let text = self.text;
        let word = text
            .get(t.span.start as usize..t.span.end as usize)
            .unwrap_or("");
        let next_is_name = self.peek_at(1).tok == Tok::Ident;
        match word {
            "export" | "local" if self.visibility_follows() => {
                let (v, start) = self.visibility();
                if self.at_ident("message") {
                    let mut n = self.message()?;
                    n.visibility = Some(v);
                    n.span.start = start;
                    m.messages.push(n);
                } else {
                    let mut e = self.enum_()?;
                    e.visibility = Some(v);
                    e.span.start = start;
                    m.enums.push(e);
                }
            }
            "message" if next_is_name => {
                let n = self.message()?;
                m.messages.push(n);
            }
            "enum" if next_is_name => {
                let e = self.enum_()?;
                m.enums.push(e);
            }
            "extend" if next_is_name || self.peek_at(1).tok == Tok::Punct(b'.') => {
                let e = self.extend()?;
                m.extends.push(e);
            }
            "option"
                if self.peek_at(1).tok == Tok::Ident || self.peek_at(1).tok == Tok::Punct(b'(') =>
            {
                let o = self.option_stmt()?;
                m.options.push(o);
            }
            "oneof" if next_is_name => {
                let o = self.oneof(m)?;
                m.oneofs.push(o);
            }
            "reserved"
                if !self.peek_at(1).tok.eq(&Tok::Punct(b'=')) && !next_is_name_then_eq(self) =>
            {
                let r = self.reserved()?;
                m.reserved.push(r);
            }
            "extensions" if matches!(self.peek_at(1).tok, Tok::Int(_)) => {
                let e = self.extensions()?;
                m.extensions.push(e);
            }
            _ => {
                let f = self.field(true, false)?;
                m.field_order.push((None, m.fields.len()));
                m.fields.push(f);
            }
        }
        Ok(())
    }

    fn oneof(&mut self, m: &mut MessageAst) -> PResult<OneofAst> {
        let kw = self.bump();
        let name = self.ident("a oneof name")?;
        let oneof_index = m.oneofs.len();
        let mut o = OneofAst {
            name,
            fields: vec![],
            options: vec![],
            span: Span::default(),
        };
        self.expect_punct(b'{')?;
        let close = self.block_items(|p| {
            if p.at_punct(b';') {
                p.bump();
                return Ok(());
            }
            if p.at_ident("option") {
                let opt = p.option_stmt()?;
                o.options.push(opt);
                return Ok(());
            }
            let f = p.field(false, true)?;
            m.field_order.push((Some(oneof_index), o.fields.len()));
            o.fields.push(f);
            Ok(())
        })?;
        o.span = Span {
            start: kw.span.start,
            end: close.end,
        };
        Ok(o)
    }

    /// A field (or map field, or group). `labels_ok` is false inside oneofs.
    fn field(&mut self, labels_ok: bool, in_oneof: bool) -> PResult<FieldAst> {
        let first = self.peek();
        let start = first.span.start;
        let comment = first.leading_comment.clone();
        let label = if self.at_ident("optional")
            || self.at_ident("required")
            || self.at_ident("repeated")
        {
            let next = self.peek_at(1).tok.clone();
            // `optional = 1` would be a field named `optional` with no type; treat the word as a label only when a
            // type follows.
            if next == Tok::Ident || next == Tok::Punct(b'.') {
                let t = self.bump();
                let l = match self.text_of(&t) {
                    "optional" => LabelAst::Optional,
                    "required" => LabelAst::Required,
                    _ => LabelAst::Repeated,
                };
                Some((l, t.span))
            } else {
                None
            }
        } else {
            None
        };
        if let Some((l, span)) = label {
            if !labels_ok {
                self.soft(span, "fields in a oneof must not have labels");
            }
            match (self.lang, l) {
                (Lang::Proto3, LabelAst::Required) => {
                    self.soft(span, "required fields are not allowed in proto3");
                }
                (Lang::Editions, LabelAst::Required) => self.soft(
                    span,
                    "the `required` label is not allowed in editions; use `features.field_presence = LEGACY_REQUIRED`",
                ),
                (Lang::Editions, LabelAst::Optional) => self.soft(
                    span,
                    "the `optional` label is not allowed in editions; fields have explicit presence by default",
                ),
                _ => {}
            }
        }
        // Groups
        if self.at_ident("group")
            && self.peek_at(1).tok == Tok::Ident
            && self.peek_at(2).tok == Tok::Punct(b'=')
        {
            let kw = self.bump();
            if self.lang != Lang::Proto2 {
                self.soft(
                    kw.span,
                    "groups are only allowed in proto2; use a message field (with `features.message_encoding = DELIMITED` in editions)",
                );
            }
            if label.is_none() && !in_oneof {
                self.soft(
                    kw.span,
                    "a group needs a label (`optional`, `required` or `repeated`)",
                );
            }
            let name = self.ident("a group name")?;
            if !name.text.starts_with(|c: char| c.is_ascii_uppercase()) {
                self.soft(name.span, "a group's name must start with a capital letter");
            }
            self.expect_punct(b'=')?;
            let (number, number_span) = self.field_number()?;
            let options = self.option_list()?;
            let body = self.message_body(name.clone(), start, comment.clone())?;
            let span = body.span;
            let field_name = Ident {
                text: name.text.to_ascii_lowercase(),
                span: name.span,
            };
            return Ok(FieldAst {
                trailing_comment: body.trailing_comment.clone(),
                label,
                ty: FieldTypeAst::Group(Box::new(body)),
                name: field_name,
                number,
                number_span,
                options,
                span,
                comment,
            });
        }
        let ty = if self.at_ident("map") && self.peek_at(1).tok == Tok::Punct(b'<') {
            let kw = self.bump();
            if let Some((_, span)) = label {
                self.soft(span, "map fields must not have labels");
            }
            if in_oneof {
                self.soft(kw.span, "map fields are not allowed in a oneof");
            }
            self.bump();
            let key = self.type_name()?;
            self.expect_punct(b',')?;
            let value = self.type_name()?;
            self.expect_punct(b'>')?;
            FieldTypeAst::Map { key, value }
        } else {
            FieldTypeAst::Named(self.type_name()?)
        };
        let name = self.ident("a field name")?;
        self.expect_punct(b'=')?;
        let (number, number_span) = self.field_number()?;
        let options = self.option_list()?;
        let end = self.expect_punct(b';')?;
        if label.is_none()
            && self.lang == Lang::Proto2
            && !in_oneof
            && !matches!(ty, FieldTypeAst::Map { .. })
        {
            self.soft(
                name.span,
                "proto2 fields need a label (`optional`, `required` or `repeated`)",
            );
        }
        Ok(FieldAst {
            trailing_comment: self.trailing_after(end),
            label,
            ty,
            name,
            number,
            number_span,
            options,
            span: Span {
                start,
                end: end.end,
            },
            comment,
        })
    }

    fn field_number(&mut self) -> PResult<(Option<i64>, Span)> {
        let t = self.peek_lite();
        let (negative, span) = if t.tok == Tok::Punct(b'-') {
            self.bump();
            (
                true,
                Span {
                    start: t.span.start,
                    end: self.peek().span.end,
                },
            )
        } else {
            (false, t.span)
        };
        match self.peek().tok {
            Tok::Int(m) => {
                self.bump();
                let v = m
                    .and_then(|m| i64::try_from(m).ok())
                    .map(|m| if negative { -m } else { m });
                Ok((v.filter(|v| i32::try_from(*v).is_ok()), span))
            }
            _ => self.unexpected("a number"),
        }
    }

    fn ranges(&mut self, allow_max: bool) -> PResult<Vec<RangeAst>> {
        let mut out = Vec::new();
        loop {
            let (start, sspan) = self.field_number()?;
            let mut span = sspan;
            let mut end = start;
            if self.eat_ident("to") {
                if self.at_ident("max") {
                    let t = self.bump();
                    span.end = t.span.end;
                    if !allow_max {
                        self.soft(t.span, "`max` is not allowed here");
                    }
                    end = None;
                } else {
                    let (e, espan) = self.field_number()?;
                    span.end = espan.end;
                    if e.is_none() {
                        self.soft(espan, "number out of range");
                    }
                    end = e;
                }
            }
            let Some(start) = start else {
                return self.error(sspan, "number out of range");
            };
            out.push(RangeAst { start, end, span });
            if !self.eat_punct(b',') {
                return Ok(out);
            }
        }
    }

    fn reserved(&mut self) -> PResult<ReservedAst> {
        let kw = self.bump();
        let mut r = ReservedAst {
            ranges: vec![],
            names: vec![],
            span: Span::default(),
        };
        match self.peek().tok {
            Tok::Str(_) => loop {
                let id = self.string_ident("a reserved name")?;
                if self.lang == Lang::Editions {
                    self.soft(
                        id.span,
                        "reserved names are identifiers in editions, not strings",
                    );
                }
                r.names.push(id);
                if !self.eat_punct(b',') {
                    break;
                }
            },
            Tok::Ident => loop {
                let id = self.ident("a reserved name")?;
                if self.lang != Lang::Editions {
                    self.soft(
                        id.span,
                        "reserved names must be string literals before editions",
                    );
                }
                r.names.push(id);
                if !self.eat_punct(b',') {
                    break;
                }
            },
            _ => r.ranges = self.ranges(true)?,
        }
        let end = self.expect_punct(b';')?;
        r.span = Span {
            start: kw.span.start,
            end: end.end,
        };
        Ok(r)
    }

    fn extensions(&mut self) -> PResult<ExtensionsAst> {
        let kw = self.bump();
        let ranges = self.ranges(true)?;
        let options = self.option_list()?;
        let end = self.expect_punct(b';')?;
        Ok(ExtensionsAst {
            ranges,
            options,
            span: Span {
                start: kw.span.start,
                end: end.end,
            },
        })
    }

    fn extend(&mut self) -> PResult<ExtendAst> {
        let kw = self.bump();
        let extendee = self.type_name()?;
        let mut e = ExtendAst {
            extendee,
            fields: vec![],
            span: Span::default(),
        };
        self.expect_punct(b'{')?;
        let close = self.block_items(|p| {
            if p.eat_punct(b';') {
                return Ok(());
            }
            let f = p.field(true, false)?;
            if let FieldTypeAst::Map { .. } = f.ty {
                return p.error(f.span, "map fields are not allowed in extensions");
            }
            e.fields.push(f);
            Ok(())
        })?;
        e.span = Span {
            start: kw.span.start,
            end: close.end,
        };
        Ok(e)
    }

    // --------------------------------------------------------------- enums

    fn enum_(&mut self) -> PResult<EnumAst> {
        let kw = self.bump();
        let name = self.ident("an enum name")?;
        let mut e = EnumAst {
            name,
            visibility: None,
            values: vec![],
            options: vec![],
            reserved: vec![],
            span: Span::default(),
            comment: kw.leading_comment,
            trailing_comment: None,
        };
        let open = self.expect_punct(b'{')?;
        e.trailing_comment = self.trailing_after(open);
        let close = self.block_items(|p| {
            if p.eat_punct(b';') {
                return Ok(());
            }
            let next_eq = p.peek_at(1).tok == Tok::Punct(b'=');
            if p.at_ident("option") && !next_eq {
                let o = p.option_stmt()?;
                e.options.push(o);
            } else if p.at_ident("reserved") && !next_eq {
                let r = p.reserved()?;
                e.reserved.push(r);
            } else {
                let comment = p.peek().leading_comment.clone();
                let name = p.ident("an enum value name")?;
                p.expect_punct(b'=')?;
                let (number, number_span) = p.field_number()?;
                if number.is_none() {
                    p.error(number_span, "enum value out of range for int32")?;
                }
                let options = p.option_list()?;
                let end = p.expect_punct(b';')?;
                let span = Span {
                    start: name.span.start,
                    end: end.end,
                };
                e.values.push(EnumValueAst {
                    trailing_comment: p.trailing_after(end),
                    name,
                    number,
                    number_span,
                    options,
                    span,
                    comment,
                });
            }
            Ok(())
        })?;
        e.span = Span {
            start: kw.span.start,
            end: close.end,
        };
        Ok(e)
    }

    // ------------------------------------------------------------ services

    fn service(&mut self) -> PResult<ServiceAst> {
        let kw = self.bump();
        let name = self.ident("a service name")?;
        let mut s = ServiceAst {
            name,
            rpcs: vec![],
            options: vec![],
            span: Span::default(),
            comment: kw.leading_comment,
            trailing_comment: None,
        };
        let open = self.expect_punct(b'{')?;
        s.trailing_comment = self.trailing_after(open);
        let close = self.block_items(|p| {
            if p.eat_punct(b';') {
                return Ok(());
            }
            if p.at_ident("option") {
                let o = p.option_stmt()?;
                s.options.push(o);
                return Ok(());
            }
            if !p.at_ident("rpc") {
                return p.unexpected("`rpc` or `option`");
            }
            let r = p.rpc()?;
            s.rpcs.push(r);
            Ok(())
        })?;
        s.span = Span {
            start: kw.span.start,
            end: close.end,
        };
        Ok(s)
    }

    fn rpc(&mut self) -> PResult<RpcAst> {
        let kw = self.bump();
        let name = self.ident("an rpc name")?;
        let (input, input_stream) = self.rpc_type()?;
        if !self.eat_ident("returns") {
            return self.unexpected("`returns`");
        }
        let (output, output_stream) = self.rpc_type()?;
        let mut options = Vec::new();
        let trailing_comment;
        let end = if self.at_punct(b'{') {
            let open = self.bump();
            trailing_comment = self.trailing_after(open.span);
            self.block_items(|p| {
                if p.eat_punct(b';') {
                    return Ok(());
                }
                if !p.at_ident("option") {
                    return p.unexpected("`option`");
                }
                let o = p.option_stmt()?;
                options.push(o);
                Ok(())
            })?
        } else {
            let end = self.expect_punct(b';')?;
            trailing_comment = self.trailing_after(end);
            end
        };
        Ok(RpcAst {
            trailing_comment,
            name,
            input,
            input_stream,
            output,
            output_stream,
            options,
            span: Span {
                start: kw.span.start,
                end: end.end,
            },
            comment: kw.leading_comment,
        })
    }

    fn rpc_type(&mut self) -> PResult<(Ident, bool)> {
        self.expect_punct(b'(')?;
        // `stream` is a keyword only when a type name follows it.
        let stream = self.at_ident("stream")
            && (self.peek_at(1).tok == Tok::Ident || self.peek_at(1).tok == Tok::Punct(b'.'));
        if stream {
            self.bump();
        }
        let t = self.type_name()?;
        self.expect_punct(b')')?;
        Ok((t, stream))
    }
}

/// `reserved = 1;` or `reserved foo = 1` would be fields named/typed `reserved`.
fn next_is_name_then_eq(p: &Parser<'_>) -> bool {
    p.peek_at(1).tok == Tok::Ident && p.peek_at(2).tok == Tok::Punct(b'=')
}
