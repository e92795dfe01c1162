/*
 * WinHttpQueryAuthSchemes: what a 401 or a 407 offers, read from the server's WWW-Authenticate
 * or the proxy's Proxy-Authenticate headers (several challenges in one header and across headers,
 * unknown schemes ignored, the first scheme in the server's order), synchronously and from the
 * status callback of an asynchronous request, and every error: NULL and stale handles, other
 * handle types, NULL out-pointers, before any response, after a 200, a 401 with no or only
 * unknown schemes. Outputs are left alone on every failure.
 *
 * The server's routes are /auth/401, /auth/407, /auth/401-unknown, /auth/401-none and
 * /status/401 (tests/support/http.rs). Port from WINHTTP_TEST_PORT.
 */
#if !defined(_WIN32) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif
#include <winhttp.h>
#include "harness.h"
#include <pthread.h>
#include <time.h>

static INTERNET_PORT port;

#define ALL_SCHEMES                                                                                \
    (WINHTTP_AUTH_SCHEME_BASIC | WINHTTP_AUTH_SCHEME_NTLM | WINHTTP_AUTH_SCHEME_DIGEST |             \
     WINHTTP_AUTH_SCHEME_NEGOTIATE)

static HINTERNET open_request(HINTERNET con, const WCHAR *path)
{
    return WinHttpOpenRequest(con, L"GET", path, NULL, WINHTTP_NO_REFERER, WINHTTP_DEFAULT_ACCEPT_TYPES, 0);
}

static int send_receive(HINTERNET req)
{
    return WinHttpSendRequest(req, WINHTTP_NO_ADDITIONAL_HEADERS, 0, WINHTTP_NO_REQUEST_DATA, 0, 0, 0) &&
           WinHttpReceiveResponse(req, NULL);
}

/* Queries the schemes of a fresh request to `path`; returns whether the call succeeded and its
 * last error through *error. */
static int schemes_of(HINTERNET con, const WCHAR *path, DWORD *supported, DWORD *first, DWORD *target, DWORD *error)
{
    HINTERNET req = open_request(con, path);
    int ok;
    CHECK(req != NULL);
    CHECK(send_receive(req));
    SetLastError(0xdeadbeef);
    ok = WinHttpQueryAuthSchemes(req, supported, first, target);
    *error = GetLastError();
    WinHttpCloseHandle(req);
    return ok;
}

static void test_sync(HINTERNET ses, HINTERNET con)
{
    DWORD supported, first, target, error;
    HINTERNET req;

    /* Four challenges in three headers, the first unknown: Negotiate is the first WinHTTP knows. */
    supported = first = target = 0xdeadbeef;
    CHECK(schemes_of(con, L"/auth/401", &supported, &first, &target, &error));
    CHECK_EQ(error, ERROR_SUCCESS);
    CHECK_EQ(supported, ALL_SCHEMES);
    CHECK_EQ(first, WINHTTP_AUTH_SCHEME_NEGOTIATE);
    CHECK_EQ(target, WINHTTP_AUTH_TARGET_SERVER);

    /* Bearer, Basic, Digest (the test server's plain 401): Basic first, as in Wine's test. */
    CHECK(schemes_of(con, L"/status/401", &supported, &first, &target, &error));
    CHECK_EQ(supported, WINHTTP_AUTH_SCHEME_BASIC | WINHTTP_AUTH_SCHEME_DIGEST);
    CHECK_EQ(first, WINHTTP_AUTH_SCHEME_BASIC);
    CHECK_EQ(target, WINHTTP_AUTH_TARGET_SERVER);

    /* A 407: the proxy's header counts, the WWW-Authenticate beside it does not. */
    CHECK(schemes_of(con, L"/auth/407", &supported, &first, &target, &error));
    CHECK_EQ(supported, WINHTTP_AUTH_SCHEME_BASIC | WINHTTP_AUTH_SCHEME_NTLM);
    CHECK_EQ(first, WINHTTP_AUTH_SCHEME_BASIC);
    CHECK_EQ(target, WINHTTP_AUTH_TARGET_PROXY);

    /* A 401 with only unknown schemes, or none: ERROR_INVALID_OPERATION, outputs untouched. */
    supported = first = target = 0xdeadbeef;
    CHECK(!schemes_of(con, L"/auth/401-unknown", &supported, &first, &target, &error));
    CHECK_EQ(error, ERROR_INVALID_OPERATION);
    CHECK(!schemes_of(con, L"/auth/401-none", &supported, &first, &target, &error));
    CHECK_EQ(error, ERROR_INVALID_OPERATION);
    /* A 200. */
    CHECK(!schemes_of(con, L"/hello", &supported, &first, &target, &error));
    CHECK_EQ(error, ERROR_INVALID_OPERATION);
    CHECK_EQ(supported, 0xdeadbeef);
    CHECK_EQ(first, 0xdeadbeef);
    CHECK_EQ(target, 0xdeadbeef);

    /* Before any send, and after a send but before the response. */
    req = open_request(con, L"/auth/401");
    CHECK_FAILS(WinHttpQueryAuthSchemes(req, &supported, &first, &target), ERROR_INVALID_OPERATION);
    CHECK_OK(WinHttpSendRequest(req, WINHTTP_NO_ADDITIONAL_HEADERS, 0, WINHTTP_NO_REQUEST_DATA, 0, 0, 0));
    CHECK_FAILS(WinHttpQueryAuthSchemes(req, &supported, &first, &target), ERROR_INVALID_OPERATION);
    CHECK_OK(WinHttpReceiveResponse(req, NULL));
    /* NULL out-pointers, each alone and all three. */
    CHECK_FAILS(WinHttpQueryAuthSchemes(req, NULL, NULL, NULL), ERROR_INVALID_PARAMETER);
    CHECK_FAILS(WinHttpQueryAuthSchemes(req, NULL, &first, &target), ERROR_INVALID_PARAMETER);
    CHECK_FAILS(WinHttpQueryAuthSchemes(req, &supported, NULL, &target), ERROR_INVALID_PARAMETER);
    CHECK_FAILS(WinHttpQueryAuthSchemes(req, &supported, &first, NULL), ERROR_INVALID_PARAMETER);
    CHECK_EQ(supported, 0xdeadbeef);
    CHECK_EQ(first, 0xdeadbeef);
    CHECK_EQ(target, 0xdeadbeef);
    /* The body of the 401 can still be read after the query, and the query repeats. */
    CHECK_OK(WinHttpQueryAuthSchemes(req, &supported, &first, &target));
    {
        char buf[64];
        DWORD got = 0, total = 0;
        while (WinHttpReadData(req, buf, sizeof buf, &got) && got)
            total += got;
        CHECK_EQ(total, 12);
    }
    CHECK_OK(WinHttpQueryAuthSchemes(req, &supported, &first, &target));
    CHECK_EQ(supported, ALL_SCHEMES);
    WinHttpCloseHandle(req);

    /* Handles: NULL, stale (closed), a session, a connection. */
    CHECK_FAILS(WinHttpQueryAuthSchemes(NULL, &supported, &first, &target), ERROR_INVALID_HANDLE);
    CHECK_FAILS(WinHttpQueryAuthSchemes(req, &supported, &first, &target), ERROR_INVALID_HANDLE);
    CHECK_FAILS(WinHttpQueryAuthSchemes(ses, &supported, &first, &target), ERROR_WINHTTP_INCORRECT_HANDLE_TYPE);
    CHECK_FAILS(WinHttpQueryAuthSchemes(con, &supported, &first, &target), ERROR_WINHTTP_INCORRECT_HANDLE_TYPE);
    CHECK_EQ(supported, ALL_SCHEMES);
}

/* Async: the query is made from the status callback when the headers are available. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
static int done, closed;
static BOOL async_ok;
static DWORD async_error, async_supported, async_first, async_target;

static void CALLBACK callback(HINTERNET h, DWORD_PTR ctx, DWORD status, LPVOID info, DWORD len)
{
    (void)ctx;
    (void)info;
    (void)len;
    switch (status) {
    case WINHTTP_CALLBACK_STATUS_SENDREQUEST_COMPLETE:
        if (!WinHttpReceiveResponse(h, NULL)) {
            pthread_mutex_lock(&lock);
            async_error = GetLastError();
            done = 1;
            pthread_cond_broadcast(&changed);
            pthread_mutex_unlock(&lock);
        }
        break;
    case WINHTTP_CALLBACK_STATUS_HEADERS_AVAILABLE: {
        DWORD s = 0, f = 0, t = 0;
        BOOL ok = WinHttpQueryAuthSchemes(h, &s, &f, &t);
        DWORD e = ok ? 0 : GetLastError();
        pthread_mutex_lock(&lock);
        async_ok = ok;
        async_error = e;
        async_supported = s;
        async_first = f;
        async_target = t;
        done = 1;
        pthread_cond_broadcast(&changed);
        pthread_mutex_unlock(&lock);
        break;
    }
    case WINHTTP_CALLBACK_STATUS_REQUEST_ERROR:
        pthread_mutex_lock(&lock);
        async_error = ((WINHTTP_ASYNC_RESULT *)info)->dwError;
        done = 1;
        pthread_cond_broadcast(&changed);
        pthread_mutex_unlock(&lock);
        break;
    case WINHTTP_CALLBACK_STATUS_HANDLE_CLOSING:
        pthread_mutex_lock(&lock);
        closed++;
        pthread_cond_broadcast(&changed);
        pthread_mutex_unlock(&lock);
        break;
    default:
        break;
    }
}

static int wait_for(const int *flag, int want, int ms)
{
    struct timespec until;
    int ok;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += ms / 1000;
    pthread_mutex_lock(&lock);
    while (*flag < want && pthread_cond_timedwait(&changed, &lock, &until) == 0) {
    }
    ok = *flag >= want;
    pthread_mutex_unlock(&lock);
    return ok;
}

static void async_case(HINTERNET con, const WCHAR *path, BOOL want_ok, DWORD want_error, DWORD want_supported,
                       DWORD want_first, DWORD want_target)
{
    HINTERNET req = open_request(con, path);
    int closed_before;
    CHECK(req != NULL);
    pthread_mutex_lock(&lock);
    done = 0;
    async_ok = FALSE;
    async_error = 0xdeadbeef;
    closed_before = closed;
    pthread_mutex_unlock(&lock);
    CHECK(WinHttpSendRequest(req, WINHTTP_NO_ADDITIONAL_HEADERS, 0, WINHTTP_NO_REQUEST_DATA, 0, 0, 0));
    CHECK(wait_for(&done, 1, 10000));
    CHECK_EQ(async_ok, want_ok);
    CHECK_EQ(async_error, want_error);
    if (want_ok) {
        CHECK_EQ(async_supported, want_supported);
        CHECK_EQ(async_first, want_first);
        CHECK_EQ(async_target, want_target);
    }
    WinHttpCloseHandle(req);
    CHECK(wait_for(&closed, closed_before + 1, 10000));
}

static void test_async(void)
{
    HINTERNET ses = WinHttpOpen(L"winhttp-test/1.0", WINHTTP_ACCESS_TYPE_NO_PROXY, WINHTTP_NO_PROXY_NAME,
                                WINHTTP_NO_PROXY_BYPASS, WINHTTP_FLAG_ASYNC);
    HINTERNET con;
    CHECK(ses != NULL);
    WinHttpSetTimeouts(ses, 10000, 10000, 10000, 10000);
    WinHttpSetStatusCallback(ses, callback, WINHTTP_CALLBACK_FLAG_ALL_NOTIFICATIONS, 0);
    con = WinHttpConnect(ses, L"127.0.0.1", port, 0);
    CHECK(con != NULL);
    async_case(con, L"/auth/401", TRUE, 0, ALL_SCHEMES, WINHTTP_AUTH_SCHEME_NEGOTIATE, WINHTTP_AUTH_TARGET_SERVER);
    async_case(con, L"/auth/407", TRUE, 0, WINHTTP_AUTH_SCHEME_BASIC | WINHTTP_AUTH_SCHEME_NTLM,
               WINHTTP_AUTH_SCHEME_BASIC, WINHTTP_AUTH_TARGET_PROXY);
    async_case(con, L"/hello", FALSE, ERROR_INVALID_OPERATION, 0, 0, 0);
    WinHttpCloseHandle(con);
    WinHttpCloseHandle(ses);
}

int main(void)
{
    HINTERNET ses, con;
    port = (INTERNET_PORT)harness_env_int("WINHTTP_TEST_PORT", 0);
    if (!port) {
        printf("WINHTTP_TEST_PORT not set: run through tests/c_suite.rs\n");
        return 1;
    }
    ses = WinHttpOpen(L"winhttp-test/1.0", WINHTTP_ACCESS_TYPE_NO_PROXY, WINHTTP_NO_PROXY_NAME,
                      WINHTTP_NO_PROXY_BYPASS, 0);
    con = WinHttpConnect(ses, L"127.0.0.1", port, 0);
    CHECK(ses && con);
    test_sync(ses, con);
    WinHttpCloseHandle(con);
    WinHttpCloseHandle(ses);
    test_async();
    return harness_report();
}
