//! The build-script layer on real files: what it writes, and how it reports bad input.

use std::fs;
use std::path::Path;

use herald_codegen::{Error, configure};

const EVENTS: &str = r#"syntax = "proto3";
package acme.events.v1;
import "herald/options.proto";
// A user signed up.
message SignedUp {
  option (herald.event) = { topic: "users.signed_up" key: "user_id" };
  int64 user_id = 1;
}
"#;

const WORKER: &str = r#"syntax = "proto3";
package acme.mail.v1;
import "herald/options.proto";
import "acme/events/v1/events.proto";
message WelcomeSent {
  option (herald.event) = { topic: "mail.welcome" key: "user_id" };
  int64 user_id = 1;
}
service Mailer {
  option (herald.worker) = { group: "mailer" };
  rpc OnSignedUp(acme.events.v1.SignedUp) returns (herald.Emits) {
    option (herald.handler) = { emits: ["acme.mail.v1.WelcomeSent"] };
  }
}
"#;

fn write(root: &Path, path: &str, text: &str) {
    let full = root.join(path);
    fs::create_dir_all(full.parent().unwrap()).unwrap();
    fs::write(full, text).unwrap();
}

#[test]
fn writes_one_file_per_package_and_an_include_file() {
    let dir = tempfile::tempdir().unwrap();
    let (protos, out) = (dir.path().join("proto"), dir.path().join("out"));
    fs::create_dir_all(&out).unwrap();
    write(&protos, "acme/events/v1/events.proto", EVENTS);
    write(&protos, "acme/mail/v1/mailer.proto", WORKER);
    configure()
        .out_dir(&out)
        .include_file("all.rs")
        .emit_rerun_if_changed(false)
        .compile_protos(&[protos.join("acme/mail/v1/mailer.proto")], &[&protos])
        .unwrap();

    let mut files: Vec<String> = fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    assert_eq!(files, ["acme.events.v1.rs", "acme.mail.v1.rs", "all.rs"]);

    let events = fs::read_to_string(out.join("acme.events.v1.rs")).unwrap();
    assert!(
        events.contains("#[prost(prost_path = \"::herald::prost\")]"),
        "{events}"
    );
    assert!(events.contains("/// A user signed up."), "{events}");
    assert!(
        events.contains("impl ::herald::Event for SignedUp"),
        "{events}"
    );
    let mail = fs::read_to_string(out.join("acme.mail.v1.rs")).unwrap();
    assert!(mail.contains("pub mod mailer {"), "{mail}");
    assert!(
        mail.contains("event: super::super::super::events::v1::SignedUp,"),
        "{mail}"
    );
    let all = fs::read_to_string(out.join("all.rs")).unwrap();
    assert!(
        all.contains("pub mod acme {\n    pub mod events {\n        pub mod v1 {"),
        "{all}"
    );

    // Unchanged output is not rewritten (cargo would rebuild dependents otherwise).
    let before = fs::metadata(out.join("acme.mail.v1.rs"))
        .unwrap()
        .modified()
        .unwrap();
    configure()
        .out_dir(&out)
        .emit_rerun_if_changed(false)
        .compile_protos(&[protos.join("acme/mail/v1/mailer.proto")], &[&protos])
        .unwrap();
    let after = fs::metadata(out.join("acme.mail.v1.rs"))
        .unwrap()
        .modified()
        .unwrap();
    assert_eq!(before, after);
}

#[test]
fn extern_paths_skip_the_other_crates_events() {
    let dir = tempfile::tempdir().unwrap();
    let (protos, out) = (dir.path().join("proto"), dir.path().join("out"));
    fs::create_dir_all(&out).unwrap();
    write(&protos, "acme/events/v1/events.proto", EVENTS);
    write(&protos, "acme/mail/v1/mailer.proto", WORKER);
    configure()
        .out_dir(&out)
        .emit_rerun_if_changed(false)
        .extern_path(".acme.events.v1", "::acme_events::v1")
        .compile_protos(&[protos.join("acme/mail/v1/mailer.proto")], &[&protos])
        .unwrap();
    assert!(!out.join("acme.events.v1.rs").exists());
    let mail = fs::read_to_string(out.join("acme.mail.v1.rs")).unwrap();
    assert!(
        mail.contains("event: ::acme_events::v1::SignedUp,"),
        "{mail}"
    );
}

#[test]
fn invalid_declarations_are_reported_with_the_import_path() {
    let dir = tempfile::tempdir().unwrap();
    let protos = dir.path().join("proto");
    write(&protos, "acme/events/v1/events.proto", EVENTS);
    write(
        &protos,
        "acme/mail/v1/mailer.proto",
        &WORKER.replace("acme.mail.v1.WelcomeSent", "acme.mail.v1.Welcome"),
    );
    let err = configure()
        .out_dir(dir.path())
        .emit_rerun_if_changed(false)
        .compile_protos(&[protos.join("acme/mail/v1/mailer.proto")], &[&protos])
        .unwrap_err();
    assert!(matches!(err, Error::Invalid(_)));
    assert_eq!(
        err.to_string(),
        "invalid Herald declarations:\nacme/mail/v1/mailer.proto:12:41: `acme.mail.v1.Welcome` in `emits` does not name a message (is its file imported?)"
    );
}

#[test]
fn proto_errors_and_missing_roots_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let protos = dir.path().join("proto");
    write(
        &protos,
        "bad.proto",
        "syntax = \"proto3\";\nmessage A {\n  string id = ;\n}\n",
    );
    let err = configure()
        .out_dir(dir.path())
        .emit_rerun_if_changed(false)
        .compile_protos(&[protos.join("bad.proto")], &[&protos])
        .unwrap_err();
    assert!(matches!(err, Error::Proto(_)));
    assert!(
        err.to_string()
            .starts_with("invalid .proto files:\nbad.proto:3:"),
        "{err}"
    );

    let err = configure()
        .out_dir(dir.path())
        .compile_protos(&["elsewhere/x.proto"], &[&protos])
        .unwrap_err();
    assert!(matches!(err, Error::NotIncluded { .. }), "{err}");
}
