//! Cancellation of a waiting operation, and the WinHTTP timeout conventions.
//!
//! A sync call waiting on its own socket records it in [`Cancel`] under a lock and checks the flag;
//! [`Cancel::cancel`] sets the flag, then shuts the recorded socket down under the same lock, which
//! wakes the poll. Waits on the reactor ([`wait_ready`], and every asynchronous wait) use the token
//! protocol: a waiter stores its token in `Cancel::waiting_on`, *then* checks `Cancel::cancelled`;
//! `Cancel::cancel` sets `cancelled`, *then* reads `waiting_on`, both `SeqCst`, so one sees the other.

use super::reactor::{self, Token, Wake, Want, reactor};
use crate::abi::{DWORD, ERROR_WINHTTP_OPERATION_CANCELLED, ERROR_WINHTTP_TIMEOUT};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// `Cancel::waiting_on` when the call is not waiting on the reactor.
pub(crate) const NOT_WAITING: usize = usize::MAX;

/// Shared between an operation and `WinHttpCloseHandle`: set when the handle is closed, so a
/// waiting call returns `ERROR_WINHTTP_OPERATION_CANCELLED` promptly.
pub struct Cancel {
    pub cancelled: AtomicBool,
    /// The token a call is currently waiting on in the reactor (`usize::MAX` when none).
    pub waiting_on: std::sync::atomic::AtomicUsize,
    /// The socket a sync call is currently polling on its own thread. `cancel` shuts it down under
    /// this lock, so the poll wakes; the waiter clears it under the lock before the socket can be
    /// closed, so a shutdown never reaches a socket that is not the waiter's.
    polling: std::sync::Mutex<Option<std::os::fd::RawFd>>,
}

impl Default for Cancel {
    fn default() -> Self {
        Cancel {
            cancelled: AtomicBool::new(false),
            waiting_on: std::sync::atomic::AtomicUsize::new(NOT_WAITING),
            polling: std::sync::Mutex::new(None),
        }
    }
}

impl Cancel {
    /// Marks the operation cancelled and wakes it wherever it waits.
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::SeqCst);
        let token = self.waiting_on.load(Ordering::SeqCst);
        if token != NOT_WAITING {
            reactor().cancel(Token(token));
        }
        let polling = self.polling.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(fd) = *polling {
            // SAFETY: `fd` is the open socket of the waiter, which cannot close it while we hold
            // the lock. Shutting it down wakes its poll; the request is being closed anyway.
            unsafe { libc::shutdown(fd, libc::SHUT_RDWR) };
        }
    }

    /// Records the socket a sync call is about to poll; fails if the call is already cancelled.
    pub(crate) fn begin_poll(&self, fd: std::os::fd::RawFd) -> Result<(), DWORD> {
        let mut polling = self.polling.lock().unwrap_or_else(|p| p.into_inner());
        if self.is_cancelled() {
            return Err(ERROR_WINHTTP_OPERATION_CANCELLED);
        }
        *polling = Some(fd);
        Ok(())
    }

    pub(crate) fn end_poll(&self) {
        *self.polling.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::SeqCst)
    }
}

/// Converts a WinHTTP timeout in ms (0 and 0xFFFFFFFF mean infinite) to a duration.
pub fn timeout(ms: DWORD) -> Option<Duration> {
    match ms {
        0 | 0xFFFF_FFFF => None,
        ms => Some(Duration::from_millis(u64::from(ms))),
    }
}

/// `now + timeout`, or `None` (no deadline) for no timeout or one too far away to represent.
pub fn deadline(timeout: Option<Duration>) -> Option<Instant> {
    timeout.and_then(|t| Instant::now().checked_add(t))
}

/// Waits on the reactor until `token` is ready for `want` (readiness is a hint: retry the
/// syscall), honouring `deadline` (`ERROR_WINHTTP_TIMEOUT`) and `cancel`
/// (`ERROR_WINHTTP_OPERATION_CANCELLED`). Sync calls wait this way for what is not a socket of
/// their own (a name lookup, a free connection slot: signal tokens).
pub fn wait_ready(token: Token, want: Want, deadline: Option<Instant>, cancel: &Cancel) -> Result<(), DWORD> {
    loop {
        cancel.waiting_on.store(token.0, Ordering::SeqCst);
        if cancel.is_cancelled() {
            cancel.waiting_on.store(NOT_WAITING, Ordering::SeqCst);
            return Err(ERROR_WINHTTP_OPERATION_CANCELLED);
        }
        let woke = reactor::wait(token, want, deadline);
        cancel.waiting_on.store(NOT_WAITING, Ordering::SeqCst);
        match woke {
            Wake::Ready => return Ok(()),
            Wake::TimedOut => return Err(ERROR_WINHTTP_TIMEOUT),
            Wake::Cancelled if cancel.is_cancelled() => return Err(ERROR_WINHTTP_OPERATION_CANCELLED),
            // A cancel left over from an earlier owner of the socket (it found nobody parked and
            // was consumed by this park): not ours, wait again.
            Wake::Cancelled => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_convert() {
        assert_eq!(timeout(0), None);
        assert_eq!(timeout(0xFFFF_FFFF), None);
        assert_eq!(timeout(1500), Some(Duration::from_millis(1500)));
    }
}
