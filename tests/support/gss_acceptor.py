#!/usr/bin/python3
"""A GSS-API acceptor (server side) for Negotiate/Kerberos tests, using python-gssapi over the
system's Kerberos library with the keytab named by KRB5_KTNAME.

One line per message over stdin/stdout:
  in:  <base64 token>      out: OK <base64 or -> <complete 0|1> <initiator name or ->
  any failure:             out: ERR <message>
Used by tests/kerberos.rs.
"""
import base64
import sys

try:
    import gssapi
except ImportError:
    print("SKIP python3-gssapi is not installed", flush=True)
    sys.exit(0)

spnego = gssapi.OID.from_int_seq("1.3.6.1.5.5.2")
creds = gssapi.Credentials(usage="accept")
ctx = gssapi.SecurityContext(creds=creds, usage="accept")
print("READY", flush=True)
for line in sys.stdin:
    line = line.strip()
    if not line:
        continue
    try:
        out = ctx.step(base64.b64decode(line))
        token = base64.b64encode(out).decode() if out else "-"
        who = str(ctx.initiator_name) if ctx.complete else "-"
        print("OK", token, "1" if ctx.complete else "0", who, flush=True)
    except Exception as e:
        print("ERR", type(e).__name__, str(e).replace("\n", " ")[:300], flush=True)
