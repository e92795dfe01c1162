/*
 * Proxy authentication on a CONNECT tunnel with the schemes that authenticate a connection (NTLM,
 * Negotiate), and a proxy going away mid-tunnel. The proxy is tests/support/ntlm_server.py in its
 * CONNECT role: pyspnego authenticates each connection, and the server's log says on which
 * connection each CONNECT arrived (so the test checks, on the server's side, that the legs shared
 * one socket). The origin is the HTTPS server WINHTTP_TEST_TLS_GOOD_PORT, reached through the
 * tunnel with TLS (certificate for "localhost"). Sync and async:
 *  - NTLM credentials set before the first send: NEGOTIATE and AUTHENTICATE on one proxy
 *    connection, then TLS to the origin inside the tunnel;
 *  - no credentials: the proxy's 407 to the CONNECT is the caller's (QueryAuthSchemes says PROXY,
 *    its body is readable); SetCredentials(PROXY, NEGOTIATE) and the send again: the proxy kept the
 *    connection open after its 407, and every leg, the first one included, went on it (also when
 *    the caller did not read the 407's body: WinHTTP drains it);
 *  - the proxy username/password options: WinHTTP answers by itself, Negotiate (NTLM inside SPNEGO)
 *    chosen from the challenges, the POST body reaching the origin once;
 *  - a body streamed with WinHttpWriteData: ERROR_WINHTTP_RESEND_REQUEST for each 407 WinHTTP
 *    answers, the caller sends it again, the origin gets it once;
 *  - a 407 with no body (every leg on one connection) and one larger than
 *    WINHTTP_OPTION_MAX_RESPONSE_DRAIN_SIZE (that connection given up, the next legs on a new one);
 *    read by the caller when it has no credentials, whatever its size;
 *  - the proxy closing the connection it kept after a 407: the next CONNECT once more on a new one;
 *  - the proxy closing the tunnel during the TLS handshake, and after the response started: the
 *    error, nothing pooled, and the next request through the proxy works.
 * The knobs are in the origin's host name (see ntlm_server.py): the certificate's name then does
 * not match, waived with SECURITY_FLAG_IGNORE_CERT_CN_INVALID.
 * Skips (with the reason) when the server is not running (no python3 or pyspnego).
 */
#include "auth_steps.h"
#include "diagnostics.h"
#include <stdio.h>

static INTERNET_PORT proxy_port, tls_port;
static HINTERNET direct_ses, direct_con;

struct entry {
    int conn, status;
    char method[12], path[40], kind[16], scheme[16];
};

/* The proxy's log since the last call (read over a direct connection, always sync). */
static int proxy_log(struct entry *out, int max)
{
    static char text[8192];
    DWORD total = 0, got;
    char *line, *save = NULL;
    int n = 0;
    HINTERNET req = WinHttpOpenRequest(direct_con, L"GET", L"/log", NULL, WINHTTP_NO_REFERER,
                                       WINHTTP_DEFAULT_ACCEPT_TYPES, 0);
    CHECK(req != NULL);
    CHECK(WinHttpSendRequest(req, WINHTTP_NO_ADDITIONAL_HEADERS, 0, NULL, 0, 0, 0) &&
          WinHttpReceiveResponse(req, NULL));
    while (total < sizeof text - 1 && WinHttpReadData(req, text + total, sizeof text - 1 - total, &got) && got)
        total += got;
    text[total] = 0;
    WinHttpCloseHandle(req);
    for (line = strtok_r(text, "\n", &save); line && n < max; line = strtok_r(NULL, "\n", &save)) {
        if (sscanf(line, "%d %11s %39s %15s %d %15s", &out[n].conn, out[n].method, out[n].path, out[n].kind,
                   &out[n].status, out[n].scheme) == 6)
            n++;
    }
    return n;
}

static int entry_is(const struct entry *e, const char *path, const char *kind, int status, const char *scheme)
{
    int ok = !strcmp(e->method, "CONNECT") && !strcmp(e->path, path) && !strcmp(e->kind, kind) &&
             e->status == status && !strcmp(e->scheme, scheme);
    if (!ok)
        printf("  log: %d %s %s %s %d %s (wanted CONNECT %s %s %d %s)\n", e->conn, e->method, e->path, e->kind,
               e->status, e->scheme, path, kind, status, scheme);
    return ok;
}

/* A request through the proxy to the origin's TLS server; `waive_name` for the knob host names. */
static HINTERNET tunnel_req(HINTERNET con, const WCHAR *verb, const WCHAR *path, int waive_name)
{
    HINTERNET req = WinHttpOpenRequest(con, verb, path, NULL, WINHTTP_NO_REFERER, WINHTTP_DEFAULT_ACCEPT_TYPES,
                                       WINHTTP_FLAG_SECURE);
    CHECK(req != NULL);
    if (waive_name) {
        DWORD flags = SECURITY_FLAG_IGNORE_CERT_CN_INVALID;
        CHECK_OK(WinHttpSetOption(req, WINHTTP_OPTION_SECURITY_FLAGS, &flags, sizeof flags));
    }
    return req;
}

/* Every test starts without a pooled tunnel (one would carry the request without a CONNECT). */
static void fresh(void)
{
    struct entry log[16];
    CHECK(close_idle_connections());
    proxy_log(log, 16);
}

static void set_proxy_credentials(HINTERNET req, DWORD scheme)
{
    CHECK_OK(WinHttpSetCredentials(req, WINHTTP_AUTH_TARGET_PROXY, scheme, L"CORP\\alice", L"S3cret-p4ss", NULL));
}

static void expect_hello(HINTERNET req)
{
    char body[64];
    CHECK_EQ(status_of(req), 200);
    CHECK_EQ(read_all(req, body, sizeof body), 13);
    CHECK(strcmp(body, "Hello, world!") == 0);
}

static void test_preset_ntlm(HINTERNET con)
{
    struct entry log[16];
    int n;
    HINTERNET req;
    fresh();
    req = tunnel_req(con, L"GET", L"/hello", 0);
    set_proxy_credentials(req, WINHTTP_AUTH_SCHEME_NTLM);
    CHECK(send_req(req, NULL, 0, 0) && receive(req));
    expect_hello(req);
    close_req(req);
    n = proxy_log(log, 16);
    CHECK_EQ(n, 2);
    if (n == 2) {
        CHECK(entry_is(&log[0], "localhost", "negotiate", 407, "ntlm"));
        CHECK(entry_is(&log[1], "localhost", "authenticate", 200, "ntlm"));
        CHECK_EQ(log[0].conn, log[1].conn);
    }
}

static void test_caller_negotiate(HINTERNET con)
{
    struct entry log[16];
    char body[64];
    int n;
    HINTERNET req;
    fresh();
    req = tunnel_req(con, L"GET", L"/hello", 0);
    CHECK(send_req(req, NULL, 0, 0) && receive(req));
    CHECK_EQ(status_of(req), 407);
    {
        DWORD supported = 0, first = 0, target = 0;
        CHECK_OK(WinHttpQueryAuthSchemes(req, &supported, &first, &target));
        CHECK_EQ(supported, WINHTTP_AUTH_SCHEME_NTLM | WINHTTP_AUTH_SCHEME_NEGOTIATE);
        CHECK_EQ(target, WINHTTP_AUTH_TARGET_PROXY);
    }
    /* The refused CONNECT's answer is the response the caller reads. */
    CHECK_EQ(read_all(req, body, sizeof body), 12);
    CHECK(strcmp(body, "Unauthorized") == 0);
    set_proxy_credentials(req, WINHTTP_AUTH_SCHEME_NEGOTIATE);
    CHECK(send_req(req, NULL, 0, 0) && receive(req));
    expect_hello(req);
    close_req(req);
    n = proxy_log(log, 16);
    CHECK_EQ(n, 3);
    if (n == 3) {
        CHECK(entry_is(&log[0], "localhost", "none", 407, "-"));
        CHECK(entry_is(&log[1], "localhost", "negotiate", 407, "negotiate"));
        CHECK(entry_is(&log[2], "localhost", "authenticate", 200, "negotiate"));
        CHECK_EQ(log[0].conn, log[1].conn);
        CHECK_EQ(log[1].conn, log[2].conn);
    }
}

/* The caller sends again without reading the 407's body: WinHTTP drains it and the proxy's
 * connection still carries every leg. */
static void test_caller_unread(HINTERNET con)
{
    struct entry log[16];
    int n;
    HINTERNET req;
    fresh();
    req = tunnel_req(con, L"GET", L"/hello", 0);
    CHECK(send_req(req, NULL, 0, 0) && receive(req));
    CHECK_EQ(status_of(req), 407);
    set_proxy_credentials(req, WINHTTP_AUTH_SCHEME_NTLM);
    CHECK(send_req(req, NULL, 0, 0) && receive(req));
    expect_hello(req);
    close_req(req);
    n = proxy_log(log, 16);
    CHECK_EQ(n, 3);
    if (n == 3) {
        CHECK(entry_is(&log[0], "localhost", "none", 407, "-"));
        CHECK(entry_is(&log[2], "localhost", "authenticate", 200, "ntlm"));
        CHECK_EQ(log[0].conn, log[1].conn);
        CHECK_EQ(log[1].conn, log[2].conn);
    }
}

static void test_options_post(HINTERNET con)
{
    struct entry log[16];
    char body[64];
    int n;
    HINTERNET req;
    fresh();
    req = tunnel_req(con, L"POST", L"/upload", 0);
    set_option_str(req, WINHTTP_OPTION_PROXY_USERNAME, L"CORP\\alice");
    set_option_str(req, WINHTTP_OPTION_PROXY_PASSWORD, L"S3cret-p4ss");
    CHECK(send_req(req, "abc", 3, 3) && receive(req));
    CHECK_EQ(status_of(req), 200);
    read_all(req, body, sizeof body);
    CHECK(strncmp(body, "3 ", 2) == 0);
    close_req(req);
    n = proxy_log(log, 16);
    CHECK_EQ(n, 3);
    if (n == 3) {
        CHECK(entry_is(&log[0], "localhost", "none", 407, "-"));
        CHECK(entry_is(&log[1], "localhost", "negotiate", 407, "negotiate"));
        CHECK(entry_is(&log[2], "localhost", "authenticate", 200, "negotiate"));
        CHECK_EQ(log[0].conn, log[1].conn);
        CHECK_EQ(log[1].conn, log[2].conn);
    }
}

/* A body streamed with WinHttpWriteData through a tunnel the proxy authenticates with NTLM: WinHTTP
 * cannot replay it, so a 407 it answers ends the receive with ERROR_WINHTTP_RESEND_REQUEST and the
 * caller sends (and writes) again, as it would for a 401 (here once per 407; whether Windows runs the
 * CONNECT's handshake inside WinHttpSendRequest instead is not pinned down); nothing of the body
 * reaches the proxy, all of it reaches the origin once, and the legs share the proxy connection. */
static void test_streamed_body(HINTERNET con)
{
    static char chunk[65536];
    struct entry log[16];
    char body[64];
    int pass, i, n;
    BOOL ok = FALSE;
    HINTERNET req;
    memset(chunk, 's', sizeof chunk);
    fresh();
    req = tunnel_req(con, L"POST", L"/upload", 0);
    set_option_str(req, WINHTTP_OPTION_PROXY_USERNAME, L"CORP\\alice");
    set_option_str(req, WINHTTP_OPTION_PROXY_PASSWORD, L"S3cret-p4ss");
    for (pass = 0; pass < 4 && !ok; pass++) {
        CHECK(send_req(req, NULL, 0, 3 * sizeof chunk));
        for (i = 0; i < 3; i++)
            CHECK(write_req(req, chunk, sizeof chunk));
        SetLastError(0xdeadbeef);
        ok = receive(req);
        if (!ok)
            CHECK_EQ(GetLastError(), ERROR_WINHTTP_RESEND_REQUEST);
    }
    CHECK(ok);
    CHECK_EQ(status_of(req), 200);
    read_all(req, body, sizeof body);
    CHECK(strncmp(body, "196608 ", 7) == 0);
    close_req(req);
    n = proxy_log(log, 16);
    CHECK_EQ(n, 3);
    if (n == 3) {
        CHECK(entry_is(&log[2], "localhost", "authenticate", 200, "negotiate"));
        CHECK_EQ(log[0].conn, log[1].conn);
        CHECK_EQ(log[1].conn, log[2].conn);
    }
}

/* A 407 with no body: every leg on one connection. One larger than the drain limit: that
 * connection is given up, the handshake goes on a new one. Without credentials the caller reads
 * it whole, and its send with credentials goes on the connection the proxy kept. */
static void test_challenge_bodies(HINTERNET ses)
{
    struct entry log[16];
    int n;
    DWORD drain = 65536;
    HINTERNET con = WinHttpConnect(ses, L"pad-0.localhost", tls_port, 0), req;
    fresh();
    req = tunnel_req(con, L"GET", L"/hello", 1);
    set_option_str(req, WINHTTP_OPTION_PROXY_USERNAME, L"CORP\\alice");
    set_option_str(req, WINHTTP_OPTION_PROXY_PASSWORD, L"S3cret-p4ss");
    CHECK(send_req(req, NULL, 0, 0) && receive(req));
    expect_hello(req);
    close_req(req);
    WinHttpCloseHandle(con);
    n = proxy_log(log, 16);
    CHECK_EQ(n, 3);
    if (n == 3) {
        CHECK(entry_is(&log[0], "pad-0", "none", 407, "-"));
        CHECK(entry_is(&log[2], "pad-0", "authenticate", 200, "negotiate"));
        CHECK_EQ(log[0].conn, log[1].conn);
        CHECK_EQ(log[1].conn, log[2].conn);
    }

    con = WinHttpConnect(ses, L"pad-100000.localhost", tls_port, 0);
    fresh();
    req = tunnel_req(con, L"GET", L"/hello", 1);
    CHECK_OK(WinHttpSetOption(req, WINHTTP_OPTION_MAX_RESPONSE_DRAIN_SIZE, &drain, sizeof drain));
    set_option_str(req, WINHTTP_OPTION_PROXY_USERNAME, L"CORP\\alice");
    set_option_str(req, WINHTTP_OPTION_PROXY_PASSWORD, L"S3cret-p4ss");
    CHECK(send_req(req, NULL, 0, 0) && receive(req));
    expect_hello(req);
    close_req(req);
    n = proxy_log(log, 16);
    CHECK_EQ(n, 3);
    if (n == 3) {
        CHECK(entry_is(&log[0], "pad-100000", "none", 407, "-"));
        CHECK(entry_is(&log[1], "pad-100000", "negotiate", 407, "negotiate"));
        CHECK(entry_is(&log[2], "pad-100000", "authenticate", 200, "negotiate"));
        CHECK(log[0].conn != log[1].conn);
        CHECK_EQ(log[1].conn, log[2].conn);
    }

    /* No credentials: the caller reads all 100000 bytes, then answers on the same connection. */
    fresh();
    req = tunnel_req(con, L"GET", L"/hello", 1);
    CHECK(send_req(req, NULL, 0, 0) && receive(req));
    CHECK_EQ(status_of(req), 407);
    CHECK_EQ(read_all(req, NULL, 0), 100000);
    set_proxy_credentials(req, WINHTTP_AUTH_SCHEME_NTLM);
    CHECK(send_req(req, NULL, 0, 0) && receive(req));
    expect_hello(req);
    close_req(req);
    WinHttpCloseHandle(con);
    n = proxy_log(log, 16);
    CHECK_EQ(n, 3);
    if (n == 3) {
        CHECK(entry_is(&log[1], "pad-100000", "negotiate", 407, "ntlm"));
        CHECK(entry_is(&log[2], "pad-100000", "authenticate", 200, "ntlm"));
        CHECK_EQ(log[0].conn, log[1].conn);
        CHECK_EQ(log[1].conn, log[2].conn);
    }
}

/* The proxy closes the connection it had kept after its 407 (without saying so): the next CONNECT,
 * sent on it, finds it closed and goes once more on a new connection, where the handshake ends. */
static void test_kept_connection_closed(HINTERNET ses)
{
    struct entry log[16];
    int n;
    HINTERNET con = WinHttpConnect(ses, L"close-after-407.localhost", tls_port, 0), req;
    fresh();
    req = tunnel_req(con, L"GET", L"/hello", 1);
    set_option_str(req, WINHTTP_OPTION_PROXY_USERNAME, L"CORP\\alice");
    set_option_str(req, WINHTTP_OPTION_PROXY_PASSWORD, L"S3cret-p4ss");
    CHECK(send_req(req, NULL, 0, 0) && receive(req));
    expect_hello(req);
    close_req(req);
    WinHttpCloseHandle(con);
    n = proxy_log(log, 16);
    CHECK_EQ(n, 3);
    if (n == 3) {
        CHECK(entry_is(&log[0], "close-after-407", "none", 407, "-"));
        CHECK(entry_is(&log[1], "close-after-407", "negotiate", 407, "negotiate"));
        CHECK(entry_is(&log[2], "close-after-407", "authenticate", 200, "negotiate"));
        CHECK(log[0].conn != log[1].conn);
        CHECK_EQ(log[1].conn, log[2].conn);
    }
}

/* After a tunnel failure nothing is pooled, and the next request through the proxy works. */
static void check_recovers(HINTERNET con)
{
    WINHTTP_PORTABLE_DIAGNOSTICS d = diagnostics();
    HINTERNET req;
    CHECK_EQ(d.dwPooledConnections, 0);
    req = tunnel_req(con, L"GET", L"/hello", 0);
    set_proxy_credentials(req, WINHTTP_AUTH_SCHEME_NTLM);
    CHECK(send_req(req, NULL, 0, 0) && receive(req));
    expect_hello(req);
    close_req(req);
}

static void test_proxy_goes_away(HINTERNET ses, HINTERNET good)
{
    static char buf[65536];
    DWORD got, error = 0, total = 0;
    struct entry log[16];
    HINTERNET con = WinHttpConnect(ses, L"drop-handshake.localhost", tls_port, 0), req;
    /* The tunnel opens, then the proxy closes it on the ClientHello. */
    fresh();
    req = tunnel_req(con, L"GET", L"/hello", 1);
    SetLastError(0xdeadbeef);
    CHECK(!send_req(req, NULL, 0, 0));
    CHECK_EQ(GetLastError(), ERROR_WINHTTP_SECURE_CHANNEL_ERROR);
    close_req(req);
    WinHttpCloseHandle(con);
    CHECK_EQ(proxy_log(log, 16), 1);
    check_recovers(good);

    /* The proxy closes both sides after 20000 bytes from the origin: the head arrived, the body
     * is cut short. */
    con = WinHttpConnect(ses, L"drop-after-20000.localhost", tls_port, 0);
    fresh();
    req = tunnel_req(con, L"GET", L"/len/1000000", 1);
    CHECK(send_req(req, NULL, 0, 0) && receive(req));
    CHECK_EQ(status_of(req), 200);
    for (;;) {
        arm();
        got = 0;
        if (!await_call(WinHttpReadData(req, buf, sizeof buf, is_async ? NULL : &got), &got)) {
            error = GetLastError();
            break;
        }
        if (!got)
            break;
        total += got;
    }
    CHECK_EQ(error, ERROR_WINHTTP_CONNECTION_ERROR);
    CHECK(total > 0 && total < 20000);
    close_req(req);
    WinHttpCloseHandle(con);
    check_recovers(good);
}

static void run(int async)
{
    WCHAR proxy[64];
    HINTERNET ses, con;
    is_async = async;
    printf("%s\n", async ? "async" : "sync");
    harness_swprintf(proxy, 64, L"127.0.0.1:%u", (unsigned)proxy_port);
    ses = WinHttpOpen(L"winhttp-test/1.0", WINHTTP_ACCESS_TYPE_NAMED_PROXY, proxy, WINHTTP_NO_PROXY_BYPASS,
                      async ? WINHTTP_FLAG_ASYNC : 0);
    CHECK(ses != NULL);
    WinHttpSetTimeouts(ses, 10000, 10000, 10000, 10000);
    if (async)
        WinHttpSetStatusCallback(ses, callback, WINHTTP_CALLBACK_FLAG_ALL_NOTIFICATIONS, 0);
    con = WinHttpConnect(ses, L"localhost", tls_port, 0);
    CHECK(con != NULL);
    test_preset_ntlm(con);
    test_caller_negotiate(con);
    test_caller_unread(con);
    test_options_post(con);
    test_streamed_body(con);
    test_challenge_bodies(ses);
    test_kept_connection_closed(ses);
    test_proxy_goes_away(ses, con);
    WinHttpCloseHandle(con);
    WinHttpCloseHandle(ses);
}

int main(void)
{
    proxy_port = (INTERNET_PORT)harness_env_int("WINHTTP_TEST_NTLM_PORT", 0);
    tls_port = (INTERNET_PORT)harness_env_int("WINHTTP_TEST_TLS_GOOD_PORT", 0);
    if (!proxy_port || !tls_port) {
        printf("NTLM tunnel tests skipped: no NTLM proxy (it needs python3 and pyspnego: pip install pyspnego)"
               " or no TLS origin\n");
        CHECK(1);
        return harness_report();
    }
    direct_ses = WinHttpOpen(L"winhttp-test/1.0", WINHTTP_ACCESS_TYPE_NO_PROXY, WINHTTP_NO_PROXY_NAME,
                             WINHTTP_NO_PROXY_BYPASS, 0);
    direct_con = WinHttpConnect(direct_ses, L"127.0.0.1", proxy_port, 0);
    CHECK(direct_ses && direct_con);
    run(0);
    run(1);
    WinHttpCloseHandle(direct_con);
    WinHttpCloseHandle(direct_ses);
    check_nothing_left("the tunnel tests", 5000);
    return harness_report();
}
