//! Large and deep inputs: a long chain of messages, each referencing the next, is checked by every rule set on a
//! thread with a small stack (the walks are loops, not recursions), and a change at the far end is still found.

use herald_compat::proto::{Options, RuleSet, check_pair, compile_module};

fn chain(n: usize, last_type: &str) -> String {
    let mut s = String::from("syntax = \"proto3\";\npackage deep.v1;\n\n");
    for i in 0..n {
        if i + 1 < n {
            s.push_str(&format!(
                "message M{i} {{\n  M{} next = 1;\n  string id = 2;\n}}\n",
                i + 1
            ));
        } else {
            s.push_str(&format!("message M{i} {{\n  {last_type} value = 1;\n}}\n"));
        }
    }
    s
}

#[test]
fn a_change_at_the_end_of_a_long_chain_is_found_without_deep_recursion() {
    let n = 5_000;
    let old = compile_module(&[("deep.proto", chain(n, "fixed32"))]).unwrap();
    let new = compile_module(&[("deep.proto", chain(n, "fixed64"))]).unwrap();
    let found = std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(move || {
            RuleSet::ALL
                .iter()
                .map(|set| {
                    let options = Options::new(*set).with_root("deep.proto");
                    let rules: Vec<&str> = check_pair(&old, &new, &options)
                        .iter()
                        .map(|v| v.rule)
                        .collect();
                    (set.as_str(), rules)
                })
                .collect::<Vec<_>>()
        })
        .unwrap()
        .join()
        .unwrap();
    let expected = [
        ("FILE", vec!["FIELD_SAME_TYPE"]),
        ("PACKAGE", vec!["FIELD_SAME_TYPE"]),
        ("WIRE_JSON", vec!["FIELD_WIRE_JSON_COMPATIBLE_TYPE"]),
        ("WIRE", vec!["FIELD_WIRE_COMPATIBLE_TYPE"]),
        ("CONFLUENT", vec!["FIELD_SCALAR_KIND_CHANGED"]),
    ];
    assert_eq!(found, expected.map(|(s, r)| (s, r)).to_vec());
}
