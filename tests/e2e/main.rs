//! End-to-end tests: the real host binary, the real components, the
//! in-process Kubernetes API and upgrade-responder stand-ins.

mod common;
mod failures;
mod pipeline;
mod rbac;
mod wasmtime_run;
