/*
 * Automatic redirects: 301, 302, 303 (turns into GET), 307 and 308 (keep the method and re-send
 * the body), loops and WINHTTP_OPTION_MAX_HTTP_AUTOMATIC_REDIRECTS, WINHTTP_DISABLE_REDIRECTS and
 * the NEVER redirect policy, WINHTTP_OPTION_URL after redirects.
 *
 * WINHTTP_TEST_PORT is the HTTP server: /redirect/N?to=URL answers N with Location: URL,
 * /redirect-loop redirects to itself, /redirect-chain/N takes N redirects to a 200.
 */
#include <winhttp.h>
#include "harness.h"

static INTERNET_PORT http_port;

/* Whether `s` ends with `suffix` (NULL-safe). */
static int ends_with(const char *s, const char *suffix)
{
    size_t n = s ? strlen(s) : 0, m = strlen(suffix);
    return s && n >= m && strcmp(s + n - m, suffix) == 0;
}

static HINTERNET open_session(void)
{
    HINTERNET ses = WinHttpOpen(L"winhttp-test/1.0", WINHTTP_ACCESS_TYPE_NO_PROXY, WINHTTP_NO_PROXY_NAME,
                                WINHTTP_NO_PROXY_BYPASS, 0);
    if (ses)
        WinHttpSetTimeouts(ses, 10000, 10000, 10000, 10000);
    return ses;
}

static HINTERNET open_request(HINTERNET con, const WCHAR *verb, const WCHAR *path)
{
    return WinHttpOpenRequest(con, verb, path, NULL, WINHTTP_NO_REFERER, WINHTTP_DEFAULT_ACCEPT_TYPES, 0);
}

static DWORD query_status(HINTERNET req)
{
    DWORD value = 0, size = sizeof(value);
    if (!WinHttpQueryHeaders(req, WINHTTP_QUERY_STATUS_CODE | WINHTTP_QUERY_FLAG_NUMBER, WINHTTP_HEADER_NAME_BY_INDEX,
                             &value, &size, WINHTTP_NO_HEADER_INDEX))
        return 0;
    return value;
}

/* The whole body, malloc'd and NUL-terminated, or NULL. */
static char *read_body(HINTERNET req)
{
    size_t cap = 65536, len = 0;
    char *buf = malloc(cap + 1);
    int i;
    for (i = 0; i < 100000; i++) {
        DWORD avail = 0, got = 0;
        if (!WinHttpQueryDataAvailable(req, &avail)) {
            free(buf);
            return NULL;
        }
        if (!avail)
            break;
        if (len + avail > cap) {
            while (len + avail > cap)
                cap *= 2;
            buf = realloc(buf, cap + 1);
        }
        if (!WinHttpReadData(req, buf + len, avail, &got)) {
            free(buf);
            return NULL;
        }
        if (!got)
            break;
        len += got;
    }
    buf[len] = 0;
    return buf;
}

/* The request's WINHTTP_OPTION_URL, in a static buffer. */
static const WCHAR *request_url(HINTERNET req)
{
    static WCHAR url[512];
    DWORD size = sizeof(url);
    if (!WinHttpQueryOption(req, WINHTTP_OPTION_URL, url, &size))
        return L"(WinHttpQueryOption failed)";
    return url;
}

/* Sends `verb path` with optional `data`; returns the final status (0 on failure, last error kept). */
static DWORD send_request(HINTERNET req, const char *data)
{
    DWORD n = data ? (DWORD)strlen(data) : 0;
    if (!WinHttpSendRequest(req, WINHTTP_NO_ADDITIONAL_HEADERS, 0, (LPVOID)data, n, n, 0))
        return 0;
    if (!WinHttpReceiveResponse(req, NULL))
        return 0;
    return query_status(req);
}

static void test_follow_each_status(void)
{
    static const WCHAR *paths[] = {L"/redirect/301", L"/redirect/302", L"/redirect/303", L"/redirect/307",
                                   L"/redirect/308"};
    HINTERNET ses = open_session(), con, req;
    WCHAR expected[128];
    char *body;
    size_t i;

    con = WinHttpConnect(ses, L"127.0.0.1", http_port, 0);
    harness_swprintf(expected, 128, L"http://127.0.0.1:%u/hello", (unsigned)http_port);
    for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        req = open_request(con, L"GET", paths[i]);
        SetLastError(0xdeadbeef);
        CHECK_EQ(send_request(req, NULL), 200);
        CHECK_EQ(GetLastError(), ERROR_SUCCESS);
        CHECK_WSTR(request_url(req), expected);
        body = read_body(req);
        CHECK(body && strcmp(body, "Hello, world!") == 0);
        free(body);
        WinHttpCloseHandle(req);
    }
    WinHttpCloseHandle(con);
    WinHttpCloseHandle(ses);
}

static void test_method_and_body_rules(void)
{
    HINTERNET ses = open_session(), con, req;
    char *body;

    con = WinHttpConnect(ses, L"127.0.0.1", http_port, 0);

    /* 303 turns a POST into a GET without a body. */
    req = open_request(con, L"POST", L"/redirect/303?to=/echo");
    CHECK_EQ(send_request(req, "post data"), 200);
    body = read_body(req);
    CHECK(body && strncmp(body, "GET /echo HTTP/1.1\n", 19) == 0);
    CHECK(body && strstr(body, "post data") == NULL);
    CHECK(body && strstr(body, "content-length") == NULL);
    free(body);
    WinHttpCloseHandle(req);

    /* 307 and 308 keep the method and send the body again. */
    req = open_request(con, L"POST", L"/redirect/307?to=/echo");
    CHECK_EQ(send_request(req, "post body 307"), 200);
    body = read_body(req);
    CHECK(body && strncmp(body, "POST /echo HTTP/1.1\n", 20) == 0);
    CHECK(body && strstr(body, "\ncontent-length: 13\n") != NULL);
    CHECK(ends_with(body, "\n\npost body 307"));
    free(body);
    WinHttpCloseHandle(req);
    req = open_request(con, L"PUT", L"/redirect/308?to=/echo%3Fafter%3D308");
    CHECK_EQ(send_request(req, "put body 308"), 200);
    body = read_body(req);
    CHECK(body && strncmp(body, "PUT /echo?after=308 HTTP/1.1\n", 29) == 0);
    CHECK(ends_with(body, "\n\nput body 308"));
    free(body);
    WinHttpCloseHandle(req);
    WinHttpCloseHandle(con);
    WinHttpCloseHandle(ses);
}

/* An absolute Location to another host name: WINHTTP_OPTION_URL follows it. */
static void test_absolute_location(void)
{
    HINTERNET ses = open_session(), con, req;
    WCHAR path[128], expected[128];
    char *body;

    con = WinHttpConnect(ses, L"127.0.0.1", http_port, 0);
    harness_swprintf(path, 128, L"/redirect/302?to=http://localhost:%u/echo?moved=1", (unsigned)http_port);
    harness_swprintf(expected, 128, L"http://localhost:%u/echo?moved=1", (unsigned)http_port);
    req = open_request(con, L"GET", path);
    CHECK_EQ(send_request(req, NULL), 200);
    CHECK_WSTR(request_url(req), expected);
    body = read_body(req);
    CHECK(body && strncmp(body, "GET /echo?moved=1 HTTP/1.1\n", 27) == 0);
    CHECK(body && strstr(body, "\nhost: localhost:") != NULL);
    free(body);
    WinHttpCloseHandle(req);
    WinHttpCloseHandle(con);
    WinHttpCloseHandle(ses);
}

/* Credentials added by the caller follow a redirect on the same server, never to another one. */
static void test_credentials_stay_with_their_server(void)
{
    HINTERNET ses = open_session(), con, req;
    WCHAR path[160];
    char *body;

    con = WinHttpConnect(ses, L"127.0.0.1", http_port, 0);

    /* Same scheme, host and port: kept. */
    req = open_request(con, L"GET", L"/redirect/302?to=/echo");
    CHECK(WinHttpAddRequestHeaders(req, L"Authorization: Basic dXNlcjpwd2Q=\r\nCookie: a=1", (DWORD)-1L,
                                   WINHTTP_ADDREQ_FLAG_ADD));
    CHECK_EQ(send_request(req, NULL), 200);
    body = read_body(req);
    CHECK(body && strstr(body, "\nauthorization: Basic dXNlcjpwd2Q=\n") != NULL);
    CHECK(body && strstr(body, "\ncookie: a=1\n") != NULL);
    free(body);
    WinHttpCloseHandle(req);

    /* Another host name: dropped. */
    harness_swprintf(path, 160, L"/redirect/302?to=http://localhost:%u/echo", (unsigned)http_port);
    req = open_request(con, L"GET", path);
    CHECK(WinHttpAddRequestHeaders(req, L"Authorization: Basic dXNlcjpwd2Q=\r\nCookie: a=1\r\nX-Kept: yes",
                                   (DWORD)-1L, WINHTTP_ADDREQ_FLAG_ADD));
    CHECK_EQ(send_request(req, NULL), 200);
    body = read_body(req);
    CHECK(body && strncmp(body, "GET /echo HTTP/1.1\n", 19) == 0);
    CHECK(body && strstr(body, "authorization:") == NULL);
    CHECK(body && strstr(body, "cookie:") == NULL);
    CHECK(body && strstr(body, "\nx-kept: yes\n") != NULL);
    free(body);
    WinHttpCloseHandle(req);
    WinHttpCloseHandle(con);
    WinHttpCloseHandle(ses);
}

static void test_loops_and_limits(void)
{
    HINTERNET ses = open_session(), con, req;
    DWORD max;
    char *body;

    con = WinHttpConnect(ses, L"127.0.0.1", http_port, 0);

    /* A redirect loop ends in ERROR_WINHTTP_REDIRECT_FAILED. */
    req = open_request(con, L"GET", L"/redirect-loop");
    CHECK_OK(WinHttpSendRequest(req, WINHTTP_NO_ADDITIONAL_HEADERS, 0, WINHTTP_NO_REQUEST_DATA, 0, 0, 0));
    CHECK_FAILS(WinHttpReceiveResponse(req, NULL), ERROR_WINHTTP_REDIRECT_FAILED);
    WinHttpCloseHandle(req);

    /* Three redirects with a limit of two fail; two are fine. */
    req = open_request(con, L"GET", L"/redirect-chain/3");
    max = 2;
    CHECK_OK(WinHttpSetOption(req, WINHTTP_OPTION_MAX_HTTP_AUTOMATIC_REDIRECTS, &max, sizeof(max)));
    CHECK_OK(WinHttpSendRequest(req, WINHTTP_NO_ADDITIONAL_HEADERS, 0, WINHTTP_NO_REQUEST_DATA, 0, 0, 0));
    CHECK_FAILS(WinHttpReceiveResponse(req, NULL), ERROR_WINHTTP_REDIRECT_FAILED);
    WinHttpCloseHandle(req);
    req = open_request(con, L"GET", L"/redirect-chain/2");
    CHECK_OK(WinHttpSetOption(req, WINHTTP_OPTION_MAX_HTTP_AUTOMATIC_REDIRECTS, &max, sizeof(max)));
    CHECK_EQ(send_request(req, NULL), 200);
    body = read_body(req);
    CHECK(body && strcmp(body, "chain end") == 0);
    free(body);
    WinHttpCloseHandle(req);
    WinHttpCloseHandle(con);
    WinHttpCloseHandle(ses);
}

/* With redirects disabled (feature or policy), the caller gets the 3xx itself. */
static void test_redirects_disabled(void)
{
    HINTERNET ses = open_session(), con, req;
    WCHAR loc[128], expected[128];
    DWORD value, size;
    char *body;

    con = WinHttpConnect(ses, L"127.0.0.1", http_port, 0);
    harness_swprintf(expected, 128, L"http://127.0.0.1:%u/redirect/302?to=/echo", (unsigned)http_port);

    req = open_request(con, L"GET", L"/redirect/302?to=/echo");
    value = WINHTTP_DISABLE_REDIRECTS;
    CHECK_OK(WinHttpSetOption(req, WINHTTP_OPTION_DISABLE_FEATURE, &value, sizeof(value)));
    CHECK_EQ(send_request(req, NULL), 302);
    size = sizeof(loc);
    CHECK(WinHttpQueryHeaders(req, WINHTTP_QUERY_LOCATION, WINHTTP_HEADER_NAME_BY_INDEX, loc, &size,
                              WINHTTP_NO_HEADER_INDEX));
    CHECK_WSTR(loc, L"/echo");
    CHECK_WSTR(request_url(req), expected);
    body = read_body(req);
    CHECK(body && strcmp(body, "redirect\n") == 0);
    free(body);
    WinHttpCloseHandle(req);

    req = open_request(con, L"GET", L"/redirect/302?to=/echo");
    value = WINHTTP_OPTION_REDIRECT_POLICY_NEVER;
    CHECK_OK(WinHttpSetOption(req, WINHTTP_OPTION_REDIRECT_POLICY, &value, sizeof(value)));
    CHECK_EQ(send_request(req, NULL), 302);
    CHECK_WSTR(request_url(req), expected);
    WinHttpCloseHandle(req);

    /* The default policy is DISALLOW_HTTPS_TO_HTTP. */
    req = open_request(con, L"GET", L"/hello");
    value = 0xdeadbeef;
    size = sizeof(value);
    CHECK(WinHttpQueryOption(req, WINHTTP_OPTION_REDIRECT_POLICY, &value, &size));
    CHECK_EQ(value, WINHTTP_OPTION_REDIRECT_POLICY_DISALLOW_HTTPS_TO_HTTP);
    WinHttpCloseHandle(req);
    WinHttpCloseHandle(con);
    WinHttpCloseHandle(ses);
}

int main(void)
{
    http_port = (INTERNET_PORT)harness_env_int("WINHTTP_TEST_PORT", 0);
    if (!http_port)
        printf("WINHTTP_TEST_PORT not set: run through tests/c_suite.rs\n");
    CHECK(http_port != 0);
    test_follow_each_status();
    test_method_and_body_rules();
    test_absolute_location();
    test_credentials_stay_with_their_server();
    test_loops_and_limits();
    test_redirects_disabled();
    return harness_report();
}
