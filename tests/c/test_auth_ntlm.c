/*
 * NTLM and Negotiate against an independent implementation: tests/support/ntlm_server.py, where
 * pyspnego authenticates each connection as IIS does (NTLM authenticates the connection: every
 * leg must come on the same socket, and the server's log says which socket each request used).
 * Sync and async:
 *  - the scenario of the WinHttpWriteData reference page: a 1 MiB POST streamed with
 *    WinHttpWriteData, the 401, credentials, the send again; the NTLM CHALLENGE then makes
 *    WinHttpReceiveResponse fail with ERROR_WINHTTP_RESEND_REQUEST (WinHTTP cannot replay a
 *    streamed body), and the third send, on the same socket as the second, is accepted;
 *  - the page's advice: a HEAD first authenticates the connection (WinHTTP answers the CHALLENGE
 *    by itself, HEAD having no body), and the large POST then goes through in one pass, on it;
 *  - the username/password options: Negotiate (NTLM inside SPNEGO) chosen from the challenge;
 *    a wrong password gives the 401 back after one handshake, no loop;
 *  - a 401 with no body (the handshake on its connection) and one beyond MAX_RESPONSE_DRAIN_SIZE
 *    (the handshake on a new connection; readable whole without credentials);
 *  - NTLM to a proxy (the server answers absolute-URI requests with 407s), legs on one socket.
 * Skips (with the reason) when the server is not running (no python3 or pyspnego).
 */
#include "auth_steps.h"
#include <stdio.h>

#define MIB (1024 * 1024)
static char chunk[65536];

/* Sends `req` with a 1 MiB body streamed through WinHttpWriteData, then receives. */
static BOOL post_mib(HINTERNET req)
{
    int i;
    if (!send_req(req, NULL, 0, MIB))
        return FALSE;
    for (i = 0; i < MIB / (int)sizeof chunk; i++)
        if (!write_req(req, chunk, sizeof chunk))
            return FALSE;
    return receive(req);
}

/* The server's log since the last call: up to 16 lines "<conn> <method> <path> <kind> <status>". */
struct entry {
    int conn, status;
    char method[8], path[32], kind[16];
};

static int server_log(HINTERNET con, struct entry *out, int max)
{
    static char text[8192];
    char *line, *save = NULL;
    int n = 0;
    HINTERNET req = open_req(con, L"GET", L"/log");
    CHECK(send_req(req, NULL, 0, 0) && receive(req));
    read_all(req, text, sizeof text);
    close_req(req);
    for (line = strtok_r(text, "\n", &save); line && n < max; line = strtok_r(NULL, "\n", &save)) {
        if (sscanf(line, "%d %7s %31s %15s %d", &out[n].conn, out[n].method, out[n].path, out[n].kind,
                   &out[n].status) == 5)
            n++;
    }
    return n;
}

static int entry_is(const struct entry *e, const char *method, const char *path, const char *kind, int status)
{
    int ok = !strcmp(e->method, method) && !strcmp(e->path, path) && !strcmp(e->kind, kind) && e->status == status;
    if (!ok)
        printf("  log: %d %s %s %s %d (wanted %s %s %s %d)\n", e->conn, e->method, e->path, e->kind, e->status, method,
               path, kind, status);
    return ok;
}

static void test_reference_page(HINTERNET con)
{
    struct entry log[16];
    char body[256];
    int n;
    HINTERNET req = open_req(con, L"POST", L"/upload-a?close=1");
    /* 1. No credentials yet: the 401 is the caller's; it offers NTLM and Negotiate. */
    CHECK(post_mib(req));
    CHECK_EQ(status_of(req), 401);
    {
        DWORD supported = 0, first = 0, target = 0;
        CHECK_OK(WinHttpQueryAuthSchemes(req, &supported, &first, &target));
        CHECK_EQ(supported, WINHTTP_AUTH_SCHEME_NTLM | WINHTTP_AUTH_SCHEME_NEGOTIATE);
        CHECK_EQ(first, WINHTTP_AUTH_SCHEME_NTLM);
    }
    /* 2. Credentials for NTLM, send again: the NTLM CHALLENGE comes back, and WinHTTP cannot
     * answer it with a streamed body: the caller must send again. */
    CHECK_OK(WinHttpSetCredentials(req, WINHTTP_AUTH_TARGET_SERVER, WINHTTP_AUTH_SCHEME_NTLM, L"CORP\\alice",
                                   L"S3cret-p4ss", NULL));
    SetLastError(0xdeadbeef);
    CHECK(!post_mib(req));
    CHECK_EQ(GetLastError(), ERROR_WINHTTP_RESEND_REQUEST);
    /* 3. The third pass carries the AUTHENTICATE message and the body, on the same socket. */
    CHECK(post_mib(req));
    CHECK_EQ(status_of(req), 200);
    read_all(req, body, sizeof body);
    CHECK(strstr(body, "user=CORP\\alice len=1048576") != NULL);
    close_req(req);
    n = server_log(con, log, 16);
    CHECK_EQ(n, 3);
    if (n == 3) {
        CHECK(entry_is(&log[0], "POST", "/upload-a", "none", 401));
        CHECK(entry_is(&log[1], "POST", "/upload-a", "negotiate", 401));
        CHECK(entry_is(&log[2], "POST", "/upload-a", "authenticate", 200));
        /* The first 401's body was left unread: the second send drained it and kept the socket. */
        CHECK_EQ(log[0].conn, log[1].conn);
        CHECK_EQ(log[1].conn, log[2].conn);
        CHECK(atoi(strstr(body, "conn=") + 5) == log[2].conn);
    }
}

static void test_head_warm_up(HINTERNET con)
{
    struct entry log[16];
    char body[256];
    int n;
    HINTERNET req = open_req(con, L"HEAD", L"/warm");
    /* Credentials before the first send: NTLM's first leg goes at once, and WinHTTP answers the
     * CHALLENGE itself (a HEAD has no body to replay). */
    CHECK_OK(WinHttpSetCredentials(req, WINHTTP_AUTH_TARGET_SERVER, WINHTTP_AUTH_SCHEME_NTLM, L"CORP\\alice",
                                   L"S3cret-p4ss", NULL));
    CHECK(send_req(req, NULL, 0, 0) && receive(req));
    CHECK_EQ(status_of(req), 200);
    read_all(req, NULL, 0);
    close_req(req);
    /* The connection is authenticated: the large POST, without credentials, goes in one pass. */
    req = open_req(con, L"POST", L"/upload-b?close=1");
    CHECK(post_mib(req));
    CHECK_EQ(status_of(req), 200);
    read_all(req, body, sizeof body);
    CHECK(strstr(body, "len=1048576") != NULL);
    close_req(req);
    n = server_log(con, log, 16);
    CHECK_EQ(n, 3);
    if (n == 3) {
        CHECK(entry_is(&log[0], "HEAD", "/warm", "negotiate", 401));
        CHECK(entry_is(&log[1], "HEAD", "/warm", "authenticate", 200));
        CHECK(entry_is(&log[2], "POST", "/upload-b", "none", 200));
        CHECK_EQ(log[0].conn, log[1].conn);
        CHECK_EQ(log[1].conn, log[2].conn);
    }
}

static void test_options(HINTERNET con)
{
    struct entry log[16];
    char body[256];
    int n;
    /* The options: the challenge offers NTLM and Negotiate; Negotiate is chosen (NTLM in SPNEGO). */
    HINTERNET req = open_req(con, L"GET", L"/opt?close=1");
    set_option_str(req, WINHTTP_OPTION_USERNAME, L"CORP\\alice");
    set_option_str(req, WINHTTP_OPTION_PASSWORD, L"S3cret-p4ss");
    CHECK(send_req(req, NULL, 0, 0) && receive(req));
    CHECK_EQ(status_of(req), 200);
    read_all(req, body, sizeof body);
    CHECK(strstr(body, "user=CORP\\alice") != NULL);
    close_req(req);
    n = server_log(con, log, 16);
    CHECK_EQ(n, 3);
    if (n == 3) {
        CHECK(entry_is(&log[0], "GET", "/opt", "none", 401));
        CHECK(entry_is(&log[1], "GET", "/opt", "negotiate", 401));
        CHECK(entry_is(&log[2], "GET", "/opt", "authenticate", 200));
    }

    /* A wrong password: one handshake, then the 401 is the caller's. */
    req = open_req(con, L"GET", L"/wrong");
    set_option_str(req, WINHTTP_OPTION_USERNAME, L"CORP\\alice");
    set_option_str(req, WINHTTP_OPTION_PASSWORD, L"wrong");
    CHECK(send_req(req, NULL, 0, 0) && receive(req));
    CHECK_EQ(status_of(req), 401);
    read_all(req, NULL, 0);
    close_req(req);
    n = server_log(con, log, 16);
    CHECK_EQ(n, 3);
    if (n == 3) {
        CHECK(entry_is(&log[0], "GET", "/wrong", "none", 401));
        CHECK(entry_is(&log[1], "GET", "/wrong", "negotiate", 401));
        CHECK(entry_is(&log[2], "GET", "/wrong", "authenticate", 401));
    }
}

/* A 401 with no body keeps its connection for the handshake; one larger than
 * WINHTTP_OPTION_MAX_RESPONSE_DRAIN_SIZE costs it (the handshake goes on a new one), and is still
 * readable whole by a caller without credentials. */
static void test_challenge_bodies(HINTERNET con)
{
    struct entry log[16];
    DWORD drain = 65536;
    int n;
    HINTERNET req = open_req(con, L"GET", L"/empty?pad=0&close=1");
    set_option_str(req, WINHTTP_OPTION_USERNAME, L"CORP\\alice");
    set_option_str(req, WINHTTP_OPTION_PASSWORD, L"S3cret-p4ss");
    CHECK(send_req(req, NULL, 0, 0) && receive(req));
    CHECK_EQ(status_of(req), 200);
    read_all(req, NULL, 0);
    close_req(req);
    n = server_log(con, log, 16);
    CHECK_EQ(n, 3);
    if (n == 3) {
        CHECK(entry_is(&log[0], "GET", "/empty", "none", 401));
        CHECK(entry_is(&log[2], "GET", "/empty", "authenticate", 200));
        CHECK_EQ(log[0].conn, log[1].conn);
        CHECK_EQ(log[1].conn, log[2].conn);
    }

    req = open_req(con, L"GET", L"/big?pad=100000&close=1");
    CHECK_OK(WinHttpSetOption(req, WINHTTP_OPTION_MAX_RESPONSE_DRAIN_SIZE, &drain, sizeof drain));
    set_option_str(req, WINHTTP_OPTION_USERNAME, L"CORP\\alice");
    set_option_str(req, WINHTTP_OPTION_PASSWORD, L"S3cret-p4ss");
    CHECK(send_req(req, NULL, 0, 0) && receive(req));
    CHECK_EQ(status_of(req), 200);
    read_all(req, NULL, 0);
    close_req(req);
    n = server_log(con, log, 16);
    CHECK_EQ(n, 3);
    if (n == 3) {
        CHECK(entry_is(&log[0], "GET", "/big", "none", 401));
        CHECK(entry_is(&log[1], "GET", "/big", "negotiate", 401));
        CHECK(entry_is(&log[2], "GET", "/big", "authenticate", 200));
        CHECK(log[0].conn != log[1].conn);
        CHECK_EQ(log[1].conn, log[2].conn);
    }

    req = open_req(con, L"GET", L"/big?pad=100000");
    CHECK(send_req(req, NULL, 0, 0) && receive(req));
    CHECK_EQ(status_of(req), 401);
    CHECK_EQ(read_all(req, NULL, 0), 100000);
    close_req(req);
    server_log(con, log, 16);
}

/* The server standing in for a proxy (absolute-URI requests get 407s): NTLM to the proxy, its legs
 * on one socket, with credentials for the proxy target only. */
static void test_proxy(INTERNET_PORT port)
{
    struct entry log[16];
    char body[256];
    WCHAR proxy[64];
    int n;
    HINTERNET ses, con, req, logcon;
    harness_swprintf(proxy, 64, L"127.0.0.1:%u", (unsigned)port);
    ses = WinHttpOpen(L"winhttp-test/1.0", WINHTTP_ACCESS_TYPE_NAMED_PROXY, proxy, WINHTTP_NO_PROXY_BYPASS,
                      is_async ? WINHTTP_FLAG_ASYNC : 0);
    CHECK(ses != NULL);
    WinHttpSetTimeouts(ses, 10000, 10000, 10000, 10000);
    if (is_async)
        WinHttpSetStatusCallback(ses, callback, WINHTTP_CALLBACK_FLAG_ALL_NOTIFICATIONS, 0);
    con = WinHttpConnect(ses, L"origin.test", 80, 0);
    logcon = WinHttpConnect(ses, L"127.0.0.1", port, 0);
    CHECK(con && logcon);
    req = open_req(con, L"GET", L"/via-proxy?close=1");
    CHECK(send_req(req, NULL, 0, 0) && receive(req));
    CHECK_EQ(status_of(req), 407);
    read_all(req, NULL, 0);
    CHECK_OK(WinHttpSetCredentials(req, WINHTTP_AUTH_TARGET_PROXY, WINHTTP_AUTH_SCHEME_NTLM, L"CORP\\alice",
                                   L"S3cret-p4ss", NULL));
    CHECK(send_req(req, NULL, 0, 0) && receive(req));
    CHECK_EQ(status_of(req), 200);
    read_all(req, body, sizeof body);
    CHECK(strstr(body, "user=CORP\\alice") != NULL);
    close_req(req);
    WinHttpCloseHandle(con);
    /* The log, fetched through the proxy session's direct name: 127.0.0.1 bypasses it. */
    n = server_log(logcon, log, 16);
    CHECK_EQ(n, 3);
    if (n == 3) {
        CHECK(entry_is(&log[0], "GET", "/via-proxy", "none", 407));
        CHECK(entry_is(&log[1], "GET", "/via-proxy", "negotiate", 407));
        CHECK(entry_is(&log[2], "GET", "/via-proxy", "authenticate", 200));
        CHECK_EQ(log[1].conn, log[2].conn);
    }
    WinHttpCloseHandle(logcon);
    WinHttpCloseHandle(ses);
}

static void run(INTERNET_PORT port, int async)
{
    HINTERNET ses, con;
    struct entry log[16];
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
    server_log(con, log, 16);
    test_reference_page(con);
    test_head_warm_up(con);
    test_options(con);
    test_challenge_bodies(con);
    WinHttpCloseHandle(con);
    WinHttpCloseHandle(ses);
    test_proxy(port);
}

int main(void)
{
    INTERNET_PORT port = (INTERNET_PORT)harness_env_int("WINHTTP_TEST_NTLM_PORT", 0);
    memset(chunk, 'n', sizeof chunk);
    if (!port) {
        printf("NTLM tests skipped: no NTLM server (it needs python3 and pyspnego: pip install pyspnego)\n");
        CHECK(1);
        return harness_report();
    }
    run(port, 0);
    run(port, 1);
    return harness_report();
}
