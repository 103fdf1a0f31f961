//! The cluster's OS, kernel, architectures, SELinux, GPUs, operating
//! system, node consistency and allocatable resources, summarised across
//! its nodes.

use std::collections::BTreeMap;

use super::known::{ARCHITECTURES, OS_IDS};
use crate::facts::{count_nodes, is_server};
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

/// The nodes' operating system (`status.nodeInfo.operatingSystem`):
/// `linux`, `windows` or `other` (anything else the host names so) when
/// every node that reports one runs the same, `mixed` when they differ,
/// `unknown` without nodes or when no node reports one.
pub fn cluster_operating_system(facts: &ClusterFacts) -> &'static str {
    let mut systems: Vec<&'static str> = facts
        .node_groups
        .iter()
        .map(|group| {
            let system = group.facts.operating_system.trim();
            if system.eq_ignore_ascii_case("linux") {
                "linux"
            } else if system.eq_ignore_ascii_case("windows") {
                "windows"
            } else if system.is_empty() || system.eq_ignore_ascii_case(UNKNOWN) {
                UNKNOWN
            } else {
                OTHER
            }
        })
        .filter(|system| *system != UNKNOWN)
        .collect();
    systems.sort_unstable();
    systems.dedup();
    match systems.as_slice() {
        [] => UNKNOWN,
        [one] => one,
        _ => MIXED,
    }
}

/// Whether every node runs the same system: `true` when all node groups
/// have the same operating system, OS id, OS version, kernel version and
/// architecture (the Go client's "node info consistent"), `false` when
/// any of those differs, `unknown` without nodes. The groups' other facts
/// (roles, sizes, GPUs) may differ.
pub fn node_info_consistent(facts: &ClusterFacts) -> &'static str {
    let mut infos = facts.node_groups.iter().map(|group| {
        let node = &group.facts;
        (
            &node.operating_system,
            &node.os_id,
            &node.os_version,
            &node.kernel_version,
            &node.architecture,
        )
    });
    let Some(first) = infos.next() else {
        return UNKNOWN;
    };
    if infos.all(|info| info == first) {
        "true"
    } else {
        "false"
    }
}

/// Allocatable CPU and memory, summed per role: servers (the
/// `control-plane` or `master` role, as [`is_server`] says) and agents.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RoleResources {
    /// Whole cores (each node's `status.allocatable.cpu`, rounded by the
    /// host).
    pub server_cpu_cores: u64,
    pub agent_cpu_cores: u64,
    /// Whole GiB (each node's `status.allocatable.memory`, rounded by the
    /// host).
    pub server_memory_gib: u64,
    pub agent_memory_gib: u64,
}

/// The allocatable cores and GiB of the servers and of the agents: each
/// node group's facts times its count, so one group of 5000 nodes and
/// 5000 groups of one sum alike.
pub fn role_resources(facts: &ClusterFacts) -> RoleResources {
    let mut sums = RoleResources::default();
    for group in &facts.node_groups {
        let count = u64::from(group.count);
        let cores = u64::from(group.facts.allocatable_cpu_cores) * count;
        let gib = u64::from(group.facts.allocatable_memory_gib) * count;
        let (cpu, memory) = if is_server(&group.facts) {
            (&mut sums.server_cpu_cores, &mut sums.server_memory_gib)
        } else {
            (&mut sums.agent_cpu_cores, &mut sums.agent_memory_gib)
        };
        *cpu = cpu.saturating_add(cores);
        *memory = memory.saturating_add(gib);
    }
    sums
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::test_facts::{cluster, cluster_of, group, node};
    use crate::{GpuResource, NodeRole};

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

    fn on(system: &str) -> NodeFacts {
        NodeFacts {
            operating_system: system.to_string(),
            ..node("ubuntu", "6.8", "amd64")
        }
    }

    #[test]
    fn the_operating_system_is_one_word_or_mixed() {
        let with = |systems: &[&str]| cluster(systems.iter().map(|s| on(s)).collect());
        assert_eq!(
            cluster_operating_system(&with(&["linux", "linux"])),
            "linux"
        );
        assert_eq!(cluster_operating_system(&with(&["windows"])), "windows");
        assert_eq!(cluster_operating_system(&with(&["Linux"])), "linux");
        assert_eq!(
            cluster_operating_system(&with(&["linux", "windows"])),
            "mixed"
        );
        // The host's `other` (a system outside its set), and text it would
        // never hand over, are `other`: never the text.
        assert_eq!(cluster_operating_system(&with(&["other"])), "other");
        assert_eq!(cluster_operating_system(&with(&["acme-os"])), "other");
        assert_eq!(
            cluster_operating_system(&with(&["other", "linux"])),
            "mixed"
        );
        // A node that does not say is left out.
        assert_eq!(
            cluster_operating_system(&with(&["unknown", "linux"])),
            "linux"
        );
        assert_eq!(cluster_operating_system(&with(&["unknown"])), "unknown");
        assert_eq!(cluster_operating_system(&with(&[])), "unknown");
    }

    #[test]
    fn node_info_is_consistent_when_every_group_runs_the_same_system() {
        let server = NodeFacts {
            roles: vec![NodeRole::ControlPlane],
            allocatable_cpu_cores: 8,
            ..node("ubuntu", "6.8", "amd64")
        };
        let gpu_agent = NodeFacts {
            gpus: vec![GpuResource {
                vendor: GpuVendor::Nvidia,
                count: 4,
            }],
            selinux: Some(true),
            ..node("ubuntu", "6.8", "amd64")
        };
        // Roles, sizes, GPUs and SELinux may differ.
        let same = cluster_of(vec![group(server.clone(), 3), group(gpu_agent.clone(), 5)]);
        assert_eq!(node_info_consistent(&same), "true");
        assert_eq!(
            node_info_consistent(&cluster_of(vec![group(server.clone(), 5000)])),
            "true"
        );
        let differ: [fn(&mut NodeFacts); 5] = [
            |n| n.operating_system = "windows".into(),
            |n| n.os_id = "debian".into(),
            |n| n.os_version = "24.04".into(),
            |n| n.kernel_version = "6.11".into(),
            |n| n.architecture = "arm64".into(),
        ];
        for change in differ {
            let mut other = gpu_agent.clone();
            change(&mut other);
            let facts = cluster_of(vec![group(server.clone(), 3), group(other, 1)]);
            assert_eq!(node_info_consistent(&facts), "false", "{facts:?}");
        }
        assert_eq!(node_info_consistent(&cluster(Vec::new())), "unknown");
    }

    #[test]
    fn cores_and_gib_are_summed_per_role_over_groups_times_counts() {
        let server = NodeFacts {
            roles: vec![NodeRole::ControlPlane, NodeRole::Etcd],
            allocatable_cpu_cores: 8,
            allocatable_memory_gib: 31,
            ..node("ubuntu", "6.8", "amd64")
        };
        let old_server = NodeFacts {
            roles: vec![NodeRole::Master],
            allocatable_cpu_cores: 2,
            allocatable_memory_gib: 3,
            ..node("ubuntu", "6.8", "amd64")
        };
        let agent = NodeFacts {
            roles: vec![NodeRole::Worker, NodeRole::Other],
            allocatable_cpu_cores: 16,
            allocatable_memory_gib: 63,
            ..node("debian", "6.1", "amd64")
        };
        let grouped = cluster_of(vec![
            group(server.clone(), 3),
            group(old_server.clone(), 1),
            group(agent.clone(), 2000),
        ]);
        let mut one_by_one = vec![server; 3];
        one_by_one.push(old_server);
        one_by_one.extend(vec![agent; 2000]);
        let expected = RoleResources {
            server_cpu_cores: 3 * 8 + 2,
            agent_cpu_cores: 2000 * 16,
            server_memory_gib: 3 * 31 + 3,
            agent_memory_gib: 2000 * 63,
        };
        assert_eq!(role_resources(&grouped), expected);
        assert_eq!(role_resources(&cluster(one_by_one)), expected);
        assert_eq!(
            role_resources(&cluster(Vec::new())),
            RoleResources::default()
        );
        // The largest sizes the contract carries do not overflow.
        let huge = NodeFacts {
            allocatable_cpu_cores: u32::MAX,
            allocatable_memory_gib: u32::MAX,
            ..node("", "", "amd64")
        };
        let sums = role_resources(&cluster_of(vec![group(huge, u32::MAX)]));
        assert_eq!(
            sums.agent_cpu_cores,
            u64::from(u32::MAX) * u64::from(u32::MAX)
        );
    }
}
