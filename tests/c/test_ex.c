/*
 * The Ex functions: WinHttpAddRequestHeadersEx (wide and narrow pairs, modifiers, errors),
 * WinHttpQueryHeadersEx (WINHTTP_QUERY_EX_ALL_HEADERS, one header by level or by name, the index,
 * wide and wire-encoded strings, the code page, the single buffer with its size protocol, every
 * error path) and WinHttpReadDataEx (with and without WINHTTP_READ_DATA_EX_FLAG_FILL_BUFFER),
 * against the test server of tests/support (WINHTTP_TEST_PORT: /hello sends three X-Repeat
 * headers, /len/N a body of N pattern bytes).
 */
#include <winhttp.h>
#include "harness.h"
#include <stdint.h>

static INTERNET_PORT http_port;
static HINTERNET ses, con;

static HINTERNET open_request(const WCHAR *path)
{
    return WinHttpOpenRequest(con, L"GET", path, NULL, WINHTTP_NO_REFERER, WINHTTP_DEFAULT_ACCEPT_TYPES, 0);
}

/* A request sent and its response received; NULL (and a failed check) if that did not work. */
static HINTERNET get(const WCHAR *path)
{
    HINTERNET req = open_request(path);
    CHECK(req != NULL);
    if (!req)
        return NULL;
    if (!WinHttpSendRequest(req, WINHTTP_NO_ADDITIONAL_HEADERS, 0, NULL, 0, 0, 0) ||
        !WinHttpReceiveResponse(req, NULL)) {
        printf("  GET %s failed with %lu\n", harness_narrow(path), (unsigned long)GetLastError());
        CHECK(0);
        WinHttpCloseHandle(req);
        return NULL;
    }
    return req;
}

/* Queries with a buffer of exactly the size asked for; returns the headers (in *buf, to free) and
 * their count, or sets *err. */
static PWINHTTP_EXTENDED_HEADER query_all(HINTERNET req, DWORD level, UINT cp, PWINHTTP_HEADER_NAME name,
                                          DWORD *index, void **buf, DWORD *count, DWORD *err)
{
    DWORD len = 0;
    PWINHTTP_EXTENDED_HEADER headers = NULL;
    *buf = NULL;
    *err = WinHttpQueryHeadersEx(req, level, 0, cp, index, name, NULL, &len, &headers, count);
    if (*err != ERROR_INSUFFICIENT_BUFFER)
        return NULL;
    *buf = malloc(len ? len : 1);
    *err = WinHttpQueryHeadersEx(req, level, 0, cp, index, name, *buf, &len, &headers, count);
    return *err == ERROR_SUCCESS ? headers : NULL;
}

static void test_errors_without_a_response(void)
{
    HINTERNET req = open_request(L"/hello"), closed = open_request(L"/hello");
    DWORD len = 0, count = 0, index = 0;
    PWINHTTP_EXTENDED_HEADER headers = NULL;
    WINHTTP_HEADER_NAME name;
    WINHTTP_EXTENDED_HEADER h;
    char buf[256];
    CHECK(req != NULL);
    CHECK(closed != NULL);
    CHECK_OK(WinHttpCloseHandle(closed));

    /* Arguments first. */
    CHECK_EQ(WinHttpQueryHeadersEx(req, WINHTTP_QUERY_EX_ALL_HEADERS, 0, 0, NULL, NULL, NULL, NULL, &headers, &count),
             ERROR_INVALID_PARAMETER);
    CHECK_EQ(WinHttpQueryHeadersEx(req, WINHTTP_QUERY_EX_ALL_HEADERS, 0, 0, NULL, NULL, NULL, &len, NULL, &count),
             ERROR_INVALID_PARAMETER);
    CHECK_EQ(WinHttpQueryHeadersEx(req, WINHTTP_QUERY_EX_ALL_HEADERS, 0, 0, NULL, NULL, NULL, &len, &headers, NULL),
             ERROR_INVALID_PARAMETER);
    CHECK_EQ(WinHttpQueryHeadersEx(req, WINHTTP_QUERY_STATUS_CODE, 0, 0, NULL, NULL, NULL, &len, &headers, &count),
             ERROR_INVALID_PARAMETER);
    CHECK_EQ(WinHttpQueryHeadersEx(req, WINHTTP_QUERY_RAW_HEADERS_CRLF, 0, 0, NULL, NULL, NULL, &len, &headers,
                                   &count),
             ERROR_INVALID_PARAMETER);
    CHECK_EQ(WinHttpQueryHeadersEx(req, WINHTTP_QUERY_CONTENT_LENGTH | WINHTTP_QUERY_FLAG_NUMBER, 0, 0, NULL, NULL,
                                   NULL, &len, &headers, &count),
             ERROR_INVALID_PARAMETER);
    CHECK_EQ(WinHttpQueryHeadersEx(req, WINHTTP_QUERY_CUSTOM, 0, 0, NULL, NULL, NULL, &len, &headers, &count),
             ERROR_INVALID_PARAMETER);
    name.pwszName = NULL;
    CHECK_EQ(WinHttpQueryHeadersEx(req, WINHTTP_QUERY_CUSTOM, 0, 0, NULL, &name, NULL, &len, &headers, &count),
             ERROR_INVALID_PARAMETER);

    /* Then the handle. */
    CHECK_EQ(WinHttpQueryHeadersEx(NULL, WINHTTP_QUERY_EX_ALL_HEADERS, 0, 0, NULL, NULL, NULL, &len, &headers, &count),
             ERROR_INVALID_HANDLE);
    CHECK_EQ(WinHttpQueryHeadersEx(closed, WINHTTP_QUERY_EX_ALL_HEADERS, 0, 0, NULL, NULL, NULL, &len, &headers,
                                   &count),
             ERROR_INVALID_HANDLE);
    CHECK_EQ(WinHttpQueryHeadersEx(ses, WINHTTP_QUERY_EX_ALL_HEADERS, 0, 0, NULL, NULL, NULL, &len, &headers, &count),
             ERROR_WINHTTP_INCORRECT_HANDLE_TYPE);
    CHECK_EQ(WinHttpQueryHeadersEx(con, WINHTTP_QUERY_EX_ALL_HEADERS, 0, 0, NULL, NULL, NULL, &len, &headers, &count),
             ERROR_WINHTTP_INCORRECT_HANDLE_TYPE);

    /* Response headers before a response; trailers too. */
    CHECK_EQ(WinHttpQueryHeadersEx(req, WINHTTP_QUERY_EX_ALL_HEADERS, 0, 0, NULL, NULL, NULL, &len, &headers, &count),
             ERROR_WINHTTP_INCORRECT_HANDLE_STATE);
    CHECK_EQ(WinHttpQueryHeadersEx(req, WINHTTP_QUERY_EX_ALL_HEADERS | WINHTTP_QUERY_FLAG_TRAILERS, 0, 0, NULL, NULL,
                                   NULL, &len, &headers, &count),
             ERROR_WINHTTP_INCORRECT_HANDLE_STATE);

    /* AddRequestHeadersEx: arguments, handle, header syntax. */
    h.pwszName = L"X-A";
    h.pwszValue = L"1";
    CHECK_EQ(WinHttpAddRequestHeadersEx(req, 0, WINHTTP_EXTENDED_HEADER_FLAG_UNICODE, 0, 0, &h),
             ERROR_INVALID_PARAMETER);
    CHECK_EQ(WinHttpAddRequestHeadersEx(req, 0, WINHTTP_EXTENDED_HEADER_FLAG_UNICODE, 0, 1, NULL),
             ERROR_INVALID_PARAMETER);
    h.pwszValue = NULL;
    CHECK_EQ(WinHttpAddRequestHeadersEx(req, 0, WINHTTP_EXTENDED_HEADER_FLAG_UNICODE, 0, 1, &h),
             ERROR_INVALID_PARAMETER);
    h.pwszValue = L"1";
    CHECK_EQ(WinHttpAddRequestHeadersEx(NULL, 0, WINHTTP_EXTENDED_HEADER_FLAG_UNICODE, 0, 1, &h),
             ERROR_INVALID_HANDLE);
    CHECK_EQ(WinHttpAddRequestHeadersEx(ses, 0, WINHTTP_EXTENDED_HEADER_FLAG_UNICODE, 0, 1, &h),
             ERROR_WINHTTP_INCORRECT_HANDLE_TYPE);
    h.pwszValue = L"a\r\nInjected: yes";
    CHECK_EQ(WinHttpAddRequestHeadersEx(req, 0, WINHTTP_EXTENDED_HEADER_FLAG_UNICODE, 0, 1, &h),
             ERROR_WINHTTP_INVALID_HEADER);
    h.pwszName = L"Bad Name";
    h.pwszValue = L"1";
    CHECK_EQ(WinHttpAddRequestHeadersEx(req, 0, WINHTTP_EXTENDED_HEADER_FLAG_UNICODE, 0, 1, &h),
             ERROR_WINHTTP_INVALID_HEADER);
    h.pwszName = L"X-Absent";
    CHECK_EQ(WinHttpAddRequestHeadersEx(req, WINHTTP_ADDREQ_FLAG_REPLACE, WINHTTP_EXTENDED_HEADER_FLAG_UNICODE, 0, 1, &h),
             ERROR_WINHTTP_HEADER_NOT_FOUND);

    /* Nothing was added by the failed calls. */
    len = sizeof buf;
    CHECK_EQ(WinHttpQueryHeadersEx(req, WINHTTP_QUERY_CUSTOM | WINHTTP_QUERY_FLAG_REQUEST_HEADERS, 0, 0, &index,
                                   &(WINHTTP_HEADER_NAME){.pwszName = L"X-A"}, buf, &len, &headers, &count),
             ERROR_WINHTTP_HEADER_NOT_FOUND);

    /* ReadDataEx: arguments, handle, state. */
    {
        DWORD read = 7;
        CHECK_EQ(WinHttpReadDataEx(req, NULL, 1, &read, 0, 0, NULL), ERROR_INVALID_PARAMETER);
        CHECK_EQ(read, 0);
        CHECK_EQ(WinHttpReadDataEx(req, buf, 1, &read, 0, 4, NULL), ERROR_INVALID_PARAMETER);
        CHECK_EQ(WinHttpReadDataEx(req, buf, 1, &read, 0, 0, buf), ERROR_INVALID_PARAMETER);
        CHECK_EQ(WinHttpReadDataEx(req, buf, 1, &read, 0x2, 0, NULL), ERROR_INVALID_PARAMETER);
        CHECK_EQ(WinHttpReadDataEx(ses, buf, 1, &read, 0, 0, NULL), ERROR_WINHTTP_INCORRECT_HANDLE_TYPE);
        CHECK_EQ(WinHttpReadDataEx(req, buf, 1, &read, WINHTTP_READ_DATA_EX_FLAG_FILL_BUFFER, 0, NULL),
                 ERROR_WINHTTP_INCORRECT_HANDLE_STATE);
    }
    WinHttpCloseHandle(req);
}

static void test_add_and_query_request_headers(void)
{
    HINTERNET req = open_request(L"/echo");
    WINHTTP_EXTENDED_HEADER wide[2], narrow[2];
    PWINHTTP_EXTENDED_HEADER got;
    DWORD count = 0, err = 0, index = 0;
    void *buf;
    WCHAR text[256];
    DWORD len = sizeof text;
    CHECK(req != NULL);

    wide[0].pwszName = L"X-Wide";
    wide[0].pwszValue = L"w1";
    wide[1].pwszName = L"X-Wide";
    wide[1].pwszValue = L"w2";
    CHECK_EQ(WinHttpAddRequestHeadersEx(req, WINHTTP_ADDREQ_FLAG_ADD, WINHTTP_EXTENDED_HEADER_FLAG_UNICODE, 0, 2, wide),
             ERROR_SUCCESS);
    narrow[0].pszName = "X-Narrow";
    narrow[0].pszValue = "n\xc3\xa9"; /* "né" in UTF-8 */
    narrow[1].pszName = "X-Wide";
    narrow[1].pszValue = "w3";
    CHECK_EQ(WinHttpAddRequestHeadersEx(req, WINHTTP_ADDREQ_FLAG_COALESCE_WITH_COMMA, 0, 0, 2, narrow), ERROR_SUCCESS);
    CHECK_EQ(WinHttpAddRequestHeadersEx(req, WINHTTP_ADDREQ_FLAG_ADD_IF_NEW, 0, 0, 1, narrow),
             ERROR_WINHTTP_HEADER_ALREADY_EXISTS);

    /* The same header engine answers WinHttpQueryHeaders. */
    CHECK_OK(WinHttpQueryHeaders(req, WINHTTP_QUERY_CUSTOM | WINHTTP_QUERY_FLAG_REQUEST_HEADERS, L"X-Narrow", text,
                                 &len, WINHTTP_NO_HEADER_INDEX));
    CHECK_WSTR(text, L"n\x00e9");
    len = sizeof text;
    CHECK_OK(WinHttpQueryHeaders(req, WINHTTP_QUERY_CUSTOM | WINHTTP_QUERY_FLAG_REQUEST_HEADERS, L"X-Wide", text, &len,
                                 WINHTTP_NO_HEADER_INDEX));
    CHECK_WSTR(text, L"w1, w3");

    /* By name, each occurrence with the index, wide. */
    {
        WINHTTP_HEADER_NAME name = {.pwszName = L"x-wide"};
        got = query_all(req, WINHTTP_QUERY_CUSTOM | WINHTTP_QUERY_FLAG_REQUEST_HEADERS, 0, &name, &index, &buf, &count,
                        &err);
        CHECK_EQ(err, ERROR_SUCCESS);
        CHECK_EQ(count, 1);
        CHECK_EQ(index, 1);
        if (got) {
            CHECK_WSTR(got[0].pwszName, L"X-Wide");
            CHECK_WSTR(got[0].pwszValue, L"w1, w3");
        }
        free(buf);
        got = query_all(req, WINHTTP_QUERY_CUSTOM | WINHTTP_QUERY_FLAG_REQUEST_HEADERS, 0, &name, &index, &buf, &count,
                        &err);
        CHECK_EQ(err, ERROR_SUCCESS);
        CHECK_EQ(index, 2);
        if (got)
            CHECK_WSTR(got[0].pwszValue, L"w2");
        free(buf);
        got = query_all(req, WINHTTP_QUERY_CUSTOM | WINHTTP_QUERY_FLAG_REQUEST_HEADERS, 0, &name, &index, &buf, &count,
                        &err);
        CHECK_EQ(err, ERROR_WINHTTP_HEADER_NOT_FOUND);
        CHECK_EQ(index, 2);
        free(buf);
    }
    /* Narrow name with the wire encoding. */
    {
        WINHTTP_HEADER_NAME name = {.pszName = "X-NARROW"};
        got = query_all(req, WINHTTP_QUERY_CUSTOM | WINHTTP_QUERY_FLAG_REQUEST_HEADERS | WINHTTP_QUERY_FLAG_WIRE_ENCODING,
                        0, &name, NULL, &buf, &count, &err);
        CHECK_EQ(err, ERROR_SUCCESS);
        if (got) {
            CHECK(strcmp(got[0].pszName, "X-Narrow") == 0);
            CHECK(strcmp(got[0].pszValue, "n\xc3\xa9") == 0);
        }
        free(buf);
    }
    /* The request is sent with them, once each. */
    CHECK_OK(WinHttpSendRequest(req, WINHTTP_NO_ADDITIONAL_HEADERS, 0, NULL, 0, 0, 0));
    CHECK_OK(WinHttpReceiveResponse(req, NULL));
    {
        char body[4096];
        DWORD n = 0, total = 0;
        while (WinHttpReadData(req, body + total, sizeof body - 1 - total, &n) && n)
            total += n;
        body[total] = 0;
        CHECK(strstr(body, "x-wide: w1, w3\n") != NULL);
        CHECK(strstr(body, "x-wide: w2\n") != NULL);
        CHECK(strstr(body, "x-narrow: n\xc3\xa9\n") != NULL);
    }
    WinHttpCloseHandle(req);
}

static void test_query_response_headers(void)
{
    HINTERNET req = get(L"/hello");
    PWINHTTP_EXTENDED_HEADER got;
    DWORD count = 0, err = 0, len = 0, index = 0, need, i, lines = 0;
    void *buf;
    WCHAR raw[2048];
    DWORD raw_len = sizeof raw;
    const WCHAR *p;
    if (!req)
        return;

    /* Every header, in order, as WinHttpQueryHeaders' raw text has them. */
    CHECK_OK(WinHttpQueryHeaders(req, WINHTTP_QUERY_RAW_HEADERS_CRLF, WINHTTP_HEADER_NAME_BY_INDEX, raw, &raw_len,
                                 WINHTTP_NO_HEADER_INDEX));
    for (p = harness_wcsstr(raw, L"\r\n"); p && p[2] && p[2] != L'\r'; p = harness_wcsstr(p + 2, L"\r\n"))
        lines++;
    CHECK_EQ(WinHttpQueryHeadersEx(req, WINHTTP_QUERY_EX_ALL_HEADERS, 0, 0, NULL, NULL, NULL, &len, &got, &count),
             ERROR_INSUFFICIENT_BUFFER);
    need = len;
    CHECK(need > lines * sizeof(WINHTTP_EXTENDED_HEADER));
    buf = malloc(need);
    len = need - 1;
    got = NULL;
    CHECK_EQ(WinHttpQueryHeadersEx(req, WINHTTP_QUERY_EX_ALL_HEADERS, 0, 0, NULL, NULL, buf, &len, &got, &count),
             ERROR_INSUFFICIENT_BUFFER);
    CHECK_EQ(len, need);
    CHECK(got == NULL);
    CHECK_EQ(WinHttpQueryHeadersEx(req, WINHTTP_QUERY_EX_ALL_HEADERS, 0, 0, NULL, NULL, buf, &len, &got, &count),
             ERROR_SUCCESS);
    CHECK_EQ(len, need);
    CHECK_EQ(count, lines);
    CHECK((void *)got == buf);
    if (got && count == lines) {
        int repeats = 0;
        for (i = 0; i < count; i++) {
            WCHAR line[512];
            /* Every string inside the one buffer. */
            CHECK((char *)got[i].pwszName >= (char *)buf && (char *)got[i].pwszName < (char *)buf + need);
            CHECK((char *)got[i].pwszValue >= (char *)buf && (char *)got[i].pwszValue < (char *)buf + need);
            harness_swprintf(line, 512, L"\r\n%s: %s\r\n", harness_narrow(got[i].pwszName), harness_narrow(got[i].pwszValue));
            CHECK(harness_wcsstr(raw, line) != NULL);
            if (!harness_wcscmp(got[i].pwszName, L"x-repeat"))
                repeats++;
        }
        CHECK_EQ(repeats, 3);
    }
    free(buf);

    /* A well-known level: Content-Type. */
    got = query_all(req, WINHTTP_QUERY_CONTENT_TYPE, 0, NULL, NULL, &buf, &count, &err);
    CHECK_EQ(err, ERROR_SUCCESS);
    CHECK_EQ(count, 1);
    if (got)
        CHECK_WSTR(got[0].pwszValue, L"text/plain");
    free(buf);

    /* Repeats by index, then not found (the index stays). */
    {
        WINHTTP_HEADER_NAME name = {.pwszName = L"X-Repeat"};
        const WCHAR *want[] = {L"one", L"two", L"three"};
        for (i = 0; i < 3; i++) {
            got = query_all(req, WINHTTP_QUERY_CUSTOM, 0, &name, &index, &buf, &count, &err);
            CHECK_EQ(err, ERROR_SUCCESS);
            if (got)
                CHECK_WSTR(got[0].pwszValue, want[i]);
            free(buf);
        }
        CHECK_EQ(index, 3);
        len = 0;
        CHECK_EQ(WinHttpQueryHeadersEx(req, WINHTTP_QUERY_CUSTOM, 0, 0, &index, &name, NULL, &len, &got, &count),
                 ERROR_WINHTTP_HEADER_NOT_FOUND);
        CHECK_EQ(index, 3);
    }
    /* Wire encoding: narrow strings. */
    got = query_all(req, WINHTTP_QUERY_EX_ALL_HEADERS | WINHTTP_QUERY_FLAG_WIRE_ENCODING, 0, NULL, NULL, &buf, &count,
                    &err);
    CHECK_EQ(err, ERROR_SUCCESS);
    if (got) {
        int found = 0;
        for (i = 0; i < count; i++)
            found |= !strcmp(got[i].pszName, "last-modified") && !strcmp(got[i].pszValue, "Sun, 06 Nov 1994 08:49:37 GMT");
        CHECK(found);
    }
    free(buf);
    /* A Latin-1 code page still reads ASCII the same. */
    got = query_all(req, WINHTTP_QUERY_CONTENT_TYPE, 28591, NULL, NULL, &buf, &count, &err);
    CHECK_EQ(err, ERROR_SUCCESS);
    if (got)
        CHECK_WSTR(got[0].pwszValue, L"text/plain");
    free(buf);
    /* No such header; trailers (none). */
    len = 0;
    CHECK_EQ(WinHttpQueryHeadersEx(req, WINHTTP_QUERY_CONTENT_RANGE, 0, 0, NULL, NULL, NULL, &len, &got, &count),
             ERROR_WINHTTP_HEADER_NOT_FOUND);
    got = (PWINHTTP_EXTENDED_HEADER)1;
    count = 99;
    CHECK_EQ(WinHttpQueryHeadersEx(req, WINHTTP_QUERY_EX_ALL_HEADERS | WINHTTP_QUERY_FLAG_TRAILERS, 0, 0, NULL, NULL,
                                   NULL, &len, &got, &count),
             ERROR_SUCCESS);
    CHECK_EQ(count, 0);
    CHECK(got == NULL);
    WinHttpCloseHandle(req);
}

static void test_read_data_ex(void)
{
    HINTERNET req = get(L"/len/100000");
    static char buf[65536];
    DWORD n = 1, total = 0, ok = 1;
    if (!req)
        return;
    /* FILL_BUFFER: the whole buffer, then the rest, then 0. */
    CHECK_EQ(WinHttpReadDataEx(req, buf, sizeof buf, &n, WINHTTP_READ_DATA_EX_FLAG_FILL_BUFFER, 0, NULL),
             ERROR_SUCCESS);
    CHECK_EQ(n, sizeof buf);
    for (DWORD i = 0; i < n; i++)
        ok &= buf[i] == (char)('a' + (total + i) % 26);
    total += n;
    CHECK_EQ(WinHttpReadDataEx(req, buf, sizeof buf, &n, WINHTTP_READ_DATA_EX_FLAG_FILL_BUFFER, 0, NULL),
             ERROR_SUCCESS);
    CHECK_EQ(n, 100000 - sizeof buf);
    for (DWORD i = 0; i < n; i++)
        ok &= buf[i] == (char)('a' + (total + i) % 26);
    CHECK(ok);
    CHECK_EQ(WinHttpReadDataEx(req, buf, sizeof buf, &n, WINHTTP_READ_DATA_EX_FLAG_FILL_BUFFER, 0, NULL),
             ERROR_SUCCESS);
    CHECK_EQ(n, 0);
    WinHttpCloseHandle(req);

    /* Without the flag: like WinHttpReadData, any amount up to the buffer, the same bytes. */
    req = get(L"/len/5000");
    if (!req)
        return;
    total = 0;
    ok = 1;
    for (;;) {
        DWORD err = WinHttpReadDataEx(req, buf, 777, &n, 0, 0, NULL);
        CHECK_EQ(err, ERROR_SUCCESS);
        if (err || !n)
            break;
        CHECK(n <= 777);
        for (DWORD i = 0; i < n; i++)
            ok &= buf[i] == (char)('a' + (total + i) % 26);
        total += n;
    }
    CHECK(ok);
    CHECK_EQ(total, 5000);
    WinHttpCloseHandle(req);

    /* Async handles: FILL_BUFFER before a response fails with the handle's state, as a read does
     * (the filling itself is tested in test_read_fill_async.c). */
    {
        HINTERNET as = WinHttpOpen(L"winhttp-test/1.0", WINHTTP_ACCESS_TYPE_NO_PROXY, WINHTTP_NO_PROXY_NAME,
                                   WINHTTP_NO_PROXY_BYPASS, WINHTTP_FLAG_ASYNC);
        HINTERNET ac = WinHttpConnect(as, L"127.0.0.1", http_port, 0);
        HINTERNET ar = WinHttpOpenRequest(ac, L"GET", L"/hello", NULL, WINHTTP_NO_REFERER, WINHTTP_DEFAULT_ACCEPT_TYPES,
                                          0);
        CHECK(ar != NULL);
        CHECK_EQ(WinHttpReadDataEx(ar, buf, 16, NULL, WINHTTP_READ_DATA_EX_FLAG_FILL_BUFFER, 0, NULL),
                 ERROR_WINHTTP_INCORRECT_HANDLE_STATE);
        WinHttpCloseHandle(ar);
        WinHttpCloseHandle(ac);
        WinHttpCloseHandle(as);
    }
}

int main(void)
{
    http_port = (INTERNET_PORT)harness_env_int("WINHTTP_TEST_PORT", 0);
    if (!http_port)
        printf("WINHTTP_TEST_PORT not set: run through tests/c_suite.rs\n");
    CHECK(http_port != 0);
    ses = WinHttpOpen(L"winhttp-test/1.0", WINHTTP_ACCESS_TYPE_NO_PROXY, WINHTTP_NO_PROXY_NAME,
                      WINHTTP_NO_PROXY_BYPASS, 0);
    CHECK(ses != NULL);
    WinHttpSetTimeouts(ses, 10000, 10000, 10000, 10000);
    con = WinHttpConnect(ses, L"127.0.0.1", http_port, 0);
    CHECK(con != NULL);
    test_errors_without_a_response();
    test_add_and_query_request_headers();
    test_query_response_headers();
    test_read_data_ex();
    WinHttpCloseHandle(con);
    WinHttpCloseHandle(ses);
    return harness_report();
}
