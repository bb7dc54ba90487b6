#!/bin/sh
# Measures the README's first-run times: from a fresh clone, how long `daemon/run.sh` takes
# until its page answers, and `daemon/run.sh --demo` until the demo relay plays.
#
#   tests/bench/first_run.sh [--demo] [REPO]       (REPO: default this checkout)
#
# Clones REPO into a temporary directory (so nothing is built yet: no build/, no node_modules),
# runs its daemon/run.sh on a port picked by lightstreamd (--port 0, 127.0.0.1), and prints
# each line run.sh writes with the seconds since the start, then:
#   page S      GET / answered 200 (the page is there)
#   demo S      (--demo) GET /live/demo.flv delivered its first 64 KiB (camera, relay, video)
# Run it where the Debian packages are already installed (tests/harness/deps.sh --build-only or
# --demo), else apt's downloads are measured too. The clone is removed at the end.
set -eu
demo=
[ "${1:-}" = --demo ] && { demo=--demo; shift; }
repo=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
dir=$(mktemp -d /tmp/lightstream-first-run.XXXXXX)
pid=
# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
    [ -z "$pid" ] || kill -TERM "$pid" 2>/dev/null || true
    [ -z "$pid" ] || wait "$pid" 2>/dev/null || true
    rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

git clone -q "$repo" "$dir/src"
now() { awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
t0=$(date +%s.%N)
: >"$dir/out"   # before the background job opens it: the loop below reads it at once
"$dir/src/daemon/run.sh" $demo --port 0 >"$dir/out" 2>&1 &
pid=$!

shown=0
url=
while kill -0 "$pid" 2>/dev/null; do
    n=$(wc -l <"$dir/out")
    if [ "$n" -gt "$shown" ]; then
        sed -n "$((shown + 1)),${n}p" "$dir/out" | while IFS= read -r l; do echo "  $(now) s  $l"; done
        shown=$n
    fi
    [ -n "$url" ] || url=$(sed -n 's|^lightstreamd: open \(http://[^ ]*/\) .*|\1|p' "$dir/out")
    if [ -n "$url" ] && curl -sf -o /dev/null "$url"; then break; fi
    sleep 0.05
done
[ -n "$url" ] || { cat "$dir/out" >&2; echo "first_run.sh: run.sh stopped before the page answered" >&2; exit 1; }
echo "page $(now)"
[ -n "$demo" ] || exit 0
i=0
while [ $i -lt 300 ]; do
    got=$(curl -s --max-time 10 "${url}live/demo.flv" | head -c 65536 | wc -c)
    [ "$got" -lt 65536 ] || { echo "demo $(now)"; exit 0; }
    sleep 0.05
    i=$((i + 1))
done
echo "first_run.sh: the demo relay did not play" >&2
exit 1
