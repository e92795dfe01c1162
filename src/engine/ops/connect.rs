//! Getting a connection for an attempt's route: a live pooled one, or a new one — a slot under
//! `MAX_CONNS_PER_SERVER` (queued on a signal when the route is full), the name looked up on the
//! resolver threads (a signal again), a non-blocking connect over every address, the CONNECT leg
//! for a tunnel, and the TLS handshake. Every stage is resumable; nothing here blocks.

use super::{StepResult, Wait};
use crate::abi::*;
use crate::engine::conn::Connection;
use crate::engine::error::{Cause, Error};
use crate::engine::lane::{Lane, Owner, Payload};
use crate::engine::log::{self, trace};
use crate::engine::plan::{Plan, Via};
use crate::engine::pool::{self, Lease, Permit};
use crate::engine::reactor::{Token, Want, reactor};
use crate::engine::transport::resolve::{self, Lookup};
use crate::engine::transport::tcp::Stream;
use crate::engine::transport::tls;
use crate::proto::h1::{self, HeadParser, Parse};
use std::net::SocketAddr;

use super::Step;

/// A signal token owned by a stage that waits for a pool slot (released when the stage ends).
pub struct SlotWaiter(Token);

impl SlotWaiter {
    /// A new signal token, released with the waiter.
    pub fn new() -> SlotWaiter {
        SlotWaiter(reactor().signal_token())
    }

    pub fn token(&self) -> Token {
        self.0
    }
}

impl Default for SlotWaiter {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for SlotWaiter {
    fn drop(&mut self) {
        reactor().release(self.0);
    }
}

// One operation exists per call, on the stack of its driver: boxing the big variants buys nothing.
#[allow(clippy::large_enum_variant)]
pub enum ConnectOp {
    Start,
    /// The route is full: waiting for a slot.
    Queued(SlotWaiter),
    Resolving {
        lookup: Lookup,
        permit: Permit,
    },
    Connecting {
        addrs: Vec<SocketAddr>,
        next: usize,
        stream: Stream,
        permit: Permit,
    },
    /// The CONNECT leg of a tunnel: `out` is the CONNECT request, `written` how much went out.
    Tunneling {
        stream: Stream,
        permit: Permit,
        out: Vec<u8>,
        written: usize,
        parser: HeadParser,
        buf: Vec<u8>,
    },
    Handshaking {
        stream: Stream,
        permit: Permit,
    },
}

impl ConnectOp {
    /// Steps towards a connection for `plan`'s route; install it with [`install`].
    pub fn step(&mut self, owner: &dyn Owner, plan: &Plan) -> StepResult<(Box<Connection>, Permit)> {
        loop {
            match self {
                ConnectOp::Start | ConnectOp::Queued(_) => {
                    let mut waiter = match std::mem::replace(self, ConnectOp::Start) {
                        ConnectOp::Queued(w) => Some(w),
                        _ => None,
                    };
                    let serves = |c: &Connection| tls_serves(plan, &c.stream);
                    let mut lease = pool::acquire(&plan.route, plan.max_conns, &serves, waiter.as_ref().map(|w| w.0));
                    if matches!(lease, Lease::Full) && waiter.is_none() {
                        // Full: ask again with a token to be signalled by (a slot may have freed
                        // between the two; the second ask registers the token under the pool's lock).
                        let w = SlotWaiter(reactor().signal_token());
                        lease = pool::acquire(&plan.route, plan.max_conns, &serves, Some(w.0));
                        waiter = Some(w);
                    }
                    if !matches!(lease, Lease::Full) {
                        owner.mark(WinHttpConnectionAcquireWaitEnd);
                    }
                    match lease {
                        Lease::Reused(conn, permit) => return Ok(Step::Done((conn, permit))),
                        Lease::Fresh(permit) => {
                            let hop = plan.route.first_hop();
                            owner.notify(WINHTTP_CALLBACK_STATUS_RESOLVING_NAME, Payload::Str(&hop.host));
                            owner.mark(WinHttpNameResolutionStart);
                            match resolve::literal(&hop.host, hop.port) {
                                Some(answer) => {
                                    let addrs = answer?;
                                    *self = connecting(owner, plan, addrs, permit)?;
                                }
                                None => {
                                    *self = ConnectOp::Resolving { lookup: Lookup::start(&hop.host, hop.port), permit }
                                }
                            }
                        }
                        Lease::Full => {
                            let waiter = waiter.expect("a token was registered");
                            let token = waiter.0;
                            *self = ConnectOp::Queued(waiter);
                            return Ok(Step::Wait(Wait::Signal { token, timeout_ms: plan.timeouts.connect }));
                        }
                    }
                }
                ConnectOp::Resolving { lookup, .. } => match lookup.answer() {
                    None => {
                        let (token, timeout_ms) = (lookup.token(), plan.timeouts.resolve);
                        return Ok(Step::Wait(Wait::Signal { token, timeout_ms }));
                    }
                    Some(answer) => {
                        let addrs = answer?;
                        let ConnectOp::Resolving { permit, .. } = std::mem::replace(self, ConnectOp::Start) else {
                            unreachable!("matched Resolving above")
                        };
                        *self = connecting(owner, plan, addrs, permit)?;
                    }
                },
                ConnectOp::Connecting { addrs, next, stream, .. } => match stream.connect_done() {
                    Ok(false) => {
                        let timeout_ms = plan.timeouts.connect;
                        let (fd, token) = (stream.fd(), stream.token);
                        return Ok(Step::Wait(Wait::Socket { fd, token, want: Want::Write, timeout_ms }));
                    }
                    // Refused or unreachable: the next address.
                    Err(_) => {
                        owner.count(WinHttpConnectFailureCount, 1);
                        let (s, n) = begin_connect(plan, addrs, *next)?;
                        *stream = s;
                        *next = n;
                    }
                    Ok(true) => {
                        let ConnectOp::Connecting { stream, permit, .. } = std::mem::replace(self, ConnectOp::Start)
                        else {
                            unreachable!("matched Connecting above")
                        };
                        owner.notify(
                            WINHTTP_CALLBACK_STATUS_CONNECTED_TO_SERVER,
                            Payload::Str(&stream.peer.ip().to_string()),
                        );
                        owner.mark(WinHttpConnectionEstablishmentEnd);
                        if let Some((idle_ms, interval_ms)) = plan.tcp_keepalive {
                            stream.keepalive(idle_ms, interval_ms);
                        }
                        *self = match &plan.route.via {
                            Via::Tunnel(_) => tunnel(owner, plan, stream, permit)?,
                            _ => match &plan.tls {
                                Some(params) => {
                                    owner.mark(WinHttpTlsHandshakeClientLeg1Start);
                                    start_tls(plan, params, stream, permit)?
                                }
                                None => return Ok(Step::Done((Connection::new(stream, false), permit))),
                            },
                        };
                    }
                },
                ConnectOp::Tunneling { stream, out, written, parser, buf, .. } => {
                    let mut refused = false;
                    let step = tunnel_step(plan, stream, out, written, parser, buf, &mut refused);
                    if log::on(log::WIRE) && !matches!(step, Ok(Some(_))) {
                        // The proxy's answer (its head: a refusal may be cut short).
                        log::head(owner.handle(), '<', buf);
                    }
                    if let Some(w) = step? {
                        return Ok(Step::Wait(w));
                    }
                    let ConnectOp::Tunneling { stream, permit, buf, .. } = std::mem::replace(self, ConnectOp::Start)
                    else {
                        unreachable!("matched Tunneling above")
                    };
                    owner.mark(WinHttpProxyTunnelEnd);
                    if refused {
                        // The proxy wants credentials: its 407 is received as the response.
                        return Ok(Step::Done((Connection::refused(stream, &buf), permit)));
                    }
                    let params = plan.tls.as_ref().ok_or(ERROR_WINHTTP_INTERNAL_ERROR)?;
                    owner.mark(WinHttpTlsHandshakeClientLeg1Start);
                    *self = start_tls(plan, params, stream, permit)?;
                }
                ConnectOp::Handshaking { stream, .. } => match stream.handshake() {
                    Ok(Some(want)) => {
                        let t = plan.timeouts;
                        let timeout_ms = if want == Want::Read { t.receive } else { t.send };
                        let (fd, token) = (stream.fd(), stream.token);
                        return Ok(Step::Wait(Wait::Socket { fd, token, want, timeout_ms }));
                    }
                    Ok(None) => {
                        let ConnectOp::Handshaking { stream, permit } = std::mem::replace(self, ConnectOp::Start)
                        else {
                            unreachable!("matched Handshaking above")
                        };
                        owner.mark(WinHttpTlsHandshakeClientLeg1End);
                        if let Some(info) = stream.tls_info.as_ref().filter(|_| log::on(log::TLS)) {
                            let (h, host) = (log::handle(owner.handle()), &plan.target.host);
                            log::emit(
                                log::TLS,
                                format_args!(
                                    "h={h} {}: {} with {host}, {}-bit key, certificate problems {} (waivers {:#x}), client certificate {}",
                                    stream.local,
                                    info.protocol,
                                    info.key_bits,
                                    log::cert_flags(info.found),
                                    info.ignore,
                                    if matches!(info.client, tls::ClientCert::Pem(_)) { "given" } else { "none" },
                                ),
                            );
                        }
                        return Ok(Step::Done((Connection::new(stream, false), permit)));
                    }
                    Err(failure) => {
                        let e = secure_failure(owner, plan, failure);
                        if log::on(log::TLS) {
                            let (h, host) = (log::handle(owner.handle()), &plan.target.host);
                            let why = match failure {
                                tls::Failure::Certificate(f) => format!("certificate problems {}", log::cert_flags(f)),
                                tls::Failure::ClientCertNeeded => "the server asks for a client certificate".into(),
                                tls::Failure::Channel => "protocol error, alert or connection closed".into(),
                            };
                            let name = log::error_name(e);
                            log::emit(
                                log::TLS,
                                format_args!("h={h} {}: handshake with {host} failed: {why} -> {name}", stream.local),
                            );
                        }
                        let what = format!("TLS handshake: {failure:?}");
                        return Err(Error::other(e, what));
                    }
                },
            }
        }
    }
}

/// The CONNECT leg of a tunnel on `stream`: a new connection to the proxy, or one whose CONNECT
/// the proxy refused with a 407 and kept open, for the next leg of a handshake (NTLM and
/// Negotiate authenticate the connection, so every leg goes on the same socket).
pub fn tunnel(owner: &dyn Owner, plan: &Plan, stream: Stream, permit: Permit) -> Result<ConnectOp, Error> {
    let mut out = Vec::with_capacity(128);
    let authority = plan.target.authority();
    let mut headers = vec![("Host".to_string(), authority.clone())];
    // Proxy credentials go on the CONNECT, never inside the tunnel.
    if let Some(v) = &plan.connect_auth {
        headers.push(("Proxy-Authorization".to_string(), v.clone()));
    }
    h1::write_request_head(&mut out, "CONNECT", &authority, h1::Version::Http11, &headers).map_err(Error::protocol)?;
    if log::on(log::WIRE) {
        log::head(owner.handle(), '>', &out);
    }
    let parser = HeadParser::new(plan.max_head);
    owner.mark(WinHttpProxyTunnelStart);
    Ok(ConnectOp::Tunneling { stream, permit, out, written: 0, parser, buf: Vec::new() })
}

/// Addresses known: `NAME_RESOLVED` and `CONNECTING_TO_SERVER`, and the first connect begins.
fn connecting(owner: &dyn Owner, plan: &Plan, addrs: Vec<SocketAddr>, permit: Permit) -> Result<ConnectOp, DWORD> {
    let first = addrs.first().map(|a| a.ip().to_string()).unwrap_or_default();
    owner.notify(WINHTTP_CALLBACK_STATUS_NAME_RESOLVED, Payload::Str(&first));
    owner.mark(WinHttpNameResolutionEnd);
    owner.notify(WINHTTP_CALLBACK_STATUS_CONNECTING_TO_SERVER, Payload::Str(&first));
    owner.mark(WinHttpConnectionEstablishmentStart);
    let (stream, next) = begin_connect(plan, &addrs, 0)?;
    Ok(ConnectOp::Connecting { addrs, next, stream, permit })
}

/// The CONNECT leg: sends the request, reads the proxy's answer. `Ok(None)` once the tunnel is
/// open (a 2xx), or refused with a 407 (`refused` set, the answer left in `buf`: it is
/// authenticated like any 407); another refusal is `ERROR_WINHTTP_CANNOT_CONNECT` (the origin is
/// never reached).
fn tunnel_step(
    plan: &Plan,
    stream: &mut Stream,
    out: &[u8],
    written: &mut usize,
    parser: &mut HeadParser,
    buf: &mut Vec<u8>,
    refused: &mut bool,
) -> Result<Option<Wait>, Error> {
    let (fd, token) = (stream.fd(), stream.token);
    while *written < out.len() {
        match stream.try_write(&out[*written..]) {
            Ok(n) if n > 0 => *written += n,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                return Ok(Some(Wait::Socket { fd, token, want: Want::Write, timeout_ms: plan.timeouts.send }));
            }
            Err(e) => return Err(Error::io(ERROR_WINHTTP_CANNOT_CONNECT, &e)),
            _ => return Err(Error::other(ERROR_WINHTTP_CANNOT_CONNECT, "the proxy took no bytes")),
        }
    }
    loop {
        // Byte by byte past the head would be wasteful; the proxy sends nothing after a 2xx
        // until we speak (TLS starts with our ClientHello), so whatever is read is head.
        let mut chunk = [0u8; 1024];
        match stream.try_read(&mut chunk) {
            Ok(0) => {
                return Err(Error::other(ERROR_WINHTTP_CANNOT_CONNECT, "the proxy closed before answering CONNECT"));
            }
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                return Ok(Some(Wait::Socket { fd, token, want: Want::Read, timeout_ms: plan.timeouts.receive }));
            }
            Err(e) => return Err(Error::io(ERROR_WINHTTP_CANNOT_CONNECT, &e)),
        }
        match parser
            .parse(buf)
            .map_err(|e| Error { code: ERROR_WINHTTP_INVALID_SERVER_RESPONSE, cause: Cause::Protocol(e) })?
        {
            Parse::Incomplete => {}
            Parse::Complete { head, consumed } => {
                if head.is_interim() {
                    buf.drain(..consumed);
                    *parser = HeadParser::new(plan.max_head);
                    continue;
                }
                if head.status == 407 {
                    *refused = true;
                    return Ok(None);
                }
                if !(200..300).contains(&head.status) || consumed != buf.len() {
                    let what = format!("the proxy answered CONNECT with {} {}", head.status, head.reason);
                    return Err(Error::other(ERROR_WINHTTP_CANNOT_CONNECT, what));
                }
                return Ok(None);
            }
        }
    }
}

/// Puts the TLS client session over the connected (or tunnelled) stream.
fn start_tls(
    plan: &Plan,
    params: &crate::engine::plan::TlsParams,
    mut stream: Stream,
    permit: Permit,
) -> Result<ConnectOp, DWORD> {
    let session = tls::start(tls::Params {
        host: &plan.target.host,
        ignore: params.ignore,
        protocols: params.protocols,
        client: params.client.clone(),
        h2: params.h2,
    })?;
    stream.start_tls(session);
    Ok(ConnectOp::Handshaking { stream, permit })
}

/// Whether a pooled connection may carry this attempt (always, unless it is TLS verified with
/// waivers the attempt does not give, or with another client certificate or protocol set).
pub(crate) fn tls_serves(plan: &Plan, stream: &Stream) -> bool {
    match (&stream.tls_info, &plan.tls) {
        (None, _) => true,
        (Some(info), Some(p)) => info.serves(p.ignore, &p.client, p.protocols),
        (Some(_), None) => false,
    }
}

/// Reports a failed handshake: the `SECURE_FAILURE` notification with its flags, then the error.
/// Certificate problems are `ERROR_WINHTTP_SECURE_FAILURE` in the async mode (the notification
/// says which) and the precise error for sync calls.
fn secure_failure(owner: &dyn Owner, plan: &Plan, failure: tls::Failure) -> DWORD {
    if let Some(flags) = failure.status_flags() {
        owner.notify(WINHTTP_CALLBACK_STATUS_SECURE_FAILURE, Payload::Dword(flags));
    }
    match failure {
        tls::Failure::Certificate(_) if plan.is_async => ERROR_WINHTTP_SECURE_FAILURE,
        _ => failure.error(),
    }
}

/// Starts a connect to the first address from `from` on that accepts a socket; returns the
/// stream and the index of the address after it. None left: `ERROR_WINHTTP_CANNOT_CONNECT`.
/// Streams of async sessions are registered with the reactor, where their waits park.
fn begin_connect(plan: &Plan, addrs: &[SocketAddr], from: usize) -> Result<(Stream, usize), DWORD> {
    for (i, addr) in addrs.iter().enumerate().skip(from) {
        if let Ok(mut stream) = Stream::begin_connect(*addr)
            && (!plan.is_async || stream.register().is_ok())
        {
            return Ok((stream, i + 1));
        }
    }
    Err(ERROR_WINHTTP_CANNOT_CONNECT)
}

/// Makes `conn` the lane's connection (registered with the reactor for async sessions).
pub fn install(owner: &dyn Owner, lane: &mut Lane, (mut conn, mut permit): (Box<Connection>, Permit)) {
    permit.attach(conn.guid);
    lane.h2 = None;
    if lane.plan.as_ref().is_some_and(|p| p.is_async) {
        // A pooled connection first used by a sync session; failing here only costs a wait.
        let _ = conn.stream.register();
    }
    owner.connected(&conn.stream);
    owner.mark(WinHttpConnectionAcquireEnd);
    let how = if conn.reused { "pooled" } else { "new" };
    trace!(log::POOL, "h={} uses {} -> {} ({how})", log::handle(owner.handle()), conn.stream.local, conn.stream.peer);
    lane.conn = Some(conn);
    lane.permit = Some(permit);
}
