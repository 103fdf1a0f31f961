//! Hostile: creates outgoing requests and writes as much body into each as
//! the host will buffer, keeping them all and sending none.

use reporter_sdk::bindings::{Guest, export_reporter};
use reporter_sdk::{ClusterFacts, FactKinds, FieldMode, Outcome, ReportError, Settings};
use wasip2::http::types::{Fields, OutgoingBody, OutgoingRequest};

/// Enough to take 500 MB of a host that buffers 1 MiB per body.
const REQUESTS: usize = 500;

struct HoardsRequestBodies;

fn hoard() -> String {
    let chunk = vec![b'b'; 1 << 20];
    let mut kept: Vec<(OutgoingRequest, OutgoingBody, _)> = Vec::new();
    for _ in 0..REQUESTS {
        let request = OutgoingRequest::new(Fields::new());
        let Ok(body) = request.body() else { break };
        let Ok(stream) = body.write() else { break };
        // Write what the host says it will take now.
        if let Ok(permitted) = stream.check_write() {
            let n = (permitted as usize).min(chunk.len());
            let _ = stream.write(&chunk[..n]);
        }
        kept.push((request, body, stream));
    }
    format!("hoarded {} request bodies", kept.len())
}

impl Guest for HoardsRequestBodies {
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

export_reporter!(HoardsRequestBodies with_types_in reporter_sdk::bindings);

fn main() {}
