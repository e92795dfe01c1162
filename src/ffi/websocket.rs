//! WebSocket: `WinHttpWebSocketCompleteUpgrade` and the send / receive / shutdown / close calls on the
//! WebSocket handle it returns. Argument checks here; the protocol is `proto::ws`, the I/O
//! `engine::ops::websocket`. These functions return their error code (the last error is left alone),
//! except `CompleteUpgrade`, which returns a handle and sets the last error.

use super::{dword_api, handle_api};
use crate::abi::*;
use crate::engine::api::{BufferType, MAX_CLOSE_REASON, Object, handles, ws};
use std::sync::Arc;

/// Turns a request whose response switched protocols (101) into a WebSocket handle that owns the
/// connection. The handle starts with the request's callback and the context value given here.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpWebSocketCompleteUpgrade(hRequest: HINTERNET, pContext: DWORD_PTR) -> HINTERNET {
    handle_api(|| {
        let request = handles::request(hRequest)?;
        let socket = Arc::new(ws::complete_upgrade(&request, pContext)?);
        let h = handles::open(Object::WebSocket(socket.clone()))?;
        super::session::notify_created(&socket.core, h);
        // Keep-alive pings from the start, every `WEB_SOCKET_KEEPALIVE_INTERVAL` (the session's
        // value, 30 s by default, as Windows documents it).
        if socket.settings().keepalive > 0 {
            ws::start_keepalive(&socket);
        }
        Ok(h)
    })
}

/// Sends a message or a fragment of one on a WebSocket.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpWebSocketSend(
    hWebSocket: HINTERNET,
    eBufferType: WINHTTP_WEB_SOCKET_BUFFER_TYPE,
    pvBuffer: PVOID,
    dwBufferLength: DWORD,
) -> DWORD {
    dword_api(|| {
        let socket = handles::websocket(hWebSocket)?;
        let ty = BufferType::from_raw(eBufferType).ok_or(ERROR_INVALID_PARAMETER)?;
        if pvBuffer.is_null() && dwBufferLength > 0 {
            return Err(ERROR_INVALID_PARAMETER);
        }
        // SAFETY: `dwBufferLength` readable bytes (copied into the frame before this returns).
        unsafe { ws::send(&socket, ty, pvBuffer.cast(), dwBufferLength as usize) }?;
        Ok(())
    })
}

/// Receives the next message or fragment from a WebSocket and reports its kind. In the async mode
/// the size and type come in `READ_COMPLETE` (a `WINHTTP_WEB_SOCKET_STATUS`), not in the out
/// parameters.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpWebSocketReceive(
    hWebSocket: HINTERNET,
    pvBuffer: PVOID,
    dwBufferLength: DWORD,
    pdwBytesRead: *mut DWORD,
    peBufferType: *mut WINHTTP_WEB_SOCKET_BUFFER_TYPE,
) -> DWORD {
    dword_api(|| {
        let socket = handles::websocket(hWebSocket)?;
        if pvBuffer.is_null() || dwBufferLength == 0 {
            return Err(ERROR_INVALID_PARAMETER);
        }
        if !socket.is_async && (pdwBytesRead.is_null() || peBufferType.is_null()) {
            return Err(ERROR_INVALID_PARAMETER);
        }
        if let ws::Started::Done(ws::Done::Read(n, ty)) =
            ws::receive(&socket, pvBuffer.cast(), dwBufferLength as usize)?
        {
            // SAFETY: checked non-NULL above (sync mode); valid by the API's contract.
            unsafe {
                *pdwBytesRead = n;
                *peBufferType = ty.raw();
            }
        }
        Ok(())
    })
}

/// The close reason as bytes (NULL with a length is refused; at most 123 bytes).
///
/// # Safety
/// `p` is NULL or valid for `len` bytes.
unsafe fn reason<'a>(p: PVOID, len: DWORD) -> Result<&'a [u8], DWORD> {
    if len as usize > MAX_CLOSE_REASON || (p.is_null() && len > 0) {
        return Err(ERROR_INVALID_PARAMETER);
    }
    // SAFETY: as promised by the caller.
    Ok(if len == 0 { &[] } else { unsafe { core::slice::from_raw_parts(p.cast::<u8>(), len as usize) } })
}

/// Sends a close frame and stops sending, while receiving may continue.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpWebSocketShutdown(
    hWebSocket: HINTERNET,
    usStatus: USHORT,
    pvReason: PVOID,
    dwReasonLength: DWORD,
) -> DWORD {
    dword_api(|| {
        let socket = handles::websocket(hWebSocket)?;
        // SAFETY: the caller's reason buffer.
        let reason = unsafe { reason(pvReason, dwReasonLength) }?;
        ws::shutdown(&socket, usStatus, reason)?;
        Ok(())
    })
}

/// Closes a WebSocket: sends a close frame (unless `Shutdown` did) and waits for the server's.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpWebSocketClose(
    hWebSocket: HINTERNET,
    usStatus: USHORT,
    pvReason: PVOID,
    dwReasonLength: DWORD,
) -> DWORD {
    dword_api(|| {
        let socket = handles::websocket(hWebSocket)?;
        // SAFETY: the caller's reason buffer.
        let reason = unsafe { reason(pvReason, dwReasonLength) }?;
        ws::close(&socket, usStatus, reason)?;
        Ok(())
    })
}

/// Reports the close status and reason the server sent. Before a close frame arrived it fails with
/// `ERROR_INVALID_OPERATION` and writes nothing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WinHttpWebSocketQueryCloseStatus(
    hWebSocket: HINTERNET,
    pusStatus: *mut USHORT,
    pvReason: PVOID,
    dwReasonLength: DWORD,
    pdwReasonLengthConsumed: *mut DWORD,
) -> DWORD {
    dword_api(|| {
        let socket = handles::websocket(hWebSocket)?;
        if pusStatus.is_null() || pdwReasonLengthConsumed.is_null() || (pvReason.is_null() && dwReasonLength > 0) {
            return Err(ERROR_INVALID_PARAMETER);
        }
        let (status, text) = ws::close_status(&socket).ok_or(ERROR_INVALID_OPERATION)?;
        // SAFETY: checked non-NULL; the reason buffer holds `dwReasonLength` bytes.
        unsafe {
            *pusStatus = status;
            *pdwReasonLengthConsumed = text.len() as DWORD;
            if text.len() > dwReasonLength as usize {
                return Err(ERROR_INSUFFICIENT_BUFFER);
            }
            if !text.is_empty() {
                core::ptr::copy_nonoverlapping(text.as_ptr(), pvReason.cast::<u8>(), text.len());
            }
        }
        Ok(())
    })
}
