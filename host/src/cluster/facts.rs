//! Kubernetes objects in, anonymous cluster facts out. This is where the
//! privacy boundary is enforced: only the fields below are read, and each
//! crosses only as a word of the closed vocabulary (`ground/vocabulary.rs`),
//! as digits and dots, or as a count. Identical node facts are grouped with a
//! count. See `wit/reporter.wit` for the reasons.

use std::collections::{BTreeMap, BTreeSet};

use super::objects::{self, Node, NodeArgs, PodSpec, ROLE_LABEL_PREFIX, Version};
use super::system::SYSTEM_READS;
use crate::ground::bindings::{
    ClusterFacts, FactKinds, GpuResource, GpuVendor, IpStack, NodeFacts, NodeGroup, NodeRole,
    ServerVersion, Workload, WorkloadImage, WorkloadKind,
};
use crate::ground::vocabulary::{self, UNKNOWN, Vocabulary};

/// The most nodes a facts file may describe, all groups together: a
/// component built against an older contract receives one record per node.
pub const MAX_NODES: u64 = 100_000;

pub fn server_version(info: &Version) -> ServerVersion {
    ServerVersion {
        git_version: vocabulary::kubernetes_version(&info.git_version),
        major: vocabulary::version_number(&info.major),
        minor: vocabulary::version_number(&info.minor),
        platform: vocabulary::platform(&info.platform),
    }
}

pub fn node(node: &Node) -> NodeFacts {
    let info = node.status.as_ref().and_then(|s| s.node_info.as_ref());
    let text = |pick: fn(&objects::NodeSystemInfo) -> &str| info.map(pick).unwrap_or_default();
    let allocatable = node.status.as_ref().and_then(|s| s.allocatable.as_ref());
    let quantity = |name: &str| {
        allocatable
            .and_then(|a| a.get(name))
            .and_then(|q| parse_quantity(q))
    };
    let (os_id, os_version) = vocabulary::os(text(|i| &i.os_image));
    let (container_runtime, container_runtime_version) =
        vocabulary::container_runtime(text(|i| &i.container_runtime_version));
    NodeFacts {
        roles: roles(node.metadata.labels.as_ref()),
        os_id,
        os_version,
        operating_system: vocabulary::operating_system(text(|i| &i.operating_system)),
        kernel_version: vocabulary::kernel(text(|i| &i.kernel_version)),
        architecture: vocabulary::architecture(text(|i| &i.architecture)),
        kubelet_version: vocabulary::kubernetes_version(text(|i| &i.kubelet_version)),
        container_runtime,
        container_runtime_version,
        allocatable_cpu_cores: quantity("cpu").map_or(0, vocabulary::cores),
        allocatable_memory_gib: quantity("memory").map_or(0, vocabulary::gib),
        gpus: allocatable.map(gpus).unwrap_or_default(),
        selinux: selinux(node.metadata.annotations.as_ref()),
    }
}

/// Nodes counted by their facts, as they arrive page by page: memory grows
/// with the kinds of node, not with their number.
#[derive(Debug, Default)]
pub struct NodeGroups {
    counts: BTreeMap<NodeFacts, u64>,
}

impl NodeGroups {
    pub fn add(&mut self, facts: NodeFacts) {
        self.add_many(facts, 1);
    }

    pub(super) fn add_many(&mut self, facts: NodeFacts, count: u64) {
        if count > 0 {
            let total = self.counts.entry(facts).or_default();
            *total = total.saturating_add(count);
        }
    }

    pub fn node_count(&self) -> u64 {
        self.counts.values().sum()
    }

    /// The groups, sorted by their facts.
    pub fn into_groups(self) -> Vec<NodeGroup> {
        self.counts
            .into_iter()
            .map(|(facts, count)| NodeGroup {
                facts,
                count: u32::try_from(count).unwrap_or(u32::MAX),
            })
            .collect()
    }
}

/// How many nodes the facts describe.
pub fn node_count(facts: &ClusterFacts) -> u64 {
    facts
        .node_groups
        .iter()
        .map(|group| u64::from(group.count))
        .sum()
}

/// Whether `--selinux` is on in the node's recorded flags (the K3s or RKE2
/// node-args annotation: a JSON array of strings, config-file settings
/// included). Only this boolean leaves: the flags also hold addresses and
/// names.
pub(super) fn selinux(annotations: Option<&NodeArgs>) -> Option<bool> {
    let annotations = annotations?;
    let raw = annotations.k3s.as_ref().or(annotations.rke2.as_ref())?;
    let args: Vec<String> = serde_json::from_str(raw).ok()?;
    let mut enabled = false;
    for arg in &args {
        match arg.as_str() {
            "--selinux" | "--selinux=true" => enabled = true,
            "--selinux=false" => enabled = false,
            _ => {}
        }
    }
    Some(enabled)
}

/// Known roles from `node-role.kubernetes.io/<role>` label keys; a custom
/// role name becomes `Other`. Sorted and deduplicated.
pub(super) fn roles(labels: Option<&BTreeMap<String, String>>) -> Vec<NodeRole> {
    let roles: BTreeSet<NodeRole> = labels
        .into_iter()
        .flat_map(|labels| labels.keys())
        .filter_map(|key| key.strip_prefix(ROLE_LABEL_PREFIX))
        .map(|role| match role {
            "control-plane" => NodeRole::ControlPlane,
            "master" => NodeRole::Master,
            "etcd" => NodeRole::Etcd,
            "worker" => NodeRole::Worker,
            _ => NodeRole::Other,
        })
        .collect();
    roles.into_iter().collect()
}

/// GPUs by vendor from allocatable resources. Any other resource that names
/// a GPU counts as `Other`: its domain may name an organisation.
pub(super) fn gpus(allocatable: &BTreeMap<String, String>) -> Vec<GpuResource> {
    let mut counts: BTreeMap<GpuVendor, u64> = BTreeMap::new();
    for (name, amount) in allocatable {
        let Some(vendor) = vocabulary::gpu_vendor(name) else {
            continue;
        };
        let count = parse_quantity(amount).map_or(0, |n| n.max(0.0).round() as u64);
        let total = counts.entry(vendor).or_default();
        *total = total.saturating_add(count);
    }
    gpu_list(counts)
}

/// GPU counts as the sorted list the record holds, without zero counts.
pub(super) fn gpu_list(counts: BTreeMap<GpuVendor, u64>) -> Vec<GpuResource> {
    counts
        .into_iter()
        .filter(|(_, count)| *count > 0)
        .map(|(vendor, count)| GpuResource { vendor, count })
        .collect()
}

/// A Kubernetes quantity ("4", "3500m", "8125412Ki", "1.5Gi", "1e3") as a
/// number of base units.
pub fn parse_quantity(quantity: &str) -> Option<f64> {
    let text = quantity.trim();
    const SUFFIXES: &[(&str, f64)] = &[
        ("Ki", 1024.0),
        ("Mi", 1048576.0),
        ("Gi", 1073741824.0),
        ("Ti", 1099511627776.0),
        ("Pi", 1125899906842624.0),
        ("Ei", 1152921504606846976.0),
        ("n", 1e-9),
        ("u", 1e-6),
        ("m", 1e-3),
        ("k", 1e3),
        ("M", 1e6),
        ("G", 1e9),
        ("T", 1e12),
        ("P", 1e15),
        ("E", 1e18),
    ];
    for (suffix, factor) in SUFFIXES {
        if let Some(number) = text.strip_suffix(suffix) {
            return number
                .parse::<f64>()
                .ok()
                .map(|n| n * factor)
                .filter(|n| n.is_finite());
        }
    }
    text.parse::<f64>().ok().filter(|n| n.is_finite())
}

/// A kube-system Deployment or DaemonSet (one shape, the same fields),
/// reduced through the vocabulary.
pub fn workload_of(
    kind: WorkloadKind,
    object: &objects::Workload,
    vocabulary: &Vocabulary,
) -> Workload {
    workload(
        kind,
        object.metadata.name.as_deref(),
        object.spec.as_ref().and_then(|s| s.template.spec.as_ref()),
        vocabulary,
    )
}

pub(super) fn workload(
    kind: WorkloadKind,
    name: Option<&str>,
    pod: Option<&PodSpec>,
    vocabulary: &Vocabulary,
) -> Workload {
    let containers = pod.into_iter().flat_map(|pod| {
        pod.containers
            .iter()
            .chain(pod.init_containers.iter().flatten())
    });
    let images = containers
        .filter_map(|c| c.image.as_deref())
        .map(|reference| image(reference, vocabulary));
    Workload {
        kind,
        software: vocabulary.software_of(name.unwrap_or_default()),
        images: distinct(images),
    }
}

/// Images in their first order, each once. A set, not `contains`: a
/// hostile pod spec may list many thousands of containers.
pub(super) fn distinct(images: impl Iterator<Item = WorkloadImage>) -> Vec<WorkloadImage> {
    let mut seen = BTreeSet::new();
    images.filter(|image| seen.insert(image.clone())).collect()
}

/// An image reference reduced to (software, version):
/// `registry.acme-corp.example:5000/rancher/hardened-calico:v3.29.1-build20250117`
/// -> (`calico`, `v3.29.1`). The registry host, the repository and the
/// tag's text stay here.
pub fn image(reference: &str, vocabulary: &Vocabulary) -> WorkloadImage {
    let (repository, tag) = repository_and_tag(reference);
    WorkloadImage {
        software: vocabulary.software_of(repository),
        version: tag.map_or_else(|| UNKNOWN.to_string(), vocabulary::version_of_tag),
    }
}

/// The repository path (without registry host and digest) and the tag of
/// an image reference: `registry.example:5000/rancher/klipper-lb:v0.4.9`
/// -> (`rancher/klipper-lb`, `v0.4.9`).
pub fn repository_and_tag(reference: &str) -> (&str, Option<&str>) {
    let name = reference
        .split_once('@')
        .map_or(reference, |(name, _)| name);
    // Docker's rule: the first component is a registry host if it has a dot
    // or a port, or is `localhost`, and more components follow.
    let name = match name.split_once('/') {
        Some((first, rest))
            if first.contains('.') || first.contains(':') || first == "localhost" =>
        {
            rest
        }
        _ => name,
    };
    let last_slash = name.rfind('/').map_or(0, |i| i + 1);
    match name[last_slash..].rfind(':') {
        Some(colon) => (
            &name[..last_slash + colon],
            Some(&name[last_slash + colon + 1..]).filter(|tag| !tag.is_empty()),
        ),
        None => (name, None),
    }
}

/// Workloads in a fixed order (kind, software, images): the API's order
/// is by name, which must not show through.
pub fn sort_workloads(workloads: &mut [Workload]) {
    workloads.sort();
}

/// The facts a component asked for (`facts-needed`): node groups only with
/// `nodes`; workloads of a kind not asked for are dropped and listed as
/// unread. Used for facts from a file, which hold every kind.
pub fn only(mut facts: ClusterFacts, needed: FactKinds) -> ClusterFacts {
    if !needed.contains(FactKinds::NODES) {
        facts.node_groups.clear();
    }
    for (flag, kind) in [
        (FactKinds::DEPLOYMENTS, WorkloadKind::Deployment),
        (FactKinds::DAEMON_SETS, WorkloadKind::DaemonSet),
    ] {
        if !needed.contains(flag) {
            facts.kube_system_workloads.retain(|w| w.kind != kind);
            facts.unread_workloads.push(kind);
        }
    }
    facts.unread_workloads.sort();
    facts.unread_workloads.dedup();
    for read in SYSTEM_READS {
        if !needed.contains(read.flag) {
            facts
                .system_workloads
                .retain(|system| system.namespace != read.namespace);
            facts.unread_namespaces.push(read.namespace);
        }
    }
    facts.unread_namespaces.sort();
    facts.unread_namespaces.dedup();
    if !needed.contains(FactKinds::IP_STACK) {
        facts.ip_stack = IpStack::Unknown;
    }
    facts
}

/// The kinds in `kinds`, for messages: `nodes, deployments`.
pub fn kinds_text(kinds: FactKinds) -> String {
    let mut names = vec!["version", "kube-system UID"];
    for (flag, name) in [
        (FactKinds::NODES, "nodes"),
        (FactKinds::DEPLOYMENTS, "kube-system deployments"),
        (FactKinds::DAEMON_SETS, "kube-system daemonsets"),
        (
            FactKinds::CNI_NAMESPACES,
            "calico-system daemonsets, tigera-operator deployments",
        ),
        (FactKinds::RANCHER, "cattle-system deployments"),
        (
            FactKinds::GPU_OPERATORS,
            "gpu-operator, kube-amd-gpu, inteldeviceplugins-system daemonsets",
        ),
        (FactKinds::IP_STACK, "the kubernetes service"),
    ] {
        if kinds.contains(flag) {
            names.push(name);
        }
    }
    names.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ground::bindings::{SystemNamespace, SystemWorkload};

    fn q(text: &str) -> String {
        text.to_string()
    }

    #[test]
    fn quantities_parse_as_the_api_writes_them() {
        assert_eq!(parse_quantity(&q("4")), Some(4.0));
        assert_eq!(parse_quantity(&q("3500m")), Some(3.5));
        assert_eq!(parse_quantity(&q("8125412Ki")), Some(8125412.0 * 1024.0));
        assert_eq!(parse_quantity(&q("2Gi")), Some(2147483648.0));
        assert_eq!(parse_quantity(&q("129M")), Some(129e6));
        assert_eq!(parse_quantity(&q("1e3")), Some(1000.0));
        assert_eq!(parse_quantity(&q("lots")), None);
        // Absurd values the API could carry: never infinite or NaN.
        assert_eq!(parse_quantity(&q("infKi")), None);
        assert_eq!(parse_quantity(&q("NaNm")), None);
        assert_eq!(parse_quantity(&q("1e308E")), None);
    }

    #[test]
    fn images_become_software_and_version_whatever_the_registry() {
        let vocabulary = Vocabulary::default();
        let cases = [
            ("rancher/klipper-lb:v0.4.9", "servicelb", "v0.4.9"),
            (
                "registry.acme-corp.example:5000/rancher/hardened-calico:v3.29.1-build20250117",
                "calico",
                "v3.29.1",
            ),
            (
                "nvcr.io/nvidia/k8s-device-plugin:v0.17.0",
                "nvidia-device-plugin",
                "v0.17.0",
            ),
            (
                "registry.acme-corp.example:5000/rancher/mirrored-sig-storage-snapshot-controller@sha256:abc",
                "snapshot-controller",
                "unknown",
            ),
            (
                "registry.acme-corp.example/acme/bespoke-ingress:2.3.1-acme",
                "other",
                "2.3.1",
            ),
            ("localhost/traefik:1", "traefik", "1"),
            ("localhost:5000/coredns", "coredns", "unknown"),
            ("busybox", "other", "unknown"),
            ("busybox:1.36", "other", "1.36"),
            ("docker.io/library/traefik:3.3@sha256:abc", "traefik", "3.3"),
            ("calico/node:latest", "calico", "unknown"),
        ];
        for (reference, software, version) in cases {
            let image = image(reference, &vocabulary);
            assert_eq!(
                (image.software.as_str(), image.version.as_str()),
                (software, version),
                "{reference}"
            );
        }
        let extended = Vocabulary::with_extra(vec!["bespoke-ingress".into()]);
        assert_eq!(
            image(
                "registry.acme-corp.example/acme/bespoke-ingress:2.3.1-acme",
                &extended
            )
            .software,
            "bespoke-ingress"
        );
    }

    #[test]
    fn custom_roles_become_other() {
        let labels: BTreeMap<String, String> = [
            ("node-role.kubernetes.io/master", "true"),
            ("node-role.kubernetes.io/control-plane", "true"),
            ("node-role.kubernetes.io/acme-batch", "true"),
            ("node-role.kubernetes.io/acme-gpu", "true"),
            ("kubernetes.io/hostname", "secret-host"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(
            roles(Some(&labels)),
            [NodeRole::ControlPlane, NodeRole::Master, NodeRole::Other]
        );
        assert!(roles(None).is_empty());
    }

    #[test]
    fn selinux_comes_from_the_recorded_flags_only() {
        let annotations = |key: &str, value: &str| -> NodeArgs {
            serde_json::from_value(serde_json::json!({ key: value })).unwrap()
        };
        let on = annotations(
            "rke2.io/node-args",
            r#"["server","--selinux","--tls-san","x.example"]"#,
        );
        assert_eq!(selinux(Some(&on)), Some(true));
        let off = annotations(
            "k3s.io/node-args",
            r#"["server","--selinux=true","--selinux=false"]"#,
        );
        assert_eq!(selinux(Some(&off)), Some(false));
        let plain = annotations("k3s.io/node-args", r#"["agent"]"#);
        assert_eq!(selinux(Some(&plain)), Some(false));
        assert_eq!(selinux(Some(&annotations("other", "x"))), None);
        assert_eq!(
            selinux(Some(&annotations("k3s.io/node-args", "not json"))),
            None
        );
        assert_eq!(selinux(None), None);
    }

    #[test]
    fn gpus_are_counted_by_known_vendor() {
        let allocatable: BTreeMap<String, String> = [
            ("cpu", "8"),
            ("nvidia.com/gpu", "4"),
            ("amd.com/gpu", "0"),
            ("gpu.intel.com/i915", "1"),
            ("gpu.acme-corp.example/a100-slice", "8"),
            ("acme.example/GPU-share", "2"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), q(v)))
        .collect();
        assert_eq!(
            gpus(&allocatable),
            [
                GpuResource {
                    vendor: GpuVendor::Nvidia,
                    count: 4
                },
                GpuResource {
                    vendor: GpuVendor::Intel,
                    count: 1
                },
                GpuResource {
                    vendor: GpuVendor::Other,
                    count: 10
                },
            ]
        );
    }

    /// A node with vendor build strings in every free-text field.
    fn vendor_node() -> Node {
        serde_json::from_value(serde_json::json!({
            "metadata": {"name": "acme-node-17", "labels": {"node-role.kubernetes.io/worker": "true"}},
            "status": {
                "nodeInfo": {
                    "osImage": "Acme Linux 9.4 (build acme-20250101)",
                    "kernelVersion": "5.14.0-427.acme.el9_4.x86_64",
                    "containerRuntimeVersion": "containerd://1.7.23-acme.3",
                    "kubeletVersion": "v1.31.6+rke2r1",
                    "operatingSystem": "linux",
                    "architecture": "amd64",
                    "machineID": "", "systemUUID": "", "bootID": "", "kubeProxyVersion": ""
                },
                "allocatable": {"cpu": "7500m", "memory": "31Gi"}
            }
        }))
        .unwrap()
    }

    #[test]
    fn vendor_build_strings_leave_only_closed_values() {
        let facts = node(&vendor_node());
        assert_eq!(
            facts,
            NodeFacts {
                roles: vec![NodeRole::Worker],
                os_id: "other".into(),
                os_version: "unknown".into(),
                operating_system: "linux".into(),
                kernel_version: "5.14".into(),
                architecture: "amd64".into(),
                kubelet_version: "v1.31.6+rke2r1".into(),
                container_runtime: "containerd".into(),
                container_runtime_version: "1.7.23".into(),
                allocatable_cpu_cores: 8,
                allocatable_memory_gib: 31,
                gpus: Vec::new(),
                selinux: None,
            }
        );
        let json = serde_json::to_string(&facts).unwrap();
        assert!(!json.contains("acme"), "{json}");
    }

    #[test]
    fn identical_nodes_are_one_group_with_a_count_in_a_fixed_order() {
        let worker = node(&vendor_node());
        let other = NodeFacts {
            architecture: "arm64".into(),
            ..worker.clone()
        };
        let mut groups = NodeGroups::default();
        for facts in [&other, &worker, &other, &worker, &worker] {
            groups.add(facts.clone());
        }
        assert_eq!(groups.node_count(), 5);
        assert_eq!(
            groups.into_groups(),
            [
                NodeGroup {
                    facts: worker,
                    count: 3
                },
                NodeGroup {
                    facts: other,
                    count: 2
                },
            ]
        );
    }

    #[test]
    fn only_the_kinds_asked_for_are_kept() {
        let facts = ClusterFacts {
            server_version: server_version(&Version::default()),
            cluster_uuid: "u".into(),
            node_groups: vec![NodeGroup {
                facts: node(&vendor_node()),
                count: 1,
            }],
            kube_system_workloads: vec![
                Workload {
                    kind: WorkloadKind::Deployment,
                    software: "traefik".into(),
                    images: Vec::new(),
                },
                Workload {
                    kind: WorkloadKind::DaemonSet,
                    software: "canal".into(),
                    images: Vec::new(),
                },
            ],
            unread_workloads: Vec::new(),
            system_workloads: vec![
                SystemWorkload {
                    namespace: SystemNamespace::CalicoSystem,
                    workload: Workload {
                        kind: WorkloadKind::DaemonSet,
                        software: "calico".into(),
                        images: Vec::new(),
                    },
                },
                SystemWorkload {
                    namespace: SystemNamespace::CattleSystem,
                    workload: Workload {
                        kind: WorkloadKind::Deployment,
                        software: "rancher-agent".into(),
                        images: Vec::new(),
                    },
                },
            ],
            unread_namespaces: Vec::new(),
            ip_stack: IpStack::DualStack,
        };
        let nodes_only = only(facts.clone(), FactKinds::NODES);
        assert_eq!(nodes_only.node_groups.len(), 1);
        assert!(nodes_only.kube_system_workloads.is_empty());
        assert_eq!(
            nodes_only.unread_workloads,
            [WorkloadKind::Deployment, WorkloadKind::DaemonSet]
        );
        let daemon_sets = only(facts.clone(), FactKinds::DAEMON_SETS);
        assert!(daemon_sets.node_groups.is_empty());
        assert_eq!(daemon_sets.kube_system_workloads.len(), 1);
        assert_eq!(daemon_sets.unread_workloads, [WorkloadKind::Deployment]);
        assert!(daemon_sets.system_workloads.is_empty());
        assert_eq!(daemon_sets.unread_namespaces.len(), SYSTEM_READS.len());
        assert_eq!(daemon_sets.ip_stack, IpStack::Unknown);
        let rancher = only(facts.clone(), FactKinds::RANCHER | FactKinds::IP_STACK);
        assert_eq!(rancher.system_workloads, facts.system_workloads[1..]);
        assert_eq!(
            rancher.unread_namespaces,
            [
                SystemNamespace::CalicoSystem,
                SystemNamespace::TigeraOperator,
                SystemNamespace::GpuOperator,
                SystemNamespace::KubeAmdGpu,
                SystemNamespace::InteldevicepluginsSystem
            ]
        );
        assert_eq!(rancher.ip_stack, IpStack::DualStack);
        assert_eq!(only(facts.clone(), FactKinds::all()), facts);
        assert_eq!(
            kinds_text(FactKinds::NODES),
            "version, kube-system UID, nodes"
        );
    }
}
