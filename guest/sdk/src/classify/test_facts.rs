//! Facts for the classify tests.

use crate::{
    ClusterFacts, NodeFacts, NodeGroup, ServerVersion, SystemNamespace, SystemWorkload, Workload,
    WorkloadImage, WorkloadKind,
};

/// A DaemonSet running `software` with `images` as (software, version).
pub(super) fn workload(software: &str, images: &[(&str, &str)]) -> Workload {
    Workload {
        kind: WorkloadKind::DaemonSet,
        software: software.to_string(),
        images: images
            .iter()
            .map(|(software, version)| WorkloadImage {
                software: software.to_string(),
                version: version.to_string(),
            })
            .collect(),
    }
}

/// The same as a Deployment.
pub(super) fn deployment(software: &str, images: &[(&str, &str)]) -> Workload {
    Workload {
        kind: WorkloadKind::Deployment,
        ..workload(software, images)
    }
}

pub(super) fn node(os_id: &str, kernel: &str, arch: &str) -> NodeFacts {
    NodeFacts {
        roles: Vec::new(),
        os_id: os_id.to_string(),
        os_version: "unknown".to_string(),
        operating_system: "linux".to_string(),
        kernel_version: kernel.to_string(),
        architecture: arch.to_string(),
        kubelet_version: "v1.31.6+k3s1".to_string(),
        container_runtime: "containerd".to_string(),
        container_runtime_version: "2.0.2-k3s2".to_string(),
        allocatable_cpu_cores: 4,
        allocatable_memory_gib: 8,
        gpus: Vec::new(),
        selinux: None,
    }
}

/// `count` nodes with the same facts.
pub(super) fn group(facts: NodeFacts, count: u32) -> NodeGroup {
    NodeGroup { facts, count }
}

/// A cluster of these node groups, without workloads (every kind read).
pub(super) fn cluster_of(node_groups: Vec<NodeGroup>) -> ClusterFacts {
    ClusterFacts {
        server_version: ServerVersion {
            git_version: "v1.31.6+k3s1".to_string(),
            major: "1".to_string(),
            minor: "31".to_string(),
            platform: "linux/amd64".to_string(),
        },
        cluster_uuid: "2f06cc1a-6788-4fa1-b89e-732bd797902b".to_string(),
        node_groups,
        kube_system_workloads: Vec::new(),
        unread_workloads: Vec::new(),
        system_workloads: Vec::new(),
        unread_namespaces: Vec::new(),
        ip_stack: crate::IpStack::Unknown,
    }
}

/// A cluster with one group per node.
pub(super) fn cluster(nodes: Vec<NodeFacts>) -> ClusterFacts {
    cluster_of(nodes.into_iter().map(|facts| group(facts, 1)).collect())
}

/// A cluster running these kube-system workloads.
pub(super) fn running(workloads: Vec<Workload>) -> ClusterFacts {
    ClusterFacts {
        kube_system_workloads: workloads,
        ..cluster(Vec::new())
    }
}

/// A cluster without nodes whose system namespaces run these workloads
/// (every namespace and kind read).
pub(super) fn in_namespaces(workloads: Vec<(SystemNamespace, Workload)>) -> ClusterFacts {
    ClusterFacts {
        system_workloads: workloads
            .into_iter()
            .map(|(namespace, workload)| SystemWorkload {
                namespace,
                workload,
            })
            .collect(),
        ..cluster(Vec::new())
    }
}

/// The same facts with `namespaces` unread, as the host hands them.
pub(super) fn unread_namespaces(
    mut facts: ClusterFacts,
    namespaces: &[SystemNamespace],
) -> ClusterFacts {
    facts
        .system_workloads
        .retain(|system| !namespaces.contains(&system.namespace));
    facts.unread_namespaces = namespaces.to_vec();
    facts
}
