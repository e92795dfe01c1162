/*
 * Keep-alive and the process-wide connection pool: 1,000 sequential requests through one connect
 * handle travel over one TCP connection; a brand-new session reuses the pooled socket; reuse
 * survives chunked bodies; "Connection: close" from the server and WINHTTP_DISABLE_KEEP_ALIVE
 * mean a new connection next time.
 *
 * WINHTTP_TEST_PORT is the HTTP server. Every response carries X-Conn-Id, the number of the TCP
 * connection it was served on; /conn-id also returns it as the body; /close answers with
 * "Connection: close".
 */
#include <winhttp.h>
#include "harness.h"

static INTERNET_PORT http_port;

static HINTERNET open_session(void)
{
    HINTERNET ses = WinHttpOpen(L"winhttp-test/1.0", WINHTTP_ACCESS_TYPE_NO_PROXY, WINHTTP_NO_PROXY_NAME,
                                WINHTTP_NO_PROXY_BYPASS, 0);
    if (ses)
        WinHttpSetTimeouts(ses, 10000, 10000, 10000, 10000);
    return ses;
}

/* Runs one GET and reads the whole body; returns the X-Conn-Id of the response, or 0 on failure.
 * `body_out`, if given, receives the body (up to 255 bytes). */
static DWORD get_conn_id(HINTERNET con, const WCHAR *path, DWORD disable_features, char *body_out)
{
    HINTERNET req;
    DWORD id = 0, size = sizeof(id), avail, got, len = 0;
    char buf[4096];
    int i, ok;

    req = WinHttpOpenRequest(con, L"GET", path, NULL, WINHTTP_NO_REFERER, WINHTTP_DEFAULT_ACCEPT_TYPES, 0);
    if (!req)
        return 0;
    if (disable_features)
        WinHttpSetOption(req, WINHTTP_OPTION_DISABLE_FEATURE, &disable_features, sizeof(disable_features));
    ok = WinHttpSendRequest(req, WINHTTP_NO_ADDITIONAL_HEADERS, 0, WINHTTP_NO_REQUEST_DATA, 0, 0, 0) &&
         WinHttpReceiveResponse(req, NULL) &&
         WinHttpQueryHeaders(req, WINHTTP_QUERY_CUSTOM | WINHTTP_QUERY_FLAG_NUMBER, L"X-Conn-Id", &id, &size,
                             WINHTTP_NO_HEADER_INDEX);
    for (i = 0; ok && i < 10000; i++) {
        avail = 0;
        got = 0;
        if (!WinHttpQueryDataAvailable(req, &avail) || !avail)
            break;
        if (avail > sizeof(buf))
            avail = sizeof(buf);
        if (!WinHttpReadData(req, buf, avail, &got) || !got)
            break;
        if (body_out && len + got < 256) {
            memcpy(body_out + len, buf, got);
            len += got;
        }
    }
    if (body_out)
        body_out[len] = 0;
    WinHttpCloseHandle(req);
    return ok ? id : 0;
}

static void test_thousand_requests_one_connection(void)
{
    HINTERNET ses = open_session(), con;
    DWORD first, id, i, different = 0, failed = 0;
    char body[256], expected[32];

    con = WinHttpConnect(ses, L"127.0.0.1", http_port, 0);
    first = get_conn_id(con, L"/conn-id", 0, body);
    CHECK(first != 0);
    snprintf(expected, sizeof(expected), "%lu", (unsigned long)first);
    CHECK(strcmp(body, expected) == 0);
    for (i = 0; i < 1000; i++) {
        id = get_conn_id(con, L"/conn-id", 0, NULL);
        if (!id) {
            failed++;
            if (failed > 5)
                break;
        } else if (id != first) {
            different++;
        }
    }
    CHECK_EQ(failed, 0);
    CHECK_EQ(different, 0);
    WinHttpCloseHandle(con);
    WinHttpCloseHandle(ses);
}

/* The pool is process-wide: a new session (and connect handle) gets the socket the old one left. */
static void test_new_session_reuses_socket(void)
{
    HINTERNET ses, con;
    DWORD first, second, third;

    ses = open_session();
    con = WinHttpConnect(ses, L"127.0.0.1", http_port, 0);
    first = get_conn_id(con, L"/conn-id", 0, NULL);
    CHECK(first != 0);
    WinHttpCloseHandle(con);
    WinHttpCloseHandle(ses);

    ses = open_session();
    con = WinHttpConnect(ses, L"127.0.0.1", http_port, 0);
    second = get_conn_id(con, L"/conn-id", 0, NULL);
    CHECK_EQ(second, first);
    WinHttpCloseHandle(con);
    WinHttpCloseHandle(ses);

    /* Also after a chunked body read to its end. */
    ses = open_session();
    con = WinHttpConnect(ses, L"127.0.0.1", http_port, 0);
    CHECK_EQ(get_conn_id(con, L"/chunked", 0, NULL), first);
    third = get_conn_id(con, L"/hello", 0, NULL);
    CHECK_EQ(third, first);
    WinHttpCloseHandle(con);
    WinHttpCloseHandle(ses);
}

static void test_connection_close(void)
{
    HINTERNET ses = open_session(), con;
    DWORD before, closed, after, again;

    con = WinHttpConnect(ses, L"127.0.0.1", http_port, 0);
    before = get_conn_id(con, L"/conn-id", 0, NULL);
    CHECK(before != 0);
    /* The server answers on the same connection, then closes it. */
    closed = get_conn_id(con, L"/close", 0, NULL);
    CHECK_EQ(closed, before);
    after = get_conn_id(con, L"/conn-id", 0, NULL);
    CHECK(after != 0);
    CHECK(after != closed);
    /* The new connection is kept alive as usual. */
    again = get_conn_id(con, L"/conn-id", 0, NULL);
    CHECK_EQ(again, after);

    /* WINHTTP_DISABLE_KEEP_ALIVE: this request's connection is not reused. */
    before = get_conn_id(con, L"/conn-id", WINHTTP_DISABLE_KEEP_ALIVE, NULL);
    CHECK(before != 0);
    after = get_conn_id(con, L"/conn-id", 0, NULL);
    CHECK(after != 0);
    CHECK(after != before);
    WinHttpCloseHandle(con);
    WinHttpCloseHandle(ses);
}

int main(void)
{
    http_port = (INTERNET_PORT)harness_env_int("WINHTTP_TEST_PORT", 0);
    if (!http_port)
        printf("WINHTTP_TEST_PORT not set: run through tests/c_suite.rs\n");
    CHECK(http_port != 0);
    test_thousand_requests_one_connection();
    test_new_session_reuses_socket();
    test_connection_close();
    return harness_report();
}
