//! One call of a component's export in a fresh store under the limits:
//! what it returned, what it printed and what it did.

use std::sync::{Arc, PoisonError};
use std::time::Duration;

use wasmtime::component::{Linker, ResourceTable};
use wasmtime::{Engine, Store};
use wasmtime_wasi::WasiCtx;
use wasmtime_wasi_http::WasiHttpCtx;

use super::contract::{Contract, Instance};
use super::output::CappedOutput;
use crate::ground::bindings::{ClusterFacts, FactKinds, FieldMode, Outcome, ReportError, Settings};
use crate::ground::policy::{self, Limits};

use super::egress::{Egress, EgressPolicy};
use super::epoch::EPOCH_TICK;
use super::events::{Bounds, Events, Exchange, SharedEvents};
use super::load::{Checked, Provenance};
use super::state::RunState;
use super::stop::stop_reason;

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
    /// The request as the egress hook saw it before the stop, if one was
    /// sent: whether the report was delivered is read from it.
    pub exchange: Option<Exchange>,
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
    // Without the export there is nothing to ask (and no instance to make).
    if matches!(checked.contract, Contract::V0_2 | Contract::V0_1) {
        return Ok(Ok(super::contract::kinds_before_facts_needed()));
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
            export: call.export_name(),
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
    let stdout = || crate::ground::text::log_text(stdout.text().trim_end(), usize::MAX);
    let stderr = || crate::ground::text::log_text(stderr.text().trim_end(), usize::MAX);
    let result = match outcome {
        Ok(Ok(returned)) if returned_bytes(&returned) > limits.max_outcome_bytes => Err(Stopped {
            reason: format!(
                "outcome limit ({} bytes) reached: the component returned {} bytes",
                limits.max_outcome_bytes,
                returned_bytes(&returned)
            ),
            stdout: stdout(),
            stderr: stderr(),
            exchange: events_now().exchange,
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
                exchange: events.exchange,
            })
        }
        Err(_elapsed) => Err(Stopped {
            reason: format!(
                "deadline ({} ms) passed while the component waited",
                limits.component_deadline.as_millis()
            ),
            stdout: stdout(),
            stderr: stderr(),
            exchange: events_now().exchange,
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
    let text = |t: String| crate::ground::text::log_text(&t, cap);
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

fn notice_bytes(notice: &crate::ground::bindings::UpgradeNotice) -> usize {
    let step = |s: &Option<crate::ground::bindings::UpgradeStep>| {
        s.as_ref()
            .map_or(0, |s| s.version.len() + s.release_date.len())
    };
    notice.current.len()
        + notice.channel.len()
        + notice.reason.len()
        + step(&notice.next)
        + step(&notice.target)
}
