//! The engine as the FFI layer sees it: the one module `src/ffi/` imports from (checked by
//! `tests/layers.rs`). The request operations return an [`Outcome`]; everything else is the handle
//! table, the objects' typed accessors and the option semantics.

pub use super::completion::submit;
pub use super::handles::{self, Object};
pub use super::log;
pub use super::objects::handle::{HandleCore, lock};
pub use super::objects::request::Request;
pub use super::objects::resolver::Resolver;
pub use super::objects::session::{self, Connect, ProxyConfig, Session, registration};
pub use super::objects::websocket::{WebSocket, WsSettings};
pub use super::ops::Outcome;
pub use super::ops::read::{available, read, read_fill};
pub use super::ops::receive::receive;
pub use super::ops::send::{send, write};
pub use super::ops::websocket as ws;
pub use super::options::{self, ConnectionGroup, Kind, Value};
pub use super::settings::Timeouts;
pub use super::transport::tcp::TcpStats;
pub use super::transport::tls::CertificateInfo;
pub use crate::proto::ws::{BufferType, MAX_CLOSE_REASON};
