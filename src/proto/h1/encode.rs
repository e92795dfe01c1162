//! The request body's framing on the way out: one function ([`frame_request`]) decides it and
//! writes the matching headers, and the [`Encoder`] it returns tracks the body bytes the caller
//! sends, so the connection knows when its request half is complete (a connection is reusable only
//! when both its request and its response are).

use crate::proto::headers::HeaderList;

/// How the request body is delimited, and how much of it is still to come.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoder {
    /// `Content-Length`: this many bytes are still to be written.
    Length(u64),
    /// The caller frames the body itself (`Transfer-Encoding: chunked` in its headers): complete
    /// once the bytes written end with the last chunk (`0\r\n\r\n`). `tail` holds the last bytes seen.
    CallerChunked { tail: [u8; 5], seen: u8 },
    /// No bound is known (`WINHTTP_IGNORE_REQUEST_TOTAL_LENGTH`): never known to be complete, so
    /// the connection is not reused.
    Unbounded,
}

/// The end of a chunked body.
const LAST_CHUNK: &[u8; 5] = b"0\r\n\r\n";

impl Encoder {
    /// Counts `n` body bytes (`data`, the bytes themselves) as written. Writing past a
    /// `Content-Length` is the caller's error and is refused before this (see [`Encoder::room`]).
    pub fn wrote(&mut self, data: &[u8]) {
        match self {
            Encoder::Length(left) => *left = left.saturating_sub(data.len() as u64),
            Encoder::CallerChunked { tail, seen } => {
                for &b in &data[data.len().saturating_sub(5)..] {
                    tail.copy_within(1.., 0);
                    tail[4] = b;
                    *seen = seen.saturating_add(1).min(5);
                }
            }
            Encoder::Unbounded => {}
        }
    }

    /// How many more bytes may be written (`None`: no bound).
    pub fn room(&self) -> Option<u64> {
        match self {
            Encoder::Length(left) => Some(*left),
            _ => None,
        }
    }

    /// True when the whole announced body has been written.
    pub fn is_done(&self) -> bool {
        match self {
            Encoder::Length(left) => *left == 0,
            Encoder::CallerChunked { tail, seen } => *seen == 5 && tail == LAST_CHUNK,
            Encoder::Unbounded => false,
        }
    }
}

/// Decides the request body's framing and writes its headers into `headers`: `Content-Length`
/// for a known total (also 0 for POST and PUT, as WinHTTP sends it), none for a caller-chunked
/// body (the caller's `Transfer-Encoding: chunked` stays). `total` is `None` for a body of unknown
/// length. Returns the encoder for the bytes that follow the head, of which `sent_with_head` are
/// written together with it (the optional data).
pub fn frame_request(headers: &mut HeaderList, verb: &str, total: Option<u64>, sent_with_head: &[u8]) -> Encoder {
    let chunked = headers.get("Transfer-Encoding").is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
    let mut encoder = if chunked {
        headers.remove("Content-Length");
        Encoder::CallerChunked { tail: [0; 5], seen: 0 }
    } else {
        match total {
            Some(total) if total > 0 || matches!(verb, "POST" | "PUT") => {
                headers.set("Content-Length", total.to_string());
                Encoder::Length(total)
            }
            Some(_) => {
                headers.remove("Content-Length");
                Encoder::Length(0)
            }
            None => Encoder::Unbounded,
        }
    };
    encoder.wrote(sent_with_head);
    encoder
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_length_is_written_with_its_encoder() {
        let mut h = HeaderList::default();
        let mut e = frame_request(&mut h, "POST", Some(10), b"abc");
        assert_eq!(h.get("Content-Length"), Some("10"));
        assert_eq!(e, Encoder::Length(7));
        assert!(!e.is_done());
        assert_eq!(e.room(), Some(7));
        e.wrote(b"defghij");
        assert!(e.is_done());
    }

    #[test]
    fn no_body_is_done_at_once_and_post_announces_zero() {
        let mut h = HeaderList::default();
        h.push("Content-Length", "99");
        let e = frame_request(&mut h, "GET", Some(0), b"");
        assert!(e.is_done());
        assert_eq!(h.get("Content-Length"), None);
        let e = frame_request(&mut h, "POST", Some(0), b"");
        assert!(e.is_done());
        assert_eq!(h.get("Content-Length"), Some("0"));
    }

    #[test]
    fn caller_chunked_body_completes_at_the_last_chunk_however_it_is_split() {
        let body = b"5\r\nhello\r\n0\r\n\r\n";
        for split in 0..body.len() {
            let mut h = HeaderList::default();
            h.push("Transfer-Encoding", "chunked");
            h.push("Content-Length", "3");
            let mut e = frame_request(&mut h, "POST", Some(0), &body[..split]);
            assert_eq!(h.get("Content-Length"), None);
            assert_eq!(e.room(), None);
            assert!(!e.is_done() || split == body.len());
            for b in &body[split..] {
                e.wrote(std::slice::from_ref(b));
            }
            assert!(e.is_done(), "split {split}");
        }
        let mut h = HeaderList::default();
        h.push("Transfer-Encoding", "chunked");
        let mut e = frame_request(&mut h, "POST", None, b"5\r\nhel");
        assert!(!e.is_done());
        e.wrote(b"lo\r\n");
        assert!(!e.is_done());
    }

    #[test]
    fn unbounded_never_completes() {
        let mut h = HeaderList::default();
        let mut e = frame_request(&mut h, "PUT", None, b"abc");
        e.wrote(b"0\r\n\r\n");
        assert!(!e.is_done());
        assert_eq!(h.get("Content-Length"), None);
    }
}
