#!/bin/sh
# The test command (README): install what is missing, build, run every suite
# twice — a normal build and an ASan+UBSan build — and end with one line
# "N passed, N failed".
#
#   tests/run.sh [--quick]      --quick: normal build only, no sanitizers
#
# Integration suites run inside a loopback-only network namespace, so no test
# can reach anything but 127.0.0.1 (and FFmpeg's UDP client, which binds to
# all addresses, stays inside it).
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
quick=0
[ "${1:-}" = "--quick" ] && quick=1

bash tests/harness/deps.sh --tests

builds="build/tests"
[ $quick = 1 ] || builds="$builds build/tests-asan"

media="$top/build/media"
bash tests/harness/media.sh "$media" >&2

status=0
for b in $builds; do
    opts="-Dbuildtype=debugoptimized -Dwerror=true"
    case $b in *asan) opts="$opts -Db_sanitize=address,undefined -Db_lundef=false" ;; esac
    if [ ! -f "$b/build.ninja" ]; then
        # shellcheck disable=SC2086
        meson setup "$b" $opts >&2
    fi
    ninja -C "$b" >&2
    echo "== running every suite in $b ==" >&2
    # shellcheck disable=SC2016
    LS_MEDIA_DIR="$media" ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    unshare -n sh -c 'ip link set lo up && exec meson test -C "$1" --print-errorlogs \
        --num-processes 2 --timeout-multiplier 2' sh "$b" >&2 || status=1
done

# The fuzz targets as libFuzzer binaries (clang, instrumented library): replay
# the corpora, then a short bounded run of real fuzzing for each target.
if [ $quick = 0 ] && command -v clang >/dev/null; then
    b=build/tests-fuzz
    [ -f "$b/build.ninja" ] || CC=clang meson setup "$b" -Dfuzzing_engine=libfuzzer \
        -Db_sanitize=address,undefined -Db_lundef=false >&2
    ninja -C "$b" >&2
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    meson test -C "$b" --suite fuzz --print-errorlogs >&2 || status=1
    builds="$builds $b"
    for f in "$b"/tests/fuzz/fuzz_*; do
        [ -f "$f" ] && [ -x "$f" ] || continue; t=${f##*/fuzz_}
        mkdir -p "$b/corpus-$t"
        UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        "$f" -max_total_time="${LS_FUZZ_SECONDS:-15}" -max_len=8192 \
            "$b/corpus-$t" "tests/fuzz/corpus/$t" >"$b/fuzz-$t.log" 2>&1 || {
            echo "fuzz_$t found a crash:" >&2; tail -40 "$b/fuzz-$t.log" >&2; status=1; }
    done
fi

# One plain tally over every build's results (meson's own summary is not read).
/usr/bin/python3 - $builds <<'PY'
import json, sys
passed = failed = skipped = 0
for b in sys.argv[1:]:
    try:
        lines = open(b + "/meson-logs/testlog.json").read().splitlines()
    except OSError:
        failed += 1
        print("no test log in " + b, file=sys.stderr)
        continue
    for line in lines:
        r = json.loads(line)["result"]
        if r in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif r == "SKIP":
            skipped += 1
        else:
            failed += 1
print(f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
sys.exit(1 if failed or passed == 0 else 0)
PY
tally=$?
[ $status = 0 ] && [ $tally = 0 ]
