//! Loading a component and judging it against the policy, before anything
//! of it runs: the file's size, the pin of a precompiled artefact
//! (`trust.rs`), the load deadline, and the imports and exports.

use std::time::Duration;

use wasmtime::Engine;
use wasmtime::component::{Component, types::ComponentItem};

use super::contract::Contract;
use super::trust;
use crate::ground::failure::Failure;
use crate::ground::policy::{self};
use crate::settings::BuiltIn;

use super::stop::first_line;

/// What a component imports and exports, judged against the policy.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Shape {
    /// Every import with the grant that allows it, or `None` if refused.
    pub imports: Vec<ImportCheck>,
    pub exports: Vec<String>,
    /// The contract version it was built against.
    pub contract: Contract,
    pub missing_exports: Vec<&'static str>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct ImportCheck {
    pub name: String,
    pub granted: bool,
    pub why: &'static str,
}

impl Shape {
    pub fn of(engine: &Engine, component: &Component) -> Self {
        let ty = component.component_type();
        let imports: Vec<ImportCheck> = ty
            .imports(engine)
            .map(|(name, _)| match policy::grant_for(name) {
                Some(grant) => ImportCheck {
                    name: name.to_string(),
                    granted: true,
                    why: grant.why,
                },
                None => ImportCheck {
                    name: name.to_string(),
                    granted: false,
                    why: "not granted by the policy",
                },
            })
            .collect();
        let exports: Vec<(String, bool)> = ty
            .exports(engine)
            .map(|(name, item)| {
                (
                    name.to_string(),
                    matches!(item.ty, ComponentItem::ComponentFunc(_)),
                )
            })
            .collect();
        let contract = Contract::of_imports(imports.iter().map(|i| i.name.as_str()));
        let missing_exports = contract
            .required_exports()
            .iter()
            .filter(|required| {
                !exports
                    .iter()
                    .any(|(name, is_func)| name == *required && *is_func)
            })
            .copied()
            .collect();
        Self {
            imports,
            exports: exports.into_iter().map(|(name, _)| name).collect(),
            contract,
            missing_exports,
        }
    }

    pub fn refused_imports(&self) -> Vec<&str> {
        self.imports
            .iter()
            .filter(|i| !i.granted)
            .map(|i| i.name.as_str())
            .collect()
    }

    /// Why the component does not fit, naming each offending import and
    /// missing export.
    pub fn refusal(&self) -> Option<String> {
        let mut reasons = Vec::new();
        let refused = self.refused_imports();
        if !refused.is_empty() {
            reasons.push(format!("imports not granted: {}", refused.join(", ")));
        }
        if !self.missing_exports.is_empty() {
            reasons.push(format!(
                "missing exports of the reporter world: {}",
                self.missing_exports.join(", ")
            ));
        }
        (!reasons.is_empty()).then(|| reasons.join("; "))
    }
}

/// A component that fits the policy, loaded and ready to instantiate.
pub struct Checked {
    pub(super) component: Component,
    pub shape: Shape,
    pub(super) contract: Contract,
    /// How it was loaded, for the log.
    pub loaded: Provenance,
}

impl Checked {
    /// The compiled component as a precompiled artefact (`compile`).
    pub fn serialize(&self) -> wasmtime::Result<Vec<u8>> {
        self.component.serialize()
    }
}

/// Why a component cannot be used.
#[derive(Debug)]
pub enum Refused {
    /// The component does not fit, cannot be trusted or cannot be loaded:
    /// the operator chose a wrong file (exit 3).
    Component(String),
    /// A precompiled component without a pin: the operator must say which
    /// artefact to trust (a setting is missing, exit 2).
    Unpinned(String),
}

impl Refused {
    pub fn into_failure(self) -> Failure {
        match self {
            Refused::Component(reason) => Failure::Refused(reason),
            Refused::Unpinned(reason) => Failure::Config(anyhow::anyhow!(reason)),
        }
    }
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refused::Component(reason) | Refused::Unpinned(reason) => f.write_str(reason),
        }
    }
}

impl std::error::Error for Refused {}

/// Component bytes to load, with a name for them and the digest they must
/// have, if any.
pub struct Candidate {
    pub bytes: std::borrow::Cow<'static, [u8]>,
    /// A name for the component in messages: its path, or "built-in ...".
    pub origin: String,
    /// For a precompiled component, required: its bytes are trusted only
    /// if their sha256 is this. For a `.wasm`, checked when given.
    pub pin: Option<trust::Pin>,
}

impl Candidate {
    /// A built-in component: precompiled by the build, which recorded its
    /// digest. An operator's pin, if set, must match it as well.
    pub fn built_in(which: BuiltIn, pin: Option<trust::Pin>) -> Self {
        let built = trust::Pin {
            sha256: crate::ground::digest::Sha256::parse(built_in_sha256(which))
                .unwrap_or(crate::ground::digest::Sha256::of(b"")),
            source: trust::PinSource::Build,
        };
        let bytes = match which {
            BuiltIn::K3s => component_artifacts::K3S_REPORTER_CWASM,
            BuiltIn::Rke2 => component_artifacts::RKE2_REPORTER_CWASM,
        };
        Self {
            bytes: std::borrow::Cow::Borrowed(bytes),
            origin: built_in_origin(which),
            pin: Some(pin.unwrap_or(built)),
        }
    }
}

/// How messages name a built-in component: `built-in k3s-reporter`.
pub fn built_in_origin(which: BuiltIn) -> String {
    format!("built-in {}", which.package())
}

/// The sha256 the build recorded for a built-in component's artefact.
pub fn built_in_sha256(which: BuiltIn) -> &'static str {
    match which {
        BuiltIn::K3s => component_artifacts::K3S_REPORTER_CWASM_SHA256,
        BuiltIn::Rke2 => component_artifacts::RKE2_REPORTER_CWASM_SHA256,
    }
}

/// The automatic choice, in words (`inspect`, `capabilities`, README).
pub const BUILT_IN_RULE: &str = "a server gitVersion ending in +rke2rN (N digits) runs rke2-reporter; any other (K3s +k3sN, upstream, unknown, unread) runs k3s-reporter";

/// The built-in component for a cluster whose server reports `git_version`
/// (`GET /version`, or a facts file's server version): RKE2's builds end in
/// `+rke2r` and digits; everything else (K3s, upstream, unknown) runs the
/// K3s component, which reports any Kubernetes cluster.
pub fn built_in_for(git_version: &str) -> BuiltIn {
    let rke2 = git_version
        .rsplit_once("+rke2r")
        .is_some_and(|(_, n)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    if rke2 { BuiltIn::Rke2 } else { BuiltIn::K3s }
}

/// How a component came to be loaded.
#[derive(Debug, Clone)]
pub struct Provenance {
    pub form: trust::Form,
    /// Computed when a pin had to be checked.
    pub sha256: Option<crate::ground::digest::Sha256>,
    /// Reading aside: checks, and compiling or mapping the artefact.
    pub load_time: Duration,
}

/// A component loaded into the engine, not yet judged against the policy.
pub struct Loaded {
    pub component: Component,
    pub provenance: Provenance,
}

/// Loads a component, before anything runs, within the policy's bounds: a
/// file over the policy's size is refused unread, a precompiled artefact is
/// loaded only if its sha256 equals its pin (`trust.rs`), and compiling or
/// loading runs on its own thread under the policy's load deadline (a
/// compile still running then is abandoned; it ends with the process).
pub fn load(engine: &Engine, candidate: Candidate) -> Result<Loaded, Refused> {
    load_within(engine, candidate, policy::HOST_BUDGET.load_deadline)
}

/// [`load`] with the deadline given: tests pass one no compile can meet.
fn load_within(
    engine: &Engine,
    candidate: Candidate,
    deadline: Duration,
) -> Result<Loaded, Refused> {
    let started = std::time::Instant::now();
    let Candidate { bytes, origin, pin } = candidate;
    let budget = &policy::HOST_BUDGET;
    if bytes.len() > budget.component_bytes {
        return Err(Refused::Component(format!(
            "{origin} is {} bytes; the host loads components of up to {} bytes",
            bytes.len(),
            budget.component_bytes
        )));
    }
    let form = trust::Form::of(&bytes);
    let sha256 = match pin {
        Some(pin) => {
            let actual = crate::ground::digest::Sha256::of(&bytes);
            if actual != pin.sha256 {
                return Err(Refused::Component(format!(
                    "{origin} has sha256 {actual}, not {} ({}): not loaded; the file was changed, or the pin is for another file",
                    pin.sha256, pin.source
                )));
            }
            Some(actual)
        }
        None if form.is_precompiled() => {
            return Err(Refused::Unpinned(format!(
                "{origin} is precompiled (native code) and {} is not set: the host loads a precompiled component only with its sha256 pinned; set it to the sha256 `upgrade-responder compile` printed for this file",
                crate::settings::COMPONENT_SHA256
            )));
        }
        None => None,
    };
    match form {
        trust::Form::PrecompiledModule => {
            return Err(Refused::Component(format!(
                "{origin} is a precompiled core module, not a component: compile the component with `upgrade-responder compile`"
            )));
        }
        trust::Form::Wasm if !trust::HAS_COMPILER => {
            return Err(Refused::Component(format!(
                "{origin} is not precompiled: this host has no compiler; run `upgrade-responder compile {origin} -o FILE.cwasm` with the compiler build of this host, then run FILE.cwasm with {} set to the sha256 it prints",
                crate::settings::COMPONENT_SHA256
            )));
        }
        trust::Form::Wasm | trust::Form::Precompiled => {}
    }
    if form == trust::Form::Wasm {
        if bytes.starts_with(b"\x7fELF") {
            // Most often a precompiled artefact cut short, whose header no
            // longer reads as wasmtime's.
            return Err(Refused::Component(format!(
                "{origin} is not a WebAssembly component but a native (ELF) file: a precompiled artefact cut short or damaged? Compile its .wasm again with `upgrade-responder compile`"
            )));
        }
        if !bytes.starts_with(b"\0asm") {
            return Err(Refused::Component(format!(
                "{origin} is not a WebAssembly component: it does not begin with the WebAssembly header (\\0asm); give the component's .wasm or its precompiled .cwasm"
            )));
        }
        code_within_budget(&bytes)
            .map_err(|reason| Refused::Component(format!("{origin} {reason}")))?;
    }
    let (done, result) = std::sync::mpsc::channel();
    let engine_for_load = engine.clone();
    std::thread::Builder::new()
        .name("load".into())
        .spawn(move || {
            let loaded = match form {
                trust::Form::Precompiled => {
                    // SAFETY: wasmtime maps these bytes as native code and
                    // trusts them to be its own artefact. They are: their
                    // sha256 equals the pin checked above (the operator's,
                    // or the digest the build recorded), and wasmtime
                    // refuses an artefact of another version or engine
                    // configuration before using it.
                    unsafe { Component::deserialize(&engine_for_load, &bytes) }
                }
                _ => compile(&engine_for_load, &bytes),
            };
            let _ = done.send(loaded);
        })
        .map_err(|e| Refused::Component(format!("cannot start loading {origin}: {e}")))?;
    let component = match result.recv_timeout(deadline) {
        Ok(Ok(component)) => component,
        Ok(Err(error)) if form == trust::Form::Precompiled => {
            return Err(Refused::Component(format!(
                "{origin} was precompiled for another engine: {}; recompile its .wasm with this host: `upgrade-responder compile COMPONENT.wasm -o {origin}`",
                first_line(&format!("{error:#}"))
            )));
        }
        Ok(Err(error)) => {
            // One line: wasmparser's context (offsets, expected bytes)
            // says nothing an operator can act on.
            return Err(Refused::Component(format!(
                "{origin} is not a WebAssembly component: {}",
                first_line(&format!("{error:#}"))
            )));
        }
        Err(_) => {
            return Err(Refused::Component(format!(
                "{origin} did not load within the load deadline ({} ms): it is too large or too complex to compile here; precompile it with `upgrade-responder compile`",
                deadline.as_millis()
            )));
        }
    };
    Ok(Loaded {
        component,
        provenance: Provenance {
            form,
            sha256,
            load_time: started.elapsed(),
        },
    })
}

/// A `.wasm`'s code against the policy's bounds, read before anything is
/// compiled: the largest function body and all code together, over every
/// core module the component holds. What is not wasm is left to the
/// compiler, which names it.
fn code_within_budget(bytes: &[u8]) -> Result<(), String> {
    let budget = &policy::HOST_BUDGET;
    let (largest, total) = code_sizes(bytes);
    if largest > budget.function_bytes {
        return Err(format!(
            "has a function of {largest} bytes; the host compiles functions of up to {} bytes (compiling one takes memory in proportion)",
            budget.function_bytes
        ));
    }
    if total > budget.code_bytes {
        return Err(format!(
            "has {total} bytes of code; the host compiles components of up to {} bytes of code (compiling takes memory in proportion)",
            budget.code_bytes
        ));
    }
    Ok(())
}

/// The largest function body and the sum of all bodies, in bytes; the
/// parse stops at the first malformed part.
pub(super) fn code_sizes(bytes: &[u8]) -> (usize, usize) {
    let (mut largest, mut total) = (0, 0);
    for payload in wasmparser::Parser::new(0).parse_all(bytes) {
        match payload {
            Ok(wasmparser::Payload::CodeSectionEntry(body)) => {
                let size = body.range().len();
                largest = largest.max(size);
                total += size;
            }
            Ok(_) => {}
            Err(_) => break,
        }
    }
    (largest, total)
}

#[cfg(feature = "compiler")]
fn compile(engine: &Engine, bytes: &[u8]) -> wasmtime::Result<Component> {
    Component::new(engine, bytes)
}

/// Never called: `load` refuses a `.wasm` first when there is no compiler.
#[cfg(not(feature = "compiler"))]
fn compile(_engine: &Engine, _bytes: &[u8]) -> wasmtime::Result<Component> {
    Err(wasmtime::Error::msg("this host has no compiler"))
}

/// Loads the component and checks it against the policy, before anything
/// runs.
pub fn check(engine: &Engine, candidate: Candidate) -> Result<Checked, Refused> {
    let origin = candidate.origin.clone();
    check_loaded(engine, load(engine, candidate)?).map_err(|unfit| {
        Refused::Component(format!(
            "{origin} does not fit the reporter world: {}",
            unfit.reason
        ))
    })
}

/// A loaded component that does not fit the reporter world, with its shape
/// (`inspect` prints it either way).
pub struct Unfit {
    pub shape: Shape,
    pub reason: String,
}

/// A loaded component checked against the policy.
pub fn check_loaded(engine: &Engine, loaded: Loaded) -> Result<Checked, Unfit> {
    let Loaded {
        component,
        provenance,
    } = loaded;
    let shape = Shape::of(engine, &component);
    if let Some(reason) = shape.refusal() {
        return Err(Unfit { shape, reason });
    }
    let contract = shape.contract;
    Ok(Checked {
        component,
        shape,
        contract,
        loaded: provenance,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The code bounds leave the shipped components far inside them, and
    /// refuse a function the compiler would need hundreds of MiB for.
    #[test]
    fn the_code_bounds_fit_the_shipped_components_and_refuse_a_huge_function() {
        let budget = &policy::HOST_BUDGET;
        for (name, wasm) in [
            ("k3s", component_artifacts::K3S_REPORTER),
            ("rke2", component_artifacts::RKE2_REPORTER),
        ] {
            let (largest, total) = code_sizes(wasm);
            eprintln!("{name}: largest function {largest} bytes, code {total} bytes");
            assert!(
                largest > 0 && largest * 4 <= budget.function_bytes,
                "{name}: {largest}"
            );
            assert!(total * 4 <= budget.code_bytes, "{name}: {total}");
            assert_eq!(code_within_budget(wasm), Ok(()));
        }
        // One function of 300 KiB of `nop`s.
        let mut module = wasm_encoder::Module::new();
        let mut types = wasm_encoder::TypeSection::new();
        types.ty().function([], []);
        module.section(&types);
        let mut functions = wasm_encoder::FunctionSection::new();
        functions.function(0);
        module.section(&functions);
        let mut code = wasm_encoder::CodeSection::new();
        let mut body = wasm_encoder::Function::new([]);
        for _ in 0..300 << 10 {
            body.instruction(&wasm_encoder::Instruction::Nop);
        }
        body.instruction(&wasm_encoder::Instruction::End);
        code.function(&body);
        module.section(&code);
        let bytes = module.finish();
        let (largest, _) = code_sizes(&bytes);
        assert_eq!(
            code_within_budget(&bytes),
            Err(format!(
                "has a function of {largest} bytes; the host compiles functions of up to {} bytes (compiling one takes memory in proportion)",
                budget.function_bytes
            ))
        );
    }
    use crate::sandbox::epoch::engine;

    /// The automatic choice: only a `+rke2r` build number runs the RKE2
    /// component; everything else, unreadable included, the K3s one.
    #[test]
    fn the_cluster_version_chooses_the_built_in_component() {
        let cases = [
            ("v1.31.6+rke2r1", BuiltIn::Rke2),
            ("v1.31.6+rke2r12", BuiltIn::Rke2),
            ("v1.32.0-rc1+rke2r2", BuiltIn::Rke2),
            ("v1.31.6+k3s1", BuiltIn::K3s),
            ("v1.31.6", BuiltIn::K3s),
            ("unknown", BuiltIn::K3s),
            ("", BuiltIn::K3s),
            ("v1.31.6+rke2", BuiltIn::K3s),
            ("v1.31.6+rke2r", BuiltIn::K3s),
            ("v1.31.6+rke2rX", BuiltIn::K3s),
            ("v1.31.6+rke2r1X", BuiltIn::K3s),
            ("v1.31.6-rke2r1", BuiltIn::K3s),
            ("v1.31.6+k3s1+rke2r1x", BuiltIn::K3s),
        ];
        for (version, expected) in cases {
            assert_eq!(built_in_for(version), expected, "{version:?}");
        }
    }

    /// Both built-in artefacts are embedded with the digest their build
    /// recorded, and load as a run loads them.
    #[test]
    fn both_built_in_components_load_with_their_recorded_digest() {
        let engine = engine().unwrap();
        for which in BuiltIn::ALL {
            let candidate = Candidate::built_in(which, None);
            assert_eq!(
                crate::ground::digest::Sha256::of(&candidate.bytes).to_string(),
                built_in_sha256(which)
            );
            let checked = check(&engine, candidate).unwrap_or_else(|e| panic!("{which:?}: {e}"));
            assert_eq!(checked.loaded.form, trust::Form::Precompiled);
        }
    }

    /// A load still running at the deadline is abandoned with its own
    /// refusal. Compiling the K3s component takes hundreds of milliseconds:
    /// a deadline of one millisecond is always missed, on any machine.
    #[cfg(feature = "compiler")]
    #[test]
    fn a_load_past_its_deadline_is_refused() {
        let engine = engine().unwrap();
        let candidate = Candidate {
            bytes: std::borrow::Cow::Borrowed(component_artifacts::K3S_REPORTER),
            origin: "slow.wasm".to_string(),
            pin: None,
        };
        let Err(Refused::Component(message)) =
            load_within(&engine, candidate, Duration::from_millis(1))
        else {
            panic!("a compile of the K3s component finished within 1 ms");
        };
        assert_eq!(
            message,
            "slow.wasm did not load within the load deadline (1 ms): it is too large or too complex to compile here; precompile it with `upgrade-responder compile`"
        );
    }
}
