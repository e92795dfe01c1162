/*
 * WinHttpQueryConnectionGroup and WinHttpFreeQueryConnectionGroupResult: the per-host connection
 * counts of the pool, the result's single allocation, the GUID filter, the INSECURE flag and the
 * error paths, against the test server of tests/support (WINHTTP_TEST_PORT: /len/N sends N bytes).
 */
#include <winhttp.h>
#include "harness.h"
#include <stdint.h>

static HINTERNET get(HINTERNET con, const WCHAR *path)
{
    HINTERNET req = WinHttpOpenRequest(con, L"GET", path, NULL, WINHTTP_NO_REFERER, WINHTTP_DEFAULT_ACCEPT_TYPES, 0);
    CHECK(req != NULL);
    if (!req)
        return NULL;
    if (!WinHttpSendRequest(req, WINHTTP_NO_ADDITIONAL_HEADERS, 0, NULL, 0, 0, 0) ||
        !WinHttpReceiveResponse(req, NULL)) {
        printf("  GET failed with %lu\n", (unsigned long)GetLastError());
        CHECK(0);
        WinHttpCloseHandle(req);
        return NULL;
    }
    return req;
}

static void drain(HINTERNET req)
{
    char buf[4096];
    DWORD n = 0;
    while (WinHttpReadData(req, buf, sizeof buf, &n) && n) {
    }
}

/* The connections counted for `h` (flags as given): -1 when the call fails. Checks the result's
 * shape: one host, named `host`, at most one group. */
static long count(HINTERNET h, const GUID *guid, ULONGLONG flags, const WCHAR *host, GUID *group_guid)
{
    PWINHTTP_QUERY_CONNECTION_GROUP_RESULT r = (PWINHTTP_QUERY_CONNECTION_GROUP_RESULT)(uintptr_t)1;
    DWORD err = WinHttpQueryConnectionGroup(h, guid, flags, &r);
    long n = 0;
    if (err != ERROR_SUCCESS) {
        printf("  WinHttpQueryConnectionGroup: %lu\n", (unsigned long)err);
        CHECK(r == NULL);
        return -1;
    }
    CHECK(r != NULL);
    if (!r)
        return -1;
    CHECK_EQ(r->cHosts, 1);
    CHECK(r->pHostConnectionGroups != NULL);
    if (r->cHosts == 1 && r->pHostConnectionGroups) {
        WINHTTP_HOST_CONNECTION_GROUP *hg = &r->pHostConnectionGroups[0];
        CHECK_WSTR(hg->pwszHost, host);
        CHECK(hg->cConnectionGroups <= 1);
        for (ULONG i = 0; i < hg->cConnectionGroups; i++) {
            n += hg->pConnectionGroups[i].cConnections;
            if (group_guid)
                *group_guid = hg->pConnectionGroups[i].guidGroup;
        }
        /* One allocation: every pointer lies inside the block that starts at the result. */
        CHECK((char *)hg > (char *)r && (char *)hg - (char *)r < 256);
        CHECK((char *)hg->pwszHost > (char *)r && (char *)hg->pwszHost - (char *)r < 512);
    }
    WinHttpFreeQueryConnectionGroupResult(r);
    return n;
}

int main(void)
{
    INTERNET_PORT port = (INTERNET_PORT)harness_env_int("WINHTTP_TEST_PORT", 0);
    HINTERNET ses, con, ses2, con_https, req1, req2;
    PWINHTTP_QUERY_CONNECTION_GROUP_RESULT r;
    GUID g, zero, other;
    DWORD size;
    if (!port) {
        printf("WINHTTP_TEST_PORT not set: run through tests/c_suite.rs\n");
        CHECK(port != 0);
        return harness_report();
    }
    memset(&zero, 0, sizeof zero);
    ses = WinHttpOpen(L"groups", WINHTTP_ACCESS_TYPE_NO_PROXY, WINHTTP_NO_PROXY_NAME, WINHTTP_NO_PROXY_BYPASS, 0);
    WinHttpSetTimeouts(ses, 10000, 10000, 10000, 10000);
    con = WinHttpConnect(ses, L"127.0.0.1", port, 0);
    CHECK(ses && con);
#ifdef WINHTTP_OPTION_PORTABLE_CLOSE_IDLE_CONNECTIONS
    WinHttpSetOption(NULL, WINHTTP_OPTION_PORTABLE_CLOSE_IDLE_CONNECTIONS, NULL, 0);
#endif

    /* Error paths. */
    CHECK_EQ(WinHttpQueryConnectionGroup(con, NULL, WINHTTP_QUERY_CONNECTION_GROUP_FLAG_INSECURE, NULL),
             ERROR_INVALID_PARAMETER);
    r = (PWINHTTP_QUERY_CONNECTION_GROUP_RESULT)(uintptr_t)1;
    CHECK_EQ(WinHttpQueryConnectionGroup(con, NULL, 0x2, &r), ERROR_INVALID_PARAMETER);
    CHECK(r == NULL);
    CHECK_EQ(WinHttpQueryConnectionGroup(ses, NULL, 0, &r), ERROR_WINHTTP_INCORRECT_HANDLE_TYPE);
    CHECK_EQ(WinHttpQueryConnectionGroup(NULL, NULL, 0, &r), ERROR_INVALID_HANDLE);
    CHECK_EQ(WinHttpQueryConnectionGroup((HINTERNET)(uintptr_t)0xdeadbeef, NULL, 0, &r), ERROR_INVALID_HANDLE);
    WinHttpFreeQueryConnectionGroupResult(NULL);

    /* Nothing open yet: the host, no group. */
    CHECK_EQ(count(con, NULL, WINHTTP_QUERY_CONNECTION_GROUP_FLAG_INSECURE, L"127.0.0.1", NULL), 0);

    /* Two requests in flight hold two connections; a connect handle counts them only as plain
     * HTTP (INSECURE), a request handle by its own scheme. */
    req1 = get(con, L"/len/100");
    req2 = get(con, L"/len/100");
    CHECK(req1 && req2);
    CHECK_EQ(count(con, NULL, WINHTTP_QUERY_CONNECTION_GROUP_FLAG_INSECURE, L"127.0.0.1", &g), 2);
    CHECK(memcmp(&g, &zero, sizeof g) == 0);
    CHECK_EQ(count(con, NULL, 0, L"127.0.0.1", NULL), 0);
    CHECK_EQ(count(req1, NULL, 0, L"127.0.0.1", NULL), 2);

    /* The GUID filter: the connection of req1, then one that does not exist. */
    size = sizeof g;
    CHECK_OK(WinHttpQueryOption(req1, WINHTTP_OPTION_CONNECTION_GUID, &g, &size));
    memset(&other, 0, sizeof other);
    CHECK_EQ(count(req2, &g, 0, L"127.0.0.1", &other), 1);
    CHECK(memcmp(&other, &g, sizeof g) == 0);
    other = g;
    other.Data1 ^= 0x5a5a5a5a;
    CHECK_EQ(count(req2, &other, 0, L"127.0.0.1", NULL), 0);

    /* Done with: both go back to the pool, still counted (idle); closed, not counted. */
    drain(req1);
    drain(req2);
    WinHttpCloseHandle(req1);
    WinHttpCloseHandle(req2);
    CHECK_EQ(count(con, NULL, WINHTTP_QUERY_CONNECTION_GROUP_FLAG_INSECURE, L"127.0.0.1", NULL), 2);
    CHECK_EQ(count(con, &g, WINHTTP_QUERY_CONNECTION_GROUP_FLAG_INSECURE, L"127.0.0.1", NULL), 1);
#ifdef WINHTTP_OPTION_PORTABLE_CLOSE_IDLE_CONNECTIONS
    WinHttpSetOption(NULL, WINHTTP_OPTION_PORTABLE_CLOSE_IDLE_CONNECTIONS, NULL, 0);
    CHECK_EQ(count(con, NULL, WINHTTP_QUERY_CONNECTION_GROUP_FLAG_INSECURE, L"127.0.0.1", NULL), 0);
    CHECK_EQ(count(con, &g, WINHTTP_QUERY_CONNECTION_GROUP_FLAG_INSECURE, L"127.0.0.1", NULL), 0);
#endif

    /* The pool is process-wide: another session's connect handle to the host sees the same. */
    req1 = get(con, L"/len/10");
    ses2 = WinHttpOpen(L"groups2", WINHTTP_ACCESS_TYPE_NO_PROXY, WINHTTP_NO_PROXY_NAME, WINHTTP_NO_PROXY_BYPASS, 0);
    con_https = WinHttpConnect(ses2, L"127.0.0.1", port, 0);
    CHECK_EQ(count(con_https, NULL, WINHTTP_QUERY_CONNECTION_GROUP_FLAG_INSECURE, L"127.0.0.1", NULL), 1);
    /* Another port is another origin. */
    WinHttpCloseHandle(con_https);
    con_https = WinHttpConnect(ses2, L"127.0.0.1", (INTERNET_PORT)(port + 1), 0);
    CHECK_EQ(count(con_https, NULL, WINHTTP_QUERY_CONNECTION_GROUP_FLAG_INSECURE, L"127.0.0.1", NULL), 0);
    if (req1) {
        drain(req1);
        WinHttpCloseHandle(req1);
    }
    WinHttpCloseHandle(con_https);
    WinHttpCloseHandle(ses2);
    WinHttpCloseHandle(con);
    WinHttpCloseHandle(ses);
    return harness_report();
}
