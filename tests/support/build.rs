//! Builds every test component (each crate under tests/components/) for
//! wasm32-wasip2, in the same nested target directory as the shipped ones so
//! shared crates build once, and sorts them by what the host must do with
//! them, which the directory name says: `<class>-<what>`.
//!
//! For each class it generates the list its suite must cover, as a constant
//! and as a `foreach_<class>!` macro that stamps one test per component (the
//! way wasmtime's test-programs artifacts build does). A component whose name
//! has no known class fails the build: it would otherwise be run by nothing.

// Test and build code reads and writes its own fixtures; the file doors
// (clippy.toml) are for the host.
#![allow(clippy::disallowed_methods)]

use std::path::{Path, PathBuf};

include!("../../guest/artifacts/build_components.rs");

/// The classes, in the words of tests/e2e/<class>.rs, each with what its
/// suite proves.
const CLASSES: &[(&str, &str)] = &[
    (
        "refused",
        "refused before it runs: its imports do not fit (exit 3, the import named)",
    ),
    (
        "stopped",
        "stopped by a bound: deadline, memory, table, trap, outcome size or another host-side budget (exit 0, one warning naming the bound)",
    ),
    (
        "denied",
        "its egress request is denied by the policy: other authority, too many requests, oversized request (exit 0, the denial named)",
    ),
    (
        "contained",
        "runs to the end; what it tries is contained (empty environment, capped output)",
    ),
];

/// A test component: its directory under tests/components and its class.
struct TestComponent {
    /// The directory name, `<class>-<what>`; the package is `hostile-<name>`.
    name: String,
    class: &'static str,
}

impl TestComponent {
    fn package(&self) -> String {
        format!("hostile-{}", self.name)
    }

    /// `stopped-loops-forever` -> `STOPPED_LOOPS_FOREVER`.
    fn constant(&self) -> String {
        self.name.replace('-', "_").to_uppercase()
    }

    /// `stopped-loops-forever` -> `stopped_loops_forever`, the test's name.
    fn test_name(&self) -> String {
        self.name.replace('-', "_")
    }
}

fn main() {
    let manifest_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let workspace = manifest_dir.join("../..");
    for watched in ["guest/sdk", "tests/components", "wit", "Cargo.lock"] {
        println!(
            "cargo:rerun-if-changed={}",
            workspace.join(watched).display()
        );
    }
    let components = match discover(&workspace.join("tests/components")) {
        Ok(components) => components,
        Err(error) => panic!("tests/components: {error}"),
    };
    let target_dir = components_target_dir();
    let packages: Vec<String> = components.iter().map(TestComponent::package).collect();
    let package_refs: Vec<&str> = packages.iter().map(String::as_str).collect();
    build_components(&workspace, &target_dir, &package_refs);

    // The wasmtime CLI the `wasmtime run` tests use is installed beside the
    // components, in this build's target directory.
    if let Some(target) = target_dir.parent() {
        println!("cargo:rustc-env=UR_TARGET_DIR={}", target.display());
    }

    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("set by cargo"));
    std::fs::write(
        out_dir.join("components.rs"),
        generate(&components, &target_dir),
    )
    .expect("OUT_DIR is writable");
}

/// Each crate under `dir`, classified by its directory name; the package
/// name must be `hostile-` and the directory name.
fn discover(dir: &Path) -> Result<Vec<TestComponent>, String> {
    let mut found = Vec::new();
    let entries = std::fs::read_dir(dir).map_err(|e| format!("cannot list it: {e}"))?;
    for entry in entries.flatten() {
        let manifest = entry.path().join("Cargo.toml");
        let Ok(text) = std::fs::read_to_string(&manifest) else {
            continue;
        };
        let name = entry.file_name().to_string_lossy().into_owned();
        let class = CLASSES
            .iter()
            .map(|(class, _)| *class)
            .find(|class| name.starts_with(&format!("{class}-")))
            .ok_or_else(|| {
                let known: Vec<String> = CLASSES
                    .iter()
                    .map(|(class, what)| format!("`{class}-`: {what}"))
                    .collect();
                format!(
                    "`{name}` has no known class: name it `<class>-<what>` by what the host must do with it; {}",
                    known.join("; ")
                )
            })?;
        let package = text
            .lines()
            .find_map(|line| line.trim().strip_prefix("name = \""))
            .and_then(|rest| rest.strip_suffix('"'))
            .ok_or_else(|| format!("{} has no package name", manifest.display()))?;
        let component = TestComponent { name, class };
        if package != component.package() {
            return Err(format!(
                "{} names package `{package}`: name it `{}`, after its directory",
                manifest.display(),
                component.package()
            ));
        }
        found.push(component);
    }
    found.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(found)
}

/// Per component a path constant; per class the list its suite covers, as
/// `(name, path)` pairs and as a `foreach_<class>!` macro.
fn generate(components: &[TestComponent], target_dir: &Path) -> String {
    let mut code = String::new();
    for component in components {
        let wasm = component_path(target_dir, &component.package());
        code.push_str(&format!(
            "/// `tests/components/{}`.\npub const {}: &str = {:?};\n",
            component.name,
            component.constant(),
            wasm.display().to_string()
        ));
    }
    for (class, what) in CLASSES {
        let members: Vec<&TestComponent> =
            components.iter().filter(|c| c.class == *class).collect();
        code.push_str(&format!(
            "/// `(name, path)` of every `{class}-` component: {what}.\npub const {}: &[(&str, &str)] = &[\n",
            class.to_uppercase()
        ));
        for component in &members {
            code.push_str(&format!(
                "    ({:?}, {}),\n",
                component.name,
                component.constant()
            ));
        }
        code.push_str("];\n");
        code.push_str(&format!(
            "/// Calls `$test!(test_name, \"name\", path)` for every `{class}-` component.\n#[macro_export]\nmacro_rules! foreach_{class} {{\n    ($test:ident) => {{\n"
        ));
        for component in &members {
            code.push_str(&format!(
                "        $test!({}, {:?}, $crate::components::{});\n",
                component.test_name(),
                component.name,
                component.constant()
            ));
        }
        code.push_str("    };\n}\n");
    }
    code
}
