//! The structs of the SDK's winhttp.h (and the few Windows structs it relies on), with Windows
//! field order and fixed-width field types, so `repr(C)` gives the Windows x64 layout.
#![allow(non_camel_case_types, non_snake_case, clippy::upper_case_acronyms)]

use super::consts::*;
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

/// `FILETIME` (minwinbase.h): 100-nanosecond intervals since 1601-01-01 UTC, split in two halves.
#[cfg(not(winhttp_no_win32_types))]
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FILETIME {
    pub dwLowDateTime: DWORD,
    pub dwHighDateTime: DWORD,
}
#[cfg(not(winhttp_no_win32_types))]
pub type PFILETIME = *mut FILETIME;
#[cfg(not(winhttp_no_win32_types))]
pub type LPFILETIME = *mut FILETIME;

/// `GUID` (guiddef.h): a 128-bit identifier, 4-byte aligned.
#[cfg(not(winhttp_no_win32_types))]
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GUID {
    pub Data1: DWORD,
    pub Data2: WORD,
    pub Data3: WORD,
    pub Data4: [BYTE; 8],
}

/// `SOCKADDR_STORAGE` with the Windows layout (128 bytes, 8-aligned, a 16-bit family first).
/// This is not the platform's `struct sockaddr_storage`: the family is a Windows `AF_*` value
/// and macOS's leading length byte is absent.
#[cfg(not(winhttp_no_win32_types))]
#[repr(C)]
#[derive(Clone, Copy)]
pub struct SOCKADDR_STORAGE {
    pub ss_family: ADDRESS_FAMILY,
    pub __ss_pad1: [CHAR; 6],
    pub __ss_align: i64,
    pub __ss_pad2: [CHAR; 112],
}
#[cfg(not(winhttp_no_win32_types))]
pub type PSOCKADDR_STORAGE = *mut SOCKADDR_STORAGE;

/// Reported with `WINHTTP_CALLBACK_STATUS_REQUEST_ERROR`: which call failed (`API_*`) and why.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct WINHTTP_ASYNC_RESULT {
    pub dwResult: DWORD_PTR,
    pub dwError: DWORD,
}
pub type LPWINHTTP_ASYNC_RESULT = *mut WINHTTP_ASYNC_RESULT;
pub type PWINHTTP_ASYNC_RESULT = *mut WINHTTP_ASYNC_RESULT;

/// An HTTP version, for `WINHTTP_OPTION_HTTP_VERSION`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HTTP_VERSION_INFO {
    pub dwMajorVersion: DWORD,
    pub dwMinorVersion: DWORD,
}
pub type LPHTTP_VERSION_INFO = *mut HTTP_VERSION_INFO;
pub type PHTTP_VERSION_INFO = *mut HTTP_VERSION_INFO;

/// A proxy configuration (`WINHTTP_OPTION_PROXY`, the default proxy configuration, the result of
/// `WinHttpGetProxyForUrl`). Strings handed out by the library are freed with `GlobalFree`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct WINHTTP_PROXY_INFO {
    pub dwAccessType: DWORD,
    pub lpszProxy: LPWSTR,
    pub lpszProxyBypass: LPWSTR,
}
pub type LPWINHTTP_PROXY_INFO = *mut WINHTTP_PROXY_INFO;
pub type PWINHTTP_PROXY_INFO = *mut WINHTTP_PROXY_INFO;
pub type WINHTTP_PROXY_INFOW = WINHTTP_PROXY_INFO;
pub type LPWINHTTP_PROXY_INFOW = *mut WINHTTP_PROXY_INFO;

/// The current user's browser proxy settings (`WinHttpGetIEProxyConfigForCurrentUser`).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct WINHTTP_CURRENT_USER_IE_PROXY_CONFIG {
    pub fAutoDetect: BOOL,
    pub lpszAutoConfigUrl: LPWSTR,
    pub lpszProxy: LPWSTR,
    pub lpszProxyBypass: LPWSTR,
}
pub type PWINHTTP_CURRENT_USER_IE_PROXY_CONFIG = *mut WINHTTP_CURRENT_USER_IE_PROXY_CONFIG;

/// How `WinHttpGetProxyForUrl` and friends find the proxy (`WINHTTP_AUTOPROXY_*` flags).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct WINHTTP_AUTOPROXY_OPTIONS {
    pub dwFlags: DWORD,
    pub dwAutoDetectFlags: DWORD,
    pub lpszAutoConfigUrl: LPCWSTR,
    pub lpvReserved: LPVOID,
    pub dwReserved: DWORD,
    pub fAutoLogonIfChallenged: BOOL,
}
pub type PWINHTTP_AUTOPROXY_OPTIONS = *mut WINHTTP_AUTOPROXY_OPTIONS;

/// One proxy (or DIRECT) in a proxy resolution result.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct WINHTTP_PROXY_RESULT_ENTRY {
    pub fProxy: BOOL,
    pub fBypass: BOOL,
    pub ProxyScheme: INTERNET_SCHEME,
    pub pwszProxy: PWSTR,
    pub ProxyPort: INTERNET_PORT,
}

/// The proxies to try for a URL, in order (`WinHttpGetProxyResult`).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct WINHTTP_PROXY_RESULT {
    pub cEntries: DWORD,
    pub pEntries: *mut WINHTTP_PROXY_RESULT_ENTRY,
}

/// `WINHTTP_PROXY_RESULT` with the detection handle and interface affinity.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct WINHTTP_PROXY_RESULT_EX {
    pub cEntries: DWORD,
    pub pEntries: *mut WINHTTP_PROXY_RESULT_ENTRY,
    pub hProxyDetectionHandle: HANDLE,
    pub dwProxyInterfaceAffinity: DWORD,
}

/// An opaque network identity in `WINHTTP_PROXY_SETTINGS`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct WINHTTP_PROXY_NETWORKING_KEY {
    pub pbBuffer: [BYTE; 128],
}
pub type PWINHTTP_PROXY_NETWORKING_KEY = *mut WINHTTP_PROXY_NETWORKING_KEY;

/// Per-connection proxy settings (`WinHttpReadProxySettings` / `WinHttpWriteProxySettings`).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct WINHTTP_PROXY_SETTINGS {
    pub dwStructSize: DWORD,
    pub dwFlags: DWORD,
    pub dwCurrentSettingsVersion: DWORD,
    pub pwszConnectionName: PWSTR,
    pub pwszProxy: PWSTR,
    pub pwszProxyBypass: PWSTR,
    pub pwszAutoconfigUrl: PWSTR,
    pub pwszAutoconfigSecondaryUrl: PWSTR,
    pub dwAutoDiscoveryFlags: DWORD,
    pub pwszLastKnownGoodAutoConfigUrl: PWSTR,
    pub dwAutoconfigReloadDelayMins: DWORD,
    pub ftLastKnownDetectTime: FILETIME,
    pub dwDetectedInterfaceIpCount: DWORD,
    pub pdwDetectedInterfaceIp: PDWORD,
    pub cNetworkKeys: DWORD,
    pub pNetworkKeys: PWINHTTP_PROXY_NETWORKING_KEY,
}
pub type PWINHTTP_PROXY_SETTINGS = *mut WINHTTP_PROXY_SETTINGS;

/// The server certificate, for `WINHTTP_OPTION_SECURITY_CERTIFICATE_STRUCT`. The strings are
/// allocated by the library and freed by the caller with `LocalFree`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct WINHTTP_CERTIFICATE_INFO {
    pub ftExpiry: FILETIME,
    pub ftStart: FILETIME,
    pub lpszSubjectInfo: LPWSTR,
    pub lpszIssuerInfo: LPWSTR,
    pub lpszProtocolName: LPWSTR,
    pub lpszSignatureAlgName: LPWSTR,
    pub lpszEncryptionAlgName: LPWSTR,
    pub dwKeySize: DWORD,
}
pub type PWINHTTP_CERTIFICATE_INFO = *mut WINHTTP_CERTIFICATE_INFO;

/// Both ends of the request's connection, for `WINHTTP_OPTION_CONNECTION_INFO`; `cbSize` must be
/// `sizeof(WINHTTP_CONNECTION_INFO)`. Addresses use the Windows `SOCKADDR_STORAGE` layout.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct WINHTTP_CONNECTION_INFO {
    pub cbSize: DWORD,
    pub LocalAddress: SOCKADDR_STORAGE,
    pub RemoteAddress: SOCKADDR_STORAGE,
}
pub type PWINHTTP_CONNECTION_INFO = *mut WINHTTP_CONNECTION_INFO;

/// Our extension (`WINHTTP_OPTION_PORTABLE_DIAGNOSTICS`): what the library holds now. Once every
/// handle is closed and its `HANDLE_CLOSING` delivered, everything is 0 except the idle keep-alive
/// connections (`dwPooledConnections`, also counted in `dwOpenSockets`), which close after 30 s
/// idle or on `WINHTTP_OPTION_PORTABLE_CLOSE_IDLE_CONNECTIONS`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct WINHTTP_PORTABLE_DIAGNOSTICS {
    /// Entries of the handle table (open `HINTERNET`s).
    pub dwLiveHandles: DWORD,
    /// Session, connect and request objects alive (an object outlives its handle while an
    /// operation or a child still uses it).
    pub dwLiveSessions: DWORD,
    pub dwLiveConnects: DWORD,
    pub dwLiveRequests: DWORD,
    /// Open socket descriptors: connecting, in use, or idle in the pool.
    pub dwOpenSockets: DWORD,
    /// Idle keep-alive connections in the pool.
    pub dwPooledConnections: DWORD,
    /// Request operations begun and not yet completed (running, waiting, or delivering).
    pub dwPendingOperations: DWORD,
}
pub type PWINHTTP_PORTABLE_DIAGNOSTICS = *mut WINHTTP_PORTABLE_DIAGNOSTICS;

/// Timestamps of a request's phases (`WINHTTP_OPTION_REQUEST_TIMES`), indexed by
/// `WINHTTP_REQUEST_TIME_ENTRY`; `cTimes` entries are valid.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct WINHTTP_REQUEST_TIMES {
    pub cTimes: ULONG,
    pub rgullTimes: [ULONGLONG; 64],
}
pub type PWINHTTP_REQUEST_TIMES = *mut WINHTTP_REQUEST_TIMES;

/// Counters of a request (`WINHTTP_OPTION_REQUEST_STATS`), indexed by
/// `WINHTTP_REQUEST_STAT_ENTRY`; `cStats` entries are valid.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct WINHTTP_REQUEST_STATS {
    pub ullFlags: ULONGLONG,
    pub ulIndex: ULONG,
    pub cStats: ULONG,
    pub rgullStats: [ULONGLONG; 32],
}
pub type PWINHTTP_REQUEST_STATS = *mut WINHTTP_REQUEST_STATS;

/// Ties a request to a pooled connection (`WINHTTP_OPTION_MATCH_CONNECTION_GUID`).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct WINHTTP_MATCH_CONNECTION_GUID {
    pub ConnectionGuid: GUID,
    pub ullFlags: ULONGLONG,
}
pub type PWINHTTP_MATCH_CONNECTION_GUID = *mut WINHTTP_MATCH_CONNECTION_GUID;

/// A header name given either wide or narrow (`WinHttpQueryHeadersEx`).
#[repr(C)]
#[derive(Clone, Copy)]
pub union WINHTTP_HEADER_NAME {
    pub pwszName: PCWSTR,
    pub pszName: PCSTR,
}
pub type PWINHTTP_HEADER_NAME = *mut WINHTTP_HEADER_NAME;

/// The value half of `WINHTTP_EXTENDED_HEADER` (Rust only: in C the union is anonymous).
#[repr(C)]
#[derive(Clone, Copy)]
pub union WINHTTP_EXTENDED_HEADER_VALUE {
    pub pwszValue: PCWSTR,
    pub pszValue: PCSTR,
}

/// A header as a name/value pair (`WinHttpAddRequestHeadersEx`, `WinHttpQueryHeadersEx`).
///
/// In C both members are anonymous unions (`h.pwszName`, `h.pszValue`, ...); Rust has no anonymous
/// unions, so here they are `Name` and `Value`. The layout is the same. cbindgen does not emit this
/// type: the C definition is written by cbindgen.toml.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct WINHTTP_EXTENDED_HEADER {
    pub Name: WINHTTP_HEADER_NAME,
    pub Value: WINHTTP_EXTENDED_HEADER_VALUE,
}
pub type PWINHTTP_EXTENDED_HEADER = *mut WINHTTP_EXTENDED_HEADER;

/// DNS cache settings (`WINHTTP_OPTION_RESOLVER_CACHE_CONFIG`). Ages are in minutes, TTLs in
/// seconds, the wait time in 100-nanosecond units.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct WINHTTP_RESOLVER_CACHE_CONFIG {
    pub ulMaxResolverCacheEntries: ULONG,
    pub ulMaxCacheEntryAge: ULONG,
    pub ulMinCacheEntryTtl: ULONG,
    pub SecureDnsSetting: WINHTTP_SECURE_DNS_SETTING,
    pub ullConnResolutionWaitTime: ULONGLONG,
    pub ullFlags: ULONGLONG,
}
pub type PWINHTTP_RESOLVER_CACHE_CONFIG = *mut WINHTTP_RESOLVER_CACHE_CONFIG;

/// One group of pooled connections (`WinHttpQueryConnectionGroup`).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct WINHTTP_CONNECTION_GROUP {
    pub cConnections: ULONG,
    pub guidGroup: GUID,
}
pub type PWINHTTP_CONNECTION_GROUP = *mut WINHTTP_CONNECTION_GROUP;

/// The connection groups of one host (`WinHttpQueryConnectionGroup`).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct WINHTTP_HOST_CONNECTION_GROUP {
    pub pwszHost: PCWSTR,
    pub cConnectionGroups: ULONG,
    pub pConnectionGroups: PWINHTTP_CONNECTION_GROUP,
}
pub type PWINHTTP_HOST_CONNECTION_GROUP = *mut WINHTTP_HOST_CONNECTION_GROUP;

/// What `WinHttpQueryConnectionGroup` returns; freed with `WinHttpFreeQueryConnectionGroupResult`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct WINHTTP_QUERY_CONNECTION_GROUP_RESULT {
    pub cHosts: ULONG,
    pub pHostConnectionGroups: PWINHTTP_HOST_CONNECTION_GROUP,
}
pub type PWINHTTP_QUERY_CONNECTION_GROUP_RESULT = *mut WINHTTP_QUERY_CONNECTION_GROUP_RESULT;

/// HTTP/2 flow-control window (`WINHTTP_OPTION_HTTP2_RECEIVE_WINDOW`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct WINHTTP_HTTP2_RECEIVE_WINDOW {
    pub ulStreamWindow: ULONG,
    pub ulStreamWindowUpdateDelta: ULONG,
}
pub type PWINHTTP_HTTP2_RECEIVE_WINDOW = *mut WINHTTP_HTTP2_RECEIVE_WINDOW;

/// Retry policy for failed connections (`WINHTTP_OPTION_FAILED_CONNECTION_RETRIES`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct WINHTTP_FAILED_CONNECTION_RETRIES {
    pub dwMaxRetries: DWORD,
    pub dwAllowedRetryConditions: DWORD,
}
pub type PWINHTTP_FAILED_CONNECTION_RETRIES = *mut WINHTTP_FAILED_CONNECTION_RETRIES;

/// Credentials for `WINHTTP_OPTION_GLOBAL_PROXY_CREDS` / `_SERVER_CREDS` (narrow strings).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct WINHTTP_CREDS {
    pub lpszUserName: LPSTR,
    pub lpszPassword: LPSTR,
    pub lpszRealm: LPSTR,
    pub dwAuthScheme: DWORD,
    pub lpszHostName: LPSTR,
    pub dwPort: DWORD,
}
pub type PWINHTTP_CREDS = *mut WINHTTP_CREDS;

/// `WINHTTP_CREDS` plus the URL they apply to.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct WINHTTP_CREDS_EX {
    pub lpszUserName: LPSTR,
    pub lpszPassword: LPSTR,
    pub lpszRealm: LPSTR,
    pub dwAuthScheme: DWORD,
    pub lpszHostName: LPSTR,
    pub dwPort: DWORD,
    pub lpszUrl: LPSTR,
}
pub type PWINHTTP_CREDS_EX = *mut WINHTTP_CREDS_EX;

/// A failed WebSocket operation, reported with `WINHTTP_CALLBACK_STATUS_REQUEST_ERROR`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct WINHTTP_WEB_SOCKET_ASYNC_RESULT {
    pub AsyncResult: WINHTTP_ASYNC_RESULT,
    pub Operation: WINHTTP_WEB_SOCKET_OPERATION,
}

/// A finished WebSocket send or receive (`READ_COMPLETE` / `WRITE_COMPLETE` notifications).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct WINHTTP_WEB_SOCKET_STATUS {
    pub dwBytesTransferred: DWORD,
    pub eBufferType: WINHTTP_WEB_SOCKET_BUFFER_TYPE,
}

/// A failed `WinHttpProtocol*` operation, reported with `WINHTTP_CALLBACK_STATUS_REQUEST_ERROR`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct WINHTTP_PROTOCOL_ASYNC_RESULT {
    pub AsyncResult: WINHTTP_ASYNC_RESULT,
    pub Operation: WINHTTP_PROTOCOL_OPERATION,
}

/// Extended proxy settings (`WinHttpGetProxySettingsResultEx`).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct WINHTTP_PROXY_SETTINGS_EX {
    pub ullGenerationId: ULONGLONG,
    pub ullFlags: ULONGLONG,
    pub pcwszAutoconfigUrl: PCWSTR,
    pub pcwszProxy: PCWSTR,
    pub pcwszSecureProxy: PCWSTR,
    pub cProxyBypasses: DWORD,
    pub rgpcwszProxyBypasses: *mut PCWSTR,
    pub dwInterfaceIndex: DWORD,
    pub pcwszConnectionName: PCWSTR,
}
pub type PWINHTTP_PROXY_SETTINGS_EX = *mut WINHTTP_PROXY_SETTINGS_EX;

/// Input of `WinHttpGetProxySettingsEx`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct WINHTTP_PROXY_SETTINGS_PARAM {
    pub ullFlags: ULONGLONG,
    pub pcwszConnectionName: PCWSTR,
    pub pcwszProbeHost: PCWSTR,
}
pub type PWINHTTP_PROXY_SETTINGS_PARAM = *mut WINHTTP_PROXY_SETTINGS_PARAM;

/// Progress of a fast-forwarded response (`WINHTTP_OPTION_FAST_FORWARDING_RESPONSE_STATUS`).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct WINHTTP_FAST_FORWARDING_STATUS {
    pub TransferState: WINHTTP_FAST_FORWARDING_STATE,
    pub NtStatus: LONG,
    pub dwError: DWORD,
    pub ullBytesTransferred: ULONGLONG,
}
pub type PWINHTTP_FAST_FORWARDING_STATUS = *mut WINHTTP_FAST_FORWARDING_STATUS;

/// TCP statistics of a request's connection (`WINHTTP_OPTION_CONNECTION_STATS_V0`; mstcpip.h).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct TCP_INFO_v0 {
    pub State: TCPSTATE,
    pub Mss: ULONG,
    pub ConnectionTimeMs: ULONGLONG,
    pub TimestampsEnabled: BOOLEAN,
    pub RttUs: ULONG,
    pub MinRttUs: ULONG,
    pub BytesInFlight: ULONG,
    pub Cwnd: ULONG,
    pub SndWnd: ULONG,
    pub RcvWnd: ULONG,
    pub RcvBuf: ULONG,
    pub BytesOut: ULONGLONG,
    pub BytesIn: ULONGLONG,
    pub BytesReordered: ULONG,
    pub BytesRetrans: ULONG,
    pub FastRetrans: ULONG,
    pub DupAcksIn: ULONG,
    pub TimeoutEpisodes: ULONG,
    pub SynRetrans: BYTE,
}
pub type PTCP_INFO_v0 = *mut TCP_INFO_v0;

/// `TCP_INFO_v0` and the send-limit counters (`WINHTTP_OPTION_CONNECTION_STATS_V1`; mstcpip.h).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct TCP_INFO_v1 {
    pub State: TCPSTATE,
    pub Mss: ULONG,
    pub ConnectionTimeMs: ULONGLONG,
    pub TimestampsEnabled: BOOLEAN,
    pub RttUs: ULONG,
    pub MinRttUs: ULONG,
    pub BytesInFlight: ULONG,
    pub Cwnd: ULONG,
    pub SndWnd: ULONG,
    pub RcvWnd: ULONG,
    pub RcvBuf: ULONG,
    pub BytesOut: ULONGLONG,
    pub BytesIn: ULONGLONG,
    pub BytesReordered: ULONG,
    pub BytesRetrans: ULONG,
    pub FastRetrans: ULONG,
    pub DupAcksIn: ULONG,
    pub TimeoutEpisodes: ULONG,
    pub SynRetrans: BYTE,
    pub SndLimTransRwin: ULONG,
    pub SndLimTimeRwin: ULONG,
    pub SndLimBytesRwin: ULONGLONG,
    pub SndLimTransCwnd: ULONG,
    pub SndLimTimeCwnd: ULONG,
    pub SndLimBytesCwnd: ULONGLONG,
    pub SndLimTransSnd: ULONG,
    pub SndLimTimeSnd: ULONG,
    pub SndLimBytesSnd: ULONGLONG,
}
pub type PTCP_INFO_v1 = *mut TCP_INFO_v1;

/// TCP keep-alive settings (`struct tcp_keepalive`, mstcpip.h) for `WINHTTP_OPTION_TCP_KEEPALIVE`:
/// on/off, then the idle time and the probe interval in milliseconds. cbindgen does not emit this
/// type: C code names it by its tag (`struct tcp_keepalive`), written by cbindgen.toml.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct tcp_keepalive {
    pub onoff: ULONG,
    pub keepalivetime: ULONG,
    pub keepaliveinterval: ULONG,
}
