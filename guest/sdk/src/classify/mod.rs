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
//! nowhere are `unknown`, never `none`, when a kind or a system namespace
//! they depend on was not read: the CNI plugin and its version depend on
//! the DaemonSets and on calico-system and tigera-operator (RKE2's
//! calico), the ingress controller and its version on the Deployments and
//! the DaemonSets, the GPU operator on gpu-operator, kube-amd-gpu and
//! inteldeviceplugins-system, Rancher on cattle-system.
//!
//! Two bundles gather them for the `standard` field mode: [`Extended`]
//! (the K3s design record's extended fields) and [`Family`] (what RKE2's
//! security responder sends, in closed form), in that order.

mod extended;
mod family;
mod known;
mod namespaces;
mod nodes;
mod release;
mod workloads;

#[cfg(test)]
mod test_facts;

pub use extended::{CNI_PLUGIN_TAG, Extended, OS_TAG};
pub use family::Family;
pub use namespaces::{GpuOperator, Rancher, gpu_operator, ip_stack, rancher};
pub use nodes::{
    RoleResources, cluster_architectures, cluster_kernel, cluster_operating_system, cluster_os,
    cluster_selinux, gpu_node_count, gpu_vendor, kernel_major_minor, node_info_consistent, os_id,
    role_resources,
};
pub use release::release_version;
pub use workloads::{CniPlugin, cni_plugin, ingress_controller, ingress_version};
