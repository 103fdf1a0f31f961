//! The ground every step stands on: the contract's bindings, the policy (what
//! a component may do), the closed vocabulary facts cross in, the failure
//! table, the doors files come in through, and the one way outside text is
//! shown. Nothing here imports a step (`settings`, `sandbox`, `cluster`,
//! `report`) or a command.

pub mod bindings;
pub mod digest;
pub mod failure;
pub mod input;
pub mod logging;
pub mod output_file;
pub mod policy;
pub mod request_schema;
pub mod text;
pub mod vocabulary;
