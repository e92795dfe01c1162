//! Exports that have no implementation yet and no family file of their own: connection groups,
//! proxy-change notification and generic protocol upgrades. Each fails with `ERROR_CALL_NOT_IMPLEMENTED` (returned, or set as the last error).

use super::{dword_api, error, handle_api};
use crate::abi::*;

/// Lists the pooled connection groups, per host.
/// Not implemented yet: fails with ERROR_CALL_NOT_IMPLEMENTED.
#[allow(unused_variables)]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpQueryConnectionGroup(
    hInternet: HINTERNET,
    pGuidConnection: *const GUID,
    ullFlags: ULONGLONG,
    ppResult: *mut PWINHTTP_QUERY_CONNECTION_GROUP_RESULT,
) -> DWORD {
    dword_api(|| Err(ERROR_CALL_NOT_IMPLEMENTED))
}

/// Releases a result of `WinHttpQueryConnectionGroup`.
/// Not implemented yet: fails with ERROR_CALL_NOT_IMPLEMENTED.
#[allow(unused_variables)]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpFreeQueryConnectionGroupResult(pResult: *mut WINHTTP_QUERY_CONNECTION_GROUP_RESULT) {
    error::set(ERROR_CALL_NOT_IMPLEMENTED)
}

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
