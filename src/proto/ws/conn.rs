//! Both halves of a client WebSocket and the bytes it has to send next.

use super::BufferType;
use super::close::CloseStatus;
use super::frame::Opcode;
use super::receive::{ProtocolError, Read, Receiver};
use super::send::{SendError, Sender};

/// A client WebSocket as a sans-IO state machine: [`send`](WebSocket::send), [`close`](WebSocket::close)
/// and [`ping`](WebSocket::ping) queue whole frames; [`receive`](WebSocket::receive) reads frames and
/// queues what the protocol answers by itself (a pong for a ping; for a protocol error, a close frame
/// with the error's status). The engine writes [`output`](WebSocket::output) to the socket and reports
/// what went out with [`consume_output`](WebSocket::consume_output). Frames are only ever queued whole,
/// so a pong never lands inside a data frame. Each frame is masked with a key from `masks`.
pub struct WebSocket {
    sender: Sender,
    receiver: Receiver,
    output: Vec<u8>,
    /// Bytes at the front of `output` already written.
    sent: usize,
    masks: Box<dyn FnMut() -> [u8; 4] + Send>,
}

impl std::fmt::Debug for WebSocket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebSocket")
            .field("sender", &self.sender)
            .field("receiver", &self.receiver)
            .field("output", &(self.output.len() - self.sent))
            .finish()
    }
}

impl WebSocket {
    /// A WebSocket whose frames are masked with keys drawn from `masks` (a strong random source in the
    /// engine, RFC 6455 §5.3).
    pub fn new(masks: impl FnMut() -> [u8; 4] + Send + 'static) -> WebSocket {
        WebSocket {
            sender: Sender::new(),
            receiver: Receiver::new(),
            output: Vec::new(),
            sent: 0,
            masks: Box::new(masks),
        }
    }

    /// `WinHttpWebSocketSend`: queues one frame with `data`.
    pub fn send(&mut self, ty: BufferType, data: &[u8]) -> Result<(), SendError> {
        let mask = (self.masks)();
        self.sender.write_data(ty, data, mask, &mut self.output)
    }

    /// `WinHttpWebSocketClose` and `WinHttpWebSocketShutdown`: queues our close frame (also the reply
    /// to a close the server sent first).
    pub fn close(&mut self, code: u16, reason: &[u8]) -> Result<(), SendError> {
        let mask = (self.masks)();
        self.sender.write_close(code, reason, mask, &mut self.output)
    }

    /// A keep-alive ping.
    pub fn ping(&mut self, payload: &[u8]) -> Result<(), SendError> {
        let mask = (self.masks)();
        self.sender.write_control(Opcode::Ping, payload, mask, &mut self.output)
    }

    /// `WinHttpWebSocketReceive`: [`Receiver::read`], then queues the pong for a ping that arrived (not
    /// after our close), or for a protocol error a close frame with its status (1002, 1007), after which
    /// the engine drops the connection once the output is written.
    pub fn receive(&mut self, input: &[u8], out: &mut [u8]) -> Result<Read, ProtocolError> {
        let result = self.receiver.read(input, out);
        if let Some(payload) = self.receiver.take_pong() {
            if !self.sender.close_sent() {
                let mask = (self.masks)();
                self.sender
                    .write_control(Opcode::Pong, &payload, mask, &mut self.output)
                    .expect("a ping's payload fits");
            }
        }
        if let Err(e) = result {
            if !self.sender.close_sent() {
                let mask = (self.masks)();
                self.sender.write_close(e.close_code(), b"", mask, &mut self.output).expect("a valid status");
            }
        }
        result
    }

    /// The bytes to write next.
    pub fn output(&self) -> &[u8] {
        &self.output[self.sent..]
    }

    /// `n` bytes of [`output`](WebSocket::output) were written.
    pub fn consume_output(&mut self, n: usize) {
        self.sent += n;
        assert!(self.sent <= self.output.len(), "consumed more output than queued");
        if self.sent == self.output.len() {
            self.output.clear();
            self.sent = 0;
        }
    }

    /// The server's close frame, once received.
    pub fn close_received(&self) -> Option<&CloseStatus> {
        self.receiver.close_received()
    }

    /// Whether our close frame is queued (or sent).
    pub fn close_sent(&self) -> bool {
        self.sender.close_sent()
    }

    /// The close handshake is over: both close frames exchanged (the engine closes the TCP connection
    /// once the output is written; RFC 6455 §7.1.1 lets the server close first).
    pub fn is_closed(&self) -> bool {
        self.close_sent() && self.close_received().is_some()
    }

    /// The sending half, for an engine that streams a large payload itself (`Sender::data_header`
    /// and `apply_mask`) instead of queueing it: it must first write all of `output`, and queue
    /// nothing while that frame is partly written.
    pub fn sender(&mut self) -> &mut Sender {
        &mut self.sender
    }

    /// The receiving half (counters, `partial_type`, `eof`).
    pub fn receiver(&self) -> &Receiver {
        &self.receiver
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::ws::frame::{FrameHeader, apply_mask};
    use crate::proto::ws::{Event, MessageKind};

    fn server_frame(fin: bool, opcode: Opcode, payload: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        FrameHeader { fin, opcode, mask: None, len: payload.len() as u64 }.write(&mut out);
        out.extend_from_slice(payload);
        out
    }

    /// Reads the client frames in `wire` (as a server would): (fin, opcode, unmasked payload).
    fn client_frames(mut wire: &[u8]) -> Vec<(bool, u8, Vec<u8>)> {
        let mut frames = Vec::new();
        while !wire.is_empty() {
            assert_eq!(wire[1] & 0x80, 0x80, "client frames are masked");
            let (len, at) = match wire[1] & 0x7f {
                126 => (u16::from_be_bytes([wire[2], wire[3]]) as usize, 4),
                127 => (u64::from_be_bytes(wire[2..10].try_into().unwrap()) as usize, 10),
                n => (n as usize, 2),
            };
            let key: [u8; 4] = wire[at..at + 4].try_into().unwrap();
            let mut payload = wire[at + 4..at + 4 + len].to_vec();
            apply_mask(key, 0, &mut payload);
            frames.push((wire[0] & 0x80 != 0, wire[0] & 0x0f, payload));
            wire = &wire[at + 4 + len..];
        }
        frames
    }

    fn counter_masks() -> impl FnMut() -> [u8; 4] + Send {
        let mut n = 0u32;
        move || {
            n = n.wrapping_add(0x9E37_79B9);
            n.to_le_bytes()
        }
    }

    #[test]
    fn a_websocket_can_live_behind_a_mutex_shared_by_threads() {
        fn send_and_sync<T: Send + Sync>() {}
        send_and_sync::<std::sync::Mutex<WebSocket>>();
    }

    #[test]
    fn a_ping_is_answered_with_a_pong_queued_after_whole_frames() {
        let mut ws = WebSocket::new(counter_masks());
        ws.send(BufferType::BinaryFragment, b"first").unwrap();
        let wire = server_frame(true, Opcode::Ping, b"hi");
        let read = ws.receive(&wire, &mut [0; 8]).unwrap();
        assert_eq!((read.consumed, read.event), (wire.len(), None));
        ws.send(BufferType::BinaryMessage, b"second").unwrap();
        let frames = client_frames(ws.output());
        assert_eq!(frames, [(false, 2, b"first".to_vec()), (true, 0xA, b"hi".to_vec()), (true, 0, b"second".to_vec())]);
        let n = ws.output().len();
        ws.consume_output(n - 3);
        assert_eq!(ws.output().len(), 3);
        ws.consume_output(3);
        assert!(ws.output().is_empty());
    }

    #[test]
    fn the_close_handshake_from_either_side() {
        // We close first.
        let mut ws = WebSocket::new(counter_masks());
        ws.close(1000, b"done").unwrap();
        assert!(ws.close_sent() && !ws.is_closed());
        assert_eq!(ws.send(BufferType::BinaryMessage, b"x"), Err(SendError::Closed));
        // A ping after our close gets no pong; data still arrives.
        let wire = [server_frame(true, Opcode::Ping, b""), server_frame(true, Opcode::Text, b"late")].concat();
        let mut out = [0; 8];
        let read = ws.receive(&wire, &mut out).unwrap();
        assert_eq!(read.event, Some(Event::Data(BufferType::Utf8Message)));
        let read = ws.receive(&server_frame(true, Opcode::Close, b"\x03\xe8"), &mut out).unwrap();
        assert_eq!(read.event, Some(Event::Close(CloseStatus { code: 1000, reason: vec![] })));
        assert!(ws.is_closed());
        assert_eq!(client_frames(ws.output()), [(true, 8, b"\x03\xe8done".to_vec())]);
        // The server closes first: nothing is sent until the application closes.
        let mut ws = WebSocket::new(counter_masks());
        let read = ws.receive(&server_frame(true, Opcode::Close, b"\x03\xe9away"), &mut out).unwrap();
        assert_eq!(read.event, Some(Event::Close(CloseStatus { code: 1001, reason: b"away".to_vec() })));
        assert!(ws.output().is_empty() && !ws.is_closed());
        ws.close(1000, b"").unwrap();
        assert!(ws.is_closed());
        assert_eq!(client_frames(ws.output()), [(true, 8, b"\x03\xe8".to_vec())]);
    }

    #[test]
    fn a_protocol_error_queues_a_close_with_its_status() {
        let mut ws = WebSocket::new(counter_masks());
        assert_eq!(ws.receive(&[0x82, 0x81, 0, 0, 0, 0, 0], &mut [0; 4]), Err(ProtocolError::MaskedFrame));
        assert_eq!(client_frames(ws.output()), [(true, 8, b"\x03\xea".to_vec())]);
        let mut ws = WebSocket::new(counter_masks());
        assert_eq!(
            ws.receive(&server_frame(true, Opcode::Text, b"\xc0"), &mut [0; 4]),
            Err(ProtocolError::InvalidUtf8)
        );
        assert_eq!(client_frames(ws.output()), [(true, 8, 1007u16.to_be_bytes().to_vec())]);
        assert_eq!(ws.sender().open_message(), None::<MessageKind>);
    }
}

/// Throughput of the codec alone (no socket): `cargo test --release --lib proto::ws::throughput --
/// --ignored --nocapture`. A measurement, not a check.
#[cfg(test)]
mod throughput {
    use super::*;
    use crate::proto::ws::frame::FrameHeader;
    use crate::proto::ws::{Event, Receiver};
    use std::time::Instant;

    fn mib_s(bytes: usize, t: Instant) -> f64 {
        bytes as f64 / (1 << 20) as f64 / t.elapsed().as_secs_f64()
    }

    #[test]
    #[ignore]
    fn throughput() {
        const TOTAL: usize = 256 << 20;
        let payload: Vec<u8> = "abcdéfgh€".bytes().cycle().take(1 << 20).collect();
        for (opcode, name) in [(Opcode::Binary, "binary"), (Opcode::Text, "text (UTF-8 checked)")] {
            let mut frame = Vec::new();
            FrameHeader { fin: true, opcode, mask: None, len: payload.len() as u64 }.write(&mut frame);
            frame.extend_from_slice(&payload);
            let mut r = Receiver::new();
            let mut out = vec![0; 64 << 10];
            let t = Instant::now();
            let mut got = 0;
            for _ in 0..TOTAL / payload.len() {
                let mut input = &frame[..];
                loop {
                    let read = r.read(&input[..input.len().min(64 << 10)], &mut out).unwrap();
                    input = &input[read.consumed..];
                    got += read.written;
                    if read.event == Some(Event::Data(BufferType::piece(opcode_kind(opcode), true))) {
                        break;
                    }
                }
            }
            assert_eq!(got, TOTAL);
            eprintln!("receive {name}: {:.0} MiB/s (1 MiB messages, 64 KiB reads)", mib_s(TOTAL, t));
        }
        let mut ws = WebSocket::new(|| [1, 2, 3, 4]);
        let t = Instant::now();
        for _ in 0..TOTAL / payload.len() {
            ws.send(BufferType::BinaryMessage, &payload).unwrap();
            let n = ws.output().len();
            ws.consume_output(n);
        }
        eprintln!("send binary (mask + copy): {:.0} MiB/s (1 MiB messages)", mib_s(TOTAL, t));
    }

    fn opcode_kind(op: Opcode) -> crate::proto::ws::MessageKind {
        if op == Opcode::Text { crate::proto::ws::MessageKind::Text } else { crate::proto::ws::MessageKind::Binary }
    }
}
