//! The process-wide keep-alive pool: idle connections keyed by (host, port, secure, proxy), with
//! an idle timeout, a liveness check before reuse and `WINHTTP_OPTION_MAX_CONNS_PER_SERVER`.
//! A request is not a connection: a request borrows one from here and gives it back when its
//! response has been read to the end and the connection may be reused.

use super::net::Conn;

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
    _private: (),
}

impl Permit {
    /// Makes `conn` carry this slot.
    pub fn attach(self, conn: &mut Conn) {
        let _ = conn;
        unimplemented!()
    }
}

/// What `acquire` gives.
pub enum Lease {
    /// An idle connection that passed the liveness check.
    Reused(Conn),
    /// No idle connection: open a new one under this permit.
    Fresh(Permit),
}

/// Takes an idle, live connection for `key` (dead ones are dropped), or a permit to open one.
/// When `max_conns` connections for `key` are already open (in use), waits until one is returned
/// or dropped, up to `timeout` (then `ERROR_WINHTTP_TIMEOUT`) or cancellation.
pub fn acquire(
    key: &PoolKey,
    max_conns: u32,
    timeout: Option<std::time::Duration>,
    cancel: &super::net::Cancel,
) -> Result<Lease, crate::abi::DWORD> {
    let _ = (key, max_conns, timeout, cancel);
    unimplemented!()
}

/// Returns a connection whose last response was read to the end and that may be reused.
pub fn checkin(key: PoolKey, conn: Conn) {
    let _ = (key, conn);
    unimplemented!()
}

/// Number of idle connections for `key` (for tests and diagnostics).
pub fn idle_count(key: &PoolKey) -> usize {
    let _ = key;
    unimplemented!()
}
