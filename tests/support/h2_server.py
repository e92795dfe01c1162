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
  /conns?key=K           200 "<connections that carried /slow streams of K>"
  /pings                 200 "<PING frames received on this connection so far>"
  /mute                  no answer, and from then on nothing at all is written on this connection
                         (PINGs go unanswered)
  /trailers              200 "body\n" then trailers x-checksum: abc123, x-done: yes (END_STREAM on them)
  /upload-te             200 "<length> <FNV-1a 64 of the body> <transfer-encoding field or -> <request trailers
                         as name=value,... or ->"
"""

import asyncio
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
                self.requests[ev.stream_id] = (headers.get(":method"), headers.get(":path", "/"), bytearray())
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

    def respond(self, stream_id, body, status=200):
        try:
            self.conn.send_headers(stream_id, [(":status", str(status)), ("content-length", str(len(body)))])
            self.conn.send_data(stream_id, body, end_stream=True)
        except Exception:
            pass
        self.flush()

    def handle(self, stream_id, method, path, body):
        url = urlsplit(path)
        key = parse_qs(url.query).get("key", [""])[0]
        if url.path == "/hello":
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
