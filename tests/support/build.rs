//! Builds every test component (each crate under tests/components/) for
//! wasm32-wasip2, in the same nested target directory as the shipped ones so
//! shared crates build once, and writes a constant per component. The e2e
//! suite checks that every constant is used by a test, so a component cannot
//! be added without being run.

use std::path::{Path, PathBuf};

include!("../../guest/artifacts/build_components.rs");

fn main() {
    let manifest_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let workspace = manifest_dir.join("../..");
    for watched in ["guest/sdk", "tests/components", "wit", "Cargo.lock"] {
        println!(
            "cargo:rerun-if-changed={}",
            workspace.join(watched).display()
        );
    }
    let components = discover(&workspace.join("tests/components"));
    let target_dir = components_target_dir();
    let packages: Vec<&str> = components
        .iter()
        .map(|(package, _)| package.as_str())
        .collect();
    build_components(&workspace, &target_dir, &packages);

    let mut constants = String::new();
    let mut all = String::from(
        "/// Every test component: (constant name, path).\npub const ALL: &[(&str, &str)] = &[\n",
    );
    for (package, constant) in &components {
        let wasm = component_path(&target_dir, package).display().to_string();
        constants.push_str(&format!(
            "/// `tests/components/` package `{package}`.\npub const {constant}: &str = {wasm:?};\n"
        ));
        all.push_str(&format!("    ({constant:?}, {constant}),\n"));
    }
    all.push_str("];\n");
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("set by cargo"));
    std::fs::write(out_dir.join("components.rs"), constants + &all).expect("OUT_DIR is writable");
}

/// (package name, constant name) of each crate under `dir`; the constant is
/// the package name without `hostile-`, upper-cased.
fn discover(dir: &Path) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let entries = std::fs::read_dir(dir).expect("tests/components exists");
    for entry in entries.flatten() {
        let manifest = entry.path().join("Cargo.toml");
        let Ok(text) = std::fs::read_to_string(&manifest) else {
            continue;
        };
        let package = text
            .lines()
            .find_map(|line| line.trim().strip_prefix("name = \""))
            .and_then(|rest| rest.strip_suffix('"'))
            .unwrap_or_else(|| panic!("{} has no package name", manifest.display()))
            .to_string();
        let constant = package
            .trim_start_matches("hostile-")
            .replace('-', "_")
            .to_uppercase();
        found.push((package, constant));
    }
    found.sort();
    found
}
