//! The sans-IO protocol core: pure state machines and functions over buffers. Nothing here touches a
//! socket, a handle or the last error, so everything can be unit-tested and fuzzed directly.

pub mod auth;
pub mod coding;
pub mod cookie;
pub mod desktop_proxy;
pub mod followup;
pub mod h1;
pub mod h2;
pub mod headers;
pub mod pac_helpers;
pub mod passport;
pub mod proxy;
pub mod time;
pub mod url;
pub mod wide;
pub mod ws;
