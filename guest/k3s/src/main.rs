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
//! `gpuVendor`, and the field (a count) `gpuNodeCount`. README.md, "Fields
//! and modes", says where each comes from.

use reporter_sdk::classify::{CniPlugin, Extended};
use reporter_sdk::facts::{cluster_uuid, kubernetes_version, node_counts};
use reporter_sdk::{ClusterFacts, FieldMode, Key, Payload, Reporter, Settings};

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
        // clusteruuid and the field follows agentNodeCount.
        Ok(extended.add_to(payload, &[]))
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
        keys
    }
}

reporter_sdk::component!(K3sReporter);
