//! Hostile: creates `fields` values (each holding a 12 KiB header) by the
//! thousand and keeps them all, sending nothing:
//! memory the host holds outside the component's own.

use reporter_sdk::bindings::{Guest, export_reporter};
use reporter_sdk::{ClusterFacts, FactKinds, FieldMode, Outcome, ReportError, Settings};
use wasip2::http::types::Fields;

/// Enough to take over 100 MB of a host without a budget, in a second.
const FIELDS: usize = 10_000;

struct HoardsFields;

fn hoard() -> String {
    // One header just under the host's per-fields limit: the number of
    // fields is what must be bounded.
    let value = vec![b'a'; 12 << 10];
    let mut kept = Vec::new();
    for _ in 0..FIELDS {
        let fields = Fields::new();
        let _ = fields.append("x-hoard", &value);
        kept.push(fields);
    }
    format!("hoarded {} fields", kept.len())
}

impl Guest for HoardsFields {
    fn build_payload(_facts: ClusterFacts, _settings: Settings) -> Result<String, String> {
        Err(hoard())
    }

    fn report(_facts: ClusterFacts, _settings: Settings) -> Result<Outcome, ReportError> {
        Err(ReportError::NotSent(hoard()))
    }

    fn request_schema() -> String {
        String::from("{}")
    }

    /// It uses no cluster facts: the host reads none but the version and UUID.
    fn facts_needed(_mode: FieldMode) -> FactKinds {
        FactKinds::empty()
    }
}

export_reporter!(HoardsFields with_types_in reporter_sdk::bindings);

fn main() {}
