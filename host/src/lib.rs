//! upgrade-responder: the host of a sandboxed telemetry reporter.
//!
//! `main.rs` parses the command line and hands over to one file per
//! subcommand in `commands/`. The default command is the run pipeline in
//! `commands/run.rs`. The folders follow the steps of a run, each on the
//! ones before it (ARCHITECTURE.md draws the flow and states the rule):
//!
//! - `ground`: the contract's bindings, the policy, the vocabulary, the
//!   failure table, the file doors, outside text;
//! - `settings`: every setting's name, source and parse;
//! - `sandbox`: loading, checking and calling a component;
//! - `cluster`: the facts read from the Kubernetes API or a facts file;
//! - `report`: the summary line, the notice and the termination message.

// Unit tests write and read their own fixtures; the host's code goes
// through the file doors (clippy.toml).
#![cfg_attr(test, allow(clippy::disallowed_methods))]

pub mod cluster;
pub mod commands;
pub mod ground;
pub mod report;
pub mod sandbox;
pub mod settings;

#[cfg(test)]
mod layout;

/// How this host was built (`settings.build`, sent by a component in its
/// standard mode): a release only when the release image build set
/// `UPGRADE_RESPONDER_RELEASE_BUILD=1` at compile time (`deploy/image/build.sh`
/// does, from a clean tree at a version tag); any other build is a
/// development one, so a server can keep test reports apart.
pub fn host_build() -> ground::bindings::HostBuild {
    match option_env!("UPGRADE_RESPONDER_RELEASE_BUILD") {
        Some("1") => ground::bindings::HostBuild::Release,
        _ => ground::bindings::HostBuild::Development,
    }
}

/// What the host sends as `User-Agent` on every request it makes.
pub const USER_AGENT: &str = concat!("upgrade-responder/", env!("CARGO_PKG_VERSION"));
