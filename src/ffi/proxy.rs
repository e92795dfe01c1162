//! Proxy configuration and resolution: default and per-user settings, auto-detection (WPAD / PAC),
//! the proxy resolver handle and its results, per-connection proxy settings.
//!
//! Implemented: the default and current-user configuration (from this process's
//! `WinHttpSetDefaultProxyConfiguration` or the environment), the current user's (the desktop's:
//! see `crate::pac::desktop`), and the settings functions over them. Proxy auto-configuration (PAC,
//! WPAD, the resolver handle) is in `resolver.rs`.

use super::memory::{WinHttpGlobalFree, alloc_opt_wstr};
use super::{bool_api, check, dword_api, wstring};
use crate::abi::*;
use crate::engine::api::{ProxyConfig, session};
use crate::proto;
use crate::proto::wide::CodeUnit;

/// A `WINHTTP_PROXY_INFO` for `p`, with strings (in units of `C`) the caller frees with `GlobalFree`.
pub(crate) fn proxy_info<C: CodeUnit>(p: &ProxyConfig) -> Result<WINHTTP_PROXY_INFO, DWORD> {
    let proxy = alloc_opt_wstr::<C>(p.proxy.as_deref())?.cast::<WCHAR>();
    let bypass = alloc_opt_wstr::<C>(p.bypass.as_deref())
        .inspect_err(|_| {
            // SAFETY: allocated just above.
            unsafe { WinHttpGlobalFree(proxy.cast()) };
        })?
        .cast::<WCHAR>();
    Ok(WINHTTP_PROXY_INFO { dwAccessType: p.access_type, lpszProxy: proxy, lpszProxyBypass: bypass })
}

/// The default configuration: the one set in this process with WinHttpSetDefaultProxyConfiguration,
/// else the environment's `http_proxy`/`https_proxy`/`no_proxy`, else no proxy.
fn default_config() -> ProxyConfig {
    session::default_config()
}

/// Reads the current user's proxy settings: the desktop's (GNOME's `org.gnome.system.proxy`, KDE's
/// `kioslaverc`, macOS System Configuration: auto-detect, PAC URL, manual proxies, exceptions), or
/// with no desktop settings the environment's `http_proxy`/`https_proxy`/`no_proxy`. Strings are
/// freed with `GlobalFree`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpGetIEProxyConfigForCurrentUser(
    pProxyConfig: *mut WINHTTP_CURRENT_USER_IE_PROXY_CONFIG,
) -> BOOL {
    // SAFETY: the caller's argument, passed on.
    unsafe { WinHttpGetIEProxyConfigForCurrentUser_of::<WCHAR>(pProxyConfig) }
}

/// [`WinHttpGetIEProxyConfigForCurrentUser`] with strings in units of `C`.
pub(crate) unsafe fn WinHttpGetIEProxyConfigForCurrentUser_of<C: CodeUnit>(
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
        let info = proxy_info::<C>(&p)?;
        let url = alloc_opt_wstr::<C>(pac_url.as_deref()).inspect_err(|_| {
            // SAFETY: allocated just above.
            unsafe {
                WinHttpGlobalFree(info.lpszProxy.cast());
                WinHttpGlobalFree(info.lpszProxyBypass.cast());
            }
        })?;
        let config = WINHTTP_CURRENT_USER_IE_PROXY_CONFIG {
            fAutoDetect: auto_detect as BOOL,
            lpszAutoConfigUrl: url.cast(),
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
    // SAFETY: the caller's argument, passed on.
    unsafe { WinHttpGetDefaultProxyConfiguration_of::<WCHAR>(pProxyInfo) }
}

/// [`WinHttpGetDefaultProxyConfiguration`] with strings in units of `C`.
pub(crate) unsafe fn WinHttpGetDefaultProxyConfiguration_of<C: CodeUnit>(pProxyInfo: *mut WINHTTP_PROXY_INFO) -> BOOL {
    bool_api(|| {
        check(pProxyInfo.is_null())?;
        let info = proxy_info::<C>(&default_config())?;
        // SAFETY: a writable structure, by the API's contract.
        unsafe { pProxyInfo.write_unaligned(info) };
        Ok(())
    })
}

/// Sets the default proxy configuration, used by sessions opened with
/// `WINHTTP_ACCESS_TYPE_DEFAULT_PROXY`. Windows stores it machine-wide; here it lasts for the process.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpSetDefaultProxyConfiguration(pProxyInfo: *mut WINHTTP_PROXY_INFO) -> BOOL {
    // SAFETY: the caller's argument, passed on.
    unsafe { WinHttpSetDefaultProxyConfiguration_of::<WCHAR>(pProxyInfo) }
}

/// [`WinHttpSetDefaultProxyConfiguration`] with strings in units of `C`.
pub(crate) unsafe fn WinHttpSetDefaultProxyConfiguration_of<C: CodeUnit>(pProxyInfo: *mut WINHTTP_PROXY_INFO) -> BOOL {
    bool_api(|| {
        check(pProxyInfo.is_null())?;
        // SAFETY: a readable structure whose strings are NULL or NUL-terminated.
        let info = unsafe { pProxyInfo.read_unaligned() };
        let (proxy, bypass) =
            unsafe { (wstring(info.lpszProxy.cast::<C>()), wstring(info.lpszProxyBypass.cast::<C>())) };
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

/// The current user's settings as `WINHTTP_PROXY_SETTINGS` (desktop, else environment).
fn current_settings() -> crate::proto::desktop_proxy::DesktopProxy {
    crate::pac::desktop::current().unwrap_or_else(|| {
        let env = proto::proxy::ProxyConfig::env_strings(|name| std::env::var(name).ok());
        let (proxy, bypass) = env.map_or((None, None), |(l, b)| (Some(l), b));
        crate::proto::desktop_proxy::DesktopProxy { proxy, bypass, ..Default::default() }
    })
}

/// Reads the proxy settings: there is one network configuration here, the current user's (the
/// desktop's, else the environment's), returned for any connection name with
/// `*pfDefaultSettingsAreReturned` TRUE. Free the strings with `WinHttpFreeProxySettings`.
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
    // SAFETY: the caller's arguments, passed on.
    unsafe {
        WinHttpReadProxySettings_of(
            hSession,
            pcwszConnectionName,
            fFallBackToDefaultSettings,
            fSetAutoDiscoverForDefaultSettings,
            pdwSettingsVersion,
            pfDefaultSettingsAreReturned,
            pWinHttpProxySettings,
        )
    }
}

/// [`WinHttpReadProxySettings`] with strings in units of `C`.
pub(crate) unsafe fn WinHttpReadProxySettings_of<C: CodeUnit>(
    hSession: HINTERNET,
    pcwszConnectionName: *const C,
    fFallBackToDefaultSettings: BOOL,
    fSetAutoDiscoverForDefaultSettings: BOOL,
    pdwSettingsVersion: *mut DWORD,
    pfDefaultSettingsAreReturned: *mut BOOL,
    pWinHttpProxySettings: *mut WINHTTP_PROXY_SETTINGS,
) -> DWORD {
    let _ = (pcwszConnectionName, fFallBackToDefaultSettings);
    dword_api(|| {
        if hSession.is_null() {
            return Err(ERROR_INVALID_HANDLE);
        }
        check(pWinHttpProxySettings.is_null())?;
        crate::engine::api::handles::session(hSession)?;
        let d = current_settings();
        let mut flags = WINHTTP_PROXY_TYPE_DIRECT;
        if d.proxy.is_some() {
            flags |= WINHTTP_PROXY_TYPE_PROXY;
        }
        if d.pac_url.is_some() {
            flags |= WINHTTP_PROXY_TYPE_AUTO_PROXY_URL;
        }
        if d.auto_detect || (fSetAutoDiscoverForDefaultSettings != 0 && flags == WINHTTP_PROXY_TYPE_DIRECT) {
            flags |= WINHTTP_PROXY_TYPE_AUTO_DETECT;
        }
        let version = crate::pac::desktop::version();
        let strings = [d.proxy.as_deref(), d.bypass.as_deref(), d.pac_url.as_deref()];
        let mut ptrs: [PWSTR; 3] = [core::ptr::null_mut(); 3];
        for (i, s) in strings.iter().enumerate() {
            match alloc_opt_wstr::<C>(*s) {
                Ok(p) => ptrs[i] = p.cast(),
                Err(e) => {
                    // SAFETY: the strings allocated so far.
                    ptrs.iter().for_each(|p| unsafe {
                        WinHttpGlobalFree(p.cast());
                    });
                    return Err(e);
                }
            }
        }
        // SAFETY: a zeroed structure is valid (NULL pointers, zero counts).
        let mut out: WINHTTP_PROXY_SETTINGS = unsafe { core::mem::zeroed() };
        out.dwStructSize = core::mem::size_of::<WINHTTP_PROXY_SETTINGS>() as DWORD;
        out.dwFlags = flags;
        out.dwCurrentSettingsVersion = version;
        out.pwszProxy = ptrs[0];
        out.pwszProxyBypass = ptrs[1];
        out.pwszAutoconfigUrl = ptrs[2];
        // SAFETY: writable out-parameters (the two optional ones checked), by the API's contract.
        unsafe {
            pWinHttpProxySettings.write_unaligned(out);
            if !pdwSettingsVersion.is_null() {
                pdwSettingsVersion.write_unaligned(version);
            }
            if !pfDefaultSettingsAreReturned.is_null() {
                pfDefaultSettingsAreReturned.write_unaligned(1);
            }
        }
        Ok(())
    })
}

/// Would write the proxy settings of a connection. This library never changes the desktop's
/// settings: after the argument checks it fails with `ERROR_ACCESS_DENIED`, as Windows does for a
/// caller without the right to write them.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpWriteProxySettings(
    hSession: HINTERNET,
    fForceUpdate: BOOL,
    pWinHttpProxySettings: *mut WINHTTP_PROXY_SETTINGS,
) -> DWORD {
    let _ = fForceUpdate;
    dword_api(|| {
        if hSession.is_null() {
            return Err(ERROR_INVALID_HANDLE);
        }
        check(pWinHttpProxySettings.is_null())?;
        crate::engine::api::handles::session(hSession)?;
        Err(ERROR_ACCESS_DENIED)
    })
}

/// Releases the strings `WinHttpReadProxySettings` allocated and empties the structure (NULL is fine).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpFreeProxySettings(pWinHttpProxySettings: *mut WINHTTP_PROXY_SETTINGS) {
    if pWinHttpProxySettings.is_null() {
        return;
    }
    // SAFETY: a structure filled by WinHttpReadProxySettings (or zeroed), by the API's contract.
    unsafe {
        let s = pWinHttpProxySettings.read_unaligned();
        for p in [
            s.pwszConnectionName,
            s.pwszProxy,
            s.pwszProxyBypass,
            s.pwszAutoconfigUrl,
            s.pwszAutoconfigSecondaryUrl,
            s.pwszLastKnownGoodAutoConfigUrl,
        ] {
            WinHttpGlobalFree(p.cast());
        }
        WinHttpGlobalFree(s.pdwDetectedInterfaceIp.cast());
        WinHttpGlobalFree(s.pNetworkKeys.cast());
        pWinHttpProxySettings.write_unaligned(core::mem::zeroed());
    }
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
        crate::engine::api::handles::session(hSession)?;
        // SAFETY: a writable DWORD, by the API's contract.
        unsafe { pdwProxySettingsVersion.write_unaligned(crate::pac::desktop::version()) };
        Ok(())
    })
}

/// Chooses per-user or machine-wide proxy settings. The desktop's settings are per user: TRUE is
/// accepted; FALSE fails with `ERROR_NOT_SUPPORTED` (there are no machine-wide ones to switch to).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpSetProxySettingsPerUser(fProxySettingsPerUser: BOOL) -> DWORD {
    dword_api(|| if fProxySettingsPerUser != 0 { Ok(()) } else { Err(ERROR_NOT_SUPPORTED) })
}

/// Would start fetching WSL/WSA/Xbox proxy settings on a resolver. Those settings exist only on
/// Windows: after the handle checks it fails with `ERROR_NOT_SUPPORTED`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpGetProxySettingsEx(
    hResolver: HINTERNET,
    ProxySettingsType: WINHTTP_PROXY_SETTINGS_TYPE,
    pProxySettingsParam: PWINHTTP_PROXY_SETTINGS_PARAM,
    pContext: DWORD_PTR,
) -> DWORD {
    let _ = (ProxySettingsType, pProxySettingsParam, pContext);
    dword_api(|| {
        if hResolver.is_null() {
            return Err(ERROR_INVALID_HANDLE);
        }
        crate::engine::api::handles::resolver(hResolver)?;
        Err(ERROR_NOT_SUPPORTED)
    })
}

/// The result of `WinHttpGetProxySettingsEx`, which never starts here: after the checks,
/// `ERROR_WINHTTP_INCORRECT_HANDLE_STATE` (no such operation has completed on the resolver).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpGetProxySettingsResultEx(hResolver: HINTERNET, pProxySettingsEx: PVOID) -> DWORD {
    dword_api(|| {
        if hResolver.is_null() {
            return Err(ERROR_INVALID_HANDLE);
        }
        check(pProxySettingsEx.is_null())?;
        crate::engine::api::handles::resolver(hResolver)?;
        Err(ERROR_WINHTTP_INCORRECT_HANDLE_STATE)
    })
}

/// Releases a result of `WinHttpGetProxySettingsResultEx`, which this library never returns:
/// `ERROR_INVALID_PARAMETER` for NULL, else `ERROR_NOT_SUPPORTED`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpFreeProxySettingsEx(
    ProxySettingsType: WINHTTP_PROXY_SETTINGS_TYPE,
    pProxySettingsEx: PVOID,
) -> DWORD {
    let _ = ProxySettingsType;
    dword_api(|| {
        check(pProxySettingsEx.is_null())?;
        Err(ERROR_NOT_SUPPORTED)
    })
}
