//! The reactor: one thread owning a `mio::Poll`, the only place that waits for socket readiness.
//!
//! An operation that would block parks here with a wake-up function. The reactor calls it (on
//! the reactor thread) when the socket becomes ready, the deadline passes, or the operation is
//! cancelled. A wake-up function must be quick and must never run user code: it unparks a waiting
//! thread (sync calls) or hands work to the completion pool (async calls). The reactor never blocks
//! on anything but `poll`.
//!
//! How it works:
//! - Tokens come from a counter that never repeats (a `usize` does not wrap in practice), so an
//!   event still queued for a socket that was deregistered cannot be mistaken for a newer socket's:
//!   events for tokens no longer in the table are ignored.
//! - A socket is in the poll set only while somebody waits on it (*armed on demand*): `park` adds
//!   it (edge-triggered, for the directions that have a waiter), and an event that leaves it with
//!   no waiter takes it out again. A socket nobody waits on never wakes the reactor thread: an
//!   HTTP/2 download read by its own thread, or an async connection between two operations, made
//!   the reactor wake (a context switch, on a busy CPU) for every segment the server wrote. Adding
//!   a socket reports the readiness it already has, so data that arrived between the caller's
//!   `WouldBlock` and its `park` is never lost. Every event also sets a "ready since last
//!   consumed" bit per direction in the token's slot; `park` consumes the bit for its direction
//!   and wakes at once when it was set (at worst the caller retries once for nothing).
//! - Cancellation: `cancel` on a token with no parked waiter leaves a pending-cancel flag that the
//!   next `park` on that token consumes (it wakes at once with `Cancelled`). This closes the race
//!   where `WinHttpCloseHandle` runs on another thread just before a sync call parks. A pending
//!   cancel can outlive the operation it was meant for (the canceller read the token just before
//!   the waiter stopped waiting); [`Reactor::clear_cancel`] drops it, and the pool calls it when a
//!   connection is checked in, so a stale cancel never reaches the next request on that socket.
//! - Deadlines live in an ordered set; the reactor sleeps until the nearest one. `park` wakes the
//!   reactor thread through the `mio::Waker` only when its deadline is earlier than the one the
//!   reactor is sleeping towards.
//! - Wake-up functions run with no lock held, inside `catch_unwind`, so a bug in one cannot stop
//!   the reactor thread.

use std::collections::{BTreeSet, HashMap};
use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

/// Why a parked operation was woken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wake {
    /// The socket may be ready for the interest it parked with (readiness is a hint: retry the
    /// syscall, and park again on `WouldBlock`).
    Ready,
    /// The deadline passed first.
    TimedOut,
    /// `cancel` was called for the token.
    Cancelled,
}

/// What a parked operation waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Want {
    Read,
    Write,
}

/// A registered socket's key in the reactor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Token(pub usize);

/// Hashes a token (a counter) with one multiplication: SipHash cost more than the lookup it
/// served on every socket wait and pool check-in.
#[derive(Default)]
pub struct TokenHasher(u64);

impl std::hash::Hasher for TokenHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }
    fn write_usize(&mut self, n: usize) {
        self.0 = (self.0 ^ n as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

type WakeFn = Box<dyn FnOnce(Wake) + Send>;

/// The token of the reactor's own `mio::Waker`; socket tokens start at 1.
const WAKER: mio::Token = mio::Token(0);

struct Waiter {
    deadline: Option<Instant>,
    /// Who parked it, for [`Reactor::withdraw`] (0: anonymous).
    id: usize,
    wake: WakeFn,
}

#[derive(Default)]
struct Slot {
    /// Readable (or closed/error) since the last `park(Read)` consumed it.
    ready_read: bool,
    /// Writable (or closed/error) since the last `park(Write)` consumed it.
    ready_write: bool,
    /// `cancel` arrived with nobody parked: the next `park` wakes with `Cancelled`.
    pending_cancel: bool,
    /// One waiter per direction (`Want::Read`, `Want::Write`): a WebSocket's receive and send, or
    /// a connection task and a stream, wait on one token at the same time.
    waiters: [Option<Waiter>; 2],
    /// The socket of a registered token (`None` for a signal token).
    fd: Option<RawFd>,
    /// The directions the socket is in the poll set for (bit 0 read, bit 1 write; 0: not in it).
    armed: u8,
}

fn dir(want: Want) -> usize {
    match want {
        Want::Read => 0,
        Want::Write => 1,
    }
}

fn want_of(dir: usize) -> Want {
    if dir == 0 { Want::Read } else { Want::Write }
}

impl Slot {
    /// The directions that have a waiter (bit 0 read, bit 1 write).
    fn wanted(&self) -> u8 {
        u8::from(self.waiters[0].is_some()) | (u8::from(self.waiters[1].is_some()) << 1)
    }

    fn take_ready(&mut self, want: Want) -> bool {
        let bit = match want {
            Want::Read => &mut self.ready_read,
            Want::Write => &mut self.ready_write,
        };
        std::mem::replace(bit, false)
    }
}

/// What the reactor thread is doing, as seen by `park`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Sleep {
    /// Processing events: it will look at the deadlines before it polls again.
    Awake,
    /// In (or about to enter) `poll`, until this instant (`None`: no timeout).
    Until(Option<Instant>),
}

struct State {
    slots: HashMap<usize, Slot, std::hash::BuildHasherDefault<TokenHasher>>,
    /// (deadline, token, direction) of every parked waiter that has a deadline.
    deadlines: BTreeSet<(Instant, usize, usize)>,
    sleep: Sleep,
}

impl State {
    /// Removes and returns the waiter of `token` for direction `d`, keeping `deadlines` in step.
    fn take_waiter(&mut self, token: usize, d: usize) -> Option<Waiter> {
        let waiter = self.slots.get_mut(&token)?.waiters[d].take()?;
        if let Some(at) = waiter.deadline {
            self.deadlines.remove(&(at, token, d));
        }
        Some(waiter)
    }

    /// Removes both waiters of `token`.
    fn take_waiters(&mut self, token: usize) -> Vec<Waiter> {
        (0..2).filter_map(|d| self.take_waiter(token, d)).collect()
    }
}

/// Puts a socket's slot in the poll set for exactly the directions that have a waiter (adding,
/// changing or removing it), under the state lock. Fails only when the poll set refuses the
/// socket (it was closed under us): the caller wakes the waiter, whose syscall tells.
fn arm(registry: &mio::Registry, token: usize, slot: &mut Slot) -> io::Result<()> {
    let Some(fd) = slot.fd else { return Ok(()) };
    let want = slot.wanted();
    if want == slot.armed {
        return Ok(());
    }
    let mut source = mio::unix::SourceFd(&fd);
    let interest = match want {
        1 => Some(mio::Interest::READABLE),
        2 => Some(mio::Interest::WRITABLE),
        3 => Some(mio::Interest::READABLE | mio::Interest::WRITABLE),
        _ => None,
    };
    let r = match (slot.armed, interest) {
        (0, Some(i)) => registry.register(&mut source, mio::Token(token), i),
        (_, Some(i)) => registry.reregister(&mut source, mio::Token(token), i),
        (_, None) => {
            // Out of the poll set: what the bits say is stale by the next park, which asks the
            // socket itself again.
            slot.ready_read = false;
            slot.ready_write = false;
            registry.deregister(&mut source)
        }
    };
    slot.armed = if r.is_ok() { want } else { 0 };
    r
}

/// The process-wide reactor (started on first use).
pub struct Reactor {
    registry: mio::Registry,
    waker: mio::Waker,
    next_token: AtomicUsize,
    state: Mutex<State>,
}

static REACTOR: OnceLock<Reactor> = OnceLock::new();

/// The reactor, started on first use.
pub fn reactor() -> &'static Reactor {
    REACTOR.get_or_init(|| {
        let poll = mio::Poll::new().expect("winhttp: cannot create the reactor's poll instance");
        let registry = poll.registry().try_clone().expect("winhttp: cannot clone the reactor's registry");
        let waker = mio::Waker::new(poll.registry(), WAKER).expect("winhttp: cannot create the reactor's waker");
        std::thread::Builder::new()
            .name("winhttp-reactor".into())
            .spawn(move || run(poll))
            .expect("winhttp: cannot start the reactor thread");
        Reactor {
            registry,
            waker,
            next_token: AtomicUsize::new(1),
            state: Mutex::new(State { slots: HashMap::default(), deadlines: BTreeSet::new(), sleep: Sleep::Awake }),
        }
    })
}

/// Locks, ignoring poisoning: every critical section leaves the state consistent.
fn lock(m: &Mutex<State>) -> MutexGuard<'_, State> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Runs a wake-up function, keeping a panic in it from unwinding into the caller.
fn fire(wake: WakeFn, why: Wake) {
    let _ = catch_unwind(AssertUnwindSafe(move || wake(why)));
}

/// The reactor thread.
fn run(mut poll: mio::Poll) {
    let reactor = reactor();
    let mut events = mio::Events::with_capacity(1024);
    let mut due: Vec<(WakeFn, Wake)> = Vec::new();
    loop {
        let timeout = {
            let mut st = lock(&reactor.state);
            let next = st.deadlines.first().map(|&(d, _, _)| d);
            st.sleep = Sleep::Until(next);
            next.map(|d| d.saturating_duration_since(Instant::now()))
        };
        if let Err(e) = poll.poll(&mut events, timeout) {
            if e.kind() != io::ErrorKind::Interrupted {
                // Nothing sensible to do but not spin.
                std::thread::sleep(Duration::from_millis(1));
            }
        }
        {
            let mut st = lock(&reactor.state);
            st.sleep = Sleep::Awake;
            for ev in events.iter() {
                let token = ev.token();
                if token == WAKER {
                    continue;
                }
                let Some(slot) = st.slots.get_mut(&token.0) else {
                    continue; // deregistered since
                };
                let broken = ev.is_error();
                if ev.is_readable() || ev.is_read_closed() || broken {
                    slot.ready_read = true;
                }
                if ev.is_writable() || ev.is_write_closed() || broken {
                    slot.ready_write = true;
                }
                for d in 0..2 {
                    let slot = st.slots.get_mut(&token.0).expect("slot present");
                    if slot.waiters[d].is_some() && slot.take_ready(want_of(d)) {
                        let waiter = st.take_waiter(token.0, d).expect("waiter present");
                        due.push((waiter.wake, Wake::Ready));
                    }
                }
                // Only the directions still waited for stay in the poll set.
                let slot = st.slots.get_mut(&token.0).expect("slot present");
                let _ = arm(&reactor.registry, token.0, slot);
            }
            let now = Instant::now();
            while let Some(&(at, token, d)) = st.deadlines.first() {
                if at > now {
                    break;
                }
                let waiter = st.take_waiter(token, d);
                st.deadlines.remove(&(at, token, d));
                if let Some(waiter) = waiter {
                    due.push((waiter.wake, Wake::TimedOut));
                }
            }
        }
        for (wake, why) in due.drain(..) {
            fire(wake, why);
        }
    }
}

impl Reactor {
    /// Registers a socket (readable and writable interest, edge-triggered) and returns its token.
    pub fn register(&self, source: &mut mio::net::TcpStream) -> io::Result<Token> {
        let token = self.reserve();
        self.register_as(source, token)?;
        Ok(token)
    }

    /// A token for a socket that is not registered yet (see [`Reactor::register_as`]). Sync
    /// connections never register: the reactor would wake on every segment they receive.
    pub fn reserve(&self) -> Token {
        Token(self.next_token.fetch_add(1, Ordering::Relaxed))
    }

    /// Registers a socket under a token from [`Reactor::reserve`]. It enters the poll set when
    /// somebody parks on it (see the module's notes).
    pub fn register_as(&self, source: &mut mio::net::TcpStream, token: Token) -> io::Result<()> {
        let slot = Slot { fd: Some(source.as_raw_fd()), ..Slot::default() };
        lock(&self.state).slots.insert(token.0, slot);
        Ok(())
    }

    /// Deregisters a socket (before it is closed); parked waiters for it are woken with `Cancelled`.
    pub fn deregister(&self, _source: &mut mio::net::TcpStream, token: Token) {
        self.release(token);
    }

    /// A token for a wait that is not a socket (a name lookup, a slot in the pool, later an
    /// HTTP/2 stream or a WebSocket lane): [`Reactor::signal`] makes it ready for `Want::Read`.
    /// Give it back with [`Reactor::release`].
    pub fn signal_token(&self) -> Token {
        let token = self.reserve();
        lock(&self.state).slots.insert(token.0, Slot::default());
        token
    }

    /// Marks a signal token ready and wakes its `Want::Read` waiter (now, or at its next park).
    pub fn signal(&self, token: Token) {
        let waiter = {
            let mut st = lock(&self.state);
            let Some(slot) = st.slots.get_mut(&token.0) else { return };
            slot.ready_read = true;
            if slot.waiters[0].is_some() {
                slot.ready_read = false;
                st.take_waiter(token.0, 0)
            } else {
                None
            }
        };
        if let Some(w) = waiter {
            fire(w.wake, Wake::Ready);
        }
    }

    /// Consumes a signal that came with nobody parked on the token (for a thread that waits by
    /// other means and looks now and then).
    pub fn take_signal(&self, token: Token) -> bool {
        lock(&self.state).slots.get_mut(&token.0).is_some_and(|slot| slot.take_ready(Want::Read))
    }

    /// Wakes the `Want::Read` waiter of a signal token if one is parked now, and says whether it
    /// did (nothing is remembered otherwise): for handing work to a thread that is waiting.
    pub fn signal_waiter(&self, token: Token) -> bool {
        let waiter = {
            let mut st = lock(&self.state);
            match st.slots.get(&token.0) {
                Some(slot) if slot.waiters[0].is_some() => st.take_waiter(token.0, 0),
                _ => None,
            }
        };
        match waiter {
            Some(w) => {
                fire(w.wake, Wake::Ready);
                true
            }
            None => false,
        }
    }

    /// Forgets a token (a deregistered socket's, taken out of the poll set, or a signal's); its
    /// waiters wake with `Cancelled`.
    pub fn release(&self, token: Token) {
        let waiters = {
            let mut st = lock(&self.state);
            let w = st.take_waiters(token.0);
            if let Some(mut slot) = st.slots.remove(&token.0) {
                let _ = arm(&self.registry, token.0, &mut slot);
            }
            w
        };
        for w in waiters {
            fire(w.wake, Wake::Cancelled);
        }
    }

    /// Parks a waiter: `wake` runs exactly once, on the reactor thread (or on the calling thread
    /// when `cancel` races with it), when `token` becomes ready for `want`, at `deadline`, or on
    /// `cancel`. Readiness that arrived before `park` is not lost. At most one waiter per token
    /// and direction: a reader and a writer can wait on one socket at the same time.
    ///
    /// `wake` also runs at once on the calling thread when the readiness was already there
    /// (`Ready`), a cancel is pending (`Cancelled`), the deadline has already passed (`TimedOut`),
    /// or the token is not registered (`Cancelled`). Parking a second waiter for the same
    /// direction replaces the first, which is woken with `Cancelled`.
    pub fn park(&self, token: Token, want: Want, deadline: Option<Instant>, wake: WakeFn) {
        self.park_as(token, want, deadline, 0, wake);
    }

    /// [`Reactor::park`] with an identity for [`Reactor::withdraw`].
    fn park_as(&self, token: Token, want: Want, deadline: Option<Instant>, id: usize, wake: WakeFn) {
        let mut st = lock(&self.state);
        let Some(slot) = st.slots.get_mut(&token.0) else {
            drop(st);
            return fire(wake, Wake::Cancelled);
        };
        if std::mem::take(&mut slot.pending_cancel) {
            drop(st);
            return fire(wake, Wake::Cancelled);
        }
        if slot.take_ready(want) {
            drop(st);
            return fire(wake, Wake::Ready);
        }
        if deadline.is_some_and(|d| d <= Instant::now()) {
            drop(st);
            return fire(wake, Wake::TimedOut);
        }
        let d = dir(want);
        let replaced = st.take_waiter(token.0, d);
        let slot = st.slots.get_mut(&token.0).expect("slot present");
        slot.waiters[d] = Some(Waiter { deadline, id, wake });
        if arm(&self.registry, token.0, slot).is_err() {
            let waiter = st.take_waiter(token.0, d).expect("waiter present");
            drop(st);
            if let Some(w) = replaced {
                fire(w.wake, Wake::Cancelled);
            }
            return fire(waiter.wake, Wake::Ready);
        }
        let mut kick = false;
        if let Some(at) = deadline {
            st.deadlines.insert((at, token.0, d));
            if let Sleep::Until(current) = st.sleep
                && current.is_none_or(|c| at < c)
            {
                // The reactor sleeps past our deadline: wake it up, and note that its next
                // sleep is at most until ours so that other parks do not wake it again.
                st.sleep = Sleep::Until(Some(at));
                kick = true;
            }
        }
        drop(st);
        if let Some(w) = replaced {
            fire(w.wake, Wake::Cancelled);
        }
        if kick {
            let _ = self.waker.wake();
        }
    }

    /// Takes back the waiter `id` parked on `token` for `want` without running it; false when it
    /// is not there (it ran, or is running).
    fn withdraw(&self, token: Token, want: Want, id: usize) -> bool {
        let mut st = lock(&self.state);
        let d = dir(want);
        match st.slots.get(&token.0) {
            Some(slot) if slot.waiters[d].as_ref().is_some_and(|w| w.id == id) => {
                drop(st.take_waiter(token.0, d));
                true
            }
            _ => false,
        }
    }

    /// Wakes the waiters parked on `token` (both directions), if any, with `Wake::Cancelled`.
    ///
    /// When nobody is parked, the cancel is remembered and consumed by the next `park` on the
    /// token (which then wakes at once with `Cancelled`): see [`Reactor::clear_cancel`].
    pub fn cancel(&self, token: Token) {
        let waiters = {
            let mut st = lock(&self.state);
            let w = st.take_waiters(token.0);
            if w.is_empty()
                && let Some(slot) = st.slots.get_mut(&token.0)
            {
                slot.pending_cancel = true;
            }
            w
        };
        for w in waiters {
            fire(w.wake, Wake::Cancelled);
        }
    }

    /// Forgets a cancel that found nobody parked on `token` (for a socket that changes owner,
    /// e.g. when it goes back to the keep-alive pool).
    pub fn clear_cancel(&self, token: Token) {
        if let Some(slot) = lock(&self.state).slots.get_mut(&token.0) {
            slot.pending_cancel = false;
        }
    }

    /// Number of registered sockets (for tests and diagnostics).
    pub fn registered(&self) -> usize {
        lock(&self.state).slots.len()
    }
}

/// The slot a sync waiter's wake-up writes into: 0 while waiting, then `1 + Wake as u8`.
struct Signal {
    state: AtomicU8,
    thread: std::thread::Thread,
}

fn encode(w: Wake) -> u8 {
    match w {
        Wake::Ready => 1,
        Wake::TimedOut => 2,
        Wake::Cancelled => 3,
    }
}

fn decode(v: u8) -> Option<Wake> {
    match v {
        1 => Some(Wake::Ready),
        2 => Some(Wake::TimedOut),
        3 => Some(Wake::Cancelled),
        _ => None,
    }
}

/// Blocks the calling thread until `token` is ready for `want`, `deadline` passes, or the wait is
/// cancelled (`reactor().cancel(token)`). The synchronous calls' way of waiting.
///
/// The deadline is the waiting thread's own (`park_timeout`, then the waiter is withdrawn): the
/// reactor does not track it. A deadline parked while the reactor slept without one woke the
/// reactor thread just to shorten its sleep, on every wait of an HTTP/2 download (its receive
/// timeout): a context switch per wait.
pub fn wait(token: Token, want: Want, deadline: Option<Instant>) -> Wake {
    let signal = Arc::new(Signal { state: AtomicU8::new(0), thread: std::thread::current() });
    let theirs = Arc::clone(&signal);
    let id = Arc::as_ptr(&signal) as usize;
    reactor().park_as(
        token,
        want,
        None,
        id,
        Box::new(move |w| {
            theirs.state.store(encode(w), Ordering::Release);
            theirs.thread.unpark();
        }),
    );
    let mut withdrawn = false;
    loop {
        if let Some(w) = decode(signal.state.load(Ordering::Acquire)) {
            return w;
        }
        // Spurious returns from `park` are fine: the loop checks the slot again.
        match deadline {
            Some(d) if !withdrawn => {
                let now = Instant::now();
                if now < d {
                    std::thread::park_timeout(d - now);
                } else if reactor().withdraw(token, want, id) {
                    return Wake::TimedOut;
                } else {
                    // Its wake-up is running: the slot is written in a moment.
                    withdrawn = true;
                }
            }
            _ => std::thread::park(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::net::TcpListener;
    use std::sync::mpsc;

    /// A registered client socket and the accepted server end.
    fn pair() -> (mio::net::TcpStream, Token, std::net::TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let std_client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        std_client.set_nonblocking(true).unwrap();
        let (server, _) = listener.accept().unwrap();
        let mut client = mio::net::TcpStream::from_std(std_client);
        let token = reactor().register(&mut client).unwrap();
        (client, token, server)
    }

    #[test]
    fn readiness_before_park_is_not_lost() {
        let (mut client, token, mut server) = pair();
        server.write_all(b"x").unwrap();
        // Let the reactor see the edge before anybody parks.
        std::thread::sleep(Duration::from_millis(50));
        let start = Instant::now();
        let w = wait(token, Want::Read, Some(Instant::now() + Duration::from_secs(2)));
        assert_eq!(w, Wake::Ready);
        assert!(start.elapsed() < Duration::from_millis(500));
        reactor().deregister(&mut client, token);
    }

    #[test]
    fn signal_waiter_wakes_only_a_parked_waiter() {
        let token = reactor().signal_token();
        // Nobody parked: not woken, and nothing remembered (a later park still waits).
        assert!(!reactor().signal_waiter(token));
        assert_eq!(wait(token, Want::Read, Some(Instant::now() + Duration::from_millis(50))), Wake::TimedOut);
        let (tx, rx) = mpsc::channel();
        reactor().park(token, Want::Read, None, Box::new(move |w| tx.send(w).unwrap()));
        assert!(reactor().signal_waiter(token));
        assert_eq!(rx.recv_timeout(Duration::from_secs(2)).unwrap(), Wake::Ready);
        reactor().release(token);
    }

    #[test]
    fn data_arriving_while_parked_wakes() {
        let (mut client, token, mut server) = pair();
        // Consume the initial readiness bits.
        let _ = wait(token, Want::Write, None);
        let _ = wait(token, Want::Read, Some(Instant::now())); // TimedOut or a stale Ready
        let t = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            server.write_all(b"x").unwrap();
            server
        });
        let start = Instant::now();
        let w = wait(token, Want::Read, Some(Instant::now() + Duration::from_secs(2)));
        assert_eq!(w, Wake::Ready);
        assert!(start.elapsed() < Duration::from_millis(1000));
        let _server = t.join().unwrap();
        reactor().deregister(&mut client, token);
    }

    #[test]
    fn deadline_times_out() {
        let (mut client, token, _server) = pair();
        let start = Instant::now();
        let w = wait(token, Want::Read, Some(Instant::now() + Duration::from_millis(100)));
        assert_eq!(w, Wake::TimedOut);
        let took = start.elapsed();
        assert!(took >= Duration::from_millis(100) && took < Duration::from_millis(600), "{took:?}");
        reactor().deregister(&mut client, token);
    }

    #[test]
    fn earlier_deadline_shortens_the_reactor_sleep() {
        let (mut c1, t1, _s1) = pair();
        let (mut c2, t2, _s2) = pair();
        let (tx, rx) = mpsc::channel();
        // A long deadline first, so the reactor sleeps long; then a short one must still fire on time.
        reactor().park(t1, Want::Read, Some(Instant::now() + Duration::from_secs(3)), Box::new(|_| {}));
        std::thread::sleep(Duration::from_millis(20));
        let start = Instant::now();
        reactor().park(
            t2,
            Want::Read,
            Some(Instant::now() + Duration::from_millis(50)),
            Box::new(move |w| tx.send(w).unwrap()),
        );
        assert_eq!(rx.recv_timeout(Duration::from_secs(2)).unwrap(), Wake::TimedOut);
        assert!(start.elapsed() < Duration::from_millis(500));
        reactor().deregister(&mut c1, t1);
        reactor().deregister(&mut c2, t2);
    }

    #[test]
    fn cancel_wakes_a_parked_waiter_and_a_pending_cancel_wakes_the_next_park() {
        let (mut client, token, _server) = pair();
        let _ = wait(token, Want::Read, Some(Instant::now())); // consume any initial bit
        let t = std::thread::spawn(move || {
            let start = Instant::now();
            let w = wait(token, Want::Read, None);
            (w, start.elapsed())
        });
        std::thread::sleep(Duration::from_millis(50));
        reactor().cancel(token);
        let (w, took) = t.join().unwrap();
        assert_eq!(w, Wake::Cancelled);
        assert!(took < Duration::from_millis(500));

        // Cancel with nobody parked: the next park wakes at once, the one after waits again.
        reactor().cancel(token);
        assert_eq!(wait(token, Want::Read, None), Wake::Cancelled);
        assert_eq!(wait(token, Want::Read, Some(Instant::now() + Duration::from_millis(30))), Wake::TimedOut);

        // clear_cancel forgets a pending cancel.
        reactor().cancel(token);
        reactor().clear_cancel(token);
        assert_eq!(wait(token, Want::Read, Some(Instant::now() + Duration::from_millis(30))), Wake::TimedOut);
        reactor().deregister(&mut client, token);
    }

    #[test]
    fn deregister_wakes_with_cancelled_and_unknown_tokens_wake_at_once() {
        let (mut client, token, _server) = pair();
        let _ = wait(token, Want::Read, Some(Instant::now()));
        let (tx, rx) = mpsc::channel();
        reactor().park(token, Want::Read, None, Box::new(move |w| tx.send(w).unwrap()));
        reactor().deregister(&mut client, token);
        assert_eq!(rx.recv_timeout(Duration::from_secs(1)).unwrap(), Wake::Cancelled);
        assert_eq!(wait(token, Want::Read, None), Wake::Cancelled);
    }

    #[test]
    fn wake_runs_exactly_once_under_racing_cancel() {
        let (mut client, token, mut server) = pair();
        for _ in 0..200 {
            let _ = wait(token, Want::Read, Some(Instant::now()));
            let count = Arc::new(AtomicUsize::new(0));
            let c = Arc::clone(&count);
            let (tx, rx) = mpsc::channel();
            reactor().park(
                token,
                Want::Read,
                Some(Instant::now() + Duration::from_millis(5)),
                Box::new(move |_| {
                    c.fetch_add(1, Ordering::SeqCst);
                    let _ = tx.send(());
                }),
            );
            server.write_all(b"x").unwrap();
            reactor().cancel(token);
            rx.recv_timeout(Duration::from_secs(1)).unwrap();
            std::thread::sleep(Duration::from_millis(1));
            assert_eq!(count.load(Ordering::SeqCst), 1);
            reactor().clear_cancel(token);
        }
        reactor().deregister(&mut client, token);
    }

    #[test]
    fn a_reader_and_a_writer_wait_on_one_socket_together() {
        let (mut client, token, mut server) = pair();
        let _ = wait(token, Want::Read, Some(Instant::now()));
        let _ = wait(token, Want::Write, Some(Instant::now()));
        let (tx, rx) = mpsc::channel();
        let tx2 = tx.clone();
        reactor().park(token, Want::Read, None, Box::new(move |w| tx.send(("read", w)).unwrap()));
        reactor().park(
            token,
            Want::Write,
            Some(Instant::now() + Duration::from_millis(100)),
            Box::new(move |w| tx2.send(("write", w)).unwrap()),
        );
        // Neither evicted the other (the reader is not woken Cancelled by the writer's park): the
        // writer wakes (a late writable edge, or its deadline), the reader when data comes.
        let first = rx.recv_timeout(Duration::from_secs(2)).unwrap();
        assert!(first == ("write", Wake::TimedOut) || first == ("write", Wake::Ready), "{first:?}");
        server.write_all(b"x").unwrap();
        assert_eq!(rx.recv_timeout(Duration::from_secs(2)).unwrap(), ("read", Wake::Ready));
        // A cancel wakes both directions. (The "x" is read first: a park on a socket holding
        // unread data wakes at once, as it enters the poll set.)
        let mut x = [0u8; 1];
        assert_eq!(std::io::Read::read(&mut client, &mut x).unwrap(), 1);
        let (tx, rx) = mpsc::channel();
        let tx2 = tx.clone();
        let _ = wait(token, Want::Read, Some(Instant::now()));
        reactor().park(token, Want::Read, None, Box::new(move |w| tx.send(w).unwrap()));
        reactor().park(token, Want::Write, None, Box::new(move |w| tx2.send(w).unwrap()));
        reactor().cancel(token);
        let got: Vec<Wake> = (0..2).map(|_| rx.recv_timeout(Duration::from_secs(1)).unwrap()).collect();
        // The writer may have woken Ready first (the socket is writable) or Cancelled.
        assert!(got.contains(&Wake::Cancelled), "{got:?}");
        reactor().clear_cancel(token);
        reactor().deregister(&mut client, token);
    }

    #[test]
    fn signals_wake_waits_that_are_not_sockets() {
        let token = reactor().signal_token();
        // A signal before the wait is not lost.
        reactor().signal(token);
        assert_eq!(wait(token, Want::Read, Some(Instant::now() + Duration::from_secs(1))), Wake::Ready);
        // A signal from another thread wakes a parked waiter.
        let t = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(30));
            reactor().signal(token);
        });
        assert_eq!(wait(token, Want::Read, Some(Instant::now() + Duration::from_secs(2))), Wake::Ready);
        t.join().unwrap();
        // No signal: the deadline.
        assert_eq!(wait(token, Want::Read, Some(Instant::now() + Duration::from_millis(20))), Wake::TimedOut);
        // Released: waits end at once.
        reactor().release(token);
        assert_eq!(wait(token, Want::Read, None), Wake::Cancelled);
        reactor().signal(token); // a signal for a released token is ignored
    }
}
