//! Hostile: allocates until the host says no.

use reporter_sdk::{ClusterFacts, FactKinds, FieldMode, Payload, Reporter, Settings};

struct AllocatesWithoutBound;

impl Reporter for AllocatesWithoutBound {
    fn payload(_facts: &ClusterFacts, _settings: &Settings) -> Result<Payload, String> {
        let mut hoard: Vec<Vec<u8>> = Vec::new();
        loop {
            hoard.push(std::hint::black_box(vec![7u8; 1 << 20]));
        }
    }

    fn facts_needed(_mode: FieldMode) -> FactKinds {
        FactKinds::empty()
    }
}

reporter_sdk::component!(AllocatesWithoutBound);
