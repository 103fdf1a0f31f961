//! End-to-end tests: the real host binary, the real components, the
//! in-process Kubernetes API and upgrade-responder stand-ins.

mod api_faults;
mod common;
mod components;
mod components_doc;
mod endpoint_faults;
mod failures;
mod hostile;
mod pipeline;
mod privacy;
mod rbac;
mod soak;
mod wasmtime_run;
