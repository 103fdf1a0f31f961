//! Low-cardinality descriptions of a cluster, derived from the facts one way
//! for every component.
//!
//! Everything here returns either a name from a fixed list (`known.rs`), one
//! of the fixed words (`other`, `unknown`, `none`, `mixed`: `words.rs`),
//! or a value built only from digits and dots: never a workload name, an
//! image repository, an OS string or any other text as the cluster spelled
//! it. An operator can deploy anything into kube-system and name it freely,
//! so a name we do not recognise is `other`, never itself.

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
