//! Kubernetes objects in, anonymous cluster facts out. This is where the
//! privacy boundary is enforced: only the fields below are read, and each
//! crosses only as a word of the closed vocabulary (`vocabulary.rs`), as
//! digits and dots, or as a count. Identical node facts are grouped with a
//! count. See `wit/reporter.wit` for the reasons.
//!
//! The facts file (`--facts`, the `facts` command's output) is the serde
//! form of these records. A file in the older raw form (contract 0.2.0's
//! `nodes`, names and image repositories) is read too, and reduced the same
//! way; any file is checked against the vocabulary, so whatever the source,
//! a component receives only closed values.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use anyhow::Context as _;

use crate::bindings::{
    ClusterFacts, FactKinds, GpuResource, GpuVendor, NodeFacts, NodeGroup, NodeRole, ServerVersion,
    Workload, WorkloadImage, WorkloadKind, v0_2,
};
use crate::objects::{self, Node, NodeArgs, PodSpec, ROLE_LABEL_PREFIX, Version};
use crate::vocabulary::{self, OTHER, UNKNOWN, Vocabulary};

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

    fn add_many(&mut self, facts: NodeFacts, count: u64) {
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
fn selinux(annotations: Option<&NodeArgs>) -> Option<bool> {
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
fn roles(labels: Option<&BTreeMap<String, String>>) -> Vec<NodeRole> {
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
fn gpus(allocatable: &BTreeMap<String, String>) -> Vec<GpuResource> {
    let mut counts: BTreeMap<GpuVendor, u64> = BTreeMap::new();
    for (name, amount) in allocatable {
        let Some(vendor) = gpu_vendor(name) else {
            continue;
        };
        let count = parse_quantity(amount).map_or(0, |n| n.max(0.0).round() as u64);
        let total = counts.entry(vendor).or_default();
        *total = total.saturating_add(count);
    }
    gpu_list(counts)
}

/// The GPU vendor an allocatable resource names, if it names a GPU.
fn gpu_vendor(name: &str) -> Option<GpuVendor> {
    match name {
        "nvidia.com/gpu" => Some(GpuVendor::Nvidia),
        "amd.com/gpu" => Some(GpuVendor::Amd),
        n if n.starts_with("gpu.intel.com/") => Some(GpuVendor::Intel),
        n if n
            .as_bytes()
            .windows(3)
            .any(|w| w.eq_ignore_ascii_case(b"gpu")) =>
        {
            Some(GpuVendor::Other)
        }
        _ => None,
    }
}

/// Whether a node's facts use this allocatable resource: the parser keeps
/// only these (`objects.rs`).
pub(crate) fn uses_resource(name: &str) -> bool {
    name == "cpu" || name == "memory" || gpu_vendor(name).is_some()
}

/// GPU counts as the sorted list the record holds, without zero counts.
fn gpu_list(counts: BTreeMap<GpuVendor, u64>) -> Vec<GpuResource> {
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

fn workload(
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
fn distinct(images: impl Iterator<Item = WorkloadImage>) -> Vec<WorkloadImage> {
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
    facts
}

/// The kinds in `kinds`, for messages: `nodes, deployments`.
pub fn kinds_text(kinds: FactKinds) -> String {
    let mut names = vec!["version", "kube-system UID"];
    for (flag, name) in [
        (FactKinds::NODES, "nodes"),
        (FactKinds::DEPLOYMENTS, "kube-system deployments"),
        (FactKinds::DAEMON_SETS, "kube-system daemonsets"),
    ] {
        if kinds.contains(flag) {
            names.push(name);
        }
    }
    names.join(", ")
}

/// Reads a facts file (the format `facts` prints, or the older raw form).
pub fn load(path: &Path, vocabulary: &Vocabulary) -> anyhow::Result<ClusterFacts> {
    let bytes = crate::input::read_bounded(path, crate::input::MAX_FACTS_FILE_BYTES, "facts file")?;
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
        serde_json::from_value(value)?
    };
    Ok(close(facts, vocabulary))
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
        .map(|workload| Workload {
            kind: workload.kind,
            software: close_software(&workload.software, vocabulary),
            images: distinct(workload.images.into_iter().map(|image| WorkloadImage {
                software: close_software(&image.software, vocabulary),
                version: vocabulary::version_of_tag(&image.version),
            })),
        })
        .collect();
    sort_workloads(&mut workloads);
    let mut unread = facts.unread_workloads;
    unread.sort();
    unread.dedup();
    let version = facts.server_version;
    ClusterFacts {
        server_version: ServerVersion {
            git_version: vocabulary::kubernetes_version(&version.git_version),
            major: vocabulary::version_number(&version.major),
            minor: vocabulary::version_number(&version.minor),
            platform: vocabulary::platform(&version.platform),
        },
        cluster_uuid: facts.cluster_uuid,
        node_groups: groups.into_groups(),
        kube_system_workloads: workloads,
        unread_workloads: unread,
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
        assert_eq!(only(facts.clone(), FactKinds::all()), facts);
        assert_eq!(
            kinds_text(FactKinds::NODES),
            "version, kube-system UID, nodes"
        );
    }
}
