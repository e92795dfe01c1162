//! Sessions (`WinHttpOpen`) and connections (`WinHttpConnect`).
//!
//! A connect handle is only a target (host, port) under a session: it owns no socket. Sockets
//! belong to the process-wide pool (issue 3), so a request is never the same thing as a connection.

use super::callback::{CallbackSlot, Registration};
use super::settings::Settings;
use crate::abi::*;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

/// Locks a mutex, ignoring poisoning (a panic in one call must not wedge a handle forever).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
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

/// Proxy configuration given to `WinHttpOpen`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProxyConfig {
    pub access_type: DWORD,
    pub proxy: Option<String>,
    pub bypass: Option<String>,
}

/// State of a session that options may change.
#[derive(Debug)]
pub struct SessionState {
    pub user_agent: Option<String>,
    pub settings: Settings,
    pub max_conns_per_server: DWORD,
    pub max_conns_per_1_0_server: DWORD,
    pub secure_protocols: DWORD,
    pub codepage: DWORD,
    pub passport: DWORD,
    pub assured_non_blocking_callbacks: BOOL,
    /// `WINHTTP_OPTION_PROXY` set on the session (replaces the `WinHttpOpen` configuration).
    pub proxy_override: Option<ProxyConfig>,
}

/// `WinHttpSetDefaultProxyConfiguration` for this process (Windows stores it machine-wide).
static DEFAULT_PROXY: Mutex<Option<ProxyConfig>> = Mutex::new(None);

/// Replaces the process's default proxy configuration.
pub fn set_default_proxy(config: ProxyConfig) {
    *lock(&DEFAULT_PROXY) = Some(config);
}

/// The default proxy configuration set in this process, if any (otherwise the environment's
/// `http_proxy`/`https_proxy`/`no_proxy` apply).
pub fn default_proxy() -> Option<ProxyConfig> {
    lock(&DEFAULT_PROXY).clone()
}

/// A session: the root of a tree of handles.
pub struct Session {
    pub core: Arc<HandleCore>,
    _live: super::diag::Live,
    pub flags: DWORD,
    pub proxy: ProxyConfig,
    pub state: Mutex<SessionState>,
}

impl Session {
    pub fn new(agent: Option<String>, proxy: ProxyConfig, flags: DWORD) -> Self {
        Session {
            core: Arc::new(HandleCore::default()),
            _live: super::diag::Live::new(&super::diag::SESSIONS),
            flags,
            proxy,
            state: Mutex::new(SessionState {
                user_agent: agent,
                settings: Settings::default(),
                max_conns_per_server: WINHTTP_CONNS_PER_SERVER_UNLIMITED,
                max_conns_per_1_0_server: WINHTTP_CONNS_PER_SERVER_UNLIMITED,
                secure_protocols: WINHTTP_FLAG_SECURE_PROTOCOL_TLS1_2 | WINHTTP_FLAG_SECURE_PROTOCOL_TLS1_3,
                codepage: 0,
                passport: 0,
                assured_non_blocking_callbacks: 0,
                proxy_override: None,
            }),
        }
    }

    /// True for sessions opened with `WINHTTP_FLAG_ASYNC`.
    pub fn is_async(&self) -> bool {
        self.flags & WINHTTP_FLAG_ASYNC != 0
    }

    pub fn state(&self) -> MutexGuard<'_, SessionState> {
        lock(&self.state)
    }

    /// A copy of the settings a new request starts with.
    pub fn settings(&self) -> Settings {
        self.state().settings.clone()
    }
}

/// A connect handle: a server under a session.
pub struct Connect {
    pub core: Arc<HandleCore>,
    _live: super::diag::Live,
    pub session: Arc<Session>,
    pub host: String,
    /// As given; `INTERNET_DEFAULT_PORT` (0) means 80 or 443 by the request's scheme.
    pub port: INTERNET_PORT,
}

impl Connect {
    pub fn new(session: Arc<Session>, host: String, port: INTERNET_PORT) -> Result<Self, DWORD> {
        let core = Arc::new(HandleCore::inherit(&session.core)?);
        Ok(Connect { core, _live: super::diag::Live::new(&super::diag::CONNECTS), session, host, port })
    }
}

/// Builds a `Registration` (kept here so the FFI layer need not know the slot type).
pub fn registration(callback: WINHTTP_STATUS_CALLBACK, flags: DWORD) -> Registration {
    Registration { callback, flags }
}
