/*
 * HTTP/2 options and body shapes (issue 16): WINHTTP_OPTION_HTTP2_KEEPALIVE (PINGs on an idle
 * connection, a connection whose PING goes unanswered failed), WINHTTP_OPTION_DISABLE_STREAM_QUEUE
 * (a new connection rather than a queue when MAX_CONCURRENT_STREAMS is reached), response trailers
 * through WinHttpQueryHeadersEx(WINHTTP_QUERY_FLAG_TRAILERS), and a body the caller frames itself
 * (Transfer-Encoding: chunked, chunk-encoded bytes through WinHttpWriteData) sent as DATA frames
 * without the chunk framing.
 *
 * Peers: Python's h2 (tests/support/h2_server.py, WINHTTP_TEST_H2_EDGE_PORT: counts the PINGs of a
 * connection, the connections of a key, reports the DATA bytes and the transfer-encoding field it
 * received), nginx with HTTP/2 (WINHTTP_TEST_NGINX_H2_PORT: /upload answers the length and hash
 * of the body the backend got). Parts whose peer is missing skip, saying so.
 */
#if !defined(_WIN32) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif
#include <winhttp.h>
#include "harness.h"
#include <pthread.h>
#include <time.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef WINHTTP_OPTION_DISABLE_STREAM_QUEUE
#define WINHTTP_OPTION_DISABLE_STREAM_QUEUE 139
#endif
#ifndef WINHTTP_OPTION_HTTP2_KEEPALIVE
#define WINHTTP_OPTION_HTTP2_KEEPALIVE 164
#endif
#ifndef WINHTTP_QUERY_FLAG_TRAILERS
#define WINHTTP_QUERY_FLAG_TRAILERS 0x02000000
#endif

static INTERNET_PORT edge_port, nginx_port;
static char run_id[32];

static unsigned long long fnv1a64(const unsigned char *p, size_t n)
{
    unsigned long long h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

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

static HINTERNET open_session(DWORD flags)
{
    HINTERNET s = WinHttpOpen(L"winhttp-h2-options-test", WINHTTP_ACCESS_TYPE_NO_PROXY, WINHTTP_NO_PROXY_NAME,
                              WINHTTP_NO_PROXY_BYPASS, flags);
    DWORD v = WINHTTP_PROTOCOL_FLAG_HTTP2;
    if (s)
        CHECK_OK(WinHttpSetOption(s, WINHTTP_OPTION_ENABLE_HTTP_PROTOCOL, &v, sizeof v));
    return s;
}

struct result {
    DWORD error;
    DWORD status;
    DWORD protocol;
    char body[512];
    size_t length;
};

/* Reads the rest of the body into r (at most its buffer; the rest is counted). */
static BOOL read_all(HINTERNET q, struct result *r)
{
    for (;;) {
        char buf[4096];
        DWORD got = 0;
        if (!WinHttpReadData(q, buf, sizeof buf, &got))
            return FALSE;
        if (got == 0)
            return TRUE;
        size_t room = sizeof r->body - 1 - r->length;
        size_t k = got < room ? got : room;
        memcpy(r->body + r->length, buf, k);
        r->length += k;
        r->body[r->length] = 0;
    }
}

static void head_of(HINTERNET q, struct result *r)
{
    DWORD size = sizeof r->status;
    WinHttpQueryHeaders(q, WINHTTP_QUERY_STATUS_CODE | WINHTTP_QUERY_FLAG_NUMBER, WINHTTP_HEADER_NAME_BY_INDEX,
                        &r->status, &size, WINHTTP_NO_HEADER_INDEX);
    size = sizeof r->protocol;
    WinHttpQueryOption(q, WINHTTP_OPTION_HTTP_PROTOCOL_USED, &r->protocol, &size);
}

/* A sync GET; the request handle is closed. */
static void get(HINTERNET s, INTERNET_PORT port, const WCHAR *path, struct result *r)
{
    memset(r, 0, sizeof *r);
    HINTERNET c = WinHttpConnect(s, L"localhost", port, 0);
    HINTERNET q = c ? WinHttpOpenRequest(c, L"GET", path, NULL, WINHTTP_NO_REFERER, WINHTTP_DEFAULT_ACCEPT_TYPES,
                                         WINHTTP_FLAG_SECURE)
                    : NULL;
    BOOL ok = q && WinHttpSendRequest(q, WINHTTP_NO_ADDITIONAL_HEADERS, 0, WINHTTP_NO_REQUEST_DATA, 0, 0, 0) &&
              WinHttpReceiveResponse(q, NULL);
    if (ok) {
        head_of(q, r);
        ok = read_all(q, r);
    }
    r->error = ok ? 0 : GetLastError();
    if (q)
        WinHttpCloseHandle(q);
    if (c)
        WinHttpCloseHandle(c);
}

/* ---- option values ---- */

static void test_option_values(void)
{
    HINTERNET s = open_session(0);
    HINTERNET c = WinHttpConnect(s, L"localhost", 443, 0);
    HINTERNET q = WinHttpOpenRequest(c, L"GET", L"/", NULL, WINHTTP_NO_REFERER, WINHTTP_DEFAULT_ACCEPT_TYPES,
                                     WINHTTP_FLAG_SECURE);
    CHECK(s && c && q);
    DWORD v, size;

    /* HTTP2_KEEPALIVE: milliseconds, on a session, at least 5000. */
    v = 4999;
    CHECK_FAILS(WinHttpSetOption(s, WINHTTP_OPTION_HTTP2_KEEPALIVE, &v, sizeof v), ERROR_INVALID_PARAMETER);
    v = 0;
    CHECK_FAILS(WinHttpSetOption(s, WINHTTP_OPTION_HTTP2_KEEPALIVE, &v, sizeof v), ERROR_INVALID_PARAMETER);
    v = 5000;
    CHECK_FAILS(WinHttpSetOption(s, WINHTTP_OPTION_HTTP2_KEEPALIVE, &v, 2), ERROR_INSUFFICIENT_BUFFER);
    CHECK_OK(WinHttpSetOption(s, WINHTTP_OPTION_HTTP2_KEEPALIVE, &v, sizeof v));
    v = 0;
    size = sizeof v;
    CHECK_OK(WinHttpQueryOption(s, WINHTTP_OPTION_HTTP2_KEEPALIVE, &v, &size));
    CHECK_EQ(v, 5000);
    CHECK_EQ(size, sizeof v);
    v = 60000;
    CHECK_OK(WinHttpSetOption(s, WINHTTP_OPTION_HTTP2_KEEPALIVE, &v, sizeof v));
    size = sizeof v;
    v = 0;
    CHECK_OK(WinHttpQueryOption(s, WINHTTP_OPTION_HTTP2_KEEPALIVE, &v, &size));
    CHECK_EQ(v, 60000);
    /* The wrong handle types. */
    v = 5000;
    CHECK_FAILS(WinHttpSetOption(c, WINHTTP_OPTION_HTTP2_KEEPALIVE, &v, sizeof v),
                ERROR_WINHTTP_INCORRECT_HANDLE_TYPE);
    CHECK_FAILS(WinHttpSetOption(q, WINHTTP_OPTION_HTTP2_KEEPALIVE, &v, sizeof v),
                ERROR_WINHTTP_INCORRECT_HANDLE_TYPE);
    size = sizeof v;
    CHECK_FAILS(WinHttpQueryOption(q, WINHTTP_OPTION_HTTP2_KEEPALIVE, &v, &size),
                ERROR_WINHTTP_INCORRECT_HANDLE_TYPE);

    /* DISABLE_STREAM_QUEUE: a BOOL, on a session or a request. */
    BOOL b = TRUE;
    CHECK_OK(WinHttpSetOption(s, WINHTTP_OPTION_DISABLE_STREAM_QUEUE, &b, sizeof b));
    CHECK_OK(WinHttpSetOption(q, WINHTTP_OPTION_DISABLE_STREAM_QUEUE, &b, sizeof b));
    CHECK_FAILS(WinHttpSetOption(q, WINHTTP_OPTION_DISABLE_STREAM_QUEUE, &b, 2), ERROR_INSUFFICIENT_BUFFER);
    CHECK_FAILS(WinHttpSetOption(c, WINHTTP_OPTION_DISABLE_STREAM_QUEUE, &b, sizeof b),
                ERROR_WINHTTP_INCORRECT_HANDLE_TYPE);
    WinHttpCloseHandle(q);
    WinHttpCloseHandle(c);
    WinHttpCloseHandle(s);
}

/* ---- keep-alive PINGs ---- */

static int pings_of_connection(HINTERNET s)
{
    struct result r;
    get(s, edge_port, L"/pings", &r);
    CHECK_EQ(r.error, 0);
    return r.error ? -1 : atoi(r.body);
}

static void test_keepalive_pings(void)
{
    /* Without the option: an idle connection is not pinged. */
    HINTERNET plain = open_session(0);
    struct result r;
    get(plain, edge_port, L"/hello", &r);
    CHECK_EQ(r.error, 0);
    CHECK_EQ(r.protocol, WINHTTP_PROTOCOL_FLAG_HTTP2);
    sleep_ms(6000);
    CHECK_EQ(pings_of_connection(plain), 0);

    /* With 5 s: the shared connection, idle for 7 s, has been pinged (and answered: it still works). */
    HINTERNET s = open_session(0);
    DWORD v = 5000;
    CHECK_OK(WinHttpSetOption(s, WINHTTP_OPTION_HTTP2_KEEPALIVE, &v, sizeof v));
    get(s, edge_port, L"/hello", &r);
    CHECK_EQ(r.error, 0);
    int before = pings_of_connection(s);
    sleep_ms(7000);
    int after = pings_of_connection(s);
    printf("  PINGs received by the server: %d before the idle time, %d after\n", before, after);
    CHECK(after >= before + 1);
    CHECK(after <= before + 2);

    /* A server that stops answering (its PING ACKs too): the waiting request fails with a connection
     * error once the PING sent after 5 s of silence is not answered within 5 s more, long before the
     * 30 s receive timeout; the next request goes on a new connection. */
    double t0 = now_s();
    get(s, edge_port, L"/mute", &r);
    double took = now_s() - t0;
    printf("  muted server: error %lu after %.1f s\n", (unsigned long)r.error, took);
    CHECK_EQ(r.error, ERROR_WINHTTP_CONNECTION_ERROR);
    CHECK(took >= 9.0 && took < 25.0);
    get(s, edge_port, L"/hello", &r);
    CHECK_EQ(r.error, 0);
    CHECK(strcmp(r.body, "hello from python h2\n") == 0);
    WinHttpCloseHandle(s);
    WinHttpCloseHandle(plain);
}

/* ---- trailers ---- */

static void check_trailers(HINTERNET q)
{
    DWORD len = 0, count = 99;
    PWINHTTP_EXTENDED_HEADER got = NULL;
    /* The body not read to its end yet: no trailers to give. */
    CHECK_EQ(WinHttpQueryHeadersEx(q, WINHTTP_QUERY_EX_ALL_HEADERS | WINHTTP_QUERY_FLAG_TRAILERS, 0, 0, NULL, NULL,
                                   NULL, &len, &got, &count),
             ERROR_SUCCESS);
    CHECK_EQ(count, 0);
    WCHAR value[64];
    DWORD size = sizeof value;
    CHECK_FAILS(WinHttpQueryHeaders(q, WINHTTP_QUERY_CUSTOM | WINHTTP_QUERY_FLAG_TRAILERS, L"x-checksum", value, &size,
                                    WINHTTP_NO_HEADER_INDEX),
                ERROR_WINHTTP_HEADER_NOT_FOUND);
    struct result r;
    memset(&r, 0, sizeof r);
    CHECK(read_all(q, &r));
    CHECK(strcmp(r.body, "body\n") == 0);
    /* WinHttpQueryHeaders reads them too: by name, and the raw level gives the trailer lines only. */
    size = sizeof value;
    CHECK_OK(WinHttpQueryHeaders(q, WINHTTP_QUERY_CUSTOM | WINHTTP_QUERY_FLAG_TRAILERS, L"X-Checksum", value, &size,
                                 WINHTTP_NO_HEADER_INDEX));
    CHECK_WSTR(value, L"abc123");
    size = sizeof value;
    /* Not among the response headers. */
    CHECK_FAILS(WinHttpQueryHeaders(q, WINHTTP_QUERY_CUSTOM, L"x-checksum", value, &size, WINHTTP_NO_HEADER_INDEX),
                ERROR_WINHTTP_HEADER_NOT_FOUND);
    WCHAR raw[256];
    size = sizeof raw;
    CHECK_OK(WinHttpQueryHeaders(q, WINHTTP_QUERY_RAW_HEADERS_CRLF | WINHTTP_QUERY_FLAG_TRAILERS,
                                 WINHTTP_HEADER_NAME_BY_INDEX, raw, &size, WINHTTP_NO_HEADER_INDEX));
    CHECK_WSTR(raw, L"x-checksum: abc123\r\nx-done: yes\r\n\r\n");
    /* Read to the end (ReadData gave 0): the trailers. */
    len = 0;
    CHECK_EQ(WinHttpQueryHeadersEx(q, WINHTTP_QUERY_EX_ALL_HEADERS | WINHTTP_QUERY_FLAG_TRAILERS, 0, 0, NULL, NULL,
                                   NULL, &len, &got, &count),
             ERROR_INSUFFICIENT_BUFFER);
    void *buf = malloc(len);
    CHECK_EQ(WinHttpQueryHeadersEx(q, WINHTTP_QUERY_EX_ALL_HEADERS | WINHTTP_QUERY_FLAG_TRAILERS, 0, 0, NULL, NULL,
                                   buf, &len, &got, &count),
             ERROR_SUCCESS);
    CHECK_EQ(count, 2);
    if (count == 2 && got) {
        CHECK_WSTR(got[0].pwszName, L"x-checksum");
        CHECK_WSTR(got[0].pwszValue, L"abc123");
        CHECK_WSTR(got[1].pwszName, L"x-done");
        CHECK_WSTR(got[1].pwszValue, L"yes");
    }
    free(buf);
    /* One trailer by name; the response headers are not trailers. */
    WINHTTP_HEADER_NAME name;
    name.pwszName = L"X-Done";
    len = 0;
    CHECK_EQ(WinHttpQueryHeadersEx(q, WINHTTP_QUERY_CUSTOM | WINHTTP_QUERY_FLAG_TRAILERS, 0, 0, NULL, &name, NULL,
                                   &len, &got, &count),
             ERROR_INSUFFICIENT_BUFFER);
    name.pwszName = L"trailer";
    len = 0;
    CHECK_EQ(WinHttpQueryHeadersEx(q, WINHTTP_QUERY_CUSTOM | WINHTTP_QUERY_FLAG_TRAILERS, 0, 0, NULL, &name, NULL,
                                   &len, &got, &count),
             ERROR_WINHTTP_HEADER_NOT_FOUND);
}

static void test_trailers_sync(void)
{
    HINTERNET s = open_session(0);
    HINTERNET c = WinHttpConnect(s, L"localhost", edge_port, 0);
    HINTERNET q = WinHttpOpenRequest(c, L"GET", L"/trailers", NULL, WINHTTP_NO_REFERER, WINHTTP_DEFAULT_ACCEPT_TYPES,
                                     WINHTTP_FLAG_SECURE);
    CHECK_OK(WinHttpSendRequest(q, WINHTTP_NO_ADDITIONAL_HEADERS, 0, WINHTTP_NO_REQUEST_DATA, 0, 0, 0));
    CHECK_OK(WinHttpReceiveResponse(q, NULL));
    struct result r;
    memset(&r, 0, sizeof r);
    head_of(q, &r);
    CHECK_EQ(r.status, 200);
    CHECK_EQ(r.protocol, WINHTTP_PROTOCOL_FLAG_HTTP2);
    check_trailers(q);
    WinHttpCloseHandle(q);
    WinHttpCloseHandle(c);
    WinHttpCloseHandle(s);
}

/* HTTP/1.1: Windows gives no trailers there (.NET's WinHttpHandler reads them over HTTP/2 only): the
 * chunked body's trailer (the raw test server's /raw/chunked-trailers) is not listed. */
static void test_no_trailers_http1(INTERNET_PORT raw_port)
{
    HINTERNET s = WinHttpOpen(L"winhttp-h2-options-test", WINHTTP_ACCESS_TYPE_NO_PROXY, WINHTTP_NO_PROXY_NAME,
                              WINHTTP_NO_PROXY_BYPASS, 0);
    HINTERNET c = WinHttpConnect(s, L"localhost", raw_port, 0);
    HINTERNET q = WinHttpOpenRequest(c, L"GET", L"/raw/chunked-trailers", NULL, WINHTTP_NO_REFERER,
                                     WINHTTP_DEFAULT_ACCEPT_TYPES, 0);
    CHECK_OK(WinHttpSendRequest(q, WINHTTP_NO_ADDITIONAL_HEADERS, 0, WINHTTP_NO_REQUEST_DATA, 0, 0, 0));
    CHECK_OK(WinHttpReceiveResponse(q, NULL));
    struct result r;
    memset(&r, 0, sizeof r);
    CHECK(read_all(q, &r));
    CHECK(strcmp(r.body, "123456789") == 0);
    char buf[512];
    DWORD len = sizeof buf, count = 99;
    PWINHTTP_EXTENDED_HEADER got = NULL;
    CHECK_EQ(WinHttpQueryHeadersEx(q, WINHTTP_QUERY_EX_ALL_HEADERS | WINHTTP_QUERY_FLAG_TRAILERS, 0, 0, NULL, NULL,
                                   buf, &len, &got, &count),
             ERROR_SUCCESS);
    CHECK_EQ(count, 0);
    len = sizeof buf;
    CHECK_FAILS(WinHttpQueryHeaders(q, WINHTTP_QUERY_CUSTOM | WINHTTP_QUERY_FLAG_TRAILERS, L"X-Trailer", buf, &len,
                                    WINHTTP_NO_HEADER_INDEX),
                ERROR_WINHTTP_HEADER_NOT_FOUND);
    WinHttpCloseHandle(q);
    WinHttpCloseHandle(c);
    WinHttpCloseHandle(s);
}

/* ---- async plumbing ---- */

static pthread_mutex_t amu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t acv = PTHREAD_COND_INITIALIZER;
static int adone;

struct areq {
    HINTERNET h;
    DWORD error;
    DWORD status;
    char buf[256];
    size_t length;
    int done;
    /* The trailers seen once the body ended (read in the callback, before READ_COMPLETE returns). */
    DWORD trailers;
    WCHAR trailer_value[32];
};

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
        if (!WinHttpReadData(h, a->buf, sizeof a->buf - 1, NULL))
            finish(a, GetLastError());
        break;
    }
    case WINHTTP_CALLBACK_STATUS_READ_COMPLETE:
        if (len == 0) {
            char tb[1024];
            DWORD tl = sizeof tb, count = 0;
            PWINHTTP_EXTENDED_HEADER got = NULL;
            if (WinHttpQueryHeadersEx(h, WINHTTP_QUERY_EX_ALL_HEADERS | WINHTTP_QUERY_FLAG_TRAILERS, 0, 0, NULL, NULL,
                                      tb, &tl, &got, &count) == ERROR_SUCCESS) {
                a->trailers = count;
                if (count > 0 && got) {
                    size_t i = 0;
                    for (; got[0].pwszValue[i] && i + 1 < 32; i++)
                        a->trailer_value[i] = got[0].pwszValue[i];
                    a->trailer_value[i] = 0;
                }
            }
            finish(a, 0);
            break;
        }
        a->length += len;
        if (a->length >= sizeof a->buf - 1)
            a->length = 0;
        if (!WinHttpReadData(h, a->buf + a->length, (DWORD)(sizeof a->buf - 1 - a->length), NULL))
            finish(a, GetLastError());
        break;
    case WINHTTP_CALLBACK_STATUS_REQUEST_ERROR:
        finish(a, ((WINHTTP_ASYNC_RESULT *)info)->dwError);
        break;
    default:
        break;
    }
}

/* Starts n async GETs of path `fmt` (%s: tag, %d: index) on a new async session; waits for all.
 * `no_queue`: WINHTTP_OPTION_DISABLE_STREAM_QUEUE on the session. */
static struct areq *async_batch(const WCHAR *fmt, const char *tag, int n, BOOL no_queue, HINTERNET *session)
{
    HINTERNET s = open_session(WINHTTP_FLAG_ASYNC);
    if (no_queue) {
        BOOL b = TRUE;
        CHECK_OK(WinHttpSetOption(s, WINHTTP_OPTION_DISABLE_STREAM_QUEUE, &b, sizeof b));
    }
    WinHttpSetStatusCallback(s, acb, WINHTTP_CALLBACK_FLAG_ALL_COMPLETIONS, 0);
    HINTERNET c = WinHttpConnect(s, L"localhost", edge_port, 0);
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

static void close_batch(struct areq *reqs, int n, HINTERNET s)
{
    for (int i = 0; i < n; i++)
        WinHttpCloseHandle(reqs[i].h);
    WinHttpCloseHandle(s);
    free(reqs);
}

static void test_trailers_async(void)
{
    HINTERNET s;
    struct areq *a = async_batch(L"/trailers?%s-%d", run_id, 1, FALSE, &s);
    CHECK(a[0].done);
    CHECK_EQ(a[0].error, 0);
    CHECK_EQ(a[0].status, 200);
    CHECK_EQ(a[0].trailers, 2);
    CHECK_WSTR(a[0].trailer_value, L"abc123");
    close_batch(a, 1, s);
}

/* ---- DISABLE_STREAM_QUEUE ---- */

static int connections_of(const char *tag)
{
    HINTERNET s = open_session(0);
    WCHAR path[128];
    harness_swprintf(path, 128, L"/conns?key=%s", tag);
    struct result r;
    get(s, edge_port, path, &r);
    WinHttpCloseHandle(s);
    CHECK_EQ(r.error, 0);
    return r.error ? -1 : atoi(r.body);
}

static void test_stream_queue(void)
{
    char tag[64];
    /* Queued (the default): six streams over one connection with room for two. */
    snprintf(tag, sizeof tag, "sq%s", run_id);
    HINTERNET s;
    struct areq *a = async_batch(L"/slow?key=%s&i=%d", tag, 6, FALSE, &s);
    int good = 0;
    for (int i = 0; i < 6; i++)
        good += a[i].done && a[i].error == 0 && a[i].status == 200;
    CHECK_EQ(good, 6);
    close_batch(a, 6, s);
    int queued = connections_of(tag);
    CHECK_EQ(queued, 1);

    /* Not queued: the requests beyond the limit open more connections. */
    snprintf(tag, sizeof tag, "nq%s", run_id);
    a = async_batch(L"/slow?key=%s&i=%d", tag, 6, TRUE, &s);
    good = 0;
    for (int i = 0; i < 6; i++) {
        good += a[i].done && a[i].error == 0 && a[i].status == 200;
        if (!a[i].done || a[i].error)
            printf("  request %d: done %d, error %lu\n", i, a[i].done, (unsigned long)a[i].error);
    }
    CHECK_EQ(good, 6);
    close_batch(a, 6, s);
    int spread = connections_of(tag);
    printf("  six streams, MAX_CONCURRENT_STREAMS 2: %d connection(s) queued, %d with the queue disabled\n", queued,
           spread);
    CHECK(spread >= 2 && spread <= 6);
}

/* ---- caller-chunked bodies ---- */

/* Chunk-encodes data in chunks of `chunk` bytes (with an extension on the first), into a new
 * buffer; *out_len its length. */
static unsigned char *chunk_encode_with(const unsigned char *data, size_t n, size_t chunk, const char *trailer,
                                        size_t *out_len)
{
    size_t cap = n + (n / chunk + 2) * 32 + 64, o = 0;
    unsigned char *out = malloc(cap);
    for (size_t at = 0; at < n; at += chunk) {
        size_t k = n - at < chunk ? n - at : chunk;
        o += (size_t)snprintf((char *)out + o, cap - o, at == 0 ? "%zx;ext=1\r\n" : "%zX\r\n", k);
        memcpy(out + o, data + at, k);
        o += k;
        out[o++] = '\r';
        out[o++] = '\n';
    }
    o += (size_t)snprintf((char *)out + o, cap - o, "0\r\n%s\r\n", trailer);
    *out_len = o;
    return out;
}

static unsigned char *chunk_encode(const unsigned char *data, size_t n, size_t chunk, size_t *out_len)
{
    return chunk_encode_with(data, n, chunk, "", out_len);
}

/* POSTs `data` (n bytes) chunk-encoded by the caller, written in pieces of `piece` bytes. */
static void chunked_post(HINTERNET s, INTERNET_PORT port, const WCHAR *path, const unsigned char *data, size_t n,
                         size_t piece, const char *trailer, struct result *r)
{
    memset(r, 0, sizeof *r);
    size_t wire_len;
    unsigned char *wire = chunk_encode_with(data, n, 4000, trailer, &wire_len);
    HINTERNET c = WinHttpConnect(s, L"localhost", port, 0);
    HINTERNET q = WinHttpOpenRequest(c, L"POST", path, NULL, WINHTTP_NO_REFERER, WINHTTP_DEFAULT_ACCEPT_TYPES,
                                     WINHTTP_FLAG_SECURE);
    BOOL ok = q && WinHttpSendRequest(q, L"Transfer-Encoding: chunked\r\n", (DWORD)-1L, WINHTTP_NO_REQUEST_DATA, 0,
                                      WINHTTP_IGNORE_REQUEST_TOTAL_LENGTH, 0);
    for (size_t at = 0; ok && at < wire_len;) {
        DWORD k = (DWORD)(wire_len - at < piece ? wire_len - at : piece), wrote = 0;
        ok = WinHttpWriteData(q, wire + at, k, &wrote);
        at += wrote;
    }
    ok = ok && WinHttpReceiveResponse(q, NULL);
    if (ok) {
        head_of(q, r);
        ok = read_all(q, r);
    }
    r->error = ok ? 0 : GetLastError();
    WinHttpCloseHandle(q);
    WinHttpCloseHandle(c);
    free(wire);
}

static void test_caller_chunked(void)
{
    HINTERNET s = open_session(0);
    const size_t n = 100000;
    unsigned char *data = malloc(n);
    for (size_t i = 0; i < n; i++)
        data[i] = (unsigned char)(i * 7 + 3);
    char want[96];
    struct result r;
    /* Small and odd pieces: chunk-size lines and CRLFs split across WinHttpWriteData calls. */
    size_t pieces[] = {1, 7, 4096, 65536};
    if (edge_port) {
        for (size_t p = 0; p < sizeof pieces / sizeof pieces[0]; p++) {
            size_t len = pieces[p] == 1 ? 300 : n;
            chunked_post(s, edge_port, L"/upload-te", data, len, pieces[p], "", &r);
            snprintf(want, sizeof want, "%zu %016llx - -", len, fnv1a64(data, len));
            CHECK_EQ(r.error, 0);
            CHECK_EQ(r.protocol, WINHTTP_PROTOCOL_FLAG_HTTP2);
            if (strcmp(r.body, want) != 0)
                printf("  piece %zu: answer \"%s\", expected \"%s\"\n", pieces[p], r.body, want);
            CHECK(strcmp(r.body, want) == 0);
        }
        /* The caller's trailers after the last chunk: a trailing HEADERS frame. */
        chunked_post(s, edge_port, L"/upload-te", data, 5000, 777, "X-Sum: 42\r\n", &r);
        snprintf(want, sizeof want, "%u %016llx - x-sum=42", 5000u, fnv1a64(data, 5000));
        CHECK_EQ(r.error, 0);
        if (strcmp(r.body, want) != 0)
            printf("  trailers: answer \"%s\", expected \"%s\"\n", r.body, want);
        CHECK(strcmp(r.body, want) == 0);
    } else {
        printf("  skipped: caller-chunked bodies against Python's h2 (not available)\n");
    }
    if (nginx_port) {
        chunked_post(s, nginx_port, L"/upload", data, n, 1000, "", &r);
        snprintf(want, sizeof want, "%zu %016llx", n, fnv1a64(data, n));
        CHECK_EQ(r.error, 0);
        CHECK_EQ(r.status, 200);
        CHECK_EQ(r.protocol, WINHTTP_PROTOCOL_FLAG_HTTP2);
        if (strcmp(r.body, want) != 0)
            printf("  nginx: answer \"%s\", expected \"%s\"\n", r.body, want);
        CHECK(strcmp(r.body, want) == 0);
    } else {
        printf("  skipped: caller-chunked bodies against nginx (not available)\n");
    }
    free(data);
    WinHttpCloseHandle(s);
}

/* The same, async: the chunk-encoded bytes written from the callbacks, one piece per WRITE_COMPLETE. */
struct aup {
    HINTERNET h;
    const unsigned char *wire;
    size_t len, at, piece;
    DWORD error, status;
    char body[256];
    size_t length;
    int done;
};

static void aup_finish(struct aup *a, DWORD error)
{
    pthread_mutex_lock(&amu);
    if (!a->done) {
        a->done = 1;
        a->error = error;
        pthread_cond_broadcast(&acv);
    }
    pthread_mutex_unlock(&amu);
}

static void aup_next(struct aup *a)
{
    if (a->at < a->len) {
        DWORD k = (DWORD)(a->len - a->at < a->piece ? a->len - a->at : a->piece);
        if (!WinHttpWriteData(a->h, a->wire + a->at, k, NULL))
            aup_finish(a, GetLastError());
    } else if (!WinHttpReceiveResponse(a->h, NULL)) {
        aup_finish(a, GetLastError());
    }
}

static void CALLBACK upload_cb(HINTERNET h, DWORD_PTR ctx, DWORD status, LPVOID info, DWORD len)
{
    struct aup *a = (struct aup *)ctx;
    (void)h;
    if (!a)
        return;
    switch (status) {
    case WINHTTP_CALLBACK_STATUS_SENDREQUEST_COMPLETE:
        aup_next(a);
        break;
    case WINHTTP_CALLBACK_STATUS_WRITE_COMPLETE:
        a->at += *(DWORD *)info;
        aup_next(a);
        break;
    case WINHTTP_CALLBACK_STATUS_HEADERS_AVAILABLE: {
        DWORD size = sizeof a->status;
        WinHttpQueryHeaders(a->h, WINHTTP_QUERY_STATUS_CODE | WINHTTP_QUERY_FLAG_NUMBER,
                            WINHTTP_HEADER_NAME_BY_INDEX, &a->status, &size, WINHTTP_NO_HEADER_INDEX);
        if (!WinHttpReadData(a->h, a->body, sizeof a->body - 1, NULL))
            aup_finish(a, GetLastError());
        break;
    }
    case WINHTTP_CALLBACK_STATUS_READ_COMPLETE:
        if (len == 0) {
            aup_finish(a, 0);
            break;
        }
        a->length += len;
        if (a->length >= sizeof a->body - 1 ||
            !WinHttpReadData(a->h, a->body + a->length, (DWORD)(sizeof a->body - 1 - a->length), NULL))
            aup_finish(a, a->length >= sizeof a->body - 1 ? ERROR_INSUFFICIENT_BUFFER : GetLastError());
        break;
    case WINHTTP_CALLBACK_STATUS_REQUEST_ERROR:
        aup_finish(a, ((WINHTTP_ASYNC_RESULT *)info)->dwError);
        break;
    default:
        break;
    }
}

static void test_caller_chunked_async(void)
{
    const size_t n = 50000;
    unsigned char *data = malloc(n);
    for (size_t i = 0; i < n; i++)
        data[i] = (unsigned char)(i * 11 + 5);
    size_t wire_len;
    unsigned char *wire = chunk_encode(data, n, 3000, &wire_len);
    HINTERNET s = open_session(WINHTTP_FLAG_ASYNC);
    WinHttpSetStatusCallback(s, upload_cb, WINHTTP_CALLBACK_FLAG_ALL_COMPLETIONS, 0);
    HINTERNET c = WinHttpConnect(s, L"localhost", edge_port, 0);
    struct aup a;
    memset(&a, 0, sizeof a);
    a.wire = wire;
    a.len = wire_len;
    a.piece = 333;
    a.h = WinHttpOpenRequest(c, L"POST", L"/upload-te", NULL, WINHTTP_NO_REFERER, WINHTTP_DEFAULT_ACCEPT_TYPES,
                             WINHTTP_FLAG_SECURE);
    DWORD_PTR ctx = (DWORD_PTR)&a;
    WinHttpSetOption(a.h, WINHTTP_OPTION_CONTEXT_VALUE, &ctx, sizeof ctx);
    if (!WinHttpSendRequest(a.h, L"Transfer-Encoding: chunked\r\n", (DWORD)-1L, WINHTTP_NO_REQUEST_DATA, 0,
                            WINHTTP_IGNORE_REQUEST_TOTAL_LENGTH, ctx))
        aup_finish(&a, GetLastError());
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 60;
    pthread_mutex_lock(&amu);
    while (!a.done && pthread_cond_timedwait(&acv, &amu, &until) == 0) {
    }
    int done = a.done;
    pthread_mutex_unlock(&amu);
    CHECK(done);
    char want[96];
    snprintf(want, sizeof want, "%zu %016llx - -", n, fnv1a64(data, n));
    CHECK_EQ(a.error, 0);
    CHECK_EQ(a.status, 200);
    a.body[a.length] = 0;
    if (strcmp(a.body, want) != 0)
        printf("  async: answer \"%s\", expected \"%s\"\n", a.body, want);
    CHECK(strcmp(a.body, want) == 0);
    if (done) {
        WinHttpCloseHandle(a.h);
        WinHttpCloseHandle(c);
        WinHttpCloseHandle(s);
        free(wire);
        free(data);
    }
}

int main(void)
{
    edge_port = (INTERNET_PORT)harness_env_int("WINHTTP_TEST_H2_EDGE_PORT", 0);
    nginx_port = (INTERNET_PORT)harness_env_int("WINHTTP_TEST_NGINX_H2_PORT", 0);
    snprintf(run_id, sizeof run_id, "%ld-%ld", (long)getpid(), (long)time(NULL));
    test_option_values();
    INTERNET_PORT raw_port = (INTERNET_PORT)harness_env_int("WINHTTP_TEST_RAW_PORT", 0);
    if (raw_port)
        test_no_trailers_http1(raw_port);
    test_caller_chunked();
    if (!edge_port) {
        printf("  skipped: HTTP/2 keep-alive, trailers and stream queue (python3 with h2 not available)\n");
        return harness_report();
    }
    test_caller_chunked_async();
    test_trailers_sync();
    test_trailers_async();
    test_stream_queue();
    test_keepalive_pings();
    return harness_report();
}
