//! `inspect`: what a component imports and exports, judged by the policy.

use std::path::Path;

use crate::failure::{Failure, exit};
use crate::sandbox;

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
    match shape.refusal() {
        None => {
            println!("verdict: fits the reporter world; this host will run it");
            exit::OK
        }
        Some(reason) => {
            println!("verdict: refused: {reason}");
            exit::REFUSED
        }
    }
}
