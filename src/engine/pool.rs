//! The process-wide keep-alive pool: idle connections keyed by (host, port, secure, proxy), with
//! an idle timeout, a liveness check before reuse and `WINHTTP_OPTION_MAX_CONNS_PER_SERVER`.
//! A request is not a connection: a request borrows one from here and gives it back when its
//! response has been read to the end and the connection may be reused.
//!
//! Accounting: each key counts its open connections (in use or idle) through `Permit`s. A permit
//! is handed out with `Lease::Fresh`, rides on the connection once attached, and gives its slot
//! back when dropped (a failed connect, a closed connection). Idle connections keep their slot.
//! Connections are never dropped while the pool's lock is held with their permit armed: a permit
//! takes the lock when it drops, so dead or expired connections are disarmed (their slot freed
//! under the lock) before they are closed.

use super::net::{Cancel, Conn};
use super::reactor::reactor;
use crate::abi::{DWORD, ERROR_WINHTTP_OPERATION_CANCELLED, ERROR_WINHTTP_TIMEOUT};
use std::collections::HashMap;
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

/// How long a connection may stay idle before it is closed.
const IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// How often a waiter for a slot looks at its cancel flag.
const CANCEL_POLL: Duration = Duration::from_millis(50);

/// What a pooled connection is for.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PoolKey {
    pub host: String,
    pub port: u16,
    pub secure: bool,
    /// The proxy the connection goes through, if any ("host:port").
    pub proxy: Option<String>,
}

/// The right to open one new connection for a key under `MAX_CONNS_PER_SERVER`. Attach it to the
/// connection once connected; the slot frees when that connection is dropped (or when the permit
/// is dropped unattached, e.g. after a failed connect).
pub struct Permit {
    pool: &'static Pool,
    /// `None` once disarmed (its slot already given back).
    key: Option<PoolKey>,
}

impl Permit {
    /// Makes `conn` carry this slot.
    pub fn attach(self, conn: &mut Conn) {
        // A slot the connection carried already (should not happen) is given back as it drops.
        conn.slot = Some(self);
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            self.pool.release(&key);
        }
    }
}

/// What `acquire` gives.
pub enum Lease {
    /// An idle connection that passed the liveness check.
    Reused(Conn),
    /// No idle connection: open a new one under this permit.
    Fresh(Permit),
}

struct Idle {
    conn: Conn,
    since: Instant,
}

#[derive(Default)]
struct Entry {
    /// Oldest first: the most recently used connection is at the end.
    idle: Vec<Idle>,
    /// Open connections (in use or idle) and unattached permits.
    open: usize,
}

struct Inner {
    map: HashMap<PoolKey, Entry>,
    last_sweep: Instant,
    /// Threads waiting on `Pool::freed` for a slot (a notification with none costs a syscall).
    waiters: usize,
}

struct Pool {
    idle_timeout: Duration,
    inner: Mutex<Inner>,
    /// Notified when a connection is checked in or a slot frees.
    freed: Condvar,
}

fn global() -> &'static Pool {
    static POOL: OnceLock<Pool> = OnceLock::new();
    POOL.get_or_init(|| Pool::new(IDLE_TIMEOUT))
}

/// Frees the slot `conn` occupies without taking the lock (the caller holds it): disarms its
/// permit and returns the key it counted under.
fn disarm(conn: &mut Conn) -> Option<PoolKey> {
    conn.slot.take().and_then(|mut p| p.key.take())
}

impl Pool {
    fn new(idle_timeout: Duration) -> Pool {
        Pool {
            idle_timeout,
            inner: Mutex::new(Inner { map: HashMap::new(), last_sweep: Instant::now(), waiters: 0 }),
            freed: Condvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn release(&self, key: &PoolKey) {
        let mut inner = self.lock();
        if let Some(entry) = inner.map.get_mut(key) {
            entry.open = entry.open.saturating_sub(1);
            if entry.open == 0 && entry.idle.is_empty() {
                inner.map.remove(key);
            }
        }
        let waiting = inner.waiters > 0;
        drop(inner);
        if waiting {
            self.freed.notify_all();
        }
    }

    /// Moves idle connections past the idle timeout into `doomed` (slots freed): those of `key`
    /// always, those of every key at most once a second.
    fn sweep(&self, inner: &mut Inner, key: &PoolKey, now: Instant, doomed: &mut Vec<Conn>) {
        let timeout = self.idle_timeout;
        let expire = |entry: &mut Entry, doomed: &mut Vec<Conn>| {
            let n = entry.idle.iter().take_while(|i| now.saturating_duration_since(i.since) >= timeout).count();
            for mut idle in entry.idle.drain(..n) {
                if disarm(&mut idle.conn).is_some() {
                    entry.open = entry.open.saturating_sub(1);
                }
                doomed.push(idle.conn);
            }
        };
        if now.saturating_duration_since(inner.last_sweep) >= timeout.min(Duration::from_secs(1)) {
            inner.last_sweep = now;
            for entry in inner.map.values_mut() {
                expire(entry, doomed);
            }
            inner.map.retain(|_, e| e.open > 0 || !e.idle.is_empty());
        } else if let Some(entry) = inner.map.get_mut(key) {
            expire(entry, doomed);
        }
    }

    fn acquire(
        &'static self,
        key: &PoolKey,
        max_conns: u32,
        timeout: Option<Duration>,
        cancel: &Cancel,
    ) -> Result<Lease, DWORD> {
        // 0 is not a valid setting; treat it, like 0xFFFFFFFF, as no limit rather than a deadlock.
        let max = match max_conns {
            0 | u32::MAX => usize::MAX,
            n => n as usize,
        };
        let deadline = super::net::deadline(timeout);
        let mut doomed = Vec::new();
        let mut inner = self.lock();
        let result = loop {
            if cancel.is_cancelled() {
                break Err(ERROR_WINHTTP_OPERATION_CANCELLED);
            }
            let now = Instant::now();
            self.sweep(&mut inner, key, now, &mut doomed);
            let entry = inner.map.entry(key.clone()).or_default();
            let mut reused = None;
            while let Some(mut idle) = entry.idle.pop() {
                if idle.conn.is_alive() {
                    reused = Some(idle.conn);
                    break;
                }
                if disarm(&mut idle.conn).is_some() {
                    entry.open = entry.open.saturating_sub(1);
                }
                doomed.push(idle.conn);
            }
            if let Some(conn) = reused {
                break Ok(Lease::Reused(conn));
            }
            if entry.open < max {
                entry.open += 1;
                break Ok(Lease::Fresh(Permit { pool: self, key: Some(key.clone()) }));
            }
            let slice = match deadline {
                Some(d) => {
                    let left = d.saturating_duration_since(now);
                    if left.is_zero() {
                        break Err(ERROR_WINHTTP_TIMEOUT);
                    }
                    left.min(CANCEL_POLL)
                }
                None => CANCEL_POLL,
            };
            if !doomed.is_empty() {
                // Close them without the lock, then look again.
                drop(inner);
                doomed.clear();
                inner = self.lock();
                continue;
            }
            inner.waiters += 1;
            inner = self.freed.wait_timeout(inner, slice).unwrap_or_else(|e| e.into_inner()).0;
            inner.waiters -= 1;
        };
        if result.is_err() && inner.map.get(key).is_some_and(|e| e.open == 0 && e.idle.is_empty()) {
            inner.map.remove(key);
        }
        drop(inner);
        drop(doomed);
        result
    }

    fn checkin(&'static self, key: PoolKey, mut conn: Conn) {
        // A cancel aimed at the previous request must not reach the next one.
        reactor().clear_cancel(conn.token);
        let mut doomed = Vec::new();
        let mut inner = self.lock();
        if conn.slot.as_ref().and_then(|p| p.key.as_ref()) != Some(&key) {
            // Not counted under this key (no permit, or another key's): move its slot here.
            if let Some(old) = disarm(&mut conn) {
                if let Some(entry) = inner.map.get_mut(&old) {
                    entry.open = entry.open.saturating_sub(1);
                }
            }
            inner.map.entry(key.clone()).or_default().open += 1;
            conn.slot = Some(Permit { pool: self, key: Some(key.clone()) });
        }
        let now = Instant::now();
        inner.map.entry(key.clone()).or_default().idle.push(Idle { conn, since: now });
        self.sweep(&mut inner, &key, now, &mut doomed);
        let waiting = inner.waiters > 0;
        drop(inner);
        if waiting {
            self.freed.notify_all();
        }
        drop(doomed);
    }

    fn idle_count(&self, key: &PoolKey) -> usize {
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
                if disarm(&mut idle.conn).is_some() {
                    entry.open = entry.open.saturating_sub(1);
                }
                doomed.push(idle.conn);
            }
        }
        inner.map.retain(|_, e| e.open > 0 || !e.idle.is_empty());
        drop(inner);
        self.freed.notify_all();
        drop(doomed);
    }

    #[cfg(test)]
    fn open_count(&self, key: &PoolKey) -> usize {
        self.lock().map.get(key).map_or(0, |e| e.open)
    }
}

/// Takes an idle, live connection for `key` (dead ones are dropped), or a permit to open one.
/// When `max_conns` connections for `key` are already open (in use), waits until one is returned
/// or dropped, up to `timeout` (then `ERROR_WINHTTP_TIMEOUT`) or cancellation.
///
/// The most recently used idle connection is tried first. A waiter notices cancellation within
/// 50 ms. `max_conns` 0 and 0xFFFFFFFF mean no limit.
pub fn acquire(
    key: &PoolKey,
    max_conns: u32,
    timeout: Option<std::time::Duration>,
    cancel: &super::net::Cancel,
) -> Result<Lease, crate::abi::DWORD> {
    global().acquire(key, max_conns, timeout, cancel)
}

/// Returns a connection whose last response was read to the end and that may be reused.
pub fn checkin(key: PoolKey, conn: Conn) {
    global().checkin(key, conn)
}

/// Number of idle connections for `key` (for tests and diagnostics).
pub fn idle_count(key: &PoolKey) -> usize {
    global().idle_count(key)
}

/// Number of idle connections in the whole pool (diagnostics).
pub fn idle_total() -> usize {
    global().idle_total()
}

/// Closes every idle connection now (`WINHTTP_OPTION_PORTABLE_CLOSE_IDLE_CONNECTIONS`).
pub fn close_idle() {
    global().close_idle()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::net::resolve;
    use crate::engine::reactor::{self, Wake, Want};
    use std::net::{TcpListener, TcpStream};
    use std::sync::Arc;

    fn test_pool(idle: Duration) -> &'static Pool {
        Box::leak(Box::new(Pool::new(idle)))
    }

    fn key(port: u16) -> PoolKey {
        PoolKey { host: "127.0.0.1".into(), port, secure: false, proxy: None }
    }

    fn connect(port: u16) -> Conn {
        let cancel = Cancel::default();
        let addrs = resolve("127.0.0.1", port, None, &cancel).unwrap();
        Conn::connect(&addrs, Some(Duration::from_secs(2)), &cancel).unwrap()
    }

    /// Acquires from `pool`, connecting under the permit when there is no idle connection.
    fn lease(pool: &'static Pool, k: &PoolKey, max: u32) -> (Conn, bool) {
        match pool.acquire(k, max, Some(Duration::from_secs(2)), &Cancel::default()).unwrap() {
            Lease::Reused(c) => (c, true),
            Lease::Fresh(p) => {
                let mut c = connect(k.port);
                p.attach(&mut c);
                (c, false)
            }
        }
    }

    fn listener() -> (TcpListener, PoolKey) {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let k = key(l.local_addr().unwrap().port());
        (l, k)
    }

    #[test]
    fn reuses_the_most_recent_idle_connection() {
        let pool = test_pool(IDLE_TIMEOUT);
        let (l, k) = listener();
        let (a, reused_a) = lease(pool, &k, 0xFFFF_FFFF);
        let (b, reused_b) = lease(pool, &k, 0xFFFF_FFFF);
        assert!(!reused_a && !reused_b);
        let _sa = l.accept().unwrap();
        let _sb = l.accept().unwrap();
        assert_eq!(pool.open_count(&k), 2);
        let (ta, tb) = (a.token, b.token);
        pool.checkin(k.clone(), a);
        pool.checkin(k.clone(), b);
        assert_eq!(pool.idle_count(&k), 2);
        let (c, reused) = lease(pool, &k, 0xFFFF_FFFF);
        assert!(reused);
        assert_eq!(c.token, tb);
        let (d, reused) = lease(pool, &k, 0xFFFF_FFFF);
        assert!(reused);
        assert_eq!(d.token, ta);
        assert_eq!(pool.idle_count(&k), 0);
        drop(c);
        drop(d);
        assert_eq!(pool.open_count(&k), 0);
        // Other keys are other pools.
        let mut other = k.clone();
        other.secure = true;
        let (e, _) = lease(pool, &k, 1);
        pool.checkin(k.clone(), e);
        assert_eq!(pool.idle_count(&other), 0);
    }

    #[test]
    fn dead_idle_connections_are_dropped_and_free_their_slot() {
        let pool = test_pool(IDLE_TIMEOUT);
        let (l, k) = listener();
        let (a, _) = lease(pool, &k, 1);
        let (server, _) = l.accept().unwrap();
        pool.checkin(k.clone(), a);
        drop(server);
        std::thread::sleep(Duration::from_millis(20));
        // max_conns 1 and the only connection is dead: a fresh permit at once, not a wait.
        let start = Instant::now();
        match pool.acquire(&k, 1, Some(Duration::from_secs(2)), &Cancel::default()).unwrap() {
            Lease::Fresh(p) => drop(p),
            Lease::Reused(_) => panic!("a dead connection was reused"),
        }
        assert!(start.elapsed() < Duration::from_millis(200));
        assert_eq!(pool.idle_count(&k), 0);
        assert_eq!(pool.open_count(&k), 0);
    }

    #[test]
    fn max_conns_waits_for_a_checkin_or_a_free_slot() {
        let pool = test_pool(IDLE_TIMEOUT);
        let (l, k) = listener();
        let (a, _) = lease(pool, &k, 1);
        let _sa = l.accept().unwrap();
        let token = a.token;

        // Full: a bounded wait times out.
        let start = Instant::now();
        let r = pool.acquire(&k, 1, Some(Duration::from_millis(100)), &Cancel::default());
        assert!(matches!(r, Err(ERROR_WINHTTP_TIMEOUT)));
        assert!(start.elapsed() >= Duration::from_millis(100) && start.elapsed() < Duration::from_millis(600));

        // A waiter gets the connection when it is checked in.
        let k2 = k.clone();
        let waiter = std::thread::spawn(move || {
            match pool.acquire(&k2, 1, Some(Duration::from_secs(3)), &Cancel::default()).unwrap() {
                Lease::Reused(c) => c,
                Lease::Fresh(_) => panic!("expected the checked-in connection"),
            }
        });
        std::thread::sleep(Duration::from_millis(50));
        pool.checkin(k.clone(), a);
        let a = waiter.join().unwrap();
        assert_eq!(a.token, token);

        // A waiter gets a permit when the connection is dropped.
        let k3 = k.clone();
        let waiter = std::thread::spawn(move || {
            let start = Instant::now();
            let r = pool.acquire(&k3, 1, Some(Duration::from_secs(3)), &Cancel::default());
            (matches!(r, Ok(Lease::Fresh(_))), start.elapsed())
        });
        std::thread::sleep(Duration::from_millis(50));
        drop(a);
        let (fresh, took) = waiter.join().unwrap();
        assert!(fresh);
        assert!(took < Duration::from_millis(500));
        assert_eq!(pool.open_count(&k), 0);

        // An unattached permit holds a slot until dropped.
        let p = match pool.acquire(&k, 1, None, &Cancel::default()).unwrap() {
            Lease::Fresh(p) => p,
            Lease::Reused(_) => panic!(),
        };
        assert!(matches!(
            pool.acquire(&k, 1, Some(Duration::from_millis(10)), &Cancel::default()),
            Err(ERROR_WINHTTP_TIMEOUT)
        ));
        drop(p);
        assert!(matches!(
            pool.acquire(&k, 1, Some(Duration::from_millis(10)), &Cancel::default()),
            Ok(Lease::Fresh(_))
        ));
    }

    #[test]
    fn a_waiter_is_cancelled_promptly() {
        let pool = test_pool(IDLE_TIMEOUT);
        let (_l, k) = listener();
        let _p = match pool.acquire(&k, 1, None, &Cancel::default()).unwrap() {
            Lease::Fresh(p) => p,
            Lease::Reused(_) => panic!(),
        };
        let cancel = Arc::new(Cancel::default());
        let c2 = Arc::clone(&cancel);
        let k2 = k.clone();
        let waiter = std::thread::spawn(move || {
            let r = pool.acquire(&k2, 1, None, &c2);
            (matches!(r, Err(ERROR_WINHTTP_OPERATION_CANCELLED)), Instant::now())
        });
        std::thread::sleep(Duration::from_millis(50));
        let at = Instant::now();
        cancel.cancel();
        let (cancelled, woke) = waiter.join().unwrap();
        assert!(cancelled);
        assert!(woke.duration_since(at) < Duration::from_millis(150));
    }

    #[test]
    fn idle_connections_expire() {
        let pool = test_pool(Duration::from_millis(100));
        let (l, k) = listener();
        let (a, _) = lease(pool, &k, 1);
        let (mut server, _) = l.accept().unwrap();
        pool.checkin(k.clone(), a);
        assert_eq!(pool.idle_count(&k), 1);
        std::thread::sleep(Duration::from_millis(150));
        let (b, reused) = lease(pool, &k, 1);
        assert!(!reused, "an expired connection was reused");
        assert_eq!(pool.idle_count(&k), 0);
        assert_eq!(pool.open_count(&k), 1);
        drop(b);
        // The expired connection was closed: its server end sees EOF.
        server.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
        let mut buf = [0u8; 1];
        assert_eq!(std::io::Read::read(&mut server, &mut buf).unwrap(), 0);
    }

    #[test]
    fn global_pool_round_trip() {
        let (l, _) = listener();
        let port = l.local_addr().unwrap().port();
        let k = PoolKey { host: "global-pool-test".into(), port, secure: false, proxy: None };
        let cancel = Cancel::default();
        let mut conn = match acquire(&k, 2, None, &cancel).unwrap() {
            Lease::Fresh(p) => {
                let mut c = connect(port);
                p.attach(&mut c);
                c
            }
            Lease::Reused(_) => panic!(),
        };
        let mut server: TcpStream = l.accept().unwrap().0;
        conn.write_all(b"x", None, &cancel).unwrap();
        let mut b = [0u8; 1];
        std::io::Read::read_exact(&mut server, &mut b).unwrap();
        // A cancel that found nobody parked does not follow the connection into the pool.
        reactor().cancel(conn.token);
        checkin(k.clone(), conn);
        assert_eq!(idle_count(&k), 1);
        let mut conn = match acquire(&k, 2, None, &cancel).unwrap() {
            Lease::Reused(c) => c,
            Lease::Fresh(_) => panic!("not reused"),
        };
        assert_eq!(idle_count(&k), 0);
        conn.register().unwrap();
        let deadline = Some(Instant::now() + Duration::from_millis(50));
        assert_eq!(reactor::wait(conn.token, Want::Read, deadline), Wake::TimedOut);
        drop(conn);
    }
}
