//! What an operator types or a file holds: misspellings are named, the
//! opt-out is absolute, every input is bounded, the log can be JSON.

use crate::common::{TempDir, facts_file, host, responder_for, run};

#[test]
fn a_misspelled_opt_out_sends_nothing_and_says_why() {
    let responder = responder_for("k3s-ha");
    let ran = run(host()
        .arg("--facts")
        .arg(facts_file("k3s-ha"))
        .arg("--endpoint")
        .arg(responder.url())
        .env("UPGRADE_RESPONDER_ENABLE", "false"));
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert_eq!(responder.connection_count(), 0);
    let warn = ran.log_lines("WARN");
    assert_eq!(warn.len(), 1, "{}", ran.stderr);
    assert!(
        warn[0].ends_with(
            "UPGRADE_RESPONDER_ENABLE (from environment) is not a setting and is ignored; did you mean UPGRADE_RESPONDER_ENABLED?"
        ),
        "{}",
        warn[0]
    );
    let info = ran.log_lines("INFO");
    assert_eq!(info.len(), 1, "{}", ran.stderr);
    assert!(
        info[0].ends_with(
            "disabled (UPGRADE_RESPONDER_ENABLE=false from environment is not a setting, read as UPGRADE_RESPONDER_ENABLED=false: the safe reading of an opt-out): nothing read, nothing sent"
        ),
        "{}",
        info[0]
    );
}

#[test]
fn a_misspelled_setting_is_named_with_the_one_meant() {
    let ran = run(host()
        .arg("--facts")
        .arg(facts_file("k3s-single"))
        .arg("--dry-run")
        .env("UPGRADE_RESPONDER_FIELD_MOD", "standard"));
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    let warn = ran.log_lines("WARN");
    assert!(
        warn[0].ends_with(
            "UPGRADE_RESPONDER_FIELD_MOD (from environment) is not a setting and is ignored; did you mean UPGRADE_RESPONDER_FIELD_MODE?"
        ),
        "{}",
        ran.stderr
    );
}

#[test]
fn the_opt_out_is_absolute_whatever_else_is_wrong() {
    // An invalid log level does not fail a disabled run.
    let ran = run(host()
        .env("UPGRADE_RESPONDER_ENABLED", "false")
        .env("UPGRADE_RESPONDER_LOG_LEVEL", "loud"));
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert!(
        ran.stderr.contains("nothing read, nothing sent"),
        "{}",
        ran.stderr
    );
    // `facts` reads nothing either: no kubeconfig, no API, no error.
    let ran = run(host()
        .arg("facts")
        .env("UPGRADE_RESPONDER_ENABLED", "false"));
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert_eq!(ran.stdout, "");
    assert!(
        ran.stderr.contains("disabled (UPGRADE_RESPONDER_ENABLED=false from environment): nothing read, nothing sent"),
        "{}",
        ran.stderr
    );
}

#[test]
fn a_facts_file_that_is_a_device_or_a_fifo_is_refused_at_once() {
    let dir = TempDir::new("facts-fifo");
    let fifo = dir.path().join("facts");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    for path in [std::path::PathBuf::from("/dev/zero"), fifo] {
        let ran = run(host().arg("--facts").arg(&path).arg("--dry-run"));
        assert_eq!(ran.code, 2, "{}", ran.stderr);
        let error = ran.log_lines("ERROR");
        assert_eq!(error.len(), 1, "{}", ran.stderr);
        assert!(
            error[0].ends_with(&format!(
                "cannot read facts file {}: not a regular file (a directory, device or FIFO is never read)",
                path.display()
            )),
            "{}",
            error[0]
        );
    }
}

#[test]
fn config_shows_every_value_and_fails_on_an_invalid_one() {
    let ran = run(host()
        .arg("config")
        .env("UPGRADE_RESPONDER_MAX_REQUESTS", "many"));
    assert_eq!(ran.code, 2, "{}", ran.stderr);
    assert!(
        ran.stdout.contains("UPGRADE_RESPONDER_MAX_REQUESTS=many\n"),
        "{}",
        ran.stdout
    );
    assert!(
        ran.stderr.contains(
            "UPGRADE_RESPONDER_MAX_REQUESTS=\"many\" (from environment) is not valid: expected a whole number from 0 to 100"
        ),
        "{}",
        ran.stderr
    );
}

#[test]
fn a_kubeconfig_given_but_missing_fails_like_a_missing_facts_file() {
    let ran = run(host().arg("--kubeconfig").arg("/nonexistent/kubeconfig"));
    assert_eq!(ran.code, 2, "{}", ran.stderr);
    assert!(
        ran.stderr.contains(
            "UPGRADE_RESPONDER_KUBECONFIG=/nonexistent/kubeconfig (from command line): no such file"
        ),
        "{}",
        ran.stderr
    );
}

#[test]
fn the_json_log_carries_the_summary_values_as_fields() {
    let responder = responder_for("k3s-ha");
    let ran = run(host()
        .arg("--facts")
        .arg(facts_file("k3s-ha"))
        .arg("--endpoint")
        .arg(responder.url())
        .env("UPGRADE_RESPONDER_LOG_FORMAT", "json"));
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    let lines: Vec<serde_json::Value> = ran
        .stderr
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    assert_eq!(lines.len(), 1, "{}", ran.stderr);
    let summary = &lines[0];
    assert_eq!(summary["level"], "INFO");
    assert_eq!(summary["status"], 200);
    assert!(summary["bytes_sent"].as_u64().unwrap() > 201, "{summary}");
    assert!(summary["bytes_received"].as_u64().unwrap() > 0, "{summary}");
    assert_eq!(summary["upgrade"], "available");
    assert_eq!(summary["plan_version"], "v1.32.2+k3s1");
    assert_eq!(summary["nodes"], 5);
    assert_eq!(summary["endpoint"], responder.url());
    assert!(
        summary["message"]
            .as_str()
            .unwrap()
            .starts_with("report sent: status=200"),
        "{summary}"
    );
}

#[test]
fn the_spread_wait_is_announced_at_the_default_level() {
    let responder = responder_for("k3s-ha");
    let ran = run(host()
        .arg("--facts")
        .arg(facts_file("k3s-ha"))
        .arg("--endpoint")
        .arg(responder.url())
        .env("UPGRADE_RESPONDER_SPREAD_SECONDS", "1"));
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    let info = ran.log_lines("INFO");
    assert!(
        info[0].ends_with(
            "waiting 0 s before reporting (UPGRADE_RESPONDER_SPREAD_SECONDS: a delay fixed for this cluster)"
        ),
        "{}",
        ran.stderr
    );
}

/// An environment value that is not UTF-8 is never taken as unset: the
/// opt-out reads as disabled (the safe reading), any other setting is a
/// configuration error naming it, and nothing is contacted either way.
#[test]
fn a_value_that_is_not_utf8_is_never_read_as_unset() {
    use std::os::unix::ffi::OsStrExt as _;
    let responder = responder_for("k3s-single");
    let not_utf8 = |text: &[u8]| std::ffi::OsStr::from_bytes(text).to_os_string();
    let ran = run(host()
        .arg("--facts")
        .arg(facts_file("k3s-single"))
        .arg("--endpoint")
        .arg(responder.url())
        .env("UPGRADE_RESPONDER_ENABLED", not_utf8(b"false\xff")));
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert_eq!(responder.connection_count(), 0);
    let info = ran.log_lines("INFO");
    assert_eq!(info.len(), 1, "{}", ran.stderr);
    assert!(
        info[0].ends_with(
            "disabled (UPGRADE_RESPONDER_ENABLED from the environment is not UTF-8 text, read as UPGRADE_RESPONDER_ENABLED=false: the safe reading of an opt-out): nothing read, nothing sent"
        ),
        "{}",
        info[0]
    );
    let mut endpoint = responder.url().into_bytes();
    endpoint.push(0xff);
    let ran = run(host()
        .arg("--facts")
        .arg(facts_file("k3s-single"))
        .env("UPGRADE_RESPONDER_ENDPOINT", not_utf8(&endpoint)));
    assert_eq!(ran.code, 2, "{}", ran.stderr);
    assert_eq!(responder.connection_count(), 0);
    let error = ran.log_lines("ERROR");
    assert_eq!(error.len(), 1, "{}", ran.stderr);
    assert!(
        error[0].ends_with(
            "UPGRADE_RESPONDER_ENDPOINT: the environment value is not UTF-8 text; settings are read as UTF-8"
        ),
        "{}",
        error[0]
    );
}

/// Every run leaves its one line for `kubectl describe pod`: a failure, a
/// disabled run and a report alike, so an earlier run's notice never
/// stands after a later run.
#[test]
fn the_termination_message_holds_the_outcome_of_every_run() {
    let dir = TempDir::new("termination-every-run");
    let termination = dir.path().join("termination-log");
    std::fs::write(&termination, "upgrade available: move to v9.9.9 now").unwrap();
    let with_message = |command: &mut std::process::Command| {
        command.env("UPGRADE_RESPONDER_TERMINATION_MESSAGE_PATH", &termination);
        run(command)
    };
    // A configuration error.
    let ran = with_message(
        host()
            .arg("--facts")
            .arg(facts_file("k3s-single"))
            .env("UPGRADE_RESPONDER_FIELD_MODE", "maximal"),
    );
    assert_eq!(ran.code, 2, "{}", ran.stderr);
    let error = ran.log_lines("ERROR");
    assert_eq!(error.len(), 1, "{}", ran.stderr);
    let written = std::fs::read_to_string(&termination).unwrap();
    assert!(
        written.starts_with("UPGRADE_RESPONDER_FIELD_MODE=\"maximal\""),
        "{written}"
    );
    assert!(error[0].ends_with(&written), "{} / {written}", error[0]);
    // The endpoint cannot be reached: a warning, exit 0, the same words.
    let ran = with_message(
        host()
            .arg("--facts")
            .arg(facts_file("k3s-single"))
            .arg("--endpoint")
            .arg(format!(
                "http://127.0.0.1:{}/v1",
                crate::common::closed_port()
            )),
    );
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    let warn = ran.log_lines("WARN");
    assert_eq!(warn.len(), 1, "{}", ran.stderr);
    let written = std::fs::read_to_string(&termination).unwrap();
    assert!(written.starts_with("report not sent: "), "{written}");
    assert!(warn[0].ends_with(&written), "{} / {written}", warn[0]);
    // A disabled run.
    let ran = with_message(host().env("UPGRADE_RESPONDER_ENABLED", "false"));
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert_eq!(
        std::fs::read_to_string(&termination).unwrap(),
        "disabled (UPGRADE_RESPONDER_ENABLED=false from environment)"
    );
}

/// `compile` reads no settings: its help lists only its own arguments, and a
/// run option given to it is refused, never silently ignored. The commands
/// that read settings take the options before or after their name.
#[test]
fn compile_takes_only_its_own_arguments_and_the_others_take_the_run_options() {
    // The run options as the top-level help lists them, so one added later
    // is checked too.
    let top = run(host().arg("--help"));
    let run_options: Vec<&str> = top
        .stdout
        .lines()
        .filter_map(|line| {
            line.trim_start()
                .strip_prefix("-")?
                .split_whitespace()
                .next()
        })
        .map(|flag| flag.trim_start_matches('-'))
        .filter(|name| !["help", "version"].contains(name) && !name.ends_with(','))
        .collect();
    assert!(run_options.contains(&"dry-run"), "{}", top.stdout);
    let help = run(host().args(["compile", "--help"]));
    assert_eq!(help.code, 0, "{}", help.stderr);
    for run_option in run_options {
        let flag = format!("--{run_option}");
        assert!(!help.stdout.contains(&flag), "{}", help.stdout);
    }
    assert!(
        help.stdout.contains("-o, --output <FILE>"),
        "{}",
        help.stdout
    );

    let after = run(host().args(["compile", "in.wasm", "-o", "out.cwasm", "--dry-run"]));
    assert_eq!(after.code, 2, "{}", after.stderr);
    assert!(
        after.stderr.contains("unexpected argument '--dry-run'"),
        "{}",
        after.stderr
    );
    let before = run(host().args(["--dry-run", "compile", "in.wasm", "-o", "out.cwasm"]));
    assert_eq!(before.code, 2, "{}", before.stderr);
    assert_eq!(
        before.stderr,
        "error: `compile` reads no settings, so it takes none of the run options (given: UPGRADE_RESPONDER_DRY_RUN); run `upgrade-responder compile --help`\n"
    );

    let facts = facts_file("k3s-single");
    let after_name = run(host().arg("facts").arg("--facts").arg(&facts));
    let before_name = run(host().arg("--facts").arg(&facts).arg("facts"));
    assert_eq!(after_name.code, 0, "{}", after_name.stderr);
    assert_eq!(after_name.stdout, before_name.stdout);
    let capabilities = run(host().args([
        "capabilities",
        "--json",
        "--endpoint",
        "http://127.0.0.1:8314/v1/checkupgrade",
    ]));
    assert_eq!(capabilities.code, 0, "{}", capabilities.stderr);
    assert!(
        capabilities.stdout.contains("127.0.0.1:8314"),
        "{}",
        capabilities.stdout
    );
}
