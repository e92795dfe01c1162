//! Proxy selection, sans I/O: WinHTTP's proxy list and bypass list (`WinHttpOpen` with
//! `WINHTTP_ACCESS_TYPE_NAMED_PROXY`), and the conventional `http_proxy` / `https_proxy` /
//! `no_proxy` environment variables (the default proxy on Linux and macOS).
//!
//! The two bypass lists follow different conventions, kept apart as distinct [`Bypass`] variants:
//!
//! - WinHTTP's list: entries separated by `;` or whitespace (`,` is accepted too). `<local>` means
//!   names without a dot, `*` everything; any other entry is a case-insensitive pattern for the
//!   whole host name, in which `*` stands for any run of characters, dots included (`10.*`,
//!   `*.corp.example`, `a*b`). An entry without `*` matches that host only, not its subdomains.
//!   `host:port` or `[v6]:port` matches only requests to that port; without a port, any port.
//! - `no_proxy` (curl and wget): entries separated by `,` or whitespace (`;` is accepted too). `*`
//!   means everything; `example.com` and `.example.com` (and, leniently, `*.example.com`) all
//!   match `example.com` and every name below it. No other wildcards; a port restricts the entry
//!   as above. Loopback names and addresses always go direct.

/// Which proxy to use for which scheme, and which hosts go direct.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProxyConfig {
    /// Proxy for http:// URLs ("host:port").
    pub http: Option<String>,
    /// Proxy for https:// URLs ("host:port").
    pub https: Option<String>,
    /// User name and password given with the http:// proxy (`http://user:pass@host:port`),
    /// percent-decoded, for proxy authentication.
    pub http_auth: Option<(String, String)>,
    /// The same for the https:// proxy.
    pub https_auth: Option<(String, String)>,
    /// Bypass rules.
    pub bypass: Vec<Bypass>,
}

/// One bypass rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Bypass {
    /// `<local>` (WinHTTP): host names without a dot.
    Local,
    /// `*`: everything.
    All,
    /// A WinHTTP entry: a lower-case glob for the whole host name, and the port it is limited to.
    Pattern { glob: String, port: Option<u16> },
    /// A `no_proxy` entry: a lower-case domain matching itself and its subdomains, and the port.
    Domain { domain: String, port: Option<u16> },
}

impl Bypass {
    /// Whether the rule sends `host` (lower case, no brackets) on `port` direct.
    fn matches(&self, host: &str, port: u16) -> bool {
        let port_ok = |p: &Option<u16>| p.is_none_or(|p| p == port);
        match self {
            Bypass::Local => !host.contains(['.', ':']),
            Bypass::All => true,
            Bypass::Pattern { glob: g, port: p } => port_ok(p) && glob(g, host),
            Bypass::Domain { domain, port: p } => {
                port_ok(p)
                    && host.strip_suffix(domain.as_str()).is_some_and(|rest| rest.is_empty() || rest.ends_with('.'))
            }
        }
    }
}

/// Case-insensitive (ASCII) match of `text` against `pattern`, where `*` is any run of characters.
fn glob(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    let (mut i, mut j) = (0, 0);
    // After a `*`: where the pattern resumes, and where the text resumes if that attempt fails.
    let mut retry = None;
    while j < t.len() {
        if p.get(i) == Some(&b'*') {
            i += 1;
            retry = Some((i, j + 1));
        } else if p.get(i).is_some_and(|c| c.eq_ignore_ascii_case(&t[j])) {
            i += 1;
            j += 1;
        } else if let Some((ri, rj)) = retry {
            // Let the last `*` take one more character.
            (i, j) = (ri, rj);
            retry = Some((ri, rj + 1));
        } else {
            return false;
        }
    }
    p[i..].iter().all(|&c| c == b'*')
}

/// Splits `host:port`, `[v6]:port` or `[v6]` into the host (no brackets) and the port; a bare IPv6
/// address (several colons) has no port. `None` for a malformed entry.
pub fn split_port(entry: &str) -> Option<(&str, Option<u16>)> {
    let (host, port) = if let Some(rest) = entry.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        (host, if after.is_empty() { None } else { Some(after.strip_prefix(':')?) })
    } else {
        match entry.split_once(':') {
            Some((host, port)) if !port.contains(':') => (host, Some(port)),
            _ => (entry, None),
        }
    };
    let port = port.map(str::parse::<u16>).transpose().ok()?;
    (!host.is_empty()).then_some((host, port))
}

/// WinHTTP's bypass list.
fn parse_winhttp_bypass(s: &str) -> Vec<Bypass> {
    let entries = s.split([';', ',']).flat_map(str::split_whitespace);
    entries
        .filter_map(|e| match e {
            "*" => Some(Bypass::All),
            e if e.eq_ignore_ascii_case("<local>") => Some(Bypass::Local),
            e => split_port(e).map(|(host, port)| Bypass::Pattern { glob: host.to_ascii_lowercase(), port }),
        })
        .collect()
}

/// A `no_proxy` list.
fn parse_env_bypass(s: &str) -> Vec<Bypass> {
    let entries = s.split([',', ';']).flat_map(str::split_whitespace);
    entries
        .filter_map(|e| match e {
            "*" => Some(Bypass::All),
            e => split_port(e).and_then(|(host, port)| {
                let domain = host.strip_prefix("*.").unwrap_or(host).trim_start_matches('.').to_ascii_lowercase();
                (!domain.is_empty()).then_some(Bypass::Domain { domain, port })
            }),
        })
        .collect()
}

/// Decodes `%XX` escapes (as UTF-8, lossily); a `%` without two hex digits stays.
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = b.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok());
        match hex {
            Some(v) if b[i] == b'%' => {
                out.push(v);
                i += 3;
            }
            _ => {
                out.push(b[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A proxy address: strips an optional `http://` prefix, a path, and the userinfo, which it
/// returns separately (user, password). Another scheme (`socks5://`) is kept whole, so that
/// connecting to it fails rather than going direct.
fn clean(addr: &str) -> Option<(String, Option<(String, String)>)> {
    let a = addr.trim();
    let a = match a.split_once("://") {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("http") => rest,
        Some(_) => return Some((a.trim_end_matches('/').to_string(), None)),
        None => a,
    };
    let a = a.split('/').next().unwrap_or(a);
    let (auth, a) = match a.rsplit_once('@') {
        Some((userinfo, host)) => {
            let (user, pass) = userinfo.split_once(':').unwrap_or((userinfo, ""));
            (Some((percent_decode(user), percent_decode(pass))), host)
        }
        None => (None, a),
    };
    (!a.is_empty()).then(|| (a.to_string(), auth))
}

impl ProxyConfig {
    /// Parses WinHTTP's proxy list ("host:port", "http=host:port;https=host:port", entries
    /// separated by `;` or whitespace) and bypass list (see the module documentation).
    pub fn named(list: &str, bypass: &str) -> Self {
        let mut c = ProxyConfig { bypass: parse_winhttp_bypass(bypass), ..ProxyConfig::default() };
        for entry in list.split(';').flat_map(str::split_whitespace) {
            let (http, https) = match entry.split_once('=') {
                Some((scheme, addr)) if scheme.eq_ignore_ascii_case("http") => (clean(addr), None),
                Some((scheme, addr)) if scheme.eq_ignore_ascii_case("https") => (None, clean(addr)),
                Some(_) => continue,
                None => (clean(entry), clean(entry)),
            };
            if c.http.is_none()
                && let Some((addr, auth)) = http
            {
                (c.http, c.http_auth) = (Some(addr), auth);
            }
            if c.https.is_none()
                && let Some((addr, auth)) = https
            {
                (c.https, c.https_auth) = (Some(addr), auth);
            }
        }
        c
    }

    /// Reads `http_proxy`, `https_proxy` and `no_proxy` from the process environment.
    pub fn from_env() -> Self {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// Reads `http_proxy`, `https_proxy` and `no_proxy` through `var` (lower case first, then
    /// upper case). Loopback names and addresses always go direct.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Self {
        let var = |name: &str| var(name).or_else(|| var(&name.to_ascii_uppercase())).filter(|v| !v.trim().is_empty());
        let (http, http_auth) = var("http_proxy").and_then(|v| clean(&v)).unzip();
        let (https, https_auth) = var("https_proxy").and_then(|v| clean(&v)).unzip();
        let mut bypass = parse_env_bypass("localhost,127.0.0.1,::1");
        bypass.extend(var("no_proxy").map(|v| parse_env_bypass(&v)).unwrap_or_default());
        ProxyConfig { http, https, http_auth: http_auth.flatten(), https_auth: https_auth.flatten(), bypass }
    }

    /// The environment's proxy settings written as WinHTTP writes them in `WINHTTP_PROXY_INFO`:
    /// the proxy list ("host:port", or "http=a:1;https=b:2" when they differ) and the bypass list
    /// (`no_proxy`, `;`-separated). `None` when no proxy is set.
    pub fn env_strings(var: impl Fn(&str) -> Option<String>) -> Option<(String, Option<String>)> {
        let var = |name: &str| var(name).or_else(|| var(&name.to_ascii_uppercase())).filter(|v| !v.trim().is_empty());
        let http = var("http_proxy").and_then(|v| clean(&v)).map(|(a, _)| a);
        let https = var("https_proxy").and_then(|v| clean(&v)).map(|(a, _)| a);
        let list = match (http, https) {
            (None, None) => return None,
            (Some(h), None) => format!("http={h}"),
            (None, Some(s)) => format!("https={s}"),
            (Some(h), Some(s)) if h == s => h,
            (Some(h), Some(s)) => format!("http={h};https={s}"),
        };
        let bypass = var("no_proxy")
            .map(|v| v.split([',', ';', ' ']).map(str::trim).filter(|e| !e.is_empty()).collect::<Vec<_>>().join(";"));
        Some((list, bypass.filter(|b| !b.is_empty())))
    }

    /// Whether the bypass rules send `host` on `port` direct (`WinHttpIsHostInProxyBypassList`).
    pub fn bypasses(&self, host: &str, port: u16) -> bool {
        let host = host.trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase();
        self.bypass.iter().any(|b| b.matches(&host, port))
    }

    /// The proxy for a request to `host:port`, or `None` to go direct.
    pub fn proxy_for(&self, secure: bool, host: &str, port: u16) -> Option<String> {
        let proxy = if secure { self.https.as_ref() } else { self.http.as_ref() }?;
        let host = host.trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase();
        let bypassed = self.bypass.iter().any(|b| b.matches(&host, port));
        (!bypassed).then(|| proxy.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: Option<&str> = Some("p:1");

    /// How a plain-HTTP request to `host:port` goes with a named proxy and this bypass list.
    fn named(bypass: &str, host: &str, port: u16) -> Option<String> {
        ProxyConfig::named("p:1", bypass).proxy_for(false, host, port)
    }

    #[test]
    fn env_strings_in_winhttp_syntax() {
        let vars = |v: &'static [(&'static str, &'static str)]| {
            move |n: &str| v.iter().find(|(k, _)| *k == n).map(|(_, x)| x.to_string())
        };
        assert_eq!(ProxyConfig::env_strings(vars(&[])), None);
        assert_eq!(
            ProxyConfig::env_strings(vars(&[("http_proxy", "http://p:1/"), ("https_proxy", "p:1")])),
            Some(("p:1".into(), None))
        );
        assert_eq!(
            ProxyConfig::env_strings(vars(&[("HTTP_PROXY", "a:1"), ("https_proxy", "b:2"), ("no_proxy", "x, .y")])),
            Some(("http=a:1;https=b:2".into(), Some("x;.y".into())))
        );
        assert_eq!(ProxyConfig::env_strings(vars(&[("http_proxy", "a:1")])), Some(("http=a:1".into(), None)));
    }

    /// A configuration from these environment variables (and no others).
    fn env(vars: &[(&str, &str)]) -> ProxyConfig {
        ProxyConfig::from_vars(|name| vars.iter().find(|(n, _)| *n == name).map(|(_, v)| v.to_string()))
    }

    #[test]
    fn proxy_lists() {
        let c = ProxyConfig::named("http=p1:3128;https=p2:3129", "");
        assert_eq!(c.http.as_deref(), Some("p1:3128"));
        assert_eq!(c.https.as_deref(), Some("p2:3129"));
        let c = ProxyConfig::named("http://p:1/", "");
        assert_eq!(c.http.as_deref(), Some("p:1"));
        assert_eq!(c.https.as_deref(), Some("p:1"));
        let c = ProxyConfig::named("https=q:2 HTTP://p:1", "");
        assert_eq!((c.http.as_deref(), c.https.as_deref()), (Some("p:1"), Some("q:2")));
    }

    #[test]
    fn winhttp_local_and_all() {
        assert_eq!(named("<local>", "intranet", 80), None);
        assert_eq!(named("<LOCAL>", "intranet", 80), None);
        assert_eq!(named("<local>", "www.example.com", 80).as_deref(), P);
        assert_eq!(named("<local>", "::1", 80).as_deref(), P);
        assert_eq!(named("*", "www.example.com", 80), None);
        assert_eq!(named("", "intranet", 80).as_deref(), P);
    }

    #[test]
    fn winhttp_exact_entry_matches_only_that_host() {
        assert_eq!(named("loopback.test", "loopback.test", 80), None);
        assert_eq!(named("LoopBack.Test", "loopback.TEST", 80), None);
        assert_eq!(named("loopback.test", "a.loopback.test", 80).as_deref(), P);
        assert_eq!(named("loopback.test", "xloopback.test", 80).as_deref(), P);
        assert_eq!(named("127.0.0.1", "127.0.0.1", 80), None);
        assert_eq!(named("127.0.0.1", "127.0.0.10", 80).as_deref(), P);
    }

    #[test]
    fn winhttp_wildcards_anywhere() {
        assert_eq!(named("*.corp.example", "a.corp.example", 80), None);
        assert_eq!(named("*.corp.example", "a.b.corp.example", 80), None);
        assert_eq!(named("*.corp.example", "corp.example", 80).as_deref(), P);
        assert_eq!(named("*.corp.example", "xcorp.example", 80).as_deref(), P);
        assert_eq!(named("*.CORP.example", "A.Corp.EXAMPLE", 80), None);
        assert_eq!(named("10.*", "10.1.2.3", 80), None);
        assert_eq!(named("10.*", "110.1.2.3", 80).as_deref(), P);
        assert_eq!(named("127.0.0.*", "127.0.0.5", 80), None);
        assert_eq!(named("127.0.0.*", "127.0.1.5", 80).as_deref(), P);
        assert_eq!(named("*.corp.*", "a.corp.example", 80), None);
        assert_eq!(named("*.corp.*", "x.y.corp.z.w", 80), None);
        assert_eq!(named("*.corp.*", "a.corpx.example", 80).as_deref(), P);
        assert_eq!(named("a*b", "ab", 80), None);
        assert_eq!(named("a*b", "a.x.b", 80), None);
        assert_eq!(named("a*b", "abc", 80).as_deref(), P);
        assert_eq!(named("a*b", "xab", 80).as_deref(), P);
    }

    #[test]
    fn glob_matching() {
        assert!(glob("*", ""));
        assert!(glob("", ""));
        assert!(!glob("", "a"));
        assert!(glob("a*b*c", "aXbYc"));
        assert!(glob("a*b*c", "abcabc"));
        assert!(!glob("a*b*c", "abcab"));
        assert!(glob("*aab", "aaab"));
        assert!(glob("**a**", "bab"));
        assert!(glob("A*", "abc"));
        assert!(!glob("a", "b"));
    }

    #[test]
    fn winhttp_entry_ports() {
        assert_eq!(named("host.test:8080", "host.test", 8080), None);
        assert_eq!(named("host.test:8080", "host.test", 80).as_deref(), P);
        assert_eq!(named("host.test:8080", "other.test", 8080).as_deref(), P);
        assert_eq!(named("10.*:8080", "10.0.0.1", 8080), None);
        assert_eq!(named("10.*:8080", "10.0.0.1", 80).as_deref(), P);
        assert_eq!(named("host.test", "host.test", 8080), None);
        // IPv6 literals: a port only with brackets; the request's host may come with or without them.
        assert_eq!(named("[::1]:80", "::1", 80), None);
        assert_eq!(named("[::1]:80", "[::1]", 80), None);
        assert_eq!(named("[::1]:80", "::1", 81).as_deref(), P);
        assert_eq!(named("[::1]", "::1", 81), None);
        assert_eq!(named("::1", "::1", 81), None);
        assert_eq!(named("[FE80::1]", "fe80::1", 80), None);
        assert_eq!(named("fe80::*", "fe80::1", 80), None);
        // Malformed ports make the entry match nothing.
        assert_eq!(named("host.test:http", "host.test", 80).as_deref(), P);
        assert_eq!(named("host.test:99999", "host.test", 80).as_deref(), P);
        assert_eq!(named("[::1]x", "::1", 80).as_deref(), P);
    }

    #[test]
    fn winhttp_separators() {
        let list = "foo.test; *.corp.test\t<local>,bar.test:81";
        for (host, port) in [("foo.test", 80), ("x.corp.test", 80), ("intranet", 80), ("bar.test", 81)] {
            assert_eq!(named(list, host, port), None, "{host}:{port}");
        }
        assert_eq!(named(list, "bar.test", 80).as_deref(), P);
    }

    #[test]
    fn env_domains_match_subdomains() {
        let c = env(&[("http_proxy", "p:1"), ("no_proxy", "example.com, .corp.test,host.test:8080")]);
        assert_eq!(c.proxy_for(false, "example.com", 80), None);
        assert_eq!(c.proxy_for(false, "a.Example.COM", 80), None);
        assert_eq!(c.proxy_for(false, "notexample.com", 80).as_deref(), P);
        assert_eq!(c.proxy_for(false, "corp.test", 80), None);
        assert_eq!(c.proxy_for(false, "a.b.corp.test", 80), None);
        assert_eq!(c.proxy_for(false, "host.test", 8080), None);
        assert_eq!(c.proxy_for(false, "a.host.test", 8080), None);
        assert_eq!(c.proxy_for(false, "host.test", 80).as_deref(), P);
        assert_eq!(c.proxy_for(false, "other.org", 80).as_deref(), P);
        assert_eq!(c.proxy_for(true, "other.org", 443), None);
        // Loopback always goes direct.
        for host in ["localhost", "127.0.0.1", "::1", "[::1]"] {
            assert_eq!(c.proxy_for(false, host, 80), None, "{host}");
        }
        let c = env(&[("http_proxy", "p:1"), ("no_proxy", "*.corp.test 10.*")]);
        assert_eq!(c.proxy_for(false, "corp.test", 80), None);
        assert_eq!(c.proxy_for(false, "a.corp.test", 80), None);
        assert_eq!(c.proxy_for(false, "10.0.0.1", 80).as_deref(), P);
        let all = env(&[("HTTP_PROXY", "p:1"), ("NO_PROXY", "*")]);
        assert_eq!(all.http.as_deref(), P);
        assert_eq!(all.proxy_for(false, "x.example", 80), None);
        // "<local>" means nothing special to no_proxy, and lower case wins over upper case.
        let c = env(&[("http_proxy", "p:1"), ("HTTP_PROXY", "q:2"), ("no_proxy", "<local>")]);
        assert_eq!(c.proxy_for(false, "intranet", 80).as_deref(), P);
    }

    #[test]
    fn env_proxy_userinfo() {
        let c = env(&[("http_proxy", "http://user:p%40ss@proxy.test:3128/"), ("https_proxy", "u@q.test:3129")]);
        assert_eq!(c.http.as_deref(), Some("proxy.test:3128"));
        assert_eq!(c.http_auth, Some(("user".to_string(), "p@ss".to_string())));
        assert_eq!(c.https.as_deref(), Some("q.test:3129"));
        assert_eq!(c.https_auth, Some(("u".to_string(), String::new())));
        let c = env(&[("http_proxy", "http://proxy.test:3128")]);
        assert_eq!((c.http.as_deref(), c.http_auth), (Some("proxy.test:3128"), None));
        // An '@' in the password need not be escaped: the last one ends the userinfo.
        let c = env(&[("http_proxy", "a:b@c@proxy.test:1")]);
        assert_eq!(c.http.as_deref(), Some("proxy.test:1"));
        assert_eq!(c.http_auth, Some(("a".to_string(), "b@c".to_string())));
        // Named proxies lose their userinfo too; other schemes stay whole (and fail to connect).
        let c = ProxyConfig::named("http=Http://u:p@proxy.test:1/x", "");
        assert_eq!((c.http.as_deref(), c.http_auth.is_some()), (Some("proxy.test:1"), true));
        let c = env(&[("http_proxy", "socks5://u:p@proxy.test:1080/")]);
        assert_eq!((c.http.as_deref(), c.http_auth), (Some("socks5://u:p@proxy.test:1080"), None));
    }
}
