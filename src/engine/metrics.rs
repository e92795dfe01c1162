//! What a request measures about itself, for `WINHTTP_OPTION_REQUEST_TIMES`,
//! `WINHTTP_OPTION_REQUEST_STATS` and `WINHTTP_OPTION_CONNECTION_GUID`: timestamps of its phases,
//! byte counters, how its connection was made. The operations mark phases through
//! `Owner::mark`/`Owner::count` as they pass them.
//!
//! Cost: a clock read is not free (about 90 ns on this project's virtual machines, where even
//! `rdtsc` takes 35 ns), so the clock is read at most once per step of an operation: the drivers
//! call `Owner::step_begins` before each step, and the first mark of the step reads the clock for
//! every mark of that step. Phases passed without a wait in between (the head and the body of a
//! small request written in one go) share a timestamp; anything separated by I/O waiting gets its
//! own. A reused keep-alive GET reads the clock four or five times.
//!
//! Times are in 100-nanosecond units of the monotonic clock (`CLOCK_MONOTONIC`; on Windows they are
//! `QueryPerformanceCounter` values, whose frequency is 10 MHz on current systems: the same unit).
//! An entry the request never passed reads 0. A new `WinHttpSendRequest` starts a new record.
//! A leaf: imports nothing from the engine.

use crate::abi::*;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering::Relaxed};

/// Entries of `WINHTTP_REQUEST_TIMES` this library fills (`WinHttpRequestTimeLast`).
pub const TIMES: usize = WinHttpRequestTimeLast as usize;
/// Entries of `WINHTTP_REQUEST_STATS` this library fills (`WinHttpRequestStatLast`).
pub const STATS: usize = WinHttpRequestStatLast as usize;

/// The monotonic clock in 100-nanosecond units.
pub fn now() -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: a valid timespec to fill; CLOCK_MONOTONIC always exists.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    (ts.tv_sec as u64).wrapping_mul(10_000_000).wrapping_add(ts.tv_nsec as u64 / 100)
}

/// One request's record.
pub struct Metrics {
    times: [AtomicU64; TIMES],
    stats: [AtomicU64; STATS],
    /// `WINHTTP_REQUEST_STAT_FLAG_*`.
    flags: AtomicU64,
    /// Requests sent on the connection before this one.
    index: AtomicU32,
    /// The connection's GUID (`WINHTTP_OPTION_CONNECTION_GUID`), 0 before one is used.
    guid: [AtomicU64; 2],
    /// The clock as read by the first mark of the current step (0: not read yet in this step).
    step_time: AtomicU64,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            times: std::array::from_fn(|_| AtomicU64::new(0)),
            stats: std::array::from_fn(|_| AtomicU64::new(0)),
            flags: AtomicU64::new(0),
            index: AtomicU32::new(0),
            guid: [AtomicU64::new(0), AtomicU64::new(0)],
            step_time: AtomicU64::new(0),
        }
    }
}

/// A snapshot of a record, as the options give it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    pub times: [u64; TIMES],
    pub stats: [u64; STATS],
    pub flags: u64,
    pub index: u32,
}

impl Metrics {
    /// A new attempt begins (`WinHttpSendRequest`): everything back to 0.
    pub fn reset(&self) {
        for t in &self.times {
            t.store(0, Relaxed);
        }
        for s in &self.stats {
            s.store(0, Relaxed);
        }
        self.flags.store(0, Relaxed);
        self.index.store(0, Relaxed);
        self.step_time.store(0, Relaxed);
    }

    /// A step of an operation begins: the next mark reads the clock again.
    pub fn step_begins(&self) {
        self.step_time.store(0, Relaxed);
    }

    /// The request passed `entry` now (in this step).
    pub fn mark(&self, entry: WINHTTP_REQUEST_TIME_ENTRY) {
        if let Some(t) = self.times.get(entry as usize) {
            let mut at = self.step_time.load(Relaxed);
            if at == 0 {
                at = now();
                self.step_time.store(at, Relaxed);
            }
            t.store(at, Relaxed);
        }
    }

    /// Adds `n` to the counter `entry`.
    pub fn count(&self, entry: WINHTTP_REQUEST_STAT_ENTRY, n: u64) {
        if let Some(s) = self.stats.get(entry as usize) {
            s.fetch_add(n, Relaxed);
        }
    }

    /// The connection the request uses: its GUID, how many requests it carried before, whether
    /// its TLS session was resumed.
    pub fn connection(&self, guid: [u8; 16], index: u32, resumed: bool) {
        self.guid[0].store(u64::from_ne_bytes(guid[..8].try_into().expect("8 bytes")), Relaxed);
        self.guid[1].store(u64::from_ne_bytes(guid[8..].try_into().expect("8 bytes")), Relaxed);
        self.index.store(index, Relaxed);
        let mut flags = 0;
        if index == 0 {
            flags |= u64::from(WINHTTP_REQUEST_STAT_FLAG_FIRST_REQUEST);
        }
        if resumed {
            flags |= u64::from(WINHTTP_REQUEST_STAT_FLAG_TLS_SESSION_RESUMPTION);
        }
        self.flags.store(flags, Relaxed);
    }

    /// The GUID of the connection the request used last (all zero before one).
    pub fn guid(&self) -> [u8; 16] {
        let mut g = [0u8; 16];
        g[..8].copy_from_slice(&self.guid[0].load(Relaxed).to_ne_bytes());
        g[8..].copy_from_slice(&self.guid[1].load(Relaxed).to_ne_bytes());
        g
    }

    pub fn record(&self) -> Record {
        Record {
            times: std::array::from_fn(|i| self.times[i].load(Relaxed)),
            stats: std::array::from_fn(|i| self.stats[i].load(Relaxed)),
            flags: self.flags.load(Relaxed),
            index: self.index.load(Relaxed),
        }
    }
}

/// A new random connection GUID (version 4, RFC 4122 variant).
pub fn new_guid() -> [u8; 16] {
    use std::hash::{BuildHasher, Hasher};
    static SEQ: AtomicU64 = AtomicU64::new(1);
    // std's RandomState is seeded from the system's random source; two keyed hashes of a counter
    // and the clock give 16 unpredictable, distinct bytes without another dependency.
    let seq = SEQ.fetch_add(1, Relaxed);
    let half = |salt: u64| {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(seq);
        h.write_u64(now());
        h.write_u64(salt);
        h.finish()
    };
    let mut g = [0u8; 16];
    g[..8].copy_from_slice(&half(1).to_ne_bytes());
    g[8..].copy_from_slice(&half(2).to_ne_bytes());
    g[7] = (g[7] & 0x0f) | 0x40; // Data3's high nibble (little-endian GUID layout): version 4
    g[8] = (g[8] & 0x3f) | 0x80;
    g
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_counts_and_reset() {
        let m = Metrics::default();
        let before = now();
        m.mark(WinHttpSendRequestStart);
        m.count(WinHttpResponseBodySize, 5);
        m.count(WinHttpResponseBodySize, 7);
        m.connection([1; 16], 0, false);
        let r = m.record();
        assert!(r.times[WinHttpSendRequestStart as usize] >= before);
        assert_eq!(r.times[WinHttpReceiveResponseEnd as usize], 0);
        assert_eq!(r.stats[WinHttpResponseBodySize as usize], 12);
        assert_eq!(r.flags, u64::from(WINHTTP_REQUEST_STAT_FLAG_FIRST_REQUEST));
        assert_eq!(m.guid(), [1; 16]);
        m.reset();
        assert_eq!(m.record().stats[WinHttpResponseBodySize as usize], 0);
        // Out-of-range entries are ignored.
        m.mark(WinHttpRequestTimeMax);
        m.count(WinHttpRequestStatMax, 1);
    }

    #[test]
    fn one_clock_read_per_step() {
        let m = Metrics::default();
        m.step_begins();
        m.mark(WinHttpSendRequestStart);
        std::thread::sleep(std::time::Duration::from_millis(2));
        m.mark(WinHttpSendRequestEnd);
        let r = m.record();
        assert_eq!(r.times[WinHttpSendRequestStart as usize], r.times[WinHttpSendRequestEnd as usize]);
        m.step_begins();
        m.mark(WinHttpReceiveResponseStart);
        let r = m.record();
        assert!(r.times[WinHttpReceiveResponseStart as usize] >= r.times[WinHttpSendRequestEnd as usize] + 20_000);
    }

    #[test]
    fn guids_differ_and_carry_the_version() {
        let (a, b) = (new_guid(), new_guid());
        assert_ne!(a, b);
        assert_eq!(a[7] >> 4, 4);
        assert_eq!(a[8] >> 6, 2);
    }
}
