//! Low-cardinality descriptions of a cluster, derived from the facts one way
//! for every component.
//!
//! The facts are closed already (the host's OS ids, software names, version
//! digits); everything here returns either a name from the lists the
//! payload sends (`known.rs`), one of the fixed words (`other`, `unknown`,
//! `none`, `mixed`: `words.rs`), or a value built only from digits and
//! dots. A host word the lists do not name is sent as `other`.
//!
//! Node values weigh each node group by its count. Workload values found
//! nowhere are `unknown`, never `none`, when a kind they depend on was not
//! read: the CNI plugin and its version depend on the DaemonSets, the
//! ingress controller on the Deployments and the DaemonSets.

mod extended;
mod known;
mod nodes;
mod release;
mod workloads;

#[cfg(test)]
mod test_facts;

pub use extended::{CNI_PLUGIN_TAG, Extended, OS_TAG};
pub use nodes::{
    cluster_architectures, cluster_kernel, cluster_os, cluster_selinux, gpu_node_count, gpu_vendor,
    kernel_major_minor, os_id,
};
pub use release::release_version;
pub use workloads::{CniPlugin, cni_plugin, ingress_controller};
