//! A server loop on its own thread with its own tokio runtime.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::JoinHandle;

use anyhow::Context as _;
use tokio::net::TcpStream;
use tokio::sync::oneshot;

pub(crate) struct Background {
    addr: SocketAddr,
    connections: Arc<AtomicUsize>,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Background {
    /// Binds 127.0.0.1:0, then serves every accepted connection with
    /// `handle` (spawned as its own task) until dropped.
    pub(crate) fn start<H, Fut>(name: &str, handle: H) -> anyhow::Result<Background>
    where
        H: Fn(TcpStream) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("building the tokio runtime")?;
        let std_listener =
            std::net::TcpListener::bind(("127.0.0.1", 0)).context("binding 127.0.0.1:0")?;
        std_listener
            .set_nonblocking(true)
            .context("making the listener non-blocking")?;
        let addr = std_listener
            .local_addr()
            .context("reading the bound address")?;
        let listener = {
            let _guard = runtime.enter();
            tokio::net::TcpListener::from_std(std_listener)
                .context("registering the listener with tokio")?
        };
        let connections = Arc::new(AtomicUsize::new(0));
        let counter = connections.clone();
        let (tx, mut rx) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name(name.to_string())
            .spawn(move || {
                runtime.block_on(async move {
                    loop {
                        tokio::select! {
                            _ = &mut rx => break,
                            accepted = listener.accept() => match accepted {
                                Ok((stream, _peer)) => {
                                    counter.fetch_add(1, Ordering::SeqCst);
                                    let _ = stream.set_nodelay(true);
                                    tokio::spawn(handle(stream));
                                }
                                Err(_) => {
                                    // e.g. EMFILE: back off briefly, keep serving.
                                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                                }
                            },
                        }
                    }
                });
                // Dropping the runtime here cancels every connection task,
                // including ones that hang on purpose.
                drop(runtime);
            })
            .with_context(|| format!("spawning the {name} thread"))?;
        Ok(Background {
            addr,
            connections,
            shutdown: Some(tx),
            thread: Some(thread),
        })
    }

    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub(crate) fn connection_count(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
