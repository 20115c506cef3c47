//! Benchmark of the .proto front end on a generated module: 20 files, 2,000 messages, 20,000 fields (the size of the
//! compatibility benchmark in issue 3), compiled and converted to descriptors.
//!
//! `cargo bench -p herald-schema --bench proto_compile`. On the shared 2-core development machine (load average
//! about 6, 2026-11-23): compile ≈ 98 ms (dropping the module included), descriptor set ≈ 33 ms.

use std::collections::BTreeMap;

use criterion::{Criterion, criterion_group, criterion_main};

fn generate(
    files: usize,
    messages_per_file: usize,
    fields_per_message: usize,
) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for f in 0..files {
        let mut text = String::from("syntax = \"proto3\";\npackage bench.v1;\n");
        if f > 0 {
            text.push_str(&format!("import \"file{}.proto\";\n", f - 1));
        }
        for m in 0..messages_per_file {
            text.push_str(&format!(
                "// Message {m} of file {f}.\nmessage M{f}x{m} {{\n"
            ));
            for i in 0..fields_per_message {
                let n = i + 1;
                match i % 5 {
                    0 => text.push_str(&format!("  string s{i} = {n};\n")),
                    1 => text.push_str(&format!("  optional int64 o{i} = {n};\n")),
                    2 => text.push_str(&format!("  repeated double r{i} = {n};\n")),
                    3 if f > 0 => text.push_str(&format!("  M{}x{m} prev{i} = {n};\n", f - 1)),
                    3 => text.push_str(&format!("  bytes b{i} = {n};\n")),
                    _ => text.push_str(&format!("  map<string, int32> m{i} = {n};\n")),
                }
            }
            text.push_str("}\n");
        }
        out.insert(format!("file{f}.proto"), text);
    }
    out
}

fn bench(c: &mut Criterion) {
    let files = generate(20, 100, 10);
    let names: Vec<&str> = files.keys().map(String::as_str).collect();
    c.bench_function("compile 20 files / 2,000 messages / 20,000 fields", |b| {
        b.iter(|| herald_schema::proto::compile(&files, &names).expect("compiles"))
    });
    let module = herald_schema::proto::compile(&files, &names).expect("compiles");
    c.bench_function("to_file_descriptor_set (same module)", |b| {
        b.iter(|| module.to_file_descriptor_set())
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
