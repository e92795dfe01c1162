/*
 * WINHTTP_LOG with `body`: bodies sent (SendRequest's optional data, WriteData) and received (sync
 * ReadData, async READ_COMPLETE) appear as `wire` lines, and only the categories asked for appear.
 * The runner starts this program with
 *
 *   c_suite: env WINHTTP_LOG=wire,body
 *   c_suite: env WINHTTP_LOG_FILE={exe}.log
 */
#include "request_driver.h"

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

#define CHECK_LOG(s)                                                                                                  \
    do {                                                                                                              \
        int found_ = log_text && strstr(log_text, (s)) != NULL;                                                       \
        if (!found_)                                                                                                  \
            printf("  not in the log: %s\n", (s));                                                                    \
        harness_check(found_, __FILE__, __LINE__, "in the log: " #s);                                                 \
    } while (0)

int main(void)
{
    const char *path = getenv("WINHTTP_LOG_FILE");
    int port = harness_env_int("WINHTTP_TEST_PORT", 0);
    HINTERNET ses, con, req;
    static struct async_run r;
    char buf[4096];
    DWORD got = 0, written = 0;
    FILE *f;
    if (!path || !*path || !getenv("WINHTTP_LOG") || !port) {
        printf("skipped: run by tests/c_suite.rs (WINHTTP_LOG, WINHTTP_LOG_FILE and the test server)\n");
        return harness_report();
    }
    f = fopen(path, "w");
    if (f)
        fclose(f);

    /* Sync: optional data, then WriteData, then the echoed body read back. */
    ses = WinHttpOpen(L"log-body", WINHTTP_ACCESS_TYPE_NO_PROXY, WINHTTP_NO_PROXY_NAME, WINHTTP_NO_PROXY_BYPASS, 0);
    con = WinHttpConnect(ses, L"127.0.0.1", (INTERNET_PORT)port, 0);
    req = WinHttpOpenRequest(con, L"POST", L"/echo", NULL, WINHTTP_NO_REFERER, WINHTTP_DEFAULT_ACCEPT_TYPES, 0);
    CHECK_OK(WinHttpSendRequest(req, WINHTTP_NO_ADDITIONAL_HEADERS, 0, "first-part;", 11, 22, 0));
    CHECK_OK(WinHttpWriteData(req, "second-part", 11, &written));
    CHECK_OK(WinHttpReceiveResponse(req, NULL));
    while (WinHttpReadData(req, buf, sizeof buf, &got) && got > 0) {
    }
    WinHttpCloseHandle(req);
    WinHttpCloseHandle(con);
    WinHttpCloseHandle(ses);

    /* Async: the body arrives through READ_COMPLETE. */
    ses = open_async_session(10000);
    con = WinHttpConnect(ses, L"127.0.0.1", (INTERNET_PORT)port, 0);
    memset(&r, 0, sizeof r);
    r.req = WinHttpOpenRequest(con, L"GET", L"/hello", NULL, WINHTTP_NO_REFERER, WINHTTP_DEFAULT_ACCEPT_TYPES, 0);
    if (!WinHttpSendRequest(r.req, WINHTTP_NO_ADDITIONAL_HEADERS, 0, WINHTTP_NO_REQUEST_DATA, 0, 0, (DWORD_PTR)&r))
        async_finish(&r, API_SEND_REQUEST, GetLastError());
    CHECK(driver_wait(&r.done, 10000));
    CHECK_EQ(r.o.status, 200);
    WinHttpCloseHandle(r.req);
    CHECK(driver_wait(&r.closed, 5000));
    WinHttpCloseHandle(con);
    WinHttpCloseHandle(ses);

    read_log(path);
    CHECK_LOG("> POST /echo HTTP/1.1");
    CHECK_LOG("> body 11 bytes \"first-part;\"");
    CHECK_LOG("> body 11 bytes \"second-part\"");
    CHECK_LOG("< body "); /* the echo: request line, headers, then the body sent */
    CHECK_LOG("first-part;second-part\"");
    CHECK_LOG("< body 13 bytes \"Hello, world!\""); /* async, from READ_COMPLETE */
    /* Only the categories asked for. */
    CHECK(log_text && strstr(log_text, " api ") == NULL);
    CHECK(log_text && strstr(log_text, " callbacks ") == NULL);
    CHECK(log_text && strstr(log_text, " pool ") == NULL);
    if (harness_failed && log_text)
        printf("--- log ---\n%s--- end ---\n", log_text);
    free(log_text);
    return harness_report();
}
