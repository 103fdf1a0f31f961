//! Size-capped stdout and stderr for a component: it may write as much as it
//! likes without failing, the host keeps the first `cap` bytes and counts the
//! rest, so a flood neither traps the component nor fills the host's memory.

use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use bytes::Bytes;
use tokio::io::AsyncWrite;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamError};

#[derive(Default)]
struct Kept {
    bytes: Vec<u8>,
    dropped: u64,
}

/// A stdout or stderr that keeps at most `cap` bytes.
#[derive(Clone)]
pub struct CappedOutput {
    cap: usize,
    kept: Arc<Mutex<Kept>>,
}

impl CappedOutput {
    pub fn new(cap: usize) -> Self {
        Self {
            cap,
            kept: Arc::default(),
        }
    }

    fn keep(&self, bytes: &[u8]) {
        let mut kept = self.kept.lock().unwrap_or_else(PoisonError::into_inner);
        let room = self.cap.saturating_sub(kept.bytes.len());
        let take = room.min(bytes.len());
        kept.bytes.extend_from_slice(&bytes[..take]);
        kept.dropped += (bytes.len() - take) as u64;
    }

    /// What was kept, as text, with a marker naming how much was cut.
    pub fn text(&self) -> String {
        let kept = self.kept.lock().unwrap_or_else(PoisonError::into_inner);
        let mut text = String::from_utf8_lossy(&kept.bytes).into_owned();
        if kept.dropped > 0 {
            text.push_str(&format!(
                "\n[... {} more bytes cut: output limit {} bytes]",
                kept.dropped, self.cap
            ));
        }
        text
    }
}

impl IsTerminal for CappedOutput {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for CappedOutput {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }

    fn async_stream(&self) -> Box<dyn AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

#[wasmtime_wasi::async_trait]
impl OutputStream for CappedOutput {
    fn write(&mut self, bytes: Bytes) -> Result<(), StreamError> {
        self.keep(&bytes);
        Ok(())
    }

    fn flush(&mut self) -> Result<(), StreamError> {
        Ok(())
    }

    fn check_write(&mut self) -> Result<usize, StreamError> {
        // Always writable: what does not fit is counted, not refused.
        Ok(64 << 10)
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for CappedOutput {
    async fn ready(&mut self) {}
}

impl AsyncWrite for CappedOutput {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.keep(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_beyond_the_cap_is_counted_and_marked() {
        let out = CappedOutput::new(5);
        out.keep(b"hel");
        out.keep(b"lo world");
        assert_eq!(
            out.text(),
            "hello\n[... 6 more bytes cut: output limit 5 bytes]"
        );
        let quiet = CappedOutput::new(5);
        quiet.keep(b"ok");
        assert_eq!(quiet.text(), "ok");
    }
}
