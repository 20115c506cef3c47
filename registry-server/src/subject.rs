//! Context-qualified subject names (`:.ctx:name`), Confluent's subject validation and prefixes.

use crate::error::ApiError;

/// The default context.
pub const DEFAULT_CONTEXT: &str = ".";
/// The cross-context global scope for config and mode.
pub const GLOBAL_CONTEXT: &str = ".__GLOBAL";

/// A subject split into its context and its name within the context. An empty name is the context itself.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Qualified {
    pub context: String,
    pub name: String,
}

impl Qualified {
    /// Splits `:.ctx:name` (or `:.:name`); anything else is a name in the default context.
    pub fn parse(subject: &str) -> Qualified {
        if let Some(rest) = subject.strip_prefix(':')
            && rest.starts_with('.')
            && let Some(end) = rest.find(':')
        {
            return Qualified {
                context: rest[..end].to_owned(),
                name: rest[end + 1..].to_owned(),
            };
        }
        Qualified {
            context: DEFAULT_CONTEXT.to_owned(),
            name: subject.to_owned(),
        }
    }

    #[cfg(test)]
    pub fn new(context: &str, name: &str) -> Qualified {
        Qualified {
            context: context.to_owned(),
            name: name.to_owned(),
        }
    }

    /// The subject as clients see it: bare in the default context, `:.ctx:name` elsewhere.
    pub fn display(&self) -> String {
        qualify(&self.context, &self.name)
    }

    /// Confluent's `isValidSubject`, applied by registration and config/mode writes.
    pub fn validate(&self, raw: &str, allow_global: bool) -> Result<(), ApiError> {
        let invalid = raw.chars().any(char::is_control)
            || self.name == "__GLOBAL"
            || self.name == "__EMPTY"
            || (!allow_global && self.context == GLOBAL_CONTEXT)
            || self.context.contains(char::is_control);
        if invalid {
            Err(ApiError::InvalidSubject(raw.to_owned()))
        } else {
            Ok(())
        }
    }
}

/// `name` in `context` as clients see it.
pub fn qualify(context: &str, name: &str) -> String {
    if context == DEFAULT_CONTEXT {
        name.to_owned()
    } else {
        format!(":{context}:{name}")
    }
}

/// A `subjectPrefix` filter: `:*:` (optionally followed by a name prefix) means every context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prefix {
    /// `None`: every context.
    pub context: Option<String>,
    pub name: String,
}

impl Prefix {
    pub fn parse(prefix: &str) -> Prefix {
        if let Some(rest) = prefix.strip_prefix(":*:") {
            return Prefix {
                context: None,
                name: rest.to_owned(),
            };
        }
        let q = Qualified::parse(prefix);
        Prefix {
            context: Some(q.context),
            name: q.name,
        }
    }

    pub fn matches(&self, context: &str, name: &str) -> bool {
        self.context.as_deref().is_none_or(|c| c == context) && name.starts_with(&self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_qualified_subjects() {
        assert_eq!(
            Qualified::parse("orders-value"),
            Qualified::new(".", "orders-value")
        );
        assert_eq!(
            Qualified::parse(":.prod:orders"),
            Qualified::new(".prod", "orders")
        );
        assert_eq!(Qualified::parse(":.:orders"), Qualified::new(".", "orders"));
        assert_eq!(Qualified::parse(":.prod:"), Qualified::new(".prod", ""));
        assert_eq!(Qualified::parse(":x:y"), Qualified::new(".", ":x:y"));
        assert_eq!(Qualified::new(".prod", "a").display(), ":.prod:a");
        assert_eq!(Qualified::new(".", "a/b.proto").display(), "a/b.proto");
    }

    #[test]
    fn validates_and_filters() {
        assert!(
            Qualified::parse("__GLOBAL")
                .validate("__GLOBAL", false)
                .is_err()
        );
        assert!(
            Qualified::parse("a\u{1}")
                .validate("a\u{1}", false)
                .is_err()
        );
        assert!(
            Qualified::parse(":.__GLOBAL:x")
                .validate(":.__GLOBAL:x", false)
                .is_err()
        );
        assert!(Qualified::parse("").validate("", false).is_ok());
        let all = Prefix::parse(":*:");
        assert!(all.matches(".x", "a") && all.matches(".", "b"));
        let default = Prefix::parse("or");
        assert!(default.matches(".", "orders") && !default.matches(".x", "orders"));
        assert!(!default.matches(".", "payments"));
    }
}
