/*
 * Authentication against real servers from the distribution, sync and async, each skipped (with
 * the reason) when tests/support/peers.rs could not start it:
 *  - Apache httpd with mod_auth_digest (WINHTTP_TEST_APACHE_PORT): Digest after a 401 and
 *    WinHttpSetCredentials on the same handle, Digest chosen by WinHTTP from the options, a wrong
 *    password given back as the 401;
 *  - squid with Basic proxy authentication (WINHTTP_TEST_SQUID_PORT): a plain request through it
 *    (407, then the proxy's credentials), the proxy options, and HTTPS through a CONNECT tunnel
 *    whose 407 is answered the same way (origin: the test TLS server, "localhost");
 *  - tests/support/digest_server.py (WINHTTP_TEST_DIGEST_PORT): SHA-256 and the -sess forms, a
 *    stale nonce answered again by WinHTTP, a wrong password.
 */
#include "auth_steps.h"
#include <stdio.h>
#include <unistd.h>

static HINTERNET session(const WCHAR *proxy)
{
    HINTERNET ses = WinHttpOpen(L"winhttp-test/1.0", proxy ? WINHTTP_ACCESS_TYPE_NAMED_PROXY : WINHTTP_ACCESS_TYPE_NO_PROXY,
                                proxy ? proxy : WINHTTP_NO_PROXY_NAME, WINHTTP_NO_PROXY_BYPASS,
                                is_async ? WINHTTP_FLAG_ASYNC : 0);
    CHECK(ses != NULL);
    WinHttpSetTimeouts(ses, 10000, 10000, 10000, 10000);
    if (is_async)
        WinHttpSetStatusCallback(ses, callback, WINHTTP_CALLBACK_FLAG_ALL_NOTIFICATIONS, 0);
    return ses;
}

static void no_keep_alive(HINTERNET req)
{
    DWORD v = WINHTTP_DISABLE_KEEP_ALIVE;
    CHECK_OK(WinHttpSetOption(req, WINHTTP_OPTION_DISABLE_FEATURE, &v, sizeof v));
}

static void test_apache(INTERNET_PORT port)
{
    char body[256];
    DWORD supported = 0, first = 0, target = 0;
    HINTERNET ses = session(NULL), con = WinHttpConnect(ses, L"127.0.0.1", port, 0), req;
    CHECK(con != NULL);

    req = open_req(con, L"GET", L"/digest/hello.txt");
    CHECK(send_req(req, NULL, 0, 0) && receive(req));
    CHECK_EQ(status_of(req), 401);
    CHECK_OK(WinHttpQueryAuthSchemes(req, &supported, &first, &target));
    CHECK_EQ(supported, WINHTTP_AUTH_SCHEME_DIGEST);
    read_all(req, NULL, 0);
    CHECK_OK(WinHttpSetCredentials(req, WINHTTP_AUTH_TARGET_SERVER, WINHTTP_AUTH_SCHEME_DIGEST, L"user", L"pwd", NULL));
    CHECK(send_req(req, NULL, 0, 0) && receive(req));
    CHECK_EQ(status_of(req), 200);
    read_all(req, body, sizeof body);
    CHECK(strcmp(body, "digest ok\n") == 0);
    close_req(req);

    /* The options: WinHTTP answers the Digest challenge itself. */
    req = open_req(con, L"GET", L"/digest/hello.txt");
    set_option_str(req, WINHTTP_OPTION_USERNAME, L"user");
    set_option_str(req, WINHTTP_OPTION_PASSWORD, L"pwd");
    CHECK(send_req(req, NULL, 0, 0) && receive(req));
    CHECK_EQ(status_of(req), 200);
    read_all(req, body, sizeof body);
    CHECK(strcmp(body, "digest ok\n") == 0);
    close_req(req);

    /* A wrong password: the 401 is the caller's. */
    req = open_req(con, L"GET", L"/digest/hello.txt");
    set_option_str(req, WINHTTP_OPTION_USERNAME, L"user");
    set_option_str(req, WINHTTP_OPTION_PASSWORD, L"nope");
    CHECK(send_req(req, NULL, 0, 0) && receive(req));
    CHECK_EQ(status_of(req), 401);
    read_all(req, NULL, 0);
    close_req(req);
    WinHttpCloseHandle(con);
    WinHttpCloseHandle(ses);
}

/* Digest's corner cases against digest_server.py (hashlib): SHA-256, the -sess forms, and a stale
 * nonce answered again by WinHTTP itself (the caller sees only the 200). */
static void test_digest(INTERNET_PORT port)
{
    static const WCHAR *algs[] = {L"/digest/MD5", L"/digest/MD5-sess", L"/digest/SHA-256", L"/digest/SHA-256-sess"};
    char body[256];
    WCHAR path[96];
    size_t i;
    HINTERNET ses = session(NULL), con = WinHttpConnect(ses, L"127.0.0.1", port, 0), req;
    CHECK(con != NULL);
    for (i = 0; i < sizeof algs / sizeof algs[0]; i++) {
        req = open_req(con, L"GET", algs[i]);
        set_option_str(req, WINHTTP_OPTION_USERNAME, L"user");
        set_option_str(req, WINHTTP_OPTION_PASSWORD, L"pwd");
        CHECK(send_req(req, NULL, 0, 0) && receive(req));
        CHECK_EQ(status_of(req), 200);
        read_all(req, body, sizeof body);
        CHECK(strncmp(body, "digest ok ", 10) == 0);
        close_req(req);
    }
    /* Credentials for Digest set before the first send: nothing can go first (Digest needs a
     * challenge), WinHTTP answers the 401 itself, then the stale nonce too: the caller sees the 200. */
    harness_swprintf(path, 96, L"/digest/SHA-256?stale=1&run=%d-%d", (int)getpid(), is_async);
    req = open_req(con, L"GET", path);
    CHECK_OK(WinHttpSetCredentials(req, WINHTTP_AUTH_TARGET_SERVER, WINHTTP_AUTH_SCHEME_DIGEST, L"user", L"pwd", NULL));
    CHECK(send_req(req, NULL, 0, 0) && receive(req));
    CHECK_EQ(status_of(req), 200);
    read_all(req, body, sizeof body);
    CHECK(strstr(body, "stale-seen=1") != NULL);
    /* Sent again on the handle: Digest answers the last challenge at once. */
    CHECK(send_req(req, NULL, 0, 0) && receive(req));
    CHECK_EQ(status_of(req), 200);
    read_all(req, NULL, 0);
    close_req(req);
    /* A wrong password: the 401 is the caller's. */
    req = open_req(con, L"GET", L"/digest/SHA-256");
    set_option_str(req, WINHTTP_OPTION_USERNAME, L"user");
    set_option_str(req, WINHTTP_OPTION_PASSWORD, L"bad");
    CHECK(send_req(req, NULL, 0, 0) && receive(req));
    CHECK_EQ(status_of(req), 401);
    read_all(req, NULL, 0);
    close_req(req);
    WinHttpCloseHandle(con);
    WinHttpCloseHandle(ses);
}

static void test_squid(INTERNET_PORT squid_port)
{
    INTERNET_PORT http_port = (INTERNET_PORT)harness_env_int("WINHTTP_TEST_PORT", 0);
    INTERNET_PORT tls_port = (INTERNET_PORT)harness_env_int("WINHTTP_TEST_TLS_GOOD_PORT", 0);
    WCHAR proxy[64];
    char body[256];
    DWORD supported = 0, first = 0, target = 0;
    HINTERNET ses, con, req;
    harness_swprintf(proxy, 64, L"127.0.0.1:%u", (unsigned)squid_port);
    ses = session(proxy);

    /* Plain HTTP through squid. */
    con = WinHttpConnect(ses, L"127.0.0.1", http_port, 0);
    CHECK(con != NULL);
    req = open_req(con, L"GET", L"/hello");
    no_keep_alive(req);
    CHECK(send_req(req, NULL, 0, 0) && receive(req));
    CHECK_EQ(status_of(req), 407);
    CHECK_OK(WinHttpQueryAuthSchemes(req, &supported, &first, &target));
    CHECK_EQ(supported, WINHTTP_AUTH_SCHEME_BASIC);
    CHECK_EQ(target, WINHTTP_AUTH_TARGET_PROXY);
    read_all(req, NULL, 0);
    CHECK_OK(WinHttpSetCredentials(req, WINHTTP_AUTH_TARGET_PROXY, WINHTTP_AUTH_SCHEME_BASIC, L"user", L"pwd", NULL));
    CHECK(send_req(req, NULL, 0, 0) && receive(req));
    CHECK_EQ(status_of(req), 200);
    read_all(req, body, sizeof body);
    CHECK(strcmp(body, "Hello, world!") == 0);
    close_req(req);

    req = open_req(con, L"GET", L"/hello");
    no_keep_alive(req);
    set_option_str(req, WINHTTP_OPTION_PROXY_USERNAME, L"user");
    set_option_str(req, WINHTTP_OPTION_PROXY_PASSWORD, L"pwd");
    CHECK(send_req(req, NULL, 0, 0) && receive(req));
    CHECK_EQ(status_of(req), 200);
    read_all(req, NULL, 0);
    close_req(req);
    WinHttpCloseHandle(con);

    /* HTTPS: the CONNECT's 407, then the tunnel with the proxy's credentials. */
    con = WinHttpConnect(ses, L"localhost", tls_port, 0);
    CHECK(con != NULL);
    req = WinHttpOpenRequest(con, L"GET", L"/hello", NULL, WINHTTP_NO_REFERER, WINHTTP_DEFAULT_ACCEPT_TYPES,
                             WINHTTP_FLAG_SECURE);
    CHECK(req != NULL);
    no_keep_alive(req);
    CHECK(send_req(req, NULL, 0, 0) && receive(req));
    CHECK_EQ(status_of(req), 407);
    read_all(req, NULL, 0);
    CHECK_OK(WinHttpSetCredentials(req, WINHTTP_AUTH_TARGET_PROXY, WINHTTP_AUTH_SCHEME_BASIC, L"user", L"pwd", NULL));
    CHECK(send_req(req, NULL, 0, 0) && receive(req));
    CHECK_EQ(status_of(req), 200);
    read_all(req, body, sizeof body);
    CHECK(strcmp(body, "Hello, world!") == 0);
    close_req(req);
    WinHttpCloseHandle(con);
    WinHttpCloseHandle(ses);
}

int main(void)
{
    INTERNET_PORT apache = (INTERNET_PORT)harness_env_int("WINHTTP_TEST_APACHE_PORT", 0);
    INTERNET_PORT squid = (INTERNET_PORT)harness_env_int("WINHTTP_TEST_SQUID_PORT", 0);
    INTERNET_PORT digest = (INTERNET_PORT)harness_env_int("WINHTTP_TEST_DIGEST_PORT", 0);
    int async;
    if (!apache)
        printf("Apache Digest tests skipped: Apache httpd is not running (apt-get install apache2)\n");
    if (!squid)
        printf("squid proxy tests skipped: squid is not running (apt-get install squid)\n");
    if (!digest)
        printf("Digest corner-case tests skipped: digest_server.py is not running (python3)\n");
    CHECK(1);
    for (async = 0; async < 2; async++) {
        is_async = async;
        printf("%s\n", async ? "async" : "sync");
        if (apache)
            test_apache(apache);
        if (squid)
            test_squid(squid);
        if (digest)
            test_digest(digest);
    }
    return harness_report();
}
