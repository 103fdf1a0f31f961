//! Why a call stopped, in one phrase naming the limit it hit.

use crate::ground::policy::{self, Limits};

use super::events::Events;

/// One phrase naming why a call stopped: the limit if one was hit.
pub(super) fn stop_reason(error: &anyhow::Error, events: &Events, limits: &Limits) -> String {
    if let Some(trap) = error.downcast_ref::<wasmtime::Trap>()
        && *trap == wasmtime::Trap::Interrupt
    {
        return format!(
            "deadline ({} ms) passed",
            limits.component_deadline.as_millis()
        );
    }
    if let Some(exit) = error.downcast_ref::<wasmtime_wasi::I32Exit>() {
        return format!(
            "component exited with status {} instead of returning",
            exit.0
        );
    }
    // The reason, without wasmtime's backtrace (which would otherwise be
    // the first line and say nothing).
    let reason = error
        .chain()
        .map(|e| e.to_string())
        .filter(|text| !text.starts_with("error while executing at wasm backtrace"))
        .collect::<Vec<_>>()
        .join(": ");
    let budget = &policy::HOST_BUDGET;
    let host_limit = if error.chain().any(|e| {
        matches!(
            e.downcast_ref::<wasmtime::component::ResourceTableError>(),
            Some(wasmtime::component::ResourceTableError::Full)
        )
    }) || reason.contains("store handle limit exceeded")
    {
        Some(format!("host resource limit ({} handles)", budget.handles))
    } else if reason.contains("total size of fields exceeds limit") {
        Some(format!(
            "header fields limit ({} bytes per fields value)",
            budget.fields_bytes
        ))
    } else if reason.contains("fuel allocated for hostcalls has been exhausted") {
        Some(format!(
            "per-call copy limit ({} bytes, the memory limit)",
            limits.memory_bytes
        ))
    } else if reason.contains("write exceeded budget") {
        Some(format!(
            "outgoing body chunk limit ({} bytes per write)",
            budget.body_chunk_bytes
        ))
    } else if reason.contains("count too high") {
        Some(format!(
            "instance, memory and table count limit ({} / {} / {})",
            budget.instances, budget.memories, budget.tables
        ))
    } else {
        None
    };
    let reason = crate::ground::text::log_text(first_line(&reason), budget.log_text_chars);
    // The trap's own cause first: a limit recorded earlier (a request
    // denied past the request limit, which the component survived) is not
    // what stopped it.
    match host_limit.or_else(|| events.limit_hit.clone()) {
        Some(limit) => format!("{limit} reached: {reason}"),
        None => format!("component trapped: {reason}"),
    }
}

pub(super) fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or(text)
}
