//! The report: the one summary line, the upgrade notice and the
//! termination message, from what the component's call returned.
//!
//! May import the ground, the settings and the sandbox's results; never
//! the cluster reads.

pub mod outcome;
