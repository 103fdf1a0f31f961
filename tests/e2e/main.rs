//! End-to-end tests: the real host binary, the real components, the
//! in-process Kubernetes API and upgrade-responder stand-ins.
//!
//! Test components are run by the suite of their class (tests/components/
//! `<class>-<what>`): refused, stopped, denied, contained.

// Test and build code reads and writes its own fixtures; the file doors
// (clippy.toml) are for the host.
#![allow(clippy::disallowed_methods)]

mod api_faults;
mod api_reads;
mod built_in_choice;
mod common;
mod components;
mod components_doc;
mod contained;
mod contract;
mod denied;
mod distro_image;
mod doc_commands;
mod doors;
mod endpoint_faults;
mod failures;
mod hostile_resources;
mod hostile_servers;
mod operator_input;
mod operator_output;
mod pipeline;
mod precompiled;
mod privacy;
mod rbac;
mod refused;
mod schema;
mod security_notice;
mod server_kit;
mod soak;
mod stopped;
mod wasmtime_run;
