//! `inspect`: what a component is (its sha256, whether it is precompiled),
//! what it imports and exports, judged by the policy, and which facts it
//! asks for in each field mode. It is loaded exactly as a run loads it:
//! within the policy's size and load-time bounds, and a precompiled one
//! only with its sha256 pinned.

use std::path::Path;

use crate::cluster::facts;
use crate::ground::bindings::FieldMode;
use crate::ground::digest::Sha256;
use crate::ground::failure::{Failure, exit};
use crate::ground::policy::Limits;
use crate::sandbox::trust::{self, Form, Pin, PinSource};
use crate::sandbox::{self, Checked, Refused};
use crate::settings::{self, Values};

pub fn inspect(path: &Path, values: &Values) -> u8 {
    let pin = match settings::component_sha256(values) {
        Ok(pin) => pin,
        Err(error) => return Failure::Config(error).log(),
    };
    let bytes = match super::run::read_component(path, |e| e) {
        Ok(bytes) => bytes,
        // Too large to read: the verdict a load would give, unread.
        Err(Failure::Refused(reason)) => {
            println!("{}", path.display());
            println!("verdict: not loaded: {reason}");
            return exit::REFUSED;
        }
        Err(failure) => return failure.log(),
    };
    let engine = match sandbox::engine() {
        Ok(engine) => engine,
        Err(error) => return Failure::Internal(error).log(),
    };
    let form = Form::of(&bytes);
    println!("{}", path.display());
    println!("sha256: {}", Sha256::of(&bytes));
    println!("form: {}", describe(form));
    let candidate = sandbox::Candidate {
        bytes: bytes.into(),
        origin: path.display().to_string(),
        pin: pin.map(|sha256| Pin {
            sha256,
            source: PinSource::Setting,
        }),
    };
    let loaded = match sandbox::load(&engine, candidate) {
        Ok(loaded) => loaded,
        Err(refused) => {
            println!("verdict: not loaded: {refused}");
            return match refused {
                Refused::Component(_) => exit::REFUSED,
                Refused::Unpinned(_) => exit::CONFIG,
            };
        }
    };
    let checked = sandbox::check_loaded(&engine, loaded);
    let shape = match &checked {
        Ok(checked) => &checked.shape,
        Err(sandbox::Unfit { shape, .. }) => shape,
    };
    println!("imports:");
    for import in &shape.imports {
        let verdict = if import.granted { "granted" } else { "REFUSED" };
        println!("  {verdict:8} {:45} {}", import.name, import.why);
    }
    println!("exports:");
    for export in &shape.exports {
        println!("  {export}");
    }
    let checked = match checked {
        Ok(checked) => checked,
        Err(unfit) => {
            println!("verdict: refused: {}", unfit.reason);
            return exit::REFUSED;
        }
    };
    println!("facts read, per field mode (facts-needed):");
    match facts_read(&engine, &checked) {
        Ok(lines) => {
            for line in lines {
                println!("  {line}");
            }
        }
        Err(reason) => {
            println!("verdict: refused: {reason}");
            return exit::REFUSED;
        }
    }
    println!("verdict: fits the reporter world; this host will run it");
    exit::OK
}

/// One line per field mode: what a run in that mode reads from the cluster.
fn facts_read(engine: &wasmtime::Engine, checked: &Checked) -> Result<Vec<String>, String> {
    sandbox::start_epoch_ticker(engine);
    let linker = sandbox::linker(engine).map_err(|e| format!("cannot link the sandbox: {e:#}"))?;
    let runtime = super::runtime().map_err(|e| format!("{e:#}"))?;
    let older =
        (checked.shape.contract != crate::sandbox::contract::Contract::Current).then(|| {
            format!(
                " (contract {} declares none: every kind)",
                checked.shape.contract.version()
            )
        });
    let mut lines = Vec::new();
    for mode in [FieldMode::Minimal, FieldMode::Standard] {
        let name = super::run::mode_name(mode);
        let kinds = runtime
            .block_on(sandbox::facts_needed(
                engine,
                &linker,
                checked,
                &Limits::default(),
                mode,
            ))
            .map_err(|e| format!("cannot run the component: {e:#}"))?
            .map_err(|stopped| format!("facts-needed({name}) stopped: {}", stopped.reason))?;
        lines.push(format!(
            "{name}: reads {}{}",
            facts::kinds_text(kinds),
            older.as_deref().unwrap_or_default()
        ));
    }
    Ok(lines)
}

/// The form of a component file, in words.
fn describe(form: Form) -> String {
    match form {
        Form::Wasm if trust::HAS_COMPILER => {
            "not precompiled (compiled by this host when it runs; `upgrade-responder compile` precompiles it)".to_string()
        }
        Form::Wasm => "not precompiled (this host has no compiler: it cannot run it)".to_string(),
        Form::Precompiled => format!(
            "precompiled component (native code for a wasmtime engine; this host is wasmtime {} for {}; loaded only with {} set to its sha256)",
            trust::WASMTIME_VERSION,
            component_artifacts::TARGET,
            settings::COMPONENT_SHA256
        ),
        Form::PrecompiledModule => "precompiled core module (never a reporter component)".to_string(),
    }
}
