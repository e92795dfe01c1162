//! A lane: the I/O state of one request (later, of each direction of a WebSocket), and what the
//! operations need from their owner. The operations in `ops/` see a [`Lane`] and an [`Owner`]
//! only, never a handle object, so they can be stepped in unit tests with a socket pair and a
//! recording owner.

use crate::abi::*;
use crate::engine::cancel::Cancel;
use crate::engine::conn::{Connection, Writing};
use crate::engine::log::{self, trace};
use crate::engine::plan::Plan;
use crate::engine::pool::{self, Permit};
use crate::engine::transport::h2::H2Stream;
use crate::engine::transport::tcp::Stream;
use crate::engine::transport::tls::Info;
use crate::proto::coding;
use crate::proto::followup::Target;
use crate::proto::headers::HeaderList;
use std::net::SocketAddr;
use std::sync::Arc;

/// A final response head, as `WinHttpQueryHeaders` reads it.
#[derive(Clone, Debug)]
pub struct Response {
    pub version: &'static str,
    pub status: u16,
    pub reason: std::borrow::Cow<'static, str>,
    pub headers: HeaderList,
    pub chunked: bool,
}

/// A notification's payload.
pub enum Payload<'a> {
    None,
    Dword(DWORD),
    /// A string (`LPWSTR` on the callback side: names, addresses, URLs).
    Str(&'a str),
}

/// What a lane's operations need from the object that owns it (a request handle).
pub trait Owner: Send + Sync {
    /// Sends a progress notification to the owner's status callback.
    fn notify(&self, status: DWORD, payload: Payload<'_>);
    /// Set when the owner's handle is closed.
    fn cancel(&self) -> &Cancel;
    /// A connection was made or taken from the pool for the owner (addresses, TLS facts).
    fn connected(&self, stream: &Stream);
    /// The owner's request became a stream on a shared HTTP/2 connection.
    fn attached(&self, _local: SocketAddr, _peer: SocketAddr, _tls: Option<Arc<Info>>) {}
    /// The plan for following a redirect to `next` (`keep_body`: 307/308 send the body again).
    fn redirect(&self, next: &Target, keep_body: bool, body: &[u8]) -> Result<Plan, DWORD>;
    /// A final response the caller will see.
    fn set_response(&self, response: Response);
    /// The trailers that ended the response's body (`WinHttpQueryHeadersEx` with
    /// `WINHTTP_QUERY_FLAG_TRAILERS`).
    fn set_trailers(&self, _trailers: Vec<(String, String)>) {}
    /// The owner's handle value, for log lines (NULL when it has none).
    fn handle(&self) -> HINTERNET {
        core::ptr::null_mut()
    }
    /// A 401 (`proxy` false) or 407 the request has credentials for, to a request sent with `uri`
    /// as its request-target: true when the next leg has an answer, false when the response goes
    /// to the caller.
    fn challenged(&self, proxy: bool, response: &Response, uri: &str) -> bool;
    /// The plan for sending the request again with the answer to a challenge (same target).
    fn resend(&self, body: &[u8]) -> Result<Plan, DWORD>;
    /// A response to the request sent to `target` with `uri` as its request-target carries
    /// `Set-Cookie` headers (any status: a redirect's and a challenge's too, before the next
    /// attempt is planned).
    fn set_cookies(&self, _headers: &HeaderList, _target: &Target, _uri: &str) {}
    /// The request passed a phase of `WINHTTP_OPTION_REQUEST_TIMES` now.
    fn mark(&self, _entry: WINHTTP_REQUEST_TIME_ENTRY) {}
    /// A driver is about to step an operation (marks of one step share one clock read).
    fn step_begins(&self) {}
    /// Adds to a counter of `WINHTTP_OPTION_REQUEST_STATS`.
    fn count(&self, _entry: WINHTTP_REQUEST_STAT_ENTRY, _n: u64) {}
    /// The connection the request uses (its GUID, requests it carried before, TLS resumption).
    fn uses(&self, _guid: [u8; 16], _index: u32, _resumed: bool) {}
}

/// A response body's content decoding (`WINHTTP_OPTION_DECOMPRESSION`): the decoder that sits
/// behind the body (framing) decoder, and the decoded bytes `WinHttpQueryDataAvailable` made
/// and reported that the caller has not read yet. It lives on the lane, not the connection: the
/// connection goes back to the pool as soon as its encoded bytes are consumed, while decoded
/// bytes may still wait here.
pub struct Decoding {
    pub coder: coding::Decoder,
    /// Decoded bytes `buf[at..end]` wait for the caller (allocated on the first
    /// `WinHttpQueryDataAvailable`: a loop of reads alone decodes straight into the caller's buffer).
    pub buf: Vec<u8>,
    pub at: usize,
    pub end: usize,
}

impl Decoding {
    pub fn new(coding: coding::Coding, limits: coding::Limits) -> Box<Decoding> {
        Box::new(Decoding { coder: coding::Decoder::with_limits(coding, limits), buf: Vec::new(), at: 0, end: 0 })
    }
}

/// The I/O state of a request: its plan, the connection it holds (with that connection's pool
/// slot) and the body it may send again.
#[derive(Default)]
pub struct Lane {
    pub plan: Option<Plan>,
    pub conn: Option<Box<Connection>>,
    pub permit: Option<Permit>,
    /// The whole request body when all of it was given to `WinHttpSendRequest` (a redirect or a
    /// retry can send it again); `None` once `WinHttpWriteData` streamed part of one.
    pub replay: Option<Arc<Vec<u8>>>,
    /// The content decoding of the response body being read, when one applies.
    pub decoding: Option<Box<Decoding>>,
    /// The request's stream when it goes over HTTP/2 (then `conn` is `None`).
    pub h2: Option<Box<H2Stream>>,
}

impl Lane {
    /// The plan of the attempt in progress.
    pub fn plan(&self) -> Result<&Plan, DWORD> {
        self.plan.as_ref().ok_or(ERROR_WINHTTP_INCORRECT_HANDLE_STATE)
    }

    pub fn conn(&mut self) -> Result<&mut Connection, DWORD> {
        self.conn.as_deref_mut().ok_or(ERROR_WINHTTP_INCORRECT_HANDLE_STATE)
    }

    /// Drops the connection without returning it to the pool.
    pub fn discard(&mut self) {
        if let Some(conn) = self.conn.as_ref() {
            trace!(log::POOL, "closed {} (discarded: exchange not complete)", conn.stream.local);
        }
        self.conn = None;
        self.permit = None;
        self.h2 = None;
    }

    /// The exchange is over: the connection goes back to the pool when both halves are complete
    /// and it may be reused, stays on the lane when it is a refused tunnel that can carry the
    /// next CONNECT, else it is closed (`true`: it was closed).
    pub fn release(&mut self) -> bool {
        // A finished stream simply ends; its connection stays with the other streams.
        self.h2 = None;
        let (Some(conn), Some(plan)) = (self.conn.take(), self.plan.as_ref()) else {
            self.permit = None;
            return false;
        };
        if conn.can_retunnel() && self.permit.is_some() {
            // The proxy's 407 to CONNECT, read by the caller on a connection the proxy keeps: the
            // request's next send (with credentials) puts its CONNECT on it. Never pooled.
            self.conn = Some(conn);
            return false;
        }
        match self.permit.take() {
            Some(permit) if conn.reusable() => {
                pool::checkin(plan.route.clone(), conn, permit);
                false
            }
            permit => {
                if log::on(log::POOL) {
                    let why = if permit.is_none() {
                        "no pool slot"
                    } else if !conn.keep_alive {
                        "no keep-alive"
                    } else if conn.writing != Writing::Done {
                        "request body incomplete"
                    } else if !conn.rbuf.is_empty() {
                        "bytes left over after the response"
                    } else {
                        "response incomplete"
                    };
                    log::emit(log::POOL, format_args!("closed {} to {} ({why})", conn.stream.local, plan.route));
                }
                true
            }
        }
    }
}
