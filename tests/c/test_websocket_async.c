/*
 * The WebSocket API in the async mode, against tests/support/ws_server.py (WINHTTP_TEST_WS_PORT):
 * WRITE_COMPLETE on the calling thread, READ_COMPLETE with a WINHTTP_WEB_SOCKET_STATUS (the out
 * parameters untouched), FRAGMENT pieces then MESSAGE, one receive at a time, a send while a receive
 * is pending, SHUTDOWN_COMPLETE and CLOSE_COMPLETE, and the cancellation table of spec 2.12: Close or
 * Shutdown while a receive is pending, closing the handle while a receive or a Close is pending.
 * Then 1,000 WebSockets open at once, with the process' thread count checked (/proc/self/task).
 */
#if !defined(_WIN32) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif
#include <winhttp.h>
#include "harness.h"
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

static INTERNET_PORT ws_port;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
static pthread_t main_thread;

/* Every notification of the single-socket tests, in order. */
struct event {
    HINTERNET h;
    DWORD status;
    DWORD bytes, type;         /* WINHTTP_WEB_SOCKET_STATUS */
    DWORD operation, error;    /* WINHTTP_WEB_SOCKET_ASYNC_RESULT (REQUEST_ERROR) */
    int on_main;               /* delivered on the main thread */
};
static struct event events[4096];
static int n_events;

/* The 1,000-socket test: per-connection state driven from the callback. */
#define MANY 1000
struct conn {
    int magic;
    HINTERNET req, sock;
    char buf[64];
};
#define CONN_MAGIC 0x77e1
static struct conn conns[MANY];
static int opened, echoed, closed_ok, failed;

static void CALLBACK many_callback(HINTERNET h, DWORD_PTR ctx, DWORD status, LPVOID info, DWORD len)
{
    struct conn *c = (struct conn *)ctx;
    (void)len;
    switch (status) {
    case WINHTTP_CALLBACK_STATUS_SENDREQUEST_COMPLETE:
        if (!WinHttpReceiveResponse(h, NULL))
            goto fail;
        break;
    case WINHTTP_CALLBACK_STATUS_HEADERS_AVAILABLE:
        c->sock = WinHttpWebSocketCompleteUpgrade(h, (DWORD_PTR)c);
        WinHttpCloseHandle(h);
        if (!c->sock)
            goto fail;
        pthread_mutex_lock(&lock);
        opened++;
        pthread_mutex_unlock(&lock);
        if (WinHttpWebSocketReceive(c->sock, c->buf, sizeof c->buf, NULL, NULL) != NO_ERROR ||
            WinHttpWebSocketSend(c->sock, WINHTTP_WEB_SOCKET_UTF8_MESSAGE_BUFFER_TYPE, "hello", 5) != NO_ERROR)
            goto fail;
        break;
    case WINHTTP_CALLBACK_STATUS_READ_COMPLETE: {
        WINHTTP_WEB_SOCKET_STATUS *s = (WINHTTP_WEB_SOCKET_STATUS *)info;
        if (h != c->sock || s->dwBytesTransferred != 5 || memcmp(c->buf, "hello", 5) != 0)
            goto fail;
        pthread_mutex_lock(&lock);
        echoed++;
        pthread_cond_broadcast(&changed);
        pthread_mutex_unlock(&lock);
        break;
    }
    case WINHTTP_CALLBACK_STATUS_CLOSE_COMPLETE:
        pthread_mutex_lock(&lock);
        closed_ok++;
        pthread_cond_broadcast(&changed);
        pthread_mutex_unlock(&lock);
        break;
    case WINHTTP_CALLBACK_STATUS_REQUEST_ERROR:
        goto fail;
    default:
        break;
    }
    return;
fail:
    pthread_mutex_lock(&lock);
    failed++;
    pthread_cond_broadcast(&changed);
    pthread_mutex_unlock(&lock);
}

static void CALLBACK callback(HINTERNET h, DWORD_PTR ctx, DWORD status, LPVOID info, DWORD len)
{
    struct event e;
    if (ctx && ((struct conn *)ctx)->magic == CONN_MAGIC) {
        many_callback(h, ctx, status, info, len);
        return;
    }
    memset(&e, 0, sizeof e);
    e.h = h;
    e.status = status;
    e.on_main = pthread_equal(pthread_self(), main_thread);
    if ((status == WINHTTP_CALLBACK_STATUS_READ_COMPLETE || status == WINHTTP_CALLBACK_STATUS_WRITE_COMPLETE) &&
        len == sizeof(WINHTTP_WEB_SOCKET_STATUS)) {
        WINHTTP_WEB_SOCKET_STATUS *s = (WINHTTP_WEB_SOCKET_STATUS *)info;
        e.bytes = s->dwBytesTransferred;
        e.type = (DWORD)s->eBufferType;
    }
    if (status == WINHTTP_CALLBACK_STATUS_REQUEST_ERROR && len == sizeof(WINHTTP_ASYNC_RESULT)) {
        WINHTTP_ASYNC_RESULT *r = (WINHTTP_ASYNC_RESULT *)info;
        e.operation = (DWORD)r->dwResult;
        e.error = r->dwError;
    }
    if (status == WINHTTP_CALLBACK_STATUS_REQUEST_ERROR && len == sizeof(WINHTTP_WEB_SOCKET_ASYNC_RESULT)) {
        WINHTTP_WEB_SOCKET_ASYNC_RESULT *r = (WINHTTP_WEB_SOCKET_ASYNC_RESULT *)info;
        e.operation = (DWORD)r->Operation;
        e.error = r->AsyncResult.dwError;
    }
    pthread_mutex_lock(&lock);
    if (n_events < (int)(sizeof events / sizeof events[0]))
        events[n_events++] = e;
    pthread_cond_broadcast(&changed);
    pthread_mutex_unlock(&lock);
}

static void deadline_in(struct timespec *ts, long ms)
{
    clock_gettime(CLOCK_REALTIME, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

/* Waits for the `nth` (0-based, counted from `from`) notification `status` of `h`: its index, or -1. */
static int wait_event(HINTERNET h, DWORD status, int from, long ms)
{
    struct timespec ts;
    int i, found = -1;
    deadline_in(&ts, ms);
    pthread_mutex_lock(&lock);
    for (;;) {
        for (i = from; i < n_events; i++)
            if (events[i].h == h && events[i].status == status) {
                found = i;
                break;
            }
        if (found >= 0 || pthread_cond_timedwait(&changed, &lock, &ts) == ETIMEDOUT)
            break;
    }
    pthread_mutex_unlock(&lock);
    if (found < 0)
        printf("  no notification 0x%lx for the handle\n", (unsigned long)status);
    return found;
}

static int mark(void)
{
    int n;
    pthread_mutex_lock(&lock);
    n = n_events;
    pthread_mutex_unlock(&lock);
    return n;
}

static HINTERNET open_ws(HINTERNET ses, const WCHAR *path)
{
    HINTERNET con = WinHttpConnect(ses, L"127.0.0.1", ws_port, 0), req, sock = NULL;
    int from = mark();
    req = WinHttpOpenRequest(con, L"GET", path, NULL, NULL, NULL, 0);
    CHECK_OK(WinHttpSetOption(req, WINHTTP_OPTION_UPGRADE_TO_WEB_SOCKET, NULL, 0));
    CHECK(WinHttpSendRequest(req, NULL, 0, NULL, 0, 0, 0));
    if (wait_event(req, WINHTTP_CALLBACK_STATUS_SENDREQUEST_COMPLETE, from, 10000) >= 0) {
        CHECK(WinHttpReceiveResponse(req, NULL));
        if (wait_event(req, WINHTTP_CALLBACK_STATUS_HEADERS_AVAILABLE, from, 10000) >= 0)
            sock = WinHttpWebSocketCompleteUpgrade(req, 0);
    }
    CHECK(sock != NULL);
    if (sock)
        CHECK(wait_event(sock, WINHTTP_CALLBACK_STATUS_HANDLE_CREATED, from, 1000) >= 0);
    WinHttpCloseHandle(req);
    WinHttpCloseHandle(con);
    return sock;
}

static void test_send_receive(HINTERNET ses)
{
    char out[256], in[256];
    DWORD n = 77, i;
    WINHTTP_WEB_SOCKET_BUFFER_TYPE t = (WINHTTP_WEB_SOCKET_BUFFER_TYPE)77;
    int from, at;
    HINTERNET sock = open_ws(ses, L"/echo");
    if (!sock)
        return;
    for (i = 0; i < sizeof out; i++)
        out[i] = (char)(i ^ 0x5a);
    /* A send completes on the calling thread, before the call returns. */
    from = mark();
    CHECK_EQ(WinHttpWebSocketSend(sock, WINHTTP_WEB_SOCKET_BINARY_MESSAGE_BUFFER_TYPE, out, 256), NO_ERROR);
    CHECK(mark() > from);
    at = wait_event(sock, WINHTTP_CALLBACK_STATUS_WRITE_COMPLETE, from, 1000);
    if (at >= 0) {
        CHECK(events[at].on_main);
        CHECK_EQ(events[at].bytes, 256);
        CHECK_EQ(events[at].type, WINHTTP_WEB_SOCKET_BINARY_MESSAGE_BUFFER_TYPE);
    }
    /* A 128-byte receive: FRAGMENT, then MESSAGE; the out parameters are not written. */
    from = mark();
    CHECK_EQ(WinHttpWebSocketReceive(sock, in, 128, &n, &t), NO_ERROR);
    at = wait_event(sock, WINHTTP_CALLBACK_STATUS_READ_COMPLETE, from, 5000);
    CHECK(n == 77 && t == (WINHTTP_WEB_SOCKET_BUFFER_TYPE)77);
    if (at >= 0) {
        CHECK_EQ(events[at].bytes, 128);
        CHECK_EQ(events[at].type, WINHTTP_WEB_SOCKET_BINARY_FRAGMENT_BUFFER_TYPE);
    }
    from = mark();
    CHECK_EQ(WinHttpWebSocketReceive(sock, in + 128, 128, &n, &t), NO_ERROR);
    at = wait_event(sock, WINHTTP_CALLBACK_STATUS_READ_COMPLETE, from, 5000);
    if (at >= 0) {
        CHECK_EQ(events[at].bytes, 128);
        CHECK_EQ(events[at].type, WINHTTP_WEB_SOCKET_BINARY_MESSAGE_BUFFER_TYPE);
    }
    CHECK(memcmp(in, out, 256) == 0);
    /* A receive pending (nothing comes), a second one is refused; a send goes out meanwhile and
     * its echo completes the receive. */
    from = mark();
    CHECK_EQ(WinHttpWebSocketReceive(sock, in, sizeof in, &n, &t), NO_ERROR);
    CHECK_EQ(WinHttpWebSocketReceive(sock, in, sizeof in, &n, &t), ERROR_INVALID_OPERATION);
    CHECK_EQ(WinHttpWebSocketSend(sock, WINHTTP_WEB_SOCKET_UTF8_MESSAGE_BUFFER_TYPE, "ping?", 5), NO_ERROR);
    at = wait_event(sock, WINHTTP_CALLBACK_STATUS_READ_COMPLETE, from, 5000);
    if (at >= 0) {
        CHECK_EQ(events[at].bytes, 5);
        CHECK_EQ(events[at].type, WINHTTP_WEB_SOCKET_UTF8_MESSAGE_BUFFER_TYPE);
        CHECK(!events[at].on_main);
    }
    CHECK(memcmp(in, "ping?", 5) == 0);
    /* Close while a receive is pending: REQUEST_ERROR {RECEIVE, CANCELLED}, then CLOSE_COMPLETE. */
    from = mark();
    CHECK_EQ(WinHttpWebSocketReceive(sock, in, sizeof in, &n, &t), NO_ERROR);
    CHECK_EQ(WinHttpWebSocketClose(sock, 1000, "done", 4), NO_ERROR);
    {
        int err = wait_event(sock, WINHTTP_CALLBACK_STATUS_REQUEST_ERROR, from, 5000);
        int done = wait_event(sock, WINHTTP_CALLBACK_STATUS_CLOSE_COMPLETE, from, 5000);
        CHECK(err >= 0 && done > err);
        if (err >= 0) {
            CHECK_EQ(events[err].operation, WINHTTP_WEB_SOCKET_RECEIVE_OPERATION);
            CHECK_EQ(events[err].error, ERROR_WINHTTP_OPERATION_CANCELLED);
            CHECK(events[err].on_main); /* on the calling thread, within WinHttpWebSocketClose */
        }
    }
    {
        USHORT st = 0;
        DWORD used = 99;
        char reason[123];
        CHECK_EQ(WinHttpWebSocketQueryCloseStatus(sock, &st, reason, sizeof reason, &used), NO_ERROR);
        CHECK_EQ(st, 1000);
        CHECK(used == 4 && memcmp(reason, "done", 4) == 0);
    }
    from = mark();
    WinHttpCloseHandle(sock);
    CHECK(wait_event(sock, WINHTTP_CALLBACK_STATUS_HANDLE_CLOSING, from, 5000) >= 0);
}

static void test_cancellation(HINTERNET ses)
{
    char in[64];
    DWORD n;
    WINHTTP_WEB_SOCKET_BUFFER_TYPE t;
    int from, at, at2;
    HINTERNET sock;

    /* Shutdown while a receive is pending: SHUTDOWN_COMPLETE on the calling thread, then the
     * receive gets the server's close: READ_COMPLETE, CLOSE type, 0 bytes. */
    if ((sock = open_ws(ses, L"/echo")) != NULL) {
        from = mark();
        CHECK_EQ(WinHttpWebSocketReceive(sock, in, sizeof in, &n, &t), NO_ERROR);
        CHECK_EQ(WinHttpWebSocketShutdown(sock, 1000, "success", 7), NO_ERROR);
        at = wait_event(sock, WINHTTP_CALLBACK_STATUS_SHUTDOWN_COMPLETE, from, 5000);
        at2 = wait_event(sock, WINHTTP_CALLBACK_STATUS_READ_COMPLETE, from, 5000);
        CHECK(at >= 0 && at2 > at);
        if (at >= 0)
            CHECK(events[at].on_main);
        if (at2 >= 0) {
            CHECK_EQ(events[at2].type, WINHTTP_WEB_SOCKET_CLOSE_BUFFER_TYPE);
            CHECK_EQ(events[at2].bytes, 0);
        }
        CHECK_EQ(WinHttpWebSocketSend(sock, WINHTTP_WEB_SOCKET_BINARY_MESSAGE_BUFFER_TYPE, "x", 1),
                 ERROR_INVALID_OPERATION);
        CHECK_EQ(WinHttpWebSocketShutdown(sock, 1000, NULL, 0), ERROR_INVALID_OPERATION);
        CHECK_EQ(WinHttpWebSocketReceive(sock, in, sizeof in, &n, &t), ERROR_INVALID_OPERATION);
        WinHttpCloseHandle(sock);
    }
    /* Closing the handle while a receive is pending: REQUEST_ERROR {RECEIVE, CANCELLED}, then
     * HANDLE_CLOSING. */
    if ((sock = open_ws(ses, L"/echo")) != NULL) {
        from = mark();
        CHECK_EQ(WinHttpWebSocketReceive(sock, in, sizeof in, &n, &t), NO_ERROR);
        WinHttpCloseHandle(sock);
        at = wait_event(sock, WINHTTP_CALLBACK_STATUS_REQUEST_ERROR, from, 5000);
        at2 = wait_event(sock, WINHTTP_CALLBACK_STATUS_HANDLE_CLOSING, from, 5000);
        CHECK(at >= 0 && at2 > at);
        if (at >= 0) {
            CHECK_EQ(events[at].operation, WINHTTP_WEB_SOCKET_RECEIVE_OPERATION);
            CHECK_EQ(events[at].error, ERROR_WINHTTP_OPERATION_CANCELLED);
        }
    }
    /* Closing the handle while a Close is pending (the server never answers it): REQUEST_ERROR
     * {CLOSE, CANCELLED}, then HANDLE_CLOSING. */
    if ((sock = open_ws(ses, L"/hold")) != NULL) {
        from = mark();
        CHECK_EQ(WinHttpWebSocketClose(sock, 1000, NULL, 0), NO_ERROR);
        CHECK_EQ(WinHttpWebSocketClose(sock, 1000, NULL, 0), ERROR_INVALID_OPERATION);
        CHECK_EQ(WinHttpWebSocketReceive(sock, in, sizeof in, &n, &t), ERROR_INVALID_OPERATION);
        WinHttpCloseHandle(sock);
        at = wait_event(sock, WINHTTP_CALLBACK_STATUS_REQUEST_ERROR, from, 5000);
        at2 = wait_event(sock, WINHTTP_CALLBACK_STATUS_HANDLE_CLOSING, from, 5000);
        CHECK(at >= 0 && at2 > at);
        if (at >= 0) {
            CHECK_EQ(events[at].operation, WINHTTP_WEB_SOCKET_CLOSE_OPERATION);
            CHECK_EQ(events[at].error, ERROR_WINHTTP_OPERATION_CANCELLED);
        }
    }
}

/* What goes wrong is reported through REQUEST_ERROR with the operation: an abrupt disconnect in the
 * middle of a message, an invalid frame; and a bad handshake fails WinHttpReceiveResponse. */
static void test_failures(HINTERNET ses)
{
    static char in[4096];
    DWORD n;
    WINHTTP_WEB_SOCKET_BUFFER_TYPE t;
    int from, at, i;
    HINTERNET sock, con, req;
    if ((sock = open_ws(ses, L"/abort")) != NULL) {
        DWORD got = 0, err = 0;
        for (i = 0; i < 5 && !err; i++) {
            from = mark();
            CHECK_EQ(WinHttpWebSocketReceive(sock, in, sizeof in, &n, &t), NO_ERROR);
            at = wait_event(sock, WINHTTP_CALLBACK_STATUS_READ_COMPLETE, from, 5000);
            if (at < 0) {
                at = wait_event(sock, WINHTTP_CALLBACK_STATUS_REQUEST_ERROR, from, 5000);
                if (at < 0)
                    break;
                CHECK_EQ(events[at].operation, WINHTTP_WEB_SOCKET_RECEIVE_OPERATION);
                err = events[at].error;
            } else {
                got += events[at].bytes;
            }
        }
        CHECK(got <= 10);
        CHECK_EQ(err, ERROR_WINHTTP_CONNECTION_ERROR);
        WinHttpCloseHandle(sock);
    }
    if ((sock = open_ws(ses, L"/invalid?kind=masked")) != NULL) {
        from = mark();
        CHECK_EQ(WinHttpWebSocketReceive(sock, in, sizeof in, &n, &t), NO_ERROR);
        at = wait_event(sock, WINHTTP_CALLBACK_STATUS_REQUEST_ERROR, from, 5000);
        if (at >= 0) {
            CHECK_EQ(events[at].operation, WINHTTP_WEB_SOCKET_RECEIVE_OPERATION);
            CHECK_EQ(events[at].error, ERROR_WINHTTP_INVALID_SERVER_RESPONSE);
        }
        WinHttpCloseHandle(sock);
    }
    /* A bad accept hash: REQUEST_ERROR for WinHttpReceiveResponse. */
    con = WinHttpConnect(ses, L"127.0.0.1", ws_port, 0);
    req = WinHttpOpenRequest(con, L"GET", L"/bad-handshake/bad-accept", NULL, NULL, NULL, 0);
    CHECK_OK(WinHttpSetOption(req, WINHTTP_OPTION_UPGRADE_TO_WEB_SOCKET, NULL, 0));
    from = mark();
    CHECK(WinHttpSendRequest(req, NULL, 0, NULL, 0, 0, 0));
    if (wait_event(req, WINHTTP_CALLBACK_STATUS_SENDREQUEST_COMPLETE, from, 5000) >= 0) {
        CHECK(WinHttpReceiveResponse(req, NULL));
        at = wait_event(req, WINHTTP_CALLBACK_STATUS_REQUEST_ERROR, from, 5000);
        CHECK(at >= 0);
        CHECK_FAILS(WinHttpWebSocketCompleteUpgrade(req, 0), ERROR_WINHTTP_INCORRECT_HANDLE_STATE);
    }
    WinHttpCloseHandle(req);
    /* A send buffer below 16 bytes: SendRequest returns TRUE and REQUEST_ERROR says
     * ERROR_NOT_ENOUGH_MEMORY. */
    req = WinHttpOpenRequest(con, L"GET", L"/echo", NULL, NULL, NULL, 0);
    {
        DWORD v = 15;
        CHECK_OK(WinHttpSetOption(req, WINHTTP_OPTION_WEB_SOCKET_SEND_BUFFER_SIZE, &v, sizeof v));
    }
    CHECK_OK(WinHttpSetOption(req, WINHTTP_OPTION_UPGRADE_TO_WEB_SOCKET, NULL, 0));
    from = mark();
    CHECK(WinHttpSendRequest(req, NULL, 0, NULL, 0, 0, 0));
    at = wait_event(req, WINHTTP_CALLBACK_STATUS_REQUEST_ERROR, from, 5000);
    if (at >= 0) {
        CHECK_EQ(events[at].operation, API_SEND_REQUEST);
        CHECK_EQ(events[at].error, ERROR_NOT_ENOUGH_MEMORY);
        CHECK(events[at].on_main);
    }
    WinHttpCloseHandle(req);
    WinHttpCloseHandle(con);
}

static int thread_count(void)
{
    int n = 0;
    DIR *d = opendir("/proc/self/task");
    struct dirent *e;
    if (!d)
        return -1;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

static void test_many(HINTERNET ses)
{
    struct timespec ts;
    int i, threads, done;
    HINTERNET con = WinHttpConnect(ses, L"127.0.0.1", ws_port, 0);
    for (i = 0; i < MANY; i++) {
        conns[i].magic = CONN_MAGIC;
        conns[i].req = WinHttpOpenRequest(con, L"GET", L"/echo", NULL, NULL, NULL, 0);
        WinHttpSetOption(conns[i].req, WINHTTP_OPTION_UPGRADE_TO_WEB_SOCKET, NULL, 0);
        if (!WinHttpSendRequest(conns[i].req, NULL, 0, NULL, 0, 0, (DWORD_PTR)&conns[i])) {
            failed++;
            break;
        }
    }
    deadline_in(&ts, 120000);
    pthread_mutex_lock(&lock);
    while (echoed + failed < MANY && pthread_cond_timedwait(&changed, &lock, &ts) != ETIMEDOUT) {
    }
    done = echoed;
    pthread_mutex_unlock(&lock);
    threads = thread_count();
    printf("  %d WebSockets open, %d echoed, %d failed, %d threads in the process\n", opened, done, failed, threads);
    CHECK_EQ(done, MANY);
    CHECK_EQ(failed, 0);
    CHECK(threads > 0 && threads <= 16);
    /* All open at once, then closed. */
    for (i = 0; i < MANY; i++)
        if (conns[i].sock)
            CHECK_EQ(WinHttpWebSocketClose(conns[i].sock, 1000, NULL, 0), NO_ERROR);
    deadline_in(&ts, 60000);
    pthread_mutex_lock(&lock);
    while (closed_ok < done && pthread_cond_timedwait(&changed, &lock, &ts) != ETIMEDOUT) {
    }
    pthread_mutex_unlock(&lock);
    CHECK_EQ(closed_ok, done);
    for (i = 0; i < MANY; i++)
        if (conns[i].sock)
            WinHttpCloseHandle(conns[i].sock);
    WinHttpCloseHandle(con);
}

int main(void)
{
    HINTERNET ses;
    main_thread = pthread_self();
    ws_port = (INTERNET_PORT)harness_env_int("WINHTTP_TEST_WS_PORT", 0);
    if (!ws_port) {
        printf("SKIP: no WebSocket peer (python3 with the websockets package): WINHTTP_TEST_WS_PORT not set\n");
        return harness_report();
    }
    ses = WinHttpOpen(L"winhttp-test/1.0", WINHTTP_ACCESS_TYPE_NO_PROXY, NULL, NULL, WINHTTP_FLAG_ASYNC);
    CHECK(ses != NULL);
    WinHttpSetTimeouts(ses, 10000, 10000, 10000, 10000);
    WinHttpSetStatusCallback(ses, callback, WINHTTP_CALLBACK_FLAG_ALL_NOTIFICATIONS, 0);
    test_send_receive(ses);
    test_cancellation(ses);
    test_failures(ses);
    test_many(ses);
    WinHttpCloseHandle(ses);
    return harness_report();
}
