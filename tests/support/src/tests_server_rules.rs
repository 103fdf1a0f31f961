//! The stand-in server against the tables of the real server's rules in
//! `tests/fixtures/server-rules/`, the tables the SDK's tests read too: one
//! set of cases, two implementations.

use serde_json::{Value, json};

use crate::{RequestSchema, ValueSchema, snake_case, stored_point};

fn cases(table: &str) -> Vec<Value> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures/server-rules")
        .join(format!("{table}.json"));
    let text = std::fs::read_to_string(&path).unwrap();
    let table: Value = serde_json::from_str(&text).unwrap();
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
fn keys_are_stored_under_their_snake_case_names() {
    for case in cases("snake-case") {
        let key = case["key"].as_str().unwrap();
        assert_eq!(snake_case(key), case["stored_as"], "{key:?}");
    }
}

#[test]
fn keys_stored_alike_keep_one_value() {
    for case in cases("key-collisions") {
        let tags = strings(&case["tags"]);
        let fields = strings(&case["fields"]);
        let body = json!({
            "appVersion": "v1",
            "extraTagInfo": tags.iter().map(|k| (k.to_string(), json!("v"))).collect::<serde_json::Map<_, _>>(),
            "extraFieldInfo": fields.iter().map(|k| (k.to_string(), json!(1))).collect::<serde_json::Map<_, _>>(),
        });
        let point = stored_point(body.to_string().as_bytes(), None).unwrap();
        // appVersion's own tag and the dummy `value` field come on top.
        let sent = 1 + tags.len() + fields.len();
        let stored = point.tags.len() + point.fields.len() - 1;
        assert_eq!(
            stored < sent,
            case["collide"].as_bool().unwrap(),
            "{case}: {point:?}"
        );
        if let Some(name) = case["stored_as"].as_str() {
            assert!(
                point.tags.contains_key(name) || point.fields.contains_key(name),
                "{case}: {point:?}"
            );
        }
    }
}

#[test]
fn tag_values_are_stored_within_the_limits() {
    for case in cases("tag-values") {
        let value = value(&case);
        let body = json!({ "appVersion": "v1", "extraTagInfo": { "t": value } });
        let point = stored_point(body.to_string().as_bytes(), None).unwrap();
        assert_eq!(
            point.tags.contains_key("t"),
            case["stored"].as_bool().unwrap(),
            "{case}: {point:?}"
        );
    }
}

#[test]
fn schema_entries_accept_what_the_server_accepts() {
    for case in cases("value-types") {
        let schema = ValueSchema {
            data_type: case["dataType"].as_str().unwrap().to_string(),
            max_len: case["maxLen"].as_i64().unwrap_or(0),
        };
        assert_eq!(
            schema.validate(&value(&case)),
            case["valid"].as_bool().unwrap(),
            "{case}"
        );
    }
}

#[test]
fn with_a_schema_only_listed_keys_are_stored() {
    // The schema of the real server's README: a K3s payload loses all but
    // kubernetesVersion.
    let readme = RequestSchema::from_json(
        r#"{"appVersionSchema":{"dataType":"string","maxLen":200},
            "extraTagInfoSchema":{"kubernetesVersion":{"dataType":"string","maxLen":200}},
            "extraFieldInfoSchema":{"nodeCount":{"dataType":"string","maxLen":200}}}"#,
    )
    .unwrap();
    let body = br#"{"appVersion":"v1.31.6+k3s1","extraTagInfo":{"kubernetesVersion":"v1.31.6","clusteruuid":"2f06cc1a"},"extraFieldInfo":{"nodeCount":5,"serverNodeCount":3}}"#;
    let point = stored_point(body, Some(&readme)).unwrap();
    assert_eq!(
        point.tags.keys().collect::<Vec<_>>(),
        ["app_version", "kubernetes_version"]
    );
    assert_eq!(point.fields.keys().collect::<Vec<_>>(), ["value"]);
    assert_eq!(
        point.dropped,
        [
            "tag \"clusteruuid\": not in the request schema",
            "field \"nodeCount\": number is not a string",
            "field \"serverNodeCount\": not in the request schema",
        ]
    );
    // Without a schema the stand-in stores every key.
    let point = stored_point(body, None).unwrap();
    assert!(point.dropped.is_empty(), "{:?}", point.dropped);
    // The appVersion schema's maxLen decides whether a point is written.
    let short =
        RequestSchema::from_json(r#"{"appVersionSchema":{"dataType":"string","maxLen":5}}"#)
            .unwrap();
    assert!(stored_point(body, Some(&short)).is_err());
    assert!(stored_point(br#"{"appVersion":"v1"}"#, Some(&short)).is_ok());
}

#[test]
fn schemas_the_server_refuses_to_start_with_are_refused() {
    for (schema, error) in [
        (
            r#"{"appVersionSchema":{"dataType":"float"}}"#,
            "AppVersionSchema must have string data type: float",
        ),
        (
            r#"{"appVersionSchema":{"dataType":"string","maxLen":-1}}"#,
            "schema appVersion must have MaxLen >= 0",
        ),
        (
            r#"{"appVersionSchema":{"dataType":"string"},"extraTagInfoSchema":{"tag-1":{"dataType":"boolean"}}}"#,
            "tag schema tag-1 must have string data type boolean",
        ),
        (
            r#"{"appVersionSchema":{"dataType":"string"},"extraFieldInfoSchema":{"field-3":{"dataType":"int"}}}"#,
            "field schema field-3 has invalid data type int",
        ),
    ] {
        assert_eq!(RequestSchema::from_json(schema).unwrap_err(), error);
    }
}

#[test]
fn a_responder_with_a_schema_stores_only_its_keys() {
    let schema = RequestSchema::from_json(
        r#"{"appVersionSchema":{"dataType":"string"},"extraTagInfoSchema":{"os":{"dataType":"string"}}}"#,
    )
    .unwrap();
    let responder = crate::Responder::with_schema(
        crate::Behaviour::Normal(crate::ResponseConfig::k3s_default()),
        schema,
    )
    .unwrap();
    let response = crate::testclient::Client::plain()
        .send(
            "POST",
            &responder.url(),
            &[("content-type", "application/json")],
            br#"{"appVersion":"v1","extraTagInfo":{"os":"rocky","arch":"amd64"}}"#.to_vec(),
        )
        .unwrap();
    assert_eq!(response.status, 200, "the server answers all the same");
    let stored = responder.received()[0].stored.clone().unwrap();
    assert_eq!(
        stored.tags.keys().collect::<Vec<_>>(),
        ["app_version", "os"]
    );
    assert_eq!(stored.dropped, ["tag \"arch\": not in the request schema"]);
}
