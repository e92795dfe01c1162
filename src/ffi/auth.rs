//! Authentication: `WinHttpSetCredentials`, `WinHttpQueryAuthSchemes`, `WinHttpQueryAuthParams`.
//!
//! `WinHttpQueryAuthSchemes` reads the received response's challenges through
//! `proto::auth::query_schemes`. `WinHttpSetCredentials` and `WinHttpQueryAuthParams` are still
//! stubs that fail with `ERROR_CALL_NOT_IMPLEMENTED` (the engine does not answer challenges yet).

use super::{bool_api, bool_api_args, check, put};
use crate::abi::*;
use crate::engine::api::{handles, log};
use crate::proto::auth;

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
    let args = || {
        // SAFETY: NULL or a NUL-terminated string, by the API's contract.
        let user = unsafe { super::wstring(pwszUserName) };
        let password = if pwszPassword.is_null() { "NULL" } else { "<redacted>" };
        let h = log::handle(hRequest);
        format!(
            "{h}, targets={AuthTargets:#x}, scheme={AuthScheme:#x}, user={}, password={password}",
            log::opt_str(user.as_deref())
        )
    };
    bool_api_args(args, || Err(ERROR_CALL_NOT_IMPLEMENTED))
}

/// Reports the authentication schemes a 401 or 407 response offers, and which side asked:
/// `*lpdwSupportedSchemes` gets every `WINHTTP_AUTH_SCHEME_*` the server's `WWW-Authenticate`
/// (401) or the proxy's `Proxy-Authenticate` (407) headers name, `*lpdwFirstScheme` the first of
/// them in the order they were listed, `*pdwAuthTarget` `WINHTTP_AUTH_TARGET_SERVER` or
/// `WINHTTP_AUTH_TARGET_PROXY`. Schemes WinHTTP does not know (Bearer, …) are ignored. Runs
/// synchronously, also in the asynchronous mode.
///
/// Errors: `ERROR_INVALID_HANDLE` (NULL or stale handle), `ERROR_WINHTTP_INCORRECT_HANDLE_TYPE`
/// (not a request), `ERROR_INVALID_PARAMETER` (a NULL out-pointer), `ERROR_INVALID_OPERATION` (no
/// response yet, not a 401/407, or no scheme WinHTTP knows). On failure nothing is written.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpQueryAuthSchemes(
    hRequest: HINTERNET,
    lpdwSupportedSchemes: LPDWORD,
    lpdwFirstScheme: LPDWORD,
    pdwAuthTarget: LPDWORD,
) -> BOOL {
    bool_api(|| {
        let request = handles::request(hRequest)?;
        check(lpdwSupportedSchemes.is_null() || lpdwFirstScheme.is_null() || pdwAuthTarget.is_null())?;
        let response = request.response().ok_or(ERROR_INVALID_OPERATION)?;
        let schemes = auth::query_schemes(
            u32::from(response.status),
            response.headers.get_all("WWW-Authenticate"),
            response.headers.get_all("Proxy-Authenticate"),
        )
        .ok_or(ERROR_INVALID_OPERATION)?;
        // SAFETY: three non-NULL DWORD pointers, by the API's contract.
        unsafe {
            put(lpdwSupportedSchemes, schemes.supported);
            put(lpdwFirstScheme, schemes.first);
            put(pdwAuthTarget, schemes.target);
        }
        Ok(())
    })
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
