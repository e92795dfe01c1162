//! The thread-local last error: `GetLastError` / `SetLastError`, and `WinHttp`-prefixed aliases
//! for programs that bring their own (they define `WINHTTP_NO_LAST_ERROR` before including
//! `winhttp.h` and call the aliases).

use crate::abi::DWORD;
use core::cell::Cell;

thread_local! {
    static LAST_ERROR: Cell<DWORD> = const { Cell::new(0) };
}

/// Sets the calling thread's last error.
pub fn set(code: DWORD) {
    LAST_ERROR.with(|c| c.set(code));
}

/// The calling thread's last error.
pub fn get() -> DWORD {
    LAST_ERROR.with(|c| c.get())
}

/// Returns the calling thread's last error code.
#[cfg(not(winhttp_no_last_error))]
#[unsafe(no_mangle)]
pub extern "C" fn GetLastError() -> DWORD {
    get()
}

/// Sets the calling thread's last error code.
#[cfg(not(winhttp_no_last_error))]
#[unsafe(no_mangle)]
pub extern "C" fn SetLastError(dwErrCode: DWORD) {
    set(dwErrCode)
}

/// `GetLastError` under a name that cannot clash with a program's own.
#[unsafe(no_mangle)]
pub extern "C" fn WinHttpGetLastError() -> DWORD {
    get()
}

/// `SetLastError` under a name that cannot clash with a program's own.
#[unsafe(no_mangle)]
pub extern "C" fn WinHttpSetLastError(dwErrCode: DWORD) {
    set(dwErrCode)
}
