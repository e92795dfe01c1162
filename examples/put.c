/*
 * A PUT that streams its body with WinHttpWriteData, as in Microsoft's WinHttpWriteData example:
 * WinHttpSendRequest announces the total length, the data follows in pieces, then the response.
 *
 *   usage: put <host> <port> <path>
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include <winhttp.h>

static void to_wide(const char *s, WCHAR *out, size_t cap)
{
    size_t n = mbstowcs(out, s, cap - 1);
    out[n == (size_t)-1 ? 0 : n] = 0;
}

int main(int argc, char **argv)
{
    static const char *pieces[] = {"portable ", "WinHTTP ", "says ", "hello ", "through ", "WinHttpWriteData\n"};
    WCHAR host[256], path[1024];
    HINTERNET hSession = NULL, hConnect = NULL, hRequest = NULL;
    DWORD dwTotal = 0, dwWritten = 0, dwStatus = 0, dwSize = sizeof(dwStatus), dwRead = 0;
    BOOL bResults = FALSE;
    char reply[4096];
    size_t i;

    if (argc < 4) {
        fprintf(stderr, "usage: %s host port path\n", argv[0]);
        return 2;
    }
    to_wide(argv[1], host, 256);
    to_wide(argv[3], path, 1024);
    for (i = 0; i < sizeof(pieces) / sizeof(pieces[0]); i++)
        dwTotal += (DWORD)strlen(pieces[i]);

    hSession = WinHttpOpen(L"A WinHTTP Example Program/1.0", WINHTTP_ACCESS_TYPE_DEFAULT_PROXY,
                           WINHTTP_NO_PROXY_NAME, WINHTTP_NO_PROXY_BYPASS, 0);
    if (hSession)
        hConnect = WinHttpConnect(hSession, host, (INTERNET_PORT)atoi(argv[2]), 0);
    if (hConnect)
        hRequest = WinHttpOpenRequest(hConnect, L"PUT", path, NULL, WINHTTP_NO_REFERER,
                                      WINHTTP_DEFAULT_ACCEPT_TYPES, 0);
    if (hRequest)
        bResults = WinHttpSendRequest(hRequest, WINHTTP_NO_ADDITIONAL_HEADERS, 0, WINHTTP_NO_REQUEST_DATA, 0,
                                      dwTotal, 0);
    for (i = 0; bResults && i < sizeof(pieces) / sizeof(pieces[0]); i++)
        bResults = WinHttpWriteData(hRequest, pieces[i], (DWORD)strlen(pieces[i]), &dwWritten);
    if (bResults)
        bResults = WinHttpReceiveResponse(hRequest, NULL);
    if (bResults) {
        WinHttpQueryHeaders(hRequest, WINHTTP_QUERY_STATUS_CODE | WINHTTP_QUERY_FLAG_NUMBER,
                            WINHTTP_HEADER_NAME_BY_INDEX, &dwStatus, &dwSize, WINHTTP_NO_HEADER_INDEX);
        printf("PUT %lu bytes: status %lu\n", (unsigned long)dwTotal, (unsigned long)dwStatus);
        while (WinHttpReadData(hRequest, reply, sizeof(reply), &dwRead) && dwRead > 0)
            fwrite(reply, 1, dwRead, stdout);
    }

    if (!bResults)
        printf("Error %lu has occurred.\n", (unsigned long)GetLastError());

    if (hRequest) WinHttpCloseHandle(hRequest);
    if (hConnect) WinHttpCloseHandle(hConnect);
    if (hSession) WinHttpCloseHandle(hSession);
    return bResults ? 0 : 1;
}
