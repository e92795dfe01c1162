//! One attempt, decided once: where the request goes (the [`Route`]: directly, through a proxy,
//! or through a CONNECT tunnel), the serialized head and its body [`Encoder`], the timeouts and
//! limits, and the TLS parameters. `Request::plan` is the only reader of the request's settings,
//! headers and proxy configuration for an attempt; the operations read the plan and their
//! connection only. A redirect or a re-send makes a new plan.

use crate::abi::*;
use crate::engine::settings::Timeouts;
use crate::engine::transport::tls::ClientCert;
use crate::proto::followup::{Policy, Target};
use crate::proto::h1::Encoder;

/// A server to open a TCP connection to.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Endpoint {
    pub host: String,
    pub port: u16,
}

/// How a connection reaches the origin.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Via {
    /// Straight to the origin.
    Direct,
    /// A plain-HTTP request through this proxy (absolute-form request target).
    Proxy(Endpoint),
    /// A CONNECT tunnel through this proxy, then TLS to the origin inside it.
    Tunnel(Endpoint),
}

/// The full route of a connection: the pool's key. A tunnel is never handed to another origin,
/// and a connection to a proxy never to a request that goes direct.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Route {
    pub secure: bool,
    pub host: std::sync::Arc<str>,
    pub port: u16,
    pub via: Via,
}

impl Route {
    /// Where the TCP connection goes: the proxy, or the origin.
    pub fn first_hop(&self) -> Endpoint {
        match &self.via {
            Via::Direct => Endpoint { host: self.host.to_string(), port: self.port },
            Via::Proxy(p) | Via::Tunnel(p) => p.clone(),
        }
    }
}

/// `https://host:443`, `http://host:80 via proxy p:3128`, `https://host:443 via tunnel p:3128`
/// (log lines).
impl std::fmt::Display for Route {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let scheme = if self.secure { "https" } else { "http" };
        write!(f, "{scheme}://{}:{}", self.host, self.port)?;
        match &self.via {
            Via::Direct => Ok(()),
            Via::Proxy(p) => write!(f, " via proxy {}:{}", p.host, p.port),
            Via::Tunnel(p) => write!(f, " via tunnel {}:{}", p.host, p.port),
        }
    }
}

/// What the TLS handshake of a new connection is given, and what a pooled one must serve.
#[derive(Clone, Debug)]
pub struct TlsParams {
    /// `SECURITY_FLAG_IGNORE_*` waivers.
    pub ignore: DWORD,
    /// `WINHTTP_FLAG_SECURE_PROTOCOL_*`.
    pub protocols: DWORD,
    pub client: ClientCert,
    /// Offer HTTP/2 in ALPN and carry the request as a stream when the server takes it
    /// (`WINHTTP_OPTION_ENABLE_HTTP_PROTOCOL` with `WINHTTP_PROTOCOL_FLAG_HTTP2`).
    pub h2: bool,
}

/// Everything an attempt needs, decided before its first step.
pub struct Plan {
    pub target: Target,
    /// The request-target as written on the request line (Digest hashes it).
    pub request_uri: std::sync::Arc<str>,
    /// The `Proxy-Authorization` value for the CONNECT of a tunnel.
    pub connect_auth: Option<String>,
    pub route: Route,
    /// The request line and headers, serialized.
    pub head: Vec<u8>,
    /// The body framing of this attempt (what follows the head, including the optional data).
    pub encoder: Encoder,
    pub timeouts: Timeouts,
    pub is_async: bool,
    /// `WINHTTP_OPTION_MAX_CONNS_PER_SERVER` (0 and 0xFFFFFFFF: no limit).
    pub max_conns: u32,
    /// `WINHTTP_DISABLE_KEEP_ALIVE` not set.
    pub keep_alive: bool,
    pub tls: Option<TlsParams>,
    pub max_head: usize,
    pub max_interim: DWORD,
    pub max_redirects: DWORD,
    pub max_drain: u64,
    pub policy: Policy,
    /// The session's `WINHTTP_OPTION_CONFIGURE_PASSPORT_AUTH`.
    pub passport: DWORD,
    /// The responses' `Set-Cookie` go to the session's jar (`WINHTTP_DISABLE_COOKIES` not set).
    pub cookies: bool,
    /// `WINHTTP_OPTION_DECOMPRESSION` flags: the content codings to decode (0: none).
    pub decompression: DWORD,
    /// `WINHTTP_OPTION_PORTABLE_DECOMPRESSION_RATIO` (0: no cap).
    pub decompression_ratio: DWORD,
    /// The session's `WINHTTP_OPTION_TCP_KEEPALIVE` (idle and interval in ms), applied to new sockets.
    pub tcp_keepalive: Option<(u32, u32)>,
    /// `WINHTTP_OPTION_UPGRADE_TO_WEB_SOCKET`: the key and subprotocols this attempt offered (a new
    /// key per attempt), which the server's 101 is checked against.
    pub websocket: Option<crate::proto::ws::handshake::Offer>,
    /// The session's `WINHTTP_OPTION_HTTP2_KEEPALIVE` in ms (0: none) for the HTTP/2 connection.
    pub h2_keepalive: u32,
    /// `WINHTTP_OPTION_DISABLE_STREAM_QUEUE`: a new HTTP/2 connection rather than a queued stream.
    pub h2_no_queue: bool,
}
