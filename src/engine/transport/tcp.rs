//! TCP: non-blocking connects that try every address, and a stream (a non-blocking TCP socket,
//! registered with the reactor for asynchronous use, with the TLS session riding on it for HTTPS)
//! with sync helpers.
//!
//! Errors are WinHTTP codes: `ERROR_WINHTTP_CANNOT_CONNECT`, `ERROR_WINHTTP_TIMEOUT`,
//! `ERROR_WINHTTP_CONNECTION_ERROR`, `ERROR_WINHTTP_OPERATION_CANCELLED`.
//!
//! Sync calls do every syscall on the calling thread and, when the socket would block, wait with
//! `poll(2)` on that same thread ([`poll_ready`], cancellable through [`Cancel`]): no thread hop on
//! the fast path.
//!
//! Writes go through `send(2)` with `MSG_NOSIGNAL` (Linux and other systems that have it) or on
//! a socket with `SO_NOSIGPIPE` (Apple): a library inside a C program cannot rely on Rust's
//! runtime ignoring `SIGPIPE`, so a write to a closed peer must not raise it.

use crate::abi::{
    DWORD, ERROR_WINHTTP_CANNOT_CONNECT, ERROR_WINHTTP_CONNECTION_ERROR, ERROR_WINHTTP_OPERATION_CANCELLED,
    ERROR_WINHTTP_TIMEOUT,
};
// The TCP states come from Linux's TCP_INFO only.
#[cfg(target_os = "linux")]
use crate::abi::{
    TCPSTATE_CLOSE_WAIT, TCPSTATE_CLOSED, TCPSTATE_CLOSING, TCPSTATE_ESTABLISHED, TCPSTATE_FIN_WAIT_1,
    TCPSTATE_FIN_WAIT_2, TCPSTATE_LAST_ACK, TCPSTATE_LISTEN, TCPSTATE_SYN_RCVD, TCPSTATE_SYN_SENT, TCPSTATE_TIME_WAIT,
};
use crate::engine::cancel::{Cancel, deadline};
use crate::engine::reactor::{Token, Want, reactor};
use std::io::{self, Read};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Waits on the calling thread until `fd` is ready for `want`, with `deadline` and `cancel`: the
/// sync calls' way of blocking on a socket. No other thread takes part (a wake-up on the other
/// CPU costs more than a loopback round trip), so the reactor only serves asynchronous calls.
pub fn poll_ready(fd: std::os::fd::RawFd, want: Want, deadline: Option<Instant>, cancel: &Cancel) -> Result<(), DWORD> {
    cancel.begin_poll(fd)?;
    let events = match want {
        Want::Read => libc::POLLIN,
        Want::Write => libc::POLLOUT,
    };
    let result = loop {
        let ms = match deadline {
            None => -1,
            Some(d) => {
                let left = d.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    break Err(ERROR_WINHTTP_TIMEOUT);
                }
                // Round up so a wait never ends a little before its deadline.
                left.as_millis().saturating_add(1).min(i32::MAX as u128) as i32
            }
        };
        let mut pfd = libc::pollfd { fd, events, revents: 0 };
        // SAFETY: one valid pollfd.
        let n = unsafe { libc::poll(&mut pfd, 1, ms) };
        if cancel.is_cancelled() {
            break Err(ERROR_WINHTTP_OPERATION_CANCELLED);
        }
        if n > 0 {
            // Readable, writable, hung up or in error: the next syscall tells which.
            break Ok(());
        }
        if n < 0 && io::Error::last_os_error().kind() != io::ErrorKind::Interrupted {
            break Err(ERROR_WINHTTP_CONNECTION_ERROR);
        }
    };
    cancel.end_poll();
    result
}

/// Waits as [`poll_ready`] does, in slices of 50 ms, asking `between` before each slice whether
/// the wait is over for another reason (`Some(result)`: a cancel, a signal): for sync waits that
/// must see a close from another thread without shutting the socket down (a WebSocket's other
/// direction, an HTTP/2 connection's other streams use it).
pub fn poll_sliced(
    fd: std::os::fd::RawFd,
    want: Want,
    deadline: Option<Instant>,
    mut between: impl FnMut() -> Option<Result<(), DWORD>>,
) -> Result<(), DWORD> {
    const SLICE: Duration = Duration::from_millis(50);
    let never = Cancel::default();
    loop {
        if let Some(r) = between() {
            return r;
        }
        let slice = Instant::now() + SLICE;
        match poll_ready(fd, want, Some(deadline.map_or(slice, |d| d.min(slice))), &never) {
            Err(ERROR_WINHTTP_TIMEOUT) if deadline.is_none_or(|d| d > Instant::now()) => {}
            other => return other,
        }
    }
}

/// A connected, non-blocking TCP stream registered with the reactor.
pub struct Stream {
    pub stream: mio::net::TcpStream,
    pub token: Token,
    pub peer: SocketAddr,
    pub local: SocketAddr,
    /// True once registered with the reactor (`Stream::register`, for asynchronous waits).
    registered: bool,
    /// The TLS session over the socket, for HTTPS (reads and writes then carry plaintext).
    tls: Option<Box<super::tls::Session>>,
    /// What the finished handshake established (set by `Stream::handshake`).
    pub tls_info: Option<Arc<super::tls::Info>>,
}

/// Why one connect attempt failed.
enum Attempt {
    Failed,
    TimedOut,
    Cancelled,
}

/// `send(2)` flags: no `SIGPIPE` where the flag exists (Apple sockets get `SO_NOSIGPIPE` instead).
#[cfg(any(
    target_os = "linux",
    target_os = "android",
    target_os = "freebsd",
    target_os = "netbsd",
    target_os = "openbsd",
    target_os = "dragonfly",
    target_os = "illumos",
    target_os = "solaris"
))]
const SEND_FLAGS: libc::c_int = libc::MSG_NOSIGNAL;
#[cfg(not(any(
    target_os = "linux",
    target_os = "android",
    target_os = "freebsd",
    target_os = "netbsd",
    target_os = "openbsd",
    target_os = "dragonfly",
    target_os = "illumos",
    target_os = "solaris"
)))]
const SEND_FLAGS: libc::c_int = 0;

/// `send(2)` without `SIGPIPE`, retried on `EINTR`.
fn send(stream: &mio::net::TcpStream, buf: &[u8]) -> io::Result<usize> {
    let fd = stream.as_raw_fd();
    loop {
        // SAFETY: `fd` is an open socket and `buf` is valid for `buf.len()` bytes.
        let n = unsafe { libc::send(fd, buf.as_ptr().cast(), buf.len(), SEND_FLAGS) };
        if n >= 0 {
            return Ok(n as usize);
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

/// The socket as rustls sees it: `Read` and `Write` that never block and never raise `SIGPIPE`.
struct Sock<'a>(&'a mio::net::TcpStream);

impl Read for Sock<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match (&*self.0).read(buf) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                other => return other,
            }
        }
    }
}

impl io::Write for Sock<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        send(self.0, buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The most plaintext a TLS write takes at once (four full records).
const TLS_WRITE_CHUNK: usize = 64 * 1024;

impl Stream {
    /// Connects to the first address that accepts, trying each in turn (a refused port fails
    /// fast). `timeout` bounds each attempt.
    ///
    /// When every address fails, the error is `ERROR_WINHTTP_TIMEOUT` if an attempt timed out and
    /// `ERROR_WINHTTP_CANNOT_CONNECT` otherwise.
    pub fn connect(addrs: &[SocketAddr], timeout: Option<Duration>, cancel: &Cancel) -> Result<Stream, DWORD> {
        let mut timed_out = false;
        for addr in addrs {
            if cancel.is_cancelled() {
                return Err(ERROR_WINHTTP_OPERATION_CANCELLED);
            }
            match Self::connect_one(*addr, timeout, cancel) {
                Ok(conn) => return Ok(conn),
                Err(Attempt::Failed) => {}
                Err(Attempt::TimedOut) => timed_out = true,
                Err(Attempt::Cancelled) => return Err(ERROR_WINHTTP_OPERATION_CANCELLED),
            }
        }
        Err(if timed_out { ERROR_WINHTTP_TIMEOUT } else { ERROR_WINHTTP_CANNOT_CONNECT })
    }

    fn connect_one(addr: SocketAddr, timeout: Option<Duration>, cancel: &Cancel) -> Result<Stream, Attempt> {
        let deadline = deadline(timeout);
        let mut conn = Stream::begin_connect(addr).map_err(|_| Attempt::Failed)?;
        loop {
            match conn.connect_done() {
                Ok(true) => return Ok(conn),
                Ok(false) => {}
                Err(_) => return Err(Attempt::Failed),
            }
            match poll_ready(conn.fd(), Want::Write, deadline, cancel) {
                Ok(()) => {}
                Err(ERROR_WINHTTP_TIMEOUT) => return Err(Attempt::TimedOut),
                Err(ERROR_WINHTTP_OPERATION_CANCELLED) => return Err(Attempt::Cancelled),
                Err(_) => return Err(Attempt::Failed),
            }
        }
    }

    /// Starts a non-blocking connect to `addr` (`connect_done` tells when it has finished).
    pub fn begin_connect(addr: SocketAddr) -> io::Result<Stream> {
        use socket2::{Domain, Protocol, SockAddr, Socket, Type};
        let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
        socket.set_nonblocking(true)?;
        let _ = socket.set_nodelay(true);
        #[cfg(target_vendor = "apple")]
        socket.set_nosigpipe(true)?;
        match socket.connect(&SockAddr::from(addr)) {
            Ok(()) => {}
            Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) || e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {} // the connect goes on in the background
            Err(e) => return Err(e),
        }
        let stream = mio::net::TcpStream::from_std(socket.into());
        // Not registered with the reactor: sync waits poll on the calling thread (see the module
        // doc); `Stream::register` registers when an asynchronous wait needs the reactor.
        let token = reactor().reserve();
        crate::engine::diag::up(&crate::engine::diag::SOCKETS);
        let local = stream.local_addr().unwrap_or(SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0));
        Ok(Stream { stream, token, peer: addr, local, registered: false, tls: None, tls_info: None })
    }

    /// Whether a connect started by `begin_connect` has finished: `Ok(true)` connected,
    /// `Ok(false)` still in progress (wait until writable), `Err` failed (refused, unreachable).
    pub fn connect_done(&mut self) -> io::Result<bool> {
        if let Some(e) = self.stream.take_error()? {
            return Err(e);
        }
        match self.stream.peer_addr() {
            Ok(peer) => {
                self.peer = peer;
                if let Ok(local) = self.stream.local_addr() {
                    self.local = local;
                }
                Ok(true)
            }
            Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// `WINHTTP_OPTION_TCP_KEEPALIVE`: TCP keep-alive probes after `idle_ms` without traffic, then
    /// every `interval_ms` (rounded up to whole seconds, the kernel's unit). Best effort.
    pub fn keepalive(&self, idle_ms: u32, interval_ms: u32) {
        let secs = |ms: u32| Duration::from_secs(u64::from(ms.div_ceil(1000).max(1)));
        let ka = socket2::TcpKeepalive::new().with_time(secs(idle_ms));
        #[cfg(any(target_os = "linux", target_vendor = "apple"))]
        let ka = ka.with_interval(secs(interval_ms));
        let _ = socket2::SockRef::from(&self.stream).set_tcp_keepalive(&ka);
    }

    /// The socket's descriptor (for waits).
    pub fn fd(&self) -> std::os::fd::RawFd {
        self.stream.as_raw_fd()
    }

    /// Reads what is there without blocking (`Ok(0)` at EOF; `WouldBlock` when nothing is). Over
    /// TLS this is plaintext: records are read and decrypted until some is there.
    pub fn try_read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.tls.is_some() {
            return self.tls_read(buf);
        }
        loop {
            match (&self.stream).read(buf) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                other => return other,
            }
        }
    }

    /// Writes what fits without blocking. Over TLS, the bytes are taken as plaintext once the
    /// previous records have gone out; their records go out now or at the next call ([`Stream::flush`]).
    pub fn try_write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.tls.is_some() {
            return self.tls_write(buf);
        }
        send(&self.stream, buf)
    }

    /// Sync read: returns at least one byte, or 0 at EOF, waiting on the reactor as needed.
    ///
    /// `timeout` bounds the whole call (a spurious wake-up does not restart it).
    pub fn read(&mut self, buf: &mut [u8], timeout: Option<Duration>, cancel: &Cancel) -> Result<usize, DWORD> {
        let deadline = deadline(timeout);
        loop {
            if cancel.is_cancelled() {
                return Err(ERROR_WINHTTP_OPERATION_CANCELLED);
            }
            match self.try_read(buf) {
                // A cancel shuts the socket down: its EOF or error is the cancellation.
                Ok(0) | Err(_) if cancel.is_cancelled() => return Err(ERROR_WINHTTP_OPERATION_CANCELLED),
                Ok(n) => return Ok(n),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    poll_ready(self.stream.as_raw_fd(), Want::Read, deadline, cancel)?;
                }
                Err(_) => return Err(ERROR_WINHTTP_CONNECTION_ERROR),
            }
        }
    }

    /// Sync write of the whole buffer, waiting on the reactor as needed (`timeout` per wait).
    ///
    /// The timeout restarts whenever bytes go out: a slow but moving upload does not time out.
    pub fn write_all(&mut self, buf: &[u8], timeout: Option<Duration>, cancel: &Cancel) -> Result<(), DWORD> {
        let mut rest = buf;
        let mut deadline_at = deadline(timeout);
        while !rest.is_empty() {
            if cancel.is_cancelled() {
                return Err(ERROR_WINHTTP_OPERATION_CANCELLED);
            }
            match self.try_write(rest) {
                Ok(0) | Err(_) if cancel.is_cancelled() => return Err(ERROR_WINHTTP_OPERATION_CANCELLED),
                Ok(0) => return Err(ERROR_WINHTTP_CONNECTION_ERROR),
                Ok(n) => {
                    rest = &rest[n..];
                    if !rest.is_empty() {
                        deadline_at = deadline(timeout);
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    poll_ready(self.stream.as_raw_fd(), Want::Write, deadline_at, cancel)?;
                }
                Err(_) => return Err(ERROR_WINHTTP_CONNECTION_ERROR),
            }
        }
        loop {
            match self.flush() {
                Ok(true) => return Ok(()),
                Ok(false) => poll_ready(self.stream.as_raw_fd(), Want::Write, deadline_at, cancel)?,
                Err(_) if cancel.is_cancelled() => return Err(ERROR_WINHTTP_OPERATION_CANCELLED),
                Err(_) => return Err(ERROR_WINHTTP_CONNECTION_ERROR),
            }
        }
    }

    /// Bytes that a read can take now without blocking: what the socket holds (`FIONREAD`), or
    /// over TLS the plaintext of the records that arrived (records are taken from the socket and
    /// decrypted inside the session; the caller's read then copies them out once). 0 when nothing
    /// is there yet, at EOF, or on an error (the next read tells which).
    pub fn pending(&mut self) -> usize {
        if let Some(tls) = self.tls.as_deref_mut() {
            let mut sock = Sock(&self.stream);
            loop {
                match tls.conn.process_new_packets() {
                    Ok(state) if state.plaintext_bytes_to_read() > 0 => return state.plaintext_bytes_to_read(),
                    Ok(state) if state.peer_has_closed() => return 0,
                    Ok(_) => {}
                    Err(_) => return 0,
                }
                match tls.conn.read_tls(&mut sock) {
                    Ok(0) | Err(_) => return 0,
                    Ok(_) => {}
                }
            }
        }
        let mut n: libc::c_int = 0;
        // SAFETY: `fd` is our open socket; FIONREAD writes one int.
        let r = unsafe { libc::ioctl(self.stream.as_raw_fd(), libc::FIONREAD, &mut n) };
        if r == 0 { n.max(0) as usize } else { 0 }
    }

    /// One end of a connected socket pair, as a stream (unit tests of the operations: a peer
    /// without a network or a server).
    #[cfg(test)]
    pub fn pair() -> (Stream, std::os::unix::net::UnixStream) {
        let (ours, theirs) = std::os::unix::net::UnixStream::pair().unwrap();
        ours.set_nonblocking(true).unwrap();
        use std::os::fd::{FromRawFd, IntoRawFd};
        // SAFETY: a fresh, owned socket descriptor; mio only reads and writes it.
        let stream = unsafe { mio::net::TcpStream::from_raw_fd(ours.into_raw_fd()) };
        let unspecified = SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0);
        crate::engine::diag::up(&crate::engine::diag::SOCKETS);
        let token = reactor().reserve();
        (
            Stream {
                stream,
                token,
                peer: unspecified,
                local: unspecified,
                registered: false,
                tls: None,
                tls_info: None,
            },
            theirs,
        )
    }

    /// True when the idle connection is still usable: no EOF, no error, no unexpected bytes.
    pub fn is_alive(&mut self) -> bool {
        if self.tls.is_some() {
            return self.tls_is_alive();
        }
        let fd = self.stream.as_raw_fd();
        let mut byte = 0u8;
        loop {
            // SAFETY: `fd` is our open socket; one byte is peeked into `byte`.
            let n = unsafe { libc::recv(fd, (&mut byte as *mut u8).cast(), 1, libc::MSG_PEEK | libc::MSG_DONTWAIT) };
            if n >= 0 {
                // 0: the peer closed; > 0: bytes nobody asked for (a stray response, a TLS alert).
                return false;
            }
            let e = io::Error::last_os_error();
            match e.kind() {
                io::ErrorKind::WouldBlock => return true,
                io::ErrorKind::Interrupted => continue,
                _ => return false,
            }
        }
    }
}

/// TLS over the connection. The handshake is driven step by step like everything else
/// ([`Stream::handshake`]); afterwards `try_read` and `try_write` carry plaintext. Records that could
/// not go out at once stay in the session until [`Stream::flush`] (or the next read or write) sends
/// them, and [`Stream::want`] turns a wait for reading into one for writing while any are left.
impl Stream {
    /// Puts a TLS client session over the connected socket (nothing is sent until `handshake`).
    pub fn start_tls(&mut self, session: super::tls::Session) {
        self.tls = Some(Box::new(session));
    }

    /// True when the connection speaks TLS.
    pub fn is_tls(&self) -> bool {
        self.tls.is_some()
    }

    /// Advances the handshake as far as the socket allows: `Ok(None)` when it is complete (its
    /// [`super::tls::Info`] is then in `tls_info`), `Ok(Some(want))` when it must wait.
    pub fn handshake(&mut self) -> Result<Option<Want>, super::tls::Failure> {
        use super::tls::Failure;
        let Some(tls) = self.tls.as_deref_mut() else {
            return Ok(None);
        };
        let mut sock = Sock(&self.stream);
        loop {
            while tls.conn.wants_write() {
                match tls.conn.write_tls(&mut sock) {
                    Ok(_) => {}
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(Some(Want::Write)),
                    Err(_) => return Err(Failure::Channel),
                }
            }
            if !tls.conn.is_handshaking() {
                self.tls_info = Some(Arc::new(tls.info()));
                return Ok(None);
            }
            match tls.conn.read_tls(&mut sock) {
                Ok(0) => return Err(tls.failure()),
                Ok(_) => {
                    let processed = super::tls::during(tls, |conn| conn.process_new_packets());
                    if tls.client_cert_needed() {
                        return Err(super::tls::Failure::ClientCertNeeded);
                    }
                    if processed.is_err() {
                        // Best effort: let the server know why (the alert rustls queued).
                        let _ = tls.conn.write_tls(&mut sock);
                        return Err(tls.failure());
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(Some(Want::Read)),
                Err(_) => return Err(tls.failure()),
            }
        }
    }

    /// What a wait for `want` must really wait for: writability while TLS records are still
    /// waiting to go out (they must leave before the peer can answer them).
    pub fn want(&self, want: Want) -> Want {
        match &self.tls {
            Some(tls) if tls.conn.wants_write() => Want::Write,
            _ => want,
        }
    }

    /// Sends TLS records still waiting to go out: `Ok(true)` when none is left, `Ok(false)` when the
    /// socket is full. Always `Ok(true)` for plain connections (they buffer nothing).
    pub fn flush(&mut self) -> io::Result<bool> {
        let Some(tls) = self.tls.as_deref_mut() else {
            return Ok(true);
        };
        let mut sock = Sock(&self.stream);
        while tls.conn.wants_write() {
            match tls.conn.write_tls(&mut sock) {
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                Err(e) => return Err(e),
            }
        }
        Ok(true)
    }

    fn tls_write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if !self.flush()? {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let Some(tls) = self.tls.as_deref_mut() else {
            return Ok(0);
        };
        let n = io::Write::write(&mut tls.conn.writer(), &buf[..buf.len().min(TLS_WRITE_CHUNK)])?;
        // The records leave now if they fit; what does not waits for the next flush.
        self.flush()?;
        Ok(n)
    }

    fn tls_read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // Records of ours still waiting (a key update, an alert) go first.
        if !self.flush()? {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let Some(tls) = self.tls.as_deref_mut() else {
            return Ok(0);
        };
        let mut sock = Sock(&self.stream);
        loop {
            match tls.conn.reader().read(buf) {
                Ok(n) => return Ok(n),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                // The peer closed without close_notify: an end of stream as any other (the
                // body's framing decides whether it was complete).
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(0),
                Err(e) => return Err(e),
            }
            match tls.conn.read_tls(&mut sock)? {
                0 => return Ok(0),
                _ => {
                    if let Err(e) = tls.conn.process_new_packets() {
                        let _ = tls.conn.write_tls(&mut sock);
                        return Err(io::Error::new(io::ErrorKind::InvalidData, e));
                    }
                }
            }
        }
    }

    /// `is_alive` over TLS: records that arrived while idle (session tickets, say) are processed;
    /// the connection is dead at EOF, on an error or alert, or when plaintext nobody asked for came.
    fn tls_is_alive(&mut self) -> bool {
        let Some(tls) = self.tls.as_deref_mut() else {
            return false;
        };
        let mut sock = Sock(&self.stream);
        loop {
            match tls.conn.read_tls(&mut sock) {
                Ok(0) => return false,
                Ok(_) => {
                    if tls.conn.process_new_packets().is_err() {
                        return false;
                    }
                    let mut probe = [0u8; 1];
                    match tls.conn.reader().read(&mut probe) {
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                        _ => return false,
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return !tls.conn.wants_write(),
                Err(_) => return false,
            }
        }
    }
}

impl Stream {
    /// Registers the connection with the reactor (once), for waits on the reactor.
    pub fn register(&mut self) -> io::Result<()> {
        if !self.registered {
            reactor().register_as(&mut self.stream, self.token)?;
            self.registered = true;
        }
        Ok(())
    }
}

impl Drop for Stream {
    fn drop(&mut self) {
        // Deregister from the reactor; the socket closes when the stream drops.
        if self.registered {
            reactor().deregister(&mut self.stream, self.token);
        }
        crate::engine::diag::down(&crate::engine::diag::SOCKETS);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::reactor::{self, Wake};
    use std::io::Write;
    use std::net::{TcpListener, TcpStream};
    use std::sync::atomic::Ordering;

    fn listener_v6() -> Option<TcpListener> {
        TcpListener::bind("[::1]:0").ok()
    }

    fn connect_to(host: &str, port: u16) -> Result<Stream, DWORD> {
        let cancel = Cancel::default();
        let addrs = crate::engine::transport::resolve::resolve_blocking(host, port)?;
        Stream::connect(&addrs, Some(Duration::from_secs(5)), &cancel)
    }

    /// A connected client and the accepted server end.
    fn pair() -> (Stream, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let conn = connect_to("127.0.0.1", listener.local_addr().unwrap().port()).unwrap();
        let (server, _) = listener.accept().unwrap();
        (conn, server)
    }

    #[test]
    fn localhost_reaches_v4_and_v6_listeners() {
        let v4 = TcpListener::bind("127.0.0.1:0").unwrap();
        let conn = connect_to("localhost", v4.local_addr().unwrap().port()).unwrap();
        assert_eq!(conn.peer, v4.local_addr().unwrap());
        let (server, _) = v4.accept().unwrap();
        assert_eq!(server.peer_addr().unwrap(), conn.local);
        if let Some(v6) = listener_v6() {
            let conn = connect_to("localhost", v6.local_addr().unwrap().port()).unwrap();
            assert_eq!(conn.peer, v6.local_addr().unwrap());
            let conn = connect_to("[::1]", v6.local_addr().unwrap().port()).unwrap();
            assert!(conn.peer.is_ipv6());
        }
    }

    #[test]
    fn refused_port_fails_fast() {
        let port = {
            let l = TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let start = Instant::now();
        assert_eq!(connect_to("localhost", port).err(), Some(ERROR_WINHTTP_CANNOT_CONNECT));
        assert_eq!(connect_to("127.0.0.1", port).err(), Some(ERROR_WINHTTP_CANNOT_CONNECT));
        assert!(start.elapsed() < Duration::from_millis(500), "{:?}", start.elapsed());
        assert_eq!(Stream::connect(&[], None, &Cancel::default()).err(), Some(ERROR_WINHTTP_CANNOT_CONNECT));
    }

    #[test]
    fn read_write_round_trip() {
        let (mut conn, mut server) = pair();
        let c = Cancel::default();
        conn.write_all(b"ping", Some(Duration::from_secs(2)), &c).unwrap();
        let mut got = [0u8; 4];
        std::io::Read::read_exact(&mut server, &mut got).unwrap();
        assert_eq!(&got, b"ping");
        server.write_all(b"pong").unwrap();
        let mut buf = [0u8; 16];
        let n = conn.read(&mut buf, Some(Duration::from_secs(2)), &c).unwrap();
        assert!(n > 0 && b"pong".starts_with(&buf[..n]));
        drop(server);
        let mut total = n;
        loop {
            let n = conn.read(&mut buf, Some(Duration::from_secs(2)), &c).unwrap();
            if n == 0 {
                break;
            }
            total += n;
        }
        assert_eq!(total, 4);
        assert_eq!(conn.read(&mut buf, Some(Duration::from_secs(2)), &c), Ok(0));
    }

    #[test]
    fn large_write_waits_for_the_peer() {
        let (mut conn, mut server) = pair();
        let data: Vec<u8> = (0..8 * 1024 * 1024).map(|i| (i % 251) as u8).collect();
        let expect = data.clone();
        let reader = std::thread::spawn(move || {
            let mut got = Vec::new();
            std::io::Read::read_to_end(&mut server, &mut got).unwrap();
            got
        });
        conn.write_all(&data, Some(Duration::from_secs(5)), &Cancel::default()).unwrap();
        drop(conn);
        assert!(reader.join().unwrap() == expect);
    }

    #[test]
    fn read_times_out_against_a_silent_peer() {
        let (mut conn, _server) = pair();
        let start = Instant::now();
        let mut buf = [0u8; 16];
        assert_eq!(
            conn.read(&mut buf, Some(Duration::from_millis(200)), &Cancel::default()),
            Err(ERROR_WINHTTP_TIMEOUT)
        );
        let took = start.elapsed();
        assert!(took >= Duration::from_millis(200) && took < Duration::from_millis(800), "{took:?}");
    }

    #[test]
    fn cancel_from_another_thread_wakes_a_blocked_read() {
        let (mut conn, _server) = pair();
        let cancel = Arc::new(Cancel::default());
        let c2 = Arc::clone(&cancel);
        let canceller = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(100));
            let at = Instant::now();
            c2.cancel();
            at
        });
        let mut buf = [0u8; 16];
        let r = conn.read(&mut buf, None, &cancel);
        let woke = Instant::now();
        let at = canceller.join().unwrap();
        assert_eq!(r, Err(ERROR_WINHTTP_OPERATION_CANCELLED));
        assert!(woke.duration_since(at) < Duration::from_millis(100), "{:?}", woke.duration_since(at));
        // Still cancelled afterwards, without waiting.
        assert_eq!(conn.read(&mut buf, None, &cancel), Err(ERROR_WINHTTP_OPERATION_CANCELLED));
    }

    #[test]
    fn cancel_racing_with_a_wait_is_never_missed() {
        for i in 0..200 {
            // A cancel shuts the socket down, so each race gets a connection of its own.
            let (mut conn, _server) = pair();
            let cancel = Arc::new(Cancel::default());
            let c2 = Arc::clone(&cancel);
            let canceller = std::thread::spawn(move || {
                if i % 2 == 0 {
                    std::thread::yield_now();
                }
                c2.cancel();
            });
            let mut buf = [0u8; 16];
            let r = conn.read(&mut buf, Some(Duration::from_secs(2)), &cancel);
            canceller.join().unwrap();
            assert_eq!(r, Err(ERROR_WINHTTP_OPERATION_CANCELLED), "iteration {i}");
        }
        // A pending cancel left behind by the last race must not break a later, uncancelled wait.
        let (mut conn, _server) = pair();
        let mut buf = [0u8; 16];
        assert_eq!(
            conn.read(&mut buf, Some(Duration::from_millis(50)), &Cancel::default()),
            Err(ERROR_WINHTTP_TIMEOUT)
        );
    }

    static SIGPIPES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

    extern "C" fn count_sigpipe(_: libc::c_int) {
        SIGPIPES.fetch_add(1, Ordering::SeqCst);
    }

    #[test]
    fn writing_to_a_closed_peer_is_an_error_not_a_signal() {
        // Rust test binaries ignore SIGPIPE, which would hide the bug: count it instead while
        // this test runs (a C host program has the default action, which kills the process).
        // SAFETY: installs and later restores a handler that only touches an atomic.
        let previous = unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = count_sigpipe as extern "C" fn(libc::c_int) as libc::sighandler_t;
            let mut previous: libc::sigaction = std::mem::zeroed();
            assert_eq!(libc::sigaction(libc::SIGPIPE, &action, &mut previous), 0);
            previous
        };
        let (mut conn, server) = pair();
        drop(server);
        let c = Cancel::default();
        let chunk = vec![0u8; 64 * 1024];
        let mut result = Ok(());
        // The first write may succeed (the RST has not come back yet); later ones hit EPIPE/ECONNRESET.
        for _ in 0..100 {
            result = conn.write_all(&chunk, Some(Duration::from_secs(2)), &c);
            if result.is_err() {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(result, Err(ERROR_WINHTTP_CONNECTION_ERROR));
        // Reading a reset connection is a connection error too (or EOF if the FIN was all we got).
        let mut buf = [0u8; 16];
        let r = conn.read(&mut buf, Some(Duration::from_secs(1)), &c);
        assert!(matches!(r, Err(ERROR_WINHTTP_CONNECTION_ERROR) | Ok(0)), "{r:?}");
        // SAFETY: restores the action saved above.
        unsafe { libc::sigaction(libc::SIGPIPE, &previous, std::ptr::null_mut()) };
        assert_eq!(SIGPIPES.load(Ordering::SeqCst), 0, "a write raised SIGPIPE");
    }

    #[test]
    fn is_alive_detects_a_closed_or_chatty_peer() {
        let (mut conn, server) = pair();
        assert!(conn.is_alive());
        drop(server);
        let start = Instant::now();
        while conn.is_alive() {
            assert!(start.elapsed() < Duration::from_secs(2));
            std::thread::sleep(Duration::from_millis(1));
        }
        let (mut conn, mut server) = pair();
        server.write_all(b"HTTP/1.1 408 Request Timeout\r\n\r\n").unwrap();
        let start = Instant::now();
        while conn.is_alive() {
            assert!(start.elapsed() < Duration::from_secs(2));
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    #[test]
    fn drop_deregisters() {
        let (mut conn, _server) = pair();
        conn.register().unwrap();
        let token = conn.token;
        drop(conn);
        // A token that is no longer registered wakes at once with `Cancelled`.
        assert_eq!(reactor::wait(token, Want::Read, None), Wake::Cancelled);
    }
}

/// What `WINHTTP_OPTION_CONNECTION_STATS_V0`/`V1` report of a connection (`TCP_INFO_v0`/`v1`'s
/// fields, from Linux's `TCP_INFO`; see the README for how each maps).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TcpStats {
    /// A `TCPSTATE_*` value.
    pub state: i32,
    pub mss: u32,
    pub timestamps: bool,
    pub rtt_us: u32,
    pub min_rtt_us: u32,
    pub bytes_in_flight: u32,
    pub cwnd: u32,
    pub snd_wnd: u32,
    pub rcv_wnd: u32,
    pub rcv_buf: u32,
    pub bytes_out: u64,
    pub bytes_in: u64,
    pub bytes_reordered: u32,
    pub bytes_retrans: u32,
    pub fast_retrans: u32,
    pub dup_acks_in: u32,
    pub timeout_episodes: u32,
    /// Milliseconds the sender was limited by the receiver's window and by the send buffer.
    pub rwnd_limited_ms: u32,
    pub sndbuf_limited_ms: u32,
}

/// Linux's `struct tcp_info` (uapi/linux/tcp.h) up to `tcpi_snd_wnd`; an older kernel fills less
/// and leaves the rest 0.
#[cfg(target_os = "linux")]
#[repr(C)]
#[derive(Default)]
struct LinuxTcpInfo {
    state: u8,
    ca_state: u8,
    retransmits: u8,
    probes: u8,
    backoff: u8,
    options: u8,
    wscale: u8,
    flags: u8,
    rto: u32,
    ato: u32,
    snd_mss: u32,
    rcv_mss: u32,
    unacked: u32,
    sacked: u32,
    lost: u32,
    retrans: u32,
    fackets: u32,
    last_data_sent: u32,
    last_ack_sent: u32,
    last_data_recv: u32,
    last_ack_recv: u32,
    pmtu: u32,
    rcv_ssthresh: u32,
    rtt: u32,
    rttvar: u32,
    snd_ssthresh: u32,
    snd_cwnd: u32,
    advmss: u32,
    reordering: u32,
    rcv_rtt: u32,
    rcv_space: u32,
    total_retrans: u32,
    pacing_rate: u64,
    max_pacing_rate: u64,
    bytes_acked: u64,
    bytes_received: u64,
    segs_out: u32,
    segs_in: u32,
    notsent_bytes: u32,
    min_rtt: u32,
    data_segs_in: u32,
    data_segs_out: u32,
    delivery_rate: u64,
    busy_time: u64,
    rwnd_limited: u64,
    sndbuf_limited: u64,
    delivered: u32,
    delivered_ce: u32,
    bytes_sent: u64,
    bytes_retrans: u64,
    dsack_dups: u32,
    reord_seen: u32,
    rcv_ooopack: u32,
    snd_wnd: u32,
}

impl Stream {
    /// The kernel's TCP statistics of this socket (`None` where the system has no `TCP_INFO`).
    #[cfg(target_os = "linux")]
    pub fn tcp_stats(&self) -> Option<TcpStats> {
        let mut info = LinuxTcpInfo::default();
        let mut len = core::mem::size_of::<LinuxTcpInfo>() as libc::socklen_t;
        // SAFETY: `info` is writable for `len` bytes; the kernel writes at most that.
        let r =
            unsafe { libc::getsockopt(self.fd(), libc::IPPROTO_TCP, libc::TCP_INFO, (&raw mut info).cast(), &mut len) };
        if r != 0 {
            return None;
        }
        let mut rcvbuf: libc::c_int = 0;
        let mut blen = core::mem::size_of::<libc::c_int>() as libc::socklen_t;
        // SAFETY: an int to fill.
        unsafe { libc::getsockopt(self.fd(), libc::SOL_SOCKET, libc::SO_RCVBUF, (&raw mut rcvbuf).cast(), &mut blen) };
        // Linux's TCP_* states (include/net/tcp_states.h) as Windows' TCPSTATE.
        let state = match info.state {
            1 => TCPSTATE_ESTABLISHED,
            2 => TCPSTATE_SYN_SENT,
            3 => TCPSTATE_SYN_RCVD,
            4 => TCPSTATE_FIN_WAIT_1,
            5 => TCPSTATE_FIN_WAIT_2,
            6 => TCPSTATE_TIME_WAIT,
            8 => TCPSTATE_CLOSE_WAIT,
            9 => TCPSTATE_LAST_ACK,
            10 => TCPSTATE_LISTEN,
            11 => TCPSTATE_CLOSING,
            _ => TCPSTATE_CLOSED,
        };
        let clamp = |v: u64| u32::try_from(v).unwrap_or(u32::MAX);
        Some(TcpStats {
            state,
            mss: info.snd_mss,
            timestamps: info.options & 1 != 0, // TCPI_OPT_TIMESTAMPS
            rtt_us: info.rtt,
            min_rtt_us: info.min_rtt,
            bytes_in_flight: info.unacked.saturating_mul(info.snd_mss),
            cwnd: info.snd_cwnd.saturating_mul(info.snd_mss),
            snd_wnd: info.snd_wnd,
            rcv_wnd: info.rcv_space,
            rcv_buf: u32::try_from(rcvbuf).unwrap_or(0),
            bytes_out: info.bytes_sent.max(info.bytes_acked),
            bytes_in: info.bytes_received,
            bytes_reordered: info.reord_seen,
            bytes_retrans: clamp(info.bytes_retrans),
            fast_retrans: info.total_retrans,
            dup_acks_in: info.dsack_dups,
            timeout_episodes: u32::from(info.backoff),
            rwnd_limited_ms: clamp(info.rwnd_limited / 1000),
            sndbuf_limited_ms: clamp(info.sndbuf_limited / 1000),
        })
    }

    /// The kernel's TCP statistics of this socket (`None` where the system has no `TCP_INFO`).
    #[cfg(not(target_os = "linux"))]
    pub fn tcp_stats(&self) -> Option<TcpStats> {
        None
    }
}

#[cfg(test)]
mod option_tests {
    use super::*;

    fn connected() -> (Stream, std::net::TcpStream) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let stream = Stream::connect(&[listener.local_addr().unwrap()], None, &Cancel::default()).unwrap();
        let (server, _) = listener.accept().unwrap();
        (stream, server)
    }

    #[test]
    fn keepalive_reaches_the_socket() {
        let (stream, _server) = connected();
        let sock = socket2::SockRef::from(&stream.stream);
        assert!(!sock.keepalive().unwrap());
        stream.keepalive(2500, 1000);
        assert!(sock.keepalive().unwrap());
        #[cfg(target_os = "linux")]
        {
            assert_eq!(sock.keepalive_time().unwrap(), Duration::from_secs(3));
            assert_eq!(sock.keepalive_interval().unwrap(), Duration::from_secs(1));
        }
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn tcp_stats_of_a_live_connection() {
        let (mut stream, mut server) = connected();
        std::io::Write::write_all(&mut server, b"hello").unwrap();
        let mut buf = [0u8; 5];
        let mut got = 0;
        while got < 5 {
            match stream.try_read(&mut buf[got..]) {
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => std::thread::sleep(Duration::from_millis(1)),
                Err(e) => panic!("{e}"),
            }
        }
        let s = stream.tcp_stats().expect("TCP_INFO");
        assert_eq!(s.state, TCPSTATE_ESTABLISHED);
        assert!(s.mss > 0);
        assert!(s.bytes_in >= 5, "{s:?}");
    }
}
