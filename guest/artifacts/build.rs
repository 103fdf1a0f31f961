//! Builds the shipped reporter components for `wasm32-wasip2` with the same
//! cargo, in their own target directory (so this nested build never waits on
//! the outer one's lock), then precompiles each for the host's engine
//! (`host/src/sandbox/engine.rs`, the one configuration the host runs with) and
//! tells `lib.rs` where the `.wasm` and `.cwasm` files are and the sha256 of
//! each `.cwasm`.

// Test and build code reads and writes its own fixtures; the file doors
// (clippy.toml) are for the host.
#![allow(clippy::disallowed_methods)]

use std::path::{Path, PathBuf};

use sha2::Digest as _;

#[path = "../../host/src/sandbox/engine.rs"]
mod engine;

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
        "host/src/sandbox/engine.rs",
    ] {
        println!(
            "cargo:rerun-if-changed={}",
            workspace.join(watched).display()
        );
    }
    let target_dir = components_target_dir();
    let packages: Vec<&str> = COMPONENTS.iter().map(|(package, _)| *package).collect();
    build_components(&workspace, &target_dir, &packages);

    // The host's target: the artefacts are native code for it.
    let target = std::env::var("TARGET").expect("set by cargo");
    println!("cargo:rustc-env=COMPONENT_TARGET={target}");
    let engine = engine::new(&target)
        .unwrap_or_else(|error| panic!("cannot set up the engine for {target}: {error:#}"));
    let precompiled_dir = target_dir.join("precompiled").join(&target);
    std::fs::create_dir_all(&precompiled_dir)
        .unwrap_or_else(|error| panic!("cannot create {}: {error}", precompiled_dir.display()));
    for (package, constant) in COMPONENTS {
        let wasm = component_path(&target_dir, package);
        println!("cargo:rustc-env={constant}_WASM={}", wasm.display());
        let bytes = std::fs::read(&wasm)
            .unwrap_or_else(|error| panic!("cannot read {}: {error}", wasm.display()));
        let cwasm = engine
            .precompile_component(&bytes)
            .unwrap_or_else(|error| panic!("cannot precompile {package}: {error:#}"));
        let path = precompiled_dir.join(format!("{package}.cwasm"));
        write_replacing(&path, &cwasm);
        println!("cargo:rustc-env={constant}_CWASM={}", path.display());
        let digest: String = sha2::Sha256::digest(&cwasm)
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect();
        println!("cargo:rustc-env={constant}_CWASM_SHA256={digest}");
    }
}

/// Writes `bytes` to `path` through a temporary file and a rename: a debug
/// and a release build may precompile into the same directory at once.
fn write_replacing(path: &Path, bytes: &[u8]) {
    let temporary = path.with_extension(format!("cwasm.{}", std::process::id()));
    std::fs::write(&temporary, bytes)
        .and_then(|()| std::fs::rename(&temporary, path))
        .unwrap_or_else(|error| panic!("cannot write {}: {error}", path.display()));
}

include!("build_components.rs");
