//! HTTP/2 connections shared by many requests, driven from the reactor: the `h2` crate does the
//! framing, HPACK, flow control and stream states; this module gives it I/O and wake-ups without
//! an async runtime.
//!
//! - [`Io`] is the connection's [`Stream`] seen through tokio's `AsyncRead`/`AsyncWrite` traits
//!   (the traits only: no runtime): a `WouldBlock` is `Poll::Pending`, and the direction that
//!   blocked is noted.
//! - [`H2Conn`] owns the `h2` connection task. Its *pump* polls it (reading frames, writing what
//!   streams queued) on a completion thread, or inline on the thread of a request that just queued
//!   frames; when it would block it parks on the reactor for the socket's readiness (one waiter
//!   per direction, the pump being the only waiter on the socket's token). The `h2` crate wakes
//!   the task through a waker that schedules the pump again.
//! - [`H2Stream`] is one request's stream. Its operations never wait themselves: they poll the
//!   stream with a waker that signals the stream's own reactor signal token, and report
//!   `Ok(None)` when they must wait; the operation then waits on that token (a sync call parks its
//!   thread there, an async one parks its continuation). So a request waits the same way in both
//!   modes, and the reactor stays the only place that waits for the socket.
//!
//! A connection's failure is seen by every stream once, through its own poll; closing a request
//! drops its stream, which the crate resets (`RST_STREAM(CANCEL)`) unless it had ended.

use crate::abi::*;
use crate::engine::completion;
use crate::engine::error::Error;
use crate::engine::log::{self, trace};
use crate::engine::reactor::{Token, Wake, Want, reactor};
use crate::engine::transport::tcp::Stream;
use crate::engine::transport::tls::Info;
use crate::proto::h1::Encoder;
use bytes::Bytes;
use std::cell::Cell;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

/// Receive window of each stream we open, and of the whole connection (`SETTINGS` and
/// `WINDOW_UPDATE`): a stream holds at most this much unread data, the connection at most the
/// second. Nothing is allocated up front. Larger windows (4 MiB / 32 MiB) cut a 100 MiB
/// download's context switches from ~8,000 to ~1,600 but cost more CPU, not less (tens of MiB
/// buffered ahead of the reader: page faults, copies of cold data): see docs/PERFORMANCE.md.
const STREAM_WINDOW: u32 = 1 << 20;
const CONNECTION_WINDOW: u32 = 16 << 20;
/// Read body bytes a stream gives back to the flow-control windows at once (and all of them when
/// it has nothing left to read, or at the end): the crate sends a WINDOW_UPDATE whenever what was
/// given back reaches half the current window, so giving back after every read sent one every
/// ~100 KiB of a download (each a TLS record, a syscall and a wake-up of the server).
const RELEASE_BATCH: usize = STREAM_WINDOW as usize / 4;
/// The largest response header block accepted (`SETTINGS_MAX_HEADER_LIST_SIZE`).
const MAX_HEADER_LIST: u32 = 256 * 1024;
/// Streams opened before the server's first SETTINGS says how many it takes (RFC 9113 6.5.2
/// recommends servers allow at least 100): without a bound, a burst of requests on a new
/// connection goes out before the limit is known, and nginx refuses every stream past twice its
/// limit read at once ("client sent too many streams at once").
const INITIAL_MAX_SEND_STREAMS: usize = 100;
/// The most one read of the connection takes (a TLS record's plaintext).
const READ_MAX: usize = 16 * 1024;
/// Rounds of one pump when its own wake-ups keep asking for more (then it goes to the pool).
const PUMP_ROUNDS: usize = 64;
/// [`Blocked::lease`]: no read in progress / a stream's read is running / readiness came during it.
const IDLE: u8 = 0;
const ACTIVE: u8 = 1;
const OWED: u8 = 2;

thread_local! {
    /// The connection whose pump this thread is running (its address; 0: none). A wake-up of
    /// that connection's task on this thread, or readiness its park finds already there, asks
    /// the running pump for another round instead of queueing a pump on the completion pool.
    static PUMPING: Cell<usize> = const { Cell::new(0) };
    /// The stream token whose read drives the pump on this thread: it polls its stream right
    /// after, so the pump need not signal it.
    static READER: Cell<usize> = const { Cell::new(0) };
    /// The connection (its `Blocked`'s address) a stream reads on this thread: its pumps read
    /// the socket; pumps on other threads leave it to this one.
    static READING: Cell<usize> = const { Cell::new(0) };
}

/// Which direction of the socket the last I/O found blocked; and who reads it.
#[derive(Default)]
struct Blocked {
    read: AtomicBool,
    write: AtomicBool,
    /// When bytes last came from the server ([`now_ms`]): the keep-alive PINGs' idle time.
    last_read: AtomicU64,
    /// Bytes came from the server (its SETTINGS, first of all).
    heard: AtomicBool,
    /// A pump off the reading stream's thread left the socket to that stream (see `Io`).
    yielded: AtomicBool,
    /// A stream's read is running on some thread (`ACTIVE`): readiness arriving meanwhile is left
    /// to it (`OWED`), and it runs the pump before its read returns.
    lease: AtomicU8,
    /// A pump run by the reading stream found the socket empty and left parking on it to the end
    /// of that read (see [`H2Stream::leased`]).
    park_deferred: AtomicBool,
    /// The driver waits polling the socket itself ([`H2Stream::direct_fd`]): readiness needs no
    /// hand-off, it sees it.
    direct: AtomicBool,
    /// The signal token of a stream waiting for its data that will run the pump itself when the
    /// socket becomes readable (0: none): the readiness goes to that thread, not to the pool.
    driver: AtomicUsize,
}

impl Blocked {
    /// A stream is reading (or waits to) and this thread is not it: the socket is left to it.
    fn reader_elsewhere(&self) -> bool {
        READING.get() != self as *const Blocked as usize
            && (self.lease.load(Ordering::SeqCst) != IDLE || self.driver.load(Ordering::SeqCst) != 0)
    }
}

/// The connection's stream through the async I/O traits, for the `h2` crate.
pub struct Io {
    stream: Stream,
    blocked: Arc<Blocked>,
}

impl tokio::io::AsyncRead for Io {
    fn poll_read(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let me = self.get_mut();
        if me.blocked.reader_elsewhere() {
            // Reading here would hand each frame over to the reader's thread: leave it the socket.
            me.blocked.yielded.store(true, Ordering::SeqCst);
            return Poll::Pending;
        }
        // `ReadBuf` wants what it lends zeroed first: a bounded piece of the codec's spare
        // capacity, not all of it (a bound; no gain was measured, see docs/PERFORMANCE.md).
        let n = buf.remaining().min(READ_MAX);
        match me.stream.try_read(buf.initialize_unfilled_to(n)) {
            Ok(n) => {
                if n > 0 {
                    me.blocked.last_read.store(now_ms(), Ordering::Relaxed);
                    me.blocked.heard.store(true, Ordering::Relaxed);
                }
                buf.advance(n);
                Poll::Ready(Ok(()))
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                me.blocked.read.store(true, Ordering::SeqCst);
                Poll::Pending
            }
            Err(e) => Poll::Ready(Err(e)),
        }
    }
}

impl tokio::io::AsyncWrite for Io {
    fn poll_write(self: Pin<&mut Self>, _cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        let me = self.get_mut();
        match me.stream.try_write(buf) {
            Ok(n) => Poll::Ready(Ok(n)),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                me.blocked.write.store(true, Ordering::SeqCst);
                Poll::Pending
            }
            Err(e) => Poll::Ready(Err(e)),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let me = self.get_mut();
        match me.stream.flush() {
            Ok(true) => Poll::Ready(Ok(())),
            Ok(false) => {
                me.blocked.write.store(true, Ordering::SeqCst);
                Poll::Pending
            }
            Err(e) => Poll::Ready(Err(e)),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        self.poll_flush(cx)
    }
}

struct Inner {
    /// `None` once the connection was failed on purpose (an unanswered keep-alive PING).
    task: Option<h2::client::Connection<Io, Bytes>>,
}

/// One HTTP/2 connection, shared by the streams of every session in the process.
pub struct H2Conn {
    /// The connection task: held by the pump while it reads and writes.
    inner: Mutex<Inner>,
    /// The handle new streams are opened from (apart, so opening a stream never waits for a pump).
    send: Mutex<h2::client::SendRequest<Bytes>>,
    blocked: Arc<Blocked>,
    /// The socket's reactor token: the pump is its only waiter.
    token: Token,
    /// The socket (for [`H2Stream::direct_fd`]).
    fd: std::os::fd::RawFd,
    /// A pump is queued on the completion pool (or running and will look again).
    scheduled: AtomicBool,
    /// The pump is parked on the reactor for reading / writing.
    parked: [AtomicBool; 2],
    /// Another round is wanted by the thread running the pump (see `PUMPING`).
    again: AtomicBool,
    /// The stream token readiness was handed to, until that stream runs the pump.
    owed: AtomicUsize,
    /// The task's waker (schedules a pump), made once.
    waker: Waker,
    /// The task ended (closed, failed, or the peer sent GOAWAY): no new stream goes here.
    dead: AtomicBool,
    me: Weak<H2Conn>,
    pub local: SocketAddr,
    pub peer: SocketAddr,
    pub tls_info: Option<Arc<Info>>,
    /// What keeps the connection's place under `MAX_CONNS_PER_SERVER` (the pool's permit).
    _slot: Box<dyn std::any::Any + Send + Sync>,
    /// Keep-alive PINGs (`WINHTTP_OPTION_HTTP2_KEEPALIVE`, see [`H2Conn::keep_alive`]).
    keepalive: KeepAlive,
    /// Streams opened and not finished (`WINHTTP_OPTION_DISABLE_STREAM_QUEUE`: see [`H2Conn::has_room`]).
    streams: AtomicUsize,
}

/// Schedules the pump of a connection (the waker the `h2` crate wakes its task with).
struct PumpWaker(Weak<H2Conn>);

impl std::task::Wake for PumpWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        if let Some(c) = self.0.upgrade() {
            c.wake_task();
        }
    }
}

/// Signals a stream's token (the waker its polls register).
struct TokenWaker(Token);

impl std::task::Wake for TokenWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        if READER.get() != self.0.0 {
            reactor().signal(self.0);
        }
    }
}

fn noop_waker() -> Waker {
    struct Noop;
    impl std::task::Wake for Noop {
        fn wake(self: Arc<Self>) {}
    }
    Waker::from(Arc::new(Noop))
}

/// An `h2` error as a WinHTTP error: a protocol violation by the server is
/// `ERROR_WINHTTP_INVALID_SERVER_RESPONSE`, anything else (reset, GOAWAY, I/O) a connection error.
pub fn error(e: &h2::Error) -> Error {
    let code = match e.reason() {
        Some(h2::Reason::PROTOCOL_ERROR | h2::Reason::COMPRESSION_ERROR | h2::Reason::FRAME_SIZE_ERROR)
            if !e.is_io() =>
        {
            ERROR_WINHTTP_INVALID_SERVER_RESPONSE
        }
        _ => ERROR_WINHTTP_CONNECTION_ERROR,
    };
    Error::other(code, format!("HTTP/2: {e}"))
}

/// True for a stream the server never processed (`REFUSED_STREAM`, or beyond a GOAWAY's last
/// stream): it may be sent again on another connection.
pub fn retryable(e: &h2::Error) -> bool {
    // The crate fails with a GOAWAY error exactly the streams past the GOAWAY's last stream.
    e.reason() == Some(h2::Reason::REFUSED_STREAM) || e.is_go_away()
}

impl H2Conn {
    /// Starts HTTP/2 on a connected stream whose ALPN chose `h2` (the client preface and our
    /// SETTINGS are queued, then written by the first pump). `slot` is kept as long as the
    /// connection lives.
    pub fn start(mut stream: Stream, slot: Box<dyn std::any::Any + Send + Sync>) -> Result<Arc<H2Conn>, Error> {
        stream.register().map_err(|e| Error::io(ERROR_WINHTTP_CONNECTION_ERROR, &e))?;
        let blocked = Arc::new(Blocked::default());
        let (token, local, peer, tls_info) = (stream.token, stream.local, stream.peer, stream.tls_info.clone());
        let fd = stream.fd();
        let io = Io { stream, blocked: blocked.clone() };
        let mut builder = h2::client::Builder::new();
        builder
            .initial_max_send_streams(INITIAL_MAX_SEND_STREAMS)
            .initial_window_size(STREAM_WINDOW)
            .initial_connection_window_size(CONNECTION_WINDOW)
            .max_header_list_size(MAX_HEADER_LIST)
            .enable_push(false);
        blocked.last_read.store(now_ms(), Ordering::Relaxed);
        let mut handshake = Box::pin(builder.handshake::<Io, Bytes>(io));
        let waker = noop_waker();
        // The handshake only writes the 24-byte preface into a fresh connection (TLS takes it
        // as plaintext): it does not wait.
        let (send, mut task) = match handshake.as_mut().poll(&mut Context::from_waker(&waker)) {
            Poll::Ready(Ok(pair)) => pair,
            Poll::Ready(Err(e)) => return Err(error(&e)),
            Poll::Pending => {
                return Err(Error::other(ERROR_WINHTTP_CONNECTION_ERROR, "HTTP/2: the preface could not be written"));
            }
        };
        let pong = task.ping_pong();
        let conn = Arc::new_cyclic(|me| H2Conn {
            inner: Mutex::new(Inner { task: Some(task) }),
            send: Mutex::new(send),
            blocked,
            token,
            fd,
            scheduled: AtomicBool::new(false),
            parked: [AtomicBool::new(false), AtomicBool::new(false)],
            again: AtomicBool::new(false),
            owed: AtomicUsize::new(0),
            waker: Waker::from(Arc::new(PumpWaker(me.clone()))),
            dead: AtomicBool::new(false),
            me: me.clone(),
            local,
            peer,
            tls_info,
            _slot: slot,
            keepalive: KeepAlive {
                interval: AtomicU32::new(0),
                armed: AtomicBool::new(false),
                token: reactor().signal_token(),
                ping: Mutex::new(Ping { pong, sent: None }),
            },
            streams: AtomicUsize::new(0),
        });
        trace!(log::POOL, "HTTP/2 connection {local} -> {peer} started");
        conn.drive();
        Ok(conn)
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// False once the connection ended or the peer said GOAWAY: new streams go elsewhere.
    pub fn is_open(&self) -> bool {
        !self.dead.load(Ordering::SeqCst)
    }

    /// Queues a pump on the completion pool (once: a pump already queued will see the news).
    fn schedule(&self) {
        if self.scheduled.swap(true, Ordering::SeqCst) {
            return;
        }
        if let Some(me) = self.me.upgrade() {
            completion::submit(move || me.pump());
        }
    }

    fn addr(&self) -> usize {
        self as *const H2Conn as usize
    }

    /// The task asks to be polled: another round of the pump running on this thread, or a pump
    /// queued on the pool.
    fn wake_task(&self) {
        if PUMPING.get() == self.addr() {
            self.again.store(true, Ordering::SeqCst);
        } else {
            self.schedule();
        }
    }

    /// Runs `f` (a stream's call into the crate) so that the task's wake-ups it causes (a
    /// WINDOW_UPDATE due, a frame queued) run the pump here afterwards, not on the pool.
    fn deferred<R>(&self, f: impl FnOnce() -> R) -> R {
        let prev = PUMPING.replace(self.addr());
        let r = f();
        PUMPING.set(prev);
        if self.again.swap(false, Ordering::SeqCst) {
            self.drive();
        }
        r
    }

    /// Runs the pump here if nobody else is running it, else makes sure it runs again.
    pub fn drive(&self) {
        match self.inner.try_lock() {
            Ok(inner) => self.run(inner),
            Err(_) => self.schedule(),
        }
    }

    fn pump(&self) {
        self.scheduled.store(false, Ordering::SeqCst);
        let inner = self.lock();
        self.run(inner);
    }

    /// Pumps, again while its own wake-ups ask for it (bounded: then the pool takes over).
    fn run(&self, inner: MutexGuard<'_, Inner>) {
        let prev = PUMPING.replace(self.addr());
        let mut inner = Some(inner);
        let mut rounds = 0;
        loop {
            let guard = match inner.take() {
                Some(g) => g,
                None => match self.inner.try_lock() {
                    Ok(g) => g,
                    Err(_) => {
                        self.schedule();
                        break;
                    }
                },
            };
            self.again.store(false, Ordering::SeqCst);
            self.pump_locked(guard);
            if !self.again.swap(false, Ordering::SeqCst) {
                break;
            }
            rounds += 1;
            if rounds == PUMP_ROUNDS {
                self.schedule();
                break;
            }
        }
        PUMPING.set(prev);
    }

    /// The socket became readable: to the stream whose read is running (it pumps before its
    /// read returns), or to the stream waiting to drive the pump (woken on its own thread, or
    /// its continuation on the pool). False when neither: the caller pumps or queues a pump.
    fn hand_off(&self) -> bool {
        // Owed already counts too: a pump that found the socket left to the reader must not take
        // another round for it (it spun, up to `PUMP_ROUNDS` at a time, while the read ran).
        match self.blocked.lease.compare_exchange(ACTIVE, OWED, Ordering::SeqCst, Ordering::SeqCst) {
            Ok(_) | Err(OWED) => return true,
            Err(_) => {}
        }
        if self.blocked.direct.load(Ordering::SeqCst) && self.blocked.driver.load(Ordering::SeqCst) != 0 {
            return true;
        }
        let t = self.blocked.driver.swap(0, Ordering::SeqCst);
        if t != 0 {
            self.owed.store(t, Ordering::SeqCst);
            if reactor().signal_waiter(Token(t)) {
                return true;
            }
            let _ = self.owed.compare_exchange(t, 0, Ordering::SeqCst, Ordering::SeqCst);
        }
        false
    }

    /// Polls the connection task: reads what arrived (waking the streams it concerns), writes what
    /// the streams queued; then parks on the socket for what it waits for.
    fn pump_locked(&self, mut inner: MutexGuard<'_, Inner>) {
        if self.dead.load(Ordering::SeqCst) {
            return;
        }
        self.blocked.read.store(false, Ordering::SeqCst);
        self.blocked.write.store(false, Ordering::SeqCst);
        self.blocked.yielded.store(false, Ordering::SeqCst);
        let Some(task) = inner.task.as_mut() else { return };
        let polled = Pin::new(task).poll(&mut Context::from_waker(&self.waker));
        match polled {
            Poll::Pending => {
                // A GOAWAY: no new stream here (those in flight finish).
                let mut cx = Context::from_waker(&self.waker);
                let ready = self.send.lock().unwrap_or_else(|p| p.into_inner()).poll_ready(&mut cx);
                if let Poll::Ready(Err(e)) = ready
                    && e.is_go_away()
                {
                    self.dead.store(true, Ordering::SeqCst);
                }
                drop(inner);
                if self.blocked.yielded.swap(false, Ordering::SeqCst) && !self.hand_off() {
                    // The reader went away meanwhile: read here after all.
                    self.again.store(true, Ordering::SeqCst);
                }
                if self.blocked.read.load(Ordering::SeqCst) {
                    if READING.get() == Arc::as_ptr(&self.blocked) as usize {
                        // The reading stream decides when its read ends (it may return data and
                        // come back for more before anybody else needs the socket).
                        self.blocked.park_deferred.store(true, Ordering::SeqCst);
                    } else {
                        self.park(Want::Read);
                    }
                }
                if self.blocked.write.load(Ordering::SeqCst) {
                    self.park(Want::Write);
                }
            }
            Poll::Ready(r) => {
                self.dead.store(true, Ordering::SeqCst);
                trace!(log::POOL, "HTTP/2 connection {} -> {} ended: {r:?}", self.local, self.peer);
            }
        }
    }

    /// Parks the pump on the socket for `want` (unless it is parked for it already).
    fn park(&self, want: Want) {
        let d = usize::from(want == Want::Write);
        if self.parked[d].swap(true, Ordering::SeqCst) {
            return;
        }
        let me = self.me.clone();
        reactor().park(
            self.token,
            want,
            None,
            Box::new(move |wake| {
                if let Some(c) = me.upgrade() {
                    c.parked[d].store(false, Ordering::SeqCst);
                    if wake == Wake::Cancelled && !c.is_open() {
                        return;
                    }
                    if want == Want::Read && wake == Wake::Ready && c.hand_off() {
                        // A reading stream runs the pump next, on its own thread.
                    } else if PUMPING.get() == c.addr() {
                        // Ready already, found by the park of the pump running here.
                        c.again.store(true, Ordering::SeqCst);
                    } else {
                        c.schedule();
                    }
                }
            }),
        );
    }
}

impl Drop for H2Conn {
    fn drop(&mut self) {
        trace!(log::POOL, "HTTP/2 connection {} -> {} closed", self.local, self.peer);
        reactor().release(self.keepalive.token);
    }
}

/// A response head as the stream received it.
pub struct Head {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// The stream ended with the head (no body: HEAD, 204, 304 ...).
    pub end: bool,
}

/// One request as a stream on a shared connection.
pub struct H2Stream {
    pub conn: Arc<H2Conn>,
    /// The signal token its waits use (released on drop).
    pub token: Token,
    waker: Waker,
    send: Option<h2::SendStream<Bytes>>,
    response: Option<h2::client::ResponseFuture>,
    recv: Option<h2::RecvStream>,
    /// Received body bytes not read yet (DATA frames' payloads), and how many.
    chunks: std::collections::VecDeque<Bytes>,
    buffered: usize,
    /// Bytes the caller read that were not given back to the windows yet (see `RELEASE_BATCH`).
    unreleased: usize,
    /// The response body ended (`chunks` may still hold the last of it).
    ended: bool,
    /// The request body still to come (`WinHttpWriteData`), as on HTTP/1.1.
    pub encoder: Encoder,
    /// The stream failed unprocessed by the server (`REFUSED_STREAM`, or past a GOAWAY): it may be
    /// sent again on another connection.
    pub retryable: bool,
    /// The server reset it with `HTTP_1_1_REQUIRED`: send it again over HTTP/1.1.
    pub h1_required: bool,
    /// Counted in the connection's open streams (from HEADERS until the exchange ends or drops).
    counted: bool,
    /// The response's trailers (a HEADERS frame after the DATA), once the body ended.
    pub trailers: Vec<(String, String)>,
    /// A body the caller chunk-encodes itself: its framing, removed before the DATA frames.
    pub dechunk: Option<Box<crate::proto::h1::Decoder>>,
}

impl Drop for H2Stream {
    fn drop(&mut self) {
        let unfinished = self.send.is_some() || self.response.is_some() || (self.recv.is_some() && !self.ended);
        self.uncount();
        // Dropping the handles resets an unfinished stream; the connection writes the reset.
        self.release(true);
        self.send = None;
        self.response = None;
        self.recv = None;
        let t = self.token.0;
        let _ = self.conn.blocked.driver.compare_exchange(t, 0, Ordering::SeqCst, Ordering::SeqCst);
        let owed = self.conn.owed.compare_exchange(t, 0, Ordering::SeqCst, Ordering::SeqCst).is_ok();
        if unfinished || owed {
            self.conn.drive();
        }
        reactor().release(self.token);
    }
}

/// A header map as (name, value) pairs, in order.
fn fields(map: &http::HeaderMap) -> Vec<(String, String)> {
    map.iter().map(|(n, v)| (n.as_str().to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned())).collect()
}

/// A request to open a stream with.
pub struct Open<'a> {
    pub method: &'a str,
    pub scheme: &'a str,
    pub authority: &'a str,
    pub path: &'a str,
    pub fields: &'a [(String, String)],
    /// No body follows the head (`END_STREAM` on HEADERS).
    pub end: bool,
}

impl H2Stream {
    /// A stream-to-be on `conn`.
    pub fn new(conn: Arc<H2Conn>) -> H2Stream {
        let token = reactor().signal_token();
        let waker = Waker::from(Arc::new(TokenWaker(token)));
        H2Stream {
            conn,
            token,
            waker,
            send: None,
            response: None,
            recv: None,
            chunks: std::collections::VecDeque::new(),
            buffered: 0,
            unreleased: 0,
            ended: false,
            encoder: Encoder::Length(0),
            retryable: false,
            h1_required: false,
            counted: false,
            trailers: Vec::new(),
            dechunk: None,
        }
    }

    /// Sends the request head (HEADERS, queued behind the server's `MAX_CONCURRENT_STREAMS` by
    /// the crate when the connection is at its limit).
    pub fn open(&mut self, req: &Open<'_>) -> Result<(), Error> {
        let bad = |what: &str| Error::other(ERROR_WINHTTP_INVALID_SERVER_RESPONSE, format!("HTTP/2 request: {what}"));
        let uri = http::Uri::builder()
            .scheme(req.scheme)
            .authority(req.authority)
            .path_and_query(req.path)
            .build()
            .map_err(|_| Error::other(ERROR_WINHTTP_INVALID_URL, "HTTP/2 request: not a valid URI"))?;
        let mut builder =
            http::Request::builder().method(req.method.as_bytes()).uri(uri).version(http::Version::HTTP_2);
        for (name, value) in req.fields {
            builder = builder.header(name.as_str(), value.as_str());
        }
        let request = builder.body(()).map_err(|_| bad("a header the protocol cannot carry"))?;
        let mut send = self.conn.send.lock().unwrap_or_else(|p| p.into_inner()).clone();
        // A fresh handle is always ready unless the connection is gone.
        let mut cx = Context::from_waker(&self.waker);
        if let Poll::Ready(Err(e)) = send.poll_ready(&mut cx) {
            self.conn.dead.store(true, Ordering::SeqCst);
            return Err(error(&e));
        }
        let (response, stream) = send.send_request(request, req.end).map_err(|e| {
            if e.is_io() || e.is_go_away() || e.is_reset() || e.is_remote() {
                self.conn.dead.store(true, Ordering::SeqCst);
            }
            error(&e)
        })?;
        self.response = Some(response);
        self.send = (!req.end).then_some(stream);
        self.conn.streams.fetch_add(1, Ordering::SeqCst);
        self.counted = true;
        self.conn.drive();
        Ok(())
    }

    /// Queues body bytes as DATA within the flow-control window: `Ok(Some(n))` took the first
    /// `n` (`end`: they end the request when they are all of `data`), `Ok(None)`: no window
    /// yet, wait on the token.
    pub fn poll_write(&mut self, data: &[u8], end: bool) -> Result<Option<usize>, Error> {
        self.settle();
        let Some(send) = self.send.as_mut() else {
            return Err(Error::other(ERROR_WINHTTP_INCORRECT_HANDLE_STATE, "HTTP/2: the request body has ended"));
        };
        if data.is_empty() {
            if end {
                send.send_data(Bytes::new(), true).map_err(|e| error(&e))?;
                self.send = None;
                self.conn.drive();
            }
            return Ok(Some(0));
        }
        send.reserve_capacity(data.len());
        let mut cx = Context::from_waker(&self.waker);
        let room = match send.poll_capacity(&mut cx) {
            Poll::Pending => return Ok(None),
            Poll::Ready(Some(Ok(0))) => return Ok(None),
            Poll::Ready(Some(Ok(n))) => n,
            Poll::Ready(Some(Err(e))) => return Err(error(&e)),
            Poll::Ready(None) => {
                return Err(Error::other(ERROR_WINHTTP_CONNECTION_ERROR, "HTTP/2: the stream was reset"));
            }
        };
        let n = room.min(data.len());
        let last = end && n == data.len();
        send.send_data(Bytes::copy_from_slice(&data[..n]), last).map_err(|e| error(&e))?;
        if last {
            self.send = None;
        }
        self.conn.drive();
        Ok(Some(n))
    }

    /// The request body is complete: ends the stream (an empty DATA with `END_STREAM`).
    pub fn finish(&mut self) -> Result<(), Error> {
        if self.send.is_some() {
            self.poll_write(&[], true)?;
        }
        Ok(())
    }

    /// True while request body bytes may still be sent.
    pub fn sending(&self) -> bool {
        self.send.is_some()
    }

    /// The response head: `Ok(None)` while it has not come (wait on the token). Interim
    /// responses are the crate's.
    pub fn poll_head(&mut self) -> Result<Option<Head>, Error> {
        self.settle();
        let Some(fut) = self.response.as_mut() else {
            return Err(Error::other(ERROR_WINHTTP_INCORRECT_HANDLE_STATE, "HTTP/2: no response pending"));
        };
        let mut cx = Context::from_waker(&self.waker);
        match Pin::new(fut).poll(&mut cx) {
            Poll::Pending => Ok(None),
            Poll::Ready(Err(e)) => {
                self.response = None;
                self.h1_required = e.reason() == Some(h2::Reason::HTTP_1_1_REQUIRED);
                self.retryable = retryable(&e) || self.h1_required;
                if e.is_go_away() {
                    self.conn.dead.store(true, Ordering::SeqCst);
                }
                Err(error(&e))
            }
            Poll::Ready(Ok(resp)) => {
                self.response = None;
                let (parts, recv) = resp.into_parts();
                let headers = fields(&parts.headers);
                let end = recv.is_end_stream();
                self.ended = end;
                self.recv = Some(recv);
                if end && self.send.is_none() {
                    self.uncount();
                }
                Ok(Some(Head { status: parts.status.as_u16(), headers, end }))
            }
        }
    }

    /// Runs the pump here when the socket's readiness was handed to this stream (see
    /// [`H2Stream::poll_available`]) and it has not run since. True when it ran.
    fn settle(&mut self) -> bool {
        let t = self.token.0;
        if self.conn.owed.load(Ordering::SeqCst) == t
            && self.conn.owed.compare_exchange(t, 0, Ordering::SeqCst, Ordering::SeqCst).is_ok()
        {
            self.drive_reading();
            return true;
        }
        false
    }

    /// Runs the pump on this thread for a read of this stream (which polls the stream next, so
    /// the pump need not signal it).
    fn drive_reading(&mut self) {
        let prev = READER.replace(self.token.0);
        self.conn.drive();
        READER.set(prev);
    }

    /// Runs a read of this stream holding the connection's lease (see [`Blocked::lease`]), then
    /// runs the pump for the readiness that arrived during it.
    ///
    /// A pump during the read that found the socket empty parks on it when the read ends
    /// ([`Blocked::park_deferred`]), unless the stream is the connection's only one, has not
    /// ended and no keep-alive PINGs are due: then the read's caller decides. A read that
    /// returned data leaves the socket alone (its reader comes back for more and runs the pump
    /// itself; the server waits for window anyway), a sync read about to wait polls the socket
    /// itself ([`H2Stream::direct_fd`]), and any other wait parks the pump first
    /// ([`H2Stream::watch`]). Parking at every read's end woke the reactor, then a pooled pump or
    /// the reader, for every segment the server wrote: thousands of context switches per 100 MiB
    /// on one CPU.
    fn leased<R>(&mut self, f: impl FnOnce(&mut Self) -> R) -> R {
        /// Gives the lease back however the read ends (a panic too: a lease left `ACTIVE` would
        /// keep every other pump off the socket).
        struct Lease {
            conn: Arc<H2Conn>,
            /// `READING` before the read.
            prev: usize,
            /// The stream has not ended: the read's caller may leave the socket unwatched.
            open: bool,
        }
        impl Drop for Lease {
            fn drop(&mut self) {
                READING.set(self.prev);
                let conn = &self.conn;
                if !(self.open && conn.sole_reader()) && conn.blocked.park_deferred.swap(false, Ordering::SeqCst) {
                    conn.park(Want::Read);
                }
                if conn.blocked.lease.swap(IDLE, Ordering::SeqCst) == OWED {
                    // Not `drive_reading`: a read about to wait must be signalled for what this
                    // brings.
                    conn.drive();
                }
            }
        }
        self.conn.blocked.lease.store(ACTIVE, Ordering::SeqCst);
        self.conn.blocked.direct.store(false, Ordering::SeqCst);
        let prev = READING.replace(Arc::as_ptr(&self.conn.blocked) as usize);
        let mut lease = Lease { conn: self.conn.clone(), prev, open: false };
        let r = f(self);
        // The last read parks as before: an idle pooled connection's socket is watched (a close
        // or GOAWAY from the server is seen before the connection is used again).
        lease.open = !self.ended;
        r
    }

    /// The socket a sync wait of this stream may poll itself: the stream is its connection's
    /// only one and its driver, and nobody watches the socket (see [`H2Stream::leased`]).
    pub fn direct_fd(&self) -> Option<std::os::fd::RawFd> {
        let b = &self.conn.blocked;
        let direct = b.park_deferred.load(Ordering::SeqCst)
            && b.driver.load(Ordering::SeqCst) == self.token.0
            && self.conn.sole_reader();
        b.direct.store(direct, Ordering::SeqCst);
        direct.then_some(self.conn.fd)
    }

    /// Before a wait on the reactor: the pump parks on the socket if a read left that to later.
    pub fn watch(&self) {
        if self.conn.blocked.park_deferred.swap(false, Ordering::SeqCst) {
            self.conn.park(Want::Read);
        }
    }

    /// Body bytes readable now (every DATA frame already received): `Ok(Some(0))` at the end of
    /// the body, `Ok(None)` when none has come yet (wait on the token).
    pub fn poll_available(&mut self) -> Result<Option<usize>, Error> {
        self.leased(Self::available)
    }

    ///
    /// With nothing received, the stream runs the connection's pump itself (reading what the
    /// socket holds, for every stream), and when still nothing came it waits as the
    /// connection's driver: the socket's next readiness wakes this stream's wait, and the pump
    /// runs on its thread (sync) or continuation (async) instead of hopping through the pool.
    fn available(&mut self) -> Result<Option<usize>, Error> {
        let mut drove = self.settle();
        loop {
            self.drain()?;
            if self.buffered > 0 || self.ended {
                break;
            }
            // Nothing left here: the windows reopen in full before the pump writes.
            self.release(true);
            if drove {
                self.conn.blocked.driver.store(self.token.0, Ordering::SeqCst);
                return Ok(None);
            }
            drove = true;
            self.drive_reading();
        }
        if self.ended && self.send.is_none() {
            self.uncount();
        }
        match (self.buffered, self.ended) {
            (0, false) => Ok(None),
            (n, _) => Ok(Some(n)),
        }
    }

    /// Takes every DATA frame the stream has received into `chunks`.
    fn drain(&mut self) -> Result<(), Error> {
        while !self.ended {
            let Some(recv) = self.recv.as_mut() else {
                self.ended = true;
                break;
            };
            let mut cx = Context::from_waker(&self.waker);
            match recv.poll_data(&mut cx) {
                Poll::Pending => break,
                Poll::Ready(None) => {
                    // The DATA ended: a HEADERS frame may follow with the trailers.
                    match recv.poll_trailers(&mut cx) {
                        Poll::Pending => break,
                        Poll::Ready(Ok(Some(map))) => self.trailers = fields(&map),
                        Poll::Ready(Ok(None)) => {}
                        Poll::Ready(Err(e)) => return Err(error(&e)),
                    }
                    self.ended = true;
                }
                Poll::Ready(Some(Ok(chunk))) => {
                    // Capacity goes back to the server as the caller reads (see `read`).
                    self.buffered += chunk.len();
                    if !chunk.is_empty() {
                        self.chunks.push_back(chunk);
                    }
                    if recv.is_end_stream() {
                        self.ended = true;
                    }
                }
                Poll::Ready(Some(Err(e))) => return Err(error(&e)),
            }
        }
        Ok(())
    }

    /// Copies what is readable into `out`, across DATA frames: `Ok(Some(0))` at the end,
    /// `Ok(None)` to wait.
    pub fn read(&mut self, out: &mut [u8]) -> Result<Option<usize>, Error> {
        self.leased(|me| me.read_leased(out))
    }

    fn read_leased(&mut self, out: &mut [u8]) -> Result<Option<usize>, Error> {
        if self.buffered < out.len() || self.conn.owed.load(Ordering::SeqCst) == self.token.0 {
            match self.available()? {
                None => return Ok(None),
                Some(0) => return Ok(Some(0)),
                Some(_) => {}
            }
        }
        let mut n = 0;
        while n < out.len() {
            let Some(chunk) = self.chunks.front_mut() else { break };
            let k = chunk.len().min(out.len() - n);
            out[n..n + k].copy_from_slice(&chunk[..k]);
            bytes::Buf::advance(chunk, k);
            if chunk.is_empty() {
                self.chunks.pop_front();
            }
            n += k;
        }
        self.take(n);
        Ok(Some(n))
    }

    /// `n` received bytes were taken: the window reopens as the caller reads (a slow reader holds
    /// the server back), given back in batches (see [`H2Stream::release`]).
    fn take(&mut self, n: usize) {
        self.buffered -= n;
        self.unreleased += n;
        self.release(self.ended && self.buffered == 0);
    }

    /// The received body bytes at the front (for a decoder that reads them in place, as the
    /// content decoding does): `Ok(None)` to wait, an empty slice at the end of the body. Then
    /// [`H2Stream::consume`] says how many were used.
    pub fn front(&mut self) -> Result<Option<&[u8]>, Error> {
        match self.poll_available()? {
            None => Ok(None),
            Some(0) => Ok(Some(&[])),
            Some(_) => Ok(self.chunks.front().map(|c| &c[..])),
        }
    }

    /// The first `n` bytes [`H2Stream::front`] gave were used.
    pub fn consume(&mut self, n: usize) {
        let Some(chunk) = self.chunks.front_mut() else { return };
        let n = n.min(chunk.len());
        bytes::Buf::advance(chunk, n);
        if chunk.is_empty() {
            self.chunks.pop_front();
        }
        self.take(n);
    }

    /// Gives read bytes back to the stream's and the connection's windows, once a batch is
    /// there (or `all`); the crate wakes the connection when a WINDOW_UPDATE is due, and the pump
    /// then runs on this thread.
    fn release(&mut self, all: bool) {
        if self.unreleased == 0 || (!all && self.unreleased < RELEASE_BATCH) {
            return;
        }
        let n = std::mem::take(&mut self.unreleased);
        if let Some(recv) = self.recv.as_mut() {
            self.conn.deferred(|| recv.flow_control().release_capacity(n)).ok();
        }
    }

    /// The body was read to the end.
    pub fn body_done(&self) -> bool {
        self.ended && self.buffered == 0
    }
}

// Keep-alive PINGs and the count of open streams (WINHTTP_OPTION_HTTP2_KEEPALIVE,
// WINHTTP_OPTION_DISABLE_STREAM_QUEUE).
//
// A connection whose sessions asked for keep-alive has a timer: a signal token parked on the
// reactor with a deadline (no thread). When nothing came from the server for the interval, the
// timer sends a PING (the pump writes it); when its ACK has not come one interval later, the
// connection is failed: its task is dropped, which fails every stream on it once (the crate
// tells each of them the connection broke), and the pool, seeing it dead, opens a new one.

/// Milliseconds since the first call in the process (a monotonic clock for atomics).
fn now_ms() -> u64 {
    static EPOCH: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    let epoch = *EPOCH.get_or_init(Instant::now);
    u64::try_from(epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// The instant of a [`now_ms`] reading.
fn instant_of(ms: u64) -> Instant {
    let now = now_ms();
    Instant::now() - Duration::from_millis(now.saturating_sub(ms))
}

/// A connection's keep-alive state.
struct KeepAlive {
    /// The interval in ms (0: no PINGs); the smallest any stream's session asked for.
    interval: AtomicU32,
    /// The timer is parked (or running).
    armed: AtomicBool,
    /// The timer's signal token (only its deadline ever wakes it).
    token: Token,
    ping: Mutex<Ping>,
}

struct Ping {
    /// The crate's handle for our PINGs (`None` if it was taken already: never here).
    pong: Option<h2::PingPong>,
    /// When the PING waiting for its ACK was sent.
    sent: Option<Instant>,
}

impl H2Conn {
    /// A stream's session asks for PINGs after `ms` idle milliseconds (0: it does not): the
    /// connection keeps the smallest interval asked for; the timer starts with the first.
    pub fn keep_alive(&self, ms: u32) {
        if ms == 0 || !self.is_open() {
            return;
        }
        let cur = self.keepalive.interval.load(Ordering::SeqCst);
        if cur != 0 && cur <= ms {
            return;
        }
        // A smaller interval than the running timer's takes effect at its next tick.
        self.keepalive.interval.store(ms, Ordering::SeqCst);
        if !self.keepalive.armed.swap(true, Ordering::SeqCst) {
            let last = instant_of(self.blocked.last_read.load(Ordering::Relaxed));
            self.arm(last + Duration::from_millis(u64::from(ms)));
        }
    }

    /// Parks the timer until `at`; its tick runs on a completion thread.
    fn arm(&self, at: Instant) {
        let me = self.me.clone();
        reactor().park(
            self.keepalive.token,
            Want::Read,
            Some(at),
            Box::new(move |wake| {
                if wake != Wake::TimedOut {
                    // Released: the connection is gone.
                    return;
                }
                completion::submit(move || {
                    if let Some(c) = me.upgrade() {
                        match c.tick() {
                            Some(next) => c.arm(next),
                            None => c.keepalive.armed.store(false, Ordering::SeqCst),
                        }
                    }
                })
            }),
        );
    }

    /// The timer's deadline passed: checks the PING in flight, or sends one if the connection has
    /// been idle for the interval. Returns the next deadline (`None`: the timer stops).
    fn tick(&self) -> Option<Instant> {
        let ms = self.keepalive.interval.load(Ordering::SeqCst);
        if ms == 0 || !self.is_open() {
            return None;
        }
        let interval = Duration::from_millis(u64::from(ms));
        let mut ping = self.keepalive.ping.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        if let Some(sent) = ping.sent {
            let waker = noop_waker();
            let pong = ping.pong.as_mut()?.poll_pong(&mut Context::from_waker(&waker));
            match pong {
                Poll::Ready(Ok(_)) => ping.sent = None,
                Poll::Ready(Err(_)) => return None,
                Poll::Pending if now >= sent + interval => {
                    drop(ping);
                    self.fail("a keep-alive PING went unanswered");
                    return None;
                }
                Poll::Pending => return Some(sent + interval),
            }
        }
        let idle_since = instant_of(self.blocked.last_read.load(Ordering::Relaxed));
        if now < idle_since + interval {
            return Some(idle_since + interval);
        }
        if ping.pong.as_mut()?.send_ping(h2::Ping::opaque()).is_err() {
            return None;
        }
        ping.sent = Some(now);
        drop(ping);
        trace!(log::POOL, "HTTP/2 connection {} -> {}: keep-alive PING", self.local, self.peer);
        self.drive();
        Some(now + interval)
    }

    /// Fails the connection: no new stream goes here, and every stream on it fails once (the
    /// crate tells them the connection broke when its task is dropped).
    fn fail(&self, why: &str) {
        self.dead.store(true, Ordering::SeqCst);
        let task = self.lock().task.take();
        trace!(log::POOL, "HTTP/2 connection {} -> {} failed: {why}", self.local, self.peer);
        drop(task);
    }

    /// One stream open, and no keep-alive PINGs to answer: a reader of that stream may leave the
    /// socket unwatched between its reads (see [`H2Stream::leased`]).
    fn sole_reader(&self) -> bool {
        self.streams.load(Ordering::SeqCst) <= 1 && self.keepalive.interval.load(Ordering::SeqCst) == 0
    }

    /// True while a new stream would not wait for room under the server's
    /// `SETTINGS_MAX_CONCURRENT_STREAMS` (`WINHTTP_OPTION_DISABLE_STREAM_QUEUE`).
    pub fn has_room(&self) -> bool {
        let mut max = self.send.lock().unwrap_or_else(|p| p.into_inner()).current_max_send_streams();
        if !self.blocked.heard.load(Ordering::Relaxed) {
            // The server's SETTINGS have not come: its limit is unknown, so the stream that
            // opened the connection is the only one sure not to wait.
            max = 1;
        }
        self.streams.load(Ordering::SeqCst) < max
    }
}

impl H2Stream {
    /// The exchange ended (or the stream is dropped): it no longer takes a place on the connection.
    fn uncount(&mut self) {
        if std::mem::take(&mut self.counted) {
            self.conn.streams.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

impl H2Stream {
    /// Caller body bytes of a chunk-encoded body (see [`H2Stream::dechunk`]): the chunk framing is
    /// consumed, the chunk data goes out as DATA within the window, and the last chunk ends the
    /// stream (with the caller's trailers as a trailing HEADERS frame, if it wrote any).
    /// `Ok(Some(n))`: the first `n` bytes of `data` were taken; `Ok(None)`: no window now (wait
    /// on the token). Bytes after the last chunk are taken and dropped.
    pub fn write_dechunked(&mut self, data: &[u8]) -> Result<Option<usize>, Error> {
        let Some(mut d) = self.dechunk.take() else {
            return Err(Error::other(ERROR_WINHTTP_INTERNAL_ERROR, "HTTP/2: not a chunk-encoded body"));
        };
        let result = self.dechunk_step(&mut d, data);
        self.dechunk = Some(d);
        result
    }

    fn dechunk_step(&mut self, d: &mut crate::proto::h1::Decoder, data: &[u8]) -> Result<Option<usize>, Error> {
        let bad = |e: crate::proto::h1::Error| {
            Error::other(ERROR_INVALID_PARAMETER, format!("HTTP/2: the caller's chunked body is malformed: {e:?}"))
        };
        let skip = d.skip_framing(data).map_err(bad)?;
        if d.is_done() {
            if self.send.is_some() {
                self.end_with(d.trailers())?;
            }
            return Ok(Some(data.len()));
        }
        let run = d.available(data.len() - skip);
        if run == 0 {
            return Ok(Some(skip));
        }
        match self.poll_write(&data[skip..skip + run], false)? {
            Some(n) => {
                d.advance(n);
                Ok(Some(skip + n))
            }
            None if skip > 0 => Ok(Some(skip)),
            None => Ok(None),
        }
    }

    /// Ends the request: `END_STREAM` on an empty DATA frame, or on a HEADERS frame of trailers.
    fn end_with(&mut self, trailers: &[(String, String)]) -> Result<(), Error> {
        let mut map = http::HeaderMap::new();
        for (n, v) in trailers {
            let name = http::header::HeaderName::from_bytes(n.to_ascii_lowercase().as_bytes());
            let value = http::header::HeaderValue::from_str(v);
            if let (Ok(name), Ok(value)) = (name, value)
                && !crate::proto::h2::connection_specific(n)
            {
                map.append(name, value);
            }
        }
        if map.is_empty() {
            return self.finish();
        }
        let Some(send) = self.send.as_mut() else { return Ok(()) };
        send.send_trailers(map).map_err(|e| error(&e))?;
        self.send = None;
        self.conn.drive();
        Ok(())
    }
}
