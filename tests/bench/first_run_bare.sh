#!/bin/bash
# Measures the README's bare-Debian first-run times: `daemon/run.sh [--demo]` in a fresh
# Debian 12 minbase chroot (what a bare machine has: the required packages and apt), from a
# clone of this checkout, until the page answers (and with --demo, /live/demo.flv plays).
#
#   tests/bench/first_run_bare.sh [--demo] [REPO]      (as root; needs debootstrap, about 1 GB)
#
# Not a bare machine: the kernel, page cache and network are the host's, and the archive is
# whatever deb.debian.org resolves to here (apt prints its speed; the README scales it). The
# host's local CA certificates (/usr/local/share/ca-certificates) are copied in, for machines
# whose HTTPS goes through an intercepting proxy. Prints "page S", "demo S", apt's "Fetched"
# line; the chroot is removed at the end.
set -euo pipefail
demo=
[ "${1:-}" = --demo ] && { demo=--demo; shift; }
repo=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
[ "$(id -u)" = 0 ] || { echo "first_run_bare.sh: run as root (chroot)" >&2; exit 1; }
command -v debootstrap >/dev/null || { echo "first_run_bare.sh: apt-get install debootstrap" >&2; exit 1; }
root=$(mktemp -d /var/tmp/lightstream-bare.XXXXXX)
pid=
# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
    [ -z "$pid" ] || kill -TERM "$pid" 2>/dev/null || true
    [ -z "$pid" ] || wait "$pid" 2>/dev/null || true
    sleep 1
    umount "$root/proc" "$root/dev" 2>/dev/null || true
    mountpoint -q "$root/dev" || mountpoint -q "$root/proc" || rm -rf "$root"
}
trap cleanup EXIT

debootstrap --variant=minbase bookworm "$root" http://deb.debian.org/debian >"$root.log" 2>&1 ||
    { cat "$root.log" >&2; exit 1; }
rm -f "$root.log"
printf 'deb http://deb.debian.org/debian bookworm main\ndeb http://deb.debian.org/debian bookworm-updates main\ndeb http://deb.debian.org/debian-security bookworm-security main\n' \
    >"$root/etc/apt/sources.list"
rm -rf "$root/var/lib/apt/lists/"*
cp /etc/resolv.conf "$root/etc/resolv.conf"
mkdir -p "$root/usr/local/share/ca-certificates"
cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/" 2>/dev/null || true
mount -t proc proc "$root/proc"
mount --bind /dev "$root/dev"
git clone -q "$repo" "$root/root/src"

out="$root/root/out"
: >"$out"
t0=$(date +%s.%N)
now() { awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
chroot "$root" sh -c "cd /root/src && exec daemon/run.sh $demo --port 0" >"$out" 2>&1 &
pid=$!
url=
while kill -0 "$pid" 2>/dev/null; do
    [ -n "$url" ] || url=$(sed -n 's|^lightstreamd: open \(http://[^ ]*/\) .*|\1|p' "$out")
    if [ -n "$url" ] && curl -sf -o /dev/null "$url"; then break; fi
    sleep 0.1
done
[ -n "$url" ] || { tail -30 "$out" >&2; echo "first_run_bare.sh: run.sh stopped" >&2; exit 1; }
echo "page $(now)"
grep '^Fetched' "$out" || true
[ -n "$demo" ] || exit 0
for _ in $(seq 300); do
    n=$(curl -s --max-time 5 "${url}live/demo.flv" | head -c 65536 | wc -c)
    [ "$n" -lt 65536 ] || { echo "demo $(now)"; exit 0; }
    sleep 0.1
done
echo "first_run_bare.sh: the demo relay did not play" >&2
exit 1
