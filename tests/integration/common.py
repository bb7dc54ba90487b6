"""Shared helpers of the integration tests: the relay driver, flvcheck, assertions.

The tests run relay_driver (a small program over the public API that prints JSON lines)
against the harness's real servers (tests/harness/lsharness.py) and read the results back
with independent tools: ffprobe/ffmpeg and flvcheck (its own FLV parser + libavcodec).
Paths come from the environment meson sets: LS_RELAY_DRIVER, LS_FLVCHECK.
"""
import json
import os
import re
import shutil
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


# Sessions the native engine opened (its "native: playing" log line), so a suite run with
# LS_ENGINE=native or auto can check that the native engine really read the camera.
NATIVE_SESSIONS = []


class Driver:
    """relay_driver in the background; its JSON lines collected as they come."""

    def __init__(self, url, *args, duration=30, interval_ms=500, preexec=None):
        self.argv = [DRIVER, "--input", url, "--duration", str(duration),
                     "--interval-ms", str(interval_ms), *[str(a) for a in args]]
        # LS_ENGINE runs a whole suite on one input engine (a test naming its own keeps it).
        if os.environ.get("LS_ENGINE") and "--engine" not in self.argv:
            self.argv += ["--engine", os.environ["LS_ENGINE"]]
        # LS_OUTPUT_THREADS runs a whole suite with a thread per output (no ls_io).
        if os.environ.get("LS_OUTPUT_THREADS") and "--threads" not in self.argv:
            self.argv += ["--threads"]
        self.lines, self.stderr_lines = [], []
        self.lock = threading.Lock()
        self.proc = subprocess.Popen(self.argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, start_new_session=True, preexec_fn=preexec)
        self.started = time.monotonic()
        self._t_out = threading.Thread(target=self._read, args=(self.proc.stdout, True), daemon=True)
        self._t_err = threading.Thread(target=self._read, args=(self.proc.stderr, False), daemon=True)
        self._t_out.start()
        self._t_err.start()

    def _read(self, stream, is_json):
        for line in stream:
            if not is_json and "native: playing" in line:
                NATIVE_SESSIONS.append(line)
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
            stacks = thread_stacks(self.proc.pid)
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("relay_driver did not stop within %s s; its threads:\n%s"
                                 % (timeout, stacks))
        self._t_out.join(5)
        self._t_err.join(5)
        # Under ASan/UBSan a leak or a memory error shows as a non-zero exit.
        if self.proc.returncode != 0:
            raise AssertionError("relay_driver exited with %s:\n%s"
                                 % (self.proc.returncode, self.log()[-4000:]))
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


def recordings(pattern):
    """The files a file output given the path `pattern` made, oldest first: the library names
    each one after the pattern with its UTC start time, dir/cam.flv -> dir/cam-20261207T173501Z.flv
    (then -1, -2... within the same second), and never writes `pattern` itself."""
    folder, base = os.path.split(pattern)
    stem, ext = os.path.splitext(base)
    rx = re.compile(re.escape(stem) + r"-(\d{8}T\d{6}Z)(?:-(\d+))?" + re.escape(ext) + "$")
    found = []
    for name in os.listdir(folder or "."):
        m = rx.match(name)
        if m:
            found.append(((m.group(1), int(m.group(2) or 0)), os.path.join(folder, name)))
    return [path for _, path in sorted(found)]


def recording(pattern):
    """The one file made from `pattern` (see recordings); fails when there is not exactly one."""
    found = recordings(pattern)
    if len(found) != 1:
        raise AssertionError("expected one recording of %s, found %s" % (pattern, found))
    return found[0]


def flv_metadata(path):
    """onMetaData's duration and filesize as ffprobe reads them: {"duration", "filesize"} as
    its flv_full_metadata option exports them (numbers rounded to integers; None when absent),
    and "format_duration", the file's duration ffprobe settles on — onMetaData.duration when it
    is not 0, else the last tag's timestamp."""
    r = h.run(["ffprobe", "-v", "error", "-flv_full_metadata", "1", "-show_entries",
               "format=duration:format_tags=duration,filesize", "-of", "json", path], timeout=30)
    fmt = json.loads(r.stdout or "{}").get("format", {})
    tags = fmt.get("tags", {})
    num = lambda d, k: float(d[k]) if k in d else None  # noqa: E731
    return {"duration": num(tags, "duration"), "filesize": num(tags, "filesize"),
            "format_duration": num(fmt, "duration")}


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
        # This test's failures only (a subtest's record points at its test through test_case).
        failed = any(e and (t is self or getattr(t, "test_case", None) is self)
                     for t, e in self._outcome.result.failures + self._outcome.result.errors
                     ) if hasattr(self._outcome, "result") else False
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
    engine = os.environ.get("LS_ENGINE")
    if engine in ("native", "auto"):
        print("LS_ENGINE=%s: %d sessions on the native engine" % (engine, len(NATIVE_SESSIONS)))
        if not NATIVE_SESSIONS:
            sys.exit(1)
    sys.exit(0 if r.wasSuccessful() and r.testsRun > 0 else 1)


# ---- helpers of the resilience, fan-out and bad-camera suites ----------------------------------
import re  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
from collections import namedtuple  # noqa: E402

ECONNREFUSED, EPROTO, ENOTSUP, ECONNRESET, EPIPE = 111, 71, 95, 104, 32

TimedPacket = namedtuple("TimedPacket", "at kind dts size")


def exit_code(driver, timeout=20.0):
    """Waits for the driver to exit by itself (its --duration) and for its output to be read;
    returns its exit status."""
    try:
        code = driver.proc.wait(timeout)
    except subprocess.TimeoutExpired:
        driver.kill()
        raise AssertionError("relay_driver did not exit within %s s" % timeout)
    driver._t_out.join(5)
    driver._t_err.join(5)
    return code


def stats_history(driver):
    """Every periodic stats line so far, as (driver monotonic time, stats) pairs."""
    with driver.lock:
        return [(x["t"], x["stats"]) for x in driver.lines if "stats" in x]


def wait_stats(driver, pred, timeout, what):
    """Waits until pred(latest stats) is true; returns those stats."""
    def ok():
        s = driver.stats()
        return s if s and pred(s) else None
    return h.wait_until(ok, timeout, what=what)


def wait_event(driver, pred, timeout, what):
    """Waits for an event line with pred(event) true; returns the first one."""
    def ok():
        ev = [e for e in driver.events() if pred(e)]
        return ev[0] if ev else None
    return h.wait_until(ok, timeout, what=what)


def output_of(stats, oid):
    """The stats of output `oid` (ids count from 1 in the order outputs were added)."""
    for o in stats["outputs"]:
        if o["id"] == oid:
            return o
    raise AssertionError("no output %s in %s" % (oid, [o["id"] for o in stats["outputs"]]))


def printed_strings(driver):
    """Every string the driver printed: the string values of its JSON lines (events, stats,
    errors; keys too), lines that were not JSON, and its stderr (the library's log)."""
    out = []

    def walk(x):
        if isinstance(x, str):
            out.append(x)
        elif isinstance(x, dict):
            for k, v in x.items():
                if k != "_at":
                    out.append(k)
                    walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)
    with driver.lock:
        for line in driver.lines:
            walk(line)
        out.extend(driver.stderr_lines)
    return out


class PacketReader:
    """Reads `seconds` of media (by timestamps) from url in the background, like
    h.read_packets, but flushed packet by packet, so each packet carries the monotonic time
    it arrived: for checks across an outage (does the reader stay connected, does media
    resume). `with PacketReader(...) as r:` kills ffmpeg at the end whatever happens."""

    def __init__(self, url, seconds, transport="tcp", io_timeout=10.0):
        self.argv = ["ffmpeg", "-nostdin", "-hide_banner", "-v", "error",
                     *h.input_options(url, transport, io_timeout), "-i", url,
                     "-map", "0:v?", "-map", "0:a?", "-c", "copy", "-copyinkf",
                     "-t", "%.3f" % seconds, "-flush_packets", "1", "-f", "framemd5", "-"]
        self.kinds, self.packets, self.errors = {}, [], []
        self.timed_out = False
        self.started = time.monotonic()
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, start_new_session=True,
                                     preexec_fn=h._child_setup)
        self._t_out = threading.Thread(target=self._read_out, daemon=True)
        self._t_err = threading.Thread(target=self._read_err, daemon=True)
        self._t_out.start()
        self._t_err.start()

    def _read_out(self):
        for line in self.proc.stdout:
            at = time.monotonic()
            if line.startswith("#"):
                m = re.match(r"#media_type (\d+): (\w+)", line)
                if m:
                    self.kinds[int(m.group(1))] = m.group(2)
                continue
            f = [x.strip() for x in line.split(",")]
            if len(f) >= 5 and f[0].isdigit():
                try:
                    self.packets.append(TimedPacket(at, self.kinds.get(int(f[0])), int(f[1]),
                                                    int(f[4])))
                except ValueError:
                    pass

    def _read_err(self):
        for line in self.proc.stderr:
            if line.strip():
                self.errors.append(line.rstrip("\n"))

    def wait(self, timeout):
        """Waits for ffmpeg to finish (kills it after `timeout` s); returns self."""
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.timed_out = True
            self.kill()
        self._t_out.join(5)
        self._t_err.join(5)
        self.proc.stdout.close()
        self.proc.stderr.close()
        if self.proc.returncode not in (0, None) and not self.timed_out and not self.errors:
            self.errors.append("ffmpeg exited with %s" % self.proc.returncode)
        return self

    def kill(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait()

    def of(self, kind):
        return [p for p in self.packets if p.kind == kind]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.kill()
        if not self.proc.stdout.closed:
            self.wait(5)
        return False


class RtspCutProxy:
    """A TCP proxy 127.0.0.1:port -> 127.0.0.1:target_port for RTSP over TCP (interleaved
    RTP), which can cut the connection in the middle of a video frame: cut() closes both
    sides right after forwarding an RTP packet of `channel` (the first SETUP: video) whose
    marker bit is clear, i.e. a frame whose end never arrives. New connections keep being
    proxied (the relay can reconnect through it). `with RtspCutProxy(port) as p:` closes all."""

    def __init__(self, target_port, channel=0):
        self.target_port, self.channel = target_port, channel
        self.srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.srv.bind(("127.0.0.1", 0))
        self.srv.listen(16)
        self.port = self.srv.getsockname()[1]
        self.lock = threading.Lock()
        self.socks = []
        self.connections = 0
        self._cut_req, self._cut_done = threading.Event(), threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def url(self, mount):
        return "rtsp://127.0.0.1:%d%s" % (self.port, mount)

    def _accept(self):
        while True:
            try:
                client, _ = self.srv.accept()
                server = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
                server.settimeout(None)
            except OSError:
                if self.srv.fileno() < 0:
                    return
                continue
            with self.lock:
                self.socks += [client, server]
                self.connections += 1
            threading.Thread(target=self._upstream, args=(client, server), daemon=True).start()
            threading.Thread(target=self._downstream, args=(server, client), daemon=True).start()

    @staticmethod
    def _close(*socks):
        for s in socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def _upstream(self, client, server):
        try:
            while True:
                data = client.recv(65536)
                if not data:
                    break
                server.sendall(data)
        except OSError:
            pass
        self._close(server)

    def _downstream(self, server, client):
        buf = b""
        try:
            while True:
                data = server.recv(65536)
                if not data:
                    break
                buf += data
                out = b""
                while buf:
                    if buf[:1] == b"$":  # interleaved: '$', channel, 16-bit length, RTP
                        if len(buf) < 4 or len(buf) < 4 + int.from_bytes(buf[2:4], "big"):
                            break
                        n = 4 + int.from_bytes(buf[2:4], "big")
                        frame, buf = buf[:n], buf[n:]
                        out += frame
                        if (self._cut_req.is_set() and frame[1] == self.channel and n > 5
                                and not frame[5] & 0x80):
                            client.sendall(out)
                            self._close(client, server)
                            self._cut_done.set()
                            return
                        continue
                    end = buf.find(b"\r\n\r\n")  # an RTSP reply, maybe with a body
                    if end < 0:
                        break
                    m = re.search(rb"(?im)^content-length:\s*(\d+)", buf[:end])
                    n = end + 4 + (int(m.group(1)) if m else 0)
                    if len(buf) < n:
                        break
                    out, buf = out + buf[:n], buf[n:]
                if out:
                    client.sendall(out)
        except OSError:
            pass
        self._close(client)

    def cut(self, timeout=5.0):
        """Cuts the live connection(s) mid-frame; True once done."""
        self._cut_done.clear()
        self._cut_req.set()
        done = self._cut_done.wait(timeout)
        self._cut_req.clear()
        return done

    def close(self):
        self.srv.close()
        with self.lock:
            socks, self.socks = self.socks, []
        self._close(*socks)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def thread_stacks(pid):
    """Every thread's stack of a process that hangs (gdb), so a rare hang in CI says where."""
    if not shutil.which("gdb"):
        return "(no gdb)"
    r = subprocess.run(["gdb", "-p", str(pid), "-batch", "-ex", "thread apply all bt 20"],
                       capture_output=True, text=True, timeout=60)
    return "\n".join(l for l in r.stdout.splitlines() if l.startswith(("Thread", "#")))


def stop_checked(tc, driver):
    """driver.stop(), then asserts it exited 0 (under ASan: no leak, no memory error) and
    printed its final stats; returns them."""
    final = driver.stop()
    tc.assertEqual(driver.proc.returncode, 0,
                   "relay_driver exited with %s:\n%s" % (driver.proc.returncode, driver.log()[-4000:]))
    tc.assertIsNotNone(final, "no final stats")
    return final
