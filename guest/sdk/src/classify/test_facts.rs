//! Facts for the classify tests.

use crate::{ClusterFacts, ContainerImage, NodeFacts, ServerVersion, Workload, WorkloadKind};

pub(super) fn workload(name: &str, images: &[(&str, &str)]) -> Workload {
    Workload {
        kind: WorkloadKind::DaemonSet,
        name: name.to_string(),
        images: images
            .iter()
            .map(|(repository, tag)| ContainerImage {
                repository: repository.to_string(),
                tag: tag.to_string(),
            })
            .collect(),
    }
}

pub(super) fn node(os_image: &str, kernel: &str, arch: &str) -> NodeFacts {
    NodeFacts {
        roles: Vec::new(),
        os_image: os_image.to_string(),
        operating_system: "linux".to_string(),
        kernel_version: kernel.to_string(),
        architecture: arch.to_string(),
        kubelet_version: "v1.31.6+k3s1".to_string(),
        container_runtime_version: "containerd://2.0.2-k3s2".to_string(),
        allocatable_cpu_millicores: 4000,
        allocatable_memory_bytes: 1 << 33,
        gpus: Vec::new(),
        selinux: None,
    }
}

pub(super) fn cluster(nodes: Vec<NodeFacts>) -> ClusterFacts {
    ClusterFacts {
        server_version: ServerVersion {
            git_version: "v1.31.6+k3s1".to_string(),
            major: "1".to_string(),
            minor: "31".to_string(),
            platform: "linux/amd64".to_string(),
        },
        cluster_uuid: "2f06cc1a-6788-4fa1-b89e-732bd797902b".to_string(),
        nodes,
        kube_system_workloads: Vec::new(),
    }
}
