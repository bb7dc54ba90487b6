#!/usr/bin/python3
"""H.265 + AAC into FLV: Enhanced RTMP (hvc1) and legacy codec id 12, to files and through
node-media-server (nginx-rtmp drops Enhanced-RTMP HEVC; FFmpeg 5.1 cannot read it), checked by
flvcheck — its own FLV parser, hvcC + length-prefixed NAL units turned back into Annex B and
decoded by libavcodec."""
import json
import os
import subprocess
import time

import common
from common import h


class H265(common.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cam = h.Camera(common.media_dir()).start()
        cls.nms = h.Nms().start()

    @classmethod
    def tearDownClass(cls):
        cls.nms.stop()
        cls.cam.stop()

    def check_hevc(self, res, flavour, min_frames):
        self.assertTrue(res["ok"], res["errors"])
        v = res["video"]
        self.assertEqual(v["codec"], "hevc")
        self.assertEqual(v["flavour"], flavour)
        self.assertTrue(v["first_is_key"])
        self.assertGreaterEqual(v["seq_headers"], 1)
        self.assertEqual((v["width"], v["height"]), (640, 360))
        self.assertEqual(v["decode_errors"], 0)
        self.assertEqual(v["non_monotonic"], 0)
        self.assertGreaterEqual(v["decoded"], min_frames)
        self.assertGreaterEqual(v["decoded"], v["frames"] - 3)  # decoder delay at the end
        a = res["audio"]
        self.assertEqual(a["codec"], "aac")
        self.assertEqual(a["decode_errors"], 0)
        self.assertEqual(a["non_monotonic"], 0)

    def to_file(self, mount, mode, seconds=6):
        path = os.path.join(h.tmpdir("hevc-"), "out.flv")
        d = self.driver(self.cam.url(mount), "--hevc", mode, "--output", path)
        d.wait_streaming()
        time.sleep(seconds)
        final = d.stop()
        self.assertEqual(final["video_codec"], "h265")
        self.assertEqual((final["width"], final["height"]), (640, 360))
        code, res = common.flvcheck(common.recording(path))
        self.assertEqual(code, 0, res)
        return res

    def test_enhanced_file(self):
        res = self.to_file("/h265_aac", "enhanced")
        self.check_hevc(res, "enhanced", 5 * common.FPS)
        self.assertEqual(res["metadata"].get("videocodecid"), 0x68766331)

    def test_codec12_file(self):
        res = self.to_file("/h265_aac", "codec12")
        self.check_hevc(res, "codec12", 5 * common.FPS)
        self.assertEqual(res["metadata"].get("videocodecid"), 12)

    def test_sdp_without_parameter_sets(self):
        status, _, sdp = h.rtsp_request(self.cam.url("/h265_noparams"))
        self.assertEqual(status, 200)
        self.assertNotIn(b"sprop-sps", sdp)
        res = self.to_file("/h265_noparams", "enhanced")
        self.check_hevc(res, "enhanced", 5 * common.FPS)

    def through_nms(self, mode, name):
        d = self.driver(self.cam.url("/h265_aac"), "--hevc", mode,
                        "--output", self.nms.rtmp_url(name))
        d.wait_streaming()
        h.wait_until(lambda: d.stats()["outputs"][0]["state"] == "streaming", 10, what="rtmp up")
        # A player that joins at once, and one that joins late (after several GOPs).
        code, first = common.flvcheck(self.nms.flv_url(name), seconds=6)
        self.assertEqual(code, 0, first)
        time.sleep(2.5)
        code, late = common.flvcheck(self.nms.flv_url(name), seconds=5)
        self.assertEqual(code, 0, late)
        final = d.stop()
        self.assertEqual(final["outputs"][0]["reconnects"], 0)
        return first, late

    def test_enhanced_through_node_media_server(self):
        first, late = self.through_nms("enhanced", "hvc1")
        self.check_hevc(first, "enhanced", 4 * common.FPS)
        self.check_hevc(late, "enhanced", 3 * common.FPS)

    def test_codec12_through_node_media_server(self):
        # node-media-server 4 treats codec-12 tags as plain inter frames: it relays them live but
        # caches neither their sequence header nor a GOP, so a player that joins after the
        # publisher cannot decode (a server limitation, not ours). Here the player is connected
        # first and receives everything as it is published.
        name = "c12"
        player = subprocess.Popen([common.FLVCHECK, "--json", "--max-seconds", "8",
                                   self.nms.flv_url(name)], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
        try:
            time.sleep(0.5)
            d = self.driver(self.cam.url("/h265_aac"), "--hevc", "codec12",
                            "--output", self.nms.rtmp_url(name))
            d.wait_streaming()
            out, err = player.communicate(timeout=30)
        finally:
            if player.poll() is None:
                player.kill()
                player.wait()
        d.stop()
        self.assertEqual(player.returncode, 0, out + err)
        self.check_hevc(json.loads(out), "codec12", 5 * common.FPS)


if __name__ == "__main__":
    common.main()
