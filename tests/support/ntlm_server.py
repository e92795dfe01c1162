#!/usr/bin/env python3
"""An HTTP/1.1 server that authenticates connections with NTLM (or Negotiate), as IIS does, with
pyspnego as the acceptor: an implementation independent of ours.

Usage: ntlm_server.py, with NTLM_USER_FILE naming a credential file ("DOMAIN:user:password"
lines). Listens on 127.0.0.1 (an ephemeral port), prints "PORT <n>", and exits when its standard
input closes (the test process that started it ended).

Each TCP connection is numbered (from 1) and has its own security context. A request on a
connection that is not authenticated yet gets a 401 with "WWW-Authenticate: NTLM" and
"WWW-Authenticate: Negotiate" (a bare challenge), or with the CHALLENGE token when its
Authorization header carried a NEGOTIATE token. Once the AUTHENTICATE token is accepted the
connection is authenticated: that request and every later one on it get 200 without any header,
as NTLM authenticates the connection, not the request. The request body is always read to its end
(Content-Length) before answering. The bare 401's body is "Unauthorized", or ?pad=N bytes.

The 200's body: "ok conn=<n> user=<principal> len=<request body length>". Query "close=1" adds
"Connection: close" to the 200.

A request whose target is an absolute URI (http://host/path) is treated as a proxy would treat it:
the challenge is a 407 with Proxy-Authenticate, the token comes in Proxy-Authorization, and the
path logged is the URI's.

A CONNECT request makes the server a tunnelling proxy authenticating with NTLM or Negotiate (407,
Proxy-Authenticate, Proxy-Authorization, the connection kept open after each 407). Once the
connection is authenticated it answers "200 Connection established" and relays bytes both ways
to 127.0.0.1 at the CONNECT's port, whatever its host name. The host name's first label changes
that (the path logged is that label):
  pad-N           the bare 407's body is N bytes (0: no body);
  close-after-407 the connection is closed right after a bare 407 (which does not say so);
  drop-handshake  no authentication: 200, then the connection is closed once the client's first
                  bytes (its TLS ClientHello) arrive;
  drop-after-N    no authentication: 200, the tunnel relays, and both connections are closed once
                  N bytes went from the origin to the client (mid-response).

GET /log (any connection, no authentication) answers the log of the requests so far, one line
each: "<conn> <method> <path> <none|negotiate|authenticate|other> <status> <ntlm|negotiate|->"
(the last field: the scheme of the Authorization or Proxy-Authorization header), and clears it.
Used by tests/c/test_auth_ntlm.c and tests/c/test_auth_tunnel.c through tests/support/mod.rs.
"""
import base64
import os
import socket
import sys
import threading

try:
    import spnego
except ImportError:
    print("SKIP pyspnego is not installed (pip install pyspnego)", flush=True)
    sys.exit(0)

LOG = []
LOG_LOCK = threading.Lock()
COUNT = [0]


def log(line):
    with LOG_LOCK:
        LOG.append(line)


def read_head(f):
    lines = []
    while True:
        line = f.readline(65536)
        if not line:
            return None
        if line in (b"\r\n", b"\n"):
            return lines
        lines.append(line.decode("latin-1").rstrip("\r\n"))


def respond(conn, status, reason, headers, body, head_only=False):
    out = ["HTTP/1.1 %d %s" % (status, reason)]
    out += ["%s: %s" % h for h in headers]
    out.append("Content-Length: %d" % len(body))
    # A response to HEAD has no body (its Content-Length is the GET's).
    conn.sendall(("\r\n".join(out) + "\r\n\r\n").encode("latin-1") + (b"" if head_only else body))


def hang_up(conn):
    """Closes at once, whatever file objects still refer to the socket."""
    try:
        conn.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def tunnel(conn, f, port, limit=None):
    """The 200 to a CONNECT, then bytes relayed both ways between the client (`f` reads what it
    sends, including anything already buffered) and 127.0.0.1:port; with `limit`, both sides are
    closed once that many bytes went from the origin to the client."""
    try:
        upstream = socket.create_connection(("127.0.0.1", port), timeout=10)
        upstream.settimeout(None)
    except OSError:
        respond(conn, 502, "Bad Gateway", [("Connection", "close")], b"")
        return
    conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")

    def up():
        try:
            while True:
                data = f.read1(65536)
                if not data:
                    break
                upstream.sendall(data)
        except (OSError, ValueError):
            pass
        try:
            upstream.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    threading.Thread(target=up, daemon=True).start()
    sent = 0
    try:
        while True:
            data = upstream.recv(65536)
            if not data:
                break
            if limit is not None and sent + len(data) >= limit:
                conn.sendall(data[: limit - sent])
                break
            conn.sendall(data)
            sent += len(data)
    except OSError:
        pass
    hang_up(upstream)
    upstream.close()
    hang_up(conn)


def serve(conn, number):
    f = conn.makefile("rb")
    ctx = None
    user = None
    try:
        while True:
            head = read_head(f)
            if not head:
                return
            method, target, _ = head[0].split(" ", 2)
            headers = {}
            for h in head[1:]:
                name, _, value = h.partition(":")
                headers.setdefault(name.strip().lower(), value.strip())
            length = int(headers.get("content-length", "0"))
            body = f.read(length) if length else b""
            proxied = target.lower().startswith("http://") or method == "CONNECT"
            if method == "CONNECT":
                host, _, port = target.rpartition(":")
                path = host.split(".")[0]
                params = {}
                if path.startswith("pad-"):
                    params["pad"] = path[4:]
                if path == "drop-handshake" or path.startswith("drop-after-"):
                    log("%d CONNECT %s none 200 -" % (number, path))
                    if path == "drop-handshake":
                        conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                        f.read1(65536)
                        hang_up(conn)
                    else:
                        tunnel(conn, f, int(port), limit=int(path[len("drop-after-"):]))
                    return
            else:
                if proxied:
                    target = "/" + target[7:].partition("/")[2]
                path, _, query = target.partition("?")
                params = dict(p.partition("=")[::2] for p in query.split("&") if p)
            if path == "/log":
                with LOG_LOCK:
                    text = "".join(l + "\n" for l in LOG)
                    LOG.clear()
                respond(conn, 200, "OK", [("Connection", "close")], text.encode())
                return
            auth = headers.get("proxy-authorization" if proxied else "authorization", "")
            code, reason = (407, "Proxy Authentication Required") if proxied else (401, "Unauthorized")
            challenge = "Proxy-Authenticate" if proxied else "WWW-Authenticate"
            kind = "none"
            status = code
            token_out = None
            if user is None and auth:
                scheme, _, b64 = auth.partition(" ")
                try:
                    token = base64.b64decode(b64)
                except Exception:
                    token = b""
                kind = "other"
                if scheme.lower() in ("ntlm", "negotiate"):
                    if b"NTLMSSP\0\x01" in token or ctx is None:
                        kind = "negotiate"
                        protocol = "ntlm" if scheme.lower() == "ntlm" else "negotiate"
                        ctx = (scheme, spnego.server(protocol=protocol))
                    elif b"NTLMSSP\0\x03" in token:
                        kind = "authenticate"
                    try:
                        token_out = ctx[1].step(token)
                        if ctx[1].complete:
                            user = ctx[1].client_principal or "?"
                    except Exception:
                        ctx = None
                        token_out = None
            # Logged before the answer goes out, so a client that reads the log next sees it.
            if user is not None:
                status = 200
                extra = [("Connection", "close")] if params.get("close") == "1" else []
                text = "ok conn=%d user=%s len=%d" % (number, user, len(body))
                answer = (200, "OK", extra, text.encode())
            elif token_out:
                header = (challenge, "%s %s" % (ctx[0], base64.b64encode(token_out).decode()))
                answer = (code, reason, [header], b"Unauthorized")
            else:
                headers = [(challenge, "NTLM"), (challenge, "Negotiate")]
                pad = params.get("pad")
                answer = (code, reason, headers, b"x" * int(pad) if pad is not None else b"Unauthorized")
            used = auth.partition(" ")[0].lower() if auth else "-"
            log("%d %s %s %s %d %s" % (number, method, path, kind, status, used))
            if method == "CONNECT" and status == 200:
                tunnel(conn, f, int(port))
                return
            respond(conn, *answer, head_only=method == "HEAD")
            if status == 200 and params.get("close") == "1":
                return
            if method == "CONNECT" and path == "close-after-407" and not token_out and user is None:
                hang_up(conn)
                return
    except (ConnectionError, ValueError, OSError):
        return
    finally:
        try:
            conn.close()
        except OSError:
            pass


def main():
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    print("PORT", listener.getsockname()[1], flush=True)

    def watch_stdin():
        sys.stdin.read()
        os._exit(0)

    threading.Thread(target=watch_stdin, daemon=True).start()
    while True:
        conn, _ = listener.accept()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        COUNT[0] += 1
        threading.Thread(target=serve, args=(conn, COUNT[0]), daemon=True).start()


main()
