//! Hostile: tries to set, on an outgoing request's headers, each header the
//! host refuses to a component: the credentials and the client's name (the
//! host sets them after the egress check), framing and expectation
//! headers, and the headers a proxy in front of the endpoint reads as the
//! request's origin, route or method. Its payload says, header by header,
//! what wasi-http answered, so the test sees every one refused and a plain
//! header still allowed.

use reporter_sdk::bindings::{Guest, export_reporter};
use reporter_sdk::{ClusterFacts, FactKinds, FieldMode, Outcome, ReportError, Settings};
use wasip2::http::types::{Fields, HeaderError};

/// Every header tried, in order; the last ones are plain and allowed.
const TRIED: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "cookie",
    "user-agent",
    "host",
    "te",
    "trailer",
    "expect",
    "max-forwards",
    "via",
    "forwarded",
    "x-forwarded-for",
    "x-forwarded-host",
    "x-forwarded-proto",
    "x-real-ip",
    "x-original-url",
    "x-rewrite-url",
    "x-http-method-override",
    "x-http-method",
    "x-method-override",
    "content-type",
    "x-request-id",
];

struct SetsProxyHeaders;

impl Guest for SetsProxyHeaders {
    fn build_payload(_facts: ClusterFacts, _settings: Settings) -> Result<String, String> {
        let answers: Vec<String> = TRIED
            .iter()
            .map(|name| {
                let fields = Fields::new();
                let answer = match fields.append(name, b"127.0.0.1") {
                    Ok(()) => "allowed",
                    Err(HeaderError::Forbidden) => "forbidden",
                    Err(HeaderError::InvalidSyntax) => "invalid",
                    Err(HeaderError::Immutable) => "immutable",
                };
                format!("{name}={answer}")
            })
            .collect();
        Ok(answers.join(" "))
    }

    fn report(facts: ClusterFacts, settings: Settings) -> Result<Outcome, ReportError> {
        Self::build_payload(facts, settings).map_err(ReportError::InvalidFacts)?;
        Err(ReportError::NotSent(
            "sets-proxy-headers sends nothing".to_string(),
        ))
    }

    fn request_schema() -> String {
        String::from("{}")
    }

    /// It uses no cluster facts: the host reads none but the version and UUID.
    fn facts_needed(_mode: FieldMode) -> FactKinds {
        FactKinds::empty()
    }
}

export_reporter!(SetsProxyHeaders with_types_in reporter_sdk::bindings);

fn main() {}
