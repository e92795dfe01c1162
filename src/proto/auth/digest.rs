//! Digest (RFC 7616, with RFC 2617's and RFC 2069's older forms): MD5 and SHA-256, their `-sess`
//! variants, `qop=auth` (or no qop), `nc`/`cnonce`, `opaque`, `stale=true` and `userhash`.
//!
//! [`Digest`] is the state machine: each challenge (a new nonce, or `stale=true`) resets the
//! nonce count; each answer for the same nonce counts up; a new challenge that is not stale after
//! an answer means the server refused the credentials. `qop=auth-int` alone is refused (the body
//! is not hashed here).

use super::{AuthError, Authenticator, Challenge, Credentials, Entropy, RequestInfo, Scheme, hex};
use md5::Md5;
use sha2::{Digest as _, Sha256};

/// The hash a challenge names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Algorithm {
    Md5,
    Md5Sess,
    Sha256,
    Sha256Sess,
}

impl Algorithm {
    /// From the `algorithm` parameter (absent is MD5).
    pub fn parse(name: Option<&str>) -> Option<Algorithm> {
        let Some(name) = name else { return Some(Algorithm::Md5) };
        [
            ("MD5", Algorithm::Md5),
            ("MD5-sess", Algorithm::Md5Sess),
            ("SHA-256", Algorithm::Sha256),
            ("SHA-256-sess", Algorithm::Sha256Sess),
        ]
        .into_iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, a)| a)
    }

    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Md5 => "MD5",
            Algorithm::Md5Sess => "MD5-sess",
            Algorithm::Sha256 => "SHA-256",
            Algorithm::Sha256Sess => "SHA-256-sess",
        }
    }

    fn sess(self) -> bool {
        matches!(self, Algorithm::Md5Sess | Algorithm::Sha256Sess)
    }

    /// Lowercase hex of the hash of `data`.
    pub fn h(self, data: &str) -> String {
        match self {
            Algorithm::Md5 | Algorithm::Md5Sess => hex(&Md5::digest(data.as_bytes())),
            Algorithm::Sha256 | Algorithm::Sha256Sess => hex(&Sha256::digest(data.as_bytes())),
        }
    }
}

/// Everything one answer depends on.
#[derive(Clone, Debug)]
pub struct Params<'a> {
    pub algorithm: Algorithm,
    pub realm: &'a str,
    pub nonce: &'a str,
    pub cnonce: &'a str,
    pub nc: u32,
    /// `Some("auth")`, or `None` for RFC 2069's form (no qop offered).
    pub qop: Option<&'a str>,
    pub method: &'a str,
    pub uri: &'a str,
}

/// The `response` parameter.
pub fn response(creds: &Credentials, p: &Params) -> String {
    let a = p.algorithm;
    let mut ha1 = a.h(&format!("{}:{}:{}", creds.user, p.realm, creds.password));
    if a.sess() {
        ha1 = a.h(&format!("{ha1}:{}:{}", p.nonce, p.cnonce));
    }
    let ha2 = a.h(&format!("{}:{}", p.method, p.uri));
    match p.qop {
        Some(qop) => a.h(&format!("{ha1}:{}:{:08x}:{}:{qop}:{ha2}", p.nonce, p.nc, p.cnonce)),
        None => a.h(&format!("{ha1}:{}:{ha2}", p.nonce)),
    }
}

/// A quoted-string: backslash before `"` and `\`.
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

fn has_control(s: &str) -> bool {
    s.chars().any(char::is_control)
}

/// The nonce and what came with it, kept between answers.
#[derive(Clone, Debug)]
struct State {
    algorithm: Algorithm,
    realm: String,
    nonce: String,
    opaque: Option<String>,
    qop: Option<&'static str>,
    userhash: bool,
    cnonce: String,
    nc: u32,
}

/// The Digest state machine for one set of credentials.
pub struct Digest {
    creds: Credentials,
    entropy: Box<dyn Entropy>,
    state: Option<State>,
    /// Whether an answer was sent for the current nonce.
    answered: bool,
}

impl Digest {
    pub fn new(creds: Credentials, entropy: Box<dyn Entropy>) -> Digest {
        Digest { creds, entropy, state: None, answered: false }
    }

    fn new_cnonce(&mut self) -> String {
        let mut b = [0u8; 16];
        self.entropy.fill(&mut b);
        hex(&b)
    }

    /// Takes in a challenge (first, stale, or a refusal).
    fn accept(&mut self, ch: &Challenge) -> Result<(), AuthError> {
        let nonce = ch.param("nonce").ok_or(AuthError::BadChallenge("Digest without nonce"))?;
        // What we echo in quotes must not carry control characters (CR/LF would split our request
        // head; found by the auth_challenge fuzz target).
        if ["realm", "nonce", "opaque"].iter().any(|n| ch.param(n).is_some_and(has_control)) {
            return Err(AuthError::BadChallenge("control character in a Digest parameter"));
        }
        let stale = ch.param("stale").is_some_and(|s| s.eq_ignore_ascii_case("true"));
        if self.answered && !stale {
            return Err(AuthError::Rejected);
        }
        let algorithm =
            Algorithm::parse(ch.param("algorithm")).ok_or(AuthError::BadChallenge("unknown Digest algorithm"))?;
        let qop = match ch.param("qop") {
            None => None,
            Some(list) if list.split(',').any(|q| q.trim().eq_ignore_ascii_case("auth")) => Some("auth"),
            Some(_) => return Err(AuthError::BadChallenge("Digest qop other than auth")),
        };
        let cnonce = self.new_cnonce();
        self.state = Some(State {
            algorithm,
            realm: ch.param("realm").unwrap_or("").to_string(),
            nonce: nonce.to_string(),
            opaque: ch.param("opaque").map(str::to_string),
            qop,
            userhash: ch.param("userhash").is_some_and(|s| s.eq_ignore_ascii_case("true")),
            cnonce,
            nc: 0,
        });
        self.answered = false;
        Ok(())
    }
}

impl Authenticator for Digest {
    fn scheme(&self) -> Scheme {
        Scheme::Digest
    }

    fn respond(&mut self, challenge: Option<&Challenge>, request: &RequestInfo) -> Result<String, AuthError> {
        if let Some(ch) = challenge {
            self.accept(ch)?;
        }
        let creds = self.creds.clone();
        if has_control(&creds.user) || has_control(request.uri) {
            return Err(AuthError::BadChallenge("control character in the Digest user name or URI"));
        }
        let s = self.state.as_mut().ok_or(AuthError::BadChallenge("Digest needs a challenge first"))?;
        s.nc += 1;
        let p = Params {
            algorithm: s.algorithm,
            realm: &s.realm,
            nonce: &s.nonce,
            cnonce: &s.cnonce,
            nc: s.nc,
            qop: s.qop,
            method: request.method,
            uri: request.uri,
        };
        let resp = response(&creds, &p);
        let user = if s.userhash { s.algorithm.h(&format!("{}:{}", creds.user, s.realm)) } else { creds.user.clone() };
        let mut v = format!(
            "Digest username={}, realm={}, nonce={}, uri={}, algorithm={}, response=\"{resp}\"",
            quote(&user),
            quote(&s.realm),
            quote(&s.nonce),
            quote(request.uri),
            s.algorithm.name()
        );
        if let Some(o) = &s.opaque {
            v.push_str(&format!(", opaque={}", quote(o)));
        }
        if let Some(q) = s.qop {
            v.push_str(&format!(", qop={q}, nc={:08x}, cnonce=\"{}\"", s.nc, s.cnonce));
        }
        if s.userhash {
            v.push_str(", userhash=true");
        }
        self.answered = true;
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::super::challenge;
    use super::*;

    fn mufasa(password: &str) -> Credentials {
        Credentials { user: "Mufasa".into(), password: password.into() }
    }

    #[test]
    fn rfc2617_vector() {
        let p = Params {
            algorithm: Algorithm::Md5,
            realm: "testrealm@host.com",
            nonce: "dcd98b7102dd2f0e8b11d0f600bfb0c093",
            cnonce: "0a4f113b",
            nc: 1,
            qop: Some("auth"),
            method: "GET",
            uri: "/dir/index.html",
        };
        assert_eq!(response(&mufasa("Circle Of Life"), &p), "6629fae49393a05397450978507c4ef1");
    }

    #[test]
    fn rfc7616_vectors() {
        let mut p = Params {
            algorithm: Algorithm::Md5,
            realm: "http-auth@example.org",
            nonce: "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
            cnonce: "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
            nc: 1,
            qop: Some("auth"),
            method: "GET",
            uri: "/dir/index.html",
        };
        assert_eq!(response(&mufasa("Circle of Life"), &p), "8ca523f5e9506fed4657c9700eebdbec");
        p.algorithm = Algorithm::Sha256;
        assert_eq!(
            response(&mufasa("Circle of Life"), &p),
            "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"
        );
    }

    #[test]
    fn sess_and_no_qop_forms() {
        let c = mufasa("pw");
        let base = Params {
            algorithm: Algorithm::Md5Sess,
            realm: "r",
            nonce: "n",
            cnonce: "c",
            nc: 2,
            qop: Some("auth"),
            method: "POST",
            uri: "/x",
        };
        let md5 = |s: &str| Algorithm::Md5.h(s);
        let ha1 = md5(&format!("{}:n:c", md5("Mufasa:r:pw")));
        let ha2 = md5("POST:/x");
        assert_eq!(response(&c, &base), md5(&format!("{ha1}:n:00000002:c:auth:{ha2}")));
        let p = Params { qop: None, algorithm: Algorithm::Md5, ..base.clone() };
        assert_eq!(response(&c, &p), md5(&format!("{}:n:{ha2}", md5("Mufasa:r:pw"))));
        let p = Params { algorithm: Algorithm::Sha256Sess, ..base };
        let sha = |s: &str| Algorithm::Sha256.h(s);
        let ha1 = sha(&format!("{}:n:c", sha("Mufasa:r:pw")));
        assert_eq!(response(&c, &p), sha(&format!("{ha1}:n:00000002:c:auth:{}", sha("POST:/x"))));
    }

    struct Fixed(u8);
    impl Entropy for Fixed {
        fn fill(&mut self, buf: &mut [u8]) {
            buf.fill(self.0);
            self.0 += 1;
        }
    }

    fn field(header: &str, name: &str) -> Option<String> {
        let ch = challenge::parse(header).into_iter().next()?;
        ch.param(name).map(str::to_string)
    }

    #[test]
    fn state_machine_counts_and_handles_stale() {
        let mut d = Digest::new(mufasa("Circle of Life"), Box::new(Fixed(0xab)));
        let req = RequestInfo { method: "GET", uri: "/dir/index.html" };
        assert!(matches!(d.respond(None, &req), Err(AuthError::BadChallenge(_))));
        let ch = challenge::parse(
            "Digest realm=\"http-auth@example.org\", qop=\"auth, auth-int\", algorithm=SHA-256, \
             nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\", opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"",
        )
        .remove(0);
        let v1 = d.respond(Some(&ch), &req).unwrap();
        assert!(v1.starts_with("Digest username=\"Mufasa\", realm=\"http-auth@example.org\""), "{v1}");
        assert_eq!(field(&v1, "nc").as_deref(), Some("00000001"));
        assert_eq!(field(&v1, "qop").as_deref(), Some("auth"));
        assert_eq!(field(&v1, "algorithm").as_deref(), Some("SHA-256"));
        assert_eq!(field(&v1, "opaque").as_deref(), Some("FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"));
        let cnonce = field(&v1, "cnonce").unwrap();
        assert_eq!(cnonce, "ab".repeat(16));
        let expect = response(
            &mufasa("Circle of Life"),
            &Params {
                algorithm: Algorithm::Sha256,
                realm: "http-auth@example.org",
                nonce: "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
                cnonce: &cnonce,
                nc: 1,
                qop: Some("auth"),
                method: "GET",
                uri: "/dir/index.html",
            },
        );
        assert_eq!(field(&v1, "response"), Some(expect));
        // The same nonce again (a later request): nc counts up.
        let v2 = d.respond(None, &req).unwrap();
        assert_eq!(field(&v2, "nc").as_deref(), Some("00000002"));
        // Stale: a new nonce, nc starts again, a new cnonce.
        let stale = challenge::parse("Digest realm=\"r\", nonce=\"new\", stale=TRUE, qop=auth").remove(0);
        let v3 = d.respond(Some(&stale), &req).unwrap();
        assert_eq!(field(&v3, "nc").as_deref(), Some("00000001"));
        assert_eq!(field(&v3, "nonce").as_deref(), Some("new"));
        assert_eq!(field(&v3, "algorithm").as_deref(), Some("MD5"));
        assert_ne!(field(&v3, "cnonce").unwrap(), cnonce);
        assert_eq!(field(&v3, "opaque"), None);
        // A fresh challenge that is not stale after an answer: refused.
        let again = challenge::parse("Digest realm=\"r\", nonce=\"other\", qop=auth").remove(0);
        assert_eq!(d.respond(Some(&again), &req), Err(AuthError::Rejected));
    }

    #[test]
    fn userhash_no_qop_and_refusals() {
        let req = RequestInfo { method: "GET", uri: "/a \"b\"" };
        let mut d = Digest::new(mufasa("x"), Box::new(Fixed(1)));
        let ch = challenge::parse("Digest realm=\"r\", nonce=\"n\", userhash=true, algorithm=SHA-256").remove(0);
        let v = d.respond(Some(&ch), &req).unwrap();
        assert_eq!(field(&v, "username"), Some(Algorithm::Sha256.h("Mufasa:r")));
        assert_eq!(field(&v, "uri").as_deref(), Some("/a \"b\""));
        assert_eq!(field(&v, "qop"), None);
        assert_eq!(field(&v, "nc"), None);
        assert!(v.ends_with(", userhash=true"));
        // A user name with CR/LF cannot be written into the header.
        let mut d = Digest::new(mufasa("x"), Box::new(Fixed(1)));
        d.creds.user = "a\r\nX-Injected: 1".into();
        let ch = challenge::parse("Digest realm=r, nonce=n").remove(0);
        assert!(matches!(d.respond(Some(&ch), &req), Err(AuthError::BadChallenge(_))));
        for bad in [
            "Digest realm=\"a\nb\", nonce=n",
            "Digest realm=r, nonce=\"n\r\nX: y\"",
            "Digest realm=r, nonce=n, opaque=\"\u{0}\"",
            "Digest realm=r",
            "Digest realm=r, nonce=n, algorithm=SHA-512-256",
            "Digest realm=r, nonce=n, qop=auth-int",
        ] {
            let mut d = Digest::new(mufasa("x"), Box::new(Fixed(1)));
            let ch = challenge::parse(bad).remove(0);
            assert!(matches!(d.respond(Some(&ch), &req), Err(AuthError::BadChallenge(_))), "{bad}");
        }
    }
}
