//! The end of a run: what the component returned becomes one summary line
//! and an exit code. The component's own output goes into the log first.

use std::time::Instant;

use crate::bindings::ReportError;
use crate::failure::{Failure, exit};
use crate::sandbox::{Finished, Returned, Stopped};

/// What the summary line names besides the component's answer.
pub struct Summary<'a> {
    pub origin: &'a str,
    pub endpoint: &'a str,
    pub nodes: usize,
    pub started: Instant,
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
            tracing::info!(
                "dry run: payload printed, nothing sent (payload_bytes={} nodes={nodes} component={origin} would_send_to={endpoint} elapsed_ms={elapsed_ms})",
                payload.len(),
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
            tracing::info!(
                "report sent: status={} payload_bytes={} latest={} upgrade_available={} next_report_minutes={} endpoint={endpoint} nodes={nodes} component={origin} elapsed_ms={elapsed_ms}",
                outcome.status,
                outcome.payload.len(),
                outcome.latest.as_deref().unwrap_or("unknown"),
                outcome.upgrade_available.as_deref().unwrap_or("none"),
                outcome
                    .request_interval_minutes
                    .map_or("unknown".to_string(), |m| m.to_string()),
            );
            Ok(exit::OK)
        }
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
