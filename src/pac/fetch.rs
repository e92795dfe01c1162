//! Downloads a PAC script over the library's own public functions (`WinHttpOpen` …
//! `WinHttpReadData`), synchronously, with no proxy: the same engine, TLS and timeouts as any
//! request. Only `http://` and `https://` URLs, as WinHTTP allows.

use crate::abi::*;
use crate::ffi::{error, headers, request, session};
use crate::proto::url::crack_str;

/// Largest script accepted (Windows gives up on far smaller ones in practice).
pub const MAX_SCRIPT: usize = 16 << 20;

fn wide(s: &str) -> Vec<WCHAR> {
    let mut v: Vec<WCHAR> = crate::proto::wide::encode(s);
    v.push(0);
    v
}

/// Closes a handle when dropped.
struct Handle(HINTERNET);

impl Drop for Handle {
    fn drop(&mut self) {
        if !self.0.is_null() {
            session::WinHttpCloseHandle(self.0);
        }
    }
}

fn ok(b: BOOL) -> Result<(), DWORD> {
    if b != 0 { Ok(()) } else { Err(ERROR_WINHTTP_UNABLE_TO_DOWNLOAD_SCRIPT) }
}

/// The body of a `200` answer to `GET url`, as text (UTF-8, Latin-1 bytes kept as characters).
/// A scheme other than http/https is `ERROR_WINHTTP_UNRECOGNIZED_SCHEME`; any other failure is
/// `ERROR_WINHTTP_UNABLE_TO_DOWNLOAD_SCRIPT`.
/// `auto_logon` (`fAutoLogonIfChallenged`) lets a challenge be answered with the default
/// credentials (any server); without it the download sends none (autologon policy HIGH).
pub fn download(url: &str, auto_logon: bool) -> Result<String, DWORD> {
    let saved = error::get();
    let r = download_inner(url, auto_logon);
    // The caller's last error is not ours to change on the way.
    error::set(saved);
    r
}

fn download_inner(url: &str, auto_logon: bool) -> Result<String, DWORD> {
    // A PAC URL whose scheme is not http: or https: (file:, ftp:, ...) is UNRECOGNIZED_SCHEME, as
    // Windows documents; one that does not parse cannot be downloaded.
    let scheme = url.split_once(':').map(|(s, _)| s.to_ascii_lowercase()).unwrap_or_default();
    if scheme != "http" && scheme != "https" {
        return Err(ERROR_WINHTTP_UNRECOGNIZED_SCHEME);
    }
    let u = crack_str(url, 0).map_err(|_| ERROR_WINHTTP_UNABLE_TO_DOWNLOAD_SCRIPT)?;
    let agent = wide("WinHttp-Autoproxy-Service/5.1");
    // SAFETY: every pointer below is a NUL-terminated wide string or a buffer we own.
    unsafe {
        let s = Handle(session::WinHttpOpen(
            agent.as_ptr(),
            WINHTTP_ACCESS_TYPE_NO_PROXY,
            core::ptr::null(),
            core::ptr::null(),
            0,
        ));
        if s.0.is_null() {
            return Err(ERROR_WINHTTP_UNABLE_TO_DOWNLOAD_SCRIPT);
        }
        ok(session::WinHttpSetTimeouts(s.0, 10_000, 10_000, 10_000, 10_000))?;
        let host = wide(&u.host);
        let c = Handle(session::WinHttpConnect(s.0, host.as_ptr(), u.port, 0));
        if c.0.is_null() {
            return Err(ERROR_WINHTTP_UNABLE_TO_DOWNLOAD_SCRIPT);
        }
        let verb = wide("GET");
        let object = wide(&u.object_name());
        let flags = if u.is_secure() { WINHTTP_FLAG_SECURE } else { 0 };
        let r = Handle(request::WinHttpOpenRequest(
            c.0,
            verb.as_ptr(),
            object.as_ptr(),
            core::ptr::null(),
            core::ptr::null(),
            core::ptr::null_mut(),
            flags,
        ));
        if r.0.is_null() {
            return Err(ERROR_WINHTTP_UNABLE_TO_DOWNLOAD_SCRIPT);
        }
        let mut policy =
            if auto_logon { WINHTTP_AUTOLOGON_SECURITY_LEVEL_LOW } else { WINHTTP_AUTOLOGON_SECURITY_LEVEL_HIGH };
        ok(crate::ffi::options::WinHttpSetOption(
            r.0,
            WINHTTP_OPTION_AUTOLOGON_POLICY,
            (&raw mut policy).cast(),
            core::mem::size_of::<DWORD>() as DWORD,
        ))?;
        ok(request::WinHttpSendRequest(r.0, core::ptr::null(), 0, core::ptr::null_mut(), 0, 0, 0))?;
        ok(request::WinHttpReceiveResponse(r.0, core::ptr::null_mut()))?;
        let mut status: DWORD = 0;
        let mut len = core::mem::size_of::<DWORD>() as DWORD;
        ok(headers::WinHttpQueryHeaders(
            r.0,
            WINHTTP_QUERY_STATUS_CODE | WINHTTP_QUERY_FLAG_NUMBER,
            core::ptr::null(),
            (&raw mut status).cast(),
            &mut len,
            core::ptr::null_mut(),
        ))?;
        if status != 200 {
            return Err(ERROR_WINHTTP_UNABLE_TO_DOWNLOAD_SCRIPT);
        }
        let mut body = Vec::new();
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let mut n: DWORD = 0;
            ok(request::WinHttpReadData(r.0, buf.as_mut_ptr().cast(), buf.len() as DWORD, &mut n))?;
            if n == 0 {
                break;
            }
            body.extend_from_slice(&buf[..n as usize]);
            if body.len() > MAX_SCRIPT {
                return Err(ERROR_WINHTTP_BAD_AUTO_PROXY_SCRIPT);
            }
        }
        Ok(match String::from_utf8(body) {
            Ok(s) => s,
            Err(e) => e.into_bytes().iter().map(|&b| b as char).collect(),
        })
    }
}
