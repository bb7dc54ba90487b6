#!/usr/bin/python3
"""SIGHUP reloads lightstreamd's config file without dropping anything: a new API token
replaces the old one at once, while a viewer connected before keeps receiving and the relay
and its RTMP output run on untouched (same uptime, no reconnection); limits and the log level
change live; what needs a restart (listen, data_dir...) is named in the log and kept; a broken
or refused file keeps the running config whole. No token ever reaches the log."""
import json
import os
import signal
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from lsd import h  # noqa: E402
import common  # noqa: E402
from test_api import ApiCase, output_of, wait_relay  # noqa: E402
from test_daemon import Viewer  # noqa: E402

CAM = None
NGX = None
OLD, NEW = "old-token-1f3a", "new-token-9c2e"


def setUpModule():
    global CAM, NGX
    CAM = h.Camera(common.media_dir()).start()
    NGX = h.Nginx().start()


def tearDownModule():
    if NGX:
        NGX.stop()
    if CAM:
        CAM.stop()


def read(path):
    with open(path) as f:
        return f.read()


class Reload(ApiCase):
    def write_config(self, d, text=None, **changes):
        """Rewrites the file the daemon was started with (lsd.Daemon's config.json)."""
        path = os.path.join(d.dir, "config.json")
        if text is None:
            cfg = json.loads(read(path))
            cfg.update(changes)
            text = json.dumps(cfg)
        with open(path + ".tmp", "w") as f:
            f.write(text)
        os.rename(path + ".tmp", path)

    def hup(self, d, expect):
        """SIGHUP, then wait for the log line that says how the reload went."""
        n = d.log().count(expect)
        d.proc.signal(signal.SIGHUP)
        h.wait_until(lambda: d.log().count(expect) > n, 10, what="log: " + expect)

    def status(self, d, path, token):
        return d.request("GET", path, token=token)[0]

    def reloads(self, d, result):
        text = d.request("GET", "/metrics", token=NEW)[2].decode()
        for line in text.splitlines():
            if line.startswith('lightstreamd_config_reloads_total{result="%s"}' % result):
                return float(line.split()[-1])
        self.fail("no reload counter in /metrics")

    def test_token_change_keeps_viewers_and_relays(self):
        d = self.start_daemon(config={"api_token": OLD})
        st, _, r = d.api("POST", "/api/v1/relays", {"id": "hup", "source": CAM.url("/h264_aac"),
                                                     "outputs": [NGX.rtmp_url("hup")]}, token=OLD)
        self.assertEqual(st, 201, r)
        oid = r["outputs"][0]["id"]
        before = wait_relay(d, "hup", lambda x: x["state"] == "streaming" and
                            output_of(x, oid)["state"] == "streaming", token=OLD)
        v = Viewer(d.port, "/live/hup.flv")
        self.addCleanup(v.close)
        h.wait_until(lambda: v.bytes > 10000, 10, what="the viewer gets data")

        self.write_config(d, api_token=NEW)
        self.hup(d, "SIGHUP: config reloaded")
        self.assertEqual(self.status(d, "/api/v1/relays", OLD), 401, "the old token is refused")
        self.assertEqual(self.status(d, "/api/v1/relays", None), 401)
        self.assertEqual(self.status(d, "/api/v1/relays", NEW), 200, "the new token is accepted")
        self.assertEqual(self.status(d, "/metrics", NEW), 200)

        seen = v.bytes
        h.wait_until(lambda: v.bytes > seen + 20000, 10, what="the viewer still receives")
        self.assertIsNone(v.closed_at, "the viewer connected before SIGHUP is still connected")
        after = wait_relay(d, "hup", lambda x: True, token=NEW)
        self.assertEqual(after["state"], "streaming")
        self.assertEqual(after["stats"]["reconnects"], 0, "the relay did not reconnect")
        self.assertGreater(after["stats"]["uptime_ms"], before["stats"]["uptime_ms"],
                           "the relay's input was not restarted")
        out_b, out_a = output_of(before, oid), output_of(after, oid)
        self.assertEqual(out_a["state"], "streaming")
        self.assertEqual(out_a["reconnects"], 0, "the RTMP output did not reconnect")
        self.assertGreater(out_a["bytes"], out_b["bytes"],
                           "the output's byte count went on (a new output starts from 0)")
        self.assertEqual(self.reloads(d, "success"), 1)

        log = d.log()
        self.assertIn("changed api_token", log)
        self.assertNotIn(OLD, log)
        self.assertNotIn(NEW, log)

    def test_broken_file_keeps_the_running_config(self):
        d = self.start_daemon(config={"api_token": NEW, "max_body_bytes": 65536})
        for text, why in (('{"api_token": "' + OLD + '", ', "not valid JSON"),
                          (json.dumps({"api_token": OLD, "no_such_key": 1}), "unknown config key"),
                          (json.dumps({"api_token": OLD, "max_connections": 0}), "bad value")):
            self.write_config(d, text=text)
            self.hup(d, "SIGHUP: config refused, the running one is kept")
            last = [ln for ln in d.log().splitlines() if "config refused" in ln][-1]
            self.assertIn(why, last)
            self.assertEqual(self.status(d, "/api/v1/relays", NEW), 200, "still the old token")
            self.assertEqual(self.status(d, "/api/v1/relays", OLD), 401, why)
        self.assertEqual(self.reloads(d, "failure"), 3)
        self.assertEqual(self.reloads(d, "success"), 0)
        self.assertTrue(d.proc.alive())
        self.assertNotIn(OLD, d.log())

    def test_limits_and_log_level_live_restart_keys_named(self):
        logdir = h.tmpdir("lsdhup-")
        path = os.path.join(logdir, "lightstreamd.log")
        d = self.start_daemon(config={"log_file": path, "log_level": "debug"})
        big = {"source": "rtsp://127.0.0.1/x", "name": "n" * 3000}
        self.assertNotEqual(d.request("POST", "/api/v1/relays", big)[0], 413)
        d.request("GET", "/api/v1/relays/marker-before")
        h.wait_until(lambda: "marker-before" in read(path), 5, what="debug lines logged")
        port = d.port
        self.write_config(d, log_level="info", max_body_bytes=1024, listen="127.0.0.2",
                          data_dir=os.path.join(d.dir, "elsewhere"))
        n = read(path).count("config reloaded")
        d.proc.signal(signal.SIGHUP)
        h.wait_until(lambda: read(path).count("config reloaded") > n, 10,
                     what="the reload logged in the log file")
        log = read(path)
        self.assertIn("changed log_level, max_body_bytes", log)
        # recordings_dir's default is <data_dir>/recordings: it moves with data_dir.
        self.assertRegex(log, r"warn .*SIGHUP: listen, data_dir, recordings_dir changed in the "
                              r"config but needs restart")
        st, _, js = d.api("POST", "/api/v1/relays", big)
        self.assertEqual(st, 413, "the new max_body_bytes applies at once: %s" % js)
        d.request("GET", "/api/v1/relays/marker-after")
        time.sleep(0.5)
        self.assertNotIn("marker-after", read(path), "debug lines stop at level info")
        self.assertEqual(d.port, port)
        self.assertEqual(d.api("GET", "/healthz")[0], 200, "still on 127.0.0.1, same port")
        self.assertFalse(os.path.exists(os.path.join(d.dir, "elsewhere")),
                         "the data directory is not moved by a reload")


if __name__ == "__main__":
    unittest.main(verbosity=2)
