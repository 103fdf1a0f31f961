// Shared by the build scripts that build components (guest/artifacts for
// the shipped ones, tests/support for the test ones): `include!`d, so it
// needs `std::path::{Path, PathBuf}` in scope and nothing else.

/// Where components are built: `components/` in the outer build's target
/// directory (the first ancestor of OUT_DIR that cargo marked as one). One
/// directory for all, so the crates they share are built once.
fn components_target_dir() -> PathBuf {
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("set by cargo"));
    out_dir
        .ancestors()
        .find(|dir| dir.join("CACHEDIR.TAG").exists())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| out_dir.join("target"))
        .join("components")
}

/// Where the build leaves a package's `.wasm`.
fn component_path(target_dir: &Path, package: &str) -> PathBuf {
    target_dir.join("wasm32-wasip2/guest").join(format!("{package}.wasm"))
}

/// Builds the packages for wasm32-wasip2 with the `guest` profile.
fn build_components(workspace: &Path, target_dir: &Path, packages: &[&str]) {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = std::process::Command::new(cargo);
    command
        .current_dir(workspace)
        .args(["build", "--target", "wasm32-wasip2", "--profile", "guest"])
        .arg("--target-dir")
        .arg(target_dir);
    for package in packages {
        command.args(["-p", package]);
    }
    // Flags and wrappers meant for the host build (clippy's driver among
    // them) do not apply to the components.
    for var in [
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTFLAGS",
        "RUSTC_WORKSPACE_WRAPPER",
        "CARGO_BUILD_TARGET",
        "CARGO_TARGET_DIR",
        "CARGO_PRIMARY_PACKAGE",
        // The toolchain of the outer build (nightly for the fuzz targets)
        // may lack wasm32-wasip2: the components use rust-toolchain.toml's.
        "RUSTC",
        "RUSTUP_TOOLCHAIN",
    ] {
        command.env_remove(var);
    }
    let output = match command.output() {
        Ok(output) => output,
        Err(error) => panic!("cannot run cargo to build the components: {error}"),
    };
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let hint = if stderr.contains("wasm32-wasip2") && stderr.contains("target may not be installed") {
            "\n\nThe wasm32-wasip2 target is missing. Run `rustup toolchain install` in the \
             repository: it reads rust-toolchain.toml and adds the target.\n"
        } else {
            ""
        };
        panic!("building the components for wasm32-wasip2 failed:\n{stderr}{hint}");
    }
}
