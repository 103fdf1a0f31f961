//! `inspect`: what a component imports and exports, judged by the policy,
//! and which facts it asks for in each field mode.

use std::path::Path;

use crate::bindings::FieldMode;
use crate::facts;
use crate::failure::{Failure, exit};
use crate::policy::Limits;
use crate::sandbox::{self, Call, Checked, Returned};

pub fn inspect(path: &Path) -> u8 {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(error) => {
            let error = anyhow::anyhow!("cannot read {}: {error}", path.display());
            return Failure::Config(error).log();
        }
    };
    let engine = match sandbox::engine() {
        Ok(engine) => engine,
        Err(error) => return Failure::Internal(error).log(),
    };
    let component = match wasmtime::component::Component::new(&engine, &bytes) {
        Ok(component) => component,
        Err(error) => {
            println!("{}: not a WebAssembly component: {error:#}", path.display());
            return exit::REFUSED;
        }
    };
    let shape = sandbox::Shape::of(&engine, &component);
    println!("{}", path.display());
    println!("imports:");
    for import in &shape.imports {
        let verdict = if import.granted { "granted" } else { "REFUSED" };
        println!("  {verdict:8} {:45} {}", import.name, import.why);
    }
    println!("exports:");
    for export in &shape.exports {
        println!("  {export}");
    }
    if let Some(reason) = shape.refusal() {
        println!("verdict: refused: {reason}");
        return exit::REFUSED;
    }
    let origin = path.display().to_string();
    let checked = match sandbox::check_compiled(&engine, component, &origin) {
        Ok(checked) => checked,
        Err(refused) => {
            println!("verdict: refused: {refused}");
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
    let older = (checked.shape.contract != crate::contract::Contract::Current).then(|| {
        format!(
            " (contract {} declares none: every kind)",
            checked.shape.contract.version()
        )
    });
    let mut lines = Vec::new();
    for mode in [FieldMode::Minimal, FieldMode::Standard] {
        let returned = runtime
            .block_on(sandbox::call(
                engine,
                &linker,
                checked,
                &Limits::default(),
                Call::FactsNeeded(mode),
            ))
            .map_err(|e| format!("cannot run the component: {e:#}"))?;
        let name = super::run::mode_name(mode);
        match returned {
            Ok(finished) => match finished.returned {
                Returned::FactsNeeded(kinds) => lines.push(format!(
                    "{name}: reads {}{}",
                    facts::kinds_text(kinds),
                    older.as_deref().unwrap_or_default()
                )),
                _ => return Err(format!("facts-needed({name}) answered something else")),
            },
            Err(stopped) => {
                return Err(format!("facts-needed({name}) stopped: {}", stopped.reason));
            }
        }
    }
    Ok(lines)
}
