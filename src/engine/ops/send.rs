//! Sending: the request head with the optional data (`WinHttpSendRequest`, connecting first), and
//! body bytes streamed after it (`WinHttpWriteData`). What is written is counted on the
//! connection's request half, so the pool knows whether the request is complete.

use super::connect::{ConnectOp, SlotWaiter, install, tunnel};
use super::{
    Completion, Drained, Operation, Outcome, Step, StepResult, Wait, conn_wait, drain_body, execute, socket_wait,
};
use crate::abi::*;
use crate::engine::conn::{Connection, Reading, Writing};
use crate::engine::error::Error;
use crate::engine::lane::{Lane, Owner, Payload};
use crate::engine::log::{self, trace};
use crate::engine::objects::request::{Phase, Request};
use crate::engine::plan::Plan;
use crate::engine::pool::{self, H2Lease, H2Ticket};
use crate::engine::reactor::Want;
use crate::engine::transport::h2::{H2Conn, H2Stream, Open};
use crate::proto;
use crate::proto::h1::Encoder;
use std::sync::Arc;

/// Sending a request head and a body held in memory, connecting first. A failure on a pooled
/// connection that had gone stale is retried on a fresh one (twice at most).
pub struct SendOp {
    body: Arc<Vec<u8>>,
    written: usize,
    attempt: u8,
    connect: Option<ConnectOp>,
    /// The request starts on the lane's connection (held from the previous leg of an
    /// authentication handshake).
    begin: bool,
    /// `connect` is a CONNECT on a connection kept from the proxy's 407.
    retunnel: bool,
    /// Bytes of the previous response drained before the held connection is used.
    drained: u64,
    /// HTTP/2: where the attempt stands (see [`H2Stage`]).
    h2: H2Stage,
}

/// The HTTP/2 side of a send.
enum H2Stage {
    /// Not asked yet whether the route has an HTTP/2 connection.
    Ask,
    /// Another request is opening the route's connection: waiting on this token.
    Waiting(SlotWaiter),
    /// Connecting as the request that opens it (the ticket says what came of it).
    Opening(H2Ticket),
    /// Sending the optional data on the lane's stream.
    Body,
    /// HTTP/1.1 (or nothing more to decide).
    No,
}

impl SendOp {
    pub fn new(body: Arc<Vec<u8>>) -> Self {
        SendOp {
            body,
            written: 0,
            attempt: 0,
            connect: Some(ConnectOp::Start),
            begin: false,
            retunnel: false,
            drained: 0,
            h2: H2Stage::Ask,
        }
    }

    /// Sending on the connection the lane holds (the next leg of an authentication handshake:
    /// NTLM authenticates the connection, so every leg goes on the same one).
    pub fn on_held(body: Arc<Vec<u8>>) -> Self {
        SendOp {
            body,
            written: 0,
            attempt: 0,
            connect: None,
            begin: true,
            retunnel: false,
            drained: 0,
            h2: H2Stage::No,
        }
    }

    /// HTTP/2 first: a live shared connection makes the request a stream at once; another
    /// request opening it makes this one wait; else the connect stage runs (offering `h2` in ALPN).
    fn ask_h2(&mut self, owner: &dyn Owner, lane: &mut Lane) -> Result<Option<Wait>, Error> {
        let plan = lane.plan()?;
        let wanted = plan.tls.as_ref().is_some_and(|t| t.h2);
        if !wanted {
            self.h2 = H2Stage::No;
            return Ok(None);
        }
        if proto::h2::connection_auth(&plan.head) {
            // NTLM or Negotiate authenticates a connection: this request (not the route) goes over
            // HTTP/1.1, h2 not offered in ALPN; the route's next requests try HTTP/2 again.
            if let Some(tls) = lane.plan.as_mut().and_then(|p| p.tls.as_mut()) {
                tls.h2 = false;
            }
            self.h2 = H2Stage::No;
            return Ok(None);
        }
        let waiter = match std::mem::replace(&mut self.h2, H2Stage::No) {
            H2Stage::Waiting(w) => w,
            _ => SlotWaiter::new(),
        };
        let lease = if plan.h2_no_queue {
            pool::h2_lookup_room(&plan.route, waiter.token())
        } else {
            pool::h2_lookup(&plan.route, waiter.token())
        };
        match lease {
            H2Lease::Ready(conn) if h2_serves(plan, &conn) => {
                self.connect = None;
                self.attach(owner, lane, conn)?;
            }
            H2Lease::Ready(_) => self.h2 = H2Stage::No,
            H2Lease::H1 => {
                // HTTP/1.1 there lately: not even offered in ALPN (a server that answered a stream
                // with HTTP_1_1_REQUIRED would choose h2 again).
                if let Some(tls) = lane.plan.as_mut().and_then(|p| p.tls.as_mut()) {
                    tls.h2 = false;
                }
                self.h2 = H2Stage::No;
            }
            H2Lease::Connect(ticket) => self.h2 = H2Stage::Opening(ticket),
            H2Lease::Wait => {
                let w = Wait::Signal { token: waiter.token(), timeout_ms: plan.timeouts.connect };
                self.h2 = H2Stage::Waiting(waiter);
                return Ok(Some(w));
            }
        }
        Ok(None)
    }

    /// The request becomes a stream on `conn`: its head goes out as HEADERS.
    fn attach(&mut self, owner: &dyn Owner, lane: &mut Lane, conn: Arc<H2Conn>) -> Result<(), Error> {
        let plan = lane.plan()?;
        owner.attached(conn.local, conn.peer, conn.tls_info.clone());
        trace!(log::POOL, "h={} is a stream on HTTP/2 {} -> {}", log::handle(owner.handle()), conn.local, conn.peer);
        owner.notify(WINHTTP_CALLBACK_STATUS_SENDING_REQUEST, Payload::None);
        if log::on(log::WIRE) {
            log::head(owner.handle(), '>', &plan.head);
        }
        let head = proto::h2::request_head(&plan.head)
            .map_err(|e| Error::other(ERROR_WINHTTP_INTERNAL_ERROR, format!("HTTP/2 head: {e:?}")))?;
        conn.keep_alive(plan.h2_keepalive);
        let mut stream = Box::new(H2Stream::new(conn.clone()));
        stream.encoder = plan.encoder;
        if matches!(plan.encoder, Encoder::CallerChunked { .. }) {
            // The caller's chunk framing is removed: DATA frames carry the chunks' data.
            stream.dechunk = Some(Box::new(crate::proto::h1::Decoder::new(crate::proto::h1::Framing::Chunked)));
        }
        let end = self.body.is_empty() && plan.encoder.is_done();
        let opened = stream.open(&Open {
            method: &head.method,
            scheme: "https",
            authority: &head.authority,
            path: &head.path,
            fields: &head.fields,
            end,
        });
        if let Err(e) = opened {
            // The connection ended just before (its streams learn it first): nothing was sent,
            // so the request asks again, and gets a new connection.
            if !conn.is_open() && self.attempt < 2 {
                self.attempt += 1;
                self.h2 = H2Stage::Ask;
                self.connect = Some(ConnectOp::Start);
                return Ok(());
            }
            return Err(e);
        }
        lane.h2 = Some(stream);
        self.written = 0;
        self.h2 = H2Stage::Body;
        Ok(())
    }

    /// Sends the optional data as DATA frames within the flow-control window.
    fn h2_body(&mut self, owner: &dyn Owner, lane: &mut Lane) -> StepResult<()> {
        let timeout = lane.plan()?.timeouts.send;
        let head_len = lane.plan()?.head.len();
        let stream = lane.h2.as_mut().ok_or(ERROR_WINHTTP_INTERNAL_ERROR)?;
        while stream.sending() && self.written < self.body.len() {
            let end = stream.encoder.is_done();
            let rest = &self.body[self.written..];
            let got =
                if stream.dechunk.is_some() { stream.write_dechunked(rest)? } else { stream.poll_write(rest, end)? };
            match got {
                Some(n) => self.written += n,
                None => return Ok(Step::Wait(Wait::Signal { token: stream.token, timeout_ms: timeout })),
            }
        }
        let n = DWORD::try_from(head_len + self.body.len()).unwrap_or(DWORD::MAX);
        owner.notify(WINHTTP_CALLBACK_STATUS_REQUEST_SENT, Payload::Dword(n));
        Ok(Step::Done(()))
    }

    fn retry(&mut self, lane: &mut Lane) {
        lane.discard();
        self.attempt += 1;
        self.written = 0;
        self.connect = Some(ConnectOp::Start);
        self.h2 = H2Stage::No;
    }
}

/// Whether a shared HTTP/2 connection may carry this attempt (verified as the attempt asks).
fn h2_serves(plan: &Plan, conn: &H2Conn) -> bool {
    match (&conn.tls_info, &plan.tls) {
        (Some(info), Some(p)) => info.serves(p.ignore, &p.client, p.protocols),
        _ => false,
    }
}

fn send_wait(lane: &Lane) -> StepResult<()> {
    let timeout = lane.plan()?.timeouts.send;
    Ok(Step::Wait(socket_wait(lane, Want::Write, timeout)?))
}

impl Operation for SendOp {
    type Output = ();
    const API: DWORD = API_SEND_REQUEST;

    fn phase(&self, ok: bool) -> Option<Phase> {
        Some(if ok { Phase::Sent } else { Phase::Failed })
    }

    fn completion(&self, (): ()) -> Completion {
        Completion::Null(WINHTTP_CALLBACK_STATUS_SENDREQUEST_COMPLETE)
    }

    fn step(&mut self, owner: &dyn Owner, lane: &mut Lane) -> StepResult<()> {
        loop {
            if self.begin && lane.conn.as_ref().is_some_and(|c| matches!(c.reading, Reading::Body(_))) {
                // The caller sends again without having read the last response to its end (a
                // 401 or 407 it answers with credentials): the rest is drained, within
                // `MAX_RESPONSE_DRAIN_SIZE`, so the connection carries the next leg.
                if let Step::Wait(w) = drain_held(lane, &mut self.drained)? {
                    return Ok(Step::Wait(w));
                }
                match lane.conn.as_mut() {
                    // Kept: a send that fails on it is tried once more on a new connection.
                    Some(c) if c.reusable() || c.can_retunnel() => c.reused = true,
                    _ => {
                        lane.discard();
                        self.connect = Some(ConnectOp::Start);
                        self.begin = false;
                    }
                }
            }
            if self.begin && lane.conn.as_ref().is_some_and(|c| c.can_retunnel()) {
                // The proxy refused the previous CONNECT with a 407 and kept the connection open:
                // the next leg's CONNECT goes on it.
                let conn = lane.conn.take().ok_or(ERROR_WINHTTP_INTERNAL_ERROR)?;
                let permit = lane.permit.take().ok_or(ERROR_WINHTTP_INTERNAL_ERROR)?;
                self.connect = Some(tunnel(owner, lane.plan()?, conn.into_stream(), permit)?);
                self.begin = false;
                self.retunnel = true;
            }
            if matches!(self.h2, H2Stage::Ask | H2Stage::Waiting(_)) {
                if let Some(w) = self.ask_h2(owner, lane)? {
                    return Ok(Step::Wait(w));
                }
                // The connection it found had just ended: ask again.
                if matches!(self.h2, H2Stage::Ask) {
                    continue;
                }
            }
            if matches!(self.h2, H2Stage::Body) {
                return self.h2_body(owner, lane);
            }
            if let Some(connect) = self.connect.as_mut() {
                let plan = lane.plan()?;
                let got = match connect.step(owner, plan) {
                    Ok(Step::Wait(w)) => return Ok(Step::Wait(w)),
                    Ok(Step::Done(got)) => got,
                    // The proxy closed the connection it had kept since its 407 before answering
                    // the next CONNECT: once more on a new connection.
                    Err(e) if self.retunnel && e.code == ERROR_WINHTTP_CANNOT_CONNECT && self.attempt < 2 => {
                        self.retunnel = false;
                        self.retry(lane);
                        continue;
                    }
                    Err(e) => return Err(e),
                };
                self.retunnel = false;
                self.connect = None;
                let ticket = match std::mem::replace(&mut self.h2, H2Stage::No) {
                    H2Stage::Opening(t) => Some(t),
                    _ => None,
                };
                if got.0.stream.tls_info.as_ref().is_some_and(|i| i.h2) {
                    // ALPN chose h2: the connection is shared from now on, the request a stream on it.
                    let (conn, permit) = got;
                    let Connection { stream, .. } = *conn;
                    let shared = H2Conn::start(stream, Box::new(permit))?;
                    match ticket {
                        Some(t) => t.publish(Some(shared.clone())),
                        // A tunnel made again after the proxy's 407 (no ticket on that leg).
                        None => pool::h2_offer(&lane.plan()?.route, &shared),
                    }
                    self.attach(owner, lane, shared)?;
                    continue;
                }
                // HTTP/1.1: the server refused h2 (a pooled connection tells nothing, nor a tunnel
                // the proxy refused with a 407: no TLS was spoken on it).
                if let Some(t) = ticket.filter(|_| !got.0.reused && !got.0.refused) {
                    t.publish(None);
                }
                install(owner, lane, got);
                self.begin = true;
            }
            if self.begin {
                self.begin = false;
                owner.count(WinHttpRequestHeadersSize, lane.plan()?.head.len() as u64);
                let conn = lane.conn()?;
                conn.begin_request();
                owner.uses(conn.guid, conn.requests, conn.stream.tls_info.as_ref().is_some_and(|i| i.resumed));
                conn.requests = conn.requests.saturating_add(1);
                owner.mark(WinHttpSendRequestStart);
                if conn.refused {
                    // The tunnel was refused: nothing meant for the origin goes to the proxy.
                    self.written = lane.plan()?.head.len() + self.body.len();
                }
                owner.notify(WINHTTP_CALLBACK_STATUS_SENDING_REQUEST, Payload::None);
                if log::on(log::WIRE) {
                    log::head(owner.handle(), '>', &lane.plan()?.head);
                }
            }
            let Lane { plan, conn, .. } = lane;
            let plan = plan.as_ref().ok_or(ERROR_WINHTTP_INTERNAL_ERROR)?;
            let conn = conn.as_mut().ok_or(ERROR_WINHTTP_INTERNAL_ERROR)?;
            let reused = conn.reused;
            let total = plan.head.len() + self.body.len();
            if self.written == total {
                // TLS records still in the session leave before the request counts as sent.
                match conn.stream.flush() {
                    Ok(true) => {
                        conn.wrote_head(plan.encoder);
                        // A head plus a body of nearly 4 GiB can pass a DWORD: report the most it holds.
                        let n = DWORD::try_from(total).unwrap_or(DWORD::MAX);
                        owner.notify(WINHTTP_CALLBACK_STATUS_REQUEST_SENT, Payload::Dword(n));
                        owner.mark(WinHttpSendRequestEnd);
                        return Ok(Step::Done(()));
                    }
                    Ok(false) => return send_wait(lane),
                    Err(_) if reused && self.attempt < 2 => {
                        self.retry(lane);
                        continue;
                    }
                    Err(_) => return Err(ERROR_WINHTTP_CONNECTION_ERROR.into()),
                }
            }
            let chunk = if self.written < plan.head.len() {
                &plan.head[self.written..]
            } else {
                &self.body[self.written - plan.head.len()..]
            };
            match conn.stream.try_write(chunk) {
                Ok(n) if n > 0 => {
                    let head = plan.head.len();
                    if self.written < head && self.written + n >= head {
                        owner.mark(WinHttpSendRequestHeadersEnd);
                    }
                    self.written += n
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return send_wait(lane),
                _ if reused && self.attempt < 2 => self.retry(lane),
                _ => return Err(ERROR_WINHTTP_CONNECTION_ERROR.into()),
            }
        }
    }
}

/// Reads (and drops) the rest of the response left unread on the held connection, up to the
/// plan's drain limit. `Done` when the body ended (the connection's response half is then
/// complete) or when the connection cannot be kept (over the limit, closed, broken: the caller
/// then discards it).
fn drain_held(lane: &mut Lane, drained: &mut u64) -> StepResult<()> {
    let end = match drain_body(lane, drained)? {
        Step::Wait(w) => return Ok(Step::Wait(w)),
        Step::Done(end) => end,
    };
    if let Some(conn) = lane.conn.as_mut() {
        match end {
            Drained::Nothing => {}
            Drained::Complete => conn.finish_response(),
            Drained::Overflow | Drained::Closed | Drained::Failed(_) => conn.keep_alive = false,
        }
    }
    Ok(Step::Done(()))
}

/// `WinHttpSendRequest`: adds the caller's headers, plans the attempt, connects (or reuses a
/// pooled connection) and sends the head and the optional data. `total` is the announced body
/// length (0: no more than the optional data).
pub fn send(request: &Arc<Request>, headers: &str, optional: &[u8], total: DWORD) -> Result<Outcome<()>, Error> {
    let mut lane = request.try_io()?;
    if request.state().phase == Phase::Sent {
        return Err(ERROR_WINHTTP_INCORRECT_HANDLE_STATE.into());
    }
    if !headers.is_empty() {
        request
            .headers()
            .add_text(headers, WINHTTP_ADDREQ_FLAG_ADD | WINHTTP_ADDREQ_FLAG_REPLACE)
            .map_err(|e| Error::from(e.code()))?;
    }
    // A previous exchange on this handle ends here: a connection still in the middle of it is
    // closed (only a complete one went back to the pool). One kept after a challenge that the
    // caller must answer by sending again (`ERROR_WINHTTP_RESEND_REQUEST`, or a proxy's 407 to
    // CONNECT the caller read; or one whose response the caller left unread, drained first)
    // carries the next leg.
    let held = match lane.conn.take_if(|c| c.reusable() || c.can_retunnel() || c.drainable()) {
        Some(conn) => lane.permit.take().map(|permit| (conn, permit)),
        None => None,
    };
    lane.discard();
    *request.response.lock().unwrap_or_else(|p| p.into_inner()) = None;
    request.metrics.reset();
    request.metrics.mark(WinHttpConnectionAcquireStart);
    // `WINHTTP_IGNORE_REQUEST_TOTAL_LENGTH` is 0: with a caller-chunked body the framing comes
    // from its `Transfer-Encoding` header (see `proto::h1::frame_request`).
    let total = u64::from(total).max(optional.len() as u64);
    let ws_buffer_too_small = {
        let st = request.state();
        st.upgrade_to_websocket && st.settings.websocket_send_buffer < 16
    };
    if ws_buffer_too_small && request.connect.session.is_async() {
        // A WebSocket send buffer below Windows' minimum: the async mode reports the plan's
        // ERROR_NOT_ENOUGH_MEMORY through REQUEST_ERROR, on the calling thread.
        request.begin(API_SEND_REQUEST)?;
        drop(lane);
        request.end_and_deliver(|| super::notify_request_error(request, API_SEND_REQUEST, ERROR_NOT_ENOUGH_MEMORY));
        return Ok(Outcome::Failed);
    }
    let plan = request.plan(Some(total), optional)?;
    let held = held.filter(|_| lane.plan.as_ref().is_some_and(|p| p.route == plan.route));
    // The optional data is copied: the async mode may send it after the call has returned.
    let body = if optional.is_empty() { empty_body() } else { Arc::new(optional.to_vec()) };
    lane.replay = plan.encoder.is_done().then(|| body.clone());
    lane.plan = Some(plan);
    match held {
        Some((conn, permit)) => {
            lane.conn = Some(conn);
            lane.permit = Some(permit);
            execute(request, lane, SendOp::on_held(body))
        }
        None => execute(request, lane, SendOp::new(body)),
    }
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

    fn step(&mut self, _owner: &dyn Owner, lane: &mut Lane) -> StepResult<DWORD> {
        // SAFETY: see `impl Send for WriteOp`.
        let data = unsafe { core::slice::from_raw_parts(self.data, self.len) };
        let timeout = lane.plan()?.timeouts.send;
        if let Some(stream) = lane.h2.as_mut() {
            // HTTP/2: DATA frames as the stream's flow-control window allows; the last byte the
            // announced length expects ends the stream.
            while self.written < data.len() {
                let rest = &data[self.written..];
                if stream.dechunk.is_some() {
                    match stream.write_dechunked(rest)? {
                        Some(n) => {
                            stream.encoder.wrote(&rest[..n]);
                            self.written += n;
                        }
                        None => return Ok(Step::Wait(Wait::Signal { token: stream.token, timeout_ms: timeout })),
                    }
                    continue;
                }
                let mut after = stream.encoder;
                after.wrote(rest);
                match stream.poll_write(rest, after.is_done())? {
                    Some(n) => {
                        stream.encoder.wrote(&rest[..n]);
                        self.written += n;
                    }
                    None => return Ok(Step::Wait(Wait::Signal { token: stream.token, timeout_ms: timeout })),
                }
            }
            return Ok(Step::Done(self.len as DWORD));
        }
        let conn = lane.conn()?;
        if conn.refused {
            // The tunnel was refused (its 407 waits to be received): the bytes meant for the
            // origin are counted, never sent to the proxy.
            conn.wrote_body(data);
            return Ok(Step::Done(self.len as DWORD));
        }
        while self.written < data.len() {
            match conn.stream.try_write(&data[self.written..]) {
                Ok(n) if n > 0 => {
                    conn.wrote_body(&data[self.written..self.written + n]);
                    self.written += n;
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    return Ok(Step::Wait(conn_wait(conn, Want::Write, timeout)));
                }
                _ => return Err(ERROR_WINHTTP_CONNECTION_ERROR.into()),
            }
        }
        // TLS records still in the session leave before the write completes.
        match conn.stream.flush() {
            Ok(true) => Ok(Step::Done(self.len as DWORD)),
            Ok(false) => Ok(Step::Wait(conn_wait(conn, Want::Write, timeout))),
            Err(_) => Err(ERROR_WINHTTP_CONNECTION_ERROR.into()),
        }
    }

    fn phase(&self, ok: bool) -> Option<Phase> {
        (!ok).then_some(Phase::Failed)
    }

    fn completion(&self, n: DWORD) -> Completion {
        Completion::Dword(WINHTTP_CALLBACK_STATUS_WRITE_COMPLETE, n)
    }
}

/// `WinHttpWriteData`: writing past the announced total fails with `ERROR_INVALID_PARAMETER`.
///
/// # Safety
/// `data` is valid for `len` bytes until the operation completes.
pub unsafe fn write(request: &Arc<Request>, data: *const u8, len: usize) -> Result<Outcome<DWORD>, Error> {
    let mut lane = request.try_io()?;
    if request.state().phase != Phase::Sent {
        return Err(ERROR_WINHTTP_INCORRECT_HANDLE_STATE.into());
    }
    let room = match (lane.conn.as_ref().map(|c| c.writing), lane.h2.as_ref()) {
        (_, Some(s)) if s.sending() => s.encoder.room(),
        (_, Some(_)) => Some(0),
        (Some(Writing::Body(e)), _) => e.room(),
        (Some(_), _) => Some(0),
        (None, None) => return Err(ERROR_WINHTTP_INCORRECT_HANDLE_STATE.into()),
    };
    if room.is_some_and(|left| len as u64 > left) {
        return Err(ERROR_INVALID_PARAMETER.into());
    }
    lane.replay = None;
    execute(request, lane, WriteOp { data, len, written: 0 })
}

/// The body of a request with no optional data: one shared empty buffer, not an allocation each.
fn empty_body() -> Arc<Vec<u8>> {
    static EMPTY: std::sync::OnceLock<Arc<Vec<u8>>> = std::sync::OnceLock::new();
    EMPTY.get_or_init(|| Arc::new(Vec::new())).clone()
}

#[cfg(test)]
mod tests {
    use super::super::testing::{Recorder, lane, plan};
    use super::*;
    use crate::proto::h1::Encoder;
    use std::io::Read;

    #[test]
    fn a_short_body_leaves_the_request_half_open() {
        let owner = Recorder::default();
        let mut p = plan("POST", "/a", b"Content-Length: 10\r\n", Encoder::Length(10));
        p.encoder = Encoder::Length(7);
        let (mut lane, mut peer) = lane(p);
        lane.conn.as_mut().unwrap().begin_request();
        // A pooled-connection stand-in: the connect stage is skipped.
        let mut op = SendOp {
            body: Arc::new(b"abc".to_vec()),
            written: 0,
            attempt: 0,
            connect: None,
            begin: false,
            retunnel: false,
            drained: 0,
            h2: H2Stage::No,
        };
        assert!(matches!(op.step(&owner, &mut lane), Ok(Step::Done(()))));
        assert_eq!(lane.conn.as_ref().unwrap().writing, Writing::Body(Encoder::Length(7)));
        let mut got = vec![0u8; 256];
        let n = peer.read(&mut got).unwrap();
        assert!(got[..n].ends_with(b"\r\n\r\nabc"));
        assert_eq!(owner.statuses(), vec![WINHTTP_CALLBACK_STATUS_REQUEST_SENT]);
        let data = b"defghij";
        let mut w = WriteOp { data: data.as_ptr(), len: 3, written: 0 };
        assert!(matches!(w.step(&owner, &mut lane), Ok(Step::Done(3))));
        assert!(!lane.conn.as_ref().unwrap().reusable());
        let mut w = WriteOp { data: data[3..].as_ptr(), len: 4, written: 0 };
        assert!(matches!(w.step(&owner, &mut lane), Ok(Step::Done(4))));
        assert_eq!(lane.conn.as_ref().unwrap().writing, Writing::Done);
    }
}
