/*
 * Benchmark client "libcurl": the easy interface doing the same work as bench_winhttp.c. One easy
 * handle reused for every GET (so libcurl keeps the connection alive); the write callback only
 * counts bytes (the data is consumed in libcurl's buffer, whose size CURLOPT_BUFFERSIZE sets to the
 * same size as our fixed read buffer); uploads use CURLOPT_UPLOAD with a read callback that fills
 * libcurl's upload buffer (CURLOPT_UPLOAD_BUFFERSIZE = the chunk size) from the same pattern.
 * "Expect: 100-continue" is switched off, as WinHTTP does not send it; CURLOPT_NOSIGNAL is on, as
 * multi-threaded programs set it (it made no measurable difference here).
 * See common.h for the command line and the output line.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

struct upload_src {
    const char *piece;
    size_t chunk;
    curl_off_t left;
};

static size_t count_body(char *data, size_t size, size_t nmemb, void *userp)
{
    (void)data;
    *(unsigned long long *)userp += size * nmemb;
    return size * nmemb;
}

static size_t discard(char *data, size_t size, size_t nmemb, void *userp)
{
    (void)data;
    (void)userp;
    return size * nmemb;
}

static size_t fill_upload(char *buf, size_t size, size_t nitems, void *userp)
{
    struct upload_src *src = userp;
    size_t room = size * nitems, n = room < src->chunk ? room : src->chunk;
    if ((curl_off_t)n > src->left)
        n = (size_t)src->left;
    memcpy(buf, src->piece, n);
    src->left -= (curl_off_t)n;
    return n;
}

static void check(CURLcode rc, const char *what)
{
    if (rc != CURLE_OK) {
        fprintf(stderr, "bench_curl: %s: %s\n", what, curl_easy_strerror(rc));
        exit(1);
    }
}

static long status_of(CURL *h)
{
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    return status;
}

int main(int argc, char **argv)
{
    char url[2048];
    CURL *h;
    struct bench_clock clk;

    if (argc < 6) {
        fprintf(stderr, "usage: %s gets|download|upload HOST PORT PATH ARG [CHUNK]\n", argv[0]);
        return 2;
    }
    snprintf(url, sizeof(url), "http://%s:%s%s", argv[2], argv[3], argv[4]);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    h = curl_easy_init();
    if (!h)
        bench_die("curl_easy_init");
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_PROXY, ""); /* ignore http_proxy from the environment */
    curl_easy_setopt(h, CURLOPT_USERAGENT, "bench/1.0");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L); /* as multi-threaded programs set it: no SIGPIPE/SIGALRM juggling */

    if (strcmp(argv[1], "gets") == 0) {
        unsigned long count = strtoul(argv[5], NULL, 10), i;
        unsigned long long bytes = 0, warm = 0;
        long connects = 0;
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, count_body);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &warm);
        check(curl_easy_perform(h), "warm-up GET"); /* connects */
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &bytes);
        bench_start(&clk);
        for (i = 0; i < count; i++) {
            check(curl_easy_perform(h), "GET");
            if (status_of(h) != 200)
                bench_die("GET: status is not 200");
        }
        bench_report(&clk, "gets", "libcurl", bytes, count);
        curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &connects);
        if (connects != 0)
            bench_die("GET: libcurl opened a new connection (keep-alive lost)");
    } else if (strcmp(argv[1], "download") == 0) {
        long bufsize = strtol(argv[5], NULL, 10);
        unsigned long long bytes = 0;
        char row[32];
        snprintf(row, sizeof(row), "download%ldk", bufsize / 1024);
        curl_easy_setopt(h, CURLOPT_BUFFERSIZE, bufsize);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, count_body);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &bytes);
        bench_start(&clk);
        check(curl_easy_perform(h), "download");
        if (status_of(h) != 200)
            bench_die("download: status is not 200");
        bench_report(&clk, row, "libcurl", bytes, 1);
    } else if (strcmp(argv[1], "upload") == 0) {
        curl_off_t total = (curl_off_t)strtoull(argv[5], NULL, 10);
        size_t chunk = argc > 6 ? (size_t)strtoul(argv[6], NULL, 10) : 65536;
        struct upload_src src;
        struct curl_slist *hdrs = curl_slist_append(NULL, "Expect:");
        long status;
        src.piece = bench_pattern(chunk);
        src.chunk = chunk;
        src.left = total;
        curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, total);
        curl_easy_setopt(h, CURLOPT_UPLOAD_BUFFERSIZE, (long)chunk);
        curl_easy_setopt(h, CURLOPT_READFUNCTION, fill_upload);
        curl_easy_setopt(h, CURLOPT_READDATA, &src);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
        bench_start(&clk);
        check(curl_easy_perform(h), "upload");
        status = status_of(h);
        if (status != 201 && status != 204)
            bench_die("upload: status is not 201/204");
        bench_report(&clk, "upload", "libcurl", (unsigned long long)(total - src.left), 1);
        curl_slist_free_all(hdrs);
    } else {
        bench_die("unknown mode");
    }
    curl_easy_cleanup(h);
    curl_global_cleanup();
    return 0;
}
