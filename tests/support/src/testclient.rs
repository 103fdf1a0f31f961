//! A tiny blocking HTTP(S) client for this crate's own tests.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper_util::rt::TokioIo;

pub(crate) struct Resp {
    pub(crate) status: u16,
    pub(crate) headers: hyper::HeaderMap,
    pub(crate) body: Vec<u8>,
}

impl Resp {
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("JSON body")
    }
}

pub(crate) struct Client {
    pub(crate) ca_der: Option<Vec<u8>>,
    pub(crate) timeout: Duration,
}

impl Client {
    pub(crate) fn plain() -> Client {
        Client {
            ca_der: None,
            timeout: Duration::from_secs(10),
        }
    }

    pub(crate) fn trusting(ca_der: Vec<u8>) -> Client {
        Client {
            ca_der: Some(ca_der),
            timeout: Duration::from_secs(10),
        }
    }

    pub(crate) fn get(&self, url: &str, token: Option<&str>) -> anyhow::Result<Resp> {
        let auth = token.map(|t| format!("Bearer {t}"));
        let headers: Vec<(&str, &str)> = auth
            .as_deref()
            .map(|a| vec![("authorization", a)])
            .unwrap_or_default();
        self.send("GET", url, &headers, Vec::new())
    }

    pub(crate) fn send(
        &self,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> anyhow::Result<Resp> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        rt.block_on(async {
            tokio::time::timeout(self.timeout, self.send_async(method, url, headers, body))
                .await
                .context("timed out")?
        })
    }

    async fn send_async(
        &self,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> anyhow::Result<Resp> {
        let uri: hyper::Uri = url.parse()?;
        let host = uri.host().context("host")?.to_string();
        let port = uri.port_u16().context("port")?;
        let tcp = tokio::net::TcpStream::connect((host.as_str(), port)).await?;
        let mut builder = hyper::Request::builder()
            .method(method)
            .uri(uri.path_and_query().map_or("/", |p| p.as_str()))
            .header("host", format!("{host}:{port}"));
        for (k, v) in headers {
            builder = builder.header(*k, *v);
        }
        let req = builder.body(Full::new(Bytes::from(body)))?;
        let resp = if uri.scheme_str() == Some("https") {
            let mut roots = rustls::RootCertStore::empty();
            roots.add(rustls::pki_types::CertificateDer::from(
                self.ca_der.clone().context("https needs a CA")?,
            ))?;
            let config = rustls::ClientConfig::builder_with_provider(crate::tls::provider())
                .with_safe_default_protocol_versions()?
                .with_root_certificates(roots)
                .with_no_client_auth();
            let name = rustls::pki_types::ServerName::try_from(host.clone())?;
            let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
                .connect(name, tcp)
                .await?;
            let (mut sender, conn) =
                hyper::client::conn::http1::handshake(TokioIo::new(tls)).await?;
            tokio::spawn(conn);
            sender.send_request(req).await?
        } else {
            let (mut sender, conn) =
                hyper::client::conn::http1::handshake(TokioIo::new(tcp)).await?;
            tokio::spawn(conn);
            sender.send_request(req).await?
        };
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp.into_body().collect().await?.to_bytes().to_vec();
        Ok(Resp {
            status,
            headers,
            body,
        })
    }
}
