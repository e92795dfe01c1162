//! Header lists and header queries, sans I/O.
//!
//! - [`HeaderList`]: ordered name/value pairs with case-insensitive lookup, the N-th occurrence of
//!   a name, and the `WINHTTP_ADDREQ_FLAG_*` edits of `WinHttpAddRequestHeaders`.
//! - [`parse_lines`]: the header text callers pass to `WinHttpAddRequestHeaders` and
//!   `WinHttpSendRequest` (several headers separated by any run of CR and LF).
//! - [`attribute`], [`HeaderBlock::query`] and [`convert`]: the `WinHttpQueryHeaders` engine. An
//!   info level names a header, the caller's header (`WINHTTP_QUERY_CUSTOM`) or a computed value
//!   (version, status, raw headers, method). The same engine serves the request headers and, once
//!   a response exists, the response headers: only the [`StartLine`] differs.
//!
//! Everything here is plain `String`s; the wide-string and buffer protocol lives in `ffi::headers`.

use super::time;
use crate::abi::*;

/// The modifier bits of `dwInfoLevel` (`WINHTTP_QUERY_FLAG_*`).
const QUERY_MODIFIERS: u32 = WINHTTP_QUERY_FLAG_REQUEST_HEADERS
    | WINHTTP_QUERY_FLAG_SYSTEMTIME
    | WINHTTP_QUERY_FLAG_NUMBER
    | WINHTTP_QUERY_FLAG_NUMBER64
    | WINHTTP_QUERY_FLAG_TRAILERS
    | WINHTTP_QUERY_FLAG_WIRE_ENCODING;

/// Why a header edit failed; [`HeaderError::code`] is the Windows error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeaderError {
    /// Malformed header text (no colon, empty name, a character a name cannot hold).
    Invalid,
    /// `REPLACE` of a header that is not there.
    NotFound,
    /// `ADD_IF_NEW` of a header that is already there.
    AlreadyExists,
}

impl HeaderError {
    pub fn code(self) -> DWORD {
        match self {
            HeaderError::Invalid => ERROR_WINHTTP_INVALID_HEADER,
            HeaderError::NotFound => ERROR_WINHTTP_HEADER_NOT_FOUND,
            HeaderError::AlreadyExists => ERROR_WINHTTP_HEADER_ALREADY_EXISTS,
        }
    }
}

/// Where one header's name and value sit in a [`HeaderList`]'s text.
#[derive(Clone, Copy, Debug)]
struct Entry {
    name: (u32, u32),
    value: (u32, u32),
}

/// Headers in order, looked up by name without regard to case.
///
/// Every name and value lives in one `String` (`text`), the list holds their ranges: a parsed
/// response head of N headers is two allocations, not 2N + 1. Edits append the new text and
/// leave the old bytes unreferenced; the text is compacted when those outgrow what is in use.
#[derive(Clone, Debug, Default)]
pub struct HeaderList {
    text: String,
    items: Vec<Entry>,
    /// Bytes of `text` no entry refers to any more.
    garbage: usize,
}

impl PartialEq for HeaderList {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.pairs().eq(other.pairs())
    }
}

impl Eq for HeaderList {}

impl HeaderList {
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty list with room for `n` headers.
    pub fn with_capacity(n: usize) -> Self {
        HeaderList { text: String::new(), items: Vec::with_capacity(n), garbage: 0 }
    }

    /// An empty list with room for `n` headers holding `bytes` bytes of names and values.
    pub fn with_capacity_bytes(n: usize, bytes: usize) -> Self {
        HeaderList { text: String::with_capacity(bytes), items: Vec::with_capacity(n), garbage: 0 }
    }

    /// A list whose text is `text` itself (a response head copied whole), each header given as
    /// the byte ranges of its name and value in it; the bytes between them count as garbage.
    pub fn from_ranges(text: String, ranges: impl ExactSizeIterator<Item = ((u32, u32), (u32, u32))>) -> Self {
        let mut items = Vec::with_capacity(ranges.len());
        let mut used = 0;
        for (name, value) in ranges {
            debug_assert!(text.is_char_boundary(name.0 as usize) && text.is_char_boundary(value.1 as usize));
            used += (name.1 - name.0 + value.1 - value.0) as usize;
            items.push(Entry { name, value });
        }
        let garbage = text.len() - used;
        HeaderList { text, items, garbage }
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    fn slice(&self, (start, end): (u32, u32)) -> &str {
        &self.text[start as usize..end as usize]
    }

    fn name_at(&self, i: usize) -> &str {
        self.slice(self.items[i].name)
    }

    fn value_at(&self, i: usize) -> &str {
        self.slice(self.items[i].value)
    }

    /// Appends `parts` to the text; the range they took.
    fn append(&mut self, parts: &[&str]) -> (u32, u32) {
        let start = self.text.len();
        for p in parts {
            self.text.push_str(p);
        }
        // Header text is bounded far below 4 GiB by the head size caps and the callers' DWORD lengths.
        (start as u32, self.text.len() as u32)
    }

    /// The (name, value) pairs, in order.
    pub fn iter(&self) -> Pairs<'_> {
        self.pairs()
    }

    /// Appends a header as it is, without checks (the engine's own headers, parsed responses).
    pub fn push(&mut self, name: impl AsRef<str>, value: impl AsRef<str>) {
        let name = self.append(&[name.as_ref()]);
        let value = self.append(&[value.as_ref()]);
        self.items.push(Entry { name, value });
    }

    /// Appends a header whose value is written by `write` (into the list's own text, no
    /// intermediate string).
    pub fn push_with(&mut self, name: &str, write: impl FnOnce(&mut String)) {
        let name = self.append(&[name]);
        let start = self.text.len();
        write(&mut self.text);
        self.items.push(Entry { name, value: (start as u32, self.text.len() as u32) });
    }

    /// Position in the list of the `nth` (0-based) header called `name`.
    fn position(&self, name: &str, nth: usize) -> Option<usize> {
        (0..self.items.len()).filter(|&i| self.name_at(i).eq_ignore_ascii_case(name)).nth(nth)
    }

    /// The value of the `nth` (0-based) header called `name`.
    pub fn nth(&self, name: &str, nth: usize) -> Option<&str> {
        self.position(name, nth).map(|i| self.value_at(i))
    }

    /// The value of the first header called `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.nth(name, 0)
    }

    /// Every value of the headers called `name`, in order.
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + Clone + 'a {
        self.pairs().filter(move |(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v)
    }

    pub fn contains(&self, name: &str) -> bool {
        self.position(name, 0).is_some()
    }

    /// Drops the entries for which `keep` says false.
    fn retain(&mut self, mut keep: impl FnMut(&str) -> bool) {
        let HeaderList { text, items, garbage } = self;
        items.retain(|e| {
            let name = &text[e.name.0 as usize..e.name.1 as usize];
            let kept = keep(name);
            if !kept {
                *garbage += (e.name.1 - e.name.0 + e.value.1 - e.value.0) as usize;
            }
            kept
        });
        self.compact();
    }

    /// Removes every header called `name`; returns how many there were.
    pub fn remove(&mut self, name: &str) -> usize {
        let before = self.items.len();
        self.retain(|n| !n.eq_ignore_ascii_case(name));
        before - self.items.len()
    }

    /// Gives entry `i` the value `parts` (concatenated).
    fn replace_value(&mut self, i: usize, parts: &[&str]) {
        let old = self.items[i].value;
        self.items[i].value = self.append(parts);
        self.garbage += (old.1 - old.0) as usize;
    }

    /// Rewrites the text without the bytes nothing refers to, once they are most of it.
    fn compact(&mut self) {
        if self.garbage < 256 || self.garbage < self.text.len() / 2 {
            return;
        }
        let mut text = String::with_capacity(self.text.len() - self.garbage);
        for e in &mut self.items {
            for r in [&mut e.name, &mut e.value] {
                let start = text.len() as u32;
                text.push_str(&self.text[r.0 as usize..r.1 as usize]);
                *r = (start, text.len() as u32);
            }
        }
        self.text = text;
        self.garbage = 0;
    }

    /// Sets `name` to exactly one value: the first occurrence is updated in place and the others
    /// dropped, or the header is appended.
    pub fn set(&mut self, name: &str, value: impl AsRef<str>) {
        self.set_parts(name, &[value.as_ref()]);
    }

    /// [`set`](Self::set) with the value given as parts written one after the other.
    pub fn set_parts(&mut self, name: &str, parts: &[&str]) {
        match self.position(name, 0) {
            Some(i) => {
                self.replace_value(i, parts);
                let mut seen = 0;
                self.retain(|n| {
                    if !n.eq_ignore_ascii_case(name) {
                        return true;
                    }
                    seen += 1;
                    seen == 1
                });
            }
            None => {
                let name = self.append(&[name]);
                let value = self.append(parts);
                self.items.push(Entry { name, value });
            }
        }
    }

    /// Applies one header with `WinHttpAddRequestHeaders` semantics. `modifiers` are the
    /// `WINHTTP_ADDREQ_FLAG_*` bits (0 means ADD):
    /// - `ADD_IF_NEW` fails with [`HeaderError::AlreadyExists`] when the name is present;
    /// - `REPLACE` removes the first occurrence and appends the new value, or only removes it when
    ///   the value is empty; with the name absent it fails with [`HeaderError::NotFound`] unless
    ///   `ADD` is also given;
    /// - `COALESCE_WITH_COMMA` / `COALESCE_WITH_SEMICOLON` append ", value" / "; value" to the
    ///   first occurrence (or add the header when absent);
    /// - otherwise the header is appended, even when the name is already present.
    ///
    /// A name that is not a token, or a value holding CR, LF or NUL, fails with
    /// [`HeaderError::Invalid`] and changes nothing.
    pub fn apply(&mut self, name: &str, value: &str, modifiers: u32) -> Result<(), HeaderError> {
        if !is_valid_name(name) || !is_valid_value(value) {
            return Err(HeaderError::Invalid);
        }
        let first = self.position(name, 0);
        if modifiers & WINHTTP_ADDREQ_FLAG_ADD_IF_NEW != 0 && first.is_some() {
            return Err(HeaderError::AlreadyExists);
        }
        if modifiers & WINHTTP_ADDREQ_FLAG_REPLACE != 0 {
            match first {
                Some(i) => {
                    let e = self.items.remove(i);
                    self.garbage += (e.name.1 - e.name.0 + e.value.1 - e.value.0) as usize;
                    self.compact();
                    if value.is_empty() {
                        return Ok(());
                    }
                }
                None if modifiers & WINHTTP_ADDREQ_FLAG_ADD == 0 => {
                    return Err(HeaderError::NotFound);
                }
                None => {}
            }
            self.push(name, value);
            return Ok(());
        }
        let coalesce = if modifiers & WINHTTP_ADDREQ_FLAG_COALESCE_WITH_COMMA != 0 {
            Some(", ")
        } else if modifiers & WINHTTP_ADDREQ_FLAG_COALESCE_WITH_SEMICOLON != 0 {
            Some("; ")
        } else {
            None
        };
        match (coalesce, first) {
            (Some(sep), Some(i)) => {
                let old = self.value_at(i).to_owned();
                self.replace_value(i, &[&old, sep, value]);
                self.compact();
            }
            _ => self.push(name, value),
        }
        Ok(())
    }

    /// Parses header text (see [`parse_lines`]) and applies each header with `modifiers`. A
    /// malformed line fails the whole call before anything changes; otherwise headers are applied
    /// in order and the first failing one stops the call (earlier ones stay applied).
    pub fn add_text(&mut self, text: &str, modifiers: u32) -> Result<(), HeaderError> {
        for (name, value) in parse_lines(text)? {
            self.apply(name, value, modifiers)?;
        }
        Ok(())
    }

    /// The headers as borrowed (name, value) pairs, in order.
    pub fn pairs(&self) -> Pairs<'_> {
        Pairs { text: &self.text, items: self.items.iter() }
    }

    pub fn to_pairs(&self) -> Vec<(String, String)> {
        self.pairs().map(|(n, v)| (n.to_owned(), v.to_owned())).collect()
    }

    /// Appends each header as "Name: Value\r\n".
    pub fn write_lines(&self, out: &mut String) {
        for (name, value) in self.pairs() {
            out.push_str(name);
            out.push_str(": ");
            out.push_str(value);
            out.push_str("\r\n");
        }
    }
}

/// The (name, value) pairs of a [`HeaderList`], in order.
#[derive(Clone)]
pub struct Pairs<'a> {
    text: &'a str,
    items: std::slice::Iter<'a, Entry>,
}

impl<'a> Iterator for Pairs<'a> {
    type Item = (&'a str, &'a str);
    fn next(&mut self) -> Option<Self::Item> {
        let e = self.items.next()?;
        // SAFETY: every range was recorded by `HeaderList::append` around whole `&str`s pushed
        // onto this text (or rebuilt the same way by `compact`): in bounds, on char boundaries.
        let at = |(start, end): (u32, u32)| unsafe { self.text.get_unchecked(start as usize..end as usize) };
        Some((at(e.name), at(e.value)))
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.items.size_hint()
    }
}

impl ExactSizeIterator for Pairs<'_> {}

impl<'a> IntoIterator for &'a HeaderList {
    type Item = (&'a str, &'a str);
    type IntoIter = Pairs<'a>;
    fn into_iter(self) -> Pairs<'a> {
        self.pairs()
    }
}

impl<N: AsRef<str>, V: AsRef<str>> FromIterator<(N, V)> for HeaderList {
    /// A list of headers as they are, without checks (for example a parsed response head).
    fn from_iter<I: IntoIterator<Item = (N, V)>>(iter: I) -> Self {
        let mut list = HeaderList::new();
        for (n, v) in iter {
            list.push(n, v);
        }
        list
    }
}

/// A `tchar` of RFC 9110: what a header name is made of.
fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

/// A header name: a non-empty token (no spaces, no controls, no separators).
pub fn is_valid_name(name: &str) -> bool {
    !name.is_empty() && name.chars().all(is_token_char)
}

/// A header value that cannot split the message: no CR, LF or NUL.
pub fn is_valid_value(value: &str) -> bool {
    !value.contains(['\r', '\n', '\0'])
}

/// Parses one "Name: value" line. The name must be a non-empty token (no spaces, no controls);
/// spaces and tabs around the value are dropped; an empty value is fine.
pub fn parse_line(line: &str) -> Result<(&str, &str), HeaderError> {
    let (name, value) = line.split_once(':').ok_or(HeaderError::Invalid)?;
    let value = value.trim_matches([' ', '\t']);
    if !is_valid_name(name) || !is_valid_value(value) {
        return Err(HeaderError::Invalid);
    }
    Ok((name, value))
}

/// Splits header text into (name, value) pairs. Headers are separated by any run of CR and LF
/// ("\r\n", "\n", "\r\r\r", "\n\r", ...); leading and trailing separators are ignored, so text with
/// no header at all gives an empty list. Any malformed line fails the whole text.
pub fn parse_lines(text: &str) -> Result<Vec<(&str, &str)>, HeaderError> {
    text.split(['\r', '\n']).filter(|l| !l.is_empty()).map(parse_line).collect()
}

/// The first line of a header block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StartLine<'a> {
    /// "POST /path HTTP/1.1"
    Request { method: &'a str, target: &'a str, version: &'a str },
    /// "HTTP/1.1 200 OK"
    Status { version: &'a str, code: u16, reason: &'a str },
}

impl StartLine<'_> {
    pub fn version(&self) -> &str {
        match self {
            StartLine::Request { version, .. } | StartLine::Status { version, .. } => version,
        }
    }

    fn write(&self, out: &mut String) {
        use std::fmt::Write;
        let _ = match self {
            StartLine::Request { method, target, version } => write!(out, "{method} {target} {version}"),
            StartLine::Status { version, code, reason } => write!(out, "{version} {code} {reason}"),
        };
    }
}

/// A start line and its headers: what `WinHttpQueryHeaders` reads, on either side.
#[derive(Clone, Copy, Debug)]
pub struct HeaderBlock<'a> {
    pub start: StartLine<'a>,
    pub headers: &'a HeaderList,
}

/// Request facts some info levels report whichever side is queried.
#[derive(Clone, Copy, Debug, Default)]
pub struct RequestFacts<'a> {
    /// The verb (`WINHTTP_QUERY_REQUEST_METHOD`).
    pub method: &'a str,
    /// The URL before the first redirect, if there was one (`WINHTTP_QUERY_ORIG_URI`).
    pub original_uri: Option<&'a str>,
}

/// What an info level (without its modifier bits) asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Attribute {
    /// A header, by name; the index picks among repeats.
    Header(&'static str),
    /// `WINHTTP_QUERY_CUSTOM`: the header the caller names; the index picks among repeats.
    Custom,
    Version,
    StatusCode,
    StatusText,
    RawHeaders,
    RawHeadersCrlf,
    RequestMethod,
    OrigUri,
    /// A level inside the range that names nothing (71 to 74): never found.
    Unassigned,
}

/// Levels 0..=78 of `WINHTTP_QUERY_*`.
const ATTRIBUTES: [Attribute; WINHTTP_QUERY_MAX as usize + 1] = {
    use Attribute::*;
    [
        Header("Mime-Version"),              // 0 MIME_VERSION
        Header("Content-Type"),              // 1 CONTENT_TYPE
        Header("Content-Transfer-Encoding"), // 2 CONTENT_TRANSFER_ENCODING
        Header("Content-ID"),                // 3 CONTENT_ID
        Header("Content-Description"),       // 4 CONTENT_DESCRIPTION
        Header("Content-Length"),            // 5 CONTENT_LENGTH
        Header("Content-Language"),          // 6 CONTENT_LANGUAGE
        Header("Allow"),                     // 7 ALLOW
        Header("Public"),                    // 8 PUBLIC
        Header("Date"),                      // 9 DATE
        Header("Expires"),                   // 10 EXPIRES
        Header("Last-Modified"),             // 11 LAST_MODIFIED
        Header("Message-ID"),                // 12 MESSAGE_ID
        Header("URI"),                       // 13 URI
        Header("Derived-From"),              // 14 DERIVED_FROM
        Header("Cost"),                      // 15 COST
        Header("Link"),                      // 16 LINK
        Header("Pragma"),                    // 17 PRAGMA
        Version,                             // 18 VERSION
        StatusCode,                          // 19 STATUS_CODE
        StatusText,                          // 20 STATUS_TEXT
        RawHeaders,                          // 21 RAW_HEADERS
        RawHeadersCrlf,                      // 22 RAW_HEADERS_CRLF
        Header("Connection"),                // 23 CONNECTION
        Header("Accept"),                    // 24 ACCEPT
        Header("Accept-Charset"),            // 25 ACCEPT_CHARSET
        Header("Accept-Encoding"),           // 26 ACCEPT_ENCODING
        Header("Accept-Language"),           // 27 ACCEPT_LANGUAGE
        Header("Authorization"),             // 28 AUTHORIZATION
        Header("Content-Encoding"),          // 29 CONTENT_ENCODING
        Header("Forwarded"),                 // 30 FORWARDED
        Header("From"),                      // 31 FROM
        Header("If-Modified-Since"),         // 32 IF_MODIFIED_SINCE
        Header("Location"),                  // 33 LOCATION
        OrigUri,                             // 34 ORIG_URI
        Header("Referer"),                   // 35 REFERER
        Header("Retry-After"),               // 36 RETRY_AFTER
        Header("Server"),                    // 37 SERVER
        Header("Title"),                     // 38 TITLE
        Header("User-Agent"),                // 39 USER_AGENT
        Header("WWW-Authenticate"),          // 40 WWW_AUTHENTICATE
        Header("Proxy-Authenticate"),        // 41 PROXY_AUTHENTICATE
        Header("Accept-Ranges"),             // 42 ACCEPT_RANGES
        Header("Set-Cookie"),                // 43 SET_COOKIE
        Header("Cookie"),                    // 44 COOKIE
        RequestMethod,                       // 45 REQUEST_METHOD
        Header("Refresh"),                   // 46 REFRESH
        Header("Content-Disposition"),       // 47 CONTENT_DISPOSITION
        Header("Age"),                       // 48 AGE
        Header("Cache-Control"),             // 49 CACHE_CONTROL
        Header("Content-Base"),              // 50 CONTENT_BASE
        Header("Content-Location"),          // 51 CONTENT_LOCATION
        Header("Content-MD5"),               // 52 CONTENT_MD5
        Header("Content-Range"),             // 53 CONTENT_RANGE
        Header("ETag"),                      // 54 ETAG
        Header("Host"),                      // 55 HOST
        Header("If-Match"),                  // 56 IF_MATCH
        Header("If-None-Match"),             // 57 IF_NONE_MATCH
        Header("If-Range"),                  // 58 IF_RANGE
        Header("If-Unmodified-Since"),       // 59 IF_UNMODIFIED_SINCE
        Header("Max-Forwards"),              // 60 MAX_FORWARDS
        Header("Proxy-Authorization"),       // 61 PROXY_AUTHORIZATION
        Header("Range"),                     // 62 RANGE
        Header("Transfer-Encoding"),         // 63 TRANSFER_ENCODING
        Header("Upgrade"),                   // 64 UPGRADE
        Header("Vary"),                      // 65 VARY
        Header("Via"),                       // 66 VIA
        Header("Warning"),                   // 67 WARNING
        Header("Expect"),                    // 68 EXPECT
        Header("Proxy-Connection"),          // 69 PROXY_CONNECTION
        Header("Unless-Modified-Since"),     // 70 UNLESS_MODIFIED_SINCE
        Unassigned,                          // 71
        Unassigned,                          // 72
        Unassigned,                          // 73
        Unassigned,                          // 74
        Header("Proxy-Support"),             // 75 PROXY_SUPPORT
        Header("Authentication-Info"),       // 76 AUTHENTICATION_INFO
        Header("PassportURLs"),              // 77 PASSPORT_URLS
        Header("PassportConfig"),            // 78 PASSPORT_CONFIG
    ]
};

/// The attribute of a whole `dwInfoLevel` (modifier bits are ignored). `None` for a level above
/// `WINHTTP_QUERY_MAX` that is not `WINHTTP_QUERY_CUSTOM`, or unknown modifier bits: the caller
/// answers `ERROR_INVALID_PARAMETER`.
pub fn attribute(info_level: u32) -> Option<Attribute> {
    match info_level & !QUERY_MODIFIERS {
        WINHTTP_QUERY_CUSTOM => Some(Attribute::Custom),
        n => ATTRIBUTES.get(n as usize).copied(),
    }
}

/// The header name an info level looks up, if it names one (`None` for computed levels).
pub fn header_name(info_level: u32) -> Option<&'static str> {
    match attribute(info_level)? {
        Attribute::Header(name) => Some(name),
        _ => None,
    }
}

/// A query's text answer, before any `FLAG_NUMBER` / `FLAG_SYSTEMTIME` conversion.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer<'a> {
    /// The text (borrowed from the block for header lookups). For `RAW_HEADERS` it holds a NUL
    /// after every line, so with the caller's terminator the block ends in two NULs.
    pub text: std::borrow::Cow<'a, str>,
    /// True when the answer is the index-th occurrence of a header: the caller's index then
    /// advances on success. Computed levels leave the index alone.
    pub indexed: bool,
}

impl<'a> HeaderBlock<'a> {
    /// The whole block with CRLF line ends and the blank line: "start\r\nA: b\r\n\r\n".
    pub fn raw_crlf(&self) -> String {
        let mut out = String::new();
        self.start.write(&mut out);
        out.push_str("\r\n");
        self.headers.write_lines(&mut out);
        out.push_str("\r\n");
        out
    }

    /// The block with a NUL after every line instead of CRLF and no blank line: "start\0A: b\0".
    pub fn raw_nul(&self) -> String {
        let mut out = self.raw_crlf();
        out.truncate(out.len() - 2);
        out.replace("\r\n", "\0")
    }

    /// Answers one info level. `name` is the caller's header name (used by `Custom` only) and
    /// `index` the occurrence to return for header levels. Errors are Windows codes:
    /// `ERROR_WINHTTP_HEADER_NOT_FOUND`, or `ERROR_INVALID_PARAMETER` for a custom query without
    /// a name.
    pub fn query(
        &self,
        facts: &RequestFacts<'_>,
        attr: Attribute,
        name: Option<&str>,
        index: u32,
    ) -> Result<Answer<'a>, DWORD> {
        let computed = |text: String| Ok(Answer { text: text.into(), indexed: false });
        let headers: &'a HeaderList = self.headers;
        let lookup = |name: &str| match headers.nth(name, index as usize) {
            Some(v) => Ok(Answer { text: v.into(), indexed: true }),
            None => Err(ERROR_WINHTTP_HEADER_NOT_FOUND),
        };
        match attr {
            Attribute::Header(n) => lookup(n),
            Attribute::Custom => match name {
                Some(n) => lookup(n),
                None => Err(ERROR_INVALID_PARAMETER),
            },
            Attribute::Version => computed(self.start.version().to_owned()),
            Attribute::StatusCode => match self.start {
                StartLine::Status { code, .. } => Ok(Answer { text: status_text(code), indexed: false }),
                StartLine::Request { .. } => Err(ERROR_WINHTTP_HEADER_NOT_FOUND),
            },
            Attribute::StatusText => match self.start {
                StartLine::Status { reason, .. } => computed(reason.to_owned()),
                StartLine::Request { .. } => Err(ERROR_WINHTTP_HEADER_NOT_FOUND),
            },
            Attribute::RawHeaders => computed(self.raw_nul()),
            Attribute::RawHeadersCrlf => computed(self.raw_crlf()),
            Attribute::RequestMethod => computed(facts.method.to_owned()),
            Attribute::OrigUri => match facts.original_uri {
                Some(u) => computed(u.to_owned()),
                None => Err(ERROR_WINHTTP_HEADER_NOT_FOUND),
            },
            Attribute::Unassigned => Err(ERROR_WINHTTP_HEADER_NOT_FOUND),
        }
    }
}

impl HeaderBlock<'_> {
    /// `WinHttpQueryHeadersEx`: the (name, value) pairs an info level selects. `RawHeaders`
    /// (`WINHTTP_QUERY_EX_ALL_HEADERS`) gives every header in order (the index is not used); a
    /// header level or `Custom` gives the index-th occurrence, under the name it has in the list.
    /// Levels [`ex_attribute`] refuses never get here.
    pub fn query_ex(&self, attr: Attribute, name: Option<&str>, index: u32) -> Result<Vec<(String, String)>, DWORD> {
        let lookup = |name: &str| {
            self.headers
                .iter()
                .filter(|(n, _)| n.eq_ignore_ascii_case(name))
                .nth(index as usize)
                .map(|(n, v)| vec![(n.to_owned(), v.to_owned())])
                .ok_or(ERROR_WINHTTP_HEADER_NOT_FOUND)
        };
        match attr {
            Attribute::RawHeaders => Ok(self.headers.to_pairs()),
            Attribute::Header(n) => lookup(n),
            Attribute::Custom => lookup(name.ok_or(ERROR_INVALID_PARAMETER)?),
            Attribute::Unassigned => Err(ERROR_WINHTTP_HEADER_NOT_FOUND),
            _ => Err(ERROR_INVALID_PARAMETER),
        }
    }
}

/// The attribute of a `WinHttpQueryHeadersEx` info level, or `None` (`ERROR_INVALID_PARAMETER`):
/// as [`attribute`], but the levels that are not name/value pairs (`VERSION`, `STATUS_CODE`,
/// `STATUS_TEXT`, `RAW_HEADERS_CRLF`, and the computed `REQUEST_METHOD` and `ORIG_URI`) and the
/// conversions (`FLAG_NUMBER`, `FLAG_NUMBER64`, `FLAG_SYSTEMTIME`) are refused, as Microsoft's
/// documentation lists (the two computed levels are our reading: they have no header name).
pub fn ex_attribute(info_level: u32) -> Option<Attribute> {
    if info_level & (WINHTTP_QUERY_FLAG_NUMBER | WINHTTP_QUERY_FLAG_NUMBER64 | WINHTTP_QUERY_FLAG_SYSTEMTIME) != 0 {
        return None;
    }
    match attribute(info_level)? {
        Attribute::Version
        | Attribute::StatusCode
        | Attribute::StatusText
        | Attribute::RawHeadersCrlf
        | Attribute::RequestMethod
        | Attribute::OrigUri => None,
        a => Some(a),
    }
}

/// Every three-digit status code as text, "100" to "999", one after the other.
static STATUS_TEXT: [u8; 2700] = {
    let mut t = [0u8; 2700];
    let mut code = 100;
    while code < 1000 {
        let i = (code - 100) * 3;
        t[i] = b'0' + (code / 100) as u8;
        t[i + 1] = b'0' + (code / 10 % 10) as u8;
        t[i + 2] = b'0' + (code % 10) as u8;
        code += 1;
    }
    t
};

/// A status code as text, without an allocation for the three-digit ones.
fn status_text(code: u16) -> std::borrow::Cow<'static, str> {
    match code {
        100..=999 => {
            let i = (code as usize - 100) * 3;
            // SAFETY: ASCII digits.
            unsafe { core::str::from_utf8_unchecked(&STATUS_TEXT[i..i + 3]) }.into()
        }
        _ => code.to_string().into(),
    }
}

/// A query answer in the form the caller asked for with the `FLAG_*` modifiers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value<'a> {
    Text(std::borrow::Cow<'a, str>),
    /// `WINHTTP_QUERY_FLAG_NUMBER`: a `DWORD`.
    Number(u32),
    /// `WINHTTP_QUERY_FLAG_NUMBER64`: a `ULONGLONG`.
    Number64(u64),
    /// `WINHTTP_QUERY_FLAG_SYSTEMTIME`: an HTTP date read as a `SYSTEMTIME`.
    Time(SYSTEMTIME),
}

/// The leading decimal digits of `s` (after spaces and tabs), saturated; `None` without digits.
fn leading_number(s: &str) -> Option<u64> {
    let s = s.trim_start_matches([' ', '\t']);
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    Some(s.as_bytes()[..digits].iter().fold(0u64, |v, d| v.saturating_mul(10).saturating_add((d - b'0') as u64)))
}

/// Converts a text answer as the modifier bits of `info_level` ask: `FLAG_NUMBER` (saturating
/// at `u32::MAX`), then `FLAG_NUMBER64`, then `FLAG_SYSTEMTIME`; text otherwise. A value that is
/// not a number or not a date fails with `ERROR_WINHTTP_INVALID_QUERY_REQUEST`.
pub fn convert(text: std::borrow::Cow<'_, str>, info_level: u32) -> Result<Value<'_>, DWORD> {
    if info_level & WINHTTP_QUERY_FLAG_NUMBER != 0 {
        let n = leading_number(&text).ok_or(ERROR_WINHTTP_INVALID_QUERY_REQUEST)?;
        Ok(Value::Number(n.min(u32::MAX as u64) as u32))
    } else if info_level & WINHTTP_QUERY_FLAG_NUMBER64 != 0 {
        Ok(Value::Number64(leading_number(&text).ok_or(ERROR_WINHTTP_INVALID_QUERY_REQUEST)?))
    } else if info_level & WINHTTP_QUERY_FLAG_SYSTEMTIME != 0 {
        time::parse_http_date(&text).map(Value::Time).ok_or(ERROR_WINHTTP_INVALID_QUERY_REQUEST)
    } else {
        Ok(Value::Text(text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(list: &HeaderList, name: &str) -> Vec<String> {
        list.get_all(name).map(str::to_owned).collect()
    }

    #[test]
    fn parse_line_accepts_and_rejects() {
        assert_eq!(parse_line("Warning:test1"), Ok(("Warning", "test1")));
        assert_eq!(parse_line("a:"), Ok(("a", "")));
        assert_eq!(parse_line("field: value "), Ok(("field", "value")));
        assert_eq!(parse_line("name:   spaced  value"), Ok(("name", "spaced  value")));
        assert_eq!(parse_line("X-Colon: a:b"), Ok(("X-Colon", "a:b")));
        assert_eq!(parse_line("x!#$%&'*+-.^_`|~9: v"), Ok(("x!#$%&'*+-.^_`|~9", "v")));
        for bad in
            [":", ":b", "cd", " e :f", "e :f", "a b: c", "(x): y", "na\u{e9}me: v", "\tn: v", "x\0: y", "x: a\0b"]
        {
            assert_eq!(parse_line(bad), Err(HeaderError::Invalid), "{bad:?}");
        }
    }

    #[test]
    fn parse_lines_splits_on_any_cr_lf_run() {
        let want = vec![("a", "1"), ("b", "2")];
        for text in
            ["a: 1\r\nb: 2", "a: 1\n\rb: 2", "a: 1\nb: 2", "a: 1\n\n\nb: 2", "a: 1\r\r\rb: 2", "a: 1\r\n\r\nb: 2\r\n"]
        {
            assert_eq!(parse_lines(text), Ok(want.clone()), "{text:?}");
        }
        assert_eq!(parse_lines("Range: bytes=0-773\r\n"), Ok(vec![("Range", "bytes=0-773")]));
        assert_eq!(parse_lines("\r\nA: b\r\n\r\n"), Ok(vec![("A", "b")]));
        assert_eq!(parse_lines(""), Ok(vec![]));
        assert_eq!(parse_lines("\r\n"), Ok(vec![]));
        assert_eq!(parse_lines("a: 1\r\ncd\r\nb: 2"), Err(HeaderError::Invalid));
    }

    #[test]
    fn lookup_is_case_insensitive_and_indexed() {
        let mut l = HeaderList::new();
        l.push("Warning", "one");
        l.push("Other", "x");
        l.push("WARNING", "two");
        assert_eq!(l.get("warning"), Some("one"));
        assert_eq!(l.nth("wArNiNg", 1), Some("two"));
        assert_eq!(l.nth("warning", 2), None);
        assert!(l.contains("OTHER"));
        assert!(!l.contains("missing"));
        assert_eq!(l.len(), 3);
        assert_eq!(l.remove("warning"), 2);
        assert_eq!(l.len(), 1);
    }

    #[test]
    fn set_keeps_one_value_in_place() {
        let mut l = HeaderList::new();
        l.push("A", "1");
        l.push("B", "2");
        l.push("a", "3");
        l.set("a", "9");
        assert_eq!(l.iter().collect::<Vec<_>>(), [("A", "9"), ("B", "2")]);
        l.set("C", "4");
        assert_eq!(l.get("c"), Some("4"));
    }

    #[test]
    fn the_warning_sequence() {
        let mut l = HeaderList::new();
        l.add_text("Warning:test1", WINHTTP_ADDREQ_FLAG_ADD).unwrap();
        l.add_text("Warning:test2", WINHTTP_ADDREQ_FLAG_ADD).unwrap();
        assert_eq!(values(&l, "Warning"), ["test1", "test2"]);

        l.add_text("Warning:test3", WINHTTP_ADDREQ_FLAG_REPLACE).unwrap();
        assert_eq!(values(&l, "Warning"), ["test2", "test3"]);

        assert_eq!(l.add_text("Warning:test4", WINHTTP_ADDREQ_FLAG_ADD_IF_NEW), Err(HeaderError::AlreadyExists));
        assert_eq!(values(&l, "Warning"), ["test2", "test3"]);

        l.add_text("Warning:test4", WINHTTP_ADDREQ_FLAG_COALESCE_WITH_COMMA).unwrap();
        assert_eq!(values(&l, "Warning"), ["test2, test4", "test3"]);
        l.add_text("Warning:test5", WINHTTP_ADDREQ_FLAG_COALESCE_WITH_COMMA).unwrap();
        assert_eq!(values(&l, "Warning"), ["test2, test4, test5", "test3"]);
        l.add_text("Warning:test6", WINHTTP_ADDREQ_FLAG_COALESCE_WITH_SEMICOLON).unwrap();
        assert_eq!(values(&l, "Warning"), ["test2, test4, test5; test6", "test3"]);

        l.add_text("Warning:test4", WINHTTP_ADDREQ_FLAG_ADD | WINHTTP_ADDREQ_FLAG_REPLACE).unwrap();
        assert_eq!(values(&l, "Warning"), ["test3", "test4"]);
    }

    #[test]
    fn replace_semantics() {
        let mut l = HeaderList::new();
        assert_eq!(l.apply("name", "value", WINHTTP_ADDREQ_FLAG_REPLACE), Err(HeaderError::NotFound));
        assert_eq!(l.apply("name", "", WINHTTP_ADDREQ_FLAG_REPLACE), Err(HeaderError::NotFound));
        l.apply("name", "value", 0).unwrap();
        assert_eq!(l.get("name"), Some("value"));
        l.apply("NAME", "", WINHTTP_ADDREQ_FLAG_REPLACE).unwrap();
        assert!(l.is_empty());
        l.apply("x", "1", WINHTTP_ADDREQ_FLAG_ADD | WINHTTP_ADDREQ_FLAG_REPLACE).unwrap();
        assert_eq!(l.get("x"), Some("1"));
        l.apply("y", "", WINHTTP_ADDREQ_FLAG_ADD | WINHTTP_ADDREQ_FLAG_REPLACE).unwrap();
        assert_eq!(l.get("y"), Some(""));
    }

    #[test]
    fn apply_refuses_what_could_split_the_message() {
        let mut l = HeaderList::new();
        for (n, v) in [
            ("", "v"),
            ("a b", "v"),
            ("a:b", "v"),
            ("a\r\nb", "v"),
            ("a", "x\r\nInjected: 1"),
            ("a", "x\ny"),
            ("a", "x\0"),
        ] {
            assert_eq!(l.apply(n, v, WINHTTP_ADDREQ_FLAG_ADD), Err(HeaderError::Invalid), "{n:?}: {v:?}");
        }
        assert!(l.is_empty());
    }

    #[test]
    fn coalesce_and_add_if_new_when_absent_add() {
        let mut l = HeaderList::new();
        l.apply("a", "1", WINHTTP_ADDREQ_FLAG_COALESCE_WITH_SEMICOLON).unwrap();
        l.apply("b", "2", WINHTTP_ADDREQ_FLAG_ADD_IF_NEW).unwrap();
        l.apply("c", "3", WINHTTP_ADDREQ_FLAG_COALESCE_WITH_COMMA | WINHTTP_ADDREQ_FLAG_COALESCE_WITH_SEMICOLON)
            .unwrap();
        l.apply("c", "4", WINHTTP_ADDREQ_FLAG_COALESCE_WITH_COMMA | WINHTTP_ADDREQ_FLAG_COALESCE_WITH_SEMICOLON)
            .unwrap();
        assert_eq!(l.get("a"), Some("1"));
        assert_eq!(l.get("b"), Some("2"));
        assert_eq!(l.get("c"), Some("3, 4"));
    }

    #[test]
    fn add_text_is_atomic_on_parse_errors() {
        let mut l = HeaderList::new();
        assert_eq!(l.add_text("a: 1\r\n:b", 0), Err(HeaderError::Invalid));
        assert!(l.is_empty());
        // A modifier failure stops at that header; earlier ones stay.
        assert_eq!(l.add_text("a: 1\r\nb: 2", WINHTTP_ADDREQ_FLAG_ADD_IF_NEW), Ok(()));
        assert_eq!(l.add_text("c: 3\r\na: 4", WINHTTP_ADDREQ_FLAG_ADD_IF_NEW), Err(HeaderError::AlreadyExists));
        assert_eq!(l.get("c"), Some("3"));
        assert_eq!(l.get("a"), Some("1"));
    }

    #[test]
    fn several_headers_in_one_call() {
        let mut l = HeaderList::new();
        l.add_text("Cookie: 111\n\rX-A: 1\r\r\rX-B: 2\n\n\nX-C: 3\r\n\r\nX-D: 4", 0).unwrap();
        let mut out = String::new();
        l.write_lines(&mut out);
        assert_eq!(out, "Cookie: 111\r\nX-A: 1\r\nX-B: 2\r\nX-C: 3\r\nX-D: 4\r\n");
    }

    fn request_block(headers: &HeaderList) -> HeaderBlock<'_> {
        HeaderBlock {
            start: StartLine::Request { method: "POST", target: "/posttest.php", version: "HTTP/1.1" },
            headers,
        }
    }

    #[test]
    fn raw_forms() {
        let mut l = HeaderList::new();
        l.push("Warning", "test1");
        l.push("a", "");
        let b = request_block(&l);
        assert_eq!(b.raw_crlf(), "POST /posttest.php HTTP/1.1\r\nWarning: test1\r\na: \r\n\r\n");
        assert_eq!(b.raw_nul(), "POST /posttest.php HTTP/1.1\0Warning: test1\0a: \0");
        let empty = HeaderList::new();
        let b = request_block(&empty);
        assert_eq!(b.raw_crlf(), "POST /posttest.php HTTP/1.1\r\n\r\n");
        assert_eq!(b.raw_nul(), "POST /posttest.php HTTP/1.1\0");
    }

    #[test]
    fn attributes() {
        assert_eq!(attribute(1), Some(Attribute::Header("Content-Type")));
        assert_eq!(attribute(23), Some(Attribute::Header("Connection")));
        assert_eq!(attribute(33), Some(Attribute::Header("Location")));
        assert_eq!(attribute(40), Some(Attribute::Header("WWW-Authenticate")));
        assert_eq!(attribute(43), Some(Attribute::Header("Set-Cookie")));
        assert_eq!(attribute(44), Some(Attribute::Header("Cookie")));
        assert_eq!(attribute(63), Some(Attribute::Header("Transfer-Encoding")));
        assert_eq!(attribute(64), Some(Attribute::Header("Upgrade")));
        assert_eq!(attribute(67), Some(Attribute::Header("Warning")));
        assert_eq!(attribute(18), Some(Attribute::Version));
        assert_eq!(attribute(20), Some(Attribute::StatusText));
        assert_eq!(attribute(21), Some(Attribute::RawHeaders));
        assert_eq!(attribute(22), Some(Attribute::RawHeadersCrlf));
        assert_eq!(attribute(34), Some(Attribute::OrigUri));
        assert_eq!(attribute(45), Some(Attribute::RequestMethod));
        assert_eq!(attribute(72), Some(Attribute::Unassigned));
        assert_eq!(attribute(78), Some(Attribute::Header("PassportConfig")));
        assert_eq!(attribute(79), None);
        assert_eq!(attribute(0x0001_0000), None);
        assert_eq!(attribute(65535), Some(Attribute::Custom));
        assert_eq!(attribute(65535 | WINHTTP_QUERY_FLAG_REQUEST_HEADERS), Some(Attribute::Custom));
        assert_eq!(
            attribute(5 | WINHTTP_QUERY_FLAG_NUMBER | WINHTTP_QUERY_FLAG_REQUEST_HEADERS),
            Some(Attribute::Header("Content-Length"))
        );
        assert_eq!(header_name(9), Some("Date"));
        assert_eq!(header_name(19), None);
        // Every named level's header name is a valid token.
        for a in ATTRIBUTES {
            if let Attribute::Header(n) = a {
                assert!(parse_line(&format!("{n}: x")).is_ok(), "{n}");
            }
        }
    }

    #[test]
    fn queries_on_a_request_block() {
        let mut l = HeaderList::new();
        l.push("Warning", "one");
        l.push("warning", "two");
        let b = request_block(&l);
        let facts = RequestFacts { method: "POST", original_uri: None };
        let q = |attr, name, index| b.query(&facts, attr, name, index);
        assert_eq!(q(Attribute::Custom, Some("WARNING"), 0), Ok(Answer { text: "one".into(), indexed: true }));
        assert_eq!(q(Attribute::Custom, Some("Warning"), 1).unwrap().text, "two");
        assert_eq!(q(Attribute::Custom, Some("Warning"), 2), Err(ERROR_WINHTTP_HEADER_NOT_FOUND));
        assert_eq!(q(Attribute::Custom, None, 0), Err(ERROR_INVALID_PARAMETER));
        assert_eq!(q(Attribute::Header("Warning"), None, 1).unwrap().text, "two");
        assert_eq!(q(Attribute::Header("Date"), None, 0), Err(ERROR_WINHTTP_HEADER_NOT_FOUND));
        assert_eq!(q(Attribute::RequestMethod, None, 7), Ok(Answer { text: "POST".into(), indexed: false }));
        assert_eq!(q(Attribute::Version, None, 0).unwrap().text, "HTTP/1.1");
        assert_eq!(q(Attribute::StatusCode, None, 0), Err(ERROR_WINHTTP_HEADER_NOT_FOUND));
        assert_eq!(q(Attribute::StatusText, None, 0), Err(ERROR_WINHTTP_HEADER_NOT_FOUND));
        assert_eq!(q(Attribute::OrigUri, None, 0), Err(ERROR_WINHTTP_HEADER_NOT_FOUND));
        assert_eq!(q(Attribute::Unassigned, None, 0), Err(ERROR_WINHTTP_HEADER_NOT_FOUND));
        assert!(!q(Attribute::RawHeadersCrlf, None, 0).unwrap().indexed);
        let facts = RequestFacts { method: "GET", original_uri: Some("http://a/") };
        assert_eq!(b.query(&facts, Attribute::OrigUri, None, 0).unwrap().text, "http://a/");
    }

    #[test]
    fn queries_on_a_status_block() {
        let mut l = HeaderList::new();
        l.push("Content-Length", "1234");
        l.push("Date", "Mon, 28 Jul 2008 10:05:52 GMT");
        l.push("WWW-Authenticate", "Bearer");
        l.push("WWW-Authenticate", "Basic realm=x");
        let b = HeaderBlock {
            start: StartLine::Status { version: "HTTP/1.1", code: 401, reason: "Unauthorized" },
            headers: &l,
        };
        let facts = RequestFacts { method: "GET", original_uri: None };
        assert_eq!(b.query(&facts, Attribute::StatusCode, None, 0).unwrap().text, "401");
        assert_eq!(b.query(&facts, Attribute::StatusText, None, 0).unwrap().text, "Unauthorized");
        assert_eq!(b.query(&facts, Attribute::Header("WWW-Authenticate"), None, 0).unwrap().text, "Bearer");
        assert_eq!(b.query(&facts, Attribute::RequestMethod, None, 0).unwrap().text, "GET");
        assert_eq!(
            b.raw_crlf(),
            "HTTP/1.1 401 Unauthorized\r\nContent-Length: 1234\r\nDate: Mon, 28 Jul 2008 10:05:52 GMT\r\n\
             WWW-Authenticate: Bearer\r\nWWW-Authenticate: Basic realm=x\r\n\r\n"
        );
    }

    #[test]
    fn conversions() {
        assert_eq!(convert("1234".into(), 5), Ok(Value::Text("1234".into())));
        assert_eq!(convert("1234".into(), 5 | WINHTTP_QUERY_FLAG_NUMBER), Ok(Value::Number(1234)));
        assert_eq!(convert(" 42abc".into(), WINHTTP_QUERY_FLAG_NUMBER), Ok(Value::Number(42)));
        assert_eq!(convert("99999999999".into(), WINHTTP_QUERY_FLAG_NUMBER), Ok(Value::Number(u32::MAX)));
        assert_eq!(convert("99999999999".into(), WINHTTP_QUERY_FLAG_NUMBER64), Ok(Value::Number64(99_999_999_999)));
        assert_eq!(convert("abc".into(), WINHTTP_QUERY_FLAG_NUMBER), Err(ERROR_WINHTTP_INVALID_QUERY_REQUEST));
        assert_eq!(convert("".into(), WINHTTP_QUERY_FLAG_NUMBER64), Err(ERROR_WINHTTP_INVALID_QUERY_REQUEST));
        let t = convert("Mon, 28 Jul 2008 10:05:52 GMT".into(), WINHTTP_QUERY_FLAG_SYSTEMTIME).unwrap();
        assert_eq!(
            t,
            Value::Time(SYSTEMTIME {
                wYear: 2008,
                wMonth: 7,
                wDayOfWeek: 1,
                wDay: 28,
                wHour: 10,
                wMinute: 5,
                wSecond: 52,
                wMilliseconds: 0
            })
        );
        assert_eq!(convert("soon".into(), WINHTTP_QUERY_FLAG_SYSTEMTIME), Err(ERROR_WINHTTP_INVALID_QUERY_REQUEST));
    }

    #[test]
    fn ex_levels_and_pairs() {
        assert_eq!(ex_attribute(WINHTTP_QUERY_EX_ALL_HEADERS), Some(Attribute::RawHeaders));
        assert_eq!(ex_attribute(WINHTTP_QUERY_CUSTOM | WINHTTP_QUERY_FLAG_WIRE_ENCODING), Some(Attribute::Custom));
        assert_eq!(ex_attribute(WINHTTP_QUERY_DATE), Some(Attribute::Header("Date")));
        for bad in [
            WINHTTP_QUERY_VERSION,
            WINHTTP_QUERY_STATUS_CODE,
            WINHTTP_QUERY_STATUS_TEXT,
            WINHTTP_QUERY_RAW_HEADERS_CRLF,
            WINHTTP_QUERY_REQUEST_METHOD,
            WINHTTP_QUERY_DATE | WINHTTP_QUERY_FLAG_SYSTEMTIME,
            WINHTTP_QUERY_CONTENT_LENGTH | WINHTTP_QUERY_FLAG_NUMBER64,
            WINHTTP_QUERY_MAX + 1,
        ] {
            assert_eq!(ex_attribute(bad), None, "{bad}");
        }
        let mut list = HeaderList::new();
        list.push("A", "1");
        list.push("b", "2");
        list.push("a", "3");
        let block =
            HeaderBlock { start: StartLine::Status { version: "HTTP/1.1", code: 200, reason: "OK" }, headers: &list };
        let pairs = |v: &[(&str, &str)]| v.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect::<Vec<_>>();
        assert_eq!(block.query_ex(Attribute::RawHeaders, None, 7), Ok(pairs(&[("A", "1"), ("b", "2"), ("a", "3")])));
        assert_eq!(block.query_ex(Attribute::Custom, Some("A"), 1), Ok(pairs(&[("a", "3")])));
        assert_eq!(block.query_ex(Attribute::Custom, Some("A"), 2), Err(ERROR_WINHTTP_HEADER_NOT_FOUND));
        assert_eq!(block.query_ex(Attribute::Header("Date"), None, 0), Err(ERROR_WINHTTP_HEADER_NOT_FOUND));
        assert_eq!(block.query_ex(Attribute::Version, None, 0), Err(ERROR_INVALID_PARAMETER));
    }
}
