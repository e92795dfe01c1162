/*
 * The resolve timeout, WINHTTP_OPTION_RECEIVE_RESPONSE_TIMEOUT (the whole head, however slowly
 * it drips), and WINHTTP_OPTION_MAX_CONNS_PER_SERVER.
 *
 * Loopback has no slow name server, so the test runner loads a resolver shim into this program
 * (c_suite: preload shim_resolver, built from tests/c/shim_resolver.c): a name ending in
 * ".slow.test" is answered "no such name" only after 3 s, or after N ms when its first label is
 * the number N ("800.slow.test"). Without the shim the resolve checks are skipped.
 *
 * Ports come from the test runner: WINHTTP_TEST_PORT (the HTTP server; /conn-id answers with the
 * number of the TCP connection the request came on), WINHTTP_TEST_RAW_PORT (the raw fault server;
 * /raw/slow-drip sends its response a byte a second).
 */
#if !defined(_WIN32) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif
#include <winhttp.h>
#include "harness.h"
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

static INTERNET_PORT http_port;

static void read_ports(void)
{
    http_port = (INTERNET_PORT)harness_env_int("WINHTTP_TEST_PORT", 0);
    if (!http_port)
        printf("WINHTTP_TEST_PORT not set: run through tests/c_suite.rs\n");
    CHECK(http_port != 0);
}

/* Milliseconds on a monotonic clock. */
static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static HINTERNET open_request(HINTERNET con, const WCHAR *path)
{
    return WinHttpOpenRequest(con, L"GET", path, NULL, WINHTTP_NO_REFERER, WINHTTP_DEFAULT_ACCEPT_TYPES, 0);
}

static BOOL send_request(HINTERNET req)
{
    return WinHttpSendRequest(req, WINHTTP_NO_ADDITIONAL_HEADERS, 0, WINHTTP_NO_REQUEST_DATA, 0, 0, 0);
}

/* A session with the given resolve timeout and 5 s for the rest. */
static HINTERNET open_session(int resolve_ms)
{
    HINTERNET ses = WinHttpOpen(L"winhttp-test/1.0", WINHTTP_ACCESS_TYPE_NO_PROXY, WINHTTP_NO_PROXY_NAME,
                                WINHTTP_NO_PROXY_BYPASS, 0);
    if (ses)
        WinHttpSetTimeouts(ses, resolve_ms, 5000, 5000, 5000);
    return ses;
}

/* Sends a GET to `host` in a new session; returns the error and how long SendRequest took. */
static DWORD send_error(const WCHAR *host, int resolve_ms, double *took)
{
    HINTERNET ses = open_session(resolve_ms), con, req;
    DWORD err = ERROR_SUCCESS;
    double start;
    con = WinHttpConnect(ses, host, http_port, 0);
    req = open_request(con, L"/hello");
    start = now_ms();
    if (!send_request(req))
        err = GetLastError();
    *took = now_ms() - start;
    WinHttpCloseHandle(req);
    WinHttpCloseHandle(con);
    WinHttpCloseHandle(ses);
    return err;
}

struct closer {
    HINTERNET req;
    int delay_ms;
    double closed_at;
};

static void *close_later(void *arg)
{
    struct closer *c = arg;
    sleep_ms(c->delay_ms);
    c->closed_at = now_ms();
    WinHttpCloseHandle(c->req);
    return NULL;
}

/* A lookup with no resolve timeout, run beside the other checks to keep the program quick. */
struct unbounded_lookup {
    DWORD error;
    double took;
};

static void *unbounded_lookup_thread(void *arg)
{
    struct unbounded_lookup *u = arg;
    u->error = send_error(L"800.slow.test", 0, &u->took);
    return NULL;
}

static void test_resolve_timeout(void)
{
    struct unbounded_lookup u;
    pthread_t unbounded;
    HINTERNET ses, con, req;
    DWORD err, value, size;
    double took, start;
    struct closer c;
    pthread_t t;

    if (!getenv("LD_PRELOAD") || !strstr(getenv("LD_PRELOAD"), "shim_resolver")) {
        printf("resolve timeout: skipped (no resolver shim)\n");
        return;
    }

    /* 0 is no resolve timeout: the lookup's own answer comes through, however late. */
    memset(&u, 0, sizeof(u));
    CHECK(pthread_create(&unbounded, NULL, unbounded_lookup_thread, &u) == 0);

    /* A 3-second lookup under a 500 ms resolve timeout. */
    err = send_error(L"www.slow.test", 500, &took);
    CHECK_EQ(err, ERROR_WINHTTP_TIMEOUT);
    CHECK(took >= 400 && took < 1500);
    if (took < 400 || took >= 1500)
        printf("  resolve timeout 500 ms took %.0f ms\n", took);

    /* A lookup that fails within the timeout is not a timeout. */
    err = send_error(L"150.slow.test", 2000, &took);
    CHECK_EQ(err, ERROR_WINHTTP_NAME_NOT_RESOLVED);
    CHECK(took >= 100 && took < 1500);

    /* Set on the request handle alone, after the session's (none) was copied into it. */
    ses = open_session(0);
    con = WinHttpConnect(ses, L"www.slow.test", http_port, 0);
    req = open_request(con, L"/hello");
    value = 300;
    CHECK_OK(WinHttpSetOption(req, WINHTTP_OPTION_RESOLVE_TIMEOUT, &value, sizeof(value)));
    value = 0;
    size = sizeof(value);
    CHECK_OK(WinHttpQueryOption(req, WINHTTP_OPTION_RESOLVE_TIMEOUT, &value, &size));
    CHECK_EQ(value, 300);
    start = now_ms();
    CHECK_FAILS(send_request(req), ERROR_WINHTTP_TIMEOUT);
    took = now_ms() - start;
    CHECK(took >= 200 && took < 1500);
    /* After the failure, receiving is out of order. */
    CHECK_FAILS(WinHttpReceiveResponse(req, NULL), ERROR_WINHTTP_INCORRECT_HANDLE_STATE);
    WinHttpCloseHandle(req);

    /* Closing the request from another thread ends a lookup with no timeout promptly. */
    memset(&c, 0, sizeof(c));
    c.req = open_request(con, L"/hello");
    c.delay_ms = 150;
    CHECK(pthread_create(&t, NULL, close_later, &c) == 0);
    CHECK_FAILS(send_request(c.req), ERROR_WINHTTP_OPERATION_CANCELLED);
    took = now_ms();
    pthread_join(t, NULL);
    took -= c.closed_at;
    CHECK(took < 1000);
    WinHttpCloseHandle(con);
    WinHttpCloseHandle(ses);

    pthread_join(unbounded, NULL);
    CHECK_EQ(u.error, ERROR_WINHTTP_NAME_NOT_RESOLVED);
    CHECK(u.took >= 700 && u.took < 3000);
}

/* Reads the whole body into `buf` (NUL-terminated); returns FALSE when a call failed. */
static BOOL read_all(HINTERNET req, char *buf, DWORD cap)
{
    DWORD len = 0;
    for (;;) {
        DWORD got = 0;
        if (!WinHttpReadData(req, buf + len, cap - 1 - len, &got))
            return FALSE;
        if (got == 0)
            break;
        len += got;
    }
    buf[len] = 0;
    return TRUE;
}

struct second_request {
    HINTERNET con;
    atomic_int sent; /* SendRequest returned */
    BOOL ok;
    DWORD error;
    double sent_at;
    char body[64];
};

static void *second_request_thread(void *arg)
{
    struct second_request *s = arg;
    HINTERNET req = open_request(s->con, L"/conn-id");
    s->ok = send_request(req);
    s->sent_at = now_ms();
    atomic_store(&s->sent, 1);
    s->ok = s->ok && WinHttpReceiveResponse(req, NULL) && read_all(req, s->body, sizeof(s->body));
    s->error = s->ok ? ERROR_SUCCESS : GetLastError();
    WinHttpCloseHandle(req);
    return NULL;
}

/* With one connection allowed per server, a second request waits for the first one's connection:
 * until the first response has been read to the end, and then it reuses that connection. */
static void test_max_conns_per_server(void)
{
    HINTERNET ses = open_session(5000), con, req;
    DWORD value = 1, size = sizeof(value);
    struct second_request s;
    char first[64];
    double read_at;
    pthread_t t;

    CHECK_OK(WinHttpSetOption(ses, WINHTTP_OPTION_MAX_CONNS_PER_SERVER, &value, sizeof(value)));
    value = 0;
    CHECK_OK(WinHttpQueryOption(ses, WINHTTP_OPTION_MAX_CONNS_PER_SERVER, &value, &size));
    CHECK_EQ(value, 1);

    /* "localhost": no other test in this program uses that name, so the pool has nothing idle
     * for it. */
    con = WinHttpConnect(ses, L"localhost", http_port, 0);
    req = open_request(con, L"/conn-id");
    CHECK_OK(send_request(req));
    CHECK_OK(WinHttpReceiveResponse(req, NULL));

    memset(&s, 0, sizeof(s));
    s.con = con;
    CHECK(pthread_create(&t, NULL, second_request_thread, &s) == 0);
    sleep_ms(200);
    /* The body of the first response is still unread: the second request waits. */
    CHECK(!atomic_load(&s.sent));
    read_at = now_ms();
    CHECK(read_all(req, first, sizeof(first)));
    pthread_join(t, NULL);
    CHECK(s.ok);
    CHECK_EQ(s.error, ERROR_SUCCESS);
    CHECK(s.sent_at >= read_at);
    CHECK(first[0] != 0);
    CHECK(strcmp(first, s.body) == 0);
    if (strcmp(first, s.body) != 0)
        printf("  first request on connection %s, second on %s\n", first, s.body);
    WinHttpCloseHandle(req);

    /* Two connections allowed: the second request does not wait and opens its own. */
    value = 2;
    CHECK_OK(WinHttpSetOption(ses, WINHTTP_OPTION_MAX_CONNS_PER_SERVER, &value, sizeof(value)));
    req = open_request(con, L"/conn-id");
    CHECK_OK(send_request(req));
    CHECK_OK(WinHttpReceiveResponse(req, NULL));
    memset(&s, 0, sizeof(s));
    s.con = con;
    CHECK(pthread_create(&t, NULL, second_request_thread, &s) == 0);
    pthread_join(t, NULL);
    CHECK(s.ok);
    CHECK(read_all(req, first, sizeof(first)));
    CHECK(first[0] != 0 && s.body[0] != 0);
    CHECK(strcmp(first, s.body) != 0);
    WinHttpCloseHandle(req);
    WinHttpCloseHandle(con);
    WinHttpCloseHandle(ses);
}

/* RECEIVE_RESPONSE_TIMEOUT bounds the wait for the whole head: a server that sends a byte a second
 * never trips the 2 s receive timeout, but the 1.5 s response timeout ends the call. */
static void test_receive_response_timeout(void)
{
    INTERNET_PORT raw_port = (INTERNET_PORT)harness_env_int("WINHTTP_TEST_RAW_PORT", 0);
    HINTERNET ses = open_session(2000), con, req;
    DWORD response_ms = 1500;
    double start, took, limit = getenv("WINHTTP_TEST_UNDER_CHECKER") ? 8000 : 3500;

    CHECK(raw_port != 0);
    CHECK_OK(WinHttpSetTimeouts(ses, 2000, 2000, 2000, 2000));
    CHECK_OK(WinHttpSetOption(ses, WINHTTP_OPTION_RECEIVE_RESPONSE_TIMEOUT, &response_ms, sizeof(response_ms)));
    con = WinHttpConnect(ses, L"127.0.0.1", raw_port, 0);
    req = open_request(con, L"/raw/slow-drip");
    CHECK_OK(send_request(req));
    start = now_ms();
    CHECK_FAILS(WinHttpReceiveResponse(req, NULL), ERROR_WINHTTP_TIMEOUT);
    took = now_ms() - start;
    if (took < 1300 || took > limit)
        printf("  slow drip: ReceiveResponse returned after %.0f ms\n", took);
    CHECK(took >= 1300 && took <= limit);
    WinHttpCloseHandle(req);
    WinHttpCloseHandle(con);
    WinHttpCloseHandle(ses);
}

int main(void)
{
    read_ports();
    test_max_conns_per_server();
    test_receive_response_timeout();
    test_resolve_timeout();
    return harness_report();
}
