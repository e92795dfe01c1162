//! The C ABI contract:
//! - Rust struct layouts match Windows x64 (sizes, alignments, field offsets);
//! - `include/winhttp.h` compiles warning-free as C99 (pedantic), C11 and C++17, also with the
//!   `WINHTTP_NO_LAST_ERROR` / `WINHTTP_NO_WIN32_TYPES` opt-outs (`tests/c/header_hygiene.c`), in
//!   both character widths (the platform `wchar_t`; `-fshort-wchar`; `WINHTTP_WCHAR16`);
//! - the structures holding wide strings have the Rust layout in C in both widths, and the header's
//!   UTF-16 mode maps exactly the exported `_u16` twins;
//! - every integer macro of MinGW-w64's winhttp.h exists in our header with the same value
//!   (except where the current Windows SDK moved on), and every pointer macro exists;
//! - every function of the current SDK header (and of MinGW's) is declared in our header and
//!   exported by both libwinhttp.a and the shared library.
//!
//! `CC` / `CXX` pick the compilers (default `cc` / `c++`). The MinGW header is read from
//! `/usr/share/mingw-w64/include/winhttp.h`, or from `WINHTTP_MINGW_HEADER`.

use std::collections::{BTreeMap, BTreeSet};
use std::mem::{align_of, offset_of, size_of};
use std::path::{Path, PathBuf};
use std::process::Command;

use winhttp::abi::*;
use winhttp::ffi::utf16::{SUFFIX, TWINS};

// ---------------------------------------------------------------------------------------------
// Rust layouts
// ---------------------------------------------------------------------------------------------

#[test]
fn base_types_have_windows_sizes() {
    assert_eq!(size_of::<DWORD>(), 4);
    assert_eq!(size_of::<ULONG>(), 4);
    assert_eq!(size_of::<LONG>(), 4);
    assert_eq!(size_of::<BOOL>(), 4);
    assert_eq!(size_of::<WORD>(), 2);
    assert_eq!(size_of::<ULONGLONG>(), 8);
    assert_eq!(size_of::<DWORD_PTR>(), size_of::<usize>());
    assert_eq!(size_of::<INTERNET_PORT>(), 2);
    assert_eq!(size_of::<INTERNET_SCHEME>(), 4);
    assert_eq!(size_of::<WINHTTP_WEB_SOCKET_BUFFER_TYPE>(), 4);
    assert_eq!(size_of::<WINHTTP_STATUS_CALLBACK>(), size_of::<usize>());
}

#[cfg(target_pointer_width = "64")]
#[test]
fn struct_layouts_match_windows_x64() {
    macro_rules! layout {
        ($t:ty, $size:expr, $align:expr) => {
            assert_eq!((size_of::<$t>(), align_of::<$t>()), ($size, $align), "size/align of {}", stringify!($t));
        };
    }
    layout!(SYSTEMTIME, 16, 2);
    layout!(FILETIME, 8, 4);
    layout!(GUID, 16, 4);
    layout!(SOCKADDR_STORAGE, 128, 8);
    layout!(WINHTTP_ASYNC_RESULT, 16, 8);
    layout!(URL_COMPONENTS, 104, 8);
    layout!(HTTP_VERSION_INFO, 8, 4);
    layout!(WINHTTP_PROXY_INFO, 24, 8);
    layout!(WINHTTP_CURRENT_USER_IE_PROXY_CONFIG, 32, 8);
    layout!(WINHTTP_AUTOPROXY_OPTIONS, 32, 8);
    layout!(WINHTTP_PROXY_RESULT_ENTRY, 32, 8);
    layout!(WINHTTP_PROXY_RESULT, 16, 8);
    layout!(WINHTTP_PROXY_RESULT_EX, 32, 8);
    layout!(WINHTTP_PROXY_NETWORKING_KEY, 128, 1);
    layout!(WINHTTP_PROXY_SETTINGS, 112, 8);
    layout!(WINHTTP_CERTIFICATE_INFO, 64, 8);
    layout!(WINHTTP_CONNECTION_INFO, 264, 8);
    layout!(WINHTTP_REQUEST_TIMES, 520, 8);
    layout!(WINHTTP_REQUEST_STATS, 272, 8);
    layout!(WINHTTP_MATCH_CONNECTION_GUID, 24, 8);
    layout!(WINHTTP_EXTENDED_HEADER, 16, 8);
    layout!(WINHTTP_HEADER_NAME, 8, 8);
    layout!(WINHTTP_RESOLVER_CACHE_CONFIG, 32, 8);
    layout!(WINHTTP_CONNECTION_GROUP, 20, 4);
    layout!(WINHTTP_HOST_CONNECTION_GROUP, 24, 8);
    layout!(WINHTTP_QUERY_CONNECTION_GROUP_RESULT, 16, 8);
    layout!(WINHTTP_HTTP2_RECEIVE_WINDOW, 8, 4);
    layout!(WINHTTP_FAILED_CONNECTION_RETRIES, 8, 4);
    layout!(WINHTTP_CREDS, 48, 8);
    layout!(WINHTTP_CREDS_EX, 56, 8);
    layout!(WINHTTP_WEB_SOCKET_ASYNC_RESULT, 24, 8);
    layout!(WINHTTP_WEB_SOCKET_STATUS, 8, 4);
    layout!(WINHTTP_PROTOCOL_ASYNC_RESULT, 24, 8);
    layout!(WINHTTP_PROXY_SETTINGS_EX, 72, 8);
    layout!(WINHTTP_PROXY_SETTINGS_PARAM, 24, 8);
    layout!(WINHTTP_FAST_FORWARDING_STATUS, 24, 8);
}

#[cfg(target_pointer_width = "64")]
#[test]
fn field_offsets_match_windows_x64() {
    // URL_COMPONENTS: padding after dwStructSize and after nPort.
    assert_eq!(offset_of!(URL_COMPONENTS, dwStructSize), 0);
    assert_eq!(offset_of!(URL_COMPONENTS, lpszScheme), 8);
    assert_eq!(offset_of!(URL_COMPONENTS, dwSchemeLength), 16);
    assert_eq!(offset_of!(URL_COMPONENTS, nScheme), 20);
    assert_eq!(offset_of!(URL_COMPONENTS, lpszHostName), 24);
    assert_eq!(offset_of!(URL_COMPONENTS, dwHostNameLength), 32);
    assert_eq!(offset_of!(URL_COMPONENTS, nPort), 36);
    assert_eq!(offset_of!(URL_COMPONENTS, lpszUserName), 40);
    assert_eq!(offset_of!(URL_COMPONENTS, dwUserNameLength), 48);
    assert_eq!(offset_of!(URL_COMPONENTS, lpszPassword), 56);
    assert_eq!(offset_of!(URL_COMPONENTS, dwPasswordLength), 64);
    assert_eq!(offset_of!(URL_COMPONENTS, lpszUrlPath), 72);
    assert_eq!(offset_of!(URL_COMPONENTS, dwUrlPathLength), 80);
    assert_eq!(offset_of!(URL_COMPONENTS, lpszExtraInfo), 88);
    assert_eq!(offset_of!(URL_COMPONENTS, dwExtraInfoLength), 96);

    assert_eq!(offset_of!(WINHTTP_ASYNC_RESULT, dwError), 8);
    assert_eq!(offset_of!(WINHTTP_PROXY_INFO, lpszProxy), 8);
    assert_eq!(offset_of!(WINHTTP_PROXY_INFO, lpszProxyBypass), 16);
    assert_eq!(offset_of!(WINHTTP_AUTOPROXY_OPTIONS, lpszAutoConfigUrl), 8);
    assert_eq!(offset_of!(WINHTTP_AUTOPROXY_OPTIONS, dwReserved), 24);
    assert_eq!(offset_of!(WINHTTP_AUTOPROXY_OPTIONS, fAutoLogonIfChallenged), 28);
    assert_eq!(offset_of!(WINHTTP_PROXY_RESULT_ENTRY, pwszProxy), 16);
    assert_eq!(offset_of!(WINHTTP_PROXY_RESULT_ENTRY, ProxyPort), 24);
    assert_eq!(offset_of!(WINHTTP_PROXY_SETTINGS, ftLastKnownDetectTime), 76);
    assert_eq!(offset_of!(WINHTTP_PROXY_SETTINGS, pNetworkKeys), 104);
    assert_eq!(offset_of!(WINHTTP_CERTIFICATE_INFO, lpszSubjectInfo), 16);
    assert_eq!(offset_of!(WINHTTP_CERTIFICATE_INFO, dwKeySize), 56);
    assert_eq!(offset_of!(SOCKADDR_STORAGE, ss_family), 0);
    assert_eq!(offset_of!(SOCKADDR_STORAGE, __ss_align), 8);
    assert_eq!(offset_of!(WINHTTP_CONNECTION_INFO, LocalAddress), 8);
    assert_eq!(offset_of!(WINHTTP_CONNECTION_INFO, RemoteAddress), 136);
    assert_eq!(offset_of!(WINHTTP_REQUEST_TIMES, rgullTimes), 8);
    assert_eq!(offset_of!(WINHTTP_REQUEST_STATS, ulIndex), 8);
    assert_eq!(offset_of!(WINHTTP_REQUEST_STATS, rgullStats), 16);
    assert_eq!(offset_of!(WINHTTP_MATCH_CONNECTION_GUID, ullFlags), 16);
    assert_eq!(offset_of!(WINHTTP_EXTENDED_HEADER, Value), 8);
    // The union members overlay each other at the start of their half.
    assert_eq!(offset_of!(WINHTTP_HEADER_NAME, pwszName), 0);
    assert_eq!(offset_of!(WINHTTP_HEADER_NAME, pszName), 0);
    assert_eq!(offset_of!(WINHTTP_EXTENDED_HEADER_VALUE, pwszValue), 0);
    assert_eq!(offset_of!(WINHTTP_EXTENDED_HEADER_VALUE, pszValue), 0);
    assert_eq!(size_of::<WINHTTP_EXTENDED_HEADER_VALUE>(), 8);
    assert_eq!(offset_of!(WINHTTP_RESOLVER_CACHE_CONFIG, SecureDnsSetting), 12);
    assert_eq!(offset_of!(WINHTTP_RESOLVER_CACHE_CONFIG, ullConnResolutionWaitTime), 16);
    assert_eq!(offset_of!(WINHTTP_CONNECTION_GROUP, guidGroup), 4);
    assert_eq!(offset_of!(WINHTTP_HOST_CONNECTION_GROUP, pConnectionGroups), 16);
    assert_eq!(offset_of!(WINHTTP_CREDS, dwAuthScheme), 24);
    assert_eq!(offset_of!(WINHTTP_CREDS, lpszHostName), 32);
    assert_eq!(offset_of!(WINHTTP_CREDS_EX, lpszUrl), 48);
    assert_eq!(offset_of!(WINHTTP_WEB_SOCKET_ASYNC_RESULT, Operation), 16);
    assert_eq!(offset_of!(WINHTTP_PROXY_SETTINGS_EX, cProxyBypasses), 40);
    assert_eq!(offset_of!(WINHTTP_PROXY_SETTINGS_EX, rgpcwszProxyBypasses), 48);
    assert_eq!(offset_of!(WINHTTP_PROXY_SETTINGS_EX, pcwszConnectionName), 64);
    assert_eq!(offset_of!(WINHTTP_FAST_FORWARDING_STATUS, ullBytesTransferred), 16);
    // mstcpip.h structs of the connection options (x64 Windows layout).
    assert_eq!((size_of::<TCP_INFO_v0>(), align_of::<TCP_INFO_v0>()), (88, 8));
    assert_eq!((size_of::<TCP_INFO_v1>(), align_of::<TCP_INFO_v1>()), (136, 8));
    assert_eq!((size_of::<tcp_keepalive>(), align_of::<tcp_keepalive>()), (12, 4));
    assert_eq!(offset_of!(TCP_INFO_v0, ConnectionTimeMs), 8);
    assert_eq!(offset_of!(TCP_INFO_v0, TimestampsEnabled), 16);
    assert_eq!(offset_of!(TCP_INFO_v0, RttUs), 20);
    assert_eq!(offset_of!(TCP_INFO_v0, RcvBuf), 44);
    assert_eq!(offset_of!(TCP_INFO_v0, BytesOut), 48);
    assert_eq!(offset_of!(TCP_INFO_v0, BytesIn), 56);
    assert_eq!(offset_of!(TCP_INFO_v0, TimeoutEpisodes), 80);
    assert_eq!(offset_of!(TCP_INFO_v0, SynRetrans), 84);
    assert_eq!(offset_of!(TCP_INFO_v1, SndLimTransRwin), 88);
    assert_eq!(offset_of!(TCP_INFO_v1, SndLimBytesRwin), 96);
    assert_eq!(offset_of!(TCP_INFO_v1, SndLimBytesCwnd), 112);
    assert_eq!(offset_of!(TCP_INFO_v1, SndLimBytesSnd), 128);
    assert_eq!(offset_of!(tcp_keepalive, keepaliveinterval), 8);
    assert_eq!(offset_of!(WINHTTP_QUERY_CONNECTION_GROUP_RESULT, pHostConnectionGroups), 8);
    assert_eq!(offset_of!(WINHTTP_HOST_CONNECTION_GROUP, cConnectionGroups), 8);
}

#[test]
fn array_lengths_follow_their_enums() {
    assert_eq!(size_of::<[ULONGLONG; WinHttpRequestTimeMax as usize]>(), size_of::<WINHTTP_REQUEST_TIMES>() - 8);
    assert_eq!(size_of::<[ULONGLONG; WinHttpRequestStatMax as usize]>(), size_of::<WINHTTP_REQUEST_STATS>() - 16);
    assert_eq!(size_of::<WINHTTP_PROXY_NETWORKING_KEY>(), NETWORKING_KEY_BUFSIZE as usize);
}

// ---------------------------------------------------------------------------------------------
// Compiling C against the header
// ---------------------------------------------------------------------------------------------

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn out_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("abi");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Compiles `src` to an object file (nothing is linked); returns the diagnostics on failure.
fn compile_only(compiler: &str, args: &[&str], src: &Path, obj_name: &str) -> Result<(), String> {
    let obj = out_dir().join(obj_name);
    let output = Command::new(compiler)
        .args(args)
        .args(["-Wall", "-Wextra", "-Werror"])
        .arg(format!("-I{}", root().join("include").display()))
        .arg("-c")
        .arg(src)
        .arg("-o")
        .arg(&obj)
        .output()
        .map_err(|e| format!("cannot run {compiler}: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!("{compiler} {} {}:\n{}", args.join(" "), src.display(), String::from_utf8_lossy(&output.stderr)))
    }
}

fn cc() -> String {
    std::env::var("CC").unwrap_or_else(|_| "cc".into())
}

fn cxx() -> String {
    std::env::var("CXX").unwrap_or_else(|_| "c++".into())
}

#[test]
fn header_compiles_cleanly_in_c_and_cxx_with_every_opt_out() {
    let src = root().join("tests/c/header_hygiene.c");
    let (cc, cxx) = (cc(), cxx());
    let languages: [(&str, &[&str], &str); 3] = [
        (&cc, &["-std=c99", "-pedantic"], "c99"),
        (&cc, &["-std=c11"], "c11"),
        (&cxx, &["-x", "c++", "-std=c++17"], "cxx17"),
    ];
    let opt_outs: [(&[&str], &str); 4] = [
        (&[], "default"),
        (&["-DWINHTTP_NO_LAST_ERROR"], "no_last_error"),
        (&["-DHYGIENE_OWN_WIN32_TYPES"], "own_types"),
        (&["-DHYGIENE_OWN_WIN32_TYPES", "-DWINHTTP_NO_LAST_ERROR"], "own_types_no_last_error"),
    ];
    // char16_t strings (u"...") are C11 and C++11: no WINHTTP_WCHAR16 build in C99.
    let widths: [(&[&str], &str); 3] =
        [(&[], "wchar"), (&["-fshort-wchar"], "short_wchar"), (&["-DWINHTTP_WCHAR16"], "char16")];
    let mut failures = Vec::new();
    for (compiler, lang_args, lang) in languages {
        for (defs, variant) in opt_outs {
            for (width_args, width) in widths {
                if lang == "c99" && width == "char16" {
                    continue;
                }
                let args: Vec<&str> = lang_args.iter().chain(defs.iter()).chain(width_args.iter()).copied().collect();
                if let Err(e) = compile_only(compiler, &args, &src, &format!("hygiene_{lang}_{variant}_{width}.o")) {
                    failures.push(e);
                }
            }
        }
    }
    assert!(failures.is_empty(), "winhttp.h does not compile cleanly:\n{}", failures.join("\n"));
}

/// Names the header defines besides the Rust constants of `src/abi`: hand-written macros from
/// cbindgen.toml and the include guard.
const HAND_WRITTEN_MACROS: &[&str] = &[
    "PORTABLE_WINHTTP_H",
    "WINAPI",
    "CALLBACK",
    "TRUE",
    "FALSE",
    "VOID",
    "WINHTTP_EXTENSION_",
    "WINHTTP_NO_PROXY_NAME",
    "WINHTTP_NO_PROXY_BYPASS",
    "WINHTTP_NO_CLIENT_CERT_CONTEXT",
    "WINHTTP_NO_REFERER",
    "WINHTTP_DEFAULT_ACCEPT_TYPES",
    "WINHTTP_NO_ADDITIONAL_HEADERS",
    "WINHTTP_NO_REQUEST_DATA",
    "WINHTTP_HEADER_NAME_BY_INDEX",
    "WINHTTP_NO_OUTPUT_BUFFER",
    "WINHTTP_NO_HEADER_INDEX",
    "WINHTTP_INVALID_STATUS_CALLBACK",
    "WINHTTP_UTF16",
];

#[test]
fn header_defines_only_the_winhttp_vocabulary() {
    let header = std::fs::read_to_string(root().join("include/winhttp.h")).expect("include/winhttp.h");
    let mut known: BTreeSet<String> = HAND_WRITTEN_MACROS.iter().map(|s| s.to_string()).collect();
    // The UTF-16 mode's `#define WinHttpX WinHttpX_u16` (checked by `utf16_mode_maps_exactly_the_twins`).
    known.extend(TWINS.iter().filter_map(|t| t.strip_suffix(SUFFIX)).map(String::from));
    for file in ["src/abi/consts.rs", "src/abi/errors.rs"] {
        let text = std::fs::read_to_string(root().join(file)).unwrap();
        for line in text.lines() {
            if let Some(rest) = line.trim_start().strip_prefix("pub const ") {
                known.insert(rest.split(':').next().unwrap().trim().to_string());
            }
        }
    }
    let strays: Vec<&str> = header
        .lines()
        .filter_map(|l| l.strip_prefix("#define "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| !known.contains(*name))
        .collect();
    assert!(
        strays.is_empty(),
        "winhttp.h defines names that are not part of the WinHTTP vocabulary (an internal constant \
         leaked through src/abi or src/ffi? make it private to its function or move it out): {strays:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// MinGW-w64 completeness
// ---------------------------------------------------------------------------------------------

fn mingw_header() -> String {
    let path =
        std::env::var("WINHTTP_MINGW_HEADER").unwrap_or_else(|_| "/usr/share/mingw-w64/include/winhttp.h".into());
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read MinGW-w64's winhttp.h at {path} ({e}). This test needs it as the completeness \
             reference: install the mingw-w64-x86-64-dev package (apt-get install mingw-w64-x86-64-dev; \
             CI installs it), or point WINHTTP_MINGW_HEADER at a copy."
        )
    })
}

/// Object-like `#define`s of a C header, continuation lines joined, comments stripped, in order.
/// Function-like macros (a `(` right after the name) are left out.
fn object_like_defines(text: &str) -> Vec<(String, String)> {
    let mut joined = String::new();
    let mut lines = text.lines();
    let mut out = Vec::new();
    while let Some(line) = lines.next() {
        joined.clear();
        joined.push_str(line);
        while joined.ends_with('\\') {
            joined.pop();
            joined.push(' ');
            match lines.next() {
                Some(next) => joined.push_str(next),
                None => break,
            }
        }
        let t = joined.trim_start();
        let Some(rest) = t.strip_prefix('#') else { continue };
        let Some(rest) = rest.trim_start().strip_prefix("define") else { continue };
        if !rest.starts_with([' ', '\t']) {
            continue;
        }
        let rest = rest.trim_start();
        let name_len = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(rest.len());
        let (name, value) = rest.split_at(name_len);
        if value.starts_with('(') {
            continue; // function-like
        }
        out.push((name.to_string(), strip_comments(value).trim().to_string()));
    }
    out
}

fn strip_comments(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    loop {
        let block = rest.find("/*");
        let line = rest.find("//");
        match (block, line) {
            (Some(b), l) if l.is_none_or(|l| b < l) => {
                out.push_str(&rest[..b]);
                match rest[b + 2..].find("*/") {
                    Some(end) => rest = &rest[b + 2 + end + 2..],
                    None => return out,
                }
            }
            (_, Some(l)) => {
                out.push_str(&rest[..l]);
                return out;
            }
            _ => {
                out.push_str(rest);
                return out;
            }
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Num(i128),
    Ident(String),
    Op(&'static str),
}

fn tokenize(s: &str) -> Option<Vec<Tok>> {
    let b = s.as_bytes();
    let mut i = 0;
    let mut out = Vec::new();
    while i < b.len() {
        let c = b[i] as char;
        if c.is_ascii_whitespace() {
            i += 1;
        } else if c.is_ascii_digit() {
            let start = i;
            while i < b.len() && (b[i] as char).is_ascii_alphanumeric() {
                i += 1;
            }
            let lit = s[start..i].to_ascii_lowercase();
            let digits = lit.trim_end_matches(['u', 'l']);
            let v = if let Some(hex) = digits.strip_prefix("0x") {
                i128::from_str_radix(hex, 16).ok()?
            } else if digits.len() > 1 && digits.starts_with('0') {
                i128::from_str_radix(&digits[1..], 8).ok()?
            } else {
                digits.parse().ok()?
            };
            out.push(Tok::Num(v));
        } else if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while i < b.len() && ((b[i] as char).is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            out.push(Tok::Ident(s[start..i].to_string()));
        } else {
            let two = s.get(i..i + 2).unwrap_or("");
            let op: &'static str = match two {
                "<<" => "<<",
                ">>" => ">>",
                _ => match c {
                    '|' => "|",
                    '&' => "&",
                    '^' => "^",
                    '~' => "~",
                    '+' => "+",
                    '-' => "-",
                    '*' => "*",
                    '(' => "(",
                    ')' => ")",
                    _ => return None,
                },
            };
            i += op.len();
            out.push(Tok::Op(op));
        }
    }
    Some(out)
}

/// Integer type names a MinGW value may be cast to, with their width in bits.
fn cast_width(name: &str) -> Option<u32> {
    match name {
        "DWORD" | "ULONG" | "UINT" | "LONG" | "INT" | "int" | "unsigned" | "INTERNET_SCHEME" => Some(32),
        "WORD" | "USHORT" | "INTERNET_PORT" => Some(16),
        "ULONGLONG" | "DWORD64" | "LONGLONG" => Some(64),
        _ => None,
    }
}

/// A tiny evaluator for the constant expressions of a C header: numbers, other macros, casts to
/// integer types, unary `~ - +`, and binary `* + - << >> & ^ |` with C precedence. `None` when the
/// value is not an integer (NULL, a pointer cast, an unknown name).
struct Eval<'a> {
    defines: &'a BTreeMap<String, String>,
    depth: usize,
}

impl Eval<'_> {
    fn value(&self, name: &str) -> Option<i128> {
        if self.depth > 32 {
            return None;
        }
        let text = self.defines.get(name)?;
        let toks = tokenize(text)?;
        let inner = Eval { defines: self.defines, depth: self.depth + 1 };
        let mut pos = 0;
        let v = inner.binary(&toks, &mut pos, 0)?;
        (pos == toks.len()).then_some(v)
    }

    fn binary(&self, t: &[Tok], pos: &mut usize, min_prec: u8) -> Option<i128> {
        let mut lhs = self.unary(t, pos)?;
        while let Some(Tok::Op(op)) = t.get(*pos) {
            let prec = match *op {
                "*" => 5,
                "+" | "-" => 4,
                "<<" | ">>" => 3,
                "&" => 2,
                "^" => 1,
                "|" => 0,
                _ => break,
            };
            if prec < min_prec {
                break;
            }
            *pos += 1;
            let rhs = self.binary(t, pos, prec + 1)?;
            lhs = match *op {
                "*" => lhs * rhs,
                "+" => lhs + rhs,
                "-" => lhs - rhs,
                "<<" => lhs << rhs,
                ">>" => lhs >> rhs,
                "&" => lhs & rhs,
                "^" => lhs ^ rhs,
                _ => lhs | rhs,
            };
        }
        Some(lhs)
    }

    fn unary(&self, t: &[Tok], pos: &mut usize) -> Option<i128> {
        match t.get(*pos)? {
            Tok::Op("~") => {
                *pos += 1;
                // The operands here are 32-bit unsigned flag words.
                Some(!self.unary(t, pos)? & 0xFFFF_FFFF)
            }
            Tok::Op("-") => {
                *pos += 1;
                Some(-self.unary(t, pos)?)
            }
            Tok::Op("+") => {
                *pos += 1;
                self.unary(t, pos)
            }
            Tok::Op("(") => {
                if let (Some(Tok::Ident(ty)), Some(Tok::Op(")"))) = (t.get(*pos + 1), t.get(*pos + 2)) {
                    if !self.defines.contains_key(ty) {
                        let bits = cast_width(ty)?; // a cast to a non-integer type: not an integer
                        *pos += 3;
                        let v = self.unary(t, pos)?;
                        return Some(v & ((1i128 << bits) - 1));
                    }
                }
                *pos += 1;
                let v = self.binary(t, pos, 0)?;
                match t.get(*pos) {
                    Some(Tok::Op(")")) => {
                        *pos += 1;
                        Some(v)
                    }
                    _ => None,
                }
            }
            Tok::Num(n) => {
                *pos += 1;
                Some(*n)
            }
            Tok::Ident(name) => {
                *pos += 1;
                self.value(name)
            }
            Tok::Op(_) => None,
        }
    }
}

/// Values that differ on purpose: MinGW's header copies Wine's, which predates the current SDK.
const NEWER_IN_SDK: &[(&str, i128)] = &[
    ("WINHTTP_LAST_OPTION", 212),   // MinGW: 147 (SERVER_CERT_CHAIN_CONTEXT)
    ("WINHTTP_ERROR_LAST", 12193),  // MinGW: 12188
    ("WINHTTP_PROTOCOL_MASK", 0x3), // MinGW: HTTP2 only
    ("WINHTTP_CALLBACK_FLAG_ALL_COMPLETIONS", 0x097E0000), // MinGW: no GETPROXYSETTINGS_COMPLETE
    // Windows: 62 bytes = 31 two-byte WCHARs. Ours counts 31 four-byte WCHARs, so that Microsoft's
    // own `WCHAR buf[WINHTTP_TIME_FORMAT_BUFSIZE / sizeof(WCHAR)]` cannot overflow (README deviation).
    ("WINHTTP_TIME_FORMAT_BUFSIZE", 124),
];

/// MinGW macros we do not provide on purpose: the include guard and the DLL import decorations.
const NOT_PROVIDED: &[&str] = &["__WINE_WINHTTP_H", "WINHTTPAPI", "BOOLAPI"];

#[test]
fn every_mingw_constant_exists_with_the_same_value() {
    let text = mingw_header();
    let defines: BTreeMap<String, String> = object_like_defines(&text).into_iter().collect();
    assert!(defines.len() > 300, "parsed only {} #defines from the MinGW header", defines.len());
    let eval = Eval { defines: &defines, depth: 0 };
    let overrides: BTreeMap<&str, i128> = NEWER_IN_SDK.iter().copied().collect();

    let mut c = String::from("#include <winhttp.h>\n\n");
    let (mut values, mut pointers) = (0, 0);
    for name in defines.keys() {
        if NOT_PROVIDED.contains(&name.as_str()) {
            continue;
        }
        match eval.value(name) {
            Some(mingw) => {
                let expected = overrides.get(name.as_str()).copied().unwrap_or(mingw);
                assert!(expected >= 0, "{name} evaluates to a negative value {expected}");
                c.push_str(&format!(
                    "_Static_assert((unsigned long long)({name}) == {expected}ull, \"{name} should be {expected}\");\n"
                ));
                values += 1;
            }
            None => {
                // NULL prettifiers and WINHTTP_INVALID_STATUS_CALLBACK: they must at least exist.
                c.push_str(&format!("#ifndef {name}\n#error \"{name} is not defined\"\n#endif\n"));
                pointers += 1;
            }
        }
    }
    assert!(values > 400, "only {values} integer constants evaluated from the MinGW header");
    assert!(pointers >= 10, "only {pointers} pointer-valued macros found in the MinGW header");
    let src = out_dir().join("mingw_constants.c");
    std::fs::write(&src, c).unwrap();
    if let Err(e) = compile_only(&cc(), &["-std=c11"], &src, "mingw_constants.o") {
        panic!("constants missing from winhttp.h or with other values than MinGW's ({}):\n{e}", src.display());
    }
}

// ---------------------------------------------------------------------------------------------
// Exported functions
// ---------------------------------------------------------------------------------------------

/// Every function the current Windows SDK's winhttp.h declares.
const SDK_FUNCTIONS: &[&str] = &[
    "WinHttpOpen",
    "WinHttpConnect",
    "WinHttpOpenRequest",
    "WinHttpAddRequestHeaders",
    "WinHttpSendRequest",
    "WinHttpWriteData",
    "WinHttpReceiveResponse",
    "WinHttpQueryDataAvailable",
    "WinHttpReadData",
    "WinHttpQueryHeaders",
    "WinHttpCloseHandle",
    "WinHttpSetOption",
    "WinHttpQueryOption",
    "WinHttpSetStatusCallback",
    "WinHttpSetTimeouts",
    "WinHttpCrackUrl",
    "WinHttpCreateUrl",
    "WinHttpCheckPlatform",
    "WinHttpSetCredentials",
    "WinHttpQueryAuthSchemes",
    "WinHttpTimeFromSystemTime",
    "WinHttpTimeToSystemTime",
    "WinHttpGetIEProxyConfigForCurrentUser",
    "WinHttpGetDefaultProxyConfiguration",
    "WinHttpSetDefaultProxyConfiguration",
    "WinHttpDetectAutoProxyConfigUrl",
    "WinHttpGetProxyForUrl",
    "WinHttpCreateProxyResolver",
    "WinHttpGetProxyForUrlEx",
    "WinHttpGetProxyResult",
    "WinHttpFreeProxyResult",
    "WinHttpResetAutoProxy",
    "WinHttpWebSocketCompleteUpgrade",
    "WinHttpWebSocketSend",
    "WinHttpWebSocketReceive",
    "WinHttpWebSocketShutdown",
    "WinHttpWebSocketClose",
    "WinHttpWebSocketQueryCloseStatus",
    "WinHttpReadDataEx",
    "WinHttpQueryHeadersEx",
    "WinHttpAddRequestHeadersEx",
    "WinHttpGetProxyForUrlEx2",
    "WinHttpGetProxyResultEx",
    "WinHttpFreeProxyResultEx",
    "WinHttpReadProxySettings",
    "WinHttpWriteProxySettings",
    "WinHttpFreeProxySettings",
    "WinHttpGetProxySettingsVersion",
    "WinHttpSetProxySettingsPerUser",
    "WinHttpQueryConnectionGroup",
    "WinHttpFreeQueryConnectionGroupResult",
    "WinHttpRegisterProxyChangeNotification",
    "WinHttpUnregisterProxyChangeNotification",
    "WinHttpGetProxySettingsEx",
    "WinHttpGetProxySettingsResultEx",
    "WinHttpFreeProxySettingsEx",
    "WinHttpProtocolCompleteUpgrade",
    "WinHttpProtocolSend",
    "WinHttpProtocolReceive",
    "WinHttpIsHostInProxyBypassList",
    "WinHttpQueryAuthParams",
];

/// `WinHttp*` names followed by `(` in a C header: the declared functions.
fn declared_functions(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = text;
    while let Some(i) = rest.find("WinHttp") {
        let tail = &rest[i..];
        let end = tail.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(tail.len());
        let preceded_by_ident = rest[..i].chars().next_back().is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
        if !preceded_by_ident && tail[end..].trim_start().starts_with('(') {
            out.insert(tail[..end].to_string());
        }
        rest = &tail[end..];
    }
    out
}

fn lib_dir() -> PathBuf {
    std::env::current_exe().expect("current_exe").parent().expect("deps dir").to_path_buf()
}

/// Defined global symbols of a library, as `nm` lists them.
fn exported_symbols(lib: &Path) -> BTreeSet<String> {
    assert!(lib.exists(), "{} not found (cargo test builds it next to the test executable)", lib.display());
    let shared = lib.extension().is_some_and(|e| e != "a");
    let mut cmd = Command::new("nm");
    if shared && cfg!(target_os = "linux") {
        cmd.arg("-D"); // the dynamic symbol table: what the loader can actually bind
    }
    let output = cmd.args(["-g", "--defined-only"]).arg(lib).output().expect("cannot run nm");
    assert!(output.status.success(), "nm {} failed: {}", lib.display(), String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().nth(2))
        .map(|s| if cfg!(target_os = "macos") { s.strip_prefix('_').unwrap_or(s) } else { s }.to_string())
        .collect()
}

#[test]
fn header_declares_every_sdk_and_mingw_function() {
    let ours = declared_functions(&std::fs::read_to_string(root().join("include/winhttp.h")).unwrap());
    let mingw = declared_functions(&mingw_header());
    assert!(mingw.len() >= 40, "found only {} functions in the MinGW header: {mingw:?}", mingw.len());
    let missing: Vec<&str> =
        SDK_FUNCTIONS.iter().copied().chain(mingw.iter().map(String::as_str)).filter(|f| !ours.contains(*f)).collect();
    assert!(missing.is_empty(), "winhttp.h does not declare: {missing:?}");
    assert_eq!(SDK_FUNCTIONS.len(), 61);
}

#[test]
fn static_and_shared_libraries_export_every_function() {
    let mut wanted: BTreeSet<String> = SDK_FUNCTIONS.iter().map(|s| s.to_string()).collect();
    wanted.extend(declared_functions(&mingw_header()));
    wanted.extend(["GetLastError", "SetLastError", "WinHttpGetLastError", "WinHttpSetLastError"].map(String::from));
    wanted.extend(TWINS.iter().map(|t| t.to_string()));
    let shared = if cfg!(target_os = "macos") { "libwinhttp.dylib" } else { "libwinhttp.so" };
    let mut failures = Vec::new();
    for lib in ["libwinhttp.a", shared] {
        let path = lib_dir().join(lib);
        let symbols = exported_symbols(&path);
        let missing: Vec<&String> = wanted.iter().filter(|f| !symbols.contains(*f)).collect();
        if !missing.is_empty() {
            failures.push(format!("{lib} does not export {missing:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// ---------------------------------------------------------------------------------------------
// UTF-16 mode
// ---------------------------------------------------------------------------------------------

/// `#define WinHttpX WinHttpX_u16` lines of the header: (name, twin).
fn twin_defines(header: &str) -> BTreeMap<String, String> {
    object_like_defines(header).into_iter().filter(|(_, v)| v.ends_with(SUFFIX) && v.starts_with("WinHttp")).collect()
}

#[test]
fn utf16_mode_maps_exactly_the_twins() {
    let header = std::fs::read_to_string(root().join("include/winhttp.h")).unwrap();
    let defines = twin_defines(&header);
    let declared = declared_functions(&header);
    let mut problems = Vec::new();
    for twin in TWINS {
        let base = twin.strip_suffix(SUFFIX).expect("a twin's name ends with the suffix");
        if defines.get(base).map(String::as_str) != Some(*twin) {
            problems.push(format!("no `#define {base} {twin}`"));
        }
        if !declared.contains(base) {
            problems.push(format!("{twin} is the twin of {base}, which the header does not declare"));
        }
    }
    for (name, twin) in &defines {
        if !TWINS.contains(&twin.as_str()) || format!("{name}{SUFFIX}") != *twin {
            problems.push(format!("`#define {name} {twin}` names no twin"));
        }
    }
    // Every declared function with a wide-string parameter or a structure holding wide strings has a twin.
    let wide = [
        "LPCWSTR",
        "LPWSTR",
        "PCWSTR",
        "PWSTR",
        "URL_COMPONENTS",
        "WINHTTP_PROXY_INFO",
        "IE_PROXY_CONFIG",
        "AUTOPROXY_OPTIONS",
        "EXTENDED_HEADER",
        "HEADER_NAME",
        "WINHTTP_PROXY_SETTINGS *",
        "PROXY_RESULT",
        "STATUS_CALLBACK lpfn",
    ];
    // Width-independent: they only free or check structures, or fail before reading a string.
    let same_in_both = [
        "WinHttpFreeProxyResult",
        "WinHttpFreeProxyResultEx",
        "WinHttpFreeProxySettings",
        "WinHttpWriteProxySettings",
        "WinHttpGetProxySettingsEx",
        "WinHttpFreeQueryConnectionGroupResult",
    ];
    for decl in header.split(';').filter(|d| d.contains("WinHttp") && d.contains('(')) {
        let Some(name) = declared_functions(decl).into_iter().next() else { continue };
        let params = &decl[decl.find('(').unwrap()..];
        if wide.iter().any(|w| params.contains(w))
            && !same_in_both.contains(&name.as_str())
            && !TWINS.contains(&format!("{name}{SUFFIX}").as_str())
        {
            problems.push(format!("{name} takes wide strings and has no twin"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The structures that hold wide strings: every field's offset and the size, from Rust, checked by
/// the C compiler in each width (the string members are pointers, so one Rust layout serves both).
#[cfg(target_pointer_width = "64")]
#[test]
fn wide_string_structures_have_the_rust_layout_in_both_widths() {
    use std::fmt::Write;
    let mut c = String::from("#include <stddef.h>\n#include <winhttp.h>\n");
    macro_rules! fields {
        ($t:ident: $($f:ident),*) => {
            writeln!(c, "_Static_assert(sizeof({}) == {}, \"size of {}\");", stringify!($t), size_of::<$t>(), stringify!($t)).unwrap();
            $(writeln!(c, "_Static_assert(offsetof({t}, {f}) == {o}, \"{t}.{f}\");", t = stringify!($t), f = stringify!($f), o = offset_of!($t, $f)).unwrap();)*
        };
    }
    fields!(URL_COMPONENTS: dwStructSize, lpszScheme, dwSchemeLength, nScheme, lpszHostName, dwHostNameLength, nPort,
        lpszUserName, dwUserNameLength, lpszPassword, dwPasswordLength, lpszUrlPath, dwUrlPathLength, lpszExtraInfo,
        dwExtraInfoLength);
    fields!(WINHTTP_PROXY_INFO: dwAccessType, lpszProxy, lpszProxyBypass);
    fields!(WINHTTP_CURRENT_USER_IE_PROXY_CONFIG: fAutoDetect, lpszAutoConfigUrl, lpszProxy, lpszProxyBypass);
    fields!(WINHTTP_AUTOPROXY_OPTIONS: dwFlags, dwAutoDetectFlags, lpszAutoConfigUrl, lpvReserved, dwReserved,
        fAutoLogonIfChallenged);
    fields!(WINHTTP_PROXY_RESULT_ENTRY: fProxy, fBypass, ProxyScheme, pwszProxy, ProxyPort);
    fields!(WINHTTP_PROXY_SETTINGS: dwStructSize, dwFlags, dwCurrentSettingsVersion, pwszConnectionName, pwszProxy,
        pwszProxyBypass, pwszAutoconfigUrl, pwszAutoconfigSecondaryUrl, dwAutoDiscoveryFlags,
        pwszLastKnownGoodAutoConfigUrl, dwAutoconfigReloadDelayMins, ftLastKnownDetectTime, dwDetectedInterfaceIpCount,
        pdwDetectedInterfaceIp, cNetworkKeys, pNetworkKeys);
    fields!(WINHTTP_CERTIFICATE_INFO: ftExpiry, ftStart, lpszSubjectInfo, lpszIssuerInfo, lpszProtocolName,
        lpszSignatureAlgName, lpszEncryptionAlgName, dwKeySize);
    fields!(WINHTTP_HOST_CONNECTION_GROUP: pwszHost, cConnectionGroups, pConnectionGroups);
    fields!(WINHTTP_PROXY_SETTINGS_EX: ullGenerationId, ullFlags, pcwszAutoconfigUrl, pcwszProxy, pcwszSecureProxy,
        cProxyBypasses, rgpcwszProxyBypasses, dwInterfaceIndex, pcwszConnectionName);
    fields!(WINHTTP_PROXY_SETTINGS_PARAM: ullFlags, pcwszConnectionName, pcwszProbeHost);
    // Anonymous unions in C: the members by their C names.
    writeln!(
        c,
        "_Static_assert(sizeof(WINHTTP_EXTENDED_HEADER) == {}, \"size\");",
        size_of::<WINHTTP_EXTENDED_HEADER>()
    )
    .unwrap();
    writeln!(
        c,
        "_Static_assert(offsetof(WINHTTP_EXTENDED_HEADER, pwszValue) == {}, \"value\");",
        offset_of!(WINHTTP_EXTENDED_HEADER, Value)
    )
    .unwrap();
    writeln!(c, "_Static_assert(sizeof(WINHTTP_HEADER_NAME) == {}, \"name\");", size_of::<WINHTTP_HEADER_NAME>())
        .unwrap();
    c.push_str("_Static_assert(sizeof(WCHAR) == WINHTTP_EXPECTED_WCHAR, \"WCHAR width\");\n");
    let src = out_dir().join("wide_layouts.c");
    std::fs::write(&src, c).unwrap();
    let wchar = size_of::<WCHAR>().to_string();
    let widths: [(&[&str], &str, &str); 3] = [
        (&[], wchar.as_str(), "wchar"),
        (&["-fshort-wchar"], "2", "short_wchar"),
        (&["-DWINHTTP_WCHAR16"], "2", "char16"),
    ];
    let mut failures = Vec::new();
    for (flags, expected, name) in widths {
        let def = format!("-DWINHTTP_EXPECTED_WCHAR={expected}");
        let args: Vec<&str> = ["-std=c11"].iter().copied().chain(flags.iter().copied()).chain([def.as_str()]).collect();
        if let Err(e) = compile_only(&cc(), &args, &src, &format!("wide_layouts_{name}.o")) {
            failures.push(e);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
