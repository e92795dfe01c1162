//! The frame reader: a streaming state machine from wire bytes to pieces of messages in the caller's
//! buffer, with `WinHttpWebSocketReceive`'s semantics.
//!
//! [`Receiver::read`] takes the bytes that have arrived and the caller's buffer and stops at the first
//! of these:
//! - the buffer is full: [`Event::Data`] with a FRAGMENT type, or the MESSAGE type if the last byte of
//!   the message is the last byte of the buffer;
//! - the message ends: [`Event::Data`] with the MESSAGE type (a 0-byte message gives 0 bytes);
//! - a close frame arrived: [`Event::Close`]. A close is reported by a read of its own: when it follows
//!   data of an unfinished message in the same read, that read gives the data as a FRAGMENT and the next
//!   read gives the close, consuming nothing;
//! - the input ran out: no event. `written` may be more than 0 (bytes of a message that goes on): the
//!   engine either completes the receive with them as [`Receiver::partial_type`] (Windows returns what
//!   has arrived) or reads more and calls `read` again with the rest of the buffer.
//!
//! A message's frames are joined in the buffer: a piece may hold the end of one frame and the start of
//! the next. Control frames between fragments are taken on the way: a ping leaves a pong to send
//! ([`Receiver::take_pong`]; only the latest ping is answered, as RFC 6455 §5.5.3 allows), a pong is
//! counted. Text is checked as UTF-8 across frames and buffers; an invalid byte fails the read in which
//! it arrives, a message that ends inside a code point fails at its end.
//!
//! Any protocol error fails the reader for good: every later read returns the same error. Its
//! [`ProtocolError::close_code`] is the status of the close frame to send before dropping the
//! connection.

use super::close::{CloseStatus, parse_close_payload};
use super::frame::{MAX_CONTROL_PAYLOAD, MAX_HEADER_LEN, Opcode};
use super::utf8::Utf8Validator;
use super::{BufferType, MessageKind};
use crate::abi::{DWORD, ERROR_WINHTTP_INVALID_SERVER_RESPONSE};

/// A server broke RFC 6455.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProtocolError {
    /// RSV1-3 set: no extension was agreed.
    ReservedBits,
    /// A masked frame: a server must not mask (§5.1).
    MaskedFrame,
    /// A reserved opcode (3-7, 11-15).
    BadOpcode(u8),
    /// A control frame with more than 125 bytes of payload.
    ControlTooLong,
    /// A control frame without FIN.
    FragmentedControl,
    /// A continuation frame outside a message.
    UnexpectedContinuation,
    /// A text or binary frame while a fragmented message is still open.
    ExpectedContinuation,
    /// A 64-bit length with the most significant bit set.
    LengthTooLarge,
    /// A close payload of 1 byte.
    BadClosePayload,
    /// A close status code that may not be sent.
    BadCloseCode(u16),
    /// A text message or a close reason that is not UTF-8.
    InvalidUtf8,
}

impl ProtocolError {
    /// The status of the close frame to send: 1007 for bad UTF-8, 1002 (protocol error) otherwise.
    pub fn close_code(self) -> u16 {
        match self {
            ProtocolError::InvalidUtf8 => 1007,
            _ => 1002,
        }
    }

    /// The Win32 error the API reports: invalid data from the server.
    pub fn code(self) -> DWORD {
        ERROR_WINHTTP_INVALID_SERVER_RESPONSE
    }
}

/// What one [`Receiver::read`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Read {
    /// Wire bytes consumed from the input.
    pub consumed: usize,
    /// Payload bytes written to the start of the caller's buffer.
    pub written: usize,
    /// Why the read stopped, `None` when the input ran out first.
    pub event: Option<Event>,
}

/// Why a read stopped before the input ran out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// `written` bytes of a message, with the buffer type of this piece.
    Data(BufferType),
    /// The server's close frame (the buffer type is CLOSE, 0 bytes). Reading is over.
    Close(CloseStatus),
}

/// How the connection ended, for an engine that saw the end of the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Eof {
    /// After the server's close frame: a clean end.
    AfterClose,
    /// Between frames, outside a message, without a close frame.
    BetweenMessages,
    /// In the middle of a frame or of a fragmented message.
    MidMessage,
}

/// The frame being read.
#[derive(Debug, Clone, Copy)]
struct Frame {
    fin: bool,
    opcode: Opcode,
    remaining: u64,
}

/// The receiving half's state.
#[derive(Debug, Clone, Default)]
pub struct Receiver {
    header: [u8; MAX_HEADER_LEN],
    header_len: usize,
    frame: Option<Frame>,
    /// The kind of the data message being read.
    message: Option<MessageKind>,
    utf8: Utf8Validator,
    control: Vec<u8>,
    pong: Option<Vec<u8>>,
    close: Option<CloseStatus>,
    close_reported: bool,
    failed: Option<ProtocolError>,
    pings: u64,
    pongs: u64,
}

impl Receiver {
    pub fn new() -> Receiver {
        Receiver::default()
    }

    /// Reads from `input` into `out` (see the module doc). `out` should not be empty: an empty buffer
    /// can take 0-byte messages and control frames but no payload byte.
    pub fn read(&mut self, input: &[u8], out: &mut [u8]) -> Result<Read, ProtocolError> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        if let Some(close) = &self.close {
            let event = (!self.close_reported).then(|| Event::Close(close.clone()));
            self.close_reported = true;
            return Ok(Read { consumed: 0, written: 0, event });
        }
        let (mut pos, mut written) = (0, 0);
        let result = self.read_frames(input, out, &mut pos, &mut written);
        match result {
            Ok(event) => Ok(Read { consumed: pos, written, event }),
            Err(e) => {
                self.failed = Some(e);
                Err(e)
            }
        }
    }

    fn read_frames(
        &mut self,
        input: &[u8],
        out: &mut [u8],
        pos: &mut usize,
        written: &mut usize,
    ) -> Result<Option<Event>, ProtocolError> {
        loop {
            let Some(frame) = self.frame.as_mut() else {
                if !self.read_header(input, pos)? {
                    return Ok(None);
                }
                continue;
            };
            if frame.opcode.is_control() {
                let n = (frame.remaining as usize).min(input.len() - *pos);
                self.control.extend_from_slice(&input[*pos..*pos + n]);
                *pos += n;
                frame.remaining -= n as u64;
                if frame.remaining > 0 {
                    return Ok(None);
                }
                let opcode = frame.opcode;
                self.frame = None;
                let payload = std::mem::take(&mut self.control);
                match opcode {
                    Opcode::Ping => {
                        self.pings += 1;
                        self.pong = Some(payload);
                    }
                    Opcode::Pong => self.pongs += 1,
                    _ => {
                        let status = parse_close_payload(&payload)?;
                        self.close = Some(status.clone());
                        if *written > 0 {
                            // The data first; the close on the next read.
                            let kind = self.message.expect("data written without a message");
                            return Ok(Some(Event::Data(BufferType::piece(kind, false))));
                        }
                        self.close_reported = true;
                        return Ok(Some(Event::Close(status)));
                    }
                }
                continue;
            }
            // A data frame.
            let kind = self.message.expect("a data frame without a message");
            let room = out.len() - *written;
            let n = usize::try_from(frame.remaining).unwrap_or(usize::MAX).min(input.len() - *pos).min(room);
            let piece = &input[*pos..*pos + n];
            if kind == MessageKind::Text && !self.utf8.feed(piece) {
                return Err(ProtocolError::InvalidUtf8);
            }
            out[*written..*written + n].copy_from_slice(piece);
            *pos += n;
            *written += n;
            frame.remaining -= n as u64;
            if frame.remaining == 0 {
                let fin = frame.fin;
                self.frame = None;
                if fin {
                    self.message = None;
                    if !self.utf8.is_complete() {
                        return Err(ProtocolError::InvalidUtf8);
                    }
                    return Ok(Some(Event::Data(BufferType::piece(kind, true))));
                }
                if *written == out.len() && *written > 0 {
                    return Ok(Some(Event::Data(BufferType::piece(kind, false))));
                }
                continue;
            }
            if *written == out.len() && *written > 0 {
                return Ok(Some(Event::Data(BufferType::piece(kind, false))));
            }
            // The input ran out (or the buffer is empty).
            return Ok(None);
        }
    }

    /// Gathers header bytes; `true` when a whole header was read and checked (and `self.frame` set).
    fn read_header(&mut self, input: &[u8], pos: &mut usize) -> Result<bool, ProtocolError> {
        let full_len = |b1: u8| match b1 & 0x7f {
            126 => 4,
            127 => 10,
            _ => 2,
        };
        loop {
            let need = if self.header_len < 2 { 2 } else { full_len(self.header[1]) };
            let take = (need - self.header_len).min(input.len() - *pos);
            self.header[self.header_len..self.header_len + take].copy_from_slice(&input[*pos..*pos + take]);
            self.header_len += take;
            *pos += take;
            if self.header_len < need {
                return Ok(false);
            }
            if need == 2 {
                self.check_first_bytes()?;
                if full_len(self.header[1]) > 2 {
                    continue;
                }
            }
            break;
        }
        let h = &self.header;
        let len = match h[1] & 0x7f {
            126 => u64::from(u16::from_be_bytes([h[2], h[3]])),
            127 => u64::from_be_bytes(h[2..10].try_into().unwrap()),
            n => u64::from(n),
        };
        if len >> 63 != 0 {
            return Err(ProtocolError::LengthTooLarge);
        }
        let fin = h[0] & 0x80 != 0;
        let opcode = Opcode::from_bits(h[0] & 0x0f).expect("checked");
        self.header_len = 0;
        match opcode {
            Opcode::Text | Opcode::Binary => {
                self.message = Some(if opcode == Opcode::Text { MessageKind::Text } else { MessageKind::Binary });
                self.utf8 = Utf8Validator::new();
            }
            _ => {}
        }
        self.frame = Some(Frame { fin, opcode, remaining: len });
        Ok(true)
    }

    /// The checks the first two header bytes allow.
    fn check_first_bytes(&self) -> Result<(), ProtocolError> {
        let [b0, b1, ..] = self.header;
        if b0 & 0x70 != 0 {
            return Err(ProtocolError::ReservedBits);
        }
        let opcode = Opcode::from_bits(b0 & 0x0f).ok_or(ProtocolError::BadOpcode(b0 & 0x0f))?;
        if b1 & 0x80 != 0 {
            return Err(ProtocolError::MaskedFrame);
        }
        if opcode.is_control() {
            if b0 & 0x80 == 0 {
                return Err(ProtocolError::FragmentedControl);
            }
            if usize::from(b1 & 0x7f) > MAX_CONTROL_PAYLOAD {
                return Err(ProtocolError::ControlTooLong);
            }
        } else if opcode == Opcode::Continuation {
            if self.message.is_none() {
                return Err(ProtocolError::UnexpectedContinuation);
            }
        } else if self.message.is_some() {
            return Err(ProtocolError::ExpectedContinuation);
        }
        Ok(())
    }

    /// The buffer type of bytes of the open message delivered before its end (a FRAGMENT type), if a
    /// message is open.
    pub fn partial_type(&self) -> Option<BufferType> {
        self.message.map(|kind| BufferType::piece(kind, false))
    }

    /// The payload of the latest ping not answered yet; the caller sends a pong with it.
    pub fn take_pong(&mut self) -> Option<Vec<u8>> {
        self.pong.take()
    }

    /// The server's close frame, once read.
    pub fn close_received(&self) -> Option<&CloseStatus> {
        self.close.as_ref()
    }

    /// The protocol error that failed the reader, if one did.
    pub fn failed(&self) -> Option<ProtocolError> {
        self.failed
    }

    /// Pings and pongs received so far.
    pub fn control_counts(&self) -> (u64, u64) {
        (self.pings, self.pongs)
    }

    /// How the stream ended, if it ends now.
    pub fn eof(&self) -> Eof {
        if self.close.is_some() {
            Eof::AfterClose
        } else if self.frame.is_some() || self.header_len > 0 || self.message.is_some() {
            Eof::MidMessage
        } else {
            Eof::BetweenMessages
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::ws::frame::FrameHeader;

    /// A server frame (unmasked).
    fn frame(fin: bool, opcode: Opcode, payload: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        FrameHeader { fin, opcode, mask: None, len: payload.len() as u64 }.write(&mut out);
        out.extend_from_slice(payload);
        out
    }

    /// Every piece a receiver gives for `wire` with `buf`-byte receives, the wire arriving in pieces of
    /// `chunk` bytes; a piece that stopped at the end of the input is completed (as the engine would)
    /// only when the input is exhausted, so pieces are as full as the buffer allows.
    fn pieces(wire: &[u8], buf: usize, chunk: usize) -> Result<Vec<(BufferType, Vec<u8>)>, ProtocolError> {
        let mut r = Receiver::new();
        let (mut avail, mut pos) = (Vec::new(), 0);
        let mut got = Vec::new();
        let mut out = vec![0; buf];
        let mut filled = 0;
        loop {
            let read = r.read(&avail, &mut out[filled..])?;
            avail.drain(..read.consumed);
            filled += read.written;
            match read.event {
                Some(Event::Data(ty)) => {
                    got.push((ty, out[..filled].to_vec()));
                    filled = 0;
                }
                Some(Event::Close(status)) => {
                    let mut v = status.code.to_be_bytes().to_vec();
                    v.extend_from_slice(&status.reason);
                    got.push((BufferType::Close, v));
                    return Ok(got);
                }
                None if pos < wire.len() => {
                    let n = chunk.min(wire.len() - pos);
                    avail.extend_from_slice(&wire[pos..pos + n]);
                    pos += n;
                }
                None => {
                    if filled > 0 {
                        got.push((r.partial_type().unwrap(), out[..filled].to_vec()));
                    }
                    return Ok(got);
                }
            }
        }
    }

    #[test]
    fn a_large_message_into_a_small_buffer_is_fragments_then_a_message() {
        // §2.12: 256 bytes read with 128-byte buffers: BINARY_FRAGMENT, then BINARY_MESSAGE.
        let data: Vec<u8> = (0..=255).collect();
        let wire = frame(true, Opcode::Binary, &data);
        for chunk in [1, 7, 1000] {
            let got = pieces(&wire, 128, chunk).unwrap();
            assert_eq!(
                got,
                [(BufferType::BinaryFragment, data[..128].to_vec()), (BufferType::BinaryMessage, data[128..].to_vec())]
            );
        }
        let got = pieces(&wire, 100, 1000).unwrap();
        let types: Vec<_> = got.iter().map(|(t, v)| (*t, v.len())).collect();
        assert_eq!(
            types,
            [(BufferType::BinaryFragment, 100), (BufferType::BinaryFragment, 100), (BufferType::BinaryMessage, 56)]
        );
    }

    #[test]
    fn a_fragmented_message_is_joined_and_typed_by_its_first_frame() {
        let mut wire = frame(false, Opcode::Text, b"Hel");
        wire.extend(frame(false, Opcode::Continuation, b""));
        wire.extend(frame(true, Opcode::Continuation, b"lo"));
        wire.extend(frame(true, Opcode::Binary, b"\x00\x01"));
        let got = pieces(&wire, 64, 1000).unwrap();
        assert_eq!(got, [(BufferType::Utf8Message, b"Hello".to_vec()), (BufferType::BinaryMessage, vec![0, 1])]);
        // With a buffer that ends exactly where a non-final frame ends: a FRAGMENT, then the rest.
        let got = pieces(&wire, 3, 1000).unwrap();
        assert_eq!(got[0], (BufferType::Utf8Fragment, b"Hel".to_vec()));
        assert_eq!(got[1], (BufferType::Utf8Message, b"lo".to_vec()));
    }

    #[test]
    fn zero_byte_messages() {
        let mut r = Receiver::new();
        let mut out = [0; 8];
        let wire = [frame(true, Opcode::Binary, b""), frame(true, Opcode::Text, b"")].concat();
        let a = r.read(&wire, &mut out).unwrap();
        assert_eq!(a, Read { consumed: 2, written: 0, event: Some(Event::Data(BufferType::BinaryMessage)) });
        let b = r.read(&wire[2..], &mut out).unwrap();
        assert_eq!(b, Read { consumed: 2, written: 0, event: Some(Event::Data(BufferType::Utf8Message)) });
    }

    #[test]
    fn a_ping_between_fragments_leaves_a_pong_and_the_message_goes_on() {
        let mut wire = frame(false, Opcode::Binary, b"abc");
        wire.extend(frame(true, Opcode::Ping, b"are you there"));
        wire.extend(frame(true, Opcode::Pong, b"unsolicited"));
        wire.extend(frame(true, Opcode::Continuation, b"def"));
        let mut r = Receiver::new();
        let mut out = [0; 16];
        let read = r.read(&wire, &mut out).unwrap();
        assert_eq!(
            read,
            Read { consumed: wire.len(), written: 6, event: Some(Event::Data(BufferType::BinaryMessage)) }
        );
        assert_eq!(&out[..6], b"abcdef");
        assert_eq!(r.take_pong(), Some(b"are you there".to_vec()));
        assert_eq!(r.take_pong(), None);
        assert_eq!(r.control_counts(), (1, 1));
    }

    #[test]
    fn only_the_latest_ping_is_answered() {
        let wire = [frame(true, Opcode::Ping, b"1"), frame(true, Opcode::Ping, b"2")].concat();
        let mut r = Receiver::new();
        let read = r.read(&wire, &mut [0; 4]).unwrap();
        assert_eq!((read.consumed, read.event), (wire.len(), None));
        assert_eq!(r.take_pong(), Some(b"2".to_vec()));
    }

    #[test]
    fn a_close_is_reported_on_its_own_read() {
        let mut wire = frame(false, Opcode::Text, b"part");
        let close = frame(true, Opcode::Close, b"\x03\xe8bye");
        wire.extend(&close);
        wire.extend(b"ignored after the close");
        let mut r = Receiver::new();
        let mut out = [0; 64];
        let first = r.read(&wire, &mut out).unwrap();
        let consumed = wire.len() - b"ignored after the close".len();
        assert_eq!(first, Read { consumed, written: 4, event: Some(Event::Data(BufferType::Utf8Fragment)) });
        let status = CloseStatus { code: 1000, reason: b"bye".to_vec() };
        let second = r.read(&wire[consumed..], &mut out).unwrap();
        assert_eq!(second, Read { consumed: 0, written: 0, event: Some(Event::Close(status.clone())) });
        assert_eq!(r.read(&wire[consumed..], &mut out).unwrap(), Read { consumed: 0, written: 0, event: None });
        assert_eq!(r.close_received(), Some(&status));
        assert_eq!(r.eof(), Eof::AfterClose);
        // Alone: at once.
        let mut r = Receiver::new();
        let read = r.read(&frame(true, Opcode::Close, b""), &mut out).unwrap();
        assert_eq!(read.event, Some(Event::Close(CloseStatus { code: 1005, reason: vec![] })));
    }

    #[test]
    fn utf8_is_checked_across_frames_and_buffers() {
        let euro = "€".as_bytes(); // e2 82 ac
        let mut wire = frame(false, Opcode::Text, &euro[..1]);
        wire.extend(frame(true, Opcode::Continuation, &[&euro[1..], b"!"].concat()));
        for buf in 1..5 {
            for chunk in [1, 2, 100] {
                let got = pieces(&wire, buf, chunk).unwrap();
                let all: Vec<u8> = got.iter().flat_map(|(_, v)| v.clone()).collect();
                assert_eq!(all, "€!".as_bytes());
                assert_eq!(got.last().unwrap().0, BufferType::Utf8Message);
            }
        }
        // Invalid in the second frame.
        let mut bad = frame(false, Opcode::Text, b"\xe2\x82");
        bad.extend(frame(true, Opcode::Continuation, b"\x28"));
        assert_eq!(pieces(&bad, 64, 100), Err(ProtocolError::InvalidUtf8));
        // A message that ends inside a code point.
        assert_eq!(pieces(&frame(true, Opcode::Text, b"ok\xe2\x82"), 64, 100), Err(ProtocolError::InvalidUtf8));
        // Binary is not checked.
        assert!(pieces(&frame(true, Opcode::Binary, b"\xff\xfe"), 64, 100).is_ok());
        // A close reason is checked as a whole.
        assert_eq!(pieces(&frame(true, Opcode::Close, b"\x03\xe8\xff"), 64, 100), Err(ProtocolError::InvalidUtf8));
        assert_eq!(ProtocolError::InvalidUtf8.close_code(), 1007);
    }

    fn error_of(wire: &[u8]) -> ProtocolError {
        let e = pieces(wire, 64, 1).unwrap_err();
        assert_eq!(pieces(wire, 64, 1000).unwrap_err(), e, "the same error however the bytes arrive");
        e
    }

    #[test]
    fn protocol_errors_with_their_close_codes() {
        use ProtocolError::*;
        assert_eq!(error_of(&[0xC1, 0x00]), ReservedBits, "RSV1 (compression was not agreed)");
        assert_eq!(error_of(&[0xA2, 0x00]), ReservedBits);
        assert_eq!(error_of(&[0x83, 0x00]), BadOpcode(3));
        assert_eq!(error_of(&[0x8B, 0x00]), BadOpcode(11));
        assert_eq!(error_of(&[0x82, 0x81, 1, 2, 3, 4, 0]), MaskedFrame);
        assert_eq!(error_of(&[0x89, 126, 0, 126]), ControlTooLong);
        assert_eq!(error_of(&frame(false, Opcode::Ping, b"")), FragmentedControl);
        assert_eq!(error_of(&frame(true, Opcode::Continuation, b"x")), UnexpectedContinuation);
        let open = frame(false, Opcode::Binary, b"x");
        assert_eq!(error_of(&[open.clone(), frame(true, Opcode::Text, b"y")].concat()), ExpectedContinuation);
        assert_eq!(error_of(&[0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 0]), LengthTooLarge);
        assert_eq!(error_of(&frame(true, Opcode::Close, b"\x03")), BadClosePayload);
        assert_eq!(error_of(&frame(true, Opcode::Close, b"\x03\xee")), BadCloseCode(1006));
        for e in [ReservedBits, MaskedFrame, BadOpcode(3), ControlTooLong, BadCloseCode(1), LengthTooLarge] {
            assert_eq!(e.close_code(), 1002);
            assert_eq!(e.code(), ERROR_WINHTTP_INVALID_SERVER_RESPONSE);
        }
    }

    #[test]
    fn an_error_is_final() {
        let mut r = Receiver::new();
        assert_eq!(r.read(&[0xC1, 0x00], &mut [0; 4]), Err(ProtocolError::ReservedBits));
        assert_eq!(r.read(&frame(true, Opcode::Binary, b"x"), &mut [0; 4]), Err(ProtocolError::ReservedBits));
        assert_eq!(r.failed(), Some(ProtocolError::ReservedBits));
    }

    #[test]
    fn long_lengths_and_where_the_stream_may_end() {
        let data = vec![5u8; 70_000];
        let wire = frame(true, Opcode::Binary, &data);
        assert_eq!(wire[1], 127);
        let got = pieces(&wire, 65_536, 4096).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!((got[0].0, got[0].1.len()), (BufferType::BinaryFragment, 65_536));
        assert_eq!((got[1].0, got[1].1.len()), (BufferType::BinaryMessage, 70_000 - 65_536));
        let mut r = Receiver::new();
        assert_eq!(r.eof(), Eof::BetweenMessages);
        r.read(&wire[..1], &mut [0; 4]).unwrap();
        assert_eq!(r.eof(), Eof::MidMessage, "inside a header");
        let mut r = Receiver::new();
        let read = r.read(&wire[..20], &mut [0; 100]).unwrap();
        assert_eq!((read.consumed, read.written, read.event), (20, 10, None));
        assert_eq!(r.partial_type(), Some(BufferType::BinaryFragment));
        assert_eq!(r.eof(), Eof::MidMessage);
    }
}
