//! Status-callback registrations and synchronous delivery of notifications.
//!
//! A registration is inherited by handles created afterwards (session → connect → request).
//! Delivery never holds a lock of ours while user code runs.

use crate::abi::*;
use crate::engine::log;
use std::sync::Mutex;

/// A callback and the notifications it asked for.
#[derive(Clone, Copy, Default)]
pub struct Registration {
    pub callback: WINHTTP_STATUS_CALLBACK,
    pub flags: DWORD,
    /// Set through `WinHttpSetStatusCallback_u16`: the strings of notifications (names, addresses,
    /// URLs) go to this callback in UTF-16 units, not `wchar_t`.
    pub utf16: bool,
}

/// The registration slot of one handle.
#[derive(Default)]
pub struct CallbackSlot(Mutex<Registration>);

impl CallbackSlot {
    pub fn new(r: Registration) -> Self {
        CallbackSlot(Mutex::new(r))
    }

    pub fn get(&self) -> Registration {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Installs a new registration and returns the previous callback.
    pub fn replace(&self, r: Registration) -> WINHTTP_STATUS_CALLBACK {
        let mut g = self.0.lock().unwrap_or_else(|p| p.into_inner());
        core::mem::replace(&mut *g, r).callback
    }

    /// Calls the callback for `status` if one is set and asked for it.
    ///
    /// # Safety
    /// `info` must be valid for `len` bytes for the duration of the call (or NULL).
    pub unsafe fn notify(&self, handle: HINTERNET, context: DWORD_PTR, status: DWORD, info: LPVOID, len: DWORD) {
        let r = self.get();
        if let Some(cb) = r.callback
            && r.flags & status != 0
        {
            if log::on(log::CALLBACKS) {
                // SAFETY: `info` is valid for `len` bytes (our promise to the callback too).
                let payload = unsafe { log::payload(status, info, len, r.utf16) };
                let (h, name) = (log::handle(handle), log::status_name(status));
                log::emit(log::CALLBACKS, format_args!("h={h} context={context:#x} {name} {payload}"));
            }
            // SAFETY: the user's callback, called with the arguments WinHTTP documents.
            unsafe { cb(handle, context, status, info, len) }
        }
    }
}
