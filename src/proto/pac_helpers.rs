//! Proxy auto-configuration, sans I/O: the pure parts of the standard PAC helpers (`shExpMatch`,
//! `isInNet`, `dnsDomainIs`, `weekdayRange`, `dateRange`, `timeRange`, Microsoft's `isInNetEx` and
//! `sortIpAddressList`), the parsing of what `FindProxyForURL` returns, and the URL/host the script is
//! given. Name resolution and the clock are the caller's: every function here takes their results as
//! arguments, so it can be unit-tested and fuzzed.

use std::net::{IpAddr, Ipv4Addr};

/// `shExpMatch(str, shexp)`: a shell expression where `*` is any run of characters and `?` any one
/// character; case-sensitive, the whole string must match.
pub fn sh_exp_match(text: &str, pattern: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut i, mut j) = (0, 0);
    let mut retry: Option<(usize, usize)> = None;
    while j < t.len() {
        match p.get(i) {
            Some('*') => {
                i += 1;
                retry = Some((i, j + 1));
            }
            Some(&c) if c == '?' || c == t[j] => {
                i += 1;
                j += 1;
            }
            _ => match retry {
                Some((ri, rj)) => {
                    (i, j) = (ri, rj);
                    retry = Some((ri, rj + 1));
                }
                None => return false,
            },
        }
    }
    p[i..].iter().all(|&c| c == '*')
}

/// `isPlainHostName(host)`: no dot in the name.
pub fn is_plain_host_name(host: &str) -> bool {
    !host.contains('.')
}

/// `dnsDomainIs(host, domain)`: the host name ends with the domain (case-insensitive).
pub fn dns_domain_is(host: &str, domain: &str) -> bool {
    host.len() >= domain.len()
        && host.is_char_boundary(host.len() - domain.len())
        && host[host.len() - domain.len()..].eq_ignore_ascii_case(domain)
}

/// `localHostOrDomainIs(host, hostdom)`: the names are equal, or `host` is unqualified and is the
/// first label of `hostdom`.
pub fn local_host_or_domain_is(host: &str, hostdom: &str) -> bool {
    if host.eq_ignore_ascii_case(hostdom) {
        return true;
    }
    !host.contains('.') && hostdom.split('.').next().is_some_and(|first| first.eq_ignore_ascii_case(host))
}

/// `dnsDomainLevels(host)`: the number of dots.
pub fn dns_domain_levels(host: &str) -> usize {
    host.matches('.').count()
}

/// `isInNet(ip, pattern, mask)` once `ip` is an IPv4 address: whether `ip & mask == pattern & mask`.
/// `None` when the pattern or the mask is not a dotted IPv4 address.
pub fn is_in_net(ip: Ipv4Addr, pattern: &str, mask: &str) -> Option<bool> {
    let pattern: Ipv4Addr = pattern.trim().parse().ok()?;
    let mask: Ipv4Addr = mask.trim().parse().ok()?;
    let m = u32::from(mask);
    Some(u32::from(ip) & m == u32::from(pattern) & m)
}

/// `isInNetEx(ip, prefix)`: whether an IPv4 or IPv6 address is in a CIDR prefix (`10.0.0.0/8`,
/// `fe80::/10`). `None` when the address or the prefix is malformed; different families never match.
pub fn is_in_net_ex(ip: &str, prefix: &str) -> Option<bool> {
    let ip: IpAddr = ip.trim().parse().ok()?;
    let (net, bits) = prefix.trim().split_once('/')?;
    let net: IpAddr = net.parse().ok()?;
    let bits: u32 = bits.parse().ok()?;
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) if bits <= 32 => {
            let m = if bits == 0 { 0 } else { u32::MAX << (32 - bits) };
            Some(u32::from(a) & m == u32::from(n) & m)
        }
        (IpAddr::V6(a), IpAddr::V6(n)) if bits <= 128 => {
            let m = if bits == 0 { 0 } else { u128::MAX << (128 - bits) };
            Some(u128::from(a) & m == u128::from(n) & m)
        }
        (IpAddr::V4(_), IpAddr::V6(_)) | (IpAddr::V6(_), IpAddr::V4(_)) => Some(false),
        _ => None,
    }
}

/// `sortIpAddressList("a;b;c")`: IPv6 addresses first, then IPv4, each family in ascending numeric
/// order, joined with `;`. `None` when the list is empty or holds something that is not an address.
pub fn sort_ip_address_list(list: &str) -> Option<String> {
    let mut addrs = list.split(';').map(|a| a.trim().parse::<IpAddr>().ok()).collect::<Option<Vec<_>>>()?;
    if addrs.is_empty() {
        return None;
    }
    addrs.sort_by_key(|a| match a {
        IpAddr::V6(v) => (0, u128::from(*v)),
        IpAddr::V4(v) => (1, u32::from(*v) as u128),
    });
    Some(addrs.iter().map(IpAddr::to_string).collect::<Vec<_>>().join(";"))
}

/// A broken-down time for the date and time helpers (local or GMT, as the script asked).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tm {
    pub year: i32,
    /// 0 = January.
    pub month: u32,
    /// 1..=31.
    pub day: u32,
    /// 0 = Sunday.
    pub weekday: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
}

/// An argument of a date/time helper as the script passed it.
#[derive(Clone, Debug, PartialEq)]
pub enum Arg {
    Num(f64),
    Str(String),
}

/// Whether the last argument is `"GMT"` (then it is removed).
pub fn take_gmt(args: &mut Vec<Arg>) -> bool {
    if matches!(args.last(), Some(Arg::Str(s)) if s.eq_ignore_ascii_case("GMT")) {
        args.pop();
        return true;
    }
    false
}

const DAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
const MONTHS: [&str; 12] = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];

/// Inclusive range test that wraps around when `lo > hi` (`FRI`..`MON`, `NOV`..`FEB`, 22h..6h).
fn in_range(v: i64, lo: i64, hi: i64) -> bool {
    if lo <= hi { lo <= v && v <= hi } else { v >= lo || v <= hi }
}

/// `weekdayRange(wd1[, wd2][, "GMT"])` with the `"GMT"` already taken off. `None` for bad names.
pub fn weekday_range(now: &Tm, args: &[Arg]) -> Option<bool> {
    let day = |a: &Arg| match a {
        Arg::Str(s) => DAYS.iter().position(|d| d.eq_ignore_ascii_case(s)).map(|d| d as i64),
        Arg::Num(_) => None,
    };
    let wd = now.weekday as i64;
    match args {
        [a] => Some(day(a)? == wd),
        [a, b] => Some(in_range(wd, day(a)?, day(b)?)),
        _ => None,
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Part {
    Day(i64),
    Month(i64),
    Year(i64),
}

impl Part {
    fn kind(self) -> u8 {
        match self {
            Part::Year(_) => 0,
            Part::Month(_) => 1,
            Part::Day(_) => 2,
        }
    }
    fn value(self) -> i64 {
        match self {
            Part::Day(v) | Part::Month(v) | Part::Year(v) => v,
        }
    }
}

/// `dateRange(...)` with the `"GMT"` already taken off: one or two of day (1..31), month name and
/// year (four digits), either a single value or a range given as two halves of the same shape.
pub fn date_range(now: &Tm, args: &[Arg]) -> Option<bool> {
    let parts: Vec<Part> = args
        .iter()
        .map(|a| match a {
            Arg::Num(n) if n.fract() == 0.0 && (1.0..=31.0).contains(n) => Some(Part::Day(*n as i64)),
            Arg::Num(n) if n.fract() == 0.0 && *n >= 1000.0 && *n <= 9999.0 => Some(Part::Year(*n as i64)),
            Arg::Str(s) => MONTHS.iter().position(|m| m.eq_ignore_ascii_case(s)).map(|m| Part::Month(m as i64)),
            _ => None,
        })
        .collect::<Option<_>>()?;
    let current = |k: u8| match k {
        0 => now.year as i64,
        1 => now.month as i64,
        _ => now.day as i64,
    };
    // One key from a tuple of parts, most significant first (year, month, day).
    let key = |ps: &[Part]| ps.iter().fold(0i64, |acc, p| acc * 10_000 + p.value());
    let now_key = |ps: &[Part]| ps.iter().fold(0i64, |acc, p| acc * 10_000 + current(p.kind()));
    match parts.len() {
        1 => Some(parts[0].value() == current(parts[0].kind())),
        2 | 4 | 6 => {
            let (a, b) = parts.split_at(parts.len() / 2);
            let kinds = |ps: &[Part]| ps.iter().map(|p| p.kind()).collect::<Vec<_>>();
            let ka = kinds(a);
            // Both halves of the same shape, each kind at most once.
            let mut distinct = ka.clone();
            distinct.sort();
            distinct.dedup();
            if ka != kinds(b) || distinct.len() != ka.len() {
                return None;
            }
            let mut a = a.to_vec();
            let mut b = b.to_vec();
            a.sort_by_key(|p| p.kind());
            b.sort_by_key(|p| p.kind());
            let with_year = a.iter().any(|p| p.kind() == 0);
            let (lo, hi, v) = (key(&a), key(&b), now_key(&a));
            // A range that names its years does not wrap around.
            Some(if with_year { lo <= v && v <= hi } else { in_range(v, lo, hi) })
        }
        _ => None,
    }
}

/// `timeRange(...)` with the `"GMT"` already taken off: `(hour)`, `(h1, h2)`, `(h1, m1, h2, m2)` or
/// `(h1, m1, s1, h2, m2, s2)`. `(hour)` is true for that whole hour; a range runs from its start up
/// to its end, inclusive, wrapping past midnight when the end comes first.
pub fn time_range(now: &Tm, args: &[Arg]) -> Option<bool> {
    let nums: Vec<i64> = args
        .iter()
        .map(|a| match a {
            Arg::Num(n) if n.fract() == 0.0 && (0.0..=60.0).contains(n) => Some(*n as i64),
            _ => None,
        })
        .collect::<Option<_>>()?;
    let secs = (now.hour * 3600 + now.minute * 60 + now.second) as i64;
    let (lo, hi) = match nums.as_slice() {
        [h] => return Some(*h == now.hour as i64),
        [h1, h2] => (h1 * 3600, h2 * 3600),
        [h1, m1, h2, m2] => (h1 * 3600 + m1 * 60, h2 * 3600 + m2 * 60),
        [h1, m1, s1, h2, m2, s2] => (h1 * 3600 + m1 * 60 + s1, h2 * 3600 + m2 * 60 + s2),
        _ => return None,
    };
    Some(in_range(secs, lo, hi))
}

/// One entry of what `FindProxyForURL` returned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PacEntry {
    Direct,
    /// `PROXY host:port` (and `HTTP host:port`): a plain-HTTP proxy. The port defaults to 80.
    Http {
        host: String,
        port: u16,
    },
    /// `HTTPS host:port`: a proxy spoken to over TLS. The port defaults to 443.
    Https {
        host: String,
        port: u16,
    },
    /// `SOCKS`/`SOCKS4`/`SOCKS5 host:port`: WinHTTP has no SOCKS support; kept to be skipped.
    Socks {
        host: String,
        port: u16,
    },
}

/// Parses the string `FindProxyForURL` returned: entries separated by `;`, each `DIRECT` or a type
/// and `host[:port]`. Keywords are case-insensitive; empty entries are skipped. `None` when an
/// entry is malformed (Windows then treats the script's answer as an error).
pub fn parse_pac_result(s: &str) -> Option<Vec<PacEntry>> {
    let mut out = Vec::new();
    for entry in s.split(';').map(str::trim).filter(|e| !e.is_empty()) {
        let mut words = entry.split_whitespace();
        let kind = words.next()?.to_ascii_uppercase();
        let target = words.next();
        if words.next().is_some() {
            return None;
        }
        let hp = |default: u16| -> Option<(String, u16)> {
            let t = target?;
            let (h, p) = super::proxy::split_port(t)?;
            // An IPv6 address, or a name without the characters that give an authority or a list its
            // structure (`:`, `[`, `]`, `/`, `@`, `;`, spaces, controls); anything else is malformed.
            let name_ok =
                !h.is_empty() && !h.chars().any(|c| c.is_whitespace() || c.is_control() || ":[]/@;".contains(c));
            if !name_ok && h.parse::<std::net::Ipv6Addr>().is_err() {
                return None;
            }
            let host = if h.contains(':') { format!("[{h}]") } else { h.to_string() };
            Some((host, p.unwrap_or(default)))
        };
        out.push(match kind.as_str() {
            "DIRECT" if target.is_none() => PacEntry::Direct,
            "PROXY" | "HTTP" => {
                let (host, port) = hp(80)?;
                PacEntry::Http { host, port }
            }
            "HTTPS" => {
                let (host, port) = hp(443)?;
                PacEntry::Https { host, port }
            }
            "SOCKS" | "SOCKS4" | "SOCKS5" => {
                let (host, port) = hp(1080)?;
                PacEntry::Socks { host, port }
            }
            _ => return None,
        });
    }
    Some(out)
}

/// What `WinHttpGetProxyForUrl` reports for a parsed answer: the `;`-separated proxy list for
/// `WINHTTP_PROXY_INFO.lpszProxy` (SOCKS entries left out, as WinHTTP cannot use them), or `None`
/// to go direct (the answer is `DIRECT` first, or names no usable proxy).
pub fn proxy_list(entries: &[PacEntry]) -> Option<String> {
    let mut list = Vec::new();
    for e in entries {
        match e {
            PacEntry::Direct if list.is_empty() => return None,
            PacEntry::Direct => break,
            PacEntry::Http { host, port } => list.push(format!("{host}:{port}")),
            PacEntry::Https { host, port } => list.push(format!("https://{host}:{port}")),
            PacEntry::Socks { .. } => {}
        }
    }
    (!list.is_empty()).then(|| list.join(";"))
}

/// The URL and host given to the script: the scheme lower-cased (as newer Windows does), the host
/// lower-cased with `WINHTTP_AUTOPROXY_HOST_LOWERCASE`, kept otherwise. `None` for a URL without
/// `scheme://host`.
pub fn script_url_and_host(url: &str, lowercase_host: bool) -> Option<(String, String)> {
    let (scheme, rest) = url.split_once("://")?;
    if scheme.is_empty() || !scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c)) {
        return None;
    }
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    let hostport = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = match hostport.strip_prefix('[') {
        Some(v6) => v6.split_once(']')?.0,
        None => hostport.split(':').next().unwrap_or(""),
    };
    if host.is_empty() {
        return None;
    }
    let (host, authority) = if lowercase_host {
        (host.to_ascii_lowercase(), authority.replace(host, &host.to_ascii_lowercase()))
    } else {
        (host.to_string(), authority.to_string())
    };
    Some((format!("{}://{}{}", scheme.to_ascii_lowercase(), authority, &rest[end..]), host))
}

/// The WPAD host names to try, in order, for these DNS search domains: `wpad.` before each
/// domain and each of its parents down to two labels (`wpad.a.b.example.com`, `wpad.b.example.com`,
/// `wpad.example.com`; never `wpad.com`). Duplicates are dropped.
pub fn wpad_candidates(domains: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for d in domains {
        let mut d = d.trim().trim_matches('.');
        while d.contains('.') {
            let host = format!("wpad.{}", d.to_ascii_lowercase());
            if !out.contains(&host) {
                out.push(host);
            }
            d = d.split_once('.').map_or("", |(_, rest)| rest);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_expressions() {
        assert!(sh_exp_match("http://home.netscape.com/people/ari/index.html", "*/ari/*"));
        assert!(!sh_exp_match("http://home.netscape.com/people/montulli/index.html", "*/ari/*"));
        assert!(sh_exp_match("abc", "a?c"));
        assert!(!sh_exp_match("abbc", "a?c"));
        assert!(sh_exp_match("", "*"));
        assert!(!sh_exp_match("ABC", "abc"));
        assert!(sh_exp_match("a.b.c", "*.c"));
        assert!(sh_exp_match("xyz", "x*z*"));
    }

    #[test]
    fn host_helpers() {
        assert!(is_plain_host_name("www"));
        assert!(!is_plain_host_name("www.netscape.com"));
        assert!(dns_domain_is("www.netscape.com", ".netscape.com"));
        assert!(dns_domain_is("WWW.Netscape.COM", ".netscape.com"));
        assert!(!dns_domain_is("www", ".netscape.com"));
        assert!(!dns_domain_is("www.mcom.com", ".netscape.com"));
        assert!(local_host_or_domain_is("www.netscape.com", "www.netscape.com"));
        assert!(local_host_or_domain_is("www", "www.netscape.com"));
        assert!(!local_host_or_domain_is("www.mcom.com", "www.netscape.com"));
        assert!(!local_host_or_domain_is("home.netscape.com", "www.netscape.com"));
        assert_eq!(dns_domain_levels("www"), 0);
        assert_eq!(dns_domain_levels("www.netscape.com"), 2);
    }

    #[test]
    fn networks() {
        let ip = "198.95.249.79".parse().unwrap();
        assert_eq!(is_in_net(ip, "198.95.249.79", "255.255.255.255"), Some(true));
        assert_eq!(is_in_net(ip, "198.95.0.0", "255.255.0.0"), Some(true));
        assert_eq!(is_in_net(ip, "10.0.0.0", "255.0.0.0"), Some(false));
        assert_eq!(is_in_net(ip, "nope", "255.0.0.0"), None);
        assert_eq!(is_in_net_ex("198.95.249.79", "198.95.0.0/16"), Some(true));
        assert_eq!(is_in_net_ex("198.96.0.1", "198.95.0.0/16"), Some(false));
        assert_eq!(is_in_net_ex("3ffe:8311:ffff::1", "3ffe:8311:ffff::/48"), Some(true));
        assert_eq!(is_in_net_ex("3ffe:8312::1", "3ffe:8311:ffff::/48"), Some(false));
        assert_eq!(is_in_net_ex("::1", "10.0.0.0/8"), Some(false));
        assert_eq!(is_in_net_ex("1.2.3.4", "0.0.0.0/0"), Some(true));
        assert_eq!(is_in_net_ex("1.2.3.4", "1.2.3.4/33"), None);
        assert_eq!(is_in_net_ex("x", "1.2.3.4/8"), None);
    }

    #[test]
    fn sorted_lists() {
        assert_eq!(
            sort_ip_address_list("10.2.3.9;2001:4898:28:3:201:2ff:feea:fc14;::1;127.0.0.1;::9").as_deref(),
            Some("::1;::9;2001:4898:28:3:201:2ff:feea:fc14;10.2.3.9;127.0.0.1")
        );
        assert_eq!(sort_ip_address_list(""), None);
        assert_eq!(sort_ip_address_list("1.2.3.4;x"), None);
    }

    // Wednesday 15 March 2023, 14:30:10.
    const NOW: Tm = Tm { year: 2023, month: 2, day: 15, weekday: 3, hour: 14, minute: 30, second: 10 };

    fn s(v: &str) -> Arg {
        Arg::Str(v.into())
    }
    fn n(v: f64) -> Arg {
        Arg::Num(v)
    }

    #[test]
    fn weekdays() {
        assert_eq!(weekday_range(&NOW, &[s("WED")]), Some(true));
        assert_eq!(weekday_range(&NOW, &[s("MON"), s("FRI")]), Some(true));
        assert_eq!(weekday_range(&NOW, &[s("THU"), s("MON")]), Some(false));
        assert_eq!(weekday_range(&NOW, &[s("SAT"), s("WED")]), Some(true));
        assert_eq!(weekday_range(&NOW, &[s("XYZ")]), None);
        let mut args = vec![s("MON"), s("GMT")];
        assert!(take_gmt(&mut args));
        assert_eq!(args, vec![s("MON")]);
    }

    #[test]
    fn dates() {
        assert_eq!(date_range(&NOW, &[n(15.0)]), Some(true));
        assert_eq!(date_range(&NOW, &[n(1.0)]), Some(false));
        assert_eq!(date_range(&NOW, &[s("MAR")]), Some(true));
        assert_eq!(date_range(&NOW, &[n(2023.0)]), Some(true));
        assert_eq!(date_range(&NOW, &[n(1.0), n(15.0)]), Some(true));
        assert_eq!(date_range(&NOW, &[s("JAN"), s("FEB")]), Some(false));
        assert_eq!(date_range(&NOW, &[s("NOV"), s("MAR")]), Some(true));
        assert_eq!(date_range(&NOW, &[n(1.0), s("MAR"), n(14.0), s("MAR")]), Some(false));
        assert_eq!(date_range(&NOW, &[n(1.0), s("MAR"), n(15.0), s("MAR")]), Some(true));
        assert_eq!(date_range(&NOW, &[s("JAN"), n(2023.0), s("DEC"), n(2023.0)]), Some(true));
        assert_eq!(date_range(&NOW, &[n(1.0), s("JAN"), n(2024.0), n(1.0), s("FEB"), n(2024.0)]), Some(false));
        assert_eq!(date_range(&NOW, &[n(16.0), s("DEC"), n(2022.0), n(15.0), s("MAR"), n(2023.0)]), Some(true));
        assert_eq!(date_range(&NOW, &[n(2020.0), n(2022.0)]), Some(false));
        assert_eq!(date_range(&NOW, &[s("MAR"), n(1.0)]), None);
        assert_eq!(date_range(&NOW, &[]), None);
    }

    #[test]
    fn times() {
        assert_eq!(time_range(&NOW, &[n(14.0)]), Some(true));
        assert_eq!(time_range(&NOW, &[n(15.0)]), Some(false));
        assert_eq!(time_range(&NOW, &[n(9.0), n(17.0)]), Some(true));
        assert_eq!(time_range(&NOW, &[n(22.0), n(6.0)]), Some(false));
        assert_eq!(time_range(&NOW, &[n(14.0), n(30.0), n(14.0), n(31.0)]), Some(true));
        assert_eq!(time_range(&NOW, &[n(14.0), n(30.0), n(11.0), n(14.0), n(31.0), n(0.0)]), Some(false));
        assert_eq!(time_range(&NOW, &[s("x")]), None);
    }

    #[test]
    fn results() {
        use PacEntry::*;
        assert_eq!(parse_pac_result("DIRECT"), Some(vec![Direct]));
        assert_eq!(
            parse_pac_result("PROXY a:8080; proxy b; DIRECT"),
            Some(vec![Http { host: "a".into(), port: 8080 }, Http { host: "b".into(), port: 80 }, Direct])
        );
        assert_eq!(parse_pac_result("HTTPS [::1]:8443"), Some(vec![Https { host: "[::1]".into(), port: 8443 }]));
        assert_eq!(parse_pac_result("BOGUS a:1"), None);
        assert_eq!(parse_pac_result("PROXY"), None);
        assert_eq!(parse_pac_result("PROXY a b"), None);
        // Found by fuzzing: a host that is neither a name nor an address.
        assert_eq!(parse_pac_result("PROXY aps://u:p@[::\u{fffd}0.0h]"), None);
        assert_eq!(parse_pac_result("PROXY [::1]"), Some(vec![Http { host: "[::1]".into(), port: 80 }]));
        assert_eq!(parse_pac_result(""), Some(vec![]));
        let l = |s| proxy_list(&parse_pac_result(s).unwrap());
        assert_eq!(l("PROXY a:1; SOCKS s:2; PROXY b:2; DIRECT; PROXY c:3").as_deref(), Some("a:1;b:2"));
        assert_eq!(l("DIRECT; PROXY a:1"), None);
        assert_eq!(l("SOCKS s:1"), None);
    }

    #[test]
    fn wpad_walks_up_the_search_domains() {
        let d = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            wpad_candidates(&d(&["a.b.Example.com", "example.com", "local"])),
            d(&["wpad.a.b.example.com", "wpad.b.example.com", "wpad.example.com"])
        );
        assert!(wpad_candidates(&d(&["com"])).is_empty());
    }

    #[test]
    fn urls_for_the_script() {
        assert_eq!(
            script_url_and_host("HTTP://WINEHQ.ORG/Test.html", false),
            Some(("http://WINEHQ.ORG/Test.html".into(), "WINEHQ.ORG".into()))
        );
        assert_eq!(
            script_url_and_host("HTTP://WINEHQ.ORG/Test.html", true),
            Some(("http://winehq.org/Test.html".into(), "winehq.org".into()))
        );
        assert_eq!(
            script_url_and_host("https://u:p@[::1]:8443/x?y", false),
            Some(("https://u:p@[::1]:8443/x?y".into(), "::1".into()))
        );
        assert_eq!(script_url_and_host("nope", false), None);
        assert_eq!(script_url_and_host("http:///x", false), None);
    }
}
