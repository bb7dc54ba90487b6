#!/usr/bin/python3
"""The relay's video timeline (issue 8) as independent readers see it: cameras with B-frames
(strict IBBP, an H.264 B-pyramid, H.265 with B-frames), a camera without, and a 2 fps camera,
relayed into FLV files and to RTMP servers.

Properties (checks in timeline.py): per video stream DTS strictly increases, one frame period
per frame, DTS <= PTS, B-frames carry a composition time, CTS is small and regular; decoded
frames come out of the decoder with PTS one frame period apart (displayed in the right order);
across a whole FLV file no tag's timestamp is below the previous tag's; a 2 fps camera's first
frame lasts 500 ms; a clean camera costs no timestamp repair. The IBBP camera once more with
interleaving off (--no-interleave): the video timeline must not depend on it.

Readers: ffprobe (FFmpeg 5.1, no code shared with the library) for H.264, from files and from
nginx-rtmp; for H.265 in FLV, which FFmpeg 5.1 cannot demux, flvread.py parses the container
and FFmpeg's HEVC decoder decides the order, from the file and from node-media-server's
HTTP-FLV relay of what the library published over RTMP (nginx-rtmp forwards no Enhanced-RTMP
HEVC). Every relay runs at once in setUpClass, with its live readers (one from the start, one
joining mid-GOP a few seconds later); the tests then check what was read.
"""
import os
import threading

import common
from common import h
import flvread
import timeline

PERIOD = 1000.0 / common.FPS   # ms
READ_S = 6                     # seconds of media each live reader reads
JOIN_AFTER = 80                # the second live reader starts once the relay has read this
                               # many more video frames (3.2 s): mid-GOP

# name -> (mount, longest run of B-frames, RTMP server, more relay_driver options)
CASES = {
    "ibbp": ("/h264b_aac", 2, "nginx", ()),
    "pyramid": ("/h264bp_aac", 3, "nginx", ()),
    "h265": ("/h265b_aac", 3, "nms", ()),
    "plain": ("/h264_aac", 0, None, ()),
    "2fps": ("/h264_2fps", 0, None, ()),
    "ibbp-no-interleave": ("/h264b_aac", 2, None, ("--no-interleave",)),
}


class Run:
    """One relay of a mount into an FLV file (and to an RTMP server), what its readers read and
    its final stats."""

    def __init__(self, name, cam, servers):
        self.name = name
        self.mount, self.max_b, server, more = CASES[name]
        self.hevc = self.mount.startswith("/h265")
        self.file = os.path.join(h.tmpdir("timeline-"), name + ".flv")
        args = ["--output", self.file, *more]
        self.rtmp = self.play = None
        if server == "nginx":
            self.rtmp = self.play = servers[server].rtmp_url(name)
        elif server == "nms":
            self.rtmp, self.play = servers[server].rtmp_url(name), servers[server].flv_url(name)
        if self.rtmp:
            args += ["--output", self.rtmp]
        self.driver = common.Driver(cam.url(self.mount), *args, duration=120, interval_ms=250)
        self.live = {}       # "start" / "joined": Timeline read from self.play
        self.final = self.from_file = None
        self.error = None

    def read(self, target, seconds=None):
        if self.hevc:
            return flvread.hevc_timeline(target, seconds)
        return h.probe_timeline(target, seconds)

    def read_live(self, key):
        self.live[key] = self.read(self.play, READ_S)

    def wait_up(self):
        """True once streaming (to its RTMP server too); a relay that does not come up fails
        its own tests only (self.error), not the others'."""
        try:
            self.driver.wait_streaming(20)
            if self.rtmp:
                h.wait_until(lambda: self.driver.stats()["outputs"][1]["state"] == "streaming",
                             10, what="%s: RTMP output streaming" % self.name)
            return True
        except TimeoutError as e:
            self.error = "%s: %s (relay_driver exit status %s)" % (self.name, e, self.driver.proc.poll())
            return False

    def finish(self):
        try:
            final = self.driver.stop()
        except AssertionError as e:
            final, self.error = None, self.error or str(e)
        self.final = final
        if self.final is None and self.error is None:
            self.error = "relay_driver printed no final stats"
        self.from_file = self.read(common.recording(self.file))


class Timeline(common.TestCase, timeline.Asserts):
    runs = {}

    @classmethod
    def setUpClass(cls):
        cls.cam, cls.servers, cls.runs = None, {}, {}
        try:
            cls.cam = h.Camera(common.media_dir()).start()
            cls.servers = {"nginx": h.Nginx().start(), "nms": h.Nms().start()}
            for name in CASES:
                cls.runs[name] = Run(name, cls.cam, cls.servers)
            up = [r for r in cls.runs.values() if r.wait_up()]
            live = [r for r in up if r.play]
            threads = [threading.Thread(target=r.read_live, args=("start",)) for r in live]
            for t in threads:
                t.start()
            clock = (live or up)[0].driver
            n = clock.stats()["video_frames_in"] + JOIN_AFTER
            h.wait_until(lambda: clock.stats()["video_frames_in"] >= n, 20,
                         what="%d more video frames" % JOIN_AFTER)
            later = [threading.Thread(target=r.read_live, args=("joined",)) for r in live]
            for t in later:
                t.start()
            for t in threads + later:
                t.join(READ_S + 60)
            for r in cls.runs.values():
                r.finish()
        except BaseException:
            cls.tearDownClass()   # unittest does not call it when setUpClass fails
            raise

    @classmethod
    def tearDownClass(cls):
        for r in cls.runs.values():
            r.driver.kill()
        for s in cls.servers.values():
            s.stop()
        if cls.cam:
            cls.cam.stop()

    def run_of(self, name):
        """The run; its driver log is printed if the test fails. If the camera itself skipped
        frames on the mount (overloaded machine) the run proves nothing: that fails first."""
        r = self.runs[name]
        self.drivers.append(r.driver)
        self.assertIsNone(r.error, r.error)
        self.assertEqual(self.cam.skips(r.mount), [], "the camera fell behind and skipped "
                         "frames: the stream was not clean, nothing to conclude about the relay")
        return r

    # -- into an FLV file --------------------------------------------------------------------
    def check_file_decode(self, name):
        r = self.run_of(name)
        self.assertDecodeTimeline(r.from_file, "%s %s into a file" % (name, r.mount),
                                  PERIOD, r.max_b)

    def check_file_presentation(self, name):
        r = self.run_of(name)
        self.assertPresentationOrder(r.from_file, "%s %s into a file" % (name, r.mount), PERIOD,
                                     r.max_b)

    def test_h264_ibbp_file_dts_pts_cts(self):
        self.check_file_decode("ibbp")

    def test_h264_ibbp_file_presentation_order(self):
        self.check_file_presentation("ibbp")

    def test_h264_pyramid_file_dts_pts_cts(self):
        self.check_file_decode("pyramid")

    def test_h264_pyramid_file_presentation_order(self):
        self.check_file_presentation("pyramid")

    def test_h265_bframes_file_dts_pts_cts(self):
        self.check_file_decode("h265")

    def test_h265_bframes_file_presentation_order(self):
        self.check_file_presentation("h265")

    def test_h264_no_bframes_file_presentation_order(self):
        self.check_file_presentation("plain")

    def test_h264_ibbp_without_interleaving_file_dts_pts_cts(self):
        self.check_file_decode("ibbp-no-interleave")

    def test_h264_ibbp_without_interleaving_file_presentation_order(self):
        self.check_file_presentation("ibbp-no-interleave")

    # -- through an RTMP server, read from the start and by a viewer joining later ----------
    def check_live(self, name, server):
        r = self.run_of(name)
        for key in ("start", "joined"):
            with self.subTest(reader=key):
                tl = r.live.get(key)
                self.assertIsNotNone(tl, "the %s reader never finished" % key)
                what = "%s %s via %s, reader %s" % (name, r.mount, server, key)
                self.assertNoProblems(timeline.decode_problems(tl, PERIOD, r.max_b)
                                      + timeline.presentation_problems(tl, PERIOD, r.max_b), what)

    def test_h264_ibbp_rtmp_nginx_from_start_and_joined(self):
        self.check_live("ibbp", "nginx-rtmp")

    def test_h264_pyramid_rtmp_nginx_from_start_and_joined(self):
        self.check_live("pyramid", "nginx-rtmp")

    def test_h265_bframes_rtmp_nms_from_start_and_joined(self):
        self.check_live("h265", "node-media-server (its HTTP-FLV of the RTMP publish)")

    # -- audio and video tags in timestamp order across the file ----------------------------
    def test_file_tags_in_timestamp_order_h264_aac(self):
        r = self.run_of("plain")
        self.assertInterleaved(r.from_file, "%s into a file" % r.mount)

    def test_file_tags_in_timestamp_order_h264_ibbp_aac(self):
        r = self.run_of("ibbp")
        self.assertInterleaved(r.from_file, "%s into a file" % r.mount)

    # -- a 2 fps camera ------------------------------------------------------------------------
    def test_2fps_every_frame_lasts_500ms_the_first_too(self):
        r = self.run_of("2fps")
        dts = [p.dts for p in r.from_file.video_packets()]
        self.assertGreaterEqual(len(dts), 4, "video tags in the file: %s" % dts)
        self.assertNear(dts[1] - dts[0], 500, 20, "the first video tag lasts %g ms, not 500 "
                        "(DTS of the first tags: %s)" % (dts[1] - dts[0], dts[:6]))
        steps = [b - a for a, b in zip(dts, dts[1:])]
        self.assertTrue(all(abs(s - 500) <= 20 for s in steps), "video tag durations: %s" % steps)

    def test_2fps_no_missing_timestamp_repairs(self):
        r = self.run_of("2fps")
        self.assertEqual(r.final["repairs"]["missing"], 0, r.final["repairs"])

    # -- the relay's own count -----------------------------------------------------------------
    def test_clean_camera_counts_no_timestamp_repairs(self):
        for name in CASES:
            with self.subTest(relay=name, mount=CASES[name][0]):
                r = self.run_of(name)
                counted = {k: v for k, v in r.final["repairs"].items() if v and k != "reconnect"}
                self.assertEqual(counted, {}, "%s: a clean camera, yet repairs" % r.mount)
                self.assertEqual(r.final["reconnects"], 0)


if __name__ == "__main__":
    common.main()
