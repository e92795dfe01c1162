/*
 * winhttp-fetch: a small command-line HTTP client on the WinHTTP API (installed by ci/install.sh).
 *
 *   winhttp-fetch [options] URL
 *     -X VERB        request verb (default GET; PUT when -T is given)
 *     -I             HEAD: print the response head only
 *     -T FILE        send FILE as the request body (PUT by default; -X POST -T FILE posts it)
 *     -H 'Name: v'   add a request header (repeatable)
 *     -o FILE        write the body to FILE instead of stdout
 *     -i             print the response head before the body
 *     -a             asynchronous mode (WINHTTP_FLAG_ASYNC, driven from the status callback)
 *     -k             accept any certificate (SECURITY_FLAG_IGNORE_* on the request)
 *     -f             exit with status 22 when the server answers 400 or above
 *     -#             always draw the progress bar;  -s  never draw it
 *     -v             trace to stderr through WINHTTP_LOG: heads as sent and received, TLS, connections
 *                    (WINHTTP_LOG=wire,tls,pool); -vv adds every API call and callback (WINHTTP_LOG=all).
 *                    A WINHTTP_LOG already in the environment wins.
 *
 * The progress bar (bytes, percentage, rate, ETA) is drawn on stderr when stderr is a terminal and the body is
 * not written to that terminal (-o FILE, or stdout redirected), as curl does.
 * Exit status: 0 on a completed exchange, 1 when a WinHTTP call fails (its error is printed), 2 on bad usage,
 * 22 with -f on an HTTP error status.
 */
#define _POSIX_C_SOURCE 200809L /* getopt, fileno, clock_gettime under -std=c11 */
#include <errno.h>
#include <locale.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>
#include <winhttp.h>

#define CHUNK 65536

typedef struct {
    /* options */
    const char *verb;
    const char *upload_path;
    const char *out_path;
    int include_head, verbose, async, insecure, fail_on_error, progress;
    WCHAR *extra_headers; /* "Name: v\r\nName: v" or NULL */
    /* state */
    HINTERNET request;
    FILE *upload, *out;
    unsigned long long upload_size, uploaded, total, received;
    int total_known;
    DWORD status;
    DWORD error; /* first failure */
    const char *failed_call;
    char buffer[CHUNK];
    struct timespec start, last_draw;
    int drawn;
    /* async completion */
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int closed;
} FETCH;

static double now_seconds(const struct timespec *t)
{
    return (double)t->tv_sec + (double)t->tv_nsec / 1e9;
}

static void human(double bytes, char *out, size_t cap)
{
    const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    while (bytes >= 1024.0 && u < 4) {
        bytes /= 1024.0;
        u++;
    }
    snprintf(out, cap, u ? "%.1f %s" : "%.0f %s", bytes, units[u]);
}

/* One line, redrawn in place: [#####.....]  42%  1.2 MiB / 3.0 MiB  850.0 KiB/s  ETA 0:02 */
static void draw_progress(FETCH *f, int final)
{
    struct timespec t;
    double elapsed, rate;
    unsigned long long done = f->upload ? f->uploaded : f->received;
    unsigned long long total = f->upload ? f->upload_size : f->total;
    int known = f->upload ? 1 : f->total_known;
    char done_s[32], total_s[32], rate_s[32], eta_s[32] = "";

    if (!f->progress)
        return;
    clock_gettime(CLOCK_MONOTONIC, &t);
    if (!final && f->drawn && now_seconds(&t) - now_seconds(&f->last_draw) < 0.1)
        return;
    f->last_draw = t;
    f->drawn = 1;
    elapsed = now_seconds(&t) - now_seconds(&f->start);
    rate = elapsed > 0 ? (double)done / elapsed : 0;
    human((double)done, done_s, sizeof done_s);
    human(rate, rate_s, sizeof rate_s);
    if (known && total > 0) {
        int width = 24, filled = (int)((double)done * width / (double)total), i;
        char bar[32];
        for (i = 0; i < width; i++)
            bar[i] = i < filled ? '#' : '.';
        bar[width] = 0;
        human((double)total, total_s, sizeof total_s);
        if (rate > 0 && done < total) {
            unsigned long eta = (unsigned long)((double)(total - done) / rate);
            snprintf(eta_s, sizeof eta_s, "  ETA %lu:%02lu", eta / 60, eta % 60);
        }
        fprintf(stderr, "\r[%s] %3d%%  %s / %s  %s/s%s\033[K", bar, (int)(100.0 * (double)done / (double)total),
                done_s, total_s, rate_s, eta_s);
    } else {
        fprintf(stderr, "\r%s  %s/s\033[K", done_s, rate_s);
    }
    if (final)
        fputc('\n', stderr);
    fflush(stderr);
}

static int fail(FETCH *f, const char *call)
{
    if (!f->failed_call) {
        f->error = GetLastError();
        f->failed_call = call;
    }
    return 0;
}

static WCHAR *widen(const char *s)
{
    size_t n = mbstowcs(NULL, s, 0);
    WCHAR *w;
    if (n == (size_t)-1)
        return NULL;
    w = (WCHAR *)malloc((n + 1) * sizeof(WCHAR));
    if (w)
        mbstowcs(w, s, n + 1);
    return w;
}

/* The response head arrived: status, length for the progress bar, the head itself if asked for. */
static int on_head(FETCH *f)
{
    DWORD size = sizeof(f->status);
    WCHAR *raw = NULL;
    unsigned long long length = 0;

    if (!WinHttpQueryHeaders(f->request, WINHTTP_QUERY_STATUS_CODE | WINHTTP_QUERY_FLAG_NUMBER,
                             WINHTTP_HEADER_NAME_BY_INDEX, &f->status, &size, WINHTTP_NO_HEADER_INDEX))
        return fail(f, "WinHttpQueryHeaders");
    size = sizeof(length);
    f->total_known = WinHttpQueryHeaders(f->request, WINHTTP_QUERY_CONTENT_LENGTH | WINHTTP_QUERY_FLAG_NUMBER64,
                                         WINHTTP_HEADER_NAME_BY_INDEX, &length, &size, WINHTTP_NO_HEADER_INDEX);
    f->total = length;
    if (f->include_head) {
        size = 0;
        WinHttpQueryHeaders(f->request, WINHTTP_QUERY_RAW_HEADERS_CRLF, WINHTTP_HEADER_NAME_BY_INDEX, NULL, &size,
                            WINHTTP_NO_HEADER_INDEX);
        if (GetLastError() == ERROR_INSUFFICIENT_BUFFER && (raw = (WCHAR *)malloc(size)) != NULL &&
            WinHttpQueryHeaders(f->request, WINHTTP_QUERY_RAW_HEADERS_CRLF, WINHTTP_HEADER_NAME_BY_INDEX, raw, &size,
                                WINHTTP_NO_HEADER_INDEX)) {
            if (f->include_head)
                fprintf(f->out, "%ls", raw);
        }
        free(raw);
    }
    /* The upload's bar is finished; the download's starts now. */
    if (f->upload && f->drawn)
        draw_progress(f, 1);
    if (f->upload) {
        fclose(f->upload);
        f->upload = NULL;
    }
    f->drawn = 0;
    clock_gettime(CLOCK_MONOTONIC, &f->start);
    return 1;
}

static int on_body(FETCH *f, DWORD n)
{
    if (n && fwrite(f->buffer, 1, n, f->out) != n) {
        f->failed_call = "fwrite";
        f->error = (DWORD)errno;
        return 0;
    }
    f->received += n;
    draw_progress(f, 0);
    return 1;
}

/* The next piece of the upload; 0 bytes when the file is done. */
static DWORD next_upload_chunk(FETCH *f)
{
    size_t n = fread(f->buffer, 1, sizeof f->buffer, f->upload);
    f->uploaded += n;
    draw_progress(f, 0);
    return (DWORD)n;
}

static int configure_request(FETCH *f)
{
    if (f->insecure) {
        DWORD flags = SECURITY_FLAG_IGNORE_UNKNOWN_CA | SECURITY_FLAG_IGNORE_CERT_DATE_INVALID |
                      SECURITY_FLAG_IGNORE_CERT_CN_INVALID | SECURITY_FLAG_IGNORE_CERT_WRONG_USAGE;
        if (!WinHttpSetOption(f->request, WINHTTP_OPTION_SECURITY_FLAGS, &flags, sizeof(flags)))
            return fail(f, "WinHttpSetOption(SECURITY_FLAGS)");
    }
    return 1;
}

static BOOL send_request(FETCH *f)
{
    DWORD total = f->upload_size > 0xFFFFFFFFull ? WINHTTP_IGNORE_REQUEST_TOTAL_LENGTH : (DWORD)f->upload_size;
    return WinHttpSendRequest(f->request, f->extra_headers ? f->extra_headers : WINHTTP_NO_ADDITIONAL_HEADERS,
                              f->extra_headers ? (DWORD)-1L : 0, WINHTTP_NO_REQUEST_DATA, 0, total,
                              (DWORD_PTR)f); /* the context every callback of this request gets */
}

/* ---- synchronous mode: one call after the other on this thread ---- */
static void run_sync(FETCH *f)
{
    DWORD n, written, available, read;

    if (!configure_request(f))
        return;
    if (!send_request(f)) {
        fail(f, "WinHttpSendRequest");
        return;
    }
    while (f->upload && (n = next_upload_chunk(f)) > 0)
        if (!WinHttpWriteData(f->request, f->buffer, n, &written)) {
            fail(f, "WinHttpWriteData");
            return;
        }
    if (!WinHttpReceiveResponse(f->request, NULL)) {
        fail(f, "WinHttpReceiveResponse");
        return;
    }
    if (!on_head(f))
        return;
    for (;;) {
        if (!WinHttpQueryDataAvailable(f->request, &available)) {
            fail(f, "WinHttpQueryDataAvailable");
            return;
        }
        if (available == 0)
            break;
        if (available > sizeof f->buffer)
            available = sizeof f->buffer;
        if (!WinHttpReadData(f->request, f->buffer, available, &read)) {
            fail(f, "WinHttpReadData");
            return;
        }
        if (read == 0 || !on_body(f, read))
            break;
    }
    draw_progress(f, 1);
}

/* ---- asynchronous mode: each completion starts the next call from the callback ---- */
static void async_done(FETCH *f)
{
    WinHttpCloseHandle(f->request); /* HANDLE_CLOSING follows, the last notification */
}

static void CALLBACK on_status(HINTERNET handle, DWORD_PTR context, DWORD status, LPVOID info, DWORD length)
{
    FETCH *f = (FETCH *)context;
    DWORD n;
    (void)handle;
    (void)length;

    switch (status) {
    case WINHTTP_CALLBACK_STATUS_SENDREQUEST_COMPLETE:
    case WINHTTP_CALLBACK_STATUS_WRITE_COMPLETE:
        if (f->upload && (n = next_upload_chunk(f)) > 0) {
            if (!WinHttpWriteData(f->request, f->buffer, n, NULL))
                fail(f, "WinHttpWriteData"), async_done(f);
        } else if (!WinHttpReceiveResponse(f->request, NULL)) {
            fail(f, "WinHttpReceiveResponse"), async_done(f);
        }
        break;
    case WINHTTP_CALLBACK_STATUS_HEADERS_AVAILABLE:
        if (!on_head(f) || !WinHttpQueryDataAvailable(f->request, NULL)) {
            fail(f, "WinHttpQueryDataAvailable");
            async_done(f);
        }
        break;
    case WINHTTP_CALLBACK_STATUS_DATA_AVAILABLE:
        n = *(DWORD *)info;
        if (n == 0) {
            draw_progress(f, 1);
            async_done(f);
        } else if (!WinHttpReadData(f->request, f->buffer, n < sizeof f->buffer ? n : sizeof f->buffer, NULL)) {
            fail(f, "WinHttpReadData"), async_done(f);
        }
        break;
    case WINHTTP_CALLBACK_STATUS_READ_COMPLETE:
        if (length == 0 || !on_body(f, length)) {
            draw_progress(f, 1);
            async_done(f);
        } else if (!WinHttpQueryDataAvailable(f->request, NULL)) {
            fail(f, "WinHttpQueryDataAvailable"), async_done(f);
        }
        break;
    case WINHTTP_CALLBACK_STATUS_REQUEST_ERROR: {
        WINHTTP_ASYNC_RESULT *result = (WINHTTP_ASYNC_RESULT *)info;
        if (!f->failed_call) {
            f->error = result->dwError;
            f->failed_call = "asynchronous operation";
        }
        async_done(f);
        break;
    }
    case WINHTTP_CALLBACK_STATUS_HANDLE_CLOSING:
        pthread_mutex_lock(&f->lock);
        f->closed = 1;
        pthread_cond_signal(&f->cond);
        pthread_mutex_unlock(&f->lock);
        break;
    default:
        break;
    }
}

static void run_async(FETCH *f)
{
    if (!configure_request(f))
        return;
    if (WinHttpSetStatusCallback(f->request, on_status,
                                 WINHTTP_CALLBACK_FLAG_ALL_COMPLETIONS | WINHTTP_CALLBACK_FLAG_HANDLES,
                                 0) == WINHTTP_INVALID_STATUS_CALLBACK) {
        fail(f, "WinHttpSetStatusCallback");
        return;
    }
    if (!send_request(f)) {
        fail(f, "WinHttpSendRequest");
        async_done(f);
    }
    pthread_mutex_lock(&f->lock);
    while (!f->closed)
        pthread_cond_wait(&f->cond, &f->lock);
    pthread_mutex_unlock(&f->lock);
    f->request = NULL; /* closed in the callback */
}

static const char *error_name(DWORD e)
{
    switch (e) {
    case ERROR_WINHTTP_TIMEOUT: return "ERROR_WINHTTP_TIMEOUT";
    case ERROR_WINHTTP_NAME_NOT_RESOLVED: return "ERROR_WINHTTP_NAME_NOT_RESOLVED";
    case ERROR_WINHTTP_CANNOT_CONNECT: return "ERROR_WINHTTP_CANNOT_CONNECT";
    case ERROR_WINHTTP_CONNECTION_ERROR: return "ERROR_WINHTTP_CONNECTION_ERROR";
    case ERROR_WINHTTP_INVALID_URL: return "ERROR_WINHTTP_INVALID_URL";
    case ERROR_WINHTTP_UNRECOGNIZED_SCHEME: return "ERROR_WINHTTP_UNRECOGNIZED_SCHEME";
    case ERROR_WINHTTP_INVALID_SERVER_RESPONSE: return "ERROR_WINHTTP_INVALID_SERVER_RESPONSE";
    case ERROR_WINHTTP_SECURE_FAILURE: return "ERROR_WINHTTP_SECURE_FAILURE";
    case ERROR_WINHTTP_SECURE_INVALID_CA: return "ERROR_WINHTTP_SECURE_INVALID_CA";
    case ERROR_WINHTTP_SECURE_CERT_DATE_INVALID: return "ERROR_WINHTTP_SECURE_CERT_DATE_INVALID";
    case ERROR_WINHTTP_SECURE_CERT_CN_INVALID: return "ERROR_WINHTTP_SECURE_CERT_CN_INVALID";
    case ERROR_WINHTTP_SECURE_CHANNEL_ERROR: return "ERROR_WINHTTP_SECURE_CHANNEL_ERROR";
    case ERROR_WINHTTP_REDIRECT_FAILED: return "ERROR_WINHTTP_REDIRECT_FAILED";
    case ERROR_WINHTTP_OPERATION_CANCELLED: return "ERROR_WINHTTP_OPERATION_CANCELLED";
    case ERROR_INVALID_PARAMETER: return "ERROR_INVALID_PARAMETER";
    case ERROR_NOT_ENOUGH_MEMORY: return "ERROR_NOT_ENOUGH_MEMORY";
    default: return "";
    }
}

static int usage(const char *me)
{
    fprintf(stderr,
            "usage: %s [-X VERB] [-I] [-T FILE] [-H 'Name: value']... [-o FILE] [-i] [-a] [-k] [-f] [-#|-s] [-v] "
            "URL\n",
            me);
    return 2;
}

int main(int argc, char **argv)
{
    static FETCH f;
    char *headers = NULL;
    size_t headers_len = 0;
    int opt, force_progress = 0, no_progress = 0, rc = 0;
    WCHAR *url, *verb, *host, *path;
    URL_COMPONENTS uc;
    HINTERNET session = NULL, connect = NULL;

    setlocale(LC_ALL, "");
    pthread_mutex_init(&f.lock, NULL);
    pthread_cond_init(&f.cond, NULL);
    while ((opt = getopt(argc, argv, "X:IT:H:o:iakf#sv")) != -1) {
        switch (opt) {
        case 'X': f.verb = optarg; break;
        case 'I': f.verb = "HEAD"; f.include_head = 1; break;
        case 'T': f.upload_path = optarg; break;
        case 'H': {
            size_t n = strlen(optarg);
            char *grown = (char *)realloc(headers, headers_len + n + 3);
            if (!grown)
                return 1;
            headers = grown;
            if (headers_len)
                memcpy(headers + headers_len, "\r\n", 2), headers_len += 2;
            memcpy(headers + headers_len, optarg, n + 1);
            headers_len += n;
            break;
        }
        case 'o': f.out_path = optarg; break;
        case 'i': f.include_head = 1; break;
        case 'a': f.async = 1; break;
        case 'k': f.insecure = 1; break;
        case 'f': f.fail_on_error = 1; break;
        case '#': force_progress = 1; break;
        case 's': no_progress = 1; break;
        case 'v': f.verbose++; break;
        default: return usage(argv[0]);
        }
    }
    if (optind != argc - 1)
        return usage(argv[0]);
    /* The library reads WINHTTP_LOG at its first use (WinHttpCrackUrl below): set it before any call. */
    if (f.verbose)
        setenv("WINHTTP_LOG", f.verbose > 1 ? "all" : "wire,tls,pool", 0);
    if (!f.verb)
        f.verb = f.upload_path ? "PUT" : "GET";

    f.out = stdout;
    if (f.out_path && !(f.out = fopen(f.out_path, "wb"))) {
        fprintf(stderr, "cannot write %s: %s\n", f.out_path, strerror(errno));
        return 1;
    }
    if (f.upload_path) {
        struct stat st;
        if (!(f.upload = fopen(f.upload_path, "rb")) || fstat(fileno(f.upload), &st) != 0) {
            fprintf(stderr, "cannot read %s: %s\n", f.upload_path, strerror(errno));
            return 1;
        }
        f.upload_size = (unsigned long long)st.st_size;
    }
    f.progress = !no_progress && (force_progress || (isatty(STDERR_FILENO) && (f.out_path || !isatty(STDOUT_FILENO))));

    url = widen(argv[optind]);
    verb = widen(f.verb);
    if (headers)
        f.extra_headers = widen(headers);
    if (!url || !verb) {
        fprintf(stderr, "cannot convert the arguments to wide strings in this locale\n");
        return 2;
    }

    /* Split the URL with WinHttpCrackUrl; host and path are copied out to be NUL-terminated. */
    memset(&uc, 0, sizeof(uc));
    uc.dwStructSize = sizeof(uc);
    uc.dwHostNameLength = (DWORD)-1;
    uc.dwUrlPathLength = (DWORD)-1;
    uc.dwExtraInfoLength = (DWORD)-1;
    if (!WinHttpCrackUrl(url, 0, 0, &uc)) {
        DWORD e = GetLastError();
        fprintf(stderr, "%s: not a URL WinHTTP accepts (WinHttpCrackUrl: error %lu %s)\n", argv[optind],
                (unsigned long)e, error_name(e));
        return 2;
    }
    host = (WCHAR *)calloc(uc.dwHostNameLength + 1, sizeof(WCHAR));
    path = (WCHAR *)calloc(uc.dwUrlPathLength + uc.dwExtraInfoLength + 2, sizeof(WCHAR));
    if (!host || !path)
        return 1;
    wmemcpy(host, uc.lpszHostName, uc.dwHostNameLength);
    wmemcpy(path, uc.lpszUrlPath, uc.dwUrlPathLength);
    wmemcpy(path + uc.dwUrlPathLength, uc.lpszExtraInfo, uc.dwExtraInfoLength);
    if (!path[0])
        path[0] = L'/';

    if (f.verbose)
        fprintf(stderr, "> %ls %ls (%ls port %u, %s)\n", verb, path, host, (unsigned)uc.nPort,
                f.async ? "async" : "sync");
    clock_gettime(CLOCK_MONOTONIC, &f.start);
    session = WinHttpOpen(L"winhttp-fetch/1.0", WINHTTP_ACCESS_TYPE_DEFAULT_PROXY, WINHTTP_NO_PROXY_NAME,
                          WINHTTP_NO_PROXY_BYPASS, f.async ? WINHTTP_FLAG_ASYNC : 0);
    if (!session)
        fail(&f, "WinHttpOpen");
    else if (!(connect = WinHttpConnect(session, host, uc.nPort, 0)))
        fail(&f, "WinHttpConnect");
    else if (!(f.request = WinHttpOpenRequest(connect, verb, path, NULL, WINHTTP_NO_REFERER,
                                               WINHTTP_DEFAULT_ACCEPT_TYPES,
                                               uc.nScheme == INTERNET_SCHEME_HTTPS ? WINHTTP_FLAG_SECURE : 0)))
        fail(&f, "WinHttpOpenRequest");
    else if (f.async)
        run_async(&f);
    else
        run_sync(&f);

    if (f.request)
        WinHttpCloseHandle(f.request);
    if (connect)
        WinHttpCloseHandle(connect);
    if (session)
        WinHttpCloseHandle(session);
    if (f.upload)
        fclose(f.upload);
    if (f.out != stdout)
        fclose(f.out);
    else
        fflush(stdout);

    if (f.failed_call) {
        if (f.drawn)
            fputc('\n', stderr);
        fprintf(stderr, "%s failed: error %lu %s\n", f.failed_call, (unsigned long)f.error, error_name(f.error));
        rc = 1;
    } else if (f.fail_on_error && f.status >= 400) {
        fprintf(stderr, "the server answered %lu\n", (unsigned long)f.status);
        rc = 22;
    }
    free(url);
    free(verb);
    free(host);
    free(path);
    free(f.extra_headers);
    free(headers);
    return rc;
}
