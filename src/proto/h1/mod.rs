//! The sans-IO HTTP/1.1 client core: bytes in, bytes and decisions out.
//!
//! What it does, in the order a request needs it:
//! - [`write_request_head`] serialises the request line and headers, refusing anything that could
//!   split the message (CR, LF or NUL in any part, a method or header name that is not a token).
//! - [`HeadParser`] finds and parses a response head in a growing buffer (on `httparse`), with a
//!   size cap, and recognises 1xx interim responses ([`Head::is_interim`]).
//! - [`framing`] decides how the body is delimited (RFC 9112 §6.3) and [`keep_alive`] whether the
//!   connection may be reused after it.
//! - [`Decoder`] removes the framing (Content-Length, chunked with extensions and trailers, or
//!   "until close") and tells how many body bytes are available without further I/O.
//!
//! What it must not do: touch a socket, a handle, a timer or the last error; block; allocate per
//! byte (allocations are per head, per header and per trailer line). Every error is a value of
//! [`Error`], and [`Error::code`] gives the WinHTTP code the engine reports.
//!
//! Text decoding: header names are tokens (ASCII). Header values and the reason phrase are decoded
//! as UTF-8 when they are valid UTF-8, and otherwise as Latin-1 (each byte becomes U+0000..U+00FF),
//! so no byte is ever lost or replaced.

mod decode;
mod encode;
mod framing;
mod head;

pub use decode::{DEFAULT_MAX_CHUNK_LINE, Decoder};
pub use encode::{Encoder, frame_request};
pub use framing::{Framing, framing, framing_and_keep_alive, keep_alive};
pub use head::{DEFAULT_MAX_HEAD_SIZE, Head, HeadParser, Parse, write_request_head, write_request_head_from};

use crate::abi::{
    DWORD, ERROR_INVALID_PARAMETER, ERROR_WINHTTP_CHUNKED_ENCODING_HEADER_SIZE_OVERFLOW,
    ERROR_WINHTTP_CONNECTION_ERROR, ERROR_WINHTTP_HEADER_SIZE_OVERFLOW, ERROR_WINHTTP_INVALID_HEADER,
    ERROR_WINHTTP_INVALID_SERVER_RESPONSE,
};

/// The HTTP version of a request or response. Only HTTP/1.0 and HTTP/1.1 exist on this wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    Http10,
    Http11,
}

impl Version {
    /// The version as it appears on the wire: "HTTP/1.0" or "HTTP/1.1".
    pub fn as_str(self) -> &'static str {
        match self {
            Version::Http10 => "HTTP/1.0",
            Version::Http11 => "HTTP/1.1",
        }
    }

    /// Parses "HTTP/1.0" or "HTTP/1.1" (ASCII case-insensitive, as callers of WinHttpOpenRequest
    /// may write it); anything else is `None`.
    pub fn parse(s: &str) -> Option<Version> {
        if s.eq_ignore_ascii_case("HTTP/1.0") {
            Some(Version::Http10)
        } else if s.eq_ignore_ascii_case("HTTP/1.1") {
            Some(Version::Http11)
        } else {
            None
        }
    }
}

/// Everything that can go wrong in the HTTP/1.1 core. [`Error::code`] maps each to WinHTTP.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// Request: the method is empty or not a token.
    InvalidMethod,
    /// Request: the target is empty or holds a control character or a space.
    InvalidTarget,
    /// Request: a header name is not a token, or a value holds CR, LF or NUL.
    InvalidHeader,
    /// Response: no valid status line ("HTTP/1.x NNN ..."), e.g. garbage or an HTTP/0.9 reply.
    InvalidStatusLine,
    /// Response: a malformed header line.
    InvalidResponseHeader,
    /// Response: the head (or the trailers) exceeded the configured maximum size.
    HeaderSizeOverflow,
    /// Response: a Content-Length that is not a number, or several that differ.
    InvalidContentLength,
    /// Chunked body: a malformed chunk-size line or a missing CRLF after chunk data.
    InvalidChunk,
    /// Chunked body: the chunk size does not fit in 64 bits.
    ChunkSizeOverflow,
    /// Chunked body: a chunk-size line (with its extensions) longer than the cap.
    ChunkLineTooLong,
    /// The connection closed before any byte of the response arrived.
    ClosedBeforeResponse,
    /// The connection closed in the middle of the response head.
    TruncatedHead,
    /// The connection closed before the end of a Content-Length or chunked body.
    TruncatedBody,
}

impl Error {
    /// The WinHTTP error code the engine reports for this error.
    pub fn code(self) -> DWORD {
        match self {
            Error::InvalidMethod | Error::InvalidTarget => ERROR_INVALID_PARAMETER,
            Error::InvalidHeader => ERROR_WINHTTP_INVALID_HEADER,
            Error::InvalidStatusLine
            | Error::InvalidResponseHeader
            | Error::InvalidContentLength
            | Error::InvalidChunk
            | Error::ChunkSizeOverflow
            | Error::TruncatedHead => ERROR_WINHTTP_INVALID_SERVER_RESPONSE,
            Error::HeaderSizeOverflow => ERROR_WINHTTP_HEADER_SIZE_OVERFLOW,
            Error::ChunkLineTooLong => ERROR_WINHTTP_CHUNKED_ENCODING_HEADER_SIZE_OVERFLOW,
            Error::ClosedBeforeResponse | Error::TruncatedBody => ERROR_WINHTTP_CONNECTION_ERROR,
        }
    }
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Error::InvalidMethod => "invalid request method",
            Error::InvalidTarget => "invalid request target",
            Error::InvalidHeader => "invalid request header",
            Error::InvalidStatusLine => "invalid response status line",
            Error::InvalidResponseHeader => "invalid response header",
            Error::HeaderSizeOverflow => "response header size overflow",
            Error::InvalidContentLength => "invalid Content-Length",
            Error::InvalidChunk => "invalid chunked encoding",
            Error::ChunkSizeOverflow => "chunk size overflow",
            Error::ChunkLineTooLong => "chunk-size line too long",
            Error::ClosedBeforeResponse => "connection closed before the response",
            Error::TruncatedHead => "connection closed inside the response head",
            Error::TruncatedBody => "connection closed before the end of the body",
        })
    }
}

impl std::error::Error for Error {}

/// The `tchar` bytes (RFC 9110 §5.6.2), as a table.
static TCHAR: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = (b as u8).is_ascii_alphanumeric();
        b += 1;
    }
    let extra = b"!#$%&'*+-.^_`|~";
    let mut i = 0;
    while i < extra.len() {
        t[extra[i] as usize] = true;
        i += 1;
    }
    t
};

/// True if `b` is a `tchar` (RFC 9110 §5.6.2).
#[inline]
fn is_tchar(b: u8) -> bool {
    TCHAR[b as usize]
}

/// True if `s` is a non-empty token.
fn is_token(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().all(|&b| is_tchar(b))
}

/// Decodes header or reason bytes: UTF-8 if valid, else Latin-1 (lossless either way).
fn decode_text(bytes: &[u8]) -> String {
    match core::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(_) => bytes.iter().map(|&b| char::from(b)).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_round_trip() {
        assert_eq!(Version::parse("HTTP/1.1"), Some(Version::Http11));
        assert_eq!(Version::parse("http/1.0"), Some(Version::Http10));
        assert_eq!(Version::parse("HTTP/2"), None);
        assert_eq!(Version::Http10.as_str(), "HTTP/1.0");
    }

    #[test]
    fn error_codes() {
        assert_eq!(Error::InvalidStatusLine.code(), 12152);
        assert_eq!(Error::HeaderSizeOverflow.code(), 12182);
        assert_eq!(Error::ChunkLineTooLong.code(), 12183);
        assert_eq!(Error::TruncatedBody.code(), 12030);
        assert_eq!(Error::InvalidHeader.code(), 12153);
        assert_eq!(Error::InvalidMethod.code(), 87);
    }

    #[test]
    fn text_decoding_is_lossless() {
        assert_eq!(decode_text(b"caf\xc3\xa9"), "café");
        assert_eq!(decode_text(b"caf\xe9"), "café");
        assert_eq!(decode_text(b"\xff\x80"), "\u{ff}\u{80}");
    }

    /// (final head, body, size of each read, reusable, bytes left after the body)
    type Outcome = (Head, Vec<u8>, Vec<usize>, bool, usize);

    /// What the engine does with one response on a connection: parse the head (skipping interim
    /// ones), decide the framing, decode the body the way WinHttpQueryDataAvailable and
    /// WinHttpReadData would (8192-byte reads), then decide reuse.
    fn exchange(method: &str, wire: &[u8]) -> Result<Outcome, Error> {
        let mut parser = HeadParser::default();
        let mut buf = wire.to_vec();
        let head = loop {
            match parser.parse(&buf)? {
                Parse::Incomplete => return Err(parser.eof(&buf)),
                Parse::Complete { head, consumed } => {
                    buf.drain(..consumed);
                    if !head.is_interim() {
                        break head;
                    }
                }
            }
        };
        let framing = framing(method, &head)?;
        let mut decoder = Decoder::new(framing);
        let (mut body, mut reads) = (Vec::new(), Vec::new());
        loop {
            let skipped = decoder.skip_framing(&buf)?;
            buf.drain(..skipped);
            let available = decoder.available(buf.len());
            if available == 0 {
                if decoder.is_done() {
                    break;
                }
                decoder.eof()?; // nothing more will arrive
                break;
            }
            let mut out = vec![0; available.min(8192)];
            let (used, made) = decoder.decode(&buf, &mut out)?;
            buf.drain(..used);
            body.extend_from_slice(&out[..made]);
            reads.push(made);
        }
        let reuse = keep_alive(&head, framing);
        Ok((head, body, reads, reuse, buf.len()))
    }

    #[test]
    fn whole_exchanges() {
        // 100 Continue, then 200 with a Content-Length body and a pipelined leftover.
        let mut wire = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 8784\r\n\r\n".to_vec();
        wire.extend(std::iter::repeat_n(b'z', 8784));
        wire.extend_from_slice(b"HTTP/1.1");
        let (head, body, reads, reuse, left) = exchange("GET", &wire).unwrap();
        assert_eq!((head.status, body.len(), reads, reuse, left), (200, 8784, vec![8192, 592], true, 8));
        // Chunked: each availability is one chunk.
        let wire = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nline1\n\r\n6\r\nline2\n\r\n0\r\n\r\n";
        let (_, body, reads, reuse, _) = exchange("GET", wire).unwrap();
        assert_eq!((body.as_slice(), reads, reuse), (&b"line1\nline2\n"[..], vec![6, 6], true));
        // Close-delimited: the whole page, then the end at EOF; never reused.
        let mut wire = b"HTTP/1.1 200 OK\r\n\r\n".to_vec();
        wire.extend([b'p'; 128]);
        let (_, _, reads, reuse, _) = exchange("GET", &wire).unwrap();
        assert_eq!((reads, reuse), (vec![128], false));
        // No body despite Content-Length, no waiting.
        for (method, wire) in [
            ("HEAD", &b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"[..]),
            ("GET", b"HTTP/1.1 204 No Content\r\n\r\n"),
            ("GET", b"HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n"),
        ] {
            let (_, body, reads, reuse, _) = exchange(method, wire).unwrap();
            assert!(body.is_empty() && reads.is_empty() && reuse, "{method} {wire:?}");
        }
        let (head, body, _, reuse, _) =
            exchange("GET", b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x00").unwrap();
        assert!(head.status == 101 && body.is_empty() && !reuse);
        // Failures, as the engine sees them.
        assert_eq!(exchange("GET", b"").unwrap_err(), Error::ClosedBeforeResponse);
        assert_eq!(exchange("GET", b"<html>hello</html>").unwrap_err().code(), 12152);
        assert_eq!(exchange("GET", b"HTTP/1.1 200 OK\r\nContent-Le").unwrap_err(), Error::TruncatedHead);
        let short = b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc";
        assert_eq!(exchange("GET", short).unwrap_err(), Error::TruncatedBody);
        let conflict = b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab";
        assert_eq!(exchange("GET", conflict).unwrap_err(), Error::InvalidContentLength);
        let smuggle = b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n";
        let (_, body, _, reuse, left) = exchange("GET", smuggle).unwrap();
        assert_eq!((body.as_slice(), reuse, left), (&b"x"[..], false, 0));
    }

    #[test]
    fn connection_tokens_across_headers() {
        // Tokens are split on commas, trimmed, empty ones skipped, across every Connection header.
        let head = |pairs: &[(&str, &str)]| Head {
            version: Version::Http10,
            status: 200,
            reason: "".into(),
            headers: pairs.iter().copied().collect(),
            raw_len: 0,
        };
        let h = head(&[("Connection", "Upgrade, ,close"), ("X", "y"), ("connection", "\tkeep-alive ")]);
        assert!(!keep_alive(&h, Framing::Length(0)));
        let h = head(&[("Connection", "Upgrade, ,"), ("X", "y"), ("connection", "\tKEEP-ALIVE ")]);
        assert!(keep_alive(&h, Framing::Length(0)));
        assert_eq!(framing_and_keep_alive("GET", &h), Ok((Framing::CloseDelimited, false)));
    }
}
