//! The parts of Kubernetes API objects the facts are made of, and nothing
//! more: serde skips every other field while parsing (managedFields, images,
//! conditions, addresses are never held in memory), so a node costs a few
//! hundred bytes however large its JSON is.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::Deserialize;
use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};

/// The prefix of the label keys that give a node's roles.
pub const ROLE_LABEL_PREFIX: &str = "node-role.kubernetes.io/";

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

/// A Service: only its IP families (`spec.ipFamilies`), never an address.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Service {
    pub spec: Option<ServiceSpec>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ServiceSpec {
    pub ip_families: Vec<String>,
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
    /// Only the role labels (`node-role.kubernetes.io/<role>`).
    #[serde(deserialize_with = "role_labels")]
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
    /// Resource name to quantity ("4", "3500m", "8125412Ki"): only CPU,
    /// memory and resources that name a GPU.
    #[serde(deserialize_with = "fact_resources")]
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

/// Labels, keeping only the role labels: a node carries a dozen or more
/// labels, and the others are skipped without being copied.
fn role_labels<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<BTreeMap<String, String>>, D::Error> {
    filtered_map(deserializer, |key| key.starts_with(ROLE_LABEL_PREFIX))
}

/// Allocatable resources, keeping only those the facts use
/// ([`crate::ground::vocabulary::uses_resource`]).
fn fact_resources<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<BTreeMap<String, String>>, D::Error> {
    filtered_map(deserializer, crate::ground::vocabulary::uses_resource)
}

/// A JSON object of strings (or `null`), keeping the entries whose key
/// passes `keep`; the others are skipped unread. Keys are borrowed from
/// the page where JSON allows (no escapes), so a skipped entry costs no
/// allocation.
fn filtered_map<'de, D: Deserializer<'de>>(
    deserializer: D,
    keep: fn(&str) -> bool,
) -> Result<Option<BTreeMap<String, String>>, D::Error> {
    struct Filtered(fn(&str) -> bool);

    impl<'de> Visitor<'de> for Filtered {
        type Value = Option<BTreeMap<String, String>>;

        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an object of strings")
        }

        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_none<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_some<D: Deserializer<'de>>(self, inner: D) -> Result<Self::Value, D::Error> {
            inner.deserialize_map(self)
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut kept = BTreeMap::new();
            while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
                if (self.0)(&key) {
                    kept.insert(key.into_owned(), map.next_value::<String>()?);
                } else {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            Ok(Some(kept))
        }
    }

    deserializer.deserialize_option(Filtered(keep))
}

/// A key borrowed from the input when it can be.
struct Key<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;

        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string")
            }

            fn visit_borrowed_str<E>(self, key: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(key)))
            }

            fn visit_str<E>(self, key: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(key.to_string())))
            }
        }

        deserializer.deserialize_str(KeyVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Only what the facts use is kept: role labels (an escaped key
    /// included) and CPU, memory and GPU resources; `null` maps are none.
    #[test]
    fn a_node_keeps_only_role_labels_and_fact_resources() {
        let json = r#"{
            "metadata": {
                "name": "acme-node-1",
                "labels": {
                    "kubernetes.io/hostname": "acme-node-1",
                    "node-role.kubernetes.io/control-plane": "true",
                    "node-role.kubernetes.io\/etcd": "true",
                    "topology.kubernetes.io/zone": "acme-zone"
                },
                "annotations": {"k3s.io/node-args": "[\"server\"]", "other": "x"}
            },
            "status": {
                "allocatable": {
                    "cpu": "4", "memory": "8125412Ki", "pods": "110",
                    "ephemeral-storage": "1Gi", "nvidia.com/gpu": "1",
                    "acme.example/Big-GPU": "2"
                }
            }
        }"#;
        let node: Node = serde_json::from_str(json).unwrap();
        let labels: Vec<&str> = node
            .metadata
            .labels
            .as_ref()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            labels,
            [
                "node-role.kubernetes.io/control-plane",
                "node-role.kubernetes.io/etcd"
            ]
        );
        let resources: Vec<(&str, &str)> = node
            .status
            .as_ref()
            .unwrap()
            .allocatable
            .as_ref()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            resources,
            [
                ("acme.example/Big-GPU", "2"),
                ("cpu", "4"),
                ("memory", "8125412Ki"),
                ("nvidia.com/gpu", "1")
            ]
        );
        assert_eq!(
            node.metadata.annotations.unwrap().k3s.as_deref(),
            Some(r#"["server"]"#)
        );

        let bare: Node = serde_json::from_str(
            r#"{"metadata": {"labels": null}, "status": {"allocatable": null}}"#,
        )
        .unwrap();
        assert!(bare.metadata.labels.is_none());
        assert!(bare.status.unwrap().allocatable.is_none());
        let skipped = serde_json::from_str::<Node>(r#"{"metadata": {"labels": {"a": 1}}}"#);
        assert!(skipped.is_ok(), "a skipped label's value is not read");
        let wrong = serde_json::from_str::<Node>(
            r#"{"metadata": {"labels": {"node-role.kubernetes.io/worker": 1}}}"#,
        );
        assert!(wrong.is_err(), "a kept label must be a string");
    }
}
