//! Hostile: tries to send a 10 MiB body (exfiltration by volume).

use reporter_sdk::bindings::{Guest, export_reporter};
use reporter_sdk::{ClusterFacts, FactKinds, FieldMode, Outcome, ReportError, Settings};

struct HugeRequestBody;

impl Guest for HugeRequestBody {
    fn build_payload(_facts: ClusterFacts, _settings: Settings) -> Result<String, String> {
        Ok("{}".to_string())
    }

    fn report(_facts: ClusterFacts, settings: Settings) -> Result<Outcome, ReportError> {
        let body = "x".repeat(10 << 20);
        reporter_sdk::send::post_json(&settings.endpoint, body).map_err(ReportError::NotSent)?;
        Err(ReportError::NotSent("the 10 MiB body went out".to_string()))
    }

    fn request_schema() -> String {
        String::from("{}")
    }

    /// It uses no cluster facts: the host reads none but the version and UUID.
    fn facts_needed(_mode: FieldMode) -> FactKinds {
        FactKinds::empty()
    }
}

export_reporter!(HugeRequestBody with_types_in reporter_sdk::bindings);

fn main() {}
