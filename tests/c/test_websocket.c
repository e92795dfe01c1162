/*
 * The WebSocket API in the sync mode, against tests/support/ws_server.py (Python's `websockets`, an
 * independent implementation; port in WINHTTP_TEST_WS_PORT, behaviour chosen by the path):
 * the upgrade (handshake headers visible only after sending, a new key and a new handle on a second
 * send), echo of every buffer type, a message larger than the buffer in FRAGMENT pieces, server pings,
 * fragmented messages, a close from either side with status and reason, Shutdown, QueryCloseStatus,
 * the errors by state, an abrupt disconnect, invalid frames and bad handshakes.
 */
#if !defined(_WIN32) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif
#include <winhttp.h>
#include "harness.h"
#include <pthread.h>
#include <time.h>
#include <stdio.h>
#include <string.h>

static INTERNET_PORT ws_port;

/* An upgraded request to `path`: returns the WebSocket handle (NULL when the upgrade failed, with
 * the failing step's error in *err). */
static HINTERNET upgrade(HINTERNET ses, const WCHAR *path, HINTERNET *req_out, DWORD *err)
{
    HINTERNET con = WinHttpConnect(ses, L"127.0.0.1", ws_port, 0), req, sock = NULL;
    *err = 0;
    req = WinHttpOpenRequest(con, L"GET", path, NULL, WINHTTP_NO_REFERER, WINHTTP_DEFAULT_ACCEPT_TYPES, 0);
    CHECK(req != NULL);
    CHECK_OK(WinHttpSetOption(req, WINHTTP_OPTION_UPGRADE_TO_WEB_SOCKET, NULL, 0));
    if (!WinHttpSendRequest(req, WINHTTP_NO_ADDITIONAL_HEADERS, 0, NULL, 0, 0, 0) ||
        !WinHttpReceiveResponse(req, NULL)) {
        *err = GetLastError();
    } else {
        sock = WinHttpWebSocketCompleteUpgrade(req, 0x5150);
        if (!sock)
            *err = GetLastError();
    }
    if (req_out)
        *req_out = req;
    else
        WinHttpCloseHandle(req);
    WinHttpCloseHandle(con);
    return sock;
}

static HINTERNET open_ws(HINTERNET ses, const WCHAR *path)
{
    DWORD err;
    HINTERNET sock = upgrade(ses, path, NULL, &err);
    if (!sock)
        printf("  upgrade to %s failed: %lu\n", harness_narrow(path), (unsigned long)err);
    CHECK(sock != NULL);
    return sock;
}

static void test_handshake(HINTERNET ses)
{
    WCHAR key1[64], key2[64];
    DWORD len, type = 0, err;
    HINTERNET con = WinHttpConnect(ses, L"127.0.0.1", ws_port, 0);
    HINTERNET req = WinHttpOpenRequest(con, L"GET", L"/echo", NULL, NULL, NULL, 0), s1, s2;
    CHECK_OK(WinHttpSetOption(req, WINHTTP_OPTION_UPGRADE_TO_WEB_SOCKET, NULL, 0));
    /* Not request headers before sending. */
    len = sizeof key1;
    CHECK_FAILS(WinHttpQueryHeaders(req, WINHTTP_QUERY_CUSTOM | WINHTTP_QUERY_FLAG_REQUEST_HEADERS,
                                    L"Sec-WebSocket-Key", key1, &len, NULL),
                ERROR_WINHTTP_HEADER_NOT_FOUND);
    CHECK_OK(WinHttpSendRequest(req, NULL, 0, NULL, 0, 0, 0));
    len = sizeof key1;
    CHECK_OK(WinHttpQueryHeaders(req, WINHTTP_QUERY_CUSTOM | WINHTTP_QUERY_FLAG_REQUEST_HEADERS, L"Sec-WebSocket-Key",
                                 key1, &len, NULL));
    CHECK_EQ(len / sizeof(WCHAR), 24);
    len = sizeof key2;
    CHECK_OK(WinHttpQueryHeaders(req, WINHTTP_QUERY_CUSTOM | WINHTTP_QUERY_FLAG_REQUEST_HEADERS,
                                 L"Sec-WebSocket-Version", key2, &len, NULL));
    CHECK_WSTR(key2, L"13");
    /* CompleteUpgrade before the response: wrong state. */
    CHECK_FAILS(WinHttpWebSocketCompleteUpgrade(req, 0), ERROR_WINHTTP_INCORRECT_HANDLE_STATE);
    CHECK_OK(WinHttpReceiveResponse(req, NULL));
    {
        DWORD status = 0;
        len = sizeof status;
        CHECK_OK(WinHttpQueryHeaders(req, WINHTTP_QUERY_STATUS_CODE | WINHTTP_QUERY_FLAG_NUMBER, NULL, &status, &len,
                                     NULL));
        CHECK_EQ(status, 101);
    }
    s1 = WinHttpWebSocketCompleteUpgrade(req, 1);
    CHECK(s1 != NULL);
    len = sizeof type;
    CHECK_OK(WinHttpQueryOption(s1, WINHTTP_OPTION_HANDLE_TYPE, &type, &len));
    CHECK_EQ(type, WINHTTP_HANDLE_TYPE_WEBSOCKET);
    {
        DWORD_PTR ctx = 0;
        len = sizeof ctx;
        CHECK_OK(WinHttpQueryOption(s1, WINHTTP_OPTION_CONTEXT_VALUE, &ctx, &len));
        CHECK_EQ(ctx, 1);
    }
    /* The connection can be taken once. */
    CHECK_FAILS(WinHttpWebSocketCompleteUpgrade(req, 0), ERROR_WINHTTP_INCORRECT_HANDLE_STATE);
    /* Sending again: a new key and a new, different WebSocket. */
    CHECK_OK(WinHttpSendRequest(req, NULL, 0, NULL, 0, 0, 0));
    len = sizeof key2;
    CHECK_OK(WinHttpQueryHeaders(req, WINHTTP_QUERY_CUSTOM | WINHTTP_QUERY_FLAG_REQUEST_HEADERS, L"Sec-WebSocket-Key",
                                 key2, &len, NULL));
    CHECK(harness_wcscmp(key1, key2) != 0);
    CHECK_OK(WinHttpReceiveResponse(req, NULL));
    s2 = WinHttpWebSocketCompleteUpgrade(req, 2);
    CHECK(s2 != NULL && s2 != s1);
    /* The request handle closes; the WebSockets stay usable. */
    WinHttpCloseHandle(req);
    CHECK_EQ(WinHttpWebSocketSend(s1, WINHTTP_WEB_SOCKET_BINARY_MESSAGE_BUFFER_TYPE, "one", 3), NO_ERROR);
    CHECK_EQ(WinHttpWebSocketSend(s2, WINHTTP_WEB_SOCKET_BINARY_MESSAGE_BUFFER_TYPE, "two", 3), NO_ERROR);
    {
        char buf[16];
        DWORD n = 0;
        WINHTTP_WEB_SOCKET_BUFFER_TYPE t = 99;
        CHECK_EQ(WinHttpWebSocketReceive(s2, buf, sizeof buf, &n, &t), NO_ERROR);
        CHECK(n == 3 && memcmp(buf, "two", 3) == 0 && t == WINHTTP_WEB_SOCKET_BINARY_MESSAGE_BUFFER_TYPE);
        CHECK_EQ(WinHttpWebSocketReceive(s1, buf, sizeof buf, &n, &t), NO_ERROR);
        CHECK(n == 3 && memcmp(buf, "one", 3) == 0);
    }
    /* The wrong handle types. */
    CHECK_EQ(WinHttpWebSocketSend(con, WINHTTP_WEB_SOCKET_BINARY_MESSAGE_BUFFER_TYPE, "x", 1),
             ERROR_WINHTTP_INCORRECT_HANDLE_TYPE);
    CHECK_FAILS(WinHttpWebSocketCompleteUpgrade(s1, 0), ERROR_WINHTTP_INCORRECT_HANDLE_TYPE);
    WinHttpCloseHandle(s1);
    WinHttpCloseHandle(s2);
    CHECK_EQ(WinHttpWebSocketSend(s1, WINHTTP_WEB_SOCKET_BINARY_MESSAGE_BUFFER_TYPE, "x", 1), ERROR_INVALID_HANDLE);
    WinHttpCloseHandle(con);
    /* A request that did not ask for the upgrade. */
    con = WinHttpConnect(ses, L"127.0.0.1", ws_port, 0);
    req = WinHttpOpenRequest(con, L"GET", L"/echo", NULL, NULL, NULL, 0);
    CHECK_FAILS(WinHttpWebSocketCompleteUpgrade(req, 0), ERROR_WINHTTP_INCORRECT_HANDLE_STATE);
    WinHttpCloseHandle(req);
    WinHttpCloseHandle(con);
    (void)err;
}

static void test_echo(HINTERNET ses)
{
    static char big[100000], got[100000];
    char buf[256];
    DWORD n, total, i;
    WINHTTP_WEB_SOCKET_BUFFER_TYPE t;
    HINTERNET sock = open_ws(ses, L"/echo");
    if (!sock)
        return;
    /* 256 bytes into a 128-byte buffer: a FRAGMENT piece, then the MESSAGE piece. */
    for (i = 0; i < 256; i++)
        buf[i] = (char)i;
    CHECK_EQ(WinHttpWebSocketSend(sock, WINHTTP_WEB_SOCKET_BINARY_MESSAGE_BUFFER_TYPE, buf, 256), NO_ERROR);
    CHECK_EQ(WinHttpWebSocketReceive(sock, got, 128, &n, &t), NO_ERROR);
    CHECK_EQ(n, 128);
    CHECK_EQ(t, WINHTTP_WEB_SOCKET_BINARY_FRAGMENT_BUFFER_TYPE);
    CHECK_EQ(WinHttpWebSocketReceive(sock, got + 128, 128, &n, &t), NO_ERROR);
    CHECK_EQ(n, 128);
    CHECK_EQ(t, WINHTTP_WEB_SOCKET_BINARY_MESSAGE_BUFFER_TYPE);
    CHECK(memcmp(got, buf, 256) == 0);
    /* UTF-8 message. */
    CHECK_EQ(WinHttpWebSocketSend(sock, WINHTTP_WEB_SOCKET_UTF8_MESSAGE_BUFFER_TYPE, "h\xc3\xa9llo", 6), NO_ERROR);
    CHECK_EQ(WinHttpWebSocketReceive(sock, got, sizeof got, &n, &t), NO_ERROR);
    CHECK(n == 6 && memcmp(got, "h\xc3\xa9llo", 6) == 0);
    CHECK_EQ(t, WINHTTP_WEB_SOCKET_UTF8_MESSAGE_BUFFER_TYPE);
    /* A 0-byte binary message. */
    CHECK_EQ(WinHttpWebSocketSend(sock, WINHTTP_WEB_SOCKET_BINARY_MESSAGE_BUFFER_TYPE, NULL, 0), NO_ERROR);
    n = 99;
    CHECK_EQ(WinHttpWebSocketReceive(sock, got, sizeof got, &n, &t), NO_ERROR);
    CHECK_EQ(n, 0);
    CHECK_EQ(t, WINHTTP_WEB_SOCKET_BINARY_MESSAGE_BUFFER_TYPE);
    /* A message in fragments; its type cannot change half-way. */
    CHECK_EQ(WinHttpWebSocketSend(sock, WINHTTP_WEB_SOCKET_BINARY_FRAGMENT_BUFFER_TYPE, "ab", 2), NO_ERROR);
    CHECK_EQ(WinHttpWebSocketSend(sock, WINHTTP_WEB_SOCKET_UTF8_FRAGMENT_BUFFER_TYPE, "cd", 2), ERROR_INVALID_PARAMETER);
    CHECK_EQ(WinHttpWebSocketSend(sock, WINHTTP_WEB_SOCKET_UTF8_MESSAGE_BUFFER_TYPE, "cd", 2), ERROR_INVALID_PARAMETER);
    CHECK_EQ(WinHttpWebSocketSend(sock, WINHTTP_WEB_SOCKET_BINARY_FRAGMENT_BUFFER_TYPE, "cd", 2), NO_ERROR);
    CHECK_EQ(WinHttpWebSocketSend(sock, WINHTTP_WEB_SOCKET_BINARY_MESSAGE_BUFFER_TYPE, "ef", 2), NO_ERROR);
    total = 0;
    do {
        CHECK_EQ(WinHttpWebSocketReceive(sock, got + total, sizeof got - total, &n, &t), NO_ERROR);
        total += n;
    } while (t == WINHTTP_WEB_SOCKET_BINARY_FRAGMENT_BUFFER_TYPE && total < 6);
    CHECK(total == 6 && memcmp(got, "abcdef", 6) == 0);
    CHECK_EQ(t, WINHTTP_WEB_SOCKET_BINARY_MESSAGE_BUFFER_TYPE);
    /* Argument checks. */
    CHECK_EQ(WinHttpWebSocketSend(sock, WINHTTP_WEB_SOCKET_CLOSE_BUFFER_TYPE, NULL, 0), ERROR_INVALID_PARAMETER);
    CHECK_EQ(WinHttpWebSocketSend(sock, (WINHTTP_WEB_SOCKET_BUFFER_TYPE)77, "x", 1), ERROR_INVALID_PARAMETER);
    CHECK_EQ(WinHttpWebSocketSend(sock, WINHTTP_WEB_SOCKET_BINARY_MESSAGE_BUFFER_TYPE, NULL, 5), ERROR_INVALID_PARAMETER);
    CHECK_EQ(WinHttpWebSocketReceive(sock, NULL, 10, &n, &t), ERROR_INVALID_PARAMETER);
    CHECK_EQ(WinHttpWebSocketReceive(sock, got, 0, &n, &t), ERROR_INVALID_PARAMETER);
    /* A message larger than every buffer, in 4 KiB pieces. */
    for (i = 0; i < sizeof big; i++)
        big[i] = (char)(i * 7);
    CHECK_EQ(WinHttpWebSocketSend(sock, WINHTTP_WEB_SOCKET_BINARY_MESSAGE_BUFFER_TYPE, big, sizeof big), NO_ERROR);
    total = 0;
    for (;;) {
        DWORD want = sizeof got - total < 4096 ? sizeof got - total : 4096;
        CHECK_EQ(WinHttpWebSocketReceive(sock, got + total, want, &n, &t), NO_ERROR);
        total += n;
        if (t != WINHTTP_WEB_SOCKET_BINARY_FRAGMENT_BUFFER_TYPE || n == 0)
            break;
    }
    CHECK_EQ(total, sizeof big);
    CHECK_EQ(t, WINHTTP_WEB_SOCKET_BINARY_MESSAGE_BUFFER_TYPE);
    CHECK(memcmp(got, big, sizeof big) == 0);
    /* No close frame yet: QueryCloseStatus fails and writes nothing. */
    {
        USHORT st = 7;
        DWORD used = 7;
        CHECK_EQ(WinHttpWebSocketQueryCloseStatus(sock, &st, buf, sizeof buf, &used), ERROR_INVALID_OPERATION);
        CHECK(st == 7 && used == 7);
    }
    /* Close: both directions; the echo server answers with our status and reason. */
    CHECK_EQ(WinHttpWebSocketClose(sock, 1000, "bye", 3), NO_ERROR);
    {
        USHORT st = 0;
        DWORD used = 0;
        CHECK_EQ(WinHttpWebSocketQueryCloseStatus(sock, &st, buf, sizeof buf, &used), NO_ERROR);
        CHECK_EQ(st, 1000);
        CHECK(used == 3 && memcmp(buf, "bye", 3) == 0);
        CHECK_EQ(WinHttpWebSocketQueryCloseStatus(sock, &st, NULL, 0, &used), ERROR_INSUFFICIENT_BUFFER);
        CHECK_EQ(used, 3);
        CHECK_EQ(WinHttpWebSocketQueryCloseStatus(sock, NULL, buf, sizeof buf, &used), ERROR_INVALID_PARAMETER);
    }
    /* After the close: no more sends or receives. */
    CHECK_EQ(WinHttpWebSocketSend(sock, WINHTTP_WEB_SOCKET_BINARY_MESSAGE_BUFFER_TYPE, "x", 1), ERROR_INVALID_OPERATION);
    CHECK_EQ(WinHttpWebSocketReceive(sock, got, 10, &n, &t), ERROR_INVALID_OPERATION);
    CHECK_EQ(WinHttpWebSocketClose(sock, 1000, NULL, 0), ERROR_INVALID_OPERATION);
    CHECK_OK(WinHttpCloseHandle(sock));
}

static void test_shutdown_and_reason_checks(HINTERNET ses)
{
    static const char long_reason[124] = {0};
    char buf[64];
    DWORD n;
    WINHTTP_WEB_SOCKET_BUFFER_TYPE t;
    USHORT st = 0;
    HINTERNET sock = open_ws(ses, L"/echo");
    if (!sock)
        return;
    CHECK_EQ(WinHttpWebSocketShutdown(sock, 1000, (void *)long_reason, 124), ERROR_INVALID_PARAMETER);
    CHECK_EQ(WinHttpWebSocketShutdown(sock, 1000, NULL, 3), ERROR_INVALID_PARAMETER);
    CHECK_EQ(WinHttpWebSocketShutdown(sock, 1004, NULL, 0), ERROR_INVALID_PARAMETER);
    /* Receiving goes on after a shutdown: the server's close arrives. (The echo comes first; the
     * server answers a close at once, so nothing is in flight when we shut down.) */
    CHECK_EQ(WinHttpWebSocketSend(sock, WINHTTP_WEB_SOCKET_UTF8_MESSAGE_BUFFER_TYPE, "last", 4), NO_ERROR);
    CHECK_EQ(WinHttpWebSocketReceive(sock, buf, sizeof buf, &n, &t), NO_ERROR);
    CHECK(n == 4 && t == WINHTTP_WEB_SOCKET_UTF8_MESSAGE_BUFFER_TYPE && memcmp(buf, "last", 4) == 0);
    CHECK_EQ(WinHttpWebSocketShutdown(sock, 1000, "success", 7), NO_ERROR);
    CHECK_EQ(WinHttpWebSocketSend(sock, WINHTTP_WEB_SOCKET_UTF8_MESSAGE_BUFFER_TYPE, "more", 4), ERROR_INVALID_OPERATION);
    CHECK_EQ(WinHttpWebSocketShutdown(sock, 1000, NULL, 0), ERROR_INVALID_OPERATION);
    CHECK_EQ(WinHttpWebSocketReceive(sock, buf, sizeof buf, &n, &t), NO_ERROR);
    CHECK_EQ(t, WINHTTP_WEB_SOCKET_CLOSE_BUFFER_TYPE);
    CHECK_EQ(n, 0);
    CHECK_EQ(WinHttpWebSocketQueryCloseStatus(sock, &st, buf, sizeof buf, &n), NO_ERROR);
    CHECK(st == 1000 && n == 7 && memcmp(buf, "success", 7) == 0);
    CHECK_EQ(WinHttpWebSocketReceive(sock, buf, sizeof buf, &n, &t), ERROR_INVALID_OPERATION);
    WinHttpCloseHandle(sock);
}

static void test_server_behaviours(HINTERNET ses)
{
    static char got[1 << 20];
    char buf[64];
    DWORD n, total;
    WINHTTP_WEB_SOCKET_BUFFER_TYPE t;
    USHORT st = 0;
    HINTERNET sock;

    /* The server pings: the pong goes out on its own, the server then says so. */
    if ((sock = open_ws(ses, L"/ping")) != NULL) {
        CHECK_EQ(WinHttpWebSocketReceive(sock, buf, sizeof buf, &n, &t), NO_ERROR);
        CHECK(n == 7 && memcmp(buf, "pong ok", 7) == 0 && t == WINHTTP_WEB_SOCKET_UTF8_MESSAGE_BUFFER_TYPE);
        CHECK_EQ(WinHttpWebSocketClose(sock, 1000, NULL, 0), NO_ERROR);
        WinHttpCloseHandle(sock);
    }
    /* Fragmented messages (a code point split across frames), read whole. */
    if ((sock = open_ws(ses, L"/fragments")) != NULL) {
        total = 0;
        do {
            CHECK_EQ(WinHttpWebSocketReceive(sock, buf + total, sizeof buf - total, &n, &t), NO_ERROR);
            total += n;
        } while (t == WINHTTP_WEB_SOCKET_UTF8_FRAGMENT_BUFFER_TYPE);
        CHECK_EQ(t, WINHTTP_WEB_SOCKET_UTF8_MESSAGE_BUFFER_TYPE);
        CHECK(total == 13 && memcmp(buf, "Hello, w\xc3\xb6rld", 13) == 0);
        total = 0;
        do {
            CHECK_EQ(WinHttpWebSocketReceive(sock, buf + total, sizeof buf - total, &n, &t), NO_ERROR);
            total += n;
        } while (t == WINHTTP_WEB_SOCKET_BINARY_FRAGMENT_BUFFER_TYPE);
        CHECK(total == 3 && memcmp(buf, "\x00\x01\x02", 3) == 0);
        CHECK_EQ(WinHttpWebSocketClose(sock, 1000, NULL, 0), NO_ERROR);
        WinHttpCloseHandle(sock);
    }
    /* 1 MiB binary then 1 MiB of "é", into 1000-byte buffers (pieces never split a code point
     * wrongly: the text is checked whole). */
    if ((sock = open_ws(ses, L"/large?size=1048576")) != NULL) {
        DWORD i, ok = 1;
        total = 0;
        do {
            CHECK_EQ(WinHttpWebSocketReceive(sock, got + total, 1000, &n, &t), NO_ERROR);
            total += n;
        } while (t == WINHTTP_WEB_SOCKET_BINARY_FRAGMENT_BUFFER_TYPE && total < sizeof got);
        CHECK_EQ(total, 1048576);
        CHECK_EQ(t, WINHTTP_WEB_SOCKET_BINARY_MESSAGE_BUFFER_TYPE);
        for (i = 0; i < total; i++)
            ok &= (unsigned char)got[i] == i % 251;
        CHECK(ok);
        total = 0;
        do {
            CHECK_EQ(WinHttpWebSocketReceive(sock, got + total, 1000, &n, &t), NO_ERROR);
            total += n;
        } while (t == WINHTTP_WEB_SOCKET_UTF8_FRAGMENT_BUFFER_TYPE && total < sizeof got);
        CHECK_EQ(total, 1048576);
        CHECK_EQ(t, WINHTTP_WEB_SOCKET_UTF8_MESSAGE_BUFFER_TYPE);
        CHECK((unsigned char)got[0] == 0xc3 && (unsigned char)got[total - 1] == 0xa9);
        CHECK_EQ(WinHttpWebSocketClose(sock, 1000, NULL, 0), NO_ERROR);
        WinHttpCloseHandle(sock);
    }
    /* The server closes first: the receive reports CLOSE, then our Close completes the handshake. */
    if ((sock = open_ws(ses, L"/server-close?code=4001&reason=done")) != NULL) {
        CHECK_EQ(WinHttpWebSocketReceive(sock, buf, sizeof buf, &n, &t), NO_ERROR);
        CHECK_EQ(t, WINHTTP_WEB_SOCKET_CLOSE_BUFFER_TYPE);
        CHECK_EQ(WinHttpWebSocketQueryCloseStatus(sock, &st, buf, sizeof buf, &n), NO_ERROR);
        CHECK(st == 4001 && n == 4 && memcmp(buf, "done", 4) == 0);
        CHECK_EQ(WinHttpWebSocketReceive(sock, buf, sizeof buf, &n, &t), ERROR_INVALID_OPERATION);
        CHECK_EQ(WinHttpWebSocketClose(sock, 1000, NULL, 0), NO_ERROR);
        WinHttpCloseHandle(sock);
    }
    /* An abrupt disconnect in the middle of a message. */
    if ((sock = open_ws(ses, L"/abort")) != NULL) {
        DWORD e;
        total = 0;
        do {
            e = WinHttpWebSocketReceive(sock, got, sizeof got, &n, &t);
            total += e == NO_ERROR ? n : 0;
        } while (e == NO_ERROR && total < 1000);
        CHECK_EQ(e, ERROR_WINHTTP_CONNECTION_ERROR);
        CHECK(total <= 10);
        CHECK_EQ(WinHttpWebSocketSend(sock, WINHTTP_WEB_SOCKET_BINARY_MESSAGE_BUFFER_TYPE, "x", 1),
                 ERROR_WINHTTP_CONNECTION_ERROR);
        CHECK_EQ(WinHttpWebSocketQueryCloseStatus(sock, &st, buf, sizeof buf, &n), ERROR_INVALID_OPERATION);
        WinHttpCloseHandle(sock);
    }
    /* Invalid frames: the receive fails with ERROR_WINHTTP_INVALID_SERVER_RESPONSE. */
    {
        static const WCHAR *kinds[] = {L"/invalid?kind=rsv", L"/invalid?kind=opcode", L"/invalid?kind=masked",
                                       L"/invalid?kind=control", L"/invalid?kind=continuation",
                                       L"/invalid?kind=utf8", L"/invalid?kind=closecode"};
        unsigned k;
        for (k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
            DWORD e;
            if ((sock = open_ws(ses, kinds[k])) == NULL)
                continue;
            do {
                e = WinHttpWebSocketReceive(sock, got, sizeof got, &n, &t);
            } while (e == NO_ERROR && t != WINHTTP_WEB_SOCKET_CLOSE_BUFFER_TYPE);
            if (e != ERROR_WINHTTP_INVALID_SERVER_RESPONSE)
                printf("  %s: %lu\n", harness_narrow(kinds[k]), (unsigned long)e);
            CHECK_EQ(e, ERROR_WINHTTP_INVALID_SERVER_RESPONSE);
            WinHttpCloseHandle(sock);
        }
    }
}

static void test_bad_handshakes(HINTERNET ses)
{
    static const WCHAR *refused[] = {L"/bad-handshake/no-upgrade", L"/bad-handshake/bad-accept",
                                     L"/bad-handshake/deflate", L"/bad-handshake/protocol",
                                     L"/bad-handshake/version"};
    unsigned k;
    DWORD err, status = 0, len = sizeof status;
    HINTERNET req, sock;
    for (k = 0; k < sizeof refused / sizeof refused[0]; k++) {
        sock = upgrade(ses, refused[k], NULL, &err);
        CHECK(sock == NULL);
        if (err != ERROR_WINHTTP_INVALID_SERVER_RESPONSE)
            printf("  %s: %lu\n", harness_narrow(refused[k]), (unsigned long)err);
        CHECK_EQ(err, ERROR_WINHTTP_INVALID_SERVER_RESPONSE);
    }
    /* A 200: the response is the caller's; there is no WebSocket. */
    sock = upgrade(ses, L"/bad-handshake/status", &req, &err);
    CHECK(sock == NULL);
    CHECK_EQ(err, ERROR_WINHTTP_INVALID_SERVER_RESPONSE);
    CHECK_OK(WinHttpQueryHeaders(req, WINHTTP_QUERY_STATUS_CODE | WINHTTP_QUERY_FLAG_NUMBER, NULL, &status, &len, NULL));
    CHECK_EQ(status, 200);
    WinHttpCloseHandle(req);
}

static void test_options(HINTERNET ses)
{
    DWORD v, len;
    HINTERNET con = WinHttpConnect(ses, L"127.0.0.1", ws_port, 0);
    HINTERNET req = WinHttpOpenRequest(con, L"GET", L"/echo", NULL, NULL, NULL, 0), sock;
    len = sizeof v;
    CHECK_OK(WinHttpQueryOption(req, WINHTTP_OPTION_WEB_SOCKET_SEND_BUFFER_SIZE, &v, &len));
    CHECK_EQ(v, 32768);
    len = sizeof v;
    CHECK_OK(WinHttpQueryOption(req, WINHTTP_OPTION_WEB_SOCKET_RECEIVE_BUFFER_SIZE, &v, &len));
    CHECK_EQ(v, 32768);
    /* The keep-alive interval belongs to WebSocket handles. */
    v = 30000;
    CHECK_FAILS(WinHttpSetOption(req, WINHTTP_OPTION_WEB_SOCKET_KEEPALIVE_INTERVAL, &v, sizeof v),
                ERROR_WINHTTP_INCORRECT_HANDLE_TYPE);
    /* A send buffer below 16 bytes: the upgrade request cannot be sent. */
    v = 15;
    CHECK_OK(WinHttpSetOption(req, WINHTTP_OPTION_WEB_SOCKET_SEND_BUFFER_SIZE, &v, sizeof v));
    CHECK_OK(WinHttpSetOption(req, WINHTTP_OPTION_UPGRADE_TO_WEB_SOCKET, NULL, 0));
    CHECK_FAILS(WinHttpSendRequest(req, NULL, 0, NULL, 0, 0, 0), ERROR_NOT_ENOUGH_MEMORY);
    WinHttpCloseHandle(req);
    WinHttpCloseHandle(con);
    sock = open_ws(ses, L"/echo");
    if (!sock)
        return;
    v = 14999;
    CHECK_FAILS(WinHttpSetOption(sock, WINHTTP_OPTION_WEB_SOCKET_KEEPALIVE_INTERVAL, &v, sizeof v),
                ERROR_INVALID_PARAMETER);
    v = 15000;
    CHECK_OK(WinHttpSetOption(sock, WINHTTP_OPTION_WEB_SOCKET_KEEPALIVE_INTERVAL, &v, sizeof v));
    CHECK_FAILS(WinHttpSetOption(sock, WINHTTP_OPTION_WEB_SOCKET_KEEPALIVE_INTERVAL, &v, 2), ERROR_INVALID_PARAMETER);
    len = sizeof v;
    CHECK_FAILS(WinHttpQueryOption(sock, WINHTTP_OPTION_WEB_SOCKET_KEEPALIVE_INTERVAL, &v, &len), ERROR_INVALID_PARAMETER);
    CHECK_EQ(WinHttpWebSocketClose(sock, 1000, NULL, 0), NO_ERROR);
    WinHttpCloseHandle(sock);
}

/* wss:// to the TLS peer ("localhost", trusted through the test CA), directly or through squid's
 * CONNECT tunnel (Basic proxy credentials user/pwd): an echo larger than one TLS record, then the
 * close handshake. */
static void test_wss(INTERNET_PORT wss_port, INTERNET_PORT squid_port)
{
    static char big[70000], got[70000];
    WCHAR proxy[64];
    DWORD n, total, i, status = 0, len = sizeof status;
    WINHTTP_WEB_SOCKET_BUFFER_TYPE t;
    USHORT st = 0;
    HINTERNET ses, con, req, sock;
    if (squid_port)
        harness_swprintf(proxy, sizeof proxy / sizeof proxy[0], L"127.0.0.1:%u", (unsigned)squid_port);
    ses = WinHttpOpen(L"winhttp-test/1.0", squid_port ? WINHTTP_ACCESS_TYPE_NAMED_PROXY : WINHTTP_ACCESS_TYPE_NO_PROXY,
                      squid_port ? proxy : WINHTTP_NO_PROXY_NAME, WINHTTP_NO_PROXY_BYPASS, 0);
    WinHttpSetTimeouts(ses, 10000, 10000, 10000, 10000);
    con = WinHttpConnect(ses, L"localhost", wss_port, 0);
    req = WinHttpOpenRequest(con, L"GET", L"/echo", NULL, NULL, NULL, WINHTTP_FLAG_SECURE);
    CHECK_OK(WinHttpSetOption(req, WINHTTP_OPTION_UPGRADE_TO_WEB_SOCKET, NULL, 0));
    if (squid_port)
        CHECK_OK(WinHttpSetCredentials(req, WINHTTP_AUTH_TARGET_PROXY, WINHTTP_AUTH_SCHEME_BASIC, L"user", L"pwd", NULL));
    CHECK_OK(WinHttpSendRequest(req, NULL, 0, NULL, 0, 0, 0));
    CHECK_OK(WinHttpReceiveResponse(req, NULL));
    CHECK_OK(WinHttpQueryHeaders(req, WINHTTP_QUERY_STATUS_CODE | WINHTTP_QUERY_FLAG_NUMBER, NULL, &status, &len, NULL));
    CHECK_EQ(status, 101);
    sock = WinHttpWebSocketCompleteUpgrade(req, 0);
    CHECK(sock != NULL);
    WinHttpCloseHandle(req);
    if (sock) {
        for (i = 0; i < sizeof big; i++)
            big[i] = (char)(i * 13);
        CHECK_EQ(WinHttpWebSocketSend(sock, WINHTTP_WEB_SOCKET_BINARY_MESSAGE_BUFFER_TYPE, big, sizeof big), NO_ERROR);
        total = 0;
        do {
            CHECK_EQ(WinHttpWebSocketReceive(sock, got + total, sizeof got - total, &n, &t), NO_ERROR);
            total += n;
        } while (t == WINHTTP_WEB_SOCKET_BINARY_FRAGMENT_BUFFER_TYPE && total < sizeof got);
        CHECK(total == sizeof big && memcmp(got, big, sizeof big) == 0);
        CHECK_EQ(WinHttpWebSocketClose(sock, 1000, "tls", 3), NO_ERROR);
        CHECK_EQ(WinHttpWebSocketQueryCloseStatus(sock, &st, got, sizeof got, &n), NO_ERROR);
        CHECK(st == 1000 && n == 3);
        WinHttpCloseHandle(sock);
    }
    WinHttpCloseHandle(con);
    WinHttpCloseHandle(ses);
}

/* A receive blocked on one thread while another thread acts on the WebSocket. */
struct blocked {
    HINTERNET sock;
    DWORD result, n;
    WINHTTP_WEB_SOCKET_BUFFER_TYPE type;
    char buf[64];
};

static void *blocked_receive(void *arg)
{
    struct blocked *b = arg;
    b->result = WinHttpWebSocketReceive(b->sock, b->buf, sizeof b->buf, &b->n, &b->type);
    return NULL;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void test_sync_cancellation(HINTERNET ses)
{
    pthread_t th;
    struct blocked b;
    char buf[16];
    DWORD n;
    WINHTTP_WEB_SOCKET_BUFFER_TYPE t;
    USHORT st = 0;
    /* A send while a receive blocks on another thread; the echo completes that receive. */
    memset(&b, 0, sizeof b);
    if ((b.sock = open_ws(ses, L"/echo")) != NULL) {
        pthread_create(&th, NULL, blocked_receive, &b);
        sleep_ms(200);
        CHECK_EQ(WinHttpWebSocketReceive(b.sock, buf, sizeof buf, &n, &t), ERROR_INVALID_OPERATION);
        CHECK_EQ(WinHttpWebSocketSend(b.sock, WINHTTP_WEB_SOCKET_BINARY_MESSAGE_BUFFER_TYPE, "both", 4), NO_ERROR);
        pthread_join(th, NULL);
        CHECK_EQ(b.result, NO_ERROR);
        CHECK(b.n == 4 && memcmp(b.buf, "both", 4) == 0);
        /* Close while a receive blocks: the receive is cancelled, the close completes. */
        pthread_create(&th, NULL, blocked_receive, &b);
        sleep_ms(200);
        CHECK_EQ(WinHttpWebSocketClose(b.sock, 1000, "x", 1), NO_ERROR);
        pthread_join(th, NULL);
        CHECK_EQ(b.result, ERROR_WINHTTP_OPERATION_CANCELLED);
        CHECK_EQ(WinHttpWebSocketQueryCloseStatus(b.sock, &st, buf, sizeof buf, &n), NO_ERROR);
        CHECK_EQ(st, 1000);
        WinHttpCloseHandle(b.sock);
    }
    /* Closing the handle while a receive blocks: OPERATION_CANCELLED. */
    memset(&b, 0, sizeof b);
    if ((b.sock = open_ws(ses, L"/echo")) != NULL) {
        pthread_create(&th, NULL, blocked_receive, &b);
        sleep_ms(200);
        CHECK_OK(WinHttpCloseHandle(b.sock));
        pthread_join(th, NULL);
        CHECK_EQ(b.result, ERROR_WINHTTP_OPERATION_CANCELLED);
    }
}

/* The number of pings the /pings peer has received from us (its answer to "pings?"), or -1. */
static int pings_seen(HINTERNET sock)
{
    char buf[16];
    DWORD n = 0;
    WINHTTP_WEB_SOCKET_BUFFER_TYPE t;
    if (WinHttpWebSocketSend(sock, WINHTTP_WEB_SOCKET_UTF8_MESSAGE_BUFFER_TYPE, "pings?", 6) != NO_ERROR ||
        WinHttpWebSocketReceive(sock, buf, sizeof buf - 1, &n, &t) != NO_ERROR)
        return -1;
    buf[n] = 0;
    return atoi(buf);
}

int main(void)
{
    HINTERNET ses, keepalive = NULL, quiet = NULL;
    time_t keepalive_set = 0;
    ws_port = (INTERNET_PORT)harness_env_int("WINHTTP_TEST_WS_PORT", 0);
    if (!ws_port) {
        printf("SKIP: no WebSocket peer (python3 with the websockets package): WINHTTP_TEST_WS_PORT not set\n");
        return harness_report();
    }
    ses = WinHttpOpen(L"winhttp-test/1.0", WINHTTP_ACCESS_TYPE_NO_PROXY, NULL, NULL, 0);
    CHECK(ses != NULL);
    WinHttpSetTimeouts(ses, 10000, 10000, 10000, 10000);
    /* Keep-alive pings: one WebSocket with the 15 s interval, one without, idle while the other
     * tests run; checked at the end. */
    keepalive = open_ws(ses, L"/pings");
    quiet = open_ws(ses, L"/pings");
    if (keepalive) {
        DWORD v = 15000;
        CHECK_OK(WinHttpSetOption(keepalive, WINHTTP_OPTION_WEB_SOCKET_KEEPALIVE_INTERVAL, &v, sizeof v));
        keepalive_set = time(NULL);
    }
    test_handshake(ses);
    test_echo(ses);
    test_shutdown_and_reason_checks(ses);
    test_server_behaviours(ses);
    test_bad_handshakes(ses);
    test_options(ses);
    test_sync_cancellation(ses);
    if (keepalive && quiet) {
        while (time(NULL) - keepalive_set < 17)
            sleep_ms(200);
        CHECK_EQ(pings_seen(keepalive), 1);
        CHECK_EQ(pings_seen(quiet), 0);
        CHECK_EQ(WinHttpWebSocketClose(keepalive, 1000, NULL, 0), NO_ERROR);
        CHECK_EQ(WinHttpWebSocketClose(quiet, 1000, NULL, 0), NO_ERROR);
    }
    WinHttpCloseHandle(keepalive);
    WinHttpCloseHandle(quiet);
    WinHttpCloseHandle(ses);
    {
        INTERNET_PORT wss = (INTERNET_PORT)harness_env_int("WINHTTP_TEST_WSS_PORT", 0);
        INTERNET_PORT squid = (INTERNET_PORT)harness_env_int("WINHTTP_TEST_SQUID_PORT", 0);
        if (!wss) {
            printf("SKIP: wss:// tests: no TLS WebSocket peer (WINHTTP_TEST_WSS_PORT not set)\n");
        } else {
            test_wss(wss, 0);
            if (squid)
                test_wss(wss, squid);
            else
                printf("SKIP: wss:// through a CONNECT tunnel: squid is not running (apt-get install squid)\n");
        }
    }
    return harness_report();
}
