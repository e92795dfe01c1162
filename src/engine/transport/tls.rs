//! TLS through rustls (ring provider): the client configuration of a connection, certificate
//! verification with Windows' error classes and `SECURITY_FLAG_IGNORE_*` waivers, client
//! certificates (our PEM extension), and what a finished handshake reports (certificate info,
//! key size).
//!
//! Trust is the platform's store (`rustls-native-certs`: the system bundle on Linux, honouring
//! `SSL_CERT_FILE` / `SSL_CERT_DIR`; the keychain on macOS), with webpki-roots when the system has
//! none. Host names are always verified unless the request waives exactly that check.
//!
//! The crypto provider is chosen here and nowhere else ([`provider`]).
//!
//! Verification checks each Windows error class on its own, so that each ignore flag waives its
//! own check and nothing more: the chain is verified at the current time, again at a time inside
//! the leaf's validity when the only complaint was the date, and with a lenient key-usage check
//! when the complaint was the usage; the name is checked separately. The classes found are
//! recorded for the connection ([`Report`]), and the handshake fails if one is not waived.

use crate::abi::*;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{ClientSessionMemoryCache, ResolvesClientCert, Resumption};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::sign::CertifiedKey;
use rustls::{ClientConfig, ClientConnection, DigitallySignedStruct, RootCertStore, SignatureScheme};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

/// The certificate problems Windows reports, as `WINHTTP_CALLBACK_STATUS_FLAG_*` bits.
pub const FLAG_INVALID_CERT: DWORD = WINHTTP_CALLBACK_STATUS_FLAG_INVALID_CERT;
pub const FLAG_INVALID_CA: DWORD = WINHTTP_CALLBACK_STATUS_FLAG_INVALID_CA;
pub const FLAG_CN_INVALID: DWORD = WINHTTP_CALLBACK_STATUS_FLAG_CERT_CN_INVALID;
pub const FLAG_DATE_INVALID: DWORD = WINHTTP_CALLBACK_STATUS_FLAG_CERT_DATE_INVALID;
pub const FLAG_WRONG_USAGE: DWORD = WINHTTP_CALLBACK_STATUS_FLAG_CERT_WRONG_USAGE;

/// The crypto provider: ring (builds and links statically with no system library beyond libc).
pub fn provider() -> &'static Arc<CryptoProvider> {
    static PROVIDER: OnceLock<Arc<CryptoProvider>> = OnceLock::new();
    PROVIDER.get_or_init(|| Arc::new(rustls::crypto::ring::default_provider()))
}

/// TLS sessions for resumption, shared by every connection of the process (like the pool).
fn session_store() -> Arc<ClientSessionMemoryCache> {
    static STORE: OnceLock<Arc<ClientSessionMemoryCache>> = OnceLock::new();
    STORE.get_or_init(|| Arc::new(ClientSessionMemoryCache::new(256))).clone()
}

/// The trust anchors: the platform's store, loaded once per value of `SSL_CERT_FILE` and
/// `SSL_CERT_DIR` (so a program that sets them before its first HTTPS request is honoured), or
/// webpki-roots when the platform store is empty or missing.
/// `SSL_CERT_FILE` and `SSL_CERT_DIR` as they were when a store was loaded.
type TrustKey = (Option<String>, Option<String>);

pub fn roots() -> Arc<RootCertStore> {
    static CACHE: OnceLock<Mutex<HashMap<TrustKey, Arc<RootCertStore>>>> = OnceLock::new();
    let key = (std::env::var("SSL_CERT_FILE").ok(), std::env::var("SSL_CERT_DIR").ok());
    let cache = CACHE.get_or_init(Default::default);
    if let Some(r) = cache.lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
        return r.clone();
    }
    let mut store = RootCertStore::empty();
    let native = rustls_native_certs::load_native_certs();
    let _ = store.add_parsable_certificates(native.certs);
    if store.is_empty() {
        store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    }
    let store = Arc::new(store);
    cache.lock().unwrap_or_else(|p| p.into_inner()).insert(key, store.clone());
    store
}

/// What the verifier found, for the connection that asked.
#[derive(Default, Debug, Clone)]
pub struct Report {
    /// `FLAG_*` bits of every problem found, waived or not.
    pub found: DWORD,
    /// The leaf certificate, once seen.
    pub leaf: Option<CertificateDer<'static>>,
}

/// Maps `SECURITY_FLAG_IGNORE_*` to the problem bits they waive.
fn waived(ignore: DWORD) -> DWORD {
    let mut w = 0;
    if ignore & SECURITY_FLAG_IGNORE_UNKNOWN_CA != 0 {
        w |= FLAG_INVALID_CA;
    }
    if ignore & SECURITY_FLAG_IGNORE_CERT_DATE_INVALID != 0 {
        w |= FLAG_DATE_INVALID;
    }
    if ignore & SECURITY_FLAG_IGNORE_CERT_CN_INVALID != 0 {
        w |= FLAG_CN_INVALID;
    }
    if ignore & SECURITY_FLAG_IGNORE_CERT_WRONG_USAGE != 0 {
        w |= FLAG_WRONG_USAGE;
    }
    w
}

/// The error a sync call reports for the problems left after the waivers (the most fundamental
/// first), or `None` when there are none.
pub fn error_for(problems: DWORD) -> Option<DWORD> {
    [
        (FLAG_INVALID_CERT, ERROR_WINHTTP_SECURE_INVALID_CERT),
        (FLAG_INVALID_CA, ERROR_WINHTTP_SECURE_INVALID_CA),
        (FLAG_DATE_INVALID, ERROR_WINHTTP_SECURE_CERT_DATE_INVALID),
        (FLAG_CN_INVALID, ERROR_WINHTTP_SECURE_CERT_CN_INVALID),
        (FLAG_WRONG_USAGE, ERROR_WINHTTP_SECURE_CERT_WRONG_USAGE),
    ]
    .into_iter()
    .find_map(|(flag, code)| (problems & flag != 0).then_some(code))
}

/// The key-usage check: serverAuth required when the certificate lists usages, unless waived.
struct Usage {
    lenient: bool,
}

impl webpki::ExtendedKeyUsageValidator for Usage {
    fn validate(&self, iter: webpki::KeyPurposeIdIter<'_, '_>) -> Result<(), webpki::Error> {
        if self.lenient {
            return Ok(());
        }
        webpki::ExtendedKeyUsageValidator::validate(&webpki::KeyUsage::server_auth(), iter)
    }
}

/// A time inside the certificate's validity period (its middle), to look past a date problem.
fn inside_validity(der: &[u8]) -> Option<UnixTime> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    let from = cert.validity().not_before.timestamp();
    let to = cert.validity().not_after.timestamp();
    let mid = from.checked_add(to.checked_sub(from)? / 2)?;
    Some(UnixTime::since_unix_epoch(std::time::Duration::from_secs(u64::try_from(mid).ok()?)))
}

/// Checks a server certificate chain and name; returns the problem bits found.
pub fn check(
    roots: &RootCertStore,
    end_entity: &CertificateDer<'_>,
    intermediates: &[CertificateDer<'_>],
    name: &ServerName<'_>,
    now: UnixTime,
) -> DWORD {
    let Ok(cert) = webpki::EndEntityCert::try_from(end_entity) else {
        return FLAG_INVALID_CERT;
    };
    let algs = provider().signature_verification_algorithms.all;
    let mut found = 0;
    let mut time = now;
    let mut lenient = false;
    // Each pass relaxes the check that failed the previous one; three kinds can be relaxed.
    for _ in 0..3 {
        let r =
            cert.verify_for_usage(algs, &roots.roots, intermediates, time, Usage { lenient }, None, None).map(|_| ());
        use webpki::Error as E;
        match r {
            Ok(()) => break,
            Err(E::CertExpired { .. } | E::CertNotValidYet { .. }) => {
                found |= FLAG_DATE_INVALID;
                if time != now {
                    // Already looked past the leaf's dates: another certificate is out of date.
                    break;
                }
                match inside_validity(end_entity) {
                    Some(t) => time = t,
                    None => break,
                }
            }
            Err(E::RequiredEkuNotFoundContext(_)) if !lenient => {
                found |= FLAG_WRONG_USAGE;
                lenient = true;
            }
            Err(E::UnknownIssuer) => {
                found |= FLAG_INVALID_CA;
                break;
            }
            Err(_) => {
                found |= FLAG_INVALID_CERT;
                break;
            }
        }
    }
    if cert.verify_is_valid_for_subject_name(name).is_err() {
        found |= FLAG_CN_INVALID;
    }
    found
}

/// What the handshake being stepped on this thread reports into (see [`during`]). Verifiers and
/// client-certificate resolvers are shared by every connection with the same configuration
/// (rustls resumes a session only with the very verifier and resolver that made it), so what they
/// find goes to the connection whose handshake is running on the calling thread.
struct Current {
    report: Arc<Mutex<Report>>,
    asked_for_cert: Arc<AtomicBool>,
}

thread_local! {
    static CURRENT: std::cell::RefCell<Option<Current>> = const { std::cell::RefCell::new(None) };
}

/// Runs `f` (rustls processing the peer's handshake messages) with `session` as the one that
/// verification and client-certificate requests report to.
pub fn during<R>(session: &mut Session, f: impl FnOnce(&mut ClientConnection) -> R) -> R {
    let current = Current { report: session.report.clone(), asked_for_cert: session.asked_for_cert.clone() };
    let previous = CURRENT.with(|c| c.borrow_mut().replace(current));
    let r = f(&mut session.conn);
    CURRENT.with(|c| *c.borrow_mut() = previous);
    r
}

/// A verifier for one set of waivers: checks as [`check`] does, records what it found for the
/// connection whose handshake runs, and lets the handshake go on only if every problem is waived.
#[derive(Debug)]
struct Verifier {
    roots: Arc<RootCertStore>,
    waived: DWORD,
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let found = check(&self.roots, end_entity, intermediates, server_name, now);
        CURRENT.with(|c| {
            if let Some(current) = c.borrow().as_ref() {
                let mut report = current.report.lock().unwrap_or_else(|p| p.into_inner());
                report.found = found;
                report.leaf = Some(end_entity.clone().into_owned());
            }
        });
        if found & !self.waived != 0 {
            return Err(rustls::Error::InvalidCertificate(rustls::CertificateError::ApplicationVerificationFailure));
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &provider().signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &provider().signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        provider().signature_verification_algorithms.supported_schemes()
    }
}

/// A client certificate chain and its private key (our PEM extension option).
pub struct Identity {
    key: Arc<CertifiedKey>,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identity").field("certs", &self.key.cert.len()).finish()
    }
}

impl Identity {
    /// Parses PEM text holding one or more certificates (leaf first) and one private key (PKCS#8,
    /// PKCS#1 or SEC1). No certificate: `ERROR_INVALID_PARAMETER`; no key:
    /// `ERROR_WINHTTP_CLIENT_CERT_NO_PRIVATE_KEY`; a key that does not load or does not match:
    /// `ERROR_WINHTTP_CLIENT_CERT_NO_ACCESS_PRIVATE_KEY`.
    pub fn from_pem(pem: &[u8]) -> Result<Identity, DWORD> {
        use rustls::pki_types::pem::PemObject;
        let certs: Vec<CertificateDer<'static>> =
            CertificateDer::pem_slice_iter(pem).collect::<Result<_, _>>().map_err(|_| ERROR_INVALID_PARAMETER)?;
        if certs.is_empty() {
            return Err(ERROR_INVALID_PARAMETER);
        }
        let key = PrivateKeyDer::from_pem_slice(pem).map_err(|_| ERROR_WINHTTP_CLIENT_CERT_NO_PRIVATE_KEY)?;
        let key = CertifiedKey::from_der(certs, key, provider())
            .map_err(|_| ERROR_WINHTTP_CLIENT_CERT_NO_ACCESS_PRIVATE_KEY)?;
        Ok(Identity { key: Arc::new(key) })
    }
}

/// What a request says about client certificates.
#[derive(Clone, Debug, Default)]
pub enum ClientCert {
    /// Nothing said: a server that asks for one fails the request with
    /// `ERROR_WINHTTP_CLIENT_AUTH_CERT_NEEDED` (the caller may then choose and send again).
    #[default]
    Unset,
    /// `WINHTTP_OPTION_CLIENT_CERT_CONTEXT` with `WINHTTP_NO_CLIENT_CERT_CONTEXT`: go on without one.
    None,
    /// Our PEM extension.
    Pem(Arc<Identity>),
}

impl ClientCert {
    /// Whether a connection made with `self` may serve a request that asks for `other`.
    pub fn same(&self, other: &ClientCert) -> bool {
        match (self, other) {
            (ClientCert::Pem(a), ClientCert::Pem(b)) => Arc::ptr_eq(a, b),
            (ClientCert::Pem(_), _) | (_, ClientCert::Pem(_)) => false,
            _ => true,
        }
    }
}

/// Hands rustls the client certificate, noting for the running handshake that the server asked.
#[derive(Debug)]
struct ClientResolver {
    cert: Option<Arc<CertifiedKey>>,
}

impl ResolvesClientCert for ClientResolver {
    fn resolve(&self, _hints: &[&[u8]], _schemes: &[SignatureScheme]) -> Option<Arc<CertifiedKey>> {
        CURRENT.with(|c| {
            if let Some(current) = c.borrow().as_ref() {
                current.asked_for_cert.store(true, Ordering::SeqCst);
            }
        });
        self.cert.clone()
    }

    fn has_certs(&self) -> bool {
        true
    }
}

/// What a connection is asked to be.
pub struct Params<'a> {
    pub host: &'a str,
    /// `SECURITY_FLAG_IGNORE_*` of the request.
    pub ignore: DWORD,
    /// `WINHTTP_FLAG_SECURE_PROTOCOL_*` of the session.
    pub protocols: DWORD,
    pub client: ClientCert,
    /// Offer `h2` before `http/1.1` in ALPN (`WINHTTP_PROTOCOL_FLAG_HTTP2`).
    pub h2: bool,
}

/// A TLS client session in the making, with what its handshake will report.
pub struct Session {
    pub conn: ClientConnection,
    pub report: Arc<Mutex<Report>>,
    pub asked_for_cert: Arc<AtomicBool>,
    pub client: ClientCert,
    pub ignore: DWORD,
}

/// The server name rustls verifies against (an IP literal, bracketed or not, or a DNS name).
fn server_name(host: &str) -> Result<ServerName<'static>, DWORD> {
    let bare = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
    if let Ok(ip) = bare.parse::<std::net::IpAddr>() {
        return Ok(ServerName::IpAddress(ip.into()));
    }
    ServerName::try_from(bare.trim_end_matches('.').to_owned()).map_err(|_| ERROR_WINHTTP_INVALID_URL)
}

/// Client configurations by what makes them differ: the trust store, the waivers, the protocol
/// versions and the client certificate. Shared so that sessions resume (rustls resumes only with the
/// verifier and resolver that made the session); the identity is kept so its address stays unique.
type ConfigKey = (usize, DWORD, DWORD, usize, bool);
/// Each configuration with the identity its key points at.
type Configs = HashMap<ConfigKey, (Arc<ClientConfig>, Option<Arc<Identity>>)>;

fn config(p: &Params<'_>, versions: &[&'static rustls::SupportedProtocolVersion]) -> Result<Arc<ClientConfig>, DWORD> {
    static CONFIGS: OnceLock<Mutex<Configs>> = OnceLock::new();
    let roots = roots();
    let identity = match &p.client {
        ClientCert::Pem(id) => Some(id.clone()),
        _ => None,
    };
    let waived = waived(p.ignore);
    let protocols = p.protocols & (WINHTTP_FLAG_SECURE_PROTOCOL_TLS1_2 | WINHTTP_FLAG_SECURE_PROTOCOL_TLS1_3);
    let key = (
        Arc::as_ptr(&roots) as usize,
        waived,
        protocols,
        identity.as_ref().map_or(0, |i| Arc::as_ptr(i) as usize),
        p.h2,
    );
    let configs = CONFIGS.get_or_init(Default::default);
    if let Some((c, _)) = configs.lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
        return Ok(c.clone());
    }
    let verifier = Arc::new(Verifier { roots, waived });
    let resolver = Arc::new(ClientResolver { cert: identity.as_ref().map(|id| id.key.clone()) });
    let mut config = ClientConfig::builder_with_provider(provider().clone())
        .with_protocol_versions(versions)
        .map_err(|_| ERROR_WINHTTP_SECURE_CHANNEL_ERROR)?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_client_cert_resolver(resolver);
    config.alpn_protocols = if p.h2 { vec![b"h2".to_vec(), b"http/1.1".to_vec()] } else { vec![b"http/1.1".to_vec()] };
    config.resumption = Resumption::store(session_store());
    let config = Arc::new(config);
    let mut configs = configs.lock().unwrap_or_else(|p| p.into_inner());
    // Bounded: a program that makes a new client identity per request must not grow this forever
    // (dropping the cache only costs resumption for the configurations dropped).
    if configs.len() >= 64 {
        configs.clear();
    }
    configs.insert(key, (config.clone(), identity));
    Ok(config)
}

/// Starts a client session (nothing is sent yet). A protocol set with neither TLS 1.2 nor 1.3
/// cannot be spoken: `ERROR_WINHTTP_SECURE_CHANNEL_ERROR`.
pub fn start(p: Params<'_>) -> Result<Session, DWORD> {
    let mut versions: Vec<&'static rustls::SupportedProtocolVersion> = Vec::new();
    if p.protocols & WINHTTP_FLAG_SECURE_PROTOCOL_TLS1_3 != 0 {
        versions.push(&rustls::version::TLS13);
    }
    if p.protocols & WINHTTP_FLAG_SECURE_PROTOCOL_TLS1_2 != 0 {
        versions.push(&rustls::version::TLS12);
    }
    if versions.is_empty() {
        return Err(ERROR_WINHTTP_SECURE_CHANNEL_ERROR);
    }
    let config = config(&p, &versions)?;
    let conn = ClientConnection::new(config, server_name(p.host)?).map_err(|_| ERROR_WINHTTP_SECURE_CHANNEL_ERROR)?;
    Ok(Session {
        conn,
        report: Arc::new(Mutex::new(Report::default())),
        asked_for_cert: Arc::new(AtomicBool::new(false)),
        client: p.client,
        ignore: p.ignore,
    })
}

/// What a finished handshake established, kept with the connection.
#[derive(Debug, Clone)]
pub struct Info {
    /// Problems found and waived (`FLAG_*`).
    pub found: DWORD,
    /// The `SECURITY_FLAG_IGNORE_*` the connection was verified with.
    pub ignore: DWORD,
    pub client: ClientCert,
    pub leaf: Option<CertificateDer<'static>>,
    /// Symmetric key size of the negotiated cipher, in bits.
    pub key_bits: DWORD,
    /// "TLS 1.3" or "TLS 1.2".
    pub protocol: &'static str,
    /// The handshake resumed an earlier session.
    pub resumed: bool,
    /// ALPN chose `h2`.
    pub h2: bool,
}

impl Info {
    /// Whether this connection may carry a request verified with `ignore` and `client` in a
    /// session allowing `protocols`: every problem it had must be waived by that request too, and
    /// its protocol version allowed.
    pub fn serves(&self, ignore: DWORD, client: &ClientCert, protocols: DWORD) -> bool {
        let version = if self.protocol == "TLS 1.3" {
            WINHTTP_FLAG_SECURE_PROTOCOL_TLS1_3
        } else {
            WINHTTP_FLAG_SECURE_PROTOCOL_TLS1_2
        };
        self.found & !waived(ignore) == 0 && self.client.same(client) && protocols & version != 0
    }

    /// `WINHTTP_OPTION_SECURITY_FLAGS` after the handshake: secure, strong, and the waivers.
    pub fn security_flags(&self) -> DWORD {
        let strength = if self.key_bits >= 128 { SECURITY_FLAG_STRENGTH_STRONG } else { SECURITY_FLAG_STRENGTH_MEDIUM };
        SECURITY_FLAG_SECURE | strength | self.ignore
    }
}

/// How a handshake failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Certificate problems not waived (`FLAG_*` bits).
    Certificate(DWORD),
    /// The server asked for a client certificate and the request has said nothing about one.
    ClientCertNeeded,
    /// Anything else: protocol errors, alerts, an unexpected end.
    Channel,
}

impl Failure {
    /// The `WINHTTP_CALLBACK_STATUS_FLAG_*` bits of the `SECURE_FAILURE` notification, if any.
    pub fn status_flags(self) -> Option<DWORD> {
        match self {
            Failure::Certificate(f) => Some(f),
            Failure::Channel => Some(WINHTTP_CALLBACK_STATUS_FLAG_SECURITY_CHANNEL_ERROR),
            Failure::ClientCertNeeded => None,
        }
    }

    /// The error of a sync call.
    pub fn error(self) -> DWORD {
        match self {
            Failure::Certificate(f) => error_for(f).unwrap_or(ERROR_WINHTTP_SECURE_FAILURE),
            Failure::ClientCertNeeded => ERROR_WINHTTP_CLIENT_AUTH_CERT_NEEDED,
            Failure::Channel => ERROR_WINHTTP_SECURE_CHANNEL_ERROR,
        }
    }
}

impl Session {
    /// Classifies a failed handshake.
    pub fn failure(&self) -> Failure {
        if self.client_cert_needed() {
            return Failure::ClientCertNeeded;
        }
        let found = self.report.lock().unwrap_or_else(|p| p.into_inner()).found;
        let problems = found & !waived(self.ignore);
        if problems != 0 { Failure::Certificate(problems) } else { Failure::Channel }
    }

    /// True when the server asked for a certificate and the request neither gave one nor said to
    /// go on without.
    pub fn client_cert_needed(&self) -> bool {
        matches!(self.client, ClientCert::Unset) && self.asked_for_cert.load(Ordering::SeqCst)
    }

    /// What the finished handshake established.
    pub fn info(&self) -> Info {
        let report = self.report.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let suite = self.conn.negotiated_cipher_suite().map(|s| format!("{:?}", s.suite())).unwrap_or_default();
        let key_bits = if suite.contains("AES_128") {
            128
        } else if suite.contains("AES_256") || suite.contains("CHACHA20") {
            256
        } else {
            0
        };
        let protocol = match self.conn.protocol_version() {
            Some(rustls::ProtocolVersion::TLSv1_3) => "TLS 1.3",
            _ => "TLS 1.2",
        };
        // A resumed session skips verification (no certificate is sent): its problems are not
        // known here, so count every waived one as found; such a connection then only serves
        // requests with the same waivers. The certificate itself comes with the resumed session.
        let resumed = self.conn.handshake_kind() == Some(rustls::HandshakeKind::Resumed);
        let found = if resumed { waived(self.ignore) } else { report.found };
        let leaf = report
            .leaf
            .or_else(|| self.conn.peer_certificates().and_then(|c| c.first()).map(|c| c.clone().into_owned()));
        let h2 = self.conn.alpn_protocol() == Some(b"h2");
        Info { found, ignore: self.ignore, client: self.client.clone(), leaf, key_bits, protocol, resumed, h2 }
    }
}

/// The server certificate as `WINHTTP_CERTIFICATE_INFO` describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateInfo {
    /// The subject's attribute values in encoded order, separated by CR LF (as Windows'
    /// `CertNameToStr` with simple names and the CR LF flag gives them).
    pub subject: String,
    pub issuer: String,
    /// Validity, in seconds since the Unix epoch.
    pub not_before: i64,
    pub not_after: i64,
}

fn simple_name(name: &x509_parser::x509::X509Name<'_>) -> String {
    let mut parts = Vec::new();
    for rdn in name.iter() {
        for attr in rdn.iter() {
            let value = attr
                .as_str()
                .map(str::to_owned)
                .unwrap_or_else(|_| String::from_utf8_lossy(attr.attr_value().data).into_owned());
            parts.push(value);
        }
    }
    parts.join("\r\n")
}

/// Parses a certificate for `WINHTTP_OPTION_SECURITY_CERTIFICATE_STRUCT`.
pub fn certificate_info(der: &[u8]) -> Option<CertificateInfo> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    Some(CertificateInfo {
        subject: simple_name(cert.subject()),
        issuer: simple_name(cert.issuer()),
        not_before: cert.validity().not_before.timestamp(),
        not_after: cert.validity().not_after.timestamp(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waivers_map_one_to_one() {
        assert_eq!(waived(SECURITY_FLAG_IGNORE_UNKNOWN_CA), FLAG_INVALID_CA);
        assert_eq!(waived(SECURITY_FLAG_IGNORE_CERT_DATE_INVALID), FLAG_DATE_INVALID);
        assert_eq!(waived(SECURITY_FLAG_IGNORE_CERT_CN_INVALID), FLAG_CN_INVALID);
        assert_eq!(waived(SECURITY_FLAG_IGNORE_CERT_WRONG_USAGE), FLAG_WRONG_USAGE);
        assert_eq!(waived(0), 0);
        // Nothing waives an invalid certificate.
        assert_eq!(waived(0xFFFF_FFFF) & FLAG_INVALID_CERT, 0);
    }

    #[test]
    fn sync_error_takes_the_most_fundamental_problem() {
        assert_eq!(error_for(0), None);
        assert_eq!(error_for(FLAG_CN_INVALID | FLAG_INVALID_CA), Some(ERROR_WINHTTP_SECURE_INVALID_CA));
        assert_eq!(error_for(FLAG_CN_INVALID | FLAG_DATE_INVALID), Some(ERROR_WINHTTP_SECURE_CERT_DATE_INVALID));
        assert_eq!(error_for(FLAG_WRONG_USAGE), Some(ERROR_WINHTTP_SECURE_CERT_WRONG_USAGE));
        assert_eq!(error_for(FLAG_INVALID_CERT | FLAG_INVALID_CA), Some(ERROR_WINHTTP_SECURE_INVALID_CERT));
    }

    #[test]
    fn server_names() {
        assert!(matches!(server_name("127.0.0.1"), Ok(ServerName::IpAddress(_))));
        assert!(matches!(server_name("[::1]"), Ok(ServerName::IpAddress(_))));
        assert!(matches!(server_name("example.com."), Ok(ServerName::DnsName(_))));
        assert_eq!(server_name("bad host").err(), Some(ERROR_WINHTTP_INVALID_URL));
    }

    #[test]
    fn protocol_sets_rustls_cannot_speak_fail() {
        let p = |protocols| Params { host: "localhost", ignore: 0, protocols, client: ClientCert::Unset, h2: false };
        assert_eq!(
            start(p(WINHTTP_FLAG_SECURE_PROTOCOL_TLS1 | WINHTTP_FLAG_SECURE_PROTOCOL_TLS1_1)).err(),
            Some(ERROR_WINHTTP_SECURE_CHANNEL_ERROR)
        );
        assert!(start(p(WINHTTP_FLAG_SECURE_PROTOCOL_TLS1_2)).is_ok());
        assert!(start(p(WINHTTP_FLAG_SECURE_PROTOCOL_TLS1_3)).is_ok());
    }

    /// A test PKI made with rcgen: a root, an intermediate under it, and leaves.
    mod pki {
        use rcgen::{
            BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
        };
        use rustls::pki_types::CertificateDer;

        pub fn ca(name: &str, parent: Option<&CertifiedIssuer<'static, KeyPair>>) -> CertifiedIssuer<'static, KeyPair> {
            let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
            p.distinguished_name = rcgen::DistinguishedName::new();
            p.distinguished_name.push(DnType::CommonName, name);
            p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
            p.not_before = rcgen::date_time_ymd(2024, 1, 1);
            p.not_after = rcgen::date_time_ymd(2045, 1, 1);
            let key = KeyPair::generate().unwrap();
            match parent {
                Some(parent) => CertifiedIssuer::signed_by(p, key, parent).unwrap(),
                None => CertifiedIssuer::self_signed(p, key).unwrap(),
            }
        }

        pub struct Leaf {
            pub names: Vec<&'static str>,
            pub expired: bool,
            pub eku: Vec<ExtendedKeyUsagePurpose>,
        }

        impl Default for Leaf {
            fn default() -> Self {
                Leaf { names: vec!["example.test"], expired: false, eku: vec![ExtendedKeyUsagePurpose::ServerAuth] }
            }
        }

        pub fn leaf(l: Leaf, issuer: &CertifiedIssuer<'static, KeyPair>) -> CertificateDer<'static> {
            let mut p = CertificateParams::new(l.names.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
            p.distinguished_name = rcgen::DistinguishedName::new();
            p.distinguished_name.push(DnType::OrganizationName, "Org");
            p.distinguished_name.push(DnType::CommonName, l.names[0]);
            p.extended_key_usages = l.eku;
            (p.not_before, p.not_after) = if l.expired {
                (rcgen::date_time_ymd(2001, 1, 1), rcgen::date_time_ymd(2002, 1, 1))
            } else {
                (rcgen::date_time_ymd(2024, 1, 1), rcgen::date_time_ymd(2045, 1, 1))
            };
            p.signed_by(&KeyPair::generate().unwrap(), issuer).unwrap().der().clone()
        }
    }

    fn store(ca: &rcgen::CertifiedIssuer<'static, rcgen::KeyPair>) -> RootCertStore {
        let mut roots = RootCertStore::empty();
        roots.add(ca.der().clone()).unwrap();
        roots
    }

    fn name(s: &str) -> ServerName<'static> {
        server_name(s).unwrap()
    }

    fn now() -> UnixTime {
        UnixTime::now()
    }

    #[test]
    fn each_problem_is_found_on_its_own() {
        use rcgen::ExtendedKeyUsagePurpose as Eku;
        let root = pki::ca("Root", None);
        let other = pki::ca("Other", None);
        let roots = store(&root);
        let good = pki::leaf(pki::Leaf::default(), &root);
        assert_eq!(check(&roots, &good, &[], &name("example.test"), now()), 0);
        assert_eq!(check(&roots, &good, &[], &name("other.test"), now()), FLAG_CN_INVALID);
        let unknown = pki::leaf(pki::Leaf::default(), &other);
        assert_eq!(check(&roots, &unknown, &[], &name("example.test"), now()), FLAG_INVALID_CA);
        let expired = pki::leaf(pki::Leaf { expired: true, ..Default::default() }, &root);
        assert_eq!(check(&roots, &expired, &[], &name("example.test"), now()), FLAG_DATE_INVALID);
        let client_only = pki::leaf(pki::Leaf { eku: vec![Eku::ClientAuth], ..Default::default() }, &root);
        assert_eq!(check(&roots, &client_only, &[], &name("example.test"), now()), FLAG_WRONG_USAGE);
        // Every problem at once is reported as every problem.
        let all = pki::leaf(pki::Leaf { expired: true, eku: vec![Eku::ClientAuth], ..Default::default() }, &other);
        assert_eq!(
            check(&roots, &all, &[], &name("wrong.test"), now()),
            FLAG_DATE_INVALID | FLAG_WRONG_USAGE | FLAG_INVALID_CA | FLAG_CN_INVALID
        );
        // Garbage is an invalid certificate.
        let junk = CertificateDer::from(vec![0x30, 0x03, 0x02, 0x01, 0x00]);
        assert_eq!(check(&roots, &junk, &[], &name("example.test"), now()) & FLAG_INVALID_CERT, FLAG_INVALID_CERT);
    }

    #[test]
    fn chains_through_intermediates_the_server_sends() {
        let root = pki::ca("Root", None);
        let mid = pki::ca("Intermediate", Some(&root));
        let roots = store(&root);
        let leaf = pki::leaf(pki::Leaf::default(), &mid);
        assert_eq!(check(&roots, &leaf, &[mid.der().clone()], &name("example.test"), now()), 0);
        // Without the intermediate the root cannot be reached.
        assert_eq!(check(&roots, &leaf, &[], &name("example.test"), now()), FLAG_INVALID_CA);
    }

    #[test]
    fn names_and_addresses() {
        let root = pki::ca("Root", None);
        let roots = store(&root);
        let leaf = pki::leaf(pki::Leaf { names: vec!["*.example.test", "10.1.2.3"], ..Default::default() }, &root);
        assert_eq!(check(&roots, &leaf, &[], &name("a.example.test"), now()), 0);
        assert_eq!(check(&roots, &leaf, &[], &name("a.b.example.test"), now()), FLAG_CN_INVALID);
        assert_eq!(check(&roots, &leaf, &[], &name("10.1.2.3"), now()), 0);
        assert_eq!(check(&roots, &leaf, &[], &name("10.1.2.4"), now()), FLAG_CN_INVALID);
    }

    #[test]
    fn certificate_info_lists_attribute_values_in_order() {
        let root = pki::ca("Root", None);
        let leaf = pki::leaf(pki::Leaf::default(), &root);
        let info = certificate_info(&leaf).unwrap();
        assert_eq!(info.subject, "Org\r\nexample.test");
        assert_eq!(info.issuer, "Root");
        assert!(info.not_before < info.not_after);
        assert_eq!(certificate_info(&[1, 2, 3]), None);
    }

    #[test]
    fn pem_identity_errors() {
        assert_eq!(Identity::from_pem(b"").err(), Some(ERROR_INVALID_PARAMETER));
        assert_eq!(Identity::from_pem(b"not pem at all").err(), Some(ERROR_INVALID_PARAMETER));
    }
}
