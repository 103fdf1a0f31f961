//! The shipped reporter components, built for `wasm32-wasip2` by `build.rs`.
//! The host embeds only the default one; the others are files an operator
//! selects with `UPGRADE_RESPONDER_COMPONENT` (tests use the paths).

/// The default component: the K3s payload of the design record.
pub const K3S_REPORTER: &[u8] = include_bytes!(env!("K3S_REPORTER_WASM"));
/// Where the build left it (for `wasmtime run` and tests).
pub const K3S_REPORTER_PATH: &str = env!("K3S_REPORTER_WASM");

/// The RKE2 component: the payload of the RKE2 design record (seed 001).
pub const RKE2_REPORTER: &[u8] = include_bytes!(env!("RKE2_REPORTER_WASM"));
/// Where the build left it.
pub const RKE2_REPORTER_PATH: &str = env!("RKE2_REPORTER_WASM");

/// The minimal example of COMPONENTS.md.
pub const EXAMPLE_REPORTER: &[u8] = include_bytes!(env!("EXAMPLE_REPORTER_WASM"));
/// Where the build left it.
pub const EXAMPLE_REPORTER_PATH: &str = env!("EXAMPLE_REPORTER_WASM");

/// Every shipped component: (cargo package, path of its `.wasm`).
pub const COMPONENTS: &[(&str, &str)] = &[
    ("k3s-reporter", K3S_REPORTER_PATH),
    ("rke2-reporter", RKE2_REPORTER_PATH),
    ("example-reporter", EXAMPLE_REPORTER_PATH),
];
