//! Message heads: writing the request head, finding and parsing the response head.

use super::{Error, Version, decode_text, is_token};

/// The default cap on a response head, status line and final blank line included (WinHTTP's
/// default for `WINHTTP_OPTION_MAX_RESPONSE_HEADER_SIZE` is 64 KiB).
pub const DEFAULT_MAX_HEAD_SIZE: usize = 64 * 1024;

/// Appends "METHOD target HTTP/1.x\r\nName: value\r\n...\r\n" to `out`.
///
/// Refuses, leaving `out` untouched: a method that is not a token; an empty target or one holding
/// a byte that would break the request line (CR, LF, NUL, space: escaping is the caller's job;
/// other control characters and DEL pass, as WinHTTP sends them with `ESCAPE_DISABLE`); a header name that is
/// not a token; a header value holding CR, LF or NUL. Values are written as their UTF-8 bytes.
pub fn write_request_head(
    out: &mut Vec<u8>,
    method: &str,
    target: &str,
    version: Version,
    headers: &[(String, String)],
) -> Result<(), Error> {
    write_request_head_from(out, method, target, version, headers.iter().map(|(n, v)| (n.as_str(), v.as_str())))
}

/// [`write_request_head`] over borrowed (name, value) pairs: no copy of the headers is made.
pub fn write_request_head_from<'a, I>(
    out: &mut Vec<u8>,
    method: &str,
    target: &str,
    version: Version,
    headers: I,
) -> Result<(), Error>
where
    I: IntoIterator<Item = (&'a str, &'a str)>,
{
    if !is_token(method.as_bytes()) {
        return Err(Error::InvalidMethod);
    }
    if target.is_empty() || target.bytes().any(|b| matches!(b, b'\r' | b'\n' | 0 | b' ')) {
        return Err(Error::InvalidTarget);
    }
    // One pass: each header is checked as it is written, and a bad one takes back what was written.
    let start = out.len();
    out.reserve(method.len() + target.len() + 256);
    for part in [method, " ", target, " ", version.as_str(), "\r\n"] {
        out.extend_from_slice(part.as_bytes());
    }
    for (name, value) in headers {
        if !is_token(name.as_bytes()) || value.bytes().any(|b| matches!(b, b'\r' | b'\n' | 0)) {
            out.truncate(start);
            return Err(Error::InvalidHeader);
        }
        out.reserve(name.len() + value.len() + 4);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    Ok(())
}

/// A parsed response head.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Head {
    pub version: Version,
    pub status: u16,
    /// The reason phrase as sent (may be empty), decoded as described in the module docs.
    pub reason: std::borrow::Cow<'static, str>,
    /// The headers in wire order. Names as sent; values with surrounding whitespace removed and
    /// obs-folds (a line break followed by a space or tab) turned into spaces.
    pub headers: crate::proto::headers::HeaderList,
    /// Bytes the head took on the wire, leading blank lines and the final blank line included.
    pub raw_len: usize,
}

impl Head {
    /// True for a 1xx response other than 101: an interim response (100 Continue, 103 Early
    /// Hints...) that the engine skips before reading the final one. 101 is final.
    pub fn is_interim(&self) -> bool {
        (100..200).contains(&self.status) && self.status != 101
    }

    /// The first value of the header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name)
    }
}

/// The result of [`HeadParser::parse`] that is not an error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Parse {
    /// No complete head yet: read more and call again with the grown buffer.
    Incomplete,
    /// A head, which took the first `consumed` bytes of the buffer; what follows is body (or the
    /// next head, after an interim response).
    Complete { head: Head, consumed: usize },
}

/// Finds the end of a response head in a growing buffer, then parses the head with `httparse`.
///
/// Give [`HeadParser::parse`] the same buffer each time, grown at its end: the parser remembers
/// how far it has scanned, so feeding a head byte by byte costs O(length), not O(length²). After
/// `Complete` the parser starts afresh: drop the consumed bytes and call again for the next head.
///
/// Tolerated because real servers send them: LF-only line endings, blank lines before the status
/// line, several spaces around the status code, a missing reason phrase, whitespace between a
/// header name and its colon, and obs-fold continuation lines (unfolded into spaces). Not
/// tolerated: anything but "HTTP/1.0" or "HTTP/1.1" as version, a status code below 100, and
/// malformed header lines (no colon, bytes that are not a token in a name, controls in a value).
#[derive(Clone, Debug)]
pub struct HeadParser {
    max_head_size: usize,
    /// Bytes of the buffer scanned so far.
    scanned: usize,
    /// Where the line being scanned starts.
    line_start: usize,
    /// Whether the status line has been seen (and checked).
    status_seen: bool,
    /// Lines after the status line (an upper bound on the header count).
    header_lines: usize,
    /// Whether one of those lines starts with a space or tab (an obs-fold continuation).
    folded: bool,
}

impl Default for HeadParser {
    fn default() -> Self {
        HeadParser::new(DEFAULT_MAX_HEAD_SIZE)
    }
}

impl HeadParser {
    /// A parser refusing heads longer than `max_head_size` bytes with
    /// [`Error::HeaderSizeOverflow`].
    pub fn new(max_head_size: usize) -> Self {
        HeadParser { max_head_size, scanned: 0, line_start: 0, status_seen: false, header_lines: 0, folded: false }
    }

    /// Looks for a complete head at the start of `buf`. Detects a reply that cannot be HTTP/1.x
    /// as soon as its first bytes arrive, without waiting for the end of the head.
    pub fn parse(&mut self, buf: &[u8]) -> Result<Parse, Error> {
        debug_assert!(self.scanned <= buf.len(), "the buffer must only grow");
        if self.scanned == 0
            && !buf.is_empty()
            && let Some(done) = self.whole(buf)
        {
            return Ok(done);
        }
        let limit = buf.len().min(self.max_head_size);
        while let Some(i) = memchr::memchr(b'\n', &buf[self.scanned..limit]) {
            let lf = self.scanned + i;
            let line = &buf[self.line_start..lf];
            let blank = line.is_empty() || line == b"\r";
            self.scanned = lf + 1;
            self.line_start = lf + 1;
            match (self.status_seen, blank) {
                (false, true) => {} // blank lines before the status line are skipped
                (false, false) => {
                    check_status_line(&buf[..=lf])?;
                    self.status_seen = true;
                }
                (true, true) => return self.finish(&buf[..=lf]),
                (true, false) => {
                    self.header_lines += 1;
                    self.folded |= matches!(line[0], b' ' | b'\t');
                }
            }
        }
        self.scanned = limit;
        if !self.status_seen {
            // An incomplete status line must still be able to start with "HTTP/1." (or be the
            // CR of a blank line).
            let start = &buf[self.line_start..limit];
            let n = start.len().min(7);
            if start != b"\r" && start[..n] != b"HTTP/1."[..n] {
                return Err(Error::InvalidStatusLine);
            }
        }
        if buf.len() > self.max_head_size {
            return Err(Error::HeaderSizeOverflow);
        }
        Ok(Parse::Incomplete)
    }

    /// The error for a connection that closed while this parser still had no complete head
    /// (`buf` is what had arrived).
    pub fn eof(&self, buf: &[u8]) -> Error {
        if buf.is_empty() {
            Error::ClosedBeforeResponse
        } else if self.status_seen {
            Error::TruncatedHead
        } else {
            Error::InvalidStatusLine
        }
    }

    /// The fast path, for the usual case of a whole head arriving at once: one httparse pass
    /// over the buffer, and, when the head is ASCII without obs-folds or leading blank lines, one
    /// copy of it as the header list's text. `None` (anything else: incomplete, an error, more
    /// than 32 headers) leaves the parser untouched for the line scan below, which gives every
    /// error its exact code.
    fn whole(&mut self, buf: &[u8]) -> Option<Parse> {
        let limit = buf.len().min(self.max_head_size);
        let mut slots = [httparse::EMPTY_HEADER; 32];
        let mut res = httparse::Response::new(&mut slots);
        let consumed = match config().parse_response(&mut res, &buf[..limit]) {
            Ok(httparse::Status::Complete(n)) => n,
            _ => return None,
        };
        let (version, status) = version_and_status(&res)?;
        let raw = &buf[..consumed];
        // Lines: the status line, one per header, the blank line; more means obs-folds (or blank
        // lines before the status line, which only cost the unfolding check).
        let folded = memchr::memchr_iter(b'\n', raw).count() != res.headers.len() + 2;
        let plain = !folded && raw.is_ascii() && !matches!(raw[0], b'\r' | b'\n');
        let headers = if plain {
            let base = raw.as_ptr() as usize;
            let range = |s: &[u8]| {
                let start = (s.as_ptr() as usize).wrapping_sub(base) as u32;
                (start, start + s.len() as u32)
            };
            // SAFETY: checked ASCII above, so UTF-8.
            let text = unsafe { String::from_utf8_unchecked(raw.to_vec()) };
            let ranges = res.headers.iter().map(|h| (range(h.name.as_bytes()), range(h.value)));
            crate::proto::headers::HeaderList::from_ranges(text, ranges)
        } else {
            decoded_headers(res.headers, folded)
        };
        *self = HeadParser::new(self.max_head_size);
        Some(Parse::Complete {
            head: Head { version, status, reason: reason_phrase(raw), headers, raw_len: consumed },
            consumed,
        })
    }

    /// Parses the complete head `buf` and resets the parser for the next head.
    fn finish(&mut self, buf: &[u8]) -> Result<Parse, Error> {
        // Typical heads fit in slots on the stack; a larger one gets exactly what it needs.
        let mut small = [httparse::EMPTY_HEADER; 32];
        let mut large = Vec::new();
        let slots: &mut [httparse::Header<'_>] = if self.header_lines <= small.len() {
            &mut small[..self.header_lines]
        } else {
            large.resize(self.header_lines, httparse::EMPTY_HEADER);
            &mut large
        };
        let folded = self.folded;
        *self = HeadParser::new(self.max_head_size);
        let mut res = httparse::Response::new(slots);
        let consumed = match config().parse_response(&mut res, buf) {
            Ok(httparse::Status::Complete(n)) => n,
            Ok(httparse::Status::Partial) => return Err(Error::InvalidResponseHeader),
            Err(e) => return Err(map_httparse(e)),
        };
        let (version, status) = version_and_status(&res).ok_or(Error::InvalidStatusLine)?;
        let headers = decoded_headers(res.headers, folded);
        Ok(Parse::Complete {
            head: Head { version, status, reason: reason_phrase(buf), headers, raw_len: consumed },
            consumed,
        })
    }
}

/// HTTP/1.0 or 1.1 and a status of at least 100, or `None` (an invalid status line).
fn version_and_status(res: &httparse::Response<'_, '_>) -> Option<(Version, u16)> {
    let version = match res.version {
        Some(0) => Version::Http10,
        Some(1) => Version::Http11,
        _ => return None,
    };
    Some((version, res.code.filter(|&c| c >= 100)?))
}

/// The parsed headers as a list, each value decoded (and unfolded when the head has obs-folds):
/// one buffer for every name and value (see HeaderList), two allocations for the head.
fn decoded_headers(headers: &[httparse::Header<'_>], folded: bool) -> crate::proto::headers::HeaderList {
    let bytes = headers.iter().map(|h| h.name.len() + h.value.len()).sum();
    let mut list = crate::proto::headers::HeaderList::with_capacity_bytes(headers.len(), bytes);
    for h in headers {
        list.push_with(h.name, |text| decode_unfolded(h.value, folded, text));
    }
    list
}

fn config() -> httparse::ParserConfig {
    let mut config = httparse::ParserConfig::default();
    config
        .allow_multiple_spaces_in_response_status_delimiters(true)
        .allow_spaces_after_header_name_in_responses(true)
        .allow_obsolete_multiline_headers_in_responses(true);
    config
}

fn map_httparse(e: httparse::Error) -> Error {
    match e {
        httparse::Error::Status | httparse::Error::Version | httparse::Error::Token => Error::InvalidStatusLine,
        httparse::Error::HeaderName
        | httparse::Error::HeaderValue
        | httparse::Error::NewLine
        | httparse::Error::TooManyHeaders => Error::InvalidResponseHeader,
    }
}

/// Checks the status line, `buf` ending with its LF (httparse stops there with `Partial`).
///
/// Whatever httparse objects to here is in the status line or the blank lines before it, so it is
/// always [`Error::InvalidStatusLine`]: the same error the incomplete-line check in
/// [`HeadParser::parse`] gives, however the bytes were split (a stray CR, "\r\r\n", would
/// otherwise be httparse's `NewLine`, an invalid header, when the line arrives whole).
fn check_status_line(buf: &[u8]) -> Result<(), Error> {
    let mut res = httparse::Response::new(&mut []);
    match config().parse_response(&mut res, buf) {
        Ok(_) => Ok(()),
        Err(_) => Err(Error::InvalidStatusLine),
    }
}

/// The reason phrase as sent, read from the raw status line of a head that httparse accepted
/// (httparse itself returns "" for a reason holding bytes above 0x7F).
fn reason_phrase(head: &[u8]) -> std::borrow::Cow<'static, str> {
    let start = head.iter().position(|&b| b != b'\r' && b != b'\n').unwrap_or(0);
    let line = &head[start..];
    let line = &line[..line.iter().position(|&b| b == b'\n').unwrap_or(line.len())];
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    // "HTTP/1.x", spaces, three digits, then optional spaces and the reason.
    let rest = line.get(8..).unwrap_or_default();
    let rest = &rest[rest.iter().take_while(|&&b| b == b' ').count()..];
    let rest = rest.get(3..).unwrap_or_default();
    let rest = &rest[rest.iter().take_while(|&&b| b == b' ').count()..];
    match rest {
        b"OK" => "OK".into(),
        b"" => "".into(),
        _ => decode_text(rest).into(),
    }
}

/// Appends a header value to `out`, decoded as described in the module docs, with obs-fold line
/// breaks turned into spaces (RFC 9112 §5.2) when the head has any (`folded`).
fn decode_unfolded(value: &[u8], folded: bool, out: &mut String) {
    let start = out.len();
    if value.is_ascii() {
        // SAFETY: ASCII is UTF-8.
        out.push_str(unsafe { core::str::from_utf8_unchecked(value) });
    } else {
        match core::str::from_utf8(value) {
            Ok(s) => out.push_str(s),
            Err(_) => out.extend(value.iter().map(|&b| char::from(b))),
        }
    }
    if folded && memchr::memchr2(b'\r', b'\n', value).is_some() {
        let unfolded = out[start..].replace(['\r', '\n'], " ");
        out.truncate(start);
        out.push_str(&unfolded);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect()
    }

    fn parse_all(bytes: &[u8]) -> Result<Parse, Error> {
        HeadParser::default().parse(bytes)
    }

    fn complete(bytes: &[u8]) -> (Head, usize) {
        match parse_all(bytes) {
            Ok(Parse::Complete { head, consumed }) => (head, consumed),
            other => panic!("expected a complete head, got {other:?}"),
        }
    }

    /// Feeds `bytes` one at a time into a growing buffer; returns the result of the first call
    /// that is not `Incomplete` and the buffer length at that point.
    fn drip(parser: &mut HeadParser, bytes: &[u8]) -> (Result<Parse, Error>, usize) {
        let mut buf = Vec::new();
        for &b in bytes {
            buf.push(b);
            match parser.parse(&buf) {
                Ok(Parse::Incomplete) => {}
                other => return (other, buf.len()),
            }
        }
        (Ok(Parse::Incomplete), buf.len())
    }

    #[test]
    fn writes_request_head() {
        let mut out = b"left over".to_vec();
        let headers = h(&[("Host", "example.com"), ("Content-Length", "0"), ("X-Empty", "")]);
        write_request_head(&mut out, "PUT", "/a?b=c", Version::Http11, &headers).unwrap();
        assert_eq!(out, b"left overPUT /a?b=c HTTP/1.1\r\nHost: example.com\r\nContent-Length: 0\r\nX-Empty: \r\n\r\n");
        let mut out = Vec::with_capacity(512);
        let at = out.as_ptr();
        write_request_head(&mut out, "GET", "http://h/x", Version::Http10, &[]).unwrap();
        assert_eq!(out, b"GET http://h/x HTTP/1.0\r\n\r\n");
        assert_eq!(out.as_ptr(), at, "written into the room the caller gave, no reallocation");
        // A bad header takes back everything written for the head.
        let mut out = b"keep".to_vec();
        let bad = h(&[("Good", "1"), ("Bad", "a\r\nInjected: 1")]);
        assert_eq!(write_request_head(&mut out, "GET", "/", Version::Http11, &bad), Err(Error::InvalidHeader));
        assert_eq!(out, b"keep");
    }

    #[test]
    fn refuses_request_injection() {
        let ok: &[(&str, &str)] = &[("A", "b")];
        type Case<'a> = (&'a str, &'a str, &'a [(&'a str, &'a str)], Error);
        let cases: &[Case] = &[
            ("GET\r\nX: y", "/", ok, Error::InvalidMethod),
            ("GET /", "/", ok, Error::InvalidMethod),
            ("", "/", ok, Error::InvalidMethod),
            ("G\0T", "/", ok, Error::InvalidMethod),
            ("GET", "/a\r\nX: y", ok, Error::InvalidTarget),
            ("GET", "/a\nb", ok, Error::InvalidTarget),
            ("GET", "/a\0", ok, Error::InvalidTarget),
            ("GET", "/a b", ok, Error::InvalidTarget),
            ("GET", "", ok, Error::InvalidTarget),
            ("GET", "/", &[("A", "b\r\nEvil: 1")], Error::InvalidHeader),
            ("GET", "/", &[("A", "b\n")], Error::InvalidHeader),
            ("GET", "/", &[("A", "b\r")], Error::InvalidHeader),
            ("GET", "/", &[("A", "b\0")], Error::InvalidHeader),
            ("GET", "/", &[("A\r\nB", "b")], Error::InvalidHeader),
            ("GET", "/", &[("A B", "b")], Error::InvalidHeader),
            ("GET", "/", &[("A:", "b")], Error::InvalidHeader),
            ("GET", "/", &[("", "b")], Error::InvalidHeader),
            ("GET", "/", &[("Ä", "b")], Error::InvalidHeader),
        ];
        // Other control characters and DEL are the caller's choice (WinHTTP's ESCAPE_DISABLE).
        let mut out = Vec::new();
        write_request_head(&mut out, "GET", "/a\x1f\x7f\t<", Version::Http11, &[]).unwrap();
        assert!(out.starts_with(b"GET /a\x1f\x7f\t< HTTP/1.1\r\n"));
        for (method, target, headers, want) in cases {
            let mut out = b"keep".to_vec();
            let got = write_request_head(&mut out, method, target, Version::Http11, &h(headers));
            assert_eq!(got, Err(*want), "{method:?} {target:?} {headers:?}");
            assert_eq!(out, b"keep", "nothing written on error");
        }
        // Allowed: 0x7F and non-ASCII are the caller's escaping business; tabs in values are fine.
        let mut out = Vec::new();
        write_request_head(&mut out, "M-SEARCH", "/\x7f", Version::Http11, &h(&[("A", "x\ty é")])).unwrap();
    }

    #[test]
    fn parses_a_simple_head() {
        let raw = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A:  spaced  \r\nX-A: two\r\n\r\nhello";
        let (head, consumed) = complete(raw);
        assert_eq!(consumed, raw.len() - 5);
        assert_eq!(head.raw_len, consumed);
        assert_eq!(head.version, Version::Http11);
        assert_eq!(head.status, 200);
        assert_eq!(head.reason, "OK");
        assert_eq!(head.headers.to_pairs(), h(&[("Content-Length", "5"), ("X-A", "spaced"), ("X-A", "two")]));
        assert_eq!(head.header("x-a"), Some("spaced"));
        assert_eq!(head.header("nope"), None);
        assert!(!head.is_interim());
    }

    #[test]
    fn byte_at_a_time() {
        let raw = b"HTTP/1.0 404 Not Found\r\nServer: x\r\nA: b\r\n\r\n";
        let mut p = HeadParser::default();
        let (res, at) = drip(&mut p, raw);
        assert_eq!(at, raw.len(), "complete exactly at the last byte");
        let Ok(Parse::Complete { head, consumed }) = res else { panic!("{res:?}") };
        assert_eq!(consumed, raw.len());
        assert_eq!((head.version, head.status, &*head.reason), (Version::Http10, 404, "Not Found"));
        assert_eq!(head.headers.len(), 2);
    }

    #[test]
    fn lf_only_and_leading_blank_lines() {
        let raw = b"\r\n\nHTTP/1.1 204 No Content\nA: 1\nB:2\n\nrest";
        let (head, consumed) = complete(raw);
        assert_eq!(consumed, raw.len() - 4);
        assert_eq!(head.status, 204);
        assert_eq!(head.headers.to_pairs(), h(&[("A", "1"), ("B", "2")]));
        let mut p = HeadParser::default();
        let (res, at) = drip(&mut p, raw);
        assert!(matches!(res, Ok(Parse::Complete { consumed: c, .. }) if c == consumed));
        assert_eq!(at, consumed);
    }

    #[test]
    fn tolerated_oddities() {
        // No reason phrase, with and without the space.
        assert_eq!(complete(b"HTTP/1.1 200\r\n\r\n").0.reason, "");
        assert_eq!(complete(b"HTTP/1.1 200 \r\n\r\n").0.reason, "");
        // Several spaces; the reason is kept as sent, inner spaces included.
        let (head, _) = complete(b"HTTP/1.1  302   Moved  Here \r\n\r\n");
        assert_eq!((head.status, &*head.reason), (302, "Moved  Here "));
        // Latin-1 and UTF-8 reason phrases survive (httparse alone would give "").
        assert_eq!(complete(b"HTTP/1.1 200 D\xe9j\xe0 vu\r\n\r\n").0.reason, "Déjà vu");
        assert_eq!(complete("HTTP/1.1 200 Déjà vu\r\n\r\n".as_bytes()).0.reason, "Déjà vu");
        // Space before the colon; obs-fold; empty values; 8-bit values.
        let (head, _) = complete(
            b"HTTP/1.1 200 OK\r\nName : v\r\nFolded: a\r\n  b\r\n\tc\r\nEmpty:\r\nL1: \xe9t\xe9\r\nU8: \xc3\xa9\r\n\r\n",
        );
        assert_eq!(
            head.headers.to_pairs(),
            h(&[("Name", "v"), ("Folded", "a    b  \tc"), ("Empty", ""), ("L1", "été"), ("U8", "é")])
        );
    }

    #[test]
    fn interim_responses() {
        let raw = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\n\r\n";
        let mut p = HeadParser::default();
        let mut buf = raw.to_vec();
        let mut seen = Vec::new();
        loop {
            let Ok(Parse::Complete { head, consumed }) = p.parse(&buf) else { panic!() };
            buf.drain(..consumed);
            seen.push((head.status, head.is_interim()));
            if !head.is_interim() {
                break;
            }
        }
        assert_eq!(seen, [(100, true), (103, true), (200, false)]);
        assert!(buf.is_empty());
        assert!(!complete(b"HTTP/1.1 101 Switching Protocols\r\n\r\n").0.is_interim());
        assert!(complete(b"HTTP/1.1 199 X\r\n\r\n").0.is_interim());
    }

    #[test]
    fn garbage_is_detected_early() {
        for raw in [
            &b"<html>hello</html>"[..],
            b"hello world\r\n\r\n",
            b"HTTP/2 200 OK\r\n\r\n",
            b"HTTP/1.2 200 OK\r\n",
            b"http/1.1 200 OK\r\n",
            b" HTTP/1.1 200 OK\r\n",
            b"HTTP/1.1 2000 OK\r\n",
            b"HTTP/1.1 20 OK\r\n",
            b"HTTP/1.1 abc OK\r\n",
            b"HTTP/1.1 200 O\x01K\r\n",
            b"HTTP/1.1\r\n",
            b"\r\r\n",
            b"ICY 200 OK\r\n",
        ] {
            let mut p = HeadParser::default();
            let (res, at) = drip(&mut p, raw);
            assert_eq!(res, Err(Error::InvalidStatusLine), "{:?}", String::from_utf8_lossy(raw));
            let first_line = raw.iter().position(|&b| b == b'\n').map_or(raw.len(), |i| i + 1);
            assert!(at <= first_line, "detected within the first line");
            // The same error when the bytes arrive in one piece (the head fuzz target compares the
            // two; "\r\r\n" whole was an invalid header).
            assert_eq!(parse_all(raw), Err(Error::InvalidStatusLine), "whole: {:?}", String::from_utf8_lossy(raw));
        }
        assert_eq!(parse_all(b"\r\rHTTP/1.1 200 OK\r\n\r\n"), Err(Error::InvalidStatusLine));
        // A status code below 100 is refused once the head is complete.
        assert_eq!(parse_all(b"HTTP/1.1 099 Low\r\n\r\n"), Err(Error::InvalidStatusLine));
        // Bad header lines.
        for raw in [
            &b"HTTP/1.1 200 OK\r\nNo colon\r\n\r\n"[..],
            b"HTTP/1.1 200 OK\r\nBad\x01Name: x\r\n\r\n",
            b"HTTP/1.1 200 OK\r\n: empty name\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nA: b\x00c\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nA: b\rc\r\n\r\n",
        ] {
            assert_eq!(parse_all(raw), Err(Error::InvalidResponseHeader), "{raw:?}");
        }
    }

    #[test]
    fn head_size_cap() {
        let raw = b"HTTP/1.1 200 OK\r\nA: 1\r\n\r\n"; // 25 bytes
        let mut exact = HeadParser::new(raw.len());
        assert!(matches!(drip(&mut exact, raw).0, Ok(Parse::Complete { .. })));
        // Body bytes after a head that fits are not counted.
        let mut with_body = raw.to_vec();
        with_body.extend_from_slice(&[b'x'; 100]);
        assert!(matches!(HeadParser::new(raw.len()).parse(&with_body), Ok(Parse::Complete { .. })));
        let mut short = HeadParser::new(raw.len() - 1);
        let (res, at) = drip(&mut short, raw);
        assert_eq!((res, at), (Err(Error::HeaderSizeOverflow), raw.len()));
        assert_eq!(HeadParser::new(raw.len() - 1).parse(raw), Err(Error::HeaderSizeOverflow));
        // A megabyte of header is refused without waiting for its end.
        let mut big = b"HTTP/1.1 200 OK\r\nX: ".to_vec();
        big.resize(1 << 20, b'a');
        assert_eq!(parse_all(&big), Err(Error::HeaderSizeOverflow));
    }

    #[test]
    fn many_headers() {
        let mut raw = b"HTTP/1.1 200 OK\r\n".to_vec();
        for i in 0..5000 {
            raw.extend_from_slice(format!("H{i}: {i}\r\n").as_bytes());
        }
        raw.extend_from_slice(b"\r\n");
        let (head, _) = match HeadParser::new(1 << 20).parse(&raw) {
            Ok(Parse::Complete { head, consumed }) => (head, consumed),
            other => panic!("{other:?}"),
        };
        assert_eq!(head.headers.len(), 5000);
        assert_eq!(head.headers.pairs().nth(4999), Some(("H4999", "4999")));
        // Minimal lines ("a:\n") can't outnumber the slots.
        let mut raw = b"HTTP/1.1 200 OK\n".to_vec();
        raw.extend(b"a:\n".repeat(20000));
        raw.push(b'\n');
        let Ok(Parse::Complete { head, .. }) = HeadParser::new(1 << 20).parse(&raw) else { panic!() };
        assert_eq!(head.headers.len(), 20000);
    }

    /// The whole-head fast path and the line scan agree on every head, whole or dripped.
    #[test]
    fn fast_path_agrees_with_the_line_scan() {
        let heads: &[&[u8]] = &[
            b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: keep-alive\r\n\r\nabc",
            b"HTTP/1.1 200 OK\r\nX-Fold: a\r\n  b\r\nY: c\r\n\r\n",
            b"\r\nHTTP/1.0 404 Not Found\r\nA: 1\r\n\r\n",
            b"HTTP/1.1 200 \xc3\xa9t\xe9\r\nX-Latin: caf\xe9\r\nX-Utf8: \xc3\xa9\r\n\r\n",
            b"HTTP/1.1 200 OK\nBare: lf\n\n",
            b"HTTP/1.1 204  \r\nEmpty:\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nBad Header: x\r\n\r\n",
            b"HTTP/1.1 99 Low\r\n\r\n",
            b"HTTP/1.1 200 OK\r\r\nA: b\r\n\r\n",
            b"HTTP/2.0 200 OK\r\n\r\n",
        ];
        for &raw in heads {
            let whole = HeadParser::default().parse(raw);
            let (dripped, _) = drip(&mut HeadParser::default(), raw);
            assert_eq!(whole, dripped, "{}", String::from_utf8_lossy(raw));
        }
        let mut many = b"HTTP/1.1 200 OK\r\n".to_vec();
        for i in 0..40 {
            many.extend_from_slice(format!("H{i}: v{i}\r\n").as_bytes());
        }
        many.extend_from_slice(b"\r\n");
        assert_eq!(HeadParser::default().parse(&many), drip(&mut HeadParser::default(), &many).0);
    }

    #[test]
    fn eof_errors() {
        let p = HeadParser::default();
        assert_eq!(p.eof(b""), Error::ClosedBeforeResponse);
        assert_eq!(p.eof(b"HTT"), Error::InvalidStatusLine);
        let mut p = HeadParser::default();
        assert_eq!(p.parse(b"HTTP/1.1 200 OK\r\nA: b"), Ok(Parse::Incomplete));
        assert_eq!(p.eof(b"HTTP/1.1 200 OK\r\nA: b"), Error::TruncatedHead);
        assert_eq!(Error::ClosedBeforeResponse.code(), crate::abi::ERROR_WINHTTP_CONNECTION_ERROR);
        assert_eq!(Error::TruncatedHead.code(), crate::abi::ERROR_WINHTTP_INVALID_SERVER_RESPONSE);
    }
}
