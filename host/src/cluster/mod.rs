//! Cluster facts: what the component may know about the cluster. The API
//! reads of the needed kinds (`api.rs`), the fields of API objects the facts
//! use (`objects.rs`), their reduction to anonymous records (`facts.rs`),
//! the system namespaces read besides kube-system (`system.rs`),
//! and the facts file, the same records as JSON (`facts_file.rs`).
//!
//! Owns every read of the Kubernetes API. May import the ground and the
//! settings; never the sandbox or the report.

pub mod api;
pub mod facts;
pub mod facts_file;
pub mod objects;
pub mod system;
