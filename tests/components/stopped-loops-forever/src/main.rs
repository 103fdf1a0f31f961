//! Hostile: never returns, burning CPU.

use reporter_sdk::{ClusterFacts, FactKinds, FieldMode, Payload, Reporter, Settings};

struct LoopsForever;

impl Reporter for LoopsForever {
    fn payload(_facts: &ClusterFacts, _settings: &Settings) -> Result<Payload, String> {
        let mut spins: u64 = 0;
        loop {
            spins = std::hint::black_box(spins.wrapping_add(1));
        }
    }

    fn facts_needed(_mode: FieldMode) -> FactKinds {
        FactKinds::empty()
    }
}

reporter_sdk::component!(LoopsForever);
