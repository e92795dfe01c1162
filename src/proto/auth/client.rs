//! The client side of authentication for one target (the server, or the proxy) of one request:
//! which credentials apply (set by `WinHttpSetCredentials` with a scheme, or by the
//! `WINHTTP_OPTION_USERNAME`/`PASSWORD` options without one), which scheme answers a challenge,
//! the scheme's state machine across the legs, and the header value the next leg carries.
//! Sans I/O: the engine feeds in the challenges of each 401/407 and asks for the value to send.
//!
//! Rules (Windows' behaviour, see docs/FIDELITY.md and tests/c/test_auth.c):
//! - credentials from `WinHttpSetCredentials` take precedence over the options, whatever the order;
//! - with a scheme given, Basic is sent preemptively (also before the first send), NTLM and
//!   Negotiate start their handshake on the next send, Digest answers the last challenge seen;
//! - without a scheme (the options), the strongest scheme the challenge offers is used:
//!   Negotiate, NTLM, Digest, then Basic;
//! - a refusal (a new challenge after the last leg, or after Basic was sent) gives up: the 401/407
//!   goes back to the caller, and nothing more is sent until new credentials are set.

use super::{AuthError, Authenticator, Challenge, Credentials, RequestInfo, Scheme};

/// Makes the state machine for a scheme (`None` credentials: the caller's default credentials).
pub type Factory<'a> = &'a dyn Fn(Scheme, Option<&Credentials>) -> Result<Box<dyn Authenticator>, AuthError>;

/// The order in which a scheme is chosen when the caller named none.
const PREFERENCE: [Scheme; 4] = [Scheme::Negotiate, Scheme::Ntlm, Scheme::Digest, Scheme::Basic];

/// Authentication towards one target.
#[derive(Default)]
pub struct AuthClient {
    /// From `WinHttpSetCredentials`: the scheme and the credentials (`None`: default credentials).
    explicit: Option<(Scheme, Option<Credentials>)>,
    /// From the username/password options (used only without explicit credentials).
    options: Option<Credentials>,
    /// The scheme's state machine once a leg was sent.
    auth: Option<Box<dyn Authenticator>>,
    /// Basic was sent for the current credentials (a challenge after it is a refusal).
    basic_sent: bool,
    /// Basic was accepted: later requests send it before any challenge.
    basic_accepted: bool,
    /// Digest was accepted: its state (nonce, count) answers later requests before any challenge.
    digest_accepted: bool,
    /// The value for the next leg, decided from a challenge.
    pending: Option<String>,
    /// The target's last challenges (Digest after `WinHttpSetCredentials` answers them).
    last: Vec<Challenge>,
    /// The target refused the credentials: nothing more is sent until new ones are set.
    gave_up: bool,
    /// `WINHTTP_OPTION_AUTOLOGON_POLICY` lets the default credentials answer this target's
    /// Negotiate challenges without any being set.
    autologon: bool,
}

impl std::fmt::Debug for AuthClient {
    // Never prints credentials or the header values (they carry them).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthClient")
            .field("scheme", &self.explicit.as_ref().map(|e| e.0))
            .field("options", &self.options.is_some())
            .field("pending", &self.pending.is_some())
            .field("gave_up", &self.gave_up)
            .finish()
    }
}

impl AuthClient {
    /// `WinHttpSetCredentials` for this target: replaces any earlier credentials and state.
    pub fn set_credentials(&mut self, scheme: Scheme, creds: Option<Credentials>) {
        self.explicit = Some((scheme, creds));
        self.reset();
    }

    /// The username/password options for this target (empty user: none).
    pub fn set_options(&mut self, user: &str, password: &str) {
        let creds = (!user.is_empty()).then(|| Credentials { user: user.into(), password: password.into() });
        if creds != self.options {
            self.options = creds;
            if self.explicit.is_none() {
                self.reset();
            }
        }
    }

    /// Whether the autologon policy lets the default credentials answer this target.
    pub fn set_autologon(&mut self, allowed: bool) {
        self.autologon = allowed;
    }

    fn reset(&mut self) {
        self.auth = None;
        self.basic_sent = false;
        self.basic_accepted = false;
        self.digest_accepted = false;
        self.pending = None;
        self.gave_up = false;
    }

    /// Whether credentials exist for this target (so a challenge may be answered).
    pub fn has_credentials(&self) -> bool {
        self.explicit.is_some() || self.options.is_some() || self.autologon
    }

    /// The value of the `Authorization` (or `Proxy-Authorization`) header of the next leg, if any:
    /// an answer decided from a challenge, or what a scheme given with the credentials sends
    /// before any challenge (Basic; the first leg of NTLM and Negotiate; Digest from the last
    /// challenge seen).
    pub fn next_value(&mut self, req: &RequestInfo, make: Factory) -> Option<String> {
        if let Some(v) = self.pending.take() {
            return Some(v);
        }
        if self.gave_up {
            return None;
        }
        if let Some(auth) = self.auth.as_mut() {
            // Digest's nonce, accepted, serves the next request with the next count.
            return if self.digest_accepted { auth.respond(None, req).ok() } else { None };
        }
        if self.basic_accepted && self.explicit.is_none() {
            self.basic_sent = true;
            return self.options.as_ref().map(super::basic::authorization);
        }
        let (scheme, creds) = self.explicit.clone()?;
        match scheme {
            Scheme::Basic => {
                self.basic_sent = true;
                Some(super::basic::authorization(creds.as_ref()?))
            }
            Scheme::Ntlm | Scheme::Negotiate => {
                let mut auth = make(scheme, creds.as_ref()).ok()?;
                let v = auth.respond(None, req).ok()?;
                self.auth = Some(auth);
                Some(v)
            }
            Scheme::Digest => {
                let ch = self.last.iter().find(|c| c.is(scheme.name()))?.clone();
                let mut auth = make(scheme, creds.as_ref()).ok()?;
                let v = auth.respond(Some(&ch), req).ok()?;
                self.auth = Some(auth);
                Some(v)
            }
            Scheme::Passport => None,
        }
    }

    /// A 401 (or 407) from this target with these challenges: true when the next leg has an
    /// answer (then [`AuthClient::next_value`] gives it), false when the response goes back to the
    /// caller (no credentials, no scheme in common, or the target refused the credentials).
    pub fn challenge(&mut self, challenges: &[Challenge], req: &RequestInfo, make: Factory) -> bool {
        self.last = challenges.to_vec();
        self.pending = None;
        if self.gave_up || !self.has_credentials() {
            return false;
        }
        let answer = self.answer(challenges, req, make);
        match answer {
            Ok(v) => {
                self.pending = Some(v);
                true
            }
            Err(_) => {
                self.gave_up = true;
                self.auth = None;
                false
            }
        }
    }

    fn answer(&mut self, challenges: &[Challenge], req: &RequestInfo, make: Factory) -> Result<String, AuthError> {
        if let Some(auth) = self.auth.as_mut() {
            // A handshake in progress: its scheme's challenge continues it; none is a refusal.
            let ch = challenges.iter().find(|c| c.is(auth.scheme().name())).ok_or(AuthError::Rejected)?;
            return auth.respond(Some(ch), req);
        }
        let (scheme, creds) = match &self.explicit {
            Some((scheme, creds)) => (*scheme, creds.clone()),
            None => match self.options.clone() {
                Some(creds) => {
                    let offered = |s: Scheme| challenges.iter().any(|c| c.is(s.name()));
                    let scheme = PREFERENCE.into_iter().find(|s| offered(*s)).ok_or(AuthError::Rejected)?;
                    (scheme, Some(creds))
                }
                // No credentials: the default ones where the autologon policy allows, for
                // Negotiate (Kerberos; NTLM has no default credentials here).
                None if self.autologon => (Scheme::Negotiate, None),
                None => return Err(AuthError::Rejected),
            },
        };
        let ch = challenges.iter().find(|c| c.is(scheme.name())).ok_or(AuthError::Rejected)?;
        if scheme == Scheme::Basic {
            // Basic answers once: after it was sent, a challenge is a refusal.
            if self.basic_sent {
                return Err(AuthError::Rejected);
            }
            self.basic_sent = true;
            return Ok(super::basic::authorization(creds.as_ref().ok_or(AuthError::Rejected)?));
        }
        let mut auth = make(scheme, creds.as_ref())?;
        let v = auth.respond(Some(ch), req)?;
        self.auth = Some(auth);
        Ok(v)
    }

    /// A response that is not a challenge from this target ended the exchange: the credentials
    /// were accepted (or not needed). The scheme's state machine has done its job: a later
    /// challenge (another connection, another resource) starts a new one; Basic, once accepted,
    /// goes out before any challenge from now on.
    pub fn settled(&mut self) {
        self.pending = None;
        self.digest_accepted = self.auth.as_ref().is_some_and(|a| a.scheme() == Scheme::Digest);
        if !self.digest_accepted {
            self.auth = None;
        }
        if self.basic_sent {
            self.basic_accepted = true;
            self.basic_sent = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::challenge::parse_all;
    use super::super::{Entropy, TokenAuth, digest::Digest, ntlm::Ntlm};
    use super::*;

    struct Fixed;
    impl Entropy for Fixed {
        fn fill(&mut self, buf: &mut [u8]) {
            buf.fill(7);
        }
    }

    fn make(scheme: Scheme, creds: Option<&Credentials>) -> Result<Box<dyn Authenticator>, AuthError> {
        let creds = creds.cloned().ok_or(AuthError::Unsupported("no default credentials".into()))?;
        Ok(match scheme {
            Scheme::Digest => Box::new(Digest::new(creds, Box::new(Fixed))),
            Scheme::Ntlm => Box::new(TokenAuth::new(scheme, Box::new(Ntlm::new(creds, "", Box::new(Fixed), 0)))),
            _ => return Err(AuthError::Unsupported("test".into())),
        })
    }

    const REQ: RequestInfo = RequestInfo { method: "GET", uri: "/x" };

    fn creds(p: &str) -> Credentials {
        Credentials { user: "user".into(), password: p.into() }
    }

    #[test]
    fn explicit_basic_is_preemptive_and_answers_no_challenge_after_it() {
        let mut c = AuthClient::default();
        assert_eq!(c.next_value(&REQ, &make), None);
        c.set_credentials(Scheme::Basic, Some(creds("pwd")));
        assert_eq!(c.next_value(&REQ, &make).as_deref(), Some("Basic dXNlcjpwd2Q="));
        // Wrong password: the next challenge goes back to the caller, and nothing more is sent.
        assert!(!c.challenge(&parse_all(["Basic realm=x"]), &REQ, &make));
        assert_eq!(c.next_value(&REQ, &make), None);
        // New credentials start over.
        c.set_credentials(Scheme::Basic, Some(creds("pwd2")));
        assert!(c.next_value(&REQ, &make).is_some());
    }

    #[test]
    fn autologon_answers_negotiate_with_the_default_credentials() {
        let kerberos = |scheme: Scheme, creds: Option<&Credentials>| -> Result<Box<dyn Authenticator>, AuthError> {
            match (scheme, creds) {
                // A stand-in for GSS-API with a ticket: a token mechanism with no password.
                (Scheme::Negotiate, None) => Ok(Box::new(TokenAuth::new(
                    scheme,
                    Box::new(Ntlm::new(Credentials::default(), "", Box::new(Fixed), 0)),
                ))),
                _ => make(scheme, creds),
            }
        };
        let mut c = AuthClient::default();
        assert!(!c.has_credentials());
        assert!(!c.challenge(&parse_all(["Negotiate"]), &REQ, &kerberos));
        let mut c = AuthClient::default();
        c.set_autologon(true);
        assert!(c.has_credentials());
        assert!(c.challenge(&parse_all(["Basic realm=x", "Negotiate"]), &REQ, &kerberos));
        assert!(c.next_value(&REQ, &kerberos).unwrap().starts_with("Negotiate "));
        // Only Negotiate: a Basic-only challenge is not answered with default credentials.
        let mut c = AuthClient::default();
        c.set_autologon(true);
        assert!(!c.challenge(&parse_all(["Basic realm=x"]), &REQ, &kerberos));
        // No GSS-API (the factory fails): given up, no loop.
        let mut c = AuthClient::default();
        c.set_autologon(true);
        assert!(!c.challenge(&parse_all(["Negotiate"]), &REQ, &make));
        assert!(!c.challenge(&parse_all(["Negotiate"]), &REQ, &make));
    }

    #[test]
    fn accepted_credentials_serve_the_next_requests() {
        // Basic from the options, accepted: sent before any challenge from then on, and a
        // challenge after that is a refusal again.
        let mut c = AuthClient::default();
        c.set_options("user", "pwd");
        assert!(c.challenge(&parse_all(["Basic realm=x"]), &REQ, &make));
        assert!(c.next_value(&REQ, &make).is_some());
        c.settled();
        assert_eq!(c.next_value(&REQ, &make).as_deref(), Some("Basic dXNlcjpwd2Q="));
        assert!(!c.challenge(&parse_all(["Basic realm=x"]), &REQ, &make));
        // Digest, accepted: the next request answers the same nonce with the next count.
        let mut c = AuthClient::default();
        c.set_options("user", "pwd");
        assert!(c.challenge(&parse_all(["Digest realm=r, nonce=abc, qop=auth"]), &REQ, &make));
        assert!(c.next_value(&REQ, &make).unwrap().contains("nc=00000001"));
        c.settled();
        assert!(c.next_value(&REQ, &make).unwrap().contains("nc=00000002"));
        c.settled();
        assert!(c.next_value(&REQ, &make).unwrap().contains("nc=00000003"));
        // A stale nonce then is answered again; a plain new challenge is a refusal.
        assert!(c.challenge(&parse_all(["Digest realm=r, nonce=def, qop=auth, stale=true"]), &REQ, &make));
        assert!(c.next_value(&REQ, &make).unwrap().contains("nonce=\"def\""));
        // NTLM, accepted: a later challenge (a new connection) starts a new handshake.
        let mut c = AuthClient::default();
        c.set_options("user", "pwd");
        assert!(c.challenge(&parse_all(["NTLM"]), &REQ, &make));
        assert!(c.next_value(&REQ, &make).unwrap().starts_with("NTLM "));
        c.settled();
        assert_eq!(c.next_value(&REQ, &make), None);
        assert!(c.challenge(&parse_all(["NTLM"]), &REQ, &make));
        assert!(c.next_value(&REQ, &make).unwrap().starts_with("NTLM TlRMTVNTUAAB"));
    }

    #[test]
    fn options_wait_for_a_challenge_and_pick_the_strongest_scheme() {
        let mut c = AuthClient::default();
        c.set_options("user", "pwd");
        assert_eq!(c.next_value(&REQ, &make), None);
        assert!(c.challenge(&parse_all(["Basic realm=x"]), &REQ, &make));
        assert_eq!(c.next_value(&REQ, &make).as_deref(), Some("Basic dXNlcjpwd2Q="));
        assert_eq!(c.next_value(&REQ, &make), None);
        // A second challenge: refused.
        assert!(!c.challenge(&parse_all(["Basic realm=x"]), &REQ, &make));

        let mut c = AuthClient::default();
        c.set_options("user", "pwd");
        assert!(c.challenge(&parse_all(["Basic realm=x, Digest realm=r, nonce=n", "NTLM"]), &REQ, &make));
        assert!(c.next_value(&REQ, &make).unwrap().starts_with("NTLM "));
        // Unknown schemes only, or no credentials: nothing to answer.
        let mut c = AuthClient::default();
        c.set_options("user", "pwd");
        assert!(!c.challenge(&parse_all(["Bearer"]), &REQ, &make));
        let mut c = AuthClient::default();
        assert!(!c.challenge(&parse_all(["Basic realm=x"]), &REQ, &make));
    }

    #[test]
    fn explicit_credentials_beat_the_options_whatever_the_order() {
        let mut c = AuthClient::default();
        c.set_credentials(Scheme::Basic, Some(creds("pwd2")));
        c.set_options("user", "pwd");
        assert_eq!(c.next_value(&REQ, &make).as_deref(), Some("Basic dXNlcjpwd2Qy"));
        // An explicit scheme the server does not offer: nothing to answer.
        let mut c = AuthClient::default();
        c.set_credentials(Scheme::Digest, Some(creds("p")));
        assert_eq!(c.next_value(&REQ, &make), None);
        assert!(!c.challenge(&parse_all(["Basic realm=x"]), &REQ, &make));
    }

    #[test]
    fn digest_after_set_credentials_answers_the_last_challenge() {
        let mut c = AuthClient::default();
        assert!(!c.challenge(&parse_all(["Digest realm=r, nonce=abc, qop=auth"]), &REQ, &make));
        c.set_credentials(Scheme::Digest, Some(creds("p")));
        let v = c.next_value(&REQ, &make).unwrap();
        assert!(v.starts_with("Digest ") && v.contains("nonce=\"abc\""), "{v}");
        // Stale nonce: answered again; the same nonce again: refused.
        assert!(c.challenge(&parse_all(["Digest realm=r, nonce=def, qop=auth, stale=true"]), &REQ, &make));
        assert!(c.next_value(&REQ, &make).unwrap().contains("nonce=\"def\""));
        assert!(!c.challenge(&parse_all(["Digest realm=r, nonce=ghi, qop=auth"]), &REQ, &make));
    }

    #[test]
    fn ntlm_handshake_legs_then_refusal() {
        let mut c = AuthClient::default();
        c.set_credentials(Scheme::Ntlm, Some(creds("p")));
        let first = c.next_value(&REQ, &make).unwrap();
        assert!(first.starts_with("NTLM TlRMTVNTUAAB"), "{first}");
        // A challenge that is not an NTLM CHALLENGE message: given up, not looped.
        assert!(!c.challenge(&parse_all(["NTLM bm90IG50bG0="]), &REQ, &make));
        assert_eq!(c.next_value(&REQ, &make), None);
        // Default credentials the factory cannot serve: nothing is sent.
        let mut c = AuthClient::default();
        c.set_credentials(Scheme::Ntlm, None);
        assert_eq!(c.next_value(&REQ, &make), None);
    }
}
