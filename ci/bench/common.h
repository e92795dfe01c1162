/*
 * Shared helpers for the three benchmark clients (ours through WinHTTP, libcurl, a raw socket).
 *
 * Every client is one program with the same command line and prints one machine-readable line per
 * measurement on stdout:
 *
 *   BENCH row=<row> client=<client> value=<number> unit=<unit> secs=<wall> cpu=<user+sys seconds>
 *         maxrss_kib=<peak RSS> bytes=<body bytes moved> n=<requests>
 *
 * Modes (argv[1]):
 *   gets     HOST PORT PATH COUNT            COUNT sequential GETs on one keep-alive connection
 *                                            (one untimed warm-up GET first): requests/s
 *   download HOST PORT PATH BUFSIZE          one GET, body read with a fixed BUFSIZE buffer: MiB/s
 *   upload   HOST PORT PATH BYTES CHUNK      one PUT of BYTES, written in CHUNK pieces: MiB/s
 *   concurrent HOST PORT PATH N [hold]      N GETs started at once, each on its own connection
 *                                            (ours async, libcurl multi; no raw client): wall
 *                                            seconds from the first request opened to the last
 *                                            request handle released
 *   handshakes HOST PORT PATH COUNT          COUNT sequential GETs, each on a new connection
 *                                            ("Connection: close"; one untimed warm-up GET first,
 *                                            on its own connection too): connections/s
 *
 * The prefix "https-" (https-gets, https-download, https-handshakes; ours and libcurl only) runs
 * the mode over TLS: ours opens its requests with WINHTTP_FLAG_SECURE and trusts what
 * SSL_CERT_FILE / SSL_CERT_DIR name; libcurl gets SSL_CERT_FILE as CURLOPT_CAINFO and SSL_CERT_DIR
 * as CURLOPT_CAPATH. Certificate and host name verification stay on in both. The rows are then
 * named tls_gets, tls_download<K>k and tls_handshakes.
 *
 * CPU seconds are the client process's user+system time (getrusage) across the measured work only;
 * peak RSS is the process's ru_maxrss (one measurement per process, so it covers this work).
 *
 * The concurrent mode appends to the BENCH line (row=conc<N>, unit=s):
 *   base_rss_kib=<RSS just before the first request, contexts and library initialised>
 *   rss_per_req_kib=<(maxrss - base_rss) / N>   threads_base=<threads before>   threads_peak=<peak>
 *   inflight_peak=<most requests started and not yet finished at one time>
 * Thread counts are entries of /proc/self/task sampled every millisecond by a watcher thread (and at
 * the start and end), not counting the watcher itself. Both clients first raise RLIMIT_NOFILE to
 * its hard limit (N + 100 descriptors are needed).
 */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <dirent.h>
#include <pthread.h>
#endif

static double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double bench_cpu(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           (double)ru.ru_stime.tv_usec / 1e6;
}

static long bench_maxrss_kib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
#ifdef __APPLE__
    return ru.ru_maxrss / 1024; /* bytes on macOS */
#else
    return ru.ru_maxrss; /* KiB on Linux */
#endif
}

static void bench_die(const char *what)
{
    fprintf(stderr, "bench: %s\n", what);
    exit(1);
}

/* User CPU seconds of the process (all threads): what the library itself costs, without the kernel's
 * socket work. */
static double bench_user_cpu(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6;
}

struct bench_clock {
    double t0, c0, u0;
};

static void bench_start(struct bench_clock *c)
{
    c->c0 = bench_cpu();
    c->u0 = bench_user_cpu();
    c->t0 = bench_now();
}

/* Prints the BENCH line. `value` is requests/s for "gets" and "tls_gets", connections/s for
 * "tls_handshakes" (and "handshakes"), MiB/s otherwise. */
static void bench_report(const struct bench_clock *c, const char *row, const char *client, uint64_t bytes,
                         uint64_t n)
{
    double secs = bench_now() - c->t0;
    double cpu = bench_cpu() - c->c0;
    double ucpu = bench_user_cpu() - c->u0;
    double value;
    const char *unit;
    if (strstr(row, "gets") != NULL) {
        value = (double)n / secs;
        unit = "req/s";
    } else if (strstr(row, "handshakes") != NULL) {
        value = (double)n / secs;
        unit = "conn/s";
    } else {
        value = (double)bytes / (1024.0 * 1024.0) / secs;
        unit = "MiB/s";
    }
    printf("BENCH row=%s client=%s value=%.1f unit=%s secs=%.6f cpu=%.6f ucpu=%.6f maxrss_kib=%ld bytes=%llu n=%llu\n",
           row, client, value, unit, secs, cpu, ucpu, bench_maxrss_kib(), (unsigned long long)bytes,
           (unsigned long long)n);
    fflush(stdout);
}

/* The upload source: one CHUNK-sized buffer with a fixed pattern, reused for every piece. */
static char *bench_pattern(size_t size)
{
    char *p = malloc(size ? size : 1);
    size_t i;
    if (!p)
        bench_die("out of memory");
    for (i = 0; i < size; i++)
        p[i] = (char)('a' + i % 26);
    return p;
}

/* ---- concurrent mode -------------------------------------------------------------------------- */

/* Current resident set size in KiB (/proc/self/statm), or 0 if unknown. */
static inline long bench_rss_kib(void)
{
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f)
        return 0;
    if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
        resident = 0;
    fclose(f);
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

/* Number of threads of this process (/proc/self/task entries), or -1 if unknown. */
static inline int bench_threads(void)
{
#ifdef __linux__
    int n = 0;
    struct dirent *e;
    DIR *d = opendir("/proc/self/task");
    if (!d)
        return -1;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
#else
    return -1;
#endif
}

/* Raises the soft RLIMIT_NOFILE to the hard limit; dies if fewer than `need` descriptors remain. */
static inline void bench_raise_nofile(unsigned long need)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        bench_die("getrlimit");
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    getrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
        fprintf(stderr, "bench: RLIMIT_NOFILE is %lu, %lu descriptors are needed\n", (unsigned long)rl.rlim_cur, need);
        exit(1);
    }
}

/* In-flight accounting shared by the clients: requests started and finished, and the peak difference. */
static long bench_started, bench_finished, bench_inflight_peak;

static inline void bench_note_inflight(void)
{
    long inflight = __atomic_load_n(&bench_started, __ATOMIC_RELAXED) - __atomic_load_n(&bench_finished, __ATOMIC_RELAXED);
    long peak = __atomic_load_n(&bench_inflight_peak, __ATOMIC_RELAXED);
    while (inflight > peak &&
           !__atomic_compare_exchange_n(&bench_inflight_peak, &peak, inflight, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
        ;
}

/* The watcher: samples the thread count (and the in-flight count) every millisecond. */
struct bench_watch {
    int base, peak; /* not counting the watcher */
    long base_rss_kib;
    double t_end, c_end; /* taken when the work is over, before the watcher is stopped */
    int stop;
#ifdef __linux__
    pthread_t thread;
#endif
};

#ifdef __linux__
static inline void *bench_watch_loop(void *arg)
{
    struct bench_watch *w = arg;
    struct timespec ms = {0, 1000000L};
    while (!__atomic_load_n(&w->stop, __ATOMIC_ACQUIRE)) {
        int t = bench_threads() - 1;
        if (t > w->peak)
            w->peak = t;
        bench_note_inflight();
        nanosleep(&ms, NULL);
    }
    return NULL;
}
#endif

/* Call right before the first request (after initialisation): takes the baselines, starts the watcher. */
static inline void bench_watch_start(struct bench_watch *w)
{
    memset(w, 0, sizeof(*w));
    w->base = w->peak = bench_threads();
#ifdef __linux__
    if (pthread_create(&w->thread, NULL, bench_watch_loop, w) != 0)
        bench_die("pthread_create");
#endif
    w->base_rss_kib = bench_rss_kib(); /* with the watcher's stack already there */
}

/* Call when the work is over: stops the clock, then the watcher. */
static inline void bench_watch_stop(struct bench_watch *w)
{
    int t;
    w->t_end = bench_now();
    w->c_end = bench_cpu();
    t = bench_threads() - 1;
    if (t > w->peak)
        w->peak = t;
    __atomic_store_n(&w->stop, 1, __ATOMIC_RELEASE);
#ifdef __linux__
    pthread_join(w->thread, NULL);
#endif
}

/* The BENCH line of the concurrent mode (see the top of this file). */
/* The row name of bench_report_concurrent before N: "conc", or "h2conc" for the HTTP/2 row. */
static const char *bench_conc_row = "conc";

static inline void bench_report_concurrent(const struct bench_clock *c, const struct bench_watch *w, const char *client,
                                    uint64_t bytes, uint64_t n)
{
    double secs = w->t_end - c->t0;
    double cpu = w->c_end - c->c0;
    long maxrss = bench_maxrss_kib();
    bench_note_inflight();
    printf("BENCH row=%s%llu client=%s value=%.6f unit=s secs=%.6f cpu=%.6f maxrss_kib=%ld bytes=%llu n=%llu "
           "base_rss_kib=%ld rss_per_req_kib=%.3f threads_base=%d threads_peak=%d inflight_peak=%ld\n",
           bench_conc_row, (unsigned long long)n, client, secs, secs, cpu, maxrss, (unsigned long long)bytes, (unsigned long long)n,
           w->base_rss_kib, (double)(maxrss - w->base_rss_kib) / (double)(n ? n : 1), w->base, w->peak,
           bench_inflight_peak);
    fflush(stdout);
}

#endif
