//! The process-wide keep-alive pool: idle connections keyed by their full [`Route`] (origin,
//! proxy or tunnel), with an idle timeout, a liveness check before reuse and
//! `WINHTTP_OPTION_MAX_CONNS_PER_SERVER`. A request is not a connection: a request borrows one
//! from here and gives it back when both halves of its exchange are complete.
//!
//! Accounting: each route counts its open connections (in use or idle) through [`Permit`]s. A
//! permit is handed out with a new connection or with a pooled one, travels beside it, and gives
//! its slot back when dropped. When a route is full, [`acquire`] answers [`Lease::Full`] and
//! records the caller's signal token: every release and check-in for that route signals the
//! waiters, which then ask again. Nothing here blocks, so sync and async requests queue alike
//! (a sync call waits on its token, an asynchronous one parks on it), and a queued request is
//! cancelled by closing it like any wait. Permits of connections dropped under the lock are
//! disarmed first (their slot freed under it), so a permit never takes the lock while it is held.

use crate::engine::conn::Connection;
use crate::engine::log::{self, trace};
use crate::engine::plan::Route;
use crate::engine::reactor::{Token, reactor};
use crate::engine::transport::h2::H2Conn;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

/// How long a connection may stay idle before it is closed.
const IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// The right to one open connection for a route under `MAX_CONNS_PER_SERVER`. It travels beside
/// its connection; the slot frees when it is dropped.
pub struct Permit {
    pool: &'static Pool,
    /// `None` once disarmed (its slot already given back).
    key: Option<Route>,
    /// The GUID of the connection the slot holds, once attached (`WinHttpQueryConnectionGroup`).
    guid: Option<[u8; 16]>,
}

impl Permit {
    /// The connection this slot holds is `guid` (a new connection, once made).
    pub fn attach(&mut self, guid: [u8; 16]) {
        if self.guid.is_some() {
            return;
        }
        if let Some(key) = &self.key {
            let mut inner = self.pool.lock();
            if let Some(entry) = inner.map.get_mut(key) {
                entry.guids.insert(guid);
                self.guid = Some(guid);
            }
        }
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            self.pool.release(&key, self.guid);
        }
    }
}

/// What `acquire` gives.
pub enum Lease {
    /// An idle connection that passed the liveness check, with its slot.
    Reused(Box<Connection>, Permit),
    /// No idle connection: open a new one under this permit.
    Fresh(Permit),
    /// The route is at its limit: the waiter's token is signalled when a slot may have freed.
    Full,
}

struct Idle {
    conn: Box<Connection>,
    permit: Permit,
    since: Instant,
}

#[derive(Default)]
struct Entry {
    /// Oldest first: the most recently used connection is at the end.
    idle: Vec<Idle>,
    /// Open connections (in use or idle) and permits not attached yet.
    open: usize,
    /// Signal tokens of requests waiting for a slot.
    waiters: Vec<Token>,
    /// GUIDs of the open connections whose permits are attached (see [`Permit::attach`]).
    guids: std::collections::HashSet<[u8; 16]>,
}

/// FNV-1a: routes are short keys hashed twice per request; SipHash's flood resistance buys nothing
/// here (the keys are the program's own servers and proxies).
#[derive(Default)]
struct Fnv(u64);

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 { 0xcbf2_9ce4_8422_2325 } else { self.0 };
        for &b in bytes {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }

    // Integers (the flag, the port, the enum's discriminant) mixed whole rather than byte by byte.
    fn write_u8(&mut self, n: u8) {
        self.write_u64(u64::from(n));
    }

    fn write_u16(&mut self, n: u16) {
        self.write_u64(u64::from(n));
    }

    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }

    fn write_isize(&mut self, n: isize) {
        self.write_u64(n as u64);
    }

    fn write_u64(&mut self, n: u64) {
        let h = if self.0 == 0 { 0xcbf2_9ce4_8422_2325 } else { self.0 };
        self.0 = (h ^ n).wrapping_mul(0x0100_0000_01b3).rotate_left(29);
    }
}

type Routes = HashMap<Route, Entry, std::hash::BuildHasherDefault<Fnv>>;

struct Inner {
    map: Routes,
    /// When the next sweep of every route is due.
    next_sweep: Instant,
}

struct Pool {
    idle_timeout: Duration,
    inner: Mutex<Inner>,
}

fn global() -> &'static Pool {
    static POOL: OnceLock<Pool> = OnceLock::new();
    POOL.get_or_init(|| Pool::new(IDLE_TIMEOUT))
}

/// Frees an idle connection's slot without taking the lock (the caller holds it).
fn disarm(idle: &mut Idle, entry_open: &mut usize, guids: &mut std::collections::HashSet<[u8; 16]>) {
    if idle.permit.key.take().is_some() {
        *entry_open = entry_open.saturating_sub(1);
        forget(guids, idle.permit.guid);
    }
}

/// Removes a connection's GUID from its route's set.
fn forget(guids: &mut std::collections::HashSet<[u8; 16]>, guid: Option<[u8; 16]>) {
    if let Some(g) = guid {
        guids.remove(&g);
    }
}

/// Moves a route's idle connections past `timeout` into `doomed` (slots freed).
/// `cutoff` is now minus the idle timeout (`None`: nothing can be that old yet): Instants are
/// compared rather than subtracted, which costs more on every use of the pool.
fn expire(entry: &mut Entry, timeout: Duration, cutoff: Option<Instant>, doomed: &mut Vec<Idle>) {
    let Some(cutoff) = cutoff else { return };
    let n = entry.idle.iter().take_while(|i| i.since <= cutoff).count();
    if n == 0 {
        return;
    }
    for mut idle in entry.idle.drain(..n) {
        trace!(log::POOL, "closed {} (idle for {timeout:?})", idle.conn.stream.local);
        disarm(&mut idle, &mut entry.open, &mut entry.guids);
        doomed.push(idle);
    }
    wake_all(&mut entry.waiters);
}

/// Wakes every waiter of an entry (they ask again).
fn wake_all(waiters: &mut Vec<Token>) {
    for t in waiters.drain(..) {
        reactor().signal(t);
    }
}

impl Pool {
    fn new(idle_timeout: Duration) -> Pool {
        Pool { idle_timeout, inner: Mutex::new(Inner { map: Routes::default(), next_sweep: Instant::now() }) }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn release(&self, key: &Route, guid: Option<[u8; 16]>) {
        let mut inner = self.lock();
        if let Some(entry) = inner.map.get_mut(key) {
            entry.open = entry.open.saturating_sub(1);
            forget(&mut entry.guids, guid);
            wake_all(&mut entry.waiters);
            if entry.open == 0 && entry.idle.is_empty() {
                inner.map.remove(key);
            }
        }
    }

    /// Moves idle connections past the idle timeout into `doomed` (slots freed): those of every
    /// route at most once a second (a route's own are looked at by [`expire`] on each use).
    fn sweep(&self, inner: &mut Inner, now: Instant, doomed: &mut Vec<Idle>) -> Option<Instant> {
        let timeout = self.idle_timeout;
        let cutoff = now.checked_sub(timeout);
        if now >= inner.next_sweep {
            inner.next_sweep = now + timeout.min(Duration::from_secs(1));
            for entry in inner.map.values_mut() {
                expire(entry, timeout, cutoff, doomed);
            }
            inner.map.retain(|_, e| e.open > 0 || !e.idle.is_empty() || !e.waiters.is_empty());
        }
        cutoff
    }

    fn acquire(
        &'static self,
        key: &Route,
        max_conns: u32,
        serves: &dyn Fn(&Connection) -> bool,
        waiter: Option<Token>,
    ) -> Lease {
        // 0 is not a valid setting; treat it, like 0xFFFFFFFF, as no limit rather than a deadlock.
        let max = match max_conns {
            0 | u32::MAX => usize::MAX,
            n => n as usize,
        };
        let mut doomed = Vec::new();
        let mut inner = self.lock();
        let now = Instant::now();
        let cutoff = self.sweep(&mut inner, now, &mut doomed);
        let entry = inner.map.entry(key.clone()).or_default();
        expire(entry, self.idle_timeout, cutoff, &mut doomed);
        let mut lease = None;
        // The limit counts connections in use: idle ones beyond it (left by an earlier burst, or
        // by a session without the limit) wait in the pool rather than serve more at once.
        let in_use = entry.open - entry.idle.len().min(entry.open);
        while in_use < max
            && let Some(mut idle) = entry.idle.pop()
        {
            let why = if !serves(&idle.conn) {
                "its TLS verification or protocol does not serve this request"
            } else if !idle.conn.stream.is_alive() {
                "the server closed it"
            } else {
                trace!(
                    log::POOL,
                    "reused {} to {key} (idle {} ms)",
                    idle.conn.stream.local,
                    now.saturating_duration_since(idle.since).as_millis()
                );
                lease = Some(Lease::Reused(idle.conn, idle.permit));
                break;
            };
            trace!(log::POOL, "closed {} to {key} ({why})", idle.conn.stream.local);
            // Dead, or verified with waivers this request does not give: closed, slot freed.
            disarm(&mut idle, &mut entry.open, &mut entry.guids);
            doomed.push(idle);
        }
        let lease = match lease {
            Some(l) => l,
            None if entry.open < max && in_use < max => {
                entry.open += 1;
                trace!(log::POOL, "opening a connection to {key} ({} open, no idle one)", entry.open);
                Lease::Fresh(Permit { pool: self, key: Some(key.clone()), guid: None })
            }
            None => {
                trace!(log::POOL, "waiting: {key} is at its limit ({max} connections in use)");
                if let Some(t) = waiter
                    && !entry.waiters.contains(&t)
                {
                    entry.waiters.push(t);
                }
                Lease::Full
            }
        };
        drop(inner);
        drop(doomed);
        lease
    }

    fn checkin(&'static self, key: Route, mut conn: Box<Connection>, mut permit: Permit) {
        // A cancel aimed at the previous request must not reach the next one.
        reactor().clear_cancel(conn.stream.token);
        conn.reused = true;
        let mut doomed = Vec::new();
        let mut inner = self.lock();
        if permit.key.as_ref() != Some(&key) {
            // Counted under another route (should not happen): move its slot here.
            if let Some(old) = permit.key.take()
                && let Some(entry) = inner.map.get_mut(&old)
            {
                entry.open = entry.open.saturating_sub(1);
                forget(&mut entry.guids, permit.guid);
            }
            let entry = inner.map.entry(key.clone()).or_default();
            entry.open += 1;
            entry.guids.extend(permit.guid);
            permit.key = Some(key.clone());
        }
        let now = Instant::now();
        let cutoff = self.sweep(&mut inner, now, &mut doomed);
        trace!(log::POOL, "pooled {} to {key}", conn.stream.local);
        let entry = inner.map.entry(key).or_default();
        expire(entry, self.idle_timeout, cutoff, &mut doomed);
        entry.idle.push(Idle { conn, permit, since: now });
        wake_all(&mut entry.waiters);
        drop(inner);
        drop(doomed);
    }

    fn idle_count(&self, key: &Route) -> usize {
        self.lock().map.get(key).map_or(0, |e| e.idle.len())
    }

    fn idle_total(&self) -> usize {
        self.lock().map.values().map(|e| e.idle.len()).sum()
    }

    /// Closes every idle connection (slots freed under the lock, sockets closed after it).
    fn close_idle(&self) {
        let mut doomed = Vec::new();
        let mut inner = self.lock();
        for entry in inner.map.values_mut() {
            for mut idle in entry.idle.drain(..) {
                trace!(log::POOL, "closed {} (idle connections closed on request)", idle.conn.stream.local);
                disarm(&mut idle, &mut entry.open, &mut entry.guids);
                doomed.push(idle);
            }
            wake_all(&mut entry.waiters);
        }
        inner.map.retain(|_, e| e.open > 0 || !e.idle.is_empty());
        drop(inner);
        drop(doomed);
    }

    /// Open connections (in use or idle) to an origin over every route, and the GUIDs of those
    /// whose permits are attached.
    fn connections(&self, secure: bool, host: &str, port: u16) -> (usize, Vec<[u8; 16]>) {
        let inner = self.lock();
        let mut open = 0;
        let mut guids = Vec::new();
        for (route, entry) in &inner.map {
            if route.secure == secure && route.port == port && route.host.eq_ignore_ascii_case(host) {
                open += entry.open;
                guids.extend(entry.guids.iter().copied());
            }
        }
        (open, guids)
    }

    /// What `f` says of the idle connection `guid`, if it is idle here.
    fn with_idle<T>(&self, guid: [u8; 16], f: impl FnOnce(&Connection) -> T) -> Option<T> {
        let inner = self.lock();
        inner.map.values().flat_map(|e| e.idle.iter()).find(|i| i.conn.guid == guid).map(|i| f(&i.conn))
    }

    #[cfg(test)]
    fn open_count(&self, key: &Route) -> usize {
        self.lock().map.get(key).map_or(0, |e| e.open)
    }
}

/// Takes an idle, live connection for `key` that `serves` accepts (others are closed), or a
/// permit to open one. When `max_conns` connections are open already, answers `Full` and
/// signals `waiter` (if given) when a slot may have freed. `max_conns` 0 and 0xFFFFFFFF mean no
/// limit. The most recently used idle connection is tried first.
pub fn acquire(key: &Route, max_conns: u32, serves: &dyn Fn(&Connection) -> bool, waiter: Option<Token>) -> Lease {
    global().acquire(key, max_conns, serves, waiter)
}

/// Returns a connection whose exchange is complete and that may be reused.
pub fn checkin(key: Route, conn: Box<Connection>, permit: Permit) {
    global().checkin(key, conn, permit)
}

/// Number of idle connections for `key` (for tests and diagnostics).
pub fn idle_count(key: &Route) -> usize {
    global().idle_count(key)
}

/// Number of idle connections in the whole pool (diagnostics), HTTP/2 connections without a
/// stream included.
pub fn idle_total() -> usize {
    global().idle_total() + h2_idle()
}

/// Closes every idle connection now (`WINHTTP_OPTION_PORTABLE_CLOSE_IDLE_CONNECTIONS`).
pub fn close_idle() {
    global().close_idle();
    close_idle_h2();
}

// HTTP/2: one shared connection per route.
//
// A request that may speak HTTP/2 asks [`h2_lookup`] first: a live HTTP/2 connection for its
// route (every session of the process shares it), or the right to open one (an [`H2Ticket`]: one
// request connects while the others wait on their signal token, so a burst of requests makes one
// connection), or word that the server chose HTTP/1.1 there lately (then the request goes the
// HTTP/1.1 way, through the idle pool above).

/// How long a route whose server refused `h2` in ALPN is spoken to in HTTP/1.1 without asking.
const H1_MEMORY: Duration = Duration::from_secs(300);

/// What [`h2_lookup`] gives.
pub enum H2Lease {
    /// A live HTTP/2 connection for the route.
    Ready(Arc<H2Conn>),
    /// Another request is connecting: the waiter's token is signalled when it knows.
    Wait,
    /// Open a connection offering `h2`, and say what came of it through the ticket.
    Connect(H2Ticket),
    /// The server spoke HTTP/1.1 here lately.
    H1,
}

#[derive(Default)]
struct H2Entry {
    conn: Option<Arc<H2Conn>>,
    /// More connections to the route, opened for requests with `WINHTTP_OPTION_DISABLE_STREAM_QUEUE`
    /// when every other one was at the server's `SETTINGS_MAX_CONCURRENT_STREAMS`.
    extra: Vec<Arc<H2Conn>>,
    connecting: bool,
    waiters: Vec<Token>,
    h1_since: Option<Instant>,
}

fn h2_routes() -> MutexGuard<'static, HashMap<Route, H2Entry>> {
    static ROUTES: OnceLock<Mutex<HashMap<Route, H2Entry>>> = OnceLock::new();
    ROUTES.get_or_init(Default::default).lock().unwrap_or_else(|p| p.into_inner())
}

/// The HTTP/2 connection for `key`, or what to do instead (see [`H2Lease`]).
pub fn h2_lookup(key: &Route, waiter: Token) -> H2Lease {
    let mut routes = h2_routes();
    let entry = routes.entry(key.clone()).or_default();
    if let Some(c) = entry.conn.as_ref() {
        if c.is_open() {
            return H2Lease::Ready(c.clone());
        }
        trace!(log::POOL, "HTTP/2 connection {} to {key} is closing: a new one", c.local);
        entry.conn = None;
    }
    if entry.h1_since.is_some_and(|t| t.elapsed() < H1_MEMORY) {
        return H2Lease::H1;
    }
    if entry.connecting {
        if !entry.waiters.contains(&waiter) {
            entry.waiters.push(waiter);
        }
        return H2Lease::Wait;
    }
    entry.connecting = true;
    entry.h1_since = None;
    H2Lease::Connect(H2Ticket(Some(key.clone()), false))
}

/// [`h2_lookup`] for a request with `WINHTTP_OPTION_DISABLE_STREAM_QUEUE`: a connection of the
/// route where a new stream would not be queued behind the server's
/// `SETTINGS_MAX_CONCURRENT_STREAMS`, else the right to open one more (or a wait for the one
/// being opened).
pub fn h2_lookup_room(key: &Route, waiter: Token) -> H2Lease {
    let mut routes = h2_routes();
    let entry = routes.entry(key.clone()).or_default();
    entry.extra.retain(|c| c.is_open());
    let Some(primary) = entry.conn.as_ref().filter(|c| c.is_open()).cloned() else {
        drop(routes);
        return h2_lookup(key, waiter);
    };
    if let Some(c) = std::iter::once(&primary).chain(entry.extra.iter()).find(|c| c.has_room()) {
        return H2Lease::Ready(c.clone());
    }
    if entry.connecting {
        if !entry.waiters.contains(&waiter) {
            entry.waiters.push(waiter);
        }
        return H2Lease::Wait;
    }
    entry.connecting = true;
    trace!(log::POOL, "{key}: every HTTP/2 connection is at its stream limit: one more (stream queue disabled)");
    H2Lease::Connect(H2Ticket(Some(key.clone()), true))
}

/// The right to open the route's HTTP/2 connection (`.1`: one more besides it, see
/// [`h2_lookup_room`]); dropped unused, the next request tries.
pub struct H2Ticket(Option<Route>, bool);

impl H2Ticket {
    /// The connection came up: `Some` with HTTP/2, `None` when the server chose HTTP/1.1.
    pub fn publish(mut self, conn: Option<Arc<H2Conn>>) {
        let Some(key) = self.0.take() else { return };
        let mut routes = h2_routes();
        let entry = routes.entry(key).or_default();
        entry.connecting = false;
        match conn {
            Some(c) if self.1 => entry.extra.push(c),
            Some(c) => entry.conn = Some(c),
            None => entry.h1_since = Some(Instant::now()),
        }
        wake_all(&mut entry.waiters);
    }
}

impl Drop for H2Ticket {
    fn drop(&mut self) {
        if let Some(key) = self.0.take() {
            let mut routes = h2_routes();
            if let Some(entry) = routes.get_mut(&key) {
                entry.connecting = false;
                wake_all(&mut entry.waiters);
            }
        }
    }
}

/// Shares an HTTP/2 connection made without a ticket (a tunnel whose CONNECT was answered on a
/// proxy's 407 connection, for the same request's next leg) when the route has no live one and no
/// request is opening one; else it stays the request's own (its other streams are none).
pub fn h2_offer(key: &Route, conn: &Arc<H2Conn>) {
    let mut routes = h2_routes();
    let entry = routes.entry(key.clone()).or_default();
    if entry.connecting || entry.conn.as_ref().is_some_and(|c| c.is_open()) {
        return;
    }
    entry.conn = Some(conn.clone());
    entry.h1_since = None;
    wake_all(&mut entry.waiters);
}

/// The server asked for HTTP/1.1 (`HTTP_1_1_REQUIRED`): the route is spoken to in HTTP/1.1 from now
/// on (for [`H1_MEMORY`]); streams still on its HTTP/2 connection finish there.
pub fn h2_downgrade(key: &Route) {
    let doomed = {
        let mut routes = h2_routes();
        let entry = routes.entry(key.clone()).or_default();
        entry.h1_since = Some(Instant::now());
        let mut all = std::mem::take(&mut entry.extra);
        all.extend(entry.conn.take());
        all
    };
    trace!(log::POOL, "{key}: the server requires HTTP/1.1");
    drop(doomed);
}

/// Drops the shared HTTP/2 connections nobody uses (with the idle ones: closing them).
pub fn close_idle_h2() {
    let doomed: Vec<Arc<H2Conn>> = {
        let mut routes = h2_routes();
        let mut out = Vec::new();
        for e in routes.values_mut() {
            if e.conn.as_ref().is_some_and(|c| Arc::strong_count(c) == 1) {
                out.extend(e.conn.take());
            }
            let (idle, busy) = std::mem::take(&mut e.extra).into_iter().partition(|c| Arc::strong_count(c) == 1);
            e.extra = busy;
            out.extend::<Vec<_>>(idle);
        }
        out
    };
    drop(doomed);
}

/// Number of shared HTTP/2 connections that no request holds (diagnostics: they are idle).
fn h2_idle() -> usize {
    h2_routes().values().flat_map(|e| e.conn.iter().chain(e.extra.iter())).filter(|c| Arc::strong_count(c) == 1).count()
}

/// What `f` says of the idle connection whose GUID is `guid` (`None` when it is not idle in the
/// pool: in use by a request, or closed). Called under the pool's lock: `f` must be short.
pub fn with_idle<T>(guid: [u8; 16], f: impl FnOnce(&Connection) -> T) -> Option<T> {
    global().with_idle(guid, f)
}

/// Open connections to the origin (`secure`, `host`, `port`) over any route (direct, proxy or
/// tunnel), in use or idle, and the GUIDs of those made so far (`WinHttpQueryConnectionGroup`).
pub fn connections(secure: bool, host: &str, port: u16) -> (usize, Vec<[u8; 16]>) {
    global().connections(secure, host, port)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::cancel::Cancel;
    use crate::engine::plan::Via;
    use crate::engine::reactor::{self, Wake, Want};
    use crate::engine::transport::tcp::Stream;
    use std::net::TcpListener;

    fn test_pool(idle: Duration) -> &'static Pool {
        Box::leak(Box::new(Pool::new(idle)))
    }

    fn key(port: u16) -> Route {
        Route { secure: false, host: "127.0.0.1".into(), port, via: Via::Direct }
    }

    fn connect(port: u16) -> Box<Connection> {
        let addr = format!("127.0.0.1:{port}").parse().unwrap();
        Connection::new(Stream::connect(&[addr], Some(Duration::from_secs(2)), &Cancel::default()).unwrap(), false)
    }

    const ANY: &dyn Fn(&Connection) -> bool = &|_| true;

    /// Acquires from `pool`, connecting under the permit when there is no idle connection.
    fn lease(pool: &'static Pool, k: &Route, max: u32) -> (Box<Connection>, Permit, bool) {
        match pool.acquire(k, max, ANY, None) {
            Lease::Reused(c, p) => (c, p, true),
            Lease::Fresh(p) => (connect(k.port), p, false),
            Lease::Full => panic!("full"),
        }
    }

    fn listener() -> (TcpListener, Route) {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let k = key(l.local_addr().unwrap().port());
        (l, k)
    }

    #[test]
    fn connections_count_open_ones_and_know_their_guids() {
        let pool = test_pool(IDLE_TIMEOUT);
        let (l, k) = listener();
        let (a, mut pa, _) = lease(pool, &k, 0xFFFF_FFFF);
        let (b, mut pb, _) = lease(pool, &k, 0xFFFF_FFFF);
        let _sa = l.accept().unwrap();
        let _sb = l.accept().unwrap();
        pa.attach(a.guid);
        pb.attach(b.guid);
        pb.attach(b.guid); // once only
        let (open, guids) = pool.connections(false, "127.0.0.1", k.port);
        assert_eq!(open, 2);
        assert_eq!(guids.len(), 2);
        assert!(guids.contains(&a.guid) && guids.contains(&b.guid));
        // Another origin counts nothing; the host is compared without case.
        assert_eq!(pool.connections(true, "127.0.0.1", k.port).0, 0);
        assert_eq!(pool.connections(false, "127.0.0.1", k.port.wrapping_add(1)).0, 0);
        // Idle connections still count; a closed one does not.
        let mut a = a;
        a.writing = crate::engine::conn::Writing::Done;
        a.reading = crate::engine::conn::Reading::Done;
        a.keep_alive = true;
        pool.checkin(k.clone(), a, pa);
        drop((b, pb));
        let (open, guids) = pool.connections(false, "127.0.0.1", k.port);
        assert_eq!(open, 1);
        assert_eq!(guids.len(), 1);
        pool.close_idle();
        assert_eq!(pool.connections(false, "127.0.0.1", k.port), (0, vec![]));
    }

    #[test]
    fn reuses_the_most_recent_idle_connection() {
        let pool = test_pool(IDLE_TIMEOUT);
        let (l, k) = listener();
        let (a, pa, reused_a) = lease(pool, &k, 0xFFFF_FFFF);
        let (b, pb, reused_b) = lease(pool, &k, 0xFFFF_FFFF);
        assert!(!reused_a && !reused_b);
        let _sa = l.accept().unwrap();
        let _sb = l.accept().unwrap();
        assert_eq!(pool.open_count(&k), 2);
        let (ta, tb) = (a.stream.token, b.stream.token);
        pool.checkin(k.clone(), a, pa);
        pool.checkin(k.clone(), b, pb);
        assert_eq!(pool.idle_count(&k), 2);
        let (c, pc, reused) = lease(pool, &k, 0xFFFF_FFFF);
        assert!(reused && c.reused);
        assert_eq!(c.stream.token, tb);
        let (d, pd, reused) = lease(pool, &k, 0xFFFF_FFFF);
        assert!(reused);
        assert_eq!(d.stream.token, ta);
        assert_eq!(pool.idle_count(&k), 0);
        drop((c, pc, d, pd));
        assert_eq!(pool.open_count(&k), 0);
        // Other routes are other pools: a tunnel or a proxy route never gets a direct connection.
        let (e, pe, _) = lease(pool, &k, 1);
        pool.checkin(k.clone(), e, pe);
        let mut other = k.clone();
        other.secure = true;
        assert_eq!(pool.idle_count(&other), 0);
        let via = Via::Tunnel(crate::engine::plan::Endpoint { host: "127.0.0.1".into(), port: k.port });
        let tunnel = Route { via, ..k.clone() };
        assert!(matches!(pool.acquire(&tunnel, 1, ANY, None), Lease::Fresh(_)));
        assert_eq!(pool.idle_count(&k), 1);
    }

    #[test]
    fn dead_or_unsuitable_idle_connections_are_dropped_and_free_their_slot() {
        let pool = test_pool(IDLE_TIMEOUT);
        let (l, k) = listener();
        let (a, pa, _) = lease(pool, &k, 1);
        let (server, _) = l.accept().unwrap();
        pool.checkin(k.clone(), a, pa);
        drop(server);
        std::thread::sleep(Duration::from_millis(20));
        // max_conns 1 and the only connection is dead: a fresh permit at once, not a wait.
        assert!(matches!(pool.acquire(&k, 1, ANY, None), Lease::Fresh(_)));
        assert_eq!(pool.idle_count(&k), 0);
        assert_eq!(pool.open_count(&k), 0);
        let (a, pa, _) = lease(pool, &k, 1);
        let _s = l.accept().unwrap();
        pool.checkin(k.clone(), a, pa);
        assert!(matches!(pool.acquire(&k, 1, &|_| false, None), Lease::Fresh(_)));
        assert_eq!(pool.idle_count(&k), 0);
    }

    #[test]
    fn a_full_route_signals_its_waiters_on_checkin_and_release() {
        let pool = test_pool(IDLE_TIMEOUT);
        let (l, k) = listener();
        let (a, pa, _) = lease(pool, &k, 1);
        let _sa = l.accept().unwrap();
        let token = reactor().signal_token();
        assert!(matches!(pool.acquire(&k, 1, ANY, Some(token)), Lease::Full));
        let soon = || Some(Instant::now() + Duration::from_millis(50));
        assert_eq!(reactor::wait(token, Want::Read, soon()), Wake::TimedOut);
        let t = a.stream.token;
        pool.checkin(k.clone(), a, pa);
        assert_eq!(reactor::wait(token, Want::Read, soon()), Wake::Ready);
        let (a, pa) = match pool.acquire(&k, 1, ANY, Some(token)) {
            Lease::Reused(c, p) => (c, p),
            _ => panic!("expected the checked-in connection"),
        };
        assert_eq!(a.stream.token, t);
        assert!(matches!(pool.acquire(&k, 1, ANY, Some(token)), Lease::Full));
        drop(a);
        assert_eq!(reactor::wait(token, Want::Read, soon()), Wake::TimedOut, "the permit still holds the slot");
        drop(pa);
        assert_eq!(reactor::wait(token, Want::Read, soon()), Wake::Ready);
        assert!(matches!(pool.acquire(&k, 1, ANY, Some(token)), Lease::Fresh(_)));
        assert_eq!(pool.open_count(&k), 0);
        reactor().release(token);
    }

    #[test]
    fn idle_connections_expire() {
        let pool = test_pool(Duration::from_millis(100));
        let (l, k) = listener();
        let (a, pa, _) = lease(pool, &k, 1);
        let (mut server, _) = l.accept().unwrap();
        pool.checkin(k.clone(), a, pa);
        assert_eq!(pool.idle_count(&k), 1);
        std::thread::sleep(Duration::from_millis(150));
        let (b, pb, reused) = lease(pool, &k, 1);
        assert!(!reused, "an expired connection was reused");
        assert_eq!(pool.idle_count(&k), 0);
        assert_eq!(pool.open_count(&k), 1);
        drop((b, pb));
        // The expired connection was closed: its server end sees EOF.
        server.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
        let mut buf = [0u8; 1];
        assert_eq!(std::io::Read::read(&mut server, &mut buf).unwrap(), 0);
    }

    #[test]
    fn a_stale_cancel_does_not_follow_a_connection_into_the_pool() {
        let (l, _) = listener();
        let port = l.local_addr().unwrap().port();
        let k = Route { secure: false, host: "global-pool-test".into(), port, via: Via::Direct };
        let (conn, permit) = match acquire(&k, 2, ANY, None) {
            Lease::Fresh(p) => (connect(port), p),
            _ => panic!(),
        };
        let _server = l.accept().unwrap().0;
        reactor().cancel(conn.stream.token);
        checkin(k.clone(), conn, permit);
        assert_eq!(idle_count(&k), 1);
        let (mut conn, _permit) = match acquire(&k, 2, ANY, None) {
            Lease::Reused(c, p) => (c, p),
            _ => panic!("not reused"),
        };
        assert_eq!(idle_count(&k), 0);
        conn.stream.register().unwrap();
        let deadline = Some(Instant::now() + Duration::from_millis(50));
        assert_eq!(reactor::wait(conn.stream.token, Want::Read, deadline), Wake::TimedOut);
    }
}
