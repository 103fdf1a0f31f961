//! What the Kubernetes API server (or what stands in front of it) can do
//! wrong, one table: each fault ends inside the deadline with exit 0 and
//! either no report and one exact warning, or a report of the facts that
//! could be read (the missing ones `unknown`) and the exact warnings.
//!
//! Runs are dry runs: what would be sent is printed, so the partial facts
//! show in the payload. Run with `--nocapture` to see the table with the
//! time each fault took.

use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};
use ur_test_support::{ApiFault, ApiOptions, ApiServer, Rule};

use crate::common::{Ran, TempDir, closed_port, cluster_dir, host, run};

/// Generous: the host compiles the component first, and CI machines are shared.
const QUICK: Duration = Duration::from_secs(30);
/// The API deadline these runs get (the hang case waits it out).
const API_DEADLINE_SECONDS: &str = "3";
/// More than the host reads of one API response (`cluster::MAX_RESPONSE_BYTES`).
const GIGANTIC: usize = 40 << 20;

/// What a run must end in.
pub enum Expect {
    /// No report: exactly this one warning (elapsed times and ports
    /// normalised to `N` and `PORT`), nothing on stdout.
    NoReport(&'static str),
    /// A report of partial facts: exactly these warnings, and these
    /// `extraTagInfo`/`extraFieldInfo` values in the standard payload.
    Report {
        warnings: &'static [&'static str],
        fields: Vec<(&'static str, Value)>,
    },
}

/// How the stand-in cluster is changed for one fault.
pub struct Setup {
    /// The fixture cluster served.
    pub cluster: &'static str,
    pub options: ApiOptions,
    /// Rewrites the fixture's `nodes.json` items before serving.
    pub nodes: Option<fn(&mut Vec<Value>)>,
    /// Leaves `kube-system.json` out of the fixtures.
    pub no_kube_system: bool,
    /// Rewrites the kubeconfig the host gets.
    pub kubeconfig: Option<fn(&ApiServer, String) -> String>,
    /// Settings beyond the API deadline.
    pub env: &'static [(&'static str, &'static str)],
}

impl Setup {
    fn cluster(cluster: &'static str) -> Setup {
        Setup {
            cluster,
            options: ApiOptions::default(),
            nodes: None,
            no_kube_system: false,
            kubeconfig: None,
            env: &[],
        }
    }

    fn fault(path: &str, fault: ApiFault) -> Setup {
        let mut setup = Setup::cluster("k3s-single");
        setup.options.faults = vec![(path.to_string(), fault)];
        setup
    }

    fn rules(rules: Vec<Rule>) -> Setup {
        let mut setup = Setup::cluster("k3s-single");
        setup.options.rules = Some(rules);
        setup
    }
}

pub struct Case {
    pub fault: &'static str,
    pub setup: fn() -> Setup,
    pub expect: Expect,
}

const NODES: &str = "/api/v1/nodes";
const DEPLOYMENTS: &str = "/apis/apps/v1/namespaces/kube-system/deployments";

/// Every permission the host uses but the one `without` names.
fn all_rules_but(without: &str) -> Vec<Rule> {
    let mut rules = Rule::public_info_viewer();
    let grants = [
        ("nodes", Rule::cluster(&[""], &["nodes"], &["list"])),
        (
            "namespaces",
            Rule::cluster(&[""], &["namespaces"], &["get"]).with_names(&["kube-system"]),
        ),
        (
            "deployments",
            Rule::namespaced("kube-system", &["apps"], &["deployments"], &["list"]),
        ),
        (
            "daemonsets",
            Rule::namespaced("kube-system", &["apps"], &["daemonsets"], &["list"]),
        ),
    ];
    rules.extend(
        grants
            .into_iter()
            .filter(|(name, _)| *name != without)
            .map(|(_, rule)| rule),
    );
    // The system namespaces and the kubernetes Service, granted one by
    // one (as RoleBindings would): these faults are about kube-system's.
    for namespace in [
        "calico-system",
        "tigera-operator",
        "cattle-system",
        "gpu-operator",
        "kube-amd-gpu",
        "inteldeviceplugins-system",
    ] {
        rules.push(Rule::namespaced(
            namespace,
            &["apps"],
            &["deployments", "daemonsets"],
            &["list"],
        ));
    }
    rules.push(
        Rule::namespaced("default", &[""], &["services"], &["get"]).with_names(&["kubernetes"]),
    );
    rules
}

fn single_node_status(items: &mut [Value]) -> &mut serde_json::Map<String, Value> {
    items[0]["status"].as_object_mut().unwrap()
}

/// Every fault, its setup and the outcome a user depends on.
pub fn cases() -> Vec<Case> {
    vec![
        Case {
            fault: "connection refused",
            setup: || Setup {
                kubeconfig: Some(|api, text| {
                    text.replace(&api.url(), &format!("https://127.0.0.1:{}", closed_port()))
                }),
                ..Setup::cluster("k3s-single")
            },
            expect: Expect::NoReport(
                r#"report not sent: cannot read the cluster facts: Kubernetes API request failed: GET /version: cannot reach the API server: client error (Connect): tcp connect error: Connection refused (os error 111) (elapsed_ms=N)"#,
            ),
        },
        Case {
            fault: "TLS: certificate from an unknown CA",
            setup: || Setup {
                kubeconfig: Some(|api, text| {
                    let other = ApiServer::start(&cluster_dir("k3s-single"), ApiOptions::default())
                        .unwrap();
                    let ca = |server: &ApiServer| {
                        server
                            .kubeconfig()
                            .lines()
                            .find(|l| l.contains("certificate-authority-data"))
                            .unwrap()
                            .to_string()
                    };
                    text.replace(&ca(api), &ca(&other))
                }),
                ..Setup::cluster("k3s-single")
            },
            expect: Expect::NoReport(
                r#"report not sent: cannot read the cluster facts: Kubernetes API request failed: GET /version: cannot reach the API server: client error (Connect): invalid peer certificate: BadSignature (elapsed_ms=N)"#,
            ),
        },
        Case {
            fault: "TLS: certificate for another name",
            setup: || Setup {
                kubeconfig: Some(|api, text| {
                    let server = format!("    server: \"{}\"\n", api.url());
                    text.replace(
                        &server,
                        &format!("{server}    tls-server-name: \"kube-apiserver.example\"\n"),
                    )
                }),
                ..Setup::cluster("k3s-single")
            },
            expect: Expect::NoReport(
                r#"report not sent: cannot read the cluster facts: Kubernetes API request failed: GET /version: cannot reach the API server: client error (Connect): invalid peer certificate: certificate not valid for name "kube-apiserver.example"; certificate is only valid for IpAddress(127.0.0.1) or DnsName("localhost") (elapsed_ms=N)"#,
            ),
        },
        Case {
            fault: "401: token not accepted",
            setup: || Setup {
                kubeconfig: Some(|api, text| text.replace(api.token(), "revoked-token")),
                ..Setup::cluster("k3s-single")
            },
            expect: Expect::NoReport(
                r#"report not sent: cannot read the cluster facts: Kubernetes API request failed: GET /version: 401 Unauthorized: Unauthorized (the API server did not accept the credentials) (elapsed_ms=N)"#,
            ),
        },
        Case {
            fault: "403 on GET /version",
            setup: || Setup::rules(all_rules_but("version")[1..].to_vec()),
            expect: Expect::NoReport(
                r#"report not sent: cannot read the cluster facts: Kubernetes API request failed: GET /version: 403 Forbidden: forbidden: User "system:serviceaccount:kube-system:upgrade-responder" cannot get path "/version" (the service account lacks this permission: apply the RBAC rules of deploy/manifests/upgrade-responder.yaml) (elapsed_ms=N)"#,
            ),
        },
        Case {
            fault: "403 on get namespace kube-system",
            setup: || Setup::rules(all_rules_but("namespaces")),
            expect: Expect::NoReport(
                r#"report not sent: cannot read the cluster facts: Kubernetes API request failed: get namespace kube-system: 403 Forbidden: namespaces "kube-system" is forbidden: User "system:serviceaccount:kube-system:upgrade-responder" cannot get resource "namespaces" in API group "" in the namespace "kube-system" (the service account lacks this permission: apply the RBAC rules of deploy/manifests/upgrade-responder.yaml) (elapsed_ms=N)"#,
            ),
        },
        Case {
            fault: "403 on list nodes",
            setup: || Setup::rules(all_rules_but("nodes")),
            expect: Expect::NoReport(
                r#"report not sent: cannot read the cluster facts: Kubernetes API request failed: list nodes: 403 Forbidden: nodes is forbidden: User "system:serviceaccount:kube-system:upgrade-responder" cannot list resource "nodes" in API group "" at the cluster scope (the service account lacks this permission: apply the RBAC rules of deploy/manifests/upgrade-responder.yaml) (elapsed_ms=N)"#,
            ),
        },
        Case {
            fault: "403 on list deployments in kube-system",
            setup: || Setup::rules(all_rules_but("deployments")),
            expect: Expect::Report {
                warnings: &[
                    r#"Kubernetes API request failed: list deployments in kube-system: 403 Forbidden: deployments.apps is forbidden: User "system:serviceaccount:kube-system:upgrade-responder" cannot list resource "deployments" in API group "apps" in the namespace "kube-system" (the service account lacks this permission: apply the RBAC rules of deploy/manifests/upgrade-responder.yaml); reporting kube-system deployments as unread"#,
                ],
                fields: vec![
                    ("clusteruuid", json!("e0430492-d000-4a92-8557-ca4e45ddcb94")),
                    ("nodeCount", json!(1)),
                    ("os", json!("ubuntu")),
                ],
            },
        },
        Case {
            fault: "403 on list daemonsets in kube-system",
            setup: || Setup::rules(all_rules_but("daemonsets")),
            expect: Expect::Report {
                warnings: &[
                    r#"Kubernetes API request failed: list daemonsets in kube-system: 403 Forbidden: daemonsets.apps is forbidden: User "system:serviceaccount:kube-system:upgrade-responder" cannot list resource "daemonsets" in API group "apps" in the namespace "kube-system" (the service account lacks this permission: apply the RBAC rules of deploy/manifests/upgrade-responder.yaml); reporting kube-system daemonsets as unread"#,
                ],
                fields: vec![
                    ("clusteruuid", json!("e0430492-d000-4a92-8557-ca4e45ddcb94")),
                    ("nodeCount", json!(1)),
                    ("os", json!("ubuntu")),
                ],
            },
        },
        Case {
            fault: "404 for namespace kube-system",
            setup: || Setup {
                no_kube_system: true,
                ..Setup::cluster("k3s-single")
            },
            expect: Expect::NoReport(
                r#"report not sent: cannot read the cluster facts: Kubernetes API request failed: get namespace kube-system: 404 NotFound: namespaces "kube-system" not found (elapsed_ms=N)"#,
            ),
        },
        Case {
            fault: "429 with Retry-After on list nodes",
            setup: || {
                Setup::fault(
                    NODES,
                    ApiFault::TooManyRequests {
                        retry_after_seconds: 1,
                    },
                )
            },
            expect: Expect::NoReport(
                r#"report not sent: cannot read the cluster facts: Kubernetes API request failed: list nodes: 429 Too Many Requests: Too many requests, please try again later. (elapsed_ms=N)"#,
            ),
        },
        Case {
            fault: "500 on every request",
            setup: || Setup::fault("", ApiFault::Status(500)),
            expect: Expect::NoReport(
                r#"report not sent: cannot read the cluster facts: Kubernetes API request failed: GET /version: 500 InternalError: an error on the server ("") has prevented the request from succeeding (elapsed_ms=N)"#,
            ),
        },
        Case {
            fault: "500 on list deployments",
            setup: || Setup::fault(DEPLOYMENTS, ApiFault::Status(500)),
            expect: Expect::Report {
                warnings: &[
                    r#"Kubernetes API request failed: list deployments in kube-system: 500 InternalError: an error on the server ("") has prevented the request from succeeding; reporting kube-system deployments as unread"#,
                ],
                fields: vec![
                    ("clusteruuid", json!("e0430492-d000-4a92-8557-ca4e45ddcb94")),
                    ("nodeCount", json!(1)),
                    ("os", json!("ubuntu")),
                ],
            },
        },
        Case {
            fault: "503 on every request",
            setup: || Setup::fault("", ApiFault::Status(503)),
            expect: Expect::NoReport(
                r#"report not sent: cannot read the cluster facts: Kubernetes API request failed: GET /version: 503 ServiceUnavailable: the server is currently unable to handle the request (elapsed_ms=N)"#,
            ),
        },
        Case {
            fault: "list nodes never answers",
            setup: || Setup::fault(NODES, ApiFault::Hang),
            expect: Expect::NoReport(
                r#"report not sent: cannot read the cluster facts: the Kubernetes API did not answer within 3 seconds (UPGRADE_RESPONDER_API_DEADLINE_SECONDS) (elapsed_ms=N)"#,
            ),
        },
        Case {
            fault: "list nodes cut mid-body",
            setup: || Setup::fault(NODES, ApiFault::CutMidBody),
            expect: Expect::NoReport(
                r#"report not sent: cannot read the cluster facts: Kubernetes API request failed: list nodes: cannot reach the API server: client error (SendRequest): connection error: peer closed connection without sending TLS close_notify: https://docs.rs/rustls/latest/rustls/manual/_03_howto/index.html#unexpected-eof (elapsed_ms=N)"#,
            ),
        },
        Case {
            fault: "list nodes answers malformed JSON",
            setup: || Setup::fault(NODES, ApiFault::MalformedJson),
            expect: Expect::NoReport(
                r#"report not sent: cannot read the cluster facts: Kubernetes API request failed: list nodes: the answer is not the Kubernetes JSON expected: it ends early at line 1 column 40 (elapsed_ms=N)"#,
            ),
        },
        Case {
            fault: "GET /version answers JSON of the wrong shape",
            setup: || Setup::fault("/version", ApiFault::WrongShape),
            expect: Expect::NoReport(
                r#"report not sent: cannot read the cluster facts: Kubernetes API request failed: GET /version: the answer is not the Kubernetes JSON expected: a field has the wrong type at line 1 column 82 (elapsed_ms=N)"#,
            ),
        },
        Case {
            fault: "list nodes answers JSON of the wrong shape",
            setup: || Setup::fault(NODES, ApiFault::WrongShape),
            expect: Expect::NoReport(
                r#"report not sent: cannot read the cluster facts: Kubernetes API request failed: list nodes: the answer is not the Kubernetes JSON expected: a field has the wrong type at line 1 column 52 (elapsed_ms=N)"#,
            ),
        },
        Case {
            fault: "list nodes answers a gigantic page (40 MiB)",
            // A deadline the 40 MiB cannot meet on a busy machine: the
            // limit, not the deadline, must end the read.
            setup: || Setup {
                env: &[("UPGRADE_RESPONDER_API_DEADLINE_SECONDS", "20")],
                ..Setup::fault(NODES, ApiFault::GiganticPage { bytes: GIGANTIC })
            },
            expect: Expect::NoReport(
                r#"report not sent: cannot read the cluster facts: Kubernetes API request failed: list nodes: the answer is larger than the 32 MiB the host reads of one response (lower UPGRADE_RESPONDER_PAGE_SIZE) (elapsed_ms=N)"#,
            ),
        },
        Case {
            fault: "continue token expired (410 Gone)",
            setup: || Setup {
                env: &[("UPGRADE_RESPONDER_PAGE_SIZE", "2")],
                ..Setup {
                    cluster: "k3s-ha",
                    ..Setup::fault(NODES, ApiFault::ExpiredContinue)
                }
            },
            expect: Expect::NoReport(
                r#"report not sent: cannot read the cluster facts: Kubernetes API request failed: list nodes: 410 Expired: The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list. (elapsed_ms=N)"#,
            ),
        },
        Case {
            fault: "a page repeats its continue token (a loop)",
            setup: || Setup {
                env: &[("UPGRADE_RESPONDER_PAGE_SIZE", "2")],
                ..Setup {
                    cluster: "k3s-ha",
                    ..Setup::fault(NODES, ApiFault::RepeatContinue)
                }
            },
            expect: Expect::NoReport(
                r#"report not sent: cannot read the cluster facts: Kubernetes API request failed: list nodes: page 2 repeats an earlier continue token (the list would never end) (elapsed_ms=N)"#,
            ),
        },
        Case {
            fault: "a node without nodeInfo",
            setup: || Setup {
                nodes: Some(|items| {
                    single_node_status(items).remove("nodeInfo");
                }),
                ..Setup::cluster("k3s-single")
            },
            expect: Expect::Report {
                warnings: &[],
                fields: vec![
                    ("clusteruuid", json!("e0430492-d000-4a92-8557-ca4e45ddcb94")),
                    ("nodeCount", json!(1)),
                    ("os", json!("unknown")),
                    ("kernelVersion", json!("unknown")),
                    ("architecture", json!("unknown")),
                ],
            },
        },
        Case {
            fault: "a node with absurd nodeInfo and allocatable",
            setup: || Setup {
                nodes: Some(|items| {
                    let status = single_node_status(items);
                    let info = status["nodeInfo"].as_object_mut().unwrap();
                    info.insert("osImage".into(), Value::from("\u{0}".repeat(1 << 20)));
                    info.insert(
                        "kernelVersion".into(),
                        Value::from("99999999999999999999.1"),
                    );
                    info.insert("architecture".into(), Value::from("pdp-11"));
                    info.insert("kubeletVersion".into(), Value::from("v999999.0.0+k3s1"));
                    status["allocatable"]["cpu"] = Value::from("1e400");
                    status["allocatable"]["memory"] = Value::from("-5Gi");
                }),
                ..Setup::cluster("k3s-single")
            },
            expect: Expect::Report {
                warnings: &[],
                fields: vec![
                    ("clusteruuid", json!("e0430492-d000-4a92-8557-ca4e45ddcb94")),
                    ("nodeCount", json!(1)),
                    ("os", json!("other")),
                    ("kernelVersion", json!("unknown")),
                    ("architecture", json!("other")),
                ],
            },
        },
        Case {
            fault: "zero nodes",
            setup: || Setup {
                nodes: Some(|items| items.clear()),
                ..Setup::cluster("k3s-single")
            },
            expect: Expect::Report {
                warnings: &[],
                fields: vec![
                    ("nodeCount", json!(0)),
                    ("serverNodeCount", json!(0)),
                    ("os", json!("unknown")),
                    ("selinux", json!("unknown")),
                ],
            },
        },
    ]
}

/// A copy of a fixture cluster, changed as `setup` says.
fn fixture(setup: &Setup, dir: &Path) {
    for entry in std::fs::read_dir(cluster_dir(setup.cluster)).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if setup.no_kube_system && name == "kube-system.json" {
            continue;
        }
        // The system namespaces' lists: these faults are about the others.
        if entry.path().is_dir() {
            continue;
        }
        std::fs::copy(entry.path(), dir.join(&name)).unwrap();
    }
    if let Some(change) = setup.nodes {
        let path = dir.join("nodes.json");
        let mut list: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let mut items = list["items"].as_array().unwrap().clone();
        change(&mut items);
        list["items"] = Value::Array(items);
        std::fs::write(&path, serde_json::to_vec(&list).unwrap()).unwrap();
    }
}

/// Runs the host (a dry run, standard fields) against the stand-in set up
/// for `case`.
pub fn run_case(case: &Case) -> Ran {
    let setup = (case.setup)();
    let dir = TempDir::new("api-fault");
    let fixtures = dir.path().join("cluster");
    std::fs::create_dir_all(&fixtures).unwrap();
    fixture(&setup, &fixtures);
    let api = ApiServer::start(&fixtures, setup.options.clone()).unwrap();
    let mut kubeconfig = api.kubeconfig();
    if let Some(change) = setup.kubeconfig {
        kubeconfig = change(&api, kubeconfig);
    }
    let path = dir.path().join("kubeconfig");
    std::fs::write(&path, kubeconfig).unwrap();
    let mut command = host();
    command
        .env(
            "UPGRADE_RESPONDER_API_DEADLINE_SECONDS",
            API_DEADLINE_SECONDS,
        )
        .env("UPGRADE_RESPONDER_FIELD_MODE", "standard")
        .arg("--kubeconfig")
        .arg(&path)
        .arg("--dry-run");
    for (key, value) in setup.env {
        command.env(key, value);
    }
    run(&mut command)
}

/// The messages of the log lines at `level`, with elapsed times and ports
/// normalised.
pub fn messages(ran: &Ran, level: &str) -> Vec<String> {
    let marker = format!(" {level} ");
    ran.stderr
        .lines()
        .filter_map(|line| {
            line.split_once(&marker)
                .map(|(_, message)| normalise(message))
        })
        .collect()
}

fn normalise(message: &str) -> String {
    let message = digits_after(message, "elapsed_ms=", "N");
    digits_after(&message, "127.0.0.1:", "PORT")
}

/// `text` with the digits that follow each `marker` replaced by `with`.
fn digits_after(text: &str, marker: &str, with: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(marker) {
        let after = &rest[at + marker.len()..];
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        out.push_str(&rest[..at + marker.len()]);
        if digits > 0 {
            out.push_str(with);
        }
        rest = &after[digits..];
    }
    out.push_str(rest);
    out
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
    if !messages(ran, "ERROR").is_empty() {
        return Err(format!("an error line for {}", context()));
    }
    let warnings = messages(ran, "WARN");
    match &case.expect {
        Expect::NoReport(line) => {
            if warnings != [*line] {
                return Err(format!("warnings {warnings:#?} for {}", context()));
            }
            if !ran.stdout.is_empty() {
                return Err(format!("a payload for {}", context()));
            }
        }
        Expect::Report {
            warnings: expected,
            fields,
        } => {
            if warnings != *expected {
                return Err(format!("warnings {warnings:#?} for {}", context()));
            }
            let payload: Value = serde_json::from_str(&ran.stdout)
                .map_err(|e| format!("no payload ({e}) for {}", context()))?;
            for (key, value) in fields {
                let found = payload["extraTagInfo"]
                    .get(key)
                    .or_else(|| payload["extraFieldInfo"].get(key));
                if found != Some(value) {
                    return Err(format!(
                        "{key} is {found:?} in {payload} for {}",
                        case.fault
                    ));
                }
            }
        }
    }
    Ok(())
}

#[test]
fn every_api_fault_ends_in_its_exact_outcome_inside_the_deadline() {
    let mut failures = Vec::new();
    eprintln!("| fault | observed | run time |");
    for case in cases() {
        let ran = run_case(&case);
        let mut observed = messages(&ran, "WARN").join(" / ");
        if !ran.stdout.is_empty() {
            observed.push_str(&format!(" payload: {}", ran.stdout.trim()));
        }
        eprintln!(
            "| {} | {} | {} ms |",
            case.fault,
            observed,
            ran.elapsed.as_millis()
        );
        if let Err(why) = check(&case, &ran) {
            failures.push(why);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
