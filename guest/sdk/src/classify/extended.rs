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
    use crate::classify::test_facts::{cluster, cluster_of, deployment, group, node, workload};
    use crate::facts::node_counts;
    use crate::schema::request_schema;
    use crate::{ClusterFacts, GpuResource, GpuVendor, NodeFacts, NodeRole, WorkloadKind};

    /// The payload of the counts and the bundle, as a component sends them.
    fn body(facts: &ClusterFacts) -> String {
        let counts = node_counts(facts);
        let payload = Payload::new("v1")
            .field("nodeCount", counts.nodes)
            .field("serverNodeCount", counts.servers)
            .field("agentNodeCount", counts.agents);
        Extended::of(facts, CniPlugin::embedded("flannel"))
            .add_to(payload, &[])
            .to_json()
            .unwrap()
    }

    #[test]
    fn one_group_of_5000_nodes_and_5000_groups_of_one_make_one_payload() {
        let server = NodeFacts {
            roles: vec![NodeRole::ControlPlane],
            selinux: Some(true),
            ..node("ubuntu", "6.8", "amd64")
        };
        let gpu_agent = NodeFacts {
            gpus: vec![GpuResource {
                vendor: GpuVendor::Nvidia,
                count: 8,
            }],
            ..node("rhel", "5.14", "arm64")
        };
        for facts in [server, gpu_agent] {
            let grouped = body(&cluster_of(vec![group(facts.clone(), 5000)]));
            let one_by_one = body(&cluster(vec![facts; 5000]));
            assert_eq!(grouped, one_by_one);
            assert!(grouped.contains(r#""nodeCount":5000"#), "{grouped}");
        }
    }

    #[test]
    fn counts_and_most_common_values_weigh_groups_by_their_count() {
        let server = NodeFacts {
            roles: vec![NodeRole::ControlPlane, NodeRole::Etcd],
            selinux: Some(false),
            ..node("sles", "6.4", "amd64")
        };
        let agent = node("ubuntu", "6.8", "amd64");
        let gpu_agent = NodeFacts {
            gpus: vec![GpuResource {
                vendor: GpuVendor::Amd,
                count: 1,
            }],
            ..node("ubuntu", "6.8", "arm64")
        };
        let grouped = cluster_of(vec![
            // Five SLES servers outnumber four Ubuntu agents in two groups.
            group(server.clone(), 5),
            group(agent.clone(), 2),
            group(gpu_agent.clone(), 2),
        ]);
        // The same nodes, split into more groups in another order.
        let split = cluster_of(vec![
            group(gpu_agent.clone(), 1),
            group(agent.clone(), 1),
            group(server.clone(), 2),
            group(gpu_agent, 1),
            group(server, 3),
            group(agent, 1),
        ]);
        let expected = r#"{"appVersion":"v1","extraTagInfo":{"os":"sles","kernelVersion":"6.4","architecture":"amd64,arm64","cniPlugin":"flannel","cniPluginVersion":"unknown","ingressController":"none","selinux":"disabled","gpuVendor":"amd"},"extraFieldInfo":{"nodeCount":9,"serverNodeCount":5,"agentNodeCount":4,"gpuNodeCount":2}}"#;
        assert_eq!(body(&grouped), expected);
        assert_eq!(body(&split), expected);
    }

    #[test]
    fn what_depends_on_an_unread_kind_is_unknown_never_none() {
        let stock_k3s = ClusterFacts {
            kube_system_workloads: vec![
                deployment("traefik", &[("traefik", "3.3.2")]),
                workload("servicelb", &[("servicelb", "v0.4.9")]),
            ],
            ..cluster(Vec::new())
        };
        let sent = |facts: &ClusterFacts| {
            let extended = Extended::of(facts, CniPlugin::embedded("flannel"));
            (extended.cni.name, extended.cni.version, extended.ingress)
        };
        assert_eq!(sent(&stock_k3s), ("flannel", "unknown".into(), "traefik"));
        let without_daemon_sets = ClusterFacts {
            kube_system_workloads: stock_k3s.kube_system_workloads[..1].to_vec(),
            unread_workloads: vec![WorkloadKind::DaemonSet],
            ..stock_k3s.clone()
        };
        assert_eq!(
            sent(&without_daemon_sets),
            ("unknown", "unknown".into(), "traefik")
        );
        let nothing_read = ClusterFacts {
            kube_system_workloads: Vec::new(),
            unread_workloads: vec![WorkloadKind::Deployment, WorkloadKind::DaemonSet],
            ..stock_k3s
        };
        assert_eq!(
            sent(&nothing_read),
            ("unknown", "unknown".into(), "unknown")
        );
    }

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
