//! Loading a module's files: the [`FileSource`] trait, include roots, and the import graph walk (built-in
//! well-known types, missing imports, import cycles), producing parsed files in dependency order.

use std::collections::{BTreeMap, HashMap};
use std::hash::BuildHasher;

use super::ast::FileAst;
use super::diag::{Diagnostic, DiagnosticKind, make};
use super::{parser, wkt};
use crate::span::{LineIndex, Span};

/// Where the front end gets file text from, by import path (`shop/v1/order.proto`). The library does no IO itself:
/// the CLI or a build script supplies an implementation that reads real files.
pub trait FileSource {
    /// The text of the file at `path`, or `None` if there is no such file.
    fn load(&self, path: &str) -> Option<String>;
}

impl<S: BuildHasher> FileSource for HashMap<String, String, S> {
    fn load(&self, path: &str) -> Option<String> {
        self.get(path).cloned()
    }
}

impl FileSource for BTreeMap<String, String> {
    fn load(&self, path: &str) -> Option<String> {
        self.get(path).cloned()
    }
}

impl FileSource for [(&str, &str)] {
    fn load(&self, path: &str) -> Option<String> {
        self.iter()
            .find(|(p, _)| *p == path)
            .map(|(_, t)| t.to_string())
    }
}

impl<const N: usize> FileSource for [(&str, &str); N] {
    fn load(&self, path: &str) -> Option<String> {
        self[..].load(path)
    }
}

impl<T: FileSource + ?Sized> FileSource for &T {
    fn load(&self, path: &str) -> Option<String> {
        (**self).load(path)
    }
}

/// Include roots over another source: an import path `p` is looked up as `root/p` for each root in order, and the
/// first root that has it wins (as protoc's `-I`). An empty root or `.` means the path itself.
#[derive(Debug, Clone)]
pub struct IncludeRoots<S> {
    pub source: S,
    pub roots: Vec<String>,
}

impl<S: FileSource> FileSource for IncludeRoots<S> {
    fn load(&self, path: &str) -> Option<String> {
        self.roots.iter().find_map(|root| {
            let root = root.trim_end_matches('/');
            if root.is_empty() || root == "." {
                self.source.load(path)
            } else {
                self.source.load(&format!("{root}/{path}"))
            }
        })
    }
}

/// A parsed file with its text.
#[derive(Debug)]
pub(crate) struct Loaded {
    pub path: String,
    pub text: String,
    pub index: LineIndex,
    pub ast: FileAst,
    pub builtin: bool,
    /// Errors the parser found in complete statements; reported with the resolver's.
    pub soft_errors: Vec<Diagnostic>,
    /// Indexes (into the loaded list) of the files named by `ast.imports`, in the same order.
    pub deps: Vec<usize>,
}

enum State {
    Visiting,
    Done(usize),
}

/// Loads and parses `entry` and everything it imports. Files come back dependencies first; the second value holds
/// the indexes of the entry files.
pub(crate) fn load_all(
    source: &dyn FileSource,
    entry: &[&str],
    errors: &mut Vec<Diagnostic>,
) -> (Vec<Loaded>, Vec<usize>) {
    let mut out: Vec<Loaded> = Vec::new();
    let mut state: super::fasthash::FastMap<String, State> = Default::default();
    let mut entries = Vec::new();
    for &root in entry {
        if let Some(State::Done(i)) = state.get(root) {
            entries.push(*i);
            continue;
        }
        let Some(first) = open(source, root) else {
            errors.push(Diagnostic {
                kind: DiagnosticKind::Import,
                file: root.to_string(),
                span: Span::default(),
                start: crate::span::LineCol { line: 1, column: 1 },
                end: crate::span::LineCol { line: 1, column: 1 },
                message: format!("file not found: {root}"),
            });
            continue;
        };
        // Iterative depth-first walk: (file being loaded, index of its next import to visit).
        let mut stack: Vec<(Loaded, usize)> = vec![(parse_file(root, first, errors), 0)];
        state.insert(root.to_string(), State::Visiting);
        while let Some((top, next)) = stack.last_mut() {
            if *next >= top.ast.imports.len() {
                let (done, _) = stack.pop().expect("stack is not empty");
                let i = out.len();
                state.insert(done.path.clone(), State::Done(i));
                out.push(done);
                if let Some((parent, _)) = stack.last_mut() {
                    parent.deps.push(i);
                }
                continue;
            }
            let imp = &top.ast.imports[*next];
            *next += 1;
            let path = imp.path.text.clone();
            let span = imp.path.span;
            if let Some(problem) = non_canonical(&path) {
                let msg = format!("import path `{path}` {problem}");
                errors.push(make(
                    DiagnosticKind::Import,
                    &top.path,
                    &top.text,
                    &top.index,
                    span,
                    msg,
                ));
                top.deps.push(usize::MAX);
                continue;
            }
            match state.get(&path) {
                Some(State::Done(i)) => top.deps.push(*i),
                Some(State::Visiting) => {
                    let mut chain: Vec<String> = stack
                        .iter()
                        .map(|(l, _)| l.path.clone())
                        .skip_while(|p| *p != path)
                        .collect();
                    chain.push(path);
                    let msg = format!("import cycle: {}", chain.join(" -> "));
                    let top = &mut stack.last_mut().expect("stack is not empty").0;
                    errors.push(make(
                        DiagnosticKind::Import,
                        &top.path,
                        &top.text,
                        &top.index,
                        span,
                        msg,
                    ));
                    top.deps.push(usize::MAX);
                }
                None => match open(source, &path) {
                    Some(text) => {
                        let l = parse_file(&path, text, errors);
                        state.insert(path, State::Visiting);
                        stack.push((l, 0));
                    }
                    None => {
                        let msg = format!("imported file not found: {path}");
                        errors.push(make(
                            DiagnosticKind::Import,
                            &top.path,
                            &top.text,
                            &top.index,
                            span,
                            msg,
                        ));
                        top.deps.push(usize::MAX);
                    }
                },
            }
        }
        if let Some(State::Done(i)) = state.get(root) {
            entries.push(*i);
        }
    }
    (out, entries)
}

/// Why an import path is not a canonical relative path (protoc's rule), if it is not.
fn non_canonical(path: &str) -> Option<&'static str> {
    if path.contains('\\') {
        Some("must use `/`, not backslashes")
    } else if path.starts_with('/') {
        Some("must be relative to an include root")
    } else if path
        .split('/')
        .any(|c| c.is_empty() || c == "." || c == "..")
    {
        Some("must not be empty or contain empty, `.` or `..` components")
    } else {
        None
    }
}

fn open(source: &dyn FileSource, path: &str) -> Option<(String, bool)> {
    source
        .load(path)
        .map(|t| (t, false))
        .or_else(|| wkt::get(path).map(|t| (t.to_string(), true)))
}

fn parse_file(path: &str, (text, builtin): (String, bool), errors: &mut Vec<Diagnostic>) -> Loaded {
    let index = LineIndex::new(&text);
    let parsed = parser::parse(&text);
    let (fatal, soft_errors) = diagnostics(path, &text, &index, &parsed);
    errors.extend(fatal);
    let ast = parsed.ast;
    Loaded {
        path: path.to_string(),
        text,
        index,
        ast,
        builtin,
        deps: Vec::new(),
        soft_errors,
    }
}

/// The diagnostics of a parse: (errors that stop compilation, errors reported along with resolution).
pub(crate) fn diagnostics(
    path: &str,
    text: &str,
    index: &LineIndex,
    parsed: &parser::Parsed,
) -> (Vec<Diagnostic>, Vec<Diagnostic>) {
    let located = |kind: DiagnosticKind, list: &[parser::Located]| -> Vec<Diagnostic> {
        list.iter()
            .map(|(span, msg)| make(kind, path, text, index, *span, msg.clone()))
            .collect()
    };
    let mut fatal = located(DiagnosticKind::Lex, &parsed.lex);
    fatal.extend(located(DiagnosticKind::Syntax, &parsed.syntax));
    (fatal, located(DiagnosticKind::Validate, &parsed.soft))
}
