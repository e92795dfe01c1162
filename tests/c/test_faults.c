/*
 * The fault table of docs/FAULTS.md, walked sync and async: for each broken server behaviour (the
 * raw fault server's scripts, a refused port), the call that fails and its error (async: the
 * REQUEST_ERROR's dwResult and dwError), the time it takes (within the configured timeouts), that
 * the broken connection is not left in the pool (our diagnostics extension: nothing open but what
 * the row expects to be pooled), and that the next request on the same session and connect
 * handles works.
 *
 * tests/faults_table.rs checks that every row of docs/FAULTS.md is a FAULT(...) line here with the
 * same path, failing call and error.
 *
 * Timeouts: 2 s resolve/connect/send/receive, and RECEIVE_RESPONSE_TIMEOUT 3 s for the whole head
 * (what bounds the slow drip, whose bytes come every second). Under a checker such as valgrind
 * (WINHTTP_TEST_UNDER_CHECKER set by the runner) the allowed slack is larger.
 *
 * Ports: WINHTTP_TEST_RAW_PORT (raw fault server), WINHTTP_TEST_CLOSED_PORT (refuses),
 * WINHTTP_TEST_HANGUP_PORT (accepts and closes at once, reading nothing).
 */
#include "request_driver.h"

#define TIMEOUT_MS 2000
#define RESPONSE_TIMEOUT_MS 3000
#define BIG_UPLOAD (64u << 20)

struct fault {
    const char *name;
    const WCHAR *path; /* on the raw server; NULL: the refused port */
    const WCHAR *verb;
    DWORD upload;
    int api;     /* the call that fails (API_*), 0 when the request succeeds */
    DWORD error; /* its error */
    DWORD pooled; /* idle pooled connections once the request is closed */
    int limit_ms; /* the configured timeout the call must return within */
    int port;     /* RAW (the raw fault server), CLOSED (refuses) or HANGUP (closes on accept) */
};

enum { RAW, CLOSED, HANGUP };

#define FAULT(name, path, verb, upload, api, error, pooled, limit, port)                                        \
    {name, path, verb, upload, api, error, pooled, limit, port},

/* clang-format off */
static const struct fault faults[] = {
    FAULT("refuse", NULL, L"GET", 0, API_SEND_REQUEST, ERROR_WINHTTP_CANNOT_CONNECT, 0, TIMEOUT_MS, CLOSED)
    FAULT("accept-then-close", NULL, L"GET", 0, API_RECEIVE_RESPONSE, ERROR_WINHTTP_CONNECTION_ERROR, 0, TIMEOUT_MS, HANGUP)
    FAULT("read-then-close", L"/raw/close-before-response", L"GET", 0, API_RECEIVE_RESPONSE, ERROR_WINHTTP_CONNECTION_ERROR, 0, TIMEOUT_MS, RAW)
    FAULT("reset-status-line", L"/raw/reset-status-line", L"GET", 0, API_RECEIVE_RESPONSE, ERROR_WINHTTP_CONNECTION_ERROR, 0, TIMEOUT_MS, RAW)
    FAULT("reset-headers", L"/raw/reset-headers", L"GET", 0, API_RECEIVE_RESPONSE, ERROR_WINHTTP_CONNECTION_ERROR, 0, TIMEOUT_MS, RAW)
    FAULT("reset-body", L"/raw/reset-mid-body", L"GET", 0, API_QUERY_DATA_AVAILABLE, ERROR_WINHTTP_CONNECTION_ERROR, 0, TIMEOUT_MS, RAW)
    FAULT("reset-chunk-header", L"/raw/reset-chunk-header", L"GET", 0, API_QUERY_DATA_AVAILABLE, ERROR_WINHTTP_CONNECTION_ERROR, 0, TIMEOUT_MS, RAW)
    FAULT("truncated-length", L"/raw/truncated-length", L"GET", 0, API_QUERY_DATA_AVAILABLE, ERROR_WINHTTP_CONNECTION_ERROR, 0, TIMEOUT_MS, RAW)
    FAULT("truncated-chunked", L"/raw/truncated-chunked", L"GET", 0, API_QUERY_DATA_AVAILABLE, ERROR_WINHTTP_CONNECTION_ERROR, 0, TIMEOUT_MS, RAW)
    FAULT("invalid-chunk-size", L"/raw/bad-chunk-size", L"GET", 0, API_QUERY_DATA_AVAILABLE, ERROR_WINHTTP_INVALID_SERVER_RESPONSE, 0, TIMEOUT_MS, RAW)
    FAULT("chunk-size-overflow", L"/raw/chunk-size-overflow", L"GET", 0, API_QUERY_DATA_AVAILABLE, ERROR_WINHTTP_INVALID_SERVER_RESPONSE, 0, TIMEOUT_MS, RAW)
    FAULT("content-length-and-chunked", L"/raw/cl-te", L"GET", 0, 0, ERROR_SUCCESS, 0, TIMEOUT_MS, RAW)
    FAULT("duplicate-content-length-equal", L"/raw/dup-cl-equal", L"GET", 0, 0, ERROR_SUCCESS, 1, TIMEOUT_MS, RAW)
    FAULT("duplicate-content-length-different", L"/raw/dup-cl-differ", L"GET", 0, API_RECEIVE_RESPONSE, ERROR_WINHTTP_INVALID_SERVER_RESPONSE, 0, TIMEOUT_MS, RAW)
    FAULT("garbage-status-line", L"/raw/no-status-line", L"GET", 0, API_RECEIVE_RESPONSE, ERROR_WINHTTP_INVALID_SERVER_RESPONSE, 0, TIMEOUT_MS, RAW)
    FAULT("http09-reply", L"/raw/http09", L"GET", 0, API_RECEIVE_RESPONSE, ERROR_WINHTTP_INVALID_SERVER_RESPONSE, 0, TIMEOUT_MS, RAW)
    FAULT("1-mib-header", L"/raw/huge-header", L"GET", 0, API_RECEIVE_RESPONSE, ERROR_WINHTTP_HEADER_SIZE_OVERFLOW, 0, TIMEOUT_MS, RAW)
    FAULT("100000-headers", L"/raw/many-headers", L"GET", 0, API_RECEIVE_RESPONSE, ERROR_WINHTTP_HEADER_SIZE_OVERFLOW, 0, TIMEOUT_MS, RAW)
    FAULT("slow-drip", L"/raw/slow-drip", L"GET", 0, API_RECEIVE_RESPONSE, ERROR_WINHTTP_TIMEOUT, 0, RESPONSE_TIMEOUT_MS, RAW)
    FAULT("never-answers", L"/raw/never-answers", L"GET", 0, API_RECEIVE_RESPONSE, ERROR_WINHTTP_TIMEOUT, 0, TIMEOUT_MS, RAW)
    FAULT("redirect-loop", L"/raw/redirect-loop", L"GET", 0, API_RECEIVE_RESPONSE, ERROR_WINHTTP_REDIRECT_FAILED, 0, TIMEOUT_MS, RAW)
    FAULT("stops-reading-mid-upload", L"/raw/stall-upload", L"PUT", BIG_UPLOAD, API_WRITE_DATA, ERROR_WINHTTP_TIMEOUT, 0, TIMEOUT_MS, RAW)
    FAULT("resets-mid-upload", L"/raw/close-mid-upload", L"PUT", BIG_UPLOAD, API_WRITE_DATA, ERROR_WINHTTP_CONNECTION_ERROR, 0, TIMEOUT_MS, RAW)
};
/* clang-format on */

static INTERNET_PORT raw_port, closed_port, hangup_port;
static int slack_ms = 1500;

static const char *api_name(int api)
{
    switch (api) {
    case 0:
        return "none";
    case API_RECEIVE_RESPONSE:
        return "API_RECEIVE_RESPONSE";
    case API_QUERY_DATA_AVAILABLE:
        return "API_QUERY_DATA_AVAILABLE";
    case API_READ_DATA:
        return "API_READ_DATA";
    case API_WRITE_DATA:
        return "API_WRITE_DATA";
    case API_SEND_REQUEST:
        return "API_SEND_REQUEST";
    default:
        return "?";
    }
}

static void set_timeouts(HINTERNET ses)
{
    DWORD response = RESPONSE_TIMEOUT_MS;
    CHECK_OK(WinHttpSetTimeouts(ses, TIMEOUT_MS, TIMEOUT_MS, TIMEOUT_MS, TIMEOUT_MS));
    CHECK_OK(WinHttpSetOption(ses, WINHTTP_OPTION_RECEIVE_RESPONSE_TIMEOUT, &response, sizeof(response)));
}

/* Waits (briefly) until no request object or operation is left and every open socket is pooled. */
static WINHTTP_PORTABLE_DIAGNOSTICS settled(void)
{
    double until = now_ms() + 2000;
    WINHTTP_PORTABLE_DIAGNOSTICS d = diagnostics();
    while ((d.dwLiveRequests || d.dwPendingOperations || d.dwOpenSockets != d.dwPooledConnections) &&
           now_ms() < until) {
        sleep_ms(5);
        d = diagnostics();
    }
    return d;
}

static void walk(int async)
{
    const char *mode = async ? "async" : "sync";
    HINTERNET ses, raw, refused, hangup;
    size_t i;

    ses = async ? open_async_session(TIMEOUT_MS)
                : WinHttpOpen(L"winhttp-test/1.0", WINHTTP_ACCESS_TYPE_NO_PROXY, WINHTTP_NO_PROXY_NAME,
                              WINHTTP_NO_PROXY_BYPASS, 0);
    set_timeouts(ses);
    raw = WinHttpConnect(ses, L"127.0.0.1", raw_port, 0);
    refused = WinHttpConnect(ses, L"127.0.0.1", closed_port, 0);
    hangup = WinHttpConnect(ses, L"127.0.0.1", hangup_port, 0);
    for (i = 0; i < sizeof(faults) / sizeof(faults[0]); i++) {
        const struct fault *f = &faults[i];
        struct run_spec spec = {f->verb, f->path ? f->path : L"/raw/reason", f->upload};
        struct run_spec good = {L"GET", L"/raw/reason", 0};
        HINTERNET con = f->port == CLOSED ? refused : f->port == HANGUP ? hangup : raw;
        int wait_ms = f->limit_ms + slack_ms + 5000;
        struct outcome o = async ? run_async(con, &spec, wait_ms) : run_sync(con, &spec);
        WINHTTP_PORTABLE_DIAGNOSTICS d;
        int ok = o.api == f->api && o.error == f->error && !o.hung;

        if (!ok)
            printf("  %s %s: %s %lu%s, expected %s %lu\n", mode, f->name, api_name(o.api), (unsigned long)o.error,
                   o.hung ? " (no end)" : "", api_name(f->api), (unsigned long)f->error);
        CHECK(ok);
        if (o.ms > f->limit_ms + slack_ms)
            printf("  %s %s took %.0f ms (limit %d + %d)\n", mode, f->name, o.ms, f->limit_ms, slack_ms);
        CHECK(o.ms <= f->limit_ms + slack_ms);
        if (f->error == ERROR_WINHTTP_TIMEOUT) {
            /* A timeout is the configured one, not an early give-up. */
            if (o.ms < f->limit_ms * 0.9)
                printf("  %s %s timed out after %.0f ms (configured %d)\n", mode, f->name, o.ms, f->limit_ms);
            CHECK(o.ms >= f->limit_ms * 0.9);
        }
        if (f->api == 0)
            CHECK_EQ(o.body, 5);
        if (async) {
            /* Exactly one REQUEST_ERROR for a failure (none for a success), and nothing after the end. */
            if (o.request_errors != (f->api ? 1 : 0) || o.late)
                printf("  async %s: %d REQUEST_ERROR, %d late completions\n", f->name, o.request_errors, o.late);
            CHECK_EQ(o.request_errors, f->api ? 1 : 0);
            CHECK_EQ(o.late, 0);
        }

        d = settled();
        if (d.dwPooledConnections != f->pooled || d.dwOpenSockets != d.dwPooledConnections || d.dwLiveRequests ||
            d.dwPendingOperations) {
            printf("  %s %s:\n", mode, f->name);
            print_diagnostics("after closing the request", d);
        }
        CHECK_EQ(d.dwPooledConnections, f->pooled);
        CHECK_EQ(d.dwOpenSockets, d.dwPooledConnections);
        CHECK_EQ(d.dwLiveRequests, 0);
        CHECK_EQ(d.dwPendingOperations, 0);

        /* The same session and connect handle go on working (the refused and hang-up rows: the raw
         * server's connect handle of the same session). */
        o = async ? run_async(raw, &good, 5000) : run_sync(raw, &good);
        if (o.api != 0 || o.status != 200 || o.body != 2)
            printf("  %s after %s: next request gave %s %lu, status %lu, %lu bytes\n", mode, f->name,
                   api_name(o.api), (unsigned long)o.error, (unsigned long)o.status, (unsigned long)o.body);
        CHECK(o.api == 0 && o.status == 200 && o.body == 2);
        CHECK_OK(close_idle_connections());
    }
    WinHttpCloseHandle(hangup);
    WinHttpCloseHandle(refused);
    WinHttpCloseHandle(raw);
    WinHttpCloseHandle(ses);
}

int main(void)
{
    raw_port = (INTERNET_PORT)harness_env_int("WINHTTP_TEST_RAW_PORT", 0);
    closed_port = (INTERNET_PORT)harness_env_int("WINHTTP_TEST_CLOSED_PORT", 0);
    hangup_port = (INTERNET_PORT)harness_env_int("WINHTTP_TEST_HANGUP_PORT", 0);
    CHECK(raw_port && closed_port && hangup_port);
    if (getenv("WINHTTP_TEST_UNDER_CHECKER"))
        slack_ms = 6000;
    walk(0);
    walk(1);
    {
        WINHTTP_PORTABLE_DIAGNOSTICS d = wait_nothing_live(2000);
        CHECK(nothing_live(d));
        CHECK_EQ(d.dwOpenSockets, 0);
    }
    return harness_report();
}
