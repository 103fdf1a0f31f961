//! The server-side sizing benchmark (`cargo run --release -p bench --bin
//! server-sizing`): a simulated fleet reporting three times a day, written
//! the way the Longhorn upgrade-responder server writes it into a real
//! InfluxDB 1.x (tsi1 index), with the continuous queries and dashboard
//! panels `upgrade-responder server-kit` makes. Prints, per fleet size, the
//! series cardinality, the disk the first day takes and a second day adds,
//! the influxd memory, and the
//! time of each panel's query, from the downsampled measurement and from
//! the raw points; then the same with `clusteruuid` left out of the
//! server's schema (no series per cluster).
//!
//! Not a test: it prints figures, and the README's "Running the server
//! side" records them.

// Benchmark code reads and writes its own files; the file doors
// (clippy.toml) are for the host.
#![allow(clippy::disallowed_methods)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use clap::Parser;
use serde_json::Value;
use ur_test_support::{Index, Influxd, StoredPoint, line_protocol, stored_point};

#[derive(Parser)]
#[command(
    about = "Measures what a fleet's reports cost the upgrade-responder server's InfluxDB: series, disk per day, memory, query time per panel."
)]
struct Args {
    /// Fleet sizes, in clusters.
    #[arg(long, value_delimiter = ',', default_values_t = [10_000, 100_000])]
    fleets: Vec<usize>,
    /// The host binary [default: target/release/upgrade-responder].
    #[arg(long, value_name = "FILE")]
    host: Option<PathBuf>,
}

/// 2025-01-02T00:00:00Z: the simulated days start on a bucket boundary and
/// on a shard boundary (the default retention policy's shards span 7 days
/// from the epoch's week), so both days land in one shard.
const DAY: i64 = 1_735_776_000;
const PERIOD: i64 = 8 * 3600;
const REPORTS_PER_DAY: i64 = 3;
const TIME_FILTER: &str = "time >= '2025-01-02T00:00:00Z' AND time < '2025-01-03T00:00:00Z'";
const LINES_PER_WRITE: usize = 5_000;

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .context("the bench crate has a parent")?
        .to_path_buf();
    let host = args
        .host
        .unwrap_or_else(|| workspace.join("target/release/upgrade-responder"));
    if !host.is_file() {
        bail!(
            "{} is missing: build it with `cargo build --release -p upgrade-responder`",
            host.display()
        );
    }
    let scratch = workspace.join("target/server-sizing");
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch)?;

    // The kit and one payload per fixture and field mode, from the host.
    let kit = scratch.join("kit");
    let ran = Command::new(&host)
        .args(["server-kit", "--app-name", "fleet", "--out"])
        .arg(&kit)
        .env_clear()
        .env("UPGRADE_RESPONDER_CONFIG_DIRS", "")
        .output()?;
    if !ran.status.success() {
        bail!(
            "server-kit failed: {}",
            String::from_utf8_lossy(&ran.stderr)
        );
    }
    let queries = std::fs::read_to_string(kit.join("continuous-queries.influxql"))?;
    let dashboard: Value =
        serde_json::from_str(&std::fs::read_to_string(kit.join("dashboard.json"))?)?;
    let templates = templates(&host, &workspace)?;
    println!(
        "server-kit for the built-in K3s component; {} payload shapes (fixtures x field modes); {REPORTS_PER_DAY} reports per cluster per day; InfluxDB {} (tsi1 index)\n",
        templates.len(),
        influxd_version()
    );

    for (with_uuid, label) in [
        (true, "clusteruuid stored (the kit's request schema)"),
        (false, "clusteruuid left out of the server's schema"),
    ] {
        println!("## {label}\n");
        println!(
            "| clusters | points/day | series | disk after day 1 | disk added by day 2 | influxd RSS | write rate |"
        );
        println!("|---:|---:|---:|---:|---:|---:|---:|");
        let mut panel_rows = Vec::new();
        for &fleet in &args.fleets {
            let influx = Influxd::start_with(Index::Tsi1, Some(&scratch), true);
            let db = "fleet_upgrade_responder";
            influx.query("", &format!("CREATE DATABASE {db}"));
            // Two days: the first pays InfluxDB's fixed costs (shard,
            // index, WAL segment), the second shows what a day adds.
            let mut write_time = Duration::ZERO;
            let mut points = 0usize;
            let mut disk_after = Vec::new();
            for day in 0..2 {
                let started = Instant::now();
                let mut batch = String::new();
                for cluster in 0..fleet {
                    for report in 0..REPORTS_PER_DAY {
                        let point = simulated(&templates, cluster, with_uuid);
                        let at = DAY
                            + day * REPORTS_PER_DAY * PERIOD
                            + report * PERIOD
                            + (cluster as i64 * 7_919) % PERIOD;
                        batch.push_str(&line_protocol(&point, at));
                        batch.push('\n');
                        points += 1;
                        if points.is_multiple_of(LINES_PER_WRITE) {
                            influx.write(db, &batch);
                            batch.clear();
                        }
                    }
                }
                if !batch.is_empty() {
                    influx.write(db, &batch);
                }
                write_time += started.elapsed();
                // The cache is snapshotted to TSM after 1 s without writes,
                // and the shard fully compacted after 2 s (as a day's quiet
                // hours would): the figures are the compacted size.
                std::thread::sleep(Duration::from_secs(10));
                disk_after.push(
                    dir_bytes(&influx.dir().join("data").join(db))
                        + dir_bytes(&influx.dir().join("wal").join(db)),
                );
            }
            // The continuous queries, run over the first day as their
            // schedule would.
            influx.query(db, &queries);
            for line in queries.lines() {
                let select = line
                    .split(" BEGIN ")
                    .nth(1)
                    .context("a continuous query")?
                    .trim_end_matches(" END;");
                let (head, group) = select.split_once(" GROUP BY ").context("GROUP BY")?;
                influx.query(db, &format!("{head} WHERE {TIME_FILTER} GROUP BY {group}"));
            }
            let series = count(&influx.query(db, "SHOW SERIES EXACT CARDINALITY"));
            let rss = rss_kib(influx.pid());
            println!(
                "| {fleet} | {} | {series} | {} | {} | {} MiB | {:.0} points/s |",
                points / 2,
                mib(disk_after[0]),
                mib(disk_after[1].saturating_sub(disk_after[0])),
                rss / 1024,
                points as f64 / write_time.as_secs_f64()
            );
            for (panel, raw) in panels(&dashboard, &queries)? {
                let from_cq = median_ms(&influx, db, &panel);
                let from_raw = median_ms(&influx, db, &raw);
                panel_rows.push((fleet, title_of(&dashboard, &panel), from_cq, from_raw));
            }
        }
        println!(
            "\nQuery time per panel over the day (median of 3 runs, ms): from the continuous query's measurement / from the raw points\n"
        );
        println!("| clusters | panel | downsampled | raw |");
        println!("|---:|---|---:|---:|");
        for (fleet, title, cq, raw) in panel_rows {
            println!("| {fleet} | {title} | {cq:.1} | {raw:.1} |");
        }
        println!();
    }
    let _ = std::fs::remove_dir_all(&scratch);
    Ok(())
}

/// One stored point per fixture and field mode, as the server stores the
/// built-in component's dry-run payload.
fn templates(host: &Path, workspace: &Path) -> anyhow::Result<Vec<StoredPoint>> {
    let mut fixtures: Vec<PathBuf> = std::fs::read_dir(workspace.join("tests/fixtures/facts"))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    fixtures.sort();
    let mut points = Vec::new();
    for fixture in &fixtures {
        for mode in ["minimal", "standard"] {
            let ran = Command::new(host)
                .arg("--facts")
                .arg(fixture)
                .args(["--dry-run", "--field-mode", mode])
                .env_clear()
                .env("UPGRADE_RESPONDER_CONFIG_DIRS", "")
                .output()?;
            if !ran.status.success() {
                bail!("dry run failed: {}", String::from_utf8_lossy(&ran.stderr));
            }
            let body = String::from_utf8(ran.stdout)?;
            points.push(
                stored_point(body.trim_end().as_bytes(), None)
                    .map_err(|e| anyhow::anyhow!("{}: {e}", fixture.display()))?,
            );
        }
    }
    Ok(points)
}

/// Cluster `n` of the fleet: a fixture's shape, its own UUID, one of 24
/// Kubernetes versions and its own node count.
fn simulated(templates: &[StoredPoint], n: usize, with_uuid: bool) -> StoredPoint {
    let mut point = templates[n % templates.len()].clone();
    let version = format!("v1.{}.{}", 29 + (n / 7) % 4, (n / 3) % 6);
    if let Some(app) = point.tags.get_mut("app_version") {
        let suffix = app.split_once('+').map(|(_, s)| s.to_string());
        *app = match suffix {
            Some(s) => format!("{version}+{s}"),
            None => version.clone(),
        };
    }
    if point.tags.contains_key("kubernetes_version") {
        point.tags.insert("kubernetes_version".into(), version);
    }
    if with_uuid {
        point.tags.insert(
            "clusteruuid".into(),
            format!(
                "{:08x}-0000-4000-8000-{:012x}",
                n as u32,
                n * 2_654_435_761 % (1 << 48)
            ),
        );
    } else {
        point.tags.remove("clusteruuid");
    }
    if point.fields.contains_key("node_count") {
        point
            .fields
            .insert("node_count".into(), Value::from(1.0 + (n % 50) as f64));
    }
    point
}

/// Each panel's query over the day, and the same count or sum over the
/// raw points (the continuous query's SELECT without INTO).
fn panels(dashboard: &Value, queries: &str) -> anyhow::Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for panel in dashboard["panels"].as_array().context("panels")? {
        let query = panel["targets"][0]["query"].as_str().context("a query")?;
        // FROM "autogen"."<measurement>"
        let measurement = query.split('"').nth(5).context("a measurement")?;
        let cq = queries
            .lines()
            .find(|l| l.contains(&format!("INTO \"autogen\".\"{measurement}\"")))
            .context("the panel's continuous query")?;
        let select = cq
            .split(" BEGIN ")
            .nth(1)
            .context("BEGIN")?
            .trim_end_matches(" END;");
        let (head, group) = select.split_once(" GROUP BY ").context("GROUP BY")?;
        let head = head.replace(&format!(" INTO \"autogen\".\"{measurement}\""), "");
        out.push((
            query.replace("$timeFilter", TIME_FILTER),
            format!("{head} WHERE {TIME_FILTER} GROUP BY {group}"),
        ));
    }
    Ok(out)
}

fn title_of(dashboard: &Value, query: &str) -> String {
    dashboard["panels"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| {
            p["targets"][0]["query"]
                .as_str()
                .is_some_and(|q| q.replace("$timeFilter", TIME_FILTER) == query)
        })
        .and_then(|p| p["title"].as_str())
        .unwrap_or("?")
        .to_string()
}

fn median_ms(influx: &Influxd, db: &str, query: &str) -> f64 {
    let mut times: Vec<f64> = (0..3)
        .map(|_| {
            let started = Instant::now();
            influx.query(db, query);
            started.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[1]
}

fn count(answer: &Value) -> u64 {
    answer["results"][0]["series"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| {
            s["values"][0][0]
                .as_u64()
                .or_else(|| s["values"][0][1].as_u64())
        })
        .sum()
}

/// The disk blocks a directory's files take (InfluxDB preallocates sparse
/// series files, whose length says nothing).
fn dir_bytes(dir: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt as _;
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .filter_map(Result::ok)
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => dir_bytes(&e.path()),
            Ok(m) => m.blocks() * 512,
            Err(_) => 0,
        })
        .sum()
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.split_whitespace().next()?.parse().ok())
        })
        .unwrap_or(0)
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1 << 20) as f64)
}

fn influxd_version() -> String {
    Command::new(ur_test_support::influxd())
        .arg("version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}
