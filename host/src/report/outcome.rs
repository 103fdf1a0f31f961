//! The end of a run: what the component returned becomes one summary line
//! and an exit code. The component's own output goes into the log first.

use std::path::Path;
use std::time::Instant;

use crate::ground::bindings::{NoticeStatus, Outcome, ReportError, UpgradeNotice};
use crate::ground::failure::{Failure, exit};
use crate::sandbox::{Exchange, Finished, Returned, Stopped};

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
    // Every URL shown goes through the one redaction.
    let endpoint = &crate::ground::text::redact_userinfo(endpoint);
    let finished = match returned {
        Ok(finished) => finished,
        Err(stopped) => {
            log_component_output(&stopped.stdout, &stopped.stderr);
            let elapsed_ms = started.elapsed().as_millis();
            // Stopped after the endpoint had the whole report: delivered,
            // with what the egress hook saw.
            return Err(match stopped.exchange.filter(Exchange::delivered) {
                Some(exchange) => Failure::Unusable(format!(
                    "component stopped: {} ({} endpoint={endpoint} component={origin} elapsed_ms={elapsed_ms})",
                    stopped.reason,
                    seen(&exchange)
                )),
                None => Failure::NotReported(format!(
                    "component stopped: {} (component={origin} elapsed_ms={elapsed_ms})",
                    stopped.reason,
                )),
            });
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
        // The summary states what the host saw at the egress hook; what the
        // component read from the answer is marked as its own.
        Returned::Report(Ok(outcome)) => {
            let Some(Exchange {
                status: Some(status),
                bytes_sent,
                bytes_received,
                ..
            }) = finished.events.exchange
            else {
                return Err(Failure::NotReported(format!(
                    "the component returned success but no answer reached the host's egress hook (the component claims status={} payload_bytes={}) (endpoint={endpoint} component={origin} elapsed_ms={elapsed_ms})",
                    outcome.status,
                    outcome.payload.len(),
                )));
            };
            let notice = &outcome.notice;
            let read = component_read(&outcome);
            // The same values as text (one line) and as fields (JSON log).
            tracing::info!(
                status,
                bytes_sent,
                bytes_received,
                endpoint = %endpoint,
                nodes,
                component = %origin,
                elapsed_ms = elapsed_ms as u64,
                upgrade = status_word(notice.status),
                plan_version = %printable(notice.next.as_ref().map_or("none", |s| &s.version)),
                target = %printable(notice.target.as_ref().map_or("none", |s| &s.version)),
                "report sent: status={status} bytes_sent={bytes_sent} bytes_received={bytes_received} endpoint={endpoint} nodes={nodes} component={origin} elapsed_ms={elapsed_ms}; the component read: {read}",
            );
            if let Some(path) = termination_message_path {
                write_termination_message(path, &notice_text(notice));
            }
            Ok(exit::OK)
        }
        Returned::Schema(_) | Returned::FactsNeeded(_) => Err(Failure::Internal(anyhow::anyhow!(
            "a schema or the facts needed were returned where a report was expected"
        ))),
        Returned::Report(Err(error)) => {
            let limit = finished
                .events
                .limit_hit
                .map(|l| format!(" [{l} reached]"))
                .unwrap_or_default();
            let context = format!("endpoint={endpoint} component={origin} elapsed_ms={elapsed_ms}");
            // An answer arrived, so the endpoint took the whole request:
            // the report is delivered, whatever the component made of it.
            // A denied later request is what failed: that one was not sent.
            let delivered = finished
                .events
                .exchange
                .filter(|e| e.delivered() && finished.events.denied == 0);
            let failure = match delivered {
                Some(exchange) => Failure::Unusable(format!(
                    "{}{limit} ({} {context})",
                    describe(&error),
                    seen(&exchange)
                )),
                None => Failure::NotReported(format!("{}{limit} ({context})", describe(&error))),
            };
            Err(failure)
        }
    }
}

/// What the egress hook saw of a delivered request, as `key=value`s: the
/// status if an answer came, else `status=none` and the bytes of the
/// request that was written whole.
fn seen(exchange: &Exchange) -> String {
    match exchange.status {
        Some(status) => format!("status={status}"),
        // The whole request was written; no answer came.
        None => format!("status=none bytes_sent={}", exchange.bytes_sent),
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

/// What the component read from the answer, in the words the SDK's
/// `wasmtime run` mode uses after "the component read:".
fn component_read(outcome: &Outcome) -> String {
    let notice = &outcome.notice;
    format!(
        "upgrade={} plan_version={} target={} channel={} next_report_minutes={}",
        status_word(notice.status),
        printable(notice.next.as_ref().map_or("none", |s| &s.version)),
        printable(notice.target.as_ref().map_or("none", |s| &s.version)),
        printable(&notice.channel),
        outcome
            .request_interval_minutes
            .map_or("unknown".to_string(), |m| m.to_string()),
    )
}

fn status_word(status: NoticeStatus) -> &'static str {
    match status {
        NoticeStatus::UpToDate => "up-to-date",
        NoticeStatus::UpgradeAvailable => "available",
        NoticeStatus::NoNotice => "no-notice",
    }
}

/// The upgrade notice in one line an operator can act on, the exact value
/// for a system-upgrade-controller Plan's `version` first: the words the
/// SDK prints under `wasmtime run` (one table of cases tests both).
pub fn notice_text(notice: &UpgradeNotice) -> String {
    let channel = printable(&notice.channel);
    match (notice.status, &notice.next, &notice.target) {
        (NoticeStatus::UpgradeAvailable, Some(next), Some(target)) => {
            let version = printable(&next.version);
            let released = if next.release_date.is_empty() {
                String::new()
            } else {
                format!(", released {}", printable(&next.release_date))
            };
            let onward = if target.version == next.version {
                format!("the target on channel {channel}")
            } else {
                format!(
                    "then toward {} on channel {channel}",
                    printable(&target.version)
                )
            };
            format!(
                "upgrade available: move to {version} now (Plan version: {version}{released}), {onward}"
            )
        }
        (NoticeStatus::UpToDate, _, _) => format!(
            "up to date on channel {channel} ({})",
            printable(&notice.current)
        ),
        _ => format!("no upgrade notice: {}", printable(&notice.reason)),
    }
}

/// Writes the run's one-line outcome where the kubelet reads the pod's
/// termination message (`kubectl describe pod` shows it; no write
/// permission on the cluster is needed), through the output door: never
/// into a symlink, device or FIFO. Best effort: a failure is a warning,
/// never a failed run.
pub fn write_termination_message(path: &Path, text: &str) {
    // The kubelet keeps at most 4096 bytes of it.
    let mut end = text.len().min(4096);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    if let Err(error) =
        crate::ground::output_file::write(path, &text.as_bytes()[..end], "the termination message")
    {
        tracing::warn!("{error:#} ({})", crate::settings::TERMINATION_MESSAGE_PATH);
    }
}

/// Component-supplied text (versions, channel, reasons) for one log line:
/// escaped and bounded by the policy's one rule.
fn printable(text: &str) -> String {
    crate::ground::text::log_text(text, 256)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_notice_text_matches_the_shared_table() {
        let table: serde_json::Value = serde_json::from_str(include_str!(
            "../../../tests/fixtures/upgrade-notice/lines.json"
        ))
        .unwrap();
        for case in table["cases"].as_array().unwrap() {
            let notice: UpgradeNotice = serde_json::from_value(case["notice"].clone()).unwrap();
            assert_eq!(notice_text(&notice), case["line"].as_str().unwrap());
        }
    }

    #[test]
    fn a_component_cannot_forge_a_line_through_the_notice() {
        let notice = UpgradeNotice {
            status: NoticeStatus::NoNotice,
            current: String::new(),
            channel: "stable".into(),
            next: None,
            target: None,
            reason: "x\nINFO report sent: forged".into(),
        };
        assert_eq!(
            notice_text(&notice),
            "no upgrade notice: x\\nINFO report sent: forged"
        );
    }

    #[test]
    fn control_characters_from_a_component_cannot_start_a_line() {
        assert_eq!(printable("a\nb\rc\0d"), "a\\nb\\rc\\u{0}d");
    }
}
