//! Why a command did not end normally, and the one table that maps each
//! reason to an exit code and a log level.
//!
//! Best-effort failures (the endpoint is down, the API errs, the component
//! traps) are not failures of the job: they end with a warning and exit 0,
//! so a CronJob never piles up failed pods. Only what the operator must fix
//! fails the job.

use std::fmt;

/// Exit codes, as the README's table lists them.
pub mod exit {
    /// Done, skipped (opted out), or a best-effort failure logged as a warning.
    pub const OK: u8 = 0;
    /// The host itself failed (an internal error), or `facts` could not read
    /// the cluster.
    pub const FAILED: u8 = 1;
    /// A setting that cannot work: fix the configuration.
    pub const CONFIG: u8 = 2;
    /// The component does not fit the policy or the reporter world.
    pub const REFUSED: u8 = 3;
}

/// A command that ended early.
#[derive(Debug)]
pub enum Failure {
    /// A setting or input file that cannot work; the operator fixes it.
    Config(anyhow::Error),
    /// The component was refused before it ran.
    Refused(String),
    /// Nothing was reported, for a reason outside the operator's control
    /// (cluster, network, component); logged as one warning.
    NotReported(String),
    /// The host could not do its own part (runtime, engine, linker).
    Internal(anyhow::Error),
}

impl Failure {
    pub fn exit_code(&self) -> u8 {
        match self {
            Failure::Config(_) => exit::CONFIG,
            Failure::Refused(_) => exit::REFUSED,
            Failure::NotReported(_) => exit::OK,
            Failure::Internal(_) => exit::FAILED,
        }
    }

    /// Logs the failure as its one line, at its level, and gives the exit code.
    pub fn log(&self) -> u8 {
        match self {
            Failure::NotReported(_) => tracing::warn!("{self}"),
            _ => tracing::error!("{self}"),
        }
        self.exit_code()
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Config(error) | Failure::Internal(error) => write!(f, "{error:#}"),
            Failure::Refused(reason) => write!(f, "component refused: {reason}"),
            Failure::NotReported(reason) => write!(f, "report not sent: {reason}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_failure_maps_to_its_documented_exit_code_and_words() {
        let cases = [
            (
                Failure::Config(anyhow::anyhow!("bad setting")),
                2,
                "bad setting",
            ),
            (
                Failure::Refused("imports not granted: x".into()),
                3,
                "component refused: imports not granted: x",
            ),
            (
                Failure::NotReported("endpoint down".into()),
                0,
                "report not sent: endpoint down",
            ),
            (
                Failure::Internal(anyhow::anyhow!("no runtime")),
                1,
                "no runtime",
            ),
        ];
        for (failure, code, line) in cases {
            assert_eq!(failure.exit_code(), code, "{failure}");
            assert_eq!(failure.to_string(), line);
        }
    }
}
