//! upgrade-responder: the host of a sandboxed telemetry reporter.
//!
//! One run: settings -> opted out? exit 0 -> check the component -> read
//! the cluster facts -> run the component (it builds the payload and POSTs
//! it) -> log one summary line -> exit. See README.md and SECURITY.md.

mod bindings;
mod cluster;
mod config;
mod facts;
mod output;
mod policy;
mod sandbox;
mod transport;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

use crate::bindings::{ClusterFacts, Settings};
use crate::config::{Config, Values};
use crate::sandbox::{Call, Returned};

pub const USER_AGENT: &str = concat!("upgrade-responder/", env!("CARGO_PKG_VERSION"));

/// Exit codes. Best-effort failures (endpoint down, API error, component
/// trapped) are not failures of the job: they exit 0 with a warning.
mod exit {
    pub const OK: u8 = 0;
    /// The `facts` command could not read the cluster; an internal error.
    pub const FAILED: u8 = 1;
    /// A setting that cannot work: fix the configuration.
    pub const CONFIG: u8 = 2;
    /// The component does not fit the policy or the reporter world.
    pub const REFUSED: u8 = 3;
}

#[derive(Parser)]
#[command(
    name = "upgrade-responder",
    version,
    about = "Reports anonymous cluster facts to an upgrade-responder server, through a sandboxed WebAssembly component.",
    after_help = "Every option is also a setting (environment variable or ConfigMap key); `upgrade-responder config` lists them.\n\
                  Exit status: 0 done or skipped (including best-effort failures, logged as warnings), 2 configuration error, 3 component refused."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    options: RunOptions,
}

#[derive(clap::Args, Default)]
struct RunOptions {
    /// Print the exact payload on stdout and send nothing [UPGRADE_RESPONDER_DRY_RUN]
    #[arg(long, global = true)]
    dry_run: bool,
    /// Read cluster facts from this JSON file instead of the API [UPGRADE_RESPONDER_FACTS]
    #[arg(long, value_name = "FILE", global = true)]
    facts: Option<PathBuf>,
    /// Run this reporter component instead of the built-in one [UPGRADE_RESPONDER_COMPONENT]
    #[arg(long, value_name = "FILE", global = true)]
    component: Option<PathBuf>,
    /// Upgrade-responder URL [UPGRADE_RESPONDER_ENDPOINT]
    #[arg(long, value_name = "URL", global = true)]
    endpoint: Option<String>,
    /// minimal or standard [UPGRADE_RESPONDER_FIELD_MODE]
    #[arg(long, value_name = "MODE", global = true)]
    field_mode: Option<String>,
    /// Kubeconfig for local runs [UPGRADE_RESPONDER_KUBECONFIG]
    #[arg(long, value_name = "FILE", global = true)]
    kubeconfig: Option<PathBuf>,
    /// Colon-separated settings directories [UPGRADE_RESPONDER_CONFIG_DIRS]
    #[arg(long, value_name = "DIRS", global = true)]
    config_dirs: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Report once (the default): read facts, run the component, send.
    Run,
    /// Print the cluster's facts as JSON, the fixture format components read.
    Facts,
    /// Show a component's imports and exports and whether this host accepts it.
    Inspect {
        /// The component (.wasm) to inspect.
        component: PathBuf,
    },
    /// Print every setting with its value and where the value came from.
    Config,
    /// Print the effective capability policy: what a component may import,
    /// where it may send, and every limit.
    Capabilities {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

impl RunOptions {
    fn as_flags(&self) -> BTreeMap<&'static str, String> {
        let mut flags = BTreeMap::new();
        let path = |p: &Option<PathBuf>| p.as_ref().map(|p| p.display().to_string());
        let entries = [
            (config::DRY_RUN, self.dry_run.then(|| "true".to_string())),
            (config::FACTS, path(&self.facts)),
            (config::COMPONENT, path(&self.component)),
            (config::ENDPOINT, self.endpoint.clone()),
            (config::FIELD_MODE, self.field_mode.clone()),
            (config::KUBECONFIG, path(&self.kubeconfig)),
            (config::CONFIG_DIRS, self.config_dirs.clone()),
        ];
        for (key, value) in entries {
            if let Some(value) = value {
                flags.insert(key, value);
            }
        }
        flags
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let values = match Values::resolve(&cli.options.as_flags(), |key| std::env::var(key).ok()) {
        Ok(values) => values,
        Err(error) => return fail_early(exit::CONFIG, &error),
    };
    let level = match config::log_level(&values) {
        Ok(level) => level,
        Err(error) => return fail_early(exit::CONFIG, &error),
    };
    // Our own lines at the chosen level; the libraries' (wasi-http, kube)
    // only when they are errors or when debugging, so the default log stays
    // one line per run.
    let libraries = if level >= tracing::Level::DEBUG {
        level
    } else {
        tracing::Level::ERROR
    };
    let filter = tracing_subscriber::filter::Targets::new()
        .with_target(env!("CARGO_CRATE_NAME"), level)
        .with_default(libraries);
    tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_ansi(false)
                .with_target(false),
        )
        .with(filter)
        .init();

    let code = match cli.command.unwrap_or(Command::Run) {
        Command::Run => run(&values),
        Command::Facts => print_facts(&values),
        Command::Inspect { component } => inspect(&component),
        Command::Config => print_config(&values),
        Command::Capabilities { json } => print_capabilities(&values, json),
    };
    ExitCode::from(code)
}

/// Before logging is set up: print the error plainly.
fn fail_early(code: u8, error: &anyhow::Error) -> ExitCode {
    eprintln!("error: {error:#}");
    ExitCode::from(code)
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// One report. Only configuration errors and refused components fail the
/// job; everything the network or the cluster can do wrong is a warning.
fn run(values: &Values) -> u8 {
    let started = Instant::now();
    // Opt-out first: nothing else is parsed, read or contacted.
    match config::enabled(values) {
        Ok(true) => {}
        Ok(false) => {
            tracing::info!(
                "disabled ({}=false from {}): nothing read, nothing sent",
                config::ENABLED,
                values.get(config::ENABLED).1
            );
            return exit::OK;
        }
        Err(error) => {
            tracing::error!("{error:#}");
            return exit::CONFIG;
        }
    }
    let config = match Config::parse(values) {
        Ok(config) => config,
        Err(error) => {
            tracing::error!("{error:#}");
            return exit::CONFIG;
        }
    };
    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(error) => {
            tracing::error!("{error:#}");
            return exit::FAILED;
        }
    };
    let egress = match egress_policy(&config) {
        Ok(egress) => egress,
        Err(error) => {
            tracing::error!("{error:#}");
            return exit::CONFIG;
        }
    };
    runtime.block_on(run_async(&config, egress, started))
}

/// The egress policy from the settings: the endpoint, TLS roots, token.
fn egress_policy(config: &Config) -> anyhow::Result<sandbox::EgressPolicy> {
    let tls = transport::tls_config(config.ca_file.as_deref())
        .with_context(|| format!("{} is not usable", config::CA_FILE))?;
    let bearer_token = match &config.bearer_token {
        None => None,
        Some(token) => {
            let mut value = http::HeaderValue::try_from(format!("Bearer {}", token.expose()))
                .map_err(|_| {
                    anyhow::anyhow!(
                        "{}: the token is not a valid header value",
                        config::TOKEN_FILE
                    )
                })?;
            value.set_sensitive(true);
            Some(value)
        }
    };
    Ok(sandbox::EgressPolicy {
        authority: config.authority.clone(),
        tls,
        bearer_token,
    })
}

async fn run_async(config: &Config, egress: sandbox::EgressPolicy, started: Instant) -> u8 {
    let engine = match sandbox::engine() {
        Ok(engine) => engine,
        Err(error) => {
            tracing::error!("{error:#}");
            return exit::FAILED;
        }
    };
    sandbox::start_epoch_ticker(&engine);

    // The component is checked before the cluster is read: a wrong file is
    // the operator's to fix, whatever state the cluster is in.
    let (bytes, origin) = match component_bytes(config) {
        Ok(found) => found,
        Err(error) => {
            tracing::error!("{error:#}");
            return exit::CONFIG;
        }
    };
    let checked = match sandbox::check(&engine, &bytes, &origin) {
        Ok(checked) => checked,
        Err(refused) => {
            tracing::error!("component refused: {refused}");
            return exit::REFUSED;
        }
    };
    let linker = match sandbox::linker(&engine) {
        Ok(linker) => linker,
        Err(error) => {
            tracing::error!("cannot link the sandbox: {error:#}");
            return exit::FAILED;
        }
    };
    let grants = sandbox_summary(config, &checked.shape);
    if config.dry_run {
        tracing::info!("{grants}");
    } else {
        tracing::debug!("{grants}");
    }

    let facts = match &config.facts {
        Some(path) => match facts::load(path) {
            Ok(facts) => facts,
            Err(error) => {
                tracing::error!("{error:#}");
                return exit::CONFIG;
            }
        },
        None => match read_cluster(config).await {
            Ok(facts) => facts,
            Err(error) => {
                tracing::warn!(
                    "report not sent: cannot read the cluster facts: {error:#} (elapsed_ms={})",
                    started.elapsed().as_millis()
                );
                return exit::OK;
            }
        },
    };

    if !config.dry_run && !config.spread.is_zero() {
        let delay = spread_delay(&facts.cluster_uuid, config.spread);
        tracing::debug!(
            "waiting {} s before reporting ({})",
            delay.as_secs(),
            config::SPREAD
        );
        tokio::time::sleep(delay).await;
    }

    let settings = Settings {
        endpoint: config.endpoint.clone(),
        field_mode: config.field_mode,
    };
    let call = if config.dry_run {
        Call::BuildPayload
    } else {
        Call::Report(egress)
    };
    let finished = match sandbox::call(
        &engine,
        &linker,
        &checked,
        &config.limits,
        call,
        &facts,
        &settings,
    )
    .await
    {
        Ok(Ok(finished)) => finished,
        Ok(Err(stopped)) => {
            log_component_output(&stopped.stdout, &stopped.stderr);
            tracing::warn!(
                "report not sent: component stopped: {} (component={origin} elapsed_ms={})",
                stopped.reason,
                started.elapsed().as_millis()
            );
            return exit::OK;
        }
        Err(error) => {
            tracing::error!("cannot run the component: {error:#}");
            return exit::FAILED;
        }
    };
    log_component_output(&finished.stdout, &finished.stderr);
    let elapsed_ms = started.elapsed().as_millis();
    match finished.returned {
        Returned::Payload(Ok(payload)) => {
            println!("{payload}");
            tracing::info!(
                "dry run: payload printed, nothing sent (payload_bytes={} nodes={} component={origin} would_send_to={} elapsed_ms={elapsed_ms})",
                payload.len(),
                facts.nodes.len(),
                config.endpoint,
            );
            exit::OK
        }
        Returned::Payload(Err(reason)) => {
            tracing::warn!(
                "dry run: the component built no payload: {reason} (component={origin})"
            );
            exit::OK
        }
        // The summary states what the host saw at the egress hook; what the
        // component read from the answer is marked as its own.
        Returned::Report(Ok(outcome)) => match finished.events.exchange {
            Some(sandbox::Exchange {
                status: Some(status),
                bytes_sent,
                bytes_received,
            }) => {
                tracing::info!(
                    "report sent: status={status} bytes_sent={bytes_sent} bytes_received={bytes_received} endpoint={} nodes={} component={origin} elapsed_ms={elapsed_ms}; the component read: latest={} upgrade_available={} next_report_minutes={}",
                    config.endpoint,
                    facts.nodes.len(),
                    outcome.latest.as_deref().unwrap_or("unknown"),
                    outcome.upgrade_available.as_deref().unwrap_or("none"),
                    outcome
                        .request_interval_minutes
                        .map_or("unknown".to_string(), |m| m.to_string()),
                );
                exit::OK
            }
            _ => {
                tracing::warn!(
                    "report not sent: the component returned success but no answer reached the host's egress hook (the component claims status={} payload_bytes={}) (endpoint={} component={origin} elapsed_ms={elapsed_ms})",
                    outcome.status,
                    outcome.payload.len(),
                    config.endpoint,
                );
                exit::OK
            }
        },
        Returned::Report(Err(error)) => {
            let limit = finished
                .events
                .limit_hit
                .map(|l| format!(" [{l} reached]"))
                .unwrap_or_default();
            tracing::warn!(
                "report not sent: {}{limit} (endpoint={} component={origin} elapsed_ms={elapsed_ms})",
                describe(&error),
                config.endpoint,
            );
            exit::OK
        }
    }
}

/// A delay in `[0, spread)` fixed for a cluster: FNV-1a of its UID, so every
/// run of one cluster waits the same and a fleet spreads out evenly.
fn spread_delay(cluster_uuid: &str, spread: std::time::Duration) -> std::time::Duration {
    let hash = cluster_uuid
        .bytes()
        .fold(0xcbf29ce484222325u64, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x100000001b3)
        });
    std::time::Duration::from_secs(hash % spread.as_secs().max(1))
}

/// One line saying what the component may do in this run.
fn sandbox_summary(config: &Config, shape: &sandbox::Shape) -> String {
    let egress = if config.dry_run {
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

fn describe(error: &bindings::ReportError) -> String {
    match error {
        bindings::ReportError::InvalidFacts(reason) => format!("invalid facts: {reason}"),
        bindings::ReportError::NotSent(reason) => format!("request failed: {reason}"),
        bindings::ReportError::BadResponse(bad) => format!("bad response: {}", bad.reason),
    }
}

/// The component's own output, into the log (already size-capped).
fn log_component_output(stdout: &str, stderr: &str) {
    for (stream, text) in [("stdout", stdout), ("stderr", stderr)] {
        if !text.trim().is_empty() {
            tracing::info!("component {stream}: {}", text.trim_end());
        }
    }
}

/// The chosen component's bytes, and a name for it in messages.
fn component_bytes(config: &Config) -> anyhow::Result<(Vec<u8>, String)> {
    match &config.component {
        Some(path) => {
            let bytes = std::fs::read(path).with_context(|| {
                format!(
                    "cannot read the component {} ({})",
                    path.display(),
                    config::COMPONENT
                )
            })?;
            Ok((bytes, path.display().to_string()))
        }
        None => Ok((
            component_artifacts::K3S_REPORTER.to_vec(),
            "built-in k3s-reporter".to_string(),
        )),
    }
}

async fn read_cluster(config: &Config) -> anyhow::Result<ClusterFacts> {
    let access = cluster::Access {
        kubeconfig: config.kubeconfig.clone(),
        page_size: config.page_size,
        deadline: config.api_deadline,
    };
    let read = cluster::read(&access).await?;
    for warning in &read.warnings {
        tracing::warn!("{warning}");
    }
    tracing::debug!("read the cluster facts in {} API requests", read.requests);
    Ok(read.facts)
}

/// `facts`: the cluster as the component would see it.
fn print_facts(values: &Values) -> u8 {
    let config = match Config::parse(values) {
        Ok(config) => config,
        Err(error) => {
            tracing::error!("{error:#}");
            return exit::CONFIG;
        }
    };
    let facts = match &config.facts {
        Some(path) => facts::load(path),
        None => runtime().and_then(|rt| rt.block_on(read_cluster(&config))),
    };
    match facts {
        Ok(facts) => {
            print!("{}", facts::to_json(&facts));
            exit::OK
        }
        Err(error) => {
            tracing::error!("{error:#}");
            exit::FAILED
        }
    }
}

/// `inspect`: what a component imports and exports, judged by the policy.
fn inspect(path: &std::path::Path) -> u8 {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(error) => {
            tracing::error!("cannot read {}: {error}", path.display());
            return exit::CONFIG;
        }
    };
    let engine = match sandbox::engine() {
        Ok(engine) => engine,
        Err(error) => {
            tracing::error!("{error:#}");
            return exit::FAILED;
        }
    };
    let component = match wasmtime::component::Component::new(&engine, &bytes) {
        Ok(component) => component,
        Err(error) => {
            println!("{}: not a WebAssembly component: {error:#}", path.display());
            return exit::REFUSED;
        }
    };
    let shape = sandbox::Shape::of(&engine, &component);
    println!("{}", path.display());
    println!("imports:");
    for import in &shape.imports {
        let verdict = if import.granted { "granted" } else { "REFUSED" };
        println!("  {verdict:8} {:45} {}", import.name, import.why);
    }
    println!("exports:");
    for export in &shape.exports {
        println!("  {export}");
    }
    match shape.refusal() {
        None => {
            println!("verdict: fits the reporter world; this host will run it");
            exit::OK
        }
        Some(reason) => {
            println!("verdict: refused: {reason}");
            exit::REFUSED
        }
    }
}

/// `config`: every setting, its value, its source and what it does.
fn print_config(values: &Values) -> u8 {
    for setting in config::SETTINGS {
        let (value, source) = values.get(setting.key);
        println!("{}={value}", setting.key);
        println!(
            "    from {source}; {} Example: {}",
            setting.help, setting.example
        );
    }
    exit::OK
}

/// `capabilities`: the policy after configuration, for a reviewer.
fn print_capabilities(values: &Values, json: bool) -> u8 {
    let config = match Config::parse(values) {
        Ok(config) => config,
        Err(error) => {
            tracing::error!("{error:#}");
            return exit::CONFIG;
        }
    };
    let limits = &config.limits;
    let limit_rows = policy::limit_rows(limits);
    let tls_roots = match &config.ca_file {
        Some(path) => format!("public web roots (compiled in) + {}", path.display()),
        None => "public web roots (compiled in)".to_string(),
    };
    let token = if config.bearer_token.is_some() {
        "added by the host (hidden from the component)"
    } else {
        "none"
    };
    if json {
        let document = serde_json::json!({
            "imports": policy::ALLOWED_IMPORTS.iter().map(|g| serde_json::json!({
                "interface": g.interface,
                "versions": if g.interface.starts_with("upgrade-responder:") { policy::REPORTER_TYPES_VERSION.to_string() } else { format!("{}*", policy::WASI_VERSION_PREFIX) },
                "why": g.why,
            })).collect::<Vec<_>>(),
            "required_exports": policy::REQUIRED_EXPORTS,
            "egress": {
                "allowed": config.authority.to_string(),
                "redirects_followed": false,
                "tls_roots": tls_roots,
                "bearer_token": config.bearer_token.is_some(),
                "user_agent": USER_AGENT,
            },
            "limits": limit_rows.iter().map(|(key, what, value)| serde_json::json!({
                "setting": key, "what": what, "value": value,
            })).collect::<Vec<_>>(),
        });
        println!(
            "{}",
            serde_json::to_string_pretty(&document).unwrap_or_default()
        );
        return exit::OK;
    }
    println!("Imports a component may have (anything else is refused before it runs):");
    for grant in policy::ALLOWED_IMPORTS {
        println!("  {:36} {}", grant.interface, grant.why);
    }
    println!(
        "  (versions: wasi 0.2.x; upgrade-responder:telemetry {})",
        policy::REPORTER_TYPES_VERSION
    );
    println!(
        "Exports it must have: {}",
        policy::REQUIRED_EXPORTS.join(", ")
    );
    println!("Egress:");
    println!(
        "  allowed         {} only (scheme, host and port; redirects are not followed)",
        config.authority
    );
    println!("  TLS roots       {tls_roots}");
    println!("  bearer token    {token}");
    println!("  user agent      {USER_AGENT}");
    println!("Limits:");
    for (key, what, value) in &limit_rows {
        println!("  {what:40} {value:>16}   {key}");
    }
    println!("Never granted: {}", policy::NEVER_GRANTED);
    exit::OK
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

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
