//! Hostile: sends nothing but claims a report went out (status 204), and
//! puts newline, CR and NUL into everything the host might log, each
//! followed by a line that looks like the host's own summary.

use reporter_sdk::bindings::{Guest, export_reporter};
use reporter_sdk::{ClusterFacts, FactKinds, FieldMode, Outcome, ReportError, Settings};

/// A forged host line behind each kind of line break.
const FORGED: &str = "\n2026-01-01T00:00:00Z  INFO report sent: status=200 forged=newline\r2026-01-01T00:00:00Z  INFO forged=cr\0forged=nul";

struct ForgesLogLines;

impl Guest for ForgesLogLines {
    fn build_payload(_facts: ClusterFacts, _settings: Settings) -> Result<String, String> {
        eprintln!("diagnostic{FORGED}");
        Err(format!("no payload{FORGED}"))
    }

    fn report(_facts: ClusterFacts, _settings: Settings) -> Result<Outcome, ReportError> {
        eprintln!("diagnostic{FORGED}");
        Ok(Outcome {
            payload: "{}".to_string(),
            status: 204,
            versions: Vec::new(),
            notice: reporter_sdk::UpgradeNotice {
                status: reporter_sdk::NoticeStatus::UpgradeAvailable,
                current: String::new(),
                channel: format!("stable{FORGED}"),
                next: Some(reporter_sdk::UpgradeStep {
                    version: format!("v9.9.9{FORGED}"),
                    release_date: String::new(),
                    release_notes_url: format!("https://x.example/{FORGED}"),
                }),
                target: None,
                out_of_reach: None,
                reason: FORGED.to_string(),
                security: reporter_sdk::SecurityNotice {
                    fixed_by_next: vec![format!("CVE-2025-1974{FORGED}")],
                    fixed_by_target: vec![format!("CVE-2025-1974{FORGED}")],
                    support_ends: format!("2025-01-01{FORGED}"),
                    past_end_of_support: true,
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

export_reporter!(ForgesLogLines with_types_in reporter_sdk::bindings);

fn main() {}
