//! `WinHttpReceiveResponse`: reading the response head (skipping interim 1xx responses), then
//! carrying out what `proto::followup::decide` says follows it: deliver it, or drain the body and
//! send the request again to a redirect's target.

use super::send::SendOp;
use super::{
    Completion, Drained, Operation, Outcome, Step, StepResult, Wait, drain_body, end_body, end_of_stream, execute,
    notify_request_error, socket_wait,
};
use crate::abi::*;
use crate::engine::cancel;
use crate::engine::conn::Reading;
use crate::engine::error::Error;
use crate::engine::lane::{Decoding, Lane, Owner, Payload, Response};
use crate::engine::log;
use crate::engine::objects::request::{Phase, Request};
use crate::engine::pool;
use crate::engine::reactor::Want;
use crate::proto::followup::{self, Followup, Target};
use crate::proto::h1::{self, Decoder, Framing, HeadParser, Parse};
use crate::proto::passport;
use crate::proto::ws;
use crate::proto::{self, coding};
use std::sync::Arc;
use std::time::Instant;

/// Challenges answered by one `WinHttpReceiveResponse` at most (NTLM and Negotiate take two legs;
/// a server that keeps challenging after that gets its 401 delivered, never an endless loop).
const MAX_AUTH_LEGS: u32 = 8;

pub struct ReceiveOp {
    stage: Receive,
    redirects: DWORD,
    auth_legs: u32,
    /// A stale pooled connection was already replaced once.
    retried: bool,
    /// HTTP/2 streams the server never processed (REFUSED_STREAM, above a GOAWAY's last stream)
    /// sent again so far: safe to repeat, up to [`H2_RETRIES`] times.
    h2_retries: u8,
}

/// How many times a stream the server never processed is sent again (a burst on a new
/// connection can be refused once by the server's limit and again by the next connection's).
const H2_RETRIES: u8 = 3;

#[allow(clippy::large_enum_variant)]
enum Receive {
    /// Reading a head; `started` once RECEIVING_RESPONSE was sent, and then `deadline` is when
    /// `WINHTTP_OPTION_RECEIVE_RESPONSE_TIMEOUT` (the whole head, interim responses included) ends.
    Head { parser: Option<HeadParser>, interim: DWORD, started: bool, deadline: Option<Instant> },
    /// Reading the rest of a redirect's body before following it.
    Drain { next: Target, keep_body: bool, drained: u64 },
    /// Reading the rest of a challenge's body, keeping the connection for the next leg (NTLM
    /// authenticates the connection); then the request is sent again with the answer (`replay`),
    /// or the caller must send it again (`ERROR_WINHTTP_RESEND_REQUEST`).
    AuthDrain { replay: bool, drained: u64 },
    /// Sending the request again (to the redirect target, after a challenge, or after a stale
    /// connection).
    Resend(SendOp),
}

impl Default for ReceiveOp {
    fn default() -> Self {
        Self::new()
    }
}

impl ReceiveOp {
    pub fn new() -> Self {
        ReceiveOp { stage: Self::head(), redirects: 0, auth_legs: 0, retried: false, h2_retries: 0 }
    }

    fn head() -> Receive {
        Receive::Head { parser: None, interim: 0, started: false, deadline: None }
    }
}

impl Operation for ReceiveOp {
    type Output = ();
    const API: DWORD = API_RECEIVE_RESPONSE;

    fn phase(&self, ok: bool) -> Option<Phase> {
        Some(if ok { Phase::Receiving } else { Phase::Failed })
    }

    fn completion(&self, (): ()) -> Completion {
        Completion::Null(WINHTTP_CALLBACK_STATUS_HEADERS_AVAILABLE)
    }

    fn step(&mut self, owner: &dyn Owner, lane: &mut Lane) -> StepResult<()> {
        loop {
            match &mut self.stage {
                Receive::Head { parser, interim, started, deadline } => {
                    let plan = lane.plan()?;
                    let (max_head, max_interim, timeouts) = (plan.max_head, plan.max_interim, plan.timeouts);
                    if !*started {
                        *started = true;
                        if lane.decoding.is_some() {
                            lane.decoding = None;
                        }
                        *deadline = cancel::deadline(cancel::timeout(timeouts.receive_response));
                        owner.notify(WINHTTP_CALLBACK_STATUS_RECEIVING_RESPONSE, Payload::None);
                        owner.mark(WinHttpReceiveResponseStart);
                    }
                    if lane.h2.is_some() {
                        let wait = head_wait_ms(timeouts.receive, *deadline)?;
                        let got = match h2_head(owner, lane, wait) {
                            // Never processed by the server (GOAWAY, REFUSED_STREAM): again, on a
                            // new connection (a few times at most).
                            Err(_)
                                if self.h2_retries < H2_RETRIES
                                    && lane.replay.is_some()
                                    && lane.h2.as_ref().is_some_and(|s| s.retryable) =>
                            {
                                self.h2_retries += 1;
                                if lane.h2.as_ref().is_some_and(|s| s.h1_required) {
                                    pool::h2_downgrade(&lane.plan()?.route);
                                }
                                let body = lane.replay.clone().unwrap_or_default();
                                lane.discard();
                                self.stage = Receive::Resend(SendOp::new(body));
                                continue;
                            }
                            got => got?,
                        };
                        let Some(response) = got else {
                            let token = lane.h2.as_ref().map(|s| s.token).ok_or(ERROR_WINHTTP_INTERNAL_ERROR)?;
                            return Ok(Step::Wait(Wait::Signal { token, timeout_ms: wait }));
                        };
                        if self.decide(owner, lane, response)? {
                            return Ok(Step::Done(()));
                        }
                        continue;
                    }
                    let parser = parser.get_or_insert_with(|| HeadParser::new(max_head));
                    let conn = lane.conn.as_mut().ok_or(ERROR_WINHTTP_INCORRECT_HANDLE_STATE)?;
                    let head = match parser.parse(conn.rbuf.bytes()).map_err(Error::protocol)? {
                        Parse::Complete { head, consumed } => {
                            if log::on(log::WIRE) {
                                log::head(owner.handle(), '<', &conn.rbuf.bytes()[..consumed]);
                            }
                            conn.rbuf.consume(consumed);
                            head
                        }
                        Parse::Incomplete => {
                            match conn.try_fill().map_err(|e| Error::io(ERROR_WINHTTP_CONNECTION_ERROR, &e))? {
                                Some(0) => {
                                    // A pooled connection the server had closed: send again on a new one.
                                    if conn.reused && conn.rbuf.is_empty() && !self.retried && lane.replay.is_some() {
                                        self.retried = true;
                                        let body = lane.replay.clone().unwrap_or_default();
                                        lane.discard();
                                        self.stage = Receive::Resend(SendOp::new(body));
                                        continue;
                                    }
                                    return Err(Error::protocol(parser.eof(conn.rbuf.bytes())));
                                }
                                Some(_) => continue,
                                None => {
                                    let wait = head_wait_ms(timeouts.receive, *deadline)?;
                                    return Ok(Step::Wait(socket_wait(lane, Want::Read, wait)?));
                                }
                            }
                        }
                    };
                    if head.is_interim() {
                        *interim += 1;
                        if *interim > max_interim {
                            return Err(ERROR_WINHTTP_INVALID_SERVER_RESPONSE.into());
                        }
                        owner.notify(
                            WINHTTP_CALLBACK_STATUS_INTERMEDIATE_RESPONSE,
                            Payload::Dword(head.status as DWORD),
                        );
                        *parser = HeadParser::new(max_head);
                        continue;
                    }
                    let response = start_body(owner, lane, head)?;
                    if self.decide(owner, lane, response)? {
                        return Ok(Step::Done(()));
                    }
                }
                Receive::AuthDrain { replay, drained } => {
                    match drain(owner, lane, drained, true) {
                        Ok(Step::Wait(w)) => return Ok(Step::Wait(w)),
                        Ok(Step::Done(())) => {}
                        // A huge challenge body: the connection is given up, the next leg goes
                        // on a new one.
                        Err(e) if e.code == ERROR_WINHTTP_RESPONSE_DRAIN_OVERFLOW => lane.discard(),
                        Err(e) => return Err(e),
                    }
                    // The connection is kept for the next leg only when it can carry one (a refused
                    // tunnel's carries the next CONNECT).
                    if lane.conn.as_ref().is_some_and(|c| !c.reusable() && !c.can_retunnel()) {
                        lane.discard();
                    }
                    if let Some(conn) = lane.conn.as_mut() {
                        conn.reused = true;
                    }
                    if !*replay {
                        return Err(Error::other(
                            ERROR_WINHTTP_RESEND_REQUEST,
                            "a challenge for a body streamed with WinHttpWriteData: the caller sends again",
                        ));
                    }
                    let body = lane.replay.clone().unwrap_or_default();
                    let held = lane.conn.is_some();
                    lane.plan = Some(owner.resend(&body)?);
                    self.stage = Receive::Resend(if held { SendOp::on_held(body) } else { SendOp::new(body) });
                }
                Receive::Drain { next, keep_body, drained } => {
                    if let Step::Wait(w) = drain(owner, lane, drained, false)? {
                        return Ok(Step::Wait(w));
                    }
                    owner.notify(WINHTTP_CALLBACK_STATUS_REDIRECT, Payload::Str(&next.url()));
                    let keep_body = *keep_body;
                    let body = if keep_body { lane.replay.clone().unwrap_or_default() } else { Arc::default() };
                    if !keep_body {
                        lane.replay = Some(Arc::default());
                    }
                    lane.discard();
                    lane.plan = Some(owner.redirect(next, keep_body, &body)?);
                    self.stage = Receive::Resend(SendOp::new(body));
                }
                Receive::Resend(op) => {
                    if let Step::Wait(w) = op.step(owner, lane)? {
                        return Ok(Step::Wait(w));
                    }
                    self.stage = Self::head();
                }
            }
        }
    }
}

impl ReceiveOp {
    /// What follows a final response (the same over HTTP/1.1 and HTTP/2): true when it is
    /// delivered to the caller, false when the stage changed (drain and redirect, answer a
    /// challenge).
    fn decide(&mut self, owner: &dyn Owner, lane: &mut Lane, mut response: Response) -> Result<bool, Error> {
        let plan = lane.plan()?;
        // Every response's cookies, before anything follows it (a redirect's and a challenge's
        // too); a proxy's refusal of a tunnel sets none for the origin.
        if plan.cookies && response.headers.contains("Set-Cookie") && !lane.conn.as_ref().is_some_and(|c| c.refused) {
            owner.set_cookies(&response.headers, &plan.target, &plan.request_uri);
        }
        if let Some(offer) = plan.websocket.as_ref()
            && response.status == 101
            && lane.conn.is_some()
        {
            // The WebSocket handshake: a 101 that does not answer our key (or agrees to an
            // extension) fails the receive. The connection is the WebSocket's now, with what was
            // read past the head left in its buffer.
            ws::handshake::check_response(offer, 101, response.headers.pairs())
                .map_err(|e| Error::other(e.code(), format!("WebSocket handshake: {e:?}")))?;
            let conn = lane.conn()?;
            conn.reading = Reading::Upgraded;
            conn.keep_alive = false;
            owner.set_response(response);
            return Ok(true);
        }
        let challenges = response.headers.get_all("WWW-Authenticate");
        if passport::reported_as_denied(plan.passport, response.status, challenges) {
            // WINHTTP_OPTION_CONFIGURE_PASSPORT_AUTH: the caller gets a 401 (reason kept).
            response.status = 401;
        }
        let mut policy = plan.policy;
        policy.body_replayable = lane.replay.is_some();
        let mut decision = followup::decide(response.status, &response.headers, &plan.target, policy);
        if let Followup::Challenge { proxy, replay } = decision {
            // A refused CONNECT was for the authority (Digest's `uri`), not the path.
            let tunnel = lane.conn.as_ref().is_some_and(|c| c.refused);
            let uri = if tunnel { plan.target.authority() } else { plan.request_uri.to_string() };
            decision = if self.auth_legs < MAX_AUTH_LEGS && owner.challenged(proxy, &response, &uri) {
                self.auth_legs += 1;
                self.stage = Receive::AuthDrain { replay, drained: 0 };
                return Ok(false);
            } else {
                Followup::Deliver
            };
        }
        match decision {
            Followup::Challenge { .. } => unreachable!("answered or delivered above"),
            Followup::Deliver => {
                // Content decoding, over HTTP/1.1 and HTTP/2 alike (`ops::read` runs it).
                let (flags, ratio) = (plan.decompression, plan.decompression_ratio);
                let body_left = lane.conn.as_ref().is_some_and(|c| !c.body_done())
                    || lane.h2.as_ref().is_some_and(|s| !s.body_done());
                if flags != 0 && body_left {
                    decode_body(lane, &mut response, flags, ratio);
                }
                owner.set_response(response);
                if lane.conn.as_ref().is_some_and(|c| c.body_done()) || lane.h2.as_ref().is_some_and(|s| s.body_done())
                {
                    end_body(owner, lane);
                }
                Ok(true)
            }
            Followup::Fail(e) => Err(e.into()),
            Followup::Redirect { next, keep_body } => {
                if self.redirects >= plan.max_redirects {
                    return Err(ERROR_WINHTTP_REDIRECT_FAILED.into());
                }
                self.redirects += 1;
                // Over HTTP/2 nothing is drained: dropping the stream resets it.
                self.stage = Receive::Drain { next, keep_body, drained: 0 };
                Ok(false)
            }
        }
    }
}

/// HTTP/2: the stream's response head, as `WinHttpQueryHeaders` reads it (`None`: not yet). A
/// request body still open (no announced length) ends here: receiving means it is complete.
fn h2_head(owner: &dyn Owner, lane: &mut Lane, _wait_ms: DWORD) -> Result<Option<Response>, Error> {
    let max_head = lane.plan()?.max_head;
    let stream = lane.h2.as_mut().ok_or(ERROR_WINHTTP_INTERNAL_ERROR)?;
    stream.finish()?;
    let Some(head) = stream.poll_head()? else { return Ok(None) };
    let mut headers = crate::proto::headers::HeaderList::with_capacity(head.headers.len());
    let mut raw_len = proto::h2::VERSION.len() + 6;
    for (name, value) in head.headers {
        raw_len += name.len() + value.len() + 4;
        headers.push(name, value);
    }
    // WINHTTP_OPTION_MAX_RESPONSE_HEADER_SIZE, measured on the head as WinHttpQueryHeaders shows it.
    if raw_len + 2 > max_head {
        return Err(Error::protocol(h1::Error::HeaderSizeOverflow));
    }
    if log::on(log::WIRE) {
        let mut text = format!("{} {}\r\n", proto::h2::VERSION, head.status);
        for (n, v) in headers.pairs() {
            text.push_str(&format!("{n}: {v}\r\n"));
        }
        text.push_str("\r\n");
        log::head(owner.handle(), '<', text.as_bytes());
    }
    owner.notify(WINHTTP_CALLBACK_STATUS_RESPONSE_RECEIVED, Payload::Dword(raw_len as DWORD));
    Ok(Some(Response { version: proto::h2::VERSION, status: head.status, reason: "".into(), headers, chunked: false }))
}

/// How long one wait for head bytes may last: the receive timeout (per wait), cut to what is left
/// of the receive-response deadline (for the whole head, so a server dripping a byte at a time
/// cannot hold the call past it). Nothing left is `ERROR_WINHTTP_TIMEOUT`.
fn head_wait_ms(receive: DWORD, deadline: Option<Instant>) -> Result<DWORD, DWORD> {
    let Some(deadline) = deadline else { return Ok(receive) };
    let left = deadline.saturating_duration_since(Instant::now());
    // At least 1 ms (0 would mean no timeout); below 0xFFFFFFFF (also "no timeout").
    let left_ms = DWORD::try_from(left.as_millis()).unwrap_or(DWORD::MAX - 1).min(DWORD::MAX - 1);
    if left_ms == 0 {
        return Err(ERROR_WINHTTP_TIMEOUT);
    }
    Ok(match cancel::timeout(receive) {
        Some(_) => receive.min(left_ms),
        None => left_ms,
    })
}

/// A final head arrived: sets up the body decoder and builds the response (and tells whether it
/// has a `Set-Cookie`, found on the way).
fn start_body(owner: &dyn Owner, lane: &mut Lane, head: h1::Head) -> Result<Response, DWORD> {
    owner.notify(WINHTTP_CALLBACK_STATUS_RESPONSE_RECEIVED, Payload::Dword(head.raw_len as DWORD));
    owner.mark(WinHttpReceiveResponseHeadersEnd);
    owner.count(WinHttpResponseHeadersSize, head.raw_len as u64);
    let Lane { plan, conn, .. } = lane;
    let plan = plan.as_ref().ok_or(ERROR_WINHTTP_INTERNAL_ERROR)?;
    let conn = conn.as_mut().ok_or(ERROR_WINHTTP_INTERNAL_ERROR)?;
    let (framing, keep_alive) = h1::framing_and_keep_alive(&plan.target.verb, &head).map_err(Error::protocol)?;
    // A proxy's answer to CONNECT keeps its connection open by its own head alone (the CONNECT
    // carries no `Connection: close`, whatever the request inside the tunnel would say).
    conn.keep_alive = keep_alive && (plan.keep_alive || conn.refused);
    conn.reading = Reading::Body(Decoder::new(framing));
    Ok(Response {
        version: head.version.as_str(),
        status: head.status,
        reason: head.reason,
        headers: head.headers,
        chunked: framing == Framing::Chunked,
    })
}

/// `WINHTTP_OPTION_DECOMPRESSION`: a body in one coding asked for is decoded behind the body
/// decoder (`ops::read`), and the headers show it as Windows does (`Content-Encoding` and
/// `Content-Length` gone).
fn decode_body(lane: &mut Lane, response: &mut Response, flags: DWORD, ratio: DWORD) {
    let Some(c) = coding::response_coding(&response.headers, &coding::codings(flags)) else { return };
    let ratio = if ratio == 0 { u64::MAX } else { u64::from(ratio) };
    let limits = coding::Limits { ratio, ..coding::Limits::default() };
    lane.decoding = Some(Decoding::new(c, limits));
    coding::decoded_headers(&mut response.headers);
}

/// Reads (and drops) the rest of a body the caller will never see, up to
/// `WINHTTP_OPTION_MAX_RESPONSE_DRAIN_SIZE`. `keep`: the connection stays on the lane for the
/// next leg (else it goes back to the pool).
fn drain(owner: &dyn Owner, lane: &mut Lane, drained: &mut u64, keep: bool) -> StepResult<()> {
    match drain_body(lane, drained)? {
        Step::Wait(w) => return Ok(Step::Wait(w)),
        Step::Done(Drained::Nothing) => {}
        Step::Done(Drained::Complete) if keep => {
            if let Some(conn) = lane.conn.as_mut() {
                conn.finish_response();
            }
        }
        Step::Done(Drained::Complete) => end_body(owner, lane),
        Step::Done(Drained::Overflow) => return Err(ERROR_WINHTTP_RESPONSE_DRAIN_OVERFLOW.into()),
        Step::Done(Drained::Closed) => {
            end_of_stream(owner, lane)?;
        }
        Step::Done(Drained::Failed(e)) => return Err(e),
    }
    Ok(Step::Done(()))
}

/// `WinHttpReceiveResponse`.
pub fn receive(request: &Arc<Request>) -> Result<Outcome<()>, Error> {
    let lane = match request.try_io() {
        Ok(lane) => lane,
        // Async, while the send is in flight: queued, to start once it has completed.
        Err(_) if request.connect.session.is_async() && request.queue_receive_after_send() => {
            return Ok(Outcome::Later);
        }
        Err(e) => return Err(e.into()),
    };
    let phase = request.state().phase;
    if phase != Phase::Sent && request.connect.session.is_async() {
        // Out of order in async mode (before WinHttpSendRequest, after a failed one, or a second
        // call after HEADERS_AVAILABLE): Windows returns TRUE and reports the error through
        // REQUEST_ERROR, on the calling thread.
        request.begin(API_RECEIVE_RESPONSE)?;
        drop(lane);
        request.end_and_deliver(|| {
            notify_request_error(request, API_RECEIVE_RESPONSE, ERROR_WINHTTP_INCORRECT_HANDLE_STATE)
        });
        return Ok(Outcome::Failed);
    }
    if phase != Phase::Sent {
        return Err(ERROR_WINHTTP_INCORRECT_HANDLE_STATE.into());
    }
    execute(request, lane, ReceiveOp::new())
}

#[cfg(test)]
mod tests {
    use super::super::testing::{Recorder, lane, plan};
    use super::*;
    use crate::engine::conn::Writing;
    use crate::proto::h1::Encoder;
    use std::io::Write;

    fn step_until_done(op: &mut ReceiveOp, owner: &Recorder, lane: &mut Lane) -> Result<(), DWORD> {
        for _ in 0..100 {
            match op.step(owner, lane)? {
                Step::Done(()) => return Ok(()),
                Step::Wait(_) => std::thread::sleep(std::time::Duration::from_millis(2)),
            }
        }
        panic!("never completed")
    }

    #[test]
    fn a_response_split_anywhere_gives_the_same_head_and_notifications() {
        let wire = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: b\r\n\r\nhello";
        for split in [1, 10, 30, 60, wire.len()] {
            let owner = Recorder::default();
            let (mut lane, mut peer) = lane(plan("GET", "/", b"", Encoder::Length(0)));
            lane.conn.as_mut().unwrap().writing = Writing::Done;
            let mut op = ReceiveOp::new();
            peer.write_all(&wire[..split]).unwrap();
            let first = op.step(&owner, &mut lane);
            assert_eq!(matches!(first, Ok(Step::Done(()))), split == wire.len());
            if split < wire.len() {
                peer.write_all(&wire[split..]).unwrap();
                step_until_done(&mut op, &owner, &mut lane).unwrap_or_else(|e| panic!("split {split}: {e}"));
            }
            let r = owner.response.lock().unwrap().clone().unwrap();
            assert_eq!((r.status, r.headers.get("X-A")), (200, Some("b")));
            assert_eq!(
                owner.statuses(),
                vec![
                    WINHTTP_CALLBACK_STATUS_RECEIVING_RESPONSE,
                    WINHTTP_CALLBACK_STATUS_INTERMEDIATE_RESPONSE,
                    WINHTTP_CALLBACK_STATUS_RESPONSE_RECEIVED
                ]
            );
            let left = lane.conn.as_ref().unwrap().rbuf.bytes();
            assert!(b"hello".starts_with(left), "{left:?}");
        }
    }

    #[test]
    fn errors_and_limits() {
        let owner = Recorder::default();
        let (mut lane, mut peer) = lane(plan("GET", "/", b"", Encoder::Length(0)));
        peer.write_all(b"garbage\r\n\r\n").unwrap();
        assert_eq!(
            step_until_done(&mut ReceiveOp::new(), &owner, &mut lane),
            Err(ERROR_WINHTTP_INVALID_SERVER_RESPONSE)
        );
        let mut p = plan("GET", "/", b"", Encoder::Length(0));
        p.max_interim = 1;
        let (mut lane, mut peer) = super::super::testing::lane(p);
        peer.write_all(b"HTTP/1.1 100 A\r\n\r\nHTTP/1.1 102 B\r\n\r\n").unwrap();
        assert_eq!(
            step_until_done(&mut ReceiveOp::new(), &owner, &mut lane),
            Err(ERROR_WINHTTP_INVALID_SERVER_RESPONSE)
        );
        let (mut lane, peer) = super::super::testing::lane(plan("GET", "/", b"", Encoder::Length(0)));
        drop(peer);
        assert_eq!(step_until_done(&mut ReceiveOp::new(), &owner, &mut lane), Err(ERROR_WINHTTP_CONNECTION_ERROR));
    }
}
