//! Every constant of the SDK's winhttp.h, with Windows values.
//! (Being completed: see tests/header.rs for the completeness check against MinGW-w64.)
#![allow(clippy::unreadable_literal)]

use super::types::*;

pub const WINHTTP_HANDLE_TYPE_SESSION: DWORD = 1;
pub const WINHTTP_HANDLE_TYPE_CONNECT: DWORD = 2;
pub const WINHTTP_HANDLE_TYPE_REQUEST: DWORD = 3;
pub const WINHTTP_HANDLE_TYPE_PROXY_RESOLVER: DWORD = 4;
pub const WINHTTP_HANDLE_TYPE_WEBSOCKET: DWORD = 5;
pub const WINHTTP_HANDLE_TYPE_PROTOCOL: DWORD = 6;
