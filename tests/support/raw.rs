//! The scripted raw-TCP fault server: one request per connection, the script chosen by the path of
//! the request line. Scripts are listed in the module doc of `support`. An absolute-form request
//! target (`GET http://host/raw/echo HTTP/1.1`, what a client sends to a proxy) is routed by its
//! path, so the server doubles as a plain-HTTP proxy for any host name. A `CONNECT host:port`
//! request makes it a tunnelling proxy: it connects to the target and relays bytes both ways
//! (`403` when the target cannot be reached), counting the tunnels it opened (`/raw/proxy-stats`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Tunnels opened by CONNECT requests since the server started.
static TUNNELS: AtomicU64 = AtomicU64::new(0);

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::{sleep, timeout};

/// The exact head `/raw/reason` sends (its body is `ok`).
pub const REASON_HEAD: &str =
    "HTTP/1.1 200 Everything Is Fine\r\nContent-Length: 2\r\nX-Multi: a\r\nX-Multi: b\r\nConnection: close\r\n\r\n";

/// The exact head `/raw/passport` sends: a Passport 1.4 login redirect (no body).
pub const PASSPORT_HEAD: &str =
    "HTTP/1.1 302 Found\r\nContent-Length: 0\r\nLocation: /\r\nWWW-Authenticate: Passport1.4\r\n\r\n";

/// What `/raw/set-cookie` sends: a cookie whose value must never reach a log line.
pub const SET_COOKIE_RESPONSE: &str = "HTTP/1.1 200 OK\r\nSet-Cookie: id=raw-set-cookie-value; HttpOnly\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";

/// The largest request head the server reads before giving up.
const MAX_HEAD: usize = 256 * 1024;

pub async fn serve(listener: TcpListener) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                let _ = stream.set_nodelay(true);
                tokio::spawn(async move {
                    let _ = timeout(Duration::from_secs(120), handle(stream)).await;
                });
            }
            Err(_) => sleep(Duration::from_millis(10)).await,
        }
    }
}

/// A tunnelling proxy that wants Basic credentials (`user`/`pwd`) on each CONNECT: without them
/// (or with others) it answers `407` with `Proxy-Authenticate: Basic realm="proxy"`, a body
/// `proxy auth required\n` and `Connection: close`; with them it opens the tunnel as [`serve`]
/// does. Any other request gets the same 407.
pub async fn serve_auth_proxy(listener: TcpListener) {
    loop {
        match listener.accept().await {
            Ok((mut stream, _)) => {
                let _ = stream.set_nodelay(true);
                tokio::spawn(async move {
                    let _ = timeout(Duration::from_secs(120), async move {
                        let Some((head, rest)) = read_head(&mut stream).await else { return Ok(()) };
                        let text = String::from_utf8_lossy(&head).into_owned();
                        let authorized = text.lines().any(|l| {
                            l.split_once(':').is_some_and(|(n, v)| {
                                n.trim().eq_ignore_ascii_case("proxy-authorization") && v.trim() == "Basic dXNlcjpwd2Q="
                            })
                        });
                        if text.starts_with("CONNECT ") && authorized {
                            let target = text.split(' ').nth(1).unwrap_or("").to_string();
                            return tunnel(stream, &target, rest).await;
                        }
                        let body = "proxy auth required\n";
                        let out = format!(
                            "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"proxy\"\r\n\
                             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                            body.len()
                        );
                        stream.write_all(out.as_bytes()).await
                    })
                    .await;
                });
            }
            Err(_) => sleep(Duration::from_millis(10)).await,
        }
    }
}

/// The hang-up server: accepts each connection and closes it at once, without reading.
pub async fn hang_up(listener: TcpListener) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => drop(stream),
            Err(_) => sleep(Duration::from_millis(10)).await,
        }
    }
}

/// Reads until the end of the request head; returns the head and any body bytes read past it.
async fn read_head(stream: &mut TcpStream) -> Option<(Vec<u8>, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let rest = buf.split_off(end + 4);
            return Some((buf, rest));
        }
        if buf.len() > MAX_HEAD {
            return None;
        }
        let n = timeout(Duration::from_secs(30), stream.read(&mut chunk)).await.ok()?.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.split("\r\n").skip(1).find_map(|line| {
        let (n, v) = line.split_once(':')?;
        n.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

/// Reads the rest of a request body: Content-Length bytes, or a chunked body up to and including
/// its last chunk (returned with its framing).
async fn read_body(stream: &mut TcpStream, head: &str, mut body: Vec<u8>) -> Vec<u8> {
    let chunked = header(head, "transfer-encoding").is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
    let want = header(head, "content-length").and_then(|v| v.parse::<usize>().ok());
    let mut chunk = [0u8; 8192];
    loop {
        let done = if chunked { body.ends_with(b"0\r\n\r\n") } else { body.len() >= want.unwrap_or(0) };
        if done || body.len() > 64 << 20 {
            return body;
        }
        match timeout(Duration::from_secs(10), stream.read(&mut chunk)).await {
            Ok(Ok(n)) if n > 0 => body.extend_from_slice(&chunk[..n]),
            _ => return body,
        }
    }
}

/// The path of a request target: an absolute-form target (`http://host[:port]/path`, as a client
/// sends it to a proxy) is routed by its path, so the server also answers as an HTTP proxy.
fn origin_form(target: &str) -> &str {
    let Some((scheme, rest)) = target.split_once("://") else { return target };
    if !scheme.eq_ignore_ascii_case("http") {
        return target;
    }
    rest.find('/').map_or("/", |i| &rest[i..])
}

/// Closes with a TCP reset instead of a FIN.
fn reset(stream: TcpStream) {
    let _ = stream.set_zero_linger();
    drop(stream);
}

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| b'a' + (i % 26) as u8).collect()
}

async fn handle(mut stream: TcpStream) -> std::io::Result<()> {
    let Some((head, rest)) = read_head(&mut stream).await else {
        return Ok(());
    };
    let head_text = String::from_utf8_lossy(&head).into_owned();
    if head_text.starts_with("CONNECT ") {
        let target = head_text.split(' ').nth(1).unwrap_or("").to_string();
        return tunnel(stream, &target, rest).await;
    }
    let path = origin_form(head_text.split(' ').nth(1).unwrap_or("")).to_string();
    let s = &mut stream;
    match path.as_str() {
        "/raw/proxy-stats" => {
            let body = format!("tunnels {}", TUNNELS.load(Ordering::SeqCst));
            let out = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
            s.write_all(out.as_bytes()).await?;
        }
        "/raw/early-401" => {
            // Answers before reading the body, keeping the connection open (a strict server),
            // then reports whatever arrives next on this connection as what it is: if a client
            // sends its next request here, that request would have been read as the body's rest.
            s.write_all(b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n").await?;
            let mut got = rest;
            let mut chunk = [0u8; 4096];
            while let Ok(Ok(n)) = timeout(Duration::from_secs(3), s.read(&mut chunk)).await {
                if n == 0 {
                    break;
                }
                got.extend_from_slice(&chunk[..n]);
                if got.windows(4).any(|w| w == b"\r\n\r\n") {
                    let body = format!("desync: {}", String::from_utf8_lossy(&got));
                    let out =
                        format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
                    s.write_all(out.as_bytes()).await?;
                    break;
                }
            }
        }
        p if p.starts_with("/raw/echo") => {
            let body = read_body(s, &head_text, rest).await;
            let mut out =
                format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", head.len() + body.len())
                    .into_bytes();
            out.extend_from_slice(&head);
            out.extend_from_slice(&body);
            s.write_all(&out).await?;
        }
        "/raw/no-status-line" => s.write_all(b"this is not an HTTP response\r\n\r\n").await?,
        "/raw/bad-status" => s.write_all(b"HTTP/1.1 abc OK\r\n\r\n").await?,
        "/raw/http09" => s.write_all(b"<html>no head at all</html>").await?,
        "/raw/close-before-response" => {}
        "/raw/reason" => {
            s.write_all(REASON_HEAD.as_bytes()).await?;
            s.write_all(b"ok").await?;
        }
        "/raw/passport" => s.write_all(PASSPORT_HEAD.as_bytes()).await?,
        "/raw/set-cookie" => s.write_all(SET_COOKIE_RESPONSE.as_bytes()).await?,
        "/raw/http10" => s.write_all(b"HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nhello").await?,
        "/raw/close-delimited" => {
            let mut out = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n".to_vec();
            out.extend_from_slice(&pattern(128));
            s.write_all(&out).await?;
        }
        "/raw/chunked-trailers" => {
            s.write_all(
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n\
                  9\r\n123456789\r\n0\r\nX-Trailer: yes\r\n\r\n",
            )
            .await?
        }
        "/raw/truncated-length" => {
            s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789").await?;
        }
        "/raw/truncated-chunked" => {
            s.write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\na\r\n0123456789\r\n").await?;
        }
        "/raw/bad-chunk-size" => {
            s.write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n0123456789\r\n0\r\n\r\n").await?;
        }
        "/raw/reset-mid-body" => {
            let mut out = b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n".to_vec();
            out.extend_from_slice(&pattern(100));
            s.write_all(&out).await?;
            sleep(Duration::from_millis(100)).await;
            reset(stream);
            return Ok(());
        }
        "/raw/reset-headers" => {
            s.write_all(b"HTTP/1.1 200 OK\r\nContent-").await?;
            sleep(Duration::from_millis(100)).await;
            reset(stream);
            return Ok(());
        }
        "/raw/reset-status-line" => {
            s.write_all(b"HTTP/1.1 20").await?;
            sleep(Duration::from_millis(100)).await;
            reset(stream);
            return Ok(());
        }
        "/raw/reset-chunk-header" => {
            s.write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n1").await?;
            sleep(Duration::from_millis(100)).await;
            reset(stream);
            return Ok(());
        }
        "/raw/chunk-size-overflow" => {
            // 2^64: one hex digit more than a u64 holds.
            s.write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000000\r\nx\r\n0\r\n\r\n")
                .await?
        }
        "/raw/cl-te" => {
            // Both framings; the chunked body is "hello", Content-Length would cut it at "5\r\nhe".
            s.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
            )
            .await?
        }
        "/raw/cl-te-smuggle" => {
            // As /raw/cl-te, then (a moment later) a second response nobody asked for.
            s.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
            )
            .await?;
            sleep(Duration::from_millis(50)).await;
            s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nsmuggled").await?
        }
        "/raw/length-max" => {
            s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 18446744073709551615\r\n\r\n0123456789").await?
        }
        "/raw/length-overflow" => {
            s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 18446744073709551616\r\n\r\n0123456789").await?
        }
        "/raw/dup-cl-equal" => {
            s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello").await?
        }
        "/raw/dup-cl-differ" => {
            s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!").await?
        }
        "/raw/many-headers" => {
            let mut out = b"HTTP/1.1 200 OK\r\n".to_vec();
            for _ in 0..100_000 {
                out.extend_from_slice(b"X-H: v\r\n");
            }
            out.extend_from_slice(b"Content-Length: 0\r\nConnection: close\r\n\r\n");
            s.write_all(&out).await?
        }
        "/raw/redirect-loop" => {
            s.write_all(
                b"HTTP/1.1 302 Found\r\nLocation: /raw/redirect-loop\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            )
            .await?
        }
        "/raw/huge-header" => big_header(s, 1 << 20).await?,
        "/raw/slow-drip" => {
            for b in b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello" {
                s.write_all(&[*b]).await?;
                sleep(Duration::from_secs(1)).await;
            }
        }
        "/raw/slow-body" => {
            s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n").await?;
            for b in b"0123456789" {
                sleep(Duration::from_secs(1)).await;
                s.write_all(&[*b]).await?;
            }
        }
        "/raw/never-answers" => {
            let mut chunk = [0u8; 8192];
            let _ = timeout(Duration::from_secs(60), async {
                while let Ok(n) = s.read(&mut chunk).await {
                    if n == 0 {
                        break;
                    }
                }
            })
            .await;
        }
        "/raw/stall-upload" => {
            // Never reads the body: the client's socket buffers fill and its sends block.
            sleep(Duration::from_secs(60)).await;
            reset(stream);
            return Ok(());
        }
        "/raw/close-mid-upload" => {
            let mut got = rest.len();
            let mut chunk = [0u8; 8192];
            while got < 64 * 1024 {
                match timeout(Duration::from_secs(10), s.read(&mut chunk)).await {
                    Ok(Ok(n)) if n > 0 => got += n,
                    _ => break,
                }
            }
            reset(stream);
            return Ok(());
        }
        p => {
            if let Some(n) = p.strip_prefix("/raw/header-size/").and_then(|n| n.parse::<usize>().ok()) {
                big_header(s, n.min(16 << 20)).await?;
            } else {
                s.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\nConnection: close\r\n\r\nnot found")
                    .await?;
            }
        }
    }
    let _ = s.shutdown().await;
    // Let the client read everything before the socket goes away; drain what it still sends.
    let mut chunk = [0u8; 8192];
    let _ = timeout(Duration::from_secs(5), async {
        while let Ok(n) = s.read(&mut chunk).await {
            if n == 0 {
                break;
            }
        }
    })
    .await;
    Ok(())
}

/// The CONNECT proxy: a 200 and then bytes relayed both ways until either side closes.
async fn tunnel(mut client: TcpStream, target: &str, rest: Vec<u8>) -> std::io::Result<()> {
    let upstream = match timeout(Duration::from_secs(5), TcpStream::connect(target)).await {
        Ok(Ok(u)) => u,
        _ => {
            client.write_all(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").await?;
            return Ok(());
        }
    };
    TUNNELS.fetch_add(1, Ordering::SeqCst);
    client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n").await?;
    let mut upstream = upstream;
    upstream.write_all(&rest).await?;
    let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
    Ok(())
}

async fn big_header(s: &mut TcpStream, n: usize) -> std::io::Result<()> {
    let mut out = b"HTTP/1.1 200 OK\r\nX-Big: ".to_vec();
    out.resize(out.len() + n, b'a');
    out.extend_from_slice(b"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    s.write_all(&out).await
}

#[cfg(test)]
mod tests {
    use super::origin_form;

    #[test]
    fn absolute_form_targets_route_by_path() {
        assert_eq!(origin_form("/raw/echo?a=b"), "/raw/echo?a=b");
        assert_eq!(origin_form("http://example.invalid/raw/echo"), "/raw/echo");
        assert_eq!(origin_form("HTTP://example.invalid:8080/raw/echo?q=1"), "/raw/echo?q=1");
        assert_eq!(origin_form("http://example.invalid"), "/");
        assert_eq!(origin_form("ftp://example.invalid/raw/echo"), "ftp://example.invalid/raw/echo");
    }
}
