/*
 * HTTP/2: a sync read that has to wait in the middle of a body. When its stream is the connection's
 * only one, the reading thread waits on the connection's socket itself (no reactor hop); these are
 * the ways such a wait must end, as any wait of WinHttpReadData / WinHttpQueryDataAvailable does:
 * the rest of the body comes (the read returns it), the receive timeout passes
 * (ERROR_WINHTTP_TIMEOUT), the request is closed from another thread
 * (ERROR_WINHTTP_OPERATION_CANCELLED, promptly), and with a second stream on the same connection
 * (the socket then watched as usual) both still get their data.
 *
 * Peer: Python's h2 (tests/support/h2_server.py, WINHTTP_TEST_H2_EDGE_PORT): /stall?ms=N sends
 * "12345", then "67890" and the end of the stream N ms later. Skips, saying so, without it.
 */
#if !defined(_WIN32) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif
#include <winhttp.h>
#include "harness.h"
#include <pthread.h>
#include <time.h>
#include <stdio.h>
#include <string.h>

static INTERNET_PORT edge_port;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static HINTERNET open_session(void)
{
    HINTERNET s = WinHttpOpen(L"winhttp-h2-waits-test", WINHTTP_ACCESS_TYPE_NO_PROXY, WINHTTP_NO_PROXY_NAME,
                              WINHTTP_NO_PROXY_BYPASS, 0);
    DWORD v = WINHTTP_PROTOCOL_FLAG_HTTP2;
    CHECK(s != NULL);
    if (s)
        CHECK_OK(WinHttpSetOption(s, WINHTTP_OPTION_ENABLE_HTTP_PROTOCOL, &v, sizeof v));
    return s;
}

/* Sends a GET and receives its head; the caller closes the request and connect handles. */
static HINTERNET start(HINTERNET s, const WCHAR *path, HINTERNET *con)
{
    *con = WinHttpConnect(s, L"localhost", edge_port, 0);
    HINTERNET q = *con ? WinHttpOpenRequest(*con, L"GET", path, NULL, WINHTTP_NO_REFERER,
                                            WINHTTP_DEFAULT_ACCEPT_TYPES, WINHTTP_FLAG_SECURE)
                       : NULL;
    CHECK(q != NULL);
    if (!q)
        return NULL;
    CHECK_OK(WinHttpSendRequest(q, WINHTTP_NO_ADDITIONAL_HEADERS, 0, WINHTTP_NO_REQUEST_DATA, 0, 0, 0));
    CHECK_OK(WinHttpReceiveResponse(q, NULL));
    DWORD protocol = 0, size = sizeof protocol;
    CHECK_OK(WinHttpQueryOption(q, WINHTTP_OPTION_HTTP_PROTOCOL_USED, &protocol, &size));
    CHECK_EQ(protocol, (DWORD)WINHTTP_PROTOCOL_FLAG_HTTP2);
    return q;
}

/* Reads the first 5 bytes ("12345", sent at once). */
static void read_first_half(HINTERNET q)
{
    char buf[16] = {0};
    DWORD got = 0;
    CHECK_OK(WinHttpReadData(q, buf, 5, &got));
    CHECK_EQ(got, 5);
    CHECK(memcmp(buf, "12345", 5) == 0);
}

/* The rest of the body comes while the read waits: ReadData and the QDA loop both return it. */
static void test_rest_arrives(BOOL qda)
{
    HINTERNET s = open_session(), c = NULL;
    double t0 = now_s(); /* the rest cannot come before 400 ms after the request was sent */
    HINTERNET q = start(s, L"/stall?ms=400", &c);
    if (q) {
        read_first_half(q);
        char buf[16] = {0};
        DWORD got = 0;
        if (qda) {
            DWORD n = 0;
            CHECK_OK(WinHttpQueryDataAvailable(q, &n));
            CHECK_EQ(n, 5);
            CHECK_OK(WinHttpReadData(q, buf, n, &got));
        } else {
            CHECK_OK(WinHttpReadData(q, buf, sizeof buf, &got));
        }
        double waited = now_s() - t0;
        CHECK_EQ(got, 5);
        CHECK(memcmp(buf, "67890", 5) == 0);
        CHECK(waited > 0.35 && waited < 5.0);
        if (!(waited > 0.35 && waited < 5.0))
            printf("  the request took %.3f s to its end\n", waited);
        got = 1;
        CHECK_OK(WinHttpReadData(q, buf, sizeof buf, &got));
        CHECK_EQ(got, 0);
        WinHttpCloseHandle(q);
    }
    if (c)
        WinHttpCloseHandle(c);
    WinHttpCloseHandle(s);
}

/* The receive timeout ends the wait with ERROR_WINHTTP_TIMEOUT. */
static void test_receive_timeout(void)
{
    HINTERNET s = open_session(), c = NULL;
    CHECK_OK(WinHttpSetTimeouts(s, 0, 0, 0, 300));
    HINTERNET q = start(s, L"/stall?ms=6000", &c);
    if (q) {
        read_first_half(q);
        double t0 = now_s();
        char buf[16];
        DWORD got = 0;
        CHECK_FAILS(WinHttpReadData(q, buf, sizeof buf, &got), ERROR_WINHTTP_TIMEOUT);
        double waited = now_s() - t0;
        CHECK(waited > 0.2 && waited < 3.0);
        if (!(waited > 0.2 && waited < 3.0))
            printf("  the timed-out read took %.3f s\n", waited);
        WinHttpCloseHandle(q);
    }
    if (c)
        WinHttpCloseHandle(c);
    WinHttpCloseHandle(s);
}

/* A GET of /hello on the session, read whole: TRUE when it was the expected text. No checks inside (it
 * runs on other threads too; the caller checks the result). */
static BOOL get_hello(HINTERNET s)
{
    HINTERNET c = WinHttpConnect(s, L"localhost", edge_port, 0);
    HINTERNET q = c ? WinHttpOpenRequest(c, L"GET", L"/hello", NULL, WINHTTP_NO_REFERER,
                                         WINHTTP_DEFAULT_ACCEPT_TYPES, WINHTTP_FLAG_SECURE)
                    : NULL;
    char buf[64] = {0};
    DWORD got = 0;
    BOOL ok = q && WinHttpSendRequest(q, WINHTTP_NO_ADDITIONAL_HEADERS, 0, WINHTTP_NO_REQUEST_DATA, 0, 0, 0) &&
              WinHttpReceiveResponse(q, NULL) && WinHttpReadData(q, buf, sizeof buf - 1, &got) &&
              strcmp(buf, "hello from python h2\n") == 0;
    if (q)
        WinHttpCloseHandle(q);
    if (c)
        WinHttpCloseHandle(c);
    return ok;
}

struct closer {
    HINTERNET q;
    long delay_ms;
};

static void *close_later(void *arg)
{
    struct closer *c = arg;
    sleep_ms(c->delay_ms);
    WinHttpCloseHandle(c->q);
    return NULL;
}

/* WinHttpCloseHandle from another thread ends the waiting read at once. */
static void test_close_from_another_thread(BOOL qda)
{
    HINTERNET s = open_session(), c = NULL;
    HINTERNET q = start(s, L"/stall?ms=6000", &c);
    if (q) {
        read_first_half(q);
        struct closer cl = {q, 200};
        pthread_t t;
        CHECK(pthread_create(&t, NULL, close_later, &cl) == 0);
        double t0 = now_s();
        char buf[16];
        DWORD got = 0, n = 0;
        if (qda)
            CHECK_FAILS(WinHttpQueryDataAvailable(q, &n), ERROR_WINHTTP_OPERATION_CANCELLED);
        else
            CHECK_FAILS(WinHttpReadData(q, buf, sizeof buf, &got), ERROR_WINHTTP_OPERATION_CANCELLED);
        double waited = now_s() - t0;
        CHECK(waited > 0.1 && waited < 2.0);
        if (!(waited > 0.1 && waited < 2.0))
            printf("  the cancelled read took %.3f s\n", waited);
        pthread_join(t, NULL);
    }
    /* The connection is still good for the next request of the session. */
    CHECK(get_hello(s));
    if (c)
        WinHttpCloseHandle(c);
    WinHttpCloseHandle(s);
}

struct getter {
    HINTERNET s;
    int ok;
};

static void *get_hellos(void *arg)
{
    struct getter *g = arg;
    for (int i = 0; i < 5; i++)
        g->ok += get_hello(g->s);
    return NULL;
}

/* A second stream on the connection while the first waits mid-body: both get their data. */
static void test_two_streams(void)
{
    HINTERNET s = open_session(), c = NULL;
    HINTERNET q = start(s, L"/stall?ms=800", &c);
    if (q) {
        read_first_half(q);
        struct getter g = {s, 0};
        pthread_t t;
        CHECK(pthread_create(&t, NULL, get_hellos, &g) == 0);
        double t0 = now_s();
        char buf[16] = {0};
        DWORD got = 0;
        CHECK_OK(WinHttpReadData(q, buf, sizeof buf, &got));
        double waited = now_s() - t0;
        CHECK_EQ(got, 5);
        CHECK(memcmp(buf, "67890", 5) == 0);
        CHECK(waited < 5.0);
        pthread_join(t, NULL);
        CHECK_EQ(g.ok, 5);
        WinHttpCloseHandle(q);
    }
    if (c)
        WinHttpCloseHandle(c);
    WinHttpCloseHandle(s);
}

int main(void)
{
    edge_port = (INTERNET_PORT)harness_env_int("WINHTTP_TEST_H2_EDGE_PORT", 0);
    if (!edge_port) {
        printf("  skipped: HTTP/2 waits (python3 with h2 not available)\n");
        return harness_report();
    }
    test_rest_arrives(FALSE);
    test_rest_arrives(TRUE);
    test_receive_timeout();
    test_close_from_another_thread(FALSE);
    test_close_from_another_thread(TRUE);
    test_two_streams();
    return harness_report();
}
