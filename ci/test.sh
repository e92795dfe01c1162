#!/usr/bin/env bash
# The whole test suite: formatting, lints, Rust unit tests, the header checks, the C suite (every
# tests/c/test_*.c against both the static and the shared library), the install test (tests/install.rs:
# ci/install.sh into a temporary prefix, a consumer built with pkg-config, pkg-config --static and CMake), then
# the C suite again with every program under valgrind memcheck (static links; zero errors, zero definitely-lost
# bytes), then
# the macOS cross-check (ci/macos-check.sh).
#
# On a fresh Debian/Ubuntu machine with Rust it first installs what it needs: apt-get packages when run as
# root, the ziglang Python package and the two macOS Rust targets for the cross-check. Where it cannot
# (not root, no network, WINHTTP_NO_AUTO_INSTALL=1) it prints the command that would, skips only the parts
# that need the missing tool, and lists them again at the end under SKIPPED.
# WINHTTP_SKIP_VALGRIND=1 skips the valgrind step; WINHTTP_SKIP_MACOS=1 the macOS cross-check.
set -euo pipefail
cd "$(dirname "$0")/.."

skipped=()    # one line per part not run: what, and what to install
skip_tests=() # --skip arguments for cargo test

# ---- what the suite needs -------------------------------------------------------------------------------------
# Debian package -> the check that it is there.
declare -A probe=(
    [gcc]="command -v cc"
    [g++]="command -v c++"
    [binutils]="command -v nm && command -v readelf"
    [openssl]="command -v openssl"
    [valgrind]="command -v valgrind"
    [mingw-w64-x86-64-dev]="test -f ${WINHTTP_MINGW_HEADER:-/usr/share/mingw-w64/include/winhttp.h}"
    [pkg-config]="command -v pkg-config"
    [cmake]="command -v cmake"
    [python3-pip]="python3 -m pip --version"
    # Negotiate/Kerberos tests (tests/kerberos.rs): a throwaway MIT KDC and Debian's GSSAPI acceptor (run
    # with /usr/bin/python3); libgssapi-krb5-2, which the library dlopens, comes with them.
    [krb5-kdc]="command -v krb5kdc"
    [krb5-admin-server]="command -v kadmin.local"
    [krb5-user]="command -v kinit"
    [python3-gssapi]="/usr/bin/python3 -c 'import gssapi'"
    # test_proxy_desktop.c: GNOME's proxy settings through gsettings and its schema.
    [libglib2.0-bin]="command -v gsettings"
    [gsettings-desktop-schemas]="test -f /usr/share/glib-2.0/schemas/org.gnome.system.proxy.gschema.xml"

    # Real peers of tests/c/test_auth_peers.c: Apache httpd with mod_auth_digest, squid with Basic proxy auth
    # (each started by the test with its own configuration on a loopback port).
    [apache2]="test -x /usr/sbin/apache2"
    [squid]="test -x /usr/sbin/squid"
    # tests/c/test_decompression.c: nginx with gzip on (started by the test on a loopback port).
    # tests/c/test_http2.c: nginx with HTTP/2 over TLS.
    [nginx]="test -x /usr/sbin/nginx"
)
order=(gcc g++ binutils openssl valgrind mingw-w64-x86-64-dev pkg-config cmake python3-pip krb5-kdc krb5-admin-server krb5-user python3-gssapi libglib2.0-bin gsettings-desktop-schemas apache2 squid nginx)
missing() {
    local m=() p
    for p in "${order[@]}"; do
        eval "${probe[$p]}" >/dev/null 2>&1 || m+=("$p")
    done
    echo "${m[*]}"
}
auto_install=1
[ "${WINHTTP_NO_AUTO_INSTALL:-}" = 1 ] && auto_install=0
need=$(missing)
if [ -n "$need" ] && [ $auto_install = 1 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "ci/test.sh: installing $need"
    # shellcheck disable=SC2086 # a list of package names
    { DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $need >/dev/null; } ||
        echo "ci/test.sh: apt-get failed" >&2
    need=$(missing)
fi
if [ -n "$need" ]; then
    echo "################################################################################################" >&2
    echo "ci/test.sh: NOT INSTALLED: $need" >&2
    echo "  install with:  sudo apt-get install -y $need" >&2
    echo "  (run as root, this script installs them itself). The parts that need them are SKIPPED;" >&2
    echo "  they are listed again at the end." >&2
    echo "################################################################################################" >&2
fi
lacks() { case " $need " in *" $1 "*) return 0 ;; *) return 1 ;; esac }
if lacks gcc; then
    echo "ci/test.sh: no C compiler (cc): Rust needs it to link and the C suite cannot run. Install gcc." >&2
    exit 1
fi
if lacks g++; then
    skipped+=("the header's C++17 compile check (needs c++: apt-get install g++)")
    skip_tests+=(--skip header_compiles_cleanly_in_c_and_cxx_with_every_opt_out)
fi
if lacks mingw-w64-x86-64-dev || lacks binutils; then
    skipped+=("the checks against MinGW's winhttp.h and of the libraries' exports (apt-get install mingw-w64-x86-64-dev binutils)")
    skip_tests+=(--skip every_mingw_constant_exists_with_the_same_value
        --skip header_declares_every_sdk_and_mingw_function
        --skip static_and_shared_libraries_export_every_function)
fi
if lacks openssl; then
    skipped+=("test_https.c's part against openssl s_server (apt-get install openssl)")
    export WINHTTP_TEST_SKIP_OPENSSL=1
fi
lacks pkg-config && skipped+=("tests/install.rs: the two pkg-config builds (apt-get install pkg-config)")
if lacks libglib2.0-bin || lacks gsettings-desktop-schemas; then
    skipped+=("test_proxy_desktop.c: the GNOME settings part (apt-get install libglib2.0-bin gsettings-desktop-schemas)")
fi
if lacks krb5-kdc || lacks krb5-admin-server || lacks krb5-user || lacks python3-gssapi; then
    skipped+=("tests/kerberos.rs: Negotiate against a real KDC (apt-get install krb5-kdc krb5-admin-server krb5-user python3-gssapi)")
fi
lacks apache2 && skipped+=("tests/c/test_auth_peers.c: Digest against Apache httpd (apt-get install apache2)")
lacks squid && skipped+=("tests/c/test_auth_peers.c: Basic proxy auth against squid (apt-get install squid)")
lacks squid && skipped+=("tests/c/test_http2_features.c: HTTP/2 through a CONNECT tunnel of squid (apt-get install squid)")
lacks nginx && skipped+=("tests/c/test_decompression.c: gzip from nginx (apt-get install nginx)")
# The independent NTLM/SPNEGO acceptor of tests/ntlm_pyspnego.rs and tests/support/ntlm_server.py (it skips, saying so, without it).
if ! python3 -c 'import spnego' >/dev/null 2>&1 && [ $auto_install = 1 ]; then
    python3 -m pip install -q pyspnego >/dev/null 2>&1 ||
        python3 -m pip install -q --break-system-packages pyspnego >/dev/null 2>&1 || true
fi
python3 -c 'import spnego' >/dev/null 2>&1 ||
    skipped+=("tests/ntlm_pyspnego.rs and tests/c/test_auth_ntlm.c: NTLM against pyspnego (python3 -m pip install pyspnego)")
# Python's brotli and zstandard: tests/support/coding_server.py makes the br and zstd bodies the decoders are
# checked against (tests/coding_server.rs; zlib is built in).
if ! python3 -c 'import brotli, zstandard' >/dev/null 2>&1 && [ $auto_install = 1 ]; then
    python3 -m pip install -q brotli zstandard >/dev/null 2>&1 ||
        python3 -m pip install -q --break-system-packages brotli zstandard >/dev/null 2>&1 || true
fi
python3 -c 'import brotli, zstandard' >/dev/null 2>&1 ||
    skipped+=("tests/coding_server.rs: the br and zstd bodies (python3 -m pip install brotli zstandard)")
lacks nginx && skipped+=("tests/c/test_http2.c: HTTP/2 against nginx (apt-get install nginx)")
# Python's h2: tests/support/h2_server.py and h2_burst_server.py, the independent HTTP/2 servers of test_http2*.c.
if ! python3 -c 'import h2' >/dev/null 2>&1 && [ $auto_install = 1 ]; then
    python3 -m pip install -q h2 >/dev/null 2>&1 ||
        python3 -m pip install -q --break-system-packages h2 >/dev/null 2>&1 || true
fi
python3 -c 'import h2' >/dev/null 2>&1 ||
    skipped+=("tests/c/test_http2.c: the HTTP/2 edge cases against Python's h2 (python3 -m pip install h2)")
python3 -c 'import h2' >/dev/null 2>&1 ||
    skipped+=("tests/c/test_http2_options.c: HTTP/2 keep-alive PINGs, stream queue, trailers against Python's h2 (python3 -m pip install h2)")
# The independent WebSocket server of tests/ws_peer.rs and the C tests (tests/support/ws_server.py).
if ! python3 -c 'import websockets.asyncio.server' >/dev/null 2>&1 && [ $auto_install = 1 ]; then
    python3 -m pip install -q websockets >/dev/null 2>&1 ||
        python3 -m pip install -q --break-system-packages websockets >/dev/null 2>&1 || true
fi
python3 -c 'import websockets.asyncio.server' >/dev/null 2>&1 ||
    skipped+=("the WebSocket peer tests (python3 -m pip install websockets)")
lacks cmake && skipped+=("tests/install.rs: the CMake build (apt-get install cmake)")
if ! cargo fmt --version >/dev/null 2>&1 || ! cargo clippy --version >/dev/null 2>&1; then
    [ $auto_install = 1 ] && command -v rustup >/dev/null && rustup component add rustfmt clippy || true
fi

# ---- the suite ----------------------------------------------------------------------------------------------------
if cargo fmt --version >/dev/null 2>&1; then
    cargo fmt --check
else
    skipped+=("cargo fmt --check (rustup component add rustfmt)")
fi
if cargo clippy --version >/dev/null 2>&1; then
    cargo clippy --all-targets -- -D warnings
else
    skipped+=("cargo clippy (rustup component add clippy)")
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
cargo test --no-fail-fast --lib --tests -- "${skip_tests[@]}" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

# Memory and handle hygiene: any memcheck error or definitely-lost block makes valgrind exit 99,
# which fails that program (every program, 32-bit WCHAR, linked statically; WINHTTP_C_RUNNER_LINKS=both
# adds the shared links). Under valgrind the stress tests scale their loops down
# (WINHTTP_TEST_UNDER_CHECKER, set by tests/c_suite.rs).
if [ "${WINHTTP_SKIP_VALGRIND:-}" = 1 ]; then
    skipped+=("the C suite under valgrind memcheck (WINHTTP_SKIP_VALGRIND=1)")
elif lacks valgrind; then
    skipped+=("the C suite under valgrind memcheck (apt-get install valgrind)")
else
    echo "C suite under valgrind memcheck:"
    set +e
    WINHTTP_C_RUNNER="valgrind --error-exitcode=99 -q --leak-check=full --errors-for-leak-kinds=definite --show-possibly-lost=no --suppressions=ci/valgrind.supp" \
        cargo test --test c_suite c_suite_against_static_and_shared_library -- --nocapture 2>&1 | tee -a "$log"
    vg_status=${PIPESTATUS[0]}
    set -e
    [ "$vg_status" -eq 0 ] || status=$vg_status
fi

# macOS: cargo check for x86_64-apple-darwin and aarch64-apple-darwin, with zig as the C compiler for ring
# (ci/macos-check.sh --staticlib also builds both static libraries: not here, to keep a cold run short).
# Exit status 3 from the script: its tools could not be had (skipped).
if [ "${WINHTTP_SKIP_MACOS:-}" = 1 ]; then
    skipped+=("the macOS cross-check (WINHTTP_SKIP_MACOS=1)")
else
    set +e
    WINHTTP_NO_AUTO_INSTALL=$((1 - auto_install)) bash ci/macos-check.sh
    mac_status=$?
    set -e
    if [ "$mac_status" -eq 3 ]; then
        skipped+=("the macOS cross-check (see its message above: rustup targets or the ziglang package)")
    elif [ "$mac_status" -ne 0 ]; then
        status=$mac_status
    fi
fi

# One closing line for the whole run (Rust tests; the C suite's checks are counted per program above).
awk '/^test result:/ { p += $4; f += $6 } END { printf "%d passed, %d failed\n", p, f }' "$log"
if [ ${#skipped[@]} -gt 0 ]; then
    echo "################################################################################################"
    echo "SKIPPED (${#skipped[@]} parts not run on this machine):"
    printf '  - %s\n' "${skipped[@]}"
    echo "################################################################################################"
fi
exit "$status"
