//! Proxy configuration and resolution: default and per-user settings, auto-detection (WPAD / PAC),
//! the proxy resolver handle and its results, per-connection proxy settings.
//!
//! Stubs for now: each fails with `ERROR_CALL_NOT_IMPLEMENTED`.

use super::{bool_api, dword_api, error};
use crate::abi::*;

/// Reads the current user's browser proxy settings.
/// Not implemented yet: fails with ERROR_CALL_NOT_IMPLEMENTED.
#[allow(unused_variables)]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpGetIEProxyConfigForCurrentUser(
    pProxyConfig: *mut WINHTTP_CURRENT_USER_IE_PROXY_CONFIG,
) -> BOOL {
    bool_api(|| Err(ERROR_CALL_NOT_IMPLEMENTED))
}

/// Reads the machine-wide default proxy configuration.
/// Not implemented yet: fails with ERROR_CALL_NOT_IMPLEMENTED.
#[allow(unused_variables)]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpGetDefaultProxyConfiguration(pProxyInfo: *mut WINHTTP_PROXY_INFO) -> BOOL {
    bool_api(|| Err(ERROR_CALL_NOT_IMPLEMENTED))
}

/// Replaces the machine-wide default proxy configuration.
/// Not implemented yet: fails with ERROR_CALL_NOT_IMPLEMENTED.
#[allow(unused_variables)]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpSetDefaultProxyConfiguration(pProxyInfo: *mut WINHTTP_PROXY_INFO) -> BOOL {
    bool_api(|| Err(ERROR_CALL_NOT_IMPLEMENTED))
}

/// Looks for a proxy auto-config URL through DHCP and/or DNS (WPAD).
/// Not implemented yet: fails with ERROR_CALL_NOT_IMPLEMENTED.
#[allow(unused_variables)]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpDetectAutoProxyConfigUrl(
    dwAutoDetectFlags: DWORD,
    ppwstrAutoConfigUrl: *mut LPWSTR,
) -> BOOL {
    bool_api(|| Err(ERROR_CALL_NOT_IMPLEMENTED))
}

/// Runs proxy auto-configuration for a URL and returns the proxy to use.
/// Not implemented yet: fails with ERROR_CALL_NOT_IMPLEMENTED.
#[allow(unused_variables)]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpGetProxyForUrl(
    hSession: HINTERNET,
    lpcwszUrl: LPCWSTR,
    pAutoProxyOptions: *mut WINHTTP_AUTOPROXY_OPTIONS,
    pProxyInfo: *mut WINHTTP_PROXY_INFO,
) -> BOOL {
    bool_api(|| Err(ERROR_CALL_NOT_IMPLEMENTED))
}

/// Creates a proxy resolver handle for the asynchronous resolution calls.
/// Not implemented yet: fails with ERROR_CALL_NOT_IMPLEMENTED.
#[allow(unused_variables)]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpCreateProxyResolver(hSession: HINTERNET, phResolver: *mut HINTERNET) -> DWORD {
    dword_api(|| Err(ERROR_CALL_NOT_IMPLEMENTED))
}

/// Starts resolving the proxies for a URL on a resolver handle.
/// Not implemented yet: fails with ERROR_CALL_NOT_IMPLEMENTED.
#[allow(unused_variables)]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpGetProxyForUrlEx(
    hResolver: HINTERNET,
    pcwszUrl: PCWSTR,
    pAutoProxyOptions: *mut WINHTTP_AUTOPROXY_OPTIONS,
    pContext: DWORD_PTR,
) -> DWORD {
    dword_api(|| Err(ERROR_CALL_NOT_IMPLEMENTED))
}

/// Like `WinHttpGetProxyForUrlEx`, with a network interface selection context.
/// Not implemented yet: fails with ERROR_CALL_NOT_IMPLEMENTED.
#[allow(unused_variables)]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpGetProxyForUrlEx2(
    hResolver: HINTERNET,
    pcwszUrl: PCWSTR,
    pAutoProxyOptions: *mut WINHTTP_AUTOPROXY_OPTIONS,
    cbInterfaceSelectionContext: DWORD,
    pInterfaceSelectionContext: *mut BYTE,
    pContext: DWORD_PTR,
) -> DWORD {
    dword_api(|| Err(ERROR_CALL_NOT_IMPLEMENTED))
}

/// Fetches the result of a finished proxy resolution.
/// Not implemented yet: fails with ERROR_CALL_NOT_IMPLEMENTED.
#[allow(unused_variables)]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpGetProxyResult(hResolver: HINTERNET, pProxyResult: *mut WINHTTP_PROXY_RESULT) -> DWORD {
    dword_api(|| Err(ERROR_CALL_NOT_IMPLEMENTED))
}

/// Fetches the extended result of a finished proxy resolution.
/// Not implemented yet: fails with ERROR_CALL_NOT_IMPLEMENTED.
#[allow(unused_variables)]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpGetProxyResultEx(
    hResolver: HINTERNET,
    pProxyResultEx: *mut WINHTTP_PROXY_RESULT_EX,
) -> DWORD {
    dword_api(|| Err(ERROR_CALL_NOT_IMPLEMENTED))
}

/// Releases what `WinHttpGetProxyResult` allocated inside a result.
/// Not implemented yet: fails with ERROR_CALL_NOT_IMPLEMENTED.
#[allow(unused_variables)]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpFreeProxyResult(pProxyResult: *mut WINHTTP_PROXY_RESULT) {
    error::set(ERROR_CALL_NOT_IMPLEMENTED)
}

/// Releases what `WinHttpGetProxyResultEx` allocated inside a result.
/// Not implemented yet: fails with ERROR_CALL_NOT_IMPLEMENTED.
#[allow(unused_variables)]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpFreeProxyResultEx(pProxyResultEx: *mut WINHTTP_PROXY_RESULT_EX) {
    error::set(ERROR_CALL_NOT_IMPLEMENTED)
}

/// Forgets cached auto-proxy state (`WINHTTP_RESET_*` flags).
/// Not implemented yet: fails with ERROR_CALL_NOT_IMPLEMENTED.
#[allow(unused_variables)]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpResetAutoProxy(hSession: HINTERNET, dwFlags: DWORD) -> DWORD {
    dword_api(|| Err(ERROR_CALL_NOT_IMPLEMENTED))
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

/// Returns a counter that changes whenever the proxy settings change.
/// Not implemented yet: fails with ERROR_CALL_NOT_IMPLEMENTED.
#[allow(unused_variables)]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpGetProxySettingsVersion(
    hSession: HINTERNET,
    pdwProxySettingsVersion: *mut DWORD,
) -> DWORD {
    dword_api(|| Err(ERROR_CALL_NOT_IMPLEMENTED))
}

/// Chooses between per-user and machine-wide proxy settings.
/// Not implemented yet: fails with ERROR_CALL_NOT_IMPLEMENTED.
#[allow(unused_variables)]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpSetProxySettingsPerUser(fProxySettingsPerUser: BOOL) -> DWORD {
    dword_api(|| Err(ERROR_CALL_NOT_IMPLEMENTED))
}

/// Tells whether a host, scheme and port match the bypass list of a proxy configuration.
/// Not implemented yet: fails with ERROR_CALL_NOT_IMPLEMENTED.
#[allow(unused_variables)]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpIsHostInProxyBypassList(
    pProxyInfo: *const WINHTTP_PROXY_INFO,
    pwszHost: PCWSTR,
    tScheme: INTERNET_SCHEME,
    nPort: INTERNET_PORT,
    pfIsInBypassList: *mut BOOL,
) -> DWORD {
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
