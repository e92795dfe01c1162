//! What every handle object has: its handle value, its context value, its callback slot, and the
//! order of `HANDLE_CLOSING` (a child's before its parent's).

use crate::abi::*;
use crate::engine::callback::CallbackSlot;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

/// Locks a mutex, ignoring poisoning (a panic in one call must not wedge a handle forever).
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// What every handle object has: its own handle value, a context value, a callback slot, and
/// what `HANDLE_CLOSING` waits for.
#[derive(Default)]
pub struct HandleCore {
    handle: OnceLock<usize>,
    context: AtomicUsize,
    pub callback: CallbackSlot,
    /// The parent handle's core: a child keeps its parent alive, and a parent's `HANDLE_CLOSING`
    /// comes after its children's.
    parent: Option<Arc<HandleCore>>,
    /// Children not closed yet, and whether this handle was closed.
    closing: Mutex<(usize, bool)>,
    /// Set once `HANDLE_CLOSING` has been sent: nothing is delivered for the handle after it.
    closed: AtomicBool,
}

impl HandleCore {
    /// The core of a new child handle: it starts with its parent's context value and callback
    /// (as on Windows: a context set on the session reaches the callbacks of its requests until
    /// they set their own). Fails with `ERROR_INVALID_HANDLE` when the parent is being closed: a
    /// child never outlives its parent's `HANDLE_CLOSING`.
    pub fn inherit(parent: &Arc<HandleCore>) -> Result<Self, DWORD> {
        {
            let mut c = lock(&parent.closing);
            if c.1 {
                return Err(ERROR_INVALID_HANDLE);
            }
            c.0 += 1;
        }
        Ok(HandleCore {
            handle: OnceLock::new(),
            context: AtomicUsize::new(parent.context()),
            callback: CallbackSlot::new(parent.callback.get()),
            parent: Some(parent.clone()),
            closing: Mutex::new((0, false)),
            closed: AtomicBool::new(false),
        })
    }

    pub fn handle(&self) -> HINTERNET {
        self.handle.get().copied().unwrap_or(0) as HINTERNET
    }

    pub fn set_handle(&self, h: HINTERNET) {
        let _ = self.handle.set(h as usize);
    }

    pub fn context(&self) -> DWORD_PTR {
        self.context.load(Ordering::Acquire)
    }

    pub fn set_context(&self, v: DWORD_PTR) {
        self.context.store(v, Ordering::Release)
    }

    /// Sends a notification about this handle to its callback, with its own context.
    ///
    /// # Safety
    /// `info` must be NULL or valid for `len` bytes for the duration of the call.
    pub unsafe fn notify(&self, status: DWORD, info: LPVOID, len: DWORD) {
        if self.closed.load(Ordering::Acquire) {
            return;
        }
        // SAFETY: as promised by the caller.
        unsafe { self.callback.notify(self.handle(), self.context(), status, info, len) }
    }

    /// The handle is closed and its own work is over: `HANDLE_CLOSING` goes out now, or once
    /// its last child has sent its own (handles close in order: request, connection, session).
    pub fn notify_closing(&self) {
        let due = {
            let mut c = lock(&self.closing);
            c.1 = true;
            c.0 == 0
        };
        if due {
            self.send_closing();
        }
    }

    /// A child sent its `HANDLE_CLOSING`.
    fn child_closed(&self) {
        let due = {
            let mut c = lock(&self.closing);
            c.0 -= 1;
            c.0 == 0 && c.1
        };
        if due {
            self.send_closing();
        }
    }

    /// Sends `HANDLE_CLOSING` (once), stops every later notification for the handle, and lets
    /// the parent go on closing.
    fn send_closing(&self) {
        if self.closed.swap(true, Ordering::AcqRel) {
            return;
        }
        let mut handle = self.handle();
        let len = core::mem::size_of::<HINTERNET>() as DWORD;
        // SAFETY: `handle` lives for the duration of the call.
        unsafe {
            self.callback.notify(
                handle,
                self.context(),
                WINHTTP_CALLBACK_STATUS_HANDLE_CLOSING,
                (&raw mut handle).cast(),
                len,
            )
        }
        if let Some(parent) = &self.parent {
            parent.child_closed();
        }
    }
}

impl Drop for HandleCore {
    fn drop(&mut self) {
        // A child that never got a handle (its creation failed) must not hold its parent's
        // HANDLE_CLOSING back.
        if !self.closed.load(Ordering::Acquire)
            && let Some(parent) = &self.parent
        {
            parent.child_closed();
        }
    }
}
