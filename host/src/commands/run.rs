//! The default command: one report, as a pipeline of named steps.
//!
//! settings -> opted out? -> egress policy -> load the component (checked
//! against the policy before the cluster is read; the built-in one the
//! cluster's version chooses, once `GET /version` is read) -> ask it which
//! facts it needs -> read those facts -> spread wait -> call the component
//! -> summary line (`outcome.rs`).
//!
//! Each step returns a [`Failure`] when the run cannot go on; `failure.rs`
//! maps it to its exit code and log level. Only configuration errors and
//! refused components fail the job; everything the network or the cluster
//! can do wrong is a warning and exit 0.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use wasmtime::Engine;
use wasmtime::component::Linker;

use crate::cluster::{api as cluster, facts, facts_file};
use crate::ground::bindings::{ClusterFacts, FactKinds, FieldMode, Settings};
use crate::ground::failure::{Failure, exit};
use crate::ground::input;
use crate::report::outcome::{self, Summary};
use crate::sandbox::{self, Call, Checked, RunState};
use crate::sandbox::{transport, trust};
use crate::settings::{self, BuiltIn, ComponentSetting, Config, Values};

/// Runs one report and returns the exit code.
pub fn run(values: &Values) -> u8 {
    let started = Instant::now();
    pipeline(values, started).unwrap_or_else(|failure| {
        let code = failure.log();
        // Every run leaves its one line for `kubectl describe pod`, a
        // failure too, so no earlier run's notice is left standing.
        if let Some(path) = settings::termination_message_path(values) {
            outcome::write_termination_message(&path, &failure.to_string());
        }
        code
    })
}

fn pipeline(values: &Values, started: Instant) -> Result<u8, Failure> {
    if opted_out(values)? {
        if let Some(path) = settings::termination_message_path(values) {
            let line = format!("disabled ({})", settings::opt_out_reason(values));
            outcome::write_termination_message(&path, &line);
        }
        return Ok(exit::OK);
    }
    let config = Config::parse(values).map_err(Failure::Config)?;
    let egress = egress_policy(&config).map_err(Failure::Config)?;
    let runtime = super::runtime().map_err(Failure::Internal)?;
    runtime.block_on(async {
        // A component the operator named is loaded before anything is
        // read: a wrong file is the operator's to fix, whatever state the
        // cluster is in. The automatic choice needs the cluster's version.
        let named = match config.component {
            ComponentSetting::Automatic => None,
            _ => Some(load_component(&config, &choose(&config.component, None))?),
        };
        let cluster = open_cluster(&config).await?;
        let component = match named {
            Some(component) => component,
            None => load_component(&config, &choose(&config.component, Some(&cluster)))?,
        };
        let needed = facts_needed(&component, &config, started).await?;
        let facts = read_facts(&config, cluster, needed, started).await?;
        spread_wait(&config, &facts).await;
        call_component(&component, &config, &facts, egress, started).await
    })
}

/// Opt-out first: nothing else is parsed, read or contacted.
pub(crate) fn opted_out(values: &Values) -> Result<bool, Failure> {
    if settings::enabled(values).map_err(Failure::Config)? {
        return Ok(false);
    }
    tracing::info!(
        "disabled ({}): nothing read, nothing sent",
        settings::opt_out_reason(values)
    );
    Ok(true)
}

/// The egress policy from the settings: the endpoint, TLS roots, token.
fn egress_policy(config: &Config) -> anyhow::Result<sandbox::EgressPolicy> {
    let tls = transport::tls_config(config.ca_file.as_deref())
        .with_context(|| format!("{} is not usable", settings::CA_FILE))?;
    let bearer_token = match &config.bearer_token {
        None => None,
        Some(token) => {
            let mut value = http::HeaderValue::try_from(format!("Bearer {}", token.expose()))
                .map_err(|_| {
                    anyhow::anyhow!(
                        "{}: the token is not a valid header value",
                        settings::TOKEN_FILE
                    )
                })?;
            value.set_sensitive(true);
            Some(value)
        }
    };
    for warning in config.warnings() {
        tracing::warn!("{warning}");
    }
    let mut identity = vec![(http::header::USER_AGENT, config.user_agent.clone())];
    identity.extend(config.marker.clone());
    Ok(sandbox::EgressPolicy {
        authority: config.authority.clone(),
        tls,
        bearer_token,
        identity,
        sample_answer: config.sample_answer.clone().map(bytes::Bytes::from),
    })
}

/// A component checked against the policy, ready to instantiate.
pub(crate) struct Loaded {
    pub(crate) engine: Engine,
    pub(crate) linker: Linker<RunState>,
    pub(crate) checked: Checked,
    /// A name for the component in messages.
    pub(crate) origin: String,
    /// Why it was chosen: the summary line's `component_choice`.
    pub(crate) why: String,
}

/// Which component a run loads, and why.
pub(crate) struct Choice {
    chosen: Chosen,
    /// `setting`, or the automatic choice's reason:
    /// `auto:/version v1.31.6+rke2r1 is RKE2`.
    pub(crate) why: String,
}

enum Chosen {
    BuiltIn(BuiltIn),
    File(PathBuf),
}

impl Choice {
    /// The built-in component chosen, if it is one.
    pub(crate) fn built_in(&self) -> Option<BuiltIn> {
        match self.chosen {
            Chosen::BuiltIn(which) => Some(which),
            Chosen::File(_) => None,
        }
    }
}

/// The component the setting names, or, when it names none, the built-in
/// one the cluster's version chooses (`sandbox::built_in_for`). Without a
/// cluster (`schema`, `server-kit`), or with its version unread, that is
/// the K3s component.
pub(crate) fn choose(setting: &ComponentSetting, cluster: Option<&Cluster>) -> Choice {
    let (chosen, why) = match setting {
        ComponentSetting::BuiltIn(which) => (Chosen::BuiltIn(*which), "setting".to_string()),
        ComponentSetting::File(path) => (Chosen::File(path.clone()), "setting".to_string()),
        ComponentSetting::Automatic => {
            let (from, version) = match cluster {
                None => ("no cluster read", None),
                Some(cluster) => cluster.version(),
            };
            let which = version
                .as_deref()
                .map_or(BuiltIn::K3s, sandbox::built_in_for);
            let verdict = match which {
                BuiltIn::Rke2 => "is RKE2",
                BuiltIn::K3s => "is not RKE2",
            };
            let why = match version {
                Some(version) => format!("auto:{from} {version} {verdict}"),
                None => format!("auto:{from}, not RKE2"),
            };
            (Chosen::BuiltIn(which), why)
        }
    };
    Choice { chosen, why }
}

/// Reads and checks the chosen component before the rest of the cluster
/// is read.
pub(crate) fn load_component(config: &Config, choice: &Choice) -> Result<Loaded, Failure> {
    let engine = sandbox::engine().map_err(Failure::Internal)?;
    sandbox::start_epoch_ticker(&engine);
    let candidate = component_candidate(config, choice)?;
    let origin = candidate.origin.clone();
    let checked = sandbox::check(&engine, candidate).map_err(sandbox::Refused::into_failure)?;
    let linker = sandbox::linker(&engine)
        .context("cannot link the sandbox")
        .map_err(Failure::Internal)?;
    let grants = sandbox_grants(config, &checked.shape);
    if config.dry_run {
        tracing::info!("{grants}");
    } else {
        tracing::debug!("{grants}");
    }
    Ok(Loaded {
        engine,
        linker,
        checked,
        origin,
        why: choice.why.clone(),
    })
}

/// One line saying what the component may do in this run.
fn sandbox_grants(config: &Config, shape: &sandbox::Shape) -> String {
    let egress = if config.sample_answer.is_some() {
        format!(
            "HTTP to {} answered by the host with the sample answer (dry run: nothing leaves the machine)",
            config.authority
        )
    } else if config.dry_run {
        "no HTTP (dry run)".to_string()
    } else {
        format!("HTTP to {} only", config.authority)
    };
    let mut imports: Vec<String> = shape
        .imports
        .iter()
        .map(|i| {
            let name = i.name.split('@').next().unwrap_or(&i.name);
            name.strip_prefix("wasi:").unwrap_or(name).to_string()
        })
        .collect();
    imports.sort();
    format!(
        "sandbox granted: {egress}, {} request(s), {} MiB memory, {} s deadline; no files, sockets, environment or arguments; imports: {}",
        config.limits.max_requests,
        config.limits.memory_bytes >> 20,
        config.limits.component_deadline.as_secs(),
        imports.join(", ")
    )
}

/// The chosen component's bytes, a name for it in messages, and the
/// sha256 it must have. Only a regular file is read, and only one the
/// policy would load: neither `/dev/zero` nor a FIFO nor a huge file can
/// fill memory or hang the job.
fn component_candidate(config: &Config, choice: &Choice) -> Result<sandbox::Candidate, Failure> {
    let pin = config.component_sha256.map(|sha256| trust::Pin {
        sha256,
        source: trust::PinSource::Setting,
    });
    let path = match &choice.chosen {
        Chosen::BuiltIn(which) => return Ok(sandbox::Candidate::built_in(*which, pin)),
        Chosen::File(path) => path,
    };
    let origin = path.display().to_string();
    let bytes = read_component(path, |e| {
        anyhow::anyhow!("{} ({}): {e:#}", settings::COMPONENT, origin)
    })?;
    Ok(sandbox::Candidate {
        bytes: bytes.into(),
        origin,
        pin,
    })
}

/// A component file's bytes, through the input door, for every command
/// that takes one. A file over the policy's size is refused unread (exit 3,
/// the words of the policy's check of the bytes); one that cannot be read
/// is a configuration error, `named` saying which setting or argument.
pub(crate) fn read_component(
    path: &Path,
    named: impl Fn(anyhow::Error) -> anyhow::Error,
) -> Result<Vec<u8>, Failure> {
    let limit = input::COMPONENT.max_bytes;
    // The size from the path alone: a FIFO or device has none to speak of,
    // and the door refuses it below.
    let size = std::fs::metadata(path).map_or(0, |m| if m.is_file() { m.len() } else { 0 });
    if size > limit {
        return Err(Failure::Refused(format!(
            "{} is {size} bytes; the host loads components of up to {limit} bytes",
            path.display()
        )));
    }
    input::read(path, input::COMPONENT).map_err(|e| Failure::Config(named(e)))
}

/// The field mode as the settings spell it.
pub(crate) fn mode_name(mode: FieldMode) -> &'static str {
    match mode {
        FieldMode::Minimal => "minimal",
        FieldMode::Standard => "standard",
    }
}

/// Asks the component which facts it uses in the configured field mode
/// (`facts-needed`), in a store of its own that is dropped at once: nothing
/// of the component is held while the cluster is read or during the spread
/// wait. A component older than contract 0.3.0 declares none and gets every
/// kind, without being instantiated for it. Logged at info in a dry run.
async fn facts_needed(
    component: &Loaded,
    config: &Config,
    started: Instant,
) -> Result<FactKinds, Failure> {
    let mode = config.field_mode;
    let needed = sandbox::facts_needed(
        &component.engine,
        &component.linker,
        &component.checked,
        &config.limits,
        mode,
    )
    .await
    .context("cannot run the component")
    .map_err(Failure::Internal)?
    .map_err(|stopped| {
        // Named by its export, with what it printed (a panic's message is
        // on its stderr): nothing else of this call reaches the log.
        let printed = match stopped.stderr.trim() {
            "" => String::new(),
            text => format!("; its stderr: {}", crate::ground::text::log_text(text, 300)),
        };
        Failure::NotReported(format!(
            "component stopped in facts-needed: {}{printed} (component={} component_choice={} elapsed_ms={})",
            stopped.reason,
            component.origin,
            component.why,
            started.elapsed().as_millis()
        ))
    })?;
    let line = format!(
        "facts needed: {}: reads {}",
        mode_name(mode),
        facts::kinds_text(needed)
    );
    if config.dry_run {
        tracing::info!("{line}");
    } else {
        tracing::debug!("{line}");
    }
    Ok(needed)
}

/// The cluster, opened: a facts file read whole, or the API reached and
/// its version read. Its version chooses the built-in component before the
/// component is asked which facts to read.
pub(crate) enum Cluster {
    File(ClusterFacts),
    /// The session, or why none: said when the facts are read, as when
    /// any later request fails.
    Api(anyhow::Result<cluster::Session>),
}

impl Cluster {
    /// Where the server version was read and its value (closed: digits
    /// and a known suffix, or `unknown`); `None` when it could not be read.
    fn version(&self) -> (&'static str, Option<String>) {
        match self {
            Cluster::File(facts) => ("facts file", Some(facts.server_version.git_version.clone())),
            Cluster::Api(Ok(session)) => ("/version", Some(session.server_version().git_version)),
            Cluster::Api(Err(_)) => ("/version unread", None),
        }
    }
}

/// Opens the facts' source: a fixture file (an operator's input: its
/// errors are configuration errors) or the API (its errors wait for
/// `read_facts`: best effort).
pub(crate) async fn open_cluster(config: &Config) -> Result<Cluster, Failure> {
    match &config.facts {
        Some(path) => facts_file::load(path, &config.vocabulary)
            .map(Cluster::File)
            .map_err(Failure::Config),
        None => Ok(Cluster::Api(cluster::open(&access(config)).await)),
    }
}

/// The facts of the `needed` kinds, from the opened cluster.
async fn read_facts(
    config: &Config,
    opened: Cluster,
    needed: FactKinds,
    started: Instant,
) -> Result<ClusterFacts, Failure> {
    let read = match opened {
        Cluster::File(facts) => return Ok(facts::only(facts, needed)),
        Cluster::Api(session) => match session {
            Ok(session) => session
                .read(&access(config), needed, &config.vocabulary)
                .await
                .map(logged),
            Err(error) => Err(error),
        },
    };
    read.map_err(|error| {
        Failure::NotReported(format!(
            "cannot read the cluster facts: {error:#} (elapsed_ms={})",
            started.elapsed().as_millis()
        ))
    })
}

/// How the host reaches the API server, from the settings.
fn access(config: &Config) -> cluster::Access {
    cluster::Access {
        kubeconfig: config.kubeconfig.clone(),
        page_size: config.page_size,
        deadline: config.api_deadline,
    }
}

/// The facts read, with what could only be read in part logged.
fn logged(read: cluster::Read) -> ClusterFacts {
    for warning in &read.warnings {
        tracing::warn!("{warning}");
    }
    read.facts
}

/// The facts of the `needed` kinds from the Kubernetes API, logging what
/// could only be read in part. Shared with the `facts` command.
pub(crate) async fn read_cluster(
    config: &Config,
    needed: FactKinds,
) -> anyhow::Result<ClusterFacts> {
    let read = cluster::read(&access(config), needed, &config.vocabulary).await?;
    Ok(logged(read))
}

/// Waits the cluster's fixed share of the spread, so a fleet on one
/// schedule does not report in the same second. Dry runs do not wait.
async fn spread_wait(config: &Config, facts: &ClusterFacts) {
    if config.dry_run || config.spread.is_zero() {
        return;
    }
    let delay = spread_delay(&facts.cluster_uuid, config.spread);
    // At info: without it the job is silent for up to the whole spread.
    tracing::info!(
        "waiting {} s before reporting ({}: a delay fixed for this cluster)",
        delay.as_secs(),
        settings::SPREAD
    );
    tokio::time::sleep(delay).await;
}

/// A delay in `[0, spread)` fixed for a cluster: FNV-1a of its UID, so every
/// run of one cluster waits the same and a fleet spreads out evenly.
fn spread_delay(cluster_uuid: &str, spread: Duration) -> Duration {
    let hash = cluster_uuid
        .bytes()
        .fold(0xcbf29ce484222325u64, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x100000001b3)
        });
    Duration::from_secs(hash % spread.as_secs().max(1))
}

/// Runs the component in its store and turns what it returned into the
/// summary line and exit code.
async fn call_component(
    component: &Loaded,
    config: &Config,
    facts: &ClusterFacts,
    egress: sandbox::EgressPolicy,
    started: Instant,
) -> Result<u8, Failure> {
    let settings = Settings {
        endpoint: config.endpoint.clone(),
        field_mode: config.field_mode,
        channel: config.channel.clone(),
        build: crate::host_build(),
    };
    // A sample answer previews the notice: the report runs, and the
    // egress hook answers it without sending.
    let call = if config.dry_run && config.sample_answer.is_none() {
        Call::BuildPayload(facts, &settings)
    } else {
        Call::Report(facts, &settings, egress)
    };
    let returned = sandbox::call(
        &component.engine,
        &component.linker,
        &component.checked,
        &config.limits,
        call,
    )
    .await
    .context("cannot run the component")
    .map_err(Failure::Internal)?;
    let summary = Summary {
        origin: &component.origin,
        choice: &component.why,
        endpoint: &config.endpoint,
        nodes: usize::try_from(facts::node_count(facts)).unwrap_or(usize::MAX),
        started,
        termination_message_path: config.termination_message_path.as_deref(),
        preview: config.dry_run,
    };
    outcome::summarise(returned, &summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spread_delay_is_fixed_per_cluster_and_within_bounds() {
        let spread = Duration::from_secs(900);
        let a = spread_delay("2f06cc1a-6788-4fa1-b89e-732bd797902b", spread);
        assert_eq!(
            a,
            spread_delay("2f06cc1a-6788-4fa1-b89e-732bd797902b", spread)
        );
        assert!(a < spread);
        let delays: std::collections::BTreeSet<u64> = (0..200)
            .map(|i| spread_delay(&format!("cluster-{i}"), spread).as_secs())
            .collect();
        assert!(
            delays.len() > 150,
            "200 clusters spread over many seconds: {}",
            delays.len()
        );
    }
}
