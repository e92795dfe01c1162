//! Proxy auto-configuration: `WinHttpGetProxyForUrl` (PAC by URL or WPAD, on the caller's thread),
//! `WinHttpDetectAutoProxyConfigUrl`, the asynchronous resolver (`WinHttpCreateProxyResolver`,
//! `WinHttpGetProxyForUrlEx`/`Ex2`, `WinHttpGetProxyResult`/`Ex`, `WinHttpFreeProxyResult`/`Ex`),
//! `WinHttpResetAutoProxy` and `WinHttpIsHostInProxyBypassList`. The work is `crate::pac`'s.

use super::memory::{WinHttpGlobalFree, alloc_wstr};
use super::proxy::proxy_info;
use super::{bool_api, check, dword_api, wstring};
use crate::abi::*;
use crate::engine::api::ProxyConfig;
use crate::engine::api::Resolver;
use crate::engine::api::{Object, handles};
use crate::pac;
use crate::proto::pac_helpers::{self, PacEntry};
use crate::proto::wide::CodeUnit;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

/// Flags of `WINHTTP_AUTOPROXY_OPTIONS.dwFlags` accepted (the others are `INVALID_PARAMETER`).
const KNOWN_FLAGS: DWORD = WINHTTP_AUTOPROXY_AUTO_DETECT
    | WINHTTP_AUTOPROXY_CONFIG_URL
    | WINHTTP_AUTOPROXY_HOST_KEEPCASE
    | WINHTTP_AUTOPROXY_HOST_LOWERCASE
    | WINHTTP_AUTOPROXY_ALLOW_AUTOCONFIG
    | WINHTTP_AUTOPROXY_ALLOW_STATIC
    | WINHTTP_AUTOPROXY_ALLOW_CM
    | WINHTTP_AUTOPROXY_USE_INTERFACE_CONFIG
    | WINHTTP_AUTOPROXY_RUN_INPROCESS
    | WINHTTP_AUTOPROXY_RUN_OUTPROCESS_ONLY
    | WINHTTP_AUTOPROXY_NO_DIRECTACCESS
    | WINHTTP_AUTOPROXY_NO_CACHE_CLIENT
    | WINHTTP_AUTOPROXY_NO_CACHE_SVC
    | WINHTTP_AUTOPROXY_SORT_RESULTS;

const DETECT_FLAGS: DWORD = WINHTTP_AUTO_DETECT_TYPE_DHCP | WINHTTP_AUTO_DETECT_TYPE_DNS_A;

/// The URL and options of a resolution call, checked (`INVALID_PARAMETER` for anything wrong).
///
/// # Safety
/// `url` NULL or NUL-terminated; `opts` NULL or readable.
unsafe fn read_request<C: CodeUnit>(
    url: *const C,
    opts: *const WINHTTP_AUTOPROXY_OPTIONS,
) -> Result<(String, pac::Options), DWORD> {
    check(opts.is_null())?;
    // SAFETY: by the caller.
    let url = unsafe { wstring(url) }.ok_or(ERROR_INVALID_PARAMETER)?;
    check(url.is_empty())?;
    let o = unsafe { opts.read_unaligned() };
    check(o.dwFlags & !KNOWN_FLAGS != 0 || !o.lpvReserved.is_null() || o.dwReserved != 0)?;
    check(o.dwFlags & (WINHTTP_AUTOPROXY_AUTO_DETECT | WINHTTP_AUTOPROXY_CONFIG_URL) == 0)?;
    let mut options = pac::Options {
        lowercase_host: o.dwFlags & WINHTTP_AUTOPROXY_HOST_LOWERCASE != 0,
        no_cache: o.dwFlags & WINHTTP_AUTOPROXY_NO_CACHE_CLIENT != 0,
        auto_logon: o.fAutoLogonIfChallenged != 0,
        ..Default::default()
    };
    if o.dwFlags & WINHTTP_AUTOPROXY_AUTO_DETECT != 0 {
        check(o.dwAutoDetectFlags == 0 || o.dwAutoDetectFlags & !DETECT_FLAGS != 0)?;
        options.auto_detect = Some(o.dwAutoDetectFlags);
    }
    if o.dwFlags & WINHTTP_AUTOPROXY_CONFIG_URL != 0 {
        // SAFETY: by the API's contract.
        let u = unsafe { wstring(o.lpszAutoConfigUrl.cast::<C>()) }.ok_or(ERROR_INVALID_PARAMETER)?;
        check(u.is_empty())?;
        options.config_url = Some(u);
    }
    Ok((url, options))
}

/// What `WinHttpGetProxyForUrl` reports for a resolution.
fn config_for(entries: &[PacEntry]) -> ProxyConfig {
    match pac_helpers::proxy_list(entries) {
        Some(list) => ProxyConfig { access_type: WINHTTP_ACCESS_TYPE_NAMED_PROXY, proxy: Some(list), bypass: None },
        None => ProxyConfig { access_type: WINHTTP_ACCESS_TYPE_NO_PROXY, proxy: None, bypass: None },
    }
}

/// Finds the URL of a proxy auto-config script by WPAD (DNS: `wpad.<domain>` up the search
/// domains). DHCP is not available here: `WINHTTP_AUTO_DETECT_TYPE_DHCP` alone fails with
/// `ERROR_WINHTTP_AUTODETECTION_FAILED`. The URL is freed with `GlobalFree`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpDetectAutoProxyConfigUrl(
    dwAutoDetectFlags: DWORD,
    ppwstrAutoConfigUrl: *mut LPWSTR,
) -> BOOL {
    // SAFETY: the caller's arguments, passed on.
    unsafe { WinHttpDetectAutoProxyConfigUrl_of(dwAutoDetectFlags, ppwstrAutoConfigUrl) }
}

/// [`WinHttpDetectAutoProxyConfigUrl`] with the URL in units of `C`.
pub(crate) unsafe fn WinHttpDetectAutoProxyConfigUrl_of<C: CodeUnit>(
    dwAutoDetectFlags: DWORD,
    ppwstrAutoConfigUrl: *mut *mut C,
) -> BOOL {
    bool_api(|| {
        check(ppwstrAutoConfigUrl.is_null())?;
        check(dwAutoDetectFlags == 0 || dwAutoDetectFlags & !DETECT_FLAGS != 0)?;
        let url = pac::detect(dwAutoDetectFlags)?;
        let p = alloc_wstr::<C>(&url)?;
        // SAFETY: a writable pointer, by the API's contract.
        unsafe { ppwstrAutoConfigUrl.write_unaligned(p) };
        Ok(())
    })
}

/// Runs proxy auto-configuration for a URL on the caller's thread: downloads the PAC script
/// (`CONFIG_URL`, or found by WPAD with `AUTO_DETECT`), runs `FindProxyForURL` in the sandbox and
/// fills `pProxyInfo` (strings freed with `GlobalFree`).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpGetProxyForUrl(
    hSession: HINTERNET,
    lpcwszUrl: LPCWSTR,
    pAutoProxyOptions: *mut WINHTTP_AUTOPROXY_OPTIONS,
    pProxyInfo: *mut WINHTTP_PROXY_INFO,
) -> BOOL {
    // SAFETY: the caller's arguments, passed on.
    unsafe { WinHttpGetProxyForUrl_of(hSession, lpcwszUrl, pAutoProxyOptions, pProxyInfo) }
}

/// [`WinHttpGetProxyForUrl`] with strings (the URL, the options' and the answer's) in units of `C`.
pub(crate) unsafe fn WinHttpGetProxyForUrl_of<C: CodeUnit>(
    hSession: HINTERNET,
    lpcwszUrl: *const C,
    pAutoProxyOptions: *mut WINHTTP_AUTOPROXY_OPTIONS,
    pProxyInfo: *mut WINHTTP_PROXY_INFO,
) -> BOOL {
    bool_api(|| {
        if hSession.is_null() {
            return Err(ERROR_INVALID_HANDLE);
        }
        check(pProxyInfo.is_null())?;
        // SAFETY: by the API's contract.
        let (url, opts) = unsafe { read_request(lpcwszUrl, pAutoProxyOptions) }?;
        handles::session(hSession)?;
        let entries = pac::resolve(&url, &opts, &Arc::new(AtomicBool::new(false)))?;
        let info = proxy_info::<C>(&config_for(&entries))?;
        // SAFETY: a writable structure, by the API's contract.
        unsafe { pProxyInfo.write_unaligned(info) };
        Ok(())
    })
}

/// Creates a proxy resolver handle under an asynchronous session.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpCreateProxyResolver(hSession: HINTERNET, phResolver: *mut HINTERNET) -> DWORD {
    dword_api(|| {
        if hSession.is_null() {
            return Err(ERROR_INVALID_HANDLE);
        }
        check(phResolver.is_null())?;
        let session = handles::session(hSession)?;
        if !session.is_async() {
            return Err(ERROR_WINHTTP_INCORRECT_HANDLE_TYPE);
        }
        let h = handles::open(Object::Resolver(Arc::new(Resolver::new(session)?)))?;
        // SAFETY: a writable pointer, by the API's contract.
        unsafe { phResolver.write_unaligned(h) };
        Ok(())
    })
}

/// Starts resolving on a completion thread; the end is `GETPROXYFORURL_COMPLETE` (then
/// `WinHttpGetProxyResult`) or `REQUEST_ERROR` with `API_GET_PROXY_FOR_URL`.
unsafe fn get_proxy_for_url_ex<C: CodeUnit>(
    hResolver: HINTERNET,
    url: *const C,
    opts: *mut WINHTTP_AUTOPROXY_OPTIONS,
    context: DWORD_PTR,
) -> DWORD {
    let r = dword_api(|| {
        if hResolver.is_null() {
            return Err(ERROR_INVALID_HANDLE);
        }
        // SAFETY: by the API's contract.
        let (url, opts) = unsafe { read_request(url, opts) }?;
        let resolver = handles::resolver(hResolver)?;
        resolver.begin()?;
        resolver.core.set_context(context);
        let cancel = resolver.cancel_flag();
        crate::engine::api::submit(move || {
            let result = pac::resolve(&url, &opts, &cancel);
            let failed = result.as_ref().err().copied();
            if resolver.end(result) {
                match failed {
                    // SAFETY: no information with this notification.
                    None => unsafe {
                        resolver.core.notify(WINHTTP_CALLBACK_STATUS_GETPROXYFORURL_COMPLETE, core::ptr::null_mut(), 0)
                    },
                    Some(e) => request_error(&resolver, e),
                }
            } else {
                request_error(&resolver, ERROR_WINHTTP_OPERATION_CANCELLED);
                resolver.finish_close();
            }
        });
        Ok(())
    });
    if r == ERROR_SUCCESS { ERROR_IO_PENDING } else { r }
}

fn request_error(resolver: &Resolver, error: DWORD) {
    let mut result = WINHTTP_ASYNC_RESULT { dwResult: API_GET_PROXY_FOR_URL as DWORD_PTR, dwError: error };
    let len = core::mem::size_of::<WINHTTP_ASYNC_RESULT>() as DWORD;
    // SAFETY: `result` lives for the duration of the call.
    unsafe { resolver.core.notify(WINHTTP_CALLBACK_STATUS_REQUEST_ERROR, (&raw mut result).cast(), len) }
}

/// Starts resolving the proxies for a URL on a resolver handle: `ERROR_IO_PENDING`, then the
/// status callback.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpGetProxyForUrlEx(
    hResolver: HINTERNET,
    pcwszUrl: PCWSTR,
    pAutoProxyOptions: *mut WINHTTP_AUTOPROXY_OPTIONS,
    pContext: DWORD_PTR,
) -> DWORD {
    // SAFETY: the caller's arguments, passed on.
    unsafe { WinHttpGetProxyForUrlEx_of(hResolver, pcwszUrl, pAutoProxyOptions, pContext) }
}

/// [`WinHttpGetProxyForUrlEx`] with strings in units of `C`.
pub(crate) unsafe fn WinHttpGetProxyForUrlEx_of<C: CodeUnit>(
    hResolver: HINTERNET,
    pcwszUrl: *const C,
    pAutoProxyOptions: *mut WINHTTP_AUTOPROXY_OPTIONS,
    pContext: DWORD_PTR,
) -> DWORD {
    // SAFETY: as promised by the caller.
    unsafe { get_proxy_for_url_ex(hResolver, pcwszUrl, pAutoProxyOptions, pContext) }
}

/// Like `WinHttpGetProxyForUrlEx`; the interface selection context is checked and not used
/// (there is one network configuration here).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpGetProxyForUrlEx2(
    hResolver: HINTERNET,
    pcwszUrl: PCWSTR,
    pAutoProxyOptions: *mut WINHTTP_AUTOPROXY_OPTIONS,
    cbInterfaceSelectionContext: DWORD,
    pInterfaceSelectionContext: *mut BYTE,
    pContext: DWORD_PTR,
) -> DWORD {
    // SAFETY: the caller's arguments, passed on.
    unsafe {
        WinHttpGetProxyForUrlEx2_of(
            hResolver,
            pcwszUrl,
            pAutoProxyOptions,
            cbInterfaceSelectionContext,
            pInterfaceSelectionContext,
            pContext,
        )
    }
}

/// [`WinHttpGetProxyForUrlEx2`] with strings in units of `C`.
pub(crate) unsafe fn WinHttpGetProxyForUrlEx2_of<C: CodeUnit>(
    hResolver: HINTERNET,
    pcwszUrl: *const C,
    pAutoProxyOptions: *mut WINHTTP_AUTOPROXY_OPTIONS,
    cbInterfaceSelectionContext: DWORD,
    pInterfaceSelectionContext: *mut BYTE,
    pContext: DWORD_PTR,
) -> DWORD {
    if cbInterfaceSelectionContext != 0 && pInterfaceSelectionContext.is_null() {
        return ERROR_INVALID_PARAMETER;
    }
    // SAFETY: as promised by the caller.
    unsafe { get_proxy_for_url_ex(hResolver, pcwszUrl, pAutoProxyOptions, pContext) }
}

/// The entries of a finished resolution, allocated for `WinHttpFreeProxyResult`.
fn result_entries<C: CodeUnit>(hResolver: HINTERNET) -> Result<(DWORD, *mut WINHTTP_PROXY_RESULT_ENTRY), DWORD> {
    let entries = handles::resolver(hResolver)?.result()??;
    let entries: Vec<&PacEntry> = entries.iter().filter(|e| !matches!(e, PacEntry::Socks { .. })).collect();
    let n = entries.len();
    let bytes = n.max(1) * core::mem::size_of::<WINHTTP_PROXY_RESULT_ENTRY>();
    // SAFETY: plain allocation, checked below.
    let array = unsafe { libc::calloc(1, bytes) }.cast::<WINHTTP_PROXY_RESULT_ENTRY>();
    if array.is_null() {
        return Err(ERROR_NOT_ENOUGH_MEMORY);
    }
    for (i, e) in entries.iter().enumerate() {
        let (scheme, host, port) = match e {
            PacEntry::Http { host, port } => (INTERNET_SCHEME_HTTP, Some(host), *port),
            PacEntry::Https { host, port } => (INTERNET_SCHEME_HTTPS, Some(host), *port),
            _ => (0, None, 0),
        };
        let name = match host {
            Some(h) => match alloc_wstr::<C>(h.trim_start_matches('[').trim_end_matches(']')) {
                Ok(p) => p.cast::<WCHAR>(),
                Err(err) => {
                    // SAFETY: the entries filled so far, then the array.
                    unsafe { free_entries(i as DWORD, array) };
                    return Err(err);
                }
            },
            None => core::ptr::null_mut(),
        };
        let entry = WINHTTP_PROXY_RESULT_ENTRY {
            fProxy: host.is_some() as BOOL,
            fBypass: 0,
            ProxyScheme: scheme,
            pwszProxy: name,
            ProxyPort: port,
        };
        // SAFETY: `i < n` entries were allocated.
        unsafe { array.add(i).write(entry) };
    }
    Ok((n as DWORD, array))
}

unsafe fn free_entries(n: DWORD, array: *mut WINHTTP_PROXY_RESULT_ENTRY) {
    if array.is_null() {
        return;
    }
    for i in 0..n as usize {
        // SAFETY: entries from `result_entries`.
        unsafe { WinHttpGlobalFree((*array.add(i)).pwszProxy.cast()) };
    }
    // SAFETY: the array from `result_entries`.
    unsafe { libc::free(array.cast()) };
}

/// Fetches the proxies of a finished `WinHttpGetProxyForUrlEx`, in the order to try them
/// (`fProxy` FALSE for DIRECT). Free with `WinHttpFreeProxyResult`. Before the end:
/// `ERROR_WINHTTP_INCORRECT_HANDLE_STATE`; after a failed resolution, its error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpGetProxyResult(hResolver: HINTERNET, pProxyResult: *mut WINHTTP_PROXY_RESULT) -> DWORD {
    // SAFETY: the caller's arguments, passed on.
    unsafe { WinHttpGetProxyResult_of::<WCHAR>(hResolver, pProxyResult) }
}

/// [`WinHttpGetProxyResult`] with the proxies' names in units of `C`.
pub(crate) unsafe fn WinHttpGetProxyResult_of<C: CodeUnit>(
    hResolver: HINTERNET,
    pProxyResult: *mut WINHTTP_PROXY_RESULT,
) -> DWORD {
    dword_api(|| {
        check(pProxyResult.is_null())?;
        let (n, entries) = result_entries::<C>(hResolver)?;
        // SAFETY: a writable structure, by the API's contract.
        unsafe { pProxyResult.write_unaligned(WINHTTP_PROXY_RESULT { cEntries: n, pEntries: entries }) };
        Ok(())
    })
}

/// `WinHttpGetProxyResult` with the extended structure (no detection handle, no interface
/// affinity here). Free with `WinHttpFreeProxyResultEx`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpGetProxyResultEx(
    hResolver: HINTERNET,
    pProxyResultEx: *mut WINHTTP_PROXY_RESULT_EX,
) -> DWORD {
    // SAFETY: the caller's arguments, passed on.
    unsafe { WinHttpGetProxyResultEx_of::<WCHAR>(hResolver, pProxyResultEx) }
}

/// [`WinHttpGetProxyResultEx`] with the proxies' names in units of `C`.
pub(crate) unsafe fn WinHttpGetProxyResultEx_of<C: CodeUnit>(
    hResolver: HINTERNET,
    pProxyResultEx: *mut WINHTTP_PROXY_RESULT_EX,
) -> DWORD {
    dword_api(|| {
        check(pProxyResultEx.is_null())?;
        let (n, entries) = result_entries::<C>(hResolver)?;
        let r = WINHTTP_PROXY_RESULT_EX {
            cEntries: n,
            pEntries: entries,
            hProxyDetectionHandle: core::ptr::null_mut(),
            dwProxyInterfaceAffinity: 0,
        };
        // SAFETY: a writable structure, by the API's contract.
        unsafe { pProxyResultEx.write_unaligned(r) };
        Ok(())
    })
}

/// Releases what `WinHttpGetProxyResult` allocated and empties the structure (NULL is fine).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpFreeProxyResult(pProxyResult: *mut WINHTTP_PROXY_RESULT) {
    if pProxyResult.is_null() {
        return;
    }
    // SAFETY: a result filled by WinHttpGetProxyResult (or zeroed), by the API's contract.
    unsafe {
        let r = pProxyResult.read_unaligned();
        free_entries(r.cEntries, r.pEntries);
        pProxyResult.write_unaligned(WINHTTP_PROXY_RESULT { cEntries: 0, pEntries: core::ptr::null_mut() });
    }
}

/// Releases what `WinHttpGetProxyResultEx` allocated and empties the structure (NULL is fine).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpFreeProxyResultEx(pProxyResultEx: *mut WINHTTP_PROXY_RESULT_EX) {
    if pProxyResultEx.is_null() {
        return;
    }
    // SAFETY: as for WinHttpFreeProxyResult.
    unsafe {
        let r = pProxyResultEx.read_unaligned();
        free_entries(r.cEntries, r.pEntries);
        pProxyResultEx.write_unaligned(WINHTTP_PROXY_RESULT_EX {
            cEntries: 0,
            pEntries: core::ptr::null_mut(),
            hProxyDetectionHandle: core::ptr::null_mut(),
            dwProxyInterfaceAffinity: 0,
        });
    }
}

/// Forgets cached auto-proxy state: `WINHTTP_RESET_SCRIPT_CACHE` drops the downloaded scripts,
/// `WINHTTP_RESET_STATE`/`SWPAD_*` the WPAD result; the other flags have nothing to act on here.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpResetAutoProxy(hSession: HINTERNET, dwFlags: DWORD) -> DWORD {
    dword_api(|| {
        if hSession.is_null() {
            return Err(ERROR_INVALID_HANDLE);
        }
        handles::session(hSession)?;
        pac::reset(dwFlags);
        Ok(())
    })
}

/// Tells whether a host (with its scheme and port) goes direct under a proxy configuration's
/// bypass list, with the rules `WINHTTP_ACCESS_TYPE_NAMED_PROXY` uses (`<local>`, `*` patterns,
/// `host:port`). `NO_PROXY` sends every host direct. Port 0 is the scheme's default port.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpIsHostInProxyBypassList(
    pProxyInfo: *const WINHTTP_PROXY_INFO,
    pwszHost: PCWSTR,
    tScheme: INTERNET_SCHEME,
    nPort: INTERNET_PORT,
    pfIsInBypassList: *mut BOOL,
) -> DWORD {
    // SAFETY: the caller's arguments, passed on.
    unsafe { WinHttpIsHostInProxyBypassList_of(pProxyInfo, pwszHost, tScheme, nPort, pfIsInBypassList) }
}

/// [`WinHttpIsHostInProxyBypassList`] with strings (the host, the bypass list) in units of `C`.
pub(crate) unsafe fn WinHttpIsHostInProxyBypassList_of<C: CodeUnit>(
    pProxyInfo: *const WINHTTP_PROXY_INFO,
    pwszHost: *const C,
    tScheme: INTERNET_SCHEME,
    nPort: INTERNET_PORT,
    pfIsInBypassList: *mut BOOL,
) -> DWORD {
    dword_api(|| {
        check(pProxyInfo.is_null() || pfIsInBypassList.is_null())?;
        // SAFETY: by the API's contract.
        let host = unsafe { wstring(pwszHost) }.ok_or(ERROR_INVALID_PARAMETER)?;
        check(host.is_empty())?;
        check(tScheme != INTERNET_SCHEME_HTTP && tScheme != INTERNET_SCHEME_HTTPS)?;
        let info = unsafe { pProxyInfo.read_unaligned() };
        let port = if nPort == 0 { crate::proto::url::default_port(tScheme) } else { nPort };
        let bypassed = match info.dwAccessType {
            WINHTTP_ACCESS_TYPE_NO_PROXY => true,
            WINHTTP_ACCESS_TYPE_NAMED_PROXY => {
                // SAFETY: NULL or NUL-terminated, by the API's contract.
                let bypass = unsafe { wstring(info.lpszProxyBypass.cast::<C>()) }.unwrap_or_default();
                crate::proto::proxy::ProxyConfig::named("", &bypass).bypasses(&host, port)
            }
            _ => return Err(ERROR_INVALID_PARAMETER),
        };
        // SAFETY: a writable BOOL, by the API's contract.
        unsafe { pfIsInBypassList.write_unaligned(bypassed as BOOL) };
        Ok(())
    })
}

/// Registrations of `WinHttpRegisterProxyChangeNotification`, by the handle value given out.
static REGISTRATIONS: std::sync::Mutex<Vec<(usize, pac::desktop::watch::Registration)>> =
    std::sync::Mutex::new(Vec::new());

/// Calls `pfnCallback(ullFlags, pvContext)` from a watcher thread whenever the desktop's proxy
/// settings change (looked at twice a second). `WINHTTP_PROXY_NOTIFY_CHANGE` is the one flag.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpRegisterProxyChangeNotification(
    ullFlags: ULONGLONG,
    pfnCallback: WINHTTP_PROXY_CHANGE_CALLBACK,
    pvContext: PVOID,
    hRegistration: *mut WINHTTP_PROXY_CHANGE_REGISTRATION_HANDLE,
) -> DWORD {
    dword_api(|| {
        check(pfnCallback.is_none() || hRegistration.is_null())?;
        check(ullFlags != WINHTTP_PROXY_NOTIFY_CHANGE as ULONGLONG)?;
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0x5052_0001);
        let id = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let reg = pac::desktop::watch::register(ullFlags, pfnCallback, pvContext);
        crate::engine::api::lock(&REGISTRATIONS).push((id, reg));
        // SAFETY: a writable handle, by the API's contract.
        unsafe { hRegistration.write_unaligned(id as WINHTTP_PROXY_CHANGE_REGISTRATION_HANDLE) };
        Ok(())
    })
}

/// Ends a registration: no callback comes after this returns (unless called from that callback).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpUnregisterProxyChangeNotification(
    hRegistration: WINHTTP_PROXY_CHANGE_REGISTRATION_HANDLE,
) -> DWORD {
    dword_api(|| {
        let id = hRegistration as usize;
        let reg = {
            let mut regs = crate::engine::api::lock(&REGISTRATIONS);
            let i = regs.iter().position(|(r, _)| *r == id).ok_or(ERROR_INVALID_HANDLE)?;
            regs.swap_remove(i).1
        };
        reg.stop();
        Ok(())
    })
}
