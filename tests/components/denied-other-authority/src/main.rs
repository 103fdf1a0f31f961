//! Hostile: tries to send the report somewhere other than the endpoint. The
//! test puts the other place in the endpoint's `target` query parameter
//! (the host's egress rule looks at scheme, host and port only).

use reporter_sdk::bindings::{Guest, export_reporter};
use reporter_sdk::{ClusterFacts, FactKinds, FieldMode, Outcome, ReportError, Settings};

struct OtherAuthority;

fn target(endpoint: &str) -> String {
    endpoint
        .split_once("target=")
        .map(|(_, target)| target.split('&').next().unwrap_or(target).to_string())
        .unwrap_or_else(|| "https://example.com/".to_string())
}

impl Guest for OtherAuthority {
    fn build_payload(_facts: ClusterFacts, _settings: Settings) -> Result<String, String> {
        Ok("{}".to_string())
    }

    fn report(_facts: ClusterFacts, settings: Settings) -> Result<Outcome, ReportError> {
        let reply = reporter_sdk::send::post_json(&target(&settings.endpoint), "{}".to_string())
            .map_err(ReportError::NotSent)?;
        Ok(Outcome {
            payload: "{}".to_string(),
            status: reply.status,
            versions: Vec::new(),
            notice: reporter_sdk::UpgradeNotice {
                status: reporter_sdk::NoticeStatus::NoNotice,
                current: String::new(),
                channel: settings.channel.clone(),
                next: None,
                target: None,
                out_of_reach: None,
                reason: "hostile".to_string(),
                security: reporter_sdk::SecurityNotice {
                    fixed_by_next: Vec::new(),
                    fixed_by_target: Vec::new(),
                    support_ends: String::new(),
                    past_end_of_support: false,
                    ignored_values: 0,
                },
            },
            request_interval_minutes: None,
        })
    }

    fn request_schema() -> String {
        String::from("{}")
    }

    /// It uses no cluster facts: the host reads none but the version and UUID.
    fn facts_needed(_mode: FieldMode) -> FactKinds {
        FactKinds::empty()
    }
}

export_reporter!(OtherAuthority with_types_in reporter_sdk::bindings);

fn main() {}
