/*
 * An asynchronous program structured like Microsoft's WinHTTP async sample (Windows-classic-samples,
 * winhttpasyncsample): the way real Windows code drives WinHTTP, written here from scratch.
 *
 * - One asynchronous session and connect handle; the status callback is installed on the session
 *   for the completions and the handle notifications, and every handle inherits it.
 * - Each request has a heap-allocated context holding a per-request lock (a recursive mutex, as a
 *   CRITICAL_SECTION is), the request handle and its state. The context reaches the callback only
 *   through WinHttpSetOption(WINHTTP_OPTION_CONTEXT_VALUE); WinHttpSendRequest gets dwContext 0.
 *   (Before issue 12 that 0 replaced the context: every callback saw NULL and the sample waited
 *   for ever.)
 * - The callback takes the request's lock for everything it does, drives the request
 *   (SENDREQUEST_COMPLETE -> ReceiveResponse -> HEADERS_AVAILABLE -> QueryDataAvailable ->
 *   DATA_AVAILABLE -> ReadData into a buffer allocated for that read -> READ_COMPLETE -> ...), and
 *   ends a request by closing its handle from inside the callback; HANDLE_CLOSING is the last thing
 *   that touches the context.
 * - A second thread cancels the slow requests: under the request's lock it closes the handle,
 *   while completions may be running on the library's threads.
 *
 * At the end every context saw HANDLE_CLOSING exactly once, no request notification arrived with
 * a NULL context, the fast requests read their whole body, the slow ones ended by the cancel, and
 * nothing is left in the library (our diagnostics extension). Run under valgrind by ci/test.sh.
 *
 * Ports: WINHTTP_TEST_PORT (HTTP server: /len/N, /slow).
 */
#if !defined(_WIN32) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif
#if !defined(_WIN32) && !defined(_XOPEN_SOURCE)
#define _XOPEN_SOURCE 700 /* PTHREAD_MUTEX_RECURSIVE */
#endif
#include <winhttp.h>
#include "harness.h"
#include "diagnostics.h"
#include <pthread.h>

#define FAST 6
#define SLOW 3
#define BODY 100000

enum state { SENDING, RECEIVING, READING, DONE };

struct request_context {
    pthread_mutex_t lock; /* the sample's CRITICAL_SECTION: recursive */
    HINTERNET request;    /* NULL once this program closed it */
    int slow;
    enum state state;
    DWORD status;
    DWORD received;
    char *read_buffer; /* allocated for each ReadData, freed at READ_COMPLETE */
    DWORD error;       /* REQUEST_ERROR's error, 0 if none */
    int closing_seen;
    int after_closing;
};

static pthread_mutex_t all_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t all_changed = PTHREAD_COND_INITIALIZER;
static int closed_requests;
static int null_context_notes;
static int session_closed;
static HINTERNET session_handle, connect_handle;

/* Ends a request from inside the callback (the context's lock held): close its handle. */
static void end_request(struct request_context *c)
{
    HINTERNET h = c->request;
    c->state = DONE;
    c->request = NULL;
    if (h)
        WinHttpCloseHandle(h);
}

static void fail(struct request_context *c, DWORD error)
{
    if (!c->error)
        c->error = error;
    end_request(c);
}

static void CALLBACK callback(HINTERNET handle, DWORD_PTR context, DWORD status, LPVOID info, DWORD length)
{
    struct request_context *c = (struct request_context *)context;
    DWORD n, size;

    if (handle == session_handle || handle == connect_handle) {
        /* The session's own context is 0: its notifications and its connect handle's carry it. */
        if (handle == session_handle && status == WINHTTP_CALLBACK_STATUS_HANDLE_CLOSING) {
            pthread_mutex_lock(&all_lock);
            session_closed = 1;
            pthread_cond_broadcast(&all_changed);
            pthread_mutex_unlock(&all_lock);
        }
        return;
    }
    if (!c) {
        /* A request's HANDLE_CREATED comes from WinHttpOpenRequest with its parent's context (0
         * here), before the option is set. Anything else without the context is what the sample
         * met: a notification it cannot attribute, and a wait for ever. */
        if (status != WINHTTP_CALLBACK_STATUS_HANDLE_CREATED) {
            pthread_mutex_lock(&all_lock);
            null_context_notes++;
            pthread_mutex_unlock(&all_lock);
        }
        return;
    }

    pthread_mutex_lock(&c->lock);
    if (c->closing_seen)
        c->after_closing++;
    switch (status) {
    case WINHTTP_CALLBACK_STATUS_SENDREQUEST_COMPLETE:
        if (c->request && c->state == SENDING) {
            c->state = RECEIVING;
            if (!WinHttpReceiveResponse(c->request, NULL))
                fail(c, GetLastError());
        }
        break;
    case WINHTTP_CALLBACK_STATUS_HEADERS_AVAILABLE:
        if (c->request) {
            size = sizeof(c->status);
            WinHttpQueryHeaders(c->request, WINHTTP_QUERY_STATUS_CODE | WINHTTP_QUERY_FLAG_NUMBER,
                                WINHTTP_HEADER_NAME_BY_INDEX, &c->status, &size, WINHTTP_NO_HEADER_INDEX);
            c->state = READING;
            if (!WinHttpQueryDataAvailable(c->request, NULL))
                fail(c, GetLastError());
        }
        break;
    case WINHTTP_CALLBACK_STATUS_DATA_AVAILABLE:
        n = *(DWORD *)info;
        if (!c->request)
            break;
        if (n == 0) {
            end_request(c);
            break;
        }
        c->read_buffer = malloc(n);
        if (!c->read_buffer) {
            fail(c, ERROR_NOT_ENOUGH_MEMORY);
        } else if (!WinHttpReadData(c->request, c->read_buffer, n, NULL)) {
            free(c->read_buffer);
            c->read_buffer = NULL;
            fail(c, GetLastError());
        }
        break;
    case WINHTTP_CALLBACK_STATUS_READ_COMPLETE:
        c->received += length;
        free(c->read_buffer);
        c->read_buffer = NULL;
        if (!c->request)
            break;
        if (length == 0)
            end_request(c);
        else if (!WinHttpQueryDataAvailable(c->request, NULL))
            fail(c, GetLastError());
        break;
    case WINHTTP_CALLBACK_STATUS_REQUEST_ERROR: {
        WINHTTP_ASYNC_RESULT *r = (WINHTTP_ASYNC_RESULT *)info;
        /* A read that ends in an error leaves its buffer to us. */
        free(c->read_buffer);
        c->read_buffer = NULL;
        fail(c, r->dwError);
        break;
    }
    case WINHTTP_CALLBACK_STATUS_HANDLE_CLOSING:
        c->closing_seen++;
        pthread_mutex_lock(&all_lock);
        closed_requests++;
        pthread_cond_broadcast(&all_changed);
        pthread_mutex_unlock(&all_lock);
        break;
    default:
        break;
    }
    pthread_mutex_unlock(&c->lock);
}

static struct request_context *start(int slow, int i)
{
    struct request_context *c = calloc(1, sizeof(*c));
    pthread_mutexattr_t attr;
    WCHAR path[64];

    if (!c)
        return NULL;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&c->lock, &attr);
    pthread_mutexattr_destroy(&attr);
    c->slow = slow;
    if (slow)
        harness_swprintf(path, 64, L"/slow?ms=%d", 8000 + i);
    else
        harness_swprintf(path, 64, L"/len/%d", BODY);

    /* As the sample: the context goes in through the option; the send passes 0. The lock is held
     * from before the send so that no callback runs ahead of this setup. */
    pthread_mutex_lock(&c->lock);
    c->request =
        WinHttpOpenRequest(connect_handle, L"GET", path, NULL, WINHTTP_NO_REFERER, WINHTTP_DEFAULT_ACCEPT_TYPES, 0);
    CHECK(c->request != NULL);
    if (c->request) {
        CHECK_OK(WinHttpSetOption(c->request, WINHTTP_OPTION_CONTEXT_VALUE, &c, sizeof(c)));
        c->state = SENDING;
        if (!WinHttpSendRequest(c->request, WINHTTP_NO_ADDITIONAL_HEADERS, 0, WINHTTP_NO_REQUEST_DATA, 0, 0, 0)) {
            printf("  send failed: %lu\n", (unsigned long)GetLastError());
            fail(c, GetLastError());
        }
    }
    pthread_mutex_unlock(&c->lock);
    return c;
}

static struct request_context *contexts[FAST + SLOW];

/* The other thread: cancels the slow requests while they wait for their response. */
static void *canceller(void *arg)
{
    int i;
    (void)arg;
    diag_sleep_ms(300);
    for (i = 0; i < FAST + SLOW; i++) {
        struct request_context *c = contexts[i];
        if (!c || !c->slow)
            continue;
        pthread_mutex_lock(&c->lock);
        if (c->request) {
            HINTERNET h = c->request;
            c->request = NULL;
            c->state = DONE;
            CHECK(WinHttpCloseHandle(h));
        }
        pthread_mutex_unlock(&c->lock);
    }
    return NULL;
}

int main(void)
{
    INTERNET_PORT port = (INTERNET_PORT)harness_env_int("WINHTTP_TEST_PORT", 0);
    pthread_t thread;
    struct timespec ts;
    int i, all_closed, ok_fast = 0, cancelled_slow = 0, closings_ok = 0, late = 0;

    if (!port) {
        printf("skipped: WINHTTP_TEST_PORT not set\n");
        return harness_report();
    }
    session_handle = WinHttpOpen(L"async sample", WINHTTP_ACCESS_TYPE_NO_PROXY, WINHTTP_NO_PROXY_NAME,
                                 WINHTTP_NO_PROXY_BYPASS, WINHTTP_FLAG_ASYNC);
    CHECK(session_handle != NULL);
    CHECK(WinHttpSetStatusCallback(session_handle, callback,
                                   WINHTTP_CALLBACK_FLAG_ALL_COMPLETIONS | WINHTTP_CALLBACK_FLAG_HANDLES,
                                   0) != WINHTTP_INVALID_STATUS_CALLBACK);
    connect_handle = WinHttpConnect(session_handle, L"127.0.0.1", port, 0);
    CHECK(connect_handle != NULL);

    for (i = 0; i < FAST + SLOW; i++)
        contexts[i] = start(i >= FAST, i);
    CHECK(pthread_create(&thread, NULL, canceller, NULL) == 0);

    /* Wait (bounded) for every request's HANDLE_CLOSING. */
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += 30;
    pthread_mutex_lock(&all_lock);
    while (closed_requests < FAST + SLOW)
        if (pthread_cond_timedwait(&all_changed, &all_lock, &ts) != 0)
            break;
    all_closed = closed_requests == FAST + SLOW;
    pthread_mutex_unlock(&all_lock);
    pthread_join(thread, NULL);
    if (!all_closed)
        printf("  only %d of %d requests closed within 30 s\n", closed_requests, FAST + SLOW);
    CHECK(all_closed);

    WinHttpCloseHandle(connect_handle);
    WinHttpCloseHandle(session_handle);
    pthread_mutex_lock(&all_lock);
    while (!session_closed)
        if (pthread_cond_timedwait(&all_changed, &all_lock, &ts) != 0)
            break;
    CHECK(session_closed);
    CHECK_EQ(null_context_notes, 0);
    pthread_mutex_unlock(&all_lock);

    for (i = 0; i < FAST + SLOW; i++) {
        struct request_context *c = contexts[i];
        if (!c)
            continue;
        pthread_mutex_lock(&c->lock);
        if (!c->slow && c->status == 200 && c->received == BODY && c->error == 0)
            ok_fast++;
        else if (!c->slow)
            printf("  fast request %d: status %lu, %lu bytes, error %lu\n", i, (unsigned long)c->status,
                   (unsigned long)c->received, (unsigned long)c->error);
        if (c->slow && c->status == 0 && (c->error == 0 || c->error == ERROR_WINHTTP_OPERATION_CANCELLED))
            cancelled_slow++;
        closings_ok += c->closing_seen == 1;
        late += c->after_closing;
        pthread_mutex_unlock(&c->lock);
        if (all_closed) {
            pthread_mutex_destroy(&c->lock);
            free(c->read_buffer);
            free(c);
        }
    }
    printf("async sample: %d of %d fast requests read %d bytes, %d of %d slow ones cancelled\n", ok_fast, FAST, BODY,
           cancelled_slow, SLOW);
    CHECK_EQ(ok_fast, FAST);
    CHECK_EQ(cancelled_slow, SLOW);
    CHECK_EQ(closings_ok, FAST + SLOW);
    CHECK_EQ(late, 0);
    check_nothing_left("the async sample", 5000);
    return harness_report();
}
