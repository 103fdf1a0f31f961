//! Hostile: returns a huge value for the host to copy and log.

use reporter_sdk::bindings::{Guest, export_reporter};
use reporter_sdk::{ClusterFacts, FactKinds, FieldMode, Outcome, ReportError, Settings};

struct GiganticOutcome;

impl Guest for GiganticOutcome {
    fn build_payload(_facts: ClusterFacts, _settings: Settings) -> Result<String, String> {
        Ok("g".repeat(4 << 20))
    }

    fn report(_facts: ClusterFacts, _settings: Settings) -> Result<Outcome, ReportError> {
        Err(ReportError::NotSent("e".repeat(4 << 20)))
    }

    fn request_schema() -> String {
        String::from("{}")
    }

    /// It uses no cluster facts: the host reads none but the version and UUID.
    fn facts_needed(_mode: FieldMode) -> FactKinds {
        FactKinds::empty()
    }
}

export_reporter!(GiganticOutcome with_types_in reporter_sdk::bindings);

fn main() {}
