//! What every reporter component shares.
//!
//! A component implements [`Reporter`] (facts in, [`Payload`] out, and the
//! [`Key`]s it sends, and the facts it needs) and calls [`component!`]; the
//! SDK does the rest: the WIT exports `build-payload`, `report`,
//! `request-schema` and `facts-needed`, the POST, reading the answer,
//! and a `main` so the same `.wasm` runs under `wasmtime run` with facts as
//! JSON on stdin, or prints the server's request schema with `--schema`.
//!
//! ```ignore
//! struct MyReporter;
//! impl reporter_sdk::Reporter for MyReporter {
//!     fn payload(facts: &ClusterFacts, settings: &Settings) -> Result<Payload, String> { ... }
//!     fn facts_needed(mode: FieldMode) -> FactKinds { FactKinds::NODES }
//!     fn keys() -> Vec<Key> { ... }
//! }
//! reporter_sdk::component!(MyReporter);
//! ```

// What a component author uses: the derived descriptions, the facts
// helpers, the POST (for components that write their own `report`).
pub mod classify;
pub mod facts;
pub mod send;
pub mod upgrade;

// The SDK's own workings.
pub mod advisory;
mod answer;
// For the fuzz targets only: the answer parser behind `report`.
#[doc(hidden)]
pub use answer::parse as parse_answer;
#[doc(hidden)]
pub mod command;
mod payload;
mod schema;
mod server_rules;
#[cfg(test)]
mod server_rules_tests;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
mod version;
mod words;

pub mod bindings {
    wit_bindgen::generate!({
        path: "../../wit",
        world: "reporter",
        pub_export_macro: true,
        export_macro_name: "export_reporter",
        default_bindings_module: "reporter_sdk::bindings",
        // The fixture format (facts as JSON) is serde of these very types, so
        // the host and every component read the same files.
        additional_derives: [serde::Serialize, serde::Deserialize, Clone, PartialEq],
        // wstd talks to wasi:http through the wasip2 crate; reuse its types.
        with: {
            "wasi:http/outgoing-handler@0.2.12": wasip2::http::outgoing_handler,
            "wasi:http/types@0.2.12": wasip2::http::types,
            "wasi:io/error@0.2.12": wasip2::io::error,
            "wasi:io/poll@0.2.12": wasip2::io::poll,
            "wasi:io/streams@0.2.12": wasip2::io::streams,
            "wasi:clocks/monotonic-clock@0.2.12": wasip2::clocks::monotonic_clock,
        },
    });
}

pub use bindings::upgrade_responder::telemetry::types::{
    Advisory, BadResponse, ClusterFacts, FactKinds, FieldMode, GpuResource, GpuVendor, HostBuild,
    IpStack, NodeFacts, NodeGroup, NodeRole, NoticeStatus, OfferedVersion, Outcome, ReportError,
    SecurityNotice, ServerVersion, Settings, SystemNamespace, SystemWorkload, UpgradeNotice,
    UpgradeStep, Workload, WorkloadImage, WorkloadKind,
};
pub use payload::{FieldValue, Payload, PayloadError};
pub use schema::{Key, Place, request_schema_json, request_schema_json_for_mode};
pub use server_rules::DataType;
pub use version::{Distribution, DistroVersion};
pub use words::{MIXED, NONE, OTHER, UNKNOWN};

/// A component's own logic: which payload these facts make.
pub trait Reporter {
    /// Builds the payload. `Err` is a reason an operator can act on (for
    /// example "the cluster facts carry no kube-system UID").
    fn payload(facts: &ClusterFacts, settings: &Settings) -> Result<Payload, String>;

    /// The facts [`Reporter::payload`] uses in `mode`: the host reads only
    /// these (the server version and the cluster UUID always), and hands
    /// the workload kinds it did not read in `unread_workloads`. Ask for
    /// `NODES` when the payload counts or describes nodes, `DEPLOYMENTS` /
    /// `DAEMON_SETS` when it names software running in kube-system
    /// ([`classify`] says which of its values depend on which kind). With
    /// the `testing` feature, `testing::check_facts_needed` checks the
    /// declaration against the payloads of the fixture clusters.
    fn facts_needed(mode: FieldMode) -> FactKinds;

    /// Every key [`Reporter::payload`] may send, with its place, type and
    /// field modes: what the upgrade-responder server's request schema must
    /// list for the server to store it ([`request_schema_json`]). Without
    /// declarations the schema lists no key, and a server deployed with it
    /// stores only `appVersion`.
    fn keys() -> Vec<Key> {
        Vec::new()
    }
}

/// The exact body `report` would send.
pub fn build_payload<R: Reporter>(
    facts: &ClusterFacts,
    settings: &Settings,
) -> Result<String, String> {
    let payload = R::payload(facts, settings)?;
    payload
        .to_json()
        .map_err(|e| format!("the component built an invalid payload: {e}"))
}

/// Builds the payload, POSTs it, reads the answer, and computes the upgrade
/// notice for the channel the settings name.
pub fn report<R: Reporter>(
    facts: &ClusterFacts,
    settings: &Settings,
) -> Result<Outcome, ReportError> {
    let payload = R::payload(facts, settings).map_err(ReportError::InvalidFacts)?;
    let body = payload.to_json().map_err(|e| {
        ReportError::InvalidFacts(format!("the component built an invalid payload: {e}"))
    })?;
    let reply = send::post_json(&settings.endpoint, body.clone()).map_err(ReportError::NotSent)?;
    if !(200..300).contains(&reply.status) {
        return Err(ReportError::BadResponse(BadResponse {
            status: reply.status,
            reason: format!("status {}: {}", reply.status, excerpt(&reply.body)),
        }));
    }
    let answer = answer::parse(&reply.body).map_err(|reason| {
        ReportError::BadResponse(BadResponse {
            status: reply.status,
            reason: format!("{reason}; body starts {}", excerpt(&reply.body)),
        })
    })?;
    // The server answers for the appVersion it was sent.
    let mut notice = upgrade::notice(&answer.versions, payload.app_version(), &settings.channel);
    notice.security.ignored_values = answer.ignored_advisory_values;
    Ok(Outcome {
        payload: body,
        status: reply.status,
        versions: answer.versions,
        notice,
        request_interval_minutes: answer.request_interval_minutes,
    })
}

/// The component's `request-schema` export: the server's schema as JSON,
/// or, if the component declares its keys wrongly, the reason (which the
/// host refuses as not JSON, naming it).
pub fn request_schema<R: Reporter>() -> String {
    request_schema_json::<R>()
        .unwrap_or_else(|problem| format!("the component declares its keys wrongly: {problem}"))
}

/// The start of a body, printable, for an error message.
fn excerpt(body: &[u8]) -> String {
    const MAX: usize = 120;
    let text = String::from_utf8_lossy(&body[..body.len().min(MAX)]);
    let text: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if body.len() > MAX {
        format!("{:?}...", text)
    } else {
        format!("{:?}", text)
    }
}

/// Exports a [`Reporter`] as the component's WIT exports and as its
/// `wasi:cli/run` command (`fn main`). Use it once, in the component's
/// `main.rs`.
#[macro_export]
macro_rules! component {
    ($reporter:ty) => {
        struct ExportedReporter;

        impl $crate::bindings::Guest for ExportedReporter {
            fn build_payload(
                facts: $crate::ClusterFacts,
                settings: $crate::Settings,
            ) -> Result<String, String> {
                $crate::build_payload::<$reporter>(&facts, &settings)
            }

            fn report(
                facts: $crate::ClusterFacts,
                settings: $crate::Settings,
            ) -> Result<$crate::Outcome, $crate::ReportError> {
                $crate::report::<$reporter>(&facts, &settings)
            }

            fn request_schema() -> String {
                $crate::request_schema::<$reporter>()
            }

            fn facts_needed(mode: $crate::FieldMode) -> $crate::FactKinds {
                <$reporter as $crate::Reporter>::facts_needed(mode)
            }
        }

        $crate::bindings::export_reporter!(ExportedReporter with_types_in $crate::bindings);

        fn main() {
            $crate::command::main::<$reporter>()
        }
    };
}
