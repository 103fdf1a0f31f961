//! The K3s family's descriptions of the `standard` field mode: what RKE2's
//! security responder (rancher/rke2-security-responder, a Go client) sends,
//! in closed form, one bundle for every component, sent after the
//! extended one ([`super::Extended`]) under the same keys in the same
//! order.
//!
//! Every value is a word of a closed set, digits and dots, a count or a
//! boolean. Where the Go client sends an identifier, this bundle does not:
//! Rancher's installation UUID, which links every cluster of one Rancher,
//! is neither read nor sent ([`Rancher`]).

use super::namespaces::{GpuOperator, Rancher, gpu_operator, ip_stack, rancher};
use super::nodes::{RoleResources, cluster_operating_system, node_info_consistent, role_resources};
use super::workloads::ingress_version;
use crate::schema::Key;
use crate::{ClusterFacts, FieldMode, HostBuild, Payload, Settings};

/// The family's tags, in the order they are sent.
const TAGS: [&str; 9] = [
    "mode",
    "operatingSystem",
    "nodeInfoConsistent",
    "ingressVersion",
    "gpuOperator",
    "gpuOperatorVersion",
    "rancherManaged",
    "rancherVersion",
    "ipStack",
];
/// The family's counts (fields), in the order they are sent.
const COUNTS: [&str; 4] = [
    "serverCPUCores",
    "agentCPUCores",
    "serverMemoryGib",
    "agentMemoryGib",
];
/// The family's flag (a field): a development build of the host.
const DEV_FIELD: &str = "dev";

/// Every family description at once, for the `standard` field mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Family {
    /// The field mode's name (`standard`: the bundle is sent in no other).
    pub mode: &'static str,
    /// `linux`, `windows`, `other`, `mixed` or `unknown`.
    pub operating_system: &'static str,
    /// `true`, `false` or `unknown`.
    pub node_info_consistent: &'static str,
    /// The ingress controller's release, `none` or `unknown`.
    pub ingress_version: String,
    pub gpu_operator: GpuOperator,
    pub rancher: Rancher,
    /// `ipv4-only`, `ipv6-only`, `dual-stack` or `unknown`.
    pub ip_stack: &'static str,
    pub resources: RoleResources,
    /// The host is a development build (`settings.build`), so a server can
    /// keep test reports apart.
    pub dev: bool,
}

impl Family {
    pub fn of(facts: &ClusterFacts, settings: &Settings) -> Self {
        Self {
            mode: match settings.field_mode {
                FieldMode::Minimal => "minimal",
                FieldMode::Standard => "standard",
            },
            operating_system: cluster_operating_system(facts),
            node_info_consistent: node_info_consistent(facts),
            ingress_version: ingress_version(facts),
            gpu_operator: gpu_operator(facts),
            rancher: rancher(facts),
            ip_stack: ip_stack(facts),
            resources: role_resources(facts),
            dev: settings.build == HostBuild::Development,
        }
    }

    /// Adds the family's tags (after the payload's tags so far: the
    /// extended ones) and fields (after its fields: `gpuNodeCount`).
    pub fn add_to(&self, payload: Payload) -> Payload {
        let tags = [
            self.mode,
            self.operating_system,
            self.node_info_consistent,
            &self.ingress_version,
            self.gpu_operator.name,
            &self.gpu_operator.version,
            self.rancher.managed,
            &self.rancher.version,
            self.ip_stack,
        ];
        let counts = [
            self.resources.server_cpu_cores,
            self.resources.agent_cpu_cores,
            self.resources.server_memory_gib,
            self.resources.agent_memory_gib,
        ];
        let payload = TAGS
            .iter()
            .zip(tags)
            .fold(payload, |payload, (key, value)| payload.tag(key, value));
        COUNTS
            .iter()
            .zip(counts)
            .fold(payload, |payload, (key, value)| payload.field(key, value))
            .field(DEV_FIELD, self.dev)
    }

    /// The keys [`Family::add_to`] sends, declared for the `standard` field
    /// mode.
    pub fn keys() -> Vec<Key> {
        TAGS.iter()
            .map(|key| Key::tag(key).standard())
            .chain(COUNTS.iter().map(|key| Key::count(key).standard()))
            .chain([Key::flag(DEV_FIELD).standard()])
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::test_facts::{
        cluster, cluster_of, deployment, group, in_namespaces, node, unread_namespaces, workload,
    };
    use crate::classify::{CniPlugin, Extended};
    use crate::facts::{SYSTEM_NAMESPACES, as_read_with};
    use crate::schema::request_schema;
    use crate::{FactKinds, IpStack, NodeFacts, NodeRole, SystemNamespace, WorkloadKind};

    fn settings(build: HostBuild) -> Settings {
        Settings {
            endpoint: String::new(),
            field_mode: FieldMode::Standard,
            channel: "stable".into(),
            build,
        }
    }

    /// The bundle alone, as a component sends it.
    fn body(facts: &ClusterFacts, build: HostBuild) -> String {
        Family::of(facts, &settings(build))
            .add_to(Payload::new("v1"))
            .to_json()
            .unwrap()
    }

    /// A cluster RKE2's Go client would describe in full: calico under the
    /// operator, a downstream Rancher cluster, NVIDIA's GPU operator, dual
    /// stack.
    fn rke2_downstream(node_groups: Vec<crate::NodeGroup>) -> ClusterFacts {
        ClusterFacts {
            node_groups,
            kube_system_workloads: vec![
                deployment("coredns", &[("coredns", "v1.12.0")]),
                workload("ingress-nginx", &[("ingress-nginx", "v1.12.0-hardened1")]),
            ],
            ip_stack: IpStack::DualStack,
            ..in_namespaces(vec![
                (
                    SystemNamespace::CalicoSystem,
                    workload("calico", &[("calico", "v3.29.2")]),
                ),
                (
                    SystemNamespace::TigeraOperator,
                    deployment("calico", &[("calico", "v1.36.5")]),
                ),
                (
                    SystemNamespace::CattleSystem,
                    deployment("rancher-agent", &[("rancher-agent", "v2.10.3")]),
                ),
                (
                    SystemNamespace::CattleSystem,
                    deployment("rancher-webhook", &[("rancher-webhook", "v0.6.4")]),
                ),
                (
                    SystemNamespace::GpuOperator,
                    workload(
                        "nvidia-device-plugin",
                        &[("nvidia-device-plugin", "v0.17.0")],
                    ),
                ),
            ])
        }
    }

    fn server() -> NodeFacts {
        NodeFacts {
            roles: vec![NodeRole::ControlPlane, NodeRole::Etcd, NodeRole::Master],
            allocatable_cpu_cores: 8,
            allocatable_memory_gib: 31,
            ..node("rocky", "5.14", "amd64")
        }
    }

    fn agent() -> NodeFacts {
        NodeFacts {
            roles: vec![NodeRole::Worker],
            allocatable_cpu_cores: 16,
            allocatable_memory_gib: 63,
            ..node("rocky", "5.14", "amd64")
        }
    }

    #[test]
    fn the_bundle_is_sent_in_order_with_every_value_in_its_closed_set() {
        let facts = rke2_downstream(vec![group(server(), 3), group(agent(), 2)]);
        assert_eq!(
            body(&facts, HostBuild::Release),
            r#"{"appVersion":"v1","extraTagInfo":{"mode":"standard","operatingSystem":"linux","nodeInfoConsistent":"true","ingressVersion":"v1.12.0","gpuOperator":"nvidia-gpu-operator","gpuOperatorVersion":"v0.17.0","rancherManaged":"true","rancherVersion":"v2.10","ipStack":"dual-stack"},"extraFieldInfo":{"serverCPUCores":24,"agentCPUCores":32,"serverMemoryGib":93,"agentMemoryGib":126,"dev":false}}"#
        );
        assert!(body(&facts, HostBuild::Development).ends_with(r#""dev":true}}"#));
        // And calico, where RKE2 runs it.
        let cni = Extended::of(&facts, CniPlugin::embedded("unknown")).cni;
        assert_eq!((cni.name, cni.version.as_str()), ("calico", "v3.29.2"));
    }

    #[test]
    fn one_group_of_5000_nodes_and_5000_groups_of_one_make_one_bundle() {
        for node in [server(), agent()] {
            let grouped = body(
                &rke2_downstream(vec![group(node.clone(), 5000)]),
                HostBuild::Release,
            );
            let one_by_one = body(
                &rke2_downstream(vec![group(node.clone(), 1); 5000]),
                HostBuild::Release,
            );
            assert_eq!(grouped, one_by_one);
        }
        let mixed = |groups| body(&rke2_downstream(groups), HostBuild::Release);
        let grouped = mixed(vec![group(server(), 3), group(agent(), 4000)]);
        let mut split = vec![group(agent(), 1000); 4];
        split.insert(2, group(server(), 1));
        split.push(group(server(), 2));
        assert_eq!(grouped, mixed(split));
        assert!(
            grouped.contains(
                r#""serverCPUCores":24,"agentCPUCores":64000,"serverMemoryGib":93,"agentMemoryGib":252000"#
            ),
            "{grouped}"
        );
    }

    #[test]
    fn what_depends_on_an_unread_kind_or_namespace_is_unknown_never_none() {
        // Nothing runs anywhere: every kind read says `none` / `false`.
        let empty = cluster_of(vec![group(agent(), 1)]);
        let sent = |facts: &ClusterFacts| {
            let family = Family::of(facts, &settings(HostBuild::Release));
            (
                family.ingress_version,
                family.gpu_operator.name,
                family.gpu_operator.version,
                family.rancher.managed,
                family.rancher.version,
            )
        };
        assert_eq!(
            sent(&empty),
            ("none".into(), "none", "none".into(), "false", "none".into())
        );
        // The same cluster read by a component that asked for nodes only.
        let nodes_only = as_read_with(&empty, FactKinds::NODES);
        assert_eq!(
            sent(&nodes_only),
            (
                "unknown".into(),
                "unknown",
                "unknown".into(),
                "unknown",
                "unknown".into()
            )
        );
        // Each namespace refused alone.
        for (namespace, _) in SYSTEM_NAMESPACES {
            let family = Family::of(
                &unread_namespaces(empty.clone(), &[namespace]),
                &settings(HostBuild::Release),
            );
            let values = [
                family.gpu_operator.name,
                &family.gpu_operator.version,
                family.rancher.managed,
                &family.rancher.version,
            ];
            let expected_unknown = match namespace {
                SystemNamespace::CattleSystem => [false, false, true, true],
                SystemNamespace::CalicoSystem | SystemNamespace::TigeraOperator => [false; 4],
                _ => [true, true, false, false],
            };
            for (value, unknown) in values.iter().zip(expected_unknown) {
                assert_eq!(*value == "unknown", unknown, "{namespace:?}: {values:?}");
                assert_ne!(
                    *value == "unknown",
                    *value == "none" || *value == "false",
                    "{namespace:?}: {values:?}"
                );
            }
        }
        let without_daemon_sets = ClusterFacts {
            unread_workloads: vec![WorkloadKind::DaemonSet],
            ..empty.clone()
        };
        assert_eq!(sent(&without_daemon_sets).0, "unknown");
        // No nodes: the node values are unknown, the sums zero.
        let family = Family::of(&cluster(Vec::new()), &settings(HostBuild::Release));
        assert_eq!(
            (family.operating_system, family.node_info_consistent),
            ("unknown", "unknown")
        );
        assert_eq!(family.resources, RoleResources::default());
        assert_eq!(family.ip_stack, "unknown");
    }

    #[test]
    fn hostile_other_words_never_pass_as_a_product() {
        // The host's `other` everywhere it can be: a node system it could
        // not name, workloads and images of software it does not know.
        let other = |kind_workload: fn(&str, &[(&str, &str)]) -> crate::Workload| {
            kind_workload("other", &[("other", "v2.10.3")])
        };
        let facts = ClusterFacts {
            node_groups: vec![group(
                NodeFacts {
                    operating_system: "other".into(),
                    os_id: "other".into(),
                    ..agent()
                },
                2,
            )],
            kube_system_workloads: vec![other(deployment), other(workload)],
            ..in_namespaces(vec![
                (SystemNamespace::CalicoSystem, other(workload)),
                (SystemNamespace::TigeraOperator, other(deployment)),
                (SystemNamespace::CattleSystem, other(deployment)),
                (SystemNamespace::GpuOperator, other(workload)),
            ])
        };
        assert_eq!(
            body(&facts, HostBuild::Release),
            r#"{"appVersion":"v1","extraTagInfo":{"mode":"standard","operatingSystem":"other","nodeInfoConsistent":"true","ingressVersion":"none","gpuOperator":"nvidia-gpu-operator","gpuOperatorVersion":"unknown","rancherManaged":"unknown","rancherVersion":"unknown","ipStack":"unknown"},"extraFieldInfo":{"serverCPUCores":0,"agentCPUCores":32,"serverMemoryGib":0,"agentMemoryGib":126,"dev":false}}"#
        );
        let cni = Extended::of(&facts, CniPlugin::embedded("unknown")).cni;
        assert_eq!(cni, CniPlugin::embedded("unknown"));
    }

    #[test]
    fn the_bundle_is_declared_as_it_is_sent_for_the_standard_mode_only() {
        let facts = rke2_downstream(vec![group(server(), 1)]);
        let body = body(&facts, HostBuild::Development);
        let schema = request_schema(&Family::keys(), Some(FieldMode::Standard)).unwrap();
        let sent: serde_json::Value = serde_json::from_str(&body).unwrap();
        for (place, schema_place) in [
            ("extraTagInfo", "extraTagInfoSchema"),
            ("extraFieldInfo", "extraFieldInfoSchema"),
        ] {
            let sent: Vec<&String> = sent[place].as_object().unwrap().keys().collect();
            let declared: Vec<&String> = schema[schema_place].as_object().unwrap().keys().collect();
            assert_eq!(sent, declared, "{place}");
        }
        let fields = &schema["extraFieldInfoSchema"];
        assert_eq!(fields["serverCPUCores"]["dataType"], "float");
        assert_eq!(fields["dev"]["dataType"], "boolean");
        assert!(
            request_schema(&Family::keys(), Some(FieldMode::Minimal)).unwrap()
                ["extraTagInfoSchema"]
                .as_object()
                .unwrap()
                .is_empty()
        );
        // Beside the extended bundle and a component's own keys, no two
        // are stored alike by the server.
        let mut keys = vec![
            crate::Key::tag("kubernetesVersion"),
            crate::Key::tag("clusteruuid"),
            crate::Key::tag("cni-plugin"),
            crate::Key::count("nodeCount"),
            crate::Key::count("serverNodeCount"),
            crate::Key::count("agentNodeCount"),
        ];
        keys.extend(Extended::keys(&[]));
        keys.extend(Family::keys());
        assert!(
            request_schema(&keys, None).is_err(),
            "cniPlugin and cni-plugin"
        );
        keys.retain(|key| key.name != "cniPlugin");
        request_schema(&keys, None).unwrap();
    }

    /// README.md's "Fields and modes" table has a row for every key of
    /// both bundles.
    #[test]
    fn the_readme_lists_every_key_of_the_bundles() {
        let readme = include_str!("../../../../README.md");
        let start = readme
            .find("### Fields and modes")
            .expect("README.md has a \"Fields and modes\" section");
        let section = &readme[start..];
        let section = &section[..section[4..].find("\n## ").map_or(section.len(), |i| i + 4)];
        for key in Extended::keys(&[]).iter().chain(&Family::keys()) {
            let place = match key.place {
                crate::Place::Tag => "extraTagInfo",
                crate::Place::Field => "extraFieldInfo",
            };
            let row = format!("| `{}` | `{place}` | standard |", key.name);
            assert!(section.contains(&row), "README.md lacks the row {row}");
        }
    }
}
