//! The request operations and their drivers: the I/O behind `WinHttpSendRequest`,
//! `WinHttpWriteData`, `WinHttpReceiveResponse`, `WinHttpQueryDataAvailable` and `WinHttpReadData`.
//!
//! Each call is an [`Operation`]: a resumable state machine over a [`Lane`] whose
//! [`Operation::step`] makes only non-blocking calls and, when it would block, returns a [`Wait`]:
//! on a socket (readable or writable) or on a signal (a name lookup, a free connection slot; later
//! an HTTP/2 stream or a WebSocket lane). Steps see the lane and an [`Owner`] (notifications,
//! cancel flag, the next plan), never a handle object. A driver runs the steps: [`run`] (sync
//! calls) waits on the calling thread between steps; [`drive`] (async calls) steps on the calling
//! thread while it can, then parks on the reactor and resumes from the completion pool.
//!
//! Modules: [`connect`] (pool, resolution, TCP, the CONNECT leg, TLS), [`send`] (head, optional
//! data, `WinHttpWriteData`), [`receive`] (response head, interim responses, what follows the
//! head), [`read`] (`WinHttpQueryDataAvailable`, `WinHttpReadData`).

pub mod connect;
pub mod read;
pub mod receive;
pub mod send;
pub mod websocket;

use crate::abi::*;
use crate::engine::cancel::{self, NOT_WAITING};
use crate::engine::completion;
use crate::engine::conn::Connection;
use crate::engine::error::Error;
use crate::engine::lane::{Lane, Owner, Payload};
use crate::engine::log;
use crate::engine::objects::request::{Phase, Request};
use crate::engine::reactor::{Token, Wake, Want, reactor};
use crate::engine::transport::h2::H2Stream;
use crate::engine::transport::tcp::{poll_ready, poll_sliced};
use std::sync::Arc;
use std::sync::atomic::Ordering;

/// What an operation waits for before its next step.
#[derive(Clone, Copy, Debug)]
pub enum Wait {
    /// A socket ready for `want` (`token` is its reactor token, registered for async sessions).
    Socket { fd: std::os::fd::RawFd, token: Token, want: Want, timeout_ms: DWORD },
    /// A signal token (see `Reactor::signal`).
    Signal { token: Token, timeout_ms: DWORD },
}

impl Wait {
    fn token(&self) -> Token {
        match *self {
            Wait::Socket { token, .. } | Wait::Signal { token, .. } => token,
        }
    }

    fn want(&self) -> Want {
        match *self {
            Wait::Socket { want, .. } => want,
            Wait::Signal { .. } => Want::Read,
        }
    }

    fn timeout_ms(&self) -> DWORD {
        match *self {
            Wait::Socket { timeout_ms, .. } | Wait::Signal { timeout_ms, .. } => timeout_ms,
        }
    }
}

/// The result of one step: the operation's output, or what it waits for before the next step.
pub enum Step<T> {
    Done(T),
    Wait(Wait),
}

pub type StepResult<T> = Result<Step<T>, Error>;

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
    /// Makes as much progress as it can without blocking.
    fn step(&mut self, owner: &dyn Owner, lane: &mut Lane) -> StepResult<Self::Output>;
    /// The request's phase once the operation has ended (`None`: unchanged).
    fn phase(&self, ok: bool) -> Option<Phase>;
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

/// A wait on a lane's connection for `want`, with `timeout_ms`.
pub(crate) fn socket_wait(lane: &Lane, want: Want, timeout_ms: DWORD) -> Result<Wait, DWORD> {
    let conn = lane.conn.as_ref().ok_or(ERROR_WINHTTP_INCORRECT_HANDLE_STATE)?;
    Ok(conn_wait(conn, want, timeout_ms))
}

/// A wait on `conn` for `want`, with `timeout_ms`.
pub(crate) fn conn_wait(conn: &Connection, want: Want, timeout_ms: DWORD) -> Wait {
    Wait::Socket { fd: conn.stream.fd(), token: conn.stream.token, want: conn.want(want), timeout_ms }
}

/// The sync driver: steps the operation on the calling thread, waiting in between (with the
/// owner's cancel flag). An error drops the connection.
pub fn run<O: Operation>(owner: &dyn Owner, lane: &mut Lane, op: &mut O) -> Result<O::Output, Error> {
    let cancel = owner.cancel();
    let r = loop {
        if cancel.is_cancelled() {
            break Err(ERROR_WINHTTP_OPERATION_CANCELLED.into());
        }
        owner.step_begins();
        let step = op.step(owner, lane);
        // A close shuts the socket down: whatever the step saw then (EOF, an error) is the cancel.
        if cancel.is_cancelled() {
            break Err(ERROR_WINHTTP_OPERATION_CANCELLED.into());
        }
        match step {
            Ok(Step::Done(v)) => break Ok(v),
            Ok(Step::Wait(w)) => {
                let deadline = cancel::deadline(cancel::timeout(w.timeout_ms()));
                let waited = match w {
                    Wait::Socket { fd, want, .. } => poll_ready(fd, want, deadline, cancel),
                    Wait::Signal { token, .. } => match lane.h2.as_deref() {
                        Some(stream) => h2_wait_sync(stream, token, deadline, cancel),
                        None => cancel::wait_ready(token, Want::Read, deadline, cancel),
                    },
                };
                if let Err(e) = waited {
                    break Err(e.into());
                }
            }
            Err(e) => break Err(e),
        }
    };
    // A challenge the caller must answer by sending again keeps its connection for that leg.
    if r.as_ref().is_err_and(|e| e.code != ERROR_WINHTTP_RESEND_REQUEST) {
        lane.discard();
    }
    r
}

/// A sync wait of an HTTP/2 stream on `token` (its own, for its data): on the connection's socket
/// itself when the stream allows it (`H2Stream::direct_fd`: readable, the next step runs the pump;
/// the token signalled, another thread's pump brought the data; a cancel, seen between 50 ms slices
/// since the shared socket is not shut down for one request's cancel; the deadline), else on the
/// reactor with the connection's pump parked on the socket.
fn h2_wait_sync(
    stream: &H2Stream,
    token: Token,
    deadline: Option<std::time::Instant>,
    cancel: &cancel::Cancel,
) -> Result<(), DWORD> {
    let Some(fd) = stream.direct_fd() else {
        stream.watch();
        return cancel::wait_ready(token, Want::Read, deadline, cancel);
    };
    poll_sliced(fd, Want::Read, deadline, || {
        if cancel.is_cancelled() {
            Some(Err(ERROR_WINHTTP_OPERATION_CANCELLED))
        } else {
            reactor().take_signal(token).then_some(Ok(()))
        }
    })
}

/// Runs an operation as the request's session asks: sync (to the end, on this thread) or async
/// (as far as it can go here, then parked on the reactor).
pub(crate) fn execute<O: Operation + Send + 'static>(
    request: &Arc<Request>,
    mut lane: std::sync::MutexGuard<'_, Lane>,
    mut op: O,
) -> Result<Outcome<O::Output>, Error> {
    request.begin(O::API)?;
    if !request.connect.session.is_async() {
        let r = run(&**request, &mut lane, &mut op);
        finished(request, &op, r.is_ok());
        drop(lane);
        request.end();
        return r.map(Outcome::Done);
    }
    drop(lane);
    Ok(drive(request.clone(), op, true))
}

fn finished<O: Operation>(request: &Request, op: &O, ok: bool) {
    if let Some(phase) = op.phase(ok) {
        request.state().phase = phase;
    }
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
        let mut lane = request.io();
        let step = if request.cancel.is_cancelled() {
            Err(ERROR_WINHTTP_OPERATION_CANCELLED.into())
        } else {
            request.metrics.step_begins();
            op.step(&*request, &mut lane)
        };
        match step {
            _ if request.cancel.is_cancelled() => {
                lane.discard();
                Err(ERROR_WINHTTP_OPERATION_CANCELLED.into())
            }
            Ok(Step::Done(v)) => Ok(v),
            Ok(Step::Wait(w)) => {
                if let Some(stream) = lane.h2.as_deref() {
                    stream.watch();
                }
                drop(lane);
                park(request, op, w);
                return Outcome::Later;
            }
            Err(e) => {
                if e.code != ERROR_WINHTTP_RESEND_REQUEST {
                    lane.discard();
                }
                Err(e)
            }
        }
    };
    finished(&request, &op, result.is_ok());
    if inline && DEPTH.get() >= MAX_INLINE_DEPTH {
        completion::submit(move || deliver(&request, &op, result));
        return Outcome::Later;
    }
    let outcome = match (inline, &result) {
        (true, Ok(v)) => Outcome::Done(*v),
        (true, Err(_)) => Outcome::Failed,
        (false, _) => Outcome::Later,
    };
    deliver(&request, &op, result);
    outcome
}

/// Parks an operation on the reactor until its wait is over, its timeout passes or the request
/// is closed; it then continues on a completion thread.
fn park<O: Operation + Send + 'static>(request: Arc<Request>, op: O, w: Wait) {
    let token = w.token();
    let cancel_flag = request.cancel.clone();
    cancel_flag.waiting_on.store(token.0, Ordering::SeqCst);
    let deadline = cancel::deadline(cancel::timeout(w.timeout_ms()));
    reactor().park(
        token,
        w.want(),
        deadline,
        Box::new(move |wake| {
            completion::submit(move || {
                request.cancel.waiting_on.store(NOT_WAITING, Ordering::SeqCst);
                match wake {
                    Wake::TimedOut => {
                        request.io().discard();
                        let result = Err(Error::other(ERROR_WINHTTP_TIMEOUT, "no readiness before the timeout"));
                        finished(&request, &op, false);
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
    if cancel_flag.is_cancelled() {
        reactor().cancel(token);
    }
}

/// Ends the operation and delivers its completion (or `REQUEST_ERROR`) to the status callback.
/// After a send, starts the receive queued during it (on a completion thread, as Windows does).
fn deliver<O: Operation>(request: &Arc<Request>, op: &O, result: Result<O::Output, Error>) {
    let ok = result.is_ok();
    request.end_and_deliver(|| {
        DEPTH.set(DEPTH.get() + 1);
        match result {
            Ok(v) => match op.completion(v) {
                Completion::Null(status) => request.notify(status, Payload::None),
                Completion::Dword(status, v) => request.notify(status, Payload::Dword(v)),
                // SAFETY: the caller's buffer, valid until this completion by the API's contract.
                Completion::Buffer(status, p, n) => {
                    if status == WINHTTP_CALLBACK_STATUS_READ_COMPLETE && log::on(log::BODY) && !p.is_null() {
                        // SAFETY: the caller's buffer, `n` bytes read into it.
                        log::body(request.core.handle(), '<', unsafe {
                            core::slice::from_raw_parts(p.cast_const(), n)
                        });
                    }
                    // SAFETY: the caller's buffer, valid until this completion by the API's contract.
                    unsafe { request.core.notify(status, p.cast(), n as DWORD) }
                }
            },
            // The boundary: the cause stays here (for a log), the code goes to the callback.
            Err(e) => notify_request_error(request, O::API, e.code),
        }
        DEPTH.set(DEPTH.get() - 1);
    });
    if O::API == API_SEND_REQUEST && request.take_queued_receive() && ok {
        let request = request.clone();
        completion::submit(move || {
            if let Err(e) = receive::receive(&request)
                && request.begin(API_RECEIVE_RESPONSE).is_ok()
            {
                request.end_and_deliver(|| notify_request_error(&request, API_RECEIVE_RESPONSE, e.code));
            }
        });
    }
}

/// `REQUEST_ERROR` with its `WINHTTP_ASYNC_RESULT` (`API_*` and the error).
pub(crate) fn notify_request_error(request: &Request, api: DWORD, error: DWORD) {
    let mut r = WINHTTP_ASYNC_RESULT { dwResult: api as DWORD_PTR, dwError: error };
    let len = core::mem::size_of::<WINHTTP_ASYNC_RESULT>() as DWORD;
    // SAFETY: `r` lives for the duration of the call.
    unsafe { request.core.notify(WINHTTP_CALLBACK_STATUS_REQUEST_ERROR, (&raw mut r).cast(), len) }
}

/// The response was read to the end: the connection goes back to the pool if both halves are
/// complete and it may be reused, or is closed. Closing it sends no notification: Windows reports
/// only the read's completion for a `Connection: close` response (no `CLOSING_CONNECTION` or
/// `CONNECTION_CLOSED`, then or at close).
pub(crate) fn end_body(owner: &dyn Owner, lane: &mut Lane) {
    owner.mark(WinHttpReceiveResponseEnd);
    // HTTP/2's trailers (a HEADERS frame after the DATA). Windows gives none for HTTP/1.1 (.NET's
    // WinHttpHandler reads them from HTTP/2 responses only, saying the flag does not work there).
    if let Some(stream) = lane.h2.as_mut()
        && !stream.trailers.is_empty()
    {
        owner.set_trailers(std::mem::take(&mut stream.trailers));
    }
    if let Some(conn) = lane.conn.as_mut() {
        conn.finish_response();
    }
    lane.release();
}

/// How reading (and dropping) the rest of a body nobody will see ended.
pub(crate) enum Drained {
    /// No body being read on the lane.
    Nothing,
    /// The body ended: the connection's response half is complete once the caller says so.
    Complete,
    /// More than the drain limit (`WINHTTP_OPTION_MAX_RESPONSE_DRAIN_SIZE`).
    Overflow,
    /// The connection closed first.
    Closed,
    /// The framing was broken, or the socket failed.
    Failed(Error),
}

/// Reads and drops what is left of the response body on the lane's connection, counting the body
/// bytes into `drained`, up to the plan's drain limit. The caller decides what each end means.
pub(crate) fn drain_body(lane: &mut Lane, drained: &mut u64) -> StepResult<Drained> {
    let plan = lane.plan()?;
    let (limit, receive) = (plan.max_drain, plan.timeouts.receive);
    let mut scratch = [0u8; 4096];
    loop {
        let Some(conn) = lane.conn.as_mut() else { return Ok(Step::Done(Drained::Nothing)) };
        let crate::engine::conn::Reading::Body(decoder) = &mut conn.reading else {
            return Ok(Step::Done(Drained::Nothing));
        };
        if decoder.is_done() {
            return Ok(Step::Done(Drained::Complete));
        }
        if !conn.rbuf.is_empty() {
            let (used, made) = match decoder.decode(conn.rbuf.bytes(), &mut scratch) {
                Ok(r) => r,
                Err(e) => return Ok(Step::Done(Drained::Failed(Error::protocol(e)))),
            };
            conn.rbuf.consume(used);
            *drained += made as u64;
            if *drained > limit {
                return Ok(Step::Done(Drained::Overflow));
            }
            if used > 0 || made > 0 {
                continue;
            }
        }
        match conn.try_fill() {
            Ok(Some(0)) => return Ok(Step::Done(Drained::Closed)),
            Ok(Some(_)) => {}
            Ok(None) => return Ok(Step::Wait(socket_wait(lane, Want::Read, receive)?)),
            Err(e) => return Ok(Step::Done(Drained::Failed(Error::io(ERROR_WINHTTP_CONNECTION_ERROR, &e)))),
        }
    }
}

/// The connection ended: the end of a close-delimited body (true), or a truncated one.
pub(crate) fn end_of_stream(owner: &dyn Owner, lane: &mut Lane) -> Result<bool, Error> {
    let Some(conn) = lane.conn.as_mut() else { return Ok(true) };
    let r = conn.decoder().map(|d| d.eof()).unwrap_or(Ok(()));
    conn.keep_alive = false;
    match r {
        Ok(()) => {
            end_body(owner, lane);
            Ok(true)
        }
        Err(e) => {
            lane.discard();
            Err(Error::protocol(e))
        }
    }
}

#[cfg(test)]
pub(crate) mod testing {
    //! A recording owner and a hand-made plan, to step operations over a socket pair.
    use super::*;
    use crate::engine::cancel::Cancel;
    use crate::engine::lane::Response;
    use crate::engine::plan::{Plan, Route, Via};
    use crate::engine::settings::Timeouts;
    use crate::engine::transport::tcp::Stream;
    use crate::proto::followup::{Policy, Target};
    use crate::proto::h1::Encoder;
    use std::sync::Mutex;

    #[derive(Default)]
    pub struct Recorder {
        pub cancel: Cancel,
        pub events: Mutex<Vec<(DWORD, String)>>,
        pub response: Mutex<Option<Response>>,
    }

    impl Owner for Recorder {
        fn notify(&self, status: DWORD, payload: Payload<'_>) {
            let text = match payload {
                Payload::None => String::new(),
                Payload::Dword(v) => v.to_string(),
                Payload::Str(s) => s.to_string(),
            };
            self.events.lock().unwrap().push((status, text));
        }
        fn cancel(&self) -> &Cancel {
            &self.cancel
        }
        fn connected(&self, _: &Stream) {}
        fn redirect(&self, next: &Target, _: bool, _: &[u8]) -> Result<Plan, DWORD> {
            Ok(plan(&next.verb, &next.path, b"", Encoder::Length(0)))
        }
        fn set_response(&self, r: Response) {
            *self.response.lock().unwrap() = Some(r);
        }
        fn challenged(&self, _: bool, _: &Response, _: &str) -> bool {
            false
        }
        fn resend(&self, _: &[u8]) -> Result<Plan, DWORD> {
            Err(ERROR_WINHTTP_INTERNAL_ERROR)
        }
    }

    impl Recorder {
        pub fn statuses(&self) -> Vec<DWORD> {
            self.events.lock().unwrap().iter().map(|e| e.0).collect()
        }
    }

    pub fn plan(verb: &str, path: &str, extra_head: &[u8], encoder: Encoder) -> Plan {
        let target = Target { secure: false, host: "pair.test".into(), port: 80, path: path.into(), verb: verb.into() };
        let mut head = format!("{verb} {path} HTTP/1.1\r\nHost: pair.test\r\n").into_bytes();
        head.extend_from_slice(extra_head);
        head.extend_from_slice(b"\r\n");
        Plan {
            request_uri: path.into(),
            connect_auth: None,
            route: Route { secure: false, host: "pair.test".into(), port: 80, via: Via::Direct },
            target,
            head,
            encoder,
            timeouts: Timeouts { receive: 2000, send: 2000, ..Timeouts::default() },
            is_async: false,
            max_conns: 0,
            keep_alive: true,
            tls: None,
            max_head: 64 * 1024,
            max_interim: 10,
            max_redirects: 10,
            max_drain: 1 << 20,
            policy: Policy {
                redirect_policy: 0,
                redirects_disabled: true,
                body_replayable: false,
                auth_disabled: false,
                server_credentials: false,
                proxy_credentials: false,
                reject_userpwd: false,
            },
            passport: 0,
            cookies: false,
            decompression: 0,
            decompression_ratio: 1000,
            tcp_keepalive: None,
            websocket: None,
            h2_keepalive: 0,
            h2_no_queue: false,
        }
    }

    /// A lane holding one end of a socket pair as its connection, with `plan`.
    pub fn lane(plan: Plan) -> (Lane, std::os::unix::net::UnixStream) {
        let (stream, peer) = Stream::pair();
        let lane = Lane {
            plan: Some(plan),
            conn: Some(crate::engine::conn::Connection::new(stream, false)),
            permit: None,
            replay: None,
            decoding: None,
            h2: None,
        };
        (lane, peer)
    }
}
