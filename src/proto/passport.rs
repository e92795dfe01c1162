//! Passport (`WINHTTP_OPTION_CONFIGURE_PASSPORT_AUTH`): with `WINHTTP_ENABLE_PASSPORT_AUTH` set on
//! the session, a 302 whose `WWW-Authenticate` names the `Passport1.4` scheme is not followed: the
//! caller gets it as a 401 (the reason phrase and every header stay as the server sent them).

use crate::abi::{DWORD, WINHTTP_ENABLE_PASSPORT_AUTH};

/// The authentication scheme a Passport login server challenges with.
const SCHEME: &str = "Passport1.4";

/// True when a `WWW-Authenticate` value's scheme (its first token) is Passport 1.4.
pub fn is_passport_challenge(value: &str) -> bool {
    let value = value.trim_start();
    let scheme = value.split([' ', '\t', ',']).next().unwrap_or("");
    scheme.eq_ignore_ascii_case(SCHEME)
}

/// True when a response must be reported as 401 instead of being followed as a redirect: Passport
/// is enabled in `config` (the session's `WINHTTP_OPTION_CONFIGURE_PASSPORT_AUTH` value), the status
/// is 302 and one of the `WWW-Authenticate` values is a Passport challenge.
pub fn reported_as_denied<'a>(config: DWORD, status: u16, www_authenticate: impl IntoIterator<Item = &'a str>) -> bool {
    config & WINHTTP_ENABLE_PASSPORT_AUTH != 0
        && status == 302
        && www_authenticate.into_iter().any(is_passport_challenge)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi::{WINHTTP_DISABLE_PASSPORT_AUTH, WINHTTP_ENABLE_PASSPORT_KEYRING};

    #[test]
    fn challenge_scheme_is_the_first_token() {
        for yes in ["Passport1.4", "passport1.4", " Passport1.4 da-status=login", "Passport1.4,x"] {
            assert!(is_passport_challenge(yes), "{yes:?}");
        }
        for no in ["", "Basic realm=\"Passport1.4\"", "Passport1.3", "Passport1.40", "Bearer"] {
            assert!(!is_passport_challenge(no), "{no:?}");
        }
    }

    #[test]
    fn only_an_enabled_302_with_the_challenge_becomes_401() {
        let ch = ["Basic realm=\"x\"", "Passport1.4"];
        assert!(reported_as_denied(WINHTTP_ENABLE_PASSPORT_AUTH, 302, ch));
        assert!(reported_as_denied(WINHTTP_ENABLE_PASSPORT_AUTH | WINHTTP_ENABLE_PASSPORT_KEYRING, 302, ch));
        assert!(!reported_as_denied(WINHTTP_DISABLE_PASSPORT_AUTH, 302, ch));
        assert!(!reported_as_denied(WINHTTP_ENABLE_PASSPORT_KEYRING, 302, ch));
        for status in [200, 301, 303, 307, 401] {
            assert!(!reported_as_denied(WINHTTP_ENABLE_PASSPORT_AUTH, status, ch));
        }
        assert!(!reported_as_denied(WINHTTP_ENABLE_PASSPORT_AUTH, 302, ["Basic realm=\"x\""]));
        assert!(!reported_as_denied(WINHTTP_ENABLE_PASSPORT_AUTH, 302, []));
    }
}
