//! Requests (`WinHttpOpenRequest`): what to send, the request headers, per-request options, and
//! (issue 3) the request's one state machine that every operation steps, sync or async alike.

use super::exchange::Exchange;
use super::net::Cancel;
use super::session::{Connect, HandleCore, ProxyConfig, default_proxy, lock};
use super::settings::Settings;
use crate::abi::*;
use crate::proto::headers::HeaderList;
use crate::proto::{h1, proxy, url};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

/// Where a request is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Opened; nothing sent yet.
    Created,
    /// The head went out; body bytes may follow through `WinHttpWriteData`.
    Sent,
    /// A final response head arrived; the body is being read.
    Receiving,
    /// The last operation failed; only a new `WinHttpSendRequest` helps.
    Failed,
}

/// Where the request goes now (the connect handle's server until a redirect moves it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub secure: bool,
    pub host: String,
    pub port: u16,
    /// The object name: path and query, as given (escaped when the head is written).
    pub path: String,
    pub verb: String,
}

impl Target {
    /// The URL of the target, as `WINHTTP_OPTION_URL` and the `REDIRECT` notification report it.
    pub fn url(&self) -> String {
        let (scheme, default) = if self.secure { ("https", 443) } else { ("http", 80) };
        let host = if self.host.contains(':') && !self.host.starts_with('[') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        let path = if self.path.starts_with('/') { self.path.clone() } else { format!("/{}", self.path) };
        if self.port == default {
            format!("{scheme}://{host}{path}")
        } else {
            format!("{scheme}://{host}:{}{path}", self.port)
        }
    }

    /// The `Host` header value: the port only when it is not the scheme's default.
    fn host_header(&self) -> String {
        let default = if self.secure { 443 } else { 80 };
        let host = if self.host.contains(':') { format!("[{}]", self.host) } else { self.host.clone() };
        if self.port == default { host } else { format!("{host}:{}", self.port) }
    }
}

/// A final response head, as `WinHttpQueryHeaders` reads it.
#[derive(Clone, Debug)]
pub struct Response {
    pub version: String,
    pub status: u16,
    pub reason: String,
    pub headers: HeaderList,
    pub chunked: bool,
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
    /// Where the request goes now.
    pub target: Target,
    /// The URL before the first redirect (`WINHTTP_QUERY_ORIG_URI`).
    pub original_url: Option<String>,
    /// Local and remote address of the connection the last exchange used.
    pub connection: Option<(SocketAddr, SocketAddr)>,
    /// `WINHTTP_OPTION_PROXY` set on the request.
    pub proxy_override: Option<ProxyConfig>,
    /// What the TLS handshake of the last exchange's connection established (HTTPS only).
    pub tls: Option<Arc<super::tls::Info>>,
    /// The client certificate choice (`WINHTTP_OPTION_CLIENT_CERT_CONTEXT` or our PEM extension).
    pub client_cert: super::tls::ClientCert,
}

/// What is going on at a request: the operation in flight (`API_*`), callbacks being delivered,
/// and whether `WinHttpCloseHandle` is waiting for both to end before `HANDLE_CLOSING`.
#[derive(Default)]
pub struct Activity {
    pub pending: Option<DWORD>,
    delivering: u32,
    closing: bool,
    closing_sent: bool,
}

impl Activity {
    /// True when `HANDLE_CLOSING` is due now (and marks it sent).
    fn closing_due(&mut self) -> bool {
        let due = self.closing && self.pending.is_none() && self.delivering == 0 && !self.closing_sent;
        if due {
            self.closing_sent = true;
        }
        due
    }
}

/// A request handle's object.
pub struct Request {
    pub core: Arc<HandleCore>,
    _live: super::diag::Live,
    pub connect: Arc<Connect>,
    pub verb: String,
    /// The object name as given (default "/"); escaped at send time per the `WINHTTP_FLAG_ESCAPE_*` flags.
    pub path: String,
    /// "HTTP/1.1" unless the caller gave a version.
    pub version: String,
    pub flags: DWORD,
    pub headers: Mutex<HeaderList>,
    pub state: Mutex<RequestState>,
    /// The connection and what is in flight on it; held by the one operation running.
    pub io: Mutex<Exchange>,
    /// The last final response.
    pub response: Mutex<Option<Arc<Response>>>,
    /// Set by `WinHttpCloseHandle`; wakes a blocked operation.
    pub cancel: Arc<Cancel>,
    pub activity: Mutex<Activity>,
}

impl Request {
    /// A new request under `connect` (`ERROR_INVALID_HANDLE` when the connection is being closed).
    pub fn new(
        connect: Arc<Connect>,
        verb: String,
        path: String,
        version: String,
        flags: DWORD,
    ) -> Result<Self, DWORD> {
        let settings = connect.session.settings();
        let secure = flags & WINHTTP_FLAG_SECURE != 0;
        let port = match connect.port {
            0 if secure => INTERNET_DEFAULT_HTTPS_PORT,
            0 => INTERNET_DEFAULT_HTTP_PORT,
            p => p,
        };
        let target = Target { secure, host: connect.host.clone(), port, path: path.clone(), verb: verb.clone() };
        Ok(Request {
            core: Arc::new(HandleCore::inherit(&connect.core)?),
            _live: super::diag::Live::new(&super::diag::REQUESTS),
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
                target,
                original_url: None,
                connection: None,
                proxy_override: None,
                tls: None,
                client_cert: super::tls::ClientCert::Unset,
            }),
            io: Mutex::new(Exchange::default()),
            response: Mutex::new(None),
            cancel: Arc::new(Cancel::default()),
            activity: Mutex::new(Activity::default()),
        })
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

    /// Starts an operation (`API_*`): one at a time per request.
    pub fn begin(&self, api: DWORD) -> Result<(), DWORD> {
        let mut a = lock(&self.activity);
        if a.closing {
            return Err(ERROR_INVALID_HANDLE);
        }
        if a.pending.is_some() {
            return Err(ERROR_WINHTTP_INCORRECT_HANDLE_STATE);
        }
        a.pending = Some(api);
        super::diag::up(&super::diag::PENDING);
        Ok(())
    }

    /// Applies a change to the request's activity, then sends `HANDLE_CLOSING` if it is now due.
    fn settle(&self, change: impl FnOnce(&mut Activity)) {
        let due = {
            let mut a = lock(&self.activity);
            change(&mut a);
            a.closing_due()
        };
        if due {
            self.core.notify_closing();
        }
    }

    /// Ends the operation in flight (sync mode: nothing to deliver).
    pub fn end(&self) {
        self.settle(|a| {
            if a.pending.take().is_some() {
                super::diag::down(&super::diag::PENDING);
            }
        });
    }

    /// Ends the operation in flight and delivers its completion: the callback may start the next
    /// operation, and a close that arrives meanwhile sends `HANDLE_CLOSING` after the callback.
    pub fn end_and_deliver(&self, f: impl FnOnce()) {
        {
            let mut a = lock(&self.activity);
            if a.pending.take().is_some() {
                super::diag::down(&super::diag::PENDING);
            }
            a.delivering += 1;
        }
        f();
        self.settle(|a| a.delivering -= 1);
    }

    /// `WinHttpCloseHandle`: cancels the operation in flight; `HANDLE_CLOSING` is sent now, or
    /// once that operation and the callbacks being delivered have ended, whichever is later.
    pub fn close(&self) {
        self.cancel.cancel();
        self.settle(|a| a.closing = true);
    }

    /// The I/O state for a new operation. Busy is `ERROR_WINHTTP_INCORRECT_HANDLE_STATE`: an
    /// operation of this request is running (maybe on this very thread, inside one of its
    /// callbacks) or parked on the reactor. Checked before the new call changes anything.
    pub fn try_io(&self) -> Result<MutexGuard<'_, Exchange>, DWORD> {
        let io = match self.io.try_lock() {
            Ok(g) => g,
            Err(std::sync::TryLockError::Poisoned(p)) => p.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) => return Err(ERROR_WINHTTP_INCORRECT_HANDLE_STATE),
        };
        // Operations begin only while the I/O state is held, so this cannot change under us.
        if lock(&self.activity).pending.is_some() {
            return Err(ERROR_WINHTTP_INCORRECT_HANDLE_STATE);
        }
        Ok(io)
    }

    pub fn io(&self) -> MutexGuard<'_, Exchange> {
        lock(&self.io)
    }

    /// Where the request goes now.
    pub fn target(&self) -> Target {
        self.state().target.clone()
    }

    /// The request's URL as `WINHTTP_OPTION_URL` reports it (after redirects, the new one).
    pub fn url(&self) -> String {
        self.state().target.url()
    }

    /// The verb the next exchange uses (a 303 turns it into GET).
    pub fn current_verb(&self) -> String {
        self.state().target.verb.clone()
    }

    /// The last final response, once `WinHttpReceiveResponse` has one.
    pub fn response(&self) -> Option<Arc<Response>> {
        lock(&self.response).clone()
    }

    pub fn set_response(&self, r: Response) {
        *lock(&self.response) = Some(Arc::new(r));
    }

    pub fn keep_alive_disabled(&self) -> bool {
        self.state().disable_feature & WINHTTP_DISABLE_KEEP_ALIVE != 0
    }

    /// Sends a notification with no payload.
    pub fn core_notify_null(&self, status: DWORD) {
        // SAFETY: a NULL payload.
        unsafe { self.core.notify(status, core::ptr::null_mut(), 0) }
    }

    /// The proxy configuration in force: the request's `WINHTTP_OPTION_PROXY`, else the session's,
    /// else what `WinHttpOpen` was given.
    pub fn proxy_config(&self) -> ProxyConfig {
        let own = self.state().proxy_override.clone();
        own.or_else(|| self.connect.session.state().proxy_override.clone())
            .unwrap_or_else(|| self.connect.session.proxy.clone())
    }

    /// The proxy ("host:port") to use for `target`.
    pub fn proxy_for(&self, target: &Target) -> Option<String> {
        let named = |p: &ProxyConfig| {
            proxy::ProxyConfig::named(p.proxy.as_deref().unwrap_or(""), p.bypass.as_deref().unwrap_or(""))
        };
        let p = self.proxy_config();
        // The desktop's settings (manual, PAC or WPAD) for AUTOMATIC_PROXY; see crate::pac::desktop.
        if p.access_type == WINHTTP_ACCESS_TYPE_AUTOMATIC_PROXY
            && !target.secure
            && let Some(choice) = crate::pac::desktop::automatic_proxy(&target.host, target.port)
        {
            return choice;
        }
        let config = match p.access_type {
            WINHTTP_ACCESS_TYPE_NAMED_PROXY => named(&p),
            WINHTTP_ACCESS_TYPE_DEFAULT_PROXY | WINHTTP_ACCESS_TYPE_AUTOMATIC_PROXY => match default_proxy() {
                Some(d) if d.access_type == WINHTTP_ACCESS_TYPE_NAMED_PROXY => named(&d),
                Some(_) => return None,
                None => proxy::ProxyConfig::from_env(),
            },
            _ => return None,
        };
        // A proxy for HTTPS needs a CONNECT tunnel, which arrives with the proxy issue.
        if target.secure {
            return None;
        }
        config.proxy_for(false, &target.host, target.port)
    }

    /// Adds the headers WinHTTP sends on its own (`Host`, `User-Agent`, `Content-Length`,
    /// `Connection`) to the request's headers, so that queries after sending show them too.
    pub fn prepare_headers(&self, total: u64, chunked: bool) {
        let target = self.target();
        let agent = self.connect.session.state().user_agent.clone();
        let keep_alive = !self.keep_alive_disabled();
        let mut h = self.headers();
        if !h.contains("Connection") && !keep_alive {
            h.push("Connection", "close");
        } else if !h.contains("Connection") {
            h.push("Connection", "Keep-Alive");
        }
        if let Some(agent) = agent.filter(|a| !a.is_empty() && !a.contains(['\r', '\n']))
            && !h.contains("User-Agent")
        {
            h.push("User-Agent", agent);
        }
        if chunked {
            h.remove("Content-Length");
        } else if total > 0 || matches!(target.verb.as_str(), "POST" | "PUT") {
            h.set("Content-Length", total.to_string());
        } else {
            h.remove("Content-Length");
        }
        h.set("Host", target.host_header());
    }

    /// Writes the request line and headers for the current target.
    pub fn write_head(&self, out: &mut Vec<u8>) -> Result<(), DWORD> {
        let target = self.target();
        let escaped = url::escape_request_path(&target.path, self.flags);
        let escaped = if escaped.starts_with('/') { escaped } else { format!("/{escaped}") };
        let request_target = match self.proxy_for(&target) {
            // Through a proxy, the request line carries the absolute URI.
            Some(_) => {
                let t = Target { path: escaped, ..target.clone() };
                t.url()
            }
            None => escaped,
        };
        let (major, minor) = self.state().settings.http_version;
        let version = h1::Version::parse(&self.version).unwrap_or(if (major, minor) == (1, 0) {
            h1::Version::Http10
        } else {
            h1::Version::Http11
        });
        let pairs = self.headers().to_pairs();
        h1::write_request_head(out, &target.verb, &request_target, version, &pairs).map_err(|e| e.code())
    }

    /// Where a redirect response sends the request, if it is to be followed automatically.
    /// `replayable` tells whether the body can be sent again (307/308 keep it).
    pub fn redirect_target(&self, response: &Response, replayable: bool) -> Result<Option<Target>, DWORD> {
        let st = self.state();
        if st.disable_feature & WINHTTP_DISABLE_REDIRECTS != 0
            || !matches!(response.status, 301 | 302 | 303 | 307 | 308)
            || st.settings.redirect_policy == WINHTTP_OPTION_REDIRECT_POLICY_NEVER
        {
            return Ok(None);
        }
        let Some(location) = response.headers.get("Location") else { return Ok(None) };
        let current = &st.target;
        let next_url = resolve_location(current, location.trim());
        let cracked = url::crack_str(&next_url, 0).map_err(|_| ERROR_WINHTTP_REDIRECT_FAILED)?;
        if current.secure
            && !cracked.is_secure()
            && st.settings.redirect_policy == WINHTTP_OPTION_REDIRECT_POLICY_DISALLOW_HTTPS_TO_HTTP
        {
            return Ok(None);
        }
        let keep_body = matches!(response.status, 307 | 308);
        if keep_body && !replayable {
            return Ok(None);
        }
        let verb = match response.status {
            303 if current.verb != "HEAD" => "GET".to_string(),
            301 | 302 if current.verb == "POST" => "GET".to_string(),
            _ => current.verb.clone(),
        };
        Ok(Some(Target {
            secure: cracked.is_secure(),
            host: cracked.host.trim_start_matches('[').trim_end_matches(']').to_string(),
            port: cracked.port,
            path: cracked.object_name(),
            verb,
        }))
    }

    /// Moves the request to a redirect target.
    pub fn follow(&self, next: Target, keep_body: bool) {
        let mut st = self.state();
        if st.original_url.is_none() {
            st.original_url = Some(st.target.url());
        }
        let same_origin = st.target.secure == next.secure
            && st.target.host.eq_ignore_ascii_case(&next.host)
            && st.target.port == next.port;
        st.target = next;
        drop(st);
        let mut h = self.headers();
        if !keep_body {
            h.remove("Content-Type");
        }
        if !same_origin {
            // Credentials meant for one server never follow a redirect to another.
            h.remove("Authorization");
            h.remove("Cookie");
        }
    }
}

/// Resolves a `Location` value against the current target (absolute, scheme-relative,
/// absolute-path or relative).
fn resolve_location(current: &Target, location: &str) -> String {
    let lower = location.to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") || location.contains("://") {
        return location.to_string();
    }
    let scheme = if current.secure { "https" } else { "http" };
    if let Some(rest) = location.strip_prefix("//") {
        return format!("{scheme}://{rest}");
    }
    let base = Target { path: String::new(), ..current.clone() }.url();
    let base = base.trim_end_matches('/');
    if location.starts_with('/') {
        return format!("{base}{location}");
    }
    let path = current.path.split(['?', '#']).next().unwrap_or("/");
    let dir = match path.rfind('/') {
        Some(i) => &path[..=i],
        None => "/",
    };
    format!("{base}{dir}{location}")
}
