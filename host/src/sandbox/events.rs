//! What one run hit and what the host saw at the egress hook, and the
//! store's memory and table bounds, which record the one that was hit.

use std::sync::{Arc, Mutex, PoisonError};

use wasmtime::ResourceLimiter;

use crate::ground::policy::{self};

/// What the run hit, and what the host saw at the egress hook.
#[derive(Debug, Default, Clone)]
pub struct Events {
    /// The limit that stopped the run, if one did.
    pub limit_hit: Option<String>,
    /// Requests the egress hook denied (only the first is logged).
    pub denied: u32,
    /// What went out and came back, as the host counted it: the last
    /// request that reached the endpoint.
    pub exchange: Option<Exchange>,
}

/// One request as the host saw it, whatever the component says about it.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Exchange {
    /// The endpoint's status, once its answer arrived.
    pub status: Option<u16>,
    /// Request line, headers, body and trailers the component sent.
    pub bytes_sent: u64,
    /// Response body bytes the component read.
    pub bytes_received: u64,
    /// Whether the request's body ended, handed whole to the connection:
    /// the endpoint then has the whole report, answered or not.
    pub request_complete: bool,
}

impl Exchange {
    /// Whether the endpoint has the report: it answered, or the whole
    /// request was written to it.
    pub fn delivered(&self) -> bool {
        self.status.is_some() || self.request_complete
    }
}

pub(super) type SharedEvents = Arc<Mutex<Events>>;

pub(super) fn record(events: &SharedEvents, change: impl FnOnce(&mut Events)) {
    change(&mut events.lock().unwrap_or_else(PoisonError::into_inner));
}

/// Memory and table bounds that remember which one was hit (a refused
/// growth surfaces in the guest as a plain failure, not as a trap). All
/// memories of the store count against one limit together.
pub(super) struct Bounds {
    pub(super) memory_bytes: usize,
    pub(super) memory_in_use: usize,
    pub(super) table_elements: usize,
    pub(super) events: SharedEvents,
}

impl ResourceLimiter for Bounds {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let total = (self.memory_in_use - current.min(self.memory_in_use)).saturating_add(desired);
        let allowed = total <= self.memory_bytes;
        if allowed {
            self.memory_in_use = total;
        } else {
            let limit = format!("memory limit ({} bytes)", self.memory_bytes);
            record(&self.events, |e| e.limit_hit = Some(limit));
        }
        Ok(allowed)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let allowed = desired <= self.table_elements;
        if !allowed {
            let limit = format!("table limit ({} elements)", self.table_elements);
            record(&self.events, |e| e.limit_hit = Some(limit));
        }
        Ok(allowed)
    }

    fn instances(&self) -> usize {
        policy::HOST_BUDGET.instances
    }

    fn memories(&self) -> usize {
        policy::HOST_BUDGET.memories
    }

    fn tables(&self) -> usize {
        policy::HOST_BUDGET.tables
    }
}
