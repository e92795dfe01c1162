//! Sessions (`WinHttpOpen`) and connections (`WinHttpConnect`).
//!
//! A connect handle is only a target (host, port) under a session: it owns no socket. Sockets
//! belong to the process-wide pool (issue 3), so a request is never the same thing as a connection.

use super::handle::{HandleCore, lock};
use crate::abi::*;
use crate::engine::callback::Registration;
use crate::engine::settings::Settings;
use crate::proto::cookie::{self, Jar};
use crate::proto::proxy;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

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
    pub user_agent: Option<Arc<str>>,
    pub settings: Settings,
    pub max_conns_per_server: DWORD,
    pub max_conns_per_1_0_server: DWORD,
    pub secure_protocols: DWORD,
    pub codepage: DWORD,
    pub passport: DWORD,
    pub assured_non_blocking_callbacks: BOOL,
    /// `WINHTTP_OPTION_PROXY` set on the session (replaces the `WinHttpOpen` configuration).
    pub proxy_override: Option<ProxyConfig>,
    /// `WINHTTP_OPTION_TCP_KEEPALIVE`: idle time and probe interval (ms) for new sockets.
    pub tcp_keepalive: Option<(u32, u32)>,
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

/// The default proxy configuration: what `WinHttpSetDefaultProxyConfiguration` set in this
/// process, else the environment's proxy variables, else no proxy.
pub fn default_config() -> ProxyConfig {
    default_proxy().unwrap_or_else(|| match proxy::ProxyConfig::env_strings(|name| std::env::var(name).ok()) {
        Some((list, bypass)) => ProxyConfig { access_type: WINHTTP_ACCESS_TYPE_NAMED_PROXY, proxy: Some(list), bypass },
        None => ProxyConfig { access_type: WINHTTP_ACCESS_TYPE_NO_PROXY, proxy: None, bypass: None },
    })
}

/// A session: the root of a tree of handles.
pub struct Session {
    pub core: Arc<HandleCore>,
    _live: crate::engine::diag::Live,
    pub flags: DWORD,
    pub proxy: ProxyConfig,
    pub state: Mutex<SessionState>,
    /// The proxy environment variables, read once per session when first needed.
    env_proxy: OnceLock<proxy::ProxyConfig>,
    /// The session's cookies (every request of the session reads and records them; sessions
    /// never share them).
    cookies: Mutex<Jar>,
    /// The jar holds something: requests of a session that never got a cookie take no lock.
    has_cookies: AtomicBool,
}

impl Session {
    pub fn new(agent: Option<String>, proxy: ProxyConfig, flags: DWORD) -> Self {
        Session {
            core: Arc::new(HandleCore::default()),
            _live: crate::engine::diag::Live::new(&crate::engine::diag::SESSIONS),
            flags,
            proxy,
            state: Mutex::new(SessionState {
                user_agent: agent.map(Into::into),
                settings: Settings::default(),
                max_conns_per_server: WINHTTP_CONNS_PER_SERVER_UNLIMITED,
                max_conns_per_1_0_server: WINHTTP_CONNS_PER_SERVER_UNLIMITED,
                secure_protocols: WINHTTP_FLAG_SECURE_PROTOCOL_TLS1_2 | WINHTTP_FLAG_SECURE_PROTOCOL_TLS1_3,
                codepage: 0,
                passport: 0,
                assured_non_blocking_callbacks: 0,
                proxy_override: None,
                tcp_keepalive: None,
            }),
            env_proxy: OnceLock::new(),
            cookies: Mutex::new(Jar::new()),
            has_cookies: AtomicBool::new(false),
        }
    }

    /// The jar holds cookies (one atomic load: a session without cookies takes no lock).
    #[inline]
    pub fn has_cookies(&self) -> bool {
        self.has_cookies.load(Ordering::Acquire)
    }

    /// The `Cookie` value the jar has for a request to `url`, if any.
    pub fn cookie_header(&self, url: cookie::Url<'_>) -> Option<String> {
        lock(&self.cookies).header_value(url, unix_now(), true)
    }

    /// Records the `Set-Cookie` values of a response that came from `url`.
    pub fn store_cookies<'a>(&self, values: impl IntoIterator<Item = &'a str>, url: cookie::Url<'_>) {
        let mut jar = lock(&self.cookies);
        let now = unix_now();
        jar.record(values, url, now);
        jar.purge(now);
        self.has_cookies.store(!jar.is_empty(), Ordering::Release);
    }

    /// `http_proxy`/`https_proxy`/`no_proxy` as this session first saw them.
    pub fn env_proxy(&self) -> &proxy::ProxyConfig {
        self.env_proxy.get_or_init(proxy::ProxyConfig::from_env)
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

/// Seconds since the Unix epoch (the jar's clock).
fn unix_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

/// A connect handle: a server under a session.
pub struct Connect {
    pub core: Arc<HandleCore>,
    _live: crate::engine::diag::Live,
    pub session: Arc<Session>,
    /// Shared with every request's target (no copy per request).
    pub host: Arc<str>,
    /// As given; `INTERNET_DEFAULT_PORT` (0) means 80 or 443 by the request's scheme.
    pub port: INTERNET_PORT,
}

impl Connect {
    pub fn new(session: Arc<Session>, host: String, port: INTERNET_PORT) -> Result<Self, DWORD> {
        let core = Arc::new(HandleCore::inherit(&session.core)?);
        let host = host.into();
        Ok(Connect { core, _live: crate::engine::diag::Live::new(&crate::engine::diag::CONNECTS), session, host, port })
    }
}

/// Builds a `Registration` (kept here so the FFI layer need not know the slot type).
/// `utf16`: the callback was set by the UTF-16 twin and gets its strings in 16-bit units.
pub fn registration(callback: WINHTTP_STATUS_CALLBACK, flags: DWORD, utf16: bool) -> Registration {
    Registration { callback, flags, utf16 }
}
