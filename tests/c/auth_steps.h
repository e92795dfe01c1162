/*
 * Request steps that run the same in both modes, for the authentication tests: each call of an
 * asynchronous session waits for its completion notification (the callback below must be the
 * session's), so a test reads as a sequence of calls whatever the mode. Included by test programs
 * (this file is not a test program itself); `is_async` is the including program's.
 */
#ifndef WINHTTP_TEST_AUTH_STEPS_H
#define WINHTTP_TEST_AUTH_STEPS_H

#if !defined(_WIN32) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif
#include <winhttp.h>
#include "harness.h"
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <wchar.h>

static int is_async;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
static int done, closed;
static DWORD result_error, result_value;

static inline void finish(DWORD error, DWORD value)
{
    pthread_mutex_lock(&lock);
    result_error = error;
    result_value = value;
    done = 1;
    pthread_cond_broadcast(&changed);
    pthread_mutex_unlock(&lock);
}

static inline void CALLBACK callback(HINTERNET h, DWORD_PTR ctx, DWORD status, LPVOID info, DWORD len)
{
    (void)h;
    (void)ctx;
    switch (status) {
    case WINHTTP_CALLBACK_STATUS_SENDREQUEST_COMPLETE:
    case WINHTTP_CALLBACK_STATUS_HEADERS_AVAILABLE:
        finish(0, 0);
        break;
    case WINHTTP_CALLBACK_STATUS_WRITE_COMPLETE:
    case WINHTTP_CALLBACK_STATUS_DATA_AVAILABLE:
        finish(0, *(DWORD *)info);
        break;
    case WINHTTP_CALLBACK_STATUS_READ_COMPLETE:
        finish(0, len);
        break;
    case WINHTTP_CALLBACK_STATUS_REQUEST_ERROR:
        finish(((WINHTTP_ASYNC_RESULT *)info)->dwError, 0);
        break;
    case WINHTTP_CALLBACK_STATUS_HANDLE_CLOSING:
        pthread_mutex_lock(&lock);
        closed++;
        pthread_cond_broadcast(&changed);
        pthread_mutex_unlock(&lock);
        break;
    default:
        break;
    }
}

static inline void arm(void)
{
    pthread_mutex_lock(&lock);
    done = 0;
    result_error = 0;
    result_value = 0;
    pthread_mutex_unlock(&lock);
}

/* Async: waits for the completion of the call that returned `ok` (TRUE: started); the result
 * then is the notification's (REQUEST_ERROR sets the last error). Sync: `ok` itself. */
static inline BOOL await_call(BOOL ok, DWORD *value)
{
    struct timespec until;
    int got;
    if (!is_async || !ok)
        return ok;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 15;
    pthread_mutex_lock(&lock);
    while (!done && pthread_cond_timedwait(&changed, &lock, &until) == 0) {
    }
    got = done;
    pthread_mutex_unlock(&lock);
    if (!got) {
        printf("  no completion within 15 s\n");
        SetLastError(ERROR_WINHTTP_TIMEOUT);
        return FALSE;
    }
    if (result_error) {
        SetLastError(result_error);
        return FALSE;
    }
    if (value)
        *value = result_value;
    return TRUE;
}

static inline BOOL send_req(HINTERNET req, const void *data, DWORD len, DWORD total)
{
    arm();
    return await_call(WinHttpSendRequest(req, WINHTTP_NO_ADDITIONAL_HEADERS, 0, (LPVOID)data, len, total, 0), NULL);
}

static inline BOOL write_req(HINTERNET req, const void *data, DWORD len)
{
    DWORD n = 0;
    arm();
    return await_call(WinHttpWriteData(req, data, len, is_async ? NULL : &n), NULL);
}

static inline BOOL receive(HINTERNET req)
{
    arm();
    return await_call(WinHttpReceiveResponse(req, NULL), NULL);
}

/* Reads the whole body into out (NUL-terminated, truncated to cap - 1); returns its length. */
static inline DWORD read_all(HINTERNET req, char *out, DWORD cap)
{
    static char buf[65536];
    DWORD total = 0;
    for (;;) {
        DWORD avail = 0, got = 0;
        arm();
        if (!await_call(WinHttpQueryDataAvailable(req, is_async ? NULL : &avail), &avail))
            break;
        arm();
        if (!await_call(WinHttpReadData(req, buf, sizeof buf, is_async ? NULL : &got), &got) || !got)
            break;
        if (out && total + got < cap)
            memcpy(out + total, buf, got);
        total += got;
    }
    if (out)
        out[total < cap ? total : cap - 1] = 0;
    return total;
}

static inline DWORD status_of(HINTERNET req)
{
    DWORD status = 0, size = sizeof(status);
    WinHttpQueryHeaders(req, WINHTTP_QUERY_STATUS_CODE | WINHTTP_QUERY_FLAG_NUMBER, WINHTTP_HEADER_NAME_BY_INDEX,
                        &status, &size, WINHTTP_NO_HEADER_INDEX);
    return status;
}

/* The response header `name` as ASCII ("" when absent). */
static inline const char *header_of(HINTERNET req, const WCHAR *name)
{
    static char out[512];
    WCHAR buf[512];
    DWORD size = sizeof(buf), i;
    out[0] = 0;
    if (WinHttpQueryHeaders(req, WINHTTP_QUERY_CUSTOM, name, buf, &size, WINHTTP_NO_HEADER_INDEX)) {
        for (i = 0; i < size / sizeof(WCHAR) && i < sizeof(out) - 1; i++)
            out[i] = (char)buf[i];
        out[i] = 0;
    }
    return out;
}

static inline HINTERNET open_req(HINTERNET con, const WCHAR *verb, const WCHAR *path)
{
    HINTERNET req = WinHttpOpenRequest(con, verb, path, NULL, WINHTTP_NO_REFERER, WINHTTP_DEFAULT_ACCEPT_TYPES, 0);
    CHECK(req != NULL);
    return req;
}

static inline void close_req(HINTERNET req)
{
    int before;
    pthread_mutex_lock(&lock);
    before = closed;
    pthread_mutex_unlock(&lock);
    WinHttpCloseHandle(req);
    if (is_async) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 10;
        pthread_mutex_lock(&lock);
        while (closed == before && pthread_cond_timedwait(&changed, &lock, &until) == 0) {
        }
        pthread_mutex_unlock(&lock);
    }
}

static inline void set_option_str(HINTERNET h, DWORD option, const WCHAR *value)
{
    CHECK_OK(WinHttpSetOption(h, option, (LPVOID)value, (DWORD)harness_wcslen(value)));
}

#endif
