//! Host-side bindings of the `reporter` world in `wit/`: the same files the
//! components generate theirs from.

wasmtime::component::bindgen!({
    path: "../wit",
    world: "reporter",
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
pub use upgrade_responder::telemetry::types::{
    ContainerImage, FieldMode, GpuResource, GpuVendor, NodeFacts, NodeRole, ServerVersion,
    Workload, WorkloadKind,
};
