#!/bin/sh
# The run command (README): install what is missing, build, run lightstreamd.
#
#   daemon/run.sh [--demo] [lightstreamd option]...
#
# Builds build/release, makes sure mpegts.js is installed for the page (npm ci in daemon/web),
# and starts build/release/daemon/lightstreamd with its state in build/lightstreamd-data and the
# page from daemon/web, listening on 127.0.0.1:2233 unless told otherwise; then prints the page's
# address. Other options go to lightstreamd as they are (see `daemon/run.sh --help`), e.g.
# `daemon/run.sh --port 8080 --log-level debug`; tokens come from LSD_API_TOKEN and
# LSD_VIEWER_TOKEN in the environment (open the page as /#token=...&vtoken=...).
#
# --demo  also starts the project's test camera (gst-rtsp-server on 127.0.0.1, a looped clip)
#         and adds it as the relay "demo", ready to play in the page.
#
# Ctrl-C (or SIGTERM) stops lightstreamd cleanly, and the camera with it.
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)

demo=0
if [ "${1:-}" = --demo ]; then
    demo=1
    shift
fi

if [ "$demo" = 1 ]; then
    bash tests/harness/deps.sh --tests
else
    bash tests/harness/deps.sh --build-only
fi
[ -f build/release/build.ninja ] || meson setup build/release -Dbuildtype=release >&2
ninja -C build/release >&2

daemon="$top/build/release/daemon/lightstreamd"
web="$top/daemon/web"
data="$top/build/lightstreamd-data"
[ -x "$daemon" ] || { echo "run.sh: $daemon was not built (libevent or jansson missing?)" >&2; exit 1; }
if [ ! -f "$web/node_modules/mpegts.js/dist/mpegts.js" ]; then
    (cd "$web" && npm ci --no-audit --no-fund --loglevel=error) >&2
fi

# The address to print: what --listen/-l says, else the default; a wildcard is reached on loopback.
host=127.0.0.1
prev=
for a in "$@"; do
    case "$prev" in --listen | -l) host=$a ;; esac
    case "$a" in --listen=*) host=${a#--listen=} ;; esac
    prev=$a
done
case "$host" in 0.0.0.0 | "::" | "[::]" | "") host=127.0.0.1 ;; *:*) host="[$host]" ;; esac

mkdir -p "$data"
port_file="$data/port"
rm -f "$port_file"
cam=
cam_out=
lsd=
# api METHOD PATH JSON: prints the HTTP status. The token goes through stdin, not argv (ps).
api() {
    printf 'Content-Type: application/json\n%s\n' \
        "${LSD_API_TOKEN:+Authorization: Bearer $LSD_API_TOKEN}" |
        curl -s -o /dev/null -w '%{http_code}' -X "$1" -H @- -d "$3" "$base$2" || echo 000
}
# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
    [ -z "$lsd" ] || kill -TERM "$lsd" 2>/dev/null || true
    [ -z "$lsd" ] || wait "$lsd" 2>/dev/null || true
    [ -z "$cam" ] || kill -TERM "$cam" 2>/dev/null || true
    [ -z "$cam_out" ] || rm -f "$cam_out"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ "$demo" = 1 ]; then
    # Demo camera: a looped test clip served by gst-rtsp-server on 127.0.0.1.
    bash tests/harness/media.sh "$top/build/media" >&2
    cam_out=$(mktemp)
    /usr/bin/python3 tests/harness/camera.py --media "$top/build/media" --port 0 >"$cam_out" &
    cam=$!
    i=0
    while [ $i -lt 100 ] && ! grep -q READY "$cam_out"; do sleep 0.1; i=$((i + 1)); done
    cam_port=$(sed -n 's/^READY \([0-9]*\).*/\1/p' "$cam_out")
    [ -n "$cam_port" ] || { echo "run.sh: the test camera did not start" >&2; exit 1; }
fi

"$daemon" --data-dir "$data" --web-dir "$web" --port-file "$port_file" "$@" &
lsd=$!
i=0
while [ $i -lt 200 ] && [ ! -s "$port_file" ] && kill -0 "$lsd" 2>/dev/null; do
    sleep 0.05
    i=$((i + 1))
done
if ! kill -0 "$lsd" 2>/dev/null; then
    # --help, --version, a bad option or a port in use: lightstreamd said why
    status=0
    wait "$lsd" || status=$?
    lsd=
    exit "$status"
fi
port=$(cat "$port_file" 2>/dev/null || true)
[ -n "$port" ] || { port=2233; echo "run.sh: lightstreamd did not write $port_file; assuming port $port" >&2; }
base="http://$host:$port"

if [ "$demo" = 1 ]; then
    src="rtsp://127.0.0.1:$cam_port/h264_aac"
    # A "demo" kept from an earlier run points at that run's camera port: replace its source.
    code=$(api POST /api/v1/relays "{\"id\":\"demo\",\"source\":\"$src\"}")
    [ "$code" != 409 ] || code=$(api PATCH /api/v1/relays/demo "{\"source\":\"$src\"}")
    case "$code" in
        2??) echo "demo: the test camera $src is the relay \"demo\" ($base/live/demo.flv)" >&2 ;;
        *) echo "run.sh: adding the demo relay failed (HTTP $code)" >&2 ;;
    esac
fi

echo "lightstreamd: open $base/ in a browser (Ctrl-C stops)"
status=0
wait "$lsd" || status=$?
lsd=
exit "$status"
