//! One HTTP/1.1 connection: its transport, the bytes read past what was consumed, and the state
//! of its two halves. The request half is `Writing` (head, body under an [`Encoder`], done), the
//! response half `Reading` (head, body under a [`Decoder`], done, or upgraded and handed over).
//! A connection goes back to the pool only when both halves are complete, the response allowed
//! keep-alive and no byte is left over ([`Connection::reusable`]): a request body that was cut
//! short (the server answered early) never lets the next request be read as its rest.

use crate::engine::reactor::Want;
use crate::engine::transport::tcp::Stream;
use crate::proto::h1::{Decoder, Encoder};

/// Size of a read from the socket into the connection's own buffer.
pub const READ_CHUNK: usize = 16 * 1024;

/// The request half.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Writing {
    /// Nothing of the current request written yet.
    Head,
    /// The head went out; body bytes still to come under this encoder.
    Body(Encoder),
    /// The whole request is written.
    Done,
}

/// The response half.
#[derive(Debug)]
pub enum Reading {
    /// Waiting for (more of) a response head.
    Head,
    /// A body under this decoder.
    Body(Decoder),
    /// The response was read to the end.
    Done,
    /// After a 101: the connection belongs to another protocol now (WebSocket), with the bytes
    /// read past the head still in the buffer.
    Upgraded,
}

/// Wire bytes read but not consumed yet: one buffer kept for the life of the connection, grown
/// only for a response head larger than it.
#[derive(Default)]
pub struct ReadBuf {
    data: Vec<u8>,
    start: usize,
    end: usize,
}

impl ReadBuf {
    pub fn bytes(&self) -> &[u8] {
        &self.data[self.start..self.end]
    }

    pub fn len(&self) -> usize {
        self.end - self.start
    }

    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }

    pub fn consume(&mut self, n: usize) {
        self.start += n;
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
    }

    /// Free space after the buffered bytes (compacting or growing as needed).
    pub fn spare(&mut self) -> &mut [u8] {
        if self.end == self.data.len() {
            if self.start > 0 {
                self.data.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            } else {
                let len = (self.data.len() * 2).max(READ_CHUNK);
                self.data.resize(len, 0);
            }
        }
        &mut self.data[self.end..]
    }

    pub fn filled(&mut self, n: usize) {
        self.end += n;
    }
}

/// One connection and the exchange on it.
pub struct Connection {
    pub stream: Stream,
    pub rbuf: ReadBuf,
    pub writing: Writing,
    pub reading: Reading,
    /// The last response allowed the connection to be reused (and the request did not forbid it).
    pub keep_alive: bool,
    /// True when it came from the pool (a failure before any response byte may be retried).
    pub reused: bool,
    /// The proxy refused the CONNECT of a tunnel with a 407: its answer is in the read buffer,
    /// to be received as the response; nothing of the request is written (it was meant for the
    /// origin, inside TLS), and the connection never goes to the pool. Once that answer is read to
    /// its end on a connection the proxy keeps open, the request's next CONNECT (the next leg of
    /// the proxy's handshake) goes on it ([`Connection::can_retunnel`]).
    pub refused: bool,
    /// `WINHTTP_OPTION_CONNECTION_GUID`: this connection's identity.
    pub guid: [u8; 16],
    /// Requests begun on this connection (the next one's `WINHTTP_REQUEST_STATS.ulIndex`).
    pub requests: u32,
    /// When the connection was made (`TCP_INFO_v0.ConnectionTimeMs`).
    pub opened: std::time::Instant,
    /// `WINHTTP_OPTION_EXPIRE_CONNECTION`: never reused.
    pub expired: bool,
}

impl Connection {
    /// A connection on `stream`, boxed: it moves between requests and the pool as a pointer.
    pub fn new(stream: Stream, reused: bool) -> Box<Connection> {
        Box::new(Connection {
            stream,
            rbuf: ReadBuf::default(),
            writing: Writing::Head,
            reading: Reading::Head,
            keep_alive: false,
            reused,
            refused: false,
            guid: crate::engine::metrics::new_guid(),
            requests: 0,
            opened: std::time::Instant::now(),
            expired: false,
        })
    }

    /// A connection whose tunnel the proxy refused with `answer` (its 407 and what followed).
    pub fn refused(stream: Stream, answer: &[u8]) -> Box<Connection> {
        let mut c = Connection::new(stream, false);
        let mut at = 0;
        while at < answer.len() {
            let spare = c.rbuf.spare();
            let n = spare.len().min(answer.len() - at);
            spare[..n].copy_from_slice(&answer[at..at + n]);
            c.rbuf.filled(n);
            at += n;
        }
        c.refused = true;
        c
    }

    /// A refused tunnel whose 407 was read to its end, the proxy keeping the connection open: the
    /// request's next CONNECT may go on it (never another request's: it is never pooled).
    pub fn can_retunnel(&self) -> bool {
        self.refused && self.keep_alive && matches!(self.reading, Reading::Done) && self.rbuf.is_empty()
    }

    /// The request went out whole and the response, which allowed keep-alive, was left unread
    /// (partly): the next request on this handle may drain the rest and use the connection.
    pub fn drainable(&self) -> bool {
        self.keep_alive && self.writing == Writing::Done && matches!(self.reading, Reading::Body(_))
    }

    /// The stream, for a new CONNECT on it.
    pub fn into_stream(self: Box<Self>) -> Stream {
        self.stream
    }

    /// A new request starts on this connection.
    pub fn begin_request(&mut self) {
        self.writing = Writing::Head;
        self.reading = Reading::Head;
        self.keep_alive = false;
    }

    /// Body bytes written (after the head): the request half is done when the encoder is.
    pub fn wrote_body(&mut self, data: &[u8]) {
        if let Writing::Body(mut e) = self.writing {
            e.wrote(data);
            self.writing = if e.is_done() { Writing::Done } else { Writing::Body(e) };
        }
    }

    /// The head (and what body went with it) is written.
    pub fn wrote_head(&mut self, encoder: Encoder) {
        self.writing = if encoder.is_done() { Writing::Done } else { Writing::Body(encoder) };
    }

    /// The body decoder, while a body is being read.
    pub fn decoder(&mut self) -> Option<&mut Decoder> {
        match &mut self.reading {
            Reading::Body(d) => Some(d),
            _ => None,
        }
    }

    /// True when the response body is complete (its decoder says so).
    pub fn body_done(&self) -> bool {
        matches!(&self.reading, Reading::Body(d) if d.is_done())
    }

    /// The response was read to the end.
    pub fn finish_response(&mut self) {
        self.reading = Reading::Done;
    }

    /// Both halves complete, keep-alive allowed, nothing left over: the pool may take it.
    pub fn reusable(&self) -> bool {
        !self.refused
            && !self.expired
            && self.keep_alive
            && self.writing == Writing::Done
            && matches!(self.reading, Reading::Done)
            && self.rbuf.is_empty()
    }

    /// What a wait for `want` must really wait for (TLS records still to send turn a read wait
    /// into a write wait).
    pub fn want(&self, want: Want) -> Want {
        self.stream.want(want)
    }

    /// Reads what the socket has into the buffer: `Some(0)` at EOF, `None` when it would block.
    pub fn try_fill(&mut self) -> std::io::Result<Option<usize>> {
        match self.stream.try_read(self.rbuf.spare()) {
            Ok(n) => {
                self.rbuf.filled(n);
                Ok(Some(n))
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => Ok(None),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::h1::Framing;

    fn pair() -> (Box<Connection>, std::net::TcpStream) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let stream = Stream::connect(&[addr], None, &crate::engine::cancel::Cancel::default()).unwrap();
        let (server, _) = listener.accept().unwrap();
        (Connection::new(stream, false), server)
    }

    #[test]
    fn reusable_only_when_both_halves_are_complete() {
        let (mut c, _server) = pair();
        c.begin_request();
        c.wrote_head(Encoder::Length(10));
        c.wrote_body(b"abc");
        c.reading = Reading::Body(Decoder::new(Framing::Length(0)));
        c.keep_alive = true;
        c.finish_response();
        // The server answered early: the request body is 7 bytes short.
        assert!(!c.reusable());
        c.wrote_body(b"defghij");
        assert_eq!(c.writing, Writing::Done);
        assert!(c.reusable());
        c.keep_alive = false;
        assert!(!c.reusable());
    }

    #[test]
    fn leftover_bytes_or_an_unfinished_response_forbid_reuse() {
        let (mut c, mut server) = pair();
        c.wrote_head(Encoder::Length(0));
        c.keep_alive = true;
        assert!(!c.reusable()); // response not read
        c.finish_response();
        assert!(c.reusable());
        std::io::Write::write_all(&mut server, b"extra").unwrap();
        let start = std::time::Instant::now();
        while c.rbuf.is_empty() && start.elapsed() < std::time::Duration::from_secs(2) {
            let _ = c.try_fill();
        }
        assert!(!c.reusable());
        c.rbuf.consume(c.rbuf.len());
        c.reading = Reading::Upgraded;
        assert!(!c.reusable());
    }
}
