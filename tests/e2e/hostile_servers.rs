//! The host against hostile servers: an endpoint that trickles, answers
//! gigabytes, redirects elsewhere or presents an untrusted certificate, and
//! the endpoint's bearer token kept out of the log. Each test asserts the
//! exact warning, that the run ended well inside a bound that would
//! otherwise never be met, and the exit code.

use std::time::Duration;

use ur_test_support::{ApiOptions, ApiServer, Behaviour, Responder};

use crate::common::{TempDir, cluster_dir, facts_file, host, responder, run, single_warning};

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
        warn.contains("report delivered but the answer was not usable: request failed: reading the answer failed: reading incoming body stream [the endpoint's between-bytes timeout of 1000 ms (UPGRADE_RESPONDER_BETWEEN_BYTES_TIMEOUT_SECONDS) reached] (status=200 "),
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
    // The answer arrived (too large): the report itself was delivered.
    assert!(
        warn.contains("report delivered but the answer was not usable:"),
        "{warn}"
    );
    assert!(
        warn.contains("[response body limit (1048576 bytes) reached] (status=200 "),
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
        warn.contains("report delivered but the answer was not usable: bad response: status 307"),
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
        warn.contains("report delivered but the answer was not usable: bad response: status 401"),
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
