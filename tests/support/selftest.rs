//! Checks that the test servers answer as documented, with a plain blocking socket client.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use super::{http, raw, servers};

fn connect(port: u16) -> TcpStream {
    let s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s
}

/// Sends `req` and reads until the server closes.
fn exchange(port: u16, req: &[u8]) -> Vec<u8> {
    let mut s = connect(port);
    s.write_all(req).unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    out
}

fn get(path: &str) -> String {
    let req = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    String::from_utf8_lossy(&exchange(servers().http_port, req.as_bytes())).into_owned()
}

fn split(resp: &str) -> (&str, &str) {
    resp.split_once("\r\n\r\n").expect("a complete head")
}

/// Reads one Content-Length response from a keep-alive connection.
fn read_response(s: &mut TcpStream) -> (String, Vec<u8>) {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        assert_eq!(s.read(&mut byte).unwrap(), 1, "connection closed in the head");
        buf.push(byte[0]);
    }
    let head = String::from_utf8(buf).unwrap();
    let len: usize = head
        .lines()
        .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse().unwrap()))
        .unwrap_or(0);
    let mut body = vec![0u8; len];
    s.read_exact(&mut body).unwrap();
    (head, body)
}

#[test]
fn hello_has_body_and_headers() {
    let r = get("/hello");
    let (head, body) = split(&r);
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    assert_eq!(body, http::HELLO);
    assert!(head.contains("content-length: 13\r\n"), "{head}");
    assert!(head.contains("last-modified: Sun, 06 Nov 1994 08:49:37 GMT\r\n"));
    assert_eq!(head.matches("x-repeat: ").count(), 3);
    assert!(head.contains("x-conn-id: "));
    assert!(head.contains("date: "));
}

#[test]
fn echo_describes_the_request() {
    let req = b"POST /echo?a=b%20c&d HTTP/1.1\r\nHost: localhost\r\nX-Test: Value\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello";
    let r = String::from_utf8(exchange(servers().http_port, req)).unwrap();
    let (_, body) = split(&r);
    assert_eq!(
        body,
        "POST /echo?a=b%20c&d HTTP/1.1\nhost: localhost\nx-test: Value\ncontent-length: 5\nconnection: close\n\nhello"
    );
    // A chunked upload arrives without its framing.
    let req = b"PUT /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n4\r\npost\r\n0\r\n\r\n";
    let r = String::from_utf8(exchange(servers().http_port, req)).unwrap();
    assert!(split(&r).1.ends_with("\ntransfer-encoding: chunked\nconnection: close\n\npost"), "{r}");
}

#[test]
fn upload_reports_length_and_fnv() {
    let data: Vec<u8> = (0..300_000u32).map(|i| (i * 7 + 3) as u8).collect();
    let mut req =
        format!("PUT /upload HTTP/1.1\r\nHost: h\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", data.len())
            .into_bytes();
    req.extend_from_slice(&data);
    let r = String::from_utf8(exchange(servers().http_port, &req)).unwrap();
    let expected = format!("{} {:016x}", data.len(), http::fnv1a64(http::FNV_OFFSET, &data));
    assert_eq!(split(&r).1, expected);
    // The well-known FNV-1a 64 test vector.
    assert_eq!(http::fnv1a64(http::FNV_OFFSET, b"a"), 0xaf63dc4c8601ec8c);
}

#[test]
fn chunked_sends_separate_chunks() {
    let r = get("/chunked");
    let (head, body) = split(&r);
    assert!(head.contains("transfer-encoding: chunked"), "{head}");
    let mut expected = String::new();
    for c in http::CHUNKS {
        expected += &format!("{:X}\r\n{c}\r\n", c.len());
    }
    expected += "0\r\n\r\n";
    assert_eq!(body, expected);
}

#[test]
fn len_status_head_redirect() {
    let r = get("/len/8784");
    let (head, body) = split(&r);
    assert!(head.contains("content-length: 8784\r\n"));
    assert_eq!(body.as_bytes(), http::pattern(8784).as_slice());

    let r = get("/status/204");
    assert!(r.starts_with("HTTP/1.1 204 No Content\r\n") && r.ends_with("\r\n\r\n"), "{r}");
    let r = get("/status/304");
    assert!(r.starts_with("HTTP/1.1 304 Not Modified\r\n") && r.ends_with("\r\n\r\n"), "{r}");
    let r = get("/status/401");
    assert!(r.starts_with("HTTP/1.1 401 Unauthorized\r\n"));
    assert_eq!(r.matches("www-authenticate: ").count(), 3);
    assert!(r.contains("www-authenticate: Bearer\r\n"));
    assert_eq!(split(&r).1, "Unauthorized");
    let r = get("/status/500");
    assert!(r.starts_with("HTTP/1.1 500 Internal Server Error\r\n"));

    let req = b"HEAD /head-len HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n";
    let r = String::from_utf8(exchange(servers().http_port, req)).unwrap();
    assert!(r.contains("content-length: 100\r\n") && r.ends_with("\r\n\r\n"), "{r}");
    assert_eq!(split(&get("/head-len")).1.len(), 100);

    let r = get("/redirect/307?to=%2Fecho%3Fx%3D1");
    assert!(r.starts_with("HTTP/1.1 307 Temporary Redirect\r\n"));
    assert!(r.contains("location: /echo?x=1\r\n"), "{r}");
    assert!(get("/redirect/303").contains("location: /hello\r\n"));
    let r = get("/redirect/302?pad=5000");
    assert!(r.contains("content-length: 5000\r\n") && split(&r).1.len() == 5000, "{r}");
    assert!(get("/redirect-loop").contains("location: /redirect-loop\r\n"));
    assert!(get("/redirect-chain/3").contains("location: /redirect-chain/2\r\n"));
    assert_eq!(split(&get("/redirect-chain/0")).1, "chain end");
    assert!(get("/nope").starts_with("HTTP/1.1 404"));
}

#[test]
fn conn_id_follows_the_tcp_connection() {
    let mut a = connect(servers().http_port);
    let mut ids = Vec::new();
    for _ in 0..3 {
        a.write_all(b"GET /conn-id HTTP/1.1\r\nHost: h\r\n\r\n").unwrap();
        ids.push(String::from_utf8(read_response(&mut a).1).unwrap());
    }
    assert!(ids.iter().all(|i| *i == ids[0]), "{ids:?}");
    // /close reports the same connection and then closes it.
    a.write_all(b"GET /close HTTP/1.1\r\nHost: h\r\n\r\n").unwrap();
    let (head, body) = read_response(&mut a);
    assert!(head.contains("connection: close\r\n"), "{head}");
    assert_eq!(String::from_utf8(body).unwrap(), ids[0]);
    let mut rest = Vec::new();
    assert_eq!(a.read_to_end(&mut rest).unwrap(), 0);
    // A new connection gets a new number.
    let mut b = connect(servers().http_port);
    b.write_all(b"GET /conn-id HTTP/1.1\r\nHost: h\r\n\r\n").unwrap();
    let other = String::from_utf8(read_response(&mut b).1).unwrap();
    assert_ne!(other, ids[0]);
}

#[test]
fn slow_and_upgrade() {
    let start = Instant::now();
    assert!(get("/slow?ms=300").ends_with("slow"));
    assert!(start.elapsed() >= Duration::from_millis(300));
    let mut s = connect(servers().http_port);
    s.write_all(b"GET /upgrade HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n").unwrap();
    let (head, body) = read_response(&mut s);
    assert!(head.starts_with("HTTP/1.1 101 Switching Protocols\r\n"), "{head}");
    assert!(head.contains("upgrade: websocket\r\n") && !head.contains("content-length"), "{head}");
    assert!(body.is_empty());
}

fn raw_get(path: &str) -> Vec<u8> {
    exchange(servers().raw_port, format!("GET {path} HTTP/1.1\r\nHost: h\r\n\r\n").as_bytes())
}

#[test]
fn raw_scripts() {
    let req = b"POST /raw/echo/a%zz<b c?\"q\"~ HTTP/1.1\r\nHost: h\r\nX-Case: MiXeD\r\nContent-Length: 4\r\n\r\npost";
    let r = exchange(servers().raw_port, req);
    let expected_head = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", req.len());
    assert_eq!(r, [expected_head.as_bytes(), req].concat());
    let req = b"PUT /raw/echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n4\r\npost\r\n0\r\n\r\n";
    assert!(exchange(servers().raw_port, req).ends_with(req));

    assert_eq!(raw_get("/raw/no-status-line"), b"this is not an HTTP response\r\n\r\n");
    assert_eq!(raw_get("/raw/http09"), b"<html>no head at all</html>");
    assert_eq!(raw_get("/raw/close-before-response"), b"");
    assert_eq!(raw_get("/raw/reason"), [raw::REASON_HEAD.as_bytes(), b"ok"].concat());
    assert_eq!(raw_get("/raw/passport"), raw::PASSPORT_HEAD.as_bytes());
    assert!(raw_get("/raw/truncated-length").ends_with(b"\r\n\r\n0123456789"));
    assert!(raw_get("/raw/close-delimited").ends_with(&http::pattern(128)));
    let big = raw_get("/raw/header-size/10000");
    assert_eq!(big.len(), 10000 + "HTTP/1.1 200 OK\r\nX-Big: \r\nContent-Length: 0\r\nConnection: close\r\n\r\n".len());
    assert_eq!(raw_get("/raw/huge-header").len(), (1 << 20) + big.len() - 10000);
    assert!(raw_get("/raw/nope").starts_with(b"HTTP/1.1 404"));
}

#[test]
fn raw_resets_and_silence() {
    let mut s = connect(servers().raw_port);
    s.write_all(b"GET /raw/reset-mid-body HTTP/1.1\r\n\r\n").unwrap();
    let mut out = Vec::new();
    let err = s.read_to_end(&mut out).expect_err("a reset");
    assert_eq!(err.kind(), ErrorKind::ConnectionReset);

    let mut s = connect(servers().raw_port);
    s.set_read_timeout(Some(Duration::from_millis(500))).unwrap();
    s.write_all(b"GET /raw/never-answers HTTP/1.1\r\n\r\n").unwrap();
    let err = s.read(&mut [0u8; 16]).expect_err("silence");
    assert!(matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut), "{err:?}");

    let mut s = connect(servers().raw_port);
    s.set_read_timeout(Some(Duration::from_millis(1500))).unwrap();
    s.write_all(b"GET /raw/slow-drip HTTP/1.1\r\n\r\n").unwrap();
    let mut b = [0u8; 16];
    assert_eq!(s.read(&mut b).unwrap(), 1);
    assert_eq!(b[0], b'H');

    // Uploading into stall-upload blocks once the socket buffers are full.
    let mut s = connect(servers().raw_port);
    s.set_write_timeout(Some(Duration::from_millis(300))).unwrap();
    s.write_all(b"PUT /raw/stall-upload HTTP/1.1\r\nContent-Length: 1073741824\r\n\r\n").unwrap();
    let chunk = vec![b'x'; 65536];
    let err = (0..4096).find_map(|_| s.write_all(&chunk).err()).expect("sends block");
    assert!(matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut), "{err:?}");

    // Uploading into close-mid-upload fails with a reset or broken pipe within a bounded amount.
    let mut s = connect(servers().raw_port);
    s.write_all(b"PUT /raw/close-mid-upload HTTP/1.1\r\nContent-Length: 1073741824\r\n\r\n").unwrap();
    let chunk = vec![b'x'; 65536];
    let mut failed = false;
    for _ in 0..2048 {
        if s.write_all(&chunk).is_err() {
            failed = true;
            break;
        }
    }
    assert!(failed, "the server should have reset the upload");
}

#[test]
fn closed_and_blackhole_ports() {
    let start = Instant::now();
    let err = TcpStream::connect(("127.0.0.1", servers().closed_port)).expect_err("refused");
    assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
    assert!(start.elapsed() < Duration::from_secs(1));
    assert_eq!(servers().blackhole_port.is_some(), cfg!(target_os = "linux"));
    if let Some(p) = servers().blackhole_port {
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], p));
        let err = TcpStream::connect_timeout(&addr, Duration::from_millis(300)).expect_err("no answer");
        assert_eq!(err.kind(), ErrorKind::TimedOut);
    }
    let vars = super::env_vars();
    assert!(vars.iter().any(|(k, v)| k == "WINHTTP_TEST_PORT" && *v == servers().http_port.to_string()));
}
