//! Requests: `WinHttpOpenRequest`, and the operations that step a request's state machine
//! (`WinHttpSendRequest`, `WinHttpWriteData`, `WinHttpReceiveResponse`,
//! `WinHttpQueryDataAvailable`, `WinHttpReadData`).

use super::*;
use crate::engine::api::{self, Object, Outcome, Request, handles, log};
use crate::proto::wide::CodeUnit;
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
    // SAFETY: the caller's arguments, passed on.
    unsafe {
        WinHttpOpenRequest_of(hConnect, pwszVerb, pwszObjectName, pwszVersion, pwszReferrer, ppwszAcceptTypes, dwFlags)
    }
}

/// [`WinHttpOpenRequest`] for strings of either width.
pub(crate) unsafe fn WinHttpOpenRequest_of<C: CodeUnit>(
    hConnect: HINTERNET,
    pwszVerb: *const C,
    pwszObjectName: *const C,
    pwszVersion: *const C,
    pwszReferrer: *const C,
    ppwszAcceptTypes: *mut *const C,
    dwFlags: DWORD,
) -> HINTERNET {
    let args = || {
        // SAFETY: NULL or NUL-terminated strings, by the API's contract.
        let (verb, object, version, referrer) =
            unsafe { (wstring(pwszVerb), wstring(pwszObjectName), wstring(pwszVersion), wstring(pwszReferrer)) };
        format!(
            "hConnect={}, verb={}, object={}, version={}, referrer={}, flags={dwFlags:#x}",
            log::handle(hConnect),
            log::opt_str(verb.as_deref()),
            log::opt_str(object.as_deref()),
            log::opt_str(version.as_deref()),
            log::opt_str(referrer.as_deref()),
        )
    };
    handle_api_args(args, || {
        let nonempty = |s: Option<String>| s.filter(|s| !s.is_empty());
        // The verb and object straight into the shared strings the request keeps.
        let shared = |p: *const C, default: &str| -> Arc<str> {
            // SAFETY: NULL or a NUL-terminated string, by the API's contract.
            match unsafe { super::wcs(p) } {
                Some(units) if !units.is_empty() => crate::proto::wide::decode_shared(units),
                _ => default.into(),
            }
        };
        let (verb, object) = (shared(pwszVerb, "GET"), shared(pwszObjectName, "/"));
        // SAFETY: NULL or NUL-terminated strings, by the API's contract.
        let (version, referrer) = unsafe { (wstring(pwszVersion), wstring(pwszReferrer)) };
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
            verb,
            object,
            nonempty(version).map_or("HTTP/1.1".into(), Into::into),
            dwFlags,
        )?;
        request.add_initial_headers(&accept, nonempty(referrer).as_deref());
        let h = handles::open(Object::Request(Arc::new(request)))?;
        super::session::notify_created(&connect.core, h);
        Ok(h)
    })
}

/// Finishes an exported call that started an operation: TRUE, with the last error
/// `ERROR_IO_PENDING` when the completion will come later (async mode), `ERROR_SUCCESS` otherwise.
fn started<T: core::fmt::Debug, F: FnOnce() -> ApiResult<Outcome<T>>>(args: impl FnOnce() -> String, f: F) -> BOOL {
    let call = Call::begin::<F>(args);
    let r = guarded(f);
    let e = match &r {
        Ok(Outcome::Later) => ERROR_IO_PENDING,
        Ok(_) => ERROR_SUCCESS,
        Err(e) => *e,
    };
    super::error::set(e);
    if let Some(call) = call {
        let b = if r.is_ok() { "TRUE" } else { "FALSE" };
        match &r {
            Ok(Outcome::Done(v)) if !matches!(format!("{v:?}").as_str(), "()") => {
                call.end(format_args!("{b} ({v:?}), last error {}", log::error_name(e)))
            }
            Ok(Outcome::Failed) => {
                call.end(format_args!("{b} (failed, reported by REQUEST_ERROR), last error {}", log::error_name(e)))
            }
            _ => call.end(format_args!("{b}, last error {}", log::error_name(e))),
        }
    }
    BOOL::from(r.is_ok())
}

/// Sends the request line, the headers and the optional data. `dwTotalLength` announces the whole
/// body; what the optional data does not cover follows through `WinHttpWriteData`. A non-zero
/// `dwContext` becomes the handle's context value; 0 keeps the one it has (set through
/// `WINHTTP_OPTION_CONTEXT_VALUE` or inherited), as on Windows. Async mode: `SENDREQUEST_COMPLETE`
/// or `REQUEST_ERROR`.
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
    // SAFETY: the caller's arguments, passed on.
    unsafe {
        WinHttpSendRequest_of(
            hRequest,
            lpszHeaders,
            dwHeadersLength,
            lpOptional,
            dwOptionalLength,
            dwTotalLength,
            dwContext,
        )
    }
}

/// [`WinHttpSendRequest`] for strings of either width.
pub(crate) unsafe fn WinHttpSendRequest_of<C: CodeUnit>(
    hRequest: HINTERNET,
    lpszHeaders: *const C,
    dwHeadersLength: DWORD,
    lpOptional: LPVOID,
    dwOptionalLength: DWORD,
    dwTotalLength: DWORD,
    dwContext: DWORD_PTR,
) -> BOOL {
    let args = || {
        let headers = if lpszHeaders.is_null() {
            "NULL".to_string()
        } else {
            let len = if dwHeadersLength == 0 { DWORD::MAX } else { dwHeadersLength };
            // SAFETY: as in the call below.
            log::redact_headers(&unsafe { super::headers::header_text(lpszHeaders, len) })
        };
        format!(
            "hRequest={}, headers={headers}, optional={dwOptionalLength} bytes, total={dwTotalLength}, context={dwContext:#x}",
            log::handle(hRequest)
        )
    };
    if !lpOptional.is_null() && log::on(log::BODY) {
        // SAFETY: `dwOptionalLength` readable bytes, by the API's contract.
        let data = unsafe { core::slice::from_raw_parts(lpOptional.cast::<u8>(), dwOptionalLength as usize) };
        log::body(hRequest, '>', data);
    }
    started(args, || {
        check(lpOptional.is_null() && dwOptionalLength > 0)?;
        let headers = if lpszHeaders.is_null() {
            String::new()
        } else {
            // Length 0 and (DWORD)-1 both mean NUL-terminated here.
            let len = if dwHeadersLength == 0 { DWORD::MAX } else { dwHeadersLength };
            // SAFETY: the caller's string of `len` characters, or NUL-terminated.
            unsafe { super::headers::header_text(lpszHeaders, len) }
        };
        let optional: &[u8] = if lpOptional.is_null() {
            &[]
        } else {
            // SAFETY: `dwOptionalLength` readable bytes, by the API's contract.
            unsafe { core::slice::from_raw_parts(lpOptional.cast::<u8>(), dwOptionalLength as usize) }
        };
        let request = handles::request(hRequest)?;
        if dwContext != 0 {
            request.core.set_context(dwContext);
        }
        Ok(api::send(&request, &headers, optional, dwTotalLength)?)
    })
}

/// Writes request body bytes after `WinHttpSendRequest`, straight to the connection (any amount,
/// bounded memory). Writing past the announced total fails with ERROR_INVALID_PARAMETER.
/// Async mode: `WRITE_COMPLETE` (the buffer must stay valid until then) or `REQUEST_ERROR`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpWriteData(
    hRequest: HINTERNET,
    lpBuffer: LPCVOID,
    dwNumberOfBytesToWrite: DWORD,
    lpdwNumberOfBytesWritten: LPDWORD,
) -> BOOL {
    // SAFETY: NULL or a valid DWORD pointer; Windows zeroes it before anything else.
    unsafe { put(lpdwNumberOfBytesWritten, 0) };
    if !lpBuffer.is_null() && log::on(log::BODY) {
        // SAFETY: `dwNumberOfBytesToWrite` readable bytes, by the API's contract.
        let data = unsafe { core::slice::from_raw_parts(lpBuffer.cast::<u8>(), dwNumberOfBytesToWrite as usize) };
        log::body(hRequest, '>', data);
    }
    let args = || format!("hRequest={}, {dwNumberOfBytesToWrite} bytes", log::handle(hRequest));
    started(args, || {
        check(lpBuffer.is_null() && dwNumberOfBytesToWrite > 0)?;
        let request = handles::request(hRequest)?;
        // SAFETY: `dwNumberOfBytesToWrite` readable bytes until the write completes.
        let outcome = unsafe { api::write(&request, lpBuffer.cast(), dwNumberOfBytesToWrite as usize) }?;
        if let Outcome::Done(n) = outcome {
            // SAFETY: as above; only while the call has not returned.
            unsafe { put(lpdwNumberOfBytesWritten, n) };
        }
        Ok(outcome)
    })
}

/// Waits for the final response head (following redirects as the policy allows).
/// Async mode: `HEADERS_AVAILABLE` or `REQUEST_ERROR`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpReceiveResponse(hRequest: HINTERNET, lpReserved: LPVOID) -> BOOL {
    started(
        || format!("hRequest={}", log::handle(hRequest)),
        || {
            check(!lpReserved.is_null())?;
            let request = handles::request(hRequest)?;
            Ok(api::receive(&request)?)
        },
    )
}

/// Reports how many body bytes can be read without waiting (waiting for some when none are
/// there yet); 0 at the end of the body. Async mode: `DATA_AVAILABLE` or `REQUEST_ERROR`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpQueryDataAvailable(hRequest: HINTERNET, lpdwNumberOfBytesAvailable: LPDWORD) -> BOOL {
    started(
        || format!("hRequest={}", log::handle(hRequest)),
        || {
            let request = handles::request(hRequest)?;
            let outcome = api::available(&request)?;
            if let Outcome::Done(n) = outcome {
                // SAFETY: NULL or a valid DWORD pointer; only while the call has not returned.
                unsafe { put(lpdwNumberOfBytesAvailable, n) };
            }
            Ok(outcome)
        },
    )
}

/// Reads response body bytes; at the end of the body it succeeds with 0 bytes, again and again.
/// Async mode: `READ_COMPLETE` (the buffer must stay valid until then) or `REQUEST_ERROR`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpReadData(
    hRequest: HINTERNET,
    lpBuffer: LPVOID,
    dwNumberOfBytesToRead: DWORD,
    lpdwNumberOfBytesRead: LPDWORD,
) -> BOOL {
    // SAFETY: NULL or a valid DWORD pointer; Windows zeroes it before anything else.
    unsafe { put(lpdwNumberOfBytesRead, 0) };
    let args = || format!("hRequest={}, {dwNumberOfBytesToRead} bytes", log::handle(hRequest));
    started(args, || {
        check(lpBuffer.is_null() && dwNumberOfBytesToRead > 0)?;
        let request = handles::request(hRequest)?;
        // SAFETY: `dwNumberOfBytesToRead` writable bytes until the read completes.
        let outcome = unsafe { api::read(&request, lpBuffer.cast(), dwNumberOfBytesToRead as usize) }?;
        if let Outcome::Done(n) = outcome {
            // SAFETY: as above; only while the call has not returned.
            unsafe { put(lpdwNumberOfBytesRead, n as DWORD) };
            // Async: the READ_COMPLETE notification has logged them already.
            if log::on(log::BODY) && !request.connect.session.is_async() {
                // SAFETY: the `n` bytes just read into the caller's buffer.
                log::body(hRequest, '<', unsafe { core::slice::from_raw_parts(lpBuffer.cast::<u8>(), n) });
            }
        }
        Ok(outcome)
    })
}
