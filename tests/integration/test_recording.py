#!/usr/bin/python3
"""File outputs as recordings: a restart never destroys what was recorded (each run of an
output writes a new file named with its UTC start time, relay.h), and a finished file carries
its real duration and size in onMetaData — read back by ffprobe — while a file whose writer was
killed still plays."""
import hashlib
import json
import os
import resource
import signal
import time

import common
from common import h


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def video_packets(path):
    """Video packets ffprobe reads in the file (an independent count of what was recorded)."""
    r = h.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-count_packets",
               "-show_entries", "stream=nb_read_packets", "-of", "json", path], timeout=60)
    streams = json.loads(r.stdout or "{}").get("streams", [])
    return int(streams[0]["nb_read_packets"]) if streams else 0


def limit_file_size(limit):
    """For the driver's process: files stop growing at `limit` bytes (writes fail with EFBIG
    rather than kill it with SIGXFSZ)."""
    def setup():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return setup


class Recording(common.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cam = h.Camera(common.media_dir()).start()

    @classmethod
    def tearDownClass(cls):
        cls.cam.stop()

    def record(self, path, seconds, *args):
        """relay_driver with a file output for about `seconds` of streaming, stopped cleanly."""
        d = self.driver(self.cam.url("/h264_aac"), "--output", path, *args, duration=60,
                        interval_ms=250)
        d.wait_streaming()
        common.wait_stats(d, lambda s: s["outputs"] and s["outputs"][0]["video_frames_out"] > 0,
                          10, "the file output writing")
        time.sleep(seconds)
        return common.stop_checked(self, d)

    def assert_finished(self, path):
        """onMetaData of a closed file: duration = what it holds (25 fps video, ±2 frames
        and an audio frame), filesize = its size in bytes. Returns the duration."""
        meta = common.flv_metadata(path)
        self.assertEqual(meta["filesize"], os.path.getsize(path), "onMetaData.filesize of %s" % path)
        frames = video_packets(path)
        self.assertGreater(frames, common.FPS, path)
        held = frames / common.FPS
        # ffprobe shows onMetaData numbers rounded; the precise value is its format duration.
        self.assertIsNotNone(meta["duration"], "no onMetaData.duration in %s" % path)
        self.assertNear(meta["duration"], held, 0.6, "onMetaData.duration of %s" % path)
        self.assertNear(meta["format_duration"], held, 0.1,
                        "duration %s of %s with %d frames" % (meta["format_duration"], path, frames))
        return meta["format_duration"]

    # ---------------------------------------------------------------------------------------
    def test_restart_keeps_the_first_recording(self):
        """Record 3 s to a path, stop; record again to the same path (and remove the output
        while the relay runs on): the first file is still there byte for byte, a second file
        exists, and each finished file says its own duration and size."""
        path = os.path.join(h.tmpdir("rec-"), "cam1.flv")
        final = self.record(path, 3)
        first = common.recording(path)
        self.assertEqual(common.output_of(final, 1)["file"], first)
        self.assertFalse(os.path.exists(path), "the pattern itself is never written")
        digest, size = sha256(first), os.path.getsize(first)
        self.assertNear(self.assert_finished(first), 3.0, 1.0)

        # Again: this time the output is removed at 3 s and the relay goes on for a while.
        d = self.driver(self.cam.url("/h264_aac"), "--output", path, "--remove-at", "1:3000",
                        duration=60, interval_ms=250)
        common.wait_stats(d, lambda s: any("removed" in x for x in d.lines), 15,
                          "the output removed")
        time.sleep(0.5)
        common.stop_checked(self, d)
        files = common.recordings(path)
        self.assertEqual(len(files), 2, files)
        self.assertEqual(files[0], first)
        self.assertEqual((os.path.getsize(first), sha256(first)), (size, digest),
                         "the first recording changed")
        self.assert_finished(files[1])
        code, res = common.flvcheck(files[1])
        self.assertTrue(res["ok"], res["errors"])

    def test_output_error_starts_a_new_file(self):
        """A write error ends a file (here the size limit of the process, EFBIG): that file is
        finished with its duration and size, and the output comes back with a new file instead
        of overwriting it."""
        limit = 192 * 1024
        path = os.path.join(h.tmpdir("rec-"), "err.flv")
        d = common.Driver(self.cam.url("/h264_aac"), "--output", path, "--retry-ms", 300,
                          duration=60, interval_ms=250, preexec=limit_file_size(limit))
        self.drivers.append(d)
        d.wait_streaming()
        common.wait_event(d, lambda e: e["event"] == "output-down", 20, "the file full")
        h.wait_until(lambda: len(common.recordings(path)) >= 2, 10, what="a second file")
        first = common.recordings(path)[0]
        digest = sha256(first)
        common.wait_stats(d, lambda s: s["outputs"][0]["reconnects"] >= 2, 20,
                          "the output back twice")
        final = common.stop_checked(self, d)
        files = common.recordings(path)
        self.assertGreaterEqual(len(files), 3, files)
        self.assertEqual(files[0], first)
        self.assertEqual(sha256(first), digest, "an earlier recording was overwritten")
        self.assertEqual(common.output_of(final, 1)["file"], files[-1])
        for f in files[:-1]:  # each ended by the error, at the limit
            self.assertEqual(os.path.getsize(f), limit, f)
            meta = common.flv_metadata(f)
            self.assertEqual(meta["filesize"], limit, f)
            # Cut mid-tag, so ffprobe cannot find a last tag: the duration is ours.
            self.assertGreater(meta["format_duration"], 0.5, f)
        downs = [e["error"] for e in d.events("output-down")]
        self.assertTrue(downs and set(downs) == {-27}, downs)  # EFBIG

    def test_killed_writer_leaves_a_playable_file(self):
        """kill -9 mid-recording: no totals were written (0 as live), and the file plays."""
        path = os.path.join(h.tmpdir("rec-"), "killed.flv")
        d = self.driver(self.cam.url("/h264_aac"), "--output", path, duration=60,
                        interval_ms=250)
        d.wait_streaming()
        common.wait_stats(d, lambda s: s["outputs"][0]["video_frames_out"] > 3 * common.FPS,
                          15, "3 s recorded")
        d.kill()
        f = common.recording(path)
        meta = common.flv_metadata(f)
        self.assertEqual((meta["duration"], meta["filesize"]), (0.0, 0.0))
        frames = video_packets(f)
        self.assertGreater(frames, 2 * common.FPS)
        # Every tag handed to the file reached the kernel (no user-space buffer died with the
        # process); only a kill landing inside the last write could cut that one tag.
        code, res = common.flvcheck(f)
        self.assertLessEqual(len(res["errors"]), 1, res["errors"])
        self.assertTrue(all("truncated" in e for e in res["errors"]), res["errors"])
        v = res["video"]
        self.assertEqual((v["decode_errors"], v["undecoded"]), (0, 0), res)
        self.assertEqual(v["decoded"], v["frames"], res)
        self.assertGreaterEqual(v["frames"], frames - 1)


if __name__ == "__main__":
    common.main()
