//! Request and response bodies that fail past their byte limit, counting
//! their bytes into the run's exchange as they pass.

use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};

use super::events::{SharedEvents, record};

/// Which way a bounded body goes, for the count and the limit's name.
#[derive(Clone, Copy)]
pub(super) enum Counted {
    /// The request body, with the length its `Content-Length` declares:
    /// hyper stops polling a body of known length once that much is
    /// written, so the end is seen there.
    Sent {
        declared: Option<u64>,
    },
    Received,
}

/// A body that fails once more than `max` bytes went through (data and
/// trailers), counting them into the run's exchange as they pass.
pub(super) struct BoundedBody {
    inner: wasmtime_wasi_http::WasiBody,
    seen: u64,
    max: u64,
    way: Counted,
    events: SharedEvents,
    /// The limit's name in the warning, and the error the component sees.
    limit: String,
    too_big: fn() -> wasmtime_wasi_http::Error,
}

impl BoundedBody {
    pub(super) fn new(
        inner: wasmtime_wasi_http::WasiBody,
        max: u64,
        way: Counted,
        events: SharedEvents,
        limit: String,
        too_big: fn() -> wasmtime_wasi_http::Error,
    ) -> Self {
        Self {
            inner,
            seen: 0,
            max,
            way,
            events,
            limit,
            too_big,
        }
    }
}

impl BoundedBody {
    /// A request body that ended was handed whole to the connection: the
    /// endpoint has the report.
    fn note_end(&self) {
        if matches!(self.way, Counted::Sent { .. }) {
            record(&self.events, |e| {
                if let Some(exchange) = &mut e.exchange {
                    exchange.request_complete = true;
                }
            });
        }
    }
}

fn trailer_bytes(trailers: &http::HeaderMap) -> u64 {
    trailers
        .iter()
        .map(|(name, value)| (name.as_str().len() + 2 + value.len() + 2) as u64)
        .sum()
}

impl Body for BoundedBody {
    type Data = Bytes;
    type Error = wasmtime_wasi_http::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let frame = ready!(Pin::new(&mut self.inner).poll_frame(cx));
        if let Some(Ok(frame)) = &frame {
            let bytes = match (frame.data_ref(), frame.trailers_ref()) {
                (Some(data), _) => data.len() as u64,
                (None, Some(trailers)) => trailer_bytes(trailers),
                (None, None) => 0,
            };
            self.seen += bytes;
            let way = self.way;
            record(&self.events, |e| {
                if let Some(exchange) = &mut e.exchange {
                    match way {
                        Counted::Sent { .. } => exchange.bytes_sent += bytes,
                        Counted::Received => exchange.bytes_received += bytes,
                    }
                }
            });
            if self.seen > self.max {
                let limit = self.limit.clone();
                record(&self.events, |e| e.limit_hit = Some(limit));
                return Poll::Ready(Some(Err((self.too_big)())));
            }
        }
        let declared_reached = match self.way {
            Counted::Sent {
                declared: Some(length),
            } => self.seen >= length,
            _ => false,
        };
        if frame.is_none() || declared_reached {
            self.note_end();
        }
        Poll::Ready(frame)
    }

    /// hyper asks this before polling again, and stops at `true` without
    /// a last poll: the end is noted here too.
    fn is_end_stream(&self) -> bool {
        let ended = self.inner.is_end_stream();
        if ended {
            self.note_end();
        }
        ended
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
