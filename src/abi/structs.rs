//! The structs of the SDK's winhttp.h (and the few Windows structs it relies on), with Windows
//! field order and fixed-width field types, so `repr(C)` gives the Windows x64 layout.
#![allow(non_camel_case_types, non_snake_case, clippy::upper_case_acronyms)]

use super::types::*;

/// `SYSTEMTIME` (minwinbase.h).
#[cfg(not(winhttp_no_win32_types))]
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SYSTEMTIME {
    pub wYear: WORD,
    pub wMonth: WORD,
    pub wDayOfWeek: WORD,
    pub wDay: WORD,
    pub wHour: WORD,
    pub wMinute: WORD,
    pub wSecond: WORD,
    pub wMilliseconds: WORD,
}

/// `URL_COMPONENTS`: `dwStructSize` must be `sizeof(URL_COMPONENTS)`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct URL_COMPONENTS {
    pub dwStructSize: DWORD,
    pub lpszScheme: LPWSTR,
    pub dwSchemeLength: DWORD,
    pub nScheme: INTERNET_SCHEME,
    pub lpszHostName: LPWSTR,
    pub dwHostNameLength: DWORD,
    pub nPort: INTERNET_PORT,
    pub lpszUserName: LPWSTR,
    pub dwUserNameLength: DWORD,
    pub lpszPassword: LPWSTR,
    pub dwPasswordLength: DWORD,
    pub lpszUrlPath: LPWSTR,
    pub dwUrlPathLength: DWORD,
    pub lpszExtraInfo: LPWSTR,
    pub dwExtraInfoLength: DWORD,
}
pub type URL_COMPONENTSW = URL_COMPONENTS;
pub type LPURL_COMPONENTS = *mut URL_COMPONENTS;
pub type LPURL_COMPONENTSW = *mut URL_COMPONENTS;
