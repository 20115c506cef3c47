//! Snapshots of the code generated for representative protos: several workers, several inputs and outputs, nested
//! and sibling packages, comments, optional and integer keys, topic overrides and extern paths.

use std::collections::BTreeMap;
use std::path::Path;

use herald_codegen::{Config, OPTIONS_PATH, OPTIONS_PROTO, generate};
use herald_schema::proto::{Module, compile};

const FILES: [&str; 3] = [
    "shop/orders/v1/events.proto",
    "shop/payments/v1/payments.proto",
    "shop/shipping/v1/shipping.proto",
];

fn module(entries: &[&str]) -> Module {
    let mut files = BTreeMap::new();
    files.insert(OPTIONS_PATH.to_string(), OPTIONS_PROTO.to_string());
    for f in FILES {
        let text = std::fs::read_to_string(Path::new("tests/protos").join(f)).unwrap();
        files.insert(f.to_string(), text);
    }
    compile(&files, entries).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn shop_packages() {
    let out = generate(
        &module(&["shop/shipping/v1/shipping.proto"]),
        &Config::default(),
    )
    .unwrap();
    assert_eq!(
        out.keys().collect::<Vec<_>>(),
        ["shop.orders.v1", "shop.payments.v1", "shop.shipping.v1"]
    );
    for (pkg, code) in &out {
        insta::assert_snapshot!(pkg.as_str(), code);
    }
}

#[test]
fn extern_events_and_no_harness() {
    let mut config = Config::default();
    config.harness = false;
    config.extern_paths = vec![(
        ".shop.orders".to_string(),
        "::shop_events::orders".to_string(),
    )];
    let out = generate(&module(&["shop/payments/v1/payments.proto"]), &config).unwrap();
    // No `impl Event` for the extern package: its own crate has them.
    assert_eq!(out.keys().collect::<Vec<_>>(), ["shop.payments.v1"]);
    let code = &out["shop.payments.v1"];
    assert!(!code.contains("pub mod testing"));
    insta::assert_snapshot!("payments_extern", code);
}

#[test]
fn generated_code_is_stable() {
    let m = module(&FILES);
    assert_eq!(
        generate(&m, &Config::default()),
        generate(&m, &Config::default())
    );
}

#[test]
fn options_proto_compiles_on_its_own() {
    let files = [(OPTIONS_PATH, OPTIONS_PROTO)];
    let m = compile(&files, &[OPTIONS_PATH]).unwrap();
    assert!(m.message_by_name("herald.Emits").is_some());
    assert!(generate(&m, &Config::default()).unwrap().is_empty());
}
