//! HTTP/2 header mapping, our side of the `h2` crate: the request head an attempt serialized for
//! HTTP/1.1 becomes the pseudo-headers and the lower-cased field list of a HEADERS frame, without
//! the connection-specific fields HTTP/2 forbids (RFC 9113 §8.2.2), and a response's status and
//! fields become the head `WinHttpQueryHeaders` reads (version `HTTP/2`, no reason phrase).
//!
//! The framing, HPACK, flow control and stream states are the `h2` crate's; this module is pure
//! and fuzzed (`h2_headers`).

/// A request head as HTTP/2 carries it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestHead {
    pub method: String,
    /// `:path`: the request-target in origin form (`*` for OPTIONS *).
    pub path: String,
    /// `:authority`, from the `Host` field.
    pub authority: String,
    /// Lower-cased names, values as given, in order; no pseudo-header and no connection-specific field.
    pub fields: Vec<(String, String)>,
}

/// Why a head cannot be carried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MapError {
    /// Not a request line and fields (the engine wrote it: never expected).
    Malformed,
    /// No `Host` field: HTTP/2 needs an authority.
    NoAuthority,
}

/// Fields that only mean something to one HTTP/1.1 connection (RFC 9113 §8.2.2); `TE` is kept
/// when its value is `trailers`.
pub fn connection_specific(name: &str) -> bool {
    ["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"]
        .iter()
        .any(|n| name.eq_ignore_ascii_case(n))
}

/// Maps an HTTP/1.1 request head (request line, fields, empty line) to HTTP/2: the method and
/// target become `:method` and `:path`, `Host` becomes `:authority`, names are lower-cased, and
/// the connection-specific fields (and `TE` other than `trailers`) are dropped. The names listed
/// in `connection` by a `Connection` field are dropped too.
pub fn request_head(head: &[u8]) -> Result<RequestHead, MapError> {
    let text = std::str::from_utf8(head).map_err(|_| MapError::Malformed)?;
    // Only the head (up to the empty line) is read; a lone CR or LF, or a NUL, in it is malformed.
    let end = text.find("\r\n\r\n").map_or(text.len(), |i| i + 2);
    if text[..end].split("\r\n").any(|l| l.contains(['\r', '\n', '\0'])) {
        return Err(MapError::Malformed);
    }
    let mut lines = text.split("\r\n");
    let line = lines.next().ok_or(MapError::Malformed)?;
    let mut parts = line.splitn(3, ' ');
    let (Some(method), Some(target), Some(version)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(MapError::Malformed);
    };
    if method.is_empty() || target.is_empty() || !version.starts_with("HTTP/") {
        return Err(MapError::Malformed);
    }
    let mut raw = Vec::new();
    for l in lines {
        if l.is_empty() {
            break;
        }
        let (name, value) = l.split_once(':').ok_or(MapError::Malformed)?;
        if name.is_empty() || name.bytes().any(|b| b <= b' ' || b == 0x7f) {
            return Err(MapError::Malformed);
        }
        raw.push((name.to_ascii_lowercase(), value.trim_matches([' ', '\t']).to_string()));
    }
    // Fields a `Connection` header names are connection-specific as well.
    let named: Vec<String> = raw
        .iter()
        .filter(|(n, _)| n == "connection")
        .flat_map(|(_, v)| v.split(',').map(|t| t.trim().to_ascii_lowercase()))
        .filter(|t| !t.is_empty())
        .collect();
    let mut authority = None;
    let mut fields = Vec::with_capacity(raw.len());
    for (name, value) in raw {
        if name == "host" {
            authority.get_or_insert(value);
            continue;
        }
        if connection_specific(&name) || named.contains(&name) {
            continue;
        }
        if name == "te" && !value.eq_ignore_ascii_case("trailers") {
            continue;
        }
        fields.push((name, value));
    }
    // An absolute-form target (never sent over TLS by the engine, but well-formed) gives its path.
    let path = match target.find("://") {
        Some(i) => {
            let rest = &target[i + 3..];
            match rest.find('/') {
                Some(j) => rest[j..].to_string(),
                None => "/".to_string(),
            }
        }
        None => target.to_string(),
    };
    let authority = authority.filter(|a| !a.is_empty()).ok_or(MapError::NoAuthority)?;
    Ok(RequestHead { method: method.to_string(), path, authority, fields })
}

/// The version `WinHttpQueryHeaders(WINHTTP_QUERY_VERSION)` reports for a response over HTTP/2.
pub const VERSION: &str = "HTTP/2";

/// True when a request head answers the server with a connection-based scheme (`Authorization:
/// NTLM ...` or `Negotiate ...`): such a handshake authenticates one HTTP/1.1 connection and cannot
/// be carried by a stream of a shared HTTP/2 connection, so the request goes over HTTP/1.1 (as
/// WinHTTP does; README, HTTP/2).
pub fn connection_auth(head: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(head) else { return false };
    text.split("\r\n").skip(1).take_while(|l| !l.is_empty()).any(|line| {
        let Some((name, value)) = line.split_once(':') else { return false };
        if !name.eq_ignore_ascii_case("authorization") {
            return false;
        }
        let scheme = value.trim_matches([' ', '\t']).split([' ', '\t']).next().unwrap_or_default();
        scheme.eq_ignore_ascii_case("ntlm") || scheme.eq_ignore_ascii_case("negotiate")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_based_authorization_is_recognised() {
        let head = |auth: &str| format!("GET / HTTP/1.1\r\nHost: h\r\n{auth}X-A: b\r\n\r\n").into_bytes();
        assert!(connection_auth(&head("Authorization: NTLM TlRMTVNTUAABAAAA\r\n")));
        assert!(connection_auth(&head("authorization:Negotiate YII=\r\n")));
        assert!(connection_auth(&head("AUTHORIZATION: ntlm\r\n")));
        assert!(!connection_auth(&head("Authorization: Basic dXNlcjpwd2Q=\r\n")));
        assert!(!connection_auth(&head("Authorization: Digest username=\"NTLM\"\r\n")));
        assert!(!connection_auth(&head("Proxy-Authorization: NTLM TlRM\r\n")));
        assert!(!connection_auth(&head("X-Authorization: NTLM TlRM\r\n")));
        assert!(!connection_auth(&head("")));
        // The request line is not a field.
        assert!(!connection_auth(b"GET /Authorization:NTLM HTTP/1.1\r\nHost: h\r\n\r\n"));
    }

    #[test]
    fn pseudo_headers_lower_case_and_no_connection_fields() {
        let head = b"POST /a?b=1 HTTP/1.1\r\nHost: example.test:8443\r\nUser-Agent: t\r\nConnection: Keep-Alive, X-Hop\r\nX-Hop: 1\r\nTransfer-Encoding: chunked\r\nTE: gzip\r\nContent-Length: 3\r\nX-Mixed-Case: V a\r\n\r\n";
        let h = request_head(head).unwrap();
        assert_eq!(h.method, "POST");
        assert_eq!(h.path, "/a?b=1");
        assert_eq!(h.authority, "example.test:8443");
        assert_eq!(
            h.fields,
            vec![
                ("user-agent".into(), "t".into()),
                ("content-length".into(), "3".into()),
                ("x-mixed-case".into(), "V a".into())
            ]
        );
    }

    #[test]
    fn te_trailers_is_kept_and_a_head_without_host_is_refused() {
        let h = request_head(b"GET / HTTP/1.1\r\nHost: a\r\nTE: trailers\r\n\r\n").unwrap();
        assert_eq!(h.fields, vec![("te".into(), "trailers".into())]);
        assert_eq!(request_head(b"GET / HTTP/1.1\r\nX: y\r\n\r\n"), Err(MapError::NoAuthority));
        assert_eq!(request_head(b"GET /\r\n\r\n"), Err(MapError::Malformed));
        assert_eq!(request_head(b"GET / HTTP/1.1\r\nno colon\r\n\r\n"), Err(MapError::Malformed));
        // A lone CR in a value (found by the fuzzer) never reaches a frame.
        assert_eq!(request_head(b"GET / HTTP/1.1\r\nHost: a.test\r*\r\n\r\n"), Err(MapError::Malformed));
        let h = request_head(b"GET http://a.test HTTP/1.1\r\nHost: a.test\r\n\r\n").unwrap();
        assert_eq!(h.path, "/");
    }
}
