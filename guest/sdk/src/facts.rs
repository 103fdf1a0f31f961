//! Questions components ask of the cluster facts, answered one way for all.

use crate::version::DistroVersion;
use crate::words::UNKNOWN;
use crate::{
    ClusterFacts, FactKinds, IpStack, NodeFacts, NodeRole, SystemNamespace, SystemWorkload,
    Workload, WorkloadKind,
};

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

/// The system namespaces the host may read besides kube-system, in the
/// order it reads (and sorts) them, each with the fact kind that asks for
/// it: the host's own table (`host/src/cluster/system.rs`), and the WIT
/// enum's order.
pub const SYSTEM_NAMESPACES: [(SystemNamespace, FactKinds); 6] = [
    (SystemNamespace::CalicoSystem, FactKinds::CNI_NAMESPACES),
    (SystemNamespace::TigeraOperator, FactKinds::CNI_NAMESPACES),
    (SystemNamespace::CattleSystem, FactKinds::RANCHER),
    (SystemNamespace::GpuOperator, FactKinds::GPU_OPERATORS),
    (SystemNamespace::KubeAmdGpu, FactKinds::GPU_OPERATORS),
    (
        SystemNamespace::InteldevicepluginsSystem,
        FactKinds::GPU_OPERATORS,
    ),
];

/// Where `namespace` stands in [`SYSTEM_NAMESPACES`] (the bindings' enum
/// has no order of its own).
fn namespace_position(namespace: SystemNamespace) -> usize {
    SYSTEM_NAMESPACES
        .iter()
        .position(|(known, _)| *known == namespace)
        .unwrap_or(SYSTEM_NAMESPACES.len())
}

/// Whether the host read the workloads of the system namespace
/// `namespace`. When it did not, a value that depends on them and found
/// nothing is `unknown`, never `none`.
pub fn namespace_read(facts: &ClusterFacts, namespace: SystemNamespace) -> bool {
    !facts.unread_namespaces.contains(&namespace)
}

/// The workloads the host read in the system namespace `namespace`, in
/// their order (none when it was not read: see [`namespace_read`]).
pub fn system_workloads(
    facts: &ClusterFacts,
    namespace: SystemNamespace,
) -> impl Iterator<Item = &Workload> {
    facts
        .system_workloads
        .iter()
        .filter(move |system| system.namespace == namespace)
        .map(|system: &SystemWorkload| &system.workload)
}

/// What the host hands a component that asked for `kinds` only: no node
/// groups without `NODES`; each kube-system workload kind not asked for
/// left out and named in `unread_workloads`; the workloads of each system
/// namespace not asked for left out and the namespace named in
/// `unread_namespaces`; the IP stack `unknown` without `IP_STACK`. The
/// host's rule (`host/src/cluster/facts.rs` `only`). The command mode
/// applies it to a facts file, so `wasmtime run` shows what a cluster run
/// would send.
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
    for (namespace, flag) in SYSTEM_NAMESPACES {
        if !has_kinds(kinds, flag) {
            read.system_workloads
                .retain(|system| system.namespace != namespace);
            if !read.unread_namespaces.contains(&namespace) {
                read.unread_namespaces.push(namespace);
            }
        }
    }
    read.unread_namespaces
        .sort_by_key(|namespace| namespace_position(*namespace));
    if !has_kinds(kinds, FactKinds::IP_STACK) {
        read.ip_stack = IpStack::Unknown;
    }
    read
}

/// Cluster facts from a facts file (the format `upgrade-responder facts`
/// prints). A file written before contract 0.4.0 holds no system
/// namespaces and no IP stack: it reads as if none of them had been read
/// (every namespace unread, the stack `unknown`), never as "none found":
/// the host's rule for the same files (`host/src/cluster/facts_file.rs`
/// `with_0_4_0_defaults`).
pub fn from_json(input: &[u8]) -> serde_json::Result<ClusterFacts> {
    let mut value: serde_json::Value = serde_json::from_slice(input)?;
    if let Some(object) = value.as_object_mut() {
        if !object.contains_key("system_workloads") && !object.contains_key("unread_namespaces") {
            object.insert(
                "system_workloads".into(),
                serde_json::Value::Array(Vec::new()),
            );
            let every_namespace: Vec<SystemNamespace> = SYSTEM_NAMESPACES
                .iter()
                .map(|(namespace, _)| *namespace)
                .collect();
            object.insert(
                "unread_namespaces".into(),
                serde_json::to_value(every_namespace)?,
            );
        }
        if !object.contains_key("ip_stack") {
            object.insert("ip_stack".into(), serde_json::to_value(IpStack::Unknown)?);
        }
    }
    serde_json::from_value(value)
}

/// Every kind of fact the host can read: what a payload that uses them
/// all (the `standard` bundle) asks for. The bindings' flags type has the
/// bit operators only.
pub fn every_kind() -> FactKinds {
    FactKinds::NODES
        | FactKinds::DEPLOYMENTS
        | FactKinds::DAEMON_SETS
        | FactKinds::CNI_NAMESPACES
        | FactKinds::RANCHER
        | FactKinds::GPU_OPERATORS
        | FactKinds::IP_STACK
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
        assert_eq!(as_read_with(&rke2, every_kind()), rke2);
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

    /// Facts with a workload in every system namespace and a known stack.
    fn every_namespace() -> ClusterFacts {
        let workload = |kind| Workload {
            kind,
            software: "other".into(),
            images: Vec::new(),
        };
        ClusterFacts {
            system_workloads: SYSTEM_NAMESPACES
                .iter()
                .map(|(namespace, _)| SystemWorkload {
                    namespace: *namespace,
                    workload: workload(WorkloadKind::DaemonSet),
                })
                .collect(),
            unread_namespaces: Vec::new(),
            ip_stack: IpStack::DualStack,
            ..cluster("k3s-ha")
        }
    }

    #[test]
    fn system_namespaces_not_asked_for_are_left_out_and_named_and_the_stack_unknown() {
        let facts = every_namespace();
        assert_eq!(as_read_with(&facts, every_kind()), facts);
        let namespaces = |facts: &ClusterFacts| -> Vec<SystemNamespace> {
            facts.system_workloads.iter().map(|s| s.namespace).collect()
        };
        let rancher = as_read_with(&facts, FactKinds::RANCHER);
        assert_eq!(namespaces(&rancher), [SystemNamespace::CattleSystem]);
        assert_eq!(
            rancher.unread_namespaces,
            [
                SystemNamespace::CalicoSystem,
                SystemNamespace::TigeraOperator,
                SystemNamespace::GpuOperator,
                SystemNamespace::KubeAmdGpu,
                SystemNamespace::InteldevicepluginsSystem,
            ]
        );
        assert_eq!(rancher.ip_stack, IpStack::Unknown);
        assert!(namespace_read(&rancher, SystemNamespace::CattleSystem));
        assert!(!namespace_read(&rancher, SystemNamespace::CalicoSystem));
        let rke2_minimal = as_read_with(
            &facts,
            FactKinds::NODES | FactKinds::DAEMON_SETS | FactKinds::CNI_NAMESPACES,
        );
        assert_eq!(
            namespaces(&rke2_minimal),
            [
                SystemNamespace::CalicoSystem,
                SystemNamespace::TigeraOperator
            ]
        );
        assert_eq!(
            system_workloads(&rke2_minimal, SystemNamespace::CalicoSystem).count(),
            1
        );
        assert_eq!(
            system_workloads(&rke2_minimal, SystemNamespace::CattleSystem).count(),
            0
        );
        let stack = as_read_with(&facts, FactKinds::IP_STACK);
        assert_eq!(stack.ip_stack, IpStack::DualStack);
        assert!(stack.system_workloads.is_empty());
        assert_eq!(stack.unread_namespaces.len(), 6);
        // A namespace the host could not read stays unread, listed once and
        // in the host's order.
        let refused = ClusterFacts {
            system_workloads: Vec::new(),
            unread_namespaces: vec![SystemNamespace::KubeAmdGpu, SystemNamespace::CattleSystem],
            ..facts
        };
        assert_eq!(
            as_read_with(&refused, every_kind()).unread_namespaces,
            [SystemNamespace::CattleSystem, SystemNamespace::KubeAmdGpu]
        );
        assert_eq!(
            as_read_with(&refused, FactKinds::empty())
                .unread_namespaces
                .len(),
            6
        );
    }

    #[test]
    fn a_facts_file_from_before_0_4_0_reads_as_every_namespace_unread() {
        let facts = every_namespace();
        let mut old: serde_json::Value = serde_json::to_value(&facts).unwrap();
        let object = old.as_object_mut().unwrap();
        for key in ["system_workloads", "unread_namespaces", "ip_stack"] {
            object.remove(key);
        }
        let read = from_json(old.to_string().as_bytes()).unwrap();
        assert!(read.system_workloads.is_empty());
        assert_eq!(
            read.unread_namespaces,
            SYSTEM_NAMESPACES.map(|(namespace, _)| namespace)
        );
        assert_eq!(read.ip_stack, IpStack::Unknown);
        assert_eq!(
            (read.node_groups, read.kube_system_workloads),
            (
                facts.node_groups.clone(),
                facts.kube_system_workloads.clone()
            )
        );
        // The host's words for the namespaces, as its file holds them.
        let words = serde_json::to_value(&read.unread_namespaces).unwrap();
        assert_eq!(
            words,
            serde_json::json!([
                "CalicoSystem",
                "TigeraOperator",
                "CattleSystem",
                "GpuOperator",
                "KubeAmdGpu",
                "InteldevicepluginsSystem"
            ])
        );
        // A 0.4.0 file reads as written.
        let new = serde_json::to_string(&facts).unwrap();
        assert_eq!(from_json(new.as_bytes()).unwrap(), facts);
        // Only the stack missing: the namespaces as written.
        let mut no_stack: serde_json::Value = serde_json::to_value(&facts).unwrap();
        no_stack.as_object_mut().unwrap().remove("ip_stack");
        let read = from_json(no_stack.to_string().as_bytes()).unwrap();
        assert_eq!(
            (read.system_workloads.len(), read.ip_stack),
            (6, IpStack::Unknown)
        );
        assert!(from_json(b"[]").is_err());
    }
}
