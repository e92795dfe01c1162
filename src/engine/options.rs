//! Option semantics (`WinHttpSetOption` / `WinHttpQueryOption`): which option applies to which
//! handle type, value validation, defaults and storage. The byte-level buffer protocol lives in
//! `ffi::options`; this module sees typed values only.

use super::diag;
use super::handles::Object;
use super::objects::request::Request;
use super::objects::session::Session;
use crate::abi::*;
use std::sync::atomic::{AtomicU32, Ordering};

/// How an option's value travels through the caller's buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A `DWORD` (exactly 4 bytes on set).
    Dword,
    /// A pointer-sized value (`DWORD_PTR`, `HINTERNET`, a callback).
    Ptr,
    /// A wide string: set with a length in characters, queried with sizes in bytes.
    Str,
    /// `HTTP_VERSION_INFO`.
    Version,
    /// No data: set with (NULL, 0).
    Empty,
    /// A pointer the option takes as it is (for example a certificate context).
    Raw,
    /// `WINHTTP_CONNECTION_INFO` (query only).
    ConnectionInfo,
    /// `WINHTTP_PROXY_INFO`.
    ProxyInfo,
    /// `WINHTTP_CERTIFICATE_INFO` (query only).
    CertificateInfo,
    /// Bytes, with the length in bytes (our certificate extensions).
    Bytes,
    /// `WINHTTP_PORTABLE_DIAGNOSTICS` (query only; our extension).
    Diagnostics,
    /// `WINHTTP_REQUEST_TIMES` (query only).
    RequestTimes,
    /// `WINHTTP_REQUEST_STATS` (query only).
    RequestStats,
    /// A `GUID` (query only).
    Guid,
    /// `TCP_INFO_v0` / `TCP_INFO_v1` (query only).
    TcpInfo,
    /// `struct tcp_keepalive` (set only).
    TcpKeepalive,
}

/// A typed option value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    Dword(DWORD),
    Ptr(usize),
    Str(String),
    Version(DWORD, DWORD),
    Empty,
    Raw(usize),
    /// Local and remote address of the request's connection.
    Connection(std::net::SocketAddr, std::net::SocketAddr),
    /// A proxy configuration (`WINHTTP_PROXY_INFO`).
    Proxy(super::objects::session::ProxyConfig),
    /// The server certificate and the cipher's key size in bits.
    CertificateInfo(super::transport::tls::CertificateInfo, DWORD),
    Bytes(Vec<u8>),
    /// `WINHTTP_PORTABLE_DIAGNOSTICS`.
    Diagnostics(Snapshot),
    /// `WINHTTP_REQUEST_TIMES` or `WINHTTP_REQUEST_STATS` (as the option asked).
    Metrics(Box<super::metrics::Record>),
    /// A GUID's 16 bytes in memory order.
    Guid([u8; 16]),
    /// TCP statistics, the connection's age in ms, and whether `TCP_INFO_v1` is asked for.
    Tcp(super::transport::tcp::TcpStats, u64, bool),
    /// `struct tcp_keepalive`: on/off, idle time and interval in ms.
    Keepalive(DWORD, DWORD, DWORD),
}

/// Options that can be set but never queried (querying them fails with `ERROR_INVALID_PARAMETER`).
pub fn is_write_only(option: DWORD) -> bool {
    matches!(
        option,
        WINHTTP_OPTION_DISABLE_FEATURE
            | WINHTTP_OPTION_ENABLE_FEATURE
            | WINHTTP_OPTION_WEB_SOCKET_KEEPALIVE_INTERVAL
            | WINHTTP_OPTION_PORTABLE_CLOSE_IDLE_CONNECTIONS
            | WINHTTP_OPTION_ENABLE_HTTP_PROTOCOL
            | WINHTTP_OPTION_AUTOLOGON_POLICY
            | WINHTTP_OPTION_ASSURED_NON_BLOCKING_CALLBACKS
            | WINHTTP_OPTION_UPGRADE_TO_WEB_SOCKET
            | WINHTTP_OPTION_CLIENT_CERT_CONTEXT
            | WINHTTP_OPTION_PORTABLE_CLIENT_CERT_PEM
            | WINHTTP_OPTION_CODEPAGE
            | WINHTTP_OPTION_CONFIGURE_PASSPORT_AUTH
            | WINHTTP_OPTION_SPN
            | WINHTTP_OPTION_TCP_KEEPALIVE
            | WINHTTP_OPTION_RECEIVE_PROXY_CONNECT_RESPONSE
            | WINHTTP_OPTION_EXPIRE_CONNECTION
            | WINHTTP_OPTION_DECOMPRESSION
            | WINHTTP_OPTION_DISABLE_STREAM_QUEUE
    ) || is_hint(option)
}

/// Options that can be queried but never set (setting them on a handle fails with
/// `ERROR_WINHTTP_OPTION_NOT_SETTABLE`).
pub fn is_read_only(option: DWORD) -> bool {
    matches!(
        option,
        WINHTTP_OPTION_CALLBACK
            | WINHTTP_OPTION_HANDLE_TYPE
            | WINHTTP_OPTION_PARENT_HANDLE
            | WINHTTP_OPTION_EXTENDED_ERROR
            | WINHTTP_OPTION_SECURITY_CERTIFICATE_STRUCT
            | WINHTTP_OPTION_URL
            | WINHTTP_OPTION_SECURITY_KEY_BITNESS
            | WINHTTP_OPTION_SERVER_CERT_CONTEXT
            | WINHTTP_OPTION_CONNECTION_INFO
            | WINHTTP_OPTION_HTTP_PROTOCOL_USED
            | WINHTTP_OPTION_REQUEST_TIMES
            | WINHTTP_OPTION_REQUEST_STATS
            | WINHTTP_OPTION_CONNECTION_STATS_V0
            | WINHTTP_OPTION_CONNECTION_STATS_V1
            | WINHTTP_OPTION_CONNECTION_GUID
            | WINHTTP_OPTION_PORTABLE_DIAGNOSTICS
            | WINHTTP_OPTION_PORTABLE_SERVER_CERT_DER
    )
}

/// Options accepted as hints with no effect here (documented in the README).
fn is_hint(option: DWORD) -> bool {
    matches!(
        option,
        WINHTTP_OPTION_IPV6_FAST_FALLBACK
            | WINHTTP_OPTION_TCP_FAST_OPEN
            | WINHTTP_OPTION_TLS_FALSE_START
            | WINHTTP_OPTION_TCP_PRIORITY_HINT
            | WINHTTP_OPTION_NETWORK_INTERFACE_AFFINITY
    )
}

/// The buffer kind of a known option; `None` for an option this library does not know.
pub fn kind(option: DWORD) -> Option<Kind> {
    use Kind::*;
    Some(match option {
        WINHTTP_OPTION_RESOLVE_TIMEOUT
        | WINHTTP_OPTION_CONNECT_TIMEOUT
        | WINHTTP_OPTION_SEND_TIMEOUT
        | WINHTTP_OPTION_RECEIVE_TIMEOUT
        | WINHTTP_OPTION_RECEIVE_RESPONSE_TIMEOUT
        | WINHTTP_OPTION_CONNECT_RETRIES
        | WINHTTP_OPTION_HANDLE_TYPE
        | WINHTTP_OPTION_EXTENDED_ERROR
        | WINHTTP_OPTION_SECURITY_FLAGS
        | WINHTTP_OPTION_REQUEST_PRIORITY
        | WINHTTP_OPTION_DISABLE_FEATURE
        | WINHTTP_OPTION_ENABLE_FEATURE
        | WINHTTP_OPTION_CODEPAGE
        | WINHTTP_OPTION_MAX_CONNS_PER_SERVER
        | WINHTTP_OPTION_MAX_CONNS_PER_1_0_SERVER
        | WINHTTP_OPTION_AUTOLOGON_POLICY
        | WINHTTP_OPTION_WORKER_THREAD_COUNT
        | WINHTTP_OPTION_CONFIGURE_PASSPORT_AUTH
        | WINHTTP_OPTION_SECURE_PROTOCOLS
        | WINHTTP_OPTION_ENABLETRACING
        | WINHTTP_OPTION_REDIRECT_POLICY
        | WINHTTP_OPTION_MAX_HTTP_AUTOMATIC_REDIRECTS
        | WINHTTP_OPTION_MAX_HTTP_STATUS_CONTINUE
        | WINHTTP_OPTION_MAX_RESPONSE_HEADER_SIZE
        | WINHTTP_OPTION_MAX_RESPONSE_DRAIN_SIZE
        | WINHTTP_OPTION_SPN
        | WINHTTP_OPTION_REJECT_USERPWD_IN_URL
        | WINHTTP_OPTION_ASSURED_NON_BLOCKING_CALLBACKS
        | WINHTTP_OPTION_WEB_SOCKET_CLOSE_TIMEOUT
        | WINHTTP_OPTION_WEB_SOCKET_KEEPALIVE_INTERVAL
        | WINHTTP_OPTION_DECOMPRESSION
        | WINHTTP_OPTION_PORTABLE_DECOMPRESSION_RATIO
        | WINHTTP_OPTION_WEB_SOCKET_RECEIVE_BUFFER_SIZE
        | WINHTTP_OPTION_WEB_SOCKET_SEND_BUFFER_SIZE
        | WINHTTP_OPTION_ENABLE_HTTP_PROTOCOL
        | WINHTTP_OPTION_HTTP_PROTOCOL_USED
        | WINHTTP_OPTION_RECEIVE_PROXY_CONNECT_RESPONSE
        | WINHTTP_OPTION_SECURITY_KEY_BITNESS
        | WINHTTP_OPTION_HTTP2_KEEPALIVE
        | WINHTTP_OPTION_DISABLE_STREAM_QUEUE => Dword,
        WINHTTP_OPTION_REQUEST_TIMES => RequestTimes,
        WINHTTP_OPTION_REQUEST_STATS => RequestStats,
        WINHTTP_OPTION_CONNECTION_GUID => Guid,
        WINHTTP_OPTION_CONNECTION_STATS_V0 | WINHTTP_OPTION_CONNECTION_STATS_V1 => TcpInfo,
        WINHTTP_OPTION_TCP_KEEPALIVE => TcpKeepalive,
        WINHTTP_OPTION_EXPIRE_CONNECTION => Empty,
        o if is_hint(o) => Dword,
        WINHTTP_OPTION_CALLBACK | WINHTTP_OPTION_CONTEXT_VALUE | WINHTTP_OPTION_PARENT_HANDLE => Ptr,
        WINHTTP_OPTION_USER_AGENT
        | WINHTTP_OPTION_URL
        | WINHTTP_OPTION_USERNAME
        | WINHTTP_OPTION_PASSWORD
        | WINHTTP_OPTION_PROXY_USERNAME
        | WINHTTP_OPTION_PROXY_PASSWORD => Str,
        WINHTTP_OPTION_HTTP_VERSION => Version,
        WINHTTP_OPTION_UPGRADE_TO_WEB_SOCKET | WINHTTP_OPTION_PORTABLE_CLOSE_IDLE_CONNECTIONS => Empty,
        WINHTTP_OPTION_PORTABLE_DIAGNOSTICS => Diagnostics,
        WINHTTP_OPTION_CLIENT_CERT_CONTEXT | WINHTTP_OPTION_SERVER_CERT_CONTEXT => Raw,
        WINHTTP_OPTION_SECURITY_CERTIFICATE_STRUCT => CertificateInfo,
        WINHTTP_OPTION_PORTABLE_CLIENT_CERT_PEM | WINHTTP_OPTION_PORTABLE_SERVER_CERT_DER => Bytes,
        WINHTTP_OPTION_CONNECTION_INFO => ConnectionInfo,
        WINHTTP_OPTION_PROXY => ProxyInfo,
        _ => return None,
    })
}

/// Checks a `WINHTTP_OPTION_PROXY` value: no proxy, the default, or a named proxy with a list.
fn valid_proxy(p: &super::objects::session::ProxyConfig) -> Result<(), DWORD> {
    match p.access_type {
        WINHTTP_ACCESS_TYPE_NO_PROXY | WINHTTP_ACCESS_TYPE_DEFAULT_PROXY => Ok(()),
        WINHTTP_ACCESS_TYPE_NAMED_PROXY if p.proxy.as_deref().is_some_and(|s| !s.trim().is_empty()) => Ok(()),
        _ => Err(ERROR_INVALID_PARAMETER),
    }
}

/// The smallest `WINHTTP_OPTION_HTTP2_KEEPALIVE` interval in ms (Microsoft's option flags page).
const HTTP2_MIN_KEEPALIVE: DWORD = 5000;

/// Process-wide options (set on a NULL handle).
static ENABLE_TRACING: AtomicU32 = AtomicU32::new(0);

fn incorrect_type<T>() -> Result<T, DWORD> {
    Err(ERROR_WINHTTP_INCORRECT_HANDLE_TYPE)
}

fn dword(v: &Value) -> Result<DWORD, DWORD> {
    match v {
        Value::Dword(d) => Ok(*d),
        _ => Err(ERROR_INVALID_PARAMETER),
    }
}

/// `WinHttpSetOption` on a NULL handle: the process-wide options.
pub fn set_global(option: DWORD, value: &Value) -> Result<(), DWORD> {
    match option {
        WINHTTP_OPTION_ENABLETRACING => ENABLE_TRACING.store(dword(value)?, Ordering::Relaxed),
        WINHTTP_OPTION_WORKER_THREAD_COUNT => {
            dword(value)?;
        }
        WINHTTP_OPTION_PORTABLE_CLOSE_IDLE_CONNECTIONS => super::pool::close_idle(),
        WINHTTP_OPTION_HTTP_VERSION => match value {
            Value::Version(major, minor) => super::settings::set_default_http_version(*major, *minor),
            _ => return Err(ERROR_INVALID_PARAMETER),
        },
        _ => return Err(ERROR_INVALID_HANDLE),
    }
    Ok(())
}

/// `WinHttpQueryOption` on a NULL handle.
pub fn query_global(option: DWORD) -> Result<Value, DWORD> {
    match option {
        WINHTTP_OPTION_ENABLETRACING => Ok(Value::Dword(ENABLE_TRACING.load(Ordering::Relaxed))),
        WINHTTP_OPTION_WORKER_THREAD_COUNT => Ok(Value::Dword(0)),
        WINHTTP_OPTION_PORTABLE_DIAGNOSTICS => Ok(Value::Diagnostics(snapshot())),
        WINHTTP_OPTION_PORTABLE_CLOSE_IDLE_CONNECTIONS => Err(ERROR_INVALID_PARAMETER),
        // The default proxy (as WinHttpGetDefaultProxyConfiguration), the thread's Winsock error
        // (none is kept: 0) and the process-wide HTTP version.
        WINHTTP_OPTION_PROXY => Ok(Value::Proxy(super::objects::session::default_config())),
        WINHTTP_OPTION_EXTENDED_ERROR => Ok(Value::Dword(0)),
        WINHTTP_OPTION_HTTP_VERSION => {
            let (major, minor) = super::settings::default_http_version();
            Ok(Value::Version(major, minor))
        }
        _ => Err(ERROR_INVALID_HANDLE),
    }
}

/// Settings stored on sessions and requests alike.
fn set_shared(s: &mut super::settings::Settings, option: DWORD, v: DWORD) -> Result<bool, DWORD> {
    let t = &mut s.timeouts;
    match option {
        WINHTTP_OPTION_RESOLVE_TIMEOUT => t.resolve = v,
        WINHTTP_OPTION_CONNECT_TIMEOUT => t.connect = v,
        WINHTTP_OPTION_SEND_TIMEOUT => t.send = v,
        WINHTTP_OPTION_RECEIVE_TIMEOUT => t.receive = v,
        WINHTTP_OPTION_RECEIVE_RESPONSE_TIMEOUT => t.receive_response = v,
        WINHTTP_OPTION_CONNECT_RETRIES => s.connect_retries = v,
        WINHTTP_OPTION_REDIRECT_POLICY => {
            if v > WINHTTP_OPTION_REDIRECT_POLICY_LAST {
                return Err(ERROR_INVALID_PARAMETER);
            }
            s.redirect_policy = v
        }
        WINHTTP_OPTION_MAX_HTTP_AUTOMATIC_REDIRECTS => s.max_redirects = v,
        WINHTTP_OPTION_MAX_HTTP_STATUS_CONTINUE => s.max_status_continue = v,
        WINHTTP_OPTION_MAX_RESPONSE_HEADER_SIZE => s.max_response_header_size = v,
        WINHTTP_OPTION_MAX_RESPONSE_DRAIN_SIZE => s.max_response_drain_size = v,
        WINHTTP_OPTION_DECOMPRESSION => {
            let known = WINHTTP_DECOMPRESSION_FLAG_ALL
                | WINHTTP_DECOMPRESSION_FLAG_PORTABLE_BROTLI
                | WINHTTP_DECOMPRESSION_FLAG_PORTABLE_ZSTD;
            if v & !known != 0 {
                return Err(ERROR_INVALID_PARAMETER);
            }
            s.decompression = v
        }
        WINHTTP_OPTION_PORTABLE_DECOMPRESSION_RATIO => s.decompression_ratio = v,
        WINHTTP_OPTION_ENABLE_HTTP_PROTOCOL => {
            if v & !WINHTTP_PROTOCOL_MASK != 0 {
                return Err(ERROR_INVALID_PARAMETER);
            }
            s.enable_http_protocol = v
        }
        WINHTTP_OPTION_REJECT_USERPWD_IN_URL => s.reject_userpwd_in_url = v as BOOL,
        WINHTTP_OPTION_WEB_SOCKET_RECEIVE_BUFFER_SIZE => s.websocket_receive_buffer = v,
        WINHTTP_OPTION_WEB_SOCKET_SEND_BUFFER_SIZE => s.websocket_send_buffer = v,
        WINHTTP_OPTION_WEB_SOCKET_CLOSE_TIMEOUT => s.websocket_close_timeout = v,
        WINHTTP_OPTION_ENABLE_FEATURE => {
            let known = WINHTTP_ENABLE_SSL_REVOCATION | WINHTTP_ENABLE_SSL_REVERT_IMPERSONATION;
            if v & !known != 0 {
                return Err(ERROR_INVALID_PARAMETER);
            }
            s.enable_feature |= v
        }
        WINHTTP_OPTION_WEB_SOCKET_KEEPALIVE_INTERVAL => {
            if v < WINHTTP_WEB_SOCKET_MIN_KEEPALIVE_VALUE {
                return Err(ERROR_INVALID_PARAMETER);
            }
            s.websocket_keepalive = v
        }
        WINHTTP_OPTION_DISABLE_STREAM_QUEUE => s.disable_stream_queue = v != 0,
        WINHTTP_OPTION_NETWORK_INTERFACE_AFFINITY => {}
        _ => return Ok(false),
    }
    Ok(true)
}

fn query_shared(s: &super::settings::Settings, option: DWORD) -> Option<Value> {
    let t = &s.timeouts;
    Some(Value::Dword(match option {
        WINHTTP_OPTION_RESOLVE_TIMEOUT => t.resolve,
        WINHTTP_OPTION_CONNECT_TIMEOUT => t.connect,
        WINHTTP_OPTION_SEND_TIMEOUT => t.send,
        WINHTTP_OPTION_RECEIVE_TIMEOUT => t.receive,
        WINHTTP_OPTION_RECEIVE_RESPONSE_TIMEOUT => t.receive_response,
        WINHTTP_OPTION_CONNECT_RETRIES => s.connect_retries,
        WINHTTP_OPTION_REDIRECT_POLICY => s.redirect_policy,
        WINHTTP_OPTION_MAX_HTTP_AUTOMATIC_REDIRECTS => s.max_redirects,
        WINHTTP_OPTION_MAX_HTTP_STATUS_CONTINUE => s.max_status_continue,
        WINHTTP_OPTION_MAX_RESPONSE_HEADER_SIZE => s.max_response_header_size,
        WINHTTP_OPTION_MAX_RESPONSE_DRAIN_SIZE => s.max_response_drain_size,
        WINHTTP_OPTION_PORTABLE_DECOMPRESSION_RATIO => s.decompression_ratio,
        WINHTTP_OPTION_REJECT_USERPWD_IN_URL => s.reject_userpwd_in_url as DWORD,
        WINHTTP_OPTION_WEB_SOCKET_RECEIVE_BUFFER_SIZE => s.websocket_receive_buffer,
        WINHTTP_OPTION_WEB_SOCKET_SEND_BUFFER_SIZE => s.websocket_send_buffer,
        WINHTTP_OPTION_WEB_SOCKET_CLOSE_TIMEOUT => s.websocket_close_timeout,
        WINHTTP_OPTION_HTTP_VERSION => {
            return Some(Value::Version(s.http_version.0, s.http_version.1));
        }
        _ => return None,
    }))
}

/// Options every handle type answers.
fn query_common(object: &Object, option: DWORD) -> Option<Value> {
    let core = object.core();
    Some(match option {
        WINHTTP_OPTION_HANDLE_TYPE => Value::Dword(object.handle_type()),
        WINHTTP_OPTION_CONTEXT_VALUE => Value::Ptr(core.context()),
        WINHTTP_OPTION_CALLBACK => Value::Ptr(core.callback.get().callback.map_or(0, |f| f as usize)),
        WINHTTP_OPTION_EXTENDED_ERROR => Value::Dword(0),
        WINHTTP_OPTION_WORKER_THREAD_COUNT => Value::Dword(0),
        _ => return None,
    })
}

/// `WinHttpSetOption` on a handle.
pub fn set(object: &Object, option: DWORD, value: Value) -> Result<(), DWORD> {
    if option == WINHTTP_OPTION_CONTEXT_VALUE {
        let Value::Ptr(v) = value else {
            return Err(ERROR_INVALID_PARAMETER);
        };
        object.core().set_context(v);
        return Ok(());
    }
    match object {
        Object::Session(s) => set_session(s, option, &value),
        Object::Request(r) => set_request(r, option, value),
        Object::WebSocket(w) => set_websocket(w, option, &value),
        Object::Connect(_) | Object::Resolver(_) => match kind(option) {
            // Connect handles carry only their context value; everything else belongs elsewhere.
            Some(_) => incorrect_type(),
            None => Err(ERROR_WINHTTP_INVALID_OPTION),
        },
    }
}

fn set_session(s: &Session, option: DWORD, value: &Value) -> Result<(), DWORD> {
    let mut st = s.state();
    match (option, value) {
        (WINHTTP_OPTION_USER_AGENT, Value::Str(v)) => st.user_agent = Some(v.as_str().into()),
        (WINHTTP_OPTION_HTTP_VERSION, Value::Version(major, minor)) => st.settings.http_version = (*major, *minor),
        (WINHTTP_OPTION_MAX_CONNS_PER_SERVER | WINHTTP_OPTION_MAX_CONNS_PER_1_0_SERVER, Value::Dword(v)) => {
            if *v == 0 {
                return Err(ERROR_INVALID_PARAMETER);
            }
            if option == WINHTTP_OPTION_MAX_CONNS_PER_SERVER {
                st.max_conns_per_server = *v
            } else {
                st.max_conns_per_1_0_server = *v
            }
        }
        (WINHTTP_OPTION_SECURE_PROTOCOLS, Value::Dword(v)) => {
            let known = WINHTTP_FLAG_SECURE_PROTOCOL_SSL2
                | WINHTTP_FLAG_SECURE_PROTOCOL_SSL3
                | WINHTTP_FLAG_SECURE_PROTOCOL_TLS1
                | WINHTTP_FLAG_SECURE_PROTOCOL_TLS1_1
                | WINHTTP_FLAG_SECURE_PROTOCOL_TLS1_2
                | WINHTTP_FLAG_SECURE_PROTOCOL_TLS1_3;
            if v & !known != 0 {
                return Err(ERROR_INVALID_PARAMETER);
            }
            st.secure_protocols = *v
        }
        (WINHTTP_OPTION_CODEPAGE, Value::Dword(v)) => st.codepage = *v,
        (WINHTTP_OPTION_PROXY, Value::Proxy(p)) => {
            valid_proxy(p)?;
            st.proxy_override = Some(p.clone())
        }
        (WINHTTP_OPTION_CONFIGURE_PASSPORT_AUTH, Value::Dword(v)) => st.passport = *v,
        (WINHTTP_OPTION_ASSURED_NON_BLOCKING_CALLBACKS, Value::Dword(v)) => {
            st.assured_non_blocking_callbacks = *v as BOOL
        }
        // Accepted without effect (see the README's option table).
        (
            WINHTTP_OPTION_IPV6_FAST_FALLBACK | WINHTTP_OPTION_TCP_FAST_OPEN | WINHTTP_OPTION_TLS_FALSE_START,
            Value::Dword(_),
        ) => {}
        (WINHTTP_OPTION_TCP_KEEPALIVE, Value::Keepalive(on, idle, interval)) => {
            st.tcp_keepalive = (*on != 0).then_some((*idle, *interval))
        }
        // HTTP/2 PINGs after this many idle ms; Microsoft: no less than 5000 (sessions only).
        (WINHTTP_OPTION_HTTP2_KEEPALIVE, Value::Dword(v)) => {
            if *v < HTTP2_MIN_KEEPALIVE {
                return Err(ERROR_INVALID_PARAMETER);
            }
            st.settings.http2_keepalive = *v
        }
        (_, Value::Dword(v)) if set_shared(&mut st.settings, option, *v)? => {}
        _ => {
            return match kind(option) {
                Some(_) => incorrect_type(),
                None => Err(ERROR_WINHTTP_INVALID_OPTION),
            };
        }
    }
    Ok(())
}

fn set_request(r: &Request, option: DWORD, value: Value) -> Result<(), DWORD> {
    // The keep-alive interval belongs to sessions (inherited) and WebSocket handles, not to the
    // upgrade request (Windows: INCORRECT_HANDLE_TYPE, spec §1).
    if option == WINHTTP_OPTION_WEB_SOCKET_KEEPALIVE_INTERVAL {
        return incorrect_type();
    }
    let mut st = r.state();
    match (option, value) {
        (WINHTTP_OPTION_DISABLE_FEATURE, Value::Dword(v)) => st.disable_feature |= v,
        (WINHTTP_OPTION_SECURITY_FLAGS, Value::Dword(v)) => {
            let settable = SECURITY_FLAG_IGNORE_UNKNOWN_CA
                | SECURITY_FLAG_IGNORE_CERT_DATE_INVALID
                | SECURITY_FLAG_IGNORE_CERT_CN_INVALID
                | SECURITY_FLAG_IGNORE_CERT_WRONG_USAGE;
            if v & !settable != 0 {
                return Err(ERROR_INVALID_PARAMETER);
            }
            st.security_flags = v
        }
        (WINHTTP_OPTION_AUTOLOGON_POLICY, Value::Dword(v)) => {
            if v > WINHTTP_AUTOLOGON_SECURITY_LEVEL_MAX {
                return Err(ERROR_INVALID_PARAMETER);
            }
            st.autologon_policy = v
        }
        (WINHTTP_OPTION_REQUEST_PRIORITY, Value::Dword(v)) => st.priority = v,
        // Accepted without effect: a proxy's answer to a CONNECT that asks for credentials (407)
        // is always received as the response; other refusals fail the send (README).
        (WINHTTP_OPTION_RECEIVE_PROXY_CONNECT_RESPONSE | WINHTTP_OPTION_TCP_PRIORITY_HINT, Value::Dword(_)) => {}
        (WINHTTP_OPTION_EXPIRE_CONNECTION, Value::Empty) => {
            drop(st);
            // The connection the request holds is closed instead of pooled at the end of its exchange.
            if let Ok(mut lane) = r.io.try_lock()
                && let Some(conn) = lane.conn.as_mut()
            {
                conn.expired = true;
            }
            return Ok(());
        }
        (WINHTTP_OPTION_PROXY, Value::Proxy(p)) => {
            valid_proxy(&p)?;
            st.proxy_override = Some(p)
        }
        (WINHTTP_OPTION_SPN, Value::Dword(v)) => st.spn = v,
        (WINHTTP_OPTION_USERNAME, Value::Str(v)) => st.username = v,
        (WINHTTP_OPTION_PASSWORD, Value::Str(v)) => st.password = v,
        (WINHTTP_OPTION_PROXY_USERNAME, Value::Str(v)) => st.proxy_username = v,
        (WINHTTP_OPTION_PROXY_PASSWORD, Value::Str(v)) => st.proxy_password = v,
        (WINHTTP_OPTION_HTTP_VERSION, Value::Version(major, minor)) => st.settings.http_version = (major, minor),
        (WINHTTP_OPTION_UPGRADE_TO_WEB_SOCKET, Value::Empty) => st.upgrade_to_websocket = true,
        (WINHTTP_OPTION_CLIENT_CERT_CONTEXT, Value::Raw(p)) => {
            if !r.is_secure() {
                return Err(ERROR_WINHTTP_INCORRECT_HANDLE_STATE);
            }
            if p != 0 {
                // There is no CERT_CONTEXT outside Windows: WINHTTP_OPTION_PORTABLE_CLIENT_CERT_PEM
                // is the portable way (see the README).
                return Err(ERROR_NOT_SUPPORTED);
            }
            // WINHTTP_NO_CLIENT_CERT_CONTEXT: go on without a certificate if the server asks.
            st.client_cert = super::transport::tls::ClientCert::None;
        }
        (WINHTTP_OPTION_PORTABLE_CLIENT_CERT_PEM, Value::Bytes(pem)) => {
            st.client_cert = if pem.is_empty() {
                super::transport::tls::ClientCert::Unset
            } else {
                super::transport::tls::ClientCert::Pem(std::sync::Arc::new(super::transport::tls::Identity::from_pem(
                    &pem,
                )?))
            };
        }
        (_, Value::Dword(v)) if set_shared(&mut st.settings, option, v)? => {}
        _ => {
            return match kind(option) {
                Some(_) => incorrect_type(),
                None => Err(ERROR_WINHTTP_INVALID_OPTION),
            };
        }
    }
    Ok(())
}

/// `WinHttpQueryOption` on a handle.
pub fn query(object: &Object, option: DWORD) -> Result<Value, DWORD> {
    if is_write_only(option) {
        return Err(ERROR_INVALID_PARAMETER);
    }
    if let Some(v) = query_common(object, option) {
        return Ok(v);
    }
    let found = match object {
        Object::Session(s) => query_session(s, option),
        Object::Connect(c) => match option {
            WINHTTP_OPTION_PARENT_HANDLE => Some(Value::Ptr(c.session.core.handle() as usize)),
            // A connect handle shows its session's timeouts, live.
            WINHTTP_OPTION_RESOLVE_TIMEOUT
            | WINHTTP_OPTION_CONNECT_TIMEOUT
            | WINHTTP_OPTION_SEND_TIMEOUT
            | WINHTTP_OPTION_RECEIVE_TIMEOUT
            | WINHTTP_OPTION_RECEIVE_RESPONSE_TIMEOUT => query_shared(&c.session.state().settings, option),
            _ => None,
        },
        Object::Request(r) => query_request(r, option)?,
        Object::Resolver(_) => None,
        Object::WebSocket(w) => query_websocket(w, option),
    };
    match (found, kind(option)) {
        (Some(v), _) => Ok(v),
        (None, Some(_)) => incorrect_type(),
        (None, None) => Err(ERROR_WINHTTP_INVALID_OPTION),
    }
}

fn query_session(s: &Session, option: DWORD) -> Option<Value> {
    let st = s.state();
    Some(match option {
        WINHTTP_OPTION_USER_AGENT => Value::Str(st.user_agent.as_deref().unwrap_or_default().to_owned()),
        WINHTTP_OPTION_MAX_CONNS_PER_SERVER => Value::Dword(st.max_conns_per_server),
        WINHTTP_OPTION_MAX_CONNS_PER_1_0_SERVER => Value::Dword(st.max_conns_per_1_0_server),
        WINHTTP_OPTION_SECURE_PROTOCOLS => Value::Dword(st.secure_protocols),
        WINHTTP_OPTION_PROXY => Value::Proxy(st.proxy_override.clone().unwrap_or_else(|| s.proxy.clone())),
        WINHTTP_OPTION_HTTP2_KEEPALIVE => Value::Dword(st.settings.http2_keepalive),
        _ => return query_shared(&st.settings, option),
    })
}

fn query_request(r: &Request, option: DWORD) -> Result<Option<Value>, DWORD> {
    if option == WINHTTP_OPTION_PROXY {
        return Ok(Some(Value::Proxy(r.proxy_config())));
    }
    let st = r.state();
    Ok(Some(match option {
        WINHTTP_OPTION_PARENT_HANDLE => Value::Ptr(r.connect.core.handle() as usize),
        WINHTTP_OPTION_URL => Value::Str(st.target.url()),
        // After the handshake: secure, its strength, and the waivers it was verified with.
        WINHTTP_OPTION_SECURITY_FLAGS => Value::Dword(match &st.tls {
            Some(info) => info.security_flags(),
            None => st.security_flags,
        }),
        WINHTTP_OPTION_SECURITY_KEY_BITNESS => match &st.tls {
            Some(info) => Value::Dword(info.key_bits),
            None => return Err(ERROR_WINHTTP_INCORRECT_HANDLE_STATE),
        },
        WINHTTP_OPTION_SECURITY_CERTIFICATE_STRUCT => {
            match st.tls.as_ref().and_then(|i| i.leaf.as_ref().map(|l| (i.key_bits, l))) {
                Some((bits, leaf)) => match super::transport::tls::certificate_info(leaf) {
                    Some(info) => Value::CertificateInfo(info, bits),
                    None => return Err(ERROR_WINHTTP_INCORRECT_HANDLE_STATE),
                },
                None => return Err(ERROR_WINHTTP_INCORRECT_HANDLE_STATE),
            }
        }
        WINHTTP_OPTION_PORTABLE_SERVER_CERT_DER => match st.tls.as_ref().and_then(|i| i.leaf.as_ref()) {
            Some(leaf) => Value::Bytes(leaf.to_vec()),
            None => return Err(ERROR_WINHTTP_INCORRECT_HANDLE_STATE),
        },
        // There is no CERT_CONTEXT outside Windows: see WINHTTP_OPTION_PORTABLE_SERVER_CERT_DER.
        WINHTTP_OPTION_SERVER_CERT_CONTEXT => return Err(ERROR_NOT_SUPPORTED),
        WINHTTP_OPTION_REQUEST_PRIORITY => Value::Dword(st.priority),
        WINHTTP_OPTION_USERNAME => Value::Str(st.username.clone()),
        WINHTTP_OPTION_PASSWORD => Value::Str(st.password.clone()),
        WINHTTP_OPTION_PROXY_USERNAME => Value::Str(st.proxy_username.clone()),
        WINHTTP_OPTION_PROXY_PASSWORD => Value::Str(st.proxy_password.clone()),
        WINHTTP_OPTION_CONNECTION_INFO => match st.connection {
            Some((local, peer)) => Value::Connection(local, peer),
            None => return Err(ERROR_WINHTTP_INCORRECT_HANDLE_STATE),
        },
        // HTTP/2 when the last exchange was a stream on an HTTP/2 connection.
        WINHTTP_OPTION_HTTP_PROTOCOL_USED => Value::Dword(if st.http2 { WINHTTP_PROTOCOL_FLAG_HTTP2 } else { 0 }),
        WINHTTP_OPTION_REQUEST_TIMES | WINHTTP_OPTION_REQUEST_STATS => Value::Metrics(Box::new(r.metrics.record())),
        WINHTTP_OPTION_CONNECTION_GUID => match r.metrics.guid() {
            g if g == [0; 16] => return Err(ERROR_WINHTTP_INCORRECT_HANDLE_STATE),
            g => Value::Guid(g),
        },
        WINHTTP_OPTION_CONNECTION_STATS_V0 | WINHTTP_OPTION_CONNECTION_STATS_V1 => {
            drop(st);
            // The connection the request holds (until its response is read to the end), or, once
            // it went back to the pool, while it is idle there; an operation in flight holds the
            // lane and is not waited for.
            let of = |conn: &super::conn::Connection| {
                let age = u64::try_from(conn.opened.elapsed().as_millis()).unwrap_or(u64::MAX);
                conn.stream.tcp_stats().map(|s| (s, age)).ok_or(ERROR_NOT_SUPPORTED)
            };
            let lane = r.io.try_lock().map_err(|_| ERROR_WINHTTP_INCORRECT_HANDLE_STATE)?;
            let got = match lane.conn.as_ref() {
                Some(conn) => of(conn),
                None => match r.metrics.guid() {
                    g if g == [0; 16] => Err(ERROR_WINHTTP_INCORRECT_HANDLE_STATE),
                    g => super::pool::with_idle(g, of).unwrap_or(Err(ERROR_WINHTTP_INCORRECT_HANDLE_STATE)),
                },
            };
            let (stats, age) = got?;
            return Ok(Some(Value::Tcp(stats, age, option == WINHTTP_OPTION_CONNECTION_STATS_V1)));
        }
        _ => return Ok(query_shared(&st.settings, option)),
    }))
}

/// What the library holds right now.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Snapshot {
    pub handles: u32,
    pub sessions: u32,
    pub connects: u32,
    pub requests: u32,
    pub sockets: u32,
    pub pooled: u32,
    pub pending: u32,
}

pub fn snapshot() -> Snapshot {
    let n = |c: &std::sync::atomic::AtomicU32| c.load(std::sync::atomic::Ordering::Relaxed);
    Snapshot {
        handles: u32::try_from(super::handles::live_count()).unwrap_or(u32::MAX),
        sessions: n(&diag::SESSIONS),
        connects: n(&diag::CONNECTS),
        requests: n(&diag::REQUESTS),
        sockets: n(&diag::SOCKETS),
        pooled: u32::try_from(super::pool::idle_total()).unwrap_or(u32::MAX),
        pending: n(&diag::PENDING),
    }
}

/// What `WinHttpQueryConnectionGroup` reports for one origin.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectionGroup {
    /// The host as the handle names it.
    pub host: String,
    /// Open connections to the origin (in use or idle, over any route).
    pub open: usize,
    /// Their GUIDs (`WINHTTP_OPTION_CONNECTION_GUID`).
    pub guids: Vec<[u8; 16]>,
}

/// The connections to the origin of a request handle (its current target) or of a connect handle
/// (HTTPS unless `insecure`: `WINHTTP_QUERY_CONNECTION_GROUP_FLAG_INSECURE`).
pub fn connection_group(object: &Object, insecure: bool) -> Result<ConnectionGroup, DWORD> {
    let (secure, host, port) = match object {
        Object::Request(r) => {
            let st = r.state();
            (st.target.secure, st.target.host.clone(), st.target.port)
        }
        Object::Connect(c) => {
            let port = match c.port {
                0 if insecure => INTERNET_DEFAULT_HTTP_PORT,
                0 => INTERNET_DEFAULT_HTTPS_PORT,
                p => p,
            };
            (!insecure, c.host.clone(), port)
        }
        _ => return incorrect_type(),
    };
    let (open, guids) = super::pool::connections(secure, &host, port);
    Ok(ConnectionGroup { host: host.to_string(), open, guids })
}

/// Options of a WebSocket handle: the keep-alive interval (write-only, at least
/// `WINHTTP_WEB_SOCKET_MIN_KEEPALIVE_VALUE` ms), the close and send timeouts, the buffer sizes.
fn set_websocket(
    w: &std::sync::Arc<crate::engine::objects::websocket::WebSocket>,
    option: DWORD,
    value: &Value,
) -> Result<(), DWORD> {
    let mut st = crate::engine::objects::handle::lock(&w.settings);
    match (option, value) {
        (WINHTTP_OPTION_WEB_SOCKET_KEEPALIVE_INTERVAL, Value::Dword(v)) => {
            if *v < WINHTTP_WEB_SOCKET_MIN_KEEPALIVE_VALUE {
                return Err(ERROR_INVALID_PARAMETER);
            }
            st.keepalive = *v;
            drop(st);
            crate::engine::ops::websocket::start_keepalive(w);
            return Ok(());
        }
        (WINHTTP_OPTION_WEB_SOCKET_CLOSE_TIMEOUT, Value::Dword(v)) => st.close_timeout = *v,
        (WINHTTP_OPTION_SEND_TIMEOUT, Value::Dword(v)) => st.send_timeout = *v,
        _ => {
            return match kind(option) {
                Some(_) => incorrect_type(),
                None => Err(ERROR_WINHTTP_INVALID_OPTION),
            };
        }
    }
    Ok(())
}

fn query_websocket(w: &crate::engine::objects::websocket::WebSocket, option: DWORD) -> Option<Value> {
    let st = w.settings();
    Some(Value::Dword(match option {
        WINHTTP_OPTION_WEB_SOCKET_CLOSE_TIMEOUT => st.close_timeout,
        WINHTTP_OPTION_SEND_TIMEOUT => st.send_timeout,
        WINHTTP_OPTION_WEB_SOCKET_RECEIVE_BUFFER_SIZE => st.receive_buffer,
        WINHTTP_OPTION_WEB_SOCKET_SEND_BUFFER_SIZE => st.send_buffer,
        _ => return None,
    }))
}
