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
use crate::settings::{self, BuiltIn, ComponentSetting, Config, Values};

pub fn inspect(component: Option<&Path>, values: &Values) -> u8 {
    let pin = match settings::component_sha256(values) {
        Ok(pin) => pin.map(|sha256| Pin {
            sha256,
            source: PinSource::Setting,
        }),
        Err(error) => return Failure::Config(error).log(),
    };
    let Some(path) = component else {
        return inspect_choice(values, pin);
    };
    let text = path.to_string_lossy();
    if text.starts_with(settings::BUILT_IN_PREFIX) {
        return match BuiltIn::named(&text) {
            Some(which) => inspect_built_in(which, pin, "(named)"),
            None => Failure::Config(anyhow::anyhow!(
                "inspect {text}: no such built-in component: expected {}",
                settings::BUILT_IN_EXPECTED
            ))
            .log(),
        };
    }
    inspect_file(path, pin)
}

/// `inspect` without a component: what a run would load. The automatic
/// choice's rule and both built-in components, and, given a facts file or
/// a kubeconfig, which one this cluster runs and why; then that component.
fn inspect_choice(values: &Values, pin: Option<Pin>) -> u8 {
    let config = match Config::parse(values) {
        Ok(config) => config,
        Err(error) => return Failure::Config(error).log(),
    };
    let setting = match &config.component {
        ComponentSetting::File(path) => return inspect_file(path, pin),
        ComponentSetting::BuiltIn(which) => {
            println!(
                "component: {} ({}, from {})",
                which.setting(),
                settings::COMPONENT,
                values.get(settings::COMPONENT).1
            );
            return inspect_built_in(*which, pin, "(the setting)");
        }
        ComponentSetting::Automatic => &config.component,
    };
    println!(
        "component: automatic ({} empty): the built-in component the cluster's version chooses",
        settings::COMPONENT
    );
    println!("rule: {}", sandbox::BUILT_IN_RULE);
    println!("built-in components:");
    for which in BuiltIn::ALL {
        println!(
            "  {:13} {:14} sha256 {}",
            which.setting(),
            which.package(),
            sandbox::built_in_sha256(which)
        );
    }
    // Read only when the operator points at a cluster: `inspect` alone
    // contacts nothing.
    if config.facts.is_none() && config.kubeconfig.is_none() {
        println!(
            "this cluster: not read (give --facts FILE or --kubeconfig FILE to see which one it runs; `inspect builtin:k3s` or `inspect builtin:rke2` inspects one)"
        );
        return exit::OK;
    }
    let cluster = match super::runtime() {
        Ok(runtime) => runtime.block_on(super::run::open_cluster(&config)),
        Err(error) => return Failure::Internal(error).log(),
    };
    let cluster = match cluster {
        Ok(cluster) => cluster,
        Err(failure) => return failure.log(),
    };
    let choice = super::run::choose(setting, Some(&cluster));
    let Some(which) = choice.built_in() else {
        return exit::OK;
    };
    let unread = match &cluster {
        super::run::Cluster::Api(Err(error)) => {
            format!(" ({})", crate::ground::failure::error_line(error))
        }
        _ => String::new(),
    };
    println!(
        "this cluster: {}: {} ({}){unread}",
        choice.why,
        which.setting(),
        which.package()
    );
    inspect_built_in(which, pin, "(this cluster's choice)")
}

/// A built-in component, judged as a file is.
fn inspect_built_in(which: BuiltIn, pin: Option<Pin>, why: &str) -> u8 {
    let engine = match sandbox::engine() {
        Ok(engine) => engine,
        Err(error) => return Failure::Internal(error).log(),
    };
    let candidate = sandbox::Candidate::built_in(which, pin);
    println!("{} {why}", candidate.origin);
    println!("sha256: {}", Sha256::of(&candidate.bytes));
    println!(
        "form: {} (embedded by this host's build, which recorded its sha256)",
        describe(Form::of(&candidate.bytes))
    );
    judge(&engine, candidate)
}

fn inspect_file(path: &Path, pin: Option<Pin>) -> u8 {
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
        pin,
    };
    judge(&engine, candidate)
}

/// Loads a component as a run would and prints the policy's verdict.
fn judge(engine: &wasmtime::Engine, candidate: sandbox::Candidate) -> u8 {
    let loaded = match sandbox::load(engine, candidate) {
        Ok(loaded) => loaded,
        Err(refused) => {
            println!("verdict: not loaded: {refused}");
            return match refused {
                Refused::Component(_) => exit::REFUSED,
                Refused::Unpinned(_) => exit::CONFIG,
            };
        }
    };
    let checked = sandbox::check_loaded(engine, loaded);
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
    match facts_read(engine, &checked) {
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
                " (contract {} declares none: every kind it knew)",
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
