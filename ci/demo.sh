#!/usr/bin/env bash
# README command one: builds libwinhttp (release: libwinhttp.a and the shared library), starts the demo server
# (examples/demo_server.rs) on an ephemeral port of 127.0.0.1, and runs the C examples against it:
# examples/get.c linked statically, examples/put.c, examples/async_get.c, examples/https_get.c, examples/pac_get.c and
# examples/websocket_echo.c (against tests/support/ws_server.py, when Python's websockets is installed) linked against
# the shared library (found through its rpath). https_get runs against the server's HTTPS port, trusting the CA the
# server made at start-up (SSL_CERT_FILE), and once more without that trust to show the certificate error.
# Exits non-zero if a build or an example fails; the server is stopped whatever happens.
set -euo pipefail
cd "$(dirname "$0")/.."

target=${CARGO_TARGET_DIR:-target}
cc=${CC:-cc}
cflags=(-std=c11 -Wall -Wextra -Werror -Iinclude)

case "$(uname -s)" in
    Linux) shared_name=libwinhttp.so soname=libwinhttp.so.0 ;;
    Darwin) shared_name=libwinhttp.dylib soname=libwinhttp.0.dylib ;;
    *) echo "demo.sh: unsupported system $(uname -s) (Linux and macOS only)" >&2; exit 1 ;;
esac

heading() { printf '\n== %s ==\n' "$*"; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/winhttp-demo.XXXXXX")
server_pid=

# SIGTERM to the server (it exits at once on SIGTERM/SIGINT); SIGKILL if it is still there after 5 s.
stop_server() {
    [ -n "$server_pid" ] || return 0
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 50); do
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=
}
cleanup() {
    stop_server
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The same command as ci/install.sh (so each reuses the other's build): every library type in one release
# build, and rustc's note on what a static link of libwinhttp.a needs besides it.
heading "building libwinhttp (release)"
build_log="$tmp/build.log"
cargo rustc --release --lib -- --print native-static-libs 2>&1 | tee "$build_log"
read -r -a native_libs <<<"$(sed -n 's/.*note: native-static-libs: //p' "$build_log" | tail -n 1)"
lib_dir=$(cd "$target/release" && pwd)
# The shared library's soname (build.rs) is what programs linked with -lwinhttp load: it must exist beside it.
ln -sf "$shared_name" "$lib_dir/$soname"

# The dev profile: tokio and hyper build faster unoptimized, and `cargo test` (README command two) reuses them.
# A release build of the server would share little with the library build above anyway: the dev-dependencies
# switch on more features of mio, so mio and the winhttp crate would be compiled again.
heading "building the demo server (cargo build --example demo_server)"
cargo build --example demo_server
server_bin="$target/debug/examples/demo_server"

heading "compiling the C examples"
echo "$cc ${cflags[*]} examples/get.c $target/release/libwinhttp.a ${native_libs[*]} -o get"
"$cc" "${cflags[@]}" examples/get.c "$lib_dir/libwinhttp.a" "${native_libs[@]}" -o "$tmp/get"
echo "$cc ${cflags[*]} examples/put.c -L$target/release -lwinhttp -Wl,-rpath,$lib_dir -o put"
"$cc" "${cflags[@]}" examples/put.c -L"$lib_dir" -lwinhttp -Wl,-rpath,"$lib_dir" -o "$tmp/put"
echo "$cc ${cflags[*]} -pthread examples/async_get.c -L$target/release -lwinhttp -Wl,-rpath,$lib_dir -o async_get"
"$cc" "${cflags[@]}" -pthread examples/async_get.c -L"$lib_dir" -lwinhttp -Wl,-rpath,"$lib_dir" -o "$tmp/async_get"
echo "$cc ${cflags[*]} examples/https_get.c -L$target/release -lwinhttp -Wl,-rpath,$lib_dir -o https_get"
"$cc" "${cflags[@]}" examples/https_get.c -L"$lib_dir" -lwinhttp -Wl,-rpath,"$lib_dir" -o "$tmp/https_get"
echo "$cc ${cflags[*]} examples/winhttp_fetch.c $target/release/libwinhttp.a ${native_libs[*]} -o winhttp-fetch"
"$cc" "${cflags[@]}" examples/winhttp_fetch.c "$lib_dir/libwinhttp.a" "${native_libs[@]}" -o "$tmp/winhttp-fetch"
echo "$cc ${cflags[*]} examples/pac_get.c -L$target/release -lwinhttp -Wl,-rpath,$lib_dir -o pac_get"
"$cc" "${cflags[@]}" examples/pac_get.c -L"$lib_dir" -lwinhttp -Wl,-rpath,"$lib_dir" -o "$tmp/pac_get"
# Compiled only: it needs a server or proxy that authenticates (tests/c/test_auth_tunnel.c has one).
echo "$cc ${cflags[*]} examples/auth_get.c -L$target/release -lwinhttp -Wl,-rpath,$lib_dir -o auth_get"
"$cc" "${cflags[@]}" examples/auth_get.c -L"$lib_dir" -lwinhttp -Wl,-rpath,"$lib_dir" -o "$tmp/auth_get"
echo "$cc ${cflags[*]} examples/websocket_echo.c -L$target/release -lwinhttp -Wl,-rpath,$lib_dir -o websocket_echo"
"$cc" "${cflags[@]}" examples/websocket_echo.c -L"$lib_dir" -lwinhttp -Wl,-rpath,"$lib_dir" -o "$tmp/websocket_echo"

# Background jobs of a script get /dev/null as stdin; the server does not read it.
"$server_bin" >"$tmp/server.log" 2>&1 &
server_pid=$!
port=
for _ in $(seq 100); do
    if read -r first <"$tmp/server.log" 2>/dev/null && [[ $first =~ ^listening\ 127\.0\.0\.1:([0-9]+)$ ]]; then
        port=${BASH_REMATCH[1]}
        break
    fi
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
done
if [ -z "$port" ]; then
    echo "demo.sh: the demo server did not start:" >&2
    cat "$tmp/server.log" >&2
    exit 1
fi
tls_port= ca_file=
for _ in $(seq 100); do
    if line=$(sed -n 2p "$tmp/server.log" 2>/dev/null) && [[ $line =~ ^listening-tls\ 127\.0\.0\.1:([0-9]+)\ (.+)$ ]]; then
        tls_port=${BASH_REMATCH[1]}
        ca_file=${BASH_REMATCH[2]}
        break
    fi
    sleep 0.1
done
if [ -z "$tls_port" ]; then
    echo "demo.sh: the demo server did not open its HTTPS port:" >&2
    cat "$tmp/server.log" >&2
    exit 1
fi
heading "demo server listening on 127.0.0.1:$port (HTTP) and 127.0.0.1:$tls_port (HTTPS, CA in $ca_file)"

failed=()
run() {
    local name=$1 how=$2
    shift 2
    heading "$name $* ($how)"
    # Only the rpath may lead the shared build to its library.
    if env -u LD_LIBRARY_PATH -u DYLD_LIBRARY_PATH "$tmp/$name" "$@"; then
        echo "-> exit status 0"
    else
        local rc=$?
        echo "-> exit status $rc"
        failed+=("$name")
    fi
}
run get "examples/get.c, static: libwinhttp.a" 127.0.0.1 "$port" /hello
run put "examples/put.c, shared: $shared_name" 127.0.0.1 "$port" /upload
run async_get "examples/async_get.c, WINHTTP_FLAG_ASYNC, callback-driven" 127.0.0.1 "$port" /hello
# The command-line client: a GET with the response head, a POST of a file with a header, and a 64 MiB download
# to a file in the async mode (with a progress bar when stderr is a terminal).
printf 'a file to post\n' >"$tmp/post.txt"
run winhttp-fetch "examples/winhttp_fetch.c, static" -i "http://127.0.0.1:$port/hello"
run winhttp-fetch "examples/winhttp_fetch.c, static" -X POST -H "X-Demo: yes" -T "$tmp/post.txt" \
    "http://127.0.0.1:$port/upload"
run winhttp-fetch "examples/winhttp_fetch.c, static" -a -o "$tmp/big.bin" "http://127.0.0.1:$port/bytes/67108864"
# Proxy auto-configuration: the demo server's script sends *.demo.example through the server itself as the proxy.
run pac_get "examples/pac_get.c, WinHttpGetProxyForUrl with a PAC URL, then the request through that proxy" \
    "http://127.0.0.1:$port/proxy.pac" http://www.demo.example/hello
# HTTPS, trusting the demo CA only (SSL_CERT_DIR: an empty directory, so no system CA takes part).
mkdir -p "$tmp/no-certs"
export SSL_CERT_FILE="$ca_file" SSL_CERT_DIR="$tmp/no-certs"
run https_get "examples/https_get.c, WINHTTP_FLAG_SECURE, the demo CA trusted" localhost "$tls_port" /hello
# The same without that trust: the certificate error a Windows program gets (this run is expected to fail).
export SSL_CERT_FILE="$tmp/no-certs/none.pem"
heading "https_get localhost $tls_port /hello (the demo CA not trusted: expected to fail)"
if env -u LD_LIBRARY_PATH "$tmp/https_get" localhost "$tls_port" /hello; then
    echo "-> exit status 0, but the certificate should not have been trusted"
    failed+=("https_get-untrusted")
else
    echo "-> failed as expected"
fi
unset SSL_CERT_FILE SSL_CERT_DIR

# WebSocket: the echo example against the tests' WebSocket peer (Python's websockets package), if installed.
if python3 -c "import websockets.asyncio.server" 2>/dev/null; then
    mkfifo "$tmp/ws.in"
    python3 tests/support/ws_server.py <"$tmp/ws.in" >"$tmp/ws.log" 2>&1 &
    ws_pid=$!
    exec 9>"$tmp/ws.in"
    ws_port=
    for _ in $(seq 100); do
        if read -r first <"$tmp/ws.log" 2>/dev/null && [[ $first =~ ^PORT\ ([0-9]+)$ ]]; then
            ws_port=${BASH_REMATCH[1]}
            break
        fi
        sleep 0.1
    done
    if [ -n "$ws_port" ]; then
        run websocket_echo "examples/websocket_echo.c, against tests/support/ws_server.py" 127.0.0.1 "$ws_port" /echo
    else
        echo "demo.sh: the WebSocket peer did not start" >&2
        failed+=("websocket_echo")
    fi
    exec 9>&-
    wait "$ws_pid" 2>/dev/null || true
else
    heading "websocket_echo skipped: python3 with the websockets package is not installed (pip install websockets)"
fi

stop_server
heading "demo server log"
cat "$tmp/server.log"

echo
if [ ${#failed[@]} -gt 0 ]; then
    echo "demo: FAILED: ${failed[*]}" >&2
    exit 1
fi
echo "demo: all examples ran against the demo server"
