//! Measures Herald's Avro reader/writer compatibility check against `apache-avro` 0.22's `SchemaCompatibility::can_read` on one wide record (1,000 to 20,000 fields).
//!
//! The schemas are the research notes' performance anchor (`avro-compat.md` §6): record `Big` with `N` fields
//! that cycle through int (new: long) | string | `["null","double"]` default null | nested record
//! `Sub_i{a:int,b:string,c:array<long>}` (new: + `d` string default "") | enum `E_i` of 4 symbols (new: 5).
//! The check is reader = new, writer = old, which is compatible. `bench/python/avro_anchor.py` builds the same
//! schemas for the python-avro anchor. Run: `cargo bench -p herald-compat --bench avro_compat`.

use std::hint::black_box;
use std::time::Duration;

use apache_avro::Schema as ApacheSchema;
use apache_avro::schema_compatibility::{Compatibility, SchemaCompatibility};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use herald_compat::avro::check_reader_writer;
use herald_schema::avro::parse;

/// Which side of the evolution a generated schema is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Version {
    Old,
    New,
    /// `New`, except that every 10th int field (fields 0, 50, 100, ...) becomes a string: one
    /// TYPE_MISMATCH per 50 fields.
    NewIncompatible,
}

/// The anchor record `Big` with `n` fields, as Avro schema JSON.
fn big_record(n: usize, version: Version) -> String {
    let newer = version != Version::Old;
    let mut out = String::with_capacity(n * 120);
    out.push_str(r#"{"type":"record","name":"Big","fields":["#);
    for i in 0..n {
        if i > 0 {
            out.push(',');
        }
        let field = match i % 5 {
            0 => {
                let ty = match version {
                    Version::Old => "int",
                    Version::NewIncompatible if i % 50 == 0 => "string",
                    _ => "long",
                };
                format!(r#"{{"name":"f{i}","type":"{ty}"}}"#)
            }
            1 => format!(r#"{{"name":"f{i}","type":"string"}}"#),
            2 => format!(r#"{{"name":"f{i}","type":["null","double"],"default":null}}"#),
            3 => {
                let extra = if newer {
                    r#",{"name":"d","type":"string","default":""}"#
                } else {
                    ""
                };
                format!(
                    r#"{{"name":"f{i}","type":{{"type":"record","name":"Sub_{i}","fields":[{{"name":"a","type":"int"}},{{"name":"b","type":"string"}},{{"name":"c","type":{{"type":"array","items":"long"}}}}{extra}]}}}}"#
                )
            }
            _ => {
                let extra = if newer { r#","E""# } else { "" };
                format!(
                    r#"{{"name":"f{i}","type":{{"type":"enum","name":"E_{i}","symbols":["A","B","C","D"{extra}]}}}}"#
                )
            }
        };
        out.push_str(&field);
    }
    out.push_str("]}");
    out
}

fn herald_parse(text: &str) -> herald_schema::avro::AvroSchema {
    match parse(text) {
        Ok(schema) => schema,
        Err(error) => panic!("Herald rejects the generated schema: {error}"),
    }
}

fn apache_parse(text: &str) -> ApacheSchema {
    match ApacheSchema::parse_str(text) {
        Ok(schema) => schema,
        Err(error) => panic!("apache-avro rejects the generated schema: {error}"),
    }
}

/// Benchmarks the compatible pair (reader = new, writer = old) at each size, both implementations side by side.
fn compatible(c: &mut Criterion) {
    for n in [1_000usize, 5_000, 20_000] {
        let old_text = big_record(n, Version::Old);
        let new_text = big_record(n, Version::New);

        let (h_new, h_old) = (herald_parse(&new_text), herald_parse(&old_text));
        let (a_new, a_old) = (apache_parse(&new_text), apache_parse(&old_text));

        // Both implementations must agree that the pair is compatible before anything is timed.
        let found = check_reader_writer(&h_new, &h_old);
        assert!(
            found.is_empty(),
            "Herald finds {} incompatibilities at N={n}; first: {:?}",
            found.len(),
            found.first()
        );
        match SchemaCompatibility::can_read(&a_old, &a_new) {
            Ok(Compatibility::Full) => {}
            other => panic!("apache-avro answers {other:?} at N={n}"),
        }

        let mut group = c.benchmark_group(format!("compatible_{n}_fields"));
        group.sample_size(10);
        group.warm_up_time(Duration::from_millis(500));
        group.measurement_time(Duration::from_secs(2));

        group.bench_function(BenchmarkId::new("herald_check", n), |b| {
            b.iter(|| check_reader_writer(black_box(&h_new), black_box(&h_old)))
        });
        group.bench_function(BenchmarkId::new("apache_avro_check", n), |b| {
            b.iter(|| SchemaCompatibility::can_read(black_box(&a_old), black_box(&a_new)))
        });
        group.bench_function(BenchmarkId::new("herald_parse_check", n), |b| {
            b.iter(|| {
                let new = herald_parse(black_box(&new_text));
                let old = herald_parse(black_box(&old_text));
                check_reader_writer(&new, &old)
            })
        });
        group.bench_function(BenchmarkId::new("apache_avro_parse_check", n), |b| {
            b.iter(|| {
                let new = apache_parse(black_box(&new_text));
                let old = apache_parse(black_box(&old_text));
                SchemaCompatibility::can_read(&old, &new).is_ok()
            })
        });
        group.finish();
    }
}

/// Benchmarks Herald's collect-all path: a 5,000-field pair with 100 type mismatches, each with its location,
/// path and messages.
fn incompatible(c: &mut Criterion) {
    let n = 5_000usize;
    let old = herald_parse(&big_record(n, Version::Old));
    let new = herald_parse(&big_record(n, Version::NewIncompatible));
    let found = check_reader_writer(&new, &old);
    assert_eq!(found.len(), n / 50, "one TYPE_MISMATCH per 50 fields");

    eprintln!(
        "incompatible_{n}_fields: {} incompatibilities, first: {} {} ({})",
        found.len(),
        found[0].rule.id(),
        found[0].pointer,
        found[0].path
    );

    let mut group = c.benchmark_group(format!("incompatible_{n}_fields"));
    group.sample_size(10);
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(2));
    group.bench_function(BenchmarkId::new("herald_check", n), |b| {
        b.iter(|| check_reader_writer(black_box(&new), black_box(&old)))
    });
    group.finish();
}

criterion_group!(benches, compatible, incompatible);
criterion_main!(benches);
