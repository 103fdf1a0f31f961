//! Soak: 1,000 consecutive runs of the host against the stand-ins, with
//! every API-server and endpoint fault of `api_faults.rs` and
//! `endpoint_faults.rs` mixed in between normal reports. Every run must end
//! in its exact outcome inside its deadline, and the test process (which
//! starts and drops a stand-in per run) must not grow in file descriptors
//! or memory. Not part of the default run (it takes about 20 minutes):
//!
//! ```text
//! cargo test --release -p upgrade-responder --test e2e -- --ignored --nocapture soak
//! ```
//!
//! `UR_SOAK_RUNS=100` shortens it.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::common::{Cluster, host, responder_for, run};
use crate::{api_faults, endpoint_faults};

/// File descriptors the test process may hold more at the end than after
/// the warm-up (the test harness and runtime may open a few lazily).
const FD_SLACK: usize = 8;
/// Resident memory the test process may grow by after the warm-up.
const RSS_SLACK_BYTES: u64 = 32 << 20;
/// Runs before the baseline is taken: allocator pools and lazy statics
/// settle during the first pass over the cases.
const WARM_UP: usize = 50;

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, |dir| dir.count())
}

fn rss_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

/// One normal report to a responder: exit 0, the `report sent` line.
fn normal_report() -> Result<Duration, String> {
    let cluster = Cluster::start("k3s-single");
    let responder = responder_for("k3s-single");
    let ran = run(host()
        .arg("--kubeconfig")
        .arg(&cluster.kubeconfig)
        .arg("--endpoint")
        .arg(responder.url()));
    let info = api_faults::messages(&ran, "INFO");
    let sent = info.len() == 1 && info[0].starts_with("report sent: status=200 ");
    if ran.code != 0 || !sent || responder.received().len() != 1 {
        return Err(format!("normal report:\n{}", ran.stderr));
    }
    Ok(ran.elapsed)
}

#[derive(Default)]
struct Tally {
    runs: usize,
    total: Duration,
    slowest: Duration,
}

#[test]
#[ignore = "soak: 1,000 host runs, about 20 minutes (see the module docs)"]
fn soak() {
    let runs: usize = std::env::var("UR_SOAK_RUNS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1000);
    let api = api_faults::cases();
    let endpoint = endpoint_faults::cases();
    // Normal reports between every fault: a real fleet mostly succeeds.
    let kinds = 2 * (api.len() + endpoint.len());
    let mut tallies: BTreeMap<String, Tally> = BTreeMap::new();
    let mut failures = Vec::new();
    let mut baseline = (open_fds(), rss_bytes());
    let (fds_at_start, rss_at_start) = baseline;
    let started = Instant::now();
    for i in 0..runs {
        if i == WARM_UP {
            baseline = (open_fds(), rss_bytes());
        }
        let k = i % kinds;
        let (name, outcome) = if k.is_multiple_of(2) {
            ("normal report".to_string(), normal_report())
        } else if k / 2 < api.len() {
            let case = &api[k / 2];
            let ran = api_faults::run_case(case);
            let outcome = api_faults::check(case, &ran).map(|()| ran.elapsed);
            (format!("API: {}", case.fault), outcome)
        } else {
            let case = &endpoint[k / 2 - api.len()];
            let ran = endpoint_faults::run_case(case);
            let outcome = endpoint_faults::check(case, &ran).map(|()| ran.elapsed);
            (format!("endpoint: {}", case.fault), outcome)
        };
        match outcome {
            Ok(elapsed) => {
                let tally = tallies.entry(name).or_default();
                tally.runs += 1;
                tally.total += elapsed;
                tally.slowest = tally.slowest.max(elapsed);
            }
            Err(why) => failures.push(format!("run {i}: {why}")),
        }
        if (i + 1) % 100 == 0 {
            eprintln!(
                "soak: {} runs, {} failed, {} fds, {} MiB resident, {} s",
                i + 1,
                failures.len(),
                open_fds(),
                rss_bytes() >> 20,
                started.elapsed().as_secs()
            );
        }
    }
    let (fds_at_end, rss_at_end) = (open_fds(), rss_bytes());
    eprintln!(
        "soak summary: {runs} runs in {} s",
        started.elapsed().as_secs()
    );
    eprintln!("| run | count | mean ms | slowest ms |");
    for (name, tally) in &tallies {
        eprintln!(
            "| {name} | {} | {} | {} |",
            tally.runs,
            tally.total.as_millis() / tally.runs.max(1) as u128,
            tally.slowest.as_millis()
        );
    }
    eprintln!(
        "file descriptors: {fds_at_start} at start, {} after {WARM_UP} runs, {fds_at_end} at the end",
        baseline.0
    );
    eprintln!(
        "resident memory: {} MiB at start, {} MiB after {WARM_UP} runs, {} MiB at the end",
        rss_at_start >> 20,
        baseline.1 >> 20,
        rss_at_end >> 20
    );
    assert!(
        failures.is_empty(),
        "{} of {runs} runs failed:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
    assert!(
        fds_at_end <= baseline.0 + FD_SLACK,
        "file descriptors grew from {} to {fds_at_end}",
        baseline.0
    );
    assert!(
        rss_at_end <= baseline.1 + RSS_SLACK_BYTES,
        "resident memory grew from {} to {} MiB",
        baseline.1 >> 20,
        rss_at_end >> 20
    );
}
