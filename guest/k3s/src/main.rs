//! The default reporter: the K3s payload of the design record (seed 000).
//!
//! ```json
//! {"appVersion":"v1.31.6+k3s1",
//!  "extraTagInfo":{"kubernetesVersion":"v1.31.6","clusteruuid":"<uid of kube-system>"},
//!  "extraFieldInfo":{"nodeCount":5,"serverNodeCount":3,"agentNodeCount":2}}
//! ```

use reporter_sdk::facts::{cluster_uuid, node_counts};
use reporter_sdk::payload::UNKNOWN;
use reporter_sdk::{ClusterFacts, DistroVersion, Payload, Reporter, Settings};

struct K3sReporter;

impl Reporter for K3sReporter {
    fn payload(facts: &ClusterFacts, _settings: &Settings) -> Result<Payload, String> {
        let app_version = facts.server_version.git_version.as_str();
        let kubernetes_version = DistroVersion::parse(app_version)
            .map(|v| v.kubernetes_version())
            .unwrap_or_else(|| UNKNOWN.to_string());
        let counts = node_counts(facts);
        Ok(Payload::new(app_version)
            .tag("kubernetesVersion", &kubernetes_version)
            .tag("clusteruuid", cluster_uuid(facts)?)
            .field("nodeCount", counts.nodes)
            .field("serverNodeCount", counts.servers)
            .field("agentNodeCount", counts.agents))
    }
}

reporter_sdk::component!(K3sReporter);
