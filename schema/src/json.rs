//! A small JSON reader that keeps the byte span of every value and bounds nesting depth.
//!
//! Schema front ends need positions (for `file:line:column` in messages) and must never overflow the stack on
//! hostile input, which is why this exists instead of `serde_json::Value`. Duplicate object keys are kept in
//! order; [`Json::get`] returns the last one, as Jackson (and so Apache Avro Java) does.

use std::fmt::{self, Write as _};

use crate::span::Span;

/// The deepest nesting of arrays and objects accepted; Jackson's default limit is the same.
pub const MAX_DEPTH: usize = 1000;

/// A JSON value with the span it was read from.
#[derive(Debug, Clone, PartialEq)]
pub struct Json {
    pub value: Value,
    pub span: Span,
}

/// A JSON value; object members keep their source order.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Number(Number),
    String(String),
    Array(Vec<Json>),
    Object(Vec<Member>),
}

/// One `"key": value` member of an object.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    pub key: String,
    pub key_span: Span,
    pub value: Json,
}

/// A JSON number, kept as written so that no precision is lost.
#[derive(Debug, Clone, PartialEq)]
pub struct Number {
    raw: String,
}

impl Number {
    /// The number exactly as it appeared in the source.
    pub fn raw(&self) -> &str {
        &self.raw
    }

    /// Whether it was written without a fraction or exponent, as Jackson's `isIntegralNumber`.
    pub fn is_integral(&self) -> bool {
        !self.raw.contains(['.', 'e', 'E'])
    }

    pub fn as_i64(&self) -> Option<i64> {
        if self.is_integral() {
            self.raw.parse().ok()
        } else {
            None
        }
    }

    pub fn as_i32(&self) -> Option<i32> {
        self.as_i64().and_then(|n| i32::try_from(n).ok())
    }

    pub fn as_f64(&self) -> f64 {
        self.raw.parse().unwrap_or(f64::NAN)
    }
}

/// Why a text is not JSON, with the byte offset where reading stopped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct JsonError {
    pub message: String,
    pub offset: usize,
}

impl Json {
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_object(&self) -> Option<&[Member]> {
        match &self.value {
            Value::Object(members) => Some(members),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[Json]> {
        match &self.value {
            Value::Array(items) => Some(items),
            _ => None,
        }
    }

    /// The value of the last member named `key`, if this is an object that has one.
    pub fn get(&self, key: &str) -> Option<&Json> {
        self.as_object()?
            .iter()
            .rev()
            .find(|m| m.key == key)
            .map(|m| &m.value)
    }

    /// The value and the span of the key of the last member named `key`.
    pub fn get_member(&self, key: &str) -> Option<&Member> {
        self.as_object()?.iter().rev().find(|m| m.key == key)
    }

    /// A short name of this value's JSON kind, for messages.
    pub fn kind_name(&self) -> &'static str {
        match &self.value {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Number(n) if n.is_integral() => "an integer",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::Array(_) => "an array",
            Value::Object(_) => "an object",
        }
    }
}

/// Parses one JSON document. Leading and trailing whitespace is allowed; anything else after the value is not.
pub fn parse(text: &str) -> Result<Json, JsonError> {
    let mut reader = Reader {
        text,
        bytes: text.as_bytes(),
        pos: 0,
    };
    reader.skip_ws();
    let value = reader.value()?;
    reader.skip_ws();
    if reader.pos < reader.bytes.len() {
        return Err(reader.error("unexpected characters after the JSON value"));
    }
    Ok(value)
}

struct Reader<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn error(&self, message: impl Into<String>) -> JsonError {
        JsonError {
            message: message.into(),
            offset: self.pos,
        }
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    /// Reads one value with an explicit stack of open containers, so nesting never grows the call stack.
    fn value(&mut self) -> Result<Json, JsonError> {
        enum Open {
            Array {
                start: usize,
                items: Vec<Json>,
            },
            Object {
                start: usize,
                members: Vec<Member>,
                key: String,
                key_span: Span,
            },
        }
        let mut stack: Vec<Open> = Vec::new();
        loop {
            // Read a scalar, or open a container and go round again for its first element.
            let start = self.pos;
            let mut done = match self.peek() {
                None => return Err(self.error("unexpected end of input, expected a JSON value")),
                Some(b'{') => {
                    self.enter(stack.len())?;
                    self.pos += 1;
                    self.skip_ws();
                    if self.peek() == Some(b'}') {
                        self.pos += 1;
                        Json {
                            value: Value::Object(Vec::new()),
                            span: Span::new(start, self.pos),
                        }
                    } else {
                        let (key, key_span) = self.key()?;
                        stack.push(Open::Object {
                            start,
                            members: Vec::new(),
                            key,
                            key_span,
                        });
                        self.skip_ws();
                        continue;
                    }
                }
                Some(b'[') => {
                    self.enter(stack.len())?;
                    self.pos += 1;
                    self.skip_ws();
                    if self.peek() == Some(b']') {
                        self.pos += 1;
                        Json {
                            value: Value::Array(Vec::new()),
                            span: Span::new(start, self.pos),
                        }
                    } else {
                        stack.push(Open::Array {
                            start,
                            items: Vec::new(),
                        });
                        continue;
                    }
                }
                Some(b'"') => {
                    let s = self.string()?;
                    Json {
                        value: Value::String(s),
                        span: Span::new(start, self.pos),
                    }
                }
                Some(b't') => self.keyword("true", Value::Bool(true), start)?,
                Some(b'f') => self.keyword("false", Value::Bool(false), start)?,
                Some(b'n') => self.keyword("null", Value::Null, start)?,
                Some(b'-' | b'0'..=b'9') => {
                    let n = self.number()?;
                    Json {
                        value: Value::Number(n),
                        span: Span::new(start, self.pos),
                    }
                }
                Some(_) => {
                    let c = self.text[self.pos..].chars().next().unwrap_or('?');
                    return Err(
                        self.error(format!("unexpected character {c:?}, expected a JSON value"))
                    );
                }
            };
            // Hand the finished value to its container; close containers that end here.
            loop {
                let Some(top) = stack.last_mut() else {
                    return Ok(done);
                };
                self.skip_ws();
                match top {
                    Open::Array { start, items } => {
                        items.push(done);
                        match self.peek() {
                            Some(b',') => {
                                self.pos += 1;
                                self.skip_ws();
                                break;
                            }
                            Some(b']') => {
                                self.pos += 1;
                                let value = Value::Array(std::mem::take(items));
                                done = Json {
                                    value,
                                    span: Span::new(*start, self.pos),
                                };
                                stack.pop();
                            }
                            _ => return Err(self.error("expected ',' or ']' in array")),
                        }
                    }
                    Open::Object {
                        start,
                        members,
                        key,
                        key_span,
                    } => {
                        members.push(Member {
                            key: std::mem::take(key),
                            key_span: *key_span,
                            value: done,
                        });
                        match self.peek() {
                            Some(b',') => {
                                self.pos += 1;
                                self.skip_ws();
                                let (k, ks) = self.key()?;
                                *key = k;
                                *key_span = ks;
                                self.skip_ws();
                                break;
                            }
                            Some(b'}') => {
                                self.pos += 1;
                                let value = Value::Object(std::mem::take(members));
                                done = Json {
                                    value,
                                    span: Span::new(*start, self.pos),
                                };
                                stack.pop();
                            }
                            _ => return Err(self.error("expected ',' or '}' in object")),
                        }
                    }
                }
            }
        }
    }

    /// Reads `"key" :` and leaves the position after the colon.
    fn key(&mut self) -> Result<(String, Span), JsonError> {
        self.skip_ws();
        if self.peek() != Some(b'"') {
            return Err(self.error("expected a string key in object"));
        }
        let key_start = self.pos;
        let key = self.string()?;
        let key_span = Span::new(key_start, self.pos);
        self.skip_ws();
        if self.peek() != Some(b':') {
            return Err(self.error("expected ':' after object key"));
        }
        self.pos += 1;
        Ok((key, key_span))
    }

    fn enter(&self, depth: usize) -> Result<(), JsonError> {
        if depth >= MAX_DEPTH {
            Err(self.error(format!("JSON nesting is deeper than {MAX_DEPTH} levels")))
        } else {
            Ok(())
        }
    }

    fn keyword(&mut self, word: &str, value: Value, start: usize) -> Result<Json, JsonError> {
        if self.bytes[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(Json {
                value,
                span: Span::new(start, self.pos),
            })
        } else {
            Err(self.error("invalid literal, expected true, false or null"))
        }
    }

    fn number(&mut self) -> Result<Number, JsonError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(self.error("invalid number")),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.error("invalid number: expected a digit after '.'"));
            }
            self.digits();
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.error("invalid number: expected a digit in the exponent"));
            }
            self.digits();
        }
        Ok(Number {
            raw: self.text[start..self.pos].to_owned(),
        })
    }

    fn digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
    }

    fn string(&mut self) -> Result<String, JsonError> {
        self.pos += 1; // opening quote
        let mut out = String::new();
        loop {
            let run_start = self.pos;
            while let Some(b) = self.peek() {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            out.push_str(&self.text[run_start..self.pos]);
            match self.peek() {
                None => return Err(self.error("unterminated string")),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let c = self.escape()?;
                    out.push(c);
                }
                Some(_) => return Err(self.error("control character in string")),
            }
        }
    }

    fn escape(&mut self) -> Result<char, JsonError> {
        let Some(b) = self.peek() else {
            return Err(self.error("unterminated escape in string"));
        };
        self.pos += 1;
        Ok(match b {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let first = self.hex4()?;
                if (0xD800..0xDC00).contains(&first) {
                    if self.bytes[self.pos..].starts_with(b"\\u") {
                        self.pos += 2;
                        let second = self.hex4()?;
                        if (0xDC00..0xE000).contains(&second) {
                            let code = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00);
                            return char::from_u32(code)
                                .ok_or_else(|| self.error("invalid surrogate pair"));
                        }
                    }
                    return Err(self.error("unpaired surrogate in \\u escape"));
                }
                char::from_u32(first)
                    .ok_or_else(|| self.error("unpaired surrogate in \\u escape"))?
            }
            _ => {
                self.pos -= 1;
                return Err(self.error("invalid escape in string"));
            }
        })
    }

    fn hex4(&mut self) -> Result<u32, JsonError> {
        let digits = self
            .text
            .get(self.pos..self.pos + 4)
            .ok_or_else(|| self.error("incomplete \\u escape"))?;
        let code = u32::from_str_radix(digits, 16)
            .map_err(|_| self.error("invalid hex digits in \\u escape"))?;
        self.pos += 4;
        Ok(code)
    }
}

/// Writes `s` as a JSON string literal: quotes, backslashes and control characters escaped, everything else as is.
pub fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Writes a value as compact JSON (no whitespace), members in source order.
pub fn write_compact(out: &mut String, json: &Json) {
    match &json.value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(n.raw()),
        Value::String(s) => write_string(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_compact(out, item);
            }
            out.push(']');
        }
        Value::Object(members) => {
            out.push('{');
            for (i, member) in members.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(out, &member.key);
                out.push(':');
                write_compact(out, &member.value);
            }
            out.push('}');
        }
    }
}

impl fmt::Display for Json {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        write_compact(&mut out, self);
        f.write_str(&out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(text: &str) -> String {
        parse(text).unwrap().to_string()
    }

    #[test]
    fn reads_every_kind_of_value_and_keeps_spans() {
        let text = r#" {"a": [1, -2.5e3, true, false, null], "b": "x\"\u00e9\ud83d\ude00"} "#;
        let json = parse(text).unwrap();
        assert_eq!(json.span, Span::new(1, text.len() - 1));
        assert_eq!(
            json.to_string(),
            "{\"a\":[1,-2.5e3,true,false,null],\"b\":\"x\\\"é😀\"}"
        );
        let a = json.get("a").unwrap();
        assert_eq!(
            &text[a.span.start as usize..a.span.end as usize],
            "[1, -2.5e3, true, false, null]"
        );
    }

    #[test]
    fn last_duplicate_key_wins_for_get() {
        let json = parse(r#"{"k": 1, "k": 2}"#).unwrap();
        assert_eq!(json.get("k").unwrap().to_string(), "2");
        assert_eq!(json.as_object().unwrap().len(), 2);
    }

    #[test]
    fn rejects_malformed_documents_with_an_offset() {
        for (text, offset) in [
            ("", 0),
            ("{", 1),
            ("[1,]", 3),
            ("{\"a\" 1}", 5),
            ("01", 1),
            ("1.", 2),
            ("\"abc", 4),
            ("\"\\x\"", 2),
            ("\"\\ud800\"", 7),
            ("nul", 0),
            ("{} x", 3),
            ("\"a\nb\"", 2),
        ] {
            let err = parse(text).unwrap_err();
            assert_eq!(err.offset, offset, "{text:?}: {err}");
        }
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let deep = "[".repeat(100_000) + &"]".repeat(100_000);
        let err = parse(&deep).unwrap_err();
        assert!(err.message.contains("deeper than 1000"), "{err}");
        let ok = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert!(parse(&ok).is_ok());
    }

    #[test]
    fn numbers_keep_their_text() {
        let json = parse("[12345678901234567890, 1e2, 7]").unwrap();
        let items = json.as_array().unwrap();
        let Value::Number(n) = &items[0].value else {
            panic!()
        };
        assert_eq!(n.as_i64(), None);
        assert!(n.is_integral());
        let Value::Number(n) = &items[1].value else {
            panic!()
        };
        assert!(!n.is_integral());
        assert_eq!(n.as_f64(), 100.0);
        let Value::Number(n) = &items[2].value else {
            panic!()
        };
        assert_eq!(n.as_i32(), Some(7));
        assert_eq!(roundtrip(" [ ] "), "[]");
    }
}
