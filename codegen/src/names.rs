//! Rust names and paths for protobuf elements, following prost-build's conventions so that generated worker code
//! refers to the same items prost generates (snake-case modules, upper-camel types, raw identifiers, extern paths).

use heck::{ToSnakeCase, ToUpperCamelCase};

/// A protobuf identifier made safe as a Rust identifier (as prost-build does).
pub fn sanitize(ident: &str) -> String {
    match ident {
        "as" | "break" | "const" | "continue" | "else" | "enum" | "false" | "fn" | "for" | "if"
        | "impl" | "in" | "let" | "loop" | "match" | "mod" | "move" | "mut" | "pub" | "ref"
        | "return" | "static" | "struct" | "trait" | "true" | "type" | "unsafe" | "use"
        | "where" | "while" | "dyn" | "abstract" | "become" | "box" | "do" | "final" | "macro"
        | "override" | "priv" | "typeof" | "unsized" | "virtual" | "yield" | "async" | "await"
        | "try" | "gen" => format!("r#{ident}"),
        "_" | "super" | "self" | "Self" | "extern" | "crate" => format!("{ident}_"),
        s if s.starts_with(|c: char| c.is_ascii_digit()) => format!("_{ident}"),
        _ => ident.to_string(),
    }
}

/// `OnOrderPlaced` → `on_order_placed`.
pub fn snake(s: &str) -> String {
    sanitize(&s.to_snake_case())
}

/// `order_placed` → `OrderPlaced`.
pub fn camel(s: &str) -> String {
    sanitize(&s.to_upper_camel_case())
}

/// Rust paths of protobuf types, with prost-build's extern-path mapping.
#[derive(Debug, Clone, Default)]
pub struct Paths {
    /// (protobuf path with a leading dot, Rust path).
    externs: Vec<(String, String)>,
}

impl Paths {
    pub fn new(externs: &[(String, String)]) -> Paths {
        Paths {
            externs: externs.to_vec(),
        }
    }

    /// The Rust path an extern mapping gives `full_name` (no leading dot), if any: the longest matching prefix wins.
    pub fn extern_path(&self, full_name: &str) -> Option<String> {
        let dotted = format!(".{full_name}");
        if let Some((_, rust)) = self.externs.iter().find(|(p, _)| *p == dotted) {
            return Some(rust.clone());
        }
        for (idx, _) in dotted.rmatch_indices('.') {
            let prefix = &dotted[..idx];
            if let Some((_, rust)) = self.externs.iter().find(|(p, _)| p == prefix) {
                let rest: Vec<&str> = dotted[idx + 1..].split('.').collect();
                let (ty, mods) = rest.split_last().expect("split yields one item at least");
                let mut parts: Vec<String> = rust.split("::").map(str::to_string).collect();
                parts.extend(mods.iter().map(|m| snake(m)));
                parts.push(camel(ty));
                return Some(parts.join("::"));
            }
        }
        None
    }

    /// The path of type `full_name` (declared in package `type_pkg`) as seen from the module of package `from_pkg`,
    /// `depth` modules further down (1 inside a worker module, 2 inside its `testing` module).
    pub fn type_path(
        &self,
        full_name: &str,
        type_pkg: &str,
        from_pkg: &str,
        depth: usize,
    ) -> String {
        if let Some(p) = self.extern_path(full_name) {
            return p;
        }
        let local: Vec<&str> = from_pkg.split('.').filter(|s| !s.is_empty()).collect();
        let inner = full_name
            .strip_prefix(type_pkg)
            .map_or(full_name, |r| r.trim_start_matches('.'));
        let mut ident: Vec<&str> = type_pkg.split('.').filter(|s| !s.is_empty()).collect();
        ident.extend(inner.split('.'));
        let (ty, ident_mods) = ident.split_last().expect("a type name is never empty");
        let common = local
            .iter()
            .zip(ident_mods.iter())
            .take_while(|(a, b)| a == b)
            .count();
        let mut parts: Vec<String> = Vec::new();
        parts.extend(std::iter::repeat_n(
            "super".to_string(),
            local.len() - common + depth,
        ));
        parts.extend(ident_mods[common..].iter().map(|m| snake(m)));
        parts.push(camel(ty));
        parts.join("::")
    }

    /// The path of a type of package `pkg` relative to that package's own module.
    pub fn local_path(full_name: &str, pkg: &str) -> String {
        let inner = full_name
            .strip_prefix(pkg)
            .map_or(full_name, |r| r.trim_start_matches('.'));
        let segs: Vec<&str> = inner.split('.').collect();
        let (ty, mods) = segs.split_last().expect("a type name is never empty");
        let mut parts: Vec<String> = mods.iter().map(|m| snake(m)).collect();
        parts.push(camel(ty));
        parts.join("::")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_follow_prost() {
        let p = Paths::default();
        assert_eq!(p.type_path("a.b.Foo", "a.b", "a.b", 0), "Foo");
        assert_eq!(p.type_path("a.b.Foo", "a.b", "a.b", 1), "super::Foo");
        assert_eq!(
            p.type_path("a.c.Foo", "a.c", "a.b", 1),
            "super::super::c::Foo"
        );
        assert_eq!(
            p.type_path("a.b.Outer.Inner", "a.b", "a.b", 0),
            "outer::Inner"
        );
        assert_eq!(p.type_path("Foo", "", "a", 0), "super::Foo");
        assert_eq!(p.type_path("x.Foo", "x", "", 1), "super::x::Foo");
    }

    #[test]
    fn extern_paths_take_the_longest_prefix() {
        let p = Paths::new(&[
            (".shop".into(), "::shop_events".into()),
            (".shop.orders.v1".into(), "::orders::v1".into()),
        ]);
        assert_eq!(
            p.type_path("shop.orders.v1.OrderPlaced", "shop.orders.v1", "x", 1),
            "::orders::v1::OrderPlaced"
        );
        assert_eq!(
            p.type_path("shop.pay.v1.Paid", "shop.pay.v1", "x", 1),
            "::shop_events::pay::v1::Paid"
        );
        assert_eq!(p.extern_path("other.Foo"), None);
    }

    #[test]
    fn identifiers_are_sanitized() {
        assert_eq!(snake("Type"), "r#type");
        assert_eq!(camel("self"), "Self_");
        assert_eq!(snake("OnOrderPlaced"), "on_order_placed");
    }
}
