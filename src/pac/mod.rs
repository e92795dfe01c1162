//! Proxy auto-configuration: finding a PAC script (a given URL, or WPAD by DNS), downloading it,
//! loading it once per URL into the sandbox of [`script`] (cached), and calling it. Used by `WinHttpGetProxyForUrl`
//! (on the caller's thread) and by the asynchronous resolver (on a completion thread).
//!
//! It sits beside the engine: it downloads through the library's own public functions
//! ([`fetch`]), and its pure parts (helpers, result parsing) are in `proto::pac_helpers`.

pub mod desktop;
pub mod dns;
pub mod fetch;
pub mod script;

use crate::abi::*;
use crate::proto::pac_helpers::{self, PacEntry};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

/// What the caller's `WINHTTP_AUTOPROXY_OPTIONS` asked for, checked and converted.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// `WINHTTP_AUTOPROXY_AUTO_DETECT` with `WINHTTP_AUTO_DETECT_TYPE_*` flags.
    pub auto_detect: Option<DWORD>,
    /// `WINHTTP_AUTOPROXY_CONFIG_URL`.
    pub config_url: Option<String>,
    /// `WINHTTP_AUTOPROXY_HOST_LOWERCASE`.
    pub lowercase_host: bool,
    /// `WINHTTP_AUTOPROXY_NO_CACHE_CLIENT`: download the script again.
    pub no_cache: bool,
    /// `fAutoLogonIfChallenged`: a download challenged for authentication is answered with the
    /// default credentials (a Kerberos ticket through Negotiate); otherwise no credentials are sent.
    pub auto_logon: bool,
}

/// A cached script: its text and, once loaded, its sandbox.
struct Entry {
    text: Arc<str>,
    compiled: Option<Arc<script::Compiled>>,
}

/// Most scripts kept (each loaded one has a runtime and an idle thread); the oldest goes first.
const MAX_CACHED: usize = 16;

/// Scripts by URL, until `WinHttpResetAutoProxy` (or `NO_CACHE_CLIENT`) drops them.
fn cache() -> &'static Mutex<Vec<(String, Entry)>> {
    static CACHE: Mutex<Vec<(String, Entry)>> = Mutex::new(Vec::new());
    &CACHE
}

/// The WPAD URL found last, until `WinHttpResetAutoProxy`.
static WPAD: Mutex<Option<String>> = Mutex::new(None);

/// `WinHttpResetAutoProxy`: forgets cached scripts (`WINHTTP_RESET_SCRIPT_CACHE`) and the WPAD
/// result (`WINHTTP_RESET_STATE`, `WINHTTP_RESET_SWPAD_*`).
pub fn reset(flags: DWORD) {
    if flags & WINHTTP_RESET_SCRIPT_CACHE != 0 {
        crate::engine::api::lock(cache()).clear();
    }
    if flags & (WINHTTP_RESET_STATE | WINHTTP_RESET_SWPAD_CURRENT_NETWORK | WINHTTP_RESET_SWPAD_ALL) != 0 {
        *crate::engine::api::lock(&WPAD) = None;
    }
}

/// `WinHttpDetectAutoProxyConfigUrl` with `WINHTTP_AUTO_DETECT_TYPE_DNS_A`: `http://wpad.<domain>/wpad.dat`
/// for the first `wpad.<domain>` that resolves, walking up each search domain
/// (`a.b.example.com`, `b.example.com`, `example.com`). DHCP option 252 is not read (no portable
/// way to ask the DHCP client); DHCP alone fails with `ERROR_WINHTTP_AUTODETECTION_FAILED`.
pub fn detect(flags: DWORD) -> Result<String, DWORD> {
    if flags & WINHTTP_AUTO_DETECT_TYPE_DNS_A == 0 {
        return Err(ERROR_WINHTTP_AUTODETECTION_FAILED);
    }
    if let Some(url) = crate::engine::api::lock(&WPAD).clone() {
        return Ok(url);
    }
    for host in pac_helpers::wpad_candidates(&dns::search_domains()) {
        if !dns::resolve_all(&host).is_empty() {
            let url = format!("http://{host}/wpad.dat");
            *crate::engine::api::lock(&WPAD) = Some(url.clone());
            return Ok(url);
        }
    }
    Err(ERROR_WINHTTP_AUTODETECTION_FAILED)
}

/// The loaded script at `url`: from the cache, or downloaded and loaded (then cached).
fn compiled_for(
    url: &str,
    no_cache: bool,
    auto_logon: bool,
    cancel: &Arc<AtomicBool>,
) -> Result<Arc<script::Compiled>, DWORD> {
    let cached = {
        let c = crate::engine::api::lock(cache());
        c.iter().find(|(u, _)| u == url).map(|(_, e)| (e.text.clone(), e.compiled.clone()))
    };
    let text = match cached {
        Some((_, Some(compiled))) if !no_cache => return Ok(compiled),
        Some((text, None)) if !no_cache => text,
        _ => fetch::download(url, auto_logon)?.into(),
    };
    let compiled = script::Compiled::new(text.clone(), cancel).map(Arc::new);
    let mut c = crate::engine::api::lock(cache());
    c.retain(|(u, _)| u != url);
    if c.len() >= MAX_CACHED {
        c.remove(0);
    }
    // A script that does not load is kept as text: the next call loads it again without a download.
    c.push((url.to_string(), Entry { text, compiled: compiled.as_ref().ok().cloned() }));
    compiled
}

/// Forgets the loaded sandbox of `url` (after a call that failed, its state is not trusted).
fn unload(url: &str) {
    if let Some((_, e)) = crate::engine::api::lock(cache()).iter_mut().find(|(u, _)| u == url) {
        e.compiled = None;
    }
}

/// Resolves the proxies for `url`: the entries `FindProxyForURL` returned, in order.
pub fn resolve(url: &str, opts: &Options, cancel: &Arc<AtomicBool>) -> Result<Vec<PacEntry>, DWORD> {
    let (script_url, host) =
        pac_helpers::script_url_and_host(url, opts.lowercase_host).ok_or(ERROR_WINHTTP_INVALID_URL)?;
    let mut last = ERROR_WINHTTP_AUTODETECTION_FAILED;
    // Auto-detection first, then the configured URL, as Windows does when both are asked for.
    let mut sources = Vec::new();
    if let Some(flags) = opts.auto_detect {
        sources.push(Err(flags));
    }
    if let Some(u) = &opts.config_url {
        sources.push(Ok(u.clone()));
    }
    for source in sources {
        let pac_url = match source {
            Ok(u) => u,
            Err(flags) => match detect(flags) {
                Ok(u) => u,
                Err(e) => {
                    last = e;
                    continue;
                }
            },
        };
        match compiled_for(&pac_url, opts.no_cache, opts.auto_logon, cancel) {
            Ok(compiled) => {
                let answer = compiled.call(&script_url, &host, cancel).inspect_err(|_| unload(&pac_url))?;
                return pac_helpers::parse_pac_result(&answer).ok_or(ERROR_WINHTTP_BAD_AUTO_PROXY_SCRIPT);
            }
            Err(e @ (ERROR_WINHTTP_UNABLE_TO_DOWNLOAD_SCRIPT | ERROR_WINHTTP_UNRECOGNIZED_SCHEME)) => last = e,
            Err(e) => return Err(e),
        }
    }
    Err(last)
}
