#!/usr/bin/python3
"""The two drop-in APIs of lightstreamd (docs/compat.md) against a real daemon and the test
camera: the Python relay's /openapi/source and the Hikvision/Dahua push server's /REAL_STREAM,
/BACK_STREAM and /STREAM/<handle>/... — every endpoint, each validation error, auth on/off,
password redaction in every response and the log, leases, and playback of an /openapi source."""
import json
import os
import time
import unittest
import urllib.parse

import lsd
from lsd import h
import common

PASSWORD = "p@ss:w/rd"
# The password in every spelling a leak could take.
LEAKS = [PASSWORD, urllib.parse.quote(PASSWORD, safe=""), urllib.parse.quote(PASSWORD, safe="").lower(),
         urllib.parse.quote(PASSWORD), "p%40ss", "p@ss"]

BODIES = []  # every response body of this run, searched for the password at the end


def call(d, method, path, body=None, token=None, headers=None):
    """(HTTP status, parsed JSON or None); the raw body is kept for the redaction checks."""
    st, _, raw = d.request(method, path, body, token=token, headers=headers)
    BODIES.append(raw)
    try:
        return st, json.loads(raw) if raw else None
    except ValueError:
        return st, None


def relay_ids(d, token=None):
    st, js = call(d, "GET", "/api/v1/relays", token=token)
    assert st == 200, (st, js)
    return sorted(r["id"] for r in js["relays"])


def assert_no_leak(test, text, where):
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    for leak in LEAKS:
        test.assertNotIn(leak, text, "the password (as %r) appears in %s" % (leak, where))


def stop_checked(d):
    """SIGTERM the daemon; it must exit 0 without a sanitizer report (ASan/UBSan builds)."""
    try:
        rc = d.stop()
        log = d.log()
    finally:
        d.proc.kill()
    bad = [ln for ln in log.splitlines()
           if "runtime error:" in ln or "Sanitizer" in ln]
    if rc != 0 or bad:
        raise AssertionError("lightstreamd exited with %s%s\n%s" % (rc, ", sanitizer report:" if bad else "",
                                                                   "\n".join(bad[:20]) or log[-3000:]))


class Base(unittest.TestCase):
    config = {}

    @classmethod
    def setUpClass(cls):
        cls.cam = h.Camera(common.media_dir(), password=PASSWORD).start()
        cls.d = lsd.Daemon(config=cls.config).start()

    @classmethod
    def tearDownClass(cls):
        try:
            stop_checked(cls.d)
        finally:
            cls.cam.stop()

    def tearDown(self):
        if any(e for _, e in self._outcome.result.errors + self._outcome.result.failures):
            print("---- lightstreamd log (tail) ----\n" + self.d.log()[-6000:])

    def assertEnvelope(self, st, js, code):
        """An /openapi answer: HTTP 200 and {"success", "code", "msg", "data"}."""
        self.assertEqual(st, 200, js)
        self.assertIsInstance(js, dict)
        self.assertEqual(set(js), {"success", "code", "msg", "data"}, js)
        self.assertEqual(js["code"], code, js)
        self.assertEqual(js["success"], code == 0, js)
        self.assertIsInstance(js["msg"], str)
        if code:
            self.assertTrue(js["msg"], "an error without a message")
        return js["data"]

    def assertStatus(self, st, js, code):
        """A push-API answer: HTTP 200 and {"status_code", "status_message", ...}."""
        self.assertEqual(st, 200, js)
        self.assertIsInstance(js, dict)
        self.assertEqual(js.get("status_code"), code, js)
        self.assertIsInstance(js.get("status_message"), str)
        self.assertEqual(js["status_message"] == "OK", code == 200, js)
        return js


# ---- /openapi/source ------------------------------------------------------------------------

class OpenApi(Base):
    config = {"max_body_bytes": 4096}

    def src(self, mount="/h264_aac"):
        return self.cam.url(mount)

    def test_lifecycle_and_playback(self):
        d = self.d
        st, js = call(d, "POST", "/openapi/source/cam1", {"source": self.src(), "transport": "tcp"})
        data = self.assertEnvelope(st, js, 0)
        self.assertEqual(js["msg"], "success")
        self.assertEqual(data["id"], "cam1")
        self.assertEqual(data["source"], self.src())
        self.assertEqual(data["transport"], "tcp")
        self.assertEqual(data["rtmp"], "")  # no rtmp_push_base configured
        self.assertEqual(data["flv"], d.url("/live/cam1.flv"))

        # The FLV address plays: flvcheck decodes it (H.264 + AAC, no errors).
        code, rep = common.flvcheck(data["flv"], seconds=3, timeout=60)
        self.assertEqual(code, 0, rep)
        self.assertEqual(rep["video"]["codec"], "h264")
        self.assertGreater(rep["video"]["decoded"], 10)
        self.assertEqual(rep["video"]["decode_errors"], 0)
        self.assertEqual(rep["audio"]["codec"], "aac")

        st, js = call(d, "GET", "/openapi/source/cam1")
        self.assertEqual(self.assertEnvelope(st, js, 0)["source"], self.src())
        st, js = call(d, "GET", "/openapi/source")
        lst = self.assertEnvelope(st, js, 0)
        self.assertIn("cam1", [x["id"] for x in lst])
        self.assertEqual([x for x in lst if x["id"] == "cam1"][0]["flv"], data["flv"])

        # PUT changes the transport (the source stays) and restarts the relay.
        st, js = call(d, "PUT", "/openapi/source/cam1", {"transport": "udp"})
        data = self.assertEnvelope(st, js, 0)
        self.assertEqual((data["transport"], data["source"]), ("udp", self.src()))
        st, js = call(d, "GET", "/api/v1/relays/cam1")
        self.assertEqual((st, js["transport"]), (200, "udp"))

        # POST on an existing id replaces it, as the Python tool did.
        st, js = call(d, "POST", "/openapi/source/cam1", {"source": self.src("/h264")})
        data = self.assertEnvelope(st, js, 0)
        self.assertEqual((data["source"], data["transport"]), (self.src("/h264"), "tcp"))
        self.assertEqual(relay_ids(d).count("cam1"), 1)

        st, js = call(d, "DELETE", "/openapi/source/cam1")
        self.assertEqual(self.assertEnvelope(st, js, 0)["id"], "cam1")
        st, js = call(d, "GET", "/openapi/source/cam1")
        self.assertEnvelope(st, js, 404)
        self.assertNotIn("cam1", relay_ids(d))
        st, js = call(d, "GET", "/openapi/source")
        self.assertNotIn("cam1", [x["id"] for x in self.assertEnvelope(st, js, 0)])

    def test_lists_relays_of_every_api(self):
        st, js = call(self.d, "POST", "/api/v1/relays", {"id": "native1", "source": self.src(),
                                                         "on_demand": True})
        self.assertEqual(st, 201, js)
        st, js = call(self.d, "GET", "/openapi/source")
        ids = [x["id"] for x in self.assertEnvelope(st, js, 0)]
        self.assertIn("native1", ids)
        st, js = call(self.d, "DELETE", "/openapi/source/native1")
        self.assertEnvelope(st, js, 0)
        self.assertNotIn("native1", relay_ids(self.d))

    def test_validation(self):
        d = self.d
        call(d, "POST", "/openapi/source/keep", {"source": self.src(), "transport": "tcp"})
        before = relay_ids(d)
        cases = [
            ("POST", "/openapi/source/x1", b"{not json", 400),
            ("POST", "/openapi/source/x1", b"[1, 2]", 400),
            ("POST", "/openapi/source/x1", b"", 400),
            ("POST", "/openapi/source/x1", {"transport": "tcp"}, 400),
            ("POST", "/openapi/source/x1", {"source": 5}, 400),
            ("POST", "/openapi/source/x1", {"source": "http://127.0.0.1/x"}, 400),
            ("POST", "/openapi/source/x1", {"source": "rtsp://"}, 400),
            ("POST", "/openapi/source/x1", {"source": self.src(), "transport": "carrier-pigeon"}, 400),
            ("POST", "/openapi/source/x1", {"source": self.src(), "transport": 1}, 400),
            ("POST", "/openapi/source/bad%20id", {"source": self.src()}, 400),
            ("POST", "/openapi/source/" + "a" * 65, {"source": self.src()}, 400),
            ("POST", "/openapi/source/x1", {"source": self.src(), "pad": "x" * 5000}, 413),
            ("PUT", "/openapi/source/keep", {"source": "ftp://127.0.0.1/"}, 400),
            ("PUT", "/openapi/source/keep", {"transport": "smoke"}, 400),
            ("PUT", "/openapi/source/keep", b"{", 400),
            ("PUT", "/openapi/source/nope", {"source": self.src()}, 404),
            ("DELETE", "/openapi/source/nope", None, 404),
            ("GET", "/openapi/source/nope", None, 404),
        ]
        for method, path, body, code in cases:
            with self.subTest(method=method, path=path[:40], body=str(body)[:60]):
                st, js = call(d, method, path, body)
                if code == 413 and st == 413:
                    continue  # the HTTP layer may refuse an oversized body before the adapter
                self.assertEnvelope(st, js, code)
        msgs = []
        for body in ({"transport": "tcp"}, {"source": self.src(), "transport": "x"}):
            msgs.append(call(d, "POST", "/openapi/source/x1", body)[1]["msg"])
        self.assertIn("source", msgs[0])
        self.assertIn("transport", msgs[1])
        self.assertEqual(relay_ids(d), before, "a refused request changed the relays")
        st, js = call(d, "GET", "/api/v1/relays/keep")
        self.assertEqual((js["source"], js["transport"]), (self.src(), "tcp"))
        self.assertEqual(call(d, "PATCH", "/openapi/source/keep", {})[0], 405)

    def test_zz_password_redacted(self):
        d = self.d
        url = self.cam.url("/auth/h264_aac", auth=True)  # admin:p%40ss%3Aw%2Frd@
        st, js = call(d, "POST", "/openapi/source/secret", {"source": url})
        data = self.assertEnvelope(st, js, 0)
        self.assertEqual(data["source"], "rtsp://admin:****@127.0.0.1:%d/auth/h264_aac" % self.cam.port)
        # it really streams with that password
        h.wait_until(lambda: call(d, "GET", "/api/v1/relays/secret")[1]["state"] == "streaming",
                     20, what="the password-protected source streaming")
        st, js = call(d, "PUT", "/openapi/source/secret", {"source": url, "transport": "tcp"})
        self.assertEnvelope(st, js, 0)
        st, js = call(d, "POST", "/openapi/source/secret", {"source": url, "transport": "bad"})
        self.assertEnvelope(st, js, 400)
        call(d, "POST", "/openapi/source/secret", b'{"source": "rtsp://admin:p@ss:w/rd@127.0.0.1/x", }')
        for path in ("/openapi/source", "/openapi/source/secret", "/api/v1/relays",
                     "/api/v1/relays/secret", "/metrics"):
            call(d, "GET", path)
        self.assertEnvelope(*call(d, "DELETE", "/openapi/source/secret"), 0)
        for i, raw in enumerate(BODIES):
            assert_no_leak(self, raw, "response body #%d" % i)
        assert_no_leak(self, d.log(), "the daemon log")


class OpenApiRtmp(Base):
    """With rtmp_push_base the relay also pushes to <base>/<id> and data.rtmp says so."""

    @classmethod
    def setUpClass(cls):
        cls.ngx = h.Nginx().start()
        base = cls.ngx.rtmp_url("x").rsplit("/", 1)[0]
        cls.config = {"rtmp_push_base": base + "/"}
        cls.rtmp_base = base
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            cls.ngx.stop()

    def test_rtmp_output(self):
        st, js = call(self.d, "POST", "/openapi/source/pushed", {"source": self.cam.url("/h264_aac")})
        data = self.assertEnvelope(st, js, 0)
        self.assertEqual(data["rtmp"], self.rtmp_base + "/pushed")
        st, rel = call(self.d, "GET", "/api/v1/relays/pushed")
        self.assertEqual([o["url"] for o in rel["outputs"]], [self.rtmp_base + "/pushed"])
        info = h.ffprobe_streams(data["rtmp"], timeout=30)
        self.assertIn(("video", "h264", 640, 360), h.stream_summary(info))
        # PUT keeps exactly one such output
        st, js = call(self.d, "PUT", "/openapi/source/pushed", {"transport": "tcp"})
        self.assertEnvelope(st, js, 0)
        st, rel = call(self.d, "GET", "/api/v1/relays/pushed")
        self.assertEqual(len(rel["outputs"]), 1)

    def test_push_api_rtmp_url(self):
        st, js = call(self.d, "POST", "/REAL_STREAM", {
            "nvr_category": 0, "nvr_addr": "127.0.0.1", "nvr_port": 8000, "nvr_user": "admin",
            "nvr_pwd": "x", "nvr_channel": 1, "rtsp_port": self.cam.port})
        self.assertStatus(st, js, 200)
        self.assertEqual(js["rtmp_url"], "%s/push-%d" % (self.rtmp_base, js["play_handle"]))
        self.assertStatus(*call(self.d, "GET", "/STREAM/%d/STOP" % js["play_handle"]), 200)


# ---- the push API ---------------------------------------------------------------------------

def nvr(cam_port, category=0, channel=1, **kw):
    b = {"nvr_category": category, "nvr_addr": "127.0.0.1", "nvr_port": 8000 if category == 0 else 37777,
         "nvr_user": "admin", "nvr_pwd": PASSWORD, "nvr_channel": channel, "rtsp_port": cam_port}
    b.update(kw)
    return b


class PushHelpers:
    """start/relay/stop of a push stream, for the push test classes."""

    def start(self, category=0, channel=1, back=False, **kw):
        body = nvr(self.cam.port, category, channel, **kw)
        if back:
            body.setdefault("startTime", "2016-07-20 12:00:00")
            body.setdefault("endTime", "2016-07-20 13:00:00")
        st, js = call(self.d, "POST", "/BACK_STREAM" if back else "/REAL_STREAM", body)
        self.assertStatus(st, js, 200)
        self.assertIsInstance(js["play_handle"], int)
        return js

    def relay(self, handle):
        st, js = call(self.d, "GET", "/api/v1/relays/push-%d" % handle)
        return js if st == 200 else None

    def stop(self, handle):
        self.assertStatus(*call(self.d, "GET", "/STREAM/%d/STOP" % handle), 200)


class Push(PushHelpers, Base):
    config = {}  # beat_interval_s 20: leases of 60 s

    def test_real_stream_urls(self):
        port = self.cam.port
        js = self.start(0, 1)
        hd = js["play_handle"]
        self.assertEqual(set(js), {"status_code", "status_message", "rtmp_url", "play_handle"})
        self.assertEqual(js["rtmp_url"], self.d.url("/live/push-%d.flv" % hd))
        r = self.relay(hd)
        self.assertEqual(r["source"], "rtsp://admin:****@127.0.0.1:%d/Streaming/Channels/101" % port)
        self.assertEqual(r["lease_s"], 60)
        self.assertEqual(r["transport"], "tcp")
        self.stop(hd)
        js = self.start(0, 33)
        self.assertEqual(self.relay(js["play_handle"])["source"],
                         "rtsp://admin:****@127.0.0.1:%d/Streaming/Channels/3301" % port)
        self.stop(js["play_handle"])
        js = self.start(1, 3)
        self.assertNotEqual(js["play_handle"], hd)
        self.assertEqual(self.relay(js["play_handle"])["source"],
                         "rtsp://admin:****@127.0.0.1:%d/cam/realmonitor?channel=3&subtype=0" % port)
        self.stop(js["play_handle"])
        # numbers as strings are accepted; no rtsp_port means 554; no user, no credentials
        body = nvr(port, "1", "2", nvr_user="", nvr_pwd="")
        del body["rtsp_port"]
        st, js = call(self.d, "POST", "/REAL_STREAM", body)
        self.assertStatus(st, js, 200)
        self.assertEqual(self.relay(js["play_handle"])["source"],
                         "rtsp://127.0.0.1:554/cam/realmonitor?channel=2&subtype=0")
        self.stop(js["play_handle"])

    def test_real_stream_reaches_the_rtsp_port(self):
        """The relay opens the built URL on rtsp_port (not the SDK port nvr_port)."""
        with h.BadCam() as bad:
            for cat, path in ((0, "/Streaming/Channels/201"), (1, "/cam/realmonitor")):
                st, js = call(self.d, "POST", "/REAL_STREAM",
                              nvr(bad.port, cat, 2, nvr_port=bad.port + 1))
                self.assertStatus(st, js, 200)
                h.wait_until(lambda: bad.requests(None, path) > 0, 15,
                             what="a request for %s at the NVR" % path)
                self.stop(js["play_handle"])

    def test_back_stream_and_position(self):
        port = self.cam.port
        js = self.start(0, 1, back=True)
        self.assertEqual(set(js), {"status_code", "status_message", "rtmp_url", "play_handle",
                                   "start_time", "stop_time", "record_files"})
        self.assertEqual((js["start_time"], js["stop_time"], js["record_files"]),
                         ("2016-07-20 12:00:00", "2016-07-20 13:00:00", []))
        hd = js["play_handle"]
        prefix = "rtsp://admin:****@127.0.0.1:%d/Streaming/tracks/101" % port
        self.assertEqual(self.relay(hd)["source"],
                         prefix + "?starttime=20160720T120000Z&endtime=20160720T130000Z")
        self.assertStatus(*call(self.d, "POST", "/STREAM/%d/POSITION" % hd,
                                {"pos_time": "2016-07-20 12:35:00"}), 200)
        self.assertEqual(self.relay(hd)["source"],
                         prefix + "?starttime=20160720T123500Z&endtime=20160720T130000Z")
        for bad in ({"pos_time": "2016-07-20 13:30:00"}, {"pos_time": "2016-07-20 11:59:59"},
                    {"pos_time": "2016-07-20 13:00:00"}, {"pos_time": "2016-07-20T12:10:00"},
                    {"pos_time": "2016-07-20 12:61:00"}, {"pos_time": 5}, {}, b"{", b""):
            with self.subTest(body=bad):
                self.assertStatus(*call(self.d, "POST", "/STREAM/%d/POSITION" % hd, bad), 600)
        self.assertIn("starttime=20160720T123500Z", self.relay(hd)["source"])
        # the start of the range is inside it
        self.assertStatus(*call(self.d, "POST", "/STREAM/%d/POSITION" % hd,
                                {"pos_time": "2016-07-20 12:00:00"}), 200)
        self.assertStatus(*call(self.d, "POST", "/STREAM/%d/PTZControl" % hd, {"command": 8}), 609)
        self.stop(hd)
        self.assertStatus(*call(self.d, "POST", "/STREAM/%d/POSITION" % hd,
                                {"pos_time": "2016-07-20 12:35:00"}), 605)

        js = self.start(1, 4, back=True, startTime="2024-02-29 23:59:00", endTime="2024-03-01 00:10:00")
        hd = js["play_handle"]
        self.assertEqual(self.relay(hd)["source"],
                         "rtsp://admin:****@127.0.0.1:%d/cam/playback?channel=4&subtype=0"
                         "&starttime=2024_02_29_23_59_00&endtime=2024_03_01_00_10_00" % port)
        self.assertStatus(*call(self.d, "POST", "/STREAM/%d/POSITION" % hd,
                                {"pos_time": "2024-03-01 00:05:07"}), 200)
        self.assertEqual(self.relay(hd)["source"],
                         "rtsp://admin:****@127.0.0.1:%d/cam/playback?channel=4&subtype=0"
                         "&starttime=2024_03_01_00_05_07&endtime=2024_03_01_00_10_00" % port)
        self.stop(hd)

    def test_position_on_live_stream(self):
        hd = self.start()["play_handle"]
        self.assertStatus(*call(self.d, "POST", "/STREAM/%d/POSITION" % hd,
                                {"pos_time": "2016-07-20 12:35:00"}), 608)
        self.stop(hd)

    def test_ptz(self):
        hd = self.start()["play_handle"]
        for body in ({"command": 0}, {"command": 13, "duration": 1000}, {"command": "9", "duration": 100}):
            with self.subTest(body=body):
                st, js = call(self.d, "POST", "/STREAM/%d/PTZControl" % hd, body)
                self.assertStatus(st, js, 609)
                self.assertIn("ONVIF", js["status_message"])
        for body in ({"command": 14}, {"command": -1}, {"command": "up"}, {"command": 1.5},
                     {"command": 2, "duration": 99}, {"command": 2, "duration": 1001},
                     {"command": 2, "duration": "long"}, {"duration": 200}, {}, b"[]", b"{", b""):
            with self.subTest(body=body):
                self.assertStatus(*call(self.d, "POST", "/STREAM/%d/PTZControl" % hd, body), 600)
        self.assertStatus(*call(self.d, "POST", "/STREAM/999999/PTZControl", {"command": 1}), 605)
        self.stop(hd)

    def test_validation(self):
        port = self.cam.port
        before = relay_ids(self.d)
        real = [
            b"{", b"[]", b"", b'"x"',
            {k: v for k, v in nvr(port).items() if k != "nvr_category"},
            {k: v for k, v in nvr(port).items() if k != "nvr_addr"},
            {k: v for k, v in nvr(port).items() if k != "nvr_channel"},
            nvr(port, category=2), nvr(port, category=-1), nvr(port, category="hik"),
            nvr(port, nvr_addr=""), nvr(port, nvr_addr="a b"), nvr(port, nvr_addr="host/x"),
            nvr(port, nvr_addr="user@host"), nvr(port, nvr_addr=5), nvr(port, nvr_addr="x" * 300),
            nvr(port, nvr_port="abc"), nvr(port, nvr_port=70000), nvr(port, channel=-1),
            nvr(port, channel="x"), nvr(port, channel=1.5), nvr(port, rtsp_port=0),
            nvr(port, rtsp_port=65536), nvr(port, nvr_user=5), nvr(port, nvr_pwd=["x"]),
            nvr(port, nvr_pwd="x" * 200), nvr(port, nvr_user="a\nb"),
        ]
        for body in real:
            with self.subTest(api="REAL_STREAM", body=str(body)[:120]):
                st, js = call(self.d, "POST", "/REAL_STREAM", body)
                self.assertStatus(st, js, 600)
                self.assertNotIn("play_handle", js)
        back = [
            nvr(port),  # no range
            nvr(port, startTime="2016-07-20 12:00:00"),
            nvr(port, startTime="2016/07/20 12:00:00", endTime="2016-07-20 13:00:00"),
            nvr(port, startTime="2016-02-30 12:00:00", endTime="2016-03-01 13:00:00"),
            nvr(port, startTime="2016-07-20 24:00:00", endTime="2016-07-21 01:00:00"),
            nvr(port, startTime="2016-07-20 13:00:00", endTime="2016-07-20 13:00:00"),
            nvr(port, startTime="2016-07-20 14:00:00", endTime="2016-07-20 13:00:00"),
            nvr(port, startTime=20160720, endTime="2016-07-20 13:00:00"),
        ]
        for body in back:
            with self.subTest(api="BACK_STREAM", body=str(body)[:160]):
                self.assertStatus(*call(self.d, "POST", "/BACK_STREAM", body), 600)
        for path in ("/STREAM/424242/BEATS", "/STREAM/424242/STOP", "/STREAM/abc/BEATS",
                     "/STREAM/-1/STOP"):
            with self.subTest(path=path):
                self.assertStatus(*call(self.d, "GET", path), 605)
        # a relay named like a push stream but made by the native API is not one
        st, _ = call(self.d, "POST", "/api/v1/relays", {"id": "push-777", "source": self.cam.url(),
                                                         "on_demand": True})
        self.assertEqual(st, 201)
        self.assertStatus(*call(self.d, "GET", "/STREAM/777/STOP"), 605)
        call(self.d, "DELETE", "/api/v1/relays/push-777")
        self.assertEqual(relay_ids(self.d), before, "a refused request changed the relays")
        # the documented methods only
        self.assertEqual(call(self.d, "GET", "/REAL_STREAM")[0], 405)

    def test_zz_password_redacted(self):
        for back in (False, True):
            for cat in (0, 1):
                hd = self.start(cat, 1, back=back)["play_handle"]
                call(self.d, "GET", "/api/v1/relays/push-%d" % hd)
                call(self.d, "GET", "/openapi/source/push-%d" % hd)
                call(self.d, "POST", "/STREAM/%d/POSITION" % hd, {"pos_time": "2016-07-20 12:30:00"})
        call(self.d, "POST", "/REAL_STREAM", nvr(self.cam.port, nvr_addr="bad host"))
        call(self.d, "POST", "/REAL_STREAM", b'{"nvr_pwd": p@ss:w/rd}')
        call(self.d, "POST", "/REAL_STREAM", b'{"nvr_pwd": "p@ss:w/rd", "nvr_category": 5}')
        time.sleep(1.5)  # let the relays try the NVR (and log about it)
        for path in ("/api/v1/relays", "/openapi/source", "/metrics"):
            call(self.d, "GET", path)
        for i, raw in enumerate(BODIES):
            assert_no_leak(self, raw, "response body #%d" % i)
        assert_no_leak(self, self.d.log(), "the daemon log")


class PushLease(PushHelpers, Base):
    config = {"beat_interval_s": 1}

    def test_lease(self):
        """beat_interval_s 1 → lease 3 s: a stream not beaten goes, a beaten one stays."""
        idle = self.start()["play_handle"]
        t0 = time.monotonic()
        beaten = self.start(channel=2)["play_handle"]
        gone_at = None
        while time.monotonic() - t0 < 8:
            self.assertStatus(*call(self.d, "GET", "/STREAM/%d/BEATS" % beaten), 200)
            if gone_at is None and self.relay(idle) is None:
                gone_at = time.monotonic() - t0
            time.sleep(1)
        self.assertIsNotNone(gone_at, "a stream without beats outlived its 3 s lease")
        self.assertGreaterEqual(gone_at, 2.0, "the lease ran out early")
        self.assertLessEqual(gone_at, 6.0)
        self.assertStatus(*call(self.d, "GET", "/STREAM/%d/BEATS" % idle), 605)
        self.assertIsNotNone(self.relay(beaten), "a beaten stream was stopped")
        self.assertGreater(self.relay(beaten)["lease_expires_in_ms"], 1000)
        self.stop(beaten)
        self.assertIsNone(self.relay(beaten))
        self.assertStatus(*call(self.d, "GET", "/STREAM/%d/STOP" % beaten), 605)
        self.assertStatus(*call(self.d, "GET", "/STREAM/%d/BEATS" % beaten), 605)


class PushCrossSite(PushHelpers, Base):
    """compat.md "Cross-site requests": any web page can make the browser send
    GET /STREAM/<n>/STOP (<img src=...>) or a POST to a token-less loopback daemon. With the
    browser's Sec-Fetch-Site or a foreign Origin they get 403 and have no effect; the push
    API's real clients send neither header and keep working."""

    def test_cross_site_requests_refused(self):
        handle = self.start()["play_handle"]  # (no camera mount for the push URLs: it retries)
        rid = "push-%d" % handle
        st, js = call(self.d, "POST", "/openapi/source/xs", {"source": self.cam.url("/h264")})
        self.assertEnvelope(st, js, 0)
        h.wait_until(lambda: call(self.d, "GET", "/api/v1/relays/xs")[1]["state"] == "streaming", 30,
                     what="relay xs streaming")
        for hdrs in ({"Sec-Fetch-Site": "cross-site"}, {"Sec-Fetch-Site": "same-site"},
                     {"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"}):
            for method, path, body in (("GET", "/STREAM/%d/STOP" % handle, None),
                                       ("GET", "/STREAM/%d/BEATS" % handle, None),
                                       ("POST", "/REAL_STREAM", nvr(self.cam.port, channel=2)),
                                       ("DELETE", "/openapi/source/xs", None)):
                with self.subTest(method=method, path=path, headers=hdrs):
                    st, js = call(self.d, method, path, body, headers=hdrs)
                    self.assertEqual((st, (js or {}).get("error", {}).get("code")), (403, "cross_site"), js)
        self.assertEqual(relay_ids(self.d), sorted([rid, "xs"]), "nothing was made or stopped")
        self.assertTrue(self.relay(handle)["running"], "the push stream still runs")
        self.assertEqual(call(self.d, "GET", "/api/v1/relays/xs")[1]["state"], "streaming")
        # The daemon's own page, and clients that are not browsers, are obeyed.
        own = {"Origin": self.d.base, "Sec-Fetch-Site": "same-origin"}
        self.assertStatus(*call(self.d, "GET", "/STREAM/%d/BEATS" % handle, headers=own), 200)
        self.assertStatus(*call(self.d, "GET", "/STREAM/%d/BEATS" % handle), 200)
        self.stop(handle)
        self.assertEnvelope(*call(self.d, "DELETE", "/openapi/source/xs"), 0)
        self.assertEqual(relay_ids(self.d), [])


class PushRestart(unittest.TestCase):
    def test_handles_unique_across_restarts(self):
        d = lsd.Daemon()
        try:
            d.start()
            st, js = call(d, "POST", "/REAL_STREAM", nvr(9, 0, 1))
            first = js["play_handle"]
            self.assertEqual(call(d, "GET", "/STREAM/%d/STOP" % first)[1]["status_code"], 200)
            d.kill9()
            d.start()
            st, js = call(d, "POST", "/REAL_STREAM", nvr(9, 0, 1))
            self.assertEqual(js["status_code"], 200, js)
            self.assertGreater(js["play_handle"], first)
            # a stream's data survives a restart too: its POSITION still works
            st, js = call(d, "POST", "/BACK_STREAM", nvr(9, 1, 1, startTime="2020-01-01 00:00:00",
                                                          endTime="2020-01-01 01:00:00"))
            back = js["play_handle"]
            d.kill9()
            d.start()
            st, js = call(d, "POST", "/STREAM/%d/POSITION" % back, {"pos_time": "2020-01-01 00:30:00"})
            self.assertEqual(js["status_code"], 200, js)
            st, rel = call(d, "GET", "/api/v1/relays/push-%d" % back)
            self.assertIn("starttime=2020_01_01_00_30_00&endtime=2020_01_01_01_00_00", rel["source"])
        finally:
            stop_checked(d)


# ---- auth -----------------------------------------------------------------------------------

class Auth(unittest.TestCase):
    def test_token(self):
        d = lsd.Daemon(config={"api_token": "tok3n"})
        try:
            d.start()
            body = nvr(9)
            for method, path, b in (("GET", "/openapi/source", None),
                                    ("POST", "/openapi/source/a", {"source": "rtsp://127.0.0.1:9/x"}),
                                    ("GET", "/openapi/source/a", None),
                                    ("PUT", "/openapi/source/a", {"transport": "tcp"}),
                                    ("DELETE", "/openapi/source/a", None),
                                    ("POST", "/REAL_STREAM", body), ("POST", "/BACK_STREAM", body),
                                    ("GET", "/STREAM/1/BEATS", None), ("GET", "/STREAM/1/STOP", None),
                                    ("POST", "/STREAM/1/POSITION", {"pos_time": "2016-07-20 12:00:00"}),
                                    ("POST", "/STREAM/1/PTZControl", {"command": 1})):
                with self.subTest(method=method, path=path):
                    self.assertEqual(call(d, method, path, b)[0], 401)
                    self.assertEqual(call(d, method, path, b, token="wrong")[0], 401)
            self.assertEqual(relay_ids(d, token="tok3n"), [])
            st, js = call(d, "GET", "/openapi/source", token="tok3n")
            self.assertEqual((st, js["code"]), (200, 0))
            st, js = call(d, "POST", "/REAL_STREAM", body, token="tok3n")
            self.assertEqual((st, js["status_code"]), (200, 200))
            st, js = call(d, "GET", "/STREAM/%d/STOP" % js["play_handle"], token="tok3n")
            self.assertEqual((st, js["status_code"]), (200, 200))
        finally:
            stop_checked(d)

    def test_no_token_configured(self):
        d = lsd.Daemon()
        try:
            d.start()
            st, js = call(d, "GET", "/openapi/source")
            self.assertEqual((st, js["code"]), (200, 0))
            self.assertEqual(call(d, "GET", "/STREAM/1/BEATS")[1]["status_code"], 605)
        finally:
            stop_checked(d)


if __name__ == "__main__":
    common.main()
