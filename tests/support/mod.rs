//! Test servers for the C suite, started once per test process on 127.0.0.1 with ephemeral ports.
//!
//! They run on a tokio runtime owned by this module (two worker threads) and live until the test
//! process exits. [`servers()`] starts them on first use; [`env_vars()`] gives the environment each
//! C program gets:
//!
//! | variable | what listens there |
//! |---|---|
//! | `WINHTTP_TEST_PORT` | the HTTP/1.1 server (hyper), routes below |
//! | `WINHTTP_TEST_RAW_PORT` | the scripted raw-TCP fault server, routes below |
//! | `WINHTTP_TEST_CLOSED_PORT` | nothing: a port that was bound and released, so connecting is refused |
//! | `WINHTTP_TEST_AUTH_PROXY_PORT` | a tunnelling proxy (as the raw server's CONNECT) that answers 407 (`Proxy-Authenticate: Basic realm="proxy"`, `Connection: close`) unless the CONNECT carries `Proxy-Authorization: Basic dXNlcjpwd2Q=` (`user`/`pwd`) |
//! | `WINHTTP_TEST_HANGUP_PORT` | a listener that accepts each connection and closes it at once, reading nothing |
//! | `WINHTTP_TEST_BLACKHOLE_PORT` | a listener whose accept queue is full, so a connect's SYN goes unanswered (connect timeouts). Only set when that was verified to work here (Linux) |
//! | `WINHTTP_TEST_TLS_<NAME>_PORT` | the HTTPS servers of [`tls`] (`GOOD`, `UNKNOWN_CA`, `EXPIRED`, `WRONG_NAME`, `WRONG_USAGE`, `EXPIRED_UNKNOWN_CA`, `CLIENT_AUTH`, `TLS12`: the HTTP routes below over rustls; `OPENSSL`: `openssl s_server -WWW`, when available) |
//! | `SSL_CERT_FILE`, `SSL_CERT_DIR` | the test CA (the only trusted root) and an empty directory |
//! | `WINHTTP_TEST_CLIENT_PEM` | a client certificate and key (PEM) the `CLIENT_AUTH` server accepts |
//! | `WINHTTP_TEST_WS_PORT` | the WebSocket peer of [`ws`] (Python `websockets`, behaviour by path: `/echo`, `/ping`, `/fragments`, `/large?size=N`, `/server-close`, `/abort`, `/invalid?kind=K`, `/bad-handshake/K`; see `ws_server.py`). Unset when Python or the package is missing: a C test then skips |
//! | `WINHTTP_TEST_APACHE_PORT` | Apache httpd (when installed) with mod_auth_digest: `/digest/hello.txt` (`digest ok\n`) needs Digest for `user`/`pwd`, realm `winhttp` (see [`peers`]) |
//! | `WINHTTP_TEST_SQUID_PORT` | squid (when installed) as a forward proxy that wants Basic `user`/`pwd` (plain requests and CONNECT to any port) |
//! | `WINHTTP_TEST_SQUID_LOG` | squid's access log (a `CONNECT` line is written when its tunnel closes) |
//! | `WINHTTP_TEST_DIGEST_PORT` | `digest_server.py`: Digest MD5, SHA-256 and their `-sess` forms for `user`/`pwd`, a stale nonce on demand, checked with Python's hashlib; see that file. Only set when python3 is there |
//! | `WINHTTP_TEST_CODING_PORT` | `coding_server.py`: bodies in gzip, deflate, br, zstd (corrupt, truncated, a bomb) and cookie routes (set, echo, redirect, 401); see that file. Only set when python3 is there (br and zstd answer 501 without their Python modules) |
//! | `WINHTTP_TEST_NGINX_GZIP_PORT` | nginx (when installed) with `gzip on` for text: `/big.txt` (about 1 MiB of numbered lines) and `/small.txt`, compressed on the fly (chunked) when the request accepts gzip (see [`peers`]) |
//! | `WINHTTP_TEST_NTLM_PORT` | `ntlm_server.py`: connections authenticated with NTLM or Negotiate by pyspnego (user `CORP\\alice`, password `S3cret-p4ss`), as a server, a plain proxy (absolute-URI requests) and a CONNECT proxy tunnelling to `127.0.0.1` (knobs in the CONNECT's host name: `pad-N`, `close-after-407`, `drop-handshake`, `drop-after-N`); see that file. Only set when python3 and pyspnego are there |
//!
//! # HTTP server (`WINHTTP_TEST_PORT`)
//!
//! Every response carries `X-Conn-Id: N`, the number of the TCP connection the request arrived on
//! (accepted sockets are counted from 1); over TLS also `X-Tls-Resumed: 1` when the connection's
//! handshake resumed an earlier session (else `0`), `X-Tls-Sni` (the server name the client sent,
//! `-` for none) and `X-Tls-Alpn` (the protocol ALPN agreed on, `-` for none). Keep-alive is on; header names in requests reach the
//! handlers lower-cased (hyper), so use the raw server's `/raw/echo` to check exact request bytes.
//!
//! | route | response |
//! |---|---|
//! | `/hello` | 200, `Content-Type: text/plain`, `Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT`, three `X-Repeat` headers (`one`, `two`, `three`), body `Hello, world!` (13 bytes, Content-Length) |
//! | `/echo` | 200, text/plain: `METHOD path?query HTTP/1.1\n`, each header as `name: value\n` (names lower-case, in hyper's order), `\n`, then the body bytes as received (chunked framing removed) |
//! | `/upload` | reads the whole body and answers `<length> <FNV-1a 64-bit of the body, 16 lower-case hex digits>` |
//! | `/chunked` | chunked response of 5 chunks, 20 ms apart, each ending in `\n` (see [`http::CHUNKS`]) |
//! | `/len/N` | N bytes with Content-Length, byte i is `'a' + i % 26` |
//! | `/status/N` | status N; body `status N\n`, except 401 (`Unauthorized` with `WWW-Authenticate: Bearer`, `Basic realm="test"`, `Digest realm="test", nonce="abc"`), 204 and 304 (no body), 101 (as `/upgrade`) |
//! | `/head-len` | `Content-Length: 100` (100 pattern bytes for GET, none for HEAD) |
//! | `/redirect/N?to=URL&pad=M` | status N (301, 302, 303, 307, 308) with `Location: URL` (percent-decoded; default `/hello`); body `redirect\n`, or M bytes of pattern when `pad` is given |
//! | `/redirect-loop` | 302 to itself |
//! | `/redirect-chain/N` | 302 to `/redirect-chain/N-1`; `/redirect-chain/0` is 200 `chain end` |
//! | `/set-cookie?V` | 200 `set`, with `Set-Cookie: V` (the query, percent-decoded) |
//! | `/conn-id` | body: the connection number (decimal) |
//! | `/close` | `Connection: close`, body: the connection number; the server closes the connection after it |
//! | `/slow?ms=N` | waits N ms (default 2000) and then answers 200 `slow` |
//! | `/gather?n=N&key=K&ms=T` | held until N requests with key K have arrived, then all answered 200 `gathered` (after T ms, default 30000: `timed out`) |
//! | `/upgrade` | 101 Switching Protocols, `Upgrade: websocket`, `Connection: Upgrade`; the upgraded socket is then held (and drained) for up to 10 s |
//! | `/auth/basic?pad=N` | Basic for `user`/`pwd`: 200 `hello world`, else 401 `WWW-Authenticate: Basic realm="test"` (body `Unauthorized`, or N pattern bytes); `X-Auth-Seen`, `X-Proxy-Auth-Seen` (the values received, `-` for none) and `X-Body-Len` on every answer |
//! | `/auth/proxy-basic` | the same checked in `Proxy-Authorization`, as a proxy: 407 `Proxy-Authenticate: Basic realm="proxy"` |
//! | `/auth/count` | how many `/auth/basic` and `/auth/proxy-basic` requests arrived since the last `/auth/count` (which resets it) |
//! | anything else | 404 `not found` |
//!
//! # Raw fault server (`WINHTTP_TEST_RAW_PORT`)
//!
//! One request per connection. The server reads the request head (up to the blank line), picks a
//! script from the path of the request line, plays it and closes the connection. An absolute-form
//! request target (`GET http://any.host:port/raw/echo HTTP/1.1`) is routed by its path, so the
//! server also stands in for a plain-HTTP proxy (`/raw/echo` then shows the proxied request).
//!
//! | path | script |
//! |---|---|
//! | `CONNECT host:port` | tunnelling proxy: `200 Connection established`, then bytes relayed both ways; `403` when the target cannot be reached |
//! | `/raw/proxy-stats` | `tunnels N`: CONNECT tunnels opened so far |
//! | `/raw/early-401` | `401` with `Content-Length: 0` and keep-alive, sent before reading any body; then whatever arrives next on the connection is answered `200 desync: <bytes>` (a request sent there would have been read as the body's rest) |
//! | `/raw/echo...` (any path starting so) | 200 with `Connection: close`; the body is the request exactly as received: head bytes, then the body (per Content-Length, or up to and including the last chunk of a chunked body) |
//! | `/raw/no-status-line` | `this is not an HTTP response\r\n\r\n`, close |
//! | `/raw/bad-status` | `HTTP/1.1 abc OK\r\n\r\n`, close |
//! | `/raw/http09` | `<html>no head at all</html>` (no status line, no headers), close |
//! | `/raw/close-before-response` | close without sending a byte |
//! | `/raw/reason` | `HTTP/1.1 200 Everything Is Fine` with `Content-Length: 2`, `X-Multi: a`, `X-Multi: b`, body `ok` (exact head in [`raw::REASON_HEAD`]) |
//! | `/raw/set-cookie` | `200` with `Set-Cookie: id=raw-set-cookie-value; HttpOnly`, body `ok`, close (exact response in [`raw::SET_COOKIE_RESPONSE`]) |
//! | `/raw/passport` | `HTTP/1.1 302 Found` with `Content-Length: 0`, `Location: /`, `WWW-Authenticate: Passport1.4` (exact head in [`raw::PASSPORT_HEAD`]), close |
//! | `/raw/http10` | `HTTP/1.0 200 OK`, `Content-Length: 5`, body `hello` |
//! | `/raw/close-delimited` | `HTTP/1.1 200 OK` with neither Content-Length nor chunking, 128 pattern bytes, close |
//! | `/raw/chunked-trailers` | chunked `9\r\n123456789\r\n0\r\nX-Trailer: yes\r\n\r\n` |
//! | `/raw/truncated-length` | `Content-Length: 100`, 10 bytes, close |
//! | `/raw/truncated-chunked` | one 10-byte chunk, then close with no last chunk |
//! | `/raw/bad-chunk-size` | chunked, the first chunk-size line is `zz` |
//! | `/raw/reset-mid-body` | `Content-Length: 1000`, 100 bytes, then RST (SO_LINGER 0) |
//! | `/raw/reset-headers` | `HTTP/1.1 200 OK\r\nContent-` then RST |
//! | `/raw/reset-status-line` | `HTTP/1.1 20` then RST |
//! | `/raw/reset-chunk-header` | chunked, one 5-byte chunk, then `1` (half a chunk-size line) and RST |
//! | `/raw/chunk-size-overflow` | chunked, the first chunk size is `10000000000000000` (2^64) |
//! | `/raw/cl-te` | `Content-Length: 5` and `Transfer-Encoding: chunked`, chunked body `hello`; no `Connection: close` |
//! | `/raw/cl-te-smuggle` | as `/raw/cl-te`, then 50 ms later a second response (`Content-Length: 8`, `smuggled`) |
//! | `/raw/length-max` | `Content-Length: 18446744073709551615` (2^64-1), 10 bytes, close |
//! | `/raw/length-overflow` | `Content-Length: 18446744073709551616` (2^64), 10 bytes, close |
//! | `/raw/dup-cl-equal` | two `Content-Length: 5` headers, body `hello`; no `Connection: close` |
//! | `/raw/dup-cl-differ` | `Content-Length: 5` and `Content-Length: 6`, body `hello!` |
//! | `/raw/many-headers` | 100,000 header lines `X-H: v` (800 KB), `Content-Length: 0` |
//! | `/raw/redirect-loop` | 302 to itself, `Content-Length: 0`, `Connection: close` |
//! | `/raw/header-size/N` | 200 with one header `X-Big: ` + N × `a`, `Content-Length: 0` |
//! | `/raw/huge-header` | as `/raw/header-size/1048576` (1 MiB) |
//! | `/raw/slow-drip` | the response `HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello` one byte per second |
//! | `/raw/slow-body` | head at once (`Content-Length: 10`), then the body one byte per second |
//! | `/raw/never-answers` | reads and discards whatever comes, sends nothing, for up to 60 s |
//! | `/raw/close-mid-upload` | reads 64 KiB of the body, then RST |
//! | `/raw/stall-upload` | never reads the body (the client's sends block), RST after 60 s |
//! | anything else | 404 with `Connection: close` |

pub mod http;
pub mod peers;
pub mod raw;
pub mod tls;
pub mod ws;

#[cfg(test)]
mod selftest;

use std::net::{TcpListener as StdListener, TcpStream as StdStream};
use std::os::fd::AsRawFd;
use std::sync::OnceLock;
use std::time::Duration;

/// Where the test servers listen.
#[derive(Debug)]
pub struct Servers {
    /// The hyper HTTP/1.1 server.
    pub http_port: u16,
    /// The scripted raw-TCP fault server.
    pub raw_port: u16,
    /// A port nobody listens on.
    pub closed_port: u16,
    /// A listener that closes every connection as soon as it is accepted.
    pub hangup_port: u16,
    /// The tunnelling proxy that wants Basic credentials (`raw::serve_auth_proxy`).
    pub auth_proxy_port: u16,
    /// A port whose connects hang (accept queue full), when that works on this system.
    pub blackhole_port: Option<u16>,
    /// The TLS servers by name (see [`tls`]), `openssl` included when it came up.
    pub tls_ports: Vec<(&'static str, u16)>,
    /// The test PKI (trusted CA file, client certificate).
    pub pki: tls::Pki,
    /// Owns the server tasks; kept so the worker threads live as long as the process.
    _runtime: tokio::runtime::Runtime,
    /// `openssl s_server`, killed when this process exits.
    _openssl: Option<std::process::Child>,
    /// The NTLM server (`ntlm_server.py`, pyspnego) and its port; it exits when its standard
    /// input (held here) closes with this process. `None` without python3 or pyspnego.
    pub ntlm: Option<(u16, std::process::Child)>,
    /// Apache httpd with mod_auth_digest and squid with Basic proxy auth ([`peers`]), when installed.
    pub apache: Option<(u16, std::process::Child)>,
    /// `digest_server.py` (Digest corner cases checked with hashlib), when python3 is there.
    pub digest: Option<(u16, std::process::Child)>,
    /// `coding_server.py` (content codings and cookies), when python3 is there.
    pub coding: Option<(u16, std::process::Child)>,
    pub squid: Option<(u16, std::process::Child)>,
    /// nginx with `gzip on` ([`peers::nginx_gzip`]), when installed.
    pub nginx_gzip: Option<(u16, std::process::Child)>,
    /// nginx with HTTP/2 over TLS in front of the HTTP/1.1 server ([`peers::nginx`]), and its access log.
    pub nginx: Option<(u16, std::process::Child, std::path::PathBuf)>,
    /// `h2_server.py` (Python's h2: small SETTINGS, GOAWAY, RST_STREAM), when python3 has `h2`.
    pub h2: Option<(u16, std::process::Child)>,
    /// `h2_burst_server.py` (SETTINGS 300 ms late, nginx's refusals), when python3 has `h2`.
    pub h2_burst: Option<(u16, std::process::Child)>,
    /// Keeps the blackhole listener and the connections that fill its queue alive.
    _blackhole: Option<(StdListener, Vec<StdStream>)>,
}

static SERVERS: OnceLock<Servers> = OnceLock::new();

/// Starts the servers on first call and returns where they listen.
pub fn servers() -> &'static Servers {
    SERVERS.get_or_init(start)
}

/// The environment variables that tell a C program where the servers are.
pub fn env_vars() -> Vec<(String, String)> {
    let s = servers();
    let mut v = vec![
        ("WINHTTP_TEST_PORT".to_string(), s.http_port.to_string()),
        ("WINHTTP_TEST_RAW_PORT".to_string(), s.raw_port.to_string()),
        ("WINHTTP_TEST_CLOSED_PORT".to_string(), s.closed_port.to_string()),
        ("WINHTTP_TEST_HANGUP_PORT".to_string(), s.hangup_port.to_string()),
        ("WINHTTP_TEST_AUTH_PROXY_PORT".to_string(), s.auth_proxy_port.to_string()),
    ];
    if let Some(p) = s.blackhole_port {
        v.push(("WINHTTP_TEST_BLACKHOLE_PORT".to_string(), p.to_string()));
    }
    for (name, port) in &s.tls_ports {
        v.push((format!("WINHTTP_TEST_TLS_{}_PORT", name.to_ascii_uppercase()), port.to_string()));
    }
    // The client trusts the test CA and nothing else.
    let empty_dir = s.pki.dir.join("no-certs");
    let _ = std::fs::create_dir_all(&empty_dir);
    v.push(("SSL_CERT_FILE".to_string(), s.pki.ca_file.display().to_string()));
    v.push(("SSL_CERT_DIR".to_string(), empty_dir.display().to_string()));
    v.push(("WINHTTP_TEST_CLIENT_PEM".to_string(), s.pki.client_pem.display().to_string()));
    if let Ok(ws) = ws::server() {
        v.push(("WINHTTP_TEST_WS_PORT".to_string(), ws.port.to_string()));
    }
    if let Ok(wss) = ws::tls_server(&s.pki.dir) {
        v.push(("WINHTTP_TEST_WSS_PORT".to_string(), wss.port.to_string()));
    }
    if let Some((port, _)) = &s.ntlm {
        v.push(("WINHTTP_TEST_NTLM_PORT".to_string(), port.to_string()));
    }
    if let Some((port, _)) = &s.digest {
        v.push(("WINHTTP_TEST_DIGEST_PORT".to_string(), port.to_string()));
    }
    if let Some((port, _)) = &s.coding {
        v.push(("WINHTTP_TEST_CODING_PORT".to_string(), port.to_string()));
    }
    if let Some((port, _)) = &s.apache {
        v.push(("WINHTTP_TEST_APACHE_PORT".to_string(), port.to_string()));
    }
    if let Some((port, _)) = &s.nginx_gzip {
        v.push(("WINHTTP_TEST_NGINX_GZIP_PORT".to_string(), port.to_string()));
    }
    if let Some((port, _, log)) = &s.nginx {
        v.push(("WINHTTP_TEST_NGINX_H2_PORT".to_string(), port.to_string()));
        v.push(("WINHTTP_TEST_NGINX_LOG".to_string(), log.display().to_string()));
    }
    if let Some((port, _)) = &s.h2 {
        v.push(("WINHTTP_TEST_H2_EDGE_PORT".to_string(), port.to_string()));
    }
    if let Some((port, _)) = &s.h2_burst {
        v.push(("WINHTTP_TEST_H2_BURST_PORT".to_string(), port.to_string()));
    }
    if let Some((port, _)) = &s.squid {
        v.push(("WINHTTP_TEST_SQUID_PORT".to_string(), port.to_string()));
        v.push(("WINHTTP_TEST_SQUID_LOG".to_string(), s.pki.dir.join("squid/access.log").display().to_string()));
    }
    v
}

/// The user the NTLM server knows.
pub const NTLM_USERS: &str = "CORP:alice:S3cret-p4ss\n";

/// Starts `ntlm_server.py`; `None` (with the reason on stderr) when python3 or pyspnego is missing.
fn start_ntlm(dir: &std::path::Path) -> Option<(u16, std::process::Child)> {
    let users = dir.join("ntlm-users");
    std::fs::write(&users, NTLM_USERS).ok()?;
    start_python("ntlm_server.py", &[("NTLM_USER_FILE", &users)])
}

/// Starts one of the Python servers of this directory, which prints `PORT <n>` when it listens
/// and exits when its standard input (held by the returned child) closes.
fn start_python(name: &str, env: &[(&str, &std::path::Path)]) -> Option<(u16, std::process::Child)> {
    use std::io::BufRead;
    use std::process::{Command, Stdio};
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support").join(name);
    let mut child = match Command::new("python3")
        .arg(script)
        .envs(env.iter().map(|(k, v)| (*k, *v)))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{name} not started: python3: {e}");
            return None;
        }
    };
    let mut first = String::new();
    let _ = std::io::BufReader::new(child.stdout.take()?).read_line(&mut first);
    match first.trim().strip_prefix("PORT ").and_then(|p| p.parse().ok()) {
        Some(port) => Some((port, child)),
        None => {
            eprintln!("{name} not started: {}", first.trim());
            let _ = child.kill();
            let _ = child.wait();
            None
        }
    }
}

fn start() -> Servers {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("winhttp-test-server")
        .enable_all()
        .build()
        .expect("tokio runtime");
    let pki = tls::Pki::generate();
    let tls_servers = [
        ("good", tls::server_config(&pki.good, false, None)),
        ("unknown_ca", tls::server_config(&pki.unknown_ca, false, None)),
        ("expired", tls::server_config(&pki.expired, false, None)),
        ("wrong_name", tls::server_config(&pki.wrong_name, false, None)),
        ("wrong_usage", tls::server_config(&pki.wrong_usage, false, None)),
        ("expired_unknown_ca", tls::server_config(&pki.expired_unknown_ca, false, None)),
        ("client_auth", tls::server_config(&pki.good, false, Some(&pki.client_ca))),
        ("tls12", tls::server_config(&pki.good, true, None)),
    ];
    let (http_port, raw_port, hangup_port, auth_proxy_port, mut tls_ports) = runtime.block_on(async {
        let http = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind http server");
        let raw = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind raw server");
        let hangup = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind hangup server");
        let ports =
            (http.local_addr().unwrap().port(), raw.local_addr().unwrap().port(), hangup.local_addr().unwrap().port());
        tokio::spawn(http::serve(http));
        tokio::spawn(raw::serve(raw));
        tokio::spawn(raw::hang_up(hangup));
        let auth_proxy = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind auth proxy");
        let auth_proxy_port = auth_proxy.local_addr().unwrap().port();
        tokio::spawn(raw::serve_auth_proxy(auth_proxy));
        let mut tls_ports = Vec::new();
        for (name, config) in tls_servers {
            let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind tls server");
            tls_ports.push((name, l.local_addr().unwrap().port()));
            tokio::spawn(http::serve_tls(l, tokio_rustls::TlsAcceptor::from(config)));
        }
        (ports.0, ports.1, ports.2, auth_proxy_port, tls_ports)
    });
    let openssl_port = {
        let l = StdListener::bind("127.0.0.1:0").expect("bind openssl port");
        l.local_addr().unwrap().port()
    };
    let openssl = tls::start_openssl(&pki, openssl_port);
    if openssl.is_some() {
        tls_ports.push(("openssl", openssl_port));
    }
    // The servers that pick a free port and bind it later come up before the closed port is
    // chosen, so none of them can end up listening on it.
    let ntlm = start_ntlm(&pki.dir);
    let digest = start_python("digest_server.py", &[]);
    let coding = start_python("coding_server.py", &[("CODING_SERVER_STDIN_EXIT", std::path::Path::new("1"))]);
    let apache = peers::apache(&pki.dir);
    let squid = peers::squid(&pki.dir);
    let nginx_gzip = peers::nginx_gzip(&pki.dir);
    let nginx = peers::nginx(&pki.dir, http_port);
    let h2 = start_python(
        "h2_server.py",
        &[("H2_CERT", &pki.dir.join("server.pem")), ("H2_KEY", &pki.dir.join("server.key"))],
    );
    let h2_burst = start_python(
        "h2_burst_server.py",
        &[("H2_CERT", &pki.dir.join("server.pem")), ("H2_KEY", &pki.dir.join("server.key"))],
    );
    let closed_port = {
        let l = StdListener::bind("127.0.0.1:0").expect("bind closed port");
        l.local_addr().unwrap().port()
    };
    let blackhole = blackhole();
    Servers {
        ntlm,
        digest,
        coding,
        apache,
        squid,
        nginx_gzip,
        nginx,
        h2,
        h2_burst,
        http_port,
        raw_port,
        closed_port,
        hangup_port,
        auth_proxy_port,
        blackhole_port: blackhole.as_ref().map(|(l, _)| l.local_addr().unwrap().port()),
        tls_ports,
        pki,
        _runtime: runtime,
        _openssl: openssl,
        _blackhole: blackhole,
    }
}

/// A listener with a backlog of 0 that never accepts; once its queue is full the kernel drops
/// further SYNs, so connecting hangs until the client's connect timeout. Returns None unless a
/// probe connect really did time out.
fn blackhole() -> Option<(StdListener, Vec<StdStream>)> {
    if !cfg!(target_os = "linux") {
        return None;
    }
    let listener = StdListener::bind("127.0.0.1:0").ok()?;
    // Linux lets listen(2) be called again on a listening socket to change its backlog.
    // SAFETY: listen(2) on a valid socket descriptor that `listener` owns.
    if unsafe { listen(listener.as_raw_fd(), 0) } != 0 {
        return None;
    }
    let target = listener.local_addr().ok()?;
    let mut fillers = Vec::new();
    for _ in 0..8 {
        match StdStream::connect_timeout(&target, Duration::from_millis(300)) {
            Ok(s) => fillers.push(s),
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => return Some((listener, fillers)),
            Err(_) => return None,
        }
    }
    None
}

unsafe extern "C" {
    fn listen(fd: i32, backlog: i32) -> i32;
}
