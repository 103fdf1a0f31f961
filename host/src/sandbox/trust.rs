//! Which component bytes the host will load, and why.
//!
//! A `.wasm` component is untrusted input: the host compiles it and the
//! sandbox holds whatever it does. A precompiled artefact (`.cwasm`, made by
//! `upgrade-responder compile` or by the build for the built-in component)
//! is native code that wasmtime maps and runs as it is: a changed byte could
//! leave the sandbox. So the host loads one only if its sha256 equals a
//! digest it trusts, checked before anything of it is parsed: the operator's
//! pin (`UPGRADE_RESPONDER_COMPONENT_SHA256`), or for the built-in artefact
//! the digest its build computed. Whether a file is precompiled is read from
//! its header, never from its name.

use std::fmt;

use wasmtime::{Engine, Precompiled};

use crate::ground::digest::Sha256;
use crate::settings;

/// The digest a component's bytes must have, and who vouches for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pin {
    pub sha256: Sha256,
    pub source: PinSource,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinSource {
    /// `UPGRADE_RESPONDER_COMPONENT_SHA256`.
    Setting,
    /// The build that precompiled the built-in component.
    Build,
}

impl fmt::Display for PinSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PinSource::Setting => f.write_str(settings::COMPONENT_SHA256),
            PinSource::Build => f.write_str("the digest recorded when this host was built"),
        }
    }
}

/// What a component file is, read from its header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// Anything that is not a wasmtime artefact: compiled, if it is a
    /// WebAssembly component, by a host with the compiler.
    Wasm,
    /// A wasmtime artefact of a component: loaded only if pinned.
    Precompiled,
    /// A wasmtime artefact of a core module: never a reporter.
    PrecompiledModule,
}

impl Form {
    pub fn of(bytes: &[u8]) -> Self {
        match Engine::detect_precompiled(bytes) {
            None => Form::Wasm,
            Some(Precompiled::Component) => Form::Precompiled,
            Some(Precompiled::Module) => Form::PrecompiledModule,
        }
    }

    pub fn is_precompiled(self) -> bool {
        self != Form::Wasm
    }
}

/// Whether this host can compile a `.wasm` (the `compiler` feature).
pub const HAS_COMPILER: bool = cfg!(feature = "compiler");

/// The wasmtime version every artefact of this host is for.
pub const WASMTIME_VERSION: &str = "48.0.8";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_is_read_from_the_header_not_the_name() {
        assert_eq!(Form::of(b"\0asm\x0d\0\x01\0"), Form::Wasm);
        assert_eq!(Form::of(b"\x7fELF not wasmtime's"), Form::Wasm);
        assert_eq!(
            Form::of(component_artifacts::K3S_REPORTER_CWASM),
            Form::Precompiled
        );
        assert_eq!(Form::of(component_artifacts::K3S_REPORTER), Form::Wasm);
    }

    #[test]
    fn the_named_wasmtime_version_is_the_pinned_one() {
        let manifest =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../Cargo.toml")).unwrap();
        let pinned = format!("wasmtime = {{ version = \"={WASMTIME_VERSION}\"");
        assert!(manifest.contains(&pinned), "Cargo.toml has no {pinned}");
    }

    #[test]
    fn the_built_in_artefact_has_the_digest_its_build_recorded() {
        assert_eq!(
            Sha256::of(component_artifacts::K3S_REPORTER_CWASM).to_string(),
            component_artifacts::K3S_REPORTER_CWASM_SHA256
        );
    }
}
