/*
 * The session's cookie jar, sync and async, against real servers that set cookies:
 *  - tests/support/coding_server.py (WINHTTP_TEST_CODING_PORT): Set-Cookie sent back on later
 *    requests of the same session (never of another session), paths, Max-Age=0 and past Expires
 *    deleting, Max-Age expiry, the caller's own Cookie header merged as Wine's tests show
 *    ("name=value2; NAME=value; name=value"), a cookie set on a 302 sent to its target, a cookie
 *    set on a 401 (delivered, or answered with credentials: the next leg carries it),
 *    WINHTTP_DISABLE_COOKIES stopping both directions;
 *  - domains through the resolver shim (*.loopback.test is 127.0.0.1): Domain cookies for the
 *    domain's hosts, host-only cookies for their host only, a Domain that is a public suffix
 *    refused;
 *  - the test HTTPS server (WINHTTP_TEST_TLS_GOOD_PORT, "localhost") and the HTTP one
 *    (WINHTTP_TEST_PORT): a Secure cookie goes over HTTPS only, an ordinary one over both.
 * Skips, saying so, when a server is missing.
 *
 * c_suite: preload shim_resolver
 */
#include "auth_steps.h"
#include <stdio.h>
#include <unistd.h>

static INTERNET_PORT coding_port;

static HINTERNET session(void)
{
    HINTERNET ses = WinHttpOpen(L"winhttp-test/1.0", WINHTTP_ACCESS_TYPE_NO_PROXY, WINHTTP_NO_PROXY_NAME,
                                WINHTTP_NO_PROXY_BYPASS, is_async ? WINHTTP_FLAG_ASYNC : 0);
    CHECK(ses != NULL);
    WinHttpSetTimeouts(ses, 10000, 10000, 10000, 10000);
    if (is_async)
        WinHttpSetStatusCallback(ses, callback, WINHTTP_CALLBACK_FLAG_ALL_NOTIFICATIONS, 0);
    return ses;
}

/* One GET of `path` on `con` (request flags `flags`, optional extra headers, optional
 * DISABLE_FEATURE bits); the body goes to `body`; returns the status (0 on failure). */
static DWORD get_ex(HINTERNET con, const WCHAR *path, DWORD flags, const WCHAR *headers, DWORD disable, char *body,
                    DWORD cap)
{
    DWORD status = 0;
    HINTERNET req = WinHttpOpenRequest(con, L"GET", path, NULL, WINHTTP_NO_REFERER, WINHTTP_DEFAULT_ACCEPT_TYPES, flags);
    CHECK(req != NULL);
    if (!req)
        return 0;
    if (disable)
        CHECK_OK(WinHttpSetOption(req, WINHTTP_OPTION_DISABLE_FEATURE, &disable, sizeof disable));
    if (headers)
        CHECK_OK(WinHttpAddRequestHeaders(req, headers, (DWORD)-1L, WINHTTP_ADDREQ_FLAG_ADD));
    if (send_req(req, NULL, 0, 0) && receive(req)) {
        status = status_of(req);
        read_all(req, body, cap);
    } else {
        printf("  GET %s failed: %lu\n", harness_narrow(path), (unsigned long)GetLastError());
        if (body)
            body[0] = 0;
    }
    close_req(req);
    return status;
}

static DWORD get(HINTERNET con, const WCHAR *path, char *body, DWORD cap)
{
    return get_ex(con, path, 0, NULL, 0, body, cap);
}

#define CHECK_BODY(body, expected)                                                                 \
    do {                                                                                           \
        if (strcmp((body), (expected)) != 0)                                                       \
            printf("  body \"%s\", expected \"%s\"\n", (body), (expected));                        \
        CHECK(strcmp((body), (expected)) == 0);                                                    \
    } while (0)

static void test_basics(void)
{
    char body[1024];
    HINTERNET ses = session(), con = WinHttpConnect(ses, L"127.0.0.1", coding_port, 0), ses2, con2;
    CHECK(con != NULL);

    /* Nothing yet: no Cookie header at all. */
    CHECK_EQ(get(con, L"/cookie/echo", body, sizeof body), 200);
    CHECK_BODY(body, "");

    CHECK_EQ(get(con, L"/cookie/set?a=1", body, sizeof body), 200);
    CHECK_EQ(get(con, L"/cookie/echo", body, sizeof body), 200);
    CHECK_BODY(body, "a=1\n");

    /* Replacement keeps one cookie per name, domain and path. */
    CHECK_EQ(get(con, L"/cookie/set?a=2", body, sizeof body), 200);
    CHECK_EQ(get(con, L"/cookie/echo", body, sizeof body), 200);
    CHECK_BODY(body, "a=2\n");

    /* Path: sent under /cookie/sub only, and there before the shorter-path cookie. */
    CHECK_EQ(get(con, L"/cookie/set?p=1;%20Path=/cookie/sub", body, sizeof body), 200);
    CHECK_EQ(get(con, L"/cookie/echo", body, sizeof body), 200);
    CHECK_BODY(body, "a=2\n");
    CHECK_EQ(get(con, L"/cookie/sub/echo", body, sizeof body), 200);
    CHECK_BODY(body, "p=1; a=2\n");

    /* Max-Age=0 and an Expires in the past delete. */
    CHECK_EQ(get(con, L"/cookie/set?p=x;%20Path=/cookie/sub;%20Max-Age=0", body, sizeof body), 200);
    CHECK_EQ(get(con, L"/cookie/sub/echo", body, sizeof body), 200);
    CHECK_BODY(body, "a=2\n");
    CHECK_EQ(get(con, L"/cookie/set?a=x;%20Expires=Thu,%2001%20Jan%201970%2000:00:01%20GMT", body, sizeof body), 200);
    CHECK_EQ(get(con, L"/cookie/echo", body, sizeof body), 200);
    CHECK_BODY(body, "");

    /* Max-Age expiry. */
    CHECK_EQ(get(con, L"/cookie/set?short=1;%20Max-Age=2", body, sizeof body), 200);
    CHECK_EQ(get(con, L"/cookie/echo", body, sizeof body), 200);
    CHECK_BODY(body, "short=1\n");
    sleep(3);
    CHECK_EQ(get(con, L"/cookie/echo", body, sizeof body), 200);
    CHECK_BODY(body, "");

    /* Another session has its own jar. */
    CHECK_EQ(get(con, L"/cookie/set?mine=1", body, sizeof body), 200);
    ses2 = session();
    con2 = WinHttpConnect(ses2, L"127.0.0.1", coding_port, 0);
    CHECK_EQ(get(con2, L"/cookie/echo", body, sizeof body), 200);
    CHECK_BODY(body, "");
    CHECK_EQ(get(con, L"/cookie/echo", body, sizeof body), 200);
    CHECK_BODY(body, "mine=1\n");
    WinHttpCloseHandle(con2);
    WinHttpCloseHandle(ses2);
    WinHttpCloseHandle(con);
    WinHttpCloseHandle(ses);
}

/* Wine's winhttp tests: "name = value " then "NAME = value " stored; the caller's own
 * "Cookie: name=value2" gets the jar's appended. */
static void test_merge(void)
{
    char body[1024];
    HINTERNET ses = session(), con = WinHttpConnect(ses, L"127.0.0.1", coding_port, 0);
    CHECK_EQ(get(con, L"/cookie/set-many", body, sizeof body), 200);
    CHECK_EQ(get(con, L"/cookie/echo", body, sizeof body), 200);
    CHECK_BODY(body, "NAME=value; name=value\n");
    CHECK_EQ(get_ex(con, L"/cookie/echo", 0, L"Cookie: name=value2\r\n", 0, body, sizeof body), 200);
    CHECK_BODY(body, "name=value2; NAME=value; name=value\n");
    WinHttpCloseHandle(con);
    WinHttpCloseHandle(ses);
}

static void test_redirect_and_401(void)
{
    char body[1024];
    HINTERNET ses = session(), con = WinHttpConnect(ses, L"127.0.0.1", coding_port, 0), req;

    /* The 302's cookie is in the jar before the redirect is followed. */
    CHECK_EQ(get(con, L"/cookie/redirect?to=/cookie/echo&set=r%3D1", body, sizeof body), 200);
    CHECK_BODY(body, "r=1\n");

    /* The caller's own Cookie header merged on each attempt, never twice after a redirect. */
    CHECK_EQ(get_ex(con, L"/cookie/redirect?to=/cookie/echo", 0, L"Cookie: own=1\r\n", 0, body, sizeof body), 200);
    CHECK_BODY(body, "own=1; r=1\n");

    /* A 401 delivered to the caller: its cookie is stored. */
    CHECK_EQ(get(con, L"/cookie/401?set=u%3D1", body, sizeof body), 401);
    CHECK_EQ(get(con, L"/cookie/echo", body, sizeof body), 200);
    CHECK_BODY(body, "u=1; r=1\n"); /* the same path: the newest first */

    /* A 401 answered by WinHTTP (the credential options): the next leg carries its cookie. */
    req = open_req(con, L"GET", L"/cookie/401?set=v%3D1");
    set_option_str(req, WINHTTP_OPTION_USERNAME, L"user");
    set_option_str(req, WINHTTP_OPTION_PASSWORD, L"pwd");
    CHECK(send_req(req, NULL, 0, 0) && receive(req));
    CHECK_EQ(status_of(req), 200);
    read_all(req, body, sizeof body);
    CHECK_BODY(body, "v=1; u=1; r=1\n");
    close_req(req);
    WinHttpCloseHandle(con);
    WinHttpCloseHandle(ses);
}

static void test_disabled(void)
{
    char body[1024];
    HINTERNET ses = session(), con = WinHttpConnect(ses, L"127.0.0.1", coding_port, 0);
    CHECK_EQ(get(con, L"/cookie/set?kept=1", body, sizeof body), 200);
    /* Not recorded... */
    CHECK_EQ(get_ex(con, L"/cookie/set?dropped=1", 0, NULL, WINHTTP_DISABLE_COOKIES, body, sizeof body), 200);
    CHECK_EQ(get(con, L"/cookie/echo", body, sizeof body), 200);
    CHECK_BODY(body, "kept=1\n");
    /* ...and not sent; the caller's own header still goes out as it is. */
    CHECK_EQ(get_ex(con, L"/cookie/echo", 0, NULL, WINHTTP_DISABLE_COOKIES, body, sizeof body), 200);
    CHECK_BODY(body, "");
    CHECK_EQ(get_ex(con, L"/cookie/echo", 0, L"Cookie: own=1\r\n", WINHTTP_DISABLE_COOKIES, body, sizeof body), 200);
    CHECK_BODY(body, "own=1\n");
    WinHttpCloseHandle(con);
    WinHttpCloseHandle(ses);
}

static void test_domains(void)
{
    char body[1024];
    HINTERNET ses = session();
    HINTERNET www = WinHttpConnect(ses, L"www.site.loopback.test", coding_port, 0);
    HINTERNET other = WinHttpConnect(ses, L"other.site.loopback.test", coding_port, 0);
    HINTERNET elsewhere = WinHttpConnect(ses, L"elsewhere.loopback.test", coding_port, 0);
    if (get(www, L"/cookie/set?host=1", body, sizeof body) != 200) {
        printf("domain tests skipped: *.loopback.test does not resolve (no resolver shim here)\n");
        goto out;
    }
    CHECK_EQ(get(www, L"/cookie/set?dom=1;%20Domain=.site.loopback.test", body, sizeof body), 200);
    /* A public suffix ("test", an unlisted top-level domain, counts as one): refused. */
    CHECK_EQ(get(www, L"/cookie/set?wide=1;%20Domain=test", body, sizeof body), 200);
    /* A domain the host is not in: refused. */
    CHECK_EQ(get(www, L"/cookie/set?foreign=1;%20Domain=elsewhere.loopback.test", body, sizeof body), 200);
    CHECK_EQ(get(www, L"/cookie/echo", body, sizeof body), 200);
    CHECK_BODY(body, "dom=1; host=1\n");
    CHECK_EQ(get(other, L"/cookie/echo", body, sizeof body), 200);
    CHECK_BODY(body, "dom=1\n");
    CHECK_EQ(get(elsewhere, L"/cookie/echo", body, sizeof body), 200);
    CHECK_BODY(body, "");
out:
    WinHttpCloseHandle(elsewhere);
    WinHttpCloseHandle(other);
    WinHttpCloseHandle(www);
    WinHttpCloseHandle(ses);
}

static void test_secure(void)
{
    char body[4096];
    int tls = harness_env_int("WINHTTP_TEST_TLS_GOOD_PORT", 0), http = harness_env_int("WINHTTP_TEST_PORT", 0);
    HINTERNET ses, scon, pcon;
    if (!tls || !http) {
        printf("Secure cookie tests skipped: no test HTTPS/HTTP server\n");
        return;
    }
    ses = session();
    scon = WinHttpConnect(ses, L"localhost", (INTERNET_PORT)tls, 0);
    pcon = WinHttpConnect(ses, L"localhost", (INTERNET_PORT)http, 0);
    CHECK_EQ(get_ex(scon, L"/set-cookie?s=1;%20Secure", WINHTTP_FLAG_SECURE, NULL, 0, body, sizeof body), 200);
    CHECK_EQ(get_ex(scon, L"/set-cookie?plain=1", WINHTTP_FLAG_SECURE, NULL, 0, body, sizeof body), 200);
    CHECK_EQ(get_ex(scon, L"/echo", WINHTTP_FLAG_SECURE, NULL, 0, body, sizeof body), 200);
    CHECK(strstr(body, "\ncookie: s=1; plain=1\n") != NULL || strstr(body, "\ncookie: plain=1; s=1\n") != NULL);
    /* Over plain HTTP to the same host (cookies ignore ports): the Secure one stays behind. */
    CHECK_EQ(get(pcon, L"/echo", body, sizeof body), 200);
    CHECK(strstr(body, "\ncookie: plain=1\n") != NULL);
    CHECK(strstr(body, "s=1") == NULL);
    WinHttpCloseHandle(pcon);
    WinHttpCloseHandle(scon);
    WinHttpCloseHandle(ses);
}

int main(void)
{
    coding_port = (INTERNET_PORT)harness_env_int("WINHTTP_TEST_CODING_PORT", 0);
    for (is_async = 0; is_async < 2; is_async++) {
        printf("-- %s\n", is_async ? "async" : "sync");
        if (coding_port) {
            test_basics();
            test_merge();
            test_redirect_and_401();
            test_disabled();
            test_domains();
        } else {
            printf("cookie tests skipped: coding_server.py is not running (python3)\n");
        }
        test_secure();
    }
    return harness_report();
}
