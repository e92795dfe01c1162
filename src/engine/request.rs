//! Requests (`WinHttpOpenRequest`): what to send, the request headers, per-request options, and
//! (issue 3) the request's one state machine that every operation steps, sync or async alike.

use super::session::{Connect, HandleCore, lock};
use super::settings::Settings;
use crate::abi::*;
use crate::proto::headers::HeaderList;
use std::sync::{Arc, Mutex, MutexGuard};

/// Where a request is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Opened; nothing sent yet.
    Created,
}

/// Request state that options and operations change.
#[derive(Debug)]
pub struct RequestState {
    pub phase: Phase,
    pub settings: Settings,
    pub security_flags: DWORD,
    pub disable_feature: DWORD,
    pub autologon_policy: DWORD,
    pub priority: DWORD,
    pub spn: DWORD,
    pub username: String,
    pub password: String,
    pub proxy_username: String,
    pub proxy_password: String,
    pub upgrade_to_websocket: bool,
}

/// A request handle's object.
pub struct Request {
    pub core: HandleCore,
    pub connect: Arc<Connect>,
    pub verb: String,
    /// The object name as given (default "/"); escaped at send time per the `WINHTTP_FLAG_ESCAPE_*` flags.
    pub path: String,
    /// "HTTP/1.1" unless the caller gave a version.
    pub version: String,
    pub flags: DWORD,
    pub headers: Mutex<HeaderList>,
    pub state: Mutex<RequestState>,
}

impl Request {
    pub fn new(connect: Arc<Connect>, verb: String, path: String, version: String, flags: DWORD) -> Self {
        let settings = connect.session.settings();
        Request {
            core: HandleCore::inherit(&connect.core),
            connect,
            verb,
            path,
            version,
            flags,
            headers: Mutex::new(HeaderList::default()),
            state: Mutex::new(RequestState {
                phase: Phase::Created,
                settings,
                security_flags: 0,
                disable_feature: 0,
                autologon_policy: WINHTTP_AUTOLOGON_SECURITY_LEVEL_DEFAULT,
                priority: 0,
                spn: 0,
                username: String::new(),
                password: String::new(),
                proxy_username: String::new(),
                proxy_password: String::new(),
                upgrade_to_websocket: false,
            }),
        }
    }

    /// The headers `WinHttpOpenRequest` adds: one coalesced `Accept` and the `Referer`.
    pub fn add_initial_headers(&self, accept: &[String], referrer: Option<&str>) {
        let mut headers = self.headers();
        for a in accept {
            // Names and values come from the caller's strings; CR/LF in them is refused here.
            if !a.contains(['\r', '\n']) {
                let _ = headers.apply("Accept", a, WINHTTP_ADDREQ_FLAG_ADD | WINHTTP_ADDREQ_FLAG_COALESCE_WITH_COMMA);
            }
        }
        if let Some(r) = referrer.filter(|r| !r.contains(['\r', '\n'])) {
            let _ = headers.apply("Referer", r, WINHTTP_ADDREQ_FLAG_ADD);
        }
    }

    pub fn state(&self) -> MutexGuard<'_, RequestState> {
        lock(&self.state)
    }

    pub fn headers(&self) -> MutexGuard<'_, HeaderList> {
        lock(&self.headers)
    }

    /// True for requests opened with `WINHTTP_FLAG_SECURE` (HTTPS).
    pub fn is_secure(&self) -> bool {
        self.flags & WINHTTP_FLAG_SECURE != 0
    }

    /// The port the request goes to (`INTERNET_DEFAULT_PORT` resolved by scheme).
    pub fn port(&self) -> INTERNET_PORT {
        match self.connect.port {
            0 if self.is_secure() => INTERNET_DEFAULT_HTTPS_PORT as INTERNET_PORT,
            0 => INTERNET_DEFAULT_HTTP_PORT as INTERNET_PORT,
            p => p,
        }
    }

    /// The request's URL as `WINHTTP_OPTION_URL` reports it.
    pub fn url(&self) -> String {
        let (scheme, default) = if self.is_secure() { ("https", 443) } else { ("http", 80) };
        let host = &self.connect.host;
        let host = if host.contains(':') && !host.starts_with('[') { format!("[{host}]") } else { host.clone() };
        let port = self.port();
        let path = if self.path.starts_with('/') { self.path.clone() } else { format!("/{}", self.path) };
        if port == default { format!("{scheme}://{host}{path}") } else { format!("{scheme}://{host}:{port}{path}") }
    }
}
