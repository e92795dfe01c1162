//! Request and response headers: `WinHttpAddRequestHeaders` and `WinHttpQueryHeaders`.
//!
//! The header logic is `proto::headers`; this file converts strings and implements the
//! `WinHttpQueryHeaders` buffer protocol ([`deliver`]), which the request and the response side
//! share:
//! - sizes are in bytes (characters times `sizeof(WCHAR)`);
//! - on success `*lpdwBufferLength` is the size without the terminator;
//! - with a NULL buffer, or one too small for the text and its terminator, the call fails with
//!   `ERROR_INSUFFICIENT_BUFFER`, `*lpdwBufferLength` is the size with the terminator and the
//!   buffer is untouched;
//! - `FLAG_NUMBER`, `FLAG_NUMBER64` and `FLAG_SYSTEMTIME` answers have a fixed size, reported
//!   the same way;
//! - `*lpdwIndex` selects the N-th occurrence of a header and advances only on success; computed
//!   levels (raw headers, version, method, ...) leave it alone.

use super::*;
use crate::engine::api::{handles, log};
use crate::proto::headers::{self, Answer, Attribute, HeaderBlock, RequestFacts, StartLine, Value};
use crate::proto::wide::{self, CodeUnit};

/// Adds, replaces or merges request headers. `lpszHeaders` holds one or more "Name: value"
/// headers separated by CR/LF; `dwHeadersLength` is its length in characters, or `(DWORD)-1`
/// when it is NUL-terminated (a NUL inside the given length also ends it). `dwModifiers` is a
/// combination of `WINHTTP_ADDREQ_FLAG_*` (0 means ADD).
///
/// Errors: a NULL string or a length of 0 give `ERROR_INVALID_PARAMETER` (before the handle is
/// looked at); a malformed header `ERROR_WINHTTP_INVALID_HEADER` (nothing is applied);
/// `REPLACE` of an absent header `ERROR_WINHTTP_HEADER_NOT_FOUND`; `ADD_IF_NEW` of a present one
/// `ERROR_WINHTTP_HEADER_ALREADY_EXISTS`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpAddRequestHeaders(
    hRequest: HINTERNET,
    lpszHeaders: LPCWSTR,
    dwHeadersLength: DWORD,
    dwModifiers: DWORD,
) -> BOOL {
    // SAFETY: the caller's arguments, passed on.
    unsafe { WinHttpAddRequestHeaders_of(hRequest, lpszHeaders, dwHeadersLength, dwModifiers) }
}

/// [`WinHttpAddRequestHeaders`] for strings of either width.
pub(crate) unsafe fn WinHttpAddRequestHeaders_of<C: CodeUnit>(
    hRequest: HINTERNET,
    lpszHeaders: *const C,
    dwHeadersLength: DWORD,
    dwModifiers: DWORD,
) -> BOOL {
    let args = || {
        let text = if lpszHeaders.is_null() || dwHeadersLength == 0 {
            "NULL".to_string()
        } else {
            // SAFETY: as in the call below.
            log::redact_headers(&unsafe { header_text(lpszHeaders, dwHeadersLength) })
        };
        format!("hRequest={}, {text}, modifiers={dwModifiers:#x}", log::handle(hRequest))
    };
    bool_api_args(args, || {
        check(lpszHeaders.is_null() || dwHeadersLength == 0)?;
        // SAFETY: `dwHeadersLength` readable characters, or NUL-terminated for (DWORD)-1.
        let text = unsafe { header_text(lpszHeaders, dwHeadersLength) };
        let request = handles::request(hRequest)?;
        let mut list = request.headers();
        list.add_text(&text, dwModifiers).map_err(|e| e.code())
    })
}

/// Header text given with a length (`(DWORD)-1` = NUL-terminated), cut at the first NUL.
///
/// # Safety
/// As for [`wcs_n`].
pub(crate) unsafe fn header_text<C: CodeUnit>(p: *const C, len: DWORD) -> String {
    // SAFETY: as promised by the caller.
    let units = unsafe { wcs_n(p, len) };
    let end = units.iter().position(|&u| u.to_u32() == 0).unwrap_or(units.len());
    wide::decode(&units[..end])
}

/// Retrieves a request or response header, or a computed value (status, version, raw headers,
/// method), by info level (`WINHTTP_QUERY_*` plus `WINHTTP_QUERY_FLAG_*` modifiers) or by name
/// (`WINHTTP_QUERY_CUSTOM`).
///
/// Sizes are in bytes. On success `*lpdwBufferLength` is the size written without the terminator.
/// With a NULL buffer, or one too small for the value and its terminator, the call fails with
/// `ERROR_INSUFFICIENT_BUFFER`, sets `*lpdwBufferLength` to the size needed (terminator included)
/// and leaves the buffer untouched. `FLAG_NUMBER`, `FLAG_NUMBER64` and `FLAG_SYSTEMTIME` answers
/// are a `DWORD`, a `ULONGLONG` and a `SYSTEMTIME`. `*lpdwIndex` (optional) selects the N-th
/// occurrence of a header and advances only on success.
///
/// Errors: a NULL `lpdwBufferLength`, a level above `WINHTTP_QUERY_MAX` (other than CUSTOM) or a
/// CUSTOM query without a name give `ERROR_INVALID_PARAMETER`; response headers before a response
/// exist give `ERROR_WINHTTP_INCORRECT_HANDLE_STATE` (`WINHTTP_QUERY_REQUEST_METHOD` always
/// works); a missing header gives `ERROR_WINHTTP_HEADER_NOT_FOUND`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpQueryHeaders(
    hRequest: HINTERNET,
    dwInfoLevel: DWORD,
    pwszName: LPCWSTR,
    lpBuffer: LPVOID,
    lpdwBufferLength: LPDWORD,
    lpdwIndex: LPDWORD,
) -> BOOL {
    // SAFETY: the caller's arguments, passed on.
    unsafe { WinHttpQueryHeaders_of(hRequest, dwInfoLevel, pwszName, lpBuffer, lpdwBufferLength, lpdwIndex) }
}

/// [`WinHttpQueryHeaders`] for strings of either width: names are read and text answers written
/// in units of `C`.
pub(crate) unsafe fn WinHttpQueryHeaders_of<C: CodeUnit>(
    hRequest: HINTERNET,
    dwInfoLevel: DWORD,
    pwszName: *const C,
    lpBuffer: LPVOID,
    lpdwBufferLength: LPDWORD,
    lpdwIndex: LPDWORD,
) -> BOOL {
    let args = || {
        // SAFETY: NULL or NUL-terminated, by the API's contract.
        let name = if pwszName.is_null() { None } else { unsafe { wstring(pwszName) } };
        // SAFETY: NULL or a valid DWORD, by the API's contract.
        let index = if lpdwIndex.is_null() { None } else { Some(unsafe { lpdwIndex.read_unaligned() }) };
        let name = name.map(|n| format!(", name={}", log::opt_str(Some(&n)))).unwrap_or_default();
        format!("hRequest={}, level={dwInfoLevel:#x}{name}, index={index:?}", log::handle(hRequest))
    };
    bool_api_args(args, || {
        check(lpdwBufferLength.is_null())?;
        let attr = headers::attribute(dwInfoLevel).ok_or(ERROR_INVALID_PARAMETER)?;
        // SAFETY: NULL or NUL-terminated, by the API's contract.
        let name = if attr == Attribute::Custom { unsafe { wstring(pwszName) } } else { None };
        check(attr == Attribute::Custom && name.is_none())?;
        let request = handles::request(hRequest)?;
        // SAFETY: NULL or a valid DWORD, by the API's contract.
        let index = if lpdwIndex.is_null() { 0 } else { unsafe { lpdwIndex.read_unaligned() } };
        let target = request.target();
        let original = request.state().original_url.clone();
        let facts = RequestFacts { method: &target.verb, original_uri: original.as_deref() };
        // The answer borrows from the headers: delivered while they are held.
        if dwInfoLevel & WINHTTP_QUERY_FLAG_REQUEST_HEADERS != 0 || attr == Attribute::RequestMethod {
            let list = request.headers();
            let block = HeaderBlock {
                start: StartLine::Request { method: &target.verb, target: &target.path, version: &request.version },
                headers: &list,
            };
            let answer = block.query(&facts, attr, name.as_deref(), index)?;
            // SAFETY: the caller's buffer, length and index pointers, as the API describes them.
            unsafe { deliver::<C>(answer, dwInfoLevel, lpBuffer, lpdwBufferLength, lpdwIndex) }
        } else if dwInfoLevel & WINHTTP_QUERY_FLAG_TRAILERS != 0 {
            // The response's trailers (HTTP/2), there once WinHttpReadData has given 0 (none
            // before): looked up as headers; the raw levels give the trailer lines only.
            let response = request.response().ok_or(ERROR_WINHTTP_INCORRECT_HANDLE_STATE)?;
            let mut list = headers::HeaderList::new();
            for (n, v) in request.state().trailers.iter() {
                list.push(n, v);
            }
            let answer = match attr {
                Attribute::RawHeadersCrlf | Attribute::RawHeaders => {
                    let mut text = String::new();
                    list.write_lines(&mut text);
                    if attr == Attribute::RawHeaders {
                        text = text.replace("\r\n", "\0");
                    } else if !text.is_empty() {
                        text.push_str("\r\n");
                    }
                    Answer { text: text.into(), indexed: false }
                }
                _ => {
                    let start = StartLine::Status {
                        version: response.version,
                        code: response.status,
                        reason: &response.reason,
                    };
                    HeaderBlock { start, headers: &list }.query(&facts, attr, name.as_deref(), index)?
                }
            };
            // SAFETY: as above.
            unsafe { deliver::<C>(answer, dwInfoLevel, lpBuffer, lpdwBufferLength, lpdwIndex) }
        } else {
            // Response headers exist once WinHttpReceiveResponse has produced a response.
            let response = request.response().ok_or(ERROR_WINHTTP_INCORRECT_HANDLE_STATE)?;
            let block = HeaderBlock {
                start: StartLine::Status { version: response.version, code: response.status, reason: &response.reason },
                headers: &response.headers,
            };
            let answer = block.query(&facts, attr, name.as_deref(), index)?;
            // SAFETY: as above.
            unsafe { deliver::<C>(answer, dwInfoLevel, lpBuffer, lpdwBufferLength, lpdwIndex) }
        }
    })
}

/// Converts an answer as the `FLAG_*` bits of `info_level` ask, writes it with the buffer protocol
/// and advances the index on success (for header lookups only).
///
/// # Safety
/// `len` is valid for a read and a write; `buffer` is NULL or valid for `*len` bytes; `index` is
/// NULL or valid for a read and a write.
pub(crate) unsafe fn deliver<C: CodeUnit>(
    answer: Answer<'_>,
    info_level: DWORD,
    buffer: LPVOID,
    len: LPDWORD,
    index: LPDWORD,
) -> ApiResult<()> {
    let value = headers::convert(answer.text, info_level)?;
    // SAFETY: as promised by the caller.
    unsafe { write_value::<C>(&value, buffer, len)? };
    if answer.indexed && !index.is_null() {
        // SAFETY: non-null and valid, as promised by the caller.
        unsafe { index.write_unaligned(index.read_unaligned().wrapping_add(1)) };
    }
    Ok(())
}

/// Writes `value` into the caller's buffer of `*len` bytes (see the module documentation).
///
/// # Safety
/// `len` is valid for a read and a write; `buffer` is NULL or valid for `*len` bytes.
pub(crate) unsafe fn write_value<C: CodeUnit>(value: &Value<'_>, buffer: LPVOID, len: LPDWORD) -> ApiResult<()> {
    // Numbers and times are laid out here; text is encoded straight into the caller's buffer.
    let mut fixed = [0u8; 16];
    let (need, reported) = match value {
        Value::Text(s) => {
            let need = (wide::encoded_len::<C>(s) + 1).checked_mul(C::BYTES).ok_or(ERROR_NOT_ENOUGH_MEMORY)?;
            (need, need - C::BYTES)
        }
        Value::Number(n) => {
            fixed[..4].copy_from_slice(&n.to_ne_bytes());
            (4, 4)
        }
        Value::Number64(n) => {
            fixed[..8].copy_from_slice(&n.to_ne_bytes());
            (8, 8)
        }
        Value::Time(st) => {
            let words =
                [st.wYear, st.wMonth, st.wDayOfWeek, st.wDay, st.wHour, st.wMinute, st.wSecond, st.wMilliseconds];
            for (i, w) in words.iter().enumerate() {
                fixed[i * 2..i * 2 + 2].copy_from_slice(&w.to_ne_bytes());
            }
            (16, 16)
        }
    };
    let need_dw = DWORD::try_from(need).map_err(|_| ERROR_NOT_ENOUGH_MEMORY)?;
    // SAFETY: `len` is valid, as promised by the caller.
    let cap = unsafe { len.read_unaligned() };
    if buffer.is_null() || cap < need_dw {
        // SAFETY: as above.
        unsafe { put(len, need_dw) };
        return Err(ERROR_INSUFFICIENT_BUFFER);
    }
    let out = buffer.cast::<u8>();
    match value {
        Value::Text(s) => {
            let mut at = 0;
            let mut unit = |u: u32| {
                // SAFETY: `buffer` holds `cap >= need` bytes, and exactly `need` are written here;
                // unaligned writes, in case the caller's buffer is.
                unsafe {
                    match C::BYTES {
                        2 => out.add(at).cast::<u16>().write_unaligned(u as u16),
                        _ => out.add(at).cast::<u32>().write_unaligned(u),
                    }
                }
                at += C::BYTES;
            };
            if C::UTF16 {
                s.encode_utf16().for_each(|u| unit(u32::from(u)));
            } else {
                s.chars().for_each(|c| unit(c as u32));
            }
            unit(0);
        }
        // SAFETY: `buffer` holds `cap >= need` bytes; byte copies need no alignment.
        _ => unsafe { core::ptr::copy_nonoverlapping(fixed.as_ptr(), out, need) },
    }
    // SAFETY: as above.
    unsafe { put(len, reported as DWORD) };
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Value<'_> {
        Value::Text(s.into())
    }

    #[test]
    fn text_protocol_in_both_widths() {
        // UTF-16: "abc" is 6 bytes, 8 with the terminator.
        let mut buf = [0xaaaau16; 8];
        let mut len: DWORD = 6;
        let r = unsafe { write_value::<u16>(&text("abc"), buf.as_mut_ptr().cast(), &mut len) };
        assert_eq!((r, len), (Err(ERROR_INSUFFICIENT_BUFFER), 8));
        assert_eq!(buf, [0xaaaa; 8]);
        len = 8;
        let r = unsafe { write_value::<u16>(&text("abc"), buf.as_mut_ptr().cast(), &mut len) };
        assert_eq!((r, len), (Ok(()), 6));
        assert_eq!(&buf[..5], &[b'a' as u16, b'b' as u16, b'c' as u16, 0, 0xaaaa]);

        // UTF-32: "abc" is 12 bytes, 16 with the terminator; a NULL buffer always gives the size.
        let mut buf = [-1i32; 8];
        let mut len: DWORD = 1000;
        let r = unsafe { write_value::<i32>(&text("abc"), core::ptr::null_mut(), &mut len) };
        assert_eq!((r, len), (Err(ERROR_INSUFFICIENT_BUFFER), 16));
        len = 16;
        let r = unsafe { write_value::<i32>(&text("a\u{1F600}c"), buf.as_mut_ptr().cast(), &mut len) };
        assert_eq!((r, len), (Ok(()), 12));
        assert_eq!(&buf[..5], &[b'a' as i32, 0x1F600, b'c' as i32, 0, -1]);

        // A surrogate pair takes two UTF-16 units.
        let mut len: DWORD = 0;
        let r = unsafe { write_value::<u16>(&text("\u{1F600}"), core::ptr::null_mut(), &mut len) };
        assert_eq!((r, len), (Err(ERROR_INSUFFICIENT_BUFFER), 6));
    }

    #[test]
    fn fixed_size_values() {
        let mut n: u32 = 0xdead_beef;
        let mut len: DWORD = 3;
        let r = unsafe { write_value::<u16>(&Value::Number(200), (&raw mut n).cast(), &mut len) };
        assert_eq!((r, len, n), (Err(ERROR_INSUFFICIENT_BUFFER), 4, 0xdead_beef));
        len = 5;
        let r = unsafe { write_value::<u16>(&Value::Number(200), (&raw mut n).cast(), &mut len) };
        assert_eq!((r, len, n), (Ok(()), 4, 200));

        let mut q: u64 = 0;
        len = 8;
        let r = unsafe { write_value::<u16>(&Value::Number64(1 << 40), (&raw mut q).cast(), &mut len) };
        assert_eq!((r, len, q), (Ok(()), 8, 1 << 40));

        let want = SYSTEMTIME {
            wYear: 2008,
            wMonth: 7,
            wDayOfWeek: 1,
            wDay: 28,
            wHour: 10,
            wMinute: 5,
            wSecond: 52,
            wMilliseconds: 0,
        };
        let mut st = SYSTEMTIME::default();
        len = core::mem::size_of::<SYSTEMTIME>() as DWORD;
        let r = unsafe { write_value::<u16>(&Value::Time(want), (&raw mut st).cast(), &mut len) };
        assert_eq!((r, len, st), (Ok(()), 16, want));
    }

    #[test]
    fn index_advances_only_for_header_answers_that_succeed() {
        let mut buf = [0i32; 16];
        let mut len: DWORD = 64;
        let mut index: DWORD = 3;
        let a = Answer { text: "v".into(), indexed: true };
        unsafe { deliver::<i32>(a.clone(), 0, buf.as_mut_ptr().cast(), &mut len, &mut index).unwrap() };
        assert_eq!(index, 4);
        len = 4;
        let r = unsafe { deliver::<i32>(a, 0, buf.as_mut_ptr().cast(), &mut len, &mut index) };
        assert_eq!((r, index), (Err(ERROR_INSUFFICIENT_BUFFER), 4));
        len = 64;
        let computed = Answer { text: "HTTP/1.1".into(), indexed: false };
        unsafe { deliver::<i32>(computed, 0, buf.as_mut_ptr().cast(), &mut len, &mut index).unwrap() };
        assert_eq!(index, 4);
    }

    #[test]
    fn header_text_stops_at_nul() {
        let s: Vec<WCHAR> = wide::encode("A: b\0C: d");
        assert_eq!(unsafe { header_text(s.as_ptr(), s.len() as DWORD) }, "A: b");
        assert_eq!(unsafe { header_text(s.as_ptr(), 3) }, "A: ");
        let z: Vec<WCHAR> = wide::encode("X: y\0");
        assert_eq!(unsafe { header_text(z.as_ptr(), DWORD::MAX) }, "X: y");
    }

    #[test]
    fn argument_checks_come_before_the_handle() {
        let null = core::ptr::null_mut();
        let mut len: DWORD = 0;
        let name: Vec<WCHAR> = wide::encode("a\0");
        let last = || super::super::error::get();
        unsafe {
            // NULL length pointer.
            assert_eq!(
                WinHttpQueryHeaders(
                    null,
                    WINHTTP_QUERY_REQUEST_METHOD,
                    core::ptr::null(),
                    null,
                    core::ptr::null_mut(),
                    core::ptr::null_mut()
                ),
                0
            );
            assert_eq!(last(), ERROR_INVALID_PARAMETER);
            // CUSTOM without a name.
            assert_eq!(
                WinHttpQueryHeaders(
                    null,
                    WINHTTP_QUERY_CUSTOM,
                    core::ptr::null(),
                    null,
                    &mut len,
                    core::ptr::null_mut()
                ),
                0
            );
            assert_eq!(last(), ERROR_INVALID_PARAMETER);
            // Unknown modifier bits make the level invalid.
            assert_eq!(
                WinHttpQueryHeaders(null, 0x0001_0000, core::ptr::null(), null, &mut len, core::ptr::null_mut()),
                0
            );
            assert_eq!(last(), ERROR_INVALID_PARAMETER);
            // Valid arguments, then the handle.
            assert_eq!(
                WinHttpQueryHeaders(null, WINHTTP_QUERY_CUSTOM, name.as_ptr(), null, &mut len, core::ptr::null_mut()),
                0
            );
            assert_eq!(last(), ERROR_INVALID_HANDLE);
            assert_eq!(WinHttpAddRequestHeaders(null, name.as_ptr(), 0, 0), 0);
            assert_eq!(last(), ERROR_INVALID_PARAMETER);
            assert_eq!(WinHttpAddRequestHeaders(null, name.as_ptr(), DWORD::MAX, 0), 0);
            assert_eq!(last(), ERROR_INVALID_HANDLE);
        }
    }
}
