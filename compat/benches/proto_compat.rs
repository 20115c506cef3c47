//! Measures the protobuf check on the research notes' anchor (`protobuf-compat.md` §(f)): a generated module of 20
//! files in one package with 2,000 messages × 10 fields (scalars, enums, messages, maps, repeated, a 2-field oneof
//! per message), 20 enums × 20 values and 20 services × 10 rpcs; the new copy has 20 scattered changes (type
//! changes, field deletions including a map field, renames, deleted enum values and rpcs, a renamed message).
//!
//! Run: `cargo bench -p herald-compat --bench proto_compat`. With `HERALD_PROTO_BENCH_DIR=dir` set, the two module
//! roots are also written to `dir/old` and `dir/new`, for whole-process comparisons with `buf breaking` and
//! `herald compat --type protobuf`. `HERALD_PROTO_BENCH_MESSAGES_PER_FILE=500` scales the module to 100,000 fields.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use herald_compat::proto::{Options, RuleSet, check_pair, compile_module};

const FILES: usize = 20;

/// 100 (20,000 fields) unless `HERALD_PROTO_BENCH_MESSAGES_PER_FILE` says otherwise (500 gives 100,000 fields), for
/// checking linear growth with the same module shape.
fn messages_per_file() -> usize {
    std::env::var("HERALD_PROTO_BENCH_MESSAGES_PER_FILE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100)
}

/// The module's files, old or new.
fn module(new: bool) -> Vec<(String, String)> {
    (0..FILES)
        .map(|k| (format!("bench/v1/file{k:02}.proto"), file(k, new)))
        .collect()
}

fn file(k: usize, new: bool) -> String {
    let messages = messages_per_file();
    let mut s = String::from(
        "syntax = \"proto3\";\npackage bench.v1;\n\noption go_package = \"example.com/bench/v1\";\n\n",
    );
    // Which changes hit this file (20 in all, spread over the files).
    let change = |c: usize| new && k == c % FILES;
    s.push_str(&format!("enum Status{k} {{\n"));
    for v in 0..20 {
        // Changes 0 and 1: an enum value deleted.
        if v == 7 && (change(0) || change(1)) {
            continue;
        }
        s.push_str(&format!("  STATUS{k}_V{v} = {v};\n"));
    }
    s.push_str("}\n\n");
    for i in 0..messages {
        let n = k * messages + i;
        let at = |c: usize| change(c) && i == 10 + c;
        // Change 2: the last message of a file (which nothing references) renamed.
        let name = if change(2) && i == messages - 1 {
            format!("Renamed{n}")
        } else {
            format!("M{n}")
        };
        s.push_str(&format!("message {name} {{\n"));
        s.push_str(&format!(
            "  string {} = 1;\n",
            if at(3) || at(4) { "ident" } else { "id" }
        ));
        s.push_str(&format!(
            "  {} count = 2;\n",
            if at(5) || at(6) || at(7) {
                "int64"
            } else {
                "int32"
            }
        ));
        if !(at(8) || at(9)) {
            s.push_str("  int64 total = 3;\n");
        }
        s.push_str(&format!("  Status{k} status = 4;\n"));
        if i > 0 {
            s.push_str(&format!("  M{} parent = 5;\n", n - 1));
        } else {
            s.push_str("  string parent = 5;\n");
        }
        if !(at(10) || at(11)) {
            s.push_str("  map<string, int32> labels = 6;\n");
        }
        s.push_str(&format!(
            "  repeated string {} = 7;\n",
            if at(12) { "labels_list" } else { "tags" }
        ));
        s.push_str(&format!(
            "  {} price = 8;\n",
            if at(13) || at(14) { "float" } else { "double" }
        ));
        s.push_str("  oneof choice {\n    string a = 9;\n    int64 b = 10;\n  }\n}\n\n");
    }
    s.push_str(&format!("service Service{k} {{\n"));
    for r in 0..10 {
        // Changes 15 and 16: an rpc deleted; 17-19: a request type changed.
        if r == 3 && (change(15) || change(16)) {
            continue;
        }
        let base = k * messages;
        let req = if r == 4 && (change(17) || change(18) || change(19)) {
            base + 50
        } else {
            base + 20 + r
        };
        s.push_str(&format!(
            "  rpc Call{r}(M{req}) returns (M{});\n",
            base + 40 + r
        ));
    }
    s.push_str("}\n");
    s
}

fn bench(c: &mut Criterion) {
    let (old_files, new_files) = (module(false), module(true));
    if let Ok(dir) = std::env::var("HERALD_PROTO_BENCH_DIR") {
        for (side, files) in [("old", &old_files), ("new", &new_files)] {
            for (path, text) in files {
                let p = std::path::Path::new(&dir).join(side).join(path);
                std::fs::create_dir_all(p.parent().unwrap()).unwrap();
                std::fs::write(p, text).unwrap();
            }
        }
    }
    let old = compile_module(&old_files).unwrap();
    let new = compile_module(&new_files).unwrap();
    let fields: usize = new
        .messages()
        .iter()
        .filter(|m| !m.map_entry)
        .map(|m| m.fields.len())
        .sum();
    let wire = Options::new(RuleSet::Wire);
    let file = Options::new(RuleSet::File);
    eprintln!(
        "module: {} files, {} messages, {fields} fields; WIRE findings {}, FILE findings {}",
        new_files.len(),
        new.messages().iter().filter(|m| !m.map_entry).count(),
        check_pair(&old, &new, &wire).len(),
        check_pair(&old, &new, &file).len(),
    );

    let mut group = c.benchmark_group("proto_20k_fields");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(10));
    group.bench_function("parse_both_and_check_WIRE", |b| {
        b.iter(|| {
            let old = compile_module(black_box(&old_files)).unwrap();
            let new = compile_module(black_box(&new_files)).unwrap();
            check_pair(&old, &new, &wire)
        })
    });
    group.bench_function("parse_both_and_check_FILE", |b| {
        b.iter(|| {
            let old = compile_module(black_box(&old_files)).unwrap();
            let new = compile_module(black_box(&new_files)).unwrap();
            check_pair(&old, &new, &file)
        })
    });
    group.bench_function("check_only_WIRE", |b| {
        b.iter(|| check_pair(black_box(&old), black_box(&new), &wire))
    });
    group.bench_function("parse_one_side", |b| {
        b.iter(|| compile_module(black_box(&new_files)).unwrap())
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
