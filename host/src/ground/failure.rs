//! Why a command did not end normally, and the one table that maps each
//! reason to an exit code and a log level.
//!
//! Best-effort failures (the endpoint is down, the API errs, the component
//! traps) are not failures of the job: they end with a warning and exit 0,
//! so a CronJob never piles up failed pods. Only what the operator must fix
//! fails the job.

use std::fmt;

/// Exit codes, as the README's table lists them ([`EXIT_CODES`]).
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

/// The one exit-code table: the README's "Exit status and logs" table
/// repeats these rows word for word (a test checks it).
pub const EXIT_CODES: &[(u8, &str)] = &[
    (
        exit::OK,
        "reported (`INFO report sent:`), disabled (`INFO disabled (...)`), or ended by what is not the operator's to fix, logged as one `WARN` line: `report not sent:` (the endpoint cannot have the whole report: endpoint unreachable, API error, component trapped or out of time before the request was written) or `report delivered but the answer was not usable:` (the endpoint took the whole report and answered 500, a redirect or no JSON, or did not answer in time). The job does not fail, so no failed pods pile up and nothing backs off; the next scheduled run tries again.",
    ),
    (
        exit::FAILED,
        "internal error of the host (`ERROR`), or `facts` could not read the cluster",
    ),
    (
        exit::CONFIG,
        "a setting or input file that cannot work (an endpoint that is not an http(s) URL, a missing kubeconfig or facts file, a `builtin:` component that is neither `builtin:k3s` nor `builtin:rke2`, an invalid value shown by `config`, a malformed `UPGRADE_RESPONDER_COMPONENT_SHA256`, a precompiled component without it): one `ERROR` line names the setting, its value and where it came from",
    ),
    (
        exit::REFUSED,
        "the component is refused before it runs: not a component, an import the policy does not grant, or no reporter exports (`ERROR component refused:` names each offending import); or it cannot be trusted or loaded: its sha256 is not the pinned one, it was precompiled for another wasmtime version or engine configuration (recompile it with this host's `compile`), or it is a `.wasm` and this host has no compiler",
    ),
];

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
    /// The endpoint received the whole report (it answered), but the answer
    /// was not one the component could use: a 500, a redirect, not JSON.
    /// "Not sent" would mislead: the server may well have stored it.
    Unusable(String),
    /// The host could not do its own part (runtime, engine, linker).
    Internal(anyhow::Error),
}

impl Failure {
    pub fn exit_code(&self) -> u8 {
        match self {
            Failure::Config(_) => exit::CONFIG,
            Failure::Refused(_) => exit::REFUSED,
            Failure::NotReported(_) | Failure::Unusable(_) => exit::OK,
            Failure::Internal(_) => exit::FAILED,
        }
    }

    /// A word for the JSON log's `outcome` field.
    pub fn kind(&self) -> &'static str {
        match self {
            Failure::Config(_) => "configuration-error",
            Failure::Refused(_) => "component-refused",
            Failure::NotReported(_) => "not-sent",
            Failure::Unusable(_) => "delivered-answer-unusable",
            Failure::Internal(_) => "internal-error",
        }
    }

    /// Logs the failure as its one line, at its level, and gives the exit code.
    pub fn log(&self) -> u8 {
        let outcome = self.kind();
        let exit_code = self.exit_code();
        match self {
            Failure::NotReported(_) | Failure::Unusable(_) => {
                tracing::warn!(outcome, exit_code, "{self}")
            }
            _ => tracing::error!(outcome, exit_code, "{self}"),
        }
        exit_code
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Config(error) | Failure::Internal(error) => f.write_str(&error_line(error)),
            Failure::Refused(reason) => write!(f, "component refused: {}", one_line(reason)),
            Failure::NotReported(reason) => write!(f, "report not sent: {}", one_line(reason)),
            Failure::Unusable(reason) => write!(
                f,
                "report delivered but the answer was not usable: {}",
                one_line(reason)
            ),
        }
    }
}

/// An error and its causes on one line: `a: b: c`. wasmtime's backtrace
/// (`error while executing at wasm backtrace: 0: 0x1a2b - ...`) says
/// nothing to an operator and is left out; the trap's reason stays.
pub fn error_line(error: &anyhow::Error) -> String {
    let causes: Vec<String> = error
        .chain()
        .map(|cause| cause.to_string())
        .filter(|text| !text.starts_with(WASM_BACKTRACE))
        .map(|text| one_line(&text))
        .collect();
    causes.join(": ")
}

const WASM_BACKTRACE: &str = "error while executing at wasm backtrace";

/// Text of many lines (a YAML parser's pointer to the column, a backtrace)
/// as one: lines trimmed and joined by a space, a wasm backtrace left out,
/// any other control character escaped.
pub fn one_line(text: &str) -> String {
    let mut kept: Vec<&str> = Vec::new();
    let mut in_backtrace = false;
    for line in text.lines() {
        let trimmed = line.trim();
        if let Some(at) = line.find(WASM_BACKTRACE) {
            // What came before it on the line is kept; the frames are not.
            let before = line[..at].trim();
            if !before.is_empty() {
                kept.push(before);
            }
            in_backtrace = true;
            continue;
        }
        if in_backtrace {
            // Frames are indented (`  0: 0x1a2b - ...`), as is the note.
            if line.starts_with(char::is_whitespace) || trimmed.starts_with("note: ") {
                // The trap reason follows the last frame after ": ".
                if let Some((_, reason)) = trimmed
                    .strip_prefix("note: ")
                    .and_then(|note| note.split_once("information: "))
                {
                    kept.push(reason);
                    in_backtrace = false;
                }
                continue;
            }
            in_backtrace = false;
        }
        // A parser's drawing of the spot (` --> <input>:3:11`, then the
        // lines with a caret) repeats the line and column already named.
        if trimmed.starts_with("--> ") {
            break;
        }
        if !trimmed.is_empty() {
            kept.push(trimmed);
        }
    }
    super::text::log_text(&kept.join(" "), usize::MAX)
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
                Failure::Unusable("500 Internal Server Error".into()),
                0,
                "report delivered but the answer was not usable: 500 Internal Server Error",
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

    #[test]
    fn every_error_is_one_line_without_a_wasm_backtrace() {
        let yaml =
            anyhow::anyhow!("mapping values are not allowed in this context\n at line 3 column 5")
                .context("cannot read kubeconfig /k");
        assert_eq!(
            Failure::Config(yaml).to_string(),
            "cannot read kubeconfig /k: mapping values are not allowed in this context at line 3 column 5"
        );
        let trap = anyhow::anyhow!("wasm trap: wasm `unreachable` instruction executed")
            .context("error while executing at wasm backtrace:\n    0:  0x1a2b - k3s_reporter.wasm!abort\n    1:  0x2c3d - <unknown>!<wasm function 7>")
            .context("cannot run the component");
        assert_eq!(
            Failure::Internal(trap).to_string(),
            "cannot run the component: wasm trap: wasm `unreachable` instruction executed"
        );
        assert_eq!(
            one_line(
                "component trapped: error while executing at wasm backtrace:\n    0: 0x1 - x!y\nnote: using the `WASMTIME_BACKTRACE_DETAILS=1` environment variable may show more debugging information: wasm trap: out of bounds memory access"
            ),
            "component trapped: wasm trap: out of bounds memory access"
        );
        assert_eq!(
            one_line(
                "failed to parse kubeconfig YAML: error: line 3 column 11: expected string scalar\n --> <input>:3:11\n  |\n3 |   - name: [\n  |           ^ expected string scalar"
            ),
            "failed to parse kubeconfig YAML: error: line 3 column 11: expected string scalar"
        );
        assert_eq!(
            Failure::Refused("a\n\nCaused by:\n    b\u{1b}[31m".into()).to_string(),
            "component refused: a Caused by: b\\u{1b}[31m"
        );
    }

    /// The README's table is the operator's reference: it must hold these
    /// rows, word for word, and no other.
    #[test]
    fn the_readme_exit_code_table_is_this_table() {
        let readme =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
        let section = readme
            .split("## Exit status and logs")
            .nth(1)
            .expect("README.md has an \"Exit status and logs\" section");
        let rows: Vec<&str> = section
            .lines()
            .skip_while(|line| !line.starts_with("| exit |"))
            .skip(2)
            .take_while(|line| line.starts_with('|'))
            .collect();
        let expected: Vec<String> = EXIT_CODES
            .iter()
            .map(|(code, meaning)| format!("| {code} | {meaning} |"))
            .collect();
        assert_eq!(rows, expected);
        let mut codes: Vec<u8> = EXIT_CODES.iter().map(|(code, _)| *code).collect();
        codes.sort_unstable();
        assert_eq!(codes, [exit::OK, exit::FAILED, exit::CONFIG, exit::REFUSED]);
    }
}
