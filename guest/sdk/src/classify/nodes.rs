//! The cluster's OS, kernel, architectures, SELinux and GPUs, summarised
//! across its nodes.

use std::collections::BTreeMap;

use super::known::{ARCHITECTURES, OS_IDS};
use crate::words::{MIXED, NONE, OTHER, UNKNOWN};
use crate::{ClusterFacts, GpuVendor, NodeFacts};

/// The OS id of one node: from `OS_IDS` (`known.rs`), `other`, or `unknown` when the
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::GpuResource;
    use crate::classify::test_facts::{cluster, node};

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
