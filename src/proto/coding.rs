//! Content codings, sans I/O: streaming decoders for `Content-Encoding: gzip`, `deflate`, and, as
//! our extension, `br` and `zstd`, as one machine, [`Decoder::decode`]`(input, out) -> (used,
//! made)`, that sits behind the body (framing) decoder.
//!
//! - gzip and zlib-wrapped deflate: `flate2` over `zlib-rs` (pure Rust). A `deflate` body that does
//!   not start with a zlib header is read as raw deflate (RFC 1951), as Windows and browsers accept
//!   from servers that send it that way.
//! - brotli: `brotli-decompressor` (pure Rust); the large-window extension is refused.
//! - zstd: `ruzstd` (pure Rust), fed one block at a time; several frames follow each other as RFC
//!   8878 allows; skippable frames and dictionaries are refused.
//!
//! Memory is bounded whatever the input: gzip/deflate keep a 32 KiB window, brotli at most 16 MiB
//! (its largest standard window), zstd at most [`MAX_ZSTD_WINDOW`] (8 MiB, the HTTP limit of RFC
//! 9659) plus one block (128 KiB) of input.
//!
//! Errors: [`Error::Corrupt`] for input that is not a valid stream of the coding (bad header, bad
//! data, bad checksum), [`Error::Truncated`] from [`Decoder::finish`] when the body ended inside
//! the stream, [`Error::Bomb`] when the output passes the cap of [`Limits`]: by default, once more
//! than 1 MiB has been made, at most 1000 bytes out per byte in (deflate's own ceiling is about
//! 1032:1, so a gzip or deflate body over it is malformed or hostile; brotli and zstd can go past it
//! legitimately, so the cap is a setting). Bytes after the end of a gzip, deflate or brotli stream
//! are consumed and ignored.
//!
//! [`decoded_headers`]: what Windows shows after it decoded a body: `Content-Encoding` and
//! `Content-Length` removed (both describe the bytes on the wire, not what the caller reads). The
//! source is Microsoft's own .NET `WinHttpHandler` (`WinHttpResponseParser`), which strips those two
//! headers when it decompresses itself on systems without `WINHTTP_OPTION_DECOMPRESSION`, "to match
//! the behavior of WINHTTP when it does decompression itself".

use super::headers::HeaderList;
use crate::abi::*;

/// A content coding this module decodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Coding {
    Gzip,
    Deflate,
    Brotli,
    Zstd,
}

impl Coding {
    /// The coding named by one `Content-Encoding` token (`x-gzip` is gzip, RFC 9110 8.4.1.3).
    pub fn from_token(token: &str) -> Option<Coding> {
        let t = token.trim();
        if t.eq_ignore_ascii_case("gzip") || t.eq_ignore_ascii_case("x-gzip") {
            Some(Coding::Gzip)
        } else if t.eq_ignore_ascii_case("deflate") {
            Some(Coding::Deflate)
        } else if t.eq_ignore_ascii_case("br") {
            Some(Coding::Brotli)
        } else if t.eq_ignore_ascii_case("zstd") {
            Some(Coding::Zstd)
        } else {
            None
        }
    }

    /// The token for `Accept-Encoding`.
    pub fn token(self) -> &'static str {
        match self {
            Coding::Gzip => "gzip",
            Coding::Deflate => "deflate",
            Coding::Brotli => "br",
            Coding::Zstd => "zstd",
        }
    }
}

/// The codings `WINHTTP_OPTION_DECOMPRESSION` flags ask for, in `Accept-Encoding` order (gzip,
/// deflate, then our extensions br and zstd).
pub fn codings(flags: DWORD) -> Vec<Coding> {
    [
        (WINHTTP_DECOMPRESSION_FLAG_GZIP, Coding::Gzip),
        (WINHTTP_DECOMPRESSION_FLAG_DEFLATE, Coding::Deflate),
        (WINHTTP_DECOMPRESSION_FLAG_PORTABLE_BROTLI, Coding::Brotli),
        (WINHTTP_DECOMPRESSION_FLAG_PORTABLE_ZSTD, Coding::Zstd),
    ]
    .into_iter()
    .filter(|(f, _)| flags & f != 0)
    .map(|(_, c)| c)
    .collect()
}

/// The `Accept-Encoding` value for a set of codings, in the order given ("gzip, deflate").
pub fn accept_encoding(codings: &[Coding]) -> String {
    codings.iter().map(|c| c.token()).collect::<Vec<_>>().join(", ")
}

/// The coding to decode a response with, when one applies: exactly one `Content-Encoding` header
/// naming exactly one coding that is in `accepted` (a list of codings, such as "gzip, br", or an
/// unknown one, is left to the caller untouched, with its headers).
pub fn response_coding(headers: &HeaderList, accepted: &[Coding]) -> Option<Coding> {
    let mut values = headers.get_all("Content-Encoding");
    let value = values.next()?;
    if values.next().is_some() || value.contains(',') {
        return None;
    }
    Coding::from_token(value).filter(|c| accepted.contains(c))
}

/// The response headers as Windows shows them once it decodes the body: `Content-Encoding` and
/// `Content-Length` removed, everything else in place.
pub fn decoded_headers(headers: &mut HeaderList) {
    headers.remove("Content-Encoding");
    headers.remove("Content-Length");
}

/// Why decoding failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// Not a valid stream of the coding.
    Corrupt,
    /// The body ended before the stream did.
    Truncated,
    /// The output passed the cap (a decompression bomb).
    Bomb,
}

impl Error {
    /// The Windows error a read fails with.
    pub fn code(self) -> DWORD {
        ERROR_WINHTTP_INVALID_SERVER_RESPONSE
    }
}

/// The decompression-bomb cap: decoding fails with [`Error::Bomb`] once the output exceeds
/// `free` bytes and also exceeds `ratio` times the input consumed, or exceeds `max_output`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub free: u64,
    pub ratio: u64,
    pub max_output: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { free: 1 << 20, ratio: 1000, max_output: u64::MAX }
    }
}

/// zstd's largest window accepted (RFC 9659: 8 MiB for HTTP).
pub const MAX_ZSTD_WINDOW: u64 = 8 << 20;
/// zstd's largest block (its content on the wire), RFC 8878.
const ZSTD_MAX_BLOCK: usize = 128 << 10;

enum Inner {
    /// gzip or deflate. For deflate, `sniff` holds the first bytes until two show whether the body
    /// is zlib-wrapped; they then wait in `prefix` to go in before the caller's next bytes.
    Flate {
        z: flate2::Decompress,
        sniff: Option<Vec<u8>>,
        prefix: Vec<u8>,
    },
    Brotli(Box<brotli_decompressor::BrotliState<Std, Std, Std>>),
    Zstd(Box<Zstd>),
}

type Std = brotli_decompressor::StandardAlloc;

/// A streaming content decoder.
pub struct Decoder {
    inner: Inner,
    limits: Limits,
    used: u64,
    made: u64,
    done: bool,
    failed: Option<Error>,
}

impl std::fmt::Debug for Decoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Decoder").field("used", &self.used).field("made", &self.made).field("done", &self.done).finish()
    }
}

impl Decoder {
    pub fn new(coding: Coding) -> Decoder {
        Decoder::with_limits(coding, Limits::default())
    }

    pub fn with_limits(coding: Coding, limits: Limits) -> Decoder {
        let inner = match coding {
            // 15 = a 32 KiB window; flate2 adds the gzip wrapper's 16.
            Coding::Gzip => Inner::Flate { z: flate2::Decompress::new_gzip(15), sniff: None, prefix: Vec::new() },
            Coding::Deflate => {
                Inner::Flate { z: flate2::Decompress::new(true), sniff: Some(Vec::new()), prefix: Vec::new() }
            }
            Coding::Brotli => Inner::Brotli(Box::new(brotli_decompressor::BrotliState::new(
                Std::default(),
                Std::default(),
                Std::default(),
            ))),
            Coding::Zstd => Inner::Zstd(Box::default()),
        };
        Decoder { inner, limits, used: 0, made: 0, done: false, failed: None }
    }

    /// True once the whole stream has been decoded and handed out.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// Total input consumed and output made so far.
    pub fn totals(&self) -> (u64, u64) {
        (self.used, self.made)
    }

    /// Decodes from `input` into `out`; returns the input bytes consumed and the output bytes
    /// made. It makes progress whenever `input` is not empty or output is waiting and `out` is not
    /// empty; `(0, 0)` with input left means `out` is empty or the stream is done. After an error
    /// every call fails the same way.
    pub fn decode(&mut self, input: &[u8], out: &mut [u8]) -> Result<(usize, usize), Error> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        let r = self.step(input, out);
        match r {
            Ok((used, made)) => {
                self.used += used as u64;
                self.made += made as u64;
                let l = self.limits;
                if self.made > l.max_output || (self.made > l.free && self.made > self.used.saturating_mul(l.ratio)) {
                    self.failed = Some(Error::Bomb);
                    return Err(Error::Bomb);
                }
                Ok((used, made))
            }
            Err(e) => {
                self.failed = Some(e);
                Err(e)
            }
        }
    }

    /// The body ended: an error unless the stream is complete.
    pub fn finish(&self) -> Result<(), Error> {
        match self.failed {
            Some(e) => Err(e),
            None if self.done => Ok(()),
            None => Err(Error::Truncated),
        }
    }

    fn step(&mut self, input: &[u8], out: &mut [u8]) -> Result<(usize, usize), Error> {
        if self.done {
            // Trailing bytes after the stream: consumed and ignored (zstd may start a new frame).
            match &mut self.inner {
                Inner::Zstd(z) if !input.is_empty() => {
                    self.done = false;
                    z.next_frame();
                }
                _ => return Ok((input.len(), 0)),
            }
        }
        match &mut self.inner {
            Inner::Flate { z, sniff, prefix } => {
                let mut used = 0;
                if let Some(first) = sniff {
                    // Decide zlib or raw deflate on the first two bytes.
                    let take = (2 - first.len()).min(input.len());
                    first.extend_from_slice(&input[..take]);
                    used = take;
                    if first.len() < 2 {
                        return Ok((used, 0));
                    }
                    let (cmf, flg) = (first[0], first[1]);
                    let zlib = cmf & 0x0f == 8 && cmf >> 4 <= 7 && (u16::from(cmf) << 8 | u16::from(flg)) % 31 == 0;
                    *prefix = std::mem::take(first);
                    *sniff = None;
                    *z = flate2::Decompress::new(zlib);
                }
                if !prefix.is_empty() {
                    // The sniffed bytes go in before the caller's.
                    let (u, m, end) = flate_step(z, prefix, out)?;
                    prefix.drain(..u);
                    self.done = end;
                    if !prefix.is_empty() || m > 0 || end {
                        return Ok((used, m));
                    }
                }
                let (u, m, end) = flate_step(z, &input[used..], out)?;
                self.done = end;
                Ok((used + u, m))
            }
            Inner::Brotli(state) => {
                let (mut avail_in, mut in_off) = (input.len(), 0);
                let (mut avail_out, mut out_off, mut total) = (out.len(), 0, 0);
                let r = brotli_decompressor::BrotliDecompressStream(
                    &mut avail_in,
                    &mut in_off,
                    input,
                    &mut avail_out,
                    &mut out_off,
                    out,
                    &mut total,
                    state,
                );
                match r {
                    brotli_decompressor::BrotliResult::ResultFailure => Err(Error::Corrupt),
                    brotli_decompressor::BrotliResult::ResultSuccess => {
                        self.done = true;
                        Ok((input.len(), out_off))
                    }
                    _ => Ok((in_off, out_off)),
                }
            }
            Inner::Zstd(z) => {
                let (used, made, end) = z.step(input, out)?;
                self.done = end;
                Ok((used, made))
            }
        }
    }
}

/// One call into zlib: (input used, output made, stream ended).
fn flate_step(z: &mut flate2::Decompress, input: &[u8], out: &mut [u8]) -> Result<(usize, usize, bool), Error> {
    let (in0, out0) = (z.total_in(), z.total_out());
    let status = z.decompress(input, out, flate2::FlushDecompress::None).map_err(|_| Error::Corrupt)?;
    let used = (z.total_in() - in0) as usize;
    let made = (z.total_out() - out0) as usize;
    Ok((used, made, status == flate2::Status::StreamEnd))
}

/// The zstd side: a frame header, then one block at a time into ruzstd, whose buffer is drained
/// into the caller's before the next block is decoded.
#[derive(Default)]
struct Zstd {
    dec: Option<ruzstd::decoding::FrameDecoder>,
    /// Input not yet handed to ruzstd: at most a frame header or one block (+ checksum).
    pending: Vec<u8>,
    /// The current frame's header was read.
    in_frame: bool,
    checksum: bool,
    /// The last block was decoded; what is left is the checksum and the output.
    last_block: bool,
}

impl Zstd {
    fn next_frame(&mut self) {
        self.in_frame = false;
        self.last_block = false;
    }

    /// Returns (input used, output made, frame done).
    fn step(&mut self, input: &[u8], out: &mut [u8]) -> Result<(usize, usize, bool), Error> {
        // Output waiting in ruzstd goes first.
        if let Some(dec) = &mut self.dec {
            if dec.can_collect() > 0 || (self.last_block && dec.is_finished()) {
                let (_, made) = dec.decode_from_to(&[], out).map_err(|_| Error::Corrupt)?;
                if made > 0 || out.is_empty() {
                    return Ok((0, made, false));
                }
            }
        }
        if self.frame_end()? {
            return Ok((0, 0, true));
        }
        // Take input up to what the next unit (header, block, checksum) needs; the need grows as
        // the first bytes of a header are known.
        let mut take = 0;
        loop {
            let need = self.needed()?;
            if self.pending.len() >= need {
                break;
            }
            let n = (need - self.pending.len()).min(input.len() - take);
            if n == 0 {
                return Ok((take, 0, false));
            }
            self.pending.extend_from_slice(&input[take..take + n]);
            take += n;
        }
        let made = if !self.in_frame {
            self.start_frame()?;
            0
        } else {
            self.block(out)?
        };
        let end = made == 0 && self.frame_end()?;
        Ok((take, made, end))
    }

    /// True when the frame is over and all its output handed out; then its checksum (computed by
    /// ruzstd as the output is drained) must match the one in the frame.
    fn frame_end(&self) -> Result<bool, Error> {
        match &self.dec {
            Some(d) if self.last_block && d.is_finished() && d.can_collect() == 0 => {
                if self.checksum {
                    check_sum(d)?;
                }
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    /// Bytes of `pending` the next unit needs (it may grow once the first bytes are known).
    fn needed(&self) -> Result<usize, Error> {
        let p = &self.pending;
        if !self.in_frame {
            if p.len() < 5 {
                return Ok(5);
            }
            if p[..4] != [0x28, 0xb5, 0x2f, 0xfd] {
                return Err(Error::Corrupt);
            }
            let fhd = p[4];
            let single = fhd & 0x20 != 0;
            let dict = [0, 1, 2, 4][usize::from(fhd & 3)];
            let fcs = match fhd >> 6 {
                0 if single => 1,
                0 => 0,
                1 => 2,
                2 => 4,
                _ => 8,
            };
            return Ok(5 + usize::from(!single) + dict + fcs);
        }
        if self.last_block {
            // Only the checksum is left (`step` ends the frame before asking when there is none).
            return Ok(4);
        }
        if p.len() < 3 {
            return Ok(3);
        }
        let h = u32::from(p[0]) | u32::from(p[1]) << 8 | u32::from(p[2]) << 16;
        let (last, kind, size) = (h & 1 != 0, (h >> 1) & 3, (h >> 3) as usize);
        if kind == 3 || size > ZSTD_MAX_BLOCK {
            return Err(Error::Corrupt);
        }
        let body = if kind == 1 { 1 } else { size };
        Ok(3 + body + if last && self.checksum { 4 } else { 0 })
    }

    fn start_frame(&mut self) -> Result<(), Error> {
        let p = &self.pending;
        let fhd = p[4];
        let single = fhd & 0x20 != 0;
        if fhd & 3 != 0 {
            return Err(Error::Corrupt); // dictionaries are not supported
        }
        let window = if single {
            let fcs = &p[5..];
            match fhd >> 6 {
                0 => u64::from(fcs[0]),
                1 => u64::from(u16::from_le_bytes([fcs[0], fcs[1]])) + 256,
                2 => u64::from(u32::from_le_bytes([fcs[0], fcs[1], fcs[2], fcs[3]])),
                _ => u64::from_le_bytes(fcs[..8].try_into().unwrap_or([0xff; 8])),
            }
        } else {
            let wd = p[5];
            let base = 1u64 << (10 + (wd >> 3));
            base + base / 8 * u64::from(wd & 7)
        };
        if window > MAX_ZSTD_WINDOW {
            return Err(Error::Corrupt);
        }
        self.checksum = fhd & 0x04 != 0;
        let dec = self.dec.get_or_insert_with(ruzstd::decoding::FrameDecoder::new);
        let mut src: &[u8] = &self.pending;
        dec.reset(&mut src).map_err(|_| Error::Corrupt)?;
        if !src.is_empty() {
            return Err(Error::Corrupt);
        }
        self.pending.clear();
        self.in_frame = true;
        Ok(())
    }

    fn block(&mut self, out: &mut [u8]) -> Result<usize, Error> {
        let Some(dec) = &mut self.dec else { return Err(Error::Corrupt) };
        if self.last_block {
            // The checksum, alone.
            let (read, _) = dec.decode_from_to(&self.pending, &mut []).map_err(|_| Error::Corrupt)?;
            self.pending.drain(..read.min(self.pending.len()));
        } else {
            let last = self.pending[0] & 1 != 0;
            let (read, made) = dec.decode_from_to(&self.pending, out).map_err(|_| Error::Corrupt)?;
            if read != self.pending.len() {
                return Err(Error::Corrupt);
            }
            self.pending.clear();
            self.last_block = last;
            return Ok(made);
        }
        Ok(0)
    }
}

fn check_sum(dec: &ruzstd::decoding::FrameDecoder) -> Result<(), Error> {
    match (dec.get_checksum_from_data(), dec.get_calculated_checksum()) {
        (Some(a), Some(b)) if a != b => Err(Error::Corrupt),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// Decodes `wire` in pieces of `piece` bytes into reads of `read` bytes.
    fn run(coding: Coding, wire: &[u8], piece: usize, read: usize) -> Result<Vec<u8>, Error> {
        let mut d = Decoder::new(coding);
        let mut out = Vec::new();
        let mut buf = vec![0; read];
        let mut pos = 0;
        let mut avail = 0;
        loop {
            if avail == pos && avail < wire.len() {
                avail = (avail + piece).min(wire.len());
            }
            let (used, made) = d.decode(&wire[pos..avail], &mut buf)?;
            out.extend_from_slice(&buf[..made]);
            pos += used;
            if d.is_done() && pos == avail && avail == wire.len() {
                break;
            }
            if used == 0 && made == 0 {
                if avail == wire.len() {
                    break;
                }
                avail = (avail + piece).min(wire.len());
            }
        }
        d.finish()?;
        Ok(out)
    }

    fn text() -> Vec<u8> {
        (0..20_000u32).flat_map(|i| format!("line {i} of the body, {}\n", i * 7919 % 1000).into_bytes()).collect()
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn zlib(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn raw(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn gzip_zlib_and_raw_deflate_in_any_pieces() {
        let body = text();
        for (coding, wire) in
            [(Coding::Gzip, gzip(&body)), (Coding::Deflate, zlib(&body)), (Coding::Deflate, raw(&body))]
        {
            for (piece, read) in [(usize::MAX, 1 << 16), (1, 7), (3, 1), (1000, 4096)] {
                assert_eq!(run(coding, &wire, piece, read).unwrap(), body, "{coding:?} {piece} {read}");
            }
        }
    }

    #[test]
    fn empty_bodies_of_each_flate_kind() {
        for (coding, wire) in [(Coding::Gzip, gzip(b"")), (Coding::Deflate, zlib(b"")), (Coding::Deflate, raw(b""))] {
            assert_eq!(run(coding, &wire, 1, 1).unwrap(), b"", "{coding:?}");
        }
    }

    #[test]
    fn corrupt_and_truncated_streams_are_errors() {
        let body = text();
        let mut bad = gzip(&body);
        let n = bad.len();
        bad[n / 2] ^= 0x55;
        bad[n - 6] ^= 0xff; // the CRC too
        assert_eq!(run(Coding::Gzip, &bad, 512, 4096), Err(Error::Corrupt));
        let cut = gzip(&body);
        assert_eq!(run(Coding::Gzip, &cut[..cut.len() - 3], 512, 4096), Err(Error::Truncated));
        assert_eq!(run(Coding::Gzip, b"not gzip at all", 512, 4096), Err(Error::Corrupt));
        let z = zlib(&body);
        assert_eq!(run(Coding::Deflate, &z[..z.len() / 2], 512, 4096), Err(Error::Truncated));
        // After an error, the decoder keeps failing.
        let mut d = Decoder::new(Coding::Gzip);
        let mut out = [0; 64];
        assert_eq!(d.decode(b"xxxxxxxxxxxxxxxxxxxx", &mut out), Err(Error::Corrupt));
        assert_eq!(d.decode(&gzip(b"a"), &mut out), Err(Error::Corrupt));
        assert_eq!(d.finish(), Err(Error::Corrupt));
    }

    #[test]
    fn a_bomb_is_stopped_with_bounded_output() {
        let zeros = vec![0u8; 2 << 20];
        let wire = gzip(&zeros);
        assert!(wire.len() < 2100, "{}", wire.len());
        assert_eq!(run(Coding::Gzip, &wire, 1024, 1 << 16), Err(Error::Bomb));
        // The same body passes with a looser cap.
        let mut d = Decoder::with_limits(Coding::Gzip, Limits { free: 16 << 20, ratio: 1000, max_output: u64::MAX });
        let mut buf = vec![0; 1 << 16];
        let mut pos = 0;
        let mut total = 0;
        while !d.is_done() {
            let (u, m) = d.decode(&wire[pos..], &mut buf).unwrap();
            pos += u;
            total += m;
        }
        assert_eq!(total, zeros.len());
        // An absolute cap.
        let mut d = Decoder::with_limits(Coding::Gzip, Limits { free: u64::MAX, ratio: 1, max_output: 100 });
        assert_eq!(d.decode(&wire, &mut buf), Err(Error::Bomb));
    }

    #[test]
    fn trailing_bytes_after_the_stream_are_ignored() {
        let mut wire = gzip(b"hello");
        wire.extend_from_slice(b"\0\0junk");
        assert_eq!(run(Coding::Gzip, &wire, 4, 16).unwrap(), b"hello");
    }

    #[test]
    fn brotli_and_zstd_from_committed_samples() {
        // Made by Python's brotli and zstandard modules from "hello hello hello hello\n" (see
        // tests/support/coding_server.py, which makes the same bytes).
        let br: [u8; 23] =
            [27, 23, 0, 248, 141, 148, 110, 222, 68, 85, 134, 214, 10, 32, 108, 111, 74, 17, 121, 226, 128, 174, 22];
        let want = b"hello hello hello hello\n";
        assert_eq!(run(Coding::Brotli, &br, 1, 1).unwrap(), want);
        assert_eq!(run(Coding::Brotli, &br, usize::MAX, 100).unwrap(), want);
        assert_eq!(run(Coding::Brotli, &br[..br.len() - 1], 1, 1), Err(Error::Truncated));
        // zstd with a compressed block and a checksum.
        let zs: [u8; 26] = [
            40, 181, 47, 253, 36, 24, 109, 0, 0, 56, 104, 101, 108, 108, 111, 32, 10, 1, 0, 153, 75, 17, 168, 124, 46,
            168,
        ];
        assert_eq!(run(Coding::Zstd, &zs, 1, 1).unwrap(), want);
        assert_eq!(run(Coding::Zstd, &zs, usize::MAX, 100).unwrap(), want);
        assert_eq!(run(Coding::Zstd, &zs[..zs.len() - 2], 1, 1), Err(Error::Truncated));
        let mut bad = zs;
        bad[25] ^= 1; // the checksum
        assert_eq!(run(Coding::Zstd, &bad, 1, 1), Err(Error::Corrupt));
        assert_eq!(run(Coding::Brotli, b"\xff\xff\xff\xff", 1, 1), Err(Error::Corrupt));
    }

    #[test]
    fn zstd_raw_and_rle_blocks_and_frames() {
        // Hand-made frames: magic, FHD (single segment, 1-byte FCS), then blocks.
        let mut f = vec![0x28, 0xb5, 0x2f, 0xfd, 0x20, 8];
        // A raw block of 3 bytes ("abc"), not last: header = size << 3 | type 0 << 1 | 0.
        f.extend_from_slice(&[(3 << 3) as u8, 0, 0, b'a', b'b', b'c']);
        // An RLE block of 5 'z', last.
        f.extend_from_slice(&[(5 << 3 | 1 << 1 | 1) as u8, 0, 0, b'z']);
        assert_eq!(run(Coding::Zstd, &f, 1, 1).unwrap(), b"abczzzzz");
        assert_eq!(run(Coding::Zstd, &f, usize::MAX, 100).unwrap(), b"abczzzzz");
        // Two frames back to back.
        let two = [f.clone(), f.clone()].concat();
        assert_eq!(run(Coding::Zstd, &two, 2, 3).unwrap(), b"abczzzzzabczzzzz");
        // Truncated, bad magic, reserved block type, a window past 8 MiB.
        assert_eq!(run(Coding::Zstd, &f[..f.len() - 1], 1, 1), Err(Error::Truncated));
        assert_eq!(run(Coding::Zstd, b"\x28\xb5\x2f\xfe\x20\x08", 1, 1), Err(Error::Corrupt));
        let mut bad = f.clone();
        bad[6] |= 3 << 1;
        assert_eq!(run(Coding::Zstd, &bad, 1, 1), Err(Error::Corrupt));
        // Window descriptor: exponent 14 -> 16 MiB.
        let big = [0x28, 0xb5, 0x2f, 0xfd, 0x00, 14 << 3, 1, 0, 0];
        assert_eq!(run(Coding::Zstd, &big, 1, 1), Err(Error::Corrupt));
    }

    #[test]
    fn zstd_rle_bomb_is_stopped_without_memory_growth() {
        // 200 RLE blocks of 128 KiB each: 25 MiB out of 800 bytes in.
        let mut f = vec![0x28, 0xb5, 0x2f, 0xfd, 0x00, 3 << 3];
        for i in 0..200 {
            let h = (ZSTD_MAX_BLOCK as u32) << 3 | 1 << 1 | u32::from(i == 199);
            f.extend_from_slice(&h.to_le_bytes()[..3]);
            f.push(b'x');
        }
        assert_eq!(run(Coding::Zstd, &f, 4096, 1 << 16), Err(Error::Bomb));
    }

    #[test]
    fn which_coding_and_the_headers_after() {
        let all = [Coding::Gzip, Coding::Deflate];
        let mut h = HeaderList::new();
        h.push("Content-Type", "text/plain");
        h.push("Content-Encoding", "GZIP");
        h.push("Content-Length", "123");
        assert_eq!(response_coding(&h, &all), Some(Coding::Gzip));
        assert_eq!(response_coding(&h, &[Coding::Deflate]), None);
        decoded_headers(&mut h);
        assert_eq!(h.to_pairs(), [("Content-Type".into(), "text/plain".into())]);
        let mut h = HeaderList::new();
        h.push("Content-Encoding", "gzip, br");
        assert_eq!(response_coding(&h, &all), None);
        let mut h = HeaderList::new();
        h.push("Content-Encoding", "gzip");
        h.push("Content-Encoding", "gzip");
        assert_eq!(response_coding(&h, &all), None);
        assert_eq!(response_coding(&HeaderList::new(), &all), None);
        assert_eq!(
            accept_encoding(&[Coding::Gzip, Coding::Deflate, Coding::Brotli, Coding::Zstd]),
            "gzip, deflate, br, zstd"
        );
        assert_eq!(Coding::from_token(" x-gzip "), Some(Coding::Gzip));
        assert_eq!(Coding::from_token("compress"), None);
    }

    #[test]
    fn decompression_flags_name_the_codings_in_accept_encoding_order() {
        assert!(codings(0).is_empty());
        assert_eq!(codings(WINHTTP_DECOMPRESSION_FLAG_ALL), [Coding::Gzip, Coding::Deflate]);
        assert_eq!(accept_encoding(&codings(WINHTTP_DECOMPRESSION_FLAG_DEFLATE)), "deflate");
        let all = WINHTTP_DECOMPRESSION_FLAG_ALL
            | WINHTTP_DECOMPRESSION_FLAG_PORTABLE_BROTLI
            | WINHTTP_DECOMPRESSION_FLAG_PORTABLE_ZSTD;
        assert_eq!(accept_encoding(&codings(all)), "gzip, deflate, br, zstd");
        assert_eq!(codings(WINHTTP_DECOMPRESSION_FLAG_PORTABLE_ZSTD), [Coding::Zstd]);
    }
}
