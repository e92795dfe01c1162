#!/usr/bin/env python3
"""An HTTP/2 server that is slow to say its limits, for tests/c/test_http2_perf_paths.c (Python's `h2`).

Usage: h2_burst_server.py, with H2_CERT and H2_KEY naming the server certificate and key (PEM). Listens
on 127.0.0.1 (an ephemeral port) over TLS with ALPN `h2`, prints "PORT <n>", and exits when its
standard input closes.

Each connection's SETTINGS (MAX_CONCURRENT_STREAMS 128, as nginx's default) go out only 300 ms after
the client's first bytes; the streams that arrive before the client acknowledges them were sent
without knowing the limit. Like nginx, streams beyond twice the limit among those are refused
(RST_STREAM REFUSED_STREAM).

Paths (`key` names a test's own counters):
  /small?key=K   200 with 128 bytes of "x"
  /stats?key=K   200 "<most streams of K on one connection before its SETTINGS ACK> <refused> <served>"
  /goaway-after?key=K&n=N
                 200 "goaway-after\n"; on the first connection that carries K, its N-th stream of K is
                 answered and followed by GOAWAY(NO_ERROR) naming it the last stream processed; the
                 streams after it get no answer (the client must send them again on a new connection)
  /conns?key=K   200 "<connections that carried K> <goaway-after streams of K answered>"
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
    import hyperframe.frame
except ImportError:
    print("python3 has no h2 package (python3 -m pip install h2)", flush=True)
    sys.exit(0)

LIMIT = 128
MAX_CONCURRENT_STREAMS = 0x3
EARLY = {}
REFUSED = {}
SERVED = {}
CONNS = {}
GOAWAY_SENT = set()
# Connections are numbered: id() of a closed connection's object is reused by a later one, which
# made two connections count as one.
NEXT_CONN = [0]


def key_of(path):
    return parse_qs(urlsplit(path).query).get("key", [""])[0]


class Conn(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport
        NEXT_CONN[0] += 1
        self.cid = NEXT_CONN[0]
        config = h2.config.H2Configuration(client_side=False, header_encoding="utf-8")
        self.conn = h2.connection.H2Connection(config=config)
        # The limit announced (128) is enforced here as nginx does; h2's own check (which would
        # fail the whole connection) is kept out of the way with a much larger local value.
        self.conn.local_settings = h2.settings.Settings(
            client=False, initial_values={h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS: 100000}
        )
        self.pending = b""
        self.started = False
        self.acked = False
        self.early = {}
        self.seen = {}
        self.goaway = False
        self.timer = None

    def connection_lost(self, exc):
        if self.timer:
            self.timer.cancel()

    def data_received(self, data):
        if not self.started:
            self.pending += data
            if self.timer is None:
                self.timer = asyncio.get_event_loop().call_later(0.3, self.start)
            return
        self.feed(data)

    def start(self):
        self.started = True
        self.conn.initiate_connection()
        self.conn.data_to_send()  # h2's own SETTINGS, replaced by the one nginx would send
        self.transport.write(hyperframe.frame.SettingsFrame(0, settings={MAX_CONCURRENT_STREAMS: LIMIT}).serialize())
        data, self.pending = self.pending, b""
        self.feed(data)

    def feed(self, data):
        try:
            events = self.conn.receive_data(data)
        except Exception:
            self.transport.close()
            return
        for ev in events:
            if isinstance(ev, h2.events.SettingsAcknowledged):
                self.acked = True
            elif isinstance(ev, h2.events.RequestReceived):
                path = dict(ev.headers).get(":path", "/")
                key = key_of(path)
                if not self.acked:
                    # Sent before the client had our SETTINGS (its ACK comes before anything sent after).
                    self.early[key] = self.early.get(key, 0) + 1
                    EARLY[key] = max(EARLY.get(key, 0), self.early[key])
                    if self.early[key] > 2 * LIMIT:
                        REFUSED[key] = REFUSED.get(key, 0) + 1
                        self.conn.reset_stream(ev.stream_id, error_code=0x7)
                        continue
                self.handle(ev.stream_id, path, key)
        data = self.conn.data_to_send()
        if data:
            self.transport.write(data)

    def respond(self, stream_id, body):
        try:
            self.conn.send_headers(stream_id, [(":status", "200"), ("content-length", str(len(body)))])
            self.conn.send_data(stream_id, body, end_stream=True)
        except Exception:
            pass

    def handle(self, stream_id, path, key):
        url = urlsplit(path)
        if url.path == "/goaway-after":
            CONNS.setdefault(key, set()).add(self.cid)
        if self.goaway:
            return  # past the GOAWAY's last stream: never processed
        if url.path == "/goaway-after":
            n = int(parse_qs(url.query).get("n", ["1"])[0])
            self.seen[key] = self.seen.get(key, 0) + 1
            SERVED[key] = SERVED.get(key, 0) + 1
            self.respond(stream_id, b"goaway-after\n")
            if key not in GOAWAY_SENT and self.seen[key] == n:
                GOAWAY_SENT.add(key)
                self.goaway = True
                self.conn.close_connection(error_code=0, last_stream_id=stream_id)
                asyncio.get_event_loop().call_later(0.5, self.transport.close)
        elif url.path == "/conns":
            self.respond(stream_id, f"{len(CONNS.get(key, ()))} {SERVED.get(key, 0)}".encode())
        elif url.path == "/small":
            SERVED[key] = SERVED.get(key, 0) + 1
            self.respond(stream_id, b"x" * 128)
        elif url.path == "/stats":
            self.respond(stream_id, f"{EARLY.get(key, 0)} {REFUSED.get(key, 0)} {SERVED.get(key, 0)}".encode())
        else:
            self.respond(stream_id, b"not found\n")


async def main():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(os.environ["H2_CERT"], os.environ["H2_KEY"])
    ctx.set_alpn_protocols(["h2"])
    loop = asyncio.get_running_loop()
    server = await loop.create_server(Conn, "127.0.0.1", 0, ssl=ctx)
    print(f"PORT {server.sockets[0].getsockname()[1]}", flush=True)
    await loop.run_in_executor(None, sys.stdin.read)


if __name__ == "__main__":
    asyncio.run(main())
