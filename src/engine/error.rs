//! The engine's error: the WinHTTP code the caller will see, and what caused it (an I/O error, a
//! protocol violation, a TLS failure), kept until the FFI boundary maps it to the code alone. The
//! cause is what a log line or a debugger wants; the code is what `GetLastError` and
//! `REQUEST_ERROR` carry.

use crate::abi::DWORD;
use crate::proto::h1;

/// What caused an error, when more is known than its code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cause {
    /// Only the code is known (a state check, a limit, a refusal).
    None,
    /// A socket call failed.
    Io(std::io::ErrorKind),
    /// The peer broke HTTP/1.1.
    Protocol(h1::Error),
    /// A free-form description (a TLS alert, a refused CONNECT, ...).
    Other(String),
}

/// An engine error: the WinHTTP code and its cause.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    pub code: DWORD,
    pub cause: Cause,
}

impl Error {
    /// `code`, caused by the I/O error `e`.
    pub fn io(code: DWORD, e: &std::io::Error) -> Error {
        Error { code, cause: Cause::Io(e.kind()) }
    }

    /// A protocol violation, with the WinHTTP code it maps to.
    pub fn protocol(e: h1::Error) -> Error {
        Error { code: e.code(), cause: Cause::Protocol(e) }
    }

    /// `code`, with a description of what happened.
    pub fn other(code: DWORD, what: impl Into<String>) -> Error {
        Error { code, cause: Cause::Other(what.into()) }
    }
}

impl From<DWORD> for Error {
    fn from(code: DWORD) -> Error {
        Error { code, cause: Cause::None }
    }
}

/// The boundary's mapping: only the code crosses into the C world.
impl From<Error> for DWORD {
    fn from(e: Error) -> DWORD {
        e.code
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.cause {
            Cause::None => write!(f, "{}", self.code),
            Cause::Io(kind) => write!(f, "{} (I/O: {kind:?})", self.code),
            Cause::Protocol(e) => write!(f, "{} (HTTP: {e:?})", self.code),
            Cause::Other(what) => write!(f, "{} ({what})", self.code),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi::*;

    #[test]
    fn the_cause_stays_until_the_code_is_taken() {
        let e = Error::io(ERROR_WINHTTP_CONNECTION_ERROR, &std::io::Error::from(std::io::ErrorKind::ConnectionReset));
        assert_eq!(e.cause, Cause::Io(std::io::ErrorKind::ConnectionReset));
        assert_eq!(e.to_string(), "12030 (I/O: ConnectionReset)");
        assert_eq!(DWORD::from(e), ERROR_WINHTTP_CONNECTION_ERROR);
        let p = Error::protocol(h1::Error::InvalidStatusLine);
        assert_eq!(p.code, ERROR_WINHTTP_INVALID_SERVER_RESPONSE);
        assert!(p.to_string().contains("InvalidStatusLine"));
        assert_eq!(Error::from(ERROR_WINHTTP_TIMEOUT).cause, Cause::None);
    }
}
