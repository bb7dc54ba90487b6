#!/usr/bin/env bash
# Makes the looped test clips for the test camera (tests/harness/camera.py) with Debian's ffmpeg.
#
#   tests/harness/media.sh [DIR]        (default DIR: tests/.cache/media)
#
# Every clip lasts exactly 32 s: 800 video frames at 25 fps (64 at 2 fps for h264_2fps.mp4),
# 1500 AAC frames at 48 kHz (1500 * 1024 = 32 * 48000) or 256000 G.711 samples at 8 kHz, so the
# camera can loop it forever without audio/video drift. GOP = 25 frames (1 s), closed, an IDR
# every second (h264_2fps: 20 frames, an IDR every 10 s; h264_switch: the resolution switches
# between 640x360 and 320x180 every 4 s, parameter sets in-band at every IDR).
# The clips are regenerated only when this script changes (sha256 stamp in DIR/.stamp).
# Several callers at once are safe: a lock serialises them and the clips are written to a
# temporary directory that is renamed into place.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dir="${1:-$here/../.cache/media}"
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"

command -v ffmpeg >/dev/null || { echo "media.sh: ffmpeg is missing (run tests/harness/deps.sh --tests)" >&2; exit 1; }
command -v flock >/dev/null || { echo "media.sh: flock is missing (util-linux)" >&2; exit 1; }

stamp="$(sha256sum "${BASH_SOURCE[0]}" | cut -d' ' -f1) $(ffmpeg -version | head -n1 | cut -d' ' -f3)"
clips=(h264_aac.mp4 h264b_aac.mp4 h264bp_aac.mp4 h265_aac.mp4 h265b_aac.mp4 h264_pcma.mov
       h264_pcmu.mov h264_720p.mp4 h264_2fps.mp4 h264_switch_aac.mp4)

is_fresh() {
    [ -f "$dir/.stamp" ] && [ "$(cat "$dir/.stamp")" = "$stamp" ] || return 1
    local c
    for c in "${clips[@]}"; do [ -s "$dir/$c" ] || return 1; done
}

is_fresh && exit 0

exec 9>"$dir/.lock"
flock -w 600 9 || { echo "media.sh: timed out waiting for $dir/.lock" >&2; exit 1; }
is_fresh && exit 0   # another process made them while we waited

start=$(date +%s.%N)
work="$(mktemp -d "$dir/.work.XXXXXX")"
trap 'rm -rf "$work"' EXIT

ff() { ffmpeg -nostdin -hide_banner -loglevel error -y "$@"; }

D=32       # seconds
FPS=25
GOP=25
# Video: the testsrc pattern (moving gradient + a seconds counter, no fonts needed) with light
# temporal noise, so that the encoders really spend the target bit rates (a clean pattern
# compresses to a fraction of them).
# The B-frame clips that only serve timeline tests (h264bp, h265b) skip the noise: their bit
# rate does not matter and it halves their encoding time (the GOP pattern is fixed by b-adapt=0
# whatever the content).
vsrc() { echo "testsrc=size=$1:rate=${2:-$FPS}:duration=$D${3-,noise=alls=12:allf=t}"; }
# x264: closed GOP of exactly 25 frames, no scene-cut keyframes.
x264_common=(-c:v libx264 -g $GOP -keyint_min $GOP -sc_threshold 0 -pix_fmt yuv420p)

echo "media.sh: generating test clips in $dir ..." >&2

pids=()
# --- video-only tracks (encoded once, muxed several times; all encoders run at once) ---
# H.264 Main, no B-frames (most IP cameras), 640x360 ~800 kbit/s.
ff -f lavfi -i "$(vsrc 640x360)" "${x264_common[@]}" -preset veryfast -profile:v main -bf 0 \
   -b:v 800k -maxrate 800k -bufsize 800k -an "$work/v_h264.mp4" & pids+=($!)
# H.264 High WITH B-frames (pts != dts: exercises composition time), 640x360, strict IBBP:
# two non-reference B-frames between references, no pyramid, no adaptive B placement.
ff -f lavfi -i "$(vsrc 640x360)" "${x264_common[@]}" -preset veryfast -profile:v high -bf 2 \
   -x264-params b-pyramid=none:b-adapt=0 \
   -b:v 800k -maxrate 800k -bufsize 800k -an "$work/v_h264b.mp4" & pids+=($!)
# H.264 with a B-pyramid: 3 B-frames, the middle one a reference (decode order I P B b b);
# x264 ultrafast (CAVLC, no 8x8 transform: it comes out as Main), at 60 % of veryfast's cost.
ff -f lavfi -i "$(vsrc 640x360 $FPS '')" "${x264_common[@]}" -preset ultrafast -profile:v high \
   -bf 3 -x264-params b-pyramid=normal:b-adapt=0 \
   -b:v 800k -maxrate 800k -bufsize 800k -an "$work/v_h264bp.mp4" & pids+=($!)
# H.265 Main, no B-frames, 640x360 ~800 kbit/s; info=0 keeps x265's SEI banner out.
ff -f lavfi -i "$(vsrc 640x360)" -c:v libx265 -preset ultrafast -pix_fmt yuv420p -b:v 800k \
   -x265-params "log-level=error:info=0:keyint=$GOP:min-keyint=$GOP:scenecut=0:open-gop=0:bframes=0:vbv-maxrate=800:vbv-bufsize=800" \
   -tag:v hvc1 -an "$work/v_h265.mp4" & pids+=($!)
# H.265 Main with B-frames (3, pyramid, closed GOP of 25), 640x360.
ff -f lavfi -i "$(vsrc 640x360 $FPS '')" -c:v libx265 -preset ultrafast -pix_fmt yuv420p -b:v 800k \
   -x265-params "log-level=error:info=0:keyint=$GOP:min-keyint=$GOP:scenecut=0:open-gop=0:bframes=3:b-adapt=0:b-pyramid=1:vbv-maxrate=800:vbv-bufsize=800" \
   -tag:v hvc1 -an "$work/v_h265b.mp4" & pids+=($!)
# H.264 Main at 2 fps, no B-frames, an IDR every 10 s (GOP 20; the loop point adds one after
# 2 s), video only: a slow camera (the first frame must last 500 ms, not 40).
ff -f lavfi -i "$(vsrc 640x360 2)" -c:v libx264 -g 20 -keyint_min 20 -sc_threshold 0 \
   -pix_fmt yuv420p -preset veryfast -profile:v main -bf 0 -b:v 300k -maxrate 300k -bufsize 300k \
   -an "$work/h264_2fps.mp4" & pids+=($!)
# H.264 High, no B-frames, 1280x720 ~2 Mbit/s: the benchmark clip.
ff -f lavfi -i "$(vsrc 1280x720)" "${x264_common[@]}" -preset veryfast -profile:v high -bf 0 \
   -b:v 2M -maxrate 2M -bufsize 2M -an "$work/v_h264_720p.mp4" & pids+=($!)
# H.264 Main whose resolution switches every 4 s (a camera reconfigured from its web page):
# 4 s at 640x360 and 4 s at 320x180, each encoded once without noise (fast) with its SPS/PPS
# repeated before every IDR, then concatenated four times by stream copy. The MP4's avcC holds
# the first SPS only; the others travel in-band, as they do from a camera. Both at level 3.0,
# as a camera that keeps its level: the RFC 6381 codec string stays the same across the switch.
sw_common=("${x264_common[@]}" -preset veryfast -profile:v main -level 3.0 -bf 0
           -x264-params repeat-headers=1 -an)
ff -f lavfi -i "testsrc=size=640x360:rate=$FPS:duration=4" "${sw_common[@]}" -b:v 800k \
   "$work/v_sw_a.mp4" & pids+=($!)
ff -f lavfi -i "testsrc=size=320x180:rate=$FPS:duration=4" "${sw_common[@]}" -b:v 300k \
   "$work/v_sw_b.mp4" & pids+=($!)

# --- audio tracks: a 1 kHz tone with a short beep at each second start (A/V sync aid) ---
# The AAC track lasts 33 s: the encoder's priming frame and the MP4 edit list cost a frame at
# each end, and the camera needs 1500 whole frames (it keeps exactly the first 32 s).
asrc48="sine=frequency=1000:beep_factor=2:sample_rate=48000:duration=$((D + 1))"
asrc8="sine=frequency=1000:beep_factor=2:sample_rate=8000:duration=$D"
ff -f lavfi -i "$asrc48" -ac 2 -c:a aac -b:a 128k "$work/a_aac.m4a"
ff -f lavfi -i "$asrc8" -ac 1 -c:a pcm_alaw "$work/a_pcma.mov"
ff -f lavfi -i "$asrc8" -ac 1 -c:a pcm_mulaw "$work/a_pcmu.mov"
for p in "${pids[@]}"; do wait "$p" || { echo "media.sh: a video encode failed" >&2; exit 1; }; done

# --- mux (stream copy) ---
mux() { ff -i "$1" -i "$2" -map 0:v:0 -map 1:a:0 -c copy "${@:4}" "$work/$3"; }
mux "$work/v_h264.mp4"      "$work/a_aac.m4a"  h264_aac.mp4  -movflags +faststart
mux "$work/v_h264b.mp4"     "$work/a_aac.m4a"  h264b_aac.mp4 -movflags +faststart
mux "$work/v_h264bp.mp4"    "$work/a_aac.m4a"  h264bp_aac.mp4 -movflags +faststart
mux "$work/v_h265.mp4"      "$work/a_aac.m4a"  h265_aac.mp4  -movflags +faststart -tag:v hvc1
mux "$work/v_h265b.mp4"     "$work/a_aac.m4a"  h265b_aac.mp4 -movflags +faststart -tag:v hvc1
mux "$work/v_h264_720p.mp4" "$work/a_aac.m4a"  h264_720p.mp4 -movflags +faststart
for i in 1 2 3 4; do printf "file '%s'\nfile '%s'\n" "$work/v_sw_a.mp4" "$work/v_sw_b.mp4"; done \
    >"$work/switch.txt"
ff -f concat -safe 0 -i "$work/switch.txt" -c copy "$work/v_switch.mp4"
mux "$work/v_switch.mp4"    "$work/a_aac.m4a"  h264_switch_aac.mp4 -movflags +faststart
mux "$work/v_h264.mp4"      "$work/a_pcma.mov" h264_pcma.mov -f mov
mux "$work/v_h264.mp4"      "$work/a_pcmu.mov" h264_pcmu.mov -f mov

# Sanity: every clip has 32 s of video frames (800 at 25 fps, 64 at 2 fps) ...
for c in "${clips[@]}"; do
    want=800; [ "$c" = h264_2fps.mp4 ] && want=64
    n=$(ffprobe -v error -select_streams v:0 -count_packets -show_entries stream=nb_read_packets \
        -of csv=p=0 "$work/$c")
    [ "$n" = "$want" ] || { echo "media.sh: $c has $n video frames, expected $want" >&2; exit 1; }
done
# ... and the B-frame clips have the GOP pattern the timeline tests rely on: frame types in
# display order over the first GOP (I, then B..BP groups), and pts != dts in decode order.
pattern() {
    ffprobe -v error -select_streams v:0 -show_entries frame=pict_type -of csv=p=0 \
        -read_intervals %+0.99 "$work/$1" | tr -d ',\n'
}
for cp in h264b_aac.mp4:IBBPBBPBBPBBPBBPBBPBBPBBP h264bp_aac.mp4:IBBBPBBBPBBBPBBBPBBBPBBBP \
          h265b_aac.mp4:IBBBPBBBPBBBPBBBPBBBPBBBP; do
    c=${cp%%:*} want=${cp#*:}
    got=$(pattern "$c")
    [ "$got" = "$want" ] || { echo "media.sh: $c frame types $got, expected $want" >&2; exit 1; }
    reordered=$(ffprobe -v error -select_streams v:0 -show_entries packet=pts,dts -of csv=p=0 \
        -read_intervals %+0.99 "$work/$c" | awk -F, '$1 != $2' | wc -l)
    [ "$reordered" -ge 8 ] || { echo "media.sh: $c has no pts != dts" >&2; exit 1; }
done

for c in "${clips[@]}"; do mv -f "$work/$c" "$dir/$c"; done
echo "$stamp" >"$dir/.stamp"
end=$(date +%s.%N)
awk -v d="$dir" -v a="$start" -v b="$end" 'BEGIN { printf "media.sh: clips ready in %s (%.1f s)\n", d, b - a }' >&2
