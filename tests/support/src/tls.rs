//! A freshly generated CA and a server certificate signed by it.

use std::sync::Arc;

use anyhow::Context as _;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

pub(crate) struct ServerTls {
    pub(crate) ca_pem: String,
    pub(crate) ca_der: CertificateDer<'static>,
    pub(crate) config: Arc<rustls::ServerConfig>,
}

/// The crypto provider every TLS config in this crate uses (ring, never the
/// process default, so a test binary that also links aws-lc-rs still works).
pub(crate) fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

pub(crate) fn generate() -> anyhow::Result<ServerTls> {
    generate_for(&["127.0.0.1", "localhost"], false)
}

/// A CA and a server certificate for `names`; `expired`: valid only in 2020.
pub(crate) fn generate_for(names: &[&str], expired: bool) -> anyhow::Result<ServerTls> {
    let ca_key = KeyPair::generate().context("generating the CA key")?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).context("CA params")?;
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "ur-test-support stand-in CA");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_cert = ca_params
        .self_signed(&ca_key)
        .context("self-signing the CA certificate")?;
    let issuer = Issuer::new(ca_params, ca_key);

    let server_key = KeyPair::generate().context("generating the server key")?;
    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    let mut params = CertificateParams::new(names).context("server certificate params")?;
    if expired {
        params.not_before = rcgen::date_time_ymd(2020, 1, 1);
        params.not_after = rcgen::date_time_ymd(2020, 12, 31);
    }
    params
        .distinguished_name
        .push(DnType::CommonName, "kube-apiserver");
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.use_authority_key_identifier_extension = true;
    let server_cert = params
        .signed_by(&server_key, &issuer)
        .context("signing the server certificate")?;

    let key_der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der()));
    let chain = vec![server_cert.der().clone(), ca_cert.der().clone()];
    let config = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .context("choosing TLS versions")?
        .with_no_client_auth()
        .with_single_cert(chain, key_der)
        .context("building the rustls server config")?;
    Ok(ServerTls {
        ca_pem: ca_cert.pem(),
        ca_der: ca_cert.der().clone(),
        config: Arc::new(config),
    })
}
