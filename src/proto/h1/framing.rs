//! How a response body is delimited (RFC 9112 §6.3), and whether the connection survives it.

use super::{Error, Head, Version};

/// How the body of a response is delimited on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Framing {
    /// No body at all, whatever the headers say (HEAD, 1xx, 204, 304, 2xx to CONNECT).
    NoBody,
    /// Exactly this many bytes (Content-Length).
    Length(u64),
    /// Chunked transfer coding, ended by the last chunk and the trailers.
    Chunked,
    /// Everything until the server closes the connection.
    CloseDelimited,
}

/// Decides the framing of the response `head` to a request with `method` (RFC 9112 §6.3):
///
/// 1. `HEAD`, 1xx (101 included: what follows is another protocol), 204, 304, and any 2xx to
///    `CONNECT` (a tunnel follows): no body.
/// 2. Transfer-Encoding present: chunked if "chunked" is the last coding (Content-Length is then
///    ignored, and [`keep_alive`] refuses reuse); otherwise close-delimited.
/// 3. Content-Length: its value. Repeated or comma-listed identical values are one value;
///    different values, an empty one, anything but digits, or more than 64 bits: an error.
/// 4. Otherwise: close-delimited.
///
/// Methods are case-sensitive (RFC 9110 §9.1): "head" is not HEAD.
pub fn framing(method: &str, head: &Head) -> Result<Framing, Error> {
    decide(method, head, &Summary::of(head))
}

fn decide(method: &str, head: &Head, summary: &Summary) -> Result<Framing, Error> {
    let status = head.status;
    if method == "HEAD"
        || (100..200).contains(&status)
        || status == 204
        || status == 304
        || (method == "CONNECT" && (200..300).contains(&status))
    {
        return Ok(Framing::NoBody);
    }
    if summary.te {
        return Ok(if summary.chunked_last { Framing::Chunked } else { Framing::CloseDelimited });
    }
    match summary.length {
        None => Ok(Framing::CloseDelimited),
        Some(length) => length.map(Framing::Length),
    }
}

/// Whether the connection may carry another request once this response's body has been read
/// to its end: never after a close-delimited body or a 101; never after a response with both
/// Transfer-Encoding and Content-Length, or with Transfer-Encoding in HTTP/1.0 (RFC 9112 §6.1:
/// suspect framing); never with "Connection: close"; HTTP/1.1 otherwise, HTTP/1.0 only with
/// "Connection: keep-alive".
///
/// The request side (a request sent with "Connection: close", a tunnel after CONNECT) is the
/// caller's business.
pub fn keep_alive(head: &Head, framing: Framing) -> bool {
    persists(head, framing, &Summary::of(head))
}

fn persists(head: &Head, framing: Framing, summary: &Summary) -> bool {
    let te = summary.te;
    if framing == Framing::CloseDelimited
        || head.status == 101
        || (te && summary.length.is_some())
        || (te && head.version == Version::Http10)
    {
        return false;
    }
    match head.version {
        Version::Http11 => !summary.close,
        Version::Http10 => summary.keep_alive && !summary.close,
    }
}

/// [`framing`] and [`keep_alive`] together, from one pass over the headers.
pub fn framing_and_keep_alive(method: &str, head: &Head) -> Result<(Framing, bool), Error> {
    let summary = Summary::of(head);
    let framing = decide(method, head, &summary)?;
    Ok((framing, persists(head, framing, &summary)))
}

/// What the headers that decide framing and persistence say, gathered in one pass.
#[derive(Default)]
struct Summary {
    /// A Transfer-Encoding header is present, and whether its last coding is "chunked".
    te: bool,
    chunked_last: bool,
    /// Content-Length: absent, its value, or the error it makes.
    length: Option<Result<u64, Error>>,
    /// Connection tokens.
    close: bool,
    keep_alive: bool,
}

impl Summary {
    fn of(head: &Head) -> Summary {
        let mut s = Summary::default();
        for (name, value) in head.headers.iter() {
            match name.len() {
                17 if name.eq_ignore_ascii_case("transfer-encoding") => {
                    s.te = true;
                    for coding in elements(value) {
                        s.chunked_last = coding.eq_ignore_ascii_case("chunked");
                    }
                }
                14 if name.eq_ignore_ascii_case("content-length") => {
                    for element in value.split(',') {
                        let n = parse_length(element.trim_matches([' ', '\t']));
                        s.length = Some(match (s.length.take(), n) {
                            (Some(Err(e)), _) | (_, Err(e)) => Err(e),
                            (Some(Ok(l)), Ok(n)) if l != n => Err(Error::InvalidContentLength),
                            (_, Ok(n)) => Ok(n),
                        });
                    }
                }
                10 if name.eq_ignore_ascii_case("connection") => {
                    for token in elements(value) {
                        s.close |= token.eq_ignore_ascii_case("close");
                        s.keep_alive |= token.eq_ignore_ascii_case("keep-alive");
                    }
                }
                _ => {}
            }
        }
        s
    }
}

/// The comma-separated elements of a value, trimmed, empty ones skipped.
fn elements(value: &str) -> impl Iterator<Item = &str> {
    value.split(',').map(|e| e.trim_matches([' ', '\t'])).filter(|e| !e.is_empty())
}

/// 1*DIGIT into a u64, refusing anything else (signs, spaces, overflow).
fn parse_length(s: &str) -> Result<u64, Error> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::InvalidContentLength);
    }
    s.parse().map_err(|_| Error::InvalidContentLength)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(version: Version, status: u16, headers: &[(&str, &str)]) -> Head {
        Head {
            version,
            status,
            reason: "".into(),
            headers: headers.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect(),
            raw_len: 0,
        }
    }

    fn f11(status: u16, headers: &[(&str, &str)]) -> Result<Framing, Error> {
        framing("GET", &head(Version::Http11, status, headers))
    }

    #[test]
    fn no_body_cases() {
        let cl = [("Content-Length", "100")];
        let te = [("Transfer-Encoding", "chunked")];
        assert_eq!(framing("HEAD", &head(Version::Http11, 200, &cl)), Ok(Framing::NoBody));
        assert_eq!(framing("HEAD", &head(Version::Http11, 200, &te)), Ok(Framing::NoBody));
        for status in [100, 101, 103, 199, 204, 304] {
            assert_eq!(f11(status, &cl), Ok(Framing::NoBody), "{status}");
            assert_eq!(f11(status, &te), Ok(Framing::NoBody), "{status}");
        }
        assert_eq!(framing("CONNECT", &head(Version::Http11, 200, &cl)), Ok(Framing::NoBody));
        assert_eq!(framing("CONNECT", &head(Version::Http11, 407, &cl)), Ok(Framing::Length(100)));
        // Case-sensitive method: "head" is some other method.
        assert_eq!(framing("head", &head(Version::Http11, 200, &cl)), Ok(Framing::Length(100)));
        // Bad Content-Length is irrelevant where there is no body.
        assert_eq!(f11(304, &[("Content-Length", "x")]), Ok(Framing::NoBody));
    }

    #[test]
    fn content_length() {
        assert_eq!(f11(200, &[("Content-Length", "0")]), Ok(Framing::Length(0)));
        assert_eq!(f11(200, &[("content-length", "8784")]), Ok(Framing::Length(8784)));
        assert_eq!(f11(200, &[("Content-Length", "007")]), Ok(Framing::Length(7)));
        let max = u64::MAX.to_string();
        assert_eq!(f11(200, &[("Content-Length", &max)]), Ok(Framing::Length(u64::MAX)));
        // Duplicates with the same value, as separate headers or as a list.
        let dup = [("Content-Length", "5"), ("X", "y"), ("content-length", "5, 5")];
        assert_eq!(f11(200, &dup), Ok(Framing::Length(5)));
        // Errors.
        for bad in ["", " ", "-1", "+5", "5a", "0x10", "1 2", "5,", "5,6", "18446744073709551616", "1e3"] {
            assert_eq!(f11(200, &[("Content-Length", bad)]), Err(Error::InvalidContentLength), "{bad:?}");
        }
        let differ = [("Content-Length", "5"), ("Content-Length", "6")];
        assert_eq!(f11(200, &differ), Err(Error::InvalidContentLength));
        // Error statuses have bodies too.
        assert_eq!(f11(401, &[("Content-Length", "12")]), Ok(Framing::Length(12)));
    }

    #[test]
    fn transfer_encoding() {
        assert_eq!(f11(200, &[("Transfer-Encoding", "chunked")]), Ok(Framing::Chunked));
        assert_eq!(f11(200, &[("transfer-encoding", "CHUNKED")]), Ok(Framing::Chunked));
        assert_eq!(f11(200, &[("Transfer-Encoding", "gzip, chunked")]), Ok(Framing::Chunked));
        assert_eq!(f11(200, &[("Transfer-Encoding", "gzip"), ("Transfer-Encoding", "chunked")]), Ok(Framing::Chunked));
        // Chunked not last, or absent: read until close.
        assert_eq!(f11(200, &[("Transfer-Encoding", "chunked, gzip")]), Ok(Framing::CloseDelimited));
        assert_eq!(f11(200, &[("Transfer-Encoding", "gzip")]), Ok(Framing::CloseDelimited));
        assert_eq!(f11(200, &[("Transfer-Encoding", "")]), Ok(Framing::CloseDelimited));
        assert_eq!(
            f11(200, &[("Transfer-Encoding", "chunked"), ("Transfer-Encoding", "identity")]),
            Ok(Framing::CloseDelimited)
        );
        // Transfer-Encoding wins over Content-Length, even an invalid or conflicting one.
        let both = [("Content-Length", "10"), ("Transfer-Encoding", "chunked")];
        assert_eq!(f11(200, &both), Ok(Framing::Chunked));
        let junk = [("Content-Length", "1, 2"), ("Transfer-Encoding", "chunked")];
        assert_eq!(f11(200, &junk), Ok(Framing::Chunked));
        let te_not_last = [("Content-Length", "10"), ("Transfer-Encoding", "gzip")];
        assert_eq!(f11(200, &te_not_last), Ok(Framing::CloseDelimited));
    }

    #[test]
    fn close_delimited_by_default() {
        assert_eq!(f11(200, &[]), Ok(Framing::CloseDelimited));
        assert_eq!(framing("GET", &head(Version::Http10, 200, &[])), Ok(Framing::CloseDelimited));
    }

    #[test]
    fn keep_alive_rules() {
        let v11 = |h: &[(&str, &str)]| head(Version::Http11, 200, h);
        let v10 = |h: &[(&str, &str)]| head(Version::Http10, 200, h);
        let len = Framing::Length(5);
        assert!(keep_alive(&v11(&[]), len));
        assert!(keep_alive(&v11(&[]), Framing::NoBody));
        assert!(keep_alive(&v11(&[]), Framing::Chunked));
        assert!(!keep_alive(&v11(&[]), Framing::CloseDelimited));
        assert!(!keep_alive(&v11(&[("Connection", "close")]), len));
        assert!(!keep_alive(&v11(&[("connection", "Upgrade, CLOSE")]), len));
        assert!(keep_alive(&v11(&[("Connection", "keep-alive")]), len));
        assert!(!keep_alive(&v10(&[]), len));
        assert!(keep_alive(&v10(&[("Connection", "Keep-Alive")]), len));
        assert!(!keep_alive(&v10(&[("Connection", "keep-alive, close")]), len));
        assert!(!keep_alive(&v10(&[("Connection", "keep-alive")]), Framing::CloseDelimited));
        // Suspect framing: Transfer-Encoding with Content-Length, or in HTTP/1.0.
        let both = [("Transfer-Encoding", "chunked"), ("Content-Length", "3")];
        assert!(!keep_alive(&v11(&both), Framing::Chunked));
        let te10 = [("Transfer-Encoding", "chunked"), ("Connection", "keep-alive")];
        assert!(!keep_alive(&v10(&te10), Framing::Chunked));
        // 101: the connection now speaks something else.
        assert!(!keep_alive(&head(Version::Http11, 101, &[]), Framing::NoBody));
        // 304 and 204 with Content-Length are reusable.
        assert!(keep_alive(&head(Version::Http11, 304, &[("Content-Length", "9")]), Framing::NoBody));
    }
}
