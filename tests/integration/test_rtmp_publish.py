#!/usr/bin/python3
"""Our RTMP publisher (lib/rtmp_publish*.c) against servers that misbehave: every refusal a
server can send comes back as its own errno on that output (the relay and its other outputs
go on), a server that closes mid-stream is reconnected to, one that stops reading never
blocks the camera or another output. A real nginx-rtmp refuses a second publisher of a
name; the other refusals come from tests/harness/rtmpbad.py, which also reads what we send
with its own chunk parser: one message per tag, in timestamp order, @setDataFrame first."""
import os
import time

import common
from common import h

EACCES, ENOENT, EBADMSG, ECONNRESET, ETIMEDOUT = 13, 2, 74, 104, 110
EBUSY = 16


class RtmpPublish(common.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cam = h.Camera(common.media_dir()).start()
        cls.ngx = h.Nginx().start()

    @classmethod
    def tearDownClass(cls):
        cls.ngx.stop()
        cls.cam.stop()

    def first_downs(self, d, n_outputs, timeout=20):
        """{output id: error of its first output-down event} once every output had one."""
        def got():
            downs = {}
            for e in d.events("output-down"):
                downs.setdefault(e["output"], e["error"])
            return downs if len(downs) >= n_outputs else None
        return h.wait_until(got, timeout, what="an output-down event on each output")

    def test_refusals_are_errno_per_output(self):
        """Connect rejected -> EACCES, unknown application -> ENOENT, publish denied -> EACCES,
        name busy -> EBUSY, not an RTMP server -> EBADMSG; the nginx output streams all along."""
        modes = [("reject", EACCES), ("badapp", ENOENT), ("deny", EACCES), ("busy", EBUSY),
                 ("garbage", EBADMSG)]
        servers = [h.RtmpBad(m).start() for m, _ in modes]
        try:
            args = []
            for s in servers:
                args += ["--output", s.rtmp_url("cam")]
            d = self.driver(self.cam.url("/h264_aac"), "--output", self.ngx.rtmp_url("refusals"),
                            *args, "--retry-ms", 1000, duration=60, interval_ms=250)
            d.wait_streaming()
            downs = self.first_downs(d, len(modes))
            self.assertEqual([downs.get(i + 2) for i in range(len(modes))], [-e for _, e in modes])
            s = d.stats()
            self.assertEqual(common.output_of(s, 1)["state"], "streaming")
            self.assertEqual(common.output_of(s, 1)["skips"], 0)
            self.assertEqual(common.decode_errors(self.ngx.rtmp_url("refusals"), 3), [])
            for i, (mode, err) in enumerate(modes):
                o = common.output_of(s, i + 2)
                self.assertEqual(o["last_error"], -err, mode)
                self.assertEqual(o["video_frames_out"], 0, mode)
            common.stop_checked(self, d)
        finally:
            for s in servers:
                s.stop()

    def test_nginx_refuses_second_publisher(self):
        """Two outputs publish the same name to nginx-rtmp: the second gets EBUSY (nginx says
        NetStream.Publish.BadName "Already publishing"), the first keeps streaming."""
        url = self.ngx.rtmp_url("twice")
        d = self.driver(self.cam.url("/h264_aac"), "--output", url, duration=60, interval_ms=250)
        d.wait_streaming()
        common.wait_stats(d, lambda s: common.output_of(s, 1)["state"] == "streaming", 10, "first up")
        d2 = self.driver(self.cam.url("/h264_aac"), "--output", url, "--retry-ms", 1000,
                         duration=60, interval_ms=250)
        downs = self.first_downs(d2, 1)
        self.assertEqual(downs[1], -EBUSY)
        self.assertEqual(common.output_of(d.stats(), 1)["state"], "streaming")
        self.assertEqual(common.decode_errors(url, 3), [])
        common.stop_checked(self, d2)
        common.stop_checked(self, d)

    def test_what_the_server_reads(self):
        """rtmpbad's own parser: Set Chunk Size first, then connect ... publish; every tag one
        message: @setDataFrame onMetaData, the AVC and AAC sequence headers, frames with
        non-decreasing timestamps per stream; after the server closes at the 50th media
        message the output reconnects (ECONNRESET) and publishes again."""
        with h.RtmpBad("closemid") as srv:
            d = self.driver(self.cam.url("/h264_aac"), "--output", srv.rtmp_url("cam"),
                            "--retry-ms", 500, duration=60, interval_ms=250)
            downs = self.first_downs(d, 1)
            self.assertEqual(downs[1], -ECONNRESET)
            h.wait_until(lambda: srv.log().count("CONN ") >= 2, 10, what="a reconnect")
            common.stop_checked(self, d)
            log = srv.log()
        self.assertIn("CHUNK 65536", log)
        msgs = [m for m in srv.messages()]
        commands = [bytes.fromhex(x[4])[3:3 + bytes.fromhex(x[4])[2]] for x in msgs if x[0] == 20]
        self.assertEqual(commands[:5], [b"connect", b"releaseStream", b"FCPublish",
                                        b"createStream", b"publish"][:len(commands[:5])])
        media = [m for m in msgs if m[0] in (8, 9, 18)]
        self.assertGreaterEqual(len(media), 50)
        first = media[:50]
        self.assertEqual(first[0][0], 18)
        self.assertTrue(first[0][4].startswith(b"\x02\x00\x0d@setDataFrame".hex()), first[0])
        video = [m for m in first if m[0] == 9]
        audio = [m for m in first if m[0] == 8]
        self.assertTrue(video[0][4].startswith("1700"), "AVC sequence header first: %s" % (video[0],))
        self.assertTrue(audio[0][4].startswith("af00"), "AAC sequence header first: %s" % (audio[0],))
        self.assertTrue(video[1][4].startswith("1701"), "then a keyframe: %s" % (video[1],))
        for kind in (video, audio):
            ts = [m[2] for m in kind]
            self.assertEqual(ts, sorted(ts))
        # Frames at 25 fps: 40 ms apart (the timeline is the library's, the framing ours).
        vts = [m[2] for m in video[1:]]
        self.assertTrue(all(b - a == 40 for a, b in zip(vts, vts[1:])), vts)

    def test_stalled_server_blocks_nothing(self):
        """A server that stops reading after 20 tags (720p, 2 Mbit/s, so the socket buffers fill
        in seconds): nginx keeps every frame, the stalled output falls behind on its own (it
        skips or times out), and stop takes < 1 s."""
        with h.RtmpBad("stall") as srv:
            url = self.ngx.rtmp_url("stall")
            d = self.driver(self.cam.url("/h264_720p"), "--output", url, "--output", srv.rtmp_url("cam"),
                            duration=120, interval_ms=250)
            d.wait_streaming()
            common.wait_stats(d, lambda s: common.output_of(s, 2)["state"] == "streaming", 10,
                              "the stalling output up")
            common.wait_stats(d, lambda s: common.output_of(s, 2)["skips"] > 0
                              or common.output_of(s, 2)["state"] != "streaming", 60,
                              "the stalled output falls behind")
            video, audio, errors, _ = common.frames_in_window(url, 4)
            self.assertEqual(errors, [])
            self.assertNear(video, 4 * common.FPS, 3)
            self.assertEqual(common.output_of(d.stats(), 1)["skips"], 0)
            t = time.monotonic()
            final = common.stop_checked(self, d)
            self.assertLess(final["stop_ms"], 1000)
            self.assertLess(time.monotonic() - t, 5)

    def thread_names(self, d):
        names = []
        for tid in os.listdir("/proc/%d/task" % d.proc.pid):
            with open("/proc/%d/task/%s/comm" % (d.proc.pid, tid)) as f:
                names.append(f.read().strip())
        return sorted(names)

    def test_streaming_outputs_have_no_thread(self):
        """With an ls_io (lightstream/io.h), two rtmp:// outputs that stream run on no thread of
        their own: the process has its main thread, the relay's and the ls-io thread only, and
        nginx gets every frame of both. With --threads (the library's default) each output has
        its ls-out thread: the count is the property, not an accident of the driver."""
        for threads in (False, True):
            urls = [self.ngx.rtmp_url("nothread%d%d" % (threads, i)) for i in (1, 2)]
            extra = ["--threads"] if threads else []
            d = self.driver(self.cam.url("/h264_aac"), "--output", urls[0], "--output", urls[1],
                            *extra, duration=60, interval_ms=250)
            d.wait_streaming()
            common.wait_stats(d, lambda s: all(common.output_of(s, i)["state"] == "streaming"
                                               and common.output_of(s, i)["video_frames_out"] > 25
                                               for i in (1, 2)), 15, "both outputs streaming")
            names = self.thread_names(d)
            outs = [n for n in names if n.startswith("ls-out")]
            if threads:
                self.assertEqual(len(outs), 2, names)
                self.assertNotIn("ls-io", names)
            else:
                self.assertEqual(outs, [], names)
                self.assertEqual(names.count("ls-io"), 1, names)
                self.assertLessEqual(len(names), 3, names)
            for url in urls:
                video, audio, errors, _ = common.frames_in_window(url, 3)
                self.assertEqual(errors, [])
                self.assertNear(video, 3 * common.FPS, 3)
                self.assertGreater(audio, 0)
            final = common.stop_checked(self, d)
            self.assertLess(final["stop_ms"], 1000)


if __name__ == "__main__":
    common.main()
