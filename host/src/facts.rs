//! Kubernetes objects in, anonymous cluster facts out. This is where the
//! privacy boundary is enforced: only the fields below are copied, and the
//! free-form ones (role names, GPU resource domains, registry hosts) are
//! reduced to known values first. See `wit/reporter.wit` for the reasons.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context as _;

use crate::bindings::{
    ClusterFacts, ContainerImage, GpuResource, GpuVendor, NodeFacts, NodeRole, ServerVersion,
    Workload, WorkloadKind,
};
use crate::objects::{self, Node, NodeArgs, PodSpec, Version};

const ROLE_LABEL_PREFIX: &str = "node-role.kubernetes.io/";

pub fn server_version(info: &Version) -> ServerVersion {
    ServerVersion {
        git_version: info.git_version.clone(),
        major: info.major.clone(),
        minor: info.minor.clone(),
        platform: info.platform.clone(),
    }
}

pub fn node(node: &Node) -> NodeFacts {
    let info = node.status.as_ref().and_then(|s| s.node_info.as_ref());
    let text = |pick: fn(&objects::NodeSystemInfo) -> &String| {
        info.map(|i| bounded(pick(i))).unwrap_or_default()
    };
    let allocatable = node.status.as_ref().and_then(|s| s.allocatable.as_ref());
    let quantity = |name: &str| {
        allocatable
            .and_then(|a| a.get(name))
            .and_then(|q| parse_quantity(q))
    };
    NodeFacts {
        roles: roles(node.metadata.labels.as_ref()),
        os_image: text(|i| &i.os_image),
        operating_system: text(|i| &i.operating_system),
        kernel_version: text(|i| &i.kernel_version),
        architecture: text(|i| &i.architecture),
        kubelet_version: text(|i| &i.kubelet_version),
        container_runtime_version: text(|i| &i.container_runtime_version),
        allocatable_cpu_millicores: quantity("cpu")
            .map_or(0, |cores| (cores * 1000.0).round() as u64),
        allocatable_memory_bytes: quantity("memory").map_or(0, |bytes| bytes.round() as u64),
        gpus: allocatable.map(gpus).unwrap_or_default(),
        selinux: selinux(node.metadata.annotations.as_ref()),
    }
}

/// The longest free-text fact copied from the API. Real values are a few
/// dozen bytes; an absurd one is cut so the facts stay small however many
/// nodes there are.
pub const MAX_TEXT_BYTES: usize = 256;

/// `text` cut to [`MAX_TEXT_BYTES`] at a character boundary.
fn bounded(text: &str) -> String {
    let mut end = text.len().min(MAX_TEXT_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_string()
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
    let mut roles: Vec<NodeRole> = labels
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
    roles.sort_by_key(|role| *role as u8);
    roles.dedup();
    roles
}

/// GPUs by vendor from allocatable resources. Any other resource that names
/// a GPU counts as `Other`: its domain may name an organisation.
fn gpus(allocatable: &BTreeMap<String, String>) -> Vec<GpuResource> {
    let mut counts: BTreeMap<u8, (GpuVendor, u64)> = BTreeMap::new();
    for (name, amount) in allocatable {
        let vendor = match name.as_str() {
            "nvidia.com/gpu" => GpuVendor::Nvidia,
            "amd.com/gpu" => GpuVendor::Amd,
            n if n.starts_with("gpu.intel.com/") => GpuVendor::Intel,
            n if n.to_ascii_lowercase().contains("gpu") => GpuVendor::Other,
            _ => continue,
        };
        let count = parse_quantity(amount).map_or(0, |n| n.max(0.0).round() as u64);
        counts.entry(vendor as u8).or_insert((vendor, 0)).1 += count;
    }
    counts
        .into_values()
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

pub fn deployment(deployment: &objects::Workload) -> Workload {
    workload(
        WorkloadKind::Deployment,
        deployment.metadata.name.as_deref(),
        deployment
            .spec
            .as_ref()
            .and_then(|s| s.template.spec.as_ref()),
    )
}

pub fn daemon_set(daemon_set: &objects::Workload) -> Workload {
    workload(
        WorkloadKind::DaemonSet,
        daemon_set.metadata.name.as_deref(),
        daemon_set
            .spec
            .as_ref()
            .and_then(|s| s.template.spec.as_ref()),
    )
}

fn workload(kind: WorkloadKind, name: Option<&str>, pod: Option<&PodSpec>) -> Workload {
    let mut images: Vec<ContainerImage> = Vec::new();
    // A set, not `images.contains`: a hostile pod spec may list many
    // thousands of containers, and this runs where the deadline cannot cut in.
    let mut seen = std::collections::HashSet::new();
    let containers = pod.into_iter().flat_map(|pod| {
        pod.containers
            .iter()
            .chain(pod.init_containers.iter().flatten())
    });
    for reference in containers.filter_map(|c| c.image.as_deref()) {
        let image = image(reference);
        if seen.insert((image.repository.clone(), image.tag.clone())) {
            images.push(image);
        }
    }
    Workload {
        kind,
        name: bounded(name.unwrap_or_default()),
        images,
    }
}

/// An image reference without its registry host or digest:
/// `registry.example:5000/rancher/klipper-lb:v0.4.9` -> (`rancher/klipper-lb`, `v0.4.9`).
pub fn image(reference: &str) -> ContainerImage {
    let (name, has_digest) = match reference.split_once('@') {
        Some((name, _digest)) => (name, true),
        None => (reference, false),
    };
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
    let (repository, tag) = match name[last_slash..].rfind(':') {
        Some(colon) => (
            &name[..last_slash + colon],
            Some(&name[last_slash + colon + 1..]),
        ),
        None => (name, None),
    };
    let tag = match tag {
        Some(tag) if !tag.is_empty() => tag,
        _ if has_digest => "unknown",
        _ => "latest",
    };
    ContainerImage {
        repository: bounded(repository),
        tag: bounded(tag),
    }
}

/// Reads a facts fixture (the format `facts` prints).
pub fn load(path: &Path) -> anyhow::Result<ClusterFacts> {
    let bytes = crate::input::read_bounded(path, crate::input::MAX_FACTS_FILE_BYTES, "facts file")?;
    parse(&bytes).with_context(|| {
        format!(
            "{} is not cluster facts JSON (the format `upgrade-responder facts` prints)",
            path.display()
        )
    })
}

/// Cluster facts from the fixture format.
pub fn parse(bytes: &[u8]) -> serde_json::Result<ClusterFacts> {
    serde_json::from_slice(bytes)
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
    fn images_lose_registry_host_and_digest() {
        let cases = [
            ("rancher/klipper-lb:v0.4.9", "rancher/klipper-lb", "v0.4.9"),
            (
                "registry.acme-corp.example:5000/rancher/hardened-calico:v3.29.1-build20250117",
                "rancher/hardened-calico",
                "v3.29.1-build20250117",
            ),
            (
                "nvcr.io/nvidia/k8s-device-plugin:v0.17.0",
                "nvidia/k8s-device-plugin",
                "v0.17.0",
            ),
            (
                "registry.acme-corp.example:5000/rancher/x@sha256:abc",
                "rancher/x",
                "unknown",
            ),
            ("localhost/app:1", "app", "1"),
            ("localhost:5000/app", "app", "latest"),
            ("busybox", "busybox", "latest"),
            ("busybox:1.36", "busybox", "1.36"),
            (
                "docker.io/library/nginx:1.27@sha256:abc",
                "library/nginx",
                "1.27",
            ),
        ];
        for (reference, repository, tag) in cases {
            let image = image(reference);
            assert_eq!(
                (image.repository.as_str(), image.tag.as_str()),
                (repository, tag),
                "{reference}"
            );
        }
    }

    #[test]
    fn absurdly_long_text_is_cut_at_a_character_boundary() {
        assert_eq!(bounded(&"x".repeat(1 << 20)).len(), MAX_TEXT_BYTES);
        // 'é' is two bytes: after one ASCII byte, the bound falls inside one.
        let accents = format!("a{}", "é".repeat(MAX_TEXT_BYTES));
        let cut = bounded(&accents);
        assert_eq!(cut.len(), MAX_TEXT_BYTES - 1);
        assert!(cut[1..].chars().all(|c| c == 'é'));
        assert_eq!(bounded("v1.31.6+k3s1"), "v1.31.6+k3s1");
        let image = image(&format!("rancher/{}:v1", "a".repeat(1000)));
        assert_eq!(image.repository.len(), MAX_TEXT_BYTES);
        assert_eq!(image.tag, "v1");
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
}
