#!/bin/sh
# The run command (README): install what is missing, build, run.
#
#   daemon/run.sh rtsp://camera/stream [rtmp://server/app/key | out.flv]...
#   daemon/run.sh            (demo: the project's test camera on 127.0.0.1 → build/demo.flv)
#
# Until lightstreamd lands this runs the lightstream-relay example.
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
if [ $# -eq 0 ]; then
    bash tests/harness/deps.sh --tests
else
    bash tests/harness/deps.sh --build-only
fi
[ -f build/release/build.ninja ] || meson setup build/release -Dbuildtype=release >&2
ninja -C build/release >&2
relay="$top/build/release/examples/lightstream-relay"

if [ $# -gt 0 ]; then
    exec "$relay" "$@"
fi

# Demo: a looped test clip served by gst-rtsp-server on 127.0.0.1.
bash tests/harness/media.sh "$top/build/media" >&2
out=$(mktemp)
/usr/bin/python3 tests/harness/camera.py --media "$top/build/media" --port 0 >"$out" &
cam=$!
trap 'kill $cam 2>/dev/null; rm -f "$out"' EXIT INT TERM
for _ in $(seq 1 100); do grep -q READY "$out" && break; sleep 0.1; done
port=$(sed -n 's/^READY \([0-9]*\).*/\1/p' "$out")
[ -n "$port" ] || { echo "the test camera did not start" >&2; exit 1; }
echo "demo: relaying rtsp://127.0.0.1:$port/h264_aac into $top/build/demo.flv (Ctrl-C stops)" >&2
"$relay" "rtsp://127.0.0.1:$port/h264_aac" "$top/build/demo.flv" || true
