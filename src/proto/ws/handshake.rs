//! The opening handshake (RFC 6455 §4.1, §4.2.2) from the client's side: the headers the upgrade
//! request gets, and the check of the server's answer.
//!
//! We offer no extension (Windows offers none, permessage-deflate included), so a server that names
//! one in `Sec-WebSocket-Extensions` is refused. A subprotocol is only accepted when the application
//! offered it (WinHTTP has no option for this: an application adds its own `Sec-WebSocket-Protocol`
//! request header, which [`Offer::new`] reads).

use crate::abi::{DWORD, ERROR_WINHTTP_INVALID_SERVER_RESPONSE};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

/// The GUID appended to the key for `Sec-WebSocket-Accept` (RFC 6455 §1.3).
pub const ACCEPT_GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// The protocol version sent in `Sec-WebSocket-Version`.
pub const VERSION: &str = "13";

/// A `Sec-WebSocket-Key`: 16 random bytes in base64 (24 characters). A new one for every send of the
/// upgrade request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key(String);

impl Key {
    /// The key made of 16 bytes from the caller's random source.
    pub fn from_random(bytes: [u8; 16]) -> Key {
        Key(BASE64.encode(bytes))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The `Sec-WebSocket-Accept` value a server must answer with.
    pub fn expected_accept(&self) -> String {
        accept_for(&self.0)
    }
}

/// base64(SHA-1(key + GUID)).
pub fn accept_for(key: &str) -> String {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY);
    ctx.update(key.as_bytes());
    ctx.update(ACCEPT_GUID.as_bytes());
    BASE64.encode(ctx.finish())
}

/// The headers an upgrade request gets when it is sent, in this order (the request's own `Host`
/// comes from the HTTP layer).
pub fn request_headers(key: &Key) -> [(&'static str, String); 4] {
    [
        ("Upgrade", "websocket".to_owned()),
        ("Connection", "Upgrade".to_owned()),
        ("Sec-WebSocket-Key", key.0.clone()),
        ("Sec-WebSocket-Version", VERSION.to_owned()),
    ]
}

/// What the request offered: its key and the subprotocols the application asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    pub key: Key,
    pub protocols: Vec<String>,
}

impl Offer {
    /// `protocols` is the value of the request's `Sec-WebSocket-Protocol` header(s), if the application
    /// added any (a comma-separated list).
    pub fn new<'a>(key: Key, protocols: impl IntoIterator<Item = &'a str>) -> Offer {
        let protocols = protocols.into_iter().flat_map(tokens).map(str::to_owned).collect();
        Offer { key, protocols }
    }
}

/// Why a server's answer to the upgrade is refused (all `ERROR_WINHTTP_INVALID_SERVER_RESPONSE`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HandshakeError {
    /// The status is not 101.
    NotSwitching(u16),
    /// No `Upgrade: websocket`.
    NoUpgrade,
    /// No `upgrade` token in `Connection`.
    NoConnectionUpgrade,
    /// `Sec-WebSocket-Accept` missing, repeated or not the hash of our key.
    BadAccept,
    /// A `Sec-WebSocket-Version` other than 13 in a 101.
    BadVersion,
    /// An extension we did not offer (we offer none: permessage-deflate is refused here).
    Extension(String),
    /// A subprotocol we did not offer, or more than one.
    Subprotocol(String),
}

impl HandshakeError {
    pub fn code(&self) -> DWORD {
        ERROR_WINHTTP_INVALID_SERVER_RESPONSE
    }
}

/// What a valid 101 agreed on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// The subprotocol the server chose among those offered.
    pub protocol: Option<String>,
}

/// Checks the server's response head: `status` and its headers (names in any case; a header may
/// repeat).
pub fn check_response<'a>(
    offer: &Offer,
    status: u16,
    headers: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<Accepted, HandshakeError> {
    if status != 101 {
        return Err(HandshakeError::NotSwitching(status));
    }
    let (mut upgrade, mut connection, mut accepts, mut protocols) = (false, false, Vec::new(), Vec::new());
    for (name, value) in headers {
        if name.eq_ignore_ascii_case("Upgrade") {
            upgrade |= tokens(value).any(|t| t.eq_ignore_ascii_case("websocket"));
        } else if name.eq_ignore_ascii_case("Connection") {
            connection |= tokens(value).any(|t| t.eq_ignore_ascii_case("upgrade"));
        } else if name.eq_ignore_ascii_case("Sec-WebSocket-Accept") {
            accepts.push(value.trim());
        } else if name.eq_ignore_ascii_case("Sec-WebSocket-Version") {
            if value.trim() != VERSION {
                return Err(HandshakeError::BadVersion);
            }
        } else if name.eq_ignore_ascii_case("Sec-WebSocket-Extensions") {
            if let Some(ext) = tokens(value).next() {
                return Err(HandshakeError::Extension(ext.to_owned()));
            }
        } else if name.eq_ignore_ascii_case("Sec-WebSocket-Protocol") {
            protocols.extend(tokens(value));
        }
    }
    if !upgrade {
        return Err(HandshakeError::NoUpgrade);
    }
    if !connection {
        return Err(HandshakeError::NoConnectionUpgrade);
    }
    if accepts.len() != 1 || accepts[0] != offer.key.expected_accept() {
        return Err(HandshakeError::BadAccept);
    }
    let protocol = match protocols[..] {
        [] => None,
        [p] if offer.protocols.iter().any(|o| o == p) => Some(p.to_owned()),
        _ => return Err(HandshakeError::Subprotocol(protocols.join(", "))),
    };
    Ok(Accepted { protocol })
}

/// The non-empty comma-separated elements of a header value, trimmed.
fn tokens(value: &str) -> impl Iterator<Item = &str> {
    value.split(',').map(str::trim).filter(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6455 §1.3's example key.
    fn sample() -> Offer {
        let key = Key(String::from("dGhlIHNhbXBsZSBub25jZQ=="));
        Offer::new(key, [])
    }

    const GOOD: [(&str, &str); 3] =
        [("Upgrade", "websocket"), ("Connection", "Upgrade"), ("Sec-WebSocket-Accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")];

    fn with(extra: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
        GOOD.iter().copied().chain(extra.iter().copied()).collect()
    }

    #[test]
    fn the_accept_hash_of_the_rfc_example() {
        assert_eq!(sample().key.expected_accept(), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
        assert_eq!(accept_for("x3JJHMbDL1EzLkh9GBhXDw=="), "HSmrc0sMlYUkAGmm5OPpG2HaGWk=");
    }

    #[test]
    fn keys_are_16_bytes_of_the_random_source_in_base64() {
        let a = Key::from_random([0; 16]);
        assert_eq!(a.as_str(), "AAAAAAAAAAAAAAAAAAAAAA==");
        let b = Key::from_random(*b"the sample nonce");
        assert_eq!(b.as_str(), "dGhlIHNhbXBsZSBub25jZQ==");
        assert_ne!(a, b);
        let headers = request_headers(&b);
        assert_eq!(headers[2], ("Sec-WebSocket-Key", b.as_str().to_owned()));
        assert_eq!(headers[3], ("Sec-WebSocket-Version", "13".to_owned()));
    }

    #[test]
    fn a_good_101() {
        assert_eq!(check_response(&sample(), 101, GOOD), Ok(Accepted { protocol: None }));
        // Names and tokens in any case, lists, repeated headers.
        let loose = [
            ("UPGRADE", "WebSocket"),
            ("connection", "keep-alive, upgrade"),
            ("sec-websocket-accept", " s3pPLMBiTxaQ9kYGzzhZRbK+xOo= "),
            ("Sec-WebSocket-Version", "13"),
            ("Sec-WebSocket-Extensions", ""),
        ];
        assert_eq!(check_response(&sample(), 101, loose), Ok(Accepted { protocol: None }));
    }

    #[test]
    fn bad_101s() {
        let offer = sample();
        assert_eq!(check_response(&offer, 200, GOOD), Err(HandshakeError::NotSwitching(200)));
        assert_eq!(check_response(&offer, 101, [GOOD[1], GOOD[2]]), Err(HandshakeError::NoUpgrade));
        assert_eq!(check_response(&offer, 101, [("Upgrade", "h2c"), GOOD[1], GOOD[2]]), Err(HandshakeError::NoUpgrade));
        assert_eq!(check_response(&offer, 101, [GOOD[0], GOOD[2]]), Err(HandshakeError::NoConnectionUpgrade));
        assert_eq!(check_response(&offer, 101, [GOOD[0], GOOD[1]]), Err(HandshakeError::BadAccept));
        let wrong = [GOOD[0], GOOD[1], ("Sec-WebSocket-Accept", "HSmrc0sMlYUkAGmm5OPpG2HaGWk=")];
        assert_eq!(check_response(&offer, 101, wrong), Err(HandshakeError::BadAccept));
        assert_eq!(check_response(&offer, 101, with(&[GOOD[2]])), Err(HandshakeError::BadAccept), "two accepts");
        assert_eq!(
            check_response(&offer, 101, with(&[("Sec-WebSocket-Version", "8")])),
            Err(HandshakeError::BadVersion)
        );
        assert_eq!(HandshakeError::BadAccept.code(), ERROR_WINHTTP_INVALID_SERVER_RESPONSE);
    }

    #[test]
    fn extensions_are_refused_since_none_was_offered() {
        let deflate = with(&[("Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits")]);
        assert_eq!(
            check_response(&sample(), 101, deflate),
            Err(HandshakeError::Extension("permessage-deflate; client_max_window_bits".into()))
        );
    }

    #[test]
    fn subprotocols_only_when_offered() {
        let chat = with(&[("Sec-WebSocket-Protocol", "chat")]);
        assert_eq!(check_response(&sample(), 101, chat.clone()), Err(HandshakeError::Subprotocol("chat".into())));
        let offer = Offer::new(sample().key, ["superchat, chat", "v2"]);
        assert_eq!(offer.protocols, ["superchat", "chat", "v2"]);
        assert_eq!(check_response(&offer, 101, chat), Ok(Accepted { protocol: Some("chat".into()) }));
        let two = with(&[("Sec-WebSocket-Protocol", "chat, v2")]);
        assert!(matches!(check_response(&offer, 101, two), Err(HandshakeError::Subprotocol(_))));
    }
}
