//! TLS with rustls (ring provider), with libpq's `sslmode` semantics:
//!
//! | sslmode | encryption | certificate check |
//! |---|---|---|
//! | `disable` | never | — |
//! | `allow`, `prefer` | when the server offers it | none |
//! | `require` | always | none (libpq: as `verify-ca` when `sslrootcert` is given) |
//! | `verify-ca` | always | chain to a trusted root; host name not checked |
//! | `verify-full` | always | chain and host name |
//!
//! Trusted roots: the PEM file named by `sslrootcert=PATH`, or the Mozilla roots (webpki-roots)
//! when it is absent or `system`. Even when the certificate is not checked, the handshake
//! signatures are, so the session is encrypted with the key of whoever presented the certificate.

use crate::url::SslModeArg;
use postgres::tls::MakeTlsConnect;
use postgres::Socket;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{verify_server_cert_signed_by_trust_anchor, WebPkiServerVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::ParsedCertificate;
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use std::sync::Arc;
use strata_engine::DbError;
use tokio_postgres_rustls::MakeRustlsConnect;

/// The connector handed to the driver (for connecting and for cancel requests). A thin wrapper
/// over `tokio-postgres-rustls` that also accepts an empty host name: the driver asks for a
/// connector even for Unix sockets, where TLS is never negotiated.
#[derive(Clone)]
pub(crate) struct PgTls(MakeRustlsConnect);

impl MakeTlsConnect<Socket> for PgTls {
    type Stream = <MakeRustlsConnect as MakeTlsConnect<Socket>>::Stream;
    type TlsConnect = <MakeRustlsConnect as MakeTlsConnect<Socket>>::TlsConnect;
    type Error = <MakeRustlsConnect as MakeTlsConnect<Socket>>::Error;

    fn make_tls_connect(&mut self, hostname: &str) -> Result<Self::TlsConnect, Self::Error> {
        let hostname = if hostname.is_empty() {
            "localhost"
        } else {
            hostname
        };
        MakeTlsConnect::<Socket>::make_tls_connect(&mut self.0, hostname)
    }
}

fn tls_error(message: String) -> DbError {
    DbError {
        message,
        connection: true,
        ..DbError::default()
    }
}

/// Builds the connector for `mode`.
pub(crate) fn connector(mode: SslModeArg, root_cert: Option<&str>) -> Result<PgTls, DbError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let algorithms = provider.signature_verification_algorithms;
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| tls_error(format!("could not set up TLS: {e}")))?;
    // libpq: with a root certificate given, `require` verifies the chain like `verify-ca`.
    let mode = match (mode, root_cert) {
        (SslModeArg::Require, Some(path)) if path != "system" => SslModeArg::VerifyCa,
        (mode, _) => mode,
    };
    let custom = |roots| {
        let check = CertificateCheck { roots, algorithms };
        builder
            .clone()
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(check))
            .with_no_client_auth()
    };
    let mut config = match mode {
        SslModeArg::Disable | SslModeArg::Allow | SslModeArg::Prefer | SslModeArg::Require => {
            custom(None)
        }
        SslModeArg::VerifyCa => custom(Some(Arc::new(root_store(root_cert)?))),
        SslModeArg::VerifyFull => {
            let roots = Arc::new(root_store(root_cert)?);
            let verifier = WebPkiServerVerifier::builder_with_provider(roots, provider)
                .build()
                .map_err(|e| tls_error(format!("could not set up TLS: {e}")))?;
            builder.with_webpki_verifier(verifier).with_no_client_auth()
        }
    };
    // PostgreSQL 17 checks the ALPN protocol when a client offers one; older servers ignore it.
    config.alpn_protocols = vec![b"postgresql".to_vec()];
    Ok(PgTls(MakeRustlsConnect::new(config)))
}

fn root_store(root_cert: Option<&str>) -> Result<RootCertStore, DbError> {
    let mut roots = RootCertStore::empty();
    match root_cert {
        None | Some("system") => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
        Some(path) => {
            let pem = std::fs::read(path)
                .map_err(|e| tls_error(format!("cannot read sslrootcert {path}: {e}")))?;
            for cert in CertificateDer::pem_slice_iter(&pem) {
                let cert =
                    cert.map_err(|e| tls_error(format!("invalid PEM in sslrootcert {path}: {e}")))?;
                roots.add(cert).map_err(|e| {
                    tls_error(format!("invalid certificate in sslrootcert {path}: {e}"))
                })?;
            }
            if roots.is_empty() {
                return Err(tls_error(format!(
                    "no certificate found in sslrootcert {path}"
                )));
            }
        }
    }
    Ok(roots)
}

/// The certificate check of `sslmode=require` (and `prefer`/`allow`: `roots` is `None`, any
/// certificate is accepted) and of `verify-ca` (the chain must lead to one of `roots`; the host
/// name is not checked). Either way the handshake is verified against the certificate.
/// (`verify-full` uses rustls' own WebPKI verifier.)
#[derive(Debug)]
struct CertificateCheck {
    roots: Option<Arc<RootCertStore>>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for CertificateCheck {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if let Some(roots) = &self.roots {
            let cert = ParsedCertificate::try_from(end_entity)?;
            verify_server_cert_signed_by_trust_anchor(
                &cert,
                roots,
                intermediates,
                now,
                self.algorithms.all,
            )?;
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}
