//! The WebSocket operations: `WinHttpWebSocketReceive`, `Send`, `Shutdown` and `Close` as resumable
//! steps over a [`WebSocket`]'s connection and codec, and their drivers: sync (waits with `poll(2)` on
//! the calling thread) and async (parks on the reactor, one waiter per direction, and continues on a
//! completion thread). A receive and a send can be in flight at once; one of each at a time.
//!
//! Steps hold the WebSocket's I/O lock only while they make non-blocking calls.

use crate::abi::*;
use crate::engine::cancel;
use crate::engine::completion;
use crate::engine::objects::websocket::{Activity, Io, WebSocket};
use crate::engine::reactor::{Wake, Want, reactor};
use crate::engine::transport::tcp::poll_sliced;
use crate::proto::ws::{BufferType, Eof, Event};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// What a finished operation reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Done {
    /// Bytes received into the caller's buffer and their buffer type.
    Read(DWORD, BufferType),
    /// A send of this many bytes of this type.
    Wrote(DWORD, BufferType),
    Shutdown,
    Closed,
}

/// One WebSocket call in flight.
pub enum Op {
    /// Receiving into the caller's buffer.
    Receive {
        buf: *mut u8,
        len: usize,
        written: usize,
    },
    /// Writing queued frames until `end` (the end of our frame in the output stream).
    Send {
        end: u64,
        len: DWORD,
        ty: BufferType,
    },
    Shutdown {
        end: u64,
    },
    /// Sending our close frame (to `end`), then reading until the server's.
    Close {
        end: u64,
        deadline: Option<Instant>,
    },
}

// SAFETY: the raw pointer is the caller's receive buffer, valid until the operation completes by
// the API's contract; nothing else in an `Op` is tied to a thread.
unsafe impl Send for Op {}

/// A step's result.
enum Step {
    Done(Done),
    /// Wait for the socket to be ready for `Want`, at most this long (0: no limit).
    Wait(Want, DWORD),
}

impl Op {
    /// `WINHTTP_WEB_SOCKET_*_OPERATION` for `REQUEST_ERROR`.
    fn operation(&self) -> WINHTTP_WEB_SOCKET_OPERATION {
        match self {
            Op::Receive { .. } => WINHTTP_WEB_SOCKET_RECEIVE_OPERATION,
            Op::Send { .. } => WINHTTP_WEB_SOCKET_SEND_OPERATION,
            Op::Shutdown { .. } => WINHTTP_WEB_SOCKET_SHUTDOWN_OPERATION,
            Op::Close { .. } => WINHTTP_WEB_SOCKET_CLOSE_OPERATION,
        }
    }

    fn cancelled(&self, ws: &WebSocket) -> bool {
        match self {
            Op::Receive { .. } => ws.cancel_receive.load(Ordering::SeqCst),
            _ => ws.cancel_send.load(Ordering::SeqCst),
        }
    }

    /// Frees what the operation held in the activity.
    fn release(&self, a: &mut Activity) {
        match self {
            Op::Receive { .. } => a.receiving = false,
            Op::Send { .. } | Op::Shutdown { .. } => a.sending = false,
            Op::Close { .. } => {
                a.receiving = false;
                a.sending = false;
                a.closing_op = false;
            }
        }
    }

    fn step(&mut self, ws: &WebSocket) -> Result<Step, DWORD> {
        let mut io = ws.io();
        if let Some(e) = io.failed {
            return Err(e);
        }
        match self {
            Op::Receive { buf, len, written } => {
                // SAFETY: the caller's buffer, `len` writable bytes until completion.
                let out = unsafe { core::slice::from_raw_parts_mut(buf.add(*written), *len - *written) };
                match read_frames(&mut io, out)? {
                    Received::Piece(n, event) => {
                        *written += n;
                        let total = *written as DWORD;
                        match event {
                            Some(Event::Data(ty)) => Ok(Step::Done(Done::Read(total, ty))),
                            Some(Event::Close(_)) => {
                                close_if_done(&mut io);
                                Ok(Step::Done(Done::Read(0, BufferType::Close)))
                            }
                            // What has arrived of a message that goes on (Windows returns it).
                            None if total > 0 => {
                                let ty = io.codec.receiver().partial_type().unwrap_or(BufferType::BinaryFragment);
                                Ok(Step::Done(Done::Read(total, ty)))
                            }
                            None => Ok(Step::Wait(Want::Read, 0)),
                        }
                    }
                }
            }
            Op::Send { end, len, ty } => {
                if io.flush()? || io.written >= *end {
                    Ok(Step::Done(Done::Wrote(*len, *ty)))
                } else {
                    Ok(Step::Wait(Want::Write, ws.settings().send_timeout))
                }
            }
            Op::Shutdown { end } => {
                if io.flush()? || io.written >= *end {
                    close_if_done(&mut io);
                    Ok(Step::Done(Done::Shutdown))
                } else {
                    Ok(Step::Wait(Want::Write, ws.settings().send_timeout))
                }
            }
            Op::Close { end, deadline } => {
                let timeout = ws.settings().close_timeout;
                if deadline.is_none() {
                    *deadline = cancel::deadline(cancel::timeout(timeout));
                }
                let left = match *deadline {
                    Some(d) => {
                        let ms = d.saturating_duration_since(Instant::now()).as_millis();
                        if ms == 0 {
                            io.fail(ERROR_WINHTTP_TIMEOUT);
                            return Err(ERROR_WINHTTP_TIMEOUT);
                        }
                        ms.min(u128::from(DWORD::MAX - 1)) as DWORD
                    }
                    None => 0,
                };
                if io.written < *end {
                    let flushed = io.flush()?;
                    if !flushed && io.written < *end {
                        return Ok(Step::Wait(Want::Write, left));
                    }
                }
                // Our close is out: data still arriving is dropped, until the server's close.
                let mut scratch = [0u8; 4096];
                while io.codec.close_received().is_none() {
                    match read_frames(&mut io, &mut scratch) {
                        Ok(Received::Piece(_, Some(Event::Close(_)))) => break,
                        Ok(Received::Piece(_, Some(_))) => {}
                        Ok(Received::Piece(_, None)) => return Ok(Step::Wait(Want::Read, left)),
                        // The server dropped the connection after our close: closed all the same.
                        Err(ERROR_WINHTTP_CONNECTION_ERROR) if io.codec.close_sent() => break,
                        Err(e) => return Err(e),
                    }
                }
                let _ = io.flush();
                io.conn = None;
                Ok(Step::Done(Done::Closed))
            }
        }
    }
}

enum Received {
    /// Bytes written into the buffer and why the read stopped (`None`: it needs more input, and
    /// the socket had nothing more now).
    Piece(usize, Option<Event>),
}

/// Reads frames into `out` from the buffered bytes, then from the socket while it has any.
fn read_frames(io: &mut Io, out: &mut [u8]) -> Result<Received, DWORD> {
    let mut total = 0;
    loop {
        let Io { conn, codec, .. } = &mut *io;
        let Some(conn) = conn.as_mut() else { return Err(ERROR_WINHTTP_CONNECTION_ERROR) };
        let before = codec.output().len();
        let r = codec.receive(conn.rbuf.bytes(), &mut out[total..]);
        io.account(before);
        let read = match r {
            Ok(read) => read,
            Err(e) => {
                // The close frame with the error's status goes out if it can, then the connection.
                let _ = io.flush();
                return Err(io.fail(e.code()));
            }
        };
        let Io { conn, codec, .. } = &mut *io;
        let conn = conn.as_mut().expect("checked above");
        conn.rbuf.consume(read.consumed);
        total += read.written;
        // A pong (or the close after an error) goes out now if the socket takes it.
        if !codec.output().is_empty() {
            let _ = io.flush();
        }
        if read.event.is_some() {
            return Ok(Received::Piece(total, read.event));
        }
        // The buffered bytes are used up: read what the socket has now, and go on filling the
        // caller's buffer; what has arrived is returned when the socket has nothing more.
        let Io { conn, codec, .. } = &mut *io;
        let conn = conn.as_mut().ok_or(ERROR_WINHTTP_CONNECTION_ERROR)?;
        match conn.try_fill() {
            Ok(Some(0)) if total > 0 => return Ok(Received::Piece(total, None)),
            Ok(Some(0)) => {
                return Err(match codec.receiver().eof() {
                    Eof::AfterClose => ERROR_INVALID_OPERATION,
                    Eof::BetweenMessages | Eof::MidMessage => io.fail(ERROR_WINHTTP_CONNECTION_ERROR),
                });
            }
            Ok(Some(_)) => {}
            Ok(None) => return Ok(Received::Piece(total, None)),
            Err(_) if total > 0 => return Ok(Received::Piece(total, None)),
            Err(_) => return Err(io.fail(ERROR_WINHTTP_CONNECTION_ERROR)),
        }
    }
}

/// Both close frames have been exchanged: the TCP connection closes once our output is out.
fn close_if_done(io: &mut Io) {
    if io.codec.is_closed() && io.flush().unwrap_or(true) {
        io.conn = None;
    }
}

/// The sync driver: steps on the calling thread, waiting with `poll(2)` in between (in slices, so a
/// cancel from another thread is seen without touching the socket the other direction uses).
pub fn run(ws: &WebSocket, op: &mut Op) -> Result<Done, DWORD> {
    loop {
        if op.cancelled(ws) {
            return Err(ERROR_WINHTTP_OPERATION_CANCELLED);
        }
        let (want, timeout) = match op.step(ws)? {
            Step::Done(d) => return Ok(d),
            Step::Wait(want, timeout) => (want, timeout),
        };
        let Some((fd, want)) = ws.io().conn.as_ref().map(|c| (c.stream.fd(), c.want(want))) else {
            return Err(ERROR_WINHTTP_CONNECTION_ERROR);
        };
        let deadline = cancel::deadline(cancel::timeout(timeout));
        poll_sliced(fd, want, deadline, || op.cancelled(ws).then_some(Err(ERROR_WINHTTP_OPERATION_CANCELLED)))?;
    }
}

/// How an async operation ended as the exported call sees it.
pub enum Started {
    /// Sync: the result.
    Done(Done),
    /// Async: completed or failed on this thread (its callback has run), or to complete later.
    Async,
}

thread_local! {
    static DEPTH: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

const MAX_INLINE_DEPTH: u32 = 3;

/// Runs `op` (whose activity slot the caller has taken) the way the handle's mode says.
pub fn execute(ws: &Arc<WebSocket>, mut op: Op) -> Result<Started, DWORD> {
    if !ws.is_async {
        let r = run(ws, &mut op);
        ws.settle(|a| {
            op.release(a);
            a.shutting = false;
        });
        return r.map(Started::Done);
    }
    drive(ws.clone(), op, true);
    Ok(Started::Async)
}

/// The async driver: steps until done or blocked, then parks on the reactor.
fn drive(ws: Arc<WebSocket>, mut op: Op, inline: bool) {
    let r = if op.cancelled(&ws) { Err(ERROR_WINHTTP_OPERATION_CANCELLED) } else { op.step(&ws) };
    let r = match r {
        Ok(Step::Wait(want, timeout)) => {
            let parked = ws.io().conn.as_ref().map(|c| (c.stream.token, c.want(want)));
            match parked {
                Some((token, want)) => {
                    park(ws, op, token, want, timeout);
                    return;
                }
                None => Err(ERROR_WINHTTP_CONNECTION_ERROR),
            }
        }
        Ok(Step::Done(d)) => Ok(d),
        Err(e) => Err(e),
    };
    if inline && DEPTH.get() >= MAX_INLINE_DEPTH {
        completion::submit(move || complete(&ws, &op, r));
    } else {
        complete(&ws, &op, r);
    }
}

fn park(ws: Arc<WebSocket>, op: Op, token: crate::engine::reactor::Token, want: Want, timeout: DWORD) {
    let deadline = cancel::deadline(cancel::timeout(timeout));
    let check = ws.clone();
    let cancelled = op.cancelled(&ws);
    // A receive waits in the WebSocket, where a close can take it; the others in the wake-up.
    let (op, slot) = if matches!(op, Op::Receive { .. }) {
        *crate::engine::objects::handle::lock(&ws.parked_receive) = Some(Box::new(op));
        (None, true)
    } else {
        (Some(op), false)
    };
    reactor().park(
        token,
        want,
        deadline,
        Box::new(move |wake| {
            completion::submit(move || {
                let op = if slot { take_parked(&ws) } else { op };
                // Taken by a close already: it ended the receive.
                let Some(op) = op else { return };
                match wake {
                    Wake::TimedOut => {
                        ws.io().fail(ERROR_WINHTTP_TIMEOUT);
                        complete(&ws, &op, Err(ERROR_WINHTTP_TIMEOUT));
                    }
                    Wake::Ready | Wake::Cancelled => drive(ws, op, false),
                }
            })
        }),
    );
    // A cancel between the check in `drive` and the park: wake it now.
    if cancelled || check.cancel_receive.load(Ordering::SeqCst) || check.cancel_send.load(Ordering::SeqCst) {
        reactor().cancel(token);
    }
}

/// The receive parked in the WebSocket, if it is still there.
fn take_parked(ws: &WebSocket) -> Option<Op> {
    let parked = crate::engine::objects::handle::lock(&ws.parked_receive).take()?;
    parked.downcast::<Op>().ok().map(|op| *op)
}

/// Ends the operation and delivers its completion, or `REQUEST_ERROR`.
fn complete(ws: &Arc<WebSocket>, op: &Op, r: Result<Done, DWORD>) {
    if matches!(r, Ok(Done::Read(_, BufferType::Close))) {
        // The close answering a shutdown is reported after SHUTDOWN_COMPLETE (which the shutdown's
        // own thread is about to deliver).
        let start = Instant::now();
        while ws.activity().shutting && start.elapsed() < Duration::from_secs(5) {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    {
        let mut a = ws.activity();
        op.release(&mut a);
        a.delivering += 1;
    }
    DEPTH.set(DEPTH.get() + 1);
    notify(ws, op, r);
    DEPTH.set(DEPTH.get() - 1);
    ws.settle(|a| {
        a.delivering -= 1;
        if matches!(op, Op::Shutdown { .. }) {
            a.shutting = false;
        }
    });
}

fn notify(ws: &WebSocket, op: &Op, r: Result<Done, DWORD>) {
    let status_size = core::mem::size_of::<WINHTTP_WEB_SOCKET_STATUS>() as DWORD;
    match r {
        Ok(Done::Read(n, ty)) | Ok(Done::Wrote(n, ty)) => {
            let status = if matches!(op, Op::Receive { .. }) {
                WINHTTP_CALLBACK_STATUS_READ_COMPLETE
            } else {
                WINHTTP_CALLBACK_STATUS_WRITE_COMPLETE
            };
            let mut s = WINHTTP_WEB_SOCKET_STATUS { dwBytesTransferred: n, eBufferType: ty.raw() };
            // SAFETY: `s` lives for the duration of the call.
            unsafe { ws.core.notify(status, (&raw mut s).cast(), status_size) }
        }
        // SAFETY: NULL payloads.
        Ok(Done::Shutdown) => unsafe {
            ws.core.notify(WINHTTP_CALLBACK_STATUS_SHUTDOWN_COMPLETE, core::ptr::null_mut(), 0)
        },
        // SAFETY: as above.
        Ok(Done::Closed) => unsafe { ws.core.notify(WINHTTP_CALLBACK_STATUS_CLOSE_COMPLETE, core::ptr::null_mut(), 0) },
        Err(e) => request_error(ws, op.operation(), e),
    }
}

/// `REQUEST_ERROR` with a `WINHTTP_WEB_SOCKET_ASYNC_RESULT`.
pub fn request_error(ws: &WebSocket, operation: WINHTTP_WEB_SOCKET_OPERATION, error: DWORD) {
    let mut r = WINHTTP_WEB_SOCKET_ASYNC_RESULT {
        AsyncResult: WINHTTP_ASYNC_RESULT { dwResult: 0, dwError: error },
        Operation: operation,
    };
    let len = core::mem::size_of::<WINHTTP_WEB_SOCKET_ASYNC_RESULT>() as DWORD;
    // SAFETY: `r` lives for the duration of the call.
    unsafe { ws.core.notify(WINHTTP_CALLBACK_STATUS_REQUEST_ERROR, (&raw mut r).cast(), len) }
}

// ---- the calls -----------------------------------------------------------------------------

/// `WinHttpWebSocketSend`.
///
/// # Safety
/// `data` is valid for `len` bytes for the duration of the call (it is copied into a frame).
pub unsafe fn send(ws: &Arc<WebSocket>, ty: BufferType, data: *const u8, len: usize) -> Result<Started, DWORD> {
    if ty == BufferType::Close {
        return Err(ERROR_INVALID_PARAMETER);
    }
    begin(ws, |a| {
        if a.shut || a.closing_op || a.sending {
            return Err(ERROR_INVALID_OPERATION);
        }
        a.sending = true;
        Ok(())
    })?;
    let queued = {
        let mut io = ws.io();
        let data = if len == 0 { &[][..] } else { unsafe { core::slice::from_raw_parts(data, len) } };
        match io.failed {
            Some(e) => Err(e),
            None => {
                let before = io.codec.output().len();
                io.codec.send(ty, data).map(|()| io.account(before)).map_err(|e| e.code())
            }
        }
    };
    let end = match queued {
        Ok(end) => end,
        Err(e) => {
            ws.settle(|a| a.sending = false);
            return Err(e);
        }
    };
    execute(ws, Op::Send { end, len: len as DWORD, ty })
}

/// `WinHttpWebSocketReceive`.
pub fn receive(ws: &Arc<WebSocket>, buf: *mut u8, len: usize) -> Result<Started, DWORD> {
    begin(ws, |a| {
        if a.receiving || a.closing_op {
            return Err(ERROR_INVALID_OPERATION);
        }
        a.receiving = true;
        Ok(())
    })?;
    let state = {
        let io = ws.io();
        if io.codec.close_received().is_some() {
            Err(ERROR_INVALID_OPERATION)
        } else if let Some(e) = io.failed {
            Err(e)
        } else {
            Ok(())
        }
    };
    if let Err(e) = state {
        ws.settle(|a| a.receiving = false);
        return Err(e);
    }
    ws.cancel_receive.store(false, Ordering::SeqCst);
    execute(ws, Op::Receive { buf, len, written: 0 })
}

/// `WinHttpWebSocketShutdown`: our close frame, then no more sends; receiving goes on.
pub fn shutdown(ws: &Arc<WebSocket>, status: u16, reason: &[u8]) -> Result<Started, DWORD> {
    begin(ws, |a| {
        if a.shut || a.closing_op || a.sending {
            return Err(ERROR_INVALID_OPERATION);
        }
        a.sending = true;
        Ok(())
    })?;
    let end = queue_close(ws, status, reason);
    let end = match end {
        Ok(end) => end,
        Err(e) => {
            ws.settle(|a| a.sending = false);
            return Err(e);
        }
    };
    ws.settle(|a| {
        a.shut = true;
        a.shutting = true;
    });
    execute(ws, Op::Shutdown { end })
}

/// `WinHttpWebSocketClose`: our close frame (unless `Shutdown` sent it), then the server's. A
/// receive in flight is cancelled first (`OPERATION_CANCELLED`).
pub fn close(ws: &Arc<WebSocket>, status: u16, reason: &[u8]) -> Result<Started, DWORD> {
    let receiving = {
        let a = ws.activity();
        if a.closed {
            return Err(ERROR_INVALID_HANDLE);
        }
        if a.closing_op || a.sending {
            return Err(ERROR_INVALID_OPERATION);
        }
        a.receiving
    };
    if receiving {
        ws.cancel_receive.store(true, Ordering::SeqCst);
        // An async receive parked on the reactor ends here, on the calling thread: its
        // REQUEST_ERROR comes before the close's completion (spec 2.12).
        if let Some(op) = take_parked(ws) {
            complete(ws, &op, Err(ERROR_WINHTTP_OPERATION_CANCELLED));
        }
        ws.wake_all();
        // The receive ends (and its REQUEST_ERROR is delivered) before the close goes on.
        let start = Instant::now();
        loop {
            {
                let a = ws.activity();
                if !a.receiving && (a.delivering == 0 || start.elapsed() > Duration::from_millis(200)) {
                    break;
                }
            }
            if start.elapsed() > Duration::from_secs(5) {
                return Err(ERROR_INVALID_OPERATION);
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    begin(ws, |a| {
        if a.closing_op || a.sending || a.receiving {
            return Err(ERROR_INVALID_OPERATION);
        }
        a.closing_op = true;
        a.sending = true;
        a.receiving = true;
        Ok(())
    })?;
    let (sent, done) = {
        let io = ws.io();
        (io.codec.close_sent(), io.codec.is_closed())
    };
    if done {
        // The close handshake is over already.
        ws.settle(|a| {
            a.closing_op = false;
            a.sending = false;
            a.receiving = false;
        });
        return Err(ERROR_INVALID_OPERATION);
    }
    let end = if sent { Ok(ws.io().queued) } else { queue_close(ws, status, reason) };
    let end = match end {
        Ok(end) => end,
        Err(e) => {
            ws.settle(|a| {
                a.closing_op = false;
                a.sending = false;
                a.receiving = false;
            });
            return Err(e);
        }
    };
    ws.settle(|a| a.shut = true);
    ws.cancel_receive.store(false, Ordering::SeqCst);
    execute(ws, Op::Close { end, deadline: None })
}

fn queue_close(ws: &WebSocket, status: u16, reason: &[u8]) -> Result<u64, DWORD> {
    let mut io = ws.io();
    if let Some(e) = io.failed {
        return Err(e);
    }
    let before = io.codec.output().len();
    io.codec.close(status, reason).map_err(|e| e.code())?;
    Ok(io.account(before))
}

/// Takes a slot in the activity (`check` decides), failing on a closed handle.
fn begin(ws: &WebSocket, check: impl FnOnce(&mut Activity) -> Result<(), DWORD>) -> Result<(), DWORD> {
    let mut a = ws.activity();
    if a.closed {
        return Err(ERROR_INVALID_HANDLE);
    }
    check(&mut a)
}

/// `WinHttpWebSocketQueryCloseStatus`: the server's close frame, once received.
pub fn close_status(ws: &WebSocket) -> Option<(u16, Vec<u8>)> {
    ws.io().codec.close_received().map(|c| (c.code, c.reason.clone()))
}

/// `WinHttpWebSocketCompleteUpgrade`: the WebSocket that takes the request's connection over (plain,
/// TLS or a tunnel) with the bytes that arrived after the 101. Fails unless the request asked for
/// the upgrade and its last response was a 101 that passed the handshake check; the connection can
/// be taken once (a re-sent request makes a new one).
pub fn complete_upgrade(
    request: &Arc<crate::engine::objects::request::Request>,
    context: DWORD_PTR,
) -> Result<WebSocket, DWORD> {
    use crate::engine::conn::Reading;
    use crate::engine::objects::websocket::WsSettings;
    let settings = {
        let st = request.state();
        if !st.upgrade_to_websocket {
            return Err(ERROR_WINHTTP_INCORRECT_HANDLE_STATE);
        }
        WsSettings {
            send_timeout: st.settings.timeouts.send,
            close_timeout: st.settings.websocket_close_timeout,
            receive_buffer: st.settings.websocket_receive_buffer,
            send_buffer: st.settings.websocket_send_buffer,
            keepalive: st.settings.websocket_keepalive,
        }
    };
    match request.response() {
        None => return Err(ERROR_WINHTTP_INCORRECT_HANDLE_STATE),
        // The server did not switch protocols: the caller has its response, and no WebSocket.
        Some(r) if r.status != 101 => return Err(ERROR_WINHTTP_INVALID_SERVER_RESPONSE),
        Some(_) => {}
    }
    let mut lane = request.try_io()?;
    if !lane.conn.as_ref().is_some_and(|c| matches!(c.reading, Reading::Upgraded)) {
        return Err(ERROR_WINHTTP_INCORRECT_HANDLE_STATE);
    }
    let conn = lane.conn.take().expect("checked above");
    let permit = lane.permit.take();
    drop(lane);
    WebSocket::new(
        &request.core,
        &request.connect.core,
        context,
        request.connect.session.is_async(),
        conn,
        permit,
        settings,
    )
}

/// A WebSocket was made with a keep-alive interval (its session's, 30 s by default) or
/// `WINHTTP_OPTION_WEB_SOCKET_KEEPALIVE_INTERVAL` was set on it: a ping goes out every interval (read
/// anew each time; setting it restarts the timer) until the handle is closed or the close handshake began. The timer is a reactor
/// deadline on a signal token of the WebSocket's own, so it costs no thread.
pub fn start_keepalive(ws: &Arc<WebSocket>) {
    let token = {
        let mut slot = crate::engine::objects::handle::lock(&ws.keepalive);
        if ws.is_closed() {
            return;
        }
        // A new interval restarts the timer: the old token's wait ends as cancelled.
        if let Some(old) = slot.take() {
            reactor().release(old);
        }
        let token = reactor().signal_token();
        *slot = Some(token);
        token
    };
    schedule_ping(Arc::downgrade(ws), token);
}

fn schedule_ping(weak: std::sync::Weak<WebSocket>, token: crate::engine::reactor::Token) {
    let Some(ws) = weak.upgrade() else {
        reactor().release(token);
        return;
    };
    let interval = Duration::from_millis(u64::from(ws.settings().keepalive));
    drop(ws);
    reactor().park(
        token,
        Want::Read,
        Some(Instant::now() + interval),
        Box::new(move |wake| {
            // Released (the handle closed) or cancelled: the timer stops.
            if !matches!(wake, Wake::TimedOut) {
                return;
            }
            completion::submit(move || match weak.upgrade() {
                Some(ws) if ping(&ws) => {
                    drop(ws);
                    schedule_ping(weak, token);
                }
                _ => reactor().release(token),
            })
        }),
    );
}

/// Queues a keep-alive ping and writes what the socket takes now; false once pings must stop.
fn ping(ws: &WebSocket) -> bool {
    if ws.is_closed() {
        return false;
    }
    let mut io = ws.io();
    if io.failed.is_some() || io.conn.is_none() || io.codec.close_sent() {
        return false;
    }
    let before = io.codec.output().len();
    if io.codec.ping(b"").is_ok() {
        io.account(before);
        let _ = io.flush();
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::conn::{Connection, Reading};
    use crate::engine::objects::handle::HandleCore;
    use crate::engine::objects::websocket::WsSettings;
    use crate::engine::transport::tcp::Stream;
    use crate::proto::ws::{FrameHeader, Opcode, apply_mask};
    use std::io::{Read, Write};

    /// A sync WebSocket over one end of a socket pair, `early` already in its read buffer (bytes
    /// that arrived with the 101).
    fn pair(early: &[u8]) -> (Arc<WebSocket>, std::os::unix::net::UnixStream) {
        let (stream, peer) = Stream::pair();
        let mut conn = Connection::new(stream, false);
        conn.reading = Reading::Upgraded;
        conn.rbuf.spare()[..early.len()].copy_from_slice(early);
        conn.rbuf.filled(early.len());
        let parent = Arc::new(HandleCore::default());
        let settings = WsSettings {
            send_timeout: 2000,
            close_timeout: 2000,
            receive_buffer: 32768,
            send_buffer: 32768,
            keepalive: 0,
        };
        let ws = WebSocket::new(&parent, &parent, 0, false, conn, None, settings).unwrap();
        (Arc::new(ws), peer)
    }

    fn frame(fin: bool, opcode: Opcode, payload: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        FrameHeader { fin, opcode, mask: None, len: payload.len() as u64 }.write(&mut out);
        out.extend_from_slice(payload);
        out
    }

    fn recv(ws: &Arc<WebSocket>, buf: &mut [u8]) -> Result<Done, DWORD> {
        match receive(ws, buf.as_mut_ptr(), buf.len())? {
            Started::Done(d) => Ok(d),
            Started::Async => unreachable!("sync handle"),
        }
    }

    #[test]
    fn bytes_past_the_101_and_a_ping_between_fragments() {
        let early = [frame(false, Opcode::Text, b"Hel"), frame(true, Opcode::Ping, b"p")].concat();
        let (ws, mut peer) = pair(&early);
        peer.write_all(&frame(true, Opcode::Continuation, b"lo")).unwrap();
        let mut buf = [0u8; 4];
        assert_eq!(recv(&ws, &mut buf), Ok(Done::Read(4, BufferType::Utf8Fragment)));
        assert_eq!(&buf, b"Hell");
        assert_eq!(recv(&ws, &mut buf), Ok(Done::Read(1, BufferType::Utf8Message)));
        assert_eq!(buf[0], b'o');
        // The pong went out by itself: masked, payload "p".
        let mut wire = [0u8; 7];
        peer.read_exact(&mut wire).unwrap();
        assert_eq!((wire[0], wire[1]), (0x8A, 0x81));
        let mut payload = [wire[6]];
        apply_mask(wire[2..6].try_into().unwrap(), 0, &mut payload);
        assert_eq!(&payload, b"p");
    }

    #[test]
    fn one_receive_at_a_time_and_the_close_from_the_server() {
        let (ws, mut peer) = pair(&[]);
        ws.activity().receiving = true;
        let mut buf = [0u8; 8];
        assert_eq!(recv(&ws, &mut buf), Err(ERROR_INVALID_OPERATION));
        ws.activity().receiving = false;
        peer.write_all(&frame(true, Opcode::Close, b"\x03\xe9bye")).unwrap();
        assert_eq!(recv(&ws, &mut buf), Ok(Done::Read(0, BufferType::Close)));
        assert_eq!(close_status(&ws), Some((1001, b"bye".to_vec())));
        assert_eq!(recv(&ws, &mut buf), Err(ERROR_INVALID_OPERATION));
        // Our close completes the handshake at once: the server's is in already.
        assert!(matches!(close(&ws, 1000, b""), Ok(Started::Done(Done::Closed))));
        assert!(ws.io().conn.is_none());
    }

    #[test]
    fn a_send_is_one_masked_frame_and_sends_stop_after_shutdown() {
        let (ws, mut peer) = pair(&[]);
        let data = b"hello";
        // SAFETY: `data` outlives the sync call.
        let r = unsafe { send(&ws, BufferType::BinaryMessage, data.as_ptr(), data.len()) };
        assert!(matches!(r, Ok(Started::Done(Done::Wrote(5, BufferType::BinaryMessage)))));
        let mut wire = [0u8; 11];
        peer.read_exact(&mut wire).unwrap();
        assert_eq!((wire[0], wire[1]), (0x82, 0x85));
        let mut payload = wire[6..].to_vec();
        apply_mask(wire[2..6].try_into().unwrap(), 0, &mut payload);
        assert_eq!(payload, data);
        assert!(matches!(shutdown(&ws, 1000, b"ok"), Ok(Started::Done(Done::Shutdown))));
        // SAFETY: as above.
        let r = unsafe { send(&ws, BufferType::BinaryMessage, data.as_ptr(), data.len()) };
        assert_eq!(r.err(), Some(ERROR_INVALID_OPERATION));
        assert_eq!(shutdown(&ws, 1000, b"").err(), Some(ERROR_INVALID_OPERATION));
    }
}
