//! Build-time validation: each bad declaration gives one error with its message and its file:line:column.

use std::collections::BTreeMap;

use herald_codegen::{Config, OPTIONS_PATH, OPTIONS_PROTO, generate};
use herald_schema::proto::compile;

const EVENTS: &str = r#"syntax = "proto3";
package ev;
import "herald/options.proto";
message Placed {
  option (herald.event) = { topic: "placed" key: "id" };
  string id = 1;
}
message Shipped {
  option (herald.event) = { topic: "shipped" key: "id" };
  string id = 1;
}
message Unbound { string id = 1; }
"#;

/// The errors of `bad.proto` (which may import `ev.proto`), rendered: the front end's (option types) or else
/// Herald's validation errors.
fn errors(text: &str) -> Vec<String> {
    let mut files = BTreeMap::new();
    files.insert(OPTIONS_PATH.to_string(), OPTIONS_PROTO.to_string());
    files.insert("ev.proto".to_string(), EVENTS.to_string());
    files.insert("bad.proto".to_string(), text.to_string());
    let module = match compile(&files, &["bad.proto"]) {
        Ok(m) => m,
        Err(e) => return e.iter().map(ToString::to_string).collect(),
    };
    match generate(&module, &Config::default()) {
        Ok(_) => Vec::new(),
        Err(e) => e.0.iter().map(ToString::to_string).collect(),
    }
}

fn worker(body: &str) -> String {
    format!(
        "syntax = \"proto3\";\npackage w;\nimport \"herald/options.proto\";\nimport \"ev.proto\";\n{body}"
    )
}

#[test]
fn the_events_file_is_valid() {
    assert_eq!(errors(&worker("")), Vec::<String>::new());
}

#[test]
fn consumed_event_without_topic() {
    let text = worker("service W {\n  rpc On(ev.Unbound) returns (herald.Emits);\n}\n");
    assert_eq!(
        errors(&text),
        [
            "bad.proto:6:3: handler `On` consumes `ev.Unbound`, which has no topic binding: add `option (herald.event) = { topic: \"...\" };` to it"
        ]
    );
}

#[test]
fn emitted_event_without_topic() {
    let text = worker(
        "service W {\n  rpc On(ev.Placed) returns (herald.Emits) {\n    option (herald.handler) = { emits: [\"ev.Unbound\"] };\n  }\n}\n",
    );
    assert_eq!(
        errors(&text),
        [
            "bad.proto:7:41: `ev.Unbound` is listed in `emits` but has no topic binding: add `option (herald.event) = { topic: \"...\" };` to it"
        ]
    );
}

#[test]
fn emits_name_that_does_not_resolve() {
    let text = worker(
        "service W {\n  rpc On(ev.Placed) returns (herald.Emits) {\n    option (herald.handler) = { emits: [\"ev.Shiped\"] };\n  }\n}\n",
    );
    assert_eq!(
        errors(&text),
        ["bad.proto:7:41: `ev.Shiped` in `emits` does not name a message (is its file imported?)"]
    );
}

#[test]
fn event_option_without_topic() {
    let text =
        worker("message E {\n  option (herald.event) = { key: \"id\" };\n  string id = 1;\n}\n");
    assert_eq!(
        errors(&text),
        [
            "bad.proto:6:3: event `w.E` has no topic: write `option (herald.event) = { topic: \"...\" };`"
        ]
    );
}

#[test]
fn key_field_that_does_not_exist() {
    let text = worker(
        "message E {\n  option (herald.event) = { topic: \"e\" key: \"order_id\" };\n  string id = 1;\n}\n",
    );
    assert_eq!(
        errors(&text),
        ["bad.proto:6:45: key field `order_id` does not exist in `w.E`"]
    );
}

#[test]
fn key_fields_of_unusable_types() {
    let text = worker(
        "message A {\n  option (herald.event) = { topic: \"a\" key: \"xs\" };\n  repeated string xs = 1;\n}\n\
         message B {\n  option (herald.event) = { topic: \"b\" key: \"f\" };\n  double f = 1;\n}\n\
         message C {\n  option (herald.event) = { topic: \"c\" key: \"m\" };\n  A m = 1;\n}\n\
         message D {\n  option (herald.event) = { topic: \"d\" key: \"o\" };\n  oneof k { string o = 1; int32 p = 2; }\n}\n",
    );
    assert_eq!(
        errors(&text),
        [
            "bad.proto:6:45: key field `xs` of `w.A` is repeated; a key must be a singular string, bytes or integer field",
            "bad.proto:10:45: key field `f` of `w.B` is a floating-point number; a key must be a singular string, bytes or integer field",
            "bad.proto:14:45: key field `m` of `w.C` is a message; a key must be a singular string, bytes or integer field",
            "bad.proto:18:45: key field `o` of `w.D` is a member of a oneof; a key must be a singular string, bytes or integer field",
        ]
    );
}

#[test]
fn two_handlers_consume_the_same_topic_and_type() {
    let text = worker(
        "service W {\n  rpc A(ev.Placed) returns (herald.Emits);\n  rpc B(ev.Placed) returns (herald.Emits);\n}\n",
    );
    assert_eq!(
        errors(&text),
        [
            "bad.proto:7:3: handlers `A` and `B` both consume `ev.Placed` from topic `placed`; a worker has one handler per (topic, event type)"
        ]
    );
    // Another topic makes it a different input.
    let text = worker(
        "service W {\n  rpc A(ev.Placed) returns (herald.Emits);\n  rpc B(ev.Placed) returns (herald.Emits) { option (herald.handler).topic = \"replayed\"; }\n}\n",
    );
    assert_eq!(errors(&text), Vec::<String>::new());
}

#[test]
fn group_names_are_unique() {
    let text = worker(
        "service A {\n  option (herald.worker) = { group: \"g\" };\n  rpc On(ev.Placed) returns (herald.Emits);\n}\n\
         service B {\n  option (herald.worker).group = \"g\";\n  rpc On(ev.Placed) returns (herald.Emits);\n}\n",
    );
    assert_eq!(
        errors(&text),
        [
            "bad.proto:10:3: consumer group `g` is already used by worker `w.A`; every worker needs its own group"
        ]
    );
}

#[test]
fn handlers_return_emits() {
    let text = worker(
        "service W {\n  option (herald.worker) = { group: \"g\" };\n  rpc On(ev.Placed) returns (ev.Shipped);\n}\n",
    );
    assert_eq!(
        errors(&text),
        [
            "bad.proto:7:3: handler `On` returns `ev.Shipped`; handlers return `herald.Emits` and list their outputs in `(herald.handler).emits`"
        ]
    );
}

#[test]
fn worker_option_values_are_checked() {
    let text = worker(
        "service W {\n  option (herald.worker) = {\n    max_in_flight: 0\n    retry { max_attempts: 0 initial_backoff_ms: 500 max_backoff_ms: 100 }\n  };\n  rpc On(ev.Placed) returns (herald.Emits);\n}\n",
    );
    assert_eq!(
        errors(&text),
        [
            "bad.proto:7:20: `max_in_flight` must be at least 1",
            "bad.proto:8:13: `retry.max_backoff_ms` (100) is less than `retry.initial_backoff_ms` (500)",
            "bad.proto:8:27: `retry.max_attempts` must be at least 1 (the first attempt counts)",
        ]
    );
}

#[test]
fn option_types_are_checked_by_the_front_end() {
    let text = worker(
        "service W {\n  option (herald.worker) = {\n    ordering: SOMETIMES\n    colour: \"blue\"\n  };\n  rpc On(ev.Placed) returns (herald.Emits);\n}\n",
    );
    assert_eq!(
        errors(&text),
        [
            "bad.proto:7:15: invalid value for option `(herald.worker).ordering`: not a value of `herald.Ordering`",
            "bad.proto:8:5: `herald.WorkerOptions` has no field `colour`",
        ]
    );
}

#[test]
fn dead_letter_topic_cannot_be_consumed() {
    let text = worker(
        "service W {\n  option (herald.worker) = { dead_letter_topic: \"placed\" };\n  rpc On(ev.Placed) returns (herald.Emits);\n}\n",
    );
    assert_eq!(
        errors(&text),
        [
            "bad.proto:6:49: dead-letter topic `placed` is also consumed by worker `W`, so failures would loop"
        ]
    );
}

#[test]
fn several_errors_are_reported_at_once_in_file_order() {
    let text = worker(
        "service W {\n  rpc A(ev.Unbound) returns (herald.Emits);\n  rpc B(ev.Placed) returns (herald.Emits) {\n    option (herald.handler) = { emits: [\"nope\"] };\n  }\n}\n",
    );
    let errs = errors(&text);
    assert_eq!(errs.len(), 2, "{errs:#?}");
    assert!(errs[0].starts_with("bad.proto:6:3: handler `A` consumes `ev.Unbound`"));
    assert!(errs[1].starts_with("bad.proto:8:41: `nope` in `emits` does not name a message"));
}

#[test]
fn plain_grpc_services_are_ignored() {
    let text = worker("service Admin {\n  rpc Ping(ev.Unbound) returns (ev.Unbound);\n}\n");
    assert_eq!(errors(&text), Vec::<String>::new());
}
