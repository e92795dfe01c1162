//! A portable WinHTTP: Microsoft's WinHTTP C API for Linux and macOS.
//!
//! Three layers, calls going one way only (see `docs/ARCHITECTURE.md`):
//! - [`ffi`]: the exported `WinHttp*` functions. Argument checks, wide-string conversion, the panic
//!   boundary and the last error. No I/O.
//! - [`engine`]: the handle table and the session / connect / request objects.
//! - [`proto`]: the sans-IO protocol core (URLs, headers, dates, ...), pure functions over buffers.
//!
//! [`abi`] is the C vocabulary (types, structs, constants) that cbindgen turns into `winhttp.h`.

pub mod abi;
#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod alloc;
pub mod engine;
pub mod ffi;
pub mod pac;
pub mod proto;

/// Mid-sized blocks on page boundaries: glibc's slow `rep movsb` case (see [`alloc`]).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[global_allocator]
static GLOBAL: alloc::PageAligned = alloc::PageAligned;
