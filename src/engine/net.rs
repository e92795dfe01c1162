//! Sockets: name resolution, non-blocking connects that try every address, and a connection
//! (a registered non-blocking TCP stream) with sync helpers that wait on the reactor.
//!
//! Errors are WinHTTP codes: `ERROR_WINHTTP_NAME_NOT_RESOLVED`, `ERROR_WINHTTP_CANNOT_CONNECT`,
//! `ERROR_WINHTTP_TIMEOUT`, `ERROR_WINHTTP_CONNECTION_ERROR`, `ERROR_WINHTTP_OPERATION_CANCELLED`.

use super::reactor::Token;
use crate::abi::DWORD;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

/// Shared between an operation and `WinHttpCloseHandle`: set when the handle is closed, so a
/// waiting call returns `ERROR_WINHTTP_OPERATION_CANCELLED` promptly.
#[derive(Default)]
pub struct Cancel {
    pub cancelled: AtomicBool,
    /// The token a sync call is currently waiting on (`usize::MAX` when none).
    pub waiting_on: std::sync::atomic::AtomicUsize,
}

impl Cancel {
    /// Marks the operation cancelled and wakes it if it is waiting on the reactor.
    pub fn cancel(&self) {
        unimplemented!()
    }

    pub fn is_cancelled(&self) -> bool {
        unimplemented!()
    }
}

/// Converts a WinHTTP timeout in ms (0 and 0xFFFFFFFF mean infinite) to a duration.
pub fn timeout(ms: DWORD) -> Option<Duration> {
    let _ = ms;
    unimplemented!()
}

/// Resolves `host` (a name, an IPv4 literal, or an IPv6 literal with or without brackets) to every
/// address, IPv6 and IPv4, without blocking the reactor. `timeout` bounds the lookup.
pub fn resolve(host: &str, port: u16, timeout: Option<Duration>, cancel: &Cancel) -> Result<Vec<SocketAddr>, DWORD> {
    let _ = (host, port, timeout, cancel);
    unimplemented!()
}

/// A connected, non-blocking TCP stream registered with the reactor.
pub struct Conn {
    pub stream: mio::net::TcpStream,
    pub token: Token,
    pub peer: SocketAddr,
    pub local: SocketAddr,
    /// The pool slot this connection occupies (see `pool::Permit`).
    pub(crate) slot: Option<super::pool::Permit>,
}

impl Conn {
    /// Connects to the first address that accepts, trying each in turn (a refused port fails
    /// fast). `timeout` bounds each attempt.
    pub fn connect(addrs: &[SocketAddr], timeout: Option<Duration>, cancel: &Cancel) -> Result<Conn, DWORD> {
        let _ = (addrs, timeout, cancel);
        unimplemented!()
    }

    /// Reads what is there without blocking (`Ok(0)` at EOF; `WouldBlock` when nothing is).
    pub fn try_read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let _ = buf;
        unimplemented!()
    }

    /// Writes what fits without blocking.
    pub fn try_write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let _ = buf;
        unimplemented!()
    }

    /// Sync read: returns at least one byte, or 0 at EOF, waiting on the reactor as needed.
    pub fn read(&mut self, buf: &mut [u8], timeout: Option<Duration>, cancel: &Cancel) -> Result<usize, DWORD> {
        let _ = (buf, timeout, cancel);
        unimplemented!()
    }

    /// Sync write of the whole buffer, waiting on the reactor as needed (`timeout` per wait).
    pub fn write_all(&mut self, buf: &[u8], timeout: Option<Duration>, cancel: &Cancel) -> Result<(), DWORD> {
        let _ = (buf, timeout, cancel);
        unimplemented!()
    }

    /// True when the idle connection is still usable: no EOF, no error, no unexpected bytes.
    pub fn is_alive(&mut self) -> bool {
        unimplemented!()
    }
}

impl Drop for Conn {
    fn drop(&mut self) {
        // Deregister from the reactor; the socket closes when the stream drops.
    }
}

/// Keeps `Cancel` and `Conn` in one place for the request state machine.
pub type SharedCancel = Arc<Cancel>;
