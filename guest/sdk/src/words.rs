//! The fixed words a component sends where a value is not a measured one.
//! Every description the SDK derives is a name from a known list, a number,
//! or one of these.

/// A value that is missing or empty (the server would not store it), or
/// that depends on facts the host did not read.
pub const UNKNOWN: &str = "unknown";
/// Something found that is none of the names we know (never its own name).
pub const OTHER: &str = "other";
/// Nothing of that kind was found (an ingress controller, a GPU).
pub const NONE: &str = "none";
/// More than one value of a kind found across nodes (GPU vendors, SELinux).
pub const MIXED: &str = "mixed";
