//! Builds the shipped reporter components for `wasm32-wasip2` with the same
//! cargo, in their own target directory (so this nested build never waits on
//! the outer one's lock), and tells `lib.rs` where the `.wasm` files are.

use std::path::{Path, PathBuf};

/// The shipped components: (cargo package, constant name in lib.rs).
const COMPONENTS: &[(&str, &str)] = &[
    ("k3s-reporter", "K3S_REPORTER"),
    ("rke2-reporter", "RKE2_REPORTER"),
    ("example-reporter", "EXAMPLE_REPORTER"),
];

fn main() {
    let manifest_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let workspace = manifest_dir.join("../..");
    for watched in [
        "guest/sdk",
        "guest/k3s",
        "guest/rke2",
        "guest/example",
        "wit",
        "Cargo.lock",
    ] {
        println!(
            "cargo:rerun-if-changed={}",
            workspace.join(watched).display()
        );
    }
    let target_dir = components_target_dir();
    let packages: Vec<&str> = COMPONENTS.iter().map(|(package, _)| *package).collect();
    build_components(&workspace, &target_dir, &packages);
    for (package, constant) in COMPONENTS {
        let wasm = component_path(&target_dir, package);
        println!("cargo:rustc-env={constant}_WASM={}", wasm.display());
    }
}

include!("build_components.rs");
