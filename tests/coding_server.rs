//! The content decoders (`proto::coding`) against bodies made by Python's own zlib, brotli and
//! zstandard modules, served by `tests/support/coding_server.py` over real HTTP on 127.0.0.1 and
//! read through our own head parser and body (framing) decoder, the way the engine will stack them.
//!
//! Skips, saying why, when `python3` cannot start the server; a coding whose Python module is
//! missing (the server answers 501) is skipped with a message (`.ci/run` installs both modules).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};

use winhttp::proto::coding::{self, Coding, Decoder, Error};
use winhttp::proto::h1::{self, HeadParser, Parse};
use winhttp::proto::headers::HeaderList;

struct Server {
    child: Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start() -> Option<Server> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/coding_server.py");
    let mut child = match Command::new("python3").arg(&script).stdout(Stdio::piped()).stderr(Stdio::inherit()).spawn() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("SKIPPED: cannot run python3 for {}: {e}", script.display());
            return None;
        }
    };
    let mut line = String::new();
    BufReader::new(child.stdout.take()?).read_line(&mut line).ok()?;
    match line.trim().strip_prefix("PORT ").and_then(|p| p.parse().ok()) {
        Some(port) => Some(Server { child, port }),
        None => {
            eprintln!("SKIPPED: the coding server did not start (printed {line:?})");
            let _ = child.kill();
            None
        }
    }
}

/// One GET: the status, the headers and the body with its transfer framing removed.
fn get(port: u16, path: &str) -> (u16, HeaderList, Vec<u8>) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").unwrap();
    let mut wire = Vec::new();
    s.read_to_end(&mut wire).unwrap();
    let (head, consumed) = match HeadParser::new(h1::DEFAULT_MAX_HEAD_SIZE).parse(&wire).unwrap() {
        Parse::Complete { head, consumed } => (head, consumed),
        Parse::Incomplete => panic!("{path}: incomplete head"),
    };
    let framing = h1::framing("GET", &head).unwrap();
    let mut framer = h1::Decoder::new(framing);
    let (mut rest, mut body) = (&wire[consumed..], Vec::new());
    let mut buf = vec![0; 8192];
    while !framer.is_done() && !rest.is_empty() {
        let (used, made) = framer.decode(rest, &mut buf).unwrap();
        body.extend_from_slice(&buf[..made]);
        rest = &rest[used..];
    }
    let mut headers = HeaderList::new();
    for (n, v) in &head.headers {
        headers.push(n, v);
    }
    (head.status, headers, body)
}

/// Decodes `body` fed in pieces of `piece` bytes into reads of `read` bytes.
fn decode(coding: Coding, body: &[u8], piece: usize, read: usize) -> Result<Vec<u8>, Error> {
    let mut d = Decoder::new(coding);
    let (mut out, mut buf, mut pos) = (Vec::new(), vec![0; read], 0usize);
    loop {
        let end = pos.saturating_add(piece).min(body.len());
        let (used, made) = d.decode(&body[pos..end], &mut buf)?;
        out.extend_from_slice(&buf[..made]);
        pos += used;
        if used == 0 && made == 0 && pos == body.len() {
            break;
        }
    }
    d.finish().map(|()| out)
}

/// The server's /plain body (see `plain()` in coding_server.py).
fn plain() -> Vec<u8> {
    let mut out = Vec::new();
    let mut i = 0u64;
    while out.len() < 300_000 {
        out.extend_from_slice(format!("line {i} of the body, {}\n", i * 7919 % 1000).as_bytes());
        i += 1;
    }
    out.truncate(300_000);
    out
}

const ALL: [Coding; 4] = [Coding::Gzip, Coding::Deflate, Coding::Brotli, Coding::Zstd];

#[test]
fn decoders_read_what_python_made() {
    let Some(server) = start() else { return };
    let (status, _, plain) = get(server.port, "/plain");
    assert_eq!(status, 200);
    assert_eq!(plain, self::plain());
    for path in ["gzip", "x-gzip", "deflate", "deflate-raw", "br", "zstd", "gzip-chunked"] {
        let (status, mut headers, body) = get(server.port, &format!("/{path}"));
        if status == 501 {
            eprintln!("SKIPPED /{path}: {}", String::from_utf8_lossy(&body));
            continue;
        }
        assert_eq!(status, 200, "/{path}");
        let c = coding::response_coding(&headers, &ALL).unwrap_or_else(|| panic!("/{path}: no coding"));
        assert!(body.len() < plain.len() / 3, "/{path}: {} bytes is not compressed", body.len());
        for (piece, read) in [(usize::MAX, 1 << 16), (1, 4096), (1000, 7), (65536, 100_000)] {
            assert_eq!(decode(c, &body, piece, read).as_deref(), Ok(&plain[..]), "/{path} {piece} {read}");
        }
        coding::decoded_headers(&mut headers);
        assert!(!headers.contains("Content-Encoding") && !headers.contains("Content-Length"), "/{path}");
    }
}

#[test]
fn corrupt_truncated_and_bombs_are_errors() {
    let Some(server) = start() else { return };
    for name in ["gzip", "deflate", "deflate-raw", "br", "zstd"] {
        let (status, headers, body) = get(server.port, &format!("/corrupt/{name}"));
        if status == 501 {
            eprintln!("SKIPPED {name}: {}", String::from_utf8_lossy(&body));
            continue;
        }
        let c = coding::response_coding(&headers, &ALL).unwrap();
        let r = decode(c, &body, 4096, 4096);
        if name == "deflate-raw" || name == "br" {
            // Raw deflate and brotli have no checksum: flipped bytes are caught when they break the
            // structure (an error, or a stream that never ends: Truncated), else they come out as
            // different bytes.
            assert!(r.as_ref().map_or(true, |v| *v != plain()), "/corrupt/{name} decoded to the original");
        } else {
            assert!(matches!(r, Err(Error::Corrupt)), "/corrupt/{name}: {:?}", r.map(|v| v.len()));
        }
        let (_, headers, body) = get(server.port, &format!("/truncated/{name}"));
        let c = coding::response_coding(&headers, &ALL).unwrap();
        assert_eq!(decode(c, &body, 4096, 4096).map(|v| v.len()), Err(Error::Truncated), "/truncated/{name}");
    }
    for name in ["gzip", "br", "zstd"] {
        let (status, headers, body) = get(server.port, &format!("/bomb/{name}"));
        if status == 501 {
            continue;
        }
        let c = coding::response_coding(&headers, &ALL).unwrap();
        // The cap stops it within the first few MiB; nothing near 64 MiB is ever made.
        let mut d = Decoder::new(c);
        let (mut pos, mut made, mut buf) = (0, 0u64, vec![0; 1 << 16]);
        let err = loop {
            match d.decode(&body[pos..], &mut buf) {
                Ok((u, m)) => {
                    pos += u;
                    made += m as u64;
                    assert!(u + m > 0, "/bomb/{name}: stalled");
                }
                Err(e) => break e,
            }
        };
        assert_eq!(err, Error::Bomb, "/bomb/{name}");
        assert!(made < 80 << 20 && d.totals().1 <= (body.len() as u64 * 1000).max(1 << 20) + (1 << 16), "{made}");
    }
    // Two codings: left to the caller.
    let (_, headers, _) = get(server.port, "/double");
    assert_eq!(coding::response_coding(&headers, &ALL), None);
}

/// A GET with extra request headers; the body as text.
fn get_with(port: u16, path: &str, extra: &HeaderList) -> (u16, HeaderList, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let mut head = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
    extra.write_lines(&mut head);
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).unwrap();
    let mut wire = Vec::new();
    s.read_to_end(&mut wire).unwrap();
    let (head, consumed) = match HeadParser::new(h1::DEFAULT_MAX_HEAD_SIZE).parse(&wire).unwrap() {
        Parse::Complete { head, consumed } => (head, consumed),
        Parse::Incomplete => panic!("{path}: incomplete head"),
    };
    let mut headers = HeaderList::new();
    for (n, v) in &head.headers {
        headers.push(n, v);
    }
    (head.status, headers, String::from_utf8_lossy(&wire[consumed..]).into_owned())
}

/// The jar and the merge rule against a real server's `Set-Cookie` headers and what it receives
/// back (Wine's cookie scenario: two names differing in case, then a caller's own `Cookie`).
#[test]
fn cookie_jar_round_trip() {
    use winhttp::proto::cookie::{self, Jar, Url};
    let Some(server) = start() else { return };
    let p = server.port;
    let mut jar = Jar::new();
    let now = 1_700_000_000;
    let url = |path| Url { secure: false, host: "127.0.0.1", path };
    let (_, h, _) = get_with(p, "/cookie/set-many", &HeaderList::new());
    assert_eq!(jar.record(h.get_all("Set-Cookie"), url("/cookie/set-many"), now), 2);
    // A cookie set on a redirect, limited to a path.
    let (status, h, _) =
        get_with(p, "/cookie/redirect?to=/cookie/echo&set=r%3D1%3B%20Path%3D%2Fcookie%2Fecho", &HeaderList::new());
    assert_eq!(status, 302);
    jar.record(h.get_all("Set-Cookie"), url("/cookie/redirect"), now);
    // Deleted again by Max-Age=0 would need the same path: this one is another cookie's.
    let (_, h, _) = get_with(p, "/cookie/set?r=gone;%20Max-Age=0", &HeaderList::new());
    jar.record(h.get_all("Set-Cookie"), url("/cookie/set"), now);

    let mut extra = HeaderList::new();
    extra.push("Cookie", "name=value2");
    cookie::merge_cookie_header(&mut extra, &jar.header_value(url("/cookie/echo"), now, true).unwrap());
    let (_, _, body) = get_with(p, "/cookie/echo", &extra);
    assert_eq!(body, "name=value2; r=1; NAME=value; name=value\n");
    // Elsewhere under /cookie the path-limited one is not sent; outside /cookie (the default path
    // of the URLs that set them) none is.
    assert_eq!(jar.header_value(url("/cookie/other"), now, true).as_deref(), Some("NAME=value; name=value"));
    assert_eq!(jar.header_value(url("/other"), now, true), None);
}

/// Decoding speed per coding (run by hand: `cargo test --release --test coding_server -- --ignored
/// --nocapture`); the numbers are in the README's dependency notes.
#[test]
#[ignore]
fn throughput() {
    let Some(server) = start() else { return };
    for path in ["gzip", "deflate", "br", "zstd"] {
        let (status, headers, body) = get(server.port, &format!("/{path}"));
        if status != 200 {
            continue;
        }
        let c = coding::response_coding(&headers, &ALL).unwrap();
        let rounds = 200;
        let t = std::time::Instant::now();
        for _ in 0..rounds {
            assert_eq!(decode(c, &body, 16384, 16384).unwrap().len(), 300_000);
        }
        let secs = t.elapsed().as_secs_f64();
        println!(
            "{path}: {} -> 300000 bytes, {:.0} MB/s of output",
            body.len(),
            300_000.0 * rounds as f64 / secs / 1e6
        );
    }
}
