"""Shared helpers of the integration tests: the relay driver, flvcheck, assertions.

The tests run relay_driver (a small program over the public API that prints JSON lines)
against the harness's real servers (tests/harness/lsharness.py) and read the results back
with independent tools: ffprobe/ffmpeg and flvcheck (its own FLV parser + libavcodec).
Paths come from the environment meson sets: LS_RELAY_DRIVER, LS_FLVCHECK.
"""
import json
import os
import subprocess
import sys
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "harness"))
import lsharness as h  # noqa: E402

DRIVER = os.environ.get("LS_RELAY_DRIVER", "relay_driver")
FLVCHECK = os.environ.get("LS_FLVCHECK", "flvcheck")
FPS = h.FPS
ENODATA, ENOENT, EACCES, ETIMEDOUT, EBADMSG = 61, 2, 13, 110, 74


def media_dir():
    return h.media(os.environ.get("LS_MEDIA_DIR"))


class Driver:
    """relay_driver in the background; its JSON lines collected as they come."""

    def __init__(self, url, *args, duration=30, interval_ms=500):
        self.argv = [DRIVER, "--input", url, "--duration", str(duration),
                     "--interval-ms", str(interval_ms), *[str(a) for a in args]]
        self.lines, self.stderr_lines = [], []
        self.lock = threading.Lock()
        self.proc = subprocess.Popen(self.argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, start_new_session=True)
        self.started = time.monotonic()
        self._t_out = threading.Thread(target=self._read, args=(self.proc.stdout, True), daemon=True)
        self._t_err = threading.Thread(target=self._read, args=(self.proc.stderr, False), daemon=True)
        self._t_out.start()
        self._t_err.start()

    def _read(self, stream, is_json):
        for line in stream:
            with self.lock:
                if not is_json:
                    self.stderr_lines.append(line.rstrip("\n"))
                    continue
                try:
                    obj = json.loads(line)
                except ValueError:
                    obj = {"unparsed": line}
                obj["_at"] = time.monotonic()
                self.lines.append(obj)

    def events(self, kind=None):
        with self.lock:
            return [x for x in self.lines if "event" in x and (kind is None or x["event"] == kind)]

    def stats(self):
        with self.lock:
            s = [x["stats"] for x in self.lines if "stats" in x]
        return s[-1] if s else None

    def wait_streaming(self, timeout=20.0):
        def ok():
            s = self.stats()
            return s and s["state"] == "streaming" and s["frames_out"] > 0
        h.wait_until(ok, timeout, what="relay streaming")
        return self.stats()

    def stop(self, timeout=15.0):
        """SIGTERM (the driver stops the relay cleanly) and wait; returns the final stats."""
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("relay_driver did not stop within %s s" % timeout)
        self._t_out.join(5)
        self._t_err.join(5)
        return self.final()

    def final(self):
        with self.lock:
            f = [x["final"] for x in self.lines if "final" in x]
        return f[-1] if f else None

    def log(self):
        with self.lock:
            return "\n".join(self.stderr_lines)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def flvcheck(target, seconds=None, timeout=60):
    """Runs flvcheck --json on a file or URL; returns (exit code, parsed JSON)."""
    argv = [FLVCHECK, "--json"]
    if seconds is not None:
        argv += ["--max-seconds", str(seconds)]
    r = h.run(argv + [target], timeout=timeout)
    try:
        return r.returncode, json.loads(r.stdout)
    except ValueError:
        raise AssertionError("flvcheck gave no JSON (exit %s): %s" % (r.returncode, r.stderr[-2000:]))


def frames_in_window(url, window, transport="tcp"):
    """Reads about `window` + 2 s of media from url and counts, per kind, the packets whose DTS
    lies within `window` seconds of that kind's first packet — so a server that starts a player
    with audio before the first video keyframe (nginx-rtmp does) does not skew the count.
    Returns (video, audio, errors, wall seconds)."""
    t0 = time.monotonic()
    p = h.read_packets(url, window + 2, transport=transport)
    wall = time.monotonic() - t0
    kinds = {i: s[0] for i, s in p.streams.items()}
    counts = {}
    for kind in ("video", "audio"):
        dts = [k.dts for k in p.packets if kinds.get(k.stream) == kind]
        counts[kind] = sum(1 for d in dts if d < dts[0] + window * 1000) if dts else 0
    return counts["video"], counts["audio"], list(p.errors), wall


def decode_errors(url, seconds, transport="tcp"):
    """stderr lines of `ffmpeg -v error -i url -t seconds -f null -` (decoding every frame)."""
    argv = ["ffmpeg", "-nostdin", "-v", "error", *h.input_options(url, transport), "-i", url,
            "-t", str(seconds), "-f", "null", "-"]
    r = h.run(argv, timeout=seconds + 30)
    errs = [ln for ln in r.stderr.splitlines() if ln.strip()]
    if r.timed_out:
        errs.append("timed out")
    elif r.returncode != 0 and not errs:
        errs.append("ffmpeg exited with %s" % r.returncode)
    return errs


class TestCase(unittest.TestCase):
    """Keeps the driver's log when a test fails, and never leaves a driver running."""

    def setUp(self):
        self.drivers = []

    def driver(self, url, *args, **kw):
        d = Driver(url, *args, **kw)
        self.drivers.append(d)
        return d

    def tearDown(self):
        for d in self.drivers:
            d.kill()
        failed = any(e for _, e in (self._outcome.result.failures + self._outcome.result.errors)
                     if e) if hasattr(self._outcome, "result") else False
        if failed:
            for d in self.drivers:
                sys.stderr.write("---- relay_driver log ----\n%s\n" % d.log()[-6000:])

    def assertNear(self, value, expected, tolerance, msg=None):
        self.assertTrue(abs(value - expected) <= tolerance,
                        msg or "%s not within %s of %s" % (value, tolerance, expected))


def main():
    """unittest.main with verbose output; exits non-zero when any test failed or none ran."""
    prog = unittest.main(verbosity=2, exit=False)
    r = prog.result
    sys.exit(0 if r.wasSuccessful() and r.testsRun > 0 else 1)
