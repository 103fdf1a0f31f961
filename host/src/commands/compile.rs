//! `compile IN.wasm -o OUT.cwasm`: precompiles a distribution's component
//! for this host's engine, once, when its component image is built, so no
//! run compiles it. The component is judged first, exactly as a run judges
//! it: what a run would refuse is never compiled. Prints the artefact's
//! sha256 and the pin to set, without which no host loads it.

use std::path::Path;

use crate::ground::digest::Sha256;
use crate::ground::failure::{Failure, exit};
use crate::ground::output_file;
use crate::sandbox;
use crate::sandbox::trust::{self, Form};
use crate::settings;

pub fn compile(input: &Path, output: &Path) -> u8 {
    match precompile(input, output) {
        Ok(sha256) => {
            println!(
                "wrote {} (precompiled for wasmtime {} on {}), sha256 {sha256}",
                output.display(),
                trust::WASMTIME_VERSION,
                component_artifacts::TARGET
            );
            println!("pin it: {}={sha256}", settings::COMPONENT_SHA256);
            exit::OK
        }
        Err(failure) => failure.log(),
    }
}

/// How messages name the output.
const ARTEFACT: &str = "the precompiled artefact";

fn precompile(input: &Path, output: &Path) -> Result<Sha256, Failure> {
    if !trust::HAS_COMPILER {
        return Err(Failure::Internal(anyhow::anyhow!(
            "this host has no compiler: run `upgrade-responder compile` with the compiler build of this host (the default cargo features)"
        )));
    }
    // The output is checked before the compile, which takes seconds.
    output_file::check(output, ARTEFACT).map_err(Failure::Config)?;
    let bytes = super::run::read_component(input, |e| e)?;
    if Form::of(&bytes).is_precompiled() {
        return Err(Failure::Config(anyhow::anyhow!(
            "{} is already precompiled: compile the component's .wasm",
            input.display()
        )));
    }
    let engine = sandbox::engine().map_err(Failure::Internal)?;
    let candidate = sandbox::Candidate {
        bytes: bytes.into(),
        origin: input.display().to_string(),
        pin: None,
    };
    let checked = sandbox::check(&engine, candidate).map_err(sandbox::Refused::into_failure)?;
    let artefact = checked.serialize().map_err(|e| {
        Failure::Internal(anyhow::anyhow!(
            "cannot serialize the compiled component: {e:#}"
        ))
    })?;
    output_file::write_replacing(output, &artefact, ARTEFACT).map_err(Failure::Config)?;
    Ok(Sha256::of(&artefact))
}
