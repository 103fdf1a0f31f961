//! Hostile (or just buggy): traps.

use reporter_sdk::{ClusterFacts, FactKinds, FieldMode, Payload, Reporter, Settings};

struct Traps;

impl Reporter for Traps {
    fn payload(_facts: &ClusterFacts, _settings: &Settings) -> Result<Payload, String> {
        core::arch::wasm32::unreachable()
    }

    fn facts_needed(_mode: FieldMode) -> FactKinds {
        FactKinds::empty()
    }
}

reporter_sdk::component!(Traps);
