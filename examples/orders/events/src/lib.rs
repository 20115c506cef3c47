//! The shop's events, generated from `proto/`: message structs (prost) and their topic and key (`herald::Event`).
//! Worker crates map these packages with `extern_path` instead of generating them again.

include!(concat!(env!("OUT_DIR"), "/shop_events.rs"));
