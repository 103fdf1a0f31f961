//! Best-effort failures end in one warning and exit 0 within the deadline;
//! operator errors exit non-zero; `inspect` judges a component.

use std::time::Duration;

use ur_test_support::{Behaviour, Responder, components};

use crate::common::{closed_port, facts_file, host, run};

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
        // The endpoint read the whole request: delivered, not "not sent".
        warn[0].contains("report delivered but the answer was not usable: component stopped: deadline (2000 ms) passed")
            && warn[0].contains("(status=none bytes_sent="),
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
        ran.log_lines("WARN")[0]
            .contains("report delivered but the answer was not usable: bad response: status 503"),
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
        ran.log_lines("WARN")[0].contains(
            "report delivered but the answer was not usable: bad response: answer is not JSON"
        ),
        "{}",
        ran.stderr
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

    let ran = run(host()
        .arg("inspect")
        .arg(components::REFUSED_IMPORTS_FILESYSTEM));
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
