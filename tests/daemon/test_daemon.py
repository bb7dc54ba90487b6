#!/usr/bin/python3
"""lightstreamd as a process: /healthz (/metrics: test_metrics.py, SIGHUP's reload:
test_reload.py), SIGTERM/SIGINT with relays and viewers (exit 0 within 3 s, viewers
closed), SIGHUP reopening the log file, and the command line and config file (--help,
--version, unknown keys and flags, bad values, a busy port)."""
import json
import os
import re
import signal
import socket
import sys
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import lsd  # noqa: E402
from lsd import h  # noqa: E402
import common  # noqa: E402
from test_api import ApiCase, output_of, wait_relay, wait_streaming  # noqa: E402

CAM = None
NGX = None


def setUpModule():
    global CAM, NGX
    CAM = h.Camera(common.media_dir()).start()
    NGX = h.Nginx().start()


def tearDownModule():
    if NGX:
        NGX.stop()
    if CAM:
        CAM.stop()


class Viewer:
    """A raw HTTP-FLV client that keeps reading (a real viewer) and notes when the
    connection ends."""

    def __init__(self, port, path):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.sock.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n" % (path, port)).encode())
        self.bytes = 0
        self.head = b""
        self.closed_at = None
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        try:
            while True:
                data = self.sock.recv(65536)
                if not data:
                    break
                if len(self.head) < 4096:
                    self.head += data[:4096 - len(self.head)]
                self.bytes += len(data)
        except OSError:
            pass
        self.closed_at = time.monotonic()

    def status(self):
        m = re.match(rb"HTTP/1\.[01] (\d{3})", self.head)
        return int(m.group(1)) if m else None

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def run_daemon(args, config=None, timeout=15):
    """lightstreamd run to its end (for what must exit by itself)."""
    argv = [lsd.LSD_BIN] + list(args)
    if config is not None:
        d = h.tmpdir("lsdcfg-")
        path = os.path.join(d, "config.json")
        with open(path, "w") as f:
            f.write(config if isinstance(config, str) else json.dumps(config))
        argv += ["--config", path]
    return h.run(argv, timeout=timeout)


# ------------------------------------------------------------------------------------------
class Health(ApiCase):
    def test_healthz(self):
        d = self.start_daemon()
        self.daemon = d
        st, hd, js = d.api("GET", "/healthz")
        self.assertEqual(st, 200)
        self.assertTrue(hd.get("content-type", "").startswith("application/json"))
        self.assertEqual(set(js), {"status", "relays", "viewers", "uptime_s"}, js)
        self.assertEqual((js["status"], js["relays"], js["viewers"]), ("ok", 0, 0))
        self.assertIsInstance(js["uptime_s"], int)
        for i in range(2):
            st, _, r = d.api("POST", "/api/v1/relays", {"id": "hz%d" % i, "source": CAM.url("/h264_aac")})
            self.assertEqual(st, 201, r)
        wait_streaming(d, "hz0")
        v = Viewer(d.port, "/live/hz0.flv")
        self.addCleanup(v.close)
        h.wait_until(lambda: d.api("GET", "/healthz")[2]["viewers"] == 1, 10, what="healthz viewers 1")
        js = d.api("GET", "/healthz")[2]
        self.assertEqual(js["relays"], 2)
        time.sleep(1.2)
        self.assertGreaterEqual(d.api("GET", "/healthz")[2]["uptime_s"], 1)
        v.close()
        h.wait_until(lambda: d.api("GET", "/healthz")[2]["viewers"] == 0, 10, what="healthz viewers 0")


class Signals(ApiCase):
    def test_sigterm_with_relays_and_viewers(self):
        d = self.start_daemon()
        self.daemon = d
        for i in range(2):
            st, _, r = d.api("POST", "/api/v1/relays", {"id": "s%d" % i, "source": CAM.url("/h264_aac"),
                                                         "outputs": [NGX.rtmp_url("s%d" % i)]})
            self.assertEqual(st, 201, r)
        for i in range(2):
            wait_streaming(d, "s%d" % i)
        viewers = [Viewer(d.port, "/live/s%d.flv" % (i % 2)) for i in range(4)]
        for v in viewers:
            self.addCleanup(v.close)
        h.wait_until(lambda: all(v.bytes > 5000 for v in viewers), 10, what="viewers get data")
        t0 = time.monotonic()
        d.proc.signal(signal.SIGTERM)
        try:
            h.wait_until(lambda: not d.proc.alive(), 3.0, 0.02, "exit within 3 s of SIGTERM")
        except TimeoutError:
            self.fail("lightstreamd still runs 3 s after SIGTERM:\n" + d.log()[-3000:])
        took = time.monotonic() - t0
        self.assertEqual(d.proc.returncode, 0, "exit status 0 after SIGTERM:\n" + d.log()[-3000:])
        for v in viewers:
            v.thread.join(3)
            self.assertIsNotNone(v.closed_at, "every viewer's connection is closed")
        self.assertLess(took, 3.0)
        # The state is whole and complete.
        state = json.load(open(os.path.join(d.data_dir, "state.json")))
        self.assertEqual([r["id"] for r in state["relays"]], ["s0", "s1"])

    def test_sigint(self):
        d = self.start_daemon()
        self.daemon = d
        st, _, r = d.api("POST", "/api/v1/relays", {"id": "i0", "source": CAM.url("/h264_aac")})
        self.assertEqual(st, 201, r)
        wait_streaming(d, "i0")
        d.proc.signal(signal.SIGINT)
        h.wait_until(lambda: not d.proc.alive(), 3.0, 0.02, "exit within 3 s of SIGINT")
        self.assertEqual(d.proc.returncode, 0)

    def test_sighup_reopens_log(self):
        logdir = h.tmpdir("lsdlog-")
        path = os.path.join(logdir, "lightstreamd.log")
        d = self.start_daemon(config={"log_file": path})
        self.daemon = d
        h.wait_until(lambda: os.path.exists(path) and os.path.getsize(path) > 0, 10, what="the log file")
        d.api("GET", "/api/v1/relays/before-hup-marker")
        h.wait_until(lambda: "before-hup-marker" in open(path).read(), 5, what="a logged request")
        os.rename(path, path + ".1")       # what logrotate does
        d.api("GET", "/api/v1/relays/between-marker")
        d.proc.signal(signal.SIGHUP)
        h.wait_until(lambda: os.path.exists(path), 5, what="a new log file after SIGHUP")
        d.api("GET", "/api/v1/relays/after-hup-marker")
        h.wait_until(lambda: "after-hup-marker" in open(path).read(), 5, what="new lines in the new file")
        self.assertTrue(d.proc.alive(), "SIGHUP does not stop the daemon")
        old = open(path + ".1").read()
        self.assertIn("before-hup-marker", old)
        self.assertNotIn("after-hup-marker", old, "nothing goes to the renamed file after SIGHUP")
        self.assertEqual(d.api("GET", "/healthz")[0], 200)
        self.assertEqual(d.stop(), 0)


class CommandLine(unittest.TestCase):
    def test_help(self):
        r = run_daemon(["--help"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("--config", r.stdout)
        self.assertIn("--port", r.stdout)

    def test_version(self):
        r = run_daemon(["--version"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"lightstreamd \d+\.\d+")

    def test_unknown_flag(self):
        r = run_daemon(["--no-such-flag"])
        self.assertNotEqual(r.returncode, 0)
        self.assertFalse(r.timed_out)
        self.assertIn("no-such-flag", r.stderr)

    def test_unknown_config_key(self):
        r = run_daemon([], config={"port": 0, "listen": "127.0.0.1", "data_dir": h.tmpdir("d-"), "colour": "blue"})
        self.assertFalse(r.timed_out, "the daemon must refuse to start, not run")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("colour", r.stderr, "the message names the unknown key")
        self.assertRegex(r.stderr, r"(?i)unknown")

    def test_bad_config_values(self):
        base = {"port": 0, "listen": "127.0.0.1", "data_dir": h.tmpdir("d-")}
        for key, value in (("port", "2233x"), ("port", 70000), ("log_level", "loud"), ("max_relays", -1),
                           ("api_token", 5)):
            with self.subTest(key=key, value=value):
                r = run_daemon([], config=dict(base, **{key: value}))
                self.assertFalse(r.timed_out)
                self.assertNotEqual(r.returncode, 0)
                self.assertIn(key, r.stderr)

    def test_config_not_json(self):
        r = run_daemon([], config="{\"port\": 0,")
        self.assertFalse(r.timed_out)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("config.json", r.stderr, "the message names the file")

    def test_missing_config_file(self):
        r = run_daemon(["--config", "/nonexistent/lsd.json"])
        self.assertFalse(r.timed_out)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("/nonexistent/lsd.json", r.stderr)

    def test_port_in_use(self):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        try:
            port = s.getsockname()[1]
            r = run_daemon(["--port", str(port)], config={"listen": "127.0.0.1", "data_dir": h.tmpdir("d-")})
            self.assertFalse(r.timed_out)
            self.assertNotEqual(r.returncode, 0)
            self.assertIn(str(port), r.stderr, "the message says which port")
        finally:
            s.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
