//! The stand-in compresses as the real kube-apiserver does. The rule lives
//! only here (the host asks for gzip and inflates whatever comes), so its
//! table of cases is the stand-in's alone.

use std::io::Read as _;

use serde_json::{Value, json};

use crate::compression::{GZIP_THRESHOLD_BYTES, compresses};
use crate::testclient::Client;
use crate::{ApiOptions, ApiServer, ClusterObjects};

/// (Accept-Encoding, answer size, gzipped?), from writers.go:
/// `negotiateContentEncoding` and `defaultGzipThresholdBytes`.
const CASES: &[(Option<&str>, usize, bool)] = &[
    (None, 1 << 20, false),
    (Some(""), 1 << 20, false),
    (Some("gzip"), 1 << 20, true),
    // Only above the threshold: a small answer costs more to compress.
    (Some("gzip"), GZIP_THRESHOLD_BYTES, false),
    (Some("gzip"), GZIP_THRESHOLD_BYTES + 1, true),
    (Some("gzip"), 80, false),
    // Tokens are split on commas and trimmed.
    (Some("deflate, gzip"), 1 << 20, true),
    (Some("  gzip  "), 1 << 20, true),
    (Some("br,gzip,zstd"), 1 << 20, true),
    // A token is compared whole and case-sensitively: no q-values, no
    // wildcard, no other coding.
    (Some("gzip;q=1.0"), 1 << 20, false),
    (Some("GZIP"), 1 << 20, false),
    (Some("*"), 1 << 20, false),
    (Some("deflate, br"), 1 << 20, false),
    (Some("identity"), 1 << 20, false),
];

#[test]
fn compression_follows_the_real_servers_rule() {
    for (accept, size, gzipped) in CASES {
        assert_eq!(
            compresses(*accept, *size),
            *gzipped,
            "Accept-Encoding {accept:?}, {size} bytes"
        );
    }
}

/// A node list of `count` nodes, each padded to about 2 KB.
fn cluster(count: usize) -> ClusterObjects {
    let items: Vec<Value> = (0..count)
        .map(|i| {
            json!({"metadata": {"name": format!("node-{i:04}"), "annotations": {"pad": "x".repeat(2000)}}})
        })
        .collect();
    ClusterObjects {
        version: Some(json!({"gitVersion": "v1.32.2+k3s1"})),
        kube_system: Some(json!({"metadata": {"name": "kube-system", "uid": "u"}})),
        nodes: Some(
            json!({"kind": "NodeList", "metadata": {"resourceVersion": "9"}, "items": items}),
        ),
        deployments: None,
        daemonsets: None,
        ..ClusterObjects::default()
    }
}

fn get(server: &ApiServer, path: &str, accept: Option<&str>) -> crate::testclient::Resp {
    let auth = format!("Bearer {}", server.token());
    let mut headers = vec![("authorization", auth.as_str())];
    if let Some(accept) = accept {
        headers.push(("accept-encoding", accept));
    }
    Client::trusting(server.ca_der())
        .send(
            "GET",
            &format!("{}{path}", server.url()),
            &headers,
            Vec::new(),
        )
        .unwrap()
}

fn gunzip(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(body)
        .read_to_end(&mut out)
        .unwrap();
    out
}

#[test]
fn a_large_list_goes_gzipped_to_a_client_that_asks_and_plain_to_one_that_does_not() {
    let server = ApiServer::serve(cluster(200), ApiOptions::default()).unwrap();
    let plain = get(&server, "/api/v1/nodes", None);
    assert_eq!(plain.status, 200);
    assert!(plain.headers.get("content-encoding").is_none());
    assert!(plain.body.len() > GZIP_THRESHOLD_BYTES);

    let zipped = get(&server, "/api/v1/nodes", Some("gzip"));
    assert_eq!(zipped.status, 200);
    assert_eq!(zipped.headers["content-encoding"], "gzip");
    assert_eq!(zipped.headers["vary"], "Accept-Encoding");
    assert_eq!(zipped.headers["content-type"], "application/json");
    assert!(zipped.body.len() * 10 < plain.body.len());
    assert_eq!(gunzip(&zipped.body), plain.body);

    let recorded = server.requests();
    assert_eq!(
        recorded
            .iter()
            .map(|r| (r.gzip, r.body_bytes, r.decoded_bytes))
            .collect::<Vec<_>>(),
        [
            (false, plain.body.len(), plain.body.len()),
            (true, zipped.body.len(), plain.body.len()),
        ]
    );
}

#[test]
fn small_answers_and_the_version_go_plain_even_to_a_client_that_asks() {
    let server = ApiServer::serve(cluster(3), ApiOptions::default()).unwrap();
    for path in [
        "/api/v1/nodes",
        "/api/v1/namespaces/kube-system",
        "/version",
    ] {
        let resp = get(&server, path, Some("gzip"));
        assert_eq!(resp.status, 200, "{path}");
        assert!(resp.headers.get("content-encoding").is_none(), "{path}");
        serde_json::from_slice::<Value>(&resp.body).unwrap();
    }
    // A page cut to fewer items than asked stays under the threshold too.
    let large = ApiServer::serve(cluster(200), ApiOptions::default()).unwrap();
    let page = get(&large, "/api/v1/nodes?limit=10", Some("gzip"));
    assert!(page.headers.get("content-encoding").is_none());
    let page = get(&large, "/api/v1/nodes?limit=100", Some("gzip"));
    assert_eq!(page.headers["content-encoding"], "gzip");
}
