//! `WinHttpSetStatusCallback`.

use super::*;
use crate::engine::api::handles;
use crate::engine::api::registration;

/// `WINHTTP_INVALID_STATUS_CALLBACK`: `(WINHTTP_STATUS_CALLBACK)(-1)`.
fn invalid_callback() -> WINHTTP_STATUS_CALLBACK {
    // SAFETY: a non-null function pointer value that is never called, only compared by callers.
    Some(unsafe {
        core::mem::transmute::<usize, unsafe extern "C" fn(HINTERNET, DWORD_PTR, DWORD, LPVOID, DWORD)>(usize::MAX)
    })
}

/// Installs a status callback on a handle and returns the previous one; handles created under it
/// afterwards inherit it. On failure returns `WINHTTP_INVALID_STATUS_CALLBACK`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpSetStatusCallback(
    hInternet: HINTERNET,
    lpfnInternetCallback: WINHTTP_STATUS_CALLBACK,
    dwNotificationFlags: DWORD,
    dwReserved: DWORD_PTR,
) -> WINHTTP_STATUS_CALLBACK {
    // SAFETY: the caller's arguments, passed on.
    unsafe { WinHttpSetStatusCallback_of::<WCHAR>(hInternet, lpfnInternetCallback, dwNotificationFlags, dwReserved) }
}

/// [`WinHttpSetStatusCallback`] for a callback that takes strings in units of `C`: the
/// registration records the width, so the notifications that carry a string (`RESOLVING_NAME`,
/// `NAME_RESOLVED`, `CONNECTING_TO_SERVER`, `CONNECTED_TO_SERVER`, `REDIRECT`) encode it for this
/// callback, whatever width later calls on the handle use.
pub(crate) unsafe fn WinHttpSetStatusCallback_of<C: crate::proto::wide::CodeUnit>(
    hInternet: HINTERNET,
    lpfnInternetCallback: WINHTTP_STATUS_CALLBACK,
    dwNotificationFlags: DWORD,
    dwReserved: DWORD_PTR,
) -> WINHTTP_STATUS_CALLBACK {
    let _ = dwReserved;
    let mut previous = None;
    let args = || {
        let cb = lpfnInternetCallback.map_or(0, |f| f as usize);
        format!("{}, callback={cb:#x}, flags={dwNotificationFlags:#x}", log::handle(hInternet))
    };
    let ok = bool_api_args(args, || {
        let object = handles::get(hInternet)?;
        previous = object.core().callback.replace(registration(lpfnInternetCallback, dwNotificationFlags, C::UTF16));
        Ok(())
    });
    if ok != 0 { previous } else { invalid_callback() }
}
