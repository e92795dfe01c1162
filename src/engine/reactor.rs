//! The reactor: one thread owning a `mio::Poll`, the only place that waits for socket readiness.
//!
//! An operation that would block parks here with a wake-up function. The reactor calls it (on
//! the reactor thread) when the socket becomes ready, the deadline passes, or the operation is
//! cancelled. A wake-up function must be quick and must never run user code: it unparks a waiting
//! thread (sync calls) or hands work to the completion pool (async calls). The reactor never blocks
//! on anything but `poll`.

use std::io;
use std::time::Instant;

/// Why a parked operation was woken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wake {
    /// The socket may be ready for the interest it parked with (readiness is a hint: retry the
    /// syscall, and park again on `WouldBlock`).
    Ready,
    /// The deadline passed first.
    TimedOut,
    /// `cancel` was called for the token.
    Cancelled,
}

/// What a parked operation waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Want {
    Read,
    Write,
}

/// A registered socket's key in the reactor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Token(pub usize);

/// The process-wide reactor (started on first use).
pub struct Reactor {
    _private: (),
}

/// The reactor, started on first use.
pub fn reactor() -> &'static Reactor {
    unimplemented!()
}

impl Reactor {
    /// Registers a socket (readable and writable interest, edge-triggered) and returns its token.
    pub fn register(&self, source: &mut mio::net::TcpStream) -> io::Result<Token> {
        let _ = source;
        unimplemented!()
    }

    /// Deregisters a socket; a parked waiter for it is woken with `Cancelled`.
    pub fn deregister(&self, source: &mut mio::net::TcpStream, token: Token) {
        let _ = (source, token);
        unimplemented!()
    }

    /// Parks a waiter: `wake` runs exactly once, on the reactor thread (or on the calling thread
    /// when `cancel` races with it), when `token` becomes ready for `want`, at `deadline`, or on
    /// `cancel`. Readiness that arrived before `park` is not lost. At most one waiter per token.
    pub fn park(&self, token: Token, want: Want, deadline: Option<Instant>, wake: Box<dyn FnOnce(Wake) + Send>) {
        let _ = (token, want, deadline, wake);
        unimplemented!()
    }

    /// Wakes the waiter parked on `token`, if any, with `Wake::Cancelled`.
    pub fn cancel(&self, token: Token) {
        let _ = token;
        unimplemented!()
    }
}

/// Blocks the calling thread until `token` is ready for `want`, `deadline` passes, or the wait is
/// cancelled (`reactor().cancel(token)`). The synchronous calls' way of waiting.
pub fn wait(token: Token, want: Want, deadline: Option<Instant>) -> Wake {
    let _ = (token, want, deadline);
    unimplemented!()
}
