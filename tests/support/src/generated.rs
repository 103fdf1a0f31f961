//! Generated clusters: N nodes, each as large as a real K3s node's JSON,
//! for the cost benchmark and the tests that read thousands of nodes.
//!
//! The templates are the server and agent nodes of the k3s-ha fixture,
//! renamed per node and grown with what a live K3s node carries and the
//! fixture leaves out (managedFields, a full image list), to about 7 KB.

use std::path::Path;

use crate::ClusterObjects;
use anyhow::Context as _;
use serde_json::{Value, json};

/// The fixture cluster the generated ones are modelled on.
const TEMPLATE_CLUSTER: &str = "tests/fixtures/clusters/k3s-ha";
const SERVER_TEMPLATE: &str = "orion-s1";
const AGENT_TEMPLATE: &str = "orion-a1";
/// Clusters of three nodes or more run an HA control plane.
const HA_SERVERS: usize = 3;

/// What a cluster of `nodes` nodes should report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Counts {
    pub nodes: usize,
    pub servers: usize,
    pub agents: usize,
}

pub struct Generated {
    pub objects: ClusterObjects,
    pub counts: Counts,
    /// The mean size of one node's JSON, in bytes.
    pub node_bytes: usize,
}

/// A cluster of `nodes` nodes named `server-00000`, `agent-00003`, ...
pub fn generate(workspace: &Path, nodes: usize) -> anyhow::Result<Generated> {
    generate_named(workspace, nodes, "")
}

/// A cluster of `nodes` nodes whose names start with `prefix` (for tests
/// that look for the names where they must not be).
pub fn generate_named(workspace: &Path, nodes: usize, prefix: &str) -> anyhow::Result<Generated> {
    let dir = workspace.join(TEMPLATE_CLUSTER);
    let read = |file: &str| -> anyhow::Result<Value> {
        let path = dir.join(file);
        let text = std::fs::read(&path)
            .with_context(|| format!("reading {}: run from a checkout", path.display()))?;
        serde_json::from_slice(&text).with_context(|| format!("parsing {}", path.display()))
    };
    let fixture_nodes = read("nodes.json")?;
    let template = |name: &str| -> anyhow::Result<Value> {
        fixture_nodes["items"]
            .as_array()
            .and_then(|items| items.iter().find(|n| n["metadata"]["name"] == name))
            .cloned()
            .with_context(|| format!("{TEMPLATE_CLUSTER}/nodes.json has no node {name}"))
    };
    let server = template(SERVER_TEMPLATE)?;
    let agent = template(AGENT_TEMPLATE)?;

    let managed_fields: Value =
        serde_json::from_str(MANAGED_FIELDS).context("parsing the managedFields template")?;
    let servers = if nodes >= HA_SERVERS {
        HA_SERVERS
    } else {
        nodes
    };
    let items: Vec<Value> = (0..nodes)
        .map(|i| {
            let (template, role) = if i < servers {
                (&server, "server")
            } else {
                (&agent, "agent")
            };
            node(template, &managed_fields, &format!("{prefix}{role}"), i)
        })
        .collect();
    let total: usize = items
        .iter()
        .map(|n| serde_json::to_vec(n).map(|v| v.len()).unwrap_or(0))
        .sum();
    let mut list = fixture_nodes.clone();
    list["items"] = Value::Array(items);
    Ok(Generated {
        objects: ClusterObjects {
            version: Some(read("version.json")?),
            kube_system: Some(read("kube-system.json")?),
            nodes: Some(list),
            deployments: Some(read("deployments.json")?),
            daemonsets: Some(read("daemonsets.json")?),
            namespaced: Default::default(),
            kubernetes_service: Some(read("kubernetes-service.json")?),
        },
        counts: Counts {
            nodes,
            servers,
            agents: nodes - servers,
        },
        node_bytes: total / nodes.max(1),
    })
}

/// Node `i`, made from `template`: its own name, address and UID.
fn node(template: &Value, managed_fields: &Value, role: &str, i: usize) -> Value {
    let name = format!("{role}-{i:05}");
    let ip = format!("10.20.{}.{}", i / 250, i % 250 + 1);
    let mut node = template.clone();
    let old_name = template["metadata"]["name"].as_str().unwrap_or_default();
    let old_ip = template["status"]["addresses"][0]["address"]
        .as_str()
        .unwrap_or_default();
    // Every occurrence of the template's name and IP (labels, annotations,
    // addresses, providerID) becomes this node's.
    rename(&mut node, old_name, &name, old_ip, &ip);
    node["metadata"]["uid"] = json!(format!("00000000-0000-4000-8000-{i:012}"));
    node["metadata"]["managedFields"] = managed_fields.clone();
    node["spec"]["podCIDR"] = json!(format!("10.{}.{}.0/24", 42 + i / 250, i % 250));
    node["spec"]["podCIDRs"] = json!([node["spec"]["podCIDR"].clone()]);
    node["status"]["images"] = images();
    node
}

fn rename(value: &mut Value, old_name: &str, name: &str, old_ip: &str, ip: &str) {
    match value {
        Value::String(s) if s.contains(old_name) || s.contains(old_ip) => {
            *s = s.replace(old_name, name).replace(old_ip, ip);
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|v| rename(v, old_name, name, old_ip, ip)),
        Value::Object(fields) => fields
            .values_mut()
            .for_each(|v| rename(v, old_name, name, old_ip, ip)),
        _ => {}
    }
}

/// The managedFields entries a K3s node carries (field managers k3s,
/// kube-controller-manager, flanneld, kubelet), as the API server returns them.
const MANAGED_FIELDS: &str = r#"[
 {"manager":"k3s-supervisor@orion-s1","operation":"Update","apiVersion":"v1","time":"2025-03-10T09:25:12Z","fieldsType":"FieldsV1",
  "fieldsV1":{"f:metadata":{"f:annotations":{"f:k3s.io/hostname":{},"f:k3s.io/internal-ip":{},"f:k3s.io/node-args":{},"f:k3s.io/node-config-hash":{},"f:k3s.io/node-env":{}},
   "f:finalizers":{".":{},"v:\"wrangler.cattle.io/node\"":{}},
   "f:labels":{"f:node-role.kubernetes.io/control-plane":{},"f:node-role.kubernetes.io/etcd":{},"f:node-role.kubernetes.io/master":{}}}}},
 {"manager":"kube-controller-manager","operation":"Update","apiVersion":"v1","time":"2025-03-10T09:26:01Z","fieldsType":"FieldsV1",
  "fieldsV1":{"f:metadata":{"f:annotations":{"f:node.alpha.kubernetes.io/ttl":{}}},"f:spec":{"f:podCIDR":{},"f:podCIDRs":{".":{},"v:\"10.42.0.0/24\"":{}}}}},
 {"manager":"flanneld","operation":"Update","apiVersion":"v1","time":"2025-03-10T09:26:03Z","fieldsType":"FieldsV1",
  "fieldsV1":{"f:metadata":{"f:annotations":{"f:flannel.alpha.coreos.com/backend-data":{},"f:flannel.alpha.coreos.com/backend-type":{},"f:flannel.alpha.coreos.com/kube-subnet-manager":{},"f:flannel.alpha.coreos.com/public-ip":{}}}}},
 {"manager":"kubelet","operation":"Update","apiVersion":"v1","time":"2025-03-10T09:27:52Z","fieldsType":"FieldsV1","subresource":"status",
  "fieldsV1":{"f:status":{"f:conditions":{
   "k:{\"type\":\"DiskPressure\"}":{"f:lastHeartbeatTime":{},"f:lastTransitionTime":{},"f:message":{},"f:reason":{},"f:status":{}},
   "k:{\"type\":\"MemoryPressure\"}":{"f:lastHeartbeatTime":{},"f:lastTransitionTime":{},"f:message":{},"f:reason":{},"f:status":{}},
   "k:{\"type\":\"PIDPressure\"}":{"f:lastHeartbeatTime":{},"f:lastTransitionTime":{},"f:message":{},"f:reason":{},"f:status":{}},
   "k:{\"type\":\"Ready\"}":{"f:lastHeartbeatTime":{},"f:lastTransitionTime":{},"f:message":{},"f:reason":{},"f:status":{}}},
   "f:images":{},"f:nodeInfo":{"f:bootID":{},"f:containerRuntimeVersion":{},"f:kernelVersion":{},"f:kubeProxyVersion":{},"f:kubeletVersion":{},"f:machineID":{},"f:osImage":{},"f:systemUUID":{}},
   "f:runtimeHandlers":{}}}}
]"#;

/// The images a K3s node has pulled after a few upgrades.
fn images() -> Value {
    let images = [
        ("rancher/mirrored-library-traefik", "3.3.2", 60_000_000),
        ("rancher/mirrored-library-traefik", "2.11.18", 48_000_000),
        ("rancher/mirrored-metrics-server", "v0.7.2", 19_000_000),
        ("rancher/mirrored-coredns-coredns", "1.12.0", 20_939_024),
        ("rancher/local-path-provisioner", "v0.0.30", 18_000_000),
        ("rancher/klipper-helm", "v0.9.4-build20250113", 60_000_000),
        ("rancher/klipper-lb", "v0.4.9", 4_990_533),
        ("rancher/mirrored-library-busybox", "1.36.1", 2_150_000),
        ("rancher/mirrored-pause", "3.6", 301_463),
    ];
    Value::Array(
        images
            .iter()
            .enumerate()
            .map(|(n, (image, tag, size))| {
                json!({
                    "names": [
                        format!("docker.io/{image}@sha256:{:064x}", n + 1),
                        format!("docker.io/{image}:{tag}"),
                    ],
                    "sizeBytes": size,
                })
            })
            .collect(),
    )
}
