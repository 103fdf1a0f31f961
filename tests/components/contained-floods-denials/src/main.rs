//! Hostile: makes thousands of requests to an authority the host denies,
//! each with a long authority, to fill the host's log.

use reporter_sdk::bindings::{Guest, export_reporter};
use reporter_sdk::{ClusterFacts, FactKinds, FieldMode, Outcome, ReportError, Settings};

const REQUESTS: usize = 5_000;

struct FloodsDenials;

impl Guest for FloodsDenials {
    fn build_payload(_facts: ClusterFacts, _settings: Settings) -> Result<String, String> {
        Ok("{}".to_string())
    }

    fn report(_facts: ClusterFacts, _settings: Settings) -> Result<Outcome, ReportError> {
        let long_name = format!("{}.example", "a".repeat(60));
        let mut denied = 0;
        for i in 0..REQUESTS {
            let url = format!("http://flood-{i}.{long_name}/v1/checkupgrade");
            if reporter_sdk::send::post_json(&url, "{}".into()).is_err() {
                denied += 1;
            }
        }
        Err(ReportError::NotSent(format!("{denied} requests denied")))
    }

    fn request_schema() -> String {
        String::from("{}")
    }

    /// It uses no cluster facts: the host reads none but the version and UUID.
    fn facts_needed(_mode: FieldMode) -> FactKinds {
        FactKinds::empty()
    }
}

export_reporter!(FloodsDenials with_types_in reporter_sdk::bindings);

fn main() {}
