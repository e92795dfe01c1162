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
    let _ = dwReserved;
    let mut previous = None;
    let args = || {
        let cb = lpfnInternetCallback.map_or(0, |f| f as usize);
        format!("{}, callback={cb:#x}, flags={dwNotificationFlags:#x}", log::handle(hInternet))
    };
    let ok = bool_api_args(args, || {
        let object = handles::get(hInternet)?;
        previous = object.core().callback.replace(registration(lpfnInternetCallback, dwNotificationFlags));
        Ok(())
    });
    if ok != 0 { previous } else { invalid_callback() }
}
