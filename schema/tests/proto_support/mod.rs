//! Helpers shared by the .proto front-end tests: reading test data folders into file maps.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// `schema/testdata/proto`.
pub fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/proto")
}

/// `shared/conformance/protobuf` beside the checkout.
pub fn conformance() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance/protobuf")
}

/// Every `.proto` file under `dir`, keyed by its path relative to `dir` (with `/` separators), sorted.
pub fn read_tree(dir: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn walk(dir: &Path, base: &Path, out: &mut BTreeMap<String, String>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, base, out);
        } else if p.extension().is_some_and(|e| e == "proto") {
            let rel = p.strip_prefix(base).expect("inside base");
            let key = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            out.insert(key, std::fs::read_to_string(&p).expect("readable file"));
        }
    }
}

/// The sorted subdirectories (or files) of `dir`.
pub fn children(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(rd) => rd.map(|e| e.expect("directory entry").path()).collect(),
        Err(_) => Vec::new(),
    };
    v.sort();
    v
}
