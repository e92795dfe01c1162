/*
 * HTTP dates: WinHttpTimeFromSystemTime (RFC 1123 formatting into a WINHTTP_TIME_FORMAT_BUFSIZE
 * buffer) and WinHttpTimeToSystemTime (RFC 1123, RFC 850, asctime and looser forms), their
 * argument errors and the last error on success. No network is needed.
 *
 * Strings are TEXT("..."), so this program also builds with WINHTTP_WCHAR16 (char16_t).
 * c_suite: char16
 */
#include <winhttp.h>
#include "harness.h"

static const SYSTEMTIME mon_2008 = {2008, 7, 1, 28, 10, 5, 52, 0};

/* Formats t; returns the call's result, the string in buf (WINHTTP_TIME_FORMAT_BUFSIZE + 1 WCHARs). */
static BOOL format(const SYSTEMTIME *t, WCHAR *buf)
{
    memset(buf, 0xff, (WINHTTP_TIME_FORMAT_BUFSIZE + 1) * sizeof(WCHAR));
    SetLastError(0xdeadbeef);
    return WinHttpTimeFromSystemTime(t, buf);
}

/* True when `text` converts successfully (last error ERROR_SUCCESS) to exactly `want`. */
static int parses_to(const WCHAR *text, const SYSTEMTIME *want)
{
    SYSTEMTIME t;
    BOOL ok;
    memset(&t, 0xcc, sizeof(t));
    SetLastError(0xdeadbeef);
    ok = WinHttpTimeToSystemTime(text, &t);
    if (!ok || GetLastError() != ERROR_SUCCESS) {
        printf("  \"%s\": failed, last error %lu\n", harness_narrow(text), (unsigned long)GetLastError());
        return 0;
    }
    if (memcmp(&t, want, sizeof(t))) {
        printf("  \"%s\" -> %u-%u-%u (dow %u) %u:%u:%u.%u\n", harness_narrow(text), t.wYear, t.wMonth, t.wDay, t.wDayOfWeek,
               t.wHour, t.wMinute, t.wSecond, t.wMilliseconds);
        return 0;
    }
    return 1;
}

static void test_from_system_time(void)
{
    static const SYSTEMTIME sun_1994 = {1994, 11, 0, 6, 8, 49, 37, 0};
    static const SYSTEMTIME leap_day = {2000, 2, 2, 29, 23, 59, 59, 0};
    static const SYSTEMTIME new_year = {2024, 1, 1, 1, 0, 0, 0, 0};
    static const SYSTEMTIME with_ms = {2008, 7, 1, 28, 10, 5, 52, 999};
    WCHAR buf[WINHTTP_TIME_FORMAT_BUFSIZE + 1];

    SetLastError(0xdeadbeef);
    CHECK_FAILS(WinHttpTimeFromSystemTime(&mon_2008, NULL), ERROR_INVALID_PARAMETER);
    SetLastError(0xdeadbeef);
    CHECK_FAILS(WinHttpTimeFromSystemTime(NULL, buf), ERROR_INVALID_PARAMETER);
    CHECK_FAILS(WinHttpTimeFromSystemTime(NULL, NULL), ERROR_INVALID_PARAMETER);

    CHECK_OK(format(&mon_2008, buf));
    CHECK(!memcmp(buf, TEXT("Mon, 28 Jul 2008 10:05:52 GMT"), sizeof(TEXT("Mon, 28 Jul 2008 10:05:52 GMT"))));
    CHECK_EQ(harness_wcslen(buf), 29);
    /* The date and its terminator fit the buffer Windows documents. */
    CHECK((harness_wcslen(buf) + 1) * 2 <= WINHTTP_TIME_FORMAT_BUFSIZE);

    CHECK_OK(format(&sun_1994, buf));
    CHECK_WSTR(buf, TEXT("Sun, 06 Nov 1994 08:49:37 GMT"));
    CHECK_OK(format(&leap_day, buf));
    CHECK_WSTR(buf, TEXT("Tue, 29 Feb 2000 23:59:59 GMT"));
    CHECK_OK(format(&new_year, buf));
    CHECK_WSTR(buf, TEXT("Mon, 01 Jan 2024 00:00:00 GMT"));
    /* Milliseconds have no place in an HTTP date. */
    CHECK_OK(format(&with_ms, buf));
    CHECK_WSTR(buf, TEXT("Mon, 28 Jul 2008 10:05:52 GMT"));
}

static void test_to_system_time(void)
{
    static const SYSTEMTIME sun_1994 = {1994, 11, 0, 6, 8, 49, 37, 0};
    SYSTEMTIME t;

    SetLastError(0xdeadbeef);
    CHECK_FAILS(WinHttpTimeToSystemTime(TEXT("Mon, 28 Jul 2008 10:05:52 GMT\n"), NULL), ERROR_INVALID_PARAMETER);
    SetLastError(0xdeadbeef);
    CHECK_FAILS(WinHttpTimeToSystemTime(NULL, &t), ERROR_INVALID_PARAMETER);
    CHECK_FAILS(WinHttpTimeToSystemTime(NULL, NULL), ERROR_INVALID_PARAMETER);

    /* RFC 1123, with a trailing newline; the day of week and milliseconds are set too. */
    memset(&t, 0xcc, sizeof(t));
    SetLastError(0xdeadbeef);
    CHECK_OK(WinHttpTimeToSystemTime(TEXT("Mon, 28 Jul 2008 10:05:52 GMT\n"), &t));
    CHECK(!memcmp(&t, &mon_2008, sizeof(t)));
    CHECK_EQ(t.wDayOfWeek, 1);
    CHECK_EQ(t.wMilliseconds, 0);

    /* Lower case, no separators. */
    memset(&t, 0xcc, sizeof(t));
    SetLastError(0xdeadbeef);
    CHECK_OK(WinHttpTimeToSystemTime(TEXT(" mon 28 jul 2008 10 05 52\n"), &t));
    CHECK(!memcmp(&t, &mon_2008, sizeof(t)));

    CHECK(parses_to(TEXT("Mon, 28 Jul 2008 10:05:52 GMT"), &mon_2008));
    /* RFC 850 and asctime, the other two forms HTTP allows. */
    CHECK(parses_to(TEXT("Monday, 28-Jul-08 10:05:52 GMT"), &mon_2008));
    CHECK(parses_to(TEXT("Mon Jul 28 10:05:52 2008"), &mon_2008));
    CHECK(parses_to(TEXT("Sun, 06 Nov 1994 08:49:37 GMT"), &sun_1994));
    CHECK(parses_to(TEXT("Sunday, 06-Nov-94 08:49:37 GMT"), &sun_1994));
    CHECK(parses_to(TEXT("Sun Nov  6 08:49:37 1994"), &sun_1994));
    CHECK(parses_to(TEXT("MON, 28 JUL 2008 10:05:52 GMT"), &mon_2008));
}

static void test_round_trip(void)
{
    static const SYSTEMTIME dates[] = {
        {1970, 1, 4, 1, 0, 0, 0, 0},
        {1999, 12, 5, 31, 23, 59, 59, 0},
        {2038, 1, 2, 19, 3, 14, 7, 0},
        {2100, 3, 1, 1, 12, 30, 45, 0},
    };
    WCHAR buf[WINHTTP_TIME_FORMAT_BUFSIZE + 1];
    size_t i;

    for (i = 0; i < sizeof(dates) / sizeof(dates[0]); i++) {
        CHECK_OK(format(&dates[i], buf));
        CHECK(parses_to(buf, &dates[i]));
    }
}

int main(void)
{
    test_from_system_time();
    test_to_system_time();
    test_round_trip();
    return harness_report();
}
