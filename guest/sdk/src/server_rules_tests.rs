//! The SDK against the tables of the upgrade-responder server's rules in
//! `tests/fixtures/server-rules/`, the tables the stand-in server's tests
//! read too: one set of cases, two implementations.

use serde_json::Value;

use crate::payload::{FieldValue, Payload, PayloadError};
use crate::server_rules::{MAX_TAG_VALUE_BYTES, server_key, tag_value};

fn cases(table: &str) -> Vec<Value> {
    let text = match table {
        "snake-case" => include_str!("../../../tests/fixtures/server-rules/snake-case.json"),
        "key-collisions" => {
            include_str!("../../../tests/fixtures/server-rules/key-collisions.json")
        }
        "tag-values" => include_str!("../../../tests/fixtures/server-rules/tag-values.json"),
        "value-types" => include_str!("../../../tests/fixtures/server-rules/value-types.json"),
        other => panic!("no table {other}"),
    };
    let table: Value = serde_json::from_str(text).unwrap();
    table["cases"].as_array().unwrap().clone()
}

/// A case's value: `value`, or the string `repeat` written `times` times.
fn value(case: &Value) -> Value {
    match case.get("repeat") {
        Some(unit) => Value::String(
            unit.as_str()
                .unwrap()
                .repeat(case["times"].as_u64().unwrap() as usize),
        ),
        None => case["value"].clone(),
    }
}

fn strings(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect()
}

#[test]
fn keys_are_named_as_the_server_stores_them() {
    for case in cases("snake-case") {
        let key = case["key"].as_str().unwrap();
        assert_eq!(server_key(key), case["stored_as"], "{key:?}");
    }
}

#[test]
fn keys_the_server_stores_alike_are_refused() {
    for case in cases("key-collisions") {
        let tags = strings(&case["tags"]);
        let fields = strings(&case["fields"]);
        let payload = tags
            .iter()
            .fold(Payload::new("v1"), |p, key| p.tag(key, "v"));
        let payload = fields.iter().fold(payload, |p, key| p.field(key, 1u64));
        match payload.to_json() {
            Err(PayloadError::CollidingKeys { stored_as, .. }) => {
                assert!(case["collide"].as_bool().unwrap(), "{case}");
                assert_eq!(stored_as, case["stored_as"].as_str().unwrap(), "{case}");
            }
            Ok(_) => assert!(!case["collide"].as_bool().unwrap(), "{case}"),
            Err(other) => panic!("{case}: {other}"),
        }
    }
}

#[test]
fn tag_values_are_sent_as_the_server_stores_them() {
    for case in cases("tag-values") {
        let value = value(&case);
        let value = value.as_str().unwrap();
        let sent = tag_value(value);
        if case["stored"].as_bool().unwrap() {
            assert_eq!(sent, value, "a value the server stores is sent as it is");
        } else {
            // A value the server would drop is changed into one it stores.
            assert_ne!(sent, value);
            assert!(
                !sent.is_empty() && sent.len() <= MAX_TAG_VALUE_BYTES,
                "{sent:?}"
            );
        }
    }
}

#[test]
fn field_values_have_the_type_the_server_accepts() {
    // The SDK declares every string with maxLen 200; a table case with a
    // smaller maxLen is a server's choice the SDK never makes.
    let sdk_schema = |case: &Value| {
        case["maxLen"]
            .as_u64()
            .is_none_or(|max| max == 0 || max >= 200)
    };
    for case in cases("value-types").iter().filter(|case| sdk_schema(case)) {
        let value = value(case);
        let sdk_value = match &value {
            Value::Number(n) => n.as_u64().map(FieldValue::Count),
            Value::String(s) => Some(FieldValue::Text(s.clone())),
            Value::Bool(b) => Some(FieldValue::Flag(*b)),
            _ => None,
        };
        let valid = case["valid"].as_bool().unwrap();
        let Some(sdk_value) = sdk_value else {
            // null, arrays, objects, fractions: no FieldValue makes them.
            assert!(!valid || value.is_f64(), "{case}");
            continue;
        };
        let body = Payload::new("v1")
            .field("k", sdk_value.clone())
            .to_json()
            .unwrap();
        let sent = serde_json::from_str::<Value>(&body).unwrap()["extraFieldInfo"]["k"].clone();
        if sdk_value.data_type().name() == case["dataType"] {
            // Declared with this type: what is sent is stored, so a value the
            // server would drop must be changed on the way.
            assert!(valid || sent != value, "{case}: sent {sent}");
        } else {
            assert!(
                !valid,
                "{case}: the SDK declares {:?}",
                sdk_value.data_type()
            );
        }
    }
}
