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
//! The `standard` field mode adds the same extended descriptions as the
//! default component (`kernelVersion`, `architecture`, `cniPluginVersion`,
//! `ingressController`, `selinux`, `gpuVendor` tags and the `gpuNodeCount`
//! field); `minimal` is exactly the design record.

use reporter_sdk::classify::{CNI_PLUGIN_TAG, CniPlugin, Extended, OS_TAG};
use reporter_sdk::facts::{cluster_uuid, kubernetes_version, node_counts};
use reporter_sdk::{ClusterFacts, FieldMode, Key, Payload, Reporter, Settings, UNKNOWN};

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
        // calico, whose operator runs it in calico-system: with no CNI
        // workload in sight, the honest answer is `unknown`.
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
        Ok(extended.add_to(payload, SENT_IN_EVERY_MODE))
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
        keys
    }
}

reporter_sdk::component!(Rke2Reporter);
