/*
 * WinHttpReadDataEx with WINHTTP_READ_DATA_EX_FLAG_FILL_BUFFER on an asynchronous session: the
 * reads are chained inside the library and one READ_COMPLETE reports the filled buffer (or what was
 * left of the body), against the test server of tests/support (WINHTTP_TEST_PORT): /chunked sends
 * five chunks 20 ms apart, so a buffer that holds the whole body is filled across several waits;
 * /len/N sends N pattern bytes ('a' + i % 26).
 */
#if !defined(_WIN32) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif
#include <winhttp.h>
#include "harness.h"
#include <pthread.h>
#include <time.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;

/* What the callback saw of one request. */
static struct {
    int sent, headers, read_completes, errors;
    DWORD last_read;      /* bytes of the last READ_COMPLETE */
    void *last_buffer;    /* its buffer */
    DWORD error;          /* the REQUEST_ERROR's error */
} seen;

static void CALLBACK callback(HINTERNET h, DWORD_PTR ctx, DWORD status, LPVOID info, DWORD len)
{
    (void)h;
    (void)ctx;
    pthread_mutex_lock(&lock);
    switch (status) {
    case WINHTTP_CALLBACK_STATUS_SENDREQUEST_COMPLETE: seen.sent++; break;
    case WINHTTP_CALLBACK_STATUS_HEADERS_AVAILABLE: seen.headers++; break;
    case WINHTTP_CALLBACK_STATUS_READ_COMPLETE:
        seen.read_completes++;
        seen.last_read = len;
        seen.last_buffer = info;
        break;
    case WINHTTP_CALLBACK_STATUS_REQUEST_ERROR:
        seen.errors++;
        seen.error = ((WINHTTP_ASYNC_RESULT *)info)->dwError;
        break;
    default: break;
    }
    pthread_cond_broadcast(&changed);
    pthread_mutex_unlock(&lock);
}

/* Waits (up to 10 s) until *counter reaches n or an error arrives; true when it reached n. */
static int wait_for(int *counter, int n)
{
    struct timespec deadline;
    int ok;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += 10;
    pthread_mutex_lock(&lock);
    while (*counter < n && seen.errors == 0)
        if (pthread_cond_timedwait(&changed, &lock, &deadline) != 0)
            break;
    ok = *counter >= n;
    pthread_mutex_unlock(&lock);
    if (!ok)
        printf("  wait: %d of %d, errors %d (last %lu)\n", *counter, n, seen.errors, (unsigned long)seen.error);
    return ok;
}

static HINTERNET open_and_receive(HINTERNET con, const WCHAR *path)
{
    HINTERNET req = WinHttpOpenRequest(con, L"GET", path, NULL, WINHTTP_NO_REFERER, WINHTTP_DEFAULT_ACCEPT_TYPES, 0);
    CHECK(req != NULL);
    if (!req)
        return NULL;
    memset(&seen, 0, sizeof seen);
    CHECK(WinHttpSetStatusCallback(req, callback, WINHTTP_CALLBACK_FLAG_ALL_NOTIFICATIONS, 0) !=
          WINHTTP_INVALID_STATUS_CALLBACK);
    CHECK(WinHttpSendRequest(req, WINHTTP_NO_ADDITIONAL_HEADERS, 0, NULL, 0, 0, 0));
    if (!wait_for(&seen.sent, 1)) {
        CHECK(0);
        return req;
    }
    CHECK(WinHttpReceiveResponse(req, NULL));
    CHECK(wait_for(&seen.headers, 1));
    return req;
}

/* One filling read: ERROR_IO_PENDING (or ERROR_SUCCESS when it finished at once), then exactly one
 * READ_COMPLETE with the buffer; returns the bytes it reported. */
static DWORD fill(HINTERNET req, char *buf, DWORD size)
{
    DWORD read = 0xdeadbeef, err;
    int before;
    pthread_mutex_lock(&lock);
    before = seen.read_completes;
    pthread_mutex_unlock(&lock);
    err = WinHttpReadDataEx(req, buf, size, &read, WINHTTP_READ_DATA_EX_FLAG_FILL_BUFFER, 0, NULL);
    if (err != ERROR_IO_PENDING && err != ERROR_SUCCESS)
        printf("  WinHttpReadDataEx: %lu\n", (unsigned long)err);
    CHECK(err == ERROR_IO_PENDING || err == ERROR_SUCCESS);
    CHECK(wait_for(&seen.read_completes, before + 1));
    pthread_mutex_lock(&lock);
    CHECK(seen.last_buffer == buf);
    CHECK_EQ(seen.read_completes, before + 1);
    read = seen.last_read;
    pthread_mutex_unlock(&lock);
    return read;
}

static void test_chunks_across_waits(HINTERNET con)
{
    static const char body[] = "first line\nthe second line\na third line, somewhat longer than the others\n4\n"
                               "fifth and last\n";
    char buf[256];
    DWORD n;
    HINTERNET req = open_and_receive(con, L"/chunked");
    if (!req)
        return;
    /* A buffer larger than the body: filled with all of it (the chunks arrive 20 ms apart). */
    memset(buf, 0, sizeof buf);
    n = fill(req, buf, sizeof buf);
    CHECK_EQ(n, sizeof body - 1);
    CHECK(memcmp(buf, body, sizeof body - 1) == 0);
    /* Then the end: 0. */
    CHECK_EQ(fill(req, buf, sizeof buf), 0);
    CHECK_EQ(seen.errors, 0);
    WinHttpCloseHandle(req);

    /* A buffer smaller than the first chunks: exactly full each time. */
    req = open_and_receive(con, L"/chunked");
    if (!req)
        return;
    n = fill(req, buf, 20);
    CHECK_EQ(n, 20);
    CHECK(memcmp(buf, body, 20) == 0);
    n = fill(req, buf, 30);
    CHECK_EQ(n, 30);
    CHECK(memcmp(buf, body + 20, 30) == 0);
    WinHttpCloseHandle(req);
}

static void test_large_body(HINTERNET con)
{
    static char buf[70000];
    DWORD total = 0, n, ok = 1;
    HINTERNET req = open_and_receive(con, L"/len/200000");
    if (!req)
        return;
    do {
        n = fill(req, buf, sizeof buf);
        /* Every answer but the last fills the buffer. */
        if (total + sizeof buf <= 200000)
            CHECK_EQ(n, sizeof buf);
        for (DWORD i = 0; i < n; i++)
            ok &= buf[i] == (char)('a' + (total + i) % 26);
        total += n;
    } while (n != 0 && total < 400000);
    CHECK_EQ(total, 200000);
    CHECK(ok);
    CHECK_EQ(seen.errors, 0);
    /* What the async operations measured: every byte delivered, the phases in order. */
    {
        WINHTTP_REQUEST_STATS st;
        WINHTTP_REQUEST_TIMES t;
        DWORD size = sizeof st;
        CHECK(WinHttpQueryOption(req, WINHTTP_OPTION_REQUEST_STATS, &st, &size));
        CHECK_EQ(st.rgullStats[WinHttpResponseBodySize], 200000);
        size = sizeof t;
        CHECK(WinHttpQueryOption(req, WINHTTP_OPTION_REQUEST_TIMES, &t, &size));
        CHECK(t.rgullTimes[WinHttpSendRequestStart] != 0);
        CHECK(t.rgullTimes[WinHttpReceiveResponseHeadersEnd] >= t.rgullTimes[WinHttpSendRequestEnd]);
        CHECK(t.rgullTimes[WinHttpReceiveResponseEnd] >= t.rgullTimes[WinHttpReceiveResponseHeadersEnd]);
    }
    WinHttpCloseHandle(req);
}

static void test_errors(HINTERNET con)
{
    char buf[16];
    DWORD n = 0;
    HINTERNET req = WinHttpOpenRequest(con, L"GET", L"/hello", NULL, WINHTTP_NO_REFERER, WINHTTP_DEFAULT_ACCEPT_TYPES, 0);
    CHECK(req != NULL);
    /* Before a response: the handle's state, as WinHttpReadData. */
    CHECK_EQ(WinHttpReadDataEx(req, buf, sizeof buf, &n, WINHTTP_READ_DATA_EX_FLAG_FILL_BUFFER, 0, NULL),
             ERROR_WINHTTP_INCORRECT_HANDLE_STATE);
    /* Reserved arguments and unknown flags. */
    CHECK_EQ(WinHttpReadDataEx(req, buf, sizeof buf, &n, WINHTTP_READ_DATA_EX_FLAG_FILL_BUFFER, 1, NULL),
             ERROR_INVALID_PARAMETER);
    CHECK_EQ(WinHttpReadDataEx(req, buf, sizeof buf, &n, 0x2, 0, NULL), ERROR_INVALID_PARAMETER);
    WinHttpCloseHandle(req);
}

int main(void)
{
    INTERNET_PORT port = (INTERNET_PORT)harness_env_int("WINHTTP_TEST_PORT", 0);
    HINTERNET ses, con;
    if (!port) {
        printf("WINHTTP_TEST_PORT not set: run through tests/c_suite.rs\n");
        CHECK(port != 0);
        return harness_report();
    }
    ses = WinHttpOpen(L"fill-async", WINHTTP_ACCESS_TYPE_NO_PROXY, WINHTTP_NO_PROXY_NAME, WINHTTP_NO_PROXY_BYPASS,
                      WINHTTP_FLAG_ASYNC);
    con = WinHttpConnect(ses, L"127.0.0.1", port, 0);
    CHECK(ses && con);
    test_chunks_across_waits(con);
    test_large_body(con);
    test_errors(con);
    WinHttpCloseHandle(con);
    WinHttpCloseHandle(ses);
    return harness_report();
}
