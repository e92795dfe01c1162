#!/usr/bin/env python3
"""An HTTP/1.1 server checking Digest authentication (RFC 7616) with Python's hashlib: the corner
cases Apache's mod_auth_digest does not offer. User "user", password "pwd", realm "winhttp".

Usage: digest_server.py. Listens on 127.0.0.1 (an ephemeral port), prints "PORT <n>", and exits
when its standard input closes.

GET /digest/<ALG>, ALG one of MD5, MD5-sess, SHA-256, SHA-256-sess: without a valid Authorization,
401 with "WWW-Authenticate: Digest realm="winhttp", qop="auth", algorithm=<ALG>, nonce=..., opaque=...".
With one, the response is checked (qop=auth, nc, cnonce, the URI, the opaque echoed); a nonce
count that does not increase is refused. Query "stale=1" (with anything else in the query to make
it unique): the first valid answer for that query is refused with a new nonce and stale=true (the
client must answer again by itself).
Success: 200 "digest ok <ALG> nc=<nc> stale-seen=<0|1>".
"""
import hashlib
import os
import socket
import sys
import threading

USER, PASSWORD, REALM = "user", "pwd", "winhttp"
NONCES = {}  # nonce -> last nc seen
STALE = set()  # queries whose first valid answer was declared stale
LOCK = threading.Lock()
COUNTER = [0]


def h(alg, data):
    name = "sha256" if alg.upper().startswith("SHA-256") else "md5"
    return hashlib.new(name, data.encode()).hexdigest()


def parse_params(value):
    out, i, n = {}, 0, len(value)
    while i < n:
        while i < n and value[i] in " ,":
            i += 1
        j = i
        while j < n and value[j] != "=":
            j += 1
        name = value[i:j].strip().lower()
        j += 1
        if j < n and value[j] == '"':
            j += 1
            v = []
            while j < n and value[j] != '"':
                if value[j] == "\\" and j + 1 < n:
                    j += 1
                v.append(value[j])
                j += 1
            j += 1
            val = "".join(v)
        else:
            k = j
            while k < n and value[k] != ",":
                k += 1
            val = value[j:k].strip()
            j = k
        if name:
            out[name] = val
        i = j
    return out


def new_nonce():
    with LOCK:
        COUNTER[0] += 1
        nonce = hashlib.sha256(b"%d-%s" % (COUNTER[0], os.urandom(8))).hexdigest()[:32]
        NONCES[nonce] = 0
    return nonce


def check(alg, method, auth):
    """None when the Authorization is valid, else why not."""
    if not auth.lower().startswith("digest "):
        return "no digest"
    p = parse_params(auth[7:])
    nonce = p.get("nonce", "")
    with LOCK:
        if nonce not in NONCES:
            return "unknown nonce"
    if p.get("username") != USER or p.get("realm") != REALM or p.get("qop") != "auth":
        return "bad fields"
    if p.get("opaque") != "0paque" or p.get("algorithm", "MD5").upper() != alg.upper():
        return "bad opaque or algorithm"
    nc, cnonce = p.get("nc", ""), p.get("cnonce", "")
    if len(nc) != 8 or not cnonce:
        return "bad nc/cnonce"
    ha1 = h(alg, "%s:%s:%s" % (USER, REALM, PASSWORD))
    if alg.lower().endswith("-sess"):
        ha1 = h(alg, "%s:%s:%s" % (ha1, nonce, cnonce))
    ha2 = h(alg, "%s:%s" % (method, p.get("uri", "")))
    want = h(alg, "%s:%s:%s:%s:%s:%s" % (ha1, nonce, nc, cnonce, "auth", ha2))
    if p.get("response") != want:
        return "wrong response"
    with LOCK:
        if int(nc, 16) <= NONCES[nonce]:
            return "replayed nc"
        NONCES[nonce] = int(nc, 16)
    return None


def serve(conn):
    f = conn.makefile("rb")
    try:
        while True:
            lines = []
            while True:
                line = f.readline(65536)
                if not line:
                    return
                if line in (b"\r\n", b"\n"):
                    break
                lines.append(line.decode("latin-1").rstrip("\r\n"))
            if not lines:
                return
            method, target, _ = lines[0].split(" ", 2)
            headers = {}
            for l in lines[1:]:
                name, _, value = l.partition(":")
                headers[name.strip().lower()] = value.strip()
            length = int(headers.get("content-length", "0"))
            if length:
                f.read(length)
            path, _, query = target.partition("?")
            alg = path.rsplit("/", 1)[-1]
            auth = headers.get("authorization", "")
            why = check(alg, method, auth) if auth else "none"
            stale = False
            if why is None and "stale=1" in query:
                with LOCK:
                    if query not in STALE:
                        STALE.add(query)
                        stale = True
            if why is None and not stale:
                body = ("digest ok %s nc=%s stale-seen=%d" % (
                    alg, parse_params(auth[7:]).get("nc"), 1 if query in STALE else 0)).encode()
                extra = ""
            else:
                body = b"Unauthorized"
                extra = 'WWW-Authenticate: Digest realm="%s", qop="auth", algorithm=%s, nonce="%s", opaque="0paque"%s\r\n' % (
                    REALM, alg, new_nonce(), ", stale=true" if stale else "")
            status = "200 OK" if why is None and not stale else "401 Unauthorized"
            conn.sendall(("HTTP/1.1 %s\r\n%sContent-Length: %d\r\n\r\n" % (status, extra, len(body))).encode() + body)
    except (ConnectionError, ValueError, OSError):
        return
    finally:
        conn.close()


def main():
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    print("PORT", listener.getsockname()[1], flush=True)

    def watch_stdin():
        sys.stdin.read()
        os._exit(0)

    threading.Thread(target=watch_stdin, daemon=True).start()
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


main()
