//! Name resolution for the PAC helpers (`dnsResolve`, `myIpAddress`, their `Ex` forms) and for
//! WPAD: the system resolver (`getaddrinfo`), so `/etc/hosts`, NSS and the test suite's
//! `LD_PRELOAD` resolver shim all apply.

use std::net::{IpAddr, Ipv4Addr, ToSocketAddrs};

/// Every address of `host` (IPv6 and IPv4, as the resolver gave them, without duplicates).
pub fn resolve_all(host: &str) -> Vec<String> {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() {
        return Vec::new();
    }
    if let Ok(ip) = host.parse::<IpAddr>() {
        return vec![ip.to_string()];
    }
    let mut out: Vec<String> = Vec::new();
    if let Ok(addrs) = (host, 0u16).to_socket_addrs() {
        for a in addrs {
            let s = a.ip().to_string();
            if !out.contains(&s) {
                out.push(s);
            }
        }
    }
    out
}

/// The first IPv4 address of `host`.
pub fn resolve_v4(host: &str) -> Option<Ipv4Addr> {
    resolve_all(host).iter().find_map(|a| a.parse::<Ipv4Addr>().ok())
}

/// This machine's host name.
fn hostname() -> Option<String> {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer and its length.
    if unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) } != 0 {
        return None;
    }
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    String::from_utf8(buf[..end].to_vec()).ok().filter(|h| !h.is_empty())
}

/// The addresses of this machine's host name, loopback last; `127.0.0.1` when it has none.
pub fn my_ips() -> Vec<String> {
    let mut all = hostname().map(|h| resolve_all(&h)).unwrap_or_default();
    all.sort_by_key(|a| a.parse::<IpAddr>().map(|ip| ip.is_loopback()).unwrap_or(true));
    if all.is_empty() {
        all.push("127.0.0.1".into());
    }
    all
}

/// `myIpAddress()`: the first IPv4 address of this machine (not loopback when there is another).
pub fn my_ip_v4() -> Ipv4Addr {
    my_ips().iter().find_map(|a| a.parse().ok()).unwrap_or(Ipv4Addr::LOCALHOST)
}

/// The DNS search domains: `LOCALDOMAIN` when set (the resolver's own override, which the tests
/// use), else `search`/`domain` of `/etc/resolv.conf`, then the host name's domain.
pub fn search_domains() -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |d: &str| {
        let d = d.trim().trim_end_matches('.').to_ascii_lowercase();
        if !d.is_empty() && !out.contains(&d) {
            out.push(d);
        }
    };
    if let Ok(v) = std::env::var("LOCALDOMAIN") {
        v.split_whitespace().for_each(&mut push);
        return out;
    }
    if let Ok(conf) = std::fs::read_to_string("/etc/resolv.conf") {
        for line in conf.lines() {
            let mut words = line.split_whitespace();
            if let Some("search" | "domain") = words.next() {
                words.for_each(&mut push);
            }
        }
    }
    if let Some((_, domain)) = hostname().as_deref().and_then(|h| h.split_once('.')) {
        push(domain);
    }
    out
}
