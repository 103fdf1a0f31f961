//! The distribution image's recipe, `deploy/image/Containerfile.distro`
//! (built by `deploy/image/build.sh distro FILE.wasm NAME`), selects and
//! pins the file it copies: applied to a directory standing for the image's
//! root (no image builder runs in the tests), its `ENV` alone makes the host
//! run the precompiled component it `COPY`s, and another pin is refused.

use std::collections::BTreeMap;

use crate::common::{TempDir, facts_file, host, run, workspace};

const RECIPE: &str = "deploy/image/Containerfile.distro";

/// `${NAME}` and `${SHA256}` of the recipe, as build.sh passes them.
fn expand(text: &str, args: &BTreeMap<&str, &str>) -> String {
    args.iter().fold(text.to_string(), |text, (name, value)| {
        text.replace(&format!("${{{name}}}"), value)
    })
}

#[test]
fn the_distribution_image_runs_the_component_it_copies_by_its_env_alone() {
    let recipe = std::fs::read_to_string(workspace().join(RECIPE)).unwrap();
    let name = "acme";
    let pin = component_artifacts::EXAMPLE_REPORTER_CWASM_SHA256;
    let args = BTreeMap::from([("NAME", name), ("SHA256", pin)]);
    let root = TempDir::new("distro-image");
    let mut copied = Vec::new();
    let mut env = Vec::new();
    let mut from = None;
    for line in recipe.lines().map(str::trim) {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words[..] {
            [] => {}
            [comment, ..] if comment.starts_with('#') => {}
            ["ARG", _] => {}
            ["FROM", image] => from = Some(image.to_string()),
            ["COPY", "component.cwasm", destination] => {
                let destination = expand(destination, &args);
                let at = root.path().join(destination.trim_start_matches('/'));
                std::fs::create_dir_all(at.parent().unwrap()).unwrap();
                std::fs::copy(component_artifacts::EXAMPLE_REPORTER_CWASM_PATH, &at).unwrap();
                copied.push(destination);
            }
            ["ENV", assignment] => {
                let (key, value) = assignment.split_once('=').expect("ENV NAME=value");
                env.push((key.to_string(), expand(value, &args)));
            }
            _ => panic!("{RECIPE}: an instruction this test does not know: {line}"),
        }
    }
    assert_eq!(
        from.as_deref(),
        Some("${HOST_IMAGE}"),
        "FROM the host image build.sh names"
    );
    assert_eq!(copied, [format!("/components/{name}.cwasm")]);
    let expected_env = [
        ("UPGRADE_RESPONDER_COMPONENT".to_string(), copied[0].clone()),
        (
            "UPGRADE_RESPONDER_COMPONENT_SHA256".to_string(),
            pin.to_string(),
        ),
    ];
    assert_eq!(
        env, expected_env,
        "the ENV selects and pins the copied file"
    );

    // The image's paths live under the stand-in root here.
    let in_root = |value: &str| match value.strip_prefix('/') {
        Some(path) => root.path().join(path).display().to_string(),
        None => value.to_string(),
    };
    let dry_run = |pin: &str| {
        let mut command = host();
        command.current_dir(workspace());
        for (key, value) in &env {
            let value = if key.ends_with("_SHA256") {
                pin.to_string()
            } else {
                in_root(value)
            };
            command.env(key, value);
        }
        command
            .arg("--dry-run")
            .arg("--facts")
            .arg(facts_file("k3s-ha"));
        run(&mut command)
    };
    let ran = dry_run(pin);
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    let from_wasm = run(host()
        .current_dir(workspace())
        .arg("--component")
        .arg(component_artifacts::EXAMPLE_REPORTER_PATH)
        .arg("--dry-run")
        .arg("--facts")
        .arg(facts_file("k3s-ha")));
    assert_eq!(from_wasm.code, 0, "{}", from_wasm.stderr);
    assert_eq!(ran.stdout, from_wasm.stdout, "the copied component ran");

    let refused = dry_run(&"0".repeat(64));
    assert_eq!(
        refused.code, 3,
        "another pin is refused: {}",
        refused.stderr
    );
}
