//! The component as a command, run by the real `wasmtime` CLI with the
//! README's `wasmtime run` commands: the same payload as the host for the
//! same facts, and the report sent when given an endpoint.

use std::path::Path;

use ur_test_support::{
    Behaviour, OfferedVersion, Responder, ResponseConfig, wasmtime, wasmtime_run,
};

use crate::common::{CLUSTERS, facts_file, host, k3s_payload, run, workspace};
use crate::doc_commands::{CommandLine, blocks, parse};

/// The README's `wasmtime run` commands, in order, with the component's
/// path checked to be the built default component.
fn readme_commands() -> Vec<CommandLine> {
    let readme = std::fs::read_to_string(workspace().join("README.md")).unwrap();
    let commands: Vec<CommandLine> = blocks(&readme)
        .iter()
        .filter(|block| block.info == "sh")
        .flat_map(|block| {
            block
                .text
                .lines()
                .filter(|line| line.starts_with("wasmtime run "))
                .map(parse)
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(commands.len(), 2, "README.md shows a run and a send");
    for command in &commands {
        let component = command.words.iter().find(|w| w.ends_with(".wasm")).unwrap();
        // The README's path is in cargo's default target directory; the
        // tests run the file the build made, wherever its target directory is.
        let in_target = component.strip_prefix("target/").unwrap();
        assert!(
            Path::new(component_artifacts::K3S_REPORTER_PATH).ends_with(in_target),
            "README.md runs the built default component: {component}"
        );
    }
    commands
}

/// A README command's words after `wasmtime`, the component's path made
/// absolute and `--endpoint` pointed at `endpoint`.
fn words(command: &CommandLine, endpoint: Option<&str>) -> Vec<String> {
    let mut words: Vec<String> = command.words[1..]
        .iter()
        .map(|w| {
            if w.ends_with(".wasm") {
                component_artifacts::K3S_REPORTER_PATH.to_string()
            } else {
                w.clone()
            }
        })
        .collect();
    if let Some(endpoint) = endpoint {
        let at = words.iter().position(|w| w == "--endpoint").unwrap() + 1;
        words[at] = endpoint.to_string();
    }
    words
}

fn as_strs(words: &[String]) -> Vec<&str> {
    words.iter().map(String::as_str).collect()
}

#[test]
fn wasmtime_run_prints_the_same_payload_as_the_host() {
    let command = &readme_commands()[0];
    assert!(!command.words.contains(&"--endpoint".to_string()));
    assert_eq!(command.stdin, Some(facts_file("k3s-ha")));
    let words = words(command, None);
    for cluster in CLUSTERS {
        let facts = std::fs::read(facts_file(cluster)).unwrap();
        let ran = wasmtime(&as_strs(&words), &facts);
        assert_eq!(ran.exit_code, 0, "{cluster}: {}", ran.stderr);
        assert_eq!(
            ran.stdout,
            format!("{}\n", k3s_payload(cluster)),
            "{cluster}"
        );

        // The K3s component, which the command runs, on every cluster.
        let hosted = run(host()
            .arg("--dry-run")
            .arg("--component")
            .arg("builtin:k3s")
            .arg("--facts")
            .arg(facts_file(cluster)));
        assert_eq!(
            ran.stdout, hosted.stdout,
            "{cluster}: command and host agree"
        );
    }
}

#[test]
fn wasmtime_run_with_an_endpoint_sends_the_report() {
    let responder = Responder::start(Behaviour::Normal(ResponseConfig::k3s_default())).unwrap();
    let url = responder.url();
    let command = &readme_commands()[1];
    let facts = std::fs::read(command.stdin.as_ref().unwrap()).unwrap();
    assert_eq!(command.stdin, Some(facts_file("k3s-ha")));
    let ran = wasmtime(&as_strs(&words(command, Some(&url))), &facts);
    assert_eq!(ran.exit_code, 0, "{}", ran.stderr);
    assert_eq!(ran.stdout, format!("{}\n", k3s_payload("k3s-ha")));
    let received = responder.received();
    assert_eq!(received.len(), 1);
    assert_eq!(
        String::from_utf8_lossy(&received[0].body),
        k3s_payload("k3s-ha")
    );
    assert!(
        ran.stderr.starts_with(&format!(
            "report sent: status=200 payload_bytes={} endpoint={url} nodes=5 component=k3s-reporter.wasm elapsed_ms=",
            k3s_payload("k3s-ha").len()
        )),
        "{}",
        ran.stderr
    );
    // v1.31.6+k3s1 is the newest v1.31 offered, so the next minor is next.
    assert!(
        ran.stderr.contains(
            "\nupgrade available: move to v1.32.2+k3s1 now (Plan version: v1.32.2+k3s1, released 2025-02-27), the target on channel stable\n"
        ),
        "{}",
        ran.stderr
    );
}

#[test]
fn wasmtime_run_names_the_next_step_toward_the_channel_and_never_another_distribution() {
    let mut v1_31_8 = OfferedVersion::new("v1.31.8+k3s1", "2025-04-15T00:00:00Z", &["v1.31"]);
    v1_31_8.min_upgradable_version = "v1.31.7+k3s1".into();
    let mut config = ResponseConfig::k3s_default();
    config.versions = vec![
        OfferedVersion::new("v1.32.3+rke2r1", "2025-03-27T00:00:00Z", &["latest"]),
        v1_31_8,
        OfferedVersion::new("v1.33.1+k3s1", "2025-05-01T00:00:00Z", &["latest"]),
        OfferedVersion::new("v1.31.7+k3s1", "2025-03-27T00:00:00Z", &[]),
        OfferedVersion::new("v1.32.4+k3s1", "2025-04-15T00:00:00Z", &["stable", "v1.32"]),
    ];
    let responder = Responder::start(Behaviour::Normal(config)).unwrap();
    let url = responder.url();

    // K3s v1.31.6+k3s1 on `latest`: v1.31.8 needs v1.31.7 first.
    let component = std::path::Path::new(component_artifacts::K3S_REPORTER_PATH);
    let facts = std::fs::read(facts_file("k3s-ha")).unwrap();
    let command = wasmtime_run(
        component,
        &["--endpoint", &url, "--channel", "latest"],
        &facts,
    );
    assert_eq!(command.exit_code, 0, "{}", command.stderr);
    assert!(
        command.stderr.contains(
            "; the component read: upgrade=available plan_version=v1.31.7+k3s1 target=v1.33.1+k3s1 out_of_reach=none channel=latest next_report_minutes=60 fixes_by_step=none fixes_by_target=none release_notes=none support_ends=unknown past_end_of_support=false ignored_advisory_values=0"
        ) && command.stderr.contains(
            "\nupgrade available: move to v1.31.7+k3s1 now (Plan version: v1.31.7+k3s1, released 2025-03-27), then toward v1.33.1+k3s1 on channel latest\n"
        ),
        "{}",
        command.stderr
    );

    // RKE2 v1.31.6+rke2r1 on the default channel: `stable` names no RKE2
    // version, so the newest RKE2 one, one minor up, is both step and target.
    let component = std::path::Path::new(component_artifacts::RKE2_REPORTER_PATH);
    let facts = std::fs::read(facts_file("rke2-canal")).unwrap();
    let command = wasmtime_run(component, &["--endpoint", &url], &facts);
    assert_eq!(command.exit_code, 0, "{}", command.stderr);
    assert!(
        command.stderr.contains(
            "upgrade=available plan_version=v1.32.3+rke2r1 target=v1.32.3+rke2r1 out_of_reach=none channel=stable next_report_minutes=60 fixes_by_step=none fixes_by_target=none release_notes=none support_ends=unknown past_end_of_support=false ignored_advisory_values=0"
        ) && command.stderr.contains(
            "\nupgrade available: move to v1.32.3+rke2r1 now (Plan version: v1.32.3+rke2r1, released 2025-03-27), the target on channel stable\n"
        ),
        "{}",
        command.stderr
    );
}

/// The part of an outcome line both paths share. A report not sent: from
/// `report ` up to the component (the host names it by path, the command
/// by file name). A report sent: the status and what the component read
/// (the byte counts differ: the host counts the whole request at its
/// egress hook, the command the payload).
fn outcome_line(log: &str) -> String {
    let start = log
        .find("report ")
        .unwrap_or_else(|| panic!("no outcome in {log}"));
    let line = log[start..].lines().next().unwrap();
    match line.split_once("; the component read: ") {
        Some((seen, read)) => {
            let status = seen.split(' ').nth(2).unwrap_or_default();
            format!("report sent: {status} ... {read}")
        }
        None => line[..line.find(" component=").unwrap_or(line.len())].to_string(),
    }
}

#[test]
fn wasmtime_run_logs_outcomes_in_the_hosts_words() {
    let component = std::path::Path::new(component_artifacts::K3S_REPORTER_PATH);
    let facts = std::fs::read(facts_file("k3s-ha")).unwrap();
    for behaviour in [
        Behaviour::Normal(ResponseConfig::k3s_default()),
        Behaviour::Status(503),
    ] {
        let responder = Responder::start(behaviour.clone()).unwrap();
        let command = wasmtime_run(component, &["--endpoint", &responder.url()], &facts);
        let hosted = run(host()
            .arg("--facts")
            .arg(facts_file("k3s-ha"))
            .arg("--endpoint")
            .arg(responder.url()));
        assert_eq!(hosted.code, 0, "{}", hosted.stderr);
        // The host knows the endpoint answered (its egress hook saw the
        // status), so it says the report was delivered; the SDK's
        // `wasmtime run` mode still says "not sent" for an unusable answer
        // until it takes up the same words.
        let hosted_line = outcome_line(&hosted.stderr)
            .replace(
                "report delivered but the answer was not usable: ",
                "report not sent: ",
            )
            .replace("(status=503 endpoint=", "(endpoint=");
        assert_eq!(outcome_line(&command.stderr), hosted_line, "{behaviour:?}");
    }
}

#[test]
fn wasmtime_run_explains_bad_input() {
    let component = Path::new(component_artifacts::K3S_REPORTER_PATH);
    let command = wasmtime_run(component, &[], b"{not json");
    assert_eq!(command.exit_code, 1);
    assert!(
        command.stderr.contains("stdin is not cluster facts JSON"),
        "{}",
        command.stderr
    );
    let command = wasmtime_run(component, &["--bogus"], b"{}");
    assert_eq!(command.exit_code, 1);
    assert!(
        command.stderr.contains("unknown argument \"--bogus\""),
        "{}",
        command.stderr
    );
}
