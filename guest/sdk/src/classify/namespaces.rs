//! What the system namespaces beside kube-system say (the GPU operators,
//! Rancher) and the cluster's IP stack: the facts RKE2's security
//! responder reports, each in closed form.
//!
//! A namespace the host did not read (not asked for, or refused) makes
//! what depends on it `unknown`, never `none`.

use super::known::{GPU_OPERATOR_VERSION_IMAGES, GPU_OPERATORS, RANCHER_IMAGES};
use super::release::release_version;
use crate::facts::{namespace_read, system_workloads};
use crate::words::{NONE, UNKNOWN};
use crate::{ClusterFacts, IpStack, SystemNamespace, Workload, WorkloadImage};

/// The GPU operator a cluster runs and its version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GpuOperator {
    /// `nvidia-gpu-operator`, `amd-gpu-operator`, `intel-device-plugins`,
    /// `none` or `unknown`.
    pub name: &'static str,
    /// `v0.17.0` from the operator's device plugin or driver image (see
    /// [`release_version`]), `none` without an operator, else `unknown`.
    pub version: String,
}

/// The first image of `workloads`, in their order, whose software is one
/// of `software`.
fn first_image<'a>(
    workloads: impl IntoIterator<Item = &'a Workload>,
    software: &[&str],
) -> Option<&'a WorkloadImage> {
    workloads
        .into_iter()
        .flat_map(|workload| workload.images.iter())
        .find(|image| {
            software
                .iter()
                .any(|name| image.software.eq_ignore_ascii_case(name))
        })
}

/// The GPU operator: the first of NVIDIA's (any workload in
/// gpu-operator), AMD's (kube-amd-gpu) and Intel's device plugins operator
/// (inteldeviceplugins-system) that runs, with the release of the first
/// image in its namespace whose software is a device plugin or driver
/// (`nvidia-device-plugin`, `nvidia-driver`, `amd-device-plugin`,
/// `intel-gpu-plugin`), as the Go client reports its device plugin's or
/// driver's image tag; `unknown` when no such image carries a release.
/// Nothing found is `none` when the three namespaces were read, else
/// `unknown`.
pub fn gpu_operator(facts: &ClusterFacts) -> GpuOperator {
    for (namespace, name) in GPU_OPERATORS {
        if system_workloads(facts, *namespace).next().is_none() {
            continue;
        }
        let version = first_image(
            system_workloads(facts, *namespace),
            GPU_OPERATOR_VERSION_IMAGES,
        )
        .and_then(|image| release_version(&image.version))
        .unwrap_or_else(|| UNKNOWN.to_string());
        return GpuOperator { name, version };
    }
    let nothing = if GPU_OPERATORS
        .iter()
        .all(|(namespace, _)| namespace_read(facts, *namespace))
    {
        NONE
    } else {
        UNKNOWN
    };
    GpuOperator {
        name: nothing,
        version: nothing.to_string(),
    }
}

/// Whether Rancher manages the cluster, and which minor.
///
/// Only whether and which minor: the Go client also sends Rancher's
/// installation UUID, an identifier shared by every cluster one Rancher
/// manages, which would link their reports together. It is never read,
/// handed over or sent here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rancher {
    /// `true`, `false` or `unknown`.
    pub managed: &'static str,
    /// The minor of the Rancher image's release (`v2.10` of `v2.10.3`),
    /// `none` when not managed, else `unknown`.
    pub version: String,
}

/// `v2.10` of a tag `v2.10.3`: the minor of its [`release_version`].
fn release_minor(tag: &str) -> Option<String> {
    let release = release_version(tag)?;
    Some(release.split('.').take(2).collect::<Vec<_>>().join("."))
}

/// Rancher, from the cattle-system Deployments: managed (`true`) when one
/// runs an image of software `rancher` (Rancher Manager) or
/// `rancher-agent` (a downstream cluster's agent), its version the minor of
/// that image's release, `rancher` preferred; `false` and `none` when
/// cattle-system was read and holds no workload at all; `unknown` when it
/// was not read, or holds workloads but neither image (`rancher-webhook`
/// alone, or software the host could not name).
pub fn rancher(facts: &ClusterFacts) -> Rancher {
    let unknown = || Rancher {
        managed: UNKNOWN,
        version: UNKNOWN.to_string(),
    };
    let namespace = SystemNamespace::CattleSystem;
    if !namespace_read(facts, namespace) {
        return unknown();
    }
    if system_workloads(facts, namespace).next().is_none() {
        return Rancher {
            managed: "false",
            version: NONE.to_string(),
        };
    }
    RANCHER_IMAGES
        .iter()
        .find_map(|software| first_image(system_workloads(facts, namespace), &[*software]))
        .map_or_else(unknown, |image| Rancher {
            managed: "true",
            version: release_minor(&image.version).unwrap_or_else(|| UNKNOWN.to_string()),
        })
}

/// The cluster's service IP stack, in the Go client's words: `ipv4-only`,
/// `ipv6-only`, `dual-stack`, or `unknown` (not read, or the `kubernetes`
/// Service names no family).
pub fn ip_stack(facts: &ClusterFacts) -> &'static str {
    match facts.ip_stack {
        IpStack::Ipv4 => "ipv4-only",
        IpStack::Ipv6 => "ipv6-only",
        IpStack::DualStack => "dual-stack",
        IpStack::Unknown => UNKNOWN,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::test_facts::{
        cluster, deployment, in_namespaces, running, unread_namespaces, workload,
    };
    use SystemNamespace::{
        CattleSystem, GpuOperator as Nvidia, InteldevicepluginsSystem, KubeAmdGpu,
    };

    const GPU_NAMESPACES: [SystemNamespace; 3] = [Nvidia, KubeAmdGpu, InteldevicepluginsSystem];

    fn operator(facts: &ClusterFacts) -> (&'static str, String) {
        let found = gpu_operator(facts);
        (found.name, found.version)
    }

    fn nvidia() -> (SystemNamespace, Workload) {
        (
            Nvidia,
            workload(
                "nvidia-gpu-operator",
                &[
                    ("nvidia-driver", "550.127.08"),
                    ("nvidia-device-plugin", "v0.17.0"),
                ],
            ),
        )
    }

    fn amd() -> (SystemNamespace, Workload) {
        (
            KubeAmdGpu,
            workload("amd-device-plugin", &[("amd-device-plugin", "1.31.0.2")]),
        )
    }

    fn intel() -> (SystemNamespace, Workload) {
        (
            InteldevicepluginsSystem,
            workload("intel-gpu-plugin", &[("intel-gpu-plugin", "0.32.0")]),
        )
    }

    #[test]
    fn gpu_operators_are_named_by_their_namespace_in_priority_order() {
        assert_eq!(
            operator(&in_namespaces(vec![nvidia()])),
            ("nvidia-gpu-operator", "v550.127.08".into()),
            "the first image of a device plugin or driver: here the driver"
        );
        assert_eq!(
            operator(&in_namespaces(vec![amd()])),
            ("amd-gpu-operator", "v1.31.0".into())
        );
        assert_eq!(
            operator(&in_namespaces(vec![intel()])),
            ("intel-device-plugins", "v0.32.0".into())
        );
        assert_eq!(
            operator(&in_namespaces(vec![intel(), amd(), nvidia()])),
            ("nvidia-gpu-operator", "v550.127.08".into())
        );
        assert_eq!(
            operator(&in_namespaces(vec![intel(), amd()])),
            ("amd-gpu-operator", "v1.31.0".into())
        );
    }

    #[test]
    fn a_gpu_operator_found_nowhere_is_none_only_when_all_three_were_read() {
        let nothing = cluster(Vec::new());
        assert_eq!(operator(&nothing), ("none", "none".into()));
        // Device plugins in kube-system are no operator.
        let kube_system = running(vec![workload(
            "nvidia-device-plugin",
            &[("nvidia-device-plugin", "v0.17.0")],
        )]);
        assert_eq!(operator(&kube_system), ("none", "none".into()));
        for namespace in GPU_NAMESPACES {
            assert_eq!(
                operator(&unread_namespaces(nothing.clone(), &[namespace])),
                ("unknown", "unknown".into()),
                "{namespace:?} unread: never none"
            );
        }
        // What was read still counts.
        let amd_only = unread_namespaces(in_namespaces(vec![amd()]), &[Nvidia]);
        assert_eq!(operator(&amd_only), ("amd-gpu-operator", "v1.31.0".into()));
        // The other namespaces do not matter.
        let rancher_unread = unread_namespaces(nothing, &[CattleSystem]);
        assert_eq!(operator(&rancher_unread), ("none", "none".into()));
    }

    #[test]
    fn other_words_in_a_gpu_namespace_are_its_operator_without_a_version() {
        // Any workload in gpu-operator is NVIDIA's operator (the namespace is
        // the operator's), but only a device plugin's or driver's image
        // gives the version: the operator's own image, `other` or a digest
        // does not.
        let cases = [
            workload("other", &[("other", "v24.9.2")]),
            workload("nvidia-gpu-operator", &[("nvidia-gpu-operator", "v24.9.2")]),
            workload(
                "nvidia-device-plugin",
                &[("nvidia-device-plugin", "unknown")],
            ),
            workload("other", &[]),
        ];
        for found in cases {
            assert_eq!(
                operator(&in_namespaces(vec![(Nvidia, found.clone())])),
                ("nvidia-gpu-operator", "unknown".into()),
                "{found:?}"
            );
        }
        // The first matching image counts, in the workloads' order.
        let two = in_namespaces(vec![
            (Nvidia, workload("other", &[("other", "9.9.9")])),
            (
                Nvidia,
                workload(
                    "nvidia-device-plugin",
                    &[("nvidia-device-plugin", "v0.17.0")],
                ),
            ),
            (
                Nvidia,
                workload("nvidia-driver", &[("nvidia-driver", "550.127.08")]),
            ),
        ]);
        assert_eq!(operator(&two), ("nvidia-gpu-operator", "v0.17.0".into()));
    }

    fn managed(facts: &ClusterFacts) -> (&'static str, String) {
        let found = rancher(facts);
        (found.managed, found.version)
    }

    fn cattle(workloads: &[(&str, &str, &str)]) -> ClusterFacts {
        in_namespaces(
            workloads
                .iter()
                .map(|(software, image, version)| {
                    (CattleSystem, deployment(software, &[(image, version)]))
                })
                .collect(),
        )
    }

    #[test]
    fn rancher_manages_the_cluster_when_cattle_system_runs_its_image() {
        let cases = [
            // Rancher Manager's own cluster.
            (
                cattle(&[
                    ("rancher", "rancher", "v2.10.3"),
                    ("rancher-webhook", "rancher-webhook", "v0.6.4"),
                ]),
                ("true", "v2.10"),
            ),
            // A downstream cluster: the agent carries Rancher's release.
            (
                cattle(&[("rancher-agent", "rancher-agent", "v2.9.6")]),
                ("true", "v2.9"),
            ),
            // Rancher preferred over the agent, whatever the order.
            (
                cattle(&[
                    ("rancher-agent", "rancher-agent", "v2.9.6"),
                    ("rancher", "rancher", "v2.10.3"),
                ]),
                ("true", "v2.10"),
            ),
            // Known by its image, whatever the workload's name.
            (
                cattle(&[("other", "rancher", "v2.11.0-rc3")]),
                ("true", "v2.11"),
            ),
            // A digest-only or unnumbered image: managed, minor unknown.
            (
                cattle(&[("rancher", "rancher", "unknown")]),
                ("true", "unknown"),
            ),
            (
                cattle(&[("rancher", "rancher", "head")]),
                ("true", "unknown"),
            ),
            // Read and empty.
            (cattle(&[]), ("false", "none")),
            // Workloads but neither image: the webhook alone, or software
            // the host could not name, or Rancher known by name only.
            (
                cattle(&[("rancher-webhook", "rancher-webhook", "v0.6.4")]),
                ("unknown", "unknown"),
            ),
            (
                cattle(&[("other", "other", "v2.10.3")]),
                ("unknown", "unknown"),
            ),
            (
                cattle(&[("rancher", "other", "v2.10.3")]),
                ("unknown", "unknown"),
            ),
        ];
        for (facts, (sent, version)) in cases {
            assert_eq!(
                managed(&facts),
                (sent, version.to_string()),
                "{:?}",
                facts.system_workloads
            );
        }
    }

    #[test]
    fn rancher_is_unknown_when_cattle_system_was_not_read_never_false() {
        let empty = cattle(&[]);
        assert_eq!(managed(&empty), ("false", "none".into()));
        assert_eq!(
            managed(&unread_namespaces(empty.clone(), &[CattleSystem])),
            ("unknown", "unknown".into())
        );
        // Rancher images elsewhere say nothing.
        let elsewhere = ClusterFacts {
            kube_system_workloads: vec![deployment("rancher", &[("rancher", "v2.10.3")])],
            ..in_namespaces(vec![(
                Nvidia,
                workload("rancher-agent", &[("rancher-agent", "v2.10.3")]),
            )])
        };
        assert_eq!(managed(&elsewhere), ("false", "none".into()));
        // Other namespaces unread do not matter.
        assert_eq!(
            managed(&unread_namespaces(empty, &GPU_NAMESPACES)),
            ("false", "none".into())
        );
    }

    #[test]
    fn the_ip_stack_is_sent_in_the_go_clients_words() {
        for (stack, sent) in [
            (IpStack::Ipv4, "ipv4-only"),
            (IpStack::Ipv6, "ipv6-only"),
            (IpStack::DualStack, "dual-stack"),
            (IpStack::Unknown, "unknown"),
        ] {
            let facts = ClusterFacts {
                ip_stack: stack,
                ..cluster(Vec::new())
            };
            assert_eq!(ip_stack(&facts), sent);
        }
    }
}
