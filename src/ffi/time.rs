//! HTTP dates: `WinHttpTimeFromSystemTime` and `WinHttpTimeToSystemTime`.

use super::*;
use crate::proto::time;
use crate::proto::wide::{self, CodeUnit};

/// Characters we may write: `WINHTTP_TIME_FORMAT_BUFSIZE` bytes of `WCHAR`s, 31 characters as on
/// Windows. The date takes 29 characters and its NUL.
const TIME_FORMAT_CHARS: usize = WINHTTP_TIME_FORMAT_BUFSIZE as usize / core::mem::size_of::<WCHAR>();
const _: () = assert!(time::RFC1123_LEN < TIME_FORMAT_CHARS);

/// Formats `st` into `out` (room for [`TIME_FORMAT_CHARS`] units).
///
/// # Safety
/// `out` is valid for `TIME_FORMAT_CHARS` units of `C`.
unsafe fn time_from_system_time<C: CodeUnit>(st: &SYSTEMTIME, out: *mut C) -> ApiResult<()> {
    let text = time::format_rfc1123(st).ok_or(ERROR_INVALID_PARAMETER)?;
    let mut units: Vec<C> = wide::encode(&text);
    units.push(C::from_u32(0));
    if units.len() > TIME_FORMAT_CHARS {
        return Err(ERROR_INSUFFICIENT_BUFFER);
    }
    // SAFETY: `units.len() <= TIME_FORMAT_CHARS` units are writable, by the caller's contract.
    unsafe { core::ptr::copy_nonoverlapping(units.as_ptr(), out, units.len()) };
    Ok(())
}

/// Formats a `SYSTEMTIME` as an RFC 1123 date ("Mon, 28 Jul 2008 10:05:52 GMT") into a buffer of
/// `WINHTTP_TIME_FORMAT_BUFSIZE` bytes. The weekday is computed from the date. NULL arguments or
/// fields out of range fail with `ERROR_INVALID_PARAMETER`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpTimeFromSystemTime(pst: *const SYSTEMTIME, pwszTime: LPWSTR) -> BOOL {
    // SAFETY: the caller's arguments, passed on.
    unsafe { WinHttpTimeFromSystemTime_of(pst, pwszTime) }
}

/// [`WinHttpTimeFromSystemTime`] for strings of either width.
pub(crate) unsafe fn WinHttpTimeFromSystemTime_of<C: CodeUnit>(pst: *const SYSTEMTIME, pwszTime: *mut C) -> BOOL {
    bool_api(|| {
        check(pst.is_null() || pwszTime.is_null())?;
        // SAFETY: a valid SYSTEMTIME, by the API's contract; possibly unaligned.
        let st = unsafe { pst.read_unaligned() };
        // SAFETY: the buffer is WINHTTP_TIME_FORMAT_BUFSIZE bytes, by the API's contract.
        unsafe { time_from_system_time(&st, pwszTime) }
    })
}

/// Reads an HTTP date (RFC 1123, RFC 850 or asctime, leniently: any case, any separators, a
/// trailing newline) into a `SYSTEMTIME`, `wDayOfWeek` computed and milliseconds 0. NULL arguments,
/// or a string without a day, month and year, fail with `ERROR_INVALID_PARAMETER` and leave
/// `*pst` unchanged.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpTimeToSystemTime(pwszTime: LPCWSTR, pst: *mut SYSTEMTIME) -> BOOL {
    // SAFETY: the caller's arguments, passed on.
    unsafe { WinHttpTimeToSystemTime_of(pwszTime, pst) }
}

/// [`WinHttpTimeToSystemTime`] for strings of either width.
pub(crate) unsafe fn WinHttpTimeToSystemTime_of<C: CodeUnit>(pwszTime: *const C, pst: *mut SYSTEMTIME) -> BOOL {
    bool_api(|| {
        check(pwszTime.is_null() || pst.is_null())?;
        // SAFETY: a NUL-terminated string, by the API's contract.
        let text = unsafe { wstring(pwszTime) }.unwrap_or_default();
        let st = time::parse_http_date(&text).ok_or(ERROR_INVALID_PARAMETER)?;
        // SAFETY: `pst` is non-null and valid for a write, by the API's contract.
        unsafe { put(pst, st) };
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_widths_fit_the_buffer() {
        let st = SYSTEMTIME {
            wYear: 2008,
            wMonth: 7,
            wDayOfWeek: 1,
            wDay: 28,
            wHour: 10,
            wMinute: 5,
            wSecond: 52,
            wMilliseconds: 0,
        };
        let mut b16 = [0xffffu16; TIME_FORMAT_CHARS];
        let mut b32 = [-1i32; TIME_FORMAT_CHARS];
        unsafe {
            time_from_system_time(&st, b16.as_mut_ptr()).unwrap();
            time_from_system_time(&st, b32.as_mut_ptr()).unwrap();
        }
        assert_eq!(wide::decode(&b16[..29]), "Mon, 28 Jul 2008 10:05:52 GMT");
        assert_eq!(wide::decode(&b32[..29]), "Mon, 28 Jul 2008 10:05:52 GMT");
        assert_eq!((b16[29], b32[29]), (0, 0));
        assert_eq!((b16[30], b32[30]), (0xffff, -1));
    }
}
