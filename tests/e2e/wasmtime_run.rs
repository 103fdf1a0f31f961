//! The component as a command, run the way `wasmtime run -S http` runs it:
//! the same payload as the host for the same facts.

use ur_test_support::{Behaviour, Responder, ResponseConfig, wasmtime_run};

use crate::common::{CLUSTERS, facts_file, host, k3s_payload, run};

#[test]
fn wasmtime_run_prints_the_same_payload_as_the_host() {
    let component = std::path::Path::new(component_artifacts::K3S_REPORTER_PATH);
    for cluster in CLUSTERS {
        let facts = std::fs::read(facts_file(cluster)).unwrap();
        let command = wasmtime_run(component, &[], &facts).unwrap();
        assert_eq!(command.exit_code, 0, "{cluster}: {}", command.stderr);
        assert_eq!(
            command.stdout,
            format!("{}\n", k3s_payload(cluster)),
            "{cluster}"
        );

        let hosted = run(host()
            .arg("--dry-run")
            .arg("--facts")
            .arg(facts_file(cluster)));
        assert_eq!(
            command.stdout, hosted.stdout,
            "{cluster}: command and host agree"
        );
    }
}

#[test]
fn wasmtime_run_with_an_endpoint_sends_the_report() {
    let responder = Responder::start(Behaviour::Normal(ResponseConfig::k3s_default())).unwrap();
    let component = std::path::Path::new(component_artifacts::K3S_REPORTER_PATH);
    let facts = std::fs::read(facts_file("k3s-ha")).unwrap();
    let url = responder.url();
    let command = wasmtime_run(component, &["--endpoint", &url], &facts).unwrap();
    assert_eq!(command.exit_code, 0, "{}", command.stderr);
    assert_eq!(command.stdout, format!("{}\n", k3s_payload("k3s-ha")));
    let received = responder.received();
    assert_eq!(received.len(), 1);
    assert_eq!(
        String::from_utf8_lossy(&received[0].body),
        k3s_payload("k3s-ha")
    );
    assert!(
        command.stderr.starts_with(&format!(
            "report sent: status=200 payload_bytes={} latest=v1.32.2+k3s1 upgrade_available=v1.32.2+k3s1 next_report_minutes=60 endpoint={url} nodes=5 component=k3s-reporter.wasm elapsed_ms=",
            k3s_payload("k3s-ha").len()
        )),
        "{}",
        command.stderr
    );
}

/// The part of an outcome line both paths share: from `report ` up to the
/// component, which the host names by path and the command by file name.
fn outcome_line(log: &str) -> &str {
    let start = log
        .find("report ")
        .unwrap_or_else(|| panic!("no outcome in {log}"));
    let line = log[start..].lines().next().unwrap();
    &line[..line.find(" component=").unwrap_or(line.len())]
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
        let command = wasmtime_run(component, &["--endpoint", &responder.url()], &facts).unwrap();
        let hosted = run(host()
            .arg("--facts")
            .arg(facts_file("k3s-ha"))
            .arg("--endpoint")
            .arg(responder.url()));
        assert_eq!(hosted.code, 0, "{}", hosted.stderr);
        assert_eq!(
            outcome_line(&command.stderr),
            outcome_line(&hosted.stderr),
            "{behaviour:?}"
        );
    }
}

#[test]
fn wasmtime_run_explains_bad_input() {
    let component = std::path::Path::new(component_artifacts::K3S_REPORTER_PATH);
    let command = wasmtime_run(component, &[], b"{not json").unwrap();
    assert_eq!(command.exit_code, 1);
    assert!(
        command.stderr.contains("stdin is not cluster facts JSON"),
        "{}",
        command.stderr
    );
    let command = wasmtime_run(component, &["--bogus"], b"{}").unwrap();
    assert_eq!(command.exit_code, 1);
    assert!(
        command.stderr.contains("unknown argument \"--bogus\""),
        "{}",
        command.stderr
    );
}
