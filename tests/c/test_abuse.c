/*
 * Concurrency abuse (issue 7, item 4).
 *
 * 1. THREADS threads each make up to CALLS_PER_THREAD random API calls, for at most RUN_SECONDS,
 *    on handles shared through one table: sessions (sync and async), connect handles and request
 *    handles (GET /hello, /len/N, /chunked, /slow?ms=50 on the test server). Calls: WinHttpOpen,
 *    Connect, OpenRequest, SendRequest, ReceiveResponse, QueryDataAvailable, ReadData,
 *    QueryHeaders, QueryOption/SetOption (context value, timeouts, handle type), SetTimeouts,
 *    AddRequestHeaders, SetStatusCallback and CloseHandle: closing handles other threads are
 *    using, closing values already closed, using closed values, wrong handle types, NULL and
 *    made-up values. Async requests are also driven from their callbacks (the next call, half
 *    the time), and callbacks now and then close their own handle or any other.
 * 2. Child creation (WinHttpConnect, WinHttpOpenRequest) racing with the close of the parent.
 * 3. While an async QueryDataAvailable or ReadData waits (GET /raw/slow-body), ReceiveResponse,
 *    ReadData and SendRequest are refused and the waiting call then completes with its byte.
 *
 * Checks:
 *  - every failure (an immediate FALSE/NULL, or REQUEST_ERROR's dwError) is one of
 *    ERROR_INVALID_HANDLE, ERROR_WINHTTP_INCORRECT_HANDLE_STATE, _INCORRECT_HANDLE_TYPE,
 *    _OPERATION_CANCELLED, _CONNECTION_ERROR, _TIMEOUT (plus HEADER_NOT_FOUND for a query of a
 *    request header that may not have been added); a success leaves ERROR_SUCCESS, or
 *    ERROR_IO_PENDING for an async operation;
 *  - WinHttpCloseHandle succeeds exactly once per handle value, whoever calls it;
 *  - handles whose session had the callback from the start (ALL_NOTIFICATIONS; they keep it) get
 *    exactly one HANDLE_CLOSING once closed (waiting up to 5 s for deferred ones), after those of
 *    their children; no handle gets a notification after its HANDLE_CLOSING, nor HANDLE_CLOSING
 *    while another thread is in a callback for it; a child that was created successfully is
 *    alive, so its parent's HANDLE_CLOSING has not come yet, and no HANDLE_CREATED carries the
 *    context of a parent after the parent's HANDLE_CLOSING;
 *  - WINHTTP_OPTION_HANDLE_TYPE of a live handle is its type; SetStatusCallback returns one of
 *    the callbacks installed;
 *  - no crash, no hang (a watchdog reports what every thread is doing after 100 s and exits).
 *
 * The seed is printed first; WINHTTP_ABUSE_SEED=N replays each thread's call sequence (the
 * interleaving is the scheduler's). WINHTTP_ABUSE_STATS=path appends the summary (calls and
 * outcomes per API) to a file, since c_suite shows only the last line of a passing program.
 * Ports: WINHTTP_TEST_PORT, WINHTTP_TEST_RAW_PORT.
 */
#if !defined(_WIN32) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif
#include <winhttp.h>
#include "harness.h"
#include "diagnostics.h"
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <time.h>
#include <sched.h>
#include <unistd.h>

#define THREADS 8
#define CALLS_PER_THREAD 2500
#define RUN_SECONDS 4.0
#define SESSION_SLOTS 4
#define CONNECT_SLOTS 8
#define REQUEST_SLOTS 16
#define SLOTS (SESSION_SLOTS + CONNECT_SLOTS + REQUEST_SLOTS)
#define STALE 64
#define MAX_RECORDS 12000
#define HASH_BITS 15
#define HASH_SIZE (1 << HASH_BITS)
#define BUF_SIZE 512
#define WATCHDOG_SECONDS 100
#define RACES 1000
#define RACE_SECONDS 1.5

static INTERNET_PORT http_port, raw_port;
static uint64_t seed;
static FILE *stats_file; /* WINHTTP_ABUSE_STATS=path: the summary is appended there too */
static volatile int stopping;

/* `lock` guards records, statistics and harness counters; `table_lock` the shared handle table. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;

/* ---- time, randomness ------------------------------------------------------------------------ */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_us(long us)
{
    struct timespec ts = {us / 1000000L, (us % 1000000L) * 1000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

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

/* xorshift64* */
static uint32_t rnd(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return (uint32_t)((x * 0x2545F4914F6CDD1DULL) >> 32);
}

static uint64_t mix(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    x ^= x >> 31;
    return x ? x : 1;
}

#include <stdarg.h>
/* printf to stdout and, when set, to the stats file (c_suite shows only a passing program's last line). */
static void say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    if (stats_file) {
        va_start(ap, fmt);
        vfprintf(stats_file, fmt, ap);
        va_end(ap);
    }
}

/* ---- per-handle records (never freed: async buffers live in them) ----------------------------- */

enum kind { K_NONE, K_SESSION, K_CONNECT, K_REQUEST };
static const char *kind_name[] = {"unknown", "session", "connect", "request"};

struct record {
    HINTERNET h;
    int kind, async, tracked, known; /* known: created by this program (fields valid) */
    int close_ok;                    /* WinHttpCloseHandle returned TRUE for it */
    int closings;                    /* HANDLE_CLOSING notifications */
    int after;                       /* notifications after HANDLE_CLOSING */
    int overlapped;                  /* HANDLE_CLOSING while another thread was in a callback for it */
    int notes;                       /* notifications */
    int active;                      /* callbacks for it running now */
    DWORD first_after;               /* the first status after HANDLE_CLOSING */
    struct record *parent;           /* the handle it was created under */
    int open_children;               /* children created and not HANDLE_CLOSING'd yet */
    unsigned char buf[BUF_SIZE];     /* ReadData buffer (async reads complete later) */
};

static struct record records[MAX_RECORDS];
static int nrecords, records_full;
static int hash_index[HASH_SIZE]; /* record index + 1 */

static unsigned hash_of(HINTERNET h)
{
    return (unsigned)((mix((uint64_t)(uintptr_t)h)) >> (64 - HASH_BITS));
}

/* The record of a handle value; with `create`, a new one if there is none. Call with `lock` held. */
static struct record *find_record(HINTERNET h, int create)
{
    unsigned i = hash_of(h);
    if (!h)
        return NULL;
    for (;;) {
        int r = hash_index[i];
        if (!r)
            break;
        if (records[r - 1].h == h)
            return &records[r - 1];
        i = (i + 1) & (HASH_SIZE - 1);
    }
    if (!create)
        return NULL;
    if (nrecords >= MAX_RECORDS) {
        records_full = 1;
        return NULL;
    }
    records[nrecords].h = h;
    hash_index[i] = ++nrecords;
    return &records[nrecords - 1];
}

static struct record *record_of(HINTERNET h)
{
    struct record *r;
    pthread_mutex_lock(&lock);
    r = find_record(h, 0);
    pthread_mutex_unlock(&lock);
    return r;
}

/* ---- results --------------------------------------------------------------------------------- */

enum api {
    A_OPEN, A_CONNECT, A_OPEN_REQUEST, A_SEND, A_RECEIVE, A_AVAILABLE, A_READ, A_QUERY_HEADERS,
    A_QUERY_OPTION, A_SET_OPTION, A_SET_TIMEOUTS, A_ADD_HEADERS, A_SET_CALLBACK, A_CLOSE,
    A_CB_RECEIVE, A_CB_AVAILABLE, A_CB_READ, A_REQUEST_ERROR, A_COUNT
};
static const char *api_name[A_COUNT] = {
    "WinHttpOpen", "WinHttpConnect", "WinHttpOpenRequest", "WinHttpSendRequest", "WinHttpReceiveResponse",
    "WinHttpQueryDataAvailable", "WinHttpReadData", "WinHttpQueryHeaders", "WinHttpQueryOption",
    "WinHttpSetOption", "WinHttpSetTimeouts", "WinHttpAddRequestHeaders", "WinHttpSetStatusCallback",
    "WinHttpCloseHandle", "cb:WinHttpReceiveResponse", "cb:WinHttpQueryDataAvailable", "cb:WinHttpReadData",
    "REQUEST_ERROR"};

enum outcome { O_OK, O_PENDING, O_INVALID, O_STATE, O_TYPE, O_CANCELLED, O_CONN, O_TIMEOUT, O_OTHER_OK, O_BAD,
               O_COUNT };
static const char *outcome_name[O_COUNT] = {"ok",        "pending", "invalid", "state",    "type",
                                            "cancelled", "conn",    "timeout", "expected", "BAD"};
static int stats[A_COUNT][O_COUNT];
static int bad_shown;

static int outcome_of(DWORD e)
{
    switch (e) {
    case ERROR_INVALID_HANDLE:
        return O_INVALID;
    case ERROR_WINHTTP_INCORRECT_HANDLE_STATE:
        return O_STATE;
    case ERROR_WINHTTP_INCORRECT_HANDLE_TYPE:
        return O_TYPE;
    case ERROR_WINHTTP_OPERATION_CANCELLED:
        return O_CANCELLED;
    case ERROR_WINHTTP_CONNECTION_ERROR:
        return O_CONN;
    case ERROR_WINHTTP_TIMEOUT:
        return O_TIMEOUT;
    default:
        return O_BAD;
    }
}

static void report_bad(int tid, int call, int api, HINTERNET h, const char *what, DWORD e)
{
    struct record *r = find_record(h, 0);
    harness_failed++;
    if (bad_shown++ < 40)
        printf("FAIL thread %d call %d: %s(%p %s%s) %s %lu\n", tid, call, api_name[api], h,
               r ? kind_name[r->kind] : "unknown", r && r->async ? " async" : "", what, (unsigned long)e);
    fflush(stdout);
}

/*
 * Checks the result of a call made with the last error set to a marker first. `ok` is its
 * BOOL (or handle != NULL); `extra` is one more error that is expected for this call (0: none).
 */
static void result(int tid, int call, int api, HINTERNET h, int ok, DWORD e, DWORD extra)
{
    int o;
    pthread_mutex_lock(&lock);
    if (ok) {
        if (e == ERROR_SUCCESS)
            o = O_OK;
        else if (e == ERROR_IO_PENDING)
            o = O_PENDING;
        else {
            o = O_BAD;
            report_bad(tid, call, api, h, "succeeded with last error", e);
        }
    } else {
        o = outcome_of(e);
        if (o == O_BAD && extra && e == extra)
            o = O_OTHER_OK;
        if (o == O_BAD)
            report_bad(tid, call, api, h, "failed with", e);
    }
    stats[api][o]++;
    if (o != O_BAD)
        harness_passed++;
    pthread_mutex_unlock(&lock);
}

/* ---- the shared handle table ----------------------------------------------------------------- */

static HINTERNET slots[SLOTS];
static HINTERNET stale[STALE];
static int stale_next;

static int slot_base(int kind)
{
    return kind == K_SESSION ? 0 : kind == K_CONNECT ? SESSION_SLOTS : SESSION_SLOTS + CONNECT_SLOTS;
}

static int slot_count(int kind)
{
    return kind == K_SESSION ? SESSION_SLOTS : kind == K_CONNECT ? CONNECT_SLOTS : REQUEST_SLOTS;
}

/*
 * A handle value for a call that wants `kind`: usually a live one of that kind, sometimes one of
 * another kind, a closed one, NULL or a made-up one (a live value with another generation, or
 * an index nobody has).
 */
static HINTERNET pick(uint64_t *rng, int kind)
{
    unsigned r = rnd(rng) % 64;
    HINTERNET h;
    pthread_mutex_lock(&table_lock);
    if (r == 0)
        h = NULL;
    else if (r == 1)
        h = (HINTERNET)(uintptr_t)(((uint64_t)(rnd(rng) | 1) << 32) | (0x00f00000u + rnd(rng) % 1000));
    else if (r == 2) {
        h = slots[rnd(rng) % SLOTS];
        /* Another generation, far from any this run reaches. */
        h = h ? (HINTERNET)((uintptr_t)h ^ ((uintptr_t)1 << (sizeof(uintptr_t) * 8 - 2))) : NULL;
    } else if (r < 8)
        h = stale[rnd(rng) % STALE];
    else if (r < 14)
        h = slots[rnd(rng) % SLOTS];
    else {
        int tries;
        h = NULL;
        for (tries = 0; tries < 4 && !h; tries++)
            h = slots[slot_base(kind) + rnd(rng) % slot_count(kind)];
    }
    pthread_mutex_unlock(&table_lock);
    return h;
}

/* WinHttpCloseHandle with its checks: an error must be ERROR_INVALID_HANDLE; TRUE once per value. */
static void close_value(int tid, int call, HINTERNET h)
{
    BOOL ok;
    DWORD e;
    SetLastError(0xdeadbeef);
    ok = WinHttpCloseHandle(h);
    e = GetLastError();
    result(tid, call, A_CLOSE, h, ok, e, 0);
    if (ok) {
        pthread_mutex_lock(&lock);
        {
            struct record *r = find_record(h, 0);
            if (!r) {
                report_bad(tid, call, A_CLOSE, h, "closed a value this program never got", 0);
            } else if (++r->close_ok > 1) {
                report_bad(tid, call, A_CLOSE, h, "succeeded again on a closed value, time", (DWORD)r->close_ok);
            }
        }
        pthread_mutex_unlock(&lock);
    }
}

/* Puts a new handle into a free slot of its kind, or closes it when the chosen slot is taken. */
static void publish(int tid, int call, uint64_t *rng, int kind, HINTERNET h)
{
    int i = slot_base(kind) + (int)(rnd(rng) % (unsigned)slot_count(kind)), stored = 0;
    pthread_mutex_lock(&table_lock);
    if (!slots[i]) {
        slots[i] = h;
        stored = 1;
    }
    pthread_mutex_unlock(&table_lock);
    if (!stored)
        close_value(tid, call, h);
}

/* Takes a live value out of the table (it becomes a stale value that calls will still use). */
static HINTERNET take(uint64_t *rng, int kind)
{
    int i = slot_base(kind) + (int)(rnd(rng) % (unsigned)slot_count(kind));
    HINTERNET h;
    pthread_mutex_lock(&table_lock);
    h = slots[i];
    slots[i] = NULL;
    if (h) {
        stale[stale_next] = h;
        stale_next = (stale_next + 1) % STALE;
    }
    pthread_mutex_unlock(&table_lock);
    return h;
}

/* Takes a given value out of the table, if it is there. */
static void take_value(HINTERNET h)
{
    int i;
    pthread_mutex_lock(&table_lock);
    for (i = 0; i < SLOTS; i++)
        if (slots[i] == h) {
            slots[i] = NULL;
            stale[stale_next] = h;
            stale_next = (stale_next + 1) % STALE;
        }
    pthread_mutex_unlock(&table_lock);
}

/* Records a handle this program created, as a child of `parent` (NULL for sessions). */
static void created(HINTERNET h, int kind, HINTERNET parent, int async, int tracked)
{
    pthread_mutex_lock(&lock);
    {
        struct record *r = find_record(h, 1), *p = parent ? find_record(parent, 0) : NULL;
        if (r) {
            r->kind = kind;
            if (p) {
                r->async = p->async;
                r->tracked = p->tracked;
                r->parent = p;
                p->open_children++;
                /* Created, so its parent's HANDLE_CLOSING must come after its own. */
                if (p->tracked && p->closings) {
                    harness_failed++;
                    if (bad_shown++ < 40)
                        printf("FAIL %s %p created under %s %p whose HANDLE_CLOSING was already delivered\n",
                               kind_name[kind], h, kind_name[p->kind], parent);
                }
            } else {
                r->async = async;
                r->tracked = tracked;
            }
            r->known = 1;
        }
    }
    pthread_mutex_unlock(&lock);
}

/* ---- the status callback --------------------------------------------------------------------- */

static _Thread_local struct record *running_here[64];
static _Thread_local int running_count;
static _Thread_local uint64_t cb_rng;
static int cb_threads;

static int running_here_for(const struct record *r)
{
    int i, n = 0;
    for (i = 0; i < running_count && i < 64; i++)
        n += running_here[i] == r;
    return n;
}

static void CALLBACK abuse_callback(HINTERNET handle, DWORD_PTR context, DWORD status, LPVOID info, DWORD length)
{
    struct record *r;
    int next = -1, close_self = 0, close_other = 0;
    HINTERNET other = NULL;
    (void)context;
    pthread_mutex_lock(&lock);
    if (!cb_rng)
        cb_rng = mix(seed ^ (0x1000u + (uint64_t)cb_threads++));
    r = find_record(handle, 1);
    if (!r) {
        pthread_mutex_unlock(&lock);
        return;
    }
    r->notes++;
    if (r->closings) {
        if (!r->after++)
            r->first_after = status;
        harness_failed++;
        if (bad_shown++ < 40)
            printf("FAIL %s %p: status %#lx after HANDLE_CLOSING\n", kind_name[r->kind], handle,
                   (unsigned long)status);
    }
    if (status == WINHTTP_CALLBACK_STATUS_HANDLE_CLOSING) {
        if (r->active > running_here_for(r)) {
            r->overlapped++;
            harness_failed++;
            if (bad_shown++ < 40)
                printf("FAIL %s %p: HANDLE_CLOSING while another thread is in a callback for it\n",
                       kind_name[r->kind], handle);
        }
        if (r->tracked && r->open_children > 0) {
            harness_failed++;
            if (bad_shown++ < 40)
                printf("FAIL %s %p: HANDLE_CLOSING before that of %d of its children\n", kind_name[r->kind],
                       handle, r->open_children);
        }
        if (r->parent && !r->closings)
            r->parent->open_children--;
        if (++r->closings > 1) {
            harness_failed++;
            if (bad_shown++ < 40)
                printf("FAIL %s %p: HANDLE_CLOSING number %d\n", kind_name[r->kind], handle, r->closings);
        }
        pthread_cond_broadcast(&changed);
    }
    r->active++;
    if (running_count < 64)
        running_here[running_count] = r;
    running_count++;
    if (status == WINHTTP_CALLBACK_STATUS_REQUEST_ERROR) {
        const WINHTTP_ASYNC_RESULT *res = info;
        DWORD e = res && length == sizeof(*res) ? res->dwError : 0xffffffffu;
        int o = outcome_of(e);
        stats[A_REQUEST_ERROR][o]++;
        if (o == O_BAD)
            report_bad(-1, -1, A_REQUEST_ERROR, handle, res ? "for API with error" : "without a result", e);
        else
            harness_passed++;
    }
    /* Half the time, an async request's completion makes the next call from here. */
    if (r->known && r->async && r->kind == K_REQUEST && !stopping && rnd(&cb_rng) % 2) {
        switch (status) {
        case WINHTTP_CALLBACK_STATUS_SENDREQUEST_COMPLETE:
            next = A_CB_RECEIVE;
            break;
        case WINHTTP_CALLBACK_STATUS_HEADERS_AVAILABLE:
            next = A_CB_AVAILABLE;
            break;
        case WINHTTP_CALLBACK_STATUS_READ_COMPLETE:
            if (length)
                next = A_CB_AVAILABLE;
            break;
        case WINHTTP_CALLBACK_STATUS_DATA_AVAILABLE:
            next = A_CB_READ;
            break;
        default:
            break;
        }
    }
    /* Now and then a callback closes its own handle, or any other (its session, say). */
    if (r->known && !stopping && status != WINHTTP_CALLBACK_STATUS_HANDLE_CLOSING) {
        unsigned c = rnd(&cb_rng) % 64;
        close_self = c < 2;
        close_other = c == 2;
    }
    pthread_mutex_unlock(&lock);
    if (close_other)
        other = take(&cb_rng, (int)(1 + rnd(&cb_rng) % 3));
    if (next >= 0 && status == WINHTTP_CALLBACK_STATUS_HEADERS_AVAILABLE) {
        DWORD code = 0, size = sizeof(code);
        BOOL ok;
        SetLastError(0xdeadbeef);
        ok = WinHttpQueryHeaders(handle, WINHTTP_QUERY_STATUS_CODE | WINHTTP_QUERY_FLAG_NUMBER,
                                 WINHTTP_HEADER_NAME_BY_INDEX, &code, &size, WINHTTP_NO_HEADER_INDEX);
        result(-1, -1, A_QUERY_HEADERS, handle, ok, GetLastError(), 0);
    }
    if (next >= 0) {
        BOOL ok;
        DWORD avail = 0;
        SetLastError(0xdeadbeef);
        if (next == A_CB_RECEIVE)
            ok = WinHttpReceiveResponse(handle, NULL);
        else if (next == A_CB_AVAILABLE)
            ok = WinHttpQueryDataAvailable(handle, &avail);
        else
            ok = WinHttpReadData(handle, r->buf, BUF_SIZE, NULL);
        result(-1, -1, next, handle, ok, GetLastError(), 0);
    }
    if (close_self) {
        take_value(handle);
        close_value(-1, -1, handle);
    }
    if (other)
        close_value(-1, -1, other);
    pthread_mutex_lock(&lock);
    r->active--;
    running_count--;
    pthread_mutex_unlock(&lock);
}

/* ---- the workers ----------------------------------------------------------------------------- */

struct worker_state {
    volatile int call;
    volatile int api;
    HINTERNET volatile h;
    volatile double since;
    volatile int done;
};
static struct worker_state workers[THREADS];
static unsigned char scratch[THREADS][BUF_SIZE];
static double run_deadline;
static int creations[4];

static void doing(int tid, int call, int api, HINTERNET h)
{
    workers[tid].call = call;
    workers[tid].api = api;
    workers[tid].h = h;
    workers[tid].since = now_s();
}

static int may_create(void)
{
    int ok;
    pthread_mutex_lock(&lock);
    ok = nrecords < MAX_RECORDS - 2000;
    pthread_mutex_unlock(&lock);
    return ok;
}

static const WCHAR *request_path(uint64_t *rng, WCHAR *buf, size_t n)
{
    static const unsigned lens[] = {0, 13, 1000, 20000, 100000};
    switch (rnd(rng) % 5) {
    case 0:
        return L"/hello";
    case 1:
        return L"/slow?ms=50";
    case 2:
        return L"/chunked"; /* 5 chunks 20 ms apart: async reads park */
    default:
        harness_swprintf(buf, n, L"/len/%u", lens[rnd(rng) % 5]);
        return buf;
    }
}

static void one_call(int tid, int call, uint64_t *rng)
{
    unsigned op = rnd(rng) % 100;
    HINTERNET h = NULL, n;
    BOOL ok;
    DWORD e;

    if (op < 3) { /* a new session, sync or async, tracked (callback from the start) or not */
        int async = (int)(rnd(rng) % 2), tracked = rnd(rng) % 4 != 0;
        if (!may_create())
            return;
        doing(tid, call, A_OPEN, NULL);
        SetLastError(0xdeadbeef);
        n = WinHttpOpen(L"winhttp-abuse/1.0", WINHTTP_ACCESS_TYPE_NO_PROXY, WINHTTP_NO_PROXY_NAME,
                        WINHTTP_NO_PROXY_BYPASS, async ? WINHTTP_FLAG_ASYNC : 0);
        e = GetLastError();
        result(tid, call, A_OPEN, NULL, n != NULL, e, 0);
        if (!n)
            return;
        created(n, K_SESSION, NULL, async, tracked);
        WinHttpSetTimeouts(n, 2000, 2000, 2000, 2000);
        if (tracked && WinHttpSetStatusCallback(n, abuse_callback, WINHTTP_CALLBACK_FLAG_ALL_NOTIFICATIONS, 0) ==
                           WINHTTP_INVALID_STATUS_CALLBACK)
            result(tid, call, A_SET_CALLBACK, n, 0, GetLastError(), 0);
        pthread_mutex_lock(&lock);
        creations[K_SESSION]++;
        pthread_mutex_unlock(&lock);
        publish(tid, call, rng, K_SESSION, n);
    } else if (op < 9) {
        if (!may_create())
            return;
        h = pick(rng, K_SESSION);
        doing(tid, call, A_CONNECT, h);
        SetLastError(0xdeadbeef);
        n = WinHttpConnect(h, L"127.0.0.1", http_port, 0);
        e = GetLastError();
        result(tid, call, A_CONNECT, h, n != NULL, e, 0);
        if (!n)
            return;
        created(n, K_CONNECT, h, 0, 0);
        pthread_mutex_lock(&lock);
        creations[K_CONNECT]++;
        pthread_mutex_unlock(&lock);
        publish(tid, call, rng, K_CONNECT, n);
    } else if (op < 21) {
        WCHAR path[32];
        const WCHAR *p = request_path(rng, path, 32);
        if (!may_create())
            return;
        h = pick(rng, K_CONNECT);
        doing(tid, call, A_OPEN_REQUEST, h);
        SetLastError(0xdeadbeef);
        n = WinHttpOpenRequest(h, L"GET", p, NULL, WINHTTP_NO_REFERER, WINHTTP_DEFAULT_ACCEPT_TYPES, 0);
        e = GetLastError();
        result(tid, call, A_OPEN_REQUEST, h, n != NULL, e, 0);
        if (!n)
            return;
        created(n, K_REQUEST, h, 0, 0);
        pthread_mutex_lock(&lock);
        creations[K_REQUEST]++;
        pthread_mutex_unlock(&lock);
        publish(tid, call, rng, K_REQUEST, n);
    } else if (op < 34) {
        int with_headers = rnd(rng) % 4 == 0;
        h = pick(rng, K_REQUEST);
        doing(tid, call, A_SEND, h);
        SetLastError(0xdeadbeef);
        ok = WinHttpSendRequest(h, with_headers ? L"X-Abuse-Send: 1\r\n" : WINHTTP_NO_ADDITIONAL_HEADERS,
                                with_headers ? (DWORD)-1L : 0, WINHTTP_NO_REQUEST_DATA, 0, 0,
                                (DWORD_PTR)rnd(rng));
        result(tid, call, A_SEND, h, ok, GetLastError(), 0);
    } else if (op < 43) {
        h = pick(rng, K_REQUEST);
        doing(tid, call, A_RECEIVE, h);
        SetLastError(0xdeadbeef);
        ok = WinHttpReceiveResponse(h, NULL);
        result(tid, call, A_RECEIVE, h, ok, GetLastError(), 0);
    } else if (op < 50) {
        DWORD avail = 0;
        h = pick(rng, K_REQUEST);
        doing(tid, call, A_AVAILABLE, h);
        SetLastError(0xdeadbeef);
        ok = WinHttpQueryDataAvailable(h, &avail);
        result(tid, call, A_AVAILABLE, h, ok, GetLastError(), 0);
    } else if (op < 59) {
        /* An async read completes later into the buffer: each request has its own, for good. */
        struct record *r;
        unsigned char *buf;
        DWORD got = 0, want = 1 + rnd(rng) % BUF_SIZE;
        h = pick(rng, K_REQUEST);
        r = record_of(h);
        buf = r ? r->buf : scratch[tid];
        doing(tid, call, A_READ, h);
        SetLastError(0xdeadbeef);
        ok = WinHttpReadData(h, buf, want, &got);
        e = GetLastError();
        result(tid, call, A_READ, h, ok, e, 0);
        if (ok && got > want) {
            pthread_mutex_lock(&lock);
            report_bad(tid, call, A_READ, h, "read more than asked:", got);
            pthread_mutex_unlock(&lock);
        }
    } else if (op < 64) {
        WCHAR text[2048];
        DWORD number = 0, size;
        DWORD extra = 0;
        h = pick(rng, K_REQUEST);
        doing(tid, call, A_QUERY_HEADERS, h);
        SetLastError(0xdeadbeef);
        switch (rnd(rng) % 4) {
        case 0:
            size = sizeof(number);
            ok = WinHttpQueryHeaders(h, WINHTTP_QUERY_STATUS_CODE | WINHTTP_QUERY_FLAG_NUMBER,
                                     WINHTTP_HEADER_NAME_BY_INDEX, &number, &size, WINHTTP_NO_HEADER_INDEX);
            break;
        case 1:
            size = sizeof(text);
            ok = WinHttpQueryHeaders(h, WINHTTP_QUERY_RAW_HEADERS_CRLF, WINHTTP_HEADER_NAME_BY_INDEX, text, &size,
                                     WINHTTP_NO_HEADER_INDEX);
            break;
        case 2:
            size = sizeof(number);
            ok = WinHttpQueryHeaders(h, WINHTTP_QUERY_CUSTOM | WINHTTP_QUERY_FLAG_NUMBER, L"X-Conn-Id", &number,
                                     &size, WINHTTP_NO_HEADER_INDEX);
            break;
        default:
            /* A request header that another thread may or may not have added. */
            size = sizeof(text);
            extra = ERROR_WINHTTP_HEADER_NOT_FOUND;
            ok = WinHttpQueryHeaders(h, WINHTTP_QUERY_CUSTOM | WINHTTP_QUERY_FLAG_REQUEST_HEADERS, L"X-Abuse",
                                     text, &size, WINHTTP_NO_HEADER_INDEX);
            break;
        }
        result(tid, call, A_QUERY_HEADERS, h, ok, GetLastError(), extra);
    } else if (op < 68) {
        DWORD_PTR ptr = 0;
        DWORD dw = 0, size;
        unsigned which = rnd(rng) % 3;
        h = pick(rng, (int)(1 + rnd(rng) % 3));
        doing(tid, call, A_QUERY_OPTION, h);
        SetLastError(0xdeadbeef);
        if (which == 0) {
            size = sizeof(ptr);
            ok = WinHttpQueryOption(h, WINHTTP_OPTION_CONTEXT_VALUE, &ptr, &size);
        } else if (which == 1) {
            size = sizeof(dw);
            ok = WinHttpQueryOption(h, WINHTTP_OPTION_RECEIVE_TIMEOUT, &dw, &size);
        } else {
            size = sizeof(dw);
            ok = WinHttpQueryOption(h, WINHTTP_OPTION_HANDLE_TYPE, &dw, &size);
        }
        e = GetLastError();
        result(tid, call, A_QUERY_OPTION, h, ok, e, 0);
        if (ok && which == 2) {
            pthread_mutex_lock(&lock);
            {
                struct record *r = find_record(h, 0);
                DWORD want = !r || !r->known ? dw
                             : r->kind == K_SESSION ? WINHTTP_HANDLE_TYPE_SESSION
                             : r->kind == K_CONNECT ? WINHTTP_HANDLE_TYPE_CONNECT
                                                    : WINHTTP_HANDLE_TYPE_REQUEST;
                if (dw != want)
                    report_bad(tid, call, A_QUERY_OPTION, h, "HANDLE_TYPE is", dw);
            }
            pthread_mutex_unlock(&lock);
        }
    } else if (op < 72) {
        unsigned which = rnd(rng) % 3;
        h = pick(rng, (int)(1 + rnd(rng) % 3));
        doing(tid, call, A_SET_OPTION, h);
        SetLastError(0xdeadbeef);
        if (which == 0) {
            DWORD_PTR ptr = (DWORD_PTR)rnd(rng);
            ok = WinHttpSetOption(h, WINHTTP_OPTION_CONTEXT_VALUE, &ptr, sizeof(ptr));
        } else {
            /* Sometimes short enough for /slow or /chunked to time out. */
            DWORD ms = rnd(rng) % 4 ? 100 + rnd(rng) % 2900 : 10 + rnd(rng) % 60;
            ok = WinHttpSetOption(h, which == 1 ? WINHTTP_OPTION_RECEIVE_TIMEOUT : WINHTTP_OPTION_CONNECT_TIMEOUT,
                                  &ms, sizeof(ms));
        }
        result(tid, call, A_SET_OPTION, h, ok, GetLastError(), 0);
    } else if (op < 74) {
        int ms = rnd(rng) % 4 ? 100 + (int)(rnd(rng) % 2900) : 10 + (int)(rnd(rng) % 60);
        h = pick(rng, rnd(rng) % 2 ? K_SESSION : K_REQUEST);
        doing(tid, call, A_SET_TIMEOUTS, h);
        SetLastError(0xdeadbeef);
        ok = WinHttpSetTimeouts(h, ms, ms, ms, ms);
        result(tid, call, A_SET_TIMEOUTS, h, ok, GetLastError(), 0);
    } else if (op < 77) {
        WCHAR line[64];
        harness_swprintf(line, 64, L"X-Abuse: %u\r\n", rnd(rng) % 1000);
        h = pick(rng, K_REQUEST);
        doing(tid, call, A_ADD_HEADERS, h);
        SetLastError(0xdeadbeef);
        ok = WinHttpAddRequestHeaders(h, line, (DWORD)-1L, WINHTTP_ADDREQ_FLAG_ADD | WINHTTP_ADDREQ_FLAG_REPLACE);
        result(tid, call, A_ADD_HEADERS, h, ok, GetLastError(), 0);
    } else if (op < 80) {
        /* Handles of tracked families keep the callback with every notification; others get
         * anything, NULL included. */
        struct record *r;
        WINHTTP_STATUS_CALLBACK cb = abuse_callback, prev;
        DWORD flags = WINHTTP_CALLBACK_FLAG_ALL_NOTIFICATIONS;
        int tracked;
        h = pick(rng, (int)(1 + rnd(rng) % 3));
        r = record_of(h);
        pthread_mutex_lock(&lock);
        tracked = r && r->tracked;
        pthread_mutex_unlock(&lock);
        if (!tracked) {
            switch (rnd(rng) % 3) {
            case 0:
                cb = NULL;
                flags = 0;
                break;
            case 1:
                flags = WINHTTP_CALLBACK_FLAG_HANDLES | WINHTTP_CALLBACK_FLAG_REQUEST_ERROR;
                break;
            default:
                break;
            }
        }
        doing(tid, call, A_SET_CALLBACK, h);
        SetLastError(0xdeadbeef);
        prev = WinHttpSetStatusCallback(h, cb, flags, 0);
        e = GetLastError();
        result(tid, call, A_SET_CALLBACK, h, prev != WINHTTP_INVALID_STATUS_CALLBACK, e, 0);
        if (prev != WINHTTP_INVALID_STATUS_CALLBACK && prev != NULL && prev != abuse_callback) {
            pthread_mutex_lock(&lock);
            report_bad(tid, call, A_SET_CALLBACK, h, "returned a callback never installed", 0);
            pthread_mutex_unlock(&lock);
        }
    } else if (op < 86) {
        /* Close a live value (others may be using it); mostly requests. */
        unsigned k = rnd(rng) % 20;
        h = take(rng, k < 12 ? K_REQUEST : k < 17 ? K_CONNECT : K_SESSION);
        if (!h)
            return;
        doing(tid, call, A_CLOSE, h);
        close_value(tid, call, h);
    } else if (op < 88) {
        /* Double close, close of a wrong or made-up value, or of a live one of any kind (a
         * race with its owner's close). */
        h = pick(rng, (int)(1 + rnd(rng) % 3));
        if (rnd(rng) % 4 == 0)
            h = take(rng, (int)(1 + rnd(rng) % 3));
        doing(tid, call, A_CLOSE, h);
        close_value(tid, call, h);
    } else {
        /* A whole exchange on one request (sync: to the end of the body; async: the send, then
         * its callbacks may go on), while the other threads do what they do to it. */
        struct record *r;
        int async, step;
        DWORD avail, got;
        h = pick(rng, K_REQUEST);
        r = record_of(h);
        pthread_mutex_lock(&lock);
        async = r && r->async;
        pthread_mutex_unlock(&lock);
        doing(tid, call, A_SEND, h);
        SetLastError(0xdeadbeef);
        ok = WinHttpSendRequest(h, WINHTTP_NO_ADDITIONAL_HEADERS, 0, WINHTTP_NO_REQUEST_DATA, 0, 0, 0);
        result(tid, call, A_SEND, h, ok, GetLastError(), 0);
        if (!ok || async)
            return;
        doing(tid, call, A_RECEIVE, h);
        SetLastError(0xdeadbeef);
        ok = WinHttpReceiveResponse(h, NULL);
        result(tid, call, A_RECEIVE, h, ok, GetLastError(), 0);
        for (step = 0; ok && step < 64; step++) {
            avail = 0;
            doing(tid, call, A_AVAILABLE, h);
            SetLastError(0xdeadbeef);
            ok = WinHttpQueryDataAvailable(h, &avail);
            result(tid, call, A_AVAILABLE, h, ok, GetLastError(), 0);
            if (!ok || !avail)
                break;
            got = 0;
            doing(tid, call, A_READ, h);
            SetLastError(0xdeadbeef);
            ok = WinHttpReadData(h, r ? r->buf : scratch[tid], BUF_SIZE, &got);
            result(tid, call, A_READ, h, ok, GetLastError(), 0);
        }
    }
}

static void *worker(void *arg)
{
    int tid = (int)(intptr_t)arg, call;
    uint64_t rng = mix(seed ^ (0x9E3779B97F4A7C15ULL * (uint64_t)(tid + 1)));
    for (call = 0; call < CALLS_PER_THREAD && now_s() < run_deadline; call++) {
        one_call(tid, call, &rng);
        /* A pause now and then (1 ms on average) lets async work and other threads interleave. */
        if (rnd(&rng) % 2)
            sleep_us((long)(rnd(&rng) % 4000));
    }
    workers[tid].call = call;
    workers[tid].done = 1;
    return NULL;
}

/* ---- creating children while their parent is closed ----------------------------------------- */

#define RACE_CONTEXT ((DWORD_PTR)0x7ace)

struct race {
    HINTERNET session, parent; /* parent: the session, or a connect under it */
    int kind;                  /* what the creator makes: K_CONNECT or K_REQUEST */
    int iteration;
    int made;                  /* children made so far (atomic) */
    int parent_closings, session_closings;
    int late_children;         /* children alive when the parent's HANDLE_CLOSING had come */
    int late_created;          /* HANDLE_CREATED with the parent's context after its HANDLE_CLOSING */
};

static struct race *race_now;

static void CALLBACK race_callback(HINTERNET handle, DWORD_PTR context, DWORD status, LPVOID info, DWORD length)
{
    struct race *r = race_now;
    (void)info;
    (void)length;
    if (!r)
        return;
    pthread_mutex_lock(&lock);
    if (status == WINHTTP_CALLBACK_STATUS_HANDLE_CLOSING && handle == r->parent)
        r->parent_closings++;
    if (status == WINHTTP_CALLBACK_STATUS_HANDLE_CLOSING && handle == r->session && r->session != r->parent)
        r->session_closings++;
    if (status == WINHTTP_CALLBACK_STATUS_HANDLE_CREATED && context == RACE_CONTEXT && r->parent_closings)
        r->late_created++;
    pthread_mutex_unlock(&lock);
}

/* Makes children of r->parent, closing each at once, until that fails (the parent is closed). */
static void *race_creator(void *arg)
{
    struct race *r = arg;
    int n;
    for (n = 0; n < 100000; n++) {
        HINTERNET c;
        DWORD e;
        SetLastError(0xdeadbeef);
        if (r->kind == K_CONNECT)
            c = WinHttpConnect(r->parent, L"127.0.0.1", http_port, 0);
        else
            c = WinHttpOpenRequest(r->parent, L"GET", L"/hello", NULL, WINHTTP_NO_REFERER,
                                   WINHTTP_DEFAULT_ACCEPT_TYPES, 0);
        e = GetLastError();
        if (!c) {
            result(-2, r->iteration, r->kind == K_CONNECT ? A_CONNECT : A_OPEN_REQUEST, r->parent, 0, e, 0);
            break;
        }
        /* The child is alive: its parent's HANDLE_CLOSING cannot have come yet. */
        pthread_mutex_lock(&lock);
        if (r->parent_closings)
            r->late_children++;
        pthread_mutex_unlock(&lock);
        SetLastError(0xdeadbeef);
        if (!WinHttpCloseHandle(c))
            result(-2, r->iteration, A_CLOSE, c, 0, GetLastError(), 0);
        __atomic_add_fetch(&r->made, 1, __ATOMIC_SEQ_CST);
    }
    return NULL;
}

/*
 * WinHttpConnect (or OpenRequest) racing with WinHttpCloseHandle of its session (or connect): a
 * child either fails (ERROR_INVALID_HANDLE) or exists, and then its parent's HANDLE_CLOSING comes
 * after the child's, and no HANDLE_CREATED carries the parent's context after the parent's
 * HANDLE_CLOSING. Sync sessions; up to RACES rounds or RACE_SECONDS. Returns the rounds run.
 */
static int race_parent_close(void)
{
    double end = now_s() + RACE_SECONDS;
    int i, late_children = 0, late_created = 0, wrong_closings = 0, children = 0, late_requests = 0;
    for (i = 0; i < RACES && now_s() < end; i++) {
        struct race r;
        pthread_t t;
        DWORD_PTR ctx = RACE_CONTEXT;
        int want = 1 + i % 3;
        long spins = 0;
        memset(&r, 0, sizeof(r));
        r.iteration = i;
        r.kind = i % 2 ? K_REQUEST : K_CONNECT;
        r.session = WinHttpOpen(L"winhttp-abuse/1.0", WINHTTP_ACCESS_TYPE_NO_PROXY, WINHTTP_NO_PROXY_NAME,
                                WINHTTP_NO_PROXY_BYPASS, 0);
        if (!r.session) {
            result(-2, i, A_OPEN, NULL, 0, GetLastError(), 0);
            break;
        }
        WinHttpSetStatusCallback(r.session, race_callback, WINHTTP_CALLBACK_FLAG_ALL_NOTIFICATIONS, 0);
        r.parent = r.session;
        if (r.kind == K_REQUEST) {
            r.parent = WinHttpConnect(r.session, L"127.0.0.1", http_port, 0);
            if (!r.parent) {
                result(-2, i, A_CONNECT, r.session, 0, GetLastError(), 0);
                WinHttpCloseHandle(r.session);
                break;
            }
        }
        WinHttpSetOption(r.parent, WINHTTP_OPTION_CONTEXT_VALUE, &ctx, sizeof(ctx));
        pthread_mutex_lock(&lock);
        race_now = &r;
        pthread_mutex_unlock(&lock);
        if (pthread_create(&t, NULL, race_creator, &r) != 0) {
            WinHttpCloseHandle(r.parent);
        } else {
            /* Close while the creator is at about its want-th child. */
            while (__atomic_load_n(&r.made, __ATOMIC_SEQ_CST) < want && spins++ < 10000000L)
                sched_yield();
            SetLastError(0xdeadbeef);
            if (!WinHttpCloseHandle(r.parent))
                result(-2, i, A_CLOSE, r.parent, 0, GetLastError(), 0);
            pthread_join(t, NULL);
        }
        if (r.parent != r.session)
            WinHttpCloseHandle(r.session);
        pthread_mutex_lock(&lock);
        race_now = NULL;
        children += r.made;
        late_children += r.late_children;
        if (r.kind == K_REQUEST)
            late_requests += r.late_children;
        late_created += r.late_created;
        /* Every child is closed now, so the HANDLE_CLOSING of parent and session came already. */
        if (r.parent_closings != 1 || (r.parent != r.session && r.session_closings != 1)) {
            wrong_closings++;
            if (wrong_closings < 5)
                printf("  race %d: %d HANDLE_CLOSING for the parent, %d for the session\n", i, r.parent_closings,
                       r.session_closings);
        }
        pthread_mutex_unlock(&lock);
    }
    say("abuse: %d rounds of child creation against the close of its parent (%d children): %d children "
        "(%d connects, %d requests) alive after their parent's HANDLE_CLOSING, %d HANDLE_CREATED with the "
        "parent's context after it, %d rounds with a wrong HANDLE_CLOSING count\n",
        i, children, late_children, late_children - late_requests, late_requests, late_created, wrong_closings);
    pthread_mutex_lock(&lock);
    CHECK_EQ(late_children, 0);
    CHECK_EQ(late_created, 0);
    CHECK_EQ(wrong_closings, 0);
    pthread_mutex_unlock(&lock);
    return i;
}

/* ---- a call refused while another is in flight leaves that one alone ----------------------- */

static struct {
    int have;        /* a completion arrived and was not consumed yet */
    DWORD status, value, error;
    int closings;
} ev;

static void CALLBACK inflight_callback(HINTERNET handle, DWORD_PTR context, DWORD status, LPVOID info,
                                       DWORD length)
{
    (void)handle;
    (void)context;
    pthread_mutex_lock(&lock);
    switch (status) {
    case WINHTTP_CALLBACK_STATUS_SENDREQUEST_COMPLETE:
    case WINHTTP_CALLBACK_STATUS_HEADERS_AVAILABLE:
        ev.value = 0;
        break;
    case WINHTTP_CALLBACK_STATUS_DATA_AVAILABLE:
        ev.value = info && length >= sizeof(DWORD) ? *(const DWORD *)info : 0xffffffffu;
        break;
    case WINHTTP_CALLBACK_STATUS_READ_COMPLETE:
        ev.value = length;
        break;
    case WINHTTP_CALLBACK_STATUS_REQUEST_ERROR:
        ev.error = info ? ((const WINHTTP_ASYNC_RESULT *)info)->dwError : 0;
        break;
    case WINHTTP_CALLBACK_STATUS_HANDLE_CLOSING:
        ev.closings++;
        pthread_cond_broadcast(&changed);
        pthread_mutex_unlock(&lock);
        return;
    default:
        pthread_mutex_unlock(&lock);
        return;
    }
    ev.status = status;
    ev.have = 1;
    pthread_cond_broadcast(&changed);
    pthread_mutex_unlock(&lock);
}

/* Waits (5 s at most) for the next completion; returns whether it is `want` (its value in *value). */
static int inflight_wait(const char *what, DWORD want, DWORD *value)
{
    struct timespec ts;
    int ok;
    deadline_in(&ts, 5000);
    pthread_mutex_lock(&lock);
    while (!ev.have && pthread_cond_timedwait(&changed, &lock, &ts) != ETIMEDOUT) {
    }
    ok = ev.have && ev.status == want;
    if (!ev.have)
        printf("  %s: no completion within 5 s\n", what);
    else if (!ok)
        printf("  %s: status %#lx (error %lu), expected %#lx\n", what, (unsigned long)ev.status,
               (unsigned long)ev.error, (unsigned long)want);
    if (value)
        *value = ev.value;
    ev.have = 0;
    pthread_mutex_unlock(&lock);
    return ok;
}

/* Calls that must be refused, and change nothing, while an operation of the request is in flight
 * (SendRequest last: it is the one that would start something new). */
static int refused_calls(HINTERNET req)
{
    static char other[16];
    static const char *names[] = {"WinHttpReceiveResponse", "WinHttpReadData", "WinHttpSendRequest"};
    int i, bad = 0;
    for (i = 0; i < 3; i++) {
        BOOL ok;
        DWORD e;
        SetLastError(0xdeadbeef);
        if (i == 0)
            ok = WinHttpReceiveResponse(req, NULL);
        else if (i == 1)
            ok = WinHttpReadData(req, other, sizeof(other), NULL);
        else
            ok = WinHttpSendRequest(req, WINHTTP_NO_ADDITIONAL_HEADERS, 0, WINHTTP_NO_REQUEST_DATA, 0, 0, 0);
        e = GetLastError();
        if (ok || e != ERROR_WINHTTP_INCORRECT_HANDLE_STATE) {
            printf("  %s during an operation: %s, error %lu (expected ERROR_WINHTTP_INCORRECT_HANDLE_STATE)\n",
                   names[i], ok ? "TRUE" : "FALSE", (unsigned long)e);
            bad++;
        }
    }
    return bad;
}

/*
 * Async GET /raw/slow-body (Content-Length 10, one byte a second): while WinHttpQueryDataAvailable
 * (or WinHttpReadData) waits for the first byte, SendRequest, ReceiveResponse and ReadData are
 * refused with ERROR_WINHTTP_INCORRECT_HANDLE_STATE, and the operation in flight then completes
 * with that byte: 1 byte available (read), not a false end of the body.
 */
static void test_refused_calls_leave_inflight_alone(int read_first)
{
    static char body[16];
    const char *what = read_first ? "pending WinHttpReadData" : "pending WinHttpQueryDataAvailable";
    HINTERNET ses, con, req;
    DWORD value = 0, e;
    BOOL ok;
    int bad;

    if (!raw_port) {
        printf("%s: skipped (no WINHTTP_TEST_RAW_PORT)\n", what);
        return;
    }
    memset(&ev, 0, sizeof(ev));
    ses = WinHttpOpen(L"winhttp-abuse/1.0", WINHTTP_ACCESS_TYPE_NO_PROXY, WINHTTP_NO_PROXY_NAME,
                      WINHTTP_NO_PROXY_BYPASS, WINHTTP_FLAG_ASYNC);
    CHECK(ses != NULL);
    if (!ses)
        return;
    WinHttpSetTimeouts(ses, 5000, 5000, 5000, 5000);
    WinHttpSetStatusCallback(ses, inflight_callback, WINHTTP_CALLBACK_FLAG_ALL_NOTIFICATIONS, 0);
    con = WinHttpConnect(ses, L"127.0.0.1", raw_port, 0);
    req = WinHttpOpenRequest(con, L"GET", L"/raw/slow-body", NULL, WINHTTP_NO_REFERER,
                             WINHTTP_DEFAULT_ACCEPT_TYPES, 0);
    CHECK(con != NULL && req != NULL);
    ok = req && WinHttpSendRequest(req, WINHTTP_NO_ADDITIONAL_HEADERS, 0, WINHTTP_NO_REQUEST_DATA, 0, 0, 0);
    CHECK(ok);
    ok = ok && inflight_wait(what, WINHTTP_CALLBACK_STATUS_SENDREQUEST_COMPLETE, NULL);
    ok = ok && WinHttpReceiveResponse(req, NULL);
    ok = ok && inflight_wait(what, WINHTTP_CALLBACK_STATUS_HEADERS_AVAILABLE, NULL);
    CHECK(ok);
    if (ok) {
        SetLastError(0xdeadbeef);
        ok = read_first ? WinHttpReadData(req, body, sizeof(body), NULL) : WinHttpQueryDataAvailable(req, NULL);
        e = GetLastError();
        CHECK(ok);
        /* The first byte comes a second after the head: the call is still in flight. */
        if (ok && e != ERROR_IO_PENDING)
            printf("%s: skipped (completed at once)\n", what);
        if (ok) {
            bad = e == ERROR_IO_PENDING ? refused_calls(req) : 0;
            CHECK_EQ(bad, 0);
            ok = inflight_wait(what,
                               read_first ? WINHTTP_CALLBACK_STATUS_READ_COMPLETE
                                          : WINHTTP_CALLBACK_STATUS_DATA_AVAILABLE,
                               &value);
            CHECK(ok);
            if (ok && value != 1)
                printf("  %s: completed with %lu bytes, expected the 1 byte sent (a false end of body?)\n", what,
                       (unsigned long)value);
            CHECK_EQ(value, 1);
        }
    }
    if (req)
        WinHttpCloseHandle(req);
    if (con)
        WinHttpCloseHandle(con);
    WinHttpCloseHandle(ses);
    /* The buffer and `ev` must outlive every callback: wait for the three HANDLE_CLOSING. */
    {
        struct timespec ts;
        deadline_in(&ts, 5000);
        pthread_mutex_lock(&lock);
        while (ev.closings < 3 && pthread_cond_timedwait(&changed, &lock, &ts) != ETIMEDOUT) {
        }
        CHECK_EQ(ev.closings, 3);
        pthread_mutex_unlock(&lock);
    }
}

static volatile int finished;

static void *watchdog(void *arg)
{
    double start = now_s();
    int i;
    (void)arg;
    while (!finished) {
        if (now_s() - start > WATCHDOG_SECONDS) {
            printf("HANG: still running after %d s (seed %llu)\n", WATCHDOG_SECONDS, (unsigned long long)seed);
            for (i = 0; i < THREADS; i++)
                printf("  thread %d: %s, call %d: %s(%p) for %.1f s\n", i, workers[i].done ? "done" : "running",
                       workers[i].call, api_name[workers[i].api], workers[i].h, now_s() - workers[i].since);
            printf("0 passed, 1 failed\n");
            fflush(stdout);
            _exit(3);
        }
        sleep_us(100000);
    }
    return NULL;
}

/* Waits until every tracked handle closed successfully has its HANDLE_CLOSING; returns missing. */
static int wait_closings(int ms)
{
    struct timespec ts;
    int i, missing;
    deadline_in(&ts, ms);
    pthread_mutex_lock(&lock);
    for (;;) {
        missing = 0;
        for (i = 0; i < nrecords; i++)
            if (records[i].known && records[i].tracked && records[i].close_ok && !records[i].closings)
                missing++;
        if (!missing || pthread_cond_timedwait(&changed, &lock, &ts) == ETIMEDOUT)
            break;
    }
    pthread_mutex_unlock(&lock);
    return missing;
}

int main(void)
{
    pthread_t threads[THREADS], dog;
    const char *s = getenv("WINHTTP_ABUSE_SEED");
    int i, a, o, missing, calls = 0, tracked = 0, closed_tracked = 0, shown = 0;
    double t0;

    http_port = (INTERNET_PORT)harness_env_int("WINHTTP_TEST_PORT", 0);
    raw_port = (INTERNET_PORT)harness_env_int("WINHTTP_TEST_RAW_PORT", 0);
    if (!http_port) {
        printf("WINHTTP_TEST_PORT not set: run through tests/c_suite.rs\n");
        CHECK(0);
        return harness_report();
    }
    if (getenv("WINHTTP_ABUSE_STATS") && *getenv("WINHTTP_ABUSE_STATS"))
        stats_file = fopen(getenv("WINHTTP_ABUSE_STATS"), "a");
    seed = s && *s ? strtoull(s, NULL, 0) : mix((uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32));
    say("abuse: seed %llu (replay with WINHTTP_ABUSE_SEED=%llu), %d threads x %d calls, %.1f s\n",
           (unsigned long long)seed, (unsigned long long)seed, THREADS, CALLS_PER_THREAD, RUN_SECONDS);
    fflush(stdout);

    pthread_create(&dog, NULL, watchdog, NULL);
    t0 = now_s();
    run_deadline = t0 + RUN_SECONDS;
    for (i = 0; i < THREADS; i++)
        pthread_create(&threads[i], NULL, worker, (void *)(intptr_t)i);
    for (i = 0; i < THREADS; i++) {
        pthread_join(threads[i], NULL);
        calls += workers[i].call;
    }
    stopping = 1;
    say("abuse: %d calls in %.2f s\n", calls, now_s() - t0);

    /* Close everything still in the table (a stray close may have closed a value already: then
     * ERROR_INVALID_HANDLE; the count of successful closes per handle is checked below). */
    for (i = 0; i < SLOTS; i++) {
        HINTERNET h = slots[i];
        slots[i] = NULL;
        if (h)
            close_value(-1, -1, h);
    }
    race_parent_close();
    test_refused_calls_leave_inflight_alone(0);
    test_refused_calls_leave_inflight_alone(1);
    missing = wait_closings(5000);
    sleep_us(300000); /* anything late would show now */
    check_nothing_left("closing everything", 5000);

    pthread_mutex_lock(&lock);
    for (i = 0; i < nrecords; i++) {
        struct record *r = &records[i];
        if (!r->known)
            continue;
        if (r->close_ok != 1) {
            harness_failed++;
            if (shown++ < 20)
                printf("FAIL %s %p: WinHttpCloseHandle succeeded %d times\n", kind_name[r->kind], r->h,
                       r->close_ok);
        } else
            harness_passed++;
        if (r->tracked) {
            tracked++;
            closed_tracked += r->closings == 1;
            if (r->closings != 1) {
                harness_failed++;
                if (shown++ < 20)
                    printf("FAIL %s %s%p: %d HANDLE_CLOSING (%d notifications)\n", kind_name[r->kind],
                           r->async ? "async " : "", r->h, r->closings, r->notes);
            } else
                harness_passed++;
        }
        if (r->active) {
            harness_failed++;
            if (shown++ < 20)
                printf("FAIL %s %p: a callback still running at the end\n", kind_name[r->kind], r->h);
        }
    }
    say("abuse: handles created: %d sessions, %d connects, %d requests (%d records%s); %d tracked, %d with "
           "exactly one HANDLE_CLOSING, %d missing after 5 s\n",
           creations[K_SESSION], creations[K_CONNECT], creations[K_REQUEST], nrecords,
           records_full ? ", table full" : "", tracked, closed_tracked, missing);
    say("%-30s", "abuse: call");
    for (o = 0; o < O_COUNT; o++)
        say(" %9s", outcome_name[o]);
    say("\n");
    for (a = 0; a < A_COUNT; a++) {
        say("%-30s", api_name[a]);
        for (o = 0; o < O_COUNT; o++)
            say(" %9d", stats[a][o]);
        say("\n");
    }
    CHECK(!records_full);
    pthread_mutex_unlock(&lock);
    finished = 1;
    pthread_join(dog, NULL);
    if (harness_failed)
        printf("abuse: seed %llu\n", (unsigned long long)seed);
    if (stats_file) {
        fprintf(stats_file, "%d passed, %d failed\n", harness_passed, harness_failed);
        fclose(stats_file);
    }
    return harness_report();
}
