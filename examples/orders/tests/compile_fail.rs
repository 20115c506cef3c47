//! Typed emitters and handler signatures are enforced by the compiler.

#[test]
fn undeclared_outputs_and_wrong_input_types_do_not_compile() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
