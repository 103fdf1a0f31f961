use std::path::Path;

use serde_json::{Value, json};

use crate::testclient::Client;
use crate::{ApiOptions, ApiServer, Rule};

fn item(name: &str) -> Value {
    json!({"metadata": {"name": name}})
}

fn fixtures(dir: &Path) {
    let w =
        |f: &str, v: Value| std::fs::write(dir.join(f), serde_json::to_vec(&v).unwrap()).unwrap();
    w(
        "version.json",
        json!({"major": "1", "minor": "32", "gitVersion": "v1.32.2+k3s1"}),
    );
    w(
        "kube-system.json",
        json!({"kind": "Namespace", "apiVersion": "v1", "metadata": {"name": "kube-system", "uid": "0f3c-uid"}}),
    );
    let items: Vec<Value> = (1..=5).map(|i| item(&format!("node-{i}"))).collect();
    w(
        "nodes.json",
        json!({"kind": "NodeList", "apiVersion": "v1", "metadata": {"resourceVersion": "4242"}, "items": items}),
    );
    w(
        "deployments.json",
        json!({"kind": "DeploymentList", "apiVersion": "apps/v1", "metadata": {"resourceVersion": "77"}, "items": [item("coredns"), item("traefik")]}),
    );
    // daemonsets.json deliberately missing.
}

/// A temporary directory removed on drop.
struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl std::ops::Deref for TempDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

fn temp_dir(tag: &str) -> TempDir {
    let mut raw = [0u8; 8];
    crate::random_bytes(&mut raw).unwrap();
    let dir = std::env::temp_dir().join(format!(
        "ur-test-support-{tag}-{}",
        raw.iter().map(|b| format!("{b:02x}")).collect::<String>()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    TempDir(dir)
}

fn server(options: ApiOptions) -> (ApiServer, Client, TempDir) {
    let dir = temp_dir("api");
    fixtures(&dir);
    let s = ApiServer::start(&dir, options).unwrap();
    let c = Client::trusting(s.ca_der());
    (s, c, dir)
}

#[test]
fn serves_fixtures_over_tls() {
    let (s, c, _dir) = server(ApiOptions::default());
    assert!(s.url().starts_with("https://127.0.0.1:"));
    let r = c
        .get(&format!("{}/version", s.url()), Some(s.token()))
        .unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["gitVersion"], "v1.32.2+k3s1");
    assert_eq!(r.headers["content-type"], "application/json");
    let r = c
        .get(
            &format!("{}/api/v1/namespaces/kube-system", s.url()),
            Some(s.token()),
        )
        .unwrap();
    assert_eq!(r.json()["metadata"]["uid"], "0f3c-uid");
    let r = c
        .get(&format!("{}/api/v1/nodes", s.url()), Some(s.token()))
        .unwrap();
    let v = r.json();
    assert_eq!(v["items"].as_array().unwrap().len(), 5);
    assert!(v["metadata"].get("continue").is_none());
    assert_eq!(v["metadata"]["resourceVersion"], "4242");
    let r = c
        .get(&format!("{}/api/v1/nodes/node-3", s.url()), Some(s.token()))
        .unwrap();
    assert_eq!(r.json()["metadata"]["name"], "node-3");
    // localhost is in the certificate too.
    let local = s.url().replace("127.0.0.1", "localhost");
    assert_eq!(
        c.get(&format!("{local}/version"), Some(s.token()))
            .unwrap()
            .status,
        200
    );
}

#[test]
fn missing_and_unknown_routes_are_404_statuses() {
    let (s, c, _dir) = server(ApiOptions::default());
    let r = c
        .get(
            &format!("{}/apis/apps/v1/namespaces/kube-system/daemonsets", s.url()),
            Some(s.token()),
        )
        .unwrap();
    assert_eq!(r.status, 404);
    assert_eq!(r.json()["reason"], "NotFound");
    assert_eq!(
        r.json()["message"],
        "the server could not find the requested resource"
    );
    let r = c
        .get(&format!("{}/api/v1/nodes/nope", s.url()), Some(s.token()))
        .unwrap();
    assert_eq!(r.status, 404);
    assert_eq!(r.json()["message"], "nodes \"nope\" not found");
    assert_eq!(
        r.json()["details"],
        json!({"name": "nope", "kind": "nodes"})
    );
    let r = c
        .get(&format!("{}/api/v1/pods", s.url()), Some(s.token()))
        .unwrap();
    assert_eq!(r.status, 404);
    let r = c
        .send(
            "POST",
            &format!("{}/api/v1/nodes", s.url()),
            &[("authorization", &format!("Bearer {}", s.token()))],
            b"{}".to_vec(),
        )
        .unwrap();
    assert_eq!(r.status, 405);
    assert_eq!(r.json()["reason"], "MethodNotAllowed");
}

#[test]
fn authentication() {
    let (s, c, _dir) = server(ApiOptions::default());
    let url = format!("{}/api/v1/nodes", s.url());
    let expected = json!({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401});
    let none = c.get(&url, None).unwrap();
    assert_eq!(none.status, 401);
    assert_eq!(none.json(), expected);
    assert_eq!(
        String::from_utf8(none.body.clone()).unwrap(),
        r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}"#
    );
    let wrong = c.get(&url, Some("not-the-token")).unwrap();
    assert_eq!(wrong.status, 401);
    assert_eq!(wrong.json(), expected);
    let basic = c
        .send(
            "GET",
            &url,
            &[("authorization", &format!("Basic {}", s.token()))],
            Vec::new(),
        )
        .unwrap();
    assert_eq!(basic.status, 401);
    assert_eq!(c.get(&url, Some(s.token())).unwrap().status, 200);

    let reqs = s.requests();
    assert_eq!(reqs.len(), 4);
    assert_eq!(
        reqs.iter()
            .map(|r| (r.token_ok, r.status))
            .collect::<Vec<_>>(),
        vec![(false, 401), (false, 401), (false, 401), (true, 200)]
    );
    assert_eq!(reqs[3].method, "GET");
    assert_eq!(reqs[3].path, "/api/v1/nodes");
}

#[test]
fn paging() {
    let (s, c, _dir) = server(ApiOptions::default());
    let base = format!("{}/api/v1/nodes", s.url());
    let mut names = Vec::new();
    let mut url = format!("{base}?limit=2");
    let mut pages = Vec::new();
    loop {
        let r = c.get(&url, Some(s.token())).unwrap();
        assert_eq!(r.status, 200);
        let v = r.json();
        assert_eq!(v["metadata"]["resourceVersion"], "4242");
        for i in v["items"].as_array().unwrap() {
            names.push(i["metadata"]["name"].as_str().unwrap().to_string());
        }
        pages.push((
            v["items"].as_array().unwrap().len(),
            v["metadata"].get("remainingItemCount").cloned(),
        ));
        match v["metadata"].get("continue").and_then(Value::as_str) {
            Some(token) => url = format!("{base}?limit=2&continue={token}"),
            None => break,
        }
    }
    assert_eq!(
        pages,
        vec![(2, Some(json!(3))), (2, Some(json!(1))), (1, None)]
    );
    assert_eq!(names, ["node-1", "node-2", "node-3", "node-4", "node-5"]);

    let r = c
        .get(
            &format!("{base}?limit=2&continue=garbage!"),
            Some(s.token()),
        )
        .unwrap();
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["reason"], "BadRequest");
    assert!(
        r.json()["message"]
            .as_str()
            .unwrap()
            .starts_with("continue key is not valid")
    );

    let recorded = s.requests();
    assert_eq!(recorded[1].query_param("limit").as_deref(), Some("2"));
    assert!(recorded[1].query_param("continue").is_some());
}

#[test]
fn page_size_cap_limits_pages() {
    let (s, c, _dir) = server(ApiOptions {
        page_size_cap: Some(1),
        ..ApiOptions::default()
    });
    let v = c
        .get(
            &format!("{}/api/v1/nodes?limit=500", s.url()),
            Some(s.token()),
        )
        .unwrap()
        .json();
    assert_eq!(v["items"].as_array().unwrap().len(), 1);
    assert_eq!(v["metadata"]["remainingItemCount"], 4);
    // Without limit the whole list, as the real server does.
    let v = c
        .get(&format!("{}/api/v1/nodes", s.url()), Some(s.token()))
        .unwrap()
        .json();
    assert_eq!(v["items"].as_array().unwrap().len(), 5);
}

#[test]
fn rbac() {
    let rules = vec![
        Rule::cluster(&[""], &["nodes"], &["list"]),
        Rule::cluster(&[""], &["namespaces"], &["get"]).with_names(&["kube-system"]),
        Rule::namespaced("kube-system", &["apps"], &["deployments"], &["list", "get"]),
        Rule::non_resource(&["/version"], &["get"]),
    ];
    let (s, c, _dir) = server(ApiOptions {
        rules: Some(rules),
        ..ApiOptions::default()
    });
    let get = |p: &str| c.get(&format!("{}{p}", s.url()), Some(s.token())).unwrap();
    let user = crate::DEFAULT_USER;

    assert_eq!(get("/api/v1/nodes").status, 200);
    assert_eq!(get("/api/v1/namespaces/kube-system").status, 200);
    assert_eq!(
        get("/apis/apps/v1/namespaces/kube-system/deployments").status,
        200
    );
    assert_eq!(get("/version").status, 200);

    // get on a named node is not list.
    let r = get("/api/v1/nodes/node-1");
    assert_eq!(r.status, 403);
    assert_eq!(
        r.json(),
        json!({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",
            "message": format!("nodes \"node-1\" is forbidden: User \"{user}\" cannot get resource \"nodes\" in API group \"\" at the cluster scope"),
            "reason":"Forbidden","details":{"name":"node-1","kind":"nodes"},"code":403})
    );
    // resource_names restricts get by name...
    let r = get("/api/v1/namespaces/default");
    assert_eq!(r.status, 403);
    assert_eq!(
        r.json()["message"],
        format!(
            "namespaces \"default\" is forbidden: User \"{user}\" cannot get resource \"namespaces\" in API group \"\" in the namespace \"default\""
        )
    );
    // ...and never matches list.
    let r = get("/api/v1/namespaces");
    assert_eq!(r.status, 403);
    assert_eq!(
        r.json()["message"],
        format!(
            "namespaces is forbidden: User \"{user}\" cannot list resource \"namespaces\" in API group \"\" at the cluster scope"
        )
    );
    // deployments only in kube-system.
    let r = get("/apis/apps/v1/namespaces/default/deployments");
    assert_eq!(r.status, 403);
    assert_eq!(
        r.json()["message"],
        format!(
            "deployments.apps is forbidden: User \"{user}\" cannot list resource \"deployments\" in API group \"apps\" in the namespace \"default\""
        )
    );
    assert_eq!(
        r.json()["details"],
        json!({"group": "apps", "kind": "deployments"})
    );
    // daemonsets not granted at all (403 before the 404 of the missing file).
    let r = get("/apis/apps/v1/namespaces/kube-system/daemonsets");
    assert_eq!(r.status, 403);
    assert_eq!(
        r.json()["message"],
        format!(
            "daemonsets.apps is forbidden: User \"{user}\" cannot list resource \"daemonsets\" in API group \"apps\" in the namespace \"kube-system\""
        )
    );
    // watch is its own verb.
    assert_eq!(get("/api/v1/nodes?watch=true").status, 403);
    // non-resource URLs.
    let r = get("/healthz");
    assert_eq!(r.status, 403);
    assert_eq!(
        r.json(),
        json!({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",
            "message": format!("forbidden: User \"{user}\" cannot get path \"/healthz\""),
            "reason":"Forbidden","details":{},"code":403})
    );
    // Authentication comes first.
    assert_eq!(
        c.get(&format!("{}/api/v1/nodes", s.url()), None)
            .unwrap()
            .status,
        401
    );
}

#[test]
fn fail_with_and_delay() {
    let (s, c, _dir) = server(ApiOptions {
        fail_with: Some(503),
        delay: Some(std::time::Duration::from_millis(300)),
        ..ApiOptions::default()
    });
    let t = std::time::Instant::now();
    let r = c
        .get(&format!("{}/version", s.url()), Some(s.token()))
        .unwrap();
    assert!(t.elapsed() >= std::time::Duration::from_millis(300));
    assert_eq!(r.status, 503);
    assert_eq!(r.json()["reason"], "ServiceUnavailable");
    assert_eq!(s.requests()[0].status, 503);
}

#[test]
fn kubeconfig_and_shutdown() {
    let (s, c, dir) = server(ApiOptions::default());
    let path = dir.join("kubeconfig");
    s.write_kubeconfig(&path).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(&format!("server: \"{}\"", s.url())));
    assert!(text.contains(&format!("token: \"{}\"", s.token())));
    assert!(text.contains("current-context: stand-in"));
    use base64::Engine as _;
    let ca = base64::engine::general_purpose::STANDARD.encode(s.ca_pem());
    assert!(text.contains(&ca));
    assert!(s.ca_pem().starts_with("-----BEGIN CERTIFICATE-----"));

    let url = s.url();
    assert_eq!(s.connection_count(), 0);
    drop(s);
    assert!(c.get(&format!("{url}/version"), Some("x")).is_err());
}

#[test]
fn bad_fixture_is_an_error() {
    let dir = temp_dir("bad");
    std::fs::write(dir.join("nodes.json"), "{not json").unwrap();
    let err = ApiServer::start(&dir, ApiOptions::default()).err().unwrap();
    assert!(format!("{err:#}").contains("nodes.json"));
}
