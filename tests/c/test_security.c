/*
 * Security defaults (issue 7, item 5), as a porting user would probe them:
 *
 * - CR or LF in a verb, path, header name or value, accept type, referrer or user agent never
 *   reaches the wire as a raw byte. The path is percent-escaped as Windows does (spec 2.4: CR and
 *   LF become %0D and %0A); a verb that is not a token fails WinHttpSendRequest with
 *   ERROR_INVALID_PARAMETER before any socket is opened; header text is split into separate
 *   headers at CR/LF as Windows does (spec 2.6), each of which must be "Name: Value" and goes out
 *   as its own line; accept types, referrer and user agent with CR/LF are dropped.
 *   Checked on the exact bytes the raw server's /raw/echo received.
 * - Response header size and redirect drain size are capped by default (64 KiB, 1 MiB: Windows'
 *   defaults for WINHTTP_OPTION_MAX_RESPONSE_HEADER_SIZE / MAX_RESPONSE_DRAIN_SIZE).
 * - A response with both Content-Length and Transfer-Encoding is read by its chunked framing and
 *   its connection is never reused (RFC 9112 6.3): nothing the server sent after it can become the
 *   next request's response.
 * - Sizes near the limits: Content-Length 2^64-1 and 2^64, a 2^64 chunk size, and
 *   QueryDataAvailable never reporting more than what is buffered.
 *
 * Ports: WINHTTP_TEST_RAW_PORT (raw fault server), WINHTTP_TEST_PORT (HTTP server).
 */
#include "request_driver.h"

static INTERNET_PORT raw_port, http_port;

static HINTERNET open_session(void)
{
    HINTERNET ses = WinHttpOpen(L"winhttp-test/1.0", WINHTTP_ACCESS_TYPE_NO_PROXY, WINHTTP_NO_PROXY_NAME,
                                WINHTTP_NO_PROXY_BYPASS, 0);
    WinHttpSetTimeouts(ses, 5000, 5000, 5000, 5000);
    return ses;
}

/* Sends `req` and reads the echoed request head into `buf` (NUL-terminated); returns its length,
 * or -1 if a call failed. */
static int echo(HINTERNET req, char *buf, DWORD cap)
{
    DWORD got, len = 0;
    if (!WinHttpSendRequest(req, WINHTTP_NO_ADDITIONAL_HEADERS, 0, WINHTTP_NO_REQUEST_DATA, 0, 0, 0) ||
        !WinHttpReceiveResponse(req, NULL))
        return -1;
    do {
        if (!WinHttpReadData(req, buf + len, cap - 1 - len, &got))
            return -1;
        len += got;
    } while (got && len < cap - 1);
    buf[len] = 0;
    return (int)len;
}

/* Every CR is followed by LF and every LF preceded by CR: no bare line break anywhere. */
static int lines_clean(const char *buf, int len)
{
    int i;
    for (i = 0; i < len; i++) {
        if (buf[i] == '\r' && (i + 1 >= len || buf[i + 1] != '\n'))
            return 0;
        if (buf[i] == '\n' && (i == 0 || buf[i - 1] != '\r'))
            return 0;
    }
    return 1;
}

/* The number of lines of the head that start with `name` (case-sensitive, at a line start). */
static int lines_starting(const char *buf, const char *name)
{
    int n = 0;
    const char *p = buf;
    size_t l = strlen(name);
    while (p && *p) {
        if (strncmp(p, name, l) == 0)
            n++;
        p = strstr(p, "\r\n");
        if (p)
            p += 2;
    }
    return n;
}

static void test_crlf_in_verb(void)
{
    HINTERNET ses = open_session(), con, req;
    WINHTTP_PORTABLE_DIAGNOSTICS d;
    const WCHAR *verbs[] = {L"GET\r\nX-Injected: 1", L"GET\n", L"G\rET", L"GET /x HTTP/1.1\r\n\r\nGET"};
    size_t i;

    con = WinHttpConnect(ses, L"127.0.0.1", raw_port, 0);
    for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
        req = WinHttpOpenRequest(con, verbs[i], L"/raw/echo", NULL, WINHTTP_NO_REFERER, WINHTTP_DEFAULT_ACCEPT_TYPES,
                                 0);
        CHECK(req != NULL);
        CHECK_FAILS(WinHttpSendRequest(req, WINHTTP_NO_ADDITIONAL_HEADERS, 0, WINHTTP_NO_REQUEST_DATA, 0, 0, 0),
                    ERROR_INVALID_PARAMETER);
        /* Refused before a connection was made: nothing went anywhere. */
        d = diagnostics();
        CHECK_EQ(d.dwOpenSockets, d.dwPooledConnections);
        WinHttpCloseHandle(req);
    }
    WinHttpCloseHandle(con);
    WinHttpCloseHandle(ses);
}

static void test_crlf_in_path(void)
{
    HINTERNET ses = open_session(), con, req;
    char buf[8192];
    int len;

    con = WinHttpConnect(ses, L"127.0.0.1", raw_port, 0);
    req = WinHttpOpenRequest(con, L"GET", L"/raw/echo\r\nX-Injected: 1\r\n\r\nGET /x", NULL, WINHTTP_NO_REFERER,
                             WINHTTP_DEFAULT_ACCEPT_TYPES, 0);
    len = echo(req, buf, sizeof(buf));
    CHECK(len > 0);
    if (len > 0) {
        CHECK(lines_clean(buf, len));
        CHECK(strncmp(buf, "GET /raw/echo%0D%0AX-Injected:%201%0D%0A%0D%0AGET%20/x HTTP/1.1\r\n", 64) == 0);
        CHECK_EQ(lines_starting(buf, "X-Injected"), 0);
    }
    WinHttpCloseHandle(req);

    /* The query part too. */
    req = WinHttpOpenRequest(con, L"GET", L"/raw/echo?a=1\nX-Injected: 1", NULL, WINHTTP_NO_REFERER,
                             WINHTTP_DEFAULT_ACCEPT_TYPES, 0);
    len = echo(req, buf, sizeof(buf));
    CHECK(len > 0);
    if (len > 0) {
        CHECK(lines_clean(buf, len));
        CHECK_EQ(lines_starting(buf, "X-Injected"), 0);
    }
    WinHttpCloseHandle(req);

    /* WINHTTP_FLAG_ESCAPE_DISABLE sends the path raw, but a raw CR or LF never goes out: Windows
     * drops them (Wine's test_request_path_escapes), so the request is not split. */
    req = WinHttpOpenRequest(con, L"GET", L"/raw/echo\r\nX-Injected: 1", NULL, WINHTTP_NO_REFERER,
                             WINHTTP_DEFAULT_ACCEPT_TYPES, WINHTTP_FLAG_ESCAPE_DISABLE);
    len = echo(req, buf, sizeof(buf));
    CHECK(len > 0);
    if (len > 0) {
        CHECK(lines_clean(buf, len));
        CHECK(strncmp(buf, "GET /raw/echoX-Injected:%201 HTTP/1.1\r\n", 39) == 0);
        CHECK_EQ(lines_starting(buf, "X-Injected"), 0);
    }
    WinHttpCloseHandle(req);
    WinHttpCloseHandle(con);
    WinHttpCloseHandle(ses);
}

static void test_crlf_in_headers(void)
{
    HINTERNET ses = open_session(), con, req;
    const WCHAR *accept[] = {L"text/plain\r\nX-Injected: 1", L"text/html", NULL};
    char buf[8192];
    int len;

    con = WinHttpConnect(ses, L"127.0.0.1", raw_port, 0);

    /* Header text is split at CR/LF (even a bare CR): each piece is its own well-formed header. */
    req = WinHttpOpenRequest(con, L"GET", L"/raw/echo", NULL, WINHTTP_NO_REFERER, WINHTTP_DEFAULT_ACCEPT_TYPES, 0);
    CHECK_OK(WinHttpAddRequestHeaders(req, L"X-One: a\rX-Two: b\nX-Three: c", (DWORD)-1L, WINHTTP_ADDREQ_FLAG_ADD));
    /* A piece that is not "Name: Value" fails the call. */
    CHECK_FAILS(WinHttpAddRequestHeaders(req, L"X-Four: d\r\nnot a header", (DWORD)-1L, WINHTTP_ADDREQ_FLAG_ADD),
                ERROR_WINHTTP_INVALID_HEADER);
    CHECK_FAILS(WinHttpAddRequestHeaders(req, L"X-Bad\r\nName: d", (DWORD)-1L, WINHTTP_ADDREQ_FLAG_ADD),
                ERROR_WINHTTP_INVALID_HEADER);
    len = echo(req, buf, sizeof(buf));
    CHECK(len > 0);
    if (len > 0) {
        CHECK(lines_clean(buf, len));
        CHECK(strstr(buf, "\r\nX-One: a\r\n") != NULL);
        CHECK(strstr(buf, "\r\nX-Two: b\r\n") != NULL);
        CHECK(strstr(buf, "\r\nX-Three: c\r\n") != NULL);
        CHECK_EQ(lines_starting(buf, "not a header"), 0);
        CHECK_EQ(lines_starting(buf, "X-Bad"), 0);
    }
    WinHttpCloseHandle(req);

    /* The same through WinHttpSendRequest's header argument. */
    req = WinHttpOpenRequest(con, L"GET", L"/raw/echo", NULL, WINHTTP_NO_REFERER, WINHTTP_DEFAULT_ACCEPT_TYPES, 0);
    CHECK_FAILS(WinHttpSendRequest(req, L"X-Five: e\r\nno colon here", (DWORD)-1L, WINHTTP_NO_REQUEST_DATA, 0, 0, 0),
                ERROR_WINHTTP_INVALID_HEADER);
    WinHttpCloseHandle(req);

    /* Accept types and referrer with CR/LF are dropped; so is a user agent. */
    CHECK_OK(WinHttpSetOption(ses, WINHTTP_OPTION_USER_AGENT, L"agent\r\nX-Injected: 1", 20));
    req = WinHttpOpenRequest(con, L"GET", L"/raw/echo", NULL, L"http://referrer.example/\r\nX-Injected: 1", accept, 0);
    len = echo(req, buf, sizeof(buf));
    CHECK(len > 0);
    if (len > 0) {
        CHECK(lines_clean(buf, len));
        CHECK_EQ(lines_starting(buf, "X-Injected"), 0);
        CHECK(strstr(buf, "\r\nAccept: text/html\r\n") != NULL);
    }
    WinHttpCloseHandle(req);
    WinHttpCloseHandle(con);
    WinHttpCloseHandle(ses);
}

static void test_size_caps_by_default(void)
{
    HINTERNET ses = open_session(), con, req;
    DWORD value, size = sizeof(value);

    con = WinHttpConnect(ses, L"127.0.0.1", http_port, 0);
    req = WinHttpOpenRequest(con, L"GET", L"/redirect/302?to=/hello&pad=2000000", NULL, WINHTTP_NO_REFERER,
                             WINHTTP_DEFAULT_ACCEPT_TYPES, 0);
    CHECK_OK(WinHttpQueryOption(ses, WINHTTP_OPTION_MAX_RESPONSE_HEADER_SIZE, &value, &size));
    CHECK_EQ(value, 64 * 1024);
    CHECK_OK(WinHttpQueryOption(req, WINHTTP_OPTION_MAX_RESPONSE_DRAIN_SIZE, &value, &size));
    CHECK_EQ(value, 1024 * 1024);
    /* A 2 MB redirect body is more than the default drain allows. */
    CHECK_OK(WinHttpSendRequest(req, WINHTTP_NO_ADDITIONAL_HEADERS, 0, WINHTTP_NO_REQUEST_DATA, 0, 0, 0));
    CHECK_FAILS(WinHttpReceiveResponse(req, NULL), ERROR_WINHTTP_RESPONSE_DRAIN_OVERFLOW);
    WinHttpCloseHandle(req);
    WinHttpCloseHandle(con);
    WinHttpCloseHandle(ses);
}

static void test_no_smuggling_after_cl_te(void)
{
    HINTERNET ses = open_session(), con;
    struct run_spec clte = {L"GET", L"/raw/cl-te-smuggle", 0};
    struct outcome o;
    WINHTTP_PORTABLE_DIAGNOSTICS d;

    close_idle_connections();
    con = WinHttpConnect(ses, L"127.0.0.1", raw_port, 0);
    o = run_sync(con, &clte);
    CHECK_EQ(o.api, 0);
    CHECK_EQ(o.body, 5); /* "hello": the chunked framing, not Content-Length's */
    d = diagnostics();
    CHECK_EQ(d.dwPooledConnections, 0);
    CHECK_EQ(d.dwOpenSockets, 0);
    WinHttpCloseHandle(con);
    WinHttpCloseHandle(ses);
}

static void test_sizes_near_the_limits(void)
{
    HINTERNET ses = open_session(), con, req;
    struct run_spec max_len = {L"GET", L"/raw/length-max", 0}, over_len = {L"GET", L"/raw/length-overflow", 0},
                    chunk = {L"GET", L"/raw/chunk-size-overflow", 0};
    struct outcome o;
    DWORD avail = 0, got = 0, size;
    unsigned long long length64 = 0;
    char buf[64];

    con = WinHttpConnect(ses, L"127.0.0.1", raw_port, 0);
    /* Content-Length 2^64-1 with 10 bytes, then the server closes: the bytes, then the truncation. */
    req = WinHttpOpenRequest(con, L"GET", L"/raw/length-max", NULL, WINHTTP_NO_REFERER, WINHTTP_DEFAULT_ACCEPT_TYPES,
                             0);
    CHECK_OK(WinHttpSendRequest(req, WINHTTP_NO_ADDITIONAL_HEADERS, 0, WINHTTP_NO_REQUEST_DATA, 0, 0, 0));
    CHECK_OK(WinHttpReceiveResponse(req, NULL));
    /* The 32-bit query cannot hold it; the 64-bit one can. */
    size = sizeof(length64);
    CHECK_OK(WinHttpQueryHeaders(req, WINHTTP_QUERY_CONTENT_LENGTH | WINHTTP_QUERY_FLAG_NUMBER64,
                                 WINHTTP_HEADER_NAME_BY_INDEX, &length64, &size, WINHTTP_NO_HEADER_INDEX));
    CHECK(length64 == 18446744073709551615ULL);
    /* Never more than what is there. */
    CHECK_OK(WinHttpQueryDataAvailable(req, &avail));
    CHECK(avail >= 1 && avail <= 10);
    CHECK_OK(WinHttpReadData(req, buf, sizeof(buf), &got));
    CHECK_EQ(got, avail);
    WinHttpCloseHandle(req);
    o = run_sync(con, &max_len);
    CHECK_EQ(o.api, API_QUERY_DATA_AVAILABLE);
    CHECK_EQ(o.error, ERROR_WINHTTP_CONNECTION_ERROR);
    CHECK_EQ(o.body, 10);
    /* 2^64 does not fit: the response cannot be framed. */
    o = run_sync(con, &over_len);
    CHECK_EQ(o.api, API_RECEIVE_RESPONSE);
    CHECK_EQ(o.error, ERROR_WINHTTP_INVALID_SERVER_RESPONSE);
    o = run_sync(con, &chunk);
    CHECK_EQ(o.api, API_QUERY_DATA_AVAILABLE);
    CHECK_EQ(o.error, ERROR_WINHTTP_INVALID_SERVER_RESPONSE);
    WinHttpCloseHandle(con);
    WinHttpCloseHandle(ses);
}

int main(void)
{
    raw_port = (INTERNET_PORT)harness_env_int("WINHTTP_TEST_RAW_PORT", 0);
    http_port = (INTERNET_PORT)harness_env_int("WINHTTP_TEST_PORT", 0);
    CHECK(raw_port && http_port);
    test_crlf_in_verb();
    test_crlf_in_path();
    test_crlf_in_headers();
    test_size_caps_by_default();
    test_no_smuggling_after_cl_te();
    test_sizes_near_the_limits();
    return harness_report();
}
