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
//!
//! A client certificate (`sslcert`, `sslkey`, `sslpassword`; by default
//! `~/.postgresql/postgresql.crt` and `.key` when present) is presented when the server asks for
//! one.

use crate::libpq::Environment;
use crate::url::SslModeArg;
use postgres::tls::MakeTlsConnect;
use postgres::Socket;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{verify_server_cert_signed_by_trust_anchor, WebPkiServerVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::server::ParsedCertificate;
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use std::path::Path;
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
pub(crate) fn connector(
    mode: SslModeArg,
    root_cert: Option<&str>,
    client: Option<&ClientCert>,
) -> Result<PgTls, DbError> {
    Ok(PgTls(MakeRustlsConnect::new(client_config(
        mode, root_cert, client,
    )?)))
}

/// The rustls configuration of [`connector`].
pub(crate) fn client_config(
    mode: SslModeArg,
    root_cert: Option<&str>,
    client: Option<&ClientCert>,
) -> Result<ClientConfig, DbError> {
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
    let with_client = |builder: rustls::ConfigBuilder<
        ClientConfig,
        rustls::client::WantsClientCert,
    >| {
        match client {
        None => Ok(builder.with_no_client_auth()),
        Some(client) => builder
            .with_client_auth_cert(client.chain.clone(), client.key.clone_key())
            .map_err(|e| {
                DbError::invalid_url(
                    format!(
                        "the client key {} cannot be used with the certificate {}: {e}",
                        client.key_path, client.cert_path
                    ),
                    Some("sslkey must be the private key of the certificate in sslcert (PEM: RSA, ECDSA or Ed25519)".to_owned()),
                )
            }),
    }
    };
    let custom = |roots| {
        let check = CertificateCheck { roots, algorithms };
        with_client(
            builder
                .clone()
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(check)),
        )
    };
    let mut config = match mode {
        SslModeArg::Disable | SslModeArg::Allow | SslModeArg::Prefer | SslModeArg::Require => {
            custom(None)?
        }
        SslModeArg::VerifyCa => custom(Some(Arc::new(root_store(root_cert)?)))?,
        SslModeArg::VerifyFull => {
            let roots = Arc::new(root_store(root_cert)?);
            let verifier = WebPkiServerVerifier::builder_with_provider(roots, provider)
                .build()
                .map_err(|e| tls_error(format!("could not set up TLS: {e}")))?;
            with_client(builder.with_webpki_verifier(verifier))?
        }
    };
    // PostgreSQL 17 checks the ALPN protocol when a client offers one; older servers ignore it.
    config.alpn_protocols = vec![b"postgresql".to_vec()];
    Ok(config)
}

/// A client certificate chain and its private key, read from their files.
pub(crate) struct ClientCert {
    pub cert_path: String,
    pub key_path: String,
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
}

/// Bad input about a client certificate or key (exit 2): `what` names the file and the setting
/// it came from.
fn cert_error(message: String, hint: &str) -> DbError {
    DbError::invalid_url(message, Some(hint.to_owned()))
}

/// Reads the client certificate (PEM, the chain after it) and its private key (PEM: PKCS#8,
/// PKCS#1 RSA or SEC1 EC; an encrypted PKCS#8 key is decrypted with `password`). `cert_from` and
/// `key_from` say where each path came from (`sslcert`, `PGSSLKEY`, `the default`), for errors.
/// Like libpq, strata refuses a key file that group or others may read (0600 or less; 0640 or
/// less when root owns it).
pub(crate) fn load_client_cert(
    env: &dyn Environment,
    cert_path: &Path,
    cert_from: &str,
    key_path: &Path,
    key_from: &str,
    password: Option<&str>,
) -> Result<ClientCert, DbError> {
    let cert_shown = cert_path.display().to_string();
    let key_shown = key_path.display().to_string();
    let pem = env.read(cert_path).map_err(|e| {
        cert_error(
            format!("cannot read the client certificate {cert_shown} ({cert_from}): {e}"),
            "sslcert (or PGSSLCERT) names the client certificate, a PEM file",
        )
    })?;
    let mut chain = Vec::new();
    for cert in CertificateDer::pem_slice_iter(&pem) {
        chain.push(cert.map_err(|e| {
            cert_error(
                format!("invalid PEM in the client certificate {cert_shown} ({cert_from}): {e}"),
                "sslcert (or PGSSLCERT) names the client certificate, a PEM file",
            )
        })?);
    }
    if chain.is_empty() {
        return Err(cert_error(
            format!("no certificate found in the client certificate file {cert_shown} ({cert_from})"),
            "sslcert (or PGSSLCERT) names the client certificate, a PEM file with a BEGIN CERTIFICATE section",
        ));
    }
    let key_hint = "sslkey (or PGSSLKEY) names the client certificate's private key, a PEM file";
    let meta = env.metadata(key_path).map_err(|e| {
        cert_error(
            format!("cannot read the client key {key_shown} ({key_from}) of the certificate {cert_shown}: {e}"),
            key_hint,
        )
    })?;
    if let Some(mode) = meta.mode {
        let allowed = if meta.uid == Some(0) { 0o040 } else { 0 };
        if mode & 0o077 & !allowed != 0 {
            return Err(cert_error(
                format!("the client key {key_shown} has group or world access (permissions {mode:04o})"),
                &format!("make it private: chmod 0600 {key_shown} (as libpq, strata refuses a key others may read)"),
            ));
        }
    }
    let bytes = env.read(key_path).map_err(|e| {
        cert_error(
            format!("cannot read the client key {key_shown} ({key_from}): {e}"),
            key_hint,
        )
    })?;
    let text = String::from_utf8_lossy(&bytes);
    let key = if let Some(section) = pem_section(&text, "ENCRYPTED PRIVATE KEY") {
        let Some(password) = password.filter(|p| !p.is_empty()) else {
            return Err(cert_error(
                format!("the client key {key_shown} is encrypted and no sslpassword was given"),
                "give the key's password with the sslpassword parameter (percent-encoded in a URL), or decrypt the key: openssl pkey -in KEY -out KEY.plain",
            ));
        };
        let undecodable = |e: &dyn std::fmt::Display| {
            cert_error(
                format!("cannot read the encrypted client key {key_shown}: {e}"),
                key_hint,
            )
        };
        let (_, doc) = pkcs8::der::Document::from_pem(section).map_err(|e| undecodable(&e))?;
        let info = pkcs8::EncryptedPrivateKeyInfo::try_from(doc.as_bytes())
            .map_err(|e| undecodable(&e))?;
        let secret = info.decrypt(password).map_err(|_| {
            cert_error(
                format!("could not decrypt the client key {key_shown}: is sslpassword right?"),
                "sslpassword is the password the key was encrypted with",
            )
        })?;
        PrivateKeyDer::Pkcs8(secret.as_bytes().to_vec().into())
    } else if text.contains("Proc-Type: 4,ENCRYPTED") {
        return Err(cert_error(
            format!("the client key {key_shown} is encrypted in the legacy OpenSSL format, which strata cannot read"),
            "convert it to encrypted PKCS#8: openssl pkcs8 -topk8 -v2 aes-256-cbc -in KEY -out KEY.p8",
        ));
    } else {
        PrivateKeyDer::from_pem_slice(&bytes).map_err(|e| {
            cert_error(
                format!(
                    "no private key found in the client key file {key_shown} ({key_from}): {e}"
                ),
                key_hint,
            )
        })?
    };
    Ok(ClientCert {
        cert_path: cert_shown,
        key_path: key_shown,
        chain,
        key,
    })
}

/// The first `-----BEGIN label-----` ... `-----END label-----` section of `text`.
fn pem_section<'t>(text: &'t str, label: &str) -> Option<&'t str> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = text.find(&begin)?;
    let stop = text[start..].find(&end)? + start + end.len();
    Some(&text[start..stop])
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::libpq::tests::FakeEnv;

    const CERT: &str = include_str!("../tests/fixtures/tls/client.crt");
    const KEY: &str = include_str!("../tests/fixtures/tls/client.key");
    const ENCRYPTED_KEY: &str = include_str!("../tests/fixtures/tls/client-encrypted.key");
    const KEY_PASSWORD: &str = "fixture-key-pw";

    fn env() -> FakeEnv {
        FakeEnv::new()
            .file("/c.crt", CERT, 0o644)
            .file("/c.key", KEY, 0o600)
            .file("/enc.key", ENCRYPTED_KEY, 0o600)
            .file("/legacy.key", "-----BEGIN EC PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-256-CBC,00\n\nAAAA\n-----END EC PRIVATE KEY-----\n", 0o600)
    }

    fn load(key: &str, password: Option<&str>) -> Result<ClientCert, DbError> {
        load_client_cert(
            &env(),
            Path::new("/c.crt"),
            "sslcert",
            Path::new(key),
            "sslkey",
            password,
        )
    }

    /// The certificate the configuration presents when a server asks for one.
    fn presented(config: &ClientConfig) -> Option<Vec<CertificateDer<'static>>> {
        let resolver = &config.client_auth_cert_resolver;
        if !resolver.has_certs() {
            return None;
        }
        let key = resolver.resolve(&[], &[SignatureScheme::ECDSA_NISTP256_SHA256])?;
        Some(key.cert.clone())
    }

    fn fixture_cert() -> CertificateDer<'static> {
        CertificateDer::from_pem_slice(CERT.as_bytes()).unwrap()
    }

    #[test]
    fn the_client_certificate_and_key_go_into_the_rustls_config() {
        let client = load("/c.key", None).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(client.chain, [fixture_cert()]);
        for mode in [
            SslModeArg::Prefer,
            SslModeArg::Require,
            SslModeArg::VerifyCa,
            SslModeArg::VerifyFull,
        ] {
            let config = client_config(mode, None, Some(&client)).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(presented(&config), Some(vec![fixture_cert()]), "{mode:?}");
        }
        // Without one, nothing is presented.
        let config = client_config(SslModeArg::Require, None, None).unwrap();
        assert_eq!(presented(&config), None);
    }

    #[test]
    fn an_encrypted_key_is_decrypted_with_sslpassword() {
        let client = load("/enc.key", Some(KEY_PASSWORD)).unwrap_or_else(|e| panic!("{e}"));
        let config = client_config(SslModeArg::Require, None, Some(&client)).unwrap();
        assert_eq!(presented(&config), Some(vec![fixture_cert()]));
        // The decrypted key is the plain one.
        let plain = load("/c.key", None).unwrap();
        assert_eq!(client.key.secret_der(), plain.key.secret_der());

        let err = load("/enc.key", None).err().unwrap();
        assert!(err.invalid_url);
        assert!(
            err.message
                .contains("is encrypted and no sslpassword was given"),
            "{}",
            err.message
        );
        let err = load("/enc.key", Some("wrong-password")).err().unwrap();
        assert!(
            err.message
                .contains("could not decrypt the client key /enc.key"),
            "{}",
            err.message
        );
        assert!(!format!("{err:?}").contains("wrong-password"));
        let err = load("/legacy.key", Some("x")).err().unwrap();
        assert!(
            err.message.contains("legacy OpenSSL format"),
            "{}",
            err.message
        );
    }

    #[test]
    fn a_key_that_is_not_the_certificates_is_refused() {
        // Another P-256 key: rustls checks it against the certificate's public key.
        let other = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgVj+3rrkmhPNIeXPM\nO2PgGQQ3HGZVddaE5r2xnSUST2ahRANCAAShaiQexUSabPhwB8FC7g+dwXLmRj5o\ny5oG8zRddsidYV5ZmK5xn17uZCJkMWwXrwjR7GaYdZMURCDB/w0Vhlqj\n-----END PRIVATE KEY-----\n";
        let env = env().file("/other.key", other, 0o600);
        let client = load_client_cert(
            &env,
            Path::new("/c.crt"),
            "sslcert",
            Path::new("/other.key"),
            "sslkey",
            None,
        );
        match client {
            Ok(client) => {
                let err = client_config(SslModeArg::Require, None, Some(&client))
                    .expect_err("a mismatched key is refused");
                assert!(err.invalid_url);
                assert!(
                    err.message
                        .contains("cannot be used with the certificate /c.crt"),
                    "{}",
                    err.message
                );
            }
            Err(e) => panic!("{e}"),
        }
    }
}
