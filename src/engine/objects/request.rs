//! Requests (`WinHttpOpenRequest`): what to send, the request headers, per-request options, the
//! request's lane (its I/O state, stepped by `engine::ops`), and [`Request::plan`], the one place
//! that reads all of that to decide an attempt.

use super::handle::{HandleCore, lock};
use super::session::{Connect, ProxyConfig, default_proxy};
use crate::abi::*;
use crate::engine::cancel::Cancel;
use crate::engine::lane::{Lane, Owner, Payload};
use crate::engine::plan::{Endpoint, Plan, Route, TlsParams, Via};
use crate::engine::settings::Settings;
use crate::engine::transport::tcp::Stream;
use crate::proto::auth::client::AuthClient;
use crate::proto::auth::{self, Authenticator, Credentials, RequestInfo, Scheme};
use crate::proto::followup::Policy;
use crate::proto::headers::HeaderList;
use crate::proto::{coding, cookie, h1, proxy, url, ws};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

pub use crate::engine::lane::Response;
pub use crate::proto::followup::Target;

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
    /// Where the request was opened for: server credentials are sent to this origin only (never
    /// to another host after a redirect).
    pub origin: Target,
    /// Authentication towards the server (`WinHttpSetCredentials` with
    /// `WINHTTP_AUTH_TARGET_SERVER`, or the username/password options) and towards the proxy.
    pub server_auth: AuthClient,
    pub proxy_auth: AuthClient,
    /// The proxy of the last attempt (its name is Kerberos' service name for a 407).
    pub proxy_host: String,
    /// The URL before the first redirect (`WINHTTP_QUERY_ORIG_URI`).
    pub original_url: Option<String>,
    /// Local and remote address of the connection the last exchange used.
    pub connection: Option<(SocketAddr, SocketAddr)>,
    /// The last exchange was a stream on an HTTP/2 connection (`WINHTTP_OPTION_HTTP_PROTOCOL_USED`).
    pub http2: bool,
    /// `WINHTTP_OPTION_PROXY` set on the request.
    pub proxy_override: Option<ProxyConfig>,
    /// What the TLS handshake of the last exchange's connection established (HTTPS only).
    pub tls: Option<Arc<crate::engine::transport::tls::Info>>,
    /// The client certificate choice (`WINHTTP_OPTION_CLIENT_CERT_CONTEXT` or our PEM extension).
    pub client_cert: crate::engine::transport::tls::ClientCert,
    /// The trailers of the last response, once its body ended (HTTP/2 only, as on Windows).
    pub trailers: Vec<(String, String)>,
}

/// What is going on at a request: the operation in flight (`API_*`), callbacks being delivered,
/// and whether `WinHttpCloseHandle` is waiting for both to end before `HANDLE_CLOSING`.
#[derive(Default)]
pub struct Activity {
    pub pending: Option<DWORD>,
    /// An async `WinHttpReceiveResponse` made while the send was in flight, to start after it.
    receive_queued: bool,
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
    _live: crate::engine::diag::Live,
    pub connect: Arc<Connect>,
    pub verb: Arc<str>,
    /// The object name as given (default "/"); escaped at send time per the `WINHTTP_FLAG_ESCAPE_*` flags.
    pub path: Arc<str>,
    /// "HTTP/1.1" unless the caller gave a version.
    pub version: std::borrow::Cow<'static, str>,
    pub flags: DWORD,
    pub headers: Mutex<HeaderList>,
    /// Boxed: the request object and its state each stay under 1 KiB, the size malloc serves
    /// from its per-thread cache (one larger block per request made malloc consolidate its free
    /// lists on every request).
    pub state: Mutex<Box<RequestState>>,
    /// The request's lane: its plan, connection and what is in flight; held by the one
    /// operation running.
    pub io: Mutex<Lane>,
    /// The last final response.
    pub response: Mutex<Option<Arc<Response>>>,
    /// Set by `WinHttpCloseHandle`; wakes a blocked operation.
    pub cancel: Arc<Cancel>,
    /// `WINHTTP_OPTION_REQUEST_TIMES`/`REQUEST_STATS`: what the operations measured (boxed: the
    /// request object stays under the 1 KiB malloc serves from its per-thread cache).
    pub metrics: Box<crate::engine::metrics::Metrics>,
    pub activity: Mutex<Activity>,
}

impl Request {
    /// A new request under `connect` (`ERROR_INVALID_HANDLE` when the connection is being closed).
    pub fn new(
        connect: Arc<Connect>,
        verb: Arc<str>,
        path: Arc<str>,
        version: std::borrow::Cow<'static, str>,
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
            _live: crate::engine::diag::Live::new(&crate::engine::diag::REQUESTS),
            connect,
            verb,
            path,
            version,
            flags,
            // Room for what a request usually carries (Accept, Connection, User-Agent, Host...).
            headers: Mutex::new(HeaderList::with_capacity_bytes(8, 256)),
            state: Mutex::new(Box::new(RequestState {
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
                origin: target.clone(),
                target,
                server_auth: AuthClient::default(),
                proxy_auth: AuthClient::default(),
                proxy_host: String::new(),
                original_url: None,
                connection: None,
                http2: false,
                proxy_override: None,
                tls: None,
                client_cert: crate::engine::transport::tls::ClientCert::Unset,
                trailers: Vec::new(),
            })),
            io: Mutex::new(Lane::default()),
            response: Mutex::new(None),
            cancel: Arc::new(Cancel::default()),
            metrics: Default::default(),
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

    pub fn state(&self) -> MutexGuard<'_, Box<RequestState>> {
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
        crate::engine::diag::up(&crate::engine::diag::PENDING);
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

    /// An async `WinHttpReceiveResponse` while this request's `WinHttpSendRequest` is in flight (from
    /// its `SENDING_REQUEST` or `REQUEST_SENT` callback, or another thread): Windows accepts it and
    /// starts the receive once the send has completed. True when it was queued (once per send).
    pub fn queue_receive_after_send(&self) -> bool {
        let mut a = lock(&self.activity);
        if a.closing || a.pending != Some(API_SEND_REQUEST) || a.receive_queued {
            return false;
        }
        a.receive_queued = true;
        true
    }

    /// Takes the receive queued by [`Request::queue_receive_after_send`], if any.
    pub fn take_queued_receive(&self) -> bool {
        core::mem::take(&mut lock(&self.activity).receive_queued)
    }

    /// Ends the operation in flight (sync mode: nothing to deliver).
    pub fn end(&self) {
        self.settle(|a| {
            if a.pending.take().is_some() {
                crate::engine::diag::down(&crate::engine::diag::PENDING);
            }
        });
    }

    /// Ends the operation in flight and delivers its completion: the callback may start the next
    /// operation, and a close that arrives meanwhile sends `HANDLE_CLOSING` after the callback.
    pub fn end_and_deliver(&self, f: impl FnOnce()) {
        {
            let mut a = lock(&self.activity);
            if a.pending.take().is_some() {
                crate::engine::diag::down(&crate::engine::diag::PENDING);
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
    pub fn try_io(&self) -> Result<MutexGuard<'_, Lane>, DWORD> {
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

    pub fn io(&self) -> MutexGuard<'_, Lane> {
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

    /// The last final response, once `WinHttpReceiveResponse` has one.
    pub fn response(&self) -> Option<Arc<Response>> {
        lock(&self.response).clone()
    }

    /// The proxy configuration in force: the request's `WINHTTP_OPTION_PROXY`, else the session's,
    /// else what `WinHttpOpen` was given.
    pub fn proxy_config(&self) -> ProxyConfig {
        let own = self.state().proxy_override.clone();
        own.or_else(|| self.connect.session.state().proxy_override.clone())
            .unwrap_or_else(|| self.connect.session.proxy.clone())
    }

    /// How a connection to `target` goes: through the proxy that the configuration in force
    /// names for it (a CONNECT tunnel for HTTPS), or directly. Decided once per attempt.
    fn via(&self, target: &Target, own: Option<ProxyConfig>) -> (Via, Option<(String, String)>) {
        use std::borrow::Cow;
        let named = |p: &ProxyConfig| {
            proxy::ProxyConfig::named(p.proxy.as_deref().unwrap_or(""), p.bypass.as_deref().unwrap_or(""))
        };
        let session = &self.connect.session;
        let p = own.or_else(|| session.state().proxy_override.clone()).unwrap_or_else(|| session.proxy.clone());
        let endpoint_of = |found: &str| {
            let (host, port) = proxy::split_port(found.trim()).unwrap_or((found, None));
            Endpoint { host: host.to_string(), port: port.unwrap_or(80) }
        };
        // The desktop's settings (manual, PAC or WPAD) for AUTOMATIC_PROXY; see crate::pac::desktop.
        if p.access_type == WINHTTP_ACCESS_TYPE_AUTOMATIC_PROXY
            && let Some(choice) = crate::pac::desktop::automatic_proxy(&target.host, target.port)
        {
            return match choice {
                Some(found) if target.secure => (Via::Tunnel(endpoint_of(&found)), None),
                Some(found) => (Via::Proxy(endpoint_of(&found)), None),
                None => (Via::Direct, None),
            };
        }
        let config = match p.access_type {
            WINHTTP_ACCESS_TYPE_NAMED_PROXY => Some(Cow::Owned(named(&p))),
            WINHTTP_ACCESS_TYPE_DEFAULT_PROXY | WINHTTP_ACCESS_TYPE_AUTOMATIC_PROXY => match default_proxy() {
                Some(d) if d.access_type == WINHTTP_ACCESS_TYPE_NAMED_PROXY => Some(Cow::Owned(named(&d))),
                Some(_) => None,
                None => Some(Cow::Borrowed(session.env_proxy())),
            },
            _ => None,
        };
        let Some(config) = config else { return (Via::Direct, None) };
        let Some(found) = config.proxy_for(target.secure, &target.host, target.port) else {
            return (Via::Direct, None);
        };
        // Credentials written in the proxy's URL (`http://user:pass@proxy:port`).
        let userinfo = if target.secure { config.https_auth.clone() } else { config.http_auth.clone() };
        let (host, port) = proxy::split_port(found.trim()).unwrap_or((found.as_str(), None));
        let endpoint = Endpoint { host: host.to_string(), port: port.unwrap_or(80) };
        (if target.secure { Via::Tunnel(endpoint) } else { Via::Proxy(endpoint) }, userinfo)
    }

    /// Decides an attempt: adds the headers WinHTTP sends on its own (`Host`, `User-Agent`,
    /// `Connection`, and the body framing, so that queries after sending show them too),
    /// serializes the head for the route, and gathers the timeouts, limits and TLS parameters.
    /// `total` is the announced body length (`None`: unknown), `with_head` the bytes sent with it.
    pub fn plan(&self, total: Option<u64>, with_head: &[u8]) -> Result<Plan, DWORD> {
        let (target, settings, own_proxy, tls, disable, at_origin) = {
            let mut st = self.state();
            // HTTP/2 only over TLS (no h2c, as Windows), never for a WebSocket upgrade.
            let h2 = st.settings.enable_http_protocol & WINHTTP_PROTOCOL_FLAG_HTTP2 != 0 && !st.upgrade_to_websocket;
            let tls = TlsParams { ignore: st.security_flags, protocols: 0, client: st.client_cert.clone(), h2 };
            let (user, password) = (st.username.clone(), st.password.clone());
            st.server_auth.set_options(&user, &password);
            let at_origin = st.target.same_origin(&st.origin);
            (st.target.clone(), st.settings.clone(), st.proxy_override.clone(), tls, st.disable_feature, at_origin)
        };
        let auth_disabled = disable & WINHTTP_DISABLE_AUTHENTICATION != 0;
        let upgrade = self.state().upgrade_to_websocket;
        if upgrade && settings.websocket_send_buffer < 16 {
            // Windows' smallest WebSocket send buffer.
            return Err(ERROR_NOT_ENOUGH_MEMORY);
        }
        let keep_alive = disable & WINHTTP_DISABLE_KEEP_ALIVE == 0;
        let session = &self.connect.session;
        let (agent, max_conns, protocols, passport, tcp_keepalive) = {
            let s = session.state();
            (s.user_agent.clone(), s.max_conns_per_server, s.secure_protocols, s.passport, s.tcp_keepalive)
        };
        let (via, userinfo) = self.via(&target, own_proxy);
        {
            // The proxy options; without them, credentials written in the proxy's URL.
            let mut st = self.state();
            // WINHTTP_OPTION_AUTOLOGON_POLICY: the default credentials (Kerberos) for every server
            // (LOW), intranet ones only (MEDIUM, the default: a name without a dot, or loopback),
            // none (HIGH), or proxies only (PROXY_ONLY); proxies count as intranet.
            let policy = st.autologon_policy;
            let host = target.host.trim_start_matches('[').trim_end_matches(']');
            let loopback = host.eq_ignore_ascii_case("localhost")
                || host.parse::<std::net::IpAddr>().is_ok_and(|a| a.is_loopback());
            let intranet = !host.contains(['.', ':']) || loopback;
            st.server_auth.set_autologon(match policy {
                WINHTTP_AUTOLOGON_SECURITY_LEVEL_LOW => true,
                WINHTTP_AUTOLOGON_SECURITY_LEVEL_MEDIUM => intranet,
                _ => false,
            });
            st.proxy_auth.set_autologon(policy != WINHTTP_AUTOLOGON_SECURITY_LEVEL_HIGH);
            let (user, password) = match (&userinfo, st.proxy_username.is_empty()) {
                (Some((u, p)), true) => (u.clone(), p.clone()),
                _ => (st.proxy_username.clone(), st.proxy_password.clone()),
            };
            st.proxy_auth.set_options(&user, &password);
            if let Via::Proxy(p) | Via::Tunnel(p) = &via {
                st.proxy_host.clone_from(&p.host);
            }
        }
        let escaped: Arc<str> = if target.path.starts_with('/') && url::request_path_unchanged(&target.path, self.flags)
        {
            target.path.clone()
        } else {
            let escaped = url::escape_request_path(&target.path, self.flags);
            if escaped.starts_with('/') { escaped.into() } else { format!("/{escaped}").into() }
        };
        let request_uri: Arc<str> = match via {
            // Through a proxy, the request line carries the absolute URI.
            Via::Proxy(_) => Target { path: escaped, ..target.clone() }.url().into(),
            _ => escaped,
        };
        let (server_value, proxy_value) =
            if auth_disabled { (None, None) } else { self.auth_values(&target, &via, &request_uri, at_origin) };
        let connect_auth = if matches!(via, Via::Tunnel(_)) { proxy_value.clone() } else { None };
        // The session's cookies for this URL (no lock while the jar is empty), and the codings
        // WINHTTP_OPTION_DECOMPRESSION asks for.
        let cookies = disable & WINHTTP_DISABLE_COOKIES == 0;
        let jar_value = if cookies && session.has_cookies() {
            let path = origin_form(&request_uri);
            session.cookie_header(cookie::Url { secure: target.secure, host: &target.host, path })
        } else {
            None
        };
        let accept_encoding =
            (settings.decompression != 0).then(|| coding::accept_encoding(&coding::codings(settings.decompression)));
        let mut head = Vec::with_capacity(512);
        let mut websocket = None;
        let encoder = {
            let mut h = self.headers();
            if upgrade {
                // The handshake headers, with a new key for every attempt; visible to
                // WinHttpQueryHeaders from now on, as on Windows.
                let key = ws::handshake::Key::from_random(random_bytes());
                for (name, value) in ws::handshake::request_headers(&key) {
                    h.set(name, value);
                }
                let protocols: Vec<String> = h.get_all("Sec-WebSocket-Protocol").map(str::to_owned).collect();
                websocket = Some(ws::handshake::Offer::new(key, protocols.iter().map(String::as_str)));
            }
            if !h.contains("Connection") {
                h.push("Connection", if keep_alive { "Keep-Alive" } else { "close" });
            }
            if let Some(agent) = agent.filter(|a| !a.is_empty() && !a.contains(['\r', '\n']))
                && !h.contains("User-Agent")
            {
                h.push("User-Agent", agent);
            }
            let encoder = h1::frame_request(&mut h, &target.verb, total, with_head);
            let mut port = [0u8; 6];
            let (host, port) = target.host_header_parts(&mut port);
            h.set_parts("Host", &[&host, port]);
            // Credentials are not kept in the request headers: each leg decides its own, and a
            // header the caller added wins. The head is written from borrowed headers.
            let mut extra: Vec<(&str, String)> = Vec::new();
            if let Some(v) = server_value.filter(|_| !h.contains("Authorization")) {
                extra.push(("Authorization", v));
            }
            if let Some(v) = proxy_value.filter(|_| matches!(via, Via::Proxy(_)) && !h.contains("Proxy-Authorization"))
            {
                extra.push(("Proxy-Authorization", v));
            }
            if let Some(v) = accept_encoding.filter(|_| !h.contains("Accept-Encoding")) {
                extra.push(("Accept-Encoding", v));
            }
            // The jar's cookies: appended to the caller's first Cookie header, or a header of
            // their own (as Windows merges them; see proto::cookie::merge_cookie_header).
            let mut merged = None;
            if let Some(jar) = jar_value {
                match h.get("Cookie") {
                    Some(own) => merged = Some(cookie::merged_value(own, &jar)),
                    None => extra.push(("Cookie", jar)),
                }
            }
            let (major, minor) = settings.http_version;
            let version = h1::Version::parse(&self.version).unwrap_or(if (major, minor) == (1, 0) {
                h1::Version::Http10
            } else {
                h1::Version::Http11
            });
            let extra = extra.iter().map(|(n, v)| (*n, v.as_str()));
            match merged.as_deref() {
                None => {
                    h1::write_request_head_from(&mut head, &target.verb, &request_uri, version, h.pairs().chain(extra))
                }
                Some(merged) => {
                    // The caller's first Cookie header carries the merged value.
                    let first = h.pairs().position(|(n, _)| n.eq_ignore_ascii_case("Cookie"));
                    let pairs = h
                        .pairs()
                        .enumerate()
                        .map(move |(i, (n, v))| if Some(i) == first { (n, merged) } else { (n, v) })
                        .chain(extra);
                    h1::write_request_head_from(&mut head, &target.verb, &request_uri, version, pairs)
                }
            }
            .map_err(|e| e.code())?;
            encoder
        };
        let secure = target.secure;
        let (server_credentials, proxy_credentials) = {
            let st = self.state();
            (at_origin && st.server_auth.has_credentials(), via != Via::Direct && st.proxy_auth.has_credentials())
        };
        Ok(Plan {
            request_uri,
            connect_auth,
            route: Route { secure: target.secure, host: target.host.clone(), port: target.port, via },
            target,
            head,
            encoder,
            timeouts: settings.timeouts,
            is_async: session.is_async(),
            max_conns,
            keep_alive,
            tls: secure.then_some(TlsParams { protocols, ..tls }),
            max_head: (settings.max_response_header_size as usize).max(1),
            max_interim: settings.max_status_continue,
            max_redirects: settings.max_redirects,
            max_drain: u64::from(settings.max_response_drain_size),
            policy: Policy {
                redirect_policy: settings.redirect_policy,
                redirects_disabled: disable & WINHTTP_DISABLE_REDIRECTS != 0,
                body_replayable: false,
                auth_disabled,
                server_credentials,
                proxy_credentials,
                reject_userpwd: settings.reject_userpwd_in_url != 0,
            },
            passport,
            cookies,
            decompression: settings.decompression,
            decompression_ratio: settings.decompression_ratio,
            tcp_keepalive,
            websocket,
            h2_keepalive: settings.http2_keepalive,
            h2_no_queue: settings.disable_stream_queue,
        })
    }
}

/// The path and query of a request-target (`http://host:port/path?q`, as written through a
/// proxy, gives `/path?q`).
fn origin_form(uri: &str) -> &str {
    if uri.starts_with('/') {
        return uri;
    }
    let rest = uri.split_once("://").map_or(uri, |(_, r)| r);
    rest.find('/').map_or("/", |i| &rest[i..])
}

/// `N` bytes from the system's random source (a WebSocket key).
fn random_bytes<const N: usize>() -> [u8; N] {
    use ring::rand::SecureRandom;
    let mut b = [0u8; N];
    ring::rand::SystemRandom::new().fill(&mut b).expect("the system random source");
    b
}

/// The state machine for `scheme` towards `host` (`None` credentials: the default ones, which
/// only Negotiate can use here, through Kerberos).
fn authenticator(
    scheme: Scheme,
    creds: Option<&Credentials>,
    host: &str,
) -> Result<Box<dyn Authenticator>, auth::AuthError> {
    use crate::engine::transport::gssapi;
    use auth::{SystemEntropy, TokenAuth, digest::Digest, ntlm::Ntlm};
    let explicit = || creds.cloned().ok_or(auth::AuthError::Unsupported("no default credentials".into()));
    Ok(match scheme {
        Scheme::Basic => Box::new(auth::basic::Basic::new(explicit()?)),
        Scheme::Digest => Box::new(Digest::new(explicit()?, Box::new(SystemEntropy))),
        Scheme::Ntlm => {
            let ntlm = Ntlm::new(explicit()?, "", Box::new(SystemEntropy), Ntlm::filetime_now());
            Box::new(TokenAuth::new(scheme, Box::new(ntlm)))
        }
        Scheme::Negotiate => Box::new(TokenAuth::new(scheme, gssapi::negotiate(host, creds.cloned())?)),
        Scheme::Passport => return Err(auth::AuthError::Unsupported("Passport".into())),
    })
}

impl Request {
    /// The `Authorization` and `Proxy-Authorization` values of the next leg: the server's only
    /// to the origin its credentials were given for, the proxy's only to the proxy (for a tunnel,
    /// on its CONNECT, never inside it).
    fn auth_values(&self, target: &Target, via: &Via, uri: &str, at_origin: bool) -> (Option<String>, Option<String>) {
        let mut st = self.state();
        let info = RequestInfo { method: &target.verb, uri };
        let server =
            if at_origin { st.server_auth.next_value(&info, &|s, c| authenticator(s, c, &target.host)) } else { None };
        let proxy = match via {
            Via::Direct => None,
            Via::Proxy(p) => st.proxy_auth.next_value(&info, &|s, c| authenticator(s, c, &p.host)),
            Via::Tunnel(p) => {
                let authority = target.authority();
                let info = RequestInfo { method: "CONNECT", uri: &authority };
                st.proxy_auth.next_value(&info, &|s, c| authenticator(s, c, &p.host))
            }
        };
        (server, proxy)
    }

    /// `WinHttpSetCredentials`: `proxy` picks the target; `creds` `None` for the default ones.
    pub fn set_credentials(&self, proxy: bool, scheme: Scheme, creds: Option<Credentials>) {
        let mut st = self.state();
        let client = if proxy { &mut st.proxy_auth } else { &mut st.server_auth };
        client.set_credentials(scheme, creds);
    }
}

impl Owner for Request {
    fn notify(&self, status: DWORD, payload: Payload<'_>) {
        match payload {
            // SAFETY: a NULL payload.
            Payload::None => unsafe { self.core.notify(status, core::ptr::null_mut(), 0) },
            Payload::Dword(v) => {
                let mut v = v;
                // SAFETY: `v` lives for the duration of the call.
                unsafe { self.core.notify(status, (&raw mut v).cast(), core::mem::size_of::<DWORD>() as DWORD) }
            }
            Payload::Str(s) => {
                // In the units of the callback's registration (`WinHttpSetStatusCallback_u16`: UTF-16).
                fn units<C: crate::proto::wide::CodeUnit>(s: &str) -> (Vec<C>, DWORD) {
                    let mut units: Vec<C> = crate::proto::wide::encode(s);
                    units.push(C::from_u32(0));
                    let len = (units.len() * C::BYTES) as DWORD;
                    (units, len)
                }
                if self.core.callback.get().utf16 {
                    let (mut u, len) = units::<u16>(s);
                    // SAFETY: `u` lives for the duration of the call.
                    unsafe { self.core.notify(status, u.as_mut_ptr().cast(), len) }
                } else {
                    let (mut u, len) = units::<WCHAR>(s);
                    // SAFETY: `u` lives for the duration of the call.
                    unsafe { self.core.notify(status, u.as_mut_ptr().cast(), len) }
                }
            }
        }
    }

    fn cancel(&self) -> &Cancel {
        &self.cancel
    }

    fn connected(&self, stream: &Stream) {
        let mut st = self.state();
        st.connection = Some((stream.local, stream.peer));
        st.tls = stream.tls_info.clone();
        st.http2 = false;
    }

    fn attached(&self, local: SocketAddr, peer: SocketAddr, tls: Option<Arc<crate::engine::transport::tls::Info>>) {
        let mut st = self.state();
        st.connection = Some((local, peer));
        st.tls = tls;
        st.http2 = true;
    }

    fn redirect(&self, next: &Target, keep_body: bool, body: &[u8]) -> Result<Plan, DWORD> {
        {
            let mut st = self.state();
            if st.original_url.is_none() {
                st.original_url = Some(st.target.url());
            }
            let from = std::mem::replace(&mut st.target, next.clone());
            drop(st);
            crate::proto::followup::redirect_headers(&mut self.headers(), &from, next, keep_body);
        }
        self.plan(Some(body.len() as u64), body)
    }

    fn set_trailers(&self, trailers: Vec<(String, String)>) {
        self.state().trailers = trailers;
    }

    fn set_response(&self, response: Response) {
        {
            // An answer that is not a challenge from a target settles that target's exchange.
            let mut st = self.state();
            if response.status != 401 {
                st.server_auth.settled();
            }
            if response.status != 407 {
                st.proxy_auth.settled();
            }
            st.trailers.clear();
        }
        *lock(&self.response) = Some(Arc::new(response));
    }

    fn handle(&self) -> HINTERNET {
        self.core.handle()
    }

    fn challenged(&self, proxy: bool, response: &Response, uri: &str) -> bool {
        let name = if proxy { "Proxy-Authenticate" } else { "WWW-Authenticate" };
        let challenges = auth::challenge::parse_all(response.headers.get_all(name));
        let mut st = self.state();
        // A 407 to a tunnel's CONNECT (its request-target the authority) was for that CONNECT.
        let verb =
            if proxy && uri == st.target.authority() { "CONNECT".to_string() } else { st.target.verb.to_string() };
        let info = RequestInfo { method: &verb, uri };
        let host = if proxy { st.proxy_host.clone() } else { st.target.host.to_string() };
        let client = if proxy { &mut st.proxy_auth } else { &mut st.server_auth };
        client.challenge(&challenges, &info, &|s, c| authenticator(s, c, &host))
    }

    fn resend(&self, body: &[u8]) -> Result<Plan, DWORD> {
        self.plan(Some(body.len() as u64), body)
    }

    fn set_cookies(&self, headers: &HeaderList, target: &Target, uri: &str) {
        let url = cookie::Url { secure: target.secure, host: &target.host, path: origin_form(uri) };
        self.connect.session.store_cookies(headers.get_all("Set-Cookie"), url);
    }

    fn mark(&self, entry: WINHTTP_REQUEST_TIME_ENTRY) {
        self.metrics.mark(entry);
    }

    fn step_begins(&self) {
        self.metrics.step_begins();
    }

    fn count(&self, entry: WINHTTP_REQUEST_STAT_ENTRY, n: u64) {
        self.metrics.count(entry, n);
    }

    fn uses(&self, guid: [u8; 16], index: u32, resumed: bool) {
        self.metrics.connection(guid, index, resumed);
    }
}
