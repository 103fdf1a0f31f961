//! What one run's store holds, and the linker that defines exactly the
//! interfaces the policy grants: never filesystem, never sockets.

use wasmtime::Engine;
use wasmtime::component::{Linker, ResourceTable};
use wasmtime_wasi::p2::bindings::{cli, random};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use super::contract::{self};

use super::egress::Egress;
use super::events::Bounds;

/// Everything one run's store holds.
pub struct RunState {
    pub(super) wasi: WasiCtx,
    pub(super) http: WasiHttpCtx,
    pub(super) table: ResourceTable,
    pub(super) egress: Egress,
    pub(super) bounds: Bounds,
}

impl WasiView for RunState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for RunState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.egress,
        }
    }
}

/// Links exactly the interfaces `policy::ALLOWED_IMPORTS` names: the
/// wasi:http proxy set (io, clocks, random, stdio, http) plus the cli and
/// random interfaces Rust std imports. Never filesystem, never sockets.
pub fn linker(engine: &Engine) -> anyhow::Result<Linker<RunState>> {
    use wasmtime_wasi::cli::{WasiCli, WasiCliView};
    use wasmtime_wasi::random::WasiRandom;
    let mut linker = Linker::new(engine);
    // io, clocks, random, stdin/stdout/stderr, wasi:http/{types,outgoing-handler}
    wasmtime_wasi_http::p2::add_to_linker_async(&mut linker)?;
    let l = &mut linker;
    random::insecure::add_to_linker::<RunState, WasiRandom>(l, |t| t.wasi.random())?;
    random::insecure_seed::add_to_linker::<RunState, WasiRandom>(l, |t| t.wasi.random())?;
    cli::exit::add_to_linker::<RunState, WasiCli>(l, RunState::cli)?;
    cli::environment::add_to_linker::<RunState, WasiCli>(l, RunState::cli)?;
    cli::terminal_input::add_to_linker::<RunState, WasiCli>(l, RunState::cli)?;
    cli::terminal_output::add_to_linker::<RunState, WasiCli>(l, RunState::cli)?;
    cli::terminal_stdin::add_to_linker::<RunState, WasiCli>(l, RunState::cli)?;
    cli::terminal_stdout::add_to_linker::<RunState, WasiCli>(l, RunState::cli)?;
    cli::terminal_stderr::add_to_linker::<RunState, WasiCli>(l, RunState::cli)?;
    // The reporter's type-only interfaces: nothing to call, only types.
    contract::add_to_linker(&mut linker)?;
    Ok(linker)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ground::policy;
    use crate::sandbox::epoch::engine;

    /// Every interface of the WASI packages in `wit/deps`, without version.
    fn wasi_interfaces() -> Vec<String> {
        let deps = concat!(env!("CARGO_MANIFEST_DIR"), "/../wit/deps");
        let mut found = Vec::new();
        for entry in std::fs::read_dir(deps).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            let package = text
                .lines()
                .find_map(|l| l.strip_prefix("package ")?.strip_suffix(';'))
                .unwrap();
            let package = package.split_once('@').unwrap().0;
            for line in text.lines() {
                if let Some(rest) = line.strip_prefix("interface ") {
                    let name = rest.trim_end_matches('{').trim();
                    found.push(format!("{package}/{name}"));
                }
            }
        }
        found.sort();
        found
    }

    /// Whether the linker defines `interface` at some 0.2.x version (or at
    /// the reporter types' version): defining that name again (as a
    /// function; an instance may be reopened) must then fail.
    fn defines(linker: &Linker<RunState>, interface: &str) -> bool {
        let versions: Vec<String> = if interface.starts_with("upgrade-responder:") {
            policy::REPORTER_CONTRACTS
                .iter()
                .map(|(version, _)| version.to_string())
                .collect()
        } else {
            (0..=30)
                .map(|patch| format!("{}{patch}", policy::WASI_VERSION_PREFIX))
                .collect()
        };
        versions.iter().any(|version| {
            linker
                .clone()
                .root()
                .func_wrap(&format!("{interface}@{version}"), |_, (): ()| Ok(()))
                .is_err()
        })
    }

    /// The linker and the policy agree: it defines every allowed interface
    /// and no other WASI interface.
    #[test]
    fn the_linker_defines_exactly_the_allowed_imports() {
        let engine = engine().unwrap();
        let linker = linker(&engine).unwrap();
        let interfaces = wasi_interfaces();
        assert!(interfaces.len() > 30, "{interfaces:?}");
        for interface in &interfaces {
            let allowed = policy::ALLOWED_IMPORTS
                .iter()
                .any(|g| g.interface == interface);
            assert_eq!(
                defines(&linker, interface),
                allowed,
                "{interface}: the linker and policy::ALLOWED_IMPORTS disagree"
            );
        }
        for grant in policy::ALLOWED_IMPORTS {
            assert!(
                defines(&linker, grant.interface),
                "{} is allowed but not linked",
                grant.interface
            );
        }
    }
}
