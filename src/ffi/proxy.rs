//! Proxy configuration and resolution: default and per-user settings, auto-detection (WPAD / PAC),
//! the proxy resolver handle and its results, per-connection proxy settings.
//!
//! Implemented: the default and current-user configuration (from this process's
//! `WinHttpSetDefaultProxyConfiguration` or the environment). Proxy auto-configuration (PAC, WPAD,
//! the resolver handle) is in `resolver.rs`. The per-connection settings functions below fail with
//! `ERROR_CALL_NOT_IMPLEMENTED`.

use super::memory::{WinHttpGlobalFree, alloc_opt_wstr};
use super::{bool_api, check, dword_api, error, wstring};
use crate::abi::*;
use crate::engine::session::{self, ProxyConfig};
use crate::proto;

/// A `WINHTTP_PROXY_INFO` for `p`, with strings the caller frees with `GlobalFree`.
pub(crate) fn proxy_info(p: &ProxyConfig) -> Result<WINHTTP_PROXY_INFO, DWORD> {
    let proxy = alloc_opt_wstr(p.proxy.as_deref())?;
    let bypass = alloc_opt_wstr(p.bypass.as_deref()).inspect_err(|_| {
        // SAFETY: allocated just above.
        unsafe { WinHttpGlobalFree(proxy.cast()) };
    })?;
    Ok(WINHTTP_PROXY_INFO { dwAccessType: p.access_type, lpszProxy: proxy, lpszProxyBypass: bypass })
}

/// The default configuration: the one set in this process with WinHttpSetDefaultProxyConfiguration,
/// else the environment's `http_proxy`/`https_proxy`/`no_proxy`, else no proxy.
fn default_config() -> ProxyConfig {
    session::default_proxy().unwrap_or_else(|| {
        match proto::proxy::ProxyConfig::env_strings(|name| std::env::var(name).ok()) {
            Some((list, bypass)) => {
                ProxyConfig { access_type: WINHTTP_ACCESS_TYPE_NAMED_PROXY, proxy: Some(list), bypass }
            }
            None => ProxyConfig { access_type: WINHTTP_ACCESS_TYPE_NO_PROXY, proxy: None, bypass: None },
        }
    })
}

/// Reads the current user's proxy settings: the desktop's (GNOME's `org.gnome.system.proxy`, KDE's
/// `kioslaverc`, macOS System Configuration: auto-detect, PAC URL, manual proxies, exceptions), or
/// with no desktop settings the environment's `http_proxy`/`https_proxy`/`no_proxy`. Strings are
/// freed with `GlobalFree`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpGetIEProxyConfigForCurrentUser(
    pProxyConfig: *mut WINHTTP_CURRENT_USER_IE_PROXY_CONFIG,
) -> BOOL {
    bool_api(|| {
        check(pProxyConfig.is_null())?;
        let (auto_detect, pac_url, list, bypass) = match crate::pac::desktop::current() {
            Some(d) => (d.auto_detect, d.pac_url, d.proxy, d.bypass),
            None => {
                let env = proto::proxy::ProxyConfig::env_strings(|name| std::env::var(name).ok());
                let (list, bypass) = env.map_or((None, None), |(l, b)| (Some(l), b));
                (false, None, list, bypass)
            }
        };
        let p = ProxyConfig { access_type: WINHTTP_ACCESS_TYPE_NAMED_PROXY, proxy: list, bypass };
        let info = proxy_info(&p)?;
        let url = alloc_opt_wstr(pac_url.as_deref()).inspect_err(|_| {
            // SAFETY: allocated just above.
            unsafe {
                WinHttpGlobalFree(info.lpszProxy.cast());
                WinHttpGlobalFree(info.lpszProxyBypass.cast());
            }
        })?;
        let config = WINHTTP_CURRENT_USER_IE_PROXY_CONFIG {
            fAutoDetect: auto_detect as BOOL,
            lpszAutoConfigUrl: url,
            lpszProxy: info.lpszProxy,
            lpszProxyBypass: info.lpszProxyBypass,
        };
        // SAFETY: a writable structure, by the API's contract.
        unsafe { pProxyConfig.write_unaligned(config) };
        Ok(())
    })
}

/// Reads the default proxy configuration: what WinHttpSetDefaultProxyConfiguration set in this
/// process, else the environment's proxy variables. Strings are freed with `GlobalFree`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpGetDefaultProxyConfiguration(pProxyInfo: *mut WINHTTP_PROXY_INFO) -> BOOL {
    bool_api(|| {
        check(pProxyInfo.is_null())?;
        let info = proxy_info(&default_config())?;
        // SAFETY: a writable structure, by the API's contract.
        unsafe { pProxyInfo.write_unaligned(info) };
        Ok(())
    })
}

/// Sets the default proxy configuration, used by sessions opened with
/// `WINHTTP_ACCESS_TYPE_DEFAULT_PROXY`. Windows stores it machine-wide; here it lasts for the process.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpSetDefaultProxyConfiguration(pProxyInfo: *mut WINHTTP_PROXY_INFO) -> BOOL {
    bool_api(|| {
        check(pProxyInfo.is_null())?;
        // SAFETY: a readable structure whose strings are NULL or NUL-terminated.
        let info = unsafe { pProxyInfo.read_unaligned() };
        let (proxy, bypass) = unsafe { (wstring(info.lpszProxy), wstring(info.lpszProxyBypass)) };
        match info.dwAccessType {
            WINHTTP_ACCESS_TYPE_NO_PROXY => {}
            WINHTTP_ACCESS_TYPE_NAMED_PROXY => {
                let list = proxy.as_deref().unwrap_or("");
                check(list.trim().is_empty() || !list.is_ascii() || !bypass.as_deref().unwrap_or("").is_ascii())?;
            }
            _ => return Err(ERROR_INVALID_PARAMETER),
        }
        session::set_default_proxy(ProxyConfig { access_type: info.dwAccessType, proxy, bypass });
        Ok(())
    })
}

/// Reads the proxy settings of a network connection.
/// Not implemented yet: fails with ERROR_CALL_NOT_IMPLEMENTED.
#[allow(unused_variables)]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpReadProxySettings(
    hSession: HINTERNET,
    pcwszConnectionName: PCWSTR,
    fFallBackToDefaultSettings: BOOL,
    fSetAutoDiscoverForDefaultSettings: BOOL,
    pdwSettingsVersion: *mut DWORD,
    pfDefaultSettingsAreReturned: *mut BOOL,
    pWinHttpProxySettings: *mut WINHTTP_PROXY_SETTINGS,
) -> DWORD {
    dword_api(|| Err(ERROR_CALL_NOT_IMPLEMENTED))
}

/// Writes the proxy settings of a network connection.
/// Not implemented yet: fails with ERROR_CALL_NOT_IMPLEMENTED.
#[allow(unused_variables)]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpWriteProxySettings(
    hSession: HINTERNET,
    fForceUpdate: BOOL,
    pWinHttpProxySettings: *mut WINHTTP_PROXY_SETTINGS,
) -> DWORD {
    dword_api(|| Err(ERROR_CALL_NOT_IMPLEMENTED))
}

/// Releases the strings `WinHttpReadProxySettings` allocated inside the settings.
/// Not implemented yet: fails with ERROR_CALL_NOT_IMPLEMENTED.
#[allow(unused_variables)]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpFreeProxySettings(pWinHttpProxySettings: *mut WINHTTP_PROXY_SETTINGS) {
    error::set(ERROR_CALL_NOT_IMPLEMENTED)
}

/// Returns a counter that changes whenever the desktop's proxy settings change (see
/// `WinHttpGetIEProxyConfigForCurrentUser`).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpGetProxySettingsVersion(
    hSession: HINTERNET,
    pdwProxySettingsVersion: *mut DWORD,
) -> DWORD {
    dword_api(|| {
        if hSession.is_null() {
            return Err(ERROR_INVALID_HANDLE);
        }
        check(pdwProxySettingsVersion.is_null())?;
        crate::engine::handles::session(hSession)?;
        // SAFETY: a writable DWORD, by the API's contract.
        unsafe { pdwProxySettingsVersion.write_unaligned(crate::pac::desktop::version()) };
        Ok(())
    })
}

/// Chooses between per-user and machine-wide proxy settings.
/// Not implemented yet: fails with ERROR_CALL_NOT_IMPLEMENTED.
#[allow(unused_variables)]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpSetProxySettingsPerUser(fProxySettingsPerUser: BOOL) -> DWORD {
    dword_api(|| Err(ERROR_CALL_NOT_IMPLEMENTED))
}

/// Starts fetching proxy settings of a given kind (`WINHTTP_PROXY_SETTINGS_TYPE`) on a resolver.
/// Not implemented yet: fails with ERROR_CALL_NOT_IMPLEMENTED.
#[allow(unused_variables)]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpGetProxySettingsEx(
    hResolver: HINTERNET,
    ProxySettingsType: WINHTTP_PROXY_SETTINGS_TYPE,
    pProxySettingsParam: PWINHTTP_PROXY_SETTINGS_PARAM,
    pContext: DWORD_PTR,
) -> DWORD {
    dword_api(|| Err(ERROR_CALL_NOT_IMPLEMENTED))
}

/// Fetches the settings `WinHttpGetProxySettingsEx` found.
/// Not implemented yet: fails with ERROR_CALL_NOT_IMPLEMENTED.
#[allow(unused_variables)]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpGetProxySettingsResultEx(hResolver: HINTERNET, pProxySettingsEx: PVOID) -> DWORD {
    dword_api(|| Err(ERROR_CALL_NOT_IMPLEMENTED))
}

/// Releases what `WinHttpGetProxySettingsResultEx` allocated.
/// Not implemented yet: fails with ERROR_CALL_NOT_IMPLEMENTED.
#[allow(unused_variables)]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpFreeProxySettingsEx(
    ProxySettingsType: WINHTTP_PROXY_SETTINGS_TYPE,
    pProxySettingsEx: PVOID,
) -> DWORD {
    dword_api(|| Err(ERROR_CALL_NOT_IMPLEMENTED))
}
