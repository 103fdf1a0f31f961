//! The shipped components: the RKE2 component's payload, both field modes
//! of the default one on every fixture, switching components by setting
//! alone, and each component's `wasmtime run` path agreeing with the host.

use std::path::Path;

use component_artifacts::{COMPONENTS, RKE2_REPORTER_PATH};
use ur_test_support::{StoredPoint, wasmtime_run};

use crate::common::{
    CLUSTERS, Cluster, TempDir, facts_file, host, is_rke2, k3s_payload, responder_for, run,
};
use crate::privacy::assert_nothing_identifying;

const MODES: [&str; 2] = ["minimal", "standard"];

/// The standard body the K3s component sent before contract 0.4.0 (what a
/// 0.1.0, 0.2.0 or 0.3.0 component still sends: they never receive the
/// 0.4.0 facts).
pub fn older_k3s_standard_payload(cluster: &str) -> &'static str {
    match cluster {
        "k3s-single" => {
            r#"{"appVersion":"v1.31.6+k3s1","extraTagInfo":{"kubernetesVersion":"v1.31.6","clusteruuid":"e0430492-d000-4a92-8557-ca4e45ddcb94","os":"ubuntu","kernelVersion":"6.8","architecture":"amd64","cniPlugin":"flannel","cniPluginVersion":"unknown","ingressController":"traefik","selinux":"disabled","gpuVendor":"none"},"extraFieldInfo":{"nodeCount":1,"serverNodeCount":1,"agentNodeCount":0,"gpuNodeCount":0}}"#
        }
        "k3s-ha" => {
            r#"{"appVersion":"v1.31.6+k3s1","extraTagInfo":{"kubernetesVersion":"v1.31.6","clusteruuid":"2f06cc1a-6788-4fa1-b89e-732bd797902b","os":"ubuntu","kernelVersion":"6.8","architecture":"amd64","cniPlugin":"flannel","cniPluginVersion":"unknown","ingressController":"traefik","selinux":"disabled","gpuVendor":"none"},"extraFieldInfo":{"nodeCount":5,"serverNodeCount":3,"agentNodeCount":2,"gpuNodeCount":0}}"#
        }
        "rke2-canal" => {
            r#"{"appVersion":"v1.31.6+rke2r1","extraTagInfo":{"kubernetesVersion":"v1.31.6","clusteruuid":"98e10cbe-b8e7-4831-878d-f6677a4594c3","os":"rocky","kernelVersion":"5.14","architecture":"amd64,arm64","cniPlugin":"canal","cniPluginVersion":"v3.29.1","ingressController":"ingress-nginx","selinux":"mixed","gpuVendor":"none"},"extraFieldInfo":{"nodeCount":3,"serverNodeCount":1,"agentNodeCount":2,"gpuNodeCount":0}}"#
        }
        "k3s-gpu" => {
            r#"{"appVersion":"v1.32.2+k3s1","extraTagInfo":{"kubernetesVersion":"v1.32.2","clusteruuid":"0e523211-d8c6-4857-ae85-3fea25a64205","os":"ubuntu","kernelVersion":"5.15","architecture":"amd64","cniPlugin":"flannel","cniPluginVersion":"unknown","ingressController":"traefik","selinux":"disabled","gpuVendor":"mixed"},"extraFieldInfo":{"nodeCount":4,"serverNodeCount":1,"agentNodeCount":3,"gpuNodeCount":3}}"#
        }
        "rke2-calico" => {
            r#"{"appVersion":"v1.32.3+rke2r1","extraTagInfo":{"kubernetesVersion":"v1.32.3","clusteruuid":"c6a0e2b4-81d3-4f57-a9c1-3e5b7d9f0a2c","os":"ubuntu","kernelVersion":"5.15","architecture":"amd64","cniPlugin":"flannel","cniPluginVersion":"unknown","ingressController":"ingress-nginx","selinux":"mixed","gpuVendor":"none"},"extraFieldInfo":{"nodeCount":5,"serverNodeCount":3,"agentNodeCount":2,"gpuNodeCount":0}}"#
        }
        other => panic!("no expected payload for {other}"),
    }
}

/// The exact body of the K3s component in the `standard` field mode
/// (a development build: `dev` is true; a release image sends false).
pub fn k3s_standard_payload(cluster: &str) -> &'static str {
    match cluster {
        "k3s-single" => {
            r#"{"appVersion":"v1.31.6+k3s1","extraTagInfo":{"kubernetesVersion":"v1.31.6","clusteruuid":"e0430492-d000-4a92-8557-ca4e45ddcb94","os":"ubuntu","kernelVersion":"6.8","architecture":"amd64","cniPlugin":"flannel","cniPluginVersion":"unknown","ingressController":"traefik","selinux":"disabled","gpuVendor":"none","mode":"standard","operatingSystem":"linux","nodeInfoConsistent":"true","ingressVersion":"v3.3.2","gpuOperator":"none","gpuOperatorVersion":"none","rancherManaged":"false","rancherVersion":"none","ipStack":"ipv4-only"},"extraFieldInfo":{"nodeCount":1,"serverNodeCount":1,"agentNodeCount":0,"gpuNodeCount":0,"serverCPUCores":4,"agentCPUCores":0,"serverMemoryGib":8,"agentMemoryGib":0,"dev":true}}"#
        }
        "k3s-ha" => {
            r#"{"appVersion":"v1.31.6+k3s1","extraTagInfo":{"kubernetesVersion":"v1.31.6","clusteruuid":"2f06cc1a-6788-4fa1-b89e-732bd797902b","os":"ubuntu","kernelVersion":"6.8","architecture":"amd64","cniPlugin":"flannel","cniPluginVersion":"unknown","ingressController":"traefik","selinux":"disabled","gpuVendor":"none","mode":"standard","operatingSystem":"linux","nodeInfoConsistent":"false","ingressVersion":"v3.3.2","gpuOperator":"none","gpuOperatorVersion":"none","rancherManaged":"true","rancherVersion":"v2.11","ipStack":"ipv4-only"},"extraFieldInfo":{"nodeCount":5,"serverNodeCount":3,"agentNodeCount":2,"gpuNodeCount":0,"serverCPUCores":12,"agentCPUCores":24,"serverMemoryGib":48,"agentMemoryGib":94,"dev":true}}"#
        }
        "rke2-canal" => {
            r#"{"appVersion":"v1.31.6+rke2r1","extraTagInfo":{"kubernetesVersion":"v1.31.6","clusteruuid":"98e10cbe-b8e7-4831-878d-f6677a4594c3","os":"rocky","kernelVersion":"5.14","architecture":"amd64,arm64","cniPlugin":"canal","cniPluginVersion":"v3.29.1","ingressController":"ingress-nginx","selinux":"mixed","gpuVendor":"none","mode":"standard","operatingSystem":"linux","nodeInfoConsistent":"false","ingressVersion":"v1.12.0","gpuOperator":"none","gpuOperatorVersion":"none","rancherManaged":"false","rancherVersion":"none","ipStack":"ipv4-only"},"extraFieldInfo":{"nodeCount":3,"serverNodeCount":1,"agentNodeCount":2,"gpuNodeCount":0,"serverCPUCores":8,"agentCPUCores":8,"serverMemoryGib":15,"agentMemoryGib":22,"dev":true}}"#
        }
        "k3s-gpu" => {
            r#"{"appVersion":"v1.32.2+k3s1","extraTagInfo":{"kubernetesVersion":"v1.32.2","clusteruuid":"0e523211-d8c6-4857-ae85-3fea25a64205","os":"ubuntu","kernelVersion":"5.15","architecture":"amd64","cniPlugin":"flannel","cniPluginVersion":"unknown","ingressController":"traefik","selinux":"disabled","gpuVendor":"mixed","mode":"standard","operatingSystem":"linux","nodeInfoConsistent":"true","ingressVersion":"v3.3.2","gpuOperator":"nvidia-gpu-operator","gpuOperatorVersion":"v0.17.0","rancherManaged":"false","rancherVersion":"none","ipStack":"dual-stack"},"extraFieldInfo":{"nodeCount":4,"serverNodeCount":1,"agentNodeCount":3,"gpuNodeCount":3,"serverCPUCores":4,"agentCPUCores":128,"serverMemoryGib":8,"agentMemoryGib":882,"dev":true}}"#
        }
        "rke2-calico" => {
            r#"{"appVersion":"v1.32.3+rke2r1","extraTagInfo":{"kubernetesVersion":"v1.32.3","clusteruuid":"c6a0e2b4-81d3-4f57-a9c1-3e5b7d9f0a2c","os":"ubuntu","kernelVersion":"5.15","architecture":"amd64","cniPlugin":"calico","cniPluginVersion":"v3.29.2","ingressController":"ingress-nginx","selinux":"mixed","gpuVendor":"none","mode":"standard","operatingSystem":"linux","nodeInfoConsistent":"true","ingressVersion":"v1.12.0","gpuOperator":"none","gpuOperatorVersion":"none","rancherManaged":"true","rancherVersion":"v2.10","ipStack":"ipv4-only"},"extraFieldInfo":{"nodeCount":5,"serverNodeCount":3,"agentNodeCount":2,"gpuNodeCount":0,"serverCPUCores":24,"agentCPUCores":32,"serverMemoryGib":93,"agentMemoryGib":126,"dev":true}}"#
        }
        other => panic!("no expected payload for {other}"),
    }
}

fn k3s_expected(cluster: &str, mode: &str) -> &'static str {
    match mode {
        "minimal" => k3s_payload(cluster),
        _ => k3s_standard_payload(cluster),
    }
}

/// The RKE2 component on the RKE2 fixture: seed 001's payload, with
/// `cni-plugin` and `os` as tags (InfluxDB, behind the server, groups by tags only).
const RKE2_CANAL_MINIMAL: &str = r#"{"appVersion":"v1.31.6+rke2r1","extraTagInfo":{"kubernetesVersion":"v1.31.6","clusteruuid":"98e10cbe-b8e7-4831-878d-f6677a4594c3","cni-plugin":"canal","os":"rocky"},"extraFieldInfo":{"nodeCount":3,"serverNodeCount":1,"agentNodeCount":2}}"#;
const RKE2_CANAL_STANDARD: &str = r#"{"appVersion":"v1.31.6+rke2r1","extraTagInfo":{"kubernetesVersion":"v1.31.6","clusteruuid":"98e10cbe-b8e7-4831-878d-f6677a4594c3","cni-plugin":"canal","os":"rocky","kernelVersion":"5.14","architecture":"amd64,arm64","cniPluginVersion":"v3.29.1","ingressController":"ingress-nginx","selinux":"mixed","gpuVendor":"none","mode":"standard","operatingSystem":"linux","nodeInfoConsistent":"false","ingressVersion":"v1.12.0","gpuOperator":"none","gpuOperatorVersion":"none","rancherManaged":"false","rancherVersion":"none","ipStack":"ipv4-only"},"extraFieldInfo":{"nodeCount":3,"serverNodeCount":1,"agentNodeCount":2,"gpuNodeCount":0,"serverCPUCores":8,"agentCPUCores":8,"serverMemoryGib":15,"agentMemoryGib":22,"dev":true}}"#;

/// One full run against the API stand-in; returns the body the
/// upgrade-responder stand-in received and what it would store.
fn report(
    cluster: &str,
    configure: impl FnOnce(&mut std::process::Command),
) -> (String, StoredPoint) {
    let api = Cluster::start(cluster);
    let responder = responder_for(cluster);
    let mut command = host();
    command
        .arg("--kubeconfig")
        .arg(&api.kubeconfig)
        .arg("--endpoint")
        .arg(responder.url());
    configure(&mut command);
    let ran = run(&mut command);
    assert_eq!(ran.code, 0, "{cluster}: {}", ran.stderr);
    assert!(
        ran.log_lines("WARN").is_empty(),
        "{cluster}: {}",
        ran.stderr
    );
    let received = responder.received();
    assert_eq!(received.len(), 1, "{cluster}: exactly one report");
    let stored = received[0]
        .stored
        .clone()
        .expect("the server stores the point");
    assert!(
        stored.dropped.is_empty(),
        "{cluster}: the server dropped {:?}",
        stored.dropped
    );
    (
        String::from_utf8_lossy(&received[0].body).into_owned(),
        stored,
    )
}

/// `--dry-run --facts` of the shipped fixture: the payload printed.
fn dry_run(cluster: &str, component: Option<&str>, mode: &str) -> String {
    let mut command = host();
    command
        .arg("--dry-run")
        .arg("--facts")
        .arg(facts_file(cluster))
        .arg("--field-mode")
        .arg(mode);
    if let Some(component) = component {
        command.arg("--component").arg(component);
    }
    let ran = run(&mut command);
    assert_eq!(ran.code, 0, "{cluster} {mode}: {}", ran.stderr);
    ran.stdout
}

/// Every tag value the shipped components may send, besides versions and the
/// cluster UUID: the payload says nothing as the cluster spelled it.
fn assert_values_come_from_the_vocabulary(cluster: &str, body: &str) {
    let allowed = [
        "unknown",
        "other",
        "none",
        "mixed",
        "enabled",
        "disabled",
        "ubuntu",
        "debian",
        "rocky",
        "sles",
        "amd64",
        "arm64",
        "amd64,arm64",
        "flannel",
        "canal",
        "traefik",
        "ingress-nginx",
        "nvidia",
        "amd",
        "calico",
        // The family bundle's words (README, "Fields and modes").
        "standard",
        "linux",
        "true",
        "false",
        "nvidia-gpu-operator",
        "amd-gpu-operator",
        "intel-device-plugins",
        "ipv4-only",
        "ipv6-only",
        "dual-stack",
    ];
    let json: serde_json::Value = serde_json::from_str(body).unwrap();
    for (key, value) in json["extraTagInfo"].as_object().unwrap() {
        let value = value.as_str().unwrap();
        let versionlike =
            value.starts_with('v') || value.chars().all(|c| c.is_ascii_digit() || c == '.');
        let fine = match key.as_str() {
            "clusteruuid" => value.len() == 36,
            "kubernetesVersion" | "kernelVersion" | "cniPluginVersion" => {
                versionlike || value == "unknown"
            }
            // Of software that may not run at all.
            "ingressVersion" | "gpuOperatorVersion" | "rancherVersion" => {
                versionlike || value == "unknown" || value == "none"
            }
            _ => allowed.contains(&value),
        };
        assert!(
            fine,
            "{cluster}: {key}={value:?} is not from the vocabulary"
        );
    }
}

#[test]
fn the_default_component_sends_each_mode_exactly_on_every_fixture() {
    for cluster in CLUSTERS {
        for mode in MODES {
            // On an RKE2 cluster the K3s component runs only when named
            // (`built_in_choice.rs` covers what runs there by default).
            let named = is_rke2(cluster).then_some("builtin:k3s");
            let (body, stored) = report(cluster, |command| {
                command.env("UPGRADE_RESPONDER_FIELD_MODE", mode);
                if let Some(named) = named {
                    command.env("UPGRADE_RESPONDER_COMPONENT", named);
                }
            });
            assert_eq!(body, k3s_expected(cluster, mode), "{cluster} {mode}");
            assert_values_come_from_the_vocabulary(cluster, &body);
            let tags: Vec<&str> = stored.tags.keys().map(String::as_str).collect();
            let fields: Vec<&str> = stored.fields.keys().map(String::as_str).collect();
            if mode == "minimal" {
                assert_eq!(tags, ["app_version", "clusteruuid", "kubernetes_version"]);
                assert_eq!(
                    fields,
                    [
                        "agent_node_count",
                        "node_count",
                        "server_node_count",
                        "value"
                    ]
                );
            } else {
                assert_eq!(
                    tags,
                    [
                        "app_version",
                        "architecture",
                        "clusteruuid",
                        "cni_plugin",
                        "cni_plugin_version",
                        "gpu_operator",
                        "gpu_operator_version",
                        "gpu_vendor",
                        "ingress_controller",
                        "ingress_version",
                        "ip_stack",
                        "kernel_version",
                        "kubernetes_version",
                        "mode",
                        "node_info_consistent",
                        "operating_system",
                        "os",
                        "rancher_managed",
                        "rancher_version",
                        "selinux"
                    ],
                    "{cluster}"
                );
                assert_eq!(
                    fields,
                    [
                        "agent_cpu_cores",
                        "agent_memory_gib",
                        "agent_node_count",
                        "dev",
                        "gpu_node_count",
                        "node_count",
                        "server_cpu_cores",
                        "server_memory_gib",
                        "server_node_count",
                        "value"
                    ]
                );
            }
            assert_eq!(
                dry_run(cluster, named, mode),
                format!("{}\n", k3s_expected(cluster, mode)),
                "{cluster} {mode}: the facts file gives the same bytes"
            );
        }
    }
}

#[test]
fn the_rke2_component_sends_the_rke2_design_record_payload() {
    for (mode, expected) in [
        ("minimal", RKE2_CANAL_MINIMAL),
        ("standard", RKE2_CANAL_STANDARD),
    ] {
        let (body, stored) = report("rke2-canal", |command| {
            command
                .env("UPGRADE_RESPONDER_COMPONENT", RKE2_REPORTER_PATH)
                .env("UPGRADE_RESPONDER_FIELD_MODE", mode);
        });
        assert_eq!(body, expected, "{mode}");
        assert_values_come_from_the_vocabulary("rke2-canal", &body);
        // Tags, so InfluxDB can group by them; stored as the seed spells them.
        assert_eq!(stored.tags["cni_plugin"], "canal");
        assert_eq!(stored.tags["os"], "rocky");
        assert_eq!(stored.tags["app_version"], "v1.31.6+rke2r1");
        assert_eq!(stored.fields["node_count"], serde_json::json!(3.0));
        assert_eq!(
            dry_run("rke2-canal", Some(RKE2_REPORTER_PATH), mode),
            format!("{expected}\n"),
            "{mode}: the facts file gives the same bytes"
        );
    }
    // No registry host, no workload or image name reaches the payload.
    for text in [
        "acme-corp",
        "registry",
        "hardened",
        "rke2-canal",
        "nginx-ingress-controller",
    ] {
        assert!(!RKE2_CANAL_STANDARD.contains(text), "{text}");
    }
}

#[test]
fn the_same_binary_switches_components_by_setting_alone() {
    let facts = facts_file("rke2-canal");
    let with = |configure: &dyn Fn(&mut std::process::Command)| {
        let mut command = host();
        command.arg("--dry-run").arg("--facts").arg(&facts);
        configure(&mut command);
        let ran = run(&mut command);
        assert_eq!(ran.code, 0, "{}", ran.stderr);
        ran
    };
    // No setting: the built-in component the cluster's version chooses.
    let built_in = with(&|_| {});
    assert_eq!(built_in.stdout, format!("{RKE2_CANAL_MINIMAL}\n"));
    assert!(
        built_in.stderr.contains("component=built-in rke2-reporter"),
        "{}",
        built_in.stderr
    );

    // A built-in by name, whatever the cluster.
    let named = with(&|command| {
        command.env("UPGRADE_RESPONDER_COMPONENT", "builtin:k3s");
    });
    assert_eq!(named.stdout, format!("{}\n", k3s_payload("rke2-canal")));
    assert!(
        named
            .stderr
            .contains("component=built-in k3s-reporter component_choice=setting"),
        "{}",
        named.stderr
    );

    // The environment variable (what the manifest sets)...
    let by_env = with(&|command| {
        command.env("UPGRADE_RESPONDER_COMPONENT", RKE2_REPORTER_PATH);
    });
    assert_eq!(by_env.stdout, format!("{RKE2_CANAL_MINIMAL}\n"));
    assert!(
        by_env
            .stderr
            .contains(&format!("component={RKE2_REPORTER_PATH}")),
        "{}",
        by_env.stderr
    );

    // ...or a key of a mounted ConfigMap (what a chart value renders).
    let dirs = TempDir::new("component-configmap");
    std::fs::write(
        dirs.path().join("UPGRADE_RESPONDER_COMPONENT"),
        format!("{RKE2_REPORTER_PATH}\n"),
    )
    .unwrap();
    std::fs::write(
        dirs.path().join("UPGRADE_RESPONDER_FIELD_MODE"),
        "standard\n",
    )
    .unwrap();
    let by_configmap = with(&|command| {
        command.env("UPGRADE_RESPONDER_CONFIG_DIRS", dirs.path());
    });
    assert_eq!(by_configmap.stdout, format!("{RKE2_CANAL_STANDARD}\n"));
}

#[test]
fn each_shipped_component_prints_under_wasmtime_run_what_the_host_sends_and_nothing_identifying() {
    for (package, path) in COMPONENTS {
        for cluster in CLUSTERS {
            let facts = std::fs::read(facts_file(cluster)).unwrap();
            for mode in MODES {
                // The command's default mode is minimal, like the host's.
                let args: &[&str] = if mode == "minimal" {
                    &[]
                } else {
                    &["--field-mode", "standard"]
                };
                let command = wasmtime_run(Path::new(path), args, &facts);
                assert_eq!(
                    command.exit_code, 0,
                    "{package} {cluster} {mode}: {}",
                    command.stderr
                );
                let hosted = dry_run(cluster, Some(path), mode);
                assert_eq!(command.stdout, hosted, "{package} {cluster} {mode}");
                assert_nothing_identifying(cluster, &format!("{package} {mode} payload"), &hosted);
            }
        }
    }
}

#[test]
fn the_readme_shows_the_payloads_the_components_send() {
    let readme = std::fs::read_to_string(crate::common::workspace().join("README.md")).unwrap();
    for (mode, payload) in [
        ("minimal", k3s_payload("k3s-ha")),
        ("standard", k3s_standard_payload("k3s-ha")),
        ("minimal", RKE2_CANAL_MINIMAL),
        ("standard", RKE2_CANAL_STANDARD),
    ] {
        let line = format!("{:<9} {payload}\n", format!("{mode}:"));
        assert!(readme.contains(&line), "README.md lacks {line}");
    }
}
