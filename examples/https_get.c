/*
 * An HTTPS GET, written the way a Windows developer writes it: WINHTTP_FLAG_SECURE on the request,
 * a status callback that explains certificate failures, and the server certificate's details.
 *
 *   usage: https_get <host> <port> <path> [ignore-unknown-ca]
 *
 * The certificate is checked against the system's trust store; on Linux, SSL_CERT_FILE names a
 * bundle to trust instead (ci/demo.sh points it at the demo server's CA).
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

/* Called for WINHTTP_CALLBACK_STATUS_SECURE_FAILURE: which checks the certificate failed. */
static void CALLBACK on_secure_failure(HINTERNET hInternet, DWORD_PTR dwContext, DWORD dwStatus, LPVOID lpvInfo,
                                       DWORD dwLength)
{
    DWORD flags = (lpvInfo && dwLength == sizeof(DWORD)) ? *(DWORD *)lpvInfo : 0;
    (void)hInternet;
    (void)dwContext;
    if (dwStatus != WINHTTP_CALLBACK_STATUS_SECURE_FAILURE)
        return;
    printf("certificate problems (0x%08lx):", (unsigned long)flags);
    if (flags & WINHTTP_CALLBACK_STATUS_FLAG_INVALID_CA)
        printf(" unknown CA;");
    if (flags & WINHTTP_CALLBACK_STATUS_FLAG_CERT_DATE_INVALID)
        printf(" expired or not yet valid;");
    if (flags & WINHTTP_CALLBACK_STATUS_FLAG_CERT_CN_INVALID)
        printf(" wrong host name;");
    if (flags & WINHTTP_CALLBACK_STATUS_FLAG_CERT_WRONG_USAGE)
        printf(" not for server authentication;");
    if (flags & WINHTTP_CALLBACK_STATUS_FLAG_INVALID_CERT)
        printf(" invalid certificate;");
    if (flags & WINHTTP_CALLBACK_STATUS_FLAG_SECURITY_CHANNEL_ERROR)
        printf(" TLS handshake failed;");
    printf("\n");
}

static const char *error_name(DWORD e)
{
    switch (e) {
    case ERROR_WINHTTP_SECURE_INVALID_CA: return "ERROR_WINHTTP_SECURE_INVALID_CA";
    case ERROR_WINHTTP_SECURE_CERT_DATE_INVALID: return "ERROR_WINHTTP_SECURE_CERT_DATE_INVALID";
    case ERROR_WINHTTP_SECURE_CERT_CN_INVALID: return "ERROR_WINHTTP_SECURE_CERT_CN_INVALID";
    case ERROR_WINHTTP_SECURE_CERT_WRONG_USAGE: return "ERROR_WINHTTP_SECURE_CERT_WRONG_USAGE";
    case ERROR_WINHTTP_SECURE_INVALID_CERT: return "ERROR_WINHTTP_SECURE_INVALID_CERT";
    case ERROR_WINHTTP_SECURE_CHANNEL_ERROR: return "ERROR_WINHTTP_SECURE_CHANNEL_ERROR";
    case ERROR_WINHTTP_CLIENT_AUTH_CERT_NEEDED: return "ERROR_WINHTTP_CLIENT_AUTH_CERT_NEEDED";
    case ERROR_WINHTTP_CANNOT_CONNECT: return "ERROR_WINHTTP_CANNOT_CONNECT";
    default: return "";
    }
}

int main(int argc, char **argv)
{
    WCHAR host[256], path[1024];
    HINTERNET hSession = NULL, hConnect = NULL, hRequest = NULL;
    DWORD dwStatus = 0, dwSize = sizeof(dwStatus), dwFlags = 0, dwRead = 0;
    BOOL bResults = FALSE;
    char buffer[4096];
    WINHTTP_CERTIFICATE_INFO certInfo;

    if (argc < 4) {
        fprintf(stderr, "usage: %s host port path [ignore-unknown-ca]\n", argv[0]);
        return 2;
    }
    to_wide(argv[1], host, 256);
    to_wide(argv[3], path, 1024);

    hSession = WinHttpOpen(L"WinHTTP Example/1.0", WINHTTP_ACCESS_TYPE_NO_PROXY, WINHTTP_NO_PROXY_NAME,
                           WINHTTP_NO_PROXY_BYPASS, 0);
    if (hSession)
        WinHttpSetStatusCallback(hSession, on_secure_failure, WINHTTP_CALLBACK_FLAG_SECURE_FAILURE, 0);
    if (hSession)
        hConnect = WinHttpConnect(hSession, host, (INTERNET_PORT)atoi(argv[2]), 0);
    if (hConnect)
        hRequest = WinHttpOpenRequest(hConnect, L"GET", path, NULL, WINHTTP_NO_REFERER,
                                      WINHTTP_DEFAULT_ACCEPT_TYPES, WINHTTP_FLAG_SECURE);
    if (hRequest && argc > 4 && strcmp(argv[4], "ignore-unknown-ca") == 0) {
        dwFlags = SECURITY_FLAG_IGNORE_UNKNOWN_CA;
        WinHttpSetOption(hRequest, WINHTTP_OPTION_SECURITY_FLAGS, &dwFlags, sizeof(dwFlags));
    }
    if (hRequest)
        bResults = WinHttpSendRequest(hRequest, WINHTTP_NO_ADDITIONAL_HEADERS, 0, WINHTTP_NO_REQUEST_DATA, 0, 0, 0);
    if (bResults)
        bResults = WinHttpReceiveResponse(hRequest, NULL);

    if (bResults) {
        WinHttpQueryHeaders(hRequest, WINHTTP_QUERY_STATUS_CODE | WINHTTP_QUERY_FLAG_NUMBER,
                            WINHTTP_HEADER_NAME_BY_INDEX, &dwStatus, &dwSize, WINHTTP_NO_HEADER_INDEX);
        printf("status: %lu\n", (unsigned long)dwStatus);

        dwSize = sizeof(dwFlags);
        if (WinHttpQueryOption(hRequest, WINHTTP_OPTION_SECURITY_FLAGS, &dwFlags, &dwSize))
            printf("security flags: 0x%08lx%s%s\n", (unsigned long)dwFlags,
                   (dwFlags & SECURITY_FLAG_SECURE) ? " secure" : "",
                   (dwFlags & SECURITY_FLAG_STRENGTH_STRONG) ? " strong" : "");

        dwSize = sizeof(certInfo);
        if (WinHttpQueryOption(hRequest, WINHTTP_OPTION_SECURITY_CERTIFICATE_STRUCT, &certInfo, &dwSize)) {
            printf("certificate subject: %ls\n", certInfo.lpszSubjectInfo ? certInfo.lpszSubjectInfo : L"");
            printf("certificate issuer: %ls\n", certInfo.lpszIssuerInfo ? certInfo.lpszIssuerInfo : L"");
            printf("key size: %lu bits\n", (unsigned long)certInfo.dwKeySize);
            LocalFree(certInfo.lpszSubjectInfo);
            LocalFree(certInfo.lpszIssuerInfo);
        }

        while (WinHttpReadData(hRequest, buffer, sizeof(buffer), &dwRead) && dwRead > 0)
            fwrite(buffer, 1, dwRead, stdout);
    } else {
        DWORD err = GetLastError();
        printf("error %lu %s\n", (unsigned long)err, error_name(err));
    }

    if (hRequest)
        WinHttpCloseHandle(hRequest);
    if (hConnect)
        WinHttpCloseHandle(hConnect);
    if (hSession)
        WinHttpCloseHandle(hSession);
    return bResults && dwStatus == 200 ? 0 : 1;
}
