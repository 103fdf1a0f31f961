//! The Longhorn upgrade-responder stand-in
//! (github.com/longhorn/upgrade-responder, upgraderesponder/service.go).

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::future::Future as _;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::BodyExt as _;
use hyper::body::{Frame, Incoming, SizeHint};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde::de::{self, IgnoredAny};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::background::Background;
use crate::lock;

/// service.go `defaultMaxStringValueLength`: the longest string (in bytes)
/// the request schema accepts for appVersion, a tag or a string field.
pub const MAX_STRING_VALUE_LENGTH: usize = 200;
/// service.go `InfluxDBMeasurement`.
pub const MEASUREMENT: &str = "upgrade_request";

/// The server's `--request-schema` file (service.go `RequestSchema`): the
/// keys it stores, each with its type. Every other key is dropped.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct RequestSchema {
    #[serde(rename = "appVersionSchema", default)]
    pub app_version: ValueSchema,
    #[serde(rename = "extraTagInfoSchema", default)]
    pub tags: BTreeMap<String, ValueSchema>,
    #[serde(rename = "extraFieldInfoSchema", default)]
    pub fields: BTreeMap<String, ValueSchema>,
}

/// service.go `Schema`: `dataType` `string`, `float` or `boolean`, and for
/// strings `maxLen` in bytes (0: 200).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct ValueSchema {
    #[serde(rename = "dataType", default)]
    pub data_type: String,
    #[serde(rename = "maxLen", default)]
    pub max_len: i64,
}

impl ValueSchema {
    fn string() -> ValueSchema {
        ValueSchema {
            data_type: "string".into(),
            max_len: 0,
        }
    }

    /// service.go `Schema.Validate`.
    pub fn validate(&self, value: &Value) -> bool {
        match (self.data_type.as_str(), value) {
            ("string", Value::String(s)) => s.len() <= self.max_len_or_default(),
            ("float", Value::Number(_)) => true,
            ("boolean", Value::Bool(_)) => true,
            _ => false,
        }
    }

    fn max_len_or_default(&self) -> usize {
        if self.max_len > 0 {
            self.max_len as usize
        } else {
            MAX_STRING_VALUE_LENGTH
        }
    }

    /// Why `validate` refused `value`, in the stand-in's words.
    fn refusal(&self, value: &Value) -> String {
        match value {
            Value::String(s) if self.data_type == "string" => format!(
                "value is {} bytes, longer than {}",
                s.len(),
                self.max_len_or_default()
            ),
            other => format!("{} is not a {}", json_type(other), self.data_type),
        }
    }
}

impl RequestSchema {
    /// Reads a schema file the way the server does at start, refusing what
    /// `validateAndLoadRequestSchema` refuses.
    pub fn from_json(text: &str) -> Result<RequestSchema, String> {
        let schema: RequestSchema =
            serde_json::from_str(text).map_err(|e| format!("not a request schema: {e}"))?;
        if schema.app_version.data_type != "string" {
            return Err(format!(
                "AppVersionSchema must have string data type: {}",
                schema.app_version.data_type
            ));
        }
        let negative = std::iter::once(("appVersion", &schema.app_version))
            .chain(schema.tags.iter().map(|(k, v)| (k.as_str(), v)))
            .chain(schema.fields.iter().map(|(k, v)| (k.as_str(), v)))
            .find(|(_, v)| v.max_len < 0);
        if let Some((name, _)) = negative {
            return Err(format!("schema {name} must have MaxLen >= 0"));
        }
        if let Some((name, v)) = schema.tags.iter().find(|(_, v)| v.data_type != "string") {
            return Err(format!(
                "tag schema {name} must have string data type {}",
                v.data_type
            ));
        }
        if let Some((name, v)) = schema
            .fields
            .iter()
            .find(|(_, v)| !["string", "float", "boolean"].contains(&v.data_type.as_str()))
        {
            return Err(format!(
                "field schema {name} has invalid data type {}",
                v.data_type
            ));
        }
        Ok(schema)
    }
}

/// What the real server would store for one request body: `Err` when it
/// would store nothing (400, or an invalid appVersion), and why.
pub fn stored_point(body: &[u8], schema: Option<&RequestSchema>) -> Result<StoredPoint, String> {
    let request = decode_request(body).map_err(|e| format!("400 Bad Request: {e}"))?;
    build_point(&request, schema)
}

/// One version the server offers (service.go `Version`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfferedVersion {
    pub name: String,
    #[serde(rename = "releaseDate")]
    pub release_date: String,
    #[serde(rename = "minUpgradableVersion")]
    pub min_upgradable_version: String,
    pub tags: Vec<String>,
    /// `None` is sent as `null`, like a nil Go map.
    #[serde(rename = "extraInfo")]
    pub extra_info: Option<BTreeMap<String, String>>,
}

impl OfferedVersion {
    pub fn new(name: &str, release_date: &str, tags: &[&str]) -> OfferedVersion {
        OfferedVersion {
            name: name.to_string(),
            release_date: release_date.to_string(),
            min_upgradable_version: String::new(),
            tags: tags.iter().map(|t| t.to_string()).collect(),
            extra_info: None,
        }
    }
}

/// What the server answers (its response config file plus the query period).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResponseConfig {
    pub versions: Vec<OfferedVersion>,
    /// The real server derives it from `--query-period` (default 1h = 60).
    pub request_interval_minutes: u32,
}

impl ResponseConfig {
    /// A handful of K3s versions; v1.32.2+k3s1 is tagged latest.
    pub fn k3s_default() -> ResponseConfig {
        ResponseConfig {
            versions: vec![
                OfferedVersion::new(
                    "v1.32.2+k3s1",
                    "2025-02-27T00:00:00Z",
                    &["latest", "stable", "v1.32"],
                ),
                OfferedVersion::new("v1.32.1+k3s1", "2025-01-24T00:00:00Z", &["v1.32"]),
                OfferedVersion::new("v1.31.6+k3s1", "2025-02-27T00:00:00Z", &["v1.31"]),
                OfferedVersion::new("v1.31.5+k3s1", "2025-01-24T00:00:00Z", &["v1.31"]),
                OfferedVersion::new("v1.30.10+k3s1", "2025-02-27T00:00:00Z", &["v1.30"]),
            ],
            request_interval_minutes: 60,
        }
    }

    /// A handful of RKE2 versions; v1.32.2+rke2r1 is tagged latest.
    pub fn rke2_default() -> ResponseConfig {
        ResponseConfig {
            versions: vec![
                OfferedVersion::new(
                    "v1.32.2+rke2r1",
                    "2025-02-27T00:00:00Z",
                    &["latest", "stable", "v1.32"],
                ),
                OfferedVersion::new("v1.32.1+rke2r1", "2025-01-24T00:00:00Z", &["v1.32"]),
                OfferedVersion::new("v1.31.6+rke2r1", "2025-02-27T00:00:00Z", &["v1.31"]),
                OfferedVersion::new("v1.31.5+rke2r1", "2025-01-24T00:00:00Z", &["v1.31"]),
                OfferedVersion::new("v1.30.10+rke2r1", "2025-02-27T00:00:00Z", &["v1.30"]),
            ],
            request_interval_minutes: 60,
        }
    }
}

/// How the stand-in answers.
#[derive(Clone, Debug)]
pub enum Behaviour {
    /// Like the real server: POST /v1/checkupgrade, GET /v1/healthcheck.
    Normal(ResponseConfig),
    /// Accept, read the request, never answer (until dropped).
    Hang,
    /// Answer 200 with the k3s_default body, one byte per `interval`.
    Trickle { interval: Duration },
    /// Answer 200 with a body of exactly `bytes` bytes: the k3s_default JSON
    /// padded with spaces (cut short if `bytes` is smaller than the JSON).
    HugeBody { bytes: usize },
    /// Answer `status` with `Location: location` and no body.
    Redirect { location: String, status: u16 },
    /// Answer 200 (Content-Type application/json) with a body that is not JSON.
    InvalidJson,
    /// Answer this status with Go's `http.Error` plain-text body.
    Status(u16),
    /// Answer this status with this text as Go's `http.Error` body (the real
    /// server answers a body it cannot decode with 400 and the decoder's
    /// error).
    Text { status: u16, body: &'static str },
    /// Answer 200 with JSON that is not an upgrade-responder answer.
    WrongShape,
    /// Send the status line, headers and part of the body, then reset the
    /// connection (RST).
    ResetMidAnswer,
}

/// The certificate a TLS stand-in serves (signed by its own CA, which
/// [`Responder::ca_pem`] gives).
#[derive(Clone, Copy, Debug)]
pub enum ServedCertificate {
    /// Valid now, for this name only.
    ForName(&'static str),
    /// For 127.0.0.1, but it expired in 2020.
    Expired,
}

/// What the real server would write to InfluxDB for one request.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StoredPoint {
    /// Always `upgrade_request`.
    pub measurement: String,
    /// Snake-cased keys; includes `app_version` unless it was empty.
    pub tags: BTreeMap<String, String>,
    /// Snake-cased keys; includes the dummy `value: 1`. Numbers are f64, as
    /// Go decodes them into `interface{}`.
    pub fields: BTreeMap<String, Value>,
    /// Each value silently dropped, and why (original key names).
    pub dropped: Vec<String>,
}

/// One request the stand-in received.
#[derive(Clone, Debug, PartialEq)]
pub struct Received {
    pub method: String,
    pub path: String,
    /// Raw query string, without `?`.
    pub query: String,
    /// Header names are lower case, in arrival order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// What the real server would have stored for a POST with this body
    /// (computed for every behaviour; for `Normal` only on /v1/checkupgrade).
    /// `None` when it would store nothing: see `not_stored`.
    pub stored: Option<StoredPoint>,
    /// Why nothing would be stored (400 decode error, appVersion too long...).
    pub not_stored: Option<String>,
}

impl Received {
    /// The first value of a header (case-insensitive name).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body parsed as JSON, if it is JSON.
    pub fn body_json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

struct State {
    behaviour: Behaviour,
    /// `None`: store every key the request's types allow (as if the schema
    /// listed each one); `Some`: only the keys the schema lists, like the
    /// real server.
    schema: Option<RequestSchema>,
    received: Mutex<Vec<Received>>,
}

/// A plain-HTTP upgrade-responder stand-in on 127.0.0.1.
pub struct Responder {
    background: Background,
    state: Arc<State>,
    scheme: &'static str,
    ca_pem: Option<String>,
}

impl Responder {
    /// A stand-in that stores every key (see [`Responder::with_schema`]).
    pub fn start(behaviour: Behaviour) -> anyhow::Result<Responder> {
        Self::start_with(behaviour, None)
    }

    /// A stand-in started with `--request-schema`: it stores only the keys
    /// the schema lists, with the schema's types and lengths.
    pub fn with_schema(behaviour: Behaviour, schema: RequestSchema) -> anyhow::Result<Responder> {
        Self::start_with(behaviour, Some(schema))
    }

    fn start_with(
        behaviour: Behaviour,
        schema: Option<RequestSchema>,
    ) -> anyhow::Result<Responder> {
        let state = Arc::new(State {
            behaviour,
            schema,
            received: Mutex::new(Vec::new()),
        });
        let conn_state = state.clone();
        let background = Background::start("upgrade-responder-stand-in", move |tcp| {
            let state = conn_state.clone();
            async move {
                if matches!(state.behaviour, Behaviour::ResetMidAnswer) {
                    reset_mid_answer(&state, tcp).await;
                    return;
                }
                serve(state, tcp).await;
            }
        })?;
        Ok(Responder {
            background,
            state,
            scheme: "http",
            ca_pem: None,
        })
    }

    /// The same stand-in over HTTPS, serving `certificate`.
    pub fn start_tls(
        behaviour: Behaviour,
        certificate: ServedCertificate,
    ) -> anyhow::Result<Responder> {
        let tls = match certificate {
            ServedCertificate::ForName(name) => crate::tls::generate_for(&[name], false)?,
            ServedCertificate::Expired => crate::tls::generate_for(&["127.0.0.1"], true)?,
        };
        let state = Arc::new(State {
            behaviour,
            schema: None,
            received: Mutex::new(Vec::new()),
        });
        let acceptor = tokio_rustls::TlsAcceptor::from(tls.config.clone());
        let conn_state = state.clone();
        let background = Background::start("upgrade-responder-tls-stand-in", move |tcp| {
            let state = conn_state.clone();
            let acceptor = acceptor.clone();
            async move {
                if let Ok(stream) = acceptor.accept(tcp).await {
                    serve(state, stream).await;
                }
            }
        })?;
        Ok(Responder {
            background,
            state,
            scheme: "https",
            ca_pem: Some(tls.ca_pem),
        })
    }

    /// The PEM of the CA that signed a TLS stand-in's certificate.
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    /// `http://127.0.0.1:PORT/v1/checkupgrade` (`https` for a TLS stand-in)
    pub fn url(&self) -> String {
        format!("{}/v1/checkupgrade", self.base_url())
    }

    /// `http://127.0.0.1:PORT` (`https` for a TLS stand-in)
    pub fn base_url(&self) -> String {
        format!("{}://{}", self.scheme, self.background.addr())
    }

    /// Every request received so far (recorded once its body was read).
    pub fn received(&self) -> Vec<Received> {
        lock(&self.state.received).clone()
    }

    /// TCP connections accepted so far.
    pub fn connection_count(&self) -> usize {
        self.background.connection_count()
    }
}

/// Serves HTTP/1.1 on one connection.
async fn serve<S>(state: Arc<State>, stream: S)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let svc = hyper::service::service_fn(move |req| {
        let state = state.clone();
        async move { Ok::<_, Infallible>(handle(&state, req).await) }
    });
    let _ = hyper::server::conn::http1::Builder::new()
        .serve_connection(TokioIo::new(stream), svc)
        .await;
}

/// Reads one request, records it, answers the status line, headers and
/// the first part of the body, then resets the connection.
async fn reset_mid_answer(state: &State, mut tcp: tokio::net::TcpStream) {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let mut request = Vec::new();
    let mut buf = [0u8; 8192];
    let (head_end, body_len) = loop {
        let Ok(n) = tcp.read(&mut buf).await else {
            return;
        };
        if n == 0 {
            return;
        }
        request.extend_from_slice(&buf[..n]);
        if let Some(end) = request.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&request[..end]).to_ascii_lowercase();
            let len = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            break (end + 4, len);
        }
    };
    while request.len() < head_end + body_len {
        match tcp.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => request.extend_from_slice(&buf[..n]),
        }
    }
    let head = String::from_utf8_lossy(&request[..head_end]).into_owned();
    let mut first = head.lines().next().unwrap_or("").split(' ');
    lock(&state.received).push(Received {
        method: first.next().unwrap_or("").to_string(),
        path: first.next().unwrap_or("").to_string(),
        query: String::new(),
        headers: Vec::new(),
        body: request[head_end..].to_vec(),
        stored: None,
        not_stored: None,
    });
    let body = response_json(&ResponseConfig::k3s_default());
    let mut answer = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    answer.extend_from_slice(&body[..body.len() / 2]);
    let _ = tcp.write_all(&answer).await;
    let _ = tcp.flush().await;
    // Linger 0: close sends RST instead of FIN.
    let _ = tcp.set_zero_linger();
    drop(tcp);
}

/// The response bodies this stand-in sends.
enum OutBody {
    Full(Option<Bytes>),
    Trickle {
        data: Bytes,
        pos: usize,
        interval: Duration,
        sleep: Option<Pin<Box<tokio::time::Sleep>>>,
    },
    Padded {
        head: Option<Bytes>,
        pad_left: usize,
    },
}

const PAD_CHUNK: usize = 64 * 1024;

impl hyper::body::Body for OutBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        match self.get_mut() {
            OutBody::Full(data) => Poll::Ready(data.take().map(|d| Ok(Frame::data(d)))),
            OutBody::Trickle {
                data,
                pos,
                interval,
                sleep,
            } => {
                if *pos >= data.len() {
                    return Poll::Ready(None);
                }
                let timer = sleep.get_or_insert_with(|| Box::pin(tokio::time::sleep(*interval)));
                match timer.as_mut().poll(cx) {
                    Poll::Pending => Poll::Pending,
                    Poll::Ready(()) => {
                        *sleep = None;
                        let byte = data.slice(*pos..*pos + 1);
                        *pos += 1;
                        Poll::Ready(Some(Ok(Frame::data(byte))))
                    }
                }
            }
            OutBody::Padded { head, pad_left } => {
                if let Some(h) = head.take() {
                    return Poll::Ready(Some(Ok(Frame::data(h))));
                }
                if *pad_left == 0 {
                    return Poll::Ready(None);
                }
                let n = (*pad_left).min(PAD_CHUNK);
                *pad_left -= n;
                Poll::Ready(Some(Ok(Frame::data(Bytes::from(vec![b' '; n])))))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            OutBody::Full(d) => d.is_none(),
            OutBody::Trickle { data, pos, .. } => *pos >= data.len(),
            OutBody::Padded { head, pad_left } => head.is_none() && *pad_left == 0,
        }
    }

    fn size_hint(&self) -> SizeHint {
        let n = match self {
            OutBody::Full(d) => d.as_ref().map_or(0, |d| d.len()),
            OutBody::Trickle { data, pos, .. } => data.len() - *pos,
            OutBody::Padded { head, pad_left } => head.as_ref().map_or(0, |h| h.len()) + *pad_left,
        };
        SizeHint::with_exact(n as u64)
    }
}

fn response(code: u16, content_type: Option<&'static str>, body: OutBody) -> Response<OutBody> {
    let mut resp = Response::new(body);
    *resp.status_mut() = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let Some(ct) = content_type {
        resp.headers_mut().insert(
            hyper::header::CONTENT_TYPE,
            hyper::header::HeaderValue::from_static(ct),
        );
    }
    resp
}

fn text(code: u16, body: String) -> Response<OutBody> {
    let mut resp = response(
        code,
        Some("text/plain; charset=utf-8"),
        OutBody::Full(Some(Bytes::from(body))),
    );
    resp.headers_mut().insert(
        "x-content-type-options",
        hyper::header::HeaderValue::from_static("nosniff"),
    );
    resp
}

fn empty(code: u16) -> Response<OutBody> {
    response(code, None, OutBody::Full(None))
}

async fn handle(state: &State, req: Request<Incoming>) -> Response<OutBody> {
    let (parts, body) = req.into_parts();
    let body = match body.collect().await {
        Ok(b) => b.to_bytes().to_vec(),
        Err(_) => return empty(400),
    };
    let method = parts.method.as_str().to_string();
    let path = parts.uri.path().to_string();
    let mut received = Received {
        method: method.clone(),
        path: path.clone(),
        query: parts.uri.query().unwrap_or("").to_string(),
        headers: parts
            .headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body,
        stored: None,
        not_stored: None,
    };
    let decoded = decode_request(&received.body);
    let checkupgrade = method == "POST" && path == "/v1/checkupgrade";
    let evaluate = match &state.behaviour {
        Behaviour::Normal(_) => checkupgrade,
        _ => method == "POST",
    };
    if evaluate {
        match &decoded {
            Ok(r) => match build_point(r, state.schema.as_ref()) {
                Ok(p) => received.stored = Some(p),
                Err(why) => received.not_stored = Some(why),
            },
            Err(e) => received.not_stored = Some(format!("400 Bad Request: {e}")),
        }
    }
    lock(&state.received).push(received);

    match &state.behaviour {
        Behaviour::Normal(cfg) => match (path.as_str(), method.as_str()) {
            ("/v1/checkupgrade", "POST") => match decoded {
                Err(e) => text(400, format!("{e}\n")),
                Ok(_) => response(
                    200,
                    Some("application/json"),
                    OutBody::Full(Some(Bytes::from(response_json(cfg)))),
                ),
            },
            ("/v1/healthcheck", "GET") => empty(200),
            ("/v1/checkupgrade" | "/v1/healthcheck", _) => empty(405),
            ("/v1/checkupgrade/" | "/v1/healthcheck/", _) => {
                // gorilla/mux StrictSlash(true)
                let mut r = empty(301);
                if let Ok(v) = hyper::header::HeaderValue::from_str(path.trim_end_matches('/')) {
                    r.headers_mut().insert(hyper::header::LOCATION, v);
                }
                r
            }
            _ => text(404, "404 page not found\n".to_string()),
        },
        Behaviour::Hang => std::future::pending().await,
        Behaviour::Trickle { interval } => response(
            200,
            Some("application/json"),
            OutBody::Trickle {
                data: Bytes::from(response_json(&ResponseConfig::k3s_default())),
                pos: 0,
                interval: *interval,
                sleep: None,
            },
        ),
        Behaviour::HugeBody { bytes } => {
            let mut json = response_json(&ResponseConfig::k3s_default());
            json.truncate(*bytes);
            let pad_left = bytes - json.len();
            response(
                200,
                Some("application/json"),
                OutBody::Padded {
                    head: Some(Bytes::from(json)),
                    pad_left,
                },
            )
        }
        Behaviour::Redirect { location, status } => {
            let mut r = empty(*status);
            if let Ok(v) = hyper::header::HeaderValue::from_str(location) {
                r.headers_mut().insert(hyper::header::LOCATION, v);
            }
            r
        }
        Behaviour::InvalidJson => response(
            200,
            Some("application/json"),
            OutBody::Full(Some(Bytes::from_static(
                b"<html><body><h1>502 Bad Gateway</h1></body></html>\n",
            ))),
        ),
        Behaviour::Text { status, body } => text(*status, format!("{body}\n")),
        Behaviour::WrongShape => response(
            200,
            Some("application/json"),
            OutBody::Full(Some(Bytes::from_static(
                br#"{"versions":"v1.31.6+k3s1","requestIntervalInMinutes":"soon"}"#,
            ))),
        ),
        Behaviour::ResetMidAnswer => empty(500),
        Behaviour::Status(code) => {
            let reason = StatusCode::from_u16(*code)
                .ok()
                .and_then(|s| s.canonical_reason())
                .unwrap_or("");
            text(*code, format!("{reason}\n"))
        }
    }
}

#[derive(Serialize)]
struct CheckUpgradeResponse<'a> {
    versions: Vec<&'a OfferedVersion>,
    #[serde(rename = "requestIntervalInMinutes")]
    request_interval_in_minutes: u32,
}

/// The JSON the real server answers: every version, in random order (it
/// ranges over a Go map).
pub fn response_json(cfg: &ResponseConfig) -> Vec<u8> {
    let mut versions: Vec<&OfferedVersion> = cfg.versions.iter().collect();
    shuffle(&mut versions);
    let resp = CheckUpgradeResponse {
        versions,
        request_interval_in_minutes: cfg.request_interval_minutes,
    };
    serde_json::to_vec(&resp).unwrap_or_default()
}

fn shuffle<T>(v: &mut [T]) {
    let mut rnd = vec![0u8; v.len() * 4];
    if crate::random_bytes(&mut rnd).is_err() {
        return;
    }
    for i in (1..v.len()).rev() {
        let r = u32::from_le_bytes([rnd[4 * i], rnd[4 * i + 1], rnd[4 * i + 2], rnd[4 * i + 3]]);
        let j = (r as usize) % (i + 1);
        v.swap(i, j);
    }
}

/// service.go `CheckUpgradeRequest`, as Go's encoding/json fills it.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct CheckUpgradeRequest {
    pub(crate) app_version: String,
    pub(crate) extra_tag_info: Option<BTreeMap<String, String>>,
    pub(crate) extra_field_info: Option<BTreeMap<String, Value>>,
    pub(crate) extra_info: Option<BTreeMap<String, String>>,
}

/// The top-level JSON value, keeping object members in document order.
enum TopLevel {
    Object(Vec<(String, Value)>),
    Null,
    Other(&'static str),
}

impl<'de> Deserialize<'de> for TopLevel {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> de::Visitor<'de> for V {
            type Value = TopLevel;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<TopLevel, A::Error> {
                let mut entries = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, Value>()? {
                    entries.push((k, v));
                }
                Ok(TopLevel::Object(entries))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<TopLevel, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(TopLevel::Other("array"))
            }
            fn visit_unit<E>(self) -> Result<TopLevel, E> {
                Ok(TopLevel::Null)
            }
            fn visit_bool<E>(self, _: bool) -> Result<TopLevel, E> {
                Ok(TopLevel::Other("bool"))
            }
            fn visit_i64<E>(self, _: i64) -> Result<TopLevel, E> {
                Ok(TopLevel::Other("number"))
            }
            fn visit_u64<E>(self, _: u64) -> Result<TopLevel, E> {
                Ok(TopLevel::Other("number"))
            }
            fn visit_f64<E>(self, _: f64) -> Result<TopLevel, E> {
                Ok(TopLevel::Other("number"))
            }
            fn visit_str<E>(self, _: &str) -> Result<TopLevel, E> {
                Ok(TopLevel::Other("string"))
            }
        }
        d.deserialize_any(V)
    }
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Go's case folding for matching JSON keys to struct fields (ASCII, plus
/// the two non-ASCII runes that fold to ASCII letters).
fn fold(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{17F}' => 's',
            '\u{212A}' => 'k',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

#[derive(Clone, Copy, PartialEq)]
enum Field {
    AppVersion,
    ExtraTagInfo,
    ExtraFieldInfo,
    ExtraInfo,
}

const FIELDS: [(&str, Field); 4] = [
    ("appVersion", Field::AppVersion),
    ("extraTagInfo", Field::ExtraTagInfo),
    ("extraFieldInfo", Field::ExtraFieldInfo),
    ("extraInfo", Field::ExtraInfo),
];

fn field_for(key: &str) -> Option<Field> {
    FIELDS
        .iter()
        .find(|(name, _)| *name == key)
        .or_else(|| FIELDS.iter().find(|(name, _)| fold(name) == fold(key)))
        .map(|(_, f)| *f)
}

/// `json.NewDecoder(req.Body).Decode(&checkReq)`: decodes the first JSON
/// value (trailing bytes are never read), matches keys to fields exactly or
/// case-insensitively, ignores unknown keys, and fails on any type mismatch
/// (after decoding as much as it can, like Go).
pub(crate) fn decode_request(body: &[u8]) -> Result<CheckUpgradeRequest, String> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let top = TopLevel::deserialize(&mut de).map_err(|e| {
        if e.is_eof() && body.iter().all(|b| b.is_ascii_whitespace()) {
            "EOF".to_string()
        } else if e.is_eof() {
            "unexpected EOF".to_string()
        } else {
            e.to_string()
        }
    })?;
    let entries = match top {
        TopLevel::Object(e) => e,
        TopLevel::Null => Vec::new(),
        TopLevel::Other(t) => {
            return Err(format!(
                "json: cannot unmarshal {t} into Go value of type upgraderesponder.CheckUpgradeRequest"
            ));
        }
    };
    let mut req = CheckUpgradeRequest::default();
    let mut first_err: Option<String> = None;
    let mut type_err = |field: &str, got: &str, want: &str| {
        if first_err.is_none() {
            first_err = Some(format!(
                "json: cannot unmarshal {got} into Go struct field CheckUpgradeRequest.{field} of type {want}"
            ));
        }
    };
    for (key, value) in entries {
        let Some(field) = field_for(&key) else {
            continue;
        };
        match field {
            Field::AppVersion => match value {
                Value::String(s) => req.app_version = s,
                Value::Null => {}
                other => type_err("appVersion", json_type(&other), "string"),
            },
            Field::ExtraTagInfo | Field::ExtraInfo => {
                let name = if field == Field::ExtraInfo {
                    "extraInfo"
                } else {
                    "extraTagInfo"
                };
                let slot = if field == Field::ExtraInfo {
                    &mut req.extra_info
                } else {
                    &mut req.extra_tag_info
                };
                match value {
                    Value::Null => *slot = None,
                    Value::Object(members) => {
                        let map = slot.get_or_insert_with(BTreeMap::new);
                        for (k, v) in members {
                            match v {
                                Value::String(s) => {
                                    map.insert(k, s);
                                }
                                Value::Null => {
                                    map.insert(k, String::new());
                                }
                                other => {
                                    type_err(&format!("{name}.{k}"), json_type(&other), "string")
                                }
                            }
                        }
                    }
                    other => type_err(name, json_type(&other), "map[string]string"),
                }
            }
            Field::ExtraFieldInfo => match value {
                Value::Null => req.extra_field_info = None,
                Value::Object(members) => {
                    let map = req.extra_field_info.get_or_insert_with(BTreeMap::new);
                    for (k, v) in members {
                        map.insert(k, go_interface(v));
                    }
                }
                other => type_err(
                    "extraFieldInfo",
                    json_type(&other),
                    "map[string]interface {}",
                ),
            },
        }
    }
    match first_err {
        Some(e) => Err(e),
        None => Ok(req),
    }
}

/// A JSON value as Go decodes it into `interface{}`: numbers become float64.
fn go_interface(v: Value) -> Value {
    match v {
        Value::Number(n) => n.as_f64().map(Value::from).unwrap_or(Value::Null),
        Value::Array(a) => Value::Array(a.into_iter().map(go_interface).collect()),
        Value::Object(o) => {
            Value::Object(o.into_iter().map(|(k, v)| (k, go_interface(v))).collect())
        }
        other => other,
    }
}

/// recordRequest + getTagsFromRequest + getFieldsFromRequest + what
/// InfluxDB keeps of the point. Without a schema every key is checked
/// against the schema it would have if the schema listed it (its JSON type,
/// strings of at most 200 bytes). `Err` = no point written, and why.
pub(crate) fn build_point(
    req: &CheckUpgradeRequest,
    schema: Option<&RequestSchema>,
) -> Result<StoredPoint, String> {
    let app_version_schema = schema.map_or_else(ValueSchema::string, |s| s.app_version.clone());
    let app_version = Value::String(req.app_version.clone());
    if !app_version_schema.validate(&app_version) {
        return Err(format!(
            "appVersion {}: the real server logs an error and writes no point",
            app_version_schema.refusal(&app_version)
        ));
    }
    let mut dropped = Vec::new();
    let mut tags: BTreeMap<String, String> = BTreeMap::new();
    let mut tag_source: BTreeMap<String, String> = BTreeMap::new();
    tags.insert("app_version".into(), req.app_version.clone());
    tag_source.insert("app_version".into(), "appVersion".into());

    // utils.MergeStringMaps(req.ExtraInfo, req.ExtraTagInfo): later wins.
    let mut merged: BTreeMap<String, String> = req.extra_info.clone().unwrap_or_default();
    if let Some(t) = &req.extra_tag_info {
        merged.extend(t.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    for (k, v) in &merged {
        let value = Value::String(v.clone());
        let key_schema = match schema {
            None => ValueSchema::string(),
            Some(schema) => match schema.tags.get(k) {
                Some(key_schema) => key_schema.clone(),
                None => {
                    dropped.push(format!("tag {k:?}: not in the request schema"));
                    continue;
                }
            },
        };
        if !key_schema.validate(&value) {
            dropped.push(format!("tag {k:?}: {}", key_schema.refusal(&value)));
            continue;
        }
        let key = snake_case(k);
        if let Some(prev) = tag_source.get(&key)
            && prev != "appVersion"
        {
            dropped.push(format!(
                "tag {prev:?} or {k:?}: both become {key:?}; the real server keeps one at random (Go map order), this stand-in keeps {k:?}"
            ));
        }
        tag_source.insert(key.clone(), k.clone());
        tags.insert(key, v.clone());
    }
    // InfluxDB does not store tags with empty values.
    let empty: Vec<String> = tags
        .iter()
        .filter(|(_, v)| v.is_empty())
        .map(|(k, _)| k.clone())
        .collect();
    for k in empty {
        tags.remove(&k);
        let src = tag_source.get(&k).cloned().unwrap_or_else(|| k.clone());
        dropped.push(format!(
            "tag {src:?}: empty value (InfluxDB does not store empty tag values)"
        ));
    }
    if tags.contains_key("") {
        return Err("a tag key is empty after snake_case: InfluxDB rejects the write".into());
    }

    let mut fields: BTreeMap<String, Value> = BTreeMap::new();
    let mut field_source: BTreeMap<String, String> = BTreeMap::new();
    fields.insert("value".into(), Value::from(1));
    if let Some(extra) = &req.extra_field_info {
        for (k, v) in extra {
            let key_schema = match schema {
                None => match v {
                    Value::String(_) => ValueSchema::string(),
                    Value::Number(_) | Value::Bool(_) => ValueSchema {
                        data_type: if v.is_boolean() { "boolean" } else { "float" }.into(),
                        max_len: 0,
                    },
                    other => {
                        dropped.push(format!(
                            "field {k:?}: {} is not a string, number or boolean",
                            json_type(other)
                        ));
                        continue;
                    }
                },
                Some(schema) => match schema.fields.get(k) {
                    Some(key_schema) => key_schema.clone(),
                    None => {
                        dropped.push(format!("field {k:?}: not in the request schema"));
                        continue;
                    }
                },
            };
            if !key_schema.validate(v) {
                let why = key_schema.refusal(v);
                let why = why.replace("value is", "string is");
                dropped.push(format!("field {k:?}: {why}"));
                continue;
            }
            let key = snake_case(k);
            if key.is_empty() {
                return Err(format!(
                    "field {k:?} has an empty name: influx NewPoint fails (\"all fields must have non-empty names\"), no point written"
                ));
            }
            if let Some(prev) = field_source.get(&key) {
                dropped.push(format!(
                    "field {prev:?} or {k:?}: both become {key:?}; the real server keeps one at random (Go map order), this stand-in keeps {k:?}"
                ));
            }
            field_source.insert(key.clone(), k.clone());
            fields.insert(key, v.clone());
        }
    }
    Ok(StoredPoint {
        measurement: MEASUREMENT.to_string(),
        tags,
        fields,
        dropped,
    })
}

/// utils.ToSnakeCase: `([A-Z])([A-Z][a-z])` -> `${1}_${2}`, then
/// `([a-z0-9])([A-Z])` -> `${1}_${2}`, then `-` -> `_`, then lower case.
pub fn snake_case(input: &str) -> String {
    let up = |c: char| c.is_ascii_uppercase();
    let low = |c: char| c.is_ascii_lowercase();
    let chars: Vec<char> = input.chars().collect();
    let mut pass1 = Vec::with_capacity(chars.len() + 4);
    let mut i = 0;
    while i < chars.len() {
        if i + 2 < chars.len() && up(chars[i]) && up(chars[i + 1]) && low(chars[i + 2]) {
            pass1.extend([chars[i], '_', chars[i + 1], chars[i + 2]]);
            i += 3;
        } else {
            pass1.push(chars[i]);
            i += 1;
        }
    }
    let mut pass2 = String::with_capacity(pass1.len() + 4);
    let mut i = 0;
    while i < pass1.len() {
        let c = pass1[i];
        if i + 1 < pass1.len() && (low(c) || c.is_ascii_digit()) && up(pass1[i + 1]) {
            pass2.push(c);
            pass2.push('_');
            pass2.push(pass1[i + 1]);
            i += 2;
        } else {
            pass2.push(c);
            i += 1;
        }
    }
    pass2.replace('-', "_").to_lowercase()
}
