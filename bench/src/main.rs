//! The cost benchmark (`cargo run --release -p bench`): the release host
//! against generated clusters served by the API stand-in, each size run a
//! few times as a child process, side by side with the shell script a user
//! would write instead (bench/user-report.sh). Prints medians and ratios.

// Test and build code reads and writes its own fixtures; the file doors
// (clippy.toml) are for the host.
#![allow(clippy::disallowed_methods)]

mod measure;

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use clap::Parser;
use ur_test_support::{ApiOptions, ApiServer, Behaviour, Responder, ResponseConfig};

use crate::measure::{Measured, Spec};
use ur_test_support::generated::{self, Generated};

#[derive(Parser)]
#[command(
    about = "Measures the release host against generated clusters, side by side with a curl + jq script."
)]
struct Args {
    /// Cluster sizes, in nodes.
    #[arg(long, value_delimiter = ',', default_values_t = [1, 100, 1_000, 5_000])]
    sizes: Vec<usize>,
    /// Runs per size and contender; the table shows medians.
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// The host binary [default: target/release/upgrade-responder].
    #[arg(long, value_name = "FILE")]
    host: Option<PathBuf>,
    /// Another host binary (say, the previous release's) run in turn with
    /// the host, sending too; the ratio table then compares the two.
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// The field mode both hosts run in. `standard` reads the workloads,
    /// the system namespaces and the kubernetes Service too; the scripts
    /// only do `minimal`'s job and are skipped then.
    #[arg(long, default_value = "minimal", value_parser = ["minimal", "standard"])]
    field_mode: String,
}

/// Who does the job.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Contender {
    /// `upgrade-responder --dry-run`: facts, component, payload; nothing sent.
    HostDryRun,
    /// `upgrade-responder`: the whole job, the report sent.
    Host,
    /// `--baseline`: another host binary doing the same.
    Baseline,
    /// bench/user-report.sh listing nodes with curl.
    ScriptCurl,
    /// bench/user-report.sh listing nodes with kubectl (which asks for
    /// gzip, as client-go does).
    ScriptKubectl,
}

impl Contender {
    fn name(self) -> &'static str {
        match self {
            Contender::HostDryRun => "host --dry-run",
            Contender::Host => "host (sends)",
            Contender::Baseline => "baseline (sends)",
            Contender::ScriptCurl => "curl + jq script",
            Contender::ScriptKubectl => "kubectl + jq script",
        }
    }

    /// The tools it needs besides the host.
    fn tools(self) -> &'static [&'static str] {
        match self {
            Contender::HostDryRun | Contender::Host | Contender::Baseline => &[],
            Contender::ScriptCurl => &["bash", "curl", "jq"],
            Contender::ScriptKubectl => &["bash", "curl", "jq", "kubectl"],
        }
    }
}

/// Medians of one contender's runs on one cluster.
struct Row {
    contender: Contender,
    wall: Duration,
    cpu: Duration,
    peak_rss_kib: u64,
    api_requests: usize,
    api_bytes: usize,
    api_decoded_bytes: usize,
}

fn main() -> std::process::ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    if args.first().is_some_and(|a| a == measure::MEASURE) {
        return match measure::measurer(&args[1..]) {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("bench measurer: {error:#}");
                std::process::ExitCode::FAILURE
            }
        };
    }
    match run(Args::parse()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("bench: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> anyhow::Result<()> {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .context("the bench crate has no parent directory")?
        .to_path_buf();
    let host = args
        .host
        .clone()
        .unwrap_or_else(|| workspace.join("target/release/upgrade-responder"));
    if !host.is_file() {
        anyhow::bail!(
            "no host binary at {}: build it first with `cargo build --release -p upgrade-responder`",
            host.display()
        );
    }
    let script = workspace.join("bench/user-report.sh");
    let scratch = std::env::temp_dir().join(format!("ur-bench-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).with_context(|| format!("creating {}", scratch.display()))?;
    let result = run_in(&args, &workspace, &host, &script, &scratch);
    let _ = std::fs::remove_dir_all(&scratch);
    result
}

fn run_in(
    args: &Args,
    workspace: &Path,
    host: &Path,
    script: &Path,
    scratch: &Path,
) -> anyhow::Result<()> {
    let mut contenders = vec![Contender::HostDryRun, Contender::Host];
    let baseline = args.baseline.as_deref();
    if let Some(baseline) = baseline {
        anyhow::ensure!(
            baseline.is_file(),
            "no baseline host binary at {}",
            baseline.display()
        );
        contenders.push(Contender::Baseline);
    }
    let minimal = args.field_mode == "minimal";
    for contender in [Contender::ScriptCurl, Contender::ScriptKubectl] {
        if !minimal {
            println!(
                "skipping the {}: it does the minimal mode's job only",
                contender.name()
            );
            continue;
        }
        match contender.tools().iter().find(|tool| !on_path(tool)) {
            Some(tool) => println!(
                "skipping the {}: {tool} is not installed (apt-get install {tool})",
                contender.name()
            ),
            None => contenders.push(contender),
        }
    }
    println!(
        "host: {} ({} bytes); {} runs per size and contender, in turn, medians; field mode {}",
        host.display(),
        std::fs::metadata(host).map(|m| m.len()).unwrap_or(0),
        args.runs,
        args.field_mode
    );
    if let Some(baseline) = baseline {
        println!(
            "baseline: {} ({} bytes)",
            baseline.display(),
            std::fs::metadata(baseline).map(|m| m.len()).unwrap_or(0)
        );
    }

    let mut tables = Vec::new();
    for &size in &args.sizes {
        let generated = generated::generate(workspace, size)?;
        println!(
            "\n{size} nodes ({} servers, {} agents), {} bytes of JSON per node",
            generated.counts.servers, generated.counts.agents, generated.node_bytes
        );
        let api = ApiServer::serve(generated.objects.clone(), ApiOptions::default())?;
        let responder = Responder::start(Behaviour::Normal(ResponseConfig::k3s_default()))?;
        let kubeconfig = scratch.join("kubeconfig");
        api.write_kubeconfig(&kubeconfig)?;
        let ca = scratch.join("ca.pem");
        std::fs::write(&ca, api.ca_pem()).with_context(|| format!("writing {}", ca.display()))?;
        let expected = expected_payload(&generated)?;

        // Each run takes every contender in turn, so a machine that speeds
        // up or slows down during the benchmark weighs on all alike.
        let mut runs_of: Vec<Vec<_>> = contenders.iter().map(|_| Vec::new()).collect();
        for _ in 0..args.runs.max(1) {
            for (index, &contender) in contenders.iter().enumerate() {
                // kubectl caches API discovery under $HOME: a job's pod
                // starts without that cache, so every run does too.
                let _ = std::fs::remove_dir_all(scratch.join(".kube"));
                let mut command = match contender {
                    Contender::HostDryRun => host_command(host, &kubeconfig, None),
                    Contender::Host => host_command(host, &kubeconfig, Some(&responder.url())),
                    Contender::Baseline => host_command(
                        baseline.unwrap_or(host),
                        &kubeconfig,
                        Some(&responder.url()),
                    ),
                    Contender::ScriptCurl | Contender::ScriptKubectl => script_command(
                        script,
                        contender,
                        &api,
                        &ca,
                        &kubeconfig,
                        &responder,
                        scratch,
                    ),
                };
                if !matches!(contender, Contender::ScriptCurl | Contender::ScriptKubectl) {
                    command.env("UPGRADE_RESPONDER_FIELD_MODE", &args.field_mode);
                }
                let requests_before = api.requests().len();
                let reports_before = responder.received().len();
                let measured = measure::run(&command, scratch)?;
                check(
                    contender,
                    &measured,
                    &expected,
                    minimal,
                    &responder,
                    reports_before,
                )?;
                let requests = api.requests();
                let new = requests.get(requests_before..).unwrap_or_default();
                runs_of[index].push((
                    measured,
                    new.len(),
                    new.iter().map(|r| r.body_bytes).sum::<usize>(),
                    new.iter().map(|r| r.decoded_bytes).sum::<usize>(),
                ));
            }
        }
        let mut rows = Vec::new();
        for (&contender, runs) in contenders.iter().zip(&runs_of) {
            let row = Row {
                contender,
                wall: median(runs.iter().map(|(m, ..)| m.wall)),
                cpu: median(runs.iter().map(|(m, ..)| m.cpu)),
                peak_rss_kib: median(runs.iter().map(|(m, ..)| m.peak_rss_kib)),
                api_requests: median(runs.iter().map(|(_, n, ..)| *n)),
                api_bytes: median(runs.iter().map(|(_, _, b, _)| *b)),
                api_decoded_bytes: median(runs.iter().map(|(.., d)| *d)),
            };
            println!("  {}", row_line(size, &row));
            rows.push(row);
        }
        let split = host_split(host, &kubeconfig, scratch)?;
        println!("  host load / instantiate / call: {split}");
        tables.push((size, rows, split));
    }

    println!(
        "\n| nodes | who | wall | CPU (user+sys) | peak RSS | API requests | API bytes read | decoded |"
    );
    println!("|---:|---|---:|---:|---:|---:|---:|---:|");
    for (size, rows, _) in &tables {
        for row in rows {
            println!("{}", row_line(*size, row));
        }
    }
    if baseline.is_some() {
        println!("\nRatios, host (sends) / baseline (sends): above 1 the host costs more.");
        println!("\n| nodes | wall | CPU | peak RSS | API requests |");
        println!("|---:|---:|---:|---:|---:|");
        for (size, rows, _) in &tables {
            let find = |c| rows.iter().find(|r: &&Row| r.contender == c);
            if let (Some(host), Some(base)) = (find(Contender::Host), find(Contender::Baseline)) {
                println!(
                    "| {size} | {} | {} | {} | {} |",
                    ratio(host.wall.as_secs_f64(), base.wall.as_secs_f64()),
                    ratio(host.cpu.as_secs_f64(), base.cpu.as_secs_f64()),
                    ratio(host.peak_rss_kib as f64, base.peak_rss_kib as f64),
                    ratio(host.api_requests as f64, base.api_requests as f64),
                );
            }
        }
    }
    if !minimal {
        return Ok(());
    }
    println!("\nRatios, host (sends) / script: above 1 the host costs more.");
    println!("\n| nodes | against | wall | CPU | peak RSS | API bytes read |");
    println!("|---:|---|---:|---:|---:|---:|");
    for (size, rows, _) in &tables {
        let Some(host) = rows.iter().find(|r| r.contender == Contender::Host) else {
            continue;
        };
        for script in rows.iter().filter(|r| {
            matches!(
                r.contender,
                Contender::ScriptCurl | Contender::ScriptKubectl
            )
        }) {
            println!(
                "| {size} | {} | {} | {} | {} | {} |",
                script.contender.name(),
                ratio(host.wall.as_secs_f64(), script.wall.as_secs_f64()),
                ratio(host.cpu.as_secs_f64(), script.cpu.as_secs_f64()),
                ratio(host.peak_rss_kib as f64, script.peak_rss_kib as f64),
                ratio(host.api_bytes as f64, script.api_bytes as f64),
            );
        }
    }
    println!("\n| nodes | host load / instantiate / call |");
    println!("|---:|---|");
    for (size, _, split) in &tables {
        println!("| {size} | {split} |");
    }
    Ok(())
}

/// The host with a clean environment: no settings but the ones given here.
fn host_command(host: &Path, kubeconfig: &Path, endpoint: Option<&str>) -> Spec {
    let mut command = Spec::new(host);
    command
        .env("UPGRADE_RESPONDER_CONFIG_DIRS", "")
        .arg("--kubeconfig")
        .arg(kubeconfig);
    match endpoint {
        Some(url) => command.arg("--endpoint").arg(url),
        None => command.arg("--dry-run"),
    };
    command
}

fn script_command(
    script: &Path,
    contender: Contender,
    api: &ApiServer,
    ca: &Path,
    kubeconfig: &Path,
    responder: &Responder,
    scratch: &Path,
) -> Spec {
    let lister = if contender == Contender::ScriptKubectl {
        "kubectl"
    } else {
        "curl"
    };
    let mut command = Spec::new("/bin/bash");
    command
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", scratch)
        .env("KUBE_API", api.url())
        .env("KUBE_TOKEN", api.token())
        .env("KUBE_CA", ca)
        .env("KUBECONFIG", kubeconfig)
        .env("ENDPOINT", responder.url())
        .env("NODE_LISTER", lister)
        .arg(script);
    command
}

/// The payload every contender must produce for this cluster, byte for byte.
fn expected_payload(generated: &Generated) -> anyhow::Result<String> {
    let field = |value: &Option<serde_json::Value>, pointer: &str| {
        value
            .as_ref()
            .and_then(|v| v.pointer(pointer))
            .and_then(serde_json::Value::as_str)
            .map(str::to_string)
            .with_context(|| format!("the generated cluster has no {pointer}"))
    };
    let app_version = field(&generated.objects.version, "/gitVersion")?;
    let uuid = field(&generated.objects.kube_system, "/metadata/uid")?;
    let kubernetes_version = app_version.split('+').next().unwrap_or_default();
    let c = generated.counts;
    Ok(format!(
        r#"{{"appVersion":"{app_version}","extraTagInfo":{{"kubernetesVersion":"{kubernetes_version}","clusteruuid":"{uuid}"}},"extraFieldInfo":{{"nodeCount":{},"serverNodeCount":{},"agentNodeCount":{}}}}}"#,
        c.nodes, c.servers, c.agents
    ))
}

/// A run counts only if it did the job: exit 0 and the exact payload
/// printed (dry run) or received by the responder stand-in; in the
/// standard mode, which adds fields a baseline may not know, a payload
/// that holds the exact node counts.
fn check(
    contender: Contender,
    measured: &Measured,
    expected: &str,
    minimal: bool,
    responder: &Responder,
    reports_before: usize,
) -> anyhow::Result<()> {
    if measured.code != 0 {
        anyhow::bail!(
            "the {} exited {}: {}",
            contender.name(),
            measured.code,
            measured.stderr.trim()
        );
    }
    let sent = if contender == Contender::HostDryRun {
        measured.stdout.trim().to_string()
    } else {
        let received = responder.received();
        match received.get(reports_before..) {
            Some([one]) => String::from_utf8_lossy(&one.body).into_owned(),
            other => anyhow::bail!(
                "the {} sent {} reports, expected exactly one",
                contender.name(),
                other.map_or(0, <[_]>::len)
            ),
        }
    };
    let counts = expected
        .find(r#""nodeCount""#)
        .map_or(expected, |at| expected[at..].trim_end_matches('}'));
    let ok = if minimal {
        sent == expected
    } else {
        sent.contains(counts)
    };
    if !ok {
        anyhow::bail!(
            "the {} produced a different payload:\n  got      {sent}\n  expected {expected}",
            contender.name()
        );
    }
    Ok(())
}

/// The host's own split of a run into component load, instantiate and call,
/// read from its debug log (fields `load_ms=`, `instantiate_ms=`,
/// `call_ms=`), from one extra dry run at debug level (the debug log costs
/// time of its own, so the measured runs stay at the default level).
fn host_split(host: &Path, kubeconfig: &Path, scratch: &Path) -> anyhow::Result<String> {
    let mut command = host_command(host, kubeconfig, None);
    command.env("UPGRADE_RESPONDER_LOG_LEVEL", "debug");
    let measured = measure::run(&command, scratch)?;
    // One line per call; the last is the payload's (`build-payload`).
    let last_split = measured
        .stderr
        .lines()
        .rev()
        .find(|line| line.contains("load_ms="))
        .unwrap_or_default();
    let field = |key: &str| {
        last_split.split_whitespace().find_map(|word| {
            word.strip_prefix(key)
                .map(|v| v.trim_matches(|c: char| c == '"' || c == ','))
                .map(str::to_string)
        })
    };
    Ok(
        match (
            field("load_ms="),
            field("instantiate_ms="),
            field("call_ms="),
        ) {
            (Some(load), Some(instantiate), Some(call)) => {
                format!("{load} / {instantiate} / {call} ms")
            }
            _ => "- / - / - (not logged by this host: no load_ms= / instantiate_ms= / call_ms= at debug)"
                .to_string(),
        },
    )
}

fn row_line(size: usize, row: &Row) -> String {
    format!(
        "| {size} | {} | {:.0} ms | {:.0} ms | {:.1} MiB | {} | {} | {} |",
        row.contender.name(),
        row.wall.as_secs_f64() * 1e3,
        row.cpu.as_secs_f64() * 1e3,
        row.peak_rss_kib as f64 / 1024.0,
        row.api_requests,
        bytes(row.api_bytes),
        bytes(row.api_decoded_bytes),
    )
}

fn bytes(n: usize) -> String {
    match n {
        n if n >= 1_000_000 => format!("{:.2} MB", n as f64 / 1e6),
        n if n >= 1_000 => format!("{:.1} kB", n as f64 / 1e3),
        n => format!("{n} B"),
    }
}

fn ratio(a: f64, b: f64) -> String {
    if b > 0.0 {
        format!("{:.2}x", a / b)
    } else {
        "n/a".to_string()
    }
}

fn median<T: Ord + Copy>(values: impl Iterator<Item = T>) -> T {
    let mut values: Vec<T> = values.collect();
    values.sort_unstable();
    values[values.len() / 2]
}

fn on_path(tool: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(tool).is_file()))
}
