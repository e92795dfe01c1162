//! The HTTP/1.1 test server, on hyper. Routes are listed in the module doc of `support`.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::{Body, Bytes, Frame, Incoming};
use hyper::header::{HeaderValue, LOCATION};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream};

type Resp = Response<BoxBody<Bytes, Infallible>>;

/// The chunks `/chunked` sends, in order, each as its own chunk.
pub const CHUNKS: [&str; 5] =
    ["first line\n", "the second line\n", "a third line, somewhat longer than the others\n", "4\n", "fifth and last\n"];

/// The body of `/hello`.
pub const HELLO: &str = "Hello, world!";

/// FNV-1a, 64-bit: what `/upload` reports.
pub fn fnv1a64(state: u64, data: &[u8]) -> u64 {
    data.iter().fold(state, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3))
}

/// The FNV-1a 64-bit offset basis.
pub const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// Byte `i` of the `/len/N` and `/head-len` bodies.
pub fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| b'a' + (i % 26) as u8).collect()
}

/// Requests waiting at `/gather` under one key.
struct Gathering {
    arrived: std::sync::atomic::AtomicUsize,
    released: std::sync::atomic::AtomicBool,
    notify: tokio::sync::Notify,
}

/// Holds a `/gather` request until `n` requests with `key` have arrived (all are then answered
/// at once: true) or `limit` passes (false): a test can have many requests in flight at once
/// however slowly it sends them.
async fn gather(key: &str, n: usize, limit: Duration) -> bool {
    use std::sync::atomic::Ordering::SeqCst;
    static GATHERINGS: std::sync::Mutex<Option<std::collections::HashMap<String, Arc<Gathering>>>> =
        std::sync::Mutex::new(None);
    let g = {
        let mut map = GATHERINGS.lock().unwrap_or_else(|e| e.into_inner());
        let entry = map.get_or_insert_with(Default::default).entry(key.to_owned()).or_insert_with(|| {
            Arc::new(Gathering {
                arrived: Default::default(),
                released: Default::default(),
                notify: tokio::sync::Notify::new(),
            })
        });
        entry.clone()
    };
    if g.arrived.fetch_add(1, SeqCst) + 1 >= n {
        g.released.store(true, SeqCst);
        g.notify.notify_waiters();
        return true;
    }
    let deadline = tokio::time::sleep(limit);
    tokio::pin!(deadline);
    loop {
        let notified = g.notify.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        if g.released.load(SeqCst) {
            return true;
        }
        tokio::select! {
            _ = &mut notified => {}
            _ = &mut deadline => return g.released.load(SeqCst),
        }
    }
}

/// Accepts connections forever; each is numbered (from 1) and handed to `handle` on a task of its own.
async fn accept_forever<F, Fut>(listener: TcpListener, handle: F)
where
    F: Fn(TcpStream, u64) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let mut accepted = 0u64;
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(s) => s,
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        accepted += 1;
        tokio::spawn(handle(stream, accepted));
    }
}

/// Serves the routes over HTTP/1.1 on `io` (connection number `id`), adding `extra` headers to every
/// response.
async fn serve_http<I>(io: I, id: u64, extra: Vec<(&'static str, HeaderValue)>)
where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let extra = Arc::new(extra);
    let service = service_fn(move |req| {
        let extra = extra.clone();
        async move {
            let mut r = route(req, id).await;
            for (name, value) in extra.iter() {
                r.headers_mut().insert(*name, value.clone());
            }
            Ok::<_, Infallible>(r)
        }
    });
    let _ = http1::Builder::new().serve_connection(TokioIo::new(io), service).with_upgrades().await;
}

/// Accepts connections forever; each gets its number (from 1) and a hyper HTTP/1.1 connection.
pub async fn serve(listener: TcpListener) {
    accept_forever(listener, |stream, id| serve_http(stream, id, Vec::new())).await
}

/// Accepts TLS connections forever and serves them as [`serve`] does (connection numbers, routes).
/// A failed handshake just ends that connection. Every response also says whether the handshake
/// resumed an earlier session, the name the client sent (SNI, "-" for none) and the protocol ALPN
/// agreed on.
pub async fn serve_tls(listener: TcpListener, acceptor: tokio_rustls::TlsAcceptor) {
    accept_forever(listener, move |stream, id| {
        let acceptor = acceptor.clone();
        async move {
            let Ok(Ok(tls)) = tokio::time::timeout(Duration::from_secs(10), acceptor.accept(stream)).await else {
                return;
            };
            let session = tls.get_ref().1;
            let resumed = session.handshake_kind() == Some(rustls::HandshakeKind::Resumed);
            let dash = HeaderValue::from_static("-");
            let extra = vec![
                ("x-tls-resumed", HeaderValue::from_static(if resumed { "1" } else { "0" })),
                (
                    "x-tls-sni",
                    session.server_name().and_then(|n| HeaderValue::from_str(n).ok()).unwrap_or(dash.clone()),
                ),
                ("x-tls-alpn", session.alpn_protocol().and_then(|p| HeaderValue::from_bytes(p).ok()).unwrap_or(dash)),
            ];
            serve_http(tls, id, extra).await
        }
    })
    .await
}

fn full(body: impl Into<Bytes>) -> BoxBody<Bytes, Infallible> {
    Full::new(body.into()).boxed()
}

fn respond(status: u16, body: impl Into<Bytes>) -> Resp {
    let mut r = Response::new(full(body));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    r
}

/// The value of `name` in a query string, percent-decoded.
fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    query?.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        (k == name).then(|| percent_decode(v))
    })
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            if let Some(Ok(v)) = s.get(i + 1..i + 3).map(|h| u8::from_str_radix(h, 16)) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

async fn route(mut req: Request<Incoming>, conn: u64) -> Resp {
    let path = req.uri().path().to_string();
    let query = req.uri().query().map(str::to_string);
    let q = query.as_deref();
    let mut resp = match path.as_str() {
        "/hello" => {
            let mut r = respond(200, HELLO);
            let h = r.headers_mut();
            h.insert("content-type", HeaderValue::from_static("text/plain"));
            h.insert("last-modified", HeaderValue::from_static("Sun, 06 Nov 1994 08:49:37 GMT"));
            for v in ["one", "two", "three"] {
                h.append("x-repeat", HeaderValue::from_static(v));
            }
            r
        }
        "/echo" => {
            let mut text = format!(
                "{} {} {:?}\n",
                req.method(),
                req.uri().path_and_query().map_or("", |p| p.as_str()),
                req.version()
            )
            .into_bytes();
            for (name, value) in req.headers() {
                text.extend_from_slice(name.as_str().as_bytes());
                text.extend_from_slice(b": ");
                text.extend_from_slice(value.as_bytes());
                text.push(b'\n');
            }
            text.push(b'\n');
            let body = req.into_body().collect().await.map(|c| c.to_bytes()).unwrap_or_default();
            text.extend_from_slice(&body);
            let mut r = respond(200, text);
            r.headers_mut().insert("content-type", HeaderValue::from_static("text/plain"));
            r
        }
        "/set-cookie" => {
            // One Set-Cookie: the query, percent-decoded (the cookie tests' HTTPS half).
            let mut r = respond(200, "set\n");
            let value = percent_decode(q.unwrap_or(""));
            if let Ok(v) = HeaderValue::from_str(&value) {
                r.headers_mut().insert("set-cookie", v);
            }
            r
        }
        "/upload" => {
            let mut body = req.into_body();
            let (mut len, mut hash) = (0u64, FNV_OFFSET);
            while let Some(frame) = body.frame().await {
                match frame {
                    Ok(f) => {
                        if let Some(d) = f.data_ref() {
                            len += d.len() as u64;
                            hash = fnv1a64(hash, d);
                        }
                    }
                    Err(_) => return respond(400, "body error"),
                }
            }
            respond(200, format!("{len} {hash:016x}"))
        }
        "/chunked" => {
            let body = Chunks { parts: CHUNKS.iter().map(|c| Bytes::from_static(c.as_bytes())).collect(), delay: None };
            Response::new(body.boxed())
        }
        "/head-len" => {
            let mut r = respond(200, if req.method() == Method::HEAD { Vec::new() } else { pattern(100) });
            r.headers_mut().insert("content-length", HeaderValue::from_static("100"));
            r
        }
        "/redirect-loop" => redirect(302, "/redirect-loop"),
        "/conn-id" => respond(200, conn.to_string()),
        "/close" => {
            let mut r = respond(200, conn.to_string());
            r.headers_mut().insert("connection", HeaderValue::from_static("close"));
            r
        }
        "/slow" => {
            let ms = query_param(q, "ms").and_then(|v| v.parse().ok()).unwrap_or(2000);
            tokio::time::sleep(Duration::from_millis(ms)).await;
            respond(200, "slow")
        }
        "/gather" => {
            let n = query_param(q, "n").and_then(|v| v.parse().ok()).unwrap_or(1usize);
            let ms = query_param(q, "ms").and_then(|v| v.parse().ok()).unwrap_or(30_000);
            let key = query_param(q, "key").unwrap_or_default();
            let released = gather(&key, n, Duration::from_millis(ms)).await;
            respond(200, if released { "gathered" } else { "timed out" })
        }
        "/upgrade" => upgrade(&mut req),
        "/auth/401" | "/auth/407" | "/auth/401-unknown" | "/auth/401-none" => challenges(&path),
        "/pac-count" => {
            // A PAC script that says how many times it was downloaded: for the script cache.
            static FETCHES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
            let n = FETCHES.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
            pac_response(format!("function FindProxyForURL(url, host) {{ return \"PROXY count-{n}:80\"; }}\n"))
        }
        "/pac-huge" => {
            // About 4 MiB of script: 60,000 host tests before the answer (`?lines=N`: N of them).
            let lines = query_param(q, "lines").and_then(|n| n.parse::<usize>().ok()).unwrap_or(60_000).min(1_000_000);
            let mut s = String::from("function FindProxyForURL(url, host) {\n");
            for i in 0..lines {
                s.push_str(&format!(
                    "  if (host == \"h{i}.huge.example\") return \"PROXY h{i}.huge.example:{}\";\n",
                    i % 60000 + 1
                ));
            }
            s.push_str("  return \"PROXY huge-ok:8080\";\n}\n");
            pac_response(s)
        }
        "/auth/basic" | "/auth/proxy-basic" => basic_auth(req, &path, q).await,
        "/auth/count" => respond(200, AUTH_REQUESTS.swap(0, std::sync::atomic::Ordering::SeqCst).to_string()),
        p => {
            if let Some(n) = p.strip_prefix("/len/").and_then(|n| n.parse::<usize>().ok()) {
                respond(200, pattern(n.min(256 << 20)))
            } else if let Some(n) = p.strip_prefix("/status/").and_then(|n| n.parse::<u16>().ok()) {
                status(n, &mut req)
            } else if let Some(n) = p.strip_prefix("/redirect/").and_then(|n| n.parse::<u16>().ok()) {
                let mut r = redirect(n, &query_param(q, "to").unwrap_or_else(|| "/hello".into()));
                if let Some(pad) = query_param(q, "pad").and_then(|v| v.parse::<usize>().ok()) {
                    *r.body_mut() = full(pattern(pad.min(64 << 20)));
                }
                r
            } else if let Some(to) = p.strip_prefix("/pac-proxy/") {
                // Names under .invalid go through the proxy named in the path, the rest direct.
                pac_response(format!(
                    "function FindProxyForURL(url, host) {{ return dnsDomainIs(host, \".invalid\") ? \"PROXY {to}\" : \"DIRECT\"; }}\n"
                ))
            } else if let Some(name) = p.strip_prefix("/pac/") {
                pac_file(name)
            } else if let Some(n) = p.strip_prefix("/redirect-chain/").and_then(|n| n.parse::<u32>().ok()) {
                if n == 0 { respond(200, "chain end") } else { redirect(302, &format!("/redirect-chain/{}", n - 1)) }
            } else {
                respond(404, "not found")
            }
        }
    };
    resp.headers_mut().insert("x-conn-id", HeaderValue::from(conn));
    resp
}

/// Authentication challenges for `WinHttpQueryAuthSchemes` (tests/c/test_auth.c): several
/// challenges per header and across headers, quoted commas, unknown schemes, and a 407 that also
/// carries a `WWW-Authenticate` (which must be ignored).
fn challenges(path: &str) -> Resp {
    let (status, www, proxy): (u16, &[&str], &[&str]) = match path {
        "/auth/401" => (
            401,
            &[
                "Bearer realm=\"api\", error=\"invalid_token\"",
                "Negotiate, NTLM",
                "Basic realm=\"a, b\"",
                "Digest realm=\"r\", nonce=\"n\", qop=\"auth\", algorithm=SHA-256",
            ],
            &[],
        ),
        "/auth/407" => (407, &["Digest realm=\"origin\", nonce=\"x\""], &["Basic realm=\"proxy\", NTLM", "Kerberos"]),
        "/auth/401-unknown" => (401, &["Bearer", "Mutual realm=\"x\""], &[]),
        _ => (401, &[], &[]),
    };
    let mut r = respond(status, "Unauthorized");
    for (name, values) in [("www-authenticate", www), ("proxy-authenticate", proxy)] {
        for v in values {
            r.headers_mut().append(name, HeaderValue::from_static(v));
        }
    }
    r
}

fn pac_response(body: String) -> Resp {
    let mut r = respond(200, body);
    r.headers_mut().insert("content-type", HeaderValue::from_static("application/x-ns-proxy-autoconfig"));
    r
}

/// `/pac/NAME`: the script `tests/c/pac/NAME` (names of letters, digits, `-`, `_` and `.` only).
fn pac_file(name: &str) -> Resp {
    let ok = !name.is_empty()
        && !name.starts_with('.')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/c/pac").join(name);
    match std::fs::read_to_string(path) {
        Ok(text) if ok => pac_response(text),
        _ => respond(404, "no such script"),
    }
}

/// Requests `/auth/basic` and `/auth/proxy-basic` have seen since `/auth/count` last read it.
static AUTH_REQUESTS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Basic authentication for user `user`, password `pwd` (`Basic dXNlcjpwd2Q=`), checked in
/// `Authorization` (`/auth/basic`: 401 otherwise) or, as a proxy would, in `Proxy-Authorization`
/// (`/auth/proxy-basic`: 407 otherwise). The challenge's body is `Unauthorized`, or `pad` bytes of
/// pattern; the success is `hello world` (11 bytes). Every answer says what arrived:
/// `X-Auth-Seen` (the `Authorization` value, `-` for none), `X-Proxy-Auth-Seen` (the same for
/// `Proxy-Authorization`) and `X-Body-Len` (the request body's length).
async fn basic_auth(req: Request<Incoming>, path: &str, q: Option<&str>) -> Resp {
    AUTH_REQUESTS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let seen = |name: &str| req.headers().get(name).map(|v| v.as_bytes().to_vec()).unwrap_or_else(|| b"-".to_vec());
    let (auth, proxy_auth) = (seen("authorization"), seen("proxy-authorization"));
    let pad = query_param(q, "pad").and_then(|v| v.parse::<usize>().ok());
    let body = req.into_body().collect().await.map(|c| c.to_bytes()).unwrap_or_default();
    let good = b"Basic dXNlcjpwd2Q=".as_slice();
    let is_proxy = path == "/auth/proxy-basic";
    let mut r = match (is_proxy, if is_proxy { &proxy_auth } else { &auth }) {
        (_, v) if v.as_slice() == good => respond(200, "hello world"),
        (false, _) => {
            let mut r = respond(401, pad.map_or_else(|| b"Unauthorized".to_vec(), |n| pattern(n.min(64 << 20))));
            r.headers_mut().insert("www-authenticate", HeaderValue::from_static("Basic realm=\"test\""));
            r
        }
        (true, _) => {
            let mut r = respond(407, "Proxy Authentication Required");
            r.headers_mut().insert("proxy-authenticate", HeaderValue::from_static("Basic realm=\"proxy\""));
            r
        }
    };
    let h = r.headers_mut();
    for (name, v) in [("x-auth-seen", auth), ("x-proxy-auth-seen", proxy_auth)] {
        if let Ok(v) = HeaderValue::from_bytes(&v) {
            h.insert(name, v);
        }
    }
    h.insert("x-body-len", HeaderValue::from(body.len()));
    r
}

fn redirect(status: u16, to: &str) -> Resp {
    let mut r = respond(status, "redirect\n");
    if let Ok(v) = HeaderValue::from_str(to) {
        r.headers_mut().insert(LOCATION, v);
    }
    r
}

fn status(n: u16, req: &mut Request<Incoming>) -> Resp {
    match n {
        101 => upgrade(req),
        204 | 304 => respond(n, Bytes::new()),
        401 => {
            let mut r = respond(401, "Unauthorized");
            for v in ["Bearer", "Basic realm=\"test\"", "Digest realm=\"test\", nonce=\"abc\""] {
                r.headers_mut().append("www-authenticate", HeaderValue::from_static(v));
            }
            r
        }
        _ => respond(n, format!("status {n}\n")),
    }
}

/// 101 Switching Protocols; the upgraded connection is drained and held for up to 10 s.
fn upgrade(req: &mut Request<Incoming>) -> Resp {
    let on_upgrade = hyper::upgrade::on(req);
    tokio::spawn(async move {
        if let Ok(upgraded) = on_upgrade.await {
            let mut io = TokioIo::new(upgraded);
            let mut buf = [0u8; 4096];
            let _ = tokio::time::timeout(Duration::from_secs(10), async {
                while let Ok(n) = io.read(&mut buf).await {
                    if n == 0 {
                        break;
                    }
                }
            })
            .await;
        }
    });
    let mut r = respond(101, Bytes::new());
    r.headers_mut().insert("upgrade", HeaderValue::from_static("websocket"));
    r.headers_mut().insert("connection", HeaderValue::from_static("Upgrade"));
    r
}

/// A body that yields its parts one by one, 20 ms apart, so each goes out as its own chunk.
struct Chunks {
    parts: VecDeque<Bytes>,
    delay: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl Body for Chunks {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if let Some(d) = self.delay.as_mut() {
            if d.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            self.delay = None;
        }
        match self.parts.pop_front() {
            Some(part) => {
                if !self.parts.is_empty() {
                    self.delay = Some(Box::pin(tokio::time::sleep(Duration::from_millis(20))));
                }
                Poll::Ready(Some(Ok(Frame::data(part))))
            }
            None => Poll::Ready(None),
        }
    }
}
