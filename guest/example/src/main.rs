//! The example of COMPONENTS.md: a whole reporter component. It sends the
//! cluster's version and UUID, its node count, and in the `standard` field
//! mode the set of node architectures; it declares those keys, so
//! `--schema` prints the request schema its server needs, and the facts
//! they come from, so the host reads the nodes and nothing else.

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
    use reporter_sdk::testing::check_facts_needed;

    /// On every fixture cluster and in both modes, the facts asked for are
    /// exactly those the keys sent come from, and make the same payload.
    #[test]
    fn each_mode_asks_for_exactly_the_facts_its_keys_use() {
        check_facts_needed::<ExampleReporter>(|key| match key {
            "clusteruuid" => Some(FactKinds::empty()),
            "nodeCount" | "architecture" => Some(FactKinds::NODES),
            _ => None,
        });
    }
}
