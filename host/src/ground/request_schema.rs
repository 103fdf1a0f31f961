//! The upgrade-responder server's request schema (`--request-schema`,
//! service.go `RequestSchema`), kept in the order the component declares
//! its keys, and the server's rules for what it stores: a key its schema
//! does not list, or lists with another data type, or whose text is longer
//! than the listed `maxLen`, is dropped without a word; what it keeps is
//! stored under the snake-cased key in the measurement `upgrade_request`.
//!
//! `schema` prints it, `schema --check` compares a deployed one with it,
//! and `server-kit` derives the continuous queries and the dashboard from
//! it.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, Serializer};

/// The measurement the server writes every request to (service.go
/// `InfluxDBMeasurement`).
pub const MEASUREMENT: &str = "upgrade_request";
/// The field the server adds to every point, `1` (an InfluxDB integer), so a
/// `count` counts requests (service.go `ValueFieldKey`).
pub const VALUE_FIELD: &str = "value";
/// The tag the server stores `appVersion` under.
pub const APP_VERSION_TAG: &str = "app_version";
/// The server's `maxLen` when a string key lists none (or 0).
pub const DEFAULT_MAX_LEN: i64 = 200;

/// A key's type on the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataType {
    String,
    Float,
    Boolean,
}

impl DataType {
    pub fn name(self) -> &'static str {
        match self {
            DataType::String => "string",
            DataType::Float => "float",
            DataType::Boolean => "boolean",
        }
    }

    fn parse(name: &str) -> Option<DataType> {
        [DataType::String, DataType::Float, DataType::Boolean]
            .into_iter()
            .find(|t| t.name() == name)
    }
}

/// One key's schema: `{"dataType": "string", "maxLen": 200}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    pub data_type: DataType,
    /// As written; the server reads a missing one as 0, and 0 as 200.
    pub max_len: Option<i64>,
}

impl Entry {
    /// The longest text the server stores for this key.
    pub fn effective_max_len(&self) -> i64 {
        match self.max_len {
            Some(n) if n > 0 => n,
            _ => DEFAULT_MAX_LEN,
        }
    }
}

/// A request schema, its keys in the order they were written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestSchema {
    pub app_version: Entry,
    pub tags: Vec<(String, Entry)>,
    pub fields: Vec<(String, Entry)>,
}

/// Why the server would drop one key of a component's payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dropped {
    /// `extraTagInfo.os` or `extraFieldInfo.nodeCount`.
    pub key: String,
    pub why: String,
}

impl RequestSchema {
    /// Parses a schema as the server reads it at start, keeping the order.
    /// `Err` is one line saying what is wrong.
    pub fn parse(text: &str) -> Result<RequestSchema, String> {
        if !text.trim_start().starts_with('{') {
            return Err("not a JSON object".into());
        }
        let raw: Raw = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let app_version = raw
            .app_version_schema
            .ok_or("no appVersionSchema object")?
            .entry("appVersionSchema")?;
        let list = |entries: Option<Ordered<RawEntry>>, what: &str| {
            entries
                .ok_or(format!("no {what} object"))?
                .0
                .into_iter()
                .map(|(key, raw)| raw.entry(&key).map(|entry| (key, entry)))
                .collect::<Result<Vec<_>, String>>()
        };
        let schema = RequestSchema {
            app_version,
            tags: list(raw.extra_tag_info_schema, "extraTagInfoSchema")?,
            fields: list(raw.extra_field_info_schema, "extraFieldInfoSchema")?,
        };
        if schema.app_version.data_type != DataType::String {
            return Err("appVersionSchema must have the data type string".into());
        }
        if let Some((key, _)) = schema
            .tags
            .iter()
            .find(|(_, entry)| entry.data_type != DataType::String)
        {
            return Err(format!(
                "tag {key:?} must have the data type string (the server refuses to start)"
            ));
        }
        Ok(schema)
    }

    /// The schema as the server's file: two-space indented JSON, keys in
    /// order, no final newline.
    pub fn to_json(&self) -> String {
        // Serializing maps and strings into a Vec cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// The same schema with only the keys named in `tags` and `fields`.
    pub fn only(&self, tags: &[String], fields: &[String]) -> RequestSchema {
        let keep = |entries: &[(String, Entry)], names: &[String]| {
            entries
                .iter()
                .filter(|(key, _)| names.contains(key))
                .cloned()
                .collect()
        };
        RequestSchema {
            app_version: self.app_version,
            tags: keep(&self.tags, tags),
            fields: keep(&self.fields, fields),
        }
    }

    /// The keys of `self` (a component's) that a server deployed with
    /// `deployed` would drop, in `self`'s order.
    pub fn dropped_by(&self, deployed: &RequestSchema) -> Vec<Dropped> {
        let mut dropped = Vec::new();
        let mut judge = |key: String, ours: &Entry, listed: Option<&Entry>| {
            if let Some(why) = why_dropped(ours, listed) {
                dropped.push(Dropped { key, why });
            }
        };
        judge(
            "appVersion".into(),
            &self.app_version,
            Some(&deployed.app_version),
        );
        for (place, ours, theirs) in [
            ("extraTagInfo", &self.tags, &deployed.tags),
            ("extraFieldInfo", &self.fields, &deployed.fields),
        ] {
            for (key, entry) in ours {
                // Go's decoder keeps the last of two equal keys.
                let listed = theirs.iter().rev().find(|(name, _)| name == key);
                judge(format!("{place}.{key}"), entry, listed.map(|(_, e)| e));
            }
        }
        dropped
    }
}

/// Why a server that lists a key as `listed` (or not at all) drops the
/// values a component sends as `ours`; `None` when it keeps them all.
fn why_dropped(ours: &Entry, listed: Option<&Entry>) -> Option<String> {
    let listed = match listed {
        None => return Some("not listed".to_string()),
        Some(listed) => listed,
    };
    if listed.data_type != ours.data_type {
        return Some(format!(
            "listed as {}, sent as {}",
            listed.data_type.name(),
            ours.data_type.name()
        ));
    }
    if ours.data_type == DataType::String && listed.effective_max_len() < ours.effective_max_len() {
        return Some(format!(
            "maxLen {} drops values longer than that (the component sends up to {})",
            listed.effective_max_len(),
            ours.effective_max_len()
        ));
    }
    None
}

/// The name the server stores a key under (utils.ToSnakeCase): an
/// underscore before an upper-case letter that starts a word after another
/// upper-case letter (`GPUCount` -> `gpu_count`) or follows a lower-case
/// letter or digit (`nodeCount` -> `node_count`), `-` as `_`, lower case.
pub fn snake_case(key: &str) -> String {
    let upper = |c: char| c.is_ascii_uppercase();
    let lower = |c: char| c.is_ascii_lowercase();
    let chars: Vec<char> = key.chars().collect();
    let mut first = Vec::with_capacity(chars.len() + 4);
    let mut i = 0;
    while i < chars.len() {
        if i + 2 < chars.len() && upper(chars[i]) && upper(chars[i + 1]) && lower(chars[i + 2]) {
            first.extend([chars[i], '_', chars[i + 1], chars[i + 2]]);
            i += 3;
        } else {
            first.push(chars[i]);
            i += 1;
        }
    }
    let mut second = String::with_capacity(first.len() + 4);
    let mut i = 0;
    while i < first.len() {
        second.push(first[i]);
        if i + 1 < first.len()
            && (lower(first[i]) || first[i].is_ascii_digit())
            && upper(first[i + 1])
        {
            second.push('_');
            second.push(first[i + 1]);
            i += 2;
        } else {
            i += 1;
        }
    }
    second.replace('-', "_").to_lowercase()
}

impl Serialize for Entry {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("dataType", self.data_type.name())?;
        if let Some(max_len) = self.max_len {
            map.serialize_entry("maxLen", &max_len)?;
        }
        map.end()
    }
}

struct Entries<'a>(&'a [(String, Entry)]);

impl Serialize for Entries<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (key, entry) in self.0 {
            map.serialize_entry(key, entry)?;
        }
        map.end()
    }
}

impl Serialize for RequestSchema {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(3))?;
        map.serialize_entry("appVersionSchema", &self.app_version)?;
        map.serialize_entry("extraTagInfoSchema", &Entries(&self.tags))?;
        map.serialize_entry("extraFieldInfoSchema", &Entries(&self.fields))?;
        map.end()
    }
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Raw {
    app_version_schema: Option<RawEntry>,
    extra_tag_info_schema: Option<Ordered<RawEntry>>,
    extra_field_info_schema: Option<Ordered<RawEntry>>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawEntry {
    data_type: Option<String>,
    max_len: Option<i64>,
}

impl RawEntry {
    fn entry(self, key: &str) -> Result<Entry, String> {
        let name = self.data_type.unwrap_or_default();
        let data_type = DataType::parse(&name).ok_or(format!(
            "{key:?} has the data type {name:?}: the server knows string, float and boolean"
        ))?;
        if self.max_len.is_some_and(|n| n < 0) {
            return Err(format!("{key:?} has a negative maxLen"));
        }
        Ok(Entry {
            data_type,
            max_len: self.max_len,
        })
    }
}

/// A JSON object's entries in the order written.
struct Ordered<T>(Vec<(String, T)>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Ordered<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Entries<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for Entries<T> {
            type Value = Ordered<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Ordered<T>, A::Error> {
                let mut entries: Vec<(String, T)> = Vec::new();
                while let Some((key, value)) = map.next_entry::<String, T>()? {
                    if entries.iter().any(|(seen, _)| *seen == key) {
                        return Err(de::Error::custom(format!("{key:?} is listed twice")));
                    }
                    entries.push((key, value));
                }
                Ok(Ordered(entries))
            }
        }
        deserializer.deserialize_map(Entries(std::marker::PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCHEMA: &str = r#"{
  "appVersionSchema": {
    "dataType": "string",
    "maxLen": 200
  },
  "extraTagInfoSchema": {
    "kubernetesVersion": {
      "dataType": "string",
      "maxLen": 200
    },
    "clusteruuid": {
      "dataType": "string",
      "maxLen": 200
    }
  },
  "extraFieldInfoSchema": {
    "nodeCount": {
      "dataType": "float"
    },
    "etcd": {
      "dataType": "boolean"
    }
  }
}"#;

    #[test]
    fn a_schema_prints_back_byte_for_byte_in_its_order() {
        let schema = RequestSchema::parse(SCHEMA).unwrap();
        let tags: Vec<&str> = schema.tags.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(tags, ["kubernetesVersion", "clusteruuid"]);
        assert_eq!(schema.to_json(), SCHEMA);
    }

    #[test]
    fn what_the_server_would_refuse_or_misread_is_an_error() {
        for (text, error) in [
            ("[]", "not a JSON object"),
            (
                r#"{"extraTagInfoSchema":{},"extraFieldInfoSchema":{}}"#,
                "no appVersionSchema object",
            ),
            (
                r#"{"appVersionSchema":{"dataType":"float"},"extraTagInfoSchema":{},"extraFieldInfoSchema":{}}"#,
                "appVersionSchema must have the data type string",
            ),
            (
                r#"{"appVersionSchema":{"dataType":"string"},"extraTagInfoSchema":{"a":{"dataType":"float"}},"extraFieldInfoSchema":{}}"#,
                "tag \"a\" must have the data type string (the server refuses to start)",
            ),
            (
                r#"{"appVersionSchema":{"dataType":"string"},"extraTagInfoSchema":{},"extraFieldInfoSchema":{"n":{"dataType":"int"}}}"#,
                "\"n\" has the data type \"int\": the server knows string, float and boolean",
            ),
            (
                r#"{"appVersionSchema":{"dataType":"string"},"extraTagInfoSchema":{"a":{"dataType":"string"},"a":{"dataType":"string"}},"extraFieldInfoSchema":{}}"#,
                "\"a\" is listed twice at line 1 column 116",
            ),
        ] {
            assert_eq!(RequestSchema::parse(text).unwrap_err(), error, "{text}");
        }
    }

    #[test]
    fn a_deployed_schema_drops_what_it_misses_mistypes_or_cuts_short() {
        let ours = RequestSchema::parse(SCHEMA).unwrap();
        let deployed = RequestSchema::parse(
            r#"{"appVersionSchema":{"dataType":"string","maxLen":0},
                "extraTagInfoSchema":{"kubernetesVersion":{"dataType":"string","maxLen":50}},
                "extraFieldInfoSchema":{"nodeCount":{"dataType":"float"},"etcd":{"dataType":"string"}}}"#,
        )
        .unwrap();
        let dropped: Vec<String> = ours
            .dropped_by(&deployed)
            .iter()
            .map(|d| format!("{}: {}", d.key, d.why))
            .collect();
        assert_eq!(
            dropped,
            [
                "extraTagInfo.kubernetesVersion: maxLen 50 drops values longer than that (the component sends up to 200)",
                "extraTagInfo.clusteruuid: not listed",
                "extraFieldInfo.etcd: listed as string, sent as boolean",
            ]
        );
        assert_eq!(ours.dropped_by(&ours), []);
    }

    #[test]
    fn keys_are_stored_snake_cased_as_the_server_does() {
        for (key, stored) in [
            ("kubernetesVersion", "kubernetes_version"),
            ("clusteruuid", "clusteruuid"),
            ("GPUNodeCount", "gpu_node_count"),
            ("cniPluginVersion", "cni_plugin_version"),
            ("k3s-flavour", "k3s_flavour"),
            ("node2Count", "node2_count"),
        ] {
            assert_eq!(snake_case(key), stored);
        }
    }
}
