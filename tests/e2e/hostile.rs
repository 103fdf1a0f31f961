//! The sandbox against hostile components and hostile servers: each test
//! asserts the exact denial or bound, that the run ended well inside a
//! bound that would otherwise never be met, and the exit code.

use std::time::Duration;

use ur_test_support::{ApiOptions, ApiServer, Behaviour, Responder, ResponseConfig, components};

use crate::common::{Ran, TempDir, cluster_dir, facts_file, host, run};

/// Generous: the host compiles the component first, and CI machines are shared.
const QUICK: Duration = Duration::from_secs(20);

fn responder() -> Responder {
    Responder::start(Behaviour::Normal(ResponseConfig::k3s_default())).unwrap()
}

/// Runs `component` against `endpoint` with fixture facts and extra settings.
fn run_component(component: &str, endpoint: &str, settings: &[(&str, &str)]) -> Ran {
    let mut command = host();
    command
        .arg("--component")
        .arg(component)
        .arg("--facts")
        .arg(facts_file("k3s-ha"))
        .arg("--endpoint")
        .arg(endpoint);
    for (key, value) in settings {
        command.env(key, value);
    }
    run(&mut command)
}

/// A dry run of `component` (the built-in one if `None`) on the single-node
/// fixture with extra settings.
fn dry_run(component: Option<&str>, settings: &[(&str, &str)]) -> Ran {
    let mut command = host();
    if let Some(component) = component {
        command.arg("--component").arg(component);
    }
    command
        .arg("--facts")
        .arg(facts_file("k3s-single"))
        .arg("--dry-run");
    for (key, value) in settings {
        command.env(key, value);
    }
    run(&mut command)
}

fn single_warning(ran: &Ran) -> String {
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    let warn = ran.log_lines("WARN");
    assert!(!warn.is_empty(), "no warning: {}", ran.stderr);
    assert!(ran.elapsed < QUICK, "took {:?}", ran.elapsed);
    warn.last().unwrap().to_string()
}

fn origin(url: &str) -> String {
    url.trim_end_matches("/v1/checkupgrade").to_string()
}

#[test]
fn every_test_component_is_run_by_a_test() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/e2e");
    let sources: String = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| std::fs::read_to_string(entry.unwrap().path()).unwrap())
        .collect();
    for (constant, _) in components::ALL {
        assert!(
            sources.contains(&format!("components::{constant}")),
            "tests/components has {constant} but no e2e test runs it"
        );
    }
    assert!(components::ALL.len() >= 13);
}

#[test]
fn another_host_name_for_the_same_server_is_denied() {
    let endpoint = responder();
    let port = endpoint
        .url()
        .split(':')
        .nth(2)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_string();
    let target = format!("http://localhost:{port}/v1/checkupgrade");
    let ran = run_component(
        components::OTHER_AUTHORITY,
        &format!("{}?target={target}", endpoint.url()),
        &[],
    );
    let warn = ran.log_lines("WARN");
    assert!(
        warn[0].contains(&format!(
            "request to http://localhost:{port} denied: only {} is allowed",
            origin(&endpoint.url())
        )),
        "{}",
        ran.stderr
    );
    assert_eq!(endpoint.connection_count(), 0);
    single_warning(&ran);
}

#[test]
fn plain_http_to_an_https_endpoint_is_denied() {
    // The API stand-in speaks TLS: use it as an https endpoint.
    let api = ApiServer::start(&cluster_dir("k3s-single"), ApiOptions::default()).unwrap();
    let https = format!("{}/v1/checkupgrade", api.url());
    let http = https.replacen("https://", "http://", 1);
    let ran = run_component(
        components::OTHER_AUTHORITY,
        &format!("{https}?target={http}"),
        &[],
    );
    let warn = ran.log_lines("WARN");
    let port = api.url().rsplit(':').next().unwrap().to_string();
    assert!(
        warn[0].contains(&format!(
            "request to http://127.0.0.1:{port} denied: only https://127.0.0.1:{port} is allowed"
        )),
        "{}",
        ran.stderr
    );
    assert_eq!(api.connection_count(), 0);
    single_warning(&ran);
}

#[test]
fn a_second_request_is_denied_by_the_request_limit() {
    let endpoint = responder();
    let ran = run_component(components::MANY_REQUESTS, &endpoint.url(), &[]);
    let warn = single_warning(&ran);
    assert_eq!(endpoint.received().len(), 1, "exactly one request went out");
    assert!(
        ran.stderr
            .contains("denied: request limit (1 per run) reached"),
        "{}",
        ran.stderr
    );
    assert!(
        warn.contains("report not sent: request failed: attempt 1: request denied by the host"),
        "{warn}"
    );
    assert!(
        warn.contains("[request limit (1 per run) reached]"),
        "{warn}"
    );
}

#[test]
fn a_huge_request_body_is_refused_before_it_leaves() {
    let endpoint = responder();
    let ran = run_component(components::HUGE_REQUEST_BODY, &endpoint.url(), &[]);
    let warn = single_warning(&ran);
    assert_eq!(endpoint.connection_count(), 0);
    assert!(
        ran.stderr
            .contains("request of 10485760 bytes denied: request body limit (65536 bytes)"),
        "{}",
        ran.stderr
    );
    assert!(
        warn.contains("[request body limit (65536 bytes) reached]"),
        "{warn}"
    );
}

#[test]
fn environment_arguments_and_working_directory_are_empty() {
    let ran = dry_run(
        Some(components::READS_ENV_ARGS),
        &[("SECRET_FOR_TEST", "hunter2")],
    );
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    // "/" is wasi-libc's answer when the host gives no directory at all.
    assert_eq!(ran.stdout, "env=[] args=[] cwd=\"/\"\n");
}

#[test]
fn sockets_and_name_lookup_are_refused_before_running() {
    for (component, interface) in [
        (components::OPENS_SOCKET, "wasi:sockets/tcp"),
        (components::RESOLVES_NAME, "wasi:sockets/ip-name-lookup"),
    ] {
        let ran = run(host()
            .arg("--component")
            .arg(component)
            .arg("--facts")
            .arg(facts_file("k3s-single")));
        assert_eq!(ran.code, 3, "{}", ran.stderr);
        let error = ran.log_lines("ERROR");
        assert_eq!(error.len(), 1, "{}", ran.stderr);
        assert!(error[0].contains("imports not granted: "), "{}", error[0]);
        assert!(error[0].contains(interface), "{component}: {}", error[0]);
        assert!(ran.elapsed < QUICK);
    }
}

#[test]
fn an_endless_loop_is_stopped_at_the_deadline() {
    let ran = dry_run(
        Some(components::LOOPS_FOREVER),
        &[("UPGRADE_RESPONDER_DEADLINE_SECONDS", "2")],
    );
    let warn = single_warning(&ran);
    assert!(
        warn.contains("report not sent: component stopped: deadline (2000 ms) passed"),
        "{warn}"
    );
    assert!(ran.stdout.is_empty());
}

#[test]
fn unbounded_allocation_is_stopped_by_the_memory_limit() {
    let ran = dry_run(
        Some(components::ALLOCATES_WITHOUT_BOUND),
        &[("UPGRADE_RESPONDER_MEMORY_LIMIT_MIB", "16")],
    );
    let warn = single_warning(&ran);
    assert!(
        warn.contains("report not sent: component stopped: memory limit (16777216 bytes) reached:"),
        "{warn}"
    );
}

#[test]
fn a_table_larger_than_the_limit_is_refused_at_instantiation() {
    // No Rust component can grow a table at run time (there is no stable
    // table.grow); the bound applies to the table a component declares.
    let ran = dry_run(None, &[("UPGRADE_RESPONDER_TABLE_ELEMENTS", "1")]);
    let warn = single_warning(&ran);
    assert!(
        warn.contains("report not sent: component stopped: table limit (1 elements) reached:"),
        "{warn}"
    );
}

#[test]
fn a_stdout_flood_is_cut_and_marked() {
    let ran = dry_run(Some(components::FLOODS_STDOUT), &[]);
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert!(
        ran.stdout.starts_with("{\"appVersion\":\"v0.0.0+flood1\""),
        "{}",
        ran.stdout
    );
    assert!(
        ran.stderr.contains("component stdout: flood flood"),
        "{}",
        &ran.stderr[..200.min(ran.stderr.len())]
    );
    assert!(
        ran.stderr
            .contains("more bytes cut: output limit 16384 bytes]")
    );
    assert!(
        ran.stderr.len() < 20_000,
        "the log stays small: {} bytes",
        ran.stderr.len()
    );
    assert!(ran.elapsed < QUICK);
}

#[test]
fn a_gigantic_outcome_is_refused() {
    let ran = dry_run(Some(components::GIGANTIC_OUTCOME), &[]);
    let warn = single_warning(&ran);
    assert!(
        warn.contains("report not sent: component stopped: outcome limit (262144 bytes) reached: the component returned 4194304 bytes"),
        "{warn}"
    );
    assert!(ran.stdout.is_empty());
    let endpoint = responder();
    let ran = run_component(components::GIGANTIC_OUTCOME, &endpoint.url(), &[]);
    assert!(single_warning(&ran).contains("outcome limit (262144 bytes) reached"));
}

#[test]
fn a_trap_ends_the_run_with_a_warning() {
    let ran = dry_run(Some(components::TRAPS), &[]);
    let warn = single_warning(&ran);
    assert!(
        warn.contains("report not sent: component stopped: component trapped:"),
        "{warn}"
    );
}

#[test]
fn a_panic_mid_request_ends_the_run_with_a_warning() {
    let endpoint = responder();
    let ran = run_component(components::PANICS_MID_REQUEST, &endpoint.url(), &[]);
    let warn = single_warning(&ran);
    assert!(
        warn.contains("report not sent: component stopped: component trapped:"),
        "{warn}"
    );
    assert!(
        endpoint.received().iter().all(|r| r.stored.is_none()),
        "nothing complete was stored"
    );
}

#[test]
fn a_server_answering_byte_by_byte_is_cut_off_between_bytes() {
    let endpoint = Responder::start(Behaviour::Trickle {
        interval: Duration::from_secs(3),
    })
    .unwrap();
    let ran = run(host()
        .env("UPGRADE_RESPONDER_BETWEEN_BYTES_TIMEOUT_SECONDS", "1")
        .arg("--facts")
        .arg(facts_file("k3s-single"))
        .arg("--endpoint")
        .arg(endpoint.url()));
    let warn = single_warning(&ran);
    assert!(
        warn.contains("report not sent: request failed: reading the answer failed"),
        "{warn}"
    );
    assert!(ran.elapsed < Duration::from_secs(15), "{:?}", ran.elapsed);
}

#[test]
fn a_gigantic_answer_is_cut_at_the_response_limit() {
    let endpoint = Responder::start(Behaviour::HugeBody { bytes: 8 << 20 }).unwrap();
    let ran = run(host()
        .arg("--facts")
        .arg(facts_file("k3s-single"))
        .arg("--endpoint")
        .arg(endpoint.url()));
    let warn = single_warning(&ran);
    assert!(warn.contains("report not sent:"), "{warn}");
    assert!(
        warn.contains("[response body limit (1048576 bytes) reached]"),
        "{warn}"
    );
}

#[test]
fn a_redirect_elsewhere_is_not_followed() {
    let elsewhere = responder();
    let endpoint = Responder::start(Behaviour::Redirect {
        location: elsewhere.url(),
        status: 307,
    })
    .unwrap();
    let ran = run(host()
        .arg("--facts")
        .arg(facts_file("k3s-single"))
        .arg("--endpoint")
        .arg(endpoint.url()));
    let warn = single_warning(&ran);
    assert!(
        warn.contains("report not sent: bad response: status 307"),
        "{warn}"
    );
    assert_eq!(elsewhere.connection_count(), 0);
}

#[test]
fn an_untrusted_certificate_fails_and_a_private_ca_bundle_is_trusted() {
    let api = ApiServer::start(&cluster_dir("k3s-single"), ApiOptions::default()).unwrap();
    let endpoint = format!("{}/v1/checkupgrade", api.url());
    let ran = run(host()
        .arg("--facts")
        .arg(facts_file("k3s-single"))
        .arg("--endpoint")
        .arg(&endpoint));
    let warn = single_warning(&ran);
    assert!(
        warn.contains("report not sent: request failed: the endpoint's TLS certificate is not trusted (TlsCertificateError)"),
        "{warn}"
    );

    let dir = TempDir::new("ca");
    let ca = dir.path().join("ca.crt");
    std::fs::write(&ca, api.ca_pem()).unwrap();
    let ran = run(host()
        .env("UPGRADE_RESPONDER_CA_FILE", &ca)
        .arg("--facts")
        .arg(facts_file("k3s-single"))
        .arg("--endpoint")
        .arg(&endpoint));
    // TLS now succeeds; the API stand-in answers 401 to a POST without its token.
    let warn = single_warning(&ran);
    assert!(
        warn.contains("report not sent: bad response: status 401"),
        "{warn}"
    );
}

#[test]
fn the_bearer_token_reaches_the_endpoint_and_never_the_log() {
    let endpoint = responder();
    let dir = TempDir::new("token");
    let token = dir.path().join("token");
    std::fs::write(&token, "s3cr3t-t0ken\n").unwrap();
    let ran = run(host()
        .env("UPGRADE_RESPONDER_TOKEN_FILE", &token)
        .env("UPGRADE_RESPONDER_LOG_LEVEL", "debug")
        .arg("--facts")
        .arg(facts_file("k3s-single"))
        .arg("--endpoint")
        .arg(endpoint.url()));
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    let received = endpoint.received();
    assert_eq!(
        received[0].header("authorization"),
        Some("Bearer s3cr3t-t0ken")
    );
    assert!(!ran.stderr.contains("s3cr3t"), "the token reached the log");
    assert!(!ran.stdout.contains("s3cr3t"));
}
