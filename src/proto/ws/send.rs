//! The client frame writer: one `WinHttpWebSocketSend` (or close, ping, pong) becomes one masked frame.

use super::close::close_payload;
use super::frame::{FrameHeader, MAX_CONTROL_PAYLOAD, Opcode, apply_mask};
use super::{BufferType, MessageKind};
use crate::abi::{DWORD, ERROR_INVALID_OPERATION, ERROR_INVALID_PARAMETER};

/// Why a send, close or control frame is refused. Nothing was written and the state did not change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendError {
    /// A message begun with FRAGMENT sends of one kind (binary, UTF-8) is continued with the other.
    TypeChange,
    /// `WINHTTP_WEB_SOCKET_CLOSE_BUFFER_TYPE` given to a data send (closing is `WinHttpWebSocketClose`).
    BadBufferType,
    /// A close reason longer than 123 bytes.
    ReasonTooLong,
    /// A close status that cannot be sent (see [`can_send_code`](super::can_send_code)).
    BadCloseStatus(u16),
    /// A ping or pong payload longer than 125 bytes.
    ControlTooLong,
    /// A close frame was sent already: nothing may follow it (RFC 6455 §5.5.1).
    Closed,
}

impl SendError {
    /// The Win32 error the API reports.
    pub fn code(self) -> DWORD {
        match self {
            SendError::Closed => ERROR_INVALID_OPERATION,
            _ => ERROR_INVALID_PARAMETER,
        }
    }
}

/// The sending half's state: which message is open, and whether our close frame is out.
#[derive(Debug, Clone, Default)]
pub struct Sender {
    /// The kind of the message begun with FRAGMENT sends and not ended yet.
    message: Option<MessageKind>,
    close_sent: bool,
}

impl Sender {
    pub fn new() -> Sender {
        Sender::default()
    }

    /// The header of the frame for a send of `len` bytes of type `ty`, masked with `mask`; the state
    /// moves on as if the frame were sent. The caller then writes the payload masked with
    /// [`apply_mask`]`(mask, offset, ..)` (in pieces if it likes). A FRAGMENT type gives a frame without
    /// FIN, a MESSAGE type ends the message; the first frame of a message carries its kind, the others
    /// are continuations.
    pub fn data_header(&mut self, ty: BufferType, len: u64, mask: [u8; 4]) -> Result<FrameHeader, SendError> {
        if self.close_sent {
            return Err(SendError::Closed);
        }
        let kind = ty.kind().ok_or(SendError::BadBufferType)?;
        let opcode = match self.message {
            Some(open) if open != kind => return Err(SendError::TypeChange),
            Some(_) => Opcode::Continuation,
            None if kind == MessageKind::Text => Opcode::Text,
            None => Opcode::Binary,
        };
        let fin = ty.is_last();
        self.message = if fin { None } else { Some(kind) };
        Ok(FrameHeader { fin, opcode, mask: Some(mask), len })
    }

    /// Appends the whole frame for a send of `data` of type `ty` to `out`.
    pub fn write_data(
        &mut self,
        ty: BufferType,
        data: &[u8],
        mask: [u8; 4],
        out: &mut Vec<u8>,
    ) -> Result<(), SendError> {
        let header = self.data_header(ty, data.len() as u64, mask)?;
        write_frame(header, data, out);
        Ok(())
    }

    /// Appends a close frame with `code` and `reason` (`WinHttpWebSocketClose`/`Shutdown`). Allowed in the
    /// middle of a fragmented message; nothing may be sent after it.
    pub fn write_close(&mut self, code: u16, reason: &[u8], mask: [u8; 4], out: &mut Vec<u8>) -> Result<(), SendError> {
        if self.close_sent {
            return Err(SendError::Closed);
        }
        let payload = close_payload(code, reason)?;
        self.close_sent = true;
        let header = FrameHeader { fin: true, opcode: Opcode::Close, mask: Some(mask), len: payload.len() as u64 };
        write_frame(header, &payload, out);
        Ok(())
    }

    /// Appends a ping (keep-alive) or a pong (the answer to a ping) with `payload`.
    pub fn write_control(
        &mut self,
        opcode: Opcode,
        payload: &[u8],
        mask: [u8; 4],
        out: &mut Vec<u8>,
    ) -> Result<(), SendError> {
        debug_assert!(matches!(opcode, Opcode::Ping | Opcode::Pong));
        if self.close_sent {
            return Err(SendError::Closed);
        }
        if payload.len() > MAX_CONTROL_PAYLOAD {
            return Err(SendError::ControlTooLong);
        }
        write_frame(FrameHeader { fin: true, opcode, mask: Some(mask), len: payload.len() as u64 }, payload, out);
        Ok(())
    }

    /// Whether our close frame has been written.
    pub fn close_sent(&self) -> bool {
        self.close_sent
    }

    /// The kind of the message begun with FRAGMENT sends, if one is open.
    pub fn open_message(&self) -> Option<MessageKind> {
        self.message
    }
}

fn write_frame(header: FrameHeader, payload: &[u8], out: &mut Vec<u8>) {
    header.write(out);
    let start = out.len();
    out.extend_from_slice(payload);
    if let Some(key) = header.mask {
        apply_mask(key, 0, &mut out[start..]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

    fn unmask(frame: &[u8], header_len: usize) -> Vec<u8> {
        let key: [u8; 4] = frame[header_len - 4..header_len].try_into().unwrap();
        let mut p = frame[header_len..].to_vec();
        apply_mask(key, 0, &mut p);
        p
    }

    #[test]
    fn a_message_is_one_masked_frame() {
        let mut s = Sender::new();
        let mut out = Vec::new();
        s.write_data(BufferType::Utf8Message, b"Hello", KEY, &mut out).unwrap();
        // RFC 6455 §5.7's masked "Hello".
        assert_eq!(out, [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]);
        out.clear();
        s.write_data(BufferType::BinaryMessage, &[7; 256], KEY, &mut out).unwrap();
        assert_eq!(&out[..4], [0x82, 0xfe, 0x01, 0x00]);
        assert_eq!(unmask(&out, 8), [7; 256]);
    }

    #[test]
    fn zero_byte_messages() {
        let mut s = Sender::new();
        let mut out = Vec::new();
        s.write_data(BufferType::BinaryMessage, b"", KEY, &mut out).unwrap();
        assert_eq!(out, [0x82, 0x80, 0x37, 0xfa, 0x21, 0x3d]);
        out.clear();
        s.write_data(BufferType::Utf8Message, b"", KEY, &mut out).unwrap();
        assert_eq!(out[..2], [0x81, 0x80]);
    }

    #[test]
    fn fragments_continue_and_a_message_type_ends() {
        let mut s = Sender::new();
        let mut out = Vec::new();
        s.write_data(BufferType::BinaryFragment, b"ab", KEY, &mut out).unwrap();
        assert_eq!(out[0], 0x02, "first frame: binary, no FIN");
        assert_eq!(s.open_message(), Some(MessageKind::Binary));
        out.clear();
        s.write_data(BufferType::BinaryFragment, b"cd", KEY, &mut out).unwrap();
        assert_eq!(out[0], 0x00, "continuation, no FIN");
        // A ping between fragments is fine.
        out.clear();
        s.write_control(Opcode::Ping, b"p", KEY, &mut out).unwrap();
        assert_eq!(out[0], 0x89);
        out.clear();
        s.write_data(BufferType::BinaryMessage, b"ef", KEY, &mut out).unwrap();
        assert_eq!(out[0], 0x80, "continuation with FIN");
        assert_eq!(s.open_message(), None);
        out.clear();
        s.write_data(BufferType::Utf8Fragment, b"x", KEY, &mut out).unwrap();
        assert_eq!(out[0], 0x01, "a new text message");
    }

    #[test]
    fn a_message_cannot_change_type_midway() {
        let mut s = Sender::new();
        let mut out = Vec::new();
        s.write_data(BufferType::BinaryFragment, b"ab", KEY, &mut out).unwrap();
        let before = out.len();
        assert_eq!(s.write_data(BufferType::Utf8Fragment, b"x", KEY, &mut out), Err(SendError::TypeChange));
        assert_eq!(s.write_data(BufferType::Utf8Message, b"x", KEY, &mut out), Err(SendError::TypeChange));
        assert_eq!(SendError::TypeChange.code(), ERROR_INVALID_PARAMETER);
        assert_eq!(out.len(), before, "nothing written");
        assert_eq!(s.open_message(), Some(MessageKind::Binary), "the message is still open");
        s.write_data(BufferType::BinaryMessage, b"", KEY, &mut out).unwrap();
        let mut s = Sender::new();
        s.write_data(BufferType::Utf8Fragment, b"x", KEY, &mut out).unwrap();
        assert_eq!(s.write_data(BufferType::BinaryMessage, b"x", KEY, &mut out), Err(SendError::TypeChange));
    }

    #[test]
    fn close_frames() {
        let mut s = Sender::new();
        let mut out = Vec::new();
        assert_eq!(s.write_data(BufferType::Close, b"", KEY, &mut out), Err(SendError::BadBufferType));
        assert_eq!(s.write_close(1000, &[b'a'; 124], KEY, &mut out), Err(SendError::ReasonTooLong));
        assert_eq!(s.write_close(1006, b"", KEY, &mut out), Err(SendError::BadCloseStatus(1006)));
        assert!(out.is_empty() && !s.close_sent());
        s.write_close(1000, b"success", KEY, &mut out).unwrap();
        assert_eq!(out[..2], [0x88, 0x80 | 9]);
        assert_eq!(unmask(&out, 6), b"\x03\xe8success");
        assert!(s.close_sent());
        // Nothing after a close: ERROR_INVALID_OPERATION.
        assert_eq!(s.write_close(1000, b"", KEY, &mut out), Err(SendError::Closed));
        assert_eq!(s.write_data(BufferType::BinaryMessage, b"x", KEY, &mut out), Err(SendError::Closed));
        assert_eq!(s.write_control(Opcode::Pong, b"", KEY, &mut out), Err(SendError::Closed));
        assert_eq!(SendError::Closed.code(), ERROR_INVALID_OPERATION);
        let mut s = Sender::new();
        out.clear();
        s.write_close(1005, b"", KEY, &mut out).unwrap();
        assert_eq!(out, [0x88, 0x80, 0x37, 0xfa, 0x21, 0x3d], "no status: an empty close frame");
    }

    #[test]
    fn control_payloads_are_capped() {
        let mut s = Sender::new();
        let mut out = Vec::new();
        assert_eq!(s.write_control(Opcode::Ping, &[0; 126], KEY, &mut out), Err(SendError::ControlTooLong));
        s.write_control(Opcode::Pong, &[0; 125], KEY, &mut out).unwrap();
        assert_eq!(out.len(), 2 + 4 + 125);
    }

    #[test]
    fn a_streamed_payload_equals_a_whole_one() {
        let data: Vec<u8> = (0..70_000u32).map(|i| i as u8).collect();
        let mut whole = Vec::new();
        Sender::new().write_data(BufferType::BinaryMessage, &data, KEY, &mut whole).unwrap();
        let mut streamed = Vec::new();
        Sender::new().data_header(BufferType::BinaryMessage, data.len() as u64, KEY).unwrap().write(&mut streamed);
        assert_eq!(streamed.len(), 14);
        for (i, piece) in data.chunks(1000).enumerate() {
            let mut p = piece.to_vec();
            apply_mask(KEY, i as u64 * 1000, &mut p);
            streamed.extend_from_slice(&p);
        }
        assert_eq!(streamed, whole);
    }
}
