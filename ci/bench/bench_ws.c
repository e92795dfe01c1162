/*
 * WebSocket benchmark client on our WinHTTP (sync mode), against tests/support/ws_server.py:
 *
 *   bench_ws <port> rtt <N>     N round trips of a 32-byte binary message on /echo
 *   bench_ws <port> down <MiB>  /stream: MiB of 1 MiB binary messages received with a 64 KiB buffer
 *   bench_ws <port> up <MiB>    /sink: MiB sent as 1 MiB binary messages, then "total?" answered
 *
 * Prints one line: "<mode> <value> <unit> cpu <user+system seconds>". Not a test.
 */
#define _POSIX_C_SOURCE 200809L
#include <winhttp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double cpu(void)
{
    struct rusage r;
    getrusage(RUSAGE_SELF, &r);
    return r.ru_utime.tv_sec + r.ru_utime.tv_usec / 1e6 + r.ru_stime.tv_sec + r.ru_stime.tv_usec / 1e6;
}

static HINTERNET open_ws(HINTERNET ses, INTERNET_PORT port, const WCHAR *path)
{
    HINTERNET con = WinHttpConnect(ses, L"127.0.0.1", port, 0);
    HINTERNET req = WinHttpOpenRequest(con, L"GET", path, NULL, NULL, NULL, 0), sock = NULL;
    if (req && WinHttpSetOption(req, WINHTTP_OPTION_UPGRADE_TO_WEB_SOCKET, NULL, 0) &&
        WinHttpSendRequest(req, NULL, 0, NULL, 0, 0, 0) && WinHttpReceiveResponse(req, NULL))
        sock = WinHttpWebSocketCompleteUpgrade(req, 0);
    WinHttpCloseHandle(req);
    WinHttpCloseHandle(con);
    if (!sock) {
        fprintf(stderr, "upgrade failed: %lu\n", (unsigned long)GetLastError());
        exit(1);
    }
    return sock;
}

int main(int argc, char **argv)
{
    static char buf[1 << 20];
    INTERNET_PORT port;
    long n;
    double t0, c0, t;
    DWORD got, e;
    WINHTTP_WEB_SOCKET_BUFFER_TYPE ty;
    HINTERNET ses, sock;
    if (argc < 4)
        return 2;
    port = (INTERNET_PORT)atoi(argv[1]);
    n = atol(argv[3]);
    ses = WinHttpOpen(L"bench_ws", WINHTTP_ACCESS_TYPE_NO_PROXY, NULL, NULL, 0);
    memset(buf, 'x', sizeof buf);
    if (strcmp(argv[2], "rtt") == 0) {
        sock = open_ws(ses, port, L"/echo");
        t0 = now(), c0 = cpu();
        for (long i = 0; i < n; i++) {
            if (WinHttpWebSocketSend(sock, WINHTTP_WEB_SOCKET_BINARY_MESSAGE_BUFFER_TYPE, buf, 32) != NO_ERROR ||
                WinHttpWebSocketReceive(sock, buf, sizeof buf, &got, &ty) != NO_ERROR || got != 32)
                return 1;
        }
        t = now() - t0;
        printf("rtt %.0f msg/s cpu %.3f\n", n / t, cpu() - c0);
    } else if (strcmp(argv[2], "down") == 0) {
        WCHAR path[128];
        long long total = 0;
        swprintf(path, 128, L"/stream?size=%lld&chunk=1048576", (long long)n << 20);
        sock = open_ws(ses, port, path);
        t0 = now(), c0 = cpu();
        for (;;) {
            e = WinHttpWebSocketReceive(sock, buf, 65536, &got, &ty);
            if (e != NO_ERROR)
                return 1;
            if (ty == WINHTTP_WEB_SOCKET_CLOSE_BUFFER_TYPE)
                break;
            total += got;
        }
        t = now() - t0;
        if (total != (long long)n << 20)
            return 1;
        printf("down %.1f MiB/s cpu %.3f\n", n / t, cpu() - c0);
    } else {
        sock = open_ws(ses, port, L"/sink");
        t0 = now(), c0 = cpu();
        for (long i = 0; i < n; i++)
            if (WinHttpWebSocketSend(sock, WINHTTP_WEB_SOCKET_BINARY_MESSAGE_BUFFER_TYPE, buf, sizeof buf) != NO_ERROR)
                return 1;
        if (WinHttpWebSocketSend(sock, WINHTTP_WEB_SOCKET_UTF8_MESSAGE_BUFFER_TYPE, "total?", 6) != NO_ERROR ||
            WinHttpWebSocketReceive(sock, buf, sizeof buf, &got, &ty) != NO_ERROR)
            return 1;
        t = now() - t0;
        buf[got] = 0;
        if (atoll(buf) != (long long)n << 20)
            return 1;
        printf("up %.1f MiB/s cpu %.3f\n", n / t, cpu() - c0);
    }
    WinHttpWebSocketClose(sock, 1000, NULL, 0);
    WinHttpCloseHandle(sock);
    WinHttpCloseHandle(ses);
    return 0;
}
