/*
 * A GET, written the way a Windows developer writes it: open a session, connect, send, receive,
 * print the status line, the headers and the body.
 *
 *   usage: get <host> <port> <path>
 */
#include <stdio.h>
#include <stdlib.h>
#include <wchar.h>
#include <winhttp.h>

static void to_wide(const char *s, WCHAR *out, size_t cap)
{
    size_t n = mbstowcs(out, s, cap - 1);
    out[n == (size_t)-1 ? 0 : n] = 0;
}

int main(int argc, char **argv)
{
    WCHAR host[256], path[1024];
    HINTERNET hSession = NULL, hConnect = NULL, hRequest = NULL;
    DWORD dwStatus = 0, dwSize = sizeof(dwStatus), dwAvailable = 0, dwRead = 0;
    BOOL bResults = FALSE;
    WCHAR *headers = NULL;

    if (argc < 4) {
        fprintf(stderr, "usage: %s host port path\n", argv[0]);
        return 2;
    }
    to_wide(argv[1], host, 256);
    to_wide(argv[3], path, 1024);

    hSession = WinHttpOpen(L"WinHTTP Example/1.0", WINHTTP_ACCESS_TYPE_NO_PROXY, WINHTTP_NO_PROXY_NAME,
                           WINHTTP_NO_PROXY_BYPASS, 0);
    if (hSession)
        hConnect = WinHttpConnect(hSession, host, (INTERNET_PORT)atoi(argv[2]), 0);
    if (hConnect)
        hRequest = WinHttpOpenRequest(hConnect, L"GET", path, NULL, WINHTTP_NO_REFERER,
                                      WINHTTP_DEFAULT_ACCEPT_TYPES, 0);
    if (hRequest)
        bResults = WinHttpSendRequest(hRequest, WINHTTP_NO_ADDITIONAL_HEADERS, 0, WINHTTP_NO_REQUEST_DATA, 0, 0, 0);
    if (bResults)
        bResults = WinHttpReceiveResponse(hRequest, NULL);

    if (bResults) {
        WinHttpQueryHeaders(hRequest, WINHTTP_QUERY_STATUS_CODE | WINHTTP_QUERY_FLAG_NUMBER,
                            WINHTTP_HEADER_NAME_BY_INDEX, &dwStatus, &dwSize, WINHTTP_NO_HEADER_INDEX);
        printf("status: %lu\n", (unsigned long)dwStatus);

        /* First ask for the size, then fetch the raw headers. */
        dwSize = 0;
        WinHttpQueryHeaders(hRequest, WINHTTP_QUERY_RAW_HEADERS_CRLF, WINHTTP_HEADER_NAME_BY_INDEX, NULL, &dwSize,
                            WINHTTP_NO_HEADER_INDEX);
        if (GetLastError() == ERROR_INSUFFICIENT_BUFFER) {
            headers = (WCHAR *)malloc(dwSize);
            if (headers && WinHttpQueryHeaders(hRequest, WINHTTP_QUERY_RAW_HEADERS_CRLF,
                                               WINHTTP_HEADER_NAME_BY_INDEX, headers, &dwSize,
                                               WINHTTP_NO_HEADER_INDEX))
                printf("%ls", headers);
            free(headers);
        }

        do {
            dwAvailable = 0;
            if (!WinHttpQueryDataAvailable(hRequest, &dwAvailable)) {
                printf("WinHttpQueryDataAvailable failed: %lu\n", (unsigned long)GetLastError());
                bResults = FALSE;
                break;
            }
            if (dwAvailable) {
                char *buffer = (char *)malloc(dwAvailable);
                if (!buffer)
                    break;
                if (WinHttpReadData(hRequest, buffer, dwAvailable, &dwRead))
                    fwrite(buffer, 1, dwRead, stdout);
                free(buffer);
            }
        } while (dwAvailable > 0);
        printf("\n");
    }

    if (!bResults)
        printf("Error %lu has occurred.\n", (unsigned long)GetLastError());

    if (hRequest) WinHttpCloseHandle(hRequest);
    if (hConnect) WinHttpCloseHandle(hConnect);
    if (hSession) WinHttpCloseHandle(hSession);
    return bResults ? 0 : 1;
}
