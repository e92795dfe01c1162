#!/usr/bin/env bash
# Benchmarks, side by side: our WinHTTP, libcurl (easy interface) and a raw socket, against one
# local nginx, interleaved (ours libcurl raw, ours libcurl raw, ...), client and nginx pinned to
# the same CPU. Prints medians, min-max and the ratios ours/libcurl and ours/raw, and writes them
# to a results file. Not a test: nothing here asserts timings.
#
#   bash ci/bench.sh [RESULTS_FILE]        (default target/bench/results.tsv)
#
# Rows:
#   gets          2,000 sequential GETs of a 128-byte file on one keep-alive connection: req/s, and the
#                 client's CPU per request in microseconds: user+system, and user alone (the library's own
#                 cost without the kernel's socket work), the latter also pooled over all rounds
#                 (user_us_pooled: the kernel splits user/system time by clock-tick samples, too
#                 few in one round for a steady per-round figure)
#   downloadqda   100 MiB download read the way ported programs read: WinHttpQueryDataAvailable(&n), then
#                 WinHttpReadData of n bytes into a buffer grown to n (libcurl: its write callback with a
#                 64 KiB buffer; raw: recv() into 64 KiB): MiB/s, client CPU seconds
#   download64k   100 MiB download read with a 64 KiB buffer: MiB/s, client CPU seconds
#   download512k  the same with a 512 KiB buffer
#   upload        100 MiB PUT written in 64 KiB pieces (ours: WinHttpWriteData; libcurl:
#                 CURLOPT_UPLOAD + read callback; raw: send()): MiB/s, client peak RSS
#   conc1000      1,000 GETs of the 128-byte file started at once, each on its own connection: ours
#                 async (one session, MAX_CONNS_PER_SERVER unlimited, all sent from the main thread,
#                 completions chained in the status callback) vs libcurl multi (one easy handle per
#                 transfer, curl_multi_socket_action + epoll). Wall seconds, peak thread count, peak
#                 RSS, RSS growth per request ((ru_maxrss - RSS before the first request) / N) and the
#                 peak number of requests in flight. Both send "Connection: close" (see
#                 bench_winhttp.c: without it ours reuses the connections of the first responses).
#   conc10000     the same with 10,000
#   held10000     ours only: the 10,000 again, but no response is read before the last request is
#                 sent, so all 10,000 are in flight at once (libcurl's loop does that by itself):
#                 RSS growth per in-flight request
#   tls_gets      HTTPS: 2,000 sequential GETs of the 128-byte file on one keep-alive TLS connection:
#                 req/s, client CPU seconds
#   tls_handshakes HTTPS: 200 sequential GETs of the 128-byte file, each on a new TCP+TLS connection
#                 with a full handshake (both clients send "Connection: close"; the listener has
#                 ssl_session_cache off and ssl_session_tickets off, so nothing can be resumed):
#                 handshakes/s, client CPU seconds
#   tls_downloadqda HTTPS: the 100 MiB download with the QueryDataAvailable loop: MiB/s, client CPU seconds
#   tls_download64k HTTPS: the 100 MiB download read with a 64 KiB buffer: MiB/s, client CPU seconds
#   h2_download64k HTTP/2 over TLS: the 100 MiB download read with a 64 KiB buffer (ours with
#                 WINHTTP_PROTOCOL_FLAG_HTTP2, libcurl with CURL_HTTP_VERSION_2TLS): MiB/s, client CPU seconds
#   h2conc1000    HTTP/2 over TLS: the 1,000 concurrent GETs of conc1000 as streams on one connection (nginx
#                 `listen ... ssl http2`, its default of 128 concurrent streams): ours async with
#                 WINHTTP_PROTOCOL_FLAG_HTTP2 vs libcurl multi with CURLPIPE_MULTIPLEX (one connection per
#                 host, PIPEWAIT). Wall seconds and the conc rows' other columns; nginx's TLS log must show
#                 exactly one connection per measurement.
#   h2conc10000   the same with 10,000 (with the concurrent rows): RSS growth per request over HTTP/2
# HTTPS rows: ours and libcurl (OpenSSL) only; the raw socket column does not apply. nginx listens
# with TLS on two more ports (keep-alive; no resumption) with an ECDSA P-256 leaf for 127.0.0.1 and
# localhost, signed by a CA the script generates with the openssl CLI. Ours trusts that CA through
# SSL_CERT_FILE (SSL_CERT_DIR names an empty directory), libcurl through CURLOPT_CAINFO (the same
# file); certificate and host name verification are on in both, protocol and cipher are each
# library's default. nginx logs the first request of every TLS connection ($ssl_protocol,
# $ssl_cipher, $ssl_curve, $ssl_session_reused): every HTTPS measurement is checked for its number
# of connections (1, or 1 + 200 for tls_handshakes) and, for tls_handshakes, that none was resumed;
# what each client negotiated goes into the results file.
# Rows conc*/held*: nginx's accepted-connections counter is checked after every measurement (one
# connection per request); nginx gets worker_connections and worker_rlimit_nofile for 10,000, and
# the clients raise RLIMIT_NOFILE to the hard limit (at least 10,100 is needed).
# Every measurement is a fresh client process (so ru_maxrss is that measurement's peak); CPU seconds
# are the client's user+system time for the transfer (all its threads), not nginx's. The whole run
# takes about two minutes on the 2-core development machine, so the full 100 MiB and the same number
# of rounds for every row are used.
#
# Environment knobs:
#   BENCH_ROUNDS (15; at least 9 is the rule)  BENCH_GETS (2000)  BENCH_MIB (100)  BENCH_CPU (0: the CPU everything is pinned to)
#   BENCH_HANDSHAKES (200: connections of the tls_handshakes row)
#   BENCH_CONC_ROUNDS (= BENCH_ROUNDS: rounds that include the conc*/held* rows; the others skip them)
#   BENCH_CHART (docs/bench.svg: the chart drawn from the results file by ci/bench/chart.py; empty: none)
#   BENCH_ROWS (all: an extended regular expression; only the rows it matches whole are run, e.g. 'h2.*')
#
# Needs apt-get (Debian/Ubuntu) for what is missing: nginx, libcurl4-openssl-dev, a C compiler, openssl.
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
CONC_ROUNDS=${BENCH_CONC_ROUNDS:-$ROUNDS}
HANDSHAKES=${BENCH_HANDSHAKES:-200}
CHART=${BENCH_CHART-$ROOT/docs/bench.svg}
if [ -n "$CHART" ] && [ "${CHART#/}" = "$CHART" ]; then CHART=$ROOT/$CHART; fi
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
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
[ -z "$CHART" ] || command -v python3 >/dev/null 2>&1 || missing+=(python3)
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
# Descriptors for 10,000 concurrent connections: nginx and the clients use up to the hard limit
# (20,000 on the development machine), capped at 20,000.
NOFILE=$(ulimit -Hn)
if [ "$NOFILE" = unlimited ] || [ "$NOFILE" -gt 20000 ]; then NOFILE=20000; fi
if [ "$NOFILE" -lt 10100 ]; then
    say "the hard RLIMIT_NOFILE is $NOFILE; 10,000 concurrent connections need at least 10,100: the concurrent rows are skipped (raise it, e.g. ulimit -Hn 20000 as root)"
    CONC_ROUNDS=0
fi
ulimit -n "$NOFILE"
mkdir -p "$WORK/www/up" "$WORK/tmp" "$WORK/logs"
head -c 128 /dev/zero | tr '\0' 'x' >"$WORK/www/small.txt"
head -c "$BIG" /dev/urandom >"$WORK/www/big.bin"

# ---- certificates -------------------------------------------------------------------------------
# A CA and an ECDSA P-256 leaf for 127.0.0.1 and localhost, valid for two days. The clients trust
# the CA only: SSL_CERT_FILE for ours (SSL_CERT_DIR: an empty directory, so the system store does
# not come in), CURLOPT_CAINFO/CURLOPT_CAPATH from the same variables for libcurl.
TLS=$WORK/tls
mkdir -p "$TLS/roots.d"
cat >"$TLS/openssl.cnf" <<'EOF'
[req]
distinguished_name = dn
prompt = no
[dn]
CN = winhttp bench CA
[ca_ext]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[leaf_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1,DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
openssl req -x509 -new -config "$TLS/openssl.cnf" -extensions ca_ext -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
    -nodes -keyout "$TLS/ca.key" -out "$TLS/ca.pem" -days 2 2>/dev/null
openssl req -new -config "$TLS/openssl.cnf" -subj /CN=localhost -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
    -nodes -keyout "$TLS/leaf.key" -out "$TLS/leaf.csr" 2>/dev/null
openssl x509 -req -in "$TLS/leaf.csr" -CA "$TLS/ca.pem" -CAkey "$TLS/ca.key" -set_serial "0x$(openssl rand -hex 8)" \
    -days 2 -extfile "$TLS/openssl.cnf" -extensions leaf_ext -out "$TLS/leaf.pem" 2>/dev/null
export SSL_CERT_FILE=$TLS/ca.pem SSL_CERT_DIR=$TLS/roots.d
TLSLOG=$WORK/logs/tls.log

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
write_conf() {
    cat >"$WORK/nginx.conf" <<EOF
$([ "$(id -u)" -eq 0 ] && echo 'user root;')
worker_processes 1;
worker_rlimit_nofile $NOFILE;
daemon off;
pid $WORK/nginx.pid;
error_log $WORK/logs/error.log warn;
events { worker_connections $((NOFILE - 100)); }
http {
    access_log off;
    # The first request of each TLS connection: what was negotiated, and whether it was resumed.
    log_format tls '\$server_port \$ssl_protocol \$ssl_cipher \$ssl_curve \$ssl_session_reused';
    map \$connection_requests \$tls_first { 1 1; default 0; }
    ssl_protocols TLSv1.2 TLSv1.3; # nginx 1.22's default stops at TLS 1.2; both clients prefer 1.3
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
        listen 127.0.0.1:$1 backlog=16384;
        root $WORK/www;
        location /up/ {
            dav_methods PUT;
            client_max_body_size 0;
            client_body_buffer_size 1m;
        }
        location = /nginx_status { stub_status; }
    }
    server { # HTTPS, keep-alive (nginx's default session settings)
        listen 127.0.0.1:$2 ssl backlog=16384;
        ssl_certificate $TLS/leaf.pem;
        ssl_certificate_key $TLS/leaf.key;
        access_log $TLSLOG tls if=\$tls_first;
        root $WORK/www;
    }
    server { # HTTP/2 over TLS (the h2conc rows)
        listen 127.0.0.1:$4 ssl http2 backlog=16384;
        ssl_certificate $TLS/leaf.pem;
        ssl_certificate_key $TLS/leaf.key;
        access_log $TLSLOG tls if=\$tls_first;
        root $WORK/www;
    }
    server { # HTTPS, no resumption: every connection is a full handshake
        listen 127.0.0.1:$3 ssl backlog=16384;
        ssl_certificate $TLS/leaf.pem;
        ssl_certificate_key $TLS/leaf.key;
        ssl_session_cache off;
        ssl_session_tickets off;
        access_log $TLSLOG tls if=\$tls_first;
        root $WORK/www;
    }
}
EOF
}
for attempt in 1 2 3 4 5 6 7 8; do
    PORT=$((20000 + RANDOM % 40000)) TLSPORT=$((PORT + 1)) FULLPORT=$((PORT + 2)) H2PORT=$((PORT + 3))
    port_free "$PORT" && port_free "$TLSPORT" && port_free "$FULLPORT" && port_free "$H2PORT" || continue
    write_conf "$PORT" "$TLSPORT" "$FULLPORT" "$H2PORT"
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
say "nginx $("$NGINX" -v 2>&1 | sed 's/.*\///') on 127.0.0.1:$PORT (HTTPS: $TLSPORT keep-alive, $FULLPORT no resumption, $H2PORT HTTP/2; pid $NGINX_PID), pinned with everything else to CPU $CPU"

# ---- one measurement ----------------------------------------------------------------------------
SAMPLES=$WORK/samples.tsv
: >"$SAMPLES"
TLS_SEEN=$WORK/tls_seen.txt
: >"$TLS_SEEN"
tls_lines() { if [ -f "$TLSLOG" ]; then wc -l <"$TLSLOG"; else echo 0; fi; }
wanted() { [[ $1 =~ ^(${BENCH_ROWS:-.*})$ ]]; }
run() { # client row
    wanted "$2" || return 0
    local client=$1 row=$2 args line n=0 before=0 conns=- tls_before=0 tls_want=0 got=0 per_request=1
    case $row in
    gets) args=(gets 127.0.0.1 "$PORT" /small.txt "$GETS") ;;
    downloadqda) args=(download 127.0.0.1 "$PORT" /big.bin qda) ;;
    download64k) args=(download 127.0.0.1 "$PORT" /big.bin 65536) ;;
    download512k) args=(download 127.0.0.1 "$PORT" /big.bin 524288) ;;
    upload) args=(upload 127.0.0.1 "$PORT" "/up/$client.bin" "$BIG" "$CHUNK") ;;
    conc*) n=${row#conc} args=(concurrent 127.0.0.1 "$PORT" /small.txt "$n") ;;
    held*) n=${row#held} args=(concurrent 127.0.0.1 "$PORT" /small.txt "$n" hold) ;;
    h2_download64k) args=(h2-download 127.0.0.1 "$H2PORT" /big.bin 65536) tls_want=1 ;;
    h2conc*) n=${row#h2conc} args=(https-concurrent 127.0.0.1 "$H2PORT" /small.txt "$n") tls_want=1 per_request=0 ;;
    tls_gets) args=(https-gets 127.0.0.1 "$TLSPORT" /small.txt "$GETS") tls_want=1 ;;
    tls_downloadqda) args=(https-download 127.0.0.1 "$TLSPORT" /big.bin qda) tls_want=1 ;;
    tls_download64k) args=(https-download 127.0.0.1 "$TLSPORT" /big.bin 65536) tls_want=1 ;;
    tls_handshakes) args=(https-handshakes 127.0.0.1 "$FULLPORT" /small.txt "$HANDSHAKES") tls_want=$((HANDSHAKES + 1)) ;;
    esac
    if [ "$n" -gt 0 ] && [ $per_request = 1 ]; then before=$(accepts); fi
    if [ "$tls_want" -gt 0 ]; then tls_before=$(tls_lines); fi
    line=$(taskset -c "$CPU" "$WORK/bin/$client" "${args[@]}" | grep '^BENCH ') || {
        say "$client $row failed"
        exit 1
    }
    if [ "$n" -gt 0 ] && [ $per_request = 1 ]; then # one connection per request (plus the status query itself)
        conns=$(($(accepts) - before - 1))
        if [ "$conns" -ne "$n" ]; then
            say "$client $row: $n requests used $conns connections, expected one each"
            exit 1
        fi
    fi
    if [ "$tls_want" -gt 0 ]; then # nginx logs the first request of each connection when it ends
        for _ in $(seq 100); do
            got=$(($(tls_lines) - tls_before))
            [ "$got" -lt "$tls_want" ] || break
            sleep 0.01
        done
        if [ "$got" -ne "$tls_want" ]; then
            say "$client $row: used $got TLS connections, expected $tls_want"
            exit 1
        fi
        if [ "$row" = tls_handshakes ] && tail -n "+$((tls_before + 1))" "$TLSLOG" | awk '$5 != "." { bad = 1 } END { exit !bad }'; then
            say "$client $row: nginx resumed a TLS session; every connection must be a full handshake"
            exit 1
        fi
        tail -n "+$((tls_before + 1))" "$TLSLOG" | sed "s/^/$client $row /" >>"$TLS_SEEN"
        [ $per_request = 1 ] || conns=$got
    fi
    # BENCH row=.. client=.. value=.. unit=.. secs=.. cpu=.. maxrss_kib=.. bytes=.. n=..
    #       [base_rss_kib=.. rss_per_req_kib=.. threads_base=.. threads_peak=.. inflight_peak=..]
    echo "$line" | awk -v round="${ROUND:-0}" -v row="$row" -v n="$n" -v conns="$conns" -v want_gets=$((GETS * 128)) -v want_hs=$((HANDSHAKES * 128)) -v want_big="$BIG" '{
        for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
        want = row ~ /gets$/ ? want_gets : row == "tls_handshakes" ? want_hs : n > 0 ? n * 128 : want_big
        if (f["bytes"] != want) { printf "%s %s moved %s bytes, expected %s\n", f["client"], row, f["bytes"], want > "/dev/stderr"; exit 1 }
        if (row ~ /^(tls|h2)_/ && f["row"] != row) { printf "%s %s reported row %s\n", f["client"], row, f["row"] > "/dev/stderr"; exit 1 }
        client = f["client"]; sub(/_.*/, "", client) # ours_held is ours in its own row
        extra = "-\t-\t-\t-\t-"
        if (n > 0) extra = sprintf("%s\t%s\t%s\t%s\t%s", f["threads_peak"], f["base_rss_kib"], f["rss_per_req_kib"], f["inflight_peak"], conns)
        printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", round, row, client, f["value"], f["unit"], f["secs"], f["cpu"], f["maxrss_kib"], extra, (f["ucpu"] == "" ? "-" : f["ucpu"])
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
ROWS=(gets downloadqda download64k download512k upload tls_gets tls_handshakes tls_downloadqda tls_download64k h2_download64k h2conc1000)
CONC_ROWS=(conc1000 conc10000 held10000 h2conc10000)
clients_of() { # the clients of a row
    case $1 in
    conc* | tls_* | h2_* | h2conc*) echo ours libcurl ;;
    held*) echo ours ;;
    *) echo "${CLIENTS[@]}" ;;
    esac
}

# A checked warm-up round: every client moves the right bytes, and the GET loop really runs on one
# connection (nginx accepts exactly one per client, plus one for each status query).
say "warm-up round (checks bytes and keep-alive)"
for client in "${CLIENTS[@]}"; do
    before=$(accepts)
    run "$client" gets
    after=$(accepts)
    if wanted gets && [ $((after - before)) -ne 2 ]; then
        say "$client: the GET loop used $((after - before - 1)) connections, expected 1"
        exit 1
    fi
    for row in downloadqda download64k upload; do run "$client" "$row"; done
done
say "warm-up of the HTTPS rows (checks connections, full handshakes, what was negotiated)"
for client in $(clients_of tls_gets); do
    for row in tls_gets tls_handshakes tls_downloadqda tls_download64k h2_download64k h2conc1000; do run "$client" "$row"; done
done
if [ "$CONC_ROUNDS" -gt 0 ]; then
    say "warm-up of the concurrent rows (checks one connection per request)"
    for row in conc1000 held10000; do
        for client in $(clients_of "$row"); do run "$client" "$row"; done
    done
fi
: >"$SAMPLES"

LOAD=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')
START=$(date +%s)
for ROUND in $(seq "$ROUNDS"); do
    say "round $ROUND/$ROUNDS ($(($(date +%s) - START)) s)"
    rows=("${ROWS[@]}")
    if [ "$ROUND" -le "$CONC_ROUNDS" ]; then rows+=("${CONC_ROWS[@]}"); fi
    for row in "${rows[@]}"; do
        for client in $(clients_of "$row"); do run "$client" "$row"; done
    done
done
ELAPSED=$(($(date +%s) - START))
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')

# ---- statistics ---------------------------------------------------------------------------------
# One line per (row, metric, client): median, min, max.
STATS=$WORK/stats.tsv
# The first column (row order, then metric order) only sorts; it is dropped on output.
# Metrics of the concurrent rows: wall_s (lower is better), threads (peak), rss_mib (peak RSS),
# kib_per_req (RSS growth / N), inflight (peak requests in flight).
awk -F'\t' -v gets="$GETS" 'BEGIN { o["gets"] = 1; o["downloadqda"] = 2; o["download64k"] = 3; o["download512k"] = 4; o["upload"] = 5; o["conc1000"] = 6; o["conc10000"] = 7; o["held10000"] = 8
                  o["tls_gets"] = 9; o["tls_handshakes"] = 10; o["tls_downloadqda"] = 11; o["tls_download64k"] = 12; o["h2conc1000"] = 13; o["h2_download64k"] = 14; o["h2conc10000"] = 15 } {
    if ($2 ~ /^(tls|h2)_/) {
        print o[$2] "1\t" $2 "\t" ($2 == "tls_gets" ? "req/s" : $2 == "tls_handshakes" ? "handshakes/s" : "MiB/s") "\t" $3 "\t" $4
        print o[$2] "2\t" $2 "\tcpu_s\t" $3 "\t" $7
        next
    }
    if ($2 ~ /^(conc|held|h2conc)/) {
        print o[$2] "1\t" $2 "\twall_s\t" $3 "\t" $4
        print o[$2] "2\t" $2 "\tthreads\t" $3 "\t" $9
        print o[$2] "3\t" $2 "\trss_mib\t" $3 "\t" $8 / 1024
        print o[$2] "4\t" $2 "\tkib_per_req\t" $3 "\t" $11
        print o[$2] "5\t" $2 "\tinflight\t" $3 "\t" $12
        next
    }
    print o[$2] "1\t" $2 "\t" ($2 == "gets" ? "req/s" : "MiB/s") "\t" $3 "\t" $4
    if ($2 == "gets") print o[$2] "2\t" $2 "\tcpu_us_per_req\t" $3 "\t" $7 * 1e6 / gets
    if ($2 == "gets") print o[$2] "3\t" $2 "\tuser_us_per_req\t" $3 "\t" $14 * 1e6 / gets
    # The user/system split is sampled at clock ticks: one round holds only a few ticks of user
    # time, so the per-round medians jump between 0 and twice the truth. Pooled over every
    # round (sum of user CPU / sum of requests), the same samples give a steady figure.
    if ($2 == "gets") { usum[$3] += $14; ucount[$3] += gets }
    if ($2 ~ /^download/) print o[$2] "2\t" $2 "\tcpu_s\t" $3 "\t" $7
    if ($2 == "upload") print o[$2] "2\t" $2 "\trss_mib\t" $3 "\t" $8 / 1024
}
END { for (c in usum) print o["gets"] "4\tgets\tuser_us_pooled\t" c "\t" usum[c] * 1e6 / ucount[c] }' "$SAMPLES" | sort -t$'\t' -k1,1n -k4,4 -k5,5g | awk -F'\t' '
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
    # What nginx saw negotiated, per client (every HTTPS connection of the run, warm-up included).
    awk '{ print $1 ": " $4 " " $5 " " $6 }' "$TLS_SEEN" | sort | uniq -c | awk '
        { n = $1; sub(/^ *[0-9]+ /, ""); line = line sep $0 " (" n " connections)"; sep = "; " }
        END { print "# TLS negotiated (nginx log, every HTTPS connection of the run): " line }'
    echo "# $ROUNDS interleaved rounds ($CONC_ROUNDS with the concurrent rows), $GETS GETs, $MIB MiB transfers, client and nginx pinned to CPU $CPU; RLIMIT_NOFILE $NOFILE; $ELAPSED s; load average before: $LOAD, after: $LOAD_AFTER"
    printf 'row\tmetric\tours_median\tours_min\tours_max\tlibcurl_median\tlibcurl_min\tlibcurl_max\traw_median\traw_min\traw_max\tours_per_libcurl\tours_per_raw\ttarget\tverdict\n'
    awk -F'\t' '
        { k = $1 "\t" $2; if (!(k in seen)) { seen[k] = 1; order[++m] = k }
          med[k, $3] = $4; lo[k, $3] = $5; hi[k, $3] = $6; has[k, $3] = 1 }
        function f(v) { return v == int(v) ? sprintf("%d", v) : v >= 1000 ? sprintf("%.0f", v) : v >= 10 ? sprintf("%.1f", v) : v >= 1 ? sprintf("%.2f", v) : sprintf("%.4f", v) }
        function cell(k, c) { return has[k, c] ? f(med[k, c]) "\t" f(lo[k, c]) "\t" f(hi[k, c]) : "-\t-\t-" }
        function ratio(k, c) { return has[k, c] && med[k, c] > 0 ? sprintf("%.2f", med[k, "ours"] / med[k, c]) : "-" }
        END {
            for (i = 1; i <= m; i++) {
                k = order[i]; split(k, p, "\t"); rc = ratio(k, "libcurl"); rr = ratio(k, "raw")
                target = "-"; verdict = "-"
                if (p[1] == "tls_downloadqda" && p[2] == "MiB/s") { target = ">=1.2x libcurl/OpenSSL"; verdict = rc != "-" && rc + 0 >= 1.2 ? "met" : "missed" }
                else if (p[1] ~ /^(tls|h2)_/) {
                    if (p[2] != "cpu_s") { target = ">=1.0x libcurl/OpenSSL"; verdict = rc != "-" && rc + 0 >= 1.0 ? "met" : "missed" }
                }
                else if (p[2] == "req/s") { target = ">=1.5x libcurl, >=0.8x raw"; verdict = (rc >= 1.5 && rr >= 0.8) ? "met" : "missed" }
                else if (p[2] == "user_us_pooled") { target = "ours <= 3 us"; verdict = med[k, "ours"] <= 3 ? "met" : "missed" }
                else if (p[2] == "MiB/s" && p[1] == "downloadqda") { target = ">=0.95x raw"; verdict = rr >= 0.95 ? "met" : "missed" }
                else if (p[2] == "MiB/s" && p[1] ~ /^download/) { target = ">=1.0x libcurl, >=0.9x raw"; verdict = (rc >= 1.0 && rr >= 0.9) ? "met" : "missed" }
                else if (p[2] == "MiB/s" && p[1] == "upload") { target = ">=1.2x libcurl"; verdict = rc >= 1.2 ? "met" : "missed" }
                else if (p[2] == "rss_mib" && p[1] == "upload") { target = "ours < 32 MiB"; verdict = med[k, "ours"] < 32 ? "met" : "missed" }
                else if (p[2] == "wall_s" && rc != "-" && p[1] ~ /^h2conc/) { target = "<=0.67x libcurl (1.5x faster)"; verdict = rc <= 0.67 ? "met" : "missed" }
                else if (p[2] == "wall_s" && rc != "-") { target = "<=1.0x libcurl"; verdict = rc <= 1.0 ? "met" : "missed" }
                else if (p[2] == "threads" && p[1] != "conc1000") {
                    # fixed: the most threads ever seen is no more than with 1,000 requests
                    target = "fixed (max <= conc1000 max)"; r = "conc1000\tthreads"
                    verdict = !has[r, "ours"] ? "- (conc1000 not run)" : hi[k, "ours"] <= hi[r, "ours"] ? "met" : "missed"
                }
                else if (p[2] == "kib_per_req") { target = "ours < 32 KiB"; verdict = med[k, "ours"] < 32 ? "met" : "missed" }
                printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", p[1], p[2], cell(k, "ours"), cell(k, "libcurl"), cell(k, "raw"), rc, rr, target "\t" verdict
            }
        }' "$STATS"
} >"$OUT"
SAMPLES_OUT="${OUT%.tsv}.samples.tsv"
{
    printf 'round\trow\tclient\tvalue\tunit\tsecs\tcpu_s\tmaxrss_kib\tthreads_peak\tbase_rss_kib\trss_per_req_kib\tinflight_peak\tconnections\tuser_cpu_s\n'
    cat "$SAMPLES"
} >"$SAMPLES_OUT"

# ---- table --------------------------------------------------------------------------------------
echo
grep '^#' "$OUT"
echo
awk -F'\t' '
    function c(m, lo, hi) { return m == "-" ? "-" : sprintf("%s [%s-%s]", m, lo, hi) }
    NR == 1 && /^#/ { next } /^#/ { next }
    $1 == "row" { printf "%-13s %-11s %-24s %-24s %-24s %-10s %-9s %-28s %s\n", "row", "metric", "ours", "libcurl", "raw", "ours/curl", "ours/raw", "target", "verdict"; next }
    { printf "%-13s %-11s %-24s %-24s %-24s %-10s %-9s %-28s %s\n", $1, $2, c($3, $4, $5), c($6, $7, $8), c($9, $10, $11), $12, $13, $14, $15 }
' "$OUT"
echo
if [ -n "$CHART" ]; then
    mkdir -p "$(dirname "$CHART")"
    python3 ci/bench/chart.py "$OUT" "$CHART"
    say "chart: $CHART"
fi
say "results: $OUT (samples: $SAMPLES_OUT)"
# The WebSocket rows (ours vs the Python websockets client, against one server): a script of their
# own because their peer is not nginx; BENCH_WS=0 skips them.
if [ "${BENCH_WS:-1}" != 0 ]; then
    if python3 -c "import websockets.asyncio.client" 2>/dev/null; then
        bash ci/bench_ws.sh
    else
        say "WebSocket rows skipped: python3 with the websockets package is missing (pip install websockets)"
    fi
fi
