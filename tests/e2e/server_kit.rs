//! `server-kit` and `schema --check`: the kit of each shipped component is
//! its own (the request schemas byte for byte what the component declares,
//! the deployed files in `deploy/request-schema/`), a deployed schema that
//! misses keys is named key by key, and, against a real InfluxDB 1.x, the
//! fixture clusters' payloads stored the way the Longhorn server stores
//! them are counted right by every continuous query and every dashboard
//! panel of the kit, also with the raw points in a default retention policy
//! of their own, as the kit's README advises.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use component_artifacts::{K3S_REPORTER_PATH, RKE2_REPORTER_PATH};
use serde_json::Value;
use ur_test_support::{
    Influxd, RequestSchema, StoredPoint, line_protocol, stored_point, wasmtime_run,
};

use crate::common::{Ran, TempDir, host, run, workspace};

const FILES: [&str; 8] = [
    "request-schema.json",
    "request-schema-minimal.json",
    "request-schema-standard.json",
    "continuous-queries.influxql",
    "dashboard.json",
    "response-config.json",
    "values.yaml",
    "README.md",
];

/// Each shipped component: its name, the `--component` it needs (none for
/// the built-in one), its wasm for `wasmtime run`, its deployed schema.
fn components() -> [(
    &'static str,
    Option<&'static str>,
    &'static str,
    &'static str,
); 2] {
    [
        ("k3s", None, K3S_REPORTER_PATH, "k3s.json"),
        (
            "rke2",
            Some(RKE2_REPORTER_PATH),
            RKE2_REPORTER_PATH,
            "rke2.json",
        ),
    ]
}

fn with_component(component: Option<&str>) -> std::process::Command {
    let mut command = host();
    if let Some(component) = component {
        command.arg("--component").arg(component);
    }
    command
}

fn server_kit(component: Option<&str>, app: &str, out: &Path) -> Ran {
    run(with_component(component)
        .args(["server-kit", "--app-name", app, "--out"])
        .arg(out))
}

/// What the component itself prints for `--schema [--field-mode MODE]`.
fn component_schema(wasm: &str, mode: Option<&str>) -> String {
    let mut args = vec!["--schema"];
    if let Some(mode) = mode {
        args.extend(["--field-mode", mode]);
    }
    let ran = wasmtime_run(Path::new(wasm), &args, b"");
    assert_eq!(ran.exit_code, 0, "{wasm} {args:?}: {}", ran.stderr);
    ran.stdout
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn the_kit_of_each_shipped_component_is_its_own_and_schema_prints_the_same_files() {
    for (name, component, wasm, deployed) in components() {
        let dir = TempDir::new(&format!("kit-{name}"));
        let out = dir.path().join("kit");
        let ran = server_kit(component, name, &out);
        assert_eq!(ran.code, 0, "{name}: {}", ran.stderr);
        let listed: Vec<PathBuf> = FILES.iter().map(|f| out.join(f)).collect();
        let printed: Vec<PathBuf> = ran.stdout.lines().map(PathBuf::from).collect();
        assert_eq!(printed, listed, "{name}");
        let mut made: Vec<String> = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        made.sort();
        let mut expected: Vec<String> = FILES.iter().map(|f| f.to_string()).collect();
        expected.sort();
        assert_eq!(made, expected, "{name}: exactly the kit's files");

        let deployed_text = read(&workspace().join("deploy/request-schema").join(deployed));
        assert_eq!(
            read(&out.join("request-schema.json")),
            deployed_text,
            "{name}"
        );
        for mode in ["minimal", "standard"] {
            assert_eq!(
                read(&out.join(format!("request-schema-{mode}.json"))),
                component_schema(wasm, Some(mode)),
                "{name} {mode}"
            );
            let printed = run(with_component(component).args(["schema", "--field-mode", mode]));
            assert_eq!(printed.code, 0, "{}", printed.stderr);
            assert_eq!(
                printed.stdout,
                component_schema(wasm, Some(mode)),
                "{name} {mode}"
            );
        }
        // No field mode given: every mode's keys, byte for byte the file.
        let printed = run(with_component(component).arg("schema"));
        assert_eq!(printed.code, 0, "{}", printed.stderr);
        assert_eq!(printed.stdout, deployed_text, "{name}");

        // The Helm values carry the same schema and response config.
        let values: Value =
            serde_saphyr::from_str(&read(&out.join("values.yaml"))).expect("values.yaml is YAML");
        assert_eq!(values["applicationName"], name);
        assert_eq!(
            values["configMap"]["requestSchema"].as_str().unwrap(),
            deployed_text.trim_end()
        );
        assert_eq!(
            values["configMap"]["responseConfig"].as_str().unwrap(),
            read(&out.join("response-config.json")).trim_end()
        );
        // The response config is one the server loads: each version named,
        // dated RFC 3339, tagged, one tagged latest; extraInfo as agreed.
        let config: Value = serde_json::from_str(&read(&out.join("response-config.json"))).unwrap();
        let versions = config["versions"].as_array().unwrap();
        assert!(
            versions
                .iter()
                .any(|v| v["tags"].as_array().unwrap().contains(&"latest".into()))
        );
        for version in versions {
            let info = version["extraInfo"].as_object().unwrap();
            // serde_json keeps the order only with `preserve_order`, which
            // the whole workspace's build turns on: compare the set.
            let mut keys: Vec<&str> = info.keys().map(String::as_str).collect();
            keys.sort_unstable();
            assert_eq!(keys, ["cves", "endOfSupport", "releaseNotesURL"]);
        }
    }
}

#[test]
fn a_second_kit_into_the_same_folder_replaces_the_files_and_bad_input_is_one_line() {
    let dir = TempDir::new("kit-errors");
    let out = dir.path().join("kit");
    assert_eq!(server_kit(None, "k3s", &out).code, 0);
    let again = server_kit(None, "k3s", &out);
    assert_eq!(again.code, 0, "{}", again.stderr);

    let cases: Vec<(Vec<String>, String)> = vec![
        (
            vec!["--app-name".into(), "K3s-Fleet".into()],
            "--app-name \"K3s-Fleet\": the server names its database <app-name>_upgrade_responder, so give a snake-case name of at most 64 characters (a-z, 0-9, _; a letter first), e.g. k3s".into(),
        ),
        (
            vec!["--app-name".into(), "k3s".into(), "--query-period".into(), "1d".into()],
            "--query-period \"1d\": give whole minutes or hours (30m, 1h, 8h), the interval clusters report at: the chart's CronJob reports every 8h".into(),
        ),
        (
            vec!["--app-name".into(), "k3s".into(), "--field-mode".into(), "standard".into()],
            "UPGRADE_RESPONDER_FIELD_MODE=standard (from command line): server-kit writes the server side of every field mode at once; leave the field mode unset".into(),
        ),
    ];
    for (args, error) in cases {
        let ran = run(host()
            .arg("server-kit")
            .args(&args)
            .arg("--out")
            .arg(dir.path().join("other")));
        assert_eq!(ran.code, 2, "{args:?}: {}", ran.stderr);
        assert_eq!(ran.stdout, "", "{args:?}");
        let errors = ran.log_lines("ERROR");
        assert_eq!(errors.len(), 1, "{args:?}: {}", ran.stderr);
        assert!(errors[0].ends_with(&error), "{args:?}: {}", errors[0]);
        assert!(!dir.path().join("other").exists(), "{args:?}");
    }
    // A folder whose parent is missing, and a file where the folder goes.
    for (out, error) in [
        (
            dir.path().join("no/such"),
            format!(
                "cannot write the kit folder {}: cannot create it (no such file or directory): its parent must exist",
                dir.path().join("no/such").display()
            ),
        ),
        (
            out.join("README.md"),
            format!(
                "cannot write the kit folder {}: not a directory: name a folder",
                out.join("README.md").display()
            ),
        ),
    ] {
        let ran = server_kit(None, "k3s", &out);
        assert_eq!(ran.code, 2, "{}", ran.stderr);
        let errors = ran.log_lines("ERROR");
        assert_eq!(errors.len(), 1, "{}", ran.stderr);
        assert!(errors[0].ends_with(&error), "{}", errors[0]);
    }
}

#[test]
fn schema_check_names_each_key_a_deployed_schema_drops_per_mode() {
    let dir = TempDir::new("schema-check");
    // The deployed file itself: nothing dropped, exit 0.
    let k3s = workspace().join("deploy/request-schema/k3s.json");
    let ran = run(host().args(["schema", "--check"]).arg(&k3s));
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    let minimal =
        RequestSchema::from_json(&component_schema(K3S_REPORTER_PATH, Some("minimal"))).unwrap();
    let standard =
        RequestSchema::from_json(&component_schema(K3S_REPORTER_PATH, Some("standard"))).unwrap();
    let count = |s: &RequestSchema| 1 + s.tags.len() + s.fields.len();
    assert_eq!(
        ran.stdout,
        format!(
            "minimal: keeps all {} keys\nstandard: keeps all {} keys\n",
            count(&minimal),
            count(&standard)
        )
    );

    // The server's own example schema, with one tag mistyped and short.
    let example = dir.path().join("example.json");
    std::fs::write(
        &example,
        r#"{"appVersionSchema":{"dataType":"string","maxLen":200},
            "extraTagInfoSchema":{"kubernetesVersion":{"dataType":"string","maxLen":20},"os":{"dataType":"string"}},
            "extraFieldInfoSchema":{"nodeCount":{"dataType":"string","maxLen":10}}}"#,
    )
    .unwrap();
    let ran = run(host().args(["schema", "--check"]).arg(&example));
    assert_eq!(ran.code, 2, "{}", ran.stderr);
    let mut expected = String::new();
    for (mode, schema) in [("minimal", &minimal), ("standard", &standard)] {
        // In the component's declared order: tags, then fields.
        for tag in ordered_keys(K3S_REPORTER_PATH, mode, "extraTagInfoSchema") {
            assert!(schema.tags.contains_key(&tag));
            match tag.as_str() {
                "kubernetesVersion" => expected.push_str(&format!(
                    "{mode}: drops extraTagInfo.kubernetesVersion: maxLen 20 drops values longer than that (the component sends up to 200)\n"
                )),
                "os" => {}
                _ => expected.push_str(&format!("{mode}: drops extraTagInfo.{tag}: not listed\n")),
            }
        }
        for field in ordered_keys(K3S_REPORTER_PATH, mode, "extraFieldInfoSchema") {
            let listed_as = if field == "nodeCount" {
                "listed as string, sent as float"
            } else {
                "not listed"
            };
            expected.push_str(&format!(
                "{mode}: drops extraFieldInfo.{field}: {listed_as}\n"
            ));
        }
    }
    assert_eq!(ran.stdout, expected);
    let errors = ran.log_lines("ERROR");
    assert_eq!(errors.len(), 1, "{}", ran.stderr);
    assert!(
        errors[0].ends_with(&format!(
            "{} drops keys built-in k3s-reporter sends: deploy the server with `upgrade-responder schema` (or `server-kit`'s request-schema.json) and restart it",
            example.display()
        )),
        "{}",
        errors[0]
    );

    // A file the server would not start with: one line, exit 2.
    let broken = dir.path().join("broken.json");
    std::fs::write(&broken, r#"{"appVersionSchema":{"dataType":"string"},"extraTagInfoSchema":{"os":{"dataType":"float"}},"extraFieldInfoSchema":{}}"#).unwrap();
    let ran = run(host().args(["schema", "--check"]).arg(&broken));
    assert_eq!(ran.code, 2, "{}", ran.stderr);
    assert_eq!(ran.stdout, "");
    let errors = ran.log_lines("ERROR");
    assert_eq!(errors.len(), 1, "{}", ran.stderr);
    assert!(
        errors[0].ends_with(&format!(
            "{} is not a request schema the server can start with: tag \"os\" must have the data type string (the server refuses to start)",
            broken.display()
        )),
        "{}",
        errors[0]
    );
}

/// The keys of one object of the component's schema, in its order.
fn ordered_keys(wasm: &str, mode: &str, object: &str) -> Vec<String> {
    let text = component_schema(wasm, Some(mode));
    let start = text.find(&format!("\"{object}\": {{")).unwrap();
    let mut keys = Vec::new();
    // Keys of the object sit at four spaces of indent.
    for line in text[start..].lines().skip(1) {
        if line.starts_with("  }") {
            break;
        }
        if let Some(rest) = line.strip_prefix("    \"") {
            keys.push(rest.split('"').next().unwrap().to_string());
        }
    }
    keys
}

/// 2025-01-01T00:00:00Z, on an 8-hour boundary.
const T0: i64 = 1_735_689_600;
const BUCKET: i64 = 8 * 3600;

/// The dashboard's `$timeFilter`, over the two buckets written.
const TIME_FILTER: &str = "time >= '2025-01-01T00:00:00Z' AND time < '2025-01-01T16:00:00Z'";

#[test]
fn in_a_real_influxdb_every_query_and_panel_counts_the_fixture_clusters() {
    let influx = Influxd::start();
    let fixtures: Vec<PathBuf> = {
        let mut files: Vec<PathBuf> = std::fs::read_dir(workspace().join("tests/fixtures/facts"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort();
        files
    };
    assert!(fixtures.len() >= 4, "{fixtures:?}");
    for (name, component, wasm, _) in components() {
        let dir = TempDir::new(&format!("kit-influx-{name}"));
        let out = dir.path().join("kit");
        let ran = server_kit(component, name, &out);
        assert_eq!(ran.code, 0, "{}", ran.stderr);
        let db = format!("{name}_upgrade_responder");
        influx.query("", &format!("CREATE DATABASE {db}"));
        if name == "rke2" {
            // As the kit's README advises: the raw points in a default
            // policy of their own (here without expiry: the points are
            // dated 2025), the continuous queries' output in `autogen`.
            influx.query(
                &db,
                &format!("CREATE RETENTION POLICY raw ON {db} DURATION 0s REPLICATION 1 SHARD DURATION 7d DEFAULT"),
            );
        }
        let schema = RequestSchema::from_json(&read(&out.join("request-schema.json"))).unwrap();

        // Bucket 0: every fixture in both modes; bucket 1: minimal only.
        let mut points: Vec<(i64, StoredPoint)> = Vec::new();
        for (bucket, modes) in [(0, &["minimal", "standard"][..]), (1, &["minimal"][..])] {
            for mode in modes {
                for fixture in &fixtures {
                    let facts = std::fs::read(fixture).unwrap();
                    let ran = wasmtime_run(Path::new(wasm), &["--field-mode", mode], &facts);
                    assert_eq!(ran.exit_code, 0, "{}", ran.stderr);
                    let point = stored_point(ran.stdout.trim_end().as_bytes(), Some(&schema))
                        .unwrap_or_else(|e| panic!("{name} {mode} {fixture:?}: {e}"));
                    assert!(point.dropped.is_empty(), "{:?}", point.dropped);
                    let at = T0 + bucket * BUCKET + points.len() as i64;
                    points.push((bucket, point));
                    influx.write(&db, &line_protocol(&points.last().unwrap().1, at));
                }
            }
        }

        // Every continuous query: created, then its SELECT ... INTO run
        // over the two buckets (a created query runs only at the end of
        // each period from now on).
        let queries = read(&out.join("continuous-queries.influxql"));
        influx.query(&db, &queries);
        let shown = influx.query(&db, "SHOW CONTINUOUS QUERIES");
        let created: Vec<String> = shown["results"][0]["series"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["name"] == db.as_str())
            .flat_map(|s| s["values"].as_array().unwrap().iter())
            .map(|v| v[0].as_str().unwrap().to_string())
            .collect();
        let mut names: Vec<String> = queries
            .lines()
            .map(|l| l.split('"').nth(1).unwrap().to_string())
            .collect();
        names.sort();
        let mut created_sorted = created.clone();
        created_sorted.sort();
        assert_eq!(created_sorted, names, "{name}");
        for line in queries.lines() {
            let select = line
                .split(" BEGIN ")
                .nth(1)
                .unwrap()
                .trim_end_matches(" END;");
            let (head, group) = select.split_once(" GROUP BY ").unwrap();
            influx.query(&db, &format!("{head} WHERE {TIME_FILTER} GROUP BY {group}"));
        }

        // Every panel's query returns what the points imply.
        let dashboard: Value = serde_json::from_str(&read(&out.join("dashboard.json"))).unwrap();
        let panels = dashboard["panels"].as_array().unwrap();
        assert_eq!(
            panels.len(),
            names.len(),
            "{name}: one panel per continuous query"
        );
        for panel in panels {
            let title = panel["title"].as_str().unwrap();
            let query = panel["targets"][0]["query"].as_str().unwrap();
            let answer = influx.query(&db, &query.replace("$timeFilter", TIME_FILTER));
            let got = rows(&answer);
            let want = expected(title, query, &points);
            assert!(
                !want.is_empty(),
                "{name} {title}: the fixtures imply nothing"
            );
            assert_eq!(got, want, "{name} {title}: {query}");
            if name == "k3s" && title == "Clusters by kubernetesVersion" {
                eprintln!("{title}: {query}\n{answer}");
            }
        }
    }
}

/// A panel's answer as (bucket, tag value) -> number.
fn rows(answer: &Value) -> BTreeMap<(i64, String), f64> {
    let mut rows = BTreeMap::new();
    for series in answer["results"][0]["series"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let tag = series["tags"]
            .as_object()
            .and_then(|t| t.values().next())
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        for value in series["values"].as_array().unwrap() {
            let bucket = match value[0].as_str().unwrap() {
                "2025-01-01T00:00:00Z" => 0,
                "2025-01-01T08:00:00Z" => 1,
                other => panic!("a bucket outside the points: {other}"),
            };
            rows.insert((bucket, tag.clone()), value[1].as_f64().unwrap());
        }
    }
    rows
}

/// What a panel must show for these points, from its query's shape:
/// `GROUP BY time(8h), "tag"` counts per tag value; a `sum_<field>_8h`
/// measurement sums that field; `clusters_8h` counts every point.
fn expected(
    title: &str,
    query: &str,
    points: &[(i64, StoredPoint)],
) -> BTreeMap<(i64, String), f64> {
    // FROM "autogen"."<measurement>"
    let measurement = query.split('"').nth(5).unwrap();
    let mut want = BTreeMap::new();
    if let Some(tag) = query.split("GROUP BY time(8h), \"").nth(1) {
        let tag = tag.split('"').next().unwrap();
        for (bucket, point) in points {
            let value = point.tags.get(tag).cloned().unwrap_or_default();
            *want.entry((*bucket, value)).or_insert(0.0) += 1.0;
        }
    } else if let Some(field) = measurement
        .strip_prefix("sum_")
        .and_then(|m| m.strip_suffix("_8h"))
    {
        for (bucket, point) in points {
            if let Some(n) = point.fields.get(field).and_then(Value::as_f64) {
                *want.entry((*bucket, String::new())).or_insert(0.0) += n;
            }
        }
    } else {
        assert_eq!(measurement, "clusters_8h", "{title}");
        for (bucket, _) in points {
            *want.entry((*bucket, String::new())).or_insert(0.0) += 1.0;
        }
    }
    want
}

/// The kit's response-config skeleton is an answer the client reads whole:
/// previewed by a dry run, every `extraInfo` value of the convention is
/// kept (none ignored as malformed), and a cluster on the skeleton's own
/// versions gets its security notice from it.
#[test]
fn the_response_config_skeleton_is_read_by_the_client_without_a_value_ignored() {
    let dir = TempDir::new("kit-response-config");
    let out = dir.path().join("kit");
    let ran = server_kit(None, "k3s", &out);
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    let config: Value = serde_json::from_str(&read(&out.join("response-config.json"))).unwrap();
    // A cluster running the skeleton's own kind of version, a patch behind
    // its stable one.
    let mut facts: Value = serde_json::from_str(&read(
        &workspace().join("tests/fixtures/facts/k3s-single.json"),
    ))
    .unwrap();
    facts["server_version"]["git_version"] = Value::from("v1.32.4");
    let facts_path = dir.path().join("facts.json");
    std::fs::write(&facts_path, facts.to_string()).unwrap();
    let answer = dir.path().join("answer.json");
    std::fs::write(&answer, config.to_string()).unwrap();
    let ran = run(host()
        .arg("--dry-run")
        .arg("--sample-answer")
        .arg(&answer)
        .arg("--facts")
        .arg(&facts_path));
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    let info = ran.log_lines("INFO");
    let read_line = info
        .iter()
        .find(|l| l.contains("the component read the sample answer:"))
        .unwrap_or_else(|| panic!("{}", ran.stderr));
    assert!(
        read_line.ends_with(" ignored_advisory_values=0"),
        "{read_line}"
    );
    // Whether 2026-02-28 is past depends on the day the test runs.
    assert!(
        info.last().unwrap().contains(
            "dry run: the notice for the sample answer: upgrade available: move to v1.32.5 now (Plan version: v1.32.5, released 2025-05-15), the target on channel stable; security fixes in this step: CVE-2025-1974; release notes: https://example.com/releases/v1.32.5"
        ),
        "{}",
        ran.stderr
    );
    assert!(
        read_line.contains(" support_ends=2026-02-28 "),
        "{read_line}"
    );
}
