//! The end of a run: what the component returned becomes one summary line
//! and an exit code. The component's own output goes into the log first.

use std::path::Path;
use std::time::Instant;

use crate::bindings::{NoticeStatus, ReportError, UpgradeNotice};
use crate::failure::{Failure, exit};
use crate::sandbox::{Finished, Returned, Stopped};

/// What the summary line names besides the component's answer.
pub struct Summary<'a> {
    pub origin: &'a str,
    pub endpoint: &'a str,
    pub nodes: usize,
    pub started: Instant,
    /// Where the upgrade notice goes for `kubectl describe pod`, if anywhere.
    pub termination_message_path: Option<&'a Path>,
}

/// Logs the summary of a finished or stopped call and gives the exit code:
/// a dry run prints the payload on stdout; a report logs what came back.
pub fn summarise(
    returned: Result<Finished, Stopped>,
    summary: &Summary<'_>,
) -> Result<u8, Failure> {
    let Summary {
        origin,
        endpoint,
        nodes,
        started,
        termination_message_path,
    } = summary;
    let finished = match returned {
        Ok(finished) => finished,
        Err(stopped) => {
            log_component_output(&stopped.stdout, &stopped.stderr);
            return Err(Failure::NotReported(format!(
                "component stopped: {} (component={origin} elapsed_ms={})",
                stopped.reason,
                started.elapsed().as_millis()
            )));
        }
    };
    log_component_output(&finished.stdout, &finished.stderr);
    let elapsed_ms = started.elapsed().as_millis();
    match finished.returned {
        Returned::Payload(Ok(payload)) => {
            println!("{payload}");
            let payload_bytes = payload.len();
            tracing::info!(
                payload_bytes,
                nodes,
                component = %origin,
                would_send_to = %endpoint,
                elapsed_ms = elapsed_ms as u64,
                "dry run: payload printed, nothing sent (payload_bytes={payload_bytes} nodes={nodes} component={origin} would_send_to={endpoint} elapsed_ms={elapsed_ms})",
            );
            Ok(exit::OK)
        }
        Returned::Payload(Err(reason)) => {
            tracing::warn!(
                "dry run: the component built no payload: {reason} (component={origin})"
            );
            Ok(exit::OK)
        }
        Returned::Report(Ok(outcome)) => {
            let notice = &outcome.notice;
            let status = outcome.status;
            let payload_bytes = outcome.payload.len();
            let upgrade = status_word(notice.status);
            let plan_version = printable(notice.next.as_ref().map_or("none", |s| &s.version));
            let target = printable(notice.target.as_ref().map_or("none", |s| &s.version));
            let channel = printable(&notice.channel);
            let next_report_minutes = outcome
                .request_interval_minutes
                .map_or("unknown".to_string(), |m| m.to_string());
            // The same values as text (one line) and as fields (JSON log).
            tracing::info!(
                status,
                payload_bytes,
                upgrade,
                plan_version = %plan_version,
                target = %target,
                channel = %channel,
                next_report_minutes = %next_report_minutes,
                endpoint = %endpoint,
                nodes,
                component = %origin,
                elapsed_ms = elapsed_ms as u64,
                "report sent: status={status} payload_bytes={payload_bytes} upgrade={upgrade} plan_version={plan_version} target={target} channel={channel} next_report_minutes={next_report_minutes} endpoint={endpoint} nodes={nodes} component={origin} elapsed_ms={elapsed_ms}",
            );
            if let Some(path) = termination_message_path {
                write_termination_message(path, &notice_text(notice));
            }
            Ok(exit::OK)
        }
        Returned::Schema(_) => Err(Failure::Internal(anyhow::anyhow!(
            "a schema was returned where a report was expected"
        ))),
        Returned::Report(Err(error)) => {
            let limit = finished
                .events
                .limit_hit
                .map(|l| format!(" [{l} reached]"))
                .unwrap_or_default();
            Err(Failure::NotReported(format!(
                "{}{limit} (endpoint={endpoint} component={origin} elapsed_ms={elapsed_ms})",
                describe(&error),
            )))
        }
    }
}

/// A report error in the words the operator reads (the SDK's `wasmtime run`
/// mode uses the same words).
fn describe(error: &ReportError) -> String {
    match error {
        ReportError::InvalidFacts(reason) => format!("invalid facts: {reason}"),
        ReportError::NotSent(reason) => format!("request failed: {reason}"),
        ReportError::BadResponse(bad) => format!("bad response: {}", bad.reason),
    }
}

/// The component's own output, into the log (already size-capped).
fn log_component_output(stdout: &str, stderr: &str) {
    for (stream, text) in [("stdout", stdout), ("stderr", stderr)] {
        if !text.trim().is_empty() {
            tracing::info!("component {stream}: {}", text.trim_end());
        }
    }
}

fn status_word(status: NoticeStatus) -> &'static str {
    match status {
        NoticeStatus::UpToDate => "up-to-date",
        NoticeStatus::UpgradeAvailable => "available",
        NoticeStatus::NoNotice => "no-notice",
    }
}

/// The upgrade notice in one line an operator can act on: the exact value
/// for a system-upgrade-controller Plan's `version` field first.
pub fn notice_text(notice: &UpgradeNotice) -> String {
    let current = printable(&notice.current);
    let channel = printable(&notice.channel);
    match (notice.status, &notice.next) {
        (NoticeStatus::UpgradeAvailable, Some(next)) => {
            let released = if next.release_date.is_empty() {
                String::new()
            } else {
                format!(", released {}", printable(&next.release_date))
            };
            let target = match &notice.target {
                Some(target) if target.version != next.version => format!(
                    "; then on toward {} (channel {channel})",
                    printable(&target.version)
                ),
                _ => format!(" (channel {channel})"),
            };
            format!(
                "upgrade available: {current} -> {next} (Plan version: {next}{released}){target}",
                next = printable(&next.version),
            )
        }
        (NoticeStatus::UpToDate, _) => {
            format!("up to date: {current} is the newest on channel {channel}")
        }
        _ => format!("no upgrade notice: {}", printable(&notice.reason)),
    }
}

/// Writes the notice where the kubelet reads the pod's termination message
/// (`kubectl describe pod` shows it; no write permission on the cluster is
/// needed). Best effort: a failure is a debug line, never a failed run.
fn write_termination_message(path: &Path, text: &str) {
    // The kubelet keeps at most 4096 bytes of it.
    let mut end = text.len().min(4096);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    if let Err(error) = std::fs::write(path, &text[..end]) {
        tracing::debug!(
            "cannot write the termination message to {}: {error}",
            path.display()
        );
    }
}

/// Component-supplied text for one log line: control characters escaped,
/// so no text can start a line of its own.
fn printable(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            let escaped: Vec<char> = if c.is_control() {
                c.escape_default().collect()
            } else {
                vec![c]
            };
            escaped
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bindings::UpgradeStep;

    fn step(version: &str, date: &str) -> Option<UpgradeStep> {
        Some(UpgradeStep {
            version: version.into(),
            release_date: date.into(),
        })
    }

    fn notice(
        status: NoticeStatus,
        next: Option<UpgradeStep>,
        target: Option<UpgradeStep>,
        reason: &str,
    ) -> UpgradeNotice {
        UpgradeNotice {
            status,
            current: "v1.30.9+k3s1".into(),
            channel: "stable".into(),
            next,
            target,
            reason: reason.into(),
        }
    }

    #[test]
    fn the_notice_names_the_plan_version_first_and_the_target_after() {
        let cases = [
            (
                notice(
                    NoticeStatus::UpgradeAvailable,
                    step("v1.31.7+k3s1", "2025-03-01"),
                    step("v1.32.2+k3s1", ""),
                    "",
                ),
                "upgrade available: v1.30.9+k3s1 -> v1.31.7+k3s1 (Plan version: v1.31.7+k3s1, released 2025-03-01); then on toward v1.32.2+k3s1 (channel stable)",
            ),
            (
                notice(
                    NoticeStatus::UpgradeAvailable,
                    step("v1.30.10+k3s1", ""),
                    step("v1.30.10+k3s1", ""),
                    "",
                ),
                "upgrade available: v1.30.9+k3s1 -> v1.30.10+k3s1 (Plan version: v1.30.10+k3s1) (channel stable)",
            ),
            (
                notice(NoticeStatus::UpToDate, None, None, ""),
                "up to date: v1.30.9+k3s1 is the newest on channel stable",
            ),
            (
                notice(
                    NoticeStatus::NoNotice,
                    None,
                    None,
                    "no versions of k3s offered",
                ),
                "no upgrade notice: no versions of k3s offered",
            ),
            (
                notice(
                    NoticeStatus::UpgradeAvailable,
                    step("v1\nINFO forged", ""),
                    None,
                    "",
                ),
                "upgrade available: v1.30.9+k3s1 -> v1\\nINFO forged (Plan version: v1\\nINFO forged) (channel stable)",
            ),
        ];
        for (notice, text) in cases {
            assert_eq!(notice_text(&notice), text);
        }
    }

    #[test]
    fn control_characters_from_a_component_cannot_start_a_line() {
        assert_eq!(printable("a\nb\rc\0d"), "a\\nb\\rc\\u{0}d");
    }
}
