#!/usr/bin/python3
"""One camera, several outputs, each isolated from the others: a dead RTMP server, a server
that accepts and never answers, a subscriber that never reads, an output removed, outputs and
players that join late. The live outputs keep full frame rate and decode; the broken ones
report their own errors and come up by themselves when they can."""
import os
import time

import common
from common import h

ECONNREFUSED, ETIMEDOUT = common.ECONNREFUSED, common.ETIMEDOUT
AAC_PER_S = 48000 / 1024


class Fanout(common.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cam = h.Camera(common.media_dir()).start()
        cls.ngx = h.Nginx().start()

    @classmethod
    def tearDownClass(cls):
        cls.ngx.stop()
        cls.cam.stop()

    def assert_full_rate(self, url, window=6):
        """`window` s of media from nginx: every video frame and AAC frame, nothing lost."""
        video, audio, errors, _wall = common.frames_in_window(url, window)
        self.assertEqual(errors, [])
        self.assertNear(video, window * common.FPS, 3)
        self.assertNear(audio, window * AAC_PER_S, 4)

    def check_flv(self, path, min_video):
        code, res = common.flvcheck(path)
        self.assertEqual(code, 0, res)
        self.assertTrue(res["ok"], res["errors"])
        v, a = res["video"], res["audio"]
        self.assertTrue(v["first_is_key"])
        self.assertEqual(v["first_ts"], 0, "an output's timeline starts at 0")
        self.assertEqual((v["decode_errors"], a["decode_errors"]), (0, 0))
        self.assertEqual((v["non_monotonic"], a["non_monotonic"]), (0, 0))
        self.assertEqual(v["undecoded"], 0)
        self.assertGreaterEqual(v["decoded"], min_video)
        return res

    # ---------------------------------------------------------------------------------------
    def test_dead_rtmp_output_is_isolated(self):
        """nginx + an RTMP output where nothing listens + a file subscriber: nginx and the file
        get everything, the dead output retries in backoff with its own -ECONNREFUSED, and it
        comes up by itself when a server appears on its port."""
        dead_port = h.free_port()
        url = self.ngx.rtmp_url("fan")
        path = os.path.join(h.tmpdir("fan-"), "sub.flv")
        d = self.driver(self.cam.url("/h264_aac"), "--output", url,
                        "--output", "rtmp://127.0.0.1:%d/live/fan" % dead_port,
                        "--sub-file", path, "--retry-ms", 500, duration=90, interval_ms=250)
        d.wait_streaming()
        common.wait_stats(d, lambda s: common.output_of(s, 1)["state"] == "streaming"
                          and common.output_of(s, 3)["state"] == "streaming", 10, "outputs up")
        t_up = time.monotonic()
        self.assert_full_rate(url)
        s = d.stats()
        self.assertNear(s["fps"], 25, 2)
        dead = common.output_of(s, 2)
        self.assertIn(dead["state"], ("backoff", "connecting"))
        self.assertEqual(dead["last_error"], -ECONNREFUSED)
        self.assertIn("127.0.0.1:%d" % dead_port, dead["last_error_message"])
        self.assertEqual((dead["video_frames_out"], dead["queue_bytes"], dead["uptime_ms"]),
                         (0, 0, 0))
        for oid in (1, 3):
            o = common.output_of(s, oid)
            self.assertEqual((o["state"], o["last_error"], o["skips"], o["reconnects"]),
                             ("streaming", 0, 0, 0), o)
        # Every sample since: the live outputs streamed, the dead one never did.
        for t, x in common.stats_history(d):
            if t > t_up:
                self.assertEqual(common.output_of(x, 1)["state"], "streaming")
                self.assertEqual(common.output_of(x, 3)["state"], "streaming")
                self.assertNotEqual(common.output_of(x, 2)["state"], "streaming")
        downs = d.events("output-down")
        self.assertGreaterEqual(len(downs), 3, "the dead output did not keep retrying")
        self.assertEqual(set((e["output"], e["error"]) for e in downs), {(2, -ECONNREFUSED)})
        self.assertEqual(d.events("error"), [])

        # A server appears on the dead output's port: it comes up without help.
        ngx2 = h.Nginx(port=dead_port).start()
        try:
            t_srv = time.monotonic()
            common.wait_stats(d, lambda s: common.output_of(s, 2)["state"] == "streaming", 10,
                              "the dead output up once its server exists")
            self.assertLess(time.monotonic() - t_srv, 5)  # retry cap 2 s ±20%
            url2 = ngx2.rtmp_url("fan")
            self.assertEqual(common.decode_errors(url2, 3), [])
            self.assert_full_rate(url2, 4)
            final = common.stop_checked(self, d)
        finally:
            ngx2.stop()
        self.assertEqual(final["reconnects"], 0)
        self.assertLess(final["stop_ms"], 1000)
        for oid in (1, 2, 3):
            self.assertEqual(common.output_of(final, oid)["skips"], 0)
        stop_t = [x for x in d.lines if "final" in x][0]["t"]
        sub = common.output_of(final, 3)
        res = self.check_flv(path, min_video=sub["video_frames_out"] - 1)
        self.assertEqual(res["video"]["frames"], sub["video_frames_out"])
        self.assertGreaterEqual(res["video"]["frames"], (stop_t - t_up) * common.FPS - 10)

    # ---------------------------------------------------------------------------------------
    def test_stuck_subscriber(self):
        """A subscriber that never returns, with 300 kB queues: the RTMP output next to it and
        the input keep full rate; the stuck one's queue stays bounded, skipping to keyframes."""
        qmax = 300000
        url = self.ngx.rtmp_url("stuck")
        d = self.driver(self.cam.url("/h264_aac"), "--output", url, "--sub-stuck",
                        "--queue-bytes", qmax, duration=90, interval_ms=250)
        d.wait_streaming()
        common.wait_stats(d, lambda s: common.output_of(s, 1)["state"] == "streaming", 10,
                          "rtmp up")
        t0 = time.monotonic()
        self.assert_full_rate(url)
        time.sleep(max(0.0, t0 + 9 - time.monotonic()))
        s = d.stats()
        elapsed = time.monotonic() - d.started
        self.assertNear(s["fps"], 25, 2)
        rtmp, stuck = common.output_of(s, 1), common.output_of(s, 2)
        self.assertEqual((rtmp["state"], rtmp["skips"], rtmp["dropped_frames"]), ("streaming", 0, 0))
        self.assertGreater(stuck["skips"], 0)
        self.assertGreater(stuck["dropped_frames"], 0)
        # The queue fills in ~2.5 s at ~950 kbit/s; a skip empties it: no skip storm.
        self.assertLessEqual(stuck["skips"], elapsed / 1.5, stuck)
        self.assertEqual(stuck["video_frames_out"], 0)
        for _t, x in common.stats_history(d):
            for o in x["outputs"]:
                self.assertLessEqual(o["queue_bytes"], qmax, o)
        # Nearly every frame since the start was dropped for the stuck one.
        self.assertGreaterEqual(stuck["dropped_frames"],
                                s["video_frames_in"] + s["audio_frames_in"] - 600)
        final = common.stop_checked(self, d)
        self.assertLess(final["stop_ms"], 1000)
        self.assertEqual(final["reconnects"], 0)
        self.assertEqual(common.output_of(final, 1)["skips"], 0)

    # ---------------------------------------------------------------------------------------
    def test_late_joiners(self):
        """A player joining nginx 5 s after the start decodes from its first frame; a file and
        a subscriber added at 4 s start with a keyframe at 0 ms at once (from the GOP cache)."""
        url = self.ngx.rtmp_url("late")
        tmp = h.tmpdir("late-")
        late_file, late_sub = os.path.join(tmp, "late.flv"), os.path.join(tmp, "late-sub.flv")
        d = self.driver(self.cam.url("/h264_aac"), "--output", url, "--late-ms", 4000,
                        "--late-output", late_file, "--late-sub-file", late_sub,
                        duration=90, interval_ms=250)
        d.wait_streaming()
        time.sleep(max(0.0, d.started + 5 - time.monotonic()))
        # nginx-rtmp has no GOP cache: it starts a player's video at the next tag our FLV
        # marks as a keyframe (wait_key). So the first frame must really be one, and decode.
        packets, errors = h.probe_packets(url, 4)
        self.assertEqual(errors, [])
        video = [p for p in packets if p["codec_type"] == "video"]
        self.assertGreaterEqual(len(video), 3 * common.FPS)
        self.assertTrue(video[0]["flags"].startswith("K"), video[0])
        self.assertEqual(common.decode_errors(url, 3), [])
        added = [x for x in d.lines if "added" in x]
        self.assertEqual([(x["added"], x["error"]) for x in added], [(2, 0), (3, 0)])
        t_added = added[0]["t"]
        h.wait_until(lambda: time.monotonic() > t_added + 4, 10)
        final = common.stop_checked(self, d)
        stop_t = [x for x in d.lines if "final" in x][0]["t"]
        for oid, path in ((2, common.recording(late_file)), (3, late_sub)):
            o = common.output_of(final, oid)
            # first_video_ms counts from the addition: the GOP cache makes it immediate.
            self.assertGreater(o["first_video_ms"], 0)
            self.assertLess(o["first_video_ms"], 500, o)
            self.assertEqual(o["skips"], 0)
            res = self.check_flv(path, min_video=(stop_t - t_added) * common.FPS - 10)
            self.assertEqual(res["video"]["frames"], o["video_frames_out"])
            # Started at most one GOP (1 s) before the addition.
            self.assertLessEqual(res["video"]["frames"], (stop_t - t_added + 1.2) * common.FPS)
            self.assertEqual(res["audio"]["codec"], "aac")

    # ---------------------------------------------------------------------------------------
    def test_remove_output(self):
        """Removing one of three outputs while streaming: fast, reported, and the others do not
        lose a frame."""
        url_a, url_b = self.ngx.rtmp_url("keep"), self.ngx.rtmp_url("removed")
        path = os.path.join(h.tmpdir("rm-"), "keep.flv")
        d = self.driver(self.cam.url("/h264_aac"), "--output", url_a, "--output", url_b,
                        "--output", path, "--remove-at", "2:4500", duration=90, interval_ms=250)
        d.wait_streaming()
        common.wait_stats(d, lambda s: all(o["state"] == "streaming" for o in s["outputs"]), 10,
                          "outputs up")
        self.assertLess(time.monotonic() - d.started, 4, "too slow to start: removal not covered")
        self.assert_full_rate(url_a, 6)   # a window that spans the removal
        removed = [x for x in d.lines if "removed" in x]
        self.assertEqual(len(removed), 1)
        self.assertEqual((removed[0]["removed"], removed[0]["error"]), (2, 0))
        self.assertLess(removed[0]["remove_ms"], 1000)
        s = d.stats()
        self.assertEqual([o["id"] for o in s["outputs"]], [1, 3])
        for o in s["outputs"]:
            self.assertEqual((o["state"], o["skips"]), ("streaming", 0))
        downs = [e for e in d.events("output-down") if e["output"] == 2]
        final = common.stop_checked(self, d)
        self.check_flv(common.recording(path),
                       min_video=common.output_of(final, 3)["video_frames_out"] - 1)
        self.assertEqual(d.events("error"), [])
        # events.h: LS_EVENT_OUTPUT_DOWN is "an output failed or was removed".
        self.assertEqual([(e["state"], e["error"]) for e in downs], [("stopped", 0)],
                         "expected one output-down event for the removed output")

    # ---------------------------------------------------------------------------------------
    def test_silent_rtmp_server(self):
        """An RTMP server that accepts TCP and never answers the handshake: that output times
        out after its 5 s connect timeout and retries, nginx keeps full rate, and stop is not
        delayed by the output being mid-handshake."""
        with h.BadCam("deaf") as deaf:
            url = self.ngx.rtmp_url("deaf")
            d = self.driver(self.cam.url("/h264_aac"), "--output", url,
                            "--output", "rtmp://127.0.0.1:%d/live/x" % deaf.port,
                            "--retry-ms", 500, duration=90, interval_ms=200)
            d.wait_streaming()
            self.assert_full_rate(url)
            t0 = d.events("state")[0]["t"]
            downs = h.wait_until(lambda: d.events("output-down")[:2]
                                 if len(d.events("output-down")) >= 2 else None, 15,
                                 what="two handshake timeouts")
            self.assertEqual([(e["output"], e["error"]) for e in downs], [(2, -ETIMEDOUT)] * 2)
            self.assertNear(downs[0]["t"] - t0, 5.0, 0.7)
            self.assertNear(downs[1]["t"] - downs[0]["t"], 5.5, 0.7)  # 0.5 s backoff + 5 s
            # Retry in ~1 s, then 5 s of handshake: stop 2.5 s after the failure is mid-way.
            time.sleep(max(0.0, downs[1]["t"] + 2.5 - time.monotonic()))
            o = common.output_of(d.stats(), 2)
            self.assertEqual(o["state"], "connecting")
            self.assertEqual(o["video_frames_out"], 0)
            self.assertEqual(common.output_of(d.stats(), 1)["state"], "streaming")
            final = common.stop_checked(self, d)
            self.assertLess(final["stop_ms"], 1000)
            self.assertEqual(deaf.connections(), 3)
            self.assertEqual(common.output_of(final, 1)["skips"], 0)
            self.assertEqual(final["reconnects"], 0)


if __name__ == "__main__":
    common.main()
