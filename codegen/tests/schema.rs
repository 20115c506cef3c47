//! The schema each event embeds for the registry: its file, the file's imports (well-known types left out,
//! `herald/options.proto` kept) and the message-index path of the wire format (map entries and nested messages
//! count, enums do not).

use std::collections::BTreeMap;

use herald_codegen::ir::extract;
use herald_codegen::{OPTIONS_PATH, OPTIONS_PROTO};
use herald_schema::proto::compile;

const COMMON: &str = r#"syntax = "proto3";
package common;
import "google/protobuf/timestamp.proto";
message Money { int64 cents = 1; google.protobuf.Timestamp at = 2; }
"#;

const EVENTS: &str = r#"syntax = "proto3";
package ev;
import "herald/options.proto";
import "common.proto";
import "google/protobuf/duration.proto";
enum Kind { KIND_UNSPECIFIED = 0; }
message First {
  option (herald.event) = { topic: "first" };
  map<string, string> labels = 1;
  enum Inner { INNER_UNSPECIFIED = 0; }
  message Nested {
    message Deep {
      option (herald.event) = { topic: "deep" };
      common.Money total = 1;
    }
  }
  message Also {
    option (herald.event) = { topic: "also" };
    google.protobuf.Duration d = 1;
  }
}
message Second {
  option (herald.event) = { topic: "second" };
}
"#;

#[test]
fn events_know_their_file_imports_and_message_index() {
    let mut files = BTreeMap::new();
    files.insert(OPTIONS_PATH.to_string(), OPTIONS_PROTO.to_string());
    files.insert("common.proto".to_string(), COMMON.to_string());
    files.insert("ev.proto".to_string(), EVENTS.to_string());
    let module = compile(&files, &["ev.proto"]).unwrap_or_else(|e| panic!("{e}"));
    let ir = extract(&module).unwrap();
    let index = |name: &str| {
        let e = &ir.events[name];
        assert_eq!(e.file, "ev.proto");
        e.message_index.clone()
    };
    assert_eq!(index("ev.First"), [0]);
    // `labels`' map entry is First's nested message 0.
    assert_eq!(index("ev.First.Nested.Deep"), [0, 1, 0]);
    assert_eq!(index("ev.First.Also"), [0, 2]);
    assert_eq!(index("ev.Second"), [1]);

    assert_eq!(
        ir.files.keys().collect::<Vec<_>>(),
        ["common.proto", "ev.proto", "herald/options.proto"]
    );
    assert_eq!(
        ir.files["ev.proto"].imports,
        ["herald/options.proto", "common.proto"]
    );
    assert_eq!(ir.files["ev.proto"].source, EVENTS);
    assert!(ir.files["common.proto"].imports.is_empty());
    assert!(ir.files["herald/options.proto"].imports.is_empty());
}
