//! The test PKI and the TLS servers: certificates made at start-up with rcgen, served by rustls
//! (in-process, the HTTP routes of [`super::http`]) and by `openssl s_server` (an independent TLS
//! stack) when the `openssl` command exists.
//!
//! | server | certificate |
//! |---|---|
//! | `good` | leaf for `localhost`, `127.0.0.1`, `::1`, signed by the test CA (the one trusted through `SSL_CERT_FILE`) |
//! | `unknown_ca` | the same names, signed by a CA nobody trusts |
//! | `expired` | the same names, test CA, valid 2001–2002 |
//! | `wrong_name` | only `wrong.example`, test CA |
//! | `wrong_usage` | the same names, test CA, extended key usage clientAuth only |
//! | `expired_unknown_ca` | valid 2001–2002 **and** signed by the untrusted CA |
//! | `client_auth` | as `good`, and requires a client certificate from the client CA |
//! | `tls12` | as `good`, TLS 1.2 only |
//! | `openssl` | `openssl s_server -WWW` with the `good` certificate, serving files from the PKI directory |

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::path::PathBuf;
use std::sync::Arc;

/// The file `openssl s_server` serves at `/big.bin` (bytes `i % 251`), and its size.
pub const OPENSSL_FILE_SIZE: usize = 1024 * 1024 + 7;

/// A certificate chain and its key, as rustls and as PEM text.
#[derive(Debug)]
pub struct Leaf {
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
    pub cert_pem: String,
    pub key_pem: String,
}

/// Everything the TLS servers and the C programs need.
#[derive(Debug)]
pub struct Pki {
    pub dir: PathBuf,
    /// The bundle the client trusts (`SSL_CERT_FILE`): the test CA only.
    pub ca_file: PathBuf,
    /// A client certificate and its key, in one PEM file (for the client-auth server).
    pub client_pem: PathBuf,
    pub good: Leaf,
    pub unknown_ca: Leaf,
    pub expired: Leaf,
    pub wrong_name: Leaf,
    pub wrong_usage: Leaf,
    pub expired_unknown_ca: Leaf,
    pub client_ca: CertificateDer<'static>,
}

fn ca(name: &str) -> CertifiedIssuer<'static, KeyPair> {
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("ca params");
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, "WinHTTP Tests");
    dn.push(DnType::CommonName, name);
    params.distinguished_name = dn;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
    CertifiedIssuer::self_signed(params, KeyPair::generate().expect("ca key")).expect("ca cert")
}

fn leaf(
    names: &[&str],
    issuer: &CertifiedIssuer<'static, KeyPair>,
    tweak: impl FnOnce(&mut CertificateParams),
) -> Leaf {
    let mut params =
        CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>()).expect("leaf params");
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, "WinHTTP Tests");
    dn.push(DnType::CommonName, names[0]);
    params.distinguished_name = dn;
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.not_before = rcgen::date_time_ymd(2024, 1, 1);
    params.not_after = rcgen::date_time_ymd(2045, 1, 1);
    tweak(&mut params);
    let key = KeyPair::generate().expect("leaf key");
    let cert = params.signed_by(&key, issuer).expect("leaf cert");
    Leaf {
        chain: vec![cert.der().clone()],
        key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    }
}

const NAMES: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

fn expired(p: &mut CertificateParams) {
    p.not_before = rcgen::date_time_ymd(2001, 1, 1);
    p.not_after = rcgen::date_time_ymd(2002, 1, 1);
}

impl Pki {
    pub fn generate() -> Pki {
        let dir = std::env::temp_dir().join(format!("winhttp-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("pki dir");
        let test_ca = ca("WinHTTP Test CA");
        let other_ca = ca("Nobody Trusts This CA");
        let client_ca = ca("WinHTTP Test Client CA");
        let good = leaf(&NAMES, &test_ca, |_| {});
        let client = leaf(&["winhttp-client"], &client_ca, |p| {
            p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        });
        let ca_file = dir.join("ca.pem");
        std::fs::write(&ca_file, test_ca.pem()).expect("write ca");
        let client_pem = dir.join("client.pem");
        std::fs::write(&client_pem, format!("{}{}", client.cert_pem, client.key_pem)).expect("write client pem");
        std::fs::write(dir.join("server.pem"), &good.cert_pem).expect("write server cert");
        std::fs::write(dir.join("server.key"), &good.key_pem).expect("write server key");
        std::fs::write(dir.join("big.bin"), (0..OPENSSL_FILE_SIZE).map(|i| (i % 251) as u8).collect::<Vec<_>>())
            .expect("write big.bin");
        std::fs::write(dir.join("hello.txt"), "Hello over OpenSSL\n").expect("write hello.txt");
        Pki {
            unknown_ca: leaf(&NAMES, &other_ca, |_| {}),
            expired: leaf(&NAMES, &test_ca, expired),
            wrong_name: leaf(&["wrong.example"], &test_ca, |_| {}),
            wrong_usage: leaf(&NAMES, &test_ca, |p| {
                p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
            }),
            expired_unknown_ca: leaf(&NAMES, &other_ca, expired),
            client_ca: client_ca.der().clone(),
            good,
            dir,
            ca_file,
            client_pem,
        }
    }
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A server configuration for `leaf` (HTTP/1.1 by ALPN), optionally TLS 1.2 only or requiring a
/// client certificate from `client_ca`.
pub fn server_config(
    leaf: &Leaf,
    tls12_only: bool,
    client_ca: Option<&CertificateDer<'static>>,
) -> Arc<rustls::ServerConfig> {
    let versions: &[&'static rustls::SupportedProtocolVersion] =
        if tls12_only { &[&rustls::version::TLS12] } else { rustls::DEFAULT_VERSIONS };
    let builder =
        rustls::ServerConfig::builder_with_provider(provider()).with_protocol_versions(versions).expect("versions");
    let builder = match client_ca {
        Some(ca) => {
            let mut roots = rustls::RootCertStore::empty();
            roots.add(ca.clone()).expect("client ca");
            let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider())
                .build()
                .expect("client verifier");
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let mut config = builder.with_single_cert(leaf.chain.clone(), leaf.key.clone_key()).expect("server cert");
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Arc::new(config)
}

/// Starts `openssl s_server -WWW` on `port` with the good certificate, serving the PKI directory.
/// Returns None when the command is missing or does not come up.
///
/// The server is started from a thread that lives as long as the process: on Linux it gets
/// `PR_SET_PDEATHSIG`, which fires when the *thread* that started it ends (a test thread would
/// take it down with it).
pub fn start_openssl(pki: &Pki, port: u16) -> Option<std::process::Child> {
    let dir = pki.dir.clone();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("openssl-s_server".into())
        .spawn(move || {
            let _ = tx.send(spawn_openssl(&dir, port));
            loop {
                std::thread::park();
            }
        })
        .ok()?;
    rx.recv().ok().flatten()
}

fn spawn_openssl(dir: &std::path::Path, port: u16) -> Option<std::process::Child> {
    use std::os::unix::process::CommandExt;
    let mut cmd = std::process::Command::new("openssl");
    cmd.current_dir(dir)
        .args(["s_server", "-quiet", "-WWW", "-accept"])
        .arg(format!("127.0.0.1:{port}"))
        .args(["-cert", "server.pem", "-key", "server.key"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    // SAFETY: prctl only, between fork and exec: the server dies with the test process.
    #[cfg(target_os = "linux")]
    unsafe {
        cmd.pre_exec(|| {
            libc_prctl_pdeathsig();
            Ok(())
        });
    }
    let child = cmd.spawn().ok()?;
    let until = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while std::time::Instant::now() < until {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Some(child);
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    None
}

#[cfg(target_os = "linux")]
fn libc_prctl_pdeathsig() {
    unsafe extern "C" {
        fn prctl(option: i32, arg2: u64, arg3: u64, arg4: u64, arg5: u64) -> i32;
    }
    const PR_SET_PDEATHSIG: i32 = 1;
    const SIGKILL: u64 = 9;
    // SAFETY: plain syscall wrapper with integer arguments.
    unsafe { prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) };
}
