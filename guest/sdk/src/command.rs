//! The component as a command, for `wasmtime run`: cluster facts as JSON on
//! stdin, the payload on stdout, and a report sent only when asked.
//!
//! ```text
//! wasmtime run guest.wasm < facts.json                       # print the payload
//! wasmtime run -S http guest.wasm --endpoint URL < facts.json  # and send it
//! ```

use std::io::{Read, Write};

use crate::{ClusterFacts, FieldMode, Reporter, Settings};

const USAGE: &str = "\
usage: wasmtime run [-S http] COMPONENT.wasm [--endpoint URL] [--field-mode minimal|standard] [--channel NAME] < facts.json

Reads cluster facts (the fixture format the host's `facts` command prints) on
stdin and prints the exact payload on stdout. With --endpoint it also POSTs the
payload there (wasmtime needs -S http for that) and prints the outcome and the
upgrade notice for --channel (default stable) on stderr.

exit status: 0 done, 1 failed (bad arguments or facts, or the report failed;
stderr says which). WASI 0.2 carries no other exit codes.";

struct Arguments {
    endpoint: Option<String>,
    field_mode: FieldMode,
    channel: String,
}

fn parse_arguments(args: &[String]) -> Result<Option<Arguments>, String> {
    let mut endpoint = None;
    let mut field_mode = FieldMode::Minimal;
    let mut channel = crate::upgrade::DEFAULT_CHANNEL.to_string();
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) => (flag, Some(value.to_string())),
            None => (arg.as_str(), None),
        };
        let mut value = |name: &str| {
            inline
                .clone()
                .or_else(|| rest.next().cloned())
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match flag {
            "-h" | "--help" => return Ok(None),
            "--endpoint" => endpoint = Some(value("--endpoint")?),
            "--channel" => channel = value("--channel")?,
            "--field-mode" => {
                field_mode = match value("--field-mode")?.as_str() {
                    "minimal" => FieldMode::Minimal,
                    "standard" => FieldMode::Standard,
                    other => {
                        return Err(format!(
                            "--field-mode must be minimal or standard, not {other:?}"
                        ));
                    }
                }
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(Some(Arguments {
        endpoint,
        field_mode,
        channel,
    }))
}

/// The command's `main`. Exits the process.
pub fn main<R: Reporter>() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let code = run::<R>(&args);
    let _ = std::io::stdout().flush();
    std::process::exit(code);
}

fn run<R: Reporter>(args: &[String]) -> i32 {
    let arguments = match parse_arguments(args) {
        Ok(Some(arguments)) => arguments,
        Ok(None) => {
            println!("{USAGE}");
            return 0;
        }
        Err(problem) => {
            eprintln!("error: {problem}\n\n{USAGE}");
            return 1;
        }
    };
    let mut input = Vec::new();
    if let Err(e) = std::io::stdin().read_to_end(&mut input) {
        eprintln!("error: cannot read cluster facts from stdin: {e}");
        return 2;
    }
    let facts: ClusterFacts = match serde_json::from_slice(&input) {
        Ok(facts) => facts,
        Err(e) => {
            eprintln!(
                "error: stdin is not cluster facts JSON ({e}); capture some with `upgrade-responder facts` or use tests/fixtures/facts/*.json"
            );
            return 1;
        }
    };
    let settings = Settings {
        endpoint: arguments.endpoint.clone().unwrap_or_default(),
        field_mode: arguments.field_mode,
    };

    if arguments.endpoint.is_none() {
        return match crate::build_payload::<R>(&facts, &settings) {
            Ok(payload) => {
                println!("{payload}");
                0
            }
            Err(problem) => {
                eprintln!("error: {problem}");
                1
            }
        };
    }

    match crate::report_with_notice::<R>(&facts, &settings, &arguments.channel) {
        Ok((outcome, notice)) => {
            println!("{}", outcome.payload);
            eprintln!(
                "sent to {}: status {}, latest {}, upgrade available {}, next report in {} minutes",
                settings.endpoint,
                outcome.status,
                outcome.latest.as_deref().unwrap_or("unknown"),
                outcome.upgrade_available.as_deref().unwrap_or("none"),
                outcome
                    .request_interval_minutes
                    .map_or("unknown".to_string(), |m| m.to_string()),
            );
            eprintln!("{}", crate::upgrade::operator_line(&notice));
            0
        }
        Err(error) => {
            eprintln!(
                "error: report to {} failed: {}",
                settings.endpoint,
                describe(&error)
            );
            1
        }
    }
}

/// One line for a failed report, the same words the host logs.
pub fn describe(error: &crate::ReportError) -> String {
    match error {
        crate::ReportError::InvalidFacts(reason) => format!("invalid facts: {reason}"),
        crate::ReportError::NotSent(reason) => format!("not sent: {reason}"),
        crate::ReportError::BadResponse(bad) => format!("bad response: {}", bad.reason),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn arguments_parse_in_both_spellings() {
        let a = parse_arguments(&args(&[
            "--endpoint",
            "http://x/v1",
            "--field-mode=standard",
        ]))
        .unwrap()
        .unwrap();
        assert_eq!(a.endpoint.as_deref(), Some("http://x/v1"));
        assert_eq!(a.field_mode, FieldMode::Standard);
        assert_eq!(a.channel, "stable", "the default channel");
        let a = parse_arguments(&args(&["--channel", "latest"]))
            .unwrap()
            .unwrap();
        assert_eq!(a.channel, "latest");
        assert!(parse_arguments(&args(&["--help"])).unwrap().is_none());
        assert_eq!(
            parse_arguments(&args(&["--endpoint"])).err().unwrap(),
            "--endpoint needs a value"
        );
        assert!(parse_arguments(&args(&["--field-mode", "all"])).is_err());
        assert!(parse_arguments(&args(&["extra"])).is_err());
    }
}
