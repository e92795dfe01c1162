//! The body decoder: strips the framing from body bytes as they arrive.
//!
//! Two ways to use it, mixable at any time:
//! - [`Decoder::decode`] copies data from wire bytes into the caller's buffer (one copy, no
//!   intermediate) and consumes the framing bytes in between.
//! - Zero-copy: [`Decoder::skip_framing`] consumes framing bytes only; then [`Decoder::data_run`]
//!   says how many of the next wire bytes are pure body data, which the engine may move itself
//!   (even read from the socket straight into the caller's buffer) and report with
//!   [`Decoder::advance`].

use super::{DEFAULT_MAX_HEAD_SIZE, Error, Framing, decode_text, is_token};

/// The default cap on one chunk-size line, chunk extensions included.
pub const DEFAULT_MAX_CHUNK_LINE: usize = 4096;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Content-Length data: bytes left (never 0: that is `Done`).
    Length(u64),
    /// Close-delimited data, until [`Decoder::eof`].
    UntilClose,
    /// Chunk-size hex digits; `line` bytes of the line so far (0: no digit yet).
    ChunkSize {
        size: u64,
        line: usize,
    },
    /// After the digits: whitespace, then (`ext`) extensions, up to the end of the line.
    ChunkExt {
        size: u64,
        ext: bool,
        line: usize,
    },
    /// A CR ended the chunk-size line: LF must follow.
    ChunkSizeLf {
        size: u64,
    },
    /// Chunk data: bytes left (never 0).
    ChunkData(u64),
    /// The line end after chunk data (`cr`: its CR was seen).
    ChunkDataEnd {
        cr: bool,
    },
    /// The trailer section, line by line, after the last chunk.
    Trailers,
    Done,
}

/// Removes the framing of one response body.
///
/// Chunked bodies: chunk extensions are skipped; the chunk-size line is capped; CRLF or bare LF
/// end lines; trailers are kept for [`Decoder::trailers`] (malformed trailer lines are ignored:
/// the body has already been delivered, and WinHTTP has no way to report them), their total size
/// capped. A connection closing right after the last chunk, at a line boundary of the trailer
/// section, is accepted as the end of the body.
#[derive(Clone, Debug)]
pub struct Decoder {
    state: State,
    max_chunk_line: usize,
    max_trailer_size: usize,
    /// The trailer line being read.
    line: Vec<u8>,
    trailer_size: usize,
    trailers: Vec<(String, String)>,
}

impl Decoder {
    /// A decoder with the default caps ([`DEFAULT_MAX_CHUNK_LINE`], and
    /// [`DEFAULT_MAX_HEAD_SIZE`] for the trailers).
    pub fn new(framing: Framing) -> Self {
        Decoder::with_limits(framing, DEFAULT_MAX_CHUNK_LINE, DEFAULT_MAX_HEAD_SIZE)
    }

    /// A decoder refusing chunk-size lines longer than `max_chunk_line` bytes
    /// ([`Error::ChunkLineTooLong`]) and trailer sections longer than `max_trailer_size` bytes
    /// ([`Error::HeaderSizeOverflow`]).
    pub fn with_limits(framing: Framing, max_chunk_line: usize, max_trailer_size: usize) -> Self {
        let state = match framing {
            Framing::NoBody | Framing::Length(0) => State::Done,
            Framing::Length(n) => State::Length(n),
            Framing::Chunked => State::ChunkSize { size: 0, line: 0 },
            Framing::CloseDelimited => State::UntilClose,
        };
        Decoder { state, max_chunk_line, max_trailer_size, line: Vec::new(), trailer_size: 0, trailers: Vec::new() }
    }

    /// Copies body data from `input` (wire bytes) into `out`, consuming framing bytes on the way.
    /// Returns (bytes of `input` consumed, bytes written to `out`). Stops when `out` is full, when
    /// `input` is used up, or at the end of the body; bytes after the body are left unconsumed.
    /// Framing right after the data is consumed too, so the end is detected as early as possible.
    pub fn decode(&mut self, input: &[u8], out: &mut [u8]) -> Result<(usize, usize), Error> {
        let (mut used, mut made) = (0, 0);
        loop {
            used += self.skip_framing(&input[used..])?;
            let n = self.available(input.len() - used).min(out.len() - made);
            if n == 0 {
                return Ok((used, made));
            }
            out[made..made + n].copy_from_slice(&input[used..used + n]);
            self.advance(n);
            used += n;
            made += n;
        }
    }

    /// Consumes the framing bytes at the start of `input` (chunk-size lines, line ends after
    /// chunk data, the trailer section), stopping where body data begins, at the end of the body,
    /// or when `input` runs out. Returns how many bytes it consumed.
    pub fn skip_framing(&mut self, input: &[u8]) -> Result<usize, Error> {
        let mut n = 0;
        while n < input.len() && self.data_run() == 0 && self.state != State::Done {
            self.step(input[n])?;
            n += 1;
        }
        Ok(n)
    }

    /// How many of the next wire bytes are body data, before any framing byte: the rest of the
    /// Content-Length body or of the current chunk, `u64::MAX` for a close-delimited body, 0 when
    /// framing comes next or the body is done.
    pub fn data_run(&self) -> u64 {
        match self.state {
            State::Length(n) | State::ChunkData(n) => n,
            State::UntilClose => u64::MAX,
            State::ChunkSize { .. }
            | State::ChunkExt { .. }
            | State::ChunkSizeLf { .. }
            | State::ChunkDataEnd { .. }
            | State::Trailers
            | State::Done => 0,
        }
    }

    /// Body bytes deliverable right now out of `buffered` wire bytes, after
    /// [`Decoder::skip_framing`] has been applied to them: never past the current chunk, so for a
    /// chunked body this is (at most) the rest of the chunk (WinHttpQueryDataAvailable).
    pub fn available(&self, buffered: usize) -> usize {
        usize::try_from(self.data_run()).map_or(buffered, |run| run.min(buffered))
    }

    /// Records that the caller moved `n` bytes of body data itself (at most [`Decoder::data_run`]).
    pub fn advance(&mut self, n: usize) {
        let n = n as u64;
        assert!(n <= self.data_run(), "advance past the data run");
        self.state = match self.state {
            State::Length(left) if left == n => State::Done,
            State::Length(left) => State::Length(left - n),
            State::ChunkData(left) if left == n => State::ChunkDataEnd { cr: false },
            State::ChunkData(left) => State::ChunkData(left - n),
            other => other,
        };
    }

    /// True once the whole body has been decoded (at once for no body or Content-Length: 0).
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// The connection closed. Ends a close-delimited body; an error if the body was cut short.
    pub fn eof(&mut self) -> Result<(), Error> {
        match self.state {
            State::UntilClose | State::Done => {}
            State::Trailers if self.line.is_empty() => {}
            State::Length(_)
            | State::ChunkSize { .. }
            | State::ChunkExt { .. }
            | State::ChunkSizeLf { .. }
            | State::ChunkData(_)
            | State::ChunkDataEnd { .. }
            | State::Trailers => return Err(Error::TruncatedBody),
        }
        self.finish();
        Ok(())
    }

    /// The trailers of a chunked body, in order (complete once [`Decoder::is_done`]).
    pub fn trailers(&self) -> &[(String, String)] {
        &self.trailers
    }

    fn finish(&mut self) {
        self.state = State::Done;
        self.line = Vec::new();
    }

    /// Consumes one framing byte.
    fn step(&mut self, b: u8) -> Result<(), Error> {
        let too_long = |line: usize| line >= self.max_chunk_line && b != b'\r' && b != b'\n';
        self.state = match self.state {
            State::ChunkSize { size, line } => {
                if too_long(line) {
                    return Err(Error::ChunkLineTooLong);
                }
                match (char::from(b).to_digit(16), b) {
                    (Some(d), _) => State::ChunkSize {
                        size: size.checked_mul(16).ok_or(Error::ChunkSizeOverflow)? | u64::from(d),
                        line: line + 1,
                    },
                    (None, _) if line == 0 => return Err(Error::InvalidChunk),
                    (None, b' ' | b'\t') => State::ChunkExt { size, ext: false, line: line + 1 },
                    (None, b';') => State::ChunkExt { size, ext: true, line: line + 1 },
                    (None, b'\r') => State::ChunkSizeLf { size },
                    (None, b'\n') => self.after_size_line(size),
                    (None, _) => return Err(Error::InvalidChunk),
                }
            }
            State::ChunkExt { size, ext, line } => {
                if too_long(line) {
                    return Err(Error::ChunkLineTooLong);
                }
                match b {
                    b'\r' => State::ChunkSizeLf { size },
                    b'\n' => self.after_size_line(size),
                    b';' => State::ChunkExt { size, ext: true, line: line + 1 },
                    b' ' | b'\t' => State::ChunkExt { size, ext, line: line + 1 },
                    _ if ext => State::ChunkExt { size, ext, line: line + 1 },
                    _ => return Err(Error::InvalidChunk),
                }
            }
            State::ChunkSizeLf { size } => match b {
                b'\n' => self.after_size_line(size),
                _ => return Err(Error::InvalidChunk),
            },
            State::ChunkDataEnd { cr } => match b {
                b'\r' if !cr => State::ChunkDataEnd { cr: true },
                b'\n' => State::ChunkSize { size: 0, line: 0 },
                _ => return Err(Error::InvalidChunk),
            },
            State::Trailers if b == b'\n' => {
                let line = self.line.strip_suffix(b"\r").unwrap_or(&self.line);
                if line.is_empty() {
                    self.finish();
                    return Ok(());
                }
                if let Some(trailer) = parse_trailer(line) {
                    self.trailers.push(trailer);
                }
                self.line.clear();
                State::Trailers
            }
            State::Trailers => {
                self.trailer_size += 1;
                if self.trailer_size > self.max_trailer_size {
                    return Err(Error::HeaderSizeOverflow);
                }
                self.line.push(b);
                State::Trailers
            }
            State::Length(_) | State::UntilClose | State::ChunkData(_) | State::Done => {
                unreachable!("step is only called on framing bytes")
            }
        };
        Ok(())
    }

    fn after_size_line(&self, size: u64) -> State {
        if size == 0 { State::Trailers } else { State::ChunkData(size) }
    }
}

/// "Name: value" into a pair; `None` for a line that is not a valid field.
fn parse_trailer(line: &[u8]) -> Option<(String, String)> {
    let colon = line.iter().position(|&b| b == b':')?;
    let (name, value) = (&line[..colon], &line[colon + 1..]);
    let ows = |b: &u8| *b == b' ' || *b == b'\t';
    let start = value.iter().position(|b| !ows(b)).unwrap_or(value.len());
    let end = value.iter().rposition(|b| !ows(b)).map_or(start, |i| i + 1);
    let value = &value[start..end];
    if !is_token(name) || value.iter().any(|&b| b == b'\r' || b == 0) {
        return None;
    }
    Some((decode_text(name), decode_text(value)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Decodes `input` fed `feed` bytes at a time into an `out_len` buffer, the way an engine
    /// with a small socket buffer would (unconsumed bytes stay buffered). Returns the body, the
    /// bytes left unconsumed and the decoder.
    fn run(framing: Framing, input: &[u8], feed: usize, out_len: usize) -> Result<(Vec<u8>, Vec<u8>, Decoder), Error> {
        let mut d = Decoder::new(framing);
        let (mut body, mut buffered, mut out) = (Vec::new(), Vec::new(), vec![0; out_len]);
        let mut chunks = input.chunks(feed);
        loop {
            let (used, made) = d.decode(&buffered, &mut out)?;
            body.extend_from_slice(&out[..made]);
            buffered.drain(..used);
            if d.is_done() {
                break;
            }
            if used == 0 && made == 0 {
                match chunks.next() {
                    Some(c) => buffered.extend_from_slice(c),
                    None => break,
                }
            }
        }
        buffered.extend(chunks.flatten());
        Ok((body, buffered, d))
    }

    const CHUNKED: &[u8] =
        b"5\r\nhello\r\n6;name=value;quoted=\"a;b\"\r\n world\r\nA \r\n0123456789\r\n000\r\nExpires: never\r\nX-Sum:  abc \r\n\r\nNEXT";

    #[test]
    fn chunked_every_feed_and_buffer_size() {
        for feed in [1, 2, 3, 7, 64] {
            for out_len in [1, 2, 5, 100] {
                let (body, rest, d) = run(Framing::Chunked, CHUNKED, feed, out_len).unwrap();
                assert_eq!(body, b"hello world0123456789", "feed {feed} out {out_len}");
                assert!(d.is_done());
                assert_eq!(
                    d.trailers(),
                    [("Expires".to_owned(), "never".to_owned()), ("X-Sum".to_owned(), "abc".to_owned())]
                );
                assert_eq!(rest, b"NEXT", "bytes after the body stay unconsumed");
            }
        }
    }

    #[test]
    fn chunked_lf_only_uppercase_leading_zeros() {
        let input = b"00000000000000000000003\nabc\n1F\n0123456789012345678901234567890\n0\n\n";
        let (body, rest, d) = run(Framing::Chunked, input, 1, 8).unwrap();
        assert_eq!(body.len(), 3 + 31);
        assert!(d.is_done() && rest.is_empty() && d.trailers().is_empty());
    }

    #[test]
    fn chunked_end_detected_with_a_full_buffer() {
        // The read that fills the caller's buffer also consumes the last chunk.
        let mut d = Decoder::new(Framing::Chunked);
        let mut out = [0; 5];
        assert_eq!(d.decode(b"5\r\nhello\r\n0\r\n\r\n", &mut out), Ok((15, 5)));
        assert!(d.is_done());
        // A zero-length buffer still consumes framing.
        let mut d = Decoder::new(Framing::Chunked);
        assert_eq!(d.decode(b"0\r\n\r\n", &mut []), Ok((5, 0)));
        assert!(d.is_done());
    }

    #[test]
    fn chunked_availability_stays_within_the_chunk() {
        let mut d = Decoder::new(Framing::Chunked);
        let wire = b"4\r\nabc\n\r\n3\r\nxy\n\r\n0\r\n\r\n";
        let skipped = d.skip_framing(wire).unwrap();
        assert_eq!(skipped, 3);
        let buffered = wire.len() - skipped;
        assert_eq!(d.available(buffered), 4, "the whole first chunk, not beyond");
        assert_eq!(d.available(2), 2, "what is buffered of it");
        assert_eq!(d.data_run(), 4);
        d.advance(4);
        let rest = &wire[skipped + 4..];
        let skipped = d.skip_framing(rest).unwrap();
        assert_eq!((skipped, d.available(rest.len() - skipped)), (5, 3));
        d.advance(3);
        assert_eq!(d.skip_framing(&rest[skipped + 3..]), Ok(7));
        assert!(d.is_done());
        assert_eq!(d.available(100), 0);
    }

    #[test]
    fn chunked_errors() {
        let cases: &[(&[u8], Error)] = &[
            (b"g\r\n", Error::InvalidChunk),
            (b"\r\n", Error::InvalidChunk),
            (b" 5\r\n", Error::InvalidChunk),
            (b"-5\r\n", Error::InvalidChunk),
            (b"0x5\r\n", Error::InvalidChunk),
            (b"5x\r\nhello\r\n", Error::InvalidChunk),
            (b"5 x\r\nhello\r\n", Error::InvalidChunk),
            (b"5\rx", Error::InvalidChunk),
            (b"5\r\nhelloX", Error::InvalidChunk),
            (b"5\r\nhello\rX", Error::InvalidChunk),
            (b"5\r\nhello\r\r\n", Error::InvalidChunk),
            (b"10000000000000000\r\n", Error::ChunkSizeOverflow),
            (b"FFFFFFFFFFFFFFFFF\r\n", Error::ChunkSizeOverflow),
        ];
        for (input, want) in cases {
            for feed in [1, 64] {
                let got = run(Framing::Chunked, input, feed, 16).map(|(b, ..)| b);
                assert_eq!(got, Err(*want), "{:?}", String::from_utf8_lossy(input));
            }
        }
        // The largest size is fine.
        let mut d = Decoder::new(Framing::Chunked);
        assert_eq!(d.skip_framing(b"FFFFFFFFFFFFFFFF\r\n"), Ok(18));
        assert_eq!(d.data_run(), u64::MAX);
    }

    #[test]
    fn chunk_line_cap() {
        let cap = DEFAULT_MAX_CHUNK_LINE;
        let mut ok = b"1;".to_vec();
        ok.resize(cap, b'a');
        ok.extend_from_slice(b"\r\nx\r\n0\r\n\r\n");
        assert_eq!(run(Framing::Chunked, &ok, 100, 4).unwrap().0, b"x");
        let mut long = b"1;".to_vec();
        long.resize(cap + 1, b'a');
        long.extend_from_slice(b"\r\n");
        assert_eq!(run(Framing::Chunked, &long, 1, 4).map(|r| r.0), Err(Error::ChunkLineTooLong));
        // Leading zeros count too.
        let zeros = vec![b'0'; cap + 1];
        assert_eq!(run(Framing::Chunked, &zeros, 100, 4).map(|r| r.0), Err(Error::ChunkLineTooLong));
        assert_eq!(Error::ChunkLineTooLong.code(), crate::abi::ERROR_WINHTTP_CHUNKED_ENCODING_HEADER_SIZE_OVERFLOW);
    }

    #[test]
    fn trailers() {
        // Malformed lines are skipped, valid ones kept, 8-bit values decoded.
        let input = b"0\r\nGood: 1\r\nno colon\r\nBad Name: 2\r\nLatin: caf\xe9\r\n: x\r\n\r\n";
        let (body, _, d) = run(Framing::Chunked, input, 1, 4).unwrap();
        assert!(body.is_empty());
        assert_eq!(d.trailers(), [("Good".to_owned(), "1".to_owned()), ("Latin".to_owned(), "café".to_owned())]);
        // Size cap.
        let mut d = Decoder::with_limits(Framing::Chunked, 64, 10);
        assert_eq!(d.skip_framing(b"0\r\nA: 12345\r\n"), Ok(13));
        assert_eq!(d.skip_framing(b"B: 1\r\n"), Err(Error::HeaderSizeOverflow));
    }

    #[test]
    fn chunked_truncation() {
        let cut_short: &[&[u8]] =
            &[b"", b"5", b"5;ext", b"5\r", b"5\r\nhel", b"5\r\nhello", b"5\r\nhello\r", b"0\r\nTrailer: x"];
        for input in cut_short {
            let mut d = Decoder::new(Framing::Chunked);
            let mut out = [0; 16];
            d.decode(input, &mut out).unwrap();
            assert!(!d.is_done());
            assert_eq!(d.eof(), Err(Error::TruncatedBody), "{:?}", String::from_utf8_lossy(input));
        }
        // Closing after the last chunk, at a trailer line boundary, ends the body.
        for input in [&b"0\r\n"[..], b"5\r\nhello\r\n0\n", b"0\r\nA: b\r\n"] {
            let mut d = Decoder::new(Framing::Chunked);
            d.decode(input, &mut [0; 16]).unwrap();
            assert_eq!(d.eof(), Ok(()));
            assert!(d.is_done());
        }
        assert_eq!(Error::TruncatedBody.code(), crate::abi::ERROR_WINHTTP_CONNECTION_ERROR);
    }

    #[test]
    fn content_length() {
        for feed in [1, 3, 100] {
            let (body, rest, d) = run(Framing::Length(10), b"0123456789HTTP/1.1", feed, 4).unwrap();
            assert_eq!((body.as_slice(), rest.as_slice()), (&b"0123456789"[..], &b"HTTP/1.1"[..]));
            assert!(d.is_done());
        }
        // Zero-copy: the engine reads straight into the caller's buffer.
        let mut d = Decoder::new(Framing::Length(8784));
        assert_eq!((d.data_run(), d.skip_framing(b"anything")), (8784, Ok(0)));
        d.advance(8192);
        assert_eq!((d.data_run(), d.available(8192)), (592, 592));
        d.advance(592);
        assert!(d.is_done());
        assert_eq!(d.eof(), Ok(()));
        // Truncated.
        let mut d = Decoder::new(Framing::Length(10));
        assert_eq!(d.decode(b"01234", &mut [0; 16]), Ok((5, 5)));
        assert_eq!(d.eof(), Err(Error::TruncatedBody));
    }

    #[test]
    fn huge_content_length() {
        let mut d = Decoder::new(Framing::Length(u64::MAX));
        assert_eq!(d.decode(&[7; 1000], &mut [0; 600]), Ok((600, 600)));
        assert_eq!(d.data_run(), u64::MAX - 600);
        assert_eq!(d.available(400), 400);
        assert!(!d.is_done());
        assert_eq!(d.eof(), Err(Error::TruncatedBody));
    }

    #[test]
    fn no_body_and_empty_length() {
        for framing in [Framing::NoBody, Framing::Length(0)] {
            let mut d = Decoder::new(framing);
            assert!(d.is_done());
            assert_eq!(d.decode(b"HTTP/1.1 200 OK", &mut [0; 8]), Ok((0, 0)));
            assert_eq!((d.data_run(), d.available(15)), (0, 0));
            assert_eq!(d.eof(), Ok(()));
        }
    }

    #[test]
    fn close_delimited() {
        let page = [b'p'; 128];
        let mut d = Decoder::new(Framing::CloseDelimited);
        assert_eq!(d.available(page.len()), 128);
        assert_eq!(d.data_run(), u64::MAX);
        let mut out = [0; 100];
        assert_eq!(d.decode(&page, &mut out), Ok((100, 100)));
        assert_eq!(d.decode(&page[100..], &mut out), Ok((28, 28)));
        assert!(!d.is_done());
        assert_eq!(d.eof(), Ok(()));
        assert!(d.is_done());
        assert_eq!(d.decode(b"late", &mut out), Ok((0, 0)));
    }

    #[test]
    #[should_panic(expected = "advance past the data run")]
    fn advance_is_checked() {
        Decoder::new(Framing::Length(3)).advance(4);
    }
}
