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
 *
 * CPU seconds are the client process's user+system time (getrusage) across the measured work only;
 * peak RSS is the process's ru_maxrss (one measurement per process, so it covers this work).
 */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

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

struct bench_clock {
    double t0, c0;
};

static void bench_start(struct bench_clock *c)
{
    c->c0 = bench_cpu();
    c->t0 = bench_now();
}

/* Prints the BENCH line. `value` is requests/s for "gets", MiB/s otherwise. */
static void bench_report(const struct bench_clock *c, const char *row, const char *client, uint64_t bytes,
                         uint64_t n)
{
    double secs = bench_now() - c->t0;
    double cpu = bench_cpu() - c->c0;
    double value;
    const char *unit;
    if (strcmp(row, "gets") == 0) {
        value = (double)n / secs;
        unit = "req/s";
    } else {
        value = (double)bytes / (1024.0 * 1024.0) / secs;
        unit = "MiB/s";
    }
    printf("BENCH row=%s client=%s value=%.1f unit=%s secs=%.6f cpu=%.6f maxrss_kib=%ld bytes=%llu n=%llu\n", row,
           client, value, unit, secs, cpu, bench_maxrss_kib(), (unsigned long long)bytes, (unsigned long long)n);
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

#endif
