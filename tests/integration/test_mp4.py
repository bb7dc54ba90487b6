#!/usr/bin/python3
"""Segmented MP4 recording (an `mp4:` output) read back by real readers: ffprobe and ffmpeg
decode every segment with no error and find its timestamps continuing the previous segment's;
a recorder killed with SIGKILL leaves a last segment that plays; retention deletes exactly what
the policy says; a full disk pauses recording and it resumes by itself while the relay goes on."""
import ctypes
import json
import os
import subprocess
import sys
import time

import common
from common import h

FRAME = 1.0 / common.FPS
AAC_FRAME = 1024 / 48000.0


def probe(path):
    """Streams and packets of a segment, by ffprobe."""
    r = h.run(["ffprobe", "-v", "error", "-show_entries",
               "stream=index,codec_type,codec_name,codec_tag_string,width,height:"
               "packet=stream_index,pts_time,dts_time,duration_time", "-of", "json", path],
              timeout=60)
    return json.loads(r.stdout or "{}")


def decode_errors(path):
    """What ffmpeg says while decoding every frame of the file (nothing means no error), and the
    number of video frames it decoded."""
    r = h.run(["ffmpeg", "-hide_banner", "-nostats", "-v", "error", "-i", path,
               "-map", "0", "-f", "null", "-"], timeout=120)
    c = h.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-count_frames",
               "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", path], timeout=120)
    frames = int((c.stdout or "0").strip().split(",")[0] or 0)
    return [l for l in (r.stderr or "").splitlines() if l.strip()], frames


def times(info, kind):
    """(first pts, last pts + that packet's duration) of the stream of `kind` in seconds."""
    idx = [s["index"] for s in info["streams"] if s["codec_type"] == kind]
    pk = [p for p in info["packets"] if idx and p["stream_index"] == idx[0]]
    if not pk:
        return None
    pts = sorted(float(p["pts_time"]) for p in pk)
    return pts[0], pts[-1] + float(pk[-1].get("duration_time") or 0)


class Mp4Recording(common.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cam = h.Camera(common.media_dir()).start()

    @classmethod
    def tearDownClass(cls):
        cls.cam.stop()

    def record(self, mount, seconds, *args, folder=None, pattern="cam.mp4"):
        """Records `seconds` of streaming into a new folder; returns (final stats, driver, pattern)."""
        path = os.path.join(folder or h.tmpdir("mp4-"), pattern)
        d = self.driver(self.cam.url(mount), "--output", "mp4:" + path, *args, duration=120,
                        interval_ms=250)
        d.wait_streaming()
        common.wait_stats(d, lambda s: s["outputs"] and s["outputs"][0]["video_frames_out"] > 0,
                          10, "the mp4 output writing")
        time.sleep(seconds)
        return common.stop_checked(self, d), d, path

    def check_segments(self, path, vcodec, tag, audio, sizes=None):
        """Every segment: the codecs, 0 decode errors, and timestamps that continue the
        previous segment's within a frame. Each segment's video is 640x360, or, given a list
        `sizes`, whatever it is, appended to that list. Returns the segments and their video
        frames."""
        segs = common.recordings(path)
        prev, total = None, 0
        for seg in segs:
            info = probe(seg)
            kinds = {s["codec_type"]: s for s in info["streams"]}
            self.assertEqual(kinds["video"]["codec_name"], vcodec, seg)
            self.assertEqual(kinds["video"]["codec_tag_string"], tag, seg)
            size = (kinds["video"]["width"], kinds["video"]["height"])
            if sizes is None:
                self.assertEqual(size, (640, 360), seg)
            else:
                sizes.append(size)
            self.assertEqual(kinds.get("audio", {}).get("codec_name"), audio, seg)
            errs, frames = decode_errors(seg)
            self.assertEqual(errs, [], "decoding %s" % seg)
            self.assertGreater(frames, 0, seg)
            total += frames
            cur = {k: times(info, k) for k in ("video", "audio") if k in kinds}
            if prev:
                # Segment k+1 begins where k ended: one frame after its last frame.
                self.assertNear(cur["video"][0], prev["video"][1], 0.002,
                                "video of %s starts at %s, the previous ended at %s"
                                % (seg, cur["video"][0], prev["video"][1]))
                if audio:
                    self.assertNear(cur["audio"][0], prev["audio"][1], AAC_FRAME + 0.002,
                                    "audio of %s" % seg)
            prev = cur
        return segs, total

    # ---------------------------------------------------------------------------------------
    def test_h264_aac_segments_decode_and_continue(self):
        """H.264 + AAC cut every 2 s for 7 s: at least 3 segments, each avc1 + mp4a, decoded
        without error, each continuing the previous one; every segment was announced by an
        event, and no frame is missing between them."""
        final, d, path = self.record("/h264_aac", 7, "--rec", "segment_ms=2000")
        segs, frames = self.check_segments(path, "h264", "avc1", "aac")
        self.assertGreaterEqual(len(segs), 3)
        out = final["outputs"][0]
        self.assertEqual(out["recording"]["segments"], len(segs))
        opened = [e["message"] for e in d.events("segment-opened")]
        closed = [e["message"] for e in d.events("segment-closed")]
        self.assertEqual(opened, segs)
        self.assertEqual(closed, segs)
        self.assertEqual(frames, out["video_frames_out"])

    def test_h265_hvc1_with_hvcc(self):
        """H.265 (B-frames) + AAC: `hvc1` sample entries with an hvcC, decoded without error,
        continuous across segments."""
        final, _, path = self.record("/h265b_aac", 5, "--rec", "segment_ms=2000")
        segs, frames = self.check_segments(path, "hevc", "hvc1", "aac")
        self.assertGreaterEqual(len(segs), 2)
        for seg in segs:
            with open(seg, "rb") as f:
                head = f.read(4096)
            self.assertIn(b"hvc1", head, seg)
            self.assertIn(b"hvcC", head, seg)
        self.assertEqual(frames, final["outputs"][0]["video_frames_out"])

    def test_resolution_switch_starts_a_segment(self):
        """A camera whose resolution switches every 4 s (640x360 <-> 320x180, new SPS in-band),
        recorded with 60 s segments for 10 s: a new segment at each switch, so at least 3; each
        segment's sample entry has the size of its own frames (every decoded frame checked), the
        sizes alternate, the segments between two switches hold exactly the 4 s (100 frames)
        of one size, all decode with 0 errors and continue the previous segment's timestamps."""
        final, d, path = self.record("/h264_switch_aac", 10)
        sizes = []
        segs, frames = self.check_segments(path, "h264", "avc1", "aac", sizes)
        self.assertGreaterEqual(len(segs), 3, "segments %s of sizes %s" % (segs, sizes))
        for seg, size in zip(segs, sizes):
            self.assertIn(size, [(640, 360), (320, 180)], seg)
            r = h.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                       "frame=width,height", "-of", "csv=p=0", seg], timeout=120)
            decoded = {tuple(int(x) for x in l.split(",")[:2])
                       for l in r.stdout.splitlines() if l.strip()}
            self.assertEqual(decoded, {size}, "decoded frame sizes of %s" % seg)
        sys.stderr.write("segments at the switches: %s\n" % ", ".join(
            "%s %dx%d" % (os.path.basename(p), w, ht) for p, (w, ht) in zip(segs, sizes)))
        for a, b in zip(sizes, sizes[1:]):
            self.assertNotEqual(a, b, "a segment cut without a switch: %s" % sizes)
        for seg in segs[1:-1]:
            c = h.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-count_packets",
                       "-show_entries", "stream=nb_read_packets", "-of", "csv=p=0", seg],
                      timeout=60)
            self.assertEqual(int(c.stdout.strip()), 4 * common.FPS, "frames in %s" % seg)
        self.assertEqual(frames, final["outputs"][0]["video_frames_out"])
        self.assertEqual([e["message"] for e in d.events("segment-opened")], segs)

    def test_g711_is_counted_not_recorded(self):
        """G.711 (A-law): FFmpeg 5.1's mp4 muxer has no sample entry for it, so the video is
        recorded, decodes, and every A-law frame is counted as dropped."""
        final, _, path = self.record("/h264_pcma", 4, "--rec", "segment_ms=2000")
        segs, _ = self.check_segments(path, "h264", "avc1", None)
        self.assertGreaterEqual(len(segs), 1)
        rec = final["outputs"][0]["recording"]
        self.assertGreater(rec["dropped_audio_frames"], 0)
        self.assertEqual(final["outputs"][0]["audio_frames_out"], rec["dropped_audio_frames"])

    def test_kill9_last_segment_plays(self):
        """SIGKILL 4 s into a 60 s segment: the file decodes without error and holds all
        but at most the last fragment (1 s) of what had been written."""
        path = os.path.join(h.tmpdir("mp4-"), "cam.mp4")
        d = self.driver(self.cam.url("/h264_aac"), "--output", "mp4:" + path, duration=120,
                        interval_ms=100)
        d.wait_streaming()
        common.wait_stats(d, lambda s: s["outputs"] and s["outputs"][0]["video_frames_out"] > 100,
                          20, "4 s written")
        written = d.stats()["outputs"][0]["video_frames_out"]
        d.kill()
        segs = common.recordings(path)
        self.assertEqual(len(segs), 1)
        errs, frames = decode_errors(segs[0])
        self.assertEqual(errs, [], "decoding the killed recorder's segment")
        # One fragment (<= 1 s) may be lost, plus the 100 ms since the stats line.
        self.assertGreaterEqual(frames, written - common.FPS - 4)
        self.assertLessEqual(frames, written + 10)

    def test_retention_deletes_exactly_the_policy(self):
        """A folder with earlier segments of the same pattern and other files: with a 1 h age
        limit and a 250 kB budget, opening a segment deletes the one too old and then the
        oldest one over the budget, and nothing else (not the newer one, not other names)."""
        folder = h.tmpdir("mp4-")
        now = time.time()

        def put(name, size, age):
            p = os.path.join(folder, name)
            with open(p, "wb") as f:
                f.write(b"\0" * size)
            os.utime(p, (now - age, now - age))
            return p
        too_old = put("cam-20200101T000000Z.mp4", 1000, 7200)
        over_budget = put("cam-20200101T000100Z.mp4", 300000, 600)
        kept = put("cam-20200101T000200Z-1.mp4", 1000, 500)
        others = [put("cam2-20200101T000000Z.mp4", 1000, 9000), put("cam.mp4", 1000, 9000),
                  put("cam-20200101T000000Z.mp4.part", 1000, 9000), put("notes.txt", 1000, 9000)]
        final, _, path = self.record("/h264_aac", 1, "--rec", "max_age_s=3600",
                                     "--rec", "max_bytes=250000", folder=folder)
        rec = final["outputs"][0]["recording"]
        self.assertFalse(os.path.exists(too_old))
        self.assertFalse(os.path.exists(over_budget))
        self.assertTrue(os.path.exists(kept))
        for p in others:
            self.assertTrue(os.path.exists(p), p)
        self.assertEqual(rec["deleted_segments"], 2)
        self.assertEqual(rec["deleted_bytes"], 301000)
        self.assertEqual(len(common.recordings(path)), 2)  # kept + the one recorded

    def test_retention_by_bytes_while_recording(self):
        """1 s segments under a 300 kB budget for 8 s: what is left is within the budget (plus
        the segment being written when it was applied), the oldest went first."""
        final, d, path = self.record("/h264_aac", 8, "--rec", "segment_ms=1000",
                                     "--rec", "max_bytes=300000")
        segs = common.recordings(path)
        opened = [e["message"] for e in d.events("segment-opened")]
        rec = final["outputs"][0]["recording"]
        self.assertGreater(rec["deleted_segments"], 0)
        self.assertEqual(segs, opened[len(opened) - len(segs):], "the newest kept, in order")
        sizes = [os.path.getsize(s) for s in segs]
        self.assertLessEqual(sum(sizes[:-1]), 300000)
        self.assertEqual(len(opened) - len(segs), rec["deleted_segments"])

    def test_zz_disk_full_pauses_and_resumes(self):
        """A 3 MiB tmpfs (in this test's own mount namespace) filled to within 500 kB: the
        recording pauses with an event (-ENOSPC) and a stat, the relay and a second output go
        on, and once the filler is removed recording resumes by itself in a new segment that
        decodes without error. (Last: it moves this process into a new mount namespace.)"""
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.unshare(0x00020000) != 0:  # CLONE_NEWNS
            raise AssertionError("unshare(CLONE_NEWNS): errno %d" % ctypes.get_errno())
        subprocess.run(["mount", "--make-rprivate", "/"], check=True)
        folder = h.tmpdir("mp4-tmpfs-")
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", folder], check=True)
        try:
            st = os.statvfs(folder)
            filler = os.path.join(folder, "filler")
            with open(filler, "wb") as f:
                f.write(b"\0" * (st.f_bavail * st.f_frsize - 500 * 1024))
            sub = os.path.join(h.tmpdir("mp4-"), "live.flv")
            path = os.path.join(folder, "cam.mp4")
            d = self.driver(self.cam.url("/h264_aac"), "--output", "mp4:" + path,
                            "--sub-file", sub, "--rec", "resume_free_bytes=1000000",
                            duration=120, interval_ms=250)
            d.wait_streaming()
            paused = common.wait_event(d, lambda e: e["event"] == "recording-paused", 30,
                                       "recording paused")
            self.assertEqual(paused["error"], -28)
            s = common.wait_stats(d, lambda s: s["outputs"][0]["recording"]["paused"], 5,
                                  "paused in the stats")
            frames_at_pause, sub_at_pause = s["frames_out"], os.path.getsize(sub)
            time.sleep(2)
            s = d.stats()
            self.assertEqual(s["state"], "streaming")
            self.assertGreater(s["frames_out"], frames_at_pause + 25, "the relay went on")
            self.assertGreater(os.path.getsize(sub), sub_at_pause, "the other output went on")
            self.assertGreater(s["outputs"][0]["recording"]["paused_frames"], 0)
            os.unlink(filler)
            common.wait_event(d, lambda e: e["event"] == "recording-resumed", 10,
                              "recording resumed")
            time.sleep(2)
            final = common.stop_checked(self, d)
            rec = final["outputs"][0]["recording"]
            self.assertFalse(rec["paused"])
            self.assertEqual(rec["pauses"], 1)
            self.assertEqual(d.events("output-down"), [], "the mp4 output never failed")
            segs = common.recordings(path)
            self.assertGreaterEqual(len(segs), 2)
            errs, frames = decode_errors(segs[-1])
            self.assertEqual(errs, [], "the segment after the pause")
            self.assertGreater(frames, 25)
            _, frames = decode_errors(segs[0])
            self.assertGreater(frames, 0, "the segment cut by the full disk still plays")
        finally:
            subprocess.run(["umount", "-l", folder])


if __name__ == "__main__":
    common.main()
