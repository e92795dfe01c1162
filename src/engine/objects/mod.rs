//! The objects behind handles: sessions, connect handles and requests, and what every handle
//! has ([`handle::HandleCore`]). They hold settings and state; the I/O of a request is its lane
//! (`engine::lane`), stepped by `engine::ops`.

pub mod handle;
pub mod request;
pub mod resolver;
pub mod session;
pub mod websocket;
