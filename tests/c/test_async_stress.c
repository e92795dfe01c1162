/*
 * Asynchronous mode under load (issue 4):
 *
 *  1. A 10 MiB body (/len/10485760) read entirely from inside callbacks: DATA_AVAILABLE calls
 *     WinHttpReadData, READ_COMPLETE calls WinHttpQueryDataAvailable, to READ_COMPLETE 0. Every
 *     byte is checked against the pattern ('a' + i % 26); the nesting depth of callbacks stays
 *     below 16 however many completions come at once.
 *  2. Cancel race, 1,000 times: a request runs its exchange from its callbacks while another thread
 *     closes it after a random delay. Exactly one HANDLE_CLOSING per request, nothing for a
 *     request after it (nor while it is delivered), every request's callbacks quiet at the end,
 *     no crash. Bounded to about 20 s.
 *  3. 10,000 concurrent requests, each on its own connection (one session, one connect handle,
 *     WINHTTP_OPTION_MAX_CONNS_PER_SERVER unlimited, GET /gather: the server holds every response
 *     until all 10,000 have arrived, so all are in flight at once however slowly they are sent), all driven from callbacks: 10,000 successes, 10,000 distinct server connections
 *     (X-Conn-Id), and a thread count (/proc/self/task, Linux) that stays below 64 at the peak.
 *     RLIMIT_NOFILE is raised first (to 24,000, or the hard limit if lower).
 *
 * Ports: WINHTTP_TEST_PORT (the HTTP server of tests/support). Every wait has a timeout.
 */
#if !defined(_WIN32) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif
#include <winhttp.h>
#include "harness.h"
#include "diagnostics.h"
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static INTERNET_PORT http_port;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;

#define ACHECK(cond)                                                                                              \
    do {                                                                                                          \
        int ok__ = !!(cond);                                                                                      \
        pthread_mutex_lock(&lock);                                                                                \
        harness_check(ok__, __FILE__, __LINE__, #cond);                                                           \
        pthread_mutex_unlock(&lock);                                                                              \
    } while (0)

static void sleep_us(long us)
{
    struct timespec ts = {us / 1000000L, (us % 1000000L) * 1000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
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

/* Waits (up to `ms`) until *counter >= target; returns whether it got there. */
static int wait_count(const int *counter, int target, int ms)
{
    struct timespec ts;
    int ok;
    deadline_in(&ts, ms);
    pthread_mutex_lock(&lock);
    while (*counter < target && pthread_cond_timedwait(&changed, &lock, &ts) != ETIMEDOUT) {
    }
    ok = *counter >= target;
    pthread_mutex_unlock(&lock);
    return ok;
}

/* Threads of this process, or -1 where /proc/self/task does not exist. */
static int thread_count(void)
{
    DIR *dir = opendir("/proc/self/task");
    struct dirent *e;
    int n = 0;
    if (!dir)
        return -1;
    while ((e = readdir(dir)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(dir);
    return n;
}

static _Thread_local int depth;
static int max_depth;

static HINTERNET open_async_session(WINHTTP_STATUS_CALLBACK cb, int timeout_ms)
{
    HINTERNET ses = WinHttpOpen(L"winhttp-test/1.0", WINHTTP_ACCESS_TYPE_NO_PROXY, WINHTTP_NO_PROXY_NAME,
                                WINHTTP_NO_PROXY_BYPASS, WINHTTP_FLAG_ASYNC);
    if (!ses)
        return NULL;
    WinHttpSetTimeouts(ses, timeout_ms, timeout_ms, timeout_ms, timeout_ms);
    if (WinHttpSetStatusCallback(ses, cb, WINHTTP_CALLBACK_FLAG_ALL_NOTIFICATIONS, 0) ==
        WINHTTP_INVALID_STATUS_CALLBACK)
        printf("  WinHttpSetStatusCallback failed: %lu\n", (unsigned long)GetLastError());
    return ses;
}

/* ---- 1. A 10 MiB body through chained callbacks ---------------------------------------------- */

#define BIG_LEN (10u * 1024 * 1024)

struct big {
    HINTERNET req;
    unsigned char buf[65536];
    unsigned long long offset; /* bytes checked so far */
    unsigned long long mismatches, first_bad;
    int done, failed;
    DWORD error_api, error_code;
    int inline_completions, pending_completions, reads;
};

static struct big big;

/* Makes the next call of the chain; returns whether the call succeeded. */
static BOOL big_next(struct big *b, int api)
{
    BOOL ok;
    DWORD err;
    SetLastError(0xdeadbeef);
    switch (api) {
    case API_RECEIVE_RESPONSE:
        ok = WinHttpReceiveResponse(b->req, NULL);
        break;
    case API_QUERY_DATA_AVAILABLE:
        ok = WinHttpQueryDataAvailable(b->req, NULL);
        break;
    default:
        ok = WinHttpReadData(b->req, b->buf, sizeof(b->buf), NULL);
        break;
    }
    err = GetLastError();
    pthread_mutex_lock(&lock);
    if (!ok) {
        printf("  10 MiB chain: API %d failed at once with %lu at offset %llu\n", api, (unsigned long)err,
               b->offset);
        b->failed = 1;
        b->done = 1;
        pthread_cond_broadcast(&changed);
    } else if (err == ERROR_SUCCESS) {
        b->inline_completions++;
    } else if (err == ERROR_IO_PENDING) {
        b->pending_completions++;
    } else {
        printf("  10 MiB chain: API %d returned TRUE with last error %lu\n", api, (unsigned long)err);
        b->failed = 1;
    }
    pthread_mutex_unlock(&lock);
    return ok;
}

static void CALLBACK big_callback(HINTERNET handle, DWORD_PTR context, DWORD status, LPVOID info, DWORD length)
{
    struct big *b = (struct big *)context;
    int next = 0;
    DWORD i;
    if (b != &big || handle != b->req)
        return;
    depth++;
    pthread_mutex_lock(&lock);
    if (depth > max_depth)
        max_depth = depth;
    pthread_mutex_unlock(&lock);
    switch (status) {
    case WINHTTP_CALLBACK_STATUS_SENDREQUEST_COMPLETE:
        next = API_RECEIVE_RESPONSE;
        break;
    case WINHTTP_CALLBACK_STATUS_HEADERS_AVAILABLE:
        next = API_QUERY_DATA_AVAILABLE;
        break;
    case WINHTTP_CALLBACK_STATUS_DATA_AVAILABLE:
        next = API_READ_DATA;
        break;
    case WINHTTP_CALLBACK_STATUS_READ_COMPLETE:
        /* Only this callback touches offset and buf while the chain runs (one operation at a time). */
        if (info != b->buf || length > sizeof(b->buf)) {
            printf("  READ_COMPLETE with buffer %p (want %p), length %lu\n", info, (void *)b->buf,
                   (unsigned long)length);
            pthread_mutex_lock(&lock);
            b->failed = 1;
            b->done = 1;
            pthread_cond_broadcast(&changed);
            pthread_mutex_unlock(&lock);
            break;
        }
        for (i = 0; i < length; i++) {
            unsigned char want = (unsigned char)('a' + (b->offset + i) % 26);
            if (b->buf[i] != want) {
                if (!b->mismatches)
                    b->first_bad = b->offset + i;
                b->mismatches++;
            }
        }
        b->offset += length;
        b->reads++;
        if (length) {
            memset(b->buf, 0, length);
            next = API_QUERY_DATA_AVAILABLE;
        } else {
            pthread_mutex_lock(&lock);
            b->done = 1;
            pthread_cond_broadcast(&changed);
            pthread_mutex_unlock(&lock);
        }
        break;
    case WINHTTP_CALLBACK_STATUS_REQUEST_ERROR: {
        const WINHTTP_ASYNC_RESULT *r = info;
        pthread_mutex_lock(&lock);
        b->error_api = r ? (DWORD)r->dwResult : 0;
        b->error_code = r ? r->dwError : 0;
        b->failed = 1;
        b->done = 1;
        pthread_cond_broadcast(&changed);
        pthread_mutex_unlock(&lock);
        break;
    }
    default:
        break;
    }
    if (next)
        big_next(b, next);
    depth--;
}

static void test_big_body_chain(void)
{
    HINTERNET ses = open_async_session(big_callback, 10000), con, req;
    double t0 = now_s();
    BOOL ok;
    WCHAR path[64];

    CHECK(ses != NULL);
    if (!ses)
        return;
    con = WinHttpConnect(ses, L"127.0.0.1", http_port, 0);
    harness_swprintf(path, sizeof(path) / sizeof(WCHAR), L"/len/%u", BIG_LEN);
    req = WinHttpOpenRequest(con, L"GET", path, NULL, WINHTTP_NO_REFERER, WINHTTP_DEFAULT_ACCEPT_TYPES, 0);
    CHECK(con != NULL && req != NULL);
    memset(&big, 0, sizeof(big));
    big.req = req;
    ok = WinHttpSendRequest(req, WINHTTP_NO_ADDITIONAL_HEADERS, 0, WINHTTP_NO_REQUEST_DATA, 0, 0, (DWORD_PTR)&big);
    CHECK(ok);
    if (ok)
        CHECK(wait_count(&big.done, 1, 20000));
    pthread_mutex_lock(&lock);
    CHECK(!big.failed);
    if (big.failed && big.error_code)
        printf("  REQUEST_ERROR API %lu error %lu at offset %llu\n", (unsigned long)big.error_api,
               (unsigned long)big.error_code, big.offset);
    CHECK_EQ(big.offset, BIG_LEN);
    CHECK_EQ(big.mismatches, 0);
    if (big.mismatches)
        printf("  first wrong byte at %llu\n", big.first_bad);
    CHECK(max_depth < 16);
    printf("10 MiB chain: %d reads, %d completions inside the call, %d pending, max callback depth %d, %.2f s\n",
           big.reads, big.inline_completions, big.pending_completions, max_depth, now_s() - t0);
    pthread_mutex_unlock(&lock);
    WinHttpCloseHandle(req);
    WinHttpCloseHandle(con);
    WinHttpCloseHandle(ses);
}

/* ---- 2. Cancel from another thread, 1,000 times --------------------------------------------- */

/* Under a checker (valgrind) the loops are scaled down; see main(). */
static int RACES = 1000;

struct racer {
    HINTERNET req;
    char buf[4096];
    int active;        /* callbacks for this request running now */
    int closings;      /* HANDLE_CLOSING count */
    int after_closing; /* notifications after HANDLE_CLOSING */
    int overlapped;    /* HANDLE_CLOSING delivered while another callback for it ran elsewhere */
    int finished;      /* READ_COMPLETE 0 seen */
    int cancelled;     /* REQUEST_ERROR ERROR_WINHTTP_OPERATION_CANCELLED */
    int other_errors;
    long delay_us;
};

static struct racer *racers;

/* The racers whose callbacks run on this thread now (nested ones included). */
static _Thread_local struct racer *running_here[64];
static _Thread_local int running_count;

static int running_here_for(const struct racer *r)
{
    int i, n = 0;
    for (i = 0; i < running_count; i++)
        n += running_here[i] == r;
    return n;
}

static void CALLBACK race_callback(HINTERNET handle, DWORD_PTR context, DWORD status, LPVOID info, DWORD length)
{
    struct racer *r = (struct racer *)context;
    int next = 0;
    if (!r || r < racers || r >= racers + RACES || handle != r->req)
        return;
    pthread_mutex_lock(&lock);
    if (r->closings) {
        r->after_closing++;
        printf("  race %d: status %#lx after HANDLE_CLOSING\n", (int)(r - racers), (unsigned long)status);
    }
    if (status == WINHTTP_CALLBACK_STATUS_HANDLE_CLOSING) {
        /* A callback for this request still running on another thread would see its context
         * freed by a HANDLE_CLOSING handler. */
        if (r->active > running_here_for(r)) {
            r->overlapped++;
            printf("  race %d: HANDLE_CLOSING while another thread is in a callback for it\n", (int)(r - racers));
        }
        r->closings++;
        pthread_cond_broadcast(&changed);
    }
    r->active++;
    if (running_count < 64)
        running_here[running_count] = r;
    running_count++;
    switch (status) {
    case WINHTTP_CALLBACK_STATUS_SENDREQUEST_COMPLETE:
        next = API_RECEIVE_RESPONSE;
        break;
    case WINHTTP_CALLBACK_STATUS_HEADERS_AVAILABLE:
    case WINHTTP_CALLBACK_STATUS_READ_COMPLETE:
        if (status == WINHTTP_CALLBACK_STATUS_READ_COMPLETE && length == 0)
            r->finished = 1;
        else
            next = API_QUERY_DATA_AVAILABLE;
        break;
    case WINHTTP_CALLBACK_STATUS_DATA_AVAILABLE:
        next = API_READ_DATA;
        break;
    case WINHTTP_CALLBACK_STATUS_REQUEST_ERROR:
        if (info && length == sizeof(WINHTTP_ASYNC_RESULT) &&
            ((const WINHTTP_ASYNC_RESULT *)info)->dwError == ERROR_WINHTTP_OPERATION_CANCELLED)
            r->cancelled++;
        else
            r->other_errors++;
        break;
    default:
        break;
    }
    pthread_mutex_unlock(&lock);
    /* The next call races with the close: it may fail (the handle is gone) or be cancelled. */
    if (next == API_RECEIVE_RESPONSE)
        WinHttpReceiveResponse(handle, NULL);
    else if (next == API_QUERY_DATA_AVAILABLE)
        WinHttpQueryDataAvailable(handle, NULL);
    else if (next == API_READ_DATA)
        WinHttpReadData(handle, r->buf, sizeof(r->buf), NULL);
    pthread_mutex_lock(&lock);
    r->active--;
    running_count--;
    pthread_mutex_unlock(&lock);
}

static void *closer(void *arg)
{
    struct racer *r = arg;
    if (r->delay_us)
        sleep_us(r->delay_us);
    if (!WinHttpCloseHandle(r->req))
        printf("  closer: WinHttpCloseHandle failed with %lu\n", (unsigned long)GetLastError());
    return NULL;
}

static void test_cancel_race(void)
{
    static const WCHAR *paths[] = {L"/hello", L"/len/200000", L"/slow?ms=2", L"/chunked"};
    HINTERNET ses = open_async_session(race_callback, 5000), con;
    unsigned seed = 12345;
    double t0 = now_s();
    int i, ran = 0, closings_ok = 0, finished = 0, cancelled = 0, late = 0, overlapped = 0, other = 0, twice = 0;

    CHECK(ses != NULL);
    if (!ses)
        return;
    con = WinHttpConnect(ses, L"127.0.0.1", http_port, 0);
    CHECK(con != NULL);
    racers = calloc(RACES, sizeof(*racers));
    for (i = 0; i < RACES && now_s() - t0 < 20.0; i++) {
        struct racer *r = &racers[i];
        pthread_t t;
        seed = seed * 1103515245u + 12345u;
        r->delay_us = (long)((seed >> 8) % 3000); /* 0 to 3 ms: before, during or after the exchange */
        r->req = WinHttpOpenRequest(con, L"GET", paths[i % 4], NULL, WINHTTP_NO_REFERER,
                                    WINHTTP_DEFAULT_ACCEPT_TYPES, 0);
        if (!r->req) {
            CHECK(r->req != NULL);
            break;
        }
        WinHttpSendRequest(r->req, WINHTTP_NO_ADDITIONAL_HEADERS, 0, WINHTTP_NO_REQUEST_DATA, 0, 0, (DWORD_PTR)r);
        if (pthread_create(&t, NULL, closer, r) != 0) {
            closer(r);
        } else {
            pthread_join(t, NULL);
        }
        ran++;
        if (!wait_count(&r->closings, 1, 5000)) {
            printf("  race %d: no HANDLE_CLOSING within 5 s (delay %ld us); stopping\n", i, r->delay_us);
            CHECK(0);
            break;
        }
    }
    /* Let anything late arrive, then count. */
    sleep_us(200000);
    pthread_mutex_lock(&lock);
    for (i = 0; i < ran; i++) {
        struct racer *r = &racers[i];
        closings_ok += r->closings == 1;
        twice += r->closings > 1;
        late += r->after_closing;
        overlapped += r->overlapped;
        finished += r->finished;
        cancelled += r->cancelled;
        other += r->other_errors;
        if (r->active)
            printf("  race %d: a callback still running\n", i);
        CHECK_EQ(r->active, 0);
    }
    pthread_mutex_unlock(&lock);
    printf("cancel race: %d runs in %.2f s: %d finished before the close, %d cancelled, %d other errors\n", ran,
           now_s() - t0, finished, cancelled, other);
    CHECK_EQ(ran, RACES);
    CHECK_EQ(closings_ok, ran);
    CHECK_EQ(twice, 0);
    CHECK_EQ(late, 0);
    CHECK_EQ(overlapped, 0);
    WinHttpCloseHandle(con);
    WinHttpCloseHandle(ses);
}

/* ---- 3. 10,000 concurrent requests --------------------------------------------------------- */

static int MANY = 10000;
static WCHAR many_path[128];

struct many {
    HINTERNET req;
    char buf[64];
    char body[16];
    DWORD body_len;
    DWORD status_code;
    DWORD conn_id;
    int done, ok, closing;
};

static struct many *manys;
static int many_done, many_ok, many_closed, many_errors_shown;

static void many_finish(struct many *m, int ok, const char *why, DWORD err)
{
    pthread_mutex_lock(&lock);
    if (!m->done) {
        m->done = 1;
        m->ok = ok;
        many_done++;
        many_ok += ok;
        if (!ok && many_errors_shown++ < 5)
            printf("  request %d failed: %s (%lu)\n", (int)(m - manys), why, (unsigned long)err);
        pthread_cond_broadcast(&changed);
    }
    pthread_mutex_unlock(&lock);
}

static void CALLBACK many_callback(HINTERNET handle, DWORD_PTR context, DWORD status, LPVOID info, DWORD length)
{
    struct many *m = (struct many *)context;
    BOOL ok = TRUE;
    const char *what = NULL;
    if (!m || m < manys || m >= manys + MANY || handle != m->req)
        return;
    depth++;
    pthread_mutex_lock(&lock);
    if (depth > max_depth)
        max_depth = depth;
    pthread_mutex_unlock(&lock);
    switch (status) {
    case WINHTTP_CALLBACK_STATUS_SENDREQUEST_COMPLETE:
        what = "WinHttpReceiveResponse";
        ok = WinHttpReceiveResponse(handle, NULL);
        break;
    case WINHTTP_CALLBACK_STATUS_HEADERS_AVAILABLE: {
        DWORD size = sizeof(m->status_code);
        WinHttpQueryHeaders(handle, WINHTTP_QUERY_STATUS_CODE | WINHTTP_QUERY_FLAG_NUMBER,
                            WINHTTP_HEADER_NAME_BY_INDEX, &m->status_code, &size, WINHTTP_NO_HEADER_INDEX);
        size = sizeof(m->conn_id);
        WinHttpQueryHeaders(handle, WINHTTP_QUERY_CUSTOM | WINHTTP_QUERY_FLAG_NUMBER, L"X-Conn-Id", &m->conn_id,
                            &size, WINHTTP_NO_HEADER_INDEX);
        what = "WinHttpQueryDataAvailable";
        ok = WinHttpQueryDataAvailable(handle, NULL);
        break;
    }
    case WINHTTP_CALLBACK_STATUS_DATA_AVAILABLE:
        what = "WinHttpReadData";
        ok = WinHttpReadData(handle, m->buf, sizeof(m->buf), NULL);
        break;
    case WINHTTP_CALLBACK_STATUS_READ_COMPLETE:
        if (length == 0) {
            many_finish(m, m->status_code == 200 && m->body_len == 8 && memcmp(m->body, "gathered", 8) == 0,
                        "wrong status or body", m->status_code);
        } else {
            if (m->body_len + length <= sizeof(m->body)) {
                memcpy(m->body + m->body_len, info, length);
            }
            m->body_len += length;
            what = "WinHttpQueryDataAvailable";
            ok = WinHttpQueryDataAvailable(handle, NULL);
        }
        break;
    case WINHTTP_CALLBACK_STATUS_REQUEST_ERROR: {
        const WINHTTP_ASYNC_RESULT *r = info;
        many_finish(m, 0, "REQUEST_ERROR", r ? r->dwError : 0);
        break;
    }
    case WINHTTP_CALLBACK_STATUS_HANDLE_CLOSING:
        pthread_mutex_lock(&lock);
        m->closing++;
        many_closed++;
        pthread_cond_broadcast(&changed);
        pthread_mutex_unlock(&lock);
        break;
    default:
        break;
    }
    if (!ok)
        many_finish(m, 0, what, GetLastError());
    depth--;
}

/* Raises RLIMIT_NOFILE towards `want`; returns the soft limit in force afterwards. */
static rlim_t raise_nofile(rlim_t want)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return 0;
    if (rl.rlim_cur >= want)
        return rl.rlim_cur;
    if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want) {
        struct rlimit both = {want, want};
        if (setrlimit(RLIMIT_NOFILE, &both) == 0)
            return want;
        printf("RLIMIT_NOFILE: hard limit %lu is below %lu and cannot be raised here; using %lu\n",
               (unsigned long)rl.rlim_max, (unsigned long)want, (unsigned long)rl.rlim_max);
        want = rl.rlim_max;
    }
    rl.rlim_cur = want;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
        return 0;
    return want;
}

static int cmp_dword(const void *a, const void *b)
{
    DWORD x = *(const DWORD *)a, y = *(const DWORD *)b;
    return x < y ? -1 : x > y;
}

static void test_ten_thousand(void)
{
    HINTERNET ses, con;
    DWORD unlimited = WINHTTP_CONNS_PER_SERVER_UNLIMITED, *ids;
    rlim_t limit = raise_nofile(24000);
    int i, sent = 0, send_failed = 0, threads, peak_threads = 0, base_threads = thread_count(), distinct = 0;
    double t0 = now_s(), sends_done = 0, deadline, last_progress;
    int last_done = -1;

    if (limit < (rlim_t)MANY + 1000) {
        printf("10,000 concurrent requests: skipped (RLIMIT_NOFILE %lu is too low)\n", (unsigned long)limit);
        return;
    }
    ses = open_async_session(many_callback, 60000);
    CHECK(ses != NULL);
    if (!ses)
        return;
    CHECK_OK(WinHttpSetOption(ses, WINHTTP_OPTION_MAX_CONNS_PER_SERVER, &unlimited, sizeof(unlimited)));
    con = WinHttpConnect(ses, L"127.0.0.1", http_port, 0);
    CHECK(con != NULL);
    manys = calloc(MANY, sizeof(*manys));
    for (i = 0; i < MANY; i++) {
        struct many *m = &manys[i];
        m->req = WinHttpOpenRequest(con, L"GET", many_path, NULL, WINHTTP_NO_REFERER,
                                    WINHTTP_DEFAULT_ACCEPT_TYPES, 0);
        if (!m->req ||
            !WinHttpSendRequest(m->req, WINHTTP_NO_ADDITIONAL_HEADERS, 0, WINHTTP_NO_REQUEST_DATA, 0, 0,
                                (DWORD_PTR)m)) {
            if (send_failed++ < 5)
                printf("  request %d: open/send failed with %lu\n", i, (unsigned long)GetLastError());
            many_finish(m, 0, "open/send", GetLastError());
            continue;
        }
        sent++;
        if (i % 500 == 0) {
            threads = thread_count();
            if (threads > peak_threads)
                peak_threads = threads;
        }
    }
    sends_done = now_s();
    last_progress = sends_done;
    /* Wait for all, sampling the thread count; bounded (50 s, or 15 s without progress). */
    deadline = now_s() + 50.0;
    for (;;) {
        int done;
        pthread_mutex_lock(&lock);
        done = many_done;
        pthread_mutex_unlock(&lock);
        threads = thread_count();
        if (threads > peak_threads)
            peak_threads = threads;
        if (done != last_done) {
            last_done = done;
            last_progress = now_s();
        }
        if (done >= MANY || now_s() > deadline || now_s() - last_progress > 15.0 || sent == 0)
            break;
        sleep_us(20000);
    }
    pthread_mutex_lock(&lock);
    printf("10,000 requests: %d sent in %.2f s, %d done, %d succeeded in %.2f s; threads %d before, peak %d; "
           "max callback depth %d\n",
           sent, sends_done - t0, many_done, many_ok, now_s() - t0, base_threads, peak_threads, max_depth);
    /* All in flight at once: a body of "gathered" (checked per request) says the server held every
     * response until all 10,000 requests had arrived, so none could reuse another's connection. */
    CHECK_EQ(many_ok, MANY);
    pthread_mutex_unlock(&lock);
    if (base_threads < 0)
        printf("thread count: skipped (no /proc/self/task)\n");
    else
        CHECK(peak_threads < 64);

    /* Each on its own connection: as many distinct X-Conn-Id values as successes. */
    ids = calloc(MANY, sizeof(*ids));
    for (i = 0; i < MANY; i++)
        ids[i] = manys[i].ok ? manys[i].conn_id : 0;
    qsort(ids, MANY, sizeof(*ids), cmp_dword);
    for (i = 0; i < MANY; i++)
        if (ids[i] && (i == 0 || ids[i] != ids[i - 1]))
            distinct++;
    CHECK_EQ(distinct, many_ok);
    free(ids);

    /* Close them all: one HANDLE_CLOSING each. */
    for (i = 0; i < MANY; i++)
        if (manys[i].req)
            WinHttpCloseHandle(manys[i].req);
    CHECK(wait_count(&many_closed, sent, 15000));
    WinHttpCloseHandle(con);
    WinHttpCloseHandle(ses);
    sleep_us(100000);
    pthread_mutex_lock(&lock);
    for (i = 0; i < MANY; i++)
        if (manys[i].req && manys[i].closing != 1) {
            printf("  request %d: %d HANDLE_CLOSING\n", i, manys[i].closing);
            harness_check(0, __FILE__, __LINE__, "one HANDLE_CLOSING per request");
            break;
        }
    pthread_mutex_unlock(&lock);
}

int main(void)
{
    http_port = (INTERNET_PORT)harness_env_int("WINHTTP_TEST_PORT", 0);
    if (!http_port) {
        printf("WINHTTP_TEST_PORT not set: run through tests/c_suite.rs\n");
        CHECK(0);
        return harness_report();
    }
    if (getenv("WINHTTP_TEST_UNDER_CHECKER")) {
        /* Valgrind runs everything on one CPU, many times slower: fewer races and requests, and a
         * longer server delay so that all requests are still in flight at once. */
        RACES = 200;
        MANY = 1000;
        printf("under a checker: %d cancel races, %d concurrent requests\n", RACES, MANY);
    }
    /* A key of this run's own: the server is shared with the other builds of this program. */
    harness_swprintf(many_path, sizeof(many_path) / sizeof(many_path[0]), L"/gather?n=%d&ms=40000&key=stress%ld",
                     MANY, (long)getpid());
    test_big_body_chain();
    test_cancel_race();
    test_ten_thousand();
    check_nothing_left("closing everything", 5000);
    return harness_report();
}
