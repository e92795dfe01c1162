//! Basic (RFC 7617): `Basic base64(user ":" password)`, the user and password in UTF-8.

use super::{AuthError, Authenticator, Challenge, Credentials, RequestInfo, Scheme};
use base64::Engine;

/// The `Authorization` value for `creds`.
pub fn authorization(creds: &Credentials) -> String {
    let raw = format!("{}:{}", creds.user, creds.password);
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(raw))
}

/// Basic as an [`Authenticator`]: answers a challenge once; a second challenge means the server
/// refused the credentials.
pub struct Basic {
    creds: Credentials,
    answered: bool,
}

impl Basic {
    pub fn new(creds: Credentials) -> Basic {
        Basic { creds, answered: false }
    }
}

impl Authenticator for Basic {
    fn scheme(&self) -> Scheme {
        Scheme::Basic
    }

    fn respond(&mut self, challenge: Option<&Challenge>, _request: &RequestInfo) -> Result<String, AuthError> {
        if challenge.is_some() {
            if self.answered {
                return Err(AuthError::Rejected);
            }
            self.answered = true;
        }
        Ok(authorization(&self.creds))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_user_and_password() {
        let c = Credentials { user: "user".into(), password: "pwd".into() };
        // The value Windows sends in Wine's test.
        assert_eq!(authorization(&c), "Basic dXNlcjpwd2Q=");
        // RFC 7617 section 2.
        let c = Credentials { user: "Aladdin".into(), password: "open sesame".into() };
        assert_eq!(authorization(&c), "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
        let c = Credentials { user: "test".into(), password: "123\u{a3}".into() };
        assert_eq!(authorization(&c), "Basic dGVzdDoxMjPCow==");
    }

    #[test]
    fn second_challenge_is_a_refusal() {
        let mut b = Basic::new(Credentials { user: "u".into(), password: "p".into() });
        let req = RequestInfo { method: "GET", uri: "/" };
        let ch = super::super::challenge::parse("Basic realm=x").remove(0);
        assert!(b.respond(None, &req).is_ok());
        assert!(b.respond(Some(&ch), &req).is_ok());
        assert_eq!(b.respond(Some(&ch), &req), Err(AuthError::Rejected));
    }
}
