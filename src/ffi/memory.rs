//! Memory the library hands to the caller: strings in `WINHTTP_PROXY_INFO` and
//! `WINHTTP_CURRENT_USER_IE_PROXY_CONFIG`, which Windows callers release with `GlobalFree` (and
//! certificate strings with `LocalFree`). Both are exported, declared in the header (unless
//! `WINHTTP_NO_WIN32_TYPES`), and free what the library allocated; `WinHttpGlobalFree` is the same
//! under a name that cannot clash with a program's own.

use crate::abi::*;
use crate::proto::wide::CodeUnit;

/// Allocates a NUL-terminated wide copy of `s` that the caller frees with `GlobalFree`.
/// The string is in units of `C` (UTF-16 for the `_u16` twins); the allocator is the same for both.
pub(crate) fn alloc_wstr<C: CodeUnit>(s: &str) -> Result<*mut C, DWORD> {
    let units: Vec<C> = crate::proto::wide::encode(s);
    let bytes = (units.len() + 1) * C::BYTES;
    // SAFETY: plain allocation; checked for NULL below.
    let p = unsafe { libc::malloc(bytes) }.cast::<C>();
    if p.is_null() {
        return Err(ERROR_NOT_ENOUGH_MEMORY);
    }
    // SAFETY: `p` holds `units.len() + 1` units.
    unsafe {
        core::ptr::copy_nonoverlapping(units.as_ptr(), p, units.len());
        p.add(units.len()).write(C::from_u32(0));
    }
    Ok(p)
}

/// `alloc_wstr` for an optional string (NULL for `None`).
pub(crate) fn alloc_opt_wstr<C: CodeUnit>(s: Option<&str>) -> Result<*mut C, DWORD> {
    s.map_or(Ok(core::ptr::null_mut()), alloc_wstr)
}

/// Frees memory the library returned (NULL is fine). Returns NULL, as `GlobalFree` does on success.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpGlobalFree(hMem: LPVOID) -> LPVOID {
    // SAFETY: memory from `alloc_wstr` (malloc), or NULL, by the API's contract.
    unsafe { libc::free(hMem) };
    core::ptr::null_mut()
}

/// Frees memory the library returned in proxy structures (Windows' `GlobalFree`).
#[cfg(not(winhttp_no_win32_types))]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn GlobalFree(hMem: HGLOBAL) -> HGLOBAL {
    // SAFETY: as for WinHttpGlobalFree.
    unsafe { WinHttpGlobalFree(hMem) }
}

/// Frees memory the library returned in certificate structures (Windows' `LocalFree`).
#[cfg(not(winhttp_no_win32_types))]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn LocalFree(hMem: HLOCAL) -> HLOCAL {
    // SAFETY: as for WinHttpGlobalFree.
    unsafe { WinHttpGlobalFree(hMem) }
}
