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
    b"HTTP/1.1 302 Found\r\nContent-Length: 0\r\nLocation: /\r\nWWW-Authenticate: Passport1.4\r\n\r\n",
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

# auth_challenge: 1 configuration byte (bit 0: split at LF into header values; bits 1-2: status)
challenges = [
    b'Basic realm="placebo"',
    b'Bearer\nBasic realm="x"\nNTLM',
    b'Newauth realm="apps", type=1, title="Login to \\"apps\\"", Basic realm="simple"',
    b'Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=SHA-256, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"',
    b'Digest realm="r", nonce="n", stale=TRUE, algorithm=MD5-sess, qop=auth, userhash=true',
    b'Digest realm=r, nonce=n, algorithm=SHA-256-sess',
    b'Negotiate YIIBhwYGKwYBBQUCoIIBezCCAXegDTALBgkqhkiG9xIBAgI=, NTLM TlRMTVNTUAACAAAA',
    b'NTLM, Negotiate, Passport1.4, Kerberos',
    b'Basic realm="unterminated, NTLM',
    b',,, @@@ , Basic realm = x ,, Digest nonce="a,b"',
    b'Basic realm="\xc3\xa9t\xc3\xa9", Digest realm="\xe9"',
]
write("auth_challenge", [bytes([cfg]) + c for c in challenges for cfg in (0x00, 0x01, 0x02, 0x04)])

# auth_client: 1 configuration byte (bits 0-2: credentials, Basic/Digest/NTLM/Negotiate set or the
# options; bit 3: new credentials before the last leg), then one WWW-Authenticate value per leg (LF)
legs = [
    b'Basic realm="x"',
    b'Basic realm="x"\nBasic realm="x"\nBasic realm="x"',
    b'NTLM, Negotiate\nNTLM TlRMTVNTUAACAAAAAAAAADAAAAA1goniAQIDBAUGBwgAAAAAAAAAAAAAAAAAAAAA\nNTLM',
    b'Digest realm="r", nonce="a", qop=auth\nDigest realm="r", nonce="b", qop=auth, stale=true\nDigest realm="r", nonce="c"',
    b'Bearer\nMutual\n',
    b'Negotiate\nNegotiate oQcwBaADCgEC\nNegotiate',
    b'Digest realm="a\rb", nonce="n"\nBasic realm=y',
]
write("auth_client", [bytes([cfg]) + l for l in legs for cfg in (0, 2, 3, 4, 5, 8 | 5, 8 | 1)])

# ntlm: 1 configuration byte (bit 0: a SPNEGO NegTokenResp, else a raw CHALLENGE message)
def u16(n): return struct.pack("<H", n)
def u32(n): return struct.pack("<I", n)
def utf16(s): return s.encode("utf-16-le")
def ntlm_challenge(flags, info, name=utf16("Server")):
    head = b"NTLMSSP\0" + u32(2) + u16(len(name)) + u16(len(name)) + u32(56) + u32(flags)
    head += bytes.fromhex("0123456789abcdef") + bytes(8) + u16(len(info)) + u16(len(info)) + u32(56 + len(name))
    head += bytes.fromhex("060070170000000f")
    return head + name + info
info = u16(2) + u16(12) + utf16("Domain") + u16(1) + u16(12) + utf16("Server") + bytes(4)
info_ts = info[:-4] + u16(7) + u16(8) + bytes(range(1, 9)) + u16(6) + u16(4) + u32(0) + bytes(4)
def der(tag, body):
    n = len(body)
    if n < 0x80: return bytes([tag, n]) + body
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(b)]) + b + body
NTLM_OID = bytes.fromhex("2b0601040182370202 0a".replace(" ", ""))
def neg_resp(state, token):
    return der(0xa1, der(0x30, der(0xa0, der(0x0a, bytes([state]))) + der(0xa1, der(0x06, NTLM_OID)) + der(0xa2, der(0x04, token))))
ntlm_msgs = [ntlm_challenge(0xe28a8233, info), ntlm_challenge(0xe28a8233, info_ts), ntlm_challenge(0x00028233, b""),
             ntlm_challenge(0xe28a8232, info), ntlm_challenge(0xe28a8233, info[:-6]), b"NTLMSSP\0" + u32(2)]
write("ntlm", [b"\x00" + m for m in ntlm_msgs] + [b"\x01" + neg_resp(1, m) for m in ntlm_msgs[:3]]
      + [b"\x01" + neg_resp(2, b""), b"\x01" + der(0xa1, der(0x30, der(0xa0, der(0x0a, b"\x00")) + der(0xa3, der(0x04, bytes(16)))))])
# ws: 2 configuration bytes (mode, piece and buffer sizes; seed), then server frames, a close payload
# or a script of sends (type, length, payload)
def frame(first, payload, masked=False):
    n = len(payload)
    if n < 126:
        head = bytes([first, n | (0x80 if masked else 0)])
    elif n < 65536:
        head = bytes([first, 126 | (0x80 if masked else 0)]) + struct.pack(">H", n)
    else:
        head = bytes([first, 127 | (0x80 if masked else 0)]) + struct.pack(">Q", n)
    return head + (b"\x00\x00\x00\x00" if masked else b"") + payload

streams = [
    frame(0x81, b"Hello") + frame(0x82, bytes(range(256))),
    frame(0x01, b"Hel") + frame(0x89, b"ping!") + frame(0x00, b"") + frame(0x8A, b"") + frame(0x80, b"lo"),
    frame(0x01, "caf\u00e9 \u20ac".encode()[:5]) + frame(0x80, "caf\u00e9 \u20ac".encode()[5:]) + frame(0x88, b"\x03\xe8bye"),
    frame(0x82, b"") + frame(0x81, b"") + frame(0x88, b""),
    frame(0x82, b"x" * 300) + frame(0x82, b"y" * 70000)[:600],
    frame(0x02, b"part") + frame(0x88, b"\x0f\xa0app reason"),
    frame(0xC1, b"deflated?"),
    frame(0x83, b""),
    frame(0x82, b"abc", masked=True),
    frame(0x89, b"p" * 126),
    frame(0x09, b"fragmented ping"),
    frame(0x80, b"stray continuation"),
    frame(0x01, b"a") + frame(0x81, b"b"),
    frame(0x81, b"ok\xc3\x28"),
    frame(0x81, b"ends inside \xe2\x82"),
    frame(0x88, b"\x03"),
    frame(0x88, b"\x03\xed"),
    frame(0x88, b"\x03\xe8\xff"),
    bytes([0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 0]),
]
ws = [bytes([cfg, seed]) + s for s in streams for cfg, seed in ((0x00, 0x00), (0x15, 0x42), (0x24, 0x07), (0x3d, 0x99))]
closes = [b"", b"\x03", b"\x03\xe8", b"\x03\xe9going away", b"\x03\xed", b"\x03\xef", b"\x0b\xb8", b"\x13\x87",
          b"\x13\x88", b"\x03\xe8\xc3\xa9", b"\x03\xe8\xc3", b"\x03\xf6", b"\x03\xf7"]
ws += [bytes([0x02, 0x00]) + c for c in closes]
scripts = [
    bytes([0, 5]) + b"hello" + bytes([2, 3]) + b"abc",
    bytes([1, 2]) + b"ab" + bytes([1, 0]) + bytes([0x80, 2]) + b"cd",
    bytes([3, 4]) + b"text" + bytes([0, 1]) + b"x" + bytes([2, 4]) + b"more",
    bytes([1, 1]) + b"a" + bytes([3, 1]) + b"b" + bytes([4, 0]) + bytes([0, 0]),
    bytes([2, 200]) + b"z" * 200 + bytes([3, 2]) + "\u00e9".encode() + bytes([2, 0]),
    bytes([1, 3]) + b"abc",
]
ws += [bytes([0x03 | (i << 2), i * 37 % 256]) + s for i, s in enumerate(scripts)]
write("ws", ws)

# pac: a configuration byte (the clock for the range helpers), then arguments separated by "\n"
pac_args = [
    b"http://home.netscape.com/people/ari/index.html\n*/ari/*",
    b"www.netscape.com\n.netscape.com",
    b"www\nwww.netscape.com",
    b"198.95.249.79\n198.95.0.0\n255.255.0.0",
    b"3ffe:8311:ffff::1\n3ffe:8311:ffff::/48",
    b"10.2.3.9;2001:4898:28:3:201:2ff:feea:fc14;::1;127.0.0.1;::9",
    b"MON\nFRI\nGMT",
    b"1\nJAN\n2024\n31\nDEC\n2024",
    b"JAN\nMAR",
    b"9\n0\n0\n17\n30\n0",
    b"22\n6",
    b"PROXY a:8080; HTTPS [::1]:8443; SOCKS s:1080; DIRECT",
    b"DIRECT",
    b"proxy b; proxy c:1;;",
    b"HTTP://WINEHQ.ORG/Test.html",
    b"https://u:p@[::1]:8443/x?y",
    b"a.b.example.com\nexample.com\ncom",
    b"a?c*\nabc\n",
]
write("pac", [bytes([cfg]) + a for a in pac_args for cfg in (0x00, 0x37)])

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

# ffi16: byte 0 (ICU flags in bits 0-2, bit 7 raw UTF-16LE text), byte 1 the buffer size, then the text
ffi16_urls = ["http://user:pw@h\u00e9st.example:8080/p\u00e4th?q=\U0001F600#f", "https://example.com/",
              "http://[::1]:99/a%20b?c=%F0%9F%98%80", "http://\U0001F600.example/\U0001F600\U0001F600",
              "ftp://nope/", "Mon, 28 Jul 2008 10:05:52 GMT", "Sunday, 06-Nov-94 08:49:37 GMT", ""]
ffi16 = [bytes([cfg, cap]) + u.encode() for u in ffi16_urls for cfg, cap in ((0x00, 255), (0x01, 255), (0x06, 8), (0x00, 3))]
ffi16.append(bytes([0x80, 64]) + "http://h/\U0001F600".encode("utf-16-le") + struct.pack("<HHH", 0xd800, 0x41, 0xdc00))
ffi16.append(bytes([0x80, 64]) + "http://h/".encode("utf-16-le") + struct.pack("<HH", 0xdfff, 0))
write("ffi16", ffi16)
