/* WinHttpSetOption / WinHttpQueryOption: the buffer protocol and the options that need no network. */
#include <winhttp.h>
#include "harness.h"

static HINTERNET ses, con, req, sreq;

static void test_dword_protocol(void)
{
    DWORD feature, size;

    SetLastError(0xdeadbeef);
    CHECK_FAILS(WinHttpQueryOption(ses, WINHTTP_OPTION_REDIRECT_POLICY, NULL, NULL), ERROR_INVALID_PARAMETER);

    size = 0xdeadbeef;
    CHECK_FAILS(WinHttpQueryOption(ses, WINHTTP_OPTION_REDIRECT_POLICY, NULL, &size), ERROR_INSUFFICIENT_BUFFER);
    CHECK_EQ(size, 4);

    feature = 0xdeadbeef;
    size = sizeof(feature) - 1;
    CHECK_FAILS(WinHttpQueryOption(ses, WINHTTP_OPTION_REDIRECT_POLICY, &feature, &size), ERROR_INSUFFICIENT_BUFFER);
    CHECK_EQ(size, 4);
    CHECK_EQ(feature, 0xdeadbeef);

    feature = 0xdeadbeef;
    size = sizeof(feature) + 1;
    SetLastError(0xdeadbeef);
    CHECK_OK(WinHttpQueryOption(ses, WINHTTP_OPTION_WORKER_THREAD_COUNT, &feature, &size));
    CHECK_EQ(size, sizeof(feature));
    CHECK_EQ(feature, 0);

    feature = 0xdeadbeef;
    size = sizeof(feature) + 1;
    SetLastError(0xdeadbeef);
    CHECK_OK(WinHttpQueryOption(ses, WINHTTP_OPTION_REDIRECT_POLICY, &feature, &size));
    CHECK_EQ(size, sizeof(feature));
    CHECK_EQ(feature, WINHTTP_OPTION_REDIRECT_POLICY_DISALLOW_HTTPS_TO_HTTP);

    CHECK_FAILS(WinHttpSetOption(ses, WINHTTP_OPTION_REDIRECT_POLICY, NULL, sizeof(feature)), ERROR_INVALID_PARAMETER);
    feature = WINHTTP_OPTION_REDIRECT_POLICY_ALWAYS;
    CHECK_FAILS(WinHttpSetOption(ses, WINHTTP_OPTION_REDIRECT_POLICY, &feature, sizeof(feature) - 1),
                ERROR_INSUFFICIENT_BUFFER);
    CHECK_FAILS(WinHttpSetOption(ses, WINHTTP_OPTION_REDIRECT_POLICY, &feature, sizeof(feature) + 1),
                ERROR_INSUFFICIENT_BUFFER);
    SetLastError(0xdeadbeef);
    CHECK_OK(WinHttpSetOption(ses, WINHTTP_OPTION_REDIRECT_POLICY, &feature, sizeof(feature)));
    feature = 0xdeadbeef;
    size = sizeof(feature);
    CHECK(WinHttpQueryOption(ses, WINHTTP_OPTION_REDIRECT_POLICY, &feature, &size));
    CHECK_EQ(feature, WINHTTP_OPTION_REDIRECT_POLICY_ALWAYS);
    feature = 3;
    CHECK_FAILS(WinHttpSetOption(ses, WINHTTP_OPTION_REDIRECT_POLICY, &feature, sizeof(feature)),
                ERROR_INVALID_PARAMETER);

    /* Worker thread count reads 0 on every handle type. */
    feature = 0xdeadbeef;
    size = sizeof(feature);
    CHECK_OK(WinHttpQueryOption(con, WINHTTP_OPTION_WORKER_THREAD_COUNT, &feature, &size));
    CHECK_EQ(feature, 0);
    feature = 0xdeadbeef;
    CHECK_OK(WinHttpQueryOption(req, WINHTTP_OPTION_WORKER_THREAD_COUNT, &feature, &size));
    CHECK_EQ(feature, 0);
}

static void test_features(void)
{
    DWORD feature, size;

    feature = WINHTTP_DISABLE_COOKIES;
    CHECK_FAILS(WinHttpSetOption(ses, WINHTTP_OPTION_DISABLE_FEATURE, &feature, sizeof(feature)),
                ERROR_WINHTTP_INCORRECT_HANDLE_TYPE);
    CHECK_FAILS(WinHttpSetOption(con, WINHTTP_OPTION_DISABLE_FEATURE, &feature, sizeof(feature)),
                ERROR_WINHTTP_INCORRECT_HANDLE_TYPE);

    feature = 0xdeadbeef;
    size = sizeof(feature);
    CHECK_FAILS(WinHttpQueryOption(req, WINHTTP_OPTION_DISABLE_FEATURE, &feature, &size), ERROR_INVALID_PARAMETER);
    feature = 0;
    CHECK(WinHttpSetOption(req, WINHTTP_OPTION_DISABLE_FEATURE, &feature, sizeof(feature)));
    feature = 0xffffffff;
    CHECK(WinHttpSetOption(req, WINHTTP_OPTION_DISABLE_FEATURE, &feature, sizeof(feature)));
    feature = WINHTTP_DISABLE_COOKIES;
    CHECK(WinHttpSetOption(req, WINHTTP_OPTION_DISABLE_FEATURE, &feature, sizeof(feature)));
    size = 0;
    CHECK_FAILS(WinHttpQueryOption(req, WINHTTP_OPTION_DISABLE_FEATURE, NULL, &size), ERROR_INVALID_PARAMETER);

    feature = 0xdeadbeef;
    size = sizeof(feature);
    CHECK_FAILS(WinHttpQueryOption(req, WINHTTP_OPTION_ENABLE_FEATURE, &feature, &size), ERROR_INVALID_PARAMETER);
    CHECK_EQ(feature, 0xdeadbeef);

    feature = WINHTTP_ENABLE_SSL_REVOCATION;
    CHECK_FAILS(WinHttpSetOption(req, WINHTTP_OPTION_ENABLE_FEATURE, NULL, sizeof(feature)), ERROR_INVALID_PARAMETER);
    CHECK_FAILS(WinHttpSetOption(req, WINHTTP_OPTION_ENABLE_FEATURE, &feature, 0), ERROR_INVALID_PARAMETER);
    SetLastError(0xdeadbeef);
    CHECK_OK(WinHttpSetOption(req, WINHTTP_OPTION_ENABLE_FEATURE, &feature, sizeof(feature)));
    feature = 0xdeadbeef;
    CHECK_FAILS(WinHttpSetOption(req, WINHTTP_OPTION_ENABLE_FEATURE, &feature, sizeof(feature)),
                ERROR_INVALID_PARAMETER);

    feature = 6;
    CHECK(WinHttpSetOption(req, WINHTTP_OPTION_CONNECT_RETRIES, &feature, sizeof(feature)));
}

static void test_unknown_and_invalid(void)
{
    DWORD value = 1, size = sizeof(value);

    CHECK_FAILS(WinHttpSetOption(ses, 0, &value, sizeof(value)), ERROR_WINHTTP_INVALID_OPTION);
    CHECK_FAILS(WinHttpSetOption(req, 0, &value, sizeof(value)), ERROR_WINHTTP_INVALID_OPTION);
    CHECK_FAILS(WinHttpSetOption(con, 0, &value, sizeof(value)), ERROR_WINHTTP_INVALID_OPTION);
    CHECK_FAILS(WinHttpSetOption(ses, 0x7777, &value, sizeof(value)), ERROR_WINHTTP_INVALID_OPTION);
    CHECK_FAILS(WinHttpQueryOption(ses, 0, &value, &size), ERROR_INVALID_PARAMETER);
    CHECK_FAILS(WinHttpQueryOption(con, 0, &value, &size), ERROR_INVALID_PARAMETER);
    CHECK_FAILS(WinHttpQueryOption(req, 0, &value, &size), ERROR_INVALID_PARAMETER);
    CHECK_FAILS(WinHttpQueryOption(ses, 0x7777, &value, &size), ERROR_WINHTTP_INVALID_OPTION);

    /* Options of another handle type. */
    CHECK_FAILS(WinHttpQueryOption(req, WINHTTP_OPTION_USER_AGENT, NULL, &size), ERROR_WINHTTP_INCORRECT_HANDLE_TYPE);
    CHECK_FAILS(WinHttpQueryOption(ses, WINHTTP_OPTION_URL, NULL, &size), ERROR_WINHTTP_INCORRECT_HANDLE_TYPE);
    value = WINHTTP_FLAG_SECURE_PROTOCOL_TLS1_2;
    CHECK_FAILS(WinHttpSetOption(con, WINHTTP_OPTION_SECURE_PROTOCOLS, &value, sizeof(value)),
                ERROR_WINHTTP_INCORRECT_HANDLE_TYPE);
    CHECK(WinHttpSetOption(ses, WINHTTP_OPTION_SECURE_PROTOCOLS, &value, sizeof(value)));
    value = 0;
    size = sizeof(value);
    CHECK(WinHttpQueryOption(ses, WINHTTP_OPTION_SECURE_PROTOCOLS, &value, &size));
    CHECK_EQ(value, WINHTTP_FLAG_SECURE_PROTOCOL_TLS1_2);

    /* Invalid handles come first. */
    CHECK_FAILS(WinHttpSetOption((HINTERNET)(DWORD_PTR)0xdeadbeef, WINHTTP_OPTION_CONTEXT_VALUE, &value, 4),
                ERROR_INVALID_HANDLE);
}

static void test_context_value(void)
{
    DWORD_PTR ctx, got;
    DWORD size;

    got = 0xdead;
    size = sizeof(got);
    SetLastError(0xdeadbeef);
    CHECK_OK(WinHttpQueryOption(req, WINHTTP_OPTION_CONTEXT_VALUE, &got, &size));
    CHECK_EQ(got, 0);
    CHECK_EQ(size, sizeof(DWORD_PTR));

    ctx = 0xdeadbeef;
    SetLastError(0xdeadbeef);
    CHECK_OK(WinHttpSetOption(ses, WINHTTP_OPTION_CONTEXT_VALUE, &ctx, sizeof(ctx)));
    CHECK_OK(WinHttpSetOption(con, WINHTTP_OPTION_CONTEXT_VALUE, &ctx, sizeof(ctx)));
    CHECK_OK(WinHttpSetOption(req, WINHTTP_OPTION_CONTEXT_VALUE, &ctx, sizeof(ctx)));
    got = 0;
    size = sizeof(got);
    CHECK(WinHttpQueryOption(con, WINHTTP_OPTION_CONTEXT_VALUE, &got, &size));
    CHECK_EQ(got, 0xdeadbeef);
    got = 0;
    CHECK(WinHttpQueryOption(req, WINHTTP_OPTION_CONTEXT_VALUE, &got, &size));
    CHECK_EQ(got, 0xdeadbeef);

    size = 1;
    CHECK_FAILS(WinHttpQueryOption(req, WINHTTP_OPTION_CONTEXT_VALUE, &got, &size), ERROR_INSUFFICIENT_BUFFER);
    CHECK_EQ(size, sizeof(DWORD_PTR));
}

static void test_strings(void)
{
    WCHAR buf[64];
    DWORD size;
    const WCHAR *agent = L"my agent/1.0";

    /* The user agent given to WinHttpOpen. */
    size = 0;
    CHECK_FAILS(WinHttpQueryOption(ses, WINHTTP_OPTION_USER_AGENT, NULL, &size), ERROR_INSUFFICIENT_BUFFER);
    CHECK_EQ(size, (harness_wcslen(L"winetest") + 1) * sizeof(WCHAR));
    size = sizeof(buf);
    SetLastError(0xdeadbeef);
    CHECK_OK(WinHttpQueryOption(ses, WINHTTP_OPTION_USER_AGENT, buf, &size));
    CHECK_WSTR(buf, L"winetest");
    CHECK_EQ(size, harness_wcslen(L"winetest") * sizeof(WCHAR));

    /* Set with a length in characters. */
    CHECK(WinHttpSetOption(ses, WINHTTP_OPTION_USER_AGENT, (void *)agent, (DWORD)harness_wcslen(agent)));
    size = sizeof(buf);
    CHECK(WinHttpQueryOption(ses, WINHTTP_OPTION_USER_AGENT, buf, &size));
    CHECK_WSTR(buf, agent);

    /* A buffer that fits the text but not the terminator fails and is left alone. */
    harness_wcscpy(buf, L"untouched");
    size = (DWORD)(harness_wcslen(agent) * sizeof(WCHAR));
    CHECK_FAILS(WinHttpQueryOption(ses, WINHTTP_OPTION_USER_AGENT, buf, &size), ERROR_INSUFFICIENT_BUFFER);
    CHECK_EQ(size, (harness_wcslen(agent) + 1) * sizeof(WCHAR));
    CHECK_WSTR(buf, L"untouched");

    /* Credentials: unset reads back empty with size 0. */
    size = sizeof(buf);
    buf[0] = L'x';
    CHECK(WinHttpQueryOption(req, WINHTTP_OPTION_USERNAME, buf, &size));
    CHECK_EQ(size, 0);
    CHECK_EQ(buf[0], 0);
    CHECK(WinHttpSetOption(req, WINHTTP_OPTION_USERNAME, (void *)L"user", 4));
    CHECK(WinHttpSetOption(req, WINHTTP_OPTION_PASSWORD, (void *)L"pwd", 3));
    size = sizeof(buf);
    CHECK(WinHttpQueryOption(req, WINHTTP_OPTION_USERNAME, buf, &size));
    CHECK_WSTR(buf, L"user");
    CHECK_EQ(size, 4 * sizeof(WCHAR));
    size = sizeof(buf);
    CHECK(WinHttpQueryOption(req, WINHTTP_OPTION_PASSWORD, buf, &size));
    CHECK_WSTR(buf, L"pwd");
    size = sizeof(buf);
    CHECK(WinHttpQueryOption(req, WINHTTP_OPTION_PROXY_USERNAME, buf, &size));
    CHECK_EQ(size, 0);
    CHECK(WinHttpSetOption(req, WINHTTP_OPTION_PROXY_PASSWORD, (void *)L"secret", 6));
    size = sizeof(buf);
    CHECK(WinHttpQueryOption(req, WINHTTP_OPTION_PROXY_PASSWORD, buf, &size));
    CHECK_WSTR(buf, L"secret");
    CHECK_FAILS(WinHttpSetOption(ses, WINHTTP_OPTION_USERNAME, (void *)L"user", 4), ERROR_WINHTTP_INCORRECT_HANDLE_TYPE);
}

static void test_request_options(void)
{
    DWORD value, size;
    HTTP_VERSION_INFO ver;
    HINTERNET parent;

    /* Security flags: only the four ignore flags can be set; a new secure request reads back 0. */
    value = 0xdeadbeef;
    size = sizeof(value);
    CHECK(WinHttpQueryOption(sreq, WINHTTP_OPTION_SECURITY_FLAGS, &value, &size));
    CHECK_EQ(value, 0);
    value = SECURITY_FLAG_SECURE;
    CHECK(!WinHttpSetOption(sreq, WINHTTP_OPTION_SECURITY_FLAGS, &value, sizeof(value)));
    value = SECURITY_FLAG_STRENGTH_STRONG;
    CHECK(!WinHttpSetOption(sreq, WINHTTP_OPTION_SECURITY_FLAGS, &value, sizeof(value)));
    value = SECURITY_FLAG_IGNORE_UNKNOWN_CA | SECURITY_FLAG_IGNORE_CERT_DATE_INVALID |
            SECURITY_FLAG_IGNORE_CERT_CN_INVALID | SECURITY_FLAG_IGNORE_CERT_WRONG_USAGE;
    CHECK(WinHttpSetOption(sreq, WINHTTP_OPTION_SECURITY_FLAGS, &value, sizeof(value)));
    value = 0;
    CHECK(WinHttpSetOption(sreq, WINHTTP_OPTION_SECURITY_FLAGS, &value, sizeof(value)));

    /* Client certificate context: only on a secure request; (NULL, 0) means none. */
    CHECK_FAILS(WinHttpSetOption(req, WINHTTP_OPTION_CLIENT_CERT_CONTEXT, WINHTTP_NO_CLIENT_CERT_CONTEXT, 0),
                ERROR_WINHTTP_INCORRECT_HANDLE_STATE);
    SetLastError(0xdeadbeef);
    CHECK_OK(WinHttpSetOption(sreq, WINHTTP_OPTION_CLIENT_CERT_CONTEXT, WINHTTP_NO_CLIENT_CERT_CONTEXT, 0));

    /* HTTP version. */
    size = sizeof(ver);
    CHECK(WinHttpQueryOption(req, WINHTTP_OPTION_HTTP_VERSION, &ver, &size));
    CHECK_EQ(ver.dwMajorVersion, 1);
    CHECK_EQ(ver.dwMinorVersion, 1);
    ver.dwMinorVersion = 0;
    CHECK(WinHttpSetOption(req, WINHTTP_OPTION_HTTP_VERSION, &ver, sizeof(ver)));
    ver.dwMinorVersion = 7;
    size = sizeof(ver);
    CHECK(WinHttpQueryOption(req, WINHTTP_OPTION_HTTP_VERSION, &ver, &size));
    CHECK_EQ(ver.dwMinorVersion, 0);

    /* Parent handles. */
    size = sizeof(parent);
    CHECK(WinHttpQueryOption(req, WINHTTP_OPTION_PARENT_HANDLE, &parent, &size));
    CHECK(parent == con);
    CHECK(WinHttpQueryOption(con, WINHTTP_OPTION_PARENT_HANDLE, &parent, &size));
    CHECK(parent == ses);

    /* Limits and their defaults. */
    size = sizeof(value);
    CHECK(WinHttpQueryOption(req, WINHTTP_OPTION_MAX_HTTP_AUTOMATIC_REDIRECTS, &value, &size));
    CHECK_EQ(value, 10);
    value = 2;
    CHECK(WinHttpSetOption(req, WINHTTP_OPTION_MAX_HTTP_AUTOMATIC_REDIRECTS, &value, sizeof(value)));
    CHECK(WinHttpQueryOption(req, WINHTTP_OPTION_MAX_HTTP_AUTOMATIC_REDIRECTS, &value, &size));
    CHECK_EQ(value, 2);
    CHECK(WinHttpQueryOption(ses, WINHTTP_OPTION_MAX_CONNS_PER_SERVER, &value, &size));
    CHECK_EQ(value, WINHTTP_CONNS_PER_SERVER_UNLIMITED);
    value = 4;
    CHECK(WinHttpSetOption(ses, WINHTTP_OPTION_MAX_CONNS_PER_SERVER, &value, sizeof(value)));
    CHECK(WinHttpQueryOption(ses, WINHTTP_OPTION_MAX_CONNS_PER_SERVER, &value, &size));
    CHECK_EQ(value, 4);
    value = 0;
    CHECK_FAILS(WinHttpSetOption(ses, WINHTTP_OPTION_MAX_CONNS_PER_SERVER, &value, sizeof(value)),
                ERROR_INVALID_PARAMETER);
    CHECK(WinHttpQueryOption(req, WINHTTP_OPTION_MAX_RESPONSE_HEADER_SIZE, &value, &size));
    CHECK_EQ(value, 64 * 1024);
    value = WINHTTP_DECOMPRESSION_FLAG_ALL;
    CHECK(WinHttpSetOption(req, WINHTTP_OPTION_DECOMPRESSION, &value, sizeof(value)));
    value = 0x10;
    CHECK_FAILS(WinHttpSetOption(req, WINHTTP_OPTION_DECOMPRESSION, &value, sizeof(value)), ERROR_INVALID_PARAMETER);

    /* WebSocket buffer sizes default to 32768 on sessions and requests. */
    CHECK(WinHttpQueryOption(ses, WINHTTP_OPTION_WEB_SOCKET_RECEIVE_BUFFER_SIZE, &value, &size));
    CHECK_EQ(value, 32768);
    CHECK(WinHttpQueryOption(req, WINHTTP_OPTION_WEB_SOCKET_SEND_BUFFER_SIZE, &value, &size));
    CHECK_EQ(value, 32768);
    CHECK_FAILS(WinHttpQueryOption(req, WINHTTP_OPTION_WEB_SOCKET_KEEPALIVE_INTERVAL, &value, &size),
                ERROR_INVALID_PARAMETER);

    /* The websocket upgrade marker takes no data. */
    SetLastError(0xdeadbeef);
    CHECK_OK(WinHttpSetOption(req, WINHTTP_OPTION_UPGRADE_TO_WEB_SOCKET, NULL, 0));
}

int main(void)
{
    ses = WinHttpOpen(L"winetest", 0, NULL, NULL, 0);
    con = WinHttpConnect(ses, L"localhost", INTERNET_DEFAULT_HTTP_PORT, 0);
    req = WinHttpOpenRequest(con, NULL, NULL, NULL, WINHTTP_NO_REFERER, WINHTTP_DEFAULT_ACCEPT_TYPES, 0);
    sreq = WinHttpOpenRequest(con, NULL, NULL, NULL, NULL, NULL, WINHTTP_FLAG_SECURE);
    CHECK(ses && con && req && sreq);

    test_dword_protocol();
    test_features();
    test_unknown_and_invalid();
    test_context_value();
    test_strings();
    test_request_options();

    CHECK(WinHttpCloseHandle(sreq));
    CHECK(WinHttpCloseHandle(req));
    CHECK(WinHttpCloseHandle(con));
    CHECK(WinHttpCloseHandle(ses));
    return harness_report();
}
