/*
 * One request run to the end, synchronously or asynchronously, reporting which call failed and
 * with which error: what the fault and diagnostics tests need. Included by test programs (this file
 * is not a test program itself).
 *
 * Sync: SendRequest (then WriteData for an upload), ReceiveResponse, QueryDataAvailable/ReadData
 * until 0. Async: the same chain driven from the status callback (SENDREQUEST_COMPLETE ->
 * WriteData ... -> ReceiveResponse -> HEADERS_AVAILABLE -> QueryDataAvailable -> DATA_AVAILABLE ->
 * ReadData -> READ_COMPLETE -> ...); the failure is the REQUEST_ERROR's WINHTTP_ASYNC_RESULT
 * (dwResult is the API_* of the failed call, dwError its error), or an async call that returned
 * FALSE at once. Every wait is bounded.
 */
#ifndef WINHTTP_TEST_REQUEST_DRIVER_H
#define WINHTTP_TEST_REQUEST_DRIVER_H

#if !defined(_WIN32) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif
#include <winhttp.h>
#include "harness.h"
#include "diagnostics.h"
#include <errno.h>
#include <pthread.h>
#include <time.h>

/* Milliseconds on a monotonic clock. */
static inline double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

static inline void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* What a run asks for. */
struct run_spec {
    const WCHAR *verb;
    const WCHAR *path;
    DWORD upload; /* bytes to send through WinHttpWriteData (total length given to SendRequest) */
};

/* What it got. */
struct outcome {
    int api;      /* 0: every call worked; else the API_* of the call that failed */
    DWORD error;  /* its error */
    DWORD status; /* HTTP status, when a response arrived */
    DWORD body;   /* body bytes read */
    double ms;    /* how long the run took */
    int hung;     /* async: no end within the wait */
    int request_errors; /* async: REQUEST_ERROR notifications */
    int late;           /* async: completions after the run had ended */
};

#define UPLOAD_CHUNK 65536
static char driver_upload_chunk[UPLOAD_CHUNK];

static inline DWORD query_status(HINTERNET req)
{
    DWORD status = 0, size = sizeof(status);
    if (!WinHttpQueryHeaders(req, WINHTTP_QUERY_STATUS_CODE | WINHTTP_QUERY_FLAG_NUMBER, WINHTTP_HEADER_NAME_BY_INDEX,
                             &status, &size, WINHTTP_NO_HEADER_INDEX))
        return 0;
    return status;
}

/* Runs `spec` on a new request of `con` (a sync session); the request is closed at the end. */
static inline struct outcome run_sync(HINTERNET con, const struct run_spec *spec)
{
    struct outcome o;
    HINTERNET req;
    char buf[8192];
    double start = now_ms();
    memset(&o, 0, sizeof(o));
    req = WinHttpOpenRequest(con, spec->verb ? spec->verb : L"GET", spec->path, NULL, WINHTTP_NO_REFERER,
                             WINHTTP_DEFAULT_ACCEPT_TYPES, 0);
    if (!req) {
        o.api = -1;
        o.error = GetLastError();
        return o;
    }
    if (!WinHttpSendRequest(req, WINHTTP_NO_ADDITIONAL_HEADERS, 0, WINHTTP_NO_REQUEST_DATA, 0, spec->upload, 0)) {
        o.api = API_SEND_REQUEST;
        goto failed;
    }
    {
        DWORD sent = 0, n;
        while (sent < spec->upload) {
            DWORD len = spec->upload - sent < UPLOAD_CHUNK ? spec->upload - sent : UPLOAD_CHUNK;
            if (!WinHttpWriteData(req, driver_upload_chunk, len, &n)) {
                o.api = API_WRITE_DATA;
                goto failed;
            }
            sent += n;
        }
    }
    if (!WinHttpReceiveResponse(req, NULL)) {
        o.api = API_RECEIVE_RESPONSE;
        goto failed;
    }
    o.status = query_status(req);
    for (;;) {
        DWORD avail = 0, got = 0;
        if (!WinHttpQueryDataAvailable(req, &avail)) {
            o.api = API_QUERY_DATA_AVAILABLE;
            goto failed;
        }
        if (!WinHttpReadData(req, buf, sizeof(buf), &got)) {
            o.api = API_READ_DATA;
            goto failed;
        }
        if (!got)
            break;
        o.body += got;
    }
    o.ms = now_ms() - start;
    WinHttpCloseHandle(req);
    return o;
failed:
    o.error = GetLastError();
    o.ms = now_ms() - start;
    WinHttpCloseHandle(req);
    return o;
}

/* ---- Async ---------------------------------------------------------------------------------- */

static pthread_mutex_t driver_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t driver_changed = PTHREAD_COND_INITIALIZER;
static int driver_closings; /* HANDLE_CLOSING notifications seen, for any handle */
static int driver_after_closing;

struct async_run {
    HINTERNET req;
    DWORD upload, sent;
    int done, closed;
    struct outcome o;
    char buf[8192];
};

static inline void async_finish(struct async_run *r, int api, DWORD error)
{
    pthread_mutex_lock(&driver_lock);
    if (!r->done) {
        r->o.api = api;
        r->o.error = error;
        r->done = 1;
    }
    pthread_cond_broadcast(&driver_changed);
    pthread_mutex_unlock(&driver_lock);
}

/* An async call from the callback that failed at once ends the run. */
static inline void async_call(struct async_run *r, int api, BOOL ok)
{
    if (!ok)
        async_finish(r, api, GetLastError());
}

static inline void async_write_next(struct async_run *r)
{
    DWORD len = r->upload - r->sent < UPLOAD_CHUNK ? r->upload - r->sent : UPLOAD_CHUNK;
    if (len == 0)
        async_call(r, API_RECEIVE_RESPONSE, WinHttpReceiveResponse(r->req, NULL));
    else
        async_call(r, API_WRITE_DATA, WinHttpWriteData(r->req, driver_upload_chunk, len, NULL));
}

static inline void CALLBACK driver_callback(HINTERNET h, DWORD_PTR context, DWORD status, LPVOID info, DWORD length)
{
    struct async_run *r = (struct async_run *)context;
    (void)h;
    if (status == WINHTTP_CALLBACK_STATUS_HANDLE_CLOSING) {
        pthread_mutex_lock(&driver_lock);
        driver_closings++;
        if (r)
            r->closed = 1;
        pthread_cond_broadcast(&driver_changed);
        pthread_mutex_unlock(&driver_lock);
        return;
    }
    if (!r)
        return;
    pthread_mutex_lock(&driver_lock);
    if (r->closed)
        driver_after_closing++;
    if (r->done && (status == WINHTTP_CALLBACK_STATUS_SENDREQUEST_COMPLETE ||
                    status == WINHTTP_CALLBACK_STATUS_WRITE_COMPLETE ||
                    status == WINHTTP_CALLBACK_STATUS_HEADERS_AVAILABLE ||
                    status == WINHTTP_CALLBACK_STATUS_DATA_AVAILABLE ||
                    status == WINHTTP_CALLBACK_STATUS_READ_COMPLETE || status == WINHTTP_CALLBACK_STATUS_REQUEST_ERROR))
        r->o.late++;
    if (status == WINHTTP_CALLBACK_STATUS_REQUEST_ERROR)
        r->o.request_errors++;
    pthread_mutex_unlock(&driver_lock);
    switch (status) {
    case WINHTTP_CALLBACK_STATUS_SENDREQUEST_COMPLETE:
        async_write_next(r);
        break;
    case WINHTTP_CALLBACK_STATUS_WRITE_COMPLETE:
        r->sent += *(DWORD *)info;
        async_write_next(r);
        break;
    case WINHTTP_CALLBACK_STATUS_HEADERS_AVAILABLE:
        r->o.status = query_status(r->req);
        async_call(r, API_QUERY_DATA_AVAILABLE, WinHttpQueryDataAvailable(r->req, NULL));
        break;
    case WINHTTP_CALLBACK_STATUS_DATA_AVAILABLE: {
        DWORD n = *(DWORD *)info;
        if (n == 0)
            async_finish(r, 0, ERROR_SUCCESS);
        else
            async_call(r, API_READ_DATA,
                       WinHttpReadData(r->req, r->buf, n < sizeof(r->buf) ? n : (DWORD)sizeof(r->buf), NULL));
        break;
    }
    case WINHTTP_CALLBACK_STATUS_READ_COMPLETE:
        if (length == 0) {
            async_finish(r, 0, ERROR_SUCCESS);
        } else {
            r->o.body += length;
            async_call(r, API_QUERY_DATA_AVAILABLE, WinHttpQueryDataAvailable(r->req, NULL));
        }
        break;
    case WINHTTP_CALLBACK_STATUS_REQUEST_ERROR: {
        const WINHTTP_ASYNC_RESULT *res = info;
        async_finish(r, (int)res->dwResult, res->dwError);
        break;
    }
    default:
        break;
    }
}

/* An async session whose timeouts are all `ms`, with the driver's callback. */
static inline HINTERNET open_async_session(int ms)
{
    HINTERNET ses = WinHttpOpen(L"winhttp-test/1.0", WINHTTP_ACCESS_TYPE_NO_PROXY, WINHTTP_NO_PROXY_NAME,
                                WINHTTP_NO_PROXY_BYPASS, WINHTTP_FLAG_ASYNC);
    if (ses) {
        WinHttpSetTimeouts(ses, ms, ms, ms, ms);
        WinHttpSetStatusCallback(ses, driver_callback, WINHTTP_CALLBACK_FLAG_ALL_NOTIFICATIONS, 0);
    }
    return ses;
}

/* Waits until `flag` is set (under driver_lock), at most `ms`; returns whether it was. */
static inline int driver_wait(const int *flag, int ms)
{
    struct timespec until;
    int ok;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&driver_lock);
    while (!*flag && pthread_cond_timedwait(&driver_changed, &driver_lock, &until) == 0) {
    }
    ok = *flag;
    pthread_mutex_unlock(&driver_lock);
    return ok;
}

/* Runs `spec` on a new request of `con` (an async session opened by open_async_session), waits
 * at most `wait_ms` for its end, closes the request and waits for its HANDLE_CLOSING. */
static inline struct outcome run_async(HINTERNET con, const struct run_spec *spec, int wait_ms)
{
    static struct async_run r; /* the callback may still look at it until HANDLE_CLOSING */
    double start = now_ms();
    memset(&r, 0, sizeof(r));
    r.upload = spec->upload;
    r.req = WinHttpOpenRequest(con, spec->verb ? spec->verb : L"GET", spec->path, NULL, WINHTTP_NO_REFERER,
                               WINHTTP_DEFAULT_ACCEPT_TYPES, 0);
    if (!r.req) {
        r.o.api = -1;
        r.o.error = GetLastError();
        return r.o;
    }
    if (!WinHttpSendRequest(r.req, WINHTTP_NO_ADDITIONAL_HEADERS, 0, WINHTTP_NO_REQUEST_DATA, 0, spec->upload,
                            (DWORD_PTR)&r))
        async_finish(&r, API_SEND_REQUEST, GetLastError());
    if (!driver_wait(&r.done, wait_ms))
        r.o.hung = 1;
    r.o.ms = now_ms() - start;
    WinHttpCloseHandle(r.req);
    if (!driver_wait(&r.closed, 5000))
        printf("  no HANDLE_CLOSING for the request within 5 s\n");
    return r.o;
}

#endif
