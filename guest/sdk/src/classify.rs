//! Low-cardinality descriptions of a cluster, derived from the facts one way
//! for every component.
//!
//! Everything here returns either a name from a fixed list, `other`,
//! `unknown`, `none`, or a value built only from digits and dots: never a
//! workload name, an image repository, an OS string or any other text as
//! the cluster spelled it. An operator can deploy anything into kube-system
//! and name it freely, so a name we do not recognise is `other`, never
//! itself.

use std::collections::BTreeMap;

use crate::payload::UNKNOWN;
use crate::{ClusterFacts, GpuVendor, NodeFacts, Workload};

/// A workload we recognise but whose kind of thing we cannot name.
pub const OTHER: &str = "other";
/// Nothing of that kind was found (an ingress controller, a GPU).
pub const NONE: &str = "none";
/// More than one value of a kind found across nodes (GPU vendors, SELinux).
pub const MIXED: &str = "mixed";

/// The CNI plugins we name, each with the words that identify it in a
/// kube-system workload's name or image repository (lowercase substrings).
/// Order is priority: canal's DaemonSet also runs the calico and flannel
/// images, so canal must win over both; multus is a meta-plugin that
/// delegates to another one, so the delegate wins and multus is only named
/// when it runs alone.
const CNI_PLUGINS: &[(&str, &[&str])] = &[
    ("canal", &["canal"]),
    ("cilium", &["cilium"]),
    ("calico", &["calico"]),
    ("antrea", &["antrea"]),
    ("kube-router", &["kube-router"]),
    ("weave", &["weave"]),
    ("flannel", &["flannel"]),
    ("multus", &["multus"]),
];

/// Which image carries a plugin's version, when it is not the plugin's own
/// word: canal is packaged as calico (policy) plus flannel (network), and
/// its release follows calico's.
const CNI_VERSION_IMAGE: &[(&str, &str)] = &[("canal", "calico")];

/// A workload that looks like a CNI plugin without being one we know.
const CNI_HINTS: &[&str] = &["cni"];

/// The ingress controllers we name, with their identifying words, in
/// priority order (when several run, the first listed is reported).
/// `rke2-ingress-nginx` and `rancher/nginx-ingress-controller` are the
/// community ingress-nginx.
const INGRESS_CONTROLLERS: &[(&str, &[&str])] = &[
    ("traefik", &["traefik"]),
    ("ingress-nginx", &["ingress-nginx", "nginx-ingress"]),
    ("haproxy", &["haproxy"]),
    ("contour", &["contour"]),
    ("istio", &["istio"]),
    ("kong", &["kong"]),
    ("emissary", &["emissary", "ambassador"]),
    ("skipper", &["skipper"]),
];

/// A workload that looks like an ingress controller we do not know.
const INGRESS_HINTS: &[&str] = &["ingress", "gateway"];

/// OS ids from `osImage` (lowercased substrings), in match order: more
/// specific names first (`opensuse` before `suse`, `sle micro` before
/// `suse linux enterprise`).
const OS_IDS: &[(&str, &[&str])] = &[
    ("ubuntu", &["ubuntu"]),
    ("debian", &["debian"]),
    ("rhel", &["red hat enterprise linux", "rhel"]),
    ("rocky", &["rocky linux"]),
    ("almalinux", &["almalinux"]),
    ("centos", &["centos"]),
    ("ol", &["oracle linux"]),
    ("opensuse", &["opensuse"]),
    ("sle-micro", &["sle micro", "suse linux micro", "sl-micro"]),
    ("sles", &["suse linux enterprise", "sles"]),
    ("fedora", &["fedora"]),
    ("amzn", &["amazon linux"]),
    ("bottlerocket", &["bottlerocket"]),
    ("flatcar", &["flatcar"]),
    ("talos", &["talos"]),
    ("alpine", &["alpine"]),
    ("arch", &["arch linux"]),
    ("nixos", &["nixos"]),
    ("k3os", &["k3os"]),
    ("photon", &["photon os", "vmware photon"]),
    ("windows", &["windows"]),
];

/// `GOARCH` values a kubelet reports.
const ARCHITECTURES: &[&str] = &[
    "amd64", "arm64", "arm", "386", "ppc64le", "s390x", "riscv64", "loong64", "mips64le",
];

/// The CNI plugin of a cluster and its version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CniPlugin {
    /// A name from [`CNI_PLUGINS`], `other`, or `unknown`.
    pub name: &'static str,
    /// `v3.29.1` from the plugin's image tag (see [`release_version`]), or
    /// `unknown`.
    pub version: String,
}

impl CniPlugin {
    /// A plugin the distribution embeds (K3s runs flannel inside its own
    /// process, so no kube-system workload shows it or its version).
    pub fn embedded(name: &'static str) -> Self {
        Self {
            name,
            version: UNKNOWN.to_string(),
        }
    }
}

/// The text a workload is matched on: its name and each image repository
/// (`calico/node`, `rancher/hardened-calico`), lowercased. The registry host
/// never reaches a component.
fn workload_words(workload: &Workload) -> Vec<String> {
    let mut words = vec![workload.name.to_ascii_lowercase()];
    words.extend(
        workload
            .images
            .iter()
            .map(|image| image_word(&image.repository)),
    );
    words
}

fn image_word(repository: &str) -> String {
    repository.to_ascii_lowercase()
}

fn mentions(words: &[String], needles: &[&str]) -> bool {
    words
        .iter()
        .any(|word| needles.iter().any(|needle| word.contains(needle)))
}

/// The CNI plugin found among the kube-system workloads, if any: a known
/// name, or `other` for a workload that mentions `cni` without being a
/// plugin we know. `None` when nothing looks like a CNI plugin; the
/// component decides what that means (K3s: its embedded flannel).
pub fn cni_plugin(workloads: &[Workload]) -> Option<CniPlugin> {
    let per_workload: Vec<(&Workload, Vec<String>)> = workloads
        .iter()
        .map(|workload| (workload, workload_words(workload)))
        .collect();
    for (name, needles) in CNI_PLUGINS {
        let Some((workload, _)) = per_workload
            .iter()
            .find(|(_, words)| mentions(words, needles))
        else {
            continue;
        };
        let version_word = CNI_VERSION_IMAGE
            .iter()
            .find(|(plugin, _)| plugin == name)
            .map_or(*name, |(_, image)| *image);
        let version = workloads
            .iter()
            .flat_map(|w| w.images.iter())
            .find(|image| image_word(&image.repository).contains(version_word))
            .or_else(|| {
                // The plugin was known by its workload name only: its first
                // image is the plugin's.
                workload.images.first()
            })
            .and_then(|image| release_version(&image.tag))
            .unwrap_or_else(|| UNKNOWN.to_string());
        return Some(CniPlugin { name, version });
    }
    per_workload
        .iter()
        .any(|(_, words)| mentions(words, CNI_HINTS))
        .then(|| CniPlugin::embedded(OTHER))
}

/// The ingress controller: a known name, `other` for a workload that
/// mentions `ingress` or `gateway` but is none we know, `none` otherwise.
pub fn ingress_controller(workloads: &[Workload]) -> &'static str {
    let words: Vec<Vec<String>> = workloads.iter().map(workload_words).collect();
    for (name, needles) in INGRESS_CONTROLLERS {
        if words.iter().any(|w| mentions(w, needles)) {
            return name;
        }
    }
    if words.iter().any(|w| mentions(w, INGRESS_HINTS)) {
        OTHER
    } else {
        NONE
    }
}

/// The release in an image tag, as `v` and up to three dot-separated
/// numbers: `v3.29.1-build20250117` -> `v3.29.1`, `1.12.0` -> `v1.12.0`,
/// `v1.12.0-hardened1` -> `v1.12.0`. `None` for a tag that does not start
/// with a number (`latest`, `unknown` for a digest-only reference): a build
/// suffix or a custom tag could be anything, so only the numbers are kept.
pub fn release_version(tag: &str) -> Option<String> {
    let numbers: Vec<&str> = tag
        .strip_prefix('v')
        .unwrap_or(tag)
        .split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .next()?
        .split('.')
        .take(3)
        .take_while(|part| !part.is_empty() && part.len() <= 6)
        .collect();
    if numbers.len() < 2 {
        return None;
    }
    Some(format!("v{}", numbers.join(".")))
}

/// The OS id of one node: from [`OS_IDS`], `other`, or `unknown` when the
/// node reports no `osImage`.
pub fn os_id(node: &NodeFacts) -> &'static str {
    let image = node.os_image.trim().to_ascii_lowercase();
    if image.is_empty() {
        return if node.operating_system.eq_ignore_ascii_case("windows") {
            "windows"
        } else {
            UNKNOWN
        };
    }
    OS_IDS
        .iter()
        .find(|(_, needles)| needles.iter().any(|needle| image.contains(needle)))
        .map_or(OTHER, |(id, _)| id)
}

/// The most common value, ties broken by the smallest in `Ord` order (so the
/// answer does not depend on the order the API listed the nodes in).
fn most_common<T: Ord + Clone>(values: impl IntoIterator<Item = T>) -> Option<T> {
    let mut counts: BTreeMap<T, usize> = BTreeMap::new();
    for value in values {
        *counts.entry(value).or_default() += 1;
    }
    // max_by_key returns the last maximum; iterate in reverse so that is the
    // smallest key among the most common.
    counts
        .into_iter()
        .rev()
        .max_by_key(|(_, count)| *count)
        .map(|(value, _)| value)
}

/// The cluster's OS: the most common node OS id, ties broken by name;
/// `unknown` for a cluster without nodes.
pub fn cluster_os(facts: &ClusterFacts) -> &'static str {
    most_common(facts.nodes.iter().map(os_id)).unwrap_or(UNKNOWN)
}

/// `major.minor` of a kernel build string: `6.8.0-52-generic` -> `(6, 8)`.
pub fn kernel_major_minor(kernel: &str) -> Option<(u64, u64)> {
    let mut parts = kernel.trim().split(|c: char| !c.is_ascii_digit());
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor))
}

/// The cluster's kernel: the most common `major.minor` across nodes, ties
/// broken by the lower version; `unknown` when no node reports a parsable
/// kernel version.
pub fn cluster_kernel(facts: &ClusterFacts) -> String {
    most_common(
        facts
            .nodes
            .iter()
            .filter_map(|node| kernel_major_minor(&node.kernel_version)),
    )
    .map_or_else(
        || UNKNOWN.to_string(),
        |(major, minor)| format!("{major}.{minor}"),
    )
}

/// The cluster's architectures: every distinct node architecture, sorted
/// and comma-joined (`amd64`, `amd64,arm64`). A set rather than the most
/// common one, because a mixed-architecture cluster is what the value is
/// for; there are few architectures, so the set stays low-cardinality. An
/// architecture outside the kubelet's `GOARCH` list is `other`.
pub fn cluster_architectures(facts: &ClusterFacts) -> String {
    let mut found: Vec<&str> = facts
        .nodes
        .iter()
        .map(|node| {
            let arch = node.architecture.trim();
            if arch.is_empty() {
                UNKNOWN
            } else {
                ARCHITECTURES
                    .iter()
                    .find(|known| arch.eq_ignore_ascii_case(known))
                    .copied()
                    .unwrap_or(OTHER)
            }
        })
        .collect();
    found.sort_unstable();
    found.dedup();
    if found.is_empty() {
        return UNKNOWN.to_string();
    }
    found.join(",")
}

/// SELinux across the nodes that say: `enabled` when all of them run with
/// it, `disabled` when none does, `mixed` otherwise; `unknown` when no node
/// says (no `node-args` annotation).
pub fn cluster_selinux(facts: &ClusterFacts) -> &'static str {
    let known: Vec<bool> = facts.nodes.iter().filter_map(|node| node.selinux).collect();
    match (known.iter().any(|on| *on), known.iter().any(|on| !*on)) {
        (false, false) => UNKNOWN,
        (true, false) => "enabled",
        (false, true) => "disabled",
        (true, true) => MIXED,
    }
}

/// Nodes with at least one allocatable GPU.
pub fn gpu_node_count(facts: &ClusterFacts) -> u64 {
    facts
        .nodes
        .iter()
        .filter(|node| node.gpus.iter().any(|gpu| gpu.count > 0))
        .count() as u64
}

/// The GPU vendor across the cluster: `nvidia`, `amd`, `intel`, `other`
/// (a GPU resource under another domain), `mixed` when more than one of
/// those appears, `none` without GPUs.
pub fn gpu_vendor(facts: &ClusterFacts) -> &'static str {
    let mut vendors: Vec<&'static str> = facts
        .nodes
        .iter()
        .flat_map(|node| node.gpus.iter())
        .filter(|gpu| gpu.count > 0)
        .map(|gpu| match gpu.vendor {
            GpuVendor::Nvidia => "nvidia",
            GpuVendor::Amd => "amd",
            GpuVendor::Intel => "intel",
            GpuVendor::Other => OTHER,
        })
        .collect();
    vendors.sort_unstable();
    vendors.dedup();
    match vendors.as_slice() {
        [] => NONE,
        [one] => one,
        _ => MIXED,
    }
}

/// Every extended description at once, for the `standard` field mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extended {
    pub os: &'static str,
    pub kernel: String,
    pub architectures: String,
    pub cni: CniPlugin,
    pub ingress: &'static str,
    pub selinux: &'static str,
    pub gpu_vendor: &'static str,
    pub gpu_nodes: u64,
}

impl Extended {
    /// `cni_without_workload` is what the distribution runs when no
    /// kube-system workload shows a CNI plugin: K3s embeds flannel; RKE2
    /// does not know (its calico lives in the calico-system namespace).
    pub fn of(facts: &ClusterFacts, cni_without_workload: CniPlugin) -> Self {
        Self {
            os: cluster_os(facts),
            kernel: cluster_kernel(facts),
            architectures: cluster_architectures(facts),
            cni: cni_plugin(&facts.kube_system_workloads).unwrap_or(cni_without_workload),
            ingress: ingress_controller(&facts.kube_system_workloads),
            selinux: cluster_selinux(facts),
            gpu_vendor: gpu_vendor(facts),
            gpu_nodes: gpu_node_count(facts),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ContainerImage, GpuResource, ServerVersion, WorkloadKind};

    fn workload(name: &str, images: &[(&str, &str)]) -> Workload {
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

    fn node(os_image: &str, kernel: &str, arch: &str) -> NodeFacts {
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

    fn cluster(nodes: Vec<NodeFacts>) -> ClusterFacts {
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

    fn cni(workloads: &[Workload]) -> Option<(&'static str, String)> {
        cni_plugin(workloads).map(|plugin| (plugin.name, plugin.version))
    }

    #[test]
    fn canal_wins_over_the_calico_and_flannel_images_it_runs() {
        let rke2_canal = workload(
            "rke2-canal",
            &[
                ("rancher/hardened-calico", "v3.29.1-build20250117"),
                ("rancher/hardened-flannel", "v0.26.3-build20250117"),
            ],
        );
        assert_eq!(cni(&[rke2_canal]), Some(("canal", "v3.29.1".to_string())));
    }

    #[test]
    fn known_cni_plugins_are_named_with_their_image_version() {
        let cases = [
            (
                workload("calico-node", &[("calico/node", "v3.28.0")]),
                "calico",
                "v3.28.0",
            ),
            (
                workload(
                    "cilium",
                    &[("rancher/mirrored-cilium-cilium", "v1.16.5@sha")],
                ),
                "cilium",
                "v1.16.5",
            ),
            (
                workload("kube-flannel-ds", &[("flannel/flannel", "v0.26.1")]),
                "flannel",
                "v0.26.1",
            ),
            (
                workload("kube-router", &[("cloudnativelabs/kube-router", "v2.1.0")]),
                "kube-router",
                "v2.1.0",
            ),
            (
                workload("weave-net", &[("weaveworks/weave-kube", "2.8.1")]),
                "weave",
                "v2.8.1",
            ),
            (
                workload(
                    "rke2-multus-ds",
                    &[("rancher/hardened-multus-cni", "v4.1.4-build1")],
                ),
                "multus",
                "v4.1.4",
            ),
            (
                workload("antrea-agent", &[("antrea/antrea-agent-ubuntu", "latest")]),
                "antrea",
                "unknown",
            ),
        ];
        for (w, name, version) in cases {
            assert_eq!(
                cni(std::slice::from_ref(&w)),
                Some((name, version.to_string())),
                "{w:?}"
            );
        }
    }

    #[test]
    fn multus_yields_to_the_plugin_it_delegates_to() {
        let workloads = [
            workload(
                "rke2-multus-ds",
                &[("rancher/hardened-multus-cni", "v4.1.4")],
            ),
            workload(
                "rke2-cilium",
                &[("rancher/mirrored-cilium-cilium", "v1.16.5")],
            ),
        ];
        assert_eq!(cni(&workloads), Some(("cilium", "v1.16.5".to_string())));
    }

    #[test]
    fn an_unknown_cni_is_other_and_never_its_name() {
        let workloads = [workload(
            "aws-node",
            &[("amazon-k8s-cni", "v1.19.0"), ("acme/secret-thing", "v1")],
        )];
        assert_eq!(cni(&workloads), Some(("other", "unknown".to_string())));
        // Nothing CNI-like: the component decides (K3s: embedded flannel).
        let stock_k3s = [
            workload("coredns", &[("rancher/mirrored-coredns-coredns", "1.12.0")]),
            workload("traefik", &[("rancher/mirrored-library-traefik", "3.3.2")]),
        ];
        assert_eq!(cni(&stock_k3s), None);
        assert_eq!(
            Extended::of(&cluster(Vec::new()), CniPlugin::embedded("flannel")).cni,
            CniPlugin {
                name: "flannel",
                version: "unknown".into()
            }
        );
    }

    #[test]
    fn ingress_controllers_are_known_other_or_none() {
        let one = |name: &str, repository: &str| [workload(name, &[(repository, "v1")])];
        assert_eq!(
            ingress_controller(&one("traefik", "rancher/mirrored-library-traefik")),
            "traefik"
        );
        assert_eq!(
            ingress_controller(&one(
                "rke2-ingress-nginx-controller",
                "rancher/nginx-ingress-controller"
            )),
            "ingress-nginx"
        );
        assert_eq!(
            ingress_controller(&one("ingress-nginx-controller", "ingress-nginx/controller")),
            "ingress-nginx"
        );
        assert_eq!(
            ingress_controller(&one("haproxy-ingress", "haproxytech/kubernetes-ingress")),
            "haproxy"
        );
        assert_eq!(
            ingress_controller(&one("contour", "projectcontour/contour")),
            "contour"
        );
        assert_eq!(
            ingress_controller(&one("acme-edge-ingress", "acme/edge")),
            "other"
        );
        assert_eq!(
            ingress_controller(&one("coredns", "rancher/mirrored-coredns-coredns")),
            "none"
        );
        assert_eq!(ingress_controller(&[]), "none");
    }

    #[test]
    fn image_tags_keep_only_the_release_numbers() {
        assert_eq!(
            release_version("v3.29.1-build20250117").as_deref(),
            Some("v3.29.1")
        );
        assert_eq!(release_version("1.12.0").as_deref(), Some("v1.12.0"));
        assert_eq!(
            release_version("v1.12.0-hardened1").as_deref(),
            Some("v1.12.0")
        );
        assert_eq!(release_version("v1.16").as_deref(), Some("v1.16"));
        assert_eq!(release_version("3.3.2.1").as_deref(), Some("v3.3.2"));
        for tag in [
            "latest",
            "unknown",
            "",
            "v",
            "7",
            "acme-2024",
            "v1.",
            "1234567.1",
        ] {
            assert_eq!(release_version(tag), None, "{tag:?}");
        }
    }

    #[test]
    fn os_images_map_to_low_cardinality_ids() {
        let cases = [
            ("Ubuntu 24.04.1 LTS", "ubuntu"),
            ("Debian GNU/Linux 12 (bookworm)", "debian"),
            ("Red Hat Enterprise Linux 9.4 (Plow)", "rhel"),
            ("Rocky Linux 9.5 (Blue Onyx)", "rocky"),
            ("AlmaLinux 9.5 (Teal Serval)", "almalinux"),
            ("CentOS Stream 9", "centos"),
            ("SUSE Linux Enterprise Server 15 SP6", "sles"),
            ("SUSE Linux Micro 6.0", "sle-micro"),
            ("openSUSE Leap 15.6", "opensuse"),
            ("Fedora CoreOS 41.20250117.3.0", "fedora"),
            ("Amazon Linux 2023.6.20250115", "amzn"),
            (
                "Flatcar Container Linux by Kinvolk 4081.2.1 (Oklo)",
                "flatcar",
            ),
            ("Talos (v1.9.2)", "talos"),
            ("Acme Hardened OS 3", "other"),
            ("", "unknown"),
        ];
        for (image, id) in cases {
            assert_eq!(os_id(&node(image, "6.8.0", "amd64")), id, "{image:?}");
        }
    }

    #[test]
    fn the_cluster_os_is_the_most_common_with_ties_broken_by_name() {
        let facts = cluster(vec![
            node("SUSE Linux Enterprise Server 15 SP6", "6.4.0", "amd64"),
            node("Rocky Linux 9.5 (Blue Onyx)", "5.14.0", "arm64"),
            node("Rocky Linux 9.5 (Blue Onyx)", "5.14.0", "amd64"),
        ]);
        assert_eq!(cluster_os(&facts), "rocky");
        let tie = cluster(vec![
            node("Ubuntu 24.04.1 LTS", "6.8.0", "amd64"),
            node("Debian GNU/Linux 12 (bookworm)", "6.1.0", "amd64"),
        ]);
        assert_eq!(cluster_os(&tie), "debian");
        let mut reversed = tie.clone();
        reversed.nodes.reverse();
        assert_eq!(cluster_os(&reversed), "debian", "order does not matter");
        assert_eq!(cluster_os(&cluster(Vec::new())), "unknown");
    }

    #[test]
    fn the_cluster_kernel_is_major_minor_of_the_most_common() {
        let facts = cluster(vec![
            node("", "6.1.0-31-amd64", "amd64"),
            node("", "6.8.0-52-generic", "amd64"),
            node("", "6.8.0-51-generic", "amd64"),
        ]);
        assert_eq!(cluster_kernel(&facts), "6.8");
        let tie = cluster(vec![
            node("", "6.10.2", "amd64"),
            node("", "6.9.1", "amd64"),
        ]);
        assert_eq!(cluster_kernel(&tie), "6.9", "numeric order, lower wins");
        assert_eq!(
            kernel_major_minor("5.14.0-503.22.1.el9_5.x86_64"),
            Some((5, 14))
        );
        assert_eq!(
            cluster_kernel(&cluster(vec![node("", "", "amd64")])),
            "unknown"
        );
    }

    #[test]
    fn architectures_are_a_sorted_set() {
        let facts = cluster(vec![
            node("", "", "arm64"),
            node("", "", "amd64"),
            node("", "", "amd64"),
        ]);
        assert_eq!(cluster_architectures(&facts), "amd64,arm64");
        assert_eq!(
            cluster_architectures(&cluster(vec![node("", "", "amd64")])),
            "amd64"
        );
        assert_eq!(
            cluster_architectures(&cluster(vec![node("", "", "acme-cpu")])),
            "other"
        );
        assert_eq!(cluster_architectures(&cluster(Vec::new())), "unknown");
    }

    #[test]
    fn selinux_is_enabled_disabled_mixed_or_unknown() {
        let with = |flags: &[Option<bool>]| {
            cluster(
                flags
                    .iter()
                    .map(|flag| NodeFacts {
                        selinux: *flag,
                        ..node("", "", "amd64")
                    })
                    .collect(),
            )
        };
        assert_eq!(cluster_selinux(&with(&[Some(true), Some(true)])), "enabled");
        assert_eq!(cluster_selinux(&with(&[Some(true), None])), "enabled");
        assert_eq!(cluster_selinux(&with(&[Some(false)])), "disabled");
        assert_eq!(cluster_selinux(&with(&[Some(false), Some(true)])), "mixed");
        assert_eq!(cluster_selinux(&with(&[None, None])), "unknown");
        assert_eq!(cluster_selinux(&with(&[])), "unknown");
    }

    #[test]
    fn gpus_are_counted_by_node_and_named_by_vendor() {
        let with = |gpus: &[&[(GpuVendor, u64)]]| {
            cluster(
                gpus.iter()
                    .map(|list| NodeFacts {
                        gpus: list
                            .iter()
                            .map(|(vendor, count)| GpuResource {
                                vendor: *vendor,
                                count: *count,
                            })
                            .collect(),
                        ..node("", "", "amd64")
                    })
                    .collect(),
            )
        };
        let none = with(&[&[], &[]]);
        assert_eq!((gpu_node_count(&none), gpu_vendor(&none)), (0, "none"));
        let nvidia = with(&[&[(GpuVendor::Nvidia, 4)], &[(GpuVendor::Nvidia, 2)], &[]]);
        assert_eq!(
            (gpu_node_count(&nvidia), gpu_vendor(&nvidia)),
            (2, "nvidia")
        );
        let private = with(&[&[(GpuVendor::Other, 8)]]);
        assert_eq!(gpu_vendor(&private), "other");
        let mixed = with(&[
            &[(GpuVendor::Nvidia, 4), (GpuVendor::Other, 8)],
            &[(GpuVendor::Amd, 1)],
        ]);
        assert_eq!((gpu_node_count(&mixed), gpu_vendor(&mixed)), (2, "mixed"));
        let zero = with(&[&[(GpuVendor::Intel, 0)]]);
        assert_eq!((gpu_node_count(&zero), gpu_vendor(&zero)), (0, "none"));
    }
}
