//! One image for the K3s family: with no component setting the host runs
//! the built-in component the cluster's `/version` chooses (`+rke2rN`: the
//! RKE2 one; anything else: the K3s one), says which and why in the summary
//! line, and `builtin:k3s` / `builtin:rke2` override the choice.
//!
//! Expected bodies come from the helpers that pin each component's bytes
//! (`k3s_payload`, `k3s_standard_payload`) or from the RKE2 component run
//! explicitly by path on the same fixture: never a literal here.

use component_artifacts::{
    K3S_REPORTER_CWASM_SHA256, RKE2_REPORTER_CWASM_SHA256, RKE2_REPORTER_PATH,
};

use crate::common::{
    Cluster, Ran, all_clusters, built_in_payload, facts_file, host, is_rke2, k3s_payload,
    responder_for, rke2_payload, run,
};
use crate::components::k3s_standard_payload;

const MODES: [&str; 2] = ["minimal", "standard"];

/// A full run against the API stand-in and the responder stand-in: the
/// body received, the run, and the API request paths in order.
fn report(cluster: &str, settings: &[(&str, &str)]) -> (String, Ran, Vec<String>) {
    let api = Cluster::start(cluster);
    let responder = responder_for(cluster);
    let mut command = host();
    command
        .arg("--kubeconfig")
        .arg(&api.kubeconfig)
        .arg("--endpoint")
        .arg(responder.url());
    for (key, value) in settings {
        command.env(key, value);
    }
    let ran = run(&mut command);
    assert_eq!(ran.code, 0, "{cluster} {settings:?}: {}", ran.stderr);
    assert!(
        ran.log_lines("WARN").is_empty(),
        "{cluster} {settings:?}: {}",
        ran.stderr
    );
    let received = responder.received();
    assert_eq!(received.len(), 1, "{cluster} {settings:?}: one report");
    let stored = received[0].stored.as_ref().expect("the server stores it");
    assert!(
        stored.dropped.is_empty(),
        "{cluster} {settings:?}: the server dropped {:?}",
        stored.dropped
    );
    let paths = api
        .api
        .requests()
        .iter()
        .map(|r| format!("{}?{}", r.path, r.query))
        .collect();
    (
        String::from_utf8_lossy(&received[0].body).into_owned(),
        ran,
        paths,
    )
}

/// What a summary line says of the component: from `nodes=` to the
/// elapsed time, exactly.
fn component_fields(line: &str) -> &str {
    let start = line.find(" nodes=").map_or(0, |i| i + 1);
    let end = line.find(" elapsed_ms=").unwrap_or(line.len());
    &line[start..end]
}

/// The `/version` each fixture serves, as the facts carry it.
fn git_version(cluster: &str) -> String {
    let facts: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(facts_file(cluster)).unwrap()).unwrap();
    facts["server_version"]["git_version"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn with_no_setting_each_fixture_sends_the_payload_of_its_distributions_component() {
    for cluster in all_clusters() {
        let version = git_version(cluster);
        for mode in MODES {
            let (body, ran, paths) = report(cluster, &[("UPGRADE_RESPONDER_FIELD_MODE", mode)]);
            let (component, verdict) = if is_rke2(cluster) {
                ("rke2-reporter", "is RKE2")
            } else {
                ("k3s-reporter", "is not RKE2")
            };
            // The expected body: the K3s component's pinned bytes, or the
            // RKE2 component's, run by path through the same HTTP path.
            let expected = if is_rke2(cluster) {
                let (by_path, _, by_path_paths) = report(
                    cluster,
                    &[
                        ("UPGRADE_RESPONDER_FIELD_MODE", mode),
                        ("UPGRADE_RESPONDER_COMPONENT", RKE2_REPORTER_PATH),
                    ],
                );
                // The choice adds no request and moves none.
                assert_eq!(paths, by_path_paths, "{cluster} {mode}");
                assert_eq!(by_path, rke2_payload(cluster, mode), "{cluster} {mode}");
                by_path
            } else {
                match mode {
                    "minimal" => k3s_payload(cluster).to_string(),
                    _ => k3s_standard_payload(cluster).to_string(),
                }
            };
            assert_eq!(body, expected, "{cluster} {mode}");
            assert!(paths[0].starts_with("/version"), "{cluster}: {paths:?}");
            let info = ran.log_lines("INFO");
            assert_eq!(info.len(), 1, "{cluster} {mode}: {}", ran.stderr);
            let nodes = ran_nodes(info[0]);
            assert_eq!(
                component_fields(info[0]),
                format!(
                    "nodes={nodes} component=built-in {component} component_choice=auto:/version {version} {verdict}"
                ),
                "{cluster} {mode}"
            );
        }
    }
}

/// The `nodes=` value of a summary line.
fn ran_nodes(line: &str) -> String {
    line.split(" nodes=")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .unwrap_or_default()
        .to_string()
}

#[test]
fn a_built_in_setting_overrides_the_clusters_choice() {
    for mode in MODES {
        // K3s's component on the RKE2 cluster: K3s's bytes for that cluster.
        let (body, ran, _) = report(
            "rke2-canal",
            &[
                ("UPGRADE_RESPONDER_FIELD_MODE", mode),
                ("UPGRADE_RESPONDER_COMPONENT", "builtin:k3s"),
            ],
        );
        let expected = match mode {
            "minimal" => k3s_payload("rke2-canal"),
            _ => k3s_standard_payload("rke2-canal"),
        };
        assert_eq!(body, expected, "{mode}");
        assert_eq!(
            component_fields(ran.log_lines("INFO")[0]),
            "nodes=3 component=built-in k3s-reporter component_choice=setting"
        );

        // RKE2's component on a K3s cluster: what it sends there by path.
        let (body, ran, paths) = report(
            "k3s-ha",
            &[
                ("UPGRADE_RESPONDER_FIELD_MODE", mode),
                ("UPGRADE_RESPONDER_COMPONENT", "builtin:rke2"),
            ],
        );
        let (by_path, _, by_path_paths) = report(
            "k3s-ha",
            &[
                ("UPGRADE_RESPONDER_FIELD_MODE", mode),
                ("UPGRADE_RESPONDER_COMPONENT", RKE2_REPORTER_PATH),
            ],
        );
        assert_eq!(body, by_path, "{mode}");
        assert_eq!(body, rke2_payload("k3s-ha", mode), "{mode}");
        assert_ne!(body, k3s_payload("k3s-ha"), "{mode}");
        assert_eq!(paths, by_path_paths, "{mode}");
        assert_eq!(
            component_fields(ran.log_lines("INFO")[0]),
            "nodes=5 component=built-in rke2-reporter component_choice=setting"
        );
    }
}

#[test]
fn an_unknown_built_in_is_refused_with_one_line_before_anything_is_read() {
    let api = Cluster::start("k3s-ha");
    for (how, source) in [("env", "environment"), ("flag", "command line")] {
        let mut command = host();
        command.arg("--kubeconfig").arg(&api.kubeconfig);
        match how {
            "env" => command.env("UPGRADE_RESPONDER_COMPONENT", "builtin:foo"),
            _ => command.arg("--component").arg("builtin:foo"),
        };
        let ran = run(&mut command);
        assert_eq!(ran.code, 2, "{how}: {}", ran.stderr);
        assert_eq!(ran.stderr.lines().count(), 1, "{how}: {}", ran.stderr);
        assert!(
            ran.stderr.trim_end().ends_with(&format!(
                " ERROR UPGRADE_RESPONDER_COMPONENT=\"builtin:foo\" (from {source}) is not valid: expected builtin:k3s or builtin:rke2 (a built-in component), a file path, or empty (the built-in the cluster's version chooses)"
            )),
            "{how}: {}",
            ran.stderr
        );
        assert!(ran.stdout.is_empty(), "{}", ran.stdout);
    }
    assert_eq!(api.api.connection_count(), 0);
}

/// A dry run says which component ran and why, from a facts file too; the
/// JSON log carries the same as fields.
#[test]
fn the_dry_run_and_the_json_log_name_the_chosen_component_and_why() {
    for cluster in all_clusters() {
        let version = git_version(cluster);
        let ran = run(host()
            .arg("--dry-run")
            .arg("--facts")
            .arg(facts_file(cluster)));
        assert_eq!(ran.code, 0, "{cluster}: {}", ran.stderr);
        assert_eq!(ran.stdout, format!("{}\n", built_in_payload(cluster)));
        let (component, verdict) = if is_rke2(cluster) {
            ("rke2-reporter", "is RKE2")
        } else {
            ("k3s-reporter", "is not RKE2")
        };
        let line = ran.log_lines("INFO").last().copied().unwrap_or_default();
        let summary = line.split(" INFO ").nth(1).unwrap_or_default();
        let summary = &summary[..summary.find(" elapsed_ms=").unwrap_or(summary.len())];
        assert_eq!(
            summary,
            format!(
                "dry run: payload printed, nothing sent (payload_bytes={} nodes={} component=built-in {component} component_choice=auto:facts file {version} {verdict} would_send_to=https://k3s-upgrade-responder.rancher.io/v1/checkupgrade",
                ran.stdout.trim_end().len(),
                ran_nodes(line),
            ),
            "{cluster}"
        );

        let ran = run(host()
            .env("UPGRADE_RESPONDER_LOG_FORMAT", "json")
            .arg("--dry-run")
            .arg("--facts")
            .arg(facts_file(cluster)));
        assert_eq!(ran.code, 0, "{cluster}: {}", ran.stderr);
        let last: serde_json::Value =
            serde_json::from_str(ran.stderr.lines().last().unwrap_or_default()).unwrap();
        assert_eq!(last["component"], format!("built-in {component}"), "{last}");
        assert_eq!(
            last["component_choice"],
            format!("auto:facts file {version} {verdict}"),
            "{last}"
        );
    }

    // A real run's summary in JSON.
    let api = Cluster::start("rke2-canal");
    let responder = responder_for("rke2-canal");
    let ran = run(host()
        .env("UPGRADE_RESPONDER_LOG_FORMAT", "json")
        .arg("--kubeconfig")
        .arg(&api.kubeconfig)
        .arg("--endpoint")
        .arg(responder.url()));
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    let line: serde_json::Value =
        serde_json::from_str(ran.stderr.lines().last().unwrap_or_default()).unwrap();
    assert_eq!(line["component"], "built-in rke2-reporter");
    assert_eq!(
        line["component_choice"],
        "auto:/version v1.31.6+rke2r1 is RKE2"
    );
}

/// The pin keeps its meaning for the built-in components: set, it must be
/// the chosen one's.
#[test]
fn a_pin_must_match_the_chosen_built_in_component() {
    let ran = run(host()
        .env(
            "UPGRADE_RESPONDER_COMPONENT_SHA256",
            RKE2_REPORTER_CWASM_SHA256,
        )
        .arg("--dry-run")
        .arg("--facts")
        .arg(facts_file("rke2-canal")));
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    let ran = run(host()
        .env(
            "UPGRADE_RESPONDER_COMPONENT_SHA256",
            RKE2_REPORTER_CWASM_SHA256,
        )
        .arg("--dry-run")
        .arg("--facts")
        .arg(facts_file("k3s-ha")));
    assert_eq!(ran.code, 3, "{}", ran.stderr);
    assert!(
        ran.stderr.contains(&format!(
            "component refused: built-in k3s-reporter has sha256 {K3S_REPORTER_CWASM_SHA256}, not {RKE2_REPORTER_CWASM_SHA256} (UPGRADE_RESPONDER_COMPONENT_SHA256): not loaded"
        )),
        "{}",
        ran.stderr
    );
}

#[test]
fn inspect_and_capabilities_show_the_rule_both_built_ins_and_this_clusters_choice() {
    let rule = "rule: a server gitVersion ending in +rke2rN (N digits) runs rke2-reporter; any other (K3s +k3sN, upstream, unknown, unread) runs k3s-reporter";
    let built_ins = format!(
        "built-in components:\n  builtin:k3s   k3s-reporter   sha256 {K3S_REPORTER_CWASM_SHA256}\n  builtin:rke2  rke2-reporter  sha256 {RKE2_REPORTER_CWASM_SHA256}\n"
    );
    let ran = run(host().arg("inspect"));
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert_eq!(
        ran.stdout,
        format!(
            "component: automatic (UPGRADE_RESPONDER_COMPONENT empty): the built-in component the cluster's version chooses\n{rule}\n{built_ins}this cluster: not read (give --facts FILE or --kubeconfig FILE to see which one it runs; `inspect builtin:k3s` or `inspect builtin:rke2` inspects one)\n"
        )
    );

    // Given a facts file or a cluster: its choice, why, and that component judged.
    let api = Cluster::start("rke2-canal");
    for (cluster_args, why) in [
        (
            vec![
                "--facts".to_string(),
                facts_file("rke2-canal").display().to_string(),
            ],
            "auto:facts file v1.31.6+rke2r1 is RKE2",
        ),
        (
            vec![
                "--kubeconfig".to_string(),
                api.kubeconfig.display().to_string(),
            ],
            "auto:/version v1.31.6+rke2r1 is RKE2",
        ),
    ] {
        let ran = run(host().arg("inspect").args(&cluster_args));
        assert_eq!(ran.code, 0, "{}", ran.stderr);
        let expected_head = format!(
            "{built_ins}this cluster: {why}: builtin:rke2 (rke2-reporter)\nbuilt-in rke2-reporter (this cluster's choice)\nsha256: {RKE2_REPORTER_CWASM_SHA256}\n"
        );
        assert!(ran.stdout.contains(&expected_head), "{}", ran.stdout);
        assert!(
            ran.stdout
                .ends_with("verdict: fits the reporter world; this host will run it\n"),
            "{}",
            ran.stdout
        );
    }
    // Only `/version` was asked for.
    let paths: Vec<String> = api.api.requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(paths, ["/version"]);

    let ran = run(host()
        .arg("inspect")
        .arg("--facts")
        .arg(facts_file("k3s-gpu")));
    assert!(
        ran.stdout.contains(
            "this cluster: auto:facts file v1.32.2+k3s1 is not RKE2: builtin:k3s (k3s-reporter)\n"
        ),
        "{}",
        ran.stdout
    );

    // A built-in by name, and a name that is none.
    let ran = run(host().arg("inspect").arg("builtin:k3s"));
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert!(
        ran.stdout.starts_with(&format!(
            "built-in k3s-reporter (named)\nsha256: {K3S_REPORTER_CWASM_SHA256}\n"
        )),
        "{}",
        ran.stdout
    );
    let ran = run(host().arg("inspect").arg("builtin:foo"));
    assert_eq!(ran.code, 2, "{}", ran.stderr);
    assert!(
        ran.stderr.trim_end().ends_with(
            "inspect builtin:foo: no such built-in component: expected builtin:k3s or builtin:rke2 (a built-in component), a file path, or empty (the built-in the cluster's version chooses)"
        ),
        "{}",
        ran.stderr
    );

    let ran = run(host().arg("capabilities"));
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert!(
        ran.stdout.starts_with(&format!(
            "Component:\n  choice          automatic (UPGRADE_RESPONDER_COMPONENT empty): a server gitVersion ending in +rke2rN (N digits) runs rke2-reporter; any other (K3s +k3sN, upstream, unknown, unread) runs k3s-reporter\n  builtin:k3s     k3s-reporter sha256 {K3S_REPORTER_CWASM_SHA256}\n  builtin:rke2    rke2-reporter sha256 {RKE2_REPORTER_CWASM_SHA256}\n"
        )),
        "{}",
        ran.stdout
    );
    let ran = run(host()
        .arg("capabilities")
        .arg("--json")
        .arg("--component")
        .arg("builtin:rke2"));
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    let json: serde_json::Value = serde_json::from_str(&ran.stdout).unwrap();
    assert_eq!(
        json["component"],
        serde_json::json!({
            "choice": "setting",
            "setting": "builtin:rke2",
            "rule": rule.trim_start_matches("rule: "),
            "built_in": [
                {"name": "builtin:k3s", "component": "k3s-reporter", "sha256": K3S_REPORTER_CWASM_SHA256},
                {"name": "builtin:rke2", "component": "rke2-reporter", "sha256": RKE2_REPORTER_CWASM_SHA256},
            ],
        })
    );
}
