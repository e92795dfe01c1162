/*
 * WINHTTP_OPTION_DECOMPRESSION, sync and async, against tests/support/coding_server.py
 * (WINHTTP_TEST_CODING_PORT; every body compressed there by Python's zlib, brotli, zstandard):
 *  - Accept-Encoding sent as asked ("gzip, deflate"), not when the option is unset, and never over
 *    the caller's own;
 *  - gzip, x-gzip, zlib deflate, raw deflate, gzip in chunks: WinHttpReadData gives the body of
 *    /plain, in small reads, large reads and the QueryDataAvailable-then-ReadData pattern (reading
 *    what QDA reported returns exactly that much); Content-Encoding and Content-Length are gone
 *    from the headers afterwards;
 *  - a coding not asked for (deflate with GZIP only, br and zstd without our extension flags, two
 *    codings) is left alone with its headers; br and zstd decoded when asked through
 *    WINHTTP_DECOMPRESSION_FLAG_PORTABLE_BROTLI/_ZSTD (skipped when the server lacks the module);
 *  - corrupt, truncated and bomb bodies fail the read with ERROR_WINHTTP_INVALID_SERVER_RESPONSE;
 *    WINHTTP_OPTION_PORTABLE_DECOMPRESSION_RATIO raised lets the bomb through;
 *  - the option set on the session reaches its requests; invalid flags refused;
 *  - the connection is reused after a decoded body (its encoded bytes all consumed);
 *  - nginx with gzip on (WINHTTP_TEST_NGINX_GZIP_PORT, tests/support/peers.rs): its on-the-fly
 *    chunked gzip decoded to the file it serves plain, on one keep-alive connection.
 */
#include "auth_steps.h"
#include <stdio.h>

static INTERNET_PORT port;
static char *plain_body;
static DWORD plain_len;

struct got {
    DWORD status;
    DWORD error; /* 0: every call worked */
    char *body;
    DWORD len;
    int qda_mismatch; /* a read after QDA reported n gave something else */
    WCHAR local[64];  /* the connection's local address, from WINHTTP_OPTION_CONNECTION_INFO */
};

static HINTERNET session(void)
{
    HINTERNET ses = WinHttpOpen(L"winhttp-test/1.0", WINHTTP_ACCESS_TYPE_NO_PROXY, WINHTTP_NO_PROXY_NAME,
                                WINHTTP_NO_PROXY_BYPASS, is_async ? WINHTTP_FLAG_ASYNC : 0);
    CHECK(ses != NULL);
    WinHttpSetTimeouts(ses, 20000, 20000, 20000, 20000);
    if (is_async)
        WinHttpSetStatusCallback(ses, callback, WINHTTP_CALLBACK_FLAG_ALL_NOTIFICATIONS, 0);
    return ses;
}

static void append(struct got *g, const char *data, DWORD n)
{
    g->body = realloc(g->body, g->len + n + 1);
    memcpy(g->body + g->len, data, n);
    g->len += n;
    g->body[g->len] = 0;
}

/* GET `path` with WINHTTP_OPTION_DECOMPRESSION `flags` (unset when (DWORD)-1), reads of
 * `chunk` bytes (0: QueryDataAvailable then ReadData of what it reported), `headers` added. */
static struct got fetch(HINTERNET con, const WCHAR *path, DWORD flags, DWORD chunk, const WCHAR *headers, DWORD ratio)
{
    struct got g;
    char *buf = malloc(chunk ? chunk : 1);
    HINTERNET req = open_req(con, L"GET", path);
    memset(&g, 0, sizeof g);
    g.body = calloc(1, 1);
    if (flags != (DWORD)-1)
        CHECK_OK(WinHttpSetOption(req, WINHTTP_OPTION_DECOMPRESSION, &flags, sizeof flags));
    if (ratio != (DWORD)-1)
        CHECK_OK(WinHttpSetOption(req, WINHTTP_OPTION_PORTABLE_DECOMPRESSION_RATIO, &ratio, sizeof ratio));
    if (headers)
        CHECK_OK(WinHttpAddRequestHeaders(req, headers, (DWORD)-1L, WINHTTP_ADDREQ_FLAG_ADD));
    if (!send_req(req, NULL, 0, 0) || !receive(req)) {
        g.error = GetLastError();
        goto out;
    }
    g.status = status_of(req);
    {
        WINHTTP_CONNECTION_INFO info;
        DWORD size = sizeof info;
        memset(&info, 0, sizeof info);
        info.cbSize = sizeof info;
        if (WinHttpQueryOption(req, WINHTTP_OPTION_CONNECTION_INFO, &info, &size)) {
            const unsigned char *a = (const unsigned char *)&info.LocalAddress; /* a SOCKADDR_IN */
            harness_swprintf(g.local, 64, L"%u", (unsigned)((a[2] << 8) | a[3]));
        }
    }
    for (;;) {
        DWORD n = 0, want = chunk;
        if (!chunk) {
            arm();
            if (!await_call(WinHttpQueryDataAvailable(req, is_async ? NULL : &n), &n)) {
                g.error = GetLastError();
                break;
            }
            if (n == 0)
                break;
            want = n;
            buf = realloc(buf, n);
        }
        arm();
        n = 0;
        if (!await_call(WinHttpReadData(req, buf, want, is_async ? NULL : &n), &n)) {
            g.error = GetLastError();
            break;
        }
        if (!chunk && n != want)
            g.qda_mismatch++;
        if (n == 0)
            break;
        append(&g, buf, n);
    }
out:
    free(buf);
    close_req(req);
    return g;
}

static int is_plain(const struct got *g)
{
    return g->error == 0 && g->len == plain_len && memcmp(g->body, plain_body, plain_len) == 0;
}

static int has_header(HINTERNET con, const WCHAR *path, DWORD flags, const WCHAR *name)
{
    /* Opens, sends, receives, then asks for `name`. */
    HINTERNET req = open_req(con, L"GET", path);
    WCHAR buf[256];
    DWORD size = sizeof buf;
    int found;
    if (flags != (DWORD)-1)
        CHECK_OK(WinHttpSetOption(req, WINHTTP_OPTION_DECOMPRESSION, &flags, sizeof flags));
    CHECK(send_req(req, NULL, 0, 0) && receive(req));
    found = WinHttpQueryHeaders(req, WINHTTP_QUERY_CUSTOM, name, buf, &size, WINHTTP_NO_HEADER_INDEX);
    if (!found)
        CHECK_EQ(GetLastError(), ERROR_WINHTTP_HEADER_NOT_FOUND);
    close_req(req);
    return found;
}

static void test_accept_encoding(HINTERNET con)
{
    struct got g = fetch(con, L"/headers", (DWORD)-1, 4096, NULL, (DWORD)-1);
    CHECK(g.status == 200 && strstr(g.body, "Accept-Encoding") == NULL);
    free(g.body);
    g = fetch(con, L"/headers", WINHTTP_DECOMPRESSION_FLAG_ALL, 4096, NULL, (DWORD)-1);
    CHECK(strstr(g.body, "\nAccept-Encoding: gzip, deflate\n") != NULL);
    free(g.body);
    g = fetch(con, L"/headers", WINHTTP_DECOMPRESSION_FLAG_GZIP, 4096, NULL, (DWORD)-1);
    CHECK(strstr(g.body, "\nAccept-Encoding: gzip\n") != NULL);
    free(g.body);
    g = fetch(con, L"/headers",
              WINHTTP_DECOMPRESSION_FLAG_ALL | WINHTTP_DECOMPRESSION_FLAG_PORTABLE_BROTLI |
                  WINHTTP_DECOMPRESSION_FLAG_PORTABLE_ZSTD,
              4096, NULL, (DWORD)-1);
    CHECK(strstr(g.body, "\nAccept-Encoding: gzip, deflate, br, zstd\n") != NULL);
    free(g.body);
    /* The caller's own wins, and is the only one. */
    g = fetch(con, L"/headers", WINHTTP_DECOMPRESSION_FLAG_ALL, 4096, L"Accept-Encoding: identity\r\n", (DWORD)-1);
    CHECK(strstr(g.body, "Accept-Encoding: identity\n") != NULL);
    CHECK(strstr(g.body, "gzip") == NULL);
    free(g.body);
}

static void test_codings(HINTERNET con)
{
    static const WCHAR *paths[] = {L"/gzip", L"/x-gzip", L"/deflate", L"/deflate-raw", L"/gzip-chunked"};
    static const DWORD chunks[] = {1000, 1 << 20, 0};
    size_t i, j;
    for (i = 0; i < sizeof paths / sizeof *paths; i++) {
        for (j = 0; j < sizeof chunks / sizeof *chunks; j++) {
            struct got g = fetch(con, paths[i], WINHTTP_DECOMPRESSION_FLAG_ALL, chunks[j], NULL, (DWORD)-1);
            if (!is_plain(&g))
                printf("  %s in reads of %lu: error %lu, %lu bytes\n", harness_narrow(paths[i]), (unsigned long)chunks[j],
                       (unsigned long)g.error, (unsigned long)g.len);
            CHECK(is_plain(&g));
            CHECK_EQ(g.qda_mismatch, 0);
            free(g.body);
        }
        CHECK(!has_header(con, paths[i], WINHTTP_DECOMPRESSION_FLAG_ALL, L"Content-Encoding"));
        CHECK(!has_header(con, paths[i], WINHTTP_DECOMPRESSION_FLAG_ALL, L"Content-Length"));
    }
    /* Through a redirect: the next attempt asks for the codings too, and its body is decoded. */
    {
        struct got g = fetch(con, L"/cookie/redirect?to=/gzip", WINHTTP_DECOMPRESSION_FLAG_ALL, 0, NULL, (DWORD)-1);
        CHECK(is_plain(&g));
        free(g.body);
    }
    /* HEAD: no body to decode, nothing fails. */
    {
        HINTERNET req = open_req(con, L"HEAD", L"/gzip");
        DWORD v = WINHTTP_DECOMPRESSION_FLAG_ALL, n = 1;
        char b[16];
        CHECK_OK(WinHttpSetOption(req, WINHTTP_OPTION_DECOMPRESSION, &v, sizeof v));
        CHECK(send_req(req, NULL, 0, 0) && receive(req));
        CHECK_EQ(status_of(req), 200);
        arm();
        CHECK(await_call(WinHttpReadData(req, b, sizeof b, is_async ? NULL : &n), &n));
        CHECK_EQ(n, 0);
        close_req(req);
    }
    /* Reads of a few bytes. */
    {
        struct got g = fetch(con, L"/gzip-chunked", WINHTTP_DECOMPRESSION_FLAG_GZIP, 7, NULL, (DWORD)-1);
        CHECK(is_plain(&g));
        free(g.body);
    }
    /* Without the option: the bytes and headers as sent. */
    {
        struct got g = fetch(con, L"/gzip", (DWORD)-1, 65536, NULL, (DWORD)-1);
        CHECK(g.error == 0 && g.len > 0 && g.len < plain_len && (unsigned char)g.body[0] == 0x1f);
        free(g.body);
        CHECK(has_header(con, L"/gzip", (DWORD)-1, L"Content-Encoding"));
        CHECK(has_header(con, L"/gzip", (DWORD)-1, L"Content-Length"));
    }
    /* A coding not asked for is left alone. */
    {
        struct got g = fetch(con, L"/deflate", WINHTTP_DECOMPRESSION_FLAG_GZIP, 65536, NULL, (DWORD)-1);
        CHECK(g.error == 0 && g.len > 0 && g.len < plain_len);
        free(g.body);
        CHECK(has_header(con, L"/deflate", WINHTTP_DECOMPRESSION_FLAG_GZIP, L"Content-Encoding"));
        g = fetch(con, L"/double", WINHTTP_DECOMPRESSION_FLAG_ALL | WINHTTP_DECOMPRESSION_FLAG_PORTABLE_BROTLI, 65536,
                  NULL, (DWORD)-1);
        CHECK(g.error == 0 && g.len > 0 && g.len < plain_len);
        free(g.body);
    }
    /* Our extensions: br and zstd when asked. */
    {
        static const WCHAR *ext[] = {L"/br", L"/zstd"};
        static const DWORD flag[] = {WINHTTP_DECOMPRESSION_FLAG_PORTABLE_BROTLI, WINHTTP_DECOMPRESSION_FLAG_PORTABLE_ZSTD};
        for (i = 0; i < 2; i++) {
            struct got g = fetch(con, ext[i], WINHTTP_DECOMPRESSION_FLAG_ALL, 65536, NULL, (DWORD)-1);
            if (g.status == 501) {
                printf("%s skipped: the server lacks its Python module\n", harness_narrow(ext[i]));
                free(g.body);
                continue;
            }
            CHECK(g.error == 0 && g.len > 0 && g.len < plain_len); /* not asked: as sent */
            free(g.body);
            for (j = 0; j < sizeof chunks / sizeof *chunks; j++) {
                g = fetch(con, ext[i], flag[i], chunks[j], NULL, (DWORD)-1);
                CHECK(is_plain(&g));
                CHECK_EQ(g.qda_mismatch, 0);
                free(g.body);
            }
        }
    }
}

static void test_errors(HINTERNET con)
{
    static const WCHAR *bad[] = {L"/corrupt/gzip", L"/truncated/gzip", L"/corrupt/deflate", L"/truncated/deflate",
                                 L"/bomb/gzip"};
    size_t i;
    for (i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct got g = fetch(con, bad[i], WINHTTP_DECOMPRESSION_FLAG_ALL, 65536, NULL, (DWORD)-1);
        if (g.error != ERROR_WINHTTP_INVALID_SERVER_RESPONSE)
            printf("  %s: error %lu after %lu bytes\n", harness_narrow(bad[i]), (unsigned long)g.error, (unsigned long)g.len);
        CHECK_EQ(g.error, ERROR_WINHTTP_INVALID_SERVER_RESPONSE);
        free(g.body);
        g = fetch(con, bad[i], WINHTTP_DECOMPRESSION_FLAG_ALL, 0, NULL, (DWORD)-1);
        CHECK_EQ(g.error, ERROR_WINHTTP_INVALID_SERVER_RESPONSE);
        free(g.body);
    }
    /* Our extensions fail the same way (skipped when the server lacks the module: 501). */
    {
        static const WCHAR *ext[] = {L"/corrupt/br", L"/truncated/br", L"/corrupt/zstd", L"/truncated/zstd"};
        DWORD flags = WINHTTP_DECOMPRESSION_FLAG_PORTABLE_BROTLI | WINHTTP_DECOMPRESSION_FLAG_PORTABLE_ZSTD;
        for (i = 0; i < sizeof ext / sizeof *ext; i++) {
            struct got g = fetch(con, ext[i], flags, 0, NULL, (DWORD)-1);
            if (g.status != 501)
                CHECK_EQ(g.error, ERROR_WINHTTP_INVALID_SERVER_RESPONSE);
            free(g.body);
        }
    }
    /* The bomb's cap lifted (0: no cap): all 64 MiB of zeros. */
    if (!is_async) {
        struct got g = fetch(con, L"/bomb/gzip", WINHTTP_DECOMPRESSION_FLAG_GZIP, 1 << 20, NULL, 0);
        CHECK_EQ(g.error, 0);
        CHECK_EQ(g.len, 64u << 20);
        free(g.body);
    }
}

static void test_options(HINTERNET ses)
{
    DWORD v = WINHTTP_DECOMPRESSION_FLAG_ALL | 0x4, size = sizeof v;
    CHECK_FAILS(WinHttpSetOption(ses, WINHTTP_OPTION_DECOMPRESSION, &v, sizeof v), ERROR_INVALID_PARAMETER);
    v = 0;
    CHECK_OK(WinHttpQueryOption(ses, WINHTTP_OPTION_PORTABLE_DECOMPRESSION_RATIO, &v, &size));
    CHECK_EQ(v, 1000);
    v = 5000;
    CHECK_OK(WinHttpSetOption(ses, WINHTTP_OPTION_PORTABLE_DECOMPRESSION_RATIO, &v, sizeof v));
    v = 0;
    size = sizeof v;
    CHECK_OK(WinHttpQueryOption(ses, WINHTTP_OPTION_PORTABLE_DECOMPRESSION_RATIO, &v, &size));
    CHECK_EQ(v, 5000);
    v = 1000;
    CHECK_OK(WinHttpSetOption(ses, WINHTTP_OPTION_PORTABLE_DECOMPRESSION_RATIO, &v, sizeof v));
}

static void test_session_option_and_reuse(void)
{
    DWORD v = WINHTTP_DECOMPRESSION_FLAG_GZIP;
    HINTERNET ses = session(), con;
    struct got a, b;
    CHECK_OK(WinHttpSetOption(ses, WINHTTP_OPTION_DECOMPRESSION, &v, sizeof v));
    con = WinHttpConnect(ses, L"127.0.0.1", port, 0);
    a = fetch(con, L"/gzip", (DWORD)-1, 4096, NULL, (DWORD)-1);
    CHECK(is_plain(&a));
    b = fetch(con, L"/gzip-chunked", (DWORD)-1, 0, NULL, (DWORD)-1);
    CHECK(is_plain(&b));
    /* The same connection: the decoded bodies left it clean for the pool. */
    CHECK(a.local[0] && harness_wcscmp(a.local, b.local) == 0);
    free(a.body);
    free(b.body);
    a = fetch(con, L"/plain", (DWORD)-1, 4096, NULL, (DWORD)-1);
    CHECK(is_plain(&a));
    CHECK(harness_wcscmp(a.local, b.local) == 0);
    free(a.body);
    WinHttpCloseHandle(con);
    WinHttpCloseHandle(ses);
}

/* nginx with gzip on: the same file decoded (chunked gzip made by nginx) and as sent plain. */
static void test_nginx(void)
{
    int nport = harness_env_int("WINHTTP_TEST_NGINX_GZIP_PORT", 0);
    HINTERNET ses, con;
    struct got plain, zipped, qda, small;
    if (!nport) {
        printf("nginx gzip tests skipped: nginx is not running (not installed?)\n");
        return;
    }
    ses = session();
    con = WinHttpConnect(ses, L"127.0.0.1", (INTERNET_PORT)nport, 0);
    plain = fetch(con, L"/big.txt", (DWORD)-1, 65536, NULL, (DWORD)-1);
    CHECK(plain.status == 200 && plain.error == 0 && plain.len > 1000000);
    /* nginx did compress (the caller's own Accept-Encoding, no decoding): a gzip stream. */
    zipped = fetch(con, L"/big.txt", (DWORD)-1, 65536, L"Accept-Encoding: gzip\r\n", (DWORD)-1);
    CHECK(zipped.error == 0 && zipped.len > 0 && zipped.len < plain.len / 4 && (unsigned char)zipped.body[0] == 0x1f);
    free(zipped.body);
    zipped = fetch(con, L"/big.txt", WINHTTP_DECOMPRESSION_FLAG_ALL, 65536, NULL, (DWORD)-1);
    CHECK(zipped.error == 0 && zipped.len == plain.len && memcmp(zipped.body, plain.body, plain.len) == 0);
    qda = fetch(con, L"/big.txt", WINHTTP_DECOMPRESSION_FLAG_GZIP, 0, NULL, (DWORD)-1);
    CHECK(qda.error == 0 && qda.len == plain.len && memcmp(qda.body, plain.body, plain.len) == 0);
    CHECK_EQ(qda.qda_mismatch, 0);
    small = fetch(con, L"/small.txt", WINHTTP_DECOMPRESSION_FLAG_GZIP, 3, NULL, (DWORD)-1);
    CHECK(small.error == 0 && small.len == 18 && memcmp(small.body, "a small text file\n", 18) == 0);
    /* All on one keep-alive connection. */
    if (!(plain.local[0] && harness_wcscmp(plain.local, small.local) == 0 && harness_wcscmp(qda.local, small.local) == 0))
        printf("  local ports %s %s %s\n", harness_narrow(plain.local), harness_narrow(qda.local), harness_narrow(small.local));
    CHECK(plain.local[0] && harness_wcscmp(plain.local, small.local) == 0 && harness_wcscmp(qda.local, small.local) == 0);
    /* The headers (these requests are closed before their bodies are read). */
    CHECK(has_header(con, L"/big.txt", (DWORD)-1, L"Content-Length"));
    CHECK(!has_header(con, L"/big.txt", (DWORD)-1, L"Content-Encoding"));
    CHECK(!has_header(con, L"/big.txt", WINHTTP_DECOMPRESSION_FLAG_GZIP, L"Content-Encoding"));
    CHECK(!has_header(con, L"/big.txt", WINHTTP_DECOMPRESSION_FLAG_GZIP, L"Content-Length"));
    free(plain.body);
    free(zipped.body);
    free(qda.body);
    free(small.body);
    WinHttpCloseHandle(con);
    WinHttpCloseHandle(ses);
}

int main(void)
{
    port = (INTERNET_PORT)harness_env_int("WINHTTP_TEST_CODING_PORT", 0);
    for (is_async = 0; is_async < 2; is_async++)
        test_nginx();
    if (!port) {
        printf("decompression tests skipped: coding_server.py is not running (python3)\n");
        return harness_report();
    }
    for (is_async = 0; is_async < 2; is_async++) {
        HINTERNET ses = session(), con = WinHttpConnect(ses, L"127.0.0.1", port, 0);
        struct got ref;
        printf("-- %s\n", is_async ? "async" : "sync");
        ref = fetch(con, L"/plain", WINHTTP_DECOMPRESSION_FLAG_ALL, 65536, NULL, (DWORD)-1);
        CHECK(ref.status == 200 && ref.len == 300000);
        free(plain_body);
        plain_body = ref.body;
        plain_len = ref.len;
        test_accept_encoding(con);
        test_codings(con);
        test_errors(con);
        test_options(ses);
        test_session_option_and_reuse();
        WinHttpCloseHandle(con);
        WinHttpCloseHandle(ses);
    }
    free(plain_body);
    return harness_report();
}
