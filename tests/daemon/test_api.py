#!/usr/bin/python3
"""lightstreamd's native API (docs/http-api.md) against a real daemon, a real camera
(gst-rtsp-server) and a real RTMP server (nginx-rtmp): every endpoint, every validation
error (right status, the error envelope, nothing changed), auth on and off, redaction of the
camera password everywhere, and the OpenAPI document against the routes the daemon answers."""
import base64
import calendar
import json
import os
import re
import sys
import time
import unittest
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import lsd  # noqa: E402
from lsd import h  # noqa: E402
import common  # noqa: E402  (tests/integration: flvcheck, decode_errors)

REPO = os.path.dirname(os.path.dirname(HERE))
OPENAPI = os.path.join(REPO, "docs", "openapi.json")
LIVE_FIELDS = ("state", "running", "stats", "viewers", "lease_expires_in_ms")
OUTPUT_LIVE = ("state", "bytes", "bitrate_kbps", "reconnects", "error")
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")

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


# ------------------------------------------------------------------------------------------
# helpers (test_persist.py and test_daemon.py use them too)
# ------------------------------------------------------------------------------------------
def config_part(relay):
    """A relay object without what changes by itself (state, stats, counters)."""
    r = {k: v for k, v in relay.items() if k not in LIVE_FIELDS}
    r["outputs"] = [{k: v for k, v in o.items() if k not in OUTPUT_LIVE} for o in relay.get("outputs", [])]
    return r


def snapshot(d, token=None):
    """The configuration of every relay, in order (what a failed request must not change)."""
    st, _, js = d.api("GET", "/api/v1/relays", token=token)
    assert st == 200, (st, js)
    return [config_part(r) for r in js["relays"]]


def state_file(d):
    try:
        with open(os.path.join(d.data_dir, "state.json"), "rb") as f:
            return f.read()
    except FileNotFoundError:
        return None


def wait_relay(d, rid, pred, timeout=25.0, what=None, token=None):
    """Polls GET /api/v1/relays/<rid> until pred(relay) holds; returns the relay."""
    last = {}

    def ok():
        st, _, js = d.api("GET", "/api/v1/relays/" + rid, token=token)
        last["r"] = (st, js)
        return js if st == 200 and pred(js) else None
    try:
        return h.wait_until(ok, timeout, 0.2, what or "relay %s" % rid)
    except TimeoutError as e:
        raise AssertionError("%s; last answer %r\n%s" % (e, last.get("r"), d.log()[-3000:]))


def wait_streaming(d, rid, timeout=25.0, token=None):
    return wait_relay(d, rid, lambda r: r.get("state") == "streaming", timeout,
                      "relay %s streaming" % rid, token)


def output_of(relay, oid):
    for o in relay["outputs"]:
        if o["id"] == oid:
            return o
    return None


SANITIZER = re.compile(r"ERROR: (Address|Leak|Thread|Memory)Sanitizer|runtime error:")


def finish(d):
    """Stops a daemon the way a user does (SIGTERM) when it still runs, and returns what is
    wrong with how it ended: a non-zero exit (under ASan: a leak), a sanitizer report in its
    log. None when all is well."""
    if d is None or d.proc is None:
        return None
    problem = None
    try:
        if d.proc.alive():
            rc = d.stop(20)
            if rc != 0:
                problem = "lightstreamd exited with %s after SIGTERM" % rc
    except TimeoutError:
        problem = "lightstreamd did not exit within 20 s of SIGTERM"
    finally:
        d.proc.kill()
    m = SANITIZER.search(d.log())
    if m:
        problem = "sanitizer report in the daemon's log: %s" % d.log()[m.start():m.start() + 3000]
    if problem:
        problem += "\n---- log tail ----\n" + d.log()[-3000:]
    return problem


class ApiCase(unittest.TestCase):
    """Shared assertions; keeps the daemon's log when a test fails; every daemon is stopped
    with SIGTERM at the end and must exit 0 with a clean log (ASan/UBSan builds)."""
    daemon = None

    @classmethod
    def finish_class_daemon(cls):
        problem = finish(cls.daemon)
        if problem:
            raise AssertionError(problem)

    def check_finish(self, d):
        problem = finish(d)
        if problem:
            self.fail(problem)

    def assertError(self, resp, status, code, field=None):
        st, hd, js = resp
        self.assertEqual(st, status, js)
        self.assertIsInstance(js, dict, "an error has a JSON body")
        self.assertEqual(set(js), {"error"}, js)
        self.assertEqual(set(js["error"]), {"code", "message"}, js)
        self.assertEqual(js["error"]["code"], code, js)
        self.assertIsInstance(js["error"]["message"], str)
        self.assertTrue(js["error"]["message"], "the message says what is wrong")
        self.assertTrue(hd.get("content-type", "").startswith("application/json"), hd)
        if field:
            self.assertIn(field, js["error"]["message"], "the message names the field")

    def assertFlvPlays(self, url, seconds=3, audio=True, codec="h264"):
        code, res = common.flvcheck(url, seconds=seconds, timeout=seconds + 30)
        self.assertEqual(code, 0, res)
        self.assertTrue(res["ok"], res.get("errors"))
        v = res["video"]
        self.assertEqual(v["codec"], codec, res)
        self.assertGreater(v["decoded"], 0, res)
        self.assertEqual(v["decode_errors"], 0, res)
        if audio:
            self.assertEqual(res["audio"]["codec"], "aac", res)
            self.assertEqual(res["audio"]["decode_errors"], 0, res)
        else:
            self.assertEqual(res["audio"]["codec"], "none", res)
        return res

    def run(self, result=None):
        n_before = len(result.failures) + len(result.errors) if result else 0
        r = super().run(result)
        if result and len(result.failures) + len(result.errors) > n_before:
            for d in getattr(self, "_daemons", []) + ([self.daemon] if self.daemon else []):
                if d is not None and d.proc is not None:
                    sys.stderr.write("---- lightstreamd log (tail) ----\n%s\n" % d.log()[-6000:])
        return r

    def start_daemon(self, config=None, **kw):
        d = lsd.Daemon(config=config, **kw).start()
        self._daemons = getattr(self, "_daemons", []) + [d]
        self.addCleanup(self.check_finish, d)
        return d


# ------------------------------------------------------------------------------------------
# endpoints
# ------------------------------------------------------------------------------------------
class Endpoints(ApiCase):
    @classmethod
    def setUpClass(cls):
        cls.daemon = lsd.Daemon().start()

    @classmethod
    def tearDownClass(cls):
        cls.finish_class_daemon()

    def create(self, body, status=201):
        st, hd, js = self.daemon.api("POST", "/api/v1/relays", body)
        self.assertEqual(st, status, js)
        return hd, js

    def delete(self, rid):
        st, _, js = self.daemon.api("DELETE", "/api/v1/relays/" + rid)
        self.assertEqual(st, 204, js)

    def test_create_with_id(self):
        d = self.daemon
        before = time.time()
        hd, r = self.create({"id": "cam.with_id-1", "source": CAM.url("/h264_aac"), "name": "Front door"})
        self.addCleanup(d.request, "DELETE", "/api/v1/relays/cam.with_id-1")
        self.assertTrue(hd.get("location", "").endswith("/api/v1/relays/cam.with_id-1"), hd)
        self.assertTrue(hd.get("content-type", "").startswith("application/json"))
        self.assertIsNone(hd.get("access-control-allow-origin"))
        self.assertEqual(r["id"], "cam.with_id-1")
        self.assertEqual(r["name"], "Front door")
        self.assertEqual(r["source"], CAM.url("/h264_aac"))
        # The documented defaults.
        self.assertEqual((r["transport"], r["audio"], r["hevc"], r["engine"], r["on_demand"], r["idle_s"],
                          r["lease_s"]), ("tcp", "all", "enhanced", "libavformat", False, 0, 0))
        self.assertEqual(r["outputs"], [])
        self.assertNotIn("lease_expires_in_ms", r, "no lease, no lease_expires_in_ms")
        self.assertEqual(r["play"]["flv"], d.url("/live/cam.with_id-1.flv"))
        self.assertEqual(r["play"].get("rtmp", []), [])
        self.assertIn(r["state"], ("idle", "connecting", "streaming"))
        self.assertIsInstance(r["viewers"], int)
        self.assertTrue(r["running"], "a relay that is not on-demand runs at once")
        self.assertRegex(r["created"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
        created = calendar.timegm(time.strptime(r["created"][:19], "%Y-%m-%dT%H:%M:%S"))
        self.assertLess(abs(created - before), 5, "created is the creation time (UTC)")
        # It streams: live stats from the library, and HTTP-FLV decodes.
        r = wait_streaming(d, "cam.with_id-1")
        s = r["stats"]
        self.assertEqual((s["video_codec"], s["width"], s["height"]), ("h264", 640, 360), s)
        self.assertEqual((s["audio_codec"], s["audio_sample_rate"], s["audio_channels"]), ("aac", 48000, 2), s)
        for k in ("bitrate_kbps", "bytes_in", "video_frames_in", "audio_frames_in", "reconnects", "uptime_ms",
                  "keyframe_interval_ms", "first_packet_ms", "first_keyframe_ms", "fps", "repairs", "last_error"):
            self.assertIn(k, s)
        self.assertEqual(set(s["repairs"]), {"backward", "jump", "equal", "wrap", "missing", "reconnect",
                                              "reorder", "interleave"})
        self.assertFlvPlays(d.url("/live/cam.with_id-1.flv"))
        r2 = wait_relay(d, "cam.with_id-1", lambda x: x["stats"]["video_frames_in"] > s["video_frames_in"])
        self.assertGreater(r2["stats"]["bytes_in"], s["bytes_in"], "live stats move")

    def test_create_generated_id(self):
        ids = []
        for _ in range(3):
            _, r = self.create({"source": CAM.url("/h264"), "on_demand": True})
            self.addCleanup(self.daemon.request, "DELETE", "/api/v1/relays/" + r["id"])
            self.assertRegex(r["id"], r"^r[0-9a-f]{8}$")
            ids.append(r["id"])
            st, _, g = self.daemon.api("GET", "/api/v1/relays/" + r["id"])
            self.assertEqual(st, 200)
            self.assertEqual(config_part(g), config_part(r))
        self.assertEqual(len(set(ids)), 3, "generated ids are unique")

    def test_list_in_creation_order(self):
        made = []
        for i in range(3):
            _, r = self.create({"id": "list-%d" % i, "source": CAM.url("/h264"), "on_demand": True,
                                "name": "n%d" % i})
            self.addCleanup(self.daemon.request, "DELETE", "/api/v1/relays/list-%d" % i)
            made.append(r)
        st, hd, js = self.daemon.api("GET", "/api/v1/relays")
        self.assertEqual(st, 200)
        self.assertEqual(set(js), {"relays"})
        mine = [r for r in js["relays"] if r["id"].startswith("list-")]
        self.assertEqual([r["id"] for r in mine], ["list-0", "list-1", "list-2"])
        for got, want in zip(mine, made):
            self.assertEqual(config_part(got), config_part(want))
            self.assertFalse(got["running"], "on-demand without viewers: not running")
            self.assertEqual(got["state"], "idle")
            self.assertNotIn("stats", got, "no stats while not running")

    def test_get_unknown(self):
        self.assertError(self.daemon.api("GET", "/api/v1/relays/nope"), 404, "not_found")

    def test_put_replaces(self):
        d = self.daemon
        self.create({"id": "put1", "source": CAM.url("/h264"), "name": "old", "audio": "none",
                     "on_demand": True, "idle_s": 7})
        self.addCleanup(d.request, "DELETE", "/api/v1/relays/put1")
        before = d.api("GET", "/api/v1/relays/put1")[2]
        st, _, r = d.api("PUT", "/api/v1/relays/put1", {"id": "put1", "source": CAM.url("/h264_aac"),
                                                        "transport": "tcp", "lease_s": 600})
        self.assertEqual(st, 200, r)
        self.assertEqual(r["source"], CAM.url("/h264_aac"))
        self.assertEqual(r["lease_s"], 600)
        # All fields, as POST: the ones not given are back to their defaults.
        self.assertEqual((r["name"], r["audio"], r["on_demand"], r["idle_s"]), ("", "all", False, 0))
        self.assertEqual(r["created"], before["created"], "same relay, same creation time")
        self.assertIn("lease_expires_in_ms", r)
        self.assertEqual(config_part(d.api("GET", "/api/v1/relays/put1")[2]), config_part(r))
        r = wait_streaming(d, "put1")
        self.assertEqual(r["stats"]["audio_codec"], "aac", "the new source is the one that runs")
        # Without an id in the body: fine. With another id: refused, nothing changed.
        st, _, r = d.api("PUT", "/api/v1/relays/put1", {"source": CAM.url("/h264_aac")})
        self.assertEqual(st, 200, r)
        snap = snapshot(d)
        self.assertError(d.api("PUT", "/api/v1/relays/put1", {"id": "other", "source": CAM.url("/h264")}),
                         400, "invalid", "id")
        self.assertError(d.api("PUT", "/api/v1/relays/put1", {"name": "no source"}), 400, "invalid", "source")
        self.assertEqual(snapshot(d), snap)
        self.assertError(d.api("PUT", "/api/v1/relays/nope", {"source": CAM.url("/h264")}), 404, "not_found")
        self.assertEqual(snapshot(d), snap)

    def test_put_keeps_output_ids_unique(self):
        """Output ids are never given twice within a relay, not even across a PUT: a client
        holding an old id must not delete a new output with it."""
        d = self.daemon
        _, r = self.create({"id": "put2", "source": CAM.url("/h264"), "on_demand": True,
                            "outputs": ["rtmp://127.0.0.1:1/live/a", "rtmp://127.0.0.1:1/live/b"]})
        self.addCleanup(d.request, "DELETE", "/api/v1/relays/put2")
        old = {o["id"] for o in r["outputs"]}
        st, _, r = d.api("PUT", "/api/v1/relays/put2", {"source": CAM.url("/h264"), "on_demand": True,
                                                        "outputs": ["rtmp://127.0.0.1:1/live/c"]})
        self.assertEqual(st, 200, r)
        new = {o["id"] for o in r["outputs"]}
        self.assertEqual(new & old, set(), "PUT gave an old output id again: %s" % r["outputs"])

    def test_patch(self):
        d = self.daemon
        self.create({"id": "patch1", "source": CAM.url("/h264_aac"), "name": "a"})
        self.addCleanup(d.request, "DELETE", "/api/v1/relays/patch1")
        r0 = wait_streaming(d, "patch1")
        self.assertEqual(r0["stats"]["audio_codec"], "aac")
        # A label only: not restarted (uptime keeps counting).
        st, _, r = d.api("PATCH", "/api/v1/relays/patch1", {"name": "b"})
        self.assertEqual(st, 200, r)
        self.assertEqual(r["name"], "b")
        want = dict(config_part(r0), name="b")
        self.assertEqual(config_part(r), want, "only the name changed")
        time.sleep(0.5)
        r1 = d.api("GET", "/api/v1/relays/patch1")[2]
        self.assertEqual(r1["state"], "streaming")
        self.assertGreaterEqual(r1["stats"]["uptime_ms"], r0["stats"]["uptime_ms"], "not restarted")
        # The audio policy: restarted with it, and the stream has no audio any more.
        st, _, r = d.api("PATCH", "/api/v1/relays/patch1", {"audio": "none"})
        self.assertEqual(st, 200, r)
        self.assertEqual((r["audio"], r["name"], r["source"]), ("none", "b", CAM.url("/h264_aac")))
        wait_relay(d, "patch1", lambda x: x["state"] == "streaming" and x["stats"].get("video_frames_in", 0) > 10)
        self.assertFlvPlays(d.url("/live/patch1.flv"), audio=False)
        # outputs replaces the list.
        st, _, r = d.api("PATCH", "/api/v1/relays/patch1", {"outputs": [NGX.rtmp_url("patch1")]})
        self.assertEqual(st, 200, r)
        self.assertEqual([o["url"] for o in r["outputs"]], [NGX.rtmp_url("patch1")])
        st, _, r = d.api("PATCH", "/api/v1/relays/patch1", {"outputs": []})
        self.assertEqual((st, r["outputs"]), (200, []))
        # The same id in the body is fine; another one is not; nothing changes on errors.
        self.assertEqual(d.api("PATCH", "/api/v1/relays/patch1", {"id": "patch1"})[0], 200)
        snap = snapshot(d)
        self.assertError(d.api("PATCH", "/api/v1/relays/patch1", {"id": "patch2"}), 400, "invalid", "id")
        self.assertError(d.api("PATCH", "/api/v1/relays/patch1", {"audio": "mp3"}), 400, "invalid", "audio")
        self.assertError(d.api("PATCH", "/api/v1/relays/patch1", {"name": "c", "idle_s": -1}), 400, "invalid", "idle_s")
        self.assertError(d.api("PATCH", "/api/v1/relays/patch1", {"source": None}), 400, "invalid", "source")
        self.assertError(d.api("PATCH", "/api/v1/relays/nope", {"name": "x"}), 404, "not_found")
        self.assertEqual(snapshot(d), snap)

    def test_engine(self):
        """engine native reads the camera with the library's own client (stats say so); a PATCH
        to libavformat restarts the relay on FFmpeg's."""
        d = self.daemon
        _, r = self.create({"id": "engine1", "source": CAM.url("/h264_aac"), "engine": "native"})
        self.addCleanup(d.request, "DELETE", "/api/v1/relays/engine1")
        self.assertEqual(r["engine"], "native")
        r = wait_relay(d, "engine1", lambda x: x["state"] == "streaming"
                       and x["stats"].get("video_frames_in", 0) > 10, what="native streaming")
        self.assertEqual((r["stats"]["engine"], r["stats"]["engine_fallbacks"]), ("native", 0))
        self.assertFlvPlays(d.url("/live/engine1.flv"))
        st, _, r = d.api("PATCH", "/api/v1/relays/engine1", {"engine": "libavformat"})
        self.assertEqual((st, r["engine"]), (200, "libavformat"), r)
        wait_relay(d, "engine1", lambda x: x.get("stats", {}).get("engine") == "libavformat"
                   and x["stats"].get("video_frames_in", 0) > 10, what="restarted on libavformat")

    def test_delete(self):
        d = self.daemon
        self.create({"id": "del1", "source": CAM.url("/h264_aac")})
        wait_streaming(d, "del1")
        st, hd, raw = d.request("DELETE", "/api/v1/relays/del1")
        self.assertEqual(st, 204)
        self.assertEqual(raw, b"")
        self.assertError(d.api("GET", "/api/v1/relays/del1"), 404, "not_found")
        self.assertNotIn("del1", [r["id"] for r in d.api("GET", "/api/v1/relays")[2]["relays"]])
        self.assertError(d.api("DELETE", "/api/v1/relays/del1"), 404, "not_found")
        self.assertError(d.api("GET", "/live/del1.flv"), 404, "not_found")
        # The id is free again.
        self.create({"id": "del1", "source": CAM.url("/h264"), "on_demand": True})
        self.delete("del1")

    def test_outputs_add_remove(self):
        d = self.daemon
        self.create({"id": "out1", "source": CAM.url("/h264_aac")})
        self.addCleanup(d.request, "DELETE", "/api/v1/relays/out1")
        wait_streaming(d, "out1")
        url = NGX.rtmp_url("out1")
        st, hd, o = d.api("POST", "/api/v1/relays/out1/outputs", {"url": url})
        self.assertEqual(st, 201, o)
        self.assertEqual(o["url"], url)
        self.assertIsInstance(o["id"], int)
        self.assertGreaterEqual(o["id"], 1)
        oid = o["id"]
        r = wait_relay(d, "out1", lambda x: (output_of(x, oid) or {}).get("state") == "streaming",
                       what="output streaming")
        self.assertIn(url, r["play"]["rtmp"])
        # Read the stream back from nginx with independent tools.
        info = h.ffprobe_streams(url)
        self.assertEqual(sorted(s[:2] for s in h.stream_summary(info)), [("audio", "aac"), ("video", "h264")])
        self.assertEqual(common.decode_errors(url, 3), [])
        r = wait_relay(d, "out1", lambda x: output_of(x, oid)["bytes"] > 0)
        # The RTMP output streams on no thread of its own: the relay's thread writes to it
        # (lightstreamd gives every relay its ls_io).
        pid = d.proc.popen.pid
        names = []
        for tid in os.listdir("/proc/%d/task" % pid):
            with open("/proc/%d/task/%s/comm" % (pid, tid)) as f:
                names.append(f.read().strip())
        self.assertEqual([n for n in names if n.startswith("ls-out")], [], names)
        self.assertEqual(names.count("ls-io"), 1, names)
        # A second output (a file, in the recordings directory), then the first removed: ids
        # stay stable.
        path = os.path.join(d.data_dir, "recordings", "o.flv")
        st, _, o2 = d.api("POST", "/api/v1/relays/out1/outputs", {"url": "o.flv"})
        self.assertEqual(st, 201, o2)
        self.assertNotEqual(o2["id"], oid)
        st, _, raw = d.request("DELETE", "/api/v1/relays/out1/outputs/%d" % oid)
        self.assertEqual((st, raw), (204, b""))
        r = d.api("GET", "/api/v1/relays/out1")[2]
        self.assertEqual([x["id"] for x in r["outputs"]], [o2["id"]])
        self.assertNotIn(url, r["play"].get("rtmp", []))
        self.assertError(d.api("DELETE", "/api/v1/relays/out1/outputs/%d" % oid), 404, "not_found")
        self.assertError(d.api("DELETE", "/api/v1/relays/out1/outputs/999"), 404, "not_found")
        self.assertError(d.api("DELETE", "/api/v1/relays/nope/outputs/1"), 404, "not_found")
        self.assertError(d.api("POST", "/api/v1/relays/nope/outputs", {"url": url}), 404, "not_found")
        # nginx loses the stream once the output is gone.
        def gone():
            try:
                h.ffprobe_streams(url, timeout=6)
                return False
            except h.ProbeError:
                return True
        h.wait_until(gone, 20, 0.5, "nginx to lose the removed output's stream")
        # The file output got a decodable stream (read once it is closed).
        h.wait_until(lambda: common.recordings(path) and os.path.getsize(common.recording(path)) > 100000,
                     20, 0.3, "file output")
        self.assertEqual(d.request("DELETE", "/api/v1/relays/out1/outputs/%d" % o2["id"])[0], 204)
        code, res = common.flvcheck(common.recording(path))
        self.assertTrue(res["ok"], res)
        self.assertGreater(res["video"]["decoded"], 0)
        self.assertEqual(res["video"]["decode_errors"], 0)
        # Bad outputs: 400, nothing changes.
        snap = snapshot(d)
        for body, field in (({"url": "http://127.0.0.1/x"}, "url"), ({"url": "../up.flv"}, "url"),
                            ({"url": 5}, "url"), ({}, "url"), ({"url": url, "extra": 1}, "extra")):
            self.assertError(d.api("POST", "/api/v1/relays/out1/outputs", body), 400, "invalid", field)
        self.assertError(d.api("POST", "/api/v1/relays/out1/outputs", b"{"), 400, "bad_json")
        self.assertEqual(snapshot(d), snap)

    def test_outputs_limit(self):
        d = self.daemon
        outs = ["rtmp://127.0.0.1:1/live/x%d" % i for i in range(16)]
        self.create({"id": "lim1", "source": CAM.url("/h264"), "on_demand": True, "outputs": outs})
        self.addCleanup(d.request, "DELETE", "/api/v1/relays/lim1")
        snap = snapshot(d)
        self.assertError(d.api("POST", "/api/v1/relays/lim1/outputs", {"url": "rtmp://127.0.0.1:1/live/y"}),
                         507, "limit")
        self.assertEqual(snapshot(d), snap)

    def test_lease(self):
        d = self.daemon
        _, r = self.create({"id": "lease1", "source": CAM.url("/h264"), "on_demand": True, "lease_s": 30})
        self.addCleanup(d.request, "DELETE", "/api/v1/relays/lease1")
        self.assertLessEqual(r["lease_expires_in_ms"], 30000)
        self.assertGreater(r["lease_expires_in_ms"], 25000)
        st, _, r = d.api("POST", "/api/v1/relays/lease1/lease", {"seconds": 600})
        self.assertEqual(st, 200, r)
        self.assertGreater(r["lease_expires_in_ms"], 590000)
        self.assertLessEqual(r["lease_expires_in_ms"], 600000)
        self.assertEqual(r["lease_s"], 30, "renewing for longer once does not change lease_s")
        # No body: the relay's own lease_s.
        st, _, r = d.api("POST", "/api/v1/relays/lease1/lease")
        self.assertEqual(st, 200, r)
        self.assertGreater(r["lease_expires_in_ms"], 25000)
        self.assertLessEqual(r["lease_expires_in_ms"], 30000)
        snap = snapshot(d)
        for body in ({"seconds": "10"}, {"seconds": -1}, {"seconds": 1.5}, {"secs": 10}):
            self.assertError(d.api("POST", "/api/v1/relays/lease1/lease", body), 400, "invalid")
        self.assertError(d.api("POST", "/api/v1/relays/lease1/lease", b"[1]"), 400, "bad_json")
        self.assertError(d.api("POST", "/api/v1/relays/nope/lease", {"seconds": 5}), 404, "not_found")
        self.assertEqual(snapshot(d), snap)

    def test_lease_expiry(self):
        """A relay not renewed within lease_s is removed; one renewed lives on."""
        d = self.daemon
        self.create({"id": "lease-dies", "source": CAM.url("/h264_aac"), "lease_s": 2})
        self.create({"id": "lease-lives", "source": CAM.url("/h264_aac"), "lease_s": 2})
        self.addCleanup(d.request, "DELETE", "/api/v1/relays/lease-lives")
        t0 = time.monotonic()
        gone_at = None
        while time.monotonic() - t0 < 6:
            self.assertEqual(d.api("POST", "/api/v1/relays/lease-lives/lease")[0], 200)
            if gone_at is None and d.api("GET", "/api/v1/relays/lease-dies")[0] == 404:
                gone_at = time.monotonic() - t0
            time.sleep(0.5)
        self.assertIsNotNone(gone_at, "the relay whose lease ran out is removed")
        self.assertGreater(gone_at, 1.0, "not before its lease ran out")
        self.assertEqual(d.api("GET", "/api/v1/relays/lease-lives")[0], 200)
        self.assertEqual(wait_streaming(d, "lease-lives")["state"], "streaming")

    def test_live_flv_unknown(self):
        self.assertError(self.daemon.api("GET", "/live/nope.flv"), 404, "not_found")

    def test_unknown_route(self):
        for path in ("/api/v1/nothing", "/api/v1/relays/a/b/c", "/api/v2/relays", "/live/x"):
            self.assertError(self.daemon.api("GET", path), 404, "not_found")

    def test_preflight(self):
        # Same-origin by default: a page elsewhere gets no permission to call the API.
        st, hd, raw = self.daemon.request("OPTIONS", "/api/v1/relays", headers={
            "Origin": "http://example.test", "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type"})
        self.assertEqual(st, 204)
        self.assertIsNone(hd.get("access-control-allow-origin"))
        # Players anywhere may read /live/.
        st, hd, raw = self.daemon.request("OPTIONS", "/live/x.flv", headers={
            "Origin": "http://example.test", "Access-Control-Request-Method": "GET"})
        self.assertEqual(st, 204)
        self.assertEqual(hd.get("access-control-allow-origin"), "*")

    def test_cross_site_defences(self):
        d = self.daemon

        def ids():
            return sorted(r["id"] for r in d.api("GET", "/api/v1/relays")[2]["relays"])
        before = ids()
        # A form or text/plain POST (no preflight in browsers) is refused.
        for ctype in ("text/plain", "application/x-www-form-urlencoded", "application/jsonx"):
            st, hd, raw = d.request("POST", "/api/v1/relays",
                                    json.dumps({"source": CAM.url("/h264")}).encode(),
                                    headers={"Content-Type": ctype})
            self.assertError((st, hd, json.loads(raw)), 415, "unsupported_media_type")
        st, hd, raw = d.request("POST", "/api/v1/relays", json.dumps({"source": CAM.url("/h264"),
                                "id": "ct1"}), headers={"Content-Type": "application/json; charset=utf-8"})
        self.assertEqual(st, 201, raw)
        self.assertEqual(d.request("DELETE", "/api/v1/relays/ct1")[0], 204)
        self.assertEqual(ids(), before)
        # DNS rebinding: a foreign Host name is refused, loopback names pass.
        st, hd, raw = d.request("GET", "/api/v1/relays", headers={"Host": "evil.example:%d" % d.port})
        self.assertEqual(st, 421, raw)
        self.assertEqual(json.loads(raw)["error"]["code"], "host_not_allowed")
        for host in ("localhost:%d" % d.port, "127.0.0.1:%d" % d.port, "[::1]:%d" % d.port):
            self.assertEqual(d.request("GET", "/api/v1/relays", headers={"Host": host})[0], 200, host)

    def test_foreign_host_shapes_refused(self):
        """On loopback only a Host that parses strictly as a loopback name passes (DNS
        rebinding): no trailing text after the brackets or the port, no name that merely
        starts like one."""
        d, p = self.daemon, self.daemon.port
        for host in ("[::1]evil", "[::1]evil:%d" % p, "[::1]:%dx" % p, "[::1].evil.com", "[::1",
                     "[evil]:%d" % p, "127.0.0.1.evil.com", "127.0.0.1.evil.com:%d" % p,
                     "127.0.0.1:%dx" % p, "127.0.0.1:", "127.0.0.1:99999", "127.0.0.1 evil",
                     "localhost.evil.com", "localhost:%d@evil.com" % p, "evil.example"):
            with self.subTest(host=host):
                st, hd, raw = d.request("GET", "/api/v1/relays", headers={"Host": host})
                self.assertError((st, hd, json.loads(raw)), 421, "host_not_allowed")
        for host in ("localhost", "LocalHost:%d" % p, "127.0.0.1", "127.9.8.7:%d" % p, "[::1]",
                     "[0:0:0:0:0:0:0:1]:%d" % p, "[::ffff:127.0.0.1]:%d" % p):
            with self.subTest(host=host):
                self.assertEqual(d.request("GET", "/api/v1/relays", headers={"Host": host})[0], 200)

    def test_cross_site_changes_refused(self):
        """A page on another site (or another port of this host: same-site) cannot change
        anything: 403 cross_site, nothing changed. The same requests without the browser's
        headers (curl, devices) or from the daemon's own page work."""
        d = self.daemon
        self.create({"id": "xs1", "source": CAM.url("/h264"), "on_demand": True})
        before = snapshot(d)
        other_port = "http://127.0.0.1:%d" % (d.port + 1 if d.port < 65535 else d.port - 1)
        for hdrs in ({"Sec-Fetch-Site": "cross-site"}, {"Sec-Fetch-Site": "same-site"},
                     {"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"},
                     {"Origin": other_port, "Sec-Fetch-Site": "same-site"}, {"Origin": "null"},
                     {"Origin": d.base + ".evil.com"}):
            for method, path, body in (("POST", "/api/v1/relays", {"source": CAM.url("/h264")}),
                                       ("PATCH", "/api/v1/relays/xs1", {"name": "x"}),
                                       ("DELETE", "/api/v1/relays/xs1", None)):
                with self.subTest(method=method, headers=hdrs):
                    self.assertError(d.api(method, path, body, headers=hdrs), 403, "cross_site")
        self.assertEqual(snapshot(d), before, "a refused request changes nothing")
        own = {"Origin": d.base, "Sec-Fetch-Site": "same-origin"}
        self.assertEqual(d.api("PATCH", "/api/v1/relays/xs1", {"name": "mine"}, headers=own)[0], 200)
        self.assertEqual(d.api("PATCH", "/api/v1/relays/xs1", {"name": "curl"})[0], 200)
        self.assertEqual(d.api("GET", "/api/v1/relays", headers={"Sec-Fetch-Site": "cross-site"})[0],
                         200, "reading is not refused (the page cannot read the answer)")
        self.delete("xs1")

    def test_cors_origin_configured(self):
        with lsd.Daemon(config={"cors_origin": "https://app.example"}) as d2:
            st, hd, _ = d2.request("GET", "/api/v1/relays", headers={"Origin": "https://app.example"})
            self.assertEqual(st, 200)
            self.assertEqual(hd.get("access-control-allow-origin"), "https://app.example")
            st, hd, _ = d2.request("OPTIONS", "/api/v1/relays", headers={
                "Origin": "https://app.example", "Access-Control-Request-Method": "POST"})
            self.assertEqual(hd.get("access-control-allow-origin"), "https://app.example")
            self.assertIn("POST", hd.get("access-control-allow-methods", ""))
            # That origin's pages may change state; others may not.
            body = {"id": "co", "source": CAM.url("/h264"), "on_demand": True}
            st, _, js = d2.api("POST", "/api/v1/relays", body, headers={
                "Origin": "https://app.example", "Sec-Fetch-Site": "cross-site"})
            self.assertEqual(st, 201, js)
            st, _, js = d2.api("DELETE", "/api/v1/relays/co", headers={"Origin": "https://other.example"})
            self.assertEqual((st, js["error"]["code"]), (403, "cross_site"))
            d2.stop_checked()


# ------------------------------------------------------------------------------------------
# validation: status, envelope, nothing changed
# ------------------------------------------------------------------------------------------
class Validation(ApiCase):
    @classmethod
    def setUpClass(cls):
        cls.daemon = lsd.Daemon(config={"max_relays": 4}).start()
        st, _, js = cls.daemon.api("POST", "/api/v1/relays", {"id": "v1", "source": CAM.url("/h264"),
                                                              "on_demand": True})
        assert st == 201, (st, js)

    @classmethod
    def tearDownClass(cls):
        cls.finish_class_daemon()

    def setUp(self):
        self.snap = snapshot(self.daemon)
        self.file = state_file(self.daemon)

    def tearDown(self):
        # A failed request changes nothing: the API's view, and the state file.
        self.assertEqual(snapshot(self.daemon), self.snap)
        self.assertEqual(state_file(self.daemon), self.file)

    def post(self, body, **kw):
        return self.daemon.api("POST", "/api/v1/relays", body, **kw)

    def test_bad_json(self):
        for raw in (b"{", b"{\"source\": }", b"nul", b"\xff\xfe", b"{\"source\":\"rtsp://h/\",}",
                    b"{\"source\":\"rtsp://a/\",\"source\":\"rtsp://b/\"}"):
            with self.subTest(raw=raw):
                self.assertError(self.post(raw), 400, "bad_json")

    def test_empty_body(self):
        st, _, js = self.post(b"")
        self.assertEqual(st, 400, js)
        self.assertIn(js["error"]["code"], ("bad_json", "invalid"), js)

    def test_not_an_object(self):
        for raw in (b"[]", b"[{\"source\":\"rtsp://127.0.0.1/x\"}]", b"\"rtsp://127.0.0.1/x\"", b"5", b"null",
                    b"true"):
            with self.subTest(raw=raw):
                self.assertError(self.post(raw), 400, "bad_json")

    def test_wrong_types(self):
        src = CAM.url("/h264")
        cases = [({"source": 5}, "source"), ({"source": ["rtsp://127.0.0.1/x"]}, "source"),
                 ({"source": src, "id": 5}, "id"), ({"source": src, "name": 5}, "name"),
                 ({"source": src, "transport": 1}, "transport"), ({"source": src, "transport": "TCP"}, "transport"),
                 ({"source": src, "transport": "sctp"}, "transport"), ({"source": src, "audio": "mp3"}, "audio"),
                 ({"source": src, "hevc": 12}, "hevc"), ({"source": src, "hevc": "hev1"}, "hevc"),
                 ({"source": src, "engine": "ffmpeg"}, "engine"), ({"source": src, "engine": 1}, "engine"),
                 ({"source": src, "on_demand": "yes"}, "on_demand"), ({"source": src, "on_demand": 1}, "on_demand"),
                 ({"source": src, "idle_s": "3"}, "idle_s"), ({"source": src, "idle_s": -1}, "idle_s"),
                 ({"source": src, "idle_s": 1.5}, "idle_s"), ({"source": src, "idle_s": 86401}, "idle_s"),
                 ({"source": src, "lease_s": 86401}, "lease_s"), ({"source": src, "lease_s": None}, "lease_s"),
                 ({"source": src, "outputs": "rtmp://127.0.0.1/live/x"}, "outputs"),
                 ({"source": src, "outputs": [5]}, "outputs"),
                 ({"source": src, "outputs": ["rtmp://127.0.0.1/live/x"] * 17}, "outputs"),
                 ({"source": src, "outputs": ["../up.flv"]}, "outputs"),
                 ({"source": src, "outputs": ["http://127.0.0.1/x.flv"]}, "outputs"),
                 ({"source": src, "name": "n" * 128}, "name")]
        for body, field in cases:
            with self.subTest(body=str(body)[:80]):
                self.assertError(self.post(body), 400, "invalid", field)

    def test_missing_source(self):
        self.assertError(self.post({"id": "nosrc"}), 400, "invalid", "source")
        self.assertError(self.post({}), 400, "invalid", "source")

    def test_bad_scheme(self):
        for src in ("http://127.0.0.1/x", "rtmp://127.0.0.1/live/x", "rtsp://", "rtsp:///path", "127.0.0.1:554/x",
                    "rtsp://127.0.0.1/a b", "", "rtsp://127.0.0.1/" + "p" * 1024):
            with self.subTest(src=src[:60]):
                self.assertError(self.post({"source": src}), 400, "invalid", "source")

    def test_unknown_field(self):
        self.assertError(self.post({"source": CAM.url("/h264"), "colour": "blue"}), 400, "invalid", "colour")
        self.assertError(self.post({"source": CAM.url("/h264"), "created": "2020-01-01T00:00:00Z"}), 400,
                         "invalid", "created")

    def test_bad_id(self):
        for rid in ("", "a b", "a/b", "x" * 65, "é", ".hidden", "a?b"):
            with self.subTest(id=rid):
                self.assertError(self.post({"id": rid, "source": CAM.url("/h264")}), 400, "invalid", "id")

    def test_duplicate_id(self):
        self.assertError(self.post({"id": "v1", "source": CAM.url("/h264_aac")}), 409, "exists")

    def test_unknown_id(self):
        d = self.daemon
        for method, path, body in (("GET", "/api/v1/relays/nope", None),
                                   ("PUT", "/api/v1/relays/nope", {"source": CAM.url("/h264")}),
                                   ("PATCH", "/api/v1/relays/nope", {"name": "x"}),
                                   ("DELETE", "/api/v1/relays/nope", None),
                                   ("POST", "/api/v1/relays/nope/outputs", {"url": "rtmp://127.0.0.1/live/x"}),
                                   ("DELETE", "/api/v1/relays/nope/outputs/1", None),
                                   ("DELETE", "/api/v1/relays/v1/outputs/1", None),
                                   ("DELETE", "/api/v1/relays/v1/outputs/x", None),
                                   ("POST", "/api/v1/relays/nope/lease", None)):
            with self.subTest(method=method, path=path):
                self.assertError(d.api(method, path, body), 404, "not_found")

    def test_oversized_body(self):
        big = {"source": CAM.url("/h264"), "name": "x" * 70000}
        self.assertError(self.post(big), 413, "too_large")
        # Oversized bodies are refused on every route that reads one.
        self.assertError(self.daemon.api("PATCH", "/api/v1/relays/v1", big), 413, "too_large")
        self.assertError(self.daemon.api("PUT", "/api/v1/relays/v1", big), 413, "too_large")
        self.assertError(self.daemon.api("POST", "/api/v1/relays/v1/outputs", {"url": "x" * 70000}), 413,
                         "too_large")
        # Just under the limit is only a 400 (the name is too long), not a 413.
        body = json.dumps({"source": CAM.url("/h264"), "name": "y" * 60000}).encode()
        self.assertLess(len(body), 65536)
        self.assertError(self.post(body), 400, "invalid", "name")

    def test_wrong_method(self):
        d = self.daemon
        cases = (("DELETE", "/api/v1/relays", {"GET", "POST"}), ("PUT", "/api/v1/relays", {"GET", "POST"}),
                 ("POST", "/api/v1/relays/v1", {"GET", "PUT", "PATCH", "DELETE"}),
                 ("GET", "/api/v1/relays/v1/outputs", {"POST"}),
                 ("GET", "/api/v1/relays/v1/outputs/1", {"DELETE"}),
                 ("GET", "/api/v1/relays/v1/lease", {"POST"}),
                 ("POST", "/healthz", {"GET"}), ("DELETE", "/metrics", {"GET"}),
                 ("POST", "/api/v1/openapi.json", {"GET"}), ("POST", "/live/v1.flv", {"GET"}))
        for method, path, allow in cases:
            with self.subTest(method=method, path=path):
                resp = d.api(method, path, {} if method in ("PUT", "POST", "PATCH") else None)
                self.assertError(resp, 405, "method_not_allowed")
                got = {m.strip().upper() for m in resp[1].get("allow", "").split(",") if m.strip()}
                self.assertEqual(got - {"HEAD", "OPTIONS"}, allow, resp[1].get("allow"))

    def test_relay_limit(self):
        d = self.daemon
        made = []
        try:
            for i in range(3):  # v1 + 3 = max_relays 4
                st, _, js = self.post({"id": "lim-%d" % i, "source": CAM.url("/h264"), "on_demand": True})
                self.assertEqual(st, 201, js)
                made.append(js["id"])
            snap, file = snapshot(d), state_file(d)
            self.assertError(self.post({"id": "lim-x", "source": CAM.url("/h264"), "on_demand": True}), 507, "limit")
            self.assertEqual(snapshot(d), snap)
            self.assertEqual(state_file(d), file)
        finally:
            for rid in made:
                d.request("DELETE", "/api/v1/relays/" + rid)


# ------------------------------------------------------------------------------------------
# auth
# ------------------------------------------------------------------------------------------
class Auth(ApiCase):
    TOKEN = "api-T0ken_42"
    VIEWER = "view-9"

    @classmethod
    def setUpClass(cls):
        cls.daemon = lsd.Daemon(config={"api_token": cls.TOKEN, "viewer_token": cls.VIEWER}).start()
        st, _, js = cls.daemon.api("POST", "/api/v1/relays", {"id": "a1", "source": CAM.url("/h264_aac")},
                                   token=cls.TOKEN)
        assert st == 201, (st, js)

    @classmethod
    def tearDownClass(cls):
        cls.finish_class_daemon()

    def test_api_needs_token(self):
        d = self.daemon
        for method, path, body in (("GET", "/api/v1/relays", None), ("GET", "/api/v1/relays/a1", None),
                                   ("POST", "/api/v1/relays", {"source": CAM.url("/h264")}),
                                   ("PATCH", "/api/v1/relays/a1", {"name": "x"}),
                                   ("DELETE", "/api/v1/relays/a1", None),
                                   ("POST", "/api/v1/relays/a1/lease", None),
                                   ("GET", "/metrics", None),
                                   ("GET", "/openapi/source", None), ("GET", "/STREAM/1/BEATS", None),
                                   ("POST", "/REAL_STREAM", {"nvr_category": 0})):
            with self.subTest(method=method, path=path):
                snap = snapshot(d, token=self.TOKEN)
                self.assertError(d.api(method, path, body), 401, "unauthorized")
                self.assertError(d.api(method, path, body, token="wrong"), 401, "unauthorized")
                self.assertError(d.api(method, path, body, token=self.VIEWER), 401, "unauthorized")
                self.assertError(d.api(method, path, body, headers={"Authorization": self.TOKEN}), 401,
                                 "unauthorized")
                sep = "&" if "?" in path else "?"
                self.assertError(d.api(method, path + sep + "access_token=wrong", body), 401, "unauthorized")
                self.assertEqual(snapshot(d, token=self.TOKEN), snap, "a refused request changes nothing")

    def test_api_with_token(self):
        d = self.daemon
        st, _, js = d.api("GET", "/api/v1/relays", token=self.TOKEN)
        self.assertEqual(st, 200)
        self.assertEqual([r["id"] for r in js["relays"]], ["a1"])
        st, _, js = d.api("GET", "/api/v1/relays?access_token=" + self.TOKEN)
        self.assertEqual(st, 200, js)
        st, _, js = d.api("GET", "/api/v1/relays", headers={"Authorization": "bearer " + self.TOKEN})
        self.assertEqual(st, 200, "the scheme name is case-insensitive")
        self.assertEqual(d.request("GET", "/metrics", token=self.TOKEN)[0], 200)
        st, _, js = d.api("POST", "/api/v1/relays?access_token=" + urllib.parse.quote(self.TOKEN),
                          {"id": "a2", "source": CAM.url("/h264"), "on_demand": True})
        self.assertEqual(st, 201, js)
        self.assertEqual(d.request("DELETE", "/api/v1/relays/a2", token=self.TOKEN)[0], 204)

    def test_public_routes(self):
        d = self.daemon
        self.assertEqual(d.api("GET", "/healthz")[0], 200)
        st, _, js = d.api("GET", "/api/v1/openapi.json")
        self.assertEqual(st, 200)
        self.assertEqual(js["openapi"], "3.0.3")
        st, hd, _ = d.request("OPTIONS", "/api/v1/relays", headers={"Access-Control-Request-Method": "GET"})
        self.assertEqual(st, 204, "preflights carry no token and must pass")

    def test_viewer_token(self):
        d = self.daemon
        wait_streaming(d, "a1", token=self.TOKEN)
        self.assertError(d.api("GET", "/live/a1.flv"), 401, "unauthorized")
        self.assertError(d.api("GET", "/live/a1.flv?token=wrong"), 401, "unauthorized")
        self.assertError(d.api("GET", "/live/nope.flv"), 401, "unauthorized")
        self.assertFlvPlays(d.url("/live/a1.flv?token=" + self.VIEWER))
        self.assertFlvPlays(d.url("/live/a1.flv?access_token=" + self.TOKEN))
        # The API token also works as ?token= (http-api.md): a player URL carries no header.
        self.assertFlvPlays(d.url("/live/a1.flv?token=" + self.TOKEN))
        self.assertError(d.api("GET", "/api/v1/relays?token=" + self.TOKEN), 401, "unauthorized")

    def test_auth_off(self):
        d = self.start_daemon()
        self.assertEqual(d.api("GET", "/api/v1/relays")[0], 200)
        self.assertEqual(d.api("GET", "/metrics")[0], 200)
        self.assertEqual(d.api("GET", "/api/v1/relays", token="anything")[0], 200)
        st, _, js = d.api("POST", "/api/v1/relays", {"id": "free", "source": CAM.url("/h264_aac")})
        self.assertEqual(st, 201, js)
        wait_streaming(d, "free")
        self.assertFlvPlays(d.url("/live/free.flv"))


# ------------------------------------------------------------------------------------------
# redaction
# ------------------------------------------------------------------------------------------
def secret_forms(password):
    """Every way a password could leak: raw, percent-encoded (both cases, with and without
    the safe characters), JSON-escaped, inside Basic credentials, and its distinctive head."""
    forms = {password, urllib.parse.quote(password, safe=""), urllib.parse.quote(password),
             urllib.parse.quote(password, safe="").lower(), urllib.parse.quote_plus(password),
             json.dumps(password)[1:-1],
             base64.b64encode(("%s:%s" % (h.CAMERA_USER, password)).encode()).decode()}
    head = re.split(r"[^A-Za-z0-9]", password)[0]
    if len(head) >= 4:
        forms.add(head)
    return sorted(forms)


class Redaction(ApiCase):
    def setUp(self):
        self.bodies = []

    def call(self, d, method, path, body=None, **kw):
        st, hd, raw = d.request(method, path, body, **kw)
        self.bodies.append(("%s %s -> %d" % (method, path, st), raw.decode("utf-8", "replace")
                            + "\n" + json.dumps(hd)))
        try:
            return st, hd, json.loads(raw) if raw else None
        except ValueError:
            return st, hd, None

    def assertNoSecret(self, texts, secrets):
        for what, text in texts:
            for s in secrets:
                self.assertNotIn(s, text, "%r shows in %s:\n%s" % (s, what, text[:3000]))

    def test_camera_password_never_shown(self):
        d = self.start_daemon()
        self.daemon = d
        password = h.CAMERA_PASSWORD
        src = CAM.url("/auth/h264_aac", auth=True)  # admin:s3cr3t%3Ap%40ss@
        self.assertIn(urllib.parse.quote(password, safe=""), src)
        redacted = re.sub(r"//admin:[^@]*@", "//admin:****@", src)
        st, hd, r = self.call(d, "POST", "/api/v1/relays", {"id": "sec1", "source": src,
                                                             "outputs": [NGX.rtmp_url("sec1")]})
        self.assertEqual(st, 201, r)
        self.assertEqual(r["source"], redacted)
        # Auth worked: it streams (over HTTP-FLV and to nginx).
        r = wait_streaming(d, "sec1")
        self.assertFlvPlays(d.url("/live/sec1.flv"))
        # A second relay with a wrong password: its error must not show that one either.
        wrong = "s3cr3tWRONG"
        bad_src = CAM.url("/auth/h264_aac", password=wrong)
        st, _, r = self.call(d, "POST", "/api/v1/relays", {"id": "sec2", "source": bad_src})
        self.assertEqual(st, 201, r)
        wait_relay(d, "sec2", lambda x: x["state"] in ("backoff", "failed")
                   or bool(x.get("stats", {}).get("last_error")), what="auth failure reported")
        # Every other way the URL goes in and comes back out.
        self.call(d, "GET", "/api/v1/relays")
        self.call(d, "GET", "/api/v1/relays/sec1")
        self.call(d, "GET", "/api/v1/relays/sec2")
        self.call(d, "PATCH", "/api/v1/relays/sec1", {"name": "patched"})
        self.call(d, "PATCH", "/api/v1/relays/sec1", {"source": src})
        self.call(d, "PUT", "/api/v1/relays/sec1", {"source": src, "outputs": [NGX.rtmp_url("sec1")]})
        self.call(d, "POST", "/api/v1/relays/sec1/outputs", {"url": "rtmp://pub:%s@127.0.0.1:%d/live/x"
                                                            % (urllib.parse.quote(password, safe=""), NGX.port)})
        self.call(d, "POST", "/api/v1/relays/sec1/lease")
        st, _, _ = self.call(d, "POST", "/api/v1/relays", {"id": "sec1", "source": src})  # 409
        self.assertEqual(st, 409)
        st, _, _ = self.call(d, "POST", "/api/v1/relays", {"source": src, "transport": "bogus"})
        self.assertEqual(st, 400)
        st, _, _ = self.call(d, "POST", "/api/v1/relays", {"source": src + " x"})
        self.assertEqual(st, 400)
        st, _, _ = self.call(d, "POST", "/api/v1/relays", {"source": src.replace("rtsp://", "http://")})
        self.assertEqual(st, 400)
        st, _, _ = self.call(d, "POST", "/api/v1/relays", {"source": "rtsp://admin:%s@" % password})
        self.assertEqual(st, 400)
        st, _, _ = self.call(d, "POST", "/api/v1/relays", {"source": src, "colour": password})
        self.assertEqual(st, 400)
        self.call(d, "GET", "/openapi/source")
        self.call(d, "GET", "/openapi/source/sec1")
        self.call(d, "GET", "/metrics")
        self.call(d, "GET", "/healthz")
        time.sleep(1.0)  # let the relays log what they log
        texts = self.bodies + [("the daemon's log", d.log())]
        self.assertNoSecret(texts, secret_forms(password) + secret_forms(wrong))
        # The state file keeps the password (it must reconnect after a restart) but only its
        # owner may read it.
        path = os.path.join(d.data_dir, "state.json")
        self.assertIn(urllib.parse.quote(password, safe=""), open(path).read())
        self.assertEqual(os.stat(path).st_mode & 0o077, 0, "state.json is 0600")

    def test_query_password_never_shown(self):
        """Some cameras take credentials in the query; those are passwords too."""
        d = self.start_daemon()
        self.daemon = d
        secret = "qS3cretPw"
        src = "rtsp://127.0.0.1:%d/h264_aac?user=admin&password=%s" % (CAM.port, secret)
        st, _, r = self.call(d, "POST", "/api/v1/relays", {"id": "q1", "source": src, "on_demand": True})
        self.assertEqual(st, 201, r)
        self.call(d, "GET", "/api/v1/relays")
        self.call(d, "GET", "/api/v1/relays/q1")
        self.call(d, "GET", "/openapi/source")
        self.assertNoSecret(self.bodies + [("the daemon's log", d.log())], [secret])


# ------------------------------------------------------------------------------------------
# the OpenAPI document
# ------------------------------------------------------------------------------------------
def doc_paths(doc):
    """{path: set of methods} of an OpenAPI document, and the paths tied to a build feature."""
    out, optional = {}, set()
    for path, item in doc["paths"].items():
        ms = {m.upper() for m in item if m.upper() in METHODS}
        out[path] = ms
        if any(isinstance(item.get(m.lower()), dict) and item[m.lower()].get("x-lightstreamd-feature")
               for m in ms):
            optional.add(path)
    return out, optional


def source_routes():
    """{pattern: set of methods} of every route table in daemon/*.c: the routes the daemon
    answers, read from its source (`{LSD_GET | LSD_HEAD, "/path/*", LSD_API, handler}`)."""
    routes = {}
    ddir = os.path.join(REPO, "daemon")
    pat = re.compile(r"\{\s*((?:LSD_[A-Z]+\s*\|\s*)*LSD_[A-Z]+)\s*,\s*\"(/[^\"]*)\"\s*,\s*LSD_(?:PUBLIC|API|VIEWER)")
    for name in sorted(os.listdir(ddir)):
        if name.endswith(".c"):
            for m in pat.finditer(open(os.path.join(ddir, name)).read()):
                ms = {x.strip()[4:] for x in m.group(1).split("|")} & set(METHODS)
                routes.setdefault(m.group(2), set()).update(ms)
    return routes


def to_pattern(path):
    """/api/v1/relays/{id}/outputs/{oid} -> /api/v1/relays/*/outputs/*; /live/{id}.flv -> /live/*.flv"""
    return re.sub(r"\{[^}/]+\}", "*", path)


class OpenApi(ApiCase):
    @classmethod
    def setUpClass(cls):
        cls.daemon = lsd.Daemon().start()
        with open(OPENAPI) as f:
            cls.doc = json.load(f)

    @classmethod
    def tearDownClass(cls):
        cls.finish_class_daemon()

    def test_document_is_served(self):
        st, hd, js = self.daemon.api("GET", "/api/v1/openapi.json")
        self.assertEqual(st, 200)
        self.assertTrue(hd.get("content-type", "").startswith("application/json"), hd)
        self.assertEqual(js, self.doc, "the daemon serves docs/openapi.json")

    def test_document_is_well_formed(self):
        doc = self.doc
        self.assertEqual(doc["openapi"], "3.0.3")
        self.assertIn("bearer", doc["components"]["securitySchemes"])
        self.assertEqual(doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer")
        schemas = doc["components"]["schemas"]
        for name in ("Relay", "Output", "Error", "RelayStats", "RelayCreate", "RelayList", "Health"):
            self.assertIn(name, schemas)
        # Every $ref resolves.
        text = json.dumps(doc)
        for ref in set(re.findall(r'"\$ref": "#/([^"]+)"', text)):
            node = doc
            for part in ref.split("/"):
                self.assertIn(part, node, "dangling $ref #/%s" % ref)
                node = node[part]
        # Every operation has an id (unique) and responses; path parameters are declared.
        ids = []
        for path, item in doc["paths"].items():
            declared = {p.get("name") for p in item.get("parameters", []) if "name" in p}
            declared |= {doc["components"]["parameters"][p["$ref"].split("/")[-1]]["name"]
                         for p in item.get("parameters", []) if "$ref" in p}
            for m in METHODS:
                op = item.get(m.lower())
                if op is None:
                    continue
                ids.append(op["operationId"])
                self.assertTrue(op["responses"], path)
            for name in re.findall(r"\{([^}]+)\}", path):
                self.assertIn(name, declared, "%s: path parameter %s not declared" % (path, name))
        self.assertEqual(len(ids), len(set(ids)), "operationIds are unique")
        # The relay schema names what docs/http-api.md shows.
        relay = schemas["Relay"]["properties"]
        for k in ("id", "name", "source", "transport", "audio", "hevc", "engine", "on_demand", "idle_s", "lease_s",
                  "lease_expires_in_ms", "created", "outputs", "play", "running", "state", "viewers", "stats"):
            self.assertIn(k, relay)

    def test_native_routes_match_document(self):
        """Every native path of the document: the methods the daemon allows on it (its Allow
        header on a method it refuses) are exactly the documented ones."""
        d = self.daemon
        st, _, r = d.api("POST", "/api/v1/relays", {"id": "oa1", "source": CAM.url("/h264"), "on_demand": True,
                                                     "outputs": ["rtmp://127.0.0.1:1/live/oa1"]})
        self.assertEqual(st, 201, r)
        self.addCleanup(d.request, "DELETE", "/api/v1/relays/oa1")
        paths, _ = doc_paths(self.doc)
        native = {p: ms for p, ms in paths.items()
                  if p.startswith(("/api/", "/live/")) or p in ("/metrics", "/healthz")}
        self.assertIn("/api/v1/relays/{id}/outputs/{oid}", native)
        for path, documented in native.items():
            concrete = path.replace("{id}", "oa1").replace("{oid}", "1")
            refused = [m for m in METHODS if m not in documented]
            self.assertTrue(refused, path)
            with self.subTest(path=path):
                st, hd, js = d.api(refused[0], concrete, {} if refused[0] != "GET" else None)
                self.assertEqual(st, 405, "%s %s: %s" % (refused[0], concrete, js))
                allow = {m.strip().upper() for m in hd.get("allow", "").split(",")} - {"HEAD", "OPTIONS", ""}
                self.assertEqual(allow, documented, "%s: the daemon allows %s, the document says %s"
                                 % (path, sorted(allow), sorted(documented)))

    def test_source_routes_match_document(self):
        """Both ways, for all three APIs: every route in the daemon's route tables is in the
        document with the same methods, and every documented path is answered."""
        routes = source_routes()
        self.assertGreater(len(routes), 5, "route tables found in daemon/*.c")
        paths, optional = doc_paths(self.doc)
        documented = {to_pattern(p): ms for p, ms in paths.items()}
        for pattern, ms in routes.items():
            with self.subTest(route=pattern):
                self.assertIn(pattern, documented, "the daemon answers %s, the document lacks it" % pattern)
                self.assertEqual(documented[pattern], ms, pattern)
        for path, ms in paths.items():
            if path in optional:
                continue
            with self.subTest(path=path):
                self.assertIn(to_pattern(path), routes, "documented but not answered: %s" % path)


if __name__ == "__main__":
    unittest.main(verbosity=2)
