#!/usr/bin/python3
"""The pollable subscriber (lightstream/subscription.h) against the test camera: relay_driver
reads a subscription from a poll() loop and writes each taken piece (its own header, the shared
body, its trailer) to a file, which flvcheck — written apart from the library's FLV writer —
reads back: a valid FLV whose video starts with a keyframe at 0 ms and decodes, audio and video
in order, as many frames as the subscription counted. One subscribes from the start, one at
4 s (its start comes from the GOP cache at once); a callback subscriber runs beside them for
comparison."""
import os
import time

import common
from common import h

AAC_PER_S = 48000 / 1024


class Poll(common.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cam = h.Camera(common.media_dir()).start()

    @classmethod
    def tearDownClass(cls):
        cls.cam.stop()

    def check_flv(self, path, min_video):
        code, res = common.flvcheck(path)
        self.assertEqual(code, 0, res)
        self.assertTrue(res["ok"], res["errors"])
        v, a = res["video"], res["audio"]
        self.assertTrue(v["first_is_key"])
        self.assertEqual(v["first_ts"], 0, "a subscription's timeline starts at 0")
        self.assertEqual((v["decode_errors"], a["decode_errors"]), (0, 0))
        self.assertEqual((v["non_monotonic"], a["non_monotonic"]), (0, 0))
        self.assertEqual(v["undecoded"], 0)
        self.assertGreaterEqual(v["decoded"], min_video)
        self.assertEqual(a["codec"], "aac")
        return res

    def test_poll_subscriptions_from_start_and_late(self):
        tmp = h.tmpdir("poll-")
        early, late, cb = (os.path.join(tmp, n) for n in ("early.flv", "late.flv", "cb.flv"))
        d = self.driver(self.cam.url("/h264_aac"), "--poll-file", early, "--sub-file", cb,
                        "--late-ms", 4000, "--late-poll-file", late, duration=90,
                        interval_ms=250)
        d.wait_streaming()
        h.wait_until(lambda: any("added" in x for x in d.lines), 15, what="late subscription")
        t_added = [x for x in d.lines if "added" in x][0]["t"]
        self.assertEqual([x for x in d.lines if "added" in x][0]["error"], 0)
        h.wait_until(lambda: time.monotonic() > d.started + 10, 15)
        final = common.stop_checked(self, d)
        stop_t = [x for x in d.lines if "final" in x][0]["t"]
        polls = [x["polls"] for x in d.lines if "polls" in x]
        self.assertEqual(len(polls), 1, "the driver printed what the subscriptions took")
        first, second = polls[0]
        sub = common.output_of(final, 1)  # the callback subscriber, for comparison

        res = self.check_flv(early, min_video=(stop_t - d.started - 3) * common.FPS)
        self.assertEqual(res["video"]["frames"], first["video_frames_out"])
        self.assertEqual(res["audio"]["frames"], first["audio_frames_out"])
        self.assertEqual(os.path.getsize(early), first["bytes_out"] + 13)  # + the file header
        self.assertNear(first["video_frames_out"], sub["video_frames_out"], common.FPS + 2)
        self.assertEqual(first["skips"], 0)

        res = self.check_flv(late, min_video=(stop_t - t_added) * common.FPS - 10)
        self.assertEqual(res["video"]["frames"], second["video_frames_out"])
        # Started from the GOP cache: at most one GOP (1 s) before it was added.
        self.assertLessEqual(res["video"]["frames"], (stop_t - t_added + 1.2) * common.FPS)
        self.assertEqual(second["skips"], 0)

        for p in (first, second):
            # Readable meant something to take; a take is a batch, not a syscall per tag.
            self.assertLessEqual(p["empty_takes"], p["wakes"] // 10 + 2, p)
            self.assertLessEqual(p["wakes"], p["tags"], p)
        print("poll: %s / %s" % (first, second))


if __name__ == "__main__":
    common.main()
