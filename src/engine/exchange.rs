//! One request/response exchange on a connection: the I/O behind `WinHttpSendRequest`,
//! `WinHttpWriteData`, `WinHttpReceiveResponse`, `WinHttpQueryDataAvailable` and `WinHttpReadData`.
//!
//! Each of those calls is an [`Operation`]: a resumable state machine over the request's
//! [`Exchange`] whose [`Operation::step`] makes only non-blocking socket calls and, when the socket
//! would block, returns [`Step::Wait`] saying what it waits for. A driver runs the steps: [`run`]
//! (sync calls) waits on the calling thread with `poll(2)` between steps; the async mode will park
//! the same operations on the reactor and resume them from the completion pool. Protocol decisions
//! come from the sans-IO core (`proto::h1`, `proto::url`, `proto::headers`); this module moves bytes
//! between the caller, a pooled connection and that core.
//!
//! Not yet resumable (they block the stepping thread): name resolution (`getaddrinfo`, except for
//! IP literals and "localhost") and, in sync sessions only, waiting for a free slot under
//! `WINHTTP_OPTION_MAX_CONNS_PER_SERVER` (async sessions do not enforce that limit yet).

use super::completion;
use super::net::{self, Conn};
use super::pool::{self, Lease, Permit, PoolKey};
use super::reactor::{Token, Wake, Want, reactor};
use super::request::{Phase, Request, Response, Target};
use super::tls;
use crate::abi::*;
use crate::proto::h1::{self, Decoder, Framing, HeadParser, Parse};
use crate::proto::headers::HeaderList;
use crate::proto::passport;
use crate::proto::proxy;
use std::net::SocketAddr;
use std::sync::Arc;

/// Size of a read from the socket into the exchange's own buffer.
const READ_CHUNK: usize = 16 * 1024;

/// What an operation waits for when the socket would block.
#[derive(Clone, Copy, Debug)]
pub struct Wait {
    pub fd: std::os::fd::RawFd,
    /// The connection's reactor token (registered for async sessions).
    pub token: Token,
    pub want: Want,
    /// The WinHTTP timeout for this wait, in ms (0 and 0xFFFFFFFF: none).
    pub timeout_ms: DWORD,
}

/// The result of one step: the operation's output, or what it waits for before the next step.
pub enum Step<T> {
    Done(T),
    Wait(Wait),
}

type StepResult<T> = Result<Step<T>, DWORD>;

/// The notification that completes an asynchronous operation.
pub enum Completion {
    /// No payload (`SENDREQUEST_COMPLETE`, `HEADERS_AVAILABLE`).
    Null(DWORD),
    /// A DWORD payload (`WRITE_COMPLETE`, `DATA_AVAILABLE`).
    Dword(DWORD, DWORD),
    /// The caller's buffer and the bytes in it (`READ_COMPLETE`).
    Buffer(DWORD, *mut u8, usize),
}

/// One WinHTTP call on a request, as a resumable state machine.
pub trait Operation {
    type Output: Copy + Send;
    /// The `API_*` value `REQUEST_ERROR` reports for this call.
    const API: DWORD;
    /// Makes as much progress as the socket allows without blocking.
    fn step(&mut self, request: &Request, io: &mut Exchange) -> StepResult<Self::Output>;
    /// Bookkeeping when the operation ends (the request's phase), before its completion.
    fn finished(&mut self, request: &Request, result: &Result<Self::Output, DWORD>) {
        let _ = (request, result);
    }
    /// The notification that reports success in the async mode.
    fn completion(&self, output: Self::Output) -> Completion;
}

/// How an operation ended, as the exported function reports it.
pub enum Outcome<T> {
    /// Completed before the call returned (in the async mode its callback has run already).
    Done(T),
    /// Async mode: failed before the call returned, reported through `REQUEST_ERROR` already.
    Failed,
    /// Async mode: the completion comes later, on a completion thread.
    Later,
}

/// The sync driver: steps the operation on the calling thread, waiting with `poll(2)` (and the
/// request's `Cancel`) whenever it would block. An error drops the connection.
fn run<O: Operation>(request: &Request, io: &mut Exchange, op: &mut O) -> Result<O::Output, DWORD> {
    let cancel = &request.cancel;
    let r = loop {
        if cancel.is_cancelled() {
            break Err(ERROR_WINHTTP_OPERATION_CANCELLED);
        }
        let step = op.step(request, io);
        // A close shuts the socket down: whatever the step saw then (EOF, an error) is the cancel.
        if cancel.is_cancelled() {
            break Err(ERROR_WINHTTP_OPERATION_CANCELLED);
        }
        match step {
            Ok(Step::Done(v)) => break Ok(v),
            Ok(Step::Wait(w)) => {
                if let Err(e) = net::poll_ready(w.fd, w.want, net::deadline(net::timeout(w.timeout_ms)), cancel) {
                    break Err(e);
                }
            }
            Err(e) => break Err(e),
        }
    };
    if r.is_err() {
        io.discard();
    }
    r
}

/// Runs an operation as the request's session asks: sync (to the end, on this thread) or async
/// (as far as the socket allows here, then parked on the reactor).
fn execute<O: Operation + Send + 'static>(
    request: &Arc<Request>,
    mut io: std::sync::MutexGuard<'_, Exchange>,
    mut op: O,
) -> Result<Outcome<O::Output>, DWORD> {
    request.begin(O::API)?;
    if !request.connect.session.is_async() {
        let r = run(request, &mut io, &mut op);
        op.finished(request, &r);
        drop(io);
        request.end();
        return r.map(Outcome::Done);
    }
    drop(io);
    Ok(drive(request.clone(), op, true))
}

thread_local! {
    /// Completions delivered inline, nested on this thread (a ReadData from DATA_AVAILABLE from
    /// ReadData ...): past `MAX_INLINE_DEPTH` they go to the completion pool instead.
    static DEPTH: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

const MAX_INLINE_DEPTH: u32 = 3;

/// The async driver: steps the operation until it completes or would block; then parks it on the
/// reactor, whose wake-up resumes it here from a completion thread. `inline` is true on the
/// thread of the exported call.
fn drive<O: Operation + Send + 'static>(request: Arc<Request>, mut op: O, inline: bool) -> Outcome<O::Output> {
    let result = {
        let mut io = request.io();
        let step = if request.cancel.is_cancelled() {
            Err(ERROR_WINHTTP_OPERATION_CANCELLED)
        } else {
            op.step(&request, &mut io)
        };
        match step {
            _ if request.cancel.is_cancelled() => {
                io.discard();
                Err(ERROR_WINHTTP_OPERATION_CANCELLED)
            }
            Ok(Step::Done(v)) => Ok(v),
            Ok(Step::Wait(w)) => {
                drop(io);
                park(request, op, w);
                return Outcome::Later;
            }
            Err(e) => {
                io.discard();
                Err(e)
            }
        }
    };
    op.finished(&request, &result);
    if inline && DEPTH.get() >= MAX_INLINE_DEPTH {
        completion::submit(move || deliver(&request, &op, result));
        return Outcome::Later;
    }
    deliver(&request, &op, result);
    match (inline, result) {
        (true, Ok(v)) => Outcome::Done(v),
        (true, Err(_)) => Outcome::Failed,
        (false, _) => Outcome::Later,
    }
}

/// Parks an operation on the reactor until its connection is ready, its timeout passes or the
/// request is closed; it then continues on a completion thread.
fn park<O: Operation + Send + 'static>(request: Arc<Request>, op: O, w: Wait) {
    let cancel = request.cancel.clone();
    cancel.waiting_on.store(w.token.0, std::sync::atomic::Ordering::SeqCst);
    let deadline = net::deadline(net::timeout(w.timeout_ms));
    reactor().park(
        w.token,
        w.want,
        deadline,
        Box::new(move |wake| {
            completion::submit(move || {
                request.cancel.waiting_on.store(net::NOT_WAITING, std::sync::atomic::Ordering::SeqCst);
                match wake {
                    Wake::TimedOut => {
                        let mut op = op;
                        request.io().discard();
                        let result = Err(ERROR_WINHTTP_TIMEOUT);
                        op.finished(&request, &result);
                        deliver(&request, &op, result);
                    }
                    // Ready, or cancelled (the driver sees the flag; a stray cancel is retried).
                    Wake::Ready | Wake::Cancelled => {
                        drive(request, op, false);
                    }
                }
            })
        }),
    );
    // A close between the check in `drive` and the park above: wake it now.
    if cancel.is_cancelled() {
        reactor().cancel(w.token);
    }
}

/// Ends the operation and delivers its completion (or `REQUEST_ERROR`) to the status callback.
/// After a send, starts the receive queued during it (on a completion thread, as Windows does).
fn deliver<O: Operation>(request: &Arc<Request>, op: &O, result: Result<O::Output, DWORD>) {
    let ok = result.is_ok();
    request.end_and_deliver(|| {
        DEPTH.set(DEPTH.get() + 1);
        match result {
            Ok(v) => match op.completion(v) {
                Completion::Null(status) => request.core_notify_null(status),
                Completion::Dword(status, v) => notify_dword(request, status, v),
                // SAFETY: the caller's buffer, valid until this completion by the API's contract.
                Completion::Buffer(status, p, n) => unsafe { request.core.notify(status, p.cast(), n as DWORD) },
            },
            Err(e) => notify_request_error(request, O::API, e),
        }
        DEPTH.set(DEPTH.get() - 1);
    });
    if O::API == API_SEND_REQUEST && request.take_queued_receive() && ok {
        let request = request.clone();
        completion::submit(move || {
            if let Err(e) = receive(&request)
                && request.begin(API_RECEIVE_RESPONSE).is_ok()
            {
                request.end_and_deliver(|| notify_request_error(&request, API_RECEIVE_RESPONSE, e));
            }
        });
    }
}

/// `REQUEST_ERROR` with its `WINHTTP_ASYNC_RESULT` (`API_*` and the error).
fn notify_request_error(request: &Request, api: DWORD, error: DWORD) {
    let mut r = WINHTTP_ASYNC_RESULT { dwResult: api as DWORD_PTR, dwError: error };
    let len = core::mem::size_of::<WINHTTP_ASYNC_RESULT>() as DWORD;
    // SAFETY: `r` lives for the duration of the call.
    unsafe { request.core.notify(WINHTTP_CALLBACK_STATUS_REQUEST_ERROR, (&raw mut r).cast(), len) }
}

/// Wire bytes read but not consumed yet: one buffer kept for the life of the exchange, grown only
/// for a response head larger than it.
#[derive(Default)]
struct ReadBuf {
    data: Vec<u8>,
    start: usize,
    end: usize,
}

impl ReadBuf {
    fn bytes(&self) -> &[u8] {
        &self.data[self.start..self.end]
    }

    fn is_empty(&self) -> bool {
        self.start == self.end
    }

    fn consume(&mut self, n: usize) {
        self.start += n;
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
    }

    fn clear(&mut self) {
        self.start = 0;
        self.end = 0;
    }

    /// Free space after the buffered bytes (compacting or growing as needed).
    fn spare(&mut self) -> &mut [u8] {
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
}

/// The I/O state of a request: the connection it holds and what is in flight on it.
#[derive(Default)]
pub struct Exchange {
    conn: Option<Conn>,
    key: Option<PoolKey>,
    /// True when `conn` came from the pool (a failure before any response byte may be retried).
    reused: bool,
    /// Request body bytes still expected through `WinHttpWriteData` (`None`: unbounded, for a
    /// caller-framed chunked body or `WINHTTP_IGNORE_REQUEST_TOTAL_LENGTH`).
    upload_left: Option<u64>,
    /// The whole request body when it was all given to `WinHttpSendRequest` (a redirect or a retry
    /// can send it again); `None` once `WinHttpWriteData` streamed part of it.
    replay: Option<Arc<Vec<u8>>>,
    rbuf: ReadBuf,
    decoder: Option<Decoder>,
    keep_alive: bool,
}

impl Exchange {
    fn buffered(&self) -> &[u8] {
        self.rbuf.bytes()
    }

    /// A wait on the exchange's connection.
    fn wait(&self, want: Want, timeout_ms: DWORD) -> Result<Wait, DWORD> {
        let conn = self.conn.as_ref().ok_or(ERROR_WINHTTP_INCORRECT_HANDLE_STATE)?;
        Ok(Wait { fd: conn.fd(), token: conn.token, want: conn.want(want), timeout_ms })
    }

    /// Reads what the socket has into the buffer: `Some(0)` at EOF, `None` when it would block.
    fn try_fill(&mut self) -> Result<Option<usize>, DWORD> {
        let conn = self.conn.as_mut().ok_or(ERROR_WINHTTP_INCORRECT_HANDLE_STATE)?;
        match conn.try_read(self.rbuf.spare()) {
            Ok(n) => {
                self.rbuf.end += n;
                Ok(Some(n))
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => Ok(None),
            Err(_) => Err(ERROR_WINHTTP_CONNECTION_ERROR),
        }
    }

    /// Drops the connection without returning it to the pool.
    fn discard(&mut self) {
        self.conn = None;
        self.decoder = None;
        self.rbuf.clear();
    }
}

/// The body was read to the end: give the connection back to the pool if it may be reused, or
/// close it. Closing it sends no notification: Windows reports only the read's completion for a
/// `Connection: close` response (no `CLOSING_CONNECTION`/`CONNECTION_CLOSED`, then or at close).
fn end_body(_request: &Request, io: &mut Exchange) {
    let reusable = io.keep_alive && io.rbuf.is_empty();
    match (io.conn.take(), io.key.clone()) {
        (Some(conn), Some(key)) if reusable => pool::checkin(key, conn),
        _ => {}
    }
    io.discard();
}

/// The connection ended: the end of a close-delimited body (true), or a truncated one.
fn end_of_stream(request: &Request, io: &mut Exchange) -> Result<bool, DWORD> {
    let r = io.decoder.as_mut().map(|d| d.eof()).unwrap_or(Ok(()));
    io.keep_alive = false;
    match r {
        Ok(()) => {
            end_body(request, io);
            Ok(true)
        }
        Err(e) => {
            io.discard();
            Err(e.code())
        }
    }
}

/// Sends a string notification (`LPWSTR` payloads: names, addresses, URLs).
fn notify_str(request: &Request, status: DWORD, s: &str) {
    let mut units: Vec<WCHAR> = crate::proto::wide::encode(s);
    units.push(0);
    let len = (units.len() * core::mem::size_of::<WCHAR>()) as DWORD;
    // SAFETY: `units` lives for the duration of the call.
    unsafe { request.core.notify(status, units.as_mut_ptr().cast(), len) }
}

/// Sends a notification whose payload is a DWORD.
fn notify_dword(request: &Request, status: DWORD, v: DWORD) {
    let mut v = v;
    // SAFETY: `v` lives for the duration of the call.
    unsafe { request.core.notify(status, (&raw mut v).cast(), core::mem::size_of::<DWORD>() as DWORD) }
}

/// Getting a connection to the request's current target: a live pooled one, or a new one
/// (resolving and connecting over every address, with their notifications).
// One operation exists per call, on the stack of its driver: boxing the big variant buys nothing.
#[allow(clippy::large_enum_variant)]
enum ConnectOp {
    Start,
    Connecting { addrs: Vec<SocketAddr>, next: usize, conn: Conn, permit: Permit, key: PoolKey },
    Handshaking { conn: Conn, permit: Option<Permit>, key: PoolKey },
}

impl ConnectOp {
    fn step(&mut self, request: &Request, io: &mut Exchange) -> StepResult<()> {
        loop {
            match self {
                ConnectOp::Start => {
                    let target = request.target();
                    let proxy = request.proxy_for(&target);
                    let key = PoolKey { host: target.host.clone(), port: target.port, secure: target.secure, proxy };
                    if io.conn.is_some() && io.key.as_ref() == Some(&key) {
                        return Ok(Step::Done(()));
                    }
                    io.discard();
                    if target.secure && key.proxy.is_some() {
                        // HTTPS through a proxy needs a CONNECT tunnel (the proxy issue).
                        return Err(ERROR_WINHTTP_SECURE_CHANNEL_ERROR);
                    }
                    let timeouts = request.state().settings.timeouts;
                    // Waiting for a free slot blocks the stepping thread, which in the async mode
                    // may be a completion thread that the slot's release needs: async sessions do
                    // not wait (the limit is not enforced for them yet; see the README).
                    let max_conns = if request.connect.session.is_async() {
                        WINHTTP_CONNS_PER_SERVER_UNLIMITED
                    } else {
                        request.connect.session.state().max_conns_per_server
                    };
                    let permit = loop {
                        match pool::acquire(&key, max_conns, net::timeout(timeouts.connect), &request.cancel)? {
                            // A TLS connection verified with waivers this request does not give
                            // (or another client certificate) is not for this request.
                            Lease::Reused(conn) if !tls_serves(request, &conn) => drop(conn),
                            Lease::Reused(conn) => {
                                install(request, io, conn, key, true);
                                return Ok(Step::Done(()));
                            }
                            Lease::Fresh(permit) => break permit,
                        }
                    };
                    let (host, port) = match &key.proxy {
                        Some(p) => {
                            let (host, port) = proxy::split_port(p.trim()).unwrap_or((p.as_str(), None));
                            (host.to_string(), port.unwrap_or(80))
                        }
                        None => (target.host.clone(), target.port),
                    };
                    notify_str(request, WINHTTP_CALLBACK_STATUS_RESOLVING_NAME, &host);
                    let addrs = net::resolve(&host, port, net::timeout(timeouts.resolve), &request.cancel)?;
                    let first = addrs.first().map(|a| a.ip().to_string()).unwrap_or_default();
                    notify_str(request, WINHTTP_CALLBACK_STATUS_NAME_RESOLVED, &first);
                    notify_str(request, WINHTTP_CALLBACK_STATUS_CONNECTING_TO_SERVER, &first);
                    let (conn, next) = begin_connect(request, &addrs, 0)?;
                    *self = ConnectOp::Connecting { addrs, next, conn, permit, key };
                }
                ConnectOp::Connecting { addrs, next, conn, .. } => match conn.connect_done() {
                    Ok(false) => {
                        let timeout_ms = request.state().settings.timeouts.connect;
                        return Ok(Step::Wait(Wait {
                            fd: conn.fd(),
                            token: conn.token,
                            want: Want::Write,
                            timeout_ms,
                        }));
                    }
                    // Refused or unreachable: the next address.
                    Err(_) => {
                        let (c, n) = begin_connect(request, addrs, *next)?;
                        *conn = c;
                        *next = n;
                    }
                    Ok(true) => {
                        let ConnectOp::Connecting { mut conn, permit, key, .. } =
                            std::mem::replace(self, ConnectOp::Start)
                        else {
                            unreachable!("matched Connecting above")
                        };
                        notify_str(request, WINHTTP_CALLBACK_STATUS_CONNECTED_TO_SERVER, &conn.peer.ip().to_string());
                        if key.secure {
                            conn.start_tls(start_tls(request, &key.host)?);
                            *self = ConnectOp::Handshaking { conn, permit: Some(permit), key };
                            continue;
                        }
                        permit.attach(&mut conn);
                        install(request, io, conn, key, false);
                        return Ok(Step::Done(()));
                    }
                },
                ConnectOp::Handshaking { conn, .. } => match conn.handshake() {
                    Ok(Some(want)) => {
                        let t = request.state().settings.timeouts;
                        let timeout_ms = if want == Want::Read { t.receive } else { t.send };
                        return Ok(Step::Wait(Wait { fd: conn.fd(), token: conn.token, want, timeout_ms }));
                    }
                    Ok(None) => {
                        let ConnectOp::Handshaking { mut conn, permit, key } =
                            std::mem::replace(self, ConnectOp::Start)
                        else {
                            unreachable!("matched Handshaking above")
                        };
                        if let Some(permit) = permit {
                            permit.attach(&mut conn);
                        }
                        install(request, io, conn, key, false);
                        return Ok(Step::Done(()));
                    }
                    Err(failure) => return Err(secure_failure(request, failure)),
                },
            }
        }
    }
}

/// A TLS client session for the request's connection to `host`, with its waivers, protocols and
/// client certificate.
fn start_tls(request: &Request, host: &str) -> Result<tls::Session, DWORD> {
    let (ignore, client) = {
        let st = request.state();
        (st.security_flags, st.client_cert.clone())
    };
    let protocols = request.connect.session.state().secure_protocols;
    tls::start(tls::Params { host, ignore, protocols, client })
}

/// Whether a pooled connection may carry this request (always, unless it is TLS verified with
/// waivers the request does not give, or with another client certificate).
fn tls_serves(request: &Request, conn: &Conn) -> bool {
    match &conn.tls_info {
        None => true,
        Some(info) => {
            let protocols = request.connect.session.state().secure_protocols;
            let st = request.state();
            info.serves(st.security_flags, &st.client_cert, protocols)
        }
    }
}

/// Reports a failed handshake: the `SECURE_FAILURE` notification with its flags, then the error.
/// Certificate problems are `ERROR_WINHTTP_SECURE_FAILURE` in the async mode (the notification
/// says which) and the precise error for sync calls.
fn secure_failure(request: &Request, failure: tls::Failure) -> DWORD {
    if let Some(flags) = failure.status_flags() {
        notify_dword(request, WINHTTP_CALLBACK_STATUS_SECURE_FAILURE, flags);
    }
    match failure {
        tls::Failure::Certificate(_) if request.connect.session.is_async() => ERROR_WINHTTP_SECURE_FAILURE,
        _ => failure.error(),
    }
}

/// Starts a connect to the first address from `from` on that accepts a socket; returns the
/// connection and the index of the address after it. None left: `ERROR_WINHTTP_CANNOT_CONNECT`.
/// Connections of async sessions are registered with the reactor, where their waits park.
fn begin_connect(request: &Request, addrs: &[SocketAddr], from: usize) -> Result<(Conn, usize), DWORD> {
    let register = request.connect.session.is_async();
    for (i, addr) in addrs.iter().enumerate().skip(from) {
        if let Ok(mut conn) = Conn::begin_connect(*addr)
            && (!register || conn.register().is_ok())
        {
            return Ok((conn, i + 1));
        }
    }
    Err(ERROR_WINHTTP_CANNOT_CONNECT)
}

/// Makes `conn` the exchange's connection (registered with the reactor for async sessions).
fn install(request: &Request, io: &mut Exchange, mut conn: Conn, key: PoolKey, reused: bool) {
    if request.connect.session.is_async() {
        // A pooled connection first used by a sync session; failing here only costs a wait.
        let _ = conn.register();
    }
    {
        let mut st = request.state();
        st.connection = Some((conn.local, conn.peer));
        st.tls = conn.tls_info.clone();
    }
    io.conn = Some(conn);
    io.key = Some(key);
    io.reused = reused;
}

/// Sending a request head and a body held in memory, connecting first. A failure on a pooled
/// connection that had gone stale is retried on a fresh one (twice at most).
pub struct SendOp {
    head: Vec<u8>,
    body: Arc<Vec<u8>>,
    written: usize,
    attempt: u8,
    connect: Option<ConnectOp>,
}

impl SendOp {
    fn new(request: &Request, body: Arc<Vec<u8>>) -> Result<Self, DWORD> {
        let mut head = Vec::with_capacity(512);
        request.write_head(&mut head)?;
        Ok(SendOp { head, body, written: 0, attempt: 0, connect: Some(ConnectOp::Start) })
    }

    fn retry(&mut self, io: &mut Exchange) {
        io.discard();
        self.attempt += 1;
        self.written = 0;
        self.connect = Some(ConnectOp::Start);
    }
}

impl Operation for SendOp {
    type Output = ();
    const API: DWORD = API_SEND_REQUEST;

    fn finished(&mut self, request: &Request, result: &Result<(), DWORD>) {
        request.state().phase = if result.is_ok() { Phase::Sent } else { Phase::Failed };
    }

    fn completion(&self, (): ()) -> Completion {
        Completion::Null(WINHTTP_CALLBACK_STATUS_SENDREQUEST_COMPLETE)
    }

    fn step(&mut self, request: &Request, io: &mut Exchange) -> StepResult<()> {
        loop {
            if let Some(connect) = self.connect.as_mut() {
                if let Step::Wait(w) = connect.step(request, io)? {
                    return Ok(Step::Wait(w));
                }
                self.connect = None;
                request.core_notify_null(WINHTTP_CALLBACK_STATUS_SENDING_REQUEST);
            }
            let total = self.head.len() + self.body.len();
            if self.written == total {
                let conn = io.conn.as_mut().ok_or(ERROR_WINHTTP_INTERNAL_ERROR)?;
                // TLS records still in the session leave before the request counts as sent.
                match conn.flush() {
                    Ok(true) => {
                        // A head plus a body of nearly 4 GiB can pass a DWORD: report the most it holds.
                        notify_dword(
                            request,
                            WINHTTP_CALLBACK_STATUS_REQUEST_SENT,
                            DWORD::try_from(total).unwrap_or(DWORD::MAX),
                        );
                        return Ok(Step::Done(()));
                    }
                    Ok(false) => return Ok(Step::Wait(send_wait(request, io)?)),
                    Err(_) if io.reused && self.attempt < 2 => {
                        self.retry(io);
                        continue;
                    }
                    Err(_) => return Err(ERROR_WINHTTP_CONNECTION_ERROR),
                }
            }
            let chunk = if self.written < self.head.len() {
                &self.head[self.written..]
            } else {
                &self.body[self.written - self.head.len()..]
            };
            let conn = io.conn.as_mut().ok_or(ERROR_WINHTTP_INTERNAL_ERROR)?;
            match conn.try_write(chunk) {
                Ok(n) if n > 0 => self.written += n,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    return Ok(Step::Wait(send_wait(request, io)?));
                }
                _ if io.reused && self.attempt < 2 => self.retry(io),
                _ => return Err(ERROR_WINHTTP_CONNECTION_ERROR),
            }
        }
    }
}

/// `WinHttpSendRequest`: adds the caller's headers, connects (or reuses a pooled connection) and
/// sends the head and the optional data. `total` is the announced body length (0: no more than the
/// optional data).
pub fn send(request: &Arc<Request>, headers: &str, optional: &[u8], total: DWORD) -> Result<Outcome<()>, DWORD> {
    let mut io = request.try_io()?;
    if request.state().phase == Phase::Sent {
        return Err(ERROR_WINHTTP_INCORRECT_HANDLE_STATE);
    }
    if !headers.is_empty() {
        request
            .headers()
            .add_text(headers, WINHTTP_ADDREQ_FLAG_ADD | WINHTTP_ADDREQ_FLAG_REPLACE)
            .map_err(|e| e.code())?;
    }
    // A previous exchange on this handle ends here: its connection is not reused mid-body.
    if io.decoder.as_ref().is_some_and(|d| !d.is_done()) {
        io.discard();
    }
    *request.response.lock().unwrap_or_else(|p| p.into_inner()) = None;
    let total = u64::from(total).max(optional.len() as u64);
    let chunked =
        request.headers().get("Transfer-Encoding").is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
    io.upload_left = if chunked { None } else { Some(total - optional.len() as u64) };
    // The optional data is copied: the async mode may send it after the call has returned.
    let body = Arc::new(optional.to_vec());
    io.replay = (io.upload_left == Some(0)).then(|| body.clone());
    request.prepare_headers(total, chunked);
    let op = SendOp::new(request, body)?;
    execute(request, io, op)
}

/// `WinHttpWriteData`: streaming caller bytes straight to the socket (no copy is kept).
struct WriteOp {
    data: *const u8,
    len: usize,
    written: usize,
}

// SAFETY: the caller's buffer stays valid and untouched until the operation completes (the API's
// contract in both modes); only the thread stepping the operation reads it.
unsafe impl Send for WriteOp {}

impl Operation for WriteOp {
    type Output = DWORD;
    const API: DWORD = API_WRITE_DATA;

    fn step(&mut self, request: &Request, io: &mut Exchange) -> StepResult<DWORD> {
        let conn = io.conn.as_mut().ok_or(ERROR_WINHTTP_INCORRECT_HANDLE_STATE)?;
        // SAFETY: see `impl Send for WriteOp`.
        let data = unsafe { core::slice::from_raw_parts(self.data, self.len) };
        while self.written < data.len() {
            match conn.try_write(&data[self.written..]) {
                Ok(n) if n > 0 => self.written += n,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    return Ok(Step::Wait(send_wait(request, io)?));
                }
                _ => return Err(ERROR_WINHTTP_CONNECTION_ERROR),
            }
        }
        // TLS records still in the session leave before the write completes.
        match conn.flush() {
            Ok(true) => Ok(Step::Done(self.len as DWORD)),
            Ok(false) => Ok(Step::Wait(send_wait(request, io)?)),
            Err(_) => Err(ERROR_WINHTTP_CONNECTION_ERROR),
        }
    }

    fn finished(&mut self, request: &Request, result: &Result<DWORD, DWORD>) {
        if result.is_err() {
            request.state().phase = Phase::Failed;
        }
    }

    fn completion(&self, n: DWORD) -> Completion {
        Completion::Dword(WINHTTP_CALLBACK_STATUS_WRITE_COMPLETE, n)
    }
}

/// `WinHttpWriteData`: writing past the announced total fails with `ERROR_INVALID_PARAMETER`.
///
/// # Safety
/// `data` is valid for `len` bytes until the operation completes.
pub unsafe fn write(request: &Arc<Request>, data: *const u8, len: usize) -> Result<Outcome<DWORD>, DWORD> {
    let mut io = request.try_io()?;
    if request.state().phase != Phase::Sent {
        return Err(ERROR_WINHTTP_INCORRECT_HANDLE_STATE);
    }
    if let Some(left) = io.upload_left {
        if len as u64 > left {
            return Err(ERROR_INVALID_PARAMETER);
        }
        io.upload_left = Some(left - len as u64);
    }
    io.replay = None;
    execute(request, io, WriteOp { data, len, written: 0 })
}

/// `WinHttpReceiveResponse`: reading the response head (skipping interim 1xx responses) and
/// following redirects as the request's policy allows.
pub struct ReceiveOp {
    stage: Receive,
    redirects: DWORD,
    /// A stale pooled connection was already replaced once.
    retried: bool,
}

#[allow(clippy::large_enum_variant)]
enum Receive {
    /// Reading a head; `started` once RECEIVING_RESPONSE was sent, and then `deadline` is when
    /// `WINHTTP_OPTION_RECEIVE_RESPONSE_TIMEOUT` (the whole head, interim responses included) ends.
    Head { parser: HeadParser, interim: DWORD, started: bool, deadline: Option<std::time::Instant> },
    /// Reading the rest of a redirect's body before following it.
    Drain { next: Target, keep_body: bool, drained: u64 },
    /// Sending the request again (to the redirect target, or after a stale connection).
    Resend(SendOp),
}

impl ReceiveOp {
    fn new(request: &Request) -> Self {
        ReceiveOp { stage: Self::head(request), redirects: 0, retried: false }
    }

    fn head(request: &Request) -> Receive {
        let max = request.state().settings.max_response_header_size as usize;
        Receive::Head { parser: HeadParser::new(max.max(1)), interim: 0, started: false, deadline: None }
    }
}

impl Operation for ReceiveOp {
    type Output = ();
    const API: DWORD = API_RECEIVE_RESPONSE;

    fn finished(&mut self, request: &Request, result: &Result<(), DWORD>) {
        request.state().phase = if result.is_ok() { Phase::Receiving } else { Phase::Failed };
    }

    fn completion(&self, (): ()) -> Completion {
        Completion::Null(WINHTTP_CALLBACK_STATUS_HEADERS_AVAILABLE)
    }

    fn step(&mut self, request: &Request, io: &mut Exchange) -> StepResult<()> {
        loop {
            match &mut self.stage {
                Receive::Head { parser, interim, started, deadline } => {
                    if !*started {
                        *started = true;
                        *deadline = net::deadline(net::timeout(request.state().settings.timeouts.receive_response));
                        request.core_notify_null(WINHTTP_CALLBACK_STATUS_RECEIVING_RESPONSE);
                    }
                    let head = match parser.parse(io.buffered()).map_err(|e| e.code())? {
                        Parse::Complete { head, consumed } => {
                            io.rbuf.consume(consumed);
                            head
                        }
                        Parse::Incomplete => match io.try_fill()? {
                            Some(0) => {
                                // A pooled connection the server had closed: send again on a new one.
                                if io.reused && io.rbuf.is_empty() && !self.retried && io.replay.is_some() {
                                    self.retried = true;
                                    let body = io.replay.clone().unwrap_or_default();
                                    io.discard();
                                    self.stage = Receive::Resend(SendOp::new(request, body)?);
                                    continue;
                                }
                                return Err(parser.eof(io.buffered()).code());
                            }
                            Some(_) => continue,
                            None => {
                                let receive = request.state().settings.timeouts.receive;
                                return Ok(Step::Wait(io.wait(Want::Read, head_wait_ms(receive, *deadline)?)?));
                            }
                        },
                    };
                    if head.is_interim() {
                        *interim += 1;
                        if *interim > request.state().settings.max_status_continue {
                            return Err(ERROR_WINHTTP_INVALID_SERVER_RESPONSE);
                        }
                        notify_dword(request, WINHTTP_CALLBACK_STATUS_INTERMEDIATE_RESPONSE, head.status as DWORD);
                        let max = request.state().settings.max_response_header_size as usize;
                        *parser = HeadParser::new(max.max(1));
                        continue;
                    }
                    let mut response = start_body(request, io, head)?;
                    if passport::reported_as_denied(
                        request.connect.session.state().passport,
                        response.status,
                        response.headers.get_all("WWW-Authenticate"),
                    ) {
                        // WINHTTP_OPTION_CONFIGURE_PASSPORT_AUTH: the caller gets a 401 (reason kept).
                        response.status = 401;
                    }
                    let Some(next) = request.redirect_target(&response, io.replay.is_some())? else {
                        request.set_response(response);
                        if io.decoder.as_ref().is_some_and(|d| d.is_done()) {
                            end_body(request, io);
                        }
                        return Ok(Step::Done(()));
                    };
                    if self.redirects >= request.state().settings.max_redirects {
                        return Err(ERROR_WINHTTP_REDIRECT_FAILED);
                    }
                    self.redirects += 1;
                    let keep_body = matches!(response.status, 307 | 308);
                    self.stage = Receive::Drain { next, keep_body, drained: 0 };
                }
                Receive::Drain { next, keep_body, drained } => {
                    if let Step::Wait(w) = drain(request, io, drained)? {
                        return Ok(Step::Wait(w));
                    }
                    notify_str(request, WINHTTP_CALLBACK_STATUS_REDIRECT, &next.url());
                    let keep_body = *keep_body;
                    request.follow(next.clone(), keep_body);
                    let body = if keep_body { io.replay.clone().unwrap_or_default() } else { Arc::default() };
                    if !keep_body {
                        io.replay = Some(Arc::default());
                    }
                    request.prepare_headers(body.len() as u64, false);
                    self.stage = Receive::Resend(SendOp::new(request, body)?);
                }
                Receive::Resend(op) => {
                    if let Step::Wait(w) = op.step(request, io)? {
                        return Ok(Step::Wait(w));
                    }
                    self.stage = Self::head(request);
                }
            }
        }
    }
}

/// How long one wait for head bytes may last: the receive timeout (per wait), cut to what is left
/// of the receive-response deadline (for the whole head, so a server dripping a byte at a time
/// cannot hold the call past it). Nothing left is `ERROR_WINHTTP_TIMEOUT`.
fn head_wait_ms(receive: DWORD, deadline: Option<std::time::Instant>) -> Result<DWORD, DWORD> {
    let Some(deadline) = deadline else { return Ok(receive) };
    let left = deadline.saturating_duration_since(std::time::Instant::now());
    // At least 1 ms (0 would mean no timeout); below 0xFFFFFFFF (also "no timeout").
    let left_ms = DWORD::try_from(left.as_millis()).unwrap_or(DWORD::MAX - 1).min(DWORD::MAX - 1);
    if left_ms == 0 {
        return Err(ERROR_WINHTTP_TIMEOUT);
    }
    Ok(match net::timeout(receive) {
        Some(_) => receive.min(left_ms),
        None => left_ms,
    })
}

/// A final head arrived: sets up the body decoder and builds the response.
fn start_body(request: &Request, io: &mut Exchange, head: h1::Head) -> Result<Response, DWORD> {
    notify_dword(request, WINHTTP_CALLBACK_STATUS_RESPONSE_RECEIVED, head.raw_len as DWORD);
    let framing = h1::framing(&request.current_verb(), &head).map_err(|e| e.code())?;
    io.keep_alive = h1::keep_alive(&head, framing) && !request.keep_alive_disabled();
    io.decoder = Some(Decoder::new(framing));
    let mut headers = HeaderList::default();
    for (name, value) in head.headers {
        headers.push(name, value);
    }
    Ok(Response {
        version: head.version.as_str().to_string(),
        status: head.status,
        reason: head.reason,
        headers,
        chunked: framing == Framing::Chunked,
    })
}

/// Reads (and drops) the rest of a body the caller will never see, up to
/// `WINHTTP_OPTION_MAX_RESPONSE_DRAIN_SIZE`.
fn drain(request: &Request, io: &mut Exchange, drained: &mut u64) -> StepResult<()> {
    let limit = u64::from(request.state().settings.max_response_drain_size);
    let mut scratch = [0u8; 4096];
    loop {
        let Some(decoder) = io.decoder.as_mut() else { return Ok(Step::Done(())) };
        if decoder.is_done() {
            end_body(request, io);
            return Ok(Step::Done(()));
        }
        if !io.rbuf.is_empty() {
            let (used, made) = decoder.decode(io.rbuf.bytes(), &mut scratch).map_err(|e| e.code())?;
            io.rbuf.consume(used);
            *drained += made as u64;
            if *drained > limit {
                return Err(ERROR_WINHTTP_RESPONSE_DRAIN_OVERFLOW);
            }
            if used > 0 || made > 0 {
                continue;
            }
        }
        match io.try_fill()? {
            Some(0) => {
                end_of_stream(request, io)?;
                return Ok(Step::Done(()));
            }
            Some(_) => {}
            None => return Ok(Step::Wait(receive_wait(request, io)?)),
        }
    }
}

/// Waiting for body bytes, with the receive timeout.
/// A wait until the request's connection takes more bytes, with the send timeout.
fn send_wait(request: &Request, io: &Exchange) -> Result<Wait, DWORD> {
    io.wait(Want::Write, request.state().settings.timeouts.send)
}

fn receive_wait(request: &Request, io: &Exchange) -> Result<Wait, DWORD> {
    io.wait(Want::Read, request.state().settings.timeouts.receive)
}

/// `WinHttpReceiveResponse`.
pub fn receive(request: &Arc<Request>) -> Result<Outcome<()>, DWORD> {
    let io = match request.try_io() {
        Ok(io) => io,
        // Async, while the send is in flight: queued, to start once it has completed.
        Err(_) if request.connect.session.is_async() && request.queue_receive_after_send() => {
            return Ok(Outcome::Later);
        }
        Err(e) => return Err(e),
    };
    let phase = request.state().phase;
    if phase != Phase::Sent && request.connect.session.is_async() {
        // Out of order in async mode (before WinHttpSendRequest, after a failed one, or a second
        // call after HEADERS_AVAILABLE): Windows returns TRUE and reports the error through
        // REQUEST_ERROR, on the calling thread.
        request.begin(API_RECEIVE_RESPONSE)?;
        drop(io);
        request.end_and_deliver(|| {
            notify_request_error(request, API_RECEIVE_RESPONSE, ERROR_WINHTTP_INCORRECT_HANDLE_STATE)
        });
        return Ok(Outcome::Failed);
    }
    if phase != Phase::Sent {
        return Err(ERROR_WINHTTP_INCORRECT_HANDLE_STATE);
    }
    let op = ReceiveOp::new(request);
    execute(request, io, op)
}

/// `WinHttpQueryDataAvailable`: body bytes that can be read without waiting (waiting for some
/// when none are buffered yet); 0 at the end of the body.
struct AvailableOp;

impl Operation for AvailableOp {
    type Output = DWORD;
    const API: DWORD = API_QUERY_DATA_AVAILABLE;

    fn completion(&self, n: DWORD) -> Completion {
        Completion::Dword(WINHTTP_CALLBACK_STATUS_DATA_AVAILABLE, n)
    }

    fn step(&mut self, request: &Request, io: &mut Exchange) -> StepResult<DWORD> {
        loop {
            let Some(decoder) = io.decoder.as_mut() else { return Ok(Step::Done(0)) };
            let skipped = decoder.skip_framing(io.rbuf.bytes()).map_err(|e| e.code())?;
            io.rbuf.consume(skipped);
            let decoder = io.decoder.as_ref().expect("decoder present");
            if decoder.is_done() {
                end_body(request, io);
                return Ok(Step::Done(0));
            }
            let n = decoder.available(io.buffered().len());
            if n > 0 {
                return Ok(Step::Done(n.min(DWORD::MAX as usize) as DWORD));
            }
            match io.try_fill()? {
                Some(0) => {
                    end_of_stream(request, io)?;
                    return Ok(Step::Done(0));
                }
                Some(_) => {}
                None => return Ok(Step::Wait(receive_wait(request, io)?)),
            }
        }
    }
}

/// `WinHttpQueryDataAvailable`.
pub fn available(request: &Arc<Request>) -> Result<Outcome<DWORD>, DWORD> {
    let io = request.try_io()?;
    check_receiving(request)?;
    execute(request, io, AvailableOp)
}

/// `WinHttpReadData`: copies body bytes into `out`; 0 at the end of the body (again and again).
/// With nothing buffered, a Content-Length or chunk body is read from the socket straight into the
/// caller's buffer.
struct ReadOp {
    out: *mut u8,
    len: usize,
}

// SAFETY: the caller's buffer stays valid and untouched until the operation completes (the API's
// contract in both modes); only the thread stepping the operation writes it.
unsafe impl Send for ReadOp {}

impl Operation for ReadOp {
    type Output = usize;
    const API: DWORD = API_READ_DATA;

    fn completion(&self, n: usize) -> Completion {
        Completion::Buffer(WINHTTP_CALLBACK_STATUS_READ_COMPLETE, self.out, n)
    }

    fn step(&mut self, request: &Request, io: &mut Exchange) -> StepResult<usize> {
        // SAFETY: see `impl Send for ReadOp`.
        let out = unsafe { core::slice::from_raw_parts_mut(self.out, self.len) };
        loop {
            let Some(decoder) = io.decoder.as_mut() else { return Ok(Step::Done(0)) };
            if !io.rbuf.is_empty() {
                let (used, made) = decoder.decode(io.rbuf.bytes(), out).map_err(|e| e.code())?;
                io.rbuf.consume(used);
                if io.decoder.as_ref().is_some_and(|d| d.is_done()) {
                    end_body(request, io);
                }
                if made > 0 {
                    return Ok(Step::Done(made));
                }
                if used > 0 {
                    continue;
                }
            }
            let decoder = io.decoder.as_mut().expect("decoder present");
            if decoder.is_done() {
                end_body(request, io);
                return Ok(Step::Done(0));
            }
            let run = decoder.data_run();
            if run == 0 || !io.rbuf.is_empty() {
                match io.try_fill()? {
                    Some(0) => {
                        end_of_stream(request, io)?;
                        return Ok(Step::Done(0));
                    }
                    Some(_) => continue,
                    None => return Ok(Step::Wait(receive_wait(request, io)?)),
                }
            }
            // Zero copy: the socket writes into the caller's buffer.
            let n = usize::try_from(run).map_or(out.len(), |r| r.min(out.len()));
            let conn = io.conn.as_mut().ok_or(ERROR_WINHTTP_INCORRECT_HANDLE_STATE)?;
            match conn.try_read(&mut out[..n]) {
                Ok(0) => {
                    end_of_stream(request, io)?;
                    return Ok(Step::Done(0));
                }
                Ok(k) => {
                    let decoder = io.decoder.as_mut().expect("decoder present");
                    if decoder.data_run() != u64::MAX {
                        decoder.advance(k);
                    }
                    if decoder.is_done() {
                        end_body(request, io);
                    }
                    return Ok(Step::Done(k));
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    return Ok(Step::Wait(receive_wait(request, io)?));
                }
                Err(_) => return Err(ERROR_WINHTTP_CONNECTION_ERROR),
            }
        }
    }
}

/// `WinHttpReadData`.
///
/// # Safety
/// `out` is valid for `len` bytes until the operation completes.
pub unsafe fn read(request: &Arc<Request>, out: *mut u8, len: usize) -> Result<Outcome<usize>, DWORD> {
    let io = request.try_io()?;
    check_receiving(request)?;
    if len == 0 {
        return Ok(Outcome::Done(0));
    }
    execute(request, io, ReadOp { out, len })
}

fn check_receiving(request: &Request) -> Result<(), DWORD> {
    match request.state().phase {
        Phase::Receiving => Ok(()),
        _ => Err(ERROR_WINHTTP_INCORRECT_HANDLE_STATE),
    }
}
