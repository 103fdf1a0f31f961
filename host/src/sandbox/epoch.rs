//! The engine every command runs and compiles with, and the ticker that
//! advances its epoch (the deadline is counted in ticks).

use std::time::Duration;

use anyhow::Context as _;
use wasmtime::Engine;

/// How often the epoch advances; the deadline is counted in these ticks.
pub(super) const EPOCH_TICK: Duration = Duration::from_millis(10);

/// The engine every command runs and compiles with (`engine.rs`: one
/// configuration, so precompiled artefacts match it).
pub fn engine() -> anyhow::Result<Engine> {
    super::engine::new(component_artifacts::TARGET)
        .map_err(anyhow::Error::from)
        .context("cannot set up the WebAssembly engine")
}

/// Advances the engine's epoch until the process ends.
pub fn start_epoch_ticker(engine: &Engine) {
    let engine = engine.weak();
    std::thread::Builder::new()
        .name("epoch-ticker".into())
        .spawn(move || {
            while let Some(engine) = engine.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(EPOCH_TICK);
            }
        })
        .ok();
}
