//! Authentication: `WinHttpSetCredentials`, `WinHttpQueryAuthSchemes`, `WinHttpQueryAuthParams`.
//!
//! `WinHttpQueryAuthSchemes` reads the received response's challenges through
//! `proto::auth::query_schemes`; `WinHttpSetCredentials` hands the credentials to the request,
//! whose `proto::auth::client::AuthClient` answers the challenges; `WinHttpQueryAuthParams`
//! checks its arguments against the received challenge (no scheme has parameters to report).

use super::{bool_api, bool_api_args, check, put, wstring};
use crate::abi::*;
use crate::engine::api::{handles, log};
use crate::proto::auth::{self, Credentials, Scheme};

/// Supplies the user name and password for a server (`WINHTTP_AUTH_TARGET_SERVER`) or proxy
/// (`WINHTTP_AUTH_TARGET_PROXY`) authentication scheme on a request. They take precedence over the
/// `WINHTTP_OPTION_USERNAME`/`PASSWORD` options whatever the order, replace earlier ones for the
/// target, and are used from the next send on: Basic preemptively, NTLM and Negotiate by starting
/// their handshake, Digest by answering the last challenge. Basic and Digest need both a user
/// name and a password; NTLM, Negotiate and Passport accept NULL for both (the default
/// credentials: Kerberos through GSS-API for Negotiate; NTLM has none here).
///
/// Errors: `ERROR_INVALID_HANDLE`, `ERROR_WINHTTP_INCORRECT_HANDLE_TYPE` (not a request),
/// `ERROR_INVALID_PARAMETER` (another target, not exactly one known scheme, a NULL user name or
/// password for Basic or Digest).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpSetCredentials(
    hRequest: HINTERNET,
    AuthTargets: DWORD,
    AuthScheme: DWORD,
    pwszUserName: LPCWSTR,
    pwszPassword: LPCWSTR,
    pAuthParams: LPVOID,
) -> BOOL {
    // SAFETY: the caller's arguments, passed on.
    unsafe { WinHttpSetCredentials_of(hRequest, AuthTargets, AuthScheme, pwszUserName, pwszPassword, pAuthParams) }
}

/// [`WinHttpSetCredentials`] for strings of either width.
pub(crate) unsafe fn WinHttpSetCredentials_of<C: crate::proto::wide::CodeUnit>(
    hRequest: HINTERNET,
    AuthTargets: DWORD,
    AuthScheme: DWORD,
    pwszUserName: *const C,
    pwszPassword: *const C,
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
    let _ = pAuthParams; // Reserved.
    bool_api_args(args, || {
        let request = handles::request(hRequest)?;
        let proxy = match AuthTargets {
            WINHTTP_AUTH_TARGET_SERVER => false,
            WINHTTP_AUTH_TARGET_PROXY => true,
            _ => return Err(ERROR_INVALID_PARAMETER),
        };
        let scheme = Scheme::from_bit(AuthScheme).ok_or(ERROR_INVALID_PARAMETER)?;
        // SAFETY: NUL-terminated wide strings or NULL, by the API's contract.
        let (user, password) = unsafe { (wstring(pwszUserName), wstring(pwszPassword)) };
        let creds = match (scheme, user, password) {
            (Scheme::Basic | Scheme::Digest, Some(user), Some(password)) => Some(Credentials { user, password }),
            (Scheme::Basic | Scheme::Digest, _, _) => return Err(ERROR_INVALID_PARAMETER),
            (_, None, None) => None,
            (_, user, password) => {
                Some(Credentials { user: user.unwrap_or_default(), password: password.unwrap_or_default() })
            }
        };
        request.set_credentials(proxy, scheme, creds);
        Ok(())
    })
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

/// Returns scheme-specific authentication parameters for a scheme the received 401/407 offers (a
/// legacy call the SDK declares; Windows' DLL does not export it). None of the schemes has
/// parameters a caller supplies, so on success `*pAuthParams` is NULL.
///
/// Errors: `ERROR_INVALID_HANDLE`, `ERROR_WINHTTP_INCORRECT_HANDLE_TYPE`, `ERROR_INVALID_PARAMETER`
/// (NULL `pAuthParams`, not exactly one known scheme), `ERROR_INVALID_OPERATION` (no 401/407, or
/// it does not offer that scheme).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpQueryAuthParams(
    hRequest: HINTERNET,
    AuthScheme: DWORD,
    pAuthParams: *mut LPVOID,
) -> BOOL {
    bool_api(|| {
        let request = handles::request(hRequest)?;
        check(pAuthParams.is_null())?;
        let scheme = Scheme::from_bit(AuthScheme).ok_or(ERROR_INVALID_PARAMETER)?;
        let response = request.response().ok_or(ERROR_INVALID_OPERATION)?;
        let schemes = auth::query_schemes(
            u32::from(response.status),
            response.headers.get_all("WWW-Authenticate"),
            response.headers.get_all("Proxy-Authenticate"),
        )
        .ok_or(ERROR_INVALID_OPERATION)?;
        if schemes.supported & scheme.bit() == 0 {
            return Err(ERROR_INVALID_OPERATION);
        }
        // SAFETY: a non-NULL pointer, by the API's contract.
        unsafe { put(pAuthParams, core::ptr::null_mut()) };
        Ok(())
    })
}
