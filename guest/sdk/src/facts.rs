//! Questions components ask of the cluster facts, answered one way for all.

use crate::words::UNKNOWN;
use crate::{ClusterFacts, DistroVersion, FactKinds, NodeFacts, NodeRole, WorkloadKind};

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
