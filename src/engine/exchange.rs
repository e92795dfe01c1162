//! One request/response exchange on a connection: the I/O behind `WinHttpSendRequest`,
//! `WinHttpWriteData`, `WinHttpReceiveResponse`, `WinHttpQueryDataAvailable` and `WinHttpReadData`.
//!
//! The protocol decisions come from the sans-IO core (`proto::h1`, `proto::url`, `proto::headers`);
//! this module moves bytes between the caller, a pooled connection and that core. Every wait for
//! the socket parks on the reactor (through `net::Conn`), with the request's timeouts and its
//! `Cancel`, so `WinHttpCloseHandle` from another thread ends a blocked call promptly.

use super::net::{self, Cancel, Conn};
use super::pool::{self, Lease, PoolKey};
use super::request::{Phase, Request, Response};
use crate::abi::*;
use crate::proto::h1::{self, Decoder, Framing, HeadParser, Parse};
use crate::proto::headers::HeaderList;
use std::sync::Arc;

/// Size of a read from the socket into the exchange's own buffer.
const READ_CHUNK: usize = 16 * 1024;

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
    /// Wire bytes read but not yet consumed (`rbuf[rpos..]`).
    rbuf: Vec<u8>,
    rpos: usize,
    decoder: Option<Decoder>,
    keep_alive: bool,
}

impl Exchange {
    fn buffered(&self) -> &[u8] {
        &self.rbuf[self.rpos..]
    }

    fn consume(&mut self, n: usize) {
        self.rpos += n;
        if self.rpos == self.rbuf.len() {
            self.rbuf.clear();
            self.rpos = 0;
        }
    }

    /// Reads more wire bytes into the buffer; `Ok(0)` at EOF.
    fn fill(&mut self, timeout_ms: DWORD, cancel: &Cancel) -> Result<usize, DWORD> {
        let conn = self.conn.as_mut().ok_or(ERROR_WINHTTP_INCORRECT_HANDLE_STATE)?;
        if self.rpos > 0 && self.rpos == self.rbuf.len() {
            self.rbuf.clear();
            self.rpos = 0;
        }
        let start = self.rbuf.len();
        self.rbuf.resize(start + READ_CHUNK, 0);
        let r = conn.read(&mut self.rbuf[start..], net::timeout(timeout_ms), cancel);
        let n = *r.as_ref().unwrap_or(&0);
        self.rbuf.truncate(start + n);
        r
    }

    /// Drops the connection without returning it to the pool.
    fn discard(&mut self) {
        self.conn = None;
        self.decoder = None;
        self.rbuf.clear();
        self.rpos = 0;
    }
}

/// The body was read to the end: give the connection back to the pool if it may be reused, or
/// close it (with `CLOSING_CONNECTION` and `CONNECTION_CLOSED`).
fn end_body(request: &Request, io: &mut Exchange) {
    let reusable = io.keep_alive && io.buffered().is_empty();
    match (io.conn.take(), io.key.clone()) {
        (Some(conn), Some(key)) if reusable => pool::checkin(key, conn),
        (Some(conn), _) => {
            request.core_notify_null(WINHTTP_CALLBACK_STATUS_CLOSING_CONNECTION);
            drop(conn);
            request.core_notify_null(WINHTTP_CALLBACK_STATUS_CONNECTION_CLOSED);
        }
        (None, _) => {}
    }
    io.discard();
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

/// `WinHttpSendRequest`: adds the caller's headers, connects (or reuses a pooled connection) and
/// sends the head and the optional data. `total` is the announced body length (0: no more than the
/// optional data).
pub fn send(request: &Arc<Request>, headers: &str, optional: &[u8], total: DWORD) -> Result<(), DWORD> {
    let cancel = request.cancel.clone();
    let mut io = request.io();
    {
        let mut st = request.state();
        if st.phase == Phase::Sent {
            return Err(ERROR_WINHTTP_INCORRECT_HANDLE_STATE);
        }
        st.phase = Phase::Failed;
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
    io.replay = (io.upload_left == Some(0)).then(|| Arc::new(optional.to_vec()));
    request.prepare_headers(total, chunked);
    transmit(request, &mut io, optional, &cancel)?;
    request.state().phase = Phase::Sent;
    Ok(())
}

/// Gets a connection for the request's current target and sends the head and `body` on it. A
/// failure on a pooled connection that had gone stale is retried once on a fresh one.
fn transmit(request: &Request, io: &mut Exchange, body: &[u8], cancel: &Cancel) -> Result<(), DWORD> {
    let mut head = Vec::with_capacity(512);
    request.write_head(&mut head)?;
    for attempt in 0..3 {
        connect(request, io, cancel, attempt > 0)?;
        request.core_notify_null(WINHTTP_CALLBACK_STATUS_SENDING_REQUEST);
        let timeout = net::timeout(request.state().settings.timeouts.send);
        let conn = io.conn.as_mut().ok_or(ERROR_WINHTTP_INTERNAL_ERROR)?;
        let r = conn.write_all(&head, timeout, cancel).and_then(|()| conn.write_all(body, timeout, cancel));
        match r {
            Ok(()) => {
                notify_dword(request, WINHTTP_CALLBACK_STATUS_REQUEST_SENT, (head.len() + body.len()) as DWORD);
                return Ok(());
            }
            Err(ERROR_WINHTTP_CONNECTION_ERROR) if io.reused && attempt < 2 => io.discard(),
            Err(e) => {
                io.discard();
                return Err(e);
            }
        }
    }
    Err(ERROR_WINHTTP_CONNECTION_ERROR)
}

/// Makes `io.conn` a connection to the request's current target: a live pooled one, or a new one
/// (resolving and connecting, with their notifications).
fn connect(request: &Request, io: &mut Exchange, cancel: &Cancel, fresh_only: bool) -> Result<(), DWORD> {
    let target = request.target();
    let (settings, max_conns) = {
        let st = request.state();
        (st.settings.clone(), request.connect.session.state().max_conns_per_server)
    };
    let proxy = request.proxy_for(&target);
    let key = PoolKey { host: target.host.clone(), port: target.port, secure: target.secure, proxy: proxy.clone() };
    if io.conn.is_some() && io.key.as_ref() == Some(&key) && !fresh_only {
        return Ok(());
    }
    io.discard();
    if target.secure {
        // TLS arrives with the HTTPS issue.
        return Err(ERROR_WINHTTP_SECURE_CHANNEL_ERROR);
    }
    let lease = pool::acquire(&key, max_conns, net::timeout(settings.timeouts.connect), cancel)?;
    let (conn, reused) = match lease {
        Lease::Reused(conn) => (conn, true),
        Lease::Fresh(permit) => {
            let (host, port) = match &proxy {
                Some(p) => split_host_port(p, 80),
                None => (target.host.clone(), target.port),
            };
            notify_str(request, WINHTTP_CALLBACK_STATUS_RESOLVING_NAME, &host);
            let addrs = net::resolve(&host, port, net::timeout(settings.timeouts.resolve), cancel)?;
            let first = addrs.first().map(|a| a.ip().to_string()).unwrap_or_default();
            notify_str(request, WINHTTP_CALLBACK_STATUS_NAME_RESOLVED, &first);
            notify_str(request, WINHTTP_CALLBACK_STATUS_CONNECTING_TO_SERVER, &first);
            let mut conn = Conn::connect(&addrs, net::timeout(settings.timeouts.connect), cancel)?;
            notify_str(request, WINHTTP_CALLBACK_STATUS_CONNECTED_TO_SERVER, &conn.peer.ip().to_string());
            permit.attach(&mut conn);
            (conn, false)
        }
    };
    request.state().connection = Some((conn.local, conn.peer));
    io.conn = Some(conn);
    io.key = Some(key);
    io.reused = reused;
    Ok(())
}

/// "host:port" (or "[v6]:port", or a bare host) split into its parts.
pub(crate) fn split_host_port(s: &str, default_port: u16) -> (String, u16) {
    let s = s.trim();
    if let Some(rest) = s.strip_prefix('[')
        && let Some((host, tail)) = rest.split_once(']')
    {
        let port = tail.strip_prefix(':').and_then(|p| p.parse().ok()).unwrap_or(default_port);
        return (host.to_string(), port);
    }
    match s.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => (h.to_string(), p.parse().unwrap_or(default_port)),
        _ => (s.to_string(), default_port),
    }
}

/// `WinHttpWriteData`: streams caller bytes straight to the socket (no copy is kept).
pub fn write(request: &Arc<Request>, data: &[u8]) -> Result<(), DWORD> {
    let cancel = request.cancel.clone();
    let mut io = request.io();
    if request.state().phase != Phase::Sent {
        return Err(ERROR_WINHTTP_INCORRECT_HANDLE_STATE);
    }
    if let Some(left) = io.upload_left {
        if data.len() as u64 > left {
            return Err(ERROR_INVALID_PARAMETER);
        }
        io.upload_left = Some(left - data.len() as u64);
    }
    io.replay = None;
    let timeout = net::timeout(request.state().settings.timeouts.send);
    let conn = io.conn.as_mut().ok_or(ERROR_WINHTTP_INCORRECT_HANDLE_STATE)?;
    let r = conn.write_all(data, timeout, &cancel);
    if let Err(e) = r {
        io.discard();
        request.state().phase = Phase::Failed;
        return Err(e);
    }
    Ok(())
}

/// `WinHttpReceiveResponse`: reads the response head (skipping interim 1xx responses) and follows
/// redirects as the request's policy allows.
pub fn receive(request: &Arc<Request>) -> Result<(), DWORD> {
    let cancel = request.cancel.clone();
    let mut io = request.io();
    if request.state().phase != Phase::Sent {
        return Err(ERROR_WINHTTP_INCORRECT_HANDLE_STATE);
    }
    let r = receive_following(request, &mut io, &cancel);
    let mut st = request.state();
    st.phase = if r.is_ok() { Phase::Receiving } else { Phase::Failed };
    if r.is_err() {
        io.discard();
    }
    r
}

fn receive_following(request: &Request, io: &mut Exchange, cancel: &Cancel) -> Result<(), DWORD> {
    let mut redirects = 0;
    loop {
        let response = match read_response(request, io, cancel) {
            // A pooled connection the server had closed: send the request again on a new one.
            Err(ERROR_WINHTTP_CONNECTION_ERROR) if io.reused && io.rbuf.is_empty() && io.replay.is_some() => {
                let body = io.replay.clone().unwrap_or_default();
                io.discard();
                transmit(request, io, &body, cancel)?;
                read_response(request, io, cancel)?
            }
            r => r?,
        };
        let Some(next) = request.redirect_target(&response, io.replay.is_some())? else {
            request.set_response(response);
            if io.decoder.as_ref().is_some_and(|d| d.is_done()) {
                end_body(request, io);
            }
            return Ok(());
        };
        let max = request.state().settings.max_redirects;
        if redirects >= max {
            return Err(ERROR_WINHTTP_REDIRECT_FAILED);
        }
        redirects += 1;
        drain(request, io, cancel)?;
        notify_str(request, WINHTTP_CALLBACK_STATUS_REDIRECT, &next.url());
        let keep_body = matches!(response.status, 307 | 308);
        request.follow(next, keep_body);
        let body = if keep_body { io.replay.clone().unwrap_or_default() } else { Arc::new(Vec::new()) };
        if !keep_body {
            io.replay = Some(Arc::new(Vec::new()));
        }
        request.prepare_headers(body.len() as u64, false);
        transmit(request, io, &body, cancel)?;
    }
}

/// Reads the rest of a response body that the caller will never see (before a redirect).
fn drain(request: &Request, io: &mut Exchange, cancel: &Cancel) -> Result<(), DWORD> {
    let (limit, timeout) = {
        let st = request.state();
        (st.settings.max_response_drain_size as u64, st.settings.timeouts.receive)
    };
    let mut drained = 0u64;
    let mut scratch = vec![0u8; READ_CHUNK];
    loop {
        let Some(decoder) = io.decoder.as_mut() else { return Ok(()) };
        if decoder.is_done() {
            end_body(request, io);
            return Ok(());
        }
        if io.rpos < io.rbuf.len() {
            let (used, made) = decoder.decode(&io.rbuf[io.rpos..], &mut scratch).map_err(|e| e.code())?;
            io.consume(used);
            drained += made as u64;
            if drained > limit {
                io.discard();
                return Err(ERROR_WINHTTP_RESPONSE_DRAIN_OVERFLOW);
            }
            if used > 0 || made > 0 {
                continue;
            }
        }
        if fill_or_end(request, io, timeout, cancel)? {
            return Ok(());
        }
    }
}

/// Reads one final response head and sets up the body decoder.
fn read_response(request: &Request, io: &mut Exchange, cancel: &Cancel) -> Result<Response, DWORD> {
    request.core_notify_null(WINHTTP_CALLBACK_STATUS_RECEIVING_RESPONSE);
    let (max_head, timeout, max_continue) = {
        let st = request.state();
        let t = &st.settings.timeouts;
        let timeout = if t.receive_response != DWORD::MAX { t.receive_response } else { t.receive };
        (st.settings.max_response_header_size as usize, timeout, st.settings.max_status_continue)
    };
    let mut interim = 0;
    loop {
        let mut parser = HeadParser::new(max_head.max(1));
        let head = loop {
            match parser.parse(io.buffered()).map_err(|e| e.code())? {
                Parse::Complete { head, consumed } => {
                    io.consume(consumed);
                    break head;
                }
                Parse::Incomplete => {
                    if io.fill(timeout, cancel)? == 0 {
                        return Err(parser.eof(io.buffered()).code());
                    }
                }
            }
        };
        if head.is_interim() {
            interim += 1;
            if interim > max_continue {
                return Err(ERROR_WINHTTP_INVALID_SERVER_RESPONSE);
            }
            notify_dword(request, WINHTTP_CALLBACK_STATUS_INTERMEDIATE_RESPONSE, head.status as DWORD);
            continue;
        }
        notify_dword(request, WINHTTP_CALLBACK_STATUS_RESPONSE_RECEIVED, head.raw_len as DWORD);
        let framing = h1::framing(&request.current_verb(), &head).map_err(|e| e.code())?;
        io.keep_alive = h1::keep_alive(&head, framing) && !request.keep_alive_disabled();
        io.decoder = Some(Decoder::new(framing));
        let mut headers = HeaderList::default();
        for (name, value) in head.headers {
            headers.push(name, value);
        }
        return Ok(Response {
            version: head.version.as_str().to_string(),
            status: head.status,
            reason: head.reason,
            headers,
            chunked: framing == Framing::Chunked,
        });
    }
}

/// `WinHttpQueryDataAvailable`: body bytes that can be read without waiting (waiting for some
/// when none are buffered yet); 0 at the end of the body.
pub fn available(request: &Arc<Request>) -> Result<DWORD, DWORD> {
    let cancel = request.cancel.clone();
    let mut guard = request.io();
    let io = &mut *guard;
    check_receiving(request)?;
    let timeout = request.state().settings.timeouts.receive;
    loop {
        let Some(decoder) = io.decoder.as_mut() else { return Ok(0) };
        let skipped = decoder.skip_framing(&io.rbuf[io.rpos..]).map_err(|e| e.code())?;
        io.consume(skipped);
        let decoder = io.decoder.as_ref().expect("decoder present");
        if decoder.is_done() {
            end_body(request, io);
            return Ok(0);
        }
        let n = decoder.available(io.buffered().len());
        if n > 0 {
            return Ok(n.min(DWORD::MAX as usize) as DWORD);
        }
        if fill_or_end(request, io, timeout, &cancel)? {
            return Ok(0);
        }
    }
}

/// Reads more bytes; at EOF ends the body (true) or reports the truncation.
fn fill_or_end(request: &Request, io: &mut Exchange, timeout: DWORD, cancel: &Cancel) -> Result<bool, DWORD> {
    match io.fill(timeout, cancel) {
        Ok(0) => end_of_stream(request, io),
        Ok(_) => Ok(false),
        Err(e) => {
            io.discard();
            Err(e)
        }
    }
}

/// `WinHttpReadData`: copies body bytes into `out`; 0 at the end of the body (again and again).
/// With nothing buffered, a Content-Length or chunk body is read from the socket straight into the
/// caller's buffer.
pub fn read(request: &Arc<Request>, out: &mut [u8]) -> Result<usize, DWORD> {
    let cancel = request.cancel.clone();
    let mut guard = request.io();
    let io = &mut *guard;
    check_receiving(request)?;
    if out.is_empty() {
        return Ok(0);
    }
    let timeout = request.state().settings.timeouts.receive;
    loop {
        let Some(decoder) = io.decoder.as_mut() else { return Ok(0) };
        if io.rpos < io.rbuf.len() {
            let (used, made) = decoder.decode(&io.rbuf[io.rpos..], out).map_err(|e| e.code())?;
            io.consume(used);
            if io.decoder.as_ref().is_some_and(|d| d.is_done()) {
                end_body(request, io);
            }
            if made > 0 {
                return Ok(made);
            }
            if used > 0 {
                continue;
            }
        }
        let decoder = io.decoder.as_mut().expect("decoder present");
        if decoder.is_done() {
            end_body(request, io);
            return Ok(0);
        }
        let run = decoder.data_run();
        if run > 0 && io.rpos == io.rbuf.len() {
            // Zero copy: the socket writes into the caller's buffer.
            let n = usize::try_from(run).map_or(out.len(), |r| r.min(out.len()));
            let conn = io.conn.as_mut().ok_or(ERROR_WINHTTP_INCORRECT_HANDLE_STATE)?;
            match conn.read(&mut out[..n], net::timeout(timeout), &cancel) {
                Ok(0) => {
                    if end_of_stream(request, io)? {
                        return Ok(0);
                    }
                }
                Ok(k) => {
                    let decoder = io.decoder.as_mut().expect("decoder present");
                    if decoder.data_run() != u64::MAX {
                        decoder.advance(k);
                    }
                    if decoder.is_done() {
                        end_body(request, io);
                    }
                    return Ok(k);
                }
                Err(e) => {
                    io.discard();
                    return Err(e);
                }
            }
        } else if fill_or_end(request, io, timeout, &cancel)? {
            return Ok(0);
        }
    }
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

fn check_receiving(request: &Request) -> Result<(), DWORD> {
    match request.state().phase {
        Phase::Receiving => Ok(()),
        _ => Err(ERROR_WINHTTP_INCORRECT_HANDLE_STATE),
    }
}
