/*
 * A WebSocket client, written the way a Windows developer writes one with WinHTTP: upgrade a GET,
 * send one UTF-8 message, read the echo back in pieces through a small buffer, close the
 * connection with a status and a reason, and print the close status the server sent back.
 *
 *   usage: websocket_echo <host> <port> <path> [message]
 *
 * Try it against any echo service, e.g. tests/support/ws_server.py (path /echo).
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
    WCHAR host[256], path[1024];
    const char *message = argc > 4 ? argv[4] : "Hello from a WinHTTP WebSocket client";
    HINTERNET hSession = NULL, hConnect = NULL, hRequest = NULL, hWebSocket = NULL;
    BYTE buffer[16]; /* small on purpose: a longer message arrives in several pieces */
    BYTE received[4096];
    DWORD dwError = ERROR_SUCCESS, dwRead = 0, dwTotal = 0, dwReasonLength = 0;
    WINHTTP_WEB_SOCKET_BUFFER_TYPE eBufferType;
    USHORT usStatus = 0;
    BYTE reason[WINHTTP_WEB_SOCKET_MAX_CLOSE_REASON_LENGTH];
    int pieces = 0;

    if (argc < 4) {
        fprintf(stderr, "usage: %s host port path [message]\n", argv[0]);
        return 2;
    }
    to_wide(argv[1], host, 256);
    to_wide(argv[3], path, 1024);

    hSession = WinHttpOpen(L"websocket_echo/1.0", WINHTTP_ACCESS_TYPE_DEFAULT_PROXY, WINHTTP_NO_PROXY_NAME,
                           WINHTTP_NO_PROXY_BYPASS, 0);
    if (hSession == NULL)
        goto failed;
    hConnect = WinHttpConnect(hSession, host, (INTERNET_PORT)atoi(argv[2]), 0);
    if (hConnect == NULL)
        goto failed;
    hRequest = WinHttpOpenRequest(hConnect, L"GET", path, NULL, NULL, NULL, 0);
    if (hRequest == NULL)
        goto failed;

    /* Ask for the upgrade, then send the request and read the 101. */
    if (!WinHttpSetOption(hRequest, WINHTTP_OPTION_UPGRADE_TO_WEB_SOCKET, NULL, 0))
        goto failed;
    if (!WinHttpSendRequest(hRequest, WINHTTP_NO_ADDITIONAL_HEADERS, 0, NULL, 0, 0, 0))
        goto failed;
    if (!WinHttpReceiveResponse(hRequest, NULL))
        goto failed;

    /* The WebSocket handle takes the connection over; the request handle is not needed any more. */
    hWebSocket = WinHttpWebSocketCompleteUpgrade(hRequest, 0);
    if (hWebSocket == NULL)
        goto failed;
    WinHttpCloseHandle(hRequest);
    hRequest = NULL;
    printf("upgraded to a WebSocket\n");

    dwError = WinHttpWebSocketSend(hWebSocket, WINHTTP_WEB_SOCKET_UTF8_MESSAGE_BUFFER_TYPE, (PVOID)message,
                                   (DWORD)strlen(message));
    if (dwError != ERROR_SUCCESS)
        goto ws_failed;
    printf("sent %u bytes: %s\n", (unsigned)strlen(message), message);

    /* Read until the piece that ends the message (a MESSAGE buffer type). */
    do {
        dwError = WinHttpWebSocketReceive(hWebSocket, buffer, sizeof buffer, &dwRead, &eBufferType);
        if (dwError != ERROR_SUCCESS)
            goto ws_failed;
        if (eBufferType == WINHTTP_WEB_SOCKET_CLOSE_BUFFER_TYPE) {
            printf("the server closed the connection\n");
            break;
        }
        if (dwTotal + dwRead > sizeof received) {
            fprintf(stderr, "the echo is longer than expected\n");
            dwError = ERROR_NOT_ENOUGH_MEMORY;
            goto ws_failed;
        }
        memcpy(received + dwTotal, buffer, dwRead);
        dwTotal += dwRead;
        pieces++;
    } while (eBufferType == WINHTTP_WEB_SOCKET_UTF8_FRAGMENT_BUFFER_TYPE ||
             eBufferType == WINHTTP_WEB_SOCKET_BINARY_FRAGMENT_BUFFER_TYPE);
    printf("received %u bytes in %d pieces: %.*s\n", (unsigned)dwTotal, pieces, (int)dwTotal, (const char *)received);

    /* The close handshake: our close frame, then the server's. */
    dwError = WinHttpWebSocketClose(hWebSocket, WINHTTP_WEB_SOCKET_SUCCESS_CLOSE_STATUS, (PVOID) "done", 4);
    if (dwError != ERROR_SUCCESS)
        goto ws_failed;
    dwError = WinHttpWebSocketQueryCloseStatus(hWebSocket, &usStatus, reason, sizeof reason, &dwReasonLength);
    if (dwError != ERROR_SUCCESS)
        goto ws_failed;
    printf("closed: the server sent status %u, reason \"%.*s\"\n", usStatus, (int)dwReasonLength, (const char *)reason);

    WinHttpCloseHandle(hWebSocket);
    WinHttpCloseHandle(hConnect);
    WinHttpCloseHandle(hSession);
    return dwTotal == strlen(message) && memcmp(received, message, dwTotal) == 0 ? 0 : 1;

failed:
    dwError = GetLastError();
ws_failed:
    fprintf(stderr, "error %lu\n", (unsigned long)dwError);
    if (hWebSocket)
        WinHttpCloseHandle(hWebSocket);
    if (hRequest)
        WinHttpCloseHandle(hRequest);
    if (hConnect)
        WinHttpCloseHandle(hConnect);
    if (hSession)
        WinHttpCloseHandle(hSession);
    return 1;
}
