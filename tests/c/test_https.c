/*
 * HTTPS (issue 5): requests over TLS, sync and async, against servers the test runner starts with
 * certificates it generates: a rustls server per certificate problem, and `openssl s_server` as an
 * independent TLS stack. The client trusts only the test CA (SSL_CERT_FILE).
 *
 * Covered: GETs on "127.0.0.1" and "localhost"; connection reuse; SECURITY_FLAGS before and after
 * the handshake and the values SetOption refuses; SECURITY_CERTIFICATE_STRUCT (strings freed with
 * LocalFree, buffer sizes) and SECURITY_KEY_BITNESS; each certificate error (unknown CA, expired,
 * wrong name, wrong usage, expired and unknown CA), each SECURITY_FLAG_IGNORE_* alone waiving
 * exactly its own problem; a pooled connection verified with a waiver not reused by a request
 * without it; SECURE_PROTOCOLS (TLS 1.2 only, TLS 1.3 only against a TLS 1.2 server, a set with
 * neither); client certificates (needed, given as PEM through our extension option on the same
 * request, WINHTTP_NO_CLIENT_CERT_CONTEXT, bad PEM); redirects across schemes (HTTPS -> HTTP
 * refused by default, allowed with REDIRECT_POLICY_ALWAYS, HTTP -> HTTPS followed); a 100 MiB
 * download with every byte checked; and in async mode the SECURE_FAILURE notification's flags
 * followed by REQUEST_ERROR with ERROR_WINHTTP_SECURE_FAILURE; handshakes that cannot finish (a
 * plain-HTTP server, a silent server and the receive timeout, a close from another thread).
 *
 * Ports: WINHTTP_TEST_TLS_<NAME>_PORT (see tests/support/tls.rs), WINHTTP_TEST_PORT (plain HTTP),
 * WINHTTP_TEST_RAW_PORT (/raw/never-answers).
 * WINHTTP_TEST_CLIENT_PEM is a client certificate and key the CLIENT_AUTH server accepts.
 */
#if !defined(_WIN32) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif
#include <winhttp.h>
#include "harness.h"
#include "diagnostics.h"
#include <errno.h>
#include <pthread.h>
#include <time.h>

static INTERNET_PORT http_port, raw_port, good_port, unknown_ca_port, expired_port, wrong_name_port, wrong_usage_port,
    expired_unknown_ca_port, client_auth_port, tls12_port, openssl_port;

#define ALL_IGNORE                                                                                                    \
    (SECURITY_FLAG_IGNORE_UNKNOWN_CA | SECURITY_FLAG_IGNORE_CERT_DATE_INVALID | SECURITY_FLAG_IGNORE_CERT_CN_INVALID | \
     SECURITY_FLAG_IGNORE_CERT_WRONG_USAGE)

/* ---- Sync helpers ---------------------------------------------------------------------------- */

struct result {
    DWORD error; /* 0 when the exchange worked */
    DWORD status;
    char body[256];
    unsigned long long length;
    int conn_id;
    int resumed;        /* X-Tls-Resumed */
    WCHAR sni[64];    /* X-Tls-Sni */
    WCHAR alpn[32];   /* X-Tls-Alpn */
};

/* Reads the whole body, keeping its first bytes; returns FALSE on a read error. */
static BOOL read_body(HINTERNET req, struct result *r)
{
    char buf[65536];
    DWORD got = 0;
    r->length = 0;
    for (;;) {
        if (!WinHttpReadData(req, buf, sizeof buf, &got))
            return FALSE;
        if (got == 0)
            return TRUE;
        if (r->length < sizeof r->body - 1) {
            size_t keep = sizeof r->body - 1 - (size_t)r->length;
            memcpy(r->body + r->length, buf, got < keep ? got : keep);
        }
        r->length += got;
    }
}

static int header_int(HINTERNET req, const WCHAR *name)
{
    WCHAR value[64];
    DWORD size = sizeof value;
    if (!WinHttpQueryHeaders(req, WINHTTP_QUERY_CUSTOM, name, value, &size, WINHTTP_NO_HEADER_INDEX))
        return -1;
    return (int)harness_wcstol(value, NULL, 10);
}

/* Sends and receives on an open request; fills `r` (error 0 on success). */
static void exchange(HINTERNET req, struct result *r)
{
    DWORD size = sizeof r->status;
    memset(r, 0, sizeof *r);
    if (!WinHttpSendRequest(req, WINHTTP_NO_ADDITIONAL_HEADERS, 0, WINHTTP_NO_REQUEST_DATA, 0, 0, 0) ||
        !WinHttpReceiveResponse(req, NULL) ||
        !WinHttpQueryHeaders(req, WINHTTP_QUERY_STATUS_CODE | WINHTTP_QUERY_FLAG_NUMBER, WINHTTP_HEADER_NAME_BY_INDEX,
                             &r->status, &size, WINHTTP_NO_HEADER_INDEX) ||
        !read_body(req, r)) {
        r->error = GetLastError();
        return;
    }
    r->conn_id = header_int(req, L"X-Conn-Id");
    r->resumed = header_int(req, L"X-Tls-Resumed");
    {
        DWORD size = sizeof r->sni;
        if (!WinHttpQueryHeaders(req, WINHTTP_QUERY_CUSTOM, L"X-Tls-Sni", r->sni, &size, WINHTTP_NO_HEADER_INDEX))
            r->sni[0] = 0;
        size = sizeof r->alpn;
        if (!WinHttpQueryHeaders(req, WINHTTP_QUERY_CUSTOM, L"X-Tls-Alpn", r->alpn, &size, WINHTTP_NO_HEADER_INDEX))
            r->alpn[0] = 0;
    }
}

/* A whole GET on `con` with the given ignore flags. */
static struct result get(HINTERNET con, const WCHAR *path, DWORD ignore)
{
    struct result r;
    HINTERNET req = WinHttpOpenRequest(con, L"GET", path, NULL, WINHTTP_NO_REFERER, WINHTTP_DEFAULT_ACCEPT_TYPES,
                                       WINHTTP_FLAG_SECURE);
    memset(&r, 0, sizeof r);
    if (!req) {
        r.error = GetLastError();
        return r;
    }
    if (ignore && !WinHttpSetOption(req, WINHTTP_OPTION_SECURITY_FLAGS, &ignore, sizeof ignore)) {
        r.error = GetLastError();
        WinHttpCloseHandle(req);
        return r;
    }
    exchange(req, &r);
    WinHttpCloseHandle(req);
    return r;
}

/* A GET of /hello on a fresh session and connection to 127.0.0.1:port. */
static struct result get_once(INTERNET_PORT port, DWORD ignore)
{
    struct result r;
    HINTERNET ses = WinHttpOpen(L"test", WINHTTP_ACCESS_TYPE_NO_PROXY, WINHTTP_NO_PROXY_NAME, WINHTTP_NO_PROXY_BYPASS, 0);
    HINTERNET con = WinHttpConnect(ses, L"127.0.0.1", port, 0);
    r = get(con, L"/hello", ignore);
    WinHttpCloseHandle(con);
    WinHttpCloseHandle(ses);
    return r;
}

#define CHECK_HELLO(r)                                                                                                \
    do {                                                                                                              \
        CHECK_EQ((r).error, 0);                                                                                       \
        CHECK_EQ((r).status, 200);                                                                                    \
        CHECK(strcmp((r).body, "Hello, world!") == 0);                                                                \
    } while (0)

/* ---- Sync tests ------------------------------------------------------------------------------ */

static void test_basic_get(void)
{
    HINTERNET ses = WinHttpOpen(L"test", WINHTTP_ACCESS_TYPE_NO_PROXY, WINHTTP_NO_PROXY_NAME, WINHTTP_NO_PROXY_BYPASS, 0);
    HINTERNET con = WinHttpConnect(ses, L"127.0.0.1", good_port, 0);
    HINTERNET req;
    struct result r, r2;
    DWORD flags, size, bits;
    WINHTTP_CERTIFICATE_INFO info;
    WCHAR url[128];

    CHECK(ses && con);
    req = WinHttpOpenRequest(con, L"GET", L"/hello", NULL, WINHTTP_NO_REFERER, WINHTTP_DEFAULT_ACCEPT_TYPES,
                             WINHTTP_FLAG_SECURE);
    CHECK(req != NULL);

    /* Before the handshake: no flags, no certificate. */
    flags = 0xdead;
    size = sizeof flags;
    CHECK_OK(WinHttpQueryOption(req, WINHTTP_OPTION_SECURITY_FLAGS, &flags, &size));
    CHECK_EQ(flags, 0);
    size = sizeof info;
    CHECK_FAILS(WinHttpQueryOption(req, WINHTTP_OPTION_SECURITY_CERTIFICATE_STRUCT, &info, &size),
                ERROR_WINHTTP_INCORRECT_HANDLE_STATE);
    size = sizeof url;
    CHECK_OK(WinHttpQueryOption(req, WINHTTP_OPTION_URL, url, &size));
    harness_swprintf(url + 64, 64, L"https://127.0.0.1:%u/hello", (unsigned)good_port);
    CHECK_WSTR(url, url + 64);

    exchange(req, &r);
    CHECK_HELLO(r);
    CHECK(r.conn_id > 0);
    /* No SNI for an IP address (RFC 6066); ALPN agreed on HTTP/1.1. */
    CHECK_WSTR(r.sni, L"-");
    CHECK_WSTR(r.alpn, L"http/1.1");

    /* After it: secure, strong. */
    size = sizeof flags;
    CHECK_OK(WinHttpQueryOption(req, WINHTTP_OPTION_SECURITY_FLAGS, &flags, &size));
    CHECK(flags & SECURITY_FLAG_SECURE);
    CHECK(flags & SECURITY_FLAG_STRENGTH_STRONG);
    CHECK_EQ(flags & ALL_IGNORE, 0);
    size = sizeof bits;
    CHECK_OK(WinHttpQueryOption(req, WINHTTP_OPTION_SECURITY_KEY_BITNESS, &bits, &size));
    CHECK(bits == 128 || bits == 256);

    /* The certificate: too small a buffer gets the size; strings are freed with LocalFree. */
    size = 4;
    CHECK_FAILS(WinHttpQueryOption(req, WINHTTP_OPTION_SECURITY_CERTIFICATE_STRUCT, &info, &size),
                ERROR_INSUFFICIENT_BUFFER);
    CHECK_EQ(size, sizeof info);
    size = 0;
    CHECK_FAILS(WinHttpQueryOption(req, WINHTTP_OPTION_SECURITY_CERTIFICATE_STRUCT, NULL, &size),
                ERROR_INSUFFICIENT_BUFFER);
    CHECK_EQ(size, sizeof info);
    memset(&info, 0, sizeof info);
    size = sizeof info;
    CHECK_OK(WinHttpQueryOption(req, WINHTTP_OPTION_SECURITY_CERTIFICATE_STRUCT, &info, &size));
    CHECK_EQ(size, sizeof info);
    CHECK_WSTR(info.lpszSubjectInfo, L"WinHTTP Tests\r\nlocalhost");
    CHECK_WSTR(info.lpszIssuerInfo, L"WinHTTP Tests\r\nWinHTTP Test CA");
    CHECK(info.lpszProtocolName == NULL && info.lpszSignatureAlgName == NULL && info.lpszEncryptionAlgName == NULL);
    CHECK_EQ(info.dwKeySize, bits);
    {
        unsigned long long start = ((unsigned long long)info.ftStart.dwHighDateTime << 32) | info.ftStart.dwLowDateTime;
        unsigned long long end = ((unsigned long long)info.ftExpiry.dwHighDateTime << 32) | info.ftExpiry.dwLowDateTime;
        /* 100 ns ticks since 1601: the certificate was made today (after 2020) and is valid for years. */
        unsigned long long y2020 = 132223104000000000ULL;
        CHECK(start > y2020 && end > start);
    }
    LocalFree(info.lpszSubjectInfo);
    LocalFree(info.lpszIssuerInfo);

    /* Our extension: the leaf in DER. */
    {
        unsigned char der[4096];
        size = 0;
        CHECK_FAILS(WinHttpQueryOption(req, WINHTTP_OPTION_PORTABLE_SERVER_CERT_DER, NULL, &size),
                    ERROR_INSUFFICIENT_BUFFER);
        CHECK(size > 100 && size <= sizeof der);
        CHECK_OK(WinHttpQueryOption(req, WINHTTP_OPTION_PORTABLE_SERVER_CERT_DER, der, &size));
        CHECK_EQ(der[0], 0x30); /* a DER SEQUENCE */
    }
    /* No CERT_CONTEXT outside Windows. */
    {
        void *ctx = NULL;
        size = sizeof ctx;
        CHECK_FAILS(WinHttpQueryOption(req, WINHTTP_OPTION_SERVER_CERT_CONTEXT, &ctx, &size), ERROR_NOT_SUPPORTED);
    }
    WinHttpCloseHandle(req);

    /* The pooled TLS connection carries the next request. */
    r2 = get(con, L"/hello", 0);
    CHECK_HELLO(r2);
    CHECK_EQ(r2.conn_id, r.conn_id);

    /* A new connection resumes the TLS session of an earlier one (/close ends each connection). */
    r = get(con, L"/close", 0);
    CHECK_EQ(r.error, 0);
    r2 = get(con, L"/close", 0);
    CHECK_EQ(r2.error, 0);
    CHECK(r2.conn_id != r.conn_id);
    CHECK_EQ(r2.resumed, 1);
    /* A resumed connection still reports its certificate and security flags. */
    req = WinHttpOpenRequest(con, L"GET", L"/close", NULL, WINHTTP_NO_REFERER, WINHTTP_DEFAULT_ACCEPT_TYPES,
                             WINHTTP_FLAG_SECURE);
    exchange(req, &r);
    CHECK_EQ(r.error, 0);
    CHECK_EQ(r.resumed, 1);
    size = sizeof info;
    CHECK_OK(WinHttpQueryOption(req, WINHTTP_OPTION_SECURITY_CERTIFICATE_STRUCT, &info, &size));
    CHECK_WSTR(info.lpszSubjectInfo, L"WinHTTP Tests\r\nlocalhost");
    LocalFree(info.lpszSubjectInfo);
    LocalFree(info.lpszIssuerInfo);
    size = sizeof flags;
    CHECK_OK(WinHttpQueryOption(req, WINHTTP_OPTION_SECURITY_FLAGS, &flags, &size));
    CHECK(flags & SECURITY_FLAG_SECURE);
    WinHttpCloseHandle(req);
    WinHttpCloseHandle(con);

    /* INTERNET_DEFAULT_PORT on a secure request means 443: the URL shows no port. */
    con = WinHttpConnect(ses, L"example.invalid", INTERNET_DEFAULT_PORT, 0);
    req = WinHttpOpenRequest(con, L"GET", L"/x", NULL, WINHTTP_NO_REFERER, WINHTTP_DEFAULT_ACCEPT_TYPES,
                             WINHTTP_FLAG_SECURE);
    size = sizeof url;
    CHECK_OK(WinHttpQueryOption(req, WINHTTP_OPTION_URL, url, &size));
    CHECK_WSTR(url, L"https://example.invalid/x");
    WinHttpCloseHandle(req);
    WinHttpCloseHandle(con);

    /* By name: the certificate is for localhost too, and the name goes out as SNI. */
    con = WinHttpConnect(ses, L"localhost", good_port, 0);
    r = get(con, L"/hello", 0);
    CHECK_HELLO(r);
    CHECK_WSTR(r.sni, L"localhost");
    WinHttpCloseHandle(con);
    WinHttpCloseHandle(ses);
}

static void test_security_flags_option(void)
{
    HINTERNET ses = WinHttpOpen(L"test", WINHTTP_ACCESS_TYPE_NO_PROXY, WINHTTP_NO_PROXY_NAME, WINHTTP_NO_PROXY_BYPASS, 0);
    HINTERNET con = WinHttpConnect(ses, L"127.0.0.1", good_port, 0);
    HINTERNET req = WinHttpOpenRequest(con, L"GET", L"/", NULL, WINHTTP_NO_REFERER, WINHTTP_DEFAULT_ACCEPT_TYPES,
                                       WINHTTP_FLAG_SECURE);
    DWORD v, size;

    v = SECURITY_FLAG_SECURE;
    CHECK_FAILS(WinHttpSetOption(req, WINHTTP_OPTION_SECURITY_FLAGS, &v, sizeof v), ERROR_INVALID_PARAMETER);
    v = SECURITY_FLAG_STRENGTH_STRONG;
    CHECK_FAILS(WinHttpSetOption(req, WINHTTP_OPTION_SECURITY_FLAGS, &v, sizeof v), ERROR_INVALID_PARAMETER);
    v = 0;
    CHECK_OK(WinHttpSetOption(req, WINHTTP_OPTION_SECURITY_FLAGS, &v, sizeof v));
    v = ALL_IGNORE;
    CHECK_OK(WinHttpSetOption(req, WINHTTP_OPTION_SECURITY_FLAGS, &v, sizeof v));
    size = sizeof v;
    v = 0;
    CHECK_OK(WinHttpQueryOption(req, WINHTTP_OPTION_SECURITY_FLAGS, &v, &size));
    CHECK_EQ(v, ALL_IGNORE);
    /* Not an option of sessions or connections. */
    v = SECURITY_FLAG_IGNORE_UNKNOWN_CA;
    CHECK_FAILS(WinHttpSetOption(ses, WINHTTP_OPTION_SECURITY_FLAGS, &v, sizeof v), ERROR_WINHTTP_INCORRECT_HANDLE_TYPE);
    CHECK_FAILS(WinHttpSetOption(con, WINHTTP_OPTION_SECURITY_FLAGS, &v, sizeof v), ERROR_WINHTTP_INCORRECT_HANDLE_TYPE);
    /* Key size before any handshake. */
    size = sizeof v;
    CHECK_FAILS(WinHttpQueryOption(req, WINHTTP_OPTION_SECURITY_KEY_BITNESS, &v, &size),
                ERROR_WINHTTP_INCORRECT_HANDLE_STATE);
    WinHttpCloseHandle(req);
    WinHttpCloseHandle(con);
    WinHttpCloseHandle(ses);
}

static void test_certificate_errors(void)
{
    struct result r;

    r = get_once(unknown_ca_port, 0);
    CHECK_EQ(r.error, ERROR_WINHTTP_SECURE_INVALID_CA);
    r = get_once(expired_port, 0);
    CHECK_EQ(r.error, ERROR_WINHTTP_SECURE_CERT_DATE_INVALID);
    r = get_once(wrong_name_port, 0);
    CHECK_EQ(r.error, ERROR_WINHTTP_SECURE_CERT_CN_INVALID);
    r = get_once(wrong_usage_port, 0);
    CHECK_EQ(r.error, ERROR_WINHTTP_SECURE_CERT_WRONG_USAGE);
    /* Two problems: the untrusted root is the one reported. */
    r = get_once(expired_unknown_ca_port, 0);
    CHECK_EQ(r.error, ERROR_WINHTTP_SECURE_INVALID_CA);

    /* Each flag waives its own problem... */
    r = get_once(unknown_ca_port, SECURITY_FLAG_IGNORE_UNKNOWN_CA);
    CHECK_HELLO(r);
    r = get_once(expired_port, SECURITY_FLAG_IGNORE_CERT_DATE_INVALID);
    CHECK_HELLO(r);
    r = get_once(wrong_name_port, SECURITY_FLAG_IGNORE_CERT_CN_INVALID);
    CHECK_HELLO(r);
    r = get_once(wrong_usage_port, SECURITY_FLAG_IGNORE_CERT_WRONG_USAGE);
    CHECK_HELLO(r);
    /* ...and nothing else. */
    r = get_once(unknown_ca_port, ALL_IGNORE & ~SECURITY_FLAG_IGNORE_UNKNOWN_CA);
    CHECK_EQ(r.error, ERROR_WINHTTP_SECURE_INVALID_CA);
    r = get_once(expired_port, ALL_IGNORE & ~SECURITY_FLAG_IGNORE_CERT_DATE_INVALID);
    CHECK_EQ(r.error, ERROR_WINHTTP_SECURE_CERT_DATE_INVALID);
    r = get_once(wrong_name_port, ALL_IGNORE & ~SECURITY_FLAG_IGNORE_CERT_CN_INVALID);
    CHECK_EQ(r.error, ERROR_WINHTTP_SECURE_CERT_CN_INVALID);
    r = get_once(wrong_usage_port, ALL_IGNORE & ~SECURITY_FLAG_IGNORE_CERT_WRONG_USAGE);
    CHECK_EQ(r.error, ERROR_WINHTTP_SECURE_CERT_WRONG_USAGE);
    r = get_once(expired_unknown_ca_port, SECURITY_FLAG_IGNORE_UNKNOWN_CA);
    CHECK_EQ(r.error, ERROR_WINHTTP_SECURE_CERT_DATE_INVALID);
    r = get_once(expired_unknown_ca_port, SECURITY_FLAG_IGNORE_CERT_DATE_INVALID);
    CHECK_EQ(r.error, ERROR_WINHTTP_SECURE_INVALID_CA);
    r = get_once(expired_unknown_ca_port, SECURITY_FLAG_IGNORE_UNKNOWN_CA | SECURITY_FLAG_IGNORE_CERT_DATE_INVALID);
    CHECK_HELLO(r);
    /* The good server passes with or without waivers. */
    r = get_once(good_port, ALL_IGNORE);
    CHECK_HELLO(r);
}

/* A connection verified with a waiver is not handed to a request without it. */
static void test_waived_connection_not_reused(void)
{
    HINTERNET ses = WinHttpOpen(L"test", WINHTTP_ACCESS_TYPE_NO_PROXY, WINHTTP_NO_PROXY_NAME, WINHTTP_NO_PROXY_BYPASS, 0);
    HINTERNET con = WinHttpConnect(ses, L"127.0.0.1", unknown_ca_port, 0);
    HINTERNET req;
    struct result r, r2;
    DWORD flags, size = sizeof flags;

    req = WinHttpOpenRequest(con, L"GET", L"/hello", NULL, WINHTTP_NO_REFERER, WINHTTP_DEFAULT_ACCEPT_TYPES,
                             WINHTTP_FLAG_SECURE);
    flags = SECURITY_FLAG_IGNORE_UNKNOWN_CA;
    CHECK_OK(WinHttpSetOption(req, WINHTTP_OPTION_SECURITY_FLAGS, &flags, sizeof flags));
    exchange(req, &r);
    CHECK_HELLO(r);
    CHECK_OK(WinHttpQueryOption(req, WINHTTP_OPTION_SECURITY_FLAGS, &flags, &size));
    CHECK(flags & SECURITY_FLAG_SECURE);
    CHECK(flags & SECURITY_FLAG_IGNORE_UNKNOWN_CA);
    WinHttpCloseHandle(req);

    r2 = get(con, L"/hello", 0);
    CHECK_EQ(r2.error, ERROR_WINHTTP_SECURE_INVALID_CA);
    /* With the waiver again, the pooled connection may be used. */
    r2 = get(con, L"/hello", SECURITY_FLAG_IGNORE_UNKNOWN_CA);
    CHECK_HELLO(r2);
    WinHttpCloseHandle(con);
    WinHttpCloseHandle(ses);
}

static void test_secure_protocols(void)
{
    HINTERNET ses = WinHttpOpen(L"test", WINHTTP_ACCESS_TYPE_NO_PROXY, WINHTTP_NO_PROXY_NAME, WINHTTP_NO_PROXY_BYPASS, 0);
    HINTERNET con;
    DWORD v, size;
    struct result r;

    size = sizeof v;
    CHECK_OK(WinHttpQueryOption(ses, WINHTTP_OPTION_SECURE_PROTOCOLS, &v, &size));
    CHECK(v & WINHTTP_FLAG_SECURE_PROTOCOL_TLS1_2);

    /* TLS 1.3 only against a TLS 1.2 server: the handshake fails. */
    v = WINHTTP_FLAG_SECURE_PROTOCOL_TLS1_3;
    CHECK_OK(WinHttpSetOption(ses, WINHTTP_OPTION_SECURE_PROTOCOLS, &v, sizeof v));
    con = WinHttpConnect(ses, L"127.0.0.1", tls12_port, 0);
    r = get(con, L"/hello", 0);
    CHECK_EQ(r.error, ERROR_WINHTTP_SECURE_CHANNEL_ERROR);
    CHECK_FAILS(WinHttpSetOption(con, WINHTTP_OPTION_SECURE_PROTOCOLS, &v, sizeof v),
                ERROR_WINHTTP_INCORRECT_HANDLE_TYPE);
    WinHttpCloseHandle(con);

    /* TLS 1.2 (with the older ones a legacy program still lists) works against both servers. */
    v = WINHTTP_FLAG_SECURE_PROTOCOL_TLS1 | WINHTTP_FLAG_SECURE_PROTOCOL_TLS1_1 | WINHTTP_FLAG_SECURE_PROTOCOL_TLS1_2;
    CHECK_OK(WinHttpSetOption(ses, WINHTTP_OPTION_SECURE_PROTOCOLS, &v, sizeof v));
    con = WinHttpConnect(ses, L"127.0.0.1", tls12_port, 0);
    r = get(con, L"/hello", 0);
    CHECK_HELLO(r);
    WinHttpCloseHandle(con);
    con = WinHttpConnect(ses, L"127.0.0.1", good_port, 0);
    r = get(con, L"/hello", SECURITY_FLAG_IGNORE_CERT_CN_INVALID); /* a fresh connection: other waivers */
    CHECK_HELLO(r);
    WinHttpCloseHandle(con);

    /* Nothing rustls can speak: accepted as Windows accepts it, refused at the handshake. */
    v = WINHTTP_FLAG_SECURE_PROTOCOL_SSL3 | WINHTTP_FLAG_SECURE_PROTOCOL_TLS1;
    CHECK_OK(WinHttpSetOption(ses, WINHTTP_OPTION_SECURE_PROTOCOLS, &v, sizeof v));
    con = WinHttpConnect(ses, L"127.0.0.1", good_port, 0);
    r = get(con, L"/hello", SECURITY_FLAG_IGNORE_CERT_DATE_INVALID);
    CHECK_EQ(r.error, ERROR_WINHTTP_SECURE_CHANNEL_ERROR);
    WinHttpCloseHandle(con);
    v = 0x40000000; /* not a protocol flag */
    CHECK_FAILS(WinHttpSetOption(ses, WINHTTP_OPTION_SECURE_PROTOCOLS, &v, sizeof v), ERROR_INVALID_PARAMETER);
    WinHttpCloseHandle(ses);
}

static char *read_file(const char *path, DWORD *len)
{
    FILE *f = fopen(path, "rb");
    char *data;
    long n;
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    data = malloc((size_t)n + 1);
    if (data && fread(data, 1, (size_t)n, f) != (size_t)n) {
        free(data);
        data = NULL;
    }
    fclose(f);
    *len = (DWORD)n;
    return data;
}

static void test_client_certificates(void)
{
    HINTERNET ses = WinHttpOpen(L"test", WINHTTP_ACCESS_TYPE_NO_PROXY, WINHTTP_NO_PROXY_NAME, WINHTTP_NO_PROXY_BYPASS, 0);
    HINTERNET con = WinHttpConnect(ses, L"127.0.0.1", client_auth_port, 0);
    HINTERNET req;
    struct result r;
    DWORD pem_len = 0;
    const char *path = getenv("WINHTTP_TEST_CLIENT_PEM");
    char *pem = path ? read_file(path, &pem_len) : NULL;
    const char *cert_only;

    CHECK(pem != NULL);
    if (!pem)
        return;

    /* The server asks and nothing was said: CLIENT_AUTH_CERT_NEEDED. */
    req = WinHttpOpenRequest(con, L"GET", L"/hello", NULL, WINHTTP_NO_REFERER, WINHTTP_DEFAULT_ACCEPT_TYPES,
                             WINHTTP_FLAG_SECURE);
    exchange(req, &r);
    CHECK_EQ(r.error, ERROR_WINHTTP_CLIENT_AUTH_CERT_NEEDED);
    /* Bad PEM is refused; a certificate without its key too. */
    CHECK_FAILS(WinHttpSetOption(req, WINHTTP_OPTION_PORTABLE_CLIENT_CERT_PEM, "garbage", 7), ERROR_INVALID_PARAMETER);
    cert_only = strstr(pem, "-----BEGIN PRIVATE KEY-----");
    CHECK(cert_only != NULL);
    if (cert_only)
        CHECK_FAILS(WinHttpSetOption(req, WINHTTP_OPTION_PORTABLE_CLIENT_CERT_PEM, pem, (DWORD)(cert_only - pem)),
                    ERROR_WINHTTP_CLIENT_CERT_NO_PRIVATE_KEY);
    /* The certificate on the same request, and send again: it works. */
    CHECK_OK(WinHttpSetOption(req, WINHTTP_OPTION_PORTABLE_CLIENT_CERT_PEM, pem, pem_len));
    exchange(req, &r);
    CHECK_HELLO(r);
    WinHttpCloseHandle(req);

    /* WINHTTP_NO_CLIENT_CERT_CONTEXT: go on without; this server then refuses the connection. */
    req = WinHttpOpenRequest(con, L"GET", L"/hello", NULL, WINHTTP_NO_REFERER, WINHTTP_DEFAULT_ACCEPT_TYPES,
                             WINHTTP_FLAG_SECURE);
    CHECK_OK(WinHttpSetOption(req, WINHTTP_OPTION_CLIENT_CERT_CONTEXT, WINHTTP_NO_CLIENT_CERT_CONTEXT, 0));
    exchange(req, &r);
    CHECK(r.error == ERROR_WINHTTP_SECURE_CHANNEL_ERROR || r.error == ERROR_WINHTTP_CONNECTION_ERROR);
    WinHttpCloseHandle(req);
    WinHttpCloseHandle(con);

    /* A server that does not ask does not mind a certificate. */
    con = WinHttpConnect(ses, L"127.0.0.1", good_port, 0);
    req = WinHttpOpenRequest(con, L"GET", L"/hello", NULL, WINHTTP_NO_REFERER, WINHTTP_DEFAULT_ACCEPT_TYPES,
                             WINHTTP_FLAG_SECURE);
    CHECK_OK(WinHttpSetOption(req, WINHTTP_OPTION_PORTABLE_CLIENT_CERT_PEM, pem, pem_len));
    exchange(req, &r);
    CHECK_HELLO(r);
    WinHttpCloseHandle(req);
    WinHttpCloseHandle(con);
    WinHttpCloseHandle(ses);
    free(pem);
}

static void test_redirects_across_schemes(void)
{
    HINTERNET ses = WinHttpOpen(L"test", WINHTTP_ACCESS_TYPE_NO_PROXY, WINHTTP_NO_PROXY_NAME, WINHTTP_NO_PROXY_BYPASS, 0);
    HINTERNET con = WinHttpConnect(ses, L"127.0.0.1", good_port, 0);
    HINTERNET req;
    WCHAR path[160], url[160];
    DWORD policy, size;
    struct result r;

    /* HTTPS -> HTTP: not followed by default; the 302 is the response. */
    harness_swprintf(path, 160, L"/redirect/302?to=http://127.0.0.1:%u/hello", (unsigned)http_port);
    r = get(con, path, 0);
    CHECK_EQ(r.error, 0);
    CHECK_EQ(r.status, 302);

    /* Followed with REDIRECT_POLICY_ALWAYS. */
    req = WinHttpOpenRequest(con, L"GET", path, NULL, WINHTTP_NO_REFERER, WINHTTP_DEFAULT_ACCEPT_TYPES,
                             WINHTTP_FLAG_SECURE);
    policy = WINHTTP_OPTION_REDIRECT_POLICY_ALWAYS;
    CHECK_OK(WinHttpSetOption(req, WINHTTP_OPTION_REDIRECT_POLICY, &policy, sizeof policy));
    exchange(req, &r);
    CHECK_HELLO(r);
    size = sizeof url;
    CHECK_OK(WinHttpQueryOption(req, WINHTTP_OPTION_URL, url, &size));
    harness_swprintf(path, 160, L"http://127.0.0.1:%u/hello", (unsigned)http_port);
    CHECK_WSTR(url, path);
    WinHttpCloseHandle(req);
    WinHttpCloseHandle(con);

    /* HTTP -> HTTPS: followed. */
    con = WinHttpConnect(ses, L"127.0.0.1", http_port, 0);
    harness_swprintf(path, 160, L"/redirect/302?to=https://127.0.0.1:%u/hello", (unsigned)good_port);
    req = WinHttpOpenRequest(con, L"GET", path, NULL, WINHTTP_NO_REFERER, WINHTTP_DEFAULT_ACCEPT_TYPES, 0);
    exchange(req, &r);
    CHECK_HELLO(r);
    size = sizeof url;
    CHECK_OK(WinHttpQueryOption(req, WINHTTP_OPTION_URL, url, &size));
    harness_swprintf(path, 160, L"https://127.0.0.1:%u/hello", (unsigned)good_port);
    CHECK_WSTR(url, path);
    {
        DWORD flags = 0;
        size = sizeof flags;
        CHECK_OK(WinHttpQueryOption(req, WINHTTP_OPTION_SECURITY_FLAGS, &flags, &size));
        CHECK(flags & SECURITY_FLAG_SECURE);
    }
    WinHttpCloseHandle(req);
    WinHttpCloseHandle(con);
    WinHttpCloseHandle(ses);
}

/* Reads a body of `expect` bytes and checks byte i against pattern(i). */
static void check_download(HINTERNET req, unsigned long long expect, int (*pattern)(unsigned long long))
{
    static char buf[256 * 1024];
    unsigned long long total = 0, bad = 0;
    DWORD got;
    for (;;) {
        DWORD i;
        if (!WinHttpReadData(req, buf, sizeof buf, &got)) {
            printf("  read failed after %llu bytes: %lu\n", total, (unsigned long)GetLastError());
            break;
        }
        if (got == 0)
            break;
        for (i = 0; i < got; i++)
            if ((unsigned char)buf[i] != (unsigned char)pattern(total + i))
                bad++;
        total += got;
    }
    CHECK_EQ(total, expect);
    CHECK_EQ(bad, 0);
}

static int letters(unsigned long long i)
{
    return 'a' + (int)(i % 26);
}

static int mod251(unsigned long long i)
{
    return (int)(i % 251);
}

/* 100 MiB, every byte checked (4 MiB under a checker such as valgrind, which runs it 50 times slower). */
static void test_big_download(void)
{
    unsigned long long size = getenv("WINHTTP_TEST_UNDER_CHECKER") ? 4ULL << 20 : 100ULL << 20;
    WCHAR path[64];
    HINTERNET ses = WinHttpOpen(L"test", WINHTTP_ACCESS_TYPE_NO_PROXY, WINHTTP_NO_PROXY_NAME, WINHTTP_NO_PROXY_BYPASS, 0);
    HINTERNET con = WinHttpConnect(ses, L"127.0.0.1", good_port, 0);
    HINTERNET req;
    harness_swprintf(path, 64, L"/len/%llu", size);
    req = WinHttpOpenRequest(con, L"GET", path, NULL, WINHTTP_NO_REFERER, WINHTTP_DEFAULT_ACCEPT_TYPES,
                             WINHTTP_FLAG_SECURE);
    CHECK_OK(WinHttpSendRequest(req, WINHTTP_NO_ADDITIONAL_HEADERS, 0, WINHTTP_NO_REQUEST_DATA, 0, 0, 0));
    CHECK_OK(WinHttpReceiveResponse(req, NULL));
    check_download(req, size, letters);
    WinHttpCloseHandle(req);
    WinHttpCloseHandle(con);
    WinHttpCloseHandle(ses);
}

/* An independent TLS stack: OpenSSL's s_server (HTTP/1.0, close-delimited bodies). */
static void test_openssl_server(void)
{
    HINTERNET ses, con, req;
    struct result r;
    /* ci/test.sh installs openssl; without it this part cannot run, and that is a failure, unless ci/test.sh
       could not install it and said so (WINHTTP_TEST_SKIP_OPENSSL, with the command to run). */
    if (!openssl_port && getenv("WINHTTP_TEST_SKIP_OPENSSL")) {
        printf("openssl s_server part skipped: no openssl on this machine (WINHTTP_TEST_SKIP_OPENSSL)\n");
        return;
    }
    CHECK(openssl_port != 0);
    if (!openssl_port)
        return;
    ses = WinHttpOpen(L"test", WINHTTP_ACCESS_TYPE_NO_PROXY, WINHTTP_NO_PROXY_NAME, WINHTTP_NO_PROXY_BYPASS, 0);
    con = WinHttpConnect(ses, L"localhost", openssl_port, 0);
    r = get(con, L"/hello.txt", 0);
    CHECK_EQ(r.error, 0);
    CHECK_EQ(r.status, 200);
    CHECK(strcmp(r.body, "Hello over OpenSSL\n") == 0);
    req = WinHttpOpenRequest(con, L"GET", L"/big.bin", NULL, WINHTTP_NO_REFERER, WINHTTP_DEFAULT_ACCEPT_TYPES,
                             WINHTTP_FLAG_SECURE);
    CHECK_OK(WinHttpSendRequest(req, WINHTTP_NO_ADDITIONAL_HEADERS, 0, WINHTTP_NO_REQUEST_DATA, 0, 0, 0));
    CHECK_OK(WinHttpReceiveResponse(req, NULL));
    check_download(req, 1024 * 1024 + 7, mod251);
    WinHttpCloseHandle(req);
    WinHttpCloseHandle(con);
    /* Its certificate problems are found the same way (by IP it matches; a wrong name does not). */
    con = WinHttpConnect(ses, L"127.0.0.1", openssl_port, 0);
    r = get(con, L"/hello.txt", 0);
    CHECK_EQ(r.error, 0);
    WinHttpCloseHandle(con);
    WinHttpCloseHandle(ses);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct closer {
    HINTERNET req;
    int ms;
};

static void *close_later(void *arg)
{
    struct closer *c = (struct closer *)arg;
    struct timespec ts = {c->ms / 1000, (long)(c->ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
    WinHttpCloseHandle(c->req);
    return NULL;
}

/* Handshakes that cannot finish: a plain-HTTP server, a server that never answers (timeout), a close
 * from another thread while the handshake waits. */
static void test_handshake_failures(void)
{
    HINTERNET ses = WinHttpOpen(L"test", WINHTTP_ACCESS_TYPE_NO_PROXY, WINHTTP_NO_PROXY_NAME, WINHTTP_NO_PROXY_BYPASS, 0);
    HINTERNET con, req;
    struct result r;
    double t0;
    pthread_t thread;
    struct closer c;
    double slack = getenv("WINHTTP_TEST_UNDER_CHECKER") ? 20.0 : 3.0;

    /* TLS to a plain-HTTP server: it answers the ClientHello with an HTTP error. */
    con = WinHttpConnect(ses, L"127.0.0.1", http_port, 0);
    r = get(con, L"/hello", 0);
    CHECK_EQ(r.error, ERROR_WINHTTP_SECURE_CHANNEL_ERROR);
    WinHttpCloseHandle(con);

    /* A server that reads and never answers: the receive timeout ends the handshake. */
    con = WinHttpConnect(ses, L"127.0.0.1", raw_port, 0);
    req = WinHttpOpenRequest(con, L"GET", L"/raw/never-answers", NULL, WINHTTP_NO_REFERER, WINHTTP_DEFAULT_ACCEPT_TYPES,
                             WINHTTP_FLAG_SECURE);
    CHECK_OK(WinHttpSetTimeouts(req, 5000, 5000, 5000, 700));
    t0 = now_s();
    CHECK_FAILS(WinHttpSendRequest(req, WINHTTP_NO_ADDITIONAL_HEADERS, 0, WINHTTP_NO_REQUEST_DATA, 0, 0, 0),
                ERROR_WINHTTP_TIMEOUT);
    CHECK(now_s() - t0 > 0.5 && now_s() - t0 < slack);
    WinHttpCloseHandle(req);

    /* Closed from another thread while the handshake waits: OPERATION_CANCELLED, promptly. */
    req = WinHttpOpenRequest(con, L"GET", L"/raw/never-answers", NULL, WINHTTP_NO_REFERER, WINHTTP_DEFAULT_ACCEPT_TYPES,
                             WINHTTP_FLAG_SECURE);
    c.req = req;
    c.ms = 300;
    t0 = now_s();
    pthread_create(&thread, NULL, close_later, &c);
    CHECK_FAILS(WinHttpSendRequest(req, WINHTTP_NO_ADDITIONAL_HEADERS, 0, WINHTTP_NO_REQUEST_DATA, 0, 0, 0),
                ERROR_WINHTTP_OPERATION_CANCELLED);
    CHECK(now_s() - t0 < slack);
    pthread_join(thread, NULL);
    WinHttpCloseHandle(con);
    WinHttpCloseHandle(ses);
}

/* ---- Async ----------------------------------------------------------------------------------- */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;

struct async_req {
    HINTERNET req;
    int secure_failures;
    DWORD secure_flags;
    int request_errors;
    DWORD error_api, error;
    int secure_failure_before_error;
    int headers;
    int done; /* REQUEST_ERROR, or READ_COMPLETE with 0 bytes */
    int closing;
    unsigned long long body;
    char buf[16384];
};

static void CALLBACK async_callback(HINTERNET h, DWORD_PTR context, DWORD status, LPVOID info, DWORD length)
{
    struct async_req *a = (struct async_req *)context;
    (void)h;
    if (!a)
        return;
    pthread_mutex_lock(&lock);
    switch (status) {
    case WINHTTP_CALLBACK_STATUS_SECURE_FAILURE:
        a->secure_failures++;
        a->secure_flags = length == sizeof(DWORD) ? *(DWORD *)info : 0xFFFFFFFF;
        break;
    case WINHTTP_CALLBACK_STATUS_REQUEST_ERROR: {
        WINHTTP_ASYNC_RESULT *res = (WINHTTP_ASYNC_RESULT *)info;
        a->request_errors++;
        a->error_api = (DWORD)res->dwResult;
        a->error = res->dwError;
        a->secure_failure_before_error = a->secure_failures > 0;
        a->done = 1;
        break;
    }
    case WINHTTP_CALLBACK_STATUS_HANDLE_CLOSING:
        a->closing++;
        break;
    default:
        break;
    }
    pthread_mutex_unlock(&lock);

    /* Drive the request on from its completions (outside the lock). */
    switch (status) {
    case WINHTTP_CALLBACK_STATUS_SENDREQUEST_COMPLETE:
        WinHttpReceiveResponse(a->req, NULL);
        break;
    case WINHTTP_CALLBACK_STATUS_HEADERS_AVAILABLE:
        pthread_mutex_lock(&lock);
        a->headers = 1;
        pthread_mutex_unlock(&lock);
        WinHttpReadData(a->req, a->buf, sizeof a->buf, NULL);
        break;
    case WINHTTP_CALLBACK_STATUS_READ_COMPLETE:
        pthread_mutex_lock(&lock);
        a->body += length;
        if (length == 0)
            a->done = 1;
        pthread_mutex_unlock(&lock);
        if (length > 0)
            WinHttpReadData(a->req, a->buf, sizeof a->buf, NULL);
        break;
    default:
        break;
    }
    pthread_mutex_lock(&lock);
    pthread_cond_broadcast(&changed);
    pthread_mutex_unlock(&lock);
}

static int wait_flag(int *flag, int ms)
{
    struct timespec ts;
    int ok;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&lock);
    while (!*flag && pthread_cond_timedwait(&changed, &lock, &ts) != ETIMEDOUT) {
    }
    ok = *flag;
    pthread_mutex_unlock(&lock);
    return ok;
}

/* An async GET of /hello on 127.0.0.1:port; waits for its end and its HANDLE_CLOSING. */
static void async_get(HINTERNET ses, INTERNET_PORT port, DWORD ignore, struct async_req *a)
{
    HINTERNET con = WinHttpConnect(ses, L"127.0.0.1", port, 0);
    memset(a, 0, sizeof *a);
    a->req = WinHttpOpenRequest(con, L"GET", L"/hello", NULL, WINHTTP_NO_REFERER, WINHTTP_DEFAULT_ACCEPT_TYPES,
                                WINHTTP_FLAG_SECURE);
    CHECK(a->req != NULL);
    if (ignore)
        CHECK_OK(WinHttpSetOption(a->req, WINHTTP_OPTION_SECURITY_FLAGS, &ignore, sizeof ignore));
    if (!WinHttpSendRequest(a->req, WINHTTP_NO_ADDITIONAL_HEADERS, 0, WINHTTP_NO_REQUEST_DATA, 0, 0, (DWORD_PTR)a))
        printf("  send returned FALSE: %lu\n", (unsigned long)GetLastError());
    CHECK(wait_flag(&a->done, 10000));
    WinHttpCloseHandle(a->req);
    CHECK(wait_flag(&a->closing, 10000));
    WinHttpCloseHandle(con);
}

static void test_async(void)
{
    HINTERNET ses = WinHttpOpen(L"test", WINHTTP_ACCESS_TYPE_NO_PROXY, WINHTTP_NO_PROXY_NAME, WINHTTP_NO_PROXY_BYPASS,
                                WINHTTP_FLAG_ASYNC);
    static struct async_req a;
    DWORD v;

    CHECK(WinHttpSetStatusCallback(ses, async_callback, WINHTTP_CALLBACK_FLAG_ALL_NOTIFICATIONS, 0) !=
          WINHTTP_INVALID_STATUS_CALLBACK);

    async_get(ses, good_port, 0, &a);
    CHECK_EQ(a.request_errors, 0);
    CHECK_EQ(a.secure_failures, 0);
    CHECK(a.headers);
    CHECK_EQ(a.body, 13);

    async_get(ses, unknown_ca_port, 0, &a);
    CHECK_EQ(a.secure_failures, 1);
    CHECK_EQ(a.secure_flags, WINHTTP_CALLBACK_STATUS_FLAG_INVALID_CA);
    CHECK_EQ(a.request_errors, 1);
    CHECK(a.secure_failure_before_error);
    CHECK_EQ(a.error_api, API_SEND_REQUEST);
    CHECK_EQ(a.error, ERROR_WINHTTP_SECURE_FAILURE);

    async_get(ses, expired_port, 0, &a);
    CHECK_EQ(a.secure_flags, WINHTTP_CALLBACK_STATUS_FLAG_CERT_DATE_INVALID);
    CHECK_EQ(a.error, ERROR_WINHTTP_SECURE_FAILURE);

    async_get(ses, wrong_name_port, 0, &a);
    CHECK_EQ(a.secure_flags, WINHTTP_CALLBACK_STATUS_FLAG_CERT_CN_INVALID);
    CHECK_EQ(a.error, ERROR_WINHTTP_SECURE_FAILURE);

    async_get(ses, wrong_usage_port, 0, &a);
    CHECK_EQ(a.secure_flags, WINHTTP_CALLBACK_STATUS_FLAG_CERT_WRONG_USAGE);
    CHECK_EQ(a.error, ERROR_WINHTTP_SECURE_FAILURE);

    /* Every problem is in the flags; a waived one is not. */
    async_get(ses, expired_unknown_ca_port, 0, &a);
    CHECK_EQ(a.secure_flags, WINHTTP_CALLBACK_STATUS_FLAG_INVALID_CA | WINHTTP_CALLBACK_STATUS_FLAG_CERT_DATE_INVALID);
    CHECK_EQ(a.error, ERROR_WINHTTP_SECURE_FAILURE);
    async_get(ses, expired_unknown_ca_port, SECURITY_FLAG_IGNORE_CERT_DATE_INVALID, &a);
    CHECK_EQ(a.secure_flags, WINHTTP_CALLBACK_STATUS_FLAG_INVALID_CA);
    CHECK_EQ(a.error, ERROR_WINHTTP_SECURE_FAILURE);

    async_get(ses, wrong_name_port, SECURITY_FLAG_IGNORE_CERT_CN_INVALID, &a);
    CHECK_EQ(a.request_errors, 0);
    CHECK_EQ(a.secure_failures, 0);
    CHECK_EQ(a.body, 13);

    /* A client certificate is needed: no SECURE_FAILURE, REQUEST_ERROR with the precise error. */
    async_get(ses, client_auth_port, 0, &a);
    CHECK_EQ(a.secure_failures, 0);
    CHECK_EQ(a.request_errors, 1);
    CHECK_EQ(a.error_api, API_SEND_REQUEST);
    CHECK_EQ(a.error, ERROR_WINHTTP_CLIENT_AUTH_CERT_NEEDED);

    /* A handshake failure that is no certificate problem. */
    v = WINHTTP_FLAG_SECURE_PROTOCOL_TLS1_3;
    CHECK_OK(WinHttpSetOption(ses, WINHTTP_OPTION_SECURE_PROTOCOLS, &v, sizeof v));
    async_get(ses, tls12_port, 0, &a);
    CHECK_EQ(a.request_errors, 1);
    CHECK_EQ(a.error_api, API_SEND_REQUEST);
    CHECK_EQ(a.error, ERROR_WINHTTP_SECURE_CHANNEL_ERROR);
    CHECK_EQ(a.secure_flags, WINHTTP_CALLBACK_STATUS_FLAG_SECURITY_CHANNEL_ERROR);

    WinHttpCloseHandle(ses);
}

int main(void)
{
    http_port = (INTERNET_PORT)harness_env_int("WINHTTP_TEST_PORT", 0);
    raw_port = (INTERNET_PORT)harness_env_int("WINHTTP_TEST_RAW_PORT", 0);
    good_port = (INTERNET_PORT)harness_env_int("WINHTTP_TEST_TLS_GOOD_PORT", 0);
    unknown_ca_port = (INTERNET_PORT)harness_env_int("WINHTTP_TEST_TLS_UNKNOWN_CA_PORT", 0);
    expired_port = (INTERNET_PORT)harness_env_int("WINHTTP_TEST_TLS_EXPIRED_PORT", 0);
    wrong_name_port = (INTERNET_PORT)harness_env_int("WINHTTP_TEST_TLS_WRONG_NAME_PORT", 0);
    wrong_usage_port = (INTERNET_PORT)harness_env_int("WINHTTP_TEST_TLS_WRONG_USAGE_PORT", 0);
    expired_unknown_ca_port = (INTERNET_PORT)harness_env_int("WINHTTP_TEST_TLS_EXPIRED_UNKNOWN_CA_PORT", 0);
    client_auth_port = (INTERNET_PORT)harness_env_int("WINHTTP_TEST_TLS_CLIENT_AUTH_PORT", 0);
    tls12_port = (INTERNET_PORT)harness_env_int("WINHTTP_TEST_TLS_TLS12_PORT", 0);
    openssl_port = (INTERNET_PORT)harness_env_int("WINHTTP_TEST_TLS_OPENSSL_PORT", 0);
    CHECK(http_port && good_port && unknown_ca_port && expired_port && wrong_name_port && wrong_usage_port &&
          expired_unknown_ca_port && client_auth_port && tls12_port);

    /* After each part, nothing of it is left once its handles are closed (diagnostics.h). */
    test_basic_get();
    check_nothing_left("test_basic_get", 5000);
    test_security_flags_option();
    check_nothing_left("test_security_flags_option", 5000);
    test_certificate_errors();
    check_nothing_left("test_certificate_errors", 5000);
    test_waived_connection_not_reused();
    check_nothing_left("test_waived_connection_not_reused", 5000);
    test_secure_protocols();
    check_nothing_left("test_secure_protocols", 5000);
    test_client_certificates();
    check_nothing_left("test_client_certificates", 5000);
    test_redirects_across_schemes();
    check_nothing_left("test_redirects_across_schemes", 5000);
    test_handshake_failures();
    check_nothing_left("test_handshake_failures", 5000);
    test_openssl_server();
    check_nothing_left("test_openssl_server", 5000);
    test_big_download();
    check_nothing_left("test_big_download", 5000);
    test_async();
    check_nothing_left("test_async", 5000);

    return harness_report();
}
