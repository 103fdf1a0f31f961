//! The RBAC of the deploy manifest is sufficient and minimal: the API
//! stand-in grants exactly the rules `deploy/manifests/upgrade-responder.yaml`
//! binds to the job's service account (plus what every cluster grants every
//! user), the job reports with them in both field modes, and without any
//! one of them it degrades exactly as documented. The workload rule is
//! needed in `standard` mode only: in `minimal` the default component asks
//! for nodes alone, and the host lists nothing else.

use ur_test_support::{ApiOptions, Behaviour, Responder, ResponseConfig, Rule};

use crate::common::{Cluster, Ran, host, k3s_payload, run, workspace};
use crate::components::k3s_standard_payload;

const CLUSTER: &str = "k3s-ha";
const USER: &str = "system:serviceaccount:kube-system:upgrade-responder";
const HINT: &str = "(the service account lacks this permission: apply the RBAC rules of deploy/manifests/upgrade-responder.yaml)";

fn manifest_rules() -> Vec<Rule> {
    Rule::from_manifest(&workspace().join("deploy/manifests/upgrade-responder.yaml"))
        .expect("the deploy manifest's RBAC loads")
}

/// The manifest's rules as the API server would apply them: plus the
/// bootstrap `system:public-info-viewer` every cluster has (GET /version).
fn effective(rules: Vec<Rule>) -> Vec<Rule> {
    rules
        .into_iter()
        .chain(Rule::public_info_viewer())
        .collect()
}

/// The message of each log line at `level`, without time and level.
fn messages<'a>(ran: &'a Ran, level: &str) -> Vec<&'a str> {
    let marker = format!(" {level} ");
    ran.stderr
        .lines()
        .filter_map(|line| line.split_once(&marker).map(|(_, message)| message))
        .collect()
}

/// `message` without its trailing ` (elapsed_ms=N)` or ` elapsed_ms=N)`.
fn without_elapsed(message: &str) -> &str {
    match message.rfind("elapsed_ms=") {
        Some(at) => message[..at].trim_end_matches([' ', '(']),
        None => message,
    }
}

/// Asserts a warning is exactly `{prefix}: 403 Forbidden: {forbidden}
/// {HINT}{suffix}`: the request, the API server's code, reason and message,
/// then what to do.
fn assert_forbidden(warning: &str, prefix: &str, forbidden: &str, suffix: &str) {
    let expected = format!("{prefix}: 403 Forbidden: {forbidden} {HINT}{suffix}");
    assert_eq!(warning, expected);
}

/// `payload` with the string value of each of `keys` replaced by
/// `unknown`: what the component sends when their facts were not read.
fn with_unknown(payload: &str, keys: &[&str]) -> String {
    let mut payload = payload.to_string();
    for key in keys {
        let start = format!("\"{key}\":\"");
        let at = payload
            .find(&start)
            .unwrap_or_else(|| panic!("{key} is not a string key of {payload}"))
            + start.len();
        let end = at + payload[at..].find('"').unwrap_or(0);
        payload.replace_range(at..end, "unknown");
    }
    payload
}

struct Outcome {
    ran: Ran,
    received: Vec<String>,
    api_statuses: Vec<(String, u16)>,
}

/// One real run (not a dry run) of the job against the fixture cluster with
/// `rules`, in the default field mode, reporting to a stand-in
/// upgrade-responder.
fn run_with(rules: Vec<Rule>) -> Outcome {
    run_in_mode(rules, "minimal")
}

fn run_in_mode(rules: Vec<Rule>, mode: &str) -> Outcome {
    let api = Cluster::start_with(
        CLUSTER,
        ApiOptions {
            rules: Some(rules),
            ..ApiOptions::default()
        },
    );
    let responder = Responder::start(Behaviour::Normal(ResponseConfig::k3s_default())).unwrap();
    let ran = run(host()
        .arg("--field-mode")
        .arg(mode)
        .arg("--kubeconfig")
        .arg(&api.kubeconfig)
        .arg("--endpoint")
        .arg(responder.url()));
    Outcome {
        received: responder
            .received()
            .iter()
            .map(|r| String::from_utf8_lossy(&r.body).into_owned())
            .collect(),
        api_statuses: api
            .api
            .requests()
            .iter()
            .map(|r| (r.path.clone(), r.status))
            .collect(),
        ran,
    }
}

#[test]
fn the_manifest_grants_exactly_the_reads_the_host_makes() {
    assert_eq!(
        manifest_rules(),
        vec![
            Rule::cluster(&[""], &["nodes"], &["list"]),
            Rule::cluster(&["apps"], &["deployments", "daemonsets"], &["list"]),
            Rule::namespaced("kube-system", &[""], &["namespaces"], &["get"])
                .with_names(&["kube-system"]),
            Rule::namespaced("default", &[""], &["services"], &["get"]).with_names(&["kubernetes"]),
        ]
    );
}

#[test]
fn the_manifest_grants_only_reads_of_what_the_host_reads() {
    let reads = [
        "nodes",
        "namespaces",
        "deployments",
        "daemonsets",
        "services",
    ];
    for rule in manifest_rules() {
        match rule {
            Rule::Resource {
                namespace,
                api_groups,
                resources,
                verbs,
                resource_names,
            } => {
                assert!(
                    verbs.iter().all(|v| v == "get" || v == "list"),
                    "only get and list: {verbs:?}"
                );
                assert!(
                    api_groups.iter().all(|g| g.is_empty() || g == "apps"),
                    "{api_groups:?}"
                );
                assert!(
                    resources.iter().all(|r| reads.contains(&r.as_str())),
                    "only what the host reads: {resources:?}"
                );
                // Cluster-wide only where nothing narrower can work: nodes
                // are cluster-scoped, and a RoleBinding cannot be made in a
                // system namespace that does not exist yet (the host lists
                // only its fixed ones: `the_manifest_rules_..._exact_payload`
                // asserts every path). Everything else is one named object.
                match resources.iter().map(String::as_str).collect::<Vec<_>>()[..] {
                    ["nodes"] | ["deployments", "daemonsets"] => {
                        assert_eq!(namespace, None, "{resources:?}")
                    }
                    ["namespaces"] => {
                        assert_eq!(namespace.as_deref(), Some("kube-system"));
                        assert_eq!(resource_names, ["kube-system"]);
                    }
                    ["services"] => {
                        assert_eq!(namespace.as_deref(), Some("default"));
                        assert_eq!(resource_names, ["kubernetes"]);
                    }
                    _ => panic!("unexpected rule for {resources:?}"),
                }
            }
            Rule::NonResource { urls, .. } => {
                panic!("no non-resource rule is needed (/version is public): {urls:?}")
            }
        }
    }
}

#[test]
fn with_the_manifest_rules_the_report_is_sent_with_the_exact_payload() {
    let minimal_reads = [
        "/version",
        "/api/v1/namespaces/kube-system",
        "/api/v1/nodes",
    ];
    let workload_reads = [
        "/apis/apps/v1/namespaces/kube-system/deployments",
        "/apis/apps/v1/namespaces/kube-system/daemonsets",
        "/apis/apps/v1/namespaces/calico-system/daemonsets",
        "/apis/apps/v1/namespaces/tigera-operator/deployments",
        "/apis/apps/v1/namespaces/cattle-system/deployments",
        "/apis/apps/v1/namespaces/gpu-operator/daemonsets",
        "/apis/apps/v1/namespaces/kube-amd-gpu/daemonsets",
        "/apis/apps/v1/namespaces/inteldeviceplugins-system/daemonsets",
        "/api/v1/namespaces/default/services/kubernetes",
    ];
    for (mode, payload, reads) in [
        ("minimal", k3s_payload(CLUSTER), minimal_reads.to_vec()),
        (
            "standard",
            k3s_standard_payload(CLUSTER),
            [minimal_reads.as_slice(), workload_reads.as_slice()].concat(),
        ),
    ] {
        let outcome = run_in_mode(effective(manifest_rules()), mode);
        let ran = &outcome.ran;
        assert_eq!(ran.code, 0, "{}", ran.stderr);
        assert_eq!(outcome.received, [payload]);
        assert!(messages(ran, "WARN").is_empty(), "{}", ran.stderr);
        let info = messages(ran, "INFO");
        assert_eq!(info.len(), 1, "{}", ran.stderr);
        assert!(
            info[0].starts_with("report sent: status=200 "),
            "{}",
            info[0]
        );
        let expected: Vec<(String, u16)> = reads.iter().map(|r| (r.to_string(), 200)).collect();
        assert_eq!(
            outcome.api_statuses, expected,
            "{mode}: every read the host makes is granted, and only what the mode needs is read"
        );
    }
}

/// Each rule of the manifest removed in turn: the run degrades as the
/// README documents, so every rule is needed.
#[test]
fn without_any_one_rule_the_run_degrades_as_documented() {
    let rules = manifest_rules();
    assert_eq!(rules.len(), 4);
    for (index, removed) in rules.iter().enumerate() {
        let mut remaining = rules.clone();
        remaining.remove(index);
        // Standard mode: the one that reads every kind.
        let outcome = run_in_mode(effective(remaining.clone()), "standard");
        let ran = &outcome.ran;
        let Rule::Resource { resources, .. } = removed else {
            panic!("unexpected rule {removed:?}");
        };
        assert_eq!(ran.code, 0, "{resources:?}: {}", ran.stderr);
        let warn: Vec<&str> = messages(ran, "WARN")
            .into_iter()
            .map(without_elapsed)
            .collect();
        match resources.iter().map(String::as_str).collect::<Vec<_>>()[..] {
            ["nodes"] => {
                assert!(outcome.received.is_empty(), "nothing sent");
                assert_eq!(warn.len(), 1, "{}", ran.stderr);
                assert_forbidden(
                    warn[0],
                    "report not sent: cannot read the cluster facts: Kubernetes API request failed: list nodes",
                    &format!(
                        "nodes is forbidden: User \"{USER}\" cannot list resource \"nodes\" in API group \"\" at the cluster scope"
                    ),
                    "",
                );
                assert!(messages(ran, "INFO").is_empty());
            }
            ["namespaces"] => {
                assert!(outcome.received.is_empty(), "nothing sent");
                assert_eq!(warn.len(), 1, "{}", ran.stderr);
                assert_forbidden(
                    warn[0],
                    "report not sent: cannot read the cluster facts: Kubernetes API request failed: get namespace kube-system",
                    &format!(
                        "namespaces \"kube-system\" is forbidden: User \"{USER}\" cannot get resource \"namespaces\" in API group \"\" in the namespace \"kube-system\""
                    ),
                    "",
                );
                assert!(messages(ran, "INFO").is_empty());
            }
            ["deployments", "daemonsets"] => {
                // Optional: reported with what depends on the workloads as
                // `unknown` (not `none`: they were not read).
                let unread = with_unknown(
                    k3s_standard_payload(CLUSTER),
                    &[
                        "cniPlugin",
                        "ingressController",
                        "ingressVersion",
                        "gpuOperator",
                        "gpuOperatorVersion",
                        "rancherManaged",
                        "rancherVersion",
                    ],
                );
                assert_eq!(outcome.received, [unread]);
                let lists = [
                    ("kube-system", "deployments"),
                    ("kube-system", "daemonsets"),
                    ("calico-system", "daemonsets"),
                    ("tigera-operator", "deployments"),
                    ("cattle-system", "deployments"),
                    ("gpu-operator", "daemonsets"),
                    ("kube-amd-gpu", "daemonsets"),
                    ("inteldeviceplugins-system", "daemonsets"),
                ];
                assert_eq!(warn.len(), lists.len(), "{}", ran.stderr);
                for (line, (namespace, kind)) in warn.iter().zip(lists) {
                    assert_forbidden(
                        line,
                        &format!("Kubernetes API request failed: list {kind} in {namespace}"),
                        &format!(
                            "{kind}.apps is forbidden: User \"{USER}\" cannot list resource \"{kind}\" in API group \"apps\" in the namespace \"{namespace}\""
                        ),
                        &format!("; reporting {namespace} {kind} as unread"),
                    );
                }
                let info = messages(ran, "INFO");
                assert_eq!(info.len(), 1, "{}", ran.stderr);
                assert!(
                    info[0].starts_with("report sent: status=200 "),
                    "{}",
                    info[0]
                );
                // In minimal mode the rule is not needed at all.
                let outcome = run_with(effective(remaining));
                assert_eq!(outcome.received, [k3s_payload(CLUSTER)]);
                assert!(
                    messages(&outcome.ran, "WARN").is_empty(),
                    "{}",
                    outcome.ran.stderr
                );
            }
            ["services"] => {
                // Optional: the IP stack is `unknown`, nothing else changes.
                let unread = with_unknown(k3s_standard_payload(CLUSTER), &["ipStack"]);
                assert_eq!(outcome.received, [unread]);
                assert_eq!(warn.len(), 1, "{}", ran.stderr);
                assert_forbidden(
                    warn[0],
                    "Kubernetes API request failed: get service kubernetes in default",
                    &format!(
                        "services \"kubernetes\" is forbidden: User \"{USER}\" cannot get resource \"services\" in API group \"\" in the namespace \"default\""
                    ),
                    "; reporting the IP stack as unknown",
                );
                // In minimal mode the rule is not needed at all.
                let outcome = run_with(effective(remaining));
                assert_eq!(outcome.received, [k3s_payload(CLUSTER)]);
                assert!(
                    messages(&outcome.ran, "WARN").is_empty(),
                    "{}",
                    outcome.ran.stderr
                );
            }
            _ => panic!("a rule the host does not need: {removed:?}"),
        }
    }
}

/// Without the bootstrap public-info rule (a cluster that removed
/// system:public-info-viewer), GET /version fails first.
#[test]
fn version_is_read_through_the_public_info_rule_not_the_manifest() {
    let outcome = run_with(manifest_rules());
    let ran = &outcome.ran;
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert!(outcome.received.is_empty());
    let warn: Vec<&str> = messages(ran, "WARN")
        .into_iter()
        .map(without_elapsed)
        .collect();
    assert_eq!(warn.len(), 1, "{}", ran.stderr);
    assert_forbidden(
        warn[0],
        "report not sent: cannot read the cluster facts: Kubernetes API request failed: GET /version",
        &format!("forbidden: User \"{USER}\" cannot get path \"/version\""),
        "",
    );
}
