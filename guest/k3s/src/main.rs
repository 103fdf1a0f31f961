//! The default reporter: the K3s payload of the design record (seed 000),
//! and in the `standard` field mode the extended fields seed 000 foresees.
//!
//! `minimal`, exactly the design record:
//!
//! ```json
//! {"appVersion":"v1.31.6+k3s1",
//!  "extraTagInfo":{"kubernetesVersion":"v1.31.6","clusteruuid":"<uid of kube-system>"},
//!  "extraFieldInfo":{"nodeCount":5,"serverNodeCount":3,"agentNodeCount":2}}
//! ```
//!
//! `standard` adds tags (low-cardinality descriptions, which InfluxDB can
//! group by) `os`, `kernelVersion`, `architecture`,
//! `cniPlugin`, `cniPluginVersion`, `ingressController`, `selinux`,
//! `gpuVendor`, and the field (a count) `gpuNodeCount` (the SDK's
//! [`Extended`] bundle); then the K3s family's bundle ([`Family`]: what
//! RKE2's security responder sends, in closed form): the tags `mode`,
//! `operatingSystem`, `nodeInfoConsistent`, `ingressVersion`,
//! `gpuOperator`, `gpuOperatorVersion`, `rancherManaged`,
//! `rancherVersion`, `ipStack`, the counts `serverCPUCores`,
//! `agentCPUCores`, `serverMemoryGib`, `agentMemoryGib` and the flag
//! `dev`. Never Rancher's installation UUID, which the Go client sends.
//! README.md, "Fields and modes", says where each comes from.

use reporter_sdk::classify::{CniPlugin, Extended, Family};
use reporter_sdk::facts::{cluster_uuid, kubernetes_version, node_counts};
use reporter_sdk::{ClusterFacts, FactKinds, FieldMode, Key, Payload, Reporter, Settings};

struct K3sReporter;

impl Reporter for K3sReporter {
    fn payload(facts: &ClusterFacts, settings: &Settings) -> Result<Payload, String> {
        let app_version = facts.server_version.git_version.as_str();
        let kubernetes_version = kubernetes_version(facts);
        let counts = node_counts(facts);
        let payload = Payload::new(app_version)
            .tag("kubernetesVersion", &kubernetes_version)
            .tag("clusteruuid", cluster_uuid(facts)?)
            .field("nodeCount", counts.nodes)
            .field("serverNodeCount", counts.servers)
            .field("agentNodeCount", counts.agents);
        if settings.field_mode == FieldMode::Minimal {
            return Ok(payload);
        }
        // K3s runs flannel inside its own process unless told otherwise, so
        // no kube-system workload shows it (nor its version).
        let extended = Extended::of(facts, CniPlugin::embedded("flannel"));
        // Tags and fields are kept apart in the body, so these tags follow
        // clusteruuid and the fields follow agentNodeCount.
        let payload = extended.add_to(payload, &[]);
        Ok(Family::of(facts, settings).add_to(payload))
    }

    fn facts_needed(mode: FieldMode) -> FactKinds {
        match mode {
            // The node counts; the version and UUID are always read.
            FieldMode::Minimal => FactKinds::NODES,
            // The CNI plugin and ingress controller run as Deployments and
            // DaemonSets, calico also in calico-system and tigera-operator
            // (a K3s cluster without flannel may run it so); Rancher in
            // cattle-system; the GPU operators in their namespaces; the IP
            // stack is the `kubernetes` Service's.
            FieldMode::Standard => {
                FactKinds::NODES
                    | FactKinds::DEPLOYMENTS
                    | FactKinds::DAEMON_SETS
                    | FactKinds::CNI_NAMESPACES
                    | FactKinds::RANCHER
                    | FactKinds::GPU_OPERATORS
                    | FactKinds::IP_STACK
            }
        }
    }

    fn keys() -> Vec<Key> {
        let mut keys = vec![
            Key::tag("kubernetesVersion"),
            Key::tag("clusteruuid"),
            Key::count("nodeCount"),
            Key::count("serverNodeCount"),
            Key::count("agentNodeCount"),
        ];
        keys.extend(Extended::keys(&[]));
        keys.extend(Family::keys());
        keys
    }
}

reporter_sdk::component!(K3sReporter);

#[cfg(test)]
mod tests {
    use super::*;
    use reporter_sdk::testing::{
        CLUSTERS, as_read_with, check_facts_needed, cluster, payload, settings,
    };
    use reporter_sdk::{HostBuild, IpStack, NodeGroup};

    /// The payloads of 0.2.0 on the fixture clusters (tests/e2e pins the
    /// same bodies through the host): the 0.3.0 and 0.4.0 facts must not
    /// change a byte.
    const MINIMAL: [(&str, &str); 5] = [
        (
            "k3s-single",
            r#"{"appVersion":"v1.31.6+k3s1","extraTagInfo":{"kubernetesVersion":"v1.31.6","clusteruuid":"e0430492-d000-4a92-8557-ca4e45ddcb94"},"extraFieldInfo":{"nodeCount":1,"serverNodeCount":1,"agentNodeCount":0}}"#,
        ),
        (
            "k3s-ha",
            r#"{"appVersion":"v1.31.6+k3s1","extraTagInfo":{"kubernetesVersion":"v1.31.6","clusteruuid":"2f06cc1a-6788-4fa1-b89e-732bd797902b"},"extraFieldInfo":{"nodeCount":5,"serverNodeCount":3,"agentNodeCount":2}}"#,
        ),
        (
            "rke2-canal",
            r#"{"appVersion":"v1.31.6+rke2r1","extraTagInfo":{"kubernetesVersion":"v1.31.6","clusteruuid":"98e10cbe-b8e7-4831-878d-f6677a4594c3"},"extraFieldInfo":{"nodeCount":3,"serverNodeCount":1,"agentNodeCount":2}}"#,
        ),
        (
            "k3s-gpu",
            r#"{"appVersion":"v1.32.2+k3s1","extraTagInfo":{"kubernetesVersion":"v1.32.2","clusteruuid":"0e523211-d8c6-4857-ae85-3fea25a64205"},"extraFieldInfo":{"nodeCount":4,"serverNodeCount":1,"agentNodeCount":3}}"#,
        ),
        (
            "rke2-calico",
            r#"{"appVersion":"v1.32.3+rke2r1","extraTagInfo":{"kubernetesVersion":"v1.32.3","clusteruuid":"c6a0e2b4-81d3-4f57-a9c1-3e5b7d9f0a2c"},"extraFieldInfo":{"nodeCount":5,"serverNodeCount":3,"agentNodeCount":2}}"#,
        ),
    ];
    /// The standard payloads: the extended bundle, then the K3s family's
    /// (`dev` is `true`: the tests' settings are a development build's).
    const STANDARD: [(&str, &str); 5] = [
        (
            "k3s-single",
            r#"{"appVersion":"v1.31.6+k3s1","extraTagInfo":{"kubernetesVersion":"v1.31.6","clusteruuid":"e0430492-d000-4a92-8557-ca4e45ddcb94","os":"ubuntu","kernelVersion":"6.8","architecture":"amd64","cniPlugin":"flannel","cniPluginVersion":"unknown","ingressController":"traefik","selinux":"disabled","gpuVendor":"none","mode":"standard","operatingSystem":"linux","nodeInfoConsistent":"true","ingressVersion":"v3.3.2","gpuOperator":"none","gpuOperatorVersion":"none","rancherManaged":"false","rancherVersion":"none","ipStack":"ipv4-only"},"extraFieldInfo":{"nodeCount":1,"serverNodeCount":1,"agentNodeCount":0,"gpuNodeCount":0,"serverCPUCores":4,"agentCPUCores":0,"serverMemoryGib":8,"agentMemoryGib":0,"dev":true}}"#,
        ),
        (
            "k3s-ha",
            r#"{"appVersion":"v1.31.6+k3s1","extraTagInfo":{"kubernetesVersion":"v1.31.6","clusteruuid":"2f06cc1a-6788-4fa1-b89e-732bd797902b","os":"ubuntu","kernelVersion":"6.8","architecture":"amd64","cniPlugin":"flannel","cniPluginVersion":"unknown","ingressController":"traefik","selinux":"disabled","gpuVendor":"none","mode":"standard","operatingSystem":"linux","nodeInfoConsistent":"false","ingressVersion":"v3.3.2","gpuOperator":"none","gpuOperatorVersion":"none","rancherManaged":"true","rancherVersion":"v2.11","ipStack":"ipv4-only"},"extraFieldInfo":{"nodeCount":5,"serverNodeCount":3,"agentNodeCount":2,"gpuNodeCount":0,"serverCPUCores":12,"agentCPUCores":24,"serverMemoryGib":48,"agentMemoryGib":94,"dev":true}}"#,
        ),
        (
            "rke2-canal",
            r#"{"appVersion":"v1.31.6+rke2r1","extraTagInfo":{"kubernetesVersion":"v1.31.6","clusteruuid":"98e10cbe-b8e7-4831-878d-f6677a4594c3","os":"rocky","kernelVersion":"5.14","architecture":"amd64,arm64","cniPlugin":"canal","cniPluginVersion":"v3.29.1","ingressController":"ingress-nginx","selinux":"mixed","gpuVendor":"none","mode":"standard","operatingSystem":"linux","nodeInfoConsistent":"false","ingressVersion":"v1.12.0","gpuOperator":"none","gpuOperatorVersion":"none","rancherManaged":"false","rancherVersion":"none","ipStack":"ipv4-only"},"extraFieldInfo":{"nodeCount":3,"serverNodeCount":1,"agentNodeCount":2,"gpuNodeCount":0,"serverCPUCores":8,"agentCPUCores":8,"serverMemoryGib":15,"agentMemoryGib":22,"dev":true}}"#,
        ),
        (
            "k3s-gpu",
            r#"{"appVersion":"v1.32.2+k3s1","extraTagInfo":{"kubernetesVersion":"v1.32.2","clusteruuid":"0e523211-d8c6-4857-ae85-3fea25a64205","os":"ubuntu","kernelVersion":"5.15","architecture":"amd64","cniPlugin":"flannel","cniPluginVersion":"unknown","ingressController":"traefik","selinux":"disabled","gpuVendor":"mixed","mode":"standard","operatingSystem":"linux","nodeInfoConsistent":"true","ingressVersion":"v3.3.2","gpuOperator":"nvidia-gpu-operator","gpuOperatorVersion":"v0.17.0","rancherManaged":"false","rancherVersion":"none","ipStack":"dual-stack"},"extraFieldInfo":{"nodeCount":4,"serverNodeCount":1,"agentNodeCount":3,"gpuNodeCount":3,"serverCPUCores":4,"agentCPUCores":128,"serverMemoryGib":8,"agentMemoryGib":882,"dev":true}}"#,
        ),
        (
            "rke2-calico",
            r#"{"appVersion":"v1.32.3+rke2r1","extraTagInfo":{"kubernetesVersion":"v1.32.3","clusteruuid":"c6a0e2b4-81d3-4f57-a9c1-3e5b7d9f0a2c","os":"ubuntu","kernelVersion":"5.15","architecture":"amd64","cniPlugin":"calico","cniPluginVersion":"v3.29.2","ingressController":"ingress-nginx","selinux":"mixed","gpuVendor":"none","mode":"standard","operatingSystem":"linux","nodeInfoConsistent":"true","ingressVersion":"v1.12.0","gpuOperator":"none","gpuOperatorVersion":"none","rancherManaged":"true","rancherVersion":"v2.10","ipStack":"ipv4-only"},"extraFieldInfo":{"nodeCount":5,"serverNodeCount":3,"agentNodeCount":2,"gpuNodeCount":0,"serverCPUCores":24,"agentCPUCores":32,"serverMemoryGib":93,"agentMemoryGib":126,"dev":true}}"#,
        ),
    ];

    #[test]
    fn the_payloads_of_the_fixture_clusters_are_unchanged() {
        for (mode, expected) in [
            (FieldMode::Minimal, MINIMAL),
            (FieldMode::Standard, STANDARD),
        ] {
            assert_eq!(expected.map(|(name, _)| name), CLUSTERS);
            for (name, body) in expected {
                assert_eq!(
                    payload::<K3sReporter>(&cluster(name), mode),
                    body,
                    "{name} {mode:?}"
                );
            }
        }
    }

    /// Which facts each key is derived from.
    fn depends_on(key: &str) -> Option<FactKinds> {
        Some(match key {
            "kubernetesVersion" | "clusteruuid" => FactKinds::empty(),
            // The field mode's name and the host's build are settings.
            "mode" | "dev" => FactKinds::empty(),
            "nodeCount" | "serverNodeCount" | "agentNodeCount" | "os" | "kernelVersion"
            | "architecture" | "selinux" | "gpuVendor" | "gpuNodeCount" | "operatingSystem"
            | "nodeInfoConsistent" | "serverCPUCores" | "agentCPUCores" | "serverMemoryGib"
            | "agentMemoryGib" => FactKinds::NODES,
            // A CNI plugin runs as a DaemonSet, or calico in calico-system
            // (tigera-operator names it); without any, K3s's own flannel.
            "cniPlugin" | "cniPluginVersion" => FactKinds::DAEMON_SETS | FactKinds::CNI_NAMESPACES,
            // traefik is a Deployment; other controllers may be DaemonSets.
            "ingressController" | "ingressVersion" => {
                FactKinds::DEPLOYMENTS | FactKinds::DAEMON_SETS
            }
            "gpuOperator" | "gpuOperatorVersion" => FactKinds::GPU_OPERATORS,
            "rancherManaged" | "rancherVersion" => FactKinds::RANCHER,
            "ipStack" => FactKinds::IP_STACK,
            _ => return None,
        })
    }

    #[test]
    fn one_group_of_5000_nodes_and_5000_groups_of_one_make_one_payload() {
        let single = cluster("k3s-single");
        let server = single.node_groups[0].facts.clone();
        let grouped = ClusterFacts {
            node_groups: vec![NodeGroup {
                facts: server.clone(),
                count: 5000,
            }],
            ..single.clone()
        };
        let one_by_one = ClusterFacts {
            node_groups: vec![
                NodeGroup {
                    facts: server,
                    count: 1
                };
                5000
            ],
            ..single
        };
        for mode in [FieldMode::Minimal, FieldMode::Standard] {
            let body = payload::<K3sReporter>(&grouped, mode);
            assert_eq!(body, payload::<K3sReporter>(&one_by_one, mode), "{mode:?}");
            assert!(
                body.contains(r#""nodeCount":5000,"serverNodeCount":5000,"agentNodeCount":0"#),
                "{body}"
            );
        }
    }

    #[test]
    fn each_mode_asks_for_exactly_the_facts_its_keys_use() {
        check_facts_needed::<K3sReporter>(depends_on);
        assert_eq!(
            K3sReporter::facts_needed(FieldMode::Minimal),
            FactKinds::NODES
        );
        assert_eq!(
            K3sReporter::facts_needed(FieldMode::Standard),
            reporter_sdk::facts::every_kind()
        );
    }

    #[test]
    fn the_minimal_payload_is_the_design_records_whatever_the_new_facts_say() {
        for (name, body) in MINIMAL {
            let facts = cluster(name);
            let read = as_read_with(&facts, K3sReporter::facts_needed(FieldMode::Minimal));
            assert!(read.system_workloads.is_empty() && read.unread_namespaces.len() == 6);
            assert_eq!(read.ip_stack, IpStack::Unknown);
            assert_eq!(
                payload::<K3sReporter>(&read, FieldMode::Minimal),
                body,
                "{name}"
            );
        }
    }

    #[test]
    fn a_development_build_says_so_in_the_standard_mode_only() {
        let facts = cluster("k3s-ha");
        let release = Settings {
            build: HostBuild::Release,
            ..settings(FieldMode::Standard)
        };
        let body = reporter_sdk::build_payload::<K3sReporter>(&facts, &release).unwrap();
        assert!(body.ends_with(r#""dev":false}}"#), "{body}");
        let body = payload::<K3sReporter>(&facts, FieldMode::Standard);
        assert!(body.ends_with(r#""dev":true}}"#), "{body}");
        let minimal = Settings {
            build: HostBuild::Release,
            ..settings(FieldMode::Minimal)
        };
        let body = reporter_sdk::build_payload::<K3sReporter>(&facts, &minimal).unwrap();
        assert!(!body.contains("dev") && !body.contains("mode"), "{body}");
    }
}
