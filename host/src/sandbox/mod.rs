//! The sandbox: carries out the policy (`ground/policy.rs`). Loads a
//! component (compiles a `.wasm`, maps a pinned precompiled artefact:
//! `trust.rs`), refuses one that imports more than the policy grants, links
//! only the granted interfaces, and runs one call under the limits with
//! egress checked on every request.
//!
//! Owns the engine, the store and everything a component can reach. May
//! import the ground and the settings; never the cluster reads or the
//! report.

mod body;
mod call;
pub mod contract;
mod egress;
pub mod engine;
mod epoch;
mod events;
mod load;
pub mod output;
mod state;
mod stop;
pub mod transport;
pub mod trust;

pub use call::{Call, Finished, Returned, Stopped, call, facts_needed};
pub use egress::EgressPolicy;
pub use epoch::{engine, start_epoch_ticker};
pub use events::{Events, Exchange};
pub use load::{
    BUILT_IN_RULE, Candidate, Checked, ImportCheck, Loaded, Provenance, Refused, Shape, Unfit,
    built_in_for, built_in_origin, built_in_sha256, check, check_loaded, load,
};
pub use state::{RunState, linker};
