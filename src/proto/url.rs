//! URLs the way WinHTTP sees them: splitting (`WinHttpCrackUrl`), building (`WinHttpCreateUrl`) and
//! the escaping of a request path at send time.
//!
//! Everything works on slices of code units of any width ([`CodeUnit`]) and reports components as
//! ranges of unit offsets into the input, so the FFI can hand out pointers into the caller's own
//! string. Errors are the Win32 / WinHTTP codes the API reports.
//!
//! The grammar WinHTTP accepts is looser than RFC 3986, and that looseness is part of the contract:
//! - the scheme is everything before the first `:`, and only `http` and `https` (any case) exist;
//! - `//` must follow, and the authority runs up to the first `/` (a `?` does not end it);
//! - the userinfo ends at the first `@` of the authority and splits at its first `:`;
//! - the path runs from that `/` to the first `?` or `#`, which starts the extra info;
//! - an empty port (`host:`) means the scheme's default port.

use super::wide::{self, CodeUnit};
use crate::abi::{
    DWORD, ERROR_INVALID_PARAMETER, ERROR_WINHTTP_INVALID_URL, ERROR_WINHTTP_UNRECOGNIZED_SCHEME, ICU_DECODE,
    ICU_ESCAPE, ICU_INCLUDE_DEFAULT_PORT, ICU_REJECT_USERPWD, INTERNET_DEFAULT_HTTP_PORT, INTERNET_DEFAULT_HTTPS_PORT,
    INTERNET_PORT, INTERNET_SCHEME, INTERNET_SCHEME_HTTP, INTERNET_SCHEME_HTTPS, WINHTTP_FLAG_ESCAPE_DISABLE,
    WINHTTP_FLAG_ESCAPE_DISABLE_QUERY, WINHTTP_FLAG_ESCAPE_PERCENT,
};
use core::ops::Range;
use std::borrow::Cow;

/// True when the crack flags transform components (`ICU_DECODE` or `ICU_ESCAPE`), so they can only
/// be returned in caller buffers, never as pointers into the input.
pub fn flags_transform(flags: DWORD) -> bool {
    flags & (ICU_DECODE | ICU_ESCAPE) != 0
}

/// The default port of a scheme number (0 for one we do not know).
pub fn default_port(scheme: INTERNET_SCHEME) -> INTERNET_PORT {
    match scheme {
        INTERNET_SCHEME_HTTP => INTERNET_DEFAULT_HTTP_PORT,
        INTERNET_SCHEME_HTTPS => INTERNET_DEFAULT_HTTPS_PORT,
        _ => 0,
    }
}

/// A URL split into components, each a range of unit offsets into the cracked string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UrlParts {
    /// `INTERNET_SCHEME_HTTP` or `INTERNET_SCHEME_HTTPS`.
    pub scheme: INTERNET_SCHEME,
    /// The scheme as written (without the `:`).
    pub scheme_text: Range<usize>,
    /// The user name, when the URL has a userinfo part.
    pub user: Option<Range<usize>>,
    /// The password, when the userinfo part has a `:`.
    pub password: Option<Range<usize>>,
    /// The host as written; an IPv6 literal keeps its brackets.
    pub host: Range<usize>,
    /// The explicit port, or the scheme's default one.
    pub port: INTERNET_PORT,
    /// From the first `/` after the authority up to the extra info (empty, at the end, when absent).
    pub path: Range<usize>,
    /// From the first `?` or `#` of the path to the end (empty, at the end, when absent).
    pub extra: Range<usize>,
}

fn is<C: CodeUnit>(c: C, b: u8) -> bool {
    c.to_u32() == b as u32
}

fn find<C: CodeUnit>(s: &[C], range: Range<usize>, b: u8) -> Option<usize> {
    s[range.clone()].iter().position(|&c| is(c, b)).map(|i| range.start + i)
}

fn eq_ignore_case<C: CodeUnit>(s: &[C], lit: &str) -> bool {
    s.len() == lit.len()
        && s.iter().zip(lit.bytes()).all(|(&c, b)| c.ascii().is_some_and(|a| a.eq_ignore_ascii_case(&b)))
}

/// Parses a port: decimal digits only, at most 65535. Empty means "the default".
fn parse_port<C: CodeUnit>(digits: &[C]) -> Result<Option<INTERNET_PORT>, DWORD> {
    if digits.is_empty() {
        return Ok(None);
    }
    let mut port: u32 = 0;
    for &c in digits {
        let d = match c.ascii() {
            Some(b @ b'0'..=b'9') => (b - b'0') as u32,
            _ => return Err(ERROR_WINHTTP_INVALID_URL),
        };
        port = port * 10 + d;
        if port > 65535 {
            return Err(ERROR_WINHTTP_INVALID_URL);
        }
    }
    Ok(Some(port as INTERNET_PORT))
}

/// Splits a URL into its components (the parsing half of `WinHttpCrackUrl`).
///
/// Of the flags only `ICU_REJECT_USERPWD` matters here; decoding and escaping are applied per
/// component by [`component_value`].
pub fn split<C: CodeUnit>(url: &[C], flags: DWORD) -> Result<UrlParts, DWORD> {
    let len = url.len();
    let colon = find(url, 0..len, b':').ok_or(ERROR_WINHTTP_UNRECOGNIZED_SCHEME)?;
    let scheme = if eq_ignore_case(&url[..colon], "http") {
        INTERNET_SCHEME_HTTP
    } else if eq_ignore_case(&url[..colon], "https") {
        INTERNET_SCHEME_HTTPS
    } else {
        return Err(ERROR_WINHTTP_UNRECOGNIZED_SCHEME);
    };
    let mut p = colon + 1;
    if len < p + 2 || !is(url[p], b'/') || !is(url[p + 1], b'/') {
        return Err(ERROR_WINHTTP_INVALID_URL);
    }
    p += 2;
    if p == len {
        return Err(ERROR_WINHTTP_INVALID_URL);
    }

    // The authority runs up to the first '/'.
    let slash = find(url, p..len, b'/');
    let auth_end = slash.unwrap_or(len);
    let (mut user, mut password) = (None, None);
    if let Some(at) = find(url, p..auth_end, b'@') {
        if flags & ICU_REJECT_USERPWD != 0 {
            return Err(ERROR_WINHTTP_INVALID_URL);
        }
        match find(url, p..at, b':') {
            Some(c) => {
                user = Some(p..c);
                password = Some(c + 1..at);
            }
            None => user = Some(p..at),
        }
        p = at + 1;
    }

    // Host and port; an IPv6 literal is bracketed and its colons are not a port separator.
    let (host, port_digits) = if p < auth_end && is(url[p], b'[') {
        let close = find(url, p..auth_end, b']').ok_or(ERROR_WINHTTP_INVALID_URL)?;
        let after = close + 1;
        if after == auth_end {
            (p..after, None)
        } else if is(url[after], b':') {
            (p..after, Some(after + 1..auth_end))
        } else {
            return Err(ERROR_WINHTTP_INVALID_URL);
        }
    } else {
        match find(url, p..auth_end, b':') {
            Some(c) => (p..c, Some(c + 1..auth_end)),
            None => (p..auth_end, None),
        }
    };
    if host.is_empty() {
        return Err(ERROR_WINHTTP_INVALID_URL);
    }
    let port = match port_digits {
        Some(r) => parse_port(&url[r])?,
        None => None,
    }
    .unwrap_or_else(|| default_port(scheme));

    let (path, extra) = match slash {
        Some(s) => {
            let x = url[s..].iter().position(|&c| is(c, b'?') || is(c, b'#')).map_or(len, |i| s + i);
            (s..x, x..len)
        }
        None => (len..len, len..len),
    };
    Ok(UrlParts { scheme, scheme_text: 0..colon, user, password, host, port, path, extra })
}

/// Which component a value belongs to: decides how `ICU_DECODE` / `ICU_ESCAPE` treat it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    Scheme,
    User,
    Password,
    Host,
    /// The path, possibly with the extra info folded in.
    Path,
    Extra,
}

/// The value of a component as `WinHttpCrackUrl` returns it under `flags`: borrowed when no
/// transformation applies, otherwise `%XX` decoded (`ICU_DECODE`: every part but the scheme) or
/// escaped (`ICU_ESCAPE`: path and extra info, which takes precedence over decoding).
pub fn component_value<'a, C: CodeUnit>(
    url: &'a [C],
    range: Range<usize>,
    part: Part,
    flags: DWORD,
) -> Result<Cow<'a, [C]>, DWORD> {
    let s = &url[range];
    if flags & ICU_ESCAPE != 0 {
        if matches!(part, Part::Path | Part::Extra) {
            let mut out = Vec::with_capacity(s.len());
            escape_into(s, &mut out, create_needs_escape)?;
            return Ok(Cow::Owned(out));
        }
        return Ok(Cow::Borrowed(s));
    }
    if flags & ICU_DECODE != 0 && part != Part::Scheme && s.iter().any(|&c| is(c, b'%')) {
        return Ok(Cow::Owned(percent_decode(s)));
    }
    Ok(Cow::Borrowed(s))
}

fn hex_value(c: u32) -> Option<u32> {
    char::from_u32(c)?.to_digit(16)
}

/// Decodes `%XX` sequences into single units of value 0xXX (no UTF-8 decoding, as documented);
/// a `%` not followed by two hex digits stays as it is.
pub fn percent_decode<C: CodeUnit>(s: &[C]) -> Vec<C> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if is(s[i], b'%') && i + 2 < s.len() {
            if let (Some(h), Some(l)) = (hex_value(s[i + 1].to_u32()), hex_value(s[i + 2].to_u32())) {
                out.push(C::from_u32(h * 16 + l));
                i += 3;
                continue;
            }
        }
        out.push(s[i]);
        i += 1;
    }
    out
}

/// The characters `ICU_ESCAPE` escapes in `WinHttpCreateUrl` (and in a cracked path): controls,
/// space, DEL and `"#%<>[\]^`{|}~`. Non-ASCII is handled separately (UTF-8 escapes).
fn create_needs_escape(b: u8) -> bool {
    b <= 0x20 || b == 0x7f || b"\"#%<>[\\]^`{|}~".contains(&b)
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

fn push_escaped_byte<C: CodeUnit>(out: &mut Vec<C>, b: u8) {
    out.push(C::from_u32(b'%' as u32));
    out.push(C::from_u32(HEX[(b >> 4) as usize] as u32));
    out.push(C::from_u32(HEX[(b & 15) as usize] as u32));
}

/// Appends `s` to `out`, escaping the ASCII characters `needs` selects as `%XX` and every
/// non-ASCII character as the `%XX` escapes of its UTF-8 bytes (WinHTTP with a UTF-8 code page).
/// A unit that is not a Unicode scalar (a lone surrogate) fails with `ERROR_INVALID_PARAMETER`.
fn escape_into<C: CodeUnit>(s: &[C], out: &mut Vec<C>, needs: fn(u8) -> bool) -> Result<(), DWORD> {
    let mut i = 0;
    while i < s.len() {
        let u = s[i].to_u32();
        if u < 0x80 {
            if needs(u as u8) {
                push_escaped_byte(out, u as u8);
            } else {
                out.push(s[i]);
            }
            i += 1;
            continue;
        }
        let (ch, used) = if C::UTF16 {
            let mut it = char::decode_utf16(s[i..].iter().take(2).map(|c| c.to_u32() as u16));
            match it.next() {
                Some(Ok(ch)) => (ch, ch.len_utf16()),
                _ => return Err(ERROR_INVALID_PARAMETER),
            }
        } else {
            (char::from_u32(u).ok_or(ERROR_INVALID_PARAMETER)?, 1)
        };
        let mut buf = [0u8; 4];
        for &b in ch.encode_utf8(&mut buf).as_bytes() {
            push_escaped_byte(out, b);
        }
        i += used;
    }
    Ok(())
}

/// The components `WinHttpCreateUrl` assembles. `None` is a NULL pointer in `URL_COMPONENTS`.
#[derive(Clone, Debug, Default)]
pub struct CreateParts<'a, C> {
    pub scheme: Option<&'a [C]>,
    pub n_scheme: INTERNET_SCHEME,
    pub host: Option<&'a [C]>,
    pub port: INTERNET_PORT,
    pub user: Option<&'a [C]>,
    pub password: Option<&'a [C]>,
    pub path: Option<&'a [C]>,
    pub extra: Option<&'a [C]>,
}

/// Builds a URL from components (the `WinHttpCreateUrl` rules), without a terminator.
///
/// - A scheme string beats `n_scheme`; with neither, the scheme is `http`. `://` always follows.
/// - A password without a user name is `ERROR_INVALID_PARAMETER`.
/// - The port is written unless it is the default of the scheme (`ICU_INCLUDE_DEFAULT_PORT`
///   writes it anyway), and never without a host.
/// - A `/` goes between host and a path that does not start with one.
/// - `ICU_ESCAPE` escapes path and extra info (see [`create_needs_escape`]), non-ASCII as UTF-8.
pub fn create<C: CodeUnit>(parts: &CreateParts<'_, C>, flags: DWORD) -> Result<Vec<C>, DWORD> {
    if parts.user.is_none() && parts.password.is_some() {
        return Err(ERROR_INVALID_PARAMETER);
    }
    let mut out: Vec<C> = Vec::new();
    let scheme = match parts.scheme {
        Some(s) => {
            out.extend_from_slice(s);
            if eq_ignore_case(s, "http") {
                INTERNET_SCHEME_HTTP
            } else if eq_ignore_case(s, "https") {
                INTERNET_SCHEME_HTTPS
            } else {
                0
            }
        }
        None => {
            let (n, text) = match parts.n_scheme {
                0 | INTERNET_SCHEME_HTTP => (INTERNET_SCHEME_HTTP, "http"),
                INTERNET_SCHEME_HTTPS => (INTERNET_SCHEME_HTTPS, "https"),
                _ => return Err(ERROR_INVALID_PARAMETER),
            };
            wide::encode_into(text, &mut out);
            n
        }
    };
    wide::encode_into("://", &mut out);
    if let Some(user) = parts.user {
        out.extend_from_slice(user);
        if let Some(pw) = parts.password {
            out.push(C::from_u32(b':' as u32));
            out.extend_from_slice(pw);
        }
        out.push(C::from_u32(b'@' as u32));
    }
    if let Some(host) = parts.host {
        out.extend_from_slice(host);
        let default = scheme != 0 && parts.port == default_port(scheme);
        if !default || flags & ICU_INCLUDE_DEFAULT_PORT != 0 {
            wide::encode_into(&format!(":{}", parts.port), &mut out);
        }
        if parts.path.is_some_and(|path| path.first().is_none_or(|&c| !is(c, b'/'))) {
            out.push(C::from_u32(b'/' as u32));
        }
    }
    for part in [parts.path, parts.extra].into_iter().flatten() {
        if flags & ICU_ESCAPE != 0 {
            escape_into(part, &mut out, create_needs_escape)?;
        } else {
            out.extend_from_slice(part);
        }
    }
    Ok(out)
}

/// A URL cracked into owned strings, for the request engine (redirects, proxies, `WinHttpCrackUrl`
/// of a Rust `String`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CrackedUrl {
    pub scheme: INTERNET_SCHEME,
    pub host: String,
    pub port: INTERNET_PORT,
    pub user: Option<String>,
    pub password: Option<String>,
    /// The path without the extra info; empty when the URL has none.
    pub path: String,
    /// The query and/or fragment, starting with `?` or `#`; empty when absent.
    pub extra: String,
}

impl CrackedUrl {
    /// True for `https`.
    pub fn is_secure(&self) -> bool {
        self.scheme == INTERNET_SCHEME_HTTPS
    }

    /// The object name a request for this URL opens: the path (`/` when empty) and the query,
    /// without the fragment, which never goes on the wire.
    pub fn object_name(&self) -> String {
        let path = if self.path.is_empty() { "/" } else { self.path.as_str() };
        let query = self.extra.split('#').next().unwrap_or("");
        format!("{path}{query}")
    }
}

/// Cracks a URL held as a Rust string, with the `WinHttpCrackUrl` flags (`ICU_DECODE`,
/// `ICU_ESCAPE`, `ICU_REJECT_USERPWD`) and the same errors.
pub fn crack_str(url: &str, flags: DWORD) -> Result<CrackedUrl, DWORD> {
    let units: Vec<u32> = wide::encode(url);
    let p = split(&units, flags)?;
    let get = |r: Range<usize>, part| -> Result<String, DWORD> {
        Ok(wide::decode(&component_value(&units, r, part, flags)?))
    };
    Ok(CrackedUrl {
        scheme: p.scheme,
        host: get(p.host.clone(), Part::Host)?,
        port: p.port,
        user: p.user.clone().map(|r| get(r, Part::User)).transpose()?,
        password: p.password.clone().map(|r| get(r, Part::Password)).transpose()?,
        path: get(p.path.clone(), Part::Path)?,
        extra: get(p.extra.clone(), Part::Extra)?,
    })
}

/// What a request path needs escaped at send time, by default: controls, space, DEL and
/// `"#<>[\]^`{|}`. `%` and `~` are kept.
const fn request_needs_escape(b: u8) -> bool {
    b <= 0x20 || matches!(b, 0x7f | b'"' | b'#' | b'<' | b'>' | b'[' | b'\\' | b']' | b'^' | b'`' | b'{' | b'|' | b'}')
}

/// True when [`escape_request_path`] would give `path` back unchanged (the usual case: the
/// caller can keep its own copy).
pub fn request_path_unchanged(path: &str, flags: DWORD) -> bool {
    // Bytes no flag combination changes: printable ASCII but `%` and what is escaped by default.
    static KEPT: [bool; 256] = {
        let mut t = [false; 256];
        let mut b = 0x21;
        while b < 0x7f {
            t[b] = b != b'%' as usize && !request_needs_escape(b as u8);
            b += 1;
        }
        t
    };
    if path.bytes().all(|b| KEPT[b as usize]) {
        return true;
    }
    let percent = flags & WINHTTP_FLAG_ESCAPE_PERCENT != 0;
    let escape_path = flags & WINHTTP_FLAG_ESCAPE_DISABLE == 0;
    let escape_query = escape_path && flags & WINHTTP_FLAG_ESCAPE_DISABLE_QUERY == 0;
    let mut escape = escape_path;
    path.bytes().all(|b| {
        if b == b'?' {
            escape = escape_query;
        }
        !changes(b, escape, percent)
    })
}

/// Whether a byte of a request path is escaped or dropped.
#[inline]
fn changes(b: u8, escape: bool, percent: bool) -> bool {
    let esc = !b.is_ascii() || b == b' ' || (escape && (request_needs_escape(b) || (percent && b == b'%')));
    esc || (!escape && matches!(b, b'\r' | b'\n'))
}

fn escape_request_part(s: &str, escape: bool, percent: bool, out: &mut String) {
    // Byte by byte: every byte of a non-ASCII character is escaped, so its UTF-8 bytes can be
    // looked at one at a time; runs of bytes that need nothing are copied whole.
    let bytes = s.as_bytes();
    let mut run = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let esc = !b.is_ascii() || b == b' ' || (escape && (request_needs_escape(b) || (percent && b == b'%')));
        // Unescaped, CR and LF are dropped (as Windows does): they would end the request line.
        let drop = !escape && matches!(b, b'\r' | b'\n');
        if esc || drop {
            // `run..i` holds only ASCII bytes (a non-ASCII byte always ends a run).
            if run < i {
                out.push_str(&s[run..i]);
            }
            if esc {
                push_escaped_str(out, b);
            }
            run = i + 1;
        }
    }
    if run < bytes.len() {
        out.push_str(&s[run..]);
    }
}

fn push_escaped_str(out: &mut String, b: u8) {
    out.push('%');
    out.push(HEX[(b >> 4) as usize] as char);
    out.push(HEX[(b & 15) as usize] as char);
}

/// Escapes a request's object name (path and query) as WinHTTP sends it on the request line, under
/// the `WinHttpOpenRequest` flags:
/// - by default controls, space, DEL and `"#<>[\]^`{|}` become `%XX`; `%` and `~` stay;
/// - `WINHTTP_FLAG_ESCAPE_PERCENT` also escapes `%`;
/// - `WINHTTP_FLAG_ESCAPE_DISABLE` sends everything raw, and `WINHTTP_FLAG_ESCAPE_DISABLE_QUERY`
///   the query (from the first `?`) raw: other control characters and DEL go out as they are,
///   spaces still become `%20`, and CR and LF are dropped;
/// - non-ASCII characters are always sent as the `%XX` escapes of their UTF-8 bytes.
pub fn escape_request_path(path: &str, flags: DWORD) -> String {
    let (p, q) = match path.find('?') {
        Some(i) => path.split_at(i),
        None => (path, ""),
    };
    let percent = flags & WINHTTP_FLAG_ESCAPE_PERCENT != 0;
    let escape_path = flags & WINHTTP_FLAG_ESCAPE_DISABLE == 0;
    let escape_query = escape_path && flags & WINHTTP_FLAG_ESCAPE_DISABLE_QUERY == 0;
    let mut out = String::with_capacity(path.len() + 8);
    escape_request_part(p, escape_path, percent, &mut out);
    escape_request_part(q, escape_query, percent, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(s: &str) -> Vec<u32> {
        wide::encode(s)
    }

    fn text(url: &[u32], r: Range<usize>) -> String {
        wide::decode(&url[r])
    }

    #[test]
    fn splits_a_full_url() {
        let u = w("http://user:pass@www.example.org:8080/a/b?x=1#f");
        let p = split(&u, 0).unwrap();
        assert_eq!(p.scheme, INTERNET_SCHEME_HTTP);
        assert_eq!(text(&u, p.scheme_text), "http");
        assert_eq!(text(&u, p.user.unwrap()), "user");
        assert_eq!(text(&u, p.password.unwrap()), "pass");
        assert_eq!(text(&u, p.host), "www.example.org");
        assert_eq!(p.port, 8080);
        assert_eq!(text(&u, p.path), "/a/b");
        assert_eq!(text(&u, p.extra), "?x=1#f");
    }

    #[test]
    fn offsets_match_the_windows_test_url() {
        let u = w("http://username:password@www.winehq.org/site/about");
        let p = split(&u, 0).unwrap();
        assert_eq!(p.user.unwrap().start, 7);
        assert_eq!(p.password.unwrap().start, 16);
        assert_eq!(p.host, 25..39);
        assert_eq!(p.path, 39..50);
        assert_eq!(p.extra, 50..50);
    }

    #[test]
    fn default_and_explicit_ports() {
        assert_eq!(split(&w("http://h/"), 0).unwrap().port, 80);
        assert_eq!(split(&w("https://h/"), 0).unwrap().port, 443);
        assert_eq!(split(&w("HTTPS://h"), 0).unwrap().scheme, INTERNET_SCHEME_HTTPS);
        assert_eq!(split(&w("http://h:42/"), 0).unwrap().port, 42);
        assert_eq!(split(&w("http://h:0"), 0).unwrap().port, 0);
        assert_eq!(split(&w("http://h:65535"), 0).unwrap().port, 65535);
        assert_eq!(split(&w("http://h:"), 0).unwrap().port, 80);
        assert_eq!(split(&w("https://h:/"), 0).unwrap().port, 443);
        assert_eq!(split(&w("http://h:65536"), 0), Err(ERROR_WINHTTP_INVALID_URL));
        assert_eq!(split(&w("http://h:8a/"), 0), Err(ERROR_WINHTTP_INVALID_URL));
        assert_eq!(split(&w("http://h:-1/"), 0), Err(ERROR_WINHTTP_INVALID_URL));
    }

    #[test]
    fn scheme_and_shape_errors() {
        for bad in ["", "www", "http", "www.winehq.org", "ftp://h/", "httpx://h/"] {
            assert_eq!(split(&w(bad), 0), Err(ERROR_WINHTTP_UNRECOGNIZED_SCHEME), "{bad}");
        }
        for bad in ["HTTP:www.winehq.org", "http:/www.winehq.org", "http://", "http:", "http:///x", "http://u@/"] {
            assert_eq!(split(&w(bad), 0), Err(ERROR_WINHTTP_INVALID_URL), "{bad}");
        }
    }

    #[test]
    fn ipv6_literals() {
        let u = w("http://[::1]:8080/x");
        let p = split(&u, 0).unwrap();
        assert_eq!(text(&u, p.host), "[::1]");
        assert_eq!(p.port, 8080);
        let u = w("https://[fe80::1%25eth0]");
        let p = split(&u, 0).unwrap();
        assert_eq!(text(&u, p.host), "[fe80::1%25eth0]");
        assert_eq!(p.port, 443);
        assert_eq!(split(&w("http://[::1/"), 0), Err(ERROR_WINHTTP_INVALID_URL));
        assert_eq!(split(&w("http://[::1]x/"), 0), Err(ERROR_WINHTTP_INVALID_URL));
    }

    #[test]
    fn authority_quirks() {
        // '@' after the first '/' is not a userinfo separator.
        let u = w("http://example.net/path?var1=example@example.com&var2=x&var3=y");
        let p = split(&u, 0).unwrap();
        assert_eq!(p.user, None);
        assert_eq!(text(&u, p.host), "example.net");
        assert_eq!(p.extra.len(), 39);
        // '?' does not end the authority: no path and no extra info.
        let u = w("http://winehq?");
        let p = split(&u, 0).unwrap();
        assert_eq!((p.path, p.extra), (14..14, 14..14));
        // ';' is part of the path.
        let u = w("http://winehq/post;a");
        let p = split(&u, 0).unwrap();
        assert_eq!((p.path.clone(), p.extra.clone()), (13..20, 20..20));
        // An empty query is still extra info.
        let u = w("https://www.winehq.org/post?");
        let p = split(&u, 0).unwrap();
        assert_eq!((p.path.len(), p.extra.len()), (5, 1));
        // User without password, and empty user and password.
        let u = w("http://me@h/");
        let p = split(&u, 0).unwrap();
        assert_eq!((text(&u, p.user.unwrap()), p.password), ("me".into(), None));
        let u = w("http://:@h/");
        let p = split(&u, 0).unwrap();
        assert_eq!((p.user.unwrap().len(), p.password.unwrap().len()), (0, 0));
    }

    #[test]
    fn reject_userpwd() {
        assert_eq!(split(&w("http://u:p@h/"), ICU_REJECT_USERPWD), Err(ERROR_WINHTTP_INVALID_URL));
        assert_eq!(split(&w("http://u@h/"), ICU_REJECT_USERPWD), Err(ERROR_WINHTTP_INVALID_URL));
        assert!(split(&w("http://h/a@b"), ICU_REJECT_USERPWD).is_ok());
    }

    #[test]
    fn decoding_and_escaping_components() {
        let u = w("http://h/a%20b%3c%zz%4?q=%41");
        let p = split(&u, 0).unwrap();
        let path = component_value(&u, p.path.clone(), Part::Path, ICU_DECODE).unwrap();
        assert_eq!(wide::decode(&path), "/a b<%zz%4");
        let extra = component_value(&u, p.extra.clone(), Part::Extra, ICU_DECODE).unwrap();
        assert_eq!(wide::decode(&extra), "?q=A");
        // %XX decodes to a unit of that value, not UTF-8.
        assert_eq!(percent_decode(&w("%C3%A9")), vec![0xC3, 0xA9]);
        let u = w("http://winehq.o g/path with spaces");
        let p = split(&u, 0).unwrap();
        let path = component_value(&u, p.path, Part::Path, ICU_ESCAPE | ICU_DECODE).unwrap();
        assert_eq!(wide::decode(&path), "/path%20with%20spaces");
        assert_eq!(text(&u, p.host), "winehq.o g");
    }

    #[test]
    fn crack_str_gives_owned_parts() {
        let c = crack_str("https://u:p%40@example.com:8443/p%20q?x#y", ICU_DECODE).unwrap();
        assert!(c.is_secure());
        assert_eq!(c.host, "example.com");
        assert_eq!(c.port, 8443);
        assert_eq!(c.user.as_deref(), Some("u"));
        assert_eq!(c.password.as_deref(), Some("p@"));
        assert_eq!(c.path, "/p q");
        assert_eq!(c.extra, "?x#y");
        assert_eq!(crack_str("nope", 0), Err(ERROR_WINHTTP_UNRECOGNIZED_SCHEME));
        assert_eq!(c.object_name(), "/p q?x");
        assert_eq!(crack_str("http://h", 0).unwrap().object_name(), "/");
        assert_eq!(crack_str("http://h/a#f", 0).unwrap().object_name(), "/a");
        assert_eq!(crack_str("http://h?q", 0).unwrap().host, "h?q");
    }

    fn standard<'a>(v: &'a [Vec<u32>; 6]) -> CreateParts<'a, u32> {
        CreateParts {
            scheme: Some(&v[0]),
            n_scheme: INTERNET_SCHEME_HTTP,
            host: Some(&v[1]),
            port: 80,
            user: Some(&v[2]),
            password: Some(&v[3]),
            path: Some(&v[4]),
            extra: Some(&v[5]),
        }
    }

    fn parts6() -> [Vec<u32>; 6] {
        [w("http"), w("www.winehq.org"), w("username"), w("password"), w("/site/about"), w("?query")]
    }

    fn created(p: &CreateParts<'_, u32>, flags: DWORD) -> String {
        wide::decode(&create(p, flags).unwrap())
    }

    #[test]
    fn creates_urls() {
        let v = parts6();
        let mut p = standard(&v);
        assert_eq!(created(&p, 0), "http://username:password@www.winehq.org/site/about?query");
        p.port = 42;
        assert_eq!(created(&p, 0), "http://username:password@www.winehq.org:42/site/about?query");
        let ftp = w("ftp");
        p.scheme = Some(&ftp);
        p.port = 80;
        assert_eq!(created(&p, 0), "ftp://username:password@www.winehq.org:80/site/about?query");
        p.scheme = None;
        p.n_scheme = 0;
        p.port = 0;
        assert_eq!(created(&p, 0), "http://username:password@www.winehq.org:0/site/about?query");
        p.n_scheme = INTERNET_SCHEME_HTTPS;
        p.port = 443;
        assert_eq!(created(&p, 0), "https://username:password@www.winehq.org/site/about?query");
        p.n_scheme = 3;
        assert_eq!(create(&p, 0), Err(ERROR_INVALID_PARAMETER));
    }

    #[test]
    fn create_userinfo_rules() {
        let v = parts6();
        let empty: Vec<u32> = Vec::new();
        let mut p = standard(&v);
        p.password = None;
        assert_eq!(created(&p, 0), "http://username@www.winehq.org/site/about?query");
        p.password = Some(&empty);
        assert_eq!(created(&p, 0), "http://username:@www.winehq.org/site/about?query");
        p.user = Some(&empty);
        assert_eq!(created(&p, 0), "http://:@www.winehq.org/site/about?query");
        p.user = None;
        assert_eq!(create(&p, 0), Err(ERROR_INVALID_PARAMETER));
        p.password = None;
        assert_eq!(created(&p, 0), "http://www.winehq.org/site/about?query");
    }

    #[test]
    fn create_escapes() {
        let v = parts6();
        let esc = w(" !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~");
        let mut p = standard(&v);
        p.extra = Some(&esc);
        let url = created(&p, ICU_ESCAPE);
        assert_eq!(
            url,
            "http://username:password@www.winehq.org/site/about%20!%22%23$%25&'()*+,-./:;%3C=%3E?@%5B%5C%5D%5E_%60%7B%7C%7D%7E"
        );
        assert_eq!(url.chars().count(), 113);
        let ctl = w("\r\x1f \n\x7f\r\n");
        let only = CreateParts { extra: Some(&ctl[..]), ..Default::default() };
        assert_eq!(created(&only, ICU_ESCAPE), "http://%0D%1F%20%0A%7F%0D%0A");
        let only = CreateParts { path: Some(&ctl[..]), ..Default::default() };
        assert_eq!(created(&only, ICU_ESCAPE), "http://%0D%1F%20%0A%7F%0D%0A");
        let uni = w("?text=\u{FB00}");
        let only = CreateParts { extra: Some(&uni[..]), ..Default::default() };
        assert_eq!(created(&only, 0), "http://?text=\u{FB00}");
        assert_eq!(created(&only, ICU_ESCAPE), "http://?text=%EF%AC%80");
        // UTF-16 units: a surrogate pair escapes as one character, a lone surrogate is refused.
        let pair: Vec<u16> = wide::encode("/\u{1F600}");
        let p16 = CreateParts { path: Some(&pair[..]), ..Default::default() };
        assert_eq!(wide::decode(&create(&p16, ICU_ESCAPE).unwrap()), "http:///%F0%9F%98%80");
        let lone = [0x2Fu16, 0xD800];
        let p16 = CreateParts { path: Some(&lone[..]), ..Default::default() };
        assert_eq!(create(&p16, ICU_ESCAPE), Err(ERROR_INVALID_PARAMETER));
    }

    #[test]
    fn create_adds_slash_before_relative_path() {
        let host = w("h");
        let path = w("x");
        let p = CreateParts { host: Some(&host[..]), path: Some(&path[..]), ..Default::default() };
        assert_eq!(created(&p, 0), "http://h:0/x");
        let p = CreateParts { host: Some(&host[..]), port: 80, ..Default::default() };
        assert_eq!(created(&p, 0), "http://h");
        assert_eq!(created(&p, ICU_INCLUDE_DEFAULT_PORT), "http://h:80");
    }

    #[test]
    fn round_trip() {
        let v = parts6();
        let url = create(&standard(&v), 0).unwrap();
        let p = split(&url, 0).unwrap();
        assert_eq!(text(&url, p.host), "www.winehq.org");
        assert_eq!(text(&url, p.path), "/site/about");
        assert_eq!(text(&url, p.extra), "?query");
        assert_eq!(p.port, 80);
    }

    #[test]
    fn request_path_escaping() {
        let raw = "/p a\r\n\x1f\x7f<%~\"?q \"#<>[\\]^`{|}~%\u{80}";
        assert_eq!(
            escape_request_path(raw, 0),
            "/p%20a%0D%0A%1F%7F%3C%~%22?q%20%22%23%3C%3E%5B%5C%5D%5E%60%7B%7C%7D~%%C2%80"
        );
        assert_eq!(escape_request_path("/a%b?c%d", WINHTTP_FLAG_ESCAPE_PERCENT), "/a%25b?c%25d");
        assert_eq!(escape_request_path("/a b<\x7f?c d<", WINHTTP_FLAG_ESCAPE_DISABLE), "/a%20b<\x7f?c%20d<");
        assert_eq!(escape_request_path("/a b<?c d<", WINHTTP_FLAG_ESCAPE_DISABLE_QUERY), "/a%20b%3C?c%20d<");
        assert_eq!(escape_request_path("/\u{541B}", WINHTTP_FLAG_ESCAPE_DISABLE), "/%E5%90%9B");
    }

    #[test]
    fn request_path_escaping_matches_the_windows_wire_bytes() {
        let query = "?\x1f\x7f !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
        let default = format!("/e\r\n\x1f\x7f< %1{query}\r\n");
        assert_eq!(
            escape_request_path(&default, 0),
            "/e%0D%0A%1F%7F%3C%20%1?%1F%7F%20!%22%23$%&'()*+,-./:;%3C=%3E?@%5B%5C%5D%5E_%60%7B%7C%7D~%0D%0A"
        );
        assert_eq!(
            escape_request_path(&default, WINHTTP_FLAG_ESCAPE_PERCENT),
            "/e%0D%0A%1F%7F%3C%20%251?%1F%7F%20!%22%23$%25&'()*+,-./:;%3C=%3E?@%5B%5C%5D%5E_%60%7B%7C%7D~%0D%0A"
        );
        // Windows' test sends CR LF in both places; with ESCAPE_DISABLE they are dropped.
        let raw = format!("/e\r\n\x1f\x7f< %3{query}\r\n");
        assert_eq!(
            escape_request_path(&raw, WINHTTP_FLAG_ESCAPE_DISABLE),
            "/e\x1f\x7f<%20%3?\x1f\x7f%20!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
        );
        let raw = format!("/e\r\n\x1f\x7f< %4{query}\r\n");
        assert_eq!(
            escape_request_path(&raw, WINHTTP_FLAG_ESCAPE_DISABLE_QUERY),
            "/e%0D%0A%1F%7F%3C%20%4?\x1f\x7f%20!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
        );
        assert_eq!(escape_request_path("/e?&t=\u{80}\x7f~", 0), "/e?&t=%C2%80%7F~");
        assert_eq!(escape_request_path("/e?&t=\u{80}\x7f~", WINHTTP_FLAG_ESCAPE_DISABLE), "/e?&t=%C2%80\x7f~");
        assert_eq!(escape_request_path("/e?&t=\u{541B}\u{306E}", 0), "/e?&t=%E5%90%9B%E3%81%AE");
    }
}
