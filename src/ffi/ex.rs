//! The `Ex` variants of the header and read calls: `WinHttpQueryHeadersEx`,
//! `WinHttpAddRequestHeadersEx` and `WinHttpReadDataEx`. They return their error code (and leave
//! the last error alone), and run over the same header engine (`proto::headers`) and read
//! operation as `WinHttpQueryHeaders`, `WinHttpAddRequestHeaders` and `WinHttpReadData`.
//!
//! `WinHttpQueryHeadersEx` writes everything into the caller's one buffer: first the array of
//! `WINHTTP_EXTENDED_HEADER` (aligned to 8 bytes inside the buffer), then each name and value with
//! its terminator, which the array's pointers point at. Strings are wide (`wchar_t`, via the
//! `pwsz*` members) unless `WINHTTP_QUERY_FLAG_WIRE_ENCODING` asks for the bytes (`psz*`). With a
//! NULL or too small buffer it fails with `ERROR_INSUFFICIENT_BUFFER` and the size needed in
//! `*pdwBufferLength` (for a buffer that is itself 8-byte aligned, as `malloc` gives; a misaligned
//! one needs up to 7 bytes more, and the size reported says so). On success `*pdwBufferLength` is
//! the size used, `*ppHeaders` points into the buffer and `*pdwHeadersCount` is the count.

use super::*;
use crate::engine::api::handles;
use crate::engine::api::{self, Outcome};
use crate::proto::headers::{self, Attribute, HeaderBlock, HeaderList, StartLine};
use crate::proto::wide::{self, CodeUnit};

/// `uiCodePage` values read specially. Any other (0 = `CP_ACP`, `CP_UTF8`, ...) gives the text as
/// `WinHttpQueryHeaders` does (UTF-8 bytes read as UTF-8, others as Latin-1); Windows does not
/// validate the parameter either.
const CP_LATIN1: UINT = 28591;
const CP_1252: UINT = 1252;

/// How the strings of one answer are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Form {
    /// `psz*`: the bytes as they came on the wire (UTF-8 for text that was UTF-8 or ASCII).
    Wire,
    /// `pwsz*`: `wchar_t` text, as `WinHttpQueryHeaders` gives it.
    Wide,
    /// `pwsz*`, each wire byte one character (`uiCodePage` ISO-8859-1 or 1252).
    WideLatin1,
}

/// The bytes of one string with its terminator, in the form asked for.
fn encode<C: CodeUnit>(s: &str, form: Form) -> Vec<u8> {
    let units: Vec<C> = match form {
        Form::Wire => {
            let mut b = s.as_bytes().to_vec();
            b.push(0);
            return b;
        }
        Form::Wide => wide::encode(s),
        Form::WideLatin1 => s.bytes().map(|b| C::from_u32(u32::from(b))).collect(),
    };
    let mut out = Vec::with_capacity((units.len() + 1) * C::BYTES);
    for u in units.iter().copied().chain([C::from_u32(0)]) {
        match C::BYTES {
            2 => out.extend_from_slice(&(u.to_u32() as u16).to_ne_bytes()),
            _ => out.extend_from_slice(&u.to_u32().to_ne_bytes()),
        }
    }
    out
}

use core::mem::{align_of, size_of};

/// Where each piece of a `WinHttpQueryHeadersEx` answer goes in the caller's buffer.
#[derive(Debug, PartialEq, Eq)]
struct Layout {
    /// Bytes skipped so the array is aligned.
    pad: usize,
    /// Offset of each (name, value) string from the buffer start.
    strings: Vec<(usize, usize)>,
    /// Bytes needed in all.
    total: usize,
}

/// Plans the buffer for `pairs` (already encoded, terminators included) at address `addr`.
fn layout(addr: usize, pairs: &[(Vec<u8>, Vec<u8>)]) -> Layout {
    let align = align_of::<WINHTTP_EXTENDED_HEADER>();
    let pad = (align - addr % align) % align;
    let mut at = pad + pairs.len() * size_of::<WINHTTP_EXTENDED_HEADER>();
    let mut strings = Vec::with_capacity(pairs.len());
    for (n, v) in pairs {
        strings.push((at, at + n.len()));
        at += n.len() + v.len();
    }
    Layout { pad, strings, total: at }
}

/// Retrieves request or response headers as an array of name/value pairs (see the module
/// documentation for the buffer). `dwInfoLevel`: `WINHTTP_QUERY_EX_ALL_HEADERS` for every header,
/// a header level or `WINHTTP_QUERY_CUSTOM` (name in `pHeaderName`, `pszName` with
/// `WINHTTP_QUERY_FLAG_WIRE_ENCODING`, else `pwszName`) for one occurrence, chosen by
/// `*pdwIndex` and advanced on success; `WINHTTP_QUERY_FLAG_REQUEST_HEADERS` for the request side,
/// `WINHTTP_QUERY_FLAG_TRAILERS` for the trailers.
///
/// Errors: a NULL `pdwBufferLength`, `ppHeaders` or `pdwHeadersCount`, non-zero `ullFlags`, the
/// levels Microsoft lists as invalid here (`VERSION`, `STATUS_CODE`, `STATUS_TEXT`,
/// `RAW_HEADERS_CRLF`, `FLAG_NUMBER`, `FLAG_NUMBER64`, `FLAG_SYSTEMTIME`), `REQUEST_METHOD` and
/// `ORIG_URI`, unknown levels, or CUSTOM without a name: `ERROR_INVALID_PARAMETER` (before the
/// handle); then the handle's errors; response headers or trailers before a response:
/// `ERROR_WINHTTP_INCORRECT_HANDLE_STATE`; no such header: `ERROR_WINHTTP_HEADER_NOT_FOUND`.
///
/// The trailers are those that ended an HTTP/2 body (its trailing HEADERS; none for HTTP/1.1, as
/// on Windows), there once `WinHttpReadData` has read the body to its end: before, the list is
/// empty (Microsoft only says to query them after the end; the error it gives earlier is unknown).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpQueryHeadersEx(
    hRequest: HINTERNET,
    dwInfoLevel: DWORD,
    ullFlags: ULONGLONG,
    uiCodePage: UINT,
    pdwIndex: PDWORD,
    pHeaderName: PWINHTTP_HEADER_NAME,
    pBuffer: PVOID,
    pdwBufferLength: PDWORD,
    ppHeaders: *mut PWINHTTP_EXTENDED_HEADER,
    pdwHeadersCount: PDWORD,
) -> DWORD {
    // SAFETY: the caller's arguments, passed on.
    unsafe {
        WinHttpQueryHeadersEx_of::<WCHAR>(
            hRequest,
            dwInfoLevel,
            ullFlags,
            uiCodePage,
            pdwIndex,
            pHeaderName,
            pBuffer,
            pdwBufferLength,
            ppHeaders,
            pdwHeadersCount,
        )
    }
}

/// [`WinHttpQueryHeadersEx`] with wide strings (`pwszName`, the `pwsz*` answers) in units of `C`.
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn WinHttpQueryHeadersEx_of<C: CodeUnit>(
    hRequest: HINTERNET,
    dwInfoLevel: DWORD,
    ullFlags: ULONGLONG,
    uiCodePage: UINT,
    pdwIndex: PDWORD,
    pHeaderName: PWINHTTP_HEADER_NAME,
    pBuffer: PVOID,
    pdwBufferLength: PDWORD,
    ppHeaders: *mut PWINHTTP_EXTENDED_HEADER,
    pdwHeadersCount: PDWORD,
) -> DWORD {
    dword_api(|| {
        check(pdwBufferLength.is_null() || ppHeaders.is_null() || pdwHeadersCount.is_null() || ullFlags != 0)?;
        let attr = headers::ex_attribute(dwInfoLevel).ok_or(ERROR_INVALID_PARAMETER)?;
        let wire = dwInfoLevel & WINHTTP_QUERY_FLAG_WIRE_ENCODING != 0;
        let name = if attr == Attribute::Custom {
            check(pHeaderName.is_null())?;
            // SAFETY: a valid WINHTTP_HEADER_NAME whose member is NULL or NUL-terminated.
            let name = unsafe {
                let n = pHeaderName.read_unaligned();
                if wire { narrow(n.pszName) } else { wstring(n.pwszName.cast::<C>()) }
            };
            Some(name.ok_or(ERROR_INVALID_PARAMETER)?)
        } else {
            None
        };
        let form = match (wire, uiCodePage) {
            (true, _) => Form::Wire,
            (false, CP_LATIN1 | CP_1252) => Form::WideLatin1,
            (false, _) => Form::Wide,
        };
        let request = handles::request(hRequest)?;
        // SAFETY: NULL or a valid DWORD, by the API's contract.
        let index = if pdwIndex.is_null() { 0 } else { unsafe { pdwIndex.read_unaligned() } };
        let pairs = if dwInfoLevel & WINHTTP_QUERY_FLAG_REQUEST_HEADERS != 0 {
            let target = request.target();
            let list = request.headers();
            let block = HeaderBlock {
                start: StartLine::Request { method: &target.verb, target: &target.path, version: &request.version },
                headers: &list,
            };
            block.query_ex(attr, name.as_deref(), index)?
        } else {
            let response = request.response().ok_or(ERROR_WINHTTP_INCORRECT_HANDLE_STATE)?;
            let start =
                StartLine::Status { version: response.version, code: response.status, reason: &response.reason };
            // The trailers come with the end of the body (WinHttpReadData gave 0): none before.
            let mut trailers = HeaderList::new();
            if dwInfoLevel & WINHTTP_QUERY_FLAG_TRAILERS != 0 {
                for (n, v) in request.state().trailers.iter() {
                    trailers.push(n, v);
                }
            }
            let list = if dwInfoLevel & WINHTTP_QUERY_FLAG_TRAILERS != 0 { &trailers } else { &response.headers };
            HeaderBlock { start, headers: list }.query_ex(attr, name.as_deref(), index)?
        };
        let encoded: Vec<(Vec<u8>, Vec<u8>)> =
            pairs.iter().map(|(n, v)| (encode::<C>(n, form), encode::<C>(v, form))).collect();
        let plan = layout(pBuffer as usize, &encoded);
        let need = DWORD::try_from(plan.total).map_err(|_| ERROR_NOT_ENOUGH_MEMORY)?;
        // SAFETY: a valid DWORD, checked above.
        let cap = unsafe { pdwBufferLength.read_unaligned() };
        if (pBuffer.is_null() && need > 0) || cap < need {
            // SAFETY: as above.
            unsafe { put(pdwBufferLength, need) };
            return Err(ERROR_INSUFFICIENT_BUFFER);
        }
        let base = pBuffer.cast::<u8>();
        let array = if encoded.is_empty() {
            core::ptr::null_mut()
        } else {
            // SAFETY: `cap >= plan.total` bytes are writable at `base`; the array starts aligned.
            unsafe {
                let array = base.add(plan.pad).cast::<WINHTTP_EXTENDED_HEADER>();
                for (i, ((n, v), &(n_at, v_at))) in encoded.iter().zip(&plan.strings).enumerate() {
                    core::ptr::copy_nonoverlapping(n.as_ptr(), base.add(n_at), n.len());
                    core::ptr::copy_nonoverlapping(v.as_ptr(), base.add(v_at), v.len());
                    let entry = if wire {
                        WINHTTP_EXTENDED_HEADER {
                            Name: WINHTTP_HEADER_NAME { pszName: base.add(n_at) as PCSTR },
                            Value: WINHTTP_EXTENDED_HEADER_VALUE { pszValue: base.add(v_at) as PCSTR },
                        }
                    } else {
                        WINHTTP_EXTENDED_HEADER {
                            Name: WINHTTP_HEADER_NAME { pwszName: base.add(n_at) as PCWSTR },
                            Value: WINHTTP_EXTENDED_HEADER_VALUE { pwszValue: base.add(v_at) as PCWSTR },
                        }
                    };
                    array.add(i).write(entry);
                }
                array
            }
        };
        // SAFETY: valid pointers, checked above.
        unsafe {
            put(pdwBufferLength, need);
            put(ppHeaders, array);
            put(pdwHeadersCount, encoded.len() as DWORD);
            if attr != Attribute::RawHeaders && !pdwIndex.is_null() {
                put(pdwIndex, index.wrapping_add(1));
            }
        }
        Ok(())
    })
}

/// A NUL-terminated narrow string: UTF-8 if valid, else one character per byte (Latin-1), as
/// response header bytes are read. `None` for NULL.
///
/// # Safety
/// `p` is NULL or NUL-terminated.
unsafe fn narrow(p: PCSTR) -> Option<String> {
    if p.is_null() {
        return None;
    }
    // SAFETY: NUL-terminated by contract.
    let bytes = unsafe { core::ffi::CStr::from_ptr(p.cast()) }.to_bytes();
    Some(match core::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(_) => bytes.iter().map(|&b| char::from(b)).collect(),
    })
}

/// Adds request headers given as name/value pairs, with the `WINHTTP_ADDREQ_FLAG_*` semantics of
/// `WinHttpAddRequestHeaders` applied to each in order. `ullFlags`:
/// `WINHTTP_EXTENDED_HEADER_FLAG_UNICODE` for `pwsz*` strings, else `psz*` (UTF-8, or Latin-1 when
/// not valid UTF-8). `ullExtra` is reserved and ignored.
///
/// Errors: `cHeaders` 0, `pHeaders` NULL, or a NULL name or value: `ERROR_INVALID_PARAMETER`
/// (before the handle); a name that is not a token or a value with CR, LF or NUL:
/// `ERROR_WINHTTP_INVALID_HEADER`, with nothing applied; then as `WinHttpAddRequestHeaders`
/// (`REPLACE` of an absent header `ERROR_WINHTTP_HEADER_NOT_FOUND`, `ADD_IF_NEW` of a present one
/// `ERROR_WINHTTP_HEADER_ALREADY_EXISTS`; earlier headers of the call stay applied).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpAddRequestHeadersEx(
    hRequest: HINTERNET,
    dwModifiers: DWORD,
    ullFlags: ULONGLONG,
    ullExtra: ULONGLONG,
    cHeaders: DWORD,
    pHeaders: *mut WINHTTP_EXTENDED_HEADER,
) -> DWORD {
    // SAFETY: the caller's arguments, passed on.
    unsafe { WinHttpAddRequestHeadersEx_of::<WCHAR>(hRequest, dwModifiers, ullFlags, ullExtra, cHeaders, pHeaders) }
}

/// [`WinHttpAddRequestHeadersEx`] with `pwsz*` strings in units of `C`.
pub(crate) unsafe fn WinHttpAddRequestHeadersEx_of<C: CodeUnit>(
    hRequest: HINTERNET,
    dwModifiers: DWORD,
    ullFlags: ULONGLONG,
    ullExtra: ULONGLONG,
    cHeaders: DWORD,
    pHeaders: *mut WINHTTP_EXTENDED_HEADER,
) -> DWORD {
    let _ = ullExtra;
    dword_api(|| {
        check(cHeaders == 0 || pHeaders.is_null())?;
        let unicode = ullFlags & ULONGLONG::from(WINHTTP_EXTENDED_HEADER_FLAG_UNICODE) != 0;
        let mut pairs = Vec::with_capacity(cHeaders.min(1024) as usize);
        for i in 0..cHeaders as usize {
            // SAFETY: `cHeaders` readable entries whose members are NULL or NUL-terminated.
            let (name, value) = unsafe {
                let h = pHeaders.add(i).read_unaligned();
                if unicode {
                    (wstring(h.Name.pwszName.cast::<C>()), wstring(h.Value.pwszValue.cast::<C>()))
                } else {
                    (narrow(h.Name.pszName), narrow(h.Value.pszValue))
                }
            };
            pairs.push((name.ok_or(ERROR_INVALID_PARAMETER)?, value.ok_or(ERROR_INVALID_PARAMETER)?));
        }
        let request = handles::request(hRequest)?;
        if pairs.iter().any(|(n, v)| !headers::is_valid_name(n) || !headers::is_valid_value(v)) {
            return Err(ERROR_WINHTTP_INVALID_HEADER);
        }
        let mut list = request.headers();
        for (n, v) in &pairs {
            list.apply(n, v, dwModifiers).map_err(|e| e.code())?;
        }
        Ok(())
    })
}

/// Reads response body data, as `WinHttpReadData` but returning the error code. With
/// `WINHTTP_READ_DATA_EX_FLAG_FILL_BUFFER` it returns only once the buffer is full or the body has
/// ended (reads repeat until then). `cbProperty` and `pvProperty` are reserved: 0 and NULL.
///
/// Async mode: `ERROR_IO_PENDING` when the `READ_COMPLETE` comes later, as `WinHttpReadData`; with
/// the flag the engine chains reads and sends one `READ_COMPLETE` with the total once the buffer is
/// full or the body has ended.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpReadDataEx(
    hRequest: HINTERNET,
    lpBuffer: LPVOID,
    dwNumberOfBytesToRead: DWORD,
    lpdwNumberOfBytesRead: LPDWORD,
    ullFlags: ULONGLONG,
    cbProperty: DWORD,
    pvProperty: PVOID,
) -> DWORD {
    // SAFETY: NULL or a valid DWORD pointer; Windows zeroes it before anything else.
    unsafe { put(lpdwNumberOfBytesRead, 0) };
    let mut pending = false;
    let r = dword_api(|| {
        check(lpBuffer.is_null() && dwNumberOfBytesToRead > 0)?;
        check(cbProperty != 0 || !pvProperty.is_null() || ullFlags & !WINHTTP_READ_DATA_EX_FLAG_FILL_BUFFER != 0)?;
        let request = handles::request(hRequest)?;
        let fill = ullFlags & WINHTTP_READ_DATA_EX_FLAG_FILL_BUFFER != 0;
        let (out, len) = (lpBuffer.cast::<u8>(), dwNumberOfBytesToRead as usize);
        // SAFETY: `len` writable bytes at `out` until the read completes (the API's contract).
        let outcome = unsafe { if fill { api::read_fill(&request, out, len) } else { api::read(&request, out, len) } }?;
        match outcome {
            // SAFETY: as above; only while the call has not returned.
            Outcome::Done(n) => unsafe { put(lpdwNumberOfBytesRead, n as DWORD) },
            Outcome::Later => pending = true,
            Outcome::Failed => {}
        }
        Ok(())
    });
    if r == ERROR_SUCCESS && pending { ERROR_IO_PENDING } else { r }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_aligns_the_array_and_packs_the_strings() {
        let pairs = vec![(b"A\0".to_vec(), b"bc\0".to_vec()), (b"D\0".to_vec(), b"\0".to_vec())];
        let l = layout(0x1000, &pairs);
        assert_eq!(l, Layout { pad: 0, strings: vec![(32, 34), (37, 39)], total: 40 });
        let l = layout(0x1003, &pairs);
        assert_eq!((l.pad, l.total), (5, 45));
        assert_eq!(layout(0, &[]).total, 0);
    }

    #[test]
    fn string_forms() {
        assert_eq!(encode::<WCHAR>("ab", Form::Wire), b"ab\0");
        assert_eq!(encode::<WCHAR>("é", Form::Wire), b"\xc3\xa9\0");
        let w = encode::<WCHAR>("é", Form::Wide);
        assert_eq!(w.len(), 2 * size_of::<WCHAR>());
        let l = encode::<WCHAR>("é", Form::WideLatin1);
        assert_eq!(l.len(), 3 * size_of::<WCHAR>());
        assert_eq!(encode::<u16>("é\u{1F600}", Form::Wide).len(), 4 * 2);
        let latin1: Vec<u8> = [0xc3u16, 0xa9, 0].iter().flat_map(|u| u.to_ne_bytes()).collect();
        assert_eq!(encode::<u16>("é", Form::WideLatin1), latin1);
    }

    #[test]
    fn argument_checks_come_before_the_handle() {
        use core::ptr::null_mut as null;
        let mut len: DWORD = 0;
        let mut count: DWORD = 0;
        let mut array: PWINHTTP_EXTENDED_HEADER = null();
        unsafe {
            let q = |level, flags, len: PDWORD, pp: *mut PWINHTTP_EXTENDED_HEADER, count: PDWORD| {
                WinHttpQueryHeadersEx(null(), level, flags, 0, null(), null(), null(), len, pp, count)
            };
            let all = WINHTTP_QUERY_EX_ALL_HEADERS;
            assert_eq!(q(all, 0, null(), &mut array, &mut count), ERROR_INVALID_PARAMETER);
            assert_eq!(q(all, 0, &mut len, null(), &mut count), ERROR_INVALID_PARAMETER);
            assert_eq!(q(all, 0, &mut len, &mut array, null()), ERROR_INVALID_PARAMETER);
            assert_eq!(q(all, 1, &mut len, &mut array, &mut count), ERROR_INVALID_PARAMETER);
            for bad in [
                WINHTTP_QUERY_VERSION,
                WINHTTP_QUERY_STATUS_CODE,
                WINHTTP_QUERY_STATUS_TEXT,
                WINHTTP_QUERY_RAW_HEADERS_CRLF,
                WINHTTP_QUERY_CONTENT_LENGTH | WINHTTP_QUERY_FLAG_NUMBER,
                WINHTTP_QUERY_DATE | WINHTTP_QUERY_FLAG_SYSTEMTIME,
                WINHTTP_QUERY_CUSTOM,
            ] {
                assert_eq!(q(bad, 0, &mut len, &mut array, &mut count), ERROR_INVALID_PARAMETER, "{bad:#x}");
            }
            assert_eq!(q(all, 0, &mut len, &mut array, &mut count), ERROR_INVALID_HANDLE);
            assert_eq!(WinHttpAddRequestHeadersEx(null(), 0, 0, 0, 0, null()), ERROR_INVALID_PARAMETER);
            assert_eq!(WinHttpAddRequestHeadersEx(null(), 0, 0, 0, 1, null()), ERROR_INVALID_PARAMETER);
            let mut read: DWORD = 7;
            assert_eq!(WinHttpReadDataEx(null(), null(), 1, &mut read, 0, 0, null()), ERROR_INVALID_PARAMETER);
            assert_eq!(read, 0);
            let mut b = [0u8; 4];
            assert_eq!(
                WinHttpReadDataEx(null(), b.as_mut_ptr().cast(), 4, &mut read, 2, 0, null()),
                ERROR_INVALID_PARAMETER
            );
            assert_eq!(
                WinHttpReadDataEx(null(), b.as_mut_ptr().cast(), 4, &mut read, 0, 1, null()),
                ERROR_INVALID_PARAMETER
            );
            assert_eq!(
                WinHttpReadDataEx(null(), b.as_mut_ptr().cast(), 4, &mut read, 1, 0, null()),
                ERROR_INVALID_HANDLE
            );
        }
    }
}
