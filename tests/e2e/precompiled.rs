//! Precompiled components (`.cwasm`): native code, so the host loads one
//! only with its sha256 pinned (`UPGRADE_RESPONDER_COMPONENT_SHA256`),
//! checked before anything of it is parsed; an artefact of another engine
//! is refused by wasmtime's own check; `compile` makes one after judging the
//! component as a run would; `inspect` shows the digest.

use std::path::{Path, PathBuf};

use component_artifacts::{K3S_REPORTER_CWASM_PATH, K3S_REPORTER_CWASM_SHA256, PRECOMPILED};
use upgrade_responder::ground::digest::Sha256;
use ur_test_support::components;

use crate::common::{Ran, TempDir, dry_run, host, run};

const PIN: &str = "UPGRADE_RESPONDER_COMPONENT_SHA256";

/// The one ERROR line of a run, without its timestamp and level.
fn error_message(ran: &Ran) -> String {
    let errors = ran.log_lines("ERROR");
    assert_eq!(errors.len(), 1, "{}", ran.stderr);
    let (_, message) = errors[0].split_once(" ERROR ").unwrap();
    message.trim_start().to_string()
}

fn dry_run_pinned(component: &Path, pin: &str) -> Ran {
    dry_run(Some(component.to_str().unwrap()), &[(PIN, pin)])
}

/// A copy of the built-in artefact, changed by `edit`, in `dir`.
fn edited_artefact(dir: &TempDir, edit: impl FnOnce(&mut Vec<u8>)) -> PathBuf {
    let mut bytes = std::fs::read(K3S_REPORTER_CWASM_PATH).unwrap();
    edit(&mut bytes);
    let path = dir.path().join("reporter.cwasm");
    std::fs::write(&path, &bytes).unwrap();
    path
}

#[test]
fn a_pinned_artefact_runs_and_prints_the_payload_of_its_wasm() {
    for component in PRECOMPILED {
        let from_wasm = dry_run(Some(component.wasm_path), &[]);
        assert_eq!(from_wasm.code, 0, "{}", from_wasm.stderr);
        let ran = dry_run_pinned(Path::new(component.cwasm_path), component.sha256);
        assert_eq!(ran.code, 0, "{}: {}", component.package, ran.stderr);
        assert!(ran.stdout.starts_with('{'), "{}", ran.stdout);
        assert_eq!(ran.stdout, from_wasm.stdout, "{}", component.package);
    }
}

#[test]
fn the_built_in_component_is_precompiled_and_the_time_split_is_logged() {
    let ran = dry_run(None, &[("UPGRADE_RESPONDER_LOG_LEVEL", "debug")]);
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    let split: Vec<&str> = ran
        .stderr
        .lines()
        .filter_map(|line| line.split_once(" DEBUG ").map(|(_, m)| m.trim_start()))
        .filter(|message| message.starts_with("load_ms="))
        .collect();
    // One line per call: facts-needed first, then the dry run's payload.
    assert_eq!(split.len(), 2, "{}", ran.stderr);
    assert!(split[0].ends_with(" export=facts-needed"), "{}", split[0]);
    let split = [split[1]];
    let words: Vec<(&str, &str)> = split[0]
        .split(' ')
        .map(|word| word.split_once('=').unwrap())
        .collect();
    let keys: Vec<&str> = words.iter().map(|(key, _)| *key).collect();
    assert_eq!(
        keys,
        [
            "load_ms",
            "instantiate_ms",
            "call_ms",
            "component",
            "export"
        ],
        "{}",
        split[0]
    );
    for (key, value) in &words[..3] {
        assert!(value.parse::<f64>().is_ok(), "{key}={value}");
    }
    assert_eq!(words[3].1, "precompiled");
    assert_eq!(words[4].1, "build-payload");
}

#[test]
fn a_precompiled_component_without_a_pin_is_refused_as_a_missing_setting() {
    let path = K3S_REPORTER_CWASM_PATH;
    let ran = dry_run(Some(path), &[]);
    assert_eq!(ran.code, 2, "{}", ran.stderr);
    assert_eq!(
        error_message(&ran),
        format!(
            "{path} is precompiled (native code) and {PIN} is not set: the host loads a precompiled component only with its sha256 pinned; set it to the sha256 `upgrade-responder compile` printed for this file"
        )
    );
    assert!(ran.stdout.is_empty());
}

#[test]
fn precompiled_is_read_from_the_header_not_the_file_name() {
    let dir = TempDir::new("precompiled-name");
    let disguised = dir.path().join("reporter.wasm");
    std::fs::copy(K3S_REPORTER_CWASM_PATH, &disguised).unwrap();
    let ran = dry_run(Some(disguised.to_str().unwrap()), &[]);
    assert_eq!(ran.code, 2, "{}", ran.stderr);
    assert!(
        error_message(&ran).contains("reporter.wasm is precompiled (native code)"),
        "{}",
        ran.stderr
    );
    let ran = dry_run_pinned(&disguised, K3S_REPORTER_CWASM_SHA256);
    assert_eq!(ran.code, 0, "{}", ran.stderr);
}

#[test]
fn a_tampered_artefact_is_refused_before_it_is_loaded() {
    let dir = TempDir::new("precompiled-tampered");
    let path = edited_artefact(&dir, |bytes| {
        let middle = bytes.len() / 2;
        bytes[middle] ^= 0x01;
    });
    let actual = Sha256::of(&std::fs::read(&path).unwrap());
    let ran = dry_run_pinned(&path, K3S_REPORTER_CWASM_SHA256);
    assert_eq!(ran.code, 3, "{}", ran.stderr);
    assert_eq!(
        error_message(&ran),
        format!(
            "component refused: {} has sha256 {actual}, not {K3S_REPORTER_CWASM_SHA256} ({PIN}): not loaded; the file was changed, or the pin is for another file",
            path.display()
        )
    );
}

#[test]
fn a_pin_for_another_file_is_refused_whatever_the_file() {
    let other = component_artifacts::RKE2_REPORTER_CWASM_SHA256;
    let ran = dry_run_pinned(Path::new(K3S_REPORTER_CWASM_PATH), other);
    assert_eq!(ran.code, 3, "{}", ran.stderr);
    assert_eq!(
        error_message(&ran),
        format!(
            "component refused: {K3S_REPORTER_CWASM_PATH} has sha256 {K3S_REPORTER_CWASM_SHA256}, not {other} ({PIN}): not loaded; the file was changed, or the pin is for another file"
        )
    );
    // A pin is checked for a plain .wasm too, and for the built-in component.
    let wasm = component_artifacts::K3S_REPORTER_PATH;
    let ran = dry_run(Some(wasm), &[(PIN, other)]);
    assert_eq!(ran.code, 3, "{}", ran.stderr);
    assert!(error_message(&ran).starts_with(&format!("component refused: {wasm} has sha256 ")));
    let ran = dry_run(None, &[(PIN, other)]);
    assert_eq!(ran.code, 3, "{}", ran.stderr);
    assert!(
        error_message(&ran).starts_with(&format!(
            "component refused: built-in k3s-reporter has sha256 {K3S_REPORTER_CWASM_SHA256}, not {other}"
        )),
        "{}",
        ran.stderr
    );
}

#[test]
fn a_malformed_pin_is_a_configuration_error() {
    for pin in [
        "abc",
        &format!("sha256:{K3S_REPORTER_CWASM_SHA256}"),
        &K3S_REPORTER_CWASM_SHA256.replace(|c: char| c.is_ascii_digit(), "z"),
    ] {
        let ran = dry_run_pinned(Path::new(K3S_REPORTER_CWASM_PATH), pin);
        assert_eq!(ran.code, 2, "{}", ran.stderr);
        assert_eq!(
            error_message(&ran),
            format!(
                "{PIN}={pin:?} (from environment) is not valid: expected the component's sha256 as 64 hexadecimal digits, as `upgrade-responder compile` prints it"
            )
        );
    }
}

#[test]
fn an_artefact_of_another_engine_configuration_is_refused_with_what_to_do() {
    // The host's engine, but without epoch interruption (which the host's
    // deadlines need): wasmtime's compatibility check refuses it.
    let mut config =
        upgrade_responder::sandbox::engine::config(component_artifacts::TARGET).unwrap();
    config.epoch_interruption(false);
    let engine = wasmtime::Engine::new(&config).unwrap();
    let artefact = engine
        .precompile_component(component_artifacts::K3S_REPORTER)
        .unwrap();
    let dir = TempDir::new("precompiled-other-engine");
    let path = dir.path().join("reporter.cwasm");
    std::fs::write(&path, &artefact).unwrap();
    let ran = dry_run_pinned(&path, &Sha256::of(&artefact).to_string());
    assert_eq!(ran.code, 3, "{}", ran.stderr);
    let path = path.display();
    assert_eq!(
        error_message(&ran),
        format!(
            "component refused: {path} was precompiled for another engine: Module was compiled without epoch interruption but it is enabled for the host; recompile its .wasm with this host: `upgrade-responder compile COMPONENT.wasm -o {path}`"
        )
    );
}

#[test]
fn an_artefact_of_another_wasmtime_version_is_refused_with_what_to_do() {
    let dir = TempDir::new("precompiled-other-version");
    let path = edited_artefact(&dir, |bytes| {
        // The artefact's engine section: format 0, then the wasmtime major
        // version as a string of 2 bytes, then the target triple.
        let target = component_artifacts::TARGET.as_bytes();
        let mut section = vec![0, 2, b'4', b'8', target.len() as u8];
        section.extend_from_slice(target);
        let at = bytes
            .windows(section.len())
            .position(|w| w == section)
            .expect("the artefact names its wasmtime version");
        bytes[at + 2..at + 4].copy_from_slice(b"47");
    });
    let pin = Sha256::of(&std::fs::read(&path).unwrap()).to_string();
    let ran = dry_run_pinned(&path, &pin);
    assert_eq!(ran.code, 3, "{}", ran.stderr);
    let path = path.display();
    assert_eq!(
        error_message(&ran),
        format!(
            "component refused: {path} was precompiled for another engine: Module was compiled with incompatible version '47'; recompile its .wasm with this host: `upgrade-responder compile COMPONENT.wasm -o {path}`"
        )
    );
}

#[test]
fn compile_writes_the_artefact_the_build_made_and_prints_the_pin() {
    let dir = TempDir::new("compile");
    let output = dir.path().join("k3s-reporter.cwasm");
    let ran = run(host()
        .arg("compile")
        .arg(component_artifacts::K3S_REPORTER_PATH)
        .arg("-o")
        .arg(&output));
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    // Same engine configuration, same compiler: the build's own artefact,
    // byte for byte.
    assert_eq!(
        std::fs::read(&output).unwrap(),
        std::fs::read(K3S_REPORTER_CWASM_PATH).unwrap()
    );
    let lines: Vec<&str> = ran.stdout.lines().collect();
    assert_eq!(
        lines,
        [
            format!(
                "wrote {} (precompiled for wasmtime 48.0.8 on {}), sha256 {K3S_REPORTER_CWASM_SHA256}",
                output.display(),
                component_artifacts::TARGET
            ),
            format!("pin it: {PIN}={K3S_REPORTER_CWASM_SHA256}"),
        ]
    );
    let ran = dry_run_pinned(&output, K3S_REPORTER_CWASM_SHA256);
    assert_eq!(ran.code, 0, "{}", ran.stderr);
}

#[test]
fn compile_refuses_what_a_run_would_refuse_and_writes_nothing() {
    let dir = TempDir::new("compile-refused");
    let output = dir.path().join("refused.cwasm");
    let ran = run(host()
        .arg("compile")
        .arg(components::REFUSED_IMPORTS_FILESYSTEM)
        .arg("-o")
        .arg(&output));
    assert_eq!(ran.code, 3, "{}", ran.stderr);
    let message = error_message(&ran);
    assert!(
        message.starts_with(&format!(
            "component refused: {} does not fit the reporter world: imports not granted: wasi:filesystem/",
            components::REFUSED_IMPORTS_FILESYSTEM
        )),
        "{message}"
    );
    assert!(!output.exists());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);

    let ran = run(host()
        .arg("compile")
        .arg(K3S_REPORTER_CWASM_PATH)
        .arg("-o")
        .arg(&output));
    assert_eq!(ran.code, 2, "{}", ran.stderr);
    assert_eq!(
        error_message(&ran),
        format!("{K3S_REPORTER_CWASM_PATH} is already precompiled: compile the component's .wasm")
    );
}

#[test]
fn inspect_shows_the_digest_and_loads_an_artefact_only_when_pinned() {
    let wasm = component_artifacts::K3S_REPORTER_PATH;
    let ran = run(host().arg("inspect").arg(wasm));
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    let digest = Sha256::of(&std::fs::read(wasm).unwrap());
    assert!(
        ran.stdout
            .contains(&format!("\nsha256: {digest}\nform: not precompiled ")),
        "{}",
        ran.stdout
    );

    let cwasm = K3S_REPORTER_CWASM_PATH;
    let ran = run(host().arg("inspect").arg(cwasm));
    assert_eq!(ran.code, 2, "{}", ran.stdout);
    assert!(
        ran.stdout.contains(&format!(
            "\nsha256: {K3S_REPORTER_CWASM_SHA256}\nform: precompiled component "
        )),
        "{}",
        ran.stdout
    );
    assert!(
        ran.stdout.contains(&format!(
            "\nverdict: not loaded: {cwasm} is precompiled (native code) and {PIN} is not set"
        )),
        "{}",
        ran.stdout
    );
    assert!(!ran.stdout.contains("imports:"), "{}", ran.stdout);

    let ran = run(host()
        .arg("inspect")
        .arg(cwasm)
        .env(PIN, K3S_REPORTER_CWASM_SHA256));
    assert_eq!(ran.code, 0, "{}", ran.stdout);
    assert!(
        ran.stdout
            .contains("granted  wasi:http/outgoing-handler@0.2.12"),
        "{}",
        ran.stdout
    );
    assert!(
        ran.stdout
            .ends_with("verdict: fits the reporter world; this host will run it\n"),
        "{}",
        ran.stdout
    );
}

#[test]
fn inspect_keeps_to_the_load_bounds_of_a_run() {
    let dir = TempDir::new("inspect-bound");
    let path = dir.path().join("huge.wasm");
    let size = (16 << 20) + 1;
    std::fs::write(&path, vec![0u8; size]).unwrap();
    let ran = run(host().arg("inspect").arg(&path));
    assert_eq!(ran.code, 3, "{}", ran.stdout);
    assert!(
        ran.stdout.ends_with(&format!(
            "verdict: not loaded: {} is {size} bytes; the host loads components of up to {} bytes\n",
            path.display(),
            16 << 20
        )),
        "{}",
        ran.stdout
    );
}
