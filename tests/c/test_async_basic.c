/*
 * Asynchronous mode (WINHTTP_FLAG_ASYNC), notification by notification: what each async call
 * delivers, in which order, with which context, and on which thread relative to the call's last
 * error (spec 2.7, issue 4).
 *
 * Every async call here goes through call_async(), which checks the rule for calls that return
 * TRUE: GetLastError() is ERROR_SUCCESS when the completion (or REQUEST_ERROR) already ran inside
 * the call on the calling thread, ERROR_IO_PENDING when it comes on another thread (or on this
 * one, but only after the call returned). Requests are driven from inside the callback where a
 * test says so: SENDREQUEST_COMPLETE -> WinHttpReceiveResponse -> HEADERS_AVAILABLE ->
 * WinHttpQueryDataAvailable -> DATA_AVAILABLE -> WinHttpReadData -> READ_COMPLETE -> ... until
 * READ_COMPLETE with 0 bytes.
 *
 * Covered: a GET on a fresh connection and one on the pooled connection (tables), closing request,
 * connect and session (three HANDLE_CLOSING in close order), a redirect, a refused connect
 * (REQUEST_ERROR API_SEND_REQUEST / ERROR_WINHTTP_CANNOT_CONNECT), a POST written from
 * SENDREQUEST_COMPLETE with the response asked for from WRITE_COMPLETE, ReceiveResponse twice,
 * a second operation while one is pending, a read pending when the handle is closed, closing from
 * inside a callback, "Connection: close" end of data, byte-count pointers not written after the
 * call returned, and nothing for a handle after its HANDLE_CLOSING.
 *
 * Ports: WINHTTP_TEST_PORT (HTTP server: /hello, /upload, /close, /slow, /redirect/N),
 * WINHTTP_TEST_RAW_PORT (raw server: /raw/slow-body), WINHTTP_TEST_CLOSED_PORT (refuses).
 * Every wait has a timeout; a call that fails at once skips the waits that depend on it.
 */
#if !defined(_WIN32) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif
#include <winhttp.h>
#include "harness.h"
#include "status_names.h"
#include <errno.h>
#include <pthread.h>
#include <time.h>

static INTERNET_PORT http_port, raw_port, closed_port;

/* Everything shared with callbacks is guarded by this lock; `changed` is signalled on every
 * notification. Callbacks never hold it while calling WinHTTP. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
static pthread_t main_thread;

/* harness_check from any thread. */
#define ACHECK(cond)                                                                                              \
    do {                                                                                                          \
        int ok__ = !!(cond);                                                                                      \
        pthread_mutex_lock(&lock);                                                                                \
        harness_check(ok__, __FILE__, __LINE__, #cond);                                                           \
        pthread_mutex_unlock(&lock);                                                                              \
    } while (0)

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* ---- Contexts ------------------------------------------------------------------------------ */

#define CTX_MAGIC 0xa5c7e11u

enum ctx_kind { KIND_TAG, KIND_DRIVER };

/* Flags of a driver: what its callback does next by itself. */
#define AUTO_RECEIVE 0x1     /* WinHttpReceiveResponse from SENDREQUEST_COMPLETE / last WRITE_COMPLETE */
#define AUTO_READ 0x2        /* QueryDataAvailable/ReadData chain from HEADERS_AVAILABLE to the end */
#define CLOSE_IN_HEADERS 0x4 /* WinHttpCloseHandle from HEADERS_AVAILABLE */
#define LINGER_AT_END 0x8    /* the READ_COMPLETE 0 callback stays 300 ms after saying it is done */

/* What every context value in this program points to. A tag is the context of a session or
 * connect handle; a driver is the context of a request (given to WinHttpSendRequest). */
struct ctx {
    unsigned magic;
    enum ctx_kind kind;
    HINTERNET handle;  /* the handle this context belongs to */
    int closing_seen;  /* HANDLE_CLOSING notifications for `handle` */
    int after_closing; /* notifications for `handle` after its HANDLE_CLOSING */
};

struct driver {
    struct ctx c; /* first: a driver is its own context */
    int flags;
    int pending_api;      /* the API_* of the async call whose completion is outstanding, 0 if none */
    int bad_completions;  /* completions that matched no outstanding call */
    int done;             /* READ_COMPLETE 0 or REQUEST_ERROR arrived (auto modes) */
    int errors;           /* REQUEST_ERROR count */
    DWORD_PTR error_api;  /* of the last REQUEST_ERROR */
    DWORD error_code;
    int in_call_failures; /* async calls from callbacks that returned FALSE */
    int lingering;        /* a LINGER_AT_END callback is still running, on `lingering_thread` */
    pthread_t lingering_thread;
    int closing_overlapped; /* HANDLE_CLOSING arrived on another thread while a callback still ran */
    const unsigned char *upload;
    DWORD upload_len, chunk, written;
    char rbuf[4096];
    char body[65536];
    size_t body_len;
};

static struct ctx ses_tag = {CTX_MAGIC, KIND_TAG, NULL, 0, 0};
static struct ctx con_tag = {CTX_MAGIC, KIND_TAG, NULL, 0, 0};
static struct ctx ses2_tag = {CTX_MAGIC, KIND_TAG, NULL, 0, 0};
static struct ctx con2_tag = {CTX_MAGIC, KIND_TAG, NULL, 0, 0};

static void driver_init(struct driver *d, HINTERNET req, int flags)
{
    memset(d, 0, sizeof(*d));
    d->c.magic = CTX_MAGIC;
    d->c.kind = KIND_DRIVER;
    d->c.handle = req;
    d->flags = flags;
}

/* ---- Recording ----------------------------------------------------------------------------- */

#define MAX_NOTES 4096

struct note {
    HINTERNET handle;
    DWORD_PTR context;
    DWORD status;
    DWORD length;
    int on_main_thread;
    void *info;       /* the status information pointer as given */
    DWORD number;     /* DWORD payloads */
    HINTERNET hvalue; /* HINTERNET payloads */
    DWORD_PTR api;    /* REQUEST_ERROR */
    DWORD error;      /* REQUEST_ERROR */
    char text[256];   /* string payloads, as ASCII */
};

static struct note notes[MAX_NOTES];
static int note_count;

static int notes_now(void)
{
    int n;
    pthread_mutex_lock(&lock);
    n = note_count;
    pthread_mutex_unlock(&lock);
    return n;
}


/* The async call a completion status answers (API_*), or 0 for a progress notification. */
static int completion_api(DWORD status, const void *info, DWORD length)
{
    switch (status) {
    case WINHTTP_CALLBACK_STATUS_SENDREQUEST_COMPLETE:
        return API_SEND_REQUEST;
    case WINHTTP_CALLBACK_STATUS_HEADERS_AVAILABLE:
        return API_RECEIVE_RESPONSE;
    case WINHTTP_CALLBACK_STATUS_DATA_AVAILABLE:
        return API_QUERY_DATA_AVAILABLE;
    case WINHTTP_CALLBACK_STATUS_READ_COMPLETE:
        return API_READ_DATA;
    case WINHTTP_CALLBACK_STATUS_WRITE_COMPLETE:
        return API_WRITE_DATA;
    case WINHTTP_CALLBACK_STATUS_REQUEST_ERROR:
        if (info && length >= sizeof(WINHTTP_ASYNC_RESULT))
            return (int)((const WINHTTP_ASYNC_RESULT *)info)->dwResult;
        return -1;
    default:
        return 0;
    }
}

/* ---- Async calls and the IO_PENDING / SUCCESS rule ------------------------------------------ */

/* One async call in progress on this thread. */
struct frame {
    struct driver *d;
    int api;
    int completed_inside; /* its completion ran inside the call, on this thread */
};

static _Thread_local struct frame *frames[64];
static _Thread_local int frame_count;
static _Thread_local int callback_depth;
static int max_callback_depth;
static _Thread_local DWORD last_call_error; /* GetLastError() right after the last call_async_args */

/* Arguments of the call to make. */
struct call_args {
    void *buf;
    DWORD len;
    DWORD *count; /* lpdwNumberOf... pointer (NULL unless a test passes one) */
    const WCHAR *headers;
    DWORD headers_len;
    DWORD total_len;
};

/* Makes an async call for `d` and checks the last error against where the completion ran.
 * Returns the call's result. */
static BOOL call_async_args(struct driver *d, int api, const struct call_args *a)
{
    struct frame f = {d, api, 0};
    BOOL ok = FALSE;
    DWORD err;
    HINTERNET req = d->c.handle;

    pthread_mutex_lock(&lock);
    d->pending_api = api;
    pthread_mutex_unlock(&lock);
    frames[frame_count++] = &f;
    SetLastError(0xdeadbeef);
    switch (api) {
    case API_SEND_REQUEST:
        ok = WinHttpSendRequest(req, a->headers ? a->headers : WINHTTP_NO_ADDITIONAL_HEADERS, a->headers_len,
                                WINHTTP_NO_REQUEST_DATA, 0, a->total_len, (DWORD_PTR)d);
        break;
    case API_RECEIVE_RESPONSE:
        ok = WinHttpReceiveResponse(req, NULL);
        break;
    case API_QUERY_DATA_AVAILABLE:
        ok = WinHttpQueryDataAvailable(req, a->count);
        break;
    case API_READ_DATA:
        ok = WinHttpReadData(req, a->buf, a->len, a->count);
        break;
    case API_WRITE_DATA:
        ok = WinHttpWriteData(req, a->buf, a->len, a->count);
        break;
    }
    err = GetLastError();
    last_call_error = err;
    frame_count--;
    if (!ok) {
        pthread_mutex_lock(&lock);
        if (d->pending_api == api)
            d->pending_api = 0;
        pthread_mutex_unlock(&lock);
        printf("  async call API %d failed at once with %lu\n", api, (unsigned long)err);
        return FALSE;
    }
    if (err == ERROR_SUCCESS) {
        if (!f.completed_inside)
            printf("  API %d: ERROR_SUCCESS but its completion did not run inside the call\n", api);
        ACHECK(f.completed_inside);
    } else if (err == ERROR_IO_PENDING) {
        if (f.completed_inside)
            printf("  API %d: ERROR_IO_PENDING but its completion ran inside the call\n", api);
        ACHECK(!f.completed_inside);
    } else {
        printf("  API %d returned TRUE with last error %lu\n", api, (unsigned long)err);
        ACHECK(err == ERROR_SUCCESS || err == ERROR_IO_PENDING);
    }
    return TRUE;
}

static BOOL call_async(struct driver *d, int api)
{
    struct call_args a;
    memset(&a, 0, sizeof(a));
    if (api == API_READ_DATA) {
        a.buf = d->rbuf;
        a.len = sizeof(d->rbuf);
    }
    return call_async_args(d, api, &a);
}

/* call_async_args, also giving the last error the call left (for tests that need to know
 * whether it completed inside the call). */
static BOOL call_async_err(struct driver *d, int api, const struct call_args *a, DWORD *err)
{
    BOOL ok = call_async_args(d, api, a);
    *err = last_call_error;
    return ok;
}

/* The next write of a driver's upload: the rest of the body, at most `chunk` bytes. */
static BOOL write_next(struct driver *d)
{
    struct call_args a;
    memset(&a, 0, sizeof(a));
    a.buf = (void *)(d->upload + d->written);
    a.len = d->upload_len - d->written < d->chunk ? d->upload_len - d->written : d->chunk;
    return call_async_args(d, API_WRITE_DATA, &a);
}

/* ---- The callback -------------------------------------------------------------------------- */

static void record(HINTERNET handle, DWORD_PTR context, DWORD status, void *info, DWORD length)
{
    struct note *n;
    if (note_count == MAX_NOTES)
        return;
    n = &notes[note_count++];
    memset(n, 0, sizeof(*n));
    n->handle = handle;
    n->context = context;
    n->status = status;
    n->length = length;
    n->info = info;
    n->on_main_thread = pthread_equal(pthread_self(), main_thread);
    switch (status) {
    case WINHTTP_CALLBACK_STATUS_RESOLVING_NAME:
    case WINHTTP_CALLBACK_STATUS_NAME_RESOLVED:
    case WINHTTP_CALLBACK_STATUS_CONNECTING_TO_SERVER:
    case WINHTTP_CALLBACK_STATUS_CONNECTED_TO_SERVER:
    case WINHTTP_CALLBACK_STATUS_REDIRECT:
        if (info) {
            const WCHAR *w = info;
            size_t i;
            for (i = 0; w[i] && i + 1 < sizeof(n->text); i++)
                n->text[i] = w[i] < 128 ? (char)w[i] : '?';
        }
        break;
    case WINHTTP_CALLBACK_STATUS_REQUEST_SENT:
    case WINHTTP_CALLBACK_STATUS_RESPONSE_RECEIVED:
    case WINHTTP_CALLBACK_STATUS_DATA_AVAILABLE:
    case WINHTTP_CALLBACK_STATUS_WRITE_COMPLETE:
        if (info && length == sizeof(DWORD))
            n->number = *(const DWORD *)info;
        break;
    case WINHTTP_CALLBACK_STATUS_HANDLE_CREATED:
    case WINHTTP_CALLBACK_STATUS_HANDLE_CLOSING:
        if (info && length == sizeof(HINTERNET))
            n->hvalue = *(const HINTERNET *)info;
        break;
    case WINHTTP_CALLBACK_STATUS_REQUEST_ERROR:
        if (info && length == sizeof(WINHTTP_ASYNC_RESULT)) {
            n->api = ((const WINHTTP_ASYNC_RESULT *)info)->dwResult;
            n->error = ((const WINHTTP_ASYNC_RESULT *)info)->dwError;
        }
        break;
    default:
        break;
    }
}

static void CALLBACK callback(HINTERNET handle, DWORD_PTR context, DWORD status, LPVOID info, DWORD length)
{
    struct ctx *c = (struct ctx *)context;
    struct driver *d = NULL;
    int api, i, next = 0;

    callback_depth++;
    pthread_mutex_lock(&lock);
    if (callback_depth > max_callback_depth)
        max_callback_depth = callback_depth;
    record(handle, context, status, info, length);
    if (c && c->magic == CTX_MAGIC && c->handle == handle) {
        if (c->closing_seen) {
            c->after_closing++;
            printf("  %s for %p after its HANDLE_CLOSING\n", status_name(status), (void *)handle);
        }
        if (status == WINHTTP_CALLBACK_STATUS_HANDLE_CLOSING)
            c->closing_seen++;
        if (c->kind == KIND_DRIVER)
            d = (struct driver *)c;
        if (d && status == WINHTTP_CALLBACK_STATUS_HANDLE_CLOSING && d->lingering &&
            !pthread_equal(d->lingering_thread, pthread_self())) {
            d->closing_overlapped++;
            printf("  HANDLE_CLOSING for %p while another thread is still in a callback for it\n", (void *)handle);
        }
    }
    api = d ? completion_api(status, info, length) : 0;
    if (api) {
        /* The innermost call on this thread for this request, if its completion this is. */
        for (i = frame_count - 1; i >= 0; i--)
            if (frames[i]->d == d) {
                if (frames[i]->api == api)
                    frames[i]->completed_inside = 1;
                break;
            }
        if (d->pending_api != api) {
            d->bad_completions++;
            printf("  %s (API %d) with API %d outstanding\n", status_name(status), api, d->pending_api);
        }
        d->pending_api = 0;
    }
    if (d) {
        switch (status) {
        case WINHTTP_CALLBACK_STATUS_SENDREQUEST_COMPLETE:
            if (d->upload_len)
                next = API_WRITE_DATA;
            else if (d->flags & AUTO_RECEIVE)
                next = API_RECEIVE_RESPONSE;
            break;
        case WINHTTP_CALLBACK_STATUS_WRITE_COMPLETE:
            if (info && length == sizeof(DWORD))
                d->written += *(const DWORD *)info;
            if (d->written < d->upload_len)
                next = API_WRITE_DATA;
            else if (d->flags & AUTO_RECEIVE)
                next = API_RECEIVE_RESPONSE;
            break;
        case WINHTTP_CALLBACK_STATUS_HEADERS_AVAILABLE:
            if (d->flags & CLOSE_IN_HEADERS)
                next = -1;
            else if (d->flags & AUTO_READ)
                next = API_QUERY_DATA_AVAILABLE;
            break;
        case WINHTTP_CALLBACK_STATUS_DATA_AVAILABLE:
            if (d->flags & AUTO_READ)
                next = API_READ_DATA;
            break;
        case WINHTTP_CALLBACK_STATUS_READ_COMPLETE:
            if (info == d->rbuf && length <= sizeof(d->rbuf) && d->body_len + length <= sizeof(d->body)) {
                memcpy(d->body + d->body_len, info, length);
                d->body_len += length;
            }
            if (length == 0) {
                d->done = 1;
                if (d->flags & LINGER_AT_END) {
                    d->lingering = 1;
                    d->lingering_thread = pthread_self();
                    next = -2;
                }
            } else if (d->flags & AUTO_READ)
                next = API_QUERY_DATA_AVAILABLE;
            break;
        case WINHTTP_CALLBACK_STATUS_REQUEST_ERROR:
            d->errors++;
            if (info && length == sizeof(WINHTTP_ASYNC_RESULT)) {
                d->error_api = ((const WINHTTP_ASYNC_RESULT *)info)->dwResult;
                d->error_code = ((const WINHTTP_ASYNC_RESULT *)info)->dwError;
            }
            d->done = 1;
            break;
        default:
            break;
        }
    }
    pthread_cond_broadcast(&changed);
    pthread_mutex_unlock(&lock);

    /* The next step, outside the lock. */
    if (next == -2) {
        sleep_ms(300);
        pthread_mutex_lock(&lock);
        d->lingering = 0;
        pthread_mutex_unlock(&lock);
    } else if (next == -1) {
        ACHECK(WinHttpCloseHandle(handle));
    } else if (next) {
        BOOL ok = next == API_WRITE_DATA ? write_next(d) : call_async(d, next);
        if (!ok) {
            pthread_mutex_lock(&lock);
            d->in_call_failures++;
            d->done = 1;
            pthread_cond_broadcast(&changed);
            pthread_mutex_unlock(&lock);
        }
    }
    callback_depth--;
}

/* ---- Waiting ------------------------------------------------------------------------------- */

static void deadline_in(struct timespec *ts, int ms)
{
    clock_gettime(CLOCK_REALTIME, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

/* The index of the first notification `status` for `handle` at or after `from`, waiting up to
 * `ms`; -1 if none came. */
static int wait_note(HINTERNET handle, DWORD status, int from, int ms)
{
    struct timespec ts;
    int i, found = -1;
    deadline_in(&ts, ms);
    pthread_mutex_lock(&lock);
    for (;;) {
        for (i = from; i < note_count; i++)
            if (notes[i].handle == handle && notes[i].status == status) {
                found = i;
                break;
            }
        if (found >= 0 || pthread_cond_timedwait(&changed, &lock, &ts) == ETIMEDOUT)
            break;
    }
    if (found < 0)
        for (i = from; i < note_count; i++)
            if (notes[i].handle == handle && notes[i].status == status) {
                found = i;
                break;
            }
    pthread_mutex_unlock(&lock);
    if (found < 0)
        printf("  no %s for %p within %d ms\n", status_name(status), (void *)handle, ms);
    return found;
}

/* Waits until the driver is done (READ_COMPLETE 0, REQUEST_ERROR, or a failed call). */
static int wait_done(struct driver *d, int ms)
{
    struct timespec ts;
    int done;
    deadline_in(&ts, ms);
    pthread_mutex_lock(&lock);
    while (!d->done && pthread_cond_timedwait(&changed, &lock, &ts) != ETIMEDOUT) {
    }
    done = d->done;
    pthread_mutex_unlock(&lock);
    if (!done)
        printf("  request %p not done within %d ms\n", (void *)d->c.handle, ms);
    return done;
}

/* ---- Expected sequences -------------------------------------------------------------------- */

struct expected {
    DWORD status;
    int optional;
};

#define REQUIRED 0
#define OPTIONAL 1
#define E(s) {WINHTTP_CALLBACK_STATUS_##s, REQUIRED}
#define O(s) {WINHTTP_CALLBACK_STATUS_##s, OPTIONAL}

/* Resolve and connect, when the connection may or may not come from the pool. */
#define MAYBE_CONNECT O(RESOLVING_NAME), O(NAME_RESOLVED), O(CONNECTING_TO_SERVER), O(CONNECTING_TO_SERVER), \
                      O(CONNECTED_TO_SERVER)
/* The QueryDataAvailable/ReadData chain over a small body (it arrives at once): data, then the
 * end (DATA_AVAILABLE 0, READ_COMPLETE 0). ReadData and QueryDataAvailable may say they receive. */
#define READ_SMALL_BODY                                                                                           \
    O(RECEIVING_RESPONSE), O(RESPONSE_RECEIVED), E(DATA_AVAILABLE), O(RECEIVING_RESPONSE), O(RESPONSE_RECEIVED), \
        E(READ_COMPLETE), O(RECEIVING_RESPONSE), O(RESPONSE_RECEIVED), E(DATA_AVAILABLE), O(RECEIVING_RESPONSE),  \
        O(RESPONSE_RECEIVED), E(READ_COMPLETE)

/* A GET on a fresh connection, driven from the callbacks. */
static const struct expected get_fresh[] = {
    E(RESOLVING_NAME),     E(NAME_RESOLVED),      E(CONNECTING_TO_SERVER), O(CONNECTING_TO_SERVER),
    E(CONNECTED_TO_SERVER), E(SENDING_REQUEST),    E(REQUEST_SENT),         E(SENDREQUEST_COMPLETE),
    E(RECEIVING_RESPONSE), E(RESPONSE_RECEIVED),  E(HEADERS_AVAILABLE),    READ_SMALL_BODY,
};

/* A GET on the pooled connection: no resolving or connecting. */
static const struct expected get_pooled[] = {
    E(SENDING_REQUEST),   E(REQUEST_SENT),      E(SENDREQUEST_COMPLETE), E(RECEIVING_RESPONSE),
    E(RESPONSE_RECEIVED), E(HEADERS_AVAILABLE), READ_SMALL_BODY,
};

/* A GET, fresh or pooled connection. */
static const struct expected get_any[] = {
    MAYBE_CONNECT,         E(SENDING_REQUEST),   E(REQUEST_SENT),      E(SENDREQUEST_COMPLETE),
    E(RECEIVING_RESPONSE), E(RESPONSE_RECEIVED), E(HEADERS_AVAILABLE), READ_SMALL_BODY,
};

/* A redirect: one REDIRECT, no HEADERS_AVAILABLE for the 3xx, one for the final response. */
static const struct expected get_redirect[] = {
    MAYBE_CONNECT,         E(SENDING_REQUEST),    E(REQUEST_SENT),      E(SENDREQUEST_COMPLETE),
    E(RECEIVING_RESPONSE), E(RESPONSE_RECEIVED),  E(REDIRECT),          MAYBE_CONNECT,
    E(SENDING_REQUEST),    E(REQUEST_SENT),       E(RECEIVING_RESPONSE), E(RESPONSE_RECEIVED),
    E(HEADERS_AVAILABLE),  READ_SMALL_BODY,
};

/* A refused connect: progress up to the attempt, then REQUEST_ERROR for the send. */
static const struct expected send_refused[] = {
    E(RESOLVING_NAME),
    E(NAME_RESOLVED),
    E(CONNECTING_TO_SERVER),
    E(REQUEST_ERROR),
};

/* A POST: three writes from the callbacks (the first from SENDREQUEST_COMPLETE), the response
 * asked for from the last WRITE_COMPLETE. */
static const struct expected post_written[] = {
    MAYBE_CONNECT,        E(SENDING_REQUEST),    E(REQUEST_SENT),      E(SENDREQUEST_COMPLETE),
    E(WRITE_COMPLETE),    E(WRITE_COMPLETE),     E(WRITE_COMPLETE),    E(RECEIVING_RESPONSE),
    E(RESPONSE_RECEIVED), E(HEADERS_AVAILABLE),  READ_SMALL_BODY,
};

/* ReceiveResponse twice: the second call's REQUEST_ERROR right after HEADERS_AVAILABLE. */
static const struct expected receive_twice[] = {
    MAYBE_CONNECT,         E(SENDING_REQUEST),   E(REQUEST_SENT),      E(SENDREQUEST_COMPLETE),
    E(RECEIVING_RESPONSE), E(RESPONSE_RECEIVED), E(HEADERS_AVAILABLE), E(REQUEST_ERROR),
};

/* Closed from inside HEADERS_AVAILABLE: HANDLE_CLOSING and nothing else. */
static const struct expected closed_in_headers[] = {
    MAYBE_CONNECT,         E(SENDING_REQUEST),   E(REQUEST_SENT),      E(SENDREQUEST_COMPLETE),
    E(RECEIVING_RESPONSE), E(RESPONSE_RECEIVED), E(HEADERS_AVAILABLE), E(HANDLE_CLOSING),
};

static const struct expected created[] = {E(HANDLE_CREATED)};
static const struct expected closing[] = {E(HANDLE_CLOSING)};

static void print_sequence(const int *idx, int n, const struct expected *exp, size_t n_exp)
{
    size_t j;
    int i;
    printf("  got:     ");
    for (i = 0; i < n; i++)
        printf(" %s", status_name(notes[idx[i]].status));
    printf("\n  expected:");
    for (j = 0; j < n_exp; j++)
        printf(" %s%s", status_name(exp[j].status), exp[j].optional ? "(opt)" : "");
    printf("\n");
}

/* Whether the notifications for `handle` recorded from `from` on, leaving out those whose status
 * is in `skip` (a mask), are `exp` in order (optional ones may be absent, nothing else may
 * appear), each with `context`. */
static int sequence_matches(int from, const struct expected *exp, size_t n_exp, HINTERNET handle,
                            DWORD_PTR context, DWORD skip)
{
    static int idx[MAX_NOTES];
    int n = 0, i, ok = 1, to;
    size_t j = 0;

    pthread_mutex_lock(&lock);
    to = note_count;
    for (i = from; i < to; i++)
        if (notes[i].handle == handle && !(notes[i].status & skip))
            idx[n++] = i;
    for (i = 0; i < n && ok;) {
        const struct note *nt = &notes[idx[i]];
        if (j < n_exp && nt->status == exp[j].status) {
            if (nt->context != context) {
                printf("  %s: context %#lx, expected %#lx\n", status_name(nt->status), (unsigned long)nt->context,
                       (unsigned long)context);
                ok = 0;
            }
            i++;
            j++;
        } else if (j < n_exp && exp[j].optional) {
            j++;
        } else {
            ok = 0;
        }
    }
    while (ok && j < n_exp && exp[j].optional)
        j++;
    ok = ok && i == n && j == n_exp;
    if (!ok)
        print_sequence(idx, n, exp, n_exp);
    pthread_mutex_unlock(&lock);
    return ok;
}

#define CHECK_SEQUENCE_SKIP(from, exp, handle, context, skip)                                                     \
    harness_check(sequence_matches((from), (exp), sizeof(exp) / sizeof((exp)[0]), (handle), (DWORD_PTR)(context), \
                                   (skip)),                                                                       \
                  __FILE__, __LINE__, "notifications are " #exp)
#define CHECK_SEQUENCE(from, exp, handle, context) CHECK_SEQUENCE_SKIP(from, exp, handle, context, 0)

/* The n-th (from 0; -1: the last) notification `status` for `handle` from `from` on, or NULL. */
static const struct note *find_note(int from, HINTERNET handle, DWORD status, int nth)
{
    const struct note *found = NULL;
    int i, to = notes_now(), k = 0;
    for (i = from; i < to; i++)
        if (notes[i].handle == handle && notes[i].status == status) {
            found = &notes[i];
            if (k++ == nth)
                return found;
        }
    return nth < 0 ? found : NULL;
}

/* Checks that a driver finished its chain cleanly and received `body`. */
static void check_body(struct driver *d, const char *body, int line)
{
    size_t n = strlen(body);
    int ok = d->done && !d->errors && !d->in_call_failures && !d->bad_completions && d->body_len == n &&
             memcmp(d->body, body, n) == 0;
    if (!ok)
        printf("  request %p: done %d, errors %d (API %lu error %lu), failed calls %d, stray completions %d, "
               "body %u bytes \"%.*s\", expected \"%s\"\n",
               (void *)d->c.handle, d->done, d->errors, (unsigned long)d->error_api, (unsigned long)d->error_code,
               d->in_call_failures, d->bad_completions, (unsigned)d->body_len, (int)(d->body_len > 64 ? 64 : d->body_len),
               d->body, body);
    harness_check(ok, __FILE__, line, "request completed with the expected body");
}

static DWORD status_code(HINTERNET req)
{
    DWORD code = 0, size = sizeof(code);
    if (!WinHttpQueryHeaders(req, WINHTTP_QUERY_STATUS_CODE | WINHTTP_QUERY_FLAG_NUMBER, WINHTTP_HEADER_NAME_BY_INDEX,
                             &code, &size, WINHTTP_NO_HEADER_INDEX))
        return 0;
    return code;
}

/* Closes a request and checks that HANDLE_CLOSING arrives, with the driver's context, as the last
 * thing; `extra` statuses may come before it (e.g. a cancelled operation's REQUEST_ERROR). */
static void close_request(struct driver *d, int line)
{
    int mark = notes_now(), at;
    BOOL ok = WinHttpCloseHandle(d->c.handle);
    harness_check(ok, __FILE__, line, "WinHttpCloseHandle(request) succeeds");
    at = wait_note(d->c.handle, WINHTTP_CALLBACK_STATUS_HANDLE_CLOSING, mark, 5000);
    harness_check(at >= 0, __FILE__, line, "HANDLE_CLOSING arrives");
    if (at >= 0) {
        harness_check(notes[at].context == (DWORD_PTR)d && notes[at].hvalue == d->c.handle, __FILE__, line,
                      "HANDLE_CLOSING carries the request's context and handle");
    }
}

/* ---- Helpers ------------------------------------------------------------------------------- */

static HINTERNET open_async_session(struct ctx *tag)
{
    HINTERNET ses = WinHttpOpen(L"winhttp-test/1.0", WINHTTP_ACCESS_TYPE_NO_PROXY, WINHTTP_NO_PROXY_NAME,
                                WINHTTP_NO_PROXY_BYPASS, WINHTTP_FLAG_ASYNC);
    DWORD_PTR value = (DWORD_PTR)tag;
    WINHTTP_STATUS_CALLBACK prev;
    if (!ses)
        return NULL;
    tag->handle = ses;
    WinHttpSetTimeouts(ses, 5000, 5000, 5000, 5000);
    CHECK_OK(WinHttpSetOption(ses, WINHTTP_OPTION_CONTEXT_VALUE, &value, sizeof(value)));
    prev = WinHttpSetStatusCallback(ses, callback, WINHTTP_CALLBACK_FLAG_ALL_NOTIFICATIONS, 0);
    CHECK(prev == NULL);
    return ses;
}

static HINTERNET connect_tagged(HINTERNET ses, const WCHAR *host, INTERNET_PORT port, struct ctx *tag)
{
    HINTERNET con = WinHttpConnect(ses, host, port, 0);
    DWORD_PTR value = (DWORD_PTR)tag;
    if (con) {
        tag->handle = con;
        CHECK_OK(WinHttpSetOption(con, WINHTTP_OPTION_CONTEXT_VALUE, &value, sizeof(value)));
    }
    return con;
}

static HINTERNET open_request(HINTERNET con, const WCHAR *verb, const WCHAR *path)
{
    return WinHttpOpenRequest(con, verb, path, NULL, WINHTTP_NO_REFERER, WINHTTP_DEFAULT_ACCEPT_TYPES, 0);
}

/* FNV-1a 64-bit, as /upload reports it. */
static unsigned long long fnv1a64(const unsigned char *p, size_t n)
{
    unsigned long long h = 0xcbf29ce484222325ULL;
    size_t i;
    for (i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x00000100000001b3ULL;
    }
    return h;
}

/* ---- Tests --------------------------------------------------------------------------------- */

static HINTERNET ses2, con2; /* 127.0.0.1:http_port, for the tests that do not care about the pool */

/* A GET on a fresh connection, then one on the pooled connection, then closing request, connect
 * and session. */
static void test_get_fresh_pooled_and_close(void)
{
    static struct driver d1, d2;
    HINTERNET ses, con, req;
    const struct note *n;
    int mark, i, at[3];
    HINTERNET closed[3];
    struct ctx *tags[3];

    ses = open_async_session(&ses_tag);
    CHECK(ses != NULL);
    if (!ses)
        return;

    /* HANDLE_CREATED: inside WinHttpConnect / WinHttpOpenRequest, on the calling thread, with the
     * parent's context. */
    mark = notes_now();
    con = WinHttpConnect(ses, L"localhost", http_port, 0);
    CHECK(con != NULL);
    CHECK_SEQUENCE(mark, created, con, &ses_tag);
    CHECK(notes_now() > mark && notes[mark].on_main_thread && notes[mark].hvalue == con);
    {
        DWORD_PTR value = (DWORD_PTR)&con_tag;
        con_tag.handle = con;
        CHECK_OK(WinHttpSetOption(con, WINHTTP_OPTION_CONTEXT_VALUE, &value, sizeof(value)));
    }
    mark = notes_now();
    req = open_request(con, L"GET", L"/hello");
    CHECK(req != NULL);
    CHECK_SEQUENCE(mark, created, req, &con_tag);
    CHECK(notes_now() > mark && notes[mark].on_main_thread && notes[mark].hvalue == req);

    /* The whole exchange from the callbacks. */
    driver_init(&d1, req, AUTO_RECEIVE | AUTO_READ);
    mark = notes_now();
    if (call_async(&d1, API_SEND_REQUEST))
        wait_done(&d1, 10000);
    check_body(&d1, "Hello, world!", __LINE__);
    CHECK_EQ(status_code(req), 200);
    CHECK_SEQUENCE(mark, get_fresh, req, &d1);
    n = find_note(mark, req, WINHTTP_CALLBACK_STATUS_RESOLVING_NAME, 0);
    CHECK(n && strcmp(n->text, "localhost") == 0);
    n = find_note(mark, req, WINHTTP_CALLBACK_STATUS_CONNECTED_TO_SERVER, 0);
    CHECK(n && strcmp(n->text, "127.0.0.1") == 0);
    n = find_note(mark, req, WINHTTP_CALLBACK_STATUS_DATA_AVAILABLE, 0);
    CHECK(n && n->length == sizeof(DWORD) && n->number == 13);
    n = find_note(mark, req, WINHTTP_CALLBACK_STATUS_DATA_AVAILABLE, 1);
    CHECK(n && n->length == sizeof(DWORD) && n->number == 0);
    n = find_note(mark, req, WINHTTP_CALLBACK_STATUS_READ_COMPLETE, 0);
    CHECK(n && n->info == d1.rbuf && n->length == 13);
    n = find_note(mark, req, WINHTTP_CALLBACK_STATUS_READ_COMPLETE, -1);
    CHECK(n && n->length == 0);
    close_request(&d1, __LINE__);
    /* The connection goes back to the pool: no CLOSING_CONNECTION. */
    CHECK(!find_note(mark, req, WINHTTP_CALLBACK_STATUS_CLOSING_CONNECTION, 0));

    /* The second request takes the pooled connection. */
    req = open_request(con, L"GET", L"/hello");
    CHECK(req != NULL);
    driver_init(&d2, req, AUTO_RECEIVE | AUTO_READ);
    mark = notes_now();
    if (call_async(&d2, API_SEND_REQUEST))
        wait_done(&d2, 10000);
    check_body(&d2, "Hello, world!", __LINE__);
    CHECK_SEQUENCE(mark, get_pooled, req, &d2);

    /* Close request, connect handle and session: three HANDLE_CLOSING in that order, each with
     * its handle's context, and nothing after. */
    closed[0] = req;
    closed[1] = con;
    closed[2] = ses;
    tags[0] = &d2.c;
    tags[1] = &con_tag;
    tags[2] = &ses_tag;
    mark = notes_now();
    for (i = 0; i < 3; i++)
        CHECK_OK(WinHttpCloseHandle(closed[i]));
    for (i = 0; i < 3; i++) {
        at[i] = wait_note(closed[i], WINHTTP_CALLBACK_STATUS_HANDLE_CLOSING, mark, 5000);
        CHECK(at[i] >= 0);
        CHECK(at[i] < 0 || (notes[at[i]].context == (DWORD_PTR)tags[i] && notes[at[i]].hvalue == closed[i]));
    }
    CHECK(at[0] >= 0 && at[0] < at[1] && at[1] < at[2]);
    if (!(at[0] >= 0 && at[0] < at[1] && at[1] < at[2]))
        for (i = 0; i < 3; i++)
            printf("  HANDLE_CLOSING of the %s: note %d (from %d), %s thread\n",
                   i == 0 ? "request" : i == 1 ? "connect handle" : "session", at[i], mark,
                   at[i] >= 0 && notes[at[i]].on_main_thread ? "main" : "another");
    sleep_ms(100);
    CHECK_EQ(notes_now() - mark, 3);
    for (i = 0; i < 3; i++)
        CHECK_EQ(tags[i]->closing_seen, 1);
}

/* The same close order when the request's last callback is still running (it said it was done
 * and lingers 300 ms): the request's HANDLE_CLOSING may wait for that callback to return, but the
 * connect handle's and the session's still come after it (a child keeps its parents alive), and
 * HANDLE_CLOSING never overlaps a running callback of the same handle. */
static void test_close_order_while_callback_runs(void)
{
    static struct driver d;
    static struct ctx stag = {CTX_MAGIC, KIND_TAG, NULL, 0, 0}, ctag = {CTX_MAGIC, KIND_TAG, NULL, 0, 0};
    HINTERNET ses = open_async_session(&stag), con, req, closed[3];
    struct ctx *tags[3];
    int mark, i, at[3];

    CHECK(ses != NULL);
    if (!ses)
        return;
    con = connect_tagged(ses, L"127.0.0.1", http_port, &ctag);
    req = open_request(con, L"GET", L"/hello");
    CHECK(con != NULL && req != NULL);
    driver_init(&d, req, AUTO_RECEIVE | AUTO_READ | LINGER_AT_END);
    if (call_async(&d, API_SEND_REQUEST))
        wait_done(&d, 10000);
    check_body(&d, "Hello, world!", __LINE__);
    closed[0] = req;
    closed[1] = con;
    closed[2] = ses;
    tags[0] = &d.c;
    tags[1] = &ctag;
    tags[2] = &stag;
    mark = notes_now();
    for (i = 0; i < 3; i++)
        CHECK_OK(WinHttpCloseHandle(closed[i]));
    for (i = 0; i < 3; i++) {
        at[i] = wait_note(closed[i], WINHTTP_CALLBACK_STATUS_HANDLE_CLOSING, mark, 5000);
        CHECK(at[i] >= 0);
    }
    CHECK(at[0] >= 0 && at[0] < at[1] && at[1] < at[2]);
    if (!(at[0] >= 0 && at[0] < at[1] && at[1] < at[2]))
        for (i = 0; i < 3; i++)
            printf("  HANDLE_CLOSING of the %s: note %d (from %d), %s thread\n",
                   i == 0 ? "request" : i == 1 ? "connect handle" : "session", at[i], mark,
                   at[i] >= 0 && notes[at[i]].on_main_thread ? "main" : "another");
    CHECK_EQ(d.closing_overlapped, 0);
    sleep_ms(50);
    for (i = 0; i < 3; i++) {
        CHECK_EQ(tags[i]->closing_seen, 1);
        CHECK_EQ(tags[i]->after_closing, 0);
    }
}

/* A redirect on the same server: one REDIRECT, one HEADERS_AVAILABLE, the final body. */
static void test_redirect(void)
{
    static struct driver d;
    HINTERNET req = open_request(con2, L"GET", L"/redirect/302?to=/hello");
    const struct note *n;
    char url[128];
    int mark;

    CHECK(req != NULL);
    driver_init(&d, req, AUTO_RECEIVE | AUTO_READ);
    mark = notes_now();
    if (call_async(&d, API_SEND_REQUEST))
        wait_done(&d, 10000);
    check_body(&d, "Hello, world!", __LINE__);
    CHECK_EQ(status_code(req), 200);
    CHECK_SEQUENCE(mark, get_redirect, req, &d);
    n = find_note(mark, req, WINHTTP_CALLBACK_STATUS_REDIRECT, 0);
    snprintf(url, sizeof(url), "http://127.0.0.1:%u/hello", (unsigned)http_port);
    CHECK(n && strcmp(n->text, url) == 0);
    if (n && strcmp(n->text, url) != 0)
        printf("  REDIRECT payload \"%s\", expected \"%s\"\n", n->text, url);
    close_request(&d, __LINE__);
}

/* A refused connect: SendRequest returns TRUE, the failure comes as REQUEST_ERROR. */
static void test_refused(void)
{
    static struct driver d;
    static struct ctx tag = {CTX_MAGIC, KIND_TAG, NULL, 0, 0};
    HINTERNET con = connect_tagged(ses2, L"127.0.0.1", closed_port, &tag), req;
    const struct note *n;
    int mark;

    CHECK(con != NULL);
    req = open_request(con, L"GET", L"/");
    CHECK(req != NULL);
    driver_init(&d, req, AUTO_RECEIVE | AUTO_READ);
    mark = notes_now();
    if (call_async(&d, API_SEND_REQUEST))
        wait_done(&d, 10000);
    CHECK_EQ(d.errors, 1);
    CHECK_EQ(d.error_api, API_SEND_REQUEST);
    CHECK_EQ(d.error_code, ERROR_WINHTTP_CANNOT_CONNECT);
    CHECK_SEQUENCE(mark, send_refused, req, &d);
    n = find_note(mark, req, WINHTTP_CALLBACK_STATUS_REQUEST_ERROR, 0);
    CHECK(n && n->length == sizeof(WINHTTP_ASYNC_RESULT));
    close_request(&d, __LINE__);
    CHECK_OK(WinHttpCloseHandle(con));
}

/* A POST whose body is written from the callbacks: WinHttpWriteData from SENDREQUEST_COMPLETE and
 * from each WRITE_COMPLETE, WinHttpReceiveResponse from the last WRITE_COMPLETE. */
static void test_post_from_callbacks(void)
{
    static struct driver d;
    static unsigned char body[60000];
    HINTERNET req = open_request(con2, L"POST", L"/upload");
    char want[64];
    struct call_args a;
    const struct note *n;
    int mark, i;

    for (i = 0; i < (int)sizeof(body); i++)
        body[i] = (unsigned char)(i * 7 + (i >> 9));
    snprintf(want, sizeof(want), "%u %016llx", (unsigned)sizeof(body), fnv1a64(body, sizeof(body)));
    CHECK(req != NULL);
    driver_init(&d, req, AUTO_RECEIVE | AUTO_READ);
    d.upload = body;
    d.upload_len = sizeof(body);
    d.chunk = 20000;
    memset(&a, 0, sizeof(a));
    a.total_len = sizeof(body);
    mark = notes_now();
    if (call_async_args(&d, API_SEND_REQUEST, &a))
        wait_done(&d, 10000);
    check_body(&d, want, __LINE__);
    CHECK_EQ(d.written, sizeof(body));
    CHECK_SEQUENCE(mark, post_written, req, &d);
    for (i = 0; i < 3; i++) {
        n = find_note(mark, req, WINHTTP_CALLBACK_STATUS_WRITE_COMPLETE, i);
        CHECK(n && n->length == sizeof(DWORD) && n->number == 20000);
    }
    close_request(&d, __LINE__);
}

/* ReceiveResponse a second time after HEADERS_AVAILABLE: TRUE, then REQUEST_ERROR for it. */
static void test_receive_twice(void)
{
    static struct driver d;
    HINTERNET req = open_request(con2, L"GET", L"/hello");
    const struct note *n;
    int mark, ok;

    CHECK(req != NULL);
    driver_init(&d, req, 0);
    mark = notes_now();
    ok = call_async(&d, API_SEND_REQUEST);
    CHECK(ok);
    ok = ok && wait_note(req, WINHTTP_CALLBACK_STATUS_SENDREQUEST_COMPLETE, mark, 5000) >= 0;
    ok = ok && call_async(&d, API_RECEIVE_RESPONSE);
    CHECK(ok);
    ok = ok && wait_note(req, WINHTTP_CALLBACK_STATUS_HEADERS_AVAILABLE, mark, 5000) >= 0;
    CHECK(ok);
    if (ok) {
        CHECK(call_async(&d, API_RECEIVE_RESPONSE));
        CHECK(wait_note(req, WINHTTP_CALLBACK_STATUS_REQUEST_ERROR, mark, 5000) >= 0);
        n = find_note(mark, req, WINHTTP_CALLBACK_STATUS_REQUEST_ERROR, 0);
        CHECK(n && n->api == API_RECEIVE_RESPONSE && n->error != ERROR_SUCCESS);
        if (n)
            printf("  second ReceiveResponse: REQUEST_ERROR API %lu error %lu (on %s thread)\n",
                   (unsigned long)n->api, (unsigned long)n->error, n->on_main_thread ? "the calling" : "another");
        sleep_ms(50);
        CHECK_EQ(d.bad_completions, 0);
    }
    CHECK_SEQUENCE(mark, receive_twice, req, &d);
    close_request(&d, __LINE__);
}

/* While an operation is outstanding, another call on the request fails at once with
 * ERROR_WINHTTP_INCORRECT_HANDLE_STATE and changes nothing. */
static void test_one_outstanding(void)
{
    static struct driver d;
    HINTERNET req = open_request(con2, L"GET", L"/slow?ms=800");
    char buf[16];
    DWORD err = 0;
    int mark, ok;

    CHECK(req != NULL);
    driver_init(&d, req, 0);
    mark = notes_now();
    ok = call_async(&d, API_SEND_REQUEST);
    CHECK(ok);
    ok = ok && wait_note(req, WINHTTP_CALLBACK_STATUS_SENDREQUEST_COMPLETE, mark, 5000) >= 0;
    if (ok) {
        struct call_args a;
        memset(&a, 0, sizeof(a));
        pthread_mutex_lock(&lock);
        d.flags = AUTO_READ;
        pthread_mutex_unlock(&lock);
        ok = call_async_err(&d, API_RECEIVE_RESPONSE, &a, &err);
        CHECK(ok);
        /* The server answers after 800 ms: the response cannot be there yet. */
        CHECK_EQ(err, ERROR_IO_PENDING);
    }
    if (ok) {
        CHECK_FAILS(WinHttpQueryDataAvailable(req, NULL), ERROR_WINHTTP_INCORRECT_HANDLE_STATE);
        CHECK_FAILS(WinHttpReadData(req, buf, sizeof(buf), NULL), ERROR_WINHTTP_INCORRECT_HANDLE_STATE);
        CHECK_FAILS(WinHttpReceiveResponse(req, NULL), ERROR_WINHTTP_INCORRECT_HANDLE_STATE);
        wait_done(&d, 10000);
    }
    check_body(&d, "slow", __LINE__);
    CHECK_SEQUENCE(mark, get_any, req, &d);
    close_request(&d, __LINE__);
}

/* A read pending when the request is closed: REQUEST_ERROR (API_READ_DATA,
 * ERROR_WINHTTP_OPERATION_CANCELLED), then HANDLE_CLOSING, then nothing; the buffer of the
 * cancelled read is not written afterwards. Also: byte-count pointers passed to async calls are
 * not written through after the call returned. Uses /raw/slow-body (head at once, then one body
 * byte a second). */
static void test_close_with_read_pending(void)
{
    static struct driver d;
    static struct ctx tag = {CTX_MAGIC, KIND_TAG, NULL, 0, 0};
    HINTERNET con = connect_tagged(ses2, L"127.0.0.1", raw_port, &tag), req;
    struct call_args a;
    DWORD avail = 0xdeadbeef, got = 0xdeadbeef, at_return, err = 0;
    char snapshot[sizeof(d.rbuf)];
    int mark, ok, start, tries, pending = 0, closing_at, err_at;

    CHECK(con != NULL);
    req = open_request(con, L"GET", L"/raw/slow-body");
    CHECK(req != NULL);
    driver_init(&d, req, 0);
    mark = notes_now();
    ok = call_async(&d, API_SEND_REQUEST);
    ok = ok && wait_note(req, WINHTTP_CALLBACK_STATUS_SENDREQUEST_COMPLETE, mark, 5000) >= 0;
    ok = ok && call_async(&d, API_RECEIVE_RESPONSE);
    ok = ok && wait_note(req, WINHTTP_CALLBACK_STATUS_HEADERS_AVAILABLE, mark, 5000) >= 0;
    CHECK(ok);
    if (!ok) {
        close_request(&d, __LINE__);
        WinHttpCloseHandle(con);
        return;
    }

    /* QueryDataAvailable with a pointer: whatever it holds when the call returns, it still holds
     * after the completion. */
    memset(&a, 0, sizeof(a));
    a.count = &avail;
    start = notes_now();
    ok = call_async_args(&d, API_QUERY_DATA_AVAILABLE, &a);
    at_return = avail;
    CHECK(ok);
    ok = ok && wait_note(req, WINHTTP_CALLBACK_STATUS_DATA_AVAILABLE, start, 5000) >= 0;
    sleep_ms(20);
    CHECK_EQ(avail, at_return);

    /* ReadData likewise. */
    memset(&a, 0, sizeof(a));
    a.buf = d.rbuf;
    a.len = sizeof(d.rbuf);
    a.count = &got;
    start = notes_now();
    ok = ok && call_async_args(&d, API_READ_DATA, &a);
    at_return = got;
    CHECK(ok);
    ok = ok && wait_note(req, WINHTTP_CALLBACK_STATUS_READ_COMPLETE, start, 5000) >= 0;
    sleep_ms(20);
    CHECK_EQ(got, at_return);

    /* Now a read that stays pending (the next byte is up to a second away). */
    for (tries = 0; ok && tries < 3 && !pending; tries++) {
        memset(d.rbuf, 0x55, sizeof(d.rbuf));
        memset(&a, 0, sizeof(a));
        a.buf = d.rbuf;
        a.len = sizeof(d.rbuf);
        start = notes_now();
        ok = call_async_err(&d, API_READ_DATA, &a, &err);
        if (ok && err == ERROR_IO_PENDING) {
            sleep_ms(100);
            pending = !find_note(start, req, WINHTTP_CALLBACK_STATUS_READ_COMPLETE, 0) &&
                      !find_note(start, req, WINHTTP_CALLBACK_STATUS_REQUEST_ERROR, 0);
        }
        if (ok && !pending)
            wait_note(req, WINHTTP_CALLBACK_STATUS_READ_COMPLETE, start, 3000);
    }
    CHECK(pending);
    if (!pending) {
        close_request(&d, __LINE__);
        WinHttpCloseHandle(con);
        return;
    }
    mark = notes_now();
    CHECK_OK(WinHttpCloseHandle(req));
    closing_at = wait_note(req, WINHTTP_CALLBACK_STATUS_HANDLE_CLOSING, mark, 5000);
    err_at = wait_note(req, WINHTTP_CALLBACK_STATUS_REQUEST_ERROR, mark, 0);
    CHECK(closing_at >= 0);
    CHECK(err_at >= 0);
    CHECK(err_at >= 0 && closing_at > err_at);
    if (err_at >= 0) {
        CHECK_EQ(notes[err_at].api, API_READ_DATA);
        CHECK_EQ(notes[err_at].error, ERROR_WINHTTP_OPERATION_CANCELLED);
        CHECK(notes[err_at].context == (DWORD_PTR)&d);
    }
    {
        static const struct expected cancelled[] = {O(RECEIVING_RESPONSE), E(REQUEST_ERROR), E(HANDLE_CLOSING)};
        CHECK_SEQUENCE(mark, cancelled, req, &d);
    }
    /* The server sends its next byte within a second: the closed request neither delivers
     * anything nor writes into the cancelled read's buffer. */
    memcpy(snapshot, d.rbuf, sizeof(snapshot));
    mark = notes_now();
    sleep_ms(1200);
    CHECK_EQ(d.c.after_closing, 0);
    CHECK_EQ(d.c.closing_seen, 1);
    CHECK(memcmp(snapshot, d.rbuf, sizeof(snapshot)) == 0);
    CHECK_OK(WinHttpCloseHandle(con));
}

/* Closing the request from inside its HEADERS_AVAILABLE callback. */
static void test_close_from_callback(void)
{
    static struct driver d;
    HINTERNET req = open_request(con2, L"GET", L"/hello");
    int mark;

    CHECK(req != NULL);
    driver_init(&d, req, AUTO_RECEIVE | CLOSE_IN_HEADERS);
    mark = notes_now();
    if (call_async(&d, API_SEND_REQUEST))
        CHECK(wait_note(req, WINHTTP_CALLBACK_STATUS_HANDLE_CLOSING, mark, 5000) >= 0);
    sleep_ms(50);
    CHECK_SEQUENCE(mark, closed_in_headers, req, &d);
    CHECK_EQ(d.c.closing_seen, 1);
    CHECK_EQ(d.c.after_closing, 0);
    CHECK_EQ(d.errors, 0);
}

/* "Connection: close": Windows reports only the reads' completions, with no CLOSING_CONNECTION or
 * CONNECTION_CLOSED, neither when the read reaches the end of data nor when the handles close
 * (notification.c's persistent-connection test, newest version: its read table holds only the
 * optional RECEIVING/RECEIVED and READ_COMPLETE, its close table only the HANDLE_CLOSINGs). */
static void test_connection_close(void)
{
    static struct driver d;
    HINTERNET req = open_request(con2, L"GET", L"/close");
    struct call_args a;
    const struct note *headers_n, *last_read;
    int mark;

    CHECK(req != NULL);
    driver_init(&d, req, AUTO_RECEIVE | AUTO_READ);
    memset(&a, 0, sizeof(a));
    a.headers = L"Connection: close";
    a.headers_len = (DWORD)-1L;
    mark = notes_now();
    if (call_async_args(&d, API_SEND_REQUEST, &a))
        wait_done(&d, 10000);
    CHECK(d.done && !d.errors && d.body_len > 0);
    CHECK_SEQUENCE(mark, get_any, req, &d);
    headers_n = find_note(mark, req, WINHTTP_CALLBACK_STATUS_HEADERS_AVAILABLE, 0);
    last_read = find_note(mark, req, WINHTTP_CALLBACK_STATUS_READ_COMPLETE, -1);
    CHECK(headers_n && last_read);
    if (last_read)
        CHECK_EQ(last_read->length, 0);
    CHECK(!find_note(mark, req, WINHTTP_CALLBACK_STATUS_CLOSING_CONNECTION, 0));
    CHECK(!find_note(mark, req, WINHTTP_CALLBACK_STATUS_CONNECTION_CLOSED, 0));
    mark = notes_now();
    close_request(&d, __LINE__);
    CHECK_SEQUENCE(mark, closing, req, &d);
    CHECK(!find_note(mark, req, WINHTTP_CALLBACK_STATUS_CLOSING_CONNECTION, 0));
    CHECK(!find_note(mark, req, WINHTTP_CALLBACK_STATUS_CONNECTION_CLOSED, 0));
}

/* The second session keeps the context value it was given. */
static void test_session_basics(void)
{
    DWORD_PTR value = 0;
    DWORD size = sizeof(value);
    CHECK(ses2 != NULL);
    CHECK(WinHttpQueryOption(ses2, WINHTTP_OPTION_CONTEXT_VALUE, &value, &size));
    CHECK(value == (DWORD_PTR)&ses2_tag);
}

int main(void)
{
    main_thread = pthread_self();
    http_port = (INTERNET_PORT)harness_env_int("WINHTTP_TEST_PORT", 0);
    raw_port = (INTERNET_PORT)harness_env_int("WINHTTP_TEST_RAW_PORT", 0);
    closed_port = (INTERNET_PORT)harness_env_int("WINHTTP_TEST_CLOSED_PORT", 0);
    if (!http_port || !raw_port || !closed_port) {
        printf("WINHTTP_TEST_PORT / _RAW_PORT / _CLOSED_PORT not set: run through tests/c_suite.rs\n");
        CHECK(0);
        return harness_report();
    }

    test_get_fresh_pooled_and_close();
    test_close_order_while_callback_runs();

    ses2 = open_async_session(&ses2_tag);
    CHECK(ses2 != NULL);
    if (ses2) {
        con2 = connect_tagged(ses2, L"127.0.0.1", http_port, &con2_tag);
        CHECK(con2 != NULL);
        test_session_basics();
        test_redirect();
        test_refused();
        test_post_from_callbacks();
        test_receive_twice();
        test_one_outstanding();
        test_close_with_read_pending();
        test_close_from_callback();
        test_connection_close();
        CHECK_OK(WinHttpCloseHandle(con2));
        CHECK_OK(WinHttpCloseHandle(ses2));
        CHECK(wait_note(ses2, WINHTTP_CALLBACK_STATUS_HANDLE_CLOSING, 0, 5000) >= 0);
    }
    sleep_ms(50);
    CHECK_EQ(ses_tag.after_closing + con_tag.after_closing + ses2_tag.after_closing + con2_tag.after_closing, 0);
    CHECK(max_callback_depth < 16);
    printf("max callback nesting depth: %d\n", max_callback_depth);
    return harness_report();
}
