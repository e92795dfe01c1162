/*
 * Fidelity with real Windows programs (issue 12): the small behaviours real code depends on, each
 * run in the synchronous and the asynchronous mode, with options set both ways (WinHttpSetOption
 * and the dedicated calls) and in both orders. docs/FIDELITY.md says, for each, what Windows does
 * and where that is shown.
 *
 * - Context values: dwContext 0 on WinHttpSendRequest keeps the handle's value; a non-zero one
 *   replaces it; connect and request handles start with their parent's value.
 * - Callbacks and their masks: inherited at creation; a handle's own registration wins.
 * - Settings copied at WinHttpOpenRequest: timeouts and the redirect policy set on the session
 *   afterwards do not reach existing requests; a connect handle shows its session's live.
 * - Proxy: the request's WINHTTP_OPTION_PROXY over the session's; credentials per request.
 * - WINHTTP_FLAG_ESCAPE_DISABLE(_QUERY): control characters and DEL go out raw, CR and LF are
 *   dropped, spaces become %20 (Wine's test_request_path_escapes, byte for byte).
 * - Async calls out of order: WinHttpReceiveResponse before WinHttpSendRequest returns TRUE and
 *   reports INCORRECT_HANDLE_STATE through REQUEST_ERROR.
 * - "Connection: close": no CLOSING_CONNECTION / CONNECTION_CLOSED.
 * - WINHTTP_OPTION_CONFIGURE_PASSPORT_AUTH: a Passport 302 comes back as "401 Found".
 *
 * Ports: WINHTTP_TEST_PORT (HTTP server: /hello, /slow, /redirect/N, /close),
 * WINHTTP_TEST_RAW_PORT (raw server: /raw/echo, /raw/passport), WINHTTP_TEST_CLOSED_PORT.
 */
#if !defined(_WIN32) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif
#include <winhttp.h>
#include "harness.h"
#include <errno.h>
#include <pthread.h>
#include <time.h>

static INTERNET_PORT http_port, raw_port, closed_port;

/* ---- Notification recorder --------------------------------------------------------------- */

struct note {
    HINTERNET handle;
    DWORD_PTR context;
    DWORD status;
    int tag;             /* which callback function got it (1: record, 2: record_other) */
    DWORD_PTR child_ctx; /* HANDLE_CREATED: the new handle's context, read inside the callback */
    DWORD api, error;    /* REQUEST_ERROR */
    pthread_t thread;
};

#define MAX_NOTES 8192
static struct note notes[MAX_NOTES];
static int n_notes;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;

/* The asynchronous request being driven from the callback (one at a time), found by its handle:
 * the context value is what these tests look at, so the driver cannot rely on it. */
static struct run {
    HINTERNET req;
    DWORD receive_on;  /* a progress status whose callback calls WinHttpReceiveResponse, or 0 */
    int receive_early; /* it did, and the call returned TRUE */
    pthread_t headers_thread;
    int done;
    DWORD api, error;
    DWORD body_len;
    char buf[4096];
} run;

static void finish(DWORD api, DWORD error)
{
    pthread_mutex_lock(&lock);
    run.done = 1;
    run.api = api;
    run.error = error;
    pthread_cond_broadcast(&changed);
    pthread_mutex_unlock(&lock);
}

/* Drives run.req: SENDREQUEST_COMPLETE -> ReceiveResponse -> HEADERS_AVAILABLE -> QueryDataAvailable
 * -> DATA_AVAILABLE -> ReadData -> READ_COMPLETE -> ... until 0 bytes. */
static void drive(HINTERNET h, DWORD status, LPVOID info, DWORD len)
{
    DWORD n;
    switch (status) {
    case WINHTTP_CALLBACK_STATUS_SENDING_REQUEST:
    case WINHTTP_CALLBACK_STATUS_REQUEST_SENT:
        if (run.receive_on == status) {
            run.receive_on = 0;
            run.receive_early = WinHttpReceiveResponse(h, NULL);
            if (!run.receive_early)
                finish(API_RECEIVE_RESPONSE, GetLastError());
        }
        break;
    case WINHTTP_CALLBACK_STATUS_SENDREQUEST_COMPLETE:
        if (!run.receive_early && !WinHttpReceiveResponse(h, NULL))
            finish(API_RECEIVE_RESPONSE, GetLastError());
        break;
    case WINHTTP_CALLBACK_STATUS_HEADERS_AVAILABLE:
        run.headers_thread = pthread_self();
        if (!WinHttpQueryDataAvailable(h, NULL))
            finish(API_QUERY_DATA_AVAILABLE, GetLastError());
        break;
    case WINHTTP_CALLBACK_STATUS_DATA_AVAILABLE:
        n = *(DWORD *)info;
        if (n == 0)
            finish(0, 0);
        else if (!WinHttpReadData(h, run.buf, n < sizeof(run.buf) ? n : (DWORD)sizeof(run.buf), NULL))
            finish(API_READ_DATA, GetLastError());
        break;
    case WINHTTP_CALLBACK_STATUS_READ_COMPLETE:
        run.body_len += len;
        if (len == 0)
            finish(0, 0);
        else if (!WinHttpQueryDataAvailable(h, NULL))
            finish(API_QUERY_DATA_AVAILABLE, GetLastError());
        break;
    case WINHTTP_CALLBACK_STATUS_REQUEST_ERROR: {
        WINHTTP_ASYNC_RESULT *r = (WINHTTP_ASYNC_RESULT *)info;
        finish((DWORD)r->dwResult, r->dwError);
        break;
    }
    default:
        break;
    }
}

static void note_it(int tag, HINTERNET h, DWORD_PTR ctx, DWORD status, LPVOID info)
{
    struct note n;
    memset(&n, 0, sizeof(n));
    n.handle = h;
    n.context = ctx;
    n.status = status;
    n.tag = tag;
    n.thread = pthread_self();
    if (status == WINHTTP_CALLBACK_STATUS_HANDLE_CREATED) {
        DWORD_PTR v = 0;
        DWORD size = sizeof(v);
        if (WinHttpQueryOption(*(HINTERNET *)info, WINHTTP_OPTION_CONTEXT_VALUE, &v, &size))
            n.child_ctx = v;
    }
    if (status == WINHTTP_CALLBACK_STATUS_REQUEST_ERROR) {
        WINHTTP_ASYNC_RESULT *r = (WINHTTP_ASYNC_RESULT *)info;
        n.api = (DWORD)r->dwResult;
        n.error = r->dwError;
    }
    pthread_mutex_lock(&lock);
    if (n_notes < MAX_NOTES)
        notes[n_notes++] = n;
    pthread_cond_broadcast(&changed);
    pthread_mutex_unlock(&lock);
}

static void CALLBACK record(HINTERNET h, DWORD_PTR ctx, DWORD status, LPVOID info, DWORD len)
{
    note_it(1, h, ctx, status, info);
    if (h && h == run.req)
        drive(h, status, info, len);
}

static void CALLBACK record_other(HINTERNET h, DWORD_PTR ctx, DWORD status, LPVOID info, DWORD len)
{
    note_it(2, h, ctx, status, info);
    if (h && h == run.req)
        drive(h, status, info, len);
}

static int notes_now(void)
{
    int n;
    pthread_mutex_lock(&lock);
    n = n_notes;
    pthread_mutex_unlock(&lock);
    return n;
}

/* The first note for `h` with `status` since `from` (a copy), or a zeroed note. */
static struct note find(int from, HINTERNET h, DWORD status)
{
    struct note r;
    int i;
    memset(&r, 0, sizeof(r));
    pthread_mutex_lock(&lock);
    for (i = from; i < n_notes; i++)
        if (notes[i].handle == h && notes[i].status == status) {
            r = notes[i];
            break;
        }
    pthread_mutex_unlock(&lock);
    return r;
}

static int count(int from, HINTERNET h, DWORD status)
{
    int i, n = 0;
    pthread_mutex_lock(&lock);
    for (i = from; i < n_notes; i++)
        n += notes[i].handle == h && (status == 0 || notes[i].status == status);
    pthread_mutex_unlock(&lock);
    return n;
}

/* Notes for `h` since `from` whose context or callback is not the expected one. */
static int mismatches(int from, HINTERNET h, DWORD_PTR ctx, int tag)
{
    int i, n = 0;
    pthread_mutex_lock(&lock);
    for (i = from; i < n_notes; i++)
        if (notes[i].handle == h && (notes[i].context != ctx || notes[i].tag != tag)) {
            if (n < 3)
                printf("  note %#lx for %p: context %p (expected %p), callback %d (expected %d)\n",
                       (unsigned long)notes[i].status, (void *)h, (void *)notes[i].context, (void *)ctx,
                       notes[i].tag, tag);
            n++;
        }
    pthread_mutex_unlock(&lock);
    return n;
}

/* Waits (up to ms) for a note for `h` with `status` since `from`. */
static int wait_note(int from, HINTERNET h, DWORD status, int ms)
{
    struct timespec ts;
    int found = 0, i;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&lock);
    for (;;) {
        for (i = from; i < n_notes && !found; i++)
            found = notes[i].handle == h && notes[i].status == status;
        if (found || pthread_cond_timedwait(&changed, &lock, &ts) == ETIMEDOUT)
            break;
    }
    for (i = from; i < n_notes && !found; i++)
        found = notes[i].handle == h && notes[i].status == status;
    pthread_mutex_unlock(&lock);
    return found;
}

/* Closes a handle and waits for its HANDLE_CLOSING (when a callback asked for it). */
static void close_and_wait(HINTERNET h, int expect_note)
{
    int mark = notes_now();
    CHECK_OK(WinHttpCloseHandle(h));
    if (expect_note)
        CHECK(wait_note(mark, h, WINHTTP_CALLBACK_STATUS_HANDLE_CLOSING, 5000));
}

/* ---- Running one request in either mode ---------------------------------------------------- */

static DWORD status_of(HINTERNET req)
{
    DWORD status = 0, size = sizeof(status);
    if (!WinHttpQueryHeaders(req, WINHTTP_QUERY_STATUS_CODE | WINHTTP_QUERY_FLAG_NUMBER, WINHTTP_HEADER_NAME_BY_INDEX,
                             &status, &size, WINHTTP_NO_HEADER_INDEX))
        return 0;
    return status;
}

/* Sends `req` with `ctx` as dwContext and reads the whole response. Returns the status (0 on a
 * failure; *api and *error then say which call failed and why). Async requests are driven from the
 * callback, which must be installed with the completions in its mask. */
static DWORD receive_on; /* for the next async do_request: see struct run */

static DWORD do_request(HINTERNET req, int async, DWORD_PTR ctx, DWORD *api, DWORD *error)
{
    DWORD dummy_api, dummy_error;
    if (!api)
        api = &dummy_api;
    if (!error)
        error = &dummy_error;
    *api = 0;
    *error = 0;
    if (!async) {
        char buf[4096];
        DWORD n = 0;
        if (!WinHttpSendRequest(req, WINHTTP_NO_ADDITIONAL_HEADERS, 0, WINHTTP_NO_REQUEST_DATA, 0, 0, ctx)) {
            *api = API_SEND_REQUEST;
            *error = GetLastError();
            return 0;
        }
        if (!WinHttpReceiveResponse(req, NULL)) {
            *api = API_RECEIVE_RESPONSE;
            *error = GetLastError();
            return 0;
        }
        do {
            if (!WinHttpReadData(req, buf, sizeof(buf), &n)) {
                *api = API_READ_DATA;
                *error = GetLastError();
                return 0;
            }
        } while (n > 0);
        return status_of(req);
    } else {
        struct timespec ts;
        int done;
        pthread_mutex_lock(&lock);
        memset(&run, 0, sizeof(run));
        run.req = req;
        run.receive_on = receive_on;
        receive_on = 0;
        pthread_mutex_unlock(&lock);
        if (!WinHttpSendRequest(req, WINHTTP_NO_ADDITIONAL_HEADERS, 0, WINHTTP_NO_REQUEST_DATA, 0, 0, ctx))
            finish(API_SEND_REQUEST, GetLastError());
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += 20;
        pthread_mutex_lock(&lock);
        while (!run.done)
            if (pthread_cond_timedwait(&changed, &lock, &ts) == ETIMEDOUT)
                break;
        done = run.done;
        *api = run.api;
        *error = run.error;
        run.req = NULL;
        pthread_mutex_unlock(&lock);
        if (!done) {
            printf("  async request did not end within 20 s\n");
            *api = 0xffff;
            return 0;
        }
        return *api ? 0 : status_of(req);
    }
}

static HINTERNET open_session(int async)
{
    HINTERNET ses = WinHttpOpen(L"fidelity", WINHTTP_ACCESS_TYPE_NO_PROXY, WINHTTP_NO_PROXY_NAME,
                                WINHTTP_NO_PROXY_BYPASS, async ? WINHTTP_FLAG_ASYNC : 0);
    CHECK(ses != NULL);
    return ses;
}

static HINTERNET open_req(HINTERNET con, const WCHAR *path, DWORD flags)
{
    HINTERNET req =
        WinHttpOpenRequest(con, L"GET", path, NULL, WINHTTP_NO_REFERER, WINHTTP_DEFAULT_ACCEPT_TYPES, flags);
    CHECK(req != NULL);
    return req;
}

static DWORD_PTR context_of(HINTERNET h)
{
    DWORD_PTR v = 0xdead;
    DWORD size = sizeof(v);
    CHECK(WinHttpQueryOption(h, WINHTTP_OPTION_CONTEXT_VALUE, &v, &size));
    return v;
}

static void set_context(HINTERNET h, DWORD_PTR v)
{
    CHECK_OK(WinHttpSetOption(h, WINHTTP_OPTION_CONTEXT_VALUE, &v, sizeof(v)));
}

static DWORD dword_option(HINTERNET h, DWORD option)
{
    DWORD v = 0xdeadbeef, size = sizeof(v);
    CHECK(WinHttpQueryOption(h, option, &v, &size));
    return v;
}

static void set_dword(HINTERNET h, DWORD option, DWORD v)
{
    CHECK_OK(WinHttpSetOption(h, option, &v, sizeof(v)));
}

/* Everything the async driver needs plus every progress notification. */
#define ALL WINHTTP_CALLBACK_FLAG_ALL_NOTIFICATIONS

/* ---- 1. Context values --------------------------------------------------------------------- */

static int ctx_a, ctx_b, ctx_c, ctx_s, ctx_k, ctx_s2;

static void test_context(int async)
{
    HINTERNET ses = open_session(async), con, req;
    int mark;
    struct note created;

    printf("context values (%s)\n", async ? "async" : "sync");
    CHECK(WinHttpSetStatusCallback(ses, record, ALL, 0) != WINHTTP_INVALID_STATUS_CALLBACK);
    con = WinHttpConnect(ses, L"127.0.0.1", http_port, 0);
    CHECK(con != NULL);

    /* The option, then dwContext 0 on send (Microsoft's async sample): the option's value stays. */
    req = open_req(con, L"/hello", 0);
    CHECK_EQ(context_of(req), 0);
    set_context(req, (DWORD_PTR)&ctx_a);
    mark = notes_now();
    CHECK_EQ(do_request(req, async, 0, NULL, NULL), 200);
    CHECK(count(mark, req, 0) >= 4);
    CHECK_EQ(mismatches(mark, req, (DWORD_PTR)&ctx_a, 1), 0);
    CHECK_EQ(context_of(req), (DWORD_PTR)&ctx_a);
    close_and_wait(req, 1);
    CHECK_EQ(mismatches(mark, req, (DWORD_PTR)&ctx_a, 1), 0);

    /* The option, then a non-zero dwContext: the send's value wins from then on. */
    req = open_req(con, L"/hello", 0);
    set_context(req, (DWORD_PTR)&ctx_a);
    mark = notes_now();
    CHECK_EQ(do_request(req, async, (DWORD_PTR)&ctx_b, NULL, NULL), 200);
    CHECK(count(mark, req, 0) >= 4);
    CHECK_EQ(mismatches(mark, req, (DWORD_PTR)&ctx_b, 1), 0);
    CHECK_EQ(context_of(req), (DWORD_PTR)&ctx_b);
    /* A second send with 0 keeps what the first one set. */
    mark = notes_now();
    CHECK_EQ(do_request(req, async, 0, NULL, NULL), 200);
    CHECK_EQ(mismatches(mark, req, (DWORD_PTR)&ctx_b, 1), 0);
    close_and_wait(req, 1);

    /* No option, a value on send. */
    req = open_req(con, L"/hello", 0);
    mark = notes_now();
    CHECK_EQ(do_request(req, async, (DWORD_PTR)&ctx_c, NULL, NULL), 200);
    CHECK(count(mark, req, 0) >= 4);
    CHECK_EQ(mismatches(mark, req, (DWORD_PTR)&ctx_c, 1), 0);
    close_and_wait(req, 1);
    close_and_wait(con, 1);
    close_and_wait(ses, 1);

    /* Inherited: a context set on the session reaches the connect handle and its requests (their
     * HANDLE_CREATED carries the parent's value and the new handle already has it). */
    ses = open_session(async);
    CHECK(WinHttpSetStatusCallback(ses, record, ALL, 0) != WINHTTP_INVALID_STATUS_CALLBACK);
    set_context(ses, (DWORD_PTR)&ctx_s);
    mark = notes_now();
    con = WinHttpConnect(ses, L"127.0.0.1", http_port, 0);
    CHECK(con != NULL);
    CHECK_EQ(context_of(con), (DWORD_PTR)&ctx_s);
    created = find(mark, con, WINHTTP_CALLBACK_STATUS_HANDLE_CREATED);
    CHECK_EQ(created.context, (DWORD_PTR)&ctx_s);
    CHECK_EQ(created.child_ctx, (DWORD_PTR)&ctx_s);
    mark = notes_now();
    req = open_req(con, L"/hello", 0);
    CHECK_EQ(context_of(req), (DWORD_PTR)&ctx_s);
    created = find(mark, req, WINHTTP_CALLBACK_STATUS_HANDLE_CREATED);
    CHECK_EQ(created.context, (DWORD_PTR)&ctx_s);
    CHECK_EQ(created.child_ctx, (DWORD_PTR)&ctx_s);
    mark = notes_now();
    CHECK_EQ(do_request(req, async, 0, NULL, NULL), 200);
    CHECK(count(mark, req, 0) >= 4);
    CHECK_EQ(mismatches(mark, req, (DWORD_PTR)&ctx_s, 1), 0);
    close_and_wait(req, 1);

    /* From the connect handle: its own value, set after it was created, is what its new requests
     * start with; the requests made before keep theirs. */
    req = open_req(con, L"/hello", 0);
    set_context(con, (DWORD_PTR)&ctx_k);
    CHECK_EQ(context_of(req), (DWORD_PTR)&ctx_s);
    close_and_wait(req, 1);
    mark = notes_now();
    req = open_req(con, L"/hello", 0);
    CHECK_EQ(context_of(req), (DWORD_PTR)&ctx_k);
    created = find(mark, req, WINHTTP_CALLBACK_STATUS_HANDLE_CREATED);
    CHECK_EQ(created.context, (DWORD_PTR)&ctx_k);
    mark = notes_now();
    CHECK_EQ(do_request(req, async, 0, NULL, NULL), 200);
    CHECK_EQ(mismatches(mark, req, (DWORD_PTR)&ctx_k, 1), 0);
    /* A later change of the session's value reaches neither existing child. */
    set_context(ses, (DWORD_PTR)&ctx_s2);
    CHECK_EQ(context_of(con), (DWORD_PTR)&ctx_k);
    CHECK_EQ(context_of(req), (DWORD_PTR)&ctx_k);
    close_and_wait(req, 1);
    close_and_wait(con, 1);
    close_and_wait(ses, 1);
}

/* ---- 2. Callbacks and their masks ------------------------------------------------------------ */

static void test_callbacks(int async)
{
    HINTERNET ses = open_session(async), con, con2, req, req2;
    int mark;
    const DWORD quiet = WINHTTP_CALLBACK_FLAG_HANDLES | WINHTTP_CALLBACK_FLAG_ALL_COMPLETIONS;

    printf("callbacks and masks (%s)\n", async ? "async" : "sync");
    /* A mask set on the session is inherited with its callback: no progress notifications. */
    CHECK(WinHttpSetStatusCallback(ses, record, quiet, 0) != WINHTTP_INVALID_STATUS_CALLBACK);
    con = WinHttpConnect(ses, L"127.0.0.1", http_port, 0);
    CHECK(con != NULL);
    req = open_req(con, L"/hello", 0);
    mark = notes_now();
    CHECK_EQ(do_request(req, async, 1, NULL, NULL), 200);
    CHECK_EQ(count(mark, req, WINHTTP_CALLBACK_STATUS_SENDING_REQUEST), 0);
    CHECK_EQ(count(mark, req, WINHTTP_CALLBACK_STATUS_RECEIVING_RESPONSE), 0);
    if (async)
        CHECK_EQ(count(mark, req, WINHTTP_CALLBACK_STATUS_HEADERS_AVAILABLE), 1);
    close_and_wait(req, 1);

    /* A request's own registration wins over the inherited one, for that request only; the
     * previous callback returned is the inherited one. */
    req = open_req(con, L"/hello", 0);
    CHECK(WinHttpSetStatusCallback(req, record_other, ALL, 0) == record);
    req2 = open_req(con, L"/hello", 0);
    mark = notes_now();
    CHECK_EQ(do_request(req, async, 2, NULL, NULL), 200);
    CHECK(count(mark, req, WINHTTP_CALLBACK_STATUS_SENDING_REQUEST) >= 1);
    CHECK_EQ(mismatches(mark, req, 2, 2), 0);
    mark = notes_now();
    CHECK_EQ(do_request(req2, async, 3, NULL, NULL), 200);
    CHECK_EQ(count(mark, req2, WINHTTP_CALLBACK_STATUS_SENDING_REQUEST), 0);
    CHECK_EQ(mismatches(mark, req2, 3, 1), 0);
    close_and_wait(req, 1);
    close_and_wait(req2, 1);

    /* A new registration on the session reaches handles created afterwards only. */
    req = open_req(con, L"/hello", 0);
    CHECK(WinHttpSetStatusCallback(ses, record_other, quiet, 0) == record);
    con2 = WinHttpConnect(ses, L"127.0.0.1", http_port, 0);
    req2 = open_req(con2, L"/hello", 0);
    mark = notes_now();
    CHECK_EQ(do_request(req, async, 4, NULL, NULL), 200);
    CHECK(count(mark, req, 0) > 0 || !async);
    CHECK_EQ(mismatches(mark, req, 4, 1), 0);
    mark = notes_now();
    CHECK_EQ(do_request(req2, async, 5, NULL, NULL), 200);
    CHECK(count(mark, req2, 0) > 0 || !async);
    CHECK_EQ(mismatches(mark, req2, 5, 2), 0);
    close_and_wait(req, 1);
    close_and_wait(req2, 1);
    WinHttpCloseHandle(con2);
    WinHttpCloseHandle(con);
    WinHttpCloseHandle(ses);
}

/* ---- 3. Settings copied at WinHttpOpenRequest -------------------------------------------------- */

static void test_settings(int async)
{
    HINTERNET ses = open_session(async), con, req, req2;
    DWORD api, error;

    printf("timeouts and redirect policy (%s)\n", async ? "async" : "sync");
    CHECK(WinHttpSetStatusCallback(ses, record, WINHTTP_CALLBACK_FLAG_ALL_COMPLETIONS, 0) !=
          WINHTTP_INVALID_STATUS_CALLBACK);
    con = WinHttpConnect(ses, L"127.0.0.1", http_port, 0);
    CHECK(con != NULL);

    /* Timeouts set on the session after a request exists do not reach it: it keeps the values it
     * copied (30 s receive), so a 1.5 s wait is fine; a request opened afterwards has the new one. */
    req = open_req(con, L"/slow?ms=1500", 0);
    CHECK_OK(WinHttpSetTimeouts(ses, 0, 60000, 30000, 300));
    CHECK_EQ(dword_option(req, WINHTTP_OPTION_RECEIVE_TIMEOUT), 30000);
    CHECK_EQ(dword_option(con, WINHTTP_OPTION_RECEIVE_TIMEOUT), 300); /* a connect shows its session's */
    CHECK_EQ(dword_option(ses, WINHTTP_OPTION_RECEIVE_TIMEOUT), 300);
    req2 = open_req(con, L"/slow?ms=1500", 0);
    CHECK_EQ(dword_option(req2, WINHTTP_OPTION_RECEIVE_TIMEOUT), 300);
    CHECK_EQ(do_request(req, async, 1, NULL, NULL), 200);
    CHECK_EQ(do_request(req2, async, 2, &api, &error), 0);
    CHECK_EQ(api, API_RECEIVE_RESPONSE);
    CHECK_EQ(error, ERROR_WINHTTP_TIMEOUT);
    WinHttpCloseHandle(req);
    WinHttpCloseHandle(req2);

    /* The other style on the session, then the dedicated call on the request: each handle reads
     * back what was set last on it. */
    set_dword(ses, WINHTTP_OPTION_RECEIVE_TIMEOUT, 20000);
    req = open_req(con, L"/slow?ms=1500", 0);
    CHECK_EQ(dword_option(req, WINHTTP_OPTION_RECEIVE_TIMEOUT), 20000);
    CHECK_OK(WinHttpSetTimeouts(req, 0, 60000, 30000, 200));
    CHECK_EQ(dword_option(req, WINHTTP_OPTION_RECEIVE_TIMEOUT), 200);
    CHECK_EQ(dword_option(ses, WINHTTP_OPTION_RECEIVE_TIMEOUT), 20000);
    CHECK_EQ(do_request(req, async, 3, &api, &error), 0);
    CHECK_EQ(error, ERROR_WINHTTP_TIMEOUT);
    WinHttpCloseHandle(req);
    req = open_req(con, L"/slow?ms=1500", 0);
    set_dword(req, WINHTTP_OPTION_RECEIVE_TIMEOUT, 30000);
    CHECK_OK(WinHttpSetTimeouts(ses, 0, 60000, 30000, 100));
    CHECK_EQ(dword_option(req, WINHTTP_OPTION_RECEIVE_TIMEOUT), 30000);
    CHECK_EQ(do_request(req, async, 4, NULL, NULL), 200);
    WinHttpCloseHandle(req);
    CHECK_OK(WinHttpSetTimeouts(ses, 0, 60000, 30000, 30000));

    /* The redirect policy: copied at WinHttpOpenRequest like the timeouts. */
    set_dword(ses, WINHTTP_OPTION_REDIRECT_POLICY, WINHTTP_OPTION_REDIRECT_POLICY_NEVER);
    req = open_req(con, L"/redirect/302", 0);
    set_dword(ses, WINHTTP_OPTION_REDIRECT_POLICY, WINHTTP_OPTION_REDIRECT_POLICY_ALWAYS);
    req2 = open_req(con, L"/redirect/302", 0);
    CHECK_EQ(dword_option(req, WINHTTP_OPTION_REDIRECT_POLICY), WINHTTP_OPTION_REDIRECT_POLICY_NEVER);
    CHECK_EQ(dword_option(req2, WINHTTP_OPTION_REDIRECT_POLICY), WINHTTP_OPTION_REDIRECT_POLICY_ALWAYS);
    CHECK_EQ(do_request(req, async, 5, NULL, NULL), 302);
    CHECK_EQ(do_request(req2, async, 6, NULL, NULL), 200);
    WinHttpCloseHandle(req);
    WinHttpCloseHandle(req2);
    /* On the request itself, either way: the policy option or WINHTTP_DISABLE_REDIRECTS. */
    req = open_req(con, L"/redirect/302", 0);
    set_dword(req, WINHTTP_OPTION_REDIRECT_POLICY, WINHTTP_OPTION_REDIRECT_POLICY_NEVER);
    CHECK_EQ(do_request(req, async, 7, NULL, NULL), 302);
    WinHttpCloseHandle(req);
    req = open_req(con, L"/redirect/302", 0);
    set_dword(req, WINHTTP_OPTION_DISABLE_FEATURE, WINHTTP_DISABLE_REDIRECTS);
    CHECK_EQ(do_request(req, async, 8, NULL, NULL), 302);
    WinHttpCloseHandle(req);
    WinHttpCloseHandle(con);
    WinHttpCloseHandle(ses);
}

/* ---- 4. Proxy and credentials ---------------------------------------------------------------- */

/* Runs `req` (GET /raw/echo...) and returns the first line the raw server saw, in `line`. */
static int echo_line(HINTERNET req, char *line, size_t cap)
{
    char buf[2048];
    DWORD n = 0, total = 0;
    char *eol;
    line[0] = 0;
    if (!WinHttpSendRequest(req, WINHTTP_NO_ADDITIONAL_HEADERS, 0, WINHTTP_NO_REQUEST_DATA, 0, 0, 0) ||
        !WinHttpReceiveResponse(req, NULL))
        return 0;
    while (total < sizeof(buf) - 1 && WinHttpReadData(req, buf + total, sizeof(buf) - 1 - total, &n) && n > 0)
        total += n;
    buf[total] = 0;
    eol = strstr(buf, "\r\n");
    if (!eol)
        return 0;
    *eol = 0;
    snprintf(line, cap, "%s", buf);
    return 1;
}

static void test_proxy_and_credentials(void)
{
    HINTERNET ses = open_session(0), con, req;
    WINHTTP_PROXY_INFO pi;
    WCHAR proxy[64], buf[32];
    char line[512], want[512];
    DWORD size;

    printf("proxy and credentials\n");
    harness_swprintf(proxy, 64, L"127.0.0.1:%u", (unsigned)raw_port);
    con = WinHttpConnect(ses, L"127.0.0.1", raw_port, 0);
    CHECK(con != NULL);

    /* The session's proxy, set after the connect handle exists, is used by requests opened after it. */
    memset(&pi, 0, sizeof(pi));
    pi.dwAccessType = WINHTTP_ACCESS_TYPE_NAMED_PROXY;
    pi.lpszProxy = proxy;
    CHECK_OK(WinHttpSetOption(ses, WINHTTP_OPTION_PROXY, &pi, sizeof(pi)));
    req = open_req(con, L"/raw/echo", 0);
    snprintf(want, sizeof(want), "GET http://127.0.0.1:%u/raw/echo HTTP/1.1", (unsigned)raw_port);
    CHECK(echo_line(req, line, sizeof(line)) && strcmp(line, want) == 0);
    WinHttpCloseHandle(req);
    /* The request's own WINHTTP_OPTION_PROXY (no proxy) wins over the session's. */
    req = open_req(con, L"/raw/echo", 0);
    pi.dwAccessType = WINHTTP_ACCESS_TYPE_NO_PROXY;
    pi.lpszProxy = NULL;
    CHECK_OK(WinHttpSetOption(req, WINHTTP_OPTION_PROXY, &pi, sizeof(pi)));
    CHECK(echo_line(req, line, sizeof(line)) && strcmp(line, "GET /raw/echo HTTP/1.1") == 0);
    WinHttpCloseHandle(req);
    WinHttpCloseHandle(con);
    WinHttpCloseHandle(ses);

    /* WinHttpOpen's 3rd and 4th arguments are a proxy and a bypass list, never credentials. */
    ses = WinHttpOpen(L"fidelity", WINHTTP_ACCESS_TYPE_NAMED_PROXY, proxy, L"<local>", 0);
    CHECK(ses != NULL);
    con = WinHttpConnect(ses, L"127.0.0.1", raw_port, 0);
    /* WinHttpOpen's proxy is used ... */
    req = open_req(con, L"/raw/echo", 0);
    CHECK(echo_line(req, line, sizeof(line)) && strcmp(line, want) == 0);
    WinHttpCloseHandle(req);
    /* ... until WINHTTP_OPTION_PROXY on the session replaces it. */
    pi.dwAccessType = WINHTTP_ACCESS_TYPE_NO_PROXY;
    pi.lpszProxy = NULL;
    CHECK_OK(WinHttpSetOption(ses, WINHTTP_OPTION_PROXY, &pi, sizeof(pi)));
    req = open_req(con, L"/raw/echo", 0);
    CHECK(echo_line(req, line, sizeof(line)) && strcmp(line, "GET /raw/echo HTTP/1.1") == 0);
    WinHttpCloseHandle(req);
    req = open_req(con, L"/raw/echo", 0);
    size = sizeof(buf);
    CHECK(WinHttpQueryOption(req, WINHTTP_OPTION_PROXY_USERNAME, buf, &size));
    CHECK_EQ(size, 0);
    /* Credentials set through options belong to their request: a sibling starts empty. */
    CHECK_OK(WinHttpSetOption(req, WINHTTP_OPTION_USERNAME, L"user", 4));
    size = sizeof(buf);
    CHECK(WinHttpQueryOption(req, WINHTTP_OPTION_USERNAME, buf, &size));
    CHECK_WSTR(buf, L"user");
    WinHttpCloseHandle(req);
    req = open_req(con, L"/raw/echo", 0);
    size = sizeof(buf);
    CHECK(WinHttpQueryOption(req, WINHTTP_OPTION_USERNAME, buf, &size));
    CHECK_EQ(size, 0);
    WinHttpCloseHandle(req);
    WinHttpCloseHandle(con);
    WinHttpCloseHandle(ses);
}

/* ---- 5. Request-path escaping ---------------------------------------------------------------- */

/* The object names of Wine's test_request_path_escapes, each with its flags and the request line
 * Windows sends (the raw server echoes it). */
static void test_escapes(void)
{
    static const WCHAR raw3[] = L"/raw/echo\r\n\x1f\x7f< %three?\x1f\x7f !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~\r\n";
    static const WCHAR raw4[] = L"/raw/echo\r\n\x1f\x7f< %four?\x1f\x7f !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~\r\n";
    static const WCHAR raw1[] = L"/raw/echo\r\n\x1f\x7f< %one?\x1f\x7f !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~\r\n";
    static const WCHAR raw6[] = L"/raw/echo&text=two\x80\x7f~";
    static const struct {
        const WCHAR *obj;
        DWORD flags;
        const char *line;
    } cases[] = {
        {raw1, 0,
         "GET /raw/echo%0D%0A%1F%7F%3C%20%one?%1F%7F%20!%22%23$%&'()*+,-./:;%3C=%3E?@%5B%5C%5D%5E_%60%7B%7C%7D~%0D%0A "
         "HTTP/1.1"},
        {raw3, WINHTTP_FLAG_ESCAPE_DISABLE,
         "GET /raw/echo\x1f\x7f<%20%three?\x1f\x7f%20!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~ HTTP/1.1"},
        {raw4, WINHTTP_FLAG_ESCAPE_DISABLE_QUERY,
         "GET /raw/echo%0D%0A%1F%7F%3C%20%four?\x1f\x7f%20!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~ HTTP/1.1"},
        {raw6, WINHTTP_FLAG_ESCAPE_DISABLE, "GET /raw/echo&text=two%C2%80\x7f~ HTTP/1.1"},
    };
    HINTERNET ses = open_session(0), con, req;
    char line[512];
    size_t i;

    printf("request-path escaping\n");
    con = WinHttpConnect(ses, L"127.0.0.1", raw_port, 0);
    CHECK(con != NULL);
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int ok;
        req = open_req(con, cases[i].obj, cases[i].flags);
        ok = echo_line(req, line, sizeof(line));
        if (!ok || strcmp(line, cases[i].line) != 0)
            printf("  case %u: sent \"%s\"\n  expected     \"%s\"\n", (unsigned)i, line, cases[i].line);
        CHECK(ok && strcmp(line, cases[i].line) == 0);
        WinHttpCloseHandle(req);
    }
    WinHttpCloseHandle(con);
    WinHttpCloseHandle(ses);
}

/* ---- 6. Asynchronous calls out of order ------------------------------------------------------- */

static void test_out_of_order(int async)
{
    HINTERNET ses = open_session(async), con, con2, req;
    struct note n;
    int mark;
    DWORD avail = 0xdeadbeef, api, error;
    char b[4];

    printf("calls out of order (%s)\n", async ? "async" : "sync");
    CHECK(WinHttpSetStatusCallback(ses, record, ALL, 0) != WINHTTP_INVALID_STATUS_CALLBACK);
    con = WinHttpConnect(ses, L"127.0.0.1", http_port, 0);
    req = open_req(con, L"/hello", 0);
    set_context(req, (DWORD_PTR)&ctx_a);

    /* WinHttpReceiveResponse before WinHttpSendRequest. */
    mark = notes_now();
    SetLastError(0xdeadbeef);
    if (async) {
        /* TRUE; the error comes through REQUEST_ERROR, already delivered on this thread. */
        CHECK_OK(WinHttpReceiveResponse(req, NULL));
        n = find(mark, req, WINHTTP_CALLBACK_STATUS_REQUEST_ERROR);
        CHECK_EQ(n.api, API_RECEIVE_RESPONSE);
        CHECK_EQ(n.error, ERROR_WINHTTP_INCORRECT_HANDLE_STATE);
        CHECK_EQ(n.context, (DWORD_PTR)&ctx_a);
        CHECK(n.status && pthread_equal(n.thread, pthread_self()));
    } else {
        CHECK_FAILS(WinHttpReceiveResponse(req, NULL), ERROR_WINHTTP_INCORRECT_HANDLE_STATE);
        CHECK_EQ(count(mark, req, WINHTTP_CALLBACK_STATUS_REQUEST_ERROR), 0);
    }
    /* The other calls that need a response fail at once, in both modes (the out value untouched). */
    CHECK_FAILS(WinHttpQueryDataAvailable(req, &avail), ERROR_WINHTTP_INCORRECT_HANDLE_STATE);
    CHECK_EQ(avail, 0xdeadbeef);
    CHECK_FAILS(WinHttpReadData(req, b, sizeof(b), NULL), ERROR_WINHTTP_INCORRECT_HANDLE_STATE);
    CHECK_FAILS(WinHttpWriteData(req, "x", 1, NULL), ERROR_WINHTTP_INCORRECT_HANDLE_STATE);
    /* Nothing was spoiled: the request then runs normally. */
    CHECK_EQ(do_request(req, async, 0, NULL, NULL), 200);
    close_and_wait(req, 1);

    /* WinHttpReceiveResponse from inside the send's SENDING_REQUEST or REQUEST_SENT callback:
     * Windows returns TRUE and starts the receive once the send has completed, its
     * HEADERS_AVAILABLE on another thread (notification.c, test_recursion). Sync: refused. */
    if (async) {
        DWORD on[2] = {WINHTTP_CALLBACK_STATUS_SENDING_REQUEST, WINHTTP_CALLBACK_STATUS_REQUEST_SENT};
        int i;
        for (i = 0; i < 2; i++) {
            req = open_req(con, L"/hello", 0);
            receive_on = on[i];
            mark = notes_now();
            CHECK_EQ(do_request(req, async, 1, &api, &error), 200);
            CHECK(run.receive_early);
            CHECK(!pthread_equal(run.headers_thread, pthread_self()));
            CHECK_EQ(count(mark, req, WINHTTP_CALLBACK_STATUS_HEADERS_AVAILABLE), 1);
            CHECK_EQ(count(mark, req, WINHTTP_CALLBACK_STATUS_REQUEST_ERROR), 0);
            close_and_wait(req, 1);
        }
    }

    /* After a send that failed (connection refused): the same rule. */
    con2 = WinHttpConnect(ses, L"127.0.0.1", closed_port, 0);
    req = open_req(con2, L"/", 0);
    CHECK_EQ(do_request(req, async, 9, &api, &error), 0);
    CHECK_EQ(api, API_SEND_REQUEST);
    CHECK_EQ(error, ERROR_WINHTTP_CANNOT_CONNECT);
    mark = notes_now();
    if (async) {
        CHECK_OK(WinHttpReceiveResponse(req, NULL));
        n = find(mark, req, WINHTTP_CALLBACK_STATUS_REQUEST_ERROR);
        CHECK_EQ(n.api, API_RECEIVE_RESPONSE);
        CHECK_EQ(n.error, ERROR_WINHTTP_INCORRECT_HANDLE_STATE);
    } else {
        CHECK_FAILS(WinHttpReceiveResponse(req, NULL), ERROR_WINHTTP_INCORRECT_HANDLE_STATE);
    }
    close_and_wait(req, 1);
    WinHttpCloseHandle(con2);
    WinHttpCloseHandle(con);
    WinHttpCloseHandle(ses);
}

/* ---- 7. "Connection: close" ------------------------------------------------------------------ */

static void test_connection_close(int async)
{
    HINTERNET ses = open_session(async), con, req;
    int mark;

    printf("Connection: close (%s)\n", async ? "async" : "sync");
    CHECK(WinHttpSetStatusCallback(ses, record, ALL, 0) != WINHTTP_INVALID_STATUS_CALLBACK);
    con = WinHttpConnect(ses, L"127.0.0.1", http_port, 0);
    req = open_req(con, L"/close", 0);
    mark = notes_now();
    CHECK_EQ(do_request(req, async, 1, NULL, NULL), 200);
    close_and_wait(req, 1);
    WinHttpCloseHandle(con);
    WinHttpCloseHandle(ses);
    CHECK_EQ(count(mark, req, WINHTTP_CALLBACK_STATUS_CLOSING_CONNECTION), 0);
    CHECK_EQ(count(mark, req, WINHTTP_CALLBACK_STATUS_CONNECTION_CLOSED), 0);
    if (async)
        CHECK(count(mark, req, WINHTTP_CALLBACK_STATUS_READ_COMPLETE) >= 1);
}

/* ---- 8. Passport ----------------------------------------------------------------------------- */

static void test_passport(int async)
{
    static const WCHAR expected_raw[] =
        L"HTTP/1.1 401 Found\r\nContent-Length: 0\r\nLocation: /\r\nWWW-Authenticate: Passport1.4\r\n\r\n";
    HINTERNET ses = open_session(async), con, req;
    WCHAR buf[256];
    DWORD size;

    printf("passport (%s)\n", async ? "async" : "sync");
    CHECK(WinHttpSetStatusCallback(ses, record, WINHTTP_CALLBACK_FLAG_ALL_COMPLETIONS, 0) !=
          WINHTTP_INVALID_STATUS_CALLBACK);
    con = WinHttpConnect(ses, L"127.0.0.1", raw_port, 0);
    /* Not enabled: a plain redirect, followed (to the raw server's 404). */
    req = open_req(con, L"/raw/passport", 0);
    CHECK_EQ(do_request(req, async, 1, NULL, NULL), 404);
    WinHttpCloseHandle(req);
    /* Enabled on the session: 401, the reason phrase and headers as sent, nothing followed. */
    set_dword(ses, WINHTTP_OPTION_CONFIGURE_PASSPORT_AUTH, WINHTTP_ENABLE_PASSPORT_AUTH);
    req = open_req(con, L"/raw/passport", 0);
    CHECK_EQ(do_request(req, async, 2, NULL, NULL), 401);
    size = sizeof(buf);
    CHECK(WinHttpQueryHeaders(req, WINHTTP_QUERY_STATUS_TEXT, WINHTTP_HEADER_NAME_BY_INDEX, buf, &size,
                              WINHTTP_NO_HEADER_INDEX));
    CHECK_WSTR(buf, L"Found");
    size = sizeof(buf);
    CHECK(WinHttpQueryHeaders(req, WINHTTP_QUERY_RAW_HEADERS_CRLF, WINHTTP_HEADER_NAME_BY_INDEX, buf, &size,
                              WINHTTP_NO_HEADER_INDEX));
    CHECK_WSTR(buf, expected_raw);
    CHECK_EQ(size, harness_wcslen(expected_raw) * sizeof(WCHAR));
    WinHttpCloseHandle(req);
    WinHttpCloseHandle(con);
    WinHttpCloseHandle(ses);
}

int main(void)
{
    int async;
    http_port = (INTERNET_PORT)harness_env_int("WINHTTP_TEST_PORT", 0);
    raw_port = (INTERNET_PORT)harness_env_int("WINHTTP_TEST_RAW_PORT", 0);
    closed_port = (INTERNET_PORT)harness_env_int("WINHTTP_TEST_CLOSED_PORT", 0);
    if (!http_port || !raw_port || !closed_port) {
        printf("skipped: WINHTTP_TEST_PORT, WINHTTP_TEST_RAW_PORT or WINHTTP_TEST_CLOSED_PORT not set\n");
        return harness_report();
    }
    for (async = 0; async <= 1; async++) {
        test_context(async);
        test_callbacks(async);
        test_settings(async);
        test_out_of_order(async);
        test_connection_close(async);
        test_passport(async);
    }
    test_proxy_and_credentials();
    test_escapes();
    return harness_report();
}
