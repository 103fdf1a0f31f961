use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::responder::{build_point, decode_request};
use crate::testclient::Client;
use crate::{Behaviour, Responder, ResponseConfig};

fn post(r: &Responder, body: &[u8]) -> crate::testclient::Resp {
    Client::plain()
        .send(
            "POST",
            &r.url(),
            &[
                ("content-type", "application/json"),
                ("user-agent", "ur-test"),
            ],
            body.to_vec(),
        )
        .unwrap()
}

#[test]
fn normal_request_is_decoded_and_stored() {
    let r = Responder::start(Behaviour::Normal(ResponseConfig::k3s_default())).unwrap();
    assert!(r.url().starts_with("http://127.0.0.1:"));
    assert!(r.url().ends_with("/v1/checkupgrade"));
    let body = json!({
        "appVersion": "v1.31.4+k3s1",
        "extraTagInfo": {
            "kubernetesVersion": "v1.31.4+k3s1",
            "cni-plugin": "flannel",
            "Arch": "amd64",
            "emptyTag": "",
            "longTag": "x".repeat(201),
            "justFits": "y".repeat(200)
        },
        "extraFieldInfo": {
            "serverNodeCount": 3,
            "hasGpu": false,
            "osImage": "Ubuntu",
            "nothing": null,
            "nested": {"a": 1},
            "list": [1, 2]
        },
        "unknownKey": 5
    });
    let resp = post(&r, body.to_string().as_bytes());
    assert_eq!(resp.status, 200);
    assert_eq!(resp.headers["content-type"], "application/json");
    let v = resp.json();
    assert_eq!(v["requestIntervalInMinutes"], 60);
    let versions = v["versions"].as_array().unwrap();
    assert_eq!(versions.len(), 5);
    let latest: Vec<&Value> = versions
        .iter()
        .filter(|v| v["tags"].as_array().unwrap().contains(&json!("latest")))
        .collect();
    assert_eq!(latest.len(), 1);
    assert_eq!(latest[0]["name"], "v1.32.2+k3s1");
    assert_eq!(latest[0]["tags"], json!(["latest", "stable", "v1.32"]));
    assert_eq!(latest[0]["extraInfo"], Value::Null);
    assert_eq!(latest[0]["minUpgradableVersion"], "");
    assert_eq!(latest[0]["releaseDate"], "2025-02-27T00:00:00Z");

    let rec = r.received();
    assert_eq!(rec.len(), 1);
    assert_eq!(rec[0].method, "POST");
    assert_eq!(rec[0].path, "/v1/checkupgrade");
    assert_eq!(rec[0].header("User-Agent"), Some("ur-test"));
    assert_eq!(rec[0].body_json().unwrap(), body);
    let p = rec[0].stored.clone().unwrap();
    assert_eq!(p.measurement, "upgrade_request");
    let tags: Vec<(&str, &str)> = p
        .tags
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let fits = "y".repeat(200);
    assert_eq!(
        tags,
        vec![
            ("app_version", "v1.31.4+k3s1"),
            ("arch", "amd64"),
            ("cni_plugin", "flannel"),
            ("just_fits", fits.as_str()),
            ("kubernetes_version", "v1.31.4+k3s1"),
        ]
    );
    assert_eq!(
        p.fields,
        [
            ("value".to_string(), json!(1)),
            ("server_node_count".to_string(), json!(3.0)),
            ("has_gpu".to_string(), json!(false)),
            ("os_image".to_string(), json!("Ubuntu")),
        ]
        .into_iter()
        .collect()
    );
    let dropped = p.dropped.join("\n");
    assert_eq!(p.dropped.len(), 5, "{dropped}");
    for needle in [
        "\"emptyTag\": empty",
        "\"longTag\": value is 201 bytes",
        "\"nothing\": null",
        "\"nested\": object",
        "\"list\": array",
    ] {
        assert!(dropped.contains(needle), "{needle} in {dropped}");
    }
    assert_eq!(r.connection_count(), 1);
}

#[test]
fn versions_come_in_random_order() {
    let r = Responder::start(Behaviour::Normal(ResponseConfig::rke2_default())).unwrap();
    let all: BTreeSet<String> = ResponseConfig::rke2_default()
        .versions
        .iter()
        .map(|v| v.name.clone())
        .collect();
    let mut orders = BTreeSet::new();
    for _ in 0..20 {
        let v = post(&r, br#"{"appVersion":"v1.30.1+rke2r1"}"#).json();
        let names: Vec<String> = v["versions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["name"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(names.iter().cloned().collect::<BTreeSet<_>>(), all);
        orders.insert(names);
    }
    assert!(orders.len() > 1, "20 answers in one order");
}

#[test]
fn bad_json_is_400_plain_text() {
    let r = Responder::start(Behaviour::Normal(ResponseConfig::k3s_default())).unwrap();
    for body in [
        &b"{not json"[..],
        b"",
        b"[1,2]",
        br#"{"appVersion": 5}"#,
        br#"{"extraTagInfo": {"nodeCount": 3}}"#,
        br#"{"extraFieldInfo": "x"}"#,
    ] {
        let resp = post(&r, body);
        assert_eq!(resp.status, 400, "{}", String::from_utf8_lossy(body));
        assert_eq!(resp.headers["content-type"], "text/plain; charset=utf-8");
        assert!(resp.body.ends_with(b"\n"));
    }
    let rec = r.received();
    assert!(
        rec.iter()
            .all(|r| r.stored.is_none() && r.not_stored.is_some())
    );
    assert_eq!(std::str::from_utf8(&post(&r, b"").body).unwrap(), "EOF\n");
}

#[test]
fn go_decoding_quirks() {
    // Keys match struct fields case-insensitively; trailing bytes are never read.
    let req = decode_request(br#"{"APPVERSION":"v1","extrataginfo":{"a":"b"}} trailing garbage"#)
        .unwrap();
    assert_eq!(req.app_version, "v1");
    assert_eq!(req.extra_tag_info.unwrap()["a"], "b");
    // An exact match still wins when it comes last.
    let req = decode_request(br#"{"AppVersion":"x","appVersion":"y"}"#).unwrap();
    assert_eq!(req.app_version, "y");
    // null is fine at the top level and for a tag value (becomes "").
    assert_eq!(decode_request(b"null").unwrap().app_version, "");
    let req = decode_request(br#"{"appVersion":"v","extraTagInfo":{"t":null}}"#).unwrap();
    let p = build_point(&req, None).unwrap();
    assert!(!p.tags.contains_key("t"));
    assert!(p.dropped[0].contains("empty value"));
    // The deprecated extraInfo is merged under extraTagInfo.
    let req = decode_request(
        br#"{"appVersion":"v","extraInfo":{"a":"old","b":"kept"},"extraTagInfo":{"a":"new"}}"#,
    )
    .unwrap();
    let p = build_point(&req, None).unwrap();
    assert_eq!(p.tags["a"], "new");
    assert_eq!(p.tags["b"], "kept");
    // Keys are case-sensitive until snake_cased: both survive decoding...
    let req =
        decode_request(br#"{"appVersion":"v","extraFieldInfo":{"nodeCount":1,"NodeCount":2}}"#)
            .unwrap();
    assert_eq!(req.extra_field_info.as_ref().unwrap().len(), 2);
    // ...then collide.
    let p = build_point(&req, None).unwrap();
    assert!(p.fields.contains_key("node_count"));
    assert!(p.dropped.iter().any(|d| d.contains("both become")));
    // An overlong appVersion means no point at all (200 all the same).
    let long = format!(r#"{{"appVersion":"{}"}}"#, "v".repeat(201));
    let req = decode_request(long.as_bytes()).unwrap();
    assert!(build_point(&req, None).is_err());
    // Empty appVersion: the point is written without the tag.
    let p = build_point(&decode_request(b"{}").unwrap(), None).unwrap();
    assert!(p.tags.is_empty());
    assert_eq!(p.fields["value"], json!(1));
    // A long string field is dropped by the schema check.
    let req = decode_request(
        format!(
            r#"{{"appVersion":"v","extraFieldInfo":{{"s":"{}"}}}}"#,
            "s".repeat(201)
        )
        .as_bytes(),
    )
    .unwrap();
    assert!(!build_point(&req, None).unwrap().fields.contains_key("s"));
}

#[test]
fn routes_like_the_real_router() {
    let r = Responder::start(Behaviour::Normal(ResponseConfig::k3s_default())).unwrap();
    let c = Client::plain();
    assert_eq!(
        c.get(&format!("{}/v1/healthcheck", r.base_url()), None)
            .unwrap()
            .status,
        200
    );
    assert_eq!(c.get(&r.url(), None).unwrap().status, 405);
    let nf = c.get(&format!("{}/nope", r.base_url()), None).unwrap();
    assert_eq!(nf.status, 404);
    assert_eq!(nf.body, b"404 page not found\n");
}

#[test]
fn hang_really_hangs() {
    let r = Responder::start(Behaviour::Hang).unwrap();
    let mut c = Client::plain();
    c.timeout = Duration::from_millis(500);
    let t = Instant::now();
    let res = c.send("POST", &r.url(), &[], br#"{"appVersion":"v1"}"#.to_vec());
    assert!(res.is_err());
    assert!(t.elapsed() >= Duration::from_millis(500));
    // The request was read and recorded all the same.
    let rec = r.received();
    assert_eq!(rec.len(), 1);
    assert_eq!(rec[0].stored.as_ref().unwrap().tags["app_version"], "v1");
    // Dropping the server ends the hanging connection too.
    let start = Instant::now();
    drop(r);
    assert!(start.elapsed() < Duration::from_secs(2));
}

#[test]
fn redirect_sends_location() {
    let r = Responder::start(Behaviour::Redirect {
        location: "http://127.0.0.1:9/elsewhere".into(),
        status: 307,
    })
    .unwrap();
    let resp = post(&r, b"{}");
    assert_eq!(resp.status, 307);
    assert_eq!(resp.headers["location"], "http://127.0.0.1:9/elsewhere");
}

#[test]
fn trickle_huge_invalid_status() {
    let r = Responder::start(Behaviour::Trickle {
        interval: Duration::from_millis(2),
    })
    .unwrap();
    let t = Instant::now();
    let resp = post(&r, b"{}");
    assert_eq!(resp.status, 200);
    let len = resp.body.len();
    assert!(t.elapsed() >= Duration::from_millis(2 * len as u64 / 2));
    assert_eq!(resp.json()["versions"].as_array().unwrap().len(), 5);

    let r = Responder::start(Behaviour::HugeBody { bytes: 300_000 }).unwrap();
    let resp = post(&r, b"{}");
    assert_eq!(resp.body.len(), 300_000);
    assert_eq!(resp.headers["content-length"], "300000");
    assert_eq!(resp.json()["requestIntervalInMinutes"], 60);

    let r = Responder::start(Behaviour::InvalidJson).unwrap();
    let resp = post(&r, b"{}");
    assert_eq!(resp.status, 200);
    assert!(serde_json::from_slice::<Value>(&resp.body).is_err());

    let r = Responder::start(Behaviour::Status(503)).unwrap();
    let resp = post(&r, b"{}");
    assert_eq!(resp.status, 503);
    assert_eq!(resp.body, b"Service Unavailable\n");
    assert_eq!(r.received().len(), 1);
}

#[test]
fn zero_contact_is_observable() {
    let r = Responder::start(Behaviour::Normal(ResponseConfig::k3s_default())).unwrap();
    assert_eq!(r.connection_count(), 0);
    assert!(r.received().is_empty());
}
