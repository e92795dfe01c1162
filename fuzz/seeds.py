#!/usr/bin/env python3
"""Writes the seed corpora in fuzz/corpus/<target>/ (committed). Run it again after changing a seed.

Each seed is a configuration prefix (see fuzz/src/lib.rs for what each bit means) and
meaningful text: real response heads, chunked bodies, URLs, header texts and dates."""
import hashlib, os, shutil, struct

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")

def write(target, seeds):
    d = os.path.join(ROOT, target)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    for s in seeds:
        name = hashlib.sha1(s).hexdigest()[:16]
        with open(os.path.join(d, name), "wb") as f:
            f.write(s)

heads = [
    b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello",
    b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>; rel=preload\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    b"HTTP/1.0 404 Not Found\r\nServer: x\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n",
    b"HTTP/1.1 301 Moved Permanently\r\nLocation: http://example.com/a?b#c\r\nSet-Cookie: a=b; Path=/\r\nSet-Cookie: c=d\r\n\r\n",
    b"\r\n\nHTTP/1.1 204 No Content\nA: 1\nB:2\n\nrest",
    b"HTTP/1.1  302   Moved  Here \r\nName : v\r\nFolded: a\r\n  b\r\n\tc\r\nEmpty:\r\nL1: \xe9t\xe9\r\nU8: \xc3\xa9\r\n\r\n",
    b"HTTP/1.1 200 D\xe9j\xe0 vu\r\nContent-Length: 3, 3\r\nContent-Length: 3\r\n\r\nabc",
    b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
    b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: gzip, chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n",
    b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\x81\x00",
    b"HTTP/1.1 200 OK\r\nDate: Mon, 28 Jul 2008 10:05:52 GMT\r\nConnection: close\r\n\r\nbody until close",
    b"HTTP/1.1 200 OK\r\nContent-Le",
    b"<html>hello</html>",
    b"ICY 200 OK\r\n",
    b"HTTP/1.1 099 Low\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nBad\x01Name: x\r\n\r\n",
    b"HTTP/1.1 200 OK\r\n" + b"X-Long: " + b"a" * 300 + b"\r\n\r\n",
]
# cap 64 KiB with small pieces, the 64/256/1024-byte caps, one byte at a time
write("head", [bytes([cfg]) + h for h in heads for cfg in (0x04, 0x31)] + [bytes([0x02]) + heads[-1], bytes([0x09]) + heads[3]])

bodies = [
    b"5\r\nhello\r\n0\r\n\r\n",
    b"6\r\nline1\n\r\n6\r\nline2\n\r\n0\r\n\r\nHTTP/1.1 200 OK\r\n",
    b"4;name=value;other=\"quoted;\"\r\nWiki\r\n5 ; ext\r\npedia\r\n0\r\nExpires: Mon, 28 Jul 2008 10:05:52 GMT\r\nX-Checksum: abc\r\n\r\n",
    b"a\nabcdefghij\n0\n\n",
    b"00000003\r\nabc\r\n0000\r\n\r\n",
    b"1\r\nx\r\n0\r\nNo colon\r\nGood: yes\r\n\r\n",
    b"FFFFFFFFFFFFFFFFF\r\n",
    b"zz\r\n",
    b"3\r\nabcX\r\n",
    b"0\r\n",
    b"abcdefghijklmnopqrstuvwxyz0123456789",
]
chunk_cfgs = [0x00, 0x14, 0x25, 0x48, 0x3c, 0x02, 0x03]
chunked = [bytes([cfg, seed]) + b for b in bodies for cfg, seed in ((0x00, 0x03), (0x74, 0x40))]
chunked += [bytes([0x02, 1]) + bodies[-1], bytes([0x03, 7]) + bodies[-1], bytes([0x08, 9]) + bodies[2], bytes([0x0c, 5]) + bodies[2]]
chunked += [bytes([0x80, s]) + b"The quick brown fox jumps over the lazy dog" for s in (0x00, 0x13, 0x7e, 0xc1)]
write("chunked", chunked)

urls = [
    "http://example.com/",
    "https://www.example.com:8443/path/to/file.html?query=1&b=2#frag",
    "http://user:pass@host:8080/p?q",
    "http://user@host/",
    "http://@host/",
    "http://u:@host/x",
    "HTTP://HOST:80/",
    "https://host:443",
    "http://host:/",
    "http://[::1]:8080/a",
    "http://[fe80::1%25eth0]/",
    "http://[::1]x/",
    "http://h?q#f",
    "http://h/#frag",
    "http://h/a%20b%zz%4",
    "http://h/caf\u00e9/\u4e2d\u6587?\u00fc=1",
    "http://a@b@c:99999/",
    "http://h:0080/",
    "ftp://example.com/",
    "http:/x",
    "http://",
    "http://h/ \"<>\\^`{|}~\x7f",
    "mailto:x@y",
]
url_seeds = [bytes([cfg]) + u.encode() for u in urls for cfg in (0x00, 0x1b)]
url_seeds += [bytes([0x01]) + urls[1].encode(), bytes([0x02]) + urls[15].encode(), bytes([0x24]) + urls[2].encode()]
# raw code units: UTF-16 (with a lone surrogate) and UTF-32 (with a value past U+10FFFF)
url_seeds.append(bytes([0x42]) + "http://h/\ud800x".encode("utf-16-le", "surrogatepass"))
url_seeds.append(bytes([0x42]) + b"".join(struct.pack("<I", c) for c in list(map(ord, "http://h/")) + [0x110000, 0x41]))
write("url", url_seeds)

header_calls = [
    [(0x00, b"Accept: */*\r\nX-A: 1\r\nX-A: 2\r\n")],
    [(0x00, b"Cookie: a=b"), (0x08, b"Cookie: c=d"), (0x10, b"Cookie: e=f")],
    [(0x00, b"X: 1"), (0x04, b"X: 2"), (0x04, b"X:"), (0x04, b"Y: 3"), (0x05, b"Y: 3")],
    [(0x00, b"X: 1"), (0x02, b"X: 2"), (0x02, b"Z: 9")],
    [(0x00, b"a: 1\n\rb: 2\r\r\rc:3\n\n"), (0x00, b"bad line\r\nd: 4")],
    [(0x00, b"x!#$%&'*+-.^_`|~9: v"), (0x00, b"na\xc3\xa9me: v"), (0x00, b"X: a\x00b")],
    [(0x00, b"Content-Length: 42\r\nDate: Mon, 28 Jul 2008 10:05:52 GMT\r\nIf-Modified-Since: Sunday, 06-Nov-94 08:49:37 GMT")],
    [(0x00, b"\r\n"), (0x00, b""), (0x00, b"   :x"), (0x00, b"name:   spaced  value  ")],
]
write("headers", [b"\xff".join(bytes([m]) + t for m, t in calls) for calls in header_calls])

dates = [
    b"Mon, 28 Jul 2008 10:05:52 GMT",
    b"Sunday, 06-Nov-94 08:49:37 GMT",
    b"Sun Nov  6 08:49:37 1994",
    b" mon 28 jul 2008 10 05 52\n",
    b"Thu, 01 Jan 1970 00:00:00 GMT",
    b"Tue, 29 Feb 2000 23:59:59 GMT",
    b"Fri, 31 Dec 9999 23:59:59 GMT",
    b"Sat, 30 Feb 2021 00:00:00 GMT",
    b"Mon, 28 Jul 2008 24:00:00 GMT",
    b"28 July 49 1:2:3",
    b"99999999999999999999 Jan 1",
]
systemtimes = [struct.pack("<8H", 2008, 7, 1, 28, 10, 5, 52, 0), struct.pack("<8H", 0, 1, 0, 1, 0, 0, 0, 0),
               struct.pack("<8H", 9999, 12, 5, 31, 23, 59, 59, 999), struct.pack("<8H", 2001, 2, 0, 29, 0, 0, 0, 0)]
write("time", dates + systemtimes)

# ffi: 4 configuration bytes, a SYSTEMTIME (16 bytes), then the text
st = systemtimes[0]
ffi = []
for u in ["http://user:pass@host:8080/p/a%20th?q=1#f", "https://[::1]/", "HTTP://h?x", "http://h/caf\u00e9", "bogus"]:
    for cfg in (bytes([0x00, 0x55, 0x05, 0x00]), bytes([0x05, 0xaa, 0x0a, 0x00]), bytes([0x0e, 0xff, 0x0f, 0x00]),
                bytes([0x03, 0x99, 0x09, 0x00]), bytes([0x22, 0x55, 0x05, 0x00])):
        ffi.append(cfg + st + u.encode())
for parts in ["http|example.com|user|pw|/a b|?q=\u00e9", "https|h||||", "|h|u||p|#f", "ftp|h", "HTTPS|[::1]|||path|"]:
    ffi += [bytes([0x00, 0x00, 0x00, m]) + st for m in (0x3f, 0x7b, 0xf3, 0x1d)]
    ffi[-4:] = [x + parts.encode() for x in ffi[-4:]]
for d in dates[:4]:
    ffi.append(bytes([0x00, 0x00, 0x00, 0x00]) + systemtimes[2] + d)
for h in [b"Accept: */*\r\nX-A: 1\n\nX-A: 2\n\nX-B:3", b"Cookie: a\n\nCookie: b\n\nCookie:", b"bad line\n\nGood: 1"]:
    for c1, c3 in ((0x00, 0x00), (0x50, 0x48), (0x20, 0x90)):
        ffi.append(bytes([0x00, c1, 0x00, c3]) + systemtimes[3] + h)
ffi.append(bytes([0x80, 0x05, 0x00, 0x3f]) + st + b"".join(struct.pack("<i", c) for c in list(map(ord, "http://h/")) + [-1, 0x110000, 0xd800, 0]))
write("ffi", ffi)

# cookie: cfg, then host, path and Set-Cookie lines ("@host path" switches the URL).
cookie_texts = [
    b"localhost\n/cookie\nname = value \nNAME = value ",
    b"www.example.com\n/a/b\nsid=1; Path=/; Domain=.example.com; Secure; HttpOnly\nlang=en; Max-Age=60\nold=x; Expires=Thu, 01 Jan 1970 00:00:01 GMT\n@a.example.com /a/b/c\nsid=2; Domain=example.com; Path=/a",
    b"example.co.uk\n/\nx=1; Domain=co.uk\ny=2; Domain=example.co.uk\nz=3; Domain=uk",
    b"127.0.0.1\n/x/y\ni=1\nj=2; Domain=0.0.1\nk=3; Path=/x",
    b"host\n/\nlonely\n=nameless\n;\n a=b=c ; max-age=-1\nq=\"quoted; not\"\nm=1; Max-Age=99999999999999999999999",
    b"a.test\n/p\n" + b"\n".join(b"c%d=v; Max-Age=%d" % (i, i % 3) for i in range(12)),
    b"localhost\n/\ndel=1\ndel=; Max-Age=0\np=1; Path=/deep\np=2; Path=/deep; Max-Age=0",
]
write("cookie", [bytes([cfg]) + t for t in cookie_texts for cfg in (0x07, 0x2a, 0xf9)])

# coding: cfg (coding, pieces, reads, round trip) and a seed byte, then the compressed bytes (or
# the text for the round trip).
import gzip, zlib
plain = b"The quick brown fox jumps over the lazy dog. " * 20
raw = zlib.compressobj(6, zlib.DEFLATED, -15)
raw_deflate = raw.compress(plain) + raw.flush()
coded = [
    (0, gzip.compress(plain, mtime=0)),
    (0, gzip.compress(b"", mtime=0)),
    (0, gzip.compress(plain, mtime=0)[:-5]),
    (1, zlib.compress(plain)),
    (1, raw_deflate),
    (1, zlib.compress(b"x" * 5000)[:30]),
    # brotli "hello hello hello hello\n" and zstd (with a checksum), as the unit tests have them
    (2, bytes([27, 23, 0, 248, 141, 148, 110, 222, 68, 85, 134, 214, 10, 32, 108, 111, 74, 17, 121, 226, 128, 174, 22])),
    (3, bytes([40, 181, 47, 253, 36, 24, 109, 0, 0, 56, 104, 101, 108, 108, 111, 32, 10, 1, 0, 153, 75, 17, 168, 124, 46, 168])),
    # zstd: a raw block "abc" and an RLE block of 5 'z'
    (3, bytes([0x28, 0xb5, 0x2f, 0xfd, 0x20, 8, 3 << 3, 0, 0]) + b"abc" + bytes([5 << 3 | 3, 0, 0]) + b"z"),
    (0, b"not compressed at all"),
]
try:
    import brotli, zstandard
    coded += [(2, brotli.compress(plain)), (3, zstandard.ZstdCompressor().compress(plain))]
except ImportError:
    pass
coding_seeds = [bytes([c | style, seed]) + data for c, data in coded for style, seed in ((0x00, 0), (0x34, 7), (0x18, 200))]
coding_seeds += [bytes([0x40 | c | 0x14, s]) + plain[: 40 + s] for c in (0, 1) for s in (0, 1, 9)]
write("coding", coding_seeds)
