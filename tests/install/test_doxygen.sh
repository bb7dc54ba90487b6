#!/bin/sh
# Doxygen reads the public headers with the project's Doxyfile and finds
# nothing undocumented: no public function, parameter, struct member, enum or
# macro without its comment (WARN_AS_ERROR fails the run; a warning printed
# anyway fails this test too).
#   test_doxygen.sh DOXYGEN DOXYFILE
set -eu
doxygen=$1
doxyfile=$2
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
rc=0
{ cat "$doxyfile"; echo "OUTPUT_DIRECTORY = $out"; } | "$doxygen" - >"$out/log" 2>&1 || rc=$?
if [ "$rc" != 0 ] || grep -qiE 'warning|error' "$out/log"; then
    cat "$out/log"
    echo "doxygen: the public headers are not fully documented (exit $rc)"
    exit 1
fi
[ -f "$out/html/ffmpeg__log_8h.html" ] || { echo "doxygen wrote no page for ffmpeg_log.h"; exit 1; }
echo "doxygen: $(ls "$out/html" | grep -c '_8h\.html$') public headers documented, no warning"
