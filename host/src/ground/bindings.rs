//! Host-side bindings of the `reporter` world in `wit/`: the same files the
//! components generate theirs from. The current contract is at the root of
//! this module; the frozen ones in [`v0_3`], [`v0_2`] and [`v0_1`]. `contract.rs` is
//! the one place that moves records between them.

wasmtime::component::bindgen!({
    path: "../wit",
    world: "upgrade-responder:telemetry/reporter@0.4.0",
    exports: { default: async },
    // The world's wasi:http import is implemented by wasmtime-wasi-http; only
    // the reporter's own types and exports are generated here.
    with: {
        "wasi:http": wasmtime_wasi_http::p2::bindings::http,
        "wasi:io": wasmtime_wasi::p2::bindings::io,
        "wasi:clocks": wasmtime_wasi::p2::bindings::clocks,
    },
    // The fixture format (`--facts`, `facts` command) is serde of these types,
    // shared with the components' bindings. Ordered, so node groups sort by
    // their facts.
    additional_derives: [serde::Serialize, serde::Deserialize, PartialEq, Eq, PartialOrd, Ord],
});

// The world's `use` already put ClusterFacts, Settings, Outcome, ReportError,
// FieldMode and FactKinds at the root of this module.
pub use self::upgrade_responder::telemetry::types::{
    Advisory, BadResponse, GpuResource, GpuVendor, HostBuild, IpStack, NodeFacts, NodeGroup,
    NodeRole, NoticeStatus, OfferedVersion, SecurityNotice, ServerVersion, SystemNamespace,
    SystemWorkload, UpgradeNotice, UpgradeStep, Workload, WorkloadImage, WorkloadKind,
};

/// Contract 0.3.0 (`wit/v0.3.0/`), for components built against it. Its
/// facts and settings are the current ones, field for field, without the
/// system namespaces, the IP stack and the build.
pub mod v0_3 {
    wasmtime::component::bindgen!({
        path: ["../wit", "../wit/v0.3.0"],
        world: "upgrade-responder:telemetry/reporter@0.3.0",
        exports: { default: async },
        with: {
            "wasi:http": wasmtime_wasi_http::p2::bindings::http,
            "wasi:io": wasmtime_wasi::p2::bindings::io,
            "wasi:clocks": wasmtime_wasi::p2::bindings::clocks,
        },
        additional_derives: [serde::Serialize, serde::Deserialize, PartialEq],
    });

    pub use self::upgrade_responder::telemetry0_3_0::types::{
        NoticeStatus, OfferedVersion, UpgradeNotice, UpgradeStep,
    };
}

/// Contract 0.2.0 (`wit/v0.2.0/`), for components built against it.
pub mod v0_2 {
    wasmtime::component::bindgen!({
        path: ["../wit", "../wit/v0.2.0"],
        world: "upgrade-responder:telemetry/reporter@0.2.0",
        exports: { default: async },
        with: {
            "wasi:http": wasmtime_wasi_http::p2::bindings::http,
            "wasi:io": wasmtime_wasi::p2::bindings::io,
            "wasi:clocks": wasmtime_wasi::p2::bindings::clocks,
        },
        // The 0.2.0 facts are also the raw facts format older files keep.
        additional_derives: [serde::Serialize, serde::Deserialize, PartialEq],
    });

    pub use self::upgrade_responder::telemetry0_2_0::types::{
        ContainerImage, FieldMode, GpuResource, GpuVendor, NodeFacts, NodeRole, ServerVersion,
        Workload, WorkloadKind,
    };
}

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
