/*
 * Proxy auto-configuration: WinHttpGetProxyForUrl with a PAC URL (scripts in tests/c/pac/, served by
 * the test HTTP server at /pac/NAME, plus /pac-count and /pac-huge), every PAC helper, the script
 * sandbox (syntax error, exception, endless loop, memory, file system), the script cache and
 * WinHttpResetAutoProxy, WPAD by DNS, WinHttpIsHostInProxyBypassList, and the asynchronous resolver
 * (WinHttpCreateProxyResolver, WinHttpGetProxyForUrlEx, WinHttpGetProxyResult/Ex, Free*).
 *
 * WPAD: the resolver shim (LD_PRELOAD, Linux) resolves *.loopback.test to 127.0.0.1 and fails
 * *.invalid; the test names its DNS search domain with LOCALDOMAIN (the resolver's own override of
 * resolv.conf's search list), so nothing of the machine's configuration is touched.
 *
 * c_suite: preload shim_resolver
 *
 * c_suite: alone (it reads the HTTP server's /pac-count, one counter for every program).
 */
#if !defined(_WIN32) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif
#include <winhttp.h>
#include "harness.h"
#include <stdatomic.h>
#include <time.h>

static int port;
static HINTERNET ses;

static void url_of(WCHAR *out, size_t n, const char *path)
{
    harness_swprintf(out, n, L"http://127.0.0.1:%d%s", port, path);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* WinHttpGetProxyForUrl for `url` with the script at `path`; fills `info` on success. */
static BOOL get_proxy(const WCHAR *url, const char *path, DWORD extra_flags, WINHTTP_PROXY_INFO *info)
{
    WCHAR pac[256];
    WINHTTP_AUTOPROXY_OPTIONS o;
    url_of(pac, 256, path);
    memset(&o, 0, sizeof(o));
    o.dwFlags = WINHTTP_AUTOPROXY_CONFIG_URL | extra_flags;
    o.lpszAutoConfigUrl = pac;
    memset(info, 0, sizeof(*info));
    return WinHttpGetProxyForUrl(ses, url, &o, info);
}

static void free_info(WINHTTP_PROXY_INFO *info)
{
    GlobalFree(info->lpszProxy);
    GlobalFree(info->lpszProxyBypass);
    memset(info, 0, sizeof(*info));
}

/* The proxy string the script gives for `url`, checked against `expected`. */
static void expect_proxy(const WCHAR *url, const char *path, DWORD flags, const WCHAR *expected)
{
    WINHTTP_PROXY_INFO info;
    CHECK_OK(get_proxy(url, path, flags, &info));
    CHECK_EQ(info.dwAccessType, WINHTTP_ACCESS_TYPE_NAMED_PROXY);
    CHECK_WSTR(info.lpszProxy, expected);
    CHECK(info.lpszProxyBypass == NULL);
    free_info(&info);
}

static void test_arguments(void)
{
    WINHTTP_AUTOPROXY_OPTIONS o;
    WINHTTP_PROXY_INFO info;
    WCHAR pac[256];
    url_of(pac, 256, "/pac/wine.pac");
    memset(&o, 0, sizeof(o));
    o.dwFlags = WINHTTP_AUTOPROXY_CONFIG_URL;
    o.lpszAutoConfigUrl = pac;
    CHECK_FAILS(WinHttpGetProxyForUrl(NULL, L"http://a.example/", &o, &info), ERROR_INVALID_HANDLE);
    CHECK_FAILS(WinHttpGetProxyForUrl(ses, NULL, &o, &info), ERROR_INVALID_PARAMETER);
    CHECK_FAILS(WinHttpGetProxyForUrl(ses, L"", &o, &info), ERROR_INVALID_PARAMETER);
    CHECK_FAILS(WinHttpGetProxyForUrl(ses, L"http://a.example/", NULL, &info), ERROR_INVALID_PARAMETER);
    CHECK_FAILS(WinHttpGetProxyForUrl(ses, L"http://a.example/", &o, NULL), ERROR_INVALID_PARAMETER);
    o.dwFlags = 0;
    CHECK_FAILS(WinHttpGetProxyForUrl(ses, L"http://a.example/", &o, &info), ERROR_INVALID_PARAMETER);
    o.dwFlags = WINHTTP_AUTOPROXY_CONFIG_URL;
    o.lpszAutoConfigUrl = NULL;
    CHECK_FAILS(WinHttpGetProxyForUrl(ses, L"http://a.example/", &o, &info), ERROR_INVALID_PARAMETER);
    o.dwFlags = WINHTTP_AUTOPROXY_AUTO_DETECT;
    o.dwAutoDetectFlags = 0;
    CHECK_FAILS(WinHttpGetProxyForUrl(ses, L"http://a.example/", &o, &info), ERROR_INVALID_PARAMETER);
    {
        HINTERNET con = WinHttpConnect(ses, L"127.0.0.1", (INTERNET_PORT)port, 0);
        o.dwFlags = WINHTTP_AUTOPROXY_CONFIG_URL;
        o.lpszAutoConfigUrl = pac;
        CHECK_FAILS(WinHttpGetProxyForUrl(con, L"http://a.example/", &o, &info), ERROR_WINHTTP_INCORRECT_HANDLE_TYPE);
        WinHttpCloseHandle(con);
    }
    CHECK_FAILS(WinHttpDetectAutoProxyConfigUrl(WINHTTP_AUTO_DETECT_TYPE_DNS_A, NULL), ERROR_INVALID_PARAMETER);
    CHECK_EQ(WinHttpResetAutoProxy(NULL, WINHTTP_RESET_ALL), ERROR_INVALID_HANDLE);
}

static void test_windows_case(void)
{
    /* Windows' own test: the scheme lower-cased, the host kept unless HOST_LOWERCASE. */
    expect_proxy(L"HTTP://WINEHQ.ORG/Test.html", "/pac/wine.pac", WINHTTP_AUTOPROXY_NO_CACHE_SVC,
                 L"http___WINEHQ.ORG_Test.html_WINEHQ.ORG:8080");
    expect_proxy(L"HTTP://WINEHQ.ORG/Test.html", "/pac/wine.pac",
                 WINHTTP_AUTOPROXY_NO_CACHE_SVC | WINHTTP_AUTOPROXY_HOST_KEEPCASE,
                 L"http___WINEHQ.ORG_Test.html_WINEHQ.ORG:8080");
    expect_proxy(L"HTTP://WINEHQ.ORG/Test.html", "/pac/wine.pac", WINHTTP_AUTOPROXY_HOST_LOWERCASE,
                 L"http___winehq.org_Test.html_winehq.org:8080");
    expect_proxy(L"https://Secure.Example:8443/a?b", "/pac/wine.pac", WINHTTP_AUTOPROXY_NO_DIRECTACCESS,
                 L"https___Secure.Example_8443_a?b_Secure.Example:8080");
}

static void test_helpers_and_results(void)
{
    WINHTTP_PROXY_INFO info;
    expect_proxy(L"http://www.example.com/", "/pac/helpers.pac", 0, L"ok:1");
    expect_proxy(L"http://www.example.com/", "/pac/ex.pac", 0, L"a.example:8080;b.example:80");
    expect_proxy(L"http://www.example.com/", "/pac/direct.pac", 0, L"outside.example:3128");
    CHECK_OK(get_proxy(L"http://intranet/x", "/pac/direct.pac", 0, &info));
    CHECK_EQ(info.dwAccessType, WINHTTP_ACCESS_TYPE_NO_PROXY);
    CHECK(info.lpszProxy == NULL && info.lpszProxyBypass == NULL);
    free_info(&info);
    /* About 4 MiB of script; under valgrind, which runs the interpreter some 50 times slower than the
     * 5-second limit allows for that, a tenth of it. */
    expect_proxy(L"http://www.example.com/", getenv("WINHTTP_TEST_UNDER_CHECKER") ? "/pac-huge?lines=6000" : "/pac-huge", 0,
                 L"huge-ok:8080");
}

static void test_bad_scripts(void)
{
    static const char *const bad[] = {"/pac/syntax.pac", "/pac/throws.pac", "/pac/loop.pac", "/pac/memory.pac",
                                      "/pac/filesystem.pac", "/pac/notstring.pac"};
    WINHTTP_PROXY_INFO info;
    size_t i;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        double t = now_s();
        CHECK_FAILS(get_proxy(L"http://www.example.com/", bad[i], 0, &info), ERROR_WINHTTP_BAD_AUTO_PROXY_SCRIPT);
        /* The time limit is 5 s: an endless loop ends there, not in a hang. */
        CHECK(now_s() - t < (getenv("WINHTTP_TEST_UNDER_CHECKER") ? 60.0 : 10.0));
    }
    CHECK_FAILS(get_proxy(L"http://www.example.com/", "/pac/missing.pac", 0, &info),
                ERROR_WINHTTP_UNABLE_TO_DOWNLOAD_SCRIPT);
    /* A URL that is not a URL; a PAC URL of another scheme than http: or https:. */
    CHECK_FAILS(get_proxy(L"not a url", "/pac/wine.pac", 0, &info), ERROR_WINHTTP_INVALID_URL);
    {
        static const WCHAR *const other[] = {L"file:///etc/proxy.pac", L"ftp://127.0.0.1/proxy.pac"};
        WINHTTP_AUTOPROXY_OPTIONS o;
        size_t j;
        memset(&o, 0, sizeof(o));
        o.dwFlags = WINHTTP_AUTOPROXY_CONFIG_URL;
        for (j = 0; j < 2; j++) {
            o.lpszAutoConfigUrl = other[j];
            CHECK_FAILS(WinHttpGetProxyForUrl(ses, L"http://a.example/", &o, &info), ERROR_WINHTTP_UNRECOGNIZED_SCHEME);
        }
    }
    {
        WINHTTP_AUTOPROXY_OPTIONS o;
        WCHAR pac[128];
        harness_swprintf(pac, 128, L"http://127.0.0.1:%d/wpad.dat", harness_env_int("WINHTTP_TEST_CLOSED_PORT", 9));
        memset(&o, 0, sizeof(o));
        o.dwFlags = WINHTTP_AUTOPROXY_CONFIG_URL;
        o.lpszAutoConfigUrl = pac;
        CHECK_FAILS(WinHttpGetProxyForUrl(ses, L"http://a.example/", &o, &info), ERROR_WINHTTP_UNABLE_TO_DOWNLOAD_SCRIPT);
    }
}

static void test_cache_and_reset(void)
{
    WINHTTP_PROXY_INFO a, b, c, d;
    CHECK_OK(get_proxy(L"http://a.example/", "/pac-count", 0, &a));
    CHECK_OK(get_proxy(L"http://b.example/", "/pac-count", 0, &b));
    CHECK(a.lpszProxy && b.lpszProxy && harness_wcscmp(a.lpszProxy, b.lpszProxy) == 0);
    /* NO_CACHE_CLIENT downloads again. */
    CHECK_OK(get_proxy(L"http://a.example/", "/pac-count", WINHTTP_AUTOPROXY_NO_CACHE_CLIENT, &c));
    CHECK(c.lpszProxy && harness_wcscmp(a.lpszProxy, c.lpszProxy) != 0);
    free_info(&c);
    /* After a reset of the script cache, the script is downloaded again. */
    CHECK_EQ(WinHttpResetAutoProxy(ses, WINHTTP_RESET_SCRIPT_CACHE), ERROR_SUCCESS);
    CHECK_OK(get_proxy(L"http://a.example/", "/pac-count", 0, &c));
    CHECK_OK(get_proxy(L"http://a.example/", "/pac-count", 0, &d));
    CHECK(c.lpszProxy && harness_wcscmp(a.lpszProxy, c.lpszProxy) != 0);
    CHECK(c.lpszProxy && d.lpszProxy && harness_wcscmp(c.lpszProxy, d.lpszProxy) == 0);
    free_info(&a);
    free_info(&b);
    free_info(&c);
    free_info(&d);
    /* The script is loaded once and kept: its globals live on between calls, until a reset. */
    CHECK_EQ(WinHttpResetAutoProxy(ses, WINHTTP_RESET_SCRIPT_CACHE), ERROR_SUCCESS);
    expect_proxy(L"http://a.example/", "/pac/counter.pac", 0, L"calls-1:1");
    expect_proxy(L"http://a.example/", "/pac/counter.pac", 0, L"calls-2:1");
    CHECK_EQ(WinHttpResetAutoProxy(ses, WINHTTP_RESET_SCRIPT_CACHE), ERROR_SUCCESS);
    expect_proxy(L"http://a.example/", "/pac/counter.pac", 0, L"calls-1:1");
}

static void test_wpad(void)
{
    LPWSTR url = NULL;
    WINHTTP_AUTOPROXY_OPTIONS o;
    WINHTTP_PROXY_INFO info;
    WCHAR pac[256];
#ifndef __linux__
    printf("wpad: skipped (the resolver shim is Linux-only)\n");
    return;
#endif
    setenv("LOCALDOMAIN", "a.corp.loopback.test", 1);
    CHECK_EQ(WinHttpResetAutoProxy(ses, WINHTTP_RESET_ALL), ERROR_SUCCESS);
    CHECK_OK(WinHttpDetectAutoProxyConfigUrl(WINHTTP_AUTO_DETECT_TYPE_DNS_A, &url));
    CHECK_WSTR(url, L"http://wpad.a.corp.loopback.test/wpad.dat");
    GlobalFree(url);
    url = NULL;
    CHECK_FAILS(WinHttpDetectAutoProxyConfigUrl(WINHTTP_AUTO_DETECT_TYPE_DHCP, &url), ERROR_WINHTTP_AUTODETECTION_FAILED);
    setenv("LOCALDOMAIN", "nothing.invalid", 1);
    /* The first result is kept until a reset. */
    CHECK_OK(WinHttpDetectAutoProxyConfigUrl(WINHTTP_AUTO_DETECT_TYPE_DNS_A, &url));
    GlobalFree(url);
    url = NULL;
    CHECK_EQ(WinHttpResetAutoProxy(ses, WINHTTP_RESET_ALL), ERROR_SUCCESS);
    CHECK_FAILS(WinHttpDetectAutoProxyConfigUrl(WINHTTP_AUTO_DETECT_TYPE_DNS_A, &url), ERROR_WINHTTP_AUTODETECTION_FAILED);
    CHECK(url == NULL);
    memset(&o, 0, sizeof(o));
    o.dwFlags = WINHTTP_AUTOPROXY_AUTO_DETECT;
    o.dwAutoDetectFlags = WINHTTP_AUTO_DETECT_TYPE_DNS_A | WINHTTP_AUTO_DETECT_TYPE_DHCP;
    CHECK_FAILS(WinHttpGetProxyForUrl(ses, L"http://a.example/", &o, &info), ERROR_WINHTTP_AUTODETECTION_FAILED);
    /* Auto-detection first, then the configured URL. */
    url_of(pac, 256, "/pac/ex.pac");
    o.dwFlags |= WINHTTP_AUTOPROXY_CONFIG_URL;
    o.lpszAutoConfigUrl = pac;
    CHECK_OK(WinHttpGetProxyForUrl(ses, L"http://a.example/", &o, &info));
    CHECK_WSTR(info.lpszProxy, L"a.example:8080;b.example:80");
    free_info(&info);
    unsetenv("LOCALDOMAIN");
    CHECK_EQ(WinHttpResetAutoProxy(ses, WINHTTP_RESET_ALL), ERROR_SUCCESS);
}

static void test_bypass_list(void)
{
    WINHTTP_PROXY_INFO p;
    BOOL in = 2;
    p.dwAccessType = WINHTTP_ACCESS_TYPE_NAMED_PROXY;
    p.lpszProxy = L"proxy.example:8080";
    p.lpszProxyBypass = L"<local>;*.corp.example;10.*;only.example:8080";
    CHECK_EQ(WinHttpIsHostInProxyBypassList(&p, L"intranet", INTERNET_SCHEME_HTTP, 0, &in), ERROR_SUCCESS);
    CHECK_EQ(in, TRUE);
    CHECK_EQ(WinHttpIsHostInProxyBypassList(&p, L"www.example.com", INTERNET_SCHEME_HTTP, 0, &in), ERROR_SUCCESS);
    CHECK_EQ(in, FALSE);
    CHECK_EQ(WinHttpIsHostInProxyBypassList(&p, L"a.CORP.example", INTERNET_SCHEME_HTTPS, 443, &in), ERROR_SUCCESS);
    CHECK_EQ(in, TRUE);
    CHECK_EQ(WinHttpIsHostInProxyBypassList(&p, L"10.1.2.3", INTERNET_SCHEME_HTTP, 80, &in), ERROR_SUCCESS);
    CHECK_EQ(in, TRUE);
    CHECK_EQ(WinHttpIsHostInProxyBypassList(&p, L"only.example", INTERNET_SCHEME_HTTP, 8080, &in), ERROR_SUCCESS);
    CHECK_EQ(in, TRUE);
    CHECK_EQ(WinHttpIsHostInProxyBypassList(&p, L"only.example", INTERNET_SCHEME_HTTP, 0, &in), ERROR_SUCCESS);
    CHECK_EQ(in, FALSE);
    p.dwAccessType = WINHTTP_ACCESS_TYPE_NO_PROXY;
    CHECK_EQ(WinHttpIsHostInProxyBypassList(&p, L"www.example.com", INTERNET_SCHEME_HTTP, 0, &in), ERROR_SUCCESS);
    CHECK_EQ(in, TRUE);
    CHECK_EQ(WinHttpIsHostInProxyBypassList(NULL, L"x", INTERNET_SCHEME_HTTP, 0, &in), ERROR_INVALID_PARAMETER);
    CHECK_EQ(WinHttpIsHostInProxyBypassList(&p, NULL, INTERNET_SCHEME_HTTP, 0, &in), ERROR_INVALID_PARAMETER);
    CHECK_EQ(WinHttpIsHostInProxyBypassList(&p, L"x", INTERNET_SCHEME_HTTP, 0, NULL), ERROR_INVALID_PARAMETER);
}

/* The asynchronous resolver. */
static atomic_int completes, errors, closings;
static atomic_ulong last_error;
static atomic_uintptr_t last_context;

static void CALLBACK resolver_callback(HINTERNET h, DWORD_PTR ctx, DWORD status, LPVOID info, DWORD len)
{
    (void)h;
    (void)len;
    last_context = ctx;
    if (status == WINHTTP_CALLBACK_STATUS_GETPROXYFORURL_COMPLETE) {
        completes++;
    } else if (status == WINHTTP_CALLBACK_STATUS_REQUEST_ERROR) {
        WINHTTP_ASYNC_RESULT *r = (WINHTTP_ASYNC_RESULT *)info;
        if (r->dwResult == API_GET_PROXY_FOR_URL)
            last_error = r->dwError;
        errors++;
    } else if (status == WINHTTP_CALLBACK_STATUS_HANDLE_CLOSING) {
        closings++;
    }
}

static int wait_for(atomic_int *counter, int value, double seconds)
{
    double end = now_s() + seconds;
    while (*counter < value && now_s() < end)
        sleep_ms(5);
    return *counter >= value;
}

static void test_async_resolver(void)
{
    HINTERNET async_ses, resolver = NULL;
    WINHTTP_AUTOPROXY_OPTIONS o;
    WINHTTP_PROXY_RESULT result;
    WINHTTP_PROXY_RESULT_EX result_ex;
    WCHAR pac[256];
    double slack = getenv("WINHTTP_TEST_UNDER_CHECKER") ? 10.0 : 1.0;

    CHECK_EQ(WinHttpCreateProxyResolver(NULL, &resolver), ERROR_INVALID_HANDLE);
    CHECK_EQ(WinHttpCreateProxyResolver(ses, &resolver), ERROR_WINHTTP_INCORRECT_HANDLE_TYPE);
    async_ses = WinHttpOpen(L"pac-test", WINHTTP_ACCESS_TYPE_NO_PROXY, NULL, NULL, WINHTTP_FLAG_ASYNC);
    CHECK(async_ses != NULL);
    CHECK_EQ(WinHttpCreateProxyResolver(async_ses, NULL), ERROR_INVALID_PARAMETER);
    WinHttpSetStatusCallback(async_ses, resolver_callback, WINHTTP_CALLBACK_FLAG_ALL_NOTIFICATIONS, 0);
    CHECK_EQ(WinHttpCreateProxyResolver(async_ses, &resolver), ERROR_SUCCESS);

    url_of(pac, 256, "/pac/ex.pac");
    memset(&o, 0, sizeof(o));
    o.dwFlags = WINHTTP_AUTOPROXY_CONFIG_URL;
    o.lpszAutoConfigUrl = pac;
    CHECK_EQ(WinHttpGetProxyResult(resolver, &result), ERROR_WINHTTP_INCORRECT_HANDLE_STATE);
    CHECK_EQ(WinHttpGetProxyForUrlEx(resolver, L"http://www.example.com/", &o, 0x1234), ERROR_IO_PENDING);
    CHECK(wait_for(&completes, 1, 10 * slack));
    CHECK_EQ(last_context, 0x1234);
    CHECK_EQ(WinHttpGetProxyResult(resolver, NULL), ERROR_INVALID_PARAMETER);
    CHECK_EQ(WinHttpGetProxyResult(resolver, &result), ERROR_SUCCESS);
    CHECK_EQ(result.cEntries, 3);
    if (result.cEntries == 3) {
        CHECK(result.pEntries[0].fProxy && !result.pEntries[0].fBypass);
        CHECK_EQ(result.pEntries[0].ProxyScheme, INTERNET_SCHEME_HTTP);
        CHECK_WSTR(result.pEntries[0].pwszProxy, L"a.example");
        CHECK_EQ(result.pEntries[0].ProxyPort, 8080);
        CHECK_WSTR(result.pEntries[1].pwszProxy, L"b.example");
        CHECK_EQ(result.pEntries[1].ProxyPort, 80);
        CHECK(!result.pEntries[2].fProxy && result.pEntries[2].pwszProxy == NULL);
    }
    WinHttpFreeProxyResult(&result);
    CHECK(result.cEntries == 0 && result.pEntries == NULL);
    CHECK_EQ(WinHttpGetProxyResultEx(resolver, &result_ex), ERROR_SUCCESS);
    CHECK_EQ(result_ex.cEntries, 3);
    CHECK(result_ex.hProxyDetectionHandle == NULL);
    WinHttpFreeProxyResultEx(&result_ex);
    WinHttpFreeProxyResult(NULL);

    /* A script that throws: REQUEST_ERROR from API_GET_PROXY_FOR_URL. */
    url_of(pac, 256, "/pac/throws.pac");
    CHECK_EQ(WinHttpGetProxyForUrlEx(resolver, L"http://www.example.com/", &o, 0), ERROR_IO_PENDING);
    CHECK(wait_for(&errors, 1, 10 * slack));
    CHECK_EQ(last_error, ERROR_WINHTTP_BAD_AUTO_PROXY_SCRIPT);
    CHECK_EQ(WinHttpGetProxyResult(resolver, &result), ERROR_WINHTTP_BAD_AUTO_PROXY_SCRIPT);

    /* Closing the resolver cancels a script that never returns: the cancel, then HANDLE_CLOSING. */
    url_of(pac, 256, "/pac/loop.pac");
    CHECK_EQ(WinHttpGetProxyForUrlEx(resolver, L"http://www.example.com/", &o, 0), ERROR_IO_PENDING);
    CHECK_EQ(WinHttpGetProxyForUrlEx(resolver, L"http://www.example.com/", &o, 0), ERROR_WINHTTP_INCORRECT_HANDLE_STATE);
    CHECK_EQ(WinHttpGetProxyResult(resolver, &result), ERROR_WINHTTP_INCORRECT_HANDLE_STATE);
    sleep_ms(200);
    {
        double t = now_s();
        CHECK(WinHttpCloseHandle(resolver));
        CHECK(wait_for(&closings, 1, 4 * slack));
        CHECK(now_s() - t < 3 * slack);
        CHECK_EQ(errors, 2);
        CHECK_EQ(last_error, ERROR_WINHTTP_OPERATION_CANCELLED);
    }
    CHECK(WinHttpCloseHandle(async_ses));
    CHECK(wait_for(&closings, 2, 4 * slack));
}

int main(void)
{
    port = harness_env_int("WINHTTP_TEST_PORT", 0);
    if (!port) {
        printf("test_pac: skipped (no WINHTTP_TEST_PORT)\n0 passed, 0 failed\n");
        return 0;
    }
    ses = WinHttpOpen(L"pac-test", WINHTTP_ACCESS_TYPE_NO_PROXY, NULL, NULL, 0);
    test_arguments();
    test_windows_case();
    test_helpers_and_results();
    test_bad_scripts();
    test_cache_and_reset();
    test_wpad();
    test_bypass_list();
    test_async_resolver();
    WinHttpCloseHandle(ses);
    return harness_report();
}
