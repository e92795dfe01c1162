#!/usr/bin/env bash
# The macOS cross-check: the library type-checks (`cargo check`, with ring's C compiled) for
# x86_64-apple-darwin and aarch64-apple-darwin, so macOS-only code (the keychain trust store,
# cfg(target_os = "macos") branches) cannot rot unseen on a Linux machine.
#
#   bash ci/macos-check.sh              # cargo check for both targets (what ci/test.sh runs)
#   bash ci/macos-check.sh --staticlib  # and build libwinhttp.a for both, checking that every WinHttp* function
#                                       # of include/winhttp.h is defined in it
#
# Time on this project's 2-core machine: from cold, about 1.5 to 2.7 minutes per target for the check and
# 3 more for the static library; a second run takes seconds.
#
# ring has C and assembly, so it needs a C compiler for the target: zig's (the `ziglang` Python package), through
# the small wrappers this script writes into target/macos-check/ and names in CC_<target> / AR_<target>.
# Nothing is linked: the shared library and programs need Apple's linker and SDK (frameworks), which are not
# here. Exit status 3: the tools could not be had (printed); ci/test.sh lists that as skipped.
#
# Needs ar (binutils) to read the archive's symbol index. Installs when missing (unless WINHTTP_NO_AUTO_INSTALL=1): `rustup target add` for both targets, and
# `python3 -m pip install ziglang`.
set -euo pipefail
cd "$(dirname "$0")/.."

targets=(x86_64-apple-darwin aarch64-apple-darwin)
staticlib=0
[ "${1:-}" = --staticlib ] && staticlib=1
target_dir=${CARGO_TARGET_DIR:-target}
work=$target_dir/macos-check
auto=1
[ "${WINHTTP_NO_AUTO_INSTALL:-}" = 1 ] && auto=0

unavailable() {
    echo "################################################################################################" >&2
    echo "ci/macos-check.sh: SKIPPED: $*" >&2
    echo "################################################################################################" >&2
    exit 3
}

if ! command -v rustup >/dev/null; then
    unavailable "no rustup, so no macOS standard library (install Rust with rustup, then: rustup target add ${targets[*]})"
fi
installed=$(rustup target list --installed 2>/dev/null || true)
for t in "${targets[@]}"; do
    if ! grep -qx "$t" <<<"$installed"; then
        if [ $auto = 1 ]; then
            rustup target add "$t" || unavailable "rustup target add $t failed (no network?)"
        else
            unavailable "the $t target is not installed (rustup target add ${targets[*]})"
        fi
    fi
done
if ! python3 -m ziglang version >/dev/null 2>&1; then
    if [ $auto = 1 ]; then
        python3 -m pip install --quiet ziglang || unavailable "pip install ziglang failed (no network or no pip?)"
    else
        unavailable "zig is not installed (python3 -m pip install ziglang)"
    fi
fi

# zig takes its own target names; cc-rs passes clang's (--target=x86_64-apple-macosx10.12), which zig refuses:
# the wrapper drops those and gives zig the target.
mkdir -p "$work"
python=$(command -v python3)
for t in "${targets[@]}"; do
    arch=${t%%-*}
    cat >"$work/cc-$t" <<EOF
#!/bin/sh
# zig cc for $t (written by ci/macos-check.sh)
for a in "\$@"; do
    shift
    case "\$a" in --target=*) continue ;; esac
    set -- "\$@" "\$a"
done
exec "$python" -m ziglang cc -target $arch-macos "\$@"
EOF
    printf '#!/bin/sh\nexec "%s" -m ziglang ar "$@"\n' "$python" >"$work/ar-$t"
    chmod +x "$work/cc-$t" "$work/ar-$t"
done

for t in "${targets[@]}"; do
    var=${t//-/_}
    export "CC_$var=$PWD/$work/cc-$t" "AR_$var=$PWD/$work/ar-$t"
    start=$(date +%s)
    echo "== cargo check --lib --target $t"
    cargo check --lib --target "$t"
    if [ $staticlib = 0 ]; then
        echo "$t: checked in $(($(date +%s) - start)) s"
        continue
    fi
    echo "== cargo rustc --lib --target $t --crate-type staticlib (libwinhttp.a for $t)"
    cargo rustc --lib --target "$t" --crate-type staticlib -- --print native-static-libs
    lib=$target_dir/$t/debug/libwinhttp.a
    [ -f "$lib" ] || { echo "macos-check: $lib was not built" >&2; exit 1; }
    # Every WinHttp* function the header declares is defined in the archive: its symbol index (__.SYMDEF, read
    # with ar, which does not need to understand Mach-O objects) lists the defined externals, `_`-prefixed.
    declared=$(grep -oE '\bWinHttp[A-Za-z0-9]*\(' include/winhttp.h | tr -d '(' | sort -u)
    defined=$(ar p "$lib" __.SYMDEF | LC_ALL=C grep -a -o '_WinHttp[A-Za-z0-9]*' | sed 's/^_//' | sort -u)
    missing=$(comm -23 <(echo "$declared") <(echo "$defined"))
    if [ -n "$missing" ]; then
        echo "macos-check: $lib does not define: $missing" >&2
        exit 1
    fi
    echo "$t: $lib defines all $(echo "$declared" | wc -l) WinHttp* functions of include/winhttp.h"
    echo "$t: done in $(($(date +%s) - start)) s"
done
if [ $staticlib = 1 ]; then
    echo "macos-check: the library checks and its static library builds for ${targets[*]}"
else
    echo "macos-check: the library checks for ${targets[*]} (--staticlib also builds libwinhttp.a)"
fi
