#!/usr/bin/env python3
"""A test server for content codings and cookies, for C and Rust tests (tests/support/).

    python3 tests/support/coding_server.py [--port N]

Listens on 127.0.0.1 (port 0 = any free one) and prints "PORT <n>" on its first line of stdout,
then serves HTTP/1.1 until killed. Every body is made here with Python's own zlib, brotli and
zstandard modules, independent of the library under test.

Codings (Content-Encoding as named; the decoded body is always /plain's):
  /plain                 the text, uncompressed (PLAIN_LEN bytes, see plain())
  /gzip  /x-gzip         gzip
  /deflate               zlib-wrapped deflate (what RFC 9110 calls deflate)
  /deflate-raw           raw deflate sent as "deflate" (what some servers do)
  /br  /zstd             brotli, zstd (with a checksum)
  /gzip-chunked          gzip in chunked transfer coding, in 1000-byte chunks
  /corrupt/<coding>      the compressed body with bytes in the middle flipped
  /truncated/<coding>    the compressed body cut to half, framed correctly (Content-Length)
  /bomb/<coding>         64 MiB of zeros, compressed (gzip ~64 KiB), sent chunked
  /double                "gzip, br": two codings, which a client must leave alone
Cookies:
  /cookie/set?<Set-Cookie value>        one Set-Cookie with the query (percent-decoded)
  /cookie/set-many                      "name = value " and "NAME = value " (Wine's test)
  /cookie/echo                          the request's Cookie headers as the body, one a line
  /cookie/redirect?to=<path>&set=<v>    302 to <path>, with Set-Cookie <v> on the redirect
  /cookie/<anything>/echo               as /cookie/echo (for Path attributes)
  /cookie/401?set=<v>                   401 (WWW-Authenticate: Basic) with Set-Cookie <v>, unless
                                        the request has Authorization: then as /cookie/echo
Other:
  /headers               the request's headers as received, "Name: value" a line
  /conn                  the client's address and port (one connection: the same answer)

With the environment variable CODING_SERVER_STDIN_EXIT=1 the server exits when its standard
input closes (the C suite holds it open for as long as it runs).
"""
import functools
import gzip
import http.server
import socketserver
import sys
import urllib.parse
import zlib

try:
    import brotli
except ImportError:  # the server still serves everything else
    brotli = None
try:
    import zstandard
except ImportError:
    zstandard = None

PLAIN_LEN = 300_000


def plain():
    """The decoded body: numbered lines, compressible but not trivially."""
    out = bytearray()
    i = 0
    while len(out) < PLAIN_LEN:
        out += b"line %d of the body, %d\n" % (i, i * 7919 % 1000)
        i += 1
    return bytes(out[:PLAIN_LEN])


@functools.lru_cache(maxsize=None)
def compress(coding, data, quality=None):
    if coding in ("gzip", "x-gzip"):
        return gzip.compress(data, mtime=0)
    if coding == "deflate":
        return zlib.compress(data)
    if coding == "deflate-raw":
        c = zlib.compressobj(6, zlib.DEFLATED, -15)
        return c.compress(data) + c.flush()
    if coding == "br":
        if brotli is None:
            raise LookupError("the brotli module is not installed")
        return brotli.compress(data) if quality is None else brotli.compress(data, quality=quality)
    if coding == "zstd":
        if zstandard is None:
            raise LookupError("the zstandard module is not installed")
        return zstandard.ZstdCompressor(write_checksum=True).compress(data)
    raise LookupError(coding)


def wire_name(coding):
    return "deflate" if coding == "deflate-raw" else coding


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send_body(self, status, body, headers=()):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_chunked(self, status, pieces, headers=()):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for p in pieces:
            if p:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(p), p))
        self.wfile.write(b"0\r\n\r\n")

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        path, query = url.path, url.query
        parts = path.strip("/").split("/")
        try:
            if path == "/plain":
                return self.send_body(200, plain(), [("Content-Type", "text/plain")])
            if len(parts) == 1 and parts[0] in ("gzip", "x-gzip", "deflate", "deflate-raw", "br", "zstd"):
                c = parts[0]
                return self.send_body(200, compress(c, plain()), [("Content-Encoding", wire_name(c))])
            if path == "/gzip-chunked":
                z = compress("gzip", plain())
                return self.send_chunked(200, [z[i : i + 1000] for i in range(0, len(z), 1000)],
                                         [("Content-Encoding", "gzip")])
            if len(parts) == 2 and parts[0] == "corrupt":
                z = bytearray(compress(parts[1], plain()))
                for i in range(len(z) // 2, min(len(z), len(z) // 2 + 16)):
                    z[i] ^= 0x5A
                return self.send_body(200, bytes(z), [("Content-Encoding", wire_name(parts[1]))])
            if len(parts) == 2 and parts[0] == "truncated":
                z = compress(parts[1], plain())
                return self.send_body(200, z[: len(z) // 2], [("Content-Encoding", wire_name(parts[1]))])
            if len(parts) == 2 and parts[0] == "bomb":
                z = compress(parts[1], bytes(64 << 20), quality=4)
                return self.send_chunked(200, [z[i : i + 65536] for i in range(0, len(z), 65536)],
                                         [("Content-Encoding", wire_name(parts[1]))])
            if path == "/double":
                z = compress("br", compress("gzip", plain()))
                return self.send_body(200, z, [("Content-Encoding", "gzip, br")])
            if path == "/cookie/set":
                return self.send_body(200, b"set\n", [("Set-Cookie", urllib.parse.unquote(query))])
            if path == "/cookie/set-many":
                return self.send_body(200, b"set\n", [("Set-Cookie", "name = value "), ("Set-Cookie", "NAME = value ")])
            if path == "/headers":
                body = "".join("%s: %s\n" % (k, v) for k, v in self.headers.items())
                return self.send_body(200, body.encode("latin-1"), [("Content-Type", "text/plain")])
            if path == "/conn":
                return self.send_body(200, ("%s:%d\n" % self.client_address).encode(), [("Content-Type", "text/plain")])
            if path == "/cookie/401":
                if self.headers.get("Authorization") is None:
                    q = urllib.parse.parse_qs(query)
                    headers = [("WWW-Authenticate", 'Basic realm="cookies"')]
                    if "set" in q:
                        headers.append(("Set-Cookie", q["set"][0]))
                    return self.send_body(401, b"unauthorized\n", headers)
                path = "/cookie/echo"
            if path == "/cookie/echo" or (path.startswith("/cookie/") and path.endswith("/echo")):
                body = "".join(v + "\n" for v in self.headers.get_all("Cookie", []))
                return self.send_body(200, body.encode("latin-1"), [("Content-Type", "text/plain")])
            if path == "/cookie/redirect":
                q = urllib.parse.parse_qs(query)
                headers = [("Location", q.get("to", ["/cookie/echo"])[0])]
                if "set" in q:
                    headers.append(("Set-Cookie", q["set"][0]))
                return self.send_body(302, b"", headers)
        except LookupError as e:
            return self.send_body(501, str(e).encode(), [("Content-Type", "text/plain")])
        self.send_body(404, b"not found\n")


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        # A client that gives up on a body (a corrupt one, a bomb) resets the connection.
        if isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            return
        super().handle_error(request, client_address)


def exit_when_stdin_closes():
    import os
    import threading

    def watch():
        sys.stdin.buffer.read()
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()


def main():
    import os
    if os.environ.get("CODING_SERVER_STDIN_EXIT") == "1":
        exit_when_stdin_closes()
    port = 0
    if len(sys.argv) == 3 and sys.argv[1] == "--port":
        port = int(sys.argv[2])
    server = Server(("127.0.0.1", port), Handler)
    print("PORT %d" % server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
