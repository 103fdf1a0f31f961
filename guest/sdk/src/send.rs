//! The one network call a reporter makes: POST the payload, read the answer.

use http_body_util::{BodyExt, Limited};
use wstd::http::{Client, ErrorCode, Request};

/// The most of an answer a component reads. Real answers are a few KiB; the
/// host enforces its own, configurable, bound as well.
pub const MAX_ANSWER_BYTES: usize = 1 << 20;

/// What came back.
pub struct Reply {
    pub status: u16,
    pub body: Vec<u8>,
}

/// POSTs `body` as JSON to `endpoint`. The error is the transport's message
/// (for example the host's "HTTP request denied"), for the operator's log.
pub fn post_json(endpoint: &str, body: String) -> Result<Reply, String> {
    wstd::runtime::block_on(async move {
        // wstd streams bodies chunked unless the length is given, and some
        // proxies in front of upgrade-responder servers refuse chunked POSTs.
        let request = Request::post(endpoint)
            .header("content-type", "application/json")
            .header("content-length", body.len())
            .body(body)
            .map_err(|e| format!("cannot make a request for {endpoint}: {e}"))?;
        let response = Client::new()
            .send(request)
            .await
            .map_err(|e| describe(&e))?;
        let status = response.status().as_u16();
        let body = Limited::new(response.into_body().into_boxed_body(), MAX_ANSWER_BYTES)
            .collect()
            .await
            .map_err(|e| format!("reading the answer failed: {e}"))?
            .to_bytes()
            .to_vec();
        Ok(Reply { status, body })
    })
}

/// A transport error in words an operator can act on, with the wasi-http
/// code name for searching.
fn describe(error: &wstd::http::Error) -> String {
    match error.downcast_ref::<ErrorCode>() {
        Some(code) => describe_code(code),
        None => format!("{error:#}"),
    }
}

fn describe_code(code: &ErrorCode) -> String {
    let words = match code {
        ErrorCode::HttpRequestDenied => {
            "request denied by the host (not the endpoint, or past a limit: the host's log says which)"
        }
        ErrorCode::ConnectionRefused => "connection refused",
        ErrorCode::ConnectionTimeout => "connection timed out",
        ErrorCode::ConnectionReadTimeout => "timed out waiting for the answer",
        ErrorCode::ConnectionWriteTimeout => "timed out sending the request",
        ErrorCode::ConnectionTerminated => "connection closed by the server",
        ErrorCode::ConnectionLimitReached => "connection limit reached",
        ErrorCode::DnsTimeout | ErrorCode::DnsError(_) | ErrorCode::DestinationNotFound => {
            "the endpoint's host name could not be resolved"
        }
        ErrorCode::DestinationUnavailable | ErrorCode::DestinationIpUnroutable => {
            "the endpoint is unreachable"
        }
        ErrorCode::DestinationIpProhibited => "the endpoint's address is prohibited",
        ErrorCode::TlsCertificateError => "the endpoint's TLS certificate is not trusted",
        ErrorCode::TlsProtocolError | ErrorCode::TlsAlertReceived(_) => "the TLS handshake failed",
        ErrorCode::HttpRequestBodySize(_) => "the request body exceeds the host's limit",
        ErrorCode::HttpResponseBodySize(_) => "the answer exceeds the host's size limit",
        ErrorCode::HttpResponseTimeout => "timed out waiting for the answer",
        ErrorCode::HttpResponseIncomplete => "the answer was cut off",
        _ => "the request failed",
    };
    // Debug prints `ErrorCode::Name(...)`: keep `Name`.
    let debug = format!("{code:?}");
    let name = debug.trim_start_matches("ErrorCode::");
    let name = name.split(['(', ' ', '{']).next().unwrap_or(name);
    format!("{words} ({name})")
}
