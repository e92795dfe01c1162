/*
 * HTTP/2 (issue 16): the paths the benchmarks stress, checked for correctness.
 *
 * Against h2_burst_server.py (WINHTTP_TEST_H2_BURST_PORT), whose SETTINGS (MAX_CONCURRENT_STREAMS
 * 128, nginx's default) come 300 ms after the client's first bytes and which, like nginx, refuses
 * the streams beyond twice its limit among those sent before: 300 async GETs started at once on a
 * new connection all succeed, and at most 100 streams were opened before the server's SETTINGS
 * (RFC 9113 6.5.2's recommended minimum: a client cannot know the limit yet). Unbounded, the
 * burst goes out whole and the streams past 256 are refused (the 12030 seen in the h2conc1000
 * bench row when nginx's SETTINGS came late).
 *
 * The same server sends GOAWAY(NO_ERROR) naming the 5th of 20 streams in flight the last it
 * processed: the 15 after it are sent again on a new connection and all 20 succeed.
 *
 * Against nginx with HTTP/2 (WINHTTP_TEST_NGINX_H2_PORT): four threads download the 1 MiB file at
 * once on the one shared connection with sync ReadData loops (64 KiB and 1000-byte buffers), and
 * four async requests read it with QueryDataAvailable/ReadData; every byte is checked. A reading
 * stream runs the connection's pump itself, so data for the other streams arriving while it does
 * must wake them.
 */
#if !defined(_WIN32) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif
#include <winhttp.h>
#include "harness.h"
#include "diagnostics.h"
#include <pthread.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>
#include <stdlib.h>
#include <string.h>

static INTERNET_PORT burst_port, nginx_port;
static char run_id[32];

static HINTERNET open_session(DWORD flags)
{
    HINTERNET s = WinHttpOpen(L"winhttp-h2-perf-test", WINHTTP_ACCESS_TYPE_NO_PROXY, WINHTTP_NO_PROXY_NAME,
                              WINHTTP_NO_PROXY_BYPASS, flags);
    DWORD v = WINHTTP_PROTOCOL_FLAG_HTTP2;
    if (s)
        CHECK_OK(WinHttpSetOption(s, WINHTTP_OPTION_ENABLE_HTTP_PROTOCOL, &v, sizeof v));
    return s;
}

/* ---- async requests, read with QueryDataAvailable/ReadData ------------------------------------- */

struct areq {
    HINTERNET h;
    unsigned char *buf;
    size_t cap;
    size_t length;
    DWORD status;
    DWORD error;
    int done;
};

static pthread_mutex_t amu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t acv = PTHREAD_COND_INITIALIZER;
static int adone;

static void finish(struct areq *a, DWORD error)
{
    pthread_mutex_lock(&amu);
    if (!a->done) {
        a->done = 1;
        a->error = error;
        adone++;
        pthread_cond_broadcast(&acv);
    }
    pthread_mutex_unlock(&amu);
}

static void CALLBACK acb(HINTERNET h, DWORD_PTR ctx, DWORD status, LPVOID info, DWORD len)
{
    struct areq *a = (struct areq *)ctx;
    if (!a)
        return;
    switch (status) {
    case WINHTTP_CALLBACK_STATUS_SENDREQUEST_COMPLETE:
        if (!WinHttpReceiveResponse(h, NULL))
            finish(a, GetLastError());
        break;
    case WINHTTP_CALLBACK_STATUS_HEADERS_AVAILABLE: {
        DWORD size = sizeof a->status;
        WinHttpQueryHeaders(h, WINHTTP_QUERY_STATUS_CODE | WINHTTP_QUERY_FLAG_NUMBER, WINHTTP_HEADER_NAME_BY_INDEX,
                            &a->status, &size, WINHTTP_NO_HEADER_INDEX);
        if (!WinHttpQueryDataAvailable(h, NULL))
            finish(a, GetLastError());
        break;
    }
    case WINHTTP_CALLBACK_STATUS_DATA_AVAILABLE: {
        DWORD n = *(DWORD *)info;
        if (n == 0) {
            finish(a, 0);
            break;
        }
        if (a->length + n > a->cap) { /* more than expected: counted, not kept */
            finish(a, ERROR_INSUFFICIENT_BUFFER);
            break;
        }
        if (!WinHttpReadData(h, a->buf + a->length, n, NULL))
            finish(a, GetLastError());
        break;
    }
    case WINHTTP_CALLBACK_STATUS_READ_COMPLETE:
        a->length += len;
        if (len == 0)
            finish(a, 0);
        else if (!WinHttpQueryDataAvailable(h, NULL))
            finish(a, GetLastError());
        break;
    case WINHTTP_CALLBACK_STATUS_REQUEST_ERROR:
        finish(a, ((WINHTTP_ASYNC_RESULT *)info)->dwError);
        break;
    default:
        break;
    }
}

/* Starts n async GETs of path (%d: the index) on one connection of session s; returns them. */
static struct areq *start_async(HINTERNET c, const WCHAR *fmt, int n, size_t cap)
{
    struct areq *reqs = calloc((size_t)n, sizeof *reqs);
    for (int i = 0; i < n; i++) {
        WCHAR path[160];
        harness_swprintf(path, 160, fmt, i);
        reqs[i].buf = malloc(cap);
        reqs[i].cap = cap;
        reqs[i].h = WinHttpOpenRequest(c, L"GET", path, NULL, WINHTTP_NO_REFERER, WINHTTP_DEFAULT_ACCEPT_TYPES,
                                       WINHTTP_FLAG_SECURE);
        DWORD_PTR ctx = (DWORD_PTR)&reqs[i];
        WinHttpSetOption(reqs[i].h, WINHTTP_OPTION_CONTEXT_VALUE, &ctx, sizeof ctx);
        if (!WinHttpSendRequest(reqs[i].h, WINHTTP_NO_ADDITIONAL_HEADERS, 0, WINHTTP_NO_REQUEST_DATA, 0, 0, ctx))
            finish(&reqs[i], GetLastError());
    }
    return reqs;
}

/* Waits until `want` async requests are done (60 s at most); returns how many are. */
static int wait_async(int want)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 60;
    pthread_mutex_lock(&amu);
    while (adone < want && pthread_cond_timedwait(&acv, &amu, &until) == 0) {
    }
    int n = adone;
    pthread_mutex_unlock(&amu);
    return n;
}

static void free_async(struct areq *reqs, int n, int finished)
{
    for (int i = 0; i < n; i++) {
        if (finished == n) { /* else a callback may still come: leak rather than race */
            WinHttpCloseHandle(reqs[i].h);
            free(reqs[i].buf);
        }
    }
    if (finished == n)
        free(reqs);
}

/* A sync GET of path on connection c: the body into out (cap bytes), read in pieces of `piece`. */
static size_t sync_get(HINTERNET c, const WCHAR *path, unsigned char *out, size_t cap, DWORD piece, DWORD *status)
{
    size_t length = 0;
    *status = 0;
    HINTERNET r = WinHttpOpenRequest(c, L"GET", path, NULL, WINHTTP_NO_REFERER, WINHTTP_DEFAULT_ACCEPT_TYPES,
                                     WINHTTP_FLAG_SECURE);
    if (!r)
        return 0;
    if (WinHttpSendRequest(r, WINHTTP_NO_ADDITIONAL_HEADERS, 0, WINHTTP_NO_REQUEST_DATA, 0, 0, 0) &&
        WinHttpReceiveResponse(r, NULL)) {
        DWORD size = sizeof *status;
        WinHttpQueryHeaders(r, WINHTTP_QUERY_STATUS_CODE | WINHTTP_QUERY_FLAG_NUMBER, WINHTTP_HEADER_NAME_BY_INDEX,
                            status, &size, WINHTTP_NO_HEADER_INDEX);
        for (;;) {
            DWORD got = 0, want = piece;
            if (length + want > cap)
                want = (DWORD)(cap - length);
            if (want == 0 || !WinHttpReadData(r, out + length, want, &got) || got == 0)
                break;
            length += got;
        }
    }
    WinHttpCloseHandle(r);
    return length;
}

static int body_ok(const unsigned char *p, size_t n)
{
    if (n != (1u << 20))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (p[i] != (unsigned char)(i % 251))
            return 0;
    return 1;
}

/* ---- the burst before the server's SETTINGS ----------------------------------------------------- */

static void test_burst_before_settings(void)
{
    enum { N = 300 };
    char key[64];
    snprintf(key, sizeof key, "burst-%s", run_id);
    HINTERNET s = open_session(WINHTTP_FLAG_ASYNC);
    WinHttpSetStatusCallback(s, acb, WINHTTP_CALLBACK_FLAG_ALL_COMPLETIONS, 0);
    HINTERNET c = WinHttpConnect(s, L"localhost", burst_port, 0);
    WCHAR fmt[128];
    harness_swprintf(fmt, 128, L"/small?key=%s&i=%%d", key);
    adone = 0;
    struct areq *reqs = start_async(c, fmt, N, 256);
    int finished = wait_async(N);
    CHECK_EQ(finished, N);
    int good = 0;
    for (int i = 0; i < N; i++) {
        int ok = reqs[i].done && reqs[i].error == 0 && reqs[i].status == 200 && reqs[i].length == 128;
        if (!ok && good == i)
            printf("  request %d: error %lu status %lu length %lu\n", i, (unsigned long)reqs[i].error,
                   (unsigned long)reqs[i].status, (unsigned long)reqs[i].length);
        good += ok;
    }
    CHECK_EQ(good, N);
    free_async(reqs, N, finished);

    /* What the server saw: streams opened before its SETTINGS, refused, served. */
    HINTERNET ss = open_session(0);
    HINTERNET sc = WinHttpConnect(ss, L"localhost", burst_port, 0);
    WCHAR path[128];
    harness_swprintf(path, 128, L"/stats?key=%s", key);
    unsigned char text[64] = {0};
    DWORD status;
    size_t n = sync_get(sc, path, text, sizeof text - 1, sizeof text - 1, &status);
    CHECK_EQ(status, 200);
    int early = -1, refused = -1, served = -1;
    CHECK(n > 0 && sscanf((const char *)text, "%d %d %d", &early, &refused, &served) == 3);
    printf("  %d streams before the server's SETTINGS, %d refused, %d served\n", early, refused, served);
    CHECK(early >= 0 && early <= 100);
    CHECK_EQ(refused, 0);
    CHECK_EQ(served, N);
    WinHttpCloseHandle(sc);
    WinHttpCloseHandle(ss);
    WinHttpCloseHandle(c);
    WinHttpCloseHandle(s);
}

/* ---- GOAWAY with requests in flight ----------------------------------------------------------- */

static void test_goaway_with_streams_in_flight(void)
{
    enum { N = 20, LAST = 5 };
    char key[64];
    snprintf(key, sizeof key, "goaway-%s", run_id);
    HINTERNET s = open_session(WINHTTP_FLAG_ASYNC);
    WinHttpSetStatusCallback(s, acb, WINHTTP_CALLBACK_FLAG_ALL_COMPLETIONS, 0);
    HINTERNET c = WinHttpConnect(s, L"localhost", burst_port, 0);
    WCHAR fmt[128];
    harness_swprintf(fmt, 128, L"/goaway-after?key=%s&n=%d&i=%%d", key, LAST);
    adone = 0;
    struct areq *reqs = start_async(c, fmt, N, 64);
    int finished = wait_async(N);
    CHECK_EQ(finished, N);
    int good = 0;
    for (int i = 0; i < N; i++) {
        int ok = reqs[i].done && reqs[i].error == 0 && reqs[i].status == 200 && reqs[i].length == 13 &&
                 memcmp(reqs[i].buf, "goaway-after\n", 13) == 0;
        if (!ok && good == i)
            printf("  request %d: error %lu status %lu length %lu\n", i, (unsigned long)reqs[i].error,
                   (unsigned long)reqs[i].status, (unsigned long)reqs[i].length);
        good += ok;
    }
    /* The LAST streams the server processed were answered on the first connection; the others,
     * past the GOAWAY's last stream, were sent again on a second one and answered there. */
    CHECK_EQ(good, N);
    free_async(reqs, N, finished);

    HINTERNET ss = open_session(0);
    HINTERNET sc = WinHttpConnect(ss, L"localhost", burst_port, 0);
    WCHAR path[128];
    harness_swprintf(path, 128, L"/conns?key=%s", key);
    unsigned char text[64] = {0};
    DWORD status;
    size_t n = sync_get(sc, path, text, sizeof text - 1, sizeof text - 1, &status);
    CHECK_EQ(status, 200);
    int conns = -1, served = -1;
    CHECK(n > 0 && sscanf((const char *)text, "%d %d", &conns, &served) == 2);
    printf("  GOAWAY after %d streams: %d connections, %d answers for %d requests\n", LAST, conns, served, N);
    CHECK_EQ(conns, 2);
    CHECK_EQ(served, N);
    WinHttpCloseHandle(sc);
    WinHttpCloseHandle(ss);
    WinHttpCloseHandle(c);
    WinHttpCloseHandle(s);
}

/* ---- several readers on one connection ---------------------------------------------------------- */

struct reader {
    HINTERNET connect;
    DWORD piece;
    int index;
    DWORD status;
    int ok;
};

static void *reader_main(void *arg)
{
    struct reader *rd = arg;
    unsigned char *buf = malloc(1u << 20);
    WCHAR path[128];
    harness_swprintf(path, 128, L"/static/big.bin?perf-%s-sync-%d", run_id, rd->index);
    size_t n = buf ? sync_get(rd->connect, path, buf, 1u << 20, rd->piece, &rd->status) : 0;
    rd->ok = buf && body_ok(buf, n);
    free(buf);
    return NULL;
}

static void test_readers_share_the_pump(void)
{
    enum { THREADS = 4, ASYNC = 4 };
    HINTERNET s = open_session(0);
    HINTERNET c = WinHttpConnect(s, L"localhost", nginx_port, 0);
    HINTERNET as = open_session(WINHTTP_FLAG_ASYNC);
    WinHttpSetStatusCallback(as, acb, WINHTTP_CALLBACK_FLAG_ALL_COMPLETIONS, 0);
    HINTERNET ac = WinHttpConnect(as, L"localhost", nginx_port, 0);
    struct reader rd[THREADS];
    pthread_t t[THREADS];
    WCHAR fmt[128];
    harness_swprintf(fmt, 128, L"/static/big.bin?perf-%s-async-%%d", run_id);
    adone = 0;
    struct areq *reqs = start_async(ac, fmt, ASYNC, 1u << 20);
    for (int i = 0; i < THREADS; i++) {
        rd[i] = (struct reader){.connect = c, .piece = i % 2 ? 1000 : 65536, .index = i};
        pthread_create(&t[i], NULL, reader_main, &rd[i]);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        CHECK_EQ(rd[i].status, 200);
        CHECK(rd[i].ok);
    }
    int finished = wait_async(ASYNC);
    CHECK_EQ(finished, ASYNC);
    for (int i = 0; i < ASYNC && finished == ASYNC; i++) {
        CHECK_EQ(reqs[i].error, 0);
        CHECK_EQ(reqs[i].status, 200);
        CHECK(body_ok(reqs[i].buf, reqs[i].length));
    }
    free_async(reqs, ASYNC, finished);
    WinHttpCloseHandle(ac);
    WinHttpCloseHandle(as);
    WinHttpCloseHandle(c);
    WinHttpCloseHandle(s);
}

int main(void)
{
    burst_port = (INTERNET_PORT)harness_env_int("WINHTTP_TEST_H2_BURST_PORT", 0);
    nginx_port = (INTERNET_PORT)harness_env_int("WINHTTP_TEST_NGINX_H2_PORT", 0);
    snprintf(run_id, sizeof run_id, "%ld-%ld", (long)getpid(), (long)time(NULL));
    if (burst_port) {
        test_burst_before_settings();
        test_goaway_with_streams_in_flight();
    } else
        printf("  skipped: the burst before SETTINGS (python3 with h2 not available)\n");
    if (nginx_port)
        test_readers_share_the_pump();
    else
        printf("  skipped: readers sharing one connection (nginx not available)\n");
    check_nothing_left("the HTTP/2 perf-path tests", 5000);
    return harness_report();
}
