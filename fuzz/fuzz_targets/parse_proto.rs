//! Fuzz target: any text as a .proto file (importing a small fixed dependency) must compile or fail with
//! diagnostics, never panic, overflow the stack or hang; compiled modules must convert to descriptors.

#![no_main]

use libfuzzer_sys::fuzz_target;

const DEP: &str = "syntax = \"proto2\";\npackage dep;\nimport \"google/protobuf/descriptor.proto\";\n\
                   message D { optional int32 x = 1; extensions 100 to 200; }\n\
                   extend google.protobuf.FieldOptions { optional D opt = 50000; }\n";

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let files = [("fuzz.proto", text), ("dep.proto", DEP)];
    match herald_schema::proto::compile(&files, &["fuzz.proto"]) {
        Ok(module) => {
            let _ = module.to_file_descriptor_set();
        }
        Err(diagnostics) => {
            for d in diagnostics.iter() {
                assert!(d.start.line >= 1 && d.start.column >= 1);
            }
        }
    }
});
