//! Transports, composed from the bottom up: name resolution ([`resolve`], on threads of its own),
//! TCP ([`tcp::Stream`]: non-blocking connects over every address, sync waits with `poll(2)`),
//! and TLS over it ([`tls`]: configuration and verification; the session rides on the stream).
//! A CONNECT tunnel is a TCP stream whose first exchange (the CONNECT leg, driven by
//! `ops::connect`) went to the proxy; TLS then runs over it to the origin, so the stack is
//! `Tcp`, `Tls<Tcp>`, `Tunnel<Tcp>` or `Tls<Tunnel<Tcp>>` with no extra layer per read.
//! [`h2`] runs HTTP/2 over a TLS stream whose ALPN chose `h2`: one connection, many streams.

pub mod gssapi;
pub mod h2;
pub mod resolve;
pub mod tcp;
pub mod tls;
