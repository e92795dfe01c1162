/*
 * The engine against real servers: GET/POST/PUT round trips, WinHttpWriteData uploads, response
 * headers through WinHttpQueryHeaders, special statuses (204, 304, HEAD, 101, 401), the
 * QueryDataAvailable/ReadData loop, chunked and close-delimited bodies, calls out of order, and the
 * escaping of the request path at send time.
 *
 * The test runner starts the servers and passes their ports: WINHTTP_TEST_PORT (an HTTP/1.1
 * server with /hello, /echo, /upload, ...) and WINHTTP_TEST_RAW_PORT (a scripted raw-TCP server;
 * /raw/echo answers with the request bytes exactly as received).
 */
#include <winhttp.h>
#include "harness.h"

static INTERNET_PORT http_port, raw_port;

static void read_ports(void)
{
    http_port = (INTERNET_PORT)harness_env_int("WINHTTP_TEST_PORT", 0);
    raw_port = (INTERNET_PORT)harness_env_int("WINHTTP_TEST_RAW_PORT", 0);
    if (!http_port || !raw_port)
        printf("WINHTTP_TEST_PORT / WINHTTP_TEST_RAW_PORT not set: run through tests/c_suite.rs\n");
    CHECK(http_port != 0);
    CHECK(raw_port != 0);
}

/* Whether `s` ends with `suffix` (NULL-safe). */
static int ends_with(const char *s, const char *suffix)
{
    size_t n = s ? strlen(s) : 0, m = strlen(suffix);
    return s && n >= m && strcmp(s + n - m, suffix) == 0;
}

/* A session with bounded timeouts, so that no test can hang. */
static HINTERNET open_session(void)
{
    HINTERNET ses = WinHttpOpen(L"winhttp-test/1.0", WINHTTP_ACCESS_TYPE_NO_PROXY, WINHTTP_NO_PROXY_NAME,
                                WINHTTP_NO_PROXY_BYPASS, 0);
    if (ses)
        WinHttpSetTimeouts(ses, 10000, 10000, 10000, 10000);
    return ses;
}

static HINTERNET open_request(HINTERNET con, const WCHAR *verb, const WCHAR *path, DWORD flags)
{
    return WinHttpOpenRequest(con, verb, path, NULL, WINHTTP_NO_REFERER, WINHTTP_DEFAULT_ACCEPT_TYPES, flags);
}

/* Sends a request without extra headers or data and waits for the response. */
static int send_and_receive(HINTERNET req)
{
    return WinHttpSendRequest(req, WINHTTP_NO_ADDITIONAL_HEADERS, 0, WINHTTP_NO_REQUEST_DATA, 0, 0, 0) &&
           WinHttpReceiveResponse(req, NULL);
}

static DWORD query_number(HINTERNET req, DWORD level)
{
    DWORD value = 0xdeadbeef, size = sizeof(value);
    if (!WinHttpQueryHeaders(req, level | WINHTTP_QUERY_FLAG_NUMBER, WINHTTP_HEADER_NAME_BY_INDEX, &value, &size,
                             WINHTTP_NO_HEADER_INDEX))
        return 0xdeadbeef;
    return value;
}

/* A response header as a string (in a static buffer), or NULL. */
static const WCHAR *query_string(HINTERNET req, DWORD level, const WCHAR *name, DWORD *index)
{
    static WCHAR buf[4096];
    DWORD size = sizeof(buf);
    if (!WinHttpQueryHeaders(req, level, name, buf, &size, index))
        return NULL;
    return buf;
}

/* Reads the whole body with QueryDataAvailable/ReadData. Returns a malloc'd NUL-terminated buffer,
 * or NULL when a call failed (its last error is kept). */
static char *read_body(HINTERNET req, DWORD *total)
{
    size_t cap = 65536, len = 0;
    char *buf = malloc(cap + 1);
    int i;
    *total = 0;
    for (i = 0; i < 1000000; i++) {
        DWORD avail = 0, got = 0;
        if (!WinHttpQueryDataAvailable(req, &avail)) {
            free(buf);
            return NULL;
        }
        if (avail == 0)
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
        if (got == 0)
            break;
        len += got;
    }
    buf[len] = 0;
    *total = (DWORD)len;
    return buf;
}

/* FNV-1a 64-bit, as /upload reports it. */
static unsigned long long fnv1a64(unsigned long long h, const unsigned char *p, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

static void test_get_hello(void)
{
    HINTERNET ses, con, req;
    DWORD size, index, value, total;
    WCHAR buf[256];
    SYSTEMTIME st;
    const WCHAR *s;
    char *body;

    ses = open_session();
    /* "localhost" must work whichever address family the server listens on (here 127.0.0.1). */
    CHECK_OK(con = WinHttpConnect(ses, L"localhost", http_port, 0));
    CHECK_OK(req = open_request(con, L"GET", L"/hello", 0));

    /* Response headers are not there before the response. */
    size = sizeof(value);
    CHECK_FAILS(WinHttpQueryHeaders(req, WINHTTP_QUERY_STATUS_CODE | WINHTTP_QUERY_FLAG_NUMBER,
                                    WINHTTP_HEADER_NAME_BY_INDEX, &value, &size, WINHTTP_NO_HEADER_INDEX),
                ERROR_WINHTTP_INCORRECT_HANDLE_STATE);

    SetLastError(0xdeadbeef);
    CHECK_OK(WinHttpSendRequest(req, WINHTTP_NO_ADDITIONAL_HEADERS, 0, WINHTTP_NO_REQUEST_DATA, 0, 0, 0));
    CHECK_FAILS(WinHttpQueryHeaders(req, WINHTTP_QUERY_STATUS_CODE | WINHTTP_QUERY_FLAG_NUMBER,
                                    WINHTTP_HEADER_NAME_BY_INDEX, &value, &size, WINHTTP_NO_HEADER_INDEX),
                ERROR_WINHTTP_INCORRECT_HANDLE_STATE);
    SetLastError(0xdeadbeef);
    CHECK_OK(WinHttpReceiveResponse(req, NULL));

    /* Status code as a number: a DWORD, and the size says so. */
    value = 0;
    size = sizeof(value);
    CHECK(WinHttpQueryHeaders(req, WINHTTP_QUERY_STATUS_CODE | WINHTTP_QUERY_FLAG_NUMBER,
                              WINHTTP_HEADER_NAME_BY_INDEX, &value, &size, WINHTTP_NO_HEADER_INDEX));
    CHECK_EQ(value, 200);
    CHECK_EQ(size, sizeof(DWORD));
    CHECK_WSTR(query_string(req, WINHTTP_QUERY_STATUS_CODE, WINHTTP_HEADER_NAME_BY_INDEX, NULL), L"200");
    CHECK_WSTR(query_string(req, WINHTTP_QUERY_STATUS_TEXT, WINHTTP_HEADER_NAME_BY_INDEX, NULL), L"OK");
    CHECK_WSTR(query_string(req, WINHTTP_QUERY_VERSION, WINHTTP_HEADER_NAME_BY_INDEX, NULL), L"HTTP/1.1");
    CHECK_EQ(query_number(req, WINHTTP_QUERY_CONTENT_LENGTH), 13);
    CHECK_WSTR(query_string(req, WINHTTP_QUERY_CONTENT_LENGTH, WINHTTP_HEADER_NAME_BY_INDEX, NULL), L"13");
    {
        ULONGLONG len64 = 0;
        size = sizeof(len64);
        CHECK(WinHttpQueryHeaders(req, WINHTTP_QUERY_CONTENT_LENGTH | WINHTTP_QUERY_FLAG_NUMBER64,
                                  WINHTTP_HEADER_NAME_BY_INDEX, &len64, &size, WINHTTP_NO_HEADER_INDEX));
        CHECK_EQ(len64, 13);
        CHECK_EQ(size, sizeof(ULONGLONG));
    }
    CHECK_WSTR(query_string(req, WINHTTP_QUERY_CONTENT_TYPE, WINHTTP_HEADER_NAME_BY_INDEX, NULL), L"text/plain");

    /* Sizes are bytes: without the terminator on success, with it when the buffer is too small. */
    size = 0;
    CHECK_FAILS(WinHttpQueryHeaders(req, WINHTTP_QUERY_STATUS_TEXT, WINHTTP_HEADER_NAME_BY_INDEX,
                                    WINHTTP_NO_OUTPUT_BUFFER, &size, WINHTTP_NO_HEADER_INDEX),
                ERROR_INSUFFICIENT_BUFFER);
    CHECK_EQ(size, 3 * sizeof(WCHAR));
    size = sizeof(buf);
    CHECK(WinHttpQueryHeaders(req, WINHTTP_QUERY_STATUS_TEXT, WINHTTP_HEADER_NAME_BY_INDEX, buf, &size,
                              WINHTTP_NO_HEADER_INDEX));
    CHECK_EQ(size, 2 * sizeof(WCHAR));

    /* A repeated header by index; the index moves on success only. Names match case-insensitively. */
    index = 0;
    CHECK_WSTR(query_string(req, WINHTTP_QUERY_CUSTOM, L"X-Repeat", &index), L"one");
    CHECK_EQ(index, 1);
    CHECK_WSTR(query_string(req, WINHTTP_QUERY_CUSTOM, L"x-REPEAT", &index), L"two");
    CHECK_EQ(index, 2);
    CHECK_WSTR(query_string(req, WINHTTP_QUERY_CUSTOM, L"X-Repeat", &index), L"three");
    CHECK_EQ(index, 3);
    size = sizeof(buf);
    CHECK_FAILS(WinHttpQueryHeaders(req, WINHTTP_QUERY_CUSTOM, L"X-Repeat", buf, &size, &index),
                ERROR_WINHTTP_HEADER_NOT_FOUND);
    CHECK_EQ(index, 3);
    index = 1;
    size = 0;
    CHECK_FAILS(WinHttpQueryHeaders(req, WINHTTP_QUERY_CUSTOM, L"X-Repeat", WINHTTP_NO_OUTPUT_BUFFER, &size,
                                    &index),
                ERROR_INSUFFICIENT_BUFFER);
    CHECK_EQ(size, 4 * sizeof(WCHAR));
    CHECK_EQ(index, 1);

    /* Absent headers, by name and by info level; the output is left alone. */
    size = sizeof(buf);
    CHECK_FAILS(WinHttpQueryHeaders(req, WINHTTP_QUERY_CUSTOM, L"X-Not-There", buf, &size, WINHTTP_NO_HEADER_INDEX),
                ERROR_WINHTTP_HEADER_NOT_FOUND);
    value = 0xdeadbeef;
    size = sizeof(value);
    CHECK_FAILS(WinHttpQueryHeaders(req, WINHTTP_QUERY_EXPIRES | WINHTTP_QUERY_FLAG_NUMBER,
                                    WINHTTP_HEADER_NAME_BY_INDEX, &value, &size, WINHTTP_NO_HEADER_INDEX),
                ERROR_WINHTTP_HEADER_NOT_FOUND);
    CHECK_EQ(value, 0xdeadbeef);
    /* No redirect happened, so there is no original URI. */
    size = sizeof(buf);
    CHECK_FAILS(WinHttpQueryHeaders(req, WINHTTP_QUERY_ORIG_URI, WINHTTP_HEADER_NAME_BY_INDEX, buf, &size,
                                    WINHTTP_NO_HEADER_INDEX),
                ERROR_WINHTTP_HEADER_NOT_FOUND);

    /* Dates as SYSTEMTIME: the fixed Last-Modified exactly, the server's Date plausibly. */
    memset(&st, 0, sizeof(st));
    size = sizeof(st);
    CHECK(WinHttpQueryHeaders(req, WINHTTP_QUERY_LAST_MODIFIED | WINHTTP_QUERY_FLAG_SYSTEMTIME,
                              WINHTTP_HEADER_NAME_BY_INDEX, &st, &size, WINHTTP_NO_HEADER_INDEX));
    CHECK_EQ(size, sizeof(SYSTEMTIME));
    CHECK_EQ(st.wYear, 1994);
    CHECK_EQ(st.wMonth, 11);
    CHECK_EQ(st.wDay, 6);
    CHECK_EQ(st.wDayOfWeek, 0);
    CHECK_EQ(st.wHour, 8);
    CHECK_EQ(st.wMinute, 49);
    CHECK_EQ(st.wSecond, 37);
    memset(&st, 0, sizeof(st));
    size = sizeof(st);
    CHECK(WinHttpQueryHeaders(req, WINHTTP_QUERY_DATE | WINHTTP_QUERY_FLAG_SYSTEMTIME, WINHTTP_HEADER_NAME_BY_INDEX,
                              &st, &size, WINHTTP_NO_HEADER_INDEX));
    CHECK(st.wYear >= 2024 && st.wMonth >= 1 && st.wMonth <= 12 && st.wDay >= 1 && st.wDay <= 31);
    s = query_string(req, WINHTTP_QUERY_DATE, WINHTTP_HEADER_NAME_BY_INDEX, NULL);
    CHECK(s && harness_wcslen(s) == 29 && harness_wcscmp(s + 26, L"GMT") == 0);

    /* The whole head, CRLF-separated: status line first, blank line last. */
    s = query_string(req, WINHTTP_QUERY_RAW_HEADERS_CRLF, WINHTTP_HEADER_NAME_BY_INDEX, NULL);
    CHECK(s && harness_wcsncmp(s, L"HTTP/1.1 200 OK\r\n", 17) == 0);
    CHECK(s && harness_wcslen(s) > 4 && harness_wcscmp(s + harness_wcslen(s) - 4, L"\r\n\r\n") == 0);
    CHECK(s && harness_wcsstr(s, L"\r\nx-repeat: two\r\n") != NULL);

    /* The body, then end of data again and again. */
    body = read_body(req, &total);
    CHECK(body != NULL);
    CHECK_EQ(total, 13);
    CHECK(body && strcmp(body, "Hello, world!") == 0);
    free(body);
    for (index = 0; index < 3; index++) {
        DWORD got = 0xdeadbeef, avail = 0xdeadbeef;
        SetLastError(0xdeadbeef);
        CHECK_OK(WinHttpReadData(req, buf, sizeof(buf), &got));
        CHECK_EQ(got, 0);
        SetLastError(0xdeadbeef);
        CHECK_OK(WinHttpQueryDataAvailable(req, &avail));
        CHECK_EQ(avail, 0);
    }
    CHECK_OK(WinHttpCloseHandle(req));
    CHECK_OK(WinHttpCloseHandle(con));
    CHECK_OK(WinHttpCloseHandle(ses));
}

/* The raw server's /raw/reason sends a head we know byte for byte. */
static void test_raw_headers_exact(void)
{
    static const WCHAR crlf[] = L"HTTP/1.1 200 Everything Is Fine\r\nContent-Length: 2\r\nX-Multi: a\r\n"
                                L"X-Multi: b\r\nConnection: close\r\n\r\n";
    static const WCHAR *lines[] = {L"HTTP/1.1 200 Everything Is Fine", L"Content-Length: 2", L"X-Multi: a",
                                   L"X-Multi: b", L"Connection: close"};
    HINTERNET ses, con, req;
    WCHAR buf[512];
    DWORD size, index, expected, total, i;
    const WCHAR *p;
    char *body;

    ses = open_session();
    con = WinHttpConnect(ses, L"127.0.0.1", raw_port, 0);
    req = open_request(con, L"GET", L"/raw/reason", 0);
    CHECK(send_and_receive(req));
    CHECK_EQ(query_number(req, WINHTTP_QUERY_STATUS_CODE), 200);
    CHECK_WSTR(query_string(req, WINHTTP_QUERY_STATUS_TEXT, WINHTTP_HEADER_NAME_BY_INDEX, NULL),
               L"Everything Is Fine");

    size = 0;
    CHECK_FAILS(WinHttpQueryHeaders(req, WINHTTP_QUERY_RAW_HEADERS_CRLF, WINHTTP_HEADER_NAME_BY_INDEX,
                                    WINHTTP_NO_OUTPUT_BUFFER, &size, WINHTTP_NO_HEADER_INDEX),
                ERROR_INSUFFICIENT_BUFFER);
    CHECK(size >= (harness_wcslen(crlf) + 1) * sizeof(WCHAR));
    size = sizeof(buf);
    CHECK(WinHttpQueryHeaders(req, WINHTTP_QUERY_RAW_HEADERS_CRLF, WINHTTP_HEADER_NAME_BY_INDEX, buf, &size,
                              WINHTTP_NO_HEADER_INDEX));
    CHECK_WSTR(buf, crlf);
    CHECK_EQ(size, harness_wcslen(crlf) * sizeof(WCHAR));

    /* RAW_HEADERS: NUL-separated lines, the length counting through the NUL after the last line,
     * and one more NUL after that. */
    expected = 0;
    for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
        expected += (DWORD)((harness_wcslen(lines[i]) + 1) * sizeof(WCHAR));
    memset(buf, 0xff, sizeof(buf));
    size = sizeof(buf);
    CHECK(WinHttpQueryHeaders(req, WINHTTP_QUERY_RAW_HEADERS, WINHTTP_HEADER_NAME_BY_INDEX, buf, &size,
                              WINHTTP_NO_HEADER_INDEX));
    CHECK_EQ(size, expected);
    p = buf;
    for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
        CHECK_WSTR(p, lines[i]);
        p += harness_wcslen(p) + 1;
    }
    CHECK(*p == 0);

    index = 0;
    CHECK_WSTR(query_string(req, WINHTTP_QUERY_CUSTOM, L"X-Multi", &index), L"a");
    CHECK_WSTR(query_string(req, WINHTTP_QUERY_CUSTOM, L"X-Multi", &index), L"b");
    CHECK_EQ(index, 2);
    CHECK_WSTR(query_string(req, WINHTTP_QUERY_CONNECTION, WINHTTP_HEADER_NAME_BY_INDEX, NULL), L"close");
    body = read_body(req, &total);
    CHECK(body && strcmp(body, "ok") == 0);
    free(body);
    WinHttpCloseHandle(req);

    /* An HTTP/1.0 server. */
    req = open_request(con, L"GET", L"/raw/http10", 0);
    CHECK(send_and_receive(req));
    CHECK_WSTR(query_string(req, WINHTTP_QUERY_VERSION, WINHTTP_HEADER_NAME_BY_INDEX, NULL), L"HTTP/1.0");
    body = read_body(req, &total);
    CHECK(body && strcmp(body, "hello") == 0);
    free(body);
    WinHttpCloseHandle(req);
    WinHttpCloseHandle(con);
    WinHttpCloseHandle(ses);
}

/* POSTs `data` to /echo with the given extra headers; returns the echo (malloc'd) or NULL. */
static char *echo_post(HINTERNET con, const WCHAR *verb, const WCHAR *headers, const char *data)
{
    HINTERNET req = open_request(con, verb, L"/echo", 0);
    DWORD n = data ? (DWORD)strlen(data) : 0, total;
    char *body = NULL;
    SetLastError(0xdeadbeef);
    if (WinHttpSendRequest(req, headers, headers ? (DWORD)-1L : 0, (LPVOID)data, n, n, 0) &&
        WinHttpReceiveResponse(req, NULL) && query_number(req, WINHTTP_QUERY_STATUS_CODE) == 200)
        body = read_body(req, &total);
    WinHttpCloseHandle(req);
    return body;
}

static void test_post_with_optional_data(void)
{
    HINTERNET ses, con, req;
    DWORD written, total;
    char *echo, host[64];

    ses = open_session();
    con = WinHttpConnect(ses, L"127.0.0.1", http_port, 0);

    echo = echo_post(con, L"POST", L"Content-Type: text/plain\r\nX-Custom: Some Value\r\n", "hello post");
    CHECK(echo != NULL);
    if (echo) {
        snprintf(host, sizeof(host), "\nhost: 127.0.0.1:%u\n", (unsigned)http_port);
        CHECK(strncmp(echo, "POST /echo HTTP/1.1\n", 20) == 0);
        CHECK(strstr(echo, host) != NULL);
        CHECK(strstr(echo, "\nuser-agent: winhttp-test/1.0\n") != NULL);
        CHECK(strstr(echo, "\ncontent-length: 10\n") != NULL);
        CHECK(strstr(echo, "\ncontent-type: text/plain\n") != NULL);
        CHECK(strstr(echo, "\nx-custom: Some Value\n") != NULL);
        CHECK(strstr(echo, "\ntransfer-encoding:") == NULL);
        CHECK(ends_with(echo, "\n\nhello post"));
    }
    free(echo);

    /* All of the body went with the send: writing more is past the total. */
    req = open_request(con, L"POST", L"/echo", 0);
    CHECK_OK(WinHttpSendRequest(req, WINHTTP_NO_ADDITIONAL_HEADERS, 0, "abcd", 4, 4, 0));
    written = 0xdeadbeef;
    CHECK_FAILS(WinHttpWriteData(req, "x", 1, &written), ERROR_INVALID_PARAMETER);
    /* (Windows 7+ leaves the count alone here; MSDN says it is zeroed first. Not checked.) */
    CHECK_OK(WinHttpReceiveResponse(req, NULL));
    echo = read_body(req, &total);
    CHECK(echo && strstr(echo, "\ncontent-length: 4\n") && ends_with(echo, "\n\nabcd"));
    free(echo);
    WinHttpCloseHandle(req);

    /* POST and PUT without a body send Content-Length: 0; GET sends no Content-Length. */
    echo = echo_post(con, L"POST", NULL, NULL);
    CHECK(echo && strstr(echo, "\ncontent-length: 0\n") != NULL);
    free(echo);
    echo = echo_post(con, L"PUT", NULL, NULL);
    CHECK(echo && strncmp(echo, "PUT /echo HTTP/1.1\n", 19) == 0 && strstr(echo, "\ncontent-length: 0\n") != NULL);
    free(echo);
    echo = echo_post(con, L"GET", NULL, NULL);
    CHECK(echo && strncmp(echo, "GET /echo HTTP/1.1\n", 19) == 0 && strstr(echo, "content-length") == NULL);
    free(echo);
    /* Headers given with an explicit length in characters, not NUL-terminated. */
    req = open_request(con, L"GET", L"/echo", 0);
    CHECK_OK(WinHttpSendRequest(req, L"X-One: 1\r\nX-Two: 2\r\nX-Not-Sent: 3", 20, WINHTTP_NO_REQUEST_DATA, 0, 0, 0));
    CHECK_OK(WinHttpReceiveResponse(req, NULL));
    echo = read_body(req, &total);
    CHECK(echo && strstr(echo, "\nx-one: 1\n") && strstr(echo, "\nx-two: 2\n") && !strstr(echo, "x-not-sent"));
    free(echo);
    WinHttpCloseHandle(req);
    WinHttpCloseHandle(con);
    WinHttpCloseHandle(ses);
}

/* PUT with a total length announced in WinHttpSendRequest and the body in many WinHttpWriteData
 * calls of varying sizes; /upload reports the length and FNV-1a hash it received. */
static void test_put_many_writes(void)
{
    const DWORD total_len = 4 * 1024 * 1024 + 123;
    HINTERNET ses, con, req;
    unsigned char *data;
    DWORD i, off, n, written, total, calls = 0, failures = 0;
    char expected[64], *body;

    data = malloc(total_len);
    for (i = 0; i < total_len; i++)
        data[i] = (unsigned char)(i * 7 + (i >> 13));
    snprintf(expected, sizeof(expected), "%lu %016llx", (unsigned long)total_len,
             fnv1a64(0xcbf29ce484222325ULL, data, total_len));

    ses = open_session();
    con = WinHttpConnect(ses, L"127.0.0.1", http_port, 0);
    CHECK_OK(req = open_request(con, L"PUT", L"/upload", 0));
    CHECK_OK(WinHttpSendRequest(req, WINHTTP_NO_ADDITIONAL_HEADERS, 0, WINHTTP_NO_REQUEST_DATA, 0, total_len, 0));
    for (off = 0; off < total_len; off += n) {
        n = 1 + (calls * 7919) % 65536;
        if (n > total_len - off)
            n = total_len - off;
        written = 0xdeadbeef;
        if (!WinHttpWriteData(req, data + off, n, &written) || written != n) {
            failures++;
            break;
        }
        calls++;
    }
    CHECK_EQ(failures, 0);
    CHECK(calls > 100);
    /* One byte more than announced. */
    CHECK_FAILS(WinHttpWriteData(req, data, 1, &written), ERROR_INVALID_PARAMETER);
    SetLastError(0xdeadbeef);
    CHECK_OK(WinHttpReceiveResponse(req, NULL));
    CHECK_EQ(query_number(req, WINHTTP_QUERY_STATUS_CODE), 200);
    body = read_body(req, &total);
    CHECK(body && strcmp(body, expected) == 0);
    if (body && strcmp(body, expected) != 0)
        printf("  /upload said \"%s\", expected \"%s\"\n", body, expected);
    free(body);
    /* After the response, writing is out of order. */
    written = 0xdeadbeef;
    CHECK_FAILS(WinHttpWriteData(req, data, 1, &written), ERROR_WINHTTP_INCORRECT_HANDLE_STATE);
    WinHttpCloseHandle(req);

    /* Exact bytes: optional data plus three writes make one body. */
    req = open_request(con, L"PUT", L"/echo?x=1", 0);
    CHECK_OK(WinHttpSendRequest(req, WINHTTP_NO_ADDITIONAL_HEADERS, 0, "01", 2, 12, 0));
    CHECK(WinHttpWriteData(req, "abc", 3, &written) && written == 3);
    CHECK(WinHttpWriteData(req, "defg", 4, &written) && written == 4);
    CHECK(WinHttpWriteData(req, "hij", 3, &written) && written == 3);
    CHECK_OK(WinHttpReceiveResponse(req, NULL));
    body = read_body(req, &total);
    CHECK(body && strncmp(body, "PUT /echo?x=1 HTTP/1.1\n", 23) == 0);
    CHECK(body && strstr(body, "\ncontent-length: 12\n") != NULL);
    CHECK(ends_with(body, "\n\n01abcdefghij"));
    free(body);
    WinHttpCloseHandle(req);
    WinHttpCloseHandle(con);
    WinHttpCloseHandle(ses);
    free(data);
}

/* A caller-added "Transfer-Encoding: chunked": no Content-Length, the caller's bytes go out as
 * they are (WinHTTP does not chunk-encode for the caller). */
static void test_user_chunked_upload(void)
{
    static const char framed[] = "4\r\npost\r\n0\r\n\r\n";
    HINTERNET ses, con, req;
    DWORD written, total, n = (DWORD)strlen(framed);
    char *body;

    ses = open_session();
    con = WinHttpConnect(ses, L"127.0.0.1", http_port, 0);
    req = open_request(con, L"POST", L"/echo", 0);
    CHECK_OK(WinHttpSendRequest(req, L"Transfer-Encoding: chunked", (DWORD)-1L, (LPVOID)framed, n, n, 0));
    CHECK_OK(WinHttpReceiveResponse(req, NULL));
    body = read_body(req, &total);
    CHECK(body && strstr(body, "\ntransfer-encoding: chunked\n") != NULL);
    CHECK(body && strstr(body, "content-length") == NULL);
    CHECK(ends_with(body, "\n\npost"));
    free(body);
    WinHttpCloseHandle(req);
    WinHttpCloseHandle(con);

    /* The same through the raw server, which shows the exact bytes; the chunks are written one by
     * one with WINHTTP_IGNORE_REQUEST_TOTAL_LENGTH. */
    con = WinHttpConnect(ses, L"127.0.0.1", raw_port, 0);
    req = open_request(con, L"POST", L"/raw/echo", 0);
    CHECK_OK(WinHttpAddRequestHeaders(req, L"Transfer-Encoding: chunked", (DWORD)-1L, WINHTTP_ADDREQ_FLAG_ADD));
    CHECK_OK(WinHttpSendRequest(req, WINHTTP_NO_ADDITIONAL_HEADERS, 0, WINHTTP_NO_REQUEST_DATA, 0,
                                WINHTTP_IGNORE_REQUEST_TOTAL_LENGTH, 0));
    CHECK(WinHttpWriteData(req, "5\r\nhello\r\n", 10, &written) && written == 10);
    CHECK(WinHttpWriteData(req, "6\r\n world\r\n", 11, &written) && written == 11);
    CHECK(WinHttpWriteData(req, "0\r\n\r\n", 5, &written) && written == 5);
    CHECK_OK(WinHttpReceiveResponse(req, NULL));
    body = read_body(req, &total);
    CHECK(body && strncmp(body, "POST /raw/echo HTTP/1.1\r\n", 25) == 0);
    CHECK(body && strstr(body, "\r\nTransfer-Encoding: chunked\r\n") != NULL);
    CHECK(body && strstr(body, "Content-Length") == NULL);
    CHECK(body && strstr(body, "\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n") != NULL);
    CHECK(ends_with(body, "\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"));
    free(body);
    WinHttpCloseHandle(req);
    WinHttpCloseHandle(con);
    WinHttpCloseHandle(ses);
}

static void test_special_statuses(void)
{
    HINTERNET ses, con, req;
    DWORD avail, got, value, size, total, i;
    char buf[256], *body;
    DWORD index;

    ses = open_session();
    con = WinHttpConnect(ses, L"127.0.0.1", http_port, 0);

    /* 204: no body, no Content-Length, end of data at once and again. */
    req = open_request(con, L"GET", L"/status/204", 0);
    CHECK(send_and_receive(req));
    CHECK_EQ(query_number(req, WINHTTP_QUERY_STATUS_CODE), 204);
    avail = 0xdeadbeef;
    SetLastError(0xdeadbeef);
    CHECK_OK(WinHttpQueryDataAvailable(req, &avail));
    CHECK_EQ(avail, 0);
    got = 0xdeadbeef;
    CHECK_OK(WinHttpReadData(req, buf, sizeof(buf), &got));
    CHECK_EQ(got, 0);
    avail = 0xdeadbeef;
    CHECK_OK(WinHttpQueryDataAvailable(req, &avail));
    CHECK_EQ(avail, 0);
    value = 0xdeadbeef;
    size = sizeof(value);
    CHECK_FAILS(WinHttpQueryHeaders(req, WINHTTP_QUERY_CONTENT_LENGTH | WINHTTP_QUERY_FLAG_NUMBER,
                                    WINHTTP_HEADER_NAME_BY_INDEX, &value, &size, WINHTTP_NO_HEADER_INDEX),
                ERROR_WINHTTP_HEADER_NOT_FOUND);
    CHECK_EQ(value, 0xdeadbeef);
    WinHttpCloseHandle(req);

    /* 304: no body to wait for. */
    req = open_request(con, L"GET", L"/status/304", 0);
    CHECK(send_and_receive(req));
    CHECK_EQ(query_number(req, WINHTTP_QUERY_STATUS_CODE), 304);
    avail = 0xdeadbeef;
    CHECK_OK(WinHttpQueryDataAvailable(req, &avail));
    CHECK_EQ(avail, 0);
    got = 0xdeadbeef;
    CHECK_OK(WinHttpReadData(req, buf, sizeof(buf), &got));
    CHECK_EQ(got, 0);
    WinHttpCloseHandle(req);

    /* HEAD: Content-Length 100 is reported, but there is no body. */
    req = open_request(con, L"HEAD", L"/head-len", 0);
    CHECK(send_and_receive(req));
    CHECK_EQ(query_number(req, WINHTTP_QUERY_STATUS_CODE), 200);
    CHECK_EQ(query_number(req, WINHTTP_QUERY_CONTENT_LENGTH), 100);
    for (i = 0; i < 2; i++) {
        avail = 0xdeadbeef;
        CHECK_OK(WinHttpQueryDataAvailable(req, &avail));
        CHECK_EQ(avail, 0);
        got = 0xdeadbeef;
        CHECK_OK(WinHttpReadData(req, buf, sizeof(buf), &got));
        CHECK_EQ(got, 0);
    }
    WinHttpCloseHandle(req);
    /* ... and the connection is still good for a GET of the same resource. */
    req = open_request(con, L"GET", L"/head-len", 0);
    CHECK(send_and_receive(req));
    body = read_body(req, &total);
    CHECK_EQ(total, 100);
    CHECK(body && strncmp(body, "abcdefghijklmnopqrstuvwxyzabcd", 30) == 0);
    free(body);
    WinHttpCloseHandle(req);

    /* 401 with a body and three WWW-Authenticate headers. */
    req = open_request(con, L"GET", L"/status/401", 0);
    CHECK(send_and_receive(req));
    CHECK_EQ(query_number(req, WINHTTP_QUERY_STATUS_CODE), 401);
    CHECK_WSTR(query_string(req, WINHTTP_QUERY_STATUS_TEXT, WINHTTP_HEADER_NAME_BY_INDEX, NULL), L"Unauthorized");
    index = 0;
    CHECK_WSTR(query_string(req, WINHTTP_QUERY_CUSTOM, L"WWW-Authenticate", &index), L"Bearer");
    CHECK_WSTR(query_string(req, WINHTTP_QUERY_WWW_AUTHENTICATE, WINHTTP_HEADER_NAME_BY_INDEX, &index),
               L"Basic realm=\"test\"");
    CHECK_EQ(index, 2);
    body = read_body(req, &total);
    CHECK_EQ(total, 12);
    CHECK(body && strcmp(body, "Unauthorized") == 0);
    free(body);
    WinHttpCloseHandle(req);

    /* 101 Switching Protocols: no Content-Length, no body. */
    req = open_request(con, L"GET", L"/upgrade", 0);
    CHECK_OK(WinHttpAddRequestHeaders(req, L"Upgrade: websocket\r\nConnection: Upgrade", (DWORD)-1L,
                                      WINHTTP_ADDREQ_FLAG_ADD));
    CHECK(send_and_receive(req));
    CHECK_EQ(query_number(req, WINHTTP_QUERY_STATUS_CODE), 101);
    CHECK_WSTR(query_string(req, WINHTTP_QUERY_UPGRADE, WINHTTP_HEADER_NAME_BY_INDEX, NULL), L"websocket");
    CHECK_WSTR(query_string(req, WINHTTP_QUERY_CONNECTION, WINHTTP_HEADER_NAME_BY_INDEX, NULL), L"Upgrade");
    value = 0xdeadbeef;
    size = sizeof(value);
    CHECK_FAILS(WinHttpQueryHeaders(req, WINHTTP_QUERY_CONTENT_LENGTH | WINHTTP_QUERY_FLAG_NUMBER,
                                    WINHTTP_HEADER_NAME_BY_INDEX, &value, &size, WINHTTP_NO_HEADER_INDEX),
                ERROR_WINHTTP_HEADER_NOT_FOUND);
    avail = 0xdeadbeef;
    CHECK_OK(WinHttpQueryDataAvailable(req, &avail));
    CHECK_EQ(avail, 0);
    WinHttpCloseHandle(req);

    WinHttpCloseHandle(con);
    WinHttpCloseHandle(ses);
}

/* The 8784-byte body: each ReadData returns exactly what QueryDataAvailable reported. */
static void test_read_loop_8784(void)
{
    HINTERNET ses, con, req;
    static char buf[16384];
    DWORD total = 0, avail, got, rounds = 0, bad_reads = 0, bad_bytes = 0, i;

    ses = open_session();
    con = WinHttpConnect(ses, L"127.0.0.1", http_port, 0);
    req = open_request(con, L"GET", L"/len/8784", 0);
    CHECK(send_and_receive(req));
    CHECK_EQ(query_number(req, WINHTTP_QUERY_CONTENT_LENGTH), 8784);
    while (rounds++ < 10000) {
        avail = 0xdeadbeef;
        if (!WinHttpQueryDataAvailable(req, &avail)) {
            CHECK(!"WinHttpQueryDataAvailable failed");
            break;
        }
        if (!avail)
            break;
        CHECK(avail <= sizeof(buf) && total + avail <= 8784);
        if (avail > sizeof(buf) || total + avail > 8784)
            break;
        got = 0xdeadbeef;
        if (!WinHttpReadData(req, buf + 0, avail, &got) || got != avail)
            bad_reads++;
        if (got > avail)
            break;
        for (i = 0; i < got; i++)
            if (buf[i] != 'a' + (char)((total + i) % 26))
                bad_bytes++;
        total += got;
    }
    CHECK_EQ(total, 8784);
    CHECK_EQ(bad_reads, 0);
    CHECK_EQ(bad_bytes, 0);
    got = 0xdeadbeef;
    CHECK_OK(WinHttpReadData(req, buf, sizeof(buf), &got));
    CHECK_EQ(got, 0);
    WinHttpCloseHandle(req);
    WinHttpCloseHandle(con);
    WinHttpCloseHandle(ses);
}

static void test_chunked_and_close_delimited(void)
{
    static const char all[] = "first line\nthe second line\na third line, somewhat longer than the others\n"
                              "4\nfifth and last\n";
    HINTERNET ses, con, req;
    char buf[4096];
    DWORD avail, got, total = 0, rounds = 0, value, size, not_line = 0;
    char *body;

    ses = open_session();
    con = WinHttpConnect(ses, L"127.0.0.1", http_port, 0);
    req = open_request(con, L"GET", L"/chunked", 0);
    CHECK(send_and_receive(req));
    CHECK_WSTR(query_string(req, WINHTTP_QUERY_TRANSFER_ENCODING, WINHTTP_HEADER_NAME_BY_INDEX, NULL), L"chunked");
    value = 0xdeadbeef;
    size = sizeof(value);
    CHECK_FAILS(WinHttpQueryHeaders(req, WINHTTP_QUERY_CONTENT_LENGTH | WINHTTP_QUERY_FLAG_NUMBER,
                                    WINHTTP_HEADER_NAME_BY_INDEX, &value, &size, WINHTTP_NO_HEADER_INDEX),
                ERROR_WINHTTP_HEADER_NOT_FOUND);
    /* Availability never splits a chunk, and every chunk ends a line. */
    while (rounds++ < 1000) {
        avail = 0;
        if (!WinHttpQueryDataAvailable(req, &avail) || !avail)
            break;
        if (total + avail >= sizeof(buf))
            break;
        got = 0;
        if (!WinHttpReadData(req, buf + total, avail, &got) || !got)
            break;
        CHECK_EQ(got, avail);
        if (buf[total + got - 1] != '\n')
            not_line++;
        total += got;
    }
    buf[total] = 0;
    CHECK_EQ(not_line, 0);
    CHECK_EQ(total, strlen(all));
    CHECK(strcmp(buf, all) == 0);
    WinHttpCloseHandle(req);
    WinHttpCloseHandle(con);

    con = WinHttpConnect(ses, L"127.0.0.1", raw_port, 0);
    /* A chunked body with a trailer. */
    req = open_request(con, L"GET", L"/raw/chunked-trailers", 0);
    CHECK(send_and_receive(req));
    body = read_body(req, &total);
    CHECK(body && strcmp(body, "123456789") == 0);
    free(body);
    WinHttpCloseHandle(req);
    /* No Content-Length and no chunking: the body ends when the server closes (128 bytes, all of
     * which are available at once). */
    req = open_request(con, L"GET", L"/raw/close-delimited", 0);
    CHECK(send_and_receive(req));
    avail = 0;
    CHECK_OK(WinHttpQueryDataAvailable(req, &avail));
    CHECK_EQ(avail, 128);
    got = 0;
    CHECK_OK(WinHttpReadData(req, buf, sizeof(buf), &got));
    CHECK_EQ(got, 128);
    CHECK(strncmp(buf, "abcdefghijklmnopqrstuvwxyzab", 28) == 0);
    got = 0xdeadbeef;
    CHECK_OK(WinHttpReadData(req, buf, sizeof(buf), &got));
    CHECK_EQ(got, 0);
    WinHttpCloseHandle(req);
    WinHttpCloseHandle(con);
    WinHttpCloseHandle(ses);
}

static void test_out_of_order(void)
{
    HINTERNET ses, con, req;
    DWORD n;
    char buf[16];

    ses = open_session();
    con = WinHttpConnect(ses, L"127.0.0.1", http_port, 0);
    req = open_request(con, L"POST", L"/echo", 0);

    /* Nothing but SendRequest is allowed before a send. */
    CHECK_FAILS(WinHttpReceiveResponse(req, NULL), ERROR_WINHTTP_INCORRECT_HANDLE_STATE);
    n = 0xdeadbeef;
    CHECK_FAILS(WinHttpQueryDataAvailable(req, &n), ERROR_WINHTTP_INCORRECT_HANDLE_STATE);
    CHECK_EQ(n, 0xdeadbeef);
    n = 0xdeadbeef;
    CHECK_FAILS(WinHttpReadData(req, buf, sizeof(buf), &n), ERROR_WINHTTP_INCORRECT_HANDLE_STATE);
    CHECK_EQ(n, 0); /* zeroed before any error checking */
    n = 0xdeadbeef;
    CHECK_FAILS(WinHttpWriteData(req, "x", 1, &n), ERROR_WINHTTP_INCORRECT_HANDLE_STATE);
    CHECK_EQ(n, 0); /* zeroed before any error checking */

    /* After the send, reading before the response is out of order. */
    CHECK_OK(WinHttpSendRequest(req, WINHTTP_NO_ADDITIONAL_HEADERS, 0, "ab", 2, 2, 0));
    n = 0xdeadbeef;
    CHECK_FAILS(WinHttpQueryDataAvailable(req, &n), ERROR_WINHTTP_INCORRECT_HANDLE_STATE);
    CHECK_FAILS(WinHttpReadData(req, buf, sizeof(buf), &n), ERROR_WINHTTP_INCORRECT_HANDLE_STATE);
    CHECK_OK(WinHttpReceiveResponse(req, NULL));
    /* After the response, writing is out of order. */
    CHECK_FAILS(WinHttpWriteData(req, "x", 1, &n), ERROR_WINHTTP_INCORRECT_HANDLE_STATE);
    WinHttpCloseHandle(req);
    WinHttpCloseHandle(con);
    WinHttpCloseHandle(ses);
}

/* The request line WinHTTP sends for `path` opened with `flags`, as the raw server saw it. */
static int request_line_is(HINTERNET con, const WCHAR *path, DWORD flags, const char *expected)
{
    HINTERNET req = open_request(con, L"GET", path, flags);
    DWORD total;
    char *body = NULL;
    int ok = 0;
    size_t n = strlen(expected);
    if (req && send_and_receive(req))
        body = read_body(req, &total);
    if (body)
        ok = strncmp(body, expected, n) == 0 && strncmp(body + n, " HTTP/1.1\r\n", 11) == 0;
    if (!ok) {
        const char *end = body ? strstr(body, "\r\n") : NULL;
        printf("  request line: \"%.*s\", expected \"%s HTTP/1.1\"\n", end ? (int)(end - body) : 0, body ? body : "",
               expected);
    }
    free(body);
    WinHttpCloseHandle(req);
    return ok;
}

/* Behaviours §2.4, "Request-path escaping at send time". */
static void test_request_path_escaping(void)
{
    HINTERNET ses, con;

    ses = open_session();
    con = WinHttpConnect(ses, L"127.0.0.1", raw_port, 0);

    /* Default: in the path, controls, DEL, '<' and space are escaped and '%' is kept; in the query,
     * " # < > [ \ ] ^ ` { | } controls and space are escaped, '~' is not. */
    CHECK(request_line_is(con, L"/raw/echo/a b<c%41\x1f\x7f\r\n?q= \"#<>[\\]^`{|}~\x1f", 0,
                          "GET /raw/echo/a%20b%3Cc%41%1F%7F%0D%0A?q=%20%22%23%3C%3E%5B%5C%5D%5E%60%7B%7C%7D~%1F"));
    /* ESCAPE_PERCENT: '%' too. */
    CHECK(request_line_is(con, L"/raw/echo/a%41 b?q=%42", WINHTTP_FLAG_ESCAPE_PERCENT,
                          "GET /raw/echo/a%2541%20b?q=%2542"));
    /* ESCAPE_DISABLE: raw, except spaces; DEL stays raw. */
    CHECK(request_line_is(con, L"/raw/echo/a b<c%41\x7f?q= \"<>{}~", WINHTTP_FLAG_ESCAPE_DISABLE,
                          "GET /raw/echo/a%20b<c%41\x7f?q=%20\"<>{}~"));
    /* ESCAPE_DISABLE_QUERY: the path is escaped, the query is raw except spaces. */
    CHECK(request_line_is(con, L"/raw/echo/a b<c?q= \"<>{}", WINHTTP_FLAG_ESCAPE_DISABLE_QUERY,
                          "GET /raw/echo/a%20b%3Cc?q=%20\"<>{}"));
    /* Non-ASCII always goes out as UTF-8 percent-escapes, even with ESCAPE_DISABLE. */
    CHECK(request_line_is(con, L"/raw/echo/\x80" L"b\u541b?q=\x80" L"x\u541b", 0,
                          "GET /raw/echo/%C2%80b%E5%90%9B?q=%C2%80x%E5%90%9B"));
    CHECK(request_line_is(con, L"/raw/echo/\x80" L"b\u541b?q=\x80" L"x\u541b", WINHTTP_FLAG_ESCAPE_DISABLE,
                          "GET /raw/echo/%C2%80b%E5%90%9B?q=%C2%80x%E5%90%9B"));
    WinHttpCloseHandle(con);
    WinHttpCloseHandle(ses);
}

int main(void)
{
    read_ports();
    test_get_hello();
    test_raw_headers_exact();
    test_post_with_optional_data();
    test_put_many_writes();
    test_user_chunked_upload();
    test_special_statuses();
    test_read_loop_8784();
    test_chunked_and_close_delimited();
    test_out_of_order();
    test_request_path_escaping();
    return harness_report();
}
