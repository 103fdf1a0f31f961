//! The whole job on each fixture cluster: API stand-in -> host -> component
//! -> upgrade-responder stand-in.

use ur_test_support::{ApiOptions, Rule};

use crate::common::{
    CLUSTERS, Cluster, RAW_CLUSTERS, TempDir, all_clusters, built_in_payload, facts_file, host,
    is_rke2, k3s_payload, raw_facts_file, responder_for, run,
};

#[test]
fn each_fixture_cluster_reports_the_exact_design_record_payload() {
    for cluster in CLUSTERS {
        let api = Cluster::start(cluster);
        let responder = responder_for(cluster);
        let ran = run(host()
            .arg("--kubeconfig")
            .arg(&api.kubeconfig)
            .arg("--endpoint")
            .arg(responder.url()));

        assert_eq!(ran.code, 0, "{cluster}: {}", ran.stderr);
        let received = responder.received();
        assert_eq!(received.len(), 1, "{cluster}: exactly one report");
        let report = &received[0];
        assert_eq!(report.method, "POST");
        assert_eq!(report.path, "/v1/checkupgrade");
        // The built-in component the cluster's version chooses.
        assert_eq!(
            String::from_utf8_lossy(&report.body),
            built_in_payload(cluster),
            "{cluster}"
        );
        assert_eq!(report.header("content-type"), Some("application/json"));
        assert_eq!(
            report.header("user-agent"),
            Some(concat!("upgrade-responder/", env!("CARGO_PKG_VERSION")))
        );
        let stored = report.stored.as_ref().expect("the server stores the point");
        assert!(
            stored.dropped.is_empty(),
            "{cluster}: server dropped {:?}",
            stored.dropped
        );
        if !is_rke2(cluster) {
            assert_eq!(
                stored.tags.keys().collect::<Vec<_>>(),
                ["app_version", "clusteruuid", "kubernetes_version"]
            );
        }
        assert!(
            api.api
                .requests()
                .iter()
                .all(|r| r.token_ok && r.status == 200)
        );

        // One summary line at the default level, naming what an operator needs.
        let info = ran.log_lines("INFO");
        assert_eq!(info.len(), 1, "{cluster}: {}", ran.stderr);
        assert!(info[0].contains("report sent: status=200"), "{}", info[0]);
        assert!(
            info[0].contains(&format!("endpoint={}", responder.url())),
            "{}",
            info[0]
        );
        assert!(ran.log_lines("WARN").is_empty(), "{}", ran.stderr);
    }
}

#[test]
fn the_summary_line_reports_the_answer_and_never_a_downgrade() {
    let api = Cluster::start("k3s-ha");
    let responder = responder_for("k3s-ha");
    let ran = run(host()
        .arg("--kubeconfig")
        .arg(&api.kubeconfig)
        .arg("--endpoint")
        .arg(responder.url()));
    let info = ran.log_lines("INFO");
    assert!(
        info[0].contains(
            "upgrade=available plan_version=v1.32.2+k3s1 target=v1.32.2+k3s1 out_of_reach=none channel=stable"
        ),
        "{}",
        info[0]
    );
    assert!(info[0].contains("next_report_minutes="), "{}", info[0]);

    // k3s-gpu already runs v1.32.2+k3s1, the newest offered: no upgrade.
    let api = Cluster::start("k3s-gpu");
    let ran = run(host()
        .arg("--kubeconfig")
        .arg(&api.kubeconfig)
        .arg("--endpoint")
        .arg(responder.url()));
    let info = ran.log_lines("INFO");
    assert!(
        info[0].contains("upgrade=up-to-date plan_version=none"),
        "{}",
        info[0]
    );
}

#[test]
fn facts_command_prints_exactly_the_shipped_fixture_for_each_cluster() {
    for cluster in all_clusters() {
        let api = Cluster::start(cluster);
        let ran = run(host().arg("facts").arg("--kubeconfig").arg(&api.kubeconfig));
        assert_eq!(ran.code, 0, "{cluster}: {}", ran.stderr);
        let shipped = std::fs::read_to_string(facts_file(cluster)).unwrap();
        assert_eq!(ran.stdout, shipped, "{cluster}");
    }
}

/// The fixtures in the raw form of contract 0.2.0 still read, and reduce to
/// exactly the shipped fixtures, but for the facts of 0.4.0, which the raw
/// form cannot hold: those read as not read (every system namespace unread,
/// the IP stack unknown), never as "none found".
#[test]
fn raw_facts_files_reduce_to_the_shipped_fixtures() {
    for cluster in RAW_CLUSTERS {
        let ran = run(host()
            .arg("facts")
            .arg("--facts")
            .arg(raw_facts_file(cluster)));
        assert_eq!(ran.code, 0, "{cluster}: {}", ran.stderr);
        let shipped = std::fs::read_to_string(facts_file(cluster)).unwrap();
        let mut expected: serde_json::Value = serde_json::from_str(&shipped).unwrap();
        expected["system_workloads"] = serde_json::json!([]);
        expected["unread_namespaces"] = serde_json::json!([
            "CalicoSystem",
            "TigeraOperator",
            "CattleSystem",
            "GpuOperator",
            "KubeAmdGpu",
            "InteldevicepluginsSystem"
        ]);
        expected["ip_stack"] = serde_json::json!("Unknown");
        let reduced: serde_json::Value = serde_json::from_str(&ran.stdout).unwrap();
        assert_eq!(reduced, expected, "{cluster}");
        // And the raw file gives the same payload.
        let ran = run(host()
            .arg("--dry-run")
            .arg("--facts")
            .arg(raw_facts_file(cluster)));
        assert_eq!(ran.code, 0, "{cluster}: {}", ran.stderr);
        assert_eq!(ran.stdout, format!("{}\n", built_in_payload(cluster)));
    }
}

/// The kinds the component asks for are the only lists read: in minimal
/// mode the default component uses node facts only, so the API server sees
/// no deployments or daemonsets request; in standard mode it sees both.
#[test]
fn only_the_facts_the_component_needs_are_read() {
    let expected = [
        (
            "minimal",
            vec![
                "/version",
                "/api/v1/namespaces/kube-system",
                "/api/v1/nodes",
            ],
            "facts needed: minimal: reads version, kube-system UID, nodes",
        ),
        (
            "standard",
            vec![
                "/version",
                "/api/v1/namespaces/kube-system",
                "/api/v1/nodes",
                "/apis/apps/v1/namespaces/kube-system/deployments",
                "/apis/apps/v1/namespaces/kube-system/daemonsets",
                "/apis/apps/v1/namespaces/calico-system/daemonsets",
                "/apis/apps/v1/namespaces/tigera-operator/deployments",
                "/apis/apps/v1/namespaces/cattle-system/deployments",
                "/apis/apps/v1/namespaces/gpu-operator/daemonsets",
                "/apis/apps/v1/namespaces/kube-amd-gpu/daemonsets",
                "/apis/apps/v1/namespaces/inteldeviceplugins-system/daemonsets",
                "/api/v1/namespaces/default/services/kubernetes",
            ],
            "facts needed: standard: reads version, kube-system UID, nodes, kube-system deployments, kube-system daemonsets, calico-system daemonsets, tigera-operator deployments, cattle-system deployments, gpu-operator, kube-amd-gpu, inteldeviceplugins-system daemonsets, the kubernetes service",
        ),
    ];
    for (mode, paths, line) in expected {
        let api = Cluster::start("k3s-ha");
        let ran = run(host()
            .arg("--dry-run")
            .arg("--field-mode")
            .arg(mode)
            .arg("--kubeconfig")
            .arg(&api.kubeconfig));
        assert_eq!(ran.code, 0, "{mode}: {}", ran.stderr);
        let requested: Vec<String> = api.api.requests().into_iter().map(|r| r.path).collect();
        assert_eq!(requested, paths, "{mode}");
        let info = ran.log_lines("INFO");
        assert!(
            info.iter().any(|l| l.ends_with(line)),
            "{mode}: {}",
            ran.stderr
        );
    }
}

#[test]
fn dry_run_prints_the_exact_bytes_and_sends_nothing() {
    let api = Cluster::start("k3s-ha");
    let responder = responder_for("k3s-ha");
    let ran = run(host()
        .arg("--dry-run")
        .arg("--kubeconfig")
        .arg(&api.kubeconfig)
        .arg("--endpoint")
        .arg(responder.url()));
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert_eq!(ran.stdout, format!("{}\n", k3s_payload("k3s-ha")));
    assert_eq!(responder.connection_count(), 0);
    let info = ran.log_lines("INFO");
    assert_eq!(info.len(), 3, "{}", ran.stderr);
    assert!(
        info[0].contains(
            "sandbox granted: no HTTP (dry run), 1 request(s), 32 MiB memory, 30 s deadline"
        ),
        "{}",
        info[0]
    );
    assert!(
        info[0].contains("imports: cli/environment, cli/exit, "),
        "{}",
        info[0]
    );
    assert!(info[0].contains(", http/outgoing-handler, "), "{}", info[0]);
    assert!(
        info[1].ends_with("facts needed: minimal: reads version, kube-system UID, nodes"),
        "{}",
        info[1]
    );
    assert!(
        info[2].contains("dry run: payload printed, nothing sent"),
        "{}",
        info[2]
    );
}

#[test]
fn facts_from_a_file_give_the_same_payload_as_the_cluster() {
    for cluster in CLUSTERS {
        let ran = run(host()
            .arg("--dry-run")
            .arg("--facts")
            .arg(facts_file(cluster)));
        assert_eq!(ran.code, 0, "{cluster}: {}", ran.stderr);
        assert_eq!(
            ran.stdout,
            format!("{}\n", built_in_payload(cluster)),
            "{cluster}"
        );
    }
}

#[test]
fn opted_out_contacts_neither_the_api_nor_the_endpoint() {
    let api = Cluster::start("k3s-ha");
    let responder = responder_for("k3s-ha");
    // Even with settings that would fail, nothing else is looked at.
    let ran = run(host()
        .env("UPGRADE_RESPONDER_ENABLED", "false")
        .env("UPGRADE_RESPONDER_COMPONENT", "/nonexistent.wasm")
        .env("UPGRADE_RESPONDER_ENDPOINT", responder.url())
        .arg("--kubeconfig")
        .arg(&api.kubeconfig));
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert_eq!(api.api.connection_count(), 0);
    assert_eq!(responder.connection_count(), 0);
    assert!(ran.stdout.is_empty());
    let info = ran.log_lines("INFO");
    assert_eq!(info.len(), 1);
    assert!(
        info[0].contains("disabled (UPGRADE_RESPONDER_ENABLED=false from environment): nothing read, nothing sent"),
        "{}",
        info[0]
    );
}

#[test]
fn opt_out_from_a_mounted_configmap_overrides_the_packaged_default() {
    let dirs = TempDir::new("configmaps");
    let (packaged, user) = (dirs.path().join("defaults"), dirs.path().join("overrides"));
    std::fs::create_dir_all(&packaged).unwrap();
    std::fs::create_dir_all(&user).unwrap();
    std::fs::write(packaged.join("UPGRADE_RESPONDER_ENABLED"), "true").unwrap();
    std::fs::write(user.join("UPGRADE_RESPONDER_ENABLED"), "false\n").unwrap();
    let api = Cluster::start("k3s-single");
    let responder = responder_for("k3s-single");
    let ran = run(host()
        .env(
            "UPGRADE_RESPONDER_CONFIG_DIRS",
            format!("{}:{}", packaged.display(), user.display()),
        )
        .arg("--kubeconfig")
        .arg(&api.kubeconfig)
        .arg("--endpoint")
        .arg(responder.url()));
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert_eq!(api.api.connection_count(), 0);
    assert_eq!(responder.connection_count(), 0);
    assert!(ran.stderr.contains(&format!(
        "disabled (UPGRADE_RESPONDER_ENABLED=false from {}/UPGRADE_RESPONDER_ENABLED)",
        user.display()
    )));

    // An explicit environment variable beats both ConfigMaps.
    let ran = run(host()
        .env(
            "UPGRADE_RESPONDER_CONFIG_DIRS",
            format!("{}:{}", packaged.display(), user.display()),
        )
        .env("UPGRADE_RESPONDER_ENABLED", "true")
        .arg("--kubeconfig")
        .arg(&api.kubeconfig)
        .arg("--endpoint")
        .arg(responder.url()));
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert_eq!(responder.received().len(), 1);
}

#[test]
fn nodes_are_listed_in_pages_and_the_result_is_the_same() {
    let api = Cluster::start_with(
        "k3s-ha",
        ApiOptions {
            rules: Some(Rule::client_minimum()),
            ..ApiOptions::default()
        },
    );
    let ran = run(host()
        .env("UPGRADE_RESPONDER_PAGE_SIZE", "2")
        .arg("--dry-run")
        .arg("--kubeconfig")
        .arg(&api.kubeconfig));
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert_eq!(ran.stdout, format!("{}\n", k3s_payload("k3s-ha")));
    let node_pages: Vec<_> = api
        .api
        .requests()
        .into_iter()
        .filter(|r| r.path == "/api/v1/nodes")
        .collect();
    assert_eq!(node_pages.len(), 3, "5 nodes in pages of 2");
    assert!(
        node_pages
            .iter()
            .all(|r| r.query_param("limit").as_deref() == Some("2"))
    );
    assert!(node_pages[0].query_param("continue").is_none());
    assert!(
        node_pages[1..]
            .iter()
            .all(|r| r.query_param("continue").is_some())
    );
    assert!(
        api.api.requests().iter().all(|r| r.status == 200),
        "the minimum RBAC suffices"
    );
}

#[test]
fn configuration_errors_exit_2_with_the_setting_named() {
    let ran = run(host().env("UPGRADE_RESPONDER_ENDPOINT", "ftp://example.com/x"));
    assert_eq!(ran.code, 2);
    assert!(
        ran.stderr.contains(
            "UPGRADE_RESPONDER_ENDPOINT (from environment): endpoint \"ftp://example.com/x\" must be an http or https URL"
        ),
        "{}",
        ran.stderr
    );
    let ran = run(host().env("UPGRADE_RESPONDER_FIELD_MODE", "everything"));
    assert_eq!(ran.code, 2);
    assert!(
        ran.stderr.contains(
            "UPGRADE_RESPONDER_FIELD_MODE=\"everything\" (from environment) is not valid"
        )
    );
    let ran = run(host()
        .arg("--facts")
        .arg("/nonexistent/facts.json")
        .arg("--dry-run"));
    assert_eq!(ran.code, 2);
    assert!(
        ran.stderr
            .contains("cannot read facts file /nonexistent/facts.json"),
        "{}",
        ran.stderr
    );
}

#[test]
fn an_api_that_fails_ends_in_a_warning_and_exit_0() {
    let api = Cluster::start_with(
        "k3s-single",
        ApiOptions {
            fail_with: Some(503),
            ..ApiOptions::default()
        },
    );
    let responder = responder_for("k3s-single");
    let ran = run(host()
        .arg("--kubeconfig")
        .arg(&api.kubeconfig)
        .arg("--endpoint")
        .arg(responder.url()));
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert_eq!(responder.connection_count(), 0);
    let warn = ran.log_lines("WARN");
    assert_eq!(warn.len(), 1, "{}", ran.stderr);
    assert!(warn[0].contains("report not sent: cannot read the cluster facts: Kubernetes API request failed: GET /version"), "{}", warn[0]);
}

#[test]
fn missing_permission_for_nodes_names_the_rbac_fix() {
    let rules: Vec<Rule> = Rule::client_minimum()
        .into_iter()
        .filter(|rule| !matches!(rule, Rule::Resource { resources, .. } if resources.iter().any(|r| r == "nodes")))
        .collect();
    let api = Cluster::start_with(
        "k3s-single",
        ApiOptions {
            rules: Some(rules),
            ..ApiOptions::default()
        },
    );
    let ran = run(host()
        .arg("--dry-run")
        .arg("--kubeconfig")
        .arg(&api.kubeconfig));
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert!(ran.stdout.is_empty());
    let warn = ran.log_lines("WARN");
    assert!(
        warn[0].contains("list nodes: 403 Forbidden: nodes is forbidden: User ")
            && warn[0].contains("(the service account lacks this permission: apply the RBAC rules of deploy/manifests/upgrade-responder.yaml)"),
        "{}",
        warn[0]
    );
}

/// An operator's extra software names: a workload or image that contains
/// one as a word reaches the component by that name; an invalid name is a
/// configuration error before anything is read.
#[test]
fn extra_software_names_extend_the_vocabulary_and_are_checked() {
    let ran = run(host()
        .env("UPGRADE_RESPONDER_EXTRA_SOFTWARE", "bespoke-ingress")
        .arg("facts")
        .arg("--facts")
        .arg(facts_file("rke2-private")));
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    // The shipped fixture says `other`, and a facts file is closed against
    // the vocabulary in force: an extra name does not rename what was read.
    assert!(!ran.stdout.contains("bespoke"), "{}", ran.stdout);

    let api = Cluster::start("rke2-private");
    let ran = run(host()
        .env("UPGRADE_RESPONDER_EXTRA_SOFTWARE", "bespoke-ingress")
        .arg("facts")
        .arg("--kubeconfig")
        .arg(&api.kubeconfig));
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    let facts: serde_json::Value = serde_json::from_str(&ran.stdout).unwrap();
    assert!(
        facts["kube_system_workloads"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!({
                "kind": "Deployment",
                "software": "bespoke-ingress",
                "images": [{"software": "bespoke-ingress", "version": "2.3.1"}]
            })),
        "{}",
        ran.stdout
    );
    assert!(!ran.stdout.contains("acme"), "{}", ran.stdout);

    let ran = run(host()
        .env(
            "UPGRADE_RESPONDER_EXTRA_SOFTWARE",
            "bespoke-ingress,Acme_Ingress",
        )
        .arg("--dry-run")
        .arg("--facts")
        .arg(facts_file("k3s-single")));
    assert_eq!(ran.code, 2, "{}", ran.stderr);
    let error = ran.log_lines("ERROR");
    assert_eq!(error.len(), 1, "{}", ran.stderr);
    assert!(
        error[0].ends_with(
            "UPGRADE_RESPONDER_EXTRA_SOFTWARE (from environment): \"Acme_Ingress\" is not a software name: expected 1 to 40 lowercase letters, digits and inner dashes (not `other` or `unknown`)"
        ),
        "{}",
        error[0]
    );
}
