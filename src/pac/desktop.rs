//! The desktop's proxy settings, read when asked and cached with change detection:
//!
//! - KDE (`XDG_CURRENT_DESKTOP` names KDE): `$XDG_CONFIG_HOME/kioslaverc` (default `~/.config`).
//! - GNOME and the other desktops that use its schema (any other `XDG_CURRENT_DESKTOP`, or
//!   `GSETTINGS_BACKEND` set): `gsettings list-recursively org.gnome.system.proxy`, run again only
//!   when dconf's database (`$XDG_CONFIG_HOME/dconf/user`) or GSettings' keyfile
//!   (`$XDG_CONFIG_HOME/glib-2.0/settings/keyfile`) changed.
//! - macOS: System Configuration's `SCDynamicStoreCopyProxies` ([`macos`]).
//!
//! No desktop (a server, CI): `None`, and callers use the proxy environment variables.

use crate::proto::desktop_proxy::{self, DesktopProxy};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

/// Where the settings come from, and what tells that they changed (on macOS the system's settings
/// only: the desktop variants are never made there).
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(target_os = "macos", allow(dead_code))]
enum Source {
    Kde(PathBuf),
    Gnome,
    #[cfg(target_os = "macos")]
    MacOs,
    None,
}

/// Modification times (and sizes) of the files behind a source.
type Stamp = Vec<Option<(SystemTime, u64)>>;

struct Cached {
    source: Source,
    stamp: Stamp,
    settings: Option<DesktopProxy>,
}

static CACHE: Mutex<Option<Cached>> = Mutex::new(None);
/// Bumped whenever the settings read differ from the ones read before (`WinHttpGetProxySettingsVersion`).
static VERSION: Mutex<(u32, Option<Option<DesktopProxy>>)> = Mutex::new((1, None));

fn config_home() -> Option<PathBuf> {
    std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))
}

fn source() -> Source {
    #[cfg(target_os = "macos")]
    {
        Source::MacOs
    }
    #[cfg(not(target_os = "macos"))]
    {
        let desktop = std::env::var("XDG_CURRENT_DESKTOP").unwrap_or_default().to_ascii_uppercase();
        if desktop.split(':').any(|d| d == "KDE") {
            return config_home().map_or(Source::None, |c| Source::Kde(c.join("kioslaverc")));
        }
        if !desktop.is_empty() || std::env::var_os("GSETTINGS_BACKEND").is_some() {
            return Source::Gnome;
        }
        Source::None
    }
}

fn file_stamp(p: &std::path::Path) -> Option<(SystemTime, u64)> {
    let m = std::fs::metadata(p).ok()?;
    Some((m.modified().ok()?, m.len()))
}

fn stamp(source: &Source) -> Stamp {
    match source {
        Source::Kde(path) => vec![file_stamp(path)],
        Source::Gnome => {
            let c = config_home().unwrap_or_default();
            vec![file_stamp(&c.join("dconf/user")), file_stamp(&c.join("glib-2.0/settings/keyfile"))]
        }
        // System Configuration has no file to watch: read it again every time.
        #[cfg(target_os = "macos")]
        Source::MacOs => vec![Some((SystemTime::now(), 0))],
        Source::None => Vec::new(),
    }
}

/// Runs `gsettings list-recursively org.gnome.system.proxy` for at most two seconds.
fn gsettings() -> Option<String> {
    let mut child = Command::new("gsettings")
        .args(["list-recursively", "org.gnome.system.proxy"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let deadline = Instant::now() + Duration::from_secs(2);
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(5)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
        }
    }
    let mut out = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take()?, &mut out).ok()?;
    Some(out)
}

fn read(source: &Source) -> Option<DesktopProxy> {
    match source {
        Source::Kde(path) => desktop_proxy::parse_kioslaverc(&std::fs::read_to_string(path).ok()?),
        Source::Gnome => desktop_proxy::parse_gsettings(&gsettings()?),
        #[cfg(target_os = "macos")]
        Source::MacOs => macos::read(),
        Source::None => None,
    }
}

/// The desktop's proxy settings now (`None`: no desktop settings; use the environment).
pub fn current() -> Option<DesktopProxy> {
    let source = source();
    let stamp = stamp(&source);
    let settings = {
        let mut c = crate::engine::api::lock(&CACHE);
        match c.as_ref() {
            Some(c) if c.source == source && c.stamp == stamp => c.settings.clone(),
            _ => {
                let settings = read(&source);
                *c = Some(Cached { source, stamp, settings: settings.clone() });
                settings
            }
        }
    };
    let mut v = crate::engine::api::lock(&VERSION);
    if v.1.as_ref() != Some(&settings) {
        if v.1.is_some() {
            v.0 = v.0.wrapping_add(1).max(1);
        }
        v.1 = Some(settings.clone());
    }
    settings
}

/// A number that changes whenever the desktop's proxy settings change.
pub fn version() -> u32 {
    let _ = current();
    crate::engine::api::lock(&VERSION).0
}

/// The proxy (`host:port`) the desktop's settings choose for a plain-HTTP request to `host:port`,
/// for sessions opened with `WINHTTP_ACCESS_TYPE_AUTOMATIC_PROXY`: `Some(None)` to go direct,
/// `None` when there are no desktop settings. A PAC script (given or found by WPAD) that fails
/// falls back to the manual proxies, then to direct.
pub fn automatic_proxy(host: &str, port: u16) -> Option<Option<String>> {
    let d = current()?;
    if d.auto_detect || d.pac_url.is_some() {
        let opts = super::Options {
            auto_detect: d.auto_detect.then_some(crate::abi::WINHTTP_AUTO_DETECT_TYPE_DNS_A),
            config_url: d.pac_url.clone(),
            ..Default::default()
        };
        let url =
            if host.contains(':') { format!("http://[{host}]:{port}/") } else { format!("http://{host}:{port}/") };
        let cancel = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        if let Ok(entries) = super::resolve(&url, &opts, &cancel) {
            return Some(entries.iter().find_map(|e| match e {
                crate::proto::pac_helpers::PacEntry::Http { host, port } => Some(format!("{host}:{port}")),
                _ => None,
            }));
        }
    }
    let list = d.proxy.as_deref()?;
    Some(crate::proto::proxy::ProxyConfig::named(list, d.bypass.as_deref().unwrap_or("")).proxy_for(false, host, port))
}

/// `WinHttpRegisterProxyChangeNotification`: a watcher thread that looks at the settings every
/// half second (a file's time stamp, unless they changed) and calls back when they change.
pub mod watch {
    use crate::abi::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Duration;

    /// One registration: its stop flag.
    pub struct Registration {
        stop: Arc<AtomicBool>,
        thread: Option<std::thread::JoinHandle<()>>,
    }

    struct Callback(WINHTTP_PROXY_CHANGE_CALLBACK, usize);
    // SAFETY: the caller's function and context, which WinHTTP calls from its own threads too.
    unsafe impl Send for Callback {}

    pub fn register(flags: ULONGLONG, callback: WINHTTP_PROXY_CHANGE_CALLBACK, context: PVOID) -> Registration {
        let stop = Arc::new(AtomicBool::new(false));
        let cb = Callback(callback, context as usize);
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("winhttp-proxy-watch".into())
            .spawn(move || {
                let cb = cb;
                let mut last = super::current();
                while !flag.load(Ordering::Acquire) {
                    std::thread::park_timeout(Duration::from_millis(500));
                    if flag.load(Ordering::Acquire) {
                        break;
                    }
                    let now = super::current();
                    if now != last {
                        last = now;
                        if let Some(f) = cb.0 {
                            // SAFETY: the caller's callback with its own context.
                            unsafe { f(flags, cb.1 as PVOID) };
                        }
                    }
                }
            })
            .ok();
        Registration { stop, thread }
    }

    impl Registration {
        /// Stops the watcher and waits for it (so no callback comes after unregistering), unless
        /// called from the callback itself.
        pub fn stop(mut self) {
            self.stop.store(true, Ordering::Release);
            if let Some(t) = self.thread.take() {
                t.thread().unpark();
                if t.thread().id() != std::thread::current().id() {
                    let _ = t.join();
                }
            }
        }
    }
}

#[cfg(target_os = "macos")]
pub mod macos;
