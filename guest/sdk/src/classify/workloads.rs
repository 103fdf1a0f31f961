//! Which CNI plugin and ingress controller a cluster runs, and their
//! versions, from the software names the host gives its kube-system
//! workloads (and, for RKE2's calico, the calico-system and
//! tigera-operator ones) and their images.

use super::known::{CNI_HINTS, CNI_PLUGINS, CNI_VERSION_IMAGE, INGRESS_CONTROLLERS, INGRESS_HINTS};
use super::release::release_version;
use crate::facts::{namespace_read, system_workloads, workloads_read};
use crate::words::{NONE, OTHER, UNKNOWN};
use crate::{ClusterFacts, SystemNamespace, Workload, WorkloadKind};

/// The CNI plugin of a cluster and its version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CniPlugin {
    /// A name from `CNI_PLUGINS` (`known.rs`), `other`, or `unknown`.
    pub name: &'static str,
    /// `v3.29.1` from the plugin's image version (see [`release_version`]),
    /// or `unknown`.
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

/// The software names a workload is matched on: its own and its images'.
/// They come from the host's software list (or are `other`), never as the
/// cluster spelled them.
fn software_names(workload: &Workload) -> impl Iterator<Item = &str> {
    std::iter::once(workload.software.as_str())
        .chain(workload.images.iter().map(|image| image.software.as_str()))
}

fn is_named(workload: &Workload, name: &str) -> bool {
    software_names(workload).any(|software| software.eq_ignore_ascii_case(name))
}

/// A software name from the host's list that hints at a kind (`aws-vpc-cni`
/// for a CNI plugin) without being one the payload names: sent as `other`.
fn hints_at(workload: &Workload, hints: &[&str]) -> bool {
    software_names(workload).any(|software| {
        let software = software.to_ascii_lowercase();
        hints.iter().any(|hint| software.contains(hint))
    })
}

/// The CNI plugin the kube-system workloads show, if any: a known name, or
/// `other` for software whose name hints at a CNI plugin we do not name.
fn cni_in(workloads: &[Workload]) -> Option<CniPlugin> {
    for name in CNI_PLUGINS {
        let Some(workload) = workloads.iter().find(|w| is_named(w, name)) else {
            continue;
        };
        let version_software = CNI_VERSION_IMAGE
            .iter()
            .find(|(plugin, _)| plugin == name)
            .map_or(*name, |(_, image)| *image);
        let version = workloads
            .iter()
            .flat_map(|w| w.images.iter())
            .find(|image| image.software.eq_ignore_ascii_case(version_software))
            .or_else(|| {
                // The plugin was known by its workload name only: its first
                // image is the plugin's.
                workload.images.first()
            })
            .and_then(|image| release_version(&image.version))
            .unwrap_or_else(|| UNKNOWN.to_string());
        return Some(CniPlugin { name, version });
    }
    workloads
        .iter()
        .any(|workload| hints_at(workload, CNI_HINTS))
        .then(|| CniPlugin::embedded(OTHER))
}

/// Calico as RKE2 runs it (its `calico` CNI option) and as the Tigera
/// operator installs it anywhere: the operator's Deployment in
/// tigera-operator, calico-node as a DaemonSet in calico-system. The
/// version is calico-node's: the first image of software `calico` in
/// calico-system (the operator's own image carries the operator's release,
/// not calico's). A workload there whose software is not `calico` (an
/// `other` the host could not name) shows nothing.
fn calico_in_system_namespaces(facts: &ClusterFacts) -> Option<CniPlugin> {
    let calico = "calico";
    let found = [
        SystemNamespace::CalicoSystem,
        SystemNamespace::TigeraOperator,
    ]
    .into_iter()
    .flat_map(|namespace| system_workloads(facts, namespace))
    .any(|workload| is_named(workload, calico));
    if !found {
        return None;
    }
    let version = system_workloads(facts, SystemNamespace::CalicoSystem)
        .flat_map(|workload| workload.images.iter())
        .find(|image| image.software.eq_ignore_ascii_case(calico))
        .and_then(|image| release_version(&image.version))
        .unwrap_or_else(|| UNKNOWN.to_string());
    Some(CniPlugin {
        name: calico,
        version,
    })
}

/// The cluster's CNI plugin: the one its kube-system workloads show; else
/// calico when the Tigera operator runs it (calico-system, tigera-operator:
/// where RKE2 runs its `calico`); when none does, `without_workload` (what
/// the distribution runs then: K3s its embedded flannel) if the DaemonSets
/// and both calico namespaces were read, else `unknown` (a CNI plugin runs
/// as a DaemonSet, and calico in those namespaces, which the host could
/// not or was not asked to read).
pub fn cni_plugin(facts: &ClusterFacts, without_workload: CniPlugin) -> CniPlugin {
    cni_in(&facts.kube_system_workloads)
        .or_else(|| calico_in_system_namespaces(facts))
        .unwrap_or_else(|| {
            let all_read = workloads_read(facts, WorkloadKind::DaemonSet)
                && namespace_read(facts, SystemNamespace::CalicoSystem)
                && namespace_read(facts, SystemNamespace::TigeraOperator);
            if all_read {
                without_workload
            } else {
                CniPlugin::embedded(UNKNOWN)
            }
        })
}

/// The ingress controller the kube-system workloads show, if any.
fn ingress_in(workloads: &[Workload]) -> Option<&'static str> {
    INGRESS_CONTROLLERS
        .iter()
        .find(|name| workloads.iter().any(|w| is_named(w, name)))
        .copied()
        .or_else(|| {
            workloads
                .iter()
                .any(|workload| hints_at(workload, INGRESS_HINTS))
                .then_some(OTHER)
        })
}

/// The ingress controller: a known name, `other` for software whose name
/// hints at an ingress controller or gateway we do not name, `none` when
/// neither kind of workload shows one, and `unknown` when nothing was found
/// but a kind was not read (K3s runs traefik as a Deployment, RKE2 its
/// ingress-nginx as a DaemonSet).
pub fn ingress_controller(facts: &ClusterFacts) -> &'static str {
    let nothing_found = if facts.unread_workloads.is_empty() {
        NONE
    } else {
        UNKNOWN
    };
    ingress_in(&facts.kube_system_workloads).unwrap_or(nothing_found)
}

/// The release of the ingress controller [`ingress_controller`] names: the
/// version of the first kube-system image whose software is that
/// controller, by the rule of the CNI plugin's version
/// ([`release_version`]: `v1.12.0-hardened1` is `v1.12.0`); `none` when
/// the controller is `none`; `unknown` when it is `other` or `unknown`, or
/// no image of its software carries a release.
pub fn ingress_version(facts: &ClusterFacts) -> String {
    let controller = ingress_controller(facts);
    if controller == NONE {
        return NONE.to_string();
    }
    if controller == OTHER || controller == UNKNOWN {
        return UNKNOWN.to_string();
    }
    facts
        .kube_system_workloads
        .iter()
        .flat_map(|workload| workload.images.iter())
        .find(|image| image.software.eq_ignore_ascii_case(controller))
        .and_then(|image| release_version(&image.version))
        .unwrap_or_else(|| UNKNOWN.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::test_facts::{
        deployment, in_namespaces, running, unread_namespaces, workload,
    };

    fn cni(workloads: Vec<Workload>) -> (&'static str, String) {
        let plugin = cni_plugin(&running(workloads), CniPlugin::embedded("flannel"));
        (plugin.name, plugin.version)
    }

    fn unread(mut facts: ClusterFacts, kinds: &[WorkloadKind]) -> ClusterFacts {
        facts
            .kube_system_workloads
            .retain(|w| !kinds.contains(&w.kind));
        facts.unread_workloads = kinds.to_vec();
        facts
    }

    #[test]
    fn canal_wins_over_the_calico_and_flannel_images_it_runs() {
        let rke2_canal = workload("canal", &[("calico", "v3.29.1"), ("flannel", "v0.26.3")]);
        assert_eq!(cni(vec![rke2_canal]), ("canal", "v3.29.1".to_string()));
    }

    #[test]
    fn known_cni_plugins_are_named_with_their_image_version() {
        let cases = [
            (
                workload("calico", &[("calico", "v3.28.0")]),
                "calico",
                "v3.28.0",
            ),
            (
                workload("cilium", &[("cilium", "v1.16.5")]),
                "cilium",
                "v1.16.5",
            ),
            (
                workload("flannel", &[("flannel", "v0.26.1")]),
                "flannel",
                "v0.26.1",
            ),
            (
                workload("kube-router", &[("kube-router", "v2.1.0")]),
                "kube-router",
                "v2.1.0",
            ),
            (workload("weave", &[("weave", "2.8.1")]), "weave", "v2.8.1"),
            (
                workload("kube-ovn", &[("kube-ovn", "v1.13.2")]),
                "kube-ovn",
                "v1.13.2",
            ),
            (
                workload("multus", &[("multus", "v4.1.4")]),
                "multus",
                "v4.1.4",
            ),
            (
                workload("antrea", &[("antrea", "unknown")]),
                "antrea",
                "unknown",
            ),
            // Known by the image only: a workload name the host did not know.
            (
                workload("other", &[("calico", "v3.28.0")]),
                "calico",
                "v3.28.0",
            ),
            // Known by the workload only: its first image carries the version.
            (
                workload("cilium", &[("other", "1.16.5")]),
                "cilium",
                "v1.16.5",
            ),
        ];
        for (w, name, version) in cases {
            assert_eq!(cni(vec![w.clone()]), (name, version.to_string()), "{w:?}");
        }
    }

    #[test]
    fn multus_yields_to_the_plugin_it_delegates_to() {
        let workloads = vec![
            workload("multus", &[("multus", "v4.1.4")]),
            workload("cilium", &[("cilium", "v1.16.5")]),
        ];
        assert_eq!(cni(workloads), ("cilium", "v1.16.5".to_string()));
    }

    #[test]
    fn a_cni_we_do_not_name_is_other_and_nothing_found_is_the_components_call() {
        let aws = vec![workload("aws-vpc-cni", &[("aws-vpc-cni", "v1.19.0")])];
        assert_eq!(cni(aws), ("other", "unknown".to_string()));
        // Nothing CNI-like: the component decides (K3s: embedded flannel).
        let stock_k3s = vec![
            deployment("coredns", &[("coredns", "1.12.0")]),
            deployment("traefik", &[("traefik", "3.3.2")]),
            workload("servicelb", &[("servicelb", "v0.4.9")]),
        ];
        assert_eq!(cni(stock_k3s), ("flannel", "unknown".to_string()));
        // `other` is no hint: the host says it for any name it does not know.
        assert_eq!(
            cni(vec![workload("other", &[("other", "v1.0")])]),
            ("flannel", "unknown".to_string())
        );
    }

    #[test]
    fn without_the_daemon_sets_a_cni_found_nowhere_is_unknown() {
        let stock_k3s = running(vec![
            deployment("traefik", &[("traefik", "3.3.2")]),
            workload("servicelb", &[("servicelb", "v0.4.9")]),
        ]);
        let embedded = || CniPlugin::embedded("flannel");
        assert_eq!(cni_plugin(&stock_k3s, embedded()).name, "flannel");
        let without_daemon_sets = unread(stock_k3s.clone(), &[WorkloadKind::DaemonSet]);
        assert_eq!(
            cni_plugin(&without_daemon_sets, embedded()),
            CniPlugin::embedded("unknown"),
            "never the embedded plugin, never none"
        );
        let without_deployments = unread(stock_k3s, &[WorkloadKind::Deployment]);
        assert_eq!(cni_plugin(&without_deployments, embedded()).name, "flannel");
        // What was read still counts: a CNI's controller Deployment.
        let controllers = unread(
            running(vec![deployment("calico", &[("calico", "v3.29.1")])]),
            &[WorkloadKind::DaemonSet],
        );
        assert_eq!(
            cni_plugin(&controllers, embedded()),
            CniPlugin {
                name: "calico",
                version: "v3.29.1".into()
            }
        );
    }

    #[test]
    fn ingress_controllers_are_known_other_or_none() {
        let one =
            |software: &str, image: &str| running(vec![deployment(software, &[(image, "v1.0")])]);
        let cases = [
            (one("traefik", "traefik"), "traefik"),
            (one("ingress-nginx", "ingress-nginx"), "ingress-nginx"),
            (one("other", "ingress-nginx"), "ingress-nginx"),
            (one("haproxy", "other"), "haproxy"),
            (one("contour", "contour"), "contour"),
            (one("envoy-gateway", "envoy-gateway"), "other"),
            (one("acme-ingress", "other"), "other"),
            (one("other", "other"), "none"),
            (one("coredns", "coredns"), "none"),
            (running(Vec::new()), "none"),
        ];
        for (facts, sent) in cases {
            assert_eq!(
                ingress_controller(&facts),
                sent,
                "{:?}",
                facts.kube_system_workloads
            );
        }
    }

    #[test]
    fn an_ingress_controller_found_nowhere_is_unknown_when_a_kind_was_not_read() {
        // RKE2 runs ingress-nginx as a DaemonSet, K3s traefik as a Deployment.
        let rke2 = running(vec![
            deployment("coredns", &[("coredns", "v1.12.0")]),
            workload("ingress-nginx", &[("ingress-nginx", "v1.12.0")]),
        ]);
        assert_eq!(ingress_controller(&rke2), "ingress-nginx");
        assert_eq!(
            ingress_controller(&unread(rke2.clone(), &[WorkloadKind::DaemonSet])),
            "unknown"
        );
        assert_eq!(
            ingress_controller(&unread(rke2, &[WorkloadKind::Deployment])),
            "ingress-nginx",
            "found in what was read"
        );
        let nothing = running(vec![deployment("coredns", &[("coredns", "v1.12.0")])]);
        assert_eq!(ingress_controller(&nothing), "none");
        for kinds in [
            &[WorkloadKind::Deployment][..],
            &[WorkloadKind::DaemonSet],
            &[WorkloadKind::Deployment, WorkloadKind::DaemonSet],
        ] {
            assert_eq!(
                ingress_controller(&unread(nothing.clone(), kinds)),
                "unknown",
                "{kinds:?}"
            );
        }
    }

    /// RKE2's `calico`: the Tigera operator in tigera-operator, calico-node
    /// in calico-system (and csi-node-driver, whose image the host also
    /// names `calico`).
    fn rke2_calico() -> ClusterFacts {
        ClusterFacts {
            kube_system_workloads: vec![
                deployment("coredns", &[("coredns", "v1.12.0")]),
                workload("ingress-nginx", &[("ingress-nginx", "v1.12.0-hardened1")]),
            ],
            ..in_namespaces(vec![
                (
                    SystemNamespace::CalicoSystem,
                    workload("calico", &[("calico", "v3.29.2")]),
                ),
                (
                    SystemNamespace::CalicoSystem,
                    workload("other", &[("calico", "v3.29.2")]),
                ),
                (
                    SystemNamespace::TigeraOperator,
                    deployment("calico", &[("calico", "v1.36.5")]),
                ),
            ])
        }
    }

    #[test]
    fn calico_under_the_tigera_operator_is_found_in_its_namespaces() {
        let unknown = || CniPlugin::embedded("unknown");
        assert_eq!(
            cni_plugin(&rke2_calico(), unknown()),
            CniPlugin {
                name: "calico",
                version: "v3.29.2".into()
            },
            "calico-node's release, not the operator's"
        );
        // The operator alone (calico-system not read, or not yet running).
        let operator_only = ClusterFacts {
            system_workloads: rke2_calico()
                .system_workloads
                .into_iter()
                .filter(|s| s.namespace == SystemNamespace::TigeraOperator)
                .collect(),
            ..rke2_calico()
        };
        assert_eq!(
            cni_plugin(&operator_only, unknown()),
            CniPlugin::embedded("calico")
        );
        let without_calico_system =
            unread_namespaces(rke2_calico(), &[SystemNamespace::CalicoSystem]);
        assert_eq!(
            cni_plugin(&without_calico_system, unknown()),
            CniPlugin::embedded("calico")
        );
        // kube-system first: canal's DaemonSet wins over a calico-system.
        let canal = ClusterFacts {
            kube_system_workloads: vec![workload(
                "canal",
                &[("calico", "v3.29.1"), ("flannel", "v0.26.3")],
            )],
            ..rke2_calico()
        };
        assert_eq!(
            cni_plugin(&canal, unknown()),
            CniPlugin {
                name: "canal",
                version: "v3.29.1".into()
            }
        );
    }

    #[test]
    fn other_words_in_the_calico_namespaces_name_no_plugin() {
        let hostile = in_namespaces(vec![
            (
                SystemNamespace::CalicoSystem,
                workload("other", &[("other", "v3.29.2")]),
            ),
            (
                SystemNamespace::TigeraOperator,
                deployment("other", &[("other", "v1.36.5")]),
            ),
        ]);
        assert_eq!(
            cni_plugin(&hostile, CniPlugin::embedded("flannel")),
            CniPlugin::embedded("flannel"),
            "read, and nothing calico: the component's call"
        );
        // A digest-only calico-node image: calico, version unknown.
        let digest = in_namespaces(vec![(
            SystemNamespace::CalicoSystem,
            workload("calico", &[("calico", "unknown")]),
        )]);
        assert_eq!(
            cni_plugin(&digest, CniPlugin::embedded("flannel")),
            CniPlugin::embedded("calico")
        );
    }

    #[test]
    fn a_cni_found_nowhere_is_unknown_when_a_calico_namespace_was_not_read() {
        let stock_k3s = running(vec![
            deployment("traefik", &[("traefik", "3.3.2")]),
            workload("servicelb", &[("servicelb", "v0.4.9")]),
        ]);
        let embedded = || CniPlugin::embedded("flannel");
        assert_eq!(cni_plugin(&stock_k3s, embedded()), embedded());
        for namespaces in [
            &[SystemNamespace::CalicoSystem][..],
            &[SystemNamespace::TigeraOperator],
            &[
                SystemNamespace::CalicoSystem,
                SystemNamespace::TigeraOperator,
            ],
        ] {
            assert_eq!(
                cni_plugin(
                    &unread_namespaces(stock_k3s.clone(), namespaces),
                    embedded()
                ),
                CniPlugin::embedded("unknown"),
                "{namespaces:?}: never the embedded plugin, never none"
            );
        }
        // The other namespaces tell nothing of the CNI plugin.
        let others = unread_namespaces(
            stock_k3s,
            &[
                SystemNamespace::CattleSystem,
                SystemNamespace::GpuOperator,
                SystemNamespace::KubeAmdGpu,
                SystemNamespace::InteldevicepluginsSystem,
            ],
        );
        assert_eq!(cni_plugin(&others, embedded()), embedded());
    }

    #[test]
    fn the_ingress_version_is_its_controllers_image_release() {
        let one = |software: &str, image: &str, version: &str| {
            running(vec![deployment(software, &[(image, version)])])
        };
        let cases = [
            (one("traefik", "traefik", "3.3.2"), "traefik", "v3.3.2"),
            (
                one("ingress-nginx", "ingress-nginx", "v1.12.0-hardened1"),
                "ingress-nginx",
                "v1.12.0",
            ),
            (
                one("other", "ingress-nginx", "v1.11.5"),
                "ingress-nginx",
                "v1.11.5",
            ),
            // Known by its workload only: no image of its software.
            (one("traefik", "other", "3.3.2"), "traefik", "unknown"),
            // A digest-only reference, a tag without numbers.
            (one("traefik", "traefik", "unknown"), "traefik", "unknown"),
            (one("traefik", "traefik", "latest"), "traefik", "unknown"),
            // A controller we do not name: no version either.
            (
                one("acme-ingress", "acme-ingress", "2.3.1"),
                "other",
                "unknown",
            ),
            (one("other", "other", "2.3.1"), "none", "none"),
            (running(Vec::new()), "none", "none"),
        ];
        for (facts, controller, version) in cases {
            assert_eq!(
                (ingress_controller(&facts), ingress_version(&facts).as_str()),
                (controller, version),
                "{:?}",
                facts.kube_system_workloads
            );
        }
        // The version of the controller named, not of another one.
        let two = running(vec![
            workload("ingress-nginx", &[("ingress-nginx", "v1.12.0")]),
            deployment("traefik", &[("traefik", "3.3.2")]),
        ]);
        assert_eq!(ingress_version(&two), "v3.3.2");
        let unread = unread(
            running(vec![deployment("coredns", &[("coredns", "v1.12.0")])]),
            &[WorkloadKind::DaemonSet],
        );
        assert_eq!(ingress_version(&unread), "unknown", "never none");
    }
}
