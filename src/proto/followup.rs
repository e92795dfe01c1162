//! What follows a final response head: deliver it to the caller, or follow a redirect. A pure
//! function of the response, where the request is going and the request's policy, so each rule
//! is unit-tested here; the engine only carries the decision out: deliver it, follow a redirect,
//! or answer an authentication challenge (a 401 from the server, a 407 from the proxy) when the
//! request has credentials for that target. (Cookies will be decided here too.)

use crate::abi::*;
use crate::proto::headers::HeaderList;
use crate::proto::url;

/// Where a request goes: scheme, server, port, object name and verb (the connect handle's
/// server until a redirect moves it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub secure: bool,
    pub host: std::sync::Arc<str>,
    pub port: u16,
    /// The object name: path and query, as given (escaped when the head is written).
    pub path: std::sync::Arc<str>,
    pub verb: std::sync::Arc<str>,
}

/// ":port", written into `buf` (written by hand: `format!` costs about as much as the rest of a
/// request's head).
fn port_suffix(port: u16, buf: &mut [u8; 6]) -> &str {
    let mut n = port;
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    i -= 1;
    buf[i] = b':';
    // SAFETY: ASCII digits and a colon.
    unsafe { core::str::from_utf8_unchecked(&buf[i..]) }
}

impl Target {
    /// The URL of the target, as `WINHTTP_OPTION_URL` and the `REDIRECT` notification report it.
    pub fn url(&self) -> String {
        let (scheme, default) = if self.secure { ("https", 443) } else { ("http", 80) };
        let host = self.bracketed_host();
        let slash = if self.path.starts_with('/') { "" } else { "/" };
        let path = &self.path;
        if self.port == default {
            format!("{scheme}://{host}{slash}{path}")
        } else {
            format!("{scheme}://{host}:{}{slash}{path}", self.port)
        }
    }

    fn bracketed_host(&self) -> std::borrow::Cow<'_, str> {
        if self.host.contains(':') && !self.host.starts_with('[') {
            format!("[{}]", self.host).into()
        } else {
            (*self.host).into()
        }
    }

    /// The `Host` header value: the port only when it is not the scheme's default (the request
    /// writes it from [`Target::host_header_parts`]; this whole value is for the tests).
    #[cfg(test)]
    pub fn host_header(&self) -> std::borrow::Cow<'_, str> {
        let default = if self.secure { 443 } else { 80 };
        if self.port == default {
            return self.bracketed_host();
        }
        let mut buf = [0u8; 6];
        let port = port_suffix(self.port, &mut buf);
        format!("{}{port}", self.bracketed_host()).into()
    }

    /// The `Host` header value in two parts, the host and `:port` (empty for the scheme's
    /// default port), the port written into `buf`: no allocation for the usual host.
    pub fn host_header_parts<'a>(&'a self, buf: &'a mut [u8; 6]) -> (std::borrow::Cow<'a, str>, &'a str) {
        let default = if self.secure { 443 } else { 80 };
        let port = if self.port == default { "" } else { port_suffix(self.port, buf) };
        (self.bracketed_host(), port)
    }

    /// `host:port` as a CONNECT request names it.
    pub fn authority(&self) -> String {
        let mut buf = [0u8; 6];
        let host = self.bracketed_host();
        let port = port_suffix(self.port, &mut buf);
        let mut out = String::with_capacity(host.len() + port.len());
        out.push_str(&host);
        out.push_str(port);
        out
    }

    /// True when `other` is the same origin (scheme, host, port).
    pub fn same_origin(&self, other: &Target) -> bool {
        self.secure == other.secure && self.host.eq_ignore_ascii_case(&other.host) && self.port == other.port
    }
}

/// The request's policy for what follows a response.
#[derive(Clone, Copy, Debug)]
pub struct Policy {
    /// `WINHTTP_OPTION_REDIRECT_POLICY_*`.
    pub redirect_policy: DWORD,
    /// `WINHTTP_DISABLE_REDIRECTS` was set.
    pub redirects_disabled: bool,
    /// The body can be sent again (all of it was given to `WinHttpSendRequest`).
    pub body_replayable: bool,
    /// `WINHTTP_DISABLE_AUTHENTICATION` was set: challenges go back to the caller.
    pub auth_disabled: bool,
    /// The request has credentials for the server (from `WinHttpSetCredentials` or the options),
    /// and the current target is the origin they were given for.
    pub server_credentials: bool,
    /// The request has credentials for the proxy it goes through.
    pub proxy_credentials: bool,
    /// `WINHTTP_OPTION_REJECT_USERPWD_IN_URL`: a redirect to a URL with user info (even an empty
    /// `u:@`, `:p@`, `:@`) fails with `ERROR_WINHTTP_INVALID_URL`.
    pub reject_userpwd: bool,
}

/// What to do with a final response head.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Followup {
    /// Hand it to the caller.
    Deliver,
    /// Drain its body and send the request to `next`; `keep_body` for 307/308 (the body is sent
    /// again), otherwise the body and its `Content-Type` are dropped.
    Redirect { next: Target, keep_body: bool },
    /// The redirect's `Location` cannot be followed (`ERROR_WINHTTP_REDIRECT_FAILED`).
    Fail(DWORD),
    /// A 401 (`proxy` false) or 407 (`proxy` true) the request has credentials for: the scheme's
    /// state machine decides the answer; then the body is drained and the request sent again by
    /// itself when its body can be replayed (`replay`), else `WinHttpReceiveResponse` fails with
    /// `ERROR_WINHTTP_RESEND_REQUEST` and the caller sends it again (a body streamed with
    /// `WinHttpWriteData` cannot be replayed by WinHTTP).
    Challenge { proxy: bool, replay: bool },
}

/// Decides what follows a final response (`status`, `headers`) to a request for `current`.
pub fn decide(status: u16, headers: &HeaderList, current: &Target, policy: Policy) -> Followup {
    let replay = policy.body_replayable;
    match status {
        401 if !policy.auth_disabled && policy.server_credentials => {
            return Followup::Challenge { proxy: false, replay };
        }
        407 if !policy.auth_disabled && policy.proxy_credentials => return Followup::Challenge { proxy: true, replay },
        _ => {}
    }
    if policy.redirects_disabled
        || !matches!(status, 301 | 302 | 303 | 307 | 308)
        || policy.redirect_policy == WINHTTP_OPTION_REDIRECT_POLICY_NEVER
    {
        return Followup::Deliver;
    }
    let Some(location) = headers.get("Location") else { return Followup::Deliver };
    let next_url = resolve_location(current, location.trim());
    let Ok(cracked) = url::crack_str(&next_url, 0) else { return Followup::Fail(ERROR_WINHTTP_REDIRECT_FAILED) };
    if policy.reject_userpwd && url::crack_str(&next_url, ICU_REJECT_USERPWD).is_err() {
        return Followup::Fail(ERROR_WINHTTP_INVALID_URL);
    }
    if current.secure
        && !cracked.is_secure()
        && policy.redirect_policy == WINHTTP_OPTION_REDIRECT_POLICY_DISALLOW_HTTPS_TO_HTTP
    {
        return Followup::Deliver;
    }
    let keep_body = matches!(status, 307 | 308);
    if keep_body && !policy.body_replayable {
        return Followup::Deliver;
    }
    let verb = match status {
        303 if &*current.verb != "HEAD" => "GET".into(),
        301 | 302 if &*current.verb == "POST" => "GET".into(),
        _ => current.verb.clone(),
    };
    let next = Target {
        secure: cracked.is_secure(),
        host: cracked.host.trim_start_matches('[').trim_end_matches(']').into(),
        port: cracked.port,
        path: cracked.object_name().into(),
        verb,
    };
    Followup::Redirect { next, keep_body }
}

/// The request headers for the redirected request: the body's `Content-Type` goes when the body
/// does, and credentials and cookies meant for one server never follow a redirect to another.
pub fn redirect_headers(headers: &mut HeaderList, from: &Target, to: &Target, keep_body: bool) {
    if !keep_body {
        headers.remove("Content-Type");
    }
    if !from.same_origin(to) {
        headers.remove("Authorization");
        headers.remove("Cookie");
    }
}

/// Resolves a `Location` value against the current target (absolute, scheme-relative,
/// absolute-path or relative).
pub fn resolve_location(current: &Target, location: &str) -> String {
    let lower = location.to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") || location.contains("://") {
        return location.to_string();
    }
    let scheme = if current.secure { "https" } else { "http" };
    if let Some(rest) = location.strip_prefix("//") {
        return format!("{scheme}://{rest}");
    }
    let base = Target { path: "".into(), ..current.clone() }.url();
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

#[cfg(test)]
mod tests {
    use super::*;

    fn target(verb: &str) -> Target {
        Target { secure: false, host: "a.test".into(), port: 80, path: "/dir/page?q=1".into(), verb: verb.into() }
    }

    fn policy() -> Policy {
        Policy {
            redirect_policy: WINHTTP_OPTION_REDIRECT_POLICY_DISALLOW_HTTPS_TO_HTTP,
            redirects_disabled: false,
            body_replayable: true,
            auth_disabled: false,
            server_credentials: false,
            proxy_credentials: false,
            reject_userpwd: false,
        }
    }

    #[test]
    fn user_info_in_a_location_is_refused_when_asked() {
        let t = target("GET");
        for l in ["http://u:p@b.test/", "http://:@b.test/x", "http://u:@b.test/", "http://:p@b.test/"] {
            let p = Policy { reject_userpwd: true, ..policy() };
            assert!(matches!(decide(302, &location(l), &t, p), Followup::Fail(ERROR_WINHTTP_INVALID_URL)), "{l}");
            assert!(matches!(decide(302, &location(l), &t, policy()), Followup::Redirect { .. }), "{l}");
        }
        let p = Policy { reject_userpwd: true, ..policy() };
        assert!(matches!(decide(302, &location("http://b.test/ok"), &t, p), Followup::Redirect { .. }));
    }

    fn location(l: &str) -> HeaderList {
        let mut h = HeaderList::default();
        h.push("Location", l);
        h
    }

    #[test]
    fn non_redirects_and_redirects_without_location_are_delivered() {
        assert_eq!(decide(200, &location("/x"), &target("GET"), policy()), Followup::Deliver);
        assert_eq!(decide(302, &HeaderList::default(), &target("GET"), policy()), Followup::Deliver);
        assert_eq!(decide(304, &location("/x"), &target("GET"), policy()), Followup::Deliver);
    }

    #[test]
    fn verbs_change_as_windows_changes_them() {
        let verb = |status, v: &str| match decide(status, &location("/x"), &target(v), policy()) {
            Followup::Redirect { next, .. } => next.verb.to_string(),
            other => panic!("{other:?}"),
        };
        assert_eq!(verb(301, "POST"), "GET");
        assert_eq!(verb(302, "POST"), "GET");
        assert_eq!(verb(302, "PUT"), "PUT");
        assert_eq!(verb(303, "PUT"), "GET");
        assert_eq!(verb(303, "HEAD"), "HEAD");
        assert_eq!(verb(307, "POST"), "POST");
        assert_eq!(verb(308, "PUT"), "PUT");
    }

    #[test]
    fn policies_and_replayability() {
        let mut p = policy();
        p.redirect_policy = WINHTTP_OPTION_REDIRECT_POLICY_NEVER;
        assert_eq!(decide(302, &location("/x"), &target("GET"), p), Followup::Deliver);
        let mut p = policy();
        p.redirects_disabled = true;
        assert_eq!(decide(302, &location("/x"), &target("GET"), p), Followup::Deliver);
        let mut p = policy();
        p.body_replayable = false;
        assert_eq!(decide(307, &location("/x"), &target("POST"), p), Followup::Deliver);
        assert!(matches!(decide(302, &location("/x"), &target("POST"), p), Followup::Redirect { .. }));
        let secure = Target { secure: true, port: 443, ..target("GET") };
        assert_eq!(decide(302, &location("http://b.test/"), &secure, policy()), Followup::Deliver);
        let mut p = policy();
        p.redirect_policy = WINHTTP_OPTION_REDIRECT_POLICY_ALWAYS;
        assert!(matches!(decide(302, &location("http://b.test/"), &secure, p), Followup::Redirect { .. }));
        assert_eq!(
            decide(302, &location("ftp://b.test/"), &target("GET"), policy()),
            Followup::Fail(ERROR_WINHTTP_REDIRECT_FAILED)
        );
    }

    #[test]
    fn challenges_are_answered_only_with_credentials_for_their_target() {
        let h = HeaderList::default();
        let t = target("POST");
        // No credentials: the 401 and the 407 go to the caller.
        assert_eq!(decide(401, &h, &t, policy()), Followup::Deliver);
        assert_eq!(decide(407, &h, &t, policy()), Followup::Deliver);
        let mut p = policy();
        p.server_credentials = true;
        assert_eq!(decide(401, &h, &t, p), Followup::Challenge { proxy: false, replay: true });
        // Server credentials never answer the proxy.
        assert_eq!(decide(407, &h, &t, p), Followup::Deliver);
        p.proxy_credentials = true;
        assert_eq!(decide(407, &h, &t, p), Followup::Challenge { proxy: true, replay: true });
        // A streamed body: the caller must send again.
        p.body_replayable = false;
        assert_eq!(decide(401, &h, &t, p), Followup::Challenge { proxy: false, replay: false });
        // WINHTTP_DISABLE_AUTHENTICATION: delivered.
        p.auth_disabled = true;
        assert_eq!(decide(401, &h, &t, p), Followup::Deliver);
        assert_eq!(decide(407, &h, &t, p), Followup::Deliver);
        // Other statuses are not challenges.
        let mut p = policy();
        p.server_credentials = true;
        assert_eq!(decide(403, &h, &t, p), Followup::Deliver);
        assert_eq!(decide(200, &h, &t, p), Followup::Deliver);
    }

    #[test]
    fn locations_resolve_against_the_current_target() {
        let t = target("GET");
        assert_eq!(resolve_location(&t, "http://b.test/x"), "http://b.test/x");
        assert_eq!(resolve_location(&t, "//b.test/x"), "http://b.test/x");
        assert_eq!(resolve_location(&t, "/x"), "http://a.test/x");
        assert_eq!(resolve_location(&t, "x"), "http://a.test/dir/x");
        let v6 = Target { host: "::1".into(), port: 8080, ..t };
        assert_eq!(v6.url(), "http://[::1]:8080/dir/page?q=1");
        assert_eq!(v6.host_header(), "[::1]:8080");
        assert_eq!(v6.authority(), "[::1]:8080");
        for (port, text) in [(1, "a.test:1"), (10, "a.test:10"), (65535, "a.test:65535"), (80, "a.test")] {
            let t = Target { port, ..target("GET") };
            assert_eq!(t.host_header(), text);
            assert_eq!(t.authority(), format!("a.test:{port}"));
        }
    }

    #[test]
    fn credentials_stay_with_their_origin() {
        let from = target("POST");
        let mut h = HeaderList::default();
        h.push("Authorization", "Basic x");
        h.push("Cookie", "a=b");
        h.push("Content-Type", "text/plain");
        redirect_headers(&mut h, &from, &Target { path: "/y".into(), ..from.clone() }, true);
        assert_eq!(h.len(), 3);
        redirect_headers(&mut h, &from, &Target { host: "b.test".into(), ..from.clone() }, false);
        assert_eq!(h.len(), 0);
    }
}
