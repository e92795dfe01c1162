//! The bodies of the fuzz targets, one public function per target.
//!
//! Each function takes the fuzzer's bytes and panics when a property does not hold. The libFuzzer
//! binaries in `fuzz_targets/` only call them, and the normal test suite (`tests/fuzz_corpus.rs`,
//! which includes this file as a module) replays every committed seed and regression input through
//! the same functions, so a fixed crash stays fixed without libFuzzer.
//!
//! Inputs start with one or two configuration bytes (how the bytes are split into pieces, which
//! size caps, which flags); the rest is the text under test. See `docs/FUZZING.md`.

use winhttp::abi::*;
use winhttp::proto::h1::{self, Decoder, Framing, HeadParser, Parse};
use winhttp::proto::headers::{self, HeaderBlock, HeaderError, HeaderList, RequestFacts, StartLine};
use winhttp::proto::passport;
use winhttp::proto::time;
use winhttp::proto::url::{self, CreateParts, Part, UrlParts};
use winhttp::proto::wide::{self, CodeUnit};

/// A small deterministic generator (xorshift64*), seeded from the input, for split points and
/// buffer sizes.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n` (`n` > 0).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// The size of the next piece of a stream: `style` 0 is one byte at a time, 1 small pieces,
    /// 2 medium, 3 large.
    fn piece(&mut self, style: u8) -> usize {
        match style & 3 {
            0 => 1,
            1 => 1 + self.below(8),
            2 => 1 + self.below(64),
            _ => 1 + self.below(4096),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// head: the response head parser
// ---------------------------------------------------------------------------------------------

/// What feeding a stream of response heads to a [`HeadParser`] gave: every complete head with the
/// bytes it consumed, then how it ended (the error, or the bytes left over).
#[derive(Debug, PartialEq)]
struct HeadRun {
    heads: Vec<(h1::Head, usize)>,
    end: Result<usize, h1::Error>,
}

/// Feeds `wire` to a parser the way the engine does: the buffer grows by pieces of the sizes
/// `next` gives; after each piece the buffer is parsed, and a complete head is drained from it
/// and parsing goes on with what is left, up to the final (not 1xx) head; what follows it is left
/// over. At the end of the input, an incomplete head is the error `HeadParser::eof` gives (after 8
/// interim heads the rest is left over).
fn head_run(max: usize, wire: &[u8], next: &mut dyn FnMut() -> usize) -> HeadRun {
    let mut parser = HeadParser::new(max);
    let (mut buf, mut pos, mut heads) = (Vec::new(), 0, Vec::new());
    loop {
        loop {
            if heads.len() == 8 {
                return HeadRun { heads, end: Ok(buf.len() + wire.len() - pos) };
            }
            match parser.parse(&buf) {
                Ok(Parse::Incomplete) => break,
                Ok(Parse::Complete { head, consumed }) => {
                    check_head(&head, consumed, max, buf.len());
                    buf.drain(..consumed);
                    let last = !head.is_interim();
                    heads.push((head, consumed));
                    if last {
                        // The final head: what follows is the body.
                        return HeadRun { heads, end: Ok(buf.len() + wire.len() - pos) };
                    }
                }
                Err(e) => return HeadRun { heads, end: Err(e) },
            }
        }
        if pos == wire.len() {
            return HeadRun { heads, end: Err(parser.eof(&buf)) };
        }
        let n = next().clamp(1, wire.len() - pos);
        buf.extend_from_slice(&wire[pos..pos + n]);
        pos += n;
    }
}

/// What must hold for every parsed head.
fn check_head(head: &h1::Head, consumed: usize, max: usize, buffered: usize) {
    assert!(consumed > 0 && consumed <= buffered, "consumed {consumed} of {buffered}");
    assert!(consumed <= max, "a head of {consumed} bytes passed the cap of {max}");
    assert_eq!(head.raw_len, consumed);
    assert!((100..=999).contains(&head.status), "status {}", head.status);
    assert!(!head.reason.contains(['\r', '\n']), "reason {:?}", head.reason);
    for (name, value) in &head.headers {
        assert!(headers::is_valid_name(name), "header name {name:?}");
        assert!(!value.contains(['\r', '\n']), "header value {value:?}");
    }
    for method in ["GET", "HEAD", "CONNECT", "POST"] {
        if let Ok(framing) = h1::framing(method, head) {
            let _ = h1::keep_alive(head, framing);
        }
    }
    // Passport: only a 302 with a Passport challenge, and only when enabled, is turned into a 401.
    let challenges = || head.headers.get_all("WWW-Authenticate");
    let turned = passport::reported_as_denied(WINHTTP_ENABLE_PASSPORT_AUTH, head.status, challenges());
    assert_eq!(turned, head.status == 302 && challenges().any(passport::is_passport_challenge));
    assert!(!passport::reported_as_denied(WINHTTP_DISABLE_PASSPORT_AUTH, head.status, challenges()));
}

/// Target `head`: the response head parser. Byte 0: bits 0-1 pick the head size cap (64 KiB, 64,
/// 256, 1024 bytes), bits 2-3 the piece sizes, bits 4-7 seed the split points. The same stream,
/// parsed in one piece and in pieces, must give the same heads and the same end.
pub fn head(data: &[u8]) {
    let Some((&cfg, wire)) = data.split_first() else { return };
    let max = [h1::DEFAULT_MAX_HEAD_SIZE, 64, 256, 1024][usize::from(cfg & 3)];
    let whole = head_run(max, wire, &mut || usize::MAX);
    let mut rng = Rng::new(u64::from(cfg >> 4) + wire.len() as u64);
    let pieces = head_run(max, wire, &mut || rng.piece(cfg >> 2));
    assert_eq!(whole, pieces, "one piece and pieces differ");
    let drip = head_run(max, wire, &mut || 1);
    assert_eq!(whole, drip, "one piece and one byte at a time differ");

    // The body after the last head, as the engine would decode it.
    if let (Some((head, _)), Ok(left)) = (whole.heads.last(), whole.end) {
        if let Ok(framing) = h1::framing("GET", head) {
            let rest = &wire[wire.len() - left..];
            let mut decoder = Decoder::new(framing);
            let mut out = vec![0; rest.len()];
            if let Ok((used, made)) = decoder.decode(rest, &mut out) {
                assert!(made <= used && used <= rest.len());
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// chunked: the body decoder
// ---------------------------------------------------------------------------------------------

/// What decoding a body gave.
#[derive(Debug, PartialEq)]
struct BodyRun {
    body: Vec<u8>,
    /// Wire bytes consumed (the rest is what follows the body).
    consumed: usize,
    /// Ok(true): the body ended; Ok(false): the input ran out first; Err: the decoder's error.
    end: Result<bool, h1::Error>,
    /// What `eof` said when the input ran out before the end of the body.
    eof: Option<Result<(), h1::Error>>,
    trailers: Vec<(String, String)>,
}

/// How a body run gets its bytes and hands out its output.
struct Feed {
    /// Sizes of the pieces the wire bytes arrive in (0: everything at once).
    piece_style: Option<u8>,
    /// Sizes of the caller's read buffers: 0 one byte, 1 small, 2 large, 3 what is available.
    out_style: u8,
    /// Use `skip_framing` / `data_run` / `advance` (the engine's zero-copy path) on some reads.
    zero_copy: bool,
}

fn body_run(decoder: &mut Decoder, wire: &[u8], feed: &Feed, rng: &mut Rng) -> BodyRun {
    let (mut pending, mut pos, mut body) = (Vec::new(), 0, Vec::new());
    let end = loop {
        if decoder.is_done() {
            break Ok(true);
        }
        // Wire bytes arrive.
        if pending.is_empty() || rng.below(4) == 0 {
            if pos < wire.len() {
                let n = match feed.piece_style {
                    None => wire.len() - pos,
                    Some(style) => rng.piece(style).min(wire.len() - pos),
                };
                pending.extend_from_slice(&wire[pos..pos + n]);
                pos += n;
            } else if pending.is_empty() {
                break Ok(false);
            }
        }
        // The caller reads.
        let avail = decoder.available(pending.len());
        assert!(avail <= pending.len());
        let want = match feed.out_style & 3 {
            0 => 1,
            1 => 1 + rng.below(16),
            2 => 4096,
            _ => avail.max(1),
        };
        let step = if feed.zero_copy && rng.below(2) == 0 {
            zero_copy_read(decoder, &pending, want, &mut body)
        } else {
            let mut out = vec![0; want];
            decoder.decode(&pending, &mut out).map(|(used, made)| {
                assert!(used <= pending.len() && made <= want && made <= used);
                body.extend_from_slice(&out[..made]);
                used
            })
        };
        match step {
            Ok(used) => {
                // Every read makes progress until the end of the body.
                assert!(used > 0 || decoder.is_done(), "no progress with {} bytes pending", pending.len());
                pending.drain(..used);
            }
            Err(e) => break Err(e),
        }
    };
    let consumed = pos - pending.len();
    let eof = (end == Ok(false)).then(|| decoder.eof());
    BodyRun { body, consumed, end, eof, trailers: decoder.trailers().to_vec() }
}

/// One read the way the engine does it without copying: skip the framing, then move at most
/// `want` bytes of the data run and report them with `advance`.
fn zero_copy_read(decoder: &mut Decoder, pending: &[u8], want: usize, body: &mut Vec<u8>) -> Result<usize, h1::Error> {
    let skipped = decoder.skip_framing(pending)?;
    assert!(skipped <= pending.len());
    let run = decoder.data_run();
    let n = usize::try_from(run).unwrap_or(usize::MAX).min(pending.len() - skipped).min(want);
    assert_eq!(decoder.available(pending.len() - skipped).min(want), n);
    body.extend_from_slice(&pending[skipped..skipped + n]);
    decoder.advance(n);
    Ok(skipped + n)
}

/// What must hold for every body run.
fn check_body(run: &BodyRun, framing: Framing, wire_len: usize, max_trailer: usize) {
    assert!(run.body.len() <= run.consumed && run.consumed <= wire_len, "{run:?}");
    if let Framing::Length(n) = framing {
        match run.end {
            Ok(true) => assert_eq!(run.body.len() as u64, n),
            _ => assert!((run.body.len() as u64) < n.max(1)),
        }
    }
    let trailer_chars: usize = run.trailers.iter().map(|(n, v)| n.chars().count() + v.chars().count()).sum();
    assert!(trailer_chars <= max_trailer, "trailers past the cap: {trailer_chars} > {max_trailer}");
    for (name, value) in &run.trailers {
        assert!(headers::is_valid_name(name), "trailer name {name:?}");
        assert!(!value.contains(['\r', '\n']), "trailer value {value:?}");
    }
}

/// Target `chunked`: the body decoder, chunked above all. Byte 0: bits 0-1 the framing (chunked
/// twice, Content-Length, until close), bits 2-3 the caps (default, small, tiny, no trailers),
/// bits 4-5 the read buffer sizes, bit 6 the zero-copy path, bit 7 the encode round trip. Byte 1
/// seeds the split points (its bits 0-1 pick the piece sizes). The same body decoded in one piece
/// and in pieces must give the same bytes, the same end and the same trailers.
pub fn chunked(data: &[u8]) {
    let [cfg, seed, wire @ ..] = data else { return };
    if cfg & 0x80 != 0 {
        return chunked_round_trip(*seed, wire);
    }
    let framing = match cfg & 3 {
        0 | 1 => Framing::Chunked,
        2 => Framing::Length(u64::from(*seed) * 7),
        _ => Framing::CloseDelimited,
    };
    let (max_line, max_trailer) = [(h1::DEFAULT_MAX_CHUNK_LINE, h1::DEFAULT_MAX_HEAD_SIZE), (8, 64), (1, 1), (32, 0)]
        [usize::from((cfg >> 2) & 3)];
    let run = |feed: &Feed, rng: &mut Rng| {
        let mut decoder = Decoder::with_limits(framing, max_line, max_trailer);
        body_run(&mut decoder, wire, feed, rng)
    };
    let mut rng = Rng::new(u64::from(*seed));
    let whole = run(&Feed { piece_style: None, out_style: 2, zero_copy: false }, &mut rng);
    check_body(&whole, framing, wire.len(), max_trailer);
    let feed = Feed { piece_style: Some(seed & 3), out_style: (cfg >> 4) & 3, zero_copy: cfg & 0x40 != 0 };
    let pieces = run(&feed, &mut rng);
    check_body(&pieces, framing, wire.len(), max_trailer);
    match (&whole.end, &pieces.end) {
        (Err(a), Err(b)) => assert_eq!(a, b, "different errors"),
        _ => assert_eq!(whole, pieces, "one piece and pieces differ"),
    }
}

/// Encodes `body` as chunks (sizes, hex case, leading zeros, extensions, LF or CRLF line ends and
/// trailers all drawn from `seed`), decodes it in pieces and wants the body, the trailers and the
/// exact end back.
fn chunked_round_trip(seed: u8, body: &[u8]) {
    let mut rng = Rng::new(u64::from(seed) << 8 | body.len() as u64);
    let eol: &[u8] = if seed & 1 != 0 { b"\n" } else { b"\r\n" };
    let mut wire = Vec::new();
    let mut at = 0;
    while at < body.len() {
        let n = (1 + rng.below(1 + (seed as usize >> 1))).min(body.len() - at);
        let size = if rng.below(2) == 0 { format!("{n:x}") } else { format!("{:0>4X}", n) };
        wire.extend_from_slice(size.as_bytes());
        if rng.below(3) == 0 {
            wire.extend_from_slice(b" ;ext=\"v\";x");
        }
        wire.extend_from_slice(eol);
        wire.extend_from_slice(&body[at..at + n]);
        wire.extend_from_slice(eol);
        at += n;
    }
    wire.extend_from_slice(b"0");
    wire.extend_from_slice(eol);
    let mut trailers = Vec::new();
    for i in 0..rng.below(3) {
        let (name, value) = (format!("X-T{i}"), format!("v{}", rng.below(100)));
        wire.extend_from_slice(format!("{name}: {value}").as_bytes());
        wire.extend_from_slice(eol);
        trailers.push((name, value));
    }
    wire.extend_from_slice(eol);
    let end = wire.len();
    wire.extend_from_slice(b"HTTP/1.1 200 OK\r\n"); // the next response: must not be consumed
    let feed = Feed { piece_style: Some(seed >> 6), out_style: seed >> 4, zero_copy: seed & 2 != 0 };
    let run = body_run(&mut Decoder::new(Framing::Chunked), &wire, &feed, &mut rng);
    let want = BodyRun { body: body.to_vec(), consumed: end, end: Ok(true), eof: None, trailers };
    assert_eq!(run, want);
}

// ---------------------------------------------------------------------------------------------
// url: WinHttpCrackUrl / WinHttpCreateUrl cores and the request path escaping
// ---------------------------------------------------------------------------------------------

fn part_ranges(p: &UrlParts) -> [(Option<core::ops::Range<usize>>, Part); 6] {
    [
        (Some(p.scheme_text.clone()), Part::Scheme),
        (p.user.clone(), Part::User),
        (p.password.clone(), Part::Password),
        (Some(p.host.clone()), Part::Host),
        (Some(p.path.clone()), Part::Path),
        (Some(p.extra.clone()), Part::Extra),
    ]
}

/// The components of a split URL, as slices of `units` (no transformation).
fn create_parts<'a, C: CodeUnit>(units: &'a [C], p: &UrlParts) -> CreateParts<'a, C> {
    let non_empty = |r: &core::ops::Range<usize>| (!r.is_empty()).then(|| &units[r.clone()]);
    CreateParts {
        scheme: Some(&units[p.scheme_text.clone()]),
        n_scheme: 0,
        host: Some(&units[p.host.clone()]),
        port: p.port,
        user: p.user.clone().map(|r| &units[r]),
        password: p.password.clone().map(|r| &units[r]),
        path: non_empty(&p.path),
        extra: non_empty(&p.extra),
    }
}

/// The components' texts, for comparing two cracks.
fn texts<C: CodeUnit>(units: &[C], p: &UrlParts) -> Vec<Option<Vec<C>>> {
    part_ranges(p).into_iter().map(|(r, _)| r.map(|r| units[r].to_vec())).collect()
}

fn check_url<C: CodeUnit>(units: &[C], flags: DWORD) {
    let p = match url::split(units, flags) {
        Ok(p) => p,
        Err(e) => {
            assert!([ERROR_WINHTTP_INVALID_URL, ERROR_WINHTTP_UNRECOGNIZED_SCHEME].contains(&e), "error {e}");
            return;
        }
    };
    // The components are in order, inside the string, and the path and extra info end it.
    let n = units.len();
    let mut last = 0;
    for (r, _) in part_ranges(&p) {
        if let Some(r) = r {
            assert!(last <= r.start && r.start <= r.end && r.end <= n, "{p:?} in {n}");
            last = r.end;
        }
    }
    assert!(p.path.end == p.extra.start && p.extra.end == n, "{p:?}");
    assert!(!p.host.is_empty());
    assert!(p.user.is_none() || flags & ICU_REJECT_USERPWD == 0);
    assert!(p.password.is_none() || p.user.is_some());
    assert!([INTERNET_SCHEME_HTTP, INTERNET_SCHEME_HTTPS].contains(&p.scheme));

    // Each component as WinHttpCrackUrl returns it under the flags.
    for (r, part) in part_ranges(&p) {
        let Some(r) = r else { continue };
        let raw = &units[r.clone()];
        match url::component_value(units, r, part, flags) {
            Ok(v) => {
                if flags & ICU_ESCAPE != 0 && matches!(part, Part::Path | Part::Extra) {
                    assert!(v.len() >= raw.len());
                    assert!(v.iter().all(|c| c.ascii().is_some_and(|b| b > b' ' && b != 0x7f)), "escaped {v:?}");
                } else if flags & ICU_DECODE != 0 {
                    assert!(v.len() <= raw.len());
                } else {
                    assert_eq!(&v[..], raw);
                }
            }
            Err(e) => {
                assert_eq!(e, ERROR_INVALID_PARAMETER);
                assert!(flags & ICU_ESCAPE != 0 && wide::decode(raw).contains('\u{fffd}'), "{raw:?}");
            }
        }
    }

    // Crack, create, crack: the same components (the port may lose its spelling, e.g. ":080").
    let create_flags = flags & ICU_INCLUDE_DEFAULT_PORT;
    let made = url::create(&create_parts(units, &p), create_flags).expect("create from cracked parts");
    let again = url::split(&made, 0).unwrap_or_else(|e| panic!("re-crack of {:?}: {e}", wide::decode(&made)));
    assert_eq!(texts(units, &p), texts(&made, &again), "{:?}", wide::decode(&made));
    assert_eq!((p.scheme, p.port), (again.scheme, again.port));
    // Created twice gives the same URL.
    assert_eq!(url::create(&create_parts(&made, &again), create_flags).unwrap(), made);

    // Create with ICU_ESCAPE, crack with ICU_DECODE: an ASCII path and query come back (an extra
    // info that starts with '#' has its '#' escaped and joins the path, so it is left out).
    let ascii = |r: &core::ops::Range<usize>| units[r.clone()].iter().all(|c| c.ascii().is_some());
    if ascii(&p.path) && ascii(&p.extra) && units[p.extra.clone()].first().is_none_or(|c| c.to_u32() != 0x23) {
        let escaped = url::create(&create_parts(units, &p), ICU_ESCAPE).expect("escaped create");
        let q = url::split(&escaped, 0).expect("re-crack escaped");
        let get = |r, part| url::component_value(&escaped, r, part, ICU_DECODE).unwrap().into_owned();
        let want = |r: &core::ops::Range<usize>| units[r.clone()].to_vec();
        assert_eq!(get(q.path.clone(), Part::Path), want(&p.path), "{:?}", wide::decode(&escaped));
        assert_eq!(get(q.extra.clone(), Part::Extra), want(&p.extra), "{:?}", wide::decode(&escaped));
    }
}

/// Escaping a request path: ASCII out, never a space, CR or LF in any mode (so the request head
/// writer takes it unless a NUL came in, which it refuses); with escaping on, no control character
/// or DEL; with `%` escaped too, `%XX` decoding gives the original bytes back.
fn check_request_path(path: &str, sel: u8) {
    let flags = [0, WINHTTP_FLAG_ESCAPE_PERCENT, WINHTTP_FLAG_ESCAPE_DISABLE, WINHTTP_FLAG_ESCAPE_DISABLE_QUERY]
        [usize::from(sel & 3)];
    let out = url::escape_request_path(path, flags);
    assert!(out.is_ascii() && !out.contains([' ', '\r', '\n']), "{out:?}");
    let target = format!("/{out}");
    let mut head = Vec::new();
    let written = h1::write_request_head(&mut head, "GET", &target, h1::Version::Http11, &[]);
    assert_eq!(written.is_ok(), !out.contains('\0'), "{out:?}");
    let (p, q) = out.split_at(out.find('?').unwrap_or(out.len()));
    let clean = |s: &str| s.bytes().all(|b| b > b' ' && b != 0x7f);
    if flags & WINHTTP_FLAG_ESCAPE_DISABLE == 0 {
        assert!(clean(p), "{out:?}");
        if flags & WINHTTP_FLAG_ESCAPE_DISABLE_QUERY == 0 {
            assert!(clean(q), "{out:?}");
        }
    }
    if flags == WINHTTP_FLAG_ESCAPE_PERCENT {
        assert_eq!(percent_decode_bytes(out.as_bytes()), path.as_bytes(), "{out:?}");
    }
}

fn percent_decode_bytes(s: &[u8]) -> Vec<u8> {
    let hex = |b: u8| (b as char).to_digit(16);
    let mut out = Vec::new();
    let mut i = 0;
    while i < s.len() {
        if let (b'%', Some(h), Some(l)) = (s[i], s.get(i + 1).and_then(|&b| hex(b)), s.get(i + 2).and_then(|&b| hex(b)))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
        } else {
            out.push(s[i]);
            i += 1;
        }
    }
    out
}

/// Target `url`: URL cracking and creation, both code-unit widths. Byte 0: bit 0 `ICU_DECODE`,
/// bit 1 `ICU_ESCAPE`, bit 2 `ICU_REJECT_USERPWD`, bit 3 `ICU_INCLUDE_DEFAULT_PORT`, bits 4-5 the
/// request path flags, bit 6 raw code units (UTF-16 units from byte pairs, UTF-32 from byte
/// quads, lone surrogates and non-characters included) instead of UTF-8 text. Properties:
/// components in order and inside the string, decoding never grows and escaping never shrinks a
/// component, crack → create → crack gives the same components, an escaped ASCII path and query
/// decode back, request path escaping keeps controls and spaces off the request line.
pub fn url(data: &[u8]) {
    let Some((&cfg, rest)) = data.split_first() else { return };
    let flags = [ICU_DECODE, ICU_ESCAPE, ICU_REJECT_USERPWD, ICU_INCLUDE_DEFAULT_PORT]
        .iter()
        .enumerate()
        .filter(|(i, _)| cfg & (1 << i) != 0)
        .fold(0, |f, (_, &bit)| f | bit);
    if cfg & 0x40 != 0 {
        let u16s: Vec<u16> = rest.chunks_exact(2).map(|b| u16::from_le_bytes([b[0], b[1]])).collect();
        check_url(&u16s, flags);
        let u32s: Vec<u32> = rest.chunks_exact(4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
        check_url(&u32s, flags);
    } else {
        let text = String::from_utf8_lossy(rest);
        check_url(&wide::encode::<u16>(&text), flags);
        check_url(&wide::encode::<u32>(&text), flags);
        // The engine's owned crack agrees with the slices.
        if let Ok(c) = url::crack_str(&text, flags) {
            let units: Vec<u32> = wide::encode(&text);
            let p = url::split(&units, flags).unwrap();
            let host = url::component_value(&units, p.host.clone(), Part::Host, flags).unwrap();
            assert_eq!(c.host, wide::decode(&host));
            assert_eq!(c.port, p.port);
            assert!(c.object_name().starts_with('/'));
        }
        check_request_path(&text, cfg >> 4);
    }
}

// ---------------------------------------------------------------------------------------------
// headers: WinHttpAddRequestHeaders text parsing and the header list
// ---------------------------------------------------------------------------------------------

const ADDREQ_FLAGS: [DWORD; 5] = [
    WINHTTP_ADDREQ_FLAG_ADD,
    WINHTTP_ADDREQ_FLAG_ADD_IF_NEW,
    WINHTTP_ADDREQ_FLAG_REPLACE,
    WINHTTP_ADDREQ_FLAG_COALESCE_WITH_COMMA,
    WINHTTP_ADDREQ_FLAG_COALESCE_WITH_SEMICOLON,
];

fn modifiers(sel: u8) -> DWORD {
    ADDREQ_FLAGS.iter().enumerate().filter(|(i, _)| sel & (1 << i) != 0).fold(0, |m, (_, &f)| m | f)
}

/// Target `headers`: `WinHttpAddRequestHeaders` calls on one request's header list. The input is
/// a series of calls separated by 0xFF bytes; each call is one byte of modifiers (bits 0-4: ADD,
/// ADD_IF_NEW, REPLACE, COALESCE_WITH_COMMA, COALESCE_WITH_SEMICOLON) and the header text.
/// Properties: a parsed header is valid and parses back the same; a malformed text changes
/// nothing; plain ADD appends exactly the parsed headers; the list never holds a header that could
/// split the request head, so the request head writer always accepts it; queries and their
/// conversions never fail in unexpected ways.
pub fn headers(data: &[u8]) {
    let mut list = HeaderList::new();
    for call in data.split(|&b| b == 0xff) {
        let Some((&sel, text)) = call.split_first() else { continue };
        let text = String::from_utf8_lossy(text);
        let modifiers = modifiers(sel);
        let parsed = headers::parse_lines(&text);
        if let Ok(pairs) = &parsed {
            for &(name, value) in pairs {
                assert!(headers::is_valid_name(name) && headers::is_valid_value(value), "{name:?}: {value:?}");
                assert_eq!(value, value.trim_matches([' ', '\t']));
                assert_eq!(headers::parse_line(&format!("{name}:{value}")), Ok((name, value)));
            }
        }
        let before = list.clone();
        let result = list.add_text(&text, modifiers);
        match (&parsed, &result) {
            (Err(_), r) => {
                assert_eq!(*r, Err(HeaderError::Invalid));
                assert_eq!(list, before, "a malformed text changed the list");
            }
            (Ok(pairs), Ok(())) if modifiers == 0 || modifiers == WINHTTP_ADDREQ_FLAG_ADD => {
                assert_eq!(list.len(), before.len() + pairs.len());
                let added: Vec<_> = list.iter().skip(before.len()).collect();
                assert_eq!(&added, pairs);
            }
            (Ok(_), r) => assert_ne!(*r, Err(HeaderError::Invalid)),
        }
        for h in list.iter() {
            assert!(headers::is_valid_name(h.0) && headers::is_valid_value(h.1), "{h:?}");
        }
        if list.len() > 200 {
            break; // enough: keep iterations fast
        }
    }

    // The list goes on the wire: one line per header, no other line break.
    let mut head = Vec::new();
    h1::write_request_head(&mut head, "GET", "/", h1::Version::Http11, &list.to_pairs()).expect("request head");
    let lines = head.split(|&b| b == b'\n').count() - 1;
    assert_eq!(lines, list.len() + 2);
    assert!(
        head.windows(2).filter(|w| w == b"\r\n").count() == lines
            && head.iter().filter(|&&b| b == b'\r').count() == lines
    );

    // Queries on the request side, every info level with every conversion.
    let block =
        HeaderBlock { start: StartLine::Request { method: "GET", target: "/", version: "HTTP/1.1" }, headers: &list };
    let facts = RequestFacts { method: "GET", original_uri: None };
    let raw = block.raw_crlf();
    assert!(raw.ends_with("\r\n\r\n"));
    for level in 0..=WINHTTP_QUERY_MAX {
        let Some(attr) = headers::attribute(level) else { panic!("level {level}") };
        for index in [0, 1] {
            if let Ok(answer) = block.query(&facts, attr, None, index) {
                for modifier in
                    [0, WINHTTP_QUERY_FLAG_NUMBER, WINHTTP_QUERY_FLAG_NUMBER64, WINHTTP_QUERY_FLAG_SYSTEMTIME]
                {
                    match headers::convert(answer.text.clone(), level | modifier) {
                        Ok(_) => {}
                        Err(e) => assert_eq!(e, ERROR_WINHTTP_INVALID_QUERY_REQUEST),
                    }
                }
            }
        }
    }
    if let Some((name, _)) = list.iter().next() {
        let answer = block.query(&facts, headers::Attribute::Custom, Some(&name.to_ascii_uppercase()), 0);
        assert_eq!(answer.map(|a| a.text.into_owned()), Ok(list.get(name).unwrap().to_owned()));
    }
}

// ---------------------------------------------------------------------------------------------
// time: WinHttpTimeToSystemTime / WinHttpTimeFromSystemTime cores
// ---------------------------------------------------------------------------------------------

/// Day of the week by a different method than the library's (Sakamoto's), as an oracle.
fn weekday(year: u32, month: u32, day: u32) -> u16 {
    const T: [i64; 12] = [0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4];
    let y = i64::from(year) - i64::from(month < 3);
    ((y + y.div_euclid(4) - y.div_euclid(100) + y.div_euclid(400) + T[month as usize - 1] + i64::from(day))
        .rem_euclid(7)) as u16
}

fn check_date(st: &SYSTEMTIME) {
    assert!(time::is_valid(st), "{st:?}");
    assert_eq!(st.wMilliseconds, 0);
    assert_eq!(st.wDayOfWeek, weekday(st.wYear.into(), st.wMonth.into(), st.wDay.into()), "{st:?}");
    let text = time::format_rfc1123(st).expect("format a valid date");
    assert_eq!(text.len(), 29, "{text:?}");
    assert_eq!(time::parse_http_date(&text).as_ref(), Some(st), "{text:?}");
}

/// Target `time`: HTTP dates. The whole input, as text, is read as a date: a date found is valid,
/// has the right weekday, and formats to an RFC 1123 date that reads back the same. The first 16
/// bytes, as a `SYSTEMTIME`, format (when valid) to a date that reads back the same.
pub fn time(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Some(st) = time::parse_http_date(&text) {
        check_date(&st);
    }
    if let Some(b) = data.get(..16) {
        let w = |i: usize| u16::from_le_bytes([b[2 * i], b[2 * i + 1]]);
        let st = SYSTEMTIME {
            wYear: w(0) % 10100,
            wMonth: w(1) % 14,
            wDayOfWeek: w(2),
            wDay: w(3) % 33,
            wHour: w(4) % 25,
            wMinute: w(5) % 61,
            wSecond: w(6) % 61,
            wMilliseconds: w(7),
        };
        match time::format_rfc1123(&st) {
            Some(text) => {
                let back = time::parse_http_date(&text).expect("read back a formatted date");
                let same = |a: &SYSTEMTIME| (a.wYear, a.wMonth, a.wDay, a.wHour, a.wMinute, a.wSecond);
                assert_eq!(same(&back), same(&st), "{text:?}");
                check_date(&back);
            }
            None => assert!(!time::is_valid(&st)),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// ffi: the exported functions, with their pointer and length arithmetic
// ---------------------------------------------------------------------------------------------

use winhttp::ffi;

/// Filler after every output buffer: the API must never write past the size it was given.
const CANARY: WCHAR = 0x5A5A_5A5A;
const GUARD: usize = 4;

/// A wide string as a caller hands it over. `len` is what the length argument says (0 or
/// `DWORD::MAX` for NUL-terminated strings); `units` is the allocation, exactly as long as the
/// string (and its terminator), so reading past it is an error the sanitizer sees.
struct CString {
    units: Box<[WCHAR]>,
    len: DWORD,
    /// The string the API should see: up to the length, or up to the first NUL.
    text: Vec<WCHAR>,
}

/// `mode` 0: NUL-terminated with length 0; 1: exact length, no terminator; 2: NUL-terminated with
/// `(DWORD)-1`; 3: a length shorter than the allocation.
fn c_string(units: &[WCHAR], mode: u8) -> CString {
    let terminated = |len| {
        let end = units.iter().position(|&u| u == 0).unwrap_or(units.len());
        let mut all = units.to_vec();
        all.push(0);
        CString { units: all.into_boxed_slice(), len, text: units[..end].to_vec() }
    };
    match mode & 3 {
        _ if units.is_empty() => terminated(0),
        1 => CString { units: units.into(), len: units.len() as DWORD, text: units.to_vec() },
        2 => terminated(DWORD::MAX),
        3 => {
            let n = units.len().div_ceil(2);
            CString { units: units.into(), len: n as DWORD, text: units[..n].to_vec() }
        }
        _ => terminated(0),
    }
}

fn last_error() -> DWORD {
    ffi::error::GetLastError()
}

/// Checks the result of an API call: TRUE with `ERROR_SUCCESS`, or FALSE with `want` (never the
/// internal error a caught panic becomes).
fn expect_result(ok: BOOL, want: Result<(), DWORD>, what: &str) {
    let got = if ok != 0 { Ok(()) } else { Err(last_error()) };
    assert_ne!(got, Err(ERROR_WINHTTP_INTERNAL_ERROR), "{what}: a panic was caught");
    assert_eq!(got, want, "{what}");
    if ok != 0 {
        assert_eq!(last_error(), ERROR_SUCCESS, "{what}");
    }
}

/// A caller's output buffer of `size` units, followed by canaries.
struct OutBuf(Vec<WCHAR>, usize);

impl OutBuf {
    fn new(size: usize) -> OutBuf {
        OutBuf(vec![CANARY; size + GUARD], size)
    }
    fn ptr(&mut self) -> LPWSTR {
        self.0.as_mut_ptr()
    }
    fn check_guard(&self) {
        assert!(self.0[self.1..].iter().all(|&u| u == CANARY), "written past a buffer of {} units", self.1);
    }
}

/// The members of `URL_COMPONENTS` as comparable values.
fn uc_fields(c: &URL_COMPONENTS) -> [usize; 15] {
    [
        c.dwStructSize as usize,
        c.lpszScheme as usize,
        c.dwSchemeLength as usize,
        c.nScheme as usize,
        c.lpszHostName as usize,
        c.dwHostNameLength as usize,
        c.nPort as usize,
        c.lpszUserName as usize,
        c.dwUserNameLength as usize,
        c.lpszPassword as usize,
        c.dwPasswordLength as usize,
        c.lpszUrlPath as usize,
        c.dwUrlPathLength as usize,
        c.lpszExtraInfo as usize,
        c.dwExtraInfoLength as usize,
    ]
}

/// Pointers to the (pointer, length) pairs of `URL_COMPONENTS` in the order scheme, user,
/// password, host, path, extra info.
fn uc_slots(c: &mut URL_COMPONENTS) -> [(&mut LPWSTR, &mut DWORD); 6] {
    [
        (&mut c.lpszScheme, &mut c.dwSchemeLength),
        (&mut c.lpszUserName, &mut c.dwUserNameLength),
        (&mut c.lpszPassword, &mut c.dwPasswordLength),
        (&mut c.lpszHostName, &mut c.dwHostNameLength),
        (&mut c.lpszUrlPath, &mut c.dwUrlPathLength),
        (&mut c.lpszExtraInfo, &mut c.dwExtraInfoLength),
    ]
}

fn empty_components() -> URL_COMPONENTS {
    URL_COMPONENTS {
        dwStructSize: size_of::<URL_COMPONENTS>() as DWORD,
        lpszScheme: core::ptr::null_mut(),
        dwSchemeLength: 0,
        nScheme: 0,
        lpszHostName: core::ptr::null_mut(),
        dwHostNameLength: 0,
        nPort: 0,
        lpszUserName: core::ptr::null_mut(),
        dwUserNameLength: 0,
        lpszPassword: core::ptr::null_mut(),
        dwPasswordLength: 0,
        lpszUrlPath: core::ptr::null_mut(),
        dwUrlPathLength: 0,
        lpszExtraInfo: core::ptr::null_mut(),
        dwExtraInfoLength: 0,
    }
}

/// How one member of `URL_COMPONENTS` asks for its component.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Ask {
    No,
    /// NULL pointer and this non-zero length: point into the URL.
    Pointer(DWORD),
    /// A buffer of this many units (0: an error).
    Buffer(usize),
}

/// `WinHttpCrackUrl` against the URL core: the same components, the same errors, pointers inside
/// the caller's string, nothing written past a buffer, nothing written at all on errors other
/// than a too small buffer.
fn ffi_crack(url: &CString, flags: DWORD, asks: [Ask; 6], bad_size: bool) {
    let mut bufs: Vec<OutBuf> = Vec::new();
    let mut c = empty_components();
    if bad_size {
        c.dwStructSize += 4;
    }
    for (slot, ask) in uc_slots(&mut c).into_iter().zip(asks) {
        match ask {
            Ask::No => {}
            Ask::Pointer(n) => *slot.1 = n,
            Ask::Buffer(n) => {
                bufs.push(OutBuf::new(n));
                *slot.0 = bufs.last_mut().unwrap().ptr();
                *slot.1 = n as DWORD;
            }
        }
    }
    let before = c;
    // SAFETY: a valid string and structure, buffers as large as their lengths say.
    let ok = unsafe { ffi::url::WinHttpCrackUrl(url.units.as_ptr(), url.len, flags, &mut c) };
    for b in &bufs {
        b.check_guard();
    }
    let unchanged = |c: &URL_COMPONENTS| assert_eq!(uc_fields(c), uc_fields(&before), "written on an error");

    // What the API must answer, from the URL core.
    if bad_size || asks.contains(&Ask::Buffer(0)) {
        expect_result(ok, Err(ERROR_INVALID_PARAMETER), "CrackUrl arguments");
        return unchanged(&c);
    }
    let s = &url.text[..];
    let p = match url::split(s, flags) {
        Ok(p) => p,
        Err(e) => {
            expect_result(ok, Err(e), "CrackUrl split");
            return unchanged(&c);
        }
    };
    let fold = asks[5] == Ask::No;
    let ranges = [
        Some(p.scheme_text.clone()),
        p.user.clone(),
        p.password.clone(),
        Some(p.host.clone()),
        Some(if fold { p.path.start..p.extra.end } else { p.path.clone() }),
        Some(p.extra.clone()),
    ];
    let parts = [Part::Scheme, Part::User, Part::Password, Part::Host, Part::Path, Part::Extra];
    let mut values = Vec::new();
    for (r, part) in ranges.iter().zip(parts) {
        match r {
            Some(r) => match url::component_value(s, r.clone(), part, flags) {
                Ok(v) => values.push((Some(r.start), v.into_owned())),
                Err(e) => {
                    expect_result(ok, Err(e), "CrackUrl component");
                    return unchanged(&c);
                }
            },
            None => values.push((None, Vec::new())),
        }
    }
    if url::flags_transform(flags)
        && asks.iter().zip(&values).any(|(a, v)| matches!(a, Ask::Pointer(_)) && !v.1.is_empty())
    {
        expect_result(ok, Err(ERROR_INVALID_PARAMETER), "CrackUrl transform without buffer");
        return unchanged(&c);
    }
    let overflow = asks.iter().zip(&values).any(|(a, v)| matches!(a, Ask::Buffer(n) if v.1.len() >= *n));
    expect_result(ok, if overflow { Err(ERROR_INSUFFICIENT_BUFFER) } else { Ok(()) }, "CrackUrl");
    assert_eq!(c.nPort, p.port);
    assert_eq!(c.nScheme, if overflow { 0 } else { p.scheme });
    let base = url.units.as_ptr() as usize;
    for ((slot, ask), (at, want)) in uc_slots(&mut c).into_iter().zip(asks).zip(&values) {
        let (ptr, len) = (*slot.0 as usize, *slot.1 as usize);
        match ask {
            Ask::No => assert_eq!((ptr, len), (0, 0)),
            Ask::Pointer(_) => {
                match at {
                    None => assert_eq!(ptr, 0),
                    Some(at) => assert_eq!(ptr, base + at * size_of::<WCHAR>()),
                }
                assert_eq!(len, want.len());
                assert!(at.unwrap_or(0) + len <= s.len(), "pointer past the URL");
            }
            Ask::Buffer(n) if want.len() >= n => assert_eq!(len, want.len() + 1, "size needed"),
            Ask::Buffer(_) => {
                assert_eq!(len, want.len());
                if !overflow {
                    // SAFETY: our own buffer of more than `len` units.
                    let got = unsafe { core::slice::from_raw_parts(*slot.0, len + 1) };
                    assert_eq!(&got[..len], &want[..]);
                    assert_eq!(got[len], 0);
                }
            }
        }
    }
}

/// `WinHttpCreateUrl` against the URL core, with the size protocol: NULL buffer, a buffer one
/// unit too small, one large enough.
fn ffi_create(parts: &CreateParts<'_, WCHAR>, members: [Option<&CString>; 6], flags: DWORD) {
    let mut c = empty_components();
    c.nScheme = parts.n_scheme;
    c.nPort = parts.port;
    for (slot, m) in uc_slots(&mut c).into_iter().zip(members) {
        if let Some(m) = m {
            *slot.0 = m.units.as_ptr().cast_mut();
            *slot.1 = m.len;
        }
    }
    let want = url::create(parts, flags);
    let mut len: DWORD = 0;
    // SAFETY: valid members; a NULL buffer of size 0.
    let ok = unsafe { ffi::url::WinHttpCreateUrl(&mut c, flags, core::ptr::null_mut(), &mut len) };
    let want = match want {
        Ok(u) => u,
        Err(e) => {
            expect_result(ok, Err(e), "CreateUrl");
            return assert_eq!(len, 0, "length written on an error");
        }
    };
    expect_result(ok, Err(ERROR_INSUFFICIENT_BUFFER), "CreateUrl size query");
    assert_eq!(len as usize, want.len() + 1);
    for (cap, fits) in [(want.len(), false), (want.len() + 1, true), (want.len() + 3, true)] {
        let mut buf = OutBuf::new(cap);
        let mut len = cap as DWORD;
        // SAFETY: a buffer of `cap` units.
        let ok = unsafe { ffi::url::WinHttpCreateUrl(&mut c, flags, buf.ptr(), &mut len) };
        buf.check_guard();
        if fits {
            expect_result(ok, Ok(()), "CreateUrl");
            assert_eq!(len as usize, want.len());
            assert_eq!(&buf.0[..=want.len()], [&want[..], &[0]].concat());
        } else {
            expect_result(ok, Err(ERROR_INSUFFICIENT_BUFFER), "CreateUrl small buffer");
            assert_eq!(len as usize, want.len() + 1);
            assert!(buf.0.iter().all(|&u| u == CANARY), "a too small buffer was written");
        }
    }
    let mut len = want.len() as DWORD + 1;
    // SAFETY: NULL buffer with a size: the API refuses it.
    let ok = unsafe { ffi::url::WinHttpCreateUrl(&mut c, flags, core::ptr::null_mut(), &mut len) };
    expect_result(ok, Err(ERROR_INVALID_PARAMETER), "CreateUrl NULL buffer with a size");
}

/// `WinHttpTimeToSystemTime` and `WinHttpTimeFromSystemTime` against the date core.
fn ffi_time(text: &CString, st: SYSTEMTIME) {
    let sentinel =
        SYSTEMTIME { wYear: 7, wMonth: 7, wDayOfWeek: 7, wDay: 7, wHour: 7, wMinute: 7, wSecond: 7, wMilliseconds: 7 };
    let mut out = sentinel;
    // SAFETY: a NUL-terminated string (`text` is one) and a SYSTEMTIME.
    let ok = unsafe { ffi::time::WinHttpTimeToSystemTime(text.units.as_ptr(), &mut out) };
    match time::parse_http_date(&wide::decode(&text.text)) {
        Some(want) => {
            expect_result(ok, Ok(()), "TimeToSystemTime");
            assert_eq!(out, want);
        }
        None => {
            expect_result(ok, Err(ERROR_INVALID_PARAMETER), "TimeToSystemTime");
            assert_eq!(out, sentinel, "written on an error");
        }
    }
    let mut buf = OutBuf::new(WINHTTP_TIME_FORMAT_BUFSIZE as usize / size_of::<WCHAR>());
    // SAFETY: a buffer of WINHTTP_TIME_FORMAT_BUFSIZE bytes.
    let ok = unsafe { ffi::time::WinHttpTimeFromSystemTime(&st, buf.ptr()) };
    buf.check_guard();
    match time::format_rfc1123(&st) {
        Some(want) => {
            expect_result(ok, Ok(()), "TimeFromSystemTime");
            let units: Vec<WCHAR> = wide::encode(&want);
            assert_eq!(&buf.0[..=units.len()], [&units[..], &[0]].concat());
            let mut back = sentinel;
            // SAFETY: the NUL-terminated date just written.
            let ok = unsafe { ffi::time::WinHttpTimeToSystemTime(buf.0.as_ptr(), &mut back) };
            expect_result(ok, Ok(()), "TimeToSystemTime of a formatted date");
            let same = |a: &SYSTEMTIME| (a.wYear, a.wMonth, a.wDay, a.wHour, a.wMinute, a.wSecond);
            assert_eq!(same(&back), same(&st));
        }
        None => {
            expect_result(ok, Err(ERROR_INVALID_PARAMETER), "TimeFromSystemTime");
            assert!(buf.0.iter().all(|&u| u == CANARY), "written on an error");
        }
    }
}

/// One connect handle for the whole process (no I/O happens: requests are only opened).
fn connect_handle() -> HINTERNET {
    static CONNECT: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CONNECT.get_or_init(|| {
        let host: Vec<WCHAR> = wide::encode("localhost\0");
        // SAFETY: NULL strings are allowed; a NUL-terminated host.
        unsafe {
            let session = ffi::session::WinHttpOpen(core::ptr::null(), 1, core::ptr::null(), core::ptr::null(), 0);
            assert!(!session.is_null());
            let connect = ffi::session::WinHttpConnect(session, host.as_ptr(), 80, 0);
            assert!(!connect.is_null());
            connect as usize
        }
    }) as HINTERNET
}

/// `WinHttpAddRequestHeaders` on a fresh request against the header core, then the request's
/// headers read back with `WinHttpQueryHeaders(RAW_HEADERS_CRLF)`.
fn ffi_add_headers(calls: &[(CString, DWORD)]) {
    // SAFETY: a live connect handle; NULL verb, object, version, referrer and accept types.
    let request = unsafe {
        let null = core::ptr::null();
        ffi::request::WinHttpOpenRequest(connect_handle(), null, null, null, null, core::ptr::null_mut(), 0)
    };
    assert!(!request.is_null(), "OpenRequest: {}", last_error());
    let mut model = HeaderList::new();
    for (text, modifiers) in calls {
        // SAFETY: a live request; the string as long as its length says.
        let ok = unsafe { ffi::headers::WinHttpAddRequestHeaders(request, text.units.as_ptr(), text.len, *modifiers) };
        let want = if text.len == 0 {
            Err(ERROR_INVALID_PARAMETER)
        } else {
            let end = text.text.iter().position(|&u| u == 0).unwrap_or(text.text.len());
            model.add_text(&wide::decode(&text.text[..end]), *modifiers).map_err(|e| e.code())
        };
        expect_result(ok, want, "AddRequestHeaders");
    }
    let level = WINHTTP_QUERY_RAW_HEADERS_CRLF | WINHTTP_QUERY_FLAG_REQUEST_HEADERS;
    let mut bytes: DWORD = 0;
    // SAFETY: a NULL buffer of 0 bytes: the size query.
    let ok = unsafe {
        ffi::headers::WinHttpQueryHeaders(
            request,
            level,
            core::ptr::null(),
            core::ptr::null_mut(),
            &mut bytes,
            core::ptr::null_mut(),
        )
    };
    expect_result(ok, Err(ERROR_INSUFFICIENT_BUFFER), "QueryHeaders size");
    assert_eq!(bytes as usize % size_of::<WCHAR>(), 0);
    let mut buf = OutBuf::new(bytes as usize / size_of::<WCHAR>());
    // SAFETY: a buffer of `bytes` bytes.
    let ok = unsafe {
        ffi::headers::WinHttpQueryHeaders(
            request,
            level,
            core::ptr::null(),
            buf.ptr().cast(),
            &mut bytes,
            core::ptr::null_mut(),
        )
    };
    expect_result(ok, Ok(()), "QueryHeaders");
    buf.check_guard();
    let raw = wide::decode(&buf.0[..bytes as usize / size_of::<WCHAR>()]);
    let mut lines = String::new();
    model.write_lines(&mut lines);
    assert!(raw.ends_with(&format!("{lines}\r\n")), "{raw:?} does not end with {lines:?}");
    assert_eq!(ffi::session::WinHttpCloseHandle(request), 1);
}

/// Target `ffi`: the exported `WinHttpCrackUrl`, `WinHttpCreateUrl`, `WinHttpTimeToSystemTime`,
/// `WinHttpTimeFromSystemTime` and `WinHttpAddRequestHeaders` (with `WinHttpQueryHeaders`), with
/// wide strings given every way the API allows (NUL-terminated, exact length, `(DWORD)-1`, a
/// length shorter than the string) and arbitrary flags. Bytes 0-3: configuration (string modes,
/// flags, which members are asked for and how); bytes 4-19: a `SYSTEMTIME`; the rest: the text,
/// as UTF-8, or (byte 0 bit 7) as raw 4-byte `wchar_t` values. The text is also split at `|` into
/// the members of a `URL_COMPONENTS` for `WinHttpCreateUrl` and at `\n\n` into header texts.
/// Each answer must be what the protocol core says, with the buffer conventions of the API.
pub fn ffi(data: &[u8]) {
    let [c0, c1, c2, c3, rest @ ..] = data else { return };
    let (st_bytes, text) = rest.split_at(rest.len().min(16));
    let units: Vec<WCHAR> = if c0 & 0x80 != 0 {
        text.chunks_exact(4).map(|b| WCHAR::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()
    } else {
        wide::encode(&String::from_utf8_lossy(text))
    };
    let mut rng = Rng::new(u64::from_le_bytes([*c0, *c1, *c2, *c3, 0, 0, 0, 0]) ^ data.len() as u64);

    // CrackUrl: byte 0 bits 0-1 the URL length mode, bits 2-4 ICU_DECODE / ICU_ESCAPE /
    // ICU_REJECT_USERPWD, bit 5 a wrong structure size, bit 6 stray flag bits; bytes 1-2 how each
    // member asks (2 bits each).
    let url_str = c_string(&units, *c0);
    let mut flags = [ICU_DECODE, ICU_ESCAPE, ICU_REJECT_USERPWD]
        .iter()
        .enumerate()
        .filter(|(i, _)| c0 & (4 << i) != 0)
        .fold(0, |f, (_, &bit)| f | bit);
    if c0 & 0x40 != 0 {
        flags |= (rng.next() as DWORD) & !(ICU_DECODE | ICU_ESCAPE | ICU_REJECT_USERPWD);
    }
    let sel = u16::from_le_bytes([*c1, *c2]);
    let asks: [Ask; 6] = core::array::from_fn(|i| match (sel >> (2 * i)) & 3 {
        0 => Ask::No,
        1 => Ask::Pointer(if rng.below(2) == 0 { 1 } else { DWORD::MAX }),
        2 => Ask::Buffer(1 + rng.below(12)),
        _ => Ask::Buffer(if rng.below(8) == 0 { 0 } else { 256 }),
    });
    ffi_crack(&url_str, flags, asks, c0 & 0x20 != 0);

    // CreateUrl from members cut out of the text at '|': byte 3 bits 0-5 say which are present,
    // bit 6 ICU_ESCAPE, bit 7 ICU_INCLUDE_DEFAULT_PORT; byte 2 bits 4-7 the string modes.
    let pieces: Vec<&[WCHAR]> = units.splitn(6, |&u| u == '|' as WCHAR).collect();
    let members: Vec<Option<CString>> = (0..6)
        .map(|i| {
            let piece = pieces.get(i).copied().unwrap_or(&[]);
            (c3 & (1 << i) != 0).then(|| c_string(piece, if (c2 >> 4) & (1 << (i % 4)) != 0 { 1 } else { 0 }))
        })
        .collect();
    let text_of = |i: usize| members[i].as_ref().map(|m| &m.text[..]);
    let n_scheme = [0, INTERNET_SCHEME_HTTP, INTERNET_SCHEME_HTTPS, rng.next() as INTERNET_SCHEME][rng.below(4)];
    let port = [80, 443, 0, rng.next() as INTERNET_PORT][rng.below(4)];
    let parts = CreateParts {
        scheme: text_of(0),
        n_scheme,
        host: text_of(1),
        port,
        user: text_of(2),
        password: text_of(3),
        path: text_of(4),
        extra: text_of(5),
    };
    let create_flags =
        if c3 & 0x40 != 0 { ICU_ESCAPE } else { 0 } | if c3 & 0x80 != 0 { ICU_INCLUDE_DEFAULT_PORT } else { 0 };
    // The members in URL_COMPONENTS order: scheme, user, password, host, path, extra.
    let m = |i: usize| members[i].as_ref();
    ffi_create(&parts, [m(0), m(2), m(3), m(1), m(4), m(5)], create_flags);

    // Dates.
    let w = |i: usize| {
        u16::from_le_bytes([st_bytes.get(2 * i).copied().unwrap_or(0), st_bytes.get(2 * i + 1).copied().unwrap_or(0)])
    };
    let st = SYSTEMTIME {
        wYear: w(0) % 10100,
        wMonth: w(1) % 14,
        wDayOfWeek: w(2),
        wDay: w(3) % 33,
        wHour: w(4) % 25,
        wMinute: w(5) % 61,
        wSecond: w(6) % 61,
        wMilliseconds: w(7),
    };
    ffi_time(&c_string(&units, 0), st);

    // Request headers: the text split at a blank line into calls; byte 1 bits 4-7 and byte 3 pick
    // the string modes and modifiers.
    let newline = '\n' as WCHAR;
    let mut calls = Vec::new();
    let mut start = 0;
    for i in 0..=units.len() {
        if i == units.len() || (i + 1 < units.len() && units[i] == newline && units[i + 1] == newline) {
            let mode = (c1 >> 4).rotate_right(calls.len() as u32);
            let modifiers = modifiers(c3.rotate_left(calls.len() as u32) >> 3);
            let text = if mode & 4 != 0 && calls.is_empty() {
                CString { units: vec![0].into_boxed_slice(), len: 0, text: Vec::new() } // length 0: an error
            } else {
                c_string(&units[start..i], mode)
            };
            calls.push((text, modifiers));
            start = i;
            if calls.len() == 4 {
                break;
            }
        }
    }
    ffi_add_headers(&calls);
}

// ---------------------------------------------------------------------------------------------
// auth_challenge: WWW-Authenticate / Proxy-Authenticate parsing and the header-level schemes
// ---------------------------------------------------------------------------------------------

use winhttp::proto::auth::{self, Authenticator, Challenge, Credentials, Entropy, Mechanism, RequestInfo, Scheme};

/// Deterministic "random" bytes for the auth state machines.
struct FuzzEntropy(Rng);

impl Entropy for FuzzEntropy {
    fn fill(&mut self, buf: &mut [u8]) {
        for b in buf {
            *b = self.0.next() as u8;
        }
    }
}

/// A challenge written back in a canonical form: `scheme token68` or `scheme n="v", …`.
fn write_challenge(c: &Challenge) -> String {
    let mut out = c.scheme.clone();
    if let Some(t) = &c.token68 {
        out.push(' ');
        out.push_str(t);
    }
    for (i, (n, v)) in c.params.iter().enumerate() {
        out.push_str(if i == 0 { " " } else { ", " });
        let escaped: String =
            v.chars().flat_map(|ch| if ch == '"' || ch == '\\' { vec!['\\', ch] } else { vec![ch] }).collect();
        out.push_str(&format!("{n}=\"{escaped}\""));
    }
    out
}

fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// Byte 0: bit 0 splits the text at LF into several header values; bits 1..3 choose the status
/// (401, 407, 200); the rest is the header text. Properties: schemes and parameter names are
/// tokens, a token68 has only token68 characters; each header alone parses to its part of the
/// whole; written back canonically, the challenges parse to the same; `query_schemes` gives a
/// `first` that is one of `supported`, and exactly the recognised schemes; Basic and Digest
/// answer every challenge of their scheme without panicking, with a header value free of CR/LF.
pub fn auth_challenge(data: &[u8]) {
    let Some((&cfg, rest)) = data.split_first() else { return };
    let text = String::from_utf8_lossy(rest);
    let values: Vec<&str> = if cfg & 1 != 0 { text.split('\n').collect() } else { vec![&text] };
    let all = auth::challenge::parse_all(values.iter().copied());
    let mut one_by_one = Vec::new();
    for v in &values {
        one_by_one.extend(auth::challenge::parse(v));
    }
    assert_eq!(all, one_by_one);
    for c in &all {
        assert!(is_token(&c.scheme), "scheme {:?}", c.scheme);
        for (n, _) in &c.params {
            assert!(is_token(n), "param name {n:?}");
        }
        if let Some(t) = &c.token68 {
            assert!(c.params.is_empty());
            let body = t.trim_end_matches('=');
            assert!(!body.is_empty() && body.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b)));
        }
    }
    // Canonical round trip (values with CR/LF cannot be written in one header line; skip those).
    if !all.iter().any(|c| c.params.iter().any(|(_, v)| v.contains(['\r', '\n']))) {
        let written: Vec<String> = all.iter().map(write_challenge).collect();
        assert_eq!(auth::challenge::parse(&written.join(", ")), all, "written back: {written:?}");
    }
    let status = [401, 407, 200, 401][(cfg as usize >> 1) & 3];
    let known: Vec<Scheme> = all.iter().filter_map(|c| Scheme::from_name(&c.scheme)).collect();
    match auth::query_schemes(status, values.iter().copied(), values.iter().copied()) {
        None => assert!(status == 200 || known.is_empty()),
        Some(s) => {
            assert_ne!(status, 200);
            assert_eq!(s.first, known[0].bit());
            assert_eq!(s.supported, known.iter().fold(0, |a, k| a | k.bit()));
            assert_eq!(s.target, if status == 407 { WINHTTP_AUTH_TARGET_PROXY } else { WINHTTP_AUTH_TARGET_SERVER });
        }
    }
    let creds = Credentials { user: "user\"\\".into(), password: "pw".into() };
    let req = RequestInfo { method: "GET", uri: "/p?q=\"x\"" };
    let mut digest = auth::digest::Digest::new(creds.clone(), Box::new(FuzzEntropy(Rng::new(rest.len() as u64))));
    let mut basic = auth::basic::Basic::new(creds);
    for c in &all {
        let answer = match Scheme::from_name(&c.scheme) {
            Some(Scheme::Digest) => digest.respond(Some(c), &req),
            Some(Scheme::Basic) => basic.respond(Some(c), &req),
            _ => continue,
        };
        if let Ok(v) = answer {
            assert!(!v.contains(['\r', '\n']), "{v:?}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// ntlm: the server's NTLM CHALLENGE message and SPNEGO NegTokenResp
// ---------------------------------------------------------------------------------------------

/// Reads a (length, max length, offset) field of an NTLM message.
fn ntlm_field(m: &[u8], at: usize) -> &[u8] {
    let len = u16::from_le_bytes([m[at], m[at + 1]]) as usize;
    let off = u32::from_le_bytes(m[at + 4..at + 8].try_into().unwrap()) as usize;
    &m[off..off + len]
}

/// Byte 0 bit 0: the rest is a SPNEGO token (else a raw NTLM CHALLENGE message). A CHALLENGE
/// that parses is answered by the NTLM mechanism: the AUTHENTICATE message's fields all lie inside
/// it, its NT response echoes the server's target information, and a second challenge is a
/// refusal. A SPNEGO token goes through `NegTokenResp::parse` and then the SPNEGO mechanism;
/// re-encoding a parsed token parses to the same. Nothing panics.
pub fn ntlm(data: &[u8]) {
    use auth::ntlm::{ChallengeMessage, Ntlm};
    use auth::spnego::{NegTokenResp, SpnegoNtlm, neg_token_resp};
    let Some((&cfg, msg)) = data.split_first() else { return };
    let creds = Credentials { user: "DOM\\user".into(), password: "pässword".into() };
    let ntlm = Ntlm::new(creds, "WS", Box::new(FuzzEntropy(Rng::new(msg.len() as u64))), 0);
    if cfg & 1 != 0 {
        if let Some(r) = NegTokenResp::parse(msg) {
            let again = neg_token_resp(
                r.neg_state,
                r.supported_mech.as_deref(),
                r.response_token.as_deref(),
                r.mech_list_mic.as_deref(),
            );
            assert_eq!(NegTokenResp::parse(&again), Some(r));
        }
        let mut m = SpnegoNtlm::new(ntlm);
        m.start().unwrap();
        if let Ok(Some(out)) = m.step(msg) {
            let r = NegTokenResp::parse(&out).expect("our own NegTokenResp parses");
            assert!(r.response_token.is_some() && r.mech_list_mic.is_some());
            assert!(m.done());
        }
        return;
    }
    let parsed = ChallengeMessage::parse(msg);
    let mut m = ntlm;
    m.start().unwrap();
    match m.step(msg) {
        Ok(Some(auth)) => {
            let ch = parsed.expect("an answered challenge parses");
            for at in [12, 20, 28, 36, 44, 52] {
                let _ = ntlm_field(&auth, at);
            }
            let nt = ntlm_field(&auth, 20);
            assert!(nt.len() >= 16 + 28 + 4);
            let av_pairs = &nt[16 + 28..];
            // Every pair of the server's except MsvAvFlags comes back unchanged.
            let mut at = 0;
            while at + 4 <= ch.target_info.len() {
                let id = u16::from_le_bytes([ch.target_info[at], ch.target_info[at + 1]]);
                let len = u16::from_le_bytes([ch.target_info[at + 2], ch.target_info[at + 3]]) as usize;
                if id == 0 {
                    break;
                }
                if id != 6 {
                    let pair = &ch.target_info[at..at + 4 + len];
                    assert!(av_pairs.windows(pair.len()).any(|w| w == pair));
                }
                at += 4 + len;
            }
            assert!(m.done());
            assert!(m.step(msg).is_err());
        }
        Ok(None) => panic!("NTLM answered a challenge with nothing"),
        Err(_) => {}
    }
}

// ---------------------------------------------------------------------------------------------
// ws: the WebSocket frame reader, close payloads and the frame writer
// ---------------------------------------------------------------------------------------------

use winhttp::proto::ws::{self as wsp, BufferType, MessageKind};

/// What reading a stream of server frames gave: the messages (kind and bytes, joined from their
/// pieces), the pings and pongs counted, and how it ended (the close status, the error, or the
/// input running out).
#[derive(Debug, PartialEq)]
struct WsRun {
    messages: Vec<(MessageKind, Vec<u8>)>,
    controls: (u64, u64),
    end: Result<Option<wsp::CloseStatus>, wsp::ProtocolError>,
    /// Bytes of an unfinished message when the input ran out.
    partial: Vec<u8>,
}

/// Feeds `wire` to a [`wsp::Receiver`] in pieces of the sizes `piece` gives, with receive buffers of the
/// sizes `buf` gives (at most 64 KiB), checking each read's promises on the way.
fn ws_run(wire: &[u8], piece: &mut dyn FnMut() -> usize, buf: &mut dyn FnMut() -> usize) -> WsRun {
    let mut r = wsp::Receiver::new();
    let (mut avail, mut pos) = (Vec::new(), 0);
    let mut run = WsRun { messages: Vec::new(), controls: (0, 0), end: Ok(None), partial: Vec::new() };
    let mut space = vec![0; 1 << 16];
    loop {
        let size = buf().clamp(1, space.len());
        let out = &mut space[..size];
        let read = match r.read(&avail, out) {
            Ok(read) => read,
            Err(e) => {
                assert_eq!(r.read(&avail, out), Err(e), "an error is final");
                assert!(e.close_code() == 1002 || e.close_code() == 1007);
                run.end = Err(e);
                break;
            }
        };
        assert!(read.consumed <= avail.len() && read.written <= out.len());
        assert!(read.event.is_some() || read.consumed == avail.len(), "stopped early without a reason");
        avail.drain(..read.consumed);
        run.partial.extend_from_slice(&out[..read.written]);
        match read.event {
            Some(wsp::Event::Data(ty)) => {
                let kind = ty.kind().expect("a data type");
                if !ty.is_last() {
                    assert!(read.written > 0, "an empty FRAGMENT piece");
                } else {
                    let message = std::mem::take(&mut run.partial);
                    if kind == MessageKind::Text {
                        assert!(std::str::from_utf8(&message).is_ok(), "a text message that is not UTF-8");
                    }
                    run.messages.push((kind, message));
                }
            }
            Some(wsp::Event::Close(status)) => {
                assert_eq!(read.written, 0, "a close comes on a read of its own");
                assert!(status.reason.len() <= wsp::MAX_CLOSE_REASON);
                run.end = Ok(Some(status));
                break;
            }
            None if pos < wire.len() => {
                let n = piece().clamp(1, wire.len() - pos);
                avail.extend_from_slice(&wire[pos..pos + n]);
                pos += n;
            }
            None => break,
        }
    }
    run.controls = r.control_counts();
    run
}

/// An independent reading of a close payload: (status, reason) or `None` when it must be refused.
fn close_model(p: &[u8]) -> Option<(u16, Vec<u8>)> {
    match p.len() {
        0 => Some((1005, Vec::new())),
        1 => None,
        _ => {
            let code = u16::from(p[0]) << 8 | u16::from(p[1]);
            let ok_code =
                (1000..=1003).contains(&code) || (1007..=1014).contains(&code) || (3000..5000).contains(&code);
            (ok_code && std::str::from_utf8(&p[2..]).is_ok()).then(|| (code, p[2..].to_vec()))
        }
    }
}

/// Target `ws`. Byte 0: bits 0-1 the mode (0 and 1 the frame reader, 2 a close payload, 3 the
/// writer round trip), bits 2-3 the piece sizes of the wire, bits 4-5 the receive buffer sizes (1
/// byte, small, 128, 64 KiB), bits 6-7 seed the split points with byte 1.
///
/// Reader: the stream read in one piece into one large buffer and read in pieces into buffers of
/// other sizes gives the same messages, counts and end; each read keeps its promises (nothing
/// written past the buffer, FRAGMENT pieces not empty, a close alone, text messages UTF-8, an
/// error final). Close payload: the parser agrees with an independent model, as a frame too.
/// Writer: sends drawn from the input (type, length, payload) either fail as the model says (a
/// message cannot change type; CLOSE is no data type) or, read back by a server-side reader after
/// unmasking, give exactly the messages sent.
pub fn ws(data: &[u8]) {
    let [cfg, seed, rest @ ..] = data else { return };
    let mut rng = Rng::new(u64::from(*seed) << 8 | u64::from(cfg >> 6) | (rest.len() as u64) << 16);
    match cfg & 3 {
        0 | 1 => {
            let whole = ws_run(rest, &mut || usize::MAX, &mut || 1 << 16);
            let style = (cfg >> 2) & 3;
            let sizes = [1, 8, 128, 65536];
            let bufstyle = usize::from((cfg >> 4) & 3);
            let mut rng2 = Rng::new(rng.next());
            let pieces = ws_run(rest, &mut || rng.piece(style), &mut || 1 + rng2.below(sizes[bufstyle]));
            match (&whole.end, &pieces.end) {
                (Err(a), Err(b)) => assert_eq!(a, b, "different errors"),
                _ => assert_eq!(whole, pieces, "one piece and pieces differ"),
            }
        }
        2 => {
            let model = close_model(rest);
            let got = wsp::parse_close_payload(rest);
            assert_eq!(got.as_ref().ok().map(|s| (s.code, s.reason.clone())), model, "{got:?}");
            if rest.len() <= wsp::MAX_CONTROL_PAYLOAD {
                let mut wire = Vec::new();
                wsp::FrameHeader { fin: true, opcode: wsp::Opcode::Close, mask: None, len: rest.len() as u64 }
                    .write(&mut wire);
                wire.extend_from_slice(rest);
                let run = ws_run(&wire, &mut || 1, &mut || 4);
                assert_eq!(run.end.ok().flatten().map(|s| (s.code, s.reason)), model);
            }
        }
        _ => ws_round_trip(rest, &mut rng),
    }
}

/// Encodes sends drawn from `script` with a [`wsp::Sender`], turns the client frames into server
/// frames (unmasked) and reads them back.
fn ws_round_trip(mut script: &[u8], rng: &mut Rng) {
    let mut sender = wsp::Sender::new();
    let mut wire = Vec::new();
    let (mut open, mut current, mut sent) = (None::<MessageKind>, Vec::new(), Vec::new());
    while let [op, len, tail @ ..] = script {
        let n = usize::from(*len).min(tail.len());
        let (payload, next) = tail.split_at(n);
        script = next;
        let Some(ty) = BufferType::from_raw(i32::from(op % 6)) else { continue };
        let mask = (rng.next() as u32).to_le_bytes();
        let mut frame = Vec::new();
        let result = sender.write_data(ty, payload, mask, &mut frame);
        let want = match (ty.kind(), open) {
            (None, _) => Err(wsp::SendError::BadBufferType),
            (Some(k), Some(o)) if k != o => Err(wsp::SendError::TypeChange),
            _ => Ok(()),
        };
        assert_eq!(result, want, "{ty:?} with {open:?} open");
        if result.is_err() {
            assert!(frame.is_empty(), "a refused send wrote something");
            continue;
        }
        // A text payload that is not UTF-8 would (rightly) fail the reader: keep text valid.
        let kind = ty.kind().unwrap();
        if kind == MessageKind::Text && std::str::from_utf8(payload).is_err() {
            return;
        }
        current.extend_from_slice(payload);
        open = if ty.is_last() { None } else { Some(kind) };
        if ty.is_last() {
            sent.push((kind, std::mem::take(&mut current)));
        }
        wire.extend(unmask_client_frame(&frame));
        if op & 0x80 != 0 {
            // A ping between frames, as a server may send one.
            wire.extend_from_slice(&[0x89, 1, *len]);
        }
    }
    let mut rng2 = Rng::new(rng.next());
    let run = ws_run(&wire, &mut || 1 + rng.below(64), &mut || 1 + rng2.below(300));
    assert_eq!(run.end, Ok(None));
    assert_eq!(run.messages, sent);
    assert_eq!(run.partial, current, "the unfinished message");
}

/// The same frame as a server would send it: mask bit cleared, key removed, payload unmasked.
fn unmask_client_frame(frame: &[u8]) -> Vec<u8> {
    let (len, at) = match frame[1] & 0x7f {
        126 => (usize::from(u16::from_be_bytes([frame[2], frame[3]])), 4),
        127 => (u64::from_be_bytes(frame[2..10].try_into().unwrap()) as usize, 10),
        n => (usize::from(n), 2),
    };
    assert_eq!(frame[1] & 0x80, 0x80, "a client frame without a mask");
    assert_eq!(frame.len(), at + 4 + len, "frame length");
    let key: [u8; 4] = frame[at..at + 4].try_into().unwrap();
    let mut out = frame[..at].to_vec();
    out[1] &= 0x7f;
    let mut payload = frame[at + 4..].to_vec();
    wsp::apply_mask(key, 0, &mut payload);
    out.extend_from_slice(&payload);
    out
}

// ---------------------------------------------------------------------------------------------
// pac: the PAC helpers' inputs (not the JavaScript engine)
// ---------------------------------------------------------------------------------------------

use winhttp::proto::pac_helpers::{self as pac, Arg, Tm};

/// Byte 0 picks a time of day and date for the range helpers; the rest is split at `\n` into the
/// arguments every helper gets in turn. Properties: nothing panics; `shExpMatch(t, t)` and
/// `dnsDomainIs(h, h)` hold; an address is in its own /32 or /128; `sortIpAddressList` is
/// idempotent and keeps every address; a parsed `FindProxyForURL` answer gives a proxy list that
/// parses again into the same proxies; `HOST_LOWERCASE` gives a lower-case host.
pub fn pac(data: &[u8]) {
    let Some((&cfg, rest)) = data.split_first() else { return };
    let text = String::from_utf8_lossy(rest);
    let parts: Vec<&str> = text.split('\n').collect();
    let a = parts[0];
    let b = parts.get(1).copied().unwrap_or("");
    let c = parts.get(2).copied().unwrap_or("");

    assert!(pac::sh_exp_match(a, a), "{a:?}");
    let _ = pac::sh_exp_match(a, b);
    assert!(pac::dns_domain_is(a, a));
    let _ = (pac::dns_domain_is(a, b), pac::local_host_or_domain_is(a, b), pac::dns_domain_levels(a));
    let _ = pac::is_plain_host_name(a);
    if let Ok(ip) = a.parse::<std::net::Ipv4Addr>() {
        let _ = pac::is_in_net(ip, b, c);
        assert_eq!(pac::is_in_net(ip, a, "255.255.255.255"), Some(true));
    }
    if let Ok(ip) = a.trim().parse::<std::net::IpAddr>() {
        let bits = if ip.is_ipv4() { 32 } else { 128 };
        assert_eq!(pac::is_in_net_ex(a, &format!("{ip}/{bits}")), Some(true));
    }
    let _ = pac::is_in_net_ex(a, b);
    if let Some(sorted) = pac::sort_ip_address_list(a) {
        assert_eq!(pac::sort_ip_address_list(&sorted).as_deref(), Some(sorted.as_str()));
        assert_eq!(sorted.split(';').count(), a.split(';').count());
    }

    let now = Tm {
        year: 1970 + (cfg as i32) * 3,
        month: (cfg % 12) as u32,
        day: 1 + (cfg % 31) as u32,
        weekday: (cfg % 7) as u32,
        hour: (cfg % 24) as u32,
        minute: (cfg % 60) as u32,
        second: (cfg / 5 % 60) as u32,
    };
    let mut args: Vec<Arg> = parts
        .iter()
        .take(8)
        .map(|p| match p.trim().parse::<f64>() {
            Ok(n) => Arg::Num(n),
            Err(_) => Arg::Str(p.to_string()),
        })
        .collect();
    let _ = pac::take_gmt(&mut args);
    let _ = (pac::weekday_range(&now, &args), pac::date_range(&now, &args), pac::time_range(&now, &args));

    if let Some(entries) = pac::parse_pac_result(&text)
        && let Some(list) = pac::proxy_list(&entries)
    {
        let again: String = list.split(';').map(|p| format!("PROXY {}; ", p.trim_start_matches("https://"))).collect();
        let reparsed = pac::parse_pac_result(&again).expect("a proxy list parses again");
        assert_eq!(reparsed.len(), list.split(';').count(), "{list:?}");
    }
    if let Some((_, host)) = pac::script_url_and_host(&text, true) {
        assert_eq!(host, host.to_ascii_lowercase());
    }
    for w in pac::wpad_candidates(&parts.iter().map(|s| s.to_string()).collect::<Vec<_>>()) {
        assert!(w.starts_with("wpad.") && w.matches('.').count() >= 2, "{w:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// cookie: Set-Cookie parsing and the jar
// ---------------------------------------------------------------------------------------------

/// Target `cookie`: `proto::cookie`. Byte 0: bit 0 the response came over HTTPS, bit 1 the next
/// request goes over HTTPS, bit 2 an HTTP API (HttpOnly cookies included), bits 3-4 the size caps
/// (default, small, tiny, one per domain), bits 5-7 the clock steps. The rest is lines: the host,
/// the path, then `Set-Cookie` values (a line starting with '@' switches host: "@host path").
/// Properties: the caps hold after every store; every stored cookie is host-only for, or a domain
/// of, the host that set it, and never a public suffix other than that host; the `Cookie` value
/// splits back into exactly the cookies that match, none of them expired, Secure over HTTP, or
/// HttpOnly for a non-HTTP API; merging it into a caller's header keeps the caller's value first.
pub fn cookie(data: &[u8]) {
    use winhttp::proto::cookie::{self as ck, Jar, Limits, Url};
    let Some((&cfg, text)) = data.split_first() else { return };
    let text = String::from_utf8_lossy(text);
    let limits = [
        Limits::default(),
        Limits { max_cookie: 256, per_domain: 4, total: 8 },
        Limits { max_cookie: 16, per_domain: 2, total: 3 },
        Limits { max_cookie: 4096, per_domain: 1, total: 50 },
    ][usize::from((cfg >> 3) & 3)];
    let step = i64::from(cfg >> 5) * 37;
    let mut jar = Jar::with_limits(limits);
    let mut lines = text.split('\n');
    let mut host = lines.next().unwrap_or("").trim().to_string();
    let mut path = lines.next().unwrap_or("/").trim().to_string();
    let mut now: i64 = 1_700_000_000;
    for line in lines {
        if let Some(rest) = line.strip_prefix('@') {
            let mut parts = rest.splitn(2, ' ');
            host = parts.next().unwrap_or("").to_string();
            path = parts.next().unwrap_or("/").to_string();
            continue;
        }
        let _ = ck::parse_set_cookie(line);
        let url = Url { secure: cfg & 1 != 0, host: &host, path: &path };
        let stored = jar.store(line, url, now);
        assert!(jar.len() <= limits.total, "{} cookies past the cap {}", jar.len(), limits.total);
        let canonical = host.trim_end_matches('.').to_ascii_lowercase();
        for c in jar.iter() {
            let per = jar.iter().filter(|d| d.domain == c.domain).count();
            assert!(per <= limits.per_domain, "{per} cookies for {} past the cap", c.domain);
        }
        if let Ok(ck::Stored::Added | ck::Stored::Replaced) = stored {
            assert!(line.len() <= limits.max_cookie);
            let sc = ck::parse_set_cookie(line).expect("a stored cookie parses");
            // The cookie just stored: host-only for this host, or a domain of it (a host-only
            // cookie of a parent domain with the same name and value may be there too).
            let c = jar
                .iter()
                .find(|c| {
                    c.name == sc.name
                        && c.value == sc.value
                        && if c.host_only { c.domain == canonical } else { ck::domain_match(&canonical, &c.domain) }
                })
                .expect("the stored cookie is in the jar");
            assert!(c.host_only || !ck::is_public_suffix(&c.domain) || c.domain == canonical, "{} stored", c.domain);
        }
        now += step;
        // The next request.
        let url = Url { secure: cfg & 2 != 0, host: &host, path: &path };
        let http_api = cfg & 4 != 0;
        if let Some(value) = jar.header_value(url, now, http_api) {
            let matching: Vec<_> = jar
                .iter()
                .filter(|c| if c.host_only { c.domain == canonical } else { ck::domain_match(&canonical, &c.domain) })
                .filter(|c| ck::path_match(&path, &c.path))
                .filter(|c| c.expires.is_none_or(|e| e > now))
                .filter(|c| (!c.secure || url.secure) && (!c.http_only || http_api))
                .collect();
            assert_eq!(value.split("; ").count(), matching.len(), "{value:?}");
            assert!(!value.contains(['\r', '\n', '\0']), "{value:?}");
            let mut list = HeaderList::new();
            list.push("Cookie", "mine=1");
            ck::merge_cookie_header(&mut list, &value);
            let merged = list.get("Cookie").unwrap_or_default();
            assert!(merged.starts_with("mine=1; ") && merged.ends_with(value.as_str()), "{merged:?}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// coding: the content decoders
// ---------------------------------------------------------------------------------------------

/// Decodes `wire` with pieces and read sizes from `rng` (style bytes as in `Rng::piece`); returns
/// the output and how it ended.
fn coding_run(
    coding: winhttp::proto::coding::Coding,
    wire: &[u8],
    pieces: Option<u8>,
    reads: u8,
    rng: &mut Rng,
) -> (Vec<u8>, Result<(), winhttp::proto::coding::Error>) {
    use winhttp::proto::coding::Decoder;
    let mut d = Decoder::new(coding);
    let (mut out, mut pos, mut avail) = (Vec::new(), 0, 0);
    let (mut idle, mut calls) = (0, 0usize);
    loop {
        calls += 1;
        assert!(calls <= 4 * (wire.len() + out.len()) + 1000, "no progress: {calls} calls, {pos} of {}", wire.len());
        if avail == pos || rng.below(3) == 0 {
            avail = match pieces {
                None => wire.len(),
                Some(style) => (avail + rng.piece(style)).min(wire.len()),
            };
        }
        let want = rng.piece(reads);
        let mut buf = vec![0xa5; want];
        let (used, made) = match d.decode(&wire[pos..avail], &mut buf) {
            Ok(x) => x,
            Err(e) => return (out, Err(e)),
        };
        assert!(used <= avail - pos && made <= want, "used {used} of {}, made {made} of {want}", avail - pos);
        out.extend_from_slice(&buf[..made]);
        pos += used;
        if used == 0 && made == 0 {
            if avail == wire.len() {
                idle += 1;
                // Nothing more to take and nothing more to give: the body is over.
                if idle > 2 {
                    break;
                }
            }
        } else {
            idle = 0;
        }
        if d.is_done() && pos == wire.len() {
            break;
        }
    }
    (out, d.finish())
}

/// Target `coding`: `proto::coding::Decoder`. Byte 0: bits 0-1 the coding (gzip, deflate, br,
/// zstd), bits 2-3 the piece sizes, bits 4-5 the read sizes, bit 6 the gzip/deflate round trip
/// (the rest is the plain text, compressed here first). Byte 1 seeds the split points. The same
/// input decoded in one piece and in pieces gives the same output and the same end (unless the
/// bomb cap stops one of them, which depends on when it is checked; not for brotli, see below);
/// every call stays within its input and output; the round trip gives the text back.
pub fn coding(data: &[u8]) {
    use winhttp::proto::coding::{Coding, Error};
    let [cfg, seed, wire @ ..] = data else { return };
    let coding = [Coding::Gzip, Coding::Deflate, Coding::Brotli, Coding::Zstd][usize::from(cfg & 3)];
    let mut rng = Rng::new(u64::from(*seed));
    if cfg & 0x40 != 0 && matches!(coding, Coding::Gzip | Coding::Deflate) {
        use std::io::Write;
        let level = flate2::Compression::new(u32::from(*seed % 10));
        let packed = match (coding, seed & 1) {
            (Coding::Gzip, _) => {
                let mut e = flate2::write::GzEncoder::new(Vec::new(), level);
                e.write_all(wire).unwrap();
                e.finish().unwrap()
            }
            (_, 0) => {
                let mut e = flate2::write::ZlibEncoder::new(Vec::new(), level);
                e.write_all(wire).unwrap();
                e.finish().unwrap()
            }
            _ => {
                let mut e = flate2::write::DeflateEncoder::new(Vec::new(), level);
                e.write_all(wire).unwrap();
                e.finish().unwrap()
            }
        };
        let (out, end) = coding_run(coding, &packed, Some((cfg >> 2) & 3), (cfg >> 4) & 3, &mut rng);
        if end != Err(Error::Bomb) {
            assert_eq!(end, Ok(()));
            assert_eq!(out, wire, "round trip");
        }
        return;
    }
    let whole = coding_run(coding, wire, None, 3, &mut rng);
    let pieces = coding_run(coding, wire, Some((cfg >> 2) & 3), (cfg >> 4) & 3, &mut rng);
    if whole.1 == Err(Error::Bomb) || pieces.1 == Err(Error::Bomb) {
        return;
    }
    // brotli-decompressor judges some invalid streams by how they arrive: failed in pieces but
    // unfinished, or even complete, when whole (C brotli rejects them both ways; FUZZING.md). For
    // brotli only the bounds and progress above are checked.
    if coding == Coding::Brotli {
        return;
    }
    assert_eq!(whole.1, pieces.1, "one piece and pieces end differently");
    if whole.1.is_ok() {
        assert_eq!(whole.0, pieces.0, "one piece and pieces differ");
    } else {
        // Up to the error, the output of one is a prefix of the other's.
        let n = whole.0.len().min(pieces.0.len());
        assert_eq!(whole.0[..n], pieces.0[..n]);
    }
}

// ---------------------------------------------------------------------------------------------
// auth_client: which credentials and scheme answer a sequence of challenges, leg by leg
// ---------------------------------------------------------------------------------------------

/// Byte 0: bits 0..2 pick the credentials (0..4: `WinHttpSetCredentials` with Basic, Digest, NTLM
/// or Negotiate; 5..7: the username/password options); bit 3 sets new credentials before the
/// last leg. The rest, split at LF, is one `WWW-Authenticate` value per leg. Each leg is a 401
/// given to `AuthClient::challenge`, then the next leg's value is asked for. Properties: an
/// answer is promised exactly when a value follows; a value never holds CR/LF and starts with
/// the name of a scheme the leg offered (or was preemptive); once a challenge is refused nothing
/// is sent and nothing answered until new credentials; Basic is answered at most once per
/// credentials. Nothing panics.
pub fn auth_client(data: &[u8]) {
    use auth::client::AuthClient;
    let Some((&cfg, rest)) = data.split_first() else { return };
    let text = String::from_utf8_lossy(rest);
    let legs: Vec<&str> = text.split('\n').take(16).collect();
    let seed = rest.len() as u64;
    let make = move |scheme: Scheme, creds: Option<&Credentials>| -> Result<Box<dyn Authenticator>, auth::AuthError> {
        let creds = creds.cloned().ok_or(auth::AuthError::Unsupported("default".into()))?;
        let entropy = || Box::new(FuzzEntropy(Rng::new(seed)));
        Ok(match scheme {
            Scheme::Basic => Box::new(auth::basic::Basic::new(creds)),
            Scheme::Digest => Box::new(auth::digest::Digest::new(creds, entropy())),
            Scheme::Ntlm => {
                Box::new(auth::TokenAuth::new(scheme, Box::new(auth::ntlm::Ntlm::new(creds, "", entropy(), 0))))
            }
            Scheme::Negotiate => {
                let ntlm = auth::ntlm::Ntlm::new(creds, "", entropy(), 0);
                Box::new(auth::TokenAuth::new(scheme, Box::new(auth::spnego::SpnegoNtlm::new(ntlm))))
            }
            Scheme::Passport => return Err(auth::AuthError::Unsupported("passport".into())),
        })
    };
    let creds = Credentials { user: "DOM\\user".into(), password: "pw".into() };
    let set = |c: &mut AuthClient| match cfg & 7 {
        0 | 1 => c.set_credentials(Scheme::Basic, Some(creds.clone())),
        2 => c.set_credentials(Scheme::Digest, Some(creds.clone())),
        3 => c.set_credentials(Scheme::Ntlm, Some(creds.clone())),
        4 => c.set_credentials(Scheme::Negotiate, Some(creds.clone())),
        _ => c.set_options(&creds.user, &creds.password),
    };
    let req = RequestInfo { method: "POST", uri: "/x?y" };
    let mut client = AuthClient::default();
    set(&mut client);
    let check = |v: &str, offered: &[Challenge]| {
        assert!(!v.contains(['\r', '\n']), "{v:?}");
        let name = v.split(' ').next().unwrap_or("");
        assert!(
            Scheme::from_name(name).is_some() && (offered.is_empty() || offered.iter().any(|c| c.is(name))),
            "{v:?} for {offered:?}"
        );
    };
    if let Some(v) = client.next_value(&req, &make) {
        check(&v, &[]);
    }
    let mut refused = false;
    let mut basic_answers = 0;
    for (i, leg) in legs.iter().enumerate() {
        if cfg & 8 != 0 && i + 1 == legs.len() {
            set(&mut client);
            refused = false;
            basic_answers = 0;
        }
        let offered = auth::challenge::parse(leg);
        let promised = client.challenge(&offered, &req, &make);
        let value = client.next_value(&req, &make);
        assert_eq!(promised, value.is_some(), "leg {i}: {leg:?}");
        if refused {
            assert!(!promised, "answered after a refusal");
        }
        match value {
            Some(v) => {
                check(&v, &offered);
                if v.starts_with("Basic ") {
                    basic_answers += 1;
                    assert!(basic_answers <= 1, "Basic answered twice");
                }
            }
            None => refused = true,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// ffi16: the UTF-16 twins against the wchar_t exports
// ---------------------------------------------------------------------------------------------

use winhttp::ffi::utf16 as u16ffi;

/// `URL_COMPONENTS` with every member asked for into a buffer of `cap` units of `C`.
struct Cracked<C> {
    ok: BOOL,
    error: DWORD,
    scheme: INTERNET_SCHEME,
    port: INTERNET_PORT,
    /// Each member's length as reported, and its text when the call succeeded.
    members: Vec<(DWORD, Option<String>)>,
    _unit: core::marker::PhantomData<C>,
}

fn crack_with<C: CodeUnit + Default>(
    url: &[C],
    flags: DWORD,
    cap: usize,
    crack: unsafe extern "C" fn(*const C, DWORD, DWORD, LPURL_COMPONENTS) -> BOOL,
) -> Cracked<C> {
    let mut bufs: Vec<Vec<C>> = (0..6).map(|_| vec![C::default(); cap.max(1)]).collect();
    // SAFETY: all-zero is a valid URL_COMPONENTS (NULL pointers, zero lengths).
    let mut uc: URL_COMPONENTS = unsafe { core::mem::zeroed() };
    uc.dwStructSize = size_of::<URL_COMPONENTS>() as DWORD;
    let slots: [(&mut LPWSTR, &mut DWORD); 6] = [
        (&mut uc.lpszScheme, &mut uc.dwSchemeLength),
        (&mut uc.lpszHostName, &mut uc.dwHostNameLength),
        (&mut uc.lpszUserName, &mut uc.dwUserNameLength),
        (&mut uc.lpszPassword, &mut uc.dwPasswordLength),
        (&mut uc.lpszUrlPath, &mut uc.dwUrlPathLength),
        (&mut uc.lpszExtraInfo, &mut uc.dwExtraInfoLength),
    ];
    for ((p, n), b) in slots.into_iter().zip(bufs.iter_mut()) {
        *p = b.as_mut_ptr().cast();
        *n = cap as DWORD;
    }
    let mut z: Vec<C> = url.to_vec();
    z.push(C::from_u32(0));
    // SAFETY: a NUL-terminated URL and a structure whose buffers hold `cap` units each.
    let ok = unsafe { crack(z.as_ptr(), 0, flags, &mut uc) };
    let error = ffi::error::GetLastError();
    let lens = [
        uc.dwSchemeLength,
        uc.dwHostNameLength,
        uc.dwUserNameLength,
        uc.dwPasswordLength,
        uc.dwUrlPathLength,
        uc.dwExtraInfoLength,
    ];
    let members = lens
        .iter()
        .zip(&bufs)
        .map(|(&n, b)| (n, (ok != 0).then(|| wide::decode(&b[..(n as usize).min(b.len())]))))
        .collect();
    Cracked { ok, error, scheme: uc.nScheme, port: uc.nPort, members, _unit: core::marker::PhantomData }
}

/// Target `ffi16`: the UTF-16 twins (`WinHttpCrackUrl_u16`, `WinHttpTimeToSystemTime_u16`,
/// `WinHttpOpen_u16` with `WinHttpQueryOption(_u16)`) against the `wchar_t` exports, which share
/// their bodies. Byte 0: bits 0-2 `ICU_DECODE`/`ICU_ESCAPE`/`ICU_REJECT_USERPWD`, bit 7 the text as
/// raw little-endian UTF-16 units (lone surrogates allowed) instead of UTF-8; byte 1: the buffer
/// size in units. Properties: for valid UTF-16 both widths give the same result, last error, scheme,
/// port and texts, each length counted in that width's units (a character outside the BMP is two
/// UTF-16 units, one `wchar_t`); a date parses the same in both; a user agent set in UTF-16 reads
/// back the same through either width, its byte size twice its UTF-16 length.
pub fn ffi16(data: &[u8]) {
    let [c0, c1, rest @ ..] = data else { return };
    let units: Vec<u16> = if c0 & 0x80 != 0 {
        rest.chunks_exact(2).map(|b| u16::from_le_bytes([b[0], b[1]])).collect()
    } else {
        wide::encode(&String::from_utf8_lossy(rest))
    };
    let units = &units[..units.iter().position(|&u| u == 0).unwrap_or(units.len())];
    let text = wide::decode(units);
    let valid = wide::encode::<u16>(&text) == units;
    let w32: Vec<WCHAR> = wide::encode(&text);
    let flags = [ICU_DECODE, ICU_ESCAPE, ICU_REJECT_USERPWD]
        .iter()
        .enumerate()
        .filter(|(i, _)| c0 & (1 << i) != 0)
        .fold(0, |f, (_, &bit)| f | bit);
    let cap = usize::from(*c1);

    let a = crack_with::<u16>(units, flags, cap, u16ffi::WinHttpCrackUrl_u16);
    assert_ne!(a.error, ERROR_WINHTTP_INTERNAL_ERROR, "a panic in WinHttpCrackUrl_u16");
    if valid {
        let b = crack_with::<WCHAR>(&w32, flags, cap, ffi::url::WinHttpCrackUrl);
        if a.error == ERROR_INSUFFICIENT_BUFFER && b.error != ERROR_INSUFFICIENT_BUFFER {
            // Buffer sizes count units: a member can fit `cap` wchar_t and not `cap` UTF-16 units
            // (a character outside the BMP is two). Only then may the widths disagree.
            assert_eq!(b.ok, 1, "UTF-16 out of room where wchar_t failed otherwise: {text:?}");
            let long = b.members.iter().filter_map(|(_, t)| t.as_ref()).any(|t| wide::encoded_len::<u16>(t) >= cap);
            assert!(long, "UTF-16 out of room though every member fits: {text:?}");
            return;
        }
        assert_eq!((a.ok, a.error), (b.ok, b.error), "result of {text:?}");
        if a.ok != 0 {
            assert_eq!((a.scheme, a.port), (b.scheme, b.port));
        }
        for (i, ((n16, t16), (n32, t32))) in a.members.iter().zip(&b.members).enumerate() {
            assert_eq!(t16, t32, "member {i} of {text:?}");
            match t16 {
                Some(t) => {
                    assert_eq!(*n16 as usize, wide::encoded_len::<u16>(t), "UTF-16 length of member {i}");
                    assert_eq!(*n32 as usize, t.chars().count(), "wchar_t length of member {i}");
                }
                // Too small a buffer: the size needed, terminator included, in each width's units.
                None if a.error == ERROR_INSUFFICIENT_BUFFER && *n32 as usize > cap => {
                    assert!(n16 >= n32, "member {i}: {n16} UTF-16 units needed, {n32} wchar_t");
                }
                None => {}
            }
        }
    }

    // Dates: the same SYSTEMTIME (or the same refusal) from either width.
    let mut z16 = units.to_vec();
    z16.push(0);
    let mut z32 = w32.clone();
    z32.push(0);
    let (mut s16, mut s32) = (SYSTEMTIME::default(), SYSTEMTIME::default());
    // SAFETY: NUL-terminated strings and writable structures.
    let (r16, r32) = unsafe {
        (
            u16ffi::WinHttpTimeToSystemTime_u16(z16.as_ptr(), &mut s16),
            ffi::time::WinHttpTimeToSystemTime(z32.as_ptr(), &mut s32),
        )
    };
    if valid {
        assert_eq!((r16, s16), (r32, s32), "date {text:?}");
    }

    // A user agent set through the twin, read through both widths.
    let null = core::ptr::null();
    // SAFETY: a NUL-terminated agent, NULL proxy strings.
    let session = unsafe { u16ffi::WinHttpOpen_u16(z16.as_ptr(), WINHTTP_ACCESS_TYPE_NO_PROXY, null, null, 0) };
    assert!(!session.is_null());
    let mut buf16 = vec![0u16; units.len() + 1];
    let mut size16 = (buf16.len() * 2) as DWORD;
    let mut buf32: Vec<WCHAR> = vec![0; units.len() + 1];
    let mut size32 = (buf32.len() * size_of::<WCHAR>()) as DWORD;
    // SAFETY: buffers of the sizes given.
    unsafe {
        assert_eq!(
            u16ffi::WinHttpQueryOption_u16(session, WINHTTP_OPTION_USER_AGENT, buf16.as_mut_ptr().cast(), &mut size16),
            1
        );
        assert_eq!(
            ffi::options::WinHttpQueryOption(
                session,
                WINHTTP_OPTION_USER_AGENT,
                buf32.as_mut_ptr().cast(),
                &mut size32
            ),
            1
        );
        ffi::session::WinHttpCloseHandle(session);
    }
    let got16 = &buf16[..size16 as usize / 2];
    let got32 = &buf32[..size32 as usize / size_of::<WCHAR>()];
    if valid {
        assert_eq!(got16, units, "user agent {text:?} in UTF-16");
    }
    assert_eq!(wide::decode(got32), text, "user agent {text:?} as wchar_t");
}

/// `h2_headers`: `proto::h2::request_head`, the mapping of a serialized HTTP/1.1 request head to
/// HTTP/2's pseudo-headers and field list. Byte 0 bit 0: the rest is raw head text (0), or (1)
/// lines `name:value` that are first written as a head by `h1::write_request_head` (so every
/// field survives the writer, and only the mapping's own rules drop any).
///
/// Properties: a mapped head has a method without spaces, a path and an authority; field names are
/// lower case, never `host`, a connection-specific field, a field the `Connection` header names,
/// or `te` other than `trailers`; no CR, LF or NUL anywhere; the fields are exactly the input's
/// fields those rules keep, in order, values trimmed. From a written head the mapping succeeds
/// whenever a `Host` field with a value was given. `connection_auth` is true exactly when one of
/// the input's fields is `Authorization` with the scheme NTLM or Negotiate.
pub fn h2_headers(data: &[u8]) {
    use winhttp::proto::h2::{self, MapError};
    let Some((&config, rest)) = data.split_first() else { return };
    let (head, given): (Vec<u8>, Option<Vec<(String, String)>>) = if config & 1 == 0 {
        (rest.to_vec(), None)
    } else {
        let text = String::from_utf8_lossy(rest);
        let pairs: Vec<(String, String)> = text
            .split('\n')
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.to_string(), v.trim_matches([' ', '\t']).to_string()))
            .collect();
        let mut out = Vec::new();
        if h1::write_request_head(&mut out, "POST", "/p?q", h1::Version::Http11, &pairs).is_err() {
            return;
        }
        (out, Some(pairs))
    };
    let mapped = match h2::request_head(&head) {
        Ok(m) => m,
        Err(e) => {
            if let Some(pairs) = &given {
                let has_host = pairs.iter().any(|(n, v)| n.eq_ignore_ascii_case("host") && !v.is_empty());
                // A value may hold nothing but spaces, trimmed away: then there is no authority.
                assert!(!has_host || e != MapError::Malformed, "a written head did not map: {e:?}");
            }
            return;
        }
    };
    assert!(!mapped.method.is_empty() && !mapped.method.contains(' '));
    assert!(!mapped.path.is_empty() && !mapped.authority.is_empty());
    let clean = |s: &str| !s.contains(['\r', '\n', '\0']);
    assert!(clean(&mapped.method) && clean(&mapped.path) && clean(&mapped.authority));
    // The input's fields, as the mapping should see them.
    let text = std::str::from_utf8(&head).expect("a mapped head is UTF-8");
    let mut input: Vec<(String, String)> = Vec::new();
    for l in text.split("\r\n").skip(1) {
        if l.is_empty() {
            break;
        }
        let (n, v) = l.split_once(':').expect("a mapped head's lines have colons");
        input.push((n.to_ascii_lowercase(), v.trim_matches([' ', '\t']).to_string()));
    }
    // `connection_auth`: an `Authorization` field whose scheme is NTLM or Negotiate, whatever else.
    let connection_based = input.iter().any(|(n, v)| {
        let scheme = v.split([' ', '\t']).next().unwrap_or_default();
        n == "authorization" && (scheme.eq_ignore_ascii_case("ntlm") || scheme.eq_ignore_ascii_case("negotiate"))
    });
    assert_eq!(h2::connection_auth(&head), connection_based);
    let named: Vec<String> = input
        .iter()
        .filter(|(n, _)| n == "connection")
        .flat_map(|(_, v)| v.split(',').map(|t| t.trim().to_ascii_lowercase()))
        .collect();
    let kept: Vec<(String, String)> = input
        .into_iter()
        .filter(|(n, v)| {
            n != "host"
                && !h2::connection_specific(n)
                && !named.contains(n)
                && (n != "te" || v.eq_ignore_ascii_case("trailers"))
        })
        .collect();
    assert_eq!(mapped.fields, kept);
    for (n, v) in &mapped.fields {
        assert!(!n.is_empty() && *n == n.to_ascii_lowercase() && clean(n) && clean(v));
        assert!(n != "host" && !h2::connection_specific(n));
    }
}
