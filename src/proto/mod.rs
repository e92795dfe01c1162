//! The sans-IO protocol core: pure state machines and functions over buffers. Nothing here touches a
//! socket, a handle or the last error, so everything can be unit-tested and fuzzed directly.

pub mod coding;
pub mod cookie;
pub mod h1;
pub mod headers;
pub mod proxy;
pub mod time;
pub mod url;
pub mod wide;
