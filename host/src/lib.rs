//! upgrade-responder: the host of a sandboxed telemetry reporter.
//!
//! `main.rs` parses the command line and hands over to one file per
//! subcommand in `commands/`. The default command is the run pipeline in
//! `commands/run.rs`; ARCHITECTURE.md maps every step to its file.

pub mod bindings;
pub mod cluster;
pub mod commands;
pub mod config;
pub mod contract;
pub mod engine;
pub mod facts;
pub mod failure;
pub mod input;
pub mod logging;
pub mod objects;
pub mod outcome;
pub mod output;
pub mod policy;
pub mod sandbox;
pub mod transport;
pub mod trust;
pub mod vocabulary;

/// What the host sends as `User-Agent` on every request it makes.
pub const USER_AGENT: &str = concat!("upgrade-responder/", env!("CARGO_PKG_VERSION"));
