//! Runs a command component the way `wasmtime run -S http COMPONENT ARGS < STDIN`
//! does, with the wasmtime crate (the CLI takes 20 minutes to build): the
//! CLI's full WASI 0.2 linker plus wasi:http, arguments with the component's
//! path first, stdin from memory, stdout and stderr captured, no
//! preopened directories and no inherited environment (the CLI's defaults).

use std::path::Path;

use anyhow::Context as _;
use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{Config, Engine, Store};
use wasmtime_wasi::p2::bindings::Command;
use wasmtime_wasi::p2::pipe::{MemoryInputPipe, MemoryOutputPipe};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

/// What a command run ended with.
#[derive(Debug)]
pub struct CommandRun {
    pub exit_code: i32,
    pub stdout: String,
    pub stderr: String,
}

struct CliState {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    table: ResourceTable,
}

impl WasiView for CliState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for CliState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: Default::default(),
        }
    }
}

/// `wasmtime run -S http <component> <args...> < stdin`.
pub fn wasmtime_run(component: &Path, args: &[&str], stdin: &[u8]) -> anyhow::Result<CommandRun> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run(component, args, stdin))
}

async fn run(component: &Path, args: &[&str], stdin: &[u8]) -> anyhow::Result<CommandRun> {
    let engine = Engine::new(&Config::new())?;
    let loaded = Component::from_file(&engine, component)
        .map_err(anyhow::Error::from)
        .with_context(|| format!("cannot load {}", component.display()))?;
    let mut linker = Linker::new(&engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;

    let stdout = MemoryOutputPipe::new(1 << 20);
    let stderr = MemoryOutputPipe::new(1 << 20);
    // The CLI passes the component's file name as argv[0].
    let name = component.file_name().map_or("component.wasm".into(), |n| {
        n.to_string_lossy().into_owned()
    });
    let mut argv = vec![name];
    argv.extend(args.iter().map(|a| a.to_string()));
    let wasi = WasiCtx::builder()
        .args(&argv)
        .stdin(MemoryInputPipe::new(stdin.to_vec()))
        .stdout(stdout.clone())
        .stderr(stderr.clone())
        .build();
    let state = CliState {
        wasi,
        http: WasiHttpCtx::new(),
        table: ResourceTable::new(),
    };
    let mut store = Store::new(&engine, state);
    let command = Command::instantiate_async(&mut store, &loaded, &linker).await?;
    let exit_code = match command.wasi_cli_run().call_run(&mut store).await {
        Ok(Ok(())) => 0,
        Ok(Err(())) => 1,
        Err(error) => match error.downcast_ref::<wasmtime_wasi::I32Exit>() {
            Some(exit) => exit.0,
            None => return Err(anyhow::Error::from(error).context("the component trapped")),
        },
    };
    Ok(CommandRun {
        exit_code,
        stdout: String::from_utf8_lossy(&stdout.contents()).into_owned(),
        stderr: String::from_utf8_lossy(&stderr.contents()).into_owned(),
    })
}
