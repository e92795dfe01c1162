/*
 * HTTP/2 (issue 16): WINHTTP_OPTION_ENABLE_HTTP_PROTOCOL with WINHTTP_PROTOCOL_FLAG_HTTP2 offers h2
 * in ALPN on HTTPS; a request the server takes it for becomes a stream on the origin's one HTTP/2
 * connection, shared by every session of the process. Peer: nginx with HTTP/2 over TLS
 * (WINHTTP_TEST_NGINX_H2_PORT), serving /static/ itself and proxying the rest to the test
 * HTTP/1.1 server; its access log (WINHTTP_TEST_NGINX_LOG) names the connection of each request.
 * The fallback peer is the rustls HTTP/1.1 server (WINHTTP_TEST_TLS_GOOD_PORT), whose ALPN offers
 * http/1.1 only. Without nginx the program skips, saying so.
 *
 * Covered: WINHTTP_OPTION_HTTP_PROTOCOL_USED (HTTP/2, HTTP/1.1 without the option, HTTP/1.1 when
 * the server refuses h2); WINHTTP_QUERY_STATUS_CODE, VERSION ("HTTP/2"), RAW_HEADERS_CRLF, a
 * custom header; GET of a small and a 1 MiB file (every byte checked), HEAD; POST with optional
 * data (echoed by the backend), a 1 MiB upload streamed with WinHttpWriteData under flow control
 * (length and hash checked by the backend); a redirect followed over HTTP/2; a request closed in
 * the middle of its body while another stream of the same connection goes on; sync requests from
 * two sessions, sync requests from 8 threads at once, and 1,000 concurrent async requests, each
 * group on one connection (nginx's log). Against Python's h2 (WINHTTP_TEST_H2_EDGE_PORT): queueing
 * beyond MAX_CONCURRENT_STREAMS 2, an upload through a 1 KiB window, the response header caps,
 * RST_STREAM, GOAWAY before the stream was processed, RST_STREAM(HTTP_1_1_REQUIRED) and the fallback.
 *
 * c_suite: alone (it reads nginx's access log, which every program's requests reach).
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

static INTERNET_PORT h2_port, h1_tls_port, edge_port, plain_port;
static const char *nginx_log;
static char run_id[32];

static unsigned long long fnv1a64(unsigned long long h, const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

static HINTERNET open_session(DWORD flags, BOOL h2)
{
    HINTERNET s = WinHttpOpen(L"winhttp-h2-test", WINHTTP_ACCESS_TYPE_NO_PROXY, WINHTTP_NO_PROXY_NAME,
                              WINHTTP_NO_PROXY_BYPASS, flags);
    if (s && h2) {
        DWORD v = WINHTTP_PROTOCOL_FLAG_HTTP2;
        CHECK_OK(WinHttpSetOption(s, WINHTTP_OPTION_ENABLE_HTTP_PROTOCOL, &v, sizeof v));
    }
    return s;
}

struct result {
    DWORD error;
    DWORD status;
    DWORD protocol;
    WCHAR version[32];
    WCHAR raw[1024];
    unsigned char *body;
    size_t length;
};

static void free_result(struct result *r)
{
    free(r->body);
    memset(r, 0, sizeof *r);
}

/* One sync exchange: verb on path, with optional data (or `upload` bytes streamed with
 * WinHttpWriteData in pieces of `piece`). */
static void exchange(HINTERNET session, INTERNET_PORT port, const WCHAR *verb, const WCHAR *path,
                     const void *optional, DWORD optional_len, const unsigned char *upload, DWORD upload_len,
                     struct result *r)
{
    memset(r, 0, sizeof *r);
    HINTERNET c = WinHttpConnect(session, L"localhost", port, 0);
    HINTERNET q = c ? WinHttpOpenRequest(c, verb, path, NULL, WINHTTP_NO_REFERER, WINHTTP_DEFAULT_ACCEPT_TYPES,
                                         WINHTTP_FLAG_SECURE)
                    : NULL;
    BOOL ok = q != NULL;
    ok = ok && WinHttpSendRequest(q, WINHTTP_NO_ADDITIONAL_HEADERS, 0, (LPVOID)optional, optional_len,
                                  optional_len + upload_len, 0);
    for (DWORD at = 0; ok && at < upload_len;) {
        DWORD n = upload_len - at < 65536 ? upload_len - at : 65536, wrote = 0;
        ok = WinHttpWriteData(q, upload + at, n, &wrote);
        at += wrote;
    }
    ok = ok && WinHttpReceiveResponse(q, NULL);
    if (ok) {
        DWORD size = sizeof r->status;
        WinHttpQueryHeaders(q, WINHTTP_QUERY_STATUS_CODE | WINHTTP_QUERY_FLAG_NUMBER, WINHTTP_HEADER_NAME_BY_INDEX,
                            &r->status, &size, WINHTTP_NO_HEADER_INDEX);
        size = sizeof r->version;
        WinHttpQueryHeaders(q, WINHTTP_QUERY_VERSION, WINHTTP_HEADER_NAME_BY_INDEX, r->version, &size,
                            WINHTTP_NO_HEADER_INDEX);
        size = sizeof r->raw;
        WinHttpQueryHeaders(q, WINHTTP_QUERY_RAW_HEADERS_CRLF, WINHTTP_HEADER_NAME_BY_INDEX, r->raw, &size,
                            WINHTTP_NO_HEADER_INDEX);
        size = sizeof r->protocol;
        CHECK_OK(WinHttpQueryOption(q, WINHTTP_OPTION_HTTP_PROTOCOL_USED, &r->protocol, &size));
        size_t cap = 0;
        for (;;) {
            DWORD avail = 0, got = 0;
            if (!WinHttpQueryDataAvailable(q, &avail)) {
                ok = FALSE;
                break;
            }
            if (avail == 0)
                break;
            if (r->length + avail > cap) {
                cap = (r->length + avail) * 2;
                r->body = realloc(r->body, cap + 1);
            }
            if (!WinHttpReadData(q, r->body + r->length, avail, &got)) {
                ok = FALSE;
                break;
            }
            r->length += got;
        }
        if (r->body)
            r->body[r->length] = 0;
    }
    r->error = ok ? 0 : GetLastError();
    if (q)
        WinHttpCloseHandle(q);
    if (c)
        WinHttpCloseHandle(c);
}

/* The nginx connection serials of the log lines whose request URI contains `tag`: how many
 * lines, and how many distinct connections. */
static void count_connections(const char *tag, int *lines, int *connections)
{
    *lines = 0;
    *connections = 0;
    FILE *f = fopen(nginx_log, "r");
    if (!f)
        return;
    long seen[64];
    int nseen = 0;
    char line[1024];
    while (fgets(line, sizeof line, f)) {
        if (!strstr(line, tag))
            continue;
        long id = strtol(line, NULL, 10);
        (*lines)++;
        int known = 0;
        for (int i = 0; i < nseen; i++)
            known |= seen[i] == id;
        if (!known && nseen < 64)
            seen[nseen++] = id;
    }
    fclose(f);
    *connections = nseen;
}

/* nginx writes its log line when a request ends: give the last ones a moment. */
static void wait_for_log(const char *tag, int want)
{
    for (int i = 0; i < 100; i++) {
        int lines, conns;
        count_connections(tag, &lines, &conns);
        if (lines >= want)
            return;
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

static void test_get_over_h2(void)
{
    HINTERNET s = open_session(0, TRUE);
    struct result r;
    exchange(s, h2_port, L"GET", L"/static/hello.txt", NULL, 0, NULL, 0, &r);
    CHECK_EQ(r.error, 0);
    CHECK_EQ(r.status, 200);
    CHECK_EQ(r.protocol, WINHTTP_PROTOCOL_FLAG_HTTP2);
    CHECK_WSTR(r.version, L"HTTP/2");
    CHECK(harness_wcsncmp(r.raw, L"HTTP/2 200", 10) == 0);
    CHECK(harness_wcsstr(r.raw, L"\r\ncontent-length: 14\r\n") != NULL);
    CHECK(r.length == 14 && memcmp(r.body, "hello over h2\n", 14) == 0);
    free_result(&r);

    /* The 1 MiB file, every byte checked. */
    exchange(s, h2_port, L"GET", L"/static/big.bin", NULL, 0, NULL, 0, &r);
    CHECK_EQ(r.status, 200);
    CHECK_EQ(r.length, 1u << 20);
    int same = r.body != NULL;
    for (size_t i = 0; same && i < r.length; i++)
        same = r.body[i] == (unsigned char)(i % 251);
    CHECK(same);
    free_result(&r);

    /* HEAD: the head only. */
    exchange(s, h2_port, L"HEAD", L"/static/big.bin", NULL, 0, NULL, 0, &r);
    CHECK_EQ(r.error, 0);
    CHECK_EQ(r.status, 200);
    CHECK_EQ(r.length, 0);
    CHECK(harness_wcsstr(r.raw, L"content-length: 1048576") != NULL);
    free_result(&r);
    WinHttpCloseHandle(s);
}

static void test_protocol_used_without_option_and_fallback(void)
{
    HINTERNET s = open_session(0, FALSE);
    struct result r;
    exchange(s, h2_port, L"GET", L"/static/hello.txt", NULL, 0, NULL, 0, &r);
    CHECK_EQ(r.status, 200);
    CHECK_EQ(r.protocol, 0);
    CHECK_WSTR(r.version, L"HTTP/1.1");
    free_result(&r);
    WinHttpCloseHandle(s);

    /* Plain HTTP: no HTTP/2 (no h2c, as on Windows): the option changes nothing there. */
    if (plain_port) {
        s = open_session(0, TRUE);
        HINTERNET c = WinHttpConnect(s, L"127.0.0.1", plain_port, 0);
        HINTERNET q = WinHttpOpenRequest(c, L"GET", L"/hello", NULL, WINHTTP_NO_REFERER, WINHTTP_DEFAULT_ACCEPT_TYPES, 0);
        CHECK_OK(WinHttpSendRequest(q, WINHTTP_NO_ADDITIONAL_HEADERS, 0, WINHTTP_NO_REQUEST_DATA, 0, 0, 0));
        CHECK_OK(WinHttpReceiveResponse(q, NULL));
        DWORD used = 99, size = sizeof used;
        CHECK_OK(WinHttpQueryOption(q, WINHTTP_OPTION_HTTP_PROTOCOL_USED, &used, &size));
        CHECK_EQ(used, 0);
        WCHAR version[32];
        size = sizeof version;
        CHECK_OK(WinHttpQueryHeaders(q, WINHTTP_QUERY_VERSION, WINHTTP_HEADER_NAME_BY_INDEX, version, &size,
                                     WINHTTP_NO_HEADER_INDEX));
        CHECK_WSTR(version, L"HTTP/1.1");
        WinHttpCloseHandle(q);
        WinHttpCloseHandle(c);
        WinHttpCloseHandle(s);
    }

    if (!h1_tls_port) {
        printf("  skipped: fallback (no HTTP/1.1 TLS server)\n");
        return;
    }
    s = open_session(0, TRUE);
    exchange(s, h1_tls_port, L"GET", L"/hello", NULL, 0, NULL, 0, &r);
    CHECK_EQ(r.error, 0);
    CHECK_EQ(r.status, 200);
    CHECK_EQ(r.protocol, 0);
    CHECK_WSTR(r.version, L"HTTP/1.1");
    free_result(&r);
    /* Again: the route is remembered as HTTP/1.1, the pooled connection serves. */
    exchange(s, h1_tls_port, L"GET", L"/hello", NULL, 0, NULL, 0, &r);
    CHECK_EQ(r.status, 200);
    CHECK_EQ(r.protocol, 0);
    free_result(&r);
    WinHttpCloseHandle(s);
}

static void test_bodies_and_redirect(void)
{
    HINTERNET s = open_session(0, TRUE);
    struct result r;
    static const char data[] = "name=value&other=1";
    exchange(s, h2_port, L"POST", L"/echo", data, (DWORD)strlen(data), NULL, 0, &r);
    CHECK_EQ(r.error, 0);
    CHECK_EQ(r.status, 200);
    CHECK_EQ(r.protocol, WINHTTP_PROTOCOL_FLAG_HTTP2);
    CHECK(r.body && strstr((char *)r.body, "POST /echo") != NULL);
    CHECK(r.body && strstr((char *)r.body, "\n\nname=value&other=1") != NULL);
    free_result(&r);

    /* 1 MiB streamed with WinHttpWriteData: more than the initial 64 KiB window. */
    size_t n = 1u << 20;
    unsigned char *up = malloc(n);
    for (size_t i = 0; i < n; i++)
        up[i] = (unsigned char)(i * 7 + 3);
    exchange(s, h2_port, L"POST", L"/upload", NULL, 0, up, (DWORD)n, &r);
    char want[64];
    snprintf(want, sizeof want, "%u %016llx", (unsigned)n, fnv1a64(0xcbf29ce484222325ULL, up, n));
    CHECK_EQ(r.error, 0);
    CHECK_EQ(r.status, 200);
    CHECK(r.body && strcmp((char *)r.body, want) == 0);
    if (r.body && strcmp((char *)r.body, want) != 0)
        printf("  upload answer \"%s\", expected \"%s\"\n", (char *)r.body, want);
    free_result(&r);
    free(up);

    /* A redirect, followed on the same connection. */
    exchange(s, h2_port, L"GET", L"/redirect/302?to=/static/hello.txt", NULL, 0, NULL, 0, &r);
    CHECK_EQ(r.error, 0);
    CHECK_EQ(r.status, 200);
    CHECK(r.length == 14);
    free_result(&r);
    WinHttpCloseHandle(s);
}

/* Closing a request in the middle of its body resets its stream only; the connection serves
 * the next requests, from another session too. */
static void test_close_mid_body_and_sharing(void)
{
    char tag[64];
    snprintf(tag, sizeof tag, "share-%s", run_id);
    HINTERNET s1 = open_session(0, TRUE), s2 = open_session(0, TRUE);
    HINTERNET c = WinHttpConnect(s1, L"localhost", h2_port, 0);
    WCHAR path[128];
    harness_swprintf(path, 128, L"/static/big.bin?%s-a", tag);
    HINTERNET q = WinHttpOpenRequest(c, L"GET", path, NULL, WINHTTP_NO_REFERER, WINHTTP_DEFAULT_ACCEPT_TYPES,
                                     WINHTTP_FLAG_SECURE);
    CHECK_OK(WinHttpSendRequest(q, WINHTTP_NO_ADDITIONAL_HEADERS, 0, WINHTTP_NO_REQUEST_DATA, 0, 0, 0));
    CHECK_OK(WinHttpReceiveResponse(q, NULL));
    char buf[1000];
    DWORD got = 0;
    CHECK_OK(WinHttpReadData(q, buf, sizeof buf, &got));
    CHECK(got > 0);
    WinHttpCloseHandle(q);
    WinHttpCloseHandle(c);
    struct result r;
    for (int i = 0; i < 3; i++) {
        harness_swprintf(path, 128, L"/static/hello.txt?%s-%d", tag, i);
        exchange(i % 2 ? s2 : s1, h2_port, L"GET", path, NULL, 0, NULL, 0, &r);
        CHECK_EQ(r.status, 200);
        CHECK_EQ(r.protocol, WINHTTP_PROTOCOL_FLAG_HTTP2);
        CHECK(r.length == 14);
        free_result(&r);
    }
    WinHttpCloseHandle(s1);
    WinHttpCloseHandle(s2);
    wait_for_log(tag, 4);
    int lines, conns;
    count_connections(tag, &lines, &conns);
    CHECK_EQ(lines, 4);
    CHECK_EQ(conns, 1);
}

/* Sync requests from 8 threads at once, each with its own session: streams of one connection. */
struct sync_worker {
    int index;
    int good;
    char tag[64];
};

static void *sync_worker_main(void *arg)
{
    struct sync_worker *w = arg;
    HINTERNET s = open_session(0, TRUE);
    for (int i = 0; i < 20; i++) {
        WCHAR path[128];
        struct result r;
        harness_swprintf(path, 128, L"/static/hello.txt?%s-%d-%d", w->tag, w->index, i);
        exchange(s, h2_port, L"GET", path, NULL, 0, NULL, 0, &r);
        w->good += r.error == 0 && r.status == 200 && r.protocol == WINHTTP_PROTOCOL_FLAG_HTTP2 && r.length == 14;
        free_result(&r);
    }
    WinHttpCloseHandle(s);
    return NULL;
}

static void test_sync_threads_share_one_connection(void)
{
    char tag[64];
    snprintf(tag, sizeof tag, "threads-%s", run_id);
    pthread_t th[8];
    struct sync_worker w[8];
    for (int i = 0; i < 8; i++) {
        w[i].index = i;
        w[i].good = 0;
        snprintf(w[i].tag, sizeof w[i].tag, "%s", tag);
        pthread_create(&th[i], NULL, sync_worker_main, &w[i]);
    }
    int good = 0;
    for (int i = 0; i < 8; i++) {
        pthread_join(th[i], NULL);
        good += w[i].good;
    }
    CHECK_EQ(good, 160);
    wait_for_log(tag, 160);
    int lines, conns;
    count_connections(tag, &lines, &conns);
    CHECK_EQ(lines, 160);
    CHECK_EQ(conns, 1);
}

/* ---- 1,000 concurrent async requests ------------------------------------------------------- */

/* Scaled down under a checker (valgrind), where 1,000 would take minutes. */
static int ASYNC_N = 1000;

struct areq {
    HINTERNET h;
    char buf[64];
    size_t length;
    DWORD status;
    DWORD error;
    int done;
    int errors; /* REQUEST_ERROR notifications */
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
    (void)len;
    struct areq *a = (struct areq *)ctx;
    if (!a)
        return;
    char scratch[64];
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
        char *dst = a->length < sizeof a->buf - 1 ? a->buf + a->length : scratch;
        DWORD room = (DWORD)(a->length < sizeof a->buf - 1 ? sizeof a->buf - 1 - a->length : sizeof scratch);
        if (!WinHttpReadData(h, dst, n < room ? n : room, NULL))
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
        __atomic_fetch_add(&a->errors, 1, __ATOMIC_SEQ_CST);
        finish(a, ((WINHTTP_ASYNC_RESULT *)info)->dwError);
        break;
    default:
        break;
    }
}

static void test_thousand_async_requests_one_connection(void)
{
    char tag[64];
    snprintf(tag, sizeof tag, "burst-%s", run_id);
    HINTERNET s = open_session(WINHTTP_FLAG_ASYNC, TRUE);
    WinHttpSetStatusCallback(s, acb, WINHTTP_CALLBACK_FLAG_ALL_COMPLETIONS, 0);
    HINTERNET c = WinHttpConnect(s, L"localhost", h2_port, 0);
    struct areq *reqs = calloc(ASYNC_N, sizeof *reqs);
    adone = 0;
    for (int i = 0; i < ASYNC_N; i++) {
        WCHAR path[128];
        harness_swprintf(path, 128, L"/static/hello.txt?%s-%d", tag, i);
        reqs[i].h = WinHttpOpenRequest(c, L"GET", path, NULL, WINHTTP_NO_REFERER, WINHTTP_DEFAULT_ACCEPT_TYPES,
                                       WINHTTP_FLAG_SECURE);
        DWORD_PTR ctx = (DWORD_PTR)&reqs[i];
        WinHttpSetOption(reqs[i].h, WINHTTP_OPTION_CONTEXT_VALUE, &ctx, sizeof ctx);
        if (!WinHttpSendRequest(reqs[i].h, WINHTTP_NO_ADDITIONAL_HEADERS, 0, WINHTTP_NO_REQUEST_DATA, 0, 0, ctx))
            finish(&reqs[i], GetLastError());
    }
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 60;
    pthread_mutex_lock(&amu);
    while (adone < ASYNC_N && pthread_cond_timedwait(&acv, &amu, &until) == 0) {
    }
    int finished = adone;
    pthread_mutex_unlock(&amu);
    CHECK_EQ(finished, ASYNC_N);
    int good = 0;
    for (int i = 0; i < ASYNC_N; i++)
        good += reqs[i].done && reqs[i].error == 0 && reqs[i].status == 200 && reqs[i].length == 14 &&
                memcmp(reqs[i].buf, "hello over h2\n", 14) == 0;
    CHECK_EQ(good, ASYNC_N);
    if (finished == ASYNC_N) {
        for (int i = 0; i < ASYNC_N; i++)
            WinHttpCloseHandle(reqs[i].h);
        WinHttpCloseHandle(c);
        WinHttpCloseHandle(s);
        free(reqs);
    }
    wait_for_log(tag, ASYNC_N);
    int lines, conns;
    count_connections(tag, &lines, &conns);
    CHECK_EQ(lines, ASYNC_N);
    CHECK_EQ(conns, 1);
}

/* Starts `n` async GETs of `fmt` (with %s the tag and %d the index) on one session; waits for all. */
static struct areq *async_batch(INTERNET_PORT port, const WCHAR *fmt, const char *tag, int n, HINTERNET *session)
{
    HINTERNET s = open_session(WINHTTP_FLAG_ASYNC, TRUE);
    WinHttpSetStatusCallback(s, acb, WINHTTP_CALLBACK_FLAG_ALL_COMPLETIONS, 0);
    HINTERNET c = WinHttpConnect(s, L"localhost", port, 0);
    struct areq *reqs = calloc((size_t)n, sizeof *reqs);
    pthread_mutex_lock(&amu);
    adone = 0;
    pthread_mutex_unlock(&amu);
    for (int i = 0; i < n; i++) {
        WCHAR path[160];
        harness_swprintf(path, 160, fmt, tag, i);
        reqs[i].h = WinHttpOpenRequest(c, L"GET", path, NULL, WINHTTP_NO_REFERER, WINHTTP_DEFAULT_ACCEPT_TYPES,
                                       WINHTTP_FLAG_SECURE);
        DWORD_PTR ctx = (DWORD_PTR)&reqs[i];
        WinHttpSetOption(reqs[i].h, WINHTTP_OPTION_CONTEXT_VALUE, &ctx, sizeof ctx);
        if (!WinHttpSendRequest(reqs[i].h, WINHTTP_NO_ADDITIONAL_HEADERS, 0, WINHTTP_NO_REQUEST_DATA, 0, 0, ctx))
            finish(&reqs[i], GetLastError());
    }
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 60;
    pthread_mutex_lock(&amu);
    while (adone < n && pthread_cond_timedwait(&acv, &amu, &until) == 0) {
    }
    pthread_mutex_unlock(&amu);
    WinHttpCloseHandle(c);
    *session = s;
    return reqs;
}

/* Prints the time since the previous lap (0: start), for the slow parts under valgrind. */
static void lap(const char *what)
{
    static struct timespec last;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (what)
        printf("    %s: %.1f s\n", what,
               (double)(now.tv_sec - last.tv_sec) + (double)(now.tv_nsec - last.tv_nsec) / 1e9);
    last = now;
}

/* Against Python's h2 (MAX_CONCURRENT_STREAMS 2, INITIAL_WINDOW_SIZE 1024): streams queued beyond
 * the limit, an upload in window-sized pieces, RST_STREAM, GOAWAY before the stream was processed
 * (sent again on a new connection). */
static void test_edge_cases(void)
{
    if (!edge_port) {
        printf("  skipped: HTTP/2 edge cases (python3 with the h2 package not available)\n");
        return;
    }
    lap(NULL);
    HINTERNET s = open_session(0, TRUE);
    /* Under a checker (valgrind) reading the large header blocks takes longer than the default
     * 30 s receive timeout. */
    if (getenv("WINHTTP_TEST_UNDER_CHECKER"))
        CHECK_OK(WinHttpSetTimeouts(s, 0, 60000, 300000, 300000));
    struct result r;
    exchange(s, edge_port, L"GET", L"/hello", NULL, 0, NULL, 0, &r);
    CHECK_EQ(r.error, 0);
    CHECK_EQ(r.status, 200);
    CHECK_EQ(r.protocol, WINHTTP_PROTOCOL_FLAG_HTTP2);
    CHECK(r.body && strcmp((char *)r.body, "hello from python h2\n") == 0);
    free_result(&r);

    size_t n = 100000;
    unsigned char *up = malloc(n);
    for (size_t i = 0; i < n; i++)
        up[i] = (unsigned char)(i * 13 + 1);
    exchange(s, edge_port, L"POST", L"/upload", up, 1000, up + 1000, (DWORD)(n - 1000), &r);
    char want[64];
    snprintf(want, sizeof want, "%u %016llx", (unsigned)n, fnv1a64(0xcbf29ce484222325ULL, up, n));
    CHECK_EQ(r.error, 0);
    CHECK(r.body && strcmp((char *)r.body, want) == 0);
    free_result(&r);
    free(up);
    lap("upload in 1 KiB windows");

    /* Response fields within WINHTTP_OPTION_MAX_RESPONSE_HEADER_SIZE (64 KiB by default), then past
     * it; then a 1 MiB block, far past the 256 KiB we announce in SETTINGS_MAX_HEADER_LIST_SIZE: its
     * CONTINUATION frames are a flood, the connection is closed (GOAWAY ENHANCE_YOUR_CALM) and
     * the request fails as on a connection failure; the next one goes on a new connection. */
    exchange(s, edge_port, L"GET", L"/big-headers?kb=32", NULL, 0, NULL, 0, &r);
    CHECK_EQ(r.error, 0);
    CHECK_EQ(r.status, 200);
    CHECK(r.length == 3);
    free_result(&r);
    exchange(s, edge_port, L"GET", L"/big-headers?kb=100", NULL, 0, NULL, 0, &r);
    CHECK_EQ(r.error, ERROR_WINHTTP_HEADER_SIZE_OVERFLOW);
    free_result(&r);
    /* Under a checker the 1 MiB block is left out: decoding it took 100 s of the program's 115
     * under valgrind (2 s natively, where every build runs it). */
    if (!getenv("WINHTTP_TEST_UNDER_CHECKER")) {
        exchange(s, edge_port, L"GET", L"/big-headers?kb=1024", NULL, 0, NULL, 0, &r);
        CHECK_EQ(r.error, ERROR_WINHTTP_CONNECTION_ERROR);
        free_result(&r);
    } else {
        printf("  the 1 MiB header block: not under a checker\n");
    }
    exchange(s, edge_port, L"GET", L"/hello", NULL, 0, NULL, 0, &r);
    CHECK_EQ(r.status, 200);
    free_result(&r);

    lap("header blocks of 32 KiB, 100 KiB and (natively) 1 MiB");

    /* RST_STREAM fails that request only. */
    exchange(s, edge_port, L"GET", L"/rst", NULL, 0, NULL, 0, &r);
    CHECK_EQ(r.error, ERROR_WINHTTP_CONNECTION_ERROR);
    free_result(&r);
    exchange(s, edge_port, L"GET", L"/hello", NULL, 0, NULL, 0, &r);
    CHECK_EQ(r.status, 200);
    free_result(&r);

    /* GOAWAY with the stream unprocessed: sent again on a new connection. */
    WCHAR path[128];
    harness_swprintf(path, 128, L"/goaway-once?key=%s", run_id);
    exchange(s, edge_port, L"GET", path, NULL, 0, NULL, 0, &r);
    CHECK_EQ(r.error, 0);
    CHECK_EQ(r.status, 200);
    CHECK(r.body && strcmp((char *)r.body, "after goaway\n") == 0);
    free_result(&r);
    exchange(s, edge_port, L"GET", L"/hello", NULL, 0, NULL, 0, &r);
    CHECK_EQ(r.status, 200);
    free_result(&r);

    lap("RST_STREAM, GOAWAY");

    /* Six at once with room for two: queued, never more than two open. */
    char tag[64];
    snprintf(tag, sizeof tag, "q%s", run_id);
    HINTERNET as;
    struct areq *reqs = async_batch(edge_port, L"/slow?key=%s&i=%d", tag, 6, &as);
    int good = 0;
    for (int i = 0; i < 6; i++)
        good += reqs[i].done && reqs[i].error == 0 && reqs[i].status == 200;
    CHECK_EQ(good, 6);
    for (int i = 0; i < 6; i++)
        WinHttpCloseHandle(reqs[i].h);
    WinHttpCloseHandle(as);
    free(reqs);
    harness_swprintf(path, 128, L"/stats?key=%s", tag);
    exchange(s, edge_port, L"GET", path, NULL, 0, NULL, 0, &r);
    CHECK(r.body && strcmp((char *)r.body, "2 6") == 0);
    if (r.body)
        printf("  most streams open at once, streams: %s\n", (char *)r.body);
    free_result(&r);

    lap("six queued behind two");

    /* The connection cut with two streams open and two queued behind MAX_CONCURRENT_STREAMS 2:
     * each request fails once, with ERROR_WINHTTP_CONNECTION_ERROR. */
    snprintf(tag, sizeof tag, "k%s", run_id);
    reqs = async_batch(edge_port, L"/kill?key=%s&i=%d", tag, 4, &as);
    int failed_once = 0;
    /* Under valgrind a request may be sent only after the cut, on a new connection where its /kill
     * stream is not cut: it then ends with the receive timeout, still exactly once. */
    int checker = getenv("WINHTTP_TEST_UNDER_CHECKER") != NULL;
    for (int i = 0; i < 4; i++) {
        DWORD e = reqs[i].error;
        int expected = e == ERROR_WINHTTP_CONNECTION_ERROR || (checker && e == ERROR_WINHTTP_TIMEOUT);
        failed_once += reqs[i].done && expected && reqs[i].errors == 1;
        if (reqs[i].error != ERROR_WINHTTP_CONNECTION_ERROR)
            printf("  request %d: error %lu, %d REQUEST_ERRORs\n", i, (unsigned long)reqs[i].error, reqs[i].errors);
    }
    CHECK_EQ(failed_once, 4);
    for (int i = 0; i < 4; i++)
        WinHttpCloseHandle(reqs[i].h);
    WinHttpCloseHandle(as);
    free(reqs);
    exchange(s, edge_port, L"GET", L"/hello", NULL, 0, NULL, 0, &r);
    CHECK_EQ(r.status, 200);
    CHECK_EQ(r.protocol, WINHTTP_PROTOCOL_FLAG_HTTP2);
    free_result(&r);

    lap("connection cut");

    /* RST_STREAM(HTTP_1_1_REQUIRED): sent again over HTTP/1.1 (h2 no longer offered in ALPN), and
     * the origin stays on HTTP/1.1 for the next requests. Last: the route is HTTP/1.1 from here. */
    exchange(s, edge_port, L"GET", L"/h1-only", NULL, 0, NULL, 0, &r);
    CHECK_EQ(r.error, 0);
    CHECK_EQ(r.status, 200);
    CHECK_EQ(r.protocol, 0);
    CHECK(r.body && strcmp((char *)r.body, "over http/1.1\n") == 0);
    free_result(&r);
    exchange(s, edge_port, L"GET", L"/hello", NULL, 0, NULL, 0, &r);
    CHECK_EQ(r.status, 200);
    CHECK_EQ(r.protocol, 0);
    CHECK(r.body && strcmp((char *)r.body, "over http/1.1\n") == 0);
    free_result(&r);
    WinHttpCloseHandle(s);
}

int main(void)
{
    h2_port = (INTERNET_PORT)harness_env_int("WINHTTP_TEST_NGINX_H2_PORT", 0);
    h1_tls_port = (INTERNET_PORT)harness_env_int("WINHTTP_TEST_TLS_GOOD_PORT", 0);
    edge_port = (INTERNET_PORT)harness_env_int("WINHTTP_TEST_H2_EDGE_PORT", 0);
    plain_port = (INTERNET_PORT)harness_env_int("WINHTTP_TEST_PORT", 0);
    nginx_log = getenv("WINHTTP_TEST_NGINX_LOG");
    if (getenv("WINHTTP_TEST_UNDER_CHECKER"))
        ASYNC_N = 200;
    snprintf(run_id, sizeof run_id, "%ld-%ld", (long)getpid(), (long)time(NULL));
    if (!h2_port || !nginx_log) {
        printf("  skipped: HTTP/2 tests (nginx not available)\n");
        return harness_report();
    }
    /* Each part says how long it took (the program is among the slowest under valgrind). */
    struct {
        void (*run)(void);
        const char *name;
    } parts[] = {
        {test_get_over_h2, "GET"},
        {test_protocol_used_without_option_and_fallback, "protocol used, fallback"},
        {test_bodies_and_redirect, "bodies, redirect"},
        {test_close_mid_body_and_sharing, "close mid-body, sharing"},
        {test_sync_threads_share_one_connection, "sync threads"},
        {test_thousand_async_requests_one_connection, "async requests on one connection"},
        {test_edge_cases, "edge cases (Python h2)"},
    };
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        parts[i].run();
        clock_gettime(CLOCK_MONOTONIC, &b);
        printf("  %s: %.1f s\n", parts[i].name, (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9);
    }
    /* Every handle closed: the shared HTTP/2 connections are idle ones, and close with them. */
    check_nothing_left("the HTTP/2 tests", 5000);
    return harness_report();
}
