//! Best-effort failures end in one warning and exit 0 within the deadline;
//! operator errors exit non-zero; the sandbox denies what it must.

use std::time::Duration;

use ur_test_support::{Behaviour, Responder, ResponseConfig, components};

use crate::common::{Cluster, facts_file, host, run};

fn k3s_responder() -> Responder {
    Responder::start(Behaviour::Normal(ResponseConfig::k3s_default())).unwrap()
}

/// A loopback port nothing listens on.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[test]
fn an_unreachable_endpoint_ends_in_a_warning_and_exit_0() {
    let endpoint = format!("http://127.0.0.1:{}/v1/checkupgrade", closed_port());
    let ran = run(host()
        .arg("--facts")
        .arg(facts_file("k3s-ha"))
        .arg("--endpoint")
        .arg(&endpoint));
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    let warn = ran.log_lines("WARN");
    assert_eq!(warn.len(), 1, "{}", ran.stderr);
    assert!(
        warn[0].contains("report not sent: request failed:"),
        "{}",
        warn[0]
    );
    assert!(
        warn[0].contains("connection refused (ConnectionRefused)"),
        "{}",
        warn[0]
    );
    assert!(ran.log_lines("INFO").is_empty());
}

#[test]
fn a_hanging_endpoint_is_cut_off_at_the_deadline_with_exit_0() {
    let responder = Responder::start(Behaviour::Hang).unwrap();
    let ran = run(host()
        .env("UPGRADE_RESPONDER_DEADLINE_SECONDS", "2")
        .arg("--facts")
        .arg(facts_file("k3s-ha"))
        .arg("--endpoint")
        .arg(responder.url()));
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert_eq!(
        responder.received().len(),
        1,
        "the report was sent, the answer never came"
    );
    let warn = ran.log_lines("WARN");
    assert_eq!(warn.len(), 1, "{}", ran.stderr);
    assert!(
        warn[0].contains("report not sent: component stopped: deadline (2000 ms) passed"),
        "{}",
        warn[0]
    );
    // The hang would last forever; the run ends shortly after its deadline
    // (a generous bound: the machine is shared and the host compiles the
    // component first).
    assert!(
        ran.elapsed < Duration::from_secs(20),
        "took {:?}",
        ran.elapsed
    );
}

#[test]
fn a_non_2xx_answer_and_a_non_json_answer_are_warnings() {
    let responder = Responder::start(Behaviour::Status(503)).unwrap();
    let ran = run(host()
        .arg("--facts")
        .arg(facts_file("k3s-single"))
        .arg("--endpoint")
        .arg(responder.url()));
    assert_eq!(ran.code, 0);
    assert!(
        ran.log_lines("WARN")[0].contains("report not sent: bad response: status 503"),
        "{}",
        ran.stderr
    );

    let responder = Responder::start(Behaviour::InvalidJson).unwrap();
    let ran = run(host()
        .arg("--facts")
        .arg(facts_file("k3s-single"))
        .arg("--endpoint")
        .arg(responder.url()));
    assert_eq!(ran.code, 0);
    assert!(
        ran.log_lines("WARN")[0].contains("report not sent: bad response: answer is not JSON"),
        "{}",
        ran.stderr
    );
}

#[test]
fn a_request_to_another_authority_is_denied() {
    let endpoint = k3s_responder();
    let elsewhere = k3s_responder();
    let ran = run(host()
        .arg("--component")
        .arg(components::OTHER_AUTHORITY)
        .arg("--facts")
        .arg(facts_file("k3s-single"))
        .arg("--endpoint")
        .arg(format!("{}?target={}", endpoint.url(), elsewhere.url())));
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert_eq!(
        elsewhere.connection_count(),
        0,
        "nothing reached the other server"
    );
    assert_eq!(endpoint.connection_count(), 0);
    let allowed = endpoint
        .url()
        .trim_end_matches("/v1/checkupgrade")
        .to_string();
    let other = elsewhere
        .url()
        .trim_end_matches("/v1/checkupgrade")
        .to_string();
    let warn = ran.log_lines("WARN");
    assert_eq!(warn.len(), 2, "{}", ran.stderr);
    assert!(
        warn[0].contains(&format!(
            "request to {other} denied: only {allowed} is allowed"
        )),
        "{}",
        warn[0]
    );
    assert!(
        warn[1].contains("report not sent: request failed:"),
        "{}",
        warn[1]
    );
    assert!(
        warn[1].contains("request denied by the host (only the configured endpoint may be reached) (HttpRequestDenied)"),
        "{}",
        warn[1]
    );
}

#[test]
fn a_component_importing_the_filesystem_is_refused_before_anything_runs() {
    let api = Cluster::start("k3s-single");
    let responder = k3s_responder();
    let ran = run(host()
        .arg("--component")
        .arg(components::IMPORTS_FILESYSTEM)
        .arg("--kubeconfig")
        .arg(&api.kubeconfig)
        .arg("--endpoint")
        .arg(responder.url()));
    assert_eq!(ran.code, 3, "{}", ran.stderr);
    assert_eq!(
        api.api.connection_count(),
        0,
        "refused before the cluster is read"
    );
    assert_eq!(responder.connection_count(), 0);
    let error = ran.log_lines("ERROR");
    assert_eq!(error.len(), 1, "{}", ran.stderr);
    assert!(error[0].contains("component refused:"), "{}", error[0]);
    assert!(
        error[0].contains("imports not granted: wasi:filesystem/"),
        "{}",
        error[0]
    );
}

#[test]
fn inspect_lists_imports_and_judges_the_component() {
    let ran = run(host()
        .arg("inspect")
        .arg(component_artifacts::K3S_REPORTER_PATH));
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert!(
        ran.stdout
            .contains("granted  wasi:http/outgoing-handler@0.2.12"),
        "{}",
        ran.stdout
    );
    assert!(
        ran.stdout.contains("verdict: fits the reporter world"),
        "{}",
        ran.stdout
    );
    assert!(!ran.stdout.contains("REFUSED"));

    let ran = run(host().arg("inspect").arg(components::IMPORTS_FILESYSTEM));
    assert_eq!(ran.code, 3);
    assert!(
        ran.stdout.contains("REFUSED  wasi:filesystem/"),
        "{}",
        ran.stdout
    );
    assert!(
        ran.stdout
            .contains("verdict: refused: imports not granted: wasi:filesystem/"),
        "{}",
        ran.stdout
    );
}
