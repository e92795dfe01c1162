//! Sessions and connections: `WinHttpCheckPlatform`, `WinHttpOpen`, `WinHttpConnect`,
//! `WinHttpCloseHandle`, `WinHttpSetTimeouts`.

use super::*;
use crate::engine::api::{Connect, HandleCore, Object, ProxyConfig, Session, handles};
use crate::proto::wide::CodeUnit;
use std::sync::Arc;

/// Reports whether WinHTTP is supported here: always TRUE.
#[unsafe(no_mangle)]
pub extern "C" fn WinHttpCheckPlatform() -> BOOL {
    bool_api(|| Ok(()))
}

/// Opens a session: the root handle, with the user agent, proxy mode and sync/async flag.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpOpen(
    pszAgentW: LPCWSTR,
    dwAccessType: DWORD,
    pszProxyW: LPCWSTR,
    pszProxyBypassW: LPCWSTR,
    dwFlags: DWORD,
) -> HINTERNET {
    // SAFETY: the caller's arguments, passed on.
    unsafe { WinHttpOpen_of(pszAgentW, dwAccessType, pszProxyW, pszProxyBypassW, dwFlags) }
}

/// [`WinHttpOpen`] for strings of either width.
pub(crate) unsafe fn WinHttpOpen_of<C: CodeUnit>(
    pszAgentW: *const C,
    dwAccessType: DWORD,
    pszProxyW: *const C,
    pszProxyBypassW: *const C,
    dwFlags: DWORD,
) -> HINTERNET {
    let args = || {
        // SAFETY: NULL or NUL-terminated strings, by the API's contract.
        let (agent, proxy, bypass) = unsafe { (wstring(pszAgentW), wstring(pszProxyW), wstring(pszProxyBypassW)) };
        format!(
            "agent={}, access={dwAccessType}, proxy={}, bypass={}, flags={dwFlags:#x}",
            log::opt_str(agent.as_deref()),
            log::opt_str(proxy.as_deref()),
            log::opt_str(bypass.as_deref()),
        )
    };
    handle_api_args(args, || {
        check(!matches!(
            dwAccessType,
            WINHTTP_ACCESS_TYPE_DEFAULT_PROXY
                | WINHTTP_ACCESS_TYPE_NO_PROXY
                | WINHTTP_ACCESS_TYPE_NAMED_PROXY
                | WINHTTP_ACCESS_TYPE_AUTOMATIC_PROXY
        ))?;
        // SAFETY: NULL or NUL-terminated strings, by the API's contract.
        let (agent, proxy, bypass) = unsafe { (wstring(pszAgentW), wstring(pszProxyW), wstring(pszProxyBypassW)) };
        let named = dwAccessType == WINHTTP_ACCESS_TYPE_NAMED_PROXY;
        let proxy =
            ProxyConfig { access_type: dwAccessType, proxy: proxy.filter(|_| named), bypass: bypass.filter(|_| named) };
        let session = Arc::new(Session::new(agent, proxy, dwFlags));
        handles::open(Object::Session(session))
    })
}

/// Opens a connect handle: a target server (host and port) under a session. No I/O happens here.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpConnect(
    hSession: HINTERNET,
    pswzServerName: LPCWSTR,
    nServerPort: INTERNET_PORT,
    dwReserved: DWORD,
) -> HINTERNET {
    // SAFETY: the caller's arguments, passed on.
    unsafe { WinHttpConnect_of(hSession, pswzServerName, nServerPort, dwReserved) }
}

/// [`WinHttpConnect`] for strings of either width.
pub(crate) unsafe fn WinHttpConnect_of<C: CodeUnit>(
    hSession: HINTERNET,
    pswzServerName: *const C,
    nServerPort: INTERNET_PORT,
    dwReserved: DWORD,
) -> HINTERNET {
    let _ = dwReserved;
    let args = || {
        // SAFETY: NULL or a NUL-terminated string.
        let host = unsafe { wstring(pswzServerName) };
        format!("hSession={}, server={}, port={nServerPort}", log::handle(hSession), log::opt_str(host.as_deref()))
    };
    handle_api_args(args, || {
        // SAFETY: NULL or a NUL-terminated string.
        let host = unsafe { wstring(pswzServerName) }.ok_or(ERROR_INVALID_PARAMETER)?;
        let session = handles::session(hSession)?;
        let connect = Arc::new(Connect::new(session.clone(), host, nServerPort)?);
        let h = handles::open(Object::Connect(connect))?;
        notify_created(&session.core, h);
        Ok(h)
    })
}

/// Sends `HANDLE_CREATED` for a new handle through the parent's callback, with the parent's context.
pub(crate) fn notify_created(parent: &HandleCore, h: HINTERNET) {
    let mut handle = h;
    // SAFETY: `handle` lives for the duration of the call.
    unsafe {
        parent.callback.notify(
            h,
            parent.context(),
            WINHTTP_CALLBACK_STATUS_HANDLE_CREATED,
            (&raw mut handle).cast(),
            core::mem::size_of::<HINTERNET>() as DWORD,
        )
    }
}

/// Closes any handle. The object itself lives on while children or operations still need it.
#[unsafe(no_mangle)]
pub extern "C" fn WinHttpCloseHandle(hInternet: HINTERNET) -> BOOL {
    bool_api_args(|| log::handle(hInternet), || handles::close(hInternet))
}

/// Sets the resolve, connect, send and receive timeouts (ms) of a session or request.
/// -1 and 0 mean infinite; anything below -1 is invalid.
#[unsafe(no_mangle)]
pub extern "C" fn WinHttpSetTimeouts(
    hInternet: HINTERNET,
    nResolveTimeout: core::ffi::c_int,
    nConnectTimeout: core::ffi::c_int,
    nSendTimeout: core::ffi::c_int,
    nReceiveTimeout: core::ffi::c_int,
) -> BOOL {
    let args = || {
        let h = log::handle(hInternet);
        format!(
            "{h}, resolve={nResolveTimeout}, connect={nConnectTimeout}, send={nSendTimeout}, receive={nReceiveTimeout}"
        )
    };
    bool_api_args(args, || {
        let values = [nResolveTimeout, nConnectTimeout, nSendTimeout, nReceiveTimeout];
        check(values.iter().any(|&v| v < -1))?;
        let apply = |t: &mut crate::engine::api::Timeouts| {
            t.resolve = nResolveTimeout as DWORD;
            t.connect = nConnectTimeout as DWORD;
            t.send = nSendTimeout as DWORD;
            t.receive = nReceiveTimeout as DWORD;
        };
        match handles::get(hInternet)? {
            Object::Session(s) => apply(&mut s.state().settings.timeouts),
            Object::Request(r) => apply(&mut r.state().settings.timeouts),
            Object::Connect(_) | Object::Resolver(_) | Object::WebSocket(_) => {
                return Err(ERROR_WINHTTP_INCORRECT_HANDLE_TYPE);
            }
        }
        Ok(())
    })
}
