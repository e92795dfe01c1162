//! `WINHTTP_LOG` diagnostics: one line per event, with a timestamp and the OS thread id, to
//! stderr or to `WINHTTP_LOG_FILE`. A leaf: it knows the C vocabulary (names of errors, statuses
//! and options) and nothing of the engine; the hook sites format what they know.
//!
//! `WINHTTP_LOG` is a list of categories separated by commas (or spaces):
//! `api` (every exported call: arguments, result, last error by name, duration), `callbacks`
//! (every status notification delivered: handle, context, status by name, payload),
//! `wire` (request and response heads, line by line), `tls` (handshakes: outcome, protocol,
//! certificate problems found and waived), `pool` (connections opened, reused, pooled, closed,
//! and why), `body` (body bytes too, with `wire`), `all` (everything but `body`). Levels: `0`
//! off, `1` api, `2` api and callbacks, `3` all, `4` all and body.
//!
//! Cost when off: one relaxed atomic load per hook site ([`on`]). The environment is read once,
//! at the first hook reached (a `OnceLock`); setting the variables after the first `WinHttp*`
//! call changes nothing.
//!
//! Never logged: the values of `Authorization`, `Proxy-Authorization`, `Cookie` and
//! `Set-Cookie` (written `<redacted>`), the user-info part of URLs, password options, and bodies
//! unless `body` is asked for.

use crate::abi::*;
use std::borrow::Cow;
use std::fmt::{self, Write as _};
use std::io::Write as _;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock};

/// Every exported `WinHttp*` call.
pub const API: u32 = 1 << 0;
/// Every status callback delivered.
pub const CALLBACKS: u32 = 1 << 1;
/// Request and response heads.
pub const WIRE: u32 = 1 << 2;
/// TLS handshakes.
pub const TLS: u32 = 1 << 3;
/// Keep-alive pool decisions.
pub const POOL: u32 = 1 << 4;
/// Body bytes (with `WIRE`).
pub const BODY: u32 = 1 << 5;
/// `all`: everything but bodies.
pub const ALL: u32 = API | CALLBACKS | WIRE | TLS | POOL;

/// Set until the configuration has been read.
const UNREAD: u32 = 1 << 31;

static MASK: AtomicU32 = AtomicU32::new(UNREAD);

/// Most bytes of a body shown per event.
pub const BODY_LIMIT: usize = 4096;

/// The categories' names, in the order of their bits.
const CATEGORIES: [(&str, u32); 6] =
    [("api", API), ("callbacks", CALLBACKS), ("wire", WIRE), ("tls", TLS), ("pool", POOL), ("body", BODY)];

/// True when `category` is logged. One relaxed load once the configuration is read.
#[inline(always)]
pub fn on(category: u32) -> bool {
    let m = MASK.load(Ordering::Relaxed);
    if m & (category | UNREAD) == 0 {
        return false;
    }
    m & UNREAD == 0 || init() & category != 0
}

/// Logs a line in `category` when it is on: `trace!(log::POOL, "reused {}", route)`.
macro_rules! trace {
    ($category:expr, $($arg:tt)+) => {
        if $crate::engine::log::on($category) {
            $crate::engine::log::emit($category, format_args!($($arg)+))
        }
    };
}
pub(crate) use trace;

struct Config {
    mask: u32,
    sink: Mutex<Sink>,
}

enum Sink {
    Stderr,
    File(std::fs::File),
}

fn config() -> &'static Config {
    static CONFIG: OnceLock<Config> = OnceLock::new();
    CONFIG.get_or_init(|| {
        let spec = std::env::var("WINHTTP_LOG").unwrap_or_default();
        let (mask, unknown) = parse(&spec);
        let mut notes = Vec::new();
        if !unknown.is_empty() {
            notes
                .push(format!("WINHTTP_LOG: ignored {:?} (categories: api,callbacks,wire,tls,pool,body,all)", unknown));
        }
        let sink = match std::env::var_os("WINHTTP_LOG_FILE").filter(|p| !p.is_empty() && mask != 0) {
            None => Sink::Stderr,
            Some(path) => match std::fs::OpenOptions::new().create(true).append(true).open(&path) {
                Ok(f) => Sink::File(f),
                Err(e) => {
                    notes.push(format!(
                        "WINHTTP_LOG_FILE: cannot open {}: {e}; logging to stderr",
                        std::path::Path::new(&path).display()
                    ));
                    Sink::Stderr
                }
            },
        };
        let config = Config { mask, sink: Mutex::new(sink) };
        for note in notes.iter().filter(|_| mask != 0) {
            config.write(&line(&timestamp(), thread_id(), "log", note));
        }
        config
    })
}

#[cold]
fn init() -> u32 {
    let mask = config().mask;
    MASK.store(mask, Ordering::Relaxed);
    mask
}

impl Config {
    fn write(&self, line: &str) {
        let mut sink = self.sink.lock().unwrap_or_else(|p| p.into_inner());
        // One write per line, so lines of different threads never interleave.
        let _ = match &mut *sink {
            Sink::Stderr => std::io::stderr().lock().write_all(line.as_bytes()),
            Sink::File(f) => f.write_all(line.as_bytes()),
        };
    }
}

/// Parses `WINHTTP_LOG`: the mask, and the words it did not know.
pub fn parse(spec: &str) -> (u32, Vec<String>) {
    let mut mask = 0;
    let mut unknown = Vec::new();
    for word in spec.split(|c: char| c == ',' || c == ';' || c.is_whitespace()).filter(|w| !w.is_empty()) {
        let w = word.to_ascii_lowercase();
        mask |= match w.as_str() {
            "0" | "off" | "none" => 0,
            "1" => API,
            "2" => API | CALLBACKS,
            "3" | "all" | "*" | "on" => ALL,
            "4" => ALL | BODY,
            "callback" => CALLBACKS,
            "body" | "bodies" => WIRE | BODY,
            _ => match CATEGORIES.iter().find(|(name, _)| *name == w) {
                Some(&(_, bit)) => bit,
                None => {
                    unknown.push(word.to_string());
                    0
                }
            },
        };
    }
    (mask, unknown)
}

/// The name of a category bit, as lines show it.
fn category_name(category: u32) -> &'static str {
    CATEGORIES.iter().find(|(_, bit)| category & bit != 0).map_or("log", |(name, _)| name)
}

/// Writes one event (callers check [`on`] first, or use [`trace!`]).
#[cold]
pub fn emit(category: u32, message: fmt::Arguments<'_>) {
    let text = match message.as_str() {
        Some(s) => Cow::Borrowed(s),
        None => Cow::Owned(message.to_string()),
    };
    config().write(&line(&timestamp(), thread_id(), category_name(category), &text));
}

/// One line: `2026-12-01T23:45:01.123456Z tid=4242 api WinHttpOpen(...) -> 0x1 ...`. Control
/// characters in `message` are escaped, so an event is always one line.
pub fn line(timestamp: &str, tid: u64, category: &str, message: &str) -> String {
    let mut out = String::with_capacity(timestamp.len() + category.len() + message.len() + 24);
    let _ = write!(out, "{timestamp} tid={tid} {category} ");
    for c in message.chars() {
        push_escaped(&mut out, c);
    }
    out.push('\n');
    out
}

fn push_escaped(out: &mut String, c: char) {
    match c {
        '\r' => out.push_str("\\r"),
        '\n' => out.push_str("\\n"),
        '\t' => out.push_str("\\t"),
        c if c.is_control() => {
            let _ = write!(out, "\\x{:02x}", c as u32);
        }
        c => out.push(c),
    }
}

/// The time now in UTC, `YYYY-MM-DDTHH:MM:SS.uuuuuuZ`.
pub fn timestamp() -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    format_time(now.as_secs(), now.subsec_micros())
}

/// Seconds since 1970 and microseconds as a UTC timestamp.
pub fn format_time(secs: u64, micros: u32) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (proleptic Gregorian, eras of 400 years).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{micros:06}Z", rem / 3600, rem / 60 % 60, rem % 60)
}

/// The OS thread id (what `gettid`, `ps -L`, gdb and strace show), cached per thread.
pub fn thread_id() -> u64 {
    thread_local! {
        static TID: u64 = os_thread_id();
    }
    TID.with(|t| *t)
}

#[cfg(target_os = "linux")]
fn os_thread_id() -> u64 {
    // SAFETY: gettid takes no arguments and cannot fail.
    unsafe { libc::syscall(libc::SYS_gettid) as u64 }
}

#[cfg(target_os = "macos")]
fn os_thread_id() -> u64 {
    let mut id = 0u64;
    // SAFETY: NULL asks for the calling thread; `id` is a valid out pointer.
    unsafe { libc::pthread_threadid_np(0 as libc::pthread_t, &mut id) };
    id
}

#[cfg(not(any(target_os = "linux", target_os = "macos")))]
fn os_thread_id() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

// ---------------------------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------------------------

macro_rules! names {
    ($($name:ident),* $(,)?) => { &[$(($name, stringify!($name))),*] };
}

fn lookup(table: &[(DWORD, &'static str)], v: DWORD) -> Option<&'static str> {
    table.iter().find(|(k, _)| *k == v).map(|(_, n)| *n)
}

/// An error code by name (`ERROR_WINHTTP_TIMEOUT`), or its number.
pub fn error_name(code: DWORD) -> Cow<'static, str> {
    lookup(ERRORS, code).map_or_else(|| Cow::Owned(code.to_string()), Cow::Borrowed)
}

/// A status by name without its prefix (`SENDING_REQUEST`), or its number in hex.
pub fn status_name(status: DWORD) -> Cow<'static, str> {
    match lookup(STATUSES, status) {
        Some(n) => Cow::Borrowed(n.trim_start_matches("WINHTTP_CALLBACK_STATUS_")),
        None => Cow::Owned(format!("{status:#x}")),
    }
}

/// An option by name (`WINHTTP_OPTION_CONNECT_TIMEOUT`), or its number.
pub fn option_name(option: DWORD) -> Cow<'static, str> {
    match lookup(OPTIONS, option) {
        Some(n) => Cow::Borrowed(n),
        None => Cow::Owned(format!("option {option} ({option:#x})")),
    }
}

/// An `API_*` value of a `REQUEST_ERROR` by name.
pub fn api_name(api: usize) -> Cow<'static, str> {
    const APIS: &[(DWORD, &str)] = names![
        API_RECEIVE_RESPONSE,
        API_QUERY_DATA_AVAILABLE,
        API_READ_DATA,
        API_WRITE_DATA,
        API_SEND_REQUEST,
        API_GET_PROXY_FOR_URL,
        API_GET_PROXY_SETTINGS,
    ];
    DWORD::try_from(api).ok().and_then(|a| lookup(APIS, a)).map_or_else(|| Cow::Owned(api.to_string()), Cow::Borrowed)
}

/// `WINHTTP_CALLBACK_STATUS_FLAG_*` certificate problem bits by name (`INVALID_CA|CERT_CN_INVALID`).
pub fn cert_flags(flags: DWORD) -> String {
    const FLAGS: &[(DWORD, &str)] = names![
        WINHTTP_CALLBACK_STATUS_FLAG_CERT_REV_FAILED,
        WINHTTP_CALLBACK_STATUS_FLAG_INVALID_CERT,
        WINHTTP_CALLBACK_STATUS_FLAG_CERT_REVOKED,
        WINHTTP_CALLBACK_STATUS_FLAG_INVALID_CA,
        WINHTTP_CALLBACK_STATUS_FLAG_CERT_CN_INVALID,
        WINHTTP_CALLBACK_STATUS_FLAG_CERT_DATE_INVALID,
        WINHTTP_CALLBACK_STATUS_FLAG_CERT_WRONG_USAGE,
        WINHTTP_CALLBACK_STATUS_FLAG_SECURITY_CHANNEL_ERROR,
    ];
    if flags == 0 {
        return "none".into();
    }
    let mut out = String::new();
    let mut left = flags;
    for (bit, name) in FLAGS {
        if flags & bit != 0 {
            if !out.is_empty() {
                out.push('|');
            }
            out.push_str(name.trim_start_matches("WINHTTP_CALLBACK_STATUS_FLAG_"));
            left &= !bit;
        }
    }
    if left != 0 {
        let _ = write!(out, "{}{left:#x}", if out.is_empty() { "" } else { "|" });
    }
    out
}

/// A handle value as lines show it (`0x3`, `NULL`).
pub fn handle(h: HINTERNET) -> String {
    if h.is_null() { "NULL".into() } else { format!("{:#x}", h as usize) }
}

// ---------------------------------------------------------------------------------------------
// Redaction and quoting
// ---------------------------------------------------------------------------------------------

/// Headers whose values never reach a log line.
pub const SECRET_HEADERS: [&str; 4] = ["authorization", "proxy-authorization", "cookie", "set-cookie"];

/// Options whose values never reach a log line.
pub fn secret_option(option: DWORD) -> bool {
    matches!(
        option,
        WINHTTP_OPTION_PASSWORD
            | WINHTTP_OPTION_PROXY_PASSWORD
            | WINHTTP_OPTION_PORTABLE_CLIENT_CERT_PEM
            | WINHTTP_OPTION_CLIENT_CERT_CONTEXT
            | WINHTTP_OPTION_GLOBAL_PROXY_CREDS
            | WINHTTP_OPTION_GLOBAL_SERVER_CREDS
    )
}

/// One head or header line with a secret header's value replaced by `<redacted>`, and URL
/// user-info removed.
pub fn redact_line(line: &str) -> Cow<'_, str> {
    if let Some(colon) = line.find(':') {
        let name = line[..colon].trim();
        if SECRET_HEADERS.iter().any(|s| s.eq_ignore_ascii_case(name)) {
            return Cow::Owned(format!("{}: <redacted>", &line[..colon]));
        }
    }
    redact_userinfo(line)
}

/// Removes the user-info (`user:password@`) of every URL or proxy entry in `text`.
pub fn redact_userinfo(text: &str) -> Cow<'_, str> {
    if !text.contains('@') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        // A token ends at whitespace or a list separator.
        let end = rest.find(|c: char| c.is_whitespace() || c == ';' || c == ',').unwrap_or(rest.len());
        let (token, tail) = rest.split_at(end);
        // After `scheme://`, or after `scheme=` in a proxy list (`http=user:pw@proxy:80`).
        let body_start = token.find("://").map(|i| i + 3).or_else(|| token.find('=').map(|i| i + 1)).unwrap_or(0);
        let authority_len = token[body_start..].find(['/', '?', '#']).unwrap_or(token.len() - body_start);
        match token[body_start..body_start + authority_len].rfind('@') {
            Some(at) => {
                out.push_str(&token[..body_start]);
                out.push_str("<redacted>");
                out.push_str(&token[body_start + at..]);
            }
            None => out.push_str(token),
        }
        let sep = tail.chars().next().map_or(0, char::len_utf8);
        out.push_str(&tail[..sep]);
        rest = &tail[sep..];
    }
    Cow::Owned(out)
}

/// A block of header lines (`A: b\r\nC: d`) redacted line by line, as one quoted string.
pub fn redact_headers(text: &str) -> String {
    let redacted: Vec<Cow<'_, str>> =
        text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l)).map(redact_line).collect();
    quote(&redacted.join("\r\n"))
}

/// A string in double quotes, with quotes, backslashes and control characters escaped.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c => push_escaped(&mut out, c),
        }
    }
    out.push('"');
    out
}

/// An optional string: quoted (user-info removed), or `NULL`.
pub fn opt_str(s: Option<&str>) -> String {
    s.map_or_else(|| "NULL".into(), |s| quote(&redact_userinfo(s)))
}

/// Body bytes: at most [`BODY_LIMIT`] of them, quoted, non-text bytes as `\xNN`.
pub fn bytes(data: &[u8]) -> String {
    let shown = &data[..data.len().min(BODY_LIMIT)];
    let mut out = String::with_capacity(shown.len() + 16);
    out.push('"');
    for &b in shown {
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\r' => out.push_str("\\r"),
            b'\n' => out.push_str("\\n"),
            b'\t' => out.push_str("\\t"),
            0x20..=0x7e => out.push(b as char),
            _ => {
                let _ = write!(out, "\\x{b:02x}");
            }
        }
    }
    out.push('"');
    if data.len() > shown.len() {
        let _ = write!(out, " (+{} bytes not shown)", data.len() - shown.len());
    }
    out
}

/// Logs a head (request or response) line by line under `WIRE`: `h=0x3 > GET / HTTP/1.1`.
/// `dir` is `>` for what we send, `<` for what we receive. Secret values are redacted.
pub fn head(h: HINTERNET, dir: char, raw: &[u8]) {
    let text = String::from_utf8_lossy(raw);
    let h = handle(h);
    for l in text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l)).filter(|l| !l.is_empty()) {
        emit(WIRE, format_args!("h={h} {dir} {}", redact_line(l)));
    }
}

/// Logs body bytes under `WIRE` when `body` was asked for.
pub fn body(h: HINTERNET, dir: char, data: &[u8]) {
    if on(BODY) && !data.is_empty() {
        emit(WIRE, format_args!("h={} {dir} body {} bytes {}", handle(h), data.len(), bytes(data)));
    }
}

/// What a notification carries, in words (`"127.0.0.1"`, `5 bytes`, `API_SEND_REQUEST
/// ERROR_WINHTTP_CANNOT_CONNECT`).
///
/// # Safety
/// `info` is NULL or valid for `len` bytes, laid out as WinHTTP documents for `status`.
/// `utf16`: strings are in UTF-16 units (a callback set by a `_u16` twin), else `WCHAR`s.
pub unsafe fn payload(status: DWORD, info: LPVOID, len: DWORD, utf16: bool) -> String {
    if info.is_null() {
        return String::new();
    }
    let dword = || -> Option<DWORD> {
        // SAFETY: as promised by the caller, when it holds at least a DWORD.
        (len as usize >= size_of::<DWORD>()).then(|| unsafe { info.cast::<DWORD>().read_unaligned() })
    };
    match status {
        WINHTTP_CALLBACK_STATUS_RESOLVING_NAME
        | WINHTTP_CALLBACK_STATUS_NAME_RESOLVED
        | WINHTTP_CALLBACK_STATUS_CONNECTING_TO_SERVER
        | WINHTTP_CALLBACK_STATUS_CONNECTED_TO_SERVER
        | WINHTTP_CALLBACK_STATUS_REDIRECT => {
            fn text<C: crate::proto::wide::CodeUnit>(info: LPVOID, len: DWORD) -> String {
                let units = len as usize / C::BYTES;
                // SAFETY: `len` bytes of wide characters (the caller's promise to `payload`).
                let s = unsafe { core::slice::from_raw_parts(info.cast::<C>(), units) };
                let s = s.iter().position(|c| c.to_u32() == 0).map_or(s, |n| &s[..n]);
                quote(&redact_userinfo(&crate::proto::wide::decode(s)))
            }
            if utf16 { text::<u16>(info, len) } else { text::<WCHAR>(info, len) }
        }
        WINHTTP_CALLBACK_STATUS_HANDLE_CREATED | WINHTTP_CALLBACK_STATUS_HANDLE_CLOSING
            if len as usize >= size_of::<HINTERNET>() =>
        {
            // SAFETY: a handle value.
            handle(unsafe { info.cast::<HINTERNET>().read_unaligned() })
        }
        WINHTTP_CALLBACK_STATUS_REQUEST_ERROR if len as usize >= size_of::<WINHTTP_ASYNC_RESULT>() => {
            // SAFETY: a WINHTTP_ASYNC_RESULT.
            let r = unsafe { info.cast::<WINHTTP_ASYNC_RESULT>().read_unaligned() };
            format!("{} {}", api_name(r.dwResult), error_name(r.dwError))
        }
        WINHTTP_CALLBACK_STATUS_SECURE_FAILURE => dword().map_or_else(String::new, cert_flags),
        // READ_COMPLETE's bytes are a body: `CallbackSlot::notify` logs them with `body` only.
        WINHTTP_CALLBACK_STATUS_READ_COMPLETE => format!("{len} bytes"),
        WINHTTP_CALLBACK_STATUS_REQUEST_SENT
        | WINHTTP_CALLBACK_STATUS_RESPONSE_RECEIVED
        | WINHTTP_CALLBACK_STATUS_DATA_AVAILABLE
        | WINHTTP_CALLBACK_STATUS_WRITE_COMPLETE => dword().map_or_else(String::new, |n| format!("{n} bytes")),
        WINHTTP_CALLBACK_STATUS_INTERMEDIATE_RESPONSE => dword().map_or_else(String::new, |n| format!("status {n}")),
        _ => format!("{len} bytes of info"),
    }
}

// ---------------------------------------------------------------------------------------------
// Tables (names only: generated from src/abi/)
// ---------------------------------------------------------------------------------------------

/// Every error code this library sets, by name.
const ERRORS: &[(DWORD, &str)] = names![
    ERROR_WINHTTP_OUT_OF_HANDLES,
    ERROR_WINHTTP_TIMEOUT,
    ERROR_WINHTTP_INTERNAL_ERROR,
    ERROR_WINHTTP_INVALID_URL,
    ERROR_WINHTTP_UNRECOGNIZED_SCHEME,
    ERROR_WINHTTP_NAME_NOT_RESOLVED,
    ERROR_WINHTTP_INVALID_OPTION,
    ERROR_WINHTTP_OPTION_NOT_SETTABLE,
    ERROR_WINHTTP_SHUTDOWN,
    ERROR_WINHTTP_LOGIN_FAILURE,
    ERROR_WINHTTP_OPERATION_CANCELLED,
    ERROR_WINHTTP_INCORRECT_HANDLE_TYPE,
    ERROR_WINHTTP_INCORRECT_HANDLE_STATE,
    ERROR_WINHTTP_CANNOT_CONNECT,
    ERROR_WINHTTP_CONNECTION_ERROR,
    ERROR_WINHTTP_RESEND_REQUEST,
    ERROR_WINHTTP_SECURE_CERT_DATE_INVALID,
    ERROR_WINHTTP_SECURE_CERT_CN_INVALID,
    ERROR_WINHTTP_CLIENT_AUTH_CERT_NEEDED,
    ERROR_WINHTTP_SECURE_INVALID_CA,
    ERROR_WINHTTP_SECURE_CERT_REV_FAILED,
    ERROR_WINHTTP_CANNOT_CALL_BEFORE_OPEN,
    ERROR_WINHTTP_CANNOT_CALL_BEFORE_SEND,
    ERROR_WINHTTP_CANNOT_CALL_AFTER_SEND,
    ERROR_WINHTTP_CANNOT_CALL_AFTER_OPEN,
    ERROR_WINHTTP_HEADER_NOT_FOUND,
    ERROR_WINHTTP_INVALID_SERVER_RESPONSE,
    ERROR_WINHTTP_INVALID_HEADER,
    ERROR_WINHTTP_INVALID_QUERY_REQUEST,
    ERROR_WINHTTP_HEADER_ALREADY_EXISTS,
    ERROR_WINHTTP_REDIRECT_FAILED,
    ERROR_WINHTTP_SECURE_CHANNEL_ERROR,
    ERROR_WINHTTP_BAD_AUTO_PROXY_SCRIPT,
    ERROR_WINHTTP_UNABLE_TO_DOWNLOAD_SCRIPT,
    ERROR_WINHTTP_SECURE_INVALID_CERT,
    ERROR_WINHTTP_SECURE_CERT_REVOKED,
    ERROR_WINHTTP_NOT_INITIALIZED,
    ERROR_WINHTTP_SECURE_FAILURE,
    ERROR_WINHTTP_UNHANDLED_SCRIPT_TYPE,
    ERROR_WINHTTP_SCRIPT_EXECUTION_ERROR,
    ERROR_WINHTTP_AUTO_PROXY_SERVICE_ERROR,
    ERROR_WINHTTP_SECURE_CERT_WRONG_USAGE,
    ERROR_WINHTTP_AUTODETECTION_FAILED,
    ERROR_WINHTTP_HEADER_COUNT_EXCEEDED,
    ERROR_WINHTTP_HEADER_SIZE_OVERFLOW,
    ERROR_WINHTTP_CHUNKED_ENCODING_HEADER_SIZE_OVERFLOW,
    ERROR_WINHTTP_RESPONSE_DRAIN_OVERFLOW,
    ERROR_WINHTTP_CLIENT_CERT_NO_PRIVATE_KEY,
    ERROR_WINHTTP_CLIENT_CERT_NO_ACCESS_PRIVATE_KEY,
    ERROR_WINHTTP_CLIENT_AUTH_CERT_NEEDED_PROXY,
    ERROR_WINHTTP_SECURE_FAILURE_PROXY,
    ERROR_WINHTTP_RESERVED_189,
    ERROR_WINHTTP_HTTP_PROTOCOL_MISMATCH,
    ERROR_WINHTTP_GLOBAL_CALLBACK_FAILED,
    ERROR_WINHTTP_FEATURE_DISABLED,
    ERROR_WINHTTP_FAST_FORWARDING_NOT_SUPPORTED,
    ERROR_SUCCESS,
    ERROR_FILE_NOT_FOUND,
    ERROR_ACCESS_DENIED,
    ERROR_INVALID_HANDLE,
    ERROR_NOT_ENOUGH_MEMORY,
    ERROR_INVALID_DATA,
    ERROR_OUTOFMEMORY,
    ERROR_NOT_SUPPORTED,
    ERROR_INVALID_PARAMETER,
    ERROR_CALL_NOT_IMPLEMENTED,
    ERROR_INSUFFICIENT_BUFFER,
    ERROR_MORE_DATA,
    ERROR_NO_MORE_ITEMS,
    ERROR_IO_PENDING,
    ERROR_INVALID_FLAGS,
    ERROR_NOT_FOUND,
    ERROR_CONNECTION_ABORTED,
    ERROR_INVALID_SERVER_STATE,
    ERROR_TIMEOUT,
    ERROR_INVALID_OPERATION,
];

/// The `WINHTTP_CALLBACK_STATUS_*` values, by name (without the prefix).
const STATUSES: &[(DWORD, &str)] = names![
    WINHTTP_CALLBACK_STATUS_RESOLVING_NAME,
    WINHTTP_CALLBACK_STATUS_NAME_RESOLVED,
    WINHTTP_CALLBACK_STATUS_CONNECTING_TO_SERVER,
    WINHTTP_CALLBACK_STATUS_CONNECTED_TO_SERVER,
    WINHTTP_CALLBACK_STATUS_SENDING_REQUEST,
    WINHTTP_CALLBACK_STATUS_REQUEST_SENT,
    WINHTTP_CALLBACK_STATUS_RECEIVING_RESPONSE,
    WINHTTP_CALLBACK_STATUS_RESPONSE_RECEIVED,
    WINHTTP_CALLBACK_STATUS_CLOSING_CONNECTION,
    WINHTTP_CALLBACK_STATUS_CONNECTION_CLOSED,
    WINHTTP_CALLBACK_STATUS_HANDLE_CREATED,
    WINHTTP_CALLBACK_STATUS_HANDLE_CLOSING,
    WINHTTP_CALLBACK_STATUS_DETECTING_PROXY,
    WINHTTP_CALLBACK_STATUS_REDIRECT,
    WINHTTP_CALLBACK_STATUS_INTERMEDIATE_RESPONSE,
    WINHTTP_CALLBACK_STATUS_SECURE_FAILURE,
    WINHTTP_CALLBACK_STATUS_HEADERS_AVAILABLE,
    WINHTTP_CALLBACK_STATUS_DATA_AVAILABLE,
    WINHTTP_CALLBACK_STATUS_READ_COMPLETE,
    WINHTTP_CALLBACK_STATUS_WRITE_COMPLETE,
    WINHTTP_CALLBACK_STATUS_REQUEST_ERROR,
    WINHTTP_CALLBACK_STATUS_SENDREQUEST_COMPLETE,
    WINHTTP_CALLBACK_STATUS_GETPROXYFORURL_COMPLETE,
    WINHTTP_CALLBACK_STATUS_CLOSE_COMPLETE,
    WINHTTP_CALLBACK_STATUS_SHUTDOWN_COMPLETE,
    WINHTTP_CALLBACK_STATUS_GETPROXYSETTINGS_COMPLETE,
    WINHTTP_CALLBACK_STATUS_SETTINGS_WRITE_COMPLETE,
    WINHTTP_CALLBACK_STATUS_SETTINGS_READ_COMPLETE,
];

/// The `WINHTTP_OPTION_*` values, by name.
const OPTIONS: &[(DWORD, &str)] = names![
    WINHTTP_OPTION_CALLBACK,
    WINHTTP_OPTION_RESOLVE_TIMEOUT,
    WINHTTP_OPTION_CONNECT_TIMEOUT,
    WINHTTP_OPTION_CONNECT_RETRIES,
    WINHTTP_OPTION_SEND_TIMEOUT,
    WINHTTP_OPTION_RECEIVE_TIMEOUT,
    WINHTTP_OPTION_RECEIVE_RESPONSE_TIMEOUT,
    WINHTTP_OPTION_HANDLE_TYPE,
    WINHTTP_OPTION_READ_BUFFER_SIZE,
    WINHTTP_OPTION_WRITE_BUFFER_SIZE,
    WINHTTP_OPTION_PARENT_HANDLE,
    WINHTTP_OPTION_EXTENDED_ERROR,
    WINHTTP_OPTION_SECURITY_FLAGS,
    WINHTTP_OPTION_SECURITY_CERTIFICATE_STRUCT,
    WINHTTP_OPTION_URL,
    WINHTTP_OPTION_SECURITY_KEY_BITNESS,
    WINHTTP_OPTION_PROXY,
    WINHTTP_OPTION_PROXY_RESULT_ENTRY,
    WINHTTP_OPTION_USER_AGENT,
    WINHTTP_OPTION_CONTEXT_VALUE,
    WINHTTP_OPTION_CLIENT_CERT_CONTEXT,
    WINHTTP_OPTION_REQUEST_PRIORITY,
    WINHTTP_OPTION_HTTP_VERSION,
    WINHTTP_OPTION_DISABLE_FEATURE,
    WINHTTP_OPTION_CODEPAGE,
    WINHTTP_OPTION_MAX_CONNS_PER_SERVER,
    WINHTTP_OPTION_MAX_CONNS_PER_1_0_SERVER,
    WINHTTP_OPTION_AUTOLOGON_POLICY,
    WINHTTP_OPTION_SERVER_CERT_CONTEXT,
    WINHTTP_OPTION_ENABLE_FEATURE,
    WINHTTP_OPTION_WORKER_THREAD_COUNT,
    WINHTTP_OPTION_PASSPORT_COBRANDING_TEXT,
    WINHTTP_OPTION_PASSPORT_COBRANDING_URL,
    WINHTTP_OPTION_CONFIGURE_PASSPORT_AUTH,
    WINHTTP_OPTION_SECURE_PROTOCOLS,
    WINHTTP_OPTION_ENABLETRACING,
    WINHTTP_OPTION_PASSPORT_SIGN_OUT,
    WINHTTP_OPTION_PASSPORT_RETURN_URL,
    WINHTTP_OPTION_REDIRECT_POLICY,
    WINHTTP_OPTION_MAX_HTTP_AUTOMATIC_REDIRECTS,
    WINHTTP_OPTION_MAX_HTTP_STATUS_CONTINUE,
    WINHTTP_OPTION_MAX_RESPONSE_HEADER_SIZE,
    WINHTTP_OPTION_MAX_RESPONSE_DRAIN_SIZE,
    WINHTTP_OPTION_CONNECTION_INFO,
    WINHTTP_OPTION_CLIENT_CERT_ISSUER_LIST,
    WINHTTP_OPTION_SPN,
    WINHTTP_OPTION_GLOBAL_PROXY_CREDS,
    WINHTTP_OPTION_GLOBAL_SERVER_CREDS,
    WINHTTP_OPTION_UNLOAD_NOTIFY_EVENT,
    WINHTTP_OPTION_REJECT_USERPWD_IN_URL,
    WINHTTP_OPTION_USE_GLOBAL_SERVER_CREDENTIALS,
    WINHTTP_OPTION_RECEIVE_PROXY_CONNECT_RESPONSE,
    WINHTTP_OPTION_IS_PROXY_CONNECT_RESPONSE,
    WINHTTP_OPTION_NETWORK_INTERFACE_AFFINITY,
    WINHTTP_OPTION_SERVER_SPN_USED,
    WINHTTP_OPTION_PROXY_SPN_USED,
    WINHTTP_OPTION_SERVER_CBT,
    WINHTTP_OPTION_UNSAFE_HEADER_PARSING,
    WINHTTP_OPTION_ASSURED_NON_BLOCKING_CALLBACKS,
    WINHTTP_OPTION_UPGRADE_TO_WEB_SOCKET,
    WINHTTP_OPTION_WEB_SOCKET_CLOSE_TIMEOUT,
    WINHTTP_OPTION_WEB_SOCKET_KEEPALIVE_INTERVAL,
    WINHTTP_OPTION_DECOMPRESSION,
    WINHTTP_OPTION_WEB_SOCKET_RECEIVE_BUFFER_SIZE,
    WINHTTP_OPTION_WEB_SOCKET_SEND_BUFFER_SIZE,
    WINHTTP_OPTION_TCP_PRIORITY_HINT,
    WINHTTP_OPTION_CONNECTION_FILTER,
    WINHTTP_OPTION_ENABLE_HTTP_PROTOCOL,
    WINHTTP_OPTION_HTTP_PROTOCOL_USED,
    WINHTTP_OPTION_KDC_PROXY_SETTINGS,
    WINHTTP_OPTION_PROXY_DISABLE_SERVICE_CALLS,
    WINHTTP_OPTION_ENCODE_EXTRA,
    WINHTTP_OPTION_DISABLE_STREAM_QUEUE,
    WINHTTP_OPTION_IPV6_FAST_FALLBACK,
    WINHTTP_OPTION_CONNECTION_STATS_V0,
    WINHTTP_OPTION_REQUEST_TIMES,
    WINHTTP_OPTION_EXPIRE_CONNECTION,
    WINHTTP_OPTION_DISABLE_SECURE_PROTOCOL_FALLBACK,
    WINHTTP_OPTION_HTTP_PROTOCOL_REQUIRED,
    WINHTTP_OPTION_REQUEST_STATS,
    WINHTTP_OPTION_SERVER_CERT_CHAIN_CONTEXT,
    WINHTTP_OPTION_SERVER_CERT_CHAIN_BUILD_FLAGS,
    WINHTTP_OPTION_CONNECTION_STATS_V1,
    WINHTTP_OPTION_SECURITY_INFO,
    WINHTTP_OPTION_TCP_KEEPALIVE,
    WINHTTP_OPTION_TCP_FAST_OPEN,
    WINHTTP_OPTION_TLS_FALSE_START,
    WINHTTP_OPTION_IGNORE_CERT_REVOCATION_OFFLINE,
    WINHTTP_OPTION_TLS_PROTOCOL_INSECURE_FALLBACK,
    WINHTTP_OPTION_STREAM_ERROR_CODE,
    WINHTTP_OPTION_REQUIRE_STREAM_END,
    WINHTTP_OPTION_ENABLE_HTTP2_PLUS_CLIENT_CERT,
    WINHTTP_OPTION_FAILED_CONNECTION_RETRIES,
    WINHTTP_OPTION_HTTP2_KEEPALIVE,
    WINHTTP_OPTION_RESOLUTION_HOSTNAME,
    WINHTTP_OPTION_SET_TOKEN_BINDING,
    WINHTTP_OPTION_TOKEN_BINDING_PUBLIC_KEY,
    WINHTTP_OPTION_REFERER_TOKEN_BINDING_HOSTNAME,
    WINHTTP_OPTION_HTTP2_PLUS_TRANSFER_ENCODING,
    WINHTTP_OPTION_RESOLVER_CACHE_CONFIG,
    WINHTTP_OPTION_DISABLE_CERT_CHAIN_BUILDING,
    WINHTTP_OPTION_BACKGROUND_CONNECTIONS,
    WINHTTP_OPTION_FIRST_AVAILABLE_CONNECTION,
    WINHTTP_OPTION_TCP_PRIORITY_STATUS,
    WINHTTP_OPTION_CONNECTION_GUID,
    WINHTTP_OPTION_MATCH_CONNECTION_GUID,
    WINHTTP_OPTION_HTTP2_RECEIVE_WINDOW,
    WINHTTP_OPTION_FEATURE_SUPPORTED,
    WINHTTP_OPTION_QUIC_STATS,
    WINHTTP_OPTION_HTTP3_KEEPALIVE,
    WINHTTP_OPTION_HTTP3_HANDSHAKE_TIMEOUT,
    WINHTTP_OPTION_HTTP3_INITIAL_RTT,
    WINHTTP_OPTION_HTTP3_STREAM_ERROR_CODE,
    WINHTTP_OPTION_REQUEST_ANNOTATION,
    WINHTTP_OPTION_DISABLE_PROXY_AUTH_SCHEMES,
    WINHTTP_OPTION_REVERT_IMPERSONATION_SERVER_CERT,
    WINHTTP_OPTION_DISABLE_GLOBAL_POOLING,
    WINHTTP_OPTION_USE_SESSION_SCH_CRED,
    WINHTTP_OPTION_SERVER_CERT_CHAIN_BUILD_CACHE_ONLY,
    WINHTTP_OPTION_QUIC_STATS_V2,
    WINHTTP_OPTION_QUIC_STREAM_STATS,
    WINHTTP_OPTION_USE_LOOKASIDE,
    WINHTTP_OPTION_ERROR_LOG_GUID,
    WINHTTP_OPTION_ENABLE_FAST_FORWARDING,
    WINHTTP_OPTION_FAST_FORWARDING_RESPONSE_DATA,
    WINHTTP_OPTION_UPGRADE_TO_PROTOCOL,
    WINHTTP_OPTION_CONNECTION_STATS_V2,
    WINHTTP_OPTION_FAST_FORWARDING_RESPONSE_STATUS,
    WINHTTP_OPTION_DSCP_TAG,
    WINHTTP_OPTION_HTTP11_DOWNGRADE_TTL,
    WINHTTP_OPTION_SESSION_ERROR_LOG_GUID,
    WINHTTP_OPTION_PORTABLE_CLIENT_CERT_PEM,
    WINHTTP_OPTION_PORTABLE_SERVER_CERT_DER,
    WINHTTP_OPTION_PORTABLE_DIAGNOSTICS,
    WINHTTP_OPTION_PORTABLE_CLOSE_IDLE_CONNECTIONS,
    WINHTTP_OPTION_PORTABLE_DECOMPRESSION_RATIO,
    WINHTTP_OPTION_USERNAME,
    WINHTTP_OPTION_PASSWORD,
    WINHTTP_OPTION_PROXY_USERNAME,
    WINHTTP_OPTION_PROXY_PASSWORD,
    WINHTTP_OPTION_REQUEST_ANNOTATION_MAX_LENGTH,
    WINHTTP_OPTION_REDIRECT_POLICY_NEVER,
    WINHTTP_OPTION_REDIRECT_POLICY_DISALLOW_HTTPS_TO_HTTP,
    WINHTTP_OPTION_REDIRECT_POLICY_ALWAYS,
    WINHTTP_OPTION_REDIRECT_POLICY_LAST,
    WINHTTP_OPTION_REDIRECT_POLICY_DEFAULT,
    WINHTTP_OPTION_SPN_MASK,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_and_levels() {
        assert_eq!(parse(""), (0, vec![]));
        assert_eq!(parse("api,callbacks,wire,tls,pool"), (ALL, vec![]));
        assert_eq!(parse(" API ; tls "), (API | TLS, vec![]));
        assert_eq!(parse("all,body"), (ALL | BODY, vec![]));
        assert_eq!(parse("body"), (WIRE | BODY, vec![]));
        assert_eq!(parse("2"), (API | CALLBACKS, vec![]));
        assert_eq!(parse("4"), (ALL | BODY, vec![]));
        assert_eq!(parse("0"), (0, vec![]));
        assert_eq!(parse("api,bogus"), (API, vec!["bogus".to_string()]));
        assert_eq!(ALL & BODY, 0, "all never includes bodies");
    }

    #[test]
    fn a_line_has_time_thread_category_and_stays_one_line() {
        assert_eq!(format_time(0, 0), "1970-01-01T00:00:00.000000Z");
        assert_eq!(format_time(951_782_400 + 3661, 42), "2000-02-29T01:01:01.000042Z");
        assert_eq!(format_time(4_102_444_799, 999_999), "2099-12-31T23:59:59.999999Z");
        let l = line("T", 7, "wire", "a\r\nb\x01");
        assert_eq!(l, "T tid=7 wire a\\r\\nb\\x01\n");
        assert_eq!(l.matches('\n').count(), 1);
        assert_ne!(thread_id(), 0);
        let other = std::thread::spawn(thread_id).join().unwrap();
        assert_ne!(other, thread_id());
    }

    #[test]
    fn secret_headers_are_redacted_whatever_their_case() {
        assert_eq!(redact_line("Authorization: Basic dXNlcjpwYXNz"), "Authorization: <redacted>");
        assert_eq!(redact_line("proxy-authorization:NTLM abc"), "proxy-authorization: <redacted>");
        assert_eq!(redact_line("COOKIE: a=b; c=d"), "COOKIE: <redacted>");
        assert_eq!(redact_line("Set-Cookie: sid=42; HttpOnly"), "Set-Cookie: <redacted>");
        assert_eq!(redact_line("X-Cookie-Note: kept"), "X-Cookie-Note: kept");
        assert_eq!(redact_line("Host: example.com:8080"), "Host: example.com:8080");
        assert_eq!(redact_line("HTTP/1.1 200 OK"), "HTTP/1.1 200 OK");
        let block = redact_headers("Cookie: s=1\r\nX-A: b\nAuthorization: Bearer t0k3n\r\n");
        assert_eq!(block, r#""Cookie: <redacted>\r\nX-A: b\r\nAuthorization: <redacted>\r\n""#);
        assert!(!block.contains("t0k3n"));
    }

    #[test]
    fn user_info_never_shows() {
        assert_eq!(redact_userinfo("http://u:pw@host:8/a@b?c"), "http://<redacted>@host:8/a@b?c");
        assert_eq!(redact_line("GET http://u:pw@h/x HTTP/1.1"), "GET http://<redacted>@h/x HTTP/1.1");
        assert_eq!(
            redact_userinfo("u:pw@proxy:3128;http=a:b@p2:80 other"),
            "<redacted>@proxy:3128;http=<redacted>@p2:80 other"
        );
        assert_eq!(redact_userinfo("/path/with@sign"), "/path/with@sign");
        assert_eq!(redact_userinfo("plain"), "plain");
        assert_eq!(opt_str(None), "NULL");
        assert_eq!(opt_str(Some("say \"hi\"\n")), r#""say \"hi\"\n""#);
    }

    #[test]
    fn names_and_bodies() {
        assert_eq!(error_name(ERROR_WINHTTP_CANNOT_CONNECT), "ERROR_WINHTTP_CANNOT_CONNECT");
        assert_eq!(error_name(ERROR_SUCCESS), "ERROR_SUCCESS");
        assert_eq!(error_name(4242), "4242");
        assert_eq!(status_name(WINHTTP_CALLBACK_STATUS_REQUEST_ERROR), "REQUEST_ERROR");
        assert_eq!(option_name(WINHTTP_OPTION_PROXY_PASSWORD), "WINHTTP_OPTION_PROXY_PASSWORD");
        assert_eq!(api_name(API_SEND_REQUEST as usize), "API_SEND_REQUEST");
        let flags = WINHTTP_CALLBACK_STATUS_FLAG_INVALID_CA | WINHTTP_CALLBACK_STATUS_FLAG_CERT_CN_INVALID;
        assert_eq!(cert_flags(flags), "INVALID_CA|CERT_CN_INVALID");
        assert!(secret_option(WINHTTP_OPTION_PASSWORD) && !secret_option(WINHTTP_OPTION_CONNECT_TIMEOUT));
        assert_eq!(bytes(b"a\"\x00\xff\n"), r#""a\"\x00\xff\n""#);
        let big = vec![b'x'; BODY_LIMIT + 3];
        assert!(bytes(&big).ends_with("\" (+3 bytes not shown)"));
        assert_eq!(handle(core::ptr::null_mut()), "NULL");
        assert_eq!(handle(0x2a as HINTERNET), "0x2a");
    }

    #[test]
    fn payloads_in_words() {
        let mut units: Vec<WCHAR> = crate::proto::wide::encode("http://u:p@h/x");
        units.push(0);
        let len = (units.len() * size_of::<WCHAR>()) as DWORD;
        // SAFETY: `units` outlives the call.
        let s = unsafe { payload(WINHTTP_CALLBACK_STATUS_REDIRECT, units.as_mut_ptr().cast(), len, false) };
        assert_eq!(s, r#""http://<redacted>@h/x""#);
        let mut units16: Vec<u16> = crate::proto::wide::encode("http://u:p@h/x\0");
        let len16 = (units16.len() * 2) as DWORD;
        // SAFETY: `units16` outlives the call.
        let s = unsafe { payload(WINHTTP_CALLBACK_STATUS_REDIRECT, units16.as_mut_ptr().cast(), len16, true) };
        assert_eq!(s, r#""http://<redacted>@h/x""#);
        let mut r = WINHTTP_ASYNC_RESULT { dwResult: API_READ_DATA as DWORD_PTR, dwError: ERROR_WINHTTP_TIMEOUT };
        let len = size_of::<WINHTTP_ASYNC_RESULT>() as DWORD;
        // SAFETY: `r` outlives the call.
        let s = unsafe { payload(WINHTTP_CALLBACK_STATUS_REQUEST_ERROR, (&raw mut r).cast(), len, false) };
        assert_eq!(s, "API_READ_DATA ERROR_WINHTTP_TIMEOUT");
        let mut n: DWORD = 12;
        // SAFETY: `n` outlives the call.
        let s = unsafe { payload(WINHTTP_CALLBACK_STATUS_DATA_AVAILABLE, (&raw mut n).cast(), 4, false) };
        assert_eq!(s, "12 bytes");
        // SAFETY: NULL.
        assert_eq!(unsafe { payload(WINHTTP_CALLBACK_STATUS_SENDING_REQUEST, core::ptr::null_mut(), 0, false) }, "");
    }
}
