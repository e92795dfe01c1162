//! Negotiate with Kerberos through the system's GSS-API library, loaded at run time with `dlopen`
//! (`libgssapi_krb5.so.2` from MIT Kerberos, or Heimdal's `libgssapi.so.3`, on Linux; the GSS
//! framework on macOS), so nothing new is needed to link the library and a machine without
//! Kerberos still runs it: there [`Gssapi::get`] is `Unsupported` and Negotiate falls back to NTLM
//! inside SPNEGO (`proto::auth::spnego`) or reports itself unsupported.
//!
//! [`GssNegotiate`] drives `gss_init_sec_context` with the SPNEGO mechanism for the service name
//! `HTTP@host` and the caller's default credentials (the Kerberos ticket cache), or credentials
//! acquired with a user name and password (`gss_acquire_cred_with_password`, MIT and Heimdal), as
//! the same [`Mechanism`] trait the in-process NTLM implements. A leaf module: it only uses `libc`
//! and `proto::auth`.

use crate::proto::auth::ntlm::Ntlm;
use crate::proto::auth::spnego::{OID_SPNEGO, SpnegoNtlm};
use crate::proto::auth::{AuthError, Credentials, Mechanism, SystemEntropy};
use std::ffi::{CStr, CString, c_void};
use std::sync::OnceLock;

type OmUint32 = u32;

/// `gss_buffer_desc`. Apple's headers pack GSS structures to 2 bytes on x86_64.
#[cfg_attr(all(target_os = "macos", target_arch = "x86_64"), repr(C, packed(2)))]
#[cfg_attr(not(all(target_os = "macos", target_arch = "x86_64")), repr(C))]
struct Buffer {
    length: usize,
    value: *mut c_void,
}

/// `gss_OID_desc`.
#[cfg_attr(all(target_os = "macos", target_arch = "x86_64"), repr(C, packed(2)))]
#[cfg_attr(not(all(target_os = "macos", target_arch = "x86_64")), repr(C))]
struct Oid {
    length: OmUint32,
    elements: *mut c_void,
}

/// `gss_OID_set_desc`.
#[cfg_attr(all(target_os = "macos", target_arch = "x86_64"), repr(C, packed(2)))]
#[cfg_attr(not(all(target_os = "macos", target_arch = "x86_64")), repr(C))]
struct OidSet {
    count: usize,
    elements: *mut Oid,
}

type Name = *mut c_void;
type Ctx = *mut c_void;

const GSS_S_COMPLETE: OmUint32 = 0;
const GSS_S_CONTINUE_NEEDED: OmUint32 = 1;
const GSS_S_NO_CRED: OmUint32 = 7 << 16;
const GSS_C_GSS_CODE: i32 = 1;
const GSS_C_MECH_CODE: i32 = 2;
/// `GSS_C_MUTUAL_FLAG | GSS_C_SEQUENCE_FLAG`.
const REQ_FLAGS: OmUint32 = 2 | 8;

/// 1.2.840.113554.1.2.1.4, `GSS_C_NT_HOSTBASED_SERVICE`.
const OID_HOSTBASED: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x01, 0x04];

type ImportName = unsafe extern "C" fn(*mut OmUint32, *const Buffer, *const Oid, *mut Name) -> OmUint32;
type InitSecContext = unsafe extern "C" fn(
    *mut OmUint32,
    *mut c_void,
    *mut Ctx,
    Name,
    *const Oid,
    OmUint32,
    OmUint32,
    *mut c_void,
    *const Buffer,
    *mut *mut Oid,
    *mut Buffer,
    *mut OmUint32,
    *mut OmUint32,
) -> OmUint32;
type ReleaseBuffer = unsafe extern "C" fn(*mut OmUint32, *mut Buffer) -> OmUint32;
type ReleaseName = unsafe extern "C" fn(*mut OmUint32, *mut Name) -> OmUint32;
type DeleteSecContext = unsafe extern "C" fn(*mut OmUint32, *mut Ctx, *mut Buffer) -> OmUint32;
type DisplayStatus =
    unsafe extern "C" fn(*mut OmUint32, OmUint32, i32, *const Oid, *mut OmUint32, *mut Buffer) -> OmUint32;
type AcquireCredWithPassword = unsafe extern "C" fn(
    *mut OmUint32,
    Name,
    *const Buffer,
    OmUint32,
    *mut c_void,
    i32,
    *mut Cred,
    *mut *mut c_void,
    *mut OmUint32,
) -> OmUint32;
type ReleaseCred = unsafe extern "C" fn(*mut OmUint32, *mut Cred) -> OmUint32;
type Cred = *mut c_void;

/// 1.2.840.113554.1.2.1.1, `GSS_C_NT_USER_NAME`.
const OID_USER_NAME: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x01, 0x01];
/// `GSS_C_INITIATE`.
const CRED_INITIATE: i32 = 1;

/// The GSS-API functions we use, from a library that stays loaded for the life of the process.
pub struct Gssapi {
    import_name: ImportName,
    init_sec_context: InitSecContext,
    release_buffer: ReleaseBuffer,
    release_name: ReleaseName,
    delete_sec_context: DeleteSecContext,
    display_status: DisplayStatus,
    /// Credentials from a password (absent from macOS' GSS framework: Kerberos then needs a ticket).
    password: Option<(AcquireCredWithPassword, ReleaseCred)>,
    /// Which file was loaded.
    pub path: String,
}

/// Where the library is looked for, in order.
pub const LIBRARY_NAMES: &[&str] = if cfg!(target_os = "macos") {
    &["/System/Library/Frameworks/GSS.framework/GSS", "libgssapi_krb5.2.2.dylib", "libgssapi_krb5.dylib"]
} else {
    &["libgssapi_krb5.so.2", "libgssapi.so.3", "libgssapi_krb5.so"]
};

impl Gssapi {
    /// The process-wide library, loaded on first use; `Unsupported` when none of
    /// [`LIBRARY_NAMES`] loads or lacks a function.
    pub fn get() -> Result<&'static Gssapi, AuthError> {
        static LIB: OnceLock<Result<Gssapi, String>> = OnceLock::new();
        LIB.get_or_init(|| Gssapi::load(LIBRARY_NAMES)).as_ref().map_err(|e| AuthError::Unsupported(e.clone()))
    }

    /// Loads the first of `names` that opens and has every function. The handle is never closed.
    pub fn load(names: &[&str]) -> Result<Gssapi, String> {
        let mut tried = Vec::new();
        for name in names {
            let Ok(c) = CString::new(*name) else { continue };
            // SAFETY: dlopen with a NUL-terminated name; the handle is kept for the process.
            let handle = unsafe { libc::dlopen(c.as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL) };
            if handle.is_null() {
                tried.push(name.to_string());
                continue;
            }
            let sym = |s: &CStr| {
                // SAFETY: dlsym on a live handle with a NUL-terminated name.
                let p = unsafe { libc::dlsym(handle, s.as_ptr()) };
                (!p.is_null()).then_some(p)
            };
            let found = (|| {
                // SAFETY: each symbol is the GSS-API function of that name, whose C signature
                // (RFC 2744) the types above spell out.
                unsafe {
                    Some(Gssapi {
                        import_name: std::mem::transmute::<*mut c_void, ImportName>(sym(c"gss_import_name")?),
                        init_sec_context: std::mem::transmute::<*mut c_void, InitSecContext>(sym(
                            c"gss_init_sec_context",
                        )?),
                        release_buffer: std::mem::transmute::<*mut c_void, ReleaseBuffer>(sym(c"gss_release_buffer")?),
                        release_name: std::mem::transmute::<*mut c_void, ReleaseName>(sym(c"gss_release_name")?),
                        delete_sec_context: std::mem::transmute::<*mut c_void, DeleteSecContext>(sym(
                            c"gss_delete_sec_context",
                        )?),
                        display_status: std::mem::transmute::<*mut c_void, DisplayStatus>(sym(c"gss_display_status")?),
                        password: sym(c"gss_acquire_cred_with_password").zip(sym(c"gss_release_cred")).map(|(a, r)| {
                            (
                                std::mem::transmute::<*mut c_void, AcquireCredWithPassword>(a),
                                std::mem::transmute::<*mut c_void, ReleaseCred>(r),
                            )
                        }),
                        path: name.to_string(),
                    })
                }
            })();
            match found {
                Some(lib) => return Ok(lib),
                None => tried.push(format!("{name} (incomplete)")),
            }
        }
        Err(format!("no GSSAPI library (tried {})", tried.join(", ")))
    }

    /// The text of a status code (GSS or mechanism).
    fn status_text(&self, code: OmUint32, kind: i32) -> String {
        let mut parts = Vec::new();
        let mut ctx: OmUint32 = 0;
        for _ in 0..8 {
            let mut minor = 0;
            let mut buf = Buffer { length: 0, value: std::ptr::null_mut() };
            // SAFETY: valid out-pointers; the buffer is released below.
            let major = unsafe { (self.display_status)(&mut minor, code, kind, std::ptr::null(), &mut ctx, &mut buf) };
            if major != GSS_S_COMPLETE {
                break;
            }
            let (len, val) = (buf.length, buf.value);
            if !val.is_null() {
                // SAFETY: the library gave `len` bytes at `val`.
                let bytes = unsafe { std::slice::from_raw_parts(val as *const u8, len) };
                parts.push(String::from_utf8_lossy(bytes).trim_end_matches(['\0', ' ']).to_string());
                // SAFETY: releasing the buffer the library allocated.
                unsafe { (self.release_buffer)(&mut minor, &mut buf) };
            }
            if ctx == 0 {
                break;
            }
        }
        parts.join("; ")
    }

    fn error(&self, what: &str, major: OmUint32, minor: OmUint32) -> AuthError {
        let text = format!(
            "{what}: {} ({})",
            self.status_text(major, GSS_C_GSS_CODE),
            self.status_text(minor, GSS_C_MECH_CODE)
        );
        if major & 0xffff_0000 == GSS_S_NO_CRED { AuthError::Unsupported(text) } else { AuthError::Failed(text) }
    }
}

/// Negotiate (SPNEGO, Kerberos inside) for one server through GSS-API.
pub struct GssNegotiate {
    lib: &'static Gssapi,
    name: Name,
    ctx: Ctx,
    /// Credentials acquired with a password (null: the default ones).
    cred: Cred,
    done: bool,
}

// SAFETY: the GSS name and context are only used through `&mut self` (one thread at a time);
// GSS-API implementations allow a context to move between threads.
unsafe impl Send for GssNegotiate {}

impl GssNegotiate {
    /// A context for the service `HTTP@host` (the HTTP service principal `HTTP/host`).
    pub fn new(host: &str) -> Result<GssNegotiate, AuthError> {
        Self::with_library(Gssapi::get()?, host)
    }

    pub fn with_library(lib: &'static Gssapi, host: &str) -> Result<GssNegotiate, AuthError> {
        let service = format!("HTTP@{host}");
        let buf = Buffer { length: service.len(), value: service.as_ptr() as *mut c_void };
        let oid = Oid { length: OID_HOSTBASED.len() as OmUint32, elements: OID_HOSTBASED.as_ptr() as *mut c_void };
        let (mut minor, mut name) = (0, std::ptr::null_mut());
        // SAFETY: the input buffer and OID outlive the call; `name` is an out-pointer.
        let major = unsafe { (lib.import_name)(&mut minor, &buf, &oid, &mut name) };
        if major != GSS_S_COMPLETE {
            return Err(lib.error("gss_import_name", major, minor));
        }
        Ok(GssNegotiate { lib, name, ctx: std::ptr::null_mut(), cred: std::ptr::null_mut(), done: false })
    }

    /// A context for `HTTP@host` with the Kerberos credentials of `user` (a principal name,
    /// `alice@REALM`) got from the KDC with `password` (`gss_acquire_cred_with_password`: an AS
    /// exchange, made here, synchronously). `Unsupported` when the library cannot do it.
    pub fn with_password(
        lib: &'static Gssapi,
        host: &str,
        user: &str,
        password: &str,
    ) -> Result<GssNegotiate, AuthError> {
        let (acquire, _) =
            lib.password.ok_or_else(|| AuthError::Unsupported("no gss_acquire_cred_with_password".into()))?;
        let mut m = Self::with_library(lib, host)?;
        let buf = Buffer { length: user.len(), value: user.as_ptr() as *mut c_void };
        let oid = Oid { length: OID_USER_NAME.len() as OmUint32, elements: OID_USER_NAME.as_ptr() as *mut c_void };
        let (mut minor, mut name) = (0, std::ptr::null_mut());
        // SAFETY: the input buffer and OID outlive the call; `name` is an out-pointer.
        let major = unsafe { (lib.import_name)(&mut minor, &buf, &oid, &mut name) };
        if major != GSS_S_COMPLETE {
            return Err(lib.error("gss_import_name", major, minor));
        }
        let pw = Buffer { length: password.len(), value: password.as_ptr() as *mut c_void };
        let mut time_rec = 0;
        // For SPNEGO, the mechanism `gss_init_sec_context` is asked for (credentials for the
        // default mechanisms would leave SPNEGO with the default ones: the ticket cache's).
        let mut spnego = Oid { length: OID_SPNEGO.len() as OmUint32, elements: OID_SPNEGO.as_ptr() as *mut c_void };
        let mut mechs = OidSet { count: 1, elements: &mut spnego };
        // SAFETY: `name` is ours, the password buffer and mechanism set outlive the call,
        // `m.cred` is an out-pointer (released in Drop); no mechanism set is returned.
        let major = unsafe {
            acquire(
                &mut minor,
                name,
                &pw,
                0,
                (&raw mut mechs).cast(),
                CRED_INITIATE,
                &mut m.cred,
                std::ptr::null_mut(),
                &mut time_rec,
            )
        };
        let mut m2 = 0;
        // SAFETY: releasing the name imported above, once.
        unsafe { (lib.release_name)(&mut m2, &mut name) };
        if major != GSS_S_COMPLETE {
            return Err(lib.error("gss_acquire_cred_with_password", major, minor));
        }
        Ok(m)
    }

    fn init(&mut self, input: Option<&[u8]>) -> Result<Option<Vec<u8>>, AuthError> {
        let mech = Oid { length: OID_SPNEGO.len() as OmUint32, elements: OID_SPNEGO.as_ptr() as *mut c_void };
        let input_buf = input.map(|t| Buffer { length: t.len(), value: t.as_ptr() as *mut c_void });
        let input_ptr = input_buf.as_ref().map_or(std::ptr::null(), |b| b as *const Buffer);
        let mut out = Buffer { length: 0, value: std::ptr::null_mut() };
        let (mut minor, mut ret_flags, mut time_rec) = (0, 0, 0);
        // SAFETY: every pointer is valid for the call; the context handle is ours and updated in
        // place; the output buffer is released below.
        let major = unsafe {
            (self.lib.init_sec_context)(
                &mut minor,
                self.cred,
                &mut self.ctx,
                self.name,
                &mech,
                REQ_FLAGS,
                0,
                std::ptr::null_mut(),
                input_ptr,
                std::ptr::null_mut(),
                &mut out,
                &mut ret_flags,
                &mut time_rec,
            )
        };
        let (len, val) = (out.length, out.value);
        let token = (!val.is_null() && len > 0).then(|| {
            // SAFETY: the library gave `len` bytes at `val`.
            unsafe { std::slice::from_raw_parts(val as *const u8, len) }.to_vec()
        });
        if !val.is_null() {
            let mut m = 0;
            // SAFETY: releasing the library's buffer.
            unsafe { (self.lib.release_buffer)(&mut m, &mut out) };
        }
        match major {
            GSS_S_COMPLETE => {
                self.done = true;
                Ok(token)
            }
            GSS_S_CONTINUE_NEEDED => Ok(token),
            _ => Err(self.lib.error("gss_init_sec_context", major, minor)),
        }
    }
}

impl Mechanism for GssNegotiate {
    fn start(&mut self) -> Result<Vec<u8>, AuthError> {
        self.init(None)?.ok_or_else(|| AuthError::Failed("gss_init_sec_context gave no token".into()))
    }

    fn step(&mut self, token: &[u8]) -> Result<Option<Vec<u8>>, AuthError> {
        if self.done {
            // A token after completion (the server's last word came again): nothing to send.
            return Err(AuthError::Rejected);
        }
        self.init(Some(token))
    }

    fn done(&self) -> bool {
        self.done
    }
}

impl Drop for GssNegotiate {
    fn drop(&mut self) {
        let mut minor = 0;
        // SAFETY: the context and name were made by this library and are released once.
        unsafe {
            if !self.ctx.is_null() {
                (self.lib.delete_sec_context)(&mut minor, &mut self.ctx, std::ptr::null_mut());
            }
            if !self.name.is_null() {
                (self.lib.release_name)(&mut minor, &mut self.name);
            }
            if let Some((_, release)) = self.lib.password.filter(|_| !self.cred.is_null()) {
                release(&mut minor, &mut self.cred);
            }
        }
    }
}

/// The mechanism for `Negotiate` to `host`. With the caller's default credentials
/// (`WinHttpSetCredentials` with NULL user and password, or the autologon policy): Kerberos through
/// GSS-API, or `Unsupported` when there is no GSS-API library. With a user name and password:
/// Kerberos when the name is a principal (`alice@REALM`) and the library gets a ticket with the
/// password and one for the service, else NTLM inside SPNEGO (the in-process implementation), as
/// Windows' Negotiate falls back. A `DOMAIN\user` or bare name goes to NTLM at once: trying
/// Kerberos for it would mean guessing a realm (and DNS lookups for its KDC) on every request.
pub fn negotiate(host: &str, creds: Option<Credentials>) -> Result<Box<dyn Mechanism>, AuthError> {
    match creds {
        Some(c) => Ok(Box::new(PasswordNegotiate { kerberos: None, ntlm: None, host: host.to_string(), creds: c })),
        None => Ok(Box::new(GssNegotiate::new(host)?)),
    }
}

/// Negotiate with a user name and password: Kerberos first when it can be had, else NTLM inside
/// SPNEGO. The choice is made on the first token (a server's Negotiate takes either).
struct PasswordNegotiate {
    kerberos: Option<GssNegotiate>,
    ntlm: Option<SpnegoNtlm>,
    host: String,
    creds: Credentials,
}

impl PasswordNegotiate {
    fn kerberos_first_token(&mut self) -> Result<Vec<u8>, AuthError> {
        if !self.creds.user.contains('@') || self.creds.user.contains('\\') {
            return Err(AuthError::Unsupported("not a Kerberos principal name".into()));
        }
        let mut k = GssNegotiate::with_password(Gssapi::get()?, &self.host, &self.creds.user, &self.creds.password)?;
        let token = k.start()?;
        self.kerberos = Some(k);
        Ok(token)
    }
}

impl Mechanism for PasswordNegotiate {
    fn start(&mut self) -> Result<Vec<u8>, AuthError> {
        if let Ok(token) = self.kerberos_first_token() {
            return Ok(token);
        }
        let ntlm = Ntlm::new(self.creds.clone(), "", Box::new(SystemEntropy), Ntlm::filetime_now());
        self.ntlm.insert(SpnegoNtlm::new(ntlm)).start()
    }

    fn step(&mut self, token: &[u8]) -> Result<Option<Vec<u8>>, AuthError> {
        match (&mut self.kerberos, &mut self.ntlm) {
            (Some(k), _) => k.step(token),
            (None, Some(n)) => n.step(token),
            (None, None) => Err(AuthError::Failed("Negotiate: a token before the first".into())),
        }
    }

    fn done(&self) -> bool {
        self.kerberos.as_ref().map_or_else(|| self.ntlm.as_ref().is_some_and(|n| n.done()), |k| k.done())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiate_with_a_password_is_spnego_ntlm() {
        let creds = Credentials { user: "u".into(), password: "p".into() };
        let mut m = negotiate("h", Some(creds)).unwrap();
        let t = m.start().unwrap();
        // A GSS InitialContextToken offering NTLMSSP, with the NEGOTIATE message inside.
        assert_eq!(t[0], 0x60);
        assert!(t.windows(8).any(|w| w == b"NTLMSSP\0"));
        // Without a password: GSS-API (or Unsupported); never NTLM with no credentials.
        match negotiate("no-such-host.invalid", None) {
            Ok(mut m) => assert!(m.start().is_err()),
            Err(e) => assert!(matches!(e, AuthError::Unsupported(_)), "{e:?}"),
        }
    }

    #[test]
    fn missing_library_is_unsupported() {
        let err = Gssapi::load(&["libwinhttp-no-such-gssapi.so.9"]).err().unwrap();
        assert!(err.contains("no GSSAPI library") && err.contains("no-such"), "{err}");
        // A library that exists but is not GSS-API (libc) is incomplete, not a crash.
        let libc_name = if cfg!(target_os = "macos") { "libSystem.B.dylib" } else { "libc.so.6" };
        let err = Gssapi::load(&[libc_name]).err().unwrap();
        assert!(err.contains("incomplete"), "{err}");
    }

    #[test]
    fn without_a_ticket_the_context_fails_cleanly() {
        let Ok(lib) = Gssapi::get() else {
            eprintln!("SKIP: no GSSAPI library on this machine");
            return;
        };
        // No ticket for this made-up service (and no KDC to ask): the first token cannot be made,
        // and the error says why instead of crashing.
        let mut m = GssNegotiate::with_library(lib, "no-such-host.invalid").unwrap();
        match m.start() {
            Err(AuthError::Unsupported(t) | AuthError::Failed(t)) => {
                eprintln!("{t}");
                assert!(t.starts_with("gss_init_sec_context: "), "{t}");
            }
            Ok(tok) => {
                // A machine that really has a ticket for this made-up name would be odd, but the
                // token must then be a SPNEGO initial token.
                assert_eq!(tok[0], 0x60);
            }
            Err(e) => panic!("unexpected {e:?}"),
        }
        assert!(!m.done());
    }
}
