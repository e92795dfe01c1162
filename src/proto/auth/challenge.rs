//! `WWW-Authenticate` / `Proxy-Authenticate` parsing (RFC 9110 section 11.6.1), sans I/O.
//!
//! ```text
//! challenge  = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
//! auth-param = token BWS "=" BWS ( token / quoted-string )
//! ```
//!
//! One header value may carry several challenges separated by commas, and the same header may
//! appear several times; [`parse_all`] gives every challenge in order. Parsing never fails: a
//! malformed piece is skipped up to the next comma, so a server's odd header cannot hide the
//! challenges around it.

/// One challenge: its scheme as written, then either a token68 or parameters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Challenge {
    /// The scheme as the server wrote it ("Basic", "NTLM", "Digest").
    pub scheme: String,
    /// A token68 (NTLM and Negotiate carry their base64 tokens this way).
    pub token68: Option<String>,
    /// `name=value` parameters, names as written, quoted values unescaped.
    pub params: Vec<(String, String)>,
}

impl Challenge {
    /// The value of parameter `name` (case-insensitive), the first if repeated.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// Whether the scheme is `name` (case-insensitive).
    pub fn is(&self, name: &str) -> bool {
        self.scheme.eq_ignore_ascii_case(name)
    }
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn is_token68_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~+/".contains(&b)
}

struct Cursor<'a> {
    s: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
    }

    fn token(&mut self) -> Option<&'a str> {
        let start = self.pos;
        while self.peek().is_some_and(is_tchar) {
            self.pos += 1;
        }
        // Only ASCII bytes were taken, so this slice is valid UTF-8.
        (self.pos > start).then(|| std::str::from_utf8(&self.s[start..self.pos]).unwrap_or(""))
    }

    /// A quoted-string after its opening quote has been seen; `None` when unterminated.
    fn quoted(&mut self) -> Option<String> {
        debug_assert_eq!(self.peek(), Some(b'"'));
        self.pos += 1;
        let mut out = Vec::new();
        while let Some(b) = self.peek() {
            self.pos += 1;
            match b {
                b'"' => return Some(String::from_utf8_lossy(&out).into_owned()),
                b'\\' => {
                    if let Some(next) = self.peek() {
                        out.push(next);
                        self.pos += 1;
                    }
                }
                _ => out.push(b),
            }
        }
        None
    }

    /// Skips to just after the next comma outside a quoted string (or to the end).
    fn skip_item(&mut self) {
        while let Some(b) = self.peek() {
            if b == b'"' {
                if self.quoted().is_none() {
                    return;
                }
                continue;
            }
            self.pos += 1;
            if b == b',' {
                return;
            }
        }
    }

    /// After an item: optional whitespace, then a comma or the end. `false` if something else.
    fn item_end(&mut self) -> bool {
        self.skip_ws();
        match self.peek() {
            None => true,
            Some(b',') => {
                self.pos += 1;
                true
            }
            _ => false,
        }
    }

    fn skip_commas(&mut self) {
        loop {
            self.skip_ws();
            if self.peek() == Some(b',') {
                self.pos += 1;
            } else {
                return;
            }
        }
    }

    /// `token BWS "=" BWS (token / quoted-string)`, restoring the position when it is not one.
    fn param(&mut self) -> Option<(String, String)> {
        let start = self.pos;
        let parsed = (|| {
            let name = self.token()?;
            self.skip_ws();
            if self.peek() != Some(b'=') {
                return None;
            }
            self.pos += 1;
            self.skip_ws();
            let value = match self.peek() {
                Some(b'"') => self.quoted()?,
                _ => self.token()?.to_string(),
            };
            Some((name.to_string(), value))
        })();
        if parsed.is_none() {
            self.pos = start;
        }
        parsed
    }

    /// `1*token68-char *"="` followed by the end of the item.
    fn token68(&mut self) -> Option<String> {
        let start = self.pos;
        while self.peek().is_some_and(is_token68_char) {
            self.pos += 1;
        }
        if self.pos == start {
            return None;
        }
        while self.peek() == Some(b'=') {
            self.pos += 1;
        }
        let end = self.pos;
        let save = self.pos;
        self.skip_ws();
        if matches!(self.peek(), None | Some(b',')) {
            self.pos = save;
            return Some(std::str::from_utf8(&self.s[start..end]).unwrap_or("").to_string());
        }
        self.pos = start;
        None
    }
}

/// Every challenge of one header value, in order.
pub fn parse(value: &str) -> Vec<Challenge> {
    let mut c = Cursor { s: value.as_bytes(), pos: 0 };
    let mut out: Vec<Challenge> = Vec::new();
    // Whether the current challenge can still take parameters (it has no token68).
    let mut open = false;
    loop {
        c.skip_commas();
        if c.peek().is_none() {
            return out;
        }
        // A parameter of the open challenge?
        if open && let Some(p) = c.param() {
            if c.item_end() {
                if let Some(last) = out.last_mut() {
                    last.params.push(p);
                }
            } else {
                c.skip_item();
            }
            continue;
        }
        // Otherwise a new challenge: a scheme token, then a token68 or a first parameter.
        let Some(scheme) = c.token() else {
            c.skip_item();
            open = false;
            continue;
        };
        let mut ch = Challenge { scheme: scheme.to_string(), ..Challenge::default() };
        let before = c.pos;
        c.skip_ws();
        open = true;
        if c.pos == before {
            // No space after the scheme: it must end the item.
            if !c.item_end() {
                c.skip_item();
                open = false;
                continue;
            }
            out.push(ch);
            continue;
        }
        if let Some(p) = c.param() {
            if c.item_end() {
                ch.params.push(p);
            } else {
                c.skip_item();
            }
        } else if let Some(t) = c.token68() {
            ch.token68 = Some(t);
            open = false;
            c.item_end();
        } else if !c.item_end() {
            c.skip_item();
        }
        out.push(ch);
    }
}

/// Every challenge of every value of the header, in order.
pub fn parse_all<'a>(values: impl IntoIterator<Item = &'a str>) -> Vec<Challenge> {
    values.into_iter().flat_map(parse).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ch(scheme: &str, token68: Option<&str>, params: &[(&str, &str)]) -> Challenge {
        Challenge {
            scheme: scheme.into(),
            token68: token68.map(Into::into),
            params: params.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect(),
        }
    }

    #[test]
    fn single_schemes() {
        assert_eq!(parse("Basic realm=\"placebo\""), vec![ch("Basic", None, &[("realm", "placebo")])]);
        assert_eq!(parse("NTLM"), vec![ch("NTLM", None, &[])]);
        assert_eq!(parse("  Negotiate  "), vec![ch("Negotiate", None, &[])]);
        assert_eq!(parse("NTLM TlRMTVNTUAACAAAA+/=="), vec![ch("NTLM", Some("TlRMTVNTUAACAAAA+/=="), &[])]);
        assert_eq!(parse("Negotiate abc="), vec![ch("Negotiate", Some("abc="), &[])]);
    }

    #[test]
    fn several_in_one_header() {
        let got = parse(
            "Newauth realm=\"apps\", type=1, title=\"Login to \\\"apps\\\"\", Basic realm=\"simple\", NTLM, \
             Negotiate YIIB==, Digest realm=\"r\", nonce=\"a,b\", qop=\"auth,auth-int\"",
        );
        assert_eq!(
            got,
            vec![
                ch("Newauth", None, &[("realm", "apps"), ("type", "1"), ("title", "Login to \"apps\"")]),
                ch("Basic", None, &[("realm", "simple")]),
                ch("NTLM", None, &[]),
                ch("Negotiate", Some("YIIB=="), &[]),
                ch("Digest", None, &[("realm", "r"), ("nonce", "a,b"), ("qop", "auth,auth-int")]),
            ]
        );
        assert_eq!(got[4].param("QOP"), Some("auth,auth-int"));
        assert!(got[2].is("ntlm"));
    }

    #[test]
    fn across_headers_and_spacing() {
        let got = parse_all(["Bearer", "Basic realm = \"x\" ,, NTLM", ", Digest nonce=abc ,stale=TRUE"]);
        assert_eq!(
            got,
            vec![
                ch("Bearer", None, &[]),
                ch("Basic", None, &[("realm", "x")]),
                ch("NTLM", None, &[]),
                ch("Digest", None, &[("nonce", "abc"), ("stale", "TRUE")]),
            ]
        );
    }

    #[test]
    fn malformed_pieces_are_skipped() {
        assert_eq!(parse(""), vec![]);
        assert_eq!(parse(",,, ,"), vec![]);
        // An unterminated quote swallows the rest.
        assert_eq!(parse("Basic realm=\"abc, NTLM"), vec![ch("Basic", None, &[])]);
        // Garbage between challenges.
        assert_eq!(parse("@@@, Basic realm=x y z, NTLM"), vec![ch("Basic", None, &[]), ch("NTLM", None, &[])]);
        assert_eq!(parse("Basic\"x\", NTLM"), vec![ch("NTLM", None, &[])]);
        // A token68 closes the challenge: what follows is a new scheme.
        assert_eq!(parse("Negotiate abc, def"), vec![ch("Negotiate", Some("abc"), &[]), ch("def", None, &[])]);
        // Non-ASCII stays intact inside quotes and never panics elsewhere.
        assert_eq!(parse("Basic realm=\"é\""), vec![ch("Basic", None, &[("realm", "é")])]);
        let _ = parse("é Basic, ü=ü");
    }
}
