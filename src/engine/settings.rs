//! Per-handle settings that sessions hand down to requests: timeouts, redirect policy, limits.
//!
//! A session owns one `Settings`; a connect handle reads its session's live; a request copies the
//! session's at creation and is independent afterwards (Windows behaviour).

use crate::abi::*;

/// The five timeouts, in milliseconds, as stored (Windows reads back exactly what was set).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    pub resolve: DWORD,
    pub connect: DWORD,
    pub send: DWORD,
    pub receive: DWORD,
    pub receive_response: DWORD,
}

impl Default for Timeouts {
    fn default() -> Self {
        // Windows' documented defaults: resolve infinite (0), connect 60 s, send and receive 30 s.
        Timeouts { resolve: 0, connect: 60_000, send: 30_000, receive: 30_000, receive_response: DWORD::MAX }
    }
}

/// `WINHTTP_OPTION_HTTP_VERSION` set on a NULL handle (Windows documents it as process-wide):
/// major in the high half, minor in the low half; sessions opened afterwards start with it.
static DEFAULT_HTTP_VERSION: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0x0001_0001);

/// The process-wide HTTP version new sessions start with.
pub fn default_http_version() -> (DWORD, DWORD) {
    let v = DEFAULT_HTTP_VERSION.load(std::sync::atomic::Ordering::Relaxed);
    (v >> 16, v & 0xffff)
}

/// Sets the process-wide HTTP version (`WinHttpSetOption(NULL, WINHTTP_OPTION_HTTP_VERSION, ...)`).
pub fn set_default_http_version(major: DWORD, minor: DWORD) {
    let v = (major.min(0xffff) << 16) | minor.min(0xffff);
    DEFAULT_HTTP_VERSION.store(v, std::sync::atomic::Ordering::Relaxed);
}

/// Settings shared by sessions and requests.
#[derive(Clone, Debug)]
pub struct Settings {
    pub timeouts: Timeouts,
    pub connect_retries: DWORD,
    pub redirect_policy: DWORD,
    pub max_redirects: DWORD,
    pub max_status_continue: DWORD,
    pub max_response_header_size: DWORD,
    pub max_response_drain_size: DWORD,
    /// `HTTP_VERSION_INFO` (major, minor) used on the request line.
    pub http_version: (DWORD, DWORD),
    pub decompression: DWORD,
    /// `WINHTTP_OPTION_PORTABLE_DECOMPRESSION_RATIO` (0: no cap).
    pub decompression_ratio: DWORD,
    pub enable_http_protocol: DWORD,
    pub reject_userpwd_in_url: BOOL,
    pub websocket_receive_buffer: DWORD,
    pub websocket_send_buffer: DWORD,
    pub websocket_close_timeout: DWORD,
    pub enable_feature: DWORD,
    /// `WINHTTP_OPTION_WEB_SOCKET_KEEPALIVE_INTERVAL` in ms (at least 15000).
    pub websocket_keepalive: DWORD,
    /// `WINHTTP_OPTION_HTTP2_KEEPALIVE` in ms (0: no PINGs; else at least 5000; sessions only).
    pub http2_keepalive: DWORD,
    /// `WINHTTP_OPTION_DISABLE_STREAM_QUEUE`: a new HTTP/2 connection rather than a queued stream.
    pub disable_stream_queue: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            timeouts: Timeouts::default(),
            connect_retries: 5,
            redirect_policy: WINHTTP_OPTION_REDIRECT_POLICY_DISALLOW_HTTPS_TO_HTTP,
            max_redirects: 10,
            max_status_continue: 10,
            max_response_header_size: 64 * 1024,
            max_response_drain_size: 1024 * 1024,
            http_version: default_http_version(),
            decompression: 0,
            decompression_ratio: 1000,
            enable_http_protocol: 0,
            reject_userpwd_in_url: 0,
            websocket_receive_buffer: 32 * 1024,
            websocket_send_buffer: 32 * 1024,
            websocket_close_timeout: 10_000,
            enable_feature: 0,
            websocket_keepalive: 30_000,
            http2_keepalive: 0,
            disable_stream_queue: false,
        }
    }
}
