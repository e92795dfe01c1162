//! `WinHttpCrackUrl` and `WinHttpCreateUrl`: the `URL_COMPONENTS` buffer conventions around the
//! URL core in [`crate::proto::url`].

use super::{ApiResult, bool_api, bool_api_args, check, dword_size, put, wcs_len};
use crate::abi::*;
use crate::engine::api::log;
use crate::proto::url::{self as core_url, CreateParts, Part};
use crate::proto::wide::CodeUnit;
use std::borrow::Cow;

/// One string member pair of `URL_COMPONENTS` (`lpszX`, `dwXLength`).
struct Slot<C> {
    ptr: *mut C,
    len: DWORD,
}

impl<C> Slot<C> {
    fn requested(&self) -> bool {
        self.len != 0
    }
}

/// What a cracked component will be set to.
struct Value<'a, C: Clone> {
    /// Offset in the caller's string where the component starts (for the no-buffer mode);
    /// `None` for an absent user name or password, which comes back as a NULL pointer.
    at: Option<usize>,
    text: Cow<'a, [C]>,
}

/// Splits a URL into its parts.
///
/// `dwUrlLength` is in characters; 0 means the URL is NUL-terminated. Each string member of
/// `*lpUrlComponents` asks for its component by a non-zero length: with a NULL pointer the member is
/// set to point into `pwszUrl` (with the component's length), with a buffer of that many characters
/// the component is copied there and NUL-terminated. A buffer with a zero length is an error. If
/// `lpszExtraInfo` is NULL with length 0, the path includes the query. When a buffer is too small the
/// call fails with `ERROR_INSUFFICIENT_BUFFER` and that member's length is the size needed, counting
/// the terminator. `ICU_DECODE` and `ICU_ESCAPE` need buffers; `ICU_REJECT_USERPWD` refuses URLs
/// with credentials (`ERROR_WINHTTP_INVALID_URL`).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpCrackUrl(
    pwszUrl: LPCWSTR,
    dwUrlLength: DWORD,
    dwFlags: DWORD,
    lpUrlComponents: LPURL_COMPONENTS,
) -> BOOL {
    // SAFETY: the caller's arguments, passed on.
    unsafe { WinHttpCrackUrl_of(pwszUrl, dwUrlLength, dwFlags, lpUrlComponents) }
}

/// [`WinHttpCrackUrl`] for strings of either width (`URL_COMPONENTS` has the same layout in both:
/// its string members are pointers to units of `C`).
pub(crate) unsafe fn WinHttpCrackUrl_of<C: CodeUnit>(
    pwszUrl: *const C,
    dwUrlLength: DWORD,
    dwFlags: DWORD,
    lpUrlComponents: LPURL_COMPONENTS,
) -> BOOL {
    let args = || {
        let url = (!pwszUrl.is_null()).then(|| {
            // SAFETY: as for the call: `dwUrlLength` characters, or NUL-terminated when 0.
            let units = unsafe { super::wcs_n(pwszUrl, if dwUrlLength == 0 { DWORD::MAX } else { dwUrlLength }) };
            crate::proto::wide::decode(units)
        });
        format!("url={}, flags={dwFlags:#x}", log::opt_str(url.as_deref()))
    };
    // SAFETY: the caller passes a valid URL string and structure, as the API requires.
    bool_api_args(args, || unsafe { crack(pwszUrl, dwUrlLength, dwFlags, lpUrlComponents) })
}

unsafe fn crack<C: CodeUnit>(url: *const C, url_len: DWORD, flags: DWORD, uc: LPURL_COMPONENTS) -> ApiResult<()> {
    check(url.is_null() || uc.is_null())?;
    // SAFETY: non-null; the caller owns a URL_COMPONENTS whose first member is its size.
    let size = unsafe { core::ptr::addr_of!((*uc).dwStructSize).read_unaligned() };
    check(size as usize != size_of::<URL_COMPONENTS>())?;
    // SAFETY: the size says the whole structure is there.
    let mut c = unsafe { uc.read_unaligned() };
    let n = if url_len == 0 || url_len == DWORD::MAX {
        // SAFETY: a length of 0 promises a NUL-terminated string.
        unsafe { wcs_len(url) }
    } else {
        url_len as usize
    };
    // SAFETY: `n` readable characters, by the length or the terminator.
    let units = unsafe { core::slice::from_raw_parts(url, n) };

    let slots = [
        Slot { ptr: c.lpszScheme.cast::<C>(), len: c.dwSchemeLength },
        Slot { ptr: c.lpszUserName.cast::<C>(), len: c.dwUserNameLength },
        Slot { ptr: c.lpszPassword.cast::<C>(), len: c.dwPasswordLength },
        Slot { ptr: c.lpszHostName.cast::<C>(), len: c.dwHostNameLength },
        Slot { ptr: c.lpszUrlPath.cast::<C>(), len: c.dwUrlPathLength },
        Slot { ptr: c.lpszExtraInfo.cast::<C>(), len: c.dwExtraInfoLength },
    ];
    // A buffer must come with its size.
    check(slots.iter().any(|s| !s.ptr.is_null() && s.len == 0))?;

    let p = core_url::split(units, flags)?;
    let fold = !slots[5].requested();
    let path_range = if fold { p.path.start..p.extra.end } else { p.path.clone() };
    let value = |r: core::ops::Range<usize>, part| -> ApiResult<Value<'_, C>> {
        let at = Some(r.start);
        Ok(Value { at, text: core_url::component_value(units, r, part, flags)? })
    };
    let absent = || Value { at: None, text: Cow::Borrowed(&[][..]) };
    let values = [
        value(p.scheme_text.clone(), Part::Scheme)?,
        match p.user.clone() {
            Some(r) => value(r, Part::User)?,
            None => absent(),
        },
        match p.password.clone() {
            Some(r) => value(r, Part::Password)?,
            None => absent(),
        },
        value(p.host.clone(), Part::Host)?,
        value(path_range, Part::Path)?,
        value(p.extra.clone(), Part::Extra)?,
    ];
    // Transformed components exist only as copies: they need caller buffers.
    if core_url::flags_transform(flags) {
        let mut pointer_mode = slots.iter().zip(&values);
        check(pointer_mode.any(|(s, v)| s.requested() && s.ptr.is_null() && !v.text.is_empty()))?;
    }

    // Everything is valid: fill in the components.
    let mut overflow = false;
    let mut out: [(*mut C, DWORD); 6] = core::array::from_fn(|i| (slots[i].ptr, slots[i].len));
    for ((slot, v), o) in slots.iter().zip(&values).zip(out.iter_mut()) {
        if !slot.requested() {
            continue;
        }
        if slot.ptr.is_null() {
            // SAFETY: an offset within (or one past the end of) the caller's string.
            let ptr = v.at.map_or(core::ptr::null_mut(), |at| unsafe { url.add(at) }.cast_mut());
            *o = (ptr, dword_size(v.text.len(), 0)?);
        } else if v.text.len() >= slot.len as usize {
            *o = (slot.ptr, dword_size(v.text.len(), 1)?);
            overflow = true;
        } else {
            // SAFETY: the caller's buffer holds `slot.len` > text.len() characters.
            unsafe {
                core::ptr::copy_nonoverlapping(v.text.as_ptr(), slot.ptr, v.text.len());
                slot.ptr.add(v.text.len()).write_unaligned(C::from_u32(0));
            }
            *o = (slot.ptr, v.text.len() as DWORD);
        }
    }
    let member = |(p, n): (*mut C, DWORD)| (p.cast::<WCHAR>(), n);
    (c.lpszScheme, c.dwSchemeLength) = member(out[0]);
    (c.lpszUserName, c.dwUserNameLength) = member(out[1]);
    (c.lpszPassword, c.dwPasswordLength) = member(out[2]);
    (c.lpszHostName, c.dwHostNameLength) = member(out[3]);
    (c.lpszUrlPath, c.dwUrlPathLength) = member(out[4]);
    (c.lpszExtraInfo, c.dwExtraInfoLength) = member(out[5]);
    c.nPort = p.port;
    if !overflow {
        c.nScheme = p.scheme;
    }
    // SAFETY: writing back the structure we read.
    unsafe { uc.write_unaligned(c) };
    if overflow { Err(ERROR_INSUFFICIENT_BUFFER) } else { Ok(()) }
}

/// Builds a URL from its parts.
///
/// String members of `*lpUrlComponents` that are NULL are left out; a length of 0 means the string
/// is NUL-terminated. `lpszScheme` takes precedence over `nScheme` (0 means http); the port is left
/// out when it is the scheme's default; a password needs a user name. `ICU_ESCAPE` escapes unsafe
/// characters of the path and extra info as `%XX` (non-ASCII as UTF-8).
///
/// `*pdwUrlLength` is the size of `pwszUrl` in characters. On success it becomes the URL's length
/// without the terminator; when the buffer is too small (or NULL) the call fails with
/// `ERROR_INSUFFICIENT_BUFFER` and it becomes the size needed, terminator included. A NULL buffer
/// with a large enough size is `ERROR_INVALID_PARAMETER`. On other failures it is left alone.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpCreateUrl(
    lpUrlComponents: LPURL_COMPONENTS,
    dwFlags: DWORD,
    pwszUrl: LPWSTR,
    pdwUrlLength: LPDWORD,
) -> BOOL {
    // SAFETY: the caller's arguments, passed on.
    unsafe { WinHttpCreateUrl_of(lpUrlComponents, dwFlags, pwszUrl, pdwUrlLength) }
}

/// [`WinHttpCreateUrl`] for strings of either width.
pub(crate) unsafe fn WinHttpCreateUrl_of<C: CodeUnit>(
    lpUrlComponents: LPURL_COMPONENTS,
    dwFlags: DWORD,
    pwszUrl: *mut C,
    pdwUrlLength: LPDWORD,
) -> BOOL {
    // SAFETY: the caller passes a valid structure, buffer and length, as the API requires.
    bool_api(|| unsafe { create(lpUrlComponents, dwFlags, pwszUrl, pdwUrlLength) })
}

/// A string member of `URL_COMPONENTS` as a slice: NULL is absent, a length of 0 is NUL-terminated.
///
/// # Safety
/// `p` is NULL, or holds `len` characters, or a terminated string when `len` is 0.
unsafe fn member<'a, C: CodeUnit>(p: LPWSTR, len: DWORD) -> Option<&'a [C]> {
    let p = p.cast::<C>();
    if p.is_null() {
        return None;
    }
    // SAFETY: as promised by the caller.
    let n = if len == 0 { unsafe { wcs_len(p) } } else { len as usize };
    Some(unsafe { core::slice::from_raw_parts(p, n) })
}

unsafe fn create<C: CodeUnit>(uc: LPURL_COMPONENTS, flags: DWORD, buf: *mut C, len: LPDWORD) -> ApiResult<()> {
    check(uc.is_null() || len.is_null())?;
    // SAFETY: non-null; the first member is the structure's size.
    let size = unsafe { core::ptr::addr_of!((*uc).dwStructSize).read_unaligned() };
    check(size as usize != size_of::<URL_COMPONENTS>())?;
    // SAFETY: the size says the whole structure is there.
    let c = unsafe { uc.read_unaligned() };
    // SAFETY: the members are the caller's strings, described by their lengths.
    let parts = unsafe {
        CreateParts {
            scheme: member(c.lpszScheme, c.dwSchemeLength),
            n_scheme: c.nScheme,
            host: member(c.lpszHostName, c.dwHostNameLength),
            port: c.nPort,
            user: member(c.lpszUserName, c.dwUserNameLength),
            password: member(c.lpszPassword, c.dwPasswordLength),
            path: member(c.lpszUrlPath, c.dwUrlPathLength),
            extra: member(c.lpszExtraInfo, c.dwExtraInfoLength),
        }
    };
    let url = core_url::create(&parts, flags)?;
    // SAFETY: `len` is non-null.
    let cap = unsafe { len.read_unaligned() } as usize;
    if cap <= url.len() {
        // SAFETY: as above.
        unsafe { put(len, dword_size(url.len(), 1)?) };
        return Err(ERROR_INSUFFICIENT_BUFFER);
    }
    check(buf.is_null())?;
    // SAFETY: the caller's buffer holds `cap` > url.len() characters.
    unsafe {
        core::ptr::copy_nonoverlapping(url.as_ptr(), buf, url.len());
        buf.add(url.len()).write_unaligned(C::from_u32(0));
        put(len, url.len() as DWORD);
    }
    Ok(())
}
