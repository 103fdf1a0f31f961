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

use sha2::Digest as _;
use wasmtime::{Engine, Precompiled};

use crate::config;

/// A sha256 digest; shown as 64 lowercase hexadecimal digits.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Sha256([u8; 32]);

impl Sha256 {
    pub fn of(bytes: &[u8]) -> Self {
        Self(sha2::Sha256::digest(bytes).into())
    }

    /// 64 hexadecimal digits, either case; nothing else (no `sha256:`
    /// prefix, no spaces inside).
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.as_bytes();
        if text.len() != 64 {
            return None;
        }
        let mut digest = [0u8; 32];
        for (byte, pair) in digest.iter_mut().zip(text.chunks(2)) {
            let pair = std::str::from_utf8(pair).ok()?;
            if !pair.bytes().all(|b| b.is_ascii_hexdigit()) {
                return None;
            }
            *byte = u8::from_str_radix(pair, 16).ok()?;
        }
        Some(Self(digest))
    }
}

impl fmt::Display for Sha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|byte| write!(f, "{byte:02x}"))
    }
}

impl fmt::Debug for Sha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sha256:{self}")
    }
}

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
            PinSource::Setting => f.write_str(config::COMPONENT_SHA256),
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
    fn a_digest_reads_back_as_it_prints_and_nothing_else_parses() {
        let digest = Sha256::of(b"abc");
        let hex = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        assert_eq!(digest.to_string(), hex);
        assert_eq!(Sha256::parse(hex), Some(digest));
        assert_eq!(Sha256::parse(&hex.to_uppercase()), Some(digest));
        for bad in [
            "",
            &hex[1..],
            &format!("{hex}0"),
            &format!("sha256:{hex}"),
            &hex.replace('b', "g"),
            &hex.replacen("ba", "+a", 1),
            &hex.replacen("ba", "é", 1),
        ] {
            assert_eq!(Sha256::parse(bad), None, "{bad:?}");
        }
    }

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
