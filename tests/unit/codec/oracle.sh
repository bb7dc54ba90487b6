#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Oracle test of avcC/hvcC: encode a few frames per variant with the system
# ffmpeg (libx264/libx265), mux them into MP4 (FFmpeg writes the record),
# copy the same stream out as Annex B, and let test_oracle compare FFmpeg's
# record with ours byte for byte. It also checks the size and frame rate our
# SPS parsers read against what was asked of the encoder. Nothing binary is
# committed: every clip is made here, under the build directory.
#
# usage: oracle.sh <test_oracle> <work dir>
# Exit 77 (meson: skipped) when ffmpeg or both encoders are missing.
set -u

bin=$1
work=$2

if ! command -v ffmpeg >/dev/null 2>&1; then
    echo "ffmpeg not found: skipping"
    exit 77
fi
encoders=$(ffmpeg -hide_banner -encoders 2>/dev/null)
has_encoder() { printf '%s\n' "$encoders" | grep -q " $1 "; }

mkdir -p "$work"
dir=$(mktemp -d "$work/oracle.XXXXXX") || exit 1
ran=0
failed=""

# variant <name> <avc|hev1|hvc1|hev1-sei> <WxH> <encoder> [encoder options...]
variant() {
    name=$1 mode=$2 size=$3 enc=$4
    shift 4
    if ! has_encoder "$enc"; then
        echo "SKIP $name: no $enc"
        return
    fi
    if [ "$mode" = avc ]; then fmt=h264; else fmt=hevc; fi
    ran=$((ran + 1))
    # Two frames at 25 fps keep this cheap; the records only need headers.
    if ! ffmpeg -nostdin -hide_banner -loglevel error -y \
            -f lavfi -i "testsrc2=size=$size:rate=25" -frames:v 2 \
            -c:v "$enc" "$@" "$dir/$name.mp4" ||
       ! ffmpeg -nostdin -hide_banner -loglevel error -y \
            -i "$dir/$name.mp4" -c copy -f "$fmt" "$dir/$name.$fmt"; then
        echo "FAIL $name: ffmpeg could not make the clip"
        failed="$failed $name"
        return
    fi
    if "$bin" "$mode" "$dir/$name.mp4" "$dir/$name.$fmt" "$size" 25; then
        echo "PASS $name"
    else
        echo "FAIL $name"
        failed="$failed $name"
    fi
}

# x264 signals the lowest profile its tools need: ultrafast (no CABAC, no
# 8x8 transform) is always Constrained Baseline, so Main and the High family
# use superfast.
x264_fast="-preset superfast"
variant h264_baseline_360p avc 640x360 libx264 -preset ultrafast -profile:v baseline
variant h264_main_360p avc 640x360 libx264 $x264_fast -profile:v main
variant h264_high_360p avc 640x360 libx264 $x264_fast -profile:v high
variant h264_high_1080p avc 1920x1080 libx264 $x264_fast -profile:v high
variant h264_high10_360p avc 640x360 libx264 $x264_fast -profile:v high10 -pix_fmt yuv420p10le
variant h264_high422_360p avc 640x360 libx264 $x264_fast -profile:v high422 -pix_fmt yuv422p
variant h264_high444_360p avc 640x360 libx264 $x264_fast -profile:v high444 -pix_fmt yuv444p

# x265 writes a user-data SEI with its version and options into the global
# headers, and FFmpeg 5.1 copies it into hvcC as a fourth array; info=0
# keeps hvcC to VPS/SPS/PPS, which is all a relay has. The hev1-sei variants
# keep such SEI and compare everything but FFmpeg's SEI arrays.
# (The option strings are split on spaces on purpose.)
x265="-preset ultrafast -x265-params info=0:log-level=error"
variant hevc_main_360p hev1 640x360 libx265 $x265
variant hevc_main_720p hev1 1280x720 libx265 $x265
variant hevc_main_1080p hev1 1920x1080 libx265 $x265
variant hevc_main_360p_hvc1 hvc1 640x360 libx265 -tag:v hvc1 $x265
variant hevc_main10_360p hev1 640x360 libx265 -pix_fmt yuv420p10le $x265
variant hevc_444_360p hev1 640x360 libx265 -pix_fmt yuv444p $x265
variant hevc_temporal_360p hev1 640x360 libx265 $x265:temporal-layers=1
variant hevc_info_sei_360p hev1-sei 640x360 libx265 -preset ultrafast -x265-params log-level=error
variant hevc_hrd_360p hev1-sei 640x360 libx265 $x265:hrd=1:vbv-bufsize=1000:vbv-maxrate=1000

if [ "$ran" -eq 0 ]; then
    rm -rf "$dir"
    echo "no encoder available: skipping"
    exit 77
fi
if [ -n "$failed" ]; then
    echo "failed:$failed (clips kept in $dir)"
    exit 1
fi
rm -rf "$dir"
echo "all $ran variants match"
