//! The component as a command, for `wasmtime run`: cluster facts as JSON on
//! stdin (reduced to the kinds the component asks for in the field mode,
//! as the host reads them), the payload on stdout, a report sent only when
//! asked, and the upgrade-responder server's request schema on `--schema`.
//!
//! ```text
//! wasmtime run guest.wasm < facts.json                         # print the payload
//! wasmtime run -S http guest.wasm --endpoint URL < facts.json  # and send it
//! wasmtime run guest.wasm --schema                             # the server's --request-schema
//! ```
//!
//! Outcomes are logged in the host's words and shape (`report sent:
//! status=...`, `report not sent: request failed: ...`), so one log reader
//! serves both.

use std::io::{Read, Write};
use std::time::Instant;

use crate::{ClusterFacts, FieldMode, Outcome, ReportError, Reporter, Settings};

/// The field modes by name: the one table `--field-mode` is read with.
const FIELD_MODES: &[(&str, FieldMode)] = &[
    ("minimal", FieldMode::Minimal),
    ("standard", FieldMode::Standard),
];

const USAGE: &str = "\
usage: wasmtime run [-S http] COMPONENT.wasm [--endpoint URL] [--field-mode minimal|standard] [--channel NAME] < facts.json
       wasmtime run COMPONENT.wasm --schema [--field-mode minimal|standard]

Reads cluster facts (the fixture format the host's `facts` command prints) on
stdin and prints the exact payload on stdout. With --endpoint it also POSTs the
payload there (wasmtime needs -S http for that) and logs the outcome and the
upgrade notice for --channel (default stable) on stderr.
--schema prints the request schema to deploy the upgrade-responder server with
(its --request-schema file): every key the component sends, in every field
mode, or in the one --field-mode names.

exit status: 0 done, 1 failed (bad arguments or facts, or the report failed;
stderr says which). WASI 0.2 carries no other exit codes.";

struct Arguments {
    endpoint: Option<String>,
    field_mode: Option<FieldMode>,
    channel: String,
    schema: bool,
}

/// `minimal` or `standard`.
fn parse_field_mode(name: &str) -> Result<FieldMode, String> {
    FIELD_MODES
        .iter()
        .find(|(known, _)| *known == name)
        .map(|(_, mode)| *mode)
        .ok_or_else(|| {
            let names: Vec<&str> = FIELD_MODES.iter().map(|(name, _)| *name).collect();
            format!("--field-mode must be {}, not {name:?}", names.join(" or "))
        })
}

fn parse_arguments(args: &[String]) -> Result<Option<Arguments>, String> {
    let mut arguments = Arguments {
        endpoint: None,
        field_mode: None,
        channel: crate::upgrade::DEFAULT_CHANNEL.to_string(),
        schema: false,
    };
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
            "--endpoint" => arguments.endpoint = Some(value("--endpoint")?),
            "--channel" => arguments.channel = value("--channel")?,
            "--field-mode" => {
                arguments.field_mode = Some(parse_field_mode(&value("--field-mode")?)?)
            }
            "--schema" => arguments.schema = true,
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    if arguments.schema && arguments.endpoint.is_some() {
        return Err("--schema prints the request schema and sends nothing: drop --endpoint".into());
    }
    Ok(Some(arguments))
}

/// The command's `main`. Exits the process.
pub fn main<R: Reporter>() {
    let mut args = std::env::args();
    // `wasmtime run` passes the component's file name as argv[0].
    let component = args.next().unwrap_or_else(|| "component".to_string());
    let args: Vec<String> = args.collect();
    let code = run::<R>(&component, &args);
    let _ = std::io::stdout().flush();
    std::process::exit(code);
}

fn run<R: Reporter>(component: &str, args: &[String]) -> i32 {
    let started = Instant::now();
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
    if arguments.schema {
        let schema = match arguments.field_mode {
            Some(mode) => crate::schema::request_schema_json_for_mode::<R>(mode),
            None => crate::schema::request_schema_json::<R>(),
        };
        return match schema {
            Ok(schema) => {
                println!("{schema}");
                0
            }
            Err(problem) => {
                eprintln!("error: the component declares its keys wrongly: {problem}");
                1
            }
        };
    }
    let mut input = Vec::new();
    if let Err(e) = std::io::stdin().read_to_end(&mut input) {
        eprintln!("error: cannot read cluster facts from stdin: {e}");
        return 1;
    }
    let facts = match read_facts(&input) {
        Ok(facts) => facts,
        Err(problem) => {
            eprintln!("error: {problem}");
            return 1;
        }
    };
    let settings = Settings {
        endpoint: arguments.endpoint.clone().unwrap_or_default(),
        field_mode: arguments.field_mode.unwrap_or(FieldMode::Minimal),
        channel: arguments.channel.clone(),
        // No host runs the component here: whatever it sends is a test.
        build: crate::HostBuild::Development,
    };
    // As in a cluster, the component sees only the facts it asks for.
    let facts = crate::facts::as_read_with(&facts, R::facts_needed(settings.field_mode));

    if arguments.endpoint.is_none() {
        return match crate::build_payload::<R>(&facts, &settings) {
            Ok(payload) => {
                println!("{payload}");
                0
            }
            Err(reason) => {
                eprintln!("dry run: the component built no payload: {reason}");
                1
            }
        };
    }

    let result = crate::report::<R>(&facts, &settings);
    let elapsed_ms = started.elapsed().as_millis();
    match result {
        Ok(outcome) => {
            println!("{}", outcome.payload);
            eprintln!(
                "{}",
                sent_line(
                    &outcome,
                    &redact_userinfo(&settings.endpoint),
                    crate::facts::node_counts(&facts).nodes,
                    component,
                    elapsed_ms
                )
            );
            eprintln!("{}", crate::upgrade::operator_line(&outcome.notice));
            0
        }
        Err(error) => {
            eprintln!(
                "report not sent: {} (endpoint={} component={component} elapsed_ms={elapsed_ms})",
                describe(&error),
                redact_userinfo(&settings.endpoint),
            );
            1
        }
    }
}

/// Cluster facts in this release's JSON shape (serde of the 0.3.0 and
/// 0.4.0 `cluster-facts`: a 0.3.0 file reads with every system namespace
/// unread and the IP stack `unknown`, as the host reads it; see
/// [`crate::facts::from_json`]), or one line saying what is wrong and what
/// to do.
fn read_facts(input: &[u8]) -> Result<ClusterFacts, String> {
    const CAPTURE: &str = "write it with `upgrade-responder facts` from this release or use tests/fixtures/facts/*.json";
    crate::facts::from_json(input).map_err(|e| {
        // Facts of contracts 0.1.0 and 0.2.0 hold one record per node under
        // `nodes`; 0.3.0 groups them under `node_groups`.
        let old_shape = serde_json::from_slice::<serde_json::Value>(input)
            .ok()
            .and_then(|value| {
                value.as_object().map(|object| {
                    object.contains_key("nodes") && !object.contains_key("node_groups")
                })
            })
            .unwrap_or(false);
        if old_shape {
            format!("invalid facts: this file is in the 0.2.0 shape (nodes); {CAPTURE}")
        } else {
            format!("invalid facts: stdin is not cluster facts JSON ({e}); {CAPTURE}")
        }
    })
}

/// The host's `report sent:` line: what the command saw (status, payload
/// bytes; the host counts the whole request at its egress hook), then what
/// the component read, in the very words of the host.
/// A URL as it may be shown: the userinfo of its authority
/// (`user:password@`), which may hold a credential, becomes `***`. The
/// host's rule, tested against the same table of cases
/// (`tests/fixtures/text/redaction.json`).
fn redact_userinfo(text: &str) -> String {
    let start = text.find("://").map_or(0, |i| i + 3);
    let rest = &text[start..];
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..end].rfind('@') {
        Some(at) => format!("{}***{}", &text[..start], &text[start + at..]),
        None => text.to_string(),
    }
}

fn sent_line(
    outcome: &Outcome,
    endpoint: &str,
    nodes: u64,
    component: &str,
    elapsed_ms: u128,
) -> String {
    format!(
        "report sent: status={} payload_bytes={} endpoint={endpoint} nodes={nodes} component={component} elapsed_ms={elapsed_ms}; the component read: {}",
        outcome.status,
        outcome.payload.len(),
        crate::upgrade::read_words(&outcome.notice, outcome.request_interval_minutes),
    )
}

/// One line for a failed report, in the words the host logs.
fn describe(error: &ReportError) -> String {
    match error {
        ReportError::InvalidFacts(reason) => format!("invalid facts: {reason}"),
        ReportError::NotSent(reason) => format!("request failed: {reason}"),
        ReportError::BadResponse(bad) => format!("bad response: {}", bad.reason),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::BadResponse;

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
        assert_eq!(a.field_mode, Some(FieldMode::Standard));
        assert!(!a.schema);
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
        assert_eq!(
            parse_arguments(&args(&["--field-mode", "all"]))
                .err()
                .unwrap(),
            "--field-mode must be minimal or standard, not \"all\""
        );
        assert!(parse_arguments(&args(&["extra"])).is_err());
        let schema = parse_arguments(&args(&["--schema", "--field-mode", "minimal"]))
            .unwrap()
            .unwrap();
        assert!(schema.schema);
        assert_eq!(schema.field_mode, Some(FieldMode::Minimal));
        assert!(parse_arguments(&args(&["--schema", "--endpoint", "http://x/v1"])).is_err());
    }

    #[test]
    fn facts_are_read_in_this_contracts_shape_and_older_files_are_named() {
        let facts = crate::testing::cluster("k3s-ha");
        let json = serde_json::to_string(&facts).unwrap();
        assert_eq!(read_facts(json.as_bytes()).unwrap(), facts);
        // A 0.3.0 file: no system namespace read, no IP stack, as the host
        // reads it.
        let mut v0_3: serde_json::Value = serde_json::to_value(&facts).unwrap();
        for key in ["system_workloads", "unread_namespaces", "ip_stack"] {
            v0_3.as_object_mut().unwrap().remove(key);
        }
        let read = read_facts(v0_3.to_string().as_bytes()).unwrap();
        assert_eq!(read.unread_namespaces.len(), 6);
        assert_eq!(read.ip_stack, crate::IpStack::Unknown);
        assert_eq!(read.node_groups, facts.node_groups);
        let old = r#"{"server_version":{"git_version":"v1.31.6+k3s1","major":"1","minor":"31","platform":"linux/amd64"},"cluster_uuid":"2f06cc1a-6788-4fa1-b89e-732bd797902b","nodes":[],"kube_system_workloads":[]}"#;
        assert_eq!(
            read_facts(old.as_bytes()).unwrap_err(),
            "invalid facts: this file is in the 0.2.0 shape (nodes); write it with `upgrade-responder facts` from this release or use tests/fixtures/facts/*.json"
        );
        let garbled = read_facts(b"{\"cluster_uuid\": 7}").unwrap_err();
        assert!(
            garbled.starts_with("invalid facts: stdin is not cluster facts JSON (")
                && !garbled.contains('\n'),
            "{garbled}"
        );
    }

    #[test]
    fn outcomes_are_described_in_the_hosts_words() {
        let outcome = Outcome {
            payload: "{}".into(),
            status: 200,
            versions: Vec::new(),
            notice: crate::UpgradeNotice {
                status: crate::NoticeStatus::UpToDate,
                current: "v1.32.2+k3s1".into(),
                channel: "stable".into(),
                next: None,
                target: None,
                out_of_reach: None,
                reason: String::new(),
                security: crate::SecurityNotice {
                    fixed_by_next: Vec::new(),
                    fixed_by_target: Vec::new(),
                    support_ends: "2026-02-28".into(),
                    past_end_of_support: false,
                    ignored_values: 1,
                },
            },
            request_interval_minutes: Some(60),
        };
        assert_eq!(
            sent_line(&outcome, "https://x/v1/checkupgrade", 3, "k3s.wasm", 7),
            "report sent: status=200 payload_bytes=2 endpoint=https://x/v1/checkupgrade nodes=3 component=k3s.wasm elapsed_ms=7; the component read: upgrade=up-to-date plan_version=none target=none out_of_reach=none channel=stable next_report_minutes=60 fixes_by_step=none fixes_by_target=none release_notes=none support_ends=2026-02-28 past_end_of_support=false ignored_advisory_values=1"
        );
        assert_eq!(
            describe(&ReportError::NotSent("connection refused".into())),
            "request failed: connection refused"
        );
        assert_eq!(
            describe(&ReportError::InvalidFacts("no uid".into())),
            "invalid facts: no uid"
        );
        assert_eq!(
            describe(&ReportError::BadResponse(BadResponse {
                status: 503,
                reason: "status 503".into()
            })),
            "bad response: status 503"
        );
    }

    /// The host's redaction table: the `wasmtime run` mode shows URLs as
    /// the host does.
    #[test]
    fn userinfo_never_shows_in_the_wasmtime_run_lines() {
        let table: serde_json::Value =
            serde_json::from_str(include_str!("../../../tests/fixtures/text/redaction.json"))
                .unwrap();
        for case in table["cases"].as_array().unwrap() {
            let (text, shown) = (case[0].as_str().unwrap(), case[1].as_str().unwrap());
            assert_eq!(redact_userinfo(text), shown, "{text}");
        }
    }
}
