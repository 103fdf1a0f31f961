//! The example of COMPONENTS.md: a whole reporter component. It sends the
//! cluster's version and UUID, its node count, and in the `standard` field
//! mode the set of node architectures; it declares those keys, so
//! `--schema` prints the request schema its server needs.

use reporter_sdk::classify::cluster_architectures;
use reporter_sdk::facts::{cluster_uuid, node_counts};
use reporter_sdk::{ClusterFacts, FactKinds, FieldMode, Key, Payload, Reporter, Settings};

struct ExampleReporter;

impl Reporter for ExampleReporter {
    fn payload(facts: &ClusterFacts, settings: &Settings) -> Result<Payload, String> {
        let payload = Payload::new(&facts.server_version.git_version)
            .tag("clusteruuid", cluster_uuid(facts)?)
            .field("nodeCount", node_counts(facts).nodes);
        Ok(match settings.field_mode {
            FieldMode::Minimal => payload,
            FieldMode::Standard => payload.tag("architecture", &cluster_architectures(facts)),
        })
    }

    /// Nodes only, in both modes: the count and the architectures come
    /// from the node groups; no workload is read.
    fn facts_needed(_mode: FieldMode) -> FactKinds {
        FactKinds::NODES
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

#[cfg(test)]
mod tests {
    use super::*;
    use reporter_sdk::testing::{check_facts_needed, cluster, payload};

    #[test]
    fn the_example_payload_of_the_ha_fixture_is_unchanged() {
        assert_eq!(
            payload::<ExampleReporter>(&cluster("k3s-ha"), FieldMode::Standard),
            r#"{"appVersion":"v1.31.6+k3s1","extraTagInfo":{"clusteruuid":"2f06cc1a-6788-4fa1-b89e-732bd797902b","architecture":"amd64"},"extraFieldInfo":{"nodeCount":5}}"#
        );
    }

    #[test]
    fn each_mode_asks_for_exactly_the_facts_its_keys_use() {
        check_facts_needed::<ExampleReporter>(|key| match key {
            "clusteruuid" => Some(FactKinds::empty()),
            "nodeCount" | "architecture" => Some(FactKinds::NODES),
            _ => None,
        });
    }
}
