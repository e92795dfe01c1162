/*
 * Status callbacks on a synchronous session (WinHttpSetStatusCallback with
 * WINHTTP_CALLBACK_FLAG_ALL_NOTIFICATIONS): the progress notifications of a request, in order and
 * with their payloads, and none of the completions that only asynchronous sessions get
 * (SENDREQUEST_COMPLETE, HEADERS_AVAILABLE, DATA_AVAILABLE, READ_COMPLETE, WRITE_COMPLETE,
 * REQUEST_ERROR). Covers a request on a fresh connection, a second one on the pooled connection,
 * redirects (same server and another one), a refused connect, handle creation and closing, the
 * context value each notification carries, and the notification mask.
 *
 * The test runner passes WINHTTP_TEST_PORT (an HTTP/1.1 server with /hello and /redirect/N?to=URL)
 * and WINHTTP_TEST_CLOSED_PORT (refuses connections).
 */
#if !defined(_WIN32) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif
#include <winhttp.h>
#include "harness.h"
#include "status_names.h"
#include <pthread.h>
#include <time.h>

static INTERNET_PORT http_port, closed_port;

static void read_ports(void)
{
    http_port = (INTERNET_PORT)harness_env_int("WINHTTP_TEST_PORT", 0);
    closed_port = (INTERNET_PORT)harness_env_int("WINHTTP_TEST_CLOSED_PORT", 0);
    if (!http_port || !closed_port)
        printf("WINHTTP_TEST_PORT / WINHTTP_TEST_CLOSED_PORT not set: run through tests/c_suite.rs\n");
    CHECK(http_port != 0);
    CHECK(closed_port != 0);
}

/* ---- Recording notifications ------------------------------------------------------------- */

#define MAX_NOTES 512

struct note {
    HINTERNET handle;
    DWORD_PTR context;
    DWORD status;
    DWORD length;
    int on_main_thread;
    char text[256];   /* string payloads (names, addresses, URLs), as ASCII */
    DWORD number;     /* DWORD payloads */
    HINTERNET hvalue; /* HINTERNET payloads (HANDLE_CREATED, HANDLE_CLOSING) */
};

static struct note notes[MAX_NOTES];
static int note_count;
static pthread_t main_thread;
static pthread_mutex_t notes_lock = PTHREAD_MUTEX_INITIALIZER;

static void CALLBACK status_callback(HINTERNET handle, DWORD_PTR context, DWORD status, LPVOID info, DWORD length)
{
    struct note *n;
    pthread_mutex_lock(&notes_lock);
    if (note_count == MAX_NOTES) {
        pthread_mutex_unlock(&notes_lock);
        return;
    }
    n = &notes[note_count++];
    memset(n, 0, sizeof(*n));
    n->handle = handle;
    n->context = context;
    n->status = status;
    n->length = length;
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
    case WINHTTP_CALLBACK_STATUS_INTERMEDIATE_RESPONSE:
        if (info && length == sizeof(DWORD))
            n->number = *(const DWORD *)info;
        break;
    case WINHTTP_CALLBACK_STATUS_HANDLE_CREATED:
    case WINHTTP_CALLBACK_STATUS_HANDLE_CLOSING:
        if (info && length == sizeof(HINTERNET))
            n->hvalue = *(const HINTERNET *)info;
        break;
    default:
        break;
    }
    pthread_mutex_unlock(&notes_lock);
}

static int notes_now(void)
{
    int n;
    pthread_mutex_lock(&notes_lock);
    n = note_count;
    pthread_mutex_unlock(&notes_lock);
    return n;
}


/* ---- Expected sequences -------------------------------------------------------------------- */

/* One expected notification; an optional one may be missing. */
struct expected {
    DWORD status;
    int optional;
};

#define REQUIRED 0
#define OPTIONAL 1

static void print_sequences(int from, int to, const struct expected *exp, size_t n_exp)
{
    size_t j;
    int i;
    printf("  got:     ");
    for (i = from; i < to; i++)
        printf(" %s", status_name(notes[i].status));
    printf("\n  expected:");
    for (j = 0; j < n_exp; j++)
        printf(" %s%s", status_name(exp[j].status), exp[j].optional ? "(optional)" : "");
    printf("\n");
}

/* Whether the notifications recorded in [from, to) are `exp` in order (optional ones may be
 * absent, nothing else may appear), all for `handle`, with `context`, on the calling thread. */
static int sequence_matches(int from, int to, const struct expected *exp, size_t n_exp, HINTERNET handle,
                            DWORD_PTR context)
{
    size_t j = 0;
    int i = from, ok = 1;
    while (i < to && ok) {
        if (j < n_exp && notes[i].status == exp[j].status) {
            if (notes[i].handle != handle || notes[i].context != context || !notes[i].on_main_thread) {
                printf("  %s: handle %p (want %p), context %#lx (want %#lx), main thread %d\n",
                       status_name(notes[i].status), (void *)notes[i].handle, (void *)handle,
                       (unsigned long)notes[i].context, (unsigned long)context, notes[i].on_main_thread);
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
    ok = ok && i == to && j == n_exp;
    if (!ok)
        print_sequences(from, to, exp, n_exp);
    return ok;
}

#define CHECK_SEQUENCE(from, exp, handle, context)                                                                \
    harness_check(sequence_matches((from), notes_now(), (exp), sizeof(exp) / sizeof((exp)[0]), (handle),          \
                                   (context)),                                                                    \
                  __FILE__, __LINE__, "notifications are " #exp)

/* The first notification with `status` in [from, to), or NULL. */
static const struct note *find_note(int from, int to, DWORD status)
{
    int i;
    for (i = from; i < to; i++)
        if (notes[i].status == status)
            return &notes[i];
    return NULL;
}

/* Whether `s` looks like an IPv4 or IPv6 address. */
static int is_ip_address(const char *s)
{
    size_t i, n = strlen(s);
    int dots = 0, colons = 0;
    if (n < 2)
        return 0;
    for (i = 0; i < n; i++) {
        char c = s[i];
        if (c == '.')
            dots++;
        else if (c == ':')
            colons++;
        else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            return 0;
    }
    return dots == 3 || colons >= 2;
}

static const struct expected send_fresh[] = {
    {WINHTTP_CALLBACK_STATUS_RESOLVING_NAME, REQUIRED},
    {WINHTTP_CALLBACK_STATUS_NAME_RESOLVED, REQUIRED},
    {WINHTTP_CALLBACK_STATUS_CONNECTING_TO_SERVER, REQUIRED},
    {WINHTTP_CALLBACK_STATUS_CONNECTING_TO_SERVER, OPTIONAL}, /* a second address, on some versions */
    {WINHTTP_CALLBACK_STATUS_CONNECTED_TO_SERVER, REQUIRED},
    {WINHTTP_CALLBACK_STATUS_SENDING_REQUEST, REQUIRED},
    {WINHTTP_CALLBACK_STATUS_REQUEST_SENT, REQUIRED},
};

static const struct expected send_pooled[] = {
    {WINHTTP_CALLBACK_STATUS_SENDING_REQUEST, REQUIRED},
    {WINHTTP_CALLBACK_STATUS_REQUEST_SENT, REQUIRED},
};

static const struct expected receive[] = {
    {WINHTTP_CALLBACK_STATUS_RECEIVING_RESPONSE, REQUIRED},
    {WINHTTP_CALLBACK_STATUS_RESPONSE_RECEIVED, REQUIRED},
};

/* Reading the body in sync mode: at most progress notifications, never DATA_AVAILABLE or
 * READ_COMPLETE. */
static const struct expected read_body_notes[] = {
    {WINHTTP_CALLBACK_STATUS_RECEIVING_RESPONSE, OPTIONAL},
    {WINHTTP_CALLBACK_STATUS_RESPONSE_RECEIVED, OPTIONAL},
};

/* A redirect to the same server: the pooled connection carries on. */
static const struct expected receive_redirect[] = {
    {WINHTTP_CALLBACK_STATUS_RECEIVING_RESPONSE, REQUIRED},
    {WINHTTP_CALLBACK_STATUS_RESPONSE_RECEIVED, REQUIRED},
    {WINHTTP_CALLBACK_STATUS_REDIRECT, REQUIRED},
    {WINHTTP_CALLBACK_STATUS_RESOLVING_NAME, OPTIONAL},
    {WINHTTP_CALLBACK_STATUS_NAME_RESOLVED, OPTIONAL},
    {WINHTTP_CALLBACK_STATUS_CONNECTING_TO_SERVER, OPTIONAL},
    {WINHTTP_CALLBACK_STATUS_CONNECTED_TO_SERVER, OPTIONAL},
    {WINHTTP_CALLBACK_STATUS_SENDING_REQUEST, REQUIRED},
    {WINHTTP_CALLBACK_STATUS_REQUEST_SENT, REQUIRED},
    {WINHTTP_CALLBACK_STATUS_RECEIVING_RESPONSE, REQUIRED},
    {WINHTTP_CALLBACK_STATUS_RESPONSE_RECEIVED, REQUIRED},
};

/* A redirect to another server: a new connection. */
static const struct expected receive_redirect_elsewhere[] = {
    {WINHTTP_CALLBACK_STATUS_RECEIVING_RESPONSE, REQUIRED},
    {WINHTTP_CALLBACK_STATUS_RESPONSE_RECEIVED, REQUIRED},
    {WINHTTP_CALLBACK_STATUS_REDIRECT, REQUIRED},
    {WINHTTP_CALLBACK_STATUS_RESOLVING_NAME, REQUIRED},
    {WINHTTP_CALLBACK_STATUS_NAME_RESOLVED, REQUIRED},
    {WINHTTP_CALLBACK_STATUS_CONNECTING_TO_SERVER, REQUIRED},
    {WINHTTP_CALLBACK_STATUS_CONNECTED_TO_SERVER, REQUIRED},
    {WINHTTP_CALLBACK_STATUS_SENDING_REQUEST, REQUIRED},
    {WINHTTP_CALLBACK_STATUS_REQUEST_SENT, REQUIRED},
    {WINHTTP_CALLBACK_STATUS_RECEIVING_RESPONSE, REQUIRED},
    {WINHTTP_CALLBACK_STATUS_RESPONSE_RECEIVED, REQUIRED},
};

/* A refused connect, in sync mode: the failure is the call's result, not a REQUEST_ERROR. */
static const struct expected send_refused[] = {
    {WINHTTP_CALLBACK_STATUS_RESOLVING_NAME, REQUIRED},
    {WINHTTP_CALLBACK_STATUS_NAME_RESOLVED, REQUIRED},
    {WINHTTP_CALLBACK_STATUS_CONNECTING_TO_SERVER, REQUIRED},
};

/* Reading to the end of a response whose connection is not kept: the connection closes quietly.
 * Windows sends no CLOSING_CONNECTION or CONNECTION_CLOSED for it (notification.c's newest
 * persistent-connection test; the same holds in sync mode). */
static const struct expected read_body_closing[] = {
    {WINHTTP_CALLBACK_STATUS_RECEIVING_RESPONSE, OPTIONAL},
    {WINHTTP_CALLBACK_STATUS_RESPONSE_RECEIVED, OPTIONAL},
};

static const struct expected created[] = {{WINHTTP_CALLBACK_STATUS_HANDLE_CREATED, REQUIRED}};
static const struct expected closing[] = {{WINHTTP_CALLBACK_STATUS_HANDLE_CLOSING, REQUIRED}};
static const struct expected nothing[] = {{WINHTTP_CALLBACK_STATUS_HANDLE_CLOSING, OPTIONAL}};

/* ---- Tests --------------------------------------------------------------------------------- */

static HINTERNET open_request(HINTERNET con, const WCHAR *path)
{
    return WinHttpOpenRequest(con, L"GET", path, NULL, WINHTTP_NO_REFERER, WINHTTP_DEFAULT_ACCEPT_TYPES, 0);
}

static DWORD_PTR query_context(HINTERNET h)
{
    DWORD_PTR value = 0;
    DWORD size = sizeof(value);
    if (!WinHttpQueryOption(h, WINHTTP_OPTION_CONTEXT_VALUE, &value, &size))
        return (DWORD_PTR)-1;
    return value;
}

static BOOL set_context(HINTERNET h, DWORD_PTR value)
{
    return WinHttpSetOption(h, WINHTTP_OPTION_CONTEXT_VALUE, &value, sizeof(value));
}

/* Reads the body to the end; returns its length, or -1 on failure. */
static int read_to_end(HINTERNET req)
{
    char buf[4096];
    int total = 0;
    for (;;) {
        DWORD avail = 0, got = 0;
        if (!WinHttpQueryDataAvailable(req, &avail))
            return -1;
        if (!WinHttpReadData(req, buf, sizeof(buf), &got))
            return -1;
        if (!got)
            return total;
        total += (int)got;
    }
}

static void test_notification_sequences(void)
{
    const DWORD_PTR ses_ctx = 0x5e55, con_ctx = 0xc044, req_ctx = 0x1234, send_ctx = 0xabcd;
    HINTERNET ses, con, req, con2;
    WINHTTP_STATUS_CALLBACK prev;
    const struct note *n;
    char url[128];
    WCHAR path[160];
    int mark, i, closed_at[3];
    HINTERNET closed[3];

    ses = WinHttpOpen(L"winhttp-test/1.0", WINHTTP_ACCESS_TYPE_NO_PROXY, WINHTTP_NO_PROXY_NAME,
                      WINHTTP_NO_PROXY_BYPASS, 0);
    CHECK(ses != NULL);
    WinHttpSetTimeouts(ses, 5000, 5000, 5000, 5000);
    CHECK_OK(set_context(ses, ses_ctx));
    SetLastError(0xdeadbeef);
    prev = WinHttpSetStatusCallback(ses, status_callback, WINHTTP_CALLBACK_FLAG_ALL_NOTIFICATIONS, 0);
    CHECK(prev == NULL);

    /* HANDLE_CREATED arrives inside WinHttpConnect and WinHttpOpenRequest, for the new handle, with
     * the parent's context and the new handle as the payload. */
    mark = notes_now();
    con = WinHttpConnect(ses, L"localhost", http_port, 0);
    CHECK(con != NULL);
    CHECK_SEQUENCE(mark, created, con, ses_ctx);
    CHECK(notes[mark].hvalue == con && notes[mark].length == sizeof(HINTERNET));
    CHECK_OK(set_context(con, con_ctx));

    mark = notes_now();
    req = open_request(con, L"/hello");
    CHECK(req != NULL);
    CHECK_SEQUENCE(mark, created, req, con_ctx);
    CHECK(notes[mark].hvalue == req);

    /* SendRequest's dwContext replaces the context value set as an option. */
    CHECK_OK(set_context(req, req_ctx));
    CHECK_EQ(query_context(req), req_ctx);
    mark = notes_now();
    CHECK_OK(WinHttpSendRequest(req, WINHTTP_NO_ADDITIONAL_HEADERS, 0, WINHTTP_NO_REQUEST_DATA, 0, 0, send_ctx));
    CHECK_EQ(query_context(req), send_ctx);
    CHECK_EQ(query_context(con), con_ctx);

    /* A fresh connection: resolve, connect, send. */
    CHECK_SEQUENCE(mark, send_fresh, req, send_ctx);
    n = find_note(mark, notes_now(), WINHTTP_CALLBACK_STATUS_RESOLVING_NAME);
    CHECK(n && strcmp(n->text, "localhost") == 0);
    CHECK(n && n->length > 0);
    n = find_note(mark, notes_now(), WINHTTP_CALLBACK_STATUS_NAME_RESOLVED);
    CHECK(n && is_ip_address(n->text));
    n = find_note(mark, notes_now(), WINHTTP_CALLBACK_STATUS_CONNECTING_TO_SERVER);
    CHECK(n && is_ip_address(n->text));
    n = find_note(mark, notes_now(), WINHTTP_CALLBACK_STATUS_CONNECTED_TO_SERVER);
    CHECK(n && strcmp(n->text, "127.0.0.1") == 0); /* the server listens on 127.0.0.1 only */
    n = find_note(mark, notes_now(), WINHTTP_CALLBACK_STATUS_REQUEST_SENT);
    CHECK(n && n->length == sizeof(DWORD) && n->number > 0);

    mark = notes_now();
    CHECK_OK(WinHttpReceiveResponse(req, NULL));
    CHECK_SEQUENCE(mark, receive, req, send_ctx);
    n = find_note(mark, notes_now(), WINHTTP_CALLBACK_STATUS_RESPONSE_RECEIVED);
    CHECK(n && n->length == sizeof(DWORD) && n->number > 0);

    mark = notes_now();
    CHECK_EQ(read_to_end(req), 13);
    CHECK_SEQUENCE(mark, read_body_notes, req, send_ctx);

    /* Closing gives HANDLE_CLOSING (and no CLOSING_CONNECTION: the connection goes back to the
     * pool), with the handle as the payload. */
    mark = notes_now();
    CHECK_OK(WinHttpCloseHandle(req));
    CHECK_SEQUENCE(mark, closing, req, send_ctx);
    CHECK(notes[mark].hvalue == req && notes[mark].length == sizeof(HINTERNET));

    /* A second request on the pooled connection: no resolving or connecting. */
    req = open_request(con, L"/hello");
    mark = notes_now();
    CHECK_OK(WinHttpSendRequest(req, WINHTTP_NO_ADDITIONAL_HEADERS, 0, WINHTTP_NO_REQUEST_DATA, 0, 0, send_ctx + 1));
    CHECK_SEQUENCE(mark, send_pooled, req, send_ctx + 1);
    mark = notes_now();
    CHECK_OK(WinHttpReceiveResponse(req, NULL));
    CHECK_SEQUENCE(mark, receive, req, send_ctx + 1);
    mark = notes_now();
    CHECK_EQ(read_to_end(req), 13);
    CHECK_SEQUENCE(mark, read_body_notes, req, send_ctx + 1);
    mark = notes_now();
    CHECK_OK(WinHttpCloseHandle(req));
    CHECK_SEQUENCE(mark, closing, req, send_ctx + 1);

    /* A redirect on the same server: one REDIRECT with the new URL, then the second exchange. */
    req = open_request(con, L"/redirect/302?to=/hello");
    mark = notes_now();
    CHECK_OK(WinHttpSendRequest(req, WINHTTP_NO_ADDITIONAL_HEADERS, 0, WINHTTP_NO_REQUEST_DATA, 0, 0, send_ctx + 2));
    CHECK_SEQUENCE(mark, send_pooled, req, send_ctx + 2);
    mark = notes_now();
    CHECK_OK(WinHttpReceiveResponse(req, NULL));
    CHECK_SEQUENCE(mark, receive_redirect, req, send_ctx + 2);
    n = find_note(mark, notes_now(), WINHTTP_CALLBACK_STATUS_REDIRECT);
    snprintf(url, sizeof(url), "http://localhost:%u/hello", (unsigned)http_port);
    CHECK(n && strcmp(n->text, url) == 0);
    if (n && strcmp(n->text, url) != 0)
        printf("  REDIRECT payload \"%s\", expected \"%s\"\n", n->text, url);
    CHECK(n && n->length > 0);
    mark = notes_now();
    CHECK_EQ(read_to_end(req), 13);
    CHECK_SEQUENCE(mark, read_body_notes, req, send_ctx + 2);
    WinHttpCloseHandle(req);

    /* A redirect to another server (127.0.0.1 is not "localhost" to the pool): a new connection. */
    harness_swprintf(path, sizeof(path) / sizeof(WCHAR), L"/redirect/302?to=http://127.0.0.1:%u/hello", (unsigned)http_port);
    req = open_request(con, path);
    CHECK_OK(WinHttpSendRequest(req, WINHTTP_NO_ADDITIONAL_HEADERS, 0, WINHTTP_NO_REQUEST_DATA, 0, 0, send_ctx + 3));
    mark = notes_now();
    CHECK_OK(WinHttpReceiveResponse(req, NULL));
    CHECK_SEQUENCE(mark, receive_redirect_elsewhere, req, send_ctx + 3);
    snprintf(url, sizeof(url), "http://127.0.0.1:%u/hello", (unsigned)http_port);
    n = find_note(mark, notes_now(), WINHTTP_CALLBACK_STATUS_REDIRECT);
    CHECK(n && strcmp(n->text, url) == 0);
    n = find_note(mark, notes_now(), WINHTTP_CALLBACK_STATUS_RESOLVING_NAME);
    CHECK(n && strcmp(n->text, "127.0.0.1") == 0);
    n = find_note(mark, notes_now(), WINHTTP_CALLBACK_STATUS_CONNECTED_TO_SERVER);
    CHECK(n && strcmp(n->text, "127.0.0.1") == 0);
    CHECK_EQ(read_to_end(req), 13);
    WinHttpCloseHandle(req);

    /* "Connection: close": the connection ends with the body instead of going back to the pool. */
    req = open_request(con, L"/close");
    CHECK_OK(WinHttpSendRequest(req, L"Connection: close", (DWORD)-1L, WINHTTP_NO_REQUEST_DATA, 0, 0, send_ctx + 4));
    CHECK_OK(WinHttpReceiveResponse(req, NULL));
    mark = notes_now();
    CHECK(read_to_end(req) > 0);
    CHECK_SEQUENCE(mark, read_body_closing, req, send_ctx + 4);
    mark = notes_now();
    CHECK_OK(WinHttpCloseHandle(req));
    CHECK_SEQUENCE(mark, closing, req, send_ctx + 4);

    /* A refused connect: the progress up to the attempt, then the call fails; no REQUEST_ERROR. */
    con2 = WinHttpConnect(ses, L"127.0.0.1", closed_port, 0);
    req = open_request(con2, L"/");
    mark = notes_now();
    CHECK_FAILS(WinHttpSendRequest(req, WINHTTP_NO_ADDITIONAL_HEADERS, 0, WINHTTP_NO_REQUEST_DATA, 0, 0, 7),
                ERROR_WINHTTP_CANNOT_CONNECT);
    CHECK_SEQUENCE(mark, send_refused, req, 7);
    WinHttpCloseHandle(req);
    WinHttpCloseHandle(con2);

    /* Closing request, connect and session: HANDLE_CLOSING each, in the order closed, with each
     * handle's own context; nothing for a handle after its HANDLE_CLOSING. */
    req = open_request(con, L"/hello");
    CHECK_OK(WinHttpSendRequest(req, WINHTTP_NO_ADDITIONAL_HEADERS, 0, WINHTTP_NO_REQUEST_DATA, 0, 0, send_ctx));
    CHECK_OK(WinHttpReceiveResponse(req, NULL));
    closed[0] = req;
    closed[1] = con;
    closed[2] = ses;
    mark = notes_now();
    for (i = 0; i < 3; i++) {
        closed_at[i] = notes_now();
        CHECK_OK(WinHttpCloseHandle(closed[i]));
    }
    CHECK_EQ(notes_now() - mark, 3);
    for (i = 0; i < 3 && notes_now() - mark == 3; i++) {
        CHECK_EQ(notes[closed_at[i]].status, WINHTTP_CALLBACK_STATUS_HANDLE_CLOSING);
        CHECK(notes[closed_at[i]].handle == closed[i]);
        CHECK(notes[closed_at[i]].hvalue == closed[i]);
    }
    CHECK_EQ(notes[closed_at[0]].context, send_ctx);
    CHECK_EQ(notes[closed_at[1]].context, con_ctx);
    CHECK_EQ(notes[closed_at[2]].context, ses_ctx);
    /* Nothing arrives later either (no worker thread is left to call back). */
    mark = notes_now();
    {
        struct timespec ts = {0, 100 * 1000000L};
        nanosleep(&ts, NULL);
    }
    CHECK_SEQUENCE(mark, nothing, ses, ses_ctx);

    /* Across the whole run: no async-only completion, and nothing for a handle after it closed. */
    for (i = 0; i < notes_now(); i++) {
        DWORD s = notes[i].status;
        int j;
        CHECK(!(s & WINHTTP_CALLBACK_FLAG_ALL_COMPLETIONS));
        if (s == WINHTTP_CALLBACK_STATUS_HANDLE_CLOSING)
            for (j = i + 1; j < notes_now(); j++)
                CHECK(notes[j].handle != notes[i].handle);
    }
}

/* Only the notifications asked for are delivered. */
static void test_notification_mask(void)
{
    HINTERNET ses, con, req;
    int mark;
    static const struct expected redirect_only[] = {{WINHTTP_CALLBACK_STATUS_REDIRECT, REQUIRED}};
    static const struct expected none[] = {{WINHTTP_CALLBACK_STATUS_REDIRECT, OPTIONAL}};

    ses = WinHttpOpen(L"winhttp-test/1.0", WINHTTP_ACCESS_TYPE_NO_PROXY, WINHTTP_NO_PROXY_NAME,
                      WINHTTP_NO_PROXY_BYPASS, 0);
    WinHttpSetTimeouts(ses, 5000, 5000, 5000, 5000);
    CHECK(WinHttpSetStatusCallback(ses, status_callback, WINHTTP_CALLBACK_FLAG_REDIRECT, 0) == NULL);
    mark = notes_now();
    con = WinHttpConnect(ses, L"127.0.0.1", http_port, 0);
    req = open_request(con, L"/redirect/301?to=/hello");
    CHECK_OK(WinHttpSendRequest(req, WINHTTP_NO_ADDITIONAL_HEADERS, 0, WINHTTP_NO_REQUEST_DATA, 0, 0, 9));
    CHECK_OK(WinHttpReceiveResponse(req, NULL));
    CHECK_EQ(read_to_end(req), 13);
    CHECK_SEQUENCE(mark, redirect_only, req, 9);
    /* Setting another callback returns the previous one. HANDLE_CLOSING was not asked for. */
    CHECK(WinHttpSetStatusCallback(ses, NULL, WINHTTP_CALLBACK_FLAG_ALL_NOTIFICATIONS, 0) == status_callback);
    mark = notes_now();
    WinHttpCloseHandle(req);
    WinHttpCloseHandle(con);
    WinHttpCloseHandle(ses);
    CHECK_SEQUENCE(mark, none, req, 9);
}

int main(void)
{
    main_thread = pthread_self();
    read_ports();
    test_notification_sequences();
    test_notification_mask();
    return harness_report();
}
