#!/usr/bin/python3
"""Recording cost: CPU and bytes written per relay with an `mp4:` recording, next to the same
relay relaying alone.

    tests/bench/bench_mp4.py [--build build/dev] [--seconds 20] [--mount /h264_720p]

Not a test (not registered with meson test; no timed assert). Re-executes itself inside a
loopback-only network namespace, starts the test camera, and runs relay_driver twice for
--seconds of streaming: (1) the relay with one FLV output written to /dev/null (relaying
alone), (2) the same plus an `mp4:` recording into a temporary folder. Prints, for each, the
driver's CPU time (user + system, from /proc) per second of streaming, and for the recording
the bytes of MP4 written against the FLV bytes the relay handed to its output (write
amplification). Needs LS_MEDIA_DIR or tests/harness/media.sh's clips.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "harness"))
import lsharness as h  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def cpu_s(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime


def run(driver, url, outputs, seconds):
    """Streams for `seconds` after the relay is up; returns (CPU s per s, final stats)."""
    argv = [driver, "--input", url, "--duration", str(seconds + 30), "--interval-ms", "500"]
    for o in outputs:
        argv += ["--output", o]
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    for line in p.stdout:
        if '"stats"' in line and json.loads(line)["stats"]["state"] == "streaming":
            break
    c0, t0 = cpu_s(p.pid), time.monotonic()
    time.sleep(seconds)
    c1, t1 = cpu_s(p.pid), time.monotonic()
    p.terminate()
    final = None
    for line in p.stdout:
        if '"final"' in line:
            final = json.loads(line)["final"]
    p.wait()
    return (c1 - c0) / (t1 - t0), final


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(h.REPO, "build", "dev"))
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--mount", default="/h264_720p")
    a = ap.parse_args()
    if not h.loopback_only():
        os.execvp("unshare", ["unshare", "-n", "sh", "-c",
                              'ip link set lo up && exec "$0" "$@"', sys.executable, *sys.argv])
    driver = os.path.join(a.build, "tests", "integration", "relay_driver")
    cam = h.Camera(h.media(os.environ.get("LS_MEDIA_DIR"))).start()
    try:
        url = cam.url(a.mount)
        relay_cpu, base = run(driver, url, ["/dev/null"], a.seconds)
        folder = tempfile.mkdtemp(prefix="bench-mp4-")
        rec_cpu, final = run(driver, url, ["/dev/null", "mp4:%s/cam.mp4" % folder], a.seconds)
    finally:
        cam.stop()
    flv = final["outputs"][0]["bytes_out"]
    mp4 = sum(os.path.getsize(os.path.join(folder, f)) for f in os.listdir(folder))
    segs = len(os.listdir(folder))
    print("mount %s, %.0f s of streaming, %.0f kbit/s in" % (a.mount, a.seconds,
                                                             final["bitrate_kbps"]))
    print("relaying alone (FLV to /dev/null): CPU %.1f %% of a core" % (relay_cpu * 100))
    print("relaying + mp4 recording:          CPU %.1f %% of a core (recording: +%.1f %%)"
          % (rec_cpu * 100, (rec_cpu - relay_cpu) * 100))
    print("recording wrote %d bytes in %d segment(s) for %d FLV bytes relayed: %.3f x"
          % (mp4, segs, flv, mp4 / flv if flv else 0))
    _ = base


if __name__ == "__main__":
    main()
