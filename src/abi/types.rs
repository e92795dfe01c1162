//! Windows base types with their Windows sizes on LP64 (`DWORD` is 32-bit, not `unsigned long`).
//!
//! Items marked `cfg(not(winhttp_no_win32_types))` are wrapped in the header by
//! `#if !defined(WINHTTP_NO_WIN32_TYPES)`, so a program that brings its own Windows compatibility
//! header can opt out of them. The cfg is never set when Rust compiles the crate.
#![allow(non_camel_case_types, clippy::upper_case_acronyms)]

use core::ffi::{c_char, c_int, c_void};

#[cfg(not(winhttp_no_win32_types))]
pub type BOOL = c_int;
#[cfg(not(winhttp_no_win32_types))]
pub type BOOLEAN = u8;
#[cfg(not(winhttp_no_win32_types))]
pub type BYTE = u8;
#[cfg(not(winhttp_no_win32_types))]
pub type WORD = u16;
#[cfg(not(winhttp_no_win32_types))]
pub type USHORT = u16;
#[cfg(not(winhttp_no_win32_types))]
pub type DWORD = u32;
#[cfg(not(winhttp_no_win32_types))]
pub type LONG = i32;
#[cfg(not(winhttp_no_win32_types))]
pub type ULONG = u32;
#[cfg(not(winhttp_no_win32_types))]
pub type UINT = u32;
#[cfg(not(winhttp_no_win32_types))]
pub type ULONGLONG = u64;
#[cfg(not(winhttp_no_win32_types))]
pub type DWORD64 = u64;
#[cfg(not(winhttp_no_win32_types))]
pub type DWORD_PTR = usize;
#[cfg(not(winhttp_no_win32_types))]
pub type ULONG_PTR = usize;
#[cfg(not(winhttp_no_win32_types))]
pub type SIZE_T = usize;
#[cfg(not(winhttp_no_win32_types))]
pub type LPVOID = *mut c_void;
#[cfg(not(winhttp_no_win32_types))]
pub type PVOID = *mut c_void;
#[cfg(not(winhttp_no_win32_types))]
pub type LPCVOID = *const c_void;
#[cfg(not(winhttp_no_win32_types))]
pub type HANDLE = *mut c_void;
#[cfg(not(winhttp_no_win32_types))]
pub type HGLOBAL = HANDLE;
#[cfg(not(winhttp_no_win32_types))]
pub type HLOCAL = HANDLE;
#[cfg(not(winhttp_no_win32_types))]
pub type LPDWORD = *mut DWORD;
#[cfg(not(winhttp_no_win32_types))]
pub type PDWORD = *mut DWORD;
#[cfg(not(winhttp_no_win32_types))]
pub type LPWORD = *mut WORD;
#[cfg(not(winhttp_no_win32_types))]
pub type LPBOOL = *mut BOOL;
#[cfg(not(winhttp_no_win32_types))]
pub type PBOOL = *mut BOOL;
/// The platform `wchar_t`, so `L"..."` literals pass straight in (32-bit on Linux and macOS).
/// In the header's UTF-16 mode (`WINHTTP_UTF16`, see cbindgen.toml) the header defines a 16-bit
/// `WCHAR` instead, and the functions map to the `_u16` twins of `crate::ffi::utf16`.
#[cfg(all(not(winhttp_no_win32_types), not(winhttp_utf16)))]
pub type WCHAR = libc::wchar_t;
#[cfg(not(winhttp_no_win32_types))]
pub type LPWSTR = *mut WCHAR;
#[cfg(not(winhttp_no_win32_types))]
pub type PWSTR = *mut WCHAR;
#[cfg(not(winhttp_no_win32_types))]
pub type LPCWSTR = *const WCHAR;
#[cfg(not(winhttp_no_win32_types))]
pub type PCWSTR = *const WCHAR;
#[cfg(not(winhttp_no_win32_types))]
pub type LPSTR = *mut c_char;
#[cfg(not(winhttp_no_win32_types))]
pub type PSTR = *mut c_char;
#[cfg(not(winhttp_no_win32_types))]
pub type LPCSTR = *const c_char;
#[cfg(not(winhttp_no_win32_types))]
pub type PCSTR = *const c_char;

/// An opaque WinHTTP handle. Ours are keys into the handle table, never pointers we dereference.
pub type HINTERNET = LPVOID;
pub type LPHINTERNET = *mut HINTERNET;
pub type INTERNET_PORT = WORD;
pub type LPINTERNET_PORT = *mut INTERNET_PORT;
pub type INTERNET_SCHEME = c_int;
pub type LPINTERNET_SCHEME = *mut INTERNET_SCHEME;

/// `VOID (CALLBACK *)(HINTERNET, DWORD_PTR dwContext, DWORD dwInternetStatus,
/// LPVOID lpvStatusInformation, DWORD dwStatusInformationLength)`
pub type WINHTTP_STATUS_CALLBACK = Option<unsafe extern "C" fn(HINTERNET, DWORD_PTR, DWORD, LPVOID, DWORD)>;
pub type LPWINHTTP_STATUS_CALLBACK = *mut WINHTTP_STATUS_CALLBACK;
/// `VOID (CALLBACK *)(ULONGLONG ullFlags, PVOID pvContext)`
pub type WINHTTP_PROXY_CHANGE_CALLBACK = Option<unsafe extern "C" fn(ULONGLONG, PVOID)>;
pub type WINHTTP_PROXY_CHANGE_REGISTRATION_HANDLE = PVOID;

/// `CHAR`: a narrow character (used by `SOCKADDR_STORAGE` padding).
#[cfg(not(winhttp_no_win32_types))]
pub type CHAR = c_char;
/// `ADDRESS_FAMILY`: a Windows `AF_*` value (`AF_INET` 2, `AF_INET6` 23), not the platform's.
#[cfg(not(winhttp_no_win32_types))]
pub type ADDRESS_FAMILY = USHORT;
