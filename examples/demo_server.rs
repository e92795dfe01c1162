//! A small HTTP/1.1 server for the C examples (`examples/get.c`, `examples/put.c`); `ci/demo.sh` runs them against it.
//!
//! ```sh
//! cargo run --example demo_server [PORT]     # PORT 0 or none: an ephemeral port
//! ```
//!
//! It listens on 127.0.0.1 and prints `listening 127.0.0.1:PORT` as its first line on stdout (flushed). It also
//! serves the same routes over HTTPS on a second, ephemeral port, with a certificate for `localhost` and
//! `127.0.0.1` signed by a CA it makes at start-up: the second line is `listening-tls 127.0.0.1:PORT CA_FILE`,
//! where CA_FILE is the CA certificate (PEM) a client must be told to trust (for example through
//! `SSL_CERT_FILE`). Then one line per request.
//!
//! | route | answer |
//! |---|---|
//! | `GET /hello` (and `HEAD`) | 200, `text/plain` body `Hello from the demo server!`, plus `Cache-Control` and `X-Demo` headers |
//! | `PUT /upload` (or `POST`) | reads the whole body; 200, `received N bytes` and, up to 1 KiB, the bytes themselves |
//! | `/upload` with another method | 405 with `Allow: PUT, POST` |
//! | `GET /bytes/N` | 200, N bytes (at most 256 MiB) of `x`, for the progress bar of `examples/winhttp_fetch.c` |
//! | `GET /proxy.pac` | a proxy auto-config script: hosts under `.demo.example` go through this server as their proxy (`PROXY` + the `Host` the script was fetched with), the rest `DIRECT` |
//! | anything else | 404 |
//!
//! Stopping: SIGTERM or SIGINT. Both are blocked in every thread and taken by `sigwait` in the main thread, which
//! then shuts the server down and exits with status 0. Nothing else stops it: stdin is not read, so the server can
//! run in the background of a script (whose background jobs get `/dev/null` as stdin).

use std::convert::Infallible;
use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::{ALLOW, CACHE_CONTROL, CONTENT_TYPE, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// The body of `/hello`.
const HELLO: &str = "Hello from the demo server!\n";

/// Uploads up to this size are echoed back.
const ECHO_LIMIT: usize = 1024;

fn main() {
    let port = match std::env::args().nth(1).map(|a| a.parse::<u16>()) {
        None => 0,
        Some(Ok(p)) => p,
        Some(Err(_)) => {
            eprintln!("usage: demo_server [PORT]");
            std::process::exit(2);
        }
    };

    // Before any other thread exists, so that the runtime's threads inherit the mask and only sigwait sees them.
    let stop_signals = block_stop_signals();

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("demo-server")
        .enable_all()
        .build()
        .expect("tokio runtime");
    let listener = match runtime.block_on(TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port)))) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("demo_server: cannot listen on 127.0.0.1:{port}: {e}");
            std::process::exit(1);
        }
    };
    let addr = listener.local_addr().expect("local address");
    say(&format!("listening {addr}"));
    runtime.spawn(serve(listener));

    let (acceptor, ca_file) = tls_acceptor();
    let tls_listener =
        runtime.block_on(TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))).expect("listen for HTTPS");
    let tls_addr = tls_listener.local_addr().expect("local address");
    say(&format!("listening-tls {tls_addr} {}", ca_file.display()));
    runtime.spawn(serve_tls(tls_listener, acceptor));

    let signal = wait_for(&stop_signals);
    say(&format!("stopping ({})", if signal == libc::SIGINT { "SIGINT" } else { "SIGTERM" }));
    runtime.shutdown_timeout(Duration::from_secs(1));
    let _ = std::fs::remove_file(&ca_file);
}

/// A CA made now, a leaf for localhost and 127.0.0.1 signed by it, and a TLS acceptor serving that leaf.
/// Returns the acceptor and the file the CA certificate was written to.
fn tls_acceptor() -> (tokio_rustls::TlsAcceptor, std::path::PathBuf) {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
    ca_params.distinguished_name.push(DnType::CommonName, "portable WinHTTP demo CA");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().expect("CA key")).expect("CA certificate");
    let mut leaf_params =
        CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()]).expect("leaf parameters");
    leaf_params.distinguished_name.push(DnType::CommonName, "localhost");
    let leaf_key = KeyPair::generate().expect("leaf key");
    let leaf = leaf_params.signed_by(&leaf_key, &ca).expect("leaf certificate");
    let ca_file = std::env::temp_dir().join(format!("winhttp-demo-ca-{}.pem", std::process::id()));
    std::fs::write(&ca_file, ca.pem()).expect("write the CA certificate");
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into());
    let mut config =
        rustls::ServerConfig::builder_with_provider(std::sync::Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .expect("protocol versions")
            .with_no_client_auth()
            .with_single_cert(vec![leaf.der().clone()], key)
            .expect("server certificate");
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    (tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(config)), ca_file)
}

/// Serves the routes over HTTPS: each accepted connection's TLS handshake, then HTTP/1.1.
async fn serve_tls(listener: TcpListener, acceptor: tokio_rustls::TlsAcceptor) {
    accept_forever(listener, move |stream| {
        let acceptor = acceptor.clone();
        async move {
            if let Ok(tls) = acceptor.accept(stream).await {
                serve_http(tls).await
            }
        }
    })
    .await
}

/// One line on stdout, flushed at once (stdout may be a file that a script polls).
fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// Blocks SIGINT and SIGTERM in the calling thread (and so in every thread it starts) and returns that set.
fn block_stop_signals() -> libc::sigset_t {
    // SAFETY: sigset_t is plain data that sigemptyset initialises; the calls get valid pointers. A shell starts
    // background jobs with SIGINT ignored; the default disposition makes sigwait's behaviour well defined.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for sig in [libc::SIGINT, libc::SIGTERM] {
            libc::signal(sig, libc::SIG_DFL);
            libc::sigaddset(&mut set, sig);
        }
        let rc = libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
        assert_eq!(rc, 0, "pthread_sigmask");
        set
    }
}

/// Waits until one of the blocked signals in `set` arrives and returns its number.
fn wait_for(set: &libc::sigset_t) -> libc::c_int {
    let mut sig: libc::c_int = 0;
    // SAFETY: `set` is an initialised signal set and `sig` a valid place for the result.
    while unsafe { libc::sigwait(set, &mut sig) } != 0 {}
    sig
}

/// Accepts connections forever, each handed to `handle` on a task of its own.
async fn accept_forever<F, Fut>(listener: TcpListener, handle: F)
where
    F: Fn(tokio::net::TcpStream) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    loop {
        let stream = match listener.accept().await {
            Ok((s, _)) => s,
            Err(_) => {
                // Out of descriptors and the like: wait a little rather than spin.
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(handle(stream));
    }
}

/// Serves the routes over HTTP/1.1 on one connection.
async fn serve_http<I>(io: I)
where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let service = service_fn(|req| async move { Ok::<_, Infallible>(route(req).await) });
    let _ = http1::Builder::new().serve_connection(TokioIo::new(io), service).await;
}

async fn serve(listener: TcpListener) {
    accept_forever(listener, serve_http).await
}

fn text(status: StatusCode, body: impl Into<Bytes>) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(body.into()));
    *r.status_mut() = status;
    r.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    r
}

async fn route(req: Request<Incoming>) -> Response<Full<Bytes>> {
    let (method, path) = (req.method().clone(), req.uri().path().to_string());
    // A request sent to this server as a proxy names its whole URL.
    let via = if req.uri().scheme().is_some() { format!(" (as a proxy, for {})", req.uri()) } else { String::new() };
    let (resp, note) = match (path.as_str(), &method) {
        ("/hello", &Method::GET | &Method::HEAD) => {
            let mut r = text(StatusCode::OK, HELLO);
            r.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
            r.headers_mut().insert("x-demo", HeaderValue::from_static("portable WinHTTP"));
            (r, String::new())
        }
        ("/upload", &Method::PUT | &Method::POST) => {
            let (len, head) = read_body(req.into_body()).await;
            let r = match head {
                Some(head) if len <= ECHO_LIMIT => {
                    let mut body = format!("received {len} bytes:\n").into_bytes();
                    body.extend_from_slice(&head);
                    text(StatusCode::OK, body)
                }
                Some(_) => text(StatusCode::OK, format!("received {len} bytes (too many to echo)\n")),
                None => text(StatusCode::BAD_REQUEST, format!("the body broke off after {len} bytes\n")),
            };
            (r, format!(", {len} bytes"))
        }
        (p, &Method::GET) if p.strip_prefix("/bytes/").and_then(|n| n.parse::<usize>().ok()).is_some() => {
            let n = p["/bytes/".len()..].parse::<usize>().unwrap_or(0);
            if n > 256 << 20 {
                (text(StatusCode::BAD_REQUEST, "at most 268435456 bytes\n"), String::new())
            } else {
                let mut r = Response::new(Full::new(Bytes::from(vec![b'x'; n])));
                r.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"));
                (r, format!(", {n} bytes"))
            }
        }
        ("/proxy.pac", &Method::GET) => {
            // The server is its own proxy: a request in absolute form (`GET http://www.demo.example/hello`) is
            // answered by its path, like any other.
            let me = req.headers().get("host").and_then(|h| h.to_str().ok()).unwrap_or("127.0.0.1").to_string();
            let script = format!(
                "function FindProxyForURL(url, host) {{\n    if (dnsDomainIs(host, \".demo.example\"))\n        \
                 return \"PROXY {me}; DIRECT\";\n    return \"DIRECT\";\n}}\n"
            );
            let mut r = text(StatusCode::OK, script);
            r.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/x-ns-proxy-autoconfig"));
            (r, String::new())
        }
        ("/upload", _) => {
            let mut r = text(StatusCode::METHOD_NOT_ALLOWED, "use PUT or POST\n");
            r.headers_mut().insert(ALLOW, HeaderValue::from_static("PUT, POST"));
            (r, String::new())
        }
        _ => (text(StatusCode::NOT_FOUND, "not found\n"), String::new()),
    };
    say(&format!("{method} {path}{note}{via} -> {}", resp.status().as_u16()));
    resp
}

/// Reads a request body to its end: its length and its first `ECHO_LIMIT + 1` bytes, or None for the bytes
/// when the body broke off.
async fn read_body(mut body: Incoming) -> (usize, Option<Vec<u8>>) {
    let (mut len, mut head) = (0usize, Vec::new());
    while let Some(frame) = body.frame().await {
        let Ok(frame) = frame else { return (len, None) };
        if let Some(data) = frame.data_ref() {
            len += data.len();
            let room = (ECHO_LIMIT + 1).saturating_sub(head.len());
            head.extend_from_slice(&data[..data.len().min(room)]);
        }
    }
    (len, Some(head))
}
