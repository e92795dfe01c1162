//! HTTP authentication, sans I/O: challenge parsing, the schemes WinHTTP knows, and one state
//! machine per scheme that turns a server's challenge into the next `Authorization` (or
//! `Proxy-Authorization`) value.
//!
//! - [`challenge`]: `WWW-Authenticate` / `Proxy-Authenticate` parsing.
//! - [`query_schemes`]: what `WinHttpQueryAuthSchemes` reports for a received response.
//! - [`basic`], [`digest`]: the header-level schemes ([`Authenticator`] directly).
//! - [`ntlm`] (NTLMv2 with extended session security), [`spnego`] (NTLM inside SPNEGO for
//!   `Negotiate` when Kerberos is not available): token-level [`Mechanism`]s, which
//!   [`TokenAuth`] carries in HTTP headers as base64. A GSSAPI library (`engine/transport/gssapi.rs`)
//!   implements the same [`Mechanism`] trait for Kerberos.
//!
//! Nothing here reads a clock or a random source by itself: the engine passes in the random
//! values ([`Entropy`]) so every state machine is deterministic under test.

pub mod basic;
pub mod challenge;
pub mod client;
pub mod digest;
pub mod ntlm;
pub mod spnego;

use crate::abi::*;
pub use challenge::Challenge;

/// An authentication scheme WinHTTP knows, with its `WINHTTP_AUTH_SCHEME_*` bit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    Basic,
    Ntlm,
    Passport,
    Digest,
    Negotiate,
}

impl Scheme {
    pub const ALL: [Scheme; 5] = [Scheme::Basic, Scheme::Ntlm, Scheme::Passport, Scheme::Digest, Scheme::Negotiate];

    /// The `WINHTTP_AUTH_SCHEME_*` value.
    pub fn bit(self) -> DWORD {
        match self {
            Scheme::Basic => WINHTTP_AUTH_SCHEME_BASIC,
            Scheme::Ntlm => WINHTTP_AUTH_SCHEME_NTLM,
            Scheme::Passport => WINHTTP_AUTH_SCHEME_PASSPORT,
            Scheme::Digest => WINHTTP_AUTH_SCHEME_DIGEST,
            Scheme::Negotiate => WINHTTP_AUTH_SCHEME_NEGOTIATE,
        }
    }

    /// The scheme of exactly one `WINHTTP_AUTH_SCHEME_*` value.
    pub fn from_bit(bit: DWORD) -> Option<Scheme> {
        Scheme::ALL.into_iter().find(|s| s.bit() == bit)
    }

    /// The scheme a challenge names (case-insensitive), `None` for schemes WinHTTP ignores
    /// (Bearer, Mutual, …).
    pub fn from_name(name: &str) -> Option<Scheme> {
        let known = [
            ("Basic", Scheme::Basic),
            ("NTLM", Scheme::Ntlm),
            ("Passport1.4", Scheme::Passport),
            ("Digest", Scheme::Digest),
            ("Negotiate", Scheme::Negotiate),
        ];
        known.into_iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, s)| s)
    }

    /// The name written in an `Authorization` header.
    pub fn name(self) -> &'static str {
        match self {
            Scheme::Basic => "Basic",
            Scheme::Ntlm => "NTLM",
            Scheme::Passport => "Passport1.4",
            Scheme::Digest => "Digest",
            Scheme::Negotiate => "Negotiate",
        }
    }
}

/// What `WinHttpQueryAuthSchemes` gives for a response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AuthSchemes {
    /// Every recognised scheme, OR-ed `WINHTTP_AUTH_SCHEME_*` bits.
    pub supported: DWORD,
    /// The first recognised scheme in the order the server listed them (Microsoft's page: "the
    /// first authentication scheme listed by the server"; Wine's tests: with `Bearer`, `Basic`,
    /// `NTLM` it is Basic).
    pub first: DWORD,
    /// `WINHTTP_AUTH_TARGET_SERVER` for a 401, `WINHTTP_AUTH_TARGET_PROXY` for a 407.
    pub target: DWORD,
}

/// `WinHttpQueryAuthSchemes` as a pure function of a received response: its status and its
/// `WWW-Authenticate` and `Proxy-Authenticate` values. `None` (the caller's
/// `ERROR_INVALID_OPERATION`) unless the status is 401 or 407 and the matching header names at
/// least one scheme WinHTTP knows.
pub fn query_schemes<'a>(
    status: u32,
    www_authenticate: impl IntoIterator<Item = &'a str>,
    proxy_authenticate: impl IntoIterator<Item = &'a str>,
) -> Option<AuthSchemes> {
    let (values, target): (Vec<&str>, DWORD) = match status {
        401 => (www_authenticate.into_iter().collect(), WINHTTP_AUTH_TARGET_SERVER),
        407 => (proxy_authenticate.into_iter().collect(), WINHTTP_AUTH_TARGET_PROXY),
        _ => return None,
    };
    let schemes: Vec<Scheme> =
        challenge::parse_all(values).iter().filter_map(|c| Scheme::from_name(&c.scheme)).collect();
    let first = schemes.first()?.bit();
    Some(AuthSchemes { supported: schemes.iter().fold(0, |acc, s| acc | s.bit()), first, target })
}

/// A user's credentials. `user` may be `DOMAIN\user` (NTLM splits it) or `user@realm`.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Credentials {
    pub user: String,
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    // Never print a password, even in a debug log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials").field("user", &self.user).field("password", &"<hidden>").finish()
    }
}

/// Why a scheme cannot answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuthError {
    /// The server's challenge or token is malformed or asks for something we cannot do
    /// (an unknown Digest algorithm, `qop=auth-int` only, NTLM without NTLMv2).
    BadChallenge(&'static str),
    /// The server refused the credentials (a new challenge after our answer, not a stale nonce):
    /// the 401/407 goes back to the caller.
    Rejected,
    /// The mechanism is not available here (no GSSAPI library, no Kerberos ticket).
    Unsupported(String),
    /// The underlying library failed (GSSAPI's major/minor status as text).
    Failed(String),
}

impl std::fmt::Display for AuthError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AuthError::BadChallenge(why) => write!(f, "bad challenge: {why}"),
            AuthError::Rejected => f.write_str("credentials rejected"),
            AuthError::Unsupported(why) => write!(f, "unsupported: {why}"),
            AuthError::Failed(why) => write!(f, "failed: {why}"),
        }
    }
}

/// Random values the state machines need, passed in so they stay deterministic under test.
pub trait Entropy: Send {
    fn fill(&mut self, buf: &mut [u8]);
}

/// The operating system's random source (through ring, already linked for TLS).
pub struct SystemEntropy;

impl Entropy for SystemEntropy {
    fn fill(&mut self, buf: &mut [u8]) {
        use ring::rand::SecureRandom;
        // The system generator only fails when the OS has no entropy source at all.
        ring::rand::SystemRandom::new().fill(buf).expect("system random source");
    }
}

/// A connection-oriented security mechanism (NTLM, SPNEGO, Kerberos through GSSAPI): opaque
/// tokens in, tokens out, as GSS-API's `init_sec_context` loop.
pub trait Mechanism: Send {
    /// The first token (NTLM's NEGOTIATE message, SPNEGO's NegTokenInit).
    fn start(&mut self) -> Result<Vec<u8>, AuthError>;
    /// The answer to the server's token; `None` when there is nothing more to send.
    fn step(&mut self, token: &[u8]) -> Result<Option<Vec<u8>>, AuthError>;
    /// Whether the mechanism has established its context (nothing more to send).
    fn done(&self) -> bool;
}

/// What a request needs to know to answer a challenge (Digest hashes the method and the target).
#[derive(Clone, Copy, Debug)]
pub struct RequestInfo<'a> {
    pub method: &'a str,
    /// The request-target as sent (`/path?query`, or the absolute URL through a proxy).
    pub uri: &'a str,
}

/// A header-level authenticator: given the server's challenges for its scheme, the next
/// `Authorization` value.
pub trait Authenticator: Send {
    fn scheme(&self) -> Scheme;
    /// The value to send for this request. `challenge` is the server's latest challenge for this
    /// scheme (`None` for a preemptive first request, where the scheme allows it).
    fn respond(&mut self, challenge: Option<&Challenge>, request: &RequestInfo) -> Result<String, AuthError>;
}

/// A token [`Mechanism`] carried in HTTP headers: `<Scheme> <base64 token>` (RFC 4559 for
/// Negotiate, the same for NTLM).
pub struct TokenAuth {
    scheme: Scheme,
    mech: Box<dyn Mechanism>,
    started: bool,
}

impl TokenAuth {
    pub fn new(scheme: Scheme, mech: Box<dyn Mechanism>) -> TokenAuth {
        TokenAuth { scheme, mech, started: false }
    }

    /// Whether the mechanism has finished (a later bare challenge means the server refused).
    pub fn done(&self) -> bool {
        self.mech.done()
    }
}

impl Authenticator for TokenAuth {
    fn scheme(&self) -> Scheme {
        self.scheme
    }

    fn respond(&mut self, challenge: Option<&Challenge>, _request: &RequestInfo) -> Result<String, AuthError> {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD;
        let token = challenge.and_then(|c| c.token68.as_deref());
        let out = match (self.started, token) {
            (false, _) => {
                self.started = true;
                self.mech.start()?
            }
            // A bare challenge after we started: the server refused the last leg.
            (true, None) => return Err(AuthError::Rejected),
            (true, Some(t)) => {
                let bytes = b64.decode(t).map_err(|_| AuthError::BadChallenge("token is not base64"))?;
                self.mech.step(&bytes)?.ok_or(AuthError::BadChallenge("nothing to answer"))?
            }
        };
        Ok(format!("{} {}", self.scheme.name(), b64.encode(out)))
    }
}

/// Lowercase hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scheme_bits_and_names() {
        assert_eq!(Scheme::Basic.bit(), 1);
        assert_eq!(Scheme::Ntlm.bit(), 2);
        assert_eq!(Scheme::Passport.bit(), 4);
        assert_eq!(Scheme::Digest.bit(), 8);
        assert_eq!(Scheme::Negotiate.bit(), 0x10);
        for s in Scheme::ALL {
            assert_eq!(Scheme::from_bit(s.bit()), Some(s));
            assert_eq!(Scheme::from_name(&s.name().to_uppercase()), Some(s));
        }
        assert_eq!(Scheme::from_bit(3), None);
        assert_eq!(Scheme::from_name("Bearer"), None);
        assert_eq!(Scheme::from_name("Kerberos"), None);
    }

    #[test]
    fn query_schemes_by_status() {
        let www = ["Bearer", "Basic realm=\"placebo\"", "NTLM"];
        let proxy = ["Negotiate, Digest realm=x"];
        assert_eq!(
            query_schemes(401, www, proxy),
            Some(AuthSchemes {
                supported: WINHTTP_AUTH_SCHEME_BASIC | WINHTTP_AUTH_SCHEME_NTLM,
                first: WINHTTP_AUTH_SCHEME_BASIC,
                target: WINHTTP_AUTH_TARGET_SERVER,
            })
        );
        assert_eq!(
            query_schemes(407, www, proxy),
            Some(AuthSchemes {
                supported: WINHTTP_AUTH_SCHEME_NEGOTIATE | WINHTTP_AUTH_SCHEME_DIGEST,
                first: WINHTTP_AUTH_SCHEME_NEGOTIATE,
                target: WINHTTP_AUTH_TARGET_PROXY,
            })
        );
        assert_eq!(query_schemes(200, www, proxy), None);
        assert_eq!(query_schemes(302, www, proxy), None);
        // A 401 with only unknown schemes, or none at all.
        assert_eq!(query_schemes(401, ["Bearer realm=x", "Mutual"], []), None);
        assert_eq!(query_schemes(401, [], proxy), None);
        // Several challenges in one header and the same scheme twice.
        assert_eq!(
            query_schemes(401, ["Digest realm=a, nonce=b, NTLM, Digest realm=c"], []).map(|s| (s.supported, s.first)),
            Some((WINHTTP_AUTH_SCHEME_DIGEST | WINHTTP_AUTH_SCHEME_NTLM, WINHTTP_AUTH_SCHEME_DIGEST))
        );
    }

    struct Fixed;
    impl Entropy for Fixed {
        fn fill(&mut self, buf: &mut [u8]) {
            buf.fill(7);
        }
    }

    #[test]
    fn token_auth_carries_a_mechanism_in_headers() {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD;
        let creds = Credentials { user: "D\\u".into(), password: "p".into() };
        let mut a = TokenAuth::new(Scheme::Ntlm, Box::new(ntlm::Ntlm::new(creds, "", Box::new(Fixed), 0)));
        let req = RequestInfo { method: "GET", uri: "/" };
        let bare = challenge::parse("NTLM").remove(0);
        // First leg: the NEGOTIATE message, whatever the (bare) challenge.
        let first = a.respond(Some(&bare), &req).unwrap();
        let token = first.strip_prefix("NTLM ").unwrap();
        assert_eq!(&b64.decode(token).unwrap()[..8], b"NTLMSSP\0");
        assert!(!a.done());
        // Not base64, then a CHALLENGE the mechanism refuses.
        let bad = challenge::parse("NTLM a").remove(0);
        assert!(matches!(a.respond(Some(&bad), &req), Err(AuthError::BadChallenge(_))));
        let junk = Challenge { scheme: "NTLM".into(), token68: Some(b64.encode(b"junk")), params: vec![] };
        assert!(matches!(a.respond(Some(&junk), &req), Err(AuthError::BadChallenge(_))));
        // A real CHALLENGE: the AUTHENTICATE message.
        let mut chal = b"NTLMSSP\0\x02\0\0\0\0\0\0\0\x30\0\0\0".to_vec();
        chal.extend((ntlm::CLIENT_FLAGS | ntlm::NEGOTIATE_TARGET_INFO).to_le_bytes());
        chal.extend([1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0, 0, 0, 0, 0]);
        chal.extend([6, 0, 6, 0, 48, 0, 0, 0]);
        chal.extend([2, 0, 2, 0, b'D', 0]);
        let ch = Challenge { scheme: "NTLM".into(), token68: Some(b64.encode(&chal)), params: vec![] };
        let second = a.respond(Some(&ch), &req).unwrap();
        let msg = b64.decode(second.strip_prefix("NTLM ").unwrap()).unwrap();
        assert_eq!(&msg[..12], b"NTLMSSP\0\x03\0\0\0");
        assert!(a.done());
        // A bare challenge after that: the server refused.
        assert_eq!(a.respond(Some(&bare), &req), Err(AuthError::Rejected));
    }

    #[test]
    fn credentials_debug_hides_password() {
        let c = Credentials { user: "u".into(), password: "sekrit".into() };
        assert!(!format!("{c:?}").contains("sekrit"));
    }
}
