//! End-to-end tests: the real host binary, the real components, the
//! in-process Kubernetes API and upgrade-responder stand-ins.

mod common;
mod components;
mod components_doc;
mod failures;
mod hostile;
mod hostile_resources;
mod pipeline;
mod privacy;
mod rbac;
mod wasmtime_run;
