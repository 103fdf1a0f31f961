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

    fn facts_needed(mode: FieldMode) -> FactKinds {
        match mode {
            // The node counts and `os`, and `cni-plugin`: a CNI plugin runs
            // as a DaemonSet.
            FieldMode::Minimal => FactKinds::NODES | FactKinds::DAEMON_SETS,
            // The ingress controller runs as a Deployment or a DaemonSet.
            FieldMode::Standard => {
                FactKinds::NODES | FactKinds::DEPLOYMENTS | FactKinds::DAEMON_SETS
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
        keys
    }
}

reporter_sdk::component!(Rke2Reporter);

#[cfg(test)]
mod tests {
    use super::*;
    use reporter_sdk::testing::{as_read_with, check_facts_needed, cluster, payload};

    /// The payloads of 0.2.0 on the RKE2 fixture (tests/e2e pins the same
    /// bodies through the host): the 0.3.0 facts must not change a byte.
    const MINIMAL: &str = r#"{"appVersion":"v1.31.6+rke2r1","extraTagInfo":{"kubernetesVersion":"v1.31.6","clusteruuid":"98e10cbe-b8e7-4831-878d-f6677a4594c3","cni-plugin":"canal","os":"rocky"},"extraFieldInfo":{"nodeCount":3,"serverNodeCount":1,"agentNodeCount":2}}"#;
    const STANDARD: &str = r#"{"appVersion":"v1.31.6+rke2r1","extraTagInfo":{"kubernetesVersion":"v1.31.6","clusteruuid":"98e10cbe-b8e7-4831-878d-f6677a4594c3","cni-plugin":"canal","os":"rocky","kernelVersion":"5.14","architecture":"amd64,arm64","cniPluginVersion":"v3.29.1","ingressController":"ingress-nginx","selinux":"mixed","gpuVendor":"none"},"extraFieldInfo":{"nodeCount":3,"serverNodeCount":1,"agentNodeCount":2,"gpuNodeCount":0}}"#;

    #[test]
    fn the_payloads_of_the_rke2_fixture_are_unchanged() {
        let facts = cluster("rke2-canal");
        assert_eq!(payload::<Rke2Reporter>(&facts, FieldMode::Minimal), MINIMAL);
        assert_eq!(
            payload::<Rke2Reporter>(&facts, FieldMode::Standard),
            STANDARD
        );
    }

    /// Which facts each key is derived from.
    fn depends_on(key: &str) -> Option<FactKinds> {
        Some(match key {
            "kubernetesVersion" | "clusteruuid" => FactKinds::empty(),
            "nodeCount" | "serverNodeCount" | "agentNodeCount" | "os" | "kernelVersion"
            | "architecture" | "selinux" | "gpuVendor" | "gpuNodeCount" => FactKinds::NODES,
            // A CNI plugin runs as a DaemonSet.
            "cni-plugin" | "cniPluginVersion" => FactKinds::DAEMON_SETS,
            // RKE2's ingress-nginx is a DaemonSet, others are Deployments.
            "ingressController" => FactKinds::DEPLOYMENTS | FactKinds::DAEMON_SETS,
            _ => return None,
        })
    }

    #[test]
    fn each_mode_asks_for_exactly_the_facts_its_keys_use() {
        check_facts_needed::<Rke2Reporter>(depends_on);
    }

    #[test]
    fn an_unread_cni_is_unknown_never_none() {
        let facts = as_read_with(&cluster("rke2-canal"), FactKinds::NODES);
        let body = payload::<Rke2Reporter>(&facts, FieldMode::Minimal);
        assert!(body.contains(r#""cni-plugin":"unknown""#), "{body}");
    }
}
