//! The cluster's OS, kernel, architectures, SELinux and GPUs, summarised
//! across its nodes.

use std::collections::BTreeMap;

use super::known::{ARCHITECTURES, OS_IDS};
use crate::facts::count_nodes;
use crate::words::{MIXED, NONE, OTHER, UNKNOWN};
use crate::{ClusterFacts, GpuVendor, NodeFacts};

/// The OS id of one node as the payload sends it: the host's id when it is
/// one of `OS_IDS` (`known.rs`), `unknown` when the node reports none,
/// `other` for any other id.
pub fn os_id(node: &NodeFacts) -> &'static str {
    let id = node.os_id.trim();
    if id.is_empty() || id == UNKNOWN {
        // A Windows node reports no `osImage` the host can name.
        return if node.operating_system.eq_ignore_ascii_case("windows") {
            "windows"
        } else {
            UNKNOWN
        };
    }
    OS_IDS
        .iter()
        .find(|known| id.eq_ignore_ascii_case(known))
        .copied()
        .unwrap_or(OTHER)
}

/// The most common value across the node groups, each weighed by its
/// count, ties broken by the smallest in `Ord` order (so the answer does
/// not depend on the order or the grouping of the nodes).
fn most_common<T: Ord>(weighed: impl IntoIterator<Item = (T, u32)>) -> Option<T> {
    let mut counts: BTreeMap<T, u64> = BTreeMap::new();
    for (value, count) in weighed {
        *counts.entry(value).or_default() += u64::from(count);
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
    most_common(
        facts
            .node_groups
            .iter()
            .map(|group| (os_id(&group.facts), group.count)),
    )
    .unwrap_or(UNKNOWN)
}

/// `major.minor` of a kernel version: `6.8` -> `(6, 8)` (a longer build
/// string reads the same: `6.8.0-52-generic` -> `(6, 8)`).
pub fn kernel_major_minor(kernel: &str) -> Option<(u64, u64)> {
    let mut parts = kernel.trim().split(|c: char| !c.is_ascii_digit());
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor))
}

/// The cluster's kernel: the most common `major.minor` across nodes, ties
/// broken by the lower version; `unknown` when no node reports one.
pub fn cluster_kernel(facts: &ClusterFacts) -> String {
    most_common(facts.node_groups.iter().filter_map(|group| {
        kernel_major_minor(&group.facts.kernel_version).map(|version| (version, group.count))
    }))
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
        .node_groups
        .iter()
        .map(|group| {
            let arch = group.facts.architecture.trim();
            if arch.is_empty() || arch == UNKNOWN {
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
    let known: Vec<bool> = facts
        .node_groups
        .iter()
        .filter_map(|group| group.facts.selinux)
        .collect();
    match (known.iter().any(|on| *on), known.iter().any(|on| !*on)) {
        (false, false) => UNKNOWN,
        (true, false) => "enabled",
        (false, true) => "disabled",
        (true, true) => MIXED,
    }
}

/// Nodes with at least one allocatable GPU.
pub fn gpu_node_count(facts: &ClusterFacts) -> u64 {
    count_nodes(facts, |node| node.gpus.iter().any(|gpu| gpu.count > 0))
}

/// The GPU vendor across the cluster: `nvidia`, `amd`, `intel`, `other`
/// (a GPU resource under another domain), `mixed` when more than one of
/// those appears, `none` without GPUs.
pub fn gpu_vendor(facts: &ClusterFacts) -> &'static str {
    let mut vendors: Vec<&'static str> = facts
        .node_groups
        .iter()
        .flat_map(|group| group.facts.gpus.iter())
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
    use crate::classify::test_facts::{cluster, cluster_of, group, node};

    #[test]
    fn os_ids_are_sent_when_named_and_other_when_not() {
        let cases = [
            ("ubuntu", "linux", "ubuntu"),
            ("debian", "linux", "debian"),
            ("rhel", "linux", "rhel"),
            ("rocky", "linux", "rocky"),
            ("sles", "linux", "sles"),
            ("sle-micro", "linux", "sle-micro"),
            ("opensuse", "linux", "opensuse"),
            ("talos", "linux", "talos"),
            ("rhcos", "linux", "rhcos"),
            ("azurelinux", "linux", "azurelinux"),
            ("other", "linux", "other"),
            ("acme-hardened", "linux", "other"),
            ("unknown", "linux", "unknown"),
            ("", "linux", "unknown"),
            ("unknown", "windows", "windows"),
            ("windows", "windows", "windows"),
        ];
        for (id, system, sent) in cases {
            let facts = NodeFacts {
                operating_system: system.to_string(),
                ..node(id, "6.8", "amd64")
            };
            assert_eq!(os_id(&facts), sent, "{id:?} on {system}");
        }
    }

    #[test]
    fn the_cluster_os_is_the_most_common_node_with_ties_broken_by_name() {
        let facts = cluster(vec![
            node("sles", "6.4", "amd64"),
            node("rocky", "5.14", "arm64"),
            node("rocky", "5.14", "amd64"),
        ]);
        assert_eq!(cluster_os(&facts), "rocky");
        let tie = cluster(vec![
            node("ubuntu", "6.8", "amd64"),
            node("debian", "6.1", "amd64"),
        ]);
        assert_eq!(cluster_os(&tie), "debian");
        let mut reversed = tie.clone();
        reversed.node_groups.reverse();
        assert_eq!(cluster_os(&reversed), "debian", "order does not matter");
        assert_eq!(cluster_os(&cluster(Vec::new())), "unknown");
    }

    #[test]
    fn most_common_counts_nodes_not_groups() {
        // One group of five Ubuntu nodes outweighs three groups of one
        // Debian node each (they differ in architecture).
        let facts = cluster_of(vec![
            group(node("ubuntu", "6.8", "amd64"), 5),
            group(node("debian", "6.1", "amd64"), 1),
            group(node("debian", "6.1", "arm64"), 1),
            group(node("debian", "6.1", "arm"), 1),
        ]);
        assert_eq!(cluster_os(&facts), "ubuntu");
        assert_eq!(cluster_kernel(&facts), "6.8");
    }

    #[test]
    fn the_cluster_kernel_is_the_most_common_major_minor() {
        let facts = cluster(vec![
            node("", "6.1", "amd64"),
            node("", "6.8", "amd64"),
            node("", "6.8", "amd64"),
        ]);
        assert_eq!(cluster_kernel(&facts), "6.8");
        let tie = cluster(vec![node("", "6.10", "amd64"), node("", "6.9", "amd64")]);
        assert_eq!(cluster_kernel(&tie), "6.9", "numeric order, lower wins");
        assert_eq!(kernel_major_minor("5.14"), Some((5, 14)));
        assert_eq!(
            kernel_major_minor("5.14.0-503.22.1.el9_5.x86_64"),
            Some((5, 14)),
            "a longer string reads the same"
        );
        for unreadable in ["", "unknown", "6"] {
            assert_eq!(
                cluster_kernel(&cluster(vec![node("", unreadable, "amd64")])),
                "unknown",
                "{unreadable:?}"
            );
        }
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
        let gpu_node = |gpus: &[(GpuVendor, u64)]| NodeFacts {
            gpus: gpus
                .iter()
                .map(|(vendor, count)| GpuResource {
                    vendor: *vendor,
                    count: *count,
                })
                .collect(),
            ..node("", "", "amd64")
        };
        let with = |gpus: &[&[(GpuVendor, u64)]]| {
            cluster(gpus.iter().map(|list| gpu_node(list)).collect())
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
        let grouped = cluster_of(vec![
            group(gpu_node(&[(GpuVendor::Nvidia, 8)]), 12),
            group(gpu_node(&[]), 30),
        ]);
        assert_eq!(gpu_node_count(&grouped), 12, "a group counts its nodes");
    }
}
