//! The one wasmtime configuration, for running components and for
//! precompiling them. A precompiled artefact is native code for one engine:
//! wasmtime refuses it in an engine of another version or configuration, so
//! every engine that compiles or loads one is made here.
//!
//! `guest/artifacts/build.rs` compiles this file into the build script that
//! precompiles the shipped components (`#[path]`): it may use `wasmtime`
//! and `std` only.

use wasmtime::{Config, Engine, Result};

/// The configuration for code that runs on `target` (the host binary's own
/// target triple).
///
/// The target is named rather than left to wasmtime, which would otherwise
/// use every CPU feature of the machine that compiles: an artefact built on
/// a CI machine with AVX-512 would then be refused on a node without it.
/// Named, the code uses the architecture's baseline only (x86-64: SSE2), so
/// an artefact runs on every machine of that architecture and operating
/// system. The components do scalar work for milliseconds; newer
/// instructions would buy nothing.
pub fn config(target: &str) -> Result<Config> {
    let mut config = Config::new();
    config.target(target)?;
    config.wasm_component_model(true);
    // Deadlines: epoch interruption stops a guest that loops. It changes
    // the generated code, so it is part of what an artefact must match.
    config.epoch_interruption(true);
    // No map from native code back to wasm offsets: it only serves wasm
    // backtraces, which the host leaves out of every message
    // (`ground/failure.rs`), and it is a fifth of a precompiled
    // component's size (the image embeds two).
    config.generate_address_map(false);
    Ok(config)
}

/// An engine with [`config`].
pub fn new(target: &str) -> Result<Engine> {
    Engine::new(&config(target)?)
}
