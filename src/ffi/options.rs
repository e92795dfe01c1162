//! `WinHttpSetOption` and `WinHttpQueryOption`: the buffer protocol. Semantics (which option on
//! which handle, validation, storage) live in `engine::options`.
//!
//! - DWORD options take exactly `sizeof(DWORD)` on set; a query with a NULL buffer or fewer than 4
//!   bytes fails with `ERROR_INSUFFICIENT_BUFFER` and reports 4, a larger buffer is fine and the
//!   size is rewritten to 4.
//! - String options are set with a length in characters and queried in bytes: on success the size
//!   excludes the terminator, on `ERROR_INSUFFICIENT_BUFFER` it includes it.

use super::*;
use crate::engine::api::handles;
use crate::engine::api::{Kind, Value, options};
use crate::proto::wide::{self, CodeUnit};
use core::mem::size_of;

/// Reads the caller's buffer as the option's kind of value.
///
/// # Safety
/// `buf` is NULL or valid for `len` bytes.
unsafe fn read_value<C: CodeUnit>(option: DWORD, kind: Kind, buf: LPVOID, len: DWORD) -> ApiResult<Value> {
    let len = len as usize;
    Ok(match kind {
        Kind::Dword => {
            if buf.is_null() || (len == 0 && option == WINHTTP_OPTION_ENABLE_FEATURE) {
                return Err(ERROR_INVALID_PARAMETER);
            }
            if len != size_of::<DWORD>() {
                return Err(if option == WINHTTP_OPTION_WEB_SOCKET_KEEPALIVE_INTERVAL {
                    ERROR_INVALID_PARAMETER
                } else {
                    ERROR_INSUFFICIENT_BUFFER
                });
            }
            // SAFETY: 4 readable bytes.
            Value::Dword(unsafe { buf.cast::<DWORD>().read_unaligned() })
        }
        Kind::Ptr => {
            check(buf.is_null())?;
            if len != size_of::<usize>() {
                return Err(ERROR_INSUFFICIENT_BUFFER);
            }
            // SAFETY: pointer-sized readable bytes.
            Value::Ptr(unsafe { buf.cast::<usize>().read_unaligned() })
        }
        Kind::Str => {
            if buf.is_null() {
                check(len != 0)?;
                return Ok(Value::Str(String::new()));
            }
            // The length counts characters; a terminator inside it ends the string early.
            // SAFETY: `len` readable characters.
            let units = unsafe { core::slice::from_raw_parts(buf.cast::<C>(), len) };
            let end = units.iter().position(|&u| u.to_u32() == 0).unwrap_or(units.len());
            Value::Str(wide::decode(&units[..end]))
        }
        Kind::Version => {
            check(buf.is_null())?;
            if len != size_of::<HTTP_VERSION_INFO>() {
                return Err(ERROR_INSUFFICIENT_BUFFER);
            }
            // SAFETY: a readable HTTP_VERSION_INFO.
            let v = unsafe { buf.cast::<HTTP_VERSION_INFO>().read_unaligned() };
            Value::Version(v.dwMajorVersion, v.dwMinorVersion)
        }
        Kind::Empty => {
            check(!buf.is_null() || len != 0)?;
            Value::Empty
        }
        Kind::Raw => Value::Raw(buf as usize),
        Kind::ConnectionInfo
        | Kind::CertificateInfo
        | Kind::Diagnostics
        | Kind::RequestTimes
        | Kind::RequestStats
        | Kind::Guid
        | Kind::TcpInfo => {
            return Err(ERROR_WINHTTP_OPTION_NOT_SETTABLE);
        }
        Kind::TcpKeepalive => {
            check(buf.is_null())?;
            if len != size_of::<tcp_keepalive>() {
                return Err(ERROR_INSUFFICIENT_BUFFER);
            }
            // SAFETY: a readable `struct tcp_keepalive`.
            let k = unsafe { buf.cast::<tcp_keepalive>().read_unaligned() };
            Value::Keepalive(k.onoff, k.keepalivetime, k.keepaliveinterval)
        }
        Kind::Bytes => {
            if buf.is_null() {
                check(len != 0)?;
                return Ok(Value::Bytes(Vec::new()));
            }
            // SAFETY: `len` readable bytes.
            Value::Bytes(unsafe { core::slice::from_raw_parts(buf.cast::<u8>(), len) }.to_vec())
        }
        Kind::ProxyInfo => {
            check(buf.is_null())?;
            if len != size_of::<WINHTTP_PROXY_INFO>() {
                return Err(ERROR_INSUFFICIENT_BUFFER);
            }
            // SAFETY: a readable WINHTTP_PROXY_INFO whose strings are NULL or NUL-terminated.
            let info = unsafe { buf.cast::<WINHTTP_PROXY_INFO>().read_unaligned() };
            let (proxy, bypass) =
                unsafe { (wstring(info.lpszProxy.cast::<C>()), wstring(info.lpszProxyBypass.cast::<C>())) };
            Value::Proxy(crate::engine::api::ProxyConfig { access_type: info.dwAccessType, proxy, bypass })
        }
    })
}

/// Sets an option on a handle (or a process-wide option on a NULL handle).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpSetOption(
    hInternet: HINTERNET,
    dwOption: DWORD,
    lpBuffer: LPVOID,
    dwBufferLength: DWORD,
) -> BOOL {
    // SAFETY: the caller's arguments, passed on.
    unsafe { WinHttpSetOption_of::<WCHAR>(hInternet, dwOption, lpBuffer, dwBufferLength) }
}

/// [`WinHttpSetOption`] for strings of either width: string options (and the strings of a
/// `WINHTTP_PROXY_INFO`) are read in units of `C`, their length counted in those units.
pub(crate) unsafe fn WinHttpSetOption_of<C: CodeUnit>(
    hInternet: HINTERNET,
    dwOption: DWORD,
    lpBuffer: LPVOID,
    dwBufferLength: DWORD,
) -> BOOL {
    let args = || {
        let value = if log::secret_option(dwOption) {
            "<redacted>".to_string()
        } else {
            // SAFETY: the caller's buffer of `dwBufferLength` bytes, read as the call reads it.
            match options::kind(dwOption).map(|k| unsafe { read_value::<C>(dwOption, k, lpBuffer, dwBufferLength) }) {
                Some(Ok(Value::Dword(v))) => format!("{v} ({v:#x})"),
                Some(Ok(Value::Ptr(v))) => format!("{v:#x}"),
                Some(Ok(Value::Str(s))) => log::opt_str(Some(&s)),
                _ => format!("<{dwBufferLength} bytes>"),
            }
        };
        format!("{}, {}, {value}", log::handle(hInternet), log::option_name(dwOption))
    };
    bool_api_args(args, || {
        let object = if hInternet.is_null() { None } else { Some(handles::get(hInternet)?) };
        let kind = options::kind(dwOption).ok_or(ERROR_WINHTTP_INVALID_OPTION)?;
        if object.is_some() && options::is_read_only(dwOption) {
            return Err(ERROR_WINHTTP_OPTION_NOT_SETTABLE);
        }
        // SAFETY: the caller's buffer of `dwBufferLength` bytes.
        let value = unsafe { read_value::<C>(dwOption, kind, lpBuffer, dwBufferLength) }?;
        match object {
            Some(object) => options::set(&object, dwOption, value),
            None => options::set_global(dwOption, &value),
        }
    })
}

/// Writes a fixed-size value with the DWORD-option protocol.
///
/// # Safety
/// `buf` is NULL or valid for `*len` bytes; `len` is valid.
unsafe fn write_fixed<T>(buf: LPVOID, len: LPDWORD, v: T) -> ApiResult<()> {
    let need = size_of::<T>() as DWORD;
    // SAFETY: `len` is valid (checked by the caller); `buf` holds at least `need` bytes when used.
    unsafe {
        if buf.is_null() || *len < need {
            *len = need;
            return Err(ERROR_INSUFFICIENT_BUFFER);
        }
        buf.cast::<T>().write_unaligned(v);
        *len = need;
    }
    Ok(())
}

/// Writes a string with the byte-sized string protocol.
///
/// # Safety
/// As for [`write_fixed`].
pub(crate) unsafe fn write_string<C: CodeUnit>(buf: LPVOID, len: LPDWORD, s: &str) -> ApiResult<()> {
    let units: Vec<C> = wide::encode(s);
    let unit = C::BYTES;
    let need = (units.len() + 1) * unit;
    // SAFETY: as promised by the caller.
    unsafe {
        if buf.is_null() || (*len as usize) < need {
            *len = DWORD::try_from(need).map_err(|_| ERROR_NOT_ENOUGH_MEMORY)?;
            return Err(ERROR_INSUFFICIENT_BUFFER);
        }
        put_wcs(buf.cast::<C>(), need / unit, &units);
        *len = (units.len() * unit) as DWORD;
    }
    Ok(())
}

/// Reads an option of a handle (or a process-wide option for a NULL handle).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpQueryOption(
    hInternet: HINTERNET,
    dwOption: DWORD,
    lpBuffer: LPVOID,
    lpdwBufferLength: LPDWORD,
) -> BOOL {
    // SAFETY: the caller's arguments, passed on.
    unsafe { WinHttpQueryOption_of::<WCHAR>(hInternet, dwOption, lpBuffer, lpdwBufferLength) }
}

/// [`WinHttpQueryOption`] for strings of either width: string answers, and the strings a
/// `WINHTTP_PROXY_INFO` or `WINHTTP_CERTIFICATE_INFO` answer points to, are in units of `C`.
pub(crate) unsafe fn WinHttpQueryOption_of<C: CodeUnit>(
    hInternet: HINTERNET,
    dwOption: DWORD,
    lpBuffer: LPVOID,
    lpdwBufferLength: LPDWORD,
) -> BOOL {
    let args = || {
        // SAFETY: NULL or a valid DWORD, by the API's contract.
        let len = if lpdwBufferLength.is_null() { None } else { Some(unsafe { lpdwBufferLength.read_unaligned() }) };
        format!("{}, {}, buffer {len:?} bytes", log::handle(hInternet), log::option_name(dwOption))
    };
    bool_api_args(args, || {
        let object = if hInternet.is_null() { None } else { Some(handles::get(hInternet)?) };
        check(dwOption == 0 || lpdwBufferLength.is_null())?;
        let value = match object {
            Some(object) => options::query(&object, dwOption)?,
            None => options::query_global(dwOption)?,
        };
        // SAFETY: the caller's buffer of `*lpdwBufferLength` bytes; the length pointer is valid.
        unsafe {
            match value {
                Value::Dword(v) => write_fixed(lpBuffer, lpdwBufferLength, v),
                Value::Ptr(v) | Value::Raw(v) => write_fixed(lpBuffer, lpdwBufferLength, v),
                Value::Str(s) => write_string::<C>(lpBuffer, lpdwBufferLength, &s),
                Value::Version(major, minor) => write_fixed(
                    lpBuffer,
                    lpdwBufferLength,
                    HTTP_VERSION_INFO { dwMajorVersion: major, dwMinorVersion: minor },
                ),
                Value::Connection(local, peer) => write_fixed(
                    lpBuffer,
                    lpdwBufferLength,
                    WINHTTP_CONNECTION_INFO {
                        cbSize: size_of::<WINHTTP_CONNECTION_INFO>() as DWORD,
                        LocalAddress: windows_sockaddr(local),
                        RemoteAddress: windows_sockaddr(peer),
                    },
                ),
                Value::Proxy(p) => write_proxy_info::<C>(lpBuffer, lpdwBufferLength, &p),
                Value::CertificateInfo(info, bits) => {
                    write_certificate_info::<C>(lpBuffer, lpdwBufferLength, &info, bits)
                }
                Value::Bytes(b) => write_bytes(lpBuffer, lpdwBufferLength, &b),
                Value::Diagnostics(d) => write_fixed(
                    lpBuffer,
                    lpdwBufferLength,
                    WINHTTP_PORTABLE_DIAGNOSTICS {
                        dwLiveHandles: d.handles,
                        dwLiveSessions: d.sessions,
                        dwLiveConnects: d.connects,
                        dwLiveRequests: d.requests,
                        dwOpenSockets: d.sockets,
                        dwPooledConnections: d.pooled,
                        dwPendingOperations: d.pending,
                    },
                ),
                Value::Metrics(m) if dwOption == WINHTTP_OPTION_REQUEST_STATS => {
                    let mut stats = WINHTTP_REQUEST_STATS {
                        ullFlags: m.flags,
                        ulIndex: m.index,
                        cStats: m.stats.len() as ULONG,
                        rgullStats: [0; WinHttpRequestStatMax as usize],
                    };
                    stats.rgullStats[..m.stats.len()].copy_from_slice(&m.stats);
                    write_fixed(lpBuffer, lpdwBufferLength, stats)
                }
                Value::Metrics(m) => {
                    let mut times = WINHTTP_REQUEST_TIMES {
                        cTimes: m.times.len() as ULONG,
                        rgullTimes: [0; WinHttpRequestTimeMax as usize],
                    };
                    times.rgullTimes[..m.times.len()].copy_from_slice(&m.times);
                    write_fixed(lpBuffer, lpdwBufferLength, times)
                }
                Value::Guid(g) => write_fixed(lpBuffer, lpdwBufferLength, guid(g)),
                Value::Tcp(t, age, v1) => {
                    let v0 = tcp_info_v0(&t, age);
                    if v1 {
                        write_fixed(lpBuffer, lpdwBufferLength, tcp_info_v1(v0, &t))
                    } else {
                        write_fixed(lpBuffer, lpdwBufferLength, v0)
                    }
                }
                Value::Empty | Value::Keepalive(..) => Err(ERROR_INVALID_PARAMETER),
            }
        }
    })
}

/// A socket address in the Windows `SOCKADDR_STORAGE` layout (`AF_INET` 2, `AF_INET6` 23, port in
/// network order, then the `sockaddr_in` / `sockaddr_in6` fields).
fn windows_sockaddr(addr: std::net::SocketAddr) -> SOCKADDR_STORAGE {
    let mut bytes = [0u8; size_of::<SOCKADDR_STORAGE>()];
    bytes[2..4].copy_from_slice(&addr.port().to_be_bytes());
    match addr {
        std::net::SocketAddr::V4(a) => {
            bytes[0..2].copy_from_slice(&2u16.to_ne_bytes());
            bytes[4..8].copy_from_slice(&a.ip().octets());
        }
        std::net::SocketAddr::V6(a) => {
            bytes[0..2].copy_from_slice(&23u16.to_ne_bytes());
            bytes[4..8].copy_from_slice(&a.flowinfo().to_be_bytes());
            bytes[8..24].copy_from_slice(&a.ip().octets());
            bytes[24..28].copy_from_slice(&a.scope_id().to_ne_bytes());
        }
    }
    // SAFETY: SOCKADDR_STORAGE is plain bytes of exactly this size.
    unsafe { core::mem::transmute::<[u8; size_of::<SOCKADDR_STORAGE>()], SOCKADDR_STORAGE>(bytes) }
}

/// Writes a `WINHTTP_PROXY_INFO` whose strings the caller frees with `GlobalFree`.
///
/// # Safety
/// As for [`write_fixed`].
unsafe fn write_proxy_info<C: CodeUnit>(
    buf: LPVOID,
    len: LPDWORD,
    p: &crate::engine::api::ProxyConfig,
) -> ApiResult<()> {
    let need = size_of::<WINHTTP_PROXY_INFO>() as DWORD;
    // SAFETY: `len` is valid (checked by the caller).
    if buf.is_null() || unsafe { *len } < need {
        unsafe { *len = need };
        return Err(ERROR_INSUFFICIENT_BUFFER);
    }
    let info = super::proxy::proxy_info::<C>(p)?;
    // SAFETY: the buffer holds a WINHTTP_PROXY_INFO.
    unsafe { write_fixed(buf, len, info) }
}

/// 100-nanosecond intervals from 1601-01-01 to 1970-01-01.
const FILETIME_UNIX_EPOCH: i64 = 116_444_736_000_000_000;

/// Seconds since the Unix epoch as a `FILETIME` (clamped to what it can hold).
fn filetime(unix: i64) -> FILETIME {
    let t = unix.saturating_mul(10_000_000).saturating_add(FILETIME_UNIX_EPOCH).max(0) as u64;
    FILETIME { dwLowDateTime: t as DWORD, dwHighDateTime: (t >> 32) as DWORD }
}

/// Writes a `WINHTTP_CERTIFICATE_INFO` whose subject and issuer strings the caller frees with
/// `LocalFree` (the other strings are NULL, as on Windows).
///
/// # Safety
/// As for [`write_fixed`].
unsafe fn write_certificate_info<C: CodeUnit>(
    buf: LPVOID,
    len: LPDWORD,
    c: &crate::engine::api::CertificateInfo,
    bits: DWORD,
) -> ApiResult<()> {
    let need = size_of::<WINHTTP_CERTIFICATE_INFO>() as DWORD;
    // SAFETY: `len` is valid (checked by the caller).
    if buf.is_null() || unsafe { *len } < need {
        unsafe { *len = need };
        return Err(ERROR_INSUFFICIENT_BUFFER);
    }
    let subject = super::memory::alloc_wstr::<C>(&c.subject)?.cast::<WCHAR>();
    let issuer = match super::memory::alloc_wstr::<C>(&c.issuer) {
        Ok(p) => p.cast::<WCHAR>(),
        Err(e) => {
            // SAFETY: allocated just above by the same allocator.
            unsafe { super::memory::LocalFree(subject.cast()) };
            return Err(e);
        }
    };
    let info = WINHTTP_CERTIFICATE_INFO {
        ftExpiry: filetime(c.not_after),
        ftStart: filetime(c.not_before),
        lpszSubjectInfo: subject,
        lpszIssuerInfo: issuer,
        lpszProtocolName: core::ptr::null_mut(),
        lpszSignatureAlgName: core::ptr::null_mut(),
        lpszEncryptionAlgName: core::ptr::null_mut(),
        dwKeySize: bits,
    };
    // SAFETY: the buffer holds a WINHTTP_CERTIFICATE_INFO.
    unsafe { write_fixed(buf, len, info) }
}

/// Writes bytes with the fixed-size protocol: too small a buffer gets the size needed.
///
/// # Safety
/// As for [`write_fixed`].
unsafe fn write_bytes(buf: LPVOID, len: LPDWORD, b: &[u8]) -> ApiResult<()> {
    let need = DWORD::try_from(b.len()).map_err(|_| ERROR_NOT_ENOUGH_MEMORY)?;
    // SAFETY: `len` is valid; `buf` holds `*len` bytes.
    unsafe {
        if buf.is_null() || *len < need {
            *len = need;
            return Err(ERROR_INSUFFICIENT_BUFFER);
        }
        core::ptr::copy_nonoverlapping(b.as_ptr(), buf.cast::<u8>(), b.len());
        *len = need;
    }
    Ok(())
}

/// A GUID from its 16 bytes in memory order (the fields little-endian, as on Windows).
pub(crate) fn guid(g: [u8; 16]) -> GUID {
    GUID {
        Data1: u32::from_le_bytes([g[0], g[1], g[2], g[3]]),
        Data2: u16::from_le_bytes([g[4], g[5]]),
        Data3: u16::from_le_bytes([g[6], g[7]]),
        Data4: [g[8], g[9], g[10], g[11], g[12], g[13], g[14], g[15]],
    }
}

/// `TCP_INFO_v0` from the engine's TCP statistics and the connection's age in ms.
fn tcp_info_v0(t: &crate::engine::api::TcpStats, age: u64) -> TCP_INFO_v0 {
    TCP_INFO_v0 {
        State: t.state,
        Mss: t.mss,
        ConnectionTimeMs: age,
        TimestampsEnabled: BOOLEAN::from(t.timestamps),
        RttUs: t.rtt_us,
        MinRttUs: t.min_rtt_us,
        BytesInFlight: t.bytes_in_flight,
        Cwnd: t.cwnd,
        SndWnd: t.snd_wnd,
        RcvWnd: t.rcv_wnd,
        RcvBuf: t.rcv_buf,
        BytesOut: t.bytes_out,
        BytesIn: t.bytes_in,
        BytesReordered: t.bytes_reordered,
        BytesRetrans: t.bytes_retrans,
        FastRetrans: t.fast_retrans,
        DupAcksIn: t.dup_acks_in,
        TimeoutEpisodes: t.timeout_episodes,
        SynRetrans: 0,
    }
}

/// `TCP_INFO_v1`: `v0` and the send-limit times (transition counts and bytes are not measured).
fn tcp_info_v1(v0: TCP_INFO_v0, t: &crate::engine::api::TcpStats) -> TCP_INFO_v1 {
    TCP_INFO_v1 {
        State: v0.State,
        Mss: v0.Mss,
        ConnectionTimeMs: v0.ConnectionTimeMs,
        TimestampsEnabled: v0.TimestampsEnabled,
        RttUs: v0.RttUs,
        MinRttUs: v0.MinRttUs,
        BytesInFlight: v0.BytesInFlight,
        Cwnd: v0.Cwnd,
        SndWnd: v0.SndWnd,
        RcvWnd: v0.RcvWnd,
        RcvBuf: v0.RcvBuf,
        BytesOut: v0.BytesOut,
        BytesIn: v0.BytesIn,
        BytesReordered: v0.BytesReordered,
        BytesRetrans: v0.BytesRetrans,
        FastRetrans: v0.FastRetrans,
        DupAcksIn: v0.DupAcksIn,
        TimeoutEpisodes: v0.TimeoutEpisodes,
        SynRetrans: v0.SynRetrans,
        SndLimTransRwin: 0,
        SndLimTimeRwin: t.rwnd_limited_ms,
        SndLimBytesRwin: 0,
        SndLimTransCwnd: 0,
        SndLimTimeCwnd: 0,
        SndLimBytesCwnd: 0,
        SndLimTransSnd: 0,
        SndLimTimeSnd: t.sndbuf_limited_ms,
        SndLimBytesSnd: 0,
    }
}
