//! What the upgrade-responder endpoint (or the network to it) can do wrong,
//! one table: each fault ends inside the deadline with exit 0 and exactly
//! one warning line. `tests/e2e/failures.rs` and `hostile.rs` cover the
//! hang, the trickle, redirects and oversized answers.
//!
//! Run with `--nocapture` to see the table with the time each fault took.

use std::time::Duration;

use ur_test_support::{Behaviour, Responder, ServedCertificate};

use crate::common::{Ran, TempDir, closed_port, facts_file, host, run};

/// Generous: the host compiles the component first, and CI machines are shared.
const QUICK: Duration = Duration::from_secs(20);

/// Where the report goes for one fault, and the settings it needs.
pub struct Target {
    pub endpoint: String,
    /// Keeps the stand-in alive for the run.
    pub _responder: Option<Responder>,
    pub env: Vec<(&'static str, String)>,
    /// Keeps a CA file alive for the run.
    pub dir: Option<TempDir>,
}

impl Target {
    fn responder(responder: Responder) -> Target {
        Target {
            endpoint: responder.url(),
            _responder: Some(responder),
            env: Vec::new(),
            dir: None,
        }
    }

    /// A TLS stand-in whose CA the host trusts (so only the name or the
    /// validity period can be wrong).
    fn tls(certificate: ServedCertificate) -> Target {
        let responder = Responder::start_tls(Behaviour::Status(200), certificate).unwrap();
        let dir = TempDir::new("endpoint-ca");
        let ca = dir.path().join("ca.pem");
        std::fs::write(&ca, responder.ca_pem().unwrap()).unwrap();
        let mut target = Target::responder(responder);
        target
            .env
            .push(("UPGRADE_RESPONDER_CA_FILE", ca.display().to_string()));
        target.dir = Some(dir);
        target
    }
}

pub struct Case {
    pub fault: &'static str,
    pub target: fn() -> Target,
    /// The one warning, with ports and elapsed times normalised.
    pub warning: &'static str,
}

/// Every endpoint fault and the warning a user reads.
pub fn cases() -> Vec<Case> {
    vec![
        Case {
            fault: "name does not resolve",
            target: || Target {
                endpoint: "http://upgrade-responder.invalid/v1/checkupgrade".to_string(),
                _responder: None,
                env: Vec::new(),
                dir: None,
            },
            warning: r#"report not sent: request failed: the endpoint's host name could not be resolved (DnsError) (endpoint=http://upgrade-responder.invalid/v1/checkupgrade component=built-in k3s-reporter component_choice=auto:facts file v1.31.6+k3s1 is not RKE2 elapsed_ms=N)"#,
        },
        Case {
            fault: "connection refused",
            target: || Target {
                endpoint: format!("http://127.0.0.1:{}/v1/checkupgrade", closed_port()),
                _responder: None,
                env: Vec::new(),
                dir: None,
            },
            warning: r#"report not sent: request failed: connection refused (ConnectionRefused) (endpoint=http://127.0.0.1:PORT/v1/checkupgrade component=built-in k3s-reporter component_choice=auto:facts file v1.31.6+k3s1 is not RKE2 elapsed_ms=N)"#,
        },
        Case {
            fault: "connection reset mid-answer",
            target: || Target::responder(Responder::start(Behaviour::ResetMidAnswer).unwrap()),
            warning: r#"report delivered but the answer was not usable: request failed: reading the answer failed: reading incoming body stream (status=200 endpoint=http://127.0.0.1:PORT/v1/checkupgrade component=built-in k3s-reporter component_choice=auto:facts file v1.31.6+k3s1 is not RKE2 elapsed_ms=N)"#,
        },
        Case {
            fault: "TLS: certificate for another name",
            target: || Target::tls(ServedCertificate::ForName("upgrade-responder.example")),
            warning: r#"report not sent: request failed: the endpoint's TLS certificate is not trusted (TlsCertificateError) (endpoint=https://127.0.0.1:PORT/v1/checkupgrade component=built-in k3s-reporter component_choice=auto:facts file v1.31.6+k3s1 is not RKE2 elapsed_ms=N)"#,
        },
        Case {
            fault: "TLS: expired certificate",
            target: || Target::tls(ServedCertificate::Expired),
            warning: r#"report not sent: request failed: the endpoint's TLS certificate is not trusted (TlsCertificateError) (endpoint=https://127.0.0.1:PORT/v1/checkupgrade component=built-in k3s-reporter component_choice=auto:facts file v1.31.6+k3s1 is not RKE2 elapsed_ms=N)"#,
        },
        Case {
            fault: "400 with the decoder's text",
            target: || {
                Target::responder(
                    Responder::start(Behaviour::Text {
                        status: 400,
                        body: "json: cannot unmarshal string into Go struct field CheckUpgradeRequest.appVersion of type upgraderesponder.CheckUpgradeRequest",
                    })
                    .unwrap(),
                )
            },
            warning: r#"report delivered but the answer was not usable: bad response: status 400: "json: cannot unmarshal string into Go struct field CheckUpgradeRequest.appVersion of type upgraderesponder.CheckUpgradeR"... (status=400 endpoint=http://127.0.0.1:PORT/v1/checkupgrade component=built-in k3s-reporter component_choice=auto:facts file v1.31.6+k3s1 is not RKE2 elapsed_ms=N)"#,
        },
        Case {
            fault: "404",
            target: || Target::responder(Responder::start(Behaviour::Status(404)).unwrap()),
            warning: r#"report delivered but the answer was not usable: bad response: status 404: "Not Found " (status=404 endpoint=http://127.0.0.1:PORT/v1/checkupgrade component=built-in k3s-reporter component_choice=auto:facts file v1.31.6+k3s1 is not RKE2 elapsed_ms=N)"#,
        },
        Case {
            fault: "500",
            target: || Target::responder(Responder::start(Behaviour::Status(500)).unwrap()),
            warning: r#"report delivered but the answer was not usable: bad response: status 500: "Internal Server Error " (status=500 endpoint=http://127.0.0.1:PORT/v1/checkupgrade component=built-in k3s-reporter component_choice=auto:facts file v1.31.6+k3s1 is not RKE2 elapsed_ms=N)"#,
        },
        Case {
            fault: "503",
            target: || Target::responder(Responder::start(Behaviour::Status(503)).unwrap()),
            warning: r#"report delivered but the answer was not usable: bad response: status 503: "Service Unavailable " (status=503 endpoint=http://127.0.0.1:PORT/v1/checkupgrade component=built-in k3s-reporter component_choice=auto:facts file v1.31.6+k3s1 is not RKE2 elapsed_ms=N)"#,
        },
        Case {
            fault: "JSON answer of the wrong shape",
            target: || Target::responder(Responder::start(Behaviour::WrongShape).unwrap()),
            warning: r#"report delivered but the answer was not usable: bad response: answer is not an upgrade-responder answer: invalid type: string "v1.31.6+k3s1", expected a sequence; body starts "{\"versions\":\"v1.31.6+k3s1\",\"requestIntervalInMinutes\":\"soon\"}" (status=200 endpoint=http://127.0.0.1:PORT/v1/checkupgrade component=built-in k3s-reporter component_choice=auto:facts file v1.31.6+k3s1 is not RKE2 elapsed_ms=N)"#,
        },
        Case {
            fault: "the whole request read, no answer",
            target: || {
                let mut target = Target::responder(Responder::start(Behaviour::Hang).unwrap());
                target.env.push((
                    "UPGRADE_RESPONDER_FIRST_BYTE_TIMEOUT_SECONDS",
                    "1".to_string(),
                ));
                target
            },
            warning: r#"report delivered but the answer was not usable: request failed: timed out waiting for the answer (ConnectionReadTimeout) [the endpoint's first-byte timeout of 1000 ms (UPGRADE_RESPONDER_FIRST_BYTE_TIMEOUT_SECONDS) reached] (status=none bytes_sent=311 endpoint=http://127.0.0.1:PORT/v1/checkupgrade component=built-in k3s-reporter component_choice=auto:facts file v1.31.6+k3s1 is not RKE2 elapsed_ms=N)"#,
        },
        Case {
            fault: "an answer that never ends",
            target: || {
                let mut target = Target::responder(
                    Responder::start(Behaviour::Trickle {
                        interval: Duration::from_millis(200),
                    })
                    .unwrap(),
                );
                target
                    .env
                    .push(("UPGRADE_RESPONDER_DEADLINE_SECONDS", "2".to_string()));
                target
            },
            warning: r#"report delivered but the answer was not usable: component stopped: deadline (2000 ms) passed while the component waited (status=200 endpoint=http://127.0.0.1:PORT/v1/checkupgrade component=built-in k3s-reporter component_choice=auto:facts file v1.31.6+k3s1 is not RKE2 elapsed_ms=N)"#,
        },
    ]
}

/// Reports the k3s-ha fixture facts to the case's endpoint.
pub fn run_case(case: &Case) -> Ran {
    let target = (case.target)();
    let mut command = host();
    command
        .arg("--facts")
        .arg(facts_file("k3s-ha"))
        .arg("--endpoint")
        .arg(&target.endpoint);
    for (key, value) in &target.env {
        command.env(key, value);
    }
    let ran = run(&mut command);
    drop(target);
    ran
}

/// Checks one run against its case; `Err` says what differs.
pub fn check(case: &Case, ran: &Ran) -> Result<(), String> {
    let context = || format!("{}:\n{}", case.fault, ran.stderr);
    if ran.code != 0 {
        return Err(format!("exit {} for {}", ran.code, context()));
    }
    if ran.elapsed >= QUICK {
        return Err(format!("took {:?} for {}", ran.elapsed, context()));
    }
    let warnings = crate::api_faults::messages(ran, "WARN");
    if warnings != [case.warning] {
        return Err(format!("warnings {warnings:#?} for {}", context()));
    }
    if !crate::api_faults::messages(ran, "ERROR").is_empty() {
        return Err(format!("an error line for {}", context()));
    }
    Ok(())
}

#[test]
fn every_endpoint_fault_ends_in_one_exact_warning_inside_the_deadline() {
    let mut failures = Vec::new();
    eprintln!("| fault | observed | run time |");
    for case in cases() {
        let ran = run_case(&case);
        eprintln!(
            "| {} | {} | {} ms |",
            case.fault,
            crate::api_faults::messages(&ran, "WARN").join(" / "),
            ran.elapsed.as_millis()
        );
        if let Err(why) = check(&case, &ran) {
            failures.push(why);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
