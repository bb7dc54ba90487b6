#!/bin/sh
# An install into a prefix the dynamic loader does not search (a temporary
# one, as ~/.local or /opt would be): meson writes the libdir into the
# installed programs' RUNPATH, so they start without LD_LIBRARY_PATH; and a
# program built from examples/Makefile with the rpath the README gives for
# such a prefix does too. The installed example also shows FFmpeg's own log
# line, routed through its logger with the camera password hidden.
#   test_install_prefix.sh SOURCE_DIR
set -eu
src=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix
fail() { echo "$*"; exit 1; }

# Only the library and the example: the rest of the project is not what this checks.
meson setup "$tmp/build" "$src" --prefix "$prefix" -Dbuildtype=debugoptimized -Dwerror=true \
    -Dtests=false -Ddaemon=disabled -Donvif=disabled >"$tmp/setup.log" 2>&1 ||
    { cat "$tmp/setup.log"; fail "meson setup failed"; }
grep -q "after install *: RUNPATH $prefix/" "$tmp/setup.log" ||
    { cat "$tmp/setup.log"; fail "a temporary prefix was not seen as one the loader does not search"; }
ninja -C "$tmp/build" >"$tmp/build.log" 2>&1 || { tail -30 "$tmp/build.log"; fail "build failed"; }
meson install -C "$tmp/build" --quiet >"$tmp/install.log" 2>&1 || { cat "$tmp/install.log"; fail "install failed"; }

so=$(find "$prefix" -name 'liblightstream.so.0' | head -n 1)
[ -n "$so" ] || fail "no liblightstream.so.0 under $prefix"
libdir=$(dirname "$so")
relay=$prefix/bin/lightstream-relay
[ -x "$relay" ] || fail "lightstream-relay not installed in $prefix/bin"
readelf -d "$relay" | grep -E 'RUNPATH|RPATH' | grep -qF "[$libdir]" ||
    fail "installed lightstream-relay has no RUNPATH to $libdir: $(readelf -d "$relay" | grep -E 'RUNPATH|RPATH')"
env -u LD_LIBRARY_PATH ldd "$relay" | grep -qF "liblightstream.so.0 => $libdir/liblightstream.so.0" ||
    fail "installed lightstream-relay does not load $so: $(env -u LD_LIBRARY_PATH ldd "$relay")"

# Run it for a second against a closed loopback port: the library and FFmpeg both log the failure.
rc=0
env -u LD_LIBRARY_PATH "$relay" --duration 1 'rtsp://admin:hunter2@127.0.0.1:1/live' \
    >"$tmp/out" 2>"$tmp/err" || rc=$?
[ "$rc" = 0 ] || { cat "$tmp/err"; fail "installed lightstream-relay exited $rc"; }
grep -q '^\[error\] ffmpeg: \[tcp @ [^]]*\] Connection to tcp://127.0.0.1:1' "$tmp/err" ||
    { cat "$tmp/err"; fail "FFmpeg's connection error did not come through the example's logger"; }
grep -q 'rtsp://admin:\*\*\*\*@127.0.0.1:1/live' "$tmp/err" || { cat "$tmp/err"; fail "no redacted URL logged"; }
! grep -q hunter2 "$tmp/out" "$tmp/err" || fail "the camera password was printed"

# examples/Makefile against the installed .pc, with the rpath the README gives.
cp "$src/examples/Makefile" "$src/examples/relay.c" "$tmp/"
export PKG_CONFIG_PATH="$libdir/pkgconfig"
make -s -C "$tmp" LDFLAGS="-Wl,-rpath,$(pkg-config --variable=libdir lightstream)" >"$tmp/make.log" 2>&1 ||
    { cat "$tmp/make.log"; fail "examples/Makefile failed against $libdir/pkgconfig"; }
rc=0
env -u LD_LIBRARY_PATH "$tmp/lightstream-relay" --bogus 2>"$tmp/err" || rc=$?
[ "$rc" = 2 ] || { cat "$tmp/err"; fail "the Makefile-built example exited $rc (2: usage) without LD_LIBRARY_PATH"; }
echo "prefix install: RUNPATH $libdir; installed and Makefile-built examples start without LD_LIBRARY_PATH"
