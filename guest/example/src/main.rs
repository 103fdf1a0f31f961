//! The example of COMPONENTS.md: a whole reporter component. It sends the
//! cluster's version and UUID, its node count, and in the `standard` field
//! mode the set of node architectures; it declares those keys, so
//! `--schema` prints the request schema its server needs.

use reporter_sdk::classify::cluster_architectures;
use reporter_sdk::facts::cluster_uuid;
use reporter_sdk::{ClusterFacts, FieldMode, Key, Payload, Reporter, Settings};

struct ExampleReporter;

impl Reporter for ExampleReporter {
    fn payload(facts: &ClusterFacts, settings: &Settings) -> Result<Payload, String> {
        let payload = Payload::new(&facts.server_version.git_version)
            .tag("clusteruuid", cluster_uuid(facts)?)
            .field("nodeCount", facts.nodes.len());
        Ok(match settings.field_mode {
            FieldMode::Minimal => payload,
            FieldMode::Standard => payload.tag("architecture", &cluster_architectures(facts)),
        })
    }

    fn keys() -> Vec<Key> {
        vec![
            Key::tag("clusteruuid"),
            Key::count("nodeCount"),
            Key::tag("architecture").standard(),
        ]
    }
}

reporter_sdk::component!(ExampleReporter);
