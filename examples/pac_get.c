/*
 * Proxy auto-configuration, the way enterprise Windows programs do it before every connection: ask
 * WinHttpGetProxyForUrl which proxy the PAC script chooses for a URL, put that proxy on the request
 * (WINHTTP_OPTION_PROXY), then fetch the URL through it.
 *
 *   usage: pac_get <pac-url> <url>
 *   e.g.   pac_get http://127.0.0.1:8080/proxy.pac http://www.demo.example/hello   (against demo_server)
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
    WCHAR pac[1024], url[2048], host[256], path[2048];
    WINHTTP_AUTOPROXY_OPTIONS options;
    WINHTTP_PROXY_INFO proxy;
    URL_COMPONENTS parts;
    HINTERNET hSession = NULL, hConnect = NULL, hRequest = NULL;
    DWORD dwStatus = 0, dwSize = sizeof(dwStatus), dwRead = 0;
    char body[4096];
    int rc = 1;

    if (argc < 3) {
        fprintf(stderr, "usage: %s pac-url url\n", argv[0]);
        return 2;
    }
    to_wide(argv[1], pac, 1024);
    to_wide(argv[2], url, 2048);

    hSession = WinHttpOpen(L"pac_get/1.0", WINHTTP_ACCESS_TYPE_NO_PROXY, WINHTTP_NO_PROXY_NAME,
                           WINHTTP_NO_PROXY_BYPASS, 0);
    if (!hSession)
        goto fail;

    /* 1. Which proxy does the script choose for this URL? */
    memset(&options, 0, sizeof(options));
    options.dwFlags = WINHTTP_AUTOPROXY_CONFIG_URL;
    options.lpszAutoConfigUrl = pac;
    options.fAutoLogonIfChallenged = TRUE;
    memset(&proxy, 0, sizeof(proxy));
    if (!WinHttpGetProxyForUrl(hSession, url, &options, &proxy))
        goto fail;
    if (proxy.dwAccessType == WINHTTP_ACCESS_TYPE_NAMED_PROXY)
        printf("the script chose proxy %ls for %ls\n", proxy.lpszProxy, url);
    else
        printf("the script chose DIRECT for %ls\n", url);

    /* 2. Fetch the URL through it. */
    memset(&parts, 0, sizeof(parts));
    parts.dwStructSize = sizeof(parts);
    parts.lpszHostName = host;
    parts.dwHostNameLength = 256;
    parts.lpszUrlPath = path;
    parts.dwUrlPathLength = 2048;
    if (!WinHttpCrackUrl(url, 0, 0, &parts))
        goto fail;
    hConnect = WinHttpConnect(hSession, host, parts.nPort, 0);
    hRequest = hConnect ? WinHttpOpenRequest(hConnect, L"GET", path, NULL, WINHTTP_NO_REFERER,
                                             WINHTTP_DEFAULT_ACCEPT_TYPES,
                                             parts.nScheme == INTERNET_SCHEME_HTTPS ? WINHTTP_FLAG_SECURE : 0)
                        : NULL;
    if (!hRequest)
        goto fail;
    if (proxy.dwAccessType == WINHTTP_ACCESS_TYPE_NAMED_PROXY &&
        !WinHttpSetOption(hRequest, WINHTTP_OPTION_PROXY, &proxy, sizeof(proxy)))
        goto fail;
    if (!WinHttpSendRequest(hRequest, WINHTTP_NO_ADDITIONAL_HEADERS, 0, WINHTTP_NO_REQUEST_DATA, 0, 0, 0) ||
        !WinHttpReceiveResponse(hRequest, NULL) ||
        !WinHttpQueryHeaders(hRequest, WINHTTP_QUERY_STATUS_CODE | WINHTTP_QUERY_FLAG_NUMBER,
                             WINHTTP_HEADER_NAME_BY_INDEX, &dwStatus, &dwSize, WINHTTP_NO_HEADER_INDEX))
        goto fail;
    printf("status %lu\n", (unsigned long)dwStatus);
    while (WinHttpReadData(hRequest, body, sizeof(body) - 1, &dwRead) && dwRead) {
        body[dwRead] = 0;
        fputs(body, stdout);
    }
    rc = dwStatus == 200 ? 0 : 1;
    goto done;

fail:
    fprintf(stderr, "failed with error %lu\n", (unsigned long)GetLastError());
done:
    GlobalFree(proxy.lpszProxy);
    GlobalFree(proxy.lpszProxyBypass);
    if (hRequest)
        WinHttpCloseHandle(hRequest);
    if (hConnect)
        WinHttpCloseHandle(hConnect);
    if (hSession)
        WinHttpCloseHandle(hSession);
    return rc;
}
