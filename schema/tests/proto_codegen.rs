//! The descriptors Herald produces are good enough for `prost-build` (the codegen crate's back end): every test
//! module, editions ones included, generates Rust code with a struct per message.

mod proto_support;

use herald_schema::proto::{DescriptorFlavor, compile};

#[test]
fn prost_build_generates_code_from_herald_descriptors() {
    let cases = proto_support::children(&proto_support::testdata().join("good"));
    for case in cases.iter().filter(|c| c.is_dir()) {
        let files = proto_support::read_tree(case);
        let names: Vec<&str> = files.keys().map(String::as_str).collect();
        let module = compile(&files, &names).unwrap_or_else(|e| panic!("{}:\n{e}", case.display()));
        let requests: Vec<_> = module
            .files()
            .iter()
            .map(|f| {
                let package = f.package.as_deref().unwrap_or("_");
                let fd = module.file_descriptor_proto_as(f.id, DescriptorFlavor::PreEditions);
                (prost_build::Module::from_protobuf_package_name(package), fd)
            })
            .collect();
        let generated = prost_build::Config::new()
            .generate(requests)
            .unwrap_or_else(|e| panic!("{}: prost-build failed: {e}", case.display()));
        let code: String = generated.values().cloned().collect();
        for m in module.entry_files().flat_map(|f| f.messages.iter()) {
            let name = &module.message(*m).name;
            assert!(
                code.contains(&format!("pub struct {name}")),
                "{}: no struct {name}",
                case.display()
            );
        }
    }
}
