//! Requests: `WinHttpOpenRequest`, and the operations that step a request's state machine
//! (`WinHttpSendRequest`, `WinHttpWriteData`, `WinHttpReceiveResponse`,
//! `WinHttpQueryDataAvailable`, `WinHttpReadData`).

use super::*;
use crate::engine::handles::{self, Object};
use crate::engine::request::Request;
use std::sync::Arc;

/// Opens a request handle under a connect handle. NULL or empty verb, object name and version
/// mean "GET", "/" and "HTTP/1.1". Accept types and the referrer become request headers.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpOpenRequest(
    hConnect: HINTERNET,
    pwszVerb: LPCWSTR,
    pwszObjectName: LPCWSTR,
    pwszVersion: LPCWSTR,
    pwszReferrer: LPCWSTR,
    ppwszAcceptTypes: *mut LPCWSTR,
    dwFlags: DWORD,
) -> HINTERNET {
    handle_api(|| {
        let nonempty = |s: Option<String>| s.filter(|s| !s.is_empty());
        // SAFETY: NULL or NUL-terminated strings, by the API's contract.
        let (verb, object, version, referrer) =
            unsafe { (wstring(pwszVerb), wstring(pwszObjectName), wstring(pwszVersion), wstring(pwszReferrer)) };
        let mut accept = Vec::new();
        if !ppwszAcceptTypes.is_null() {
            // SAFETY: a NULL-terminated array of NUL-terminated strings.
            unsafe {
                let mut p = ppwszAcceptTypes;
                while !(*p).is_null() {
                    accept.extend(wstring(*p).filter(|s| !s.is_empty()));
                    p = p.add(1);
                }
            }
        }
        let connect = handles::connect(hConnect)?;
        let request = Request::new(
            connect.clone(),
            nonempty(verb).unwrap_or_else(|| "GET".into()),
            nonempty(object).unwrap_or_else(|| "/".into()),
            nonempty(version).unwrap_or_else(|| "HTTP/1.1".into()),
            dwFlags,
        );
        request.add_initial_headers(&accept, nonempty(referrer).as_deref());
        let h = handles::open(Object::Request(Arc::new(request)))?;
        super::session::notify_created(&connect.core, h);
        Ok(h)
    })
}

/// Sends the request line, headers and optional data. Not implemented yet (the engine issue):
/// fails with ERROR_CALL_NOT_IMPLEMENTED.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpSendRequest(
    hRequest: HINTERNET,
    lpszHeaders: LPCWSTR,
    dwHeadersLength: DWORD,
    lpOptional: LPVOID,
    dwOptionalLength: DWORD,
    dwTotalLength: DWORD,
    dwContext: DWORD_PTR,
) -> BOOL {
    let _ = (hRequest, lpszHeaders, dwHeadersLength, lpOptional, dwOptionalLength, dwTotalLength, dwContext);
    bool_api(|| Err(ERROR_CALL_NOT_IMPLEMENTED))
}

/// Writes request body data after `WinHttpSendRequest`. Not implemented yet (the engine issue):
/// fails with ERROR_CALL_NOT_IMPLEMENTED.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpWriteData(
    hRequest: HINTERNET,
    lpBuffer: LPCVOID,
    dwNumberOfBytesToWrite: DWORD,
    lpdwNumberOfBytesWritten: LPDWORD,
) -> BOOL {
    let _ = (hRequest, lpBuffer, dwNumberOfBytesToWrite);
    // SAFETY: NULL or a valid DWORD pointer; Windows zeroes it before anything else.
    unsafe { put(lpdwNumberOfBytesWritten, 0) };
    bool_api(|| Err(ERROR_CALL_NOT_IMPLEMENTED))
}

/// Waits for the response headers. Not implemented yet (the engine issue): fails with
/// ERROR_CALL_NOT_IMPLEMENTED.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpReceiveResponse(hRequest: HINTERNET, lpReserved: LPVOID) -> BOOL {
    let _ = (hRequest, lpReserved);
    bool_api(|| Err(ERROR_CALL_NOT_IMPLEMENTED))
}

/// Reports how many body bytes can be read without blocking. Not implemented yet (the engine
/// issue): fails with ERROR_CALL_NOT_IMPLEMENTED.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpQueryDataAvailable(hRequest: HINTERNET, lpdwNumberOfBytesAvailable: LPDWORD) -> BOOL {
    let _ = (hRequest, lpdwNumberOfBytesAvailable);
    bool_api(|| Err(ERROR_CALL_NOT_IMPLEMENTED))
}

/// Reads response body data. Not implemented yet (the engine issue): fails with
/// ERROR_CALL_NOT_IMPLEMENTED.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpReadData(
    hRequest: HINTERNET,
    lpBuffer: LPVOID,
    dwNumberOfBytesToRead: DWORD,
    lpdwNumberOfBytesRead: LPDWORD,
) -> BOOL {
    let _ = (hRequest, lpBuffer, dwNumberOfBytesToRead, lpdwNumberOfBytesRead);
    bool_api(|| Err(ERROR_CALL_NOT_IMPLEMENTED))
}
