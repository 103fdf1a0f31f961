//! Carries out `policy.rs`: compiles a component, refuses one that imports
//! more than the policy grants, links only the granted interfaces, and runs
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
use wasmtime::{Config, Engine, ResourceLimiter, Store};
use wasmtime_wasi::p2::bindings::{cli, random};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpHooks, WasiHttpView};

use crate::bindings::{ClusterFacts, Outcome, ReportError, Settings};
use crate::contract::{self, Contract, Instance};
use crate::output::CappedOutput;
use crate::policy::{self, Authority, Limits};

/// How often the epoch advances; the deadline is counted in these ticks.
const EPOCH_TICK: Duration = Duration::from_millis(10);

/// The engine configuration, one function for every use (a precompiled
/// component only loads into an engine configured the same way).
pub fn engine() -> anyhow::Result<Engine> {
    let mut config = Config::new();
    config.wasm_component_model(true);
    // Deadlines: epoch interruption stops a guest that loops.
    config.epoch_interruption(true);
    Engine::new(&config)
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

/// A component that fits the policy, compiled and ready to instantiate.
pub struct Checked {
    component: Component,
    pub shape: Shape,
    contract: Contract,
}

/// Why a component cannot be used: the operator chose a wrong file.
#[derive(Debug)]
pub struct Refused(pub String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refused {}

/// Compiles `bytes` and checks them against the policy, before anything runs.
pub fn check(engine: &Engine, bytes: &[u8], origin: &str) -> Result<Checked, Refused> {
    let component = Component::new(engine, bytes)
        .map_err(|e| Refused(format!("{origin} is not a WebAssembly component: {e:#}")))?;
    let shape = Shape::of(engine, &component);
    if let Some(reason) = shape.refusal() {
        return Err(Refused(format!(
            "{origin} does not fit the reporter world: {reason}"
        )));
    }
    let contract = shape.contract;
    Ok(Checked {
        component,
        shape,
        contract,
    })
}

/// What the run hit, for the warnings.
#[derive(Debug, Default, Clone)]
pub struct Events {
    /// The limit that stopped the run, if one did.
    pub limit_hit: Option<String>,
}

type SharedEvents = Arc<Mutex<Events>>;

fn record(events: &SharedEvents, change: impl FnOnce(&mut Events)) {
    change(&mut events.lock().unwrap_or_else(PoisonError::into_inner));
}

/// Memory and table bounds that remember which one was hit (a refused
/// growth surfaces in the guest as a plain failure, not as a trap).
struct Bounds {
    memory_bytes: usize,
    table_elements: usize,
    events: SharedEvents,
}

impl ResourceLimiter for Bounds {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let allowed = desired <= self.memory_bytes;
        if !allowed {
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
}

/// Where and how the component may send: the endpoint's authority, the
/// TLS roots, and the credentials the host adds (never shown to the
/// component, never logged).
#[derive(Clone)]
pub struct EgressPolicy {
    pub authority: Authority,
    pub tls: Arc<rustls::ClientConfig>,
    pub bearer_token: Option<http::HeaderValue>,
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

impl Egress {
    fn decide(
        &mut self,
        request: &http::Request<wasmtime_wasi_http::WasiBody>,
    ) -> Result<(), String> {
        let uri = request.uri();
        let scheme = uri.scheme_str().unwrap_or("");
        let authority = uri.authority().map(|a| a.as_str()).unwrap_or("");
        let Some(policy) = &self.policy else {
            return Err(format!(
                "request to {scheme}://{authority} denied: dry run sends nothing"
            ));
        };
        policy.authority.permits(scheme, authority)?;
        if self.requests_made >= self.limits.max_requests {
            let limit = format!("request limit ({} per run)", self.limits.max_requests);
            record(&self.events, |e| e.limit_hit = Some(limit.clone()));
            return Err(format!(
                "request to {scheme}://{authority} denied: {limit} reached"
            ));
        }
        if let Some(length) = request
            .headers()
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.parse::<u64>().ok())
            && length > self.limits.max_request_body_bytes
        {
            let limit = format!(
                "request body limit ({} bytes)",
                self.limits.max_request_body_bytes
            );
            record(&self.events, |e| e.limit_hit = Some(limit.clone()));
            return Err(format!("request of {length} bytes denied: {limit}"));
        }
        self.requests_made += 1;
        Ok(())
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

impl WasiHttpHooks for Egress {
    /// The component may not set credentials or the client's name: the host
    /// sets both.
    fn forbidden_header_filter(&mut self) -> wasmtime_wasi_http::ForbiddenHeaderFilter {
        Arc::new(|name| {
            wasmtime_wasi_http::DEFAULT_FORBIDDEN_HEADERS.contains(name)
                || name == http::header::AUTHORIZATION
                || name == http::header::PROXY_AUTHORIZATION
                || name == http::header::USER_AGENT
                || name == http::header::COOKIE
        })
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
        let max_request = self.limits.max_request_body_bytes;
        let max_response = self.limits.max_response_body_bytes;
        request
            .headers_mut()
            .insert(http::header::USER_AGENT, self.user_agent.clone());
        let tls = self.policy.as_ref().map(|p| p.tls.clone());
        if decision.is_ok()
            && let Some(token) = self.policy.as_ref().and_then(|p| p.bearer_token.clone())
        {
            request
                .headers_mut()
                .insert(http::header::AUTHORIZATION, token);
        }

        Box::new(async move {
            if let Err(reason) = decision {
                tracing::warn!("{reason}");
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
            let request = request.map(|body| {
                BoundedBody::new(body, max_request, "request body", events.clone(), |max| {
                    wasmtime_wasi_http::Error::HttpRequestBodySize(Some(max))
                })
                .boxed_unsync()
            });
            let Some(tls) = tls else {
                return Err(wasmtime_wasi_http::Error::HttpRequestDenied);
            };
            let (response, io) = crate::transport::send(request, options, tls).await?;
            let response = response.map(|body| {
                BoundedBody::new(
                    body.boxed_unsync(),
                    max_response,
                    "response body",
                    events.clone(),
                    |max| wasmtime_wasi_http::Error::HttpResponseBodySize(Some(max)),
                )
                .boxed_unsync()
            });
            Ok((response, Box::new(io) as HttpFuture<_>))
        })
    }
}

/// A body that fails once more than `max` bytes went through.
struct BoundedBody {
    inner: wasmtime_wasi_http::WasiBody,
    seen: u64,
    max: u64,
    what: &'static str,
    events: SharedEvents,
    too_big: fn(u64) -> wasmtime_wasi_http::Error,
}

impl BoundedBody {
    fn new(
        inner: wasmtime_wasi_http::WasiBody,
        max: u64,
        what: &'static str,
        events: SharedEvents,
        too_big: fn(u64) -> wasmtime_wasi_http::Error,
    ) -> Self {
        Self {
            inner,
            seen: 0,
            max,
            what,
            events,
            too_big,
        }
    }
}

impl Body for BoundedBody {
    type Data = Bytes;
    type Error = wasmtime_wasi_http::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let frame = ready!(Pin::new(&mut self.inner).poll_frame(cx));
        if let Some(Ok(frame)) = &frame
            && let Some(data) = frame.data_ref()
        {
            self.seen += data.len() as u64;
            if self.seen > self.max {
                let limit = format!("{} limit ({} bytes)", self.what, self.max);
                record(&self.events, |e| e.limit_hit = Some(limit));
                return Poll::Ready(Some(Err((self.too_big)(self.max))));
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
}

/// What the call returned.
// One value per run, moved once: boxing the large variant buys nothing.
#[allow(clippy::large_enum_variant)]
pub enum Returned {
    Payload(Result<String, String>),
    Report(Result<Outcome, ReportError>),
    /// `None` for a 0.1.0 component, which declares no schema.
    Schema(Option<String>),
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
        .allow_tcp(false)
        .allow_udp(false)
        .allow_ip_name_lookup(false)
        .build();
    let policy = match &call {
        Call::BuildPayload(..) | Call::RequestSchema => None,
        Call::Report(_, _, policy) => Some(policy.clone()),
    };
    let state = RunState {
        wasi,
        http: WasiHttpCtx::new(),
        table: ResourceTable::new(),
        egress: Egress {
            policy,
            limits: limits.clone(),
            requests_made: 0,
            user_agent: http::HeaderValue::from_static(crate::USER_AGENT),
            events: events.clone(),
        },
        bounds: Bounds {
            memory_bytes: limits.memory_bytes,
            table_elements: limits.table_elements,
            events: events.clone(),
        },
    };
    let mut store = Store::new(engine, state);
    store.limiter(|state| &mut state.bounds);
    let ticks = (limits.component_deadline.as_millis() / EPOCH_TICK.as_millis()).max(1) as u64;
    store.set_epoch_deadline(ticks);
    store.epoch_deadline_trap();

    let run = async {
        let reporter =
            Instance::new(checked.contract, &mut store, &checked.component, linker).await?;
        let returned = match call {
            Call::BuildPayload(facts, settings) => {
                Returned::Payload(reporter.build_payload(&mut store, facts, settings).await?)
            }
            Call::Report(facts, settings, _) => {
                Returned::Report(reporter.report(&mut store, facts, settings).await?)
            }
            Call::RequestSchema => Returned::Schema(reporter.request_schema(&mut store).await?),
        };
        anyhow::Ok(returned)
    };
    // Epoch interruption does not fire while the guest waits on host I/O, so
    // the whole call is bounded on the host side as well.
    let outcome = tokio::time::timeout(limits.component_deadline + EPOCH_TICK * 10, run).await;
    let events_now = || {
        events
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    };
    let result = match outcome {
        Ok(Ok(returned)) if returned_bytes(&returned) > limits.max_outcome_bytes => Err(Stopped {
            reason: format!(
                "outcome limit ({} bytes) reached: the component returned {} bytes",
                limits.max_outcome_bytes,
                returned_bytes(&returned)
            ),
            stdout: stdout.text(),
            stderr: stderr.text(),
        }),
        Ok(Ok(returned)) => Ok(Finished {
            returned,
            stdout: stdout.text(),
            stderr: stderr.text(),
            events: events_now(),
        }),
        Ok(Err(error)) => {
            let events = events_now();
            let reason = stop_reason(&error, &events, limits);
            Err(Stopped {
                reason,
                stdout: stdout.text(),
                stderr: stderr.text(),
            })
        }
        Err(_elapsed) => Err(Stopped {
            reason: format!(
                "deadline ({} ms) passed while the component waited",
                limits.component_deadline.as_millis()
            ),
            stdout: stdout.text(),
            stderr: stderr.text(),
        }),
    };
    Ok(result)
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
    let trap = format!("{error:#}");
    match &events.limit_hit {
        Some(limit) => format!("{limit} reached: {}", first_line(&trap)),
        None => format!("component trapped: {}", first_line(&trap)),
    }
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or(text)
}
