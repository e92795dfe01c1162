#!/usr/bin/env python3
"""A WebSocket peer for the tests, on the `websockets` package (an independent implementation).

    python3 ws_server.py [--port N] [--tls CERT KEY]

Listens on 127.0.0.1 (port 0: an ephemeral one), prints "PORT <n>" on its first stdout line, and serves
every behaviour below on that one port, chosen by the request path, to any number of clients at once,
so one server is started per test process and shared (Rust tests and C programs alike). It exits when
its standard input reaches end of file, i.e. when the test process that started it is gone.
With `--tls CERT KEY` (PEM files) it speaks TLS (wss://) instead, with that certificate.

| path | behaviour |
|---|---|
| /echo | echoes every message with its type (text or binary) until the client closes; a client close is answered with the same status and reason |
| /ping | sends a ping with payload "srv-ping", waits (5 s) for the pong, sends the text message "pong ok", then echoes |
| /fragments | sends the text message "Hello, wörld" as three frames ("Hel", "lo, w", "örld": a code point split across frames), then the binary message 00 01 02 as three frames (00 01, empty, 02), then echoes |
| /large?size=N | sends a binary message of N bytes (byte i is i % 251; default 1048576), then a text message of N bytes of "é" (N rounded down to even), then echoes |
| /server-close?code=C&reason=R | closes at once with status C (default 1001) and reason R (default "going away"), waits for the client's close |
| /abort | sends the header of a 1000-byte binary frame and 10 bytes of it, then closes the TCP connection (no close frame) |
| /invalid?kind=K | sends one invalid frame, K = rsv (RSV1 set), opcode (reserved opcode 3), masked (a masked frame), control (a 126-byte ping), continuation (a continuation outside a message), utf8 (a text message that is not UTF-8), closecode (a close frame with status 1005); then answers the client's close frame by echoing it |
| /pings | echoes, except that the text message "pings?" is answered with the number of pings received from the client so far |
| /stream?size=N&chunk=M | sends N bytes (default 104857600) as binary messages of M bytes (default 1048576), then closes with 1000 (benchmarks) |
| /sink | receives and drops messages; the text message "total?" is answered with the number of bytes received before it (benchmarks) |
| /hold | stops reading from the connection for 60 s (a close frame of the client's is never answered) |
| /bad-handshake/K | answers the upgrade wrongly, K = status (200 instead of 101), no-upgrade (no Upgrade header), bad-accept (an accept hash of another key), deflate (insists on permessage-deflate), protocol (a subprotocol nobody offered), version (Sec-WebSocket-Version: 8) |

Requires the `websockets` package (pip install websockets).
"""
import argparse
import asyncio
import base64
import hashlib
import struct
import sys
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Response
from websockets.datastructures import Headers
from websockets.frames import Frame, Opcode


class Counting(ServerConnection):
    """Counts the pings the client sends (the library answers them itself)."""

    pings_received = 0

    def process_event(self, event):
        if isinstance(event, Frame) and event.opcode is Opcode.PING:
            self.pings_received += 1
        super().process_event(event)


def query(ws, name, default):
    values = parse_qs(urlsplit(ws.request.path).query).get(name)
    return values[0] if values else default


def raw_frame(first, payload, mask=None):
    """A frame as bytes: `first` is byte 0 (FIN, RSV, opcode)."""
    n = len(payload)
    mask_bit = 0x80 if mask else 0
    if n < 126:
        head = struct.pack("!BB", first, mask_bit | n)
    elif n < 65536:
        head = struct.pack("!BBH", first, mask_bit | 126, n)
    else:
        head = struct.pack("!BBQ", first, mask_bit | 127, n)
    if mask:
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        head += mask
    return head + payload


INVALID = {
    "rsv": raw_frame(0xC2, b"x"),
    "opcode": raw_frame(0x83, b""),
    "masked": raw_frame(0x82, b"abc", mask=b"\x01\x02\x03\x04"),
    "control": raw_frame(0x89, b"p" * 126),
    "continuation": raw_frame(0x80, b"x"),
    "utf8": raw_frame(0x81, b"ok\xc3\x28"),
    "closecode": raw_frame(0x88, struct.pack("!H", 1005)),
}


async def echo(ws):
    async for message in ws:
        await ws.send(message)


async def handler(ws):
    path = urlsplit(ws.request.path).path
    try:
        if path == "/echo":
            await echo(ws)
        elif path == "/ping":
            waiter = await ws.ping(b"srv-ping")
            await asyncio.wait_for(waiter, 5)
            await ws.send("pong ok")
            await echo(ws)
        elif path == "/fragments":
            await ws.send(["Hel", "lo, w", "örld"])
            await ws.send([b"\x00\x01", b"", b"\x02"])
            await echo(ws)
        elif path == "/large":
            size = int(query(ws, "size", "1048576"))
            await ws.send(bytes(i % 251 for i in range(size)))
            await ws.send("é" * (size // 2))
            await echo(ws)
        elif path == "/server-close":
            await ws.close(int(query(ws, "code", "1001")), query(ws, "reason", "going away"))
        elif path == "/abort":
            ws.transport.write(b"\x82\x7e\x03\xe8" + b"0123456789")
            ws.transport.close()
        elif path == "/pings":
            async for message in ws:
                await ws.send(str(ws.pings_received) if message == "pings?" else message)
        elif path == "/stream":
            size, chunk = int(query(ws, "size", "104857600")), int(query(ws, "chunk", "1048576"))
            block = bytes(i % 251 for i in range(chunk))
            sent = 0
            while sent < size:
                n = min(chunk, size - sent)
                await ws.send(block if n == chunk else block[:n])
                sent += n
            await ws.close(1000, "done")
        elif path == "/sink":
            total = 0
            async for message in ws:
                if message == "total?":
                    await ws.send(str(total))
                else:
                    total += len(message)
        elif path == "/hold":
            ws.transport.pause_reading()
            await asyncio.sleep(60)
        elif path == "/invalid":
            ws.transport.write(INVALID[query(ws, "kind", "rsv")])
            await echo(ws)
        else:
            await ws.close(4404, "no such behaviour")
    except ConnectionClosed:
        pass


def process_request(ws, request):
    if request.path == "/bad-handshake/status":
        return ws.respond(200, "not a websocket\n")
    return None


def process_response(ws, request, response):
    path = urlsplit(request.path).path
    if not path.startswith("/bad-handshake/"):
        return None
    kind = path.rsplit("/", 1)[1]
    headers = Headers(response.headers)
    if kind == "no-upgrade":
        del headers["Upgrade"]
    elif kind == "bad-accept":
        del headers["Sec-WebSocket-Accept"]
        other = base64.b64encode(hashlib.sha1(b"another key" + b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest())
        headers["Sec-WebSocket-Accept"] = other.decode()
    elif kind == "deflate":
        headers["Sec-WebSocket-Extensions"] = "permessage-deflate"
    elif kind == "protocol":
        headers["Sec-WebSocket-Protocol"] = "nobody-offered-this"
    elif kind == "version":
        headers["Sec-WebSocket-Version"] = "8"
    return Response(response.status_code, response.reason_phrase, headers, response.body)


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    args = parser.parse_args()
    context = None
    if args.tls:
        import ssl

        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.tls[0], args.tls[1])
    async with serve(
        handler,
        "127.0.0.1",
        args.port,
        compression=None,
        ping_interval=None,
        max_size=None,
        process_request=process_request,
        process_response=process_response,
        ssl=context,
        create_connection=Counting,
    ) as server:
        port = server.sockets[0].getsockname()[1]
        print(f"PORT {port}", flush=True)
        # Serve until the parent closes our stdin.
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, sys.stdin.buffer.read)


if __name__ == "__main__":
    asyncio.run(main())
