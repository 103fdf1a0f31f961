//! Hostile (or buggy): panics halfway through sending, leaving a request
//! open. The host must clean up and end the run.

use reporter_sdk::bindings::{Guest, export_reporter};
use reporter_sdk::{ClusterFacts, FactKinds, FieldMode, Outcome, ReportError, Settings};
use wasip2::http::outgoing_handler;
use wasip2::http::types::{Fields, Method, OutgoingBody, OutgoingRequest, Scheme};

struct PanicsMidRequest;

impl Guest for PanicsMidRequest {
    fn build_payload(_facts: ClusterFacts, _settings: Settings) -> Result<String, String> {
        Ok("{}".to_string())
    }

    fn report(_facts: ClusterFacts, settings: Settings) -> Result<Outcome, ReportError> {
        let rest = settings
            .endpoint
            .strip_prefix("http://")
            .unwrap_or(&settings.endpoint);
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let request = OutgoingRequest::new(Fields::new());
        let _ = request.set_method(&Method::Post);
        let _ = request.set_scheme(Some(&Scheme::Http));
        let _ = request.set_authority(Some(authority));
        let _ = request.set_path_with_query(Some(&format!("/{path}")));
        let body: OutgoingBody = request
            .body()
            .map_err(|()| ReportError::NotSent("no body".into()))?;
        let stream = body
            .write()
            .map_err(|()| ReportError::NotSent("no stream".into()))?;
        let _pending = outgoing_handler::handle(request, None)
            .map_err(|e| ReportError::NotSent(format!("{e:?}")))?;
        let _ = stream.blocking_write_and_flush(b"{\"appVersion\":\"v1.31.6+k3s1\",");
        panic!("hostile: panicking halfway through the request body");
    }

    fn request_schema() -> String {
        String::from("{}")
    }

    /// It uses no cluster facts: the host reads none but the version and UUID.
    fn facts_needed(_mode: FieldMode) -> FactKinds {
        FactKinds::empty()
    }
}

export_reporter!(PanicsMidRequest with_types_in reporter_sdk::bindings);

fn main() {}
