//! The shipped reporter components, built for `wasm32-wasip2` by `build.rs`.

/// The default component: the K3s payload of the design record.
pub const K3S_REPORTER: &[u8] = include_bytes!(env!("K3S_REPORTER_WASM"));
/// Where the build left it (for `wasmtime run` and tests).
pub const K3S_REPORTER_PATH: &str = env!("K3S_REPORTER_WASM");
