/*
 * The engine's routes and connection rules, each once a bug, sync and async:
 *
 *  1. HTTPS with WINHTTP_ACCESS_TYPE_NAMED_PROXY goes through the proxy (a CONNECT tunnel), never
 *     straight to the origin: with the proxy down the request fails; with the proxy up it works
 *     and the proxy counts the tunnel. TLS is checked against the origin's name inside the tunnel.
 *  2. A request body cut short (the server answered 401 before reading it) never lets the
 *     connection go back to the pool: the next request on the session goes out on a new
 *     connection instead of being read by the server as the rest of the body.
 *  3. Asynchronous WinHttpSendRequest never resolves names on the caller's thread: 8 requests to
 *     names whose lookup takes 2 s return at once, and 100 requests to 127.0.0.1 sent after them
 *     all complete long before those lookups end.
 *  4. WINHTTP_OPTION_MAX_CONNS_PER_SERVER holds in the async mode: 8 requests with a limit of 2
 *     use exactly 2 connections (counted by the server), and a queued request is cancelled by
 *     closing it.
 *
 * Servers: the raw server (WINHTTP_TEST_RAW_PORT) is also a CONNECT proxy and has /raw/early-401;
 * the hyper server (WINHTTP_TEST_PORT) numbers its connections (X-Conn-Id) and has /slow; the TLS
 * server WINHTTP_TEST_TLS_GOOD_PORT. The resolver shim makes *.slow.test lookups slow.
 *
 * c_suite: preload shim_resolver
 */
#if !defined(_WIN32) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif
#include <winhttp.h>
#include "harness.h"
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static INTERNET_PORT http_port, raw_port, closed_port, tls_port;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* Reads a whole body (sync) into buf (NUL-terminated, truncated to cap). */
static DWORD read_body(HINTERNET req, char *buf, DWORD cap)
{
    DWORD total = 0;
    for (;;) {
        DWORD avail = 0, got = 0;
        char chunk[4096];
        if (!WinHttpQueryDataAvailable(req, &avail) || !WinHttpReadData(req, chunk, sizeof(chunk), &got) || !got)
            break;
        if (total + got < cap) {
            memcpy(buf + total, chunk, got);
        }
        total += got;
    }
    buf[total < cap ? total : cap - 1] = 0;
    return total;
}

static DWORD status_of(HINTERNET req)
{
    DWORD status = 0, size = sizeof(status);
    WinHttpQueryHeaders(req, WINHTTP_QUERY_STATUS_CODE | WINHTTP_QUERY_FLAG_NUMBER, WINHTTP_HEADER_NAME_BY_INDEX,
                        &status, &size, WINHTTP_NO_HEADER_INDEX);
    return status;
}

/* A sync GET of `path` on the raw server's proxy statistics: the number of tunnels so far. */
static int tunnels_so_far(void)
{
    HINTERNET s = WinHttpOpen(L"t", WINHTTP_ACCESS_TYPE_NO_PROXY, NULL, NULL, 0);
    HINTERNET c = WinHttpConnect(s, L"127.0.0.1", raw_port, 0);
    HINTERNET r = WinHttpOpenRequest(c, L"GET", L"/raw/proxy-stats", NULL, NULL, NULL, 0);
    char body[128] = "";
    int n = -1;
    if (WinHttpSendRequest(r, NULL, 0, NULL, 0, 0, 0) && WinHttpReceiveResponse(r, NULL)) {
        read_body(r, body, sizeof(body));
        if (strncmp(body, "tunnels ", 8) == 0)
            n = atoi(body + 8);
    }
    WinHttpCloseHandle(r);
    WinHttpCloseHandle(c);
    WinHttpCloseHandle(s);
    return n;
}

/* ---- a minimal async runner: one GET, its status, X-Conn-Id and body length ---------------- */

struct arun {
    HINTERNET req;
    int done;
    DWORD error;  /* REQUEST_ERROR's error, 0 when it worked */
    DWORD status;
    long conn_id;
    DWORD body;
    double ended;
    char buf[4096];
    const char *upload; /* written with WinHttpWriteData after the send, when set */
    DWORD upload_len;
    int wrote;
    char text[1024]; /* the body's first bytes */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;

static void finish(struct arun *r, DWORD error)
{
    pthread_mutex_lock(&lock);
    if (!r->done) {
        r->done = 1;
        r->error = error;
        r->ended = now_ms();
    }
    pthread_cond_broadcast(&changed);
    pthread_mutex_unlock(&lock);
}

static void CALLBACK on_status(HINTERNET h, DWORD_PTR ctx, DWORD status, LPVOID info, DWORD len)
{
    struct arun *r = (struct arun *)ctx;
    (void)len;
    if (!r)
        return;
    switch (status) {
    case WINHTTP_CALLBACK_STATUS_SENDREQUEST_COMPLETE:
        if (r->upload_len && !r->wrote) {
            r->wrote = 1;
            if (!WinHttpWriteData(h, r->upload, r->upload_len, NULL))
                finish(r, GetLastError());
        } else if (!WinHttpReceiveResponse(h, NULL)) {
            finish(r, GetLastError());
        }
        break;
    case WINHTTP_CALLBACK_STATUS_WRITE_COMPLETE:
        if (!WinHttpReceiveResponse(h, NULL))
            finish(r, GetLastError());
        break;
    case WINHTTP_CALLBACK_STATUS_HEADERS_AVAILABLE: {
        WCHAR id[32];
        DWORD size = sizeof(id);
        r->status = status_of(h);
        if (WinHttpQueryHeaders(h, WINHTTP_QUERY_CUSTOM, L"X-Conn-Id", id, &size, WINHTTP_NO_HEADER_INDEX))
            r->conn_id = harness_wcstol(id, NULL, 10);
        if (!WinHttpReadData(h, r->buf, sizeof(r->buf), NULL))
            finish(r, GetLastError());
        break;
    }
    case WINHTTP_CALLBACK_STATUS_READ_COMPLETE:
        if (len == 0) {
            finish(r, 0);
        } else {
            if (r->body + len < sizeof(r->text)) {
                memcpy(r->text + r->body, r->buf, len);
                r->text[r->body + len] = 0;
            }
            r->body += len;
            if (!WinHttpReadData(h, r->buf, sizeof(r->buf), NULL))
                finish(r, GetLastError());
        }
        break;
    case WINHTTP_CALLBACK_STATUS_REQUEST_ERROR:
        finish(r, ((WINHTTP_ASYNC_RESULT *)info)->dwError);
        break;
    default:
        break;
    }
}

static HINTERNET async_session(DWORD access, const WCHAR *proxy)
{
    HINTERNET s = WinHttpOpen(L"t", access, proxy, NULL, WINHTTP_FLAG_ASYNC);
    WinHttpSetStatusCallback(s, on_status, WINHTTP_CALLBACK_FLAG_ALL_COMPLETIONS, 0);
    return s;
}

/* Starts a GET; returns how long WinHttpSendRequest took on this thread (ms). */
static double start_get(struct arun *r, HINTERNET con, const WCHAR *path, DWORD flags)
{
    double t0;
    memset(r, 0, sizeof(*r));
    r->conn_id = -1;
    r->req = WinHttpOpenRequest(con, L"GET", path, NULL, NULL, NULL, flags);
    t0 = now_ms();
    if (!WinHttpSendRequest(r->req, NULL, 0, NULL, 0, 0, (DWORD_PTR)r))
        finish(r, GetLastError());
    return now_ms() - t0;
}

static int wait_done(struct arun *r, int n, int ms)
{
    double deadline = now_ms() + ms;
    int all = 0;
    pthread_mutex_lock(&lock);
    for (;;) {
        int i;
        all = 1;
        for (i = 0; i < n; i++)
            all &= r[i].done;
        if (all || now_ms() > deadline)
            break;
        {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += 20 * 1000000L;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&changed, &lock, &ts);
        }
    }
    pthread_mutex_unlock(&lock);
    return all;
}

/* ---- 1. HTTPS through a named proxy ------------------------------------------------------------ */

static void https_through_named_proxy(int async)
{
    WCHAR proxy[64], dead[64];
    int before;
    printf("https through a named proxy (%s)\n", async ? "async" : "sync");
    harness_swprintf(proxy, 64, L"127.0.0.1:%u", (unsigned)raw_port);
    harness_swprintf(dead, 64, L"127.0.0.1:%u", (unsigned)closed_port);

    /* The proxy is down: the request fails; it never goes straight to the (working) origin. */
    if (!async) {
        HINTERNET s = WinHttpOpen(L"t", WINHTTP_ACCESS_TYPE_NAMED_PROXY, dead, WINHTTP_NO_PROXY_BYPASS, 0);
        HINTERNET c = WinHttpConnect(s, L"localhost", tls_port, 0);
        HINTERNET r = WinHttpOpenRequest(c, L"GET", L"/hello", NULL, NULL, NULL, WINHTTP_FLAG_SECURE);
        BOOL ok = WinHttpSendRequest(r, NULL, 0, NULL, 0, 0, 0);
        CHECK(!ok);
        CHECK_EQ(GetLastError(), (DWORD)ERROR_WINHTTP_CANNOT_CONNECT);
        WinHttpCloseHandle(r);
        WinHttpCloseHandle(c);
        WinHttpCloseHandle(s);
    } else {
        HINTERNET s = async_session(WINHTTP_ACCESS_TYPE_NAMED_PROXY, dead);
        HINTERNET c = WinHttpConnect(s, L"localhost", tls_port, 0);
        struct arun r;
        start_get(&r, c, L"/hello", WINHTTP_FLAG_SECURE);
        CHECK(wait_done(&r, 1, 10000));
        CHECK_EQ(r.error, (DWORD)ERROR_WINHTTP_CANNOT_CONNECT);
        CHECK_EQ(r.status, 0);
        WinHttpCloseHandle(r.req);
        WinHttpCloseHandle(c);
        WinHttpCloseHandle(s);
    }

    /* The proxy is up: a tunnel to the origin, TLS verified against the origin's name. (A tunnel
     * left idle by the sync part would be reused: start from an empty pool.) */
    CHECK_OK(WinHttpSetOption(NULL, WINHTTP_OPTION_PORTABLE_CLOSE_IDLE_CONNECTIONS, NULL, 0));
    before = tunnels_so_far();
    CHECK(before >= 0);
    if (!async) {
        HINTERNET s = WinHttpOpen(L"t", WINHTTP_ACCESS_TYPE_NAMED_PROXY, proxy, WINHTTP_NO_PROXY_BYPASS, 0);
        HINTERNET c = WinHttpConnect(s, L"localhost", tls_port, 0);
        HINTERNET r = WinHttpOpenRequest(c, L"GET", L"/hello", NULL, NULL, NULL, WINHTTP_FLAG_SECURE);
        char body[64];
        CHECK_OK(WinHttpSendRequest(r, NULL, 0, NULL, 0, 0, 0));
        CHECK_OK(WinHttpReceiveResponse(r, NULL));
        CHECK_EQ(status_of(r), 200);
        read_body(r, body, sizeof(body));
        CHECK(strcmp(body, "Hello, world!") == 0);
        WinHttpCloseHandle(r);
        /* A second request reuses the tunnel from the pool. */
        r = WinHttpOpenRequest(c, L"GET", L"/hello", NULL, NULL, NULL, WINHTTP_FLAG_SECURE);
        CHECK_OK(WinHttpSendRequest(r, NULL, 0, NULL, 0, 0, 0));
        CHECK_OK(WinHttpReceiveResponse(r, NULL));
        CHECK_EQ(status_of(r), 200);
        read_body(r, body, sizeof(body));
        WinHttpCloseHandle(r);
        WinHttpCloseHandle(c);
        WinHttpCloseHandle(s);
        CHECK_EQ(tunnels_so_far(), before + 1);
    } else {
        HINTERNET s = async_session(WINHTTP_ACCESS_TYPE_NAMED_PROXY, proxy);
        HINTERNET c = WinHttpConnect(s, L"localhost", tls_port, 0);
        struct arun r;
        start_get(&r, c, L"/hello", WINHTTP_FLAG_SECURE);
        CHECK(wait_done(&r, 1, 10000));
        CHECK_EQ(r.error, 0);
        CHECK_EQ(r.status, 200);
        CHECK_EQ(r.body, 13);
        WinHttpCloseHandle(r.req);
        WinHttpCloseHandle(c);
        WinHttpCloseHandle(s);
        CHECK_EQ(tunnels_so_far(), before + 1);
    }

    /* The origin's name is what TLS checks inside the tunnel: 127.0.0.1 is not in the
     * certificate's names (localhost is), so this fails with the name error. */
    if (!async) {
        HINTERNET s = WinHttpOpen(L"t", WINHTTP_ACCESS_TYPE_NAMED_PROXY, proxy, WINHTTP_NO_PROXY_BYPASS, 0);
        HINTERNET c = WinHttpConnect(s, L"127.0.0.2", tls_port, 0);
        HINTERNET r = WinHttpOpenRequest(c, L"GET", L"/hello", NULL, NULL, NULL, WINHTTP_FLAG_SECURE);
        BOOL ok = WinHttpSendRequest(r, NULL, 0, NULL, 0, 0, 0);
        DWORD err = GetLastError();
        CHECK(!ok);
        /* 127.0.0.2 may not be routable here: then the proxy refuses the CONNECT. */
        CHECK(err == ERROR_WINHTTP_SECURE_CERT_CN_INVALID || err == ERROR_WINHTTP_CANNOT_CONNECT);
        WinHttpCloseHandle(r);
        WinHttpCloseHandle(c);
        WinHttpCloseHandle(s);
    }
}

/* ---- 2. A half-sent body never goes back to the pool --------------------------------------------- */

static void half_sent_body_is_not_pooled(void)
{
    HINTERNET s, c, r;
    DWORD n = 0;
    char body[1024];
    printf("half-sent body\n");
    s = WinHttpOpen(L"t", WINHTTP_ACCESS_TYPE_NO_PROXY, NULL, NULL, 0);
    c = WinHttpConnect(s, L"127.0.0.1", raw_port, 0);
    r = WinHttpOpenRequest(c, L"POST", L"/raw/early-401", NULL, NULL, NULL, 0);
    CHECK_OK(WinHttpSendRequest(r, NULL, 0, NULL, 0, 10, 0));
    CHECK_OK(WinHttpWriteData(r, "abc", 3, &n));
    CHECK_EQ(n, 3);
    CHECK_OK(WinHttpReceiveResponse(r, NULL));
    CHECK_EQ(status_of(r), 401);
    read_body(r, body, sizeof(body));
    WinHttpCloseHandle(r);

    /* The next request on the session: a new connection, seen by /raw/echo as a request. */
    r = WinHttpOpenRequest(c, L"GET", L"/raw/echo", NULL, NULL, NULL, 0);
    CHECK_OK(WinHttpSendRequest(r, NULL, 0, NULL, 0, 0, 0));
    CHECK_OK(WinHttpReceiveResponse(r, NULL));
    CHECK_EQ(status_of(r), 200);
    read_body(r, body, sizeof(body));
    CHECK(strncmp(body, "GET /raw/echo HTTP/1.1", 22) == 0);
    if (strncmp(body, "GET /raw/echo", 13) != 0)
        printf("  got: %.80s\n", body);
    WinHttpCloseHandle(r);
    WinHttpCloseHandle(c);
    WinHttpCloseHandle(s);
}

/* The same in the async mode: the POST's 3 bytes written from SENDREQUEST_COMPLETE, the 401 read to
 * the end, then a GET on the same session. */
static void half_sent_body_is_not_pooled_async(void)
{
    struct arun post, get;
    HINTERNET s = async_session(WINHTTP_ACCESS_TYPE_NO_PROXY, NULL);
    HINTERNET c = WinHttpConnect(s, L"127.0.0.1", raw_port, 0);
    printf("half-sent body (async)\n");
    memset(&post, 0, sizeof(post));
    post.upload = "abc";
    post.upload_len = 3;
    post.req = WinHttpOpenRequest(c, L"POST", L"/raw/early-401", NULL, NULL, NULL, 0);
    if (!WinHttpSendRequest(post.req, NULL, 0, NULL, 0, 10, (DWORD_PTR)&post))
        finish(&post, GetLastError());
    CHECK(wait_done(&post, 1, 10000));
    CHECK_EQ(post.error, 0);
    CHECK_EQ(post.status, 401);
    WinHttpCloseHandle(post.req);
    start_get(&get, c, L"/raw/echo", 0);
    CHECK(wait_done(&get, 1, 10000));
    CHECK_EQ(get.error, 0);
    CHECK_EQ(get.status, 200);
    CHECK(strncmp(get.text, "GET /raw/echo HTTP/1.1", 22) == 0);
    if (strncmp(get.text, "GET /raw/echo", 13) != 0)
        printf("  got: %.80s\n", get.text);
    WinHttpCloseHandle(get.req);
    WinHttpCloseHandle(c);
    WinHttpCloseHandle(s);
}

/* ---- 3. Async name resolution never blocks the caller ------------------------------------------ */

static void async_resolution_off_the_callers_thread(void)
{
    enum { SLOW = 8, FAST = 100 };
    static struct arun slow[SLOW], fast[FAST];
    HINTERNET s, slow_con, fast_con;
    double t0, sends = 0, worst = 0;
    int i, all_fast;
    printf("async resolution\n");
    s = async_session(WINHTTP_ACCESS_TYPE_NO_PROXY, NULL);
    slow_con = WinHttpConnect(s, L"2000.slow.test", http_port, 0);
    fast_con = WinHttpConnect(s, L"127.0.0.1", http_port, 0);
    t0 = now_ms();
    for (i = 0; i < SLOW; i++) {
        double took = start_get(&slow[i], slow_con, L"/hello", 0);
        sends += took;
        if (took > worst)
            worst = took;
    }
    for (i = 0; i < FAST; i++)
        start_get(&fast[i], fast_con, L"/hello", 0);
    /* A lookup takes 2 s: blocking on it would make the 8 sends take 16 s. */
    printf("  8 sends to slow names took %.1f ms in all (worst %.1f ms)\n", sends, worst);
    CHECK(sends < 1000);
    all_fast = wait_done(fast, FAST, 1500);
    CHECK(all_fast);
    printf("  100 requests to 127.0.0.1 done %.0f ms after the first send\n", now_ms() - t0);
    for (i = 0; i < FAST; i++) {
        CHECK_EQ(fast[i].error, 0);
        CHECK_EQ(fast[i].status, 200);
    }
    /* The slow ones are still resolving then; they end with the lookup's failure. */
    for (i = 0; i < SLOW; i++)
        CHECK(!slow[i].done || now_ms() - t0 >= 1900);
    CHECK(wait_done(slow, SLOW, 10000));
    for (i = 0; i < SLOW; i++)
        CHECK_EQ(slow[i].error, (DWORD)ERROR_WINHTTP_NAME_NOT_RESOLVED);
    for (i = 0; i < SLOW; i++)
        WinHttpCloseHandle(slow[i].req);
    for (i = 0; i < FAST; i++)
        WinHttpCloseHandle(fast[i].req);
    WinHttpCloseHandle(slow_con);
    WinHttpCloseHandle(fast_con);
    WinHttpCloseHandle(s);

    /* A lookup in progress is abandoned when its request is closed: the error comes at once. */
    {
        struct arun r;
        HINTERNET s2 = async_session(WINHTTP_ACCESS_TYPE_NO_PROXY, NULL);
        HINTERNET c2 = WinHttpConnect(s2, L"3000.slow.test", http_port, 0);
        double closed;
        start_get(&r, c2, L"/hello", 0);
        sleep_ms(100);
        closed = now_ms();
        WinHttpCloseHandle(r.req);
        CHECK(wait_done(&r, 1, 1000));
        CHECK_EQ(r.error, (DWORD)ERROR_WINHTTP_OPERATION_CANCELLED);
        CHECK(r.ended - closed < 500);
        WinHttpCloseHandle(c2);
        WinHttpCloseHandle(s2);
    }
    /* The resolve timeout holds for a lookup on the resolver threads. */
    {
        HINTERNET s3 = WinHttpOpen(L"t", WINHTTP_ACCESS_TYPE_NO_PROXY, NULL, NULL, 0);
        HINTERNET c3 = WinHttpConnect(s3, L"3000.slow.test", http_port, 0);
        HINTERNET r3 = WinHttpOpenRequest(c3, L"GET", L"/hello", NULL, NULL, NULL, 0);
        double start = now_ms();
        CHECK_OK(WinHttpSetTimeouts(r3, 300, 5000, 5000, 5000));
        CHECK_FAILS(WinHttpSendRequest(r3, NULL, 0, NULL, 0, 0, 0), ERROR_WINHTTP_TIMEOUT);
        CHECK(now_ms() - start < 2000);
        WinHttpCloseHandle(r3);
        WinHttpCloseHandle(c3);
        WinHttpCloseHandle(s3);
    }
}

/* ---- 4. MAX_CONNS_PER_SERVER in the async mode ---------------------------------------------------- */

static void async_max_conns(void)
{
    enum { N = 8 };
    static struct arun r[N];
    HINTERNET s, c;
    DWORD two = 2;
    long ids[N];
    int i, j, distinct = 0;
    printf("async max conns\n");
    /* Connections left idle by the parts before would be reused: start from an empty pool so
     * that the server counts exactly the connections this part opens. */
    CHECK_OK(WinHttpSetOption(NULL, WINHTTP_OPTION_PORTABLE_CLOSE_IDLE_CONNECTIONS, NULL, 0));
    s = async_session(WINHTTP_ACCESS_TYPE_NO_PROXY, NULL);
    CHECK_OK(WinHttpSetOption(s, WINHTTP_OPTION_MAX_CONNS_PER_SERVER, &two, sizeof(two)));
    c = WinHttpConnect(s, L"127.0.0.1", http_port, 0);
    for (i = 0; i < N; i++)
        start_get(&r[i], c, L"/slow?ms=150", 0);
    CHECK(wait_done(r, N, 15000));
    for (i = 0; i < N; i++) {
        CHECK_EQ(r[i].error, 0);
        CHECK_EQ(r[i].status, 200);
        ids[i] = r[i].conn_id;
        for (j = 0; j < i && ids[j] != ids[i]; j++) {
        }
        if (j == i)
            distinct++;
    }
    printf("  %d requests used %d connections\n", N, distinct);
    CHECK_EQ(distinct, 2);
    for (i = 0; i < N; i++)
        WinHttpCloseHandle(r[i].req);

    /* Two slow requests hold both slots; a third waits, and closing it cancels the wait. */
    {
        struct arun busy[2], queued;
        double closed;
        start_get(&busy[0], c, L"/slow?ms=1500", 0);
        start_get(&busy[1], c, L"/slow?ms=1500", 0);
        start_get(&queued, c, L"/hello", 0);
        sleep_ms(100);
        CHECK(!queued.done);
        closed = now_ms();
        WinHttpCloseHandle(queued.req);
        CHECK(wait_done(&queued, 1, 1000));
        CHECK_EQ(queued.error, (DWORD)ERROR_WINHTTP_OPERATION_CANCELLED);
        CHECK(queued.ended - closed < 500);
        CHECK(wait_done(busy, 2, 10000));
        CHECK_EQ(busy[0].status, 200);
        CHECK_EQ(busy[1].status, 200);
        WinHttpCloseHandle(busy[0].req);
        WinHttpCloseHandle(busy[1].req);
    }
    WinHttpCloseHandle(c);
    WinHttpCloseHandle(s);
}

int main(void)
{
    http_port = (INTERNET_PORT)harness_env_int("WINHTTP_TEST_PORT", 0);
    raw_port = (INTERNET_PORT)harness_env_int("WINHTTP_TEST_RAW_PORT", 0);
    closed_port = (INTERNET_PORT)harness_env_int("WINHTTP_TEST_CLOSED_PORT", 0);
    tls_port = (INTERNET_PORT)harness_env_int("WINHTTP_TEST_TLS_GOOD_PORT", 0);
    if (!http_port || !raw_port || !closed_port || !tls_port) {
        printf("test servers not set: run through tests/c_suite.rs\n");
        CHECK(0);
        return harness_report();
    }
    https_through_named_proxy(0);
    https_through_named_proxy(1);
    half_sent_body_is_not_pooled();
    half_sent_body_is_not_pooled_async();
    if (getenv("LD_PRELOAD") && strstr(getenv("LD_PRELOAD"), "shim_resolver"))
        async_resolution_off_the_callers_thread();
    else
        printf("skipped: async resolution needs the resolver shim (LD_PRELOAD, Linux)\n");
    async_max_conns();
    return harness_report();
}
