#!/bin/sh
# daemon/run.sh --demo: the demo relay plays H.264 + AAC, and it does not outlive the demo.
#
#   test_run_demo.sh SOURCE_DIR BUILD_DIR        (env LS_FLVCHECK: tests/tools' flvcheck)
#
# 1. run.sh --demo (the tested build's lightstreamd through LS_RUN_BUILD, its state and clip in
#    a temporary LS_RUN_STATE): /live/demo.flv decodes as H.264 video + AAC audio, and the
#    state file holds "demo" with a lease;
# 2. SIGTERM to run.sh: the state file no longer holds "demo";
# 3. run.sh --demo again, then kill -9 of its whole process group (run.sh, lightstreamd, the
#    camera, the lease renewal), and a plain run.sh: "demo" comes back from the state file
#    but goes within its 30 s lease, and is not in the state file afterwards.
set -eu
src=$1
build=$2
work=$(mktemp -d)
pid=
fail() { echo "FAIL: $*" >&2; [ ! -f "$work/out" ] || sed 's/^/  run.sh: /' "$work/out" >&2; exit 1; }
# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
    [ -z "$pid" ] || kill -TERM "$pid" 2>/dev/null || true
    [ -z "$pid" ] || wait "$pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
export LS_RUN_BUILD="$build" LS_RUN_STATE="$work"
state="$work/lightstreamd-data/state.json"

# start [--demo]: run.sh in a process group of its own; sets $pid and $base.
start() {
    : >"$work/out"
    setsid "$src/daemon/run.sh" "$@" --port 0 >"$work/out" 2>&1 &
    pid=$!
    i=0 base=
    while [ -z "$base" ] && [ $i -lt 600 ]; do
        kill -0 "$pid" 2>/dev/null || fail "run.sh $* stopped"
        base=$(sed -n 's|^lightstreamd: open \(http://[^ ]*\)/ .*|\1|p' "$work/out")
        sleep 0.05
        i=$((i + 1))
    done
    [ -n "$base" ] || fail "run.sh $* did not print the page's address in 30 s"
}
in_state() { grep -q '"id": *"demo"' "$state"; }
status() { curl -s -o /dev/null -w '%{http_code}' "$base/api/v1/relays/demo"; }

# 1. It plays.
start --demo
grep -q '"lease_s": *30' "$state" || fail "the demo relay has no 30 s lease in $state"
"$LS_FLVCHECK" --json --max-seconds 3 "$base/live/demo.flv" >"$work/flv.json" ||
    fail "flvcheck: $(cat "$work/flv.json")"
/usr/bin/python3 - "$work/flv.json" <<'PY' || fail "the demo relay does not play H.264 + AAC"
import json, sys
r = json.load(open(sys.argv[1]))
v, a = r["video"], r["audio"]
print("demo.flv: video %s %sx%s, %d frames decoded; audio %s, %d frames decoded"
      % (v["codec"], v["width"], v["height"], v["decoded"], a["codec"], a["decoded"]))
sys.exit(0 if (r["ok"] and v["codec"] == "h264" and v["decoded"] > 0 and v["first_is_key"]
               and a["codec"] == "aac" and a["decoded"] > 0) else 1)
PY

# 2. A clean exit removes it.
kill -TERM "$pid"
wait "$pid" || true
pid=
! in_state || fail "after run.sh exited, $state still holds the demo relay"

# 3. After kill -9, its lease removes it.
start --demo
in_state || fail "the demo relay is not in $state"
kill -KILL "-$pid"   # the group: run.sh, lightstreamd, camera, renewal
wait "$pid" 2>/dev/null || true
pid=
start
t=0
while [ "$(status)" = 200 ]; do
    [ $t -lt 350 ] || fail "the dead demo relay is still there 35 s after a plain run.sh started"
    sleep 0.1
    t=$((t + 1))
done
[ "$(status)" = 404 ] || fail "GET /api/v1/relays/demo answered $(status), not 404"
! in_state || fail "$state still holds the demo relay after its lease ran out"
grep -Eq 'relay demo: lease (expired|ran out)' "$work/out" || fail "lightstreamd did not say the lease ended"
echo "the demo played H.264 + AAC; gone from the state after a clean exit; after kill -9 gone $((t / 10)) s after the next start"
