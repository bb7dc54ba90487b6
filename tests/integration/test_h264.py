#!/usr/bin/python3
"""H.264 + AAC from the test camera to nginx-rtmp over RTSP/TCP and RTSP/UDP, read back with
ffprobe and ffmpeg; H.264 without SDP parameter sets into an FLV file read by flvcheck. Cameras
with B-frames (composition time, presentation order) are test_timeline.py's."""
import os
import time

import common
from common import h


class H264(common.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cam = h.Camera(common.media_dir()).start()
        cls.ngx = h.Nginx().start()

    @classmethod
    def tearDownClass(cls):
        cls.ngx.stop()
        cls.cam.stop()

    def relay_to_nginx(self, transport, name):
        url = self.ngx.rtmp_url(name)
        d = self.driver(self.cam.url("/h264_aac"), "--transport", transport, "--output", url)
        d.wait_streaming()
        h.wait_until(lambda: d.stats()["outputs"][0]["state"] == "streaming", 10, what="rtmp up")
        info = h.ffprobe_streams(url)
        self.assertEqual(sorted(h.stream_summary(info)),
                         [("audio", "aac", 48000, 2), ("video", "h264", 640, 360)])
        video, audio, errors, wall = common.frames_in_window(url, 8)
        self.assertEqual(errors, [])
        # 8 s of media: 200 frames at 25 fps, 375 AAC frames at 48 kHz — nothing lost or doubled.
        self.assertNear(video, 8 * common.FPS, 2)
        self.assertNear(audio, 8 * 48000 / 1024, 3)
        # ... and it arrives in real time (nginx starts a player at a keyframe: up to 1 s early).
        self.assertTrue(8 < wall < 11.5, "10 s of media took %.1f s to arrive" % wall)
        mono = h.check_monotonic(url, seconds=6)
        self.assertTrue(mono.ok, mono)
        self.assertEqual(common.decode_errors(url, 5), [])
        final = d.stop()
        self.assertEqual(final["reconnects"], 0)
        self.assertEqual(final["video_codec"], "h264")
        self.assertEqual((final["width"], final["height"]), (640, 360))
        self.assertEqual(final["audio_codec"], "aac")
        # The clip has a keyframe every 25 frames: about 1 s between the last two the relay sent
        # (over UDP libavformat moves timestamps by tens of ms when an RTCP report arrives).
        self.assertNear(final["keyframe_interval_ms"], 1000, 100)
        self.assertEqual(final["outputs"][0]["skips"], 0)
        self.assertLess(final["stop_ms"], 1000)
        return final

    def test_tcp_to_nginx(self):
        final = self.relay_to_nginx("tcp", "tcp")
        self.assertNear(final["fps"], 25, 2)

    def test_udp_to_nginx(self):
        # The test runs in a loopback-only network namespace (tests/run.sh), so FFmpeg's UDP
        # client binding every address cannot reach beyond 127.0.0.1.
        self.relay_to_nginx("udp", "udp")

    def relay_to_file(self, mount, seconds=6):
        path = os.path.join(h.tmpdir("flv-"), "out.flv")
        d = self.driver(self.cam.url(mount), "--output", path)
        d.wait_streaming()
        time.sleep(seconds)
        final = d.stop()
        code, res = common.flvcheck(common.recording(path))
        self.assertEqual(code, 0, res)
        self.assertTrue(res["ok"], res["errors"])
        v = res["video"]
        self.assertEqual(v["codec"], "h264")
        self.assertTrue(v["first_is_key"])
        self.assertEqual(v["decode_errors"], 0)
        self.assertEqual(v["non_monotonic"], 0)
        self.assertEqual((v["width"], v["height"]), (640, 360))
        self.assertGreaterEqual(v["decoded"], (seconds - 1) * common.FPS)
        self.assertEqual(res["audio"]["decode_errors"], 0)
        return final, res

    def test_sdp_without_parameter_sets(self):
        # Hikvision-style: the SDP has no sprop-parameter-sets; they come in-band before IDRs.
        status, _, sdp = h.rtsp_request(self.cam.url("/h264_noparams"))
        self.assertEqual(status, 200)
        self.assertIn(b"m=video", sdp)
        self.assertNotIn(b"sprop-parameter-sets", sdp)
        final, res = self.relay_to_file("/h264_noparams")
        self.assertEqual((final["width"], final["height"]), (640, 360))


if __name__ == "__main__":
    common.main()
