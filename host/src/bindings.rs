//! Host-side bindings of the `reporter` world in `wit/`: the same files the
//! components generate theirs from. The current contract is at the root of
//! this module; the frozen 0.1.0 contract in [`v0_1`]. `contract.rs` is the
//! one place that moves records between the two.

wasmtime::component::bindgen!({
    path: "../wit",
    world: "upgrade-responder:telemetry/reporter@0.2.0",
    exports: { default: async },
    // The world's wasi:http import is implemented by wasmtime-wasi-http; only
    // the reporter's own types and exports are generated here.
    with: {
        "wasi:http": wasmtime_wasi_http::p2::bindings::http,
        "wasi:io": wasmtime_wasi::p2::bindings::io,
        "wasi:clocks": wasmtime_wasi::p2::bindings::clocks,
    },
    // The fixture format (`--facts`, `facts` command) is serde of these types,
    // shared with the components' bindings.
    additional_derives: [serde::Serialize, serde::Deserialize, PartialEq],
});

// The world's `use` already put ClusterFacts, Settings, Outcome and
// ReportError at the root of this module.
pub use self::upgrade_responder::telemetry::types::{
    BadResponse, ContainerImage, FieldMode, GpuResource, GpuVendor, NodeFacts, NodeRole,
    NoticeStatus, OfferedVersion, ServerVersion, UpgradeNotice, UpgradeStep, Workload,
    WorkloadKind,
};

/// Contract 0.1.0 (`wit/v0.1.0/`), for components built against it.
pub mod v0_1 {
    wasmtime::component::bindgen!({
        path: ["../wit", "../wit/v0.1.0"],
        world: "upgrade-responder:telemetry/reporter@0.1.0",
        exports: { default: async },
        with: {
            "wasi:http": wasmtime_wasi_http::p2::bindings::http,
            "wasi:io": wasmtime_wasi::p2::bindings::io,
            "wasi:clocks": wasmtime_wasi::p2::bindings::clocks,
        },
        additional_derives: [serde::Serialize, serde::Deserialize, PartialEq],
    });

    pub use self::upgrade_responder::telemetry0_1_0::types::{BadResponse, FieldMode};
}
