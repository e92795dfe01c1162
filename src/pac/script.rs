//! The sandboxed PAC runner. A script is compiled once into a [`Compiled`]: a QuickJS runtime
//! (rquickjs) on a thread of its own, which then answers `FindProxyForURL` calls one at a time. The
//! runtime has a memory limit, a stack limit and a deadline per call (loading the script counts as
//! one) enforced by the engine's interrupt handler, and only the standard ECMAScript built-ins and
//! the PAC helpers below: no module loader, no `std`/`os` modules, so a script can reach neither the
//! file system nor the network (name resolution goes through the helpers only).

use super::dns;
use crate::abi::*;
use crate::engine::api::lock;
use crate::proto::pac_helpers::{self as h, Arg, Tm};
use crossbeam_channel::{Sender, bounded, unbounded};
use rquickjs::function::Rest;
use rquickjs::{Context, Ctx, Function, Runtime, Value};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Most memory a script may allocate (the runtime's own allocations included).
pub const MEMORY_LIMIT: usize = 64 << 20;
/// Longest a script may run: loading it, then each call of `FindProxyForURL`.
pub const TIME_LIMIT: Duration = Duration::from_secs(5);
/// Deepest native stack the interpreter may use.
const STACK_LIMIT: usize = 1 << 20;

const BAD: DWORD = ERROR_WINHTTP_BAD_AUTO_PROXY_SCRIPT;

/// What the interrupt handler looks at: the current call's deadline and cancel flag.
struct Limits {
    deadline: Mutex<Instant>,
    cancel: Mutex<Arc<AtomicBool>>,
}

impl Limits {
    fn arm(&self, cancel: &Arc<AtomicBool>) {
        *lock(&self.deadline) = Instant::now() + TIME_LIMIT;
        *lock(&self.cancel) = cancel.clone();
    }
}

/// One call: the URL, the host, the caller's cancel flag and where the answer goes.
type Job = (String, String, Arc<AtomicBool>, Sender<Result<String, DWORD>>);

/// A loaded script: the thread that owns its runtime, fed through a channel. Dropping it ends the
/// thread once it is idle.
pub struct Compiled {
    jobs: Sender<Job>,
}

impl Compiled {
    /// Loads `script` in a new sandbox. A syntax error, an exception while loading, no
    /// `FindProxyForURL(Ex)` function, or the time or memory limit: `BAD_AUTO_PROXY_SCRIPT`.
    pub fn new(script: Arc<str>, cancel: &Arc<AtomicBool>) -> Result<Compiled, DWORD> {
        let (jobs, rx) = unbounded::<Job>();
        let (ready_tx, ready) = bounded::<Result<(), DWORD>>(1);
        let cancel = cancel.clone();
        std::thread::Builder::new()
            .name("winhttp-pac".into())
            .spawn(move || {
                let limits =
                    Arc::new(Limits { deadline: Mutex::new(Instant::now()), cancel: Mutex::new(cancel.clone()) });
                let Ok(rt) = Runtime::new() else {
                    let _ = ready_tx.send(Err(ERROR_NOT_ENOUGH_MEMORY));
                    return;
                };
                rt.set_memory_limit(MEMORY_LIMIT);
                rt.set_max_stack_size(STACK_LIMIT);
                let l = limits.clone();
                rt.set_interrupt_handler(Some(Box::new(move || {
                    Instant::now() > *lock(&l.deadline) || lock(&l.cancel).load(Ordering::Relaxed)
                })));
                let Ok(ctx) = Context::full(&rt) else {
                    let _ = ready_tx.send(Err(ERROR_NOT_ENOUGH_MEMORY));
                    return;
                };
                limits.arm(&cancel);
                let loaded = ctx.with(|ctx| -> Result<(), DWORD> {
                    install(&ctx).map_err(|_| ERROR_NOT_ENOUGH_MEMORY)?;
                    ctx.eval::<(), _>(script.as_bytes().to_vec()).map_err(|_| BAD)?;
                    find_proxy_function(&ctx).map(|_| ())
                });
                let loaded =
                    if cancel.load(Ordering::Relaxed) { Err(ERROR_WINHTTP_OPERATION_CANCELLED) } else { loaded };
                let failed = loaded.is_err();
                let _ = ready_tx.send(loaded);
                if failed {
                    return;
                }
                for (url, host, cancel, reply) in rx {
                    limits.arm(&cancel);
                    let r = ctx.with(|ctx| -> Result<String, DWORD> {
                        let v: Value =
                            find_proxy_function(&ctx)?.call((url.as_str(), host.as_str())).map_err(|_| BAD)?;
                        v.as_string().and_then(|s| s.to_string().ok()).ok_or(BAD)
                    });
                    let _ = reply.send(if cancel.load(Ordering::Relaxed) {
                        Err(ERROR_WINHTTP_OPERATION_CANCELLED)
                    } else {
                        r
                    });
                }
            })
            .map_err(|_| ERROR_NOT_ENOUGH_MEMORY)?;
        ready.recv().unwrap_or(Err(BAD))?;
        Ok(Compiled { jobs })
    }

    /// Calls `FindProxyForURLEx(url, host)` when the script defines it, else
    /// `FindProxyForURL(url, host)`, and returns the string it gave. An exception, a result that
    /// is not a string, the time or memory limit: `BAD_AUTO_PROXY_SCRIPT`; `cancel` set
    /// meanwhile: `OPERATION_CANCELLED`.
    pub fn call(&self, url: &str, host: &str, cancel: &Arc<AtomicBool>) -> Result<String, DWORD> {
        let (tx, rx) = bounded(1);
        self.jobs.send((url.to_string(), host.to_string(), cancel.clone(), tx)).map_err(|_| BAD)?;
        rx.recv().unwrap_or(Err(BAD))
    }
}

fn find_proxy_function<'js>(ctx: &Ctx<'js>) -> Result<Function<'js>, DWORD> {
    let globals = ctx.globals();
    ["FindProxyForURLEx", "FindProxyForURL"]
        .iter()
        .find_map(|name| globals.get::<_, Value>(*name).ok().and_then(|v| v.into_function()))
        .ok_or(BAD)
}

/// Loads `script` and makes one call (for tests and one-off use).
pub fn run(script: &str, url: &str, host: &str, cancel: &Arc<AtomicBool>) -> Result<String, DWORD> {
    Compiled::new(script.into(), cancel)?.call(url, host, cancel)
}

/// The arguments of a date/time helper as numbers and strings (anything else is a bad argument).
fn args(values: Vec<Value<'_>>) -> Option<Vec<Arg>> {
    values
        .into_iter()
        .map(|v| {
            if let Some(n) = v.as_number() {
                Some(Arg::Num(n))
            } else {
                v.as_string().and_then(|s| s.to_string().ok()).map(Arg::Str)
            }
        })
        .collect()
}

/// Now, broken down in local time or GMT.
fn now(gmt: bool) -> Tm {
    let t: libc::time_t = unsafe { libc::time(core::ptr::null_mut()) };
    // SAFETY: a zeroed tm is a valid out-parameter; the _r variants are thread-safe.
    let mut tm: libc::tm = unsafe { core::mem::zeroed() };
    unsafe {
        if gmt {
            libc::gmtime_r(&t, &mut tm);
        } else {
            libc::localtime_r(&t, &mut tm);
        }
    }
    Tm {
        year: tm.tm_year + 1900,
        month: tm.tm_mon as u32,
        day: tm.tm_mday as u32,
        weekday: tm.tm_wday as u32,
        hour: tm.tm_hour as u32,
        minute: tm.tm_min as u32,
        second: tm.tm_sec.min(59) as u32,
    }
}

/// A date/time helper over `Rest<Value>`: false for arguments it cannot use.
fn timed(f: fn(&Tm, &[Arg]) -> Option<bool>) -> impl Fn(Rest<Value<'_>>) -> bool {
    move |Rest(values)| {
        let Some(mut a) = args(values) else { return false };
        let gmt = h::take_gmt(&mut a);
        f(&now(gmt), &a).unwrap_or(false)
    }
}

/// Defines every PAC helper, the Netscape ones and Microsoft's IPv6 extensions, as globals.
fn install(ctx: &Ctx<'_>) -> rquickjs::Result<()> {
    let g = ctx.globals();
    macro_rules! def {
        ($name:literal, $f:expr) => {
            g.set($name, Function::new(ctx.clone(), $f)?.with_name($name)?)?;
        };
    }
    def!("isPlainHostName", |host: String| h::is_plain_host_name(&host));
    def!("dnsDomainIs", |host: String, domain: String| h::dns_domain_is(&host, &domain));
    def!("localHostOrDomainIs", |host: String, hd: String| h::local_host_or_domain_is(&host, &hd));
    def!("dnsDomainLevels", |host: String| h::dns_domain_levels(&host) as i32);
    def!("shExpMatch", |s: String, p: String| h::sh_exp_match(&s, &p));
    def!("isResolvable", |host: String| dns::resolve_v4(&host).is_some());
    def!("dnsResolve", |host: String| dns::resolve_v4(&host).map(|a| a.to_string()));
    def!("myIpAddress", || dns::my_ip_v4().to_string());
    def!("isInNet", |host: String, pattern: String, mask: String| {
        dns::resolve_v4(&host).and_then(|ip| h::is_in_net(ip, &pattern, &mask)).unwrap_or(false)
    });
    def!("weekdayRange", timed(h::weekday_range));
    def!("dateRange", timed(h::date_range));
    def!("timeRange", timed(h::time_range));
    def!("alert", |_msg: Rest<Value<'_>>| ());
    // Microsoft's IPv6 extensions.
    def!("isResolvableEx", |host: String| !dns::resolve_all(&host).is_empty());
    def!("dnsResolveEx", |host: String| join(&dns::resolve_all(&host)));
    def!("myIpAddressEx", || join(&dns::my_ips()));
    def!("isInNetEx", |ip: String, prefix: String| {
        // A host name is resolved first; any of its addresses in the prefix is a match.
        let addrs = if ip.parse::<std::net::IpAddr>().is_ok() { vec![ip] } else { dns::resolve_all(&ip) };
        addrs.iter().any(|a| h::is_in_net_ex(a, &prefix).unwrap_or(false))
    });
    def!("__sortIpAddressList", |list: String| h::sort_ip_address_list(&list));
    // sortIpAddressList gives the sorted list, or false for a list it cannot sort.
    ctx.eval::<(), _>(
        b"var sortIpAddressList = (function (sort) { return function sortIpAddressList(l) { \
          var r = sort(String(l)); return r == null ? false : r; }; })(__sortIpAddressList); \
          delete globalThis.__sortIpAddressList;"
            .to_vec(),
    )?;
    def!("getClientVersion", || "1.0".to_string());
    Ok(())
}

fn join(addrs: &[String]) -> String {
    addrs.join(";")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn go(script: &str) -> Result<String, DWORD> {
        run(script, "http://a.example/x", "a.example", &Arc::new(AtomicBool::new(false)))
    }

    #[test]
    fn runs_and_sandboxes() {
        assert_eq!(
            go("function FindProxyForURL(u, h) { return 'PROXY ' + h + ':1'; }").as_deref(),
            Ok("PROXY a.example:1")
        );
        assert_eq!(
            go("function FindProxyForURL(u, h) { return 'A'; } function FindProxyForURLEx(u, h) { return 'B'; }")
                .as_deref(),
            Ok("B")
        );
        assert_eq!(
            go("function FindProxyForURL(u, h) { return [shExpMatch(u, '*/x'), dnsDomainLevels(h), isInNetEx('10.1.2.3', '10.0.0.0/8'), sortIpAddressList('1.1.1.1;::1'), sortIpAddressList('x'), getClientVersion(), isPlainHostName(h)].join(','); }").as_deref(),
            Ok("true,1,true,::1;1.1.1.1,false,1.0,false")
        );
        assert_eq!(go("function FindProxyForURL(u, h) { return weekdayRange('SUN', 'SAT') && timeRange(0, 0, 0, 23, 59, 59) ? 'DIRECT' : 'x'; }").as_deref(), Ok("DIRECT"));
        assert_eq!(go("function FindProxyForURL(u, h) {"), Err(BAD));
        assert_eq!(go("function FindProxyForURL(u, h) { throw new Error('no'); }"), Err(BAD));
        assert_eq!(go("function FindProxyForURL(u, h) { return 42; }"), Err(BAD));
        assert_eq!(go("var x = 1;"), Err(BAD));
        assert_eq!(
            go("function FindProxyForURL(u, h) { return typeof require + typeof std + typeof os + typeof process; }")
                .as_deref(),
            Ok("undefinedundefinedundefinedundefined")
        );
        let t = Instant::now();
        assert_eq!(go("function FindProxyForURL(u, h) { for (;;) {} }"), Err(BAD));
        assert!(t.elapsed() < TIME_LIMIT + Duration::from_secs(2));
        assert_eq!(
            go("function FindProxyForURL(u, h) { var a = []; for (;;) a.push(new Array(100000).fill(1)); }"),
            Err(BAD)
        );
    }
}
