//! The engine: the handle table and the objects behind handles (session, connect, request).
//! The engine owns state; it calls the sans-IO core in [`crate::proto`] and never the FFI layer.

pub mod callback;
pub mod completion;
pub mod diag;
pub mod exchange;
pub mod handles;
pub mod net;
pub mod options;
pub mod pool;
pub mod reactor;
pub mod request;
pub mod resolver;
pub mod session;
pub mod settings;
pub mod tls;
