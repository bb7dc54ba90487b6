#!/bin/sh
# Installs the build into a temporary DESTDIR and checks what a user gets:
# lightstream.pc, headers, a shared library exporting only the ls_ API, the
# docs and the man page, programs without the build tree in their RUNPATH, and
# the example building from its plain Makefile against the installed .pc.
# (A DESTDIR is not where programs look for the library: LD_LIBRARY_PATH
# stands in for the real prefix here; test_install_system.sh and
# test_install_prefix.sh run installed programs without it.)
#   test_install.sh BUILD_DIR SOURCE_DIR
set -eu
build=$1
src=$2
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
meson install -C "$build" --destdir "$dest" --quiet >/dev/null
pc=$(find "$dest" -name lightstream.pc | head -n 1)
[ -n "$pc" ] || { echo "no lightstream.pc installed"; exit 1; }
so=$(find "$dest" -name 'liblightstream.so.*' -type f | head -n 1)
[ -n "$so" ] || { echo "no shared library installed"; exit 1; }
for h in lightstream.h common.h relay.h events.h version.h redact.h ffmpeg_log.h; do
    [ -n "$(find "$dest" -path "*/include/lightstream/$h")" ] || { echo "header $h missing"; exit 1; }
done
leaked=$(nm -D --defined-only "$so" | awk '{print $3}' | grep -v '^ls_' || true)
[ -z "$leaked" ] || { echo "symbols exported beyond the ls_ API: $leaked"; exit 1; }
for f in ls_relay_create ls_ffmpeg_log_route ls_ffmpeg_log_unroute; do
    nm -D --defined-only "$so" | grep -q " $f\$" || { echo "$f not exported"; exit 1; }
done
for d in api.md architecture.md timestamps.md README.md NEWS; do
    [ -n "$(find "$dest" -path "*/share/doc/liblightstream/$d")" ] || { echo "doc $d not installed"; exit 1; }
done
for exe in $(find "$dest" -path '*/bin/*' -type f; find "$dest" -path '*/sbin/*' -type f); do
    ! readelf -d "$exe" | grep -E 'RUNPATH|RPATH' | grep -qF "$build" || {
        echo "installed $(basename "$exe") keeps the build tree in its RUNPATH"; exit 1; }
    if [ "$(basename "$exe")" = lightstreamd ]; then
        [ -n "$(find "$dest" -path '*/share/man/man8/lightstreamd.8')" ] || { echo "lightstreamd.8 not installed"; exit 1; }
    fi
done
work=$(mktemp -d "$dest/ex.XXXXXX")
cp "$src/examples/Makefile" "$src/examples/relay.c" "$work/"
PKG_CONFIG_SYSROOT_DIR="$dest" PKG_CONFIG_PATH="$(dirname "$pc")" make -s -C "$work" >/dev/null
LD_LIBRARY_PATH="$(dirname "$so")" "$work/lightstream-relay" --bogus 2>/dev/null && {
    echo "the example accepted a bogus option"; exit 1; }
LD_LIBRARY_PATH="$(dirname "$so")" ldd "$work/lightstream-relay" | grep -q "$(dirname "$so")/liblightstream.so" || {
    echo "the example did not link the installed library"; exit 1; }
echo "installed: $(basename "$so"), $(nm -D --defined-only "$so" | grep -c ' ls_') symbols, example built"
