#!/usr/bin/env bash
# Benchmarks, side by side: our WinHTTP, libcurl (easy interface) and a raw socket, against one
# local nginx, interleaved (ours libcurl raw, ours libcurl raw, ...), client and nginx pinned to
# the same CPU. Prints medians, min-max and the ratios ours/libcurl and ours/raw, and writes them
# to a results file. Not a test: nothing here asserts timings.
#
#   bash ci/bench.sh [RESULTS_FILE]        (default target/bench/results.tsv)
#
# Rows (the sync, plain-HTTP part of issue 6; async, libcurl multi and HTTPS rows are not here yet):
#   gets          2,000 sequential GETs of a 128-byte file on one keep-alive connection: req/s
#   download64k   100 MiB download read with a 64 KiB buffer: MiB/s, client CPU seconds
#   download512k  the same with a 512 KiB buffer
#   upload        100 MiB PUT written in 64 KiB pieces (ours: WinHttpWriteData; libcurl:
#                 CURLOPT_UPLOAD + read callback; raw: send()): MiB/s, client peak RSS
# Every measurement is a fresh client process (so ru_maxrss is that measurement's peak); CPU seconds
# are the client's user+system time for the transfer (all its threads), not nginx's. The whole run
# takes well under a minute on the 2-core development machine, so the full 100 MiB is used.
#
# Environment knobs:
#   BENCH_ROUNDS (15; at least 9 is the rule)  BENCH_GETS (2000)  BENCH_MIB (100)  BENCH_CPU (0: the CPU everything is pinned to)
#
# Needs apt-get (Debian/Ubuntu) for what is missing: nginx, libcurl4-openssl-dev, a C compiler.
# The clients are in ci/bench/ (common.h documents their command line and output line); our
# library is linked statically from a snapshot of target/release/libwinhttp.a taken right after
# `cargo build --release`, so a concurrent rebuild in a shared target directory cannot change it.
set -euo pipefail
OUT=${1:-}
if [ -n "$OUT" ] && [ "${OUT#/}" = "$OUT" ]; then OUT=${PWD%/}/$OUT; fi # relative to where we were run
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=${OUT:-${CARGO_TARGET_DIR:-$ROOT/target}/bench/results.tsv}
ROUNDS=${BENCH_ROUNDS:-15}
GETS=${BENCH_GETS:-2000}
MIB=${BENCH_MIB:-100}
CPU=${BENCH_CPU:-0}
CC=${CC:-cc}
BIG=$((MIB * 1024 * 1024))
CHUNK=65536

say() { printf '%s\n' "$*" >&2; }

# ---- what we need -------------------------------------------------------------------------------
SUDO=
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; fi
missing=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v "$CC" >/dev/null 2>&1 || missing+=(gcc libc6-dev)
command -v taskset >/dev/null 2>&1 || missing+=(util-linux)
if ! command -v "$CC" >/dev/null 2>&1 || ! echo '#include <curl/curl.h>' | "$CC" -E - >/dev/null 2>&1; then
    missing+=(libcurl4-openssl-dev)
fi
if [ ${#missing[@]} -gt 0 ]; then
    say "installing: ${missing[*]}"
    $SUDO apt-get update
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

# ---- build --------------------------------------------------------------------------------------
say "cargo build --release"
cargo build --release
LIBDIR=${CARGO_TARGET_DIR:-$ROOT/target}/release

if [ -d /dev/shm ] && [ -w /dev/shm ]; then
    WORK=$(mktemp -d /dev/shm/winhttp-bench.XXXXXX) # tmpfs: the PUT target does not hit a disk
else
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/winhttp-bench.XXXXXX")
fi
NGINX_PID=
cleanup() {
    if [ -n "$NGINX_PID" ] && kill -0 "$NGINX_PID" 2>/dev/null; then
        kill -QUIT "$NGINX_PID" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$NGINX_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$NGINX_PID" 2>/dev/null || true
        wait "$NGINX_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cp "$LIBDIR/libwinhttp.a" "$WORK/libwinhttp.a"
COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$(git status --porcelain -- src Cargo.toml Cargo.lock 2>/dev/null)" ]; then COMMIT="$COMMIT+dirty"; fi

mkdir -p "$WORK/bin"
CFLAGS="-O2 -Wall -Wextra -I$ROOT/ci/bench"
# System libraries of a static Rust library on Linux (what `--print native-static-libs` prints).
"$CC" $CFLAGS -I"$ROOT/include" -o "$WORK/bin/ours" ci/bench/bench_winhttp.c "$WORK/libwinhttp.a" \
    -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc
"$CC" $CFLAGS -o "$WORK/bin/libcurl" ci/bench/bench_curl.c -lcurl
"$CC" $CFLAGS -o "$WORK/bin/raw" ci/bench/bench_raw.c

# ---- nginx --------------------------------------------------------------------------------------
mkdir -p "$WORK/www/up" "$WORK/tmp" "$WORK/logs"
head -c 128 /dev/zero | tr '\0' 'x' >"$WORK/www/small.txt"
head -c "$BIG" /dev/urandom >"$WORK/www/big.bin"

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
write_conf() {
    cat >"$WORK/nginx.conf" <<EOF
$([ "$(id -u)" -eq 0 ] && echo 'user root;')
worker_processes 1;
daemon off;
pid $WORK/nginx.pid;
error_log $WORK/logs/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    default_type application/octet-stream;
    sendfile on;
    keepalive_requests 100000000;
    keepalive_timeout 600s;
    client_body_temp_path $WORK/tmp/body;
    proxy_temp_path $WORK/tmp/proxy;
    fastcgi_temp_path $WORK/tmp/fastcgi;
    uwsgi_temp_path $WORK/tmp/uwsgi;
    scgi_temp_path $WORK/tmp/scgi;
    server {
        listen 127.0.0.1:$1;
        root $WORK/www;
        location /up/ {
            dav_methods PUT;
            client_max_body_size 0;
            client_body_buffer_size 1m;
        }
        location = /nginx_status { stub_status; }
    }
}
EOF
}
for attempt in 1 2 3 4 5 6 7 8; do
    PORT=$((20000 + RANDOM % 40000))
    port_free "$PORT" || continue
    write_conf "$PORT"
    taskset -c "$CPU" "$NGINX" -p "$WORK/" -e "$WORK/logs/error.log" -c "$WORK/nginx.conf" &
    NGINX_PID=$!
    for _ in $(seq 50); do
        port_free "$PORT" || break
        kill -0 "$NGINX_PID" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$NGINX_PID" 2>/dev/null && ! port_free "$PORT"; then break; fi
    wait "$NGINX_PID" 2>/dev/null || true
    NGINX_PID=
done
if [ -z "$NGINX_PID" ]; then
    cat "$WORK/logs/error.log" >&2 || true
    say "nginx did not start"
    exit 1
fi
say "nginx $("$NGINX" -v 2>&1 | sed 's/.*\///') on 127.0.0.1:$PORT (pid $NGINX_PID), pinned with everything else to CPU $CPU"

# ---- one measurement ----------------------------------------------------------------------------
SAMPLES=$WORK/samples.tsv
: >"$SAMPLES"
run() { # client row
    local client=$1 row=$2 args line
    case $row in
    gets) args=(gets 127.0.0.1 "$PORT" /small.txt "$GETS") ;;
    download64k) args=(download 127.0.0.1 "$PORT" /big.bin 65536) ;;
    download512k) args=(download 127.0.0.1 "$PORT" /big.bin 524288) ;;
    upload) args=(upload 127.0.0.1 "$PORT" "/up/$client.bin" "$BIG" "$CHUNK") ;;
    esac
    line=$(taskset -c "$CPU" "$WORK/bin/$client" "${args[@]}" | grep '^BENCH ') || {
        say "$client $row failed"
        exit 1
    }
    # BENCH row=.. client=.. value=.. unit=.. secs=.. cpu=.. maxrss_kib=.. bytes=.. n=..
    echo "$line" | awk -v round="${ROUND:-0}" -v want_gets=$((GETS * 128)) -v want_big="$BIG" '{
        for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
        want = f["row"] == "gets" ? want_gets : want_big
        if (f["bytes"] != want) { printf "%s %s moved %s bytes, expected %s\n", f["client"], f["row"], f["bytes"], want > "/dev/stderr"; exit 1 }
        printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", round, f["row"], f["client"], f["value"], f["unit"], f["secs"], f["cpu"], f["maxrss_kib"]
    }' >>"$SAMPLES"
}

accepts() { # nginx's accepted-connections counter (this query itself is one of them)
    local a
    exec 3<>"/dev/tcp/127.0.0.1/$PORT"
    printf 'GET /nginx_status HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
    a=$(awk '/server accepts/ { getline; print $1 }' <&3)
    exec 3<&-
    echo "$a"
}

CLIENTS=(ours libcurl raw)
ROWS=(gets download64k download512k upload)

# A checked warm-up round: every client moves the right bytes, and the GET loop really runs on one
# connection (nginx accepts exactly one per client, plus one for each status query).
say "warm-up round (checks bytes and keep-alive)"
for client in "${CLIENTS[@]}"; do
    before=$(accepts)
    run "$client" gets
    after=$(accepts)
    if [ $((after - before)) -ne 2 ]; then
        say "$client: the GET loop used $((after - before - 1)) connections, expected 1"
        exit 1
    fi
    for row in download64k upload; do run "$client" "$row"; done
done
: >"$SAMPLES"

LOAD=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')
START=$(date +%s)
for ROUND in $(seq "$ROUNDS"); do
    say "round $ROUND/$ROUNDS ($(($(date +%s) - START)) s)"
    for row in "${ROWS[@]}"; do
        for client in "${CLIENTS[@]}"; do run "$client" "$row"; done
    done
done
ELAPSED=$(($(date +%s) - START))

# ---- statistics ---------------------------------------------------------------------------------
# One line per (row, metric, client): median, min, max.
STATS=$WORK/stats.tsv
# The first column (row order, then metric order) only sorts; it is dropped on output.
awk -F'\t' 'BEGIN { o["gets"] = 1; o["download64k"] = 2; o["download512k"] = 3; o["upload"] = 4 } {
    print o[$2] "1\t" $2 "\t" ($2 == "gets" ? "req/s" : "MiB/s") "\t" $3 "\t" $4
    if ($2 ~ /^download/) print o[$2] "2\t" $2 "\tcpu_s\t" $3 "\t" $7
    if ($2 == "upload") print o[$2] "2\t" $2 "\trss_mib\t" $3 "\t" $8 / 1024
}' "$SAMPLES" | sort -t$'\t' -k1,1n -k4,4 -k5,5g | awk -F'\t' '
    function flush() {
        if (n) printf "%s\t%s\t%s\t%.6g\t%.6g\t%.6g\t%d\n", key2, key3, key4, (n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2), v[1], v[n], n
        n = 0
    }
    { if ($1 != key1 || $4 != key4) { flush(); key1 = $1; key2 = $2; key3 = $3; key4 = $4 } v[++n] = $5 }
    END { flush() }' >"$STATS"

mkdir -p "$(dirname "$OUT")"
MACHINE="$(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -1), $(uname -sr)"
CURLV=$(curl-config --version 2>/dev/null || echo libcurl)
NGINXV=$("$NGINX" -v 2>&1 | sed 's/.*\///')
{
    echo "# winhttp bench $(date -u '+%Y-%m-%d %H:%M UTC'), commit $COMMIT; $MACHINE; $CURLV; nginx $NGINXV"
    echo "# $ROUNDS interleaved rounds, $GETS GETs, $MIB MiB transfers, client and nginx pinned to CPU $CPU; $ELAPSED s; load average before: $LOAD"
    printf 'row\tmetric\tours_median\tours_min\tours_max\tlibcurl_median\tlibcurl_min\tlibcurl_max\traw_median\traw_min\traw_max\tours_per_libcurl\tours_per_raw\ttarget\tverdict\n'
    awk -F'\t' '
        { k = $1 "\t" $2; if (!(k in seen)) { seen[k] = 1; order[++m] = k }
          med[k, $3] = $4; lo[k, $3] = $5; hi[k, $3] = $6; has[k, $3] = 1 }
        function f(v) { return v >= 1000 ? sprintf("%.0f", v) : v >= 10 ? sprintf("%.1f", v) : v >= 1 ? sprintf("%.2f", v) : sprintf("%.4f", v) }
        function cell(k, c) { return has[k, c] ? f(med[k, c]) "\t" f(lo[k, c]) "\t" f(hi[k, c]) : "-\t-\t-" }
        function ratio(k, c) { return has[k, c] && med[k, c] > 0 ? sprintf("%.2f", med[k, "ours"] / med[k, c]) : "-" }
        END {
            for (i = 1; i <= m; i++) {
                k = order[i]; split(k, p, "\t"); rc = ratio(k, "libcurl"); rr = ratio(k, "raw")
                target = "-"; verdict = "-"
                if (p[2] == "req/s") { target = ">=1.3x libcurl, >=0.75x raw"; verdict = (rc >= 1.3 && rr >= 0.75) ? "met" : "missed" }
                else if (p[2] == "MiB/s" && p[1] ~ /^download/) { target = ">=1.0x libcurl, >=0.9x raw"; verdict = (rc >= 1.0 && rr >= 0.9) ? "met" : "missed" }
                else if (p[2] == "MiB/s" && p[1] == "upload") { target = ">=1.2x libcurl"; verdict = rc >= 1.2 ? "met" : "missed" }
                else if (p[2] == "rss_mib") { target = "ours < 32 MiB"; verdict = med[k, "ours"] < 32 ? "met" : "missed" }
                printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", p[1], p[2], cell(k, "ours"), cell(k, "libcurl"), cell(k, "raw"), rc, rr, target "\t" verdict
            }
        }' "$STATS"
} >"$OUT"
SAMPLES_OUT="${OUT%.tsv}.samples.tsv"
{
    printf 'round\trow\tclient\tvalue\tunit\tsecs\tcpu_s\tmaxrss_kib\n'
    cat "$SAMPLES"
} >"$SAMPLES_OUT"

# ---- table --------------------------------------------------------------------------------------
echo
grep '^#' "$OUT"
echo
awk -F'\t' '
    function c(m, lo, hi) { return m == "-" ? "-" : sprintf("%s [%s-%s]", m, lo, hi) }
    NR == 1 && /^#/ { next } /^#/ { next }
    $1 == "row" { printf "%-13s %-7s %-24s %-24s %-24s %-11s %-8s %-28s %s\n", "row", "metric", "ours", "libcurl", "raw", "ours/curl", "ours/raw", "target", "verdict"; next }
    { printf "%-13s %-7s %-24s %-24s %-24s %-11s %-8s %-28s %s\n", $1, $2, c($3, $4, $5), c($6, $7, $8), c($9, $10, $11), $12, $13, $14, $15 }
' "$OUT"
echo
say "results: $OUT (samples: $SAMPLES_OUT)"
