//! The shipped reporter components, built for `wasm32-wasip2` by `build.rs`
//! and precompiled there for the host's engine (`host/src/sandbox/engine.rs`). The
//! host embeds the K3s and the RKE2 one, precompiled, and a run picks one by
//! the cluster's version (or `UPGRADE_RESPONDER_COMPONENT=builtin:k3s` /
//! `builtin:rke2`); the example is a file an operator could select by path
//! (tests use the paths).

/// The target triple the host is built for, and the artefacts compiled for.
pub const TARGET: &str = env!("COMPONENT_TARGET");

/// The K3s component: the K3s payload of the design record; what a K3s,
/// upstream or unknown cluster runs.
pub const K3S_REPORTER: &[u8] = include_bytes!(env!("K3S_REPORTER_WASM"));
/// Where the build left it (for `wasmtime run` and tests).
pub const K3S_REPORTER_PATH: &str = env!("K3S_REPORTER_WASM");
/// The default component precompiled for this host's engine: what it runs.
pub const K3S_REPORTER_CWASM: &[u8] = include_bytes!(env!("K3S_REPORTER_CWASM"));
/// Its sha256, computed when it was compiled; checked before it is loaded.
pub const K3S_REPORTER_CWASM_SHA256: &str = env!("K3S_REPORTER_CWASM_SHA256");
/// Where the build left it.
pub const K3S_REPORTER_CWASM_PATH: &str = env!("K3S_REPORTER_CWASM");

/// The RKE2 component: the payload of the RKE2 design record (seed 001).
pub const RKE2_REPORTER: &[u8] = include_bytes!(env!("RKE2_REPORTER_WASM"));
/// Where the build left it.
pub const RKE2_REPORTER_PATH: &str = env!("RKE2_REPORTER_WASM");
/// The RKE2 component precompiled for this host's engine: what an RKE2
/// cluster runs.
pub const RKE2_REPORTER_CWASM: &[u8] = include_bytes!(env!("RKE2_REPORTER_CWASM"));
/// Where the build left it precompiled, and its sha256, computed when it was
/// compiled; checked before it is loaded.
pub const RKE2_REPORTER_CWASM_PATH: &str = env!("RKE2_REPORTER_CWASM");
pub const RKE2_REPORTER_CWASM_SHA256: &str = env!("RKE2_REPORTER_CWASM_SHA256");

/// The minimal example of COMPONENTS.md.
pub const EXAMPLE_REPORTER: &[u8] = include_bytes!(env!("EXAMPLE_REPORTER_WASM"));
/// Where the build left it.
pub const EXAMPLE_REPORTER_PATH: &str = env!("EXAMPLE_REPORTER_WASM");
/// Where the build left it precompiled, and its sha256.
pub const EXAMPLE_REPORTER_CWASM_PATH: &str = env!("EXAMPLE_REPORTER_CWASM");
pub const EXAMPLE_REPORTER_CWASM_SHA256: &str = env!("EXAMPLE_REPORTER_CWASM_SHA256");

/// Every shipped component: (cargo package, path of its `.wasm`).
pub const COMPONENTS: &[(&str, &str)] = &[
    ("k3s-reporter", K3S_REPORTER_PATH),
    ("rke2-reporter", RKE2_REPORTER_PATH),
    ("example-reporter", EXAMPLE_REPORTER_PATH),
];

/// A shipped component precompiled for this host's engine.
pub struct Precompiled {
    pub package: &'static str,
    /// The `.wasm` it was compiled from.
    pub wasm_path: &'static str,
    pub cwasm_path: &'static str,
    /// sha256 of the `.cwasm`, lowercase hex: the value of
    /// `UPGRADE_RESPONDER_COMPONENT_SHA256` that lets the host load it.
    pub sha256: &'static str,
}

/// Every shipped component, precompiled.
pub const PRECOMPILED: &[Precompiled] = &[
    Precompiled {
        package: "k3s-reporter",
        wasm_path: K3S_REPORTER_PATH,
        cwasm_path: K3S_REPORTER_CWASM_PATH,
        sha256: K3S_REPORTER_CWASM_SHA256,
    },
    Precompiled {
        package: "rke2-reporter",
        wasm_path: RKE2_REPORTER_PATH,
        cwasm_path: RKE2_REPORTER_CWASM_PATH,
        sha256: RKE2_REPORTER_CWASM_SHA256,
    },
    Precompiled {
        package: "example-reporter",
        wasm_path: EXAMPLE_REPORTER_PATH,
        cwasm_path: EXAMPLE_REPORTER_CWASM_PATH,
        sha256: EXAMPLE_REPORTER_CWASM_SHA256,
    },
];
