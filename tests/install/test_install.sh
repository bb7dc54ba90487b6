#!/bin/sh
# Installs the build into a temporary DESTDIR and checks what a user gets:
# lightstream.pc, headers, a shared library exporting only the ls_ API, and
# the example building from its plain Makefile against the installed .pc.
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
for h in lightstream.h common.h relay.h events.h version.h; do
    [ -n "$(find "$dest" -path "*/include/lightstream/$h")" ] || { echo "header $h missing"; exit 1; }
done
leaked=$(nm -D --defined-only "$so" | awk '{print $3}' | grep -v '^ls_' || true)
[ -z "$leaked" ] || { echo "symbols exported beyond the ls_ API: $leaked"; exit 1; }
nm -D --defined-only "$so" | grep -q ' ls_relay_create$' || { echo "ls_relay_create not exported"; exit 1; }
work=$(mktemp -d "$dest/ex.XXXXXX")
cp "$src/examples/Makefile" "$src/examples/relay.c" "$work/"
PKG_CONFIG_SYSROOT_DIR="$dest" PKG_CONFIG_PATH="$(dirname "$pc")" make -s -C "$work" >/dev/null
LD_LIBRARY_PATH="$(dirname "$so")" "$work/lightstream-relay" --bogus 2>/dev/null && {
    echo "the example accepted a bogus option"; exit 1; }
LD_LIBRARY_PATH="$(dirname "$so")" ldd "$work/lightstream-relay" | grep -q "$(dirname "$so")/liblightstream.so" || {
    echo "the example did not link the installed library"; exit 1; }
echo "installed: $(basename "$so"), $(nm -D --defined-only "$so" | grep -c ' ls_') symbols, example built"
