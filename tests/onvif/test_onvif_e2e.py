#!/usr/bin/python3
"""End to end: the fake ONVIF device's GetStreamUri names the test RTSP camera (gst-rtsp-server)
at a LAN address (the "internal IP" quirk); lightstream-onvif rewrites it to 127.0.0.1 and inserts
the credentials (admin / s3cr3t:p@ss, percent-encoded); the relay made from that URI streams to
an FLV file and to nginx-rtmp, and flvcheck (independent FLV parser + libavcodec) decodes the
H.264 without an error. The camera's /auth/ mount refuses the stream without those credentials.

Runs in a loopback-only network namespace: 192.168.1.64 is unreachable, so a client that did not
rewrite the host fails at once instead of reaching anything."""
import os
import time
import urllib.parse

import onvifcommon as oc
from onvifcommon import h
import common  # tests/integration: the relay driver and flvcheck

CAM_PASSWORD = h.CAMERA_PASSWORD   # "s3cr3t:p@ss": the ONVIF and RTSP password of the device


class EndToEnd(oc.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cam = h.Camera(common.media_dir()).start()
        cls.ngx = h.Nginx().start()

    @classmethod
    def tearDownClass(cls):
        cls.ngx.stop()
        cls.cam.stop()

    def setUp(self):
        super().setUp()
        self.drivers = []

    def tearDown(self):
        for d in self.drivers:
            d.kill()
        super().tearDown()

    def onvif_uri(self):
        lan = "rtsp://192.168.1.64:%d/auth/h264_aac" % self.cam.port
        dev = self.device("--stream-uri", lan, password=CAM_PASSWORD)
        r = self.cli(dev, "uri", opts=["--show-password"], password=CAM_PASSWORD)
        self.assertEqual(r.code, 0, r)
        uri = r.json["uri"]
        u = urllib.parse.urlsplit(uri)
        self.assertEqual((u.hostname, u.port, u.path), ("127.0.0.1", self.cam.port, "/auth/h264_aac"), uri)
        self.assertEqual(u.username, "admin")
        self.assertEqual(urllib.parse.unquote(u.password), CAM_PASSWORD)
        self.assertNotIn(CAM_PASSWORD, uri)            # ':' and '@' percent-encoded
        # the same URI as the harness builds for the camera (user and password percent-encoded)
        self.assertEqual(urllib.parse.unquote(uri), urllib.parse.unquote(self.cam.url("/auth/h264_aac", auth=True)))
        self.assertAuthOk(dev)
        return uri

    def test_relay_from_onvif_uri(self):
        uri = self.onvif_uri()
        # the camera really requires the credentials
        status, _, _ = h.rtsp_request(self.cam.url("/auth/h264_aac"))
        self.assertEqual(status, 401)
        path = os.path.join(h.tmpdir("onvif-e2e-"), "out.flv")
        rtmp = self.ngx.rtmp_url("onvif")
        d = common.Driver(uri, "--output", path, "--output", rtmp, duration=60)
        self.drivers.append(d)
        d.wait_streaming(timeout=20)
        h.wait_until(lambda: all(o["state"] == "streaming" for o in d.stats()["outputs"]), 15,
                     what="both outputs streaming")
        info = h.ffprobe_streams(rtmp)
        self.assertIn(("video", "h264", 640, 360), h.stream_summary(info))
        code, live = common.flvcheck(rtmp, seconds=4)
        self.assertEqual(code, 0, live)
        self.assertEqual(live["video"]["codec"], "h264")
        self.assertEqual(live["video"]["decode_errors"], 0)
        self.assertGreater(live["video"]["decoded"], 50)
        time.sleep(2)
        final = common.stop_checked(self, d)
        self.assertEqual(final["video_codec"], "h264")
        self.assertFalse(oc.percent_decoded_contains("\n".join(common.printed_strings(d)), CAM_PASSWORD),
                         "the relay printed the camera password")
        code, res = common.flvcheck(common.recording(path))  # the file the pattern made
        self.assertEqual(code, 0, res)
        self.assertTrue(res["ok"], res["errors"])
        v = res["video"]
        self.assertEqual(v["codec"], "h264")
        self.assertEqual(v["decode_errors"], 0)
        self.assertTrue(v["first_is_key"])
        self.assertEqual((v["width"], v["height"]), (640, 360))
        self.assertGreaterEqual(v["decoded"], 4 * common.FPS)
        self.assertEqual(res["audio"]["decode_errors"], 0)


if __name__ == "__main__":
    oc.main()
