//! The end of a run: what the component returned becomes one summary line
//! and an exit code. The component's own output goes into the log first.

use std::path::Path;
use std::time::Instant;

use crate::ground::bindings::{NoticeStatus, Outcome, ReportError, UpgradeNotice, UpgradeStep};
use crate::ground::failure::{Failure, exit};
use crate::sandbox::{Exchange, Finished, Returned, Stopped};

/// What the summary line names besides the component's answer.
pub struct Summary<'a> {
    pub origin: &'a str,
    /// Why this component: `setting`, or the automatic choice's reason.
    pub choice: &'a str,
    pub endpoint: &'a str,
    pub nodes: usize,
    pub started: Instant,
    /// Where the upgrade notice goes for `kubectl describe pod`, if anywhere.
    pub termination_message_path: Option<&'a Path>,
    /// A dry run: a report (run against a sample answer) is a preview,
    /// nothing was sent and nothing is written for the pod.
    pub preview: bool,
}

/// Logs the summary of a finished or stopped call and gives the exit code:
/// a dry run prints the payload on stdout; a report logs what came back.
pub fn summarise(
    returned: Result<Finished, Stopped>,
    summary: &Summary<'_>,
) -> Result<u8, Failure> {
    let Summary {
        origin,
        choice,
        endpoint,
        nodes,
        started,
        termination_message_path,
        preview,
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
                    "component stopped: {} ({} endpoint={endpoint} component={origin} component_choice={choice} elapsed_ms={elapsed_ms})",
                    stopped.reason,
                    seen(&exchange)
                )),
                None => Failure::NotReported(format!(
                    "component stopped: {} (component={origin} component_choice={choice} elapsed_ms={elapsed_ms})",
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
                component_choice = %choice,
                would_send_to = %endpoint,
                elapsed_ms = elapsed_ms as u64,
                "dry run: payload printed, nothing sent (payload_bytes={payload_bytes} nodes={nodes} component={origin} component_choice={choice} would_send_to={endpoint} elapsed_ms={elapsed_ms})",
            );
            Ok(exit::OK)
        }
        Returned::Payload(Err(reason)) => {
            tracing::warn!(
                "dry run: the component built no payload: {reason} (component={origin} component_choice={choice})"
            );
            Ok(exit::OK)
        }
        Returned::Report(Ok(outcome)) if *preview => {
            println!("{}", outcome.payload);
            let payload_bytes = outcome.payload.len();
            let read = component_read(&outcome);
            tracing::info!(
                "dry run: payload printed, nothing sent (payload_bytes={payload_bytes} nodes={nodes} component={origin} component_choice={choice} would_send_to={endpoint} elapsed_ms={elapsed_ms}); the component read the sample answer: {read}",
            );
            tracing::info!(
                "dry run: the notice for the sample answer: {}",
                notice_text(&outcome.notice)
            );
            Ok(exit::OK)
        }
        Returned::Report(Err(error)) if *preview => Err(Failure::Config(anyhow::anyhow!(
            "{}: the component could not read it: {} (component={origin} component_choice={choice})",
            crate::settings::SAMPLE_ANSWER,
            describe(&error)
        ))),
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
                    "the component returned success but no answer reached the host's egress hook (the component claims status={} payload_bytes={}) (endpoint={endpoint} component={origin} component_choice={choice} elapsed_ms={elapsed_ms})",
                    outcome.status,
                    outcome.payload.len(),
                )));
            };
            let notice = &outcome.notice;
            let security = &notice.security;
            let read = component_read(&outcome);
            // The same values as text (one line) and as fields (JSON log).
            tracing::info!(
                status,
                bytes_sent,
                bytes_received,
                endpoint = %endpoint,
                nodes,
                component = %origin,
                component_choice = %choice,
                elapsed_ms = elapsed_ms as u64,
                upgrade = status_word(notice.status),
                plan_version = %step_version(&notice.next),
                // `target` is the log line's own key (the module) in JSON.
                target_version = %step_version(&notice.target),
                out_of_reach = %step_version(&notice.out_of_reach),
                fixes_by_step = %cve_list(&security.fixed_by_next),
                fixes_by_target = %cve_list(&security.fixed_by_target),
                release_notes = %release_notes(notice),
                support_ends = %or_word(&security.support_ends, "unknown"),
                past_end_of_support = security.past_end_of_support,
                ignored_advisory_values = security.ignored_values,
                "report sent: status={status} bytes_sent={bytes_sent} bytes_received={bytes_received} endpoint={endpoint} nodes={nodes} component={origin} component_choice={choice} elapsed_ms={elapsed_ms}; the component read: {read}",
            );
            if let Some(path) = termination_message_path {
                write_termination_message(path, &termination_text(notice));
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
            let context = format!(
                "endpoint={endpoint} component={origin} component_choice={choice} elapsed_ms={elapsed_ms}"
            );
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
/// `wasmtime run` mode uses after "the component read:" (one shared table
/// of cases, `tests/fixtures/upgrade-notice/lines.json`, tests both).
fn component_read(outcome: &Outcome) -> String {
    let notice = &outcome.notice;
    let security = &notice.security;
    format!(
        "upgrade={} plan_version={} target={} out_of_reach={} channel={} next_report_minutes={} fixes_by_step={} fixes_by_target={} release_notes={} support_ends={} past_end_of_support={} ignored_advisory_values={}",
        status_word(notice.status),
        step_version(&notice.next),
        step_version(&notice.target),
        step_version(&notice.out_of_reach),
        printable(&notice.channel),
        outcome
            .request_interval_minutes
            .map_or("unknown".to_string(), |m| m.to_string()),
        cve_list(&security.fixed_by_next),
        cve_list(&security.fixed_by_target),
        release_notes(notice),
        or_word(&security.support_ends, "unknown"),
        security.past_end_of_support,
        security.ignored_values,
    )
}

fn status_word(status: NoticeStatus) -> &'static str {
    match status {
        NoticeStatus::UpToDate => "up-to-date",
        NoticeStatus::UpgradeAvailable => "available",
        NoticeStatus::NoNotice => "no-notice",
    }
}

fn step_version(step: &Option<UpgradeStep>) -> String {
    printable(step.as_ref().map_or("none", |s| &s.version))
}

fn or_word(text: &str, empty: &str) -> String {
    if text.is_empty() {
        empty.to_string()
    } else {
        printable(text)
    }
}

/// The next step's release notes, or `none`.
fn release_notes(notice: &UpgradeNotice) -> String {
    let url = notice
        .next
        .as_ref()
        .map_or("", |s| s.release_notes_url.as_str());
    if url.is_empty() {
        "none".to_string()
    } else {
        printable_url(url)
    }
}

/// The most CVE identifiers of one list a line spells out; the rest are
/// counted. The SDK's `MAX_LISTED_CVES`, the same bound.
const MAX_LISTED_CVES: usize = 64;

/// A list as one `key=value`: commas without spaces, `+N` for the rest,
/// `none` for none.
fn cve_list(ids: &[String]) -> String {
    if ids.is_empty() {
        return "none".to_string();
    }
    let mut text = ids
        .iter()
        .take(MAX_LISTED_CVES)
        .map(|id| printable(id))
        .collect::<Vec<_>>()
        .join(",");
    if ids.len() > MAX_LISTED_CVES {
        text.push_str(&format!(",+{}", ids.len() - MAX_LISTED_CVES));
    }
    text
}

/// A list in a sentence: at most `max` shown, then how many more.
fn listed(ids: &[String], max: usize) -> String {
    let shown = ids
        .iter()
        .take(max)
        .map(|id| printable(id))
        .collect::<Vec<_>>()
        .join(", ");
    match ids.len().saturating_sub(max) {
        0 => shown,
        more if shown.is_empty() => format!("{more} CVEs"),
        more => format!("{shown} and {more} more"),
    }
}

/// The upgrade notice in one line an operator can act on, the exact value
/// for a system-upgrade-controller Plan's `version` first: the words the
/// SDK prints under `wasmtime run` (one table of cases tests both).
pub fn notice_text(notice: &UpgradeNotice) -> String {
    notice_text_listing(notice, MAX_LISTED_CVES)
}

/// The notice within the 4096 bytes the kubelet keeps of a termination
/// message: a long CVE list is shortened first (fewer identifiers shown,
/// the rest counted: "and 40 more"), so the version to move to, the
/// release notes and the end of support stay whole. Only a notice still
/// too long with no identifier shown is cut at the bound.
pub fn termination_text(notice: &UpgradeNotice) -> String {
    let mut text = String::new();
    for max in [MAX_LISTED_CVES, 16, 4, 0] {
        text = notice_text_listing(notice, max);
        if text.len() <= TERMINATION_MESSAGE_BYTES {
            break;
        }
    }
    text
}

fn notice_text_listing(notice: &UpgradeNotice, max_ids: usize) -> String {
    let channel = printable(&notice.channel);
    let security = &notice.security;
    let mut line = match (notice.status, &notice.next, &notice.target) {
        (NoticeStatus::UpgradeAvailable, Some(next), Some(target)) => {
            let version = printable(&next.version);
            let released = if next.release_date.is_empty() {
                String::new()
            } else {
                format!(", released {}", printable(&next.release_date))
            };
            let onward = match (&notice.out_of_reach, target.version == next.version) {
                (None, true) => format!("the target on channel {channel}"),
                (None, false) => format!(
                    "then toward {} on channel {channel}",
                    printable(&target.version)
                ),
                // The reason names the version out of reach, and why.
                (Some(_), true) => format!("the last safe step: {}", printable(&notice.reason)),
                (Some(_), false) => format!(
                    "then toward {}, the last safe step: {}",
                    printable(&target.version),
                    printable(&notice.reason)
                ),
            };
            let mut line = format!(
                "upgrade available: move to {version} now (Plan version: {version}{released}), {onward}"
            );
            if !security.fixed_by_next.is_empty() {
                line.push_str("; security fixes in this step: ");
                line.push_str(&listed(&security.fixed_by_next, max_ids));
            }
            let more: Vec<String> = security
                .fixed_by_target
                .iter()
                .filter(|id| !security.fixed_by_next.contains(id))
                .cloned()
                .collect();
            if !more.is_empty() {
                line.push_str(&format!(
                    "; more by {}: {}",
                    printable(&target.version),
                    listed(&more, max_ids)
                ));
            }
            if !next.release_notes_url.is_empty() {
                line.push_str(&format!(
                    "; release notes: {}",
                    printable_url(&next.release_notes_url)
                ));
            }
            line
        }
        (NoticeStatus::UpToDate, _, _) => format!(
            "up to date on channel {channel} ({})",
            printable(&notice.current)
        ),
        _ => format!("no upgrade notice: {}", printable(&notice.reason)),
    };
    if security.past_end_of_support {
        line.push_str(&format!(
            "; the running minor is past its end of support ({})",
            printable(&security.support_ends)
        ));
    }
    line
}

/// The kubelet keeps at most this much of a termination message.
const TERMINATION_MESSAGE_BYTES: usize = 4096;

/// Writes the run's one-line outcome where the kubelet reads the pod's
/// termination message (`kubectl describe pod` shows it; no write
/// permission on the cluster is needed), through the output door: never
/// into a symlink, device or FIFO. Best effort: a failure is a warning,
/// never a failed run.
pub fn write_termination_message(path: &Path, text: &str) {
    let mut end = text.len().min(TERMINATION_MESSAGE_BYTES);
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

/// A release notes URL, escaped by the same rule, bounded by the SDK's
/// bound on the URLs it keeps.
fn printable_url(url: &str) -> String {
    crate::ground::text::log_text(url, 2048)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ground::bindings::SecurityNotice;

    #[test]
    fn the_notice_text_matches_the_shared_table() {
        let table: serde_json::Value = serde_json::from_str(include_str!(
            "../../../tests/fixtures/upgrade-notice/lines.json"
        ))
        .unwrap();
        for case in table["cases"].as_array().unwrap() {
            let notice: UpgradeNotice = serde_json::from_value(case["notice"].clone()).unwrap();
            assert_eq!(notice_text(&notice), case["line"].as_str().unwrap());
            let outcome = Outcome {
                payload: String::new(),
                status: 200,
                versions: Vec::new(),
                notice,
                request_interval_minutes: Some(60),
            };
            assert_eq!(component_read(&outcome), case["read"].as_str().unwrap());
        }
    }

    /// A notice with 300 CVEs on the way: the termination message keeps
    /// the version to move to, the release notes and the end of support,
    /// and shortens the lists to fit the kubelet's 4096 bytes.
    #[test]
    fn a_long_cve_list_is_shortened_to_fit_the_termination_message() {
        let ids = |from: usize, n: usize| -> Vec<String> {
            (from..from + n)
                .map(|i| format!("CVE-2025-{:05}", 10_000 + i))
                .collect()
        };
        let step = |version: &str, url: &str| UpgradeStep {
            version: version.into(),
            release_date: "2025-03-26".into(),
            release_notes_url: url.into(),
        };
        let url = format!("https://example.com/{}", "n".repeat(2000));
        let notice = UpgradeNotice {
            status: NoticeStatus::UpgradeAvailable,
            current: "v1.31.6+k3s1".into(),
            channel: "stable".into(),
            next: Some(step("v1.31.7+k3s1", &url)),
            target: Some(step("v1.32.2+k3s1", "")),
            out_of_reach: None,
            reason: String::new(),
            security: SecurityNotice {
                fixed_by_next: ids(0, 200),
                fixed_by_target: ids(0, 300),
                support_ends: "2025-02-28".into(),
                past_end_of_support: true,
                ignored_values: 0,
            },
        };
        let full = notice_text(&notice);
        assert!(full.len() > 4096, "{}", full.len());
        assert!(full.contains("CVE-2025-10063 and 136 more; more by v1.32.2+k3s1: "));
        let text = termination_text(&notice);
        assert!(text.len() <= 4096, "{}", text.len());
        assert!(text.starts_with("upgrade available: move to v1.31.7+k3s1 now (Plan version: v1.31.7+k3s1, released 2025-03-26), then toward v1.32.2+k3s1 on channel stable; security fixes in this step: CVE-2025-10000, "));
        assert!(
            text.contains("CVE-2025-10015 and 184 more; more by v1.32.2+k3s1: CVE-2025-10200, ")
        );
        assert!(
            text.contains("CVE-2025-10215 and 84 more; release notes: https://example.com/nnn")
        );
        assert!(text.ends_with("; the running minor is past its end of support (2025-02-28)"));
    }

    #[test]
    fn a_component_cannot_forge_a_line_through_the_notice() {
        let notice = UpgradeNotice {
            status: NoticeStatus::NoNotice,
            current: String::new(),
            channel: "stable".into(),
            next: None,
            target: None,
            out_of_reach: None,
            reason: "x\nINFO report sent: forged".into(),
            security: SecurityNotice {
                fixed_by_next: Vec::new(),
                fixed_by_target: Vec::new(),
                support_ends: "2025-02-28\u{202e}".into(),
                past_end_of_support: true,
                ignored_values: 0,
            },
        };
        assert_eq!(
            notice_text(&notice),
            "no upgrade notice: x\\nINFO report sent: forged; the running minor is past its end of support (2025-02-28\\u{202e})"
        );
    }

    #[test]
    fn control_characters_from_a_component_cannot_start_a_line() {
        assert_eq!(printable("a\nb\rc\0d"), "a\\nb\\rc\\u{0}d");
    }
}
