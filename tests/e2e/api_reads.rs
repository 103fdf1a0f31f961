//! What reading the cluster costs the API server, and what the host's log
//! says about it: the host asks for gzip, reads thousands of realistic
//! nodes compressed, reports requests and bytes in one debug line, and no
//! debug line names an object or carries a `continue` token.

use serde_json::Value;
use ur_test_support::generated::{self, Generated};
use ur_test_support::{ApiFault, ApiOptions, ApiServer};

use crate::common::{Ran, TempDir, host, run, workspace};

/// A generated cluster served by the stand-in, with its kubeconfig.
struct Served {
    api: ApiServer,
    kubeconfig: std::path::PathBuf,
    generated: Generated,
    _dir: TempDir,
}

fn serve(generated: Generated, options: ApiOptions) -> Served {
    let api = ApiServer::serve(generated.objects.clone(), options).unwrap();
    let dir = TempDir::new("api-reads");
    let kubeconfig = dir.path().join("kubeconfig");
    api.write_kubeconfig(&kubeconfig).unwrap();
    Served {
        api,
        kubeconfig,
        generated,
        _dir: dir,
    }
}

/// The host at debug level against `served`, `args` after the kubeconfig.
fn at_debug(served: &Served, args: &[&str], env: &[(&str, &str)]) -> Ran {
    let mut command = host();
    command
        .env("UPGRADE_RESPONDER_LOG_LEVEL", "debug")
        .envs(env.iter().copied())
        .args(args)
        .arg("--kubeconfig")
        .arg(&served.kubeconfig);
    run(&mut command)
}

/// The values of the host's `api: requests=.. pages=.. bytes_read=..
/// decoded_bytes=..` debug line.
fn api_line(ran: &Ran) -> [u64; 4] {
    let lines: Vec<&str> = ran
        .stderr
        .lines()
        .filter(|l| l.contains(" DEBUG api: requests="))
        .collect();
    assert_eq!(lines.len(), 1, "one api line in:\n{}", ran.stderr);
    ["requests=", "pages=", "bytes_read=", "decoded_bytes="].map(|key| {
        let at = lines[0].find(key).unwrap() + key.len();
        lines[0][at..].split(' ').next().unwrap().parse().unwrap()
    })
}

#[test]
fn the_host_asks_for_gzip_and_reads_5000_realistic_nodes_compressed() {
    let served = serve(
        generated::generate(&workspace(), 5_000).unwrap(),
        ApiOptions::default(),
    );
    let ran = at_debug(&served, &["facts"], &[]);
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    let facts: Value = serde_json::from_str(&ran.stdout).unwrap();
    let nodes: u64 = facts["node_groups"]
        .as_array()
        .map(|groups| groups.iter().filter_map(|g| g["count"].as_u64()).sum())
        .unwrap_or_default();
    assert_eq!(nodes, 5_000, "{}", ran.stdout);

    let requests = served.api.requests();
    for request in &requests {
        assert_eq!(
            request.header("accept-encoding"),
            Some("gzip"),
            "{} {}",
            request.method,
            request.path
        );
    }
    // Every node page (200 nodes, about 1.4 MB) came gzipped: 25 of them.
    let node_pages: Vec<_> = requests
        .iter()
        .filter(|r| r.path == "/api/v1/nodes")
        .collect();
    assert_eq!(node_pages.len(), 25);
    assert!(node_pages.iter().all(|r| r.gzip && r.status == 200));

    // What the host says it read is what the stand-in sent, compressed.
    let [count, pages, bytes_read, decoded_bytes] = api_line(&ran);
    let sent: u64 = requests.iter().map(|r| r.body_bytes as u64).sum();
    let decoded: u64 = requests.iter().map(|r| r.decoded_bytes as u64).sum();
    assert_eq!(count, requests.len() as u64);
    assert_eq!(
        pages, 33,
        "25 node pages, one each for the kube-system deployments and daemonsets, one for each of the 6 system namespaces"
    );
    assert_eq!(bytes_read, sent);
    assert_eq!(decoded_bytes, decoded);
    let node_json = (served.generated.node_bytes * 5_000) as u64;
    assert!(
        decoded_bytes > node_json,
        "decoded {decoded_bytes} bytes, the nodes alone are {node_json}"
    );
    // A compressed read of realistic nodes is a small fraction of them.
    assert!(
        bytes_read * 10 < decoded_bytes,
        "read {bytes_read} bytes for {decoded_bytes} decoded"
    );
}

/// A cluster whose node names are planted, read in pages of two so that
/// several `continue` tokens (each holding a node name) go by.
fn planted() -> Served {
    serve(
        generated::generate_named(&workspace(), 7, "acme-vault-").unwrap(),
        ApiOptions::default(),
    )
}

/// The node names the cluster holds and the continue tokens the host sent.
fn secrets(served: &Served) -> Vec<String> {
    let mut secrets: Vec<String> = served.generated.objects.nodes.as_ref().unwrap()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["metadata"]["name"].as_str().unwrap().to_string())
        .collect();
    assert!(secrets.iter().all(|n| n.starts_with("acme-vault-")));
    let tokens: Vec<String> = served
        .api
        .requests()
        .iter()
        .filter_map(|r| r.query_param("continue"))
        .collect();
    assert!(tokens.len() >= 3, "pages of two: {tokens:?}");
    secrets.extend(tokens);
    secrets.push("acme-vault".to_string());
    secrets
}

fn assert_no_secret(ran: &Ran, secrets: &[String]) {
    for secret in secrets {
        assert!(
            !ran.stderr.contains(secret.as_str()),
            "{secret:?} in the log:\n{}",
            ran.stderr
        );
    }
}

/// `args` at debug level in `format` against a planted cluster: no node
/// name and no continue token in the log.
fn assert_debug_log_names_nothing(args: &[&str], format: &str) {
    let served = planted();
    let ran = at_debug(
        &served,
        args,
        &[
            ("UPGRADE_RESPONDER_PAGE_SIZE", "2"),
            ("UPGRADE_RESPONDER_LOG_FORMAT", format),
        ],
    );
    assert_eq!(ran.code, 0, "{args:?}: {}", ran.stderr);
    // The debug log is on, and says what a developer needs.
    assert!(
        ran.stderr.contains("api: list nodes: pages=4 items=7 "),
        "{}",
        ran.stderr
    );
    assert_no_secret(&ran, &secrets(&served));
}

#[test]
fn no_debug_line_names_a_node_or_carries_a_continue_token() {
    assert_debug_log_names_nothing(&["facts"], "text");
    assert_debug_log_names_nothing(&["--dry-run"], "text");
}

#[test]
fn no_json_debug_line_names_a_node_or_carries_a_continue_token() {
    assert_debug_log_names_nothing(&["facts"], "json");
}

#[test]
fn an_answer_that_quotes_a_node_name_in_the_wrong_place_is_not_quoted_back() {
    let mut generated = generated::generate_named(&workspace(), 3, "acme-vault-").unwrap();
    let nodes = generated.objects.nodes.as_mut().unwrap();
    // A node whose status is a string holding its name: serde's own error
    // would quote the string.
    nodes["items"][1]["status"] = Value::from("acme-vault-agent-00001 is broken");
    let served = serve(generated, ApiOptions::default());
    let ran = at_debug(&served, &["facts"], &[]);
    assert_eq!(ran.code, 1, "{}", ran.stderr);
    assert!(
        ran.stderr.contains(
            "Kubernetes API request failed: list nodes: the answer is not the Kubernetes JSON expected: a field has the wrong type at line 1 column "
        ),
        "{}",
        ran.stderr
    );
    assert_no_secret(&ran, &["acme-vault".to_string()]);
}

#[test]
fn a_gzip_bomb_stops_at_the_bound_on_what_one_answer_inflates_to() {
    // 40 MiB of copies of a node compress to a few hundred KiB: the bound
    // applies to what they inflate to, not only to what came over the wire.
    let served = serve(
        generated::generate(&workspace(), 1).unwrap(),
        ApiOptions {
            faults: vec![(
                "/api/v1/nodes".to_string(),
                ApiFault::GiganticPage { bytes: 40 << 20 },
            )],
            ..ApiOptions::default()
        },
    );
    let ran = at_debug(&served, &["facts"], &[]);
    let nodes = served
        .api
        .requests()
        .into_iter()
        .find(|r| r.path == "/api/v1/nodes")
        .unwrap();
    assert!(nodes.gzip && nodes.body_bytes < (4 << 20), "{nodes:?}");
    assert_eq!(ran.code, 1, "{}", ran.stderr);
    assert!(
        ran.stderr.contains(
            "Kubernetes API request failed: list nodes: the answer is larger than the 32 MiB the host reads of one response (lower UPGRADE_RESPONDER_PAGE_SIZE)"
        ),
        "{}",
        ran.stderr
    );
}
