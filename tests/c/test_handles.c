/*
 * Handles, last error and the status callback's handle notifications: WinHttpCheckPlatform,
 * WinHttpOpen, WinHttpConnect, WinHttpOpenRequest, WinHttpCloseHandle, WinHttpSetTimeouts,
 * WinHttpSetStatusCallback. No network is needed.
 */
#include <winhttp.h>
#include "harness.h"

#define MAX_EVENTS 64
static struct {
    HINTERNET handle;
    DWORD_PTR context;
    DWORD status;
    HINTERNET info_handle;
} events[MAX_EVENTS];
static int n_events;

static void CALLBACK record(HINTERNET h, DWORD_PTR ctx, DWORD status, LPVOID info, DWORD len)
{
    if (n_events < MAX_EVENTS) {
        events[n_events].handle = h;
        events[n_events].context = ctx;
        events[n_events].status = status;
        events[n_events].info_handle = (info && len == sizeof(HINTERNET)) ? *(HINTERNET *)info : NULL;
        n_events++;
    }
}

static void test_platform_and_last_error(void)
{
    SetLastError(0xdeadbeef);
    CHECK(WinHttpCheckPlatform());
    CHECK_EQ(GetLastError(), ERROR_SUCCESS);
    SetLastError(1234);
    CHECK_EQ(GetLastError(), 1234);
}

static void test_open(void)
{
    HINTERNET ses;

    SetLastError(0xdeadbeef);
    CHECK_FAILS(WinHttpOpen(L"test", 2, NULL, NULL, 0), ERROR_INVALID_PARAMETER);
    CHECK_FAILS(WinHttpOpen(L"test", 5, NULL, NULL, 0), ERROR_INVALID_PARAMETER);

    SetLastError(0xdeadbeef);
    CHECK_OK(ses = WinHttpOpen(L"winetest", WINHTTP_ACCESS_TYPE_DEFAULT_PROXY, WINHTTP_NO_PROXY_NAME,
                               WINHTTP_NO_PROXY_BYPASS, 0));
    SetLastError(0xdeadbeef);
    CHECK_OK(WinHttpCloseHandle(ses));

    /* NULL agent and every access type are fine. */
    CHECK_OK(ses = WinHttpOpen(NULL, WINHTTP_ACCESS_TYPE_NO_PROXY, NULL, NULL, 0));
    CHECK_OK(WinHttpCloseHandle(ses));
    CHECK_OK(ses = WinHttpOpen(L"a", WINHTTP_ACCESS_TYPE_NAMED_PROXY, L"proxy:8080", L"<local>", 0));
    CHECK_OK(WinHttpCloseHandle(ses));
    CHECK_OK(ses = WinHttpOpen(L"a", WINHTTP_ACCESS_TYPE_AUTOMATIC_PROXY, NULL, NULL, WINHTTP_FLAG_ASYNC));
    CHECK_OK(WinHttpCloseHandle(ses));
}

static void test_handle_validity(void)
{
    HINTERNET ses, con, req, ses2;
    HINTERNET bogus = (HINTERNET)(DWORD_PTR)0xdeadbeef;
    DWORD type, size;

    ses = WinHttpOpen(L"test", WINHTTP_ACCESS_TYPE_NO_PROXY, NULL, NULL, 0);
    CHECK(ses != NULL);

    /* Argument checks come before the handle checks. */
    SetLastError(0xdeadbeef);
    CHECK_FAILS(WinHttpConnect(ses, NULL, INTERNET_DEFAULT_HTTP_PORT, 0), ERROR_INVALID_PARAMETER);
    CHECK_FAILS(WinHttpConnect(NULL, NULL, 80, 0), ERROR_INVALID_PARAMETER);
    CHECK_FAILS(WinHttpConnect(NULL, L"localhost", 80, 0), ERROR_INVALID_HANDLE);
    CHECK_FAILS(WinHttpConnect(bogus, L"localhost", 80, 0), ERROR_INVALID_HANDLE);

    SetLastError(0xdeadbeef);
    CHECK_OK(con = WinHttpConnect(ses, L"localhost", INTERNET_DEFAULT_HTTP_PORT, 0));
    CHECK_FAILS(WinHttpConnect(con, L"localhost", 80, 0), ERROR_WINHTTP_INCORRECT_HANDLE_TYPE);

    CHECK_FAILS(WinHttpOpenRequest(NULL, NULL, NULL, NULL, NULL, NULL, 0), ERROR_INVALID_HANDLE);
    CHECK_FAILS(WinHttpOpenRequest(bogus, NULL, NULL, NULL, NULL, NULL, 0), ERROR_INVALID_HANDLE);
    CHECK_FAILS(WinHttpOpenRequest(ses, NULL, NULL, NULL, NULL, NULL, 0), ERROR_WINHTTP_INCORRECT_HANDLE_TYPE);
    SetLastError(0xdeadbeef);
    CHECK_OK(req = WinHttpOpenRequest(con, NULL, NULL, NULL, WINHTTP_NO_REFERER, WINHTTP_DEFAULT_ACCEPT_TYPES, 0));
    CHECK_FAILS(WinHttpOpenRequest(req, NULL, NULL, NULL, NULL, NULL, 0), ERROR_WINHTTP_INCORRECT_HANDLE_TYPE);
    CHECK_FAILS(WinHttpConnect(req, L"localhost", 80, 0), ERROR_WINHTTP_INCORRECT_HANDLE_TYPE);

    /* Handle types. */
    size = sizeof(type);
    CHECK(WinHttpQueryOption(ses, WINHTTP_OPTION_HANDLE_TYPE, &type, &size));
    CHECK_EQ(type, WINHTTP_HANDLE_TYPE_SESSION);
    CHECK(WinHttpQueryOption(con, WINHTTP_OPTION_HANDLE_TYPE, &type, &size));
    CHECK_EQ(type, WINHTTP_HANDLE_TYPE_CONNECT);
    CHECK(WinHttpQueryOption(req, WINHTTP_OPTION_HANDLE_TYPE, &type, &size));
    CHECK_EQ(type, WINHTTP_HANDLE_TYPE_REQUEST);

    /* NULL, made-up and closed handles. */
    CHECK_FAILS(WinHttpCloseHandle(NULL), ERROR_INVALID_HANDLE);
    CHECK_FAILS(WinHttpCloseHandle(bogus), ERROR_INVALID_HANDLE);
    CHECK_FAILS(WinHttpCloseHandle((HINTERNET)(DWORD_PTR)1), ERROR_INVALID_HANDLE);
    CHECK_FAILS(WinHttpCloseHandle((HINTERNET)(DWORD_PTR)~(DWORD_PTR)0), ERROR_INVALID_HANDLE);

    /* Children keep their parents alive: the request outlives closing the session and connection. */
    SetLastError(0xdeadbeef);
    CHECK_OK(WinHttpCloseHandle(ses));
    CHECK_OK(WinHttpCloseHandle(con));
    type = 0xdeadbeef;
    size = sizeof(type);
    CHECK(WinHttpQueryOption(req, WINHTTP_OPTION_HANDLE_TYPE, &type, &size));
    CHECK_EQ(type, WINHTTP_HANDLE_TYPE_REQUEST);

    /* A closed handle is invalid from then on, and its out parameters are left alone. */
    type = 0xdeadbeef;
    size = sizeof(type);
    CHECK_FAILS(WinHttpQueryOption(ses, WINHTTP_OPTION_HANDLE_TYPE, &type, &size), ERROR_INVALID_HANDLE);
    CHECK_EQ(type, 0xdeadbeef);
    CHECK_EQ(size, sizeof(type));
    CHECK_FAILS(WinHttpCloseHandle(ses), ERROR_INVALID_HANDLE);
    CHECK_FAILS(WinHttpConnect(ses, L"localhost", 80, 0), ERROR_INVALID_HANDLE);
    CHECK_FAILS(WinHttpOpenRequest(con, NULL, NULL, NULL, NULL, NULL, 0), ERROR_INVALID_HANDLE);
    CHECK_OK(WinHttpCloseHandle(req));
    CHECK_FAILS(WinHttpCloseHandle(req), ERROR_INVALID_HANDLE);

    /* A new handle never revives an old value, even when it reuses the slot. */
    ses2 = WinHttpOpen(L"test", WINHTTP_ACCESS_TYPE_NO_PROXY, NULL, NULL, 0);
    CHECK(ses2 != NULL);
    CHECK(ses2 != ses && ses2 != con && ses2 != req);
    CHECK_FAILS(WinHttpConnect(ses, L"localhost", 80, 0), ERROR_INVALID_HANDLE);
    CHECK_FAILS(WinHttpQueryOption(req, WINHTTP_OPTION_HANDLE_TYPE, &type, &size), ERROR_INVALID_HANDLE);
    CHECK_OK(WinHttpCloseHandle(ses2));
}

static void test_open_request_defaults(void)
{
    HINTERNET ses, con, req;
    WCHAR url[256];
    DWORD size;
    LPCWSTR types[] = {L"text/html", L"image/*", NULL};

    ses = WinHttpOpen(L"test", WINHTTP_ACCESS_TYPE_NO_PROXY, NULL, NULL, 0);
    con = WinHttpConnect(ses, L"localhost", INTERNET_DEFAULT_PORT, 0);
    CHECK(con != NULL);

    req = WinHttpOpenRequest(con, NULL, NULL, NULL, NULL, NULL, 0);
    CHECK(req != NULL);
    size = sizeof(url);
    CHECK(WinHttpQueryOption(req, WINHTTP_OPTION_URL, url, &size));
    CHECK_WSTR(url, L"http://localhost/");
    CHECK_EQ(size, harness_wcslen(L"http://localhost/") * sizeof(WCHAR));
    WinHttpCloseHandle(req);

    req = WinHttpOpenRequest(con, L"", L"", L"", NULL, types, WINHTTP_FLAG_SECURE);
    CHECK(req != NULL);
    size = sizeof(url);
    CHECK(WinHttpQueryOption(req, WINHTTP_OPTION_URL, url, &size));
    CHECK_WSTR(url, L"https://localhost/");
    WinHttpCloseHandle(req);
    WinHttpCloseHandle(con);

    con = WinHttpConnect(ses, L"127.0.0.1", 8080, 0);
    req = WinHttpOpenRequest(con, L"PUT", L"/upload/file.txt?x=1", L"HTTP/1.0", NULL, NULL, 0);
    CHECK(req != NULL);
    size = sizeof(url);
    CHECK(WinHttpQueryOption(req, WINHTTP_OPTION_URL, url, &size));
    CHECK_WSTR(url, L"http://127.0.0.1:8080/upload/file.txt?x=1");
    WinHttpCloseHandle(req);
    WinHttpCloseHandle(con);
    WinHttpCloseHandle(ses);
}

static void test_timeouts(void)
{
    HINTERNET ses, con, req;
    DWORD value, size;

    ses = WinHttpOpen(L"test", WINHTTP_ACCESS_TYPE_NO_PROXY, NULL, NULL, 0);
    con = WinHttpConnect(ses, L"localhost", 80, 0);
    req = WinHttpOpenRequest(con, NULL, NULL, NULL, NULL, NULL, 0);
    CHECK(req != NULL);

    /* Windows' defaults. */
    size = sizeof(value);
    CHECK(WinHttpQueryOption(ses, WINHTTP_OPTION_RESOLVE_TIMEOUT, &value, &size));
    CHECK_EQ(value, 0);
    CHECK(WinHttpQueryOption(ses, WINHTTP_OPTION_CONNECT_TIMEOUT, &value, &size));
    CHECK_EQ(value, 60000);
    CHECK(WinHttpQueryOption(ses, WINHTTP_OPTION_SEND_TIMEOUT, &value, &size));
    CHECK_EQ(value, 30000);
    CHECK(WinHttpQueryOption(ses, WINHTTP_OPTION_RECEIVE_TIMEOUT, &value, &size));
    CHECK_EQ(value, 30000);
    CHECK(WinHttpQueryOption(ses, WINHTTP_OPTION_RECEIVE_RESPONSE_TIMEOUT, &value, &size));
    CHECK_EQ(value, ~0u);
    CHECK(WinHttpQueryOption(req, WINHTTP_OPTION_RECEIVE_RESPONSE_TIMEOUT, &value, &size));
    CHECK_EQ(value, ~0u);

    /* Values below -1 are invalid, whatever the handle; argument checks come first. */
    CHECK_FAILS(WinHttpSetTimeouts(ses, -2, 0, 0, 0), ERROR_INVALID_PARAMETER);
    CHECK_FAILS(WinHttpSetTimeouts(ses, 0, -2, 0, 0), ERROR_INVALID_PARAMETER);
    CHECK_FAILS(WinHttpSetTimeouts(ses, 0, 0, -2, 0), ERROR_INVALID_PARAMETER);
    CHECK_FAILS(WinHttpSetTimeouts(ses, 0, 0, 0, -2), ERROR_INVALID_PARAMETER);
    CHECK_FAILS(WinHttpSetTimeouts(con, -2, 0, 0, 0), ERROR_INVALID_PARAMETER);
    CHECK_FAILS(WinHttpSetTimeouts(NULL, 0, 0, 0, 0), ERROR_INVALID_HANDLE);
    CHECK_FAILS(WinHttpSetTimeouts(con, 0, 0, 0, 0), ERROR_WINHTTP_INCORRECT_HANDLE_TYPE);
    CHECK_FAILS(WinHttpSetTimeouts(con, -1, -1, -1, -1), ERROR_WINHTTP_INCORRECT_HANDLE_TYPE);

    SetLastError(0xdeadbeef);
    CHECK_OK(WinHttpSetTimeouts(ses, -1, -1, -1, -1));
    CHECK(WinHttpQueryOption(ses, WINHTTP_OPTION_CONNECT_TIMEOUT, &value, &size));
    CHECK_EQ(value, 0xffffffff);
    SetLastError(0xdeadbeef);
    CHECK_OK(WinHttpSetTimeouts(ses, 1000, 2000, 3000, 4000));
    CHECK(WinHttpQueryOption(ses, WINHTTP_OPTION_RESOLVE_TIMEOUT, &value, &size));
    CHECK_EQ(value, 1000);
    CHECK(WinHttpQueryOption(ses, WINHTTP_OPTION_CONNECT_TIMEOUT, &value, &size));
    CHECK_EQ(value, 2000);
    CHECK(WinHttpQueryOption(ses, WINHTTP_OPTION_SEND_TIMEOUT, &value, &size));
    CHECK_EQ(value, 3000);
    CHECK(WinHttpQueryOption(ses, WINHTTP_OPTION_RECEIVE_TIMEOUT, &value, &size));
    CHECK_EQ(value, 4000);

    /* A connect handle shows the session's values live; setting them there is refused. */
    CHECK(WinHttpQueryOption(con, WINHTTP_OPTION_SEND_TIMEOUT, &value, &size));
    CHECK_EQ(value, 3000);
    value = 0xbeefdead;
    CHECK(WinHttpSetOption(ses, WINHTTP_OPTION_SEND_TIMEOUT, &value, sizeof(value)));
    value = 0;
    CHECK(WinHttpQueryOption(con, WINHTTP_OPTION_SEND_TIMEOUT, &value, &size));
    CHECK_EQ(value, 0xbeefdead);
    value = 5;
    CHECK_FAILS(WinHttpSetOption(con, WINHTTP_OPTION_SEND_TIMEOUT, &value, sizeof(value)),
                ERROR_WINHTTP_INCORRECT_HANDLE_TYPE);
    CHECK_FAILS(WinHttpSetOption(con, WINHTTP_OPTION_RECEIVE_RESPONSE_TIMEOUT, &value, sizeof(value)),
                ERROR_WINHTTP_INCORRECT_HANDLE_TYPE);

    /* A request copied the session's values when it was created, and is independent after. */
    CHECK(WinHttpQueryOption(req, WINHTTP_OPTION_CONNECT_TIMEOUT, &value, &size));
    CHECK_EQ(value, 60000);
    CHECK_OK(WinHttpSetTimeouts(req, 10, 20, 30, 40));
    CHECK(WinHttpQueryOption(req, WINHTTP_OPTION_RECEIVE_TIMEOUT, &value, &size));
    CHECK_EQ(value, 40);
    CHECK(WinHttpQueryOption(ses, WINHTTP_OPTION_RECEIVE_TIMEOUT, &value, &size));
    CHECK_EQ(value, 4000);
    value = 0;
    CHECK(WinHttpSetOption(req, WINHTTP_OPTION_RESOLVE_TIMEOUT, &value, sizeof(value)));
    CHECK(WinHttpQueryOption(req, WINHTTP_OPTION_RESOLVE_TIMEOUT, &value, &size));
    CHECK_EQ(value, 0);
    value = 48880;
    CHECK(WinHttpSetOption(ses, WINHTTP_OPTION_RECEIVE_RESPONSE_TIMEOUT, &value, sizeof(value)));
    value = 0;
    CHECK(WinHttpQueryOption(ses, WINHTTP_OPTION_RECEIVE_RESPONSE_TIMEOUT, &value, &size));
    CHECK_EQ(value, 48880);

    WinHttpCloseHandle(req);
    WinHttpCloseHandle(con);
    WinHttpCloseHandle(ses);
}

static void test_callback_handle_notifications(void)
{
    HINTERNET ses, con, req;
    WINHTTP_STATUS_CALLBACK old;
    DWORD_PTR ctx;

    ses = WinHttpOpen(L"test", WINHTTP_ACCESS_TYPE_NO_PROXY, NULL, NULL, 0);

    SetLastError(0xdeadbeef);
    old = WinHttpSetStatusCallback(NULL, record, WINHTTP_CALLBACK_FLAG_ALL_NOTIFICATIONS, 0);
    CHECK(old == WINHTTP_INVALID_STATUS_CALLBACK);
    CHECK_EQ(GetLastError(), ERROR_INVALID_HANDLE);

    SetLastError(0xdeadbeef);
    old = WinHttpSetStatusCallback(ses, record, WINHTTP_CALLBACK_FLAG_ALL_NOTIFICATIONS, 0);
    CHECK(old == NULL);
    CHECK_EQ(GetLastError(), ERROR_SUCCESS);
    old = WinHttpSetStatusCallback(ses, record, WINHTTP_CALLBACK_FLAG_ALL_NOTIFICATIONS, 0);
    CHECK(old == record);

    ctx = 0x1111;
    CHECK(WinHttpSetOption(ses, WINHTTP_OPTION_CONTEXT_VALUE, &ctx, sizeof(ctx)));

    n_events = 0;
    con = WinHttpConnect(ses, L"localhost", 80, 0);
    CHECK(con != NULL);
    CHECK_EQ(n_events, 1);
    CHECK_EQ(events[0].status, WINHTTP_CALLBACK_STATUS_HANDLE_CREATED);
    CHECK(events[0].handle == con);
    CHECK(events[0].info_handle == con);
    CHECK_EQ(events[0].context, 0x1111); /* the parent's context */

    ctx = 0x2222;
    CHECK(WinHttpSetOption(con, WINHTTP_OPTION_CONTEXT_VALUE, &ctx, sizeof(ctx)));
    n_events = 0;
    req = WinHttpOpenRequest(con, NULL, NULL, NULL, NULL, NULL, 0);
    CHECK(req != NULL);
    CHECK_EQ(n_events, 1);
    CHECK_EQ(events[0].status, WINHTTP_CALLBACK_STATUS_HANDLE_CREATED);
    CHECK(events[0].handle == req);
    CHECK_EQ(events[0].context, 0x2222);

    ctx = 0x3333;
    CHECK(WinHttpSetOption(req, WINHTTP_OPTION_CONTEXT_VALUE, &ctx, sizeof(ctx)));

    /* HANDLE_CLOSING, in the order the handles are closed, each with its own context. */
    n_events = 0;
    CHECK(WinHttpCloseHandle(req));
    CHECK(WinHttpCloseHandle(con));
    CHECK(WinHttpCloseHandle(ses));
    CHECK_EQ(n_events, 3);
    CHECK_EQ(events[0].status, WINHTTP_CALLBACK_STATUS_HANDLE_CLOSING);
    CHECK(events[0].handle == req);
    CHECK(events[0].info_handle == req);
    CHECK_EQ(events[0].context, 0x3333);
    CHECK_EQ(events[1].status, WINHTTP_CALLBACK_STATUS_HANDLE_CLOSING);
    CHECK(events[1].handle == con);
    CHECK_EQ(events[1].context, 0x2222);
    CHECK_EQ(events[2].status, WINHTTP_CALLBACK_STATUS_HANDLE_CLOSING);
    CHECK(events[2].handle == ses);
    CHECK_EQ(events[2].context, 0x1111);

    /* Closing again gives no second HANDLE_CLOSING. */
    n_events = 0;
    CHECK_FAILS(WinHttpCloseHandle(req), ERROR_INVALID_HANDLE);
    CHECK_EQ(n_events, 0);

    /* A callback that did not ask for handle notifications gets none; NULL removes it. */
    ses = WinHttpOpen(L"test", WINHTTP_ACCESS_TYPE_NO_PROXY, NULL, NULL, 0);
    WinHttpSetStatusCallback(ses, record, WINHTTP_CALLBACK_FLAG_REQUEST_ERROR, 0);
    n_events = 0;
    con = WinHttpConnect(ses, L"localhost", 80, 0);
    WinHttpCloseHandle(con);
    CHECK_EQ(n_events, 0);
    old = WinHttpSetStatusCallback(ses, NULL, 0, 0);
    CHECK(old == record);
    n_events = 0;
    WinHttpCloseHandle(ses);
    CHECK_EQ(n_events, 0);
}

int main(void)
{
    test_platform_and_last_error();
    test_open();
    test_handle_validity();
    test_open_request_defaults();
    test_timeouts();
    test_callback_handle_notifications();
    return harness_report();
}
