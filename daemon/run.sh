#!/bin/sh
# The run command (README): install what is missing, build, run lightstreamd.
#
#   daemon/run.sh [--demo] [lightstreamd option]...
#
# Installs what is missing (tests/harness/deps.sh --build-only: the compiler, the -dev
# libraries and mpegts.js for the page, without npm; nothing for the tests), builds only what
# it runs into build/run (release, no tests, examples or fuzzers; quiet: only the compiler's
# own messages would show, and there are none), and starts build/run/daemon/lightstreamd with its state in build/lightstreamd-data and the
# page from daemon/web, listening on 127.0.0.1:2233 unless told otherwise; then prints the page's
# address. Other options go to lightstreamd as they are (see `daemon/run.sh --help`), e.g.
# `daemon/run.sh --port 8080 --log-level debug`; tokens come from LSD_API_TOKEN and
# LSD_VIEWER_TOKEN in the environment (open the page as /#token=...&vtoken=...).
#
# --demo  also starts the project's test camera (gst-rtsp-server on 127.0.0.1, serving one
#         32 s 320x180 H.264 + AAC clip that ffmpeg makes in about a second, once, into
#         build/demo-media) and adds it as the relay "demo", ready to play in the page. The demo
#         relay is not kept: run.sh removes it on exit, and it holds a 30 s lease that run.sh
#         renews while it runs, so even after a crash or kill -9 the next run does not retry a
#         camera that is gone.
#
# Ctrl-C (or SIGTERM, SIGHUP) stops lightstreamd cleanly, and the camera with it.
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)

demo=0
if [ "${1:-}" = --demo ]; then
    demo=1
    shift
fi

if [ "$demo" = 1 ]; then
    bash tests/harness/deps.sh --demo
else
    bash tests/harness/deps.sh --build-only
fi

# Only what runs: the library, lightstreamd (and the ONVIF client it links when gSOAP is there).
# meson's report goes to a log, shown when setup fails; ninja --quiet prints only what the
# compiler says, which for this tree is nothing.
# LS_RUN_BUILD=DIR uses a build directory configured elsewhere (tests/daemon/test_run_demo.sh
# runs the tested build's lightstreamd); LS_RUN_STATE=DIR keeps lightstreamd-data and the
# demo clip there instead of in build/.
if [ -n "${LS_RUN_BUILD:-}" ]; then
    build=$LS_RUN_BUILD
    ninja --quiet -C "$build" daemon/lightstreamd >&2
else
    build=$top/build/run
    if [ ! -f "$build/build.ninja" ]; then
        mkdir -p build
        echo "run.sh: configuring build/run (log: build/run-setup.log)" >&2
        meson setup "$build" -Dbuildtype=release -Dtests=false -Dexamples=false \
            >build/run-setup.log 2>&1 || { cat build/run-setup.log >&2; exit 1; }
    fi
    echo "run.sh: building build/run" >&2
    ninja --quiet -C "$build" >&2
fi
state=${LS_RUN_STATE:-$top/build}

daemon="$build/daemon/lightstreamd"
web="$top/daemon/web"
data="$state/lightstreamd-data"
[ -x "$daemon" ] || { echo "run.sh: $daemon was not built (libevent or jansson missing?)" >&2; exit 1; }
[ -f "$web/node_modules/mpegts.js/dist/mpegts.js" ] ||
    { echo "run.sh: $web/node_modules/mpegts.js is missing (deps.sh fetches it)" >&2; exit 1; }

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
renew=
# api METHOD PATH JSON: prints the HTTP status. The token goes through stdin, not argv (ps).
api() {
    printf 'Content-Type: application/json\n%s\n' \
        "${LSD_API_TOKEN:+Authorization: Bearer $LSD_API_TOKEN}" |
        curl -s -o /dev/null -w '%{http_code}' -X "$1" -H @- -d "$3" "$base$2" || echo 000
}
# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
    [ -z "$renew" ] || kill -TERM "$renew" 2>/dev/null || true
    # The demo relay goes with the demo camera: a later run must not retry it.
    [ -z "$cam" ] || [ -z "$lsd" ] || [ "$(api DELETE /api/v1/relays/demo '')" = 204 ] ||
        echo "run.sh: could not remove the demo relay (its 30 s lease removes it)" >&2
    [ -z "$lsd" ] || kill -TERM "$lsd" 2>/dev/null || true
    [ -z "$lsd" ] || wait "$lsd" 2>/dev/null || true
    [ -z "$cam" ] || kill -TERM "$cam" 2>/dev/null || true
    [ -z "$cam_out" ] || rm -f "$cam_out"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

if [ "$demo" = 1 ]; then
    # Demo camera: one looped clip served by gst-rtsp-server on 127.0.0.1, demuxed before READY.
    t0=$(date +%s.%N)
    media="$state/demo-media"
    sh daemon/demo_clip.sh "$media/h264_aac.mp4"
    cam_out=$(mktemp)
    /usr/bin/python3 tests/harness/camera.py --media "$media" --mount /h264_aac --preload \
        --port 0 >"$cam_out" &
    cam=$!
    i=0
    while [ $i -lt 200 ] && ! grep -q READY "$cam_out"; do sleep 0.05; i=$((i + 1)); done
    cam_port=$(sed -n 's/^READY \([0-9]*\).*/\1/p' "$cam_out")
    [ -n "$cam_port" ] || { echo "run.sh: the test camera did not start" >&2; exit 1; }
    awk -v a="$t0" -v b="$(date +%s.%N)" \
        'BEGIN { printf "demo: the test camera and its clip were ready in %.1f s\n", b - a }' >&2
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
    spec="{\"id\":\"demo\",\"source\":\"$src\",\"lease_s\":30}"
    code=$(api POST /api/v1/relays "$spec")
    # A "demo" whose lease has not run out yet (an earlier run killed seconds ago): replace it.
    if [ "$code" = 409 ]; then
        api DELETE /api/v1/relays/demo '' >/dev/null
        code=$(api POST /api/v1/relays "$spec")
    fi
    case "$code" in
        2??) echo "demo: the test camera $src is the relay \"demo\" ($base/live/demo.flv)" >&2 ;;
        *) echo "run.sh: adding the demo relay failed (HTTP $code)" >&2 ;;
    esac
    # Renew the lease while this script lives (kill -0 $$: not after a kill -9 of it either).
    # The loop's sleep goes with it: a stray sleep would hold the terminal for up to 10 s.
    (
        nap=
        trap '[ -z "$nap" ] || kill "$nap" 2>/dev/null; exit 0' TERM
        while sleep 10 & nap=$! && wait "$nap" && kill -0 $$ 2>/dev/null; do
            api POST /api/v1/relays/demo/lease '{}' >/dev/null
        done
    ) &
    renew=$!
fi

echo "lightstreamd: open $base/ in a browser (Ctrl-C stops)"
status=0
wait "$lsd" || status=$?
lsd=
exit "$status"
