//! The upgrade-responder request body, made valid for the real server.
//!
//! The Longhorn server answers 200 even when it silently drops a value, so
//! every rule it applies is applied here first: tag values are non-empty
//! strings of at most 200 bytes, field values are strings, numbers or
//! booleans, and no two keys may collide once the server snake_cases them.
//! `tests/fixtures/server-rules/` holds the server's rules as tables of
//! cases; these tests and the stand-in server's are run against them.

use serde_json::{Map, Value};

use crate::server_rules::{DataType, server_key, tag_value};

/// A field value the server stores (it drops null, objects and arrays).
#[derive(Debug, Clone, PartialEq)]
pub enum FieldValue {
    Count(u64),
    Text(String),
    Flag(bool),
}

impl FieldValue {
    /// The request schema's type of this value.
    pub fn data_type(&self) -> DataType {
        match self {
            FieldValue::Count(_) => DataType::Float,
            FieldValue::Text(_) => DataType::String,
            FieldValue::Flag(_) => DataType::Boolean,
        }
    }
}

impl From<u64> for FieldValue {
    fn from(value: u64) -> Self {
        FieldValue::Count(value)
    }
}

impl From<usize> for FieldValue {
    fn from(value: usize) -> Self {
        FieldValue::Count(value as u64)
    }
}

impl From<bool> for FieldValue {
    fn from(value: bool) -> Self {
        FieldValue::Flag(value)
    }
}

impl From<&str> for FieldValue {
    fn from(value: &str) -> Self {
        FieldValue::Text(value.to_string())
    }
}

impl From<String> for FieldValue {
    fn from(value: String) -> Self {
        FieldValue::Text(value)
    }
}

/// A request body under construction. Keys keep the order they were added in,
/// so the bytes sent are stable and readable.
#[derive(Debug, Clone, PartialEq)]
pub struct Payload {
    app_version: String,
    tags: Vec<(String, String)>,
    fields: Vec<(String, FieldValue)>,
}

/// A payload a component built wrongly: a bug in the component, not in the
/// cluster, so it is reported rather than papered over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PayloadError {
    EmptyKey,
    /// Two keys that the server would store under the same snake_cased name.
    CollidingKeys {
        first: String,
        second: String,
        stored_as: String,
    },
}

impl std::fmt::Display for PayloadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PayloadError::EmptyKey => f.write_str("a tag or field has an empty key"),
            PayloadError::CollidingKeys {
                first,
                second,
                stored_as,
            } => write!(
                f,
                "keys {first:?} and {second:?} would both be stored as {stored_as:?} by the server"
            ),
        }
    }
}

impl std::error::Error for PayloadError {}

impl Payload {
    pub fn new(app_version: &str) -> Self {
        Self {
            app_version: app_version.to_string(),
            tags: Vec::new(),
            fields: Vec::new(),
        }
    }

    /// The version the payload reports, which an offered version must beat
    /// to count as an upgrade.
    pub fn app_version(&self) -> &str {
        &self.app_version
    }

    /// Adds a tag (`extraTagInfo`): a low-cardinality description the server
    /// can group by.
    pub fn tag(mut self, key: &str, value: &str) -> Self {
        self.tags.push((key.to_string(), value.to_string()));
        self
    }

    /// Adds a field (`extraFieldInfo`): a count or other measured value.
    pub fn field(mut self, key: &str, value: impl Into<FieldValue>) -> Self {
        self.fields.push((key.to_string(), value.into()));
        self
    }

    /// The exact bytes to send: compact JSON, keys in insertion order.
    pub fn to_json(&self) -> Result<String, PayloadError> {
        let mut stored_names: Vec<(String, &str)> = vec![(server_key("appVersion"), "appVersion")];
        for key in self
            .tags
            .iter()
            .map(|(k, _)| k)
            .chain(self.fields.iter().map(|(k, _)| k))
        {
            if key.is_empty() {
                return Err(PayloadError::EmptyKey);
            }
            let stored_as = server_key(key);
            if let Some((_, first)) = stored_names.iter().find(|(name, _)| *name == stored_as) {
                return Err(PayloadError::CollidingKeys {
                    first: first.to_string(),
                    second: key.clone(),
                    stored_as,
                });
            }
            stored_names.push((stored_as, key));
        }

        let mut tags = Map::new();
        for (key, value) in &self.tags {
            tags.insert(key.clone(), Value::String(tag_value(value)));
        }
        let mut fields = Map::new();
        for (key, value) in &self.fields {
            let value = match value {
                FieldValue::Count(n) => Value::from(*n),
                FieldValue::Flag(b) => Value::Bool(*b),
                FieldValue::Text(s) => Value::String(tag_value(s)),
            };
            fields.insert(key.clone(), value);
        }
        let mut body = Map::new();
        body.insert(
            "appVersion".into(),
            Value::String(tag_value(&self.app_version)),
        );
        body.insert("extraTagInfo".into(), Value::Object(tags));
        body.insert("extraFieldInfo".into(), Value::Object(fields));
        // Serializing a map of strings, numbers and booleans cannot fail.
        Ok(Value::Object(body).to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn design_record_payload_has_exact_bytes_in_order() {
        let body = Payload::new("v1.31.6+k3s1")
            .tag("kubernetesVersion", "v1.31.6")
            .tag("clusteruuid", "53741f60-f208-48fc-ae81-8a969510a598")
            .field("nodeCount", 5u64)
            .field("serverNodeCount", 3u64)
            .field("agentNodeCount", 2u64)
            .to_json()
            .unwrap();
        assert_eq!(
            body,
            r#"{"appVersion":"v1.31.6+k3s1","extraTagInfo":{"kubernetesVersion":"v1.31.6","clusteruuid":"53741f60-f208-48fc-ae81-8a969510a598"},"extraFieldInfo":{"nodeCount":5,"serverNodeCount":3,"agentNodeCount":2}}"#
        );
    }

    #[test]
    fn empty_values_become_unknown_so_the_server_keeps_them() {
        let body = Payload::new("")
            .tag("os", "  ")
            .field("cni", "")
            .to_json()
            .unwrap();
        assert_eq!(
            body,
            r#"{"appVersion":"unknown","extraTagInfo":{"os":"unknown"},"extraFieldInfo":{"cni":"unknown"}}"#
        );
    }

    #[test]
    fn long_tag_values_are_cut_to_200_bytes_on_a_char_boundary() {
        assert_eq!(tag_value(&"a".repeat(250)).len(), 200);
        // 'é' is two bytes: 101 of them are 202 bytes; the cut must not split one.
        let cut = tag_value(&"é".repeat(101));
        assert_eq!(cut.len(), 200);
        assert_eq!(cut.chars().count(), 100);
        assert_eq!(tag_value(&"x".repeat(200)), "x".repeat(200));
    }

    #[test]
    fn colliding_keys_are_refused() {
        let err = Payload::new("v1")
            .tag("cniPlugin", "canal")
            .field("cni-plugin", "canal")
            .to_json()
            .unwrap_err();
        assert_eq!(
            err,
            PayloadError::CollidingKeys {
                first: "cniPlugin".into(),
                second: "cni-plugin".into(),
                stored_as: "cni_plugin".into()
            }
        );
        assert!(
            Payload::new("v1")
                .tag("app_version", "x")
                .to_json()
                .is_err()
        );
        assert_eq!(
            Payload::new("v1").field("", 1u64).to_json(),
            Err(PayloadError::EmptyKey)
        );
    }
}
