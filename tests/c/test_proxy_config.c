/*
 * Proxy configuration: WinHttpGetDefaultProxyConfiguration, WinHttpSetDefaultProxyConfiguration,
 * WinHttpGetIEProxyConfigForCurrentUser (strings freed with GlobalFree) and WINHTTP_OPTION_PROXY
 * on sessions and requests. On Linux and macOS the "system" settings are the process's own default
 * (WinHttpSetDefaultProxyConfiguration) or else the http_proxy / https_proxy / no_proxy variables.
 *
 * WINHTTP_TEST_RAW_PORT is the scripted raw server: /raw/echo answers with the request bytes, so a
 * proxied request shows its absolute-URI request line.
 */
#if !defined(_WIN32) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif
#include <winhttp.h>
#include "harness.h"

static INTERNET_PORT raw_port;

static void clear_env(void)
{
    unsetenv("http_proxy");
    unsetenv("HTTP_PROXY");
    unsetenv("https_proxy");
    unsetenv("HTTPS_PROXY");
    unsetenv("no_proxy");
    unsetenv("NO_PROXY");
}

/* GETs http://example.invalid/raw/echo through whatever the session decides; returns the first
 * line the server saw (static buffer), or "" on failure. */
static const char *request_line(HINTERNET ses, const WINHTTP_PROXY_INFO *request_proxy)
{
    static char line[256];
    char body[4096];
    DWORD got = 0, total = 0;
    HINTERNET con = WinHttpConnect(ses, L"example.invalid", 80, 0);
    HINTERNET req = WinHttpOpenRequest(con, L"GET", L"/raw/echo", NULL, NULL, NULL, 0);
    line[0] = 0;
    if (request_proxy)
        CHECK(WinHttpSetOption(req, WINHTTP_OPTION_PROXY, (void *)request_proxy, sizeof(*request_proxy)));
    if (WinHttpSendRequest(req, NULL, 0, NULL, 0, 0, 0) && WinHttpReceiveResponse(req, NULL)) {
        while (total < sizeof(body) - 1 && WinHttpReadData(req, body + total, sizeof(body) - 1 - total, &got) && got)
            total += got;
        body[total] = 0;
        if (strchr(body, '\r'))
            *strchr(body, '\r') = 0;
        snprintf(line, sizeof(line), "%.200s", body);
    }
    WinHttpCloseHandle(req);
    WinHttpCloseHandle(con);
    return line;
}

static void test_default_configuration_from_environment(void)
{
    WINHTTP_PROXY_INFO info;
    WINHTTP_CURRENT_USER_IE_PROXY_CONFIG ie;

    CHECK_FAILS(WinHttpGetDefaultProxyConfiguration(NULL), ERROR_INVALID_PARAMETER);
    CHECK_FAILS(WinHttpGetIEProxyConfigForCurrentUser(NULL), ERROR_INVALID_PARAMETER);

    clear_env();
    memset(&info, 0xcc, sizeof(info));
    SetLastError(0xdeadbeef);
    CHECK_OK(WinHttpGetDefaultProxyConfiguration(&info));
    CHECK_EQ(info.dwAccessType, WINHTTP_ACCESS_TYPE_NO_PROXY);
    CHECK(info.lpszProxy == NULL);
    CHECK(info.lpszProxyBypass == NULL);

    memset(&ie, 0xcc, sizeof(ie));
    CHECK_OK(WinHttpGetIEProxyConfigForCurrentUser(&ie));
    CHECK(!ie.fAutoDetect);
    CHECK(ie.lpszAutoConfigUrl == NULL);
    CHECK(ie.lpszProxy == NULL);
    CHECK(ie.lpszProxyBypass == NULL);

    setenv("http_proxy", "http://proxy.example:3128/", 1);
    setenv("no_proxy", "a.example, .b.example", 1);
    CHECK_OK(WinHttpGetDefaultProxyConfiguration(&info));
    CHECK_EQ(info.dwAccessType, WINHTTP_ACCESS_TYPE_NAMED_PROXY);
    CHECK_WSTR(info.lpszProxy, L"http=proxy.example:3128");
    CHECK_WSTR(info.lpszProxyBypass, L"a.example;.b.example");
    CHECK(GlobalFree(info.lpszProxy) == NULL);
    CHECK(GlobalFree(info.lpszProxyBypass) == NULL);

    setenv("https_proxy", "proxy.example:3128", 1);
    CHECK_OK(WinHttpGetIEProxyConfigForCurrentUser(&ie));
    CHECK(!ie.fAutoDetect);
    CHECK(ie.lpszAutoConfigUrl == NULL);
    CHECK_WSTR(ie.lpszProxy, L"proxy.example:3128");
    CHECK_WSTR(ie.lpszProxyBypass, L"a.example;.b.example");
    GlobalFree(ie.lpszProxy);
    GlobalFree(ie.lpszProxyBypass);
    clear_env();
}

static void test_set_default_configuration(void)
{
    WINHTTP_PROXY_INFO info, got;
    WCHAR proxy[64];
    HINTERNET ses;

    CHECK_FAILS(WinHttpSetDefaultProxyConfiguration(NULL), ERROR_INVALID_PARAMETER);
    info.dwAccessType = 2;
    info.lpszProxy = NULL;
    info.lpszProxyBypass = NULL;
    CHECK_FAILS(WinHttpSetDefaultProxyConfiguration(&info), ERROR_INVALID_PARAMETER);
    info.dwAccessType = WINHTTP_ACCESS_TYPE_NAMED_PROXY;
    CHECK_FAILS(WinHttpSetDefaultProxyConfiguration(&info), ERROR_INVALID_PARAMETER);
    info.lpszProxy = (LPWSTR)L"pr\u00f6xy:80";
    CHECK_FAILS(WinHttpSetDefaultProxyConfiguration(&info), ERROR_INVALID_PARAMETER);

    harness_swprintf(proxy, 64, L"127.0.0.1:%u", (unsigned)raw_port);
    info.lpszProxy = proxy;
    info.lpszProxyBypass = (LPWSTR)L"<local>";
    SetLastError(0xdeadbeef);
    CHECK_OK(WinHttpSetDefaultProxyConfiguration(&info));
    CHECK_OK(WinHttpGetDefaultProxyConfiguration(&got));
    CHECK_EQ(got.dwAccessType, WINHTTP_ACCESS_TYPE_NAMED_PROXY);
    CHECK_WSTR(got.lpszProxy, proxy);
    CHECK_WSTR(got.lpszProxyBypass, L"<local>");
    GlobalFree(got.lpszProxy);
    GlobalFree(got.lpszProxyBypass);

    /* A DEFAULT_PROXY session now goes through it (the request line carries the absolute URI). */
    ses = WinHttpOpen(L"test", WINHTTP_ACCESS_TYPE_DEFAULT_PROXY, NULL, NULL, 0);
    CHECK(strcmp(request_line(ses, NULL), "GET http://example.invalid/raw/echo HTTP/1.1") == 0);
    WinHttpCloseHandle(ses);

    info.dwAccessType = WINHTTP_ACCESS_TYPE_NO_PROXY;
    info.lpszProxy = NULL;
    info.lpszProxyBypass = NULL;
    CHECK_OK(WinHttpSetDefaultProxyConfiguration(&info));
    CHECK_OK(WinHttpGetDefaultProxyConfiguration(&got));
    CHECK_EQ(got.dwAccessType, WINHTTP_ACCESS_TYPE_NO_PROXY);
    CHECK(got.lpszProxy == NULL);
}

static void test_proxy_option(void)
{
    WINHTTP_PROXY_INFO info, got;
    WCHAR proxy[64];
    DWORD size;
    HINTERNET ses, con, req;

    harness_swprintf(proxy, 64, L"127.0.0.1:%u", (unsigned)raw_port);
    ses = WinHttpOpen(L"test", WINHTTP_ACCESS_TYPE_NAMED_PROXY, proxy, L"<local>", 0);

    /* The session reports what WinHttpOpen was given. */
    size = 0;
    CHECK_FAILS(WinHttpQueryOption(ses, WINHTTP_OPTION_PROXY, NULL, &size), ERROR_INSUFFICIENT_BUFFER);
    CHECK_EQ(size, sizeof(WINHTTP_PROXY_INFO));
    size = sizeof(got);
    SetLastError(0xdeadbeef);
    CHECK_OK(WinHttpQueryOption(ses, WINHTTP_OPTION_PROXY, &got, &size));
    CHECK_EQ(size, sizeof(WINHTTP_PROXY_INFO));
    CHECK_EQ(got.dwAccessType, WINHTTP_ACCESS_TYPE_NAMED_PROXY);
    CHECK_WSTR(got.lpszProxy, proxy);
    CHECK_WSTR(got.lpszProxyBypass, L"<local>");
    GlobalFree(got.lpszProxy);
    GlobalFree(got.lpszProxyBypass);
    CHECK(strcmp(request_line(ses, NULL), "GET http://example.invalid/raw/echo HTTP/1.1") == 0);

    /* Invalid values and sizes. */
    info.dwAccessType = WINHTTP_ACCESS_TYPE_NAMED_PROXY;
    info.lpszProxy = NULL;
    info.lpszProxyBypass = NULL;
    CHECK_FAILS(WinHttpSetOption(ses, WINHTTP_OPTION_PROXY, &info, sizeof(info)), ERROR_INVALID_PARAMETER);
    info.dwAccessType = 5;
    CHECK_FAILS(WinHttpSetOption(ses, WINHTTP_OPTION_PROXY, &info, sizeof(info)), ERROR_INVALID_PARAMETER);
    info.dwAccessType = WINHTTP_ACCESS_TYPE_NO_PROXY;
    CHECK_FAILS(WinHttpSetOption(ses, WINHTTP_OPTION_PROXY, &info, sizeof(info) - 1), ERROR_INSUFFICIENT_BUFFER);
    CHECK_FAILS(WinHttpSetOption(ses, WINHTTP_OPTION_PROXY, NULL, sizeof(info)), ERROR_INVALID_PARAMETER);

    /* A request-level NO_PROXY goes direct (and so fails to resolve the .invalid name). */
    con = WinHttpConnect(ses, L"example.invalid", 80, 0);
    req = WinHttpOpenRequest(con, L"GET", L"/raw/echo", NULL, NULL, NULL, 0);
    CHECK_OK(WinHttpSetOption(req, WINHTTP_OPTION_PROXY, &info, sizeof(info)));
    size = sizeof(got);
    CHECK_OK(WinHttpQueryOption(req, WINHTTP_OPTION_PROXY, &got, &size));
    CHECK_EQ(got.dwAccessType, WINHTTP_ACCESS_TYPE_NO_PROXY);
    CHECK(got.lpszProxy == NULL);
    CHECK(!WinHttpSendRequest(req, NULL, 0, NULL, 0, 0, 0));
    CHECK(GetLastError() == ERROR_WINHTTP_NAME_NOT_RESOLVED || GetLastError() == ERROR_WINHTTP_TIMEOUT);
    WinHttpCloseHandle(req);
    WinHttpCloseHandle(con);

    /* A session-level NO_PROXY replaces the WinHttpOpen list for new requests... */
    CHECK_OK(WinHttpSetOption(ses, WINHTTP_OPTION_PROXY, &info, sizeof(info)));
    size = sizeof(got);
    CHECK_OK(WinHttpQueryOption(ses, WINHTTP_OPTION_PROXY, &got, &size));
    CHECK_EQ(got.dwAccessType, WINHTTP_ACCESS_TYPE_NO_PROXY);
    /* ...and a request-level proxy replaces the session's. */
    info.dwAccessType = WINHTTP_ACCESS_TYPE_NAMED_PROXY;
    info.lpszProxy = proxy;
    CHECK(strcmp(request_line(ses, &info), "GET http://example.invalid/raw/echo HTTP/1.1") == 0);
    WinHttpCloseHandle(ses);
}

int main(void)
{
    raw_port = (INTERNET_PORT)harness_env_int("WINHTTP_TEST_RAW_PORT", 0);
    CHECK(raw_port != 0);
    test_default_configuration_from_environment();
    test_set_default_configuration();
    test_proxy_option();
    return harness_report();
}
