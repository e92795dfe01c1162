/*
 * The consumer project of tests/install.rs: a program that knows libwinhttp only as an installed package
 * (pkg-config or CMake). It cracks a URL, opens and closes a session and, given a port, GETs /hello from
 * the test HTTP server on 127.0.0.1.
 *
 *   consumer [PORT]      prints "consumer: N passed, M failed"; exit status 0 only if nothing failed
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include <winhttp.h>

static int passed, failed;

static void check(int ok, const char *what)
{
    if (ok) {
        passed++;
    } else {
        failed++;
        printf("FAIL: %s (last error %lu)\n", what, (unsigned long)GetLastError());
    }
}

static void get_hello(INTERNET_PORT port)
{
    HINTERNET session, connect = NULL, request = NULL;
    DWORD status = 0, size = sizeof(status), read = 0;
    char body[256];

    session = WinHttpOpen(L"consumer/1.0", WINHTTP_ACCESS_TYPE_NO_PROXY, WINHTTP_NO_PROXY_NAME,
                          WINHTTP_NO_PROXY_BYPASS, 0);
    check(session != NULL, "WinHttpOpen for the GET");
    if (session)
        connect = WinHttpConnect(session, L"127.0.0.1", port, 0);
    check(connect != NULL, "WinHttpConnect");
    if (connect)
        request = WinHttpOpenRequest(connect, L"GET", L"/hello", NULL, WINHTTP_NO_REFERER,
                                     WINHTTP_DEFAULT_ACCEPT_TYPES, 0);
    check(request != NULL, "WinHttpOpenRequest");
    if (request) {
        check(WinHttpSendRequest(request, WINHTTP_NO_ADDITIONAL_HEADERS, 0, WINHTTP_NO_REQUEST_DATA, 0, 0, 0),
              "WinHttpSendRequest");
        check(WinHttpReceiveResponse(request, NULL), "WinHttpReceiveResponse");
        check(WinHttpQueryHeaders(request, WINHTTP_QUERY_STATUS_CODE | WINHTTP_QUERY_FLAG_NUMBER,
                                  WINHTTP_HEADER_NAME_BY_INDEX, &status, &size, WINHTTP_NO_HEADER_INDEX),
              "WinHttpQueryHeaders(STATUS_CODE)");
        check(status == 200, "status 200");
        memset(body, 0, sizeof(body));
        check(WinHttpReadData(request, body, sizeof(body) - 1, &read), "WinHttpReadData");
        check(read > 0 && strstr(body, "Hello, world!") != NULL, "the body of /hello");
        WinHttpCloseHandle(request);
    }
    if (connect)
        WinHttpCloseHandle(connect);
    if (session)
        WinHttpCloseHandle(session);
}

int main(int argc, char **argv)
{
    WCHAR host[64], path[64];
    URL_COMPONENTS uc;
    HINTERNET session;

    memset(&uc, 0, sizeof(uc));
    uc.dwStructSize = sizeof(uc);
    uc.lpszHostName = host;
    uc.dwHostNameLength = 64;
    uc.lpszUrlPath = path;
    uc.dwUrlPathLength = 64;
    check(WinHttpCrackUrl(L"https://example.org:8443/a/b", 0, 0, &uc), "WinHttpCrackUrl");
    check(uc.nScheme == INTERNET_SCHEME_HTTPS && uc.nPort == 8443, "scheme and port");
    check(wcscmp(host, L"example.org") == 0 && wcscmp(path, L"/a/b") == 0, "host and path");

    session = WinHttpOpen(L"consumer/1.0", WINHTTP_ACCESS_TYPE_NO_PROXY, WINHTTP_NO_PROXY_NAME,
                          WINHTTP_NO_PROXY_BYPASS, 0);
    check(session != NULL, "WinHttpOpen");
    check(session && WinHttpCloseHandle(session), "WinHttpCloseHandle");
    check(!WinHttpCloseHandle(session) && GetLastError() == ERROR_INVALID_HANDLE, "a closed handle is invalid");

    if (argc > 1)
        get_hello((INTERNET_PORT)atoi(argv[1]));
    printf("consumer: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
