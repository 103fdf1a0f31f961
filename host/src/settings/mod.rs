//! Settings: the table of every setting, where each value comes from, the
//! opt-out, and the parsed, checked settings of a run.
//!
//! Owns every setting's name and parse. May import the ground only; every
//! later step reads its settings from here.

mod check;
mod config;
mod early;
mod opt_out;
mod sources;
mod table;
#[cfg(test)]
mod tests;

pub use check::invalid_settings;
pub use config::{
    BUILT_IN_EXPECTED, BUILT_IN_PREFIX, BuiltIn, ComponentSetting, Config, Secret, component,
    component_sha256, termination_message_path,
};
pub use early::{log_format, log_level};
pub use opt_out::{enabled, opt_out_reason};
pub use sources::{Source, Unknown, Values};
pub use table::*;
