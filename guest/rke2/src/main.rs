//! The RKE2 reporter: the payload of the RKE2 design record (seed 001),
//! Kubernetes version, clusteruuid, node counts, `cni-plugin` and `os`,
//! with the RKE2 release as `appVersion`.
//!
//! ```json
//! {"appVersion":"v1.31.6+rke2r1",
//!  "extraTagInfo":{"kubernetesVersion":"v1.31.6","clusteruuid":"<uid of kube-system>",
//!                  "cni-plugin":"canal","os":"rocky"},
//!  "extraFieldInfo":{"nodeCount":3,"serverNodeCount":1,"agentNodeCount":2}}
//! ```
//!
//! Placement differs from the seed's example on purpose: the seed lists
//! `cni-plugin` and `os` under `extraFieldInfo`, but they are descriptions,
//! and the server's InfluxDB groups by tags only, so a
//! field could not answer "how many clusters run canal". They go in
//! `extraTagInfo`, under the seed's spelling (stored as `cni_plugin` and
//! `os`); the counts stay fields.
//!
//! `cni-plugin` is found where RKE2 runs each CNI it packages: canal,
//! cilium, flannel and the others as kube-system DaemonSets, calico in
//! calico-system (calico-node) under the Tigera operator (tigera-operator);
//! so the minimal mode reads the kube-system DaemonSets and those two
//! namespaces besides the nodes.
//!
//! The `standard` field mode adds the same extended descriptions as the
//! default component (`kernelVersion`, `architecture`, `cniPluginVersion`,
//! `ingressController`, `selinux`, `gpuVendor` tags and the `gpuNodeCount`
//! field), then the K3s family's bundle ([`Family`]), which brings what
//! RKE2's own Go client (rancher/rke2-security-responder) sends, in closed
//! form: `mode`, `operatingSystem`, `nodeInfoConsistent`,
//! `ingressVersion`, `gpuOperator`, `gpuOperatorVersion`,
//! `rancherManaged`, `rancherVersion`, `ipStack` tags, the
//! `serverCPUCores`, `agentCPUCores`, `serverMemoryGib`, `agentMemoryGib`
//! counts and the `dev` flag; never Rancher's installation UUID, which the
//! Go client sends. `minimal` is exactly the design record.

use reporter_sdk::classify::{CNI_PLUGIN_TAG, CniPlugin, Extended, Family, OS_TAG};
use reporter_sdk::facts::{cluster_uuid, kubernetes_version, node_counts};
use reporter_sdk::{ClusterFacts, FactKinds, FieldMode, Key, Payload, Reporter, Settings, UNKNOWN};

/// Sent in every mode (the design record's `cni-plugin` and `os`), so the
/// standard mode's bundle leaves its own `cniPlugin` and `os` out.
const SENT_IN_EVERY_MODE: &[&str] = &[OS_TAG, CNI_PLUGIN_TAG];

struct Rke2Reporter;

impl Reporter for Rke2Reporter {
    fn payload(facts: &ClusterFacts, settings: &Settings) -> Result<Payload, String> {
        let app_version = facts.server_version.git_version.as_str();
        let kubernetes_version = kubernetes_version(facts);
        let counts = node_counts(facts);
        // RKE2 deploys every CNI it packages as a kube-system workload except
        // calico, whose operator runs it in calico-system (which the SDK
        // looks in too): with no CNI workload in sight anywhere, the honest
        // answer is `unknown` (`cni: none`, or a CNI RKE2 does not package).
        let extended = Extended::of(facts, CniPlugin::embedded(UNKNOWN));
        let payload = Payload::new(app_version)
            .tag("kubernetesVersion", &kubernetes_version)
            .tag("clusteruuid", cluster_uuid(facts)?)
            .tag("cni-plugin", extended.cni.name)
            .tag("os", extended.os)
            .field("nodeCount", counts.nodes)
            .field("serverNodeCount", counts.servers)
            .field("agentNodeCount", counts.agents);
        if settings.field_mode == FieldMode::Minimal {
            return Ok(payload);
        }
        let payload = extended.add_to(payload, SENT_IN_EVERY_MODE);
        Ok(Family::of(facts, settings).add_to(payload))
    }

    fn facts_needed(mode: FieldMode) -> FactKinds {
        let minimal = FactKinds::NODES | FactKinds::DAEMON_SETS | FactKinds::CNI_NAMESPACES;
        match mode {
            // The node counts and `os`, and `cni-plugin`: a CNI plugin runs
            // as a kube-system DaemonSet, or calico in calico-system under
            // the operator in tigera-operator.
            FieldMode::Minimal => minimal,
            // The ingress controller runs as a Deployment or a DaemonSet;
            // Rancher in cattle-system; the GPU operators in their
            // namespaces; the IP stack is the `kubernetes` Service's.
            FieldMode::Standard => {
                minimal
                    | FactKinds::DEPLOYMENTS
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
            Key::tag("cni-plugin"),
            Key::tag("os"),
            Key::count("nodeCount"),
            Key::count("serverNodeCount"),
            Key::count("agentNodeCount"),
        ];
        keys.extend(Extended::keys(SENT_IN_EVERY_MODE));
        keys.extend(Family::keys());
        keys
    }
}

reporter_sdk::component!(Rke2Reporter);

#[cfg(test)]
mod tests {
    use super::*;
    use reporter_sdk::testing::{CLUSTERS, as_read_with, check_facts_needed, cluster, payload};
    use reporter_sdk::{
        IpStack, SystemNamespace, SystemWorkload, Workload, WorkloadImage, WorkloadKind,
    };

    /// The payloads of 0.2.0 on the RKE2 fixture (tests/e2e pins the same
    /// bodies through the host): the 0.3.0 and 0.4.0 facts must not change
    /// a byte.
    const MINIMAL: &str = r#"{"appVersion":"v1.31.6+rke2r1","extraTagInfo":{"kubernetesVersion":"v1.31.6","clusteruuid":"98e10cbe-b8e7-4831-878d-f6677a4594c3","cni-plugin":"canal","os":"rocky"},"extraFieldInfo":{"nodeCount":3,"serverNodeCount":1,"agentNodeCount":2}}"#;
    /// Every fixture in the minimal mode: rke2-canal's is [`MINIMAL`]; on the
    /// K3s clusters no CNI workload shows (K3s's flannel is embedded), so
    /// `unknown`; rke2-calico's calico is found in calico-system.
    const MINIMALS: [(&str, &str); 5] = [
        (
            "k3s-single",
            r#"{"appVersion":"v1.31.6+k3s1","extraTagInfo":{"kubernetesVersion":"v1.31.6","clusteruuid":"e0430492-d000-4a92-8557-ca4e45ddcb94","cni-plugin":"unknown","os":"ubuntu"},"extraFieldInfo":{"nodeCount":1,"serverNodeCount":1,"agentNodeCount":0}}"#,
        ),
        (
            "k3s-ha",
            r#"{"appVersion":"v1.31.6+k3s1","extraTagInfo":{"kubernetesVersion":"v1.31.6","clusteruuid":"2f06cc1a-6788-4fa1-b89e-732bd797902b","cni-plugin":"unknown","os":"ubuntu"},"extraFieldInfo":{"nodeCount":5,"serverNodeCount":3,"agentNodeCount":2}}"#,
        ),
        (
            "rke2-canal",
            r#"{"appVersion":"v1.31.6+rke2r1","extraTagInfo":{"kubernetesVersion":"v1.31.6","clusteruuid":"98e10cbe-b8e7-4831-878d-f6677a4594c3","cni-plugin":"canal","os":"rocky"},"extraFieldInfo":{"nodeCount":3,"serverNodeCount":1,"agentNodeCount":2}}"#,
        ),
        (
            "k3s-gpu",
            r#"{"appVersion":"v1.32.2+k3s1","extraTagInfo":{"kubernetesVersion":"v1.32.2","clusteruuid":"0e523211-d8c6-4857-ae85-3fea25a64205","cni-plugin":"unknown","os":"ubuntu"},"extraFieldInfo":{"nodeCount":4,"serverNodeCount":1,"agentNodeCount":3}}"#,
        ),
        (
            "rke2-calico",
            r#"{"appVersion":"v1.32.3+rke2r1","extraTagInfo":{"kubernetesVersion":"v1.32.3","clusteruuid":"c6a0e2b4-81d3-4f57-a9c1-3e5b7d9f0a2c","cni-plugin":"calico","os":"ubuntu"},"extraFieldInfo":{"nodeCount":5,"serverNodeCount":3,"agentNodeCount":2}}"#,
        ),
    ];
    /// The standard payloads: the extended bundle without `os` and
    /// `cniPlugin` (sent as the design record's `os` and `cni-plugin`),
    /// then the K3s family's (`dev` is `true`: the tests' settings are a
    /// development build's).
    const STANDARD: [(&str, &str); 5] = [
        (
            "k3s-single",
            r#"{"appVersion":"v1.31.6+k3s1","extraTagInfo":{"kubernetesVersion":"v1.31.6","clusteruuid":"e0430492-d000-4a92-8557-ca4e45ddcb94","cni-plugin":"unknown","os":"ubuntu","kernelVersion":"6.8","architecture":"amd64","cniPluginVersion":"unknown","ingressController":"traefik","selinux":"disabled","gpuVendor":"none","mode":"standard","operatingSystem":"linux","nodeInfoConsistent":"true","ingressVersion":"v3.3.2","gpuOperator":"none","gpuOperatorVersion":"none","rancherManaged":"false","rancherVersion":"none","ipStack":"ipv4-only"},"extraFieldInfo":{"nodeCount":1,"serverNodeCount":1,"agentNodeCount":0,"gpuNodeCount":0,"serverCPUCores":4,"agentCPUCores":0,"serverMemoryGib":8,"agentMemoryGib":0,"dev":true}}"#,
        ),
        (
            "k3s-ha",
            r#"{"appVersion":"v1.31.6+k3s1","extraTagInfo":{"kubernetesVersion":"v1.31.6","clusteruuid":"2f06cc1a-6788-4fa1-b89e-732bd797902b","cni-plugin":"unknown","os":"ubuntu","kernelVersion":"6.8","architecture":"amd64","cniPluginVersion":"unknown","ingressController":"traefik","selinux":"disabled","gpuVendor":"none","mode":"standard","operatingSystem":"linux","nodeInfoConsistent":"false","ingressVersion":"v3.3.2","gpuOperator":"none","gpuOperatorVersion":"none","rancherManaged":"true","rancherVersion":"v2.11","ipStack":"ipv4-only"},"extraFieldInfo":{"nodeCount":5,"serverNodeCount":3,"agentNodeCount":2,"gpuNodeCount":0,"serverCPUCores":12,"agentCPUCores":24,"serverMemoryGib":48,"agentMemoryGib":94,"dev":true}}"#,
        ),
        (
            "rke2-canal",
            r#"{"appVersion":"v1.31.6+rke2r1","extraTagInfo":{"kubernetesVersion":"v1.31.6","clusteruuid":"98e10cbe-b8e7-4831-878d-f6677a4594c3","cni-plugin":"canal","os":"rocky","kernelVersion":"5.14","architecture":"amd64,arm64","cniPluginVersion":"v3.29.1","ingressController":"ingress-nginx","selinux":"mixed","gpuVendor":"none","mode":"standard","operatingSystem":"linux","nodeInfoConsistent":"false","ingressVersion":"v1.12.0","gpuOperator":"none","gpuOperatorVersion":"none","rancherManaged":"false","rancherVersion":"none","ipStack":"ipv4-only"},"extraFieldInfo":{"nodeCount":3,"serverNodeCount":1,"agentNodeCount":2,"gpuNodeCount":0,"serverCPUCores":8,"agentCPUCores":8,"serverMemoryGib":15,"agentMemoryGib":22,"dev":true}}"#,
        ),
        (
            "k3s-gpu",
            r#"{"appVersion":"v1.32.2+k3s1","extraTagInfo":{"kubernetesVersion":"v1.32.2","clusteruuid":"0e523211-d8c6-4857-ae85-3fea25a64205","cni-plugin":"unknown","os":"ubuntu","kernelVersion":"5.15","architecture":"amd64","cniPluginVersion":"unknown","ingressController":"traefik","selinux":"disabled","gpuVendor":"mixed","mode":"standard","operatingSystem":"linux","nodeInfoConsistent":"true","ingressVersion":"v3.3.2","gpuOperator":"nvidia-gpu-operator","gpuOperatorVersion":"v0.17.0","rancherManaged":"false","rancherVersion":"none","ipStack":"dual-stack"},"extraFieldInfo":{"nodeCount":4,"serverNodeCount":1,"agentNodeCount":3,"gpuNodeCount":3,"serverCPUCores":4,"agentCPUCores":128,"serverMemoryGib":8,"agentMemoryGib":882,"dev":true}}"#,
        ),
        (
            "rke2-calico",
            r#"{"appVersion":"v1.32.3+rke2r1","extraTagInfo":{"kubernetesVersion":"v1.32.3","clusteruuid":"c6a0e2b4-81d3-4f57-a9c1-3e5b7d9f0a2c","cni-plugin":"calico","os":"ubuntu","kernelVersion":"5.15","architecture":"amd64","cniPluginVersion":"v3.29.2","ingressController":"ingress-nginx","selinux":"mixed","gpuVendor":"none","mode":"standard","operatingSystem":"linux","nodeInfoConsistent":"true","ingressVersion":"v1.12.0","gpuOperator":"none","gpuOperatorVersion":"none","rancherManaged":"true","rancherVersion":"v2.10","ipStack":"ipv4-only"},"extraFieldInfo":{"nodeCount":5,"serverNodeCount":3,"agentNodeCount":2,"gpuNodeCount":0,"serverCPUCores":24,"agentCPUCores":32,"serverMemoryGib":93,"agentMemoryGib":126,"dev":true}}"#,
        ),
    ];

    #[test]
    fn the_payloads_of_the_fixture_clusters_are_pinned() {
        assert_eq!(MINIMALS[2], ("rke2-canal", MINIMAL));
        for (mode, expected) in [
            (FieldMode::Minimal, MINIMALS),
            (FieldMode::Standard, STANDARD),
        ] {
            assert_eq!(expected.map(|(name, _)| name), CLUSTERS);
            for (name, body) in expected {
                assert_eq!(
                    payload::<Rke2Reporter>(&cluster(name), mode),
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
            // A CNI plugin runs as a DaemonSet, RKE2's calico in
            // calico-system (tigera-operator names it).
            "cni-plugin" | "cniPluginVersion" => FactKinds::DAEMON_SETS | FactKinds::CNI_NAMESPACES,
            // RKE2's ingress-nginx is a DaemonSet, others are Deployments.
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
    fn each_mode_asks_for_exactly_the_facts_its_keys_use() {
        check_facts_needed::<Rke2Reporter>(depends_on);
        assert_eq!(
            Rke2Reporter::facts_needed(FieldMode::Minimal),
            FactKinds::NODES | FactKinds::DAEMON_SETS | FactKinds::CNI_NAMESPACES
        );
        assert_eq!(
            Rke2Reporter::facts_needed(FieldMode::Standard),
            reporter_sdk::facts::every_kind()
        );
    }

    /// RKE2 with `cni: calico`: no CNI in kube-system, calico-node in
    /// calico-system under the Tigera operator.
    fn rke2_calico(facts: &ClusterFacts) -> ClusterFacts {
        let calico = |kind, version: &str| Workload {
            kind,
            software: "calico".into(),
            images: vec![WorkloadImage {
                software: "calico".into(),
                version: version.into(),
            }],
        };
        let mut facts = facts.clone();
        facts
            .kube_system_workloads
            .retain(|workload| workload.software != "canal");
        facts.system_workloads = vec![
            SystemWorkload {
                namespace: SystemNamespace::CalicoSystem,
                workload: calico(WorkloadKind::DaemonSet, "v3.29.2"),
            },
            SystemWorkload {
                namespace: SystemNamespace::TigeraOperator,
                workload: calico(WorkloadKind::Deployment, "v1.36.5"),
            },
        ];
        facts.unread_namespaces.clear();
        facts
    }

    #[test]
    fn calico_is_found_where_rke2_runs_it_in_both_modes() {
        let facts = rke2_calico(&cluster("rke2-canal"));
        for mode in [FieldMode::Minimal, FieldMode::Standard] {
            let read = as_read_with(&facts, Rke2Reporter::facts_needed(mode));
            let body = payload::<Rke2Reporter>(&read, mode);
            assert!(body.contains(r#""cni-plugin":"calico""#), "{mode:?} {body}");
            if mode == FieldMode::Standard {
                assert!(body.contains(r#""cniPluginVersion":"v3.29.2""#), "{body}");
            }
        }
        // Without the calico namespaces (refused): unknown, never none.
        let refused = ClusterFacts {
            system_workloads: Vec::new(),
            unread_namespaces: vec![
                SystemNamespace::CalicoSystem,
                SystemNamespace::TigeraOperator,
            ],
            ..facts
        };
        let body = payload::<Rke2Reporter>(&refused, FieldMode::Minimal);
        assert!(body.contains(r#""cni-plugin":"unknown""#), "{body}");
    }

    #[test]
    fn the_minimal_payload_is_the_design_records_whatever_the_new_facts_say() {
        let facts = cluster("rke2-canal");
        let unread = ClusterFacts {
            system_workloads: Vec::new(),
            unread_namespaces: vec![
                SystemNamespace::CalicoSystem,
                SystemNamespace::TigeraOperator,
                SystemNamespace::CattleSystem,
                SystemNamespace::GpuOperator,
                SystemNamespace::KubeAmdGpu,
                SystemNamespace::InteldevicepluginsSystem,
            ],
            ip_stack: IpStack::Unknown,
            ..facts.clone()
        };
        let dual_stack = ClusterFacts {
            ip_stack: IpStack::DualStack,
            ..facts.clone()
        };
        for facts in [facts, unread, dual_stack] {
            assert_eq!(payload::<Rke2Reporter>(&facts, FieldMode::Minimal), MINIMAL);
        }
    }

    #[test]
    fn an_unread_cni_is_unknown_never_none() {
        let facts = as_read_with(&cluster("rke2-canal"), FactKinds::NODES);
        let body = payload::<Rke2Reporter>(&facts, FieldMode::Minimal);
        assert!(body.contains(r#""cni-plugin":"unknown""#), "{body}");
    }
}
