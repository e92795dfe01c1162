/*
 * Header hygiene check, compiled (never run) by tests/abi.rs in several modes: C99 -pedantic, C11,
 * C++17, each with -Wall -Wextra -Werror, with and without WINHTTP_NO_LAST_ERROR, and with
 * HYGIENE_OWN_WIN32_TYPES, where the program brings its own Windows base types and defines
 * WINHTTP_NO_WIN32_TYPES before including the header. Each also in both character widths: the
 * platform wchar_t, -fshort-wchar, and (C11, C++17) WINHTTP_WCHAR16 with char16_t strings.
 *
 * It includes nothing but <winhttp.h> (apart from what its own types need), checks the Windows x64
 * layout of every struct, and uses the API the way Windows code does so that prototypes, pointer
 * macros and anonymous unions are all type-checked.
 */
#if defined(HYGIENE_OWN_WIN32_TYPES)
#include <stddef.h>
#include <stdint.h>
#include <wchar.h>
/* What a program's own Windows compatibility header would provide. */
typedef int BOOL;
typedef unsigned char BOOLEAN;
typedef unsigned char BYTE;
typedef char CHAR;
typedef unsigned short WORD;
typedef unsigned short USHORT;
typedef unsigned short ADDRESS_FAMILY;
typedef uint32_t DWORD;
typedef int32_t LONG;
typedef uint32_t ULONG;
typedef uint32_t UINT;
typedef uint64_t ULONGLONG;
typedef uint64_t DWORD64;
typedef uintptr_t DWORD_PTR;
typedef uintptr_t ULONG_PTR;
typedef size_t SIZE_T;
typedef void *LPVOID;
typedef void *PVOID;
typedef const void *LPCVOID;
typedef void *HANDLE;
typedef DWORD *LPDWORD;
typedef DWORD *PDWORD;
typedef WORD *LPWORD;
typedef BOOL *LPBOOL;
typedef BOOL *PBOOL;
#if defined(WINHTTP_WCHAR16) && defined(__cplusplus)
typedef char16_t WCHAR;
#elif defined(WINHTTP_WCHAR16)
typedef uint16_t WCHAR;
#else
typedef wchar_t WCHAR;
#endif
typedef WCHAR *LPWSTR;
typedef WCHAR *PWSTR;
typedef const WCHAR *LPCWSTR;
typedef const WCHAR *PCWSTR;
typedef char *LPSTR;
typedef char *PSTR;
typedef const char *LPCSTR;
typedef const char *PCSTR;
typedef struct _SYSTEMTIME {
    WORD wYear, wMonth, wDayOfWeek, wDay, wHour, wMinute, wSecond, wMilliseconds;
} SYSTEMTIME;
typedef struct _FILETIME {
    DWORD dwLowDateTime;
    DWORD dwHighDateTime;
} FILETIME;
typedef struct _GUID {
    DWORD Data1;
    WORD Data2;
    WORD Data3;
    BYTE Data4[8];
} GUID;
typedef struct _SOCKADDR_STORAGE {
    ADDRESS_FAMILY ss_family;
    CHAR pad1[6];
    int64_t align;
    CHAR pad2[112];
} SOCKADDR_STORAGE;
#define WINAPI
#define CALLBACK
#define TRUE 1
#define FALSE 0
#define ERROR_SUCCESS 0
#define WINHTTP_NO_WIN32_TYPES
#endif

#include <winhttp.h>

#if defined(WINHTTP_NO_LAST_ERROR)
/* The program's own last-error functions, which must not clash with anything in the header. */
static DWORD own_last_error;
DWORD GetLastError(void) { return own_last_error; }
void SetLastError(DWORD e) { own_last_error = e; }
#endif

#if defined(__cplusplus)
#define LAYOUT(name, cond) static_assert(cond, #name)
#elif defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
#define LAYOUT(name, cond) _Static_assert(cond, #name)
#else
#define LAYOUT(name, cond) typedef char layout_##name[(cond) ? 1 : -1]
#endif

/* Base types keep their Windows sizes on LP64. */
LAYOUT(dword, sizeof(DWORD) == 4);
LAYOUT(ulong, sizeof(ULONG) == 4);
LAYOUT(long_, sizeof(LONG) == 4);
LAYOUT(bool_, sizeof(BOOL) == 4);
LAYOUT(ulonglong, sizeof(ULONGLONG) == 8);
LAYOUT(dword_ptr, sizeof(DWORD_PTR) == sizeof(void *));
LAYOUT(port, sizeof(INTERNET_PORT) == 2);
LAYOUT(scheme, sizeof(INTERNET_SCHEME) == 4);
LAYOUT(enum_, sizeof(WINHTTP_WEB_SOCKET_BUFFER_TYPE) == 4);

#if UINTPTR_MAX == 0xffffffffffffffffu
/* Windows x64 layouts (the SDK packs to 8, which changes nothing on 64-bit targets). */
LAYOUT(systemtime, sizeof(SYSTEMTIME) == 16);
LAYOUT(filetime, sizeof(FILETIME) == 8);
LAYOUT(guid, sizeof(GUID) == 16);
LAYOUT(sockaddr_storage, sizeof(SOCKADDR_STORAGE) == 128);
LAYOUT(async_result, sizeof(WINHTTP_ASYNC_RESULT) == 16);
LAYOUT(url_components, sizeof(URL_COMPONENTS) == 104);
LAYOUT(url_components_nport, offsetof(URL_COMPONENTS, nPort) == 36);
LAYOUT(url_components_user, offsetof(URL_COMPONENTS, lpszUserName) == 40);
LAYOUT(url_components_extra_len, offsetof(URL_COMPONENTS, dwExtraInfoLength) == 96);
LAYOUT(http_version_info, sizeof(HTTP_VERSION_INFO) == 8);
LAYOUT(proxy_info, sizeof(WINHTTP_PROXY_INFO) == 24);
LAYOUT(ie_proxy_config, sizeof(WINHTTP_CURRENT_USER_IE_PROXY_CONFIG) == 32);
LAYOUT(autoproxy_options, sizeof(WINHTTP_AUTOPROXY_OPTIONS) == 32);
LAYOUT(proxy_result_entry, sizeof(WINHTTP_PROXY_RESULT_ENTRY) == 32);
LAYOUT(proxy_result, sizeof(WINHTTP_PROXY_RESULT) == 16);
LAYOUT(proxy_result_ex, sizeof(WINHTTP_PROXY_RESULT_EX) == 32);
LAYOUT(networking_key, sizeof(WINHTTP_PROXY_NETWORKING_KEY) == 128);
LAYOUT(proxy_settings, sizeof(WINHTTP_PROXY_SETTINGS) == 112);
LAYOUT(certificate_info, sizeof(WINHTTP_CERTIFICATE_INFO) == 64);
LAYOUT(connection_info, sizeof(WINHTTP_CONNECTION_INFO) == 264);
LAYOUT(connection_info_remote, offsetof(WINHTTP_CONNECTION_INFO, RemoteAddress) == 136);
LAYOUT(request_times, sizeof(WINHTTP_REQUEST_TIMES) == 520);
LAYOUT(request_stats, sizeof(WINHTTP_REQUEST_STATS) == 272);
LAYOUT(match_connection_guid, sizeof(WINHTTP_MATCH_CONNECTION_GUID) == 24);
LAYOUT(extended_header, sizeof(WINHTTP_EXTENDED_HEADER) == 16);
LAYOUT(extended_header_value, offsetof(WINHTTP_EXTENDED_HEADER, pszValue) == 8);
LAYOUT(header_name, sizeof(WINHTTP_HEADER_NAME) == 8);
LAYOUT(resolver_cache_config, sizeof(WINHTTP_RESOLVER_CACHE_CONFIG) == 32);
LAYOUT(connection_group, sizeof(WINHTTP_CONNECTION_GROUP) == 20);
LAYOUT(host_connection_group, sizeof(WINHTTP_HOST_CONNECTION_GROUP) == 24);
LAYOUT(query_connection_group_result, sizeof(WINHTTP_QUERY_CONNECTION_GROUP_RESULT) == 16);
LAYOUT(http2_receive_window, sizeof(WINHTTP_HTTP2_RECEIVE_WINDOW) == 8);
LAYOUT(failed_connection_retries, sizeof(WINHTTP_FAILED_CONNECTION_RETRIES) == 8);
LAYOUT(creds, sizeof(WINHTTP_CREDS) == 48);
LAYOUT(creds_ex, sizeof(WINHTTP_CREDS_EX) == 56);
LAYOUT(web_socket_async_result, sizeof(WINHTTP_WEB_SOCKET_ASYNC_RESULT) == 24);
LAYOUT(web_socket_status, sizeof(WINHTTP_WEB_SOCKET_STATUS) == 8);
LAYOUT(protocol_async_result, sizeof(WINHTTP_PROTOCOL_ASYNC_RESULT) == 24);
LAYOUT(proxy_settings_ex, sizeof(WINHTTP_PROXY_SETTINGS_EX) == 72);
LAYOUT(proxy_settings_param, sizeof(WINHTTP_PROXY_SETTINGS_PARAM) == 24);
LAYOUT(fast_forwarding_status, sizeof(WINHTTP_FAST_FORWARDING_STATUS) == 24);
#endif

/* Constants are usable in constant expressions and switch labels. */
LAYOUT(option_range, WINHTTP_FIRST_OPTION == 1 && WINHTTP_LAST_OPTION == 212);
LAYOUT(all_notifications, WINHTTP_CALLBACK_FLAG_ALL_NOTIFICATIONS == 0xffffffffu);
LAYOUT(time_bufsize, WINHTTP_TIME_FORMAT_BUFSIZE == 31 * sizeof(WCHAR));

/* Wide literals of the program's WCHAR: u"..." for char16_t code, L"..." otherwise. */
#if defined(WINHTTP_WCHAR16)
#define W(s) u##s
#else
#define W(s) L##s
#endif

static void CALLBACK on_status(HINTERNET h, DWORD_PTR ctx, DWORD status, LPVOID info, DWORD len)
{
    (void)h;
    (void)ctx;
    (void)info;
    (void)len;
    switch (status) {
    case WINHTTP_CALLBACK_STATUS_REQUEST_ERROR:
    case WINHTTP_CALLBACK_STATUS_SECURE_FAILURE:
        break;
    default:
        break;
    }
}

int main(void)
{
    LPCWSTR accept[] = {W("*/*"), NULL};
    WINHTTP_EXTENDED_HEADER hdr;
    WINHTTP_HEADER_NAME name;
    static URL_COMPONENTS uc; /* zeroed */
    DWORD n = 0;
    BOOL ok;
    HINTERNET session, connect, request;
    WINHTTP_STATUS_CALLBACK previous;

    hdr.pwszName = W("X-Test");
    hdr.pszValue = "narrow";
    name.pszName = "Accept";
    (void)name;
    (void)hdr;
    uc.dwStructSize = sizeof uc;

    session = WinHttpOpen(W("hygiene/1.0"), WINHTTP_ACCESS_TYPE_DEFAULT_PROXY, WINHTTP_NO_PROXY_NAME,
                          WINHTTP_NO_PROXY_BYPASS, 0);
    previous = WinHttpSetStatusCallback(session, on_status, WINHTTP_CALLBACK_FLAG_ALL_NOTIFICATIONS, 0);
    if (previous == WINHTTP_INVALID_STATUS_CALLBACK)
        return 1;
    connect = WinHttpConnect(session, W("example.com"), INTERNET_DEFAULT_HTTPS_PORT, 0);
    request = WinHttpOpenRequest(connect, W("GET"), W("/"), NULL, WINHTTP_NO_REFERER, accept, WINHTTP_FLAG_SECURE);
    ok = WinHttpSendRequest(request, WINHTTP_NO_ADDITIONAL_HEADERS, 0, WINHTTP_NO_REQUEST_DATA, 0,
                            WINHTTP_IGNORE_REQUEST_TOTAL_LENGTH, 0);
    ok = ok && WinHttpQueryHeaders(request, WINHTTP_QUERY_STATUS_CODE | WINHTTP_QUERY_FLAG_NUMBER,
                                   WINHTTP_HEADER_NAME_BY_INDEX, WINHTTP_NO_OUTPUT_BUFFER, &n,
                                   WINHTTP_NO_HEADER_INDEX);
    ok = ok && WinHttpCrackUrl(W("http://example.com/"), (DWORD)-1, ICU_DECODE, &uc);
    (void)WinHttpAddRequestHeadersEx(request, WINHTTP_ADDREQ_FLAG_ADD, WINHTTP_EXTENDED_HEADER_FLAG_UNICODE, 0, 1,
                                     &hdr);
    WinHttpCloseHandle(request);
    WinHttpCloseHandle(connect);
    WinHttpCloseHandle(session);
#if defined(WINHTTP_NO_LAST_ERROR)
    return ok ? 0 : (int)WinHttpGetLastError();
#else
    return ok ? 0 : (int)GetLastError();
#endif
}
