//! The C ABI vocabulary shared by every layer: Windows base types, WinHTTP structs and every
//! constant of the SDK's `winhttp.h`, with Windows values. cbindgen turns this module into
//! `include/winhttp.h`; nothing here has behaviour.

pub mod consts;
pub mod errors;
pub mod structs;
pub mod types;

pub use consts::*;
pub use errors::*;
pub use structs::*;
pub use types::*;
