//! macOS: the proxy settings of System Configuration (`SCDynamicStoreCopyProxies`): the PAC URL,
//! auto-discovery, the HTTP and HTTPS proxies and the exceptions list. Compiled only on macOS; this
//! project's machines are Linux, so this code has been neither built nor run there.

use crate::proto::desktop_proxy::DesktopProxy;
use std::ffi::{c_char, c_void};

type CFTypeRef = *const c_void;

const UTF8: u32 = 0x0800_0100; // kCFStringEncodingUTF8
const INT: isize = 9; // kCFNumberIntType

#[link(name = "SystemConfiguration", kind = "framework")]
unsafe extern "C" {
    fn SCDynamicStoreCopyProxies(store: CFTypeRef) -> CFTypeRef;
}

#[link(name = "CoreFoundation", kind = "framework")]
unsafe extern "C" {
    fn CFDictionaryGetValue(dict: CFTypeRef, key: CFTypeRef) -> CFTypeRef;
    fn CFStringCreateWithCString(alloc: CFTypeRef, s: *const c_char, encoding: u32) -> CFTypeRef;
    fn CFStringGetCString(s: CFTypeRef, buf: *mut c_char, size: isize, encoding: u32) -> u8;
    fn CFNumberGetValue(n: CFTypeRef, kind: isize, out: *mut c_void) -> u8;
    fn CFArrayGetCount(a: CFTypeRef) -> isize;
    fn CFArrayGetValueAtIndex(a: CFTypeRef, i: isize) -> CFTypeRef;
    fn CFGetTypeID(x: CFTypeRef) -> usize;
    fn CFStringGetTypeID() -> usize;
    fn CFNumberGetTypeID() -> usize;
    fn CFArrayGetTypeID() -> usize;
    fn CFRelease(x: CFTypeRef);
}

/// The dictionary `SCDynamicStoreCopyProxies` returned, released on drop.
struct Dict(CFTypeRef);

impl Drop for Dict {
    fn drop(&mut self) {
        // SAFETY: a dictionary we own (a Copy function's result).
        unsafe { CFRelease(self.0) }
    }
}

impl Dict {
    /// The value under `key` (a kSCPropNetProxies* name), not retained.
    fn get(&self, key: &str) -> CFTypeRef {
        let c = std::ffi::CString::new(key).unwrap_or_default();
        // SAFETY: a NUL-terminated UTF-8 string; the key is released after the lookup.
        unsafe {
            let k = CFStringCreateWithCString(core::ptr::null(), c.as_ptr(), UTF8);
            if k.is_null() {
                return core::ptr::null();
            }
            let v = CFDictionaryGetValue(self.0, k);
            CFRelease(k);
            v
        }
    }

    fn string(&self, key: &str) -> Option<String> {
        cf_string(self.get(key))
    }

    fn number(&self, key: &str) -> Option<i32> {
        let v = self.get(key);
        // SAFETY: type-checked before reading.
        unsafe {
            if v.is_null() || CFGetTypeID(v) != CFNumberGetTypeID() {
                return None;
            }
            let mut n: i32 = 0;
            (CFNumberGetValue(v, INT, (&raw mut n).cast()) != 0).then_some(n)
        }
    }

    fn enabled(&self, key: &str) -> bool {
        self.number(key).is_some_and(|n| n != 0)
    }
}

fn cf_string(v: CFTypeRef) -> Option<String> {
    let mut buf = vec![0 as c_char; 4096];
    // SAFETY: type-checked; the buffer and its size.
    unsafe {
        if v.is_null() || CFGetTypeID(v) != CFStringGetTypeID() {
            return None;
        }
        if CFStringGetCString(v, buf.as_mut_ptr(), buf.len() as isize, UTF8) == 0 {
            return None;
        }
        Some(std::ffi::CStr::from_ptr(buf.as_ptr()).to_string_lossy().into_owned())
    }
}

/// The current settings, as `WinHttpGetIEProxyConfigForCurrentUser` reports them.
pub fn read() -> Option<DesktopProxy> {
    // SAFETY: NULL asks for a temporary session to the dynamic store.
    let d = Dict(unsafe { SCDynamicStoreCopyProxies(core::ptr::null()) });
    if d.0.is_null() {
        return None;
    }
    let mut out = DesktopProxy {
        auto_detect: d.enabled("ProxyAutoDiscoveryEnable"),
        pac_url: d.enabled("ProxyAutoConfigEnable").then(|| d.string("ProxyAutoConfigURLString")).flatten(),
        ..Default::default()
    };
    let mut list = Vec::new();
    for (scheme, prefix) in [("http", "HTTP"), ("https", "HTTPS")] {
        if d.enabled(&format!("{prefix}Enable"))
            && let Some(host) = d.string(&format!("{prefix}Proxy"))
        {
            let port = d.number(&format!("{prefix}Port")).unwrap_or(if scheme == "http" { 80 } else { 443 });
            list.push(format!("{scheme}={host}:{port}"));
        }
    }
    out.proxy = (!list.is_empty()).then(|| list.join(";"));
    let exceptions = d.get("ExceptionsList");
    // SAFETY: type-checked; every element read is checked by `cf_string`.
    let bypass: Vec<String> = unsafe {
        if exceptions.is_null() || CFGetTypeID(exceptions) != CFArrayGetTypeID() {
            Vec::new()
        } else {
            (0..CFArrayGetCount(exceptions)).filter_map(|i| cf_string(CFArrayGetValueAtIndex(exceptions, i))).collect()
        }
    };
    out.bypass = (!bypass.is_empty()).then(|| bypass.join(";"));
    Some(out)
}
