//! A cookie jar per RFC 6265, sans I/O: the session-wide store WinHTTP keeps.
//!
//! - [`parse_set_cookie`] reads one `Set-Cookie` value (RFC 6265 section 5.2): name and value
//!   trimmed, names case-sensitive, a pair without `=` is a cookie with an empty name (RFC 6265bis),
//!   attributes `Expires` (read with [`time::parse_http_date`]), `Max-Age` (wins over `Expires`),
//!   `Domain`, `Path`, `Secure`, `HttpOnly`; unknown attributes are ignored.
//! - [`Jar::store`] applies it for the URL that sent it (section 5.3): the domain must
//!   domain-match the host and must not be a public suffix (the `psl` crate's list; a public
//!   suffix equal to the host gives a host-only cookie), the default path, replacement of the
//!   cookie with the same name, domain and path (keeping its creation time), deletion by an
//!   expiry in the past.
//! - [`Jar::header_value`] gives the `Cookie` value for a request (section 5.4): host-only or
//!   domain match, path match, `Secure` only over HTTPS, `HttpOnly` only for HTTP APIs, expired
//!   cookies dropped. Order: longer paths first, then the newest first (Windows sends
//!   `NAME=value; name=value` for `Set-Cookie: name=value` then `Set-Cookie: NAME=value` in one
//!   response; RFC 6265 only says SHOULD about order).
//! - [`merge_cookie_header`]: the caller's own `Cookie` request header and the jar's, merged as
//!   Windows does: the jar's cookies are appended to the first caller `Cookie` header with "; ",
//!   or added as a new header when the caller set none (`Cookie: name=value2; NAME=value;
//!   name=value`, Wine's winhttp tests).
//!
//! Bad input cannot grow memory without bound: a `Set-Cookie` longer than [`Limits::max_cookie`]
//! is dropped, a domain keeps at most [`Limits::per_domain`] cookies and the jar at most
//! [`Limits::total`] (the oldest go first; expired cookies are purged before anything live is
//! evicted). The defaults are RFC 6265's minimums: 4096 bytes, 50 per domain, 3000.
//!
//! The clock is passed in (seconds since the Unix epoch), so everything is testable.

use super::headers::HeaderList;
use super::time;

/// Size caps of a jar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Longest `Set-Cookie` value accepted, in bytes (name, value and attributes together).
    pub max_cookie: usize,
    /// Most cookies kept per domain.
    pub per_domain: usize,
    /// Most cookies kept in the jar.
    pub total: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_cookie: 4096, per_domain: 50, total: 3000 }
    }
}

/// A parsed `Set-Cookie` value, before it is tied to a URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SetCookie {
    pub name: String,
    pub value: String,
    /// `Expires`, in seconds since the epoch (negative before 1970).
    pub expires: Option<i64>,
    /// `Max-Age` in seconds (0 or negative: expire now).
    pub max_age: Option<i64>,
    /// `Domain` without a leading dot, lower case; `None` when absent or empty.
    pub domain: Option<String>,
    /// `Path` when it starts with "/"; `None` otherwise (the default path is used).
    pub path: Option<String>,
    pub secure: bool,
    pub http_only: bool,
}

/// Seconds since the epoch of a UTC date, proleptic Gregorian (days-from-civil).
fn epoch_seconds(y: i64, m: i64, d: i64, hh: i64, mm: i64, ss: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    days * 86_400 + hh * 3600 + mm * 60 + ss
}

fn trim(s: &str) -> &str {
    s.trim_matches([' ', '\t'])
}

/// Reads one `Set-Cookie` value. `None` when the cookie is to be ignored: both name and value
/// empty, or a control character in the name or value.
pub fn parse_set_cookie(line: &str) -> Option<SetCookie> {
    let (pair, attrs) = match line.find(';') {
        Some(i) => (&line[..i], &line[i + 1..]),
        None => (line, ""),
    };
    let (name, value) = match pair.find('=') {
        Some(i) => (trim(&pair[..i]), trim(&pair[i + 1..])),
        None => ("", trim(pair)),
    };
    if name.is_empty() && value.is_empty() {
        return None;
    }
    let control = |s: &str| s.chars().any(|c| c.is_control() && c != '\t');
    if control(name) || control(value) {
        return None;
    }
    let mut cookie = SetCookie {
        name: name.to_owned(),
        value: value.to_owned(),
        expires: None,
        max_age: None,
        domain: None,
        path: None,
        secure: false,
        http_only: false,
    };
    for av in attrs.split(';') {
        let (key, val) = match av.find('=') {
            Some(i) => (trim(&av[..i]), trim(&av[i + 1..])),
            None => (trim(av), ""),
        };
        if key.eq_ignore_ascii_case("expires") {
            if let Some(st) = time::parse_http_date(val) {
                cookie.expires = Some(epoch_seconds(
                    st.wYear.into(),
                    st.wMonth.into(),
                    st.wDay.into(),
                    st.wHour.into(),
                    st.wMinute.into(),
                    st.wSecond.into(),
                ));
            }
        } else if key.eq_ignore_ascii_case("max-age") {
            let digits = val.strip_prefix('-').unwrap_or(val);
            if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
                // Saturate: "Max-Age=99999999999999999999" is "for a very long time".
                let n = digits.parse::<i64>().unwrap_or(i64::MAX);
                cookie.max_age = Some(if val.starts_with('-') { -n } else { n });
            }
        } else if key.eq_ignore_ascii_case("domain") {
            let d = val.strip_prefix('.').unwrap_or(val);
            cookie.domain = (!d.is_empty()).then(|| d.to_ascii_lowercase());
        } else if key.eq_ignore_ascii_case("path") {
            cookie.path = val.starts_with('/').then(|| val.to_owned());
        } else if key.eq_ignore_ascii_case("secure") {
            cookie.secure = true;
        } else if key.eq_ignore_ascii_case("httponly") {
            cookie.http_only = true;
        }
    }
    Some(cookie)
}

/// A stored cookie.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cookie {
    pub name: String,
    pub value: String,
    /// Lower case, no leading dot.
    pub domain: String,
    /// Sent only to exactly `domain` (no `Domain` attribute, or a public suffix equal to the host).
    pub host_only: bool,
    pub path: String,
    pub secure: bool,
    pub http_only: bool,
    /// Seconds since the epoch; `None` for a session cookie (lives as long as the jar).
    pub expires: Option<i64>,
    /// When it was first stored (kept across replacements), for ordering.
    pub created: i64,
    /// Tie-breaker among cookies created in the same second: higher is newer.
    pub seq: u64,
}

/// The URL a response came from or a request goes to.
#[derive(Clone, Copy, Debug)]
pub struct Url<'a> {
    /// HTTPS.
    pub secure: bool,
    /// Host name or IP literal (IPv6 with or without brackets); any case.
    pub host: &'a str,
    /// Request path, with or without the query.
    pub path: &'a str,
}

/// Why [`Jar::store`] did not store a cookie.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rejected {
    /// Longer than [`Limits::max_cookie`].
    TooLarge,
    /// Not a cookie (see [`parse_set_cookie`]).
    Malformed,
    /// `Domain` does not domain-match the host.
    ForeignDomain,
    /// `Domain` is a public suffix other than the host.
    PublicSuffix,
}

/// What [`Jar::store`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stored {
    Added,
    Replaced,
    /// An expiry in the past: the cookie with that name, domain and path (if any) was removed.
    Deleted,
}

fn is_ip(host: &str) -> bool {
    host.parse::<std::net::IpAddr>().is_ok() || host.starts_with('[')
}

fn canonical_host(host: &str) -> String {
    host.trim_end_matches('.').to_ascii_lowercase()
}

/// RFC 6265 5.1.3: `host` (canonical) domain-matches `domain`.
pub fn domain_match(host: &str, domain: &str) -> bool {
    host == domain
        || (!is_ip(host)
            && host.len() > domain.len()
            && host.ends_with(domain)
            && host.as_bytes()[host.len() - domain.len() - 1] == b'.')
}

/// RFC 6265 5.1.4: the default path of a request path.
pub fn default_path(path: &str) -> &str {
    let path = path.split(['?', '#']).next().unwrap_or("");
    if !path.starts_with('/') {
        return "/";
    }
    match path.rfind('/') {
        Some(0) | None => "/",
        Some(i) => &path[..i],
    }
}

/// RFC 6265 5.1.4: `request_path` path-matches `cookie_path`.
pub fn path_match(request_path: &str, cookie_path: &str) -> bool {
    let request_path = request_path.split(['?', '#']).next().unwrap_or("");
    request_path == cookie_path
        || (request_path.starts_with(cookie_path)
            && (cookie_path.ends_with('/') || request_path.as_bytes()[cookie_path.len()] == b'/'))
}

/// True when `domain` is a public suffix (`com`, `co.uk`, `github.io`, or an unlisted TLD).
pub fn is_public_suffix(domain: &str) -> bool {
    psl::suffix(domain.as_bytes()).is_some_and(|s| s.as_bytes() == domain.as_bytes())
}

/// A session's cookies.
#[derive(Clone, Debug, Default)]
pub struct Jar {
    cookies: Vec<Cookie>,
    limits: Limits,
    seq: u64,
}

impl Jar {
    pub fn new() -> Jar {
        Jar::default()
    }

    pub fn with_limits(limits: Limits) -> Jar {
        Jar { cookies: Vec::new(), limits, seq: 0 }
    }

    pub fn len(&self) -> usize {
        self.cookies.len()
    }

    pub fn is_empty(&self) -> bool {
        self.cookies.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Cookie> {
        self.cookies.iter()
    }

    /// Stores every `Set-Cookie` value of a response; returns how many were stored or deleted.
    pub fn record<'a>(&mut self, values: impl IntoIterator<Item = &'a str>, url: Url<'_>, now: i64) -> usize {
        values.into_iter().filter(|v| self.store(v, url, now).is_ok()).count()
    }

    /// Applies one `Set-Cookie` value received from `url` at `now` (RFC 6265 5.3).
    pub fn store(&mut self, set_cookie: &str, url: Url<'_>, now: i64) -> Result<Stored, Rejected> {
        if set_cookie.len() > self.limits.max_cookie {
            return Err(Rejected::TooLarge);
        }
        let sc = parse_set_cookie(set_cookie).ok_or(Rejected::Malformed)?;
        let host = canonical_host(url.host);
        let (domain, host_only) = match sc.domain {
            Some(d) if is_public_suffix(&d) => {
                if d == host {
                    (host.clone(), true)
                } else {
                    return Err(Rejected::PublicSuffix);
                }
            }
            Some(d) if domain_match(&host, &d) => (d, false),
            Some(_) => return Err(Rejected::ForeignDomain),
            None => (host.clone(), true),
        };
        let path = sc.path.unwrap_or_else(|| default_path(url.path).to_owned());
        let expires = match (sc.max_age, sc.expires) {
            (Some(n), _) if n <= 0 => Some(i64::MIN),
            (Some(n), _) => Some(now.saturating_add(n)),
            (None, e) => e,
        };
        let existing = self.cookies.iter().position(|c| c.name == sc.name && c.domain == domain && c.path == path);
        if expires.is_some_and(|e| e <= now) {
            if let Some(i) = existing {
                self.cookies.remove(i);
            }
            return Ok(Stored::Deleted);
        }
        self.seq += 1;
        let mut cookie = Cookie {
            name: sc.name,
            value: sc.value,
            domain,
            host_only,
            path,
            secure: sc.secure,
            http_only: sc.http_only,
            expires,
            created: now,
            seq: self.seq,
        };
        if let Some(i) = existing {
            cookie.created = self.cookies[i].created;
            cookie.seq = self.cookies[i].seq;
            self.cookies[i] = cookie;
            return Ok(Stored::Replaced);
        }
        let domain = cookie.domain.clone();
        self.cookies.push(cookie);
        self.enforce_limits(&domain, now);
        Ok(Stored::Added)
    }

    /// Purges expired cookies, then evicts the oldest of `domain` and of the jar past the caps.
    fn enforce_limits(&mut self, domain: &str, now: i64) {
        let over_domain = || self.cookies.iter().filter(|c| c.domain == domain).count() > self.limits.per_domain;
        if over_domain() || self.cookies.len() > self.limits.total {
            self.purge(now);
        }
        while self.cookies.iter().filter(|c| c.domain == domain).count() > self.limits.per_domain {
            self.evict_oldest(|c| c.domain == domain);
        }
        while self.cookies.len() > self.limits.total {
            self.evict_oldest(|_| true);
        }
    }

    fn evict_oldest(&mut self, pick: impl Fn(&Cookie) -> bool) {
        let oldest = self
            .cookies
            .iter()
            .enumerate()
            .filter(|(_, c)| pick(c))
            .min_by_key(|(_, c)| (c.created, c.seq))
            .map(|(i, _)| i);
        if let Some(i) = oldest {
            self.cookies.remove(i);
        }
    }

    /// Drops every cookie expired at `now`.
    pub fn purge(&mut self, now: i64) {
        self.cookies.retain(|c| c.expires.is_none_or(|e| e > now));
    }

    /// The `Cookie` header value for a request to `url` at `now` (RFC 6265 5.4), or `None` when no
    /// cookie applies. `http_api`: the request is made by an HTTP API (always so for WinHTTP), so
    /// `HttpOnly` cookies are included.
    pub fn header_value(&self, url: Url<'_>, now: i64, http_api: bool) -> Option<String> {
        let host = canonical_host(url.host);
        let mut picked: Vec<&Cookie> = self
            .cookies
            .iter()
            .filter(|c| if c.host_only { c.domain == host } else { domain_match(&host, &c.domain) })
            .filter(|c| path_match(url.path, &c.path))
            .filter(|c| !c.secure || url.secure)
            .filter(|c| !c.http_only || http_api)
            .filter(|c| c.expires.is_none_or(|e| e > now))
            .collect();
        if picked.is_empty() {
            return None;
        }
        picked.sort_by(|a, b| b.path.len().cmp(&a.path.len()).then((b.created, b.seq).cmp(&(a.created, a.seq))));
        let mut out = String::new();
        for c in picked {
            if !out.is_empty() {
                out.push_str("; ");
            }
            if !c.name.is_empty() {
                out.push_str(&c.name);
                out.push('=');
            }
            out.push_str(&c.value);
        }
        Some(out)
    }
}

/// Merges the jar's `Cookie` value into the caller's request headers as Windows does: appended
/// with "; " to the first `Cookie` header the caller set (`Cookie: name=value2` becomes
/// `Cookie: name=value2; NAME=value; name=value`), or added as a new `Cookie` header. An empty
/// caller value takes the jar's value without a leading separator. Other caller `Cookie` headers
/// stay as they are.
pub fn merge_cookie_header(headers: &mut HeaderList, jar_value: &str) {
    if jar_value.is_empty() {
        return;
    }
    match headers.get("Cookie") {
        Some(v) => {
            let merged = merged_value(v, jar_value);
            replace_first(headers, "Cookie", merged);
        }
        None => headers.push("Cookie", jar_value),
    }
}

/// The value of the caller's first `Cookie` header with the jar's appended, as
/// [`merge_cookie_header`] writes it (for a head written from borrowed headers).
pub fn merged_value(caller: &str, jar_value: &str) -> String {
    if caller.trim().is_empty() {
        jar_value.to_owned()
    } else {
        format!("{}; {jar_value}", caller.trim_end_matches([' ', ';']))
    }
}

/// Sets the first `name` header's value, leaving later ones in place.
fn replace_first(headers: &mut HeaderList, name: &str, value: String) {
    let pairs = headers.to_pairs();
    let mut out = HeaderList::new();
    let mut done = false;
    for (n, v) in pairs {
        if !done && n.eq_ignore_ascii_case(name) {
            out.push(n, value.clone());
            done = true;
        } else {
            out.push(n, v);
        }
    }
    *headers = out;
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_700_000_000; // 2023-11-14 22:13:20 UTC

    fn http<'a>(host: &'a str, path: &'a str) -> Url<'a> {
        Url { secure: false, host, path }
    }

    fn https<'a>(host: &'a str, path: &'a str) -> Url<'a> {
        Url { secure: true, host, path }
    }

    #[test]
    fn epoch_arithmetic() {
        assert_eq!(epoch_seconds(1970, 1, 1, 0, 0, 0), 0);
        assert_eq!(epoch_seconds(2023, 11, 14, 22, 13, 20), NOW);
        assert_eq!(epoch_seconds(2000, 3, 1, 0, 0, 0), 951_868_800);
        assert_eq!(epoch_seconds(1969, 12, 31, 23, 59, 59), -1);
    }

    #[test]
    fn parses_names_values_and_attributes() {
        let c = parse_set_cookie(" name = value ").unwrap();
        assert_eq!((c.name.as_str(), c.value.as_str()), ("name", "value"));
        let c = parse_set_cookie("a=b=c; Path=/x; DOMAIN=.Example.COM; secure; HttpOnly; Max-Age=60; Foo=bar").unwrap();
        assert_eq!(c.value, "b=c");
        assert_eq!(c.path.as_deref(), Some("/x"));
        assert_eq!(c.domain.as_deref(), Some("example.com"));
        assert!(c.secure && c.http_only);
        assert_eq!(c.max_age, Some(60));
        let c = parse_set_cookie("a=b; Expires=Wed, 09 Jun 2021 10:18:14 GMT").unwrap();
        assert_eq!(c.expires, Some(epoch_seconds(2021, 6, 9, 10, 18, 14)));
        // Bad attribute values are ignored, not fatal.
        let c = parse_set_cookie("a=b; Max-Age=1x; Path=rel; Domain=; Expires=garbage").unwrap();
        assert_eq!((c.max_age, c.path, c.domain, c.expires), (None, None, None, None));
        assert_eq!(parse_set_cookie("a=b; Max-Age=-5").unwrap().max_age, Some(-5));
        assert_eq!(parse_set_cookie("a=b; Max-Age=999999999999999999999").unwrap().max_age, Some(i64::MAX));
        // No "=": a nameless cookie (RFC 6265bis).
        let c = parse_set_cookie("lonely").unwrap();
        assert_eq!((c.name.as_str(), c.value.as_str()), ("", "lonely"));
        assert!(parse_set_cookie("").is_none());
        assert!(parse_set_cookie(" = ; Path=/").is_none());
        assert!(parse_set_cookie("a=b\x01c").is_none());
    }

    #[test]
    fn matching_rules() {
        assert!(domain_match("www.example.com", "example.com"));
        assert!(domain_match("example.com", "example.com"));
        assert!(!domain_match("badexample.com", "example.com"));
        assert!(!domain_match("example.com", "www.example.com"));
        assert!(!domain_match("1.2.3.4", "2.3.4"));
        assert_eq!(default_path(""), "/");
        assert_eq!(default_path("/"), "/");
        assert_eq!(default_path("/a"), "/");
        assert_eq!(default_path("/a/b"), "/a");
        assert_eq!(default_path("/a/b/?q=/x/y"), "/a/b");
        assert_eq!(default_path("rel/x"), "/");
        assert!(path_match("/a/b", "/a"));
        assert!(path_match("/a/", "/a/"));
        assert!(path_match("/a/b", "/a/"));
        assert!(path_match("/a?x", "/a"));
        assert!(!path_match("/ab", "/a"));
        assert!(!path_match("/", "/a"));
        assert!(is_public_suffix("com"));
        assert!(is_public_suffix("co.uk"));
        assert!(!is_public_suffix("example.co.uk"));
    }

    #[test]
    fn windows_order_and_case_sensitive_names() {
        // The Wine test: one response sets "name" then "NAME"; the next request sends the newest first.
        let mut jar = Jar::new();
        let url = http("localhost", "/cookie");
        assert_eq!(jar.record(["name = value ", "NAME = value "], url, NOW), 2);
        assert_eq!(
            jar.header_value(http("localhost", "/cookie2"), NOW, true).as_deref(),
            Some("NAME=value; name=value")
        );
        // Longer paths come first whatever their age.
        jar.store("deep=1; Path=/cookie2", url, NOW).unwrap();
        assert_eq!(
            jar.header_value(http("LOCALHOST", "/cookie2/x"), NOW, true).as_deref(),
            Some("deep=1; NAME=value; name=value")
        );
        // Replacement keeps the place (creation time) of the cookie it replaces.
        assert_eq!(jar.store("name=other", url, NOW + 5), Ok(Stored::Replaced));
        assert_eq!(jar.header_value(http("localhost", "/"), NOW + 5, true).as_deref(), Some("NAME=value; name=other"));
    }

    #[test]
    fn domain_cookies_and_host_only() {
        let mut jar = Jar::new();
        let url = http("www.example.com", "/");
        jar.store("d=1; Domain=example.com", url, NOW).unwrap();
        jar.store("h=1", url, NOW).unwrap();
        assert_eq!(jar.header_value(http("a.b.example.com", "/"), NOW, true).as_deref(), Some("d=1"));
        assert_eq!(jar.header_value(http("www.example.com", "/"), NOW, true).as_deref(), Some("h=1; d=1"));
        assert_eq!(jar.header_value(http("example.org", "/"), NOW, true), None);
        assert_eq!(jar.store("x=1; Domain=other.com", url, NOW), Err(Rejected::ForeignDomain));
        assert_eq!(jar.store("x=1; Domain=www.example.com.evil", url, NOW), Err(Rejected::ForeignDomain));
        assert_eq!(jar.store("x=1; Domain=com", url, NOW), Err(Rejected::PublicSuffix));
        // A public suffix that is the host itself: a host-only cookie.
        let mut jar = Jar::new();
        jar.store("p=1; Domain=localhost; Path=/cookie5; HttpOnly", http("localhost", "/"), NOW).unwrap();
        assert!(jar.iter().next().unwrap().host_only);
        assert_eq!(jar.header_value(http("localhost", "/cookie5"), NOW, true).as_deref(), Some("p=1"));
        // IP hosts: only exactly.
        let mut jar = Jar::new();
        jar.store("i=1", http("127.0.0.1", "/"), NOW).unwrap();
        assert_eq!(jar.header_value(http("127.0.0.1", "/"), NOW, true).as_deref(), Some("i=1"));
        assert_eq!(jar.store("j=1; Domain=0.0.1", http("127.0.0.1", "/"), NOW), Err(Rejected::ForeignDomain));
    }

    #[test]
    fn secure_http_only_and_expiry() {
        let mut jar = Jar::new();
        let url = https("example.com", "/");
        jar.store("s=1; Secure", url, NOW).unwrap();
        jar.store("h=1; HttpOnly", url, NOW).unwrap();
        jar.store("t=1; Max-Age=10", url, NOW).unwrap();
        jar.store("e=1; Expires=Thu, 01 Jan 2099 00:00:00 GMT", url, NOW).unwrap();
        assert_eq!(jar.header_value(https("example.com", "/"), NOW, true).as_deref(), Some("e=1; t=1; h=1; s=1"));
        assert_eq!(jar.header_value(http("example.com", "/"), NOW, true).as_deref(), Some("e=1; t=1; h=1"));
        assert_eq!(jar.header_value(https("example.com", "/"), NOW, false).as_deref(), Some("e=1; t=1; s=1"));
        // Max-Age runs out; Max-Age wins over Expires.
        assert_eq!(jar.header_value(http("example.com", "/"), NOW + 10, true).as_deref(), Some("e=1; h=1"));
        jar.store("m=1; Max-Age=1; Expires=Thu, 01 Jan 2099 00:00:00 GMT", url, NOW).unwrap();
        assert_eq!(jar.iter().find(|c| c.name == "m").unwrap().expires, Some(NOW + 1));
        // Deletion by Max-Age=0 or a past Expires.
        assert_eq!(jar.store("h=; Max-Age=0", url, NOW), Ok(Stored::Deleted));
        assert_eq!(jar.store("e=1; Expires=Thu, 01 Jan 1970 00:00:01 GMT", url, NOW), Ok(Stored::Deleted));
        assert_eq!(jar.header_value(https("example.com", "/"), NOW, true).as_deref(), Some("m=1; t=1; s=1"));
        // Deleting needs the same path: this one is another cookie's.
        assert_eq!(jar.store("s=1; Path=/x; Max-Age=0", url, NOW), Ok(Stored::Deleted));
        assert!(jar.iter().any(|c| c.name == "s"));
        jar.purge(NOW + 100);
        assert_eq!(jar.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["s"]);
    }

    #[test]
    fn caps_bound_memory() {
        let limits = Limits { max_cookie: 64, per_domain: 3, total: 5 };
        let mut jar = Jar::with_limits(limits);
        let url = http("a.example", "/");
        assert_eq!(jar.store(&format!("big={}", "x".repeat(70)), url, NOW), Err(Rejected::TooLarge));
        for i in 0..10 {
            jar.store(&format!("c{i}=v"), url, NOW + i).unwrap();
        }
        // The three newest of the domain remain.
        let names: Vec<_> = jar.iter().map(|c| c.name.clone()).collect();
        assert_eq!(names, ["c7", "c8", "c9"]);
        for (i, host) in ["b.example", "c.example", "d.example"].iter().enumerate() {
            jar.store("z=1", http(host, "/"), NOW + 20 + i as i64).unwrap();
        }
        assert_eq!(jar.len(), 5);
        // Six cookies for a jar of five: the oldest of all goes.
        assert!(!jar.iter().any(|c| c.name == "c7"));
        assert!(jar.iter().any(|c| c.name == "c8"));
        // Expired cookies go before live ones are evicted.
        let mut jar = Jar::with_limits(Limits { max_cookie: 64, per_domain: 2, total: 10 });
        jar.store("old=1; Max-Age=1", url, NOW).unwrap();
        jar.store("a=1", url, NOW + 1).unwrap();
        jar.store("b=1", url, NOW + 2).unwrap();
        let names: Vec<_> = jar.iter().map(|c| c.name.clone()).collect();
        assert_eq!(names, ["a", "b"]);
    }

    #[test]
    fn merge_with_the_callers_cookie_header() {
        let mut h = HeaderList::new();
        h.push("Accept", "*/*");
        merge_cookie_header(&mut h, "NAME=value; name=value");
        assert_eq!(h.get("Cookie"), Some("NAME=value; name=value"));

        let mut h = HeaderList::new();
        h.push("Cookie", "name=value2");
        h.push("X", "y");
        merge_cookie_header(&mut h, "NAME=value; name=value");
        assert_eq!(
            h.to_pairs(),
            [("Cookie".into(), "name=value2; NAME=value; name=value".into()), ("X".into(), "y".into())]
        );

        let mut h = HeaderList::new();
        h.push("cookie", "a=1;");
        h.push("Cookie", "b=2");
        merge_cookie_header(&mut h, "j=1");
        assert_eq!(h.to_pairs(), [("cookie".into(), "a=1; j=1".into()), ("Cookie".into(), "b=2".into())]);

        let mut h = HeaderList::new();
        h.push("Cookie", "");
        merge_cookie_header(&mut h, "j=1");
        assert_eq!(h.get("Cookie"), Some("j=1"));

        let mut h = HeaderList::new();
        h.push("Cookie", "a=1");
        merge_cookie_header(&mut h, "");
        assert_eq!(h.get("Cookie"), Some("a=1"));
    }
}
