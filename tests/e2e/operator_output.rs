//! What the operator reads: no credential in any output, one line per
//! message, only the host's own log lines, words that say what happened,
//! and the client's identity on every request it makes.

use std::time::Duration;

use ur_test_support::{Behaviour, Responder};

use crate::common::{Cluster, Ran, TempDir, facts_file, host, responder_for, run};

/// Every line of a run's log is one event: text lines start with a
/// timestamp and a level, nothing continues on the next line.
fn assert_one_line_per_event(ran: &Ran) {
    for line in ran.stderr.lines() {
        let level = line.split_whitespace().nth(1).unwrap_or_default();
        assert!(
            ["ERROR", "WARN", "INFO", "DEBUG"].contains(&level),
            "a line that is no event of its own: {line:?}\n{}",
            ran.stderr
        );
    }
}

#[test]
fn the_endpoints_password_shows_nowhere() {
    let endpoint = "https://opsuser:s3cret-pw@upgrade.example/v1/checkupgrade";
    let commands: [&[&str]; 6] = [
        &["config"],
        &["capabilities"],
        &["capabilities", "--json"],
        &["--dry-run"],
        &[],
        &["facts"],
    ];
    for args in commands {
        let ran = run(host()
            .args(args)
            .arg("--facts")
            .arg(facts_file("k3s-single"))
            .env("UPGRADE_RESPONDER_ENDPOINT", endpoint));
        assert_eq!(ran.code, 2, "{args:?}: {}", ran.stderr);
        let all = format!("{}{}", ran.stdout, ran.stderr);
        assert!(!all.contains("s3cret-pw"), "{args:?}: {all}");
        assert!(!all.contains("opsuser"), "{args:?}: {all}");
        assert!(
            ran.stderr.contains(
                "UPGRADE_RESPONDER_ENDPOINT (from environment): endpoint \"https://***@upgrade.example/v1/checkupgrade\" must not carry credentials in the URL (use the token file setting)"
            ),
            "{args:?}: {}",
            ran.stderr
        );
    }
    // Not even when the URL does not parse.
    let ran = run(host().arg("config").env(
        "UPGRADE_RESPONDER_ENDPOINT",
        "https://opsuser:s3cret-pw@bad host/",
    ));
    assert_eq!(ran.code, 2, "{}", ran.stderr);
    assert!(
        ran.stdout
            .contains("UPGRADE_RESPONDER_ENDPOINT=https://***@bad host/\n"),
        "{}",
        ran.stdout
    );
    assert!(!format!("{}{}", ran.stdout, ran.stderr).contains("s3cret-pw"));
}

#[test]
fn an_idn_endpoint_is_reached_by_its_punycode_name() {
    let ran = run(host()
        .arg("capabilities")
        .arg("--endpoint")
        .arg("https://bücher.invalid/v1/checkupgrade"));
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert!(
        ran.stdout
            .contains("allowed         https://xn--bcher-kva.invalid:443 only"),
        "{}",
        ran.stdout
    );
    // The request goes out for the punycode name (which does not resolve:
    // `.invalid` never does); before, it never left the component.
    let ran = run(host()
        .arg("--facts")
        .arg(facts_file("k3s-single"))
        .arg("--endpoint")
        .arg("http://bücher.invalid/v1/checkupgrade"));
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    let warn = ran.log_lines("WARN");
    assert_eq!(warn.len(), 1, "{}", ran.stderr);
    assert!(
        warn[0].contains(
            "report not sent: request failed: the endpoint's host name could not be resolved (DnsError) (endpoint=http://xn--bcher-kva.invalid/v1/checkupgrade "
        ),
        "{}",
        warn[0]
    );
}

/// A kubeconfig for an API server that is not there.
fn kubeconfig_of_a_dead_api_server(dir: &TempDir) -> std::path::PathBuf {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let path = dir.path().join("kubeconfig");
    std::fs::write(
        &path,
        format!(
            "apiVersion: v1\nkind: Config\nclusters: [{{name: c, cluster: {{server: \"https://127.0.0.1:{port}\"}}}}]\nusers: [{{name: u, user: {{token: t}}}}]\ncontexts: [{{name: x, context: {{cluster: c, user: u}}}}]\ncurrent-context: x\n"
        ),
    )
    .unwrap();
    path
}

#[test]
fn with_the_api_server_down_only_the_hosts_own_lines_are_logged() {
    let dir = TempDir::new("api-down");
    let kubeconfig = kubeconfig_of_a_dead_api_server(&dir);
    let ran = run(host().arg("--kubeconfig").arg(&kubeconfig));
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert_eq!(ran.stderr.lines().count(), 1, "{}", ran.stderr);
    assert!(
        ran.log_lines("WARN")[0].contains(
            "report not sent: cannot read the cluster facts: Kubernetes API request failed: GET /version: cannot reach the API server: "
        ),
        "{}",
        ran.stderr
    );
    // At debug the libraries would print request URLs (and their failures)
    // of their own: every line must be the host's.
    let ran = run(host()
        .arg("--kubeconfig")
        .arg(&kubeconfig)
        .env("UPGRADE_RESPONDER_LOG_LEVEL", "debug")
        .env("UPGRADE_RESPONDER_LOG_FORMAT", "json"));
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert!(ran.stderr.lines().count() >= 2, "{}", ran.stderr);
    for line in ran.stderr.lines() {
        let event: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        let target = event["target"].as_str().unwrap_or_default();
        assert!(
            target == "upgrade_responder" || target.starts_with("upgrade_responder::"),
            "a line from {target:?}: {line}"
        );
    }
}

#[test]
fn a_report_the_endpoint_received_is_never_called_not_sent() {
    let dir = TempDir::new("delivered");
    let termination = dir.path().join("termination-log");
    let responder = Responder::start(Behaviour::Status(500)).unwrap();
    let ran = run(host()
        .arg("--facts")
        .arg(facts_file("k3s-single"))
        .arg("--endpoint")
        .arg(responder.url())
        .env(
            "UPGRADE_RESPONDER_TERMINATION_MESSAGE_PATH",
            termination.display().to_string(),
        ));
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert_eq!(responder.received().len(), 1);
    let warn = ran.log_lines("WARN");
    assert_eq!(warn.len(), 1, "{}", ran.stderr);
    let line = warn[0].split_once(" WARN ").unwrap().1;
    let expected_start = format!(
        "report delivered but the answer was not usable: bad response: status 500: \"Internal Server Error \" (status=500 endpoint={} component=built-in k3s-reporter component_choice=auto:facts file v1.31.6+k3s1 is not RKE2 elapsed_ms=",
        responder.url()
    );
    assert!(line.starts_with(&expected_start), "{line}");
    // `kubectl describe pod` shows the same words.
    assert_eq!(std::fs::read_to_string(&termination).unwrap(), line);
    // And the JSON log says it as a field too.
    let ran = run(host()
        .arg("--facts")
        .arg(facts_file("k3s-single"))
        .arg("--endpoint")
        .arg(responder.url())
        .env("UPGRADE_RESPONDER_LOG_FORMAT", "json"));
    let event: serde_json::Value = serde_json::from_str(ran.stderr.trim()).unwrap();
    assert_eq!(event["outcome"], "delivered-answer-unusable", "{event}");
    assert_eq!(event["exit_code"], 0, "{event}");
    assert!(
        event["message"]
            .as_str()
            .unwrap()
            .starts_with(&expected_start),
        "{event}"
    );
}

#[test]
fn an_endpoint_timeout_names_its_setting() {
    // The run's one warning, with `setting` at 1 s: exit 0 all the same.
    let warning_with = |behaviour: Behaviour, setting: &str| -> String {
        let responder = Responder::start(behaviour).unwrap();
        let ran = run(host()
            .arg("--facts")
            .arg(facts_file("k3s-single"))
            .arg("--endpoint")
            .arg(responder.url())
            .env(setting, "1"));
        assert_eq!(ran.code, 0, "{}", ran.stderr);
        let warn = ran.log_lines("WARN");
        assert_eq!(warn.len(), 1, "{}", ran.stderr);
        warn[0].to_string()
    };
    let warning = warning_with(
        Behaviour::Hang,
        "UPGRADE_RESPONDER_FIRST_BYTE_TIMEOUT_SECONDS",
    );
    assert!(
        warning.contains(
            "report delivered but the answer was not usable: request failed: timed out waiting for the answer (ConnectionReadTimeout) [the endpoint's first-byte timeout of 1000 ms (UPGRADE_RESPONDER_FIRST_BYTE_TIMEOUT_SECONDS) reached] (status=none bytes_sent="
        ),
        "{warning}"
    );
    let warning = warning_with(
        Behaviour::Trickle {
            interval: Duration::from_millis(2500),
        },
        "UPGRADE_RESPONDER_BETWEEN_BYTES_TIMEOUT_SECONDS",
    );
    assert!(
        warning.contains(
            "[the endpoint's between-bytes timeout of 1000 ms (UPGRADE_RESPONDER_BETWEEN_BYTES_TIMEOUT_SECONDS) reached] (status=200 "
        ),
        "{warning}"
    );
}

#[test]
fn every_error_is_one_line() {
    let dir = TempDir::new("one-line");
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(&kubeconfig, "apiVersion: v1\nclusters:\n  - name: [\n").unwrap();
    let ran = run(host().arg("--kubeconfig").arg(&kubeconfig));
    assert_eq!(ran.code, 2, "{}", ran.stderr);
    assert_one_line_per_event(&ran);
    assert!(
        ran.log_lines("ERROR")[0].ends_with(&format!(
            "UPGRADE_RESPONDER_KUBECONFIG={} (from command line): not a usable kubeconfig: failed to parse kubeconfig YAML: error: line 3 column 11: expected string scalar",
            kubeconfig.display()
        )),
        "{}",
        ran.stderr
    );

    let text = dir.path().join("reporter.wasm");
    std::fs::write(&text, "hello\nworld\n").unwrap();
    let ran = run(host()
        .arg("--facts")
        .arg(facts_file("k3s-single"))
        .arg("--dry-run")
        .arg("--component")
        .arg(&text));
    assert_eq!(ran.code, 3, "{}", ran.stderr);
    assert_one_line_per_event(&ran);
    assert_eq!(ran.log_lines("ERROR").len(), 1, "{}", ran.stderr);

    let traps = ur_test_support::components::STOPPED_TRAPS;
    let responder = responder_for("k3s-single");
    let ran = run(host()
        .arg("--facts")
        .arg(facts_file("k3s-single"))
        .arg("--component")
        .arg(traps)
        .arg("--endpoint")
        .arg(responder.url()));
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert_one_line_per_event(&ran);
    let warn = ran.log_lines("WARN");
    assert!(!warn[0].contains("backtrace"), "{}", warn[0]);
    assert!(warn[0].contains("wasm trap"), "{}", warn[0]);
}

#[test]
fn an_endpoint_without_a_port_or_a_host_is_refused_in_one_line() {
    for (endpoint, refusal) in [
        (
            "http://127.0.0.1:0/",
            "UPGRADE_RESPONDER_ENDPOINT (from command line): endpoint \"http://127.0.0.1:0/\" has port 0, which no server listens on: give the server's port",
        ),
        (
            "http:///x",
            "UPGRADE_RESPONDER_ENDPOINT (from command line): endpoint \"http:///x\" has no host: write it as scheme://host[:port]/path",
        ),
    ] {
        let ran = run(host()
            .arg("--facts")
            .arg(facts_file("k3s-single"))
            .arg("--dry-run")
            .arg("--endpoint")
            .arg(endpoint));
        assert_eq!(ran.code, 2, "{}", ran.stderr);
        assert_eq!(ran.stdout, "", "nothing was built");
        assert_eq!(ran.stderr.lines().count(), 1, "{}", ran.stderr);
        assert!(ran.stderr.trim_end().ends_with(refusal), "{}", ran.stderr);
    }
}

#[test]
fn config_marks_each_invalid_value_and_fails() {
    let ran = run(host()
        .arg("config")
        .env("UPGRADE_RESPONDER_MAX_REQUESTS", "many")
        .env("UPGRADE_RESPONDER_LOG_LEVEL", "loud"));
    assert_eq!(ran.code, 2, "{}", ran.stderr);
    assert!(
        ran.stdout.contains(
            "UPGRADE_RESPONDER_MAX_REQUESTS=many\n    INVALID: UPGRADE_RESPONDER_MAX_REQUESTS=\"many\" (from environment) is not valid: expected a whole number from 0 to 100\n"
        ),
        "{}",
        ran.stdout
    );
    assert!(
        ran.stdout.contains(
            "UPGRADE_RESPONDER_LOG_LEVEL=loud\n    INVALID: UPGRADE_RESPONDER_LOG_LEVEL=\"loud\" (from environment) is not valid: expected error, warn, info or debug\n"
        ),
        "{}",
        ran.stdout
    );
    assert_eq!(ran.stdout.matches("INVALID").count(), 2, "{}", ran.stdout);
}

#[test]
fn the_host_names_itself_to_the_api_server_and_the_endpoint() {
    let cluster = Cluster::start("k3s-single");
    let responder = responder_for("k3s-single");
    let ran = run(host()
        .arg("--kubeconfig")
        .arg(&cluster.kubeconfig)
        .arg("--endpoint")
        .arg(responder.url())
        .env("UPGRADE_RESPONDER_USER_AGENT", "acme-fleet/2.1")
        .env(
            "UPGRADE_RESPONDER_MARKER",
            "X-Productive-K3S-Telemetry: pk3s-public-v1",
        ));
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    let own = concat!("upgrade-responder/", env!("CARGO_PKG_VERSION"));
    let api = cluster.api.requests();
    assert!(!api.is_empty());
    for request in &api {
        assert_eq!(request.header("user-agent"), Some(own), "{}", request.path);
    }
    let received = responder.received();
    assert_eq!(received.len(), 1);
    let header = |name: &str| {
        received[0]
            .headers
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect::<Vec<_>>()
    };
    assert_eq!(header("user-agent"), ["acme-fleet/2.1"]);
    assert_eq!(header("x-productive-k3s-telemetry"), ["pk3s-public-v1"]);

    // The marker may not pose as a header the host controls.
    let ran = run(host()
        .arg("config")
        .env("UPGRADE_RESPONDER_MARKER", "Authorization: Bearer x"));
    assert_eq!(ran.code, 2, "{}", ran.stderr);
    assert!(
        ran.stderr.contains(
            "UPGRADE_RESPONDER_MARKER=\"Authorization: Bearer x\" (from environment) is not valid"
        ),
        "{}",
        ran.stderr
    );
}

#[test]
fn a_token_for_a_plain_http_endpoint_is_warned_about() {
    let dir = TempDir::new("token-http");
    let token = dir.path().join("token");
    std::fs::write(&token, "t0ken-value\n").unwrap();
    let responder = responder_for("k3s-single");
    let ran = run(host()
        .arg("--facts")
        .arg(facts_file("k3s-single"))
        .arg("--endpoint")
        .arg(responder.url())
        .env("UPGRADE_RESPONDER_TOKEN_FILE", token.display().to_string()));
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    let warn = ran.log_lines("WARN");
    assert_eq!(warn.len(), 1, "{}", ran.stderr);
    assert!(
        warn[0].ends_with(&format!(
            "UPGRADE_RESPONDER_TOKEN_FILE is set for the plain-http endpoint {}: the bearer token crosses the network unencrypted, readable by anyone on the path; use an https endpoint or remove the token file",
            crate::common::origin(&responder.url())
        )),
        "{}",
        warn[0]
    );
    assert!(!ran.stderr.contains("t0ken-value"));
}

#[test]
fn a_component_file_that_is_a_device_is_refused_at_once() {
    let ran = run(host()
        .arg("--facts")
        .arg(facts_file("k3s-single"))
        .arg("--dry-run")
        .arg("--component")
        .arg("/dev/zero"));
    assert_eq!(ran.code, 2, "{}", ran.stderr);
    let error = ran.log_lines("ERROR");
    assert_eq!(error.len(), 1, "{}", ran.stderr);
    assert!(
        error[0].ends_with(
            "UPGRADE_RESPONDER_COMPONENT (/dev/zero): cannot read the component /dev/zero: not a regular file (a directory, device or FIFO is never read)"
        ),
        "{}",
        error[0]
    );
}
