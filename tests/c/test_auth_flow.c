/*
 * Answering challenges, sync and async: WinHttpSetCredentials (arguments, handle types, server and
 * proxy targets), WinHttpQueryAuthParams, the USERNAME/PASSWORD and PROXY_USERNAME/PASSWORD
 * options, and what Windows does with them:
 *  - after a 401 the caller sets credentials and sends again on the same request handle;
 *  - credentials set with WinHttpSetCredentials before the first send go out preemptively (Basic);
 *  - the options wait for the challenge and WinHTTP answers it by itself;
 *  - WinHttpSetCredentials takes precedence over the options, whatever the order;
 *  - a wrong password gives the 401 back to the caller, without a loop (the server counts);
 *  - a body given to WinHttpSendRequest is replayed; one streamed with WinHttpWriteData makes
 *    WinHttpReceiveResponse fail with ERROR_WINHTTP_RESEND_REQUEST, and the caller sends again;
 *  - WINHTTP_DISABLE_AUTHENTICATION; a challenge with a large body (drained);
 *  - no leaks: server credentials never follow a redirect to another host, proxy credentials only
 *    go to a proxy.
 *
 * Server: /auth/basic, /auth/proxy-basic, /auth/count, /echo, /redirect/302 of tests/support/http.rs.
 * Each async call waits for its completion notification, so the same steps run in both modes.
 */
#include "auth_steps.h"
#include <stdio.h>

static INTERNET_PORT port;

/* How many auth requests (/auth/basic, /auth/proxy-basic) the server saw since the last call. */
static int auth_count(HINTERNET con)
{
    char body[32];
    HINTERNET req = open_req(con, L"GET", L"/auth/count");
    CHECK(send_req(req, NULL, 0, 0) && receive(req));
    read_all(req, body, sizeof body);
    close_req(req);
    return atoi(body);
}

static void test_arguments(HINTERNET ses, HINTERNET con)
{
    HINTERNET req = open_req(con, L"GET", L"/auth/basic");
    void *params = (void *)1;
    CHECK_FAILS(WinHttpSetCredentials(NULL, WINHTTP_AUTH_TARGET_SERVER, WINHTTP_AUTH_SCHEME_BASIC, L"u", L"p", NULL),
                ERROR_INVALID_HANDLE);
    CHECK_FAILS(WinHttpSetCredentials(ses, WINHTTP_AUTH_TARGET_SERVER, WINHTTP_AUTH_SCHEME_BASIC, L"u", L"p", NULL),
                ERROR_WINHTTP_INCORRECT_HANDLE_TYPE);
    CHECK_FAILS(WinHttpSetCredentials(con, WINHTTP_AUTH_TARGET_SERVER, WINHTTP_AUTH_SCHEME_BASIC, L"u", L"p", NULL),
                ERROR_WINHTTP_INCORRECT_HANDLE_TYPE);
    /* Targets other than server and proxy; no scheme, two schemes, an unknown bit. */
    CHECK_FAILS(WinHttpSetCredentials(req, 2, WINHTTP_AUTH_SCHEME_BASIC, L"u", L"p", NULL), ERROR_INVALID_PARAMETER);
    CHECK_FAILS(WinHttpSetCredentials(req, WINHTTP_AUTH_TARGET_SERVER, 0, L"u", L"p", NULL), ERROR_INVALID_PARAMETER);
    CHECK_FAILS(WinHttpSetCredentials(req, WINHTTP_AUTH_TARGET_SERVER,
                                      WINHTTP_AUTH_SCHEME_BASIC | WINHTTP_AUTH_SCHEME_NTLM, L"u", L"p", NULL),
                ERROR_INVALID_PARAMETER);
    CHECK_FAILS(WinHttpSetCredentials(req, WINHTTP_AUTH_TARGET_SERVER, 0x20, L"u", L"p", NULL),
                ERROR_INVALID_PARAMETER);
    /* Basic and Digest need both strings; NTLM and Negotiate take NULL, NULL (default credentials). */
    CHECK_FAILS(WinHttpSetCredentials(req, WINHTTP_AUTH_TARGET_SERVER, WINHTTP_AUTH_SCHEME_BASIC, NULL, L"p", NULL),
                ERROR_INVALID_PARAMETER);
    CHECK_FAILS(WinHttpSetCredentials(req, WINHTTP_AUTH_TARGET_SERVER, WINHTTP_AUTH_SCHEME_BASIC, L"u", NULL, NULL),
                ERROR_INVALID_PARAMETER);
    CHECK_FAILS(WinHttpSetCredentials(req, WINHTTP_AUTH_TARGET_PROXY, WINHTTP_AUTH_SCHEME_DIGEST, NULL, NULL, NULL),
                ERROR_INVALID_PARAMETER);
    CHECK_OK(WinHttpSetCredentials(req, WINHTTP_AUTH_TARGET_SERVER, WINHTTP_AUTH_SCHEME_NTLM, NULL, NULL, NULL));
    CHECK_OK(WinHttpSetCredentials(req, WINHTTP_AUTH_TARGET_PROXY, WINHTTP_AUTH_SCHEME_NEGOTIATE, NULL, NULL, NULL));
    CHECK_OK(WinHttpSetCredentials(req, WINHTTP_AUTH_TARGET_PROXY, WINHTTP_AUTH_SCHEME_BASIC, L"", L"", NULL));

    /* WinHttpQueryAuthParams: arguments, before a response, after a 401 offering Basic only. */
    CHECK_FAILS(WinHttpQueryAuthParams(NULL, WINHTTP_AUTH_SCHEME_BASIC, &params), ERROR_INVALID_HANDLE);
    CHECK_FAILS(WinHttpQueryAuthParams(con, WINHTTP_AUTH_SCHEME_BASIC, &params), ERROR_WINHTTP_INCORRECT_HANDLE_TYPE);
    CHECK_FAILS(WinHttpQueryAuthParams(req, WINHTTP_AUTH_SCHEME_BASIC, NULL), ERROR_INVALID_PARAMETER);
    CHECK_FAILS(WinHttpQueryAuthParams(req, WINHTTP_AUTH_SCHEME_BASIC, &params), ERROR_INVALID_OPERATION);
    close_req(req);
    req = open_req(con, L"GET", L"/auth/basic");
    CHECK(send_req(req, NULL, 0, 0) && receive(req));
    CHECK_EQ(status_of(req), 401);
    CHECK_FAILS(WinHttpQueryAuthParams(req, 3, &params), ERROR_INVALID_PARAMETER);
    CHECK_FAILS(WinHttpQueryAuthParams(req, WINHTTP_AUTH_SCHEME_NTLM, &params), ERROR_INVALID_OPERATION);
    CHECK_OK(WinHttpQueryAuthParams(req, WINHTTP_AUTH_SCHEME_BASIC, &params));
    CHECK(params == NULL);
    close_req(req);
    auth_count(con);
}

static void test_resend_after_401(HINTERNET con)
{
    char body[64];
    HINTERNET req = open_req(con, L"GET", L"/auth/basic");
    /* The 401 comes to the caller, its body can be read. */
    CHECK(send_req(req, NULL, 0, 0) && receive(req));
    CHECK_EQ(status_of(req), 401);
    CHECK_EQ(read_all(req, body, sizeof body), 12);
    /* Credentials, then the same request handle sends again. */
    CHECK_OK(WinHttpSetCredentials(req, WINHTTP_AUTH_TARGET_SERVER, WINHTTP_AUTH_SCHEME_BASIC, L"user", L"pwd", NULL));
    CHECK(send_req(req, NULL, 0, 0) && receive(req));
    CHECK_EQ(status_of(req), 200);
    CHECK(strcmp(header_of(req, L"X-Auth-Seen"), "Basic dXNlcjpwd2Q=") == 0);
    CHECK_EQ(read_all(req, body, sizeof body), 11);
    CHECK(strcmp(body, "hello world") == 0);
    close_req(req);
    CHECK_EQ(auth_count(con), 2);

    /* Set before the first send: Basic goes out preemptively, one request. */
    req = open_req(con, L"GET", L"/auth/basic");
    CHECK_OK(WinHttpSetCredentials(req, WINHTTP_AUTH_TARGET_SERVER, WINHTTP_AUTH_SCHEME_BASIC, L"user", L"pwd", NULL));
    CHECK(send_req(req, NULL, 0, 0) && receive(req));
    CHECK_EQ(status_of(req), 200);
    read_all(req, NULL, 0);
    close_req(req);
    CHECK_EQ(auth_count(con), 1);
}

static void test_options(HINTERNET con)
{
    HINTERNET req;
    static const char data[] = "some data to replay";

    /* The options wait for the challenge; WinHTTP answers it and the caller sees the 200. The
     * body given to WinHttpSendRequest goes out again with the answer. */
    req = open_req(con, L"POST", L"/auth/basic");
    set_option_str(req, WINHTTP_OPTION_USERNAME, L"user");
    set_option_str(req, WINHTTP_OPTION_PASSWORD, L"pwd");
    CHECK(send_req(req, data, sizeof data - 1, sizeof data - 1) && receive(req));
    CHECK_EQ(status_of(req), 200);
    CHECK(strcmp(header_of(req, L"X-Body-Len"), "19") == 0);
    read_all(req, NULL, 0);
    /* Accepted: the next send on the handle carries Basic at once (one request). */
    CHECK(send_req(req, data, sizeof data - 1, sizeof data - 1) && receive(req));
    CHECK_EQ(status_of(req), 200);
    read_all(req, NULL, 0);
    close_req(req);
    CHECK_EQ(auth_count(con), 3);

    /* WinHttpSetCredentials beats the options, whatever the order: pwd2 is refused, and the 401
     * is the caller's after one request (preemptive Basic), no loop. */
    req = open_req(con, L"GET", L"/auth/basic");
    CHECK_OK(WinHttpSetCredentials(req, WINHTTP_AUTH_TARGET_SERVER, WINHTTP_AUTH_SCHEME_BASIC, L"user", L"pwd2", NULL));
    set_option_str(req, WINHTTP_OPTION_USERNAME, L"user");
    set_option_str(req, WINHTTP_OPTION_PASSWORD, L"pwd");
    CHECK(send_req(req, NULL, 0, 0) && receive(req));
    CHECK_EQ(status_of(req), 401);
    read_all(req, NULL, 0);
    close_req(req);
    CHECK_EQ(auth_count(con), 1);

    /* A wrong password through the options: one answer, then the 401 is the caller's. Sending
     * again without new credentials sends none. */
    req = open_req(con, L"GET", L"/auth/basic");
    set_option_str(req, WINHTTP_OPTION_USERNAME, L"user");
    set_option_str(req, WINHTTP_OPTION_PASSWORD, L"wrong");
    CHECK(send_req(req, NULL, 0, 0) && receive(req));
    CHECK_EQ(status_of(req), 401);
    CHECK(strcmp(header_of(req, L"X-Auth-Seen"), "Basic dXNlcjp3cm9uZw==") == 0);
    read_all(req, NULL, 0);
    CHECK_EQ(auth_count(con), 2);
    CHECK(send_req(req, NULL, 0, 0) && receive(req));
    CHECK_EQ(status_of(req), 401);
    CHECK(strcmp(header_of(req, L"X-Auth-Seen"), "-") == 0);
    read_all(req, NULL, 0);
    /* New credentials (the option again) start over. */
    set_option_str(req, WINHTTP_OPTION_PASSWORD, L"pwd");
    CHECK(send_req(req, NULL, 0, 0) && receive(req));
    CHECK_EQ(status_of(req), 200);
    read_all(req, NULL, 0);
    close_req(req);
    CHECK_EQ(auth_count(con), 3);

    /* WINHTTP_DISABLE_AUTHENTICATION: the challenge is the caller's, nothing is sent. */
    req = open_req(con, L"GET", L"/auth/basic");
    {
        DWORD v = WINHTTP_DISABLE_AUTHENTICATION;
        CHECK_OK(WinHttpSetOption(req, WINHTTP_OPTION_DISABLE_FEATURE, &v, sizeof v));
    }
    CHECK_OK(WinHttpSetCredentials(req, WINHTTP_AUTH_TARGET_SERVER, WINHTTP_AUTH_SCHEME_BASIC, L"user", L"pwd", NULL));
    CHECK(send_req(req, NULL, 0, 0) && receive(req));
    CHECK_EQ(status_of(req), 401);
    CHECK(strcmp(header_of(req, L"X-Auth-Seen"), "-") == 0);
    read_all(req, NULL, 0);
    close_req(req);
    CHECK_EQ(auth_count(con), 1);

    /* A challenge with a 200 kB body: drained, then answered. */
    req = open_req(con, L"GET", L"/auth/basic?pad=200000");
    set_option_str(req, WINHTTP_OPTION_USERNAME, L"user");
    set_option_str(req, WINHTTP_OPTION_PASSWORD, L"pwd");
    CHECK(send_req(req, NULL, 0, 0) && receive(req));
    CHECK_EQ(status_of(req), 200);
    CHECK_EQ(read_all(req, NULL, 0), 11);
    close_req(req);
    CHECK_EQ(auth_count(con), 2);
}

/* A body streamed with WinHttpWriteData cannot be replayed by WinHTTP: the receive fails with
 * ERROR_WINHTTP_RESEND_REQUEST and the caller sends the request (and its body) again. */
static void test_streamed_body(HINTERNET con)
{
    static char chunk[65536];
    HINTERNET req = open_req(con, L"PUT", L"/auth/basic");
    DWORD total = 4 * sizeof chunk, i;
    int pass;
    memset(chunk, 'x', sizeof chunk);
    set_option_str(req, WINHTTP_OPTION_USERNAME, L"user");
    set_option_str(req, WINHTTP_OPTION_PASSWORD, L"pwd");
    for (pass = 0; pass < 2; pass++) {
        CHECK(send_req(req, NULL, 0, total));
        for (i = 0; i < 4; i++)
            CHECK(write_req(req, chunk, sizeof chunk));
        if (pass == 0) {
            SetLastError(0xdeadbeef);
            CHECK(!receive(req));
            CHECK_EQ(GetLastError(), ERROR_WINHTTP_RESEND_REQUEST);
        } else {
            CHECK(receive(req));
            CHECK_EQ(status_of(req), 200);
            CHECK(strcmp(header_of(req, L"X-Body-Len"), "262144") == 0);
            CHECK(strcmp(header_of(req, L"X-Auth-Seen"), "Basic dXNlcjpwd2Q=") == 0);
            CHECK_EQ(read_all(req, NULL, 0), 11);
        }
    }
    close_req(req);
    CHECK_EQ(auth_count(con), 2);
}

/* Credentials stay with their server: not to another host after a redirect (localhost is another
 * host than 127.0.0.1), yes to the same one. */
static void test_redirects(HINTERNET con)
{
    char body[4096], path[128];
    WCHAR wpath[128];
    size_t i;
    HINTERNET req;
    snprintf(path, sizeof path, "/redirect/302?to=http://localhost:%u/echo", (unsigned)port);
    for (i = 0; i <= strlen(path); i++)
        wpath[i] = (WCHAR)path[i];
    req = open_req(con, L"GET", wpath);
    CHECK_OK(WinHttpSetCredentials(req, WINHTTP_AUTH_TARGET_SERVER, WINHTTP_AUTH_SCHEME_BASIC, L"user", L"pwd", NULL));
    CHECK(send_req(req, NULL, 0, 0) && receive(req));
    CHECK_EQ(status_of(req), 200);
    read_all(req, body, sizeof body);
    CHECK(strstr(body, "GET /echo") != NULL);
    CHECK(strstr(body, "authorization") == NULL);
    close_req(req);

    req = open_req(con, L"GET", L"/redirect/302?to=/echo");
    CHECK_OK(WinHttpSetCredentials(req, WINHTTP_AUTH_TARGET_SERVER, WINHTTP_AUTH_SCHEME_BASIC, L"user", L"pwd", NULL));
    CHECK(send_req(req, NULL, 0, 0) && receive(req));
    read_all(req, body, sizeof body);
    CHECK(strstr(body, "authorization: Basic dXNlcjpwd2Q=") != NULL);
    close_req(req);

    /* Proxy credentials on a request that goes direct: never sent. */
    req = open_req(con, L"GET", L"/echo");
    CHECK_OK(WinHttpSetCredentials(req, WINHTTP_AUTH_TARGET_PROXY, WINHTTP_AUTH_SCHEME_BASIC, L"user", L"pwd", NULL));
    set_option_str(req, WINHTTP_OPTION_PROXY_USERNAME, L"user");
    CHECK(send_req(req, NULL, 0, 0) && receive(req));
    read_all(req, body, sizeof body);
    CHECK(strstr(body, "proxy-authorization") == NULL);
    close_req(req);
}

/* Through a proxy (the test server stands in for one: it routes the absolute-form request by its
 * path): a 407 answered with the proxy credentials, which never go as server credentials. */
static void test_proxy(void)
{
    char proxy[64];
    WCHAR wproxy[64];
    size_t i;
    HINTERNET ses, con, req;
    snprintf(proxy, sizeof proxy, "127.0.0.1:%u", (unsigned)port);
    for (i = 0; i <= strlen(proxy); i++)
        wproxy[i] = (WCHAR)proxy[i];
    ses = WinHttpOpen(L"winhttp-test/1.0", WINHTTP_ACCESS_TYPE_NAMED_PROXY, wproxy, WINHTTP_NO_PROXY_BYPASS,
                      is_async ? WINHTTP_FLAG_ASYNC : 0);
    CHECK(ses != NULL);
    WinHttpSetTimeouts(ses, 10000, 10000, 10000, 10000);
    if (is_async)
        WinHttpSetStatusCallback(ses, callback, WINHTTP_CALLBACK_FLAG_ALL_NOTIFICATIONS, 0);
    con = WinHttpConnect(ses, L"origin.test", 80, 0);
    CHECK(con != NULL);

    /* Without credentials: the 407 is the caller's, QueryAuthSchemes says it is the proxy's. */
    req = open_req(con, L"GET", L"/auth/proxy-basic");
    CHECK(send_req(req, NULL, 0, 0) && receive(req));
    CHECK_EQ(status_of(req), 407);
    {
        DWORD supported = 0, first = 0, target = 0;
        CHECK_OK(WinHttpQueryAuthSchemes(req, &supported, &first, &target));
        CHECK_EQ(supported, WINHTTP_AUTH_SCHEME_BASIC);
        CHECK_EQ(target, WINHTTP_AUTH_TARGET_PROXY);
    }
    read_all(req, NULL, 0);
    /* Server credentials do not answer a proxy. */
    CHECK_OK(WinHttpSetCredentials(req, WINHTTP_AUTH_TARGET_SERVER, WINHTTP_AUTH_SCHEME_NTLM, L"user", L"pwd", NULL));
    CHECK(send_req(req, NULL, 0, 0) && receive(req));
    CHECK_EQ(status_of(req), 407);
    read_all(req, NULL, 0);
    /* Then the proxy's, and the same handle sends again. */
    CHECK_OK(WinHttpSetCredentials(req, WINHTTP_AUTH_TARGET_PROXY, WINHTTP_AUTH_SCHEME_BASIC, L"user", L"pwd", NULL));
    CHECK(send_req(req, NULL, 0, 0) && receive(req));
    CHECK_EQ(status_of(req), 200);
    CHECK(strcmp(header_of(req, L"X-Proxy-Auth-Seen"), "Basic dXNlcjpwd2Q=") == 0);
    read_all(req, NULL, 0);
    close_req(req);

    /* The proxy options: the 407 is answered by WinHTTP; nothing goes in Authorization. */
    req = open_req(con, L"GET", L"/auth/proxy-basic");
    set_option_str(req, WINHTTP_OPTION_PROXY_USERNAME, L"user");
    set_option_str(req, WINHTTP_OPTION_PROXY_PASSWORD, L"pwd");
    CHECK(send_req(req, NULL, 0, 0) && receive(req));
    CHECK_EQ(status_of(req), 200);
    CHECK(strcmp(header_of(req, L"X-Auth-Seen"), "-") == 0);
    read_all(req, NULL, 0);
    close_req(req);
    WinHttpCloseHandle(con);
    WinHttpCloseHandle(ses);
}

/* HTTPS through a proxy that wants credentials on the CONNECT: its 407 is the caller's response
 * (the request never goes to the proxy in clear), answered like any 407: after
 * WinHttpSetCredentials(PROXY) the same handle sends again, or by WinHTTP itself with the proxy
 * options. The origin is the test TLS server ("localhost" is in its certificate). */
static void test_tunnel(void)
{
    INTERNET_PORT proxy_port = (INTERNET_PORT)harness_env_int("WINHTTP_TEST_AUTH_PROXY_PORT", 0);
    INTERNET_PORT tls_port = (INTERNET_PORT)harness_env_int("WINHTTP_TEST_TLS_GOOD_PORT", 0);
    WCHAR wproxy[64];
    char proxy[64], body[256];
    size_t i;
    HINTERNET ses, con, req;
    if (!proxy_port || !tls_port) {
        printf("tunnel tests skipped: no auth proxy or TLS server port\n");
        return;
    }
    snprintf(proxy, sizeof proxy, "127.0.0.1:%u", (unsigned)proxy_port);
    for (i = 0; i <= strlen(proxy); i++)
        wproxy[i] = (WCHAR)proxy[i];
    ses = WinHttpOpen(L"winhttp-test/1.0", WINHTTP_ACCESS_TYPE_NAMED_PROXY, wproxy, WINHTTP_NO_PROXY_BYPASS,
                      is_async ? WINHTTP_FLAG_ASYNC : 0);
    CHECK(ses != NULL);
    WinHttpSetTimeouts(ses, 10000, 10000, 10000, 10000);
    if (is_async)
        WinHttpSetStatusCallback(ses, callback, WINHTTP_CALLBACK_FLAG_ALL_NOTIFICATIONS, 0);
    con = WinHttpConnect(ses, L"localhost", tls_port, 0);
    CHECK(con != NULL);

    req = WinHttpOpenRequest(con, L"GET", L"/hello", NULL, WINHTTP_NO_REFERER, WINHTTP_DEFAULT_ACCEPT_TYPES,
                             WINHTTP_FLAG_SECURE);
    CHECK(req != NULL);
    /* No tunnel is left in the pool for the next run (it would carry a request without asking). */
    {
        DWORD v = WINHTTP_DISABLE_KEEP_ALIVE;
        CHECK_OK(WinHttpSetOption(req, WINHTTP_OPTION_DISABLE_FEATURE, &v, sizeof v));
    }
    CHECK(send_req(req, NULL, 0, 0) && receive(req));
    CHECK_EQ(status_of(req), 407);
    {
        DWORD supported = 0, first = 0, target = 0;
        CHECK_OK(WinHttpQueryAuthSchemes(req, &supported, &first, &target));
        CHECK_EQ(supported, WINHTTP_AUTH_SCHEME_BASIC);
        CHECK_EQ(target, WINHTTP_AUTH_TARGET_PROXY);
    }
    CHECK_EQ(read_all(req, body, sizeof body), 20);
    CHECK(strcmp(body, "proxy auth required\n") == 0);
    /* A wrong password: the 407 again. */
    CHECK_OK(WinHttpSetCredentials(req, WINHTTP_AUTH_TARGET_PROXY, WINHTTP_AUTH_SCHEME_BASIC, L"user", L"bad", NULL));
    CHECK(send_req(req, NULL, 0, 0) && receive(req));
    CHECK_EQ(status_of(req), 407);
    read_all(req, NULL, 0);
    CHECK_OK(WinHttpSetCredentials(req, WINHTTP_AUTH_TARGET_PROXY, WINHTTP_AUTH_SCHEME_BASIC, L"user", L"pwd", NULL));
    CHECK(send_req(req, NULL, 0, 0) && receive(req));
    CHECK_EQ(status_of(req), 200);
    CHECK_EQ(read_all(req, body, sizeof body), 13);
    CHECK(strcmp(body, "Hello, world!") == 0);
    close_req(req);

    /* The proxy options: WinHTTP answers the CONNECT's 407 by itself. A POST body given to
     * WinHttpSendRequest reaches the origin once, inside the tunnel. */
    req = WinHttpOpenRequest(con, L"POST", L"/upload", NULL, WINHTTP_NO_REFERER, WINHTTP_DEFAULT_ACCEPT_TYPES,
                             WINHTTP_FLAG_SECURE);
    CHECK(req != NULL);
    {
        DWORD v = WINHTTP_DISABLE_KEEP_ALIVE;
        CHECK_OK(WinHttpSetOption(req, WINHTTP_OPTION_DISABLE_FEATURE, &v, sizeof v));
    }
    set_option_str(req, WINHTTP_OPTION_PROXY_USERNAME, L"user");
    set_option_str(req, WINHTTP_OPTION_PROXY_PASSWORD, L"pwd");
    CHECK(send_req(req, "abc", 3, 3) && receive(req));
    CHECK_EQ(status_of(req), 200);
    read_all(req, body, sizeof body);
    CHECK(strncmp(body, "3 ", 2) == 0);
    close_req(req);
    WinHttpCloseHandle(con);
    WinHttpCloseHandle(ses);
}

/* Credentials written in the proxy's URL (http_proxy=http://user:pwd@host:port, read by a
 * WINHTTP_ACCESS_TYPE_DEFAULT_PROXY session) answer the proxy's 407 like the proxy options. */
static void test_proxy_url_credentials(void)
{
    char url[96];
    HINTERNET ses, con, req;
    const char *names[] = {"HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY"};
    size_t i;
    for (i = 0; i < sizeof names / sizeof names[0]; i++)
        unsetenv(names[i]);
    snprintf(url, sizeof url, "http://user:pwd@127.0.0.1:%u", (unsigned)port);
    setenv("http_proxy", url, 1);
    ses = WinHttpOpen(L"winhttp-test/1.0", WINHTTP_ACCESS_TYPE_DEFAULT_PROXY, WINHTTP_NO_PROXY_NAME,
                      WINHTTP_NO_PROXY_BYPASS, is_async ? WINHTTP_FLAG_ASYNC : 0);
    CHECK(ses != NULL);
    WinHttpSetTimeouts(ses, 10000, 10000, 10000, 10000);
    if (is_async)
        WinHttpSetStatusCallback(ses, callback, WINHTTP_CALLBACK_FLAG_ALL_NOTIFICATIONS, 0);
    con = WinHttpConnect(ses, L"origin.test", 80, 0);
    req = open_req(con, L"GET", L"/auth/proxy-basic");
    CHECK(send_req(req, NULL, 0, 0) && receive(req));
    CHECK_EQ(status_of(req), 200);
    CHECK(strcmp(header_of(req, L"X-Proxy-Auth-Seen"), "Basic dXNlcjpwd2Q=") == 0);
    CHECK(strcmp(header_of(req, L"X-Auth-Seen"), "-") == 0);
    read_all(req, NULL, 0);
    close_req(req);
    WinHttpCloseHandle(con);
    WinHttpCloseHandle(ses);
    unsetenv("http_proxy");
}

static void run(int async)
{
    HINTERNET ses, con;
    is_async = async;
    printf("%s\n", async ? "async" : "sync");
    ses = WinHttpOpen(L"winhttp-test/1.0", WINHTTP_ACCESS_TYPE_NO_PROXY, WINHTTP_NO_PROXY_NAME,
                      WINHTTP_NO_PROXY_BYPASS, async ? WINHTTP_FLAG_ASYNC : 0);
    CHECK(ses != NULL);
    WinHttpSetTimeouts(ses, 10000, 10000, 10000, 10000);
    if (async)
        WinHttpSetStatusCallback(ses, callback, WINHTTP_CALLBACK_FLAG_ALL_NOTIFICATIONS, 0);
    con = WinHttpConnect(ses, L"127.0.0.1", port, 0);
    CHECK(con != NULL);
    auth_count(con);
    test_arguments(ses, con);
    test_resend_after_401(con);
    test_options(con);
    test_streamed_body(con);
    test_redirects(con);
    WinHttpCloseHandle(con);
    WinHttpCloseHandle(ses);
    test_proxy();
    test_proxy_url_credentials();
    test_tunnel();
}

int main(void)
{
    port = (INTERNET_PORT)harness_env_int("WINHTTP_TEST_PORT", 0);
    if (!port) {
        printf("WINHTTP_TEST_PORT not set: run through tests/c_suite.rs\n");
        return 1;
    }
    run(0);
    run(1);
    return harness_report();
}
