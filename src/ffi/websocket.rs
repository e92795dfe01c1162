//! WebSocket: `WinHttpWebSocketCompleteUpgrade` and the send / receive / close calls on the
//! WebSocket handle it returns.
//!
//! Stubs for now: each fails with `ERROR_CALL_NOT_IMPLEMENTED`.

use super::{dword_api, handle_api};
use crate::abi::*;

/// Turns a request whose response switched protocols (101) into a WebSocket handle.
/// Not implemented yet: fails with ERROR_CALL_NOT_IMPLEMENTED.
#[allow(unused_variables)]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpWebSocketCompleteUpgrade(hRequest: HINTERNET, pContext: DWORD_PTR) -> HINTERNET {
    handle_api(|| Err(ERROR_CALL_NOT_IMPLEMENTED))
}

/// Sends a message or a fragment of one on a WebSocket.
/// Not implemented yet: fails with ERROR_CALL_NOT_IMPLEMENTED.
#[allow(unused_variables)]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpWebSocketSend(
    hWebSocket: HINTERNET,
    eBufferType: WINHTTP_WEB_SOCKET_BUFFER_TYPE,
    pvBuffer: PVOID,
    dwBufferLength: DWORD,
) -> DWORD {
    dword_api(|| Err(ERROR_CALL_NOT_IMPLEMENTED))
}

/// Receives the next message or fragment from a WebSocket and reports its kind.
/// Not implemented yet: fails with ERROR_CALL_NOT_IMPLEMENTED.
#[allow(unused_variables)]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpWebSocketReceive(
    hWebSocket: HINTERNET,
    pvBuffer: PVOID,
    dwBufferLength: DWORD,
    pdwBytesRead: *mut DWORD,
    peBufferType: *mut WINHTTP_WEB_SOCKET_BUFFER_TYPE,
) -> DWORD {
    dword_api(|| Err(ERROR_CALL_NOT_IMPLEMENTED))
}

/// Sends a close frame and stops sending, while receiving may continue.
/// Not implemented yet: fails with ERROR_CALL_NOT_IMPLEMENTED.
#[allow(unused_variables)]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpWebSocketShutdown(
    hWebSocket: HINTERNET,
    usStatus: USHORT,
    pvReason: PVOID,
    dwReasonLength: DWORD,
) -> DWORD {
    dword_api(|| Err(ERROR_CALL_NOT_IMPLEMENTED))
}

/// Closes a WebSocket: sends a close frame and waits for the peer's.
/// Not implemented yet: fails with ERROR_CALL_NOT_IMPLEMENTED.
#[allow(unused_variables)]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpWebSocketClose(
    hWebSocket: HINTERNET,
    usStatus: USHORT,
    pvReason: PVOID,
    dwReasonLength: DWORD,
) -> DWORD {
    dword_api(|| Err(ERROR_CALL_NOT_IMPLEMENTED))
}

/// Reports the close code and reason the peer sent.
/// Not implemented yet: fails with ERROR_CALL_NOT_IMPLEMENTED.
#[allow(unused_variables)]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpWebSocketQueryCloseStatus(
    hWebSocket: HINTERNET,
    pusStatus: *mut USHORT,
    pvReason: PVOID,
    dwReasonLength: DWORD,
    pdwReasonLengthConsumed: *mut DWORD,
) -> DWORD {
    dword_api(|| Err(ERROR_CALL_NOT_IMPLEMENTED))
}
