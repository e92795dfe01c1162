/*
 * Benchmark client "ours": the WinHTTP API as a Windows developer writes it. One session, one
 * connect handle, a request handle per GET; the body is read with QueryDataAvailable/ReadData
 * (small GETs, as in Microsoft's sample) or with a ReadData loop into one fixed buffer
 * (downloads); uploads stream through WinHttpWriteData in fixed-size pieces.
 * The concurrent mode is async (WINHTTP_FLAG_ASYNC), written like examples/async_get.c: one session
 * with WINHTTP_OPTION_MAX_CONNS_PER_SERVER unlimited and one status callback, every request opened
 * and sent at once from the main thread, each completion starting the next call from the callback
 * (ReceiveResponse, QueryDataAvailable, ReadData, ...), the request handle closed from the callback
 * when its body is read; the main thread waits for the last HANDLE_CLOSING. Every request has
 * WINHTTP_DISABLE_KEEP_ALIVE ("Connection: close"): the first responses arrive while later requests
 * are still being started, and without it those would reuse the pooled connections (measured: 1,230
 * connections for 10,000 requests) instead of opening their own. libcurl sends the same header.
 * `concurrent ... N hold` (client "ours_held") keeps every request in flight at once, as libcurl's
 * loop does by itself (it opens all connections before it reads any response): a request whose
 * SENDREQUEST_COMPLETE arrives before the last one is sent is parked, and the main thread calls
 * WinHttpReceiveResponse for the parked ones after the last send. It measures RSS per in-flight
 * request when all N really are in flight.
 * HTTPS (modes https-gets, https-download, https-handshakes): the same code with WINHTTP_FLAG_SECURE
 * on every WinHttpOpenRequest; nothing else is set (default protocols, full verification against
 * the roots SSL_CERT_FILE / SSL_CERT_DIR name). The handshakes mode sets WINHTTP_DISABLE_KEEP_ALIVE
 * on each request ("Connection: close", and the connection is not pooled), so every GET opens a
 * new TCP and TLS connection.
 * See common.h for the command line and the output line.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include <winhttp.h>

#include "common.h"

static void to_wide(const char *s, WCHAR *out, size_t cap)
{
    size_t n = mbstowcs(out, s, cap - 1);
    out[n == (size_t)-1 ? 0 : n] = 0;
}

static void fail(const char *what)
{
    fprintf(stderr, "bench_winhttp: %s failed: error %lu\n", what, (unsigned long)GetLastError());
    exit(1);
}

static DWORD status_of(HINTERNET hRequest)
{
    DWORD status = 0, size = sizeof(status);
    if (!WinHttpQueryHeaders(hRequest, WINHTTP_QUERY_STATUS_CODE | WINHTTP_QUERY_FLAG_NUMBER,
                             WINHTTP_HEADER_NAME_BY_INDEX, &status, &size, WINHTTP_NO_HEADER_INDEX))
        fail("WinHttpQueryHeaders");
    return status;
}

static DWORD open_flags; /* WINHTTP_FLAG_SECURE for the https- modes */

static HINTERNET open_request(HINTERNET hConnect, const WCHAR *verb, const WCHAR *path)
{
    HINTERNET h =
        WinHttpOpenRequest(hConnect, verb, path, NULL, WINHTTP_NO_REFERER, WINHTTP_DEFAULT_ACCEPT_TYPES, open_flags);
    if (!h)
        fail("WinHttpOpenRequest");
    return h;
}

/* One GET: send, receive, check the status, drain the body with QueryDataAvailable/ReadData.
 * `close`: WINHTTP_DISABLE_KEEP_ALIVE, so the GET has a connection of its own. */
static unsigned long long one_get(HINTERNET hConnect, const WCHAR *path, char *buf, DWORD bufsize, int close)
{
    unsigned long long total = 0;
    DWORD avail = 0, got = 0, no_keep_alive = WINHTTP_DISABLE_KEEP_ALIVE;
    HINTERNET hRequest = open_request(hConnect, L"GET", path);
    if (close && !WinHttpSetOption(hRequest, WINHTTP_OPTION_DISABLE_FEATURE, &no_keep_alive, sizeof(no_keep_alive)))
        fail("WinHttpSetOption(DISABLE_FEATURE)");
    if (!WinHttpSendRequest(hRequest, WINHTTP_NO_ADDITIONAL_HEADERS, 0, WINHTTP_NO_REQUEST_DATA, 0, 0, 0))
        fail("WinHttpSendRequest");
    if (!WinHttpReceiveResponse(hRequest, NULL))
        fail("WinHttpReceiveResponse");
    if (status_of(hRequest) != 200)
        bench_die("GET: status is not 200");
    do {
        avail = 0;
        if (!WinHttpQueryDataAvailable(hRequest, &avail))
            fail("WinHttpQueryDataAvailable");
        if (avail) {
            if (!WinHttpReadData(hRequest, buf, avail < bufsize ? avail : bufsize, &got))
                fail("WinHttpReadData");
            total += got;
        }
    } while (avail > 0);
    WinHttpCloseHandle(hRequest);
    return total;
}

/* ---- concurrent (async) ---------------------------------------------------------------------- */

struct conc_req {
    HINTERNET h;
    DWORD status;
    DWORD bytes;
    int finished, ok;
    DWORD error;
    char buf[256];
};

static struct conc_req *conc;
static unsigned long conc_n;
static long conc_closed, conc_failed;
static int conc_hold, conc_all_sent; /* hold mode: no response is read before every request is sent */
static struct conc_req **conc_held;
static unsigned long conc_nheld;
static pthread_mutex_t conc_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t conc_cond = PTHREAD_COND_INITIALIZER;

static void conc_finish(struct conc_req *r, DWORD error)
{
    if (r->finished)
        return;
    r->finished = 1;
    r->error = error;
    r->ok = error == ERROR_SUCCESS && r->status == 200;
    if (!r->ok && __atomic_fetch_add(&conc_failed, 1, __ATOMIC_RELAXED) < 5)
        fprintf(stderr, "bench_winhttp: request %ld failed: error %lu, status %lu, %lu bytes\n", (long)(r - conc),
                (unsigned long)error, (unsigned long)r->status, (unsigned long)r->bytes);
    __atomic_fetch_add(&bench_finished, 1, __ATOMIC_RELAXED);
    WinHttpCloseHandle(r->h); /* HANDLE_CLOSING follows: only then is the request done with */
}

static void CALLBACK conc_callback(HINTERNET hInternet, DWORD_PTR dwContext, DWORD dwStatus, LPVOID lpvInfo,
                                   DWORD dwLength)
{
    struct conc_req *r = (struct conc_req *)dwContext;
    DWORD size = sizeof(DWORD);
    (void)hInternet;
    if (!r)
        return; /* the session and connect handles */
    switch (dwStatus) {
    case WINHTTP_CALLBACK_STATUS_SENDREQUEST_COMPLETE:
        if (conc_hold) {
            int held = 0;
            pthread_mutex_lock(&conc_lock);
            if (!conc_all_sent) {
                conc_held[conc_nheld++] = r;
                held = 1;
            }
            pthread_mutex_unlock(&conc_lock);
            if (held)
                break; /* the main thread calls WinHttpReceiveResponse once every request is sent */
        }
        if (!WinHttpReceiveResponse(r->h, NULL))
            conc_finish(r, GetLastError());
        break;
    case WINHTTP_CALLBACK_STATUS_HEADERS_AVAILABLE:
        WinHttpQueryHeaders(r->h, WINHTTP_QUERY_STATUS_CODE | WINHTTP_QUERY_FLAG_NUMBER, WINHTTP_HEADER_NAME_BY_INDEX,
                            &r->status, &size, WINHTTP_NO_HEADER_INDEX);
        if (!WinHttpQueryDataAvailable(r->h, NULL))
            conc_finish(r, GetLastError());
        break;
    case WINHTTP_CALLBACK_STATUS_DATA_AVAILABLE: {
        DWORD available = *(DWORD *)lpvInfo;
        if (available == 0) {
            conc_finish(r, ERROR_SUCCESS);
            break;
        }
        if (available > sizeof(r->buf))
            available = sizeof(r->buf);
        if (!WinHttpReadData(r->h, r->buf, available, NULL))
            conc_finish(r, GetLastError());
        break;
    }
    case WINHTTP_CALLBACK_STATUS_READ_COMPLETE:
        if (dwLength == 0) {
            conc_finish(r, ERROR_SUCCESS);
            break;
        }
        r->bytes += dwLength;
        if (!WinHttpQueryDataAvailable(r->h, NULL))
            conc_finish(r, GetLastError());
        break;
    case WINHTTP_CALLBACK_STATUS_REQUEST_ERROR:
        conc_finish(r, ((WINHTTP_ASYNC_RESULT *)lpvInfo)->dwError);
        break;
    case WINHTTP_CALLBACK_STATUS_HANDLE_CLOSING:
        pthread_mutex_lock(&conc_lock);
        if (++conc_closed == (long)conc_n)
            pthread_cond_signal(&conc_cond);
        pthread_mutex_unlock(&conc_lock);
        break;
    default:
        break;
    }
}

static void concurrent(const WCHAR *host, INTERNET_PORT port, const WCHAR *path, unsigned long n, int hold, int h2)
{
    DWORD http2 = WINHTTP_PROTOCOL_FLAG_HTTP2;
    DWORD unlimited = WINHTTP_CONNS_PER_SERVER_UNLIMITED, no_keep_alive = WINHTTP_DISABLE_KEEP_ALIVE;
    HINTERNET hSession, hConnect;
    struct bench_clock clk;
    struct bench_watch watch;
    unsigned long i;
    unsigned long long bytes = 0;

    bench_raise_nofile(n + 100);
    conc_n = n;
    conc_hold = hold;
    conc = calloc(n, sizeof(*conc));
    conc_held = calloc(n, sizeof(*conc_held));
    if (!conc || !conc_held)
        bench_die("out of memory");
    memset(conc_held, 0xff, n * sizeof(*conc_held));
    memset(conc, 0xff, n * sizeof(*conc)); /* touched now, so not counted as per-request growth */
    memset(conc, 0, n * sizeof(*conc));
    hSession = WinHttpOpen(L"bench/1.0", WINHTTP_ACCESS_TYPE_NO_PROXY, WINHTTP_NO_PROXY_NAME, WINHTTP_NO_PROXY_BYPASS,
                           WINHTTP_FLAG_ASYNC);
    if (!hSession)
        fail("WinHttpOpen");
    if (!WinHttpSetOption(hSession, WINHTTP_OPTION_MAX_CONNS_PER_SERVER, &unlimited, sizeof(unlimited)))
        fail("WinHttpSetOption(MAX_CONNS_PER_SERVER)");
    /* HTTP/2 (https-concurrent): every request a stream on one connection. */
    if (h2 && !WinHttpSetOption(hSession, WINHTTP_OPTION_ENABLE_HTTP_PROTOCOL, &http2, sizeof(http2)))
        fail("WinHttpSetOption(ENABLE_HTTP_PROTOCOL)");
    if (WinHttpSetStatusCallback(hSession, conc_callback,
                                 WINHTTP_CALLBACK_FLAG_ALL_COMPLETIONS | WINHTTP_CALLBACK_FLAG_HANDLES,
                                 0) == WINHTTP_INVALID_STATUS_CALLBACK)
        fail("WinHttpSetStatusCallback");
    hConnect = WinHttpConnect(hSession, host, port, 0);
    if (!hConnect)
        fail("WinHttpConnect");

    bench_watch_start(&watch);
    bench_start(&clk);
    for (i = 0; i < n; i++) {
        struct conc_req *r = &conc[i];
        r->h = open_request(hConnect, L"GET", path);
        if (!h2 && !WinHttpSetOption(r->h, WINHTTP_OPTION_DISABLE_FEATURE, &no_keep_alive, sizeof(no_keep_alive)))
            fail("WinHttpSetOption(DISABLE_FEATURE)");
        __atomic_fetch_add(&bench_started, 1, __ATOMIC_RELAXED);
        if (!WinHttpSendRequest(r->h, WINHTTP_NO_ADDITIONAL_HEADERS, 0, WINHTTP_NO_REQUEST_DATA, 0, 0, (DWORD_PTR)r))
            fail("WinHttpSendRequest");
        bench_note_inflight();
    }
    if (conc_hold) {
        unsigned long k, nheld;
        pthread_mutex_lock(&conc_lock);
        conc_all_sent = 1;
        nheld = conc_nheld;
        pthread_mutex_unlock(&conc_lock);
        for (k = 0; k < nheld; k++)
            if (!WinHttpReceiveResponse(conc_held[k]->h, NULL))
                conc_finish(conc_held[k], GetLastError());
    }
    pthread_mutex_lock(&conc_lock);
    while (conc_closed < (long)n)
        pthread_cond_wait(&conc_cond, &conc_lock);
    pthread_mutex_unlock(&conc_lock);
    bench_watch_stop(&watch);

    for (i = 0; i < n; i++)
        bytes += conc[i].ok ? conc[i].bytes : 0;
    if (conc_failed)
        bench_die("concurrent: requests failed");
    bench_report_concurrent(&clk, &watch, hold ? "ours_held" : "ours", bytes, n);
    WinHttpCloseHandle(hConnect);
    WinHttpCloseHandle(hSession);
    free(conc);
    free(conc_held);
}

int main(int argc, char **argv)
{
    WCHAR host[256], path[1024];
    HINTERNET hSession, hConnect, hRequest;
    struct bench_clock clk;
    const char *mode, *pfx = "";
    int h2 = 0;

    if (argc < 6) {
        fprintf(stderr, "usage: %s [https-|h2-]gets|[https-]download|upload|concurrent|[https-]handshakes HOST PORT PATH ARG [CHUNK]\n",
                argv[0]);
        return 2;
    }
    mode = argv[1];
    if (strncmp(mode, "https-", 6) == 0) {
        mode += 6;
        pfx = "tls_";
        open_flags = WINHTTP_FLAG_SECURE;
    } else if (strncmp(mode, "h2-", 3) == 0) { /* HTTPS with WINHTTP_PROTOCOL_FLAG_HTTP2 */
        mode += 3;
        pfx = "h2_";
        open_flags = WINHTTP_FLAG_SECURE;
        h2 = 1;
    }
    to_wide(argv[2], host, 256);
    to_wide(argv[4], path, 1024);
    if (strcmp(mode, "concurrent") == 0) {
        if (open_flags)
            bench_conc_row = "h2conc";
        concurrent(host, (INTERNET_PORT)atoi(argv[3]), path, strtoul(argv[5], NULL, 10),
                   argc > 6 && strcmp(argv[6], "hold") == 0, open_flags != 0);
        return 0;
    }

    hSession = WinHttpOpen(L"bench/1.0", WINHTTP_ACCESS_TYPE_NO_PROXY, WINHTTP_NO_PROXY_NAME,
                           WINHTTP_NO_PROXY_BYPASS, 0);
    if (!hSession)
        fail("WinHttpOpen");
    if (h2) {
        DWORD http2 = WINHTTP_PROTOCOL_FLAG_HTTP2;
        if (!WinHttpSetOption(hSession, WINHTTP_OPTION_ENABLE_HTTP_PROTOCOL, &http2, sizeof(http2)))
            fail("WinHttpSetOption(ENABLE_HTTP_PROTOCOL)");
    }
    hConnect = WinHttpConnect(hSession, host, (INTERNET_PORT)atoi(argv[3]), 0);
    if (!hConnect)
        fail("WinHttpConnect");

    if (strcmp(mode, "gets") == 0 || strcmp(mode, "handshakes") == 0) {
        unsigned long count = strtoul(argv[5], NULL, 10), i;
        unsigned long long bytes = 0;
        int close = strcmp(mode, "handshakes") == 0;
        char buf[4096], row[32];
        snprintf(row, sizeof(row), "%s%s", pfx, mode);
        one_get(hConnect, path, buf, sizeof(buf), close); /* warm-up: connects (and loads the roots) */
        bench_start(&clk);
        for (i = 0; i < count; i++)
            bytes += one_get(hConnect, path, buf, sizeof(buf), close);
        bench_report(&clk, row, "ours", bytes, count);
    } else if (strcmp(mode, "download") == 0) {
        /* ARG: a buffer size for ReadData loops, or "qda" for the loop ported programs use:
         * WinHttpQueryDataAvailable(&n), then WinHttpReadData of n bytes into a buffer grown to n. */
        int qda = strcmp(argv[5], "qda") == 0;
        DWORD bufsize = qda ? 65536 : (DWORD)strtoul(argv[5], NULL, 10), got = 0, avail = 0;
        unsigned long long bytes = 0;
        char *buf = malloc(bufsize);
        char row[32];
        if (!buf)
            bench_die("out of memory");
        if (qda)
            snprintf(row, sizeof(row), "%sdownloadqda", pfx);
        else
            snprintf(row, sizeof(row), "%sdownload%luk", pfx, (unsigned long)(bufsize / 1024));
        bench_start(&clk);
        hRequest = open_request(hConnect, L"GET", path);
        if (!WinHttpSendRequest(hRequest, WINHTTP_NO_ADDITIONAL_HEADERS, 0, WINHTTP_NO_REQUEST_DATA, 0, 0, 0))
            fail("WinHttpSendRequest");
        if (!WinHttpReceiveResponse(hRequest, NULL))
            fail("WinHttpReceiveResponse");
        if (status_of(hRequest) != 200)
            bench_die("download: status is not 200");
        for (;;) {
            DWORD want = bufsize;
            if (qda) {
                if (!WinHttpQueryDataAvailable(hRequest, &avail))
                    fail("WinHttpQueryDataAvailable");
                if (avail == 0)
                    break;
                if (avail > bufsize) {
                    char *bigger = realloc(buf, avail);
                    if (!bigger)
                        bench_die("out of memory");
                    buf = bigger;
                    bufsize = avail;
                }
                want = avail;
            }
            if (!WinHttpReadData(hRequest, buf, want, &got))
                fail("WinHttpReadData");
            if (got == 0)
                break;
            bytes += got;
        }
        WinHttpCloseHandle(hRequest);
        bench_report(&clk, row, "ours", bytes, 1);
        free(buf);
    } else if (strcmp(mode, "upload") == 0 && !open_flags) {
        DWORD total = (DWORD)strtoul(argv[5], NULL, 10);
        DWORD chunk = argc > 6 ? (DWORD)strtoul(argv[6], NULL, 10) : 65536;
        DWORD sent = 0, written = 0, status, got = 0;
        char *piece = bench_pattern(chunk);
        char reply[4096];
        bench_start(&clk);
        hRequest = open_request(hConnect, L"PUT", path);
        if (!WinHttpSendRequest(hRequest, WINHTTP_NO_ADDITIONAL_HEADERS, 0, WINHTTP_NO_REQUEST_DATA, 0, total, 0))
            fail("WinHttpSendRequest");
        while (sent < total) {
            DWORD n = total - sent < chunk ? total - sent : chunk;
            if (!WinHttpWriteData(hRequest, piece, n, &written))
                fail("WinHttpWriteData");
            sent += written;
        }
        if (!WinHttpReceiveResponse(hRequest, NULL))
            fail("WinHttpReceiveResponse");
        status = status_of(hRequest);
        if (status != 201 && status != 204)
            bench_die("upload: status is not 201/204");
        while (WinHttpReadData(hRequest, reply, sizeof(reply), &got) && got > 0)
            ;
        WinHttpCloseHandle(hRequest);
        bench_report(&clk, "upload", "ours", sent, 1);
        free(piece);
    } else {
        bench_die("unknown mode");
    }
    WinHttpCloseHandle(hConnect);
    WinHttpCloseHandle(hSession);
    return 0;
}
