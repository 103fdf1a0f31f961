//! Sends one HTTP/1.1 request for the egress hook: TCP, TLS with this host's
//! root store (the public web roots compiled in, plus an optional private CA
//! bundle), the policy's timeouts. wasi-http's own sender trusts only the
//! compiled-in roots, so the host brings its own.
//!
//! An invalid certificate fails the request (`TlsCertificateError`); there is
//! no fallback to plain HTTP and no way to skip verification.

use std::future::Future;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use anyhow::Context as _;
use http::uri::Scheme;
use http_body::{Body, Frame, SizeHint};
use http_body_util::BodyExt;
use hyper_util::rt::TokioIo;
use rustls::pki_types::{CertificateDer, ServerName, pem::PemObject};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use wasmtime_wasi_http::{Error, RequestOptions, WasiBody};

use crate::ground::policy::Authority;
use crate::settings::{BETWEEN_BYTES_TIMEOUT, CONNECT_TIMEOUT, FIRST_BYTE_TIMEOUT};

/// The TLS client configuration for every endpoint request.
pub fn tls_config(ca_file: Option<&Path>) -> anyhow::Result<Arc<rustls::ClientConfig>> {
    let mut roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.into(),
    };
    if let Some(path) = ca_file {
        let bundle = crate::ground::input::read(path, crate::ground::input::CA_BUNDLE)?;
        let certificates: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&bundle)
            .collect::<Result<_, _>>()
            .with_context(|| format!("CA bundle {} is not PEM certificates", path.display()))?;
        anyhow::ensure!(
            !certificates.is_empty(),
            "CA bundle {} holds no certificate",
            path.display()
        );
        for certificate in certificates {
            roots.add(certificate).with_context(|| {
                format!("CA bundle {} has an unusable certificate", path.display())
            })?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("cannot set up TLS")?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

trait Stream: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> Stream for T {}

/// What the hook hands back: the response, and a future that ends with the
/// connection.
pub type Sent = (
    http::Response<WasiBody>,
    Pin<Box<dyn Future<Output = Result<(), Error>> + Send>>,
);

/// Where `send` notes which timeout ended the exchange, for the summary
/// line (the component only learns "timeout"; the operator reads which one
/// and the setting that raises it).
pub type TimeoutNote = Arc<dyn Fn(String) + Send + Sync>;

/// The words for a timeout that fired: its name, its value, its setting.
fn timeout_hit(what: &str, limit: Duration, setting: &str) -> String {
    format!("{what} of {} ms ({setting})", limit.as_millis())
}

/// Sends `request` (already checked by the egress policy) to `authority`,
/// the endpoint's normalised host and port, which the policy found equal to
/// the request's: the host connects to what it checked, never to the
/// component's text. An IP-literal endpoint is connected to as it is, with
/// no name lookup.
pub async fn send(
    mut request: http::Request<WasiBody>,
    options: RequestOptions,
    tls: Arc<rustls::ClientConfig>,
    authority: &Authority,
    note: TimeoutNote,
) -> Result<Sent, Error> {
    let connect_timeout = options.connect_timeout.unwrap_or(Duration::from_secs(10));
    let first_byte_timeout = options
        .first_byte_timeout
        .unwrap_or(Duration::from_secs(15));
    let between_bytes_timeout = options
        .between_bytes_timeout
        .unwrap_or(Duration::from_secs(5))
        .max(Duration::from_millis(1));

    let connect_timed_out = || {
        note(timeout_hit(
            "the endpoint's connect timeout",
            connect_timeout,
            CONNECT_TIMEOUT,
        ));
        Error::ConnectionTimeout
    };

    let uri = request.uri().clone();
    let https = authority.scheme == "https";
    if uri.scheme() != Some(&if https { Scheme::HTTPS } else { Scheme::HTTP }) {
        return Err(Error::HttpRequestDenied);
    }
    let tcp = tokio::time::timeout(connect_timeout, connect(authority))
        .await
        .map_err(|_| connect_timed_out())??;
    let stream: Box<dyn Stream> = if https {
        let name = match authority.ip() {
            Some(ip) => ServerName::IpAddress(ip.into()),
            None => ServerName::try_from(authority.host.clone())
                .map_err(|_| Error::HttpRequestUriInvalid)?,
        };
        let tls = tokio::time::timeout(
            connect_timeout,
            tokio_rustls::TlsConnector::from(tls).connect(name, tcp),
        )
        .await
        .map_err(|_| connect_timed_out())?
        .map_err(tls_error)?;
        Box::new(tls)
    } else {
        Box::new(tcp)
    };
    let (mut sender, connection) = tokio::time::timeout(
        connect_timeout,
        hyper::client::conn::http1::handshake(TokioIo::new(stream)),
    )
    .await
    .map_err(|_| connect_timed_out())??;
    let connection = tokio::spawn(connection);

    // The request line carries only path and query (no proxy in between).
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    *request.uri_mut() = http::Uri::try_from(path).map_err(|_| Error::HttpRequestUriInvalid)?;

    let response = tokio::time::timeout(first_byte_timeout, sender.send_request(request))
        .await
        .map_err(|_| {
            note(timeout_hit(
                "the endpoint's first-byte timeout",
                first_byte_timeout,
                FIRST_BYTE_TIMEOUT,
            ));
            Error::ConnectionReadTimeout
        })??;
    let response = response.map(|incoming| {
        BetweenBytes {
            incoming,
            limit: between_bytes_timeout,
            timer: Box::pin(tokio::time::sleep(between_bytes_timeout)),
            note,
        }
        .boxed_unsync()
    });
    let done = Box::pin(async move {
        match connection.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(error)) => Err(Error::from(error)),
            Err(join) => Err(Error::InternalError(Some(join.to_string()))),
        }
    });
    Ok((response, done))
}

/// A TCP connection to the authority's host and port. A name is looked up
/// on a thread of its own: a lookup cannot be cancelled, and one still
/// running when the run ends must not keep the process alive (the async
/// runtime waits for its own blocking threads when it shuts down).
async fn connect(authority: &Authority) -> Result<TcpStream, Error> {
    let port = authority.port;
    let addresses: Vec<SocketAddr> = match authority.ip() {
        Some(ip) => vec![SocketAddr::new(ip, port)],
        None => {
            let (answer, lookup) = tokio::sync::oneshot::channel();
            let host = authority.host.clone();
            std::thread::Builder::new()
                .name("name-lookup".into())
                .spawn(move || {
                    let _ = answer.send((host.as_str(), port).to_socket_addrs());
                })
                .map_err(|e| Error::InternalError(Some(e.to_string())))?;
            lookup
                .await
                .map_err(|_| dns_error("lookup ended without an answer"))?
                .map_err(|e| dns_error(&e.to_string()))?
                .collect()
        }
    };
    let mut last = None;
    for address in addresses {
        match TcpStream::connect(address).await {
            Ok(tcp) => return Ok(tcp),
            Err(error) => last = Some(error),
        }
    }
    Err(last.map_or_else(|| dns_error("no address"), Error::Connect))
}

fn dns_error(reason: &str) -> Error {
    Error::DnsError {
        rcode: Some(reason.to_string()),
        info_code: None,
    }
}

/// A certificate the roots do not vouch for is its own error, so the
/// operator reads "not trusted" rather than "handshake failed".
fn tls_error(error: std::io::Error) -> Error {
    let certificate = error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        .is_some_and(|e| matches!(e, rustls::Error::InvalidCertificate(_)));
    if certificate {
        Error::TlsCertificateError
    } else {
        Error::Tls(error)
    }
}

/// A response body that fails when the server pauses longer than `limit`
/// between two chunks (a server answering byte by byte, slowly).
struct BetweenBytes {
    incoming: hyper::body::Incoming,
    limit: Duration,
    timer: Pin<Box<tokio::time::Sleep>>,
    note: TimeoutNote,
}

impl Body for BetweenBytes {
    type Data = bytes::Bytes;
    type Error = Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        match Pin::new(&mut self.incoming).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                let next = tokio::time::Instant::now() + self.limit;
                self.timer.as_mut().reset(next);
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(error))) => Poll::Ready(Some(Err(Error::from(error)))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => {
                ready!(self.timer.as_mut().poll(cx));
                (self.note)(timeout_hit(
                    "the endpoint's between-bytes timeout",
                    self.limit,
                    BETWEEN_BYTES_TIMEOUT,
                ));
                Poll::Ready(Some(Err(Error::ConnectionReadTimeout)))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.incoming.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.incoming.size_hint()
    }
}
