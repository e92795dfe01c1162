//! Authentication: `WinHttpSetCredentials`, `WinHttpQueryAuthSchemes`, `WinHttpQueryAuthParams`.
//!
//! Stubs for now: each fails with `ERROR_CALL_NOT_IMPLEMENTED`.

use super::bool_api;
use crate::abi::*;

/// Supplies the user name and password for a server or proxy authentication scheme on a request.
/// Not implemented yet: fails with ERROR_CALL_NOT_IMPLEMENTED.
#[allow(unused_variables)]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpSetCredentials(
    hRequest: HINTERNET,
    AuthTargets: DWORD,
    AuthScheme: DWORD,
    pwszUserName: LPCWSTR,
    pwszPassword: LPCWSTR,
    pAuthParams: LPVOID,
) -> BOOL {
    bool_api(|| Err(ERROR_CALL_NOT_IMPLEMENTED))
}

/// Reports the authentication schemes a 401 or 407 response offers, and which side asked.
/// Not implemented yet: fails with ERROR_CALL_NOT_IMPLEMENTED.
#[allow(unused_variables)]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpQueryAuthSchemes(
    hRequest: HINTERNET,
    lpdwSupportedSchemes: LPDWORD,
    lpdwFirstScheme: LPDWORD,
    pdwAuthTarget: LPDWORD,
) -> BOOL {
    bool_api(|| Err(ERROR_CALL_NOT_IMPLEMENTED))
}

/// Returns scheme-specific authentication parameters (a legacy call Windows declares but does not
/// export). Not implemented yet: fails with ERROR_CALL_NOT_IMPLEMENTED.
#[allow(unused_variables)]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpQueryAuthParams(
    hRequest: HINTERNET,
    AuthScheme: DWORD,
    pAuthParams: *mut LPVOID,
) -> BOOL {
    bool_api(|| Err(ERROR_CALL_NOT_IMPLEMENTED))
}
