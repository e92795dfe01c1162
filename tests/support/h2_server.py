#!/usr/bin/env python3
"""An independent HTTP/2 server for the edge cases of tests/c/test_http2.c, on Python's `h2` package.

Usage: h2_server.py, with H2_CERT and H2_KEY naming the server certificate and key (PEM). Listens on
127.0.0.1 (an ephemeral port) over TLS, choosing `h2` in ALPN when offered (else `http/1.1`, answering
every request with 200 "over http/1.1\n"), prints "PORT <n>", and exits when its standard input closes.

Its SETTINGS are small on purpose: MAX_CONCURRENT_STREAMS 2 and INITIAL_WINDOW_SIZE 1024, so a client
must queue streams and send request bodies in window-sized pieces.

Paths (`key` names a test's own counters, so runs do not see each other's):
  /hello                 200 "hello from python h2\n"
  /slow?key=K            200 after 300 ms; counts the streams of K open at once
  /stats?key=K           200 "<most streams of K open at once> <streams of K seen>"
  /upload                200 "<length> <FNV-1a 64 of the body, 16 hex digits>"
  /big-headers?kb=N      200 with N KiB of response fields (HEADERS + CONTINUATION frames)
  /rst                   RST_STREAM(INTERNAL_ERROR) instead of a response
  /h1-only               RST_STREAM(HTTP_1_1_REQUIRED) instead of a response
  /kill?key=K            no answer; every second stream of K cuts the TCP connection
  /goaway-once?key=K     the first time: GOAWAY(NO_ERROR, last stream 0) before any response, then the
                         connection closes (the stream was not processed); later: 200 "after goaway\n"
  /gzip?kind=K&n=N       N numbered lines ("line <i>\n", i from 0), gzip-encoded when the request's
                         accept-encoding has gzip (else as they are, with x-coding: identity), sent in
                         DATA frames of at most 1000 bytes; K: ok, corrupt (bytes flipped in the
                         middle), truncated (the first half of the stream, then END_STREAM)
  /auth/basic            Basic for user/pwd: 200 "basic ok\n", else 401 (www-authenticate: Basic realm="h2")
  /auth/digest           Digest MD5 qop=auth for user/pwd (realm "h2"), checked here with hashlib:
                         200 "digest ok\n", else 401
  /auth/ntlm             401 with www-authenticate: NTLM (over HTTP/1.1 the fallback
                         answers 200 "over http/1.1 auth=<scheme of the request's authorization>\n")
  /cookies/set           200 with three set-cookie fields: h2a=1, h2b=2; Path=/, h2c=3
  /cookies/echo          200: each cookie field received, as "cookie: <value>\n"
  /conns?key=K           200 "<connections that carried /slow streams of K>"
  /pings                 200 "<PING frames received on this connection so far>"
  /mute                  no answer, and from then on nothing at all is written on this connection
                         (PINGs go unanswered)
  /stall?ms=N            200, content-length 10: "12345" at once, "67890" and END_STREAM N ms later
  /trailers              200 "body\n" then trailers x-checksum: abc123, x-done: yes (END_STREAM on them)
  /upload-te             200 "<length> <FNV-1a 64 of the body> <transfer-encoding field or -> <request trailers
                         as name=value,... or ->"
"""

import asyncio
import gzip
import hashlib
import os
import ssl
import sys
from urllib.parse import parse_qs, urlsplit

try:
    import h2.config
    import h2.connection
    import h2.events
    import h2.settings
except ImportError:
    print("python3 has no h2 package (python3 -m pip install h2)", flush=True)
    sys.exit(0)

ACTIVE = {}
MOST = {}
SEEN = {}
GOAWAY_DONE = set()
DIGEST_NONCE = os.urandom(12).hex()
CONNS = {}
NEXT_CONN = [0]


def fnv1a64(data):
    h = 0xCBF29CE484222325
    for b in data:
        h ^= b
        h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


class H1Conn(asyncio.Protocol):
    """HTTP/1.1 when the client did not offer h2: every request gets 200 "over http/1.1\n"."""

    def __init__(self, transport):
        self.transport = transport
        self.buf = b""

    def data_received(self, data):
        self.buf += data
        while b"\r\n\r\n" in self.buf:
            head, self.buf = self.buf.split(b"\r\n\r\n", 1)
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value.strip())
            self.buf = self.buf[length:]
            body = b"over http/1.1\n"
            lines = head.split(b"\r\n")
            if b" /auth/ntlm" in lines[0]:
                scheme = b"-"
                for line in lines[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"authorization":
                        scheme = value.strip().split(b" ")[0]
                body = b"over http/1.1 auth=%s\n" % scheme
            self.transport.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))


class Conn(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport
        self.h1 = None
        ssl_object = transport.get_extra_info("ssl_object")
        if ssl_object is not None and ssl_object.selected_alpn_protocol() != "h2":
            self.h1 = H1Conn(transport)
            return
        config = h2.config.H2Configuration(client_side=False, header_encoding="utf-8")
        self.conn = h2.connection.H2Connection(config=config)
        self.conn.local_settings = h2.settings.Settings(
            client=False,
            initial_values={
                h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS: 2,
                h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 1024,
            },
        )
        self.conn.initiate_connection()
        self.requests = {}
        NEXT_CONN[0] += 1
        self.cid = NEXT_CONN[0]
        self.pings = 0
        self.muted = False
        self.flush()

    def flush(self):
        data = self.conn.data_to_send()
        if data and not self.muted:
            self.transport.write(data)

    def data_received(self, data):
        if self.h1:
            self.h1.data_received(data)
            return
        try:
            events = self.conn.receive_data(data)
        except Exception:
            self.transport.close()
            return
        for ev in events:
            if isinstance(ev, h2.events.RequestReceived):
                headers = dict(ev.headers)
                self.requests[ev.stream_id] = (
                    headers.get(":method"),
                    headers.get(":path", "/"),
                    bytearray(),
                    list(ev.headers),
                )
                self.te = headers.get("transfer-encoding", "-")
                self.req_trailers = "-"
            elif isinstance(ev, h2.events.TrailersReceived):
                self.req_trailers = ",".join(f"{n}={v}" for n, v in ev.headers)
            elif isinstance(ev, h2.events.PingReceived):
                self.pings += 1
            elif isinstance(ev, h2.events.DataReceived):
                req = self.requests.get(ev.stream_id)
                if req:
                    req[2].extend(ev.data)
                self.conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
            elif isinstance(ev, h2.events.StreamEnded):
                req = self.requests.pop(ev.stream_id, None)
                if req:
                    self.handle(ev.stream_id, *req)
            elif isinstance(ev, h2.events.StreamReset):
                self.requests.pop(ev.stream_id, None)
        self.flush()

    def respond(self, stream_id, body, status=200, fields=(), piece=None):
        try:
            head = [(":status", str(status)), ("content-length", str(len(body)))]
            self.conn.send_headers(stream_id, head + list(fields))
            piece = piece or len(body)
            at = 0
            while True:
                end = at + piece >= len(body)
                self.conn.send_data(stream_id, body[at : at + piece], end_stream=end)
                if end:
                    break
                at += piece
        except Exception:
            pass
        self.flush()

    def digest_ok(self, method, value):
        # Digest MD5 with qop=auth, for user/pwd in realm "h2" (RFC 7616 section 3.4.1).
        if not value.lower().startswith("digest "):
            return False
        params = {}
        for part in value[7:].split(","):
            name, _, v = part.strip().partition("=")
            params[name.strip().lower()] = v.strip().strip('"')

        def md5(text):
            return hashlib.md5(text.encode()).hexdigest()

        if params.get("username") != "user" or params.get("nonce") != DIGEST_NONCE:
            return False
        ha1 = md5("user:h2:pwd")
        ha2 = md5(f"{method}:{params.get('uri', '')}")
        want = md5(f"{ha1}:{DIGEST_NONCE}:{params.get('nc', '')}:{params.get('cnonce', '')}:auth:{ha2}")
        return params.get("qop") == "auth" and params.get("response") == want

    def handle(self, stream_id, method, path, body, fields=()):
        url = urlsplit(path)
        query = parse_qs(url.query)
        key = query.get("key", [""])[0]
        auth = next((v for name, v in fields if name == "authorization"), "")
        if url.path == "/gzip":
            n = int(query.get("n", ["1000"])[0])
            plain = "".join(f"line {i}\n" for i in range(n)).encode()
            accepts = ",".join(v for name, v in fields if name == "accept-encoding")
            if "gzip" not in accepts:
                self.respond(stream_id, plain, fields=[("x-coding", "identity")], piece=1000)
                return
            data = bytearray(gzip.compress(plain))
            kind = query.get("kind", ["ok"])[0]
            if kind == "corrupt":
                mid = len(data) // 2
                data[mid : mid + 8] = bytes(b ^ 0x5A for b in data[mid : mid + 8])
            elif kind == "truncated":
                data = data[: len(data) // 2]
            self.respond(stream_id, bytes(data), fields=[("content-encoding", "gzip")], piece=1000)
        elif url.path == "/auth/basic":
            if auth == "Basic dXNlcjpwd2Q=":
                self.respond(stream_id, b"basic ok\n")
            else:
                self.respond(stream_id, b"unauthorized\n", 401, [("www-authenticate", 'Basic realm="h2"')])
        elif url.path == "/auth/digest":
            if self.digest_ok(method, auth):
                self.respond(stream_id, b"digest ok\n")
            else:
                challenge = f'Digest realm="h2", qop="auth", nonce="{DIGEST_NONCE}", algorithm=MD5'
                self.respond(stream_id, b"unauthorized\n", 401, [("www-authenticate", challenge)])
        elif url.path == "/auth/ntlm":
            self.respond(stream_id, b"unauthorized\n", 401, [("www-authenticate", "NTLM")])
        elif url.path == "/cookies/set":
            cookies = [("set-cookie", "h2a=1"), ("set-cookie", "h2b=2; Path=/"), ("set-cookie", "h2c=3")]
            self.respond(stream_id, b"set\n", fields=cookies)
        elif url.path == "/cookies/echo":
            text = "".join(f"cookie: {v}\n" for name, v in fields if name == "cookie")
            self.respond(stream_id, text.encode())
        elif url.path == "/hello":
            self.respond(stream_id, b"hello from python h2\n")
        elif url.path == "/slow":
            ACTIVE[key] = ACTIVE.get(key, 0) + 1
            SEEN[key] = SEEN.get(key, 0) + 1
            MOST[key] = max(MOST.get(key, 0), ACTIVE[key])
            CONNS.setdefault(key, set()).add(self.cid)

            def done():
                ACTIVE[key] -= 1
                self.respond(stream_id, b"slow\n")

            asyncio.get_event_loop().call_later(0.3, done)
        elif url.path == "/stall":
            ms = int(parse_qs(url.query).get("ms", ["1000"])[0])
            try:
                self.conn.send_headers(stream_id, [(":status", "200"), ("content-length", "10")])
                self.conn.send_data(stream_id, b"12345")
            except Exception:
                pass
            self.flush()

            def rest():
                try:
                    self.conn.send_data(stream_id, b"67890", end_stream=True)
                except Exception:
                    pass
                self.flush()

            asyncio.get_event_loop().call_later(ms / 1000.0, rest)
        elif url.path == "/stats":
            self.respond(stream_id, f"{MOST.get(key, 0)} {SEEN.get(key, 0)}".encode())
        elif url.path == "/conns":
            self.respond(stream_id, f"{len(CONNS.get(key, ()))}".encode())
        elif url.path == "/pings":
            self.respond(stream_id, f"{self.pings}".encode())
        elif url.path == "/mute":
            self.muted = True
        elif url.path == "/trailers":
            try:
                self.conn.send_headers(stream_id, [(":status", "200"), ("trailer", "x-checksum, x-done")])
                self.conn.send_data(stream_id, b"body\n")
                self.conn.send_headers(stream_id, [("x-checksum", "abc123"), ("x-done", "yes")], end_stream=True)
            except Exception:
                pass
            self.flush()
        elif url.path == "/upload-te":
            te, trailers = getattr(self, "te", "-"), getattr(self, "req_trailers", "-")
            self.respond(stream_id, f"{len(body)} {fnv1a64(body):016x} {te} {trailers}".encode())
        elif url.path == "/upload":
            self.respond(stream_id, f"{len(body)} {fnv1a64(body):016x}".encode())
        elif url.path == "/big-headers":
            # `kb` KiB of response fields (in 1 KiB values), split into CONTINUATION frames.
            kb = int(parse_qs(url.query).get("kb", ["1"])[0])
            fields = [(":status", "200"), ("content-length", "3")]
            fields += [(f"x-big-{i}", "v" * 1024) for i in range(kb)]
            try:
                self.conn.send_headers(stream_id, fields)
                self.conn.send_data(stream_id, b"big", end_stream=True)
            except Exception:
                pass
            self.flush()
        elif url.path == "/rst":
            self.conn.reset_stream(stream_id, error_code=2)
            self.flush()
        elif url.path == "/kill":
            # The second stream of `key` to arrive: the TCP connection is cut (no GOAWAY).
            SEEN[key] = SEEN.get(key, 0) + 1
            if SEEN[key] % 2 == 0:
                self.transport.abort()
        elif url.path == "/h1-only":
            self.conn.reset_stream(stream_id, error_code=0xD)
            self.flush()
        elif url.path == "/goaway-once":
            if key not in GOAWAY_DONE:
                GOAWAY_DONE.add(key)
                self.conn.close_connection(error_code=0, last_stream_id=0)
                self.flush()
                self.transport.close()
            else:
                self.respond(stream_id, b"after goaway\n")
        else:
            self.respond(stream_id, b"not found\n", 404)


async def main():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(os.environ["H2_CERT"], os.environ["H2_KEY"])
    ctx.set_alpn_protocols(["h2", "http/1.1"])
    loop = asyncio.get_running_loop()
    server = await loop.create_server(Conn, "127.0.0.1", 0, ssl=ctx)
    print(f"PORT {server.sockets[0].getsockname()[1]}", flush=True)
    await loop.run_in_executor(None, sys.stdin.read)


if __name__ == "__main__":
    asyncio.run(main())
