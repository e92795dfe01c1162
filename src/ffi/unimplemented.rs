//! Exports that have no implementation yet and no family file of their own: generic protocol
//! upgrades. Each fails with `ERROR_CALL_NOT_IMPLEMENTED` (returned, or set as the last error).

use super::{dword_api, handle_api};
use crate::abi::*;

/// Turns a request upgraded to another protocol into a raw protocol handle.
/// Not implemented yet: fails with ERROR_CALL_NOT_IMPLEMENTED.
#[allow(unused_variables)]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpProtocolCompleteUpgrade(hRequest: HINTERNET, dwContext: DWORD_PTR) -> HINTERNET {
    handle_api(|| Err(ERROR_CALL_NOT_IMPLEMENTED))
}

/// Sends bytes on an upgraded protocol handle.
/// Not implemented yet: fails with ERROR_CALL_NOT_IMPLEMENTED.
#[allow(unused_variables)]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpProtocolSend(
    ProtocolHandle: HINTERNET,
    Flags: ULONGLONG,
    pvBuffer: PVOID,
    dwBufferLength: DWORD,
) -> DWORD {
    dword_api(|| Err(ERROR_CALL_NOT_IMPLEMENTED))
}

/// Receives bytes from an upgraded protocol handle.
/// Not implemented yet: fails with ERROR_CALL_NOT_IMPLEMENTED.
#[allow(unused_variables)]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpProtocolReceive(
    ProtocolHandle: HINTERNET,
    Flags: ULONGLONG,
    pvBuffer: PVOID,
    dwBufferLength: DWORD,
    pdwBytesRead: *mut DWORD,
) -> DWORD {
    dword_api(|| Err(ERROR_CALL_NOT_IMPLEMENTED))
}
