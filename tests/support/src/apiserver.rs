//! The Kubernetes API server stand-in.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context as _;
use base64::Engine as _;
use bytes::Bytes;
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde::Serialize;
use serde_json::Value;

use crate::background::Background;
use crate::rbac::{self, Rule};
use crate::{compression, lock, query, tls};

/// The user the token authenticates as, in Forbidden messages.
pub const DEFAULT_USER: &str = "system:serviceaccount:kube-system:upgrade-responder";

/// How the API server stand-in behaves.
#[derive(Clone, Debug, Default)]
pub struct ApiOptions {
    /// `None`: every authenticated request is allowed. `Some(rules)`: allowed
    /// only if a rule grants it, as RBAC does; otherwise 403.
    pub rules: Option<Vec<Rule>>,
    /// Lists answer at most this many items per page when the client sends
    /// `limit` (the real server may return fewer than asked).
    pub page_size_cap: Option<usize>,
    /// Answer every request with this status (and the matching Status body).
    pub fail_with: Option<u16>,
    /// Wait this long before every response.
    pub delay: Option<Duration>,
    /// The user name in Forbidden messages; `None` = [`DEFAULT_USER`].
    pub user: Option<String>,
    /// Faults served instead of the normal answer: `(path, fault)`, where an
    /// empty path matches every request.
    pub faults: Vec<(String, ApiFault)>,
}

/// A misbehaviour of the API server (or of what stands between it and the
/// client), as the real kube-apiserver and its filters produce them.
#[derive(Clone, Debug)]
pub enum ApiFault {
    /// This code with the real server's Status body for it.
    Status(u16),
    /// What the max-in-flight and priority-and-fairness filters send: 429,
    /// `Retry-After`, and Go's `http.Error` plain-text body.
    TooManyRequests { retry_after_seconds: u32 },
    /// Accept the request, never answer.
    Hang,
    /// Announce the whole body in `Content-Length`, send half, close.
    CutMidBody,
    /// 200, `application/json`, a body that is not JSON.
    MalformedJson,
    /// 200 with valid JSON of the wrong shape (`items` is not an array,
    /// `metadata` is a string).
    WrongShape,
    /// The list page padded with copies of its items up to at least this
    /// many bytes.
    GiganticPage { bytes: usize },
    /// A request with a `continue` token is answered 410 Gone, reason
    /// `Expired`, as when etcd compacted past the token's revision.
    ExpiredContinue,
    /// Every page carries the `continue` token it was asked with, so a
    /// client that follows tokens blindly never stops.
    RepeatContinue,
}

/// The message etcd3's store sends with 410 Expired for a continue token
/// whose revision was compacted.
pub const CONTINUE_EXPIRED_MESSAGE: &str = "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.";

/// One request the stand-in received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiRequest {
    pub method: String,
    pub path: String,
    /// The raw query string, without `?` (empty when none).
    pub query: String,
    /// Header names are lower case.
    pub headers: Vec<(String, String)>,
    /// Whether `Authorization: Bearer <token>` carried the right token.
    pub token_ok: bool,
    /// The status code answered.
    pub status: u16,
    /// The size of the response body sent, in bytes (compressed when
    /// `gzip`).
    pub body_bytes: usize,
    /// Whether the body went gzipped (`Content-Encoding: gzip`).
    pub gzip: bool,
    /// The size of the body before compression.
    pub decoded_bytes: usize,
}

impl ApiRequest {
    /// The first value of a query parameter, decoded.
    pub fn query_param(&self, key: &str) -> Option<String> {
        query::get(&query::parse(&self.query), key).map(str::to_string)
    }

    /// The first value of a header (case-insensitive name).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// An HTTPS Kubernetes API server stand-in serving fixture files.
pub struct ApiServer {
    background: Background,
    token: String,
    ca_pem: String,
    ca_der: rustls::pki_types::CertificateDer<'static>,
    state: Arc<State>,
}

/// The objects the stand-in serves; `None` makes its route answer 404.
#[derive(Clone, Debug, Default)]
pub struct ClusterObjects {
    /// `GET /version`
    pub version: Option<Value>,
    /// `GET /api/v1/namespaces/kube-system`
    pub kube_system: Option<Value>,
    /// `GET /api/v1/nodes` (a NodeList)
    pub nodes: Option<Value>,
    /// `GET /apis/apps/v1/namespaces/kube-system/deployments` (a list)
    pub deployments: Option<Value>,
    /// `GET /apis/apps/v1/namespaces/kube-system/daemonsets` (a list)
    pub daemonsets: Option<Value>,
    /// `GET /apis/apps/v1/namespaces/<namespace>/<deployments|daemonsets>`
    /// of any other namespace, keyed by (namespace, plural). A list not
    /// here is empty, as the real API server answers for a namespace that
    /// holds none (or does not exist).
    pub namespaced: BTreeMap<(String, String), Value>,
    /// `GET /api/v1/namespaces/default/services/kubernetes`
    pub kubernetes_service: Option<Value>,
}

struct State {
    token: String,
    user: String,
    options: ApiOptions,
    fixtures: ClusterObjects,
    requests: Mutex<Vec<ApiRequest>>,
}

/// `namespaces/<namespace>/<plural>.json` under `dir`, if it exists.
fn load_namespaced(dir: &Path) -> anyhow::Result<BTreeMap<(String, String), Value>> {
    let mut lists = BTreeMap::new();
    let Ok(namespaces) = std::fs::read_dir(dir) else {
        return Ok(lists);
    };
    for namespace in namespaces {
        let namespace = namespace.with_context(|| format!("listing {}", dir.display()))?;
        let name = namespace.file_name().to_string_lossy().into_owned();
        for plural in ["deployments", "daemonsets"] {
            if let Some(list) = load(&namespace.path(), &format!("{plural}.json"))? {
                lists.insert((name.clone(), plural.to_string()), list);
            }
        }
    }
    Ok(lists)
}

fn load(dir: &Path, file: &str) -> anyhow::Result<Option<Value>> {
    let path = dir.join(file);
    match std::fs::read(&path) {
        Ok(bytes) => {
            let v: Value = serde_json::from_slice(&bytes)
                .with_context(|| format!("parsing {}", path.display()))?;
            Ok(Some(v))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

impl ApiServer {
    /// Loads the fixtures in `fixture_dir` (`version.json`, `kube-system.json`,
    /// `nodes.json`, `deployments.json`, `daemonsets.json`,
    /// `kubernetes-service.json`; a missing file makes its route answer 404;
    /// `namespaces/<namespace>/<plural>.json` for the lists of other
    /// namespaces, empty when missing) and starts serving HTTPS on 127.0.0.1.
    pub fn start(fixture_dir: &Path, options: ApiOptions) -> anyhow::Result<ApiServer> {
        let objects = ClusterObjects {
            version: load(fixture_dir, "version.json")?,
            kube_system: load(fixture_dir, "kube-system.json")?,
            nodes: load(fixture_dir, "nodes.json")?,
            deployments: load(fixture_dir, "deployments.json")?,
            daemonsets: load(fixture_dir, "daemonsets.json")?,
            namespaced: load_namespaced(&fixture_dir.join("namespaces"))?,
            kubernetes_service: load(fixture_dir, "kubernetes-service.json")?,
        };
        Self::serve(objects, options)
            .with_context(|| format!("serving the fixtures in {}", fixture_dir.display()))
    }

    /// Starts serving `objects` (for example a generated cluster) over HTTPS
    /// on 127.0.0.1.
    pub fn serve(fixtures: ClusterObjects, options: ApiOptions) -> anyhow::Result<ApiServer> {
        let lists = [
            ("nodes", fixtures.nodes.as_ref()),
            ("deployments", fixtures.deployments.as_ref()),
            ("daemonsets", fixtures.daemonsets.as_ref()),
        ]
        .into_iter()
        .chain(
            fixtures
                .namespaced
                .iter()
                .map(|((_, plural), list)| (plural.as_str(), Some(list))),
        );
        for (name, list) in lists {
            if let Some(list) = list
                && !list.get("items").is_some_and(Value::is_array)
            {
                anyhow::bail!("the {name} list has no items array");
            }
        }
        let mut raw = [0u8; 24];
        crate::random_bytes(&mut raw)?;
        let token = raw.iter().map(|b| format!("{b:02x}")).collect::<String>();
        let tls = tls::generate()?;
        let state = Arc::new(State {
            token: token.clone(),
            user: options
                .user
                .clone()
                .unwrap_or_else(|| DEFAULT_USER.to_string()),
            options,
            fixtures,
            requests: Mutex::new(Vec::new()),
        });
        let acceptor = tokio_rustls::TlsAcceptor::from(tls.config.clone());
        let conn_state = state.clone();
        let background = Background::start("kube-apiserver-stand-in", move |tcp| {
            let acceptor = acceptor.clone();
            let state = conn_state.clone();
            async move {
                let Ok(stream) = acceptor.accept(tcp).await else {
                    return;
                };
                let svc = hyper::service::service_fn(move |req| {
                    let state = state.clone();
                    async move { Ok::<_, Infallible>(handle(&state, req).await) }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            }
        })?;
        Ok(ApiServer {
            background,
            token,
            ca_pem: tls.ca_pem,
            ca_der: tls.ca_der,
            state,
        })
    }

    /// `https://127.0.0.1:PORT`
    pub fn url(&self) -> String {
        format!("https://{}", self.background.addr())
    }

    /// The bearer token the server accepts.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// The PEM of the CA that signed the server certificate.
    pub fn ca_pem(&self) -> String {
        self.ca_pem.clone()
    }

    /// The DER of the CA that signed the server certificate.
    pub fn ca_der(&self) -> Vec<u8> {
        self.ca_der.to_vec()
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<ApiRequest> {
        lock(&self.state.requests).clone()
    }

    /// TCP connections accepted so far.
    pub fn connection_count(&self) -> usize {
        self.background.connection_count()
    }

    /// The kubeconfig YAML for this server (context `stand-in`, namespace
    /// kube-system, token auth, CA inline).
    pub fn kubeconfig(&self) -> String {
        let ca = base64::engine::general_purpose::STANDARD.encode(self.ca_pem.as_bytes());
        format!(
            "apiVersion: v1\n\
             kind: Config\n\
             clusters:\n\
             - name: stand-in\n  cluster:\n    server: \"{server}\"\n    certificate-authority-data: \"{ca}\"\n\
             users:\n\
             - name: stand-in\n  user:\n    token: \"{token}\"\n\
             contexts:\n\
             - name: stand-in\n  context:\n    cluster: stand-in\n    user: stand-in\n    namespace: kube-system\n\
             current-context: stand-in\n\
             preferences: {{}}\n",
            server = self.url(),
            token = self.token,
        )
    }

    /// Writes [`ApiServer::kubeconfig`] to `path`.
    pub fn write_kubeconfig(&self, path: &Path) -> anyhow::Result<()> {
        std::fs::write(path, self.kubeconfig())
            .with_context(|| format!("writing kubeconfig {}", path.display()))
    }
}

#[derive(Serialize)]
struct StatusDetails {
    #[serde(skip_serializing_if = "String::is_empty")]
    name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    group: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    kind: String,
}

/// metav1.Status, with the real field order.
#[derive(Serialize)]
struct Status {
    kind: &'static str,
    #[serde(rename = "apiVersion")]
    api_version: &'static str,
    metadata: BTreeMap<String, String>,
    status: &'static str,
    message: String,
    reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    details: Option<StatusDetails>,
    code: u16,
}

fn status(code: u16, reason: &str, message: String, details: Option<StatusDetails>) -> Status {
    Status {
        kind: "Status",
        api_version: "v1",
        metadata: BTreeMap::new(),
        status: "Failure",
        message,
        reason: reason.to_string(),
        details,
        code,
    }
}

fn empty_details() -> Option<StatusDetails> {
    Some(StatusDetails {
        name: String::new(),
        group: String::new(),
        kind: String::new(),
    })
}

/// The Status the real server sends for an arbitrary error code.
fn status_for_code(code: u16) -> Status {
    let (reason, message) = match code {
        400 => (
            "BadRequest",
            "the server rejected our request for an unknown reason",
        ),
        401 => ("Unauthorized", "Unauthorized"),
        403 => ("Forbidden", "forbidden"),
        404 => (
            "NotFound",
            "the server could not find the requested resource",
        ),
        405 => (
            "MethodNotAllowed",
            "the server does not allow this method on the requested resource",
        ),
        409 => ("Conflict", "the server reported a conflict"),
        410 => ("Expired", "the resource version is too old"),
        422 => (
            "Invalid",
            "the server rejected our request due to an error in our request",
        ),
        429 => (
            "TooManyRequests",
            "the server has received too many requests and has asked us to try again later",
        ),
        500 => (
            "InternalError",
            "an error on the server (\"\") has prevented the request from succeeding",
        ),
        503 => (
            "ServiceUnavailable",
            "the server is currently unable to handle the request",
        ),
        504 => (
            "Timeout",
            "the server was unable to return a response in the time allotted, but may still be processing the request",
        ),
        _ => ("", "unknown"),
    };
    if code == 401 {
        return status(401, reason, message.to_string(), None);
    }
    status(code, reason, message.to_string(), empty_details())
}

/// A response body: whole, or cut after its bytes by an error, which makes
/// hyper drop the connection mid-body.
pub(crate) struct ApiBody {
    data: Option<Bytes>,
    cut: bool,
}

impl hyper::body::Body for ApiBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Bytes>, std::io::Error>>> {
        let this = self.get_mut();
        let frame = match this.data.take() {
            Some(data) => Some(Ok(hyper::body::Frame::data(data))),
            None if this.cut => {
                this.cut = false;
                Some(Err(std::io::Error::other("cut mid-body on purpose")))
            }
            None => None,
        };
        std::task::Poll::Ready(frame)
    }
}

fn json_response(code: u16, body: Vec<u8>) -> Response<ApiBody> {
    let mut resp = Response::new(ApiBody {
        data: Some(Bytes::from(body)),
        cut: false,
    });
    *resp.status_mut() = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    resp.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    resp
}

fn status_response(s: &Status) -> (u16, Vec<u8>) {
    let body = serde_json::to_vec(s).unwrap_or_else(|_| b"{}".to_vec());
    (s.code, body)
}

async fn handle(state: &State, req: Request<Incoming>) -> Response<ApiBody> {
    let fault = state
        .options
        .faults
        .iter()
        .find(|(path, _)| path.is_empty() || path == req.uri().path())
        .map(|(_, fault)| fault.clone());
    let method = req.method().as_str().to_string();
    let path = req.uri().path().to_string();
    let raw_query = req.uri().query().unwrap_or("").to_string();
    let headers: Vec<(String, String)> = req
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let token_ok = req
        .headers()
        .get(hyper::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|auth| bearer_token(auth) == Some(state.token.as_str()));
    let (code, body) = answer(state, &method, &path, &raw_query, token_ok);
    if let Some(d) = state.options.delay {
        tokio::time::sleep(d).await;
    }
    let continue_token = query::get(&query::parse(&raw_query), "continue")
        .filter(|t| !t.is_empty())
        .map(str::to_string);
    let mut reply = match fault {
        Some(fault) if token_ok => faulty(fault, code, body, continue_token.as_deref()),
        _ => Reply::json(code, body),
    };
    let decoded_bytes = reply.body.len();
    // What the API's own response writer sends: not /version (written raw),
    // not a filter's plain text, not a fault that cuts the body.
    let accept_encoding = headers
        .iter()
        .find(|(name, _)| name == "accept-encoding")
        .map(|(_, value)| value.as_str());
    let gzip = reply.content_type == "application/json"
        && !reply.cut
        && path != "/version"
        && compression::compresses(accept_encoding, reply.body.len());
    if gzip {
        reply.body = compression::gzip(&reply.body);
        reply.headers.push(("content-encoding", "gzip".to_string()));
        reply.headers.push(("vary", "Accept-Encoding".to_string()));
    }
    lock(&state.requests).push(ApiRequest {
        method,
        path,
        query: raw_query,
        headers,
        token_ok,
        status: reply.code,
        body_bytes: reply.body.len(),
        gzip,
        decoded_bytes,
    });
    if reply.hang {
        std::future::pending::<()>().await;
    }
    reply.into_response()
}

/// One answer, before it becomes a hyper response.
struct Reply {
    code: u16,
    body: Vec<u8>,
    content_type: &'static str,
    headers: Vec<(&'static str, String)>,
    hang: bool,
    /// End the body early by dropping the connection.
    cut: bool,
}

impl Reply {
    fn json(code: u16, body: Vec<u8>) -> Reply {
        Reply {
            code,
            body,
            content_type: "application/json",
            headers: Vec::new(),
            hang: false,
            cut: false,
        }
    }

    fn into_response(self) -> Response<ApiBody> {
        let cut = self.cut;
        let mut resp = json_response(self.code, self.body);
        resp.body_mut().cut = cut;
        if let Ok(v) = hyper::header::HeaderValue::from_str(self.content_type) {
            resp.headers_mut().insert(hyper::header::CONTENT_TYPE, v);
        }
        for (name, value) in self.headers {
            if let Ok(v) = hyper::header::HeaderValue::from_str(&value) {
                resp.headers_mut().insert(name, v);
            }
        }
        resp
    }
}

/// The answer with `fault` applied; `code` and `body` are the normal answer.
fn faulty(fault: ApiFault, code: u16, body: Vec<u8>, continue_token: Option<&str>) -> Reply {
    match fault {
        ApiFault::Status(code) => {
            let (code, body) = status_response(&status_for_code(code));
            Reply::json(code, body)
        }
        ApiFault::TooManyRequests {
            retry_after_seconds,
        } => Reply {
            code: 429,
            body: b"Too many requests, please try again later.\n".to_vec(),
            content_type: "text/plain; charset=utf-8",
            headers: vec![
                ("retry-after", retry_after_seconds.to_string()),
                ("x-content-type-options", "nosniff".to_string()),
            ],
            hang: false,
            cut: false,
        },
        ApiFault::Hang => Reply {
            hang: true,
            ..Reply::json(code, body)
        },
        ApiFault::CutMidBody => {
            let announced = body.len();
            let mut reply = Reply::json(code, body);
            reply.body.truncate(announced / 2);
            reply.cut = true;
            reply
                .headers
                .push(("content-length", announced.to_string()));
            reply
        }
        ApiFault::MalformedJson => Reply::json(200, b"{\"kind\":\"NodeList\",\"items\":[{\"metadata\":".to_vec()),
        ApiFault::WrongShape => Reply::json(
            200,
            br#"{"kind":"Status","apiVersion":"v1","metadata":"none","items":"none","gitVersion":7}"#.to_vec(),
        ),
        ApiFault::GiganticPage { bytes } => Reply::json(code, gigantic(body, bytes)),
        ApiFault::ExpiredContinue if continue_token.is_some() => {
            let mut expired = status(410, "Expired", CONTINUE_EXPIRED_MESSAGE.to_string(), None);
            expired
                .metadata
                .insert("continue".to_string(), encode_continue(-1, ""));
            let (code, body) = status_response(&expired);
            Reply::json(code, body)
        }
        ApiFault::RepeatContinue => match continue_token {
            Some(token) => Reply::json(code, with_continue(body, token)),
            None => Reply::json(code, body),
        },
        ApiFault::ExpiredContinue => Reply::json(code, body),
    }
}

/// A list page padded with copies of its own items to at least `bytes`.
fn gigantic(page: Vec<u8>, bytes: usize) -> Vec<u8> {
    let Ok(mut list) = serde_json::from_slice::<Value>(&page) else {
        return page;
    };
    let Some(items) = list.get_mut("items").and_then(Value::as_array_mut) else {
        return page;
    };
    let Some(first) = items.first().cloned() else {
        return page;
    };
    let item_bytes = serde_json::to_vec(&first).map_or(1, |v| v.len().max(1));
    items.extend(std::iter::repeat_n(first, bytes / item_bytes + 1));
    serde_json::to_vec(&list).unwrap_or(page)
}

/// The page with `metadata.continue` set to `token`.
fn with_continue(page: Vec<u8>, token: &str) -> Vec<u8> {
    let Ok(mut list) = serde_json::from_slice::<Value>(&page) else {
        return page;
    };
    if let Some(meta) = list.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.insert("continue".into(), Value::String(token.to_string()));
    }
    serde_json::to_vec(&list).unwrap_or(page)
}

/// The bearer token authenticator: `Bearer <token>`, scheme case-insensitive.
fn bearer_token(auth: &str) -> Option<&str> {
    let mut parts = auth.splitn(3, ' ');
    let scheme = parts.next()?;
    let token = parts.next()?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return None;
    }
    Some(token)
}

fn answer(
    state: &State,
    method: &str,
    path: &str,
    raw_query: &str,
    token_ok: bool,
) -> (u16, Vec<u8>) {
    if let Some(code) = state.options.fail_with {
        return status_response(&status_for_code(code));
    }
    if !token_ok {
        return status_response(&status_for_code(401));
    }
    let params = query::parse(raw_query);
    let attrs = rbac::attributes(method, path, &params);
    if let Some(rules) = &state.options.rules
        && !rbac::allowed(rules, &attrs)
    {
        let details = if attrs.resource_request {
            Some(StatusDetails {
                name: attrs.name.clone(),
                group: attrs.api_group.clone(),
                kind: attrs.resource.clone(),
            })
        } else {
            empty_details()
        };
        let msg = rbac::forbidden_message(&state.user, &attrs);
        return status_response(&status(403, "Forbidden", msg, details));
    }
    if method != "GET" {
        return status_response(&status_for_code(405));
    }
    if let Some(document) = discovery(path) {
        return (200, serde_json::to_vec(&document).unwrap_or_default());
    }
    match route(state, path) {
        Route::Object(Some(v)) => (200, serde_json::to_vec(v).unwrap_or_default()),
        Route::List(Some(list)) => match page(list, &params, state.options.page_size_cap) {
            Ok(v) => (200, serde_json::to_vec(&v).unwrap_or_default()),
            Err(msg) => status_response(&status(400, "BadRequest", msg, None)),
        },
        Route::ListItem(Some(list), name) => {
            let item = list
                .get("items")
                .and_then(Value::as_array)
                .and_then(|items| {
                    items.iter().find(|i| {
                        i.pointer("/metadata/name").and_then(Value::as_str) == Some(name.as_str())
                    })
                });
            match item {
                Some(i) => (200, serde_json::to_vec(i).unwrap_or_default()),
                None => not_found_named(&attrs),
            }
        }
        Route::ListItem(None, _) => not_found_named(&attrs),
        Route::Object(None) if !attrs.name.is_empty() => not_found_named(&attrs),
        _ => status_response(&status_for_code(404)),
    }
}

fn not_found_named(a: &rbac::Attributes) -> (u16, Vec<u8>) {
    let msg = format!(
        "{} {:?} not found",
        rbac::qualified_resource(&a.api_group, &a.resource),
        a.name
    );
    status_response(&status(
        404,
        "NotFound",
        msg,
        Some(StatusDetails {
            name: a.name.clone(),
            group: a.api_group.clone(),
            kind: a.resource.clone(),
        }),
    ))
}

/// The legacy discovery documents (`/api`, `/apis`, `/api/v1`,
/// `/apis/apps/v1`) in the real server's shapes, for the resources served:
/// what kubectl reads before it lists anything.
fn discovery(path: &str) -> Option<Value> {
    let resource = |name: &str, singular: &str, namespaced: bool, kind: &str, short: &str| {
        serde_json::json!({
            "name": name, "singularName": singular, "namespaced": namespaced, "kind": kind,
            "verbs": ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
            "shortNames": [short],
        })
    };
    let apps_v1 = serde_json::json!({"groupVersion": "apps/v1", "version": "v1"});
    Some(match path.trim_end_matches('/') {
        "/api" => serde_json::json!({
            "kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1:6443"}],
        }),
        "/apis" => serde_json::json!({
            "kind": "APIGroupList", "apiVersion": "v1",
            "groups": [{"name": "apps", "versions": [apps_v1], "preferredVersion": apps_v1}],
        }),
        "/api/v1" => serde_json::json!({
            "kind": "APIResourceList", "groupVersion": "v1",
            "resources": [
                resource("namespaces", "namespace", false, "Namespace", "ns"),
                resource("nodes", "node", false, "Node", "no"),
                resource("services", "service", true, "Service", "svc"),
            ],
        }),
        "/apis/apps/v1" => serde_json::json!({
            "kind": "APIResourceList", "apiVersion": "v1", "groupVersion": "apps/v1",
            "resources": [
                resource("daemonsets", "daemonset", true, "DaemonSet", "ds"),
                resource("deployments", "deployment", true, "Deployment", "deploy"),
            ],
        }),
        _ => return None,
    })
}

/// The empty list of `plural` (`deployments`, `daemonsets`), as the API
/// server answers for a namespace without any.
fn empty_list(plural: &str) -> &'static Value {
    static DEPLOYMENTS: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    static DAEMON_SETS: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    let (cell, kind) = if plural == "deployments" {
        (&DEPLOYMENTS, "DeploymentList")
    } else {
        (&DAEMON_SETS, "DaemonSetList")
    };
    cell.get_or_init(|| {
        serde_json::json!({
            "kind": kind,
            "apiVersion": "apps/v1",
            "metadata": {"resourceVersion": "1"},
            "items": []
        })
    })
}

enum Route<'a> {
    Object(Option<&'a Value>),
    List(Option<&'a Value>),
    ListItem(Option<&'a Value>, String),
    Unknown,
}

fn route<'a>(state: &'a State, path: &str) -> Route<'a> {
    let f = &state.fixtures;
    let trimmed = path.trim_end_matches('/');
    let parts: Vec<&str> = trimmed.trim_start_matches('/').split('/').collect();
    match parts.as_slice() {
        ["version"] => Route::Object(f.version.as_ref()),
        ["api", "v1", "namespaces", "kube-system"] => Route::Object(f.kube_system.as_ref()),
        [
            "api",
            "v1",
            "namespaces",
            "default",
            "services",
            "kubernetes",
        ] => Route::Object(f.kubernetes_service.as_ref()),
        ["api", "v1", "namespaces", _] => Route::Object(None),
        ["api", "v1", "nodes"] => Route::List(f.nodes.as_ref()),
        ["api", "v1", "nodes", name] => Route::ListItem(f.nodes.as_ref(), name.to_string()),
        [
            "apis",
            "apps",
            "v1",
            "namespaces",
            ns,
            kind @ ("deployments" | "daemonsets"),
            rest @ ..,
        ] => {
            let list = match (*ns, *kind) {
                ("kube-system", "deployments") => f.deployments.as_ref(),
                ("kube-system", _) => f.daemonsets.as_ref(),
                // Any other namespace: its fixture, else empty, as the
                // real API server lists a namespace that holds none.
                (ns, kind) => Some(
                    f.namespaced
                        .get(&(ns.to_string(), kind.to_string()))
                        .unwrap_or_else(|| empty_list(kind)),
                ),
            };
            match rest {
                [] => Route::List(list),
                [name] => Route::ListItem(list, name.to_string()),
                _ => Route::Unknown,
            }
        }
        _ => Route::Unknown,
    }
}

/// The continue token as the real storage layer (etcd3) writes it:
/// base64url of `{"v":"meta.k8s.io/v1","rv":N,"start":"<last name>\u0000"}`.
/// It carries the last object's name, which is why the host never logs it.
#[derive(Serialize, serde::Deserialize)]
struct ContinueToken {
    v: String,
    rv: i64,
    start: String,
}

const TOKEN_VERSION: &str = "meta.k8s.io/v1";

fn encode_continue(rv: i64, last_name: &str) -> String {
    let t = ContinueToken {
        v: TOKEN_VERSION.to_string(),
        rv,
        start: format!("{last_name}\u{0}"),
    };
    let json = serde_json::to_vec(&t).unwrap_or_default();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
}

/// The start key a token encodes (the name the next page starts after).
fn decode_continue(token: &str) -> Result<String, String> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token.trim_end_matches('='))
        .map_err(|e| format!("continue key is not valid: {e}"))?;
    let t: ContinueToken =
        serde_json::from_slice(&bytes).map_err(|e| format!("continue key is not valid: {e}"))?;
    if t.v != TOKEN_VERSION {
        return Err(format!(
            "continue key is not valid: server does not recognize this encoded key version {:?}",
            t.v
        ));
    }
    if t.rv == 0 {
        return Err(format!(
            "continue key is not valid: incorrect encoded start resourceVersion (version {TOKEN_VERSION})"
        ));
    }
    Ok(t.start)
}

fn item_name(item: &Value) -> &str {
    item.pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// A page of `list` for the `limit`/`continue` query parameters. Only the
/// page's items are copied: a generated list may hold thousands of nodes.
fn page(list: &Value, params: &[(String, String)], cap: Option<usize>) -> Result<Value, String> {
    let items: &[Value] = list
        .get("items")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let rv = list
        .pointer("/metadata/resourceVersion")
        .and_then(Value::as_str)
        .and_then(|s| s.parse::<i64>().ok())
        .filter(|rv| *rv > 0)
        .unwrap_or(1);
    let limit = match query::get(params, "limit") {
        None | Some("") => 0,
        Some(s) => s
            .parse::<i64>()
            .map_err(|e| format!("strconv.ParseInt: parsing {s:?}: {e}"))?,
    };
    let start = match query::get(params, "continue") {
        None | Some("") => 0,
        Some(token) => {
            if query::get(params, "resourceVersion").is_some_and(|v| !v.is_empty() && v != "0") {
                return Err(
                    "specifying resource version is not allowed when using continue".into(),
                );
            }
            // Objects are listed in key order: the page starts after the
            // object the token names.
            let start = decode_continue(token)?;
            let after = start.trim_end_matches('\u{0}');
            items
                .iter()
                .position(|item| item_name(item) == after)
                .map(|at| at + 1)
                .or_else(|| {
                    items
                        .iter()
                        .position(|item| item_name(item) >= start.as_str())
                })
                .unwrap_or(items.len())
        }
    };
    let start = start.min(items.len());
    let end = if limit > 0 {
        let mut n = usize::try_from(limit).unwrap_or(usize::MAX);
        if let Some(cap) = cap {
            n = n.min(cap.max(1));
        }
        start.saturating_add(n).min(items.len())
    } else {
        items.len()
    };
    let remaining = items.len() - end;
    let mut out = serde_json::Map::new();
    if let Some(fields) = list.as_object() {
        for (key, value) in fields.iter().filter(|(key, _)| *key != "items") {
            out.insert(key.clone(), value.clone());
        }
    }
    let meta = out
        .entry("metadata")
        .or_insert_with(|| Value::Object(Default::default()));
    if let Some(meta) = meta.as_object_mut() {
        meta.remove("continue");
        meta.remove("remainingItemCount");
        if remaining > 0 {
            let last = end.checked_sub(1).map_or("", |at| item_name(&items[at]));
            meta.insert("continue".into(), Value::String(encode_continue(rv, last)));
            meta.insert("remainingItemCount".into(), Value::from(remaining));
        }
    }
    out.insert("items".into(), Value::Array(items[start..end].to_vec()));
    Ok(Value::Object(out))
}
