/*
 * The credential options next to WinHttpSetCredentials, as Windows has them (Wine's winhttp tests,
 * where Wine itself is marked todo): WINHTTP_OPTION_USERNAME/PASSWORD/PROXY_USERNAME/PROXY_PASSWORD
 * start empty (the query succeeds with a size of 0), are set with a length in characters and
 * queried back in bytes, each on its own; WinHttpSetCredentials refuses a missing user name or
 * password with ERROR_INVALID_PARAMETER, and credentials given through it are not the options:
 * queried afterwards, USERNAME and PASSWORD are still empty (Wine's tests show it for the server
 * target; the proxy pair is checked by the same rule).
 */
#include <winhttp.h>
#include "harness.h"
#include <stdio.h>
#include <string.h>
#include <wchar.h>

static void check_option(HINTERNET req, DWORD option, const WCHAR *expected)
{
    WCHAR buffer[32];
    DWORD size = sizeof buffer;
    memset(buffer, 0x55, sizeof buffer);
    CHECK_OK(WinHttpQueryOption(req, option, buffer, &size));
    CHECK_EQ(size, (DWORD)(harness_wcslen(expected) * sizeof(WCHAR)));
    CHECK(harness_wcscmp(buffer, expected) == 0);
}

int main(void)
{
    HINTERNET ses, con, req;
    ses = WinHttpOpen(L"winhttp-test/1.0", WINHTTP_ACCESS_TYPE_NO_PROXY, WINHTTP_NO_PROXY_NAME,
                      WINHTTP_NO_PROXY_BYPASS, 0);
    con = WinHttpConnect(ses, L"localhost", 0, 0);
    req = WinHttpOpenRequest(con, NULL, NULL, NULL, NULL, NULL, 0);
    CHECK(ses && con && req);

    check_option(req, WINHTTP_OPTION_PROXY_USERNAME, L"");
    check_option(req, WINHTTP_OPTION_PROXY_PASSWORD, L"");
    CHECK_OK(WinHttpSetOption(req, WINHTTP_OPTION_PROXY_USERNAME, (LPVOID)L"proxyuser", 9));
    check_option(req, WINHTTP_OPTION_PROXY_USERNAME, L"proxyuser");
    check_option(req, WINHTTP_OPTION_USERNAME, L"");
    check_option(req, WINHTTP_OPTION_PASSWORD, L"");
    CHECK_OK(WinHttpSetOption(req, WINHTTP_OPTION_PROXY_PASSWORD, (LPVOID)L"proxypass", 9));
    check_option(req, WINHTTP_OPTION_PROXY_PASSWORD, L"proxypass");
    CHECK_OK(WinHttpSetOption(req, WINHTTP_OPTION_USERNAME, (LPVOID)L"user", 4));
    check_option(req, WINHTTP_OPTION_USERNAME, L"user");
    CHECK_OK(WinHttpSetOption(req, WINHTTP_OPTION_PASSWORD, (LPVOID)L"pass", 4));
    check_option(req, WINHTTP_OPTION_PASSWORD, L"pass");
    WinHttpCloseHandle(req);

    req = WinHttpOpenRequest(con, NULL, NULL, NULL, NULL, NULL, 0);
    CHECK(req != NULL);
    CHECK_FAILS(WinHttpSetCredentials(req, WINHTTP_AUTH_TARGET_SERVER, WINHTTP_AUTH_SCHEME_BASIC, L"user", NULL, NULL),
                ERROR_INVALID_PARAMETER);
    CHECK_FAILS(WinHttpSetCredentials(req, WINHTTP_AUTH_TARGET_SERVER, WINHTTP_AUTH_SCHEME_BASIC, NULL, L"pass", NULL),
                ERROR_INVALID_PARAMETER);
    CHECK_OK(WinHttpSetCredentials(req, WINHTTP_AUTH_TARGET_SERVER, WINHTTP_AUTH_SCHEME_BASIC, L"user", L"pass", NULL));
    /* Credentials set this way are not the options. */
    check_option(req, WINHTTP_OPTION_USERNAME, L"");
    check_option(req, WINHTTP_OPTION_PASSWORD, L"");
    CHECK_OK(WinHttpSetCredentials(req, WINHTTP_AUTH_TARGET_PROXY, WINHTTP_AUTH_SCHEME_BASIC, L"puser", L"ppass", NULL));
    check_option(req, WINHTTP_OPTION_PROXY_USERNAME, L"");
    check_option(req, WINHTTP_OPTION_PROXY_PASSWORD, L"");

    WinHttpCloseHandle(req);
    WinHttpCloseHandle(con);
    WinHttpCloseHandle(ses);
    return harness_report();
}
