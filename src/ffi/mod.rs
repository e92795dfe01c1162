#![allow(non_snake_case, clippy::missing_safety_doc)]

//! The exported `WinHttp*` functions, one file per API family.
//!
//! Every export reads the same way: check the arguments (before the handle type, as Windows does),
//! convert wide strings, call the engine or the protocol core, and let one of the boundary helpers
//! below catch panics and set the last error. Nothing here does I/O.

pub mod auth;
pub mod callback;
pub mod error;
pub mod ex;
pub mod group;
pub mod headers;
pub mod memory;
pub mod options;
pub mod proxy;
pub mod request;
pub mod resolver;
pub mod session;
pub mod time;
pub mod unimplemented;
pub mod url;
pub mod utf16;
pub mod websocket;

use crate::abi::*;
use crate::engine::api::log;
use crate::proto::wide::CodeUnit;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// What an API body returns: a value, or a Win32 / WinHTTP error code.
pub(crate) type ApiResult<T> = Result<T, DWORD>;

fn guarded<T>(f: impl FnOnce() -> ApiResult<T>) -> ApiResult<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(_) => Err(ERROR_WINHTTP_INTERNAL_ERROR),
    }
}

/// The export whose body is the closure type `F`: `winhttp::ffi::session::WinHttpOpen::{{closure}}`
/// gives `WinHttpOpen`. A body shared by both widths lives in `WinHttpOpen_of::<C>` (see
/// [`utf16`]): `WinHttpOpen_of<u16>` gives `WinHttpOpen_u16`, any other unit `WinHttpOpen`.
/// Only asked for when `WINHTTP_LOG=api` is on.
fn export_name<F>() -> String {
    let full = std::any::type_name::<F>();
    let head = full.split("::{{closure}}").next().unwrap_or(full);
    let (path, generic) = match head.split_once('<') {
        Some((path, rest)) => (path, Some(rest.trim_end_matches('>'))),
        None => (head, None),
    };
    let name = path.rsplit("::").next().unwrap_or(path);
    match name.strip_suffix("_of") {
        Some(base) if generic == Some("u16") => format!("{base}{}", utf16::SUFFIX),
        Some(base) => base.to_string(),
        None => name.to_string(),
    }
}

/// A call being logged under `WINHTTP_LOG=api`: which export, its arguments (formatted before
/// the call runs) and when it began. One line is written when it returns.
pub(crate) struct Call {
    name: String,
    args: String,
    start: std::time::Instant,
}

impl Call {
    /// `None`, with nothing formatted, unless `api` logging is on (one relaxed load).
    #[inline]
    pub(crate) fn begin<F>(args: impl FnOnce() -> String) -> Option<Call> {
        if !log::on(log::API) {
            return None;
        }
        // Formatting reads what the call will read; a panic in it must not cross the C boundary either.
        let args = catch_unwind(AssertUnwindSafe(args)).unwrap_or_else(|_| "<arguments not shown>".into());
        Some(Call { name: export_name::<F>(), args, start: std::time::Instant::now() })
    }

    /// Writes `WinHttpX(args) -> result [duration]`.
    pub(crate) fn end(self, result: core::fmt::Arguments<'_>) {
        let us = self.start.elapsed().as_micros();
        log::emit(
            log::API,
            format_args!("{}({}) -> {result} [{}.{:03} ms]", self.name, self.args, us / 1000, us % 1000),
        );
    }
}

/// No argument formatting (the line shows the name and the result).
pub(crate) fn no_args() -> String {
    String::new()
}

/// Boundary for `BOOL` functions: TRUE with `ERROR_SUCCESS`, or FALSE with the error as last error.
pub(crate) fn bool_api<F: FnOnce() -> ApiResult<()>>(f: F) -> BOOL {
    bool_api_args(no_args, f)
}

/// [`bool_api`], with the arguments `args` formats for the `api` log.
pub(crate) fn bool_api_args<F: FnOnce() -> ApiResult<()>>(args: impl FnOnce() -> String, f: F) -> BOOL {
    let call = Call::begin::<F>(args);
    let r = guarded(f);
    let e = r.err().unwrap_or(ERROR_SUCCESS);
    error::set(e);
    if let Some(call) = call {
        let b = if e == ERROR_SUCCESS { "TRUE" } else { "FALSE" };
        call.end(format_args!("{b}, last error {}", log::error_name(e)));
    }
    BOOL::from(e == ERROR_SUCCESS)
}

/// Boundary for functions returning a handle: the handle with `ERROR_SUCCESS`, or NULL and the error.
pub(crate) fn handle_api<F: FnOnce() -> ApiResult<HINTERNET>>(f: F) -> HINTERNET {
    handle_api_args(no_args, f)
}

/// [`handle_api`], with the arguments `args` formats for the `api` log.
pub(crate) fn handle_api_args<F: FnOnce() -> ApiResult<HINTERNET>>(args: impl FnOnce() -> String, f: F) -> HINTERNET {
    let call = Call::begin::<F>(args);
    let (h, e) = match guarded(f) {
        Ok(h) => (h, ERROR_SUCCESS),
        Err(e) => (core::ptr::null_mut(), e),
    };
    error::set(e);
    if let Some(call) = call {
        call.end(format_args!("{}, last error {}", log::handle(h), log::error_name(e)));
    }
    h
}

/// Boundary for functions that return their error code directly and leave the last error alone.
pub(crate) fn dword_api<F: FnOnce() -> ApiResult<()>>(f: F) -> DWORD {
    let call = Call::begin::<F>(no_args);
    let e = guarded(f).err().unwrap_or(ERROR_SUCCESS);
    if let Some(call) = call {
        call.end(format_args!("{}", log::error_name(e)));
    }
    e
}

/// Fails with `ERROR_INVALID_PARAMETER` when `cond` holds.
#[inline]
pub(crate) fn check(cond: bool) -> ApiResult<()> {
    if cond { Err(ERROR_INVALID_PARAMETER) } else { Ok(()) }
}

/// A size (in characters or bytes, plus `extra`, e.g. 1 for a terminator) as the DWORD the API
/// reports: `ERROR_NOT_ENOUGH_MEMORY` when it does not fit, never a wrapped value.
#[inline]
pub(crate) fn dword_size(n: usize, extra: usize) -> ApiResult<DWORD> {
    n.checked_add(extra).and_then(|n| DWORD::try_from(n).ok()).ok_or(ERROR_NOT_ENOUGH_MEMORY)
}

/// Length of a NUL-terminated wide string (of either width).
///
/// # Safety
/// `p` must be non-null and point at a NUL-terminated string.
pub(crate) unsafe fn wcs_len<C: CodeUnit>(p: *const C) -> usize {
    let mut n = 0;
    // SAFETY: the caller promises a terminator, so every unit up to it is readable.
    while unsafe { p.add(n).read_unaligned() }.to_u32() != 0 {
        n += 1;
    }
    n
}

/// A NUL-terminated wide string as a slice (without the terminator); `None` for NULL.
///
/// # Safety
/// `p` is NULL or points at a NUL-terminated string that outlives the returned slice.
pub(crate) unsafe fn wcs<'a, C: CodeUnit>(p: *const C) -> Option<&'a [C]> {
    if p.is_null() {
        return None;
    }
    // SAFETY: as promised by the caller.
    Some(unsafe { core::slice::from_raw_parts(p, wcs_len(p)) })
}

/// A wide string given with a length, where `(DWORD)-1` means NUL-terminated.
///
/// # Safety
/// `p` is non-null and holds `len` units, or a terminator when `len` is `(DWORD)-1`.
pub(crate) unsafe fn wcs_n<'a, C: CodeUnit>(p: *const C, len: DWORD) -> &'a [C] {
    if len == DWORD::MAX {
        // SAFETY: NUL-terminated by contract.
        unsafe { core::slice::from_raw_parts(p, wcs_len(p)) }
    } else {
        // SAFETY: `len` readable units by contract.
        unsafe { core::slice::from_raw_parts(p, len as usize) }
    }
}

/// A NUL-terminated wide string decoded to a `String`; `None` for NULL.
///
/// # Safety
/// As for [`wcs`].
pub(crate) unsafe fn wstring<C: CodeUnit>(p: *const C) -> Option<String> {
    unsafe { wcs(p) }.map(crate::proto::wide::decode)
}

/// Writes `v` through `p` when `p` is not NULL.
///
/// # Safety
/// `p` is NULL or valid for a write of `T`.
#[inline]
pub(crate) unsafe fn put<T>(p: *mut T, v: T) {
    if !p.is_null() {
        // SAFETY: as promised by the caller; unaligned in case the caller's buffer is.
        unsafe { p.write_unaligned(v) }
    }
}

/// Copies `units` and a terminator into a caller's buffer of `cap` units. Returns false (and
/// writes nothing) when it does not fit.
///
/// # Safety
/// `dst` is valid for `cap` units.
pub(crate) unsafe fn put_wcs<C: CodeUnit>(dst: *mut C, cap: usize, units: &[C]) -> bool {
    if dst.is_null() || units.len() >= cap {
        return false;
    }
    // SAFETY: `units.len() + 1 <= cap` units are writable.
    unsafe {
        core::ptr::copy_nonoverlapping(units.as_ptr(), dst, units.len());
        dst.add(units.len()).write_unaligned(C::from_u32(0));
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_never_wrap() {
        assert_eq!(dword_size(0, 1), Ok(1));
        assert_eq!(dword_size(DWORD::MAX as usize - 1, 1), Ok(DWORD::MAX));
        assert_eq!(dword_size(DWORD::MAX as usize, 1), Err(ERROR_NOT_ENOUGH_MEMORY));
        assert_eq!(dword_size(usize::MAX, 1), Err(ERROR_NOT_ENOUGH_MEMORY));
    }

    fn name_of<F>(_: &F) -> String {
        export_name::<F>()
    }

    #[allow(non_snake_case)]
    fn WinHttpProbe() -> String {
        name_of(&|| ())
    }

    #[allow(non_snake_case, clippy::extra_unused_type_parameters)]
    fn WinHttpProbe_of<C: CodeUnit>() -> String {
        name_of(&|| ())
    }

    #[test]
    fn the_api_log_names_the_export_from_its_body() {
        assert_eq!(WinHttpProbe(), "WinHttpProbe");
        assert_eq!(WinHttpProbe_of::<WCHAR>(), "WinHttpProbe");
        assert_eq!(WinHttpProbe_of::<u16>(), "WinHttpProbe_u16");
    }
}
