//! Proxy resolver handles (`WinHttpCreateProxyResolver`): the state of one asynchronous proxy
//! resolution (`WinHttpGetProxyForUrlEx`) and its result, kept until `WinHttpGetProxyResult` reads
//! it. The resolution itself (download, script) is `crate::pac`'s; this is only the handle's state.

use super::handle::{HandleCore, lock};
use super::session::Session;
use crate::abi::*;
use crate::proto::pac_helpers::PacEntry;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// What a resolver handle holds.
pub struct Resolver {
    pub core: Arc<HandleCore>,
    pub session: Arc<Session>,
    state: Mutex<State>,
    /// Set by `WinHttpCloseHandle`: a resolution in flight stops at its next check.
    cancel: Arc<AtomicBool>,
}

#[derive(Default)]
struct State {
    /// A `WinHttpGetProxyForUrlEx` is in flight.
    busy: bool,
    /// The last finished resolution.
    result: Option<Result<Vec<PacEntry>, DWORD>>,
    /// The handle was closed while a resolution was in flight: its end sends `HANDLE_CLOSING`.
    closed: bool,
}

impl Resolver {
    pub fn new(session: Arc<Session>) -> Result<Self, DWORD> {
        let core = Arc::new(HandleCore::inherit(&session.core)?);
        Ok(Resolver { core, session, state: Mutex::new(State::default()), cancel: Arc::new(AtomicBool::new(false)) })
    }

    /// The flag a resolution polls to stop early.
    pub fn cancel_flag(&self) -> Arc<AtomicBool> {
        self.cancel.clone()
    }

    /// Starts a resolution: `INCORRECT_HANDLE_STATE` while another is in flight.
    pub fn begin(&self) -> Result<(), DWORD> {
        let mut s = lock(&self.state);
        if s.busy || s.closed {
            return Err(ERROR_WINHTTP_INCORRECT_HANDLE_STATE);
        }
        s.busy = true;
        s.result = None;
        Ok(())
    }

    /// Ends a resolution with its result. Returns false when the handle was closed meanwhile (the
    /// caller then reports the cancel and `HANDLE_CLOSING` follows through [`Resolver::finish_close`]).
    pub fn end(&self, result: Result<Vec<PacEntry>, DWORD>) -> bool {
        let mut s = lock(&self.state);
        s.busy = false;
        if s.closed {
            return false;
        }
        s.result = Some(result);
        true
    }

    /// The finished result, or `INCORRECT_HANDLE_STATE` when there is none (yet).
    pub fn result(&self) -> Result<Result<Vec<PacEntry>, DWORD>, DWORD> {
        let s = lock(&self.state);
        if s.busy {
            return Err(ERROR_WINHTTP_INCORRECT_HANDLE_STATE);
        }
        s.result.clone().ok_or(ERROR_WINHTTP_INCORRECT_HANDLE_STATE)
    }

    /// `WinHttpCloseHandle`: cancels a resolution in flight; `HANDLE_CLOSING` goes out now when
    /// none is, else when it ends.
    pub fn close(&self) {
        self.cancel.store(true, Ordering::Release);
        let busy = {
            let mut s = lock(&self.state);
            s.closed = true;
            s.busy
        };
        if !busy {
            self.core.notify_closing();
        }
    }

    /// Called by a resolution that ended after the handle was closed.
    pub fn finish_close(&self) {
        self.core.notify_closing();
    }
}
