#!/usr/bin/env bash
# WebSocket benchmark: our WinHTTP (ci/bench/bench_ws.c, sync mode, libwinhttp.a from a release
# build) against the peer client of Python's `websockets` (ci/bench/bench_ws_peer.py), both talking to
# the same server, tests/support/ws_server.py (Python, one asyncio thread: it bounds both clients).
# Rounds are interleaved (ours, peer, ours, peer, ...); prints the median and min-max of each row.
# Not a test: nothing here asserts timings.
#
#   bash ci/bench_ws.sh            (BENCH_WS_ROUNDS=5, BENCH_WS_RTT=5000, BENCH_WS_MIB=100)
#
# Rows:
#   rtt   round trips of a 32-byte binary message on one WebSocket, sequential: messages/s
#   down  a 100 MiB stream from the server in 1 MiB messages, read with a 64 KiB buffer: MiB/s
#   up    a 100 MiB stream to the server in 1 MiB messages (acknowledged at the end): MiB/s
# Needs python3 with the websockets package and a C compiler.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
ROUNDS=${BENCH_WS_ROUNDS:-5}
RTT=${BENCH_WS_RTT:-5000}
MIB=${BENCH_WS_MIB:-100}
CC=${CC:-cc}
python3 -c "import websockets.asyncio.client" || { echo "bench_ws.sh: pip install websockets" >&2; exit 1; }
cargo build --release --lib >&2
WORK=$(mktemp -d "${TMPDIR:-/tmp}/winhttp-bench-ws.XXXXXX")
SERVER_PID=
cleanup() {
    exec 9>&- 2>/dev/null || true
    [ -z "$SERVER_PID" ] || wait "$SERVER_PID" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
cp "${CARGO_TARGET_DIR:-$ROOT/target}/release/libwinhttp.a" "$WORK/"
"$CC" -O2 -Wall -Wextra -I"$ROOT/include" -o "$WORK/ours" ci/bench/bench_ws.c "$WORK/libwinhttp.a" \
    -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc
mkfifo "$WORK/in"
python3 tests/support/ws_server.py <"$WORK/in" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
exec 9>"$WORK/in"
PORT=
for _ in $(seq 100); do
    if read -r first <"$WORK/server.log" 2>/dev/null && [[ $first =~ ^PORT\ ([0-9]+)$ ]]; then
        PORT=${BASH_REMATCH[1]}
        break
    fi
    sleep 0.1
done
[ -n "$PORT" ] || { echo "bench_ws.sh: the server did not start" >&2; cat "$WORK/server.log" >&2; exit 1; }

median() { sort -n | awk '{v[NR]=$1} END {printf "%s [%s-%s]", v[int((NR+1)/2)], v[1], v[NR]}'; }
COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
printf 'WebSocket bench, commit %s, %s rounds, server tests/support/ws_server.py (websockets %s)\n' "$COMMIT" "$ROUNDS" \
    "$(python3 -c 'import websockets; print(websockets.__version__)')"
printf '%-6s %-34s %-34s %s\n' row ours peer unit
for row in rtt down up; do
    n=$MIB
    [ "$row" = rtt ] && n=$RTT
    : >"$WORK/ours.$row" && : >"$WORK/peer.$row"
    for _ in $(seq "$ROUNDS"); do
        "$WORK/ours" "$PORT" "$row" "$n" | awk '{print $2}' >>"$WORK/ours.$row"
        python3 ci/bench/bench_ws_peer.py "$PORT" "$row" "$n" | awk '{print $2}' >>"$WORK/peer.$row"
    done
    unit=$([ "$row" = rtt ] && echo msg/s || echo MiB/s)
    printf '%-6s %-34s %-34s %s\n' "$row" "$(median <"$WORK/ours.$row")" "$(median <"$WORK/peer.$row")" "$unit"
done
