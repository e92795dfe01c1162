/*
 * An asynchronous GET driven entirely from the status callback, the way WinHTTP's async clients
 * are written: each completion starts the next call, and the context lives until HANDLE_CLOSING,
 * the last notification a handle ever receives.
 *
 *   usage: async_get <host> <port> <path>
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include <winhttp.h>

typedef struct {
    HINTERNET hRequest;
    char buffer[4096];
    unsigned long long total;
    DWORD status;
    DWORD error;
    int done;
    pthread_mutex_t lock;
    pthread_cond_t cond;
} REQUEST_CONTEXT;

static void finish(REQUEST_CONTEXT *ctx, DWORD error)
{
    ctx->error = error;
    WinHttpCloseHandle(ctx->hRequest); /* HANDLE_CLOSING follows: only then is ctx released */
}

static void CALLBACK on_status(HINTERNET hInternet, DWORD_PTR dwContext, DWORD dwStatus, LPVOID lpvInfo, DWORD dwLength)
{
    REQUEST_CONTEXT *ctx = (REQUEST_CONTEXT *)dwContext;
    DWORD size = sizeof(DWORD);
    (void)hInternet;

    switch (dwStatus) {
    case WINHTTP_CALLBACK_STATUS_SENDREQUEST_COMPLETE:
        if (!WinHttpReceiveResponse(ctx->hRequest, NULL))
            finish(ctx, GetLastError());
        break;
    case WINHTTP_CALLBACK_STATUS_HEADERS_AVAILABLE:
        WinHttpQueryHeaders(ctx->hRequest, WINHTTP_QUERY_STATUS_CODE | WINHTTP_QUERY_FLAG_NUMBER,
                            WINHTTP_HEADER_NAME_BY_INDEX, &ctx->status, &size, WINHTTP_NO_HEADER_INDEX);
        printf("status: %lu\n", (unsigned long)ctx->status);
        if (!WinHttpQueryDataAvailable(ctx->hRequest, NULL))
            finish(ctx, GetLastError());
        break;
    case WINHTTP_CALLBACK_STATUS_DATA_AVAILABLE: {
        DWORD available = *(DWORD *)lpvInfo;
        if (available == 0) {
            finish(ctx, ERROR_SUCCESS);
            break;
        }
        if (available > sizeof(ctx->buffer))
            available = sizeof(ctx->buffer);
        if (!WinHttpReadData(ctx->hRequest, ctx->buffer, available, NULL))
            finish(ctx, GetLastError());
        break;
    }
    case WINHTTP_CALLBACK_STATUS_READ_COMPLETE:
        if (dwLength == 0) {
            finish(ctx, ERROR_SUCCESS);
            break;
        }
        fwrite(lpvInfo, 1, dwLength, stdout);
        ctx->total += dwLength;
        if (!WinHttpQueryDataAvailable(ctx->hRequest, NULL))
            finish(ctx, GetLastError());
        break;
    case WINHTTP_CALLBACK_STATUS_REQUEST_ERROR: {
        WINHTTP_ASYNC_RESULT *result = (WINHTTP_ASYNC_RESULT *)lpvInfo;
        printf("request error: API %lu, error %lu\n", (unsigned long)result->dwResult, (unsigned long)result->dwError);
        finish(ctx, result->dwError);
        break;
    }
    case WINHTTP_CALLBACK_STATUS_HANDLE_CLOSING:
        pthread_mutex_lock(&ctx->lock);
        ctx->done = 1;
        pthread_cond_signal(&ctx->cond);
        pthread_mutex_unlock(&ctx->lock);
        break;
    default:
        break;
    }
}

static void to_wide(const char *s, WCHAR *out, size_t cap)
{
    size_t n = mbstowcs(out, s, cap - 1);
    out[n == (size_t)-1 ? 0 : n] = 0;
}

int main(int argc, char **argv)
{
    WCHAR host[256], path[1024];
    HINTERNET hSession, hConnect;
    REQUEST_CONTEXT *ctx;
    int ok;

    if (argc < 4) {
        fprintf(stderr, "usage: %s host port path\n", argv[0]);
        return 2;
    }
    to_wide(argv[1], host, 256);
    to_wide(argv[3], path, 1024);

    ctx = (REQUEST_CONTEXT *)calloc(1, sizeof(*ctx));
    pthread_mutex_init(&ctx->lock, NULL);
    pthread_cond_init(&ctx->cond, NULL);

    hSession = WinHttpOpen(L"WinHTTP Async Example/1.0", WINHTTP_ACCESS_TYPE_NO_PROXY, WINHTTP_NO_PROXY_NAME,
                           WINHTTP_NO_PROXY_BYPASS, WINHTTP_FLAG_ASYNC);
    hConnect = WinHttpConnect(hSession, host, (INTERNET_PORT)atoi(argv[2]), 0);
    ctx->hRequest = WinHttpOpenRequest(hConnect, L"GET", path, NULL, WINHTTP_NO_REFERER,
                                       WINHTTP_DEFAULT_ACCEPT_TYPES, 0);
    if (!ctx->hRequest) {
        printf("Error %lu has occurred.\n", (unsigned long)GetLastError());
        return 1;
    }
    WinHttpSetStatusCallback(ctx->hRequest, on_status,
                             WINHTTP_CALLBACK_FLAG_ALL_COMPLETIONS | WINHTTP_CALLBACK_FLAG_HANDLES, 0);
    if (!WinHttpSendRequest(ctx->hRequest, WINHTTP_NO_ADDITIONAL_HEADERS, 0, WINHTTP_NO_REQUEST_DATA, 0, 0,
                            (DWORD_PTR)ctx)) {
        printf("Error %lu has occurred.\n", (unsigned long)GetLastError());
        WinHttpCloseHandle(ctx->hRequest);
    }

    /* Wait for HANDLE_CLOSING: after it, no callback can touch ctx any more. */
    pthread_mutex_lock(&ctx->lock);
    while (!ctx->done)
        pthread_cond_wait(&ctx->cond, &ctx->lock);
    pthread_mutex_unlock(&ctx->lock);

    printf("\n%llu body bytes, error %lu\n", ctx->total, (unsigned long)ctx->error);
    ok = ctx->error == ERROR_SUCCESS && ctx->status == 200;
    WinHttpCloseHandle(hConnect);
    WinHttpCloseHandle(hSession);
    free(ctx);
    return ok ? 0 : 1;
}
