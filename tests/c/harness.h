/*
 * A tiny test harness for the C suite. Each tests/c/test_*.c is a whole program written the way a
 * Windows developer writes WinHTTP code; it counts checks and ends with harness_report(), which
 * prints "N passed, N failed" and returns the exit code. Portable to Windows' own winhttp.h.
 */
#ifndef WINHTTP_TEST_HARNESS_H
#define WINHTTP_TEST_HARNESS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

static int harness_passed;
static int harness_failed;

static inline void harness_check(int ok, const char *file, int line, const char *what)
{
    if (ok) {
        harness_passed++;
    } else {
        harness_failed++;
        printf("FAIL %s:%d: %s\n", file, line, what);
        fflush(stdout);
    }
}

/* A condition that must hold. */
#define CHECK(cond) harness_check(!!(cond), __FILE__, __LINE__, #cond)

/* Two unsigned values that must be equal; prints both on failure. */
#define CHECK_EQ(actual, expected)                                                                 \
    do {                                                                                           \
        unsigned long long a_ = (unsigned long long)(actual);                                      \
        unsigned long long e_ = (unsigned long long)(expected);                                    \
        if (a_ != e_)                                                                              \
            printf("  %s = %llu (0x%llx), expected %s = %llu\n", #actual, a_, a_, #expected, e_);  \
        harness_check(a_ == e_, __FILE__, __LINE__, #actual " == " #expected);                     \
    } while (0)

/* A call that must fail with FALSE/NULL and set the given last error. */
#define CHECK_FAILS(call, err)                                                                     \
    do {                                                                                           \
        int ok_ = (call) ? 1 : 0;                                                                  \
        unsigned long e_ = (unsigned long)GetLastError();                                          \
        if (ok_ || e_ != (unsigned long)(err))                                                     \
            printf("  %s -> %s, last error %lu, expected failure with %lu\n", #call,               \
                   ok_ ? "success" : "failure", e_, (unsigned long)(err));                         \
        harness_check(!ok_ && e_ == (unsigned long)(err), __FILE__, __LINE__, #call " fails");     \
    } while (0)

/* A call that must succeed (TRUE/non-NULL) and leave ERROR_SUCCESS. */
#define CHECK_OK(call)                                                                             \
    do {                                                                                           \
        int ok_ = (call) ? 1 : 0;                                                                  \
        unsigned long e_ = (unsigned long)GetLastError();                                          \
        if (!ok_ || e_ != 0)                                                                       \
            printf("  %s -> %s, last error %lu\n", #call, ok_ ? "success" : "failure", e_);        \
        harness_check(ok_ && e_ == 0, __FILE__, __LINE__, #call " succeeds");                      \
    } while (0)

/* Two wide strings that must be equal. */
#define CHECK_WSTR(actual, expected)                                                               \
    do {                                                                                           \
        const wchar_t *a_ = (actual), *e_ = (expected);                                            \
        int eq_ = a_ && e_ && wcscmp(a_, e_) == 0;                                                 \
        if (!eq_)                                                                                  \
            printf("  %s = \"%ls\", expected \"%ls\"\n", #actual, a_ ? a_ : L"(null)", e_);        \
        harness_check(eq_, __FILE__, __LINE__, #actual " == " #expected);                          \
    } while (0)

/* An integer from the environment (for example a port of a server the test runner started). */
static inline int harness_env_int(const char *name, int fallback)
{
    const char *v = getenv(name);
    return v && *v ? atoi(v) : fallback;
}

static inline int harness_report(void)
{
    printf("%d passed, %d failed\n", harness_passed, harness_failed);
    return harness_failed ? 1 : 0;
}

#endif
