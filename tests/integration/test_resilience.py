#!/usr/bin/python3
"""The relay recovers by itself: a camera killed and back on the same port, a camera down at
start, an RTMP server restarted, a frozen camera (stall watchdog), a camera that closes the
stream (EOF) or never sends media, and a stop while connecting to a server that never answers.
Timestamps are checked across every outage in an FLV file (flvcheck) and on nginx."""
import os
import time

import common
from common import h

ENODATA, ETIMEDOUT = common.ENODATA, common.ETIMEDOUT
ECONNREFUSED, ECONNRESET = common.ECONNREFUSED, common.ECONNRESET
RETRY_MS = 300  # input retries 300 ms doubling to 1.2 s (outputs too): keeps the suite short


def errors_between(d, t0, t1=float("inf")):
    return [e["error"] for e in d.events("error") if t0 <= e["t"] < t1]


def input_states(d):
    return [e["state"] for e in d.events("state")]


class Resilience(common.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.media = common.media_dir()
        cls.cam = h.Camera(cls.media).start()  # shared by the tests that never disturb it
        cls.ngx = h.Nginx().start()

    @classmethod
    def tearDownClass(cls):
        cls.ngx.stop()
        cls.cam.stop()

    def check_flv(self, path, min_video, outages=0):
        """The file decodes, starts at a keyframe, and its timestamps never go back or jump (an
        outage is spliced: docs/timestamps.md). One frame per outage may be damaged: when the
        connection dies, FFmpeg's parser hands over the frame it held as if complete, and
        holding every frame back to find out would add a frame of latency to all of them."""
        code, res = common.flvcheck(path)
        self.assertTrue(res["ok"], res["errors"])
        v, a = res["video"], res["audio"]
        self.assertEqual(v["codec"], "h264")
        self.assertTrue(v["first_is_key"])
        self.assertLessEqual(v["decode_errors"] + v["undecoded"], outages, res)
        self.assertEqual(code, 0 if v["decode_errors"] + v["undecoded"] == 0 else 1)
        self.assertEqual(a["decode_errors"], 0)
        self.assertEqual(v["non_monotonic"], 0)
        self.assertEqual(a["non_monotonic"], 0)
        self.assertLess(v["max_gap"], 1000, "video timestamps jumped across the outage")
        self.assertLess(a["max_gap"], 1000, "audio timestamps jumped across the outage")
        self.assertGreaterEqual(v["decoded"], min_video)
        return res

    # ---------------------------------------------------------------------------------------
    def test_camera_killed_and_back_on_same_port(self):
        """Camera SIGKILLed mid-stream, back 3 s later on the same port: the relay resumes by
        itself with exactly one reconnect; the FLV file and an nginx reader that stays connected
        through the outage see monotonic timestamps and video again after the gap."""
        path = os.path.join(h.tmpdir("res-"), "restart.flv")
        url = self.ngx.rtmp_url("restart")
        with h.Camera(self.media) as cam:
            port = cam.port
            d = self.driver(cam.url("/h264_aac"), "--output", path, "--output", url,
                            "--retry-ms", RETRY_MS, duration=90, interval_ms=250)
            d.wait_streaming()
            common.wait_stats(d, lambda s: all(o["state"] == "streaming" for o in s["outputs"]),
                              10, "both outputs streaming")
            with common.PacketReader(url, 14) as reader:
                time.sleep(3)
                t_kill = time.monotonic()
                cam.kill()
                first = common.wait_event(d, lambda e: e["event"] == "error" and e["t"] >= t_kill,
                                          5, "an input error after the kill")
                # A killed peer closes the TCP connection: EOF (or a reset if our RTCP was unread).
                self.assertIn(first["error"], (-ENODATA, -ECONNRESET), first)
                self.assertLess(first["t"] - t_kill, 1.5, "the camera's death went unnoticed")
                common.wait_stats(d, lambda s: s["state"] in ("backoff", "connecting")
                                  and s["last_error"] == -ECONNREFUSED, 5, "relay retrying")
                time.sleep(max(0.0, t_kill + 3 - time.monotonic()))
                self.assertIsNone(reader.proc.poll(), "the nginx reader was dropped during the "
                                  "camera's outage: %s" % reader.errors)
                cam.start()
                self.assertEqual(cam.port, port)
                t_up = time.monotonic()
                common.wait_stats(d, lambda s: s["state"] == "streaming" and s["reconnects"] >= 1
                                  and s["fps"] > 0, 10, "relay streaming again by itself")
                t_back = time.monotonic()
                reader.wait(45)
            final = common.stop_checked(self, d)

        # The input: exactly one reconnect, spliced once; only EOF/refused errors meanwhile.
        self.assertEqual(final["reconnects"], 1)
        self.assertEqual(final["repairs"]["reconnect"], 1)
        self.assertEqual(final["connect_attempts"], 0)
        self.assertLessEqual(set(errors_between(d, t_kill)), {-ENODATA, -ECONNRESET, -ECONNREFUSED})
        self.assertEqual(errors_between(d, 0, t_kill), [])
        self.assertLess(t_back - t_up, 5, "the relay took %.1f s to come back" % (t_back - t_up))
        # The outputs never noticed: no output went down, none reconnected.
        self.assertEqual(d.events("output-down"), [])
        for o in final["outputs"]:
            self.assertEqual((o["reconnects"], o["skips"], o["last_error"]), (0, 0, 0), o)

        # nginx reader across the outage.
        self.assertEqual(reader.errors, [])
        self.assertFalse(reader.timed_out)
        video, audio = reader.of("video"), reader.of("audio")
        vd, ad = [p.dts for p in video], [p.dts for p in audio]
        self.assertTrue(all(b > a for a, b in zip(vd, vd[1:])),
                        "video DTS not increasing on nginx: %s" % _first_bad(vd, strict=True))
        self.assertTrue(all(b >= a for a, b in zip(ad, ad[1:])),
                        "audio DTS went back on nginx: %s" % _first_bad(ad, strict=False))
        arrivals = [p.at for p in video]
        gap = max(b - a for a, b in zip(arrivals, arrivals[1:]))
        self.assertGreater(gap, 2.5, "the reader did not span the outage")
        before = sum(1 for p in video if p.at < t_kill)
        after = sum(1 for p in video if p.at > t_up)
        self.assertGreaterEqual(before, 25)
        # 14 s of media, at most ~4 s of it before the kill: the rest came after the camera.
        self.assertGreaterEqual(after, 8 * common.FPS, "video did not continue after the gap")

        # FLV file across the outage: ~3 s + ~10 s of video.
        self.check_flv(common.recording(path), min_video=10 * common.FPS, outages=1)

    # ---------------------------------------------------------------------------------------
    def test_connection_cut_mid_frame(self):
        """The camera connection drops in the middle of a video frame (a proxy cuts it right
        after a video RTP packet without the marker bit): the relay reconnects by itself, the
        timeline stays monotonic, and at most that one cut frame fails to decode (none with the
        native engine) — the stream is whole again from the keyframe after the reconnect. (A camera killed mid-frame does
        the same, by chance.)"""
        path = os.path.join(h.tmpdir("res-"), "cut.flv")
        with common.RtspCutProxy(self.cam.port) as px:
            d = self.driver(px.url("/h264_aac"), "--output", path, "--retry-ms", RETRY_MS,
                            duration=60, interval_ms=200)
            d.wait_streaming()
            time.sleep(1.5)
            t_cut = time.monotonic()
            self.assertTrue(px.cut(), "no video RTP packet to cut after")
            err = common.wait_event(d, lambda e: e["event"] == "error" and e["t"] >= t_cut, 5,
                                    "the cut reported")
            self.assertEqual(err["error"], -ENODATA, err)
            common.wait_stats(d, lambda s: s["state"] == "streaming" and s["reconnects"] == 1
                              and s["fps"] > 0, 10, "streaming again")
            time.sleep(2)
            final = common.stop_checked(self, d)
            self.assertGreaterEqual(px.connections, 2)
        self.assertEqual(final["reconnects"], 1)
        # The native engine ends a frame at its marker bit only, so the cut frame is dropped:
        # not one damaged frame (libavformat may hand over the one its parser held).
        damaged = 0 if final["engine"] == "native" else 1
        self.check_flv(common.recording(path), min_video=3 * common.FPS, outages=damaged)

    # ---------------------------------------------------------------------------------------
    def test_camera_down_at_start(self):
        """Nothing listens on the camera's port: the relay retries on its schedule (refused,
        attempts growing, delays doubling to the cap) and streams once the camera appears."""
        port = h.free_port()
        cam = h.Camera(self.media, port=port)
        try:
            retry = 250  # delays 250, 500, 1000, 1000... ms, each ±20%
            d = self.driver(cam.url("/h264_aac"), "--retry-ms", retry, duration=60,
                            interval_ms=200)
            time.sleep(3.5)
            s = d.stats()
            self.assertIn(s["state"], ("backoff", "connecting"))
            self.assertEqual(s["last_error"], -ECONNREFUSED)
            self.assertIn("connection refused", s["last_error_message"])
            self.assertIn("127.0.0.1:%d" % port, s["last_error_message"])
            self.assertEqual((s["frames_out"], s["video_frames_in"], s["reconnects"]), (0, 0, 0))
            # 0, .25, .75, 1.75, 2.75 s (±20%): at least 4 attempts by now, never more than 6.
            self.assertGreaterEqual(s["connect_attempts"], 4)
            self.assertLessEqual(s["connect_attempts"], 6)
            attempts = [x["connect_attempts"] for _t, x in common.stats_history(d)]
            self.assertEqual(attempts, sorted(attempts), "connect_attempts went down")
            self.assertEqual(set(e["error"] for e in d.events("error")), {-ECONNREFUSED})
            # The schedule: the gaps between attempts double, then stay at the cap.
            starts = [e["t"] for e in d.events("state") if e["state"] == "connecting"]
            for i, (a, b) in enumerate(zip(starts, starts[1:])):
                expected = min(retry * 2 ** i, 4 * retry) / 1000
                self.assertTrue(0.8 * expected - 0.03 <= b - a <= 1.2 * expected + 0.2,
                                "retry %d after %.3f s, expected %.3f s ±20%%" % (i + 1, b - a, expected))

            cam.start()
            self.assertEqual(cam.port, port)
            s = d.wait_streaming(timeout=10)
            self.assertEqual(s["connect_attempts"], 0)
            self.assertEqual(s["reconnects"], 0, "the first connection is not a reconnect")
            v0 = s["video_frames_in"]
            time.sleep(3)
            s = d.stats()
            self.assertEqual(s["state"], "streaming")
            self.assertNear(s["video_frames_in"] - v0, 3 * common.FPS, 12)
            final = common.stop_checked(self, d)
            self.assertEqual(final["reconnects"], 0)
            self.assertEqual(final["video_codec"], "h264")
        finally:
            cam.stop()

    # ---------------------------------------------------------------------------------------
    def test_rtmp_server_restarted(self):
        """nginx stopped and restarted on the same port after 2 s: that output reconnects by
        itself and nginx serves decodable video again; the camera input never drops."""
        ngx = h.Nginx().start()
        try:
            port = ngx.port
            url = ngx.rtmp_url("restart")
            d = self.driver(self.cam.url("/h264_aac"), "--output", url, "--retry-ms", RETRY_MS,
                            duration=90, interval_ms=200)
            d.wait_streaming()
            common.wait_stats(d, lambda s: s["outputs"][0]["state"] == "streaming", 10, "rtmp up")
            time.sleep(1)
            t0, s0 = common.stats_history(d)[-1]
            t_down = time.monotonic()
            ngx.stop()
            down = common.wait_event(d, lambda e: e["event"] == "output-down", 5, "output-down")
            self.assertLess(down["t"] - t_down, 2, "the dead server went unnoticed")
            self.assertLess(down["error"], 0)
            common.wait_stats(d, lambda s: s["outputs"][0]["last_error"] == -ECONNREFUSED
                              and s["outputs"][0]["state"] in ("backoff", "connecting"), 5,
                              "output retrying (refused)")
            time.sleep(max(0.0, t_down + 2 - time.monotonic()))
            t1, s1 = common.stats_history(d)[-1]
            rate = (s1["video_frames_in"] - s0["video_frames_in"]) / (t1 - t0)
            self.assertNear(rate, common.FPS, 3, "input at %.1f fps while the output was dead" % rate)
            ngx.start()
            self.assertEqual(ngx.port, port)
            t_up = time.monotonic()
            common.wait_stats(d, lambda s: s["outputs"][0]["state"] == "streaming"
                              and s["outputs"][0]["reconnects"] >= 1, 10, "output back by itself")
            self.assertLess(time.monotonic() - t_up, 5)
            self.assertEqual(common.decode_errors(url, 4), [])
            video, audio, errors, _wall = common.frames_in_window(url, 4)
            self.assertEqual(errors, [])
            self.assertNear(video, 4 * common.FPS, 3)
            self.assertNear(audio, 4 * 48000 / 1024, 4)
            final = common.stop_checked(self, d)
        finally:
            ngx.stop()
        # The input never dropped: no reconnect, no error, streaming in every sample.
        self.assertEqual(final["reconnects"], 0)
        self.assertEqual(final["last_error"], 0)
        self.assertEqual(d.events("error"), [])
        states = [x["state"] for t, x in common.stats_history(d) if t > t_down]
        self.assertEqual(set(states), {"streaming"})
        self.assertNear(final["fps"], 25, 2)
        o = final["outputs"][0]
        self.assertGreaterEqual(o["reconnects"], 1)
        self.assertEqual(o["skips"], 0)

    # ---------------------------------------------------------------------------------------
    def test_camera_stalled(self):
        """Camera frozen (SIGSTOP) with --stall-ms 2000: the stall is detected within the stall
        timeout (-ETIMEDOUT), attempts on the frozen camera time out, and after SIGCONT the
        relay streams again by itself with spliced timestamps."""
        path = os.path.join(h.tmpdir("res-"), "stall.flv")
        with h.Camera(self.media) as cam:
            d = self.driver(cam.url("/h264_aac"), "--stall-ms", 2000, "--connect-ms", 1500,
                            "--retry-ms", RETRY_MS, "--output", path, duration=90, interval_ms=200)
            d.wait_streaming()
            common.wait_stats(d, lambda s: s["outputs"][0]["state"] == "streaming", 10, "file up")
            time.sleep(2)
            t_freeze = time.monotonic()
            cam.stop_signal()
            try:
                err = common.wait_event(d, lambda e: e["event"] == "error", 8, "stall detected")
                time.sleep(max(0.0, t_freeze + 5 - time.monotonic()))
            finally:
                cam.cont()
            t_cont = time.monotonic()
            s = common.wait_stats(d, lambda s: s["state"] == "streaming" and s["reconnects"] >= 1,
                                  10, "streaming again after SIGCONT")
            v0 = s["video_frames_in"]
            time.sleep(3)
            v1 = d.stats()["video_frames_in"]
            final = common.stop_checked(self, d)
        frozen_errors = errors_between(d, t_freeze, t_cont)
        self.assertEqual(err["error"], -ETIMEDOUT, err)
        # Attempts on a frozen camera (TCP accepted, never answered) time out too.
        self.assertEqual(set(frozen_errors), {-ETIMEDOUT}, frozen_errors)
        self.assertNear(v1 - v0, 3 * common.FPS, 12)
        self.assertEqual(final["reconnects"], 1)
        self.check_flv(common.recording(path), min_video=4 * common.FPS, outages=1)
        # Last: detected within the stall timeout (the last packet came at most ~50 ms before
        # the freeze; 1 s of slack for scheduling).
        self.assertTrue(1.9 <= err["t"] - t_freeze <= 3.0,
                        "stall detected %.2f s after the freeze (stall timeout 2 s)"
                        % (err["t"] - t_freeze))

    # ---------------------------------------------------------------------------------------
    def test_stop_while_connecting(self):
        """A server that accepts and never answers (blackhole: reads, deaf: does not even read):
        with a 10 s connect timeout the relay is mid-connect after 2 s, and stop takes < 1 s."""
        for mode in ("blackhole", "deaf"):
            with self.subTest(mode=mode), h.BadCam(mode) as bc:
                d = self.driver(bc.url("/stream"), "--connect-ms", 10000, duration=2,
                                interval_ms=200)
                self.assertEqual(common.exit_code(d), 0)
                final = d.final()
                self.assertIsNotNone(final, "no final stats")
                last = [x for _t, x in common.stats_history(d)][-1]
                self.assertEqual(last["state"], "connecting")
                self.assertEqual(input_states(d), ["connecting", "stopped"])
                self.assertEqual(d.events("error"), [])
                self.assertEqual(final["state"], "stopped")
                self.assertLess(final["stop_ms"], 1000)
                self.assertEqual(bc.connections(), 1)
                if mode == "blackhole":
                    self.assertEqual(bc.requests(), 1)  # OPTIONS, never answered
                else:
                    self.assertEqual(bc.requests(), 0)

    # ---------------------------------------------------------------------------------------
    def test_camera_closes_stream(self):
        """The camera ends the stream (clean shutdown, EOF on the connection): -ENODATA at
        once, then retries until it is back."""
        with h.Camera(self.media) as cam:
            d = self.driver(cam.url("/h264"), "--retry-ms", RETRY_MS, duration=60,
                            interval_ms=200)
            d.wait_streaming()
            time.sleep(1)
            t_close = time.monotonic()
            cam.stop()
            err = common.wait_event(d, lambda e: e["event"] == "error", 5, "EOF reported")
            self.assertEqual(err["error"], -ENODATA, err)
            self.assertIn("stream ended", err["message"])
            self.assertLess(err["t"] - t_close, 1.5)
            common.wait_stats(d, lambda s: s["state"] in ("backoff", "connecting")
                              and s["connect_attempts"] >= 2, 5, "retrying")
            cam.start()
            common.wait_stats(d, lambda s: s["state"] == "streaming" and s["reconnects"] == 1
                              and s["fps"] > 0, 10, "streaming again")
            final = common.stop_checked(self, d)
        self.assertEqual(final["reconnects"], 1)
        self.assertEqual(final["connect_attempts"], 0)

    def test_no_media_after_play(self):
        """SETUP and PLAY succeed, then no packet ever comes (/nodata): -ETIMEDOUT after the
        stall timeout, then a new connection."""
        with h.BadCam() as bc:
            d = self.driver(bc.url("/nodata"), "--stall-ms", 1500, "--retry-ms", RETRY_MS,
                            duration=4.5, interval_ms=200)
            self.assertEqual(common.exit_code(d), 0)
            t0 = d.events("state")[0]["t"]
            errors = d.events("error")
            self.assertGreaterEqual(len(errors), 1)
            self.assertEqual(set(e["error"] for e in errors), {-ETIMEDOUT})
            self.assertNear(errors[0]["t"] - t0, 1.5, 0.4)
            self.assertNotIn("streaming", input_states(d))
            self.assertGreaterEqual(bc.requests("PLAY"), 2, bc.log())
            self.assertGreaterEqual(bc.connections(), 2)
            self.assertEqual(d.final()["frames_out"], 0)


def _first_bad(seq, strict):
    for i, (a, b) in enumerate(zip(seq, seq[1:])):
        if b < a or (strict and b == a):
            return "packet %d: %s after %s" % (i + 1, b, a)
    return None


if __name__ == "__main__":
    common.main()
