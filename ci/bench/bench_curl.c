/*
 * Benchmark client "libcurl": the easy interface doing the same work as bench_winhttp.c. One easy
 * handle reused for every GET (so libcurl keeps the connection alive); the write callback only
 * counts bytes (the data is consumed in libcurl's buffer, whose size CURLOPT_BUFFERSIZE sets to the
 * same size as our fixed read buffer); uploads use CURLOPT_UPLOAD with a read callback that fills
 * libcurl's upload buffer (CURLOPT_UPLOAD_BUFFERSIZE = the chunk size) from the same pattern.
 * "Expect: 100-continue" is switched off, as WinHTTP does not send it; CURLOPT_NOSIGNAL is on, as
 * multi-threaded programs set it (it made no measurable difference here).
 * The concurrent mode uses the multi interface: one easy handle per transfer, all added at once,
 * CURLMOPT_MAX_TOTAL_CONNECTIONS and CURLMOPT_MAX_HOST_CONNECTIONS 0 (unlimited), no pipelining or
 * multiplexing (HTTP/1.1 only), CURLMOPT_MAXCONNECTS = N so the connection cache never closes one
 * early. It is driven the way libcurl recommends for many connections: curl_multi_socket_action
 * with an epoll loop (CURLMOPT_SOCKETFUNCTION/TIMERFUNCTION); BENCH_CURL_LOOP=poll switches to the
 * simpler curl_multi_perform + curl_multi_poll loop instead (for comparison; not what bench.sh runs).
 * Every transfer sends "Connection: close", as ours does (WINHTTP_DISABLE_KEEP_ALIVE, which it needs
 * so that no request reuses an earlier one's connection): the same bytes on the wire, and the
 * connection is closed inside the timed work rather than left in the cache for curl_multi_cleanup.
 * Each finished transfer is checked (CURLE_OK, status 200), removed and cleaned up.
 * HTTPS (modes https-gets, https-download, https-handshakes): an https:// URL, CURLOPT_CAINFO =
 * $SSL_CERT_FILE and CURLOPT_CAPATH = $SSL_CERT_DIR (the files ours trusts), CURLOPT_SSL_VERIFYPEER 1
 * and CURLOPT_SSL_VERIFYHOST 2 (libcurl's defaults, set explicitly), HTTP/1.1 (no h2 over ALPN, as
 * ours speaks only HTTP/1.1); protocol versions and ciphers are libcurl's and OpenSSL's defaults.
 * The handshakes mode sends "Connection: close" on every GET (as ours does), so libcurl closes the
 * connection after each response and opens a new one for the next GET; the easy handle is reused,
 * as a program doing GETs in a loop would (libcurl keeps its CA store cached across connections).
 * See common.h for the command line and the output line.
 */
#ifdef __linux__
#include <sys/epoll.h>
#endif
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

/* ---- concurrent (multi) ----------------------------------------------------------------------- */

struct conc_xfer {
    unsigned long long bytes;
};

static int conc_epfd = -1;
static long conc_timeout_ms = -1;

static curl_socket_t conc_open_socket(void *clientp, curlsocktype purpose, struct curl_sockaddr *a)
{
    curl_socket_t s;
    (void)clientp;
    (void)purpose;
    s = socket(a->family, a->socktype, a->protocol);
    if (s != CURL_SOCKET_BAD) {
        __atomic_fetch_add(&bench_started, 1, __ATOMIC_RELAXED); /* a transfer starts: its connection */
        bench_note_inflight();
    }
    return s;
}

#ifdef __linux__
static int conc_socket_cb(CURL *e, curl_socket_t s, int what, void *userp, void *socketp)
{
    struct epoll_event ev;
    (void)e;
    (void)userp;
    memset(&ev, 0, sizeof(ev));
    ev.data.fd = s;
    if (what == CURL_POLL_REMOVE) {
        epoll_ctl(conc_epfd, EPOLL_CTL_DEL, s, NULL);
        curl_multi_assign((CURLM *)userp, s, NULL);
        return 0;
    }
    ev.events = (what & CURL_POLL_IN ? EPOLLIN : 0) | (what & CURL_POLL_OUT ? EPOLLOUT : 0);
    if (socketp) {
        epoll_ctl(conc_epfd, EPOLL_CTL_MOD, s, &ev);
    } else {
        epoll_ctl(conc_epfd, EPOLL_CTL_ADD, s, &ev);
        curl_multi_assign((CURLM *)userp, s, (void *)1);
    }
    return 0;
}

static int conc_timer_cb(CURLM *m, long timeout_ms, void *userp)
{
    (void)m;
    (void)userp;
    conc_timeout_ms = timeout_ms;
    return 0;
}
#endif

/* Handles finished transfers; returns how many finished. */
static unsigned long conc_reap(CURLM *multi, unsigned long long *bytes)
{
    CURLMsg *msg;
    int left;
    unsigned long done = 0;
    while ((msg = curl_multi_info_read(multi, &left)) != NULL) {
        struct conc_xfer *x = NULL;
        CURL *e = msg->easy_handle;
        if (msg->msg != CURLMSG_DONE)
            continue;
        check(msg->data.result, "concurrent GET");
        if (status_of(e) != 200)
            bench_die("concurrent GET: status is not 200");
        curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&x);
        *bytes += x->bytes;
        curl_multi_remove_handle(multi, e);
        curl_easy_cleanup(e);
        __atomic_fetch_add(&bench_finished, 1, __ATOMIC_RELAXED);
        done++;
    }
    return done;
}

static void concurrent(const char *url, unsigned long n)
{
    struct conc_xfer *xfers;
    struct bench_clock clk;
    struct bench_watch watch;
    unsigned long i, done = 0;
    unsigned long long bytes = 0;
    int running = 0;
    const char *loop = getenv("BENCH_CURL_LOOP");
    int use_poll = loop && strcmp(loop, "poll") == 0;
    CURLM *multi;
    struct curl_slist *hdrs = curl_slist_append(NULL, "Connection: close");

    bench_raise_nofile(n + 100);
    xfers = calloc(n, sizeof(*xfers));
    if (!xfers)
        bench_die("out of memory");
    memset(xfers, 0xff, n * sizeof(*xfers)); /* touched now, so not counted as per-request growth */
    memset(xfers, 0, n * sizeof(*xfers));
    multi = curl_multi_init();
    if (!multi)
        bench_die("curl_multi_init");
    curl_multi_setopt(multi, CURLMOPT_PIPELINING, (long)CURLPIPE_NOTHING);
    curl_multi_setopt(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, 0L);
    curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, 0L);
    curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, (long)n);
#ifdef __linux__
    if (!use_poll) {
        conc_epfd = epoll_create1(EPOLL_CLOEXEC);
        if (conc_epfd < 0)
            bench_die("epoll_create1");
        curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, conc_socket_cb);
        curl_multi_setopt(multi, CURLMOPT_SOCKETDATA, multi);
        curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION, conc_timer_cb);
    }
#else
    use_poll = 1;
#endif

    bench_watch_start(&watch);
    bench_start(&clk);
    for (i = 0; i < n; i++) {
        CURL *e = curl_easy_init();
        if (!e)
            bench_die("curl_easy_init");
        curl_easy_setopt(e, CURLOPT_URL, url);
        curl_easy_setopt(e, CURLOPT_PROXY, "");
        curl_easy_setopt(e, CURLOPT_USERAGENT, "bench/1.0");
        curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
        curl_easy_setopt(e, CURLOPT_HTTPHEADER, hdrs);
        curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, conc_open_socket);
        curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, count_body);
        curl_easy_setopt(e, CURLOPT_WRITEDATA, &xfers[i].bytes);
        curl_easy_setopt(e, CURLOPT_PRIVATE, (char *)&xfers[i]);
        if (curl_multi_add_handle(multi, e) != CURLM_OK)
            bench_die("curl_multi_add_handle");
    }
    if (use_poll) {
        do {
            if (curl_multi_perform(multi, &running) != CURLM_OK)
                bench_die("curl_multi_perform");
            done += conc_reap(multi, &bytes);
            if (running && curl_multi_poll(multi, NULL, 0, 1000, NULL) != CURLM_OK)
                bench_die("curl_multi_poll");
        } while (running || done < n);
    }
#ifdef __linux__
    else {
        struct epoll_event evs[256];
        curl_multi_socket_action(multi, CURL_SOCKET_TIMEOUT, 0, &running);
        done += conc_reap(multi, &bytes);
        while (done < n) {
            int k, got = epoll_wait(conc_epfd, evs, 256, conc_timeout_ms < 0 ? 1000 : (int)conc_timeout_ms);
            if (got < 0)
                continue; /* EINTR */
            if (got == 0) {
                curl_multi_socket_action(multi, CURL_SOCKET_TIMEOUT, 0, &running);
            } else {
                for (k = 0; k < got; k++) {
                    int flags = (evs[k].events & EPOLLIN ? CURL_CSELECT_IN : 0) |
                                (evs[k].events & EPOLLOUT ? CURL_CSELECT_OUT : 0) |
                                (evs[k].events & (EPOLLERR | EPOLLHUP) ? CURL_CSELECT_ERR : 0);
                    curl_multi_socket_action(multi, evs[k].data.fd, flags, &running);
                }
            }
            done += conc_reap(multi, &bytes);
        }
    }
#endif
    bench_watch_stop(&watch);
    bench_report_concurrent(&clk, &watch, use_poll ? "libcurl_poll" : "libcurl", bytes, n);
    curl_multi_cleanup(multi);
    curl_slist_free_all(hdrs);
    free(xfers);
}

/* HTTP/2: the same transfers as streams on one connection (CURLPIPE_MULTIPLEX, one connection per
 * host, PIPEWAIT so every transfer waits for the connection to multiplex on), driven with
 * curl_multi_perform + curl_multi_poll (one socket: epoll would change nothing). */
static void h2concurrent(const char *url, unsigned long n)
{
    struct conc_xfer *xfers;
    struct bench_clock clk;
    struct bench_watch watch;
    unsigned long i, done = 0;
    unsigned long long bytes = 0;
    int running = 0;
    const char *cafile = getenv("SSL_CERT_FILE"), *capath = getenv("SSL_CERT_DIR");
    CURLM *multi;

    if (!cafile || !*cafile)
        bench_die("https modes need SSL_CERT_FILE (the CA file)");
    xfers = calloc(n, sizeof(*xfers));
    if (!xfers)
        bench_die("out of memory");
    memset(xfers, 0xff, n * sizeof(*xfers));
    memset(xfers, 0, n * sizeof(*xfers));
    multi = curl_multi_init();
    if (!multi)
        bench_die("curl_multi_init");
    curl_multi_setopt(multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
    curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, 1L);
    bench_watch_start(&watch);
    bench_start(&clk);
    for (i = 0; i < n; i++) {
        CURL *e = curl_easy_init();
        if (!e)
            bench_die("curl_easy_init");
        curl_easy_setopt(e, CURLOPT_URL, url);
        curl_easy_setopt(e, CURLOPT_PROXY, "");
        curl_easy_setopt(e, CURLOPT_USERAGENT, "bench/1.0");
        curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
        curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
        curl_easy_setopt(e, CURLOPT_CAINFO, cafile);
        curl_easy_setopt(e, CURLOPT_CAPATH, capath && *capath ? capath : NULL);
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
        curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, count_body);
        curl_easy_setopt(e, CURLOPT_WRITEDATA, &xfers[i].bytes);
        curl_easy_setopt(e, CURLOPT_PRIVATE, (char *)&xfers[i]);
        __atomic_fetch_add(&bench_started, 1, __ATOMIC_RELAXED);
        if (curl_multi_add_handle(multi, e) != CURLM_OK)
            bench_die("curl_multi_add_handle");
        bench_note_inflight();
    }
    do {
        if (curl_multi_perform(multi, &running) != CURLM_OK)
            bench_die("curl_multi_perform");
        done += conc_reap(multi, &bytes);
        if (running && curl_multi_poll(multi, NULL, 0, 1000, NULL) != CURLM_OK)
            bench_die("curl_multi_poll");
    } while (running || done < n);
    bench_watch_stop(&watch);
    bench_conc_row = "h2conc";
    bench_report_concurrent(&clk, &watch, "libcurl", bytes, n);
    curl_multi_cleanup(multi);
    free(xfers);
}

int main(int argc, char **argv)
{
    char url[2048];
    CURL *h;
    struct bench_clock clk;
    const char *mode, *pfx = "";
    int tls = 0;

    if (argc < 6) {
        fprintf(stderr, "usage: %s [https-|h2-]gets|[https-]download|upload|concurrent|[https-]handshakes HOST PORT PATH ARG [CHUNK]\n",
                argv[0]);
        return 2;
    }
    mode = argv[1];
    if (strncmp(mode, "https-", 6) == 0) {
        mode += 6;
        pfx = "tls_";
        tls = 1;
    } else if (strncmp(mode, "h2-", 3) == 0) { /* HTTPS with HTTP/2 */
        mode += 3;
        pfx = "h2_";
        tls = 2;
    }
    snprintf(url, sizeof(url), "%s://%s:%s%s", tls ? "https" : "http", argv[2], argv[3], argv[4]);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (strcmp(mode, "concurrent") == 0) {
        if (tls)
            h2concurrent(url, strtoul(argv[5], NULL, 10));
        else
            concurrent(url, strtoul(argv[5], NULL, 10));
        curl_global_cleanup();
        return 0;
    }
    h = curl_easy_init();
    if (!h)
        bench_die("curl_easy_init");
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_PROXY, ""); /* ignore http_proxy from the environment */
    curl_easy_setopt(h, CURLOPT_USERAGENT, "bench/1.0");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L); /* as multi-threaded programs set it: no SIGPIPE/SIGALRM juggling */
    if (tls) {
        const char *cafile = getenv("SSL_CERT_FILE"), *capath = getenv("SSL_CERT_DIR");
        if (!cafile || !*cafile)
            bench_die("https modes need SSL_CERT_FILE (the CA file)");
        curl_easy_setopt(h, CURLOPT_CAINFO, cafile);
        curl_easy_setopt(h, CURLOPT_CAPATH, capath && *capath ? capath : NULL);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
        curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)(tls == 2 ? CURL_HTTP_VERSION_2TLS : CURL_HTTP_VERSION_1_1));
    }

    if (strcmp(mode, "gets") == 0 || strcmp(mode, "handshakes") == 0) {
        unsigned long count = strtoul(argv[5], NULL, 10), i;
        unsigned long long bytes = 0, warm = 0;
        long connects = 0;
        int close = strcmp(mode, "handshakes") == 0;
        struct curl_slist *hdrs = close ? curl_slist_append(NULL, "Connection: close") : NULL;
        char row[32];
        snprintf(row, sizeof(row), "%s%s", pfx, mode);
        if (hdrs)
            curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
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
        bench_report(&clk, row, "libcurl", bytes, count);
        curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &connects); /* of the last transfer */
        if (!close && connects != 0)
            bench_die("GET: libcurl opened a new connection (keep-alive lost)");
        if (close && connects != 1)
            bench_die("GET: libcurl reused a connection despite Connection: close");
        curl_slist_free_all(hdrs);
    } else if (strcmp(mode, "download") == 0) {
        /* "qda": the row of WinHTTP's QueryDataAvailable loop; libcurl reads as it does, 64 KiB. */
        int qda = strcmp(argv[5], "qda") == 0;
        long bufsize = qda ? 65536 : strtol(argv[5], NULL, 10);
        unsigned long long bytes = 0;
        char row[32];
        if (qda)
            snprintf(row, sizeof(row), "%sdownloadqda", pfx);
        else
            snprintf(row, sizeof(row), "%sdownload%ldk", pfx, bufsize / 1024);
        curl_easy_setopt(h, CURLOPT_BUFFERSIZE, bufsize);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, count_body);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &bytes);
        bench_start(&clk);
        check(curl_easy_perform(h), "download");
        if (status_of(h) != 200)
            bench_die("download: status is not 200");
        bench_report(&clk, row, "libcurl", bytes, 1);
    } else if (strcmp(mode, "upload") == 0 && !tls) {
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
