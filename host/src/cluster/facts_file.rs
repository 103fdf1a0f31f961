//! The facts file (`--facts`, the `facts` command's output): the serde form
//! of the fact records. A file in the older raw form (contract 0.2.0's
//! `nodes`, names and image repositories) is read too, and reduced the same
//! way; any file is checked against the vocabulary, so whatever the source,
//! a component receives only closed values.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use anyhow::Context as _;

use super::facts::{MAX_NODES, NodeGroups, distinct, gpu_list, node_count, sort_workloads};
use super::system::all_namespaces;
use crate::ground::bindings::{
    ClusterFacts, GpuResource, GpuVendor, IpStack, NodeFacts, NodeRole, ServerVersion,
    SystemWorkload, Workload, WorkloadImage, WorkloadKind, v0_2,
};
use crate::ground::vocabulary::{self, OTHER, UNKNOWN, Vocabulary};

/// Reads a facts file (the format `facts` prints, or the older raw form);
/// an error names the setting it came from.
pub fn load(path: &Path, vocabulary: &Vocabulary) -> anyhow::Result<ClusterFacts> {
    read(path, vocabulary).map_err(|e| anyhow::anyhow!("{}: {e:#}", crate::settings::FACTS))
}

fn read(path: &Path, vocabulary: &Vocabulary) -> anyhow::Result<ClusterFacts> {
    let bytes = crate::ground::input::read(path, crate::ground::input::FACTS_FILE)?;
    let facts = parse(&bytes, vocabulary).with_context(|| {
        format!(
            "{} is not cluster facts JSON (the format `upgrade-responder facts` prints)",
            path.display()
        )
    })?;
    let nodes = node_count(&facts);
    anyhow::ensure!(
        nodes <= MAX_NODES,
        "{} describes {nodes} nodes; the host reads facts of up to {MAX_NODES} nodes",
        path.display()
    );
    Ok(facts)
}

/// Cluster facts from the facts format, or from the raw form of contract
/// 0.2.0 (a `nodes` list), checked against the vocabulary either way.
pub fn parse(bytes: &[u8], vocabulary: &Vocabulary) -> serde_json::Result<ClusterFacts> {
    let value: serde_json::Value = serde_json::from_slice(bytes)?;
    let facts = if value.get("nodes").is_some() && value.get("node_groups").is_none() {
        from_raw(serde_json::from_value(value)?, vocabulary)
    } else {
        serde_json::from_value(with_0_4_0_defaults(value)?)?
    };
    Ok(close(facts, vocabulary))
}

/// A file written before contract 0.4.0 holds no system namespaces and no
/// IP stack: it reads as if none of them had been read (every namespace
/// unread, the stack `unknown`), never as "none found".
fn with_0_4_0_defaults(mut value: serde_json::Value) -> serde_json::Result<serde_json::Value> {
    if let Some(object) = value.as_object_mut() {
        if !object.contains_key("system_workloads") && !object.contains_key("unread_namespaces") {
            object.insert(
                "system_workloads".into(),
                serde_json::Value::Array(Vec::new()),
            );
            object.insert(
                "unread_namespaces".into(),
                serde_json::to_value(all_namespaces())?,
            );
        }
        if !object.contains_key("ip_stack") {
            object.insert("ip_stack".into(), serde_json::to_value(IpStack::Unknown)?);
        }
    }
    Ok(value)
}

/// Facts of the raw form, reduced as if read from the cluster.
fn from_raw(raw: v0_2::ClusterFacts, vocabulary: &Vocabulary) -> ClusterFacts {
    let mut groups = NodeGroups::default();
    for node in raw.nodes {
        let (os_id, os_version) = vocabulary::os(&node.os_image);
        let (container_runtime, container_runtime_version) =
            vocabulary::container_runtime(&node.container_runtime_version);
        groups.add(NodeFacts {
            roles: node.roles.into_iter().map(role_from_v0_2).collect(),
            os_id,
            os_version,
            operating_system: node.operating_system,
            kernel_version: vocabulary::kernel(&node.kernel_version),
            architecture: node.architecture,
            kubelet_version: node.kubelet_version,
            container_runtime,
            container_runtime_version,
            allocatable_cpu_cores: vocabulary::cores(
                node.allocatable_cpu_millicores as f64 / 1000.0,
            ),
            allocatable_memory_gib: vocabulary::gib(node.allocatable_memory_bytes as f64),
            gpus: node
                .gpus
                .into_iter()
                .map(|gpu| GpuResource {
                    vendor: gpu_vendor_from_v0_2(gpu.vendor),
                    count: gpu.count,
                })
                .collect(),
            selinux: node.selinux,
        });
    }
    ClusterFacts {
        server_version: ServerVersion {
            git_version: raw.server_version.git_version,
            major: raw.server_version.major,
            minor: raw.server_version.minor,
            platform: raw.server_version.platform,
        },
        cluster_uuid: raw.cluster_uuid,
        node_groups: groups.into_groups(),
        kube_system_workloads: raw
            .kube_system_workloads
            .into_iter()
            .map(|workload| Workload {
                kind: match workload.kind {
                    v0_2::WorkloadKind::Deployment => WorkloadKind::Deployment,
                    v0_2::WorkloadKind::DaemonSet => WorkloadKind::DaemonSet,
                },
                software: vocabulary.software_of(&workload.name),
                images: distinct(workload.images.into_iter().map(|image| WorkloadImage {
                    software: vocabulary.software_of(&image.repository),
                    version: vocabulary::version_of_tag(&image.tag),
                })),
            })
            .collect(),
        unread_workloads: Vec::new(),
        system_workloads: Vec::new(),
        unread_namespaces: all_namespaces(),
        ip_stack: IpStack::Unknown,
    }
}

fn role_from_v0_2(role: v0_2::NodeRole) -> NodeRole {
    match role {
        v0_2::NodeRole::ControlPlane => NodeRole::ControlPlane,
        v0_2::NodeRole::Master => NodeRole::Master,
        v0_2::NodeRole::Etcd => NodeRole::Etcd,
        v0_2::NodeRole::Worker => NodeRole::Worker,
        v0_2::NodeRole::Other => NodeRole::Other,
    }
}

fn gpu_vendor_from_v0_2(vendor: v0_2::GpuVendor) -> GpuVendor {
    match vendor {
        v0_2::GpuVendor::Nvidia => GpuVendor::Nvidia,
        v0_2::GpuVendor::Amd => GpuVendor::Amd,
        v0_2::GpuVendor::Intel => GpuVendor::Intel,
        v0_2::GpuVendor::Other => GpuVendor::Other,
    }
}

/// Facts with every value in its closed set (a value outside becomes
/// `other` or `unknown`), groups merged and sorted, workloads sorted.
/// Facts read from the cluster are already so; a file may not be.
fn close(facts: ClusterFacts, vocabulary: &Vocabulary) -> ClusterFacts {
    let mut groups = NodeGroups::default();
    for group in facts.node_groups {
        groups.add_many(close_node(group.facts), u64::from(group.count));
    }
    let mut workloads: Vec<Workload> = facts
        .kube_system_workloads
        .into_iter()
        .map(|workload| close_workload(workload, vocabulary))
        .collect();
    sort_workloads(&mut workloads);
    let mut unread = facts.unread_workloads;
    unread.sort();
    unread.dedup();
    let mut system_workloads: Vec<SystemWorkload> = facts
        .system_workloads
        .into_iter()
        .map(|system| SystemWorkload {
            namespace: system.namespace,
            workload: close_workload(system.workload, vocabulary),
        })
        .collect();
    system_workloads.sort();
    let mut unread_namespaces = facts.unread_namespaces;
    unread_namespaces.sort();
    unread_namespaces.dedup();
    let version = facts.server_version;
    ClusterFacts {
        server_version: ServerVersion {
            git_version: vocabulary::kubernetes_version(&version.git_version),
            major: vocabulary::version_number(&version.major),
            minor: vocabulary::version_number(&version.minor),
            platform: vocabulary::platform(&version.platform),
        },
        cluster_uuid: vocabulary::cluster_uuid(&facts.cluster_uuid),
        node_groups: groups.into_groups(),
        kube_system_workloads: workloads,
        unread_workloads: unread,
        system_workloads,
        unread_namespaces,
        ip_stack: facts.ip_stack,
    }
}

fn close_workload(workload: Workload, vocabulary: &Vocabulary) -> Workload {
    Workload {
        kind: workload.kind,
        software: close_software(&workload.software, vocabulary),
        images: distinct(workload.images.into_iter().map(|image| WorkloadImage {
            software: close_software(&image.software, vocabulary),
            version: vocabulary::version_of_tag(&image.version),
        })),
    }
}

fn close_software(name: &str, vocabulary: &Vocabulary) -> String {
    if vocabulary.is_software(name) {
        name.to_string()
    } else {
        OTHER.to_string()
    }
}

fn close_node(node: NodeFacts) -> NodeFacts {
    let os_id = vocabulary::os_id(&node.os_id);
    let os_version = if os_id == OTHER || os_id == UNKNOWN {
        UNKNOWN.to_string()
    } else {
        vocabulary::os_release_digits(&node.os_version)
    };
    let (container_runtime, container_runtime_version) = vocabulary::container_runtime(&format!(
        "{}://{}",
        node.container_runtime, node.container_runtime_version
    ));
    let mut gpus: BTreeMap<GpuVendor, u64> = BTreeMap::new();
    for gpu in node.gpus {
        let total = gpus.entry(gpu.vendor).or_default();
        *total = total.saturating_add(gpu.count);
    }
    NodeFacts {
        roles: node
            .roles
            .into_iter()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect(),
        os_id,
        os_version,
        operating_system: vocabulary::operating_system(&node.operating_system),
        kernel_version: vocabulary::kernel(&node.kernel_version),
        architecture: vocabulary::architecture(&node.architecture),
        kubelet_version: vocabulary::kubernetes_version(&node.kubelet_version),
        container_runtime,
        container_runtime_version,
        allocatable_cpu_cores: node.allocatable_cpu_cores,
        allocatable_memory_gib: node.allocatable_memory_gib,
        gpus: gpu_list(gpus),
        selinux: node.selinux,
    }
}

/// The fixture format: pretty JSON with a trailing newline.
pub fn to_json(facts: &ClusterFacts) -> String {
    let mut text = serde_json::to_string_pretty(facts).unwrap_or_default();
    text.push('\n');
    text
}
#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn a_facts_file_is_closed_against_the_vocabulary() {
        let file = serde_json::json!({
            "server_version": {"git_version": "v1.31.6+k3s1-acme", "major": "1", "minor": "31+", "platform": "linux/amd64"},
            "cluster_uuid": "u",
            "node_groups": [
                {"facts": {"roles": ["Worker", "Master", "Worker"], "os_id": "acme-os", "os_version": "9.4",
                    "operating_system": "linux", "kernel_version": "5.14.0-acme", "architecture": "amd64",
                    "kubelet_version": "v1.31.6+k3s1", "container_runtime": "containerd",
                    "container_runtime_version": "1.7.23-acme.3", "allocatable_cpu_cores": 4,
                    "allocatable_memory_gib": 8, "gpus": [], "selinux": null}, "count": 2},
                {"facts": {"roles": ["Master", "Worker"], "os_id": "other", "os_version": "unknown",
                    "operating_system": "linux", "kernel_version": "5.14", "architecture": "amd64",
                    "kubelet_version": "v1.31.6+k3s1", "container_runtime": "containerd",
                    "container_runtime_version": "1.7.23", "allocatable_cpu_cores": 4,
                    "allocatable_memory_gib": 8, "gpus": [], "selinux": null}, "count": 1}
            ],
            "kube_system_workloads": [
                {"kind": "Deployment", "software": "traefik", "images": [{"software": "traefik", "version": "3.3.2"}]},
                {"kind": "DaemonSet", "software": "acme-bespoke-ingress", "images": [{"software": "acme/bespoke-ingress", "version": "2.3.1-acme"}]}
            ],
            "unread_workloads": ["DaemonSet", "DaemonSet"]
        });
        let facts = parse(file.to_string().as_bytes(), &Vocabulary::default()).unwrap();
        assert_eq!(facts.server_version.git_version, "v1.31.6+k3s1");
        assert_eq!(facts.server_version.minor, "31");
        assert_eq!(facts.node_groups.len(), 1, "{facts:?}");
        assert_eq!(facts.node_groups[0].count, 3);
        assert_eq!(
            facts.node_groups[0].facts.roles,
            [NodeRole::Master, NodeRole::Worker]
        );
        assert_eq!(facts.unread_workloads, [WorkloadKind::DaemonSet]);
        let json = to_json(&facts);
        assert!(!json.contains("acme"), "{json}");
        // Closing is idempotent: the printed form reads back the same.
        assert_eq!(
            parse(json.as_bytes(), &Vocabulary::default()).unwrap(),
            facts
        );
    }
}
