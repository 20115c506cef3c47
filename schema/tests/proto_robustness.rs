//! Robustness of the .proto front end: deep nesting gives a clear error instead of a stack overflow (checked on a
//! 2 MiB thread, in debug builds too), and many mutated inputs never make it panic.

use herald_schema::proto::{MAX_NESTING_DEPTH, compile};

/// Runs `f` on a thread with a 2 MiB stack, the default size of a test thread.
fn on_small_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(f)
        .expect("spawn")
        .join()
        .expect("no panic or stack overflow");
}

fn expect_depth_error(text: String) {
    on_small_stack(move || {
        let err = compile(&[("deep.proto", text.as_str())], &["deep.proto"]).expect_err("too deep");
        let first = &err.errors[0];
        assert!(first.message.contains("nesting is too deep"), "{err}");
        assert_eq!(first.file, "deep.proto");
        assert!(err.len() <= 100, "{} errors", err.len());
    });
}

#[test]
fn ten_thousand_nested_messages_are_an_error() {
    let n = 10_000;
    let text = format!(
        "syntax = \"proto3\";\n{}{}",
        "message M {\n".repeat(n),
        "}\n".repeat(n)
    );
    expect_depth_error(text);
}

#[test]
fn ten_thousand_open_braces_are_an_error() {
    // Stray braces in a message body are a syntax error (recovery skips them without recursing).
    let text = format!("message M {}", "{".repeat(10_000));
    on_small_stack(move || {
        let err = compile(&[("b.proto", text.as_str())], &["b.proto"]).expect_err("syntax error");
        assert!(err.errors[0].message.starts_with("expected"), "{err}");
        assert!(err.len() <= 100);
    });
}

#[test]
fn deep_aggregate_option_values_are_an_error() {
    let n = 10_000;
    let text = format!("option (x) = {}{};", "{ a ".repeat(n), "}".repeat(n));
    expect_depth_error(text);
    let text = format!("option (x) = {{ a: {}1{} }};", "[".repeat(n), "]".repeat(n));
    expect_depth_error(text);
}

#[test]
fn deep_groups_are_an_error() {
    let n = 10_000;
    let mut text = String::from("syntax = \"proto2\";\nmessage M {\n");
    for i in 0..n {
        text.push_str(&format!("optional group G{i} = 1 {{\n"));
    }
    text.push_str(&"}\n".repeat(n + 1));
    expect_depth_error(text);
}

#[test]
fn ten_thousand_parentheses_are_an_error_not_a_crash() {
    let text = format!(
        "syntax = \"proto3\"; option {}x{} = 1;",
        "(".repeat(10_000),
        ")".repeat(10_000)
    );
    on_small_stack(move || {
        let err =
            compile(&[("p.proto", text.as_str())], &["p.proto"]).expect_err("bad option name");
        assert!(err.len() <= 100);
    });
}

#[test]
fn nesting_up_to_the_limit_compiles_and_converts() {
    on_small_stack(|| {
        let n = MAX_NESTING_DEPTH;
        let mut text = String::from("syntax = \"proto3\";\n");
        for i in 0..n {
            text.push_str(&format!("message M{i} {{ int32 f{i} = 1;\n"));
        }
        text.push_str(&"}\n".repeat(n));
        let module = compile(&[("ok.proto", text.as_str())], &["ok.proto"]).expect("compiles");
        assert_eq!(module.messages().len(), n);
        let set = module.to_file_descriptor_set();
        assert_eq!(set.file.len(), 1);
    });
}

#[test]
fn a_long_import_chain_loads_without_recursion() {
    on_small_stack(|| {
        let n = 3_000;
        let mut files = std::collections::BTreeMap::new();
        for i in 0..n {
            let import = if i + 1 < n {
                format!("import \"f{}.proto\";", i + 1)
            } else {
                String::new()
            };
            files.insert(
                format!("f{i}.proto"),
                format!("syntax = \"proto3\"; {import} message M{i} {{}}"),
            );
        }
        let module = compile(&files, &["f0.proto"]).expect("compiles");
        assert_eq!(module.files().len(), n);
    });
}

/// A small deterministic generator (xorshift), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const SEEDS: &[&str] = &[
    include_str!("../testdata/proto/good/proto2_kitchen_sink/kitchen.proto"),
    include_str!("../testdata/proto/good/proto3_everyday/order.proto"),
    include_str!("../testdata/proto/good/custom_options/use.proto"),
    include_str!("../testdata/proto/good/editions_2023/catalog.proto"),
    include_str!("../testdata/proto/good/scoping/scoping.proto"),
];

const FRAGMENTS: &[&str] = &[
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    "<",
    ">",
    ";",
    "=",
    ".",
    ",",
    "-",
    "\"",
    "'",
    "\\",
    "/*",
    "//",
    "\n",
    "message",
    "enum",
    "oneof",
    "map<",
    "group",
    "optional",
    "repeated",
    "required",
    "extend",
    "extensions",
    "reserved",
    "max",
    "to",
    "option",
    "(foo).bar",
    "syntax",
    "edition",
    "import",
    "public",
    "weak",
    "package",
    "service",
    "rpc",
    "stream",
    "returns",
    "0x",
    "1e",
    "99999999999999999999",
    "-9223372036854775809",
    "inf",
    "nan",
    "é",
    "\u{0}",
    "features.",
    "default",
    "json_name",
    "\"\\x",
    "\"\\u12",
];

fn mutate(rng: &mut Rng, text: &str) -> String {
    let mut bytes: Vec<u8> = text.as_bytes().to_vec();
    for _ in 0..1 + rng.below(8) {
        let at = rng.below(bytes.len() + 1);
        match rng.below(5) {
            0 => {
                let end = (at + rng.below(20)).min(bytes.len());
                bytes.drain(at..end);
            }
            1 => {
                let frag = FRAGMENTS[rng.below(FRAGMENTS.len())];
                bytes.splice(at..at, frag.bytes());
            }
            2 if !bytes.is_empty() => {
                let i = rng.below(bytes.len());
                bytes[i] = rng.next() as u8;
            }
            3 => {
                // Duplicate a chunk (repeats declarations, braces, ...).
                let end = (at + rng.below(60)).min(bytes.len());
                let chunk: Vec<u8> = bytes[at..end].to_vec();
                bytes.splice(at..at, chunk);
            }
            _ => bytes.truncate(at),
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

#[test]
fn mutated_inputs_never_panic() {
    on_small_stack(|| {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let mut compiled = 0;
        for round in 0..4_000 {
            let seed = SEEDS[round % SEEDS.len()];
            let text = mutate(&mut rng, seed);
            let files = [("m.proto", text.as_str()), ("options.proto", SEEDS[2])];
            let result = std::panic::catch_unwind(|| compile(&files, &["m.proto"]));
            match result {
                Ok(Ok(module)) => {
                    compiled += 1;
                    let _ = module.to_file_descriptor_set();
                }
                Ok(Err(diags)) => {
                    for d in diags.iter() {
                        assert!(d.start.line >= 1 && d.start.column >= 1);
                        assert!(d.span.start as usize <= text.len() + 1, "{d}");
                    }
                }
                Err(_) => panic!("panic on mutated input (round {round}):\n{text}"),
            }
        }
        // Some mutations keep the file valid; most do not.
        assert!(compiled > 0);
    });
}

#[test]
fn large_messages_compile_in_bounded_time() {
    // Many fields, reserved ranges, enum values and proto3 optional fields in one message: every check is
    // near-linear, so this stays well under the bound even in a debug build on a busy machine.
    let n = 5_000;
    let mut text = String::from("syntax = \"proto3\";\nmessage Big {\n");
    for i in 0..n {
        text.push_str(&format!("  optional int32 f{i} = {};\n", i + 1));
    }
    for i in 0..n {
        let r = 100_000 + 2 * i;
        text.push_str(&format!("  reserved {r};\n  reserved \"old{i}\";\n"));
    }
    text.push_str("}\nenum E {\n");
    for i in 0..n {
        text.push_str(&format!("  E{i} = {i};\n  reserved {};\n", 100_000 + i));
    }
    text.push_str("}\n");
    let start = std::time::Instant::now();
    let module = compile(&[("big.proto", text.as_str())], &["big.proto"]).expect("compiles");
    assert_eq!(module.messages()[0].oneofs.len(), n);
    let _ = module.to_file_descriptor_set();
    let elapsed = start.elapsed();
    assert!(
        elapsed < std::time::Duration::from_secs(30),
        "took {elapsed:?}"
    );
}
