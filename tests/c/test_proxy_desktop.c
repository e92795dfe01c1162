/*
 * The desktop's proxy settings: WinHttpGetIEProxyConfigForCurrentUser, WINHTTP_ACCESS_TYPE_AUTOMATIC_PROXY,
 * WinHttpGetProxySettingsVersion, WinHttpRegisterProxyChangeNotification and the other settings functions
 * (Read/Write/FreeProxySettings, SetProxySettingsPerUser, GetProxySettingsEx & co.), read from a test
 * XDG_CONFIG_HOME: KDE's kioslaverc (XDG_CURRENT_DESKTOP=KDE), and GNOME's org.gnome.system.proxy
 * through gsettings with GSettings' keyfile backend (GSETTINGS_BACKEND=keyfile, which keeps its
 * values in $XDG_CONFIG_HOME/glib-2.0/settings/keyfile). Nothing of the user's own settings is read
 * or touched. The GNOME part skips when gsettings or the schema is missing.
 *
 * WINHTTP_TEST_RAW_PORT's /raw/echo answers with the request bytes: a request that went through it
 * as a proxy shows its absolute-form request line.
 */
#if !defined(_WIN32) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif
#include <winhttp.h>
#include "harness.h"
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char dir[256];
static int port, raw_port;

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void write_file(const char *rel, const char *text)
{
    char path[512];
    FILE *f;
    snprintf(path, sizeof(path), "%s/%s", dir, rel);
    f = fopen(path, "w");
    if (!f) {
        CHECK(!"cannot write a settings file");
        return;
    }
    fputs(text, f);
    fclose(f);
}

static void free_ie(WINHTTP_CURRENT_USER_IE_PROXY_CONFIG *c)
{
    GlobalFree(c->lpszAutoConfigUrl);
    GlobalFree(c->lpszProxy);
    GlobalFree(c->lpszProxyBypass);
    memset(c, 0, sizeof(*c));
}

static int wstr_is(const WCHAR *a, const WCHAR *b)
{
    return a && b ? harness_wcscmp(a, b) == 0 : a == b;
}

/* The first line /raw/echo saw for GET http://example.invalid/raw/echo from an AUTOMATIC_PROXY session. */
static const char *automatic_request_line(void)
{
    static char line[256];
    char body[4096];
    DWORD got = 0, total = 0;
    HINTERNET ses = WinHttpOpen(L"desktop-test", WINHTTP_ACCESS_TYPE_AUTOMATIC_PROXY, NULL, NULL, 0);
    HINTERNET con = WinHttpConnect(ses, L"example.invalid", 80, 0);
    HINTERNET req = WinHttpOpenRequest(con, L"GET", L"/raw/echo", NULL, NULL, NULL, 0);
    line[0] = 0;
    if (WinHttpSendRequest(req, NULL, 0, NULL, 0, 0, 0) && WinHttpReceiveResponse(req, NULL)) {
        while (total < sizeof(body) - 1 && WinHttpReadData(req, body + total, sizeof(body) - 1 - total, &got) && got)
            total += got;
        body[total] = 0;
        if (strchr(body, '\r'))
            *strchr(body, '\r') = 0;
        snprintf(line, sizeof(line), "%.200s", body);
    }
    WinHttpCloseHandle(req);
    WinHttpCloseHandle(con);
    WinHttpCloseHandle(ses);
    return line;
}

static void test_kde(void)
{
    WINHTTP_CURRENT_USER_IE_PROXY_CONFIG c;
    char text[512];
    setenv("XDG_CURRENT_DESKTOP", "KDE", 1);
    unsetenv("GSETTINGS_BACKEND");

    write_file("kioslaverc", "[General]\nx=1\n\n[Proxy Settings]\nProxyType=1\nhttpProxy=http://proxy.kde.test:3128\n"
                             "httpsProxy=secure.kde.test 3129\nNoProxyFor=localhost,.corp.example\n");
    CHECK_OK(WinHttpGetIEProxyConfigForCurrentUser(&c));
    CHECK(!c.fAutoDetect && c.lpszAutoConfigUrl == NULL);
    CHECK_WSTR(c.lpszProxy, L"http=proxy.kde.test:3128;https=secure.kde.test:3129");
    CHECK_WSTR(c.lpszProxyBypass, L"localhost;.corp.example");
    free_ie(&c);

    write_file("kioslaverc", "[Proxy Settings]\nProxyType=2\nProxy Config Script=http://pac.kde.test/proxy.pac\n");
    CHECK_OK(WinHttpGetIEProxyConfigForCurrentUser(&c));
    CHECK(!c.fAutoDetect && c.lpszProxy == NULL);
    CHECK_WSTR(c.lpszAutoConfigUrl, L"http://pac.kde.test/proxy.pac");
    free_ie(&c);

    write_file("kioslaverc", "[Proxy Settings]\nProxyType=3\n");
    CHECK_OK(WinHttpGetIEProxyConfigForCurrentUser(&c));
    CHECK(c.fAutoDetect && c.lpszAutoConfigUrl == NULL && c.lpszProxy == NULL);
    free_ie(&c);

    /* AUTOMATIC_PROXY follows the desktop: a manual proxy, then a PAC script, then none. */
    snprintf(text, sizeof(text), "[Proxy Settings]\nProxyType=1\nhttpProxy=http://127.0.0.1:%d\n", raw_port);
    write_file("kioslaverc", text);
    CHECK(strcmp(automatic_request_line(), "GET http://example.invalid/raw/echo HTTP/1.1") == 0);
    snprintf(text, sizeof(text), "[Proxy Settings]\nProxyType=2\nProxy Config Script=http://127.0.0.1:%d/pac-proxy/127.0.0.1:%d\n",
             port, raw_port);
    write_file("kioslaverc", text);
    CHECK(strcmp(automatic_request_line(), "GET http://example.invalid/raw/echo HTTP/1.1") == 0);
    write_file("kioslaverc", "[Proxy Settings]\nProxyType=0\n");
    CHECK_OK(WinHttpGetIEProxyConfigForCurrentUser(&c));
    CHECK(!c.fAutoDetect && c.lpszAutoConfigUrl == NULL && c.lpszProxy == NULL && c.lpszProxyBypass == NULL);
    free_ie(&c);
}

static atomic_int changes;
static atomic_uintptr_t change_context;

static void CALLBACK on_change(ULONGLONG flags, PVOID context)
{
    if (flags == WINHTTP_PROXY_NOTIFY_CHANGE)
        changes++;
    change_context = (uintptr_t)context;
}

static void test_change_notification(void)
{
    WINHTTP_PROXY_CHANGE_REGISTRATION_HANDLE reg = NULL;
    HINTERNET ses = WinHttpOpen(L"desktop-test", WINHTTP_ACCESS_TYPE_NO_PROXY, NULL, NULL, 0);
    DWORD v1 = 0, v2 = 0;
    int i, seen;
    double slack = getenv("WINHTTP_TEST_UNDER_CHECKER") ? 10 : 1;

    CHECK_EQ(WinHttpRegisterProxyChangeNotification(WINHTTP_PROXY_NOTIFY_CHANGE, NULL, NULL, &reg), ERROR_INVALID_PARAMETER);
    CHECK_EQ(WinHttpRegisterProxyChangeNotification(WINHTTP_PROXY_NOTIFY_CHANGE, on_change, NULL, NULL), ERROR_INVALID_PARAMETER);
    CHECK_EQ(WinHttpUnregisterProxyChangeNotification((WINHTTP_PROXY_CHANGE_REGISTRATION_HANDLE)0x1234), ERROR_INVALID_HANDLE);
    CHECK_EQ(WinHttpGetProxySettingsVersion(NULL, &v1), ERROR_INVALID_HANDLE);
    CHECK_EQ(WinHttpGetProxySettingsVersion(ses, NULL), ERROR_INVALID_PARAMETER);

    write_file("kioslaverc", "[Proxy Settings]\nProxyType=0\n");
    CHECK_EQ(WinHttpGetProxySettingsVersion(ses, &v1), ERROR_SUCCESS);
    CHECK_EQ(WinHttpRegisterProxyChangeNotification(WINHTTP_PROXY_NOTIFY_CHANGE, on_change, (PVOID)0x77, &reg), ERROR_SUCCESS);
    sleep_ms(100);
    write_file("kioslaverc", "[Proxy Settings]\nProxyType=1\nhttpProxy=http://changed.kde.test:8080\n");
    for (i = 0; i < 60 * slack && changes == 0; i++)
        sleep_ms(50);
    CHECK_EQ(changes, 1);
    CHECK_EQ(change_context, 0x77);
    CHECK_EQ(WinHttpGetProxySettingsVersion(ses, &v2), ERROR_SUCCESS);
    CHECK(v2 != v1);
    CHECK_EQ(WinHttpUnregisterProxyChangeNotification(reg), ERROR_SUCCESS);
    CHECK_EQ(WinHttpUnregisterProxyChangeNotification(reg), ERROR_INVALID_HANDLE);
    seen = changes;
    write_file("kioslaverc", "[Proxy Settings]\nProxyType=3\n");
    sleep_ms(1200);
    CHECK_EQ(changes, seen);
    WinHttpCloseHandle(ses);
}

static void test_settings_functions(void)
{
    WINHTTP_PROXY_SETTINGS st;
    DWORD version = 0;
    BOOL is_default = FALSE;
    HINTERNET ses = WinHttpOpen(L"desktop-test", WINHTTP_ACCESS_TYPE_NO_PROXY, NULL, NULL, 0);
    HINTERNET async_ses = WinHttpOpen(L"desktop-test", WINHTTP_ACCESS_TYPE_NO_PROXY, NULL, NULL, WINHTTP_FLAG_ASYNC);
    HINTERNET resolver = NULL;
    char text[64] = {0};

    write_file("kioslaverc", "[Proxy Settings]\nProxyType=1\nhttpProxy=http://proxy.kde.test:3128\nNoProxyFor=localhost\n");
    CHECK_EQ(WinHttpReadProxySettings(NULL, NULL, TRUE, FALSE, &version, &is_default, &st), ERROR_INVALID_HANDLE);
    CHECK_EQ(WinHttpReadProxySettings(ses, NULL, TRUE, FALSE, &version, &is_default, NULL), ERROR_INVALID_PARAMETER);
    memset(&st, 0, sizeof(st));
    CHECK_EQ(WinHttpReadProxySettings(ses, NULL, TRUE, FALSE, &version, &is_default, &st), ERROR_SUCCESS);
    CHECK_EQ(st.dwStructSize, sizeof(st));
    CHECK_EQ(st.dwFlags, WINHTTP_PROXY_TYPE_DIRECT | WINHTTP_PROXY_TYPE_PROXY);
    CHECK_WSTR(st.pwszProxy, L"http=proxy.kde.test:3128");
    CHECK_WSTR(st.pwszProxyBypass, L"localhost");
    CHECK(st.pwszAutoconfigUrl == NULL);
    CHECK(version != 0 && version == st.dwCurrentSettingsVersion && is_default);
    WinHttpFreeProxySettings(&st);
    CHECK(st.pwszProxy == NULL && st.dwFlags == 0);
    WinHttpFreeProxySettings(NULL);
    write_file("kioslaverc", "[Proxy Settings]\nProxyType=2\nProxy Config Script=http://pac.kde.test/p.pac\n");
    CHECK_EQ(WinHttpReadProxySettings(ses, L"eth0", TRUE, FALSE, NULL, NULL, &st), ERROR_SUCCESS);
    CHECK_EQ(st.dwFlags, WINHTTP_PROXY_TYPE_DIRECT | WINHTTP_PROXY_TYPE_AUTO_PROXY_URL);
    CHECK_WSTR(st.pwszAutoconfigUrl, L"http://pac.kde.test/p.pac");
    WinHttpFreeProxySettings(&st);

    /* Writing the desktop's settings is not this library's to do. */
    CHECK_EQ(WinHttpWriteProxySettings(ses, TRUE, &st), ERROR_ACCESS_DENIED);
    CHECK_EQ(WinHttpWriteProxySettings(ses, TRUE, NULL), ERROR_INVALID_PARAMETER);
    CHECK_EQ(WinHttpWriteProxySettings(NULL, TRUE, &st), ERROR_INVALID_HANDLE);
    CHECK_EQ(WinHttpSetProxySettingsPerUser(TRUE), ERROR_SUCCESS);
    CHECK_EQ(WinHttpSetProxySettingsPerUser(FALSE), ERROR_NOT_SUPPORTED);

    /* WSL/WSA/Xbox settings exist only on Windows. */
    CHECK_EQ(WinHttpCreateProxyResolver(async_ses, &resolver), ERROR_SUCCESS);
    CHECK_EQ(WinHttpGetProxySettingsEx(NULL, WinHttpProxySettingsTypeWsl, NULL, 0), ERROR_INVALID_HANDLE);
    CHECK_EQ(WinHttpGetProxySettingsEx(ses, WinHttpProxySettingsTypeWsl, NULL, 0), ERROR_WINHTTP_INCORRECT_HANDLE_TYPE);
    CHECK_EQ(WinHttpGetProxySettingsEx(resolver, WinHttpProxySettingsTypeWsl, NULL, 0), ERROR_NOT_SUPPORTED);
    CHECK_EQ(WinHttpGetProxySettingsResultEx(resolver, text), ERROR_WINHTTP_INCORRECT_HANDLE_STATE);
    CHECK_EQ(WinHttpGetProxySettingsResultEx(resolver, NULL), ERROR_INVALID_PARAMETER);
    CHECK_EQ(WinHttpFreeProxySettingsEx(WinHttpProxySettingsTypeWsl, NULL), ERROR_INVALID_PARAMETER);
    CHECK_EQ(WinHttpFreeProxySettingsEx(WinHttpProxySettingsTypeWsl, text), ERROR_NOT_SUPPORTED);
    WinHttpCloseHandle(resolver);
    WinHttpCloseHandle(async_ses);
    WinHttpCloseHandle(ses);
}

static void test_gnome(void)
{
    WINHTTP_CURRENT_USER_IE_PROXY_CONFIG c;
    char path[512];
    if (system("gsettings list-keys org.gnome.system.proxy >/dev/null 2>&1") != 0) {
        printf("gnome: skipped (gsettings or the org.gnome.system.proxy schema is not installed)\n");
        return;
    }
    snprintf(path, sizeof(path), "%s/glib-2.0", dir);
    mkdir(path, 0700);
    snprintf(path, sizeof(path), "%s/glib-2.0/settings", dir);
    mkdir(path, 0700);
    setenv("XDG_CURRENT_DESKTOP", "GNOME", 1);
    setenv("GSETTINGS_BACKEND", "keyfile", 1);
    write_file("glib-2.0/settings/keyfile",
               "[system/proxy]\nmode='manual'\nignore-hosts=['localhost', '*.corp.example']\n"
               "[system/proxy/http]\nhost='proxy.gnome.test'\nport=3128\n"
               "[system/proxy/https]\nhost='secure.gnome.test'\nport=3129\n");
    CHECK_OK(WinHttpGetIEProxyConfigForCurrentUser(&c));
    CHECK(!c.fAutoDetect && c.lpszAutoConfigUrl == NULL);
    CHECK_WSTR(c.lpszProxy, L"http=proxy.gnome.test:3128;https=secure.gnome.test:3129");
    CHECK_WSTR(c.lpszProxyBypass, L"localhost;*.corp.example");
    free_ie(&c);
    write_file("glib-2.0/settings/keyfile", "[system/proxy]\nmode='auto'\nautoconfig-url='http://pac.gnome.test/p.pac'\n");
    CHECK_OK(WinHttpGetIEProxyConfigForCurrentUser(&c));
    CHECK(wstr_is(c.lpszAutoConfigUrl, L"http://pac.gnome.test/p.pac") && !c.fAutoDetect && c.lpszProxy == NULL);
    free_ie(&c);
    write_file("glib-2.0/settings/keyfile", "[system/proxy]\nmode='auto'\n");
    CHECK_OK(WinHttpGetIEProxyConfigForCurrentUser(&c));
    CHECK(c.fAutoDetect && c.lpszAutoConfigUrl == NULL);
    free_ie(&c);
    write_file("glib-2.0/settings/keyfile", "[system/proxy]\nmode='none'\n");
    CHECK_OK(WinHttpGetIEProxyConfigForCurrentUser(&c));
    CHECK(!c.fAutoDetect && c.lpszAutoConfigUrl == NULL && c.lpszProxy == NULL);
    free_ie(&c);
}

int main(void)
{
    const char *tmp = getenv("TMPDIR");
    port = harness_env_int("WINHTTP_TEST_PORT", 0);
    raw_port = harness_env_int("WINHTTP_TEST_RAW_PORT", 0);
    if (!port || !raw_port) {
        printf("test_proxy_desktop: skipped (no test servers)\n0 passed, 0 failed\n");
        return 0;
    }
    snprintf(dir, sizeof(dir), "%s/winhttp-desktop-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        printf("test_proxy_desktop: cannot make a temporary directory\n0 passed, 1 failed\n");
        return 1;
    }
    setenv("XDG_CONFIG_HOME", dir, 1);
    unsetenv("http_proxy");
    unsetenv("HTTP_PROXY");
    unsetenv("no_proxy");
    unsetenv("NO_PROXY");
    test_kde();
    test_change_notification();
    test_settings_functions();
    test_gnome();
    {
        char cmd[600];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        if (system(cmd) != 0)
            printf("could not remove %s\n", dir);
    }
    return harness_report();
}
