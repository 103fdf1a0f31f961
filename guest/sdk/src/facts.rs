//! Questions components ask of the cluster facts, answered one way for all.

use crate::version::DistroVersion;
use crate::words::UNKNOWN;
use crate::{ClusterFacts, FactKinds, NodeFacts, NodeRole, WorkloadKind};

/// A server node runs the control plane: K3s and RKE2 label servers with the
/// `control-plane` role, and older releases with `master`.
pub fn is_server(node: &NodeFacts) -> bool {
    node.roles
        .iter()
        .any(|role| matches!(role, NodeRole::ControlPlane | NodeRole::Master))
}

/// Servers and agents, counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeCounts {
    pub nodes: u64,
    pub servers: u64,
    pub agents: u64,
}

/// Nodes whose facts match `which`, each group weighed by its count.
pub fn count_nodes(facts: &ClusterFacts, which: impl Fn(&NodeFacts) -> bool) -> u64 {
    facts
        .node_groups
        .iter()
        .filter(|group| which(&group.facts))
        .map(|group| u64::from(group.count))
        .sum()
}

pub fn node_counts(facts: &ClusterFacts) -> NodeCounts {
    let nodes = count_nodes(facts, |_| true);
    let servers = count_nodes(facts, is_server);
    NodeCounts {
        nodes,
        servers,
        agents: nodes - servers,
    }
}

/// The cluster UUID, or the reason a report cannot be made without it.
pub fn cluster_uuid(facts: &ClusterFacts) -> Result<&str, String> {
    let uuid = facts.cluster_uuid.trim();
    if uuid.is_empty() {
        return Err("the cluster facts carry no kube-system namespace UID (cluster-uuid)".into());
    }
    Ok(uuid)
}

/// The upstream Kubernetes version of the distribution release the API
/// server reports (`v1.31.6+k3s1` -> `v1.31.6`), or `unknown`.
pub fn kubernetes_version(facts: &ClusterFacts) -> String {
    DistroVersion::parse(&facts.server_version.git_version)
        .map(|v| v.kubernetes_version())
        .unwrap_or_else(|| UNKNOWN.to_string())
}

/// Whether the host read the kube-system workloads of `kind`. When it did
/// not (the component did not ask, or the API refused), a value that
/// depends on them and found nothing is `unknown`, never `none`.
pub fn workloads_read(facts: &ClusterFacts, kind: WorkloadKind) -> bool {
    !facts.unread_workloads.contains(&kind)
}

/// Whether `kinds` holds every kind in `wanted` (the bindings' flags type
/// has the bit operators only).
pub fn has_kinds(kinds: FactKinds, wanted: FactKinds) -> bool {
    kinds & wanted == wanted
}

/// What the host hands a component that asked for `kinds` only: no node
/// groups without `NODES`, and each workload kind not asked for left out
/// and named in `unread_workloads`. The command mode applies it to a facts
/// file, so `wasmtime run` shows what a cluster run would send.
pub fn as_read_with(facts: &ClusterFacts, kinds: FactKinds) -> ClusterFacts {
    let mut read = facts.clone();
    if !has_kinds(kinds, FactKinds::NODES) {
        read.node_groups.clear();
    }
    for (kind, flag) in [
        (WorkloadKind::Deployment, FactKinds::DEPLOYMENTS),
        (WorkloadKind::DaemonSet, FactKinds::DAEMON_SETS),
    ] {
        if !has_kinds(kinds, flag) {
            read.kube_system_workloads.retain(|w| w.kind != kind);
            if !read.unread_workloads.contains(&kind) {
                read.unread_workloads.push(kind);
            }
        }
    }
    read
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::cluster;

    #[test]
    fn facts_read_with_fewer_kinds_leave_the_rest_out_and_say_so() {
        let rke2 = cluster("rke2-canal");
        let kinds = |facts: &ClusterFacts| -> Vec<WorkloadKind> {
            facts.kube_system_workloads.iter().map(|w| w.kind).collect()
        };
        let all = FactKinds::NODES | FactKinds::DEPLOYMENTS | FactKinds::DAEMON_SETS;
        assert_eq!(as_read_with(&rke2, all), rke2);
        let minimal = as_read_with(&rke2, FactKinds::NODES | FactKinds::DAEMON_SETS);
        assert_eq!(minimal.node_groups, rke2.node_groups);
        assert_eq!(kinds(&minimal), [WorkloadKind::DaemonSet; 2]);
        assert_eq!(minimal.unread_workloads, [WorkloadKind::Deployment]);
        assert!(!workloads_read(&minimal, WorkloadKind::Deployment));
        assert!(workloads_read(&minimal, WorkloadKind::DaemonSet));
        let nothing = as_read_with(&rke2, FactKinds::empty());
        assert!(nothing.node_groups.is_empty() && nothing.kube_system_workloads.is_empty());
        assert_eq!(
            nothing.unread_workloads,
            [WorkloadKind::Deployment, WorkloadKind::DaemonSet]
        );
        assert_eq!(
            (nothing.cluster_uuid, nothing.server_version),
            (rke2.cluster_uuid, rke2.server_version),
            "always read"
        );
        assert_eq!(node_counts(&minimal).nodes, 3);
    }
}
