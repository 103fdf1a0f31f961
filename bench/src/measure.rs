//! One child process, measured by the kernel: wall time, CPU time and peak
//! RSS from wait4(2).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context as _;

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

/// Runs `command` to its end with stdout and stderr in files under `scratch`
/// (no pipe to drain while measuring) and reaps it with wait4(2).
pub fn run(command: &mut Command, scratch: &Path) -> anyhow::Result<Measured> {
    let out_path = scratch.join("stdout");
    let err_path = scratch.join("stderr");
    let out = std::fs::File::create(&out_path)
        .with_context(|| format!("creating {}", out_path.display()))?;
    let err = std::fs::File::create(&err_path)
        .with_context(|| format!("creating {}", err_path.display()))?;
    command
        .stdin(Stdio::null())
        .stdout(Stdio::from(out))
        .stderr(Stdio::from(err));
    let started = Instant::now();
    let child = command
        .spawn()
        .with_context(|| format!("starting {:?}", command.get_program()))?;
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
            "wait4 on {:?} failed: {}",
            command.get_program(),
            std::io::Error::last_os_error()
        );
    }
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    let cpu = timeval(usage.ru_utime) + timeval(usage.ru_stime);
    let read = |path: &Path| {
        std::fs::read(path)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .with_context(|| format!("reading {}", path.display()))
    };
    Ok(Measured {
        code,
        wall,
        cpu,
        peak_rss_kib: u64::try_from(usage.ru_maxrss).unwrap_or(0),
        stdout: read(&out_path)?,
        stderr: read(&err_path)?,
    })
}

fn timeval(t: libc::timeval) -> Duration {
    Duration::from_secs(u64::try_from(t.tv_sec).unwrap_or(0))
        + Duration::from_micros(u64::try_from(t.tv_usec).unwrap_or(0))
}
