//! Proxy selection, sans I/O: WinHTTP's proxy list and bypass list syntax (`WinHttpOpen` with
//! `WINHTTP_ACCESS_TYPE_NAMED_PROXY`), and the conventional `http_proxy` / `https_proxy` /
//! `no_proxy` environment variables (the default proxy on Linux and macOS).

/// Which proxy to use for which scheme, and which hosts go direct.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProxyConfig {
    /// Proxy for http:// URLs ("host:port").
    pub http: Option<String>,
    /// Proxy for https:// URLs ("host:port").
    pub https: Option<String>,
    /// Bypass rules.
    pub bypass: Vec<Bypass>,
}

/// One bypass rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Bypass {
    /// `<local>`: host names without a dot.
    Local,
    /// `*`: everything.
    All,
    /// A host pattern: exact (case-insensitive), `*.suffix`, or `.suffix` (environment style).
    Host(String),
}

/// Strips an optional `http://` prefix and a trailing slash from a proxy address.
fn clean(addr: &str) -> Option<String> {
    let a = addr.trim();
    let a = a.strip_prefix("http://").or_else(|| a.strip_prefix("HTTP://")).unwrap_or(a);
    let a = a.trim_end_matches('/');
    (!a.is_empty()).then(|| a.to_string())
}

impl ProxyConfig {
    /// Parses WinHTTP's proxy list ("host:port", "http=host:port;https=host:port", entries
    /// separated by `;` or spaces) and bypass list ("<local>;*.corp;host", `;`, `,` or spaces).
    pub fn named(list: &str, bypass: &str) -> Self {
        let mut c = ProxyConfig::default();
        for entry in list.split([';', ' ']).map(str::trim).filter(|e| !e.is_empty()) {
            match entry.split_once('=') {
                Some((scheme, addr)) if scheme.eq_ignore_ascii_case("http") => c.http = c.http.or(clean(addr)),
                Some((scheme, addr)) if scheme.eq_ignore_ascii_case("https") => c.https = c.https.or(clean(addr)),
                Some(_) => {}
                None => {
                    let a = clean(entry);
                    c.http = c.http.or(a.clone());
                    c.https = c.https.or(a);
                }
            }
        }
        c.bypass = parse_bypass(bypass);
        c
    }

    /// Reads `http_proxy`, `https_proxy` and `no_proxy` (lower case first, then upper case).
    /// Loopback names and addresses always go direct.
    pub fn from_env() -> Self {
        let var = |name: &str| {
            std::env::var(name)
                .ok()
                .or_else(|| std::env::var(name.to_ascii_uppercase()).ok())
                .filter(|v| !v.trim().is_empty())
        };
        // Loopback never goes through an environment proxy.
        let mut bypass = parse_bypass("localhost;127.0.0.1;::1");
        bypass.extend(var("no_proxy").map(|v| parse_bypass(&v)).unwrap_or_default());
        ProxyConfig {
            http: var("http_proxy").and_then(|v| clean(&v)),
            https: var("https_proxy").and_then(|v| clean(&v)),
            bypass,
        }
    }

    /// The proxy for a request to `host:port`, or `None` to go direct.
    pub fn proxy_for(&self, secure: bool, host: &str, port: u16) -> Option<String> {
        let _ = port;
        let proxy = if secure { self.https.as_ref() } else { self.http.as_ref() }?;
        let host = host.trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase();
        let bypassed = self.bypass.iter().any(|b| match b {
            Bypass::All => true,
            Bypass::Local => !host.contains('.') && !host.contains(':'),
            Bypass::Host(p) => {
                if let Some(suffix) = p.strip_prefix("*.") {
                    host.ends_with(&format!(".{suffix}"))
                } else if let Some(suffix) = p.strip_prefix('.') {
                    host.ends_with(&format!(".{suffix}")) || host == suffix
                } else {
                    host == *p || host.ends_with(&format!(".{p}"))
                }
            }
        });
        (!bypassed).then(|| proxy.clone())
    }
}

fn parse_bypass(s: &str) -> Vec<Bypass> {
    s.split([';', ',', ' ', '\t'])
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(|e| match e {
            "*" => Bypass::All,
            e if e.eq_ignore_ascii_case("<local>") => Bypass::Local,
            // "host:port" drops the port; an IPv6 address (several colons) stays whole.
            e if e.matches(':').count() == 1 => Bypass::Host(e.split(':').next().unwrap_or(e).to_ascii_lowercase()),
            e => Bypass::Host(e.trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_lists() {
        let c = ProxyConfig::named("proxy:8080", "<local>;*.corp.example");
        assert_eq!(c.proxy_for(false, "www.example.com", 80).as_deref(), Some("proxy:8080"));
        assert_eq!(c.proxy_for(false, "intranet", 80), None);
        assert_eq!(c.proxy_for(false, "a.corp.example", 80), None);
        let c = ProxyConfig::named("http=p1:3128;https=p2:3129", "");
        assert_eq!(c.http.as_deref(), Some("p1:3128"));
        assert_eq!(c.https.as_deref(), Some("p2:3129"));
        let c = ProxyConfig::named("http://p:1/", "");
        assert_eq!(c.http.as_deref(), Some("p:1"));
    }

    #[test]
    fn env_style_bypass() {
        let c = ProxyConfig { http: Some("p:1".into()), https: None, bypass: parse_bypass(".example.com,localhost") };
        assert_eq!(c.proxy_for(false, "a.example.com", 80), None);
        assert_eq!(c.proxy_for(false, "example.com", 80), None);
        assert_eq!(c.proxy_for(false, "localhost", 80), None);
        assert_eq!(c.proxy_for(false, "other.org", 80).as_deref(), Some("p:1"));
        assert_eq!(c.proxy_for(true, "other.org", 443), None);
        let env = ProxyConfig { http: Some("p:1".into()), ..ProxyConfig::from_env() };
        assert_eq!(env.proxy_for(false, "::1", 80), None);
        assert_eq!(env.proxy_for(false, "127.0.0.1", 80), None);
        let all = ProxyConfig { http: Some("p:1".into()), https: None, bypass: parse_bypass("*") };
        assert_eq!(all.proxy_for(false, "x", 80), None);
    }
}
