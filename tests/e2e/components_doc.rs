//! COMPONENTS.md, the author's kit, stays true: every `sh` command in it is
//! exercised here (a command this file does not know how to exercise fails
//! the test), every payload it shows is one those commands printed, and its
//! example code is the compiled `guest/example` crate.
//!
//! Paths in the document are an author's: `target/wasm32-wasip2/release/
//! NAME.wasm` from plain `cargo build --release --target wasm32-wasip2`. The
//! workspace build (`guest/artifacts`) builds the same packages for the same
//! target with the size-optimised `guest` profile, so those paths stand for
//! its artifacts, and `./target/release/upgrade-responder` for the binary
//! `cargo test --release` built. Commands run in the workspace directory, as
//! the document's relative paths assume.

use std::collections::BTreeMap;
use std::path::Path;

use ur_test_support::{Behaviour, Responder, ResponseConfig, wasmtime};

use crate::common::{TempDir, host, run, workspace};
use crate::doc_commands::{Block, CommandLine, blocks, flag_value, parse};

const DOC: &str = "COMPONENTS.md";
const AUTHOR_BUILD_DIR: &str = "target/wasm32-wasip2/release/";
const HOST_BINARY: &str = "./target/release/upgrade-responder";
/// The start of every WebAssembly component: magic, then the component
/// layer's version (a core module would have 01 00 00 00).
const COMPONENT_HEADER: [u8; 8] = [0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00];

fn document() -> (String, Vec<Block>) {
    let text = std::fs::read_to_string(workspace().join(DOC)).unwrap();
    let found = blocks(&text);
    (text, found)
}

/// The shipped component a document path stands for.
fn artifact(path: &str) -> Option<&'static str> {
    let name = path.strip_prefix(AUTHOR_BUILD_DIR)?.strip_suffix(".wasm")?;
    component_artifacts::COMPONENTS
        .iter()
        .find(|(package, _)| *package == name)
        .map(|(_, built)| *built)
}

/// Replaces the document's component paths with the built artifacts.
fn map_path(word: &str) -> String {
    artifact(word).map_or_else(|| word.to_string(), str::to_string)
}

/// The precompiled artefact a document path stands for: `compile`'s output
/// in the working directory (`./example-reporter.cwasm`). The build
/// precompiled the same `.wasm` with the same engine, and compiling is
/// deterministic, so its artefact is that file.
fn precompiled(path: &str) -> Option<&'static str> {
    match path.trim_start_matches("./") {
        "example-reporter.cwasm" => Some(component_artifacts::EXAMPLE_REPORTER_CWASM_PATH),
        _ => None,
    }
}

/// What the commands printed, to check the payloads the document shows.
#[derive(Default)]
struct Printed(Vec<String>);

/// `cargo build --release --target wasm32-wasip2 -p PACKAGE`: the workspace
/// build built that package for that target; the file is a component.
fn check_component_build(line: &CommandLine, text: &str) {
    assert_eq!(
        flag_value(&line.words, "--target"),
        Some("wasm32-wasip2"),
        "{text}"
    );
    assert!(line.words.iter().any(|w| w == "--release"), "{text}");
    let package = flag_value(&line.words, "-p").expect("-p PACKAGE");
    let built = artifact(&format!("{AUTHOR_BUILD_DIR}{package}.wasm"))
        .unwrap_or_else(|| panic!("{text}: {package} is not built by guest/artifacts"));
    let bytes = std::fs::read(built).unwrap();
    assert_eq!(bytes[..8], COMPONENT_HEADER, "{built} is a component");
}

/// `cargo build --release -p upgrade-responder`: the binary under test.
fn check_host_build(line: &CommandLine, text: &str) {
    assert_eq!(
        line.words,
        ["cargo", "build", "--release", "-p", "upgrade-responder"],
        "{text}"
    );
    assert!(Path::new(env!("CARGO_BIN_EXE_upgrade-responder")).exists());
}

/// `wasmtime run [-S http] COMPONENT [ARGS] < FACTS`, run by the real CLI
/// word for word; only the component's path (an author's build) and an
/// `--endpoint` (pointed at a stand-in) are replaced.
fn exercise_wasmtime_run(line: &CommandLine, text: &str, printed: &mut Printed) {
    let grants_http = line.words.windows(2).any(|pair| pair == ["-S", "http"]);
    let component = line
        .words
        .iter()
        .find(|w| w.ends_with(".wasm"))
        .unwrap_or_else(|| panic!("{text}: no component"));
    assert!(artifact(component).is_some(), "{text}: unknown component");
    let mut words: Vec<String> = line.words[1..].iter().map(|w| map_path(w)).collect();
    let responder = flag_value(&words, "--endpoint").map(|_| {
        assert!(grants_http, "{text}: sending needs -S http");
        Responder::start(Behaviour::Normal(ResponseConfig::k3s_default())).unwrap()
    });
    if let Some(responder) = &responder {
        let at = words.iter().position(|w| w == "--endpoint").unwrap() + 1;
        words[at] = responder.url();
    }
    // `--schema` reads nothing; every other run reads facts on stdin.
    let facts = match &line.stdin {
        Some(file) => std::fs::read(file).unwrap(),
        None => {
            assert!(
                words.iter().any(|w| w == "--schema"),
                "{text}: facts on stdin"
            );
            Vec::new()
        }
    };
    let word_refs: Vec<&str> = words.iter().map(String::as_str).collect();
    let ran = wasmtime(&word_refs, &facts);
    assert_eq!(ran.exit_code, 0, "{text}: {}", ran.stderr);
    if let Some(responder) = responder {
        let received = responder.received();
        assert_eq!(received.len(), 1, "{text}");
        assert_eq!(
            format!("{}\n", String::from_utf8_lossy(&received[0].body)),
            ran.stdout,
            "{text}"
        );
        assert!(
            ran.stderr.starts_with("report sent: status=200 "),
            "{}",
            ran.stderr
        );
    }
    printed.0.push(ran.stdout);
}

/// `[VAR=value] ./target/release/upgrade-responder ...`: the real binary.
fn exercise_host(line: &CommandLine, text: &str, printed: &mut Printed) {
    let mut command = host();
    command.current_dir(workspace());
    for (name, value) in &line.env {
        command.env(name, map_path(value));
    }
    command.args(line.words[1..].iter().map(|w| map_path(w)));
    // `compile IN -o OUT`: OUT goes to a temporary directory, not the
    // workspace; the artefact must then run, pinned, as its `.wasm` does.
    let compiled = TempDir::new("components-doc-compile");
    let is_compile = line.words.get(1).map(String::as_str) == Some("compile");
    if is_compile {
        let output = flag_value(&line.words, "-o").expect("compile -o OUT");
        let output = compiled.path().join(output);
        let input = map_path(&line.words[2]);
        command = host();
        command.current_dir(workspace());
        command.args(["compile", &input, "-o"]).arg(&output);
    }
    // `server-kit --out DIR`: DIR goes to a temporary directory too.
    let kit = TempDir::new("components-doc-kit");
    let is_kit = line.words.get(1).map(String::as_str) == Some("server-kit");
    if is_kit {
        let out = flag_value(&line.words, "--out").expect("server-kit --out DIR");
        let at = line.words.iter().position(|w| w == "--out").unwrap() + 1;
        let mut words: Vec<String> = line.words[1..].iter().map(|w| map_path(w)).collect();
        words[at - 1] = kit.path().join(out).display().to_string();
        command = host();
        command.current_dir(workspace()).args(words);
    }
    let ran = run(&mut command);
    assert_eq!(ran.code, 0, "{text}: {}", ran.stderr);
    if is_kit {
        let out = kit.path().join(flag_value(&line.words, "--out").unwrap());
        assert!(out.join("request-schema.json").is_file(), "{text}");
        assert!(out.join("dashboard.json").is_file(), "{text}");
        return;
    }
    if line.words.get(1).map(String::as_str) == Some("schema") {
        // `schema --check FILE` of a server deployed with the component's
        // own schema: every mode keeps every key.
        assert!(line.words.iter().any(|w| w == "--check"), "{text}");
        let lines: Vec<&str> = ran.stdout.lines().collect();
        assert_eq!(lines.len(), 2, "{text}: {}", ran.stdout);
        assert!(
            lines[0].starts_with("minimal: keeps all "),
            "{text}: {}",
            ran.stdout
        );
        assert!(
            lines[1].starts_with("standard: keeps all "),
            "{text}: {}",
            ran.stdout
        );
        return;
    }
    if is_compile {
        let pin = ran
            .stdout
            .lines()
            .find_map(|l| l.strip_prefix("pin it: UPGRADE_RESPONDER_COMPONENT_SHA256="))
            .unwrap_or_else(|| panic!("{text}: no pin printed: {}", ran.stdout));
        if line.words[2].ends_with("/example-reporter.wasm") {
            assert_eq!(
                pin,
                component_artifacts::EXAMPLE_REPORTER_CWASM_SHA256,
                "{text}: `compile` and the build's precompilation of one .wasm must give one artefact (the image recipe relies on it)"
            );
        }
        let output = compiled.path().join(flag_value(&line.words, "-o").unwrap());
        let from_artefact = run(host()
            .current_dir(workspace())
            .env("UPGRADE_RESPONDER_COMPONENT_SHA256", pin)
            .arg("--component")
            .arg(&output)
            .args(["--dry-run", "--facts", "tests/fixtures/facts/k3s-ha.json"]));
        assert_eq!(from_artefact.code, 0, "{text}: {}", from_artefact.stderr);
        let from_wasm = run(host()
            .current_dir(workspace())
            .arg("--component")
            .arg(map_path(&line.words[2]))
            .args(["--dry-run", "--facts", "tests/fixtures/facts/k3s-ha.json"]));
        assert_eq!(from_artefact.stdout, from_wasm.stdout, "{text}");
        return;
    }
    if line.words.get(1).map(String::as_str) == Some("inspect") {
        assert!(
            ran.stdout
                .contains("verdict: fits the reporter world; this host will run it"),
            "{text}: {}",
            ran.stdout
        );
        return;
    }
    assert!(line.words.iter().any(|w| w == "--dry-run"), "{text}");
    assert!(
        ran.stdout.starts_with("{\"appVersion\""),
        "{text}: {}",
        ran.stdout
    );
    printed.0.push(ran.stdout);
}

/// `buildah bud -f Containerfile -t IMAGE CONTEXT` of the one-file image.
/// No image builder runs in the tests (CI installs none): the recipe is
/// applied to a directory standing for the image's root, and the host runs
/// the component from where the image puts it.
fn exercise_image_build(line: &CommandLine, text: &str, recipes: &[&Block]) {
    assert_eq!(line.words[..2], ["buildah", "bud"], "{text}");
    assert!(flag_value(&line.words, "-f").is_some(), "{text}");
    assert!(flag_value(&line.words, "-t").is_some(), "{text}");
    let context = line.words.last().unwrap();
    let recipe = recipes
        .iter()
        .find(|block| block.text.starts_with("FROM scratch\n"))
        .expect("the one-file image recipe");
    let root = TempDir::new("component-image");
    let mut copied = Vec::new();
    for instruction in recipe.text.lines().skip(1) {
        let parts: Vec<&str> = instruction.split_whitespace().collect();
        let ["COPY", source, destination] = parts[..] else {
            panic!("{DOC}: the one-file image holds one file: {instruction}");
        };
        let source = precompiled(&format!("{context}/{source}")).unwrap_or_else(|| {
            panic!(
                "{DOC}: the image recipe copies {source}, not the .cwasm the compile command wrote"
            )
        });
        let destination = root.path().join(destination.trim_start_matches('/'));
        std::fs::copy(source, &destination).unwrap();
        copied.push(destination);
    }
    let [component] = &copied[..] else {
        panic!("{DOC}: the one-file image holds exactly one file");
    };
    assert_eq!(
        component.file_name().unwrap(),
        "reporter.wasm",
        "the manifest example mounts /reporter.wasm, as deploy/image/Containerfile.component does"
    );
    let ran = run(host()
        .current_dir(workspace())
        .env("UPGRADE_RESPONDER_COMPONENT", component)
        .env(
            "UPGRADE_RESPONDER_COMPONENT_SHA256",
            component_artifacts::EXAMPLE_REPORTER_CWASM_SHA256,
        )
        .arg("--dry-run")
        .arg("--facts")
        .arg("tests/fixtures/facts/k3s-ha.json"));
    assert_eq!(ran.code, 0, "{text}: {}", ran.stderr);
}

#[test]
fn every_command_of_the_authors_kit_is_exercised() {
    let (_, found) = document();
    let recipes: Vec<&Block> = found.iter().filter(|b| b.info == "dockerfile").collect();
    let mut printed = Printed::default();
    let mut exercised = 0;
    for block in found.iter().filter(|b| b.info == "sh") {
        for text in block.text.lines().map(str::trim) {
            if text.is_empty() || text.starts_with('#') {
                continue;
            }
            let line = parse(text);
            let words: Vec<&str> = line.words.iter().map(String::as_str).collect();
            match words[..] {
                ["cargo", "build", ..] if words.contains(&"wasm32-wasip2") => {
                    check_component_build(&line, text)
                }
                ["cargo", "build", ..] => check_host_build(&line, text),
                ["wasmtime", "run", ..] => exercise_wasmtime_run(&line, text, &mut printed),
                [HOST_BINARY, ..] => exercise_host(&line, text, &mut printed),
                ["buildah", "bud", ..] => exercise_image_build(&line, text, &recipes),
                _ => panic!("{DOC}: no test exercises this command: {text}"),
            }
            exercised += 1;
        }
    }
    assert!(exercised >= 10, "{exercised} commands");

    // Each payload and schema the document shows is one a command printed.
    for block in found.iter().filter(|b| b.info == "json") {
        assert!(
            printed.0.contains(&block.text),
            "{DOC} shows a payload no command printed:\n{}\nprinted:\n{}",
            block.text,
            printed.0.join("")
        );
    }
    // The host in the sandbox and wasmtime run agree, as the document says.
    let distinct: std::collections::BTreeSet<&String> = printed
        .0
        .iter()
        .filter(|out| out.starts_with("{\"appVersion\""))
        .collect();
    assert_eq!(distinct.len(), 2, "{:?}", printed.0);
}

#[test]
fn the_example_code_in_the_document_is_the_compiled_crate() {
    let (_, found) = document();
    let crate_dir = workspace().join("guest/example");
    let expected = BTreeMap::from([
        ("toml", crate_dir.join("Cargo.toml")),
        ("rust", crate_dir.join("src/main.rs")),
    ]);
    for (info, file) in expected {
        let shown: Vec<&Block> = found.iter().filter(|b| b.info == info).collect();
        assert_eq!(shown.len(), 1, "one {info} block");
        assert_eq!(
            shown[0].text,
            std::fs::read_to_string(&file).unwrap(),
            "{DOC}'s {info} block is {}",
            file.display()
        );
    }
}

#[test]
fn the_packaging_and_selection_examples_agree_with_each_other() {
    let (_, found) = document();
    // The derived image selects the file it copies.
    let derived = found
        .iter()
        .find(|b| b.info == "dockerfile" && !b.text.starts_with("FROM scratch"))
        .expect("the derived image recipe");
    let copied_to = derived
        .text
        .lines()
        .find_map(|l| l.strip_prefix("COPY "))
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap();
    assert!(
        derived
            .text
            .contains(&format!("ENV UPGRADE_RESPONDER_COMPONENT={copied_to}\n")),
        "{}",
        derived.text
    );
    // The manifest points the setting at the mounted one-file image.
    let manifest = found.iter().find(|b| b.info == "yaml").unwrap();
    let mount = manifest
        .text
        .lines()
        .find_map(|l| l.trim().strip_prefix("mountPath: "))
        .unwrap();
    assert!(
        manifest
            .text
            .contains(&format!("value: {mount}/reporter.wasm\n")),
        "{}",
        manifest.text
    );
    assert!(
        manifest
            .text
            .contains("name: UPGRADE_RESPONDER_COMPONENT\n")
    );
}
