//! Diagnostics of the .proto front end: errors with a file, a byte span and a line/column, collected several at a time.

use std::fmt;

use crate::span::{LineCol, Span};

/// What went wrong, grouped by the phase that found it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DiagnosticKind {
    /// Malformed characters, numbers or strings.
    Lex,
    /// Text that does not follow the grammar (including nesting-depth limits).
    Syntax,
    /// A missing import, an import cycle or an unreadable file.
    Import,
    /// Undefined or ambiguous names, duplicate symbols, wrong kinds of types.
    Resolve,
    /// Rules on a resolved element: field numbers, options, features, reserved ranges.
    Validate,
}

/// One error, located in a file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{}:{}: {message}", start.line, start.column)]
pub struct Diagnostic {
    pub kind: DiagnosticKind,
    /// The file path as given to the compiler (relative to its include root).
    pub file: String,
    /// Byte range of the offending text.
    pub span: Span,
    /// Line and column (1-based) of `span.start`.
    pub start: LineCol,
    /// Line and column (1-based) of `span.end`, for tools that underline the whole range.
    pub end: LineCol,
    pub message: String,
}

/// Every error found by one run of the front end, in the order they were found.
#[derive(Debug, Clone, Default, PartialEq, Eq, thiserror::Error)]
pub struct Diagnostics {
    pub errors: Vec<Diagnostic>,
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.errors.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;

    fn into_iter(self) -> Self::IntoIter {
        self.errors.into_iter()
    }
}

impl<'a> IntoIterator for &'a Diagnostics {
    type Item = &'a Diagnostic;
    type IntoIter = std::slice::Iter<'a, Diagnostic>;

    fn into_iter(self) -> Self::IntoIter {
        self.errors.iter()
    }
}

impl Diagnostics {
    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    pub fn len(&self) -> usize {
        self.errors.len()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.errors.iter()
    }
}

pub(crate) fn make(
    kind: DiagnosticKind,
    file: &str,
    text: &str,
    index: &crate::span::LineIndex,
    span: Span,
    message: String,
) -> Diagnostic {
    Diagnostic {
        kind,
        file: file.to_string(),
        span,
        start: index.line_col(text, span.start),
        end: index.line_col(text, span.end),
        message,
    }
}
