//! Live-object counters for `WINHTTP_OPTION_PORTABLE_DIAGNOSTICS` (our extension): relaxed atomics,
//! bumped where objects are born and die, so a leak test can see what the library still holds.

use std::sync::atomic::{AtomicU32, Ordering};

pub static SESSIONS: AtomicU32 = AtomicU32::new(0);
pub static CONNECTS: AtomicU32 = AtomicU32::new(0);
pub static REQUESTS: AtomicU32 = AtomicU32::new(0);
/// Open socket descriptors (connecting, in use or idle in the pool).
pub static SOCKETS: AtomicU32 = AtomicU32::new(0);
/// Request operations begun and not ended (running, parked or delivering their completion).
pub static PENDING: AtomicU32 = AtomicU32::new(0);

pub fn up(counter: &AtomicU32) {
    counter.fetch_add(1, Ordering::Relaxed);
}

pub fn down(counter: &AtomicU32) {
    counter.fetch_sub(1, Ordering::Relaxed);
}

/// One live object of a kind, counted from creation to drop (a field of the object).
pub struct Live(&'static AtomicU32);

impl Live {
    pub fn new(counter: &'static AtomicU32) -> Live {
        up(counter);
        Live(counter)
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        down(self.0);
    }
}
