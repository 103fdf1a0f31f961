//! One child process, measured by the kernel: wall time, CPU time and peak
//! RSS from wait4(2).
//!
//! The child is started by a measurer: this same binary, freshly executed
//! (`bench __measure ...`), which starts the child and reaps it. Linux folds
//! the high-water RSS of the address space a process had before `execve`
//! into its `ru_maxrss` (fs/exec.c, `exec_mmap`), and a child spawned
//! straight from the benchmark starts out in the benchmark's address space,
//! which holds the generated cluster and the API stand-in: hundreds of MiB
//! at 5,000 nodes. A child of the small measurer inherits only the
//! measurer's few MiB.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context as _;

/// What to run: a program, its arguments, its whole environment.
pub struct Spec {
    pub program: PathBuf,
    pub args: Vec<OsString>,
    pub env: Vec<(OsString, OsString)>,
}

impl Spec {
    pub fn new(program: impl Into<PathBuf>) -> Spec {
        Spec {
            program: program.into(),
            args: Vec::new(),
            env: Vec::new(),
        }
    }

    pub fn arg(&mut self, arg: impl Into<OsString>) -> &mut Spec {
        self.args.push(arg.into());
        self
    }

    pub fn env(&mut self, key: impl Into<OsString>, value: impl Into<OsString>) -> &mut Spec {
        self.env.push((key.into(), value.into()));
        self
    }
}

/// What one run of a child process cost, and what it said.
pub struct Measured {
    pub code: i32,
    pub wall: Duration,
    /// User + system time of the child and of every child it waited for
    /// (a script's curl and jq).
    pub cpu: Duration,
    /// The largest resident set of the child or of any child it waited for
    /// (one process's peak, not a sum).
    pub peak_rss_kib: u64,
    pub stdout: String,
    pub stderr: String,
}

/// The measurer's command-line marker.
pub const MEASURE: &str = "__measure";

/// Runs `spec` to its end through the measurer, with stdout and stderr in
/// files under `scratch` (no pipe to drain while measuring).
pub fn run(spec: &Spec, scratch: &Path) -> anyhow::Result<Measured> {
    let out_path = scratch.join("stdout");
    let err_path = scratch.join("stderr");
    let result_path = scratch.join("measured");
    let out = std::fs::File::create(&out_path)
        .with_context(|| format!("creating {}", out_path.display()))?;
    let err = std::fs::File::create(&err_path)
        .with_context(|| format!("creating {}", err_path.display()))?;
    let measurer = std::env::current_exe().context("the benchmark cannot find its own binary")?;
    let status = Command::new(measurer)
        .env_clear()
        .envs(spec.env.iter().map(|(k, v)| (k, v)))
        .arg(MEASURE)
        .arg(&result_path)
        .arg(&spec.program)
        .args(&spec.args)
        .stdin(Stdio::null())
        .stdout(Stdio::from(out))
        .stderr(Stdio::from(err))
        .status()
        .context("starting the measurer")?;
    let read = |path: &Path| {
        std::fs::read(path)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .with_context(|| format!("reading {}", path.display()))
    };
    let stderr = read(&err_path)?;
    if !status.success() {
        anyhow::bail!(
            "the measurer failed on {}: {}",
            spec.program.display(),
            stderr.trim()
        );
    }
    let result = read(&result_path)?;
    let numbers: Vec<u64> = result
        .split_whitespace()
        .map(str::parse)
        .collect::<Result<_, _>>()
        .with_context(|| format!("the measurer wrote {result:?}"))?;
    let [code, wall_us, cpu_us, peak_rss_kib] = numbers[..] else {
        anyhow::bail!("the measurer wrote {result:?}");
    };
    Ok(Measured {
        code: i32::try_from(code).unwrap_or(-1),
        wall: Duration::from_micros(wall_us),
        cpu: Duration::from_micros(cpu_us),
        peak_rss_kib,
        stdout: read(&out_path)?,
        stderr,
    })
}

/// The measurer: `__measure RESULT PROGRAM ARGS...` starts PROGRAM with this
/// process's environment and standard streams, reaps it with wait4(2) and
/// writes `code wall_us cpu_us peak_rss_kib` to RESULT.
pub fn measurer(args: &[OsString]) -> anyhow::Result<()> {
    let [result, program, rest @ ..] = args else {
        anyhow::bail!("usage: bench {MEASURE} RESULT PROGRAM [ARGS...]");
    };
    let started = Instant::now();
    let child = Command::new(program)
        .args(rest)
        .spawn()
        .with_context(|| format!("starting {program:?}"))?;
    let pid = libc::pid_t::try_from(child.id()).context("the child's pid does not fit pid_t")?;
    let mut status: libc::c_int = 0;
    // SAFETY: rusage is plain old data; wait4 fills it for our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `pid` is our child, not yet reaped (std's Child only reaps in
    // wait/try_wait, which are never called on it).
    let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = started.elapsed();
    if reaped != pid {
        anyhow::bail!(
            "wait4 on {program:?} failed: {}",
            std::io::Error::last_os_error()
        );
    }
    let code = if libc::WIFEXITED(status) {
        i64::from(libc::WEXITSTATUS(status))
    } else {
        -1
    };
    let cpu = timeval(usage.ru_utime) + timeval(usage.ru_stime);
    let line = format!(
        "{} {} {} {}\n",
        u64::try_from(code).unwrap_or(u64::from(u32::MAX)),
        wall.as_micros(),
        cpu.as_micros(),
        usage.ru_maxrss
    );
    std::fs::write(result, line).with_context(|| format!("writing {result:?}"))
}

fn timeval(t: libc::timeval) -> Duration {
    Duration::from_secs(u64::try_from(t.tv_sec).unwrap_or(0))
        + Duration::from_micros(u64::try_from(t.tv_usec).unwrap_or(0))
}
