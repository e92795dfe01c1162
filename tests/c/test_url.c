/*
 * WinHttpCrackUrl and WinHttpCreateUrl, written the way a Windows program uses them: argument
 * errors, the three ways of asking for a component (not at all, pointer into the URL, copy into a
 * buffer), buffer sizes in characters, ports, escaping and decoding, and round trips.
 *
 * Non-ASCII with ICU_ESCAPE is expected to succeed, as on Windows with a UTF-8 ANSI code page.
 *
 * Strings are TEXT("..."), so this program also builds with WINHTTP_WCHAR16 (char16_t).
 * c_suite: char16
 */
#ifdef _WIN32
#include <windows.h>
#endif
#include <winhttp.h>

#include "harness.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const WCHAR full_url[] = TEXT("http://username:password@www.winehq.org/site/about?query");
static const WCHAR no_query_url[] = TEXT("http://username:password@www.winehq.org/site/about");
static const WCHAR escaped_url[] = TEXT("http://username:password@www.winehq.org/site/about%20!%22%23$%25&'()")
                                   TEXT("*+,-./:;%3C=%3E?@%5B%5C%5D%5E_%60%7B%7C%7D%7E");
static const WCHAR special_chars[] = TEXT(" !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~");

static WCHAR s_http[] = TEXT("http");
static WCHAR s_ftp[] = TEXT("ftp");
static WCHAR s_host[] = TEXT("www.winehq.org");
static WCHAR s_user[] = TEXT("username");
static WCHAR s_pass[] = TEXT("password");
static WCHAR s_path[] = TEXT("/site/about");
static WCHAR s_query[] = TEXT("?query");
static WCHAR s_empty[] = TEXT("");

/* Every component asked for as a pointer into the URL (NULL pointer, non-zero length). */
static void ask_pointers(URL_COMPONENTS *uc)
{
    memset(uc, 0, sizeof(*uc));
    uc->dwStructSize = sizeof(URL_COMPONENTS);
    uc->dwSchemeLength = (DWORD)-1;
    uc->dwHostNameLength = 1;
    uc->dwUserNameLength = (DWORD)-1;
    uc->dwPasswordLength = (DWORD)-1;
    uc->dwUrlPathLength = (DWORD)-1;
    uc->dwExtraInfoLength = (DWORD)-1;
}

struct buffers {
    WCHAR scheme[16], host[64], user[32], pass[32], path[128], extra[64];
};

/* Every component asked for as a copy into a caller buffer. */
static void ask_copies(URL_COMPONENTS *uc, struct buffers *b)
{
    memset(uc, 0, sizeof(*uc));
    memset(b, 0, sizeof(*b));
    uc->dwStructSize = sizeof(URL_COMPONENTS);
    uc->lpszScheme = b->scheme;
    uc->dwSchemeLength = COUNT(b->scheme);
    uc->lpszHostName = b->host;
    uc->dwHostNameLength = COUNT(b->host);
    uc->lpszUserName = b->user;
    uc->dwUserNameLength = COUNT(b->user);
    uc->lpszPassword = b->pass;
    uc->dwPasswordLength = COUNT(b->pass);
    uc->lpszUrlPath = b->path;
    uc->dwUrlPathLength = COUNT(b->path);
    uc->lpszExtraInfo = b->extra;
    uc->dwExtraInfoLength = COUNT(b->extra);
}

/* The components of full_url, as CreateUrl input. */
static void standard_parts(URL_COMPONENTS *uc)
{
    memset(uc, 0, sizeof(*uc));
    uc->dwStructSize = sizeof(URL_COMPONENTS);
    uc->lpszScheme = s_http;
    uc->dwSchemeLength = (DWORD)harness_wcslen(s_http);
    uc->nScheme = INTERNET_SCHEME_HTTP;
    uc->lpszHostName = s_host;
    uc->dwHostNameLength = (DWORD)harness_wcslen(s_host);
    uc->nPort = INTERNET_DEFAULT_HTTP_PORT;
    uc->lpszUserName = s_user;
    uc->dwUserNameLength = (DWORD)harness_wcslen(s_user);
    uc->lpszPassword = s_pass;
    uc->dwPasswordLength = (DWORD)harness_wcslen(s_pass);
    uc->lpszUrlPath = s_path;
    uc->dwUrlPathLength = (DWORD)harness_wcslen(s_path);
    uc->lpszExtraInfo = s_query;
    uc->dwExtraInfoLength = (DWORD)harness_wcslen(s_query);
}

static void crack_bad_arguments(void)
{
    URL_COMPONENTS uc;

    ask_pointers(&uc);
    SetLastError(0xdeadbeef);
    CHECK_FAILS(WinHttpCrackUrl(NULL, 0, 0, &uc), ERROR_INVALID_PARAMETER);
    CHECK_FAILS(WinHttpCrackUrl(full_url, 0, 0, NULL), ERROR_INVALID_PARAMETER);

    uc.dwStructSize = 0;
    CHECK_FAILS(WinHttpCrackUrl(full_url, 0, 0, &uc), ERROR_INVALID_PARAMETER);
    uc.dwStructSize = sizeof(URL_COMPONENTS) + 1;
    CHECK_FAILS(WinHttpCrackUrl(full_url, 0, 0, &uc), ERROR_INVALID_PARAMETER);
    CHECK_EQ(uc.dwHostNameLength, 1);
    CHECK(uc.lpszHostName == NULL);
}

static void crack_into_buffers(void)
{
    URL_COMPONENTS uc;
    struct buffers b;

    ask_copies(&uc, &b);
    SetLastError(0xdeadbeef);
    CHECK_OK(WinHttpCrackUrl(full_url, 0, 0, &uc));
    CHECK_EQ(uc.nScheme, INTERNET_SCHEME_HTTP);
    CHECK(uc.lpszScheme == b.scheme);
    CHECK_WSTR(uc.lpszScheme, TEXT("http"));
    CHECK_EQ(uc.dwSchemeLength, 4);
    CHECK_WSTR(uc.lpszUserName, TEXT("username"));
    CHECK_EQ(uc.dwUserNameLength, 8);
    CHECK_WSTR(uc.lpszPassword, TEXT("password"));
    CHECK_EQ(uc.dwPasswordLength, 8);
    CHECK_WSTR(uc.lpszHostName, TEXT("www.winehq.org"));
    CHECK_EQ(uc.dwHostNameLength, 14);
    CHECK_EQ(uc.nPort, INTERNET_DEFAULT_HTTP_PORT);
    CHECK_WSTR(uc.lpszUrlPath, TEXT("/site/about"));
    CHECK_EQ(uc.dwUrlPathLength, 11);
    CHECK_WSTR(uc.lpszExtraInfo, TEXT("?query"));
    CHECK_EQ(uc.dwExtraInfoLength, 6);

    /* Too small for scheme and host: each gets its size with the terminator, the path fits. */
    uc.dwSchemeLength = 1;
    uc.dwHostNameLength = 1;
    uc.dwUrlPathLength = 40;
    SetLastError(0xdeadbeef);
    CHECK_FAILS(WinHttpCrackUrl(full_url, 0, 0, &uc), ERROR_INSUFFICIENT_BUFFER);
    CHECK_EQ(uc.dwSchemeLength, 5);
    CHECK_EQ(uc.dwHostNameLength, 15);
    CHECK_EQ(uc.dwUrlPathLength, 11);

    /* Exactly the size asked for is enough. */
    uc.dwUrlPathLength = 40;
    uc.dwUserNameLength = COUNT(b.user);
    uc.dwPasswordLength = COUNT(b.pass);
    uc.dwExtraInfoLength = COUNT(b.extra);
    CHECK_OK(WinHttpCrackUrl(full_url, 0, 0, &uc));
    CHECK_EQ(uc.dwSchemeLength, 4);
    CHECK_EQ(uc.dwHostNameLength, 14);
    CHECK_WSTR(uc.lpszHostName, TEXT("www.winehq.org"));

    /* A buffer of the text's length has no room for the terminator. */
    uc.dwHostNameLength = 14;
    CHECK_FAILS(WinHttpCrackUrl(full_url, 0, 0, &uc), ERROR_INSUFFICIENT_BUFFER);
    CHECK_EQ(uc.dwHostNameLength, 15);
}

static void crack_pointers(void)
{
    static const WCHAR k2[] = TEXT("http://www.winehq.org");
    static const WCHAR k3[] = TEXT("https://www.winehq.org/post?");
    URL_COMPONENTS uc;

    ask_pointers(&uc);
    SetLastError(0xdeadbeef);
    CHECK_OK(WinHttpCrackUrl(no_query_url, 0, 0, &uc));
    CHECK_EQ(uc.nScheme, INTERNET_SCHEME_HTTP);
    CHECK(uc.lpszScheme == no_query_url);
    CHECK_EQ(uc.dwSchemeLength, 4);
    CHECK(uc.lpszUserName == no_query_url + 7);
    CHECK_EQ(uc.dwUserNameLength, 8);
    CHECK(uc.lpszPassword == no_query_url + 16);
    CHECK_EQ(uc.dwPasswordLength, 8);
    CHECK(uc.lpszHostName == no_query_url + 25);
    CHECK_EQ(uc.dwHostNameLength, 14);
    CHECK_EQ(uc.nPort, 80);
    CHECK(uc.lpszUrlPath == no_query_url + 39);
    CHECK_EQ(uc.dwUrlPathLength, 11);
    CHECK(uc.lpszExtraInfo == no_query_url + 50);
    CHECK_EQ(uc.dwExtraInfoLength, 0);

    /* No user, no password, no path. */
    ask_pointers(&uc);
    uc.dwSchemeLength = uc.dwHostNameLength = uc.dwUserNameLength = 1;
    uc.dwPasswordLength = uc.dwUrlPathLength = uc.dwExtraInfoLength = 1;
    CHECK_OK(WinHttpCrackUrl(k2, 0, 0, &uc));
    CHECK(uc.lpszScheme == k2);
    CHECK_EQ(uc.dwSchemeLength, 4);
    CHECK(uc.lpszUserName == NULL);
    CHECK_EQ(uc.dwUserNameLength, 0);
    CHECK(uc.lpszPassword == NULL);
    CHECK_EQ(uc.dwPasswordLength, 0);
    CHECK(uc.lpszHostName == k2 + 7);
    CHECK_EQ(uc.dwHostNameLength, 14);
    CHECK_EQ(uc.nPort, 80);
    CHECK(uc.lpszUrlPath == k2 + 21);
    CHECK_EQ(uc.dwUrlPathLength, 0);
    CHECK(uc.lpszExtraInfo == k2 + 21);
    CHECK_EQ(uc.dwExtraInfoLength, 0);

    /* https, default port 443, an empty query is still extra info. */
    ask_pointers(&uc);
    CHECK_OK(WinHttpCrackUrl(k3, 0, 0, &uc));
    CHECK_EQ(uc.nScheme, INTERNET_SCHEME_HTTPS);
    CHECK_EQ(uc.dwSchemeLength, 5);
    CHECK(uc.lpszHostName == k3 + 8);
    CHECK_EQ(uc.dwHostNameLength, 14);
    CHECK_EQ(uc.nPort, INTERNET_DEFAULT_HTTPS_PORT);
    CHECK(uc.lpszUrlPath == k3 + 22);
    CHECK_EQ(uc.dwUrlPathLength, 5);
    CHECK(uc.lpszExtraInfo == k3 + 27);
    CHECK_EQ(uc.dwExtraInfoLength, 1);
}

static void crack_bad_urls(void)
{
    static const WCHAR *invalid[] = {TEXT("HTTP:www.winehq.org"), TEXT("http:/www.winehq.org"), TEXT("http://"),
                                     TEXT("http://winehq.org:65536"), TEXT("https://winehq.org:99999/x")};
    static const WCHAR *unknown[] = {TEXT("www.winehq.org"), TEXT("www"), TEXT("http"), TEXT(""), TEXT("ftp://ftp.winehq.org/"),
                                     TEXT("mailto:someone@winehq.org")};
    URL_COMPONENTS uc;
    size_t i;

    for (i = 0; i < COUNT(invalid); i++) {
        ask_pointers(&uc);
        SetLastError(0xdeadbeef);
        CHECK_FAILS(WinHttpCrackUrl(invalid[i], 0, 0, &uc), ERROR_WINHTTP_INVALID_URL);
    }
    for (i = 0; i < COUNT(unknown); i++) {
        ask_pointers(&uc);
        SetLastError(0xdeadbeef);
        CHECK_FAILS(WinHttpCrackUrl(unknown[i], 0, 0, &uc), ERROR_WINHTTP_UNRECOGNIZED_SCHEME);
    }
}

static void crack_odd_shapes(void)
{
    static const WCHAR q[] = TEXT("http://winehq?");
    static const WCHAR semi[] = TEXT("http://winehq/post;a");
    static const WCHAR at[] = TEXT("http://example.net/path?var1=example@example.com&var2=x&var3=y");
    static const WCHAR upper[] = TEXT("HTTPS://www.winehq.org/");
    URL_COMPONENTS uc;
    struct buffers b;

    ask_pointers(&uc);
    CHECK_OK(WinHttpCrackUrl(q, 0, 0, &uc));
    CHECK(uc.lpszUrlPath == q + 14);
    CHECK_EQ(uc.dwUrlPathLength, 0);
    CHECK(uc.lpszExtraInfo == q + 14);
    CHECK_EQ(uc.dwExtraInfoLength, 0);

    ask_pointers(&uc);
    CHECK_OK(WinHttpCrackUrl(semi, 0, 0, &uc));
    CHECK(uc.lpszUrlPath == semi + 13);
    CHECK_EQ(uc.dwUrlPathLength, 7);
    CHECK(uc.lpszExtraInfo == semi + 20);
    CHECK_EQ(uc.dwExtraInfoLength, 0);

    ask_pointers(&uc);
    CHECK_OK(WinHttpCrackUrl(at, 0, 0, &uc));
    CHECK(uc.lpszUserName == NULL);
    CHECK(uc.lpszPassword == NULL);
    CHECK(uc.lpszHostName == at + 7);
    CHECK_EQ(uc.dwHostNameLength, 11);
    CHECK_EQ(uc.nPort, 80);
    CHECK(uc.lpszUrlPath == at + 18);
    CHECK_EQ(uc.dwUrlPathLength, 5);
    CHECK(uc.lpszExtraInfo == at + 23);
    CHECK_EQ(uc.dwExtraInfoLength, 39);

    /* The scheme is matched without regard to case and returned as written. */
    ask_copies(&uc, &b);
    CHECK_OK(WinHttpCrackUrl(upper, 0, 0, &uc));
    CHECK_EQ(uc.nScheme, INTERNET_SCHEME_HTTPS);
    CHECK_WSTR(b.scheme, TEXT("HTTPS"));
    CHECK_EQ(uc.nPort, 443);
    CHECK_WSTR(b.path, TEXT("/"));
}

static void crack_userinfo(void)
{
    static const WCHAR only_user[] = TEXT("http://someone@www.winehq.org/");
    static const WCHAR empty_both[] = TEXT("http://:@www.winehq.org/");
    URL_COMPONENTS uc;
    struct buffers b;

    ask_copies(&uc, &b);
    CHECK_OK(WinHttpCrackUrl(only_user, 0, 0, &uc));
    CHECK_WSTR(b.user, TEXT("someone"));
    CHECK_EQ(uc.dwUserNameLength, 7);
    CHECK_EQ(uc.dwPasswordLength, 0);
    CHECK_WSTR(b.host, TEXT("www.winehq.org"));

    ask_pointers(&uc);
    CHECK_OK(WinHttpCrackUrl(empty_both, 0, 0, &uc));
    CHECK(uc.lpszUserName == empty_both + 7);
    CHECK_EQ(uc.dwUserNameLength, 0);
    CHECK(uc.lpszPassword == empty_both + 8);
    CHECK_EQ(uc.dwPasswordLength, 0);
    CHECK(uc.lpszHostName == empty_both + 9);

    /* ICU_REJECT_USERPWD refuses credentials, and only them. */
    ask_pointers(&uc);
    CHECK_FAILS(WinHttpCrackUrl(full_url, 0, ICU_REJECT_USERPWD, &uc), ERROR_WINHTTP_INVALID_URL);
    ask_pointers(&uc);
    CHECK_FAILS(WinHttpCrackUrl(only_user, 0, ICU_REJECT_USERPWD, &uc), ERROR_WINHTTP_INVALID_URL);
    ask_pointers(&uc);
    CHECK_OK(WinHttpCrackUrl(TEXT("http://www.winehq.org/a@b"), 0, ICU_REJECT_USERPWD, &uc));
    CHECK_EQ(uc.dwHostNameLength, 14);
}

static void crack_ports(void)
{
    URL_COMPONENTS uc;

    ask_pointers(&uc);
    CHECK_OK(WinHttpCrackUrl(TEXT("http://username:password@www.winehq.org:42/site/about?query"), 0, 0, &uc));
    CHECK_EQ(uc.nPort, 42);
    CHECK_EQ(uc.dwHostNameLength, 14);

    ask_pointers(&uc);
    uc.nPort = 1;
    CHECK_OK(WinHttpCrackUrl(TEXT("http://username:password@www.winehq.org:0/site/about?query"), 0, 0, &uc));
    CHECK_EQ(uc.nPort, 0);

    ask_pointers(&uc);
    CHECK_OK(WinHttpCrackUrl(TEXT("http://username:password@www.winehq.org:80/site/about?query"), 0, 0, &uc));
    CHECK_EQ(uc.nPort, 80);

    ask_pointers(&uc);
    CHECK_OK(WinHttpCrackUrl(TEXT("https://username:password@www.winehq.org:443/site/about?query"), 0, 0, &uc));
    CHECK_EQ(uc.nPort, 443);

    ask_pointers(&uc);
    CHECK_OK(WinHttpCrackUrl(TEXT("https://www.winehq.org:8443"), 0, 0, &uc));
    CHECK_EQ(uc.nPort, 8443);
    CHECK_EQ(uc.dwHostNameLength, 14);

    ask_pointers(&uc);
    CHECK_OK(WinHttpCrackUrl(TEXT("http://winehq.org:65535/"), 0, 0, &uc));
    CHECK_EQ(uc.nPort, 65535);

    /* An empty port means the default one. */
    ask_pointers(&uc);
    uc.nPort = 1;
    CHECK_OK(WinHttpCrackUrl(TEXT("http://winehq.org:"), 0, 0, &uc));
    CHECK_EQ(uc.nPort, 80);
    ask_pointers(&uc);
    uc.nPort = 1;
    CHECK_OK(WinHttpCrackUrl(TEXT("http://winehq.org:/"), 0, 0, &uc));
    CHECK_EQ(uc.nPort, 80);
    CHECK_EQ(uc.dwHostNameLength, 10);

    ask_pointers(&uc);
    uc.nPort = 1;
    CHECK_FAILS(WinHttpCrackUrl(TEXT("http://winehq.org:65536"), 0, 0, &uc), ERROR_WINHTTP_INVALID_URL);
    CHECK_EQ(uc.nPort, 1);
}

static void crack_ipv6(void)
{
    static const WCHAR v6[] = TEXT("http://[2001:db8::1]:8080/index.html");
    URL_COMPONENTS uc;
    struct buffers b;

    ask_copies(&uc, &b);
    CHECK_OK(WinHttpCrackUrl(v6, 0, 0, &uc));
    CHECK_WSTR(b.host, TEXT("[2001:db8::1]"));
    CHECK_EQ(uc.dwHostNameLength, 13);
    CHECK_EQ(uc.nPort, 8080);
    CHECK_WSTR(b.path, TEXT("/index.html"));

    ask_copies(&uc, &b);
    CHECK_OK(WinHttpCrackUrl(TEXT("https://[::1]/"), 0, 0, &uc));
    CHECK_WSTR(b.host, TEXT("[::1]"));
    CHECK_EQ(uc.nPort, 443);
}

static void crack_length_and_folding(void)
{
    static const WCHAR long_url[] =
        TEXT("https://nba2k19-ws.2ksports.com:19133/nba/v4/Accounts/get_account?x=3789526775265663876");
    static const WCHAR tail[] = TEXT("http://www.winehq.org/testXYZ");
    URL_COMPONENTS uc;
    struct buffers b;

    /* ExtraInfo not asked for (NULL, 0): the query stays in the path. */
    ask_copies(&uc, &b);
    uc.lpszUserName = uc.lpszPassword = uc.lpszExtraInfo = NULL;
    uc.dwUserNameLength = uc.dwPasswordLength = uc.dwExtraInfoLength = 0;
    CHECK_OK(WinHttpCrackUrl(long_url, 0, 0, &uc));
    CHECK_WSTR(b.path, long_url + 37);
    CHECK_EQ(uc.dwUrlPathLength, 50);
    CHECK_EQ(uc.nPort, 19133);
    CHECK(uc.lpszExtraInfo == NULL);
    CHECK_EQ(uc.dwExtraInfoLength, 0);

    /* An explicit length cracks only that many characters. */
    ask_copies(&uc, &b);
    CHECK_OK(WinHttpCrackUrl(tail, (DWORD)harness_wcslen(tail) - 3, 0, &uc));
    CHECK_WSTR(b.path, TEXT("/test"));
    CHECK_EQ(uc.dwUrlPathLength, 5);
    ask_copies(&uc, &b);
    CHECK_OK(WinHttpCrackUrl(tail, 15, 0, &uc));
    CHECK_WSTR(b.host, TEXT("www.wine"));
    CHECK_EQ(uc.dwUrlPathLength, 0);
}

static void crack_scheme_not_asked(void)
{
    static const WCHAR url[] = TEXT("http://www.winehq.org/test");
    URL_COMPONENTS uc;
    WCHAR scheme[16];

    memset(&uc, 0, sizeof(uc));
    uc.dwStructSize = sizeof(uc);
    uc.dwHostNameLength = (DWORD)-1;
    uc.dwUserNameLength = (DWORD)-1;
    uc.dwPasswordLength = (DWORD)-1;
    uc.dwUrlPathLength = (DWORD)-1;
    uc.dwExtraInfoLength = (DWORD)-1;
    CHECK_OK(WinHttpCrackUrl(url, 0, 0, &uc));
    CHECK(uc.lpszScheme == NULL);
    CHECK_EQ(uc.dwSchemeLength, 0);
    CHECK_EQ(uc.nScheme, INTERNET_SCHEME_HTTP);
    CHECK(uc.lpszHostName == url + 7);
    CHECK_EQ(uc.dwHostNameLength, 14);
    CHECK_EQ(uc.nPort, 80);
    CHECK(uc.lpszUserName == NULL);
    CHECK(uc.lpszPassword == NULL);
    CHECK_EQ(uc.dwUrlPathLength, 5);
    CHECK(uc.lpszExtraInfo != NULL && uc.lpszExtraInfo[0] == 0);
    CHECK_EQ(uc.dwExtraInfoLength, 0);

    /* A buffer with a zero length: invalid, and nothing is written. */
    harness_wcscpy(scheme, TEXT("keep"));
    memset(&uc, 0, sizeof(uc));
    uc.dwStructSize = sizeof(uc);
    uc.lpszScheme = scheme;
    uc.dwUserNameLength = (DWORD)-1;
    uc.dwPasswordLength = (DWORD)-1;
    SetLastError(0xdeadbeef);
    CHECK_FAILS(WinHttpCrackUrl(url, 0, 0, &uc), ERROR_INVALID_PARAMETER);
    CHECK_WSTR(scheme, TEXT("keep"));
    CHECK_EQ(uc.dwSchemeLength, 0);
    CHECK_EQ(uc.nScheme, 0);
    CHECK(uc.lpszHostName == NULL);
    CHECK_EQ(uc.nPort, 0);
    CHECK(uc.lpszUserName == NULL);
    CHECK_EQ(uc.dwUserNameLength, (DWORD)-1);
    CHECK_EQ(uc.dwPasswordLength, (DWORD)-1);
    CHECK(uc.lpszUrlPath == NULL);
    CHECK(uc.lpszExtraInfo == NULL);
}

static void crack_decode_and_escape(void)
{
    static const WCHAR with_colon[] = TEXT("https://tools.google.com/service/update2?w=3:BxDHoWy8ezM");
    static const WCHAR spaces[] = TEXT("http://winehq.o g/path with spaces");
    URL_COMPONENTS uc;
    struct buffers b;

    /* Decoding needs buffers. */
    ask_pointers(&uc);
    SetLastError(0xdeadbeef);
    CHECK_FAILS(WinHttpCrackUrl(escaped_url, 0, ICU_DECODE, &uc), ERROR_INVALID_PARAMETER);

    ask_copies(&uc, &b);
    CHECK_OK(WinHttpCrackUrl(escaped_url, 0, ICU_DECODE, &uc));
    CHECK(!memcmp(b.path, TEXT("/site/about"), 11 * sizeof(WCHAR)));
    CHECK(!memcmp(b.path + 11, special_chars, 21 * sizeof(WCHAR)));
    CHECK_EQ(uc.dwUrlPathLength, 32);
    CHECK(!memcmp(b.extra, special_chars + 21, 12 * sizeof(WCHAR)));
    CHECK_EQ(uc.dwExtraInfoLength, 12);
    CHECK_WSTR(b.user, TEXT("username"));

    ask_copies(&uc, &b);
    uc.lpszUserName = uc.lpszPassword = uc.lpszExtraInfo = NULL;
    uc.dwUserNameLength = uc.dwPasswordLength = uc.dwExtraInfoLength = 0;
    CHECK_OK(WinHttpCrackUrl(with_colon, 0, ICU_DECODE, &uc));
    CHECK_WSTR(b.path, TEXT("/service/update2?w=3:BxDHoWy8ezM"));

    ask_copies(&uc, &b);
    uc.lpszUserName = uc.lpszPassword = uc.lpszExtraInfo = NULL;
    uc.dwUserNameLength = uc.dwPasswordLength = uc.dwExtraInfoLength = 0;
    CHECK_OK(WinHttpCrackUrl(spaces, 0, ICU_ESCAPE | ICU_DECODE, &uc));
    CHECK_WSTR(b.host, TEXT("winehq.o g"));
    CHECK_WSTR(b.path, TEXT("/path%20with%20spaces"));
    CHECK_EQ(uc.dwUrlPathLength, harness_wcslen(TEXT("/path%20with%20spaces")));

    /* Without ICU_DECODE, escapes stay as they are. */
    ask_copies(&uc, &b);
    CHECK_OK(WinHttpCrackUrl(escaped_url, 0, 0, &uc));
    CHECK_EQ(uc.dwUrlPathLength, harness_wcslen(TEXT("/site/about%20!%22%23$%25&'()*+,-./:;%3C=%3E")));
    CHECK_WSTR(b.extra, TEXT("?@%5B%5C%5D%5E_%60%7B%7C%7D%7E"));
}

static void create_bad_arguments(void)
{
    URL_COMPONENTS uc;
    WCHAR url[256];
    DWORD len;

    len = (DWORD)-1;
    SetLastError(0xdeadbeef);
    CHECK_FAILS(WinHttpCreateUrl(NULL, 0, NULL, &len), ERROR_INVALID_PARAMETER);
    CHECK_EQ(len, (DWORD)-1);

    memset(&uc, 0, sizeof(uc));
    CHECK_FAILS(WinHttpCreateUrl(&uc, 0, NULL, &len), ERROR_INVALID_PARAMETER);
    CHECK_EQ(len, (DWORD)-1);
    CHECK_FAILS(WinHttpCreateUrl(&uc, 0, url, &len), ERROR_INVALID_PARAMETER);
    CHECK_EQ(len, (DWORD)-1);

    standard_parts(&uc);
    CHECK_FAILS(WinHttpCreateUrl(&uc, 0, NULL, NULL), ERROR_INVALID_PARAMETER);
    CHECK_FAILS(WinHttpCreateUrl(&uc, 0, url, NULL), ERROR_INVALID_PARAMETER);

    uc.dwStructSize = sizeof(URL_COMPONENTS) - 1;
    len = COUNT(url);
    CHECK_FAILS(WinHttpCreateUrl(&uc, 0, url, &len), ERROR_INVALID_PARAMETER);
    CHECK_EQ(len, COUNT(url));
}

static void create_sizes(void)
{
    URL_COMPONENTS uc;
    WCHAR url[256];
    DWORD len;

    standard_parts(&uc);
    len = 0;
    SetLastError(0xdeadbeef);
    CHECK_FAILS(WinHttpCreateUrl(&uc, 0, NULL, &len), ERROR_INSUFFICIENT_BUFFER);
    CHECK_EQ(len, 57);

    len = 256;
    CHECK_FAILS(WinHttpCreateUrl(&uc, 0, NULL, &len), ERROR_INVALID_PARAMETER);
    CHECK_EQ(len, 256);

    url[0] = 0;
    len = 2;
    CHECK_FAILS(WinHttpCreateUrl(&uc, 0, url, &len), ERROR_INSUFFICIENT_BUFFER);
    CHECK_EQ(len, 57);
    CHECK_EQ(url[0], 0);

    /* 56 characters need 57: the text alone does not fit. */
    len = 56;
    CHECK_FAILS(WinHttpCreateUrl(&uc, 0, url, &len), ERROR_INSUFFICIENT_BUFFER);
    CHECK_EQ(len, 57);

    len = 57;
    SetLastError(0xdeadbeef);
    CHECK_OK(WinHttpCreateUrl(&uc, 0, url, &len));
    CHECK_EQ(len, 56);
    CHECK_WSTR(url, full_url);
    CHECK_EQ(harness_wcslen(url), len);

    len = COUNT(url);
    CHECK_OK(WinHttpCreateUrl(&uc, 0, url, &len));
    CHECK_EQ(len, 56);
}

static void create_schemes_and_ports(void)
{
    URL_COMPONENTS uc;
    WCHAR url[256];
    DWORD len;

    standard_parts(&uc);
    uc.lpszScheme = NULL;
    len = COUNT(url);
    SetLastError(0xdeadbeef);
    CHECK_OK(WinHttpCreateUrl(&uc, 0, url, &len));
    CHECK_EQ(len, 56);
    CHECK_WSTR(url, full_url);

    standard_parts(&uc);
    uc.nScheme = 0;
    len = COUNT(url);
    CHECK_OK(WinHttpCreateUrl(&uc, 0, url, &len));
    CHECK_EQ(len, 56);
    CHECK_WSTR(url, full_url);

    /* The scheme string wins over nScheme; port 80 is not ftp's default. */
    standard_parts(&uc);
    uc.lpszScheme = s_ftp;
    uc.dwSchemeLength = (DWORD)harness_wcslen(s_ftp);
    len = COUNT(url);
    CHECK_OK(WinHttpCreateUrl(&uc, 0, url, &len));
    CHECK_WSTR(url, TEXT("ftp://username:password@www.winehq.org:80/site/about?query"));
    CHECK_EQ(len, harness_wcslen(TEXT("ftp://username:password@www.winehq.org:80/site/about?query")));

    standard_parts(&uc);
    uc.nPort = 42;
    len = COUNT(url);
    CHECK_OK(WinHttpCreateUrl(&uc, 0, url, &len));
    CHECK_EQ(len, 59);
    CHECK_WSTR(url, TEXT("http://username:password@www.winehq.org:42/site/about?query"));

    /* Nothing says which scheme or port: http with an explicit ":0". */
    standard_parts(&uc);
    uc.lpszScheme = NULL;
    uc.dwSchemeLength = 0;
    uc.nScheme = 0;
    uc.nPort = 0;
    len = COUNT(url);
    CHECK_OK(WinHttpCreateUrl(&uc, 0, url, &len));
    CHECK_EQ(len, 58);
    CHECK_WSTR(url, TEXT("http://username:password@www.winehq.org:0/site/about?query"));

    /* https: 443 is left out, 80 is not. */
    standard_parts(&uc);
    uc.lpszScheme = NULL;
    uc.nScheme = INTERNET_SCHEME_HTTPS;
    uc.nPort = INTERNET_DEFAULT_HTTPS_PORT;
    len = COUNT(url);
    CHECK_OK(WinHttpCreateUrl(&uc, 0, url, &len));
    CHECK_WSTR(url, TEXT("https://username:password@www.winehq.org/site/about?query"));
    uc.nPort = 80;
    len = COUNT(url);
    CHECK_OK(WinHttpCreateUrl(&uc, 0, url, &len));
    CHECK_WSTR(url, TEXT("https://username:password@www.winehq.org:80/site/about?query"));

    /* A scheme length shorter than the string takes only that much. */
    standard_parts(&uc);
    uc.lpszScheme = TEXT("httpsXYZ");
    uc.dwSchemeLength = 5;
    uc.nPort = 443;
    len = COUNT(url);
    CHECK_OK(WinHttpCreateUrl(&uc, 0, url, &len));
    CHECK_WSTR(url, TEXT("https://username:password@www.winehq.org/site/about?query"));
}

static void create_userinfo(void)
{
    URL_COMPONENTS uc;
    WCHAR url[256];
    DWORD len;

    standard_parts(&uc);
    uc.lpszPassword = NULL;
    len = COUNT(url);
    CHECK_OK(WinHttpCreateUrl(&uc, 0, url, &len));
    CHECK_WSTR(url, TEXT("http://username@www.winehq.org/site/about?query"));

    standard_parts(&uc);
    uc.lpszPassword = s_empty;
    uc.dwPasswordLength = 0;
    len = COUNT(url);
    CHECK_OK(WinHttpCreateUrl(&uc, 0, url, &len));
    CHECK_EQ(len, 48);
    CHECK_WSTR(url, TEXT("http://username:@www.winehq.org/site/about?query"));

    standard_parts(&uc);
    uc.lpszUserName = NULL;
    len = COUNT(url);
    SetLastError(0xdeadbeef);
    CHECK_FAILS(WinHttpCreateUrl(&uc, 0, url, &len), ERROR_INVALID_PARAMETER);
    CHECK_EQ(len, COUNT(url));

    standard_parts(&uc);
    uc.lpszUserName = s_empty;
    uc.dwUserNameLength = 0;
    len = COUNT(url);
    CHECK_OK(WinHttpCreateUrl(&uc, 0, url, &len));
    CHECK_WSTR(url, TEXT("http://:password@www.winehq.org/site/about?query"));

    standard_parts(&uc);
    uc.lpszUserName = s_empty;
    uc.dwUserNameLength = 0;
    uc.lpszPassword = s_empty;
    uc.dwPasswordLength = 0;
    len = COUNT(url);
    CHECK_OK(WinHttpCreateUrl(&uc, 0, url, &len));
    CHECK_EQ(len, 40);
    CHECK_WSTR(url, TEXT("http://:@www.winehq.org/site/about?query"));

    standard_parts(&uc);
    uc.lpszUserName = NULL;
    uc.lpszPassword = NULL;
    len = COUNT(url);
    CHECK_OK(WinHttpCreateUrl(&uc, 0, url, &len));
    CHECK_EQ(len, 38);
    CHECK_WSTR(url, TEXT("http://www.winehq.org/site/about?query"));
}

static void create_escaping(void)
{
    static WCHAR controls[] = TEXT("\r\x1f \n\x7f\r\n");
    static WCHAR wide_query[] = TEXT("?text=\xfb00");
    static WCHAR wide_path[] = TEXT("/text=\xfb00");
    static WCHAR specials[] = TEXT(" !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~");
    URL_COMPONENTS uc;
    WCHAR url[256];
    DWORD len;

    standard_parts(&uc);
    uc.lpszExtraInfo = specials;
    uc.dwExtraInfoLength = (DWORD)harness_wcslen(specials);
    len = COUNT(url);
    SetLastError(0xdeadbeef);
    CHECK_OK(WinHttpCreateUrl(&uc, ICU_ESCAPE, url, &len));
    CHECK_EQ(len, 113);
    CHECK_WSTR(url, escaped_url);

    /* The required size counts the escapes too. */
    len = 0;
    CHECK_FAILS(WinHttpCreateUrl(&uc, ICU_ESCAPE, NULL, &len), ERROR_INSUFFICIENT_BUFFER);
    CHECK_EQ(len, 114);
    len = 0;
    CHECK_FAILS(WinHttpCreateUrl(&uc, 0, NULL, &len), ERROR_INSUFFICIENT_BUFFER);
    CHECK_EQ(len, 39 + 11 + harness_wcslen(specials) + 1);

    memset(&uc, 0, sizeof(uc));
    uc.dwStructSize = sizeof(uc);
    uc.lpszExtraInfo = controls;
    uc.dwExtraInfoLength = (DWORD)harness_wcslen(controls);
    len = COUNT(url);
    CHECK_OK(WinHttpCreateUrl(&uc, ICU_ESCAPE, url, &len));
    CHECK_WSTR(url, TEXT("http://%0D%1F%20%0A%7F%0D%0A"));
    CHECK_EQ(len, harness_wcslen(TEXT("http://%0D%1F%20%0A%7F%0D%0A")));

    memset(&uc, 0, sizeof(uc));
    uc.dwStructSize = sizeof(uc);
    uc.lpszUrlPath = controls;
    uc.dwUrlPathLength = (DWORD)harness_wcslen(controls);
    len = COUNT(url);
    CHECK_OK(WinHttpCreateUrl(&uc, ICU_ESCAPE, url, &len));
    CHECK_WSTR(url, TEXT("http://%0D%1F%20%0A%7F%0D%0A"));

    /* Only the extra info (or only the path): "http://" and that part. */
    memset(&uc, 0, sizeof(uc));
    uc.dwStructSize = sizeof(uc);
    uc.lpszExtraInfo = wide_query;
    uc.dwExtraInfoLength = (DWORD)harness_wcslen(wide_query);
    len = COUNT(url);
    CHECK_OK(WinHttpCreateUrl(&uc, 0, url, &len));
    CHECK_WSTR(url, TEXT("http://?text=\xfb00"));
    CHECK_EQ(len, harness_wcslen(TEXT("http://?text=\xfb00")));
    len = COUNT(url);
    SetLastError(0xdeadbeef);
    CHECK_OK(WinHttpCreateUrl(&uc, ICU_ESCAPE, url, &len));

    memset(&uc, 0, sizeof(uc));
    uc.dwStructSize = sizeof(uc);
    uc.lpszUrlPath = wide_path;
    uc.dwUrlPathLength = (DWORD)harness_wcslen(wide_path);
    len = COUNT(url);
    CHECK_OK(WinHttpCreateUrl(&uc, 0, url, &len));
    CHECK_WSTR(url, TEXT("http:///text=\xfb00"));
    CHECK_EQ(len, harness_wcslen(TEXT("http:///text=\xfb00")));
    len = COUNT(url);
    SetLastError(0xdeadbeef);
    CHECK_OK(WinHttpCreateUrl(&uc, ICU_ESCAPE, url, &len));

    /* The host and user name are never escaped. */
    standard_parts(&uc);
    uc.lpszHostName = TEXT("winehq.o g");
    uc.dwHostNameLength = 0;
    uc.lpszUserName = NULL;
    uc.lpszPassword = NULL;
    uc.lpszUrlPath = TEXT("/a b");
    uc.dwUrlPathLength = 0;
    uc.lpszExtraInfo = NULL;
    len = COUNT(url);
    CHECK_OK(WinHttpCreateUrl(&uc, ICU_ESCAPE, url, &len));
    CHECK_WSTR(url, TEXT("http://winehq.o g/a%20b"));
    len = COUNT(url);
    CHECK_OK(WinHttpCreateUrl(&uc, 0, url, &len));
    CHECK_WSTR(url, TEXT("http://winehq.o g/a b"));
}

static void create_missing_parts(void)
{
    URL_COMPONENTS uc;
    WCHAR url[256];
    DWORD len;

    /* A path without a leading slash gets one after the host. */
    standard_parts(&uc);
    uc.lpszUrlPath = TEXT("index.html");
    uc.dwUrlPathLength = 0;
    uc.lpszExtraInfo = NULL;
    uc.lpszUserName = NULL;
    uc.lpszPassword = NULL;
    len = COUNT(url);
    CHECK_OK(WinHttpCreateUrl(&uc, 0, url, &len));
    CHECK_WSTR(url, TEXT("http://www.winehq.org/index.html"));

    /* Host only. */
    uc.lpszUrlPath = NULL;
    len = COUNT(url);
    CHECK_OK(WinHttpCreateUrl(&uc, 0, url, &len));
    CHECK_WSTR(url, TEXT("http://www.winehq.org"));
    CHECK_EQ(len, 21);

    /* Host and extra info, no path. */
    uc.lpszExtraInfo = s_query;
    uc.dwExtraInfoLength = 0;
    len = COUNT(url);
    CHECK_OK(WinHttpCreateUrl(&uc, 0, url, &len));
    CHECK_WSTR(url, TEXT("http://www.winehq.org?query"));

    /* Lengths of 0 mean NUL-terminated strings. */
    standard_parts(&uc);
    uc.dwSchemeLength = uc.dwHostNameLength = uc.dwUserNameLength = 0;
    uc.dwPasswordLength = uc.dwUrlPathLength = uc.dwExtraInfoLength = 0;
    len = COUNT(url);
    CHECK_OK(WinHttpCreateUrl(&uc, 0, url, &len));
    CHECK_WSTR(url, full_url);

    /* Explicit lengths take a prefix. */
    standard_parts(&uc);
    uc.dwHostNameLength = 10;
    uc.dwUrlPathLength = 5;
    uc.dwExtraInfoLength = 2;
    len = COUNT(url);
    CHECK_OK(WinHttpCreateUrl(&uc, 0, url, &len));
    CHECK_WSTR(url, TEXT("http://username:password@www.winehq/site?q"));
}

static void round_trips(void)
{
    static const WCHAR *urls[] = {
        TEXT("http://username:password@www.winehq.org/site/about?query"),
        TEXT("https://www.winehq.org:8443/a/b/c.html?x=1&y=2"),
        TEXT("http://[::1]:8080/v6"),
        TEXT("https://user@example.com/"),
        TEXT("http://example.com:0/zero"),
    };
    size_t i;

    for (i = 0; i < COUNT(urls); i++) {
        URL_COMPONENTS uc;
        WCHAR out[256];
        DWORD len = COUNT(out);

        ask_pointers(&uc);
        CHECK_OK(WinHttpCrackUrl(urls[i], 0, 0, &uc));
        CHECK_OK(WinHttpCreateUrl(&uc, 0, out, &len));
        CHECK_WSTR(out, urls[i]);
        CHECK_EQ(len, harness_wcslen(urls[i]));
    }
}

int main(void)
{
    crack_bad_arguments();
    crack_into_buffers();
    crack_pointers();
    crack_bad_urls();
    crack_odd_shapes();
    crack_userinfo();
    crack_ports();
    crack_ipv6();
    crack_length_and_folding();
    crack_scheme_not_asked();
    crack_decode_and_escape();
    create_bad_arguments();
    create_sizes();
    create_schemes_and_ports();
    create_userinfo();
    create_escaping();
    create_missing_parts();
    round_trips();
    return harness_report();
}
