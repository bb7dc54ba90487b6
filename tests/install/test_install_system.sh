#!/bin/sh
# An install into the standard prefix as root, as a user does it: `meson
# install` (no DESTDIR) refreshes the loader's cache (ldconfig), so the
# installed programs start without LD_LIBRARY_PATH or RUNPATH, `man
# lightstreamd` finds the page and the docs are in share/doc/liblightstream.
# It runs in a private mount namespace where the prefix and /etc are overlays
# on a tmpfs: the machine's own stay exactly as they were.
#   test_install_system.sh BUILD_DIR
set -eu
build=$(cd "$1" && pwd)
fail() { echo "$*"; exit 1; }

if [ -z "${LS_INSTALL_NS:-}" ]; then
    [ "$(id -u)" = 0 ] || { echo "SKIP: needs root for a private mount namespace"; exit 77; }
    exec unshare -m --propagation private env LS_INSTALL_NS=1 sh "$0" "$@"
fi

opt() { meson introspect --buildoptions "$build" |
        python3 -c "import json,sys; print(next(o['value'] for o in json.load(sys.stdin) if o['name']=='$1'))"; }
prefix=$(opt prefix)
libdir=$prefix/$(opt libdir)
grep -q "after install *: ldconfig" "$build/meson-logs/meson-log.txt" ||
    { echo "SKIP: $libdir is not in the loader's path (this test is for a standard prefix)"; exit 77; }

tmp=$(mktemp -d)
mount -t tmpfs tmpfs "$tmp"
mkdir -p "$prefix" "$tmp/pu" "$tmp/pw" "$tmp/eu" "$tmp/ew"
mount -t overlay overlay -o "lowerdir=$prefix,upperdir=$tmp/pu,workdir=$tmp/pw" "$prefix"
mount -t overlay overlay -o "lowerdir=/etc,upperdir=$tmp/eu,workdir=$tmp/ew" /etc
[ ! -e "$libdir/liblightstream.so.0" ] || fail "$libdir already holds a liblightstream: the test cannot tell"

meson install -C "$build" --quiet >"$tmp/install.log" 2>&1 || { cat "$tmp/install.log"; fail "meson install failed"; }
ldconfig -p | grep -qF "liblightstream.so.0 (" ||
    { cat "$tmp/install.log"; fail "the loader's cache does not list liblightstream.so.0: ldconfig did not run"; }

relay=$prefix/bin/lightstream-relay
[ -x "$relay" ] || fail "lightstream-relay not installed in $prefix/bin"
! readelf -d "$relay" | grep -qE 'RUNPATH|RPATH' || fail "lightstream-relay has an rpath in a standard prefix"
env -u LD_LIBRARY_PATH ldd "$relay" | grep -qF "liblightstream.so.0 => $libdir/liblightstream.so.0" ||
    fail "lightstream-relay does not load $libdir/liblightstream.so.0: $(env -u LD_LIBRARY_PATH ldd "$relay")"
rc=0
env -u LD_LIBRARY_PATH "$relay" --bogus 2>"$tmp/err" || rc=$?
[ "$rc" = 2 ] || { cat "$tmp/err"; fail "lightstream-relay exited $rc (2: usage) without LD_LIBRARY_PATH"; }

[ -f "$prefix/share/doc/liblightstream/api.md" ] || fail "docs/api.md not installed in share/doc/liblightstream"
[ -f "$prefix/include/lightstream/ffmpeg_log.h" ] || fail "lightstream/ffmpeg_log.h not installed"
if [ -x "$prefix/sbin/lightstreamd" ]; then
    rc=0
    env -u LD_LIBRARY_PATH "$prefix/sbin/lightstreamd" --version >"$tmp/out" 2>&1 || rc=$?
    [ "$rc" = 0 ] || { cat "$tmp/out"; fail "installed lightstreamd --version exited $rc"; }
    page=$(PATH="$prefix/bin:$prefix/sbin:$PATH" man -w lightstreamd 2>&1) ||
        fail "man -w lightstreamd: $page"
    [ "$(realpath "$page")" = "$(realpath "$prefix/share/man/man8/lightstreamd.8")" ] ||
        fail "man found $page, not ours"
fi
echo "standard prefix: ldconfig ran; lightstream-relay$([ -x "$prefix/sbin/lightstreamd" ] && echo ", lightstreamd and man lightstreamd") work from $prefix"
