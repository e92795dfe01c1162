//! The sans-IO WebSocket core (RFC 6455, client side) with WinHTTP's buffer semantics.
//!
//! Nothing here touches a socket, a handle, a clock or the last error: the engine feeds bytes in and
//! writes the bytes it is given. Randomness comes from the caller (the 16 key bytes of
//! [`handshake::Key::from_random`] and a 4-byte masking key per frame), so tests and fuzzing are
//! deterministic and the engine picks the random source (`ring::rand::SystemRandom`).
//!
//! - [`handshake`]: the upgrade request headers, and the check of the server's 101 (status, `Upgrade`,
//!   `Connection`, `Sec-WebSocket-Accept`, no extension and no subprotocol we did not offer).
//! - [`Sender`]: the client frame writer. A `WinHttpWebSocketSend` buffer type becomes one masked frame;
//!   FRAGMENT types continue a message that a MESSAGE type ends, and a message cannot change type midway.
//!   Close frames (status + reason) are checked here too.
//! - [`Receiver`]: the frame reader, a streaming state machine. It delivers a message into the caller's
//!   buffer in pieces (FRAGMENT types, then a MESSAGE type for the piece that ends it), validates the
//!   UTF-8 of text messages across frame and buffer boundaries, takes control frames between fragments
//!   (a ping leaves a pong to send, a close is reported on its own), and refuses protocol errors with the
//!   close code to send.
//! - [`WebSocket`]: both halves plus the queue of bytes to send next (data frames, pongs, close frames),
//!   the shape the engine drives.
//!
//! Frame layout (RFC 6455 §5.2): byte 0 = FIN, RSV1-3, opcode; byte 1 = MASK, 7-bit length; then a 16-
//! or 64-bit length, then the 4-byte masking key when MASK is set, then the payload.

mod close;
mod conn;
mod frame;
pub mod handshake;
mod receive;
mod send;
mod utf8;

pub use close::{CloseStatus, MAX_CLOSE_REASON, can_send_code, is_valid_received_code, parse_close_payload};
pub use conn::WebSocket;
pub use frame::{FrameHeader, MAX_CONTROL_PAYLOAD, MAX_HEADER_LEN, Opcode, apply_mask};
pub use receive::{Eof, Event, ProtocolError, Read, Receiver};
pub use send::{SendError, Sender};
pub use utf8::Utf8Validator;

use crate::abi::{
    WINHTTP_WEB_SOCKET_BINARY_FRAGMENT_BUFFER_TYPE, WINHTTP_WEB_SOCKET_BINARY_MESSAGE_BUFFER_TYPE,
    WINHTTP_WEB_SOCKET_BUFFER_TYPE, WINHTTP_WEB_SOCKET_CLOSE_BUFFER_TYPE, WINHTTP_WEB_SOCKET_UTF8_FRAGMENT_BUFFER_TYPE,
    WINHTTP_WEB_SOCKET_UTF8_MESSAGE_BUFFER_TYPE,
};

/// `WINHTTP_WEB_SOCKET_BUFFER_TYPE`: what a send gives or a receive got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BufferType {
    /// The whole binary message, or its last piece.
    BinaryMessage,
    /// A piece of a binary message that goes on.
    BinaryFragment,
    /// The whole UTF-8 message, or its last piece.
    Utf8Message,
    /// A piece of a UTF-8 message that goes on.
    Utf8Fragment,
    /// A close frame (received; to send one use `close`).
    Close,
}

impl BufferType {
    /// The C value, or `None` for a value that is no buffer type.
    pub fn from_raw(raw: WINHTTP_WEB_SOCKET_BUFFER_TYPE) -> Option<BufferType> {
        Some(match raw {
            WINHTTP_WEB_SOCKET_BINARY_MESSAGE_BUFFER_TYPE => BufferType::BinaryMessage,
            WINHTTP_WEB_SOCKET_BINARY_FRAGMENT_BUFFER_TYPE => BufferType::BinaryFragment,
            WINHTTP_WEB_SOCKET_UTF8_MESSAGE_BUFFER_TYPE => BufferType::Utf8Message,
            WINHTTP_WEB_SOCKET_UTF8_FRAGMENT_BUFFER_TYPE => BufferType::Utf8Fragment,
            WINHTTP_WEB_SOCKET_CLOSE_BUFFER_TYPE => BufferType::Close,
            _ => return None,
        })
    }

    /// The C value.
    pub fn raw(self) -> WINHTTP_WEB_SOCKET_BUFFER_TYPE {
        match self {
            BufferType::BinaryMessage => WINHTTP_WEB_SOCKET_BINARY_MESSAGE_BUFFER_TYPE,
            BufferType::BinaryFragment => WINHTTP_WEB_SOCKET_BINARY_FRAGMENT_BUFFER_TYPE,
            BufferType::Utf8Message => WINHTTP_WEB_SOCKET_UTF8_MESSAGE_BUFFER_TYPE,
            BufferType::Utf8Fragment => WINHTTP_WEB_SOCKET_UTF8_FRAGMENT_BUFFER_TYPE,
            BufferType::Close => WINHTTP_WEB_SOCKET_CLOSE_BUFFER_TYPE,
        }
    }

    /// The buffer type of a piece of a message of `kind`: the MESSAGE type for the piece that ends it.
    pub fn piece(kind: MessageKind, last: bool) -> BufferType {
        match (kind, last) {
            (MessageKind::Binary, true) => BufferType::BinaryMessage,
            (MessageKind::Binary, false) => BufferType::BinaryFragment,
            (MessageKind::Text, true) => BufferType::Utf8Message,
            (MessageKind::Text, false) => BufferType::Utf8Fragment,
        }
    }

    /// The kind of message a data buffer type belongs to (`None` for `Close`).
    pub fn kind(self) -> Option<MessageKind> {
        match self {
            BufferType::BinaryMessage | BufferType::BinaryFragment => Some(MessageKind::Binary),
            BufferType::Utf8Message | BufferType::Utf8Fragment => Some(MessageKind::Text),
            BufferType::Close => None,
        }
    }

    /// Whether this piece ends its message (the MESSAGE types).
    pub fn is_last(self) -> bool {
        matches!(self, BufferType::BinaryMessage | BufferType::Utf8Message)
    }
}

/// Binary or text (UTF-8): the type a message keeps from its first frame to its last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageKind {
    Binary,
    Text,
}
