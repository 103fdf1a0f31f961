//! The extended descriptions of the `standard` field mode, one bundle for
//! every component: derived once, sent under the same keys in the same order.

use super::nodes::{
    cluster_architectures, cluster_kernel, cluster_os, cluster_selinux, gpu_node_count, gpu_vendor,
};
use super::workloads::{CniPlugin, cni_plugin, ingress_controller};
use crate::schema::Key;
use crate::{ClusterFacts, Payload};

/// The tag of the cluster's OS ([`Extended::os`]).
pub const OS_TAG: &str = "os";
/// The tag of the CNI plugin's name ([`Extended::cni`]).
pub const CNI_PLUGIN_TAG: &str = "cniPlugin";
/// The extended tags, in the order they are sent.
const TAGS: [&str; 8] = [
    OS_TAG,
    "kernelVersion",
    "architecture",
    CNI_PLUGIN_TAG,
    "cniPluginVersion",
    "ingressController",
    "selinux",
    "gpuVendor",
];
/// The extended field: nodes with a GPU.
const GPU_NODES_FIELD: &str = "gpuNodeCount";

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
    /// `cni_without_workload` is what the distribution runs when the
    /// kube-system DaemonSets were read and none shows a CNI plugin: K3s
    /// embeds flannel; RKE2 does not know (its calico lives in the
    /// calico-system namespace).
    pub fn of(facts: &ClusterFacts, cni_without_workload: CniPlugin) -> Self {
        Self {
            os: cluster_os(facts),
            kernel: cluster_kernel(facts),
            architectures: cluster_architectures(facts),
            cni: cni_plugin(facts, cni_without_workload),
            ingress: ingress_controller(facts),
            selinux: cluster_selinux(facts),
            gpu_vendor: gpu_vendor(facts),
            gpu_nodes: gpu_node_count(facts),
        }
    }

    /// Adds the extended tags (after the payload's own tags) and the
    /// `gpuNodeCount` field, leaving out the tags in `already_sent` (a
    /// component that sends the OS or CNI plugin in every mode names
    /// [`OS_TAG`] or [`CNI_PLUGIN_TAG`] here).
    pub fn add_to(&self, payload: Payload, already_sent: &[&str]) -> Payload {
        let values = [
            self.os,
            &self.kernel,
            &self.architectures,
            self.cni.name,
            &self.cni.version,
            self.ingress,
            self.selinux,
            self.gpu_vendor,
        ];
        TAGS.iter()
            .zip(values)
            .filter(|(key, _)| !already_sent.contains(key))
            .fold(payload, |payload, (key, value)| payload.tag(key, value))
            .field(GPU_NODES_FIELD, self.gpu_nodes)
    }

    /// The keys [`Extended::add_to`] sends, declared for the `standard`
    /// field mode.
    pub fn keys(already_sent: &[&str]) -> Vec<Key> {
        TAGS.iter()
            .filter(|key| !already_sent.contains(key))
            .map(|key| Key::tag(key).standard())
            .chain([Key::count(GPU_NODES_FIELD).standard()])
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::test_facts::cluster;
    use crate::schema::request_schema;

    #[test]
    fn without_a_cni_workload_the_component_decides() {
        assert_eq!(
            Extended::of(&cluster(Vec::new()), CniPlugin::embedded("flannel")).cni,
            CniPlugin {
                name: "flannel",
                version: "unknown".into()
            }
        );
    }

    #[test]
    fn the_bundle_is_sent_in_order_and_declared_alike() {
        let extended = Extended::of(&cluster(Vec::new()), CniPlugin::embedded("flannel"));
        let body = extended.add_to(Payload::new("v1"), &[]).to_json().unwrap();
        assert_eq!(
            body,
            r#"{"appVersion":"v1","extraTagInfo":{"os":"unknown","kernelVersion":"unknown","architecture":"unknown","cniPlugin":"flannel","cniPluginVersion":"unknown","ingressController":"none","selinux":"unknown","gpuVendor":"none"},"extraFieldInfo":{"gpuNodeCount":0}}"#
        );
        let schema =
            request_schema(&Extended::keys(&[]), Some(crate::FieldMode::Standard)).unwrap();
        let sent: serde_json::Value = serde_json::from_str(&body).unwrap();
        for (place, schema_place) in [
            ("extraTagInfo", "extraTagInfoSchema"),
            ("extraFieldInfo", "extraFieldInfoSchema"),
        ] {
            let sent: Vec<&String> = sent[place].as_object().unwrap().keys().collect();
            let declared: Vec<&String> = schema[schema_place].as_object().unwrap().keys().collect();
            assert_eq!(sent, declared, "{place}");
        }
        let without = extended
            .add_to(Payload::new("v1"), &[OS_TAG, CNI_PLUGIN_TAG])
            .to_json()
            .unwrap();
        assert!(!without.contains(r#""os""#) && !without.contains(r#""cniPlugin""#));
        assert_eq!(Extended::keys(&[OS_TAG, CNI_PLUGIN_TAG]).len(), 7);
        assert!(
            request_schema(&Extended::keys(&[]), Some(crate::FieldMode::Minimal)).unwrap()
                ["extraTagInfoSchema"]
                .as_object()
                .unwrap()
                .is_empty()
        );
    }
}
