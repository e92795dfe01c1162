//! Negotiate against a real MIT Kerberos KDC: the test creates a throwaway realm in a temporary
//! directory (`kdb5_util`, `kadmin.local`), starts `krb5kdc` on a free loopback port, gets a
//! ticket with `kinit`, and then our `engine::transport::gssapi::GssNegotiate` (the system GSS-API library,
//! loaded with dlopen) makes the Negotiate token for `HTTP@localhost`, which python-gssapi as the
//! acceptor, holding the service's keytab, must accept for the right user. Skips with a message
//! where the Kerberos tools, python3-gssapi or the library are missing (`.ci/run` installs them).
//!
//! Then the same through the exported functions: a small HTTP server wanting Negotiate, whose
//! challenge the engine answers with the default credentials (the autologon policy's default lets
//! it for `localhost`), and leaves to the caller with the policy at HIGH; and with an explicit
//! principal name and password given to `WinHttpSetCredentials` (`gss_acquire_cred_with_password`
//! for a user with no ticket in the cache); and the server standing in for a proxy, whose 407 the
//! default credentials answer for the proxy's own service name.
//!
//! Everything runs in one test function: the Kerberos environment variables are process-wide.

use base64::Engine;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use winhttp::engine::transport::gssapi::{GssNegotiate, Gssapi};
use winhttp::proto::auth::{AuthError, Mechanism};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;
const REALM: &str = "WINHTTP.TEST";

fn find(tool: &str) -> Option<PathBuf> {
    ["/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin", "/opt/homebrew/opt/krb5/sbin"]
        .iter()
        .map(|d| Path::new(d).join(tool))
        .find(|p| p.exists())
}

struct Kdc {
    dir: PathBuf,
    kdc: Option<Child>,
}

impl Drop for Kdc {
    fn drop(&mut self) {
        if let Some(mut c) = self.kdc.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        if std::env::var_os("WINHTTP_KEEP_KRB5").is_none() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn run(cmd: &mut Command, what: &str) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Creates the realm, starts the KDC and gets alice's ticket. Sets the process's Kerberos
/// environment.
fn realm(tools: &[PathBuf; 4]) -> Kdc {
    let [kdb5_util, kadmin, krb5kdc, kinit] = tools;
    let dir = std::env::temp_dir().join(format!("winhttp-krb5-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let port = free_port();
    let d = dir.display();
    std::fs::write(
        dir.join("krb5.conf"),
        format!(
            "[libdefaults]\n default_realm = {REALM}\n dns_lookup_kdc = false\n dns_lookup_realm = false\n \
             dns_canonicalize_hostname = false\n rdns = false\n udp_preference_limit = 1\n\
             [realms]\n {REALM} = {{\n  kdc = 127.0.0.1:{port}\n }}\n\
             [domain_realm]\n localhost = {REALM}\n"
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("kdc.conf"),
        format!(
            "[kdcdefaults]\n kdc_listen = 127.0.0.1:{port}\n kdc_tcp_listen = 127.0.0.1:{port}\n\
             [realms]\n {REALM} = {{\n  database_name = {d}/principal\n  key_stash_file = {d}/stash\n  \
             acl_file = {d}/kadm5.acl\n  kdc_listen = 127.0.0.1:{port}\n  kdc_tcp_listen = 127.0.0.1:{port}\n }}\n\
             [logging]\n kdc = FILE:{d}/kdc.log\n"
        ),
    )
    .unwrap();
    std::fs::write(dir.join("kadm5.acl"), "").unwrap();
    // SAFETY: set before any thread of this test binary uses Kerberos (one test function only).
    unsafe {
        std::env::set_var("KRB5_CONFIG", dir.join("krb5.conf"));
        std::env::set_var("KRB5_KDC_PROFILE", dir.join("kdc.conf"));
        std::env::set_var("KRB5CCNAME", format!("FILE:{d}/ccache"));
        std::env::set_var("KRB5_KTNAME", format!("FILE:{d}/http.keytab"));
        std::env::set_var("KRB5RCACHETYPE", "none");
    }
    let mut kdc = Kdc { dir: dir.clone(), kdc: None };
    run(Command::new(kdb5_util).args(["create", "-s", "-r", REALM, "-P", "master-pw-123"]), "kdb5_util create");
    for q in [
        format!("addprinc -pw alice-pw-123 alice@{REALM}"),
        format!("addprinc -pw bob-pw-456 bob@{REALM}"),
        format!("addprinc -randkey HTTP/localhost@{REALM}"),
        format!("ktadd -k {d}/http.keytab HTTP/localhost@{REALM}"),
    ] {
        run(Command::new(kadmin).args(["-r", REALM, "-q", &q]), &q);
    }
    kdc.kdc = Some(
        Command::new(krb5kdc)
            .args(["-n", "-r", REALM, "-P"])
            .arg(dir.join("kdc.pid"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("krb5kdc"),
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "krb5kdc did not listen on {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut k = Command::new(kinit).arg(format!("alice@{REALM}")).stdin(Stdio::piped()).spawn().unwrap();
    k.stdin.take().unwrap().write_all(b"alice-pw-123\n").unwrap();
    assert!(k.wait().unwrap().success(), "kinit failed");
    kdc
}

struct Acceptor {
    child: Child,
    out: BufReader<std::process::ChildStdout>,
}

impl Acceptor {
    fn start() -> Result<Acceptor, String> {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/gss_acceptor.py");
        let mut child = Command::new("/usr/bin/python3")
            .arg(script)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("/usr/bin/python3: {e}"))?;
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        out.read_line(&mut first).unwrap();
        if first.trim() != "READY" {
            let _ = child.wait();
            return Err(first.trim().to_string());
        }
        Ok(Acceptor { child, out })
    }

    /// (token back, complete, initiator) or the acceptor's error.
    fn accept(&mut self, token: &[u8]) -> Result<(Option<Vec<u8>>, bool, String), String> {
        let stdin = self.child.stdin.as_mut().unwrap();
        writeln!(stdin, "{}", B64.encode(token)).unwrap();
        stdin.flush().unwrap();
        let mut line = String::new();
        self.out.read_line(&mut line).unwrap();
        let p: Vec<&str> = line.split_whitespace().collect();
        if p.first() != Some(&"OK") {
            return Err(line.trim().to_string());
        }
        Ok(((p[1] != "-").then(|| B64.decode(p[1]).unwrap()), p[2] == "1", p[3].to_string()))
    }
}

impl Drop for Acceptor {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn negotiate_against_a_real_kdc() {
    let names = ["kdb5_util", "kadmin.local", "krb5kdc", "kinit"];
    let found: Vec<Option<PathBuf>> = names.iter().map(|n| find(n)).collect();
    if let Some(i) = found.iter().position(Option::is_none) {
        eprintln!(
            "SKIP negotiate_against_a_real_kdc: {} not installed (apt-get install krb5-kdc krb5-admin-server krb5-user)",
            names[i]
        );
        return;
    }
    if let Err(e) = Gssapi::get() {
        eprintln!("SKIP negotiate_against_a_real_kdc: {e}");
        return;
    }
    let tools: [PathBuf; 4] = found.into_iter().map(Option::unwrap).collect::<Vec<_>>().try_into().unwrap();
    let _kdc = realm(&tools);
    let mut acceptor = match Acceptor::start() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("SKIP negotiate_against_a_real_kdc: acceptor unavailable: {e}");
            return;
        }
    };

    // The right service: accepted as alice, and the server's reply completes our context.
    let mut m = GssNegotiate::new("localhost").unwrap();
    let token = m.start().unwrap();
    assert_eq!(token[0], 0x60, "a SPNEGO initial token");
    let (reply, complete, who) = acceptor.accept(&token).expect("the acceptor refused our Kerberos token");
    assert!(complete);
    assert_eq!(who, format!("alice@{REALM}"));
    let reply = reply.expect("mutual authentication: the acceptor answers");
    assert_eq!(m.step(&reply).unwrap(), None);
    assert!(m.done());

    // A service the KDC does not know: no token, a clear error.
    let mut m = GssNegotiate::new("unknown-host.winhttp.test").unwrap();
    match m.start() {
        Err(AuthError::Failed(t) | AuthError::Unsupported(t)) => {
            assert!(t.contains("not found") || t.contains("unknown") || t.contains("Server"), "{t}")
        }
        other => panic!("a token for an unknown service: {other:?}"),
    }

    // An explicit user name and password (WinHttpSetCredentials): bob has no ticket in the cache;
    // gss_acquire_cred_with_password gets his from the KDC, and the acceptor sees bob.
    let lib = Gssapi::get().unwrap();
    let mut m = GssNegotiate::with_password(lib, "localhost", &format!("bob@{REALM}"), "bob-pw-456")
        .expect("credentials from bob's password");
    let token = m.start().unwrap();
    // One context per acceptor.
    let mut acceptor = Acceptor::start().unwrap();
    let (reply, complete, who) = acceptor.accept(&token).expect("the acceptor refused bob's Kerberos token");
    assert!(complete);
    assert_eq!(who, format!("bob@{REALM}"));
    assert_eq!(m.step(&reply.expect("mutual authentication")).unwrap(), None);
    // A wrong password: the KDC refuses, a clear error (the engine then falls back to NTLM).
    match GssNegotiate::with_password(lib, "localhost", &format!("bob@{REALM}"), "wrong") {
        Err(AuthError::Failed(t) | AuthError::Unsupported(t)) => {
            assert!(t.starts_with("gss_acquire_cred_with_password: "), "{t}")
        }
        Ok(_) => panic!("credentials from a wrong password"),
        Err(e) => panic!("{e:?}"),
    }

    // A token the acceptor did not make: refused, not a crash.
    let mut m = GssNegotiate::new("localhost").unwrap();
    m.start().unwrap();
    assert!(m.step(b"\xa1\x03\x30\x01\x00").is_err());

    through_the_engine();
}

/// A keep-alive HTTP server on 127.0.0.1 that wants Negotiate: 401 `WWW-Authenticate: Negotiate`
/// without a token; a token goes to a new acceptor; accepted, the answer is 200 `ok <initiator>`
/// with the acceptor's reply (mutual authentication). Returns its port.
fn negotiate_server() -> u16 {
    use std::io::Read;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            std::thread::spawn(move || {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                loop {
                    let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
                        match s.read(&mut chunk) {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                        continue;
                    };
                    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
                    buf.drain(..end + 4);
                    // An absolute-URI request: the server stands in for a proxy (407, Proxy-*).
                    let proxied =
                        head.lines().next().and_then(|l| l.split(' ').nth(1)).is_some_and(|t| t.starts_with("http://"));
                    let (asked, offered, refused) = if proxied {
                        ("proxy-authorization", "Proxy-Authenticate", "407 Proxy Authentication Required")
                    } else {
                        ("authorization", "WWW-Authenticate", "401 Unauthorized")
                    };
                    let token = head.lines().find_map(|l| {
                        let (n, v) = l.split_once(':')?;
                        n.eq_ignore_ascii_case(asked)
                            .then(|| v.trim().strip_prefix("Negotiate ").map(str::to_string))?
                    });
                    let answer = match token
                        .map(|t| Acceptor::start().and_then(|mut a| a.accept(&B64.decode(t).unwrap_or_default())))
                    {
                        Some(Ok((reply, true, who))) => {
                            let mutual = reply
                                .map(|r| format!("{offered}: Negotiate {}\r\n", B64.encode(r)))
                                .unwrap_or_default();
                            // A PAC script for `*.pac` paths (fAutoLogonIfChallenged), else who it was.
                            let pac = head
                                .lines()
                                .next()
                                .and_then(|l| l.split(' ').nth(1))
                                .is_some_and(|p| p.split('?').next().is_some_and(|p| p.ends_with(".pac")));
                            let body = if pac {
                                "function FindProxyForURL(url, host) { return \"PROXY kerberos-pac.test:8080\"; }"
                                    .to_string()
                            } else {
                                format!("ok {who}")
                            };
                            format!("HTTP/1.1 200 OK\r\n{mutual}Content-Length: {}\r\n\r\n{body}", body.len())
                        }
                        _ => format!("HTTP/1.1 {refused}\r\n{offered}: Negotiate\r\nContent-Length: 0\r\n\r\n"),
                    };
                    if s.write_all(answer.as_bytes()).is_err() {
                        return;
                    }
                }
            });
        }
    });
    port
}

/// The engine answers a Negotiate challenge from `localhost` (an intranet name) with the default
/// credentials (alice's ticket), as `WINHTTP_OPTION_AUTOLOGON_POLICY`'s default allows, through the
/// exported functions; with the policy at HIGH the 401 is the caller's.
fn through_the_engine() {
    use winhttp::abi::*;
    use winhttp::ffi::{headers::WinHttpQueryHeaders, options::WinHttpSetOption, request::*, session::*};
    let port = negotiate_server();
    let w = |s: &str| -> Vec<WCHAR> { s.chars().map(|c| c as WCHAR).chain([0]).collect() };
    let (agent, host, verb, path) = (w("kerberos-test"), w("localhost"), w("GET"), w("/"));
    // SAFETY: the exported functions with valid NUL-terminated strings and buffers that outlive each call.
    unsafe {
        let ses = WinHttpOpen(agent.as_ptr(), WINHTTP_ACCESS_TYPE_NO_PROXY, core::ptr::null(), core::ptr::null(), 0);
        assert!(!ses.is_null());
        let con = WinHttpConnect(ses, host.as_ptr(), port, 0);
        assert!(!con.is_null());
        for (policy, want) in [(None, 200), (Some(WINHTTP_AUTOLOGON_SECURITY_LEVEL_HIGH), 401)] {
            let req = WinHttpOpenRequest(
                con,
                verb.as_ptr(),
                path.as_ptr(),
                core::ptr::null(),
                core::ptr::null(),
                core::ptr::null_mut(),
                0,
            );
            assert!(!req.is_null());
            if let Some(mut p) = policy {
                assert_eq!(WinHttpSetOption(req, WINHTTP_OPTION_AUTOLOGON_POLICY, (&raw mut p).cast(), 4), 1);
            }
            assert_eq!(WinHttpSendRequest(req, core::ptr::null(), 0, core::ptr::null_mut(), 0, 0, 0), 1);
            assert_eq!(WinHttpReceiveResponse(req, core::ptr::null_mut()), 1);
            let (mut status, mut size) = (0u32, 4u32);
            let flags = WINHTTP_QUERY_STATUS_CODE | WINHTTP_QUERY_FLAG_NUMBER;
            assert_eq!(
                WinHttpQueryHeaders(
                    req,
                    flags,
                    core::ptr::null(),
                    (&raw mut status).cast(),
                    &mut size,
                    core::ptr::null_mut()
                ),
                1
            );
            assert_eq!(status, want, "policy {policy:?}");
            let mut body = [0u8; 256];
            let mut got = 0u32;
            assert_eq!(WinHttpReadData(req, body.as_mut_ptr().cast(), 256, &mut got), 1);
            if want == 200 {
                assert_eq!(&body[..got as usize], format!("ok alice@{REALM}").as_bytes());
            }
            WinHttpCloseHandle(req);
        }
        // WinHttpSetCredentials(NEGOTIATE) with a principal name and its password, the autologon
        // policy at HIGH (the default credentials, alice's ticket, are not used): Kerberos as bob;
        // with a wrong password, Negotiate falls back to NTLM, which this server cannot take: its
        // 401 comes back, after one more leg, no loop.
        use winhttp::ffi::auth::WinHttpSetCredentials;
        let bob = w(&format!("bob@{REALM}"));
        for (password, want) in [("bob-pw-456", 200), ("wrong", 401)] {
            let req = WinHttpOpenRequest(
                con,
                verb.as_ptr(),
                path.as_ptr(),
                core::ptr::null(),
                core::ptr::null(),
                core::ptr::null_mut(),
                0,
            );
            assert!(!req.is_null());
            let mut p = WINHTTP_AUTOLOGON_SECURITY_LEVEL_HIGH;
            assert_eq!(WinHttpSetOption(req, WINHTTP_OPTION_AUTOLOGON_POLICY, (&raw mut p).cast(), 4), 1);
            let pw = w(password);
            let scheme = WINHTTP_AUTH_SCHEME_NEGOTIATE;
            let target = WINHTTP_AUTH_TARGET_SERVER;
            let set = WinHttpSetCredentials(req, target, scheme, bob.as_ptr(), pw.as_ptr(), core::ptr::null_mut());
            assert_eq!(set, 1);
            assert_eq!(WinHttpSendRequest(req, core::ptr::null(), 0, core::ptr::null_mut(), 0, 0, 0), 1);
            assert_eq!(WinHttpReceiveResponse(req, core::ptr::null_mut()), 1);
            let (mut status, mut size) = (0u32, 4u32);
            let flags = WINHTTP_QUERY_STATUS_CODE | WINHTTP_QUERY_FLAG_NUMBER;
            let null = core::ptr::null();
            assert_eq!(
                WinHttpQueryHeaders(req, flags, null, (&raw mut status).cast(), &mut size, core::ptr::null_mut()),
                1
            );
            assert_eq!(status, want, "password {password}");
            let mut body = [0u8; 256];
            let mut got = 0u32;
            assert_eq!(WinHttpReadData(req, body.as_mut_ptr().cast(), 256, &mut got), 1);
            if want == 200 {
                assert_eq!(&body[..got as usize], format!("ok bob@{REALM}").as_bytes());
            }
            WinHttpCloseHandle(req);
        }
        WinHttpCloseHandle(con);
        // The same server as a proxy (named `localhost`): its 407 is answered with the default
        // credentials for the proxy's service, HTTP/localhost (not the origin's name).
        let proxy = w(&format!("localhost:{port}"));
        let pses = WinHttpOpen(agent.as_ptr(), WINHTTP_ACCESS_TYPE_NAMED_PROXY, proxy.as_ptr(), core::ptr::null(), 0);
        assert!(!pses.is_null());
        let origin = w("origin.winhttp.test");
        let pcon = WinHttpConnect(pses, origin.as_ptr(), 80, 0);
        let req = WinHttpOpenRequest(
            pcon,
            verb.as_ptr(),
            path.as_ptr(),
            core::ptr::null(),
            core::ptr::null(),
            core::ptr::null_mut(),
            0,
        );
        assert!(!req.is_null());
        assert_eq!(WinHttpSendRequest(req, core::ptr::null(), 0, core::ptr::null_mut(), 0, 0, 0), 1);
        assert_eq!(WinHttpReceiveResponse(req, core::ptr::null_mut()), 1);
        let (mut status, mut size) = (0u32, 4u32);
        let flags = WINHTTP_QUERY_STATUS_CODE | WINHTTP_QUERY_FLAG_NUMBER;
        let null = core::ptr::null();
        assert_eq!(
            WinHttpQueryHeaders(req, flags, null, (&raw mut status).cast(), &mut size, core::ptr::null_mut()),
            1
        );
        assert_eq!(status, 200, "Kerberos to the proxy");
        let mut body = [0u8; 256];
        let mut got = 0u32;
        assert_eq!(WinHttpReadData(req, body.as_mut_ptr().cast(), 256, &mut got), 1);
        assert_eq!(&body[..got as usize], format!("ok alice@{REALM}").as_bytes());
        WinHttpCloseHandle(req);
        WinHttpCloseHandle(pcon);
        WinHttpCloseHandle(pses);
        // WinHttpGetProxyForUrl with a PAC URL behind Negotiate: fAutoLogonIfChallenged FALSE sends
        // no credentials (the download fails), TRUE answers with the default credentials (the
        // ticket). Different URLs: a script, once downloaded, is cached per URL.
        use winhttp::ffi::memory::GlobalFree;
        use winhttp::ffi::resolver::WinHttpGetProxyForUrl;
        let target = w("http://www.example.test/");
        for (auto_logon, query, want) in [(0, "a", None), (1, "b", Some("kerberos-pac.test:8080"))] {
            let pac_url = w(&format!("http://localhost:{port}/proxy.pac?{query}"));
            let mut opts: WINHTTP_AUTOPROXY_OPTIONS = core::mem::zeroed();
            opts.dwFlags = WINHTTP_AUTOPROXY_CONFIG_URL;
            opts.lpszAutoConfigUrl = pac_url.as_ptr();
            opts.fAutoLogonIfChallenged = auto_logon;
            let mut info: WINHTTP_PROXY_INFO = core::mem::zeroed();
            let ok = WinHttpGetProxyForUrl(ses, target.as_ptr(), &mut opts, &mut info);
            match want {
                None => {
                    assert_eq!(ok, 0, "downloaded without credentials");
                    assert_eq!(winhttp::ffi::error::get(), ERROR_WINHTTP_UNABLE_TO_DOWNLOAD_SCRIPT);
                }
                Some(proxy) => {
                    assert_eq!(ok, 1, "error {}", winhttp::ffi::error::get());
                    let got: String = (0..)
                        .map(|i| *info.lpszProxy.add(i))
                        .take_while(|&c| c != 0)
                        .map(|c| char::from_u32(c as u32).unwrap_or('?'))
                        .collect();
                    assert_eq!(got, proxy);
                    GlobalFree(info.lpszProxy.cast());
                    if !info.lpszProxyBypass.is_null() {
                        GlobalFree(info.lpszProxyBypass.cast());
                    }
                }
            }
        }
        WinHttpCloseHandle(ses);
    }
}
