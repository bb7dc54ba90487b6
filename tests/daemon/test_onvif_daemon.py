"""lightstreamd's ONVIF endpoints against the fake ONVIF device (tests/onvif/fake_device.py,
real captured answers) and the test RTSP camera: probe, the Python relay's /openapi/onvif/device,
a relay made from a device's profile that streams, PTZ of such a relay (the device records
ContinuousMove then Stop), discovery through a responder on 127.0.0.1, and the password in no
reply and no log line.
"""
import os
import subprocess
import sys
import time
import unittest
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "onvif"))
import lsd  # noqa: E402
import onvifcommon as oc  # noqa: E402

h = lsd.h
CAM_PASSWORD = h.CAMERA_PASSWORD        # "s3cr3t:p@ss": the device and the camera share it


def secret_forms(pw):
    return {pw, urllib.parse.quote(pw, safe=""), urllib.parse.quote(pw)}


class OnvifDaemonTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cam = h.Camera(media_dir=h.media(os.environ.get("LS_MEDIA_DIR"))).start()
        cls.dev = oc.FakeDevice(
            "--stream-uri", "rtsp://192.168.1.64:%d/auth/h264_aac" % cls.cam.port,
            profile="agsh", user="admin", password=CAM_PASSWORD).start()
        cls.d = lsd.Daemon().start()
        cls.bodies = []

    @classmethod
    def tearDownClass(cls):
        for x in (cls.d, cls.dev, cls.cam):
            try:
                x.stop()
            except Exception:
                pass

    def call(self, method, path, body=None, **kw):
        st, hd, raw = self.d.request(method, path, body, **kw)
        self.bodies.append(raw.decode("utf-8", "replace"))
        try:
            import json
            return st, json.loads(raw) if raw else None
        except ValueError:
            return st, None

    def device(self, **extra):
        dev = {"host": "127.0.0.1", "port": self.dev.port, "user": "admin",
               "password": CAM_PASSWORD}
        dev.update(extra)
        return dev

    def test_probe(self):
        st, js = self.call("POST", "/api/v1/onvif/probe", self.device())
        self.assertEqual(st, 200, js)
        self.assertEqual(js["info"]["manufacturer"], "Mockup Manufacturer")
        self.assertEqual(js["info"]["model"], "Mockup Model")
        self.assertTrue(js["services"]["ptz"])
        tokens = [p["token"] for p in js["profiles"]]
        self.assertIn("main", tokens)
        main = js["profiles"][tokens.index("main")]
        self.assertEqual(main["encoding"], "H264")
        self.assertEqual((main["width"], main["height"]), (1920, 1080))
        # The device names a LAN address: the URI must point where we reached it.
        self.assertTrue(main["uri"].startswith("rtsp://127.0.0.1:%d/" % self.cam.port), main["uri"])

    def test_compat_device(self):
        st, js = self.call("POST", "/openapi/onvif/device",
                           {"url": "127.0.0.1", "port": self.dev.port, "username": "admin",
                            "pwd": CAM_PASSWORD})
        self.assertEqual(st, 200)
        self.assertTrue(js["success"], js)
        self.assertEqual(js["code"], 0)
        self.assertEqual(js["data"]["info"]["manufacturer"], "Mockup Manufacturer")
        self.assertTrue(js["data"]["main"]["rtsp"].startswith("rtsp://127.0.0.1:"))
        st, js = self.call("POST", "/openapi/onvif/device", {"port": 80})
        self.assertEqual(st, 200)
        self.assertFalse(js["success"])
        self.assertNotEqual(js["code"], 0)

    def test_wrong_password(self):
        before = len(self.dev.records())
        st, js = self.call("POST", "/api/v1/onvif/probe", self.device(password="Wr0ng-pw!"))
        self.assertEqual(st, 502, js)
        self.assertEqual(js["error"]["code"], "device_auth", js)
        # Cameras lock accounts: never more than two authenticated tries per operation.
        recs = self.dev.records()[before:]
        for op in set(r["op"] for r in recs):
            self.assertLessEqual(len([r for r in recs if r["op"] == op]), 2, op)

    def probe_other(self, *args, profile="agsh", password=CAM_PASSWORD):
        """Probe a fake device of its own, started with these options."""
        dev = oc.FakeDevice(*args, profile=profile, user="admin", password=CAM_PASSWORD).start()
        try:
            return self.call("POST", "/api/v1/onvif/probe", self.device(port=dev.port,
                                                                       password=password))
        finally:
            dev.stop()

    def test_http_500_without_fault_is_device_error(self):
        # HTTP 500 with an HTML page and no SOAP fault: the device failing, not a SOAP fault, so
        # device_error (docs/http-api.md keeps device_fault for SOAP faults).
        st, js = self.probe_other("--http-500", "GetDeviceInformation")
        self.assertEqual(st, 502, js)
        self.assertEqual(js["error"]["code"], "device_error", js)
        self.assertIn("HTTP status 500", js["error"]["message"])

    def test_wsa_header_faults(self):
        # Faults with a WS-Addressing header marked mustUnderstand (tests/data/onvif/wsa-faults):
        # NotAuthorized is device_auth, another fault device_fault with its subcodes.
        st, js = self.probe_other("--auth-fault", "wsa", password="Wr0ng-pw!")
        self.assertEqual(st, 502, js)
        self.assertEqual(js["error"]["code"], "device_auth", js)
        st, js = self.probe_other("--fault", "GetProfiles", "--fault-capture", "wsa")
        self.assertEqual(st, 502, js)
        self.assertEqual(js["error"]["code"], "device_fault", js)
        self.assertIn("ter:InvalidArgVal/ter:NoProfile", js["error"]["message"])

    def test_media2_http_500_probe_uses_media1(self):
        st, js = self.probe_other("--http-500", "media2.GetProfiles", profile="media2")
        self.assertEqual(st, 200, js)
        self.assertFalse(js["services"]["media2"], js)
        self.assertEqual([p["token"] for p in js["profiles"]], ["main"])
        self.assertTrue(js["profiles"][0]["uri"].startswith("rtsp://127.0.0.1"), js)

    def test_bad_requests(self):
        for body in ({}, {"host": "a b"}, {"host": "h", "port": 0}, {"host": "h", "zzz": 1},
                     {"host": 5}):
            st, js = self.call("POST", "/api/v1/onvif/probe", body)
            self.assertEqual(st, 400, body)
            self.assertEqual(js["error"]["code"], "invalid")
        st, js = self.call("POST", "/api/v1/onvif/relays", {"relay": {"id": "x"}})
        self.assertEqual(st, 400)
        st, js = self.call("POST", "/api/v1/onvif/relays",
                           {"device": self.device(), "relay": {"source": "rtsp://x/y"}})
        self.assertEqual(st, 400)

    def test_unreachable_device(self):
        port = h.free_port()
        t0 = time.monotonic()
        st, js = self.call("POST", "/api/v1/onvif/probe",
                           {"host": "127.0.0.1", "port": port, "timeout_ms": 1000})
        self.assertEqual(st, 502, js)
        self.assertEqual(js["error"]["code"], "device_unreachable")
        self.assertLess(time.monotonic() - t0, 5)

    def test_relay_from_device_streams_and_ptz(self):
        st, js = self.call("POST", "/api/v1/onvif/relays",
                           {"device": self.device(profile="main"), "relay": {"id": "ov1"}})
        self.assertEqual(st, 201, js)
        self.assertEqual(js["id"], "ov1")
        self.assertIn("****", js["source"])
        h.wait_until(lambda: self.call("GET", "/api/v1/relays/ov1")[1]["state"] == "streaming",
                     20, what="the ONVIF relay to stream (credentials inserted in the URI)")
        st, js = self.call("GET", "/api/v1/relays/ov1")
        self.assertEqual(js["stats"]["video_codec"], "h264")
        # PTZ: ContinuousMove, then Stop after the duration.
        before = len(self.dev.records())
        st, js = self.call("POST", "/api/v1/relays/ov1/ptz",
                           {"action": "move", "pan": 0.5, "tilt": -0.25, "duration_ms": 300})
        self.assertEqual(st, 200, js)
        recs = self.dev.records()[before:]
        ops = [r["op"] for r in recs]
        self.assertIn("ContinuousMove", ops)
        self.assertIn("Stop", ops)
        move = next(r for r in recs if r["op"] == "ContinuousMove")
        stop = next(r for r in recs if r["op"] == "Stop")
        self.assertGreaterEqual(stop["t"] - move["t"], 0.25)
        self.assertLess(stop["t"] - move["t"], 0.9)
        st, js = self.call("GET", "/api/v1/relays/ov1/ptz/presets")
        self.assertEqual(st, 200, js)
        self.assertIn("PresetToken001", [p["token"] for p in js["presets"]])
        st, js = self.call("POST", "/api/v1/relays/ov1/ptz", {"action": "goto", "preset": "PresetToken001"})
        self.assertEqual(st, 200, js)
        self.assertIn("GotoPreset", self.dev.ops())
        st, js = self.call("POST", "/api/v1/relays/ov1/ptz", {"action": "spin"})
        self.assertEqual(st, 400)
        # A relay not made from a device has no PTZ.
        st, _ = self.call("POST", "/api/v1/relays", {"id": "plain", "source": self.cam.url("/h264")})
        self.assertEqual(st, 201)
        st, js = self.call("POST", "/api/v1/relays/plain/ptz", {"action": "stop"})
        self.assertEqual(st, 409, js)
        self.assertEqual(self.call("DELETE", "/api/v1/relays/plain")[0], 204)
        self.assertEqual(self.call("DELETE", "/api/v1/relays/ov1")[0], 204)

    def test_push_ptzcontrol(self):
        st, js = self.call("POST", "/REAL_STREAM",
                           {"nvr_category": 0, "nvr_addr": "127.0.0.1", "nvr_port": 8000,
                            "nvr_user": "admin", "nvr_pwd": CAM_PASSWORD, "nvr_channel": 1,
                            "rtsp_port": self.cam.port, "onvif_port": self.dev.port})
        self.assertEqual(js["status_code"], 200, js)
        handle = js["play_handle"]
        before = len(self.dev.records())
        st, js = self.call("POST", "/STREAM/%d/PTZControl" % handle, {"command": 8, "duration": 300})
        self.assertEqual(js["status_code"], 200, js)
        recs = self.dev.records()[before:]
        moves = [r for r in recs if r["op"] == "ContinuousMove"]
        stops = [r for r in recs if r["op"] == "Stop"]
        self.assertEqual(len(moves), 1, recs)
        self.assertEqual(len(stops), 1, recs)
        self.assertGreaterEqual(stops[0]["t"] - moves[0]["t"], 0.25)
        self.assertLess(moves[0]["velocity"]["pan"], 0, moves[0])     # 8: left
        # Focus needs the Imaging service: a clear 609, nothing sent.
        before = len(self.dev.records())
        st, js = self.call("POST", "/STREAM/%d/PTZControl" % handle, {"command": 2})
        self.assertEqual(js["status_code"], 609, js)
        self.assertEqual(len(self.dev.records()), before)
        st, js = self.call("POST", "/STREAM/%d/PTZControl" % handle, {"command": 14})
        self.assertEqual(js["status_code"], 600, js)
        self.assertEqual(self.call("GET", "/STREAM/%d/STOP" % handle)[1]["status_code"], 200)

    def test_discover(self):
        with oc.Responder("--device-port", self.dev.port) as resp:
            st, js = self.call("POST", "/api/v1/onvif/discover",
                               {"address": "127.0.0.1", "port": resp.port, "timeout_ms": 1000})
        self.assertEqual(st, 200, js)
        self.assertEqual(len(js["devices"]), 1, js)
        self.assertIn("http://127.0.0.1:%d/onvif/device_service" % self.dev.port,
                      js["devices"][0]["xaddrs"])
        st, js = self.call("POST", "/api/v1/onvif/discover", {"timeout_ms": 0})
        self.assertEqual(st, 400)

    def test_zz_no_password_anywhere(self):
        # Runs last (name order): every reply body so far, and the daemon's log.
        text = "\n".join(self.bodies) + "\n" + self.d.log()
        self.assertGreater(len(self.bodies), 5)
        for form in secret_forms(CAM_PASSWORD) | secret_forms("Wr0ng-pw!"):
            self.assertNotIn(form, text)

    def test_zzz_clean_exit(self):
        # Last: SIGTERM with ONVIF-made relays behind us; exit 0, no sanitizer report.
        self.d.stop_checked()


if __name__ == "__main__":
    sys.path.insert(0, os.path.join(HERE, "..", "integration"))
    import common
    common.main()
