/*
 * Request headers: WinHttpAddRequestHeaders (modifiers, header text syntax, several headers per
 * call) and WinHttpQueryHeaders on the request side (custom and well-known names, raw headers,
 * request method, version, number and date conversions, the byte-count buffer protocol and the
 * header index), plus the error paths of both. No network is needed: nothing is sent.
 */
#include <winhttp.h>
#include "harness.h"

#define BUF_CHARS 260
#define REQ_CUSTOM (WINHTTP_QUERY_CUSTOM | WINHTTP_QUERY_FLAG_REQUEST_HEADERS)

static HINTERNET ses, con;

static HINTERNET open_request(void)
{
    return WinHttpOpenRequest(con, L"POST", L"/posttest.php", NULL, WINHTTP_NO_REFERER,
                              WINHTTP_DEFAULT_ACCEPT_TYPES, 0);
}

/* Queries request header `name` at `*index` into buf (of `count` WCHARs); returns the call's result. */
static BOOL get_header(HINTERNET req, const WCHAR *name, WCHAR *buf, DWORD count, DWORD *index)
{
    DWORD len = count * sizeof(WCHAR);
    return WinHttpQueryHeaders(req, REQ_CUSTOM, name, buf, &len, index);
}

/* True when the request header `name` at `index` has the value `want`. */
static int header_is(HINTERNET req, const WCHAR *name, DWORD index, const WCHAR *want)
{
    WCHAR buf[256];
    DWORD i = index;
    if (!get_header(req, name, buf, 256, &i)) {
        printf("  header %s[%lu]: query failed with %lu\n", harness_narrow(name), (unsigned long)index,
               (unsigned long)GetLastError());
        return 0;
    }
    if (harness_wcscmp(buf, want)) {
        printf("  header %s[%lu] = \"%s\", expected \"%s\"\n", harness_narrow(name), (unsigned long)index,
               harness_narrow(buf), harness_narrow(want));
        return 0;
    }
    return i == index + 1;
}

/* True when the request header `name` has no occurrence number `index`. */
static int no_header(HINTERNET req, const WCHAR *name, DWORD index)
{
    WCHAR buf[256];
    DWORD i = index;
    return !get_header(req, name, buf, 256, &i) && GetLastError() == ERROR_WINHTTP_HEADER_NOT_FOUND &&
           i == index;
}

static void test_add_errors(void)
{
    HINTERNET req = open_request(), closed = open_request();
    CHECK(req != NULL);
    CHECK(closed != NULL);
    CHECK_OK(WinHttpCloseHandle(closed));

    CHECK_FAILS(WinHttpAddRequestHeaders(NULL, L"a: b", (DWORD)-1, WINHTTP_ADDREQ_FLAG_ADD),
                ERROR_INVALID_HANDLE);
    CHECK_FAILS(WinHttpAddRequestHeaders(ses, L"a: b", (DWORD)-1, WINHTTP_ADDREQ_FLAG_ADD),
                ERROR_WINHTTP_INCORRECT_HANDLE_TYPE);
    CHECK_FAILS(WinHttpAddRequestHeaders(con, L"a: b", (DWORD)-1, WINHTTP_ADDREQ_FLAG_ADD),
                ERROR_WINHTTP_INCORRECT_HANDLE_TYPE);
    CHECK_FAILS(WinHttpAddRequestHeaders(closed, L"a: b", (DWORD)-1, WINHTTP_ADDREQ_FLAG_ADD),
                ERROR_INVALID_HANDLE);
    CHECK_FAILS(WinHttpAddRequestHeaders(req, NULL, (DWORD)-1, WINHTTP_ADDREQ_FLAG_ADD),
                ERROR_INVALID_PARAMETER);
    /* A length of 0 with a non-empty string is refused; -1 means NUL-terminated. */
    CHECK_FAILS(WinHttpAddRequestHeaders(req, L"Range: bytes=0-773\r\n", 0,
                                         WINHTTP_ADDREQ_FLAG_ADD | WINHTTP_ADDREQ_FLAG_REPLACE),
                ERROR_INVALID_PARAMETER);
    /* Arguments are checked before the handle. */
    CHECK_FAILS(WinHttpAddRequestHeaders(ses, L"a: b", 0, WINHTTP_ADDREQ_FLAG_ADD), ERROR_INVALID_PARAMETER);
    CHECK_FAILS(WinHttpAddRequestHeaders(NULL, NULL, (DWORD)-1, 0), ERROR_INVALID_PARAMETER);
    CHECK(no_header(req, L"a", 0));

    CHECK_OK(WinHttpCloseHandle(req));
}

static void test_warning_sequence(void)
{
    static const WCHAR begin[] = L"POST /posttest.php HTTP/1";
    HINTERNET req = open_request();
    WCHAR buffer[BUF_CHARS], check_buffer[BUF_CHARS];
    DWORD index, len, oldlen;
    BOOL ret;
    int reverse;

    CHECK(req != NULL);

    index = 0;
    len = sizeof(buffer);
    SetLastError(0xdeadbeef);
    ret = WinHttpQueryHeaders(req, REQ_CUSTOM, L"Warning", buffer, &len, &index);
    CHECK(!ret);
    CHECK_EQ(GetLastError(), ERROR_WINHTTP_HEADER_NOT_FOUND);
    CHECK_EQ(index, 0);

    SetLastError(0xdeadbeef);
    CHECK_OK(WinHttpAddRequestHeaders(req, L"Warning:test1", (DWORD)-1, WINHTTP_ADDREQ_FLAG_ADD));

    index = 0;
    len = sizeof(buffer);
    CHECK_OK(WinHttpQueryHeaders(req, REQ_CUSTOM, L"Warning", buffer, &len, &index));
    CHECK_EQ(index, 1);
    CHECK_WSTR(buffer, L"test1");
    CHECK_EQ(len, 5 * sizeof(WCHAR));

    /* The next index does not exist; a failure leaves the index alone. */
    len = sizeof(buffer);
    CHECK_FAILS(WinHttpQueryHeaders(req, REQ_CUSTOM, L"Warning", buffer, &len, &index),
                ERROR_WINHTTP_HEADER_NOT_FOUND);
    CHECK_EQ(index, 1);

    /* Room for the text but not its terminator: nothing written, size with the terminator. */
    index = 0;
    len = 5 * sizeof(WCHAR);
    memset(check_buffer, 0xab, sizeof(check_buffer));
    memcpy(buffer, check_buffer, sizeof(buffer));
    CHECK_FAILS(WinHttpQueryHeaders(req, REQ_CUSTOM, L"Warning", buffer, &len, &index),
                ERROR_INSUFFICIENT_BUFFER);
    CHECK(!memcmp(buffer, check_buffer, sizeof(buffer)));
    CHECK_EQ(len, 6 * sizeof(WCHAR));
    CHECK_EQ(index, 0);

    /* A NULL buffer always reports the size, whatever the length says. */
    len = sizeof(buffer);
    CHECK_FAILS(WinHttpQueryHeaders(req, REQ_CUSTOM, L"Warning", WINHTTP_NO_OUTPUT_BUFFER, &len, &index),
                ERROR_INSUFFICIENT_BUFFER);
    CHECK_EQ(len, 6 * sizeof(WCHAR));
    CHECK_EQ(index, 0);

    /* Names match without regard to case. */
    CHECK(header_is(req, L"wArNiNg", 0, L"test1"));

    /* RAW_HEADERS_CRLF: the size, with a NULL buffer, for any length given. */
    index = 0;
    len = sizeof(buffer);
    CHECK_FAILS(WinHttpQueryHeaders(req, WINHTTP_QUERY_RAW_HEADERS_CRLF | WINHTTP_QUERY_FLAG_REQUEST_HEADERS,
                                    L"Warning", NULL, &len, &index),
                ERROR_INSUFFICIENT_BUFFER);
    CHECK(len > 40);
    CHECK_EQ(index, 0);
    len = 10;
    CHECK_FAILS(WinHttpQueryHeaders(req, WINHTTP_QUERY_RAW_HEADERS_CRLF | WINHTTP_QUERY_FLAG_REQUEST_HEADERS,
                                    L"Warning", NULL, &len, &index),
                ERROR_INSUFFICIENT_BUFFER);
    CHECK(len > 40);
    len = 0;
    CHECK_FAILS(WinHttpQueryHeaders(req, WINHTTP_QUERY_RAW_HEADERS_CRLF | WINHTTP_QUERY_FLAG_REQUEST_HEADERS,
                                    L"Warning", NULL, &len, &index),
                ERROR_INSUFFICIENT_BUFFER);
    CHECK(len > 40);
    CHECK_EQ(index, 0);

    /* ... and the block itself: request line first, CRLFCRLF last, length without the NUL. */
    oldlen = len;
    len = sizeof(buffer);
    memset(buffer, 0xff, sizeof(buffer));
    CHECK_OK(WinHttpQueryHeaders(req, WINHTTP_QUERY_RAW_HEADERS_CRLF | WINHTTP_QUERY_FLAG_REQUEST_HEADERS,
                                 L"Warning", buffer, &len, &index));
    CHECK(len + sizeof(WCHAR) <= oldlen);
    CHECK(len < sizeof(buffer) - sizeof(WCHAR) && !buffer[len / sizeof(WCHAR)]);
    CHECK_EQ(len, harness_wcslen(buffer) * sizeof(WCHAR));
    CHECK(!memcmp(buffer, begin, harness_wcslen(begin) * sizeof(WCHAR)));
    CHECK(harness_wcslen(buffer) >= 4 && !harness_wcscmp(buffer + harness_wcslen(buffer) - 4, L"\r\n\r\n"));
    CHECK(harness_wcsstr(buffer, L"\r\nWarning: test1\r\n") != NULL);
    CHECK_EQ(index, 0);

    /* RAW_HEADERS: the same lines, each ended by a NUL, and one more NUL after the last. */
    len = 0;
    CHECK_FAILS(WinHttpQueryHeaders(req, WINHTTP_QUERY_RAW_HEADERS | WINHTTP_QUERY_FLAG_REQUEST_HEADERS,
                                    L"Warning", NULL, &len, &index),
                ERROR_INSUFFICIENT_BUFFER);
    CHECK(len > 40);
    CHECK_EQ(index, 0);
    oldlen = len;
    len = sizeof(buffer);
    memset(buffer, 0xff, sizeof(buffer));
    CHECK_OK(WinHttpQueryHeaders(req, WINHTTP_QUERY_RAW_HEADERS | WINHTTP_QUERY_FLAG_REQUEST_HEADERS,
                                 L"Warning", buffer, &len, &index));
    CHECK(len + sizeof(WCHAR) <= oldlen);
    CHECK(len < sizeof(buffer) - sizeof(WCHAR) && !buffer[len / sizeof(WCHAR)] &&
          !buffer[len / sizeof(WCHAR) - 1]);
    CHECK(!memcmp(buffer, begin, harness_wcslen(begin) * sizeof(WCHAR)));
    CHECK(!harness_wcschr(buffer, L'\r') && !harness_wcschr(buffer, L'\n'));
    CHECK_EQ(index, 0);
    {
        /* Walk the NUL-separated lines: the request line, then "Warning: test1" among them. */
        const WCHAR *p = buffer, *end = buffer + len / sizeof(WCHAR);
        int lines = 0, found = 0;
        while (p < end && *p) {
            lines++;
            if (!harness_wcscmp(p, L"Warning: test1"))
                found = 1;
            p += harness_wcslen(p) + 1;
        }
        CHECK(lines >= 2);
        CHECK(found);
        CHECK(p == end);
    }

    /* A second value under the same name: index 0 and index 1. */
    CHECK_OK(WinHttpAddRequestHeaders(req, L"Warning:test2", (DWORD)-1, WINHTTP_ADDREQ_FLAG_ADD));
    CHECK(header_is(req, L"Warning", 0, L"test1"));
    CHECK(header_is(req, L"Warning", 1, L"test2"));
    CHECK(no_header(req, L"Warning", 2));

    /* REPLACE swaps one existing value (some Windows versions list them in reverse order). */
    CHECK_OK(WinHttpAddRequestHeaders(req, L"Warning:test3", (DWORD)-1, WINHTTP_ADDREQ_FLAG_REPLACE));
    index = 0;
    CHECK(get_header(req, L"Warning", buffer, BUF_CHARS, &index));
    reverse = harness_wcscmp(buffer, L"test2") != 0;
    CHECK(header_is(req, L"Warning", 0, reverse ? L"test3" : L"test2"));
    CHECK(header_is(req, L"Warning", 1, reverse ? L"test2" : L"test3"));
    CHECK(no_header(req, L"Warning", 2));

    /* ADD_IF_NEW fails when the header exists, and changes nothing. */
    CHECK(!WinHttpAddRequestHeaders(req, L"Warning:test4", (DWORD)-1, WINHTTP_ADDREQ_FLAG_ADD_IF_NEW));
    CHECK(header_is(req, L"Warning", 0, reverse ? L"test3" : L"test2"));
    CHECK(header_is(req, L"Warning", 1, reverse ? L"test2" : L"test3"));
    CHECK(no_header(req, L"Warning", 2));

    /* COALESCE merges into the first occurrence with ", "; the second is untouched. */
    CHECK_OK(WinHttpAddRequestHeaders(req, L"Warning:test4", (DWORD)-1, WINHTTP_ADDREQ_FLAG_COALESCE));
    CHECK(header_is(req, L"Warning", 0, reverse ? L"test3, test4" : L"test2, test4"));
    CHECK(header_is(req, L"Warning", 1, reverse ? L"test2" : L"test3"));
    CHECK(no_header(req, L"Warning", 2));

    CHECK_OK(WinHttpAddRequestHeaders(req, L"Warning:test5", (DWORD)-1, WINHTTP_ADDREQ_FLAG_COALESCE_WITH_COMMA));
    CHECK(header_is(req, L"Warning", 0, reverse ? L"test3, test4, test5" : L"test2, test4, test5"));
    CHECK(header_is(req, L"Warning", 1, reverse ? L"test2" : L"test3"));

    CHECK_OK(WinHttpAddRequestHeaders(req, L"Warning:test6", (DWORD)-1,
                                      WINHTTP_ADDREQ_FLAG_COALESCE_WITH_SEMICOLON));
    CHECK(header_is(req, L"Warning", 0, reverse ? L"test3, test4, test5; test6" : L"test2, test4, test5; test6"));
    CHECK(header_is(req, L"Warning", 1, reverse ? L"test2" : L"test3"));
    CHECK(no_header(req, L"Warning", 2));

    /* ADD | REPLACE replaces the first occurrence. */
    CHECK_OK(WinHttpAddRequestHeaders(req, L"Warning:test4", (DWORD)-1,
                                      WINHTTP_ADDREQ_FLAG_ADD | WINHTTP_ADDREQ_FLAG_REPLACE));
    CHECK(header_is(req, L"Warning", 0, reverse ? L"test4" : L"test3"));
    CHECK(header_is(req, L"Warning", 1, reverse ? L"test2" : L"test4"));
    CHECK(no_header(req, L"Warning", 2));

    CHECK_OK(WinHttpCloseHandle(req));
}

static void test_header_syntax(void)
{
    HINTERNET req = open_request();
    WCHAR buffer[BUF_CHARS];
    DWORD index, len;

    CHECK(req != NULL);

    CHECK(!WinHttpAddRequestHeaders(req, L":", ~0u, WINHTTP_ADDREQ_FLAG_ADD));
    CHECK(!WinHttpAddRequestHeaders(req, L":b", ~0u, WINHTTP_ADDREQ_FLAG_ADD));
    CHECK(!WinHttpAddRequestHeaders(req, L"cd", ~0u, WINHTTP_ADDREQ_FLAG_ADD));
    CHECK(!WinHttpAddRequestHeaders(req, L" e :f", ~0u, WINHTTP_ADDREQ_FLAG_ADD));
    CHECK(no_header(req, L"cd", 0));
    CHECK(no_header(req, L"e", 0));
    CHECK(no_header(req, L" e ", 0));

    /* "a:" is a header with an empty value. */
    CHECK_OK(WinHttpAddRequestHeaders(req, L"a:", ~0u, WINHTTP_ADDREQ_FLAG_ADD));
    index = 0;
    len = sizeof(buffer);
    memset(buffer, 0xff, sizeof(buffer));
    CHECK_OK(WinHttpQueryHeaders(req, REQ_CUSTOM, L"a", buffer, &len, &index));
    CHECK_WSTR(buffer, L"");
    CHECK_EQ(len, 0);
    CHECK_EQ(index, 1);

    /* Leading spaces of the value go; a trailing one may stay. */
    CHECK_OK(WinHttpAddRequestHeaders(req, L"field: value ", ~0u, WINHTTP_ADDREQ_FLAG_ADD));
    index = 0;
    buffer[0] = 0;
    CHECK(get_header(req, L"field", buffer, BUF_CHARS, &index));
    CHECK(!harness_wcscmp(buffer, L"value ") || !harness_wcscmp(buffer, L"value"));

    /* A trailing CRLF is not part of the value. */
    CHECK_OK(WinHttpAddRequestHeaders(req, L"Range: bytes=0-773\r\n", ~0u,
                                      WINHTTP_ADDREQ_FLAG_ADD | WINHTTP_ADDREQ_FLAG_REPLACE));
    index = 0;
    len = sizeof(buffer);
    CHECK_OK(WinHttpQueryHeaders(req, REQ_CUSTOM, L"Range", buffer, &len, &index));
    CHECK_WSTR(buffer, L"bytes=0-773");
    CHECK_EQ(len, harness_wcslen(L"bytes=0-773") * sizeof(WCHAR));
    CHECK_EQ(index, 1);

    /* REPLACE of an absent header fails; ADD adds; REPLACE with an empty value deletes. */
    CHECK(no_header(req, L"name", 0));
    SetLastError(0xdeadbeef);
    CHECK_FAILS(WinHttpAddRequestHeaders(req, L"name: value", ~0u, WINHTTP_ADDREQ_FLAG_REPLACE),
                ERROR_WINHTTP_HEADER_NOT_FOUND);
    CHECK(no_header(req, L"name", 0));
    CHECK_OK(WinHttpAddRequestHeaders(req, L"name: value", ~0u, WINHTTP_ADDREQ_FLAG_ADD));
    CHECK(header_is(req, L"name", 0, L"value"));
    CHECK_OK(WinHttpAddRequestHeaders(req, L"name:", ~0u, WINHTTP_ADDREQ_FLAG_REPLACE));
    CHECK(no_header(req, L"name", 0));

    /* Modifiers 0 mean ADD. */
    CHECK_OK(WinHttpAddRequestHeaders(req, L"name: value", (DWORD)-1, 0));
    CHECK(header_is(req, L"name", 0, L"value"));
    CHECK(no_header(req, L"name", 1));

    /* An explicit length takes exactly that many characters. */
    CHECK_OK(WinHttpAddRequestHeaders(req, L"X-Len: abcdef", 10, WINHTTP_ADDREQ_FLAG_ADD));
    CHECK(header_is(req, L"X-Len", 0, L"abc"));

    /* Values are Unicode; sizes count characters times sizeof(WCHAR). */
    CHECK_OK(WinHttpAddRequestHeaders(req, L"X-Uni: h\u00e9llo", (DWORD)-1, WINHTTP_ADDREQ_FLAG_ADD));
    index = 0;
    len = 0;
    CHECK_FAILS(WinHttpQueryHeaders(req, REQ_CUSTOM, L"x-uni", NULL, &len, &index), ERROR_INSUFFICIENT_BUFFER);
    CHECK_EQ(len, 6 * sizeof(WCHAR));
    CHECK(header_is(req, L"X-Uni", 0, L"h\u00e9llo"));

    CHECK_OK(WinHttpCloseHandle(req));
}

static void test_several_headers(void)
{
    HINTERNET req = open_request();
    WCHAR buffer[1024];
    DWORD len, index;

    CHECK(req != NULL);
    /* Any run of CR and LF separates headers. */
    CHECK_OK(WinHttpAddRequestHeaders(req, L"X-A: 1\n\rX-B: 2\nX-C: 3\n\n\nX-D: 4\r\r\rX-E: 5\r\n\r\nX-F: 6",
                                      (DWORD)-1, WINHTTP_ADDREQ_FLAG_ADD));
    CHECK(header_is(req, L"X-A", 0, L"1"));
    CHECK(header_is(req, L"X-B", 0, L"2"));
    CHECK(header_is(req, L"X-C", 0, L"3"));
    CHECK(header_is(req, L"X-D", 0, L"4"));
    CHECK(header_is(req, L"X-E", 0, L"5"));
    CHECK(header_is(req, L"X-F", 0, L"6"));

    /* Each goes out as "Name: Value\r\n", in order. */
    len = sizeof(buffer);
    index = 0;
    CHECK_OK(WinHttpQueryHeaders(req, WINHTTP_QUERY_RAW_HEADERS_CRLF | WINHTTP_QUERY_FLAG_REQUEST_HEADERS,
                                 WINHTTP_HEADER_NAME_BY_INDEX, buffer, &len, &index));
    CHECK(harness_wcsstr(buffer, L"\r\nX-A: 1\r\nX-B: 2\r\nX-C: 3\r\nX-D: 4\r\nX-E: 5\r\nX-F: 6\r\n") != NULL);

    /* A user-supplied Cookie header is kept, and a well-known level finds it. */
    CHECK_OK(WinHttpAddRequestHeaders(req, L"Cookie: 111\r\n", (DWORD)-1, WINHTTP_ADDREQ_FLAG_ADD));
    len = sizeof(buffer);
    CHECK_OK(WinHttpQueryHeaders(req, WINHTTP_QUERY_COOKIE | WINHTTP_QUERY_FLAG_REQUEST_HEADERS,
                                 WINHTTP_HEADER_NAME_BY_INDEX, buffer, &len, WINHTTP_NO_HEADER_INDEX));
    CHECK_WSTR(buffer, L"111");

    /* A bad line anywhere fails the call. */
    CHECK(!WinHttpAddRequestHeaders(req, L"X-G: 7\r\ncd\r\n", (DWORD)-1, WINHTTP_ADDREQ_FLAG_ADD));

    /* Requests do not share headers. */
    {
        HINTERNET other = open_request();
        CHECK(no_header(other, L"X-A", 0));
        WinHttpCloseHandle(other);
    }
    CHECK_OK(WinHttpCloseHandle(req));
}

static void test_query_levels(void)
{
    static const SYSTEMTIME want_time = {2008, 7, 1, 28, 10, 5, 52, 0};
    HINTERNET req = open_request();
    WCHAR method[8], buffer[BUF_CHARS];
    DWORD len, index, number;
    ULONGLONG number64;
    SYSTEMTIME st;

    CHECK(req != NULL);

    /* REQUEST_METHOD works before anything is sent, with or without the request flag. */
    method[0] = 0;
    len = sizeof(method);
    CHECK_OK(WinHttpQueryHeaders(req, WINHTTP_QUERY_REQUEST_METHOD, NULL, method, &len, NULL));
    CHECK_EQ(len, harness_wcslen(L"POST") * sizeof(WCHAR));
    CHECK_WSTR(method, L"POST");
    len = 0;
    CHECK_FAILS(WinHttpQueryHeaders(req, WINHTTP_QUERY_REQUEST_METHOD, NULL, NULL, &len, NULL),
                ERROR_INSUFFICIENT_BUFFER);
    CHECK_EQ(len, 5 * sizeof(WCHAR));
    len = sizeof(method);
    CHECK_OK(WinHttpQueryHeaders(req, WINHTTP_QUERY_REQUEST_METHOD | WINHTTP_QUERY_FLAG_REQUEST_HEADERS, NULL,
                                 method, &len, NULL));
    CHECK_WSTR(method, L"POST");

    /* VERSION on the request side; computed levels leave the index alone. */
    len = 0;
    CHECK_FAILS(WinHttpQueryHeaders(req, WINHTTP_QUERY_VERSION | WINHTTP_QUERY_FLAG_REQUEST_HEADERS, NULL, NULL,
                                    &len, NULL),
                ERROR_INSUFFICIENT_BUFFER);
    index = 5;
    CHECK_OK(WinHttpQueryHeaders(req, WINHTTP_QUERY_VERSION | WINHTTP_QUERY_FLAG_REQUEST_HEADERS, NULL, buffer,
                                 &len, &index));
    CHECK_EQ(harness_wcslen(buffer), len / sizeof(WCHAR));
    CHECK_WSTR(buffer, L"HTTP/1.1");
    CHECK_EQ(index, 5);

    /* Response headers before any response: wrong handle state. */
    len = sizeof(buffer);
    CHECK_FAILS(WinHttpQueryHeaders(req, WINHTTP_QUERY_CONNECTION, NULL, buffer, &len, NULL),
                ERROR_WINHTTP_INCORRECT_HANDLE_STATE);
    CHECK_FAILS(WinHttpQueryHeaders(req, WINHTTP_QUERY_UPGRADE, NULL, buffer, &len, NULL),
                ERROR_WINHTTP_INCORRECT_HANDLE_STATE);
    CHECK_FAILS(WinHttpQueryHeaders(req, WINHTTP_QUERY_STATUS_CODE | WINHTTP_QUERY_FLAG_NUMBER, NULL, &number,
                                    &len, NULL),
                ERROR_WINHTTP_INCORRECT_HANDLE_STATE);
    CHECK_FAILS(WinHttpQueryHeaders(req, WINHTTP_QUERY_CUSTOM, L"Warning", buffer, &len, NULL),
                ERROR_WINHTTP_INCORRECT_HANDLE_STATE);
    CHECK_FAILS(WinHttpQueryHeaders(req, WINHTTP_QUERY_RAW_HEADERS_CRLF, NULL, NULL, &len, NULL),
                ERROR_WINHTTP_INCORRECT_HANDLE_STATE);

    /* A level past WINHTTP_QUERY_MAX is invalid. */
    CHECK_FAILS(WinHttpQueryHeaders(req, WINHTTP_QUERY_MAX + 1, NULL, NULL, &len, NULL), ERROR_INVALID_PARAMETER);
    CHECK_FAILS(WinHttpQueryHeaders(req, (WINHTTP_QUERY_MAX + 1) | WINHTTP_QUERY_FLAG_REQUEST_HEADERS, NULL, NULL,
                                    &len, NULL),
                ERROR_INVALID_PARAMETER);

    /* Well-known levels name request headers; FLAG_NUMBER and FLAG_NUMBER64 convert. */
    CHECK_OK(WinHttpAddRequestHeaders(req, L"Content-Length: 1234", (DWORD)-1, WINHTTP_ADDREQ_FLAG_ADD));
    len = sizeof(buffer);
    CHECK_OK(WinHttpQueryHeaders(req, WINHTTP_QUERY_CONTENT_LENGTH | WINHTTP_QUERY_FLAG_REQUEST_HEADERS, NULL,
                                 buffer, &len, NULL));
    CHECK_WSTR(buffer, L"1234");
    number = 0xdeadbeef;
    len = sizeof(number);
    CHECK_OK(WinHttpQueryHeaders(req,
                                 WINHTTP_QUERY_CONTENT_LENGTH | WINHTTP_QUERY_FLAG_REQUEST_HEADERS |
                                     WINHTTP_QUERY_FLAG_NUMBER,
                                 NULL, &number, &len, NULL));
    CHECK_EQ(number, 1234);
    CHECK_EQ(len, sizeof(DWORD));
    number = 0xdeadbeef;
    len = sizeof(number) - 1;
    CHECK_FAILS(WinHttpQueryHeaders(req,
                                    WINHTTP_QUERY_CONTENT_LENGTH | WINHTTP_QUERY_FLAG_REQUEST_HEADERS |
                                        WINHTTP_QUERY_FLAG_NUMBER,
                                    NULL, &number, &len, NULL),
                ERROR_INSUFFICIENT_BUFFER);
    CHECK_EQ(len, sizeof(DWORD));
    CHECK_EQ(number, 0xdeadbeef);
    number64 = 0;
    len = sizeof(number64);
    CHECK_OK(WinHttpQueryHeaders(req,
                                 WINHTTP_QUERY_CONTENT_LENGTH | WINHTTP_QUERY_FLAG_REQUEST_HEADERS |
                                     WINHTTP_QUERY_FLAG_NUMBER64,
                                 NULL, &number64, &len, NULL));
    CHECK_EQ(number64, 1234);
    CHECK_EQ(len, sizeof(ULONGLONG));

    /* An absent header: not found, output untouched. */
    number = 0xdeadbeef;
    len = sizeof(number);
    CHECK_FAILS(WinHttpQueryHeaders(req, WINHTTP_QUERY_DATE | WINHTTP_QUERY_FLAG_REQUEST_HEADERS |
                                             WINHTTP_QUERY_FLAG_NUMBER,
                                    NULL, &number, &len, NULL),
                ERROR_WINHTTP_HEADER_NOT_FOUND);
    CHECK_EQ(number, 0xdeadbeef);

    /* FLAG_SYSTEMTIME reads an HTTP date. */
    CHECK_OK(WinHttpAddRequestHeaders(req, L"If-Modified-Since: Mon, 28 Jul 2008 10:05:52 GMT", (DWORD)-1,
                                      WINHTTP_ADDREQ_FLAG_ADD));
    memset(&st, 0xff, sizeof(st));
    len = sizeof(st);
    CHECK_OK(WinHttpQueryHeaders(req,
                                 WINHTTP_QUERY_IF_MODIFIED_SINCE | WINHTTP_QUERY_FLAG_REQUEST_HEADERS |
                                     WINHTTP_QUERY_FLAG_SYSTEMTIME,
                                 NULL, &st, &len, NULL));
    CHECK(!memcmp(&st, &want_time, sizeof(st)));
    CHECK_EQ(len, sizeof(SYSTEMTIME));

    /* The index walks repeated headers through a well-known level too. */
    CHECK_OK(WinHttpAddRequestHeaders(req, L"Accept-Language: en\r\nAccept-Language: fr", (DWORD)-1,
                                      WINHTTP_ADDREQ_FLAG_ADD));
    index = 0;
    len = sizeof(buffer);
    CHECK_OK(WinHttpQueryHeaders(req, WINHTTP_QUERY_ACCEPT_LANGUAGE | WINHTTP_QUERY_FLAG_REQUEST_HEADERS, NULL,
                                 buffer, &len, &index));
    CHECK_WSTR(buffer, L"en");
    CHECK_EQ(index, 1);
    len = sizeof(buffer);
    CHECK_OK(WinHttpQueryHeaders(req, WINHTTP_QUERY_ACCEPT_LANGUAGE | WINHTTP_QUERY_FLAG_REQUEST_HEADERS, NULL,
                                 buffer, &len, &index));
    CHECK_WSTR(buffer, L"fr");
    CHECK_EQ(index, 2);
    len = sizeof(buffer);
    CHECK_FAILS(WinHttpQueryHeaders(req, WINHTTP_QUERY_ACCEPT_LANGUAGE | WINHTTP_QUERY_FLAG_REQUEST_HEADERS, NULL,
                                    buffer, &len, &index),
                ERROR_WINHTTP_HEADER_NOT_FOUND);
    CHECK_EQ(index, 2);
    /* Without an index pointer, the first occurrence. */
    len = sizeof(buffer);
    CHECK_OK(WinHttpQueryHeaders(req, WINHTTP_QUERY_ACCEPT_LANGUAGE | WINHTTP_QUERY_FLAG_REQUEST_HEADERS, NULL,
                                 buffer, &len, WINHTTP_NO_HEADER_INDEX));
    CHECK_WSTR(buffer, L"en");

    CHECK_OK(WinHttpCloseHandle(req));
}

static void test_query_errors(void)
{
    HINTERNET closed = open_request();
    WCHAR buffer[64];
    DWORD len;

    CHECK_OK(WinHttpCloseHandle(closed));
    len = sizeof(buffer);
    CHECK_FAILS(WinHttpQueryHeaders(NULL, REQ_CUSTOM, L"a", buffer, &len, NULL), ERROR_INVALID_HANDLE);
    CHECK_FAILS(WinHttpQueryHeaders(ses, REQ_CUSTOM, L"a", buffer, &len, NULL),
                ERROR_WINHTTP_INCORRECT_HANDLE_TYPE);
    CHECK_FAILS(WinHttpQueryHeaders(con, WINHTTP_QUERY_REQUEST_METHOD, NULL, buffer, &len, NULL),
                ERROR_WINHTTP_INCORRECT_HANDLE_TYPE);
    CHECK_FAILS(WinHttpQueryHeaders(closed, WINHTTP_QUERY_REQUEST_METHOD, NULL, buffer, &len, NULL),
                ERROR_INVALID_HANDLE);
    CHECK_EQ(len, sizeof(buffer));
}

int main(void)
{
    ses = WinHttpOpen(L"test", WINHTTP_ACCESS_TYPE_NO_PROXY, WINHTTP_NO_PROXY_NAME, WINHTTP_NO_PROXY_BYPASS, 0);
    CHECK(ses != NULL);
    con = WinHttpConnect(ses, L"localhost", 80, 0);
    CHECK(con != NULL);
    if (ses && con) {
        test_add_errors();
        test_warning_sequence();
        test_header_syntax();
        test_several_headers();
        test_query_levels();
        test_query_errors();
    }
    WinHttpCloseHandle(con);
    WinHttpCloseHandle(ses);
    return harness_report();
}
