//! `proto::ws` against an independent peer: the Python `websockets` server of `tests/support/ws_server.py`,
//! over a plain `std::net::TcpStream` (no engine): the handshake with `proto::ws::handshake`, then frames
//! with `proto::ws::WebSocket`, for each scripted behaviour. Skips with a message when Python or the
//! package is missing.

#[path = "support/ws.rs"]
mod ws;

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::time::Duration;

use ring::rand::{SecureRandom, SystemRandom};
use winhttp::proto::h1::{HeadParser, Parse};
use winhttp::proto::ws::handshake::{self, HandshakeError, Key, Offer};
use winhttp::proto::ws::{BufferType, CloseStatus, Eof, Event, ProtocolError, WebSocket};

macro_rules! peer {
    () => {
        match ws::server() {
            Ok(s) => s.port,
            Err(why) => {
                eprintln!("SKIPPED: {why}");
                return;
            }
        }
    };
}

fn random<const N: usize>() -> [u8; N] {
    let mut b = [0; N];
    SystemRandom::new().fill(&mut b).expect("system random");
    b
}

/// The client side: a socket, the codec, and the bytes read but not consumed yet.
struct Client {
    stream: TcpStream,
    ws: WebSocket,
    input: Vec<u8>,
}

/// What one receive gave.
#[derive(Debug, PartialEq)]
enum Got {
    Piece(BufferType, Vec<u8>),
    Close(CloseStatus),
    Error(ProtocolError),
    /// The connection ended, and how.
    Eof(Eof),
}

/// Sends the upgrade request for `path` and reads the response head; `Err` is the handshake check's.
fn open(port: u16, path: &str) -> Result<Client, HandshakeError> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let key = Key::from_random(random());
    let mut request = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n");
    for (name, value) in handshake::request_headers(&key) {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).unwrap();
    let mut parser = HeadParser::new(64 * 1024);
    let mut input = Vec::new();
    let (head, used) = loop {
        if let Parse::Complete { head, consumed } = parser.parse(&input).expect("an HTTP head") {
            break (head, consumed);
        }
        let mut buf = [0; 4096];
        let n = stream.read(&mut buf).unwrap();
        assert!(n > 0, "the server closed before its head");
        input.extend_from_slice(&buf[..n]);
    };
    input.drain(..used);
    let offer = Offer::new(key, []);
    handshake::check_response(&offer, head.status, head.headers.pairs())?;
    Ok(Client { stream, ws: WebSocket::new(random::<4>), input })
}

impl Client {
    fn flush(&mut self) {
        let out = self.ws.output();
        if !out.is_empty() {
            let n = out.len();
            // The server may have gone already (abort, after an error): what it misses does not matter.
            let _ = self.stream.write_all(out);
            self.ws.consume_output(n);
        }
    }

    fn send(&mut self, ty: BufferType, data: &[u8]) {
        self.ws.send(ty, data).unwrap();
        self.flush();
    }

    fn close(&mut self, code: u16, reason: &[u8]) {
        self.ws.close(code, reason).unwrap();
        self.flush();
    }

    /// One receive into a `size`-byte buffer, filled as far as the message allows (more bytes are read
    /// while the input runs out in the middle of a piece).
    fn recv(&mut self, size: usize) -> Got {
        let mut out = vec![0; size];
        let mut filled = 0;
        loop {
            let read = self.ws.receive(&self.input, &mut out[filled..]);
            self.flush();
            let read = match read {
                Ok(read) => read,
                Err(e) => {
                    // The connection is failed: what was read is dropped with it.
                    self.input.clear();
                    return Got::Error(e);
                }
            };
            self.input.drain(..read.consumed);
            filled += read.written;
            match read.event {
                Some(Event::Data(ty)) => return Got::Piece(ty, out[..filled].to_vec()),
                Some(Event::Close(status)) => return Got::Close(status),
                None => {
                    let mut buf = vec![0; 65536];
                    let n = self.stream.read(&mut buf).unwrap_or(0);
                    if n == 0 {
                        return Got::Eof(self.ws.receiver().eof());
                    }
                    self.input.extend_from_slice(&buf[..n]);
                }
            }
        }
    }

    /// A whole message read with `size`-byte receives: every piece but the last must be a FRAGMENT of
    /// the same kind, the last the MESSAGE type, each piece full but the last.
    fn message(&mut self, size: usize) -> (BufferType, Vec<u8>, usize) {
        let (mut all, mut pieces) = (Vec::new(), 0);
        loop {
            let Got::Piece(ty, data) = self.recv(size) else { panic!("expected data") };
            pieces += 1;
            all.extend_from_slice(&data);
            if ty.is_last() {
                return (ty, all, pieces);
            }
            assert_eq!(data.len(), size, "a FRAGMENT piece fills the buffer");
        }
    }

    /// Bytes until the server closes the TCP connection.
    fn rest(&mut self) -> Vec<u8> {
        let mut rest = std::mem::take(&mut self.input);
        let _ = self.stream.read_to_end(&mut rest);
        rest
    }
}

#[test]
fn echo_of_every_buffer_type_then_a_client_close() {
    let port = peer!();
    let mut c = open(port, "/echo").unwrap();
    c.send(BufferType::Utf8Message, "héllo".as_bytes());
    assert_eq!(c.recv(64), Got::Piece(BufferType::Utf8Message, "héllo".as_bytes().to_vec()));
    c.send(BufferType::BinaryMessage, &[0, 1, 2, 255]);
    assert_eq!(c.recv(64), Got::Piece(BufferType::BinaryMessage, vec![0, 1, 2, 255]));
    // 0-byte messages.
    c.send(BufferType::BinaryMessage, b"");
    assert_eq!(c.recv(64), Got::Piece(BufferType::BinaryMessage, vec![]));
    c.send(BufferType::Utf8Message, b"");
    assert_eq!(c.recv(64), Got::Piece(BufferType::Utf8Message, vec![]));
    // A message sent in fragments (a code point split between two) comes back whole.
    c.send(BufferType::Utf8Fragment, b"caf\xc3");
    c.send(BufferType::Utf8Fragment, b"\xa9 ");
    c.send(BufferType::Utf8Message, b"au lait");
    assert_eq!(c.recv(64), Got::Piece(BufferType::Utf8Message, "café au lait".as_bytes().to_vec()));
    c.send(BufferType::BinaryFragment, &[1; 1000]);
    c.send(BufferType::BinaryMessage, &[2; 1000]);
    let (ty, data, pieces) = c.message(128);
    assert_eq!((ty, data.len(), pieces), (BufferType::BinaryMessage, 2000, 16));
    assert!(data[..1000].iter().all(|&b| b == 1) && data[1000..].iter().all(|&b| b == 2));
    // 256 bytes into 128-byte buffers: FRAGMENT then MESSAGE (winhttp-behaviours §2.12).
    let data: Vec<u8> = (0..=255).collect();
    c.send(BufferType::BinaryMessage, &data);
    assert_eq!(c.recv(128), Got::Piece(BufferType::BinaryFragment, data[..128].to_vec()));
    assert_eq!(c.recv(128), Got::Piece(BufferType::BinaryMessage, data[128..].to_vec()));
    // A message larger than every buffer, both ways.
    let big: Vec<u8> = (0..3_000_000u32).map(|i| (i * 7) as u8).collect();
    c.send(BufferType::BinaryMessage, &big);
    let (ty, back, pieces) = c.message(65536);
    assert_eq!((ty, pieces), (BufferType::BinaryMessage, 46));
    assert!(back == big, "the 3 MB echo differs");
    // We close; the server answers with our status and reason, then closes TCP.
    c.close(1000, b"bye");
    assert_eq!(c.recv(64), Got::Close(CloseStatus { code: 1000, reason: b"bye".to_vec() }));
    assert!(c.ws.is_closed());
    assert_eq!(c.rest(), b"", "nothing after the close");
}

#[test]
fn a_server_ping_is_answered() {
    let port = peer!();
    let mut c = open(port, "/ping").unwrap();
    // The server only sends "pong ok" after it got our pong.
    assert_eq!(c.recv(64), Got::Piece(BufferType::Utf8Message, b"pong ok".to_vec()));
    assert_eq!(c.ws.receiver().control_counts(), (1, 0));
    c.send(BufferType::BinaryMessage, b"still open");
    assert_eq!(c.recv(64), Got::Piece(BufferType::BinaryMessage, b"still open".to_vec()));
    c.close(1000, b"");
    assert_eq!(c.recv(64), Got::Close(CloseStatus { code: 1000, reason: vec![] }));
}

#[test]
fn fragmented_messages_from_the_server() {
    let port = peer!();
    let mut c = open(port, "/fragments").unwrap();
    let (ty, text, pieces) = c.message(4);
    assert_eq!((ty, std::str::from_utf8(&text).unwrap(), pieces), (BufferType::Utf8Message, "Hello, wörld", 4));
    assert_eq!(c.recv(64), Got::Piece(BufferType::BinaryMessage, vec![0, 1, 2]));
    c.close(1001, b"leaving");
    assert_eq!(c.recv(64), Got::Close(CloseStatus { code: 1001, reason: b"leaving".to_vec() }));
}

#[test]
fn messages_larger_than_every_buffer() {
    let port = peer!();
    let size: usize = 1_000_000;
    let mut c = open(port, &format!("/large?size={size}")).unwrap();
    let (ty, data, pieces) = c.message(8192);
    assert_eq!((ty, data.len(), pieces), (BufferType::BinaryMessage, size, size.div_ceil(8192)));
    assert!(data.iter().enumerate().all(|(i, &b)| b == (i % 251) as u8));
    // An odd buffer size splits the 2-byte code points between pieces; UTF-8 is checked across them.
    let (ty, text, _) = c.message(4095);
    assert_eq!(ty, BufferType::Utf8Message);
    assert!(String::from_utf8(text).unwrap().chars().all(|ch| ch == 'é'));
}

#[test]
fn the_server_closes_first() {
    let port = peer!();
    let mut c = open(port, "/server-close?code=4001&reason=server%20done").unwrap();
    assert_eq!(c.recv(64), Got::Close(CloseStatus { code: 4001, reason: b"server done".to_vec() }));
    assert!(c.ws.output().is_empty(), "no automatic reply: WinHttpWebSocketClose sends it");
    c.close(1000, b"ok");
    assert!(c.ws.is_closed());
    assert_eq!(c.rest(), b"");
    assert_eq!(c.ws.receiver().eof(), Eof::AfterClose);
}

#[test]
fn an_abrupt_disconnect_in_the_middle_of_a_message() {
    let port = peer!();
    let mut c = open(port, "/abort").unwrap();
    assert_eq!(c.recv(4096), Got::Eof(Eof::MidMessage));
    // With a smaller buffer the first 8 bytes come as a piece, then the end.
    let mut c = open(port, "/abort").unwrap();
    assert_eq!(c.recv(8), Got::Piece(BufferType::BinaryFragment, b"01234567".to_vec()));
    assert_eq!(c.recv(8), Got::Eof(Eof::MidMessage));
}

#[test]
fn invalid_frames_fail_with_the_close_status_to_send() {
    let port = peer!();
    for (kind, error, status) in [
        ("rsv", ProtocolError::ReservedBits, 1002),
        ("opcode", ProtocolError::BadOpcode(3), 1002),
        ("masked", ProtocolError::MaskedFrame, 1002),
        ("control", ProtocolError::ControlTooLong, 1002),
        ("continuation", ProtocolError::UnexpectedContinuation, 1002),
        ("utf8", ProtocolError::InvalidUtf8, 1007),
        ("closecode", ProtocolError::BadCloseCode(1005), 1002),
    ] {
        let mut c = open(port, &format!("/invalid?kind={kind}")).unwrap();
        assert_eq!(c.recv(64), Got::Error(error), "{kind}");
        assert!(c.ws.close_sent(), "{kind}: a close frame went out");
        // The peer echoes our close frame: its status is the one the error called for.
        let rest = c.rest();
        let mut reader = winhttp::proto::ws::Receiver::new();
        let read = reader.read(&rest, &mut [0; 8]);
        let want = CloseStatus { code: status, reason: vec![] };
        assert_eq!(read.map(|r| r.event), Ok(Some(Event::Close(want))), "{kind}: {rest:x?}");
    }
}

#[test]
fn bad_handshakes_are_refused() {
    let port = peer!();
    assert_eq!(open(port, "/bad-handshake/status").err(), Some(HandshakeError::NotSwitching(200)));
    assert_eq!(open(port, "/bad-handshake/no-upgrade").err(), Some(HandshakeError::NoUpgrade));
    assert_eq!(open(port, "/bad-handshake/bad-accept").err(), Some(HandshakeError::BadAccept));
    assert_eq!(
        open(port, "/bad-handshake/deflate").err(),
        Some(HandshakeError::Extension("permessage-deflate".into()))
    );
    assert_eq!(
        open(port, "/bad-handshake/protocol").err(),
        Some(HandshakeError::Subprotocol("nobody-offered-this".into()))
    );
    assert_eq!(open(port, "/bad-handshake/version").err(), Some(HandshakeError::BadVersion));
    // And the same server completes a good one.
    assert!(open(port, "/echo").is_ok());
}
