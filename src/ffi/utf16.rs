//! The UTF-16 twins: `WinHttpOpen_u16`, `WinHttpCrackUrl_u16`, ... one for every export that takes
//! or returns wide strings, for programs whose `WCHAR` is 16 bits (built with `-fshort-wchar`, or
//! using `char16_t` / `u"..."` with `WINHTTP_WCHAR16` defined). The header maps the `WinHttp*` names
//! to these when it sees such a program, so source code never spells the suffix.
//!
//! Naming: the export's name plus [`SUFFIX`] (`_u16`). Same arguments, in the same order, with every
//! wide string (and every string member of a structure) in UTF-16 code units; lengths in
//! characters count 16-bit units, sizes in bytes are multiples of 2. There is one implementation:
//! each twin and its `wchar_t` export call the same `WinHttpX_of::<C>` generic over
//! [`CodeUnit`](crate::proto::wide::CodeUnit). Width-dependent state (the status callback, which
//! gets wide strings) records the width of the call that set it.
//!
//! The twins are defined by a macro, which cbindgen does not expand: the header declares only the
//! `wchar_t`-named functions, and its 16-bit mode maps those names here.
#![allow(non_snake_case, clippy::missing_safety_doc)]

use crate::abi::*;

/// What a twin's name adds to its export's name.
pub const SUFFIX: &str = "_u16";

/// A UTF-16 code unit: `WCHAR` for 16-bit programs.
pub type WCHAR16 = u16;
pub type LPWSTR16 = *mut WCHAR16;
pub type LPCWSTR16 = *const WCHAR16;

/// Defines `$twin` as an export that forwards its arguments to `$body::<u16>`.
macro_rules! twins {
    ($( $(#[$m:meta])* fn $twin:ident = $module:ident :: $body:ident ( $($arg:ident : $ty:ty),* $(,)? ) -> $ret:ty; )*) => {
        $(
            $(#[$m])*
            #[unsafe(no_mangle)]
            pub unsafe extern "C" fn $twin($($arg: $ty),*) -> $ret {
                // SAFETY: the caller's arguments, passed on; the body reads strings as UTF-16.
                unsafe { super::$module::$body::<u16>($($arg),*) }
            }
        )*
        /// The twins' names, for the tests.
        pub const TWINS: &[&str] = &[$(stringify!($twin)),*];
    };
}

twins! {
    fn WinHttpOpen_u16 = session::WinHttpOpen_of(
        pszAgentW: LPCWSTR16, dwAccessType: DWORD, pszProxyW: LPCWSTR16, pszProxyBypassW: LPCWSTR16, dwFlags: DWORD,
    ) -> HINTERNET;
    fn WinHttpConnect_u16 = session::WinHttpConnect_of(
        hSession: HINTERNET, pswzServerName: LPCWSTR16, nServerPort: INTERNET_PORT, dwReserved: DWORD,
    ) -> HINTERNET;
    fn WinHttpOpenRequest_u16 = request::WinHttpOpenRequest_of(
        hConnect: HINTERNET, pwszVerb: LPCWSTR16, pwszObjectName: LPCWSTR16, pwszVersion: LPCWSTR16,
        pwszReferrer: LPCWSTR16, ppwszAcceptTypes: *mut LPCWSTR16, dwFlags: DWORD,
    ) -> HINTERNET;
    fn WinHttpSendRequest_u16 = request::WinHttpSendRequest_of(
        hRequest: HINTERNET, lpszHeaders: LPCWSTR16, dwHeadersLength: DWORD, lpOptional: LPVOID,
        dwOptionalLength: DWORD, dwTotalLength: DWORD, dwContext: DWORD_PTR,
    ) -> BOOL;
    fn WinHttpAddRequestHeaders_u16 = headers::WinHttpAddRequestHeaders_of(
        hRequest: HINTERNET, lpszHeaders: LPCWSTR16, dwHeadersLength: DWORD, dwModifiers: DWORD,
    ) -> BOOL;
    fn WinHttpQueryHeaders_u16 = headers::WinHttpQueryHeaders_of(
        hRequest: HINTERNET, dwInfoLevel: DWORD, pwszName: LPCWSTR16, lpBuffer: LPVOID, lpdwBufferLength: LPDWORD,
        lpdwIndex: LPDWORD,
    ) -> BOOL;
    fn WinHttpCrackUrl_u16 = url::WinHttpCrackUrl_of(
        pwszUrl: LPCWSTR16, dwUrlLength: DWORD, dwFlags: DWORD, lpUrlComponents: LPURL_COMPONENTS,
    ) -> BOOL;
    fn WinHttpCreateUrl_u16 = url::WinHttpCreateUrl_of(
        lpUrlComponents: LPURL_COMPONENTS, dwFlags: DWORD, pwszUrl: LPWSTR16, pdwUrlLength: LPDWORD,
    ) -> BOOL;
    fn WinHttpTimeFromSystemTime_u16 = time::WinHttpTimeFromSystemTime_of(
        pst: *const SYSTEMTIME, pwszTime: LPWSTR16,
    ) -> BOOL;
    fn WinHttpTimeToSystemTime_u16 = time::WinHttpTimeToSystemTime_of(
        pwszTime: LPCWSTR16, pst: *mut SYSTEMTIME,
    ) -> BOOL;
    fn WinHttpSetCredentials_u16 = auth::WinHttpSetCredentials_of(
        hRequest: HINTERNET, AuthTargets: DWORD, AuthScheme: DWORD, pwszUserName: LPCWSTR16, pwszPassword: LPCWSTR16,
        pAuthParams: LPVOID,
    ) -> BOOL;
    fn WinHttpSetOption_u16 = options::WinHttpSetOption_of(
        hInternet: HINTERNET, dwOption: DWORD, lpBuffer: LPVOID, dwBufferLength: DWORD,
    ) -> BOOL;
    fn WinHttpQueryOption_u16 = options::WinHttpQueryOption_of(
        hInternet: HINTERNET, dwOption: DWORD, lpBuffer: LPVOID, lpdwBufferLength: LPDWORD,
    ) -> BOOL;
    fn WinHttpSetStatusCallback_u16 = callback::WinHttpSetStatusCallback_of(
        hInternet: HINTERNET, lpfnInternetCallback: WINHTTP_STATUS_CALLBACK, dwNotificationFlags: DWORD,
        dwReserved: DWORD_PTR,
    ) -> WINHTTP_STATUS_CALLBACK;
    fn WinHttpQueryHeadersEx_u16 = ex::WinHttpQueryHeadersEx_of(
        hRequest: HINTERNET, dwInfoLevel: DWORD, ullFlags: ULONGLONG, uiCodePage: UINT, pdwIndex: PDWORD,
        pHeaderName: PWINHTTP_HEADER_NAME, pBuffer: PVOID, pdwBufferLength: PDWORD,
        ppHeaders: *mut PWINHTTP_EXTENDED_HEADER, pdwHeadersCount: PDWORD,
    ) -> DWORD;
    fn WinHttpAddRequestHeadersEx_u16 = ex::WinHttpAddRequestHeadersEx_of(
        hRequest: HINTERNET, dwModifiers: DWORD, ullFlags: ULONGLONG, ullExtra: ULONGLONG, cHeaders: DWORD,
        pHeaders: *mut WINHTTP_EXTENDED_HEADER,
    ) -> DWORD;
    fn WinHttpGetIEProxyConfigForCurrentUser_u16 = proxy::WinHttpGetIEProxyConfigForCurrentUser_of(
        pProxyConfig: *mut WINHTTP_CURRENT_USER_IE_PROXY_CONFIG,
    ) -> BOOL;
    fn WinHttpGetDefaultProxyConfiguration_u16 = proxy::WinHttpGetDefaultProxyConfiguration_of(
        pProxyInfo: *mut WINHTTP_PROXY_INFO,
    ) -> BOOL;
    fn WinHttpSetDefaultProxyConfiguration_u16 = proxy::WinHttpSetDefaultProxyConfiguration_of(
        pProxyInfo: *mut WINHTTP_PROXY_INFO,
    ) -> BOOL;
    fn WinHttpReadProxySettings_u16 = proxy::WinHttpReadProxySettings_of(
        hSession: HINTERNET, pcwszConnectionName: LPCWSTR16, fFallBackToDefaultSettings: BOOL,
        fSetAutoDiscoverForDefaultSettings: BOOL, pdwSettingsVersion: *mut DWORD,
        pfDefaultSettingsAreReturned: *mut BOOL, pWinHttpProxySettings: *mut WINHTTP_PROXY_SETTINGS,
    ) -> DWORD;
    fn WinHttpDetectAutoProxyConfigUrl_u16 = resolver::WinHttpDetectAutoProxyConfigUrl_of(
        dwAutoDetectFlags: DWORD, ppwstrAutoConfigUrl: *mut LPWSTR16,
    ) -> BOOL;
    fn WinHttpGetProxyForUrl_u16 = resolver::WinHttpGetProxyForUrl_of(
        hSession: HINTERNET, lpcwszUrl: LPCWSTR16, pAutoProxyOptions: *mut WINHTTP_AUTOPROXY_OPTIONS,
        pProxyInfo: *mut WINHTTP_PROXY_INFO,
    ) -> BOOL;
    fn WinHttpGetProxyForUrlEx_u16 = resolver::WinHttpGetProxyForUrlEx_of(
        hResolver: HINTERNET, pcwszUrl: LPCWSTR16, pAutoProxyOptions: *mut WINHTTP_AUTOPROXY_OPTIONS,
        pContext: DWORD_PTR,
    ) -> DWORD;
    fn WinHttpGetProxyForUrlEx2_u16 = resolver::WinHttpGetProxyForUrlEx2_of(
        hResolver: HINTERNET, pcwszUrl: LPCWSTR16, pAutoProxyOptions: *mut WINHTTP_AUTOPROXY_OPTIONS,
        cbInterfaceSelectionContext: DWORD, pInterfaceSelectionContext: *mut BYTE, pContext: DWORD_PTR,
    ) -> DWORD;
    fn WinHttpGetProxyResult_u16 = resolver::WinHttpGetProxyResult_of(
        hResolver: HINTERNET, pProxyResult: *mut WINHTTP_PROXY_RESULT,
    ) -> DWORD;
    fn WinHttpGetProxyResultEx_u16 = resolver::WinHttpGetProxyResultEx_of(
        hResolver: HINTERNET, pProxyResultEx: *mut WINHTTP_PROXY_RESULT_EX,
    ) -> DWORD;
    fn WinHttpIsHostInProxyBypassList_u16 = resolver::WinHttpIsHostInProxyBypassList_of(
        pProxyInfo: *const WINHTTP_PROXY_INFO, pwszHost: LPCWSTR16, tScheme: INTERNET_SCHEME, nPort: INTERNET_PORT,
        pfIsInBypassList: *mut BOOL,
    ) -> DWORD;
    fn WinHttpQueryConnectionGroup_u16 = group::WinHttpQueryConnectionGroup_of(
        hInternet: HINTERNET, pGuidConnection: *const GUID, ullFlags: ULONGLONG,
        ppResult: *mut PWINHTTP_QUERY_CONNECTION_GROUP_RESULT,
    ) -> DWORD;
}
