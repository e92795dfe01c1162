/*
 * WINHTTP_LOG diagnostics (our extension): the library reads WINHTTP_LOG and WINHTTP_LOG_FILE once,
 * at its first use. The runner starts this program with
 *
 *   c_suite: env WINHTTP_LOG=api,callbacks,wire,tls,pool
 *   c_suite: env WINHTTP_LOG_FILE={exe}.log
 *
 * (a program can also setenv() them before its first WinHttp* call). It makes sync and async
 * requests carrying secrets (an Authorization header, a Cookie header, server and proxy passwords
 * set by option, a Set-Cookie answer, user-info in a proxy string), one HTTPS request and one TLS
 * failure, then reads the log: every category has lines, each line carries a timestamp and a
 * thread id, and no secret appears anywhere (not even in the echoed bodies, which are not logged
 * without `body`).
 */
#include "request_driver.h"

/* What an api log line adds to the name of a function that has a UTF-16 twin. */
#if defined(WINHTTP_UTF16)
#define W16 "_u16"
#else
#define W16 ""
#endif

#define AUTH_SECRET L"Bearer auth-secret-token"
#define COOKIE_SECRET L"session=cookie-secret-value"
#define PASSWORD_SECRET L"server-password-secret"
#define PROXY_PASSWORD_SECRET L"proxy-password-secret"

/* Every secret, as it would appear in a log line. */
static const char *const secrets[] = {
    "auth-secret-token",   "cookie-secret-value",   "server-password-secret", "proxy-password-secret",
    "raw-set-cookie-value", "async-auth-secret", "async-cookie-secret",    "userinfo-secret",
};

static char *log_text;

static void read_log(const char *path)
{
    FILE *f = fopen(path, "rb");
    long n;
    CHECK(f != NULL);
    if (!f)
        return;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    log_text = calloc(1, (size_t)n + 1);
    if (log_text && fread(log_text, 1, (size_t)n, f) != (size_t)n)
        log_text[0] = 0;
    fclose(f);
}

/* Whether some line of the log contains `a` and, after it, `b` (b may be NULL). */
static int has_line(const char *a, const char *b)
{
    const char *line = log_text;
    while (line && *line) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        char buf[4096];
        const char *p;
        if (len >= sizeof buf)
            len = sizeof buf - 1;
        memcpy(buf, line, len);
        buf[len] = 0;
        p = strstr(buf, a);
        if (p && (!b || strstr(p + strlen(a), b)))
            return 1;
        line = end ? end + 1 : NULL;
    }
    return 0;
}

#define CHECK_LINE(a, b)                                                                                              \
    do {                                                                                                              \
        int found_ = has_line((a), (b));                                                                              \
        if (!found_)                                                                                                  \
            printf("  no log line with \"%s\" then \"%s\"\n", (a), (b) ? (b) : "");                                   \
        harness_check(found_, __FILE__, __LINE__, "log line: " #a " ... " #b);                                        \
    } while (0)

/* Reads a whole sync response body into `out` (NUL-terminated, cut at `cap`). */
static DWORD read_all(HINTERNET req, char *out, DWORD cap)
{
    DWORD total = 0, got = 0;
    for (;;) {
        if (!WinHttpReadData(req, out + total, cap - 1 - total, &got) || got == 0)
            break;
        total += got;
        if (total >= cap - 1)
            break;
    }
    out[total] = 0;
    return total;
}

static void sync_requests(int port)
{
    char body[8192];
    DWORD status;
    HINTERNET ses = WinHttpOpen(L"log-test", WINHTTP_ACCESS_TYPE_NO_PROXY, WINHTTP_NO_PROXY_NAME,
                                WINHTTP_NO_PROXY_BYPASS, 0);
    HINTERNET con = WinHttpConnect(ses, L"127.0.0.1", (INTERNET_PORT)port, 0);
    HINTERNET req;
    int i;
    CHECK(con != NULL);
    /* Twice: the second request reuses the pooled connection. */
    for (i = 0; i < 2; i++) {
        req = WinHttpOpenRequest(con, L"GET", L"/echo", NULL, WINHTTP_NO_REFERER, WINHTTP_DEFAULT_ACCEPT_TYPES, 0);
        CHECK_OK(WinHttpAddRequestHeaders(req, L"Authorization: " AUTH_SECRET, (DWORD)-1, WINHTTP_ADDREQ_FLAG_ADD));
        CHECK_OK(WinHttpSetOption(req, WINHTTP_OPTION_PASSWORD, PASSWORD_SECRET, (DWORD)harness_wcslen(PASSWORD_SECRET)));
        CHECK_OK(WinHttpSendRequest(req, L"Cookie: " COOKIE_SECRET, (DWORD)-1, WINHTTP_NO_REQUEST_DATA, 0, 0, 0));
        CHECK_OK(WinHttpReceiveResponse(req, NULL));
        status = query_status(req);
        CHECK_EQ(status, 200);
        read_all(req, body, sizeof body);
        /* The secrets did reach the server (it echoes the request head in the body). */
        CHECK(strstr(body, "auth-secret-token") != NULL);
        CHECK(strstr(body, "cookie-secret-value") != NULL);
        CHECK_OK(WinHttpCloseHandle(req));
    }
    {
        /* A URL with user-info: the password never reaches the log. */
        URL_COMPONENTS uc;
        memset(&uc, 0, sizeof uc);
        uc.dwStructSize = sizeof uc;
        uc.dwHostNameLength = (DWORD)-1;
        CHECK_OK(WinHttpCrackUrl(L"http://user:userinfo-secret@host.invalid/x", 0, 0, &uc));
    }
    /* A failing call: its error by name. */
    CHECK_FAILS(WinHttpReceiveResponse(NULL, NULL), ERROR_INVALID_HANDLE);
    WinHttpCloseHandle(con);
    WinHttpCloseHandle(ses);
}

/* Through the raw server acting as a plain-HTTP proxy, with a proxy password set by option. */
static void proxy_request(int raw_port)
{
    WCHAR proxy[128];
    char body[256];
    HINTERNET ses, con, req;
    /* User-info in a proxy string is never logged (the session is not used further). */
    ses = WinHttpOpen(L"log-test", WINHTTP_ACCESS_TYPE_NAMED_PROXY, L"http://user:userinfo-secret@proxy.invalid:1",
                      WINHTTP_NO_PROXY_BYPASS, 0);
    CHECK(ses != NULL);
    WinHttpCloseHandle(ses);
    harness_swprintf(proxy, sizeof proxy / sizeof proxy[0], L"127.0.0.1:%d", raw_port);
    ses = WinHttpOpen(L"log-test", WINHTTP_ACCESS_TYPE_NAMED_PROXY, proxy, WINHTTP_NO_PROXY_BYPASS, 0);
    CHECK(ses != NULL);
    con = WinHttpConnect(ses, L"origin.invalid", 80, 0);
    req = WinHttpOpenRequest(con, L"GET", L"/raw/set-cookie", NULL, WINHTTP_NO_REFERER, WINHTTP_DEFAULT_ACCEPT_TYPES,
                             0);
    CHECK_OK(WinHttpSetOption(req, WINHTTP_OPTION_PROXY_USERNAME, L"proxyuser", 9));
    CHECK_OK(WinHttpSetOption(req, WINHTTP_OPTION_PROXY_PASSWORD, PROXY_PASSWORD_SECRET,
                              (DWORD)harness_wcslen(PROXY_PASSWORD_SECRET)));
    CHECK_OK(WinHttpSendRequest(req, WINHTTP_NO_ADDITIONAL_HEADERS, 0, WINHTTP_NO_REQUEST_DATA, 0, 0, 0));
    CHECK_OK(WinHttpReceiveResponse(req, NULL));
    CHECK_EQ(query_status(req), 200);
    read_all(req, body, sizeof body);
    CHECK(strcmp(body, "ok") == 0);
    WinHttpCloseHandle(req);
    WinHttpCloseHandle(con);
    WinHttpCloseHandle(ses);
}

static void async_request(int port)
{
    static struct async_run r;
    HINTERNET ses;
    /* No pooled connection to reuse: the request connects, and completes later. */
    CHECK(close_idle_connections());
    ses = open_async_session(10000);
    HINTERNET con = WinHttpConnect(ses, L"127.0.0.1", (INTERNET_PORT)port, 0);
    memset(&r, 0, sizeof r);
    r.req = WinHttpOpenRequest(con, L"POST", L"/echo", NULL, WINHTTP_NO_REFERER, WINHTTP_DEFAULT_ACCEPT_TYPES, 0);
    CHECK(r.req != NULL);
    CHECK_OK(WinHttpAddRequestHeaders(r.req, L"Authorization: Basic async-auth-secret\r\n", (DWORD)-1,
                                      WINHTTP_ADDREQ_FLAG_ADD));
    if (!WinHttpSendRequest(r.req, L"Cookie: a=async-cookie-secret", (DWORD)-1, "data", 4, 4, (DWORD_PTR)&r))
        async_finish(&r, API_SEND_REQUEST, GetLastError());
    CHECK(driver_wait(&r.done, 10000));
    CHECK_EQ(r.o.api, 0);
    CHECK_EQ(r.o.status, 200);
    CHECK(r.o.body > 0);
    WinHttpCloseHandle(r.req);
    CHECK(driver_wait(&r.closed, 5000));
    WinHttpCloseHandle(con);
    WinHttpCloseHandle(ses);
}

/* One HTTPS GET that works and one whose certificate is not trusted. */
static int tls_requests(void)
{
    int good = harness_env_int("WINHTTP_TEST_TLS_GOOD_PORT", 0);
    int bad = harness_env_int("WINHTTP_TEST_TLS_UNKNOWN_CA_PORT", 0);
    HINTERNET ses, con, req;
    char body[256];
    if (!good || !bad) {
        printf("tls lines skipped: no TLS test servers\n");
        return 0;
    }
    ses = WinHttpOpen(L"log-test", WINHTTP_ACCESS_TYPE_NO_PROXY, WINHTTP_NO_PROXY_NAME, WINHTTP_NO_PROXY_BYPASS, 0);
    con = WinHttpConnect(ses, L"127.0.0.1", (INTERNET_PORT)good, 0);
    req = WinHttpOpenRequest(con, L"GET", L"/hello", NULL, WINHTTP_NO_REFERER, WINHTTP_DEFAULT_ACCEPT_TYPES,
                             WINHTTP_FLAG_SECURE);
    CHECK_OK(WinHttpSendRequest(req, WINHTTP_NO_ADDITIONAL_HEADERS, 0, WINHTTP_NO_REQUEST_DATA, 0, 0, 0));
    CHECK_OK(WinHttpReceiveResponse(req, NULL));
    read_all(req, body, sizeof body);
    WinHttpCloseHandle(req);
    WinHttpCloseHandle(con);
    con = WinHttpConnect(ses, L"127.0.0.1", (INTERNET_PORT)bad, 0);
    req = WinHttpOpenRequest(con, L"GET", L"/hello", NULL, WINHTTP_NO_REFERER, WINHTTP_DEFAULT_ACCEPT_TYPES,
                             WINHTTP_FLAG_SECURE);
    CHECK_FAILS(WinHttpSendRequest(req, WINHTTP_NO_ADDITIONAL_HEADERS, 0, WINHTTP_NO_REQUEST_DATA, 0, 0, 0),
                ERROR_WINHTTP_SECURE_INVALID_CA);
    WinHttpCloseHandle(req);
    WinHttpCloseHandle(con);
    WinHttpCloseHandle(ses);
    return 1;
}

int main(void)
{
    const char *path = getenv("WINHTTP_LOG_FILE");
    const char *line;
    int port = harness_env_int("WINHTTP_TEST_PORT", 0);
    int raw_port = harness_env_int("WINHTTP_TEST_RAW_PORT", 0);
    int tls;
    size_t i;
    FILE *f;
    if (!path || !*path || !getenv("WINHTTP_LOG") || !port || !raw_port) {
        printf("skipped: run by tests/c_suite.rs (WINHTTP_LOG, WINHTTP_LOG_FILE and the test servers)\n");
        return harness_report();
    }
    /* The library appends: start from an empty file (before its first use). */
    f = fopen(path, "w");
    CHECK(f != NULL);
    if (f)
        fclose(f);

    sync_requests(port);
    proxy_request(raw_port);
    async_request(port);
    tls = tls_requests();

    read_log(path);
    CHECK(log_text != NULL && *log_text);
    if (!log_text)
        return harness_report();

    /* Every line: "<UTC time> tid=<n> <category> ..." */
    for (line = log_text; *line;) {
        const char *end = strchr(line, '\n');
        int ok = strlen(line) > 28 && line[4] == '-' && line[10] == 'T' && line[26] == 'Z' &&
                 strncmp(line + 27, " tid=", 5) == 0;
        if (!ok)
            printf("  malformed line: %.80s\n", line);
        CHECK(ok);
        if (!end)
            break;
        line = end + 1;
    }

    /* api: arguments, results, last errors by name. A 16-bit WCHAR program calls the _u16 twins of
     * the functions that take wide strings, and the lines name them so (W16 below). */
    CHECK_LINE(" api WinHttpOpen" W16 "(agent=\"log-test\"", "-> 0x");
    CHECK_LINE(" api WinHttpOpen" W16 "(", "proxy=\"http://<redacted>@proxy.invalid:1\"");
    CHECK_LINE(" api WinHttpConnect" W16 "(", "server=\"127.0.0.1\"");
    CHECK_LINE(" api WinHttpCrackUrl" W16 "(url=\"http://<redacted>@host.invalid/x\"", "-> TRUE");
    CHECK_LINE(" api WinHttpSendRequest" W16 "(", "TRUE, last error ERROR_SUCCESS");
    /* The async one (ERROR_IO_PENDING, or ERROR_SUCCESS when it completed before returning). */
    CHECK_LINE(" api WinHttpSendRequest" W16 "(", "optional=4 bytes, total=4, context=0x");
    CHECK_LINE(" api WinHttpQueryDataAvailable(", "-> TRUE");
    CHECK_LINE(" api WinHttpSetStatusCallback" W16 "(", "flags=0x");
    CHECK_LINE(" api WinHttpReceiveResponse(hRequest=NULL)", "FALSE, last error ERROR_INVALID_HANDLE");
    CHECK_LINE(" api WinHttpAddRequestHeaders" W16 "(", "Authorization: <redacted>");
    CHECK_LINE(" api WinHttpSetOption" W16 "(", "WINHTTP_OPTION_PROXY_PASSWORD, <redacted>");
    CHECK_LINE(" api WinHttpSetOption" W16 "(", "WINHTTP_OPTION_PASSWORD, <redacted>");
    CHECK_LINE(" api WinHttpReadData(", "last error ERROR_SUCCESS");
    CHECK_LINE(" api WinHttpCloseHandle(", "TRUE");
    /* callbacks: the async request's notifications, by name. */
    CHECK_LINE(" callbacks h=0x", "SENDREQUEST_COMPLETE");
    CHECK_LINE(" callbacks h=0x", "HEADERS_AVAILABLE");
    CHECK_LINE(" callbacks h=0x", "READ_COMPLETE");
    CHECK_LINE(" callbacks h=0x", "HANDLE_CLOSING");
    CHECK_LINE(" callbacks h=0x", "CONNECTED_TO_SERVER \"127.0.0.1\"");
    /* wire: both heads, secrets redacted. */
    CHECK_LINE(" wire h=0x", "> GET /echo HTTP/1.1");
    CHECK_LINE(" wire h=0x", "> POST /echo HTTP/1.1");
    CHECK_LINE(" wire h=0x", "> Authorization: <redacted>");
    CHECK_LINE(" wire h=0x", "> Cookie: <redacted>");
    CHECK_LINE(" wire h=0x", "> GET http://origin.invalid/raw/set-cookie HTTP/1.1");
    CHECK_LINE(" wire h=0x", "< HTTP/1.1 200 OK");
    CHECK_LINE(" wire h=0x", "< Set-Cookie: <redacted>");
    /* pool: opened, pooled, reused, closed with a reason. */
    CHECK_LINE(" pool opening a connection to http://127.0.0.1:", NULL);
    CHECK_LINE(" pool pooled ", NULL);
    CHECK_LINE(" pool reused ", NULL);
    CHECK_LINE(" pool closed ", "(no keep-alive)");
    CHECK_LINE(" pool h=0x", "(pooled)");
    CHECK_LINE(" pool closed ", "(idle connections closed on request)");
    /* tls: the outcome of each handshake. */
    if (tls) {
        CHECK_LINE(" tls h=0x", "TLS 1.3 with 127.0.0.1");
        CHECK_LINE(" tls h=0x", "failed: certificate problems INVALID_CA -> ERROR_WINHTTP_SECURE_INVALID_CA");
    }
    /* No body without `body`, no secret anywhere. */
    CHECK(strstr(log_text, " body ") == NULL);
    for (i = 0; i < sizeof secrets / sizeof secrets[0]; i++) {
        int leaked = strstr(log_text, secrets[i]) != NULL;
        if (leaked)
            printf("  secret \"%s\" in the log\n", secrets[i]);
        CHECK(!leaked);
    }
    if (harness_failed)
        printf("--- log ---\n%s--- end ---\n", log_text);
    free(log_text);
    return harness_report();
}
