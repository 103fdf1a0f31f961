//! The keys a component sends, declared, and the upgrade-responder server's
//! request schema made from them.
//!
//! The real server reads a request schema at start (`--request-schema`,
//! service.go `RequestSchema`): `appVersionSchema`, then
//! `extraTagInfoSchema` and `extraFieldInfoSchema`, each key with a
//! `dataType` (`string`, `float` or `boolean`; tags only `string`) and, for
//! strings, a `maxLen` in bytes. It stores only the keys listed there and
//! drops every other one without a word, so a distribution deploys its
//! server with the schema of its component: [`request_schema_json`].

use serde_json::{Map, Value, json};

use crate::server_rules::{DataType, MAX_TAG_VALUE_BYTES, server_key};
use crate::{FieldMode, Reporter};

/// Where a key goes in the body: `extraTagInfo` (a description the server's
/// InfluxDB can group by) or `extraFieldInfo` (a measured value).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    Tag,
    Field,
}

/// One key a component sends: its name, where it goes, its type, and the
/// field modes that send it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    pub name: &'static str,
    pub place: Place,
    pub data_type: DataType,
    /// `false` for a key sent only in the `standard` field mode.
    pub in_minimal: bool,
}

impl Key {
    /// A tag (always text), sent in every field mode.
    pub const fn tag(name: &'static str) -> Key {
        Key::new(name, Place::Tag, DataType::String)
    }

    /// A field holding a count (`Payload::field(name, n)` with a number).
    pub const fn count(name: &'static str) -> Key {
        Key::new(name, Place::Field, DataType::Float)
    }

    /// A field holding text.
    pub const fn text(name: &'static str) -> Key {
        Key::new(name, Place::Field, DataType::String)
    }

    /// A field holding `true` or `false`.
    pub const fn flag(name: &'static str) -> Key {
        Key::new(name, Place::Field, DataType::Boolean)
    }

    /// The same key, sent only in the `standard` field mode.
    pub const fn standard(self) -> Key {
        Key {
            in_minimal: false,
            ..self
        }
    }

    const fn new(name: &'static str, place: Place, data_type: DataType) -> Key {
        Key {
            name,
            place,
            data_type,
            in_minimal: true,
        }
    }

    /// Whether a payload built in `mode` carries this key.
    pub fn sent_in(&self, mode: FieldMode) -> bool {
        self.in_minimal || mode == FieldMode::Standard
    }
}

/// The server's request schema for `keys`: those sent in `mode`, or in any
/// mode for `None` (what a server must store to keep every mode's
/// payload). `Err` names two declarations the server could not tell apart.
pub fn request_schema(keys: &[Key], mode: Option<FieldMode>) -> Result<Value, String> {
    let string = || json!({ "dataType": "string", "maxLen": MAX_TAG_VALUE_BYTES });
    let mut tags = Map::new();
    let mut fields = Map::new();
    // The same rule as `Payload::to_json`: no two keys stored alike, tags
    // and fields together.
    let mut stored: Vec<(String, &str)> = vec![(server_key("appVersion"), "appVersion")];
    for key in keys
        .iter()
        .filter(|key| mode.is_none_or(|mode| key.sent_in(mode)))
    {
        let stored_as = server_key(key.name);
        if let Some((_, first)) = stored.iter().find(|(name, _)| *name == stored_as) {
            return Err(format!(
                "keys {first:?} and {:?} are both declared, and the server stores both as {stored_as:?}; declare each key once",
                key.name
            ));
        }
        stored.push((stored_as, key.name));
        let schema = match key.data_type {
            DataType::String => string(),
            other => json!({ "dataType": other.name() }),
        };
        match key.place {
            Place::Tag => tags.insert(key.name.to_string(), schema),
            Place::Field => fields.insert(key.name.to_string(), schema),
        };
    }
    Ok(json!({
        "appVersionSchema": string(),
        "extraTagInfoSchema": tags,
        "extraFieldInfoSchema": fields,
    }))
}

/// The request-schema file to deploy the upgrade-responder server with, for
/// every field mode of component `R`: JSON, two-space indented.
pub fn request_schema_json<R: Reporter>() -> Result<String, String> {
    schema_text(&R::keys(), None)
}

/// The request schema of the keys component `R` sends in one field mode.
pub fn request_schema_json_for_mode<R: Reporter>(mode: FieldMode) -> Result<String, String> {
    schema_text(&R::keys(), Some(mode))
}

fn schema_text(keys: &[Key], mode: Option<FieldMode>) -> Result<String, String> {
    let schema = request_schema(keys, mode)?;
    serde_json::to_string_pretty(&schema)
        .map_err(|e| format!("cannot write the request schema: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEYS: &[Key] = &[
        Key::tag("kubernetesVersion"),
        Key::tag("clusteruuid"),
        Key::count("nodeCount"),
        Key::tag("os").standard(),
        Key::flag("etcd").standard(),
        Key::text("note"),
    ];

    #[test]
    fn the_schema_has_the_real_servers_shape() {
        let schema = request_schema(KEYS, None).unwrap();
        assert_eq!(
            schema.to_string(),
            r#"{"appVersionSchema":{"dataType":"string","maxLen":200},"extraTagInfoSchema":{"kubernetesVersion":{"dataType":"string","maxLen":200},"clusteruuid":{"dataType":"string","maxLen":200},"os":{"dataType":"string","maxLen":200}},"extraFieldInfoSchema":{"nodeCount":{"dataType":"float"},"etcd":{"dataType":"boolean"},"note":{"dataType":"string","maxLen":200}}}"#
        );
    }

    #[test]
    fn a_mode_lists_only_the_keys_it_sends() {
        let minimal = request_schema(KEYS, Some(FieldMode::Minimal)).unwrap();
        assert_eq!(
            minimal["extraTagInfoSchema"]
                .as_object()
                .unwrap()
                .keys()
                .collect::<Vec<_>>(),
            ["kubernetesVersion", "clusteruuid"]
        );
        assert_eq!(
            minimal["extraFieldInfoSchema"]
                .as_object()
                .unwrap()
                .keys()
                .collect::<Vec<_>>(),
            ["nodeCount", "note"]
        );
        let standard = request_schema(KEYS, Some(FieldMode::Standard)).unwrap();
        assert_eq!(standard, request_schema(KEYS, None).unwrap());
    }

    #[test]
    fn keys_the_server_would_store_alike_are_refused() {
        let twice = [
            Key::tag("kernelVersion"),
            Key::tag("kernel-Version").standard(),
        ];
        assert_eq!(
            request_schema(&twice, None).unwrap_err(),
            "keys \"kernelVersion\" and \"kernel-Version\" are both declared, and the server stores both as \"kernel_version\"; declare each key once"
        );
        assert!(request_schema(&[Key::tag("app_version")], None).is_err());
        assert!(request_schema(&[Key::tag("gpus"), Key::count("gpus")], None).is_err());
    }
}
