/*
 * Benchmark client "ours": the WinHTTP API as a Windows developer writes it. One session, one
 * connect handle, a request handle per GET; the body is read with QueryDataAvailable/ReadData
 * (small GETs, as in Microsoft's sample) or with a ReadData loop into one fixed buffer
 * (downloads); uploads stream through WinHttpWriteData in fixed-size pieces.
 * See common.h for the command line and the output line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include <winhttp.h>

#include "common.h"

static void to_wide(const char *s, WCHAR *out, size_t cap)
{
    size_t n = mbstowcs(out, s, cap - 1);
    out[n == (size_t)-1 ? 0 : n] = 0;
}

static void fail(const char *what)
{
    fprintf(stderr, "bench_winhttp: %s failed: error %lu\n", what, (unsigned long)GetLastError());
    exit(1);
}

static DWORD status_of(HINTERNET hRequest)
{
    DWORD status = 0, size = sizeof(status);
    if (!WinHttpQueryHeaders(hRequest, WINHTTP_QUERY_STATUS_CODE | WINHTTP_QUERY_FLAG_NUMBER,
                             WINHTTP_HEADER_NAME_BY_INDEX, &status, &size, WINHTTP_NO_HEADER_INDEX))
        fail("WinHttpQueryHeaders");
    return status;
}

static HINTERNET open_request(HINTERNET hConnect, const WCHAR *verb, const WCHAR *path)
{
    HINTERNET h = WinHttpOpenRequest(hConnect, verb, path, NULL, WINHTTP_NO_REFERER, WINHTTP_DEFAULT_ACCEPT_TYPES, 0);
    if (!h)
        fail("WinHttpOpenRequest");
    return h;
}

/* One GET: send, receive, check the status, drain the body with QueryDataAvailable/ReadData. */
static unsigned long long one_get(HINTERNET hConnect, const WCHAR *path, char *buf, DWORD bufsize)
{
    unsigned long long total = 0;
    DWORD avail = 0, got = 0;
    HINTERNET hRequest = open_request(hConnect, L"GET", path);
    if (!WinHttpSendRequest(hRequest, WINHTTP_NO_ADDITIONAL_HEADERS, 0, WINHTTP_NO_REQUEST_DATA, 0, 0, 0))
        fail("WinHttpSendRequest");
    if (!WinHttpReceiveResponse(hRequest, NULL))
        fail("WinHttpReceiveResponse");
    if (status_of(hRequest) != 200)
        bench_die("GET: status is not 200");
    do {
        avail = 0;
        if (!WinHttpQueryDataAvailable(hRequest, &avail))
            fail("WinHttpQueryDataAvailable");
        if (avail) {
            if (!WinHttpReadData(hRequest, buf, avail < bufsize ? avail : bufsize, &got))
                fail("WinHttpReadData");
            total += got;
        }
    } while (avail > 0);
    WinHttpCloseHandle(hRequest);
    return total;
}

int main(int argc, char **argv)
{
    WCHAR host[256], path[1024];
    HINTERNET hSession, hConnect, hRequest;
    struct bench_clock clk;

    if (argc < 6) {
        fprintf(stderr, "usage: %s gets|download|upload HOST PORT PATH ARG [CHUNK]\n", argv[0]);
        return 2;
    }
    to_wide(argv[2], host, 256);
    to_wide(argv[4], path, 1024);

    hSession = WinHttpOpen(L"bench/1.0", WINHTTP_ACCESS_TYPE_NO_PROXY, WINHTTP_NO_PROXY_NAME,
                           WINHTTP_NO_PROXY_BYPASS, 0);
    if (!hSession)
        fail("WinHttpOpen");
    hConnect = WinHttpConnect(hSession, host, (INTERNET_PORT)atoi(argv[3]), 0);
    if (!hConnect)
        fail("WinHttpConnect");

    if (strcmp(argv[1], "gets") == 0) {
        unsigned long count = strtoul(argv[5], NULL, 10), i;
        unsigned long long bytes = 0;
        char buf[4096];
        one_get(hConnect, path, buf, sizeof(buf)); /* warm-up: connects */
        bench_start(&clk);
        for (i = 0; i < count; i++)
            bytes += one_get(hConnect, path, buf, sizeof(buf));
        bench_report(&clk, "gets", "ours", bytes, count);
    } else if (strcmp(argv[1], "download") == 0) {
        DWORD bufsize = (DWORD)strtoul(argv[5], NULL, 10), got = 0;
        unsigned long long bytes = 0;
        char *buf = malloc(bufsize);
        char row[32];
        if (!buf)
            bench_die("out of memory");
        snprintf(row, sizeof(row), "download%luk", (unsigned long)(bufsize / 1024));
        bench_start(&clk);
        hRequest = open_request(hConnect, L"GET", path);
        if (!WinHttpSendRequest(hRequest, WINHTTP_NO_ADDITIONAL_HEADERS, 0, WINHTTP_NO_REQUEST_DATA, 0, 0, 0))
            fail("WinHttpSendRequest");
        if (!WinHttpReceiveResponse(hRequest, NULL))
            fail("WinHttpReceiveResponse");
        if (status_of(hRequest) != 200)
            bench_die("download: status is not 200");
        for (;;) {
            if (!WinHttpReadData(hRequest, buf, bufsize, &got))
                fail("WinHttpReadData");
            if (got == 0)
                break;
            bytes += got;
        }
        WinHttpCloseHandle(hRequest);
        bench_report(&clk, row, "ours", bytes, 1);
        free(buf);
    } else if (strcmp(argv[1], "upload") == 0) {
        DWORD total = (DWORD)strtoul(argv[5], NULL, 10);
        DWORD chunk = argc > 6 ? (DWORD)strtoul(argv[6], NULL, 10) : 65536;
        DWORD sent = 0, written = 0, status, got = 0;
        char *piece = bench_pattern(chunk);
        char reply[4096];
        bench_start(&clk);
        hRequest = open_request(hConnect, L"PUT", path);
        if (!WinHttpSendRequest(hRequest, WINHTTP_NO_ADDITIONAL_HEADERS, 0, WINHTTP_NO_REQUEST_DATA, 0, total, 0))
            fail("WinHttpSendRequest");
        while (sent < total) {
            DWORD n = total - sent < chunk ? total - sent : chunk;
            if (!WinHttpWriteData(hRequest, piece, n, &written))
                fail("WinHttpWriteData");
            sent += written;
        }
        if (!WinHttpReceiveResponse(hRequest, NULL))
            fail("WinHttpReceiveResponse");
        status = status_of(hRequest);
        if (status != 201 && status != 204)
            bench_die("upload: status is not 201/204");
        while (WinHttpReadData(hRequest, reply, sizeof(reply), &got) && got > 0)
            ;
        WinHttpCloseHandle(hRequest);
        bench_report(&clk, "upload", "ours", sent, 1);
        free(piece);
    } else {
        bench_die("unknown mode");
    }
    WinHttpCloseHandle(hConnect);
    WinHttpCloseHandle(hSession);
    return 0;
}
