//! WebSocket handles (`WinHttpWebSocketCompleteUpgrade`): the connection a request handed over after
//! its 101, the sans-IO codec (`proto::ws::WebSocket`) over it, and what is in flight in each
//! direction. The operations on it are in `engine::ops::websocket`.
//!
//! One lock (`io`) guards the connection and the codec; an operation holds it only for its
//! non-blocking steps, so a receive and a send (from different threads, or parked on the reactor in
//! both directions at once) share the socket. Waits happen outside the lock.

use super::handle::{HandleCore, lock};
use crate::abi::*;
use crate::engine::conn::Connection;
use crate::engine::pool::Permit;
use crate::proto::ws;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// The connection and the protocol state: held by one step at a time.
pub struct Io {
    /// `None` once the connection was closed (after the close handshake, a failure or an abort).
    pub conn: Option<Box<Connection>>,
    pub codec: ws::WebSocket,
    /// Bytes queued for sending since the start, and bytes written: a send is complete when
    /// `written` reaches the end of its frame.
    pub queued: u64,
    pub written: u64,
    /// The error every later operation gets once the connection failed.
    pub failed: Option<DWORD>,
}

impl Io {
    /// Queues bytes the codec made (its output grew by `before..now`); returns the end offset.
    pub fn account(&mut self, before: usize) -> u64 {
        let now = self.codec.output().len();
        self.queued += (now - before) as u64;
        self.queued
    }

    /// Writes queued output without blocking: `Ok(true)` when all of it (and the TLS records)
    /// went out, `Ok(false)` when the socket is full.
    pub fn flush(&mut self) -> Result<bool, DWORD> {
        let Some(conn) = self.conn.as_mut() else { return Err(ERROR_WINHTTP_CONNECTION_ERROR) };
        while !self.codec.output().is_empty() {
            match conn.stream.try_write(self.codec.output()) {
                Ok(0) => return Err(ERROR_WINHTTP_CONNECTION_ERROR),
                Ok(n) => {
                    self.codec.consume_output(n);
                    self.written += n as u64;
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return Ok(false),
                Err(_) => return Err(ERROR_WINHTTP_CONNECTION_ERROR),
            }
        }
        match conn.stream.flush() {
            Ok(done) => Ok(done),
            Err(_) => Err(ERROR_WINHTTP_CONNECTION_ERROR),
        }
    }

    /// The connection failed: every later operation gets `code`, and the socket is closed.
    pub fn fail(&mut self, code: DWORD) -> DWORD {
        self.failed.get_or_insert(code);
        self.conn = None;
        code
    }
}

/// What runs on a WebSocket handle, and its close.
#[derive(Default)]
pub struct Activity {
    /// A receive in flight (`WinHttpWebSocketReceive`, or the receiving half of a close).
    pub receiving: bool,
    /// A send, shutdown or close frame in flight.
    pub sending: bool,
    /// `WinHttpWebSocketClose` in flight.
    pub closing_op: bool,
    /// `WinHttpWebSocketShutdown` or `Close` was called: no more sends.
    pub shut: bool,
    /// A shutdown whose `SHUTDOWN_COMPLETE` has not been delivered yet: the server's answering
    /// close waits for it, so the receive's `READ_COMPLETE` comes after.
    pub shutting: bool,
    /// Completions being delivered.
    pub delivering: u32,
    /// `WinHttpCloseHandle` was called, and whether `HANDLE_CLOSING` went out.
    pub closed: bool,
    closing_sent: bool,
}

impl Activity {
    fn closing_due(&mut self) -> bool {
        let due = self.closed && !self.receiving && !self.sending && self.delivering == 0 && !self.closing_sent;
        if due {
            self.closing_sent = true;
        }
        due
    }
}

/// Per-handle values set by options.
#[derive(Clone, Copy, Debug)]
pub struct WsSettings {
    pub send_timeout: DWORD,
    pub close_timeout: DWORD,
    pub receive_buffer: DWORD,
    pub send_buffer: DWORD,
    /// `WINHTTP_OPTION_WEB_SOCKET_KEEPALIVE_INTERVAL` in ms (0: none).
    pub keepalive: DWORD,
}

/// A WebSocket handle's object.
pub struct WebSocket {
    pub core: Arc<HandleCore>,
    /// Counted with the requests in `WINHTTP_OPTION_PORTABLE_DIAGNOSTICS` (no counter of its own).
    _live: crate::engine::diag::Live,
    pub is_async: bool,
    pub io: Mutex<Io>,
    pub activity: Mutex<Activity>,
    /// Set to cancel the receive (or the close) in flight / the send in flight.
    pub cancel_receive: AtomicBool,
    pub cancel_send: AtomicBool,
    pub settings: Mutex<WsSettings>,
    /// The request's pool slot (a WebSocket counts against `MAX_CONNS_PER_SERVER`).
    _permit: Option<Permit>,
    /// The reactor token whose deadline times the keep-alive pings, once the interval is set.
    pub keepalive: Mutex<Option<crate::engine::reactor::Token>>,
    /// An async receive parked on the reactor (an `ops::websocket::Op`): `WinHttpWebSocketClose`
    /// takes it from here to end it on its own thread, before the close goes on.
    pub parked_receive: Mutex<Option<Box<dyn std::any::Any + Send>>>,
}

impl WebSocket {
    /// A WebSocket over `conn` (its read buffer holds what arrived after the 101), under the
    /// request's connect handle, with the request's callback and `context`.
    pub fn new(
        request_core: &Arc<HandleCore>,
        connect_core: &Arc<HandleCore>,
        context: DWORD_PTR,
        is_async: bool,
        mut conn: Box<Connection>,
        permit: Option<Permit>,
        settings: WsSettings,
    ) -> Result<WebSocket, DWORD> {
        let core = HandleCore::inherit(connect_core)?;
        core.callback.replace(request_core.callback.get());
        core.set_context(context);
        if is_async {
            conn.stream.register().map_err(|_| ERROR_WINHTTP_INTERNAL_ERROR)?;
        }
        let codec = ws::WebSocket::new(random_mask);
        Ok(WebSocket {
            core: Arc::new(core),
            _live: crate::engine::diag::Live::new(&crate::engine::diag::REQUESTS),
            is_async,
            io: Mutex::new(Io { conn: Some(conn), codec, queued: 0, written: 0, failed: None }),
            activity: Mutex::new(Activity::default()),
            cancel_receive: AtomicBool::new(false),
            cancel_send: AtomicBool::new(false),
            settings: Mutex::new(settings),
            _permit: permit,
            keepalive: Mutex::new(None),
            parked_receive: Mutex::new(None),
        })
    }

    pub fn io(&self) -> MutexGuard<'_, Io> {
        lock(&self.io)
    }

    pub fn activity(&self) -> MutexGuard<'_, Activity> {
        lock(&self.activity)
    }

    pub fn settings(&self) -> WsSettings {
        *lock(&self.settings)
    }

    /// Applies a change to the activity, then sends `HANDLE_CLOSING` if it is due now.
    pub fn settle(&self, change: impl FnOnce(&mut Activity)) {
        let due = {
            let mut a = self.activity();
            change(&mut a);
            a.closing_due()
        };
        if due {
            // The socket closes with the object; nothing more goes to the callback.
            self.io().conn = None;
            self.core.notify_closing();
        }
    }

    /// `WinHttpCloseHandle`: cancels what is in flight (each gets `OPERATION_CANCELLED`), then
    /// `HANDLE_CLOSING` once those have been delivered.
    pub fn close(&self) {
        self.cancel_receive.store(true, Ordering::SeqCst);
        self.cancel_send.store(true, Ordering::SeqCst);
        self.wake_all();
        if let Some(token) = lock(&self.keepalive).take() {
            crate::engine::reactor::reactor().release(token);
        }
        self.settle(|a| a.closed = true);
    }

    /// Wakes every operation parked on the reactor for this socket (each re-checks its flag).
    pub fn wake_all(&self) {
        let token = self.io().conn.as_ref().map(|c| c.stream.token);
        if let Some(token) = token {
            crate::engine::reactor::reactor().cancel(token);
        }
    }

    pub fn is_closed(&self) -> bool {
        self.activity().closed
    }
}

/// A masking key from the system's random source (RFC 6455 §5.3: unpredictable per frame).
fn random_mask() -> [u8; 4] {
    use ring::rand::SecureRandom;
    let mut b = [0u8; 4];
    ring::rand::SystemRandom::new().fill(&mut b).expect("the system random source");
    b
}
