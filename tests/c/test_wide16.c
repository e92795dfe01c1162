/*
 * UTF-16 code, the way Wine-style sources write it: WCHAR is 16 bits, strings are spelled as
 * {'h','t','t','p',0} arrays or u"..." literals, lengths count 16-bit units (a character outside
 * the BMP takes two) and byte sizes are twice the units. The header maps every WinHttp* function
 * that takes or returns wide strings to its _u16 twin.
 *
 * c_suite: utf16 only
 * (built with -fshort-wchar and with WINHTTP_WCHAR16, never with a 32-bit WCHAR: the arrays and
 * u"..." literals below are 16-bit data)
 *
 * WINHTTP_TEST_PORT is the HTTP server: /hello, /echo (the request as text), /redirect/302?to=P.
 */
#include <winhttp.h>
#include "harness.h"

#if !defined(WINHTTP_UTF16)
#error "this program is built with a 16-bit WCHAR only (-fshort-wchar or -DWINHTTP_WCHAR16)"
#endif

static const WCHAR agent[] = {'w','i','d','e','1','6','/','1','.','0',0};
static const WCHAR localhost[] = {'1','2','7','.','0','.','0','.','1',0};
static const WCHAR get[] = {'G','E','T',0};
static INTERNET_PORT http_port;

static void test_types(void)
{
    CHECK_EQ(sizeof(WCHAR), 2);
    CHECK_EQ(sizeof(URL_COMPONENTS), 104);
    CHECK_EQ(sizeof(WINHTTP_PROXY_INFO), 24);
    CHECK_EQ(sizeof(WINHTTP_CERTIFICATE_INFO), 64);
    CHECK_EQ(WINHTTP_TIME_FORMAT_BUFSIZE, 62);
}

static void test_crack_and_create(void)
{
    /* é is one unit, U+1F600 two (a surrogate pair): lengths count units. */
    const WCHAR *url = u"http://us\u00e9r:pw@h\u00e9st.example:8080/p\u00e4th?q=\U0001F600";
    URL_COMPONENTS uc;
    WCHAR host[32], extra[32], out[128];
    DWORD len;

    memset(&uc, 0, sizeof uc);
    uc.dwStructSize = sizeof uc;
    uc.dwSchemeLength = (DWORD)-1;
    uc.dwUserNameLength = (DWORD)-1;
    uc.lpszHostName = host;
    uc.dwHostNameLength = 32;
    uc.dwUrlPathLength = (DWORD)-1;
    uc.lpszExtraInfo = extra;
    uc.dwExtraInfoLength = 32;
    CHECK_OK(WinHttpCrackUrl(url, 0, 0, &uc));
    CHECK_EQ(uc.nScheme, INTERNET_SCHEME_HTTP);
    CHECK_EQ(uc.nPort, 8080);
    CHECK(uc.lpszScheme == url && uc.dwSchemeLength == 4);
    CHECK(uc.lpszUserName == url + 7 && uc.dwUserNameLength == 4);
    CHECK_WSTR(host, u"h\u00e9st.example");
    CHECK_EQ(uc.dwHostNameLength, 12);
    CHECK_EQ(uc.dwUrlPathLength, 5);
    CHECK_WSTR(extra, u"?q=\U0001F600");
    CHECK_EQ(uc.dwExtraInfoLength, 5);

    /* A buffer one unit short: the size needed counts the terminator. */
    uc.lpszExtraInfo = extra;
    uc.dwExtraInfoLength = 5;
    CHECK_FAILS(WinHttpCrackUrl(url, 0, 0, &uc), ERROR_INSUFFICIENT_BUFFER);
    CHECK_EQ(uc.dwExtraInfoLength, 6);

    memset(&uc, 0, sizeof uc);
    uc.dwStructSize = sizeof uc;
    uc.nScheme = INTERNET_SCHEME_HTTPS;
    uc.nPort = INTERNET_DEFAULT_HTTPS_PORT;
    uc.lpszHostName = (LPWSTR)u"example.com";
    uc.lpszUrlPath = (LPWSTR)u"/\u00e4";
    uc.lpszExtraInfo = (LPWSTR)u"?x=1";
    len = 0;
    CHECK_FAILS(WinHttpCreateUrl(&uc, 0, NULL, &len), ERROR_INSUFFICIENT_BUFFER);
    CHECK_EQ(len, harness_wcslen(u"https://example.com/\u00e4?x=1") + 1);
    len = 128;
    CHECK_OK(WinHttpCreateUrl(&uc, 0, out, &len));
    CHECK_WSTR(out, u"https://example.com/\u00e4?x=1");
    CHECK_EQ(len, harness_wcslen(out));
}

static void test_time(void)
{
    static const WCHAR date[] = {'M','o','n',',',' ','2','8',' ','J','u','l',' ','2','0','0','8',' ',
                                 '1','0',':','0','5',':','5','2',' ','G','M','T',0};
    SYSTEMTIME st = {2008, 7, 0, 28, 10, 5, 52, 0}, back;
    WCHAR buf[WINHTTP_TIME_FORMAT_BUFSIZE / sizeof(WCHAR)];

    CHECK_EQ(sizeof buf / sizeof buf[0], 31);
    CHECK_OK(WinHttpTimeFromSystemTime(&st, buf));
    CHECK_WSTR(buf, date);
    memset(&back, 0, sizeof back);
    CHECK_OK(WinHttpTimeToSystemTime(u"Mon, 28 Jul 2008 10:05:52 GMT", &back));
    CHECK_EQ(back.wYear, 2008);
    CHECK_EQ(back.wDayOfWeek, 1);
    CHECK_EQ(back.wSecond, 52);
}

static void test_options(void)
{
    HINTERNET ses = WinHttpOpen(agent, WINHTTP_ACCESS_TYPE_NO_PROXY, WINHTTP_NO_PROXY_NAME, WINHTTP_NO_PROXY_BYPASS, 0);
    WCHAR buf[64];
    DWORD size = 0;

    CHECK(ses != NULL);
    /* Sizes in bytes: 10 units plus the terminator. */
    CHECK_FAILS(WinHttpQueryOption(ses, WINHTTP_OPTION_USER_AGENT, NULL, &size), ERROR_INSUFFICIENT_BUFFER);
    CHECK_EQ(size, 22);
    size = sizeof buf;
    CHECK_OK(WinHttpQueryOption(ses, WINHTTP_OPTION_USER_AGENT, buf, &size));
    CHECK_EQ(size, 20);
    CHECK_WSTR(buf, agent);

    /* A string option's length counts units: "ab\U0001F600" is 4. */
    CHECK_OK(WinHttpSetOption(ses, WINHTTP_OPTION_USER_AGENT, (void *)u"ab\U0001F600", 4));
    size = sizeof buf;
    CHECK_OK(WinHttpQueryOption(ses, WINHTTP_OPTION_USER_AGENT, buf, &size));
    CHECK_EQ(size, 8);
    CHECK_WSTR(buf, u"ab\U0001F600");
    WinHttpCloseHandle(ses);
}

static void test_proxy_structures(void)
{
    WINHTTP_PROXY_INFO info, got;
    BOOL bypassed = FALSE;

    info.dwAccessType = WINHTTP_ACCESS_TYPE_NAMED_PROXY;
    info.lpszProxy = (LPWSTR)u"127.0.0.1:3128";
    info.lpszProxyBypass = (LPWSTR)u"<local>;*.example.com";
    CHECK_EQ(WinHttpIsHostInProxyBypassList(&info, u"www.example.com", INTERNET_SCHEME_HTTP, 0, &bypassed),
             ERROR_SUCCESS);
    CHECK(bypassed);
    CHECK_EQ(WinHttpIsHostInProxyBypassList(&info, u"example.org", INTERNET_SCHEME_HTTP, 0, &bypassed), ERROR_SUCCESS);
    CHECK(!bypassed);

    /* Strings handed out by the library are UTF-16 too. */
    CHECK_OK(WinHttpSetDefaultProxyConfiguration(&info));
    memset(&got, 0, sizeof got);
    CHECK_OK(WinHttpGetDefaultProxyConfiguration(&got));
    CHECK_EQ(got.dwAccessType, WINHTTP_ACCESS_TYPE_NAMED_PROXY);
    CHECK_WSTR(got.lpszProxy, u"127.0.0.1:3128");
    CHECK_WSTR(got.lpszProxyBypass, u"<local>;*.example.com");
    GlobalFree(got.lpszProxy);
    GlobalFree(got.lpszProxyBypass);
    info.dwAccessType = WINHTTP_ACCESS_TYPE_NO_PROXY;
    info.lpszProxy = NULL;
    info.lpszProxyBypass = NULL;
    CHECK_OK(WinHttpSetDefaultProxyConfiguration(&info));
}

/* What the status callback saw (set through the twin: strings in UTF-16). */
static WCHAR seen_server[64], seen_redirect[256];
static DWORD seen_server_len, seen_redirect_len;

static void CALLBACK callback(HINTERNET h, DWORD_PTR ctx, DWORD status, LPVOID info, DWORD len)
{
    (void)h;
    (void)ctx;
    if (status == WINHTTP_CALLBACK_STATUS_CONNECTING_TO_SERVER && len <= sizeof seen_server) {
        memcpy(seen_server, info, len);
        seen_server_len = len;
    } else if (status == WINHTTP_CALLBACK_STATUS_REDIRECT && len <= sizeof seen_redirect) {
        memcpy(seen_redirect, info, len);
        seen_redirect_len = len;
    }
}

static void test_request(void)
{
    HINTERNET ses, con, req;
    WCHAR buf[1024], path[128], want[128];
    char body[1024];
    DWORD size, status = 0, got = 0, index = 0;
    WINHTTP_HEADER_NAME name;
    WINHTTP_EXTENDED_HEADER *headers = NULL;
    DWORD count = 0;
    void *exbuf;

    ses = WinHttpOpen(agent, WINHTTP_ACCESS_TYPE_NO_PROXY, WINHTTP_NO_PROXY_NAME, WINHTTP_NO_PROXY_BYPASS, 0);
    con = WinHttpConnect(ses, localhost, http_port, 0);
    CHECK(con != NULL);
    CHECK(WinHttpSetStatusCallback(ses, callback, WINHTTP_CALLBACK_FLAG_ALL_NOTIFICATIONS, 0) !=
          WINHTTP_INVALID_STATUS_CALLBACK);
    /* The session's callback is inherited by handles opened after it. */
    WinHttpCloseHandle(con);
    con = WinHttpConnect(ses, localhost, http_port, 0);
    harness_swprintf(path, 128, u"/redirect/302?to=/echo");
    req = WinHttpOpenRequest(con, get, path, NULL, WINHTTP_NO_REFERER, WINHTTP_DEFAULT_ACCEPT_TYPES, 0);
    CHECK(req != NULL);
    /* Header lengths count units; -1 means NUL-terminated. */
    CHECK_OK(WinHttpAddRequestHeaders(req, u"X-Wide: one\r\nX-Ignored: no", 13, WINHTTP_ADDREQ_FLAG_ADD));
    CHECK_OK(WinHttpSendRequest(req, u"X-Wide-Send: two", (DWORD)-1, WINHTTP_NO_REQUEST_DATA, 0, 0, 0));
    CHECK_OK(WinHttpReceiveResponse(req, NULL));

    size = sizeof status;
    CHECK_OK(WinHttpQueryHeaders(req, WINHTTP_QUERY_STATUS_CODE | WINHTTP_QUERY_FLAG_NUMBER,
                                 WINHTTP_HEADER_NAME_BY_INDEX, &status, &size, WINHTTP_NO_HEADER_INDEX));
    CHECK_EQ(status, 200);
    size = 0;
    CHECK_FAILS(WinHttpQueryHeaders(req, WINHTTP_QUERY_STATUS_TEXT, WINHTTP_HEADER_NAME_BY_INDEX, NULL, &size,
                                    WINHTTP_NO_HEADER_INDEX),
                ERROR_INSUFFICIENT_BUFFER);
    CHECK_EQ(size, 6); /* "OK" and the terminator, two bytes each */
    size = sizeof buf;
    CHECK_OK(WinHttpQueryHeaders(req, WINHTTP_QUERY_RAW_HEADERS_CRLF, WINHTTP_HEADER_NAME_BY_INDEX, buf, &size,
                                 WINHTTP_NO_HEADER_INDEX));
    CHECK_EQ(size, harness_wcslen(buf) * 2);
    CHECK(harness_wcsncmp(buf, u"HTTP/1.1 200 OK\r\n", 17) == 0);
    size = sizeof buf;
    CHECK_OK(WinHttpQueryHeaders(req, WINHTTP_QUERY_CUSTOM, u"Content-Type", buf, &size, &index));
    CHECK_WSTR(buf, u"text/plain");
    CHECK_EQ(index, 1);
    size = sizeof buf;
    CHECK_OK(WinHttpQueryOption(req, WINHTTP_OPTION_URL, buf, &size));
    harness_swprintf(want, 128, u"http://127.0.0.1:%u/echo", (unsigned)http_port);
    CHECK_WSTR(buf, want);

    /* The Ex query: the pwsz strings in the caller's buffer are UTF-16. */
    name.pwszName = u"content-type";
    size = 0;
    CHECK_EQ(WinHttpQueryHeadersEx(req, WINHTTP_QUERY_CUSTOM, 0, 0, NULL, &name, NULL, &size, &headers, &count),
             ERROR_INSUFFICIENT_BUFFER);
    exbuf = malloc(size);
    CHECK_EQ(WinHttpQueryHeadersEx(req, WINHTTP_QUERY_CUSTOM, 0, 0, NULL, &name, exbuf, &size, &headers, &count),
             ERROR_SUCCESS);
    CHECK_EQ(count, 1);
    if (count == 1) {
        CHECK_WSTR(headers[0].pwszName, u"content-type"); /* as on the wire: the server lower-cases */
        CHECK_WSTR(headers[0].pwszValue, u"text/plain");
    }
    free(exbuf);

    /* The body: the server saw the UTF-16 headers as ordinary header text. */
    CHECK_OK(WinHttpReadData(req, body, sizeof body - 1, &got));
    body[got] = 0;
    CHECK(strstr(body, "GET /echo HTTP/1.1\n") == body);
    CHECK(strstr(body, "x-wide: one\n") != NULL);
    CHECK(strstr(body, "x-wide-send: two\n") != NULL);
    CHECK(strstr(body, "x-ignored") == NULL);
    CHECK(strstr(body, "user-agent: wide16/1.0\n") != NULL);

    /* Notification strings came in UTF-16, their sizes in bytes with the terminator. */
    CHECK_WSTR(seen_server, localhost);
    CHECK_EQ(seen_server_len, (harness_wcslen(localhost) + 1) * 2);
    harness_swprintf(want, 128, u"http://127.0.0.1:%u/echo", (unsigned)http_port);
    CHECK_WSTR(seen_redirect, want);
    CHECK_EQ(seen_redirect_len, (harness_wcslen(want) + 1) * 2);

    WinHttpCloseHandle(req);
    WinHttpCloseHandle(con);
    WinHttpCloseHandle(ses);
}

int main(void)
{
    http_port = (INTERNET_PORT)harness_env_int("WINHTTP_TEST_PORT", 0);
    test_types();
    test_crack_and_create();
    test_time();
    test_options();
    test_proxy_structures();
    if (http_port)
        test_request();
    else
        printf("test_request skipped: WINHTTP_TEST_PORT is not set\n");
    return harness_report();
}
