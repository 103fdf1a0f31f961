//! The parts of Kubernetes API objects the facts are made of, and nothing
//! more: serde skips every other field while parsing (managedFields, images,
//! conditions, addresses are never held in memory), so a node costs a few
//! hundred bytes however large its JSON is.

use std::collections::BTreeMap;

use serde::Deserialize;

/// `GET /version` (version.Info): the fields the facts carry.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Version {
    pub git_version: String,
    pub major: String,
    pub minor: String,
    pub platform: String,
}

/// One page of a list: its items and the token for the next page.
#[derive(Debug, Deserialize)]
#[serde(bound = "T: Deserialize<'de>")]
pub struct List<T> {
    #[serde(default)]
    pub metadata: ListMeta,
    #[serde(default = "Vec::new")]
    pub items: Vec<T>,
}

#[derive(Debug, Default, Deserialize)]
pub struct ListMeta {
    /// Opaque, and it encodes the last object's name: never logged.
    #[serde(rename = "continue")]
    pub continue_: Option<String>,
}

/// A namespace: only its UID.
#[derive(Debug, Default, Deserialize)]
pub struct Namespace {
    #[serde(default)]
    pub metadata: ObjectMeta,
}

#[derive(Debug, Default, Deserialize)]
pub struct ObjectMeta {
    pub uid: Option<String>,
}

/// A node: its labels, the annotations that record its flags, its system
/// info and its allocatable resources.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Node {
    pub metadata: NodeMeta,
    pub status: Option<NodeStatus>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NodeMeta {
    pub labels: Option<BTreeMap<String, String>>,
    pub annotations: Option<NodeArgs>,
}

/// Of a node's annotations, only the two where K3s and RKE2 record the
/// node's command-line flags; serde skips the others unread.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NodeArgs {
    #[serde(rename = "k3s.io/node-args")]
    pub k3s: Option<String>,
    #[serde(rename = "rke2.io/node-args")]
    pub rke2: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct NodeStatus {
    pub node_info: Option<NodeSystemInfo>,
    /// Resource name to quantity ("4", "3500m", "8125412Ki").
    pub allocatable: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct NodeSystemInfo {
    pub os_image: String,
    pub operating_system: String,
    pub kernel_version: String,
    pub architecture: String,
    pub kubelet_version: String,
    pub container_runtime_version: String,
}

/// A Deployment or DaemonSet: its name and its pod template's images.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Workload {
    pub metadata: WorkloadMeta,
    pub spec: Option<WorkloadSpec>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct WorkloadMeta {
    pub name: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct WorkloadSpec {
    pub template: PodTemplate,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PodTemplate {
    pub spec: Option<PodSpec>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PodSpec {
    pub containers: Vec<Container>,
    pub init_containers: Option<Vec<Container>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Container {
    pub image: Option<String>,
}
