//! The wasi-http hook every outgoing request passes: the egress rule, the
//! request count and size, the headers the host adds and those it refuses.

use std::sync::Arc;
use std::time::Duration;

use http_body_util::BodyExt;
use wasmtime_wasi_http::WasiHttpHooks;

use crate::ground::policy::{self, Authority, Limits};

use super::body::{BoundedBody, Counted};
use super::events::{Exchange, SharedEvents, record};

/// Where and how the component may send: the endpoint's authority, the
/// TLS roots, and the credentials the host adds (never shown to the
/// component, never logged).
#[derive(Clone)]
pub struct EgressPolicy {
    pub authority: Authority,
    pub tls: Arc<rustls::ClientConfig>,
    pub bearer_token: Option<http::HeaderValue>,
    /// Headers the host sets on every request, over whatever the component
    /// wrote: the configured `User-Agent` and the public marker.
    pub identity: Vec<(http::HeaderName, http::HeaderValue)>,
    /// A dry run's sample answer: a request the rule allows is answered
    /// with it (200, JSON) by the host itself, and nothing leaves the
    /// machine.
    pub sample_answer: Option<bytes::Bytes>,
}

/// The wasi-http hooks: every outgoing request is checked here.
pub(super) struct Egress {
    /// `None` for every export but `report`: nothing may go out.
    pub(super) policy: Option<EgressPolicy>,
    /// The export running, for a denial's words.
    pub(super) export: &'static str,
    pub(super) limits: Limits,
    pub(super) requests_made: u32,
    pub(super) user_agent: http::HeaderValue,
    pub(super) events: SharedEvents,
}

/// Bytes of the request line and headers as the component wrote them.
fn head_bytes(request: &http::Request<wasmtime_wasi_http::WasiBody>) -> u64 {
    let target = request
        .uri()
        .path_and_query()
        .map_or(1, |p| p.as_str().len());
    // "METHOD target HTTP/1.1\r\n", then "name: value\r\n" per header, then "\r\n".
    let line = request.method().as_str().len() + 1 + target + 11;
    let headers: usize = request
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + 2 + value.len() + 2)
        .sum();
    (line + headers + 2) as u64
}

impl Egress {
    /// Allowed: the bytes of the request's head, counted against the
    /// request size limit. Denied: why.
    fn decide(
        &mut self,
        request: &http::Request<wasmtime_wasi_http::WasiBody>,
    ) -> Result<u64, String> {
        let uri = request.uri();
        let scheme = uri.scheme_str().unwrap_or("");
        let authority = uri.authority().map(|a| a.as_str()).unwrap_or("");
        let Some(policy) = &self.policy else {
            let why = match self.export {
                "build-payload" => "a dry run sends nothing".to_string(),
                export => format!("only `report` may send, not `{export}`"),
            };
            return Err(format!(
                "request to {scheme}://{} denied: {why}",
                crate::ground::text::log_text(authority, 200)
            ));
        };
        policy.authority.permits(scheme, authority)?;
        if self.requests_made >= self.limits.max_requests {
            let limit = format!("request limit ({} per run)", self.limits.max_requests);
            record(&self.events, |e| e.limit_hit = Some(limit.clone()));
            return Err(format!(
                "request to {} denied: {limit} reached",
                policy.authority
            ));
        }
        let max = self.limits.max_request_bytes;
        let head = head_bytes(request);
        let length = request
            .headers()
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
        if let Some(length) = length
            && length > max
        {
            let limit = format!("request body limit ({max} bytes)");
            record(&self.events, |e| e.limit_hit = Some(limit.clone()));
            return Err(format!("request of {length} bytes denied: {limit}"));
        }
        let total = head + length.unwrap_or(0);
        if total > max {
            let limit = request_size_limit(max);
            record(&self.events, |e| e.limit_hit = Some(limit.clone()));
            return Err(format!(
                "request of {total} bytes ({head} of request line and headers) denied: {limit}"
            ));
        }
        self.requests_made += 1;
        Ok(head)
    }

    /// The component's timeouts, never longer than the policy's.
    fn clamp(
        &self,
        asked: Option<wasmtime_wasi_http::RequestOptions>,
    ) -> wasmtime_wasi_http::RequestOptions {
        let asked = asked.unwrap_or_default();
        let bound =
            |asked: Option<Duration>, limit: Duration| Some(asked.map_or(limit, |a| a.min(limit)));
        wasmtime_wasi_http::RequestOptions {
            connect_timeout: bound(asked.connect_timeout, self.limits.connect_timeout),
            first_byte_timeout: bound(asked.first_byte_timeout, self.limits.first_byte_timeout),
            between_bytes_timeout: bound(
                asked.between_bytes_timeout,
                self.limits.between_bytes_timeout,
            ),
        }
    }
}

type HttpFuture<T> = Box<dyn std::future::Future<Output = T> + Send>;
type SendResult = wasmtime_wasi_http::Result<(
    http::Response<wasmtime_wasi_http::WasiBody>,
    HttpFuture<wasmtime_wasi_http::Result<()>>,
)>;

/// Reads and drops a body's frames until it ends, fails, or `max` bytes
/// went by: at most one chunk is held at a time.
async fn drain(mut body: wasmtime_wasi_http::WasiBody, max: u64) {
    let mut seen: u64 = 0;
    while let Some(Ok(frame)) = body.frame().await {
        seen = seen.saturating_add(frame.data_ref().map_or(0, |d| d.len() as u64));
        if seen > max {
            break;
        }
    }
}

/// The sample answer as the endpoint's reply, once the request's body (a
/// bounded part of it) was read and dropped: the component reads it
/// exactly as it reads a real server's.
async fn sample_response(
    request: http::Request<wasmtime_wasi_http::WasiBody>,
    answer: bytes::Bytes,
    max_request: u64,
    events: SharedEvents,
) -> (
    http::Response<wasmtime_wasi_http::WasiBody>,
    HttpFuture<wasmtime_wasi_http::Result<()>>,
) {
    let _ = tokio::time::timeout(
        Duration::from_secs(5),
        drain(request.into_body(), max_request),
    )
    .await;
    let received = answer.len() as u64;
    record(&events, |e| {
        if let Some(exchange) = &mut e.exchange {
            exchange.status = Some(200);
            exchange.bytes_received = received;
        }
    });
    let mut response = http::Response::new(
        http_body_util::Full::new(answer)
            .map_err(|never| match never {})
            .boxed_unsync(),
    );
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    (response, Box::new(async { Ok(()) }))
}

fn request_size_limit(max: u64) -> String {
    format!("request size limit ({max} bytes: line, headers, body and trailers)")
}

impl WasiHttpHooks for Egress {
    /// The component may not set credentials or the client's name: the host
    /// sets both (`policy::FORBIDDEN_REQUEST_HEADERS`).
    fn forbidden_header_filter(&mut self) -> wasmtime_wasi_http::ForbiddenHeaderFilter {
        Arc::new(policy::header_forbidden)
    }

    /// One chunk buffered per outgoing body, of the policy's size.
    fn p2_outgoing_body_buffer_chunks(&mut self) -> usize {
        1
    }

    fn p2_outgoing_body_chunk_size(&mut self) -> usize {
        policy::HOST_BUDGET.body_chunk_bytes
    }

    fn send_request(
        &mut self,
        mut request: http::Request<wasmtime_wasi_http::WasiBody>,
        options: Option<wasmtime_wasi_http::RequestOptions>,
        fut: HttpFuture<wasmtime_wasi_http::Result<()>>,
    ) -> HttpFuture<SendResult> {
        drop(fut);
        let decision = self.decide(&request);
        let options = self.clamp(options);
        let events = self.events.clone();
        let max_request = self.limits.max_request_bytes;
        let max_response = self.limits.max_response_body_bytes;
        request
            .headers_mut()
            .insert(http::header::USER_AGENT, self.user_agent.clone());
        let policy = self.policy.clone();
        for (name, value) in policy.iter().flat_map(|p| &p.identity) {
            request.headers_mut().insert(name, value.clone());
        }
        if decision.is_ok()
            && let Some(token) = policy.as_ref().and_then(|p| p.bearer_token.clone())
        {
            request
                .headers_mut()
                .insert(http::header::AUTHORIZATION, token);
        }

        Box::new(async move {
            let head = match decision {
                Ok(head) => head,
                Err(reason) => {
                    // One line for the first denial; the rest are counted
                    // and reported once when the call ends.
                    let mut first = false;
                    record(&events, |e| {
                        e.denied += 1;
                        first = e.denied <= policy::HOST_BUDGET.denials_logged;
                    });
                    if first {
                        tracing::warn!("{reason}");
                    }
                    // Drain (a bounded part of) the body the component is
                    // still writing, so it sees "request denied" and not a
                    // reset. Each chunk is dropped as it comes: a denied
                    // request is never buffered, whatever the size limit.
                    let _ = tokio::time::timeout(
                        Duration::from_secs(1),
                        drain(request.into_body(), max_request),
                    )
                    .await;
                    return Err(wasmtime_wasi_http::Error::HttpRequestDenied);
                }
            };
            let Some(policy) = policy else {
                return Err(wasmtime_wasi_http::Error::HttpRequestDenied);
            };
            record(&events, |e| {
                e.exchange = Some(Exchange {
                    bytes_sent: head,
                    ..Exchange::default()
                })
            });
            if let Some(answer) = policy.sample_answer {
                return Ok(sample_response(request, answer, max_request, events).await);
            }
            let declared = request
                .headers()
                .get(http::header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
            let request = request.map(|body| {
                BoundedBody::new(
                    body,
                    max_request.saturating_sub(head),
                    Counted::Sent { declared },
                    events.clone(),
                    request_size_limit(max_request),
                    || wasmtime_wasi_http::Error::HttpRequestBodySize(None),
                )
                .boxed_unsync()
            });
            let timeout_note: super::transport::TimeoutNote = {
                let events = events.clone();
                Arc::new(move |limit| record(&events, |e| e.limit_hit = Some(limit)))
            };
            let (response, io) = super::transport::send(
                request,
                options,
                policy.tls,
                &policy.authority,
                timeout_note,
            )
            .await?;
            let status = response.status().as_u16();
            record(&events, |e| {
                if let Some(exchange) = &mut e.exchange {
                    exchange.status = Some(status);
                }
            });
            let response = response.map(|body| {
                BoundedBody::new(
                    body.boxed_unsync(),
                    max_response,
                    Counted::Received,
                    events.clone(),
                    format!("response body limit ({max_response} bytes)"),
                    || wasmtime_wasi_http::Error::HttpResponseBodySize(None),
                )
                .boxed_unsync()
            });
            Ok((response, Box::new(io) as HttpFuture<_>))
        })
    }
}
