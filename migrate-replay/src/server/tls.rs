//! TLS as libpq does it, on rustls: `sslmode` (`disable`, `allow`,
//! `prefer`, `require`, `verify-ca`, `verify-full`), `sslrootcert` (a file,
//! or `system`), `sslcert` and `sslkey`. The parameters are taken out of
//! the URL before the driver reads it (its parser knows only `disable`,
//! `prefer` and `require`, and no file); the driver is then told to use TLS
//! or not, and the verifier chosen here decides what a certificate must be.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use postgres::Socket;
use postgres::config::SslMode;
use postgres::tls::{MakeTlsConnect, TlsConnect};
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore};
use tokio_postgres_rustls::MakeRustlsConnect;

use super::ServerError;
pub(super) use super::tls_parameters::TlsParameters;

/// An error of the URL's TLS settings.
pub(super) fn url_error(message: String) -> ServerError {
    ServerError::Url { message }
}

/// libpq's `sslmode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Disable,
    /// TLS when the server offers it; tried as `prefer` (TLS first).
    Allow,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl Mode {
    fn parse(value: &str) -> Result<Mode, ServerError> {
        Ok(match value {
            "disable" => Mode::Disable,
            "allow" => Mode::Allow,
            "prefer" => Mode::Prefer,
            "require" => Mode::Require,
            "verify-ca" => Mode::VerifyCa,
            "verify-full" => Mode::VerifyFull,
            other => {
                return Err(url_error(format!(
                    "`sslmode={other}` is not one of disable, allow, prefer, require, \
                     verify-ca, verify-full"
                )));
            }
        })
    }

    fn name(self) -> &'static str {
        match self {
            Mode::Disable => "disable",
            Mode::Allow => "allow",
            Mode::Prefer => "prefer",
            Mode::Require => "require",
            Mode::VerifyCa => "verify-ca",
            Mode::VerifyFull => "verify-full",
        }
    }
}

/// Where the CA certificates a server's certificate is checked against
/// come from.
#[derive(Debug, Clone)]
enum Roots {
    File(PathBuf),
    System,
}

impl std::fmt::Display for Roots {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Roots::File(path) => write!(f, "sslrootcert {}", path.display()),
            Roots::System => f.write_str("the system's trusted roots (sslrootcert=system)"),
        }
    }
}

/// The TLS settings of a server address: the mode, and the client
/// configuration its verifier and client certificate make.
#[derive(Debug, Clone)]
pub(super) struct Tls {
    mode: Mode,
    /// What certificates are checked against, for messages; `None` when
    /// none is checked (`prefer`, `require` without a root certificate).
    roots: Option<Arc<str>>,
    config: ClientConfig,
}

impl Tls {
    /// The settings `parameters` ask for, their files read.
    pub(super) fn new(parameters: &TlsParameters) -> Result<Tls, ServerError> {
        let root_cert = parameters.root_cert.as_deref();
        let mode = match parameters.mode.as_deref() {
            Some(mode) => Mode::parse(mode)?,
            // libpq: the system's roots are for verify-full only.
            None if root_cert == Some("system") => Mode::VerifyFull,
            None => Mode::Prefer,
        };
        if root_cert == Some("system") && mode != Mode::VerifyFull {
            return Err(url_error(format!(
                "`sslmode={}` may not be used with `sslrootcert=system`: the system's roots \
                 trust any public host name, so only `verify-full` means anything with them",
                mode.name()
            )));
        }
        let roots = roots(mode, root_cert)?;
        // libpq: `require` with a root certificate checks it, as verify-ca.
        let mode = match (mode, &roots) {
            (Mode::Require, Some(_)) => Mode::VerifyCa,
            (mode, _) => mode,
        };
        // ring: a C compiler builds it, and tokio-postgres-rustls needs it
        // anyway; what rustls deprecates it for (post-quantum key exchange,
        // in aws-lc-rs, a much larger C build) PostgreSQL servers do not
        // offer.
        #[allow(deprecated)]
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let verifier: Arc<dyn ServerCertVerifier> = match (&roots, mode) {
            (Some(roots), Mode::VerifyCa | Mode::VerifyFull) => {
                let store = Arc::new(root_store(roots)?);
                let full = WebPkiServerVerifier::builder_with_provider(store, provider.clone())
                    .build()
                    .map_err(|error| url_error(format!("{roots}: {error}")))?;
                if mode == Mode::VerifyFull {
                    full
                } else {
                    Arc::new(ChainOnly { full })
                }
            }
            _ => Arc::new(Unverified {
                algorithms: provider.signature_verification_algorithms,
            }),
        };
        let builder = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|error| url_error(error.to_string()))?
            .dangerous()
            .with_custom_certificate_verifier(verifier);
        let config = match client_certificate(parameters)? {
            Some((chain, key)) => builder.with_client_auth_cert(chain, key).map_err(|error| {
                url_error(format!(
                    "sslcert {} and sslkey {} do not go together: the key is not the \
                         certificate's ({error})",
                    parameters.cert.as_deref().unwrap_or_default(),
                    parameters.key.as_deref().unwrap_or_default()
                ))
            })?,
            None => builder.with_no_client_auth(),
        };
        Ok(Tls {
            mode,
            roots: roots
                .filter(|_| matches!(mode, Mode::VerifyCa | Mode::VerifyFull))
                .map(|roots| roots.to_string().into()),
            config,
        })
    }

    /// The driver's mode: whether it asks for TLS, and whether it must
    /// have it.
    pub(super) fn driver_mode(&self) -> SslMode {
        match self.mode {
            Mode::Disable => SslMode::Disable,
            Mode::Allow | Mode::Prefer => SslMode::Prefer,
            Mode::Require | Mode::VerifyCa | Mode::VerifyFull => SslMode::Require,
        }
    }

    /// A connector for one connection.
    pub(super) fn connector(&self) -> Connector {
        Connector {
            inner: MakeRustlsConnect::new(self.config.clone()),
            used: Arc::new(AtomicBool::new(false)),
            roots: self.roots.clone(),
        }
    }

    /// After a connection made with `connector` to `server`: a `prefer`
    /// that connected without TLS says so (in `RUST_LOG=info` output).
    pub(super) fn connected(&self, connector: &Connector, server: &str) {
        if matches!(self.mode, Mode::Allow | Mode::Prefer) && !connector.used.load(Ordering::SeqCst)
        {
            tracing::info!(
                server,
                "the server does not offer TLS: connected without it (sslmode={})",
                self.mode.name()
            );
        }
    }
}

/// The CA certificates `mode` checks against: `root_cert`, else libpq's
/// default file `~/.postgresql/root.crt` when it exists; for `verify-ca`
/// and `verify-full` one of them must be there.
fn roots(mode: Mode, root_cert: Option<&str>) -> Result<Option<Roots>, ServerError> {
    let given = match root_cert {
        Some("system") => Some(Roots::System),
        Some(path) => Some(Roots::File(PathBuf::from(path))),
        None => default_root_cert().map(Roots::File),
    };
    match (mode, given) {
        (Mode::VerifyCa | Mode::VerifyFull, None) => Err(url_error(format!(
            "`sslmode={}` checks the server's certificate against a CA certificate: name its \
             file with `sslrootcert=FILE` (libpq's default, ~/.postgresql/root.crt, does not \
             exist), or use `sslrootcert=system` for the system's trusted roots",
            mode.name()
        ))),
        (Mode::Disable | Mode::Allow | Mode::Prefer, _) => Ok(None),
        (_, given) => Ok(given),
    }
}

/// libpq's default root certificate, when it exists.
fn default_root_cert() -> Option<PathBuf> {
    let home = std::env::var_os("HOME")?;
    let path = Path::new(&home).join(".postgresql/root.crt");
    path.is_file().then_some(path)
}

/// The certificates of `roots`, read.
fn root_store(roots: &Roots) -> Result<RootCertStore, ServerError> {
    let mut store = RootCertStore::empty();
    match roots {
        Roots::File(path) => {
            for certificate in certificates(path, "sslrootcert")? {
                store
                    .add(certificate)
                    .map_err(|error| url_error(format!("{roots}: {error}")))?;
            }
        }
        Roots::System => {
            let found = rustls_native_certs::load_native_certs();
            store.add_parsable_certificates(found.certs);
            if store.is_empty() {
                return Err(url_error(
                    "sslrootcert=system: this system has no trusted root certificates \
                     (Debian: the ca-certificates package)"
                        .to_owned(),
                ));
            }
        }
    }
    Ok(store)
}

/// The PEM certificates of the file `path`, the parameter `parameter`
/// names; at least one.
fn certificates(path: &Path, parameter: &str) -> Result<Vec<CertificateDer<'static>>, ServerError> {
    let cannot = |reason: String| url_error(format!("{parameter} {}: {reason}", path.display()));
    let read: Result<Vec<_>, _> = CertificateDer::pem_file_iter(path)
        .map_err(|error| cannot(pem_error(&error)))?
        .collect();
    let read = read.map_err(|error| cannot(pem_error(&error)))?;
    if read.is_empty() {
        return Err(cannot("holds no PEM certificate".to_owned()));
    }
    Ok(read)
}

/// A PEM file's error in words, never with the file's content.
fn pem_error(error: &rustls::pki_types::pem::Error) -> String {
    match error {
        rustls::pki_types::pem::Error::Io(error) => error.to_string(),
        rustls::pki_types::pem::Error::NoItemsFound => "holds no PEM item".to_owned(),
        _ => "is not a PEM file this can read".to_owned(),
    }
}

/// The client certificate chain and key, when `sslcert` is given (`sslkey`
/// with it).
fn client_certificate(
    parameters: &TlsParameters,
) -> Result<Option<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)>, ServerError> {
    let (cert, key) = match (&parameters.cert, &parameters.key) {
        (None, None) => return Ok(None),
        (Some(cert), Some(key)) => (Path::new(cert), Path::new(key)),
        (Some(_), None) => {
            return Err(url_error(
                "`sslcert` needs `sslkey`, the file of its private key".to_owned(),
            ));
        }
        (None, Some(_)) => {
            return Err(url_error(
                "`sslkey` needs `sslcert`, the file of the client certificate".to_owned(),
            ));
        }
    };
    let chain = certificates(cert, "sslcert")?;
    let key = PrivateKeyDer::from_pem_file(key).map_err(|error| {
        url_error(format!(
            "sslkey {}: {} (a PEM private key: PKCS#8, PKCS#1 or SEC1, not encrypted)",
            key.display(),
            pem_error(&error)
        ))
    })?;
    Ok(Some((chain, key)))
}

/// `prefer` and `require` without a root certificate, as libpq: the
/// connection is encrypted, the certificate not checked; the handshake's
/// signatures still are.
#[derive(Debug)]
struct Unverified {
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for Unverified {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// `verify-ca`: the certificate must chain to a root, for any host name.
#[derive(Debug)]
struct ChainOnly {
    full: Arc<WebPkiServerVerifier>,
}

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        // The chain is checked before the name: a name error means the
        // chain held.
        match self.full.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        ) {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.full.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.full.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.full.supported_verify_schemes()
    }
}

/// The driver's TLS connector: rustls's, which records that a handshake
/// was made (a `prefer` may go without) and words a failed one for people.
#[derive(Clone)]
pub(super) struct Connector {
    inner: MakeRustlsConnect,
    used: Arc<AtomicBool>,
    roots: Option<Arc<str>>,
}

impl MakeTlsConnect<Socket> for Connector {
    type Stream = <MakeRustlsConnect as MakeTlsConnect<Socket>>::Stream;
    type TlsConnect = Handshake<<MakeRustlsConnect as MakeTlsConnect<Socket>>::TlsConnect>;
    type Error = <MakeRustlsConnect as MakeTlsConnect<Socket>>::Error;

    fn make_tls_connect(&mut self, host: &str) -> Result<Self::TlsConnect, Self::Error> {
        Ok(Handshake {
            inner: MakeTlsConnect::<Socket>::make_tls_connect(&mut self.inner, host)?,
            host: host.to_owned(),
            used: Arc::clone(&self.used),
            roots: self.roots.clone(),
        })
    }
}

/// One TLS handshake with `host`.
pub(super) struct Handshake<T> {
    inner: T,
    host: String,
    used: Arc<AtomicBool>,
    roots: Option<Arc<str>>,
}

type Boxed<T> = std::pin::Pin<
    Box<
        dyn std::future::Future<Output = Result<T, Box<dyn std::error::Error + Send + Sync>>>
            + Send,
    >,
>;

impl<S, T> TlsConnect<S> for Handshake<T>
where
    T: TlsConnect<S>,
    T::Future: Send + 'static,
    T::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    type Stream = T::Stream;
    type Error = Box<dyn std::error::Error + Send + Sync>;
    type Future = Boxed<T::Stream>;

    fn connect(self, stream: S) -> Self::Future {
        self.used.store(true, Ordering::SeqCst);
        let Handshake {
            inner, host, roots, ..
        } = self;
        let handshake = inner.connect(stream);
        Box::pin(async move {
            handshake
                .await
                .map_err(|error| explained(&*error.into(), &host, roots.as_deref()).into())
        })
    }
}

/// A failed handshake with `host` in words: what was wrong with the
/// certificate, against what it was checked.
fn explained(
    error: &(dyn std::error::Error + Send + Sync + 'static),
    host: &str,
    roots: Option<&str>,
) -> String {
    let rustls_error = error
        .downcast_ref::<std::io::Error>()
        .and_then(|io| io.get_ref())
        .and_then(|inner| inner.downcast_ref::<rustls::Error>());
    let roots = roots.unwrap_or("the root certificates");
    match rustls_error {
        Some(rustls::Error::InvalidCertificate(problem)) => match problem {
            CertificateError::UnknownIssuer => {
                format!("the certificate of {host} is not signed by a CA of {roots}")
            }
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                format!(
                    "the certificate of the server is not for the host name {host} \
                     (sslmode=verify-full checks the name, verify-ca does not)"
                )
            }
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                format!("the certificate of {host} has expired")
            }
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                format!("the certificate of {host} is not valid yet")
            }
            other => format!("the certificate of {host} does not verify: {other:?}"),
        },
        Some(rustls::Error::AlertReceived(alert)) => format!(
            "{host} ended the TLS handshake ({alert:?}): it may ask for a client certificate \
             (sslcert, sslkey) that it trusts"
        ),
        Some(other) => format!("the TLS handshake with {host} failed: {other}"),
        None => format!("the TLS handshake with {host} failed: {error}"),
    }
}
