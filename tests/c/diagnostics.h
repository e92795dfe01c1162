/*
 * What the library holds, through our diagnostics extension (WINHTTP_OPTION_PORTABLE_DIAGNOSTICS and
 * WINHTTP_OPTION_PORTABLE_CLOSE_IDLE_CONNECTIONS, queried and set with a NULL handle): snapshots,
 * waiting until nothing is live, and the "nothing left once every handle is closed" check the test
 * programs end with. Included by test programs (not a test program itself).
 */
#ifndef WINHTTP_TEST_DIAGNOSTICS_H
#define WINHTTP_TEST_DIAGNOSTICS_H

#if !defined(_WIN32) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif
#include <winhttp.h>
#include "harness.h"
#include <errno.h>
#include <time.h>

static inline double diag_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

static inline void diag_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* Our extension: what the library holds now. */
static inline WINHTTP_PORTABLE_DIAGNOSTICS diagnostics(void)
{
    WINHTTP_PORTABLE_DIAGNOSTICS d;
    DWORD size = sizeof(d);
    memset(&d, 0xff, sizeof(d));
    if (!WinHttpQueryOption(NULL, WINHTTP_OPTION_PORTABLE_DIAGNOSTICS, &d, &size))
        printf("  WinHttpQueryOption(PORTABLE_DIAGNOSTICS) failed: %lu\n", (unsigned long)GetLastError());
    return d;
}

static inline void print_diagnostics(const char *when, WINHTTP_PORTABLE_DIAGNOSTICS d)
{
    printf("  %s: handles %lu, sessions %lu, connects %lu, requests %lu, sockets %lu, pooled %lu, pending %lu\n",
           when, (unsigned long)d.dwLiveHandles, (unsigned long)d.dwLiveSessions, (unsigned long)d.dwLiveConnects,
           (unsigned long)d.dwLiveRequests, (unsigned long)d.dwOpenSockets, (unsigned long)d.dwPooledConnections,
           (unsigned long)d.dwPendingOperations);
}

/* True when no handle, object or operation is left and every open socket is an idle pooled one. */
static inline int nothing_live(WINHTTP_PORTABLE_DIAGNOSTICS d)
{
    return d.dwLiveHandles == 0 && d.dwLiveSessions == 0 && d.dwLiveConnects == 0 && d.dwLiveRequests == 0 &&
           d.dwPendingOperations == 0 && d.dwOpenSockets == d.dwPooledConnections;
}

/* Polls (up to `ms`) until nothing_live(); returns the last snapshot. */
static inline WINHTTP_PORTABLE_DIAGNOSTICS wait_nothing_live(int ms)
{
    double until = diag_now_ms() + ms;
    WINHTTP_PORTABLE_DIAGNOSTICS d = diagnostics();
    while (!nothing_live(d) && diag_now_ms() < until) {
        diag_sleep_ms(5);
        d = diagnostics();
    }
    return d;
}

/* Closes every idle keep-alive connection (our extension). */
static inline BOOL close_idle_connections(void)
{
    return WinHttpSetOption(NULL, WINHTTP_OPTION_PORTABLE_CLOSE_IDLE_CONNECTIONS, NULL, 0);
}

/* Once every handle is closed (in the async mode, once its HANDLE_CLOSING has been delivered, which
 * this waits up to `ms` for), no handle, object or operation is left and every open socket is an idle
 * pooled one; with those closed, no socket at all. */
static inline void check_nothing_left(const char *after, int ms)
{
    WINHTTP_PORTABLE_DIAGNOSTICS d = wait_nothing_live(ms);
    if (!nothing_live(d)) {
        printf("  left after %s:\n", after);
        print_diagnostics("now", d);
    }
    CHECK(nothing_live(d));
    CHECK(close_idle_connections());
    d = diagnostics();
    CHECK_EQ(d.dwOpenSockets, 0);
    CHECK_EQ(d.dwPooledConnections, 0);
}

#endif
