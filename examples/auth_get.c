/*
 * A GET that authenticates to a proxy and to the server the way Windows programs do: send, look at
 * the status, and on a 401 (server) or a 407 (proxy) ask WinHttpQueryAuthSchemes what is offered,
 * pick the strongest scheme, give WinHttpSetCredentials the user name and password for that
 * target, and send again on the same request handle. WinHTTP does the legs of NTLM and Negotiate
 * itself; each target is tried once, so a wrong password ends with its 401/407.
 *
 *   usage: auth_get <url> [<user> <password> [<proxy host:port> [<proxy user> <proxy password>]]]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include <winhttp.h>

static WCHAR *widen(const char *s)
{
    size_t n = strlen(s) + 1, i;
    WCHAR *w = malloc(n * sizeof(WCHAR));
    for (i = 0; w && i < n; i++)
        w[i] = (WCHAR)(unsigned char)s[i];
    return w;
}

/* The strongest scheme of those offered. */
static DWORD choose_scheme(DWORD supported)
{
    static const DWORD order[] = {WINHTTP_AUTH_SCHEME_NEGOTIATE, WINHTTP_AUTH_SCHEME_NTLM, WINHTTP_AUTH_SCHEME_DIGEST,
                                  WINHTTP_AUTH_SCHEME_BASIC};
    size_t i;
    for (i = 0; i < sizeof order / sizeof order[0]; i++)
        if (supported & order[i])
            return order[i];
    return 0;
}

int main(int argc, char **argv)
{
    WCHAR *url, *user = NULL, *pass = NULL, *proxy = NULL, *puser = NULL, *ppass = NULL;
    WCHAR host[256], path[2048];
    URL_COMPONENTS uc;
    HINTERNET ses = NULL, con = NULL, req = NULL;
    DWORD status = 0, size, tried_server = 0, tried_proxy = 0;
    int rc = 1;

    if (argc != 2 && argc != 4 && argc != 5 && argc != 7) {
        fprintf(stderr, "usage: %s <url> [<user> <password> [<proxy host:port> [<proxy user> <proxy password>]]]\n",
                argv[0]);
        return 2;
    }
    url = widen(argv[1]);
    if (argc >= 4) {
        user = widen(argv[2]);
        pass = widen(argv[3]);
    }
    if (argc >= 5)
        proxy = widen(argv[4]);
    if (argc == 7) {
        puser = widen(argv[5]);
        ppass = widen(argv[6]);
    }

    memset(&uc, 0, sizeof uc);
    uc.dwStructSize = sizeof uc;
    uc.lpszHostName = host;
    uc.dwHostNameLength = sizeof host / sizeof host[0];
    uc.lpszUrlPath = path;
    uc.dwUrlPathLength = sizeof path / sizeof path[0];
    if (!WinHttpCrackUrl(url, 0, 0, &uc)) {
        fprintf(stderr, "WinHttpCrackUrl failed: %lu\n", (unsigned long)GetLastError());
        return 1;
    }
    ses = WinHttpOpen(L"auth_get/1.0", proxy ? WINHTTP_ACCESS_TYPE_NAMED_PROXY : WINHTTP_ACCESS_TYPE_DEFAULT_PROXY,
                      proxy ? proxy : WINHTTP_NO_PROXY_NAME, WINHTTP_NO_PROXY_BYPASS, 0);
    if (ses)
        con = WinHttpConnect(ses, host, uc.nPort, 0);
    if (con)
        req = WinHttpOpenRequest(con, L"GET", path, NULL, WINHTTP_NO_REFERER, WINHTTP_DEFAULT_ACCEPT_TYPES,
                                 uc.nScheme == INTERNET_SCHEME_HTTPS ? WINHTTP_FLAG_SECURE : 0);
    if (!req) {
        fprintf(stderr, "opening the request failed: %lu\n", (unsigned long)GetLastError());
        goto out;
    }

    for (;;) {
        DWORD supported, first, target, scheme;
        if (!WinHttpSendRequest(req, WINHTTP_NO_ADDITIONAL_HEADERS, 0, WINHTTP_NO_REQUEST_DATA, 0, 0, 0) ||
            !WinHttpReceiveResponse(req, NULL)) {
            fprintf(stderr, "request failed: %lu\n", (unsigned long)GetLastError());
            goto out;
        }
        size = sizeof status;
        WinHttpQueryHeaders(req, WINHTTP_QUERY_STATUS_CODE | WINHTTP_QUERY_FLAG_NUMBER, WINHTTP_HEADER_NAME_BY_INDEX,
                            &status, &size, WINHTTP_NO_HEADER_INDEX);
        if (status != 401 && status != 407)
            break;
        if (!WinHttpQueryAuthSchemes(req, &supported, &first, &target) || !(scheme = choose_scheme(supported))) {
            fprintf(stderr, "%lu without a scheme we know\n", (unsigned long)status);
            break;
        }
        if (target == WINHTTP_AUTH_TARGET_SERVER) {
            if (tried_server++ || !user)
                break; /* no credentials, or they were refused */
            WinHttpSetCredentials(req, target, scheme, user, pass, NULL);
        } else {
            if (tried_proxy++ || !puser)
                break;
            WinHttpSetCredentials(req, target, scheme, puser, ppass, NULL);
        }
        printf("%lu: answering with scheme 0x%lx for the %s\n", (unsigned long)status, (unsigned long)scheme,
               target == WINHTTP_AUTH_TARGET_SERVER ? "server" : "proxy");
    }

    printf("status %lu\n", (unsigned long)status);
    for (;;) {
        char buf[4096];
        DWORD got = 0;
        if (!WinHttpReadData(req, buf, sizeof buf, &got) || got == 0)
            break;
        fwrite(buf, 1, got, stdout);
    }
    printf("\n");
    rc = status == 200 ? 0 : 1;
out:
    if (req)
        WinHttpCloseHandle(req);
    if (con)
        WinHttpCloseHandle(con);
    if (ses)
        WinHttpCloseHandle(ses);
    free(url);
    free(user);
    free(pass);
    free(proxy);
    free(puser);
    free(ppass);
    return rc;
}
