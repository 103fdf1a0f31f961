//! The contract versions: components built against 0.1.0 and 0.2.0 keep
//! running and send the same bytes from the closed-vocabulary facts, the
//! current contract's upgrade notice reaches the log and the pod's
//! termination message, and `schema` prints what a component declares.

use crate::common::{
    CLUSTERS, Cluster, RAW_CLUSTERS, TempDir, facts_file, host, k3s_payload, raw_facts_file,
    responder_for, run, workspace,
};
use crate::components::older_k3s_standard_payload;

/// The K3s component exactly as it was built against contract 0.1.0.
fn component_0_1_0() -> String {
    workspace()
        .join("tests/fixtures/components/k3s-reporter-0.1.0.wasm")
        .display()
        .to_string()
}

/// The K3s component exactly as it was built against contract 0.3.0
/// (tests/fixtures/components/README.md says how).
pub fn component_0_3_0() -> String {
    workspace()
        .join("tests/fixtures/components/k3s-reporter-0.3.0.wasm")
        .display()
        .to_string()
}

/// The 0.3.0 component gets the current facts field for field (without the
/// 0.4.0 ones) and sends, in both modes, the bytes it always sent.
#[test]
fn a_0_3_0_component_builds_the_same_payloads_as_before() {
    for cluster in CLUSTERS {
        for (mode, expected) in [
            ("minimal", k3s_payload(cluster)),
            ("standard", older_k3s_standard_payload(cluster)),
        ] {
            let ran = run(host()
                .arg("--component")
                .arg(component_0_3_0())
                .arg("--field-mode")
                .arg(mode)
                .arg("--facts")
                .arg(facts_file(cluster))
                .arg("--dry-run"));
            assert_eq!(ran.code, 0, "{}", ran.stderr);
            assert_eq!(ran.stdout.trim_end(), expected, "{cluster} {mode}");
        }
    }
}

/// The K3s component exactly as it was built against contract 0.2.0
/// (tests/fixtures/components/README.md says how).
fn component_0_2_0() -> String {
    workspace()
        .join("tests/fixtures/components/k3s-reporter-0.2.0.wasm")
        .display()
        .to_string()
}

/// The 0.2.0 component, handed the closed values in its own records (one
/// node record per node, canonical OS names, software words), sends in
/// both modes the bytes it sent when it was handed the cluster's own
/// strings, whether the facts come from the 0.3.0 fixtures or the raw ones.
#[test]
fn a_0_2_0_component_builds_the_same_payloads_as_before() {
    for cluster in CLUSTERS {
        for (mode, expected) in [
            ("minimal", k3s_payload(cluster)),
            ("standard", older_k3s_standard_payload(cluster)),
        ] {
            let raw = RAW_CLUSTERS
                .contains(&cluster)
                .then(|| raw_facts_file(cluster));
            for facts in std::iter::once(facts_file(cluster)).chain(raw) {
                let ran = run(host()
                    .arg("--component")
                    .arg(component_0_2_0())
                    .arg("--field-mode")
                    .arg(mode)
                    .arg("--facts")
                    .arg(&facts)
                    .arg("--dry-run"));
                assert_eq!(ran.code, 0, "{}", ran.stderr);
                assert_eq!(
                    ran.stdout.trim_end(),
                    expected,
                    "{cluster} {mode} {facts:?}"
                );
            }
        }
    }
}

/// A component older than 0.3.0 declares no `facts-needed`: it gets every
/// kind, as before, even in minimal mode.
#[test]
fn an_older_component_is_handed_every_kind_of_fact() {
    for component in [component_0_1_0(), component_0_2_0()] {
        let api = Cluster::start("k3s-single");
        let ran = run(host()
            .arg("--component")
            .arg(&component)
            .arg("--dry-run")
            .arg("--kubeconfig")
            .arg(&api.kubeconfig));
        assert_eq!(ran.code, 0, "{}", ran.stderr);
        assert_eq!(ran.stdout.trim_end(), k3s_payload("k3s-single"));
        let requested: Vec<String> = api.api.requests().into_iter().map(|r| r.path).collect();
        assert_eq!(
            requested,
            [
                "/version",
                "/api/v1/namespaces/kube-system",
                "/api/v1/nodes",
                "/apis/apps/v1/namespaces/kube-system/deployments",
                "/apis/apps/v1/namespaces/kube-system/daemonsets",
            ],
            "{component}"
        );
    }
}

#[test]
fn a_0_1_0_component_builds_the_same_payload_as_before() {
    for cluster in ["k3s-single", "k3s-ha", "k3s-gpu"] {
        let ran = run(host()
            .arg("--component")
            .arg(component_0_1_0())
            .arg("--facts")
            .arg(facts_file(cluster))
            .arg("--dry-run"));
        assert_eq!(ran.code, 0, "{}", ran.stderr);
        assert_eq!(ran.stdout.trim_end(), k3s_payload(cluster), "{cluster}");
    }
}

#[test]
fn a_0_1_0_component_reports_and_its_upgrade_claim_is_marked_unchecked() {
    let responder = responder_for("k3s-ha");
    let notice = TempDir::new("notice-0-1-0");
    let ran = run(host()
        .arg("--component")
        .arg(component_0_1_0())
        .arg("--facts")
        .arg(facts_file("k3s-ha"))
        .arg("--endpoint")
        .arg(responder.url())
        .env(
            "UPGRADE_RESPONDER_TERMINATION_MESSAGE_PATH",
            notice.path().join("message"),
        ));
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    let received = responder.received();
    assert_eq!(received.len(), 1);
    assert_eq!(
        String::from_utf8_lossy(&received[0].body),
        k3s_payload("k3s-ha")
    );
    let info = ran.log_lines("INFO");
    assert!(
        info[0].starts_with("report sent: status=200 bytes_sent=")
            || info[0].contains(" INFO report sent: status=200 bytes_sent="),
        "{}",
        info[0]
    );
    assert!(
        info[0].ends_with(
            "; the component read: upgrade=available plan_version=v1.32.2+k3s1 target=v1.32.2+k3s1 out_of_reach=none channel=stable next_report_minutes=60 fixes_by_step=none fixes_by_target=none release_notes=none support_ends=unknown past_end_of_support=false ignored_advisory_values=0"
        ),
        "{}",
        info[0]
    );
    assert_eq!(info.len(), 1, "{}", ran.stderr);
    assert_eq!(
        std::fs::read_to_string(notice.path().join("message")).unwrap(),
        "upgrade available: move to v1.32.2+k3s1 now (Plan version: v1.32.2+k3s1), the target on channel stable"
    );
}

/// What `inspect` prints about the facts a component reads: every kind a
/// contract before 0.3.0 knew, and every kind there is.
const OLDER_KINDS: &str =
    "reads version, kube-system UID, nodes, kube-system deployments, kube-system daemonsets";
const EVERY_KIND: &str = "reads version, kube-system UID, nodes, kube-system deployments, kube-system daemonsets, calico-system daemonsets, tigera-operator deployments, cattle-system deployments, gpu-operator, kube-amd-gpu, inteldeviceplugins-system daemonsets, the kubernetes service";

#[test]
fn inspect_names_the_contract_version_and_the_facts_read_and_accepts_all() {
    for (component, version) in [(component_0_1_0(), "0.1.0"), (component_0_2_0(), "0.2.0")] {
        let ran = run(host().arg("inspect").arg(&component));
        assert_eq!(ran.code, 0, "{}", ran.stdout);
        assert!(
            ran.stdout
                .contains(&format!("upgrade-responder:telemetry/types@{version}")),
            "{}",
            ran.stdout
        );
        for mode in ["minimal", "standard"] {
            assert!(
                ran.stdout.contains(&format!(
                    "\n  {mode}: {OLDER_KINDS} (contract {version} declares none: every kind it knew)\n"
                )),
                "{}",
                ran.stdout
            );
        }
    }
    let current = component_artifacts::K3S_REPORTER_PATH;
    let ran = run(host().arg("inspect").arg(current));
    assert_eq!(ran.code, 0, "{}", ran.stdout);
    assert!(
        ran.stdout
            .contains("upgrade-responder:telemetry/types@0.4.0"),
        "{}",
        ran.stdout
    );
    assert!(ran.stdout.contains("  request-schema\n"), "{}", ran.stdout);
    assert!(ran.stdout.contains("  facts-needed\n"), "{}", ran.stdout);
    assert!(
        ran.stdout.contains(&format!(
            "facts read, per field mode (facts-needed):\n  minimal: reads version, kube-system UID, nodes\n  standard: {EVERY_KIND}\nverdict: fits"
        )),
        "{}",
        ran.stdout
    );
}

#[test]
fn schema_of_a_0_1_0_component_says_to_rebuild_it() {
    let ran = run(host()
        .arg("schema")
        .arg("--component")
        .arg(component_0_1_0()));
    assert_eq!(ran.code, 2, "{}", ran.stderr);
    let error = ran.log_lines("ERROR");
    assert_eq!(error.len(), 1, "{}", ran.stderr);
    assert!(
        error[0].ends_with(&format!(
            "{} was built against contract 0.1.0, which declares no schema: rebuild it with the current SDK",
            component_0_1_0()
        )),
        "{}",
        error[0]
    );
}

#[test]
fn no_termination_message_is_written_where_no_file_waits_for_it() {
    // The default path (/dev/termination-log) does not exist outside a pod:
    // the run must neither create it nor fail.
    let responder = responder_for("k3s-ha");
    let ran = run(host()
        .arg("--facts")
        .arg(facts_file("k3s-ha"))
        .arg("--endpoint")
        .arg(responder.url()));
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert!(!std::path::Path::new("/dev/termination-log").exists());
}

#[test]
fn schema_prints_what_the_component_declares_for_its_server() {
    for (component, file) in [
        (None, "deploy/request-schema/k3s.json"),
        (
            Some(component_artifacts::RKE2_REPORTER_PATH),
            "deploy/request-schema/rke2.json",
        ),
    ] {
        let mut command = host();
        command.arg("schema");
        if let Some(component) = component {
            command.arg("--component").arg(component);
        }
        let ran = run(&mut command);
        assert_eq!(ran.code, 0, "{}", ran.stderr);
        // Byte for byte, keys in the component's order: the file to deploy.
        let deployed = std::fs::read_to_string(workspace().join(file)).unwrap();
        assert_eq!(ran.stdout, deployed, "{file}");
    }
}

#[test]
fn the_current_component_writes_its_notice_to_the_termination_message() {
    let responder = responder_for("k3s-ha");
    let notice = TempDir::new("notice-current");
    let ran = run(host()
        .arg("--facts")
        .arg(facts_file("k3s-ha"))
        .arg("--endpoint")
        .arg(responder.url())
        .env(
            "UPGRADE_RESPONDER_TERMINATION_MESSAGE_PATH",
            notice.path().join("message"),
        ));
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert_eq!(
        std::fs::read_to_string(notice.path().join("message")).unwrap(),
        "upgrade available: move to v1.32.2+k3s1 now (Plan version: v1.32.2+k3s1, released 2025-02-27), the target on channel stable"
    );
}
