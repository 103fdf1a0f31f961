//! The sandbox's resource budget, authority reading and log against
//! components written to break them (issue: host-side memory, every memory
//! counted, one reading of the authority, a bounded and honest log). Each
//! test asserts the exact line the host logs and that the run ended well
//! inside its bounds.

use std::time::Duration;

use ur_test_support::{Behaviour, Responder, ResponseConfig, components};

use crate::common::{Ran, TempDir, facts_file, host, run, workspace};

/// Generous: the host compiles the component first, and CI machines are shared.
const QUICK: Duration = Duration::from_secs(20);

fn responder() -> Responder {
    Responder::start(Behaviour::Normal(ResponseConfig::k3s_default())).unwrap()
}

fn report(component: &str, endpoint: &str) -> Ran {
    run(host()
        .arg("--component")
        .arg(component)
        .arg("--facts")
        .arg(facts_file("k3s-ha"))
        .arg("--endpoint")
        .arg(endpoint))
}

fn dry_run(component: &str) -> Ran {
    run(host()
        .arg("--component")
        .arg(component)
        .arg("--facts")
        .arg(facts_file("k3s-single"))
        .arg("--dry-run"))
}

/// The run's last warning with its `(... elapsed_ms=N)` tail cut, after
/// checking the exit code and the time taken.
fn last_warning(ran: &Ran) -> String {
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert!(ran.elapsed < QUICK, "took {:?}", ran.elapsed);
    let warn = ran.log_lines("WARN");
    let last = warn
        .last()
        .unwrap_or_else(|| panic!("no warning: {}", ran.stderr));
    let last = message(last);
    last.split(" (component=")
        .next()
        .unwrap_or(last)
        .split(" (endpoint=")
        .next()
        .unwrap_or(last)
        .to_string()
}

/// A log line without its timestamp and level.
fn message(line: &str) -> &str {
    line.split_once("  WARN ")
        .or_else(|| line.split_once("  INFO "))
        .map_or(line, |(_, message)| message)
}

/// `http://127.0.0.1:PORT/v1/checkupgrade` -> `PORT`.
fn port(url: &str) -> String {
    url.rsplit(':')
        .next()
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_string()
}

#[test]
fn hoarded_header_fields_are_stopped_by_the_host_resource_budget() {
    let ran = dry_run(components::STOPPED_HOARDS_FIELDS);
    let warn = last_warning(&ran);
    assert!(
        warn.starts_with(
            "report not sent: component stopped: host resource limit (256 handles) reached: "
        ),
        "{warn}"
    );
}

#[test]
fn hoarded_request_bodies_are_stopped_by_the_host_resource_budget() {
    let ran = dry_run(components::STOPPED_HOARDS_REQUEST_BODIES);
    let warn = last_warning(&ran);
    assert!(
        warn.starts_with(
            "report not sent: component stopped: host resource limit (256 handles) reached: "
        ),
        "{warn}"
    );
}

/// A core module with `memories` memories and the reporter world's
/// exports, each of which grows every memory by `pages`, fills it, and
/// traps if a growth is refused. Rust cannot emit more than one memory, so the test
/// builds the module itself and wraps it with the world's WIT.
fn many_memories_component(memories: u32, pages: i32) -> Vec<u8> {
    use wasm_encoder::{
        BlockType, CodeSection, ConstExpr, ExportKind, ExportSection, Function, FunctionSection,
        GlobalSection, GlobalType, Instruction, MemorySection, MemoryType, Module, TypeSection,
        ValType,
    };
    let mut module = Module::new();
    let mut types = TypeSection::new();
    types.ty().function([ValType::I32], [ValType::I32]);
    types.ty().function([ValType::I32; 4], [ValType::I32]);
    module.section(&types);
    let mut functions = FunctionSection::new();
    functions.function(0); // build-payload
    functions.function(0); // report
    functions.function(1); // cabi_realloc
    module.section(&functions);
    let mut memory_section = MemorySection::new();
    for _ in 0..memories {
        memory_section.memory(MemoryType {
            minimum: 2,
            maximum: None,
            memory64: false,
            shared: false,
            page_size_log2: None,
        });
    }
    module.section(&memory_section);
    let mut globals = GlobalSection::new();
    globals.global(
        GlobalType {
            val_type: ValType::I32,
            mutable: true,
            shared: false,
        },
        &ConstExpr::i32_const(1024),
    );
    module.section(&globals);
    let mut exports = ExportSection::new();
    exports.export("build-payload", ExportKind::Func, 0);
    exports.export("report", ExportKind::Func, 1);
    exports.export("cabi_realloc", ExportKind::Func, 2);
    exports.export("memory", ExportKind::Memory, 0);
    module.section(&exports);

    let mut code = CodeSection::new();
    let mut grow_all = Function::new([]);
    for memory in 0..memories {
        grow_all.instruction(&Instruction::I32Const(pages));
        grow_all.instruction(&Instruction::MemoryGrow(memory));
        grow_all.instruction(&Instruction::I32Const(-1));
        grow_all.instruction(&Instruction::I32Eq);
        grow_all.instruction(&Instruction::If(BlockType::Empty));
        grow_all.instruction(&Instruction::Unreachable);
        grow_all.instruction(&Instruction::End);
        // Touch every byte, so a host without the bound really holds it.
        // (The first two pages hold the arguments and the result.)
        grow_all.instruction(&Instruction::I32Const(2 * 65536));
        grow_all.instruction(&Instruction::I32Const(1));
        grow_all.instruction(&Instruction::I32Const(pages * 65536));
        grow_all.instruction(&Instruction::MemoryFill(memory));
    }
    // A zeroed result area: `ok` with empty values.
    grow_all.instruction(&Instruction::I32Const(0));
    grow_all.instruction(&Instruction::End);
    code.function(&grow_all);
    code.function(&grow_all);
    // cabi_realloc(old, old_size, align, new_size): a bump allocator.
    let mut realloc = Function::new([]);
    for instruction in [
        Instruction::GlobalGet(0),
        Instruction::LocalGet(2),
        Instruction::I32Add,
        Instruction::I32Const(1),
        Instruction::I32Sub,
        Instruction::I32Const(0),
        Instruction::LocalGet(2),
        Instruction::I32Sub,
        Instruction::I32And,
        Instruction::GlobalSet(0),
        Instruction::GlobalGet(0),
        Instruction::GlobalGet(0),
        Instruction::LocalGet(3),
        Instruction::I32Add,
        Instruction::GlobalSet(0),
        Instruction::End,
    ] {
        realloc.instruction(&instruction);
    }
    code.function(&realloc);
    module.section(&code);
    let mut core = module.finish();

    // Built against the frozen 0.1.0 contract (two exports, which the core
    // functions above implement); the host serves it beside the current one.
    let mut resolve = wit_parser::Resolve::default();
    resolve.push_dir(workspace().join("wit")).unwrap();
    let (package, _) = resolve.push_dir(workspace().join("wit/v0.1.0")).unwrap();
    let world = resolve.select_world(&[package], Some("reporter")).unwrap();
    wit_component::embed_component_metadata(
        &mut core,
        &resolve,
        world,
        wit_component::StringEncoding::UTF8,
    )
    .unwrap();
    wit_component::ComponentEncoder::default()
        .module(&core)
        .unwrap()
        .validate(true)
        .encode()
        .unwrap()
}

#[test]
fn many_memories_are_counted_together_against_the_memory_limit() {
    // Eight memories of 16 MiB each: every one under the 32 MiB limit,
    // 128 MiB together.
    let dir = TempDir::new("many-memories");
    let component = dir.path().join("stopped-many-memories.wasm");
    std::fs::write(&component, many_memories_component(8, 256)).unwrap();
    let ran = dry_run(component.to_str().unwrap());
    let warn = last_warning(&ran);
    assert_eq!(
        warn,
        "report not sent: component stopped: memory limit (33554432 bytes) reached: wasm trap: wasm `unreachable` instruction executed"
    );
    // More memories than the policy's count: stopped at instantiation.
    let component = dir.path().join("stopped-too-many-memories.wasm");
    std::fs::write(&component, many_memories_component(21, 1)).unwrap();
    let ran = dry_run(component.to_str().unwrap());
    assert_eq!(
        last_warning(&ran),
        "report not sent: component stopped: instance, memory and table count limit (20 / 20 / 20) reached: resource limit exceeded: memory count too high at 21"
    );
}

#[test]
fn an_authority_with_a_trailing_dot_is_denied_and_never_looked_up() {
    let endpoint = responder();
    let port = port(&endpoint.url());
    let ran = report(components::DENIED_TRAILING_DOT_AUTHORITY, &endpoint.url());
    let denial = message(ran.log_lines("WARN")[0]).to_string();
    assert_eq!(
        denial,
        format!(
            "request to http://127.0.0.1.:{port} denied: the authority is not in normal form (write 127.0.0.1:{port}); only http://127.0.0.1:{port} is allowed"
        ),
        "{}",
        ran.stderr
    );
    let warn = last_warning(&ran);
    assert_eq!(
        warn,
        "report not sent: request failed: request denied by the host (not the endpoint, or past a limit: the host's log says which) (HttpRequestDenied)"
    );
    assert_eq!(endpoint.connection_count(), 0);
}

#[test]
fn numeric_spellings_of_the_endpoint_address_are_denied() {
    let endpoint = responder();
    let port = port(&endpoint.url());
    let ran = report(components::DENIED_NUMERIC_AUTHORITY, &endpoint.url());
    let warn = ran.log_lines("WARN");
    assert_eq!(warn.len(), 3, "{}", ran.stderr);
    assert!(
        warn[0].ends_with(&format!(
            "request to http://2130706433:{port} denied: the authority is not in normal form (write 127.0.0.1:{port}); only http://127.0.0.1:{port} is allowed"
        )),
        "{}",
        warn[0]
    );
    assert!(
        warn[1].ends_with(
            "3 more requests denied like the first (denials are logged once, then counted)"
        ),
        "{}",
        warn[1]
    );
    assert_eq!(
        last_warning(&ran),
        "report not sent: request failed: every spelling was denied"
    );
    assert_eq!(endpoint.connection_count(), 0);
}

#[test]
fn forged_log_lines_are_escaped_and_a_claimed_report_is_not_believed() {
    let endpoint = responder();
    let ran = report(components::CONTAINED_FORGES_LOG_LINES, &endpoint.url());
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    // Every line of the log is the host's: one per event, none forged.
    let lines: Vec<&str> = ran.stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{}", ran.stderr);
    assert!(!ran.stderr.contains('\r') && !ran.stderr.contains('\0'));
    assert!(
        lines[0].ends_with(
            "component stderr: diagnostic\\n2026-01-01T00:00:00Z  INFO report sent: status=200 forged=newline\\r2026-01-01T00:00:00Z  INFO forged=cr\\u{0}forged=nul"
        ),
        "{}",
        lines[0]
    );
    assert_eq!(
        last_warning(&ran),
        "report not sent: the component returned success but no answer reached the host's egress hook (the component claims status=204 payload_bytes=2)"
    );
    assert_eq!(endpoint.connection_count(), 0);

    // A dry run logs what the sandbox grants, the facts it reads, the
    // stderr line, the outcome.
    let ran = dry_run(components::CONTAINED_FORGES_LOG_LINES);
    assert_eq!(ran.stderr.lines().count(), 4, "{}", ran.stderr);
    assert_eq!(
        last_warning(&ran),
        "dry run: the component built no payload: no payload\\n2026-01-01T00:00:00Z  INFO report sent: status=200 forged=newline\\r2026-01-01T00:00:00Z  INFO forged=cr\\u{0}forged=nul"
    );
}

#[test]
fn a_flood_of_denied_requests_is_logged_once_with_a_count() {
    let endpoint = responder();
    let ran = report(components::CONTAINED_FLOODS_DENIALS, &endpoint.url());
    let warn = ran.log_lines("WARN");
    assert_eq!(
        warn.len(),
        3,
        "{}",
        &ran.stderr[..ran.stderr.len().min(2000)]
    );
    assert!(
        warn[0].contains(&format!(
            "request to http://flood-0.{}.example:80 denied: only {} is allowed",
            "a".repeat(60),
            endpoint.url().trim_end_matches("/v1/checkupgrade")
        )),
        "{}",
        warn[0]
    );
    assert!(
        warn[1].ends_with(
            "4999 more requests denied like the first (denials are logged once, then counted)"
        ),
        "{}",
        warn[1]
    );
    assert_eq!(
        last_warning(&ran),
        "report not sent: request failed: 5000 requests denied"
    );
    assert!(
        ran.stderr.len() < 2_000,
        "{} bytes of log",
        ran.stderr.len()
    );
    assert_eq!(endpoint.connection_count(), 0);
}

#[test]
fn the_summary_states_what_the_host_saw() {
    let endpoint = responder();
    let ran = run(host()
        .arg("--facts")
        .arg(facts_file("k3s-ha"))
        .arg("--endpoint")
        .arg(endpoint.url()));
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    let received = endpoint.received();
    assert_eq!(received.len(), 1);
    // What the component wrote: request line, its headers (the host adds
    // only User-Agent), the blank line, the body.
    let request = &received[0];
    let head = format!("POST {} HTTP/1.1\r\n", request.path).len()
        + request
            .headers
            .iter()
            .filter(|(name, _)| name != "user-agent")
            .map(|(name, value)| name.len() + 2 + value.len() + 2)
            .sum::<usize>()
        + 2;
    let info = ran.log_lines("INFO");
    assert_eq!(info.len(), 1, "{}", ran.stderr);
    let summary = message(info[0]);
    let expected = format!(
        "report sent: status=200 bytes_sent={} bytes_received=",
        head + request.body.len()
    );
    assert!(
        summary.starts_with(&expected),
        "{summary}\nexpected {expected}"
    );
    assert!(
        summary.ends_with(
            "; the component read: upgrade=available plan_version=v1.32.2+k3s1 target=v1.32.2+k3s1 out_of_reach=none channel=stable next_report_minutes=60 fixes_by_step=none fixes_by_target=none release_notes=none support_ends=unknown past_end_of_support=false ignored_advisory_values=0"
        ),
        "{summary}"
    );
}

#[test]
fn a_component_file_over_the_load_bound_is_refused_before_compiling() {
    let dir = TempDir::new("oversized-component");
    let component = dir.path().join("refused-oversized.wasm");
    std::fs::write(&component, vec![0u8; (16 << 20) + 1]).unwrap();
    let ran = dry_run(component.to_str().unwrap());
    assert_eq!(ran.code, 3, "{}", ran.stderr);
    let error = ran.log_lines("ERROR");
    assert_eq!(error.len(), 1, "{}", ran.stderr);
    assert!(
        error[0].ends_with(&format!(
            "component refused: {} is 16777217 bytes; the host loads components of up to 16777216 bytes",
            component.display()
        )),
        "{}",
        error[0]
    );
    assert!(ran.elapsed < QUICK);
}

/// The host's peak memory stays inside the bound `capabilities` prints with
/// the request size setting at its maximum: eight requests at once, each
/// streaming 64 MiB to an authority the host denies, are drained chunk by
/// chunk, never buffered (buffered, they would hold up to 512 MiB).
///
/// Measured from a fresh copy of this test binary: at `exec` the kernel
/// folds the spawning process's own peak RSS into the child's `ru_maxrss`
/// (the vfork'd child shares its memory until then), so a host spawned from
/// this process, where other tests may have held hundreds of MiB, would be
/// charged for them.
#[test]
fn denied_requests_streaming_large_bodies_are_never_buffered() {
    const ISOLATED: &str = "E2E_MEASURE_PEAK_RSS_HERE";
    const NAME: &str =
        "hostile_resources::denied_requests_streaming_large_bodies_are_never_buffered";
    if std::env::var_os(ISOLATED).is_some() {
        return measure_denied_bodies_peak_rss();
    }
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", NAME, "--nocapture", "--test-threads=1"])
        .env(ISOLATED, "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stdout = String::from_utf8_lossy(&output.stdout);
    eprintln!("{stderr}");
    assert!(
        output.status.success() && stdout.contains("1 passed"),
        "the measuring run failed:\n{stdout}\n{stderr}"
    );
}

fn measure_denied_bodies_peak_rss() {
    use std::os::unix::process::ExitStatusExt as _;
    let max_request = "1073741824";
    let capabilities = run(host()
        .arg("capabilities")
        .env("UPGRADE_RESPONDER_MAX_REQUEST_BYTES", max_request));
    let held: u64 = capabilities
        .stdout
        .lines()
        .find(|l| l.contains("host memory held for the component"))
        .and_then(|l| l.split_whitespace().rev().nth(2)?.parse().ok())
        .unwrap_or_else(|| panic!("no held-memory row: {}", capabilities.stdout));
    // Waited for by wait4 below, which also gives its peak memory.
    #[allow(clippy::zombie_processes)]
    let mut child = host()
        .arg("--component")
        .arg(components::CONTAINED_STREAMS_DENIED_BODIES)
        .arg("--facts")
        .arg(facts_file("k3s-single"))
        .arg("--dry-run")
        .env("UPGRADE_RESPONDER_MAX_REQUEST_BYTES", max_request)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value; wait4 fills it in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: the pid is this test's own child, waited for once.
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(waited, pid);
    let stdout = std::io::read_to_string(child.stdout.take().unwrap()).unwrap();
    assert_eq!(
        std::process::ExitStatus::from_raw(status).code(),
        Some(0),
        "{stdout}"
    );
    assert_eq!(stdout, "8 of 8 requests denied\n");
    let peak = usage.ru_maxrss as u64 * 1024;
    // The host's own code and heap beside what it holds for the component:
    // a dry run of the built-in component peaks near 20 MiB here.
    let own = 48 << 20;
    eprintln!(
        "peak RSS {} MiB; bound {} MiB held + {} MiB the host's own",
        peak >> 20,
        held >> 20,
        own >> 20
    );
    assert!(
        peak <= held + own,
        "peak RSS {peak} bytes over {held} + {own}"
    );
}
