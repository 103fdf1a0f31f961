//! Carries out `policy.rs`: loads a component (compiles a `.wasm`, maps a
//! pinned precompiled artefact: `trust.rs`), refuses one that imports more
//! than the policy grants, links only the granted interfaces, and runs
//! one call under the limits with egress checked on every request.

use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use anyhow::Context as _;
use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use http_body_util::BodyExt;
use wasmtime::component::{Component, Linker, ResourceTable, types::ComponentItem};
use wasmtime::{Engine, ResourceLimiter, Store};
use wasmtime_wasi::p2::bindings::{cli, random};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpHooks, WasiHttpView};

use crate::bindings::{ClusterFacts, FactKinds, FieldMode, Outcome, ReportError, Settings};
use crate::contract::{self, Contract, Instance};
use crate::failure::Failure;
use crate::output::CappedOutput;
use crate::policy::{self, Authority, Limits};
use crate::trust;

/// How often the epoch advances; the deadline is counted in these ticks.
const EPOCH_TICK: Duration = Duration::from_millis(10);

/// The engine every command runs and compiles with (`engine.rs`: one
/// configuration, so precompiled artefacts match it).
pub fn engine() -> anyhow::Result<Engine> {
    crate::engine::new(component_artifacts::TARGET)
        .map_err(anyhow::Error::from)
        .context("cannot set up the WebAssembly engine")
}

/// Advances the engine's epoch until the process ends.
pub fn start_epoch_ticker(engine: &Engine) {
    let engine = engine.weak();
    std::thread::Builder::new()
        .name("epoch-ticker".into())
        .spawn(move || {
            while let Some(engine) = engine.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(EPOCH_TICK);
            }
        })
        .ok();
}

/// What a component imports and exports, judged against the policy.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Shape {
    /// Every import with the grant that allows it, or `None` if refused.
    pub imports: Vec<ImportCheck>,
    pub exports: Vec<String>,
    /// The contract version it was built against.
    pub contract: Contract,
    pub missing_exports: Vec<&'static str>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct ImportCheck {
    pub name: String,
    pub granted: bool,
    pub why: &'static str,
}

impl Shape {
    pub fn of(engine: &Engine, component: &Component) -> Self {
        let ty = component.component_type();
        let imports: Vec<ImportCheck> = ty
            .imports(engine)
            .map(|(name, _)| match policy::grant_for(name) {
                Some(grant) => ImportCheck {
                    name: name.to_string(),
                    granted: true,
                    why: grant.why,
                },
                None => ImportCheck {
                    name: name.to_string(),
                    granted: false,
                    why: "not granted by the policy",
                },
            })
            .collect();
        let exports: Vec<(String, bool)> = ty
            .exports(engine)
            .map(|(name, item)| {
                (
                    name.to_string(),
                    matches!(item.ty, ComponentItem::ComponentFunc(_)),
                )
            })
            .collect();
        let contract = Contract::of_imports(imports.iter().map(|i| i.name.as_str()));
        let missing_exports = contract
            .required_exports()
            .iter()
            .filter(|required| {
                !exports
                    .iter()
                    .any(|(name, is_func)| name == *required && *is_func)
            })
            .copied()
            .collect();
        Self {
            imports,
            exports: exports.into_iter().map(|(name, _)| name).collect(),
            contract,
            missing_exports,
        }
    }

    pub fn refused_imports(&self) -> Vec<&str> {
        self.imports
            .iter()
            .filter(|i| !i.granted)
            .map(|i| i.name.as_str())
            .collect()
    }

    /// Why the component does not fit, naming each offending import and
    /// missing export.
    pub fn refusal(&self) -> Option<String> {
        let mut reasons = Vec::new();
        let refused = self.refused_imports();
        if !refused.is_empty() {
            reasons.push(format!("imports not granted: {}", refused.join(", ")));
        }
        if !self.missing_exports.is_empty() {
            reasons.push(format!(
                "missing exports of the reporter world: {}",
                self.missing_exports.join(", ")
            ));
        }
        (!reasons.is_empty()).then(|| reasons.join("; "))
    }
}

/// A component that fits the policy, loaded and ready to instantiate.
pub struct Checked {
    component: Component,
    pub shape: Shape,
    contract: Contract,
    /// How it was loaded, for the log.
    pub loaded: Provenance,
}

impl Checked {
    /// The compiled component as a precompiled artefact (`compile`).
    pub fn serialize(&self) -> wasmtime::Result<Vec<u8>> {
        self.component.serialize()
    }
}

/// Why a component cannot be used.
#[derive(Debug)]
pub enum Refused {
    /// The component does not fit, cannot be trusted or cannot be loaded:
    /// the operator chose a wrong file (exit 3).
    Component(String),
    /// A precompiled component without a pin: the operator must say which
    /// artefact to trust (a setting is missing, exit 2).
    Unpinned(String),
}

impl Refused {
    pub fn into_failure(self) -> Failure {
        match self {
            Refused::Component(reason) => Failure::Refused(reason),
            Refused::Unpinned(reason) => Failure::Config(anyhow::anyhow!(reason)),
        }
    }
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refused::Component(reason) | Refused::Unpinned(reason) => f.write_str(reason),
        }
    }
}

impl std::error::Error for Refused {}

/// Component bytes to load, with a name for them and the digest they must
/// have, if any.
pub struct Candidate {
    pub bytes: std::borrow::Cow<'static, [u8]>,
    /// A name for the component in messages: its path, or "built-in ...".
    pub origin: String,
    /// For a precompiled component, required: its bytes are trusted only
    /// if their sha256 is this. For a `.wasm`, checked when given.
    pub pin: Option<trust::Pin>,
}

impl Candidate {
    /// The built-in component: precompiled by the build, which recorded
    /// its digest. An operator's pin, if set, must match it as well.
    pub fn built_in(pin: Option<trust::Pin>) -> Self {
        let built = trust::Pin {
            sha256: trust::Sha256::parse(component_artifacts::K3S_REPORTER_CWASM_SHA256)
                .unwrap_or(trust::Sha256::of(b"")),
            source: trust::PinSource::Build,
        };
        Self {
            bytes: std::borrow::Cow::Borrowed(component_artifacts::K3S_REPORTER_CWASM),
            origin: "built-in k3s-reporter".to_string(),
            pin: Some(pin.unwrap_or(built)),
        }
    }
}

/// How a component came to be loaded.
#[derive(Debug, Clone)]
pub struct Provenance {
    pub form: trust::Form,
    /// Computed when a pin had to be checked.
    pub sha256: Option<trust::Sha256>,
    /// Reading aside: checks, and compiling or mapping the artefact.
    pub load_time: Duration,
}

/// A component loaded into the engine, not yet judged against the policy.
pub struct Loaded {
    pub component: Component,
    pub provenance: Provenance,
}

/// Loads a component, before anything runs, within the policy's bounds: a
/// file over the policy's size is refused unread, a precompiled artefact is
/// loaded only if its sha256 equals its pin (`trust.rs`), and compiling or
/// loading runs on its own thread under the policy's load deadline (a
/// compile still running then is abandoned; it ends with the process).
pub fn load(engine: &Engine, candidate: Candidate) -> Result<Loaded, Refused> {
    load_within(engine, candidate, policy::HOST_BUDGET.load_deadline)
}

/// [`load`] with the deadline given: tests pass one no compile can meet.
fn load_within(
    engine: &Engine,
    candidate: Candidate,
    deadline: Duration,
) -> Result<Loaded, Refused> {
    let started = std::time::Instant::now();
    let Candidate { bytes, origin, pin } = candidate;
    let budget = &policy::HOST_BUDGET;
    if bytes.len() > budget.component_bytes {
        return Err(Refused::Component(format!(
            "{origin} is {} bytes; the host loads components of up to {} bytes",
            bytes.len(),
            budget.component_bytes
        )));
    }
    let form = trust::Form::of(&bytes);
    let sha256 = match pin {
        Some(pin) => {
            let actual = trust::Sha256::of(&bytes);
            if actual != pin.sha256 {
                return Err(Refused::Component(format!(
                    "{origin} has sha256 {actual}, not {} ({}): not loaded; the file was changed, or the pin is for another file",
                    pin.sha256, pin.source
                )));
            }
            Some(actual)
        }
        None if form.is_precompiled() => {
            return Err(Refused::Unpinned(format!(
                "{origin} is precompiled (native code) and {} is not set: the host loads a precompiled component only with its sha256 pinned; set it to the sha256 `upgrade-responder compile` printed for this file",
                crate::config::COMPONENT_SHA256
            )));
        }
        None => None,
    };
    match form {
        trust::Form::PrecompiledModule => {
            return Err(Refused::Component(format!(
                "{origin} is a precompiled core module, not a component: compile the component with `upgrade-responder compile`"
            )));
        }
        trust::Form::Wasm if !trust::HAS_COMPILER => {
            return Err(Refused::Component(format!(
                "{origin} is not precompiled: this host has no compiler; run `upgrade-responder compile {origin} -o FILE.cwasm` with the compiler build of this host, then run FILE.cwasm with {} set to the sha256 it prints",
                crate::config::COMPONENT_SHA256
            )));
        }
        trust::Form::Wasm | trust::Form::Precompiled => {}
    }
    let (done, result) = std::sync::mpsc::channel();
    let engine_for_load = engine.clone();
    std::thread::Builder::new()
        .name("load".into())
        .spawn(move || {
            let loaded = match form {
                trust::Form::Precompiled => {
                    // SAFETY: wasmtime maps these bytes as native code and
                    // trusts them to be its own artefact. They are: their
                    // sha256 equals the pin checked above (the operator's,
                    // or the digest the build recorded), and wasmtime
                    // refuses an artefact of another version or engine
                    // configuration before using it.
                    unsafe { Component::deserialize(&engine_for_load, &bytes) }
                }
                _ => compile(&engine_for_load, &bytes),
            };
            let _ = done.send(loaded);
        })
        .map_err(|e| Refused::Component(format!("cannot start loading {origin}: {e}")))?;
    let component = match result.recv_timeout(deadline) {
        Ok(Ok(component)) => component,
        Ok(Err(error)) if form == trust::Form::Precompiled => {
            return Err(Refused::Component(format!(
                "{origin} was precompiled for another engine: {}; recompile its .wasm with this host: `upgrade-responder compile COMPONENT.wasm -o {origin}`",
                first_line(&format!("{error:#}"))
            )));
        }
        Ok(Err(error)) => {
            return Err(Refused::Component(format!(
                "{origin} is not a WebAssembly component: {error:#}"
            )));
        }
        Err(_) => {
            return Err(Refused::Component(format!(
                "{origin} did not load within the load deadline ({} ms): it is too large or too complex to compile here; precompile it with `upgrade-responder compile`",
                deadline.as_millis()
            )));
        }
    };
    Ok(Loaded {
        component,
        provenance: Provenance {
            form,
            sha256,
            load_time: started.elapsed(),
        },
    })
}

#[cfg(feature = "compiler")]
fn compile(engine: &Engine, bytes: &[u8]) -> wasmtime::Result<Component> {
    Component::new(engine, bytes)
}

/// Never called: `load` refuses a `.wasm` first when there is no compiler.
#[cfg(not(feature = "compiler"))]
fn compile(_engine: &Engine, _bytes: &[u8]) -> wasmtime::Result<Component> {
    Err(wasmtime::Error::msg("this host has no compiler"))
}

/// Loads the component and checks it against the policy, before anything
/// runs.
pub fn check(engine: &Engine, candidate: Candidate) -> Result<Checked, Refused> {
    let origin = candidate.origin.clone();
    check_loaded(engine, load(engine, candidate)?).map_err(|unfit| {
        Refused::Component(format!(
            "{origin} does not fit the reporter world: {}",
            unfit.reason
        ))
    })
}

/// A loaded component that does not fit the reporter world, with its shape
/// (`inspect` prints it either way).
pub struct Unfit {
    pub shape: Shape,
    pub reason: String,
}

/// A loaded component checked against the policy.
pub fn check_loaded(engine: &Engine, loaded: Loaded) -> Result<Checked, Unfit> {
    let Loaded {
        component,
        provenance,
    } = loaded;
    let shape = Shape::of(engine, &component);
    if let Some(reason) = shape.refusal() {
        return Err(Unfit { shape, reason });
    }
    let contract = shape.contract;
    Ok(Checked {
        component,
        shape,
        contract,
        loaded: provenance,
    })
}

/// What the run hit, and what the host saw at the egress hook.
#[derive(Debug, Default, Clone)]
pub struct Events {
    /// The limit that stopped the run, if one did.
    pub limit_hit: Option<String>,
    /// Requests the egress hook denied (only the first is logged).
    pub denied: u32,
    /// What went out and came back, as the host counted it: the last
    /// request that reached the endpoint.
    pub exchange: Option<Exchange>,
}

/// One request as the host saw it, whatever the component says about it.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Exchange {
    /// The endpoint's status, once its answer arrived.
    pub status: Option<u16>,
    /// Request line, headers, body and trailers the component sent.
    pub bytes_sent: u64,
    /// Response body bytes the component read.
    pub bytes_received: u64,
}

type SharedEvents = Arc<Mutex<Events>>;

fn record(events: &SharedEvents, change: impl FnOnce(&mut Events)) {
    change(&mut events.lock().unwrap_or_else(PoisonError::into_inner));
}

/// Memory and table bounds that remember which one was hit (a refused
/// growth surfaces in the guest as a plain failure, not as a trap). All
/// memories of the store count against one limit together.
struct Bounds {
    memory_bytes: usize,
    memory_in_use: usize,
    table_elements: usize,
    events: SharedEvents,
}

impl ResourceLimiter for Bounds {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let total = (self.memory_in_use - current.min(self.memory_in_use)).saturating_add(desired);
        let allowed = total <= self.memory_bytes;
        if allowed {
            self.memory_in_use = total;
        } else {
            let limit = format!("memory limit ({} bytes)", self.memory_bytes);
            record(&self.events, |e| e.limit_hit = Some(limit));
        }
        Ok(allowed)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let allowed = desired <= self.table_elements;
        if !allowed {
            let limit = format!("table limit ({} elements)", self.table_elements);
            record(&self.events, |e| e.limit_hit = Some(limit));
        }
        Ok(allowed)
    }

    fn instances(&self) -> usize {
        policy::HOST_BUDGET.instances
    }

    fn memories(&self) -> usize {
        policy::HOST_BUDGET.memories
    }

    fn tables(&self) -> usize {
        policy::HOST_BUDGET.tables
    }
}

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
}

/// The wasi-http hooks: every outgoing request is checked here.
struct Egress {
    /// `None` in a dry run: nothing may go out.
    policy: Option<EgressPolicy>,
    limits: Limits,
    requests_made: u32,
    user_agent: http::HeaderValue,
    events: SharedEvents,
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
            return Err(format!(
                "request to {scheme}://{} denied: dry run sends nothing",
                policy::log_text(authority, 200)
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
                    // Read (a bounded part of) the body the component is still
                    // writing, so it sees "request denied" and not a reset.
                    let body = request.into_body();
                    let _ = tokio::time::timeout(
                        Duration::from_secs(1),
                        http_body_util::Limited::new(body, max_request as usize).collect(),
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
            let request = request.map(|body| {
                BoundedBody::new(
                    body,
                    max_request.saturating_sub(head),
                    Counted::Sent,
                    events.clone(),
                    request_size_limit(max_request),
                    || wasmtime_wasi_http::Error::HttpRequestBodySize(None),
                )
                .boxed_unsync()
            });
            let timeout_note: crate::transport::TimeoutNote = {
                let events = events.clone();
                Arc::new(move |limit| record(&events, |e| e.limit_hit = Some(limit)))
            };
            let (response, io) = crate::transport::send(
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

/// Which way a bounded body goes, for the count and the limit's name.
#[derive(Clone, Copy)]
enum Counted {
    Sent,
    Received,
}

/// A body that fails once more than `max` bytes went through (data and
/// trailers), counting them into the run's exchange as they pass.
struct BoundedBody {
    inner: wasmtime_wasi_http::WasiBody,
    seen: u64,
    max: u64,
    way: Counted,
    events: SharedEvents,
    /// The limit's name in the warning, and the error the component sees.
    limit: String,
    too_big: fn() -> wasmtime_wasi_http::Error,
}

impl BoundedBody {
    fn new(
        inner: wasmtime_wasi_http::WasiBody,
        max: u64,
        way: Counted,
        events: SharedEvents,
        limit: String,
        too_big: fn() -> wasmtime_wasi_http::Error,
    ) -> Self {
        Self {
            inner,
            seen: 0,
            max,
            way,
            events,
            limit,
            too_big,
        }
    }
}

fn trailer_bytes(trailers: &http::HeaderMap) -> u64 {
    trailers
        .iter()
        .map(|(name, value)| (name.as_str().len() + 2 + value.len() + 2) as u64)
        .sum()
}

impl Body for BoundedBody {
    type Data = Bytes;
    type Error = wasmtime_wasi_http::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let frame = ready!(Pin::new(&mut self.inner).poll_frame(cx));
        if let Some(Ok(frame)) = &frame {
            let bytes = match (frame.data_ref(), frame.trailers_ref()) {
                (Some(data), _) => data.len() as u64,
                (None, Some(trailers)) => trailer_bytes(trailers),
                (None, None) => 0,
            };
            self.seen += bytes;
            let way = self.way;
            record(&self.events, |e| {
                if let Some(exchange) = &mut e.exchange {
                    match way {
                        Counted::Sent => exchange.bytes_sent += bytes,
                        Counted::Received => exchange.bytes_received += bytes,
                    }
                }
            });
            if self.seen > self.max {
                let limit = self.limit.clone();
                record(&self.events, |e| e.limit_hit = Some(limit));
                return Poll::Ready(Some(Err((self.too_big)())));
            }
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Everything one run's store holds.
pub struct RunState {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    table: ResourceTable,
    egress: Egress,
    bounds: Bounds,
}

impl WasiView for RunState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for RunState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.egress,
        }
    }
}

/// Links exactly the interfaces `policy::ALLOWED_IMPORTS` names: the
/// wasi:http proxy set (io, clocks, random, stdio, http) plus the cli and
/// random interfaces Rust std imports. Never filesystem, never sockets.
pub fn linker(engine: &Engine) -> anyhow::Result<Linker<RunState>> {
    use wasmtime_wasi::cli::{WasiCli, WasiCliView};
    use wasmtime_wasi::random::WasiRandom;
    let mut linker = Linker::new(engine);
    // io, clocks, random, stdin/stdout/stderr, wasi:http/{types,outgoing-handler}
    wasmtime_wasi_http::p2::add_to_linker_async(&mut linker)?;
    let l = &mut linker;
    random::insecure::add_to_linker::<RunState, WasiRandom>(l, |t| t.wasi.random())?;
    random::insecure_seed::add_to_linker::<RunState, WasiRandom>(l, |t| t.wasi.random())?;
    cli::exit::add_to_linker::<RunState, WasiCli>(l, RunState::cli)?;
    cli::environment::add_to_linker::<RunState, WasiCli>(l, RunState::cli)?;
    cli::terminal_input::add_to_linker::<RunState, WasiCli>(l, RunState::cli)?;
    cli::terminal_output::add_to_linker::<RunState, WasiCli>(l, RunState::cli)?;
    cli::terminal_stdin::add_to_linker::<RunState, WasiCli>(l, RunState::cli)?;
    cli::terminal_stdout::add_to_linker::<RunState, WasiCli>(l, RunState::cli)?;
    cli::terminal_stderr::add_to_linker::<RunState, WasiCli>(l, RunState::cli)?;
    // The reporter's type-only interfaces: nothing to call, only types.
    contract::add_to_linker(&mut linker)?;
    Ok(linker)
}

/// What to call, with its inputs.
pub enum Call<'a> {
    /// `build-payload`: the dry run. No request may leave.
    BuildPayload(&'a ClusterFacts, &'a Settings),
    /// `report`: build and send, under this egress policy.
    Report(&'a ClusterFacts, &'a Settings, EgressPolicy),
    /// `request-schema`: the server schema the component declares. No
    /// request may leave.
    RequestSchema,
    /// `facts-needed`: the kinds of facts the component uses in this mode,
    /// asked before the cluster is read. No request may leave.
    FactsNeeded(FieldMode),
}

impl Call<'_> {
    /// The WIT export this call runs, for the log.
    fn export_name(&self) -> &'static str {
        match self {
            Call::BuildPayload(..) => "build-payload",
            Call::Report(..) => "report",
            Call::RequestSchema => "request-schema",
            Call::FactsNeeded(_) => "facts-needed",
        }
    }
}

/// What the call returned.
// One value per run, moved once: boxing the large variant buys nothing.
#[allow(clippy::large_enum_variant)]
pub enum Returned {
    Payload(Result<String, String>),
    Report(Result<Outcome, ReportError>),
    /// `None` for a 0.1.0 component, which declares no schema.
    Schema(Option<String>),
    /// Every kind for a component older than 0.3.0, which declares none.
    FactsNeeded(FactKinds),
}

/// A finished call: what it returned, what it printed, what it did.
pub struct Finished {
    pub returned: Returned,
    pub stdout: String,
    pub stderr: String,
    pub events: Events,
}

/// A call that did not finish: it trapped, hit a limit, or ran out of time.
#[derive(Debug)]
pub struct Stopped {
    pub reason: String,
    pub stdout: String,
    pub stderr: String,
}

/// The kinds of facts the component reads in `mode`: its `facts-needed`
/// answer, from a store of its own that is dropped at once, so nothing of
/// the component is held while the cluster is read. A component older than
/// contract 0.3.0 declares none and gets every kind, without being
/// instantiated for it. The outer error is the host's; `Stopped` is the
/// component's.
pub async fn facts_needed(
    engine: &Engine,
    linker: &Linker<RunState>,
    checked: &Checked,
    limits: &Limits,
    mode: FieldMode,
) -> anyhow::Result<Result<FactKinds, Stopped>> {
    if checked.contract != Contract::Current {
        return Ok(Ok(FactKinds::all()));
    }
    match call(engine, linker, checked, limits, Call::FactsNeeded(mode)).await? {
        Ok(Finished {
            returned: Returned::FactsNeeded(kinds),
            ..
        }) => Ok(Ok(kinds)),
        Ok(_) => anyhow::bail!("the component answered facts-needed with another export's value"),
        Err(stopped) => Ok(Err(stopped)),
    }
}

/// Instantiates the component in a fresh store and makes one call.
pub async fn call(
    engine: &Engine,
    linker: &Linker<RunState>,
    checked: &Checked,
    limits: &Limits,
    call: Call<'_>,
) -> anyhow::Result<Result<Finished, Stopped>> {
    let events: SharedEvents = Arc::default();
    let stdout = CappedOutput::new(limits.max_output_bytes);
    let stderr = CappedOutput::new(limits.max_output_bytes);
    // An empty builder: no preopened directories, no environment, no
    // arguments, stdin closed, no sockets or name lookup.
    let wasi = WasiCtx::builder()
        .stdout(stdout.clone())
        .stderr(stderr.clone())
        .allow_tcp(policy::WASI_TCP)
        .allow_udp(policy::WASI_UDP)
        .allow_ip_name_lookup(policy::WASI_NAME_LOOKUP)
        .build();
    let policy = match &call {
        Call::BuildPayload(..) | Call::RequestSchema | Call::FactsNeeded(_) => None,
        Call::Report(_, _, policy) => Some(policy.clone()),
    };
    let budget = &policy::HOST_BUDGET;
    let mut http = WasiHttpCtx::new();
    http.set_field_size_limit(budget.fields_bytes);
    let mut table = ResourceTable::new();
    table.set_max_capacity(budget.handles);
    let state = RunState {
        wasi,
        http,
        table,
        egress: Egress {
            policy,
            limits: limits.clone(),
            requests_made: 0,
            user_agent: http::HeaderValue::from_static(crate::USER_AGENT),
            events: events.clone(),
        },
        bounds: Bounds {
            memory_bytes: limits.memory_bytes,
            memory_in_use: 0,
            table_elements: limits.table_elements,
            events: events.clone(),
        },
    };
    let mut store = Store::new(engine, state);
    store.limiter(|state| &mut state.bounds);
    store.set_max_component_handles(budget.handles);
    // What one call may copy out of the component: never more than its
    // memory limit (the copy is freed when the call returns).
    store.set_hostcall_fuel(limits.memory_bytes);
    let ticks = (limits.component_deadline.as_millis() / EPOCH_TICK.as_millis()).max(1) as u64;
    store.set_epoch_deadline(ticks);
    store.epoch_deadline_trap();

    // When the instance was ready: the split of the run's time is logged.
    let mut instantiated: Option<std::time::Instant> = None;
    let call_started = std::time::Instant::now();
    let export = call.export_name();
    let run = async {
        let reporter =
            Instance::new(checked.contract, &mut store, &checked.component, linker).await?;
        instantiated = Some(std::time::Instant::now());
        let returned = match call {
            Call::BuildPayload(facts, settings) => {
                Returned::Payload(reporter.build_payload(&mut store, facts, settings).await?)
            }
            Call::Report(facts, settings, _) => {
                Returned::Report(reporter.report(&mut store, facts, settings).await?)
            }
            Call::RequestSchema => Returned::Schema(reporter.request_schema(&mut store).await?),
            Call::FactsNeeded(mode) => {
                Returned::FactsNeeded(reporter.facts_needed(&mut store, mode).await?)
            }
        };
        anyhow::Ok(returned)
    };
    // Epoch interruption does not fire while the guest waits on host I/O, so
    // the whole call is bounded on the host side as well.
    let outcome = tokio::time::timeout(limits.component_deadline + EPOCH_TICK * 10, run).await;
    log_time_split(&checked.loaded, call_started, instantiated, export);
    let events_now = || {
        events
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    };
    let denied = events_now().denied;
    let logged = policy::HOST_BUDGET.denials_logged;
    if denied > logged {
        tracing::warn!(
            "{} more requests denied like the first (denials are logged once, then counted)",
            denied - logged
        );
    }
    // The component's stdout and stderr go to the log: one line each.
    let stdout = || policy::log_text(stdout.text().trim_end(), usize::MAX);
    let stderr = || policy::log_text(stderr.text().trim_end(), usize::MAX);
    let result = match outcome {
        Ok(Ok(returned)) if returned_bytes(&returned) > limits.max_outcome_bytes => Err(Stopped {
            reason: format!(
                "outcome limit ({} bytes) reached: the component returned {} bytes",
                limits.max_outcome_bytes,
                returned_bytes(&returned)
            ),
            stdout: stdout(),
            stderr: stderr(),
        }),
        Ok(Ok(returned)) => Ok(Finished {
            returned: loggable(returned),
            stdout: stdout(),
            stderr: stderr(),
            events: events_now(),
        }),
        Ok(Err(error)) => {
            let events = events_now();
            let reason = stop_reason(&error, &events, limits);
            Err(Stopped {
                reason,
                stdout: stdout(),
                stderr: stderr(),
            })
        }
        Err(_elapsed) => Err(Stopped {
            reason: format!(
                "deadline ({} ms) passed while the component waited",
                limits.component_deadline.as_millis()
            ),
            stdout: stdout(),
            stderr: stderr(),
        }),
    };
    Ok(result)
}

/// One debug line per call: where the time of loading and running the
/// component went, and which export ran (the benchmark reads the last line:
/// `build-payload` or `report`). `call_ms` is 0 when instantiation failed.
fn log_time_split(
    loaded: &Provenance,
    started: std::time::Instant,
    instantiated: Option<std::time::Instant>,
    export: &str,
) {
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let now = std::time::Instant::now();
    let (instantiate, call) = match instantiated {
        Some(at) => (at - started, now - at),
        None => (now - started, Duration::ZERO),
    };
    let form = if loaded.form.is_precompiled() {
        "precompiled"
    } else {
        "compiled"
    };
    tracing::debug!(
        "load_ms={:.2} instantiate_ms={:.2} call_ms={:.2} component={form} export={export}",
        ms(loaded.load_time),
        ms(instantiate),
        ms(call)
    );
}

/// The returned texts the host logs, escaped and cut for one log line.
/// The payload is left as it is: a dry run prints it on stdout, the
/// product of the run, and a report only logs its length.
fn loggable(returned: Returned) -> Returned {
    let cap = policy::HOST_BUDGET.log_text_chars;
    let text = |t: String| policy::log_text(&t, cap);
    match returned {
        Returned::Payload(Ok(payload)) => Returned::Payload(Ok(payload)),
        Returned::Payload(Err(reason)) => Returned::Payload(Err(text(reason))),
        Returned::Report(Ok(mut outcome)) => {
            let notice = &mut outcome.notice;
            notice.current = text(std::mem::take(&mut notice.current));
            notice.channel = text(std::mem::take(&mut notice.channel));
            notice.reason = text(std::mem::take(&mut notice.reason));
            for step in [&mut notice.next, &mut notice.target].into_iter().flatten() {
                step.version = text(std::mem::take(&mut step.version));
                step.release_date = text(std::mem::take(&mut step.release_date));
            }
            Returned::Report(Ok(outcome))
        }
        Returned::Report(Err(ReportError::InvalidFacts(t))) => {
            Returned::Report(Err(ReportError::InvalidFacts(text(t))))
        }
        Returned::Report(Err(ReportError::NotSent(t))) => {
            Returned::Report(Err(ReportError::NotSent(text(t))))
        }
        Returned::Report(Err(ReportError::BadResponse(mut bad))) => {
            bad.reason = text(bad.reason);
            Returned::Report(Err(ReportError::BadResponse(bad)))
        }
        // Printed by `schema` only after the host's own JSON parse.
        Returned::Schema(schema) => Returned::Schema(schema),
        Returned::FactsNeeded(kinds) => Returned::FactsNeeded(kinds),
    }
}

/// The text a call returned, in bytes: what the host would log or print.
/// (The value itself was bounded on the way in by the component's memory.)
fn returned_bytes(returned: &Returned) -> usize {
    match returned {
        Returned::Payload(Ok(text) | Err(text)) => text.len(),
        Returned::Report(Ok(outcome)) => {
            outcome.payload.len()
                + outcome
                    .versions
                    .iter()
                    .map(|v| {
                        v.name.len()
                            + v.release_date.len()
                            + v.min_upgradable_version.len()
                            + v.tags.iter().map(String::len).sum::<usize>()
                    })
                    .sum::<usize>()
                + notice_bytes(&outcome.notice)
        }
        Returned::Report(Err(ReportError::InvalidFacts(text) | ReportError::NotSent(text))) => {
            text.len()
        }
        Returned::Report(Err(ReportError::BadResponse(bad))) => bad.reason.len(),
        Returned::Schema(schema) => schema.as_ref().map_or(0, String::len),
        Returned::FactsNeeded(_) => 0,
    }
}

fn notice_bytes(notice: &crate::bindings::UpgradeNotice) -> usize {
    let step = |s: &Option<crate::bindings::UpgradeStep>| {
        s.as_ref()
            .map_or(0, |s| s.version.len() + s.release_date.len())
    };
    notice.current.len()
        + notice.channel.len()
        + notice.reason.len()
        + step(&notice.next)
        + step(&notice.target)
}

/// One phrase naming why a call stopped: the limit if one was hit.
fn stop_reason(error: &anyhow::Error, events: &Events, limits: &Limits) -> String {
    if let Some(trap) = error.downcast_ref::<wasmtime::Trap>()
        && *trap == wasmtime::Trap::Interrupt
    {
        return format!(
            "deadline ({} ms) passed",
            limits.component_deadline.as_millis()
        );
    }
    if let Some(exit) = error.downcast_ref::<wasmtime_wasi::I32Exit>() {
        return format!(
            "component exited with status {} instead of returning",
            exit.0
        );
    }
    // The reason, without wasmtime's backtrace (which would otherwise be
    // the first line and say nothing).
    let reason = error
        .chain()
        .map(|e| e.to_string())
        .filter(|text| !text.starts_with("error while executing at wasm backtrace"))
        .collect::<Vec<_>>()
        .join(": ");
    let budget = &policy::HOST_BUDGET;
    let host_limit = if error.chain().any(|e| {
        matches!(
            e.downcast_ref::<wasmtime::component::ResourceTableError>(),
            Some(wasmtime::component::ResourceTableError::Full)
        )
    }) || reason.contains("store handle limit exceeded")
    {
        Some(format!("host resource limit ({} handles)", budget.handles))
    } else if reason.contains("total size of fields exceeds limit") {
        Some(format!(
            "header fields limit ({} bytes per fields value)",
            budget.fields_bytes
        ))
    } else if reason.contains("fuel allocated for hostcalls has been exhausted") {
        Some(format!(
            "per-call copy limit ({} bytes, the memory limit)",
            limits.memory_bytes
        ))
    } else if reason.contains("count too high") {
        Some(format!(
            "instance, memory and table count limit ({} / {} / {})",
            budget.instances, budget.memories, budget.tables
        ))
    } else {
        None
    };
    let reason = policy::log_text(first_line(&reason), budget.log_text_chars);
    match events.limit_hit.clone().or(host_limit) {
        Some(limit) => format!("{limit} reached: {reason}"),
        None => format!("component trapped: {reason}"),
    }
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every interface of the WASI packages in `wit/deps`, without version.
    fn wasi_interfaces() -> Vec<String> {
        let deps = concat!(env!("CARGO_MANIFEST_DIR"), "/../wit/deps");
        let mut found = Vec::new();
        for entry in std::fs::read_dir(deps).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            let package = text
                .lines()
                .find_map(|l| l.strip_prefix("package ")?.strip_suffix(';'))
                .unwrap();
            let package = package.split_once('@').unwrap().0;
            for line in text.lines() {
                if let Some(rest) = line.strip_prefix("interface ") {
                    let name = rest.trim_end_matches('{').trim();
                    found.push(format!("{package}/{name}"));
                }
            }
        }
        found.sort();
        found
    }

    /// Whether the linker defines `interface` at some 0.2.x version (or at
    /// the reporter types' version): defining that name again (as a
    /// function; an instance may be reopened) must then fail.
    fn defines(linker: &Linker<RunState>, interface: &str) -> bool {
        let versions: Vec<String> = if interface.starts_with("upgrade-responder:") {
            policy::REPORTER_CONTRACTS
                .iter()
                .map(|(version, _)| version.to_string())
                .collect()
        } else {
            (0..=30)
                .map(|patch| format!("{}{patch}", policy::WASI_VERSION_PREFIX))
                .collect()
        };
        versions.iter().any(|version| {
            linker
                .clone()
                .root()
                .func_wrap(&format!("{interface}@{version}"), |_, (): ()| Ok(()))
                .is_err()
        })
    }

    /// A load still running at the deadline is abandoned with its own
    /// refusal. Compiling the K3s component takes hundreds of milliseconds:
    /// a deadline of one millisecond is always missed, on any machine.
    #[cfg(feature = "compiler")]
    #[test]
    fn a_load_past_its_deadline_is_refused() {
        let engine = engine().unwrap();
        let candidate = Candidate {
            bytes: std::borrow::Cow::Borrowed(component_artifacts::K3S_REPORTER),
            origin: "slow.wasm".to_string(),
            pin: None,
        };
        let Err(Refused::Component(message)) =
            load_within(&engine, candidate, Duration::from_millis(1))
        else {
            panic!("a compile of the K3s component finished within 1 ms");
        };
        assert_eq!(
            message,
            "slow.wasm did not load within the load deadline (1 ms): it is too large or too complex to compile here; precompile it with `upgrade-responder compile`"
        );
    }

    /// The linker and the policy agree: it defines every allowed interface
    /// and no other WASI interface.
    #[test]
    fn the_linker_defines_exactly_the_allowed_imports() {
        let engine = engine().unwrap();
        let linker = linker(&engine).unwrap();
        let interfaces = wasi_interfaces();
        assert!(interfaces.len() > 30, "{interfaces:?}");
        for interface in &interfaces {
            let allowed = policy::ALLOWED_IMPORTS
                .iter()
                .any(|g| g.interface == interface);
            assert_eq!(
                defines(&linker, interface),
                allowed,
                "{interface}: the linker and policy::ALLOWED_IMPORTS disagree"
            );
        }
        for grant in policy::ALLOWED_IMPORTS {
            assert!(
                defines(&linker, grant.interface),
                "{} is allowed but not linked",
                grant.interface
            );
        }
    }
}
