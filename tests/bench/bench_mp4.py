#!/usr/bin/python3
"""Recording cost: CPU and bytes written per relay with an `mp4:` recording, next to the same
relay relaying alone.

    tests/bench/bench_mp4.py [--build build/dev] [--seconds 20] [--mount /h264_720p] [--relays 1]

Not a test (not registered with meson test; no timed assert). Re-executes itself inside a
loopback-only network namespace, starts the test camera, and runs --relays relay_drivers at
once (one relay each, all on the mount), twice, for --seconds of streaming: (1) each relay with
one FLV output written to /dev/null (relaying alone), (2) the same plus an `mp4:` recording
into a temporary folder per relay. Prints, for each, the drivers' CPU time (user + system,
from /proc) per second of streaming and per relay, and for the recording the bytes of MP4
written against the FLV bytes the relays handed to their outputs (write amplification). Needs LS_MEDIA_DIR or tests/harness/media.sh's clips.
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


def start(driver, url, outputs, seconds):
    argv = [driver, "--input", url, "--duration", str(seconds + 30), "--interval-ms", "500"]
    for o in outputs:
        argv += ["--output", o]
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    for line in p.stdout:
        if '"stats"' in line and json.loads(line)["stats"]["state"] == "streaming":
            break
    return p


def finish(p):
    p.terminate()
    final = None
    for line in p.stdout:
        if '"final"' in line:
            final = json.loads(line)["final"]
    p.wait()
    return final


def run(driver, url, outputs_of, n, seconds):
    """n relays (outputs_of(i) gives relay i's outputs) streaming for `seconds` once all are
    up; returns (CPU s per s per relay, the final stats of each)."""
    ps = [start(driver, url, outputs_of(i), seconds) for i in range(n)]
    c0, t0 = sum(cpu_s(p.pid) for p in ps), time.monotonic()
    time.sleep(seconds)
    c1, t1 = sum(cpu_s(p.pid) for p in ps), time.monotonic()
    return (c1 - c0) / (t1 - t0) / n, [finish(p) for p in ps]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(h.REPO, "build", "dev"))
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--mount", default="/h264_720p")
    ap.add_argument("--relays", type=int, default=1)
    a = ap.parse_args()
    if not h.loopback_only():
        os.execvp("unshare", ["unshare", "-n", "sh", "-c",
                              'ip link set lo up && exec "$0" "$@"', sys.executable, *sys.argv])
    driver = os.path.join(a.build, "tests", "integration", "relay_driver")
    cam = h.Camera(h.media(os.environ.get("LS_MEDIA_DIR"))).start()
    folder = tempfile.mkdtemp(prefix="bench-mp4-")
    try:
        url = cam.url(a.mount)
        relay_cpu, _ = run(driver, url, lambda i: ["/dev/null"], a.relays, a.seconds)
        rec_cpu, finals = run(driver, url, lambda i: ["/dev/null", "mp4:%s/cam%d.mp4" % (folder, i)],
                              a.relays, a.seconds)
    finally:
        cam.stop()
    flv = sum(f["outputs"][0]["bytes_out"] for f in finals)
    files = os.listdir(folder)
    mp4 = sum(os.path.getsize(os.path.join(folder, f)) for f in files)
    print("mount %s, %d relay(s), %.0f s of streaming, %.0f kbit/s in per relay, load %s"
          % (a.mount, a.relays, a.seconds, sum(f["bitrate_kbps"] for f in finals) / a.relays,
             " ".join("%.2f" % x for x in os.getloadavg())))
    print("relaying alone (FLV to /dev/null): CPU %.2f %% of a core per relay" % (relay_cpu * 100))
    print("relaying + mp4 recording:          CPU %.2f %% of a core per relay (recording: +%.2f %%)"
          % (rec_cpu * 100, (rec_cpu - relay_cpu) * 100))
    print("recording wrote %d bytes in %d segment(s) for %d FLV bytes relayed: %.3f x"
          % (mp4, len(files), flv, mp4 / flv if flv else 0))


if __name__ == "__main__":
    main()
