/*
 * Proxies for plain HTTP: WINHTTP_ACCESS_TYPE_NAMED_PROXY (absolute-URI request lines, the proxy
 * list syntax, the bypass list), WINHTTP_ACCESS_TYPE_NO_PROXY, and the default proxy, which on
 * Linux and macOS comes from the conventional http_proxy / no_proxy environment variables.
 *
 * The proxy is the raw test server (WINHTTP_TEST_RAW_PORT): it routes an absolute-form request
 * ("GET http://example.invalid/raw/echo HTTP/1.1") by its path, and /raw/echo answers with the
 * request bytes exactly as received, so the echo shows whether a request went through the proxy
 * (absolute URI) or direct to the raw server (origin form). Names under .invalid never resolve
 * (RFC 6761): a request for one that goes direct fails with ERROR_WINHTTP_NAME_NOT_RESOLVED, while
 * through the proxy it succeeds, as the proxy never needs the name resolved here.
 *
 * The test runner loads a resolver shim into this program (c_suite: preload shim_resolver) that
 * resolves *.loopback.test to 127.0.0.1 and fails *.invalid without asking DNS; the checks that
 * resolve names are skipped without it.
 */
#if !defined(_WIN32) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif
#include <winhttp.h>
#include "harness.h"

static INTERNET_PORT raw_port, closed_port;
static int have_shim; /* names resolve through tests/c/shim_resolver.c */
static WCHAR proxy_raw[64];    /* L"127.0.0.1:<raw port>" */
static WCHAR proxy_closed[64]; /* L"127.0.0.1:<closed port>" */

static void read_ports(void)
{
    raw_port = (INTERNET_PORT)harness_env_int("WINHTTP_TEST_RAW_PORT", 0);
    closed_port = (INTERNET_PORT)harness_env_int("WINHTTP_TEST_CLOSED_PORT", 0);
    if (!raw_port || !closed_port)
        printf("WINHTTP_TEST_RAW_PORT / WINHTTP_TEST_CLOSED_PORT not set: run through tests/c_suite.rs\n");
    CHECK(raw_port != 0);
    CHECK(closed_port != 0);
    harness_swprintf(proxy_raw, sizeof(proxy_raw) / sizeof(WCHAR), L"127.0.0.1:%u", (unsigned)raw_port);
    harness_swprintf(proxy_closed, sizeof(proxy_closed) / sizeof(WCHAR), L"127.0.0.1:%u", (unsigned)closed_port);
    have_shim = getenv("LD_PRELOAD") && strstr(getenv("LD_PRELOAD"), "shim_resolver");
}

/* No proxy variables from the environment of whoever runs the suite. */
static void clear_proxy_env(void)
{
    static const char *const names[] = {"http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY",
                                        "no_proxy",   "NO_PROXY",   "all_proxy",   "ALL_PROXY"};
    size_t i;
    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        unsetenv(names[i]);
}

/* Whether `s` starts with `prefix` (NULL-safe). */
static int starts_with(const char *s, const char *prefix)
{
    return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Reads the whole body; a malloc'd NUL-terminated buffer, or NULL when a call failed. */
static char *read_body(HINTERNET req)
{
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap + 1);
    for (;;) {
        DWORD avail = 0, got = 0;
        if (!WinHttpQueryDataAvailable(req, &avail)) {
            free(buf);
            return NULL;
        }
        if (avail == 0)
            break;
        while (len + avail > cap) {
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
    return buf;
}

/*
 * One request in a new session with the given proxy settings: `verb` `path` on host:port, with
 * `data` as the body (or NULL). Returns the response body (malloc'd) and sets *err to
 * ERROR_SUCCESS, or returns NULL with *err set to the error of the call that failed.
 */
static char *fetch_verb(DWORD access, const WCHAR *proxy, const WCHAR *bypass, const WCHAR *host,
                        INTERNET_PORT port, const WCHAR *verb, const WCHAR *path, const char *data, DWORD *err)
{
    HINTERNET ses, con = NULL, req = NULL;
    DWORD len = data ? (DWORD)strlen(data) : 0;
    char *body = NULL;

    *err = ERROR_SUCCESS;
    ses = WinHttpOpen(L"winhttp-test/1.0", access, proxy, bypass, 0);
    if (!ses) {
        *err = GetLastError();
        return NULL;
    }
    WinHttpSetTimeouts(ses, 5000, 5000, 5000, 5000);
    con = WinHttpConnect(ses, host, port, 0);
    req = con ? WinHttpOpenRequest(con, verb, path, NULL, WINHTTP_NO_REFERER, WINHTTP_DEFAULT_ACCEPT_TYPES, 0) : NULL;
    if (!req)
        *err = GetLastError();
    else if (!WinHttpSendRequest(req, WINHTTP_NO_ADDITIONAL_HEADERS, 0, (LPVOID)data, len, len, 0) ||
             !WinHttpReceiveResponse(req, NULL))
        *err = GetLastError();
    else if (!(body = read_body(req)))
        *err = GetLastError();
    WinHttpCloseHandle(req);
    WinHttpCloseHandle(con);
    WinHttpCloseHandle(ses);
    return body;
}

static char *fetch(DWORD access, const WCHAR *proxy, const WCHAR *bypass, const WCHAR *host, INTERNET_PORT port,
                   const WCHAR *path, DWORD *err)
{
    return fetch_verb(access, proxy, bypass, host, port, L"GET", path, NULL, err);
}

/*
 * GETs /raw/echo from host:port and says how the request went out: 'P' through the proxy (the
 * echoed request line carries the absolute URI), 'D' direct to the raw server (origin form), or
 * the error code of a failure (ERROR_WINHTTP_NAME_NOT_RESOLVED: it went direct to a name that
 * does not resolve).
 */
static DWORD route(DWORD access, const WCHAR *proxy, const WCHAR *bypass, const WCHAR *host, INTERNET_PORT port)
{
    DWORD err;
    char *body = fetch(access, proxy, bypass, host, port, L"/raw/echo", &err);
    DWORD how = err;
    if (body)
        how = starts_with(body, "GET http://") ? 'P' : starts_with(body, "GET /raw/echo HTTP/1.1\r\n") ? 'D' : '?';
    if (how == '?')
        printf("  unexpected echo: %.80s\n", body);
    free(body);
    return how;
}

static void test_named_proxy_request_line(void)
{
    DWORD err;
    char *body;

    /* Through the proxy the request line carries the absolute URI; Host names the origin server. */
    body = fetch(WINHTTP_ACCESS_TYPE_NAMED_PROXY, proxy_raw, WINHTTP_NO_PROXY_BYPASS, L"example.invalid",
                 INTERNET_DEFAULT_HTTP_PORT, L"/raw/echo", &err);
    CHECK_EQ(err, ERROR_SUCCESS);
    CHECK(starts_with(body, "GET http://example.invalid/raw/echo HTTP/1.1\r\n"));
    CHECK(body && strstr(body, "\r\nHost: example.invalid\r\n") != NULL);
    CHECK(body && strstr(body, "\r\n\r\n") != NULL && strcmp(strstr(body, "\r\n\r\n"), "\r\n\r\n") == 0);
    if (!starts_with(body, "GET http://example.invalid/raw/echo HTTP/1.1\r\n"))
        printf("  echoed: %s\n", body ? body : "(null)");
    free(body);

    /* A port other than 80 appears in both; the path is escaped as without a proxy; the query stays. */
    body = fetch(WINHTTP_ACCESS_TYPE_NAMED_PROXY, proxy_raw, WINHTTP_NO_PROXY_BYPASS, L"example.invalid", 8080,
                 L"/raw/echo/a b?q=1&r=2", &err);
    CHECK_EQ(err, ERROR_SUCCESS);
    CHECK(starts_with(body, "GET http://example.invalid:8080/raw/echo/a%20b?q=1&r=2 HTTP/1.1\r\n"));
    CHECK(body && strstr(body, "\r\nHost: example.invalid:8080\r\n") != NULL);
    free(body);

    /* A body goes through the proxy too, after the head. */
    body = fetch_verb(WINHTTP_ACCESS_TYPE_NAMED_PROXY, proxy_raw, WINHTTP_NO_PROXY_BYPASS, L"example.invalid",
                      INTERNET_DEFAULT_HTTP_PORT, L"POST", L"/raw/echo?x", "hello", &err);
    CHECK_EQ(err, ERROR_SUCCESS);
    CHECK(starts_with(body, "POST http://example.invalid/raw/echo?x HTTP/1.1\r\n"));
    CHECK(body && strstr(body, "\r\nContent-Length: 5\r\n") != NULL);
    CHECK(body && strstr(body, "\r\n\r\nhello") != NULL);
    free(body);

    /* The proxy refuses connections: that is what fails, though the target would not resolve. */
    body = fetch(WINHTTP_ACCESS_TYPE_NAMED_PROXY, proxy_closed, WINHTTP_NO_PROXY_BYPASS, L"example.invalid",
                 INTERNET_DEFAULT_HTTP_PORT, L"/raw/echo", &err);
    CHECK(body == NULL);
    CHECK_EQ(err, ERROR_WINHTTP_CANNOT_CONNECT);
    free(body);
}

/* WINHTTP_OPTION_URL keeps the origin URL; the connection goes to the proxy. */
static void test_named_proxy_options(void)
{
    HINTERNET ses, con, req;
    WCHAR url[256];
    DWORD size = sizeof(url);
    WINHTTP_CONNECTION_INFO info;
    const unsigned char *remote = (const unsigned char *)&info.RemoteAddress; /* a SOCKADDR_IN */

    ses = WinHttpOpen(L"winhttp-test/1.0", WINHTTP_ACCESS_TYPE_NAMED_PROXY, proxy_raw, WINHTTP_NO_PROXY_BYPASS, 0);
    CHECK(ses != NULL);
    WinHttpSetTimeouts(ses, 5000, 5000, 5000, 5000);
    con = WinHttpConnect(ses, L"example.invalid", INTERNET_DEFAULT_HTTP_PORT, 0);
    req = WinHttpOpenRequest(con, L"GET", L"/raw/echo", NULL, WINHTTP_NO_REFERER, WINHTTP_DEFAULT_ACCEPT_TYPES, 0);
    CHECK_OK(WinHttpSendRequest(req, WINHTTP_NO_ADDITIONAL_HEADERS, 0, WINHTTP_NO_REQUEST_DATA, 0, 0, 0));
    CHECK_OK(WinHttpReceiveResponse(req, NULL));
    CHECK_OK(WinHttpQueryOption(req, WINHTTP_OPTION_URL, url, &size));
    CHECK_WSTR(url, L"http://example.invalid/raw/echo");
    memset(&info, 0, sizeof(info));
    info.cbSize = sizeof(info);
    size = sizeof(info);
    CHECK_OK(WinHttpQueryOption(req, WINHTTP_OPTION_CONNECTION_INFO, &info, &size));
    CHECK_EQ(info.RemoteAddress.ss_family, 2); /* AF_INET */
    CHECK_EQ((remote[2] << 8) | remote[3], raw_port); /* sin_port, network byte order */
    WinHttpCloseHandle(req);
    WinHttpCloseHandle(con);
    WinHttpCloseHandle(ses);
}

/* The proxy list: "host:port" serves every scheme, "http=host:port" only http://, "https=..." only
 * https://; "http://host:port" is accepted too. */
static void test_proxy_strings(void)
{
    WCHAR list[256];
    const DWORD named = WINHTTP_ACCESS_TYPE_NAMED_PROXY;

    CHECK_EQ(route(named, proxy_raw, NULL, L"example.invalid", 80), 'P');
    harness_swprintf(list, sizeof(list) / sizeof(WCHAR), L"http=127.0.0.1:%u", (unsigned)raw_port);
    CHECK_EQ(route(named, list, NULL, L"example.invalid", 80), 'P');
    harness_swprintf(list, sizeof(list) / sizeof(WCHAR), L"http://127.0.0.1:%u", (unsigned)raw_port);
    CHECK_EQ(route(named, list, NULL, L"example.invalid", 80), 'P');
    harness_swprintf(list, sizeof(list) / sizeof(WCHAR), L"https=127.0.0.1:%u;http=127.0.0.1:%u", (unsigned)closed_port,
             (unsigned)raw_port);
    CHECK_EQ(route(named, list, NULL, L"example.invalid", 80), 'P');
    /* A proxy only for https://: an http:// request goes direct. */
    harness_swprintf(list, sizeof(list) / sizeof(WCHAR), L"https=127.0.0.1:%u", (unsigned)raw_port);
    CHECK_EQ(route(named, list, NULL, L"127.0.0.1", raw_port), 'D');
    if (have_shim)
        CHECK_EQ(route(named, list, NULL, L"example.invalid", 80), ERROR_WINHTTP_NAME_NOT_RESOLVED);
}

/* The bypass list sends matching hosts direct: "<local>" (names without a dot), exact names
 * (case-insensitive), patterns with '*' anywhere ("*.suffix", "10.*"), "host:port", "*", several
 * entries separated by ';' or spaces. Direct requests go to the raw server too (*.loopback.test is
 * 127.0.0.1), which echoes them in origin form. */
static void test_bypass_list(void)
{
    const DWORD named = WINHTTP_ACCESS_TYPE_NAMED_PROXY;
    const WCHAR *several = L"foo.loopback.test; *.corp.loopback.test <local>";
    const INTERNET_PORT rp = raw_port;

    /* (Whether loopback targets bypass a named proxy implicitly is left open: only names that are
     * not loopback by name or address are checked going through the proxy.) */
    CHECK_EQ(route(named, proxy_raw, L"<local>", L"localhost", rp), 'D');
    CHECK_EQ(route(named, proxy_raw, L"<LOCAL>", L"localhost", rp), 'D');
    CHECK_EQ(route(named, proxy_raw, L"<local>", L"example.invalid", 80), 'P');
    CHECK_EQ(route(named, proxy_raw, L"127.0.0.1", L"127.0.0.1", rp), 'D');
    CHECK_EQ(route(named, proxy_raw, L"*", L"127.0.0.1", rp), 'D');
    if (!have_shim) {
        printf("bypass lists with host names: skipped (no resolver shim)\n");
        return;
    }
    /* No list or an empty one bypasses nothing. */
    CHECK_EQ(route(named, proxy_raw, WINHTTP_NO_PROXY_BYPASS, L"loopback-host", rp), 'P');
    CHECK_EQ(route(named, proxy_raw, L"", L"loopback-host", rp), 'P');
    CHECK_EQ(route(named, proxy_raw, L"", L"a.loopback.test", rp), 'P');
    /* "<local>": any name without a dot. */
    CHECK_EQ(route(named, proxy_raw, L"<local>", L"loopback-host", rp), 'D');
    CHECK_EQ(route(named, proxy_raw, L"<local>", L"a.loopback.test", rp), 'P');
    CHECK_EQ(route(named, proxy_raw, L"a.loopback.test", L"a.loopback.test", rp), 'D');
    CHECK_EQ(route(named, proxy_raw, L"A.LoopBack.Test", L"a.loopback.TEST", rp), 'D');
    CHECK_EQ(route(named, proxy_raw, L"a.loopback.test", L"b.loopback.test", rp), 'P');
    CHECK_EQ(route(named, proxy_raw, L"example.invalid", L"example.invalid", 80), ERROR_WINHTTP_NAME_NOT_RESOLVED);
    CHECK_EQ(route(named, proxy_raw, L"*", L"example.invalid", 80), ERROR_WINHTTP_NAME_NOT_RESOLVED);

    CHECK_EQ(route(named, proxy_raw, L"*.loopback.test", L"www.loopback.test", rp), 'D');
    CHECK_EQ(route(named, proxy_raw, L"*.loopback.test", L"a.b.loopback.test", rp), 'D');
    CHECK_EQ(route(named, proxy_raw, L"*.loopback.test", L"loopback.test", rp), 'P');
    CHECK_EQ(route(named, proxy_raw, L"*.loopback.test", L"xloopback.test", rp), 'P');

    CHECK_EQ(route(named, proxy_raw, several, L"loopback-host", rp), 'D');
    CHECK_EQ(route(named, proxy_raw, several, L"foo.loopback.test", rp), 'D');
    CHECK_EQ(route(named, proxy_raw, several, L"x.corp.loopback.test", rp), 'D');
    CHECK_EQ(route(named, proxy_raw, several, L"bar.loopback.test", rp), 'P');

    /* An exact name is that host only, not the names below it (unlike no_proxy). */
    CHECK_EQ(route(named, proxy_raw, L"loopback.test", L"a.loopback.test", rp), 'P');
    /* '*' anywhere in an entry, for any run of characters, dots included. */
    CHECK_EQ(route(named, proxy_raw, L"a*.test", L"a.loopback.test", rp), 'D');
    CHECK_EQ(route(named, proxy_raw, L"a*.test", L"b.loopback.test", rp), 'P');
    CHECK_EQ(route(named, proxy_raw, L"*.LOOP*.test", L"b.loopback.test", rp), 'D');
    CHECK_EQ(route(named, proxy_raw, L"*.loop*.test", L"loopback.test", rp), 'P');
    CHECK_EQ(route(named, proxy_raw, L"127.0.0.*", L"127.0.0.1", rp), 'D');
    CHECK_EQ(route(named, proxy_raw, L"127.*", L"127.0.0.1", rp), 'D');
    CHECK_EQ(route(named, proxy_raw, L"example.*", L"example.invalid", 80), ERROR_WINHTTP_NAME_NOT_RESOLVED);
    /* "host:port" bypasses that host on that port only. */
    {
        WCHAR entry[64];
        harness_swprintf(entry, sizeof(entry) / sizeof(WCHAR), L"a.loopback.test:%u", (unsigned)rp);
        CHECK_EQ(route(named, proxy_raw, entry, L"a.loopback.test", rp), 'D');
        harness_swprintf(entry, sizeof(entry) / sizeof(WCHAR), L"*.loopback.test:%u", (unsigned)rp);
        CHECK_EQ(route(named, proxy_raw, entry, L"b.loopback.test", rp), 'D');
        harness_swprintf(entry, sizeof(entry) / sizeof(WCHAR), L"a.loopback.test:%u", (unsigned)rp + 1);
        CHECK_EQ(route(named, proxy_raw, entry, L"a.loopback.test", rp), 'P');
        CHECK_EQ(route(named, proxy_raw, L"example.invalid:80", L"example.invalid", 80),
                 ERROR_WINHTTP_NAME_NOT_RESOLVED);
        CHECK_EQ(route(named, proxy_raw, L"example.invalid:8080", L"example.invalid", 80), 'P');
    }
}

/* WINHTTP_ACCESS_TYPE_NO_PROXY ignores the proxy environment. */
static void test_no_proxy(void)
{
    char proxy[64];
    snprintf(proxy, sizeof(proxy), "http://127.0.0.1:%u", (unsigned)raw_port);
    setenv("http_proxy", proxy, 1);
    CHECK_EQ(route(WINHTTP_ACCESS_TYPE_NO_PROXY, WINHTTP_NO_PROXY_NAME, WINHTTP_NO_PROXY_BYPASS, L"127.0.0.1",
                   raw_port),
             'D');
    if (have_shim) {
        CHECK_EQ(route(WINHTTP_ACCESS_TYPE_NO_PROXY, WINHTTP_NO_PROXY_NAME, WINHTTP_NO_PROXY_BYPASS,
                       L"a.loopback.test", raw_port),
                 'D');
        CHECK_EQ(route(WINHTTP_ACCESS_TYPE_NO_PROXY, WINHTTP_NO_PROXY_NAME, WINHTTP_NO_PROXY_BYPASS,
                       L"example.invalid", 80),
                 ERROR_WINHTTP_NAME_NOT_RESOLVED);
    }
    clear_proxy_env();
}

/* WINHTTP_ACCESS_TYPE_DEFAULT_PROXY: http_proxy and no_proxy from the environment (set before
 * WinHttpOpen). Loopback names and addresses always go direct. */
static void test_default_proxy_env(void)
{
    char proxy[64], entry[64];
    const DWORD def = WINHTTP_ACCESS_TYPE_DEFAULT_PROXY;
    const INTERNET_PORT rp = raw_port;
    DWORD err;
    char *body;

    if (!have_shim) {
        printf("default proxy from the environment: skipped (no resolver shim)\n");
        return;
    }
    /* No variables: direct. */
    clear_proxy_env();
    CHECK_EQ(route(def, WINHTTP_NO_PROXY_NAME, WINHTTP_NO_PROXY_BYPASS, L"a.loopback.test", rp), 'D');

    snprintf(proxy, sizeof(proxy), "http://127.0.0.1:%u/", (unsigned)raw_port);
    setenv("http_proxy", proxy, 1);
    body = fetch(def, WINHTTP_NO_PROXY_NAME, WINHTTP_NO_PROXY_BYPASS, L"example.invalid", 80, L"/raw/echo", &err);
    CHECK_EQ(err, ERROR_SUCCESS);
    CHECK(starts_with(body, "GET http://example.invalid/raw/echo HTTP/1.1\r\n"));
    CHECK(body && strstr(body, "\r\nHost: example.invalid\r\n") != NULL);
    free(body);
    CHECK_EQ(route(def, WINHTTP_NO_PROXY_NAME, WINHTTP_NO_PROXY_BYPASS, L"a.loopback.test", rp), 'P');
    /* Loopback never goes through the environment's proxy. */
    CHECK_EQ(route(def, WINHTTP_NO_PROXY_NAME, WINHTTP_NO_PROXY_BYPASS, L"127.0.0.1", rp), 'D');
    CHECK_EQ(route(def, WINHTTP_NO_PROXY_NAME, WINHTTP_NO_PROXY_BYPASS, L"localhost", rp), 'D');
    /* WINHTTP_ACCESS_TYPE_AUTOMATIC_PROXY falls back to the same configuration. */
    CHECK_EQ(route(WINHTTP_ACCESS_TYPE_AUTOMATIC_PROXY, WINHTTP_NO_PROXY_NAME, WINHTTP_NO_PROXY_BYPASS,
                   L"a.loopback.test", rp),
             'P');

    /* no_proxy: exact names, ".suffix" (the name itself and below it), several entries, "*". */
    setenv("no_proxy", "a.loopback.test", 1);
    CHECK_EQ(route(def, WINHTTP_NO_PROXY_NAME, WINHTTP_NO_PROXY_BYPASS, L"a.loopback.test", rp), 'D');
    CHECK_EQ(route(def, WINHTTP_NO_PROXY_NAME, WINHTTP_NO_PROXY_BYPASS, L"b.loopback.test", rp), 'P');
    setenv("no_proxy", "foo.loopback.test,.corp.loopback.test", 1);
    CHECK_EQ(route(def, WINHTTP_NO_PROXY_NAME, WINHTTP_NO_PROXY_BYPASS, L"a.corp.loopback.test", rp), 'D');
    CHECK_EQ(route(def, WINHTTP_NO_PROXY_NAME, WINHTTP_NO_PROXY_BYPASS, L"corp.loopback.test", rp), 'D');
    CHECK_EQ(route(def, WINHTTP_NO_PROXY_NAME, WINHTTP_NO_PROXY_BYPASS, L"foo.loopback.test", rp), 'D');
    CHECK_EQ(route(def, WINHTTP_NO_PROXY_NAME, WINHTTP_NO_PROXY_BYPASS, L"bar.loopback.test", rp), 'P');
    CHECK_EQ(route(def, WINHTTP_NO_PROXY_NAME, WINHTTP_NO_PROXY_BYPASS, L"example.invalid", 80), 'P');
    /* An exact no_proxy name covers the names below it too; a port limits the entry to it. */
    setenv("no_proxy", "loopback.test", 1);
    CHECK_EQ(route(def, WINHTTP_NO_PROXY_NAME, WINHTTP_NO_PROXY_BYPASS, L"a.loopback.test", rp), 'D');
    snprintf(entry, sizeof(entry), "a.loopback.test:%u", (unsigned)raw_port + 1);
    setenv("no_proxy", entry, 1);
    CHECK_EQ(route(def, WINHTTP_NO_PROXY_NAME, WINHTTP_NO_PROXY_BYPASS, L"a.loopback.test", rp), 'P');
    snprintf(entry, sizeof(entry), "loopback.test:%u", (unsigned)raw_port);
    setenv("no_proxy", entry, 1);
    CHECK_EQ(route(def, WINHTTP_NO_PROXY_NAME, WINHTTP_NO_PROXY_BYPASS, L"a.loopback.test", rp), 'D');
    setenv("no_proxy", "*", 1);
    CHECK_EQ(route(def, WINHTTP_NO_PROXY_NAME, WINHTTP_NO_PROXY_BYPASS, L"a.loopback.test", rp), 'D');
    unsetenv("no_proxy");

    /* Credentials in the proxy URL are not part of the proxy's address. */
    snprintf(proxy, sizeof(proxy), "http://user:p%%40ss@127.0.0.1:%u/", (unsigned)raw_port);
    setenv("http_proxy", proxy, 1);
    CHECK_EQ(route(def, WINHTTP_NO_PROXY_NAME, WINHTTP_NO_PROXY_BYPASS, L"a.loopback.test", rp), 'P');

    /* A proxy without the scheme prefix; https_proxy alone does not apply to http://. */
    snprintf(proxy, sizeof(proxy), "127.0.0.1:%u", (unsigned)raw_port);
    setenv("http_proxy", proxy, 1);
    CHECK_EQ(route(def, WINHTTP_NO_PROXY_NAME, WINHTTP_NO_PROXY_BYPASS, L"a.loopback.test", rp), 'P');
    unsetenv("http_proxy");
    setenv("https_proxy", proxy, 1);
    CHECK_EQ(route(def, WINHTTP_NO_PROXY_NAME, WINHTTP_NO_PROXY_BYPASS, L"a.loopback.test", rp), 'D');
    clear_proxy_env();
}

int main(void)
{
    read_ports();
    clear_proxy_env();
    test_named_proxy_request_line();
    test_named_proxy_options();
    test_proxy_strings();
    test_bypass_list();
    test_no_proxy();
    test_default_proxy_env();
    return harness_report();
}
