#!/usr/bin/python3
"""lightstreamd's HTTP-FLV of a camera with B-frames (issue 8), read by ffprobe: one viewer
from the moment the relay streams, one joining a few seconds later (it starts from the hub's
GOP cache). For both, the video timeline must hold (checks in tests/integration/timeline.py):
DTS strictly increasing one frame period per frame, DTS <= PTS, B-frames carrying a composition
time, CTS small and regular, and the decoded frames coming out of FFmpeg's decoder with PTS one
frame period apart: displayed in the right order.

Its own camera and daemon: test_httpflv.py counts the camera's sessions of /h264b_aac."""
import os
import sys
import threading
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import lsd  # noqa: E402
from lsd import h  # noqa: E402
import common  # noqa: E402  (tests/integration)
import timeline  # noqa: E402  (tests/integration)

PERIOD = 1000.0 / h.FPS
READ_S = 6
JOIN_AFTER = 80     # the second viewer connects once the relay has read this many more frames


class HttpFlvTimeline(unittest.TestCase, timeline.Asserts):
    @classmethod
    def setUpClass(cls):
        cls.cam = h.Camera(common.media_dir()).start()
        try:
            cls.d = lsd.Daemon().start()
        except BaseException:
            cls.cam.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            cls.d.stop_checked(timeout=20)
        finally:
            cls.cam.stop()

    def relay(self, rid):
        st, _, js = self.d.api("GET", "/api/v1/relays/" + rid)
        self.assertEqual(st, 200, js)
        return js

    def test_h264_ibbp_viewers_from_start_and_joined(self):
        st, _, js = self.d.api("POST", "/api/v1/relays", {"id": "ibbp", "source": self.cam.url("/h264b_aac")})
        self.assertEqual(st, 201, js)
        h.wait_until(lambda: self.relay("ibbp").get("state") == "streaming", 20, what="relay streaming")
        url = self.d.url("/live/ibbp.flv")
        got = {}

        def read(key):
            got[key] = h.probe_timeline(url, READ_S)
        first = threading.Thread(target=read, args=("start",))
        first.start()
        def frames():
            return self.relay("ibbp").get("stats", {}).get("video_frames_in", 0)
        n = frames() + JOIN_AFTER
        h.wait_until(lambda: frames() >= n, 20, what="%d more frames" % JOIN_AFTER)
        later = threading.Thread(target=read, args=("joined",))
        later.start()
        for t in (first, later):
            t.join(READ_S + 60)
        self.assertEqual(self.cam.skips("/h264b_aac"), [], "the camera fell behind and skipped "
                         "frames: the stream was not clean, nothing to conclude about the relay")
        for key in ("start", "joined"):
            with self.subTest(viewer=key):
                tl = got.get(key)
                self.assertIsNotNone(tl, "the %s viewer's ffprobe never finished" % key)
                self.assertNoProblems(timeline.decode_problems(tl, PERIOD, max_b=2)
                                      + timeline.presentation_problems(tl, PERIOD, max_b=2),
                                      "/h264b_aac via HTTP-FLV, viewer %s" % key)


if __name__ == "__main__":
    unittest.main(verbosity=2)
