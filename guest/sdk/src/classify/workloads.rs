//! Which CNI plugin and ingress controller a cluster runs, from its
//! kube-system workloads' names and image repositories.

use super::known::{CNI_HINTS, CNI_PLUGINS, CNI_VERSION_IMAGE, INGRESS_CONTROLLERS, INGRESS_HINTS};
use super::release::release_version;
use crate::Workload;
use crate::words::{NONE, OTHER, UNKNOWN};

/// The CNI plugin of a cluster and its version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CniPlugin {
    /// A name from `CNI_PLUGINS` (`known.rs`), `other`, or `unknown`.
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::test_facts::workload;

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
}
