//! The .proto lexer: turns source text into tokens with byte spans (identifiers, numbers, strings, punctuation).

use crate::span::Span;

/// The kind of a token; its text is `&source[span]`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    Ident,
    /// An integer literal (decimal, octal or hex), already evaluated; `None` if it does not fit in 64 bits.
    Int(Option<u64>),
    Float(f64),
    /// A string literal with escapes decoded (bytes, since `\xff` need not be UTF-8).
    Str(Vec<u8>),
    Punct(u8),
    Eof,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub tok: Tok,
    pub span: Span,
    /// Comment text directly before this token (for source info), without the comment markers.
    pub leading_comment: Option<String>,
    /// A comment after this token on the same line (`int32 id = 1; // the id` on the `;`).
    pub trailing_comment: Option<String>,
}

/// Lexes `text`; lexical errors are returned beside the tokens (the bad characters are skipped).
pub(crate) fn lex(text: &str) -> (Vec<Token>, Vec<(Span, String)>) {
    let b = text.as_bytes();
    // A UTF-8 byte order mark is not part of the text.
    let mut i = if text.starts_with('\u{feff}') { 3 } else { 0 };
    // About one token per three or four bytes of typical .proto text.
    let mut toks = Vec::with_capacity(text.len() / 3 + 1);
    let mut errs = Vec::new();
    let mut comment: Option<String> = None;
    // True from a token to the end of its line: a comment there trails the token.
    let mut same_line = false;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            if c == b'\n' {
                same_line = false;
                if i + 1 < b.len() && b[i + 1] == b'\n' {
                    comment = None; // a blank line detaches a comment
                }
            }
            i += 1;
            continue;
        }
        let start = i;
        if c == b'/' && b.get(i + 1) == Some(&b'/') {
            let end = memchr_nl(b, i);
            let line = text[i + 2..end]
                .strip_suffix('\r')
                .unwrap_or(&text[i + 2..end]);
            let body = line.strip_prefix(' ').unwrap_or(line);
            if same_line && let Some(last) = toks.last_mut() {
                let t: &mut Token = last;
                t.trailing_comment = Some(format!("{body}\n"));
            } else {
                let c = comment.get_or_insert_with(String::new);
                c.push_str(body);
                c.push('\n');
            }
            i = end;
            continue;
        }
        if c == b'/' && b.get(i + 1) == Some(&b'*') {
            match text[i + 2..].find("*/") {
                Some(p) => {
                    let body = text[i + 2..i + 2 + p].trim().to_string();
                    if same_line && let Some(last) = toks.last_mut() {
                        let t: &mut Token = last;
                        t.trailing_comment = Some(body);
                    } else {
                        comment = Some(body);
                    }
                    i = i + 2 + p + 2;
                }
                None => {
                    errs.push((
                        Span::new(i, b.len()),
                        "unterminated block comment".to_string(),
                    ));
                    i = b.len();
                }
            }
            continue;
        }
        let mut leading_comment = comment.take();
        same_line = true;
        let mut push = |toks: &mut Vec<Token>, tok: Tok, end: usize| {
            toks.push(Token {
                tok,
                span: Span::new(start, end),
                leading_comment: leading_comment.take(),
                trailing_comment: None,
            });
        };
        if c.is_ascii_alphabetic() || c == b'_' {
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            push(&mut toks, Tok::Ident, i);
        } else if c.is_ascii_digit() || (c == b'.' && b.get(i + 1).is_some_and(u8::is_ascii_digit))
        {
            let (tok, end, err) = lex_number(text, i);
            if let Some(e) = err {
                errs.push((Span::new(start, end), e));
            }
            i = end;
            push(&mut toks, tok, i);
        } else if c == b'"' || c == b'\'' {
            let (bytes, end, err) = lex_string(text, i);
            if let Some((at, e)) = err {
                errs.push((at, e));
            }
            i = end;
            push(&mut toks, Tok::Str(bytes), i);
        } else if b"{}[]()<>;,.=-+:/".contains(&c) {
            i += 1;
            push(&mut toks, Tok::Punct(c), i);
        } else {
            let ch = text[i..].chars().next().unwrap_or('\u{fffd}');
            i += ch.len_utf8().max(1);
            errs.push((Span::new(start, i), format!("unexpected character {ch:?}")));
        }
    }
    // Keep the report readable on binary or garbage input.
    errs.truncate(100);
    toks.push(Token {
        tok: Tok::Eof,
        span: Span::new(b.len(), b.len()),
        leading_comment: comment.take(),
        trailing_comment: None,
    });
    (toks, errs)
}

fn memchr_nl(b: &[u8], from: usize) -> usize {
    b[from..]
        .iter()
        .position(|&c| c == b'\n')
        .map_or(b.len(), |p| from + p)
}

fn lex_number(text: &str, start: usize) -> (Tok, usize, Option<String>) {
    let b = text.as_bytes();
    let mut i = start;
    if b[i] == b'0' && matches!(b.get(i + 1), Some(b'x' | b'X')) {
        i += 2;
        let ds = i;
        while i < b.len() && b[i].is_ascii_hexdigit() {
            i += 1;
        }
        let v = u64::from_str_radix(&text[ds..i], 16).ok();
        let err = if ds == i {
            Some("hex literal needs digits".to_string())
        } else {
            None
        };
        return finish_number(text, start, i, Tok::Int(v), err);
    }
    let mut is_float = false;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    if i < b.len() && b[i] == b'.' {
        is_float = true;
        i += 1;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        let save = i;
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        if i < b.len() && b[i].is_ascii_digit() {
            is_float = true;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
        } else {
            i = save;
            return finish_number(
                text,
                start,
                i + 1,
                Tok::Float(0.0),
                Some("exponent needs digits".to_string()),
            );
        }
    }
    let s = &text[start..i];
    if is_float {
        let v = s.parse::<f64>().unwrap_or(0.0);
        return finish_number(text, start, i, Tok::Float(v), None);
    }
    if s.len() > 1 && s.starts_with('0') {
        if s.bytes().all(|d| (b'0'..=b'7').contains(&d)) {
            return finish_number(
                text,
                start,
                i,
                Tok::Int(u64::from_str_radix(&s[1..], 8).ok()),
                None,
            );
        }
        return finish_number(
            text,
            start,
            i,
            Tok::Int(None),
            Some("invalid octal literal".to_string()),
        );
    }
    finish_number(text, start, i, Tok::Int(s.parse::<u64>().ok()), None)
}

/// A number directly followed by a letter (`12abc`) is one bad token.
fn finish_number(
    text: &str,
    _start: usize,
    mut end: usize,
    tok: Tok,
    err: Option<String>,
) -> (Tok, usize, Option<String>) {
    let b = text.as_bytes();
    if end < b.len() && (b[end].is_ascii_alphabetic() || b[end] == b'_') {
        while end < b.len() && (b[end].is_ascii_alphanumeric() || b[end] == b'_') {
            end += 1;
        }
        return (tok, end, Some("invalid character in number".to_string()));
    }
    (tok, end, err)
}

type StrErr = Option<(Span, String)>;

fn lex_string(text: &str, start: usize) -> (Vec<u8>, usize, StrErr) {
    let b = text.as_bytes();
    let quote = b[start];
    let mut i = start + 1;
    let mut out = Vec::new();
    let mut err: StrErr = None;
    loop {
        let Some(&c) = b.get(i) else {
            return (
                out,
                i,
                Some((
                    Span::new(start, i),
                    "unterminated string literal".to_string(),
                )),
            );
        };
        if c == quote {
            return (out, i + 1, err);
        }
        if c == b'\n' {
            return (
                out,
                i,
                Some((
                    Span::new(start, i),
                    "string literal ends at end of line".to_string(),
                )),
            );
        }
        if c != b'\\' {
            out.push(c);
            i += 1;
            continue;
        }
        let esc_start = i;
        i += 1;
        let Some(&e) = b.get(i) else { continue };
        i += 1;
        match e {
            b'a' => out.push(7),
            b'b' => out.push(8),
            b'f' => out.push(12),
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'v' => out.push(11),
            b'\\' | b'\'' | b'"' | b'?' => out.push(e),
            b'0'..=b'7' => {
                let mut v = u32::from(e - b'0');
                for _ in 0..2 {
                    match b.get(i) {
                        Some(&d @ b'0'..=b'7') => {
                            v = v * 8 + u32::from(d - b'0');
                            i += 1;
                        }
                        _ => break,
                    }
                }
                out.push((v & 0xff) as u8);
            }
            b'x' | b'X' => {
                let mut v = 0u32;
                let mut n = 0;
                while n < 2 && b.get(i).is_some_and(u8::is_ascii_hexdigit) {
                    v = v * 16 + (b[i] as char).to_digit(16).unwrap_or(0);
                    i += 1;
                    n += 1;
                }
                if n == 0 {
                    err.get_or_insert((
                        Span::new(esc_start, i),
                        "\\x escape needs hex digits".to_string(),
                    ));
                }
                out.push(v as u8);
            }
            b'u' | b'U' => {
                let want = if e == b'u' { 4 } else { 8 };
                let mut v = 0u32;
                let mut n = 0;
                while n < want && b.get(i).is_some_and(u8::is_ascii_hexdigit) {
                    v = v
                        .saturating_mul(16)
                        .saturating_add((b[i] as char).to_digit(16).unwrap_or(0));
                    i += 1;
                    n += 1;
                }
                match char::from_u32(v).filter(|_| n == want) {
                    Some(ch) => {
                        let mut buf = [0u8; 4];
                        out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                    }
                    None => {
                        err.get_or_insert((
                            Span::new(esc_start, i),
                            "invalid unicode escape".to_string(),
                        ));
                    }
                }
            }
            _ => {
                // Keep the character itself; protoc rejects unknown escapes.
                let ch_len = text[i - 1..].chars().next().map_or(1, char::len_utf8);
                i = i - 1 + ch_len;
                err.get_or_insert((
                    Span::new(esc_start, i),
                    "invalid escape sequence in string".to_string(),
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lexes_numbers_strings_and_comments() {
        let (t, e) = lex("// hi\nfoo 0x1F 017 1.5e3 'a\\x41\\101' .5");
        assert!(e.is_empty(), "{e:?}");
        assert_eq!(t[0].tok, Tok::Ident);
        assert_eq!(t[0].leading_comment.as_deref(), Some("hi\n"));
        assert_eq!(t[1].tok, Tok::Int(Some(31)));
        assert_eq!(t[2].tok, Tok::Int(Some(15)));
        assert_eq!(t[3].tok, Tok::Float(1500.0));
        assert_eq!(t[4].tok, Tok::Str(b"aAA".to_vec()));
        assert_eq!(t[5].tok, Tok::Float(0.5));
        assert_eq!(t[6].tok, Tok::Eof);
    }

    #[test]
    fn skips_a_byte_order_mark_and_carriage_returns() {
        let (t, e) = lex("\u{feff}// c\r\nmessage\r\n");
        assert!(e.is_empty(), "{e:?}");
        assert_eq!(t[0].tok, Tok::Ident);
        assert_eq!(t[0].span, Span::new(9, 16));
        assert_eq!(t[0].leading_comment.as_deref(), Some("c\n"));
    }

    #[test]
    fn reports_bad_input_without_panicking() {
        let (_, e) = lex("\"abc\n 09 /* x");
        assert_eq!(e.len(), 3, "{e:?}");
    }
}
