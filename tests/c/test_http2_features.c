/*
 * HTTP/2 (issue 16): the request features that work on a stream as on HTTP/1.1, sync and async.
 * Peers: nginx with HTTP/2 over TLS (WINHTTP_TEST_NGINX_H2_PORT: /static/ and /gz/ with
 * `gzip on` from a directory, the rest proxied to the test HTTP/1.1 server, its access log in
 * WINHTTP_TEST_NGINX_LOG), Python's h2 (WINHTTP_TEST_H2_EDGE_PORT, tests/support/h2_server.py:
 * coded bodies, challenges, cookies) and squid (WINHTTP_TEST_SQUID_PORT, Basic user/pwd, its
 * access log in WINHTTP_TEST_SQUID_LOG). A part whose peer is missing skips, saying so.
 *
 * Covered:
 *  - WINHTTP_OPTION_DECOMPRESSION on a stream: the head asks for gzip (nginx compresses, Python's
 *    server only answers gzip when asked), the body comes decoded through QueryDataAvailable/
 *    ReadData (every read of what QDA reported gives all of it) and through reads alone, the
 *    Content-Encoding and Content-Length fields are gone; without the option nothing is decoded
 *    (a caller's own Accept-Encoding gets the gzip bytes as they are); a corrupt and a truncated
 *    gzip body fail the read with ERROR_WINHTTP_INVALID_SERVER_RESPONSE, and the connection's
 *    other streams go on; four decoded bodies read at once from four threads share one connection.
 *  - Through a CONNECT tunnel (squid): h2 in ALPN inside the tunnel, HTTP_PROTOCOL_USED says
 *    HTTP/2; tunnelled and direct HTTP/2 connections are kept apart by the pool (nginx's log: the
 *    tunnelled requests share one connection, the direct ones another), and squid's log shows one
 *    tunnel for all the tunnelled requests.
 *  - Authentication on a stream: Basic (the test server behind nginx, and Python's h2) and Digest
 *    (Python's h2, checked there with hashlib) answered from the credential options within one
 *    WinHttpReceiveResponse; NTLM: the 401 comes over HTTP/2 and is the caller's, the answer
 *    (WinHttpSetCredentials, send again) goes over HTTP/1.1, as WinHTTP does; the route's next
 *    request is HTTP/2 again.
 *  - Cookies: several set-cookie fields of one HTTP/2 response are all recorded; the next stream
 *    sends them with a caller's own Cookie; through nginx the backend sees them.
 *
 * c_suite: alone (it reads nginx's and squid's access logs, which every program's requests reach).
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
#include <stdlib.h>
#include <string.h>

static INTERNET_PORT nginx_port, edge_port, squid_port;
static const char *nginx_log, *squid_log;
static char run_id[32];
static int is_async;

static HINTERNET open_session(const WCHAR *proxy)
{
    HINTERNET s = proxy ? WinHttpOpen(L"winhttp-h2-features", WINHTTP_ACCESS_TYPE_NAMED_PROXY, proxy,
                                      WINHTTP_NO_PROXY_BYPASS, is_async ? WINHTTP_FLAG_ASYNC : 0)
                        : WinHttpOpen(L"winhttp-h2-features", WINHTTP_ACCESS_TYPE_NO_PROXY, WINHTTP_NO_PROXY_NAME,
                                      WINHTTP_NO_PROXY_BYPASS, is_async ? WINHTTP_FLAG_ASYNC : 0);
    CHECK(s != NULL);
    DWORD v = WINHTTP_PROTOCOL_FLAG_HTTP2;
    CHECK_OK(WinHttpSetOption(s, WINHTTP_OPTION_ENABLE_HTTP_PROTOCOL, &v, sizeof v));
    return s;
}

/* What one exchange asks for. */
struct spec {
    const WCHAR *path;
    const WCHAR *headers;  /* added to the request, or NULL */
    DWORD decompression;   /* WINHTTP_OPTION_DECOMPRESSION, 0: not set */
    const WCHAR *user;     /* WINHTTP_OPTION_USERNAME/PASSWORD, or NULL */
    const WCHAR *password;
    const WCHAR *proxy_user; /* WINHTTP_OPTION_PROXY_USERNAME/PASSWORD, or NULL */
    const WCHAR *proxy_password;
    DWORD read_size; /* 0: QueryDataAvailable then ReadData of what it said; else ReadData alone */
};

struct result {
    DWORD error;
    DWORD status;
    DWORD protocol;
    DWORD encoding_error; /* the error of querying Content-Encoding (0: it is there) */
    DWORD length_error;   /* the error of querying Content-Length (0: it is there) */
    WCHAR encoding[64];
    int short_reads; /* reads that gave less than QueryDataAvailable reported */
    unsigned char *body;
    size_t length, cap;
};

static void free_result(struct result *r)
{
    free(r->body);
    memset(r, 0, sizeof *r);
}

static void grow(struct result *r, size_t more)
{
    if (r->length + more + 1 > r->cap) {
        r->cap = (r->length + more + 1) * 2;
        r->body = realloc(r->body, r->cap);
    }
}

static void query_head(HINTERNET q, struct result *r)
{
    DWORD size = sizeof r->status;
    WinHttpQueryHeaders(q, WINHTTP_QUERY_STATUS_CODE | WINHTTP_QUERY_FLAG_NUMBER, WINHTTP_HEADER_NAME_BY_INDEX,
                        &r->status, &size, WINHTTP_NO_HEADER_INDEX);
    size = sizeof r->protocol;
    CHECK_OK(WinHttpQueryOption(q, WINHTTP_OPTION_HTTP_PROTOCOL_USED, &r->protocol, &size));
    size = sizeof r->encoding;
    r->encoding_error = WinHttpQueryHeaders(q, WINHTTP_QUERY_CONTENT_ENCODING, WINHTTP_HEADER_NAME_BY_INDEX,
                                            r->encoding, &size, WINHTTP_NO_HEADER_INDEX)
                            ? 0
                            : GetLastError();
    DWORD length = 0;
    size = sizeof length;
    r->length_error = WinHttpQueryHeaders(q, WINHTTP_QUERY_CONTENT_LENGTH | WINHTTP_QUERY_FLAG_NUMBER,
                                          WINHTTP_HEADER_NAME_BY_INDEX, &length, &size, WINHTTP_NO_HEADER_INDEX)
                          ? 0
                          : GetLastError();
}

static void set_str(HINTERNET h, DWORD option, const WCHAR *value)
{
    CHECK_OK(WinHttpSetOption(h, option, (LPVOID)value, (DWORD)harness_wcslen(value)));
}

static void set_options(HINTERNET q, const struct spec *sp)
{
    if (sp->decompression)
        CHECK_OK(WinHttpSetOption(q, WINHTTP_OPTION_DECOMPRESSION, (LPVOID)&sp->decompression, sizeof(DWORD)));
    if (sp->user) {
        set_str(q, WINHTTP_OPTION_USERNAME, sp->user);
        set_str(q, WINHTTP_OPTION_PASSWORD, sp->password);
    }
    if (sp->proxy_user) {
        set_str(q, WINHTTP_OPTION_PROXY_USERNAME, sp->proxy_user);
        set_str(q, WINHTTP_OPTION_PROXY_PASSWORD, sp->proxy_password);
    }
}

/* ---- async: one request driven by its callback ---------------------------------------------- */

struct async_run {
    const struct spec *sp;
    struct result *r;
    DWORD asked; /* what the last QueryDataAvailable reported (or the read size) */
    int done;
};

static pthread_mutex_t amu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t acv = PTHREAD_COND_INITIALIZER;

static void async_finish(struct async_run *a, DWORD error)
{
    pthread_mutex_lock(&amu);
    if (!a->done) {
        a->r->error = error;
        a->done = 1;
        pthread_cond_broadcast(&acv);
    }
    pthread_mutex_unlock(&amu);
}

static void async_next_read(HINTERNET h, struct async_run *a)
{
    BOOL ok;
    if (a->sp->read_size) {
        a->asked = a->sp->read_size;
        grow(a->r, a->asked);
        ok = WinHttpReadData(h, a->r->body + a->r->length, a->asked, NULL);
    } else {
        ok = WinHttpQueryDataAvailable(h, NULL);
    }
    if (!ok)
        async_finish(a, GetLastError());
}

static void CALLBACK async_cb(HINTERNET h, DWORD_PTR ctx, DWORD status, LPVOID info, DWORD len)
{
    struct async_run *a = (struct async_run *)ctx;
    if (!a)
        return;
    switch (status) {
    case WINHTTP_CALLBACK_STATUS_SENDREQUEST_COMPLETE:
        if (!WinHttpReceiveResponse(h, NULL))
            async_finish(a, GetLastError());
        break;
    case WINHTTP_CALLBACK_STATUS_HEADERS_AVAILABLE:
        query_head(h, a->r);
        async_next_read(h, a);
        break;
    case WINHTTP_CALLBACK_STATUS_DATA_AVAILABLE: {
        DWORD n = *(DWORD *)info;
        if (n == 0) {
            async_finish(a, 0);
            break;
        }
        a->asked = n;
        grow(a->r, n);
        if (!WinHttpReadData(h, a->r->body + a->r->length, n, NULL))
            async_finish(a, GetLastError());
        break;
    }
    case WINHTTP_CALLBACK_STATUS_READ_COMPLETE:
        if (len == 0) {
            async_finish(a, 0);
            break;
        }
        if (!a->sp->read_size && len < a->asked)
            a->r->short_reads++;
        a->r->length += len;
        async_next_read(h, a);
        break;
    case WINHTTP_CALLBACK_STATUS_REQUEST_ERROR:
        async_finish(a, ((WINHTTP_ASYNC_RESULT *)info)->dwError);
        break;
    default:
        break;
    }
}

/* One exchange (GET) on `session` to localhost:`port`, in the session's mode. */
static void run(HINTERNET session, INTERNET_PORT port, const struct spec *sp, struct result *r)
{
    memset(r, 0, sizeof *r);
    HINTERNET c = WinHttpConnect(session, L"localhost", port, 0);
    HINTERNET q = c ? WinHttpOpenRequest(c, L"GET", sp->path, NULL, WINHTTP_NO_REFERER, WINHTTP_DEFAULT_ACCEPT_TYPES,
                                         WINHTTP_FLAG_SECURE)
                    : NULL;
    CHECK(q != NULL);
    if (!q) {
        r->error = GetLastError();
        if (c)
            WinHttpCloseHandle(c);
        return;
    }
    set_options(q, sp);
    const WCHAR *headers = sp->headers ? sp->headers : WINHTTP_NO_ADDITIONAL_HEADERS;
    DWORD headers_len = sp->headers ? (DWORD)-1L : 0;
    if (is_async) {
        struct async_run a = {sp, r, 0, 0};
        WinHttpSetStatusCallback(q, async_cb, WINHTTP_CALLBACK_FLAG_ALL_COMPLETIONS, 0);
        if (!WinHttpSendRequest(q, headers, headers_len, WINHTTP_NO_REQUEST_DATA, 0, 0, (DWORD_PTR)&a))
            async_finish(&a, GetLastError());
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 60;
        pthread_mutex_lock(&amu);
        while (!a.done && pthread_cond_timedwait(&acv, &amu, &until) == 0) {
        }
        int done = a.done;
        pthread_mutex_unlock(&amu);
        CHECK(done);
        if (!done)
            r->error = ERROR_WINHTTP_TIMEOUT;
    } else {
        BOOL ok = WinHttpSendRequest(q, headers, headers_len, WINHTTP_NO_REQUEST_DATA, 0, 0, 0) &&
                  WinHttpReceiveResponse(q, NULL);
        if (ok)
            query_head(q, r);
        while (ok) {
            DWORD avail = sp->read_size, got = 0;
            if (!sp->read_size) {
                ok = WinHttpQueryDataAvailable(q, &avail);
                if (!ok || avail == 0)
                    break;
            }
            grow(r, avail);
            ok = WinHttpReadData(q, r->body + r->length, avail, &got);
            if (!ok || got == 0)
                break;
            if (!sp->read_size && got < avail)
                r->short_reads++;
            r->length += got;
        }
        r->error = ok ? 0 : GetLastError();
    }
    if (r->body)
        r->body[r->length] = 0;
    WinHttpCloseHandle(q);
    WinHttpCloseHandle(c);
}

static int count_lines(const char *path, const char *a, const char *b)
{
    FILE *f = path ? fopen(path, "r") : NULL;
    if (!f)
        return 0;
    int n = 0;
    char line[2048];
    while (fgets(line, sizeof line, f))
        n += strstr(line, a) != NULL && (!b || strstr(line, b) != NULL);
    fclose(f);
    return n;
}

/* nginx's connection serial of the (first) log line whose request URI contains `tag` (-1: none yet). */
static long nginx_connection(const char *tag)
{
    for (int i = 0; i < 100; i++) {
        FILE *f = fopen(nginx_log, "r");
        char line[1024];
        long id = -1;
        while (f && fgets(line, sizeof line, f))
            if (strstr(line, tag)) {
                id = strtol(line, NULL, 10);
                break;
            }
        if (f)
            fclose(f);
        if (id >= 0)
            return id;
        diag_sleep_ms(20);
    }
    return -1;
}

/* ---- decompression ---------------------------------------------------------------------------- */

/* The lines nginx's lines.txt and Python's /gzip hold. */
static int body_is_lines(const struct result *r, const char *prefix, int n)
{
    size_t at = 0;
    char line[64];
    for (int i = 0; i < n; i++) {
        int k = snprintf(line, sizeof line, "%s%d\n", prefix, i);
        if (at + (size_t)k > r->length || memcmp(r->body + at, line, (size_t)k) != 0)
            return 0;
        at += (size_t)k;
    }
    return at == r->length;
}

static void test_decompression(void)
{
    HINTERNET s = open_session(NULL);
    struct result r;
    struct spec sp = {0};

    /* nginx compresses lines.txt under /gz/ when asked: the option asks, the body comes decoded. */
    sp.path = L"/gz/lines.txt";
    sp.decompression = WINHTTP_DECOMPRESSION_FLAG_ALL;
    run(s, nginx_port, &sp, &r);
    CHECK_EQ(r.error, 0);
    CHECK_EQ(r.status, 200);
    CHECK_EQ(r.protocol, WINHTTP_PROTOCOL_FLAG_HTTP2);
    CHECK_EQ(r.encoding_error, ERROR_WINHTTP_HEADER_NOT_FOUND);
    CHECK_EQ(r.length_error, ERROR_WINHTTP_HEADER_NOT_FOUND);
    CHECK_EQ(r.short_reads, 0);
    CHECK(body_is_lines(&r, "h2 line ", 20000));
    free_result(&r);

    /* Reads alone, in odd sizes. */
    sp.read_size = 777;
    run(s, nginx_port, &sp, &r);
    CHECK_EQ(r.error, 0);
    CHECK(body_is_lines(&r, "h2 line ", 20000));
    free_result(&r);
    sp.read_size = 0;

    /* Without the option nothing asks for gzip: the file as it is. */
    sp.decompression = 0;
    run(s, nginx_port, &sp, &r);
    CHECK_EQ(r.error, 0);
    CHECK_EQ(r.encoding_error, ERROR_WINHTTP_HEADER_NOT_FOUND);
    CHECK_EQ(r.length_error, 0);
    CHECK(body_is_lines(&r, "h2 line ", 20000));
    free_result(&r);

    /* The caller's own Accept-Encoding: the gzip bytes as they came, Content-Encoding shown. */
    sp.headers = L"Accept-Encoding: gzip\r\n";
    run(s, nginx_port, &sp, &r);
    CHECK_EQ(r.error, 0);
    CHECK_EQ(r.encoding_error, 0);
    CHECK_WSTR(r.encoding, L"gzip");
    CHECK(r.length > 2 && r.body[0] == 0x1f && r.body[1] == 0x8b);
    free_result(&r);
    sp.headers = NULL;

    if (!edge_port) {
        printf("  skipped: corrupt and truncated gzip over HTTP/2 (python3 with the h2 package not available)\n");
        WinHttpCloseHandle(s);
        return;
    }
    /* Python's h2 answers gzip only when the request asks for it (in 1000-byte DATA frames). */
    sp.decompression = WINHTTP_DECOMPRESSION_FLAG_GZIP;
    sp.path = L"/gzip?kind=ok&n=20000";
    run(s, edge_port, &sp, &r);
    CHECK_EQ(r.error, 0);
    CHECK_EQ(r.status, 200);
    CHECK_EQ(r.protocol, WINHTTP_PROTOCOL_FLAG_HTTP2);
    CHECK_EQ(r.encoding_error, ERROR_WINHTTP_HEADER_NOT_FOUND);
    CHECK_EQ(r.length_error, ERROR_WINHTTP_HEADER_NOT_FOUND); /* it came with a content-length */
    CHECK_EQ(r.short_reads, 0);
    CHECK(body_is_lines(&r, "line ", 20000));
    free_result(&r);

    /* Corrupt and truncated streams fail the read as on HTTP/1.1; each in both read styles. */
    static const WCHAR *bad[] = {L"/gzip?kind=corrupt&n=20000", L"/gzip?kind=truncated&n=20000"};
    for (int i = 0; i < 4; i++) {
        sp.path = bad[i % 2];
        sp.read_size = i < 2 ? 0 : 4096;
        run(s, edge_port, &sp, &r);
        CHECK_EQ(r.status, 200);
        CHECK_EQ(r.error, ERROR_WINHTTP_INVALID_SERVER_RESPONSE);
        free_result(&r);
    }
    sp.read_size = 0;
    /* The connection's other streams go on. */
    sp.path = L"/gzip?kind=ok&n=10";
    run(s, edge_port, &sp, &r);
    CHECK_EQ(r.error, 0);
    CHECK_EQ(r.protocol, WINHTTP_PROTOCOL_FLAG_HTTP2);
    CHECK(body_is_lines(&r, "line ", 10));
    free_result(&r);
    WinHttpCloseHandle(s);
}

/* Four decoded bodies at once, from four threads: four streams of one connection, interleaved. */
struct decode_job {
    HINTERNET session;
    struct spec sp;
    struct result r;
};

static void *decode_main(void *arg)
{
    struct decode_job *j = arg;
    run(j->session, nginx_port, &j->sp, &j->r);
    return NULL;
}

static void test_concurrent_decoding(void)
{
    HINTERNET s = open_session(NULL);
    struct decode_job jobs[4];
    pthread_t threads[4];
    WCHAR paths[4][96];
    char tag[64];
    snprintf(tag, sizeof tag, "dec-%s-%d", run_id, is_async);
    for (int i = 0; i < 4; i++) {
        memset(&jobs[i], 0, sizeof jobs[i]);
        harness_swprintf(paths[i], 96, L"/gz/lines.txt?%s-%d", tag, i);
        jobs[i].session = s;
        jobs[i].sp.path = paths[i];
        jobs[i].sp.decompression = WINHTTP_DECOMPRESSION_FLAG_GZIP;
        jobs[i].sp.read_size = i % 2 ? 1000 : 0;
        pthread_create(&threads[i], NULL, decode_main, &jobs[i]);
    }
    for (int i = 0; i < 4; i++)
        pthread_join(threads[i], NULL);
    int good = 0;
    for (int i = 0; i < 4; i++) {
        good += jobs[i].r.error == 0 && jobs[i].r.protocol == WINHTTP_PROTOCOL_FLAG_HTTP2 &&
                jobs[i].r.short_reads == 0 && body_is_lines(&jobs[i].r, "h2 line ", 20000);
        free_result(&jobs[i].r);
    }
    CHECK_EQ(good, 4);
    WinHttpCloseHandle(s);
    /* One connection carried them (nginx's log). */
    char one[96];
    long first = -1;
    int same = 1;
    for (int i = 0; i < 4; i++) {
        snprintf(one, sizeof one, "%s-%d ", tag, i);
        long id = nginx_connection(one);
        CHECK(id >= 0);
        if (i == 0)
            first = id;
        same &= id == first;
    }
    CHECK(same);
}

/* ---- a CONNECT tunnel ------------------------------------------------------------------------- */

static void test_tunnel(void)
{
    if (!squid_port || !squid_log) {
        printf("  skipped: HTTP/2 through a CONNECT tunnel (squid not available)\n");
        return;
    }
    char port_text[32], tag[96];
    snprintf(port_text, sizeof port_text, ":%u ", (unsigned)nginx_port);
    /* squid writes a CONNECT's line when its tunnel closes. */
    int before = count_lines(squid_log, "TCP_TUNNEL/200", port_text);
    WCHAR proxy[64], path[160];
    harness_swprintf(proxy, 64, L"127.0.0.1:%u", (unsigned)squid_port);
    HINTERNET direct = open_session(NULL), tunnelled = open_session(proxy);
    struct result r;
    struct spec sp = {0};
    sp.path = path;
    sp.proxy_user = L"user";
    sp.proxy_password = L"pwd";
    static const char *names[] = {"direct-1", "tunnel-1", "tunnel-2", "direct-2", "tunnel-3"};
    long conn[5];
    for (int i = 0; i < 5; i++) {
        int tunnel = names[i][0] == 't';
        snprintf(tag, sizeof tag, "tun-%s-%d-%s", run_id, is_async, names[i]);
        harness_swprintf(path, 160, L"/static/hello.txt?%s", tag);
        run(tunnel ? tunnelled : direct, nginx_port, &sp, &r);
        CHECK_EQ(r.error, 0);
        CHECK_EQ(r.status, 200);
        CHECK_EQ(r.protocol, WINHTTP_PROTOCOL_FLAG_HTTP2);
        CHECK(r.body && strcmp((char *)r.body, "hello over h2\n") == 0);
        free_result(&r);
        conn[i] = nginx_connection(tag);
        CHECK(conn[i] >= 0);
    }
    /* Two HTTP/2 connections to the one origin: direct and through the tunnel, each shared. */
    CHECK(conn[1] == conn[2] && conn[2] == conn[4]);
    CHECK(conn[0] == conn[3]);
    CHECK(conn[0] != conn[1]);
    WinHttpCloseHandle(tunnelled);
    WinHttpCloseHandle(direct);
    /* Every handle closed: the idle connections close now, and squid logs its tunnel. */
    wait_nothing_live(5000);
#ifdef WINHTTP_OPTION_PORTABLE_CLOSE_IDLE_CONNECTIONS
    CHECK_OK(WinHttpSetOption(NULL, WINHTTP_OPTION_PORTABLE_CLOSE_IDLE_CONNECTIONS, NULL, 0));
#endif
    int tunnels = 0;
    for (int i = 0; i < 150; i++) {
        tunnels = count_lines(squid_log, "TCP_TUNNEL/200", port_text) - before;
        if (tunnels >= 1 && i > 10)
            break;
        diag_sleep_ms(20);
    }
    CHECK_EQ(tunnels, 1);
}

/* ---- authentication --------------------------------------------------------------------------- */

static void test_auth(void)
{
    HINTERNET s = open_session(NULL);
    struct result r;
    struct spec sp = {0};

    /* Basic, answered by the test server behind nginx: the credential options answer the 401
     * within one WinHttpReceiveResponse, on a new stream. */
    sp.path = L"/auth/basic";
    sp.user = L"user";
    sp.password = L"pwd";
    run(s, nginx_port, &sp, &r);
    CHECK_EQ(r.error, 0);
    CHECK_EQ(r.status, 200);
    CHECK_EQ(r.protocol, WINHTTP_PROTOCOL_FLAG_HTTP2);
    CHECK(r.body && strcmp((char *)r.body, "hello world") == 0);
    free_result(&r);
    sp.password = L"wrong";
    run(s, nginx_port, &sp, &r);
    CHECK_EQ(r.error, 0);
    CHECK_EQ(r.status, 401);
    free_result(&r);

    if (!edge_port) {
        printf("  skipped: Digest and NTLM over HTTP/2 (python3 with the h2 package not available)\n");
        WinHttpCloseHandle(s);
        return;
    }
    sp.password = L"pwd";
    run(s, edge_port, &sp, &r);
    CHECK_EQ(r.error, 0);
    CHECK_EQ(r.status, 200);
    CHECK_EQ(r.protocol, WINHTTP_PROTOCOL_FLAG_HTTP2);
    CHECK(r.body && strcmp((char *)r.body, "basic ok\n") == 0);
    free_result(&r);
    /* Digest MD5 qop=auth, checked by the server. */
    sp.path = L"/auth/digest";
    run(s, edge_port, &sp, &r);
    CHECK_EQ(r.error, 0);
    CHECK_EQ(r.status, 200);
    CHECK_EQ(r.protocol, WINHTTP_PROTOCOL_FLAG_HTTP2);
    CHECK(r.body && strcmp((char *)r.body, "digest ok\n") == 0);
    free_result(&r);
    sp.password = L"wrong";
    run(s, edge_port, &sp, &r);
    CHECK_EQ(r.status, 401);
    free_result(&r);

    /* NTLM from the options: the 401 came over HTTP/2, the answer goes over HTTP/1.1 (where
     * Python's fallback answers 200 naming the scheme it received). */
    sp.path = L"/auth/ntlm";
    sp.user = L"CORP\\alice";
    sp.password = L"S3cret-p4ss";
    run(s, edge_port, &sp, &r);
    CHECK_EQ(r.error, 0);
    CHECK_EQ(r.status, 200);
    CHECK_EQ(r.protocol, 0);
    CHECK(r.body && strcmp((char *)r.body, "over http/1.1 auth=NTLM\n") == 0);
    if (r.body && strcmp((char *)r.body, "over http/1.1 auth=NTLM\n") != 0)
        printf("  NTLM answer: %s", (char *)r.body);
    free_result(&r);

    /* The route stays HTTP/2 for requests without a connection-based answer. */
    memset(&sp, 0, sizeof sp);
    sp.path = L"/hello";
    run(s, edge_port, &sp, &r);
    CHECK_EQ(r.status, 200);
    CHECK_EQ(r.protocol, WINHTTP_PROTOCOL_FLAG_HTTP2);
    free_result(&r);
    WinHttpCloseHandle(s);

    if (is_async)
        return;
    /* The caller's way: the 401 over HTTP/2 with its scheme, WinHttpSetCredentials, send again on
     * the handle: that leg goes over HTTP/1.1. */
    s = open_session(NULL);
    HINTERNET c = WinHttpConnect(s, L"localhost", edge_port, 0);
    HINTERNET q = WinHttpOpenRequest(c, L"GET", L"/auth/ntlm", NULL, WINHTTP_NO_REFERER,
                                     WINHTTP_DEFAULT_ACCEPT_TYPES, WINHTTP_FLAG_SECURE);
    CHECK(WinHttpSendRequest(q, WINHTTP_NO_ADDITIONAL_HEADERS, 0, WINHTTP_NO_REQUEST_DATA, 0, 0, 0) &&
          WinHttpReceiveResponse(q, NULL));
    memset(&r, 0, sizeof r);
    query_head(q, &r);
    CHECK_EQ(r.status, 401);
    CHECK_EQ(r.protocol, WINHTTP_PROTOCOL_FLAG_HTTP2);
    DWORD supported = 0, first = 0, target = 0;
    CHECK_OK(WinHttpQueryAuthSchemes(q, &supported, &first, &target));
    CHECK_EQ(supported, WINHTTP_AUTH_SCHEME_NTLM);
    CHECK_EQ(target, WINHTTP_AUTH_TARGET_SERVER);
    CHECK_OK(WinHttpSetCredentials(q, WINHTTP_AUTH_TARGET_SERVER, WINHTTP_AUTH_SCHEME_NTLM, L"CORP\\alice",
                                   L"S3cret-p4ss", NULL));
    CHECK(WinHttpSendRequest(q, WINHTTP_NO_ADDITIONAL_HEADERS, 0, WINHTTP_NO_REQUEST_DATA, 0, 0, 0) &&
          WinHttpReceiveResponse(q, NULL));
    query_head(q, &r);
    CHECK_EQ(r.status, 200);
    CHECK_EQ(r.protocol, 0);
    char body[128] = {0};
    DWORD got = 0;
    CHECK_OK(WinHttpReadData(q, body, sizeof body - 1, &got));
    CHECK(strcmp(body, "over http/1.1 auth=NTLM\n") == 0);
    WinHttpCloseHandle(q);
    WinHttpCloseHandle(c);
    WinHttpCloseHandle(s);
}

/* ---- cookies ---------------------------------------------------------------------------------- */

static void test_cookies(void)
{
    struct result r;
    struct spec sp = {0};
    HINTERNET s = open_session(NULL);
    /* Through nginx to the test server: its Set-Cookie recorded from the HTTP/2 response, then
     * sent on the next stream, seen by the backend (nginx joins cookie fields for HTTP/1.1). */
    WCHAR path[128];
    char want[96];
    harness_swprintf(path, 128, L"/set-cookie?ng%d=%s", is_async, run_id);
    sp.path = path;
    run(s, nginx_port, &sp, &r);
    CHECK_EQ(r.status, 200);
    CHECK_EQ(r.protocol, WINHTTP_PROTOCOL_FLAG_HTTP2);
    free_result(&r);
    sp.path = L"/echo";
    run(s, nginx_port, &sp, &r);
    CHECK_EQ(r.status, 200);
    snprintf(want, sizeof want, "ng%d=%s", is_async, run_id);
    CHECK(r.body && strstr((char *)r.body, want) != NULL);
    free_result(&r);

    if (!edge_port) {
        printf("  skipped: several set-cookie fields over HTTP/2 (python3 with the h2 package not available)\n");
        WinHttpCloseHandle(s);
        return;
    }
    /* Three set-cookie fields in one HTTP/2 response: all recorded. */
    sp.path = L"/cookies/set";
    run(s, edge_port, &sp, &r);
    CHECK_EQ(r.status, 200);
    CHECK_EQ(r.protocol, WINHTTP_PROTOCOL_FLAG_HTTP2);
    free_result(&r);
    sp.path = L"/cookies/echo";
    sp.headers = L"Cookie: mine=0\r\n";
    run(s, edge_port, &sp, &r);
    CHECK_EQ(r.status, 200);
    static const char *crumbs[] = {"mine=0", "h2a=1", "h2b=2", "h2c=3"};
    int seen = 0;
    for (int i = 0; i < 4; i++)
        seen += r.body && strstr((char *)r.body, crumbs[i]) != NULL;
    CHECK_EQ(seen, 4);
    if (seen != 4)
        printf("  cookies the server saw: %s\n", r.body ? (char *)r.body : "(none)");
    free_result(&r);
    WinHttpCloseHandle(s);
}

int main(void)
{
    nginx_port = (INTERNET_PORT)harness_env_int("WINHTTP_TEST_NGINX_H2_PORT", 0);
    edge_port = (INTERNET_PORT)harness_env_int("WINHTTP_TEST_H2_EDGE_PORT", 0);
    squid_port = (INTERNET_PORT)harness_env_int("WINHTTP_TEST_SQUID_PORT", 0);
    nginx_log = getenv("WINHTTP_TEST_NGINX_LOG");
    squid_log = getenv("WINHTTP_TEST_SQUID_LOG");
    snprintf(run_id, sizeof run_id, "%ld-%ld", (long)getpid(), (long)time(NULL));
    if (!nginx_port || !nginx_log) {
        printf("  skipped: HTTP/2 feature tests (nginx not available)\n");
        return harness_report();
    }
    for (is_async = 0; is_async < 2; is_async++) {
        printf("%s\n", is_async ? "async" : "sync");
        test_decompression();
        test_concurrent_decoding();
        test_tunnel();
        test_auth();
        test_cookies();
    }
    check_nothing_left("the HTTP/2 feature tests", 5000);
    return harness_report();
}
