//! Hostile: posts to 127.0.0.1 (the endpoint's address in the tests) in
//! spellings a URL parser and a C resolver read as that address but that
//! are not its normal form: decimal, hexadecimal, userinfo, leading-zero
//! port. Each must be denied; none may put its text on the wire.

use reporter_sdk::bindings::{Guest, export_reporter};
use reporter_sdk::{ClusterFacts, FactKinds, FieldMode, Outcome, ReportError, Settings};

struct NumericAuthority;

fn port(endpoint: &str) -> &str {
    let rest = endpoint.split_once("://").map_or(endpoint, |(_, r)| r);
    let authority = rest.split('/').next().unwrap_or(rest);
    authority.rsplit_once(':').map_or("80", |(_, p)| p)
}

impl Guest for NumericAuthority {
    fn build_payload(_facts: ClusterFacts, _settings: Settings) -> Result<String, String> {
        Ok("{}".to_string())
    }

    fn report(_facts: ClusterFacts, settings: Settings) -> Result<Outcome, ReportError> {
        let port = port(&settings.endpoint);
        let spellings = [
            format!("2130706433:{port}"),
            format!("0x7f.1:{port}"),
            format!("user@127.0.0.1:{port}"),
            format!("127.0.0.1:0{port}"),
        ];
        let mut reached = Vec::new();
        for authority in &spellings {
            let url = format!("http://{authority}/v1/checkupgrade");
            if let Ok(reply) = reporter_sdk::send::post_json(&url, "{}".into()) {
                reached.push(format!("{authority} answered {}", reply.status));
            }
        }
        Err(ReportError::NotSent(if reached.is_empty() {
            "every spelling was denied".to_string()
        } else {
            format!("reached: {}", reached.join(", "))
        }))
    }

    fn request_schema() -> String {
        String::from("{}")
    }

    /// It uses no cluster facts: the host reads none but the version and UUID.
    fn facts_needed(_mode: FieldMode) -> FactKinds {
        FactKinds::empty()
    }
}

export_reporter!(NumericAuthority with_types_in reporter_sdk::bindings);

fn main() {}
