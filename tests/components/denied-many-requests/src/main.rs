//! Hostile: posts five times to the endpoint in one run.

use reporter_sdk::bindings::{Guest, export_reporter};
use reporter_sdk::{ClusterFacts, FactKinds, FieldMode, Outcome, ReportError, Settings};

struct ManyRequests;

impl Guest for ManyRequests {
    fn build_payload(_facts: ClusterFacts, _settings: Settings) -> Result<String, String> {
        Ok("{}".to_string())
    }

    fn report(_facts: ClusterFacts, settings: Settings) -> Result<Outcome, ReportError> {
        let mut statuses = Vec::new();
        for attempt in 0..5 {
            let body = format!("{{\"appVersion\":\"attempt-{attempt}\"}}");
            match reporter_sdk::send::post_json(&settings.endpoint, body) {
                Ok(reply) => statuses.push(reply.status.to_string()),
                Err(error) => {
                    return Err(ReportError::NotSent(format!("attempt {attempt}: {error}")));
                }
            }
        }
        Err(ReportError::NotSent(format!(
            "all five went out: {}",
            statuses.join(",")
        )))
    }

    fn request_schema() -> String {
        String::from("{}")
    }

    /// It uses no cluster facts: the host reads none but the version and UUID.
    fn facts_needed(_mode: FieldMode) -> FactKinds {
        FactKinds::empty()
    }
}

export_reporter!(ManyRequests with_types_in reporter_sdk::bindings);

fn main() {}
