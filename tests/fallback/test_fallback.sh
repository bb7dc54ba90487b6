#!/bin/sh
# subprojects/ works: lightstreamd builds with libevent and jansson from their wraps instead of
# the system's -dev packages, offline, and the daemon built that way answers its API.
#
#   test_fallback.sh SOURCE_DIR [SANITIZERS]     (SANITIZERS: meson's b_sanitize, e.g. address,undefined)
#
# The wraps' tarballs come from Debian's source packages (tests/harness/deps.sh --tests fetches
# them into tests/.cache/wrap-sources, or set LS_WRAP_SOURCES): each must have the hash its wrap
# names, i.e. be upstream's release tarball. A copy of the source tree gets them in
# subprojects/packagecache and is configured with --force-fallback-for and
# --wrap-mode=nodownload (nothing may be downloaded); the daemon must then link neither
# system library and serve POST/GET/DELETE /api/v1/relays (evhttp + jansson at work).
set -eu
src=$1
sanitize=${2:-none}
cache=${LS_WRAP_SOURCES:-$src/tests/.cache/wrap-sources}
fail() { echo "FAIL: $*" >&2; exit 1; }

work=$(mktemp -d)
lsd=
# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
    [ -z "$lsd" ] || kill -TERM "$lsd" 2>/dev/null || true
    [ -z "$lsd" ] || wait "$lsd" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# The source tree without builds, caches, node_modules or extracted subprojects.
mkdir "$work/src"
tar -C "$src" --exclude=./.git --exclude='./build*' --exclude=./tests/.cache \
    --exclude=node_modules --exclude='./subprojects/packagecache' \
    --exclude='./subprojects/jansson-*' --exclude='./subprojects/libevent-*' -cf - . |
    tar -C "$work/src" -xf -
mkdir -p "$work/src/subprojects/packagecache"

# Debian's .orig tarball for each wrap, checked against the wrap's hash.
for p in jansson:jansson_2.14.orig.tar.gz libevent:libevent_2.1.12-stable.orig.tar.gz; do
    wrap="$src/subprojects/${p%%:*}.wrap" deb="$cache/${p#*:}"
    [ -s "$deb" ] || fail "$deb is missing: run tests/harness/deps.sh --tests (apt-get source ${p%%:*})"
    name=$(sed -n 's/^source_filename *= *//p' "$wrap")
    hash=$(sed -n 's/^source_hash *= *//p' "$wrap")
    got=$(sha256sum "$deb" | cut -d' ' -f1)
    [ "$got" = "$hash" ] || fail "${deb##*/} (sha256 $got) is not the tarball $wrap names ($hash)"
    cp "$deb" "$work/src/subprojects/packagecache/$name"
done

# -O0 and no ONVIF, tests or examples: this checks the fallback, not the optimiser.
meson setup "$work/build" "$work/src" --wrap-mode=nodownload \
    --force-fallback-for=jansson,libevent,libevent_pthreads -Ddaemon=enabled \
    -Donvif=disabled -Dtests=false -Dexamples=false -Doptimization=0 -Dwerror=true \
    -Db_sanitize="$sanitize" -Db_lundef="$([ "$sanitize" = none ] && echo true || echo false)" \
    >"$work/setup.log" 2>&1 || { cat "$work/setup.log"; fail "meson setup with the fallback failed"; }
grep -Eq '^ *jansson *: *YES' "$work/setup.log" || { cat "$work/setup.log"; fail "jansson subproject not used"; }
grep -Eq '^ *libevent *: *YES' "$work/setup.log" || { cat "$work/setup.log"; fail "libevent subproject not used"; }
ninja -C "$work/build" daemon/lightstreamd >"$work/build.log" 2>&1 || { cat "$work/build.log"; fail "the build failed"; }
if grep -i 'warning' "$work/build.log"; then fail "the fallback build warns"; fi

exe="$work/build/daemon/lightstreamd"
if ldd "$exe" | grep -E 'libevent|libjansson'; then fail "lightstreamd links the system's libraries"; fi
for sym in evhttp_new evthread_use_pthreads json_loads; do
    nm "$exe" | grep -q " T $sym\$" || fail "$sym is not built into lightstreamd"
done

# It runs: a relay added, read back and removed through the JSON API.
mkdir "$work/data"
"$exe" --data-dir "$work/data" --web-dir "$src/daemon/web" --listen 127.0.0.1 --port 0 \
    --port-file "$work/data/port" 2>"$work/lsd.log" &
lsd=$!
i=0
while [ ! -s "$work/data/port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
[ -s "$work/data/port" ] || { cat "$work/lsd.log"; fail "lightstreamd did not start"; }
base="http://127.0.0.1:$(cat "$work/data/port")/api/v1/relays"
code=$(curl -s -o "$work/post" -w '%{http_code}' -H 'Content-Type: application/json' \
    -d '{"id":"fb","source":"rtsp://127.0.0.1:9/x"}' "$base")
[ "$code" = 201 ] || fail "POST answered $code: $(cat "$work/post")"
curl -sf "$base/fb" | grep -q '"source": *"rtsp://127.0.0.1:9/x"' || fail "GET does not give the relay back"
code=$(curl -s -o /dev/null -w '%{http_code}' -X DELETE "$base/fb")
[ "$code" = 204 ] || fail "DELETE answered $code"
# A clean stop (in a sanitizer build: no leak, no undefined behaviour reported).
kill -TERM "$lsd"
st=0
wait "$lsd" || st=$?
lsd=
[ "$st" = 0 ] || { cat "$work/lsd.log"; fail "lightstreamd exited with status $st on SIGTERM"; }
echo "lightstreamd built with libevent $(sed -n 's/^project(.libevent., .c., version: .\([0-9.]*\).*/\1/p' \
    "$src/subprojects/packagefiles/libevent/meson.build") and jansson from subprojects/, offline; its API works"
