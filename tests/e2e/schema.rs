//! Each shipped component's request schema (`--schema`): a server deployed
//! with it stores every payload the component sends, for every fixture and
//! field mode, whole; each mode's schema lists exactly the keys that mode
//! sends; and the schema files in `deploy/request-schema/` are the
//! components' own.

use std::collections::BTreeSet;
use std::path::Path;

use component_artifacts::{COMPONENTS, K3S_REPORTER_PATH, RKE2_REPORTER_PATH};
use serde_json::Value;
use ur_test_support::{RequestSchema, stored_point, wasmtime_run};

use crate::common::workspace;

const MODES: [&str; 2] = ["minimal", "standard"];

/// The component's `--schema` output, with `--field-mode` when given.
fn schema_text(component: &str, mode: Option<&str>) -> String {
    let mut args = vec!["--schema"];
    if let Some(mode) = mode {
        args.extend(["--field-mode", mode]);
    }
    let ran = wasmtime_run(Path::new(component), &args, b"");
    assert_eq!(ran.exit_code, 0, "{component} {args:?}: {}", ran.stderr);
    ran.stdout
}

fn schema(component: &str, mode: Option<&str>) -> RequestSchema {
    RequestSchema::from_json(&schema_text(component, mode))
        .unwrap_or_else(|e| panic!("{component} {mode:?}: the server would not start: {e}"))
}

fn keys<'a>(names: impl IntoIterator<Item = &'a String>) -> BTreeSet<&'a str> {
    names.into_iter().map(String::as_str).collect()
}

#[test]
fn every_payload_of_every_fixture_and_mode_fits_the_components_schema() {
    let fixtures: Vec<_> = std::fs::read_dir(workspace().join("tests/fixtures/facts"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .collect();
    assert!(fixtures.len() >= 4, "{fixtures:?}");
    for (package, component) in COMPONENTS {
        let every_mode = schema(component, None);
        let mut union_tags = BTreeSet::new();
        let mut union_fields = BTreeSet::new();
        for mode in MODES {
            let mode_schema = schema(component, Some(mode));
            union_tags.extend(mode_schema.tags.keys().cloned());
            union_fields.extend(mode_schema.fields.keys().cloned());
            for fixture in &fixtures {
                let facts = std::fs::read(fixture).unwrap();
                let ran = wasmtime_run(Path::new(component), &["--field-mode", mode], &facts);
                assert_eq!(
                    ran.exit_code, 0,
                    "{package} {mode} {fixture:?}: {}",
                    ran.stderr
                );
                let body = ran.stdout.trim_end();
                let case = format!("{package} {mode} {}", fixture.display());
                let point = stored_point(body.as_bytes(), Some(&every_mode))
                    .unwrap_or_else(|e| panic!("{case}: nothing stored: {e}"));
                assert!(
                    point.dropped.is_empty(),
                    "{case}: dropped {:?}",
                    point.dropped
                );
                let payload: Value = serde_json::from_str(body).unwrap();
                let sent = |place: &str| -> BTreeSet<String> {
                    payload[place]
                        .as_object()
                        .unwrap()
                        .keys()
                        .cloned()
                        .collect()
                };
                assert_eq!(
                    sent("extraTagInfo").iter().collect::<BTreeSet<_>>(),
                    mode_schema.tags.keys().collect::<BTreeSet<_>>(),
                    "{case}: tags sent = tags declared for the mode"
                );
                assert_eq!(
                    sent("extraFieldInfo").iter().collect::<BTreeSet<_>>(),
                    mode_schema.fields.keys().collect::<BTreeSet<_>>(),
                    "{case}: fields sent = fields declared for the mode"
                );
            }
        }
        assert_eq!(keys(&union_tags), keys(every_mode.tags.keys()), "{package}");
        assert_eq!(
            keys(&union_fields),
            keys(every_mode.fields.keys()),
            "{package}"
        );
    }
}

#[test]
fn the_deployed_schema_files_are_the_components_own() {
    for (file, component) in [
        ("k3s.json", K3S_REPORTER_PATH),
        ("rke2.json", RKE2_REPORTER_PATH),
    ] {
        let path = workspace().join("deploy/request-schema").join(file);
        let deployed = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            deployed,
            schema_text(component, None),
            "{}: regenerate it with `wasmtime run {} --schema`",
            path.display(),
            Path::new(component).file_name().unwrap().to_string_lossy()
        );
    }
}
