//! Builds the test components (tests/components/*) for wasm32-wasip2, in the
//! same nested target directory as the shipped ones so shared crates build once.

use std::path::{Path, PathBuf};

include!("../../guest/artifacts/build_components.rs");

/// Every test component: (cargo package, constant in `components`).
const COMPONENTS: &[(&str, &str)] = &[
    ("hostile-other-authority", "OTHER_AUTHORITY"),
    ("hostile-imports-filesystem", "IMPORTS_FILESYSTEM"),
];

fn main() {
    let manifest_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let workspace = manifest_dir.join("../..");
    for watched in ["guest/sdk", "tests/components", "wit", "Cargo.lock"] {
        println!(
            "cargo:rerun-if-changed={}",
            workspace.join(watched).display()
        );
    }
    let target_dir = components_target_dir();
    let packages: Vec<&str> = COMPONENTS.iter().map(|(package, _)| *package).collect();
    build_components(&workspace, &target_dir, &packages);
    let mut constants = String::new();
    for (package, constant) in COMPONENTS {
        let wasm = component_path(&target_dir, package);
        constants.push_str(&format!(
            "/// `tests/components/` package `{package}`.\npub const {constant}: &str = {:?};\n",
            wasm.display().to_string()
        ));
    }
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("set by cargo"));
    std::fs::write(out_dir.join("components.rs"), constants).expect("OUT_DIR is writable");
}
