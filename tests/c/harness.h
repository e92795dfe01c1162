/*
 * A tiny test harness for the C suite. Each tests/c/test_*.c is a whole program written the way a
 * Windows developer writes WinHTTP code; it counts checks and ends with harness_report(), which
 * prints "N passed, N failed" and returns the exit code. Portable to Windows' own winhttp.h.
 */
#ifndef WINHTTP_TEST_HARNESS_H
#define WINHTTP_TEST_HARNESS_H

#include <stdarg.h>
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

/*
 * Wide-string helpers of either width. The C library's wcslen, wcscmp, swprintf, %ls, ... work on
 * the platform wchar_t, which is not WCHAR in a program built with -fshort-wchar on a library
 * built without it, nor with WINHTTP_WCHAR16 (WCHAR is char16_t). The suite builds every program
 * both ways (tests/c_suite.rs), so programs use these instead: same meaning as the C function
 * whose name follows "harness_", over WCHAR. This header comes after <winhttp.h>.
 */
static inline size_t harness_wcslen(const WCHAR *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

static inline int harness_wcscmp(const WCHAR *a, const WCHAR *b)
{
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return (*a > *b) - (*a < *b);
}

static inline int harness_wcsncmp(const WCHAR *a, const WCHAR *b, size_t n)
{
    for (; n && *a && *a == *b; n--) {
        a++;
        b++;
    }
    return n ? (*a > *b) - (*a < *b) : 0;
}

static inline WCHAR *harness_wcscpy(WCHAR *dst, const WCHAR *src)
{
    size_t i = 0;
    do
        dst[i] = src[i];
    while (src[i++]);
    return dst;
}

static inline WCHAR *harness_wcscat(WCHAR *dst, const WCHAR *src)
{
    harness_wcscpy(dst + harness_wcslen(dst), src);
    return dst;
}

static inline const WCHAR *harness_wcschr(const WCHAR *s, WCHAR c)
{
    for (; *s; s++)
        if (*s == c)
            return s;
    return c ? NULL : s;
}

static inline const WCHAR *harness_wcsstr(const WCHAR *hay, const WCHAR *needle)
{
    size_t n = harness_wcslen(needle);
    for (; *hay; hay++)
        if (harness_wcsncmp(hay, needle, n) == 0)
            return hay;
    return n ? NULL : hay;
}

static inline long harness_wcstol(const WCHAR *s, WCHAR **end, int base)
{
    char buf[64];
    char *stop;
    size_t i = 0;
    long v;
    for (; s[i] && s[i] < 0x80 && i + 1 < sizeof buf; i++)
        buf[i] = (char)s[i];
    buf[i] = 0;
    v = strtol(buf, &stop, base);
    if (end)
        *end = (WCHAR *)(s + (stop - buf));
    return v;
}

/* UTF-8 bytes -> WCHAR (UTF-16 surrogate pairs for a 16-bit WCHAR); at most n units, terminator
 * included. Returns the units written without it, or -1 when it did not fit. */
static inline int harness_widen(WCHAR *dst, size_t n, const char *src)
{
    const unsigned char *p = (const unsigned char *)src;
    size_t o = 0;
    while (*p) {
        unsigned long c = *p++;
        int more = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : 0;
        c &= more == 3 ? 0x07 : more == 2 ? 0x0f : more == 1 ? 0x1f : 0x7f;
        while (more-- > 0 && (*p & 0xc0) == 0x80)
            c = (c << 6) | (*p++ & 0x3f);
        if (sizeof(WCHAR) == 2 && c > 0xffff) {
            if (o + 2 >= n)
                return -1;
            dst[o++] = (WCHAR)(0xd800 + ((c - 0x10000) >> 10));
            dst[o++] = (WCHAR)(0xdc00 + ((c - 0x10000) & 0x3ff));
        } else {
            if (o + 1 >= n)
                return -1;
            dst[o++] = (WCHAR)c;
        }
    }
    if (n)
        dst[o] = 0;
    return (int)o;
}

/* swprintf over WCHAR: the format's conversions are the narrow printf's (%d, %u, %s for a char
 * string, ...), so a format of ASCII text and numbers reads as it does with swprintf. */
static inline int harness_swprintf(WCHAR *dst, size_t n, const WCHAR *fmt, ...)
{
    char f[512], out[2048];
    size_t i = 0;
    va_list ap;
    for (; fmt[i] && i + 1 < sizeof f; i++)
        f[i] = fmt[i] < 0x80 ? (char)fmt[i] : '?';
    f[i] = 0;
    va_start(ap, fmt);
    vsnprintf(out, sizeof out, f, ap);
    va_end(ap);
    return harness_widen(dst, n, out);
}

/* A WCHAR string as UTF-8 for printf's %s (NULL as "(null)"). Eight rotating buffers per thread,
 * so a few can appear in one printf. */
static inline const char *harness_narrow(const WCHAR *s)
{
    static _Thread_local char bufs[8][1024];
    static _Thread_local unsigned next;
    char *out = bufs[next++ % 8];
    size_t o = 0;
    if (!s)
        return "(null)";
    for (; *s && o + 5 < sizeof bufs[0]; s++) {
        unsigned long c = (unsigned long)*s;
        if (sizeof(WCHAR) == 2 && c >= 0xd800 && c < 0xdc00 && s[1] >= 0xdc00 && s[1] < 0xe000) {
            c = 0x10000 + ((c - 0xd800) << 10) + ((unsigned long)s[1] - 0xdc00);
            s++;
        }
        if (c < 0x80) {
            out[o++] = (char)c;
        } else if (c < 0x800) {
            out[o++] = (char)(0xc0 | (c >> 6));
            out[o++] = (char)(0x80 | (c & 0x3f));
        } else if (c < 0x10000) {
            out[o++] = (char)(0xe0 | (c >> 12));
            out[o++] = (char)(0x80 | ((c >> 6) & 0x3f));
            out[o++] = (char)(0x80 | (c & 0x3f));
        } else {
            out[o++] = (char)(0xf0 | (c >> 18));
            out[o++] = (char)(0x80 | ((c >> 12) & 0x3f));
            out[o++] = (char)(0x80 | ((c >> 6) & 0x3f));
            out[o++] = (char)(0x80 | (c & 0x3f));
        }
    }
    out[o] = 0;
    return out;
}

/* A wide literal of the program's WCHAR, as Windows' TEXT() under UNICODE: u"..." when WCHAR is
 * char16_t (WINHTTP_WCHAR16), else L"..." (the platform wchar_t, 16-bit with -fshort-wchar). */
#ifndef TEXT
#if defined(WINHTTP_WCHAR16)
#define TEXT(s) u##s
#else
#define TEXT(s) L##s
#endif
#endif

/* Two wide strings that must be equal. */
#define CHECK_WSTR(actual, expected)                                                               \
    do {                                                                                           \
        const WCHAR *a_ = (actual), *e_ = (expected);                                              \
        int eq_ = a_ && e_ && harness_wcscmp(a_, e_) == 0;                                         \
        if (!eq_)                                                                                  \
            printf("  %s = \"%s\", expected \"%s\"\n", #actual, harness_narrow(a_),              \
                   harness_narrow(e_));                                                            \
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
