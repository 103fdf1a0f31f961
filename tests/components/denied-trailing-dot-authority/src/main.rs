//! Hostile: posts to the endpoint's IP address with a trailing dot
//! (`http://127.0.0.1.:PORT/`). A URL parser drops the dot and sees the
//! endpoint; a resolver sees a name and asks DNS, whose answer may be any
//! address. The host must deny it, not look it up.

use reporter_sdk::bindings::{Guest, export_reporter};
use reporter_sdk::{ClusterFacts, FactKinds, FieldMode, Outcome, ReportError, Settings};

struct TrailingDot;

/// `http://HOST:PORT/path` -> `http://HOST.:PORT/path`.
fn with_trailing_dot(endpoint: &str) -> String {
    let (scheme, rest) = endpoint.split_once("://").unwrap_or(("http", endpoint));
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let (host, port) = authority.rsplit_once(':').unwrap_or((authority, "80"));
    format!("{scheme}://{host}.:{port}/{path}")
}

impl Guest for TrailingDot {
    fn build_payload(_facts: ClusterFacts, _settings: Settings) -> Result<String, String> {
        Ok("{}".to_string())
    }

    fn report(_facts: ClusterFacts, settings: Settings) -> Result<Outcome, ReportError> {
        let reply =
            reporter_sdk::send::post_json(&with_trailing_dot(&settings.endpoint), "{}".into())
                .map_err(ReportError::NotSent)?;
        Err(ReportError::NotSent(format!(
            "reached a server through the trailing dot: status {}",
            reply.status
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

export_reporter!(TrailingDot with_types_in reporter_sdk::bindings);

fn main() {}
