#!/bin/sh
# Makes the clip `daemon/run.sh --demo` plays, once: H.264 + AAC, the test camera's format.
#
#   daemon/demo_clip.sh OUT.mp4
#
# The test camera (tests/harness/camera.py) loops every clip at exactly 32 s, so the clip lasts
# 32 s (800 frames at 25 fps, an IDR every second) with 33 s of AAC (the camera keeps the first
# 1500 frames). At 320x180 with x264's ultrafast preset it takes about a second, where the
# nine clips of tests/harness/media.sh take most of a minute: the demo must start in seconds.
# The audio is encoded while the video is; both are then muxed without re-encoding.
set -eu
out=$1
[ -s "$out" ] && exit 0
command -v ffmpeg >/dev/null || { echo "demo_clip.sh: ffmpeg is missing (tests/harness/deps.sh --demo)" >&2; exit 1; }
mkdir -p "$(dirname "$out")"
work=$(mktemp -d "$(dirname "$out")/.demo.XXXXXX")
trap 'rm -rf "$work"' EXIT
ff() { ffmpeg -nostdin -hide_banner -loglevel error -y "$@"; }

ff -f lavfi -i testsrc=size=320x180:rate=25:duration=32 -c:v libx264 -preset ultrafast \
   -g 25 -keyint_min 25 -sc_threshold 0 -bf 0 -pix_fmt yuv420p \
   -b:v 400k -maxrate 400k -bufsize 400k -an "$work/v.mp4" &
video=$!
ff -f lavfi -i sine=frequency=1000:beep_factor=2:sample_rate=48000:duration=33 \
   -ac 1 -c:a aac -b:a 64k "$work/a.m4a"
wait "$video" || { echo "demo_clip.sh: encoding the video failed" >&2; exit 1; }
ff -i "$work/v.mp4" -i "$work/a.m4a" -map 0:v:0 -map 1:a:0 -c copy -movflags +faststart \
   "$work/clip.mp4"
mv -f "$work/clip.mp4" "$out"
