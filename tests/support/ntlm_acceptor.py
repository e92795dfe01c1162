#!/usr/bin/env python3
"""An NTLM / SPNEGO acceptor (server side) from an independent implementation, pyspnego.

Usage: ntlm_acceptor.py ntlm|negotiate, with NTLM_USER_FILE naming a credential file
("DOMAIN:user:password" lines). Talks one line per message over stdin/stdout:

  in:  TOKEN <base64>           out: OK <base64 or -> <complete 0|1> <client principal or ->
  in:  VERIFY <data b64> <sig b64>  out: OK - 1 -
  any failure:                  out: ERR <message>

Exits at end of input. Used by tests/ntlm_pyspnego.rs (and by test servers that speak NTLM).
"""
import base64
import sys

try:
    import spnego
except ImportError:
    print("SKIP pyspnego is not installed (pip install pyspnego)", flush=True)
    sys.exit(0)


def main():
    protocol = sys.argv[1]
    options = spnego.NegotiateOptions.use_ntlm if protocol == "ntlm" else spnego.NegotiateOptions.use_negotiate
    ctx = spnego.server(protocol=protocol, options=options)
    print("READY", flush=True)
    for line in sys.stdin:
        parts = line.split()
        if not parts:
            continue
        try:
            if parts[0] == "TOKEN":
                out = ctx.step(base64.b64decode(parts[1]))
                token = base64.b64encode(out).decode() if out else "-"
                done = "1" if ctx.complete else "0"
                who = (ctx.client_principal or "-") if ctx.complete else "-"
                print("OK", token, done, who.replace(" ", "_"), flush=True)
            elif parts[0] == "VERIFY":
                ctx.verify(base64.b64decode(parts[1]), base64.b64decode(parts[2]))
                print("OK - 1 -", flush=True)
            else:
                print("ERR unknown command", flush=True)
        except Exception as e:  # any refusal is reported, not raised
            print("ERR", type(e).__name__, str(e).replace("\n", " ")[:300], flush=True)


main()
