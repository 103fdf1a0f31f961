//! The privacy proof: every identifying string of the fixture clusters is
//! collected from the API objects themselves, and none may appear in the
//! facts handed to a component, in any payload any shipped component (and
//! the frozen 0.2.0 one) sends in any mode, or in the host's log at the
//! `debug` level. The trap cluster `rke2-private` adds kube-system
//! workloads of its own from a private registry and a node with vendor
//! build strings; every fixture names its organisation `acme`, which must
//! appear nowhere. The one checker: other suites (the `wasmtime run`
//! payloads) use `assert_nothing_identifying`.

use std::collections::BTreeSet;

use serde_json::Value;
use ur_test_support::{Behaviour, Responder, ResponseConfig};

use crate::common::{Cluster, all_clusters, cluster_dir, host, run, workspace};

/// Labels every cluster carries with generic values (`amd64`, `linux`,
/// `k3s`, `true`): not identifying, and some are legitimately reported.
const GENERIC_LABELS: &[&str] = &[
    "beta.kubernetes.io/arch",
    "beta.kubernetes.io/os",
    "beta.kubernetes.io/instance-type",
    "kubernetes.io/arch",
    "kubernetes.io/os",
    "node.kubernetes.io/instance-type",
    "kubernetes.io/metadata.name",
];

/// Public release strings: every node reports the version the payload
/// carries, so these may appear.
const PUBLIC: &[&str] = &[
    "v1.31.6+k3s1",
    "v1.32.2+k3s1",
    "v1.31.6+rke2r1",
    "v1.32.3+rke2r1",
];

/// The workload lists of a fixture: kube-system's, and those of the system
/// namespaces (`namespaces/<namespace>/<plural>.json`), whose names are the
/// host's fixed public words, not the cluster's.
fn workload_files(cluster: &str) -> Vec<String> {
    let mut files = vec![
        "deployments.json".to_string(),
        "daemonsets.json".to_string(),
    ];
    let namespaces = cluster_dir(cluster).join("namespaces");
    for namespace in std::fs::read_dir(&namespaces).into_iter().flatten() {
        let namespace = namespace
            .unwrap()
            .file_name()
            .to_string_lossy()
            .into_owned();
        for plural in ["deployments", "daemonsets"] {
            let file = format!("namespaces/{namespace}/{plural}.json");
            if cluster_dir(cluster).join(&file).is_file() {
                files.push(file);
            }
        }
    }
    files
}

fn read(cluster: &str, file: &str) -> Value {
    serde_json::from_slice(&std::fs::read(cluster_dir(cluster).join(file)).unwrap()).unwrap()
}

/// Parts of a free-text value that name something: host names, domains,
/// addresses, e-mail addresses (a dot, colon or @ between word characters)
/// and names that mix letters and digits (`orion-a1`, `fern-k3s-01`); plus
/// the whole value itself. Plain words (`rancher`, `server`) are not
/// identifying and are left out.
fn tokens(text: &str) -> Vec<String> {
    let mut found: Vec<String> = text
        .split(|c: char| !(c.is_ascii_alphanumeric() || "-.:@_+/".contains(c)))
        .flat_map(|t| t.split('/'))
        .map(|t| t.trim_matches(|c: char| "-.:_+".contains(c)))
        .filter(|t| {
            let names = t.contains(['.', '@', ':'])
                || (t.chars().any(|c| c.is_ascii_digit())
                    && t.chars().any(|c| c.is_ascii_alphabetic()));
            t.len() >= 4 && names
        })
        .map(str::to_string)
        .collect();
    if text.len() >= 8 {
        found.push(text.to_string());
    }
    found
}

/// Every identifying string of one fixture cluster.
fn identifying(cluster: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    // Values that may only cross reduced: never whole.
    let mut whole: Vec<String> = Vec::new();
    let mut add = |text: &str| {
        for token in tokens(text) {
            if !PUBLIC.contains(&token.as_str()) && !token.starts_with("--") {
                found.insert(token);
            }
        }
    };
    for node in read(cluster, "nodes.json")["items"].as_array().unwrap() {
        add(node["metadata"]["name"].as_str().unwrap());
        for address in node["status"]["addresses"].as_array().unwrap() {
            add(address["address"].as_str().unwrap());
        }
        for (key, value) in node["metadata"]["labels"].as_object().unwrap() {
            // Role names are label keys; custom domains are label keys too.
            add(key.trim_start_matches("node-role.kubernetes.io/"));
            if !GENERIC_LABELS.contains(&key.as_str()) {
                add(value.as_str().unwrap_or_default());
            }
        }
        if let Some(annotations) = node["metadata"]["annotations"].as_object() {
            for value in annotations.values() {
                add(value.as_str().unwrap_or_default());
            }
        }
        if let Some(provider) = node["spec"]["providerID"].as_str() {
            add(provider);
        }
        // Build strings cross only as closed values (an OS id and release
        // digits, `major.minor`, a runtime and its version): never whole.
        let info = &node["status"]["nodeInfo"];
        for field in ["osImage", "kernelVersion", "containerRuntimeVersion"] {
            whole.push(info[field].as_str().unwrap().to_string());
        }
    }
    for file in workload_files(cluster) {
        for workload in read(cluster, &file)["items"].as_array().unwrap() {
            let pod = &workload["spec"]["template"]["spec"];
            // What the system namespaces' workloads carry beyond
            // kube-system's usual ones: annotations and env values.
            let system = file.starts_with("namespaces/");
            if let Some(annotations) = workload["metadata"]["annotations"].as_object()
                && system
            {
                for value in annotations.values() {
                    add(value.as_str().unwrap_or_default());
                }
            }
            for list in ["containers", "initContainers"] {
                for container in pod[list].as_array().into_iter().flatten() {
                    // The env of a workload (the Rancher agent's server URL
                    // and installation UUID) is never read.
                    let env = container["env"].as_array().filter(|_| system);
                    for variable in env.into_iter().flatten() {
                        if let Some(value) = variable["value"].as_str() {
                            add(value);
                        }
                    }
                    let image = container["image"].as_str().unwrap();
                    // A reference crosses as a software name and version
                    // digits; its repository and tag text never.
                    whole.push(image.to_string());
                    let name = image.split('@').next().unwrap_or(image);
                    if let Some((repository, _)) = name.rsplit_once(':')
                        && repository.contains('/')
                    {
                        whole.push(repository.to_string());
                    }
                    // The registry host: the first path part with a dot or port.
                    if let Some((first, _)) = image.split_once('/')
                        && (first.contains('.') || first.contains(':'))
                    {
                        add(first);
                    }
                }
            }
            if let Some(namespace) = workload["metadata"]["namespace"].as_str()
                && namespace != "kube-system"
                && !file.starts_with("namespaces/")
            {
                add(namespace);
            }
        }
    }
    found.extend(whole);
    // The role and domain names of the generic Kubernetes labels are not
    // identifying; neither are the words every kubeconfig and node carries.
    for generic in [
        "control-plane",
        "master",
        "worker",
        "kubernetes.io",
        // The distributions' own names (providerID `k3s://...`, instance type).
        "k3s",
        "rke2",
    ] {
        found.remove(generic);
    }
    found
}

/// The organisation every fixture invents (`acme-corp.example`, `Acme
/// Linux`, `acme/bespoke-ingress`, `containerd://1.7.23-acme.3`): in no
/// spelling may it cross.
const ORGANISATION: &str = "acme";

fn assert_clean(cluster: &str, what: &str, text: &str, identifying: &BTreeSet<String>) {
    for token in identifying {
        assert!(
            !text.contains(token.as_str()),
            "{cluster}: {what} contains {token:?}:\n{text}"
        );
    }
    assert!(
        !text.to_ascii_lowercase().contains(ORGANISATION),
        "{cluster}: {what} names the organisation ({ORGANISATION:?}):\n{text}"
    );
}

/// `text` (a payload, a log) holds nothing identifying of `cluster`.
pub fn assert_nothing_identifying(cluster: &str, what: &str, text: &str) {
    assert_clean(cluster, what, text, &identifying(cluster));
}

#[test]
fn the_planted_identifiers_are_among_those_collected() {
    let all: BTreeSet<String> = all_clusters().flat_map(identifying).collect();
    for planted in [
        "https://rancher.lab.acme-corp.example",
        "0f8e2d4c-6b1a-4937-8e5d-2c4b6a8f0e1d",
        "registry.acme-corp.example/acme/gpu-slicer:1.0.0-acme",
        "jane.doe@acme-corp.example",
        "registry.acme-corp.example/acme/bespoke-ingress:2.3.1-acme",
        "registry.acme-corp.example/acme/bespoke-ingress",
        "Acme Linux 9.4 (build acme-20250101)",
        "5.14.0-427.acme.el9_4.x86_64",
        "containerd://1.7.23-acme.3",
        "jane.roe@acme-corp.example",
        "orion-a1",
        "10.20.30.11",
        "acme-batch",
        "registry.acme-corp.example:5000",
        "rke-srv-01.dc1.acme-corp.example",
        "k3s-api.orion.acme-corp.example",
        "gpu.acme-corp.example/a100-slice",
    ] {
        assert!(
            all.iter()
                .any(|t| t.contains(planted) || planted.contains(t.as_str())),
            "{planted} was not collected"
        );
    }
}

#[test]
fn nothing_identifying_reaches_the_component_the_payloads_or_the_log() {
    let frozen = workspace().join("tests/fixtures/components/k3s-reporter-0.2.0.wasm");
    let components = [
        ("k3s-reporter", component_artifacts::K3S_REPORTER_PATH),
        ("rke2-reporter", component_artifacts::RKE2_REPORTER_PATH),
        ("k3s-reporter 0.2.0", frozen.to_str().unwrap()),
    ];
    for cluster in all_clusters() {
        let identifying = identifying(cluster);
        assert!(identifying.len() > 10, "{cluster}: {identifying:?}");
        let api = Cluster::start(cluster);

        // What the component is handed: exactly what `facts` prints.
        let facts = run(host()
            .env("UPGRADE_RESPONDER_LOG_LEVEL", "debug")
            .arg("facts")
            .arg("--kubeconfig")
            .arg(&api.kubeconfig));
        assert_eq!(facts.code, 0, "{}", facts.stderr);
        assert_clean(cluster, "the facts", &facts.stdout, &identifying);
        assert_clean(cluster, "the facts log", &facts.stderr, &identifying);

        for (name, component) in components {
            for mode in ["minimal", "standard"] {
                let responder =
                    Responder::start(Behaviour::Normal(ResponseConfig::k3s_default())).unwrap();
                let ran = run(host()
                    .env("UPGRADE_RESPONDER_COMPONENT", component)
                    .env("UPGRADE_RESPONDER_FIELD_MODE", mode)
                    .env("UPGRADE_RESPONDER_LOG_LEVEL", "debug")
                    .arg("--kubeconfig")
                    .arg(&api.kubeconfig)
                    .arg("--endpoint")
                    .arg(responder.url()));
                assert_eq!(ran.code, 0, "{}", ran.stderr);
                let received = responder.received();
                assert_eq!(received.len(), 1, "{cluster} {name} {mode}: {}", ran.stderr);
                let body = String::from_utf8_lossy(&received[0].body).into_owned();
                assert_clean(
                    cluster,
                    &format!("{name} {mode} payload"),
                    &body,
                    &identifying,
                );
                assert_clean(
                    cluster,
                    &format!("{name} {mode} log"),
                    &ran.stderr,
                    &identifying,
                );
                assert!(ran.stdout.is_empty());
            }
        }
    }
}
