//! Name resolution off the stepping threads. `getaddrinfo` cannot be made non-blocking or
//! interrupted, so lookups run on a small pool of resolver threads of their own (started on
//! demand, at most [`MAX_THREADS`], shared by every request in the process). A lookup is a
//! [`Lookup`]: its result arrives in a slot and wakes the lookup's signal token on the reactor,
//! so a sync call waits for it like for any signal and an asynchronous one parks on it: never on
//! the caller's thread in the async mode, never on a completion thread, never on the reactor.
//!
//! Abandoning a lookup (a timeout, a closed handle) drops it: its token is released and the
//! result, when it comes, is thrown away. IP literals and "localhost" need no lookup.

use crate::abi::{DWORD, ERROR_WINHTTP_NAME_NOT_RESOLVED};
use crate::engine::reactor::{Token, reactor};
use crossbeam_channel::{Receiver, Sender, unbounded};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

/// Most resolver threads alive at once; lookups beyond them wait in the queue.
pub const MAX_THREADS: usize = 8;

type Answer = Result<Vec<SocketAddr>, DWORD>;

struct Job {
    name: String,
    port: u16,
    slot: Arc<Mutex<Option<Answer>>>,
    token: Token,
}

struct Resolvers {
    tx: Sender<Job>,
    rx: Receiver<Job>,
    /// Threads started, and threads waiting for a job.
    started: AtomicUsize,
    idle: AtomicUsize,
}

fn resolvers() -> &'static Resolvers {
    static R: OnceLock<Resolvers> = OnceLock::new();
    R.get_or_init(|| {
        let (tx, rx) = unbounded();
        Resolvers { tx, rx, started: AtomicUsize::new(0), idle: AtomicUsize::new(0) }
    })
}

fn lookup_now(name: &str, port: u16) -> Answer {
    match (name, port).to_socket_addrs() {
        Ok(it) => {
            let addrs: Vec<SocketAddr> = it.collect();
            if addrs.is_empty() { Err(ERROR_WINHTTP_NAME_NOT_RESOLVED) } else { Ok(addrs) }
        }
        Err(_) => Err(ERROR_WINHTTP_NAME_NOT_RESOLVED),
    }
}

fn worker(r: &'static Resolvers) {
    loop {
        r.idle.fetch_add(1, Ordering::SeqCst);
        let job = r.rx.recv();
        r.idle.fetch_sub(1, Ordering::SeqCst);
        let Ok(job) = job else { return };
        let answer = lookup_now(&job.name, job.port);
        *job.slot.lock().unwrap_or_else(|p| p.into_inner()) = Some(answer);
        // A released token (the lookup was abandoned) ignores the signal.
        reactor().signal(job.token);
    }
}

/// Addresses known without a lookup: IP literals (with or without brackets) and "localhost"
/// (`[::1]` then `127.0.0.1`). `None` when the name needs a lookup; an empty or NUL-holding name
/// is `ERROR_WINHTTP_NAME_NOT_RESOLVED`.
pub fn literal(host: &str, port: u16) -> Option<Answer> {
    let bare = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return Some(Ok(vec![SocketAddr::new(ip, port)]));
    }
    let name = bare.strip_suffix('.').unwrap_or(bare);
    if name.eq_ignore_ascii_case("localhost") {
        return Some(Ok(vec![
            SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), port),
            SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port),
        ]));
    }
    if bare.is_empty() || bare.contains('\0') {
        return Some(Err(ERROR_WINHTTP_NAME_NOT_RESOLVED));
    }
    None
}

/// A lookup in flight on the resolver threads.
pub struct Lookup {
    slot: Arc<Mutex<Option<Answer>>>,
    token: Token,
}

impl Lookup {
    /// Queues a lookup of `host` (starting a resolver thread when none is idle and fewer than
    /// [`MAX_THREADS`] exist).
    pub fn start(host: &str, port: u16) -> Lookup {
        let r = resolvers();
        let token = reactor().signal_token();
        let slot = Arc::new(Mutex::new(None));
        let name = host.strip_suffix('.').unwrap_or(host).to_string();
        let _ = r.tx.send(Job { name, port, slot: slot.clone(), token });
        if r.idle.load(Ordering::SeqCst) == 0 {
            let n = r.started.fetch_add(1, Ordering::SeqCst);
            let spawned = n < MAX_THREADS
                && std::thread::Builder::new().name("winhttp-resolve".into()).spawn(move || worker(r)).is_ok();
            if !spawned {
                r.started.fetch_sub(1, Ordering::SeqCst);
            }
        }
        Lookup { slot, token }
    }

    /// The signal token that wakes when the answer is there.
    pub fn token(&self) -> Token {
        self.token
    }

    /// The answer, once it is there.
    pub fn answer(&self) -> Option<Answer> {
        self.slot.lock().unwrap_or_else(|p| p.into_inner()).take()
    }
}

impl Drop for Lookup {
    fn drop(&mut self) {
        reactor().release(self.token);
    }
}

/// Resolves on the calling thread, waiting for the resolver threads (tests and tools).
pub fn resolve_blocking(host: &str, port: u16) -> Answer {
    if let Some(a) = literal(host, port) {
        return a;
    }
    let lookup = Lookup::start(host, port);
    loop {
        if let Some(a) = lookup.answer() {
            return a;
        }
        let _ = crate::engine::reactor::wait(lookup.token(), crate::engine::reactor::Want::Read, None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_and_localhost_need_no_lookup() {
        assert_eq!(literal("10.1.2.3", 80), Some(Ok(vec!["10.1.2.3:80".parse().unwrap()])));
        assert_eq!(literal("::1", 81), Some(Ok(vec!["[::1]:81".parse().unwrap()])));
        assert_eq!(literal("[fe80::2]", 82), Some(Ok(vec!["[fe80::2]:82".parse().unwrap()])));
        let lh = literal("LocalHost.", 83).unwrap().unwrap();
        assert_eq!(lh, vec!["[::1]:83".parse().unwrap(), "127.0.0.1:83".parse().unwrap()]);
        assert_eq!(literal("", 80), Some(Err(ERROR_WINHTTP_NAME_NOT_RESOLVED)));
        assert_eq!(literal("a\0b", 80), Some(Err(ERROR_WINHTTP_NAME_NOT_RESOLVED)));
        assert_eq!(literal("example.test", 80), None);
    }

    #[test]
    fn lookups_run_on_resolver_threads_and_signal_their_token() {
        let r = resolve_blocking("no-such-host.invalid", 80);
        assert_eq!(r, Err(ERROR_WINHTTP_NAME_NOT_RESOLVED));
        // Many at once: bounded threads, every lookup answered.
        let lookups: Vec<Lookup> = (0..20).map(|_| Lookup::start("no-such-host.invalid", 80)).collect();
        for l in &lookups {
            loop {
                if let Some(a) = l.answer() {
                    assert_eq!(a, Err(ERROR_WINHTTP_NAME_NOT_RESOLVED));
                    break;
                }
                let _ = crate::engine::reactor::wait(l.token(), crate::engine::reactor::Want::Read, None);
            }
        }
        assert!(resolvers().started.load(Ordering::SeqCst) <= MAX_THREADS);
        // An abandoned lookup: its answer is dropped, nothing breaks.
        drop(Lookup::start("another.invalid", 80));
    }
}
