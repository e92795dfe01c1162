//! The desktop's own proxy settings, sans I/O: GNOME's `org.gnome.system.proxy` schema (as
//! `gsettings list-recursively` prints it) and KDE's `kioslaverc`, turned into what
//! `WINHTTP_CURRENT_USER_IE_PROXY_CONFIG` carries (auto-detect, a PAC URL, a WinHTTP proxy list and
//! bypass list).

/// The proxy settings a desktop holds for the current user.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DesktopProxy {
    /// Find a PAC script by WPAD.
    pub auto_detect: bool,
    /// The PAC script's URL.
    pub pac_url: Option<String>,
    /// Manual proxies in WinHTTP's syntax (`http=host:port;https=host:port`).
    pub proxy: Option<String>,
    /// Hosts that go direct, in WinHTTP's syntax (`;`-separated).
    pub bypass: Option<String>,
}

/// A GVariant string literal as gsettings prints it (`'text'` or `"text"`, backslash escapes).
fn gv_string(v: &str) -> Option<String> {
    let v = v.trim();
    let quote = v.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let inner = v.strip_prefix(quote)?.strip_suffix(quote)?;
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            out.push(chars.next()?);
        } else {
            out.push(c);
        }
    }
    Some(out)
}

/// A GVariant string array as gsettings prints it (`['a', 'b']`, `@as []`).
fn gv_strings(v: &str) -> Vec<String> {
    let v = v.trim().trim_start_matches("@as").trim();
    let Some(inner) = v.strip_prefix('[').and_then(|r| r.strip_suffix(']')) else { return Vec::new() };
    let mut out = Vec::new();
    let (mut cur, mut quote, mut escaped) = (String::new(), None::<char>, false);
    for c in inner.chars() {
        match quote {
            Some(q) => {
                cur.push(c);
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                }
            }
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                cur.push(c);
            }
            None if c == ',' => out.extend(gv_string(&std::mem::take(&mut cur))),
            None => cur.push(c),
        }
    }
    out.extend(gv_string(&cur));
    out
}

/// `org.gnome.system.proxy` from `gsettings list-recursively org.gnome.system.proxy` output.
/// `None` when the schema is not there. Mode `none` is no proxy; `auto` is the PAC URL, or WPAD when
/// it is empty; `manual` is the HTTP and HTTPS proxies with `ignore-hosts` as the bypass list.
pub fn parse_gsettings(text: &str) -> Option<DesktopProxy> {
    let mut get = std::collections::HashMap::new();
    for line in text.lines() {
        let mut it = line.splitn(3, ' ');
        if let (Some(schema), Some(key), Some(value)) = (it.next(), it.next(), it.next()) {
            get.insert((schema.to_string(), key.to_string()), value.to_string());
        }
    }
    let value = |schema: &str, key: &str| get.get(&(format!("org.gnome.system.proxy{schema}"), key.to_string()));
    let mode = gv_string(value("", "mode")?)?;
    let mut d = DesktopProxy::default();
    match mode.as_str() {
        "auto" => match value("", "autoconfig-url").and_then(|v| gv_string(v)).filter(|u| !u.is_empty()) {
            Some(url) => d.pac_url = Some(url),
            None => d.auto_detect = true,
        },
        "manual" => {
            let mut list = Vec::new();
            for scheme in ["http", "https"] {
                let host = value(&format!(".{scheme}"), "host").and_then(|v| gv_string(v)).unwrap_or_default();
                let port = value(&format!(".{scheme}"), "port").and_then(|v| v.trim().parse::<u16>().ok()).unwrap_or(0);
                if !host.is_empty() && port != 0 {
                    list.push(format!("{scheme}={host}:{port}"));
                }
            }
            d.proxy = (!list.is_empty()).then(|| list.join(";"));
            let ignore = value("", "ignore-hosts").map(|v| gv_strings(v)).unwrap_or_default();
            d.bypass = (!ignore.is_empty()).then(|| ignore.join(";"));
        }
        _ => {}
    }
    Some(d)
}

/// A KDE proxy entry (`http://host:port`, `host:port` or the older `host port`) as `host:port`.
fn kde_proxy(v: &str) -> Option<String> {
    let v = v.trim();
    let v = v.split_once("://").map_or(v, |(_, rest)| rest).trim_end_matches('/');
    let v = match v.rsplit_once(' ') {
        Some((h, p)) if p.parse::<u16>().is_ok() => format!("{}:{p}", h.trim()),
        _ => v.to_string(),
    };
    (!v.is_empty()).then_some(v)
}

/// KDE's `kioslaverc` (`[Proxy Settings]`): `ProxyType` 0 none, 1 manual (`httpProxy`,
/// `httpsProxy`, `NoProxyFor`), 2 a PAC URL (`Proxy Config Script`), 3 WPAD. `None` for type 4
/// (the proxy environment variables, which the caller reads anyway) or no section.
pub fn parse_kioslaverc(text: &str) -> Option<DesktopProxy> {
    let mut in_section = false;
    let mut keys = std::collections::HashMap::new();
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            in_section = line == "[Proxy Settings]";
        } else if in_section && let Some((k, v)) = line.split_once('=') {
            // Localised or flagged keys (`Key[$e]`) keep their base name.
            let k = k.split('[').next().unwrap_or(k).trim();
            keys.insert(k.to_string(), v.trim().to_string());
        }
    }
    let kind: u32 = keys.get("ProxyType")?.parse().ok()?;
    let mut d = DesktopProxy::default();
    match kind {
        0 => {}
        1 => {
            let list: Vec<String> = [("http", "httpProxy"), ("https", "httpsProxy")]
                .iter()
                .filter_map(|(scheme, key)| keys.get(*key).and_then(|v| kde_proxy(v)).map(|p| format!("{scheme}={p}")))
                .collect();
            d.proxy = (!list.is_empty()).then(|| list.join(";"));
            let bypass: Vec<&str> = keys
                .get("NoProxyFor")
                .map(|v| v.split([',', ' ']).map(str::trim).filter(|e| !e.is_empty()).collect())
                .unwrap_or_default();
            d.bypass = (!bypass.is_empty()).then(|| bypass.join(";"));
        }
        2 => d.pac_url = keys.get("Proxy Config Script").filter(|u| !u.is_empty()).cloned(),
        3 => d.auto_detect = true,
        _ => return None,
    }
    Some(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GNOME: &str = "org.gnome.system.proxy autoconfig-url ''
org.gnome.system.proxy ignore-hosts ['localhost', '*.corp.example', \"it's\"]
org.gnome.system.proxy mode 'manual'
org.gnome.system.proxy use-same-proxy true
org.gnome.system.proxy.http host 'proxy.gnome.test'
org.gnome.system.proxy.http port 3128
org.gnome.system.proxy.https host 'secure.gnome.test'
org.gnome.system.proxy.https port 3129
org.gnome.system.proxy.socks host ''
org.gnome.system.proxy.socks port 0
";

    #[test]
    fn gnome_manual_auto_none() {
        let d = parse_gsettings(GNOME).unwrap();
        assert_eq!(d.proxy.as_deref(), Some("http=proxy.gnome.test:3128;https=secure.gnome.test:3129"));
        assert_eq!(d.bypass.as_deref(), Some("localhost;*.corp.example;it's"));
        assert!(!d.auto_detect && d.pac_url.is_none());
        let auto = GNOME.replace("'manual'", "'auto'");
        assert_eq!(parse_gsettings(&auto), Some(DesktopProxy { auto_detect: true, ..Default::default() }));
        let pac = auto.replace("autoconfig-url ''", "autoconfig-url 'http://pac.test/p.pac'");
        assert_eq!(parse_gsettings(&pac).unwrap().pac_url.as_deref(), Some("http://pac.test/p.pac"));
        assert_eq!(parse_gsettings(&GNOME.replace("'manual'", "'none'")), Some(DesktopProxy::default()));
        assert_eq!(parse_gsettings("No such schema “org.gnome.system.proxy”"), None);
        assert_eq!(gv_strings("@as []"), Vec::<String>::new());
        assert_eq!(gv_strings("['a,b', \"c'd\"]"), vec!["a,b".to_string(), "c'd".to_string()]);
    }

    #[test]
    fn kde_types() {
        let manual = "[General]\nx=1\n[Proxy Settings]\nProxyType=1\nhttpProxy=http://proxy.kde.test:3128\n\
                      httpsProxy=secure.kde.test 3129\nNoProxyFor=localhost,.corp.example\n";
        let d = parse_kioslaverc(manual).unwrap();
        assert_eq!(d.proxy.as_deref(), Some("http=proxy.kde.test:3128;https=secure.kde.test:3129"));
        assert_eq!(d.bypass.as_deref(), Some("localhost;.corp.example"));
        let pac = "[Proxy Settings]\nProxyType=2\nProxy Config Script=http://pac.test/k.pac\n";
        assert_eq!(parse_kioslaverc(pac).unwrap().pac_url.as_deref(), Some("http://pac.test/k.pac"));
        assert!(parse_kioslaverc("[Proxy Settings]\nProxyType=3\n").unwrap().auto_detect);
        assert_eq!(parse_kioslaverc("[Proxy Settings]\nProxyType=0\n"), Some(DesktopProxy::default()));
        assert_eq!(parse_kioslaverc("[Proxy Settings]\nProxyType=4\n"), None);
        assert_eq!(parse_kioslaverc("[Other]\nProxyType=1\n"), None);
    }
}
