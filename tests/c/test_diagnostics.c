/*
 * WINHTTP_OPTION_PORTABLE_DIAGNOSTICS (our extension, queried with a NULL handle): its buffer
 * protocol, and the promise it makes checkable: once every handle is closed (and, in the async
 * mode, its HANDLE_CLOSING delivered) the library holds no handle, no session/connect/request
 * object, no operation, and no socket except idle keep-alive connections of the process-wide pool;
 * WINHTTP_OPTION_PORTABLE_CLOSE_IDLE_CONNECTIONS closes those, and then nothing is left. Checked
 * after successful requests, failures (refused connect, truncated body, garbage), a request closed
 * with its body unread and calls cancelled by closing their handle, sync and async.
 *
 * Ports: WINHTTP_TEST_PORT (HTTP server), WINHTTP_TEST_RAW_PORT (raw fault server),
 * WINHTTP_TEST_CLOSED_PORT (refuses connections).
 */
#include "request_driver.h"

static INTERNET_PORT http_port, raw_port, closed_port;

static void check_all_zero(const char *when)
{
    WINHTTP_PORTABLE_DIAGNOSTICS d = diagnostics();
    int zero = nothing_live(d) && d.dwOpenSockets == 0 && d.dwPooledConnections == 0;
    if (!zero)
        print_diagnostics(when, d);
    CHECK(zero);
}

static void test_buffer_protocol(void)
{
    WINHTTP_PORTABLE_DIAGNOSTICS d;
    DWORD size = 0;
    HINTERNET ses;

    CHECK_FAILS(WinHttpQueryOption(NULL, WINHTTP_OPTION_PORTABLE_DIAGNOSTICS, NULL, &size), ERROR_INSUFFICIENT_BUFFER);
    CHECK_EQ(size, sizeof(d));
    size = sizeof(d) - 1;
    CHECK_FAILS(WinHttpQueryOption(NULL, WINHTTP_OPTION_PORTABLE_DIAGNOSTICS, &d, &size), ERROR_INSUFFICIENT_BUFFER);
    CHECK_EQ(size, sizeof(d));
    size = sizeof(d) + 8;
    CHECK_OK(WinHttpQueryOption(NULL, WINHTTP_OPTION_PORTABLE_DIAGNOSTICS, &d, &size));
    CHECK_EQ(size, sizeof(d));
    CHECK_FAILS(WinHttpSetOption(NULL, WINHTTP_OPTION_PORTABLE_DIAGNOSTICS, &d, sizeof(d)),
                ERROR_WINHTTP_OPTION_NOT_SETTABLE);
    /* A process-wide option: not on a handle. */
    ses = WinHttpOpen(L"winhttp-test/1.0", WINHTTP_ACCESS_TYPE_NO_PROXY, WINHTTP_NO_PROXY_NAME,
                      WINHTTP_NO_PROXY_BYPASS, 0);
    size = sizeof(d);
    CHECK_FAILS(WinHttpQueryOption(ses, WINHTTP_OPTION_PORTABLE_DIAGNOSTICS, &d, &size),
                ERROR_WINHTTP_INCORRECT_HANDLE_TYPE);
    CHECK_FAILS(WinHttpSetOption(ses, WINHTTP_OPTION_PORTABLE_CLOSE_IDLE_CONNECTIONS, NULL, 0),
                ERROR_WINHTTP_INCORRECT_HANDLE_TYPE);
    size = sizeof(DWORD);
    CHECK_FAILS(WinHttpQueryOption(NULL, WINHTTP_OPTION_PORTABLE_CLOSE_IDLE_CONNECTIONS, &d, &size),
                ERROR_INVALID_PARAMETER);
    WinHttpCloseHandle(ses);
    check_all_zero("fresh process");
}

/* The counts follow handles and objects as they open and close. */
static void test_counts_follow_handles(void)
{
    HINTERNET ses, con, req;
    WINHTTP_PORTABLE_DIAGNOSTICS d;
    struct run_spec hello = {L"GET", L"/hello", 0};
    struct outcome o;

    ses = WinHttpOpen(L"winhttp-test/1.0", WINHTTP_ACCESS_TYPE_NO_PROXY, WINHTTP_NO_PROXY_NAME,
                      WINHTTP_NO_PROXY_BYPASS, 0);
    con = WinHttpConnect(ses, L"127.0.0.1", http_port, 0);
    req = WinHttpOpenRequest(con, L"GET", L"/hello", NULL, WINHTTP_NO_REFERER, WINHTTP_DEFAULT_ACCEPT_TYPES, 0);
    d = diagnostics();
    CHECK_EQ(d.dwLiveHandles, 3);
    CHECK_EQ(d.dwLiveSessions, 1);
    CHECK_EQ(d.dwLiveConnects, 1);
    CHECK_EQ(d.dwLiveRequests, 1);
    CHECK_EQ(d.dwOpenSockets, 0);
    CHECK_OK(WinHttpSendRequest(req, WINHTTP_NO_ADDITIONAL_HEADERS, 0, WINHTTP_NO_REQUEST_DATA, 0, 0, 0));
    d = diagnostics();
    CHECK_EQ(d.dwOpenSockets, 1);
    CHECK_EQ(d.dwPooledConnections, 0);
    CHECK_EQ(d.dwPendingOperations, 0);
    WinHttpCloseHandle(req);
    /* Closed with the response unread: the connection cannot be reused, so it is closed. */
    d = diagnostics();
    CHECK_EQ(d.dwLiveHandles, 2);
    CHECK_EQ(d.dwLiveRequests, 0);
    CHECK_EQ(d.dwOpenSockets, 0);

    o = run_sync(con, &hello);
    CHECK_EQ(o.api, 0);
    CHECK_EQ(o.body, 13);
    d = diagnostics();
    CHECK_EQ(d.dwOpenSockets, 1);
    CHECK_EQ(d.dwPooledConnections, 1);
    WinHttpCloseHandle(con);
    WinHttpCloseHandle(ses);
    d = diagnostics();
    CHECK(nothing_live(d));
    /* The pool is process-wide (as on Windows): the idle connection outlives its session... */
    CHECK_EQ(d.dwPooledConnections, 1);
    /* ...until it expires or is closed on request. */
    CHECK_OK(close_idle_connections());
    check_all_zero("after closing idle connections");
}

struct closer {
    HINTERNET req;
    int delay_ms;
};

static void *close_later(void *arg)
{
    struct closer *c = arg;
    sleep_ms(c->delay_ms);
    WinHttpCloseHandle(c->req);
    return NULL;
}

static void test_sync_everything_closed(void)
{
    HINTERNET ses, con, req;
    struct run_spec hello = {L"GET", L"/hello", 0}, chunked = {L"GET", L"/chunked", 0},
                    truncated = {L"GET", L"/raw/truncated-length", 0}, garbage = {L"GET", L"/raw/no-status-line", 0};
    struct outcome o;
    struct closer c;
    pthread_t t;
    int i;

    ses = WinHttpOpen(L"winhttp-test/1.0", WINHTTP_ACCESS_TYPE_NO_PROXY, WINHTTP_NO_PROXY_NAME,
                      WINHTTP_NO_PROXY_BYPASS, 0);
    WinHttpSetTimeouts(ses, 5000, 5000, 5000, 5000);
    con = WinHttpConnect(ses, L"127.0.0.1", http_port, 0);
    for (i = 0; i < 3; i++) {
        o = run_sync(con, &hello);
        CHECK_EQ(o.api, 0);
    }
    o = run_sync(con, &chunked);
    CHECK_EQ(o.api, 0);
    WinHttpCloseHandle(con);

    con = WinHttpConnect(ses, L"127.0.0.1", raw_port, 0);
    o = run_sync(con, &truncated);
    CHECK_EQ(o.api, API_QUERY_DATA_AVAILABLE);
    o = run_sync(con, &garbage);
    CHECK_EQ(o.api, API_RECEIVE_RESPONSE);
    /* A receive cancelled by closing the handle from another thread. */
    req = WinHttpOpenRequest(con, L"GET", L"/raw/never-answers", NULL, WINHTTP_NO_REFERER,
                             WINHTTP_DEFAULT_ACCEPT_TYPES, 0);
    CHECK_OK(WinHttpSendRequest(req, WINHTTP_NO_ADDITIONAL_HEADERS, 0, WINHTTP_NO_REQUEST_DATA, 0, 0, 0));
    c.req = req;
    c.delay_ms = 100;
    CHECK(pthread_create(&t, NULL, close_later, &c) == 0);
    CHECK_FAILS(WinHttpReceiveResponse(req, NULL), ERROR_WINHTTP_OPERATION_CANCELLED);
    pthread_join(t, NULL);
    WinHttpCloseHandle(con);

    con = WinHttpConnect(ses, L"127.0.0.1", closed_port, 0);
    o = run_sync(con, &hello);
    CHECK_EQ(o.api, API_SEND_REQUEST);
    CHECK_EQ(o.error, ERROR_WINHTTP_CANNOT_CONNECT);
    WinHttpCloseHandle(con);
    WinHttpCloseHandle(ses);

    {
        WINHTTP_PORTABLE_DIAGNOSTICS d = diagnostics();
        if (!nothing_live(d))
            print_diagnostics("sync, all closed", d);
        CHECK(nothing_live(d));
        CHECK(d.dwPooledConnections >= 1);
    }
    CHECK_OK(close_idle_connections());
    check_all_zero("sync, all closed, idle connections closed");
}

static void test_async_everything_closed(void)
{
    HINTERNET ses, con;
    struct run_spec hello = {L"GET", L"/hello", 0}, upload = {L"POST", L"/upload", 200000},
                    truncated = {L"GET", L"/raw/truncated-chunked", 0}, never = {L"GET", L"/raw/never-answers", 0};
    struct outcome o;
    WINHTTP_PORTABLE_DIAGNOSTICS d;
    int i, closings_before;

    pthread_mutex_lock(&driver_lock);
    closings_before = driver_closings;
    pthread_mutex_unlock(&driver_lock);
    ses = open_async_session(5000);
    con = WinHttpConnect(ses, L"127.0.0.1", http_port, 0);
    for (i = 0; i < 3; i++) {
        o = run_async(con, &hello, 5000);
        CHECK_EQ(o.api, 0);
        CHECK_EQ(o.body, 13);
    }
    o = run_async(con, &upload, 5000);
    CHECK_EQ(o.api, 0);
    CHECK_EQ(o.status, 200);
    WinHttpCloseHandle(con);

    con = WinHttpConnect(ses, L"127.0.0.1", raw_port, 0);
    o = run_async(con, &truncated, 5000);
    CHECK_EQ(o.api, API_QUERY_DATA_AVAILABLE);
    CHECK_EQ(o.error, ERROR_WINHTTP_CONNECTION_ERROR);
    /* Closed while ReceiveResponse is pending (run_async closes the request after 200 ms). */
    o = run_async(con, &never, 200);
    CHECK(o.hung);
    WinHttpCloseHandle(con);

    con = WinHttpConnect(ses, L"127.0.0.1", closed_port, 0);
    o = run_async(con, &hello, 5000);
    CHECK_EQ(o.api, API_SEND_REQUEST);
    CHECK_EQ(o.error, ERROR_WINHTTP_CANNOT_CONNECT);
    WinHttpCloseHandle(con);
    WinHttpCloseHandle(ses);

    /* Every HANDLE_CLOSING arrives (7 requests, 3 connects, 1 session), then nothing is left. */
    for (i = 0; i < 200; i++) {
        int n;
        pthread_mutex_lock(&driver_lock);
        n = driver_closings - closings_before;
        pthread_mutex_unlock(&driver_lock);
        if (n >= 11)
            break;
        sleep_ms(10);
    }
    pthread_mutex_lock(&driver_lock);
    CHECK_EQ(driver_closings - closings_before, 11);
    CHECK_EQ(driver_after_closing, 0);
    pthread_mutex_unlock(&driver_lock);
    d = wait_nothing_live(2000);
    if (!nothing_live(d))
        print_diagnostics("async, all closed", d);
    CHECK(nothing_live(d));
    CHECK_OK(close_idle_connections());
    check_all_zero("async, all closed, idle connections closed");
}

int main(void)
{
    http_port = (INTERNET_PORT)harness_env_int("WINHTTP_TEST_PORT", 0);
    raw_port = (INTERNET_PORT)harness_env_int("WINHTTP_TEST_RAW_PORT", 0);
    closed_port = (INTERNET_PORT)harness_env_int("WINHTTP_TEST_CLOSED_PORT", 0);
    CHECK(http_port && raw_port && closed_port);
    test_buffer_protocol();
    test_counts_follow_handles();
    test_sync_everything_closed();
    test_async_everything_closed();
    return harness_report();
}
