//! Close frame payloads (RFC 6455 §5.5.1, §7.4): a 2-byte status code and an optional UTF-8 reason.

use super::receive::ProtocolError;
use super::send::SendError;

/// `WINHTTP_WEB_SOCKET_MAX_CLOSE_REASON_LENGTH`: 125 bytes of control payload less the 2-byte code.
pub const MAX_CLOSE_REASON: usize = 123;

/// `WINHTTP_WEB_SOCKET_EMPTY_CLOSE_STATUS`: what a close frame without a payload reports.
pub const EMPTY_CLOSE_STATUS: u16 = 1005;

/// What a close frame said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseStatus {
    /// The status code; 1005 (`EMPTY_CLOSE_STATUS`) when the frame had no payload.
    pub code: u16,
    /// The reason, valid UTF-8, at most 123 bytes.
    pub reason: Vec<u8>,
}

/// A status code a peer may put in a close frame: the codes RFC 6455 defines for use on the wire
/// (1000-1003, 1007-1011) and those registered since (1012-1014), and the ranges for libraries
/// (3000-3999) and applications (4000-4999). 1004 is reserved; 1005, 1006 and 1015 only ever stand
/// for "none", "aborted" and "TLS failed" locally and must not be sent.
pub fn is_valid_received_code(code: u16) -> bool {
    matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999)
}

/// A status code the client may give `WinHttpWebSocketClose`/`Shutdown`: the codes valid on the wire,
/// and 1005 (`EMPTY_CLOSE_STATUS`), which sends a close frame without a payload.
pub fn can_send_code(code: u16) -> bool {
    code == EMPTY_CLOSE_STATUS || is_valid_received_code(code)
}

/// Reads a received close frame's payload.
pub fn parse_close_payload(payload: &[u8]) -> Result<CloseStatus, ProtocolError> {
    match payload {
        [] => Ok(CloseStatus { code: EMPTY_CLOSE_STATUS, reason: Vec::new() }),
        [_] => Err(ProtocolError::BadClosePayload),
        [hi, lo, reason @ ..] => {
            let code = u16::from_be_bytes([*hi, *lo]);
            if !is_valid_received_code(code) {
                return Err(ProtocolError::BadCloseCode(code));
            }
            if std::str::from_utf8(reason).is_err() {
                return Err(ProtocolError::InvalidUtf8);
            }
            Ok(CloseStatus { code, reason: reason.to_vec() })
        }
    }
}

/// The payload of a close frame to send, after the checks `WinHttpWebSocketClose` makes.
pub(crate) fn close_payload(code: u16, reason: &[u8]) -> Result<Vec<u8>, SendError> {
    if reason.len() > MAX_CLOSE_REASON {
        return Err(SendError::ReasonTooLong);
    }
    if !can_send_code(code) {
        return Err(SendError::BadCloseStatus(code));
    }
    if code == EMPTY_CLOSE_STATUS {
        // No status means no payload at all, so no room for a reason.
        return if reason.is_empty() { Ok(Vec::new()) } else { Err(SendError::BadCloseStatus(code)) };
    }
    let mut payload = Vec::with_capacity(2 + reason.len());
    payload.extend_from_slice(&code.to_be_bytes());
    payload.extend_from_slice(reason);
    Ok(payload)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn received_payloads() {
        assert_eq!(parse_close_payload(b""), Ok(CloseStatus { code: 1005, reason: vec![] }));
        assert_eq!(parse_close_payload(b"\x03\xe8"), Ok(CloseStatus { code: 1000, reason: vec![] }));
        assert_eq!(parse_close_payload(b"\x03\xe9bye"), Ok(CloseStatus { code: 1001, reason: b"bye".to_vec() }));
        assert_eq!(parse_close_payload(b"\x0f\xa0\xc3\xa9"), Ok(CloseStatus { code: 4000, reason: "é".into() }));
        assert_eq!(parse_close_payload(b"\x03"), Err(ProtocolError::BadClosePayload));
        assert_eq!(parse_close_payload(b"\x03\xe8\xc3"), Err(ProtocolError::InvalidUtf8));
        for code in [0u16, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535] {
            let p = code.to_be_bytes();
            assert_eq!(parse_close_payload(&p), Err(ProtocolError::BadCloseCode(code)), "{code}");
        }
        for code in [1000u16, 1003, 1007, 1011, 1014, 3000, 4999] {
            assert_eq!(parse_close_payload(&code.to_be_bytes()).map(|s| s.code), Ok(code));
        }
    }

    #[test]
    fn payloads_to_send() {
        assert_eq!(close_payload(1000, b"success"), Ok(b"\x03\xe8success".to_vec()));
        assert_eq!(close_payload(1005, b""), Ok(vec![]));
        assert_eq!(close_payload(1005, b"x"), Err(SendError::BadCloseStatus(1005)));
        assert_eq!(close_payload(1006, b""), Err(SendError::BadCloseStatus(1006)));
        assert_eq!(close_payload(1015, b""), Err(SendError::BadCloseStatus(1015)));
        assert_eq!(close_payload(999, b""), Err(SendError::BadCloseStatus(999)));
        assert_eq!(close_payload(1000, &[b'a'; 123]).map(|p| p.len()), Ok(125));
        assert_eq!(close_payload(1000, &[b'a'; 124]), Err(SendError::ReasonTooLong));
    }
}
