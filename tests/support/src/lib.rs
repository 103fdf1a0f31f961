//! In-process stand-ins for the Kubernetes API server and the Longhorn
//! upgrade-responder server, for tests that run the real client binary as a
//! subprocess and then look at what the stand-ins saw.
//!
//! Each stand-in runs on its own background thread with its own tokio
//! runtime, listens on `127.0.0.1` with an OS-assigned port, is started by a
//! synchronous constructor and shuts down when dropped.

// Test and build code reads and writes its own fixtures; the file doors
// (clippy.toml) are for the host.
#![allow(clippy::disallowed_methods)]

mod apiserver;
mod background;
mod compression;
pub mod generated;
mod influxdb;
mod query;
mod rbac;
mod responder;
mod tls;
mod wasmtime_cli;

#[cfg(test)]
mod testclient;
#[cfg(test)]
mod tests_apiserver;
#[cfg(test)]
mod tests_compression;
#[cfg(test)]
mod tests_responder;
#[cfg(test)]
mod tests_server_rules;

pub use apiserver::{
    ApiFault, ApiOptions, ApiRequest, ApiServer, CONTINUE_EXPIRED_MESSAGE, ClusterObjects,
    DEFAULT_USER,
};
pub use compression::GZIP_THRESHOLD_BYTES;
pub use influxdb::{Index, Influxd, influxd, line_protocol};
pub use rbac::Rule;
pub use responder::{
    Behaviour, MAX_STRING_VALUE_LENGTH, MEASUREMENT, OfferedVersion, Received, RequestSchema,
    Responder, ResponseConfig, ServedCertificate, StoredPoint, ValueSchema, response_json,
    snake_case, stored_point,
};

pub(crate) fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Fills `buf` with cryptographically secure random bytes (ring).
pub(crate) fn random_bytes(buf: &mut [u8]) -> anyhow::Result<()> {
    rustls::crypto::ring::default_provider()
        .secure_random
        .fill(buf)
        .map_err(|e| anyhow::anyhow!("no secure randomness: {e:?}"))
}

pub use wasmtime_cli::{CommandRun, wasmtime, wasmtime_cli, wasmtime_run};

/// Paths of the test components, built for wasm32-wasip2 by `build.rs`,
/// and per class the list its suite must cover.
pub mod components {
    include!(concat!(env!("OUT_DIR"), "/components.rs"));
}
