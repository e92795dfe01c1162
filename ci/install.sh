#!/usr/bin/env bash
# Installs libwinhttp like a system library, or removes it again.
#
#   bash ci/install.sh              # build (release) and install into $PREFIX (default /usr/local)
#   bash ci/install.sh uninstall    # remove exactly what the install wrote (its manifest)
#
# Variables: PREFIX (/usr/local), DESTDIR (staging root for packagers: files go to $DESTDIR$PREFIX/..., the
# paths written into winhttp.pc and the CMake package stay $PREFIX/...), LIBDIR ($PREFIX/lib), INCLUDEDIR
# ($PREFIX/include), BINDIR ($PREFIX/bin), CARGO_TARGET_DIR (target), CC (cc, for the example client).
#
# What it installs:
#   $INCLUDEDIR/winhttp.h
#   $LIBDIR/libwinhttp.a
#   Linux:  $LIBDIR/libwinhttp.so.<version>, libwinhttp.so.<major> -> it (the soname, set by build.rs),
#           libwinhttp.so -> libwinhttp.so.<major> (for -lwinhttp)
#   macOS:  $LIBDIR/libwinhttp.<version>.dylib with install name $LIBDIR/libwinhttp.<major>.dylib,
#           libwinhttp.<major>.dylib -> it, libwinhttp.dylib -> libwinhttp.<major>.dylib
#   $LIBDIR/pkgconfig/winhttp.pc            (Libs.private: what the static library needs)
#   $LIBDIR/cmake/WinHTTP/WinHTTPConfig.cmake, WinHTTPConfigVersion.cmake
#                                           (find_package(WinHTTP) -> WinHTTP::winhttp, _shared, _static)
#   $BINDIR/winhttp-fetch                   (examples/winhttp_fetch.c, linked statically)
#   $PREFIX/share/winhttp/install_manifest.txt   (what uninstall removes)
set -euo pipefail
cd "$(dirname "$0")/.."

action=${1:-install}
PREFIX=${PREFIX:-/usr/local}
PREFIX=${PREFIX%/}
DESTDIR=${DESTDIR:-}
LIBDIR=${LIBDIR:-$PREFIX/lib}
INCLUDEDIR=${INCLUDEDIR:-$PREFIX/include}
BINDIR=${BINDIR:-$PREFIX/bin}
DATADIR=$PREFIX/share/winhttp
manifest=$DESTDIR$DATADIR/install_manifest.txt

case "$PREFIX" in
    /*) ;;
    *) echo "install.sh: PREFIX must be an absolute path (got '$PREFIX')" >&2; exit 2 ;;
esac

# Linux: the loader finds libraries in /usr/local/lib (and other configured directories) through its cache,
# so a real install (no DESTDIR, as root) refreshes it, as `make install` of other libraries does.
refresh_loader_cache() {
    if [ -z "$DESTDIR" ] && [ "$(uname -s)" = Linux ] && [ "$(id -u)" = 0 ] && command -v ldconfig >/dev/null; then
        ldconfig || true
    fi
}

if [ "$action" = uninstall ]; then
    if [ ! -f "$manifest" ]; then
        echo "install.sh: no manifest at $manifest: nothing installed there (same PREFIX and DESTDIR?)" >&2
        exit 1
    fi
    while IFS= read -r f; do
        [ -n "$f" ] || continue
        if [ -e "$DESTDIR$f" ] || [ -L "$DESTDIR$f" ]; then
            rm -f "$DESTDIR$f"
            echo "removed $DESTDIR$f"
        fi
    done <"$manifest"
    rm -f "$manifest"
    # Only the directories that belong to us, and only when empty.
    rmdir "$DESTDIR$DATADIR" "$DESTDIR$LIBDIR/cmake/WinHTTP" 2>/dev/null || true
    refresh_loader_cache
    echo "uninstalled libwinhttp from $DESTDIR$PREFIX"
    exit 0
fi
if [ "$action" != install ]; then
    echo "usage: [PREFIX=/usr/local] [DESTDIR=] bash ci/install.sh [install|uninstall]" >&2
    exit 2
fi

target=${CARGO_TARGET_DIR:-target}
cc=${CC:-cc}
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
major=${version%%.*}
os=$(uname -s)

# One release build of every library type (cdylib, staticlib, rlib); rustc's note on the staticlib lists the
# system libraries a static link needs. Cargo replays that note when the build is already fresh.
echo "== building libwinhttp $version (release)"
build_log=$(mktemp)
trap 'rm -f "$build_log"' EXIT
if ! cargo rustc --release --lib -- --print native-static-libs 2>&1 | tee "$build_log"; then
    echo "install.sh: the release build failed" >&2
    exit 1
fi
native=$(sed -n 's/.*note: native-static-libs: //p' "$build_log" | tail -n 1)
if [ -z "$native" ]; then
    echo "install.sh: rustc printed no native-static-libs line" >&2
    exit 1
fi
echo "static link needs: $native"
rel=$target/release

case "$os" in
    Darwin)
        shared_real=libwinhttp.$version.dylib
        shared_major=libwinhttp.$major.dylib
        shared_dev=libwinhttp.dylib
        built_shared=$rel/libwinhttp.dylib
        ;;
    *)
        shared_real=libwinhttp.so.$version
        shared_major=libwinhttp.so.$major
        shared_dev=libwinhttp.so
        built_shared=$rel/libwinhttp.so
        ;;
esac

echo "== building the example client (examples/winhttp_fetch.c, static)"
fetch_bin=$(mktemp)
trap 'rm -f "$build_log" "$fetch_bin"' EXIT
# shellcheck disable=SC2086 # $native is a list of linker arguments
"$cc" -std=c11 -O2 -Wall -Wextra -Iinclude examples/winhttp_fetch.c "$rel/libwinhttp.a" $native -lm -o "$fetch_bin"

installed=()
put() { # put MODE SOURCE DEST
    install -m "$1" "$2" "$DESTDIR$3"
    installed+=("$3")
}
link() { # link TARGET NAME (in the same directory)
    ln -sfn "$1" "$DESTDIR$2"
    installed+=("$2")
}

echo "== installing into $DESTDIR$PREFIX"
install -d "$DESTDIR$INCLUDEDIR" "$DESTDIR$LIBDIR/pkgconfig" "$DESTDIR$LIBDIR/cmake/WinHTTP" "$DESTDIR$BINDIR" \
    "$DESTDIR$DATADIR"
put 644 include/winhttp.h "$INCLUDEDIR/winhttp.h"
put 644 "$rel/libwinhttp.a" "$LIBDIR/libwinhttp.a"
put 755 "$built_shared" "$LIBDIR/$shared_real"
link "$shared_real" "$LIBDIR/$shared_major"
link "$shared_major" "$LIBDIR/$shared_dev"
if [ "$os" = Darwin ]; then
    # The build's install name is @rpath/libwinhttp.<major>.dylib; installed, it is the absolute path.
    install_name_tool -id "$LIBDIR/$shared_major" "$DESTDIR$LIBDIR/$shared_real"
fi
put 755 "$fetch_bin" "$BINDIR/winhttp-fetch"

# pkg-config. `pkg-config --static --libs winhttp` adds Libs.private.
# Directories under the prefix are written relative to it (pkg-config --define-prefix can then relocate).
pc_dir() { case "$1" in "$PREFIX"/*) echo "\${prefix}${1#"$PREFIX"}" ;; *) echo "$1" ;; esac }
pc=$(mktemp)
cat >"$pc" <<EOF
prefix=$PREFIX
libdir=$(pc_dir "$LIBDIR")
includedir=$(pc_dir "$INCLUDEDIR")

Name: winhttp
Description: Microsoft's WinHTTP C API for Linux and macOS
Version: $version
Libs: -L\${libdir} -lwinhttp
Libs.private: $native
Cflags: -I\${includedir}
EOF
put 644 "$pc" "$LIBDIR/pkgconfig/winhttp.pc"
rm -f "$pc"

# CMake: "-framework X" pairs become one "-Wl,-framework,X" item so CMake keeps them together.
cmake_native=
read -r -a words <<<"$native"
i=0
while [ $i -lt ${#words[@]} ]; do
    w=${words[$i]}
    if [ "$w" = -framework ] && [ $((i + 1)) -lt ${#words[@]} ]; then
        w="-Wl,-framework,${words[$((i + 1))]}"
        i=$((i + 1))
    fi
    cmake_native="$cmake_native${cmake_native:+;}$w"
    i=$((i + 1))
done
cfg=$(mktemp)
cat >"$cfg" <<EOF
# CMake package of libwinhttp $version, written by ci/install.sh.
#
#   find_package(WinHTTP REQUIRED)
#   target_link_libraries(app PRIVATE WinHTTP::winhttp)
#
# Targets: WinHTTP::winhttp_shared ($shared_dev), WinHTTP::winhttp_static (libwinhttp.a and the system
# libraries it needs), and WinHTTP::winhttp: the shared one, or the static one when WinHTTP_USE_STATIC_LIBS is
# ON before find_package.
if(NOT TARGET WinHTTP::winhttp)
  set(WinHTTP_VERSION "$version")
  set(WinHTTP_INCLUDE_DIRS "$INCLUDEDIR")

  add_library(WinHTTP::winhttp_shared SHARED IMPORTED)
  set_target_properties(WinHTTP::winhttp_shared PROPERTIES
    IMPORTED_LOCATION "$LIBDIR/$shared_real"
    IMPORTED_SONAME "$( [ "$os" = Darwin ] && echo "$LIBDIR/$shared_major" || echo "$shared_major")"
    INTERFACE_INCLUDE_DIRECTORIES "$INCLUDEDIR")

  add_library(WinHTTP::winhttp_static STATIC IMPORTED)
  set_target_properties(WinHTTP::winhttp_static PROPERTIES
    IMPORTED_LOCATION "$LIBDIR/libwinhttp.a"
    IMPORTED_LINK_INTERFACE_LANGUAGES "C"
    INTERFACE_INCLUDE_DIRECTORIES "$INCLUDEDIR"
    INTERFACE_LINK_LIBRARIES "$cmake_native")

  add_library(WinHTTP::winhttp INTERFACE IMPORTED)
  if(WinHTTP_USE_STATIC_LIBS)
    set_target_properties(WinHTTP::winhttp PROPERTIES INTERFACE_LINK_LIBRARIES WinHTTP::winhttp_static)
  else()
    set_target_properties(WinHTTP::winhttp PROPERTIES INTERFACE_LINK_LIBRARIES WinHTTP::winhttp_shared)
  endif()
  set(WinHTTP_LIBRARIES WinHTTP::winhttp)
endif()
EOF
put 644 "$cfg" "$LIBDIR/cmake/WinHTTP/WinHTTPConfig.cmake"
cat >"$cfg" <<EOF
# Version file of the WinHTTP CMake package: compatible when the major version matches (for 0.x, the
# minor version too) and the installed version is at least the one asked for.
set(PACKAGE_VERSION "$version")
set(PACKAGE_VERSION_COMPATIBLE FALSE)
if(PACKAGE_FIND_VERSION_MAJOR EQUAL "$major" AND NOT PACKAGE_VERSION VERSION_LESS PACKAGE_FIND_VERSION)
  if(NOT "$major" EQUAL 0 OR PACKAGE_FIND_VERSION_MINOR EQUAL "$(echo "$version" | cut -d. -f2)")
    set(PACKAGE_VERSION_COMPATIBLE TRUE)
  endif()
endif()
if(PACKAGE_FIND_VERSION STREQUAL PACKAGE_VERSION)
  set(PACKAGE_VERSION_EXACT TRUE)
endif()
EOF
put 644 "$cfg" "$LIBDIR/cmake/WinHTTP/WinHTTPConfigVersion.cmake"
rm -f "$cfg"

installed+=("$DATADIR/install_manifest.txt")
printf '%s\n' "${installed[@]}" >"$manifest"
printf '  %s\n' "${installed[@]}"
refresh_loader_cache
echo "installed libwinhttp $version into $DESTDIR$PREFIX (bash ci/install.sh uninstall removes it)"
