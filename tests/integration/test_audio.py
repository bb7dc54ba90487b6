#!/usr/bin/python3
"""Audio policy: G.711 A-law and µ-law passed (FLV SoundFormat 7/8) or dropped, AAC with a correct
AudioSpecificConfig; checked in FLV files with flvcheck (libavcodec decodes every frame) and,
for G.711, through nginx-rtmp with ffprobe."""
import os
import time

import common
from common import h


class Audio(common.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cam = h.Camera(common.media_dir()).start()

    @classmethod
    def tearDownClass(cls):
        cls.cam.stop()

    def to_file(self, mount, policy, seconds=5):
        path = os.path.join(h.tmpdir("audio-"), "out.flv")
        d = self.driver(self.cam.url(mount), "--audio", policy, "--output", path)
        d.wait_streaming()
        time.sleep(seconds)
        final = d.stop()
        code, res = common.flvcheck(common.recording(path))
        self.assertEqual(code, 0, res)
        self.assertTrue(res["ok"], res["errors"])
        self.assertEqual(res["video"]["decode_errors"], 0)
        return final, res

    def check_g711(self, mount, codec, sound_format):
        final, res = self.to_file(mount, "all")
        self.assertEqual(final["audio_codec"], codec)
        self.assertFalse(final["audio_dropped"])
        a = res["audio"]
        self.assertEqual(a["codec"], codec)
        self.assertEqual(a["sound_format"], sound_format)
        self.assertEqual((a["sample_rate"], a["channels"]), (8000, 1))
        self.assertEqual(a["decode_errors"], 0)
        self.assertEqual(a["non_monotonic"], 0)
        self.assertGreater(a["decoded"], 0)
        self.assertEqual(a["decoded"], a["frames"])
        # Audio covers the same span as video (one clock), within a frame or two.
        self.assertNear(a["last_ts"], res["video"]["last_ts"], 120)
        self.assertTrue(res["header"]["audio"])
        self.assertEqual(res["metadata"].get("audiocodecid"), sound_format)

    def test_pcma_passed(self):
        self.check_g711("/h264_pcma", "pcma", 7)

    def test_pcmu_passed(self):
        self.check_g711("/h264_pcmu", "pcmu", 8)

    def check_dropped(self, mount, policy):
        final, res = self.to_file(mount, policy)
        self.assertTrue(final["audio_dropped"])
        self.assertEqual(res["audio"]["frames"], 0)
        self.assertFalse(res["header"]["audio"])
        self.assertNotIn("audiocodecid", res["metadata"])
        self.assertGreater(res["video"]["decoded"], 4 * common.FPS)

    def test_pcma_dropped_for_aac_only(self):
        self.check_dropped("/h264_pcma", "aac")

    def test_all_audio_dropped(self):
        self.check_dropped("/h264_aac", "none")

    def test_aac_config_decodes(self):
        final, res = self.to_file("/h264_aac", "aac", seconds=6)
        a = res["audio"]
        self.assertEqual(a["codec"], "aac")
        self.assertEqual(a["seq_headers"], 1)
        self.assertEqual((a["sample_rate"], a["channels"]), (48000, 2))
        self.assertEqual(a["decode_errors"], 0)
        self.assertEqual(a["decoded"], a["frames"])
        self.assertGreater(a["frames"], 5 * 48000 / 1024)
        self.assertEqual((final["audio_sample_rate"], final["audio_channels"]), (48000, 2))

    def test_pcma_through_nginx(self):
        with h.Nginx() as ngx:
            url = ngx.rtmp_url("g711")
            d = self.driver(self.cam.url("/h264_pcma"), "--output", url)
            d.wait_streaming()
            h.wait_until(lambda: d.stats()["outputs"][0]["state"] == "streaming", 10)
            info = h.ffprobe_streams(url)
            self.assertIn(("audio", "pcm_alaw", 8000, 1), h.stream_summary(info))
            self.assertEqual(common.decode_errors(url, 4), [])
            d.stop()


if __name__ == "__main__":
    common.main()
